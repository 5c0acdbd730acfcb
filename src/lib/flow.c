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
 * refuse the new flow (AWS), or with evict_unestablished evict an
 * unestablished tracked flow. So tracked flows can always reach the cap,
 * and conntrack_allowance_exceeded never moves because of untracked
 * entries.
 *
 * The key, its hash and the per-protocol state machine live in flow_state.c;
 * the table's files only store, find and remove entries: this one holds the
 * pool, the chains, lookup, expiry and construction; flow_insert.c creates
 * entries (eviction, untracked ones), flow_list.c copies them out for
 * listing, flow_offload.c serves the kernel's side of offloaded flows.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flow_table_int.h"

void flow_params_default(struct flow_params *p)
{
	*p = (struct flow_params) {
		.max_flows = 262144,
		.evict_unestablished = false,
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

/* ---- pool and locks ------------------------------------------------ */

struct flow_entry *flow_pool_get(struct flow_table *t)
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

void flow_pool_put(struct flow_table *t, struct flow_entry *head)
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

/* ---- chains -------------------------------------------------------- */

void flow_stripe_untracked(struct flow_table *t, size_t s, bool up)
{
	if (up)
		atomic_fetch_add_explicit(&t->stripe[s].untracked, 1,
					  memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&t->stripe[s].untracked, 1,
					  memory_order_relaxed);
}

void flow_unlinked(struct flow_table *t, size_t s, const struct flow_entry *e)
{
	if (!e->untracked) {
		flow_sub(t, count, 1);
		return;
	}
	flow_sub(t, untracked, 1);
	flow_stripe_untracked(t, s, false);
}

struct flow_entry *flow_chain_find(struct flow_table *t, size_t b,
				   const struct flow_key *k, uint64_t now,
				   size_t *len, struct flow_entry **reaped)
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

void flow_table_set_timeouts(struct flow_table *t, const struct flow_params *p)
{
	flow_conf_timeouts(&t->conf, p);
}

int flow_table_set_iface_timeouts(struct flow_table *t, const struct flow_iface_tmo *v,
				  size_t n)
{
	struct flow_conf *c = &t->conf;
	size_t i;

	if (n > FLOW_IFACE_TMO_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		flow_tmo_set(&c->if_tmo[i], &v[i].p);
		atomic_store_explicit(&c->if_index[i], v[i].ifindex, memory_order_relaxed);
	}
	atomic_store_explicit(&c->n_if, (uint32_t)n, memory_order_release);
	return 0;
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
	t->evict_unest = p->evict_unestablished;
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
