/*
 * The rules of the native rule language: NACL-RULE and SG-RULE, their
 * protocol, port range or ICMP type/code, and peer. Each rule becomes
 * model entries exactly as the AWS JSON importer would make them.
 *
 * PORTS and PEER are told apart by shape: a CIDR holds ':' or starts with
 * a digit and holds '.'; a list name or an sg-/pl- id starts with a letter
 * and is no keyword; PORTS are digits with '-' or '/', `all`, or an ICMP
 * type name. Each is then checked strictly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

#define PORTS_EXPECTED	"expected a port or range (80, 1024-65535, all)"
#define ICMP_EXPECTED	"expected an ICMP type (8, 3/4, echo-request or all)"
#define NUM_QUOTE	20	/* longer numbers are shortened in messages */

/* What a rule line says, before it becomes entries. */
struct rrule {
	int proto;
	const struct rkw *kw;		/* the protocol or service keyword, or NULL */
	int32_t from, to;		/* ports, or ICMP type/code; -1 = all */
	const struct rtok *ports;	/* the PORTS token, or NULL */
	const struct cidr *cidrs;	/* the peer's CIDRs */
	size_t n;
	struct cidr one;
	const char *ref;		/* the sg-/pl- id of the peer, or NULL */
	bool quiet;			/* a bad list: add nothing, say no more */
};

enum shape { SH_PORTS, SH_CIDR, SH_NAME, SH_OTHER };

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return len > 0;
}

static enum shape shape_of(const struct rtok *t)
{
	const struct rkw *kw;
	size_t i;

	if (t->type != RTOK_WORD)
		return SH_OTHER;
	kw = rules_kw_find(t->text, t->len);
	if (kw)
		return kw->kind == RKW_ICMP || (kw->kind == RKW_PROTO && kw->value == PROTO_ALL) ?
		       SH_PORTS : SH_OTHER;
	if (memchr(t->text, ':', t->len) || (is_digit(t->text[0]) && memchr(t->text, '.', t->len)))
		return SH_CIDR;
	if (is_digit(t->text[0])) {
		for (i = 0; i < t->len; i++)
			if (!is_digit(t->text[i]) && t->text[i] != '-' && t->text[i] != '/')
				return SH_OTHER;
		return SH_PORTS;
	}
	return rules_is_name(t->text, t->len) ? SH_NAME : SH_OTHER;
}

/* Digits to a value; a value past max reads as max + 1 (no overflow). */
static long num_value(const char *s, size_t len, long max)
{
	long v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return max + 1;
	}
	return v;
}

/* A number as written, for a message: "70000", or "12345678901234567..." */
static const char *num_text(const char *s, size_t len, char *buf, size_t size)
{
	if (len > NUM_QUOTE)
		snprintf(buf, size, "%.*s...", NUM_QUOTE - 3, s);
	else
		snprintf(buf, size, "%.*s", (int)len, s);
	return buf;
}

static const char *proto_label(const struct rrule *r, char *buf, size_t len)
{
	const char *n = proto_name(r->proto);

	if (n)
		return n;
	if (r->kw)
		return r->kw->name;
	snprintf(buf, len, "%d", r->proto);
	return buf;
}

/* ---- protocol, ports, ICMP ----------------------------------------- */

static int parse_proto(struct rparser *p, const struct rtok *t, struct rrule *r)
{
	const struct rkw *kw = t->type == RTOK_WORD ? rules_kw_find(t->text, t->len) : NULL;
	const char *s = t->text;
	bool neg = t->type == RTOK_WORD && s[0] == '-';
	char q[64];

	if (t->type != RTOK_WORD)
		return rp_tok_error(p, t, "expected a protocol or service (tcp, udp, icmp, all, ssh, https, ...)");
	if (kw && (kw->kind == RKW_PROTO || kw->kind == RKW_SERVICE)) {
		r->kw = kw;
		r->proto = kw->value;
		if (kw->kind == RKW_SERVICE)
			r->from = r->to = kw->port;
		return 0;
	}
	if (t->len == 2 && neg && s[1] == '1') {
		r->proto = PROTO_ALL;
		return 0;
	}
	if (kw && kw->kind == RKW_ICMP)
		return rp_error(p, t->col, "%s is an ICMP type, not a protocol: write %s %s",
				kw->name, kw->t4 == RKW_NONE ? "icmpv6" : "icmp", kw->name);
	if (!all_digits(s + neg, t->len - neg))
		return rp_error(p, t->col, "unknown protocol or service %s", rp_quote(t, q, sizeof(q)));
	r->proto = (int)num_value(s + neg, t->len - neg, 255);
	if (neg || r->proto > 255)
		return rp_error(p, t->col, "protocol %s is outside 0-255 (or -1 for all)",
				num_text(s, t->len, q, sizeof(q)));
	return 0;
}

