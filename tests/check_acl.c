/*
 * The compiled network ACL against doc/aws-semantics.md 1.3, on raw packets:
 * first match by number, destination port only, ICMP type/code with -1,
 * protocol -1, one '*' deny per family, source inbound / destination
 * outbound, later fragments, duplicate numbers.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acl.h"
#include "addr.h"
#include "pkt.h"
#include "pktbuild.h"
#include "ruleset.h"
#include "testutil.h"

/* ---- rules and packets from tables -------------------------------------- */

/* One NACL entry: a/b are the port range, or the ICMP type/code for 1 and 58. */
struct rspec {
	uint32_t num;		/* 0 ends a list */
	char dir;		/* 'i' inbound, 'o' outbound */
	char act;		/* 'a' allow, 'd' deny */
	int16_t proto;
	int32_t a, b;
	const char *cidr;
};

#define IN(n, act, pr, a, b, c)  { n, 'i', act, pr, a, b, c }
#define OUT(n, act, pr, a, b, c) { n, 'o', act, pr, a, b, c }
#define END { 0, 0, 0, 0, 0, 0, NULL }

/* One packet: proto 1 means ICMP of the address family (ICMPv6 for IPv6). */
struct pspec {
	int proto;
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t type, code;
	bool later_frag;
};

#define TCP(s, sp, d, dp)   { .proto = 6, .src = s, .dst = d, .sport = sp, .dport = dp }
#define UDP(s, sp, d, dp)   { .proto = 17, .src = s, .dst = d, .sport = sp, .dport = dp }
#define ICMP(s, d, t, c)    { .proto = 1, .src = s, .dst = d, .type = t, .code = c }
#define PROTO(s, d, n)      { .proto = n, .src = s, .dst = d }
#define LFRAG(n, s, d)      { .proto = n, .src = s, .dst = d, .later_frag = true }

static void nacl_from_spec(struct nacl_entry *e, const struct rspec *r)
{
	bool icmp = r->proto == 1 || r->proto == 58;

	memset(e, 0, sizeof(*e));
	e->number = r->num;
	e->egress = r->dir == 'o';
	e->allow = r->act == 'a';
	e->proto = r->proto;
	/* Ports are set even where they must be ignored (proto -1, 47, ...). */
	e->port_from = icmp ? 0 : (uint16_t)r->a;
	e->port_to = icmp ? 0 : (uint16_t)r->b;
	e->icmp_type = icmp ? (int16_t)r->a : -1;
	e->icmp_code = icmp ? (int16_t)r->b : -1;
	ck_assert_msg(cidr_parse(r->cidr, &e->cidr) == 0, "bad cidr %s", r->cidr);
}

static struct ruleset *ruleset_from(const struct rspec *r)
{
	struct ruleset *rs = ruleset_new();
	struct nacl_entry e;

	ck_assert_ptr_nonnull(rs);
	rs->has_nacl = true;
	for (; r->num; r++) {
		nacl_from_spec(&e, r);
		ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
	}
	return rs;
}

static void build_pkt(const struct pspec *s, struct pkt *p)
{
	uint8_t buf[PB_MAX];
	size_t n;

	if (s->later_frag) {
		/* Whatever the protocol, a later fragment is bytes without L4. */
		n = pb_proto(buf, s->src, s->dst, (uint8_t)s->proto, 64);
		n = pb_fragment(buf, n, 16, 24, 0);
	} else if (s->proto == 6) {
		n = pb_tcp(buf, s->src, s->sport, s->dst, s->dport, TCPF_SYN);
	} else if (s->proto == 17) {
		n = pb_udp(buf, s->src, s->sport, s->dst, s->dport, 32);
	} else if (s->proto == 1) {
		n = pb_icmp(buf, s->src, s->dst, s->type, s->code, 7);
	} else {
		n = pb_proto(buf, s->src, s->dst, (uint8_t)s->proto, 32);
	}
	ck_assert_int_eq(pkt_parse(p, buf, n, n), PKT_OK);
	if (s->later_frag)
		ck_assert(!(p->flags & PKT_F_L4) && (p->flags & PKT_F_LATER_FRAG));
}

