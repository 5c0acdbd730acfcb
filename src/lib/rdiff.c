/*
 * The difference of two policies, region by region (see rdiff.h). For one
 * layer, direction and family, every boundary the two rule sets mention
 * cuts its dimension: protocols, then within a protocol with ports (TCP,
 * UDP) the destination ports, within ICMP of the family the types and
 * codes, and across all of them the peer addresses (a CIDR is the range
 * [first, last]; IPv6 as 128-bit numbers). Inside a region no rule can tell
 * two packets apart, so one packet judged by acl_eval()/sg_eval() stands
 * for the region exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rdiff.h"
#include "rulename.h"

/* A dimension's cut points, ascending and unique once sorted. */
struct cuts {
	rdiff_u128 *v;
	size_t n, cap;
};

static int cuts_add(struct cuts *c, rdiff_u128 x)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		rdiff_u128 *nv = realloc(c->v, cap * sizeof(*nv));

		if (!nv)
			return -1;
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = x;
	return 0;
}

/* Cut before x and after y, inside [0, max]. */
static int cuts_span(struct cuts *c, rdiff_u128 x, rdiff_u128 y, rdiff_u128 max)
{
	if (cuts_add(c, x) < 0)
		return -1;
	return y < max ? cuts_add(c, y + 1) : 0;
}

static int cmp_u128(const void *x, const void *y)
{
	const rdiff_u128 *a = x, *b = y;

	return (*a > *b) - (*a < *b);
}

static void cuts_finish(struct cuts *c)
{
	size_t i, k = 0;

	qsort(c->v, c->n, sizeof(*c->v), cmp_u128);
	for (i = 0; i < c->n; i++)
		if (!k || c->v[i] != c->v[k - 1])
			c->v[k++] = c->v[i];
	c->n = k;
}

/* Interval i of the cuts (the first is 0): [v[i], v[i+1] - 1], the last up to max. */
static rdiff_u128 cuts_last(const struct cuts *c, size_t i, rdiff_u128 max)
{
	return i + 1 < c->n ? c->v[i + 1] - 1 : max;
}

/* One policy's view of one layer. */
struct side {
	const struct acl *acl;
	const struct sg *sg;
	const struct ruleset *rs;
};

/* The rule shape the cuts need: what a rule tests beyond its peer. */
struct shape {
	const struct cidr *c;
	int proto;
	int32_t a_lo, a_hi, b_lo, b_hi;	/* -1: not tested */
};

static bool icmp_of(uint8_t fam, int proto)
{
	return (fam == AF_INET && proto == IPPROTO_NUM_ICMP) ||
	       (fam == AF_INET6 && proto == IPPROTO_NUM_ICMPV6);
}

static void shape_nacl(const struct nacl_entry *e, struct shape *s)
{
	*s = (struct shape){ &e->cidr, e->proto, -1, -1, -1, -1 };
	if (e->proto == IPPROTO_NUM_TCP || e->proto == IPPROTO_NUM_UDP) {
		s->a_lo = e->port_from;
		s->a_hi = e->port_to;
	} else if (icmp_of(e->cidr.family, e->proto)) {
		if (e->icmp_type >= 0)
			s->a_lo = s->a_hi = e->icmp_type;
		if (e->icmp_code >= 0)
			s->b_lo = s->b_hi = e->icmp_code;
	}
}

static void shape_sg(const struct sg_entry *e, struct shape *s)
{
	*s = (struct shape){ &e->cidr, e->proto, -1, -1, -1, -1 };
	if ((e->proto == IPPROTO_NUM_TCP || e->proto == IPPROTO_NUM_UDP) && e->from >= 0) {
		s->a_lo = e->from;
		s->a_hi = e->to > 65535 ? 65535 : e->to;
	} else if (e->proto == IPPROTO_NUM_ICMP || e->proto == IPPROTO_NUM_ICMPV6) {
		if (e->from >= 0)
			s->a_lo = s->a_hi = e->from;
		if (e->to >= 0)
			s->b_lo = s->b_hi = e->to;
	}
}

