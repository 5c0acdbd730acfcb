/*
 * The flow table's inserts (see flow.h, and flow.c for the layout): a new
 * tracked flow takes a free entry of the pool, or one reaped from its
 * chain, or an untracked entry (near its bucket, else reclaimed from any
 * stripe); else it is refused (AWS), or with evict_unestablished it evicts
 * an unestablished flow near its bucket first; untracked
 * entries are noted only where there is room without touching anything
 * live.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "flow_table_int.h"

/* ---- insert -------------------------------------------------------- */

struct flow_ins {
	struct flow_pkt fp;
	int state;		/* initial state */
	enum dir d;
	uint64_t now;
	uint64_t tag;
	size_t b;
	struct flow_entry *reaped;
	struct flow_entry *spare;	/* an untracked entry reclaimed */
	bool reclaimed;			/* reclaim tried: tracked victims now */
};

/* Eviction ranks, best victim first. */
enum flow_rank {
	FLOW_RANK_EXPIRED,
	FLOW_RANK_UNTRACKED,	/* decides nothing: gives way to tracked flows */
	FLOW_RANK_UNEST,	/* tracked, not established (conntrack's choice) */
	FLOW_RANK_KEEP,		/* established flows are never evicted */
};

static enum flow_rank flow_rank_of(const struct flow_entry *e, uint64_t now)
{
	if (flow_expired(e, now))
		return FLOW_RANK_EXPIRED;
	if (e->untracked)
		return FLOW_RANK_UNTRACKED;
	switch (e->state) {
	case FLOW_NEW:
	case FLOW_SYN_RECV:
	case FLOW_TIME_WAIT:
	case FLOW_CLOSED:
		return FLOW_RANK_UNEST;
	default:
		return FLOW_RANK_KEEP;
	}
}

/* Is a (rank ra) a better victim than b (rank rb): rank, then least recent. */
static bool flow_victim_better(const struct flow_entry *a, enum flow_rank ra,
			       const struct flow_entry *b, enum flow_rank rb)
{
	if (ra != rb)
		return ra < rb;
	return a->last_seen < b->last_seen;
}

/*
 * Unlink the best victim of rank <= max among the n buckets from b (all
 * their stripes are locked by the caller) and return it for reuse.
 */
static struct flow_entry *flow_evict(struct flow_table *t, size_t b, size_t n,
				     uint64_t now, enum flow_rank max)
{
	struct flow_entry **victim = NULL, **pp, *e;
	enum flow_rank vr = FLOW_RANK_KEEP, r;
	size_t i, vb = 0;

	for (i = 0; i < n; i++) {
		size_t bi = (b + i) & t->mask;

		for (pp = &t->bucket[bi]; (e = *pp); pp = &e->next) {
			r = flow_rank_of(e, now);
			if (r > max || (victim &&
					!flow_victim_better(e, r, *victim, vr)))
				continue;
			victim = pp;
			vr = r;
			vb = bi;
		}
	}
	if (!victim)
		return NULL;
	e = *victim;
	*victim = e->next;
	flow_unlinked(t, flow_stripe_of(t, vb), e);
	if (vr == FLOW_RANK_EXPIRED)
		flow_inc(t, expired);
	else if (vr == FLOW_RANK_UNEST)
		flow_inc(t, evictions);
	return e;
}

/*
 * The flow already exists: account p, restart a TIME_WAIT/CLOSED entry, or
 * make an untracked entry a tracked flow (the rules changed). None of them
 * needs room: the entry already holds its own.
 */
static int flow_insert_existing(struct flow_table *t, struct flow_entry *e,
				const struct flow_ins *in)
{
	enum flow_refusal why;

	if (e->untracked) {
		flow_sub(t, untracked, 1);
		flow_stripe_untracked(t, flow_stripe_of(t, in->b), false);
		flow_inc(t, count);
	} else if (flow_account(&t->conf, e, &in->fp, in->now, &why) != FLOW_MISS) {
		return 0;
	} else if (why != FLOW_REFUSED_STATE) {
		/* Out of window: the flow stays as it is (lookup counted it). */
		errno = EINVAL;
		return -1;
	}
	flow_entry_start(&t->conf, e, &in->fp, in->state, in->d, in->now, in->tag);
	flow_inc(t, inserts);
	return 0;
}

