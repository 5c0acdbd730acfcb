/*
 * Unit tests of AWS's quotas (src/lib/quota.c, doc/aws-semantics.md 1.8 and
 * 2.5): where a warning starts, where an error starts, what is not counted,
 * and that `--no-quotas` (policy_check's no_quotas) lets everything through.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "policy.h"
#include "quota.h"
#include "ruleset.h"
#include "testutil.h"

static struct ruleset *rs;
static struct diag *d;

static void setup(void)
{
	rs = ruleset_new();
	d = diag_new();
	ck_assert_ptr_nonnull(rs);
	ck_assert_ptr_nonnull(d);
	rs->has_nacl = true;
}

static void teardown(void)
{
	ruleset_free(rs);
	diag_free(d);
}

/* n NACL rules numbered from 1 in one direction and family. */
static void nacl_rules(unsigned n, bool egress, int family)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct nacl_entry e = { .number = i + 1, .egress = egress, .allow = true,
					.proto = 6, .port_from = (uint16_t)(i + 1),
					.port_to = (uint16_t)(i + 1), .icmp_type = -1,
					.icmp_code = -1, .origin = { "acl.rules", i + 1, i } };

		ck_assert_int_eq(cidr_parse(family == AF_INET6 ? "::/0" : "0.0.0.0/0", &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
	}
}

/* n rules in a new group, in one direction and family; ref: each a --map'ed reference of 3 CIDRs. */
static void sg_group(const char *id, unsigned n, bool egress, bool ref)
{
	int g = ruleset_add_group(rs, id, NULL);
	unsigned i, k;

	ck_assert_int_ge(g, 0);
	for (i = 0; i < n; i++)
		for (k = 0; k < (ref ? 3u : 1u); k++) {
			struct sg_entry e = { .egress = egress, .proto = 6, .from = (int32_t)i,
					      .to = (int32_t)i, .group = (uint32_t)g,
					      .ref = ref ? "sg-0peer" : NULL,
					      .origin = { "sg.rules", i + 1, i } };
			char cidr[32];

			snprintf(cidr, sizeof(cidr), "10.%u.%u.0/24", k, i % 256);
			ck_assert_int_eq(cidr_parse(cidr, &e.cidr), 0);
			ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
		}
}

/* The inbound IPv4 '*' deny, as the loaders add it. */
static void add_star(void)
{
	struct nacl_entry star = { .number = NACL_STAR_V4, .egress = false, .allow = false,
				   .proto = PROTO_ALL, .icmp_type = -1, .icmp_code = -1 };

	ck_assert_int_eq(cidr_parse("0.0.0.0/0", &star.cidr), 0);
	ck_assert_int_eq(ruleset_add_nacl(rs, &star), 0);
}

static char *text(void)
{
	return tu_diag_text(d);
}

START_TEST(test_nacl_limits)
{
	char *t;

	nacl_rules(20, false, AF_INET);		/* at the default: nothing to say */
	nacl_rules(40, true, AF_INET);		/* needs an increase: a warning */
	nacl_rules(20, false, AF_INET6);	/* another family: counted apart */
	ck_assert_uint_eq(quota_check(rs, d), 0);
	t = text();
	ck_assert_uint_eq(diag_warnings(d), 1);
	ck_assert_msg(strstr(t, "acl.rules:21: warning: network ACL (unnamed) has 40 outbound IPv4 rules: AWS allows 20 per direction (quota \"Rules per network ACL\"), more only with a quota increase (at most 40)"), "%s", t);
	free(t);
}
END_TEST

START_TEST(test_nacl_over_max)
{
	char *t;

	nacl_rules(41, false, AF_INET);
	add_star();	/* not a rule of the quota */
	ck_assert_uint_eq(quota_check(rs, d), 1);
	t = text();
	ck_assert_msg(strstr(t, "acl.rules:41: error: network ACL (unnamed) has 41 inbound IPv4 rules"), "%s", t);
	ck_assert_msg(strstr(t, "no more than 40 with an increase"), "%s", t);
	free(t);
}
END_TEST

