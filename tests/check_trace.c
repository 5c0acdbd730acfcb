/* Unit tests of trace: the lossy ring, the filters, the line format. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"
#include "pktbuild.h"
#include "policy.h"
#include "testutil.h"
#include "trace.h"

static struct trace_rec rec_of(const uint8_t *buf, size_t n)
{
	struct trace_rec r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pkt_parse(&r.p, buf, n, n), PKT_OK);
	r.sg_rule = -1;
	return r;
}

START_TEST(test_ring_lossy)
{
	struct trace_ring *ring = trace_ring_new(3);	/* 8 records */
	struct trace_rec r, out[16];
	size_t i;

	ck_assert_ptr_nonnull(ring);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 8; i++) {
		r.queue = (uint16_t)i;
		ck_assert(trace_ring_push(ring, &r));
	}
	/* Full: the producer loses the record instead of waiting. */
	ck_assert(!trace_ring_push(ring, &r));
	ck_assert(!trace_ring_push(ring, &r));
	ck_assert_uint_eq(trace_ring_take_lost(ring), 2);
	ck_assert_uint_eq(trace_ring_take_lost(ring), 0);
	ck_assert_uint_eq(trace_ring_pop(ring, out, 3), 3);
	ck_assert_uint_eq(out[0].queue, 0);
	ck_assert_uint_eq(out[2].queue, 2);
	/* Room again, in order, across the wrap. */
	for (i = 0; i < 3; i++) {
		r.queue = (uint16_t)(100 + i);
		ck_assert(trace_ring_push(ring, &r));
	}
	ck_assert_uint_eq(trace_ring_pop(ring, out, 16), 8);
	ck_assert_uint_eq(out[0].queue, 3);
	ck_assert_uint_eq(out[4].queue, 7);
	ck_assert_uint_eq(out[5].queue, 100);
	ck_assert_uint_eq(out[7].queue, 102);
	ck_assert_uint_eq(trace_ring_pop(ring, out, 16), 0);
	trace_ring_free(ring);
}
END_TEST

/* The trace's grammar: filter.h with verdict= (check_filter has the parser's own tests). */
static int parse(struct filter *f, const char *s)
{
	return filter_parse(f, s, FILTER_VERDICT, NULL, 0);
}

START_TEST(test_filter)
{
	uint8_t buf[PB_MAX];
	size_t n = pb_tcp(buf, "10.0.0.2", 40000, "10.0.0.1", 80, 0x02);
	struct trace_rec r = rec_of(buf, n);
	struct filter f;

	r.accept = 0;
	ck_assert_int_eq(parse(&f, ""), 0);
	ck_assert(trace_match(&r, &f));
	ck_assert_int_eq(parse(&f, "proto=tcp port=80"), 0);
	ck_assert(trace_match(&r, &f));
	ck_assert_int_eq(parse(&f, "proto=udp"), 0);
	ck_assert(!trace_match(&r, &f));
	ck_assert_int_eq(parse(&f, "port=40000 addr=10.0.0.0/24"), 0);
	ck_assert(trace_match(&r, &f));
	ck_assert_int_eq(parse(&f, "addr=10.0.1.0/24"), 0);
	ck_assert(!trace_match(&r, &f));
	ck_assert_int_eq(parse(&f, "addr=10.0.0.1"), 0);
	ck_assert(trace_match(&r, &f));
	ck_assert_int_eq(parse(&f, "verdict=accept"), 0);
	ck_assert(!trace_match(&r, &f));
	ck_assert_int_eq(parse(&f, "verdict=drop"), 0);
	ck_assert(trace_match(&r, &f));
	ck_assert_int_eq(parse(&f, "port=65536"), -1);
	ck_assert_int_eq(parse(&f, "proto=nope"), -1);
	ck_assert_int_eq(parse(&f, "colour=red"), -1);
	ck_assert_int_eq(parse(&f, "port"), -1);
}
END_TEST

static struct policy *two_layers(void)
{
	struct ruleset *rs = ruleset_new();
	struct nacl_entry ne;
	struct sg_entry se;

	memset(&ne, 0, sizeof(ne));
	ne.number = 100;
	ne.allow = true;
	ne.proto = 6;
	ne.port_from = ne.port_to = 80;
	ck_assert_int_eq(cidr_parse("0.0.0.0/0", &ne.cidr), 0);
	rs->has_nacl = true;
	ck_assert_int_eq(ruleset_add_nacl(rs, &ne), 0);
	ck_assert_int_ge(ruleset_add_group(rs, "sg-web", "web"), 0);
	memset(&se, 0, sizeof(se));
	se.proto = 6;
	se.from = se.to = 80;
	ck_assert_int_eq(cidr_parse("0.0.0.0/0", &se.cidr), 0);
	ck_assert_int_eq(ruleset_add_sg(rs, &se), 0);
	return policy_from_ruleset(rs, true, true);
}

