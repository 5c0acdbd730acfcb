/*
 * The flow table seen from outside (see flow.h): its counters, and copies
 * of its entries for listing, taken one stripe at a time.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "flow_table_int.h"

void flow_table_stats(struct flow_table *t, struct flow_stats *s)
{
	size_t i;

	s->count = flow_get(t, count);
	s->cap = t->cap;
	s->buckets = t->nbuckets;
	s->inserts = flow_get(t, inserts);
	s->expired = flow_get(t, expired);
	s->evictions = flow_get(t, evictions);
	s->conntrack_allowance_exceeded = flow_get(t, exceeded);
	s->conntrack_allowance_available = s->count < s->cap ? s->cap - s->count : 0;
	s->evict_unestablished = t->evict_unest;
	s->tcp_established_s = (uint32_t)(t->conf.def.tmo[FL_TCP][FLOW_ESTABLISHED] / 1000);
	s->udp_stream_s = (uint32_t)(t->conf.def.tmo[FL_UDP][FLOW_UDP_STREAM] / 1000);
	s->udp_s = (uint32_t)(t->conf.def.tmo[FL_UDP][FLOW_NEW] / 1000);
	s->n_iface = atomic_load_explicit(&t->conf.n_if, memory_order_relaxed);
	for (i = 0; i < s->n_iface && i < FLOW_IFACE_TMO_MAX; i++) {
		const struct flow_tmo *m = &t->conf.if_tmo[i];

		s->iface[i].ifindex = atomic_load_explicit(&t->conf.if_index[i],
							   memory_order_relaxed);
		s->iface[i].tcp_established_s = (uint32_t)(m->tmo[FL_TCP][FLOW_ESTABLISHED] / 1000);
		s->iface[i].udp_stream_s = (uint32_t)(m->tmo[FL_UDP][FLOW_UDP_STREAM] / 1000);
		s->iface[i].udp_s = (uint32_t)(m->tmo[FL_UDP][FLOW_NEW] / 1000);
	}
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
	v->ifindex = e->ifindex;
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
