/*
 * The engine's lifecycle. The control thread (this one) owns the control
 * socket, the signals and the timers; one thread per queue owns its socket
 * and judges its packets with no lock of its own: the policy is read under
 * RCU, the flow table locks its stripes.
 */
#include <errno.h>
#include <sys/socket.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <urcu/urcu-memb.h>

#include "ctl.h"
#include "daemon.h"
#include "flow.h"
#include "log.h"
#include "pkt.h"
#include "policy.h"
#include "queue.h"
#include "show.h"
#include "trace.h"

#define EXPIRE_INTERVAL_S 1
/* Every bucket is visited about once per this many seconds. */
#define EXPIRE_SWEEP_S 10

#define MAX_TRACERS 8
#define TRACE_RING_ORDER 12		/* 4096 records per queue thread */
#define TRACE_TICK_MS 50

struct tracer {
	int fd;
	struct trace_filter f;
	uint64_t lost;			/* lines this listener missed */
};

struct daemon;

struct qthread {
	struct daemon *d;
	struct queue *q;
	struct trace_ring *ring;	/* written only while someone traces */
	pthread_t tid;
	bool started;
	const struct policy *pol;	/* for the burst in progress */
	uint64_t now;
	struct judge_counters c;	/* written by this thread only */
};

struct daemon {
	const struct daemon_cfg *cfg;
	struct policy *policy;		/* RCU: read by queue threads, swapped by reload */
	struct flow_table *flows;
	struct qthread *qt;
	size_t nq;
	unsigned inside_ifindex;
	int ctl_fd, sig_fd, timer_fd, fail_fd, ep_fd;
	bool stop;			/* atomic */
	int exit_code;
	uint64_t started_ms;
	uint32_t generation;
	uint64_t reloads_ok, reloads_failed;
	time_t loaded_at;
	/* Trace listeners: the control thread owns the list; queue threads read n_tracers. */
	struct tracer tracers[MAX_TRACERS];
	int n_tracers;			/* atomic */
	int trace_timer_fd;
};

