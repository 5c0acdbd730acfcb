/*
 * The one name of the rule that decided (rulename.h): each kind of name,
 * the chain of layers in AWS's order for each direction, prose with the
 * rules' origins, the deciding layer alone, rules since reloaded, cutting
 * to a short buffer, and names of verdicts the judge really made.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pktbuild.h"
#include "policy.h"
#include "rulename.h"
#include "ruleset.h"
#include "testutil.h"

#define HASH_KEY "vpcfw-rname-test"	/* 16 bytes */

/* A ruleset of two groups: sg-0a holds rules 1 and 2, sg-0b rule 3. */
static struct ruleset *two_groups(void)
{
	struct ruleset *rs = ruleset_new();
	struct sg_entry e = { .proto = 6, .from = 22, .to = 22 };
	static const unsigned lines[] = { 4, 5, 0 };
	int i, g;

	ck_assert_ptr_nonnull(rs);
	for (i = 0; i < 3; i++) {
		g = ruleset_add_group(rs, i < 2 ? "sg-0a" : "sg-0b", NULL);
		ck_assert_int_ge(g, 0);
		e.group = (uint32_t)g;
		e.origin.file = i < 2 ? "web.rules" : "db.json";
		e.origin.line = lines[i];
		e.origin.index = 7;
		ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
	}
	return rs;
}

static struct rule_decision decision(enum dir d, uint32_t nacl, bool allow,
				     enum sg_outcome o, long rule,
				     const struct ruleset *rs)
{
	struct rule_decision rd = {
		.layer = o != SGO_NONE ? VL_SG : VL_NACL, .dir = d,
		.nacl_number = nacl, .nacl_allow = allow,
		.sg_outcome = o, .sg_rule = rule, .rs = rs,
	};

	/* The layer met last is the one whose decision ended evaluation. */
	if (d == DIR_OUT && nacl)
		rd.layer = VL_NACL;
	return rd;
}

static const char *name(const struct rule_decision *rd, unsigned flags)
{
	static char buf[256];

	return rulename_decision(rd, flags, buf, sizeof(buf));
}

START_TEST(test_names)
{
	struct ruleset *rs = two_groups();
	struct rule_decision rd;

	rd = decision(DIR_IN, 100, true, SGO_NONE, -1, NULL);
	ck_assert_str_eq(name(&rd, 0), "nacl-in:100");
	rd = decision(DIR_OUT, NACL_STAR_V4, false, SGO_NONE, -1, NULL);
	ck_assert_str_eq(name(&rd, 0), "nacl-out:*");
	rd.nacl_number = NACL_STAR_V6;
	ck_assert_str_eq(name(&rd, RULENAME_PROSE), "nacl-out:* deny");
	rd = decision(DIR_IN, 0, false, SGO_NEW_TRACKED, 2, rs);
	ck_assert_str_eq(name(&rd, 0), "sg-in:sg-0b#3");
	rd = decision(DIR_OUT, 0, false, SGO_UNTRACKED, 0, rs);
	ck_assert_str_eq(name(&rd, RULENAME_PROSE), "sg-out:sg-0a#1 (untracked)");
	rd = decision(DIR_OUT, 0, false, SGO_FLOW_REPLY, -1, rs);
	ck_assert_str_eq(name(&rd, 0), "sg:flow");
	rd = decision(DIR_IN, 0, false, SGO_FLOW_ORIG, -1, rs);
	ck_assert_str_eq(name(&rd, RULENAME_PROSE), "sg:flow (packet of a tracked flow)");
	rd = decision(DIR_IN, 0, false, SGO_NO_RULE, -1, rs);
	ck_assert_str_eq(name(&rd, 0), "sg-in:none");
	rd = decision(DIR_OUT, 0, false, SGO_TABLE_FULL, 1, rs);
	ck_assert_str_eq(name(&rd, 0), "sg-out:full");
	ck_assert_str_eq(name(&rd, RULENAME_PROSE), "sg-out:full (sg-out:sg-0a#2 allows it but "
			 "the flow table is full: conntrack_allowance_exceeded)");
	rd.sg_rule = -1;
	ck_assert_str_eq(name(&rd, RULENAME_PROSE),
			 "sg-out:full (flow table full (conntrack_allowance_exceeded))");
	memset(&rd, 0, sizeof(rd));
	rd.layer = VL_INFRA;
	rd.exempt = EXEMPT_ND;
	ck_assert_str_eq(name(&rd, 0), "exempt:nd");
	ck_assert_str_eq(name(&rd, RULENAME_PROSE),
			 "exempt:nd (neighbour discovery: AWS never filters it)");
	rd.exempt = EXEMPT_LINK_LOCAL;
	ck_assert_str_eq(name(&rd, 0), "exempt:link-local");
	ck_assert_str_eq(name(&rd, RULENAME_PROSE),
			 "exempt:link-local (link-local address 169.254.0.0/16: AWS never filters it)");
	rd.exempt = EXEMPT_RESERVED;
	ck_assert_str_eq(name(&rd, 0), "exempt:reserved");
	rd.exempt = EXEMPT_AWS_IPV6;
	ck_assert_str_eq(name(&rd, 0), "exempt:aws-ipv6");
	rd.exempt = EXEMPT_DHCP;
	ck_assert_str_eq(name(&rd, 0), "exempt:dhcp");
	/* Same subnet: the NACL is named as not consulted, in its place in the chain. */
	memset(&rd, 0, sizeof(rd));
	rd.layer = VL_SG;
	rd.dir = DIR_IN;
	rd.same_subnet = true;
	rd.sg_outcome = SGO_NO_RULE;
	rd.sg_rule = -1;
	ck_assert_str_eq(name(&rd, 0), "nacl-in:subnet,sg-in:none");
	ck_assert_str_eq(name(&rd, RULENAME_PROSE), "nacl-in:subnet (same subnet: NACL not "
			 "consulted), then sg-in:none (no rule allows it)");
	ck_assert_str_eq(name(&rd, RULENAME_DECIDER), "sg-in:none");
	rd.dir = DIR_OUT;
	rd.sg_outcome = SGO_FLOW_REPLY;
	ck_assert_str_eq(name(&rd, 0), "sg:flow,nacl-out:subnet");
	/* No layer took part. */
	memset(&rd, 0, sizeof(rd));
	rd.layer = VL_NONE;
	ck_assert_str_eq(name(&rd, RULENAME_PROSE), "");
	ruleset_free(rs);
}
END_TEST