/* ---- the decision table ------------------------------------------------- */

/* AWS's worked example (nacl_rules): 100 HTTP, 110 HTTPS, then '*'. */
static const struct rspec r_worked[] = {
	IN(110, 'a', 6, 443, 443, "0.0.0.0/0"),
	IN(100, 'a', 6, 80, 80, "0.0.0.0/0"),
	END
};

/* An exception carved out of a wide allow: deny at the lower number. */
static const struct rspec r_deny_first[] = {
	IN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
	IN(90, 'd', 6, 22, 22, "198.51.100.0/24"),
	END
};

/* The classic mistake: the deny after the allow never fires. */
static const struct rspec r_deny_after[] = {
	IN(200, 'd', 6, 22, 22, "198.51.100.0/24"),
	IN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
	END
};

/* Families are independent; a v4 allow-all does nothing for IPv6. */
static const struct rspec r_family[] = {
	IN(50, 'a', -1, 0, 0, "0.0.0.0/0"),
	IN(105, 'a', 6, 80, 80, "::/0"),
	OUT(50, 'a', 6, 443, 443, "::/0"),
	END
};

/* Protocol -1 and other protocols ignore the (deliberately set) ports. */
static const struct rspec r_proto[] = {
	IN(100, 'a', -1, 80, 80, "10.0.0.0/8"),
	IN(110, 'a', 47, 80, 80, "192.0.2.0/24"),
	IN(120, 'd', 17, 53, 53, "0.0.0.0/0"),
	END
};

static const struct rspec r_icmp[] = {
	IN(100, 'a', 1, 8, -1, "0.0.0.0/0"),
	IN(110, 'a', 1, 3, 4, "0.0.0.0/0"),
	IN(120, 'a', 1, -1, 0, "192.0.2.0/24"),
	IN(200, 'a', 1, -1, -1, "10.0.0.0/8"),
	IN(300, 'a', 58, 128, -1, "::/0"),
	IN(310, 'a', 58, 2, 0, "fd00::/8"),
	END
};

/* ICMPv6 (58) with an IPv4 CIDR: the API says type and code are ignored. */
static const struct rspec r_icmpv6_v4[] = {
	IN(100, 'a', 58, 128, 0, "0.0.0.0/0"),
	END
};

/* Inbound rules name the source, outbound rules the destination. */
static const struct rspec r_peer[] = {
	IN(100, 'a', -1, 0, 0, "10.0.0.0/8"),
	OUT(100, 'a', -1, 0, 0, "192.168.0.0/16"),
	OUT(110, 'a', 6, 32768, 65535, "0.0.0.0/0"),
	END
};

/* Later fragments: only rules blind to ports/types may judge them. */
static const struct rspec r_frag[] = {
	IN(100, 'd', 6, 22, 22, "0.0.0.0/0"),
	IN(110, 'a', 6, 0, 65535, "10.0.0.0/8"),
	IN(120, 'a', 17, 53, 53, "0.0.0.0/0"),
	IN(130, 'a', 1, 8, -1, "0.0.0.0/0"),
	IN(140, 'a', 1, -1, -1, "10.0.0.0/8"),
	IN(145, 'a', 1, -1, 0, "192.0.2.0/24"),
	IN(150, 'a', -1, 0, 0, "172.16.0.0/12"),
	IN(160, 'a', 6, 1, 65535, "203.0.113.0/24"),
	IN(200, 'a', 6, 0, 65535, "::/0"),
	IN(210, 'a', 58, 128, -1, "::/0"),
	END
};

struct acl_case {
	const char *what;
	const struct rspec *rules;
	enum dir d;
	struct pspec pkt;
	uint32_t want;
	bool allow;
};