/* Rule i of one side's direction d, if it belongs to family fam. */
static bool side_rule(const struct side *sd, enum dir d, uint8_t fam, size_t i,
		      struct shape *s)
{
	if (sd->acl) {
		const struct nacl_entry *e = acl_rule(sd->acl, d, i);

		shape_nacl(e, s);
	} else {
		shape_sg(sg_rule(sd->sg, d, i), s);
	}
	return s->c->family == fam;
}

static size_t side_count(const struct side *sd, enum dir d)
{
	if (sd->acl)
		return acl_count(sd->acl, d);
	return sd->sg ? sg_count(sd->sg, d) : 0;
}

/* What one group (layer, direction, family) works with. */
struct group {
	struct rdiff *rd;
	uint64_t budget;
	uint8_t layer;
	enum dir d;
	uint8_t fam;
	rdiff_u128 amax;
	const struct side *s[2];	/* old, new */
	struct shape *shapes;		/* both sides' rules of the family */
	size_t n_shapes;
	struct cuts addr;		/* the cell's peer cuts */
	struct rdiff_line *boxes;
	size_t n_boxes, cap_boxes;
};

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
			rdiff_u128 last = cuts_last(&g->addr, h[k].ai, g->amax);

			if (b->n_peers && b->peers[b->n_peers - 1].last + 1 == first)
				b->peers[b->n_peers - 1].last = last;
			else
				b->peers[b->n_peers++] = (struct rdiff_range){ first, last };
		}
		i = j;
	}
	return 0;
}

static bool span_meets(int32_t lo, int32_t hi, uint32_t clo, uint32_t chi)
{
	return lo < 0 || ((uint32_t)lo <= chi && (uint32_t)hi >= clo);
}

/*
 * Can rule s match a packet of the cell? Erring towards yes costs only
 * time: a rule that cannot adds cuts that change nothing.
 */
static bool shape_meets(const struct shape *s, const struct rdiff_line *cell)
{
	if (s->proto >= 0 && (cell->proto_lo != cell->proto_hi || s->proto != cell->proto_lo))
		return false;
	if (s->proto < 0 || cell->pkts == RDIFF_FRAGS || !(rdiff_line_ports(cell) || rdiff_line_icmp(cell)))
		return true;
	return span_meets(s->a_lo, s->a_hi, cell->a_lo, cell->a_hi) &&
	       span_meets(s->b_lo, s->b_hi, cell->b_lo, cell->b_hi);
}

/*
 * The peer cuts of a cell: only the rules that can match its packets cut
 * the addresses, the others never match them (this keeps the work near
 * cells x rules instead of cells x all the peers).
 */
static int cell_cuts(struct group *g, const struct rdiff_line *cell)
{
	rdiff_u128 first, last;
	size_t i;

	g->addr.n = 0;
	if (cuts_add(&g->addr, 0) < 0)
		return -1;
	for (i = 0; i < g->n_shapes; i++) {
		if (!shape_meets(&g->shapes[i], cell))
			continue;
		cidr_range(g->shapes[i].c, &first, &last);
		if (cuts_span(&g->addr, first, last, g->amax) < 0)
			return -1;
	}
	cuts_finish(&g->addr);
	return 0;
}

