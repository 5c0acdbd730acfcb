/*
 * The engine's internals, shared by its files: daemon.c (life cycle, the
 * control thread's loop), daemon_judge.c (the queue threads),
 * daemon_ctl.c (control-socket requests) and daemon_trace.c (trace
 * listeners). Not part of any interface.
 */
#ifndef VPCFW_DAEMON_INT_H
#define VPCFW_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "ctl.h"
#include "daemon.h"
#include "flow.h"
#include "flowlog.h"
#include "eni.h"
#include "policy.h"
#include "queue.h"
#include "show.h"
#include "trace.h"

#define EXPIRE_INTERVAL_S 1
/* Every bucket is visited about once per this many seconds. */
#define EXPIRE_SWEEP_S 10
/* How often the steering's counters are read for packets passed unjudged. */
#define UNJUDGED_CHECK_S 5

#define MAX_TRACERS 8
#define TRACE_RING_ORDER 12		/* 4096 records per queue thread */
#define TRACE_TICK_MS 50

struct tracer {
	int fd;
	struct filter f;
	uint64_t lost;			/* lines this listener missed */
};

/* The rule files the engine reads (those of `run`, or of a confirmed `apply`). */
struct file_set {
	char **nacl;
	size_t n_nacl;
	char **sg;
	size_t n_sg;
};

/*
 * Packets that met our queue rules and got no verdict of ours (the kernel
 * passed them, fail-open, or dropped them, fail-closed, because the queue
 * was full, delivery to our socket failed, or no engine was bound): the
 * steering rules' counters against what we received. Control thread only.
 */
struct unjudged {
	bool known;		/* the steering is `vpcfw steer`'s for our queues */
	bool seen_once;
	uint64_t base;		/* rule counter when counting began */
	uint64_t recv_base;	/* packets we had received then */
	uint64_t prior;		/* counted before the steering was replaced */
	uint64_t last_hits, last_recv;
	uint64_t value;		/* the latest count */
	uint64_t warned;	/* the count the last warning covered */
	unsigned ticks;
};

struct daemon;
struct ctevent;

struct qthread {
	struct daemon *d;
	struct queue *q;
	struct trace_ring *ring;	/* written only while someone traces */
	pthread_t tid;
	bool started;
	const struct pset *pset;	/* for the burst in progress */
	const struct policy *pol;	/* for the packet in progress: its interface's */
	uint64_t now;
	uint64_t wall_s;		/* the burst's wall-clock second, for flow logs */
	struct judge_counters c;	/* written by this thread only */
};

struct daemon {
	const struct daemon_cfg *cfg;
	struct pset *pset;		/* RCU: read by queue threads, swapped by reload (eni.h) */
	struct flow_table *flows;
	struct qthread *qt;
	size_t nq;
	unsigned inside_ifindex;
	int ctl_fd, sig_fd, timer_fd, fail_fd, ep_fd;
	struct ctl_server *ctl;		/* the control connections */
	bool stop;			/* atomic */
	int exit_code;
	uint64_t started_ms;
	/*
	 * The rules' generation (status, notify, logs): 1 for the rules `run`
	 * started with, one more each time reload, apply or an apply's
	 * rollback puts rules in force. Not policy_serial().
	 */
	uint32_t generation;
	uint64_t reloads_ok, reloads_failed;
	time_t loaded_at;
	/* Trace listeners: the control thread owns the list; queue threads read n_tracers. */
	struct tracer tracers[MAX_TRACERS];
	int n_tracers;			/* atomic */
	int trace_timer_fd;
	struct file_set files;		/* what reload reads */
	/* A pending `apply --confirm`: the rules to go back to, and their files. */
	struct pset *rollback_policy;
	struct file_set apply_files;
	int apply_timer_fd;
	struct flowlog *flowlog;	/* NULL without --flow-log */
	struct unjudged unj;
	struct ctevent *ctev;		/* --offload: the kernel's conntrack events */
	struct ifaddrs *adopt_ifs;	/* while the start's dump adopts (daemon_offload.c) */
	uint64_t adopted;
	unsigned offload_ticks;
};

/* Bring d->unj up to date; -1 when the steering's counters cannot be read. */
int daemon_unjudged(struct daemon *d);

/* Free the strings and arrays of a file set and empty it. */
void file_set_clear(struct file_set *fs);


/* Counters written by one thread and read by others: no torn or lost values. */
static inline void count(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

static inline uint64_t rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* daemon_judge.c: the body of each queue thread. */
void *qthread_main(void *arg);

/* daemon_ctl.c */
extern const struct ctl_cmd daemon_ctl_cmds[];
extern const size_t daemon_n_ctl_cmds;
struct pset *daemon_load_policy(struct daemon *d, const struct file_set *fs,
				  struct diag *dg);
/* SIGHUP: reload with no client to tell; the log says the outcome without file content. */
void daemon_reload_logged(struct daemon *d);
/* The lock-out guard (see guard.h): true when np must be refused. */
bool daemon_guard(const struct pset *np, const char *ssh, bool force, FILE *out);
void daemon_on_apply_timer(struct daemon *d);

/*
 * The filter words of a request (filter.h; keys: FILTER_*) into f. -1 with
 * why in err when one is bad, holds a space, or they are too long.
 */
int daemon_filter_parse(char *const *w, unsigned keys, struct filter *f,
			char *err, size_t errlen);
/*
 * daemon.c: the flow table's parameters from the configuration: the cap,
 * eviction, and the timeouts of every --conntrack in order (files read
 * now). -1 with the messages on out (and a summary in the log).
 */
int daemon_flow_params(const struct daemon_cfg *c, struct flow_params *fp, FILE *out);
/* daemon.c: fp's timeouts in force: the flow table's and, with --offload, the kernel's. */
void daemon_timeouts_apply(struct daemon *d, const struct flow_params *fp);

/* daemon_offload.c: --offload (a no-op without it) */
int daemon_offload_open(struct daemon *d, const struct flow_params *fp);
/* The kernel's conntrack timeouts from fp (a no-op without --offload). */
void daemon_offload_tune(struct daemon *d, const struct flow_params *fp);
int daemon_offload_fd(const struct daemon *d);	/* -1 without --offload */
void daemon_on_ctevent(struct daemon *d);
void daemon_offload_tick(struct daemon *d);
/* The kernel's word on every offloaded flow now (states, counters, ends), for `show flows`. */
void daemon_offload_refresh(struct daemon *d);
void daemon_offload_close(struct daemon *d);

/* daemon_trace.c */
void daemon_ctl_trace(void *ctx, char *const *argv, int fd);
void daemon_on_trace_timer(struct daemon *d);
/* Every line the queue threads left in their rings, to the listeners (also at teardown). */
void daemon_trace_pump(struct daemon *d);
int daemon_tracer_find(const struct daemon *d, int fd);
void daemon_on_tracer_event(struct daemon *d, int i);
void daemon_tracer_remove(struct daemon *d, int i);

#endif
