/*
 * Unit tests for the flow table's TCP window tracking (src/lib/flow_tcp.c):
 * which segments belong to a tracked connection. A RST closes a flow only
 * with an exact number, a FIN moves it only in window, invalid flag
 * combinations belong to no flow, out-of-window segments change nothing
 * and are counted; mid-stream pick-up, sequence wraparound, window scaling
 * and a new connection on an old four-tuple. Packets are raw bytes from
 * pktbuild, parsed by pkt_parse.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "pkt.h"
#include "pktbuild.h"
#include "testutil.h"

static const uint8_t test_key[16] = "vpcfw-tcp-tests";

#define SYN	TCPF_SYN
#define ACK	TCPF_ACK
#define FIN	TCPF_FIN
#define RST	TCPF_RST
#define PSH	TCPF_PSH
#define NOWS	(-1)

#define CISN	1000u
#define SISN	500000u

/* One conversation per test, both families over the same steps. */
static const char *const addrs[2][2] = {
	{ "10.0.0.1", "10.0.0.2" },
	{ "fd00::9", "fd00::2" },
};

struct conv {
	struct flow_table *t;
	const char *cli, *srv;
	uint64_t now;
};

static void conv_init(struct conv *c, int i)
{
	struct flow_params fp;

	flow_params_default(&fp);
	fp.max_flows = 64;
	fp.hash_key = test_key;
	c->t = flow_table_new(&fp);
	ck_assert_ptr_nonnull(c->t);
	c->cli = addrs[i][0];
	c->srv = addrs[i][1];
	c->now = 1000;
}

/* A segment, client to server (c2s) or back. */
static struct pkt seg(const struct conv *c, bool c2s, uint8_t fl,
		      uint32_t seq, uint32_t ack, uint16_t win, int wscale,
		      size_t payload)
{
	struct pb_tcp_seg g = { .flags = fl, .seq = seq, .ack = ack,
				.win = win, .wscale = wscale,
				.payload = payload };
	uint8_t b[PB_MAX];
	struct pkt p;
	size_t n;

	n = c2s ? pb_tcp_seg(b, c->cli, 40000, c->srv, 443, &g) :
		  pb_tcp_seg(b, c->srv, 443, c->cli, 40000, &g);
	ck_assert_int_eq(pkt_parse(&p, b, g.caplen, n), PKT_OK);
	return p;
}

/* Look p up; on a hit return the state after it, on a miss -1. */
static int look(struct conv *c, const struct pkt *p)
{
	struct flow_hit h;

	if (flow_table_lookup(c->t, p, c->now++, &h) == FLOW_MISS)
		return -1;
	return (int)h.state;
}

static int C(struct conv *c, uint8_t fl, uint32_t seq, uint32_t ack,
	     size_t len)
{
	struct pkt p = seg(c, true, fl, seq, ack, 65535, NOWS, len);

	return look(c, &p);
}

static int S(struct conv *c, uint8_t fl, uint32_t seq, uint32_t ack,
	     size_t len)
{
	struct pkt p = seg(c, false, fl, seq, ack, 65535, NOWS, len);

	return look(c, &p);
}

static struct flow_stats stats(struct conv *c)
{
	struct flow_stats s;

	flow_table_stats(c->t, &s);
	return s;
}

static void syn(struct conv *c, uint32_t isn, int wscale)
{
	struct pkt p = seg(c, true, SYN, isn, 0, 65535, wscale, 0);

	ck_assert_int_eq(look(c, &p), -1);
	ck_assert_int_eq(flow_table_insert(c->t, &p, DIR_OUT, c->now++, 1), 0);
}

/* SYN, SYN-ACK, ACK with the ISNs above; the client's next seq is CISN + 1. */
static void handshake(struct conv *c)
{
	syn(c, CISN, NOWS);
	ck_assert_int_eq(S(c, SYN | ACK, SISN, CISN + 1, 0), FLOW_SYN_RECV);
	ck_assert_int_eq(C(c, ACK, CISN + 1, SISN + 1, 0), FLOW_ESTABLISHED);
}

struct listed {
	int state;
	size_t n;
};

static int listed_fn(const struct flow_view *fv, void *ctx)
{
	struct listed *x = ctx;

	x->state = (int)fv->state;
	x->n++;
	return 0;
}