static int tcp_ports(struct rparser *p, const struct rtok *t, struct rrule *r)
{
	const char *s = t->text, *dash = memchr(s, '-', t->len);
	size_t n1 = dash ? (size_t)(dash - s) : t->len, n2 = dash ? t->len - n1 - 1 : 0;
	char q[NUM_QUOTE + 1];
	long a, b;

	if (rules_tok_is(t, "all")) {
		r->from = 0;
		r->to = 65535;
		return 0;
	}
	if (t->type == RTOK_WORD && t->len == 2 && !memcmp(s, "-1", 2))
		return rp_error(p, t->col, PORTS_EXPECTED ": all, not -1, means every port");
	if (t->type != RTOK_WORD || !all_digits(s, n1) || (dash && !all_digits(dash + 1, n2)))
		return rp_tok_error(p, t, PORTS_EXPECTED);
	a = num_value(s, n1, 65535);
	b = dash ? num_value(dash + 1, n2, 65535) : a;
	if (a > 65535 || b > 65535)
		return rp_error(p, t->col, "port %s is outside 0-65535",
				a > 65535 ? num_text(s, n1, q, sizeof(q)) :
				num_text(dash + 1, n2, q, sizeof(q)));
	if (a > b)
		return rp_error(p, t->col, "port range %ld-%ld runs backwards: write %ld-%ld", a, b, b, a);
	r->from = (int32_t)a;
	r->to = (int32_t)b;
	return 0;
}

static int icmp_name(struct rparser *p, const struct rtok *t, const struct rkw *kw,
		     struct rrule *r)
{
	bool v6 = r->proto == 58;
	int type = v6 ? kw->t6 : kw->t4;

	if (type == RKW_NONE)
		return rp_error(p, t->col, "%s is an %s type name, not an %s one", kw->name,
				v6 ? "icmp" : "icmpv6", v6 ? "icmpv6" : "icmp");
	r->from = type;
	r->to = v6 ? kw->c6 : kw->c4;
	return 0;
}

/* all, a name, TYPE or TYPE/CODE (0-255 each). */
static int icmp_ports(struct rparser *p, const struct rtok *t, struct rrule *r)
{
	const struct rkw *kw = rules_kw_find(t->text, t->len);
	const char *s = t->text, *slash = memchr(s, '/', t->len);
	size_t n1 = slash ? (size_t)(slash - s) : t->len, n2 = slash ? t->len - n1 - 1 : 0;
	const char *fam = r->proto == 58 ? "ICMPv6" : "ICMP";
	char q[NUM_QUOTE + 1];
	long type, code;

	if (kw && kw->kind == RKW_ICMP)
		return icmp_name(p, t, kw, r);
	if (kw)			/* all */
		return 0;
	if (!all_digits(s, n1) || (slash && !all_digits(slash + 1, n2)))
		return rp_error(p, t->col, ICMP_EXPECTED);
	type = num_value(s, n1, 255);
	code = slash ? num_value(slash + 1, n2, 255) : -1;
	if (type > 255)
		return rp_error(p, t->col, "%s type %s is outside 0-255", fam,
				num_text(s, n1, q, sizeof(q)));
	if (code > 255)
		return rp_error(p, t->col, "%s code %s is outside 0-255", fam,
				num_text(slash + 1, n2, q, sizeof(q)));
	r->from = (int32_t)type;
	r->to = (int32_t)code;
	return 0;
}

/* ---- peers ---------------------------------------------------------- */

static const char *peer_expected(const struct rparser *p, bool nacl)
{
	if (!nacl)
		return p->dir == DIR_IN ? "expected a source CIDR, a list name or an sg-/pl- id" :
		       "expected a destination CIDR, a list name or an sg-/pl- id";
	return p->dir == DIR_IN ? "expected a source CIDR (or a list of one CIDR)" :
	       "expected a destination CIDR (or a list of one CIDR)";
}

