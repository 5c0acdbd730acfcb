/*
 * The compiled network ACL (doc/aws-semantics.md 1.3): per direction, the
 * entries sorted by number with the '*' denies last; per direction and
 * family, a compact copy for the packet path, so a packet only walks the
 * rules of its own family and each test is a mask and a compare.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acl.h"

/* What a rule checks beyond address and protocol. */
enum acl_kind {
	ACL_K_ANY = 0,		/* proto -1, or a protocol without ports/types */
	ACL_K_PORTS,		/* TCP/UDP: destination port range */
	ACL_K_ICMP,		/* ICMP, or ICMPv6 with an IPv6 CIDR: type/code */
};

/* One rule as the packet path sees it. */
struct acl_crule {
	uint64_t net[2];	/* the CIDR's address, as two words of the 16 bytes */
	uint64_t mask[2];
	int16_t proto;		/* PROTO_ALL or the number */
	uint8_t kind;		/* enum acl_kind */
	bool covers_all;	/* matches every port/type: may judge later fragments */
	uint16_t port_from, port_to;
	int16_t icmp_type, icmp_code;
	const struct nacl_entry *e;
};

struct acl_list {
	struct acl_crule *r;
	size_t n;
};

struct acl {
	struct nacl_entry *ent[DIR_MAX];	/* evaluation order, '*' last */
	size_t n[DIR_MAX];
	struct acl_list fam[DIR_MAX][2];	/* [dir][0 = IPv4, 1 = IPv6] */
};

static inline unsigned fam_index(uint8_t family)
{
	return family == AF_INET6;
}

/* ICMP type/code apply to protocol 1, and to 58 only with an IPv6 CIDR. */
static enum acl_kind entry_kind(const struct nacl_entry *e)
{
	switch (e->proto) {
	case IPPROTO_NUM_TCP:
	case IPPROTO_NUM_UDP:
		return ACL_K_PORTS;
	case IPPROTO_NUM_ICMP:
		return ACL_K_ICMP;
	case IPPROTO_NUM_ICMPV6:
		return e->cidr.family == AF_INET6 ? ACL_K_ICMP : ACL_K_ANY;
	default:
		return ACL_K_ANY;
	}
}

/*
 * Non-first fragments carry no transport header: a rule that looks at ports
 * or types may judge them only if it would match whatever they were, so that
 * fragmenting can neither slip past a port-specific deny into a broader
 * allow's verdict nor be admitted by a port-specific allow.
 */
static bool entry_covers_all(const struct nacl_entry *e, enum acl_kind k)
{
	if (k == ACL_K_PORTS)
		return e->port_from == 0 && e->port_to == 65535;
	if (k == ACL_K_ICMP)
		return e->icmp_type < 0 && e->icmp_code < 0;
	return true;
}

static bool icmp_matches(int16_t type, int16_t code, const struct pkt *p)
{
	return (type < 0 || type == p->icmp_type) &&
	       (code < 0 || code == p->icmp_code);
}

enum rule_miss nacl_entry_miss(const struct nacl_entry *e, enum dir d, const struct pkt *p)
{
	enum rule_miss m = pkt_peer_miss(p, d, &e->cidr, e->proto);
	enum acl_kind k;

	if (m != RULE_MATCH)
		return m;
	k = entry_kind(e);
	if (k == ACL_K_ANY)
		return RULE_MATCH;
	if (!(p->flags & PKT_F_L4))
		return entry_covers_all(e, k) ? RULE_MATCH : RULE_MISS_FRAG;
	if (k == ACL_K_PORTS)
		return e->port_from <= p->dport && p->dport <= e->port_to ?
		       RULE_MATCH : RULE_MISS_PORT;
	return icmp_matches(e->icmp_type, e->icmp_code, p) ? RULE_MATCH : RULE_MISS_ICMP;
}

bool nacl_entry_matches(const struct nacl_entry *e, enum dir d, const struct pkt *p)
{
	return nacl_entry_miss(e, d, p) == RULE_MATCH;
}

static void crule_init(struct acl_crule *c, const struct nacl_entry *e)
{
	cidr_words(&e->cidr, c->net, c->mask);
	c->proto = e->proto;
	c->kind = entry_kind(e);
	c->covers_all = entry_covers_all(e, c->kind);
	c->port_from = e->port_from;
	c->port_to = e->port_to;
	c->icmp_type = e->icmp_type;
	c->icmp_code = e->icmp_code;
	c->e = e;
}