/* The single entry's state as `show flows` would list it. */
static int listed_state(struct conv *c)
{
	struct listed v = { -1, 0 };

	ck_assert_int_eq(flow_table_foreach(c->t, c->now, listed_fn, &v), 0);
	return v.n == 1 ? v.state : -1;
}

/* ---- what pkt_parse gives the tracker ----------------------------------- */

START_TEST(test_parse_fields)
{
	struct pb_tcp_seg g = { .flags = SYN, .seq = 4294967295u, .ack = 7,
				.win = 502, .wscale = 9, .payload = 3 };
	uint8_t b[PB_MAX];
	struct pkt p;
	size_t n;

	n = pb_tcp_seg(b, addrs[_i][0], 1, addrs[_i][1], 2, &g);
	ck_assert_int_eq(pkt_parse(&p, b, n, n), PKT_OK);
	ck_assert_uint_eq(p.tcp_seq, 4294967295u);
	ck_assert_uint_eq(p.tcp_ack, 7);
	ck_assert_uint_eq(p.tcp_win, 502);
	ck_assert_uint_eq(p.tcp_hlen, 24);
	ck_assert_uint_eq(p.tcp_wscale, 9);
	ck_assert_uint_eq(p.len - p.l4_off - p.tcp_hlen, 3);
	/* Options cut off by the capture: the scale is unknown. */
	ck_assert_int_eq(pkt_parse(&p, b, n - 7, n), PKT_OK);
	ck_assert_uint_eq(p.tcp_wscale, PKT_WSCALE_UNKNOWN);
	/* No option, or not a SYN: none. */
	g.wscale = NOWS;
	n = pb_tcp_seg(b, addrs[_i][0], 1, addrs[_i][1], 2, &g);
	ck_assert_int_eq(pkt_parse(&p, b, n, n), PKT_OK);
	ck_assert_uint_eq(p.tcp_wscale, PKT_WSCALE_NONE);
	g.flags = ACK;
	g.wscale = 9;
	n = pb_tcp_seg(b, addrs[_i][0], 1, addrs[_i][1], 2, &g);
	ck_assert_int_eq(pkt_parse(&p, b, n, n), PKT_OK);
	ck_assert_uint_eq(p.tcp_wscale, PKT_WSCALE_NONE);
	/* A malformed option ends the walk. */
	g.flags = SYN;
	n = pb_tcp_seg(b, addrs[_i][0], 1, addrs[_i][1], 2, &g);
	b[n - 3 - 4 + 2] = 9;	/* the option's length runs past the header */
	ck_assert_int_eq(pkt_parse(&p, b, n, n), PKT_OK);
	ck_assert_uint_eq(p.tcp_wscale, PKT_WSCALE_NONE);
}
END_TEST

/* ---- RST ---------------------------------------------------------------- */

/* Exact, +1 and -1 (pf's rule) close the flow, from either side. */
START_TEST(test_rst_exact_closes)
{
	static const int32_t off[3] = { 0, 1, -1 };
	struct conv c;

	conv_init(&c, _i / 6);
	handshake(&c);
	ck_assert_int_eq(C(&c, PSH | ACK, CISN + 1, SISN + 1, 100), FLOW_ESTABLISHED);
	if ((_i / 3) % 2 == 0)
		ck_assert_int_eq(C(&c, RST, CISN + 101 + off[_i % 3], 0, 0),
				 FLOW_CLOSED);
	else
		ck_assert_int_eq(S(&c, RST | ACK, SISN + 1 + off[_i % 3],
				   CISN + 101, 0), FLOW_CLOSED);
	ck_assert_int_eq(listed_state(&c), FLOW_CLOSED);
	ck_assert_uint_eq(stats(&c).tcp_out_of_window, 0);
	flow_table_free(c.t);
}
END_TEST

/*
 * A blind RST (wrong number: far off, or inside the window but not exact)
 * is a miss, changes nothing and is counted; the flow carries data both
 * ways afterwards and an exact RST still closes it.
 */
