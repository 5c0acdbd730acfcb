/*
 * Security-group lint (doc/aws-semantics.md 2.1, 2.3): the groups act as the
 * union of their rules, so a rule another rule of its direction covers
 * (any group) changes nothing, not even tracking (a covering rule of a /0
 * rule is /0 itself). Also SSH/RDP open to the world, and IPv4 /0 rules
 * without an IPv6 twin in a group that has IPv6 rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules_lint_int.h"

static enum lint_kind sg_kind(const struct sg_entry *e)
{
	switch (e->proto) {
	case 6:
	case 17:
		return e->from < 0 ? LK_ANY : LK_PORTS;
	case 1:
	case 58:
		return LK_ICMP;
	default:
		return LK_ANY;
	}
}

static bool sg_valid(const struct sg_entry *e)
{
	return e->cidr.family == AF_INET || e->cidr.family == AF_INET6;
}

/* "sg-web inbound tcp 80 from 10.0.0.0/8", "... from 10.0.1.5/32 via sg-db". */
static const char *sg_label(const struct ruleset *rs, const struct sg_entry *e,
			    char *buf, size_t len)
{
	char what[64], cidr[CIDR_STRLEN];
	const char *gid = e->group < rs->n_groups ? rs->groups[e->group].id : "?";

	lint_what(e->proto, sg_kind(e), e->from, e->to, what, sizeof(what));
	snprintf(buf, len, "%s %s %s %s %s%s%s", gid, e->egress ? "outbound" : "inbound",
		 what, e->egress ? "to" : "from", cidr_format(&e->cidr, cidr, sizeof(cidr)),
		 e->ref ? " via " : "", e->ref ? e->ref : "");
	return buf;
}

static void sg_shape(const struct sg_entry *e, struct cover_shape *s)
{
	switch (sg_kind(e)) {
	case LK_PORTS:
		cover_shape_ports(s, e->proto, e->from, e->to);
		break;
	case LK_ICMP:
		cover_shape_icmp(s, e->proto, e->from, e->to);
		break;
	default:	/* all traffic, TCP/UDP all ports (= 0-65535), other protocols */
		cover_shape_any(s, e->proto);
		break;
	}
}

/* The rules as items of cv (value: index, or minus it), those in `in` only. */
static int sg_items(struct cover *cv, const struct ruleset *rs, const bool *in, int sign)
{
	struct cover_shape sh;
	size_t i;

	for (i = 0; i < rs->n_sg; i++) {
		if (!in[i])
			continue;
		sg_shape(&rs->sg[i], &sh);
		if (cover_add(cv, rs->sg[i].egress, &rs->sg[i].cidr, &sh, sign * (int32_t)i) < 0)
			return -1;
	}
	return 0;
}

static int sg_asks(struct cover *cv, const struct ruleset *rs, const bool *ask)
{
	struct cover_shape sh;
	size_t i;

	for (i = 0; i < rs->n_sg; i++) {
		if (!ask[i])
			continue;
		sg_shape(&rs->sg[i], &sh);
		if (cover_ask(cv, rs->sg[i].egress, &rs->sg[i].cidr, &sh, (uint32_t)i) < 0)
			return -1;
	}
	return 0;
}

static int32_t *best_new(size_t n)
{
	int32_t *b = malloc((n + 1) * sizeof(*b));
	size_t i;

	for (i = 0; b && i <= n; i++)
		b[i] = INT32_MAX;
	return b;
}

/* The least value among the covering items of each asked rule (INT32_MAX: none). */
static int32_t *sg_cover(struct lint *l, const bool *items, int sign, const bool *ask)
{
	struct cover cv;
	int32_t *best = best_new(l->rs->n_sg);

	cover_init(&cv);
	if (!best || sg_items(&cv, l->rs, items, sign) < 0 || sg_asks(&cv, l->rs, ask) < 0 ||
	    cover_run(&cv, best) < 0) {
		free(best);
		best = NULL;
	}
	l->steps += cv.steps;
	cover_free(&cv);
	return best;
}

struct sg_class {
	uint8_t k[COVER_KEY];
	int32_t lo, hi;
	size_t i;
};

