/*
 * Infrastructure-as-code input: Terraform (`terraform show -json` of a
 * state or a plan) and CloudFormation templates (JSON or YAML), told from
 * the AWS CLI's JSON and from native rules by their content, and read into
 * the same rule model as every other format. Through load.c only.
 */
#ifndef VPCFW_IAC_H
#define VPCFW_IAC_H

#include <stddef.h>

#include "aws_json.h"
#include "diag.h"
#include "ruleset.h"

enum iac_format {
	IAC_NONE = 0,		/* not one of these: AWS CLI JSON or native rules */
	IAC_TERRAFORM,		/* {"format_version": ..., "values"|"planned_values": ...} */
	IAC_CFN_JSON,		/* {"Resources": ...} or {"AWSTemplateFormatVersion": ...} */
	IAC_CFN_YAML,		/* a line "Resources:" or "AWSTemplateFormatVersion:" */
};

enum iac_format iac_detect(const char *buf, size_t len);

/* RULES_TAKE_* bits: which kinds of resource the text holds (0 if unreadable). */
unsigned iac_holds(enum iac_format f, const char *buf, size_t len);

/*
 * Load the kinds in take (RULES_TAKE_*) into rs. A kind asked that the
 * text does not hold, or held but not asked, is an error (as for native
 * files: nothing is dropped silently). Every problem goes to d with file:line:col and the
 * resource (Terraform address or CloudFormation logical id). 0 when clean,
 * -1 with errno EINVAL or ENOMEM.
 */
int iac_load_buffer(struct ruleset *rs, enum iac_format f, unsigned take,
		    const char *name, const char *buf, size_t len,
		    const struct aws_map *map, struct diag *d);

#endif