static const struct acl_case cases[] = {
	{ "443 skips 100 and matches 110", r_worked, DIR_IN,
	  TCP("198.51.100.7", 50000, "10.0.0.5", 443), 110, true },
	{ "80 matches 100", r_worked, DIR_IN,
	  TCP("198.51.100.7", 50000, "10.0.0.5", 80), 100, true },
	{ "139 falls to *", r_worked, DIR_IN,
	  TCP("198.51.100.7", 50000, "10.0.0.5", 139), 32767, false },
	{ "443 over IPv6 meets only the v6 *", r_worked, DIR_IN,
	  TCP("2001:db8::7", 50000, "fd00::5", 443), 32768, false },
	{ "outbound has only the * rules", r_worked, DIR_OUT,
	  TCP("10.0.0.5", 443, "198.51.100.7", 50000), 32767, false },

	{ "deny below the allow wins", r_deny_first, DIR_IN,
	  TCP("198.51.100.9", 40000, "10.0.0.5", 22), 90, false },
	{ "deny is port-specific", r_deny_first, DIR_IN,
	  TCP("198.51.100.9", 40000, "10.0.0.5", 80), 100, true },
	{ "deny is source-specific", r_deny_first, DIR_IN,
	  TCP("203.0.113.9", 40000, "10.0.0.5", 22), 100, true },
	{ "deny after the allow never fires", r_deny_after, DIR_IN,
	  TCP("198.51.100.9", 40000, "10.0.0.5", 22), 100, true },

	{ "v4 allow-all matches v4", r_family, DIR_IN,
	  UDP("192.0.2.1", 5000, "10.0.0.5", 53), 50, true },
	{ "v4 allow-all never matches v6", r_family, DIR_IN,
	  UDP("2001:db8::1", 5000, "fd00::5", 53), 32768, false },
	{ "v6 HTTP rule", r_family, DIR_IN,
	  TCP("2001:db8::1", 5000, "fd00::5", 80), 105, true },
	{ "v6 outbound rule never matches v4", r_family, DIR_OUT,
	  TCP("10.0.0.5", 5000, "192.0.2.1", 443), 32767, false },
	{ "v6 outbound rule", r_family, DIR_OUT,
	  TCP("fd00::5", 5000, "2001:db8::1", 443), 50, true },

	{ "proto -1 ignores ports", r_proto, DIR_IN,
	  TCP("10.1.2.3", 1000, "10.0.0.5", 22), 100, true },
	{ "proto -1 takes GRE too", r_proto, DIR_IN,
	  PROTO("10.1.2.3", "10.0.0.5", 47), 100, true },
	{ "proto -1 still needs its CIDR", r_proto, DIR_IN,
	  TCP("11.1.2.3", 1000, "10.0.0.5", 22), 32767, false },
	{ "GRE rule ignores ports", r_proto, DIR_IN,
	  PROTO("192.0.2.7", "10.0.0.5", 47), 110, true },
	{ "GRE rule does not take TCP", r_proto, DIR_IN,
	  TCP("192.0.2.7", 1000, "10.0.0.5", 80), 32767, false },
	{ "UDP rule does not take TCP to the same port", r_proto, DIR_IN,
	  TCP("192.0.2.8", 1000, "10.0.0.5", 53), 32767, false },
	{ "UDP deny", r_proto, DIR_IN,
	  UDP("192.0.2.8", 1000, "10.0.0.5", 53), 120, false },

	{ "ICMP type 8, code -1: echo code 0", r_icmp, DIR_IN,
	  ICMP("198.51.100.1", "10.0.0.5", 8, 0), 100, true },
	{ "ICMP type 8, code -1: any code", r_icmp, DIR_IN,
	  ICMP("198.51.100.1", "10.0.0.5", 8, 5), 100, true },
	{ "ICMP 3/4 exact", r_icmp, DIR_IN,
	  ICMP("198.51.100.1", "10.0.0.5", 3, 4), 110, true },
	{ "ICMP 3/3 is not 3/4", r_icmp, DIR_IN,
	  ICMP("198.51.100.1", "10.0.0.5", 3, 3), 32767, false },
	{ "ICMP type -1, code 0: any type with code 0", r_icmp, DIR_IN,
	  ICMP("192.0.2.1", "10.0.0.5", 0, 0), 120, true },
	{ "ICMP type -1, code 0: not code 1", r_icmp, DIR_IN,
	  ICMP("192.0.2.1", "10.0.0.5", 3, 1), 32767, false },
	{ "ICMP -1/-1 takes everything", r_icmp, DIR_IN,
	  ICMP("10.9.9.9", "10.0.0.5", 13, 0), 200, true },
	{ "ICMPv6 128 with a v6 CIDR", r_icmp, DIR_IN,
	  ICMP("2001:db8::1", "fd00::5", 128, 0), 300, true },
	{ "ICMPv6 129 is not 128", r_icmp, DIR_IN,
	  ICMP("2001:db8::1", "fd00::5", 129, 0), 32768, false },
	{ "ICMPv6 2/0 from fd00::/8", r_icmp, DIR_IN,
	  ICMP("fd00::9", "fd00::5", 2, 0), 310, true },
	{ "ICMPv6 2/0 needs its CIDR", r_icmp, DIR_IN,
	  ICMP("2001:db8::9", "fd00::5", 2, 0), 32768, false },

	{ "58 with a v4 CIDR ignores type/code", r_icmpv6_v4, DIR_IN,
	  PROTO("192.0.2.1", "10.0.0.5", 58), 100, true },
	{ "58 with a v4 CIDR is not ICMP", r_icmpv6_v4, DIR_IN,
	  ICMP("192.0.2.1", "10.0.0.5", 128, 0), 32767, false },
	{ "58 with a v4 CIDR is not ICMPv6 over IPv6", r_icmpv6_v4, DIR_IN,
	  ICMP("2001:db8::1", "fd00::5", 128, 0), 32768, false },

	{ "destination port 80 matches", r_worked, DIR_IN,
	  TCP("198.51.100.7", 5555, "10.0.0.5", 80), 100, true },
	{ "source port 80 does not", r_worked, DIR_IN,
	  TCP("198.51.100.7", 80, "10.0.0.5", 5555), 32767, false },

	{ "inbound: source in the CIDR", r_peer, DIR_IN,
	  TCP("10.1.1.1", 40000, "192.168.1.1", 22), 100, true },
	{ "inbound: destination in the CIDR is not enough", r_peer, DIR_IN,
	  TCP("192.168.1.1", 40000, "10.1.1.1", 22), 32767, false },
	{ "outbound: destination in the CIDR", r_peer, DIR_OUT,
	  TCP("10.1.1.1", 40000, "192.168.1.1", 22), 100, true },
	{ "outbound: source in the CIDR is not enough", r_peer, DIR_OUT,
	  TCP("192.168.1.1", 22, "10.1.1.1", 80), 32767, false },
	{ "outbound ephemeral range", r_peer, DIR_OUT,
	  TCP("192.168.1.1", 22, "10.1.1.1", 40000), 110, true },
	{ "outbound ephemeral range ends at 32768", r_peer, DIR_OUT,
	  TCP("192.168.1.1", 22, "10.1.1.1", 32767), 32767, false },

	{ "first fragment meets the port deny", r_frag, DIR_IN,
	  TCP("10.0.0.1", 40000, "10.0.0.5", 22), 100, false },
	{ "later fragment skips the port deny, meets 0-65535", r_frag, DIR_IN,
	  LFRAG(6, "10.0.0.1", "10.0.0.5"), 110, true },
	{ "later fragment: a port allow does not admit it", r_frag, DIR_IN,
	  LFRAG(6, "192.0.2.1", "10.0.0.5"), 32767, false },
	{ "later fragment: 1-65535 is not every port", r_frag, DIR_IN,
	  LFRAG(6, "203.0.113.1", "10.0.0.5"), 32767, false },
	{ "later UDP fragment: port-53 allow does not admit it", r_frag, DIR_IN,
	  LFRAG(17, "192.0.2.1", "10.0.0.5"), 32767, false },
	{ "later fragment: proto -1 matches normally", r_frag, DIR_IN,
	  LFRAG(17, "172.16.1.1", "10.0.0.5"), 150, true },
	{ "later ICMP fragment: type 8 rule skipped", r_frag, DIR_IN,
	  LFRAG(1, "192.0.2.200", "10.0.0.5"), 32767, false },
	{ "later ICMP fragment: -1/0 is not every value", r_frag, DIR_IN,
	  LFRAG(1, "192.0.2.1", "10.0.0.5"), 32767, false },
	{ "later ICMP fragment: -1/-1 matches", r_frag, DIR_IN,
	  LFRAG(1, "10.0.0.1", "10.0.0.5"), 140, true },
	{ "later IPv6 fragment: 0-65535 matches", r_frag, DIR_IN,
	  LFRAG(6, "2001:db8::1", "fd00::5"), 200, true },
	{ "later ICMPv6 fragment: type 128 rule skipped", r_frag, DIR_IN,
	  LFRAG(58, "2001:db8::1", "fd00::5"), 32768, false },
};

