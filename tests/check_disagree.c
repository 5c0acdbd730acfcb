/*
 * The shadow policy's disagreement tally (disagree.h): a security group and
 * its stateless twin judge the same packets and part on the replies, named
 * "sg:flow vs nacl-out:*"; agreeing verdicts are not counted; pairs are
 * tallied apart and ranked; past the table's room they go to `other`;
 * merging the threads' tallies sums them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "disagree.h"
#include "pktbuild.h"
#include "policy.h"
#include "rulename.h"
#include "testutil.h"

#define HASH_KEY "vpcfw-shadow-tst"	/* 16 bytes */

/* The SG enforced, and the same rules written as a NACL (no reply rule) in the shadow. */
struct pair {
	struct policy *sg, *nacl;
	struct flow_table *ft, *sft;
};

static void pair_new(struct pair *pr)
{
	static const struct nspec nacl[] = {
		NIN(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		NOUT(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		NEND
	};
	static const struct sspec sg[] = {
		SIN(6, 80, 80, "0.0.0.0/0"),
		SEND
	};

	pr->sg = tu_policy_of(NULL, sg);
	pr->nacl = tu_policy_of(nacl, NULL);
	pr->ft = tu_table_of(16, HASH_KEY);
	pr->sft = tu_table_of(16, HASH_KEY);
}

static void pair_free(struct pair *pr)
{
	flow_table_free(pr->ft);
	flow_table_free(pr->sft);
	policy_free(pr->sg);
	policy_free(pr->nacl);
}

/* Judge one TCP segment both ways and tally it; true when they differed. */
static bool judge2(struct pair *pr, struct disagree_tally *t, const char *src, int sport,
		   const char *dst, int dport, unsigned flags, enum dir d, uint64_t now,
		   struct disagree_side *e, struct disagree_side *s)
{
	uint8_t raw[PB_MAX];
	struct verdict v, sv;
	struct pkt p;
	size_t n = pb_tcp(raw, src, sport, dst, dport, flags);

	ck_assert_int_eq(pkt_parse(&p, raw, n, n), PKT_OK);
	policy_judge(pr->sg, pr->ft, &p, d, now, &v);
	policy_judge(pr->nacl, pr->sft, &p, d, now, &sv);
	disagree_side_of(e, pr->sg, &v);
	disagree_side_of(s, pr->nacl, &sv);
	return disagree_count(t, e, s, d);
}

START_TEST(test_reply_parts)
{
	struct disagree_tally *t = calloc(1, sizeof(*t));
	const struct disagree_slot *top[4];
	struct disagree_side e, s;
	struct pair pr;
	char buf[256];

	pair_new(&pr);
	/* The request: both layers let it in; no disagreement. */
	ck_assert(!judge2(&pr, t, "198.51.100.20", 40123, "10.0.1.10", 80, TCPF_SYN,
			  DIR_IN, 1000, &e, &s));
	ck_assert(e.accept && s.accept);
	/* The reply: the SG passes it as a tracked reply, the NACL's '*' drops it. */
	ck_assert(judge2(&pr, t, "10.0.1.10", 80, "198.51.100.20", 40123,
			 TCPF_SYN | TCPF_ACK, DIR_OUT, 1001, &e, &s));
	ck_assert(e.accept && !s.accept);
	ck_assert_str_eq(disagree_side_name(&s, DIR_OUT, pr.nacl, RULENAME_PROSE, buf,
					    sizeof(buf)), "nacl-out:* deny");
	ck_assert_str_eq(disagree_side_name(&e, DIR_OUT, pr.sg, RULENAME_PROSE, buf,
					    sizeof(buf)), "sg:flow (tracked reply)");
	/* The client's ACK agrees again; the next reply parts the same way. */
	ck_assert(!judge2(&pr, t, "198.51.100.20", 40123, "10.0.1.10", 80, TCPF_ACK,
			  DIR_IN, 1002, &e, &s));
	ck_assert(judge2(&pr, t, "10.0.1.10", 80, "198.51.100.20", 40123, TCPF_ACK,
			 DIR_OUT, 1003, &e, &s));
	ck_assert_uint_eq(t->dir[DIR_IN], 0);
	ck_assert_uint_eq(t->dir[DIR_OUT], 2);
	ck_assert_uint_eq(disagree_top(t, top, 4), 1);
	ck_assert_uint_eq(top[0]->n, 2);
	ck_assert_str_eq(disagree_pair_name(&top[0]->key, pr.sg, pr.nacl, buf, sizeof(buf)),
			 "sg:flow vs nacl-out:*");
	pair_free(&pr);
	free(t);
}
END_TEST

/* A made-up side: NACL rule `num` allowing or denying. */
static struct disagree_side nacl_side(uint32_t num, bool allow)
{
	struct disagree_side s;

	memset(&s, 0, sizeof(s));
	s.serial = 7;
	s.accept = allow;
	s.layer = VL_NACL;
	s.nacl_number = num;
	s.nacl_allow = allow;
	s.sg_rule = -1;
	return s;
}

START_TEST(test_rank_and_room)
{
	struct disagree_tally *t = calloc(1, sizeof(*t));
	struct disagree_tally *sum = calloc(1, sizeof(*sum));
	const struct disagree_slot *top[3];
	struct disagree_side a = nacl_side(100, true), b;
	char buf[128];
	uint32_t i;

	/* Pair 200: 3 packets, pair 300: 5, pair 400: 1; agreeing ones count nothing. */
	for (i = 0; i < 3; i++) {
		b = nacl_side(200, false);
		ck_assert(disagree_count(t, &a, &b, DIR_IN));
	}
	for (i = 0; i < 5; i++) {
		b = nacl_side(300, false);
		ck_assert(disagree_count(t, &a, &b, DIR_IN));
	}
	b = nacl_side(400, false);
	ck_assert(disagree_count(t, &a, &b, DIR_OUT));
	b = nacl_side(500, true);
	ck_assert(!disagree_count(t, &a, &b, DIR_IN));
	ck_assert_uint_eq(t->dir[DIR_IN], 8);
	ck_assert_uint_eq(t->dir[DIR_OUT], 1);
	ck_assert_uint_eq(disagree_top(t, top, 3), 3);
	ck_assert_uint_eq(top[0]->n, 5);
	ck_assert_uint_eq(top[1]->n, 3);
	ck_assert_uint_eq(top[2]->n, 1);
	/* No policy to ask: NACL numbers need none. */
	ck_assert_str_eq(disagree_pair_name(&top[0]->key, NULL, NULL, buf, sizeof(buf)),
			 "nacl-in:100 vs nacl-in:300");
	ck_assert_uint_eq(disagree_top(t, top, 2), 2);
	ck_assert_uint_eq(top[0]->n, 5);
	ck_assert_uint_eq(top[1]->n, 3);
	/* Two threads' tallies sum. */
	disagree_merge(sum, t);
	disagree_merge(sum, t);
	ck_assert_uint_eq(sum->dir[DIR_IN], 16);
	ck_assert_uint_eq(disagree_top(sum, top, 1), 1);
	ck_assert_uint_eq(top[0]->n, 10);
	/* Past the room for distinct pairs, the packets still count, in `other`. */
	for (i = 0; i < DISAGREE_SLOTS + 10; i++) {
		b = nacl_side(1000 + i, false);
		disagree_count(t, &a, &b, DIR_IN);
	}
	ck_assert_uint_eq(t->other, 10 + 3);
	ck_assert_uint_eq(t->dir[DIR_IN], 8 + DISAGREE_SLOTS + 10);
	free(sum);
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("disagree");
	TCase *tc = tcase_create("disagree");

	tcase_add_test(tc, test_reply_parts);
	tcase_add_test(tc, test_rank_and_room);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