static void count(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

static uint64_t rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/*
 * The verdict for a packet the engine cannot judge (a hook it has no
 * direction for): the failure policy decides, as it does in the kernel.
 */
static uint32_t error_verdict(struct qthread *t)
{
	count(&t->c.internal_errors);
	return t->d->cfg->fail_closed ? NF_DROP : NF_ACCEPT;
}

static int hook_direction(const struct daemon *d, const struct queue_pkt *qp,
			  enum dir *dir)
{
	switch (qp->hook) {
	case NF_INET_PRE_ROUTING:
	case NF_INET_LOCAL_IN:
		*dir = DIR_IN;
		return 0;
	case NF_INET_LOCAL_OUT:
	case NF_INET_POST_ROUTING:
		*dir = DIR_OUT;
		return 0;
	case NF_INET_FORWARD:
		/* Subnet-boundary mode: towards --inside is entering the subnet. */
		if (!d->inside_ifindex)
			return -1;
		if (qp->outdev == d->inside_ifindex)
			*dir = DIR_IN;
		else if (qp->indev == d->inside_ifindex)
			*dir = DIR_OUT;
		else
			return -1;
		return 0;
	}
	return -1;
}

static void account(struct qthread *t, const struct verdict *v)
{
	switch (v->sg_outcome) {
	case SGO_FLOW_ORIG:
	case SGO_FLOW_REPLY:
		count(&t->c.flow_hits);
		break;
	case SGO_NEW_TRACKED:
		count(&t->c.new_flows);
		break;
	case SGO_UNTRACKED:
		count(&t->c.untracked);
		break;
	default:
		break;
	}
	if (v->layer == VL_INFRA)
		count(&t->c.infra);
	if (v->accept)
		return;
	if (v->layer == VL_NACL)
		count(&t->c.nacl_drops);
	else if (v->sg_outcome == SGO_TABLE_FULL)
		count(&t->c.table_full);
	else
		count(&t->c.sg_drops);
}

static struct log_ratelimit malformed_rl = LOG_RATELIMIT_INIT(5000, 5);

/* Only called while someone listens: the cost when nobody does is one load. */
static void trace_record(struct qthread *t, const struct queue_pkt *qp,
			 const struct pkt *p, enum dir dir, enum trace_kind kind,
			 enum pkt_status st, const struct verdict *v, uint32_t nf)
{
	struct timespec ts;
	struct trace_rec r;

	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	r.wall_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (p)
		r.p = *p;
	r.queue = queue_num(t->q);
	r.kind = (uint8_t)kind;
	r.dir = (uint8_t)dir;
	r.accept = nf == NF_ACCEPT;
	r.status = (uint8_t)st;
	r.hook = qp->hook;
	r.sg_rule = -1;
	if (v) {
		const struct ruleset *rs = policy_ruleset(t->pol);

		r.layer = (uint8_t)v->layer;
		r.sg_outcome = (uint8_t)v->sg_outcome;
		r.flow_state = (uint8_t)v->flow_state;
		r.nacl_number = v->nacl ? v->nacl->number : 0;
		r.nacl_allow = v->nacl && v->nacl->allow;
		r.sg_rule = v->sg ? (int32_t)(v->sg - rs->sg) : -1;
		r.generation = policy_generation(t->pol);
	}
	trace_ring_push(t->ring, &r);
}

static bool tracing(const struct qthread *t)
{
	return __atomic_load_n(&t->d->n_tracers, __ATOMIC_RELAXED) > 0;
}

static uint32_t qthread_judge(void *ctx, const struct queue_pkt *qp)
{
	struct qthread *t = ctx;
	enum pkt_status st;
	struct verdict v;
	struct pkt p;
	enum dir dir;
	uint32_t nf;

	if (hook_direction(t->d, qp, &dir) < 0) {
		nf = error_verdict(t);
		if (tracing(t))
			trace_record(t, qp, NULL, DIR_IN, TRACE_UNJUDGED, PKT_OK, NULL, nf);
		return nf;
	}
	st = pkt_parse(&p, qp->data, qp->caplen, qp->wirelen);
	/* The link layer's word for the family must agree with the header's. */
	if (st == PKT_OK && qp->hw_proto &&
	    qp->hw_proto != (p.family == AF_INET ? ETH_P_IP : ETH_P_IPV6))
		st = PKT_ERR_VERSION;
	if (st != PKT_OK) {
		/* A VPC delivers no malformed packet: drop it, count it, say so. */
		count(&t->c.malformed[st]);
		log_limited(&malformed_rl, LOG_LVL_INFO,
			    "queue %u: dropped a malformed %s packet (%s)",
			    queue_num(t->q), dir_name(dir), pkt_status_name(st));
		if (tracing(t))
			trace_record(t, qp, &p, dir, TRACE_MALFORMED, st, NULL, NF_DROP);
		return NF_DROP;
	}
	policy_judge(t->pol, t->d->flows, &p, dir, t->now, &v);
	account(t, &v);
	nf = v.accept ? NF_ACCEPT : NF_DROP;
	if (tracing(t))
		trace_record(t, qp, &p, dir, TRACE_JUDGED, st, &v, nf);
	return nf;
}

static void qthread_burst_begin(void *ctx)
{
	struct qthread *t = ctx;

	/* One policy generation judges the whole burst. */
	urcu_memb_read_lock();
	t->pol = rcu_dereference(t->d->policy);
	t->now = now_ms();
}

static void qthread_burst_end(void *ctx)
{
	struct qthread *t = ctx;

	t->pol = NULL;
	urcu_memb_read_unlock();
}

static void *qthread_main(void *arg)
{
	struct qthread *t = arg;
	const struct queue_handler h = {
		.burst_begin = qthread_burst_begin,
		.judge = qthread_judge,
		.burst_end = qthread_burst_end,
		.ctx = t,
	};
	uint64_t one = 1;

	urcu_memb_register_thread();
	while (!__atomic_load_n(&t->d->stop, __ATOMIC_ACQUIRE)) {
		if (queue_process(t->q, &h, true) < 0) {
			log_err("queue %u: receive failed: %s; stopping",
				queue_num(t->q), strerror(errno));
			if (write(t->d->fail_fd, &one, sizeof(one)) < 0)
				abort();
			break;
		}
	}
	/* Shutdown: no new packets into the queue, then judge what is there. */
	queue_stop_intake(t->q);
	while (queue_process(t->q, &h, false) > 0)
		;
	urcu_memb_unregister_thread();
	return NULL;
}

static struct policy *load_policy(const struct daemon_cfg *c, struct diag *dg)
{
	const struct policy_src src = {
		.nacl_files = c->nacl_files, .n_nacl = c->n_nacl,
		.sg_files = c->sg_files, .n_sg = c->n_sg,
		.map = &c->map,
	};

	return policy_load(&src, dg);
}

static int do_reload(struct daemon *d, FILE *out)
{
	struct diag *dg = diag_new();
	struct policy *np, *old;

	if (!dg)
		return -1;
	np = load_policy(d->cfg, dg);
	if (!np) {
		diag_print(dg, out);
		if (out != stderr)
			diag_print(dg, stderr);
		diag_free(dg);
		d->reloads_failed++;
		log_err("reload refused: the rules in force stay (generation %u)",
			d->generation);
		return -1;
	}
	diag_free(dg);
	old = rcu_xchg_pointer(&d->policy, np);
	/* After this, every burst judged by the old rules has finished. */
	urcu_memb_synchronize_rcu();
	policy_free(old);
	d->generation++;
	d->reloads_ok++;
	d->loaded_at = time(NULL);
	log_info("reload: new rules in force (generation %u)", d->generation);
	fprintf(out, "new rules in force (generation %u)\n", d->generation);
	return 0;
}

static int ctl_reload(void *ctx, const char *args, FILE *out)
{
	return do_reload(ctx, out);
}

static void snapshot_counters(const struct judge_counters *c, struct judge_counters *o)
{
	const uint64_t *src = (const uint64_t *)c;
	uint64_t *dst = (uint64_t *)o;
	size_t i;

	for (i = 0; i < sizeof(*o) / sizeof(uint64_t); i++)
		dst[i] = rd(&src[i]);
}

/* A copy of every counter, for rendering outside the packet path's way. */
static int engine_snapshot(const struct daemon *d, struct show_engine *e)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->q = calloc(d->nq, sizeof(*e->q));
	if (!e->q)
		return -1;
	e->pid = (int)getpid();
	e->uptime_s = (now_ms() - d->started_ms) / 1000;
	e->fail_closed = d->cfg->fail_closed;
	e->generation = d->generation;
	e->reloads_ok = d->reloads_ok;
	e->reloads_failed = d->reloads_failed;
	flow_table_stats(d->flows, &e->fs);
	e->tracers = d->n_tracers;
	e->nq = d->nq;
	for (i = 0; i < d->nq; i++) {
		struct show_queue *q = &e->q[i];

		q->num = queue_num(d->qt[i].q);
		queue_get_stats(d->qt[i].q, &q->qs);
		queue_kernel_stats(q->num, &q->ks);
		snapshot_counters(&d->qt[i].c, &q->jc);
	}
	return 0;
}

