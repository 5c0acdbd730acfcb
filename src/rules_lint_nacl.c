/*
 * NACL lint (aws-semantics.md 1.3-1.6, 4.2): per direction, the rules in
 * number order as the ACL evaluates them. A rule one earlier rule already
 * covers never decides anything; SSH/RDP a /0 allow decides for; IPv4 /0
 * allows without an IPv6 twin. The ephemeral-return checks live in
 * rules_lint_reply.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rules_lint_int.h"

static enum lint_kind nacl_kind(const struct nacl_entry *e)
{
	switch (e->proto) {
	case 6:
	case 17:
		return LK_PORTS;
	case 1:
		return LK_ICMP;
	case 58:	/* type/code only with an IPv6 CIDR (API) */
		return e->cidr.family == AF_INET6 ? LK_ICMP : LK_ANY;
	default:
		return LK_ANY;
	}
}

static const char *nacl_what(const struct nacl_entry *e, char *buf, size_t len)
{
	enum lint_kind k = nacl_kind(e);

	if (k == LK_ICMP)
		return lint_what(e->proto, k, e->icmp_type, e->icmp_code, buf, len);
	return lint_what(e->proto, k, e->port_from, e->port_to, buf, len);
}

static const char *act(const struct nacl_entry *e)
{
	return e->allow ? "allow" : "deny";
}

bool lint_nacl_box(const struct nacl_entry *e, int proto, struct lint_box *b)
{
	if (e->proto == PROTO_ALL) {
		b->lo = 0;
		b->hi = 65535;
	} else if (e->proto == proto && e->port_from <= e->port_to) {
		b->lo = e->port_from;
		b->hi = e->port_to;
	} else {
		return false;
	}
	b->c = e->cidr;
	return true;
}

/* Does every packet d matches also match a (same direction assumed)? */
static bool nacl_covers(const struct nacl_entry *a, const struct nacl_entry *d)
{
	enum lint_kind k;

	if (!lint_cidr_has(&a->cidr, &d->cidr))
		return false;
	if (a->proto != PROTO_ALL && a->proto != d->proto)
		return false;
	k = nacl_kind(a);
	if (k == LK_ANY)
		return true;
	/* Same protocol and family from here, so d has a's kind. */
	if (k == LK_PORTS)
		return a->port_from <= d->port_from && d->port_to <= a->port_to;
	return lint_icmp_covers(a->icmp_type, a->icmp_code, d->icmp_type, d->icmp_code);
}

static int cmp_number(const void *x, const void *y)
{
	const struct nacl_entry *a = *(const struct nacl_entry *const *)x;
	const struct nacl_entry *b = *(const struct nacl_entry *const *)y;

	if (a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return a < b ? -1 : a > b;	/* file order among duplicates */
}

static int dir_build(struct nacl_dir *nd, const struct ruleset *rs, bool egress)
{
	size_t i;

	nd->n = 0;
	nd->v = calloc(rs->n_nacl + 1, sizeof(*nd->v));
	nd->quiet = calloc(rs->n_nacl + 1, sizeof(*nd->quiet));
	if (!nd->v || !nd->quiet)
		return -1;
	for (i = 0; i < rs->n_nacl; i++) {
		const struct nacl_entry *e = &rs->nacl[i];

		/* Out-of-range numbers are the loader's errors, not ours. */
		if (e->egress == egress && e->number >= NACL_RULE_MIN &&
		    e->number <= NACL_RULE_MAX)
			nd->v[nd->n++] = e;
	}
	qsort(nd->v, nd->n, sizeof(*nd->v), cmp_number);
	return 0;
}

static void dir_free(struct nacl_dir *nd)
{
	free(nd->v);
	free(nd->quiet);
}

/* One earlier rule matching all of rule i's packets: it never decides anything. */
static bool check_shadow(struct lint *l, const struct nacl_dir *nd, size_t i,
			 const char *dname)
{
	const struct nacl_entry *e = nd->v[i], *s = NULL;
	char ref[300], self[32];
	size_t j;

	for (j = 0; j < i && !s; j++)
		if (nd->v[j]->number < e->number && nacl_covers(nd->v[j], e))
			s = nd->v[j];
	if (!s)
		return false;
	lint_ref(&s->origin, &e->origin, ref, sizeof(ref));
	lint_self(&e->origin, self, sizeof(self));
	if (s->allow != e->allow)
		lint_warn(l, &e->origin,
			  "%s %s rule %u%s never fires: %s rule %u (%s) matches everything it does; give the %s a lower number than %u%s",
			  dname, act(e), e->number, self, act(s), s->number, ref,
			  act(e), s->number, e->allow ? " or remove it" : "");
	else
		lint_warn(l, &e->origin,
			  "%s rule %u%s never decides anything: rule %u (%s) already matches all its packets; remove it",
			  dname, e->number, self, s->number, ref);
	return true;
}

bool lint_nacl_is_service(const struct nacl_entry *e)
{
	if (!e->allow || (e->proto != 6 && e->proto != 17) ||
	    e->port_from > e->port_to)
		return false;
	return e->port_to < EPH_LINUX_LO &&
	       !(e->port_from <= 1025 && e->port_to >= 5000);
}

/*
 * A stateless NACL must open return ranges (1024-65535) and may be open by
 * design (the default NACL), leaving SSH to the SG: only a TCP service rule
 * that names the port counts.
 */
static bool names_admin_port(const struct nacl_entry *e, uint16_t port)
{
	return cidr_is_any(&e->cidr) && e->proto == 6 && lint_nacl_is_service(e) &&
	       e->port_from <= port && port <= e->port_to;
}

/* For each inbound rule: which of SSH/RDP it is the first match for, from a /0 allow. */
static int admin_flags(const struct nacl_dir *in, unsigned *flags)
{
	static const uint16_t port[2] = { PORT_SSH, PORT_RDP };
	static const uint8_t fam[2] = { AF_INET, AF_INET6 };
	struct lint_region r;
	struct lint_box b;
	unsigned f, p;
	size_t j;

	for (f = 0; f < 2; f++) {
		for (p = 0; p < 2; p++) {
			struct cidr any = { .family = fam[f], .plen = 0 };

			region_init(&r);
			if (region_add(&r, &any, port[p], port[p]) < 0)
				return -1;
			for (j = 0; j < in->n && r.n; j++) {
				if (!lint_nacl_box(in->v[j], 6, &b) || !region_overlaps(&r, &b))
					continue;
				if (names_admin_port(in->v[j], port[p]))
					flags[j] |= p ? ADMIN_RDP : ADMIN_SSH;
				if (region_subtract(&r, &b) < 0) {
					region_free(&r);
					return -1;
				}
			}
			region_free(&r);
		}
	}
	return 0;
}

static void check_admin(struct lint *l, const struct nacl_entry *e, unsigned bits)
{
	char self[32], cidr[CIDR_STRLEN];

	if (!bits)
		return;
	lint_warn(l, &e->origin,
		  "inbound rule %u%s opens %s to %s; narrow the source to the addresses you administer from",
		  e->number, lint_self(&e->origin, self, sizeof(self)),
		  lint_admin_ports(bits), cidr_format(&e->cidr, cidr, sizeof(cidr)));
}

/* Does IPv6 rule f do for IPv6 what IPv4 rule e does for IPv4 (any peer)? */
static bool v6_twin(const struct nacl_entry *f, const struct nacl_entry *e)
{
	if (!f->allow || f->cidr.family != AF_INET6)
		return false;
	if (f->proto == PROTO_ALL)
		return true;
	if (e->proto == 1)	/* ICMP's IPv6 twin is ICMPv6; the type numbers differ */
		return f->proto == 58;
	if (f->proto != e->proto)
		return false;
	if (nacl_kind(f) == LK_PORTS)
		return f->port_from <= e->port_from && e->port_to <= f->port_to;
	return true;
}

static bool nacl_has_v6(const struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n_nacl; i++)
		if (rs->nacl[i].cidr.family == AF_INET6)
			return true;
	return false;
}

