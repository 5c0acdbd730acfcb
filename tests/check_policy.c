/*
 * The judge: both layers in AWS's order (doc/aws-semantics.md 4.1) over a real
 * flow table, on raw packets. Stateful replies, the stateless NACL dropping
 * them, ephemeral ports, rule removal with tracked and untracked flows,
 * infrastructure traffic, a full table, and policy_load on rule files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "diag.h"
#include "flow.h"
#include "pkt.h"
#include "pktbuild.h"
#include "policy.h"
#include "ruleset.h"
#include "testutil.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "tests"
#endif
#define FIXTURE(f) TEST_SRCDIR "/data/policy/" f
#define HASH_KEY "vpcfw-judge-test"	/* 16 bytes */

/* ---- packets and steps -------------------------------------------------- */

struct pspec {
	int proto;		/* 1: ICMP of the family */
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t type, code;
	uint8_t tcp_flags;
	bool icmp_error;	/* an ICMP error (type/code) quoting a TCP packet */
	uint32_t seq;		/* TCP: 0 for pb_tcp's 1 */
};

#define SYN  TCPF_SYN
#define SA   (TCPF_SYN | TCPF_ACK)
#define ACK  TCPF_ACK
#define PA   (TCPF_PSH | TCPF_ACK)
#define RST  TCPF_RST
#define TCP(s, sp, d, dp, f) { .proto = 6, .src = s, .dst = d, .sport = sp, .dport = dp, .tcp_flags = f }
#define TCPSEQ(s, sp, d, dp, f, q) { .proto = 6, .src = s, .dst = d, .sport = sp, .dport = dp, \
				     .tcp_flags = f, .seq = q }
#define UDP(s, sp, d, dp)    { .proto = 17, .src = s, .dst = d, .sport = sp, .dport = dp }
#define ICMP(s, d, t, c)     { .proto = 1, .src = s, .dst = d, .type = t, .code = c }
#define ICMPERR(s, d, t, c)  { .proto = 1, .src = s, .dst = d, .type = t, .code = c, .icmp_error = true }

static void build_pkt(const struct pspec *s, struct pkt *p)
{
	uint8_t buf[PB_MAX], inner[PB_MAX];
	size_t n;

	switch (s->proto) {
	case 6:
		if (s->seq) {
			struct pb_tcp_seg g = { .flags = s->tcp_flags, .seq = s->seq,
						.wscale = -1 };

			n = pb_tcp_seg(buf, s->src, s->sport, s->dst, s->dport, &g);
			break;
		}
		n = pb_tcp(buf, s->src, s->sport, s->dst, s->dport, s->tcp_flags);
		break;
	case 17:
		n = pb_udp(buf, s->src, s->sport, s->dst, s->dport, 32);
		break;
	default:
		if (!s->icmp_error) {
			n = pb_icmp(buf, s->src, s->dst, s->type, s->code, 7);
			break;
		}
		/* What the host sent, quoted back by a router on the path. */
		n = pb_tcp(inner, s->dst, 40000, "192.0.2.99", 443, PA);
		n = pb_icmp_error(buf, s->src, s->dst, s->type, s->code, inner, n);
		break;
	}
	ck_assert_int_eq(pkt_parse(p, buf, n, n), PKT_OK);
}

#define NONE (-1)
#define ST(s) ((s) + 1)		/* expected flow state; 0: not checked */

struct step {
	const char *what;
	enum dir d;
	struct pspec pkt;
	bool accept;
	enum verdict_layer layer;
	enum sg_outcome sgo;
	uint32_t nacl;		/* number of the deciding NACL rule, 0: not consulted */
	int sg;			/* index of the allowing SG rule, or NONE */
	int state;		/* ST(flow state) or 0 */
};

static uint64_t now = 1000000;

static void run_steps(const struct policy *pol, struct flow_table *ft,
		      const struct step *st, size_t n)
{
	const struct ruleset *rs = policy_ruleset(pol);
	size_t i;

	for (i = 0; i < n; i++, st++) {
		struct verdict v;
		struct pkt p;
		long sg;

		build_pkt(&st->pkt, &p);
		policy_judge(pol, ft, &p, st->d, now++, &v);
		sg = v.sg ? (long)(v.sg - rs->sg) : NONE;
		ck_assert_msg(v.accept == st->accept && v.layer == st->layer &&
			      v.sg_outcome == st->sgo,
			      "%s: %s by %s (%s), want %s by %s (%s)", st->what,
			      v.accept ? "accept" : "drop", verdict_layer_name(v.layer),
			      sg_outcome_name(v.sg_outcome),
			      st->accept ? "accept" : "drop",
			      verdict_layer_name(st->layer), sg_outcome_name(st->sgo));
		ck_assert_msg(st->nacl ? v.nacl && v.nacl->number == st->nacl : !v.nacl,
			      "%s: NACL rule %u, want %u", st->what,
			      v.nacl ? v.nacl->number : 0, st->nacl);
		if (v.nacl)
			ck_assert(v.nacl->egress == (st->d == DIR_OUT));
		ck_assert_msg(sg == st->sg, "%s: SG rule %ld, want %d", st->what,
			      sg, st->sg);
		ck_assert_msg(!st->state || (int)v.flow_state == st->state - 1,
			      "%s: flow state %s, want %s", st->what,
			      flow_state_name(v.flow_state),
			      flow_state_name((enum flow_state)(st->state - 1)));
	}
}

#define RUN(pol, ft, steps) run_steps(pol, ft, steps, ARRAY_SIZE(steps))

static uint64_t flows(struct flow_table *ft)
{
	struct flow_stats s;

	flow_table_stats(ft, &s);
	return s.count;
}

/* ---- the SG alone: replies pass without a rule --------------------------- */

