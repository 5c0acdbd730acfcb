/*
 * The queue threads: each owns its queue's socket and judges its packets
 * with no lock of its own: the policy is read under RCU, the flow table
 * locks its stripes, counters are the thread's own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <urcu/urcu-memb.h>

#include "daemon_int.h"
#include "policy_rcu.h"
#include "log.h"
#include "pkt.h"
#include "shadow.h"

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

/* The interface whose ENI judges the packet: arriving on (in), leaving by (out). */
static unsigned pkt_ifindex(const struct queue_pkt *qp, enum dir dir)
{
	return dir == DIR_IN ? qp->indev : qp->outdev;
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
		count(&t->c.exempt[v->exempt]);
	if (v->same_subnet)
		count(&t->c.same_subnet);
	if (v->accept)
		return;
	if (v->layer == VL_NACL)
		count(&t->c.nacl_drops);
	else if (v->sg_outcome == SGO_TABLE_FULL)
		count(&t->c.table_full);
	else
		count(&t->c.sg_drops);
}

/*
 * A judged packet's verdict, by its interface: a scan of the thread's few
 * slots (the first packet of an interface takes a free one), no lock.
 */
static void account_iface(struct qthread *t, unsigned ifindex, bool accept)
{
	struct jc_iface *s = t->c.iface;
	int k;

	if (!ifindex)
		return;
	for (k = 0; k < JC_IFACES && rd(&s[k].ifindex) != ifindex; k++) {
		if (!rd(&s[k].ifindex)) {
			__atomic_store_n(&s[k].ifindex, ifindex, __ATOMIC_RELAXED);
			break;
		}
	}
	if (k == JC_IFACES)
		count(&t->c.iface_uncounted);
	else
		count(accept ? &s[k].accepted : &s[k].dropped);
}

static struct log_ratelimit malformed_rl = LOG_RATELIMIT_INIT(5000, 5);
static struct log_ratelimit fail_rl = LOG_RATELIMIT_INIT(5000, 5);

/* What the trace and the drop log say of one packet. */
static void describe(struct qthread *t, const struct queue_pkt *qp,
		     const struct pkt *p, enum dir dir, enum trace_kind kind,
		     enum pkt_status st, const struct verdict *v, uint32_t nf,
		     const struct verdict *sv, struct trace_rec *r)
{
	struct timespec ts;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	r->wall_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (p)
		r->p = *p;
	r->queue = queue_num(t->q);
	r->kind = (uint8_t)kind;
	r->dir = (uint8_t)dir;
	r->accept = nf == NF_ACCEPT;
	r->status = (uint8_t)st;
	r->hook = qp->hook;
	r->ifindex = pkt_ifindex(qp, dir);
	r->sg_rule = -1;
	if (v) {
		const struct ruleset *rs = policy_ruleset(t->pol);

		r->layer = (uint8_t)v->layer;
		r->sg_outcome = (uint8_t)v->sg_outcome;
		r->flow_state = (uint8_t)v->flow_state;
		r->nacl_number = v->nacl ? v->nacl->number : 0;
		r->nacl_allow = v->nacl && v->nacl->allow;
		r->exempt = (uint8_t)v->exempt;
		r->same_subnet = v->same_subnet;
		r->sg_rule = v->sg ? (int32_t)(v->sg - rs->sg) : -1;
		r->serial = policy_serial(t->pol);
	}
	if (sv) {
		r->has_shadow = 1;
		disagree_side_of(&r->sh, t->shadow->pol, sv);
	}
}

static struct log_ratelimit drop_rl = LOG_RATELIMIT_INIT(1000, 10);

/*
 * Trace listeners and --log-drops: both cost one load per packet while
 * nobody wants them.
 */
