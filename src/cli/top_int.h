/*
 * vpcfw top, inside: top_engine.c asks the engine (a sample of its counters
 * every interval, the stream of its drops in between), top_view.c turns two
 * samples into the lines of one view, top.c paints them or prints them and
 * runs the loop. The pure arithmetic is in top_model.h.
 */
#ifndef VPCFW_TOP_INT_H
#define VPCFW_TOP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "top_model.h"

#define U(x) ((unsigned long long)(x))

/* A sample request waits this long for the engine, then gives up (exit 4). */
#define TOP_REQUEST_MS 5000
#define TOP_DROPS 32		/* newest drops kept */
#define TOP_LINE 512
#define TOP_STATES 16

/* One sample of the engine's counters (show stats, show rules, flows by state). */
struct top_sample {
	uint64_t at_ms;
	uint64_t pid, generation, uptime_s;
	uint64_t received, accepted, dropped;
	uint64_t nacl_drop, sg_drop, table_full, infra;
	uint64_t sg_new, sg_flow, sg_untracked;
	uint64_t nacl_allow;		/* the NACL's allow rules, summed */
	uint64_t allowance_available, allowance_exceeded, flows, cap;
	uint64_t state[TOP_STATES];	/* flows by state, in by_state's order */
	char state_name[TOP_STATES][16];
	size_t n_states;
	struct top_rule *rules;		/* owned: top_sample_clear frees */
	size_t n_rules;
};

/* Why the engine could not be asked: printed once, top exits with status. */
struct top_fail {
	int status;		/* exitcode.h */
	char why[256];
};

/* Ask the engine at path for a sample (s is overwritten); -1 with f filled. */
int top_sample_take(const char *path, struct top_sample *s, struct top_fail *f);
void top_sample_clear(struct top_sample *s);

/* The newest drops, from a `trace verdict=drop` stream. */
struct top_drops {
	int fd;			/* -1: not following */
	char why[128];		/* why not, when fd is -1 */
	char buf[4096];
	size_t have;
	char line[TOP_DROPS][TOP_LINE];	/* ring of the newest, short form */
	size_t n;		/* lines ever kept */
	size_t shown;		/* n when the last block was printed (batch) */
	uint64_t lost;		/* lines the engine could not send us */
	bool ended;		/* the engine closed the stream */
};

/* Follow the drops (d->fd), or say in d->why why not. */
void top_drops_open(struct top_drops *d, const char *path);
/* Take what the stream has now; false (fd closed, d->ended) when the engine closed it. */
bool top_drops_read(struct top_drops *d);

struct top {
	const char *path;
	uint64_t interval_ms;
	struct top_sample prev, cur;
	struct top_drops drops;
	bool batch;		/* plain blocks, not a screen */
};

/* The lines of one view: at most max, each cut to width columns. */
struct top_view {
	char (*l)[TOP_LINE];
	size_t n, max;
	size_t width;
};

/* Everything of the interval between t->prev and t->cur, into v. */
void top_view_build(struct top_view *v, struct top *t);
/* Before the second sample: no rates yet, a line that says so. */
void top_view_waiting(struct top_view *v, const struct top *t);

#endif