/* A free entry: one reclaimed for us, the pool's, or one our chain reaped. */
static struct flow_entry *flow_take(struct flow_table *t, struct flow_ins *in)
{
	struct flow_entry *e = in->spare;

	if (e) {
		in->spare = NULL;
		return e;
	}
	e = flow_pool_get(t);
	if (!e && in->reaped) {
		/* At the cap, an entry just reaped from this chain is ours. */
		e = in->reaped;
		in->reaped = e->next;
	}
	return e;
}

/*
 * No free entry: a victim near in->b (both stripes locked). Untracked
 * entries go before any tracked flow, also those outside the window: while
 * some exist and no reclaim was tried, -1/EBUSY sends the caller for one.
 * A tracked flow is a victim only with evict_unestablished: AWS refuses
 * the new connection and leaves every tracked one alone.
 */
static struct flow_entry *flow_room(struct flow_table *t, struct flow_ins *in)
{
	struct flow_entry *e;

	e = flow_evict(t, in->b, FLOW_EVICT_RANGE, in->now,
		       FLOW_RANK_UNTRACKED);
	if (e)
		return e;
	if (!in->reclaimed && flow_get(t, untracked) > 0) {
		errno = EBUSY;
		return NULL;
	}
	e = NULL;
	if (t->evict_unest)
		e = flow_evict(t, in->b, FLOW_EVICT_RANGE, in->now,
			       FLOW_RANK_UNEST);
	if (!e) {
		flow_inc(t, exceeded);
		errno = ENOSPC;
	}
	return e;
}

/*
 * Insert under the lock of in->b's stripe (and, with can_evict, of the
 * stripe at the end of the eviction window). Without can_evict a full pool
 * gives -1/EAGAIN so the caller can take the second lock and retry.
 */
static int flow_insert_locked(struct flow_table *t, struct flow_ins *in,
			      bool can_evict)
{
	struct flow_entry *e;
	size_t len;

	e = flow_chain_find(t, in->b, &in->fp.key, in->now, &len, &in->reaped);
	if (e)
		return flow_insert_existing(t, e, in);
	if (len >= FLOW_CHAIN_MAX) {
		/* A full chain: only an untracked entry of it may give way. */
		e = flow_evict(t, in->b, 1, in->now, FLOW_RANK_UNTRACKED);
		if (!e) {
			flow_inc(t, chain_limit);
			errno = ENOSPC;
			return -1;
		}
	}
	if (!e)
		e = flow_take(t, in);
	if (!e && !can_evict) {
		errno = EAGAIN;
		return -1;
	}
	if (!e && !(e = flow_room(t, in)))
		return -1;
	e->next = t->bucket[in->b];
	t->bucket[in->b] = e;
	flow_entry_start(&t->conf, e, &in->fp, in->state, in->d, in->now, in->tag);
	flow_inc(t, count);
	flow_inc(t, inserts);
	return 0;
}

/* The common case holds one lock; eviction may need a second, in order. */
static int flow_insert_try(struct flow_table *t, struct flow_ins *in)
{
	size_t s1 = flow_stripe_of(t, in->b);
	size_t s2 = flow_stripe_of(t, (in->b + FLOW_EVICT_RANGE - 1) & t->mask);
	int r, err;

	flow_lock(t, s1);
	r = flow_insert_locked(t, in, s1 == s2);
	err = errno;
	if (r < 0 && err == EAGAIN) {
		if (s2 < s1) {
			/* Wrapped around: drop ours, retake both in order. */
			flow_unlock(t, s1);
			flow_lock(t, s2);
			flow_lock(t, s1);
		} else {
			flow_lock(t, s2);
		}
		r = flow_insert_locked(t, in, true);
		err = errno;
		flow_unlock(t, s2);
	}
	flow_unlock(t, s1);
	errno = err;
	return r;
}