static int ctl_show_stats(struct daemon *d, enum show_format fmt, FILE *out)
{
	struct show_engine e;

	if (engine_snapshot(d, &e) < 0)
		return -1;
	urcu_memb_read_lock();
	show_stats(&e, rcu_dereference(d->policy), fmt, out);
	urcu_memb_read_unlock();
	free(e.q);
	return 0;
}

static int ctl_status(void *ctx, const char *args, FILE *out)
{
	return ctl_show_stats(ctx, SHOW_TEXT, out);
}

/* "show stats|rules|flows|metrics [json] [flow filters...]" */
static int ctl_show(void *ctx, const char *args, FILE *out)
{
	struct daemon *d = ctx;
	enum show_format fmt = SHOW_TEXT;
	struct show_flow_filter f;
	char what[16] = "";
	int n = 0, ret = 0;

	sscanf(args, "%15s %n", what, &n);
	args += n;
	if (!strncmp(args, "json", 4) && (args[4] == ' ' || !args[4])) {
		fmt = SHOW_JSON;
		args += args[4] ? 5 : 4;
	}
	if (!strcmp(what, "stats"))
		return ctl_show_stats(d, fmt, out);
	if (!strcmp(what, "metrics"))
		return ctl_show_stats(d, SHOW_PROMETHEUS, out);
	if (!strcmp(what, "flows") && show_flow_filter_parse(&f, args) < 0) {
		fprintf(out, "bad flow filter '%s' (proto=P addr=A[/N] port=N)\n", args);
		return -1;
	}
	urcu_memb_read_lock();
	if (!strcmp(what, "rules"))
		show_rules(rcu_dereference(d->policy), fmt, out);
	else if (!strcmp(what, "flows"))
		ret = show_flows(d->flows, rcu_dereference(d->policy), now_ms(), &f, fmt, out);
	else
		ret = -2;
	urcu_memb_read_unlock();
	if (ret == -2)
		fprintf(out, "show what? stats, rules, flows or metrics\n");
	return ret < 0 ? -1 : 0;
}

