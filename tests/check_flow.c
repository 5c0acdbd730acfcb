/*
 * Unit tests for the flow table: state machines per protocol, keys, idle
 * timeouts on an injected clock, expiry, the cap and eviction, the chain
 * cap, listing, untracked entries (listed only, never a hit, giving way to
 * tracked flows), and a multithreaded stress run with a consistency check.
 * Packets are raw bytes from pktbuild, parsed by pkt_parse.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flow.h"
#include "pkt.h"
#include "pktbuild.h"
#include "testutil.h"

static const uint8_t test_key[16] = "vpcfw-flow-test";

#define SEC 1000ull

/* ---- packets and helpers ---------------------------------------------- */

static struct pkt parse(const uint8_t *b, size_t n)
{
	struct pkt p;

	ck_assert_int_eq(pkt_parse(&p, b, n, n), PKT_OK);
	return p;
}

static struct pkt tcp(const char *s, uint16_t sp, const char *d, uint16_t dp,
		      uint8_t fl)
{
	uint8_t b[PB_MAX];

	return parse(b, pb_tcp(b, s, sp, d, dp, fl));
}

static struct pkt udp(const char *s, uint16_t sp, const char *d, uint16_t dp,
		      size_t payload)
{
	uint8_t b[PB_MAX];

	return parse(b, pb_udp(b, s, sp, d, dp, payload));
}

static struct pkt icmp(const char *s, const char *d, uint8_t type,
		       uint16_t id)
{
	uint8_t b[PB_MAX];

	return parse(b, pb_icmp(b, s, d, type, 0, id));
}

static struct pkt proto(const char *s, const char *d, uint8_t pr,
			size_t payload)
{
	uint8_t b[PB_MAX];

	return parse(b, pb_proto(b, s, d, pr, payload));
}

static struct flow_params params(size_t cap)
{
	struct flow_params fp;

	flow_params_default(&fp);
	fp.max_flows = cap;
	fp.hash_key = test_key;
	return fp;
}

static struct flow_table *table(size_t cap)
{
	struct flow_params fp = params(cap);
	struct flow_table *t = flow_table_new(&fp);

	ck_assert_ptr_nonnull(t);
	return t;
}

static struct flow_stats stats(struct flow_table *t)
{
	struct flow_stats s;

	flow_table_stats(t, &s);
	return s;
}

struct collect {
	struct flow_view v[64];
	size_t n;
};

static int collect_fn(const struct flow_view *v, void *ctx)
{
	struct collect *c = ctx;

	if (c->n < 64)
		c->v[c->n] = *v;
	c->n++;
	return 0;
}

static size_t collect(struct flow_table *t, uint64_t now, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(flow_table_foreach(t, now, collect_fn, c), 0);
	return c->n;
}

static enum flow_match look(struct flow_table *t, const struct pkt *p,
			    uint64_t now)
{
	struct flow_hit h;

	return flow_table_lookup(t, p, now, &h);
}

/* ---- TCP state machine vectors ---------------------------------------- */

#define NOINS	(-1)	/* on a miss: do not insert (no rule allows it) */
#define NONE	(-1)	/* no entry in the table */
#define M	FLOW_MISS
#define O	FLOW_HIT_ORIG
#define R	FLOW_HIT_REPLY
#define SYN	TCPF_SYN
#define ACK	TCPF_ACK
#define FIN	TCPF_FIN
#define RST	TCPF_RST
#define PSH	TCPF_PSH
#define NEW	FLOW_NEW
#define SR	FLOW_SYN_RECV
#define ES	FLOW_ESTABLISHED
#define FW	FLOW_FIN_WAIT
#define CW	FLOW_CLOSE_WAIT
#define LA	FLOW_LAST_ACK
#define TW	FLOW_TIME_WAIT
#define CL	FLOW_CLOSED

struct step {
	bool c2s;		/* client -> server, else server -> client */
	uint8_t flags;
	enum flow_match m;	/* expected lookup result */
	int ins;		/* on a miss: insert and expect 0 or this errno; NOINS */
	int state;		/* the only entry's state afterwards, or NONE */
};

#define C(f, m, i, s) { true, (f), (m), (i), (s) }
#define S(f, m, i, s) { false, (f), (m), (i), (s) }
#define HANDSHAKE C(SYN, M, 0, NEW), S(SYN | ACK, R, 0, SR), C(ACK, O, 0, ES)
#define TCP_STEPS_MAX 12

struct tcp_vec {
	const char *name;
	struct step s[TCP_STEPS_MAX];
};

static const struct tcp_vec tcp_vecs[] = {
	{ "handshake", { HANDSHAKE, S(PSH | ACK, R, 0, ES),
			 C(PSH | ACK, O, 0, ES) } },
	{ "syn and syn-ack retransmitted", { C(SYN, M, 0, NEW),
			 C(SYN, O, 0, NEW), S(SYN | ACK, R, 0, SR),
			 S(SYN | ACK, R, 0, SR), C(ACK, O, 0, ES) } },
	/* conntrack: INVALID; out of window here (nothing to ack yet). */
	{ "ack before syn-ack is refused", { C(SYN, M, 0, NEW),
			 C(ACK, M, EINVAL, NEW), S(ACK, M, EINVAL, NEW) } },
	{ "syn-ack from the initiator is refused", { C(SYN, M, 0, NEW),
			 C(SYN | ACK, M, EINVAL, NEW) } },
	{ "ack from the responder keeps syn_recv", { C(SYN, M, 0, NEW),
			 S(SYN | ACK, R, 0, SR), S(ACK, R, 0, SR) } },
	{ "client closes first", { HANDSHAKE, C(FIN | ACK, O, 0, FW),
			 S(ACK, R, 0, CW), S(PSH | ACK, R, 0, CW),
			 S(FIN | ACK, R, 0, LA), S(FIN | ACK, R, 0, LA),
			 C(ACK, O, 0, TW), S(ACK, R, 0, TW) } },
	{ "server closes first", { HANDSHAKE, S(FIN | ACK, R, 0, FW),
			 S(FIN | ACK, R, 0, FW), C(ACK, O, 0, CW),
			 C(FIN | ACK, O, 0, LA), S(ACK, R, 0, TW) } },
	{ "simultaneous close", { HANDSHAKE, C(FIN | ACK, O, 0, FW),
			 S(FIN | ACK, R, 0, LA), S(ACK, R, 0, LA),
			 C(ACK, O, 0, TW) } },
	{ "rst closes, closed passes nothing", { HANDSHAKE,
			 S(RST | ACK, R, 0, CL), C(ACK, M, NOINS, CL),
			 S(ACK, M, NOINS, CL), C(RST, M, EINVAL, CL),
			 C(FIN | ACK, M, NOINS, CL) } },
	{ "rst answers a syn", { C(SYN, M, 0, NEW), S(RST | ACK, R, 0, CL),
			 S(SYN | ACK, M, EINVAL, CL) } },
	{ "rst in time_wait", { HANDSHAKE, C(FIN | ACK, O, 0, FW),
			 S(FIN | ACK, R, 0, LA), C(ACK, O, 0, TW),
			 C(RST, O, 0, CL) } },
	{ "syn after rst reopens", { HANDSHAKE, C(RST, O, 0, CL),
			 C(SYN, M, 0, NEW), S(SYN | ACK, R, 0, SR),
			 C(ACK, O, 0, ES) } },
	{ "syn after time_wait reopens", { HANDSHAKE, C(FIN | ACK, O, 0, FW),
			 S(FIN | ACK, R, 0, LA), C(ACK, O, 0, TW),
			 C(SYN, M, 0, NEW), S(SYN | ACK, R, 0, SR),
			 C(ACK, O, 0, ES) } },
	{ "time_wait reopened by the server", { HANDSHAKE,
			 C(FIN | ACK, O, 0, FW), S(FIN | ACK, R, 0, LA),
			 C(ACK, O, 0, TW), S(SYN, M, 0, NEW),
			 C(SYN | ACK, R, 0, SR), S(ACK, O, 0, ES) } },
	{ "ack after rst is a mid-stream pickup", { HANDSHAKE,
			 S(RST, R, 0, CL), C(ACK, M, 0, ES), S(ACK, R, 0, ES) } },
	{ "mid-stream pickup", { C(PSH | ACK, M, 0, ES), S(ACK, R, 0, ES),
			 S(FIN | ACK, R, 0, FW), C(FIN | ACK, O, 0, LA),
			 S(ACK, R, 0, TW) } },
	{ "mid-stream pickup by the server", { S(ACK, M, 0, ES),
			 C(ACK, R, 0, ES), S(ACK, O, 0, ES) } },
	{ "mid-stream fin pickup", { C(FIN | ACK, M, 0, FW),
			 S(FIN | ACK, R, 0, LA), C(ACK, O, 0, TW) } },
	{ "lone rst never creates", { C(RST, M, EINVAL, NONE),
			 C(RST | ACK, M, EINVAL, NONE), S(RST, M, EINVAL, NONE) } },
	{ "syn-ack without syn never creates",
			 { S(SYN | ACK, M, EINVAL, NONE) } },
	{ "segments without ack never create", { C(PSH, M, EINVAL, NONE),
			 C(FIN, M, EINVAL, NONE), C(0, M, EINVAL, NONE) } },
	/* The initiator's SYN again is a hit; the responder cannot SYN. */
	{ "syn on an established flow", { HANDSHAKE,
			 C(SYN, O, 0, ES), S(SYN, M, EINVAL, ES) } },
	{ "invalid flags are part of no flow", { HANDSHAKE,
			 C(SYN | FIN, M, EINVAL, ES), S(SYN | RST, M, EINVAL, ES),
			 C(FIN, M, EINVAL, ES), S(0, M, EINVAL, ES),
			 C(ACK, O, 0, ES) } },
};

#define TCP_ADDR_SETS 4
/* Client below and above the server (key sides 0 and 1), both families. */
static const char *const tcp_addrs[TCP_ADDR_SETS][2] = {
	{ "10.0.0.1", "10.0.0.2" },
	{ "10.0.0.9", "10.0.0.2" },
	{ "fd00::1", "fd00::2" },
	{ "fd00::9", "fd00::2" },
};

static uint64_t tcp_tmo(const struct flow_params *fp, int st)
{
	const uint32_t s[FLOW_STATE_MAX] = {
		[NEW] = fp->tcp_syn_sent_s, [SR] = fp->tcp_syn_recv_s,
		[ES] = fp->tcp_established_s, [FW] = fp->tcp_fin_wait_s,
		[CW] = fp->tcp_close_wait_s, [LA] = fp->tcp_last_ack_s,
		[TW] = fp->tcp_time_wait_s, [CL] = fp->tcp_close_s,
	};

	return s[st] * SEC;
}

/*
 * Each side's numbers as a TCP stack would send them, so that every step
 * is in window: SYNs carry the ISN, a FIN is sent once (then retransmitted
 * with its number), everything else goes at the next sequence number and
 * acks all the other side sent.
 */
struct tcp_sim {
	uint32_t isn[2], nxt[2], fin[2];
	bool fin_sent[2];
};

static void tcp_sim_init(struct tcp_sim *sim)
{
	memset(sim, 0, sizeof(*sim));
	sim->isn[0] = 1000;
	sim->isn[1] = 4294967000u;	/* wraps during the flow */
	sim->nxt[0] = sim->isn[0] + 1;
	sim->nxt[1] = sim->isn[1] + 1;
}

static struct pkt tcp_sim_pkt(struct tcp_sim *sim, bool c2s, const char *cli,
			      const char *srv, uint8_t fl)
{
	struct pb_tcp_seg g = { .flags = fl, .win = 65535, .wscale = -1 };
	unsigned x = !c2s;
	uint8_t b[PB_MAX];

	if (fl & SYN) {
		g.seq = sim->isn[x];
		sim->nxt[x] = sim->isn[x] + 1;
	} else if (fl & FIN) {
		if (!sim->fin_sent[x])
			sim->fin[x] = sim->nxt[x]++;
		sim->fin_sent[x] = true;
		g.seq = sim->fin[x];
	} else {
		g.seq = sim->nxt[x];
	}
	if (fl & ACK)
		g.ack = sim->nxt[!x];
	if (c2s)
		return parse(b, pb_tcp_seg(b, cli, 40000, srv, 443, &g));
	return parse(b, pb_tcp_seg(b, srv, 443, cli, 40000, &g));
}