static void trace_record(struct qthread *t, const struct queue_pkt *qp,
			 const struct pkt *p, enum dir dir, enum trace_kind kind,
			 enum pkt_status st, const struct verdict *v, uint32_t nf,
			 const struct verdict *sv)
{
	struct trace_rec r;
	char line[512];

	describe(t, qp, p, dir, kind, st, v, nf, sv, &r);
	if (__atomic_load_n(&t->d->n_tracers, __ATOMIC_RELAXED))
		trace_ring_push(t->ring, &r);
	if (nf == NF_DROP && t->d->cfg->log_drops) {
		/* No name lookup on the packet path: only an ENI's name is at hand. */
		const struct trace_iface ifc = {
			.name = pset_eni_name(t->pset, r.ifindex), .eni = true,
		};

		trace_format(&r, t->pol, &ifc, line, sizeof(line));
		line[strcspn(line, "\n")] = '\0';
		log_limited(&drop_rl, LOG_LVL_INFO, "%s", line);
	}
}

/* Does anyone want this packet described: a trace listener, or --log-drops for a drop? */
static bool tracing(const struct qthread *t, uint32_t nf)
{
	return (t->d->cfg->log_drops && nf == NF_DROP) ||
	       __atomic_load_n(&t->d->n_tracers, __ATOMIC_RELAXED) > 0;
}

static void flow_log(struct qthread *t, const struct pkt *p, enum dir dir,
		     const struct verdict *v)
{
	char rule[96];
	const char *text = NULL;

	/* Flow logs do not record what AWS never filters. */
	if (v->layer == VL_INFRA)
		return;
	if (t->d->cfg->flow_log_extended)
		text = flowlog_rule_text(t->pol, v, dir, rule, sizeof(rule));
	flowlog_packet(t->d->flowlog, p, dir, v->accept, text, t->wall_s);
}

/*
 * --offload: a tracked flow leaves the queue for good (the kernel keeps it
 * by its connmark) as soon as its verdict can no longer change: tracked
 * flows outlive rule changes, as in AWS. TCP from the SYN the rules allow
 * (its replies are the flow's whatever the rules become; the kernel's
 * window tracking then judges the segments, and reports the handshake's
 * end), or from a mid-stream pick-up; UDP from its first reply (before it,
 * a reply-less flow still times out as AWS's would); ICMP queries from
 * their reply. Untracked flows are judged per packet, and a NACL layer
 * (refused with --offload) judges every packet. The kernel then reports
 * the flow's packets and end (daemon_offload.c).
 */
static bool offload_state(const struct pkt *p, enum flow_state st)
{
	switch (p->proto) {
	case IPPROTO_NUM_TCP:
		/*
		 * A SYN the rules allowed (NEW), its SYN-ACK (SYN_RECV), or
		 * later: nothing later can change the flow's verdict.
		 */
		return st == FLOW_ESTABLISHED || st == FLOW_SYN_RECV || st == FLOW_NEW;
	case IPPROTO_NUM_UDP:
		return st == FLOW_ESTABLISHED || st == FLOW_UDP_STREAM;
	case IPPROTO_NUM_ICMP:
	case IPPROTO_NUM_ICMPV6:
		/* Echo and other queries: only they make flows (never errors). */
		return st == FLOW_ESTABLISHED;
	default:
		return false;
	}
}

static bool offloadable(const struct qthread *t, const struct queue_pkt *qp,
			const struct pkt *p, const struct verdict *v)
{
	return !policy_acl(t->pol) && !(p->flags & PKT_F_FRAG) &&
	       (v->sg_outcome == SGO_FLOW_ORIG || v->sg_outcome == SGO_FLOW_REPLY ||
		(v->sg_outcome == SGO_NEW_TRACKED && p->proto == IPPROTO_NUM_TCP)) &&
	       offload_state(p, v->flow_state) &&
	       (qp->hook == NF_INET_LOCAL_IN || qp->hook == NF_INET_LOCAL_OUT ||
		qp->hook == NF_INET_FORWARD) &&
	       flow_table_offload(t->d->flows, p, t->now) == 0;
}

/*
 * The shadow's verdict sv on a packet the enforced policy has judged (v):
 * its own flow table and counters, and the tally when the two differ. It
 * changes nothing of what happens to the packet.
 */
static void shadow_judge(struct qthread *t, struct shadow *sh, const struct pkt *p,
			 enum dir dir, const struct verdict *v, struct verdict *sv)
{
	struct shadow_q *q = &sh->q[t - t->d->qt];
	struct disagree_side e, s;

