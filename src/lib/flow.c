/*
 * The flow table: security-group connection tracking (see flow.h).
 *
 * Layout. A power-of-two array of bucket heads (singly linked chains of at
 * most FLOW_CHAIN_MAX entries) split into stripes: stripe i owns the
 * contiguous buckets [i << shift, (i + 1) << shift) and has its own
 * cache-line-aligned mutex. A stripe always owns at least FLOW_EVICT_RANGE
 * buckets, so the eviction window (8 buckets from the new flow's bucket)
 * touches at most two stripes, which are locked in ascending index order.
 * Every lookup and insert takes exactly one stripe lock; the state update of
 * a hit happens in the same critical section as the lookup.
 *
 * Entries come from a pool of max_flows entries allocated once with calloc
 * (untouched pages stay unmapped, so RSS grows with use). Entries never
 * touched are handed out by a bump index, freed ones go to a free list. The
 * pool has one small lock of its own: it is only taken when a flow is
 * created or removed, never for a packet of a known flow, and one global
 * pool keeps the cap exact (per-stripe caches would strand free entries in
 * one stripe while another reports the table full).
 *
 * Untracked entries (flow.h) live in the same chains and pool, marked. They
 * take only free entries, so tracked + untracked never exceed the cap, and
 * give way to tracked flows: first in the eviction window, then in the
 * chain at its cap, and when neither has one, a tracked insert that finds
 * the pool empty drops its locks and reclaims one from any stripe (a
 * per-stripe count says where to look) before it retries; only then may it
 * evict an unestablished tracked flow. So tracked flows can always reach the
 * cap, and conntrack_allowance_exceeded never moves because of untracked
 * entries.
 *
 * The key, its hash and the per-protocol state machine live in flow_state.c;
 * this file only stores, finds and removes entries.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"

#define FLOW_CHAIN_MAX		32	/* entries per bucket */
#define FLOW_EVICT_RANGE	8	/* buckets scanned for a victim (conntrack) */
#define FLOW_STRIPES_MAX	1024
#define FLOW_BUCKETS_MIN	16
#define FLOW_CAP_MAX		((size_t)1 << 30)
#define FLOW_CACHELINE		64

struct flow_stripe {
	pthread_mutex_t lock;
	/* Untracked entries here: set under lock, read unlocked by reclaim. */
	atomic_size_t untracked;
} __attribute__((aligned(FLOW_CACHELINE)));

struct flow_counters {
	atomic_uint_least64_t count;
	atomic_uint_least64_t inserts;
	atomic_uint_least64_t expired;
	atomic_uint_least64_t evictions;
	atomic_uint_least64_t exceeded;
	atomic_uint_least64_t chain_limit;
	atomic_uint_least64_t untracked;
	atomic_uint_least64_t untracked_skipped;
	atomic_uint_least64_t tcp_out_of_window;
	atomic_uint_least64_t tcp_invalid;
	atomic_uint_least64_t offload_ended;
};

struct flow_pool {
	pthread_mutex_t lock;
	struct flow_entry *free;
	size_t next;		/* first never-used entry of mem */
	struct flow_entry *mem;
};

struct flow_table {
	size_t cap;
	size_t nbuckets;
	size_t mask;
	size_t nstripes;
	unsigned shift;		/* bucket -> stripe */
	struct flow_conf conf;	/* key, timeouts, ICMP maps (flow_state.c) */
	struct flow_entry **bucket;
	struct flow_stripe *stripe;
	struct flow_pool pool;
	_Alignas(FLOW_CACHELINE) struct flow_counters n;
	_Alignas(FLOW_CACHELINE) atomic_size_t cursor;
};

#define flow_inc(t, c) \
	atomic_fetch_add_explicit(&(t)->n.c, 1, memory_order_relaxed)
#define flow_sub(t, c, v) \
	atomic_fetch_sub_explicit(&(t)->n.c, (v), memory_order_relaxed)
#define flow_get(t, c) \
	atomic_load_explicit(&(t)->n.c, memory_order_relaxed)

void flow_params_default(struct flow_params *p)
{
	*p = (struct flow_params) {
		.max_flows = 262144,
		.tcp_established_s = 432000,
		.udp_s = 30,
		.udp_stream_s = 180,
		.other_s = 600,
		.icmp_s = 30,
		.tcp_syn_sent_s = 60,
		.tcp_syn_recv_s = 60,
		.tcp_fin_wait_s = 120,
		.tcp_close_wait_s = 60,
		.tcp_last_ack_s = 30,
		.tcp_time_wait_s = 120,
		.tcp_close_s = 10,
		.hash_key = NULL,
	};
}

/* An offloaded flow ends when the kernel's entry does (flow_table_kernel_account). */
static bool flow_expired(const struct flow_entry *e, uint64_t now)
{
	return !e->offloaded && now >= e->expires;
}

