/*
 * The compiled security groups (doc/aws-semantics.md 2 and 3.3): the union of
 * every rule of every group, split per direction and family into compact
 * rules, plus the per-family "open in the other direction" facts that decide
 * whether AWS leaves a TCP/UDP flow untracked. The sg points into the
 * ruleset's entries; the ruleset outlives it (the policy owns both).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sg.h"

enum sg_kind {
	SG_K_ANY = 0,		/* proto -1, other protocols, or TCP/UDP from -1 */
	SG_K_PORTS,		/* TCP/UDP: destination port range */
	SG_K_ICMP,		/* ICMP/ICMPv6: from = type, to = code */
};

struct sg_crule {
	uint64_t net[2];
	uint64_t mask[2];
	int16_t proto;
	uint8_t kind;		/* enum sg_kind */
	bool covers_all;	/* every port/type: may judge later fragments */
	bool peer_any;		/* 0.0.0.0/0 or ::/0: may make a flow untracked */
	int32_t from, to;
	const struct sg_entry *e;
};

struct sg_list {
	struct sg_crule *r;
	size_t n;
};

/* Index of the protocols that can be untracked. */
enum { SG_P_TCP = 0, SG_P_UDP = 1 };

struct sg {
	const struct sg_entry **rules[DIR_MAX];	/* file order, for listing */
	size_t n[DIR_MAX];
	struct sg_list fam[DIR_MAX][2];		/* [dir][0 = IPv4, 1 = IPv6] */
	/*
	 * [dir][fam][tcp/udp]: the first rule of dir that allows every port of
	 * the protocol to/from the whole family (0.0.0.0/0 or ::/0), or NULL.
	 */
	const struct sg_entry *open_rule[DIR_MAX][2][2];
};

static inline unsigned fam_index(uint8_t family)
{
	return family == AF_INET6;
}

static inline enum dir other_dir(enum dir d)
{
	return d == DIR_IN ? DIR_OUT : DIR_IN;
}

static enum sg_kind entry_kind(const struct sg_entry *e)
{
	switch (e->proto) {
	case IPPROTO_NUM_TCP:
	case IPPROTO_NUM_UDP:
		return e->from < 0 ? SG_K_ANY : SG_K_PORTS;
	case IPPROTO_NUM_ICMP:
	case IPPROTO_NUM_ICMPV6:
		return SG_K_ICMP;
	default:
		return SG_K_ANY;
	}
}

/* As for the ACL: later fragments match only rules blind to ports/types. */
static bool entry_covers_all(const struct sg_entry *e, enum sg_kind k)
{
	if (k == SG_K_PORTS)
		return e->from <= 0 && e->to >= 65535;
	if (k == SG_K_ICMP)
		return e->from < 0 && e->to < 0;
	return true;
}

/* Ports or types: RULE_MATCH, or why not. */
static enum rule_miss kind_miss(enum sg_kind k, bool covers_all, int32_t from,
				int32_t to, const struct pkt *p)
{
	if (k == SG_K_ANY)
		return RULE_MATCH;
	if (!(p->flags & PKT_F_L4))
		return covers_all ? RULE_MATCH : RULE_MISS_FRAG;
	if (k == SG_K_PORTS)
		return from <= p->dport && p->dport <= to ? RULE_MATCH : RULE_MISS_PORT;
	return (from < 0 || from == p->icmp_type) && (to < 0 || to == p->icmp_code) ?
	       RULE_MATCH : RULE_MISS_ICMP;
}

static inline bool kind_matches(enum sg_kind k, bool covers_all, int32_t from,
				int32_t to, const struct pkt *p)
{
	return kind_miss(k, covers_all, from, to, p) == RULE_MATCH;
}

enum rule_miss sg_entry_miss(const struct sg_entry *e, enum dir d, const struct pkt *p)
{
	enum rule_miss m = pkt_peer_miss(p, d, &e->cidr, e->proto);
	enum sg_kind k;

	if (m != RULE_MATCH)
		return m;
	k = entry_kind(e);
	return kind_miss(k, entry_covers_all(e, k), e->from, e->to, p);
}

bool sg_entry_matches(const struct sg_entry *e, enum dir d, const struct pkt *p)
{
	return sg_entry_miss(e, d, p) == RULE_MATCH;
}

static void crule_init(struct sg_crule *c, const struct sg_entry *e)
{
	cidr_words(&e->cidr, c->net, c->mask);
	c->proto = e->proto;
	c->kind = entry_kind(e);
	c->covers_all = entry_covers_all(e, c->kind);
	c->peer_any = cidr_is_any(&e->cidr);
	c->from = e->from;
	c->to = e->to;
	c->e = e;
}

static inline bool crule_matches(const struct sg_crule *c,
				 const uint64_t peer[2], const struct pkt *p)
{
	if (((peer[0] & c->mask[0]) ^ c->net[0]) |
	    ((peer[1] & c->mask[1]) ^ c->net[1]))
		return false;
	if (c->proto != PROTO_ALL && c->proto != p->proto)
		return false;
	return kind_matches(c->kind, c->covers_all, c->from, c->to, p);
}

/* -1 unless p's protocol is one AWS may leave untracked. */
static int untrackable_proto(const struct pkt *p)
{
	if (p->proto == IPPROTO_NUM_TCP)
		return SG_P_TCP;
	if (p->proto == IPPROTO_NUM_UDP)
		return SG_P_UDP;
	return -1;
}