/* An sg-/pl- id that is no list of the file: its addresses come from --map. */
static int peer_ref(struct rparser *p, const struct rtok *t, bool nacl, struct rrule *r)
{
	const struct aws_map_entry *m = NULL;
	bool sg = t->text[0] == 's';
	char id[256];

	if (nacl)
		return rp_error(p, t->col, "a network ACL rule takes a CIDR, not a %s id",
				sg ? "security group" : "prefix list");
	if (t->len < sizeof(id) && p->map) {
		snprintf(id, sizeof(id), "%.*s", (int)t->len, t->text);
		m = aws_map_find(p->map, id);
	}
	if (!m)
		return rp_error(p, t->col, "%s %.*s has no addresses on a single host: give --map %.*s=CIDR[,CIDR...] or define list %.*s = CIDR, ... above",
				sg ? "security group" : "prefix list", (int)t->len, t->text,
				(int)t->len, t->text, (int)t->len, t->text);
	r->cidrs = m->cidrs;
	r->n = m->n;
	r->ref = m->id;
	return 0;
}

static int peer_name(struct rparser *p, const struct rtok *t, bool nacl, struct rrule *r)
{
	const struct rlist *l = rp_list_find(p, t->text, t->len);
	char q[64];

	if (!l && rules_is_ref_id(t->text, t->len))
		return peer_ref(p, t, nacl, r);
	if (!l)
		return rp_error(p, t->col, "unknown list %s: a list must be defined above its use",
				rp_quote(t, q, sizeof(q)));
	r->quiet = l->bad;
	if (nacl && !l->bad && l->n != 1)
		return rp_error(p, t->col, "list %s holds %zu CIDRs; a network ACL rule takes exactly one",
				rp_quote(t, q, sizeof(q)), l->n);
	r->cidrs = l->cidrs;
	r->n = l->n;
	r->ref = !nacl && rules_is_ref_id(l->name, strlen(l->name)) ? l->name : NULL;
	return 0;
}

static int parse_peer(struct rparser *p, const struct rtok *t, bool nacl, struct rrule *r)
{
	switch (shape_of(t)) {
	case SH_CIDR:
		if (rp_cidr(p, t, peer_expected(p, nacl), &r->one) < 0)
			return -1;
		r->cidrs = &r->one;
		r->n = 1;
		return 0;
	case SH_NAME:
		return peer_name(p, t, nacl, r);
	default:
		return rp_tok_error(p, t, "%s", peer_expected(p, nacl));
	}
}

/* ---- PROTO [PORTS] PEER --------------------------------------------- */

/* The word after the protocol, when it is PORTS; -1 reported, 0 none, 1 taken. */
static int rule_ports(struct rparser *p, const struct rtok *t, struct rrule *r)
{
	bool service = r->kw && r->kw->kind == RKW_SERVICE;
	enum shape sh = shape_of(t);
	char b[16];

	if ((r->proto == 6 || r->proto == 17) && !service) {
		if (t->type != RTOK_WORD || sh == SH_CIDR || sh == SH_NAME)
			return rp_tok_error(p, t, "%s needs a port range: 80, 1024-65535 or all",
					    proto_label(r, b, sizeof(b)));
		return tcp_ports(p, t, r) < 0 ? -1 : 1;
	}
	if (r->proto == 1 || r->proto == 58) {
		if (sh == SH_OTHER && t->type == RTOK_WORD)
			return rp_error(p, t->col, ICMP_EXPECTED " or a %s CIDR",
					p->dir == DIR_IN ? "source" : "destination");
		return sh == SH_PORTS ? (icmp_ports(p, t, r) < 0 ? -1 : 1) : 0;
	}
	if (sh != SH_PORTS)
		return 0;
	if (service)
		return rp_error(p, t->col, "%s sets %s port %d itself and takes no port range",
				r->kw->name, proto_name(r->proto), r->kw->port);
	return rp_error(p, t->col, "protocol %s takes no port range", proto_label(r, b, sizeof(b)));
}

static int proto_ports_peer(struct rparser *p, size_t *i, bool nacl, struct rrule *r)
{
	const struct rtok *t = p->ln.tok;
	int taken;

	memset(r, 0, sizeof(*r));
	r->from = r->to = -1;
	if (parse_proto(p, &t[*i], r) < 0)
		return -1;
	(*i)++;
	taken = rule_ports(p, &t[*i], r);
	if (taken < 0)
		return -1;
	if (taken)
		r->ports = &t[(*i)++];
	if (parse_peer(p, &t[*i], nacl, r) < 0)
		return -1;
	(*i)++;
	return 0;
}