static size_t flow_bucket_of(const struct flow_table *t,
			     const struct flow_key *k)
{
	return (size_t)flow_key_hash(&t->conf, k) & t->mask;
}

/* ---- pool and locks ------------------------------------------------ */

static struct flow_entry *flow_pool_get(struct flow_table *t)
{
	struct flow_pool *pl = &t->pool;
	struct flow_entry *e;

	pthread_mutex_lock(&pl->lock);
	e = pl->free;
	if (e)
		pl->free = e->next;
	else if (pl->next < t->cap)
		e = &pl->mem[pl->next++];
	pthread_mutex_unlock(&pl->lock);
	return e;
}

/* Return a list of entries (linked through next) to the pool. */
static void flow_pool_put(struct flow_table *t, struct flow_entry *head)
{
	struct flow_pool *pl = &t->pool;
	struct flow_entry *tail = head;

	if (!head)
		return;
	while (tail->next)
		tail = tail->next;
	pthread_mutex_lock(&pl->lock);
	tail->next = pl->free;
	pl->free = head;
	pthread_mutex_unlock(&pl->lock);
}

static size_t flow_stripe_of(const struct flow_table *t, size_t b)
{
	return b >> t->shift;
}

static void flow_lock(struct flow_table *t, size_t s)
{
	pthread_mutex_lock(&t->stripe[s].lock);
}

static void flow_unlock(struct flow_table *t, size_t s)
{
	pthread_mutex_unlock(&t->stripe[s].lock);
}

/* Untracked entries of stripe s (its lock held) went up or down by one. */
static void flow_stripe_untracked(struct flow_table *t, size_t s, bool up)
{
	if (up)
		atomic_fetch_add_explicit(&t->stripe[s].untracked, 1,
					  memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&t->stripe[s].untracked, 1,
					  memory_order_relaxed);
}

/* e left a chain of stripe s (locked): the live counter of its kind drops. */
static void flow_unlinked(struct flow_table *t, size_t s,
			  const struct flow_entry *e)
{
	if (!e->untracked) {
		flow_sub(t, count, 1);
		return;
	}
	flow_sub(t, untracked, 1);
	flow_stripe_untracked(t, s, false);
}

/*
 * Find k in bucket b. Expired entries met on the way are unlinked onto
 * *reaped (also the matching one: an expired flow is a miss). *len gets
 * the number of live entries left in the chain when k is absent.
 */
static struct flow_entry *flow_chain_find(struct flow_table *t, size_t b,
					  const struct flow_key *k,
					  uint64_t now, size_t *len,
					  struct flow_entry **reaped)
{
	struct flow_entry **pp = &t->bucket[b], *e;
	size_t n = 0;

	while ((e = *pp)) {
		if (flow_expired(e, now)) {
			*pp = e->next;
			e->next = *reaped;
			*reaped = e;
			flow_unlinked(t, flow_stripe_of(t, b), e);
			flow_inc(t, expired);
			continue;
		}
		if (!memcmp(&e->key, k, sizeof(*k)))
			return e;
		n++;
		pp = &e->next;
	}
	*len = n;
	return NULL;
}

/* ---- lookup -------------------------------------------------------- */

enum flow_match flow_table_lookup(struct flow_table *t, const struct pkt *p,
				  uint64_t now, struct flow_hit *hit)
{
	enum flow_refusal why = FLOW_ACCEPTED;
	struct flow_entry *e, *reaped = NULL;
	enum flow_match m = FLOW_MISS;
	struct flow_pkt fp;
	size_t b, s, len;

	if (flow_pkt_build(&t->conf, p, &fp) < 0)
		return FLOW_MISS;
	if (fp.l4 == FL_TCP && !flow_tcp_flags_valid(fp.tcp_flags)) {
		/* Part of no flow, whether one exists or not (flow_state.c). */
		flow_inc(t, tcp_invalid);
		return FLOW_MISS;
	}
	b = flow_bucket_of(t, &fp.key);
	s = flow_stripe_of(t, b);
	flow_lock(t, s);
	e = flow_chain_find(t, b, &fp.key, now, &len, &reaped);
	/* Untracked: the rules judge the packet, note_untracked counts it. */
	if (e && !e->untracked)
		m = flow_account(&t->conf, e, &fp, now, &why);
	if (m != FLOW_MISS && hit) {
		hit->state = (enum flow_state)e->state;
		hit->init_dir = (enum dir)e->init_dir;
		hit->tag = e->tag;
	}
	flow_unlock(t, s);
	flow_pool_put(t, reaped);
	if (why == FLOW_REFUSED_WINDOW)
		flow_inc(t, tcp_out_of_window);
	return m;
}