START_TEST(test_nacl_star_not_counted)
{

	nacl_rules(20, false, AF_INET);
	add_star();
	ck_assert_uint_eq(quota_check(rs, d), 0);
	ck_assert_uint_eq(diag_warnings(d), 0);
}
END_TEST

START_TEST(test_sg_rules)
{
	char *t;

	sg_group("sg-0a", 60, false, false);
	sg_group("sg-0b", 61, true, false);
	ck_assert_uint_eq(quota_check(rs, d), 0);
	ck_assert_uint_eq(diag_warnings(d), 1);
	t = text();
	ck_assert_msg(strstr(t, "sg.rules:61: warning: security group sg-0b has 61 outbound IPv4 rules: AWS allows 60"), "%s", t);
	free(t);
}
END_TEST

/* A rule naming a group, --map'ed to three CIDRs, is one rule, as AWS counts it. */
START_TEST(test_sg_reference_counts_once)
{
	sg_group("sg-0a", 60, false, true);	/* 180 entries, 60 rules */
	ck_assert_uint_eq(rs->n_sg, 180);
	ck_assert_uint_eq(quota_check(rs, d), 0);
	ck_assert_uint_eq(diag_warnings(d), 0);
}
END_TEST

START_TEST(test_groups_per_interface)
{
	char id[16], *t;
	unsigned g;

	for (g = 0; g < 6; g++) {
		snprintf(id, sizeof(id), "sg-%u", g);
		sg_group(id, 1, false, false);
	}
	ck_assert_uint_eq(quota_check(rs, d), 0);
	t = text();
	ck_assert_msg(strstr(t, "warning: 6 security groups on one network interface: AWS allows 5"), "%s", t);
	free(t);
	for (; g < 17; g++) {
		snprintf(id, sizeof(id), "sg-%u", g);
		sg_group(id, 1, false, false);
	}
	ck_assert_uint_eq(quota_check(rs, d), 1);
	t = text();
	ck_assert_msg(strstr(t, "error: 17 security groups on one network interface"), "%s", t);
	free(t);
}
END_TEST

/* 16 groups (allowed with an increase) of 63 rules: 1008 > 1000. */
START_TEST(test_rules_times_groups)
{
	char id[16], *t;
	unsigned g;

	for (g = 0; g < 16; g++) {
		snprintf(id, sizeof(id), "sg-%u", g);
		sg_group(id, g ? 1 : 63, false, false);
	}
	ck_assert_uint_eq(quota_check(rs, d), 1);
	t = text();
	ck_assert_msg(strstr(t, "error: 16 security groups with up to 63 rules in one direction make 1008: AWS allows at most 1000"), "%s", t);
	free(t);
}
END_TEST

/* Through the loader, as check and run see it: an error refuses, --no-quotas lets it through. */
START_TEST(test_policy_no_quotas)
{
	char path[] = "/tmp/check_quota.XXXXXX";
	const char *files[] = { path };
	struct policy *pol;
	FILE *f;
	int fd = mkstemp(path), i;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "nacl acl-big\ninbound\n");
	for (i = 1; i <= 41; i++)
		fprintf(f, "  %d allow tcp %d 0.0.0.0/0\n", i, i);
	fprintf(f, "outbound\n  100 allow all 0.0.0.0/0\n");
	fclose(f);
	pol = policy_check(files, 1, NULL, false, d);
	ck_assert_ptr_null(pol);
	ck_assert_uint_eq(diag_errors(d), 1);
	diag_free(d);
	d = diag_new();
	pol = policy_check(files, 1, NULL, true, d);
	ck_assert_ptr_nonnull(pol);
	ck_assert_uint_eq(diag_errors(d) + diag_warnings(d), 0);
	policy_free(pol);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("quota");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nacl_limits);
	tcase_add_test(tc, test_nacl_over_max);
	tcase_add_test(tc, test_nacl_star_not_counted);
	tcase_add_test(tc, test_sg_rules);
	tcase_add_test(tc, test_sg_reference_counts_once);
	tcase_add_test(tc, test_groups_per_interface);
	tcase_add_test(tc, test_rules_times_groups);
	tcase_add_test(tc, test_policy_no_quotas);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