START_TEST(test_rst_wrong_seq_ignored)
{
	static const uint32_t wrong[] = {
		CISN + 101 + 0x80000000u, CISN + 101 + 2, CISN + 101 + 30000,
		CISN + 101 - 2, CISN,
	};
	struct conv c;
	struct pkt p;
	size_t i;

	conv_init(&c, _i);
	handshake(&c);
	ck_assert_int_eq(C(&c, PSH | ACK, CISN + 1, SISN + 1, 100), FLOW_ESTABLISHED);
	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		ck_assert_int_eq(C(&c, RST, wrong[i], 0, 0), -1);
		ck_assert_int_eq(C(&c, RST | ACK, wrong[i], SISN + 1, 0), -1);
	}
	ck_assert_uint_eq(stats(&c).tcp_out_of_window, 2 * i);
	/* The rules may still allow it as a lone packet: the flow stays. */
	p = seg(&c, true, RST, CISN + 5000, 0, 0, NOWS, 0);
	ck_assert_int_eq(flow_table_insert(c.t, &p, DIR_OUT, c.now++, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(listed_state(&c), FLOW_ESTABLISHED);
	ck_assert_int_eq(S(&c, PSH | ACK, SISN + 1, CISN + 101, 200), FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, ACK, CISN + 101, SISN + 201, 0), FLOW_ESTABLISHED);
	/* A RST from the server must match the server's numbers. */
	ck_assert_int_eq(S(&c, RST, CISN + 101, 0, 0), -1);
	ck_assert_int_eq(S(&c, RST, SISN + 201, 0, 0), FLOW_CLOSED);
	flow_table_free(c.t);
}
END_TEST

/* A RST answering the SYN must acknowledge it: ack = ISN + 1. */
START_TEST(test_rst_answers_syn)
{
	struct conv c;

	conv_init(&c, _i);
	syn(&c, CISN, NOWS);
	ck_assert_int_eq(S(&c, RST | ACK, 0, CISN + 2, 0), -1);
	ck_assert_int_eq(S(&c, RST | ACK, 0, CISN, 0), -1);
	ck_assert_int_eq(S(&c, RST, 0, 0, 0), -1);	/* RFC 793: no ACK, ignored */
	ck_assert_int_eq(S(&c, RST, CISN + 1, 0, 0), -1);
	ck_assert_uint_eq(stats(&c).tcp_out_of_window, 4);
	ck_assert_int_eq(listed_state(&c), FLOW_NEW);
	ck_assert_int_eq(S(&c, RST | ACK, 0, CISN + 1, 0), FLOW_CLOSED);
	flow_table_free(c.t);
}
END_TEST

/* ---- FIN and data ------------------------------------------------------- */

START_TEST(test_fin_out_of_window)
{
	struct conv c;

	conv_init(&c, _i);
	handshake(&c);
	/* Beyond what the server allowed (its window of 65535), and long acked. */
	ck_assert_int_eq(C(&c, FIN | ACK, CISN + 1 + 70000, SISN + 1, 0), -1);
	ck_assert_int_eq(C(&c, FIN | ACK, CISN - 70000, SISN + 1, 0), -1);
	/* Acking what the server never sent. */
	ck_assert_int_eq(C(&c, FIN | ACK, CISN + 1, SISN + 100, 0), -1);
	ck_assert_uint_eq(stats(&c).tcp_out_of_window, 3);
	ck_assert_int_eq(listed_state(&c), FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, FIN | ACK, CISN + 1, SISN + 1, 0), FLOW_FIN_WAIT);
	ck_assert_int_eq(S(&c, FIN | ACK, SISN + 1, CISN + 2, 0), FLOW_LAST_ACK);
	ck_assert_int_eq(C(&c, ACK, CISN + 2, SISN + 2, 0), FLOW_TIME_WAIT);
	flow_table_free(c.t);
}
END_TEST

/* Data within the window passes, retransmissions too; beyond it does not. */
START_TEST(test_data_window)
{
	struct conv c;

	conv_init(&c, _i);
	handshake(&c);
	ck_assert_int_eq(C(&c, ACK, CISN + 1, SISN + 1, 1000), FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, ACK, CISN + 1, SISN + 1, 1000), FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, ACK, CISN + 60001, SISN + 1, 1000), FLOW_ESTABLISHED);
	/* The server acked CISN + 1 with 65535: nothing may start past that. */
	ck_assert_int_eq(C(&c, ACK, CISN + 1 + 65536 + 10, SISN + 1, 10), -1);
	ck_assert_uint_eq(stats(&c).tcp_out_of_window, 1);
	/* Its ack opens the window further. */
	ck_assert_int_eq(S(&c, ACK, SISN + 1, CISN + 61001, 0), FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, ACK, CISN + 1 + 65536 + 10, SISN + 1, 10), FLOW_ESTABLISHED);
	flow_table_free(c.t);
}
END_TEST

