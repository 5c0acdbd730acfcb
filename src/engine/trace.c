/* The live trace: lossy per-thread rings, the filter match, and the line format. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rulename.h"
#include "textbuf.h"
#include "trace.h"

struct trace_ring {
	size_t mask;
	/* Written by the producer only; read by the consumer. */
	uint64_t head __attribute__((aligned(64)));
	uint64_t lost;
	/* Written by the consumer only; read by the producer. */
	uint64_t tail __attribute__((aligned(64)));
	struct trace_rec rec[];
};

struct trace_ring *trace_ring_new(unsigned order)
{
	size_t n = (size_t)1 << order;
	struct trace_ring *r = calloc(1, sizeof(*r) + n * sizeof(struct trace_rec));

	if (!r)
		return NULL;
	r->mask = n - 1;
	return r;
}

void trace_ring_free(struct trace_ring *r)
{
	free(r);
}

bool trace_ring_push(struct trace_ring *r, const struct trace_rec *rec)
{
	uint64_t head = r->head;
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	if (head - tail > r->mask) {
		__atomic_fetch_add(&r->lost, 1, __ATOMIC_RELAXED);
		return false;
	}
	r->rec[head & r->mask] = *rec;
	/* Publish the record before the consumer may see the new head. */
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return true;
}

size_t trace_ring_pop(struct trace_ring *r, struct trace_rec *out, size_t max)
{
	uint64_t tail = r->tail;
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	size_t n = 0;

	while (tail != head && n < max)
		out[n++] = r->rec[tail++ & r->mask];
	/* The slots may be reused once the producer sees the new tail. */
	__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
	return n;
}

uint64_t trace_ring_take_lost(struct trace_ring *r)
{
	return __atomic_exchange_n(&r->lost, 0, __ATOMIC_RELAXED);
}

bool trace_match(const struct trace_rec *r, const struct filter *f)
{
	const struct pkt *p = &r->p;
	char name[IF_NAMESIZE];
	/* A name asked of the kernel only when the filter names an interface. */
	const struct filter_tuple t = {
		.family = p->family, .proto = p->proto, .src = p->src, .dst = p->dst,
		.sport = p->sport, .dport = p->dport,
		.iface = f->iface[0] && r->ifindex ? if_indextoname(r->ifindex, name) : NULL,
	};

	if (f->verdict >= 0 && r->accept != f->verdict)
		return false;
	return filter_match(f, &t);
}

/* What the record keeps of the decision; its SG rule named only under its own policy. */
static void rec_decision(const struct trace_rec *r, const struct policy *pol,
			 struct rule_decision *rd)
{
	memset(rd, 0, sizeof(*rd));
	rd->layer = (enum verdict_layer)r->layer;
	rd->dir = (enum dir)r->dir;
	rd->nacl_number = r->nacl_number;
	rd->nacl_allow = r->nacl_allow;
	rd->sg_outcome = (enum sg_outcome)r->sg_outcome;
	rd->sg_rule = r->sg_rule;
	rd->exempt = (enum exempt_kind)r->exempt;
	rd->same_subnet = r->same_subnet;
	if (r->serial == policy_serial(pol))
		rd->rs = policy_ruleset(pol);
}

/* "HH:MM:SS.mmm q0 in  tcp ... [S] ": what every line starts with. */
static void put_head(struct textbuf *l, const struct trace_rec *r)
{
	char pk[160];
	time_t secs = (time_t)(r->wall_ms / 1000);
	struct tm tm;

	localtime_r(&secs, &tm);
	textbuf_put(l, "%02d:%02d:%02d.%03u q%u %-3s %s ", tm.tm_hour, tm.tm_min,
		    tm.tm_sec, (unsigned)(r->wall_ms % 1000), r->queue,
		    r->dir == DIR_IN ? "in" : "out",
		    r->p.family ? pkt_format(&r->p, pk, sizeof(pk)) : "(unparsed)");
}

static void put_tail(struct textbuf *l, const struct trace_iface *ifc, const char *mark,
		     char *buf, size_t len)
{
	if (ifc && ifc->name)
		textbuf_put(l, " [%s%s]", ifc->eni ? "eni " : "", ifc->name);
	textbuf_put(l, "%s\n", mark);
	if (l->used + 1 >= len && len > 1)
		buf[len - 2] = '\n';
}

/* The enforced decision in prose, or what happened to a packet no rule judged. */
static void put_enforced(struct textbuf *l, const struct trace_rec *r,
			 const struct policy *pol)
{
	struct rule_decision rd;
	char why[256];

	if (r->kind == TRACE_MALFORMED) {
		textbuf_put(l, "malformed (%s)", pkt_status_name((enum pkt_status)r->status));
	} else if (r->kind == TRACE_UNJUDGED) {
		textbuf_put(l, "unjudged: no direction for hook %u, failure policy applied", r->hook);
	} else {
		rec_decision(r, pol, &rd);
		textbuf_put(l, "%s", rulename_decision(&rd, RULENAME_PROSE, why, sizeof(why)));
	}
}

void trace_format(const struct trace_rec *r, const struct policy *pol,
		  const struct trace_iface *ifc, char *buf, size_t len)
{
	struct textbuf l;

	textbuf_init(&l, buf, len);
	put_head(&l, r);
	textbuf_put(&l, "%s: ", r->accept ? "ACCEPT" : "DROP");
	put_enforced(&l, r, pol);
	put_tail(&l, ifc, "", buf, len);
}

bool trace_disagrees(const struct trace_rec *r)
{
	return r->has_shadow && r->sh.accept != r->accept;
}

void trace_format_compare(const struct trace_rec *r, const struct policy *pol,
			  const struct policy *shpol, const struct trace_iface *ifc,
			  char *buf, size_t len)
{
	struct textbuf l;
	char why[256];

	textbuf_init(&l, buf, len);
	put_head(&l, r);
	textbuf_put(&l, " enforced: %s ", r->accept ? "ACCEPT" : "DROP");
	put_enforced(&l, r, pol);
	if (r->has_shadow)
		textbuf_put(&l, " / shadow: %s %s", r->sh.accept ? "ACCEPT" : "DROP",
			    disagree_side_name(&r->sh, (enum dir)r->dir, shpol, RULENAME_PROSE,
					       why, sizeof(why)));
	else
		textbuf_put(&l, " / shadow: none");
	put_tail(&l, ifc, trace_disagrees(r) ? "  <-- differ" : "", buf, len);
}
