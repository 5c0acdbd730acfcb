/* CloudFormation templates: not yet. */
#include "iac_int.h"

unsigned cfn_holds(const json_t *root)
{
	(void)root;
	return 0;
}

void cfn_load(struct iac *x)
{
	awsj_error(&x->l, NULL, "CloudFormation templates are not read yet");
}
