/*
 * NACL lint (doc/aws-semantics.md 1.3-1.6, 4.2): per direction, the rules in
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

static int cmp_number(const void *x, const void *y)
{
	const struct nacl_entry *a = *(const struct nacl_entry *const *)x;
	const struct nacl_entry *b = *(const struct nacl_entry *const *)y;

	if (a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return a < b ? -1 : a > b;	/* file order among duplicates */
}

/* Prefixes in address order; a prefix before the longer ones starting where it does. */
static int cmp_prefix(const struct cidr *a, const struct cidr *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c;
	return (a->plen > b->plen) - (a->plen < b->plen);
}

static int cmp_by_addr(const void *x, const void *y, void *ctx)
{
	const struct nacl_dir *nd = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int c = cmp_prefix(&nd->v[a]->cidr, &nd->v[b]->cidr);

	return c ? c : (a > b) - (a < b);
}

static int dir_index(struct nacl_dir *nd)
{
	size_t i;

	nd->by_addr = calloc(nd->n + 1, sizeof(*nd->by_addr));
	nd->near = calloc(nd->n + 1, sizeof(*nd->near));
	if (!nd->by_addr || !nd->near)
		return -1;
	for (i = 0; i < nd->n; i++) {
		const struct cidr *c = &nd->v[i]->cidr;

		nd->by_addr[i] = (uint32_t)i;
		nd->plens[c->family == AF_INET6][c->plen / 64] |= 1ull << (c->plen % 64);
	}
	qsort_r(nd->by_addr, nd->n, sizeof(*nd->by_addr), cmp_by_addr, nd);
	return 0;
}

