/*
 * The policy's RCU handover (liburcu's urcu_memb) as ThreadSanitizer must
 * see it. TSan sees neither liburcu's publication (rcu_xchg_pointer is
 * inline assembly) nor its grace periods (synchronize_rcu waits for the
 * readers' counters inside the uninstrumented library), so it would report
 * two false races: a reader using a policy whose construction it did not
 * see, and the free of a replaced policy "racing" with the readers that
 * synchronize_rcu waited for. These helpers state the two orders RCU
 * guarantees, as TSan annotations (they are nothing without
 * -fsanitize=thread):
 *   publish: all that built the policy  -> every reader that dereferences it
 *   grace:   the end of every read-side section -> what follows synchronize_rcu
 * The token of the grace order is the slot's address.
 */
#ifndef VPCFW_POLICY_RCU_H
#define VPCFW_POLICY_RCU_H

#include <urcu/urcu-memb.h>
#include "eni.h"

#ifdef __SANITIZE_THREAD__
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define policy_rcu_acquire(a)	__tsan_acquire((void *)(a))
#define policy_rcu_release(a)	__tsan_release((void *)(a))
#else
#define policy_rcu_acquire(a)	((void)(a))
#define policy_rcu_release(a)	((void)(a))
#endif

/* Inside urcu_memb_read_lock(): the policy set in force (eni.h). */
static inline struct pset *policy_rcu_get(struct pset **slot)
{
	struct pset *p = rcu_dereference(*slot);

	policy_rcu_acquire(p);
	return p;
}

/* Ends a read-side section that began with urcu_memb_read_lock(). */
static inline void policy_rcu_unlock(struct pset **slot)
{
	policy_rcu_release(slot);
	urcu_memb_read_unlock();
}

/* Puts np in force; returns the old set once no reader holds it. */
static inline struct pset *policy_rcu_swap(struct pset **slot, struct pset *np)
{
	struct pset *old;

	policy_rcu_release(np);
	old = rcu_xchg_pointer(slot, np);
	urcu_memb_synchronize_rcu();
	policy_rcu_acquire(slot);
	return old;
}

#endif
