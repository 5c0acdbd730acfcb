/*
 * Security-group lint (aws-semantics.md 2.1, 2.3): the groups act as the
 * union of their rules, so a rule another rule of its direction covers
 * (any group) changes nothing, not even tracking (a covering rule of a /0
 * rule is /0 itself). Also SSH/RDP open to the world, and IPv4 /0 rules
 * without an IPv6 twin in a group that has IPv6 rules.
 */
#include <stdio.h>
#include <stdlib.h>
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

/* Does s allow every protocol/port/type r does (peers aside)? */
static bool sg_ports_cover(const struct sg_entry *s, const struct sg_entry *r)
{
	enum lint_kind k = sg_kind(s);

	if (s->proto == PROTO_ALL)
		return true;
	if (s->proto != r->proto)
		return false;
	if (k == LK_ANY)
		return true;
	if (k == LK_ICMP)
		return lint_icmp_covers(s->from, s->to, r->from, r->to);
	if (sg_kind(r) == LK_ANY)
		return s->from <= 0 && s->to >= 65535;
	return s->from <= r->from && r->to <= s->to;
}

static bool sg_covers(const struct sg_entry *s, const struct sg_entry *r)
{
	return s->egress == r->egress && sg_valid(s) &&
	       lint_cidr_has(&s->cidr, &r->cidr) && sg_ports_cover(s, r);
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

/* Is rule i covered by another? Of two equivalent rules only the later one is. */
static bool sg_redundant(const struct ruleset *rs, size_t i)
{
	const struct sg_entry *e = &rs->sg[i];
	size_t j;

	for (j = 0; j < rs->n_sg; j++) {
		if (j == i || !sg_covers(&rs->sg[j], e))
			continue;
		if (j > i && sg_covers(e, &rs->sg[j]))
			continue;
		return true;
	}
	return false;
}

/* Coverage is transitive, so a redundant rule always has a coverer that is not. */
static void check_redundant(struct lint *l, size_t i, const bool *redundant)
{
	const struct ruleset *rs = l->rs;
	const struct sg_entry *e = &rs->sg[i], *s = NULL;
	char self[32], ref[300], me[200], other[200];
	size_t j;

	for (j = 0; j < rs->n_sg && !s; j++)
		if (j != i && !redundant[j] && sg_covers(&rs->sg[j], e))
			s = &rs->sg[j];
	if (!s)
		return;
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

static bool group_has_v6(const struct ruleset *rs, uint32_t g)
{
	size_t i;

	for (i = 0; i < rs->n_sg; i++)
		if (rs->sg[i].group == g && rs->sg[i].cidr.family == AF_INET6)
			return true;
	return false;
}

/* An IPv6 rule of e's direction, any group, doing for IPv6 what e does for IPv4. */
static bool has_v6_twin(const struct ruleset *rs, const struct sg_entry *e)
{
	size_t j;

	for (j = 0; j < rs->n_sg; j++) {
		const struct sg_entry *f = &rs->sg[j];

		if (f->egress != e->egress || f->cidr.family != AF_INET6)
			continue;
		if (e->proto == 1 && f->proto == 58)	/* type numbers differ */
			return true;
		if (sg_ports_cover(f, e))
			return true;
	}
	return false;
}

static void check_v6(struct lint *l, const struct sg_entry *e)
{
	char self[32], me[200];

	if (e->cidr.family != AF_INET || !cidr_is_any(&e->cidr) ||
	    !group_has_v6(l->rs, e->group) || has_v6_twin(l->rs, e))
		return;
	lint_warn(l, &e->origin,
		  "%s%s covers IPv4 only, but this group has IPv6 rules: IPv6 traffic is dropped; add the same rule for ::/0",
		  sg_label(l->rs, e, me, sizeof(me)), lint_self(&e->origin, self, sizeof(self)));
}

void lint_sg(struct lint *l)
{
	const struct ruleset *rs = l->rs;
	bool *redundant;
	size_t i;

	if (!rs->n_sg)
		return;
	redundant = calloc(rs->n_sg, sizeof(*redundant));
	if (!redundant) {
		lint_oom(l);
		return;
	}
	for (i = 0; i < rs->n_sg; i++)
		redundant[i] = sg_valid(&rs->sg[i]) && sg_redundant(rs, i);
	for (i = 0; i < rs->n_sg; i++) {
		const struct sg_entry *e = &rs->sg[i];

		if (!sg_valid(e))
			continue;
		if (redundant[i]) {
			check_redundant(l, i, redundant);
			continue;
		}
		/* Never advise copying a rule just flagged as too open. */
		if (!check_admin(l, e))
			check_v6(l, e);
	}
	free(redundant);
}