static void tcp_step(struct flow_table *t, struct tcp_sim *sim,
		     const struct step *s, const char *const a[2],
		     uint64_t now, const char *what)
{
	struct pkt p = tcp_sim_pkt(sim, s->c2s, a[0], a[1], s->flags);
	struct flow_hit h;
	enum flow_match m = flow_table_lookup(t, &p, now, &h);

	ck_assert_msg(m == s->m, "%s: match %d, expected %d", what, m, s->m);
	if (m != FLOW_MISS)
		ck_assert_msg((int)h.state == s->state, "%s: hit state %s",
			      what, flow_state_name(h.state));
	if (m == FLOW_MISS && s->ins != NOINS) {
		int r = flow_table_insert(t, &p, s->c2s ? DIR_OUT : DIR_IN,
					  now, 7);

		ck_assert_msg(s->ins ? (r == -1 && errno == s->ins) : r == 0,
			      "%s: insert %d errno %d", what, r, errno);
	}
}

START_TEST(test_tcp_vector)
{
	const struct tcp_vec *v = &tcp_vecs[_i / TCP_ADDR_SETS];
	const char *const *a = tcp_addrs[_i % TCP_ADDR_SETS];
	struct flow_params fp = params(64);
	struct flow_table *t = flow_table_new(&fp);
	struct tcp_sim sim;
	struct collect c;
	unsigned i;

	tcp_sim_init(&sim);
	/* A list ends at its first unused (zero) step: no real step is S(0, ...). */
	for (i = 0; i < TCP_STEPS_MAX && (v->s[i].c2s || v->s[i].flags); i++) {
		const struct step *s = &v->s[i];
		uint64_t now = 1000 + i;
		char what[128];

		snprintf(what, sizeof(what), "%s [%s] step %u", v->name,
			 a[0], i + 1);
		tcp_step(t, &sim, s, a, now, what);
		if (s->state == NONE) {
			ck_assert_msg(collect(t, now, &c) == 0, "%s: entry", what);
			continue;
		}
		ck_assert_msg(collect(t, now, &c) == 1, "%s: %zu entries",
			      what, c.n);
		ck_assert_msg((int)c.v[0].state == s->state, "%s: state %s",
			      what, flow_state_name(c.v[0].state));
		if (s->m != FLOW_MISS || s->ins == 0)
			ck_assert_msg(c.v[0].expires == now + tcp_tmo(&fp, s->state),
				      "%s: timeout", what);
	}
	flow_table_free(t);
}
END_TEST

/* The initiator, its direction and the creator's tag come back on hits. */
START_TEST(test_hit_fields)
{
	struct flow_table *t = table(64);
	struct pkt syn = tcp("10.0.0.1", 5000, "10.0.0.2", 22, SYN);
	struct pkt sa = tcp("10.0.0.2", 22, "10.0.0.1", 5000, SYN | ACK);
	struct flow_hit h;

	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_IN, 1, 4242), 0);
	ck_assert_int_eq(flow_table_lookup(t, &sa, 2, &h), FLOW_HIT_REPLY);
	ck_assert_int_eq(h.state, FLOW_SYN_RECV);
	ck_assert_int_eq(h.init_dir, DIR_IN);
	ck_assert_uint_eq(h.tag, 4242);
	ck_assert_int_eq(flow_table_lookup(t, &syn, 3, NULL), FLOW_HIT_ORIG);
	/* A second insert (another thread won the race) reuses the flow. */
	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_OUT, 4, 1), 0);
	ck_assert_int_eq(flow_table_lookup(t, &sa, 5, &h), FLOW_HIT_REPLY);
	ck_assert_uint_eq(h.tag, 4242);
	ck_assert_int_eq(h.init_dir, DIR_IN);
	ck_assert_uint_eq(stats(t).count, 1);
	ck_assert_uint_eq(stats(t).inserts, 1);
	flow_table_free(t);
}
END_TEST

/* A CLOSED flow expires after tcp_close_s; the reap counts as expired. */
START_TEST(test_tcp_closed_expires)
{
	struct flow_table *t = table(64);
	struct pkt syn = tcp("10.0.0.1", 5000, "10.0.0.2", 22, SYN);
	struct pb_tcp_seg g = { .flags = RST | ACK, .ack = 2, .wscale = -1 };
	uint8_t b[PB_MAX];
	/* The SYN has seq 1: the RST acknowledges 2. */
	struct pkt rst = parse(b, pb_tcp_seg(b, "10.0.0.2", 22, "10.0.0.1",
					     5000, &g));

	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(look(t, &rst, 1000), FLOW_HIT_REPLY);
	ck_assert_int_eq(look(t, &syn, 10999), FLOW_MISS);
	ck_assert_uint_eq(stats(t).count, 1);	/* refused, not expired */
	ck_assert_int_eq(look(t, &syn, 11000), FLOW_MISS);
	ck_assert_uint_eq(stats(t).count, 0);
	ck_assert_uint_eq(stats(t).expired, 1);
	flow_table_free(t);
}
END_TEST

/* ---- UDP -------------------------------------------------------------- */

