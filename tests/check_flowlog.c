/*
 * Unit tests of flowlog: the records AWS writes for its ping example (with
 * the real judge), aggregation, interval boundaries, NODATA, SKIPDATA, both
 * families, ports, the tcp-flags OR, the extended format and its decided-by
 * text, options, write errors, and four threads counting while a fifth
 * ticks. Time is injected; every test reads the file back line by line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "addr.h"
#include "flow.h"
#include "flowlog.h"
#include "pkt.h"
#include "pktbuild.h"
#include "policy.h"
#include "ruleset.h"
#include "testutil.h"

#define T0 1700000040u		/* a multiple of 60 */
#define MAX_LINES 64
#define HASH_KEY "vpcfw-flowlog-ts"	/* 16 bytes */

/* ---- the log file ------------------------------------------------------- */

struct log {
	char path[64];
	struct flowlog *fl;
};

static void log_open(struct log *l, const struct flowlog_opts *o)
{
	struct flowlog_opts opts = *o;
	int fd;

	strcpy(l->path, "/tmp/check_flowlog.XXXXXX");
	fd = mkstemp(l->path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	opts.path = l->path;
	l->fl = flowlog_open(&opts);
	ck_assert_ptr_nonnull(l->fl);
}

static struct flowlog_opts opts_default(void)
{
	return (struct flowlog_opts) { .path = NULL };
}

/* The file's lines (without newlines), at most MAX_LINES; the count. */
static size_t read_lines(const char *path, char lines[][256])
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	ck_assert_ptr_nonnull(f);
	while (n < MAX_LINES && fgets(lines[n], 256, f)) {
		size_t len = strlen(lines[n]);

		ck_assert_msg(len && lines[n][len - 1] == '\n', "line %zu not ended", n);
		lines[n++][len - 1] = '\0';
	}
	fclose(f);
	return n;
}

/* The file holds exactly these lines (NULL-terminated list). */
static void expect_lines(const char *path, const char *const *want)
{
	static char got[MAX_LINES][256];
	size_t n = read_lines(path, got), i;

	for (i = 0; want[i]; i++) {
		ck_assert_msg(i < n, "line %zu missing: want \"%s\"", i + 1, want[i]);
		ck_assert_str_eq(got[i], want[i]);
	}
	ck_assert_msg(n == i, "%zu lines, want %zu (extra: \"%s\")", n, i,
		      n > i ? got[i] : "");
}

static void log_done(struct log *l)
{
	flowlog_close(l->fl);
	unlink(l->path);
}

/* ---- packets ------------------------------------------------------------ */

struct pspec {
	int proto;		/* 6, 17, 1 (ICMP of the family), or another number */
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t flags;		/* TCP flags, or the ICMP type */
	size_t payload;		/* UDP and other protocols */
};

#define TCP(s, sp, d, dp, f) { 6, s, d, sp, dp, f, 0 }
#define UDP(s, sp, d, dp, n) { 17, s, d, sp, dp, 0, n }
#define ICMP(s, d, type)     { 1, s, d, 0, 0, type, 0 }

static void build(const struct pspec *s, struct pkt *p)
{
	uint8_t buf[PB_MAX];
	size_t n;

	switch (s->proto) {
	case 6:
		n = pb_tcp(buf, s->src, s->sport, s->dst, s->dport, s->flags);
		break;
	case 17:
		n = pb_udp(buf, s->src, s->sport, s->dst, s->dport, s->payload);
		break;
	case 1:
		n = pb_icmp(buf, s->src, s->dst, s->flags, 0, 7);
		break;
	default:
		n = pb_proto(buf, s->src, s->dst, (uint8_t)s->proto, s->payload);
		break;
	}
	ck_assert_int_eq(pkt_parse(p, buf, n, n), PKT_OK);
}

static void send1(struct flowlog *fl, const struct pspec *s, enum dir d,
		  bool accept, const char *rule, uint64_t t)
{
	struct pkt p;

	build(s, &p);
	flowlog_packet(fl, &p, d, accept, rule, t);
}

/* ---- AWS's ping example, judged by the real policy ---------------------- */

/*
 * A ping as `ping` sends it: 84 bytes (20 IP + 8 ICMP + 56 data), the size
 * behind AWS's "4 packets, 336 bytes".
 */
static void ping_pkt(struct pkt *p, const char *src, const char *dst, uint8_t type)
{
	uint8_t buf[PB_MAX];
	size_t n = pb_icmp(buf, src, dst, type, 0, 0x1d2f), i;
	uint32_t sum = 0;

	memset(buf + n, 0xa5, 84 - n);
	buf[2] = 0;
	buf[3] = 84;
	buf[10] = buf[11] = 0;
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	buf[10] = (uint8_t)(~sum >> 8);
	buf[11] = (uint8_t)~sum;
	ck_assert_int_eq(pkt_parse(p, buf, 84, 84), PKT_OK);
	ck_assert_uint_eq(p->len, 84);
}

struct nrule {
	uint32_t num;		/* 0 ends a list */
	bool egress, allow;
	int16_t proto;
	uint16_t from, to;	/* ports (TCP/UDP) */
	const char *cidr;
};

struct srule {
	int16_t proto;		/* 0 ends a list */
	bool egress;
	int32_t from, to;
	const char *cidr;
};

static struct policy *policy_of(const struct nrule *n, const struct srule *s)
{
	struct ruleset *rs = ruleset_new();
	struct policy *pol;

