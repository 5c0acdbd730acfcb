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
#include "shadow.h"
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
	bool compare;			/* both verdicts on each line (trace --compare) */
	bool disagree;			/* only where the shadow's differs (--disagree) */
	uint64_t lost;			/* lines this listener missed */
};

/* The rule files the engine reads (those of `run`, or of a confirmed `apply`). */
struct file_set {
	char **nacl;
	size_t n_nacl;
	char **sg;
	size_t n_sg;
	/*
	 * `vpcfw apply -`: the copy of the client's standard input (also in
	 * nacl/sg), the set's own: removed when the set is dropped (refused,
	 * rolled back, replaced by a later confirm, the engine's exit).
	 */
	char *stdin_copy;
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

/* The interfaces with connection-tracking settings of their own (--conntrack IFACE=...). */
struct ct_ifaces {
	size_t n;
	struct flow_iface_tmo v[FLOW_IFACE_TMO_MAX];
	/* describe-network-interfaces, by MacAddress: its NetworkInterfaceId, or "". */
	char eni_id[FLOW_IFACE_TMO_MAX][32];
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
	struct shadow *shadow;		/* for the burst in progress; NULL: none */
	uint64_t now;
	uint64_t wall_s;		/* the burst's wall-clock second, for flow logs */
	struct judge_counters c;	/* written by this thread only */
};

struct daemon {
	const struct daemon_cfg *cfg;
	struct pset *pset;		/* RCU: read by queue threads, swapped by reload (eni.h) */
	struct shadow *shadow;		/* RCU, as pset; NULL without a shadow (shadow.h) */
	struct file_set shadow_files;	/* what reload reads for the shadow */
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
	struct flow_params fp;		/* the flow table's, for the shadow's */
	struct ifaddrs *adopt_ifs;	/* while the start's dump adopts (daemon_offload.c) */
	struct ct_ifaces ct_ifs;	/* in force; control thread only (flow-log ids) */
	uint64_t adopted;
	unsigned offload_ticks;
};

/* Bring d->unj up to date; -1 when the steering's counters cannot be read. */
int daemon_unjudged(struct daemon *d);

/* *dst: a NULL-ended copy of the count strings of src (*n of them copied). -1 + errno. */
int daemon_copy_paths(char ***dst, size_t *n, const char *const *src, size_t count);

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
/* How the engine loads fs: regular files only, its --map, quotas and scope. */
void daemon_policy_src(const struct daemon *d, const struct file_set *fs,
		       struct policy_src *src);
/* A load refused: every message to out (the client), a summary without content to the log. */
void daemon_load_report(struct diag *dg, const char *what, FILE *out);
/* The files of an apply request (shadow: without confirm=); -1 with why on out. */
int daemon_parse_apply(const struct daemon *d, char *const *argv, struct file_set *fs,
		       unsigned *secs, bool shadow, FILE *out);
/* SIGHUP: reload with no client to tell; the log says the outcome without file content. */
void daemon_reload_logged(struct daemon *d);
/* The lock-out guard (see guard.h): true when np must be refused. */
bool daemon_guard(const struct pset *np, const char *ssh, bool force, FILE *out);
void daemon_on_apply_timer(struct daemon *d);

/* daemon_diff.c: what np changes against old, as `vpcfw diff` prints it, to out. */
void daemon_print_diff(const struct pset *old, const struct pset *np, FILE *out);

/*
 * The filter words of a request (filter.h; keys: FILTER_*) into f. -1 with
 * why in err when one is bad, holds a space, or they are too long.
 */
int daemon_filter_parse(char *const *w, unsigned keys, struct filter *f,
			char *err, size_t errlen);

/*
 * daemon.c: the flow table's parameters from the configuration: the cap,
 * eviction, and the timeouts of every host --conntrack in order (files
 * read now; an entry of a describe-network-interfaces file whose
 * MacAddress is a local interface's is that interface's); then each
 * interface's: the host's (or its file entry's), with its own --conntrack
 * IFACE= arguments in order on top, its name resolved now (unknown: an
 * error when strict, at start; else logged and left out, at reload). -1
 * with the messages on out (and a summary in the log).
 */
int daemon_flow_params(const struct daemon_cfg *c, struct flow_params *fp,
		       struct ct_ifaces *ifs, bool strict, FILE *out);
/*
 * daemon.c: fp's and ifs's timeouts in force: the flow table's and, with
 * --offload, the kernel's (the host's only: the kernel has no per-interface
 * ones, and --offload refuses --conntrack IFACE=).
 */
void daemon_timeouts_apply(struct daemon *d, const struct flow_params *fp,
			   const struct ct_ifaces *ifs);

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

/* daemon_shadow.c: the shadow policy (shadow.h) on the control thread. */
bool daemon_shadow_files(const struct daemon *d);	/* any shadow file to read? */
/* Load fs as the shadow's policy; NULL with the messages on out (daemon_load_report). */
struct policy *daemon_shadow_load(struct daemon *d, const struct file_set *fs,
				  const char *what, FILE *out);
/* Put pol in the shadow (taken, also on failure); -1 + errno when out of memory. */
int daemon_shadow_put(struct daemon *d, struct policy *pol);
/* At start: the shadow of --shadow-nacl/--shadow-sg, if any. An EXIT_* code. */
int daemon_shadow_setup(struct daemon *d);
/* `apply shadow ...`: the files into the shadow now, nothing enforced changes. */
int daemon_apply_shadow(struct daemon *d, char *const *argv, FILE *out);
/* `show rules shadow [json]`. */
int daemon_shadow_rules(struct daemon *d, enum show_format fmt, FILE *out);
/* The shadow's comparison, named under ps (the enforced set in force). */
void daemon_shadow_show(struct daemon *d, const struct pset *ps, struct show_shadow *ss);
/* The timer: expire the shadow's flows, as the enforced ones. */
void daemon_shadow_tick(struct daemon *d);
void daemon_shadow_close(struct daemon *d);

/* daemon_trace.c */
void daemon_ctl_trace(void *ctx, char *const *argv, int fd);
void daemon_on_trace_timer(struct daemon *d);
/* Every line the queue threads left in their rings, to the listeners (also at teardown). */
void daemon_trace_pump(struct daemon *d);
int daemon_tracer_find(const struct daemon *d, int fd);
void daemon_on_tracer_event(struct daemon *d, int i);
void daemon_tracer_remove(struct daemon *d, int i);

#endif