/* ---- invalid flags ------------------------------------------------------ */

START_TEST(test_invalid_flags)
{
	static const uint8_t bad[] = {
		SYN | FIN, SYN | RST, SYN | FIN | ACK, FIN, 0, PSH, RST | FIN,
		SYN | ACK | RST, FIN | PSH | TCPF_URG,
	};
	struct conv c;
	size_t i;

	conv_init(&c, _i);
	for (i = 0; i < sizeof(bad); i++) {
		struct pkt p = seg(&c, true, bad[i], CISN, 0, 65535, NOWS, 0);

		ck_assert_int_eq(look(&c, &p), -1);
		ck_assert_int_eq(flow_table_insert(c.t, &p, DIR_OUT, c.now++, 1), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_uint_eq(stats(&c).count, 0);
	ck_assert_uint_eq(stats(&c).tcp_invalid, i);
	handshake(&c);
	ck_assert_int_eq(C(&c, SYN | FIN, CISN + 1, 0, 0), -1);
	ck_assert_int_eq(C(&c, FIN, CISN + 1, 0, 0), -1);
	ck_assert_int_eq(listed_state(&c), FLOW_ESTABLISHED);
	ck_assert_uint_eq(stats(&c).tcp_invalid, i + 2);
	ck_assert_uint_eq(stats(&c).tcp_out_of_window, 0);
	flow_table_free(c.t);
}
END_TEST

/* ---- pick-up, wraparound, scaling, reopening ----------------------------- */

/*
 * Picked up from an ACK (engine restart): liberal until the server has
 * spoken, then the RST rule holds like on any flow.
 */
START_TEST(test_pickup)
{
	struct pkt p;
	struct conv c;

	conv_init(&c, _i);
	p = seg(&c, true, PSH | ACK, 7000000, 9000000, 502, NOWS, 100);
	ck_assert_int_eq(look(&c, &p), -1);
	ck_assert_int_eq(flow_table_insert(c.t, &p, DIR_OUT, c.now++, 1), 0);
	/* The window scale was never seen: 502 may mean 64 KiB or more. */
	ck_assert_int_eq(C(&c, ACK, 7000100, 9000000, 60000), FLOW_ESTABLISHED);
	ck_assert_int_eq(S(&c, PSH | ACK, 9000000, 7060100, 3000), FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, ACK, 7060100, 9003000, 0), FLOW_ESTABLISHED);
	ck_assert_int_eq(S(&c, RST, 9000000 + 0x40000000u, 0, 0), -1);
	ck_assert_int_eq(C(&c, RST, 7060100 + 5, 0, 0), -1);
	/* Acking data the server never sent. */
	ck_assert_int_eq(C(&c, ACK, 7060100, 9003000 + 100000, 0), -1);
	ck_assert_uint_eq(stats(&c).tcp_out_of_window, 3);
	ck_assert_int_eq(S(&c, RST, 9003000, 0, 0), FLOW_CLOSED);
	flow_table_free(c.t);
}
END_TEST

/* A RST from a side not yet seen on a picked-up flow: its number as acked. */
START_TEST(test_pickup_rst_silent_side)
{
	struct pkt p;
	struct conv c;

	conv_init(&c, _i);
	p = seg(&c, true, ACK, 7000000, 9000000, 502, NOWS, 0);
	ck_assert_int_eq(flow_table_insert(c.t, &p, DIR_OUT, c.now++, 1), 0);
	ck_assert_int_eq(S(&c, RST, 9000000 + 12345, 0, 0), -1);
	ck_assert_int_eq(listed_state(&c), FLOW_ESTABLISHED);
	ck_assert_int_eq(S(&c, RST, 9000000, 0, 0), FLOW_CLOSED);
	flow_table_free(c.t);
}
END_TEST

/* Numbers that wrap past 2^32 during the flow. */
START_TEST(test_wraparound)
{
	const uint32_t cisn = 4294967000u, sisn = 4294966000u;
	struct conv c;

	conv_init(&c, _i);
	syn(&c, cisn, NOWS);
	ck_assert_int_eq(S(&c, SYN | ACK, sisn, cisn + 1, 0), FLOW_SYN_RECV);
	ck_assert_int_eq(C(&c, ACK, cisn + 1, sisn + 1, 0), FLOW_ESTABLISHED);
	/* 1000 bytes from 4294967001 end at 705: past zero. */
	ck_assert_int_eq(C(&c, PSH | ACK, cisn + 1, sisn + 1, 1000), FLOW_ESTABLISHED);
	ck_assert_int_eq(S(&c, PSH | ACK, sisn + 1, cisn + 1001, 2000), FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, ACK, cisn + 1001, sisn + 2001, 0), FLOW_ESTABLISHED);
	ck_assert_uint_lt(cisn + 1001, 1000);	/* really wrapped */
	/* Before the wrap is long acked; the exact number after it closes. */
	ck_assert_int_eq(C(&c, RST, cisn + 1, 0, 0), -1);
	ck_assert_int_eq(S(&c, RST, sisn + 1, 0, 0), -1);
	ck_assert_int_eq(C(&c, RST, cisn + 1001, 0, 0), FLOW_CLOSED);
	flow_table_free(c.t);
}
END_TEST