	ck_assert_ptr_nonnull(rs);
	rs->has_nacl = true;
	for (; n->num; n++) {
		struct nacl_entry e = { .number = n->num, .egress = n->egress,
			.allow = n->allow, .proto = n->proto, .port_from = n->from,
			.port_to = n->to, .icmp_type = -1, .icmp_code = -1 };

		ck_assert_int_eq(cidr_parse(n->cidr, &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
	}
	ck_assert_int_eq(ruleset_add_group(rs, "sg-0test", "test"), 0);
	for (; s->proto; s++) {
		struct sg_entry e = { .egress = s->egress, .proto = s->proto,
			.from = s->from, .to = s->to };

		ck_assert_int_eq(cidr_parse(s->cidr, &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
	}
	pol = policy_from_ruleset(rs, true, true);
	ck_assert_ptr_nonnull(pol);
	return pol;
}

#define HOME "203.0.113.12"
#define INST "172.31.16.139"
#define ACCT "123456789010"
#define ENI  "eni-1235b8ca123456789"

/* The times of AWS's records: requests 027..142, replies 094..142. */
static const struct { bool reply; uint64_t t; } ping_seq[] = {
	{ false, 1432917027 }, { false, 1432917065 }, { true, 1432917094 },
	{ false, 1432917100 }, { true, 1432917110 }, { true, 1432917130 },
	{ false, 1432917142 }, { true, 1432917142 },
};

static const struct nrule nacl_in_icmp[] = {
	{ 100, false, true, 1, 0, 0, "0.0.0.0/0" }, { 0 }
};
static const struct nrule nacl_both_icmp[] = {
	{ 100, false, true, 1, 0, 0, "0.0.0.0/0" },
	{ 100, true, true, 1, 0, 0, "0.0.0.0/0" }, { 0 }
};
static const struct srule sg_in_icmp[] = { { 1, false, -1, -1, "0.0.0.0/0" }, { 0 } };
static const struct srule sg_in_ssh[] = { { 6, false, 22, 22, "0.0.0.0/0" }, { 0 } };

static const char *const ping_nacl_drops_reply[] = {
	"2 " ACCT " " ENI " " HOME " " INST " 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
	"2 " ACCT " " ENI " " INST " " HOME " 0 0 1 4 336 1432917094 1432917142 REJECT OK",
	NULL
};
static const char *const ping_both_accept[] = {
	"2 " ACCT " " ENI " " HOME " " INST " 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
	"2 " ACCT " " ENI " " INST " " HOME " 0 0 1 4 336 1432917094 1432917142 ACCEPT OK",
	NULL
};
static const char *const ping_sg_drops_request[] = {
	"2 " ACCT " " ENI " " HOME " " INST " 0 0 1 4 336 1432917027 1432917142 REJECT OK",
	NULL
};
/* decided-by is the last packet's: the last request was a packet of the tracked flow. */
static const char *const ping_extended[] = {
	"version account-id interface-id srcaddr dstaddr srcport dstport protocol "
	"packets bytes start end action log-status tcp-flags decided-by",
	"3 " ACCT " " ENI " " HOME " " INST " 0 0 1 4 336 1432917027 1432917142 "
	"ACCEPT OK 0 nacl-in:100,sg:flow",
	"3 " ACCT " " ENI " " INST " " HOME " 0 0 1 4 336 1432917094 1432917142 "
	"REJECT OK 0 sg:flow,nacl-out:*",
	NULL
};

static const struct ping_case {
	const char *what;
	const struct nrule *nacl;
	const struct srule *sg;
	bool extended;
	const char *const *want;
} ping_cases[] = {
	{ "NACL lacks the reply rule", nacl_in_icmp, sg_in_icmp, false, ping_nacl_drops_reply },
	{ "NACL allows outbound ICMP", nacl_both_icmp, sg_in_icmp, false, ping_both_accept },
	{ "SG denies inbound ICMP", nacl_both_icmp, sg_in_ssh, false, ping_sg_drops_request },
	{ "extended format", nacl_in_icmp, sg_in_icmp, true, ping_extended },
};

START_TEST(test_aws_ping)
{
	const struct ping_case *c = &ping_cases[_i];
	struct policy *pol = policy_of(c->nacl, c->sg);
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	struct flowlog_opts o = { .interval_s = 600, .extended = c->extended,
				  .account_id = ACCT, .interface_id = ENI };
	uint64_t mono = 1000;
	size_t i, want_n = 0;
	struct log l;

	log_open(&l, &o);
	for (i = 0; i < ARRAY_SIZE(ping_seq); i++) {
		bool reply = ping_seq[i].reply;
		enum dir d = reply ? DIR_OUT : DIR_IN;
		char rule[FLOWLOG_RULE_MAX];
		struct verdict v;
		struct pkt p;

		/* The SG drops the request: the instance never replies. */
		if (reply && c->sg == sg_in_ssh)
			continue;
		ping_pkt(&p, reply ? INST : HOME, reply ? HOME : INST, reply ? 0 : 8);
		policy_judge(pol, ft, &p, d, mono += 1000, &v);
		flowlog_packet(l.fl, &p, d, v.accept,
			       flowlog_rule_text(pol, &v, d, rule, sizeof(rule)),
			       ping_seq[i].t);
	}
	/* Nothing before the 10-minute interval [...000, ...600) has ended. */
	ck_assert_int_eq(flowlog_tick(l.fl, 1432917599), 0);
	while (c->want[want_n])
		want_n++;
	ck_assert_msg(flowlog_tick(l.fl, 1432917600) == (int)want_n - c->extended,
		      "%s: wrong record count", c->what);
	expect_lines(l.path, c->want);
	log_done(&l);
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/* ---- aggregation and intervals ------------------------------------------ */

START_TEST(test_aggregate)
{
	static const struct pspec in = UDP("198.51.100.7", 5353, "10.0.1.10", 53, 0);
	static const char *const want[] = {
		/* 10 packets of 28 + 10..19 bytes: 280 + 145 = 425 */
		"2 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 5353 53 17 10 425 1700000043 1700000097 ACCEPT OK",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct pspec s = in;
	struct log l;
	unsigned i;

	log_open(&l, &o);
	for (i = 0; i < 10; i++) {
		s.payload = 10 + i;
		send1(l.fl, &s, DIR_IN, true, NULL, T0 + 3 + 6 * i);
	}
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 59), 0);
	expect_lines(l.path, (const char *const[]){ NULL });
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 1);
	expect_lines(l.path, want);
	/* Written once and forgotten: the next interval is empty. */
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 61), 0);
	log_done(&l);
}
END_TEST

START_TEST(test_interval_boundary)
{
	static const struct pspec s = TCP("10.0.1.10", 40000, "192.0.2.80", 443, TCPF_ACK);
	static const char *const first[] = {
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.80 40000 443 6 2 80 1700000040 1700000099 ACCEPT OK",
		NULL
	};
	static const char *const both[] = {
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.80 40000 443 6 2 80 1700000040 1700000099 ACCEPT OK",
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.80 40000 443 6 1 40 1700000100 1700000100 ACCEPT OK",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct log l;

	log_open(&l, &o);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0 + 59);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0 + 60);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 1);
	expect_lines(l.path, first);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 119), 0);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 120), 1);
	expect_lines(l.path, both);
	log_done(&l);
}
END_TEST