/* Inbound: NACL then SG; outbound: SG then NACL; the last one decided. */
START_TEST(test_chain)
{
	struct ruleset *rs = two_groups();
	struct rule_decision rd;

	rd = decision(DIR_IN, 100, true, SGO_NEW_TRACKED, 1, rs);
	ck_assert_str_eq(name(&rd, 0), "nacl-in:100,sg-in:sg-0a#2");
	ck_assert_str_eq(name(&rd, RULENAME_PROSE),
			 "nacl-in:100 allow, then sg-in:sg-0a#2 (new tracked flow)");
	ck_assert_str_eq(name(&rd, RULENAME_DECIDER), "sg-in:sg-0a#2");
	rd = decision(DIR_OUT, NACL_STAR_V4, false, SGO_FLOW_REPLY, -1, rs);
	ck_assert_str_eq(name(&rd, 0), "sg:flow,nacl-out:*");
	ck_assert_str_eq(name(&rd, RULENAME_PROSE),
			 "sg:flow (tracked reply), then nacl-out:* deny");
	ck_assert_str_eq(name(&rd, RULENAME_PROSE | RULENAME_DECIDER), "nacl-out:* deny");
	/* A drop by the first layer met: the other was never consulted. */
	rd = decision(DIR_IN, 90, false, SGO_NONE, -1, rs);
	ck_assert_str_eq(name(&rd, RULENAME_DECIDER), "nacl-in:90");
	rd = decision(DIR_OUT, 0, false, SGO_NO_RULE, -1, rs);
	ck_assert_str_eq(name(&rd, RULENAME_PROSE | RULENAME_DECIDER),
			 "sg-out:none (no rule allows it)");
	ruleset_free(rs);
}
END_TEST

START_TEST(test_origin)
{
	struct ruleset *rs = two_groups();
	struct nacl_entry n = { .number = 50, .origin = { "acl.rules", 3, 1 } };
	struct rule_decision rd;

	rd = decision(DIR_IN, 50, false, SGO_NONE, -1, NULL);
	rd.nacl = &n;
	ck_assert_str_eq(name(&rd, RULENAME_PROSE | RULENAME_ORIGIN),
			 "nacl-in:50 deny (acl.rules:3)");
	/* Origins belong to prose: the one-word form never has them. */
	ck_assert_str_eq(name(&rd, RULENAME_ORIGIN), "nacl-in:50");
	rd = decision(DIR_IN, 0, false, SGO_NEW_TRACKED, 0, rs);
	ck_assert_str_eq(name(&rd, RULENAME_PROSE | RULENAME_ORIGIN),
			 "sg-in:sg-0a#1 (new tracked flow) (web.rules:4)");
	/* JSON has no lines: the entry's position in its file. */
	rd.sg_rule = 2;
	ck_assert_str_eq(name(&rd, RULENAME_PROSE | RULENAME_ORIGIN),
			 "sg-in:sg-0b#3 (new tracked flow) (db.json, entry 7)");
	/* The synthesized '*' rules come from no file. */
	n.origin.file = NULL;
	rd = decision(DIR_IN, NACL_STAR_V4, false, SGO_NONE, -1, NULL);
	rd.nacl = &n;
	ck_assert_str_eq(name(&rd, RULENAME_PROSE | RULENAME_ORIGIN), "nacl-in:* deny");
	ruleset_free(rs);
}
END_TEST