/* ---- insert -------------------------------------------------------- */

struct flow_ins {
	struct flow_pkt fp;
	int state;		/* initial state */
	enum dir d;
	uint64_t now;
	uint32_t tag;
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
	e = flow_evict(t, in->b, FLOW_EVICT_RANGE, in->now, FLOW_RANK_UNEST);
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
		      uint64_t now, uint32_t tag)
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
			  uint32_t tag, size_t len, struct flow_entry **reaped)
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
			       enum dir d, uint64_t now, uint32_t tag)
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

long flow_table_bucket(const struct flow_table *t, const struct pkt *p)
{
	struct flow_pkt fp;

	if (flow_pkt_build(&t->conf, p, &fp) < 0) {
		errno = EINVAL;
		return -1;
	}
	return (long)flow_bucket_of(t, &fp.key);
}

/* ---- expiry, flush ------------------------------------------------- */

/* Unlink expired (or, with all, every) entries of n buckets of one stripe. */
static size_t flow_sweep(struct flow_table *t, size_t b, size_t n,
			 uint64_t now, bool all, struct flow_entry **out)
{
	struct flow_entry **pp, *e;
	size_t i, removed = 0, s = flow_stripe_of(t, b);

	for (i = 0; i < n; i++) {
		pp = &t->bucket[b + i];
		while ((e = *pp)) {
			if (!all && !flow_expired(e, now)) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			flow_unlinked(t, s, e);
			e->next = *out;
			*out = e;
			removed++;
		}
	}
	return removed;
}

size_t flow_table_expire(struct flow_table *t, uint64_t now, size_t buckets)
{
	size_t done = 0, removed = 0, start;

	if (buckets > t->nbuckets)
		buckets = t->nbuckets;
	/* The mask keeps the cursor valid when the counter wraps. */
	start = atomic_fetch_add_explicit(&t->cursor, buckets,
					  memory_order_relaxed);
	while (done < buckets) {
		size_t b = (start + done) & t->mask;
		size_t s = flow_stripe_of(t, b);
		size_t n = ((s + 1) << t->shift) - b;
		struct flow_entry *freed = NULL;
		size_t k;

		if (n > buckets - done)
			n = buckets - done;
		flow_lock(t, s);
		k = flow_sweep(t, b, n, now, false, &freed);
		flow_unlock(t, s);
		flow_pool_put(t, freed);
		atomic_fetch_add_explicit(&t->n.expired, k,
					  memory_order_relaxed);
		removed += k;
		done += n;
	}
	return removed;
}

void flow_table_flush(struct flow_table *t)
{
	size_t s, per = (size_t)1 << t->shift;

	for (s = 0; s < t->nstripes; s++) {
		struct flow_entry *freed = NULL;

		flow_lock(t, s);
		flow_sweep(t, s << t->shift, per, 0, true, &freed);
		flow_unlock(t, s);
		flow_pool_put(t, freed);
	}
}

void flow_table_stats(struct flow_table *t, struct flow_stats *s)
{
	s->count = flow_get(t, count);
	s->cap = t->cap;
	s->buckets = t->nbuckets;
	s->inserts = flow_get(t, inserts);
	s->expired = flow_get(t, expired);
	s->evictions = flow_get(t, evictions);
	s->conntrack_allowance_exceeded = flow_get(t, exceeded);
	s->chain_limit = flow_get(t, chain_limit);
	s->untracked = flow_get(t, untracked);
	s->untracked_skipped = flow_get(t, untracked_skipped);
	s->tcp_out_of_window = flow_get(t, tcp_out_of_window);
	s->tcp_invalid = flow_get(t, tcp_invalid);
	s->offload_ended = flow_get(t, offload_ended);
}

/* ---- listing ------------------------------------------------------- */

static void flow_view_fill(struct flow_view *v, const struct flow_entry *e)
{
	unsigned i = e->init_side;

	memset(v, 0, sizeof(*v));
	v->family = e->key.family;
	v->proto = e->key.proto;
	memcpy(v->init_src, e->key.addr[i], 16);
	memcpy(v->init_dst, e->key.addr[!i], 16);
	v->init_sport = e->key.port[i];
	v->init_dport = e->key.port[!i];
	v->init_dir = (enum dir)e->init_dir;
	v->state = (enum flow_state)e->state;
	v->untracked = e->untracked;
	v->offloaded = e->offloaded;
	/* No state machine for untracked: seen both ways or not (flow.h). */
	if (e->untracked && e->state != FLOW_NEW)
		v->state = FLOW_ESTABLISHED;
	v->tag = e->tag;
	v->created = e->created;
	v->last_seen = e->last_seen;
	v->expires = e->expires;
	memcpy(v->packets, e->packets, sizeof(v->packets));
	memcpy(v->bytes, e->bytes, sizeof(v->bytes));
}