START_TEST(test_nodata)
{
	static const struct pspec s = UDP("10.0.1.10", 123, "192.0.2.1", 123, 48);
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw - - - - - - - 1700000040 1700000100 - NODATA",
		"2 000000000000 eni-vpcfw - - - - - - - 1700000100 1700000160 - NODATA",
		"2 000000000000 eni-vpcfw - - - - - - - 1700000160 1700000220 - NODATA",
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.1 123 123 17 1 76 1700000230 1700000230 ACCEPT OK",
		"2 000000000000 eni-vpcfw - - - - - - - 1700000280 1700000340 - NODATA",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct log l;

	log_open(&l, &o);
	/* The first tick starts the first interval: [T0, T0 + 60). */
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 5), 0);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 1);
	/* Two intervals end at once: one NODATA each. */
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 185), 2);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0 + 190);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 240), 1);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 300), 1);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* A clock jump of more than FLOWLOG_NODATA_RUN intervals: one spanning record. */
START_TEST(test_nodata_run)
{
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw - - - - - - - 1700000040 1700000041 - NODATA",
		"2 000000000000 eni-vpcfw - - - - - - - 1700000041 1700001482 - NODATA",
		NULL
	};
	struct flowlog_opts o = { .interval_s = 1 };
	struct log l;

	log_open(&l, &o);
	ck_assert_int_eq(flowlog_tick(l.fl, T0), 0);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 1), 1);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 1 + FLOWLOG_NODATA_RUN + 1), 1);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/*
 * Directions and actions: each direction its own record with src and dst
 * as the packet had them; one flow partly accepted and partly rejected in
 * an interval makes two records. Records come in first-seen order.
 */
START_TEST(test_direction_action)
{
	static const struct pspec req = UDP("198.51.100.7", 40000, "10.0.1.10", 53, 20);
	static const struct pspec rsp = UDP("10.0.1.10", 53, "198.51.100.7", 40000, 100);
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 40000 53 17 2 96 1700000041 1700000050 ACCEPT OK",
		"2 000000000000 eni-vpcfw 10.0.1.10 198.51.100.7 53 40000 17 1 128 1700000042 1700000042 ACCEPT OK",
		"2 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 40000 53 17 1 48 1700000045 1700000045 REJECT OK",
		"2 000000000000 eni-vpcfw 10.0.1.10 198.51.100.7 53 40000 17 2 256 1700000046 1700000051 REJECT OK",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct log l;

	log_open(&l, &o);
	send1(l.fl, &req, DIR_IN, true, NULL, T0 + 1);
	send1(l.fl, &rsp, DIR_OUT, true, NULL, T0 + 2);
	send1(l.fl, &req, DIR_IN, false, NULL, T0 + 5);
	send1(l.fl, &rsp, DIR_OUT, false, NULL, T0 + 6);
	send1(l.fl, &req, DIR_IN, true, NULL, T0 + 10);
	send1(l.fl, &rsp, DIR_OUT, false, NULL, T0 + 11);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 4);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* ---- families, protocols, ports ----------------------------------------- */

START_TEST(test_families_protocols)
{
	static const struct {
		struct pspec s;
		enum dir d;
	} pk[] = {
		{ TCP("2001:db8::7", 50514, "fd00:10::a", 22, TCPF_SYN), DIR_IN },
		{ ICMP("fd00:10::a", "2001:db8::7", 128), DIR_OUT },
		{ ICMP("10.0.1.10", "192.0.2.9", 8), DIR_OUT },
		{ UDP("fd00:10::a", 5000, "2001:db8::7", 6000, 12), DIR_OUT },
		{ { 47, "192.0.2.9", "10.0.1.10", 0, 0, 0, 30 }, DIR_IN },
		{ { 50, "2001:db8::7", "fd00:10::a", 0, 0, 0, 40 }, DIR_IN },
	};
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw 2001:db8::7 fd00:10::a 50514 22 6 1 60 1700000040 1700000040 ACCEPT OK",
		"2 000000000000 eni-vpcfw fd00:10::a 2001:db8::7 0 0 58 1 48 1700000041 1700000041 ACCEPT OK",
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.9 0 0 1 1 28 1700000042 1700000042 ACCEPT OK",
		"2 000000000000 eni-vpcfw fd00:10::a 2001:db8::7 5000 6000 17 1 60 1700000043 1700000043 ACCEPT OK",
		"2 000000000000 eni-vpcfw 192.0.2.9 10.0.1.10 0 0 47 1 50 1700000044 1700000044 ACCEPT OK",
		"2 000000000000 eni-vpcfw 2001:db8::7 fd00:10::a 0 0 50 1 80 1700000045 1700000045 ACCEPT OK",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct log l;
	size_t i;

	log_open(&l, &o);
	for (i = 0; i < ARRAY_SIZE(pk); i++)
		send1(l.fl, &pk[i].s, pk[i].d, true, NULL, T0 + i);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), (int)ARRAY_SIZE(pk));
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* Non-first fragments carry no ports: a record of their own, ports 0. */
START_TEST(test_fragments)
{
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 4000 53 17 1 36 1700000040 1700000040 ACCEPT OK",
		"2 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 0 0 17 1 36 1700000041 1700000041 ACCEPT OK",
		NULL
	};
	struct flowlog_opts o = opts_default();
	uint8_t buf[PB_MAX], frag[PB_MAX];
	size_t n = pb_udp(buf, "198.51.100.7", 4000, "10.0.1.10", 53, 100), m;
	struct pkt p;
	struct log l;

	log_open(&l, &o);
	memcpy(frag, buf, n);
	m = pb_fragment(frag, n, 0, 16, 1);
	ck_assert_int_eq(pkt_parse(&p, frag, m, m), PKT_OK);
	flowlog_packet(l.fl, &p, DIR_IN, true, NULL, T0);
	memcpy(frag, buf, n);
	m = pb_fragment(frag, n, 16, 16, 1);
	ck_assert_int_eq(pkt_parse(&p, frag, m, m), PKT_OK);
	ck_assert(p.flags & PKT_F_LATER_FRAG);
	flowlog_packet(l.fl, &p, DIR_IN, true, NULL, T0 + 1);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 2);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* Neighbour discovery and DHCP: never logged, so the interval is empty. */