/*
 * The rules of direction d that allow p: the first one (file order), and
 * the first whose peer is /0 if want_any (else the scan stops early).
 */
static void scan(const struct sg *s, enum dir d, const struct pkt *p,
		 bool want_any, const struct sg_entry **first,
		 const struct sg_entry **any)
{
	const struct sg_list *l = &s->fam[d][fam_index(p->family)];
	uint64_t peer[2];
	size_t i;

	*first = *any = NULL;
	memcpy(peer, d == DIR_IN ? p->src : p->dst, 16);
	for (i = 0; i < l->n; i++) {
		const struct sg_crule *c = &l->r[i];

		if (!crule_matches(c, peer, p))
			continue;
		if (!*first)
			*first = c->e;
		if (!want_any || c->peer_any) {
			if (c->peer_any)
				*any = c->e;
			return;
		}
	}
}

static bool tcp_pure_syn(const struct pkt *p)
{
	return p->proto == IPPROTO_NUM_TCP && (p->flags & PKT_F_L4) &&
	       (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
}

/*
 * Is p a packet of a flow AWS leaves untracked that started in the other
 * direction (a reply of an untracked flow)? Direction d is open to the whole
 * family, and p turned round is allowed in the other direction by a /0 rule.
 * Without this the first reply of an untracked flow would start a tracked
 * one and the flow would outlive its rule. A pure SYN starts a flow in its
 * own direction, so it is never a reply.
 */
static bool untracked_reply(const struct sg *s, enum dir d, const struct pkt *p)
{
	const struct sg_entry *first, *any;
	struct pkt r;

	if (tcp_pure_syn(p))
		return false;
	pkt_reverse(&r, p);
	scan(s, other_dir(d), &r, true, &first, &any);
	return any != NULL;
}

enum sg_match sg_eval(const struct sg *s, enum dir d, const struct pkt *p,
		      const struct sg_entry **rule)
{
	unsigned f = fam_index(p->family);
	const struct sg_entry *first, *any;
	int up = untrackable_proto(p);
	bool rev_open = up >= 0 && s->open_rule[other_dir(d)][f][up];
	enum sg_match m = SG_ALLOW_TRACKED;

	scan(s, d, p, rev_open, &first, &any);
	if (!first) {
		m = SG_DENY;
	} else if (any && rev_open) {
		/* doc/aws-semantics.md 3.3: /0 rule this way, every port open the other way. */
		first = any;
		m = SG_ALLOW_UNTRACKED;
	} else if (up >= 0 && s->open_rule[d][f][up] &&
		   untracked_reply(s, d, p)) {
		first = s->open_rule[d][f][up];
		m = SG_ALLOW_UNTRACKED;
	}
	if (rule)
		*rule = first;
	return m;
}

size_t sg_count(const struct sg *s, enum dir d)
{
	return s->n[d];
}

const struct sg_entry *sg_rule(const struct sg *s, enum dir d, size_t i)
{
	return i < s->n[d] ? s->rules[d][i] : NULL;
}

/* Does e allow every port of protocol pn (6 or 17) to/from the whole family? */
static bool entry_opens(const struct sg_entry *e, int pn)
{
	if (!cidr_is_any(&e->cidr))
		return false;
	if (e->proto == PROTO_ALL)
		return true;
	return e->proto == pn && (e->from < 0 || (e->from <= 0 && e->to >= 65535));
}

static void note_open(struct sg *s, enum dir d, const struct sg_entry *e)
{
	static const int pn[2] = { [SG_P_TCP] = IPPROTO_NUM_TCP,
				   [SG_P_UDP] = IPPROTO_NUM_UDP };
	unsigned f = fam_index(e->cidr.family);
	int i;

	for (i = 0; i < 2; i++) {
		if (s->open_rule[d][f][i] || !entry_opens(e, pn[i]))
			continue;
		s->open_rule[d][f][i] = e;
	}
}

static int alloc_lists(struct sg *s, size_t n)
{
	int d, f;

	for (d = 0; d < DIR_MAX; d++) {
		s->rules[d] = calloc(n ? n : 1, sizeof(*s->rules[d]));
		if (!s->rules[d])
			return -1;
		for (f = 0; f < 2; f++) {
			s->fam[d][f].r = calloc(n ? n : 1, sizeof(struct sg_crule));
			if (!s->fam[d][f].r)
				return -1;
		}
	}
	return 0;
}

struct sg *sg_compile(const struct ruleset *rs)
{
	struct sg *s;
	size_t i;

	if (!rs) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (alloc_lists(s, rs->n_sg) < 0) {
		sg_free(s);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < rs->n_sg; i++) {
		const struct sg_entry *e = &rs->sg[i];
		enum dir d = e->egress ? DIR_OUT : DIR_IN;
		struct sg_list *l;

		s->rules[d][s->n[d]++] = e;
		if (e->cidr.family != AF_INET && e->cidr.family != AF_INET6)
			continue;	/* matches nothing; still listed */
		l = &s->fam[d][fam_index(e->cidr.family)];
		crule_init(&l->r[l->n++], e);
		note_open(s, d, e);
	}
	return s;
}

void sg_free(struct sg *s)
{
	int d;

	if (!s)
		return;
	for (d = 0; d < DIR_MAX; d++) {
		free(s->rules[d]);
		free(s->fam[d][0].r);
		free(s->fam[d][1].r);
	}
	free(s);
}
