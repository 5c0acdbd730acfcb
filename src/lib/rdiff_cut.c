/*
 * Where the packet space is cut (see rdiff.c): the rules' shapes, the
 * protocol cuts of a group, the port or ICMP type/code cuts of a protocol,
 * and the peer cuts of one cell, made only by the rules that can match it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rdiff_int.h"

int rdiff_cuts_add(struct cuts *c, rdiff_u128 x)
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
	if (rdiff_cuts_add(c, x) < 0)
		return -1;
	return y < max ? rdiff_cuts_add(c, y + 1) : 0;
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
rdiff_u128 rdiff_cuts_last(const struct cuts *c, size_t i, rdiff_u128 max)
{
	return i + 1 < c->n ? c->v[i + 1] - 1 : max;
}

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
	} else if (e->proto == IPPROTO_NUM_ICMP || icmp_of(e->cidr.family, e->proto)) {
		/* acl.c: types for ICMP, and for ICMPv6 with an IPv6 block */
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
int rdiff_cell_cuts(struct group *g, const struct rdiff_line *cell)
{
	rdiff_u128 first, last;
	size_t i;

	g->addr.n = 0;
	if (rdiff_cuts_add(&g->addr, 0) < 0)
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

/* Cuts of dimension a (dim 0) or b (dim 1) among the rules of protocol proto. */
int rdiff_dim_cuts(const struct group *g, int proto, int dim, rdiff_u128 max,
		    struct cuts *c)
{
	size_t i;

	if (rdiff_cuts_add(c, 0) < 0)
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

/* The rules of the family on both sides, and the protocol cuts. */
int rdiff_group_cuts(struct group *g, struct cuts *pc)
{
	size_t i, n = side_count(g->s[0], g->d) + side_count(g->s[1], g->d);
	int k;

	g->shapes = malloc((n ? n : 1) * sizeof(*g->shapes));
	if (!g->shapes || rdiff_cuts_add(pc, 0) < 0)
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

bool rdiff_proto_typed(const struct group *g, int proto)
{
	size_t i;

	for (i = 0; i < g->n_shapes; i++)
		if (g->shapes[i].proto == proto &&
		    (g->shapes[i].a_lo >= 0 || g->shapes[i].b_lo >= 0))
			return true;
	return false;
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
