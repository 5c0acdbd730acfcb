/*
 * Unit tests of --eni (eni.h): the argument's grammar, each refusal saying
 * why; the interface -> policy map; and loading a set, where an unknown
 * interface fails at start and is only skipped at reload.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "diag.h"
#include "eni.h"
#include "ruleset.h"
#include "testutil.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "tests"
#endif
#define FIXTURE(f) TEST_SRCDIR "/data/policy/" f

static char why[128];

static void expect_bad(const char *arg, const char *want)
{
	struct eni_spec s;

	errno = 0;
	why[0] = '\0';
	ck_assert_msg(eni_spec_parse(arg, &s, why, sizeof(why)) == -1, "accepted: '%s'", arg);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(why, want), "'%s': '%s' lacks '%s'", arg, why, want);
	ck_assert_ptr_null(s.files);
}

START_TEST(test_parse_ok)
{
	struct eni_spec s;

	ck_assert_int_eq(eni_spec_parse("eth1=a.json", &s, why, sizeof(why)), 0);
	ck_assert_str_eq(s.ifname, "eth1");
	ck_assert_uint_eq(s.n_files, 1);
	ck_assert_str_eq(s.files[0], "a.json");
	eni_spec_clear(&s);
	ck_assert_int_eq(eni_spec_parse("veth0=/x/a.json,b.rules,c=d", &s, why, sizeof(why)), 0);
	ck_assert_str_eq(s.ifname, "veth0");
	ck_assert_uint_eq(s.n_files, 3);
	ck_assert_str_eq(s.files[0], "/x/a.json");
	ck_assert_str_eq(s.files[1], "b.rules");
	/* Only the first '=' splits: a file name may hold one. */
	ck_assert_str_eq(s.files[2], "c=d");
	eni_spec_clear(&s);
	/* The longest name an interface can have. */
	ck_assert_int_eq(eni_spec_parse("abcdefghijklmno=f", &s, why, sizeof(why)), 0);
	eni_spec_clear(&s);
}
END_TEST

START_TEST(test_parse_bad)
{
	expect_bad("eth1", "IFACE=FILE");
	expect_bad("=a.json", "no interface");
	expect_bad("eth1=", "empty file name");
	expect_bad("eth1=a,,b", "empty file name");
	expect_bad("eth1=a,", "empty file name");
	expect_bad("abcdefghijklmnop=f", "too long");
}
END_TEST

static struct policy *empty_policy(void)
{
	struct policy *p = policy_from_ruleset(ruleset_new(), false, true);

	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(test_map)
{
	struct pset *ps = pset_new(2);

	ck_assert_ptr_nonnull(ps);
	ps->n = 2;
	ps->def = empty_policy();
	ps->eni[0] = (struct eni_pol){ .ifindex = 7, .ifname = "eth1", .pol = empty_policy() };
	/* An ENI whose interface was missing at reload matches nothing, not ifindex 0. */
	ps->eni[1] = (struct eni_pol){ .ifindex = 0, .ifname = "gone0", .pol = empty_policy() };
	ck_assert_ptr_eq(pset_for(ps, 7), ps->eni[0].pol);
	ck_assert_ptr_eq(pset_for(ps, 8), ps->def);
	ck_assert_ptr_eq(pset_for(ps, 0), ps->def);
	ck_assert_str_eq(pset_eni_name(ps, 7), "eth1");
	ck_assert_ptr_null(pset_eni_name(ps, 8));
	ck_assert_ptr_null(pset_eni_name(ps, 0));
	pset_free(ps);
	pset_free(NULL);
}
END_TEST

static struct pset *load(const char *eni, bool strict)
{
	const char *sg[] = { FIXTURE("sg-ssh.json") };
	const struct policy_src src = { .sg_files = sg, .n_sg = 1 };
	struct diag *dg = diag_new();
	const struct pset_args a = { .eni = &eni, .n_eni = 1 };
	struct pset *ps = pset_load(&src, &a, strict, dg);

	diag_free(dg);
	return ps;
}

START_TEST(test_load)
{
	struct pset *ps;

	/* lo exists in every network namespace, always as ifindex 1. */
	ps = load("lo=" FIXTURE("sg-https.json"), true);
	ck_assert_ptr_nonnull(ps);
	ck_assert_uint_eq(ps->n, 1);
	ck_assert_uint_eq(ps->eni[0].ifindex, 1);
	ck_assert_ptr_ne(pset_for(ps, 1), ps->def);
	pset_free(ps);
	/* Unknown interface: refused at start, skipped (matching nothing) at reload. */
	ck_assert_ptr_null(load("nosuch-eni0=" FIXTURE("sg-https.json"), true));
	ps = load("nosuch-eni0=" FIXTURE("sg-https.json"), false);
	ck_assert_ptr_nonnull(ps);
	ck_assert_uint_eq(ps->eni[0].ifindex, 0);
	pset_free(ps);
	/* A bad file of an ENI fails the whole set. */
	ck_assert_ptr_null(load("lo=" FIXTURE("sg-bad-proto.json"), true));
	ck_assert_ptr_null(load("lo=" FIXTURE("no-such-file.json"), false));
}
END_TEST

/* --nacl IFACE=FILE: an interface with its own ACL, alone or with its own groups. */
START_TEST(test_load_nacl)
{
	const char *sg[] = { FIXTURE("sg-ssh.json") };
	const struct policy_src src = { .sg_files = sg, .n_sg = 1 };
	const char *eni[] = { "lo=" FIXTURE("sg-https.json") };
	const char *nacl[] = { "lo=" FIXTURE("nacl-web.json"), "nosuch-eni0=" FIXTURE("nacl-web.json") };
	struct pset_args a = { .nacl = nacl, .n_nacl = 1 };
	struct diag *dg = diag_new();
	struct pset *ps;

	/* The ACL alone: an entry of its own, with the default groups. */
	ps = pset_load(&src, &a, true, dg);
	ck_assert_ptr_nonnull(ps);
	ck_assert_uint_eq(ps->n, 1);
	ck_assert(ps->eni[0].own_nacl && !ps->eni[0].own_sg);
	ck_assert_ptr_nonnull(policy_acl(ps->eni[0].pol));
	ck_assert_ptr_null(policy_acl(ps->def));
	pset_free(ps);
	/* Both for one interface: one entry with both. */
	a.eni = eni;
	a.n_eni = 1;
	ps = pset_load(&src, &a, true, dg);
	ck_assert_ptr_nonnull(ps);
	ck_assert_uint_eq(ps->n, 1);
	ck_assert(ps->eni[0].own_nacl && ps->eni[0].own_sg);
	ck_assert_ptr_nonnull(policy_acl(ps->eni[0].pol));
	pset_free(ps);
	/* An ACL for an unknown interface: refused at start, skipped at reload. */
	a.n_nacl = 2;
	ck_assert_ptr_null(pset_load(&src, &a, true, dg));
	ps = pset_load(&src, &a, false, dg);
	ck_assert_ptr_nonnull(ps);
	ck_assert_uint_eq(ps->n, 2);
	ck_assert_uint_eq(ps->eni[1].ifindex, 0);
	pset_free(ps);
	diag_free(dg);
}
END_TEST

int main(void)
{
	const tu_test tests[] = {
		test_parse_ok, test_parse_bad, test_map, test_load, test_load_nacl,
	};

	return tu_run_tests("eni", tests, ARRAY_SIZE(tests));
}
