/*
 * Private to the flow table proper: the table's layout (buckets, stripes,
 * pool, counters) and the helpers that the table's files share: flow.c (the
 * core: pool, chains, lookup, expiry, construction), flow_insert.c (insert,
 * eviction, untracked entries), flow_list.c (stats and listing) and
 * flow_offload.c (the kernel's side of offloaded flows). Not for other
 * modules; flow_state.c and flow_tcp.c see only flow_int.h.
 */
#ifndef VPCFW_FLOW_TABLE_INT_H
#define VPCFW_FLOW_TABLE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	bool evict_unest;	/* flow_params.evict_unestablished */
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

/* An offloaded flow ends when the kernel's entry does (flow_table_kernel_account). */
static inline bool flow_expired(const struct flow_entry *e, uint64_t now)
{
	return !e->offloaded && now >= e->expires;
}

static inline size_t flow_bucket_of(const struct flow_table *t,
				    const struct flow_key *k)
{
	return (size_t)flow_key_hash(&t->conf, k) & t->mask;
}

static inline size_t flow_stripe_of(const struct flow_table *t, size_t b)
{
	return b >> t->shift;
}

static inline void flow_lock(struct flow_table *t, size_t s)
{
	pthread_mutex_lock(&t->stripe[s].lock);
}

static inline void flow_unlock(struct flow_table *t, size_t s)
{
	pthread_mutex_unlock(&t->stripe[s].lock);
}

/* A free entry from the pool, or NULL when all max_flows are in use. */
struct flow_entry *flow_pool_get(struct flow_table *t);
/* Return a list of entries (linked through next) to the pool. */
void flow_pool_put(struct flow_table *t, struct flow_entry *head);
/* Untracked entries of stripe s (its lock held) went up or down by one. */
void flow_stripe_untracked(struct flow_table *t, size_t s, bool up);
/* e left a chain of stripe s (locked): the live counter of its kind drops. */
void flow_unlinked(struct flow_table *t, size_t s, const struct flow_entry *e);
/*
 * Find k in bucket b. Expired entries met on the way are unlinked onto
 * *reaped (also the matching one: an expired flow is a miss). *len gets
 * the number of live entries left in the chain when k is absent.
 */
struct flow_entry *flow_chain_find(struct flow_table *t, size_t b,
				   const struct flow_key *k, uint64_t now,
				   size_t *len, struct flow_entry **reaped);

#endif