START_TEST(test_sg_reply_inbound_initiated)
{
	static const struct sspec sg[] = { SIN(6, 22, 22, "0.0.0.0/0"), SEND };
	static const struct step steps[] = {
		{ "SYN in", DIR_IN, TCP("198.51.100.7", 40000, "10.0.0.5", 22, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 0, ST(FLOW_NEW) },
		{ "SYN-ACK out, no outbound rule", DIR_OUT,
		  TCP("10.0.0.5", 22, "198.51.100.7", 40000, SA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_SYN_RECV) },
		{ "ACK in", DIR_IN, TCP("198.51.100.7", 40000, "10.0.0.5", 22, ACK),
		  true, VL_SG, SGO_FLOW_ORIG, 0, NONE, ST(FLOW_ESTABLISHED) },
		{ "data out", DIR_OUT, TCP("10.0.0.5", 22, "198.51.100.7", 40000, PA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_ESTABLISHED) },
		{ "a new connection out has no rule", DIR_OUT,
		  TCP("10.0.0.5", 40001, "198.51.100.7", 22, SYN),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
		{ "ping in has no rule", DIR_IN, ICMP("198.51.100.7", "10.0.0.5", 8, 0),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
	};
	struct policy *pol = tu_policy_of(NULL, sg);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);

	ck_assert_ptr_null(policy_acl(pol));
	ck_assert_ptr_nonnull(policy_sg(pol));
	RUN(pol, ft, steps);
	ck_assert_uint_eq(flows(ft), 1);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

START_TEST(test_sg_reply_outbound_initiated)
{
	static const struct sspec sg[] = {
		SOUT(6, 443, 443, "0.0.0.0/0"),
		SOUT(17, 53, 53, "0.0.0.0/0"),
		SOUT(1, 8, -1, "0.0.0.0/0"),
		SOUT(58, 128, -1, "::/0"),
		SEND
	};
	static const struct step steps[] = {
		{ "SYN out", DIR_OUT, TCP("10.0.0.5", 40000, "192.0.2.10", 443, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 0, ST(FLOW_NEW) },
		{ "SYN-ACK in, no inbound rule", DIR_IN,
		  TCP("192.0.2.10", 443, "10.0.0.5", 40000, SA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_SYN_RECV) },
		{ "ACK out", DIR_OUT, TCP("10.0.0.5", 40000, "192.0.2.10", 443, ACK),
		  true, VL_SG, SGO_FLOW_ORIG, 0, NONE, ST(FLOW_ESTABLISHED) },
		{ "the server cannot open a connection back", DIR_IN,
		  TCP("192.0.2.10", 443, "10.0.0.5", 40001, SYN),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
		{ "DNS query out", DIR_OUT, UDP("10.0.0.5", 5353, "192.0.2.53", 53),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 1, ST(FLOW_NEW) },
		{ "DNS answer in", DIR_IN, UDP("192.0.2.53", 53, "10.0.0.5", 5353),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_ESTABLISHED) },
		{ "a DNS query in has no rule", DIR_IN, UDP("192.0.2.53", 5353, "10.0.0.5", 53),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
		{ "ping out", DIR_OUT, ICMP("10.0.0.5", "192.0.2.10", 8, 0),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 2, ST(FLOW_NEW) },
		{ "echo reply in", DIR_IN, ICMP("192.0.2.10", "10.0.0.5", 0, 0),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_ESTABLISHED) },
		{ "ping in has no rule", DIR_IN, ICMP("192.0.2.10", "10.0.0.5", 8, 0),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
		{ "ping6 out", DIR_OUT, ICMP("fd00::5", "2001:db8::10", 128, 0),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 3, ST(FLOW_NEW) },
		{ "echo6 reply in", DIR_IN, ICMP("2001:db8::10", "fd00::5", 129, 0),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_ESTABLISHED) },
	};
	struct policy *pol = tu_policy_of(NULL, sg);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);

	RUN(pol, ft, steps);
	ck_assert_uint_eq(flows(ft), 4);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/* ---- both layers --------------------------------------------------------- */

/* doc/aws-semantics.md 4.2 #1: the SG passes the reply, the stateless NACL drops it. */
START_TEST(test_both_layers_nacl_drops_reply)
{
	static const struct nspec nacl[] = { NIN(100, 'a', 6, 22, 22, "0.0.0.0/0"), NEND };
	static const struct sspec sg[] = {
		SIN(6, 22, 22, "0.0.0.0/0"),
		SOUT(6, 80, 80, "0.0.0.0/0"),
		SEND
	};
	static const struct step steps[] = {
		{ "SYN in: NACL 100, then the SG", DIR_IN,
		  TCP("198.51.100.7", 40000, "10.0.0.5", 22, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 100, 0, ST(FLOW_NEW) },
		{ "SYN-ACK out: SG reply, NACL *", DIR_OUT,
		  TCP("10.0.0.5", 22, "198.51.100.7", 40000, SA),
		  false, VL_NACL, SGO_FLOW_REPLY, 32767, NONE, ST(FLOW_SYN_RECV) },
		{ "the NACL judges before the SG inbound", DIR_IN,
		  TCP("198.51.100.7", 40000, "10.0.0.5", 23, SYN),
		  false, VL_NACL, SGO_NONE, 32767, NONE, 0 },
		{ "v6 meets the v6 *", DIR_IN,
		  TCP("2001:db8::7", 40000, "fd00::5", 22, SYN),
		  false, VL_NACL, SGO_NONE, 32768, NONE, 0 },
		{ "outbound: the SG judges first, the NACL is not reached", DIR_OUT,
		  TCP("10.0.0.5", 40000, "192.0.2.1", 443, SYN),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
		{ "outbound: the SG tracks, then the NACL drops", DIR_OUT,
		  TCP("10.0.0.5", 40000, "192.0.2.1", 80, SYN),
		  false, VL_NACL, SGO_NEW_TRACKED, 32767, 1, ST(FLOW_NEW) },
	};
	struct policy *pol = tu_policy_of(nacl, sg);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);

	ck_assert_ptr_nonnull(policy_acl(pol));
	RUN(pol, ft, steps);
	/* The SG sits on the ENI: its flow exists though the NACL dropped the SYN. */
	ck_assert_uint_eq(flows(ft), 2);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/* Each rule counts the packets (and bytes) it decided, and `zero` clears them. */
START_TEST(test_rule_hits)
{
	static const struct nspec nacl[] = {
		NIN(100, 'a', 6, 22, 22, "0.0.0.0/0"),
		NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0"),
		NEND
	};
	static const struct sspec sg[] = { SIN(6, 22, 22, "0.0.0.0/0"), SEND };
	static const struct pspec syn = TCP("198.51.100.7", 40000, "10.0.0.5", 22, SYN);
	static const struct pspec ack = TCP("198.51.100.7", 40000, "10.0.0.5", 22, ACK);
	static const struct pspec sa = TCP("10.0.0.5", 22, "198.51.100.7", 40000, SA);
	static const struct pspec telnet = TCP("198.51.100.7", 40001, "10.0.0.5", 23, SYN);
	struct policy *pol = tu_policy_of(nacl, sg);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);
	struct rule_hits h;
	struct verdict v;
	struct pkt p;
	int i;

	build_pkt(&syn, &p);
	policy_judge(pol, ft, &p, DIR_IN, now, &v);
	build_pkt(&sa, &p);
	policy_judge(pol, ft, &p, DIR_OUT, now, &v);
	for (i = 0; i < 3; i++) {
		build_pkt(&ack, &p);
		policy_judge(pol, ft, &p, DIR_IN, now, &v);
	}
	build_pkt(&telnet, &p);
	policy_judge(pol, ft, &p, DIR_IN, now, &v);
	ck_assert(!v.accept);

	/* NACL inbound 100: the SYN and three ACKs; the * rule: the telnet SYN. */
	policy_nacl_hits(pol, DIR_IN, 0, &h);
	ck_assert_uint_eq(h.packets, 4);
	ck_assert_uint_eq(h.bytes, 4 * p.len);
	policy_nacl_hits(pol, DIR_IN, 1, &h);
	ck_assert_uint_eq(h.packets, 1);
	policy_nacl_hits(pol, DIR_OUT, 0, &h);
	ck_assert_uint_eq(h.packets, 1);
	/* The SG rule allowed the SYN by itself; the rest were the flow's. */
	policy_sg_hits(pol, 0, &h);
	ck_assert_uint_eq(h.packets, 1);
	ck_assert_uint_eq(h.bytes, p.len);

	policy_zero_hits(pol);
	policy_nacl_hits(pol, DIR_IN, 0, &h);
	ck_assert_uint_eq(h.packets, 0);
	ck_assert_uint_eq(h.bytes, 0);
	policy_sg_hits(pol, 0, &h);
	ck_assert_uint_eq(h.packets, 0);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/* doc/aws-semantics.md 4.2 #3: a Windows ephemeral range on a server with Linux clients. */
START_TEST(test_ephemeral_server_side)
{
	static const struct nspec wrong[] = {
		NIN(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		NOUT(100, 'a', 6, 49152, 65535, "0.0.0.0/0"),
		NEND
	};
	static const struct nspec fixed[] = {
		NIN(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		NOUT(90, 'a', 6, 1024, 65535, "0.0.0.0/0"),
		NEND
	};
	static const struct sspec sg[] = { SIN(6, 80, 80, "0.0.0.0/0"), SEND };
	static const struct step before[] = {
		{ "Linux client SYN", DIR_IN, TCP("198.51.100.7", 40000, "10.0.0.5", 80, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 100, 0, 0 },
		{ "SYN-ACK to 40000 dropped", DIR_OUT,
		  TCP("10.0.0.5", 80, "198.51.100.7", 40000, SA),
		  false, VL_NACL, SGO_FLOW_REPLY, 32767, NONE, 0 },
		{ "Windows client SYN", DIR_IN, TCP("198.51.100.8", 50000, "10.0.0.5", 80, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 100, 0, 0 },
		{ "SYN-ACK to 50000 passes", DIR_OUT,
		  TCP("10.0.0.5", 80, "198.51.100.8", 50000, SA),
		  true, VL_NACL, SGO_FLOW_REPLY, 100, NONE, 0 },
	};
	static const struct step after[] = {
		{ "retransmitted SYN-ACK to 40000 passes", DIR_OUT,
		  TCP("10.0.0.5", 80, "198.51.100.7", 40000, SA),
		  true, VL_NACL, SGO_FLOW_REPLY, 90, NONE, 0 },
		{ "the handshake completes", DIR_IN,
		  TCP("198.51.100.7", 40000, "10.0.0.5", 80, ACK),
		  true, VL_SG, SGO_FLOW_ORIG, 100, NONE, ST(FLOW_ESTABLISHED) },
	};
	struct policy *p1 = tu_policy_of(wrong, sg), *p2;
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);

	RUN(p1, ft, before);
	p2 = tu_policy_of(fixed, sg);
	ck_assert_uint_gt(policy_serial(p2), policy_serial(p1));
	RUN(p2, ft, after);
	flow_table_free(ft);
	policy_free(p1);
	policy_free(p2);
}
END_TEST

/* doc/aws-semantics.md 4.2 #2: the host's own connections need an inbound ephemeral rule. */
START_TEST(test_ephemeral_client_side)
{
	static const struct nspec wrong[] = { NOUT(100, 'a', 6, 443, 443, "0.0.0.0/0"), NEND };
	static const struct nspec fixed[] = {
		NOUT(100, 'a', 6, 443, 443, "0.0.0.0/0"),
		NIN(100, 'a', 6, 32768, 60999, "0.0.0.0/0"),
		NEND
	};
	static const struct sspec sg[] = { SOUT(-1, -1, -1, "0.0.0.0/0"), SEND };
	static const struct step before[] = {
		{ "SYN out", DIR_OUT, TCP("10.0.0.5", 40000, "192.0.2.10", 443, SYN),
		  true, VL_NACL, SGO_NEW_TRACKED, 100, 0, 0 },
		{ "SYN-ACK in dropped before the SG sees it", DIR_IN,
		  TCP("192.0.2.10", 443, "10.0.0.5", 40000, SA),
		  false, VL_NACL, SGO_NONE, 32767, NONE, 0 },
	};
	static const struct step after[] = {
		{ "SYN-ACK in: NACL, then the SG's flow", DIR_IN,
		  TCP("192.0.2.10", 443, "10.0.0.5", 40000, SA),
		  true, VL_SG, SGO_FLOW_REPLY, 100, NONE, ST(FLOW_SYN_RECV) },
	};
	struct policy *p1 = tu_policy_of(wrong, sg), *p2 = tu_policy_of(fixed, sg);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);

	RUN(p1, ft, before);
	RUN(p2, ft, after);
	flow_table_free(ft);
	policy_free(p1);
	policy_free(p2);
}
END_TEST

/* ---- rule changes -------------------------------------------------------- */

struct tag_find {
	uint64_t tag;
	int found;
};

static int find_tag(const struct flow_view *v, void *ctx)
{
	struct tag_find *t = ctx;

	t->tag = v->tag;
	t->found++;
	return 0;
}

/*
 * A group of n inbound rules: the last allows tcp 22 from anywhere, the
 * others only tcp 30000 from 198.51.100.0/24, so an SSH SYN from
 * 203.0.113.1 is admitted by rule n - 1 alone.
 */
static struct policy *many_rules_policy(size_t n)
{
	struct ruleset *rs = ruleset_new();
	struct sg_entry e = { .proto = 6, .from = 30000, .to = 30000 };
	struct policy *pol;
	size_t i;

	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(ruleset_add_group(rs, "sg-0many", "many"), 0);
	ck_assert_int_eq(cidr_parse("198.51.100.0/24", &e.cidr), 0);
	for (i = 0; i + 1 < n; i++)
		ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
	e.from = e.to = 22;
	ck_assert_int_eq(cidr_parse("0.0.0.0/0", &e.cidr), 0);
	ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
	pol = policy_from_ruleset(rs, false, true);
	ck_assert_ptr_nonnull(pol);
	return pol;
}

/*
 * Flow tags keep the whole rule index and the whole serial: a flow admitted
 * by rule 70000 names it, and 65536 policies later (where a 16-bit serial
 * would wrap around to the same value) the old tag names no rule of a
 * policy with as many rules.
 */
START_TEST(test_flow_tag_whole)
{
	enum { N_RULES = 70000, RELOADS = 65536 };
	static const struct pspec syn = TCP("203.0.113.1", 40000, "10.0.0.5", 22, SYN);
	static const struct sspec one[] = { SIN(6, 22, 22, "0.0.0.0/0"), SEND };
	struct policy *p1 = many_rules_policy(N_RULES), *p2;
	struct flow_table *ft = tu_table_of(16, HASH_KEY);
	struct tag_find t = { 0, 0 };
	const struct sg_entry *rule;
	struct verdict v;
	struct pkt p;
	int i;

	build_pkt(&syn, &p);
	policy_judge(p1, ft, &p, DIR_IN, now, &v);
	ck_assert_int_eq(v.sg_outcome, SGO_NEW_TRACKED);
	ck_assert_ptr_eq(v.sg, &policy_ruleset(p1)->sg[N_RULES - 1]);
	flow_table_foreach(ft, now, find_tag, &t);
	ck_assert_int_eq(t.found, 1);
	rule = policy_flow_rule(p1, t.tag);
	ck_assert_ptr_eq(rule, &policy_ruleset(p1)->sg[N_RULES - 1]);
	ck_assert_uint_eq(policy_flow_tag_rule(t.tag), N_RULES - 1);

	for (i = 0; i < RELOADS - 1; i++)
		policy_free(tu_policy_of(NULL, one));
	p2 = many_rules_policy(N_RULES);
	ck_assert_uint_eq(policy_serial(p2) - policy_serial(p1), RELOADS);
	ck_assert_ptr_null(policy_flow_rule(p2, t.tag));
	/* Its own tags name its rules. */
	ck_assert_ptr_eq(policy_flow_rule(p2, policy_flow_tag(p2, N_RULES - 1)),
			 &policy_ruleset(p2)->sg[N_RULES - 1]);
	flow_table_free(ft);
	policy_free(p1);
	policy_free(p2);
}
END_TEST

/* doc/aws-semantics.md 3.5: a tracked flow outlives its rule; a NACL deny cuts it at once. */
START_TEST(test_rule_removal_tracked)
{
	static const struct nspec open_nacl[] = {
		NIN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		NOUT(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		NEND
	};
	static const struct nspec deny_nacl[] = {
		NIN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		NIN(50, 'd', -1, 0, 0, "203.0.113.1/32"),
		NOUT(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		NEND
	};
	static const struct sspec with_ssh[] = {
		SIN(6, 443, 443, "0.0.0.0/0"),
		SIN(6, 22, 22, "203.0.113.1/32"),
		SEND
	};
	static const struct sspec without_ssh[] = { SIN(6, 443, 443, "0.0.0.0/0"), SEND };
	static const struct step open[] = {
		{ "SYN in", DIR_IN, TCP("203.0.113.1", 40000, "10.0.0.5", 22, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 100, 1, 0 },
		{ "SYN-ACK out", DIR_OUT, TCP("10.0.0.5", 22, "203.0.113.1", 40000, SA),
		  true, VL_NACL, SGO_FLOW_REPLY, 100, NONE, 0 },
		{ "ACK in", DIR_IN, TCP("203.0.113.1", 40000, "10.0.0.5", 22, ACK),
		  true, VL_SG, SGO_FLOW_ORIG, 100, NONE, ST(FLOW_ESTABLISHED) },
	};
	static const struct step removed[] = {
		{ "the open session goes on", DIR_IN,
		  TCP("203.0.113.1", 40000, "10.0.0.5", 22, PA),
		  true, VL_SG, SGO_FLOW_ORIG, 100, NONE, ST(FLOW_ESTABLISHED) },
		{ "and its replies", DIR_OUT, TCP("10.0.0.5", 22, "203.0.113.1", 40000, PA),
		  true, VL_NACL, SGO_FLOW_REPLY, 100, NONE, 0 },
		{ "a new session is refused", DIR_IN,
		  TCP("203.0.113.1", 40001, "10.0.0.5", 22, SYN),
		  false, VL_SG, SGO_NO_RULE, 100, NONE, 0 },
	};
	static const struct step denied[] = {
		{ "a NACL deny cuts it at once", DIR_IN,
		  TCP("203.0.113.1", 40000, "10.0.0.5", 22, PA),
		  false, VL_NACL, SGO_NONE, 50, NONE, 0 },
	};
	static const struct step expired[] = {
		{ "until it times out", DIR_IN, TCP("203.0.113.1", 40000, "10.0.0.5", 22, PA),
		  false, VL_SG, SGO_NO_RULE, 100, NONE, 0 },
	};
	struct policy *p1 = tu_policy_of(open_nacl, with_ssh);
	struct policy *p2 = tu_policy_of(open_nacl, without_ssh);
	struct policy *p3 = tu_policy_of(deny_nacl, without_ssh);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);
	struct tag_find t = { 0, 0 };

	RUN(p1, ft, open);
	/* The flow remembers the rule that admitted it: rule 1 of p1's rules. */
	flow_table_foreach(ft, now, find_tag, &t);
	ck_assert_int_eq(t.found, 1);
	ck_assert_ptr_eq(policy_flow_rule(p1, t.tag), &policy_ruleset(p1)->sg[1]);
	/* Under other rules it no longer names a rule of theirs. */
	ck_assert_ptr_null(policy_flow_rule(p2, t.tag));
	policy_free(p1);	/* the flow table outlives the policy */
	RUN(p2, ft, removed);
	RUN(p3, ft, denied);
	now += 432000ull * 1000 + 1000;
	RUN(p2, ft, expired);
	flow_table_free(ft);
	policy_free(p2);
	policy_free(p3);
}
END_TEST

/* doc/aws-semantics.md 3.5: an untracked flow is cut the moment its rule goes. */
START_TEST(test_rule_removal_untracked)
{
	static const struct sspec open[] = {
		SIN(6, 80, 80, "0.0.0.0/0"),
		SOUT(-1, -1, -1, "0.0.0.0/0"),
		SEND
	};
	static const struct sspec closed[] = { SOUT(-1, -1, -1, "0.0.0.0/0"), SEND };
	static const struct step before[] = {
		{ "SYN in", DIR_IN, TCP("198.51.100.7", 40000, "10.0.0.5", 80, SYN),
		  true, VL_SG, SGO_UNTRACKED, 0, 0, 0 },
		{ "SYN-ACK out", DIR_OUT, TCP("10.0.0.5", 80, "198.51.100.7", 40000, SA),
		  true, VL_SG, SGO_UNTRACKED, 0, 1, 0 },
		{ "ACK in", DIR_IN, TCP("198.51.100.7", 40000, "10.0.0.5", 80, ACK),
		  true, VL_SG, SGO_UNTRACKED, 0, 0, 0 },
		{ "data out", DIR_OUT, TCP("10.0.0.5", 80, "198.51.100.7", 40000, PA),
		  true, VL_SG, SGO_UNTRACKED, 0, 1, 0 },
	};
	static const struct step after[] = {
		{ "the client's next segment is dropped", DIR_IN,
		  TCP("198.51.100.7", 40000, "10.0.0.5", 80, PA),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
	};
	struct policy *p1 = tu_policy_of(NULL, open), *p2 = tu_policy_of(NULL, closed);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);

	RUN(p1, ft, before);
	ck_assert_uint_eq(flows(ft), 0);	/* untracked: no allowance used */
	RUN(p2, ft, after);
	flow_table_free(ft);
	policy_free(p1);
	policy_free(p2);
}
END_TEST

static int collect_one(const struct flow_view *v, void *ctx)
{
	struct flow_view *out = ctx;

	*out = *v;
	return 0;
}

/* The only flow of ft (its count of listed flows must be 1). */
static struct flow_view listed_flow(struct flow_table *ft)
{
	struct flow_stats s;
	struct flow_view v;

	memset(&v, 0, sizeof(v));
	flow_table_stats(ft, &s);
	ck_assert_uint_eq(s.count + s.untracked, 1);
	ck_assert_int_eq(flow_table_foreach(ft, now, collect_one, &v), 0);
	return v;
}

/*
 * An untracked flow is listed as such, with the rule that opened it, and
 * still decides nothing: removing the rule cuts it at once. When the rules
 * make it tracked, its next packet turns the entry into a tracked flow.
 */
START_TEST(test_untracked_listed)
{
	static const struct sspec open[] = {
		SIN(6, 80, 80, "0.0.0.0/0"),
		SOUT(-1, -1, -1, "0.0.0.0/0"),
		SEND
	};
	static const struct sspec closed[] = { SOUT(-1, -1, -1, "0.0.0.0/0"), SEND };
	static const struct sspec tracked[] = { SIN(6, 80, 80, "0.0.0.0/0"), SEND };
	static const struct step before[] = {
		{ "SYN in", DIR_IN, TCP("198.51.100.7", 40000, "10.0.0.5", 80, SYN),
		  true, VL_SG, SGO_UNTRACKED, 0, 0, 0 },
		{ "SYN-ACK out", DIR_OUT, TCP("10.0.0.5", 80, "198.51.100.7", 40000, SA),
		  true, VL_SG, SGO_UNTRACKED, 0, 1, 0 },
		{ "ACK in", DIR_IN, TCP("198.51.100.7", 40000, "10.0.0.5", 80, ACK),
		  true, VL_SG, SGO_UNTRACKED, 0, 0, 0 },
	};
	static const struct step cut[] = {
		{ "the rule is gone: dropped", DIR_IN,
		  TCP("198.51.100.7", 40000, "10.0.0.5", 80, PA),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
	};
	static const struct step now_tracked[] = {
		{ "tracked now: picked up mid-stream", DIR_IN,
		  TCP("198.51.100.7", 40000, "10.0.0.5", 80, PA),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 0, ST(FLOW_ESTABLISHED) },
		{ "its reply passes with no outbound rule", DIR_OUT,
		  TCP("10.0.0.5", 80, "198.51.100.7", 40000, PA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_ESTABLISHED) },
	};
	struct policy *p1 = tu_policy_of(NULL, open), *p2 = tu_policy_of(NULL, closed);
	struct policy *p3 = tu_policy_of(NULL, tracked);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);
	struct flow_stats s;
	struct flow_view v;
	struct verdict vd;
	struct pkt p;

	RUN(p1, ft, before);
	v = listed_flow(ft);
	ck_assert(v.untracked);
	ck_assert_ptr_eq(policy_flow_rule(p1, v.tag), &policy_ruleset(p1)->sg[0]);
	ck_assert_int_eq(v.state, FLOW_ESTABLISHED);
	ck_assert_int_eq(v.init_dir, DIR_IN);
	ck_assert_uint_eq(v.init_dport, 80);
	ck_assert_uint_eq(v.packets[0], 2);
	ck_assert_uint_eq(v.packets[1], 1);
	flow_table_stats(ft, &s);
	ck_assert_uint_eq(s.count, 0);		/* no allowance used */
	ck_assert_uint_eq(s.inserts, 0);

	RUN(p2, ft, cut);
	v = listed_flow(ft);
	ck_assert(v.untracked);
	ck_assert_uint_eq(v.packets[0], 2);	/* a drop is not the flow's */

	RUN(p3, ft, now_tracked);
	v = listed_flow(ft);
	ck_assert(!v.untracked);
	ck_assert_ptr_eq(policy_flow_rule(p3, v.tag), &policy_ruleset(p3)->sg[0]);
	ck_assert_uint_eq(v.packets[0], 1);
	ck_assert_uint_eq(v.packets[1], 1);
	flow_table_stats(ft, &s);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_uint_eq(s.untracked, 0);

	/* Without a flow table the untracked packet just passes. */
	build_pkt(&before[0].pkt, &p);
	policy_judge(p1, NULL, &p, DIR_IN, now++, &vd);
	ck_assert(vd.accept && vd.sg_outcome == SGO_UNTRACKED);
	flow_table_free(ft);
	policy_free(p1);
	policy_free(p2);
	policy_free(p3);
}
END_TEST

/* ---- what always passes, what cannot be tracked, a full table ------------ */

START_TEST(test_infrastructure)
{
	static const struct nspec nacl[] = { NEND };
	static const struct sspec sg[] = { SEND };
	static const struct step steps[] = {
		{ "neighbour solicitation in", DIR_IN,
		  ICMP("fe80::1", "ff02::1:ff00:5", 135, 0),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "neighbour advertisement out", DIR_OUT, ICMP("fe80::5", "fe80::1", 136, 0),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "router solicitation out", DIR_OUT, ICMP("fe80::5", "ff02::2", 133, 0),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "router advertisement in", DIR_IN, ICMP("fe80::1", "ff02::1", 134, 0),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "redirect in", DIR_IN, ICMP("fe80::1", "fe80::5", 137, 0),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "DHCP discover out", DIR_OUT, UDP("0.0.0.0", 68, "255.255.255.255", 67),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "DHCP offer in", DIR_IN, UDP("10.0.0.1", 67, "10.0.0.5", 68),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "DHCPv6 solicit out", DIR_OUT, UDP("fe80::5", 546, "ff02::1:2", 547),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "DHCPv6 advertise in", DIR_IN, UDP("fe80::1", 547, "fe80::5", 546),
		  true, VL_INFRA, SGO_NONE, 0, NONE, 0 },
		{ "ping6 is not infrastructure", DIR_IN, ICMP("fe80::1", "fe80::5", 128, 0),
		  false, VL_NACL, SGO_NONE, 32768, NONE, 0 },
		{ "port 68 to elsewhere is not DHCP", DIR_OUT,
		  UDP("10.0.0.5", 68, "192.0.2.1", 53),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
	};
	struct policy *pol = tu_policy_of(nacl, sg);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);

	RUN(pol, ft, steps);
	ck_assert_uint_eq(flows(ft), 0);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/*
 * What AWS never filters (exempt.c), under a deny-all NACL and an SG with
 * no rules: each kind passes, unjudged, with its kind in the verdict; with
 * --judge-aws-services only DHCP and neighbour discovery still do.
 */
static const struct {
	const char *what;
	enum dir d;
	struct pspec pkt;
	enum exempt_kind kind;
} exempt_cases[] = {
	{ "metadata", DIR_OUT, TCP("10.0.1.10", 40000, "169.254.169.254", 80, SYN), EXEMPT_LINK_LOCAL },
	{ "metadata reply", DIR_IN, TCP("169.254.169.254", 80, "10.0.1.10", 40000, SA), EXEMPT_LINK_LOCAL },
	{ "Amazon DNS", DIR_OUT, UDP("10.0.1.10", 5353, "169.254.169.253", 53), EXEMPT_LINK_LOCAL },
	{ "time", DIR_OUT, UDP("10.0.1.10", 123, "169.254.169.123", 123), EXEMPT_LINK_LOCAL },
	{ "ECS agent", DIR_OUT, TCP("10.0.1.10", 40001, "169.254.170.2", 80, SYN), EXEMPT_LINK_LOCAL },
	{ "link-local ping in", DIR_IN, ICMP("169.254.1.1", "10.0.1.10", 8, 0), EXEMPT_LINK_LOCAL },
	{ "subnet base", DIR_OUT, ICMP("10.0.1.10", "10.0.1.0", 8, 0), EXEMPT_RESERVED },
	{ "subnet router", DIR_IN, ICMP("10.0.1.1", "10.0.1.10", 8, 0), EXEMPT_RESERVED },
	{ "subnet +2", DIR_OUT, UDP("10.0.1.10", 5353, "10.0.1.2", 53), EXEMPT_RESERVED },
	{ "subnet +3", DIR_OUT, TCP("10.0.1.10", 40002, "10.0.1.3", 22, SYN), EXEMPT_RESERVED },
	{ "VPC resolver", DIR_OUT, UDP("10.0.1.10", 5353, "10.0.0.2", 53), EXEMPT_RESERVED },
	{ "VPC resolver reply", DIR_IN, UDP("10.0.0.2", 53, "10.0.1.10", 5353), EXEMPT_RESERVED },
	{ "IPv6 metadata", DIR_OUT, TCP("2001:db8::10", 40000, "fd00:ec2::254", 80, SYN), EXEMPT_AWS_IPV6 },
	{ "IPv6 DNS", DIR_OUT, UDP("2001:db8::10", 5353, "fd00:ec2::253", 53), EXEMPT_AWS_IPV6 },
	{ "IPv6 time", DIR_IN, UDP("fd00:ec2::123", 123, "2001:db8::10", 123), EXEMPT_AWS_IPV6 },
	{ "DHCP", DIR_OUT, UDP("0.0.0.0", 68, "255.255.255.255", 67), EXEMPT_DHCP },
	{ "DHCPv6", DIR_IN, UDP("fe80::1", 547, "fe80::5", 546), EXEMPT_DHCP },
	{ "ND", DIR_IN, ICMP("fe80::1", "ff02::1", 134, 0), EXEMPT_ND },
	/* Near misses: judged. */
	{ "subnet +4", DIR_OUT, UDP("10.0.1.10", 5353, "10.0.1.4", 53), EXEMPT_NONE },
	{ "VPC +3 (not a --subnet)", DIR_OUT, UDP("10.0.1.10", 5353, "10.0.0.3", 53), EXEMPT_NONE },
	{ "169.255.0.1", DIR_OUT, UDP("10.0.1.10", 5353, "169.255.0.1", 53), EXEMPT_NONE },
	{ "fd00:ec2::252", DIR_OUT, UDP("2001:db8::10", 5353, "fd00:ec2::252", 53), EXEMPT_NONE },
	{ "IPv6 fe80:: ping", DIR_IN, ICMP("fe80::1", "fe80::5", 128, 0), EXEMPT_NONE },
};

static struct policy *exempt_policy(bool judge)
{
	static const struct nspec nacl[] = { NEND };
	static const struct sspec sg[] = { SEND };
	struct policy *pol = tu_policy_of(nacl, sg);
	struct policy_opts o = { .judge_aws_services = judge };

	ck_assert_int_eq(policy_opts_add_subnet(&o, "10.0.1.0/24"), 0);
	ck_assert_int_eq(policy_opts_set_vpc(&o, "10.0.0.0/16"), 0);
	policy_set_opts(pol, &o);
	return pol;
}

START_TEST(test_exempt_kinds)
{
	struct policy *pol = exempt_policy(_i >= (int)ARRAY_SIZE(exempt_cases));
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	size_t i = (size_t)_i % ARRAY_SIZE(exempt_cases);
	bool judge = _i >= (int)ARRAY_SIZE(exempt_cases);
	enum exempt_kind want = exempt_cases[i].kind;
	struct verdict v;
	struct pkt p;

	/* --judge-aws-services: only what a host needs on any link stays exempt. */
	if (judge && want != EXEMPT_DHCP && want != EXEMPT_ND)
		want = EXEMPT_NONE;
	build_pkt(&exempt_cases[i].pkt, &p);
	policy_judge(pol, ft, &p, exempt_cases[i].d, now++, &v);
	ck_assert_msg(v.exempt == want, "%s%s: exempt %s, want %s", exempt_cases[i].what,
		      judge ? " (judged)" : "", exempt_kind_name(v.exempt),
		      exempt_kind_name(want));
	if (want != EXEMPT_NONE) {
		ck_assert(v.accept && v.layer == VL_INFRA && !v.nacl && v.sg_outcome == SGO_NONE);
	} else {
		/*
		 * The deny-all NACL or the rule-less SG drops it, whichever
		 * comes first (the subnet's router is inside the subnet: no NACL).
		 */
		ck_assert(!v.accept);
		ck_assert_int_eq(v.layer, exempt_cases[i].d == DIR_IN && !v.same_subnet ?
				 VL_NACL : VL_SG);
	}
	ck_assert_uint_eq(flows(ft), 0);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/*
 * --subnet: the NACL guards the subnet's edge only. A neighbour inside it
 * passes a NACL that drops an outside peer on the same port; the SG judges
 * both; without --subnet the NACL judges the neighbour too.
 */
START_TEST(test_same_subnet)
{
	static const struct nspec nacl[] = {
		NIN(100, 'd', 6, 22, 22, "0.0.0.0/0"),
		NIN(110, 'a', -1, 0, 0, "0.0.0.0/0"),
		NOUT(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		NEND
	};
	static const struct sspec sg[] = { SIN(6, 22, 22, "10.0.1.0/24"), SEND };
	static const struct step inside[] = {
		{ "neighbour's SYN: NACL not consulted, SG allows", DIR_IN,
		  TCP("10.0.1.20", 40000, "10.0.1.10", 22, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 0, 0 },
		{ "its reply: tracked, NACL not consulted", DIR_OUT,
		  TCP("10.0.1.10", 22, "10.0.1.20", 40000, SA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, 0 },
		{ "outside peer: the NACL drops it", DIR_IN,
		  TCP("10.0.2.20", 40000, "10.0.1.10", 22, SYN),
		  false, VL_NACL, SGO_NONE, 100, NONE, 0 },
		{ "neighbour on a port the SG does not allow: SG drops", DIR_IN,
		  TCP("10.0.1.20", 40001, "10.0.1.10", 23, SYN),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
		{ "outside peer the NACL allows: SG still drops", DIR_IN,
		  TCP("10.0.2.20", 40001, "10.0.1.10", 23, SYN),
		  false, VL_SG, SGO_NO_RULE, 110, NONE, 0 },
	};
	static const struct step alone[] = {
		{ "no --subnet: the NACL drops the neighbour", DIR_IN,
		  TCP("10.0.1.20", 40002, "10.0.1.10", 22, SYN),
		  false, VL_NACL, SGO_NONE, 100, NONE, 0 },
	};
	struct policy *pol = tu_policy_of(nacl, sg);
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	struct policy_opts o = { 0 };
	struct verdict v;
	struct pkt p;

	ck_assert_int_eq(policy_opts_add_subnet(&o, "10.0.1.0/24"), 0);
	policy_set_opts(pol, &o);
	RUN(pol, ft, inside);
	build_pkt(&inside[0].pkt, &p);
	policy_judge(pol, ft, &p, DIR_IN, now++, &v);
	ck_assert(v.same_subnet);
	build_pkt(&inside[2].pkt, &p);
	policy_judge(pol, ft, &p, DIR_IN, now++, &v);
	ck_assert(!v.same_subnet);
	memset(&o, 0, sizeof(o));
	policy_set_opts(pol, &o);
	RUN(pol, ft, alone);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

START_TEST(test_opts_parse)
{
	struct policy_opts o = { 0 };
	int i;

	ck_assert_int_eq(policy_opts_add_subnet(&o, "10.0.1.7/24"), 0);
	ck_assert_uint_eq(o.subnets[0].addr[3], 0);	/* host bits cleared, as AWS */
	ck_assert_int_eq(policy_opts_add_subnet(&o, "2001:db8:1::/64"), 0);
	ck_assert_int_eq(policy_opts_add_subnet(&o, "10.0.1.7"), -1);
	ck_assert_int_eq(errno, EINVAL);
	for (i = 2; i < POLICY_SUBNETS_MAX; i++)
		ck_assert_int_eq(policy_opts_add_subnet(&o, "10.9.0.0/16"), 0);
	ck_assert_int_eq(policy_opts_add_subnet(&o, "10.9.0.0/16"), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(policy_opts_set_vpc(&o, "2001:db8::/56"), -1);
	ck_assert_int_eq(policy_opts_set_vpc(&o, "10.0.0.0/29"), -1);
	ck_assert(!o.have_vpc);
	ck_assert_int_eq(policy_opts_set_vpc(&o, "10.0.0.0/16"), 0);
	ck_assert(o.have_vpc);
	for (i = 0; i < EXEMPT_MAX; i++)
		ck_assert_str_ne(exempt_kind_name((enum exempt_kind)i), "?");
}
END_TEST

/* Packets a rule allows but the table cannot track pass alone (3.7: errors need a rule). */
START_TEST(test_untrackable)
{
	static const struct sspec sg[] = {
		SIN(6, 22, 22, "203.0.113.0/24"),
		SIN(1, 3, 4, "192.0.2.0/24"),
		SEND
	};
	static const struct step steps[] = {
		{ "a lone RST allowed by the rule", DIR_IN,
		  TCP("203.0.113.1", 40000, "10.0.0.5", 22, RST),
		  true, VL_SG, SGO_UNTRACKED, 0, 0, 0 },
		{ "an ICMP 3/4 error allowed by its rule", DIR_IN,
		  ICMPERR("192.0.2.1", "10.0.0.5", 3, 4),
		  true, VL_SG, SGO_UNTRACKED, 0, 1, 0 },
		{ "an ICMP 11/0 error needs a rule", DIR_IN,
		  ICMPERR("192.0.2.1", "10.0.0.5", 11, 0),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
	};
	struct policy *pol = tu_policy_of(NULL, sg);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);

	RUN(pol, ft, steps);
	ck_assert_uint_eq(flows(ft), 0);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/*
 * A RST with a wrong sequence number is not the flow's packet (vpcfw(8)):
 * the rules judge it alone, and the flow stays established. The handshake
 * of pb_tcp leaves both sides at sequence number 2.
 */
START_TEST(test_tcp_blind_rst)
{
	static const struct sspec sg[] = { SIN(6, 22, 22, "203.0.113.0/24"), SEND };
	static const struct step steps[] = {
		{ "SYN in", DIR_IN, TCP("203.0.113.1", 40000, "10.0.0.5", 22, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 0, ST(FLOW_NEW) },
		{ "SYN-ACK out", DIR_OUT, TCP("10.0.0.5", 22, "203.0.113.1", 40000, SA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_SYN_RECV) },
		{ "ACK in", DIR_IN, TCP("203.0.113.1", 40000, "10.0.0.5", 22, ACK),
		  true, VL_SG, SGO_FLOW_ORIG, 0, NONE, ST(FLOW_ESTABLISHED) },
		{ "a wrong RST out: no outbound rule, dropped", DIR_OUT,
		  TCPSEQ("10.0.0.5", 22, "203.0.113.1", 40000, RST, 100000),
		  false, VL_SG, SGO_NO_RULE, 0, NONE, 0 },
		{ "a wrong RST in: the inbound rule lets it pass alone", DIR_IN,
		  TCPSEQ("203.0.113.1", 40000, "10.0.0.5", 22, RST, 100000),
		  true, VL_SG, SGO_UNTRACKED, 0, 0, 0 },
		{ "the flow still carries the server's data", DIR_OUT,
		  TCP("10.0.0.5", 22, "203.0.113.1", 40000, PA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_ESTABLISHED) },
		{ "the exact RST out closes it", DIR_OUT,
		  TCPSEQ("10.0.0.5", 22, "203.0.113.1", 40000, RST, 2),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, ST(FLOW_CLOSED) },
	};
	struct policy *pol = tu_policy_of(NULL, sg);
	struct flow_table *ft = tu_table_of(1024, HASH_KEY);
	struct flow_stats fs;

	RUN(pol, ft, steps);
	flow_table_stats(ft, &fs);
	ck_assert_uint_eq(fs.tcp_out_of_window, 2);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/* doc/aws-semantics.md 3.8: at the cap new tracked flows are dropped; untracked ones are not. */
START_TEST(test_table_full)
{
	static const struct sspec sg[] = {
		SIN(6, 22, 22, "198.51.100.0/24"),
		SIN(17, 53, 53, "0.0.0.0/0"),
		SOUT(-1, -1, -1, "0.0.0.0/0"),
		SEND
	};
	static const struct step fill[] = {
		{ "SYN 1", DIR_IN, TCP("198.51.100.1", 40000, "10.0.0.5", 22, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 0, 0 },
		{ "SYN-ACK 1", DIR_OUT, TCP("10.0.0.5", 22, "198.51.100.1", 40000, SA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, 0 },
		{ "ACK 1", DIR_IN, TCP("198.51.100.1", 40000, "10.0.0.5", 22, ACK),
		  true, VL_SG, SGO_FLOW_ORIG, 0, NONE, ST(FLOW_ESTABLISHED) },
		{ "SYN 2", DIR_IN, TCP("198.51.100.2", 40000, "10.0.0.5", 22, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 0, 0, 0 },
		{ "SYN-ACK 2", DIR_OUT, TCP("10.0.0.5", 22, "198.51.100.2", 40000, SA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, 0 },
		{ "ACK 2", DIR_IN, TCP("198.51.100.2", 40000, "10.0.0.5", 22, ACK),
		  true, VL_SG, SGO_FLOW_ORIG, 0, NONE, ST(FLOW_ESTABLISHED) },
	};
	static const struct step full[] = {
		{ "a third SSH connection", DIR_IN,
		  TCP("198.51.100.3", 40000, "10.0.0.5", 22, SYN),
		  false, VL_SG, SGO_TABLE_FULL, 0, 0, 0 },
		{ "a connection out", DIR_OUT, TCP("10.0.0.5", 40001, "192.0.2.1", 443, SYN),
		  false, VL_SG, SGO_TABLE_FULL, 0, 2, 0 },
		{ "open flows go on", DIR_OUT, TCP("10.0.0.5", 22, "198.51.100.1", 40000, PA),
		  true, VL_SG, SGO_FLOW_REPLY, 0, NONE, 0 },
		{ "untracked DNS needs no entry", DIR_IN, UDP("192.0.2.1", 5353, "10.0.0.5", 53),
		  true, VL_SG, SGO_UNTRACKED, 0, 1, 0 },
	};
	struct policy *pol = tu_policy_of(NULL, sg);
	struct flow_table *ft = tu_table_of(2, HASH_KEY);
	struct flow_stats s;

	RUN(pol, ft, fill);
	RUN(pol, ft, full);
	flow_table_stats(ft, &s);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_uint_eq(s.conntrack_allowance_exceeded, 2);
	/* The untracked DNS query found no room to be listed, and took none. */
	ck_assert_uint_eq(s.untracked, 0);
	ck_assert_uint_eq(s.untracked_skipped, 1);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/* ---- construction -------------------------------------------------------- */

START_TEST(test_from_ruleset_errors)
{
	static const struct nspec dup[] = {
		NIN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		NIN(100, 'd', -1, 0, 0, "::/0"),
		NEND
	};
	struct ruleset *rs = ruleset_new();

	/* A NACL layer needs a NACL; the ruleset is freed (ASan checks). */
	errno = 0;
	ck_assert_ptr_null(policy_from_ruleset(rs, true, false));
	ck_assert_int_eq(errno, EINVAL);

	rs = ruleset_new();
	tu_add_nacl(rs, dup);
	errno = 0;
	ck_assert_ptr_null(policy_from_ruleset(rs, true, true));
	ck_assert_int_eq(errno, EINVAL);

	errno = 0;
	ck_assert_ptr_null(policy_from_ruleset(NULL, false, true));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(verdict_layer_name(VL_NONE), "none");
	ck_assert_str_eq(verdict_layer_name(VL_INFRA), "infra");
	ck_assert_str_eq(verdict_layer_name(VL_NACL), "nacl");
	ck_assert_str_eq(verdict_layer_name(VL_SG), "sg");
	ck_assert_str_eq(sg_outcome_name(SGO_NONE), "none");
	ck_assert_str_eq(sg_outcome_name(SGO_FLOW_ORIG), "flow-orig");
	ck_assert_str_eq(sg_outcome_name(SGO_FLOW_REPLY), "flow-reply");
	ck_assert_str_eq(sg_outcome_name(SGO_NEW_TRACKED), "new-tracked");
	ck_assert_str_eq(sg_outcome_name(SGO_UNTRACKED), "untracked");
	ck_assert_str_eq(sg_outcome_name(SGO_NO_RULE), "no-rule");
	ck_assert_str_eq(sg_outcome_name(SGO_TABLE_FULL), "table-full");
	ck_assert_str_eq(sg_outcome_name((enum sg_outcome)99), "?");
}
END_TEST

/* ---- policy_load on files ------------------------------------------------ */

struct loaded {
	struct policy *pol;
	size_t errors;
	char *text;		/* what diag_print would show */
};

static void load(struct loaded *l, const char *const *nacl, size_t n_nacl,
		 const char *const *sg, size_t n_sg)
{
	struct policy_src src = { nacl, n_nacl, sg, n_sg, NULL, false, false, NULL };
	struct diag *d = diag_new();

	ck_assert_ptr_nonnull(d);
	l->pol = policy_load(&src, d);
	l->errors = diag_errors(d);
	l->text = tu_diag_text(d);
	diag_free(d);
}

static void unload(struct loaded *l)
{
	policy_free(l->pol);
	free(l->text);
}

START_TEST(test_load_both)
{
	static const char *const nacl[] = { FIXTURE("nacl-web.json") };
	static const char *const sg[] = { FIXTURE("sg-ssh.json"), FIXTURE("sg-https.json") };
	static const struct step steps[] = {
		{ "SSH in", DIR_IN, TCP("192.0.2.7", 40000, "10.0.0.5", 22, SYN),
		  true, VL_SG, SGO_NEW_TRACKED, 100, 0, 0 },
		{ "SYN-ACK out through the ephemeral rule", DIR_OUT,
		  TCP("10.0.0.5", 22, "192.0.2.7", 40000, SA),
		  true, VL_NACL, SGO_FLOW_REPLY, 100, NONE, 0 },
		{ "rule 90 denies before rule 100", DIR_IN,
		  TCP("198.51.100.7", 40000, "10.0.0.5", 22, SYN),
		  false, VL_NACL, SGO_NONE, 90, NONE, 0 },
		{ "the second group's rule, but the NACL has no IPv6 rule", DIR_IN,
		  TCP("2001:db8::7", 40000, "fd00::5", 443, SYN),
		  false, VL_NACL, SGO_NONE, 32768, NONE, 0 },
	};
	struct loaded l;
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	const struct ruleset *rs;

	load(&l, nacl, 1, sg, 2);
	ck_assert_msg(l.pol != NULL, "load failed: %s", l.text);
	ck_assert_uint_eq(l.errors, 0);
	rs = policy_ruleset(l.pol);
	ck_assert_ptr_nonnull(policy_acl(l.pol));
	ck_assert_ptr_nonnull(policy_sg(l.pol));
	/* The '*' entries of the file are the compiler's own, not copies. */
	ck_assert_uint_eq(acl_count(policy_acl(l.pol), DIR_IN), 4);
	ck_assert_uint_eq(acl_count(policy_acl(l.pol), DIR_OUT), 3);
	ck_assert_uint_eq(rs->n_sg, 2);
	ck_assert_ptr_nonnull(rs->sg[0].origin.file);
	ck_assert(strstr(rs->sg[0].origin.file, "sg-ssh.json") != NULL);
	RUN(l.pol, ft, steps);
	flow_table_free(ft);
	unload(&l);
}
END_TEST

START_TEST(test_load_sg_only)
{
	static const char *const sg[] = { FIXTURE("sg-ssh.json") };
	struct loaded l;

	load(&l, NULL, 0, sg, 1);
	ck_assert_msg(l.pol != NULL, "load failed: %s", l.text);
	ck_assert_ptr_null(policy_acl(l.pol));
	ck_assert_ptr_nonnull(policy_sg(l.pol));
	ck_assert_uint_eq(sg_count(policy_sg(l.pol), DIR_IN), 1);
	ck_assert_uint_eq(sg_count(policy_sg(l.pol), DIR_OUT), 0);
	unload(&l);
}
END_TEST

START_TEST(test_load_no_files)
{
	struct loaded l;

	load(&l, NULL, 0, NULL, 0);
	ck_assert_ptr_null(l.pol);
	ck_assert_uint_eq(l.errors, 1);
	ck_assert_msg(strstr(l.text, "no rules: give --nacl and/or --sg") != NULL,
		      "%s", l.text);
	unload(&l);
}
END_TEST

/* Every file is read and every problem reported before failing. */
START_TEST(test_load_errors_collected)
{
	static const char *const nacl[] = { FIXTURE("native.rules") };
	static const char *const sg[] = {
		FIXTURE("no-such-file.json"),
		FIXTURE("sg-bad-proto.json"),
		FIXTURE("sg-ssh.json"),
	};
	struct loaded l;

	load(&l, nacl, 1, sg, 3);
	ck_assert_ptr_null(l.pol);
	ck_assert_msg(l.errors >= 3, "%zu errors: %s", l.errors, l.text);
	/* Native files go to the rule-language parser, with its location. */
	ck_assert_msg(strstr(l.text, "native.rules:2:6: error: expected a network ACL id after nacl"),
		      "%s", l.text);
	ck_assert_msg(strstr(l.text, "no-such-file.json"), "%s", l.text);
	ck_assert_msg(strstr(l.text, "sg-bad-proto.json"), "%s", l.text);
	ck_assert_msg(!strstr(l.text, "sg-ssh.json"), "%s", l.text);
	unload(&l);
}
END_TEST

/* One number twice in one direction (across families): refused, named. */
START_TEST(test_load_duplicate_number)
{
	static const char *const nacl[] = { FIXTURE("nacl-dup.json") };
	static const char *const sg[] = { FIXTURE("sg-ssh.json") };
	struct loaded l;

	load(&l, nacl, 1, sg, 1);
	ck_assert_ptr_null(l.pol);
	ck_assert_uint_ge(l.errors, 1);
	ck_assert_msg(strstr(l.text, "nacl-dup.json") && strstr(l.text, "120"),
		      "%s", l.text);
	unload(&l);
}
END_TEST

/* A NACL file with the wrong content kind names the file. */
START_TEST(test_load_wrong_kind)
{
	static const char *const nacl[] = { FIXTURE("sg-ssh.json") };
	struct loaded l;

	load(&l, nacl, 1, NULL, 0);
	ck_assert_ptr_null(l.pol);
	ck_assert_uint_ge(l.errors, 1);
	ck_assert_msg(strstr(l.text, "sg-ssh.json"), "%s", l.text);
	unload(&l);
}
END_TEST

/*
 * `check` (policy_check) and `run`/`reload` (policy_load) agree on every
 * file: check accepts a file exactly when run accepts it with some flags
 * (--nacl, --sg or both). Each content is written to a file and put
 * through both; `ok` is what both must say.
 */
static const struct agree_case {
	const char *name, *text;
	bool ok;
} agree_cases[] = {
	{ "empty", "", false },
	{ "blank", " \n\t\n", false },
	{ "comments", "# nothing but a comment\n\n", false },
	{ "bom only", "\xef\xbb\xbf", false },
	{ "empty object", "{}", false },
	{ "unknown key", "{\"Vpcs\": []}", false },
	{ "json array", "[]", false },
	{ "json broken", "{\"SecurityGroups\": [", false },
	{ "no nacl in NetworkAcls", "{\"NetworkAcls\": []}", false },
	{ "no group in SecurityGroups", "{\"SecurityGroups\": []}", true },
	{ "lists only", "list office = 10.0.0.0/8\n", false },
	{ "nacl section", "nacl acl-1\ninbound\n 100 allow all 0.0.0.0/0\n", true },
	{ "empty nacl section", "nacl acl-1\n", true },
	{ "sg section", "sg sg-1 \"web\"\ninbound\n http 0.0.0.0/0\n", true },
	{ "both sections", "nacl acl-1\nsg sg-1 \"web\"\n", true },
	{ "duplicate number", "nacl acl-1\ninbound\n 100 allow all 0.0.0.0/0\n 100 deny all ::/0\n", false },
};

static char *agree_file(const char *text)
{
	char *path = strdup("/tmp/vpcfw-agree-XXXXXX");
	int fd = path ? mkstemp(path) : -1;
	size_t len = strlen(text);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Does policy_load accept the file with these flags? */
static bool run_accepts(const char *path, bool nacl, bool sg)
{
	const char *const files[] = { path };
	struct policy_src src = {
		.nacl_files = files, .n_nacl = nacl, .sg_files = files, .n_sg = sg,
	};
	struct diag *d = diag_new();
	struct policy *pol = policy_load(&src, d);
	bool ok = pol != NULL;

	policy_free(pol);
	diag_free(d);
	return ok;
}

START_TEST(test_check_agrees_with_run)
{
	const struct agree_case *c = &agree_cases[_i];
	char *path = agree_file(c->text);
	const char *const files[] = { path, path };
	struct diag *d = diag_new();
	struct policy *pol = policy_check(files, 2, NULL, false, d);	/* twice: counts once, as in run */
	bool run = run_accepts(path, true, false) || run_accepts(path, false, true) ||
		   run_accepts(path, true, true);

	ck_assert_msg((pol != NULL) == c->ok, "%s: check says %s", c->name, pol ? "ok" : "bad");
	ck_assert_msg(run == c->ok, "%s: run says %s", c->name, run ? "ok" : "bad");
	ck_assert_msg(pol || diag_errors(d) > 0, "%s: refused without a reason", c->name);
	policy_free(pol);
	diag_free(d);
	unlink(path);
	free(path);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("judge");

	tcase_add_test(tc, test_sg_reply_inbound_initiated);
	tcase_add_test(tc, test_sg_reply_outbound_initiated);
	tcase_add_test(tc, test_both_layers_nacl_drops_reply);
	tcase_add_test(tc, test_ephemeral_server_side);
	tcase_add_test(tc, test_ephemeral_client_side);
	tcase_add_test(tc, test_rule_removal_tracked);
	tcase_add_test(tc, test_flow_tag_whole);
	tcase_add_test(tc, test_rule_hits);
	tcase_add_test(tc, test_rule_removal_untracked);
	tcase_add_test(tc, test_untracked_listed);
	tcase_add_test(tc, test_infrastructure);
	tcase_add_loop_test(tc, test_exempt_kinds, 0, 2 * (int)ARRAY_SIZE(exempt_cases));
	tcase_add_test(tc, test_same_subnet);
	tcase_add_test(tc, test_opts_parse);
	tcase_add_test(tc, test_untrackable);
	tcase_add_test(tc, test_tcp_blind_rst);
	tcase_add_test(tc, test_table_full);
	suite_add_tcase(s, tc);
	tc = tcase_create("build");
	tcase_add_test(tc, test_from_ruleset_errors);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_load_both);
	tcase_add_test(tc, test_load_sg_only);
	tcase_add_test(tc, test_load_no_files);
	tcase_add_test(tc, test_load_errors_collected);
	tcase_add_test(tc, test_load_wrong_kind);
	tcase_add_test(tc, test_load_duplicate_number);
	tcase_add_loop_test(tc, test_check_agrees_with_run, 0,
			    (int)(sizeof(agree_cases) / sizeof(agree_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(policy_suite());
}
