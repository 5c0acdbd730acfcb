/* The shadow policy's holder: its policy, flow table and per-thread tallies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow.h"

struct shadow *shadow_new(struct policy *pol, struct flow_table *flows, size_t nq)
{
	size_t size = sizeof(struct shadow) + nq * sizeof(struct shadow_q);
	struct shadow *s;

	/* aligned_alloc wants a multiple of the alignment. */
	size = (size + 63) & ~(size_t)63;
	s = aligned_alloc(64, size);
	if (!s) {
		policy_free(pol);
		return NULL;
	}
	memset(s, 0, size);
	s->pol = pol;
	s->flows = flows;
	s->nq = nq;
	return s;
}

void shadow_free(struct shadow *s, bool keep_flows)
{
	if (!s)
		return;
	policy_free(s->pol);
	if (!keep_flows)
		flow_table_free(s->flows);
	free(s);
}

void shadow_sum(const struct shadow *s, uint64_t *judged, struct disagree_tally *sum)
{
	size_t i;

	*judged = 0;
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < s->nq; i++) {
		*judged += __atomic_load_n(&s->q[i].judged, __ATOMIC_RELAXED);
		disagree_merge(sum, &s->q[i].t);
	}
}
