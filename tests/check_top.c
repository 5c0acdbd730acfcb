/*
 * Unit tests of the pure parts of `vpcfw top` (src/cli/top_model.c): rates
 * from counter deltas (a reset counts from 0), the per-rule deltas matched
 * by name, the top-N choice, lines cut to the screen, and the short form of
 * a trace line of a drop.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "testutil.h"
#include "top_model.h"

START_TEST(test_delta_and_rate)
{
	ck_assert_uint_eq(top_delta(100, 250), 150);
	ck_assert_uint_eq(top_delta(7, 7), 0);
	/* Went down: `vpcfw zero` or new rules in between; counted from 0. */
	ck_assert_uint_eq(top_delta(500, 20), 20);
	ck_assert_uint_eq(top_delta(UINT64_MAX - 1, UINT64_MAX), 1);
	ck_assert_uint_eq(top_rate(150, 1000), 150);
	ck_assert_uint_eq(top_rate(150, 500), 300);
	/* 10 packets in 1.5 s: 6.67/s, rounded to nearest. */
	ck_assert_uint_eq(top_rate(10, 1500), 7);
	ck_assert_uint_eq(top_rate(1, 3000), 0);
	ck_assert_uint_eq(top_rate(2, 3000), 1);
	ck_assert_uint_eq(top_rate(99, 0), 0);
}
END_TEST

static struct top_rule rule_what(const char *name, const char *what, uint64_t packets)
{
	struct top_rule r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.what, sizeof(r.what), "%s", what);
	r.packets = packets;
	return r;
}

static struct top_rule rule(const char *name, uint64_t packets)
{
	return rule_what(name, "", packets);
}

START_TEST(test_rules_delta_by_name)
{
	struct top_rule before[] = {
		rule("sg-in:sg-0abc#2", 40), rule("nacl-in:100", 1000), rule("nacl-in:*", 5),
	};
	/* Another order (a reload), a new rule, one counter reset. */
	struct top_rule now[] = {
		rule("nacl-in:*", 9), rule("nacl-in:90", 3), rule("nacl-in:100", 1250),
		rule("sg-in:sg-0abc#2", 2),
	};

	top_rules_delta(before, ARRAY_SIZE(before), now, ARRAY_SIZE(now));
	ck_assert_uint_eq(now[0].delta, 4);
	ck_assert_uint_eq(now[1].delta, 3);	/* new: from 0 */
	ck_assert_uint_eq(now[2].delta, 250);
	ck_assert_uint_eq(now[3].delta, 2);	/* reset: from 0 */
	/* The two catch-alls share a name: each is matched by what it matches. */
	{
		struct top_rule b2[] = {
			rule_what("nacl-in:*", "deny all ::/0", 700),
			rule_what("nacl-in:*", "deny all 0.0.0.0/0", 10),
		};
		struct top_rule n2[] = {
			rule_what("nacl-in:*", "deny all 0.0.0.0/0", 15),
			rule_what("nacl-in:*", "deny all ::/0", 701),
		};

		top_rules_delta(b2, ARRAY_SIZE(b2), n2, ARRAY_SIZE(n2));
		ck_assert_uint_eq(n2[0].delta, 5);
		ck_assert_uint_eq(n2[1].delta, 1);
	}
	/* No sample before: every counter from 0. */
	top_rules_delta(NULL, 0, now, ARRAY_SIZE(now));
	ck_assert_uint_eq(now[2].delta, 1250);
}
END_TEST

START_TEST(test_pick)
{
	struct top_rule r[] = {
		rule("a", 0), rule("b", 0), rule("c", 0), rule("d", 0), rule("e", 0), rule("f", 0),
	};
	uint64_t d[] = { 5, 0, 9, 5, 1, 7 };
	size_t idx[4], i, k;

	for (i = 0; i < ARRAY_SIZE(r); i++)
		r[i].delta = d[i];
	k = top_pick(r, ARRAY_SIZE(r), idx, 3);
	ck_assert_uint_eq(k, 3);
	ck_assert_uint_eq(idx[0], 2);	/* 9 */
	ck_assert_uint_eq(idx[1], 5);	/* 7 */
	ck_assert_uint_eq(idx[2], 0);	/* 5, the first of the two */
	k = top_pick(r, ARRAY_SIZE(r), idx, 4);
	ck_assert_uint_eq(k, 4);
	ck_assert_uint_eq(idx[3], 3);	/* the other 5 */
	/* Rules that counted nothing are never among them. */
	for (i = 0; i < ARRAY_SIZE(r); i++)
		r[i].delta = i == 4;
	k = top_pick(r, ARRAY_SIZE(r), idx, 4);
	ck_assert_uint_eq(k, 1);
	ck_assert_uint_eq(idx[0], 4);
	ck_assert_uint_eq(top_pick(r, 0, idx, 4), 0);
	ck_assert_uint_eq(top_pick(r, ARRAY_SIZE(r), idx, 0), 0);
}
END_TEST

