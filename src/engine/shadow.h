/*
 * The shadow policy (`run --shadow-nacl/--shadow-sg`, `apply --shadow`): a
 * second policy that judges every packet after the enforced one, with its
 * own flow table and rule counters, and is never enforced. It tells where
 * the two part: each queue thread tallies the packets on which the verdicts
 * differed (disagree.h). The engine holds it behind one pointer read under
 * RCU with the enforced policy set (policy_rcu.h), NULL when there is none,
 * so that without a shadow a packet costs one predictable branch more.
 */
#ifndef VPCFW_SHADOW_H
#define VPCFW_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu/urcu-memb.h>

#include "disagree.h"
#include "flow.h"
#include "policy.h"
#include "policy_rcu.h"

/* One queue thread's part: written by that thread only, on its own cache lines. */
struct shadow_q {
	uint64_t judged;
	struct disagree_tally t;
} __attribute__((aligned(64)));

struct shadow {
	struct policy *pol;
	/*
	 * Outlives the shadow: handed to the next one, as flows outlive
	 * rules. NULL until a shadow has security groups.
	 */
	struct flow_table *flows;
	size_t nq;
	struct shadow_q q[];
};

/*
 * A shadow judging with pol, tracking in flows, tallied by nq threads;
 * takes pol (freed on failure) and flows (left to the caller on failure).
 * NULL + errno.
 */
struct shadow *shadow_new(struct policy *pol, struct flow_table *flows, size_t nq);
/* Frees the shadow and its policy, and the flow table unless keep_flows. NULL is fine. */
void shadow_free(struct shadow *s, bool keep_flows);

/* Judged packet count and tally over every thread, read now (a private copy). */
void shadow_sum(const struct shadow *s, uint64_t *judged, struct disagree_tally *sum);

/* Inside urcu_memb_read_lock(): the shadow in force, or NULL. */
static inline struct shadow *shadow_rcu_get(struct shadow **slot)
{
	struct shadow *s = rcu_dereference(*slot);

	if (s)
		policy_rcu_acquire(s);
	return s;
}

/*
 * Before urcu_memb_read_unlock() (policy_rcu_unlock): the end of the
 * section, as shadow_rcu_swap()'s grace period orders it for TSan (the
 * token is the shadow slot's address, as policy_rcu.h's is the set's).
 */
static inline void shadow_rcu_release_reader(struct shadow **slot)
{
	policy_rcu_release(slot);
}

/* Puts ns (NULL: none) in force; returns the old one once no reader holds it. */
static inline struct shadow *shadow_rcu_swap(struct shadow **slot, struct shadow *ns)
{
	struct shadow *old;

	if (ns)
		policy_rcu_release(ns);
	old = rcu_xchg_pointer(slot, ns);
	urcu_memb_synchronize_rcu();
	policy_rcu_acquire(slot);
	return old;
}

#endif