/* A rule of rules since reloaded keeps its number, not its group. */
START_TEST(test_since_reloaded)
{
	struct ruleset *rs = two_groups();
	struct rule_decision rd;
	char buf[64];

	rd = decision(DIR_IN, 0, false, SGO_NEW_TRACKED, 1, NULL);
	ck_assert_str_eq(name(&rd, 0), "sg-in:#2");
	ck_assert_str_eq(name(&rd, RULENAME_PROSE),
			 "sg-in:#2 of rules since reloaded (new tracked flow)");
	/* An index beyond the rules at hand is not theirs either. */
	rd = decision(DIR_IN, 0, false, SGO_NEW_TRACKED, 70000, rs);
	ck_assert_str_eq(name(&rd, RULENAME_PROSE | RULENAME_ORIGIN),
			 "sg-in:#70001 of rules since reloaded (new tracked flow)");
	ck_assert_str_eq(rulename_sg(rs, DIR_OUT, 0, buf, sizeof(buf)), "sg-out:sg-0a#1");
	ck_assert_str_eq(rulename_sg(NULL, DIR_IN, 99999, buf, sizeof(buf)), "sg-in:#100000");
	ruleset_free(rs);
}
END_TEST

/* A short buffer cuts the text, always NUL-terminated, and is never overrun. */
START_TEST(test_cut)
{
	struct ruleset *rs = two_groups();
	struct rule_decision rd = decision(DIR_IN, 100, true, SGO_NEW_TRACKED, 1, rs);
	char buf[32];

	memset(buf, 'x', sizeof(buf));
	ck_assert_str_eq(rulename_decision(&rd, 0, buf, 12), "nacl-in:100");
	ck_assert_int_eq(buf[12], 'x');
	ck_assert_str_eq(rulename_decision(&rd, 0, buf, 15), "nacl-in:100,sg");
	ck_assert_str_eq(rulename_decision(&rd, 0, buf, 1), "");
	buf[0] = 'x';
	rulename_decision(&rd, 0, buf, 0);
	ck_assert_int_eq(buf[0], 'x');
	ruleset_free(rs);
}
END_TEST

/* Names of verdicts policy_judge made: an SSH SYN in, its SYN-ACK out. */
START_TEST(test_judged)
{
	static const struct nspec nacl[] = {
		NIN(100, 'a', 6, 22, 22, "0.0.0.0/0"),
		NEND
	};
	static const struct sspec sg[] = {
		SIN(6, 80, 80, "0.0.0.0/0"),
		SIN(6, 22, 22, "0.0.0.0/0"),
		SEND
	};
	struct policy *pol = tu_policy_of(nacl, sg);
	struct flow_table *ft = tu_table_of(16, HASH_KEY);
	uint8_t raw[PB_MAX];
	struct verdict v;
	struct pkt p;
	char buf[128];
	size_t n;

	n = pb_tcp(raw, "198.51.100.7", 40000, "10.0.0.5", 22, TCPF_SYN);
	ck_assert_int_eq(pkt_parse(&p, raw, n, n), PKT_OK);
	policy_judge(pol, ft, &p, DIR_IN, 1000, &v);
	ck_assert_str_eq(rulename_verdict(pol, &v, DIR_IN, RULENAME_PROSE, buf, sizeof(buf)),
			 "nacl-in:100 allow, then sg-in:sg-0test#2 (new tracked flow)");
	n = pb_tcp(raw, "10.0.0.5", 22, "198.51.100.7", 40000, TCPF_SYN | TCPF_ACK);
	ck_assert_int_eq(pkt_parse(&p, raw, n, n), PKT_OK);
	policy_judge(pol, ft, &p, DIR_OUT, 1001, &v);
	ck_assert_str_eq(rulename_verdict(pol, &v, DIR_OUT, 0, buf, sizeof(buf)),
			 "sg:flow,nacl-out:*");
	/* Without the policy the SG rule cannot be named. */
	n = pb_tcp(raw, "198.51.100.8", 40000, "10.0.0.5", 22, TCPF_SYN);
	ck_assert_int_eq(pkt_parse(&p, raw, n, n), PKT_OK);
	policy_judge(pol, ft, &p, DIR_IN, 1002, &v);
	ck_assert_str_eq(rulename_verdict(NULL, &v, DIR_IN, 0, buf, sizeof(buf)),
			 "nacl-in:100,sg-in:rule");
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rulename");
	TCase *tc = tcase_create("rulename");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_chain);
	tcase_add_test(tc, test_origin);
	tcase_add_test(tc, test_since_reloaded);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_judged);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