START_TEST(test_fit)
{
	char buf[16];

	ck_assert_str_eq(top_fit("short", 80, buf, sizeof(buf)), "short");
	ck_assert_str_eq(top_fit("0123456789", 4, buf, sizeof(buf)), "0123");
	/* The buffer bounds it too, NUL included. */
	ck_assert_str_eq(top_fit("0123456789abcdefghij", 80, buf, sizeof(buf)),
			 "0123456789abcde");
	/* Nothing reaches the terminal that could move the cursor or be wide. */
	ck_assert_str_eq(top_fit("a\033[2Jb\tc\xc3\xa9", 80, buf, sizeof(buf)), "a?[2Jb?c??");
	ck_assert_str_eq(top_fit("", 80, buf, sizeof(buf)), "");
	ck_assert_str_eq(top_fit("abc", 0, buf, sizeof(buf)), "");
}
END_TEST

static const char *drop(const char *line)
{
	static char buf[160];

	if (top_drop_line(line, buf, sizeof(buf)) < 0)
		return NULL;
	return buf;
}

START_TEST(test_drop_line)
{
	ck_assert_str_eq(drop("18:15:13.042 q0 in  udp 10.99.0.2:59649 -> 10.99.0.1:5000 DROP: "
			      "nacl-in:90 deny [veth0]\n"),
			 "18:15:13 nacl-in:90 deny  in  udp 10.99.0.2:59649 -> 10.99.0.1:5000");
	/* The layer that decided is the last of the chain. */
	ck_assert_str_eq(drop("09:00:01.000 q3 out tcp 10.0.1.10:80 -> 198.51.100.20:40123 [S.] "
			      "DROP: sg:flow (tracked reply), then nacl-out:* deny"),
			 "09:00:01 nacl-out:* deny  out tcp 10.0.1.10:80 -> 198.51.100.20:40123 [S.]");
	ck_assert_str_eq(drop("09:00:01.000 q0 in  tcp 10.0.0.2:1 -> 10.0.0.1:22 [S] DROP: "
			      "nacl-in:100 allow, then sg-in:none (no rule allows it) [eni veth1]"),
			 "09:00:01 sg-in:none       in  tcp 10.0.0.2:1 -> 10.0.0.1:22 [S]");
	ck_assert_str_eq(drop("09:00:01.000 q0 in  (unparsed) DROP: malformed (bad-ip)"),
			 "09:00:01 malformed        in  (unparsed)");
	ck_assert_str_eq(drop("09:00:01.000 q0 out udp 10.0.0.1:1 -> 10.0.0.2:2 DROP: "
			      "unjudged: no direction for hook 2, failure policy applied"),
			 "09:00:01 unjudged         out udp 10.0.0.1:1 -> 10.0.0.2:2");
	/* Not a drop line: an accept, a loss note, garbage. */
	ck_assert_ptr_null(drop("09:00:01.000 q0 in  udp 1.2.3.4:1 -> 5.6.7.8:2 ACCEPT: nacl-in:100 allow"));
	ck_assert_ptr_null(drop("# 12 lines lost (the reader or the ring was too slow)"));
	ck_assert_ptr_null(drop("DROP: x"));
	ck_assert_ptr_null(drop(""));
}
END_TEST

int main(void)
{
	const tu_test tests[] = {
		test_delta_and_rate, test_rules_delta_by_name, test_pick, test_fit,
		test_drop_line,
	};

	return tu_run_tests("top", tests, ARRAY_SIZE(tests));
}
