/*
 * One name for "the rule that decided" a packet, the same in traces and
 * --log-drops, flow logs (decided-by), `show flows` and the lock-out guard.
 * A rule's name is one word:
 *
 *   nacl-in:100       NACL entry 100 of the inbound direction
 *   nacl-out:*        the NACL's catch-all deny of that direction ('*')
 *   sg-in:sg-0abc#2   security-group rule 2 (its position in the rules, as
 *                     `show rules` numbers them), of group sg-0abc
 *   sg-in:#2          rule 2 of rules since reloaded (its group unknown)
 *   sg-in:rule        a rule, not named (no policy was given to name it)
 *   sg:flow           a packet of a tracked flow, either direction
 *   sg-in:none        no security-group rule allows it (their default deny)
 *   sg-out:full       a rule allows it but the flow table is full
 *   exempt:KIND       traffic AWS never filters (exempt.h), KIND one of nd,
 *                     dhcp, link-local, aws-ipv6, reserved
 *   nacl-in:subnet    the NACL was not consulted: both ends in one --subnet
 *
 * Group ids are written as the rules give them (a local name may hold a
 * space; the flow log makes it one field). A decision is the chain of the
 * layers the packet met, in AWS's order for its direction, joined by ","
 * ("nacl-in:100,sg-in:sg-0abc#2", "sg:flow,nacl-out:*"); the last one
 * decided. In prose, each name is followed by what it did:
 *   "nacl-in:100 allow, then sg-in:sg-0abc#2 (new tracked flow)"
 *   "sg:flow (tracked reply), then nacl-out:* deny"
 */
#ifndef VPCFW_RULENAME_H
#define VPCFW_RULENAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "policy.h"

/*
 * What decided a packet, as a verdict says it or as a trace record keeps it
 * (after its policy may have been replaced).
 */
struct rule_decision {
	enum verdict_layer layer;
	enum dir dir;
	uint32_t nacl_number;	/* 0: the NACL was not consulted; above NACL_RULE_MAX: '*' */
	bool nacl_allow;
	const struct nacl_entry *nacl;	/* for its origin; NULL: not known */
	enum sg_outcome sg_outcome;
	long sg_rule;		/* index in rs->sg, -1: none */
	const struct ruleset *rs;	/* holds sg_rule; NULL: rules since reloaded */
	enum exempt_kind exempt;	/* with VL_INFRA */
	bool same_subnet;	/* the NACL was not consulted (nacl_number is 0) */
};

/* The decision v made for a packet judged in direction d under pol. */
void rule_decision_of(struct rule_decision *rd, const struct policy *pol,
		      const struct verdict *v, enum dir d);

enum {
	RULENAME_PROSE = 1 << 0,	/* each name with what it did; ", then " between */
	RULENAME_ORIGIN = 1 << 1,	/* prose: each rule's file:line (or file, entry N) */
	RULENAME_DECIDER = 1 << 2,	/* only the layer that decided, not those passed */
};

/*
 * Write the decision into buf (cut to len, always NUL-terminated when
 * len > 0; names are never cut when they fit whole) and return buf. flags:
 * RULENAME_*. An empty string when no layer took part.
 */
const char *rulename_decision(const struct rule_decision *rd, unsigned flags,
			      char *buf, size_t len);

/* rule_decision_of() then rulename_decision(). */
const char *rulename_verdict(const struct policy *pol, const struct verdict *v,
			     enum dir d, unsigned flags, char *buf, size_t len);

/*
 * The name of security-group rule i of rs for a flow whose first packet went
 * in direction d ("sg-in:sg-0abc#2"); rs NULL (or i out of its range): the
 * rules were since reloaded ("sg-in:#2").
 */
const char *rulename_sg(const struct ruleset *rs, enum dir d, size_t i,
			char *buf, size_t len);

#endif