/* The compact twin of nacl_entry_matches(); family already selected. */
static inline bool crule_matches(const struct acl_crule *c,
				 const uint64_t peer[2], const struct pkt *p)
{
	if (((peer[0] & c->mask[0]) ^ c->net[0]) |
	    ((peer[1] & c->mask[1]) ^ c->net[1]))
		return false;
	if (c->proto != PROTO_ALL && c->proto != p->proto)
		return false;
	if (c->kind == ACL_K_ANY)
		return true;
	if (!(p->flags & PKT_F_L4))
		return c->covers_all;
	if (c->kind == ACL_K_PORTS)
		return c->port_from <= p->dport && p->dport <= c->port_to;
	return icmp_matches(c->icmp_type, c->icmp_code, p);
}

const struct nacl_entry *acl_eval(const struct acl *a, enum dir d,
				  const struct pkt *p)
{
	const struct acl_list *l = &a->fam[d][fam_index(p->family)];
	uint64_t peer[2];
	size_t i;

	memcpy(peer, d == DIR_IN ? p->src : p->dst, 16);
	for (i = 0; i < l->n; i++)
		if (crule_matches(&l->r[i], peer, p))
			return l->r[i].e;
	/* Unreachable: the '*' rule matches everything of its family. */
	return l->r[l->n - 1].e;
}

size_t acl_count(const struct acl *a, enum dir d)
{
	return a->n[d];
}

const struct nacl_entry *acl_rule(const struct acl *a, enum dir d, size_t i)
{
	return i < a->n[d] ? &a->ent[d][i] : NULL;
}

size_t acl_index(const struct acl *a, enum dir d, const struct nacl_entry *e)
{
	return (size_t)(e - a->ent[d]);
}

static int cmp_number(const void *x, const void *y)
{
	const struct nacl_entry *a = x, *b = y;

	return (a->number > b->number) - (a->number < b->number);
}

static void star_entry(struct nacl_entry *e, enum dir d, uint8_t family)
{
	memset(e, 0, sizeof(*e));
	e->number = family == AF_INET ? NACL_STAR_V4 : NACL_STAR_V6;
	e->egress = d == DIR_OUT;
	e->allow = false;
	e->proto = PROTO_ALL;
	e->icmp_type = -1;
	e->icmp_code = -1;
	e->cidr.family = family;
	e->cidr.plen = 0;
}

static bool entry_valid(const struct nacl_entry *e)
{
	if (e->number < NACL_RULE_MIN || e->number > NACL_RULE_MAX)
		return false;
	if (e->cidr.family == AF_INET)
		return e->cidr.plen <= 32;
	return e->cidr.family == AF_INET6 && e->cidr.plen <= 128;
}

/* Copy one direction's entries, sort them, refuse duplicates, add the '*'s. */
static int build_direction(struct acl *a, const struct ruleset *rs, enum dir d)
{
	struct nacl_entry *v;
	size_t i, n = 0;

	v = calloc(rs->n_nacl + 2, sizeof(*v));
	if (!v)
		return -1;
	a->ent[d] = v;
	for (i = 0; i < rs->n_nacl; i++) {
		const struct nacl_entry *e = &rs->nacl[i];

		if (e->egress != (d == DIR_OUT))
			continue;
		if (!entry_valid(e))
			goto inval;
		v[n++] = *e;
	}
	qsort(v, n, sizeof(*v), cmp_number);
	for (i = 1; i < n; i++)
		if (v[i].number == v[i - 1].number)
			goto inval;
	star_entry(&v[n++], d, AF_INET);
	star_entry(&v[n++], d, AF_INET6);
	a->n[d] = n;
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

/* Split a direction by family; the entries are already in order. */
static int build_family_lists(struct acl *a, enum dir d)
{
	unsigned f;
	size_t i;

	for (f = 0; f < 2; f++) {
		struct acl_list *l = &a->fam[d][f];
		uint8_t family = f ? AF_INET6 : AF_INET;

		l->r = calloc(a->n[d], sizeof(*l->r));
		if (!l->r)
			return -1;
		for (i = 0; i < a->n[d]; i++)
			if (a->ent[d][i].cidr.family == family)
				crule_init(&l->r[l->n++], &a->ent[d][i]);
	}
	return 0;
}

struct acl *acl_compile(const struct ruleset *rs)
{
	struct acl *a;
	int d;

	if (!rs || !rs->has_nacl) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	for (d = 0; d < DIR_MAX; d++) {
		if (build_direction(a, rs, d) < 0 ||
		    build_family_lists(a, d) < 0) {
			int saved = errno;

			acl_free(a);
			errno = saved;
			return NULL;
		}
	}
	return a;
}

void acl_free(struct acl *a)
{
	int d;

	if (!a)
		return;
	for (d = 0; d < DIR_MAX; d++) {
		free(a->ent[d]);
		free(a->fam[d][0].r);
		free(a->fam[d][1].r);
	}
	free(a);
}