START_TEST(test_infrastructure_not_logged)
{
	static const struct pspec ns = ICMP("fe80::1", "ff02::1:ff00:2", 135);
	static const struct pspec dhcp = UDP("0.0.0.0", 68, "255.255.255.255", 67, 300);
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw - - - - - - - 1700000040 1700000100 - NODATA",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct log l;

	log_open(&l, &o);
	ck_assert_int_eq(flowlog_tick(l.fl, T0), 0);
	send1(l.fl, &ns, DIR_IN, true, NULL, T0 + 1);
	send1(l.fl, &dhcp, DIR_OUT, true, NULL, T0 + 2);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 1);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* ---- tcp-flags and the extended format ---------------------------------- */

#define HDR_EXT "version account-id interface-id srcaddr dstaddr srcport dstport " \
	"protocol packets bytes start end action log-status tcp-flags decided-by"

/*
 * AWS's encoding: SYN from the client 2, SYN-ACK from the server 18, FIN
 * 1 OR-ed in; a whole short connection in one interval gives AWS's own
 * example values, 3 from the client and 19 from the server. RST is 4,
 * other protocols 0.
 */
START_TEST(test_tcp_flags)
{
	static const struct {
		struct pspec s;
		enum dir d;
		unsigned dt;
	} pk[] = {
		/* interval 1: the handshake */
		{ TCP("198.51.100.7", 40000, "10.0.1.10", 80, TCPF_SYN), DIR_IN, 1 },
		{ TCP("10.0.1.10", 80, "198.51.100.7", 40000, TCPF_SYN | TCPF_ACK), DIR_OUT, 1 },
		{ TCP("198.51.100.7", 40000, "10.0.1.10", 80, TCPF_ACK), DIR_IN, 2 },
		/* interval 2: data and close; ACK and PSH are not reported */
		{ TCP("198.51.100.7", 40000, "10.0.1.10", 80, TCPF_PSH | TCPF_ACK), DIR_IN, 61 },
		{ TCP("10.0.1.10", 80, "198.51.100.7", 40000, TCPF_FIN | TCPF_ACK), DIR_OUT, 62 },
		{ TCP("198.51.100.7", 40000, "10.0.1.10", 80, TCPF_FIN | TCPF_ACK), DIR_IN, 63 },
		/* interval 3: a whole connection, then a reset one and UDP */
		{ TCP("198.51.100.7", 40001, "10.0.1.10", 80, TCPF_SYN), DIR_IN, 121 },
		{ TCP("10.0.1.10", 80, "198.51.100.7", 40001, TCPF_SYN | TCPF_ACK), DIR_OUT, 121 },
		{ TCP("198.51.100.7", 40001, "10.0.1.10", 80, TCPF_ACK), DIR_IN, 121 },
		{ TCP("198.51.100.7", 40001, "10.0.1.10", 80, TCPF_FIN | TCPF_ACK), DIR_IN, 122 },
		{ TCP("10.0.1.10", 80, "198.51.100.7", 40001, TCPF_FIN | TCPF_ACK), DIR_OUT, 122 },
		{ TCP("198.51.100.7", 40002, "10.0.1.10", 80, TCPF_SYN), DIR_IN, 123 },
		{ TCP("198.51.100.7", 40002, "10.0.1.10", 80, TCPF_RST | TCPF_ACK), DIR_IN, 123 },
		{ UDP("198.51.100.7", 40003, "10.0.1.10", 53, 0), DIR_IN, 124 },
	};
	static const char *const want[] = {
		HDR_EXT,
		"3 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 40000 80 6 2 80 1700000041 1700000042 ACCEPT OK 2 -",
		"3 000000000000 eni-vpcfw 10.0.1.10 198.51.100.7 80 40000 6 1 40 1700000041 1700000041 ACCEPT OK 18 -",
		"3 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 40000 80 6 2 80 1700000101 1700000103 ACCEPT OK 1 -",
		"3 000000000000 eni-vpcfw 10.0.1.10 198.51.100.7 80 40000 6 1 40 1700000102 1700000102 ACCEPT OK 1 -",
		"3 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 40001 80 6 3 120 1700000161 1700000162 ACCEPT OK 3 -",
		"3 000000000000 eni-vpcfw 10.0.1.10 198.51.100.7 80 40001 6 2 80 1700000161 1700000162 ACCEPT OK 19 -",
		"3 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 40002 80 6 2 80 1700000163 1700000163 ACCEPT OK 6 -",
		"3 000000000000 eni-vpcfw 198.51.100.7 10.0.1.10 40003 53 17 1 28 1700000164 1700000164 ACCEPT OK 0 -",
		NULL
	};
	struct flowlog_opts o = { .extended = true };
	struct log l;
	size_t i;

	log_open(&l, &o);
	for (i = 0; i < ARRAY_SIZE(pk); i++)
		send1(l.fl, &pk[i].s, pk[i].d, true, NULL, T0 + pk[i].dt);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 180), 8);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/*
 * The decided-by text of the record's last packet, made one field (a space
 * would shift every later column); NODATA and SKIPDATA have `-` for both
 * extra fields; the header line is written once, not again when an
 * extended log is reopened to append.
 */