/*
 * Window scaling: with both SYNs carrying the option, the server's 502
 * means 502 << 7 = 64256 bytes; without it in the SYN-ACK, 502 bytes.
 */
START_TEST(test_window_scale)
{
	bool both = _i % 2 == 0;
	struct conv c;
	struct pkt p;

	conv_init(&c, _i / 2);
	syn(&c, CISN, 7);
	p = seg(&c, false, SYN | ACK, SISN, CISN + 1, 65535, both ? 7 : NOWS, 0);
	ck_assert_int_eq(look(&c, &p), FLOW_SYN_RECV);
	p = seg(&c, false, ACK, SISN + 1, CISN + 1, 502, NOWS, 0);
	ck_assert_int_eq(look(&c, &p), FLOW_SYN_RECV);
	ck_assert_int_eq(C(&c, ACK, CISN + 1, SISN + 1, 0), FLOW_ESTABLISHED);
	/*
	 * The SYN-ACK's own window (never scaled) allowed 65535: 60000 bytes
	 * further in fits either way; 100000 further only with the scale.
	 */
	ck_assert_int_eq(C(&c, ACK, CISN + 1 + 60000, SISN + 1, 1000),
			 FLOW_ESTABLISHED);
	p = seg(&c, false, ACK, SISN + 1, CISN + 1 + 61000, 1000, NOWS, 0);
	ck_assert_int_eq(look(&c, &p), FLOW_ESTABLISHED);
	/* Allowed up to 61000 + (1000 << 7) = 189000 with the scale, 62000 without. */
	ck_assert_int_eq(C(&c, ACK, CISN + 1 + 100000, SISN + 1, 1000),
			 both ? FLOW_ESTABLISHED : -1);
	ck_assert_uint_eq(stats(&c).tcp_out_of_window, both ? 0 : 1);
	flow_table_free(c.t);
}
END_TEST

/*
 * A SYN whose options the capture cut off: the scale is unknown, so the
 * flow assumes the largest (a 502-byte window may mean 64 KiB) while its
 * RSTs stay exact.
 */
START_TEST(test_options_not_captured)
{
	struct pb_tcp_seg g = { .flags = SYN, .seq = CISN, .win = 65535,
				.wscale = 7 };
	uint8_t b[PB_MAX];
	struct conv c;
	struct pkt p;
	size_t n;

	conv_init(&c, _i);
	n = pb_tcp_seg(b, c.cli, 40000, c.srv, 443, &g);
	/* The capture ends with the fixed header: the option is not in it. */
	ck_assert_int_eq(pkt_parse(&p, b, n - 4, n), PKT_OK);
	ck_assert_uint_eq(p.tcp_wscale, PKT_WSCALE_UNKNOWN);
	ck_assert_int_eq(flow_table_insert(c.t, &p, DIR_OUT, c.now++, 1), 0);
	p = seg(&c, false, SYN | ACK, SISN, CISN + 1, 65535, 7, 0);
	ck_assert_int_eq(look(&c, &p), FLOW_SYN_RECV);
	ck_assert_int_eq(C(&c, ACK, CISN + 1, SISN + 1, 0), FLOW_ESTABLISHED);
	p = seg(&c, false, ACK, SISN + 1, CISN + 1, 502, NOWS, 0);
	ck_assert_int_eq(look(&c, &p), FLOW_ESTABLISHED);
	/* Past the SYN-ACK's unscaled 65535: only a scale admits it. */
	ck_assert_int_eq(C(&c, ACK, CISN + 1 + 100000, SISN + 1, 1000),
			 FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, RST, CISN + 1 + 100000 + 100, 0, 0), -1);
	ck_assert_int_eq(C(&c, RST, CISN + 1 + 101000, 0, 0), FLOW_CLOSED);
	flow_table_free(c.t);
}
END_TEST

