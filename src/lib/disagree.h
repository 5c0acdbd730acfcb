/*
 * The disagreement tally of a shadow policy: the packets on which the
 * enforced verdict and the shadow's differed, by direction and by the pair
 * of rules that decided them ("sg:flow vs nacl-out:*"). One writer (a queue
 * thread) and any number of readers (the control thread): a slot is
 * published whole before it is counted, counters are read and written
 * atomically, never torn. Fixed room: pairs past DISAGREE_SLOTS distinct
 * ones are counted in `other`, so the packet path never allocates.
 */
#ifndef VPCFW_DISAGREE_H
#define VPCFW_DISAGREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "policy.h"

/* The decider of one verdict, compact and comparable byte for byte. */
struct disagree_side {
	uint64_t serial;	/* policy_serial() of the policy that judged */
	uint32_t nacl_number;	/* 0: NACL not consulted */
	int32_t sg_rule;	/* index in the policy's ruleset, -1: none */
	uint8_t accept;
	uint8_t layer;		/* enum verdict_layer */
	uint8_t sg_outcome;	/* enum sg_outcome */
	uint8_t nacl_allow;
	uint8_t exempt;		/* enum exempt_kind */
	uint8_t same_subnet;
	uint8_t pad[2];
};

struct disagree_key {
	struct disagree_side enforced, shadow;
	uint8_t dir;		/* enum dir */
	uint8_t pad[7];
};

#define DISAGREE_SLOTS 64

struct disagree_slot {
	struct disagree_key key;
	uint64_t n;
	uint32_t used;		/* published (release) once key is written */
	uint32_t pad;
};

struct disagree_tally {
	uint64_t dir[2];	/* disagreements by enum dir */
	uint64_t other;		/* of pairs that found no free slot */
	struct disagree_slot slot[DISAGREE_SLOTS];
};

/* The side of verdict v, judged by pol (whose ruleset holds v->sg). */
void disagree_side_of(struct disagree_side *s, const struct policy *pol,
		      const struct verdict *v);

/*
 * Writer: count one packet whose two verdicts are e (enforced) and s
 * (shadow), judged in direction d, if they differ in accept. Returns true
 * when they differ.
 */
bool disagree_count(struct disagree_tally *t, const struct disagree_side *e,
		    const struct disagree_side *s, enum dir d);

/* Reader: add what src holds now into dst (a private copy). */
void disagree_merge(struct disagree_tally *dst, const struct disagree_tally *src);

/*
 * Reader, on a private copy: up to max slots of t, most packets first (ties
 * in slot order). Returns how many were written to out.
 */
size_t disagree_top(const struct disagree_tally *t, const struct disagree_slot **out,
		    size_t max);

/*
 * One side's rules through the one rule namer (rulename.h, RULENAME_*
 * flags), for a packet judged in direction d. pol is the policy that judges
 * now: a side judged by another one names its SG rule by number only.
 * Returns buf.
 */
const char *disagree_side_name(const struct disagree_side *s, enum dir d,
			       const struct policy *pol, unsigned flags,
			       char *buf, size_t len);

/*
 * "sg:flow vs nacl-out:*": each side's deciding rule, through the one rule
 * namer (rulename.h). epol and spol are the enforced and shadow policies
 * now: a side judged by another one names its SG rule by number only.
 * Returns buf.
 */
const char *disagree_pair_name(const struct disagree_key *k, const struct policy *epol,
			       const struct policy *spol, char *buf, size_t len);

#endif
