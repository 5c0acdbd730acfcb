/*
 * The difference of two policies, region by region (see rdiff.h). For one
 * layer, direction and family, every boundary the two rule sets mention
 * cuts its dimension: protocols, then within a protocol with ports (TCP,
 * UDP) the destination ports, within ICMP of the family the types and
 * codes, and across all of them the peer addresses (a CIDR is the range
 * [first, last]; IPv6 as 128-bit numbers). Inside a region no rule can tell
 * two packets apart, so one packet judged by acl_eval()/sg_eval() stands
 * for the region exactly. Where the cuts fall: rdiff_cut.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rdiff_int.h"
#include "rulename.h"

/* Which rule decided, for one side (NULL: the layer is absent, or no SG rule). */
struct outcome {
	bool admit;
	const void *rule;
};

static void side_judge(const struct group *g, const struct side *sd,
		       const struct pkt *p, struct outcome *o)
{
	o->rule = NULL;
	o->admit = true;
	if (sd->acl) {
		const struct nacl_entry *e = acl_eval(sd->acl, g->d, p);

		o->admit = e->allow;
		o->rule = e;
	} else if (sd->sg) {
		const struct sg_entry *e = NULL;

		o->admit = sg_eval(sd->sg, g->d, p, &e) != SG_DENY;
		o->rule = o->admit ? e : NULL;
	}
}

static void rule_name(const struct group *g, const struct side *sd,
		      const struct outcome *o, char *buf, size_t len)
{
	struct rule_decision rdn;

	memset(&rdn, 0, sizeof(rdn));
	rdn.dir = g->d;
	rdn.sg_rule = -1;
	if (g->layer == VL_NACL && !sd->acl) {
		snprintf(buf, len, "no NACL");
	} else if (g->layer == VL_NACL) {
		const struct nacl_entry *e = o->rule;

		rdn.layer = VL_NACL;
		rdn.nacl_number = e->number;
		rdn.nacl_allow = e->allow;
		rdn.nacl = e;
		rulename_decision(&rdn, RULENAME_PROSE, buf, len);
	} else if (!sd->sg) {
		snprintf(buf, len, "no security groups");
	} else if (o->rule) {
		rulename_sg(sd->rs, g->d, (size_t)((const struct sg_entry *)o->rule - sd->rs->sg),
			    buf, len);
	} else {
		rdn.layer = VL_SG;
		rdn.sg_outcome = SGO_NO_RULE;
		rulename_decision(&rdn, 0, buf, len);
	}
}

/* The packet standing for a region: its peer is the range's first address. */
static void region_packet(const struct group *g, const struct rdiff_line *cell,
			  rdiff_u128 peer, struct pkt *p)
{
	uint8_t *a;
	int i, nb = g->fam == AF_INET ? 4 : 16;

	memset(p, 0, sizeof(*p));
	p->family = g->fam;
	p->proto = (uint8_t)cell->proto_lo;
	p->flags = PKT_F_L4;
	if (!(cell->pkts & RDIFF_HEADER)) {
		p->flags = PKT_F_FRAG | PKT_F_LATER_FRAG;
	} else if (rdiff_line_ports(cell)) {
		p->dport = (uint16_t)cell->a_lo;
		p->sport = 40000;
		if (p->proto == IPPROTO_NUM_TCP)
			p->tcp_flags = TCPF_SYN;	/* the first packet of a connection */
	} else if (rdiff_line_icmp(cell)) {
		p->icmp_type = (uint8_t)cell->a_lo;
		p->icmp_code = (uint8_t)cell->b_lo;
	}
	a = g->d == DIR_IN ? p->src : p->dst;
	for (i = nb - 1; i >= 0; i--, peer >>= 8)
		a[i] = (uint8_t)peer;
}

/* A differing region: address interval `ai` of the cell, with its outcome pair. */
struct hit {
	size_t ai;
	struct outcome o[2];
};

static int cmp_hit(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;
	int i;

	for (i = 0; i < 2; i++) {
		if (a->o[i].rule != b->o[i].rule)
			return (uintptr_t)a->o[i].rule < (uintptr_t)b->o[i].rule ? -1 : 1;
		if (a->o[i].admit != b->o[i].admit)
			return a->o[i].admit ? 1 : -1;
	}
	return (a->ai > b->ai) - (a->ai < b->ai);
}