/*
 * Unlink an untracked (or expired) entry from the first stripe from s0 on
 * that has untracked entries, the least recently seen there. Called with no
 * lock held; takes one stripe lock at a time. NULL when none is left (they
 * expired or became tracked meanwhile).
 */
static struct flow_entry *flow_reclaim(struct flow_table *t, size_t s0,
				       uint64_t now)
{
	size_t i, per = (size_t)1 << t->shift;

	for (i = 0; i < t->nstripes; i++) {
		size_t s = (s0 + i) % t->nstripes;
		struct flow_entry *e;

		if (!atomic_load_explicit(&t->stripe[s].untracked,
					  memory_order_relaxed))
			continue;
		flow_lock(t, s);
		e = flow_evict(t, s << t->shift, per, now, FLOW_RANK_UNTRACKED);
		flow_unlock(t, s);
		if (e) {
			e->next = NULL;
			return e;
		}
	}
	return NULL;
}

static int flow_insert_run(struct flow_table *t, struct flow_ins *in)
{
	int r = flow_insert_try(t, in);

	if (r < 0 && errno == EBUSY) {
		/* Room held by an untracked entry far away: fetch it, retry. */
		in->spare = flow_reclaim(t, flow_stripe_of(t, in->b), in->now);
		in->reclaimed = true;
		r = flow_insert_try(t, in);
	}
	return r;
}

int flow_table_insert(struct flow_table *t, const struct pkt *p, enum dir d,
		      uint64_t now, uint64_t tag)
{
	struct flow_ins in = { .d = d, .now = now, .tag = tag };
	int r, err;

	if (flow_pkt_build(&t->conf, p, &in.fp) < 0) {
		errno = EINVAL;
		return -1;
	}
	in.state = flow_initial_state(&in.fp);
	if (in.state < 0) {
		errno = EINVAL;
		return -1;
	}
	in.b = flow_bucket_of(t, &in.fp.key);
	r = flow_insert_run(t, &in);
	err = errno;
	flow_pool_put(t, in.reaped);
	flow_pool_put(t, in.spare);	/* the pool had room after all */
	errno = err;
	return r;
}

/* ---- untracked ----------------------------------------------------- */

/*
 * A new untracked entry for fp in bucket b (its stripe locked), if there is
 * room without touching anything live: a free entry of the pool, or one
 * reaped from this chain. Never past the chain cap.
 */
static bool flow_note_new(struct flow_table *t, size_t b,
			  const struct flow_pkt *fp, enum dir d, uint64_t now,
			  uint64_t tag, size_t len, struct flow_entry **reaped)
{
	struct flow_entry *e;

	if (len >= FLOW_CHAIN_MAX)
		return false;
	e = flow_pool_get(t);
	if (!e && *reaped) {
		e = *reaped;
		*reaped = e->next;
	}
	if (!e)
		return false;
	e->next = t->bucket[b];
	t->bucket[b] = e;
	flow_entry_start_untracked(&t->conf, e, fp, d, now, tag);
	flow_inc(t, untracked);
	flow_stripe_untracked(t, flow_stripe_of(t, b), true);
	return true;
}

void flow_table_note_untracked(struct flow_table *t, const struct pkt *p,
			       enum dir d, uint64_t now, uint64_t tag)
{
	struct flow_entry *e, *reaped = NULL;
	struct flow_pkt fp;
	size_t b, s, len;

	if (flow_pkt_build(&t->conf, p, &fp) < 0)
		return;
	b = flow_bucket_of(t, &fp.key);
	s = flow_stripe_of(t, b);
	flow_lock(t, s);
	e = flow_chain_find(t, b, &fp.key, now, &len, &reaped);
	/* A tracked entry of this key (another thread, older rules) stays. */
	if (e && e->untracked)
		flow_account_untracked(&t->conf, e, &fp, now, tag);
	else if (!e && !flow_note_new(t, b, &fp, d, now, tag, len, &reaped))
		flow_inc(t, untracked_skipped);
	flow_unlock(t, s);
	flow_pool_put(t, reaped);
}
