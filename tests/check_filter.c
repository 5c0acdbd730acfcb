/*
 * Unit tests of the filter grammar of `show flows` and `trace` (filter.h):
 * what it accepts, and that no number wraps, no value is empty, and no key
 * is guessed, each refusal saying why; then what a filter matches.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"
#include "filter.h"
#include "testutil.h"

static char why[160];

static int parse(struct filter *f, const char *s, unsigned keys)
{
	why[0] = '\0';
	return filter_parse(f, s, keys, why, sizeof(why));
}

/* Refused, with errno EINVAL and a reason that holds `want`. */
static void expect_bad(const char *s, unsigned keys, const char *want)
{
	struct filter f;

	errno = 0;
	ck_assert_msg(parse(&f, s, keys) == -1, "accepted: '%s'", s);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(why, want), "'%s': '%s' lacks '%s'", s, why, want);
}

START_TEST(test_empty_matches_all)
{
	struct filter f;

	ck_assert_int_eq(parse(&f, NULL, 0), 0);
	ck_assert_int_eq(f.proto, -1);
	ck_assert_int_eq(f.port, -1);
	ck_assert_int_eq(f.verdict, -1);
	ck_assert(!f.have_addr);
	ck_assert_int_eq(parse(&f, "", FILTER_VERDICT), 0);
	ck_assert_int_eq(parse(&f, "  ", 0), 0);
	ck_assert_int_eq(f.port, -1);
}
END_TEST

START_TEST(test_accepts)
{
	struct filter f;

	ck_assert_int_eq(parse(&f, "proto=tcp port=80 addr=10.0.0.0/8", 0), 0);
	ck_assert_int_eq(f.proto, 6);
	ck_assert_int_eq(f.port, 80);
	ck_assert(f.have_addr);
	ck_assert_int_eq(f.addr.family, AF_INET);
	ck_assert_int_eq(f.addr.plen, 8);
	ck_assert_int_eq(parse(&f, "proto=17 port=0", 0), 0);
	ck_assert_int_eq(f.proto, 17);
	ck_assert_int_eq(f.port, 0);
	ck_assert_int_eq(parse(&f, "port=65535 proto=255", 0), 0);
	ck_assert_int_eq(f.port, 65535);
	ck_assert_int_eq(f.proto, 255);
	/* A bare address is a block of one. */
	ck_assert_int_eq(parse(&f, "addr=10.0.0.1", 0), 0);
	ck_assert_int_eq(f.addr.plen, 32);
	ck_assert_int_eq(parse(&f, "addr=2001:db8::1", 0), 0);
	ck_assert_int_eq(f.addr.family, AF_INET6);
	ck_assert_int_eq(f.addr.plen, 128);
	ck_assert_int_eq(parse(&f, "verdict=drop", FILTER_VERDICT), 0);
	ck_assert_int_eq(f.verdict, 0);
	ck_assert_int_eq(parse(&f, "verdict=accept proto=icmp", FILTER_VERDICT), 0);
	ck_assert_int_eq(f.verdict, 1);
	ck_assert_int_eq(f.proto, 1);
}
END_TEST

START_TEST(test_numbers_range_checked)
{
	/* 4294967376 is 80 modulo 2^32: it must not wrap to it. */
	expect_bad("port=4294967376", 0, "port '4294967376': 0 to 65535");
	expect_bad("port=-1", 0, "port '-1': 0 to 65535");
	expect_bad("port=65536", 0, "0 to 65535");
	expect_bad("port=8o", 0, "0 to 65535");
	expect_bad("port=+80", 0, "0 to 65535");
	expect_bad("port=0x50", 0, "0 to 65535");
	expect_bad("proto=256", 0, "proto '256'");
	expect_bad("proto=4294967302", 0, "0 to 255");
	expect_bad("proto=nope", 0, "a protocol name");
	expect_bad("addr=10.0.0.0/33", 0, "addr '10.0.0.0/33'");
	expect_bad("addr=nowhere", 0, "an address or a CIDR block");
	expect_bad("verdict=maybe", FILTER_VERDICT, "accept or drop");
}
END_TEST

