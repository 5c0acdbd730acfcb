/*
 * AWS's quotas on rules (doc/aws-semantics.md 1.8, 2.5): what AWS would
 * refuse to create is refused here too, and what needs a quota increase
 * is said. `--no-quotas` skips the check for files that exceed them on
 * purpose (tests, benchmarks).
 */
#ifndef VPCFW_QUOTA_H
#define VPCFW_QUOTA_H

#include <stddef.h>

#include "diag.h"
#include "ruleset.h"

/* Rules per network ACL, per direction (and family): the default, and the most AWS raises it to. */
#define QUOTA_NACL_RULES	20
#define QUOTA_NACL_RULES_MAX	NACL_QUOTA_MAX
/* Inbound or outbound rules per security group (per family): the default. */
#define QUOTA_SG_RULES		60
/* Security groups per network interface: the default, and the most AWS raises it to. */
#define QUOTA_SG_PER_ENI	5
#define QUOTA_SG_PER_ENI_MAX	16
/* Rules per group times groups per interface may not exceed this. */
#define QUOTA_SG_PRODUCT	1000

/*
 * Check rs against the quotas, as one interface holding every group of
 * rs: warnings for what needs an increase, errors for what AWS cannot
 * hold. Returns the number of errors added to d.
 */
size_t quota_check(const struct ruleset *rs, struct diag *d);

#endif