static int ctl_zero(void *ctx, const char *args, FILE *out)
{
	struct daemon *d = ctx;

	urcu_memb_read_lock();
	policy_zero_hits(rcu_dereference(d->policy));
	urcu_memb_read_unlock();
	fprintf(out, "rule counters zeroed\n");
	return 0;
}

/* ---- trace listeners (control thread only) ------------------------------- */

static void trace_timer_arm(struct daemon *d, bool on)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (on) {
		its.it_interval.tv_nsec = TRACE_TICK_MS * 1000000L;
		its.it_value.tv_nsec = TRACE_TICK_MS * 1000000L;
	}
	timerfd_settime(d->trace_timer_fd, 0, &its, NULL);
}

static void tracer_remove(struct daemon *d, int i)
{
	epoll_ctl(d->ep_fd, EPOLL_CTL_DEL, d->tracers[i].fd, NULL);
	close(d->tracers[i].fd);
	d->tracers[i] = d->tracers[d->n_tracers - 1];
	__atomic_store_n(&d->n_tracers, d->n_tracers - 1, __ATOMIC_RELAXED);
	if (!d->n_tracers)
		trace_timer_arm(d, false);
}

static int tracer_find(const struct daemon *d, int fd)
{
	int i;

	for (i = 0; i < d->n_tracers; i++)
		if (d->tracers[i].fd == fd)
			return i;
	return -1;
}

