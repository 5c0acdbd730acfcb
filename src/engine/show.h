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
#include "flow.h"
#include "pkt.h"
#include "policy.h"
#include "queue.h"

/* What a queue thread counts beyond the queue's own I/O counters. */
struct judge_counters {
	uint64_t malformed[PKT_STATUS_MAX];
	uint64_t internal_errors;	/* no direction for the hook: failure policy applied */
	uint64_t infra;
	uint64_t nacl_drops;
	uint64_t sg_drops;
	uint64_t table_full;
	uint64_t flow_hits;
	uint64_t new_flows;
	uint64_t untracked;
};

struct show_queue {
	uint16_t num;
	struct queue_stats qs;
	struct queue_kernel_stats ks;
	struct judge_counters jc;
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
};

enum show_format { SHOW_TEXT, SHOW_JSON, SHOW_PROMETHEUS };

/* A filter for the flow listing; zero fields match everything. */
struct show_flow_filter {
	int proto;		/* -1: any */
	bool have_addr;
	struct cidr addr;	/* either end inside it */
	int port;		/* -1: any; either end */
};

/* Parse "proto=tcp addr=10.0.0.0/8 port=80" (the words after `show flows`). -1 on a bad word. */
int show_flow_filter_parse(struct show_flow_filter *f, const char *args);

void show_stats(const struct show_engine *e, const struct policy *pol,
		enum show_format fmt, FILE *out);
void show_rules(const struct policy *pol, enum show_format fmt, FILE *out);
int show_flows(struct flow_table *ft, const struct policy *pol, uint64_t now,
	       const struct show_flow_filter *f, enum show_format fmt, FILE *out);

#endif
