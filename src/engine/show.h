/*
 * What `vpcfw status` and `vpcfw show` print: the engine's counters, the
 * rules with the packets each decided, the tracked flows, and the same as
 * JSON (stable field names) or Prometheus text. The daemon fills a snapshot;
 * this module only renders.
 */
#ifndef VPCFW_SHOW_H
#define VPCFW_SHOW_H

#include <stdbool.h>
#include <stdio.h>
#include "addr.h"
#include "filter.h"
#include "flow.h"
#include "pkt.h"
#include "policy.h"
#include "queue.h"

/* Interfaces a queue thread counts packets of, each its own (first come). */
#define JC_IFACES 16

/* Judged packets of one interface; all uint64_t, as the snapshot copies them. */
struct jc_iface {
	uint64_t ifindex;	/* 0: a free slot */
	uint64_t accepted, dropped;
};

/* What a queue thread counts beyond the queue's own I/O counters. */
struct judge_counters {
	uint64_t malformed[PKT_STATUS_MAX];
	uint64_t internal_errors;	/* no direction for the hook: failure policy applied */
	uint64_t exempt[EXEMPT_MAX];	/* by kind; [EXEMPT_NONE] stays 0 */
	uint64_t same_subnet;		/* NACL not consulted: both ends in one --subnet */
	uint64_t nacl_drops;
	uint64_t sg_drops;
	uint64_t table_full;
	uint64_t flow_hits;
	uint64_t new_flows;
	uint64_t untracked;
	struct jc_iface iface[JC_IFACES];	/* per interface (ENI or not) */
	uint64_t iface_uncounted;	/* judged packets of interfaces beyond JC_IFACES */
};

struct show_queue {
	uint16_t num;
	struct queue_stats qs;
	struct queue_kernel_stats ks;
	struct judge_counters jc;
};

/* The shadow policy's comparison with the enforced one (shadow.h), named. */
#define SHOW_SHADOW_PAIRS 8
struct show_shadow_pair {
	char enforced[96], shadow[96];	/* each side's deciding rule (rulename.h) */
	uint64_t packets;
};

struct show_shadow {
	const struct policy *pol;	/* NULL: no shadow policy */
	uint64_t judged;
	uint64_t disagree[2];		/* by enum dir */
	uint64_t other;			/* of pairs past the tally's room */
	size_t n_pairs;			/* most packets first */
	struct show_shadow_pair pair[SHOW_SHADOW_PAIRS];
};

struct show_engine {
	int pid;
	uint64_t uptime_s;
	bool fail_closed;
	uint64_t generation;
	uint64_t reloads_ok, reloads_failed;
	struct flow_stats fs;
	int tracers;		/* `vpcfw trace` listeners attached */
	bool bypass_known;	/* the steering's counters could be read */
	uint64_t bypassed;	/* packets that met the queue and got no verdict of ours */
	size_t nq;
	struct show_queue *q;
	struct show_shadow shadow;
};

enum show_format { SHOW_TEXT, SHOW_JSON, SHOW_PROMETHEUS };

struct pset;

void show_stats(const struct show_engine *e, const struct policy *pol,
		enum show_format fmt, FILE *out);
void show_rules(const struct policy *pol, enum show_format fmt, FILE *out);
/*
 * The flows f lets through (filter.h: proto, addr, port, iface; its verdict
 * is ignored), each with its interface and the rule of its interface's
 * policy in ps that opened it.
 */
int show_flows(struct flow_table *ft, const struct pset *ps, uint64_t now,
	       const struct filter *f, enum show_format fmt, FILE *out);
/* How many of those flows there are in each state (`show flows summary`). */
int show_flows_summary(struct flow_table *ft, uint64_t now, const struct filter *f,
		       enum show_format fmt, FILE *out);

#endif
