/*
 * Helpers shared by the Check programs (see testutil.h). Linked into every
 * check program next to pktbuild.c; uses only the engine library and Check.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "diag.h"
#include "flow.h"
#include "policy.h"
#include "ruleset.h"
#include "testutil.h"

void tu_add_nacl(struct ruleset *rs, const struct nspec *r)
{
	rs->has_nacl = true;
	for (; r->num; r++) {
		bool icmp = r->proto == 1 || r->proto == 58;
		struct nacl_entry e;

		memset(&e, 0, sizeof(e));
		e.number = r->num;
		e.egress = r->dir == 'o';
		e.allow = r->act == 'a';
		e.proto = r->proto;
		e.port_from = icmp ? 0 : (uint16_t)r->a;
		e.port_to = icmp ? 0 : (uint16_t)r->b;
		e.icmp_type = icmp ? (int16_t)r->a : -1;
		e.icmp_code = icmp ? (int16_t)r->b : -1;
		ck_assert_int_eq(cidr_parse(r->cidr, &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
	}
}

void tu_add_sg(struct ruleset *rs, const struct sspec *r)
{
	int g = ruleset_add_group(rs, "sg-0test", "test");

	ck_assert_int_ge(g, 0);
	for (; r->dir; r++) {
		struct sg_entry e;

		memset(&e, 0, sizeof(e));
		e.egress = r->dir == 'o';
		e.proto = r->proto;
		e.from = r->from;
		e.to = r->to;
		e.group = (uint32_t)g;
		ck_assert_int_eq(cidr_parse(r->cidr, &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
	}
}

struct policy *tu_policy_of(const struct nspec *n, const struct sspec *s)
{
	struct ruleset *rs = ruleset_new();
	struct policy *pol;

	ck_assert_ptr_nonnull(rs);
	if (n)
		tu_add_nacl(rs, n);
	if (s)
		tu_add_sg(rs, s);
	pol = policy_from_ruleset(rs, n != NULL, s != NULL);
	ck_assert_ptr_nonnull(pol);
	return pol;
}

struct flow_table *tu_table_of(size_t max_flows, const char *key16)
{
	struct flow_params fp;
	struct flow_table *ft;

	ck_assert_uint_ge(strlen(key16), 16);
	flow_params_default(&fp);
	fp.max_flows = max_flows;
	fp.hash_key = (const uint8_t *)key16;
	ft = flow_table_new(&fp);
	ck_assert_ptr_nonnull(ft);
	return ft;
}

static char *diag_capture(const struct diag *d, bool lead_nl)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	if (lead_nl)
		fputc('\n', f);
	diag_print(d, f);
	fclose(f);
	return buf;
}

char *tu_diag_text(const struct diag *d)
{
	return diag_capture(d, false);
}

char *tu_diag_text_nl(const struct diag *d)
{
	return diag_capture(d, true);
}

void tu_expect_clean(const struct diag *d, int r)
{
	char *text = tu_diag_text_nl(d);

	ck_assert_msg(r == 0 && diag_errors(d) == 0, "r=%d:%s", r, text);
	free(text);
}

void tu_expect_errors(const struct diag *d, const char *prefix, const char *const *msgs)
{
	char *text = tu_diag_text_nl(d), line[1024];
	size_t n;

	for (n = 0; msgs[n]; n++) {
		snprintf(line, sizeof(line), "\n%s%s\n", prefix, msgs[n]);
		ck_assert_msg(strstr(text, line), "missing:%sin:%s", line, text);
	}
	ck_assert_msg(diag_errors(d) == n, "expected %zu errors, got %zu:%s", n,
		      diag_errors(d), text);
	free(text);
}

int tu_run_tests(const char *name, const tu_test *tests, size_t n)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create(name);
	size_t i;

	for (i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}

int tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
