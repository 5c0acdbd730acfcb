/*
 * The compiled security groups: allow-only, the union of every group's rules,
 * and AWS's tracked/untracked decision. Immutable once built.
 */
#ifndef VPCFW_SG_H
#define VPCFW_SG_H

#include <stdbool.h>
#include "common.h"
#include "pkt.h"
#include "ruleset.h"

struct sg;

enum sg_match {
	SG_DENY = 0,		/* no rule of direction d allows the packet */
	SG_ALLOW_TRACKED,	/* allowed; the flow it starts is tracked */
	SG_ALLOW_UNTRACKED,	/* allowed; AWS leaves it untracked: judge every packet */
};

/* Compile rs's security-group rules (any number, possibly none). NULL + errno ENOMEM. */
struct sg *sg_compile(const struct ruleset *rs);
void sg_free(struct sg *s);

/*
 * Judge packet p in direction d against the rules of that direction.
 * *rule (may be NULL) receives the allowing rule: for an untracked match,
 * a rule whose peer is 0.0.0.0/0 or ::/0.
 *
 * Untracked (AWS): TCP or UDP, allowed in direction d by a rule whose peer
 * is 0.0.0.0/0 (::/0 for IPv6), while some rule of the other direction allows
 * the same family to/from 0.0.0.0/0 (::/0) on every port of that protocol
 * (protocol -1, or the protocol with 0-65535). ICMP is always tracked.
 * The predicate belongs to the flow, not to one packet: a packet is also
 * untracked when direction d is open that way (a /0 rule of d covering every
 * port) and p turned round (addresses and ports swapped) is allowed in the
 * other direction by a /0 rule, i.e. p may be the reply of an untracked flow
 * started the other way; *rule is then d's open rule. A TCP SYN without ACK
 * starts a flow in its own direction and never counts as such a reply.
 * Without this the first reply of an untracked flow would start a tracked
 * flow, and the connection would outlive the removal of its rule.
 */
enum sg_match sg_eval(const struct sg *s, enum dir d, const struct pkt *p,
		      const struct sg_entry **rule);

/* Does entry e allow packet p in direction d (family, peer, protocol, ports/types)? */
bool sg_entry_matches(const struct sg_entry *e, enum dir d, const struct pkt *p);
/* Why it does not (RULE_MATCH when it does): the one test behind both. */
enum rule_miss sg_entry_miss(const struct sg_entry *e, enum dir d, const struct pkt *p);

/* Rules of one direction, in file order, for listing. */
size_t sg_count(const struct sg *s, enum dir d);
const struct sg_entry *sg_rule(const struct sg *s, enum dir d, size_t i);

#endif
