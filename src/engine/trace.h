/*
 * The live trace: one line per judged packet, naming the layer and the rule
 * that decided. Each queue thread writes records into its own lossy ring
 * (single producer, single consumer) only while somebody listens; the
 * control thread drains the rings, formats, filters and writes the lines to
 * the listeners without ever blocking. A full ring or a slow listener loses
 * lines, counted and reported, never slowing the packet path.
 */
#ifndef VPCFW_TRACE_H
#define VPCFW_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "disagree.h"
#include "filter.h"
#include "pkt.h"
#include "policy.h"

enum trace_kind {
	TRACE_JUDGED = 0,	/* went through the layers */
	TRACE_MALFORMED,	/* dropped by the parser (status in `status`) */
	TRACE_UNJUDGED,		/* no direction for its hook: failure policy applied */
};

struct trace_rec {
	uint64_t wall_ms;		/* CLOCK_REALTIME, for the timestamp */
	struct pkt p;
	uint16_t queue;
	uint8_t kind;			/* enum trace_kind */
	uint8_t dir;			/* enum dir */
	uint8_t accept;
	uint8_t layer;			/* enum verdict_layer */
	uint8_t sg_outcome;		/* enum sg_outcome */
	uint8_t flow_state;		/* enum flow_state */
	uint8_t status;			/* enum pkt_status, for TRACE_MALFORMED */
	uint8_t hook;
	uint8_t nacl_allow;
	uint8_t exempt;			/* enum exempt_kind, with VL_INFRA */
	uint8_t same_subnet;		/* the NACL was not consulted */
	uint32_t nacl_number;		/* 0: NACL not consulted */
	int32_t sg_rule;		/* index in the ruleset, -1: none */
	uint64_t serial;		/* policy_serial() of the policy that judged it */
	uint32_t ifindex;		/* in: arrived on, out: leaves by; 0: none (its ENI, eni.h) */
	uint8_t has_shadow;		/* a shadow policy judged it too: sh */
	struct disagree_side sh;	/* the shadow's verdict (shadow.h) */
};

struct trace_ring;

/*
 * The interface a line names (the record's ifindex, resolved by the
 * caller): "[eni veth0]" when an ENI's rules judged it, "[veth1]" otherwise.
 * NULL, or a NULL name: the line names none.
 */
struct trace_iface {
	const char *name;
	bool eni;
};

/* A ring of 2^order records. NULL + errno. */
struct trace_ring *trace_ring_new(unsigned order);
void trace_ring_free(struct trace_ring *r);
/* Producer side (the queue thread): false when full; the record is lost and counted. */
bool trace_ring_push(struct trace_ring *r, const struct trace_rec *rec);
/* Consumer side (the control thread): up to max records, oldest first. */
size_t trace_ring_pop(struct trace_ring *r, struct trace_rec *out, size_t max);
/* Records lost because the ring was full, since the last call (resets). */
uint64_t trace_ring_take_lost(struct trace_ring *r);

/* Does the record pass a trace filter (filter.h, with FILTER_VERDICT)? */
bool trace_match(const struct trace_rec *r, const struct filter *f);

/*
 * One line (with its newline): time, queue, direction, packet, verdict and
 * the explanation. `pol` is the policy in force now: a record judged by
 * another snapshot (another policy_serial()) names its security-group rule
 * by number only.
 */
void trace_format(const struct trace_rec *r, const struct policy *pol,
		  const struct trace_iface *ifc, char *buf, size_t len);

/* Did the shadow's verdict differ from the enforced one (`trace --disagree`)? */
bool trace_disagrees(const struct trace_rec *r);

/*
 * `trace --compare`: the line of trace_format() with both verdicts, each
 * named by the one rule namer (rulename.h), "enforced: ACCEPT sg:flow
 * (tracked reply) / shadow: DROP nacl-out:* deny", the interface, then
 * "  <-- differ" when they differ. shpol is the shadow's policy now (NULL:
 * none); a record judged by no shadow says "shadow: none".
 */
void trace_format_compare(const struct trace_rec *r, const struct policy *pol,
			  const struct policy *shpol, const struct trace_iface *ifc,
			  char *buf, size_t len);

#endif