START_TEST(test_format)
{
	struct policy *pol = two_layers();
	uint8_t buf[PB_MAX];
	size_t n = pb_tcp(buf, "198.51.100.7", 40000, "10.0.0.5", 80, 0x02);
	struct trace_rec r = rec_of(buf, n);
	char line[512];

	ck_assert_ptr_nonnull(pol);
	r.wall_ms = 0;
	r.dir = DIR_IN;
	r.accept = 1;
	r.layer = VL_SG;
	r.sg_outcome = SGO_NEW_TRACKED;
	r.nacl_number = 100;
	r.nacl_allow = 1;
	r.sg_rule = 0;
	r.serial = policy_serial(pol);
	trace_format(&r, pol, NULL, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, " q0 in  tcp 198.51.100.7:40000 -> 10.0.0.5:80 [S] ACCEPT: "
				     "nacl-in:100 allow, then sg-in:sg-web#1 (new tracked flow)\n"));
	/* Outbound: the SG first, then the NACL's '*' rule. */
	n = pb_tcp(buf, "10.0.0.5", 80, "198.51.100.7", 40000, 0x12);
	r = rec_of(buf, n);
	r.dir = DIR_OUT;
	r.layer = VL_NACL;
	r.sg_outcome = SGO_FLOW_REPLY;
	r.nacl_number = 32767;
	trace_format(&r, pol, NULL, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "DROP: sg:flow (tracked reply), then nacl-out:* deny\n"));
	/* A record from older rules names its SG rule by number only. */
	r.sg_rule = 0;
	r.sg_outcome = SGO_NEW_TRACKED;
	r.serial = policy_serial(pol) + 1;
	trace_format(&r, pol, NULL, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "sg-out:#1 of rules since reloaded (new tracked flow)"));
	r.kind = TRACE_MALFORMED;
	r.status = PKT_ERR_HDRLEN;
	trace_format(&r, pol, NULL, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "DROP: malformed (hdrlen)\n"));
	/* The interface, when the caller names it, ends the line. */
	{
		const struct trace_iface eni = { .name = "veth0", .eni = true };
		const struct trace_iface other = { .name = "veth1", .eni = false };

		trace_format(&r, pol, &eni, line, sizeof(line));
		ck_assert_ptr_nonnull(strstr(line, "DROP: malformed (hdrlen) [eni veth0]\n"));
		trace_format(&r, pol, &other, line, sizeof(line));
		ck_assert_ptr_nonnull(strstr(line, "DROP: malformed (hdrlen) [veth1]\n"));
	}
	/* A line never overflows its buffer and still ends in a newline. */
	trace_format(&r, pol, NULL, line, 20);
	ck_assert_uint_eq(strlen(line), 19);
	ck_assert_int_eq(line[18], '\n');
	policy_free(pol);
}
END_TEST

/*
 * trace --compare: both verdicts on one line, each named by the one rule
 * namer, the interface, then the mark where they part; none without a shadow.
 */
START_TEST(test_format_compare)
{
	struct policy *pol = two_layers();
	uint8_t buf[PB_MAX];
	size_t n = pb_tcp(buf, "10.0.0.5", 80, "198.51.100.7", 40000, 0x12);
	struct trace_rec r = rec_of(buf, n);
	const struct trace_iface ifc = { .name = "eth0", .eni = false };
	char line[512];

	ck_assert_ptr_nonnull(pol);
	r.wall_ms = 0;
	r.dir = DIR_OUT;
	r.accept = 1;
	r.layer = VL_SG;
	r.sg_outcome = SGO_FLOW_REPLY;
	r.sg_rule = -1;
	r.serial = policy_serial(pol);
	trace_format_compare(&r, pol, NULL, &ifc, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, " q0 out tcp 10.0.0.5:80 -> 198.51.100.7:40000 [S.]  "
				     "enforced: ACCEPT sg:flow (tracked reply) / shadow: none [eth0]\n"));
	ck_assert(!trace_disagrees(&r));
	/* The shadow, a NACL alone, drops the reply by its '*' rule. */
	r.has_shadow = 1;
	r.sh.accept = 0;
	r.sh.layer = VL_NACL;
	r.sh.nacl_number = 32767;
	r.sh.sg_rule = -1;
	r.sh.serial = policy_serial(pol) + 1;
	ck_assert(trace_disagrees(&r));
	trace_format_compare(&r, pol, NULL, &ifc, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "enforced: ACCEPT sg:flow (tracked reply) / shadow: DROP "
				     "nacl-out:* deny [eth0]  <-- differ\n"));
	/* The plain format stays as it was, whatever the record holds of a shadow. */
	trace_format(&r, pol, &ifc, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "[S.] ACCEPT: sg:flow (tracked reply) [eth0]\n"));
	/* Agreeing verdicts are not marked; a shadow SG rule is named under its policy. */
	r.sh.accept = 1;
	r.sh.layer = VL_SG;
	r.sh.nacl_number = 0;
	r.sh.sg_outcome = SGO_NEW_TRACKED;
	r.sh.sg_rule = 0;
	r.sh.serial = policy_serial(pol);
	trace_format_compare(&r, pol, pol, NULL, line, sizeof(line));
	ck_assert_ptr_nonnull(strstr(line, "/ shadow: ACCEPT sg-out:sg-web#1 (new tracked flow)\n"));
	ck_assert(!trace_disagrees(&r));
	policy_free(pol);
}
END_TEST

int main(void)
{
	const tu_test tests[] = { test_ring_lossy, test_filter, test_format, test_format_compare };

	return tu_run_tests("trace", tests, ARRAY_SIZE(tests));
}