static bool same_outcome(const struct hit *a, const struct hit *b)
{
	return a->o[0].rule == b->o[0].rule && a->o[1].rule == b->o[1].rule &&
	       a->o[0].admit == b->o[0].admit && a->o[1].admit == b->o[1].admit;
}

static struct rdiff_line *box_new(struct group *g)
{
	if (g->n_boxes == g->cap_boxes) {
		size_t cap = g->cap_boxes ? g->cap_boxes * 2 : 32;
		struct rdiff_line *nb = realloc(g->boxes, cap * sizeof(*nb));

		if (!nb)
			return NULL;
		g->boxes = nb;
		g->cap_boxes = cap;
	}
	return &g->boxes[g->n_boxes++];
}

/* One box per outcome pair among hits[0..n) (sorted): its address ranges. */
static int boxes_of_hits(struct group *g, const struct rdiff_line *cell,
			 const struct hit *h, size_t n)
{
	size_t i = 0, j, k;

	while (i < n) {
		struct rdiff_line *b;

		for (j = i + 1; j < n && same_outcome(&h[i], &h[j]); j++)
			;
		b = box_new(g);
		if (!b)
			return -1;
		*b = *cell;
		b->admit = h[i].o[1].admit;
		rule_name(g, g->s[0], &h[i].o[0], b->old_rule, sizeof(b->old_rule));
		rule_name(g, g->s[1], &h[i].o[1], b->new_rule, sizeof(b->new_rule));
		b->peers = malloc((j - i) * sizeof(*b->peers));
		if (!b->peers) {
			g->n_boxes--;
			return -1;
		}
		for (k = i; k < j; k++) {
			rdiff_u128 first = g->addr.v[h[k].ai];
			rdiff_u128 last = rdiff_cuts_last(&g->addr, h[k].ai, g->amax);

			if (b->n_peers && b->peers[b->n_peers - 1].last + 1 == first)
				b->peers[b->n_peers - 1].last = last;
			else
				b->peers[b->n_peers++] = (struct rdiff_range){ first, last };
		}
		i = j;
	}
	return 0;
}

/* Judge every address interval of one cell (protocols x a x b) on both sides. */
static int judge_cell(struct group *g, const struct rdiff_line *cell, struct hit *hits)
{
	uint64_t cost;
	size_t i, n = 0;
	struct pkt p;

	if (rdiff_cell_cuts(g, cell) < 0)
		return -1;
	cost = g->addr.n * (g->n_shapes + 1);

	if (g->rd->steps + cost > g->budget) {
		g->rd->cut = true;
		return 0;
	}
	g->rd->steps += cost;
	for (i = 0; i < g->addr.n; i++) {
		region_packet(g, cell, g->addr.v[i], &p);
		side_judge(g, g->s[0], &p, &hits[n].o[0]);
		side_judge(g, g->s[1], &p, &hits[n].o[1]);
		if (hits[n].o[0].admit != hits[n].o[1].admit)
			hits[n++].ai = i;
	}
	qsort(hits, n, sizeof(*hits), cmp_hit);
	return boxes_of_hits(g, cell, hits, n);
}

/* Every cell of one protocol interval. */
static int judge_protos(struct group *g, struct rdiff_line *cell, struct hit *hits)
{
	struct cuts ca = { NULL, 0, 0 }, cb = { NULL, 0, 0 };
	bool ports = rdiff_line_ports(cell), icmp = rdiff_line_icmp(cell);
	rdiff_u128 amax = ports ? 65535 : icmp ? 255 : 65535, bmax = 255;
	/*
	 * Do its later fragments need a cell of their own? Yes when a rule
	 * looks at ports or types, even one the packets of the family never
	 * carry (an ICMPv6 type on an IPv4 rule: the parser leaves 0 there).
	 */
	bool typed = ports || icmp || (cell->proto_lo == cell->proto_hi &&
				       rdiff_proto_typed(g, cell->proto_lo));
	size_t i, j;
	int ret = -1;

	cell->pkts = typed ? RDIFF_HEADER : RDIFF_HEADER | RDIFF_FRAGS;

	if (ports || icmp) {
		if (rdiff_dim_cuts(g, cell->proto_lo, 0, amax, &ca) < 0)
			goto out;
	} else if (rdiff_cuts_add(&ca, 0) < 0) {
		goto out;
	}
	if (icmp ? rdiff_dim_cuts(g, cell->proto_lo, 1, bmax, &cb) < 0 : rdiff_cuts_add(&cb, 0) < 0)
		goto out;
	for (i = 0; i < ca.n && !g->rd->cut; i++) {
		cell->a_lo = (uint32_t)ca.v[i];
		cell->a_hi = (uint32_t)rdiff_cuts_last(&ca, i, amax);
		for (j = 0; j < cb.n && !g->rd->cut; j++) {
			cell->b_lo = (uint16_t)cb.v[j];
			cell->b_hi = (uint16_t)rdiff_cuts_last(&cb, j, bmax);
			if (judge_cell(g, cell, hits) < 0)
				goto out;
		}
	}
	/*
	 * Non-first fragments carry no ports or types: of a protocol that has
	 * them, they are one more cell (the rules covering every value decide).
	 */
	if (typed && !g->rd->cut) {
		cell->pkts = RDIFF_FRAGS;
		cell->a_lo = cell->b_lo = 0;
		cell->a_hi = 65535;
		cell->b_hi = 255;
		if (judge_cell(g, cell, hits) < 0)
			goto out;
	}
	ret = 0;
out:
	cell->pkts = typed ? RDIFF_HEADER : RDIFF_HEADER | RDIFF_FRAGS;
	free(ca.v);
	free(cb.v);
	return ret;
}