	policy_judge(sh->pol, sh->flows, p, dir, t->now, sv);
	count(&q->judged);
	if (sv->accept == v->accept)
		return;
	disagree_side_of(&e, t->pol, v);
	disagree_side_of(&s, sh->pol, sv);
	disagree_count(&q->t, &e, &s, dir);
}

static uint32_t qthread_judge(void *ctx, const struct queue_pkt *qp)
{
	struct qthread *t = ctx;
	struct verdict sv, *shv = NULL;
	enum pkt_status st;
	struct verdict v;
	struct pkt p;
	enum dir dir;
	uint32_t nf;

	t->pol = t->pset->def;
	if (hook_direction(t->d, qp, &dir) < 0) {
		nf = error_verdict(t);
		if (tracing(t, nf))
			trace_record(t, qp, NULL, DIR_IN, TRACE_UNJUDGED, PKT_OK, NULL, nf, NULL);
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
		if (tracing(t, NF_DROP))
			trace_record(t, qp, &p, dir, TRACE_MALFORMED, st, NULL, NF_DROP, NULL);
		return NF_DROP;
	}
	/* An ENI's own rules judge what arrives on it or leaves by it; its flows record it. */
	p.ifindex = pkt_ifindex(qp, dir);
	t->pol = pset_for(t->pset, p.ifindex);
	policy_judge(t->pol, t->d->flows, &p, dir, t->now, &v);
	account(t, &v);
	/* No shadow: this one branch is all it costs. */
	if (t->shadow) {
		shadow_judge(t, t->shadow, &p, dir, &v, &sv);
		shv = &sv;
	}
	account_iface(t, p.ifindex, v.accept);
	nf = v.accept ? NF_ACCEPT : NF_DROP;
	if (t->d->cfg->offload && offloadable(t, qp, &p, &v))
		nf |= QUEUE_F_OFFLOAD;
	if (t->d->flowlog)
		flow_log(t, &p, dir, &v);
	if (tracing(t, nf & ~QUEUE_F_OFFLOAD))
		trace_record(t, qp, &p, dir, TRACE_JUDGED, st, &v, nf & ~QUEUE_F_OFFLOAD, shv);
	return nf;
}

/*
 * A packet the queue could not hand over whole (see enum queue_fail): no
 * rule can judge it, so the failure policy decides, as the kernel's does
 * when no engine listens. The queue counts it by reason.
 */
static uint32_t qthread_fail(void *ctx, const struct queue_pkt *qp, enum queue_fail why)
{
	struct qthread *t = ctx;
	uint32_t nf = t->d->cfg->fail_closed ? NF_DROP : NF_ACCEPT;
	enum dir dir = DIR_IN;

	t->pol = t->pset->def;
	log_limited(&fail_rl, LOG_LVL_WARN, "queue %u: packet %u %s: %s by the failure policy",
		    queue_num(t->q), qp->id, queue_fail_name(why),
		    nf == NF_ACCEPT ? "passed" : "dropped");
	if (tracing(t, nf)) {
		hook_direction(t->d, qp, &dir);
		trace_record(t, qp, NULL, dir, TRACE_UNJUDGED, PKT_OK, NULL, nf, NULL);
	}
	return nf;
}

static void qthread_burst_begin(void *ctx)
{
	struct qthread *t = ctx;

	/* One policy snapshot judges the whole burst. */
	urcu_memb_read_lock();
	t->pset = policy_rcu_get(&t->d->pset);
	t->shadow = shadow_rcu_get(&t->d->shadow);
	t->now = now_ms();
	if (t->d->flowlog) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME_COARSE, &ts);
		t->wall_s = (uint64_t)ts.tv_sec;
	}
}

static void qthread_burst_end(void *ctx)
{
	struct qthread *t = ctx;

	t->pol = NULL;
	t->pset = NULL;
	t->shadow = NULL;
	/* The end of the section as the shadow's swap waits for it (shadow.h). */
	shadow_rcu_release_reader(&t->d->shadow);
	policy_rcu_unlock(&t->d->pset);
}

void *qthread_main(void *arg)
{
	struct qthread *t = arg;
	const struct queue_handler h = {
		.burst_begin = qthread_burst_begin,
		.judge = qthread_judge,
		.fail = qthread_fail,
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