START_TEST(test_extended_fields)
{
	static const struct pspec s = UDP("10.0.1.10", 5000, "192.0.2.1", 53, 4);
	static const char *const want[] = {
		HDR_EXT,
		"3 111122223333 eni-0abc 10.0.1.10 192.0.2.1 5000 53 17 2 64 1700000041 1700000042 REJECT OK 0 sg-out:my_group#1",
		"3 111122223333 eni-0abc - - - - - - - 1700000100 1700000160 - NODATA - -",
		"3 111122223333 eni-0abc 10.0.1.10 192.0.2.1 5000 53 17 1 32 1700000161 1700000161 REJECT OK 0 -",
		NULL
	};
	struct flowlog_opts o = { .extended = true, .account_id = "111122223333",
				  .interface_id = "eni-0abc", .path = NULL };
	struct log l;

	log_open(&l, &o);
	send1(l.fl, &s, DIR_OUT, false, "nacl-out:*", T0 + 1);
	send1(l.fl, &s, DIR_OUT, false, "sg-out:my group#1", T0 + 2);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 1);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 120), 1);
	flowlog_close(l.fl);
	o.path = l.path;
	l.fl = flowlog_open(&o);
	ck_assert_ptr_nonnull(l.fl);
	send1(l.fl, &s, DIR_OUT, false, NULL, T0 + 121);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 180), 1);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* ---- the cap, late packets, the clock, close ---------------------------- */

/*
 * max_records 2: the third flow of the interval is not counted, one
 * SKIPDATA record follows the interval's records; packets of the records
 * already held still count; the next interval has the pool back.
 */
START_TEST(test_cap_skipdata)
{
	static const struct pspec a = UDP("198.51.100.1", 1000, "10.0.1.10", 53, 0);
	static const struct pspec b = UDP("198.51.100.2", 1000, "10.0.1.10", 53, 0);
	static const struct pspec c = UDP("198.51.100.3", 1000, "10.0.1.10", 53, 0);
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw 198.51.100.1 10.0.1.10 1000 53 17 2 56 1700000041 1700000044 ACCEPT OK",
		"2 000000000000 eni-vpcfw 198.51.100.2 10.0.1.10 1000 53 17 1 28 1700000042 1700000042 ACCEPT OK",
		"2 000000000000 eni-vpcfw - - - - - - - 1700000040 1700000100 - SKIPDATA",
		"2 000000000000 eni-vpcfw 198.51.100.3 10.0.1.10 1000 53 17 1 28 1700000101 1700000101 ACCEPT OK",
		"2 000000000000 eni-vpcfw 198.51.100.1 10.0.1.10 1000 53 17 1 28 1700000102 1700000102 ACCEPT OK",
		"2 000000000000 eni-vpcfw - - - - - - - 1700000160 1700000220 - NODATA",
		NULL
	};
	struct flowlog_opts o = { .max_records = 2 };
	struct flowlog_stats st;
	struct log l;

	log_open(&l, &o);
	send1(l.fl, &a, DIR_IN, true, NULL, T0 + 1);
	send1(l.fl, &b, DIR_IN, true, NULL, T0 + 2);
	send1(l.fl, &c, DIR_IN, true, NULL, T0 + 3);	/* skipped */
	send1(l.fl, &a, DIR_IN, true, NULL, T0 + 4);	/* counted */
	send1(l.fl, &c, DIR_IN, false, NULL, T0 + 5);	/* skipped */
	flowlog_stats(l.fl, &st);
	ck_assert_uint_eq(st.pending, 2);
	ck_assert_uint_eq(st.skipped_packets, 2);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 3);
	send1(l.fl, &c, DIR_IN, true, NULL, T0 + 61);
	send1(l.fl, &a, DIR_IN, true, NULL, T0 + 62);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 120), 2);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 180), 1);
	expect_lines(l.path, want);
	flowlog_stats(l.fl, &st);
	ck_assert_uint_eq(st.records, 6);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.skipped_packets, 2);
	ck_assert_uint_eq(st.lost_records, 0);
	log_done(&l);
}
END_TEST

/*
 * A packet judged just as its interval was written (its time before the
 * tick's) counts in the oldest interval still open, at that interval's
 * start, and never makes a second record for an interval already written.
 */
START_TEST(test_late_packet)
{
	static const struct pspec s = UDP("10.0.1.10", 5000, "192.0.2.1", 53, 0);
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.1 5000 53 17 1 28 1700000099 1700000099 ACCEPT OK",
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.1 5000 53 17 2 56 1700000100 1700000105 ACCEPT OK",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct log l;

	log_open(&l, &o);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0 + 59);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 1);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0 + 59);	/* late */
	send1(l.fl, &s, DIR_OUT, true, NULL, T0 + 65);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 120), 1);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* The clock steps back an hour: what is pending is written, intervals restart. */
START_TEST(test_clock_back)
{
	static const struct pspec s = UDP("10.0.1.10", 5000, "192.0.2.1", 53, 0);
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.1 5000 53 17 1 28 1700000161 1700000161 ACCEPT OK",
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.1 5000 53 17 1 28 1699996561 1699996561 ACCEPT OK",
		"2 000000000000 eni-vpcfw - - - - - - - 1699996620 1699996680 - NODATA",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct log l;

	log_open(&l, &o);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 120), 0);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0 + 121);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 120 - 3600), 1);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0 + 121 - 3600);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 180 - 3600), 1);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 240 - 3600), 1);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* close writes what is pending, the interval in progress included, and no NODATA. */
START_TEST(test_close_flushes)
{
	static const struct pspec s = TCP("10.0.1.10", 40000, "192.0.2.80", 443, TCPF_SYN);
	static const char *const want[] = {
		"2 000000000000 eni-vpcfw - - - - - - - 1700000040 1700000100 - NODATA",
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.80 40000 443 6 2 80 1700000110 1700000115 REJECT OK",
		NULL
	};
	struct flowlog_opts o = opts_default();
	struct log l;

	log_open(&l, &o);
	ck_assert_int_eq(flowlog_tick(l.fl, T0), 0);
	send1(l.fl, &s, DIR_OUT, false, NULL, T0 + 70);
	send1(l.fl, &s, DIR_OUT, false, NULL, T0 + 75);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 80), 1);
	flowlog_close(l.fl);
	expect_lines(l.path, want);
	unlink(l.path);
}
END_TEST

/* ---- options and errors ------------------------------------------------- */