/*
 * A new connection on the four-tuple of a live flow (its end unseen):
 * the SYN passes and changes nothing, the SYN-ACK that acknowledges it
 * restarts the flow; one that does not is refused.
 */
START_TEST(test_reopen)
{
	const uint32_t nisn = CISN + 3000000;
	struct conv c;

	conv_init(&c, _i);
	handshake(&c);
	ck_assert_int_eq(C(&c, SYN, nisn, 0, 0), FLOW_ESTABLISHED);
	ck_assert_int_eq(S(&c, SYN | ACK, SISN + 7000000, nisn + 5, 0), -1);
	ck_assert_int_eq(listed_state(&c), FLOW_ESTABLISHED);
	ck_assert_int_eq(S(&c, SYN | ACK, SISN + 7000000, nisn + 1, 0),
			 FLOW_SYN_RECV);
	ck_assert_int_eq(C(&c, ACK, nisn + 1, SISN + 7000001, 0), FLOW_ESTABLISHED);
	ck_assert_int_eq(C(&c, RST, CISN + 1, 0, 0), -1);
	ck_assert_int_eq(C(&c, RST, nisn + 1, 0, 0), FLOW_CLOSED);
	flow_table_free(c.t);
}
END_TEST

/* An out-of-window segment on TIME_WAIT does not restart the flow. */
START_TEST(test_time_wait_keeps)
{
	struct conv c;
	struct pkt p;

	conv_init(&c, _i);
	handshake(&c);
	ck_assert_int_eq(C(&c, FIN | ACK, CISN + 1, SISN + 1, 0), FLOW_FIN_WAIT);
	ck_assert_int_eq(S(&c, FIN | ACK, SISN + 1, CISN + 2, 0), FLOW_LAST_ACK);
	ck_assert_int_eq(C(&c, ACK, CISN + 2, SISN + 2, 0), FLOW_TIME_WAIT);
	p = seg(&c, true, ACK, CISN + 900000, SISN + 2, 65535, NOWS, 10);
	ck_assert_int_eq(look(&c, &p), -1);
	ck_assert_int_eq(flow_table_insert(c.t, &p, DIR_OUT, c.now++, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(listed_state(&c), FLOW_TIME_WAIT);
	/* A SYN still starts a new connection. */
	syn(&c, CISN + 1000000, NOWS);
	ck_assert_int_eq(listed_state(&c), FLOW_NEW);
	flow_table_free(c.t);
}
END_TEST

static Suite *tcp_suite(void)
{
	Suite *s = suite_create("tcp");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_fields, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("rst");

	tcase_add_loop_test(tc, test_rst_exact_closes, 0, 12);
	tcase_add_loop_test(tc, test_rst_wrong_seq_ignored, 0, 2);
	tcase_add_loop_test(tc, test_rst_answers_syn, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("window");
	tcase_add_loop_test(tc, test_fin_out_of_window, 0, 2);
	tcase_add_loop_test(tc, test_data_window, 0, 2);
	tcase_add_loop_test(tc, test_invalid_flags, 0, 2);
	tcase_add_loop_test(tc, test_wraparound, 0, 2);
	tcase_add_loop_test(tc, test_window_scale, 0, 4);
	tcase_add_loop_test(tc, test_options_not_captured, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("pickup");
	tcase_add_loop_test(tc, test_pickup, 0, 2);
	tcase_add_loop_test(tc, test_pickup_rst_silent_side, 0, 2);
	tcase_add_loop_test(tc, test_reopen, 0, 2);
	tcase_add_loop_test(tc, test_time_wait_keeps, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(tcp_suite());
}