static void check_v6(struct lint *l, const struct nacl_dir *nd, size_t i,
		     const char *dname)
{
	const struct nacl_entry *e = nd->v[i];
	char self[32], what[64];
	size_t j;

	if (!e->allow || e->cidr.family != AF_INET || !cidr_is_any(&e->cidr))
		return;
	for (j = 0; j < nd->n; j++)
		if (v6_twin(nd->v[j], e))
			return;
	lint_warn(l, &e->origin,
		  "%s rule %u%s allows %s %s 0.0.0.0/0 for IPv4 only, but this ACL has IPv6 rules: IPv6 traffic gets the * deny; add the same rule for ::/0",
		  dname, e->number, lint_self(&e->origin, self, sizeof(self)),
		  nacl_what(e, what, sizeof(what)), e->egress ? "to" : "from");
}

/* One direction in number order; admin: the inbound SSH/RDP bits, NULL outbound. */
static void lint_dir(struct lint *l, struct nacl_dir *dirs, enum dir d,
		     const unsigned *admin, bool has_v6)
{
	struct nacl_dir *own = &dirs[d], *other = &dirs[d == DIR_IN ? DIR_OUT : DIR_IN];
	const char *dname = dir_name(d);
	size_t i;

	for (i = 0; i < own->n; i++) {
		own->quiet[i] = check_shadow(l, own, i, dname);
		if (own->quiet[i])
			continue;
		if (admin)
			check_admin(l, own->v[i], admin[i]);
		lint_nacl_replies(l, own, i, other);
		/* Never advise copying a rule just flagged as too open. */
		if (has_v6 && !(admin && admin[i]))
			check_v6(l, own, i, dname);
	}
}

void lint_nacl(struct lint *l)
{
	struct nacl_dir dirs[DIR_MAX];
	unsigned *admin;

	memset(dirs, 0, sizeof(dirs));
	admin = calloc(l->rs->n_nacl + 1, sizeof(*admin));
	if (!admin || dir_build(&dirs[DIR_IN], l->rs, false) < 0 ||
	    dir_build(&dirs[DIR_OUT], l->rs, true) < 0)
		goto oom;
	if (admin_flags(&dirs[DIR_IN], admin) < 0)
		goto oom;
	lint_dir(l, dirs, DIR_IN, admin, nacl_has_v6(l->rs));
	lint_dir(l, dirs, DIR_OUT, NULL, nacl_has_v6(l->rs));
	goto out;
oom:
	lint_oom(l);
out:
	free(admin);
	dir_free(&dirs[DIR_IN]);
	dir_free(&dirs[DIR_OUT]);
}
