/*
 * The public handles of include/vpcfw/vpcfw.h as the facade sees them: thin
 * wrappers around the internal objects, shared by vpcfw.c (diagnostics,
 * maps, rules), vpcfw_judge.c (policies, flows, verdicts) and vpcfw_diff.c. Nothing else
 * includes this header.
 */
#ifndef VPCFW_VPCFW_INT_H
#define VPCFW_VPCFW_INT_H

#include <vpcfw/vpcfw.h>

#include "aws_json.h"
#include "diag.h"
#include "ruleset.h"

struct vpcfw_diag {
	struct diag *d;
};

struct vpcfw_maps {
	struct aws_map m;
};

struct vpcfw_rules {
	struct ruleset *rs;
	unsigned layers;	/* what the loads were for (VPCFW_LAYER_*) */
	bool borrowed;		/* a policy's view (vpcfw_policy_rules): not ours to free */
};

struct policy;

/* Also read by vpcfw_diff.c. */
struct vpcfw_policy {
	struct policy *pol;
	unsigned layers;
	struct vpcfw_rules view;	/* vpcfw_policy_rules(): the policy's own ruleset */
};

#endif