START_TEST(test_udp_one_way)
{
	struct flow_table *t = table(64);
	struct pkt q = udp("10.0.0.1", 40000, "10.0.0.2", 53, 30);

	ck_assert_int_eq(flow_table_insert(t, &q, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(look(t, &q, 29999), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &q, 29999 + 29999), FLOW_HIT_ORIG);
	ck_assert_uint_eq(stats(t).count, 1);
	/* Still NEW: 30 s idle from the last packet ends it. */
	ck_assert_int_eq(look(t, &q, 29999 * 2 + 30000), FLOW_MISS);
	ck_assert_uint_eq(stats(t).count, 0);
	ck_assert_uint_eq(stats(t).expired, 1);
	flow_table_free(t);
}
END_TEST

START_TEST(test_udp_single_exchange)
{
	struct flow_table *t = table(64);
	struct pkt q = udp("10.0.0.1", 40000, "10.0.0.2", 53, 30);
	struct pkt a = udp("10.0.0.2", 53, "10.0.0.1", 40000, 100);
	struct flow_hit h;
	struct collect c;

	ck_assert_int_eq(flow_table_insert(t, &q, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(flow_table_lookup(t, &a, 1000, &h), FLOW_HIT_REPLY);
	ck_assert_int_eq(h.state, FLOW_ESTABLISHED);
	ck_assert_uint_eq(collect(t, 1000, &c), 1);
	ck_assert_uint_eq(c.v[0].expires, 1000 + 30 * SEC);
	ck_assert_int_eq(look(t, &a, 1000 + 30 * SEC), FLOW_MISS);
	flow_table_free(t);
}
END_TEST

START_TEST(test_udp_stream)
{
	struct flow_table *t = table(64);
	struct pkt q = udp("fd00::1", 40000, "fd00::2", 5060, 30);
	struct pkt a = udp("fd00::2", 5060, "fd00::1", 40000, 30);
	struct flow_hit h;
	uint64_t t0 = 5000;

	ck_assert_int_eq(flow_table_insert(t, &q, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(look(t, &a, 1000), FLOW_HIT_REPLY);
	ck_assert_int_eq(flow_table_lookup(t, &q, t0, &h), FLOW_HIT_ORIG);
	ck_assert_int_eq(h.state, FLOW_UDP_STREAM);
	/* 180 s idle allowed now, well beyond the 30 s of one exchange. */
	ck_assert_int_eq(flow_table_lookup(t, &a, t0 + 179999, &h),
			 FLOW_HIT_REPLY);
	ck_assert_int_eq(h.state, FLOW_UDP_STREAM);
	ck_assert_int_eq(look(t, &q, t0 + 179999 + 180 * SEC), FLOW_MISS);
	flow_table_free(t);
}
END_TEST

/* The first fragment carries the ports and belongs; later ones never do. */
START_TEST(test_fragments)
{
	struct flow_table *t = table(64);
	uint8_t b[PB_MAX];
	struct pkt whole = udp("10.0.0.1", 40000, "10.0.0.2", 9, 64);
	struct pkt first, later;
	size_t n;

	n = pb_udp(b, "10.0.0.1", 40000, "10.0.0.2", 9, 64);
	first = parse(b, pb_fragment(b, n, 0, 32, 1));
	n = pb_udp(b, "10.0.0.1", 40000, "10.0.0.2", 9, 64);
	later = parse(b, pb_fragment(b, n, 32, 40, 0));
	ck_assert(later.flags & PKT_F_LATER_FRAG);
	ck_assert_int_eq(flow_table_insert(t, &whole, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(look(t, &first, 1), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &later, 2), FLOW_MISS);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(t, &later, DIR_OUT, 3, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(stats(t).count, 1);
	flow_table_free(t);
}
END_TEST

/* IPv6 extension headers do not change the key. */
START_TEST(test_ipv6_exthdrs_same_flow)
{
	struct flow_table *t = table(64);
	static const uint8_t ext[] = { 0, 60 };
	uint8_t b[PB_MAX];
	struct pkt plain = tcp("fd00::1", 1234, "fd00::2", 80, SYN);
	struct pkt withext;
	size_t n = pb_tcp(b, "fd00::2", 80, "fd00::1", 1234, SYN | ACK);

	withext = parse(b, pb_ipv6_exthdrs(b, n, ext, 2));
	ck_assert_int_eq(flow_table_insert(t, &plain, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(look(t, &withext, 1), FLOW_HIT_REPLY);
	flow_table_free(t);
}
END_TEST

/* ---- ICMP ------------------------------------------------------------- */

static void icmp_echo_rules(const char *a, const char *b, uint8_t req,
			    uint8_t rep, uint8_t other_query)
{
	struct flow_table *t = table(64);
	struct pkt q = icmp(a, b, req, 7);
	struct flow_hit h;
	struct collect c;
	struct pkt p;

	ck_assert_int_eq(flow_table_insert(t, &q, DIR_OUT, 0, 3), 0);
	p = icmp(b, a, req, 7);		/* a request in the reply direction */
	ck_assert_int_eq(look(t, &p, 1), FLOW_MISS);
	p = icmp(a, b, rep, 7);		/* a reply in the original direction */
	ck_assert_int_eq(look(t, &p, 1), FLOW_MISS);
	p = icmp(b, a, rep, 8);		/* another identifier */
	ck_assert_int_eq(look(t, &p, 1), FLOW_MISS);
	p = icmp(a, b, other_query, 7);	/* another query type, same id */
	ck_assert_int_eq(look(t, &p, 1), FLOW_MISS);
	ck_assert_int_eq(look(t, &q, 2), FLOW_HIT_ORIG);
	p = icmp(b, a, rep, 7);
	ck_assert_int_eq(flow_table_lookup(t, &p, 1000, &h), FLOW_HIT_REPLY);
	ck_assert_int_eq(h.state, FLOW_ESTABLISHED);
	ck_assert_uint_eq(h.tag, 3);
	ck_assert_uint_eq(collect(t, 1000, &c), 1);
	ck_assert_uint_eq(c.v[0].init_sport, 7);
	ck_assert_uint_eq(c.v[0].init_dport, 7);
	ck_assert_uint_eq(c.v[0].expires, 1000 + 30 * SEC);
	ck_assert_int_eq(look(t, &p, 1000 + 30 * SEC), FLOW_MISS);
	flow_table_free(t);
}

START_TEST(test_icmp_echo_v4)
{
	icmp_echo_rules("10.0.0.1", "10.0.0.2", 8, 0, 13);
}
END_TEST

START_TEST(test_icmp_echo_v6)
{
	icmp_echo_rules("fd00::1", "fd00::2", 128, 129, 200);
}
END_TEST

/* Each side pinging the other with the same id makes two flows. */
START_TEST(test_icmp_both_sides_query)
{
	struct flow_table *t = table(64);
	struct pkt ab = icmp("10.0.0.1", "10.0.0.2", 8, 7);
	struct pkt ba = icmp("10.0.0.2", "10.0.0.1", 8, 7);
	struct pkt ab_rep = icmp("10.0.0.2", "10.0.0.1", 0, 7);
	struct pkt ba_rep = icmp("10.0.0.1", "10.0.0.2", 0, 7);

	ck_assert_int_eq(flow_table_insert(t, &ab, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(flow_table_insert(t, &ba, DIR_IN, 0, 2), 0);
	ck_assert_uint_eq(stats(t).count, 2);
	ck_assert_int_eq(look(t, &ab_rep, 1), FLOW_HIT_REPLY);
	ck_assert_int_eq(look(t, &ba_rep, 1), FLOW_HIT_REPLY);
	flow_table_free(t);
}
END_TEST

/* Errors, unsolicited replies and other types are never tracked. */
START_TEST(test_icmp_untrackable)
{
	struct flow_table *t = table(64);
	uint8_t inner[PB_MAX], b[PB_MAX];
	size_t n = pb_udp(inner, "10.0.0.1", 40000, "10.0.0.2", 53, 10);
	struct pkt q = udp("10.0.0.1", 40000, "10.0.0.2", 53, 10);
	struct pkt err, rep = icmp("10.0.0.2", "10.0.0.1", 0, 7);
	struct pkt adv = icmp("10.0.0.2", "10.0.0.1", 9, 0);
	struct pkt err6;

	err = parse(b, pb_icmp_error(b, "10.0.0.2", "10.0.0.1", 3, 4, inner, n));
	n = pb_udp(inner, "fd00::1", 1, "fd00::2", 2, 10);
	err6 = parse(b, pb_icmp_error(b, "fd00::2", "fd00::1", 2, 0, inner, n));
	ck_assert_int_eq(flow_table_insert(t, &q, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(look(t, &err, 1), FLOW_MISS);
	ck_assert_int_eq(look(t, &err6, 1), FLOW_MISS);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(t, &err, DIR_IN, 1, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(t, &err6, DIR_IN, 1, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(t, &rep, DIR_IN, 1, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(t, &adv, DIR_IN, 1, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(stats(t).count, 1);
	flow_table_free(t);
}
END_TEST

/* ---- other protocols -------------------------------------------------- */

/* A packet of protocol pr whose first payload bytes look like ports. */
static struct pkt proto_ports(const char *s, const char *d, uint8_t pr,
			      uint16_t sp, uint16_t dp)
{
	uint8_t b[PB_MAX];
	struct pkt p;
	size_t n = pb_proto(b, s, d, pr, 16);

	p = parse(b, n);
	b[p.l4_off] = sp >> 8;
	b[p.l4_off + 1] = sp & 0xff;
	b[p.l4_off + 2] = dp >> 8;
	b[p.l4_off + 3] = dp & 0xff;
	return parse(b, n);
}

START_TEST(test_other_proto_address_pair)
{
	struct flow_table *t = table(64);
	struct pkt out = proto_ports("10.0.0.1", "10.0.0.2", 132, 1111, 2222);
	struct pkt back = proto_ports("10.0.0.2", "10.0.0.1", 132, 3333, 4444);
	struct pkt again = proto_ports("10.0.0.1", "10.0.0.2", 132, 5, 6);
	struct pkt gre = proto("10.0.0.2", "10.0.0.1", 47, 8);
	struct pkt third = proto_ports("10.0.0.3", "10.0.0.1", 132, 1, 2);
	struct flow_hit h;
	struct collect c;

	ck_assert_int_eq(flow_table_insert(t, &out, DIR_OUT, 0, 9), 0);
	ck_assert_int_eq(flow_table_lookup(t, &back, 1000, &h), FLOW_HIT_REPLY);
	ck_assert_int_eq(h.state, FLOW_ESTABLISHED);
	ck_assert_int_eq(look(t, &again, 1000), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &gre, 1000), FLOW_MISS);	/* protocol */
	ck_assert_int_eq(look(t, &third, 1000), FLOW_MISS);	/* peer */
	ck_assert_uint_eq(collect(t, 1000, &c), 1);
	ck_assert_uint_eq(c.v[0].init_sport, 0);
	ck_assert_uint_eq(c.v[0].expires, 1000 + 600 * SEC);
	ck_assert_int_eq(look(t, &back, 1000 + 600 * SEC - 1), FLOW_HIT_REPLY);
	ck_assert_int_eq(look(t, &back, 1000 + 1200 * SEC), FLOW_MISS);
	flow_table_free(t);
}
END_TEST

/* The family is part of the key: equal address bytes do not collide. */
START_TEST(test_families_distinct)
{
	struct flow_table *t = table(64);
	struct pkt v4 = udp("10.0.0.1", 1000, "10.0.0.2", 2000, 1);
	struct pkt v6 = udp("a00:1::", 1000, "a00:2::", 2000, 1);

	ck_assert(!memcmp(v4.src, v6.src, 16) && !memcmp(v4.dst, v6.dst, 16));
	ck_assert_int_eq(flow_table_insert(t, &v4, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(look(t, &v6, 1), FLOW_MISS);
	ck_assert_int_eq(flow_table_insert(t, &v6, DIR_OUT, 0, 1), 0);
	ck_assert_uint_eq(stats(t).count, 2);
	flow_table_free(t);
}
END_TEST

/* ---- expiry ----------------------------------------------------------- */

static struct pkt udp_n(unsigned i, bool reply)
{
	char a[32];

	snprintf(a, sizeof(a), "10.1.%u.%u", (i >> 8) & 255, i & 255);
	return reply ? udp("10.2.0.1", 53, a, (uint16_t)(1024 + i), 1) :
		       udp(a, (uint16_t)(1024 + i), "10.2.0.1", 53, 1);
}

START_TEST(test_expire_sweep)
{
	struct flow_table *t = table(256);
	size_t nb = stats(t).buckets, quarter = nb / 4, low = 0, sum = 0;
	unsigned i;

	for (i = 0; i < 200; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(flow_table_insert(t, &p, DIR_OUT, 0, 1), 0);
		low += (size_t)flow_table_bucket(t, &p) < quarter;
	}
	ck_assert_uint_eq(flow_table_expire(t, 29999, nb), 0);
	/* The cursor moved on by nb: the next pass starts at bucket 0 again. */
	ck_assert_uint_eq(flow_table_expire(t, 30000, quarter), low);
	ck_assert_uint_eq(stats(t).count, 200 - low);
	for (i = 0; i < 3; i++)
		sum += flow_table_expire(t, 30000, quarter);
	ck_assert_uint_eq(sum, 200 - low);
	ck_assert_uint_eq(stats(t).count, 0);
	ck_assert_uint_eq(stats(t).expired, 200);
	flow_table_free(t);
}
END_TEST

START_TEST(test_expire_keeps_live)
{
	struct flow_table *t = table(256);
	struct pkt q = udp_n(1, false), a = udp_n(1, true), o = udp_n(2, false);

	ck_assert_int_eq(flow_table_insert(t, &q, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(flow_table_insert(t, &o, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(look(t, &a, 20000), FLOW_HIT_REPLY);
	ck_assert_uint_eq(flow_table_expire(t, 40000, 1u << 20), 1);
	ck_assert_int_eq(look(t, &q, 40000), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &o, 40000), FLOW_MISS);
	flow_table_free(t);
}
END_TEST

START_TEST(test_flush)
{
	struct flow_table *t = table(32);
	struct flow_stats s;
	unsigned i, round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 32; i++) {
			struct pkt p = udp_n(i + round * 100, false);

			ck_assert_int_eq(flow_table_insert(t, &p, DIR_OUT, 0, 1), 0);
		}
		ck_assert_uint_eq(stats(t).count, 32);
		flow_table_flush(t);
		ck_assert_uint_eq(stats(t).count, 0);
	}
	s = stats(t);
	ck_assert_uint_eq(s.evictions, 0);
	ck_assert_uint_eq(s.expired, 0);
	ck_assert_uint_eq(s.inserts, 96);
	flow_table_free(t);
}
END_TEST

/* ---- the cap ---------------------------------------------------------- */

#define CAP 64

struct capfix {
	struct flow_table *t;
	size_t nb;
	unsigned n;		/* flows in bucket[] */
	long bucket[CAP];
};

/* CAP unestablished flows; evict: --evict-unestablished, else AWS's refusal. */
static void cap_fill_mode(struct capfix *f, bool evict)
{
	struct flow_params fp = params(CAP);
	unsigned i;

	fp.evict_unestablished = evict;
	f->t = flow_table_new(&fp);
	ck_assert_ptr_nonnull(f->t);
	f->nb = stats(f->t).buckets;
	f->n = CAP;
	ck_assert_uint_eq(f->nb, CAP);
	for (i = 0; i < CAP; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(flow_table_insert(f->t, &p, DIR_OUT, i + 1, 1), 0);
		f->bucket[i] = flow_table_bucket(f->t, &p);
	}
	ck_assert_uint_eq(stats(f->t).count, CAP);
}

/* The eviction tests: --evict-unestablished. */
static void cap_fill(struct capfix *f)
{
	cap_fill_mode(f, true);
}

static bool in_window(const struct capfix *f, long b, unsigned i)
{
	return (size_t)(f->bucket[i] - b + (long)f->nb) % f->nb < 8;
}

/* A new flow (from 10.9.x) whose 8-bucket window holds >= min flows. */
static struct pkt cap_newcomer(const struct capfix *f, unsigned min, long *b)
{
	unsigned j, i, n;

	for (j = 0; j < 1000; j++) {
		struct pkt p = udp("10.9.0.1", (uint16_t)(2000 + j), "10.2.0.1",
				   53, 1);

		*b = flow_table_bucket(f->t, &p);
		for (i = n = 0; i < f->n; i++)
			n += in_window(f, *b, i);
		if (n >= min)
			return p;
	}
	ck_abort_msg("no newcomer with a populated window");
	return udp("10.9.0.1", 1, "10.2.0.1", 53, 1);
}

START_TEST(test_cap_evicts_oldest_unestablished)
{
	struct capfix f;
	struct pkt x;
	unsigned i, victim = CAP;
	long b;

	cap_fill(&f);
	x = cap_newcomer(&f, 2, &b);
	for (i = 0; i < CAP; i++)
		if (in_window(&f, b, i) && victim == CAP)
			victim = i;	/* inserted first: the oldest */
	ck_assert_int_eq(flow_table_insert(f.t, &x, DIR_OUT, 1000, 1), 0);
	ck_assert_uint_eq(stats(f.t).evictions, 1);
	ck_assert_uint_eq(stats(f.t).count, CAP);
	for (i = 0; i < CAP; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(look(f.t, &p, 1001),
				 i == victim ? FLOW_MISS : FLOW_HIT_ORIG);
	}
	ck_assert_int_eq(look(f.t, &x, 1001), FLOW_HIT_ORIG);
	flow_table_free(f.t);
}
END_TEST

START_TEST(test_cap_spares_established)
{
	struct capfix f;
	struct pkt x, x_touch;
	unsigned i, victim = CAP;
	long b;

	cap_fill(&f);
	x = cap_newcomer(&f, 2, &b);
	/*
	 * Establish everything but one flow of the window, then make that one
	 * the most recently seen: age does not beat establishment.
	 */
	for (i = 0; i < CAP; i++)
		if (in_window(&f, b, i))
			victim = i;
	for (i = 0; i < CAP; i++) {
		struct pkt r = udp_n(i, true);

		if (i != victim)
			ck_assert_int_eq(look(f.t, &r, 500), FLOW_HIT_REPLY);
	}
	x_touch = udp_n(victim, false);
	ck_assert_int_eq(look(f.t, &x_touch, 600), FLOW_HIT_ORIG);
	ck_assert_int_eq(flow_table_insert(f.t, &x, DIR_OUT, 1000, 1), 0);
	ck_assert_uint_eq(stats(f.t).evictions, 1);
	for (i = 0; i < CAP; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(look(f.t, &p, 1001),
				 i == victim ? FLOW_MISS : FLOW_HIT_ORIG);
	}
	flow_table_free(f.t);
}
END_TEST

/* Nothing evictable near the new bucket: refused, counted, nothing lost. */
START_TEST(test_cap_full_of_established)
{
	struct capfix f;
	struct pkt x;
	unsigned i, outside = 0;
	long b;

	cap_fill(&f);
	x = cap_newcomer(&f, 1, &b);
	/* Flows outside the window stay NEW: eviction only looks nearby. */
	for (i = 0; i < CAP; i++) {
		struct pkt r = udp_n(i, true);

		if (in_window(&f, b, i))
			ck_assert_int_eq(look(f.t, &r, 500), FLOW_HIT_REPLY);
		else
			outside++;
	}
	ck_assert_uint_gt(outside, 0);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(f.t, &x, DIR_OUT, 1000, 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(f.t, &x, DIR_OUT, 1001, 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(stats(f.t).conntrack_allowance_exceeded, 2);
	ck_assert_uint_eq(stats(f.t).evictions, 0);
	ck_assert_uint_eq(stats(f.t).count, CAP);
	for (i = 0; i < CAP; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(look(f.t, &p, 1002), FLOW_HIT_ORIG);
	}
	ck_assert_int_eq(look(f.t, &x, 1002), FLOW_MISS);
	flow_table_free(f.t);
}
END_TEST

/* An expired flow is fair game even when it was established. */
START_TEST(test_cap_reuses_expired)
{
	struct capfix f;
	struct pkt x;
	unsigned i;
	long b;

	cap_fill(&f);
	x = cap_newcomer(&f, 1, &b);
	for (i = 0; i < CAP; i++) {
		struct pkt r = udp_n(i, true);

		ck_assert_int_eq(look(f.t, &r, 500), FLOW_HIT_REPLY);
	}
	/* Established UDP idles out after 30 s. */
	ck_assert_int_eq(flow_table_insert(f.t, &x, DIR_OUT, 500 + 30 * SEC, 1),
			 0);
	ck_assert_uint_eq(stats(f.t).evictions, 0);
	ck_assert_uint_ge(stats(f.t).expired, 1);
	ck_assert_uint_eq(stats(f.t).conntrack_allowance_exceeded, 0);
	flow_table_free(f.t);
}
END_TEST


/*
 * AWS at the cap: the new flow is refused and counted, whatever the state
 * of the flows near it; nothing is evicted, every flow stays and keeps
 * passing both ways; an expired flow's room is taken again.
 */
START_TEST(test_cap_refuses_new)
{
	struct capfix f;
	struct flow_stats s;
	struct pkt x;
	unsigned i;
	long b;

	cap_fill_mode(&f, false);
	x = cap_newcomer(&f, 2, &b);
	ck_assert_uint_eq(stats(f.t).conntrack_allowance_available, 0);
	ck_assert(!stats(f.t).evict_unestablished);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(f.t, &x, DIR_OUT, 1000, 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	s = stats(f.t);
	ck_assert_uint_eq(s.conntrack_allowance_exceeded, 1);
	ck_assert_uint_eq(s.evictions, 0);
	ck_assert_uint_eq(s.count, CAP);
	ck_assert_uint_eq(s.conntrack_allowance_available, 0);
	ck_assert_int_eq(look(f.t, &x, 1001), FLOW_MISS);
	for (i = 0; i < CAP; i++) {
		struct pkt r = udp_n(i, true), p = udp_n(i, false);

		ck_assert_int_eq(look(f.t, &p, 1002), FLOW_HIT_ORIG);
		ck_assert_int_eq(look(f.t, &r, 1003), FLOW_HIT_REPLY);
	}
	/* Established UDP idles out after 30 s: then there is room. */
	ck_assert_int_eq(flow_table_insert(f.t, &x, DIR_OUT, 1003 + 30 * SEC, 1), 0);
	s = stats(f.t);
	ck_assert_uint_eq(s.evictions, 0);
	ck_assert_uint_ge(s.expired, 1);
	ck_assert_uint_eq(s.conntrack_allowance_exceeded, 1);
	flow_table_free(f.t);
}
END_TEST

/* Room is counted down to 0 as flows come, and back up as they go. */
START_TEST(test_cap_available)
{
	struct flow_table *t = table(4);
	unsigned i;

	ck_assert_uint_eq(stats(t).conntrack_allowance_available, 4);
	for (i = 0; i < 4; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(flow_table_insert(t, &p, DIR_OUT, 0, 1), 0);
		ck_assert_uint_eq(stats(t).conntrack_allowance_available, 3 - i);
	}
	flow_table_expire(t, 30 * SEC, 1u << 20);
	ck_assert_uint_eq(stats(t).conntrack_allowance_available, 4);
	flow_table_free(t);
}
END_TEST
/*
 * An expired entry goes before an older live one: here a SYN_SENT flow
 * (100 s) seen before the UDP flows around it, which idled out (30 s).
 */
START_TEST(test_cap_prefers_expired)
{
	struct flow_params fp = params(CAP);
	struct flow_table *t;
	struct pkt syn = tcp("10.8.0.1", 999, "10.2.0.1", 80, SYN), x;
	long bt, bx = -1;
	unsigned i, j, n = 0, near = 0;

	fp.tcp_syn_sent_s = 100;
	t = flow_table_new(&fp);
	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_OUT, 0, 1), 0);
	bt = flow_table_bucket(t, &syn);
	for (j = 0; bx < 0 || bx == bt || (bt - bx + CAP) % CAP >= 8; j++) {
		ck_assert_uint_lt(j, 10000);
		x = udp("10.9.0.1", (uint16_t)(2000 + j), "10.2.0.1", 53, 1);
		bx = flow_table_bucket(t, &x);
	}
	for (i = 0; n < CAP - 1; i++) {
		struct pkt q = udp_n(i, false), r = udp_n(i, true);
		long b = flow_table_bucket(t, &q);

		if (b == bx)
			continue;	/* keep the newcomer's own chain empty */
		near += (b - bx + CAP) % CAP < 8;
		ck_assert_int_eq(flow_table_insert(t, &q, DIR_OUT, 10000, 1), 0);
		ck_assert_int_eq(look(t, &r, 10000), FLOW_HIT_REPLY);
		n++;
	}
	ck_assert_uint_gt(near, 0);
	ck_assert_uint_eq(stats(t).count, CAP);
	ck_assert_int_eq(flow_table_insert(t, &x, DIR_OUT, 50000, 1), 0);
	ck_assert_uint_eq(stats(t).evictions, 0);
	ck_assert_uint_eq(stats(t).expired, 1);
	ck_assert_int_eq(look(t, &syn, 50001), FLOW_HIT_ORIG);
	flow_table_free(t);
}
END_TEST

/*
 * At the cap, an expired entry reaped from the newcomer's own chain is
 * reused even when nothing else lies in its window (flows chosen to sit in
 * buckets 0, 8, 16, ... only).
 */
START_TEST(test_cap_reuses_own_chain)
{
	struct flow_table *t = table(CAP);
	unsigned i, n = 0, in_bx = 0, j;
	unsigned per[CAP] = { 0 };
	struct pkt x;
	long bx;

	for (i = 0; n < CAP; i++) {
		struct pkt q = udp_n(i, false);
		long b = flow_table_bucket(t, &q);

		ck_assert_uint_lt(i, 5000);
		if (b % 8 || per[b] == 32)
			continue;
		ck_assert_int_eq(flow_table_insert(t, &q, DIR_OUT, 0, 1), 0);
		per[b]++;
		n++;
	}
	for (j = 0;; j++) {
		ck_assert_uint_lt(j, 10000);
		x = udp("10.9.0.1", (uint16_t)(2000 + j), "10.2.0.1", 53, 1);
		bx = flow_table_bucket(t, &x);
		if (bx % 8 == 0 && per[bx]) {
			in_bx = per[bx];
			break;
		}
	}
	ck_assert_int_eq(flow_table_insert(t, &x, DIR_OUT, 31 * SEC, 1), 0);
	ck_assert_uint_eq(stats(t).evictions, 0);
	ck_assert_uint_eq(stats(t).expired, in_bx);
	ck_assert_uint_eq(stats(t).count, CAP - in_bx + 1);
	flow_table_free(t);
}
END_TEST

/* ---- the chain cap ---------------------------------------------------- */

/* Flows an attacker who knew the key would pick: all in one bucket. */
static void chain_cap(const char *src, const char *dst)
{
	struct flow_table *t = table(1024);
	struct pkt col[40];
	unsigned n = 0, port, i;
	long target = -1;

	for (port = 1; port < 65536 && n < 40; port++) {
		struct pkt p = udp(src, (uint16_t)port, dst, 53, 1);
		long b = flow_table_bucket(t, &p);

		if (target < 0)
			target = b;
		if (b == target)
			col[n++] = p;
	}
	ck_assert_uint_eq(n, 40);
	for (i = 0; i < 40; i++) {
		errno = 0;
		if (i < 32) {
			ck_assert_int_eq(flow_table_insert(t, &col[i], DIR_IN, 0, 1), 0);
			continue;
		}
		ck_assert_int_eq(flow_table_insert(t, &col[i], DIR_IN, 0, 1), -1);
		ck_assert_int_eq(errno, ENOSPC);
	}
	ck_assert_uint_eq(stats(t).chain_limit, 8);
	ck_assert_uint_eq(stats(t).count, 32);
	ck_assert_uint_eq(stats(t).conntrack_allowance_exceeded, 0);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(look(t, &col[i], 1),
				 i < 32 ? FLOW_HIT_ORIG : FLOW_MISS);
	/* A slot freed by expiry can be taken again. */
	ck_assert_int_eq(flow_table_insert(t, &col[32], DIR_IN, 31 * SEC, 1), 0);
	ck_assert_uint_eq(stats(t).count, 1);
	flow_table_free(t);
}

START_TEST(test_chain_cap_v4)
{
	chain_cap("10.0.0.1", "10.0.0.2");
}
END_TEST

START_TEST(test_chain_cap_v6)
{
	chain_cap("fd00::1", "fd00::2");
}
END_TEST

/* Another key spreads the same flows differently. */
START_TEST(test_hash_keyed)
{
	static const uint8_t other[16] = "another-key-0123";
	struct flow_params fp = params(1024);
	struct flow_table *a = flow_table_new(&fp), *b;
	unsigned i, same = 0;

	fp.hash_key = other;
	b = flow_table_new(&fp);
	fp.hash_key = NULL;	/* and a random one works */
	flow_table_free(flow_table_new(&fp));
	for (i = 0; i < 256; i++) {
		struct pkt p = udp_n(i, false);

		same += flow_table_bucket(a, &p) == flow_table_bucket(b, &p);
	}
	ck_assert_uint_lt(same, 32);
	flow_table_free(a);
	flow_table_free(b);
}
END_TEST

/* ---- untracked entries ------------------------------------------------ */

/* The only entry of t (a test with one flow). */
static struct flow_view only(struct flow_table *t, uint64_t now)
{
	struct collect c;

	ck_assert_uint_eq(collect(t, now, &c), 1);
	return c.v[0];
}

/* A flow from 10.7.x, distinct from every udp_n() flow. */
static struct pkt uflow(unsigned i, bool reply)
{
	char a[32];

	snprintf(a, sizeof(a), "10.7.%u.%u", (i >> 8) & 255, i & 255);
	return reply ? udp("10.2.0.1", 80, a, (uint16_t)(2048 + i), 1) :
		       udp(a, (uint16_t)(2048 + i), "10.2.0.1", 80, 1);
}

/* Noted, listed, never a hit; lookups neither count nor refresh it. */
START_TEST(test_untracked_note_is_a_miss)
{
	struct flow_table *t = table(64);
	struct pkt syn = tcp("198.51.100.7", 40000, "10.0.0.5", 80, SYN);
	struct pkt sa = tcp("10.0.0.5", 80, "198.51.100.7", 40000, SYN | ACK);
	struct flow_view v;
	struct flow_stats s;

	flow_table_note_untracked(t, &syn, DIR_IN, 1000, 3);
	ck_assert_int_eq(look(t, &syn, 2000), FLOW_MISS);
	ck_assert_int_eq(look(t, &sa, 2000), FLOW_MISS);
	ck_assert_int_eq(flow_table_lookup(t, &sa, 2000, NULL), FLOW_MISS);
	s = stats(t);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_uint_eq(s.untracked, 1);
	ck_assert_uint_eq(s.inserts, 0);
	ck_assert_uint_eq(s.untracked_skipped, 0);
	v = only(t, 2000);
	ck_assert(v.untracked);
	ck_assert_uint_eq(v.packets[0], 1);
	ck_assert_uint_eq(v.packets[1], 0);
	ck_assert_uint_eq(v.last_seen, 1000);
	ck_assert_uint_eq(v.expires, 1000 + 600 * SEC);
	flow_table_free(t);
}
END_TEST

/* Counters each way, the both-ways state, the tag from the flow's own way. */
START_TEST(test_untracked_refresh)
{
	struct flow_table *t = table(64);
	struct pkt q = udp("fd00::9", 40000, "fd00::2", 53, 30);
	struct pkt a = udp("fd00::2", 53, "fd00::9", 40000, 200);
	uint8_t a9[16] = { 0xfd, [15] = 9 }, a2[16] = { 0xfd, [15] = 2 };
	struct flow_view v;

	flow_table_note_untracked(t, &q, DIR_OUT, 1000, 11);
	flow_table_note_untracked(t, &q, DIR_OUT, 2000, 12);
	v = only(t, 2000);
	ck_assert_int_eq(v.state, FLOW_NEW);
	ck_assert_uint_eq(v.tag, 12);
	flow_table_note_untracked(t, &a, DIR_IN, 3000, 99);
	v = only(t, 3000);
	ck_assert(v.untracked);
	ck_assert_int_eq(v.state, FLOW_ESTABLISHED);
	ck_assert_uint_eq(v.tag, 12);	/* a reply's rule does not replace it */
	ck_assert_int_eq(v.init_dir, DIR_OUT);
	ck_assert_uint_eq(v.family, AF_INET6);
	ck_assert_uint_eq(v.proto, IPPROTO_NUM_UDP);
	ck_assert_mem_eq(v.init_src, a9, 16);
	ck_assert_mem_eq(v.init_dst, a2, 16);
	ck_assert_uint_eq(v.init_sport, 40000);
	ck_assert_uint_eq(v.init_dport, 53);
	ck_assert_uint_eq(v.created, 1000);
	ck_assert_uint_eq(v.last_seen, 3000);
	ck_assert_uint_eq(v.packets[0], 2);
	ck_assert_uint_eq(v.packets[1], 1);
	ck_assert_uint_eq(v.bytes[0], 2 * q.len);
	ck_assert_uint_eq(v.bytes[1], a.len);
	ck_assert_uint_ne(q.len, a.len);
	/* A thread's clock a little behind never moves last_seen back. */
	flow_table_note_untracked(t, &a, DIR_IN, 2500, 99);
	v = only(t, 3000);
	ck_assert_uint_eq(v.last_seen, 3000);
	ck_assert_uint_eq(v.packets[1], 2);
	ck_assert_uint_eq(stats(t).untracked, 1);
	flow_table_free(t);
}
END_TEST

/* The rules changed: an insert makes the untracked entry a new tracked flow. */
START_TEST(test_untracked_becomes_tracked)
{
	struct flow_table *t = table(64);
	struct pkt q = udp("10.0.0.1", 40000, "10.0.0.2", 53, 30);
	struct pkt a = udp("10.0.0.2", 53, "10.0.0.1", 40000, 100);
	struct pkt ack = tcp("198.51.100.7", 40000, "10.0.0.5", 80, ACK);
	struct pkt data = tcp("10.0.0.5", 80, "198.51.100.7", 40000, PSH | ACK);
	struct flow_hit h;
	struct flow_view v;
	struct flow_stats s;

	flow_table_note_untracked(t, &q, DIR_OUT, 0, 1);
	flow_table_note_untracked(t, &a, DIR_IN, 10, 1);
	flow_table_note_untracked(t, &a, DIR_IN, 20, 1);
	/* Created by the answer this time: the answer's side is the origin. */
	ck_assert_int_eq(flow_table_insert(t, &a, DIR_IN, 100, 42), 0);
	v = only(t, 100);
	ck_assert(!v.untracked);
	ck_assert_int_eq(v.state, FLOW_NEW);
	ck_assert_int_eq(v.init_dir, DIR_IN);
	ck_assert_uint_eq(v.tag, 42);
	ck_assert_uint_eq(v.created, 100);
	ck_assert_uint_eq(v.packets[0], 1);
	ck_assert_uint_eq(v.packets[1], 0);
	ck_assert_uint_eq(v.bytes[0], a.len);
	ck_assert_int_eq(flow_table_lookup(t, &q, 200, &h), FLOW_HIT_REPLY);
	ck_assert_uint_eq(h.tag, 42);
	/* A TCP flow picked up mid-stream by its next segment. */
	flow_table_note_untracked(t, &ack, DIR_IN, 300, 1);
	ck_assert_int_eq(look(t, &data, 310), FLOW_MISS);
	ck_assert_int_eq(flow_table_insert(t, &data, DIR_OUT, 320, 43), 0);
	ck_assert_int_eq(flow_table_lookup(t, &ack, 330, &h), FLOW_HIT_REPLY);
	ck_assert_int_eq(h.state, FLOW_ESTABLISHED);
	ck_assert_int_eq(h.init_dir, DIR_OUT);
	s = stats(t);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_uint_eq(s.untracked, 0);
	ck_assert_uint_eq(s.inserts, 2);
	ck_assert_uint_eq(s.evictions, 0);
	/* Once tracked, a late note (older rules) changes nothing. */
	flow_table_note_untracked(t, &a, DIR_IN, 400, 7);
	ck_assert_int_eq(flow_table_lookup(t, &a, 410, &h), FLOW_HIT_ORIG);
	ck_assert_uint_eq(h.tag, 42);
	flow_table_flush(t);
	ck_assert_int_eq(flow_table_insert(t, &a, DIR_IN, 500, 42), 0);
	flow_table_note_untracked(t, &a, DIR_IN, 600, 7);
	v = only(t, 600);
	ck_assert(!v.untracked);
	ck_assert_uint_eq(v.tag, 42);
	ck_assert_uint_eq(v.packets[0], 1);
	ck_assert_uint_eq(v.last_seen, 500);
	s = stats(t);
	ck_assert_uint_eq(s.untracked, 0);
	ck_assert_uint_eq(s.untracked_skipped, 0);
	flow_table_free(t);
}
END_TEST

/* A packet that cannot be keyed is not noted, and not counted as skipped. */
START_TEST(test_untracked_unkeyable)
{
	struct flow_table *t = table(64);
	uint8_t b[PB_MAX];
	size_t n = pb_udp(b, "10.0.0.1", 40000, "10.0.0.2", 9, 64);
	struct pkt later = parse(b, pb_fragment(b, n, 32, 40, 0));

	flow_table_note_untracked(t, &later, DIR_OUT, 0, 1);
	ck_assert_uint_eq(stats(t).untracked, 0);
	ck_assert_uint_eq(stats(t).untracked_skipped, 0);
	flow_table_free(t);
}
END_TEST

/* Idle timeouts: TCP 600 s (or less), UDP 30 s, 180 s once a stream. */
START_TEST(test_untracked_expiry)
{
	struct flow_params fp = params(64);
	struct flow_table *t = table(64), *t2;
	struct pkt syn = tcp("198.51.100.7", 40000, "10.0.0.5", 80, SYN);
	struct pkt q = udp("10.0.0.1", 40000, "10.0.0.2", 53, 30);
	struct pkt a = udp("10.0.0.2", 53, "10.0.0.1", 40000, 30);
	struct collect c;

	flow_table_note_untracked(t, &syn, DIR_IN, 0, 1);
	ck_assert_uint_eq(collect(t, 600 * SEC - 1, &c), 1);
	ck_assert_uint_eq(collect(t, 600 * SEC, &c), 0);
	ck_assert_int_eq(look(t, &syn, 600 * SEC), FLOW_MISS);	/* reaps it */
	ck_assert_uint_eq(stats(t).untracked, 0);
	ck_assert_uint_eq(stats(t).expired, 1);

	flow_table_note_untracked(t, &q, DIR_OUT, 0, 1);
	ck_assert_uint_eq(only(t, 0).expires, 30 * SEC);
	flow_table_note_untracked(t, &a, DIR_IN, 1000, 1);
	ck_assert_uint_eq(only(t, 1000).expires, 1000 + 30 * SEC);
	flow_table_note_untracked(t, &q, DIR_OUT, 2000, 1);
	ck_assert_int_eq(only(t, 2000).state, FLOW_ESTABLISHED);
	ck_assert_uint_eq(only(t, 2000).expires, 2000 + 180 * SEC);
	ck_assert_uint_eq(flow_table_expire(t, 2000 + 180 * SEC - 1, 1u << 20), 0);
	ck_assert_uint_eq(flow_table_expire(t, 2000 + 180 * SEC, 1u << 20), 1);
	ck_assert_uint_eq(stats(t).untracked, 0);
	ck_assert_uint_eq(stats(t).expired, 2);
	flow_table_free(t);

	/* A TCP established timeout below 600 s applies to untracked too. */
	fp.tcp_established_s = 350;
	t2 = flow_table_new(&fp);
	ck_assert_ptr_nonnull(t2);
	flow_table_note_untracked(t2, &syn, DIR_IN, 0, 1);
	ck_assert_uint_eq(only(t2, 0).expires, 350 * SEC);
	flow_table_free(t2);
}
END_TEST

/* The interface of the one untracked entry in t. */
static unsigned only_untracked_ifindex(struct flow_table *t, uint64_t now)
{
	struct collect c;
	size_t i;
	unsigned found = 0, n = 0;

	collect(t, now, &c);
	for (i = 0; i < c.n; i++)
		if (c.v[i].untracked) {
			found = c.v[i].ifindex;
			n++;
		}
	ck_assert_uint_eq(n, 1);
	return found;
}

/* Both kinds listed, each marked; flush empties both. */
START_TEST(test_untracked_foreach_marks)
{
	struct flow_table *t = table(64);
	struct pkt syn = tcp("10.0.0.1", 5000, "10.0.0.2", 22, SYN);
	struct pkt u1 = udp("10.0.0.1", 6000, "10.0.0.3", 514, 10);
	struct pkt h1 = tcp("198.51.100.7", 40000, "10.0.0.5", 80, SYN);
	struct pkt h2 = tcp("10.0.0.5", 80, "198.51.100.7", 40000, SYN | ACK);
	unsigned i, tracked = 0, unt = 0;
	struct collect c;

	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_OUT, 0, 5), 0);
	flow_table_note_untracked(t, &u1, DIR_OUT, 0, 6);
	flow_table_note_untracked(t, &h1, DIR_IN, 0, 7);
	flow_table_note_untracked(t, &h2, DIR_OUT, 1, 8);
	ck_assert_uint_eq(collect(t, 2, &c), 3);
	for (i = 0; i < c.n; i++) {
		const struct flow_view *v = &c.v[i];

		if (!v->untracked) {
			tracked++;
			ck_assert_uint_eq(v->tag, 5);
			ck_assert_int_eq(v->state, FLOW_NEW);
		} else if (v->proto == IPPROTO_NUM_UDP) {
			unt++;
			ck_assert_uint_eq(v->tag, 6);
			ck_assert_int_eq(v->state, FLOW_NEW);	/* one way only */
		} else {
			unt++;
			ck_assert_uint_eq(v->tag, 7);
			ck_assert_int_eq(v->state, FLOW_ESTABLISHED);
			ck_assert_int_eq(v->init_dir, DIR_IN);
			ck_assert_uint_eq(v->init_dport, 80);
		}
	}
	ck_assert_uint_eq(tracked, 1);
	ck_assert_uint_eq(unt, 2);
	ck_assert_uint_eq(stats(t).count, 1);
	ck_assert_uint_eq(stats(t).untracked, 2);
	flow_table_flush(t);
	ck_assert_uint_eq(collect(t, 2, &c), 0);
	ck_assert_uint_eq(stats(t).count, 0);
	ck_assert_uint_eq(stats(t).untracked, 0);
	flow_table_free(t);
}
END_TEST

/*
 * A flow records the interface of the packet that created it (pkt.ifindex),
 * tracked or untracked; replies by another interface do not change it; an
 * untracked entry made tracked takes the tracking packet's.
 */
START_TEST(test_flow_interface)
{
	struct flow_table *t = table(64);
	struct pkt syn = tcp("10.0.0.1", 5000, "10.0.0.2", 22, SYN);
	struct pkt sa = tcp("10.0.0.2", 22, "10.0.0.1", 5000, SYN | ACK);
	struct pkt u = udp("10.0.0.1", 6000, "10.0.0.3", 514, 10);
	struct collect c;

	syn.ifindex = 7;
	sa.ifindex = 9;
	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_OUT, 0, 5), 0);
	ck_assert_int_eq(look(t, &sa, 1), FLOW_HIT_REPLY);
	ck_assert_uint_eq(collect(t, 2, &c), 1);
	ck_assert_uint_eq(c.v[0].ifindex, 7);
	u.ifindex = 3;
	flow_table_note_untracked(t, &u, DIR_OUT, 2, 6);
	u.ifindex = 4;
	flow_table_note_untracked(t, &u, DIR_OUT, 3, 6);
	ck_assert_uint_eq(only_untracked_ifindex(t, 4), 3);
	ck_assert_int_eq(flow_table_insert(t, &u, DIR_OUT, 5, 8), 0);
	ck_assert_uint_eq(collect(t, 6, &c), 2);
	ck_assert_uint_eq(c.v[0].proto == IPPROTO_NUM_UDP ? c.v[0].ifindex : c.v[1].ifindex, 4);
	flow_table_free(t);
}
END_TEST

/* A table full of tracked flows records no untracked one and evicts nothing. */
START_TEST(test_untracked_no_room)
{
	struct capfix f;
	struct flow_stats s;
	unsigned i;

	cap_fill(&f);
	for (i = 0; i < 3; i++) {
		struct pkt u = uflow(i, false);

		flow_table_note_untracked(f.t, &u, DIR_IN, 2000, 9);
		ck_assert_int_eq(look(f.t, &u, 2001), FLOW_MISS);
	}
	s = stats(f.t);
	ck_assert_uint_eq(s.untracked, 0);
	ck_assert_uint_eq(s.untracked_skipped, 3);
	ck_assert_uint_eq(s.count, CAP);
	ck_assert_uint_eq(s.evictions, 0);
	ck_assert_uint_eq(s.conntrack_allowance_exceeded, 0);
	for (i = 0; i < CAP; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(look(f.t, &p, 2002), FLOW_HIT_ORIG);
	}
	flow_table_free(f.t);
}
END_TEST

/*
 * Untracked entries take only free room (then are skipped), and tracked
 * flows still reach the cap through them: _i untracked first, then CAP
 * tracked inserts all succeed, never counted as exceeded or evicted.
 */
START_TEST(test_untracked_reserve)
{
	unsigned nu = _i ? CAP : CAP / 2, i;
	struct flow_table *t = table(CAP);
	struct flow_stats s;
	struct pkt x;

	for (i = 0; i < nu; i++) {
		struct pkt u = uflow(i, false);

		flow_table_note_untracked(t, &u, DIR_IN, 0, 9);
	}
	ck_assert_uint_eq(stats(t).untracked, nu);
	if (nu == CAP) {
		struct pkt u = uflow(CAP, false);

		flow_table_note_untracked(t, &u, DIR_IN, 0, 9);
		ck_assert_uint_eq(stats(t).untracked_skipped, 1);
	}
	for (i = 0; i < CAP; i++) {
		struct pkt p = udp_n(i, false), r = udp_n(i, true);

		ck_assert_int_eq(flow_table_insert(t, &p, DIR_OUT, 10, 1), 0);
		ck_assert_int_eq(look(t, &r, 10), FLOW_HIT_REPLY);  /* established */
		s = stats(t);
		ck_assert_uint_eq(s.count, i + 1);
		ck_assert_uint_eq(s.count + s.untracked,
				  nu + i + 1 < CAP ? nu + i + 1 : CAP);
	}
	s = stats(t);
	ck_assert_uint_eq(s.count, CAP);
	ck_assert_uint_eq(s.untracked, 0);
	ck_assert_uint_eq(s.conntrack_allowance_exceeded, 0);
	ck_assert_uint_eq(s.evictions, 0);
	ck_assert_uint_eq(s.inserts, CAP);
	for (i = 0; i < CAP; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(look(t, &p, 20), FLOW_HIT_ORIG);
	}
	/* Full of established flows: a newcomer is refused, as without them. */
	x = uflow(1000, false);
	errno = 0;
	ck_assert_int_eq(flow_table_insert(t, &x, DIR_OUT, 30, 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(stats(t).conntrack_allowance_exceeded, 1);
	flow_table_free(t);
}
END_TEST

/* At the cap, an entry expired in the new untracked flow's own chain is reused. */
START_TEST(test_untracked_reuses_own_chain)
{
	struct flow_table *t = table(CAP);
	unsigned per[CAP] = { 0 }, i, j;
	struct pkt x;
	long bx;

	for (i = 0; i < CAP; i++) {
		struct pkt u = uflow(i, false);

		flow_table_note_untracked(t, &u, DIR_IN, 0, 9);
		per[flow_table_bucket(t, &u)]++;
	}
	for (j = CAP;; j++) {
		ck_assert_uint_lt(j, 5000);
		x = uflow(j, false);
		bx = flow_table_bucket(t, &x);
		if (per[bx])
			break;
	}
	flow_table_note_untracked(t, &x, DIR_IN, 29 * SEC, 9);
	ck_assert_uint_eq(stats(t).untracked_skipped, 1);	/* none expired yet */
	flow_table_note_untracked(t, &x, DIR_IN, 30 * SEC, 9);
	ck_assert_uint_eq(stats(t).untracked_skipped, 1);
	ck_assert_uint_eq(stats(t).expired, per[bx]);
	ck_assert_uint_eq(stats(t).untracked, CAP - per[bx] + 1);
	ck_assert_uint_eq(stats(t).count, 0);
	flow_table_free(t);
}
END_TEST

/* CAP - 1 unestablished tracked flows (udp_n, seen at i + 1), one free. */
static void cap_fill_but_one(struct capfix *f)
{
	unsigned i;

	f->t = table(CAP);
	f->nb = stats(f->t).buckets;
	f->n = CAP - 1;
	for (i = 0; i < f->n; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(flow_table_insert(f->t, &p, DIR_OUT, i + 1, 1), 0);
		f->bucket[i] = flow_table_bucket(f->t, &p);
	}
}

/* An untracked flow whose bucket is (or, with !near, is not) in b's window. */
static struct pkt untracked_at(const struct capfix *f, long b, bool near)
{
	unsigned j;

	for (j = 0; j < 5000; j++) {
		struct pkt u = uflow(j, false);
		long bu = flow_table_bucket(f->t, &u);

		if (((size_t)(bu - b + (long)f->nb) % f->nb < 8) == near)
			return u;
	}
	ck_abort_msg("no untracked flow placed as asked");
	return uflow(0, false);
}

/*
 * A tracked newcomer that finds no free entry takes the untracked entry
 * before any unestablished tracked flow (all older than it): one in its
 * eviction window (_i 0) or anywhere (_i 1); and (_i 2) when the window
 * holds only established flows, which without it would be a refusal.
 */
START_TEST(test_untracked_evicted_first)
{
	struct capfix f;
	struct flow_stats s;
	struct pkt x, u;
	unsigned i;
	long b;

	cap_fill_but_one(&f);
	x = cap_newcomer(&f, 2, &b);
	u = untracked_at(&f, b, _i == 0);
	for (i = 0; _i == 2 && i < CAP - 1; i++) {
		struct pkt r = udp_n(i, true);

		ck_assert_int_eq(look(f.t, &r, 500), FLOW_HIT_REPLY);
	}
	/* The most recently seen entry of all. */
	flow_table_note_untracked(f.t, &u, DIR_IN, 900, 9);
	s = stats(f.t);
	ck_assert_uint_eq(s.count + s.untracked, CAP);
	ck_assert_int_eq(flow_table_insert(f.t, &x, DIR_OUT, 1000, 1), 0);
	s = stats(f.t);
	ck_assert_uint_eq(s.untracked, 0);
	ck_assert_uint_eq(s.count, CAP);
	ck_assert_uint_eq(s.evictions, 0);
	ck_assert_uint_eq(s.conntrack_allowance_exceeded, 0);
	for (i = 0; i < CAP - 1; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(look(f.t, &p, 1001), FLOW_HIT_ORIG);
	}
	ck_assert_int_eq(look(f.t, &x, 1001), FLOW_HIT_ORIG);
	flow_table_free(f.t);
}
END_TEST

/* Is p's flow (UDP, keyed by its source port here) listed? */
static bool listed(struct flow_table *t, uint64_t now, const struct pkt *p)
{
	struct collect c;
	size_t i;

	collect(t, now, &c);
	ck_assert_uint_le(c.n, 64);
	for (i = 0; i < c.n; i++)
		if (c.v[i].init_sport == p->sport)
			return true;
	return false;
}

/* A chain at its cap: untracked entries give way, and get no room there. */
static void chain_untracked(const char *src, const char *dst)
{
	struct flow_table *t = table(1024);
	struct pkt col[36];
	unsigned n = 0, port, i;
	long target = -1;
	struct flow_stats s;

	for (port = 1; port < 65536 && n < 36; port++) {
		struct pkt p = udp(src, (uint16_t)port, dst, 53, 1);
		long b = flow_table_bucket(t, &p);

		if (target < 0)
			target = b;
		if (b == target)
			col[n++] = p;
	}
	ck_assert_uint_eq(n, 36);
	for (i = 0; i < 33; i++)
		flow_table_note_untracked(t, &col[i], DIR_IN, i, 1);
	s = stats(t);
	ck_assert_uint_eq(s.untracked, 32);
	ck_assert_uint_eq(s.untracked_skipped, 1);
	/* Tracked flows into the full chain: an untracked entry gives way. */
	ck_assert_int_eq(flow_table_insert(t, &col[33], DIR_IN, 100, 1), 0);
	ck_assert_int_eq(flow_table_insert(t, &col[34], DIR_IN, 100, 1), 0);
	/* And one becomes tracked where it is. */
	ck_assert_int_eq(flow_table_insert(t, &col[31], DIR_IN, 100, 1), 0);
	s = stats(t);
	ck_assert_uint_eq(s.chain_limit, 0);
	ck_assert_uint_eq(s.count, 3);
	ck_assert_uint_eq(s.untracked, 29);
	/* The least recently seen gave way: col[0], col[1], then col[2]. */
	ck_assert(!listed(t, 101, &col[0]) && !listed(t, 101, &col[1]));
	ck_assert(listed(t, 101, &col[2]));
	ck_assert_int_eq(flow_table_insert(t, &col[0], DIR_IN, 101, 1), 0);
	ck_assert(!listed(t, 101, &col[2]) && listed(t, 101, &col[3]));
	ck_assert_uint_eq(stats(t).untracked, 28);
	ck_assert_uint_eq(stats(t).count, 4);
	flow_table_free(t);

	/* A chain full of tracked flows: an untracked flow is skipped. */
	t = table(1024);
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(flow_table_insert(t, &col[i], DIR_IN, 0, 1), 0);
	flow_table_note_untracked(t, &col[32], DIR_IN, 1, 1);
	s = stats(t);
	ck_assert_uint_eq(s.untracked, 0);
	ck_assert_uint_eq(s.untracked_skipped, 1);
	ck_assert_uint_eq(s.chain_limit, 0);
	ck_assert_uint_eq(s.count, 32);
	flow_table_free(t);
}

START_TEST(test_untracked_chain_cap)
{
	chain_untracked("10.0.0.1", "10.0.0.2");
}
END_TEST

/* ---- construction, listing -------------------------------------------- */

/*
 * --conntrack on reload: new timeouts apply to each flow from its next
 * packet; a flow not seen since keeps the expiry it had. The stats show
 * the values in force.
 */
START_TEST(test_set_timeouts_next_packet)
{
	struct flow_table *t = table(64);
	struct flow_params fp = params(64);
	struct pkt a = udp_n(1, false), b = udp_n(2, false);
	struct flow_stats s;

	ck_assert_int_eq(flow_table_insert(t, &a, DIR_OUT, 0, 1), 0);
	ck_assert_int_eq(flow_table_insert(t, &b, DIR_OUT, 0, 1), 0);
	fp.udp_s = 60;
	fp.udp_stream_s = 120;
	fp.tcp_established_s = 350;
	flow_table_set_timeouts(t, &fp);
	s = stats(t);
	ck_assert_uint_eq(s.udp_s, 60);
	ck_assert_uint_eq(s.udp_stream_s, 120);
	ck_assert_uint_eq(s.tcp_established_s, 350);
	/* a's next packet takes the 60 s; b keeps its 30 s. */
	ck_assert_int_eq(look(t, &a, 20 * SEC), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &b, 30 * SEC), FLOW_MISS);
	ck_assert_int_eq(look(t, &a, 79 * SEC), FLOW_HIT_ORIG);
	/* Shorter again: from the next packet on. */
	fp.udp_s = 30;
	flow_table_set_timeouts(t, &fp);
	ck_assert_uint_eq(stats(t).udp_s, 30);
	ck_assert_int_eq(look(t, &a, 100 * SEC), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &a, 130 * SEC), FLOW_MISS);
	flow_table_free(t);
}
END_TEST

/* TCP established: 350 s (nitro-v6) from the next segment on. */
START_TEST(test_set_timeouts_tcp)
{
	struct flow_table *t = table(64);
	struct flow_params fp = params(64);
	struct pkt syn = tcp("10.1.0.1", 1000, "10.2.0.1", 80, TCPF_SYN);
	struct pkt sa = tcp("10.2.0.1", 80, "10.1.0.1", 1000, TCPF_SYN | TCPF_ACK);
	struct pkt ack = tcp("10.1.0.1", 1000, "10.2.0.1", 80, TCPF_ACK);

	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_OUT, 0, 1), 0);
	ck_assert_int_ne(look(t, &sa, 1), FLOW_MISS);
	ck_assert_int_ne(look(t, &ack, 2), FLOW_MISS);
	fp.tcp_established_s = 350;
	flow_table_set_timeouts(t, &fp);
	ck_assert_int_ne(look(t, &ack, 1000 * SEC), FLOW_MISS);
	ck_assert_int_ne(look(t, &ack, 1349 * SEC), FLOW_MISS);
	ck_assert_int_eq(look(t, &ack, 1699 * SEC + 1), FLOW_MISS);
	flow_table_free(t);
}
END_TEST

/* One established TCP flow 10.1.0.I:1000 -> 10.2.0.1:80, created on interface ifindex. */
static struct pkt tcp_on(struct flow_table *t, unsigned i, unsigned ifindex)
{
	char a[16];
	struct pkt syn, sa, ack;

	snprintf(a, sizeof(a), "10.1.0.%u", i);
	syn = tcp(a, 1000, "10.2.0.1", 80, TCPF_SYN);
	sa = tcp("10.2.0.1", 80, a, 1000, TCPF_SYN | TCPF_ACK);
	ack = tcp(a, 1000, "10.2.0.1", 80, TCPF_ACK);
	syn.ifindex = ifindex;
	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_OUT, 0, 1), 0);
	ck_assert_int_ne(look(t, &sa, 1), FLOW_MISS);
	ck_assert_int_ne(look(t, &ack, 2), FLOW_MISS);
	return ack;
}

/*
 * --conntrack IFACE=...: a flow created on interface 5 idles out by 5's
 * tcp-established (60 s), one on 6 or on no known interface by the host's;
 * new values for 5 apply from a flow's next packet; an empty list puts 5
 * back on the host's.
 */
START_TEST(test_iface_timeouts)
{
	struct flow_table *t = table(64);
	struct flow_iface_tmo v[2] = { { .ifindex = 5, .p = params(64) }, { .ifindex = 7, .p = params(64) } };
	struct pkt a, b, c;
	struct flow_stats s;

	v[0].p.tcp_established_s = 60;
	v[1].p.udp_s = 45;
	ck_assert_int_eq(flow_table_set_iface_timeouts(t, v, 2), 0);
	s = stats(t);
	ck_assert_uint_eq(s.n_iface, 2);
	ck_assert_uint_eq(s.iface[0].ifindex, 5);
	ck_assert_uint_eq(s.iface[0].tcp_established_s, 60);
	ck_assert_uint_eq(s.iface[1].udp_s, 45);
	ck_assert_uint_eq(s.tcp_established_s, 432000);
	a = tcp_on(t, 1, 5);
	b = tcp_on(t, 2, 6);
	c = tcp_on(t, 3, 0);
	/* A reply arriving by another interface does not move a flow to it. */
	a.ifindex = 6;
	ck_assert_int_eq(look(t, &a, 59 * SEC), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &a, 120 * SEC), FLOW_MISS);
	ck_assert_int_eq(look(t, &b, 122 * SEC), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &c, 122 * SEC), FLOW_HIT_ORIG);
	/* A reload: 5 now 120 s, taken from the next packet. */
	a = tcp_on(t, 4, 5);
	v[0].p.tcp_established_s = 120;
	ck_assert_int_eq(flow_table_set_iface_timeouts(t, v, 1), 0);
	ck_assert_uint_eq(stats(t).n_iface, 1);
	ck_assert_int_eq(look(t, &a, 50 * SEC), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &a, 169 * SEC), FLOW_HIT_ORIG);
	ck_assert_int_eq(flow_table_set_iface_timeouts(t, NULL, 0), 0);
	ck_assert_int_eq(look(t, &a, 288 * SEC), FLOW_HIT_ORIG);
	ck_assert_int_eq(look(t, &a, 1000 * SEC), FLOW_HIT_ORIG);
	errno = 0;
	ck_assert_int_eq(flow_table_set_iface_timeouts(t, v, FLOW_IFACE_TMO_MAX + 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	flow_table_free(t);
}
END_TEST

START_TEST(test_new_params)
{
	struct flow_params fp = params(0);
	struct flow_table *t;

	errno = 0;
	ck_assert_ptr_null(flow_table_new(&fp));
	ck_assert_int_eq(errno, EINVAL);
	fp.max_flows = 100;
	t = flow_table_new(&fp);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(stats(t).cap, 100);
	ck_assert_uint_eq(stats(t).buckets, 128);
	ck_assert_uint_eq(stats(t).count, 0);
	flow_table_free(t);
	flow_params_default(&fp);
	ck_assert_uint_eq(fp.max_flows, 262144);
	ck_assert_uint_eq(fp.tcp_established_s, 432000);
	ck_assert_uint_eq(fp.udp_s, 30);
	ck_assert_uint_eq(fp.udp_stream_s, 180);
	ck_assert_uint_eq(fp.other_s, 600);
	ck_assert_ptr_null(fp.hash_key);
	ck_assert_str_eq(flow_state_name(FLOW_ESTABLISHED), "ESTABLISHED");
	ck_assert_str_eq(flow_state_name(FLOW_STATE_MAX), "?");
}
END_TEST

START_TEST(test_foreach_view)
{
	struct flow_table *t = table(64);
	struct pkt syn = tcp("fd00::9", 40000, "fd00::2", 443, SYN);
	struct pkt sa = tcp("fd00::2", 443, "fd00::9", 40000, SYN | ACK);
	struct pkt u = udp("10.0.0.1", 1, "10.0.0.2", 2, 10);
	struct collect c;
	struct flow_view *v;
	uint8_t a9[16] = { 0xfd, [15] = 9 }, a2[16] = { 0xfd, [15] = 2 };

	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_IN, 1000, 77), 0);
	ck_assert_int_eq(look(t, &sa, 2000), FLOW_HIT_REPLY);
	ck_assert_int_eq(look(t, &sa, 2500), FLOW_HIT_REPLY);
	ck_assert_int_eq(flow_table_insert(t, &u, DIR_OUT, 0, 1), 0);
	ck_assert_uint_eq(collect(t, 3000, &c), 2);
	v = c.v[0].proto == IPPROTO_NUM_TCP ? &c.v[0] : &c.v[1];
	ck_assert_uint_eq(v->family, AF_INET6);
	ck_assert_mem_eq(v->init_src, a9, 16);
	ck_assert_mem_eq(v->init_dst, a2, 16);
	ck_assert_uint_eq(v->init_sport, 40000);
	ck_assert_uint_eq(v->init_dport, 443);
	ck_assert_int_eq(v->init_dir, DIR_IN);
	ck_assert_int_eq(v->state, FLOW_SYN_RECV);
	ck_assert_uint_eq(v->tag, 77);
	ck_assert_uint_eq(v->created, 1000);
	ck_assert_uint_eq(v->last_seen, 2500);
	ck_assert_uint_eq(v->expires, 2500 + 60 * SEC);
	ck_assert_uint_eq(v->packets[0], 1);
	ck_assert_uint_eq(v->packets[1], 2);
	ck_assert_uint_eq(v->bytes[0], syn.len);
	ck_assert_uint_eq(v->bytes[1], 2 * sa.len);
	/* Expired entries are not listed; count still has them until reaped. */
	ck_assert_uint_eq(collect(t, 30 * SEC, &c), 1);
	ck_assert_uint_eq(stats(t).count, 2);
	flow_table_free(t);
}
END_TEST

static int stop_fn(const struct flow_view *v, void *ctx)
{
	int *n = ctx;

	return ++*n == 3 ? 42 : 0;
}

START_TEST(test_foreach_stops)
{
	struct flow_table *t = table(64);
	unsigned i;
	int n = 0;

	for (i = 0; i < 10; i++) {
		struct pkt p = udp_n(i, false);

		ck_assert_int_eq(flow_table_insert(t, &p, DIR_OUT, 0, 1), 0);
	}
	ck_assert_int_eq(flow_table_foreach(t, 0, stop_fn, &n), 42);
	ck_assert_int_eq(n, 3);
	flow_table_free(t);
}
END_TEST

/* ---- multithreaded stress --------------------------------------------- */

#define STRESS_THREADS	8
#define STRESS_OPS	200000
#define STRESS_PKTS	6	/* packets per key */

struct stress_cfg {
	size_t cap;
	unsigned keys;
	bool evict;	/* --evict-unestablished */
};

static const struct stress_cfg stress_cfgs[] = {
	{ 16384, 4096, false },	/* roomy: hits, reaping, reopening */
	{ 2048, 4096, true },	/* at the cap: eviction and refusals */
	{ 64, 512, true },	/* tiny: the two-stripe eviction path, wrapping */
	{ 2048, 4096, false },	/* at the cap as in AWS: refusals only */
};

struct stress {
	struct flow_table *t;
	atomic_ulong *clock;	/* operations so far, all threads */
	struct pkt *pk;
	size_t npk;
	unsigned seed;
	bool flusher;
	unsigned long bad;
};

static void stress_key(struct pkt *out, unsigned k)
{
	char a[48], b[48];
	bool v6 = k & 4;
	uint16_t sp = (uint16_t)(10000 + k % 97), dp = (uint16_t)(80 + k % 3);

	/* Few addresses and ports: many keys share hosts, some are equal. */
	if (v6) {
		snprintf(a, sizeof(a), "fd00::%x", k % 61 + 1);
		snprintf(b, sizeof(b), "fd01::%x:%x", k / 61 % 200, k % 7);
	} else {
		snprintf(a, sizeof(a), "10.3.0.%u", k % 61 + 1);
		snprintf(b, sizeof(b), "10.4.%u.%u", k / 61 % 200, k % 7);
	}
	switch (k % 4) {
	case 0:
		out[0] = tcp(a, sp, b, dp, SYN);
		out[1] = tcp(b, dp, a, sp, SYN | ACK);
		out[2] = tcp(a, sp, b, dp, ACK);
		out[3] = tcp(a, sp, b, dp, FIN | ACK);
		out[4] = tcp(b, dp, a, sp, RST);
		out[5] = tcp(b, dp, a, sp, PSH | ACK);
		break;
	case 1:
		out[0] = out[2] = out[4] = udp(a, sp, b, dp, 8);
		out[1] = out[3] = out[5] = udp(b, dp, a, sp, 8);
		break;
	case 2:
		out[0] = out[2] = out[4] = icmp(a, b, v6 ? 128 : 8, sp);
		out[1] = out[3] = out[5] = icmp(b, a, v6 ? 129 : 0, sp);
		break;
	default:
		out[0] = out[2] = out[4] = proto(a, b, 47, 4);
		out[1] = out[3] = out[5] = proto(b, a, 47, 4);
		break;
	}
}

static unsigned xorshift(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int count_fn(const struct flow_view *v, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

/*
 * Judge like the policy: lookup, then on a miss insert, or for the keys
 * whose rules leave them untracked (one in three), mostly note them (tag 6,
 * which a hit must never show) and now and then insert (the rules changed).
 */
static void stress_packet(struct stress *s, const struct pkt *p, size_t key,
			  uint64_t now)
{
	struct flow_hit h;
	enum flow_match m = flow_table_lookup(s->t, p, now, &h);

	if (m != FLOW_MISS) {
		s->bad += (unsigned)h.state >= FLOW_STATE_MAX || h.tag != 5;
		return;
	}
	if (key / 4 % 3 == 0 && xorshift(&s->seed) % 128) {
		flow_table_note_untracked(s->t, p, DIR_IN, now, 6);
		return;
	}
	if (flow_table_insert(s->t, p, DIR_OUT, now, 5) < 0)
		s->bad += errno != ENOSPC && errno != EINVAL;
}

/*
 * The keys in use: half of them, a window that slides by an eighth every
 * second, so every key is busy for ~4 s and then idles long enough to
 * time out (the stress timeouts are 1-4 s).
 */
static size_t stress_pick(struct stress *s, uint64_t now)
{
	size_t nkeys = s->npk / STRESS_PKTS;
	size_t base = (size_t)(now / 1000) * (nkeys / 8);

	return (base + xorshift(&s->seed) % (nkeys / 2)) % nkeys;
}

/* One packet of a key in use, judged. */
static void stress_one(struct stress *s, uint64_t now)
{
	size_t key = stress_pick(s, now);
	unsigned i = xorshift(&s->seed) % STRESS_PKTS;

	stress_packet(s, &s->pk[key * STRESS_PKTS + i], key, now);
}

/*
 * VPCFW_STRESS_OPS: fewer operations over the same table time, for the run
 * under ThreadSanitizer (tests/run).
 */
static unsigned long stress_ops(void)
{
	const char *e = getenv("VPCFW_STRESS_OPS");
	long n = e ? atol(e) : 0;

	return n >= 6 ? (unsigned long)n : STRESS_OPS;
}

static void *stress_thread(void *arg)
{
	struct stress *s = arg;
	unsigned long i, ops = stress_ops();

	for (i = 0; i < ops; i++) {
		/*
		 * One clock for every thread, as in the daemon: ~12.5 s of
		 * table time whatever the scheduling (sanitizers serialise).
		 */
		unsigned long tick = atomic_fetch_add(s->clock, 1);
		uint64_t now = 1 + (uint64_t)tick * (STRESS_OPS / ops) / (16 * STRESS_THREADS);
		unsigned r = xorshift(&s->seed) % 100000;
		size_t n = 0;

		if (s->flusher && i % (ops / 3) == ops / 6)
			flow_table_flush(s->t);		/* twice per run */
		else if (r < 95000)
			stress_one(s, now);
		else if (r < 99500)
			flow_table_expire(s->t, now, 16);
		else
			s->bad += flow_table_foreach(s->t, now, count_fn, &n) != 0;
	}
	return NULL;
}

struct keyrec {
	uint8_t b[40];
};

static int keyrec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct keyrec));
}

struct keylist {
	struct keyrec *k;
	size_t n, size;
	size_t nu;		/* untracked among them */
};

/* A normalised key from a view: endpoints sorted; ICMP: querier first. */
static int keylist_fn(const struct flow_view *v, void *ctx)
{
	struct keylist *l = ctx;
	struct keyrec *r;
	bool swap = v->proto != IPPROTO_NUM_ICMP &&
		    v->proto != IPPROTO_NUM_ICMPV6 &&
		    (memcmp(v->init_src, v->init_dst, 16) > 0 ||
		     (!memcmp(v->init_src, v->init_dst, 16) &&
		      v->init_sport > v->init_dport));

	if (l->n == l->size)
		return 1;
	l->nu += v->untracked;
	r = &l->k[l->n++];
	memset(r, 0, sizeof(*r));
	r->b[0] = v->family;
	r->b[1] = v->proto;
	memcpy(r->b + 2, swap ? v->init_dst : v->init_src, 16);
	memcpy(r->b + 18, swap ? v->init_src : v->init_dst, 16);
	memcpy(r->b + 34, swap ? &v->init_dport : &v->init_sport, 2);
	memcpy(r->b + 36, swap ? &v->init_sport : &v->init_dport, 2);
	return 0;
}

static void stress_check(struct flow_table *t, size_t cap)
{
	struct flow_stats st = stats(t);
	struct keylist l = { .size = cap + 1 };
	size_t i;

	l.k = calloc(l.size, sizeof(*l.k));
	ck_assert_ptr_nonnull(l.k);
	/* At time 0 nothing is expired: foreach sees every entry. */
	ck_assert_int_eq(flow_table_foreach(t, 0, keylist_fn, &l), 0);
	ck_assert_uint_eq(l.n, st.count + st.untracked);
	ck_assert_uint_eq(l.nu, st.untracked);
	ck_assert_uint_le(st.count + st.untracked, cap);
	qsort(l.k, l.n, sizeof(*l.k), keyrec_cmp);
	for (i = 1; i < l.n; i++)
		ck_assert_msg(keyrec_cmp(&l.k[i - 1], &l.k[i]) != 0,
			      "duplicate key at %zu", i);
	free(l.k);
}

/* FLOW_STRESS_STATS=1: show what the run exercised. */
static void stress_report(struct flow_table *t, const struct stress_cfg *cfg)
{
	struct flow_stats d = stats(t);

	fprintf(stderr, "cap %zu keys %u: count %lu inserts %lu expired %lu "
		"evictions %lu exceeded %lu chain_limit %lu untracked %lu "
		"skipped %lu\n", cfg->cap,
		cfg->keys, (unsigned long)d.count, (unsigned long)d.inserts,
		(unsigned long)d.expired, (unsigned long)d.evictions,
		(unsigned long)d.conntrack_allowance_exceeded,
		(unsigned long)d.chain_limit, (unsigned long)d.untracked,
		(unsigned long)d.untracked_skipped);
}

START_TEST(test_stress)
{
	const struct stress_cfg *cfg = &stress_cfgs[_i];
	struct flow_params fp = params(cfg->cap);
	struct stress s[STRESS_THREADS];
	pthread_t th[STRESS_THREADS];
	size_t npk = (size_t)cfg->keys * STRESS_PKTS;
	struct pkt *pk = calloc(npk, sizeof(*pk));
	struct flow_table *t;
	atomic_ulong clock = 0;
	unsigned i;

	fp.tcp_established_s = 4;
	fp.udp_s = fp.icmp_s = fp.tcp_syn_sent_s = fp.tcp_close_s = 1;
	fp.udp_stream_s = fp.other_s = 3;
	fp.evict_unestablished = cfg->evict;
	t = flow_table_new(&fp);
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(pk);
	for (i = 0; i < cfg->keys; i++)
		stress_key(pk + (size_t)i * STRESS_PKTS, i);
	for (i = 0; i < STRESS_THREADS; i++) {
		s[i] = (struct stress){ .t = t, .clock = &clock, .pk = pk,
					.npk = npk,
					.seed = 2463534242u + i * 7919,
					.flusher = i == 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, stress_thread,
						&s[i]), 0);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_uint_eq(s[i].bad, 0);
	}
	stress_check(t, cfg->cap);
	if (getenv("FLOW_STRESS_STATS"))
		stress_report(t, cfg);
	ck_assert_uint_gt(stats(t).inserts, 0);
	/* Idle keys expired; at the cap, churn evicted (or was refused) too. */
	if (cfg->keys / 2 > cfg->cap && cfg->evict)
		ck_assert_uint_gt(stats(t).evictions, 0);
	else if (cfg->keys / 2 > cfg->cap)
		ck_assert_uint_eq(stats(t).evictions, 0);
	else
		ck_assert_uint_gt(stats(t).expired, 0);
	/*
	 * The pool lost nothing: after a flush the whole cap is usable, by
	 * untracked entries and then, through them, by tracked flows.
	 */
	flow_table_flush(t);
	ck_assert_uint_eq(stats(t).count, 0);
	ck_assert_uint_eq(stats(t).untracked, 0);
	for (i = 0; i < cfg->cap; i++) {
		struct pkt p = udp_n(i, true);

		flow_table_note_untracked(t, &p, DIR_IN, 0, 6);
	}
	ck_assert_uint_eq(stats(t).untracked, cfg->cap);
	for (i = 0; i < cfg->cap; i++) {
		struct pkt p = udp("10.5.0.1", (uint16_t)(1024 + i), "10.6.0.1",
				   53, 1);

		ck_assert_int_eq(flow_table_insert(t, &p, DIR_OUT, 0, 1), 0);
	}
	ck_assert_uint_eq(stats(t).count, cfg->cap);
	ck_assert_uint_eq(stats(t).untracked, 0);
	flow_table_free(t);
	free(pk);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc;

	tc = tcase_create("tcp");
	tcase_add_loop_test(tc, test_tcp_vector, 0,
			    (int)(ARRAY_SIZE(tcp_vecs) * TCP_ADDR_SETS));
	tcase_add_test(tc, test_hit_fields);
	tcase_add_test(tc, test_tcp_closed_expires);
	suite_add_tcase(s, tc);

	tc = tcase_create("udp");
	tcase_add_test(tc, test_udp_one_way);
	tcase_add_test(tc, test_udp_single_exchange);
	tcase_add_test(tc, test_udp_stream);
	tcase_add_test(tc, test_fragments);
	tcase_add_test(tc, test_ipv6_exthdrs_same_flow);
	suite_add_tcase(s, tc);

	tc = tcase_create("icmp-other");
	tcase_add_test(tc, test_icmp_echo_v4);
	tcase_add_test(tc, test_icmp_echo_v6);
	tcase_add_test(tc, test_icmp_both_sides_query);
	tcase_add_test(tc, test_icmp_untrackable);
	tcase_add_test(tc, test_other_proto_address_pair);
	tcase_add_test(tc, test_families_distinct);
	suite_add_tcase(s, tc);

	tc = tcase_create("expiry");
	tcase_add_test(tc, test_expire_sweep);
	tcase_add_test(tc, test_expire_keeps_live);
	tcase_add_test(tc, test_flush);
	suite_add_tcase(s, tc);

	tc = tcase_create("cap");
	tcase_add_test(tc, test_cap_refuses_new);
	tcase_add_test(tc, test_cap_available);
	tcase_add_test(tc, test_cap_evicts_oldest_unestablished);
	tcase_add_test(tc, test_cap_spares_established);
	tcase_add_test(tc, test_cap_full_of_established);
	tcase_add_test(tc, test_cap_reuses_expired);
	tcase_add_test(tc, test_cap_prefers_expired);
	tcase_add_test(tc, test_cap_reuses_own_chain);
	tcase_add_test(tc, test_chain_cap_v4);
	tcase_add_test(tc, test_chain_cap_v6);
	tcase_add_test(tc, test_hash_keyed);
	suite_add_tcase(s, tc);

	tc = tcase_create("untracked");
	tcase_add_test(tc, test_untracked_note_is_a_miss);
	tcase_add_test(tc, test_untracked_refresh);
	tcase_add_test(tc, test_untracked_becomes_tracked);
	tcase_add_test(tc, test_untracked_unkeyable);
	tcase_add_test(tc, test_untracked_expiry);
	tcase_add_test(tc, test_untracked_foreach_marks);
	tcase_add_test(tc, test_flow_interface);
	tcase_add_test(tc, test_iface_timeouts);
	tcase_add_test(tc, test_untracked_no_room);
	tcase_add_test(tc, test_untracked_reuses_own_chain);
	tcase_add_loop_test(tc, test_untracked_reserve, 0, 2);
	tcase_add_loop_test(tc, test_untracked_evicted_first, 0, 3);
	tcase_add_test(tc, test_untracked_chain_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("table");
	tcase_add_test(tc, test_new_params);
	tcase_add_test(tc, test_set_timeouts_next_packet);
	tcase_add_test(tc, test_set_timeouts_tcp);
	tcase_add_test(tc, test_foreach_view);
	tcase_add_test(tc, test_foreach_stops);
	suite_add_tcase(s, tc);

	tc = tcase_create("stress");
	tcase_set_timeout(tc, 600);	/* sanitizer builds are slow */
	tcase_add_loop_test(tc, test_stress, 0, (int)ARRAY_SIZE(stress_cfgs));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(flow_suite());
}