START_TEST(test_bad_options)
{
	static const struct flowlog_opts bad[] = {
		{ .path = NULL },
		{ .path = "/tmp/x", .interval_s = FLOWLOG_INTERVAL_MAX + 1 },
		{ .path = "/tmp/x", .account_id = "" },
		{ .path = "/tmp/x", .account_id = "1234 5678" },
		{ .path = "/tmp/x", .interface_id = "eni-\n" },
		{ .path = "/tmp/x", .interface_id =
		  "eni-0123456789012345678901234567890123456789012345678901234567890" },
		{ .path = "/tmp/x", .max_records = FLOWLOG_MAX_RECORDS_MAX + 1 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		ck_assert_msg(!flowlog_open(&bad[i]), "case %zu opened", i);
		ck_assert_int_eq(errno, EINVAL);
	}
	errno = 0;
	ck_assert_ptr_null(flowlog_open(&(struct flowlog_opts){
		.path = "/nonexistent-dir/flow.log" }));
	ck_assert_int_eq(errno, ENOENT);
	/* NULL handles are no-ops, so a daemon without --flow-log can call them. */
	flowlog_packet(NULL, NULL, DIR_IN, true, NULL, T0);
	ck_assert_int_eq(flowlog_tick(NULL, T0), 0);
	flowlog_close(NULL);
}
END_TEST

/* The longest ids pass; an existing default-format log is appended to. */
START_TEST(test_ids_append)
{
	static const struct pspec s = UDP("10.0.1.10", 5000, "192.0.2.1", 53, 0);
	static const char *const want[] = {
		"an older line",
		"2 acct-01234567890123456789012345678901234567890123456789012345678 "
		"eni-vpcfw 10.0.1.10 192.0.2.1 5000 53 17 1 28 1700000040 1700000040 ACCEPT OK",
		NULL
	};
	struct flowlog_opts o = { .account_id =
		"acct-01234567890123456789012345678901234567890123456789012345678" };
	struct log l;
	FILE *f;

	ck_assert_uint_eq(strlen(o.account_id), FLOWLOG_ID_MAX);
	log_open(&l, &(struct flowlog_opts){ .path = NULL });
	flowlog_close(l.fl);
	f = fopen(l.path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("an older line\n", f);
	fclose(f);
	o.path = l.path;
	l.fl = flowlog_open(&o);
	ck_assert_ptr_nonnull(l.fl);
	send1(l.fl, &s, DIR_OUT, true, NULL, T0);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 1);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* ifindex 7 is an ENI with an id; 8 has none. */
static const char *eni_of(void *ctx, unsigned ifindex, char *buf, size_t len)
{
	ck_assert_ptr_eq(ctx, (void *)eni_of);
	if (ifindex != 7)
		return NULL;
	snprintf(buf, len, "eni-0a1b2c3d");
	return buf;
}

/*
 * interface-id: the ENI id of the packet's interface when known, else the
 * default; the same flow on two interfaces is two records, as two ENIs'
 * logs would have it.
 */
START_TEST(test_interface_id)
{
	static const struct pspec s = UDP("10.0.1.10", 5000, "192.0.2.1", 53, 0);
	static const char *const want[] = {
		"2 000000000000 eni-0a1b2c3d 10.0.1.10 192.0.2.1 5000 53 17 2 56 1700000040 1700000041 ACCEPT OK",
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.1 5000 53 17 1 28 1700000042 1700000042 ACCEPT OK",
		"2 000000000000 eni-vpcfw 10.0.1.10 192.0.2.1 5000 53 17 1 28 1700000043 1700000043 ACCEPT OK",
		NULL
	};
	struct flowlog_opts o = { .iface_id = eni_of, .iface_ctx = (void *)eni_of };
	struct log l;
	struct pkt p;
	unsigned i;
	static const struct { unsigned ifindex, t; } seq[] = { { 7, 0 }, { 7, 1 }, { 8, 2 }, { 0, 3 } };

	log_open(&l, &o);
	build(&s, &p);
	for (i = 0; i < ARRAY_SIZE(seq); i++) {
		p.ifindex = seq[i].ifindex;
		flowlog_packet(l.fl, &p, DIR_OUT, true, NULL, T0 + seq[i].t);
	}
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), 3);
	expect_lines(l.path, want);
	log_done(&l);
}
END_TEST

/* A write error is counted and returned, never fatal: the next tick writes again. */
START_TEST(test_write_error)
{
	static const struct pspec s = UDP("10.0.1.10", 5000, "192.0.2.1", 53, 0);
	struct flowlog_opts o = { .path = "/dev/full" };
	struct flowlog_stats st;
	struct flowlog *fl;

	if (access("/dev/full", W_OK) != 0)
		return;		/* no /dev/full in this sandbox */
	fl = flowlog_open(&o);
	ck_assert_ptr_nonnull(fl);
	send1(fl, &s, DIR_OUT, true, NULL, T0);
	send1(fl, &s, DIR_IN, true, NULL, T0);
	errno = 0;
	ck_assert_int_eq(flowlog_tick(fl, T0 + 60), -1);
	ck_assert_int_eq(errno, ENOSPC);
	flowlog_stats(fl, &st);
	ck_assert_uint_eq(st.records, 0);
	ck_assert_uint_eq(st.lost_records, 2);
	ck_assert_uint_eq(st.write_errors, 1);
	ck_assert_uint_eq(st.pending, 0);
	/* Packets are still counted; the next interval fails the same way. */
	send1(fl, &s, DIR_OUT, true, NULL, T0 + 61);
	flowlog_stats(fl, &st);
	ck_assert_uint_eq(st.pending, 1);
	ck_assert_int_eq(flowlog_tick(fl, T0 + 120), -1);
	flowlog_stats(fl, &st);
	ck_assert_uint_eq(st.lost_records, 3);
	ck_assert_uint_eq(st.write_errors, 2);
	flowlog_close(fl);
	/* The extended format's header cannot be written: open fails. */
	o.extended = true;
	errno = 0;
	ck_assert_ptr_null(flowlog_open(&o));
	ck_assert_int_eq(errno, ENOSPC);
}
END_TEST

/*
 * A write cut short (the file size limit): the records wholly written
 * count, the rest are lost; the next record starts on a line of its own
 * instead of continuing the cut one.
 */