/* Judge every address interval of one cell (protocols x a x b) on both sides. */
static int judge_cell(struct group *g, const struct rdiff_line *cell, struct hit *hits)
{
	uint64_t cost;
	size_t i, n = 0;
	struct pkt p;

	if (cell_cuts(g, cell) < 0)
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

/* Cuts of dimension a (dim 0) or b (dim 1) among the rules of protocol proto. */
static int dim_cuts(const struct group *g, int proto, int dim, rdiff_u128 max,
		    struct cuts *c)
{
	size_t i;

	if (cuts_add(c, 0) < 0)
		return -1;
	for (i = 0; i < g->n_shapes; i++) {
		const struct shape *s = &g->shapes[i];
		int32_t lo = dim ? s->b_lo : s->a_lo, hi = dim ? s->b_hi : s->a_hi;

		if (s->proto == proto && lo >= 0 &&
		    cuts_span(c, (rdiff_u128)lo, (rdiff_u128)hi, max) < 0)
			return -1;
	}
	cuts_finish(c);
	return 0;
}

/* Every cell of one protocol interval. */
static int judge_protos(struct group *g, struct rdiff_line *cell, struct hit *hits)
{
	struct cuts ca = { NULL, 0, 0 }, cb = { NULL, 0, 0 };
	bool ports = rdiff_line_ports(cell), icmp = rdiff_line_icmp(cell);
	rdiff_u128 amax = ports ? 65535 : icmp ? 255 : 65535, bmax = 255;
	size_t i, j;
	int ret = -1;

	cell->pkts = ports || icmp ? RDIFF_HEADER : RDIFF_HEADER | RDIFF_FRAGS;

	if (ports || icmp) {
		if (dim_cuts(g, cell->proto_lo, 0, amax, &ca) < 0)
			goto out;
	} else if (cuts_add(&ca, 0) < 0) {
		goto out;
	}
	if (icmp ? dim_cuts(g, cell->proto_lo, 1, bmax, &cb) < 0 : cuts_add(&cb, 0) < 0)
		goto out;
	for (i = 0; i < ca.n && !g->rd->cut; i++) {
		cell->a_lo = (uint32_t)ca.v[i];
		cell->a_hi = (uint32_t)cuts_last(&ca, i, amax);
		for (j = 0; j < cb.n && !g->rd->cut; j++) {
			cell->b_lo = (uint16_t)cb.v[j];
			cell->b_hi = (uint16_t)cuts_last(&cb, j, bmax);
			if (judge_cell(g, cell, hits) < 0)
				goto out;
		}
	}
	/*
	 * Non-first fragments carry no ports or types: of a protocol that has
	 * them, they are one more cell (the rules covering every value decide).
	 */
	if ((ports || icmp) && !g->rd->cut) {
		cell->pkts = RDIFF_FRAGS;
		cell->a_lo = cell->b_lo = 0;
		cell->a_hi = 65535;
		cell->b_hi = 255;
		if (judge_cell(g, cell, hits) < 0)
			goto out;
	}
	ret = 0;
out:
	cell->pkts = ports || icmp ? RDIFF_HEADER : RDIFF_HEADER | RDIFF_FRAGS;
	free(ca.v);
	free(cb.v);
	return ret;
}

/* The rules of the family on both sides, and the protocol cuts. */
static int group_cuts(struct group *g, struct cuts *pc)
{
	size_t i, n = side_count(g->s[0], g->d) + side_count(g->s[1], g->d);
	int k;

	g->shapes = malloc((n ? n : 1) * sizeof(*g->shapes));
	if (!g->shapes || cuts_add(pc, 0) < 0)
		return -1;
	for (k = 0; k < 2; k++)
		for (i = 0; i < side_count(g->s[k], g->d); i++)
			if (side_rule(g->s[k], g->d, g->fam, i, &g->shapes[g->n_shapes]))
				g->n_shapes++;
	for (i = 0; i < g->n_shapes; i++) {
		int proto = g->shapes[i].proto;

		if (proto >= 0 && cuts_span(pc, (rdiff_u128)proto, (rdiff_u128)proto, 255) < 0)
			return -1;
	}
	/*
	 * The security groups tell TCP and UDP apart from other protocols even
	 * when no rule names them: which allowing rule they name (a /0 one,
	 * when AWS leaves the flow untracked) depends on it.
	 */
	if (g->layer == VL_SG && (cuts_span(pc, IPPROTO_NUM_TCP, IPPROTO_NUM_TCP, 255) < 0 ||
				  cuts_span(pc, IPPROTO_NUM_UDP, IPPROTO_NUM_UDP, 255) < 0))
		return -1;
	cuts_finish(pc);
	return 0;
}

static int group_run(struct group *g)
{
	struct cuts pc = { NULL, 0, 0 };
	struct hit *hits = NULL;
	struct rdiff_line cell;
	size_t i;
	int ret = -1;

	if (group_cuts(g, &pc) < 0)
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
		cell.proto_hi = (uint16_t)cuts_last(&pc, i, 255);
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

bool rdiff_line_ports(const struct rdiff_line *l)
{
	return l->proto_lo == l->proto_hi &&
	       (l->proto_lo == IPPROTO_NUM_TCP || l->proto_lo == IPPROTO_NUM_UDP);
}

bool rdiff_line_icmp(const struct rdiff_line *l)
{
	return l->proto_lo == l->proto_hi && icmp_of(l->family, l->proto_lo);
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
