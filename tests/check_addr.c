/* Unit tests of addr: CIDR parsing, canonical form, containment, printing. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "testutil.h"

static const struct {
	const char *in;
	const char *canonical;	/* NULL: must be refused */
} parse_cases[] = {
	{ "10.0.0.0/8", "10.0.0.0/8" },
	{ "10.0.1.7/16", "10.0.0.0/16" },		/* AWS clears host bits */
	{ "100.68.0.18/18", "100.68.0.0/18" },		/* the API's own example */
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "203.0.113.1/32", "203.0.113.1/32" },
	{ "192.168.1.255/25", "192.168.1.128/25" },
	{ "::/0", "::/0" },
	{ "fd00::1/64", "fd00::/64" },
	{ "2001:db8::ff/128", "2001:db8::ff/128" },
	{ "2001:db8:1234:5678::/33", "2001:db8::/33" },
	{ "10.0.0.1", NULL },				/* no prefix */
	{ "10.0.0.1/33", NULL },
	{ "fd00::/129", NULL },
	{ "10.0.0.1/", NULL },
	{ "10.0.0.1/08", NULL },
	{ "10.0.0.1/-1", NULL },
	{ "10.0.0.256/8", NULL },
	{ "/8", NULL },
	{ "", NULL },
	{ "fd00::1/64x", NULL },
};

START_TEST(test_parse_table)
{
	char buf[CIDR_STRLEN];
	struct cidr c;
	int ret = cidr_parse(parse_cases[_i].in, &c);

	if (!parse_cases[_i].canonical) {
		ck_assert_int_eq(ret, -1);
		ck_assert_int_eq(errno, EINVAL);
		return;
	}
	ck_assert_int_eq(ret, 0);
	ck_assert_str_eq(cidr_format(&c, buf, sizeof(buf)), parse_cases[_i].canonical);
}
END_TEST

static void addr_of(const char *s, uint8_t *family, uint8_t out[16])
{
	memset(out, 0, 16);
	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(*family, s, out), 1);
}

static const struct {
	const char *cidr, *addr;
	bool in;
} contain_cases[] = {
	{ "10.0.0.0/8", "10.255.1.2", true },
	{ "10.0.0.0/8", "11.0.0.1", false },
	{ "192.168.1.128/25", "192.168.1.127", false },
	{ "192.168.1.128/25", "192.168.1.128", true },
	{ "192.168.1.128/25", "192.168.1.255", true },
	{ "0.0.0.0/0", "8.8.8.8", true },
	{ "203.0.113.1/32", "203.0.113.1", true },
	{ "203.0.113.1/32", "203.0.113.2", false },
	{ "0.0.0.0/0", "::1", false },		/* families never mix */
	{ "::/0", "10.0.0.1", false },
	{ "::/0", "2001:db8::1", true },
	{ "fd00::/64", "fd00::ffff", true },
	{ "fd00::/64", "fd00:0:0:1::1", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
};

START_TEST(test_contains_table)
{
	uint8_t family, a[16];
	struct cidr c;

	ck_assert_int_eq(cidr_parse(contain_cases[_i].cidr, &c), 0);
	addr_of(contain_cases[_i].addr, &family, a);
	ck_assert_msg(cidr_contains(&c, family, a) == contain_cases[_i].in,
		      "%s in %s", contain_cases[_i].addr, contain_cases[_i].cidr);
}
END_TEST

START_TEST(test_is_any)
{
	struct cidr c;

	ck_assert_int_eq(cidr_parse("0.0.0.0/0", &c), 0);
	ck_assert(cidr_is_any(&c));
	ck_assert_int_eq(cidr_parse("::/0", &c), 0);
	ck_assert(cidr_is_any(&c));
	ck_assert_int_eq(cidr_parse("0.0.0.0/1", &c), 0);
	ck_assert(!cidr_is_any(&c));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("cidr");

	tcase_add_loop_test(tc, test_parse_table, 0, sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_loop_test(tc, test_contains_table, 0, sizeof(contain_cases) / sizeof(contain_cases[0]));
	tcase_add_test(tc, test_is_any);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