struct flow_viewbuf {
	struct flow_view *v;
	size_t n, size;
};

/*
 * Copy stripe s's live entries into vb under its lock. If vb is too small,
 * -1 with the size needed in vb->n so the caller can grow it unlocked.
 */
static int flow_stripe_copy(struct flow_table *t, size_t s, uint64_t now,
			    struct flow_viewbuf *vb)
{
	size_t b, end = (s + 1) << t->shift, n = 0;
	struct flow_entry *e;

	flow_lock(t, s);
	for (b = s << t->shift; b < end; b++)
		for (e = t->bucket[b]; e; e = e->next)
			n += !flow_expired(e, now);
	if (n <= vb->size) {
		n = 0;
		for (b = s << t->shift; b < end; b++)
			for (e = t->bucket[b]; e; e = e->next)
				if (!flow_expired(e, now))
					flow_view_fill(&vb->v[n++], e);
	}
	flow_unlock(t, s);
	vb->n = n;
	return n <= vb->size ? 0 : -1;
}

static int flow_viewbuf_grow(struct flow_viewbuf *vb)
{
	size_t size = vb->n + vb->n / 2 + 16;
	struct flow_view *v = realloc(vb->v, size * sizeof(*v));

	if (!v)
		return -1;
	vb->v = v;
	vb->size = size;
	return 0;
}

/*
 * fn runs outside the stripe lock, on copies: a slow consumer (the control
 * socket) never holds up the packet path, and fn may take its time.
 */
int flow_table_foreach(struct flow_table *t, uint64_t now,
		       int (*fn)(const struct flow_view *v, void *ctx),
		       void *ctx)
{
	struct flow_viewbuf vb = { 0 };
	size_t s, i;
	int r = 0;

	for (s = 0; s < t->nstripes && !r; s++) {
		while (flow_stripe_copy(t, s, now, &vb) < 0) {
			if (flow_viewbuf_grow(&vb) < 0) {
				free(vb.v);
				errno = ENOMEM;
				return -1;
			}
		}
		for (i = 0; i < vb.n && !r; i++)
			r = fn(&vb.v[i], ctx);
	}
	free(vb.v);
	return r;
}

/* ---- construction -------------------------------------------------- */

/* Buckets: a power of two >= max_flows; stripes of >= FLOW_EVICT_RANGE. */
static void flow_geometry(struct flow_table *t, size_t cap)
{
	size_t nb = FLOW_BUCKETS_MIN, ns;

	while (nb < cap)
		nb <<= 1;
	ns = nb / FLOW_EVICT_RANGE;
	if (ns > FLOW_STRIPES_MAX)
		ns = FLOW_STRIPES_MAX;
	t->cap = cap;
	t->nbuckets = nb;
	t->mask = nb - 1;
	t->nstripes = ns;
	t->shift = 0;
	while (((size_t)1 << t->shift) * ns < nb)
		t->shift++;
}

static int flow_alloc(struct flow_table *t)
{
	size_t i, sbytes = t->nstripes * sizeof(*t->stripe);
	pthread_mutexattr_t attr;

	t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
	t->pool.mem = calloc(t->cap, sizeof(*t->pool.mem));
	t->stripe = aligned_alloc(FLOW_CACHELINE, sbytes);
	if (!t->bucket || !t->pool.mem || !t->stripe) {
		errno = ENOMEM;
		return -1;
	}
	pthread_mutexattr_init(&attr);
	/* Short critical sections: spin briefly before sleeping. */
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	for (i = 0; i < t->nstripes; i++) {
		pthread_mutex_init(&t->stripe[i].lock, &attr);
		atomic_init(&t->stripe[i].untracked, 0);
	}
	pthread_mutex_init(&t->pool.lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return 0;
}

struct flow_table *flow_table_new(const struct flow_params *p)
{
	struct flow_table *t;
	int err;

	if (!p || !p->max_flows || p->max_flows > FLOW_CAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	t = aligned_alloc(FLOW_CACHELINE, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	if (flow_conf_init(&t->conf, p) < 0)
		goto err;
	flow_geometry(t, p->max_flows);
	if (flow_alloc(t) < 0)
		goto err;
	return t;
err:
	err = errno;
	free(t->bucket);
	free(t->pool.mem);
	free(t->stripe);
	free(t);
	errno = err;
	return NULL;
}

void flow_table_free(struct flow_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nstripes; i++)
		pthread_mutex_destroy(&t->stripe[i].lock);
	pthread_mutex_destroy(&t->pool.lock);
	flow_conf_clear(&t->conf);
	free(t->bucket);
	free(t->pool.mem);
	free(t->stripe);
	free(t);
}

/* ---- offload ------------------------------------------------------- */

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
