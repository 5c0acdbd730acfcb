/*
 * --offload (see flow.h): the kernel's connection tracking carries the rest
 * of an offloaded flow; these operations mark a flow offloaded, fold the
 * kernel's counters and events into it, and reap the flows the kernel no
 * longer has after a resync. Each runs on one flow under its stripe's lock.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "flow_table_int.h"

/*
 * The link to fp's live tracked entry in bucket b (its stripe locked), or
 * NULL. Expired entries met on the way go to *reaped.
 */
static struct flow_entry **flow_find_link(struct flow_table *t, size_t b,
					  const struct flow_pkt *fp, uint64_t now,
					  struct flow_entry **reaped)
{
	struct flow_entry **pp, *e;
	size_t len;

	e = flow_chain_find(t, b, &fp->key, now, &len, reaped);
	if (!e || e->untracked)
		return NULL;
	for (pp = &t->bucket[b]; *pp != e; pp = &(*pp)->next)
		;
	return pp;
}

/* What flow_locked_op() hands an operation: p's flow, under its stripe's lock. */
struct flow_op {
	struct flow_table *t;
	size_t s;			/* the stripe (locked) */
	struct flow_entry **pp;		/* the link to the flow */
	const struct flow_pkt *fp;	/* p, as the table keys it */
	uint64_t now;
	struct flow_entry *reaped;	/* entries to give back to the pool */
	void *arg;
};

/*
 * Run fn on p's tracked flow (only an offloaded one, with offloaded_only)
 * under its stripe's lock: fn's result, or -1 with errno EINVAL when p
 * cannot have a flow, ENOENT when it has none.
 */
static int flow_locked_op(struct flow_table *t, const struct pkt *p, uint64_t now,
			  bool offloaded_only, int (*fn)(struct flow_op *op), void *arg)
{
	struct flow_op op = { .t = t, .now = now, .arg = arg };
	struct flow_pkt fp;
	size_t b;
	int ret = -1;

	if (flow_pkt_build(&t->conf, p, &fp) < 0) {
		errno = EINVAL;
		return -1;
	}
	op.fp = &fp;
	b = flow_bucket_of(t, &fp.key);
	op.s = flow_stripe_of(t, b);
	flow_lock(t, op.s);
	op.pp = flow_find_link(t, b, &fp, now, &op.reaped);
	if (op.pp && (!offloaded_only || (*op.pp)->offloaded))
		ret = fn(&op);
	flow_unlock(t, op.s);
	flow_pool_put(t, op.reaped);
	if (ret < 0)
		errno = ENOENT;
	return ret;
}

static int op_offload(struct flow_op *op)
{
	struct flow_entry *e = *op->pp;

	e->offloaded = 1;
	/* Fresh: a resync in progress must not take it for gone. */
	e->kseen = 1;
	if (op->now > e->last_seen)
		e->last_seen = op->now;
	return 0;
}

int flow_table_offload(struct flow_table *t, const struct pkt *p, uint64_t now)
{
	return flow_locked_op(t, p, now, false, op_offload, NULL);
}

/* Raise e's counters to the kernel's (kc in, [0] = side `korig`); kc out: what was added. */
static bool flow_fold(struct flow_entry *e, unsigned korig, struct flow_kcount *kc)
{
	uint64_t kp[2], kb[2];
	bool more = false;
	unsigned i;

	memcpy(kp, kc->packets, sizeof(kp));
	memcpy(kb, kc->bytes, sizeof(kb));
	for (i = 0; i < 2; i++) {
		unsigned f = i ? !korig : korig;	/* the flow's index */

		kc->packets[f] = kp[i] > e->packets[f] ? kp[i] - e->packets[f] : 0;
		kc->bytes[f] = kb[i] > e->bytes[f] ? kb[i] - e->bytes[f] : 0;
		e->packets[f] += kc->packets[f];
		e->bytes[f] += kc->bytes[f];
		more |= kc->packets[f] != 0;
	}
	return more;
}

struct kernel_account {
	bool end;
	struct flow_kcount *kc;
};

