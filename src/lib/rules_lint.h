/*
 * Lint: warnings for the classic NACL and security-group mistakes
 * (doc/aws-semantics.md 4.2), found by exact set reasoning on the rule fields,
 * never by guessing. `check` prints them; --werror makes them errors.
 */
#ifndef VPCFW_RULES_LINT_H
#define VPCFW_RULES_LINT_H

#include <stddef.h>
#include "diag.h"
#include "ruleset.h"

/*
 * Add a warning (DIAG_WARNING) to d for every classic mistake found in rs,
 * at the offending rule's file and line (origin.line; JSON rules have line 0
 * and are named "entry N" after origin.index, as the importer's [N]):
 *
 *  - NACL: an inbound TCP/UDP service (an allow whose ports lie below
 *    32768 and do not cover 1025-5000) whose replies to Linux clients'
 *    ephemeral ports (32768-60999), for the peers it decides for, the
 *    outbound rules do not all allow; an outbound service whose replies to
 *    this host's ephemeral ports the inbound rules do not all allow.
 *    Replies to peers a deny of every port blocks on purpose (a deny
 *    narrower than the service's CIDR) do not count;
 *  - NACL: a rule that never decides anything because one earlier rule of
 *    its direction matches all its packets (a deny after a covering allow,
 *    an allow after a covering deny, or the same action twice);
 *  - NACL and SG: an IPv4 allow for 0.0.0.0/0 without an IPv6 allow of the
 *    same direction covering its protocol and ports, when the ACL (or the
 *    rule's group) has IPv6 rules;
 *  - SSH (tcp 22) or RDP (tcp 3389) open to 0.0.0.0/0 or ::/0: a NACL
 *    TCP service allow from /0 that decides for the port (return ranges and
 *    all-traffic rules are left to the SG), or any inbound SG rule from /0
 *    that covers it;
 *  - SG: a rule another rule of its direction (any group) already allows.
 *
 * Each message names the rule(s) and says what to do. Returns the number of
 * warnings added. Out of memory is reported to d as an error.
 */
size_t rules_lint(const struct ruleset *rs, struct diag *d);

/*
 * The same, also counting the work done (*work: steps of the coverage
 * sweeps, rules the reply checks looked at, boxes of the sets they
 * walked, every comparison of two prefixes), so that a test can catch a check growing quadratically without
 * timing it. Every check is O(n log n) but the ephemeral-reply one, which
 * looks at the rules whose prefix contains or lies in the service's.
 */
size_t rules_lint_work(const struct ruleset *rs, struct diag *d, uint64_t *work);

#endif