START_TEST(test_decision)
{
	const struct acl_case *c = &cases[_i];
	struct ruleset *rs = ruleset_from(c->rules);
	struct acl *a = acl_compile(rs);
	const struct nacl_entry *e;
	struct pkt p;
	size_t i;

	ck_assert_ptr_nonnull(a);
	build_pkt(&c->pkt, &p);
	e = acl_eval(a, c->d, &p);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(e->number == c->want && e->allow == c->allow,
		      "%s: rule %u %s, want %u %s", c->what, e->number,
		      e->allow ? "allow" : "deny", c->want,
		      c->allow ? "allow" : "deny");
	ck_assert_msg(e->egress == (c->d == DIR_OUT), "%s: wrong direction", c->what);
	ck_assert_msg(e->cidr.family == p.family, "%s: wrong family", c->what);
	/* The reference formula agrees: e matches, nothing before it does. */
	ck_assert(nacl_entry_matches(e, c->d, &p));
	for (i = 0; acl_rule(a, c->d, i) != e; i++)
		ck_assert_msg(!nacl_entry_matches(acl_rule(a, c->d, i), c->d, &p),
			      "%s: earlier rule %u matches", c->what,
			      acl_rule(a, c->d, i)->number);
	acl_free(a);
	ruleset_free(rs);
}
END_TEST