/* ---- entries -------------------------------------------------------- */

static void add_nacl(struct rparser *p, uint32_t number, bool allow, const struct rrule *r)
{
	struct nacl_entry e;

	memset(&e, 0, sizeof(e));
	e.number = number;
	e.egress = p->dir == DIR_OUT;
	e.allow = allow;
	e.proto = (int16_t)r->proto;
	e.port_from = 0;
	e.port_to = 65535;
	e.icmp_type = e.icmp_code = -1;
	e.cidr = r->cidrs[0];
	if (r->proto == 6 || r->proto == 17) {
		e.port_from = (uint16_t)r->from;
		e.port_to = (uint16_t)r->to;
	} else if (r->proto == 1 || (r->proto == 58 && e.cidr.family == AF_INET6)) {
		e.icmp_type = (int16_t)r->from;
		e.icmp_code = (int16_t)r->to;
	} else if (r->proto == 58 && r->from != -1) {
		rp_warning(p, r->ports->col, "AWS ignores the type and code of an icmpv6 rule with an IPv4 CIDR: this rule matches every ICMPv6 message");
	}
	e.origin = (struct rule_origin){ p->file, p->ln.no, 0 };
	if (p->keep && !r->quiet && ruleset_add_nacl(p->rs, &e) < 0)
		rp_oom(p);
}

static void add_sg(struct rparser *p, const char *desc, const struct rrule *r)
{
	struct sg_entry e;
	size_t k;

	memset(&e, 0, sizeof(e));
	e.egress = p->dir == DIR_OUT;
	e.proto = (int16_t)r->proto;
	e.from = e.to = -1;
	if (r->proto == 6 || r->proto == 17 || r->proto == 1 || r->proto == 58) {
		e.from = r->from;
		e.to = r->to;
	}
	e.group = p->group < 0 ? 0 : (uint32_t)p->group;
	e.description = (char *)desc;
	e.ref = (char *)r->ref;
	e.origin = (struct rule_origin){ p->file, p->ln.no, 0 };
	for (k = 0; p->keep && !r->quiet && k < r->n; k++) {
		e.cidr = r->cidrs[k];
		if (ruleset_add_sg(p->rs, &e) < 0) {
			rp_oom(p);
			return;
		}
	}
}

/* ---- NACL-RULE ------------------------------------------------------ */

#define STAR_ONLY "the * rule is the implicit deny: only '* deny all 0.0.0.0/0' and '* deny all ::/0' are accepted"

/* `* deny all 0.0.0.0/0` or `::/0`; *v6 says which. */
static int star_check(struct rparser *p, bool *v6)
{
	const struct rtok *t = p->ln.tok;
	char cidr[CIDR_STRLEN + 1];
	struct cidr c;

	if (!rules_tok_is(&t[1], "deny"))
		return rp_tok_error(p, &t[1], STAR_ONLY);
	if (!rules_tok_is(&t[2], "all") && !(t[2].type == RTOK_WORD && t[2].len == 2 &&
					      !memcmp(t[2].text, "-1", 2)))
		return rp_tok_error(p, &t[2], STAR_ONLY);
	if (t[3].type != RTOK_WORD || t[3].len >= sizeof(cidr))
		return rp_tok_error(p, &t[3], STAR_ONLY);
	snprintf(cidr, sizeof(cidr), "%.*s", (int)t[3].len, t[3].text);
	if (cidr_parse(cidr, &c) < 0 || c.plen != 0)
		return rp_error(p, t[3].col, STAR_ONLY);
	if (t[4].type != RTOK_END)
		return rp_tok_error(p, &t[4], STAR_ONLY);
	*v6 = c.family == AF_INET6;
	return 0;
}

/* A '*' line is checked, never added: the compilers add the '*' rules. */
static void star_rule(struct rparser *p)
{
	unsigned *seen;
	bool v6 = false;

	if (star_check(p, &v6) < 0)
		return;
	seen = &p->star_line[p->dir][v6];
	if (*seen)
		rp_error(p, p->ln.tok[0].col, "the %s * rule is already given on line %u",
			 v6 ? "IPv6" : "IPv4", *seen);
	else
		*seen = p->ln.no;
}