static int group_run(struct group *g)
{
	struct cuts pc = { NULL, 0, 0 };
	struct hit *hits = NULL;
	struct rdiff_line cell;
	size_t i;
	int ret = -1;

	if (rdiff_group_cuts(g, &pc) < 0)
		goto out;
	hits = malloc((2 * g->n_shapes + 1) * sizeof(*hits));
	if (!hits)
		goto out;
	memset(&cell, 0, sizeof(cell));
	cell.layer = g->layer;
	cell.dir = g->d;
	cell.family = g->fam;
	for (i = 0; i < pc.n && !g->rd->cut; i++) {
		cell.proto_lo = (uint16_t)pc.v[i];
		cell.proto_hi = (uint16_t)rdiff_cuts_last(&pc, i, 255);
		if (judge_protos(g, &cell, hits) < 0)
			goto out;
	}
	ret = rdiff_merge(g->rd, g->boxes, g->n_boxes);
	g->n_boxes = 0;	/* the lines own the peers now, or they were freed */
out:
	for (i = 0; i < g->n_boxes; i++)
		free(g->boxes[i].peers);
	free(g->boxes);
	free(hits);
	free(pc.v);
	free(g->addr.v);
	free(g->shapes);
	return ret;
}

static void side_of(const struct policy *pol, uint8_t layer, struct side *sd)
{
	memset(sd, 0, sizeof(*sd));
	if (!pol)
		return;
	sd->rs = policy_ruleset(pol);
	if (layer == VL_NACL)
		sd->acl = policy_acl(pol);
	else
		sd->sg = policy_sg(pol);
}

struct rdiff *rdiff_new(const struct policy *old, const struct policy *new,
			unsigned layers, uint64_t budget)
{
	static const uint8_t layer_of[2] = { VL_NACL, VL_SG };
	struct rdiff *rd = calloc(1, sizeof(*rd));
	struct side s[2][2];	/* [layer][old/new] */
	unsigned l, d, f;

	if (!rd)
		return NULL;
	if (!layers)
		layers = 3;
	for (l = 0; l < 2; l++) {
		side_of(old, layer_of[l], &s[l][0]);
		side_of(new, layer_of[l], &s[l][1]);
	}
	for (l = 0; l < 2; l++) {
		if (!(layers & (1u << l)))
			continue;
		for (d = 0; d < DIR_MAX; d++) {
			for (f = 0; f < 2; f++) {
				struct group g = {
					.rd = rd, .budget = budget ? budget : RDIFF_BUDGET_DEFAULT,
					.layer = layer_of[l], .d = (enum dir)d,
					.fam = f ? AF_INET6 : AF_INET,
					.amax = f ? ~(rdiff_u128)0 : 0xffffffffu,
					.s = { &s[l][0], &s[l][1] },
				};

				if (group_run(&g) < 0) {
					rdiff_free(rd);
					errno = ENOMEM;
					return NULL;
				}
			}
		}
	}
	return rd;
}

void rdiff_free(struct rdiff *rd)
{
	size_t i;

	if (!rd)
		return;
	for (i = 0; i < rd->n; i++)
		free(rd->v[i].peers);
	free(rd->v);
	free(rd);
}