static void ctl_trace(void *ctx, const char *args, int fd)
{
	struct daemon *d = ctx;
	struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLIN, .data.fd = fd };
	struct trace_filter f;
	const char *why = NULL;
	size_t i;

	if (trace_filter_parse(&f, args) < 0)
		why = "ERR\nbad trace filter (proto=P addr=A[/N] port=N verdict=accept|drop)\n";
	else if (d->n_tracers == MAX_TRACERS)
		why = "ERR\ntoo many trace listeners\n";
	else if (epoll_ctl(d->ep_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		why = "ERR\ncannot follow the connection\n";
	if (why) {
		if (write(fd, why, strlen(why)) < 0) { /* the client is gone */ }
		close(fd);
		return;
	}
	if (write(fd, "OK\n", 3) < 0) { /* noticed at the first line */ }
	/* Start the rings empty: no line older than the listener. */
	for (i = 0; !d->n_tracers && i < d->nq; i++) {
		struct trace_rec junk[64];

		while (trace_ring_pop(d->qt[i].ring, junk, ARRAY_SIZE(junk)))
			;
		trace_ring_take_lost(d->qt[i].ring);
	}
	d->tracers[d->n_tracers].fd = fd;
	d->tracers[d->n_tracers].f = f;
	d->tracers[d->n_tracers].lost = 0;
	__atomic_store_n(&d->n_tracers, d->n_tracers + 1, __ATOMIC_RELAXED);
	trace_timer_arm(d, true);
}

/* Never block on a listener: a line it cannot take now is lost, and counted. */
static void tracer_send(struct daemon *d, int i, const char *line, size_t len)
{
	struct tracer *tr = &d->tracers[i];
	char note[96];

	if (tr->lost) {
		int n = snprintf(note, sizeof(note), "# %llu lines lost (the reader or the "
				 "ring was too slow)\n", (unsigned long long)tr->lost);

		if (send(tr->fd, note, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
			tr->lost = 0;
	}
	if (send(tr->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len)
		tr->lost++;
}

static void trace_pump_ring(struct daemon *d, struct trace_ring *ring,
			    const struct policy *pol)
{
	struct trace_rec rec[64];
	char line[512];
	size_t n, k;
	int i;

	while ((n = trace_ring_pop(ring, rec, ARRAY_SIZE(rec))) > 0) {
		for (k = 0; k < n; k++) {
			bool formatted = false;

			for (i = 0; i < d->n_tracers; i++) {
				if (!trace_match(&rec[k], &d->tracers[i].f))
					continue;
				if (!formatted)
					trace_format(&rec[k], pol, line, sizeof(line));
				formatted = true;
				tracer_send(d, i, line, strlen(line));
			}
		}
	}
}

static void on_trace_timer(struct daemon *d)
{
	uint64_t ticks, lost;
	size_t q;
	int i;

	if (read(d->trace_timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	urcu_memb_read_lock();
	for (q = 0; q < d->nq; q++) {
		trace_pump_ring(d, d->qt[q].ring, rcu_dereference(d->policy));
		lost = trace_ring_take_lost(d->qt[q].ring);
		for (i = 0; i < d->n_tracers; i++)
			d->tracers[i].lost += lost;
	}
	urcu_memb_read_unlock();
}

static void on_tracer_event(struct daemon *d, int i)
{
	char buf[64];

	/* Listeners send nothing: data or EOF means they are done. */
	if (recv(d->tracers[i].fd, buf, sizeof(buf), MSG_DONTWAIT) != -1 ||
	    (errno != EAGAIN && errno != EWOULDBLOCK))
		tracer_remove(d, i);
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", ctl_status, NULL },
	{ "reload", ctl_reload, NULL },
	{ "show", ctl_show, NULL },
	{ "zero", ctl_zero, NULL },
	{ "trace", NULL, ctl_trace },
};

static int open_queues(struct daemon *d)
{
	const struct daemon_cfg *c = d->cfg;
	struct queue_opts o = {
		.maxlen = c->queue_maxlen,
		.copy_range = c->copy_range,
		.fail_open = !c->fail_closed,
	};
	char err[256];
	size_t i;

	d->nq = (size_t)(c->queue_last - c->queue_first) + 1;
	d->qt = calloc(d->nq, sizeof(*d->qt));
	if (!d->qt)
		return -1;
	for (i = 0; i < d->nq; i++) {
		o.num = (uint16_t)(c->queue_first + i);
		d->qt[i].d = d;
		d->qt[i].ring = trace_ring_new(TRACE_RING_ORDER);
		if (!d->qt[i].ring)
			return -1;
		d->qt[i].q = queue_open(&o, err, sizeof(err));
		if (!d->qt[i].q) {
			log_err("%s", err);
			return -1;
		}
	}
	return 0;
}

static int start_threads(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nq; i++) {
		if (pthread_create(&d->qt[i].tid, NULL, qthread_main, &d->qt[i])) {
			log_err("cannot start the thread of queue %u", queue_num(d->qt[i].q));
			return -1;
		}
		d->qt[i].started = true;
	}
	return 0;
}

static int epoll_add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Signals are taken by signalfd in the control thread only: block them everywhere. */
static int setup_events(struct daemon *d)
{
	struct itimerspec its = { { EXPIRE_INTERVAL_S, 0 }, { EXPIRE_INTERVAL_S, 0 } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	d->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	d->trace_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	d->fail_fd = eventfd(0, EFD_CLOEXEC);
	d->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sig_fd < 0 || d->timer_fd < 0 || d->fail_fd < 0 || d->ep_fd < 0 ||
	    d->trace_timer_fd < 0)
		return -1;
	if (timerfd_settime(d->timer_fd, 0, &its, NULL) < 0)
		return -1;
	return 0;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	if (read(d->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		log_info("SIGHUP: reloading the rule files");
		do_reload(d, stderr);
		return;
	}
	log_info("signal %u: judging what is queued, then stopping", si.ssi_signo);
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
}

static void on_timer(struct daemon *d)
{
	struct flow_stats fs;
	uint64_t ticks;

	if (read(d->timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	flow_table_stats(d->flows, &fs);
	flow_table_expire(d->flows, now_ms(),
			  (size_t)(fs.buckets / EXPIRE_SWEEP_S) + 1);
}

static void control_loop(struct daemon *d)
{
	struct epoll_event ev[16];
	int n, i;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		n = epoll_wait(d->ep_fd, ev, (int)ARRAY_SIZE(ev), -1);
		if (n < 0 && errno != EINTR) {
			log_err("epoll: %s", strerror(errno));
			d->exit_code = 3;
			break;
		}
		for (i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == d->sig_fd)
				on_signal(d);
			else if (fd == d->timer_fd)
				on_timer(d);
			else if (fd == d->ctl_fd)
				ctl_serve_one(d->ctl_fd, ctl_cmds,
					      ARRAY_SIZE(ctl_cmds), d);
			else if (fd == d->fail_fd)
				d->exit_code = 3;
			else if (fd == d->trace_timer_fd)
				on_trace_timer(d);
			else if (tracer_find(d, fd) >= 0)
				on_tracer_event(d, tracer_find(d, fd));
		}
		if (d->exit_code)
			break;
	}
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void teardown(struct daemon *d)
{
	size_t i;

	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
	for (i = 0; d->qt && i < d->nq; i++)
		if (d->qt[i].started)
			pthread_join(d->qt[i].tid, NULL);
	while (d->n_tracers)
		tracer_remove(d, d->n_tracers - 1);
	for (i = 0; d->qt && i < d->nq; i++) {
		queue_close(d->qt[i].q);
		trace_ring_free(d->qt[i].ring);
	}
	free(d->qt);
	if (d->ctl_fd >= 0) {
		close(d->ctl_fd);
		unlink(d->cfg->ctl_path);
	}
	close_fd(d->sig_fd);
	close_fd(d->timer_fd);
	close_fd(d->fail_fd);
	close_fd(d->ep_fd);
	close_fd(d->trace_timer_fd);
	if (d->flows)
		flow_table_free(d->flows);
	if (d->policy)
		policy_free(d->policy);
}

static int setup(struct daemon *d)
{
	const struct daemon_cfg *c = d->cfg;
	struct flow_params fp;
	struct diag *dg = diag_new();

	if (!dg)
		return 3;
	d->policy = load_policy(c, dg);
	diag_print(dg, stderr);
	diag_free(dg);
	if (!d->policy)
		return 1;
	if (c->inside && !(d->inside_ifindex = if_nametoindex(c->inside))) {
		log_err("--inside %s: no such interface", c->inside);
		return 1;
	}
	flow_params_default(&fp);
	fp.max_flows = c->max_flows;
	d->flows = flow_table_new(&fp);
	if (!d->flows || setup_events(d) < 0) {
		log_err("cannot set up the engine: %s", strerror(errno));
		return 3;
	}
	d->ctl_fd = ctl_listen(c->ctl_path);
	if (d->ctl_fd < 0) {
		log_err("control socket %s: %s", c->ctl_path, errno == EADDRINUSE ?
			"another vpcfw answers there (use --ctl PATH)" : strerror(errno));
		return 1;
	}
	if (open_queues(d) < 0)
		return 1;
	if (epoll_add(d->ep_fd, d->sig_fd) || epoll_add(d->ep_fd, d->timer_fd) ||
	    epoll_add(d->ep_fd, d->fail_fd) || epoll_add(d->ep_fd, d->ctl_fd) ||
	    epoll_add(d->ep_fd, d->trace_timer_fd))
		return 3;
	return start_threads(d) < 0 ? 3 : 0;
}

void daemon_cfg_init(struct daemon_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->ctl_path = CTL_DEFAULT_PATH;
	c->max_flows = 262144;
	c->queue_maxlen = 4096;
	c->copy_range = 512;
}

int daemon_run(const struct daemon_cfg *c)
{
	struct daemon d = {
		.cfg = c, .ctl_fd = -1, .sig_fd = -1, .timer_fd = -1,
		.fail_fd = -1, .ep_fd = -1, .trace_timer_fd = -1, .generation = 1,
	};
	int ret;

	d.started_ms = now_ms();
	d.loaded_at = time(NULL);
	urcu_memb_register_thread();
	ret = setup(&d);
	if (ret == 0) {
		if (c->queue_first == c->queue_last)
			log_info("ready: queue %u bound, rules loaded (%s)", c->queue_first,
				 c->fail_closed ? "fail-closed" : "fail-open");
		else
			log_info("ready: queues %u-%u bound, rules loaded (%s)",
				 c->queue_first, c->queue_last,
				 c->fail_closed ? "fail-closed" : "fail-open");
		control_loop(&d);
		ret = d.exit_code;
		log_info("stopped");
	}
	teardown(&d);
	urcu_memb_unregister_thread();
	return ret;
}