START_TEST(test_short_write)
{
	static const struct pspec a = UDP("198.51.100.1", 1000, "10.0.1.10", 53, 0);
	static const struct pspec b = UDP("198.51.100.2", 1000, "10.0.1.10", 53, 0);
	static const char *const rec_a =
		"2 000000000000 eni-vpcfw 198.51.100.1 10.0.1.10 1000 53 17 1 28 1700000040 1700000040 ACCEPT OK";
	static const char *const rec_b =
		"2 000000000000 eni-vpcfw 198.51.100.2 10.0.1.10 1000 53 17 1 28 1700000100 1700000100 ACCEPT OK";
	struct flowlog_opts o = opts_default();
	static char got[MAX_LINES][256];
	struct flowlog_stats st;
	struct rlimit old, lim;
	struct log l;

	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 120;	/* one record and part of the next */
	signal(SIGXFSZ, SIG_IGN);
	log_open(&l, &o);
	send1(l.fl, &a, DIR_IN, true, NULL, T0);
	send1(l.fl, &b, DIR_IN, true, NULL, T0);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	errno = 0;
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 60), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	flowlog_stats(l.fl, &st);
	ck_assert_uint_eq(st.records, 1);
	ck_assert_uint_eq(st.lost_records, 1);
	send1(l.fl, &b, DIR_IN, true, NULL, T0 + 60);
	ck_assert_int_eq(flowlog_tick(l.fl, T0 + 120), 1);
	flowlog_close(l.fl);
	ck_assert_uint_eq(read_lines(l.path, got), 3);
	ck_assert_str_eq(got[0], rec_a);
	ck_assert_uint_eq(strlen(got[1]), 120 - strlen(rec_a) - 1);
	ck_assert(!strncmp(got[1], "2 000000000000 eni-vpcfw 198.51.100.2", strlen(got[1])));
	ck_assert_str_eq(got[2], rec_b);
	unlink(l.path);
}
END_TEST

/* ---- decided-by from real verdicts -------------------------------------- */

/*
 * NACL: inbound 100 allows TCP 22, 110 UDP 53, 120 TCP 80; outbound 100
 * allows TCP and 110 UDP 1024-65535. SG: inbound TCP 22 and UDP 53, no
 * outbound rule; a flow table of 2 flows.
 */
START_TEST(test_rule_text)
{
	static const struct nrule nacl[] = {
		{ 100, false, true, 6, 22, 22, "0.0.0.0/0" },
		{ 110, false, true, 17, 53, 53, "0.0.0.0/0" },
		{ 120, false, true, 6, 80, 80, "0.0.0.0/0" },
		{ 100, true, true, 6, 1024, 65535, "0.0.0.0/0" },
		{ 110, true, true, 17, 1024, 65535, "0.0.0.0/0" }, { 0 }
	};
	static const struct srule sg[] = {
		{ 6, false, 22, 22, "0.0.0.0/0" },
		{ 17, false, 53, 53, "0.0.0.0/0" }, { 0 }
	};
	static const struct {
		struct pspec s;
		enum dir d;
		const char *want;
	} steps[] = {
		{ TCP("198.51.100.7", 40000, "10.0.1.10", 22, TCPF_SYN), DIR_IN,
		  "nacl-in:100,sg-in:sg-0test#1" },
		{ TCP("10.0.1.10", 22, "198.51.100.7", 40000, TCPF_SYN | TCPF_ACK), DIR_OUT,
		  "sg:flow,nacl-out:100" },
		{ TCP("198.51.100.7", 40000, "10.0.1.10", 22, TCPF_ACK), DIR_IN,
		  "nacl-in:100,sg:flow" },
		{ TCP("198.51.100.7", 40001, "10.0.1.10", 23, TCPF_SYN), DIR_IN,
		  "nacl-in:*" },
		{ TCP("198.51.100.7", 40001, "10.0.1.10", 80, TCPF_SYN), DIR_IN,
		  "nacl-in:120,sg-in:none" },
		{ TCP("10.0.1.10", 40002, "198.51.100.7", 443, TCPF_SYN), DIR_OUT,
		  "sg-out:none" },
		{ UDP("198.51.100.7", 5353, "10.0.1.10", 53, 10), DIR_IN,
		  "nacl-in:110,sg-in:sg-0test#2" },
		{ UDP("10.0.1.10", 53, "198.51.100.7", 5353, 10), DIR_OUT,
		  "sg:flow,nacl-out:110" },
		/* Two established flows fill the table of 2. */
		{ TCP("198.51.100.9", 40000, "10.0.1.10", 22, TCPF_SYN), DIR_IN,
		  "nacl-in:100,sg-in:full" },
		{ ICMP("fe80::1", "ff02::1", 134), DIR_IN, "exempt:nd" },
	};
	struct policy *pol = policy_of(nacl, sg);
	struct flow_table *ft = tu_table_of(2, HASH_KEY);
	char buf[FLOWLOG_RULE_MAX], small[12];
	uint64_t mono = 1000;
	struct verdict v;
	struct pkt p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		build(&steps[i].s, &p);
		policy_judge(pol, ft, &p, steps[i].d, mono += 10, &v);
		ck_assert_str_eq(flowlog_rule_text(pol, &v, steps[i].d, buf,
						   sizeof(buf)), steps[i].want);
	}
	/* A short buffer cuts the text, NUL-terminated. */
	build(&steps[0].s, &p);
	policy_judge(pol, ft, &p, DIR_IN, mono += 10, &v);
	ck_assert_str_eq(flowlog_rule_text(pol, &v, DIR_IN, small, sizeof(small)),
			 "nacl-in:100");
	flow_table_free(ft);
	policy_free(pol);
}
END_TEST

/* ---- four threads counting while a fifth ticks -------------------------- */

#define CT_THREADS	4
#define CT_FLOWS	8
#define CT_PACKETS	200000
#define CT_TICKS_MAX	1000

static atomic_uint_least64_t ct_now;
static atomic_bool ct_stop;

struct ct_arg {
	struct flowlog *fl;
	unsigned id;
	uint64_t bytes;
};