static int by_class(const void *x, const void *y)
{
	const struct sg_class *a = x, *b = y;
	int c = memcmp(a->k, b->k, COVER_KEY);

	if (c)
		return c;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/*
 * Of rules that cover each other (same direction, peer, protocol and ports)
 * only the first is kept (in first[]); the others are redundant.
 */
static int sg_classes(const struct ruleset *rs, bool *first, bool *redundant)
{
	struct sg_class *c = calloc(rs->n_sg + 1, sizeof(*c));
	struct cover_shape sh;
	size_t i, n = 0;

	if (!c)
		return -1;
	for (i = 0; i < rs->n_sg; i++) {
		if (!sg_valid(&rs->sg[i]))
			continue;
		sg_shape(&rs->sg[i], &sh);
		cover_key(c[n].k, rs->sg[i].egress, &rs->sg[i].cidr, &sh);
		c[n].lo = sh.lo;
		c[n].hi = sh.hi;
		c[n++].i = i;
	}
	qsort(c, n, sizeof(*c), by_class);
	for (i = 0; i < n; i++) {
		first[c[i].i] = i == 0 || c[i].lo != c[i - 1].lo || c[i].hi != c[i - 1].hi ||
				memcmp(c[i].k, c[i - 1].k, COVER_KEY);
		redundant[c[i].i] = !first[c[i].i];
	}
	free(c);
	return 0;
}

/*
 * Which rules another rule covers. Of two equivalent rules only the later
 * one is redundant; a first of its kind is when another first covers it,
 * which the least and the greatest covering index tell (it covers itself).
 */
static int sg_redundant(struct lint *l, bool *redundant)
{
	size_t n = l->rs->n_sg, i;
	bool *first = calloc(n + 1, sizeof(*first));
	int32_t *lo = NULL, *hi = NULL;
	int rc = -1;

	if (!first || sg_classes(l->rs, first, redundant) < 0)
		goto out;
	lo = sg_cover(l, first, 1, first);
	hi = lo ? sg_cover(l, first, -1, first) : NULL;
	if (!hi)
		goto out;
	for (i = 0; i < n; i++)
		if (first[i] && (lo[i] != (int32_t)i || -hi[i] != (int32_t)i))
			redundant[i] = true;
	rc = 0;
out:
	free(first);
	free(lo);
	free(hi);
	return rc;
}

/*
 * For each redundant rule, the first rule that covers it and is not redundant
 * itself (coverage is transitive, so there always is one).
 */
static int32_t *sg_coverers(struct lint *l, const bool *redundant)
{
	size_t n = l->rs->n_sg, i;
	bool *keep = calloc(n + 1, sizeof(*keep));
	int32_t *best = NULL;

	if (!keep)
		return NULL;
	for (i = 0; i < n; i++)
		keep[i] = sg_valid(&l->rs->sg[i]) && !redundant[i];
	best = sg_cover(l, keep, 1, redundant);
	free(keep);
	return best;
}

static void check_redundant(struct lint *l, size_t i, int32_t by)
{
	const struct ruleset *rs = l->rs;
	const struct sg_entry *e = &rs->sg[i], *s;
	char self[32], ref[300], me[200], other[200];

	if (by == INT32_MAX)
		return;
	s = &rs->sg[by];
	lint_warn(l, &e->origin, "%s%s is already allowed by %s (%s); remove it",
		  sg_label(rs, e, me, sizeof(me)), lint_self(&e->origin, self, sizeof(self)),
		  sg_label(rs, s, other, sizeof(other)),
		  lint_ref(&s->origin, &e->origin, ref, sizeof(ref)));
}

static bool opens_tcp_port(const struct sg_entry *e, int port)
{
	if (e->proto == PROTO_ALL)
		return true;
	return e->proto == 6 && (e->from < 0 || (e->from <= port && port <= e->to));
}

/* Returns whether it warned. */
static bool check_admin(struct lint *l, const struct sg_entry *e)
{
	char self[32], me[200];
	unsigned bits = 0;

	if (e->egress || !cidr_is_any(&e->cidr))
		return false;
	if (opens_tcp_port(e, PORT_SSH))
		bits |= ADMIN_SSH;
	if (opens_tcp_port(e, PORT_RDP))
		bits |= ADMIN_RDP;
	if (!bits)
		return false;
	lint_warn(l, &e->origin,
		  "%s%s opens %s to the world; narrow the source to the addresses you administer from",
		  sg_label(l->rs, e, me, sizeof(me)), lint_self(&e->origin, self, sizeof(self)),
		  lint_admin_ports(bits));
	return true;
}

/* Which groups have an IPv6 rule (indexed by group; out-of-range groups at n_groups). */
static bool *groups_with_v6(const struct ruleset *rs)
{
	bool *v6 = calloc(rs->n_groups + 1, sizeof(*v6));
	size_t i;

	for (i = 0; v6 && i < rs->n_sg; i++)
		if (rs->sg[i].cidr.family == AF_INET6)
			v6[rs->sg[i].group < rs->n_groups ? rs->sg[i].group : rs->n_groups] = true;
	return v6;
}

/* An IPv4 /0 rule whose group has IPv6 rules: the ones check_v6 asks about. */
static bool v6_candidate(const struct ruleset *rs, const struct sg_entry *e, const bool *v6)
{
	return sg_valid(e) && e->cidr.family == AF_INET && cidr_is_any(&e->cidr) &&
	       v6[e->group < rs->n_groups ? e->group : rs->n_groups];
}

/*
 * For each candidate: is there an IPv6 rule of its direction, any group and
 * any peer, doing for IPv6 what it does for IPv4? (ICMP's twin is any
 * ICMPv6 rule: the type numbers differ.) twin[i] < INT32_MAX when so.
 */
static int32_t *v6_twins(struct lint *l, const bool *v6)
{
	const struct ruleset *rs = l->rs;
	const struct cidr any6 = { .family = AF_INET6, .plen = 0 };
	bool has58[2] = { false, false };
	struct cover_shape sh;
	int32_t *twin = best_new(rs->n_sg);
	struct cover cv;
	size_t i;

	cover_init(&cv);
	for (i = 0; twin && i < rs->n_sg; i++) {
		const struct sg_entry *f = &rs->sg[i];

		if (f->cidr.family != AF_INET6)
			continue;
		has58[f->egress] |= f->proto == 58;
		sg_shape(f, &sh);
		if (cover_add(&cv, f->egress, &any6, &sh, 0) < 0)
			goto fail;
	}
	for (i = 0; twin && i < rs->n_sg; i++) {
		if (!v6_candidate(rs, &rs->sg[i], v6))
			continue;
		sg_shape(&rs->sg[i], &sh);
		if (cover_ask(&cv, rs->sg[i].egress, &any6, &sh, (uint32_t)i) < 0)
			goto fail;
	}
	if (!twin || cover_run(&cv, twin) < 0)
		goto fail;
	for (i = 0; i < rs->n_sg; i++)
		if (rs->sg[i].proto == 1 && has58[rs->sg[i].egress])
			twin[i] = 0;
	l->steps += cv.steps;
	cover_free(&cv);
	return twin;
fail:
	cover_free(&cv);
	free(twin);
	return NULL;
}

static void check_v6(struct lint *l, const struct sg_entry *e, const bool *v6, int32_t twin)
{
	char self[32], me[200];

	if (!v6_candidate(l->rs, e, v6) || twin != INT32_MAX)
		return;
	lint_warn(l, &e->origin,
		  "%s%s covers IPv4 only, but this group has IPv6 rules: IPv6 traffic is dropped; add the same rule for ::/0",
		  sg_label(l->rs, e, me, sizeof(me)), lint_self(&e->origin, self, sizeof(self)));
}

void lint_sg(struct lint *l)
{
	const struct ruleset *rs = l->rs;
	bool *redundant, *v6 = NULL;
	int32_t *by = NULL, *twin = NULL;
	size_t i;

	if (!rs->n_sg)
		return;
	redundant = calloc(rs->n_sg, sizeof(*redundant));
	if (!redundant || sg_redundant(l, redundant) < 0 ||
	    !(by = sg_coverers(l, redundant)) || !(v6 = groups_with_v6(rs)) ||
	    !(twin = v6_twins(l, v6))) {
		lint_oom(l);
		goto out;
	}
	for (i = 0; i < rs->n_sg; i++) {
		const struct sg_entry *e = &rs->sg[i];

		if (!sg_valid(e))
			continue;
		if (redundant[i]) {
			check_redundant(l, i, by[i]);
			continue;
		}
		/* Never advise copying a rule just flagged as too open. */
		if (!check_admin(l, e))
			check_v6(l, e, v6, twin[i]);
	}
out:
	free(redundant);
	free(by);
	free(v6);
	free(twin);
}