static int op_kernel_account(struct flow_op *op)
{
	const struct kernel_account *ka = op->arg;
	struct flow_entry *e = *op->pp;
	bool reversed = op->fp->side != e->init_side;

	/* The kernel's original direction is p's: side fp.side. */
	if (flow_fold(e, reversed, ka->kc) && op->now > e->last_seen)
		e->last_seen = op->now;
	ka->kc->init_dir = (enum dir)e->init_dir;
	ka->kc->reversed = reversed;
	ka->kc->tag = e->tag;
	e->kseen = 1;
	if (ka->end) {
		*op->pp = e->next;
		flow_unlinked(op->t, op->s, e);
		flow_inc(op->t, offload_ended);
		e->next = op->reaped;
		op->reaped = e;
	}
	return 0;
}

int flow_table_kernel_account(struct flow_table *t, const struct pkt *p,
			      uint64_t now, bool end, struct flow_kcount *kc)
{
	struct kernel_account ka = { .end = end, .kc = kc };

	return flow_locked_op(t, p, now, true, op_kernel_account, &ka);
}

static int op_kernel_established(struct flow_op *op)
{
	struct flow_entry *e = *op->pp;

	if (e->state == FLOW_NEW || e->state == FLOW_SYN_RECV)
		e->state = FLOW_ESTABLISHED;
	e->kseen = 1;
	return 0;
}

int flow_table_kernel_established(struct flow_table *t, const struct pkt *p,
				  uint64_t now)
{
	return flow_locked_op(t, p, now, true, op_kernel_established, NULL);
}

static int op_kernel_fin(struct flow_op *op)
{
	struct flow_entry *e = *op->pp;

	if (op->fp->tcp_flags & TCPF_FIN)
		e->kfin |= (uint8_t)(1u << op->fp->side);
	return (op->fp->tcp_flags & TCPF_RST) || e->kfin == 3;
}

int flow_table_kernel_fin(struct flow_table *t, const struct pkt *p, uint64_t now)
{
	return flow_locked_op(t, p, now, true, op_kernel_fin, NULL);
}

/* Apply fn to every offloaded entry of stripe s (locked); true from fn unlinks it. */
static void flow_offload_walk(struct flow_table *t, size_t s,
			      bool (*fn)(struct flow_entry *e, uint64_t arg),
			      uint64_t arg, struct flow_entry **out)
{
	size_t b, end = (s + 1) << t->shift;
	struct flow_entry **pp, *e;

	for (b = s << t->shift; b < end; b++) {
		pp = &t->bucket[b];
		while ((e = *pp)) {
			if (!e->offloaded || !fn(e, arg)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			flow_unlinked(t, s, e);
			e->next = *out;
			*out = e;
		}
	}
}

static bool flow_unsee(struct flow_entry *e, uint64_t arg)
{
	(void)arg;
	e->kseen = 0;
	return false;
}

/* Gone from the kernel: not seen in its table, and offloaded before the dump began. */
static bool flow_gone(struct flow_entry *e, uint64_t before)
{
	return !e->kseen && e->last_seen < before;
}

static size_t flow_offload_sweep(struct flow_table *t,
				 bool (*fn)(struct flow_entry *e, uint64_t arg),
				 uint64_t arg)
{
	size_t s, n = 0;

	for (s = 0; s < t->nstripes; s++) {
		struct flow_entry *out = NULL, *e;

		flow_lock(t, s);
		flow_offload_walk(t, s, fn, arg, &out);
		flow_unlock(t, s);
		for (e = out; e; e = e->next)
			n++;
		flow_pool_put(t, out);
	}
	return n;
}

void flow_table_offload_unsee(struct flow_table *t)
{
	flow_offload_sweep(t, flow_unsee, 0);
}

size_t flow_table_offload_reap(struct flow_table *t, uint64_t before)
{
	size_t n = flow_offload_sweep(t, flow_gone, before);

	atomic_fetch_add_explicit(&t->n.offload_ended, n, memory_order_relaxed);
	return n;
}
