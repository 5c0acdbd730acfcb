/*
 * The compiled security groups against doc/aws-semantics.md 2 and 3.3, on raw
 * packets: allow-only union, no rule means deny, ports/types, and AWS's
 * tracked/untracked decision, per family, with its worked example.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "pkt.h"
#include "pktbuild.h"
#include "ruleset.h"
#include "sg.h"
#include "testutil.h"

/* ---- rules and packets from tables -------------------------------------- */

/* One SG rule: from/to are ports, or ICMP type/code. */
struct rspec {
	char dir;		/* 'i' inbound, 'o' outbound; 0 ends a list */
	int16_t proto;
	int32_t from, to;
	const char *cidr;
	unsigned group;
};

#define IN(pr, f, t, c)  { 'i', pr, f, t, c, 0 }
#define OUT(pr, f, t, c) { 'o', pr, f, t, c, 0 }
#define IN_G(g, pr, f, t, c) { 'i', pr, f, t, c, g }
#define END { 0, 0, 0, 0, NULL, 0 }

struct pspec {
	int proto;		/* 1: ICMP of the family */
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t type, code;
	uint8_t tcp_flags;	/* 0: SYN */
	bool later_frag;
};

#define TCP(s, sp, d, dp)       { .proto = 6, .src = s, .dst = d, .sport = sp, .dport = dp }
#define TCPF(s, sp, d, dp, f)   { .proto = 6, .src = s, .dst = d, .sport = sp, .dport = dp, .tcp_flags = f }
#define UDP(s, sp, d, dp)       { .proto = 17, .src = s, .dst = d, .sport = sp, .dport = dp }
#define ICMP(s, d, t, c)        { .proto = 1, .src = s, .dst = d, .type = t, .code = c }
#define PROTO(s, d, n)          { .proto = n, .src = s, .dst = d }
#define LFRAG(n, s, d)          { .proto = n, .src = s, .dst = d, .later_frag = true }

