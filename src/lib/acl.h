/*
 * The compiled network ACL: per direction and family, rules in ascending
 * number, first match decides, the '*' deny last. Immutable once built.
 */
#ifndef VPCFW_ACL_H
#define VPCFW_ACL_H

#include <stddef.h>
#include "common.h"
#include "pkt.h"
#include "ruleset.h"

struct acl;

/*
 * Compile the ruleset's NACL entries (rs->has_nacl must be set). Entries are
 * copied; the '*' rules (32767 for IPv4, 32768 for IPv6) are added to both
 * directions. Returns NULL with errno EINVAL (no NACL, or a duplicate rule
 * number in one direction) or ENOMEM.
 */
struct acl *acl_compile(const struct ruleset *rs);
void acl_free(struct acl *a);

/*
 * Judge a packet: the first rule (lowest number) of direction d whose family,
 * CIDR (source inbound, destination outbound), protocol, destination port or
 * ICMP type/code match. Never NULL: the '*' rule of the packet's family
 * decides when nothing else does. The pointer lives as long as the acl.
 */
const struct nacl_entry *acl_eval(const struct acl *a, enum dir d,
				  const struct pkt *p);

/* Rules of one direction in evaluation order ('*' rules included, last). */
size_t acl_count(const struct acl *a, enum dir d);
const struct nacl_entry *acl_rule(const struct acl *a, enum dir d, size_t i);

/* The position of e (returned by acl_eval or acl_rule for d) in acl_rule() order. */
size_t acl_index(const struct acl *a, enum dir d, const struct nacl_entry *e);

/*
 * Does entry e match packet p in direction d? Shared by the compiler's
 * evaluation and by tests; ignores the rule number and action.
 */
bool nacl_entry_matches(const struct nacl_entry *e, enum dir d, const struct pkt *p);
/* Why it does not (RULE_MATCH when it does): the one test behind both. */
enum rule_miss nacl_entry_miss(const struct nacl_entry *e, enum dir d, const struct pkt *p);

#endif