static void *ct_sender(void *a)
{
	struct ct_arg *arg = a;
	uint8_t buf[PB_MAX];
	struct pkt p[CT_FLOWS];
	unsigned i, k;

	for (k = 0; k < CT_FLOWS; k++) {
		size_t n = pb_udp(buf, "198.51.100.7", (uint16_t)(1000 + arg->id * CT_FLOWS + k),
				  "10.0.1.10", 53, k * 3 + arg->id);

		if (pkt_parse(&p[k], buf, n, n) != PKT_OK)
			return NULL;
	}
	for (i = 0; i < CT_PACKETS; i++) {
		k = i % CT_FLOWS;
		flowlog_packet(arg->fl, &p[k], k & 1 ? DIR_OUT : DIR_IN, (i / CT_FLOWS) % 3,
			       "sg:flow", atomic_load(&ct_now));
		arg->bytes += p[k].len;
	}
	return arg;
}

static void *ct_ticker(void *a)
{
	struct flowlog *fl = a;
	unsigned n = 0;

	while (!atomic_load(&ct_stop)) {
		if (n++ < CT_TICKS_MAX)
			ck_assert_int_ge(flowlog_tick(fl, atomic_fetch_add(&ct_now, 1) + 1), 0);
		usleep(50);
	}
	return NULL;
}

struct ct_rec {
	char key[160];		/* tuple, action and interval */
	uint64_t interval;
};

static int ct_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ct_rec *)a)->key, ((const struct ct_rec *)b)->key);
}

static int ct_u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sum the OK records; every (flow, action, interval) at most once. */
static void ct_check(const char *path, uint64_t want_packets, uint64_t want_bytes,
		     uint64_t want_records)
{
	size_t cap = (size_t)CT_TICKS_MAX * CT_THREADS * CT_FLOWS * 2 + 64, n = 0, nnd = 0, i;
	struct ct_rec *r = malloc(cap * sizeof(*r));
	uint64_t *nd = malloc(cap * sizeof(*nd));
	uint64_t packets = 0, bytes = 0, lines = 0;
	char line[256], src[64], dst[64], act[16], status[16];
	unsigned sp, dp, proto;
	unsigned long long pk, by, st, en;
	FILE *f = fopen(path, "r");

	ck_assert(r && nd && f);
	while (fgets(line, sizeof(line), f)) {
		lines++;
		if (strstr(line, " NODATA")) {
			ck_assert_int_eq(sscanf(line, "%*s %*s %*s - - - - - - - %llu", &st), 1);
			ck_assert_uint_lt(nnd, cap);
			nd[nnd++] = st;
			continue;
		}
		ck_assert_int_eq(sscanf(line, "2 %*s %*s %63s %63s %u %u %u %llu %llu %llu %llu %15s %15s",
					src, dst, &sp, &dp, &proto, &pk, &by, &st, &en, act, status), 11);
		ck_assert_str_eq(status, "OK");
		ck_assert_uint_eq(st, en);	/* interval 1 s: start and end in it */
		packets += pk;
		bytes += by;
		ck_assert_uint_lt(n, cap);
		snprintf(r[n].key, sizeof(r[n].key), "%s %s %u %u %s %llu", src, dst, sp,
			 dp, act, st);
		r[n++].interval = st;
	}
	fclose(f);
	ck_assert_uint_eq(packets, want_packets);
	ck_assert_uint_eq(bytes, want_bytes);
	ck_assert_uint_eq(lines, want_records);
	qsort(r, n, sizeof(*r), ct_cmp);
	for (i = 1; i < n; i++)
		ck_assert_msg(strcmp(r[i - 1].key, r[i].key), "twice: %s", r[i].key);
	/* A NODATA interval had no record. */
	qsort(nd, nnd, sizeof(*nd), ct_u64cmp);
	for (i = 0; i < n; i++)
		ck_assert_ptr_null(bsearch(&r[i].interval, nd, nnd, sizeof(*nd), ct_u64cmp));
	free(r);
	free(nd);
}

START_TEST(test_concurrent)
{
	struct flowlog_opts o = { .interval_s = 1 };
	struct ct_arg arg[CT_THREADS];
	pthread_t th[CT_THREADS], ticker;
	uint64_t bytes = 0;
	struct flowlog_stats st;
	struct log l;
	unsigned i;

	atomic_store(&ct_now, T0);
	atomic_store(&ct_stop, false);
	log_open(&l, &o);
	ck_assert_int_eq(pthread_create(&ticker, NULL, ct_ticker, l.fl), 0);
	for (i = 0; i < CT_THREADS; i++) {
		arg[i] = (struct ct_arg){ l.fl, i, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, ct_sender, &arg[i]), 0);
	}
	for (i = 0; i < CT_THREADS; i++) {
		void *ret;

		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_ptr_eq(ret, &arg[i]);
		bytes += arg[i].bytes;
	}
	atomic_store(&ct_stop, true);
	ck_assert_int_eq(pthread_join(ticker, NULL), 0);
	ck_assert_int_ge(flowlog_tick(l.fl, atomic_load(&ct_now) + 1), 0);
	flowlog_stats(l.fl, &st);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.skipped_packets, 0);
	flowlog_close(l.fl);
	ct_check(l.path, (uint64_t)CT_THREADS * CT_PACKETS, bytes, st.records);
	unlink(l.path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flowlog");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_aws_ping, 0, ARRAY_SIZE(ping_cases));
	tcase_add_test(tc, test_aggregate);
	tcase_add_test(tc, test_interval_boundary);
	tcase_add_test(tc, test_nodata);
	tcase_add_test(tc, test_nodata_run);
	tcase_add_test(tc, test_direction_action);
	tcase_add_test(tc, test_families_protocols);
	tcase_add_test(tc, test_fragments);
	tcase_add_test(tc, test_infrastructure_not_logged);
	tcase_add_test(tc, test_tcp_flags);
	tcase_add_test(tc, test_extended_fields);
	tcase_add_test(tc, test_cap_skipdata);
	tcase_add_test(tc, test_late_packet);
	tcase_add_test(tc, test_clock_back);
	tcase_add_test(tc, test_close_flushes);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_ids_append);
	tcase_add_test(tc, test_interface_id);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_short_write);
	tcase_add_test(tc, test_rule_text);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