static struct ruleset *ruleset_from(const struct rspec *r)
{
	struct ruleset *rs = ruleset_new();

	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(ruleset_add_group(rs, "sg-0aaa", "web"), 0);
	ck_assert_int_eq(ruleset_add_group(rs, "sg-0bbb", "admin"), 1);
	for (; r->dir; r++) {
		struct sg_entry e;

		memset(&e, 0, sizeof(e));
		e.egress = r->dir == 'o';
		e.proto = r->proto;
		e.from = r->from;
		e.to = r->to;
		e.group = r->group;
		e.description = "from a table";
		ck_assert_int_eq(cidr_parse(r->cidr, &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
	}
	return rs;
}

static void build_pkt(const struct pspec *s, struct pkt *p)
{
	uint8_t buf[PB_MAX];
	size_t n;

	if (s->later_frag) {
		n = pb_proto(buf, s->src, s->dst, (uint8_t)s->proto, 64);
		n = pb_fragment(buf, n, 16, 24, 0);
	} else if (s->proto == 6) {
		n = pb_tcp(buf, s->src, s->sport, s->dst, s->dport,
			   s->tcp_flags ? s->tcp_flags : TCPF_SYN);
	} else if (s->proto == 17) {
		n = pb_udp(buf, s->src, s->sport, s->dst, s->dport, 32);
	} else if (s->proto == 1) {
		n = pb_icmp(buf, s->src, s->dst, s->type, s->code, 7);
	} else {
		n = pb_proto(buf, s->src, s->dst, (uint8_t)s->proto, 32);
	}
	ck_assert_int_eq(pkt_parse(p, buf, n, n), PKT_OK);
}

/* ---- the decision table ------------------------------------------------- */

/* Two groups on one interface: their union. */
static const struct rspec r_union[] = {
	IN_G(0, 6, 22, 22, "203.0.113.1/32"),
	IN_G(1, 6, 443, 443, "198.51.100.0/24"),
	END
};

static const struct rspec r_empty[] = { END };

/* doc/aws-semantics.md 3.3, the worked example. */
static const struct rspec r_aws[] = {
	IN(6, 22, 22, "203.0.113.1/32"),
	IN(6, 80, 80, "0.0.0.0/0"),
	IN(6, 80, 80, "::/0"),
	IN(1, -1, -1, "0.0.0.0/0"),
	OUT(-1, -1, -1, "0.0.0.0/0"),
	OUT(-1, -1, -1, "::/0"),
	END
};

/* The same with the IPv4 outbound all-rule deleted. */
static const struct rspec r_aws_no_v4_out[] = {
	IN(6, 22, 22, "203.0.113.1/32"),
	IN(6, 80, 80, "0.0.0.0/0"),
	IN(6, 80, 80, "::/0"),
	IN(1, -1, -1, "0.0.0.0/0"),
	OUT(-1, -1, -1, "::/0"),
	END
};

/* TCP 0-65535 outbound opens TCP, not UDP. */
static const struct rspec r_tcp_only_out[] = {
	IN(6, 80, 80, "0.0.0.0/0"),
	IN(17, 53, 53, "0.0.0.0/0"),
	OUT(6, 0, 65535, "0.0.0.0/0"),
	END
};

/* Port-specific, or not /0: the reverse is not open. */
static const struct rspec r_port_out[] = {
	IN(6, 80, 80, "0.0.0.0/0"),
	OUT(6, 1024, 65535, "0.0.0.0/0"),
	OUT(6, 0, 65535, "10.0.0.0/8"),
	OUT(17, -1, -1, "0.0.0.0/0"),
	IN(17, 53, 53, "0.0.0.0/0"),
	END
};

/* A narrow and a /0 rule both allow SSH: the /0 one makes it untracked. */
static const struct rspec r_union_zero[] = {
	IN(6, 22, 22, "203.0.113.1/32"),
	IN(6, 22, 22, "0.0.0.0/0"),
	OUT(-1, -1, -1, "0.0.0.0/0"),
	END
};

/* Untracked in the outbound direction, and for UDP. */
static const struct rspec r_out_init[] = {
	OUT(6, 443, 443, "0.0.0.0/0"),
	OUT(17, 53, 53, "0.0.0.0/0"),
	IN(-1, -1, -1, "0.0.0.0/0"),
	END
};

static const struct rspec r_all_open[] = {
	IN(-1, -1, -1, "0.0.0.0/0"),
	OUT(-1, -1, -1, "0.0.0.0/0"),
	IN(-1, -1, -1, "::/0"),
	OUT(-1, -1, -1, "::/0"),
	END
};

static const struct rspec r_match[] = {
	IN(-1, 5, 5, "10.0.0.0/8"),
	IN(6, -1, -1, "192.0.2.0/24"),
	IN(1, 8, -1, "198.51.100.0/24"),
	IN(58, 128, -1, "2001:db8::/32"),
	IN(47, 5, 5, "203.0.113.0/24"),
	IN(17, 1000, 2000, "203.0.113.0/24"),
	IN(1, 3, 4, "203.0.113.0/24"),
	OUT(6, 443, 443, "198.51.100.0/24"),
	IN(58, -1, -1, "fd00::/8"),
	END
};

static const struct rspec r_frag[] = {
	IN(6, 80, 80, "10.0.0.0/8"),
	IN(6, 0, 65535, "192.0.2.0/24"),
	IN(6, -1, -1, "198.51.100.0/24"),
	IN(1, 8, -1, "10.0.0.0/8"),
	IN(1, -1, -1, "192.0.2.0/24"),
	IN(-1, -1, -1, "203.0.113.0/24"),
	IN(6, 1, 65535, "172.16.0.0/12"),
	END
};

#define NONE (-1)

struct sg_case {
	const char *what;
	const struct rspec *rules;
	enum dir d;
	struct pspec pkt;
	enum sg_match want;
	int rule;		/* index in rules, or NONE */
};

static const struct sg_case cases[] = {
	{ "union: group 0 allows SSH", r_union, DIR_IN,
	  TCP("203.0.113.1", 40000, "10.0.0.5", 22), SG_ALLOW_TRACKED, 0 },
	{ "union: group 1 allows HTTPS", r_union, DIR_IN,
	  TCP("198.51.100.9", 40000, "10.0.0.5", 443), SG_ALLOW_TRACKED, 1 },
	{ "union: neither allows SSH from there", r_union, DIR_IN,
	  TCP("198.51.100.9", 40000, "10.0.0.5", 22), SG_DENY, NONE },
	{ "union: neither allows HTTPS from there", r_union, DIR_IN,
	  TCP("203.0.113.1", 40000, "10.0.0.5", 443), SG_DENY, NONE },
	{ "union: no outbound rule", r_union, DIR_OUT,
	  TCP("10.0.0.5", 40000, "203.0.113.1", 22), SG_DENY, NONE },

	{ "no rules: inbound denied", r_empty, DIR_IN,
	  TCP("203.0.113.1", 40000, "10.0.0.5", 22), SG_DENY, NONE },
	{ "no rules: outbound denied", r_empty, DIR_OUT,
	  ICMP("10.0.0.5", "203.0.113.1", 8, 0), SG_DENY, NONE },

	{ "AWS 3.3: SSH from a /32 is tracked", r_aws, DIR_IN,
	  TCP("203.0.113.1", 40000, "10.0.0.5", 22), SG_ALLOW_TRACKED, 0 },
	{ "AWS 3.3: HTTP from 0.0.0.0/0 is untracked", r_aws, DIR_IN,
	  TCP("198.51.100.7", 40000, "10.0.0.5", 80), SG_ALLOW_UNTRACKED, 1 },
	{ "AWS 3.3: HTTP from ::/0 is untracked", r_aws, DIR_IN,
	  TCP("2001:db8::7", 40000, "fd00::5", 80), SG_ALLOW_UNTRACKED, 2 },
	{ "AWS 3.3: ICMP is tracked", r_aws, DIR_IN,
	  ICMP("198.51.100.7", "10.0.0.5", 8, 0), SG_ALLOW_TRACKED, 3 },
	{ "AWS 3.3: SSH from elsewhere is denied", r_aws, DIR_IN,
	  TCP("198.51.100.7", 40000, "10.0.0.5", 22), SG_DENY, NONE },
	{ "AWS 3.3: ICMP over IPv6 has no rule", r_aws, DIR_IN,
	  ICMP("2001:db8::7", "fd00::5", 128, 0), SG_DENY, NONE },
	{ "AWS 3.3: the host's own connections are tracked", r_aws, DIR_OUT,
	  TCP("10.0.0.5", 40000, "198.51.100.7", 443), SG_ALLOW_TRACKED, 4 },
	{ "AWS 3.3: reply of untracked HTTP is untracked", r_aws, DIR_OUT,
	  TCPF("10.0.0.5", 80, "198.51.100.7", 40000, TCPF_SYN | TCPF_ACK),
	  SG_ALLOW_UNTRACKED, 4 },
	{ "AWS 3.3: mid-stream data of untracked HTTP, v6", r_aws, DIR_OUT,
	  TCPF("fd00::5", 80, "2001:db8::7", 40000, TCPF_ACK | TCPF_PSH),
	  SG_ALLOW_UNTRACKED, 5 },
	{ "AWS 3.3: a pure SYN from port 80 starts its own flow", r_aws, DIR_OUT,
	  TCP("10.0.0.5", 80, "198.51.100.7", 40000), SG_ALLOW_TRACKED, 4 },
	{ "AWS 3.3: SSH replies are not untracked", r_aws, DIR_OUT,
	  TCPF("10.0.0.5", 22, "203.0.113.1", 40000, TCPF_ACK), SG_ALLOW_TRACKED, 4 },

	{ "no v4 all-rule out: IPv4 HTTP becomes tracked", r_aws_no_v4_out, DIR_IN,
	  TCP("198.51.100.7", 40000, "10.0.0.5", 80), SG_ALLOW_TRACKED, 1 },
	{ "no v4 all-rule out: IPv6 HTTP stays untracked", r_aws_no_v4_out, DIR_IN,
	  TCP("2001:db8::7", 40000, "fd00::5", 80), SG_ALLOW_UNTRACKED, 2 },
	{ "no v4 all-rule out: IPv4 reply has no rule", r_aws_no_v4_out, DIR_OUT,
	  TCPF("10.0.0.5", 80, "198.51.100.7", 40000, TCPF_SYN | TCPF_ACK), SG_DENY, NONE },
	{ "no v4 all-rule out: IPv6 reply untracked", r_aws_no_v4_out, DIR_OUT,
	  TCPF("fd00::5", 80, "2001:db8::7", 40000, TCPF_SYN | TCPF_ACK),
	  SG_ALLOW_UNTRACKED, 4 },

	{ "TCP-only 0-65535 outbound: HTTP untracked", r_tcp_only_out, DIR_IN,
	  TCP("198.51.100.7", 40000, "10.0.0.5", 80), SG_ALLOW_UNTRACKED, 0 },
	{ "TCP-only 0-65535 outbound: UDP tracked", r_tcp_only_out, DIR_IN,
	  UDP("198.51.100.7", 40000, "10.0.0.5", 53), SG_ALLOW_TRACKED, 1 },
	{ "port-specific outbound: HTTP tracked", r_port_out, DIR_IN,
	  TCP("198.51.100.7", 40000, "10.0.0.5", 80), SG_ALLOW_TRACKED, 0 },
	{ "port-specific outbound: its reply tracked", r_port_out, DIR_OUT,
	  TCPF("10.0.0.5", 80, "198.51.100.7", 40000, TCPF_SYN | TCPF_ACK),
	  SG_ALLOW_TRACKED, 1 },
	{ "UDP -1 ports outbound opens UDP", r_port_out, DIR_IN,
	  UDP("198.51.100.7", 40000, "10.0.0.5", 53), SG_ALLOW_UNTRACKED, 4 },

	{ "a /0 rule among the matches makes it untracked", r_union_zero, DIR_IN,
	  TCP("203.0.113.1", 40000, "10.0.0.5", 22), SG_ALLOW_UNTRACKED, 1 },
	{ "outbound-initiated TCP untracked", r_out_init, DIR_OUT,
	  TCP("10.0.0.5", 40000, "198.51.100.7", 443), SG_ALLOW_UNTRACKED, 0 },
	{ "outbound-initiated UDP untracked", r_out_init, DIR_OUT,
	  UDP("10.0.0.5", 40000, "198.51.100.7", 53), SG_ALLOW_UNTRACKED, 1 },
	{ "outbound to another port denied", r_out_init, DIR_OUT,
	  TCP("10.0.0.5", 40000, "198.51.100.7", 80), SG_DENY, NONE },
	{ "inbound reply of outbound untracked flow", r_out_init, DIR_IN,
	  TCPF("198.51.100.7", 443, "10.0.0.5", 40000, TCPF_SYN | TCPF_ACK),
	  SG_ALLOW_UNTRACKED, 2 },
	{ "all open: TCP untracked", r_all_open, DIR_IN,
	  TCP("198.51.100.7", 40000, "10.0.0.5", 9999), SG_ALLOW_UNTRACKED, 0 },
	{ "all open: UDP v6 untracked", r_all_open, DIR_OUT,
	  UDP("fd00::5", 40000, "2001:db8::7", 9999), SG_ALLOW_UNTRACKED, 3 },
	{ "all open: ICMP still tracked", r_all_open, DIR_IN,
	  ICMP("198.51.100.7", "10.0.0.5", 8, 0), SG_ALLOW_TRACKED, 0 },
	{ "all open: ICMPv6 still tracked", r_all_open, DIR_OUT,
	  ICMP("fd00::5", "2001:db8::7", 128, 0), SG_ALLOW_TRACKED, 3 },
	{ "all open: GRE tracked", r_all_open, DIR_IN,
	  PROTO("198.51.100.7", "10.0.0.5", 47), SG_ALLOW_TRACKED, 0 },

	{ "proto -1 ignores ports", r_match, DIR_IN,
	  UDP("10.1.1.1", 1, "10.0.0.5", 9), SG_ALLOW_TRACKED, 0 },
	{ "TCP from -1: every port", r_match, DIR_IN,
	  TCP("192.0.2.5", 1, "10.0.0.5", 12345), SG_ALLOW_TRACKED, 1 },
	{ "TCP rule does not take UDP", r_match, DIR_IN,
	  UDP("192.0.2.5", 1, "10.0.0.5", 12345), SG_DENY, NONE },
	{ "ICMP type 8, code -1", r_match, DIR_IN,
	  ICMP("198.51.100.1", "10.0.0.5", 8, 3), SG_ALLOW_TRACKED, 2 },
	{ "ICMP type 0 is not 8", r_match, DIR_IN,
	  ICMP("198.51.100.1", "10.0.0.5", 0, 0), SG_DENY, NONE },
	{ "ICMP 3/4 exact", r_match, DIR_IN,
	  ICMP("203.0.113.5", "10.0.0.5", 3, 4), SG_ALLOW_TRACKED, 6 },
	{ "ICMP 3/3 is not 3/4", r_match, DIR_IN,
	  ICMP("203.0.113.5", "10.0.0.5", 3, 3), SG_DENY, NONE },
	{ "ICMPv6 128", r_match, DIR_IN,
	  ICMP("2001:db8::1", "fd00::5", 128, 0), SG_ALLOW_TRACKED, 3 },
	{ "ICMPv6 129 is not 128", r_match, DIR_IN,
	  ICMP("2001:db8::1", "fd00::5", 129, 0), SG_DENY, NONE },
	{ "ICMPv6 without a range: every type", r_match, DIR_IN,
	  ICMP("fd00::9", "fd00::5", 2, 0), SG_ALLOW_TRACKED, 8 },
	{ "other protocols ignore ports", r_match, DIR_IN,
	  PROTO("203.0.113.5", "10.0.0.5", 47), SG_ALLOW_TRACKED, 4 },
	{ "UDP range, inside", r_match, DIR_IN,
	  UDP("203.0.113.5", 9, "10.0.0.5", 2000), SG_ALLOW_TRACKED, 5 },
	{ "UDP range, outside", r_match, DIR_IN,
	  UDP("203.0.113.5", 9, "10.0.0.5", 2001), SG_DENY, NONE },
	{ "UDP range: source port is not looked at", r_match, DIR_IN,
	  UDP("203.0.113.5", 1500, "10.0.0.5", 9), SG_DENY, NONE },
	{ "outbound: destination in the CIDR", r_match, DIR_OUT,
	  TCP("10.0.0.5", 40000, "198.51.100.1", 443), SG_ALLOW_TRACKED, 7 },
	{ "outbound: source in the CIDR is not enough", r_match, DIR_OUT,
	  TCP("198.51.100.1", 40000, "192.0.2.1", 443), SG_DENY, NONE },
	{ "inbound rules do not judge outbound", r_match, DIR_OUT,
	  TCP("10.0.0.5", 40000, "10.1.1.1", 443), SG_DENY, NONE },
	{ "v4 rules never match v6", r_match, DIR_IN,
	  TCP("fd00::1", 40000, "fd00::5", 443), SG_DENY, NONE },

	{ "later fragment: port 80 rule does not match", r_frag, DIR_IN,
	  LFRAG(6, "10.1.1.1", "10.0.0.5"), SG_DENY, NONE },
	{ "later fragment: 0-65535 matches", r_frag, DIR_IN,
	  LFRAG(6, "192.0.2.1", "10.0.0.5"), SG_ALLOW_TRACKED, 1 },
	{ "later fragment: from -1 matches", r_frag, DIR_IN,
	  LFRAG(6, "198.51.100.1", "10.0.0.5"), SG_ALLOW_TRACKED, 2 },
	{ "later fragment: 1-65535 does not", r_frag, DIR_IN,
	  LFRAG(6, "172.16.0.1", "10.0.0.5"), SG_DENY, NONE },
	{ "later ICMP fragment: type 8 rule does not", r_frag, DIR_IN,
	  LFRAG(1, "10.1.1.1", "10.0.0.5"), SG_DENY, NONE },
	{ "later ICMP fragment: -1/-1 matches", r_frag, DIR_IN,
	  LFRAG(1, "192.0.2.1", "10.0.0.5"), SG_ALLOW_TRACKED, 4 },
	{ "later fragment: proto -1 matches", r_frag, DIR_IN,
	  LFRAG(17, "203.0.113.1", "10.0.0.5"), SG_ALLOW_TRACKED, 5 },
};

static const char *match_name(enum sg_match m)
{
	return m == SG_DENY ? "deny" :
	       m == SG_ALLOW_TRACKED ? "tracked" : "untracked";
}

START_TEST(test_decision)
{
	const struct sg_case *c = &cases[_i];
	struct ruleset *rs = ruleset_from(c->rules);
	struct sg *s = sg_compile(rs);
	const struct sg_entry *rule = (const void *)&rule;	/* must be written */
	enum sg_match m;
	struct pkt p;
	long idx;

	ck_assert_ptr_nonnull(s);
	build_pkt(&c->pkt, &p);
	m = sg_eval(s, c->d, &p, &rule);
	idx = rule ? (long)(rule - rs->sg) : NONE;
	ck_assert_msg(m == c->want && idx == c->rule, "%s: %s by rule %ld, want %s by %d",
		      c->what, match_name(m), idx, match_name(c->want), c->rule);
	if (rule) {
		ck_assert(sg_entry_matches(rule, c->d, &p));
		ck_assert(rule->egress == (c->d == DIR_OUT));
	}
	/* The rule pointer is optional. */
	ck_assert_int_eq(sg_eval(s, c->d, &p, NULL), c->want);
	sg_free(s);
	ruleset_free(rs);
}
END_TEST

/* ---- listing ------------------------------------------------------------ */

START_TEST(test_listing)
{
	struct ruleset *rs = ruleset_from(r_match);
	struct sg *s = sg_compile(rs);
	size_t i, n_in = 0;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(sg_count(s, DIR_IN), 8);
	ck_assert_uint_eq(sg_count(s, DIR_OUT), 1);
	/* File order, and the very entries of the ruleset. */
	for (i = 0; i < rs->n_sg; i++) {
		if (rs->sg[i].egress)
			continue;
		ck_assert_ptr_eq(sg_rule(s, DIR_IN, n_in), &rs->sg[i]);
		n_in++;
	}
	ck_assert_ptr_eq(sg_rule(s, DIR_OUT, 0), &rs->sg[7]);
	ck_assert_ptr_null(sg_rule(s, DIR_OUT, 1));
	ck_assert_ptr_null(sg_rule(s, DIR_IN, 8));
	sg_free(s);
	ruleset_free(rs);

	rs = ruleset_new();
	s = sg_compile(rs);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(sg_count(s, DIR_IN), 0);
	ck_assert_uint_eq(sg_count(s, DIR_OUT), 0);
	sg_free(s);
	ruleset_free(rs);
}
END_TEST

/* ---- the compact evaluator against the rules as AWS states them --------- */

static uint32_t rnd_state = 88172645u;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

static const char *const v4_cidrs[] = {
	"0.0.0.0/0", "0.0.0.0/0", "10.0.0.0/8", "10.1.2.3/32", "192.0.2.0/25",
};
static const char *const v6_cidrs[] = {
	"::/0", "::/0", "fd00::/8", "fd00:1::3/128", "2001:db8::/33",
};
static const char *const v4_hosts[] = { "10.1.2.3", "10.9.9.9", "192.0.2.1", "8.8.8.8" };
static const char *const v6_hosts[] = { "fd00:1::3", "fd00:2::1", "2001:db8::1", "2001:db9::1" };
static const int16_t protos[] = { -1, 6, 6, 17, 17, 1, 58, 47 };
static const int32_t ports[] = { -1, 0, 22, 80, 1024, 65535 };

static void random_rule(struct sg_entry *e)
{
	bool v6 = rnd(2);
	int32_t a = ports[rnd(ARRAY_SIZE(ports))], b = ports[rnd(ARRAY_SIZE(ports))];

	memset(e, 0, sizeof(*e));
	e->egress = rnd(2);
	e->proto = protos[rnd(ARRAY_SIZE(protos))];
	if (e->proto == 1 || e->proto == 58) {
		e->from = rnd(3) ? -1 : (int32_t)rnd(10);
		e->to = e->from < 0 || rnd(2) ? -1 : 0;
	} else if (a < 0 || b < 0) {
		e->from = e->to = -1;
	} else {
		e->from = a < b ? a : b;
		e->to = a < b ? b : a;
	}
	cidr_parse(v6 ? v6_cidrs[rnd(ARRAY_SIZE(v6_cidrs))] :
			v4_cidrs[rnd(ARRAY_SIZE(v4_cidrs))], &e->cidr);
}

static void random_pkt(struct pkt *p)
{
	static const int kinds[] = { 6, 6, 17, 17, 1, 47 };
	static const uint8_t flags[] = { TCPF_SYN, TCPF_SYN | TCPF_ACK, TCPF_ACK, TCPF_RST };
	bool v6 = rnd(2);
	const char *const *h = v6 ? v6_hosts : v4_hosts;
	struct pspec s = { 0 };

	s.src = h[rnd(4)];
	s.dst = h[rnd(4)];
	s.proto = kinds[rnd(ARRAY_SIZE(kinds))];
	s.sport = (uint16_t)ports[1 + rnd(ARRAY_SIZE(ports) - 1)];
	s.dport = (uint16_t)ports[1 + rnd(ARRAY_SIZE(ports) - 1)];
	s.type = (uint8_t)rnd(10);
	s.code = (uint8_t)rnd(2);
	s.tcp_flags = flags[rnd(ARRAY_SIZE(flags))];
	s.later_frag = rnd(8) == 0;
	build_pkt(&s, p);
}

/* doc/aws-semantics.md 3.3, reread from the text: a rule of x opens the protocol to /0. */
static bool ref_open(const struct ruleset *rs, bool egress, uint8_t fam, int proto)
{
	size_t i;

	for (i = 0; i < rs->n_sg; i++) {
		const struct sg_entry *e = &rs->sg[i];

		if (e->egress != egress || e->cidr.family != fam || e->cidr.plen)
			continue;
		if (e->proto == PROTO_ALL || (e->proto == proto &&
		    (e->from == -1 || (e->from == 0 && e->to == 65535))))
			return true;
	}
	return false;
}

static bool ref_allowed_by_any(const struct ruleset *rs, enum dir d,
			       const struct pkt *p, bool zero_only)
{
	size_t i;

	for (i = 0; i < rs->n_sg; i++)
		if (rs->sg[i].egress == (d == DIR_OUT) &&
		    (!zero_only || rs->sg[i].cidr.plen == 0) &&
		    sg_entry_matches(&rs->sg[i], d, p))
			return true;
	return false;
}

static enum sg_match ref_eval(const struct ruleset *rs, enum dir d, const struct pkt *p)
{
	struct pkt r = *p;

	if (!ref_allowed_by_any(rs, d, p, false))
		return SG_DENY;
	if (p->proto != 6 && p->proto != 17)
		return SG_ALLOW_TRACKED;
	if (ref_allowed_by_any(rs, d, p, true) &&
	    ref_open(rs, d == DIR_IN, p->family, p->proto))
		return SG_ALLOW_UNTRACKED;
	if (p->proto == 6 && (p->flags & PKT_F_L4) &&
	    (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
		return SG_ALLOW_TRACKED;
	memcpy(r.src, p->dst, 16);
	memcpy(r.dst, p->src, 16);
	r.sport = p->dport;
	r.dport = p->sport;
	if (ref_open(rs, d == DIR_OUT, p->family, p->proto) &&
	    ref_allowed_by_any(rs, d == DIR_IN ? DIR_OUT : DIR_IN, &r, true))
		return SG_ALLOW_UNTRACKED;
	return SG_ALLOW_TRACKED;
}

START_TEST(test_matches_reference)
{
	unsigned round, k, seen[3] = { 0, 0, 0 };

	for (round = 0; round < 400; round++) {
		struct ruleset *rs = ruleset_new();
		unsigned n = rnd(10);
		struct sg_entry e;
		struct sg *s;

		for (k = 0; k < n; k++) {
			random_rule(&e);
			ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
		}
		s = sg_compile(rs);
		ck_assert_ptr_nonnull(s);
		for (k = 0; k < 100; k++) {
			enum dir d = rnd(2) ? DIR_OUT : DIR_IN;
			const struct sg_entry *rule;
			enum sg_match got, want;
			struct pkt p;

			random_pkt(&p);
			got = sg_eval(s, d, &p, &rule);
			want = ref_eval(rs, d, &p);
			ck_assert_msg(got == want, "round %u packet %u: %s, reference %s",
				      round, k, match_name(got), match_name(want));
			ck_assert(got == SG_DENY ? !rule : sg_entry_matches(rule, d, &p));
			if (got == SG_ALLOW_UNTRACKED)
				ck_assert_uint_eq(rule->cidr.plen, 0);
			seen[got]++;
		}
		sg_free(s);
		ruleset_free(rs);
	}
	/* The random rules must exercise every outcome. */
	ck_assert(seen[SG_DENY] > 100 && seen[SG_ALLOW_TRACKED] > 100 &&
		  seen[SG_ALLOW_UNTRACKED] > 100);
}
END_TEST

static Suite *sg_suite(void)
{
	Suite *s = suite_create("sg");
	TCase *tc = tcase_create("eval");

	tcase_add_loop_test(tc, test_decision, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_matches_reference);
	suite_add_tcase(s, tc);
	tc = tcase_create("compile");
	tcase_add_test(tc, test_listing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(sg_suite());
}