/* ---- compilation -------------------------------------------------------- */

static int compile_errno(const struct rspec *r)
{
	struct ruleset *rs = ruleset_from(r);
	struct acl *a;
	int err;

	errno = 0;
	a = acl_compile(rs);
	err = a ? 0 : errno;
	acl_free(a);
	ruleset_free(rs);
	return err;
}

START_TEST(test_duplicates)
{
	static const struct rspec same_dir[] = {
		IN(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		IN(100, 'd', 6, 22, 22, "10.0.0.0/8"),
		END
	};
	static const struct rspec across_families[] = {
		IN(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		IN(100, 'a', 6, 80, 80, "::/0"),
		END
	};
	static const struct rspec other_dir[] = {
		IN(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		OUT(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		END
	};

	ck_assert_int_eq(compile_errno(same_dir), EINVAL);
	ck_assert_int_eq(compile_errno(across_families), EINVAL);
	ck_assert_int_eq(compile_errno(other_dir), 0);
}
END_TEST

START_TEST(test_bad_numbers)
{
	static const struct rspec zero[] = { IN(0, 'a', -1, 0, 0, "0.0.0.0/0"), END };
	static const struct rspec star[] = {
		IN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		OUT(32767, 'a', -1, 0, 0, "0.0.0.0/0"),
		END
	};
	static const struct rspec max[] = { IN(32766, 'a', -1, 0, 0, "::/0"), END };
	struct ruleset *rs = ruleset_new();
	struct nacl_entry e;

	/* A number 0 entry would end the table: add it by hand. */
	nacl_from_spec(&e, &zero[0]);
	e.number = 0;
	rs->has_nacl = true;
	ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
	errno = 0;
	ck_assert_ptr_null(acl_compile(rs));
	ck_assert_int_eq(errno, EINVAL);
	ruleset_free(rs);

	ck_assert_int_eq(compile_errno(star), EINVAL);
	ck_assert_int_eq(compile_errno(max), 0);
}
END_TEST

START_TEST(test_no_nacl)
{
	struct ruleset *rs = ruleset_new();

	errno = 0;
	ck_assert_ptr_null(acl_compile(rs));
	ck_assert_int_eq(errno, EINVAL);
	/* has_nacl with no entries: a fresh custom NACL, only the '*' rules. */
	rs->has_nacl = true;
	{
		struct acl *a = acl_compile(rs);

		ck_assert_ptr_nonnull(a);
		ck_assert_uint_eq(acl_count(a, DIR_IN), 2);
		ck_assert_uint_eq(acl_count(a, DIR_OUT), 2);
		acl_free(a);
	}
	ruleset_free(rs);
}
END_TEST

START_TEST(test_listing_order)
{
	static const struct rspec r[] = {
		IN(300, 'a', 6, 80, 80, "::/0"),
		OUT(7, 'd', -1, 0, 0, "10.0.0.0/8"),
		IN(100, 'a', 6, 80, 80, "0.0.0.0/0"),
		IN(200, 'd', 17, 53, 53, "::/0"),
		IN(150, 'a', 1, -1, -1, "0.0.0.0/0"),
		END
	};
	static const uint32_t want_in[] = { 100, 150, 200, 300, 32767, 32768 };
	static const uint32_t want_out[] = { 7, 32767, 32768 };
	struct ruleset *rs = ruleset_from(r);
	struct acl *a = acl_compile(rs);
	const struct nacl_entry *e;
	size_t i;

	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(acl_count(a, DIR_IN), ARRAY_SIZE(want_in));
	ck_assert_uint_eq(acl_count(a, DIR_OUT), ARRAY_SIZE(want_out));
	for (i = 0; i < ARRAY_SIZE(want_in); i++)
		ck_assert_uint_eq(acl_rule(a, DIR_IN, i)->number, want_in[i]);
	for (i = 0; i < ARRAY_SIZE(want_out); i++)
		ck_assert_uint_eq(acl_rule(a, DIR_OUT, i)->number, want_out[i]);
	ck_assert_ptr_null(acl_rule(a, DIR_IN, ARRAY_SIZE(want_in)));

	/* The '*' rules: deny, all protocols, the whole family, right direction. */
	e = acl_rule(a, DIR_OUT, 1);
	ck_assert(!e->allow && e->egress && e->proto == PROTO_ALL);
	ck_assert(e->cidr.family == AF_INET && e->cidr.plen == 0);
	e = acl_rule(a, DIR_IN, 5);
	ck_assert(!e->allow && !e->egress && e->proto == PROTO_ALL);
	ck_assert(e->cidr.family == AF_INET6 && e->cidr.plen == 0);
	acl_free(a);
	ruleset_free(rs);
}
END_TEST

/* Entries are copied: the acl outlives the ruleset it came from. */
START_TEST(test_copies_entries)
{
	static const struct rspec r[] = { IN(100, 'a', 6, 22, 22, "10.0.0.0/8"), END };
	static const struct pspec ps = TCP("10.1.1.1", 40000, "10.0.0.5", 22);
	struct ruleset *rs = ruleset_from(r);
	struct acl *a = acl_compile(rs);
	struct pkt p;

	ck_assert_ptr_nonnull(a);
	ruleset_free(rs);
	build_pkt(&ps, &p);
	ck_assert_uint_eq(acl_eval(a, DIR_IN, &p)->number, 100);
	acl_free(a);
}
END_TEST

/* ---- the compact evaluator against the reference formula ---------------- */

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

static const char *const v4_cidrs[] = {
	"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3/32", "192.0.2.0/25",
	"192.0.2.128/25", "10.1.2.2/31",
};
static const char *const v6_cidrs[] = {
	"::/0", "fd00::/8", "fd00:1::/32", "fd00:1::3/128", "fd00:1::2/127",
	"2001:db8::/33", "2001:db8:8000::/33",
};
static const char *const v4_hosts[] = {
	"10.1.2.3", "10.1.2.2", "10.9.9.9", "192.0.2.1", "192.0.2.200", "8.8.8.8",
};
static const char *const v6_hosts[] = {
	"fd00:1::3", "fd00:1::2", "fd00:2::1", "2001:db8::1",
	"2001:db8:ffff::1", "2001:db9::1",
};
static const int16_t protos[] = { -1, 6, 17, 1, 58, 47 };
static const uint16_t ports[] = { 0, 22, 80, 443, 1024, 32768, 65535 };
static const int16_t types[] = { -1, 0, 3, 8, 128, 129 };

static void random_rule(struct nacl_entry *e, uint32_t number)
{
	bool v6 = rnd(2);
	uint16_t a = ports[rnd(ARRAY_SIZE(ports))], b = ports[rnd(ARRAY_SIZE(ports))];

	memset(e, 0, sizeof(*e));
	e->number = number;
	e->egress = rnd(2);
	e->allow = rnd(2);
	e->proto = protos[rnd(ARRAY_SIZE(protos))];
	e->port_from = a < b ? a : b;
	e->port_to = a < b ? b : a;
	e->icmp_type = types[rnd(ARRAY_SIZE(types))];
	e->icmp_code = (int16_t)rnd(3) - 1;
	cidr_parse(v6 ? v6_cidrs[rnd(ARRAY_SIZE(v6_cidrs))] :
			v4_cidrs[rnd(ARRAY_SIZE(v4_cidrs))], &e->cidr);
}

static void random_pkt(struct pkt *p)
{
	bool v6 = rnd(2);
	const char *const *h = v6 ? v6_hosts : v4_hosts;
	struct pspec s = { 0 };
	static const int kinds[] = { 6, 17, 1, 47, 58 };

	s.src = h[rnd(6)];
	s.dst = h[rnd(6)];
	s.proto = kinds[rnd(ARRAY_SIZE(kinds))];
	if (s.proto == 58 && v6)
		s.proto = 1;	/* ICMPv6 proper */
	s.sport = ports[rnd(ARRAY_SIZE(ports))];
	s.dport = ports[rnd(ARRAY_SIZE(ports))];
	s.type = (uint8_t)types[1 + rnd(ARRAY_SIZE(types) - 1)];
	s.code = (uint8_t)rnd(2);
	s.later_frag = rnd(8) == 0;
	build_pkt(&s, p);
}

START_TEST(test_matches_reference)
{
	unsigned round, k;

	for (round = 0; round < 300; round++) {
		struct ruleset *rs = ruleset_new();
		struct nacl_entry e;
		struct acl *a;
		unsigned n = 1 + rnd(12);

		rs->has_nacl = true;
		for (k = 0; k < n; k++) {
			random_rule(&e, 10 * (k + 1) + rnd(5));
			ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
		}
		a = acl_compile(rs);
		ck_assert_ptr_nonnull(a);
		for (k = 0; k < 100; k++) {
			enum dir d = rnd(2) ? DIR_OUT : DIR_IN;
			const struct nacl_entry *got, *want = NULL;
			struct pkt p;
			size_t i;

			random_pkt(&p);
			for (i = 0; i < acl_count(a, d) && !want; i++)
				if (nacl_entry_matches(acl_rule(a, d, i), d, &p))
					want = acl_rule(a, d, i);
			got = acl_eval(a, d, &p);
			ck_assert_ptr_nonnull(want);
			ck_assert_msg(got == want, "round %u: rule %u, reference %u",
				      round, got->number, want->number);
		}
		acl_free(a);
		ruleset_free(rs);
	}
}
END_TEST

static Suite *acl_suite(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("eval");

	tcase_add_loop_test(tc, test_decision, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_matches_reference);
	suite_add_tcase(s, tc);
	tc = tcase_create("compile");
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_bad_numbers);
	tcase_add_test(tc, test_no_nacl);
	tcase_add_test(tc, test_listing_order);
	tcase_add_test(tc, test_copies_entries);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(acl_suite());
}