START_TEST(test_empty_values)
{
	expect_bad("port=", 0, "port: an empty value");
	expect_bad("proto=", 0, "proto: an empty value");
	expect_bad("addr=", 0, "addr: an empty value");
	expect_bad("verdict=", FILTER_VERDICT, "verdict: an empty value");
	/* A good word first does not save a bad one after it. */
	expect_bad("proto=tcp port=", 0, "port: an empty value");
}
END_TEST

START_TEST(test_unknown_keys)
{
	expect_bad("colour=red", 0, "unknown filter 'colour' (proto, addr, port)");
	expect_bad("colour=red", FILTER_VERDICT, "(proto, addr, port, verdict)");
	/* verdict= is the trace's: `show flows` has no verdicts. */
	expect_bad("verdict=drop", 0, "unknown filter 'verdict'");
	expect_bad("port", 0, "'port': KEY=VALUE expected");
	expect_bad("Port=80", 0, "unknown filter 'Port'");
}
END_TEST

START_TEST(test_too_long)
{
	char big[300];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "addr=", 5);
	expect_bad(big, 0, "longer than");
}
END_TEST

/* iface=NAME: show flows' key; a flow of an unknown interface matches none. */
START_TEST(test_iface)
{
	static const uint8_t a[16] = { 10, 0, 0, 2 };
	struct filter_tuple t = {
		.family = AF_INET, .proto = 6, .src = a, .dst = a, .iface = "veth1",
	};
	struct filter f;

	expect_bad("iface=eth0", 0, "unknown filter 'iface'");
	expect_bad("colour=red", FILTER_IFACE, "(proto, addr, port, iface)");
	expect_bad("iface=", FILTER_IFACE, "iface: an empty value");
	expect_bad("iface=abcdefghijklmnop", FILTER_IFACE, "1 to 15 characters");
	expect_bad("iface=a/b", FILTER_IFACE, "no '/'");
	ck_assert_int_eq(parse(&f, "iface=veth1 proto=tcp", FILTER_IFACE), 0);
	ck_assert_str_eq(f.iface, "veth1");
	ck_assert(filter_match(&f, &t));
	t.iface = "veth0";
	ck_assert(!filter_match(&f, &t));
	t.iface = NULL;
	ck_assert(!filter_match(&f, &t));
	/* No iface= word: any interface, known or not. */
	ck_assert_int_eq(parse(&f, "proto=tcp", FILTER_IFACE), 0);
	ck_assert(filter_match(&f, &t));
}
END_TEST

/* 10.0.0.2:40000 -> 10.0.0.1:80, TCP unless proto says otherwise. */
static bool matches(const char *filter, uint8_t family, uint8_t proto)
{
	static const uint8_t src[16] = { 10, 0, 0, 2 }, dst[16] = { 10, 0, 0, 1 };
	const struct filter_tuple t = {
		.family = family, .proto = proto, .src = src, .dst = dst,
		.sport = 40000, .dport = 80,
	};
	struct filter f;

	ck_assert_int_eq(parse(&f, filter, FILTER_VERDICT), 0);
	return filter_match(&f, &t);
}

START_TEST(test_match)
{
	ck_assert(matches("", AF_INET, 6));
	ck_assert(matches("proto=tcp port=80", AF_INET, 6));
	ck_assert(matches("port=40000 addr=10.0.0.0/24", AF_INET, 6));
	ck_assert(matches("addr=10.0.0.1", AF_INET, 6));
	ck_assert(!matches("proto=udp", AF_INET, 6));
	ck_assert(!matches("port=81", AF_INET, 6));
	ck_assert(!matches("addr=10.0.1.0/24", AF_INET, 6));
	ck_assert(!matches("addr=::/0", AF_INET, 6));
	/* Ports are TCP's and UDP's: a port filter passes no ICMP. */
	ck_assert(matches("port=80", AF_INET, 17));
	ck_assert(!matches("port=80", AF_INET, 1));
	/* Nothing parsed: no protocol to match, not even 0. */
	ck_assert(!matches("proto=0", 0, 0));
	/* The verdict is the caller's to match. */
	ck_assert(matches("verdict=drop", AF_INET, 6));
}
END_TEST

int main(void)
{
	const tu_test tests[] = {
		test_empty_matches_all, test_accepts, test_numbers_range_checked,
		test_empty_values, test_unknown_keys, test_too_long, test_match,
		test_iface,
	};

	return tu_run_tests("filter", tests, ARRAY_SIZE(tests));
}
