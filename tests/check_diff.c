/*
 * Black-box tests of the policy difference (vpcfw_diff_*, `vpcfw diff`):
 * hand-made cases whose exact lines are known (port ranges and CIDRs split,
 * NACL rules reordered, the '*' deny, the union of security groups, IPv6),
 * and a brute-force check: hundreds of small random rule-set pairs, every
 * packet of a small universe judged under both policies by vpcfw_judge()
 * on real packet bytes, each changed verdict covered by exactly one line of
 * the right sign naming the rules that decided, every unchanged one by none.
 * VPCFW_DIFF_SEED=N replays the pair a failure names (its rules and the
 * diff printed); VPCFW_DIFF_PAIRS=M runs M pairs from there instead.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vpcfw/vpcfw.h>

#include "pktbuild.h"

static struct vpcfw_policy *compile_text(const char *text, unsigned layers)
{
	struct vpcfw_diag *d = vpcfw_diag_new();
	struct vpcfw_rules *r = vpcfw_rules_new();
	struct vpcfw_policy *p;

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(r);
	if (vpcfw_rules_load_buffer(r, "t.rules", text, strlen(text), NULL, d) < 0) {
		vpcfw_diag_print(d, stderr);
		ck_abort_msg("rules do not load:\n%s", text);
	}
	p = vpcfw_policy_compile(r, layers, d);
	if (!p)
		vpcfw_diag_print(d, stderr);
	ck_assert_ptr_nonnull(p);
	vpcfw_diag_free(d);
	return p;
}

/* The diff of two texts as `vpcfw diff` prints it. */
static char *diff_text(const char *old, const char *new, size_t *count)
{
	struct vpcfw_policy *a = compile_text(old, 0), *b = compile_text(new, 0);
	struct vpcfw_diff *df = vpcfw_diff_new(a, b, 0, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(df);
	ck_assert(vpcfw_diff_complete(df));
	ck_assert_int_eq(vpcfw_diff_write(df, false, f), 0);
	fclose(f);
	*count = vpcfw_diff_count(df);
	vpcfw_diff_free(df);
	vpcfw_policy_free(a);
	vpcfw_policy_free(b);
	return buf;
}

static void expect_diff(const char *old, const char *new, const char *want)
{
	size_t n;
	char *got = diff_text(old, new, &n);

	ck_assert_msg(!strcmp(got, want), "diff:\n%s\nwanted:\n%s", got, want);
	free(got);
}

#define NACL_HEAD "nacl a\ninbound\n"
#define SG_WEB "sg web\ninbound\n"

START_TEST(test_port_split)
{
	expect_diff(NACL_HEAD "  100 allow tcp 80-90 0.0.0.0/0\n",
		    NACL_HEAD "  100 allow tcp 85-95 0.0.0.0/0\n",
		    "- nacl-in  tcp from 0.0.0.0/0 port 80-84  no longer allowed (was nacl-in:100 allow; now nacl-in:* deny)\n"
		    "+ nacl-in  tcp from 0.0.0.0/0 port 91-95  now allowed (nacl-in:100 allow; was nacl-in:* deny)\n");
}
END_TEST

START_TEST(test_cidr_split)
{
	/* A range that is no prefix: the fewest CIDRs that make it. */
	expect_diff(NACL_HEAD "  100 allow udp 53 10.0.0.0/24\n",
		    NACL_HEAD "  90 allow udp 53 10.0.0.1/32\n  95 deny udp 53 10.0.0.0/30\n"
		    "  100 allow udp 53 10.0.0.0/24\n",
		    "- nacl-in  udp from 10.0.0.0/32,10.0.0.2/31 port 53  no longer allowed (was nacl-in:100 allow; now nacl-in:95 deny)\n");
	/* Two address ranges with the same change: one line. */
	expect_diff(NACL_HEAD "  100 allow tcp 22 0.0.0.0/0\n",
		    NACL_HEAD "  90 allow tcp 22 10.5.0.0/16\n  100 deny tcp 22 10.0.0.0/8\n"
		    "  110 allow tcp 22 0.0.0.0/0\n",
		    "- nacl-in  tcp from 10.0.0.0/14,10.4.0.0/16,10.6.0.0/15,10.8.0.0/13,10.16.0.0/12,"
		    "10.32.0.0/11,10.64.0.0/10,10.128.0.0/9 port 22  no longer allowed "
		    "(was nacl-in:100 allow; now nacl-in:100 deny)\n");
	/* Each rule that goes says so on its own line. */
	expect_diff(SG_WEB "  tcp 22 10.0.0.0/8\n  tcp 22 192.168.0.0/16\n",
		    SG_WEB,
		    "- sg-in    tcp from 10.0.0.0/8 port 22  no longer allowed (was sg-in:web#1; now sg-in:none)\n"
		    "- sg-in    tcp from 192.168.0.0/16 port 22  no longer allowed (was sg-in:web#2; now sg-in:none)\n");
}
END_TEST

START_TEST(test_nacl_order)
{
	/* The same rules, the numbers swapped: first match turns 10/8 round. */
	expect_diff(NACL_HEAD "  100 allow tcp 22 0.0.0.0/0\n  110 deny tcp 22 10.0.0.0/8\n",
		    NACL_HEAD "  100 deny tcp 22 10.0.0.0/8\n  110 allow tcp 22 0.0.0.0/0\n",
		    "- nacl-in  tcp from 10.0.0.0/8 port 22  no longer allowed (was nacl-in:100 allow; now nacl-in:100 deny)\n");
}
END_TEST

START_TEST(test_star_deny)
{
	/* Every protocol of IPv4 opens; IPv6 still meets its own '*'. */
	expect_diff(NACL_HEAD,
		    NACL_HEAD "  100 allow all 0.0.0.0/0\n",
		    "+ nacl-in  all from 0.0.0.0/0  now allowed (nacl-in:100 allow; was nacl-in:* deny)\n");
	/* Every protocol but TCP: the protocol dimension in ranges. */
	expect_diff(NACL_HEAD "  100 allow tcp all 0.0.0.0/0\n",
		    NACL_HEAD "  100 allow all 0.0.0.0/0\n",
		    "+ nacl-in  proto 0-5 from 0.0.0.0/0  now allowed (nacl-in:100 allow; was nacl-in:* deny)\n"
		    "+ nacl-in  proto 7-255 from 0.0.0.0/0  now allowed (nacl-in:100 allow; was nacl-in:* deny)\n");
}
END_TEST

START_TEST(test_sg_union)
{
	size_t n;
	char *got;

	/* A second group allowing what the first already allows: no change. */
	got = diff_text(SG_WEB "  tcp 22 10.0.0.0/8\n",
			SG_WEB "  tcp 22 10.0.0.0/8\nsg admin\ninbound\n  tcp 22 10.1.0.0/16\n", &n);
	ck_assert_msg(n == 0, "%s", got);
	free(got);
	/* The wider rule leaves; the narrower of another group still allows its part. */
	expect_diff(SG_WEB "  tcp 22 10.0.0.0/8\nsg admin\ninbound\n  tcp 20-22 10.1.0.0/16\n",
		    SG_WEB "sg admin\ninbound\n  tcp 20-22 10.1.0.0/16\n",
		    "- sg-in    tcp from 10.0.0.0/16,10.2.0.0/15,10.4.0.0/14,10.8.0.0/13,10.16.0.0/12,"
		    "10.32.0.0/11,10.64.0.0/10,10.128.0.0/9 port 22  no longer allowed (was sg-in:web#1; now sg-in:none)\n");
}
END_TEST

START_TEST(test_v6_and_icmp)
{
	expect_diff(SG_WEB "  icmpv6 128 ::/0\n",
		    SG_WEB "  tcp 443 ::/0\n  icmpv6 ::/0\n",
		    "+ sg-in    tcp from ::/0 port 443  now allowed (sg-in:web#1; was sg-in:none)\n"
		    "+ sg-in    icmpv6 from ::/0 type 0-127  now allowed (sg-in:web#2; was sg-in:none)\n"
		    "+ sg-in    icmpv6 from ::/0 later fragments  now allowed (sg-in:web#2; was sg-in:none)\n"
		    "+ sg-in    icmpv6 from ::/0 type 129-255  now allowed (sg-in:web#2; was sg-in:none)\n");
	/* An ICMPv6 type on an IPv4 rule: what the parser leaves (type 0) matches it. */
	expect_diff("sg a\ninbound\n", "sg a\ninbound\n  icmpv6 0/0 0.0.0.0/0\n",
		    "+ sg-in    icmpv6 from 0.0.0.0/0 except later fragments  now allowed (sg-in:a#1; was sg-in:none)\n");
	expect_diff(NACL_HEAD "  100 allow icmp 3/4 0.0.0.0/0\n",
		    NACL_HEAD "  100 allow icmp 3 0.0.0.0/0\n",
		    "+ nacl-in  icmp from 0.0.0.0/0 type 3 code 0-3  now allowed (nacl-in:100 allow; was nacl-in:* deny)\n"
		    "+ nacl-in  icmp from 0.0.0.0/0 type 3 code 5-255  now allowed (nacl-in:100 allow; was nacl-in:* deny)\n");
}
END_TEST

START_TEST(test_layer_absent_and_budget)
{
	struct vpcfw_policy *a = compile_text(NACL_HEAD "  100 allow tcp 22 0.0.0.0/0\n" SG_WEB, 0);
	struct vpcfw_policy *b = compile_text(SG_WEB, 0);
	struct vpcfw_diff *df = vpcfw_diff_new(a, b, 0, 0);
	struct vpcfw_change c;

	/* No NACL layer in new: everything the NACL refused now passes it. */
	ck_assert_ptr_nonnull(df);
	ck_assert_uint_gt(vpcfw_diff_count(df), 0);
	ck_assert_int_eq(vpcfw_diff_change(df, 0, &c), 0);
	ck_assert(c.admit);
	ck_assert_str_eq(c.new_rule, "no NACL");
	ck_assert_int_eq(vpcfw_diff_change(df, vpcfw_diff_count(df), &c), -1);
	vpcfw_diff_free(df);
	/* A budget too small for one region: no line, and it says so. */
	df = vpcfw_diff_new(a, b, 0, 1);
	ck_assert_ptr_nonnull(df);
	ck_assert(!vpcfw_diff_complete(df));
	ck_assert_uint_eq(vpcfw_diff_count(df), 0);
	vpcfw_diff_free(df);
	ck_assert_ptr_null(vpcfw_diff_new(a, NULL, 0, 0));
	vpcfw_policy_free(a);
	vpcfw_policy_free(b);
}
END_TEST

/* ---- brute force ---------------------------------------------------------- */

static uint64_t rng;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* The universe: small address, port and ICMP spaces the rules cut. */
#define N_PORTS		9	/* 0-7 and 65535 */
#define ICMP4_T0	40	/* types 40-43: neither queries nor errors */
#define ICMP6_T0	150
#define N_TYPES		4
#define N_CODES		4

static const char *v4_peer[] = {
	"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6",
	"10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.13", "10.0.0.15", "10.0.0.16",
	"10.200.0.1", "192.0.2.1",
};
static const char *v6_peer[] = {
	"fd00::", "fd00::1", "fd00::2", "fd00::3", "fd00::4", "fd00::5", "fd00::6",
	"fd00::7", "fd00::8", "fd00::9", "fd00::d", "fd00::f", "fd00::10",
	"fd00:1::1", "2001:db8::1",
};
#define N_PEERS		(sizeof(v4_peer) / sizeof(v4_peer[0]))

static unsigned port_of(unsigned i)
{
	return i < 8 ? i : 65535;
}

/* A peer prefix inside 10.0.0.0/28 (fd00::/124), or a wider one. */
static void put_cidr(char *out, size_t len, bool v6)
{
	unsigned plen = 28 + rnd(5), host = rnd(16) & ~((1u << (32 - plen)) - 1);

	switch (rnd(8)) {
	case 0:
		snprintf(out, len, "%s", v6 ? "::/0" : "0.0.0.0/0");
		return;
	case 1:
		snprintf(out, len, "%s", v6 ? "fd00::/16" : "10.0.0.0/8");
		return;
	}
	if (v6)
		snprintf(out, len, "fd00::%x/%u", host, plen + 96);
	else
		snprintf(out, len, "10.0.0.%u/%u", host, plen);
}

static void put_ports(char *out, size_t len)
{
	unsigned a = rnd(8), b = a + rnd(3);

	switch (rnd(6)) {
	case 0:
		snprintf(out, len, "all");
		return;
	case 1:
		snprintf(out, len, "%u-65535", a);
		return;
	}
	if (b > 7)
		b = 7;
	if (a == b)
		snprintf(out, len, "%u", a);
	else
		snprintf(out, len, "%u-%u", a, b);
}

/* "tcp 3-5", "icmp 41/2", "icmpv6", "47", "all". */
static void put_what(char *out, size_t len, bool v6, bool sg)
{
	char ports[24];
	unsigned t0 = v6 ? ICMP6_T0 : ICMP4_T0;
	const char *icmp = v6 ? "icmpv6" : "icmp";

	switch (rnd(7)) {
	case 0:
	case 1:
		put_ports(ports, sizeof(ports));
		snprintf(out, len, "tcp %s", ports);
		return;
	case 2:
		put_ports(ports, sizeof(ports));
		snprintf(out, len, "udp %s", ports);
		return;
	case 3:
		if (rnd(3) == 0)
			snprintf(out, len, "%s", icmp);
		else if (rnd(2))
			snprintf(out, len, "%s %u", icmp, t0 + rnd(3));
		else
			snprintf(out, len, "%s %u/%u", icmp, t0 + rnd(3), rnd(3));
		return;
	case 4:
		snprintf(out, len, "47");
		return;
	case 5:
		/* The other family's ICMP: its types are never parsed (0 in the packet). */
		if (rnd(2))
			snprintf(out, len, "%s %u/%u", v6 ? "icmp" : "icmpv6", rnd(2), rnd(2));
		else
			snprintf(out, len, "all");
		return;
	}
	(void)sg;
	snprintf(out, len, "all");
}

struct rset {
	char text[4096];
};

static void gen_rules(struct rset *r)
{
	static const char *dirs[] = { "inbound", "outbound" };
	char what[48], cidr[48];
	size_t off = 0;
	unsigned d, i, n, g;

	off += (size_t)snprintf(r->text + off, sizeof(r->text) - off, "nacl a\n");
	for (d = 0; d < 2; d++) {
		off += (size_t)snprintf(r->text + off, sizeof(r->text) - off, "%s\n", dirs[d]);
		n = rnd(5);
		for (i = 0; i < n; i++) {
			bool v6 = rnd(3) == 0;

			put_what(what, sizeof(what), v6, false);
			put_cidr(cidr, sizeof(cidr), v6);
			/* Numbers from a small set, so that rules trade places. */
			off += (size_t)snprintf(r->text + off, sizeof(r->text) - off,
						"  %u %s %s %s\n", 10 * (i + 1) + rnd(2) * 5,
						rnd(2) ? "allow" : "deny", what, cidr);
		}
	}
	for (g = 0; g < 1 + rnd(2); g++) {
		off += (size_t)snprintf(r->text + off, sizeof(r->text) - off, "sg g%u\n", g);
		for (d = 0; d < 2; d++) {
			off += (size_t)snprintf(r->text + off, sizeof(r->text) - off, "%s\n", dirs[d]);
			n = rnd(4);
			for (i = 0; i < n; i++) {
				bool v6 = rnd(3) == 0;

				put_what(what, sizeof(what), v6, true);
				put_cidr(cidr, sizeof(cidr), v6);
				off += (size_t)snprintf(r->text + off, sizeof(r->text) - off,
							"  %s %s\n", what, cidr);
			}
		}
	}
}

/* One packet of the universe. */
struct upkt {
	bool v6, frag;		/* frag: a non-first fragment */
	unsigned dir, proto, a, b;	/* a: port or ICMP type; b: ICMP code */
	unsigned peer;
};

static size_t build(const struct upkt *u, uint8_t *buf)
{
	const char *peer = u->v6 ? v6_peer[u->peer] : v4_peer[u->peer];
	const char *host = u->v6 ? "fd99::1" : "172.16.0.1";
	const char *src = u->dir ? host : peer, *dst = u->dir ? peer : host;

	if (u->frag)	/* what follows the IP header does not matter */
		return pb_fragment(buf, pb_proto(buf, src, dst, (uint8_t)u->proto, 64),
				   32, 16, 0);
	switch (u->proto) {
	case 6:
		return pb_tcp(buf, src, 40000, dst, (uint16_t)u->a, 0x02);
	case 17:
		return pb_udp(buf, src, 40000, dst, (uint16_t)u->a, 8);
	}
	/* ICMP of the family; the other ICMP is a protocol number like any. */
	if (u->proto == (u->v6 ? 58u : 1u))
		return pb_icmp(buf, src, dst, (uint8_t)u->a, (uint8_t)u->b, 1);
	return pb_proto(buf, src, dst, (uint8_t)u->proto, 8);
}

struct side {
	struct vpcfw_policy *pol[2];		/* NACL only, SG only */
	struct vpcfw_flows *flows[2];		/* per direction: no packet is another's reply */
};

/* Does the verdict of layer li admit u, and which rule decided? */
static bool judge(const struct side *s, unsigned li, const struct upkt *u, char *rule,
		  size_t len)
{
	uint8_t buf[PB_MAX];
	size_t n = build(u, buf);
	struct vpcfw_flows *f = li ? s->flows[u->dir] : NULL;
	struct vpcfw_verdict v;
	char *sp;

	ck_assert_int_eq(vpcfw_judge(s->pol[li], f, buf, n, 0, u->dir ? VPCFW_OUT : VPCFW_IN,
				     1000, &v), 0);
	vpcfw_verdict_rule(s->pol[li], &v, rule, len);
	sp = strstr(rule, " (");	/* "sg-in:g0#1 (new tracked flow)": the name */
	if (sp)
		*sp = '\0';
	return v.accept;
}

static bool in_range(const struct vpcfw_addr_range *r, const uint8_t a[16])
{
	return memcmp(r->first, a, 16) <= 0 && memcmp(a, r->last, 16) <= 0;
}

static bool peer_in(const struct vpcfw_diff *df, size_t i, const struct vpcfw_change *c,
		    const uint8_t peer[16])
{
	struct vpcfw_addr_range r;
	size_t j;

	for (j = 0; j < c->n_peers; j++) {
		ck_assert_int_eq(vpcfw_diff_peer(df, i, j, &r), 0);
		if (in_range(&r, peer))
			return true;
	}
	return false;
}

static bool line_has(const struct vpcfw_diff *df, size_t i, unsigned li,
		     const struct upkt *u, const uint8_t peer[16])
{
	struct vpcfw_change c;

	ck_assert_int_eq(vpcfw_diff_change(df, i, &c), 0);
	if (c.layer != (li ? VPCFW_LAYER_SG : VPCFW_LAYER_NACL) ||
	    c.dir != (u->dir ? VPCFW_OUT : VPCFW_IN) || c.ip_version != (u->v6 ? 6u : 4u) ||
	    u->proto < c.proto_lo || u->proto > c.proto_hi)
		return false;
	if (!(u->frag ? c.later_fragments : c.first_packets))
		return false;
	if (u->frag)
		return peer_in(df, i, &c, peer);
	if ((u->proto == 6 || u->proto == 17) && (u->a < c.port_lo || u->a > c.port_hi))
		return false;
	if ((u->proto == 1 || u->proto == 58) &&
	    (u->a < c.type_lo || u->a > c.type_hi || u->b < c.code_lo || u->b > c.code_hi))
		return false;
	return peer_in(df, i, &c, peer);
}

static void peer_bytes(const struct upkt *u, uint8_t out[16])
{
	uint8_t buf[PB_MAX];
	size_t n = build(u, buf);

	(void)n;
	memset(out, 0, 16);
	/* The peer: the source inbound, the destination outbound, from the header. */
	if (u->v6)
		memcpy(out, buf + (u->dir ? 24 : 8), 16);
	else
		memcpy(out, buf + (u->dir ? 16 : 12), 4);
}

/* Every packet of the universe against the diff's lines. */
static void check_packet(const struct side s[2], const struct vpcfw_diff *df,
			 const struct upkt *u, uint64_t seed)
{
	char before[128], after[128];
	uint8_t peer[16];
	unsigned li;
	size_t i, hits, hit = 0;

	peer_bytes(u, peer);
	for (li = 0; li < 2; li++) {
		bool a = judge(&s[0], li, u, before, sizeof(before));
		bool b = judge(&s[1], li, u, after, sizeof(after));
		struct vpcfw_change c;

		for (i = hits = 0; i < vpcfw_diff_count(df); i++)
			if (line_has(df, i, li, u, peer)) {
				hits++;
				hit = i;
			}
		ck_assert_msg(hits == (a != b ? 1u : 0u),
			      "seed %llu: %s %s proto %u%s a %u b %u peer %s: %s -> %s, %zu lines",
			      (unsigned long long)seed, li ? "sg" : "nacl", u->dir ? "out" : "in",
			      u->proto, u->frag ? " later fragment" : "", u->a, u->b, u->v6 ? v6_peer[u->peer] : v4_peer[u->peer],
			      before, after, hits);
		if (a == b)
			continue;
		vpcfw_diff_change(df, hit, &c);
		ck_assert_msg(c.admit == b && !strncmp(c.old_rule, before, strlen(before)) &&
			      !strncmp(c.new_rule, after, strlen(after)),
			      "seed %llu: line %zu (%s, %s -> %s) for a packet %s -> %s "
			      "(proto %u%s a %u b %u)",
			      (unsigned long long)seed, hit, c.admit ? "+" : "-", c.old_rule,
			      c.new_rule, before, after, u->proto, u->frag ? " later fragment" : "",
			      u->a, u->b);
	}
}

/* ---- the printed peers: a minimal CIDR tiling of the ranges ---------------- */

/* a + 1 over the first nb bytes (big-endian); false on wrap-around. */
static bool addr_inc(uint8_t *a, int nb)
{
	int i;

	for (i = nb - 1; i >= 0; i--)
		if (++a[i])
			return true;
	return false;
}

/* The block's first and last address from its text. */
static void block_span(const char *text, int nb, uint8_t first[16], uint8_t last[16],
		       unsigned *plen)
{
	char buf[64], *slash;
	int i;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	*plen = (unsigned)atoi(slash + 1);
	memset(first, 0, 16);
	ck_assert_int_eq(inet_pton(nb == 4 ? AF_INET : AF_INET6, buf, first), 1);
	memcpy(last, first, 16);
	for (i = (int)*plen; i < nb * 8; i++) {
		ck_assert_msg(!(first[i / 8] & (0x80 >> (i % 8))), "%s: host bits set", text);
		last[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	}
}

/*
 * Every printed line's peers tile its ranges exactly, in order, with
 * aligned blocks, and no two neighbours are the halves of one block (the
 * fewest blocks).
 */
static void check_printed_peers(const struct vpcfw_diff *df, uint64_t seed)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0, i = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(vpcfw_diff_write(df, false, f), 0);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		struct vpcfw_change c;
		struct vpcfw_addr_range r;
		char *w = strstr(line, " from ") ? strstr(line, " from ") + 6 : strstr(line, " to ") + 4;
		char *end = strchr(w, ' '), *blk, *bsave = NULL;
		uint8_t next[16], first[16], last[16], pfirst[16];
		unsigned plen, pplen = 0;
		size_t j = 0;
		int nb;
		bool more = true, have_prev = false;

		ck_assert_int_eq(vpcfw_diff_change(df, i, &c), 0);
		nb = c.ip_version == 4 ? 4 : 16;
		*end = '\0';
		ck_assert_int_eq(vpcfw_diff_peer(df, i, 0, &r), 0);
		memcpy(next, r.first, 16);
		for (blk = strtok_r(w, ",", &bsave); blk; blk = strtok_r(NULL, ",", &bsave)) {
			block_span(blk, nb, first, last, &plen);
			ck_assert_msg(more && !memcmp(first, next, 16), "seed %llu: line %zu: %s out of place",
				      (unsigned long long)seed, i, blk);
			ck_assert_msg(!have_prev || plen != pplen || plen == 0 ||
				      memcmp(pfirst, first, (plen - 1) / 8) ||
				      (pfirst[(plen - 1) / 8] ^ first[(plen - 1) / 8]) !=
				      (0x80 >> ((plen - 1) % 8)) ||
				      (pfirst[(plen - 1) / 8] & (0x80 >> ((plen - 1) % 8))),
				      "seed %llu: line %zu: %s and the block before make one",
				      (unsigned long long)seed, i, blk);
			memcpy(pfirst, first, 16);
			pplen = plen;
			have_prev = true;
			memcpy(next, last, 16);
			more = addr_inc(next, nb);
			if (!memcmp(last, r.last, 16) && ++j < c.n_peers) {
				ck_assert_int_eq(vpcfw_diff_peer(df, i, j, &r), 0);
				memcpy(next, r.first, 16);
				have_prev = false;	/* a gap: no merging across it */
			}
		}
		ck_assert_msg(j == c.n_peers, "seed %llu: line %zu: %zu of %zu ranges printed",
			      (unsigned long long)seed, i, j, c.n_peers);
	}
	ck_assert_uint_eq(i, vpcfw_diff_count(df));
	free(text);
}