/* The first index into by_addr whose prefix is not before c (before: c itself too when after). */
static size_t addr_bound(const struct nacl_dir *nd, const struct cidr *c, bool after)
{
	size_t lo = 0, hi = nd->n, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = cmp_prefix(&nd->v[nd->by_addr[mid]]->cidr, c);
		if (cmp < 0 || (after && cmp == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* c with every host bit of a prefix of length plen set: its last address. */
static void last_address(const struct cidr *c, struct cidr *last)
{
	unsigned i, bits = c->family == AF_INET6 ? 128 : 32;

	*last = *c;
	for (i = c->plen; i < bits; i++)
		last->addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	last->plen = 128;	/* after every prefix starting at the last address */
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

size_t lint_nacl_near(struct lint *l, const struct nacl_dir *nd, const struct cidr *c)
{
	const uint64_t *bits = nd->plens[c->family == AF_INET6];
	struct cidr anc, last;
	size_t n = 0, i, end;
	unsigned p;

	/* The shorter prefixes that contain c: one exact look-up per length present. */
	for (p = 0; p < c->plen; p++) {
		if (!(bits[p / 64] & (1ull << (p % 64))))
			continue;
		anc = *c;
		anc.plen = (uint8_t)p;
		for (i = p; i < 128; i++)
			anc.addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		for (i = addr_bound(nd, &anc, false); i < nd->n &&
		     !cmp_prefix(&nd->v[nd->by_addr[i]]->cidr, &anc); i++)
			nd->near[n++] = nd->by_addr[i];
	}
	/* c and everything inside it: one run of the address order. */
	last_address(c, &last);
	end = addr_bound(nd, &last, true);
	for (i = addr_bound(nd, c, false); i < end; i++)
		nd->near[n++] = nd->by_addr[i];
	qsort(nd->near, n, sizeof(*nd->near), cmp_u32);
	l->steps += n + 1;
	return n;
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
	return dir_index(nd);
}

static void dir_free(struct nacl_dir *nd)
{
	free(nd->v);
	free(nd->quiet);
	free(nd->by_addr);
	free(nd->near);
}

static void nacl_shape(const struct nacl_entry *e, struct cover_shape *s)
{
	switch (nacl_kind(e)) {
	case LK_PORTS:
		cover_shape_ports(s, e->proto, e->port_from, e->port_to);
		break;
	case LK_ICMP:
		cover_shape_icmp(s, e->proto, e->icmp_type, e->icmp_code);
		break;
	default:
		cover_shape_any(s, e->proto);
		break;
	}
}

/*
 * For each rule of both directions, the first rule (position in its
 * direction) that matches all its packets, which may be itself. NULL on ENOMEM.
 */
static int32_t *first_coverers(struct lint *l, const struct nacl_dir *dirs)
{
	size_t off[DIR_MAX] = { 0, dirs[DIR_IN].n }, i;
	struct cover_shape sh;
	int32_t *best = malloc((dirs[DIR_IN].n + dirs[DIR_OUT].n + 1) * sizeof(*best));
	struct cover cv;
	int d;

	cover_init(&cv);
	for (d = 0; best && d < DIR_MAX; d++)
		for (i = 0; i < dirs[d].n; i++) {
			best[off[d] + i] = INT32_MAX;
			nacl_shape(dirs[d].v[i], &sh);
			if (cover_add(&cv, d == DIR_OUT, &dirs[d].v[i]->cidr, &sh, (int32_t)i) < 0)
				goto fail;
		}
	for (d = 0; best && d < DIR_MAX; d++)
		for (i = 0; i < dirs[d].n; i++) {
			nacl_shape(dirs[d].v[i], &sh);
			if (cover_ask(&cv, d == DIR_OUT, &dirs[d].v[i]->cidr, &sh,
				      (uint32_t)(off[d] + i)) < 0)
				goto fail;
		}
	if (best && cover_run(&cv, best) == 0) {
		l->steps += cv.steps;
		cover_free(&cv);
		return best;
	}
fail:
	cover_free(&cv);
	free(best);
	return NULL;
}

/* Rule i never decides anything when one earlier rule (first) matches all its packets. */
static bool check_shadow(struct lint *l, const struct nacl_dir *nd, size_t i,
			 int32_t first, const char *dname)
{
	const struct nacl_entry *e = nd->v[i], *s;
	char ref[300], self[32];

	/* Sorted by number: a coverer numbered below e comes first of all. */
	if (first == INT32_MAX || (size_t)first >= i || nd->v[first]->number >= e->number)
		return false;
	s = nd->v[first];
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

/*
 * Which of SSH/RDP each inbound rule is the first match for, from a /0 allow.
 * Only a /0 rule can name the port for the world, and the first /0 rule
 * whose box holds the port ends the walk: it decides for whatever address
 * the earlier rules holding the port leave, if any.
 */
static int admin_flags(struct lint *l, const struct nacl_dir *in, unsigned *flags)
{
	static const uint16_t port[2] = { PORT_SSH, PORT_RDP };
	static const uint8_t fam[2] = { AF_INET, AF_INET6 };
	struct cidr *before = calloc(in->n + 1, sizeof(*before));
	struct lint_box b;
	unsigned f, p;
	size_t j, n;

	if (!before)
		return -1;
	for (f = 0; f < 2; f++) {
		for (p = 0; p < 2; p++) {
			for (j = n = 0; j < in->n; j++) {
				if (in->v[j]->cidr.family != fam[f] || !lint_nacl_box(in->v[j], 6, &b) ||
				    b.lo > port[p] || b.hi < port[p])
					continue;
				if (cidr_is_any(&b.c))
					break;
				before[n++] = b.c;
			}
			l->steps += j + n;
			if (j < in->n && names_admin_port(in->v[j], port[p]) &&
			    !lint_prefixes_cover_all(before, n))
				flags[j] |= p ? ADMIN_RDP : ADMIN_SSH;
		}
	}
	free(before);
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

static bool nacl_has_v6(const struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n_nacl; i++)
		if (rs->nacl[i].cidr.family == AF_INET6)
			return true;
	return false;
}

/* An IPv4 /0 allow: the rules check_v6 looks for a twin of. */
static bool v6_candidate(const struct nacl_entry *e)
{
	return e->allow && e->cidr.family == AF_INET && cidr_is_any(&e->cidr);
}

/* What v6_twin asks of a twin: the protocol (ICMP's is ICMPv6), and the ports for TCP/UDP. */
static void twin_shape(const struct nacl_entry *e, bool as_twin, struct cover_shape *s)
{
	int proto = !as_twin && e->proto == 1 ? 58 : e->proto;

	if (nacl_kind(e) == LK_PORTS)
		cover_shape_ports(s, proto, e->port_from, e->port_to);
	else
		cover_shape_any(s, proto);
}

/* For each rule of both directions (as first_coverers), < INT32_MAX when it has an IPv6 twin. */
static int32_t *v6_twins(struct lint *l, const struct nacl_dir *dirs)
{
	const struct cidr any6 = { .family = AF_INET6, .plen = 0 };
	size_t off[DIR_MAX] = { 0, dirs[DIR_IN].n }, i;
	int32_t *twin = malloc((dirs[DIR_IN].n + dirs[DIR_OUT].n + 1) * sizeof(*twin));
	struct cover_shape sh;
	struct cover cv;
	int d, rc = -1;

	cover_init(&cv);
	for (d = 0; twin && d < DIR_MAX; d++)
		for (i = 0; i < dirs[d].n; i++) {
			const struct nacl_entry *f = dirs[d].v[i];

			twin[off[d] + i] = INT32_MAX;
			if (!f->allow || f->cidr.family != AF_INET6)
				continue;
			twin_shape(f, true, &sh);
			if (cover_add(&cv, d == DIR_OUT, &any6, &sh, 0) < 0)
				goto out;
		}
	for (d = 0; twin && d < DIR_MAX; d++)
		for (i = 0; i < dirs[d].n; i++) {
			if (!v6_candidate(dirs[d].v[i]))
				continue;
			twin_shape(dirs[d].v[i], false, &sh);
			if (cover_ask(&cv, d == DIR_OUT, &any6, &sh, (uint32_t)(off[d] + i)) < 0)
				goto out;
		}
	rc = twin ? cover_run(&cv, twin) : -1;
	l->steps += cv.steps;
out:
	cover_free(&cv);
	if (rc == 0)
		return twin;
	free(twin);
	return NULL;
}

static void check_v6(struct lint *l, const struct nacl_entry *e, int32_t twin,
		     const char *dname)
{
	char self[32], what[64];

	if (!v6_candidate(e) || twin != INT32_MAX)
		return;
	lint_warn(l, &e->origin,
		  "%s rule %u%s allows %s %s 0.0.0.0/0 for IPv4 only, but this ACL has IPv6 rules: IPv6 traffic gets the * deny; add the same rule for ::/0",
		  dname, e->number, lint_self(&e->origin, self, sizeof(self)),
		  nacl_what(e, what, sizeof(what)), e->egress ? "to" : "from");
}

/* What lint_dir needs beyond the rules: per rule, its first coverer and IPv6 twin. */
struct nacl_facts {
	const unsigned *admin;		/* inbound SSH/RDP bits, NULL outbound */
	const int32_t *first, *twin;	/* this direction's slice */
	bool has_v6;
};

/* One direction in number order. */
static void lint_dir(struct lint *l, struct nacl_dir *dirs, enum dir d,
		     const struct nacl_facts *nf)
{
	struct nacl_dir *own = &dirs[d], *other = &dirs[d == DIR_IN ? DIR_OUT : DIR_IN];
	const char *dname = dir_name(d);
	size_t i;

	for (i = 0; i < own->n; i++) {
		own->quiet[i] = check_shadow(l, own, i, nf->first[i], dname);
		if (own->quiet[i])
			continue;
		if (nf->admin)
			check_admin(l, own->v[i], nf->admin[i]);
		lint_nacl_replies(l, own, i, other);
		/* Never advise copying a rule just flagged as too open. */
		if (nf->has_v6 && !(nf->admin && nf->admin[i]))
			check_v6(l, own->v[i], nf->twin[i], dname);
	}
}

void lint_nacl(struct lint *l)
{
	struct nacl_dir dirs[DIR_MAX];
	struct nacl_facts nf;
	int32_t *first = NULL, *twin = NULL;
	unsigned *admin;

	memset(dirs, 0, sizeof(dirs));
	admin = calloc(l->rs->n_nacl + 1, sizeof(*admin));
	if (!admin || dir_build(&dirs[DIR_IN], l->rs, false) < 0 ||
	    dir_build(&dirs[DIR_OUT], l->rs, true) < 0)
		goto oom;
	if (admin_flags(l, &dirs[DIR_IN], admin) < 0 || !(first = first_coverers(l, dirs)) ||
	    !(twin = v6_twins(l, dirs)))
		goto oom;
	nf = (struct nacl_facts){ admin, first, twin, nacl_has_v6(l->rs) };
	lint_dir(l, dirs, DIR_IN, &nf);
	nf = (struct nacl_facts){ NULL, first + dirs[DIR_IN].n, twin + dirs[DIR_IN].n, nf.has_v6 };
	lint_dir(l, dirs, DIR_OUT, &nf);
	lint_nacl_replies_done(l);
	goto out;
oom:
	lint_oom(l);
out:
	lint_reply_memo_free(l);
	free(admin);
	free(first);
	free(twin);
	dir_free(&dirs[DIR_IN]);
	dir_free(&dirs[DIR_OUT]);
}