static int nacl_number(struct rparser *p, const struct rtok *t, uint32_t *num)
{
	const struct rkw *kw = t->type == RTOK_WORD ? rules_kw_find(t->text, t->len) : NULL;
	bool neg = t->type == RTOK_WORD && t->text[0] == '-';
	char q[NUM_QUOTE + 1];
	long v;

	if (kw && (kw->kind == RKW_PROTO || kw->kind == RKW_SERVICE))
		return rp_error(p, t->col, "a network ACL rule starts with its number (1-32766) or *");
	if (t->type != RTOK_WORD || !all_digits(t->text + neg, t->len - neg))
		return rp_tok_error(p, t, "expected a rule number (1-32766) or *");
	v = num_value(t->text + neg, t->len - neg, NACL_RULE_MAX);
	if (neg || v < NACL_RULE_MIN || v > NACL_RULE_MAX)
		return rp_error(p, t->col, "rule number %s is outside 1-32766",
				num_text(t->text, t->len, q, sizeof(q)));
	*num = (uint32_t)v;
	return 0;
}

/* What may follow the peer of a rule: a description (SG only), then the end. */
static int rule_end(struct rparser *p, const struct rtok *t, bool nacl)
{
	const char *what = p->dir == DIR_IN ? "source" : "destination";
	char q[64];

	if (t->type == RTOK_END)
		return 0;
	if (nacl && t->type == RTOK_STRING)
		return rp_error(p, t->col, "a network ACL rule takes no description");
	if (nacl)
		return rp_tok_error(p, t, "unexpected %s after the %s", rp_quote(t, q, sizeof(q)), what);
	if (t[-1].type == RTOK_STRING)
		return rp_tok_error(p, t, "unexpected %s after the description",
				    rp_quote(t, q, sizeof(q)));
	return rp_tok_error(p, t, "expected a description in double quotes or the end of the line");
}

static unsigned *number_slot(struct rparser *p, uint32_t num)
{
	if (!p->num_line)
		p->num_line = calloc(DIR_MAX * (NACL_RULE_MAX + 1), sizeof(*p->num_line));
	if (!p->num_line) {
		rp_oom(p);
		return NULL;
	}
	return &p->num_line[p->dir * (NACL_RULE_MAX + 1) + num];
}

/* NUMBER|* allow|deny PROTO [PORTS] PEER */
void rp_nacl_rule(struct rparser *p)
{
	const struct rtok *t = p->ln.tok;
	struct rrule r;
	uint32_t num = 0;
	unsigned *used;
	size_t i = 2;

	if (t[0].type == RTOK_WORD && t[0].len == 1 && t[0].text[0] == '*') {
		star_rule(p);
		return;
	}
	if (nacl_number(p, &t[0], &num) < 0)
		return;
	if (!rules_tok_is(&t[1], "allow") && !rules_tok_is(&t[1], "deny")) {
		rp_tok_error(p, &t[1], "expected allow or deny");
		return;
	}
	if (proto_ports_peer(p, &i, true, &r) < 0 || rule_end(p, &t[i], true) < 0)
		return;
	used = number_slot(p, num);
	if (!used)
		return;
	if (*used) {
		rp_error(p, t[0].col, "rule number %u is already used in %s on line %u",
			 num, dir_name(p->dir), *used);
		return;
	}
	*used = p->ln.no;
	add_nacl(p, num, rules_tok_is(&t[1], "allow"), &r);
}

/* ---- SG-RULE -------------------------------------------------------- */

/* PROTO [PORTS] PEER ["description"] */
void rp_sg_rule(struct rparser *p)
{
	const struct rtok *t = p->ln.tok;
	const char *desc = NULL;
	struct rrule r;
	size_t i = 0;

	if (rules_tok_is(&t[0], "allow") || rules_tok_is(&t[0], "deny") ||
	    (t[0].type == RTOK_WORD &&
	     (rules_tok_is(&t[1], "allow") || rules_tok_is(&t[1], "deny")))) {
		rp_error(p, t[0].col, "a security group rule has no number and no action (security groups only allow): start it with its protocol");
		return;
	}
	if (proto_ports_peer(p, &i, false, &r) < 0)
		return;
	if (t[i].type == RTOK_STRING)
		desc = t[i++].val;
	if (rule_end(p, &t[i], false) < 0)
		return;
	add_sg(p, desc, &r);
}
