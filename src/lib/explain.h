/*
 * `vpcfw explain`: why a packet passes or drops, layer by layer in AWS's
 * order, as Reachability Analyzer would say it but for one packet. The
 * verdict is policy_judge()'s own (the engine's judge, flow table and
 * all); the walk beside it asks each rule why it does not match through
 * nacl_entry_miss() and sg_entry_miss(), the tests the compiled rules are
 * made of, and is checked against the verdict: an explanation that would
 * name another deciding rule than the judge is refused (EPROTO), never
 * printed.
 */
#ifndef VPCFW_EXPLAIN_H
#define VPCFW_EXPLAIN_H

#include <stdio.h>
#include <jansson.h>

#include "policy.h"

/* What one rule did for the packet. */
enum explain_role {
	EXPLAIN_MISS = 0,	/* does not match: see miss */
	EXPLAIN_DECIDED,	/* the rule that decided the layer */
	EXPLAIN_MATCHES,	/* matches, but another decided (SG) or the flow table did */
	EXPLAIN_UNREACHED,	/* after the NACL's deciding rule: never tried */
};

struct explain_row {
	char name[80];		/* rulename.h: "nacl-in:100", "sg-in:sg-web#2" */
	char text[96];		/* the rule: "100 allow tcp 80 0.0.0.0/0" */
	enum explain_role role;
	enum rule_miss miss;
	char why[160];		/* in words */
};

/* How far the packet got into a layer. */
enum explain_reach {
	EXPLAIN_RULES = 0,	/* the layer's rules judged it */
	EXPLAIN_FLOW,		/* SG: the flow table passed it; rules listed for the record */
	EXPLAIN_NOT_REACHED,	/* an earlier layer dropped it */
	EXPLAIN_SAME_SUBNET,	/* NACL: both ends in one --subnet, not consulted */
};

struct explain_layer {
	enum verdict_layer layer;	/* VL_NACL or VL_SG */
	enum dir dir;
	enum explain_reach reach;
	char name[16];			/* "nacl-in", "sg-out" */
	char result[256];		/* what the layer concluded, in words */
	struct explain_row *rows;
	size_t n_rows;
};

#define EXPLAIN_NOTES_MAX 4

struct explain {
	struct pkt p;
	enum dir dir;
	struct verdict v;
	char packet[160];		/* pkt_format() */
	char decision[512];		/* rulename_verdict(), prose: as the trace */
	const char *code;		/* Reachability Analyzer's, NULL when it passes */
	struct explain_layer layers[2];	/* in the order the packet met them */
	size_t n_layers;
	char notes[EXPLAIN_NOTES_MAX][320];
	size_t n_notes;
};

/*
 * Judge the len bytes at pkt (from the IP header) in direction d at time
 * now through pol and ft exactly as the engine does (ft moves: a session
 * of several packets shares it), and explain it into x. 0; -1 with errno
 * EINVAL (not a packet the parser accepts), ENOMEM, or EPROTO (the walk
 * disagrees with the judge: a bug).
 */
int explain_packet(struct explain *x, const struct policy *pol, struct flow_table *ft,
		   const uint8_t *pkt, size_t len, enum dir d, uint64_t now);
/* The same for a capture of caplen bytes of a wirelen-byte packet (vpcfw_judge()'s). */
int explain_capture(struct explain *x, const struct policy *pol, struct flow_table *ft,
		    const uint8_t *pkt, size_t caplen, size_t wirelen, enum dir d,
		    uint64_t now);
void explain_clear(struct explain *x);

/*
 * The caller knows x's packet is a reply (--reply-of): when the network
 * ACL dropped it, say that the ACL is stateless (the judge cannot know
 * it when the ACL decides before any flow table is asked).
 */
void explain_is_reply(struct explain *x);

/* The explanation as text lines, or as one JSON object (a new reference). */
void explain_print(const struct explain *x, FILE *out);
json_t *explain_json(const struct explain *x);

#endif