static void universe(const struct side s[2], const struct vpcfw_diff *df, uint64_t seed)
{
	static const unsigned protos[] = { 6, 17, 1, 58, 47, 50 };
	struct upkt u;
	unsigned pi, i, j;

	for (u.v6 = false; ; u.v6 = true) {
		for (u.dir = 0; u.dir < 2; u.dir++)
			for (u.peer = 0; u.peer < N_PEERS; u.peer++)
				for (pi = 0; pi < 6; pi++) {
					u.proto = protos[pi];
					u.a = u.b = 0;
					u.frag = true;
					check_packet(s, df, &u, seed);
					u.frag = false;
					if (u.proto == 6 || u.proto == 17) {
						for (i = 0; i < N_PORTS; i++) {
							u.a = port_of(i);
							check_packet(s, df, &u, seed);
						}
					} else if (u.proto == (u.v6 ? 58u : 1u)) {
						for (i = 0; i < N_TYPES; i++)
							for (j = 0; j < N_CODES; j++) {
								u.a = (u.v6 ? ICMP6_T0 : ICMP4_T0) + i;
								u.b = j;
								check_packet(s, df, &u, seed);
							}
					} else {
						check_packet(s, df, &u, seed);
					}
				}
		if (u.v6)
			break;
	}
}

/* The next rule set: a small edit of r (often), or a fresh one. */
static void mutate(const struct rset *r, struct rset *out)
{
	char *lines[64], copy[4096], *save = NULL, *l;
	size_t n = 0, i, off = 0, victim;

	if (rnd(3) == 0) {
		gen_rules(out);
		return;
	}
	strcpy(copy, r->text);
	for (l = strtok_r(copy, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	victim = rnd((unsigned)n);
	for (i = 0; i < n; i++) {
		if (i == victim && lines[i][0] == ' ') {
			if (rnd(2))
				continue;	/* dropped */
			/* Changed: the same number or shape with another action or peer. */
			if (strstr(lines[i], "allow"))
				off += (size_t)snprintf(out->text + off, sizeof(out->text) - off,
					"%.*sdeny%s\n", (int)(strstr(lines[i], "allow") - lines[i]),
					lines[i], strstr(lines[i], "allow") + 5);
			else if (strstr(lines[i], "deny"))
				off += (size_t)snprintf(out->text + off, sizeof(out->text) - off,
					"%.*sallow%s\n", (int)(strstr(lines[i], "deny") - lines[i]),
					lines[i], strstr(lines[i], "deny") + 4);
			continue;
		}
		off += (size_t)snprintf(out->text + off, sizeof(out->text) - off, "%s\n", lines[i]);
	}
}

static void load_side(struct side *s, const char *text)
{
	/* A small table: a pair judges a few thousand packets. */
	static const struct vpcfw_flow_limits lim = { .max_flows = 8192 };

	s->pol[0] = compile_text(text, VPCFW_LAYER_NACL);
	s->pol[1] = compile_text(text, VPCFW_LAYER_SG);
	s->flows[0] = vpcfw_flows_new(&lim);
	s->flows[1] = vpcfw_flows_new(&lim);
	ck_assert(s->flows[0] && s->flows[1]);
}

static void free_side(struct side *s)
{
	vpcfw_policy_free(s->pol[0]);
	vpcfw_policy_free(s->pol[1]);
	vpcfw_flows_free(s->flows[0]);
	vpcfw_flows_free(s->flows[1]);
}

static bool loads(const char *text)
{
	struct vpcfw_diag *d = vpcfw_diag_new();
	struct vpcfw_rules *r = vpcfw_rules_new();
	struct vpcfw_policy *p = NULL;

	if (vpcfw_rules_load_buffer(r, "t.rules", text, strlen(text), NULL, d) == 0)
		p = vpcfw_policy_compile(r, 0, d);
	else
		vpcfw_rules_free(r);
	vpcfw_diag_free(d);
	vpcfw_policy_free(p);
	return p != NULL;
}

START_TEST(test_brute_force)
{
	const char *env = getenv("VPCFW_DIFF_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
	const char *npairs = getenv("VPCFW_DIFF_PAIRS");
	unsigned pairs = npairs ? (unsigned)atoi(npairs) : env ? 1 : 300;
	unsigned k, done = 0, changed = 0;

	fprintf(stderr, "check_diff: brute force, seed %llu (VPCFW_DIFF_SEED=N replays one pair)\n",
		(unsigned long long)seed);
	for (k = 0; k < pairs; k++) {
		uint64_t pseed = seed + k;
		struct rset a, b;
		struct side s[2];
		struct vpcfw_diff *df;
		struct vpcfw_policy *pa, *pb;

		rng = pseed * 0x9e3779b97f4a7c15ull | 1;
		gen_rules(&a);
		mutate(&a, &b);
		if (!loads(a.text) || !loads(b.text))
			continue;	/* a number used twice: not a policy */
		load_side(&s[0], a.text);
		load_side(&s[1], b.text);
		pa = compile_text(a.text, 0);
		pb = compile_text(b.text, 0);
		df = vpcfw_diff_new(pa, pb, 0, 0);
		ck_assert_ptr_nonnull(df);
		ck_assert(vpcfw_diff_complete(df));
		if (env && pairs == 1) {
			fprintf(stderr, "old:\n%s\nnew:\n%s\n", a.text, b.text);
			vpcfw_diff_write(df, false, stderr);
		}
		universe(s, df, pseed);
		check_printed_peers(df, pseed);
		changed += vpcfw_diff_count(df) > 0;
		done++;
		vpcfw_diff_free(df);
		vpcfw_policy_free(pa);
		vpcfw_policy_free(pb);
		free_side(&s[0]);
		free_side(&s[1]);
	}
	fprintf(stderr, "check_diff: %u pairs compared, %u with differences\n", done, changed);
	ck_assert_uint_ge(done, pairs / 2);
	ck_assert_uint_ge(changed, done / 3);
}
END_TEST

static Suite *diff_suite(void)
{
	Suite *s = suite_create("diff");
	TCase *hand = tcase_create("hand"), *brute = tcase_create("brute_force");

	tcase_add_test(hand, test_port_split);
	tcase_add_test(hand, test_cidr_split);
	tcase_add_test(hand, test_nacl_order);
	tcase_add_test(hand, test_star_deny);
	tcase_add_test(hand, test_sg_union);
	tcase_add_test(hand, test_v6_and_icmp);
	tcase_add_test(hand, test_layer_absent_and_budget);
	suite_add_tcase(s, hand);
	tcase_set_timeout(brute, 600);
	tcase_add_test(brute, test_brute_force);
	suite_add_tcase(s, brute);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(diff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
