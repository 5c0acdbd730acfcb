/*
 * The flow table's key and state machine (see flow.h, flow_int.h).
 *
 * Key. Family, protocol and the two endpoints in a canonical order so that
 * both directions of a flow give the same key:
 *   TCP/UDP   (address, port) pairs sorted;
 *   ICMP(v6)  the querier first, then the responder, the query identifier as
 *             both ports and the query type (a reply maps to its query type),
 *             so a reply can only ever match in the reply direction and an
 *             echo request from the responder starts a flow of its own;
 *   others    the sorted address pair and the protocol (AWS: "remote IP,
 *             protocol"), no ports.
 * The key is hashed with SipHash-2-4 (libsodium crypto_shorthash) under a
 * 16-byte key from getrandom(), so remote senders cannot aim at one chain;
 * the chain cap bounds the damage if they could.
 *
 * State machine (TCP), s = the side that sent the packet. Flag
 * combinations conntrack's tcp_valid_flags calls invalid (SYN|FIN, SYN|RST,
 * FIN without ACK, no flags, ...: flow_tcp.c) start nothing and are a miss
 * on every flow; every other segment of a flow must also be in its window
 * (flow_tcp.c: conntrack's tcp_in_window, pf's exact RST) to be a hit and
 * move the state, else it is a miss that changes nothing.
 *   no flow  SYN (no ACK)              -> NEW            (insert)
 *            ACK without SYN/RST       -> ESTABLISHED    (mid-stream pickup;
 *                                         a FIN|ACK then moves on to FIN_WAIT)
 *            RST, SYN|ACK, no ACK      -> not tracked (EINVAL)
 *   NEW          SYN|ACK from the responder        -> SYN_RECV
 *   SYN_RECV     ACK from the initiator            -> ESTABLISHED
 *   SYN_RECV, ESTABLISHED  FIN                  -> FIN_WAIT, fin side = s
 *   FIN_WAIT     FIN from the other side           -> LAST_ACK
 *                ACK from the other side           -> CLOSE_WAIT
 *   CLOSE_WAIT   FIN from the other side           -> LAST_ACK
 *   LAST_ACK     ACK from the fin side             -> TIME_WAIT
 *   any          RST with an exact number          -> CLOSED
 *   SYN_RECV..LAST_ACK  new SYN from the initiator -> hit, unchanged; its
 *                SYN-ACK answer                    -> SYN_RECV (reopened)
 *   TIME_WAIT    SYN (no ACK)                      -> miss (insert reuses)
 *   CLOSED       anything                          -> miss (insert reuses)
 *   otherwise: a hit, state unchanged.
 * UDP: NEW -> (reply) ESTABLISHED -> (any further packet) UDP_STREAM.
 * ICMP queries and other protocols: NEW -> (reply) ESTABLISHED.
 * Every hit refreshes the idle timer with the timeout of the new state.
 *
 * Untracked entries (listing only) have no state machine: NEW until a
 * packet comes the other way, then ESTABLISHED; UDP goes on to UDP_STREAM
 * like a tracked flow, only to pick the longer UDP timeout. Their timeouts
 * (utmo): the protocol's established one, TCP capped at 600 s.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "flow_int.h"

#define FLOW_REFUSE		FLOW_STATE_MAX	/* "the state machine says miss" */

static const char *const flow_state_names[FLOW_STATE_MAX] = {
	[FLOW_NEW]		= "NEW",
	[FLOW_SYN_RECV]		= "SYN_RECV",
	[FLOW_ESTABLISHED]	= "ESTABLISHED",
	[FLOW_UDP_STREAM]	= "UDP_STREAM",
	[FLOW_FIN_WAIT]		= "FIN_WAIT",
	[FLOW_CLOSE_WAIT]	= "CLOSE_WAIT",
	[FLOW_LAST_ACK]		= "LAST_ACK",
	[FLOW_TIME_WAIT]	= "TIME_WAIT",
	[FLOW_CLOSED]		= "CLOSED",
};

const char *flow_state_name(enum flow_state s)
{
	if ((unsigned)s >= FLOW_STATE_MAX)
		return "?";
	return flow_state_names[s];
}

/* ---- keys ---------------------------------------------------------- */

static int flow_fam(uint8_t family)
{
	return family == AF_INET6;
}

static enum flow_l4 flow_l4_of(uint8_t family, uint8_t proto)
{
	if (proto == IPPROTO_NUM_TCP)
		return FL_TCP;
	if (proto == IPPROTO_NUM_UDP)
		return FL_UDP;
	if ((family == AF_INET && proto == IPPROTO_NUM_ICMP) ||
	    (family == AF_INET6 && proto == IPPROTO_NUM_ICMPV6))
		return FL_ICMP;
	return FL_OTHER;
}

/* Endpoints in (address, port) order; side is where the source went. */
static void flow_key_sorted(struct flow_pkt *fp, const struct pkt *p,
			    uint16_t sport, uint16_t dport)
{
	int c = memcmp(p->src, p->dst, sizeof(p->src));
	unsigned s = c > 0 || (c == 0 && sport > dport);

	memcpy(fp->key.addr[s], p->src, 16);
	memcpy(fp->key.addr[!s], p->dst, 16);
	fp->key.port[s] = sport;
	fp->key.port[!s] = dport;
	fp->side = (uint8_t)s;
}

/* Querier first: a query is side 0, a reply side 1. Other types: -1. */
static int flow_key_icmp(const struct flow_conf *c, struct flow_pkt *fp,
			 const struct pkt *p)
{
	int f = flow_fam(p->family);
	unsigned s;

	if (c->icmp_reply[f][p->icmp_type] >= 0) {
		s = 0;
		fp->key.icmp_type = p->icmp_type;
	} else if (c->icmp_query[f][p->icmp_type] >= 0) {
		s = 1;
		fp->key.icmp_type = (uint8_t)c->icmp_query[f][p->icmp_type];
	} else {
		return -1;
	}
	memcpy(fp->key.addr[s], p->src, 16);
	memcpy(fp->key.addr[!s], p->dst, 16);
	fp->key.port[0] = fp->key.port[1] = p->icmp_id;
	fp->side = (uint8_t)s;
	return 0;
}

/*
 * Build the key of p, or -1 if p can never belong to a flow: ICMP errors,
 * non-first fragments (no transport header, so no key), ICMP types that
 * are neither query nor reply, transport protocols without a parsed header.
 */
int flow_pkt_build(const struct flow_conf *c, const struct pkt *p,
		   struct flow_pkt *fp)
{
	memset(fp, 0, sizeof(*fp));
	if (p->family != AF_INET && p->family != AF_INET6)
		return -1;
	if (p->flags & (PKT_F_LATER_FRAG | PKT_F_ICMP_ERR))
		return -1;
	fp->p = p;
	fp->key.family = p->family;
	fp->key.proto = p->proto;
	fp->l4 = flow_l4_of(p->family, p->proto);
	if (fp->l4 != FL_OTHER && !(p->flags & PKT_F_L4))
		return -1;
	switch (fp->l4) {
	case FL_TCP:
		fp->tcp_flags = p->tcp_flags;
		/* fall through */
	case FL_UDP:
		flow_key_sorted(fp, p, p->sport, p->dport);
		return 0;
	case FL_ICMP:
		return flow_key_icmp(c, fp, p);
	default:
		flow_key_sorted(fp, p, 0, 0);
		return 0;
	}
}

uint64_t flow_key_hash(const struct flow_conf *c, const struct flow_key *k)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)k, sizeof(*k), c->hash_key);
	memcpy(&v, h, sizeof(v));
	return v;
}

/* ---- state machine ------------------------------------------------- */

/* The state p starts a flow in, or -1 if it cannot start one. */
int flow_initial_state(const struct flow_pkt *fp)
{
	uint8_t f = fp->tcp_flags;

	switch (fp->l4) {
	case FL_TCP:
		if ((f & TCPF_RST) || !flow_tcp_flags_valid(f))
			return -1;
		if (f & TCPF_SYN)
			return (f & TCPF_ACK) ? -1 : FLOW_NEW;
		return (f & TCPF_ACK) ? FLOW_ESTABLISHED : -1;
	case FL_ICMP:
		return fp->side == 0 ? FLOW_NEW : -1;
	default:
		return FLOW_NEW;
	}
}

/* A closing transition; `other` is true when the sender is not the fin side. */
static unsigned flow_tcp_closing(unsigned st, uint8_t f, bool other)
{
	bool ack_only = (f & (TCPF_ACK | TCPF_FIN)) == TCPF_ACK;

	switch (st) {
	case FLOW_FIN_WAIT:
		if (other && (f & TCPF_FIN))
			return FLOW_LAST_ACK;
		return other && ack_only ? FLOW_CLOSE_WAIT : st;
	case FLOW_CLOSE_WAIT:
		return other && (f & TCPF_FIN) ? FLOW_LAST_ACK : st;
	case FLOW_LAST_ACK:
		return !other && ack_only ? FLOW_TIME_WAIT : st;
	default:
		return st;
	}
}

static unsigned flow_tcp_next(const struct flow_entry *e,
			      const struct flow_pkt *fp, bool reply)
{
	unsigned st = e->state;
	uint8_t f = fp->tcp_flags;
	bool syn_only = (f & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;

	if (st == FLOW_CLOSED || (st == FLOW_TIME_WAIT && syn_only))
		return FLOW_REFUSE;
	if (f & TCPF_RST)
		return FLOW_CLOSED;
	switch (st) {
	case FLOW_NEW:
		return reply && (f & TCPF_SYN) && (f & TCPF_ACK) ?
			FLOW_SYN_RECV : st;
	case FLOW_SYN_RECV:
	case FLOW_ESTABLISHED:
		if (f & TCPF_FIN)
			return FLOW_FIN_WAIT;
		if (st == FLOW_SYN_RECV && !reply &&
		    (f & (TCPF_SYN | TCPF_ACK)) == TCPF_ACK)
			return FLOW_ESTABLISHED;
		return st;
	default:
		return flow_tcp_closing(st, f, fp->side != e->fin_side);
	}
}

/*
 * The state machine, then the windows: only a segment they accept moves
 * the state (and teaches the windows), a refused one changes nothing.
 * Invalid flags never get here: lookup and insert turn them away first.
 */
static unsigned flow_tcp_step(struct flow_entry *e, const struct flow_pkt *fp,
			      bool reply, enum flow_refusal *why)
{
	unsigned next = flow_tcp_next(e, fp, reply);

	if (next == FLOW_REFUSE) {
		*why = FLOW_REFUSED_STATE;
		return next;
	}
	switch (flow_tcp_track(&e->tcp, e->state, e->init_side, fp)) {
	case FLOW_TCP_OK:
		return next;
	case FLOW_TCP_IGNORE:
		return e->state;
	case FLOW_TCP_REOPEN:
		return FLOW_SYN_RECV;
	default:
		*why = FLOW_REFUSED_WINDOW;
		return FLOW_REFUSE;
	}
}

/* The state after fp on e, or FLOW_REFUSE (reason in *why) for a miss. */
static unsigned flow_next_state(struct flow_entry *e, const struct flow_pkt *fp,
				bool reply, enum flow_refusal *why)
{
	switch (fp->l4) {
	case FL_TCP:
		return flow_tcp_step(e, fp, reply, why);
	case FL_UDP:
		if (e->state == FLOW_NEW)
			return reply ? FLOW_ESTABLISHED : FLOW_NEW;
		return FLOW_UDP_STREAM;
	default:
		return reply ? FLOW_ESTABLISHED : e->state;
	}
}

/* The timeouts of the interface that created e, or the host's. */
static const struct flow_tmo *flow_tmo_of(const struct flow_conf *c,
					  const struct flow_entry *e)
{
	uint32_t n = atomic_load_explicit(&c->n_if, memory_order_relaxed), i;

	/* A few interfaces at most: a scan, and nothing when none has its own. */
	for (i = 0; e->ifindex && i < n && i < FLOW_IFACE_TMO_MAX; i++)
		if (atomic_load_explicit(&c->if_index[i], memory_order_relaxed) == e->ifindex)
			return &c->if_tmo[i];
	return &c->def;
}

static void flow_touch(const struct flow_conf *c, struct flow_entry *e,
		       uint64_t now)
{
	enum flow_l4 l4 = flow_l4_of(e->key.family, e->key.proto);
	const struct flow_tmo *m = flow_tmo_of(c, e);
	const _Atomic uint64_t *tmo = e->untracked ? m->utmo[l4] : m->tmo[l4];

	/* Threads read the clock separately: never move last_seen back. */
	if (now > e->last_seen)
		e->last_seen = now;
	/* A reload may change it: the next packet takes the new timeout. */
	e->expires = e->last_seen +
		     atomic_load_explicit(&tmo[e->state], memory_order_relaxed);
}

/* Run fp through e's state machine and account it; FLOW_MISS if refused. */
enum flow_match flow_account(const struct flow_conf *c, struct flow_entry *e,
			     const struct flow_pkt *fp, uint64_t now,
			     enum flow_refusal *why)
{
	bool reply = fp->side != e->init_side;
	enum flow_refusal dummy;
	unsigned next;

	if (!why)
		why = &dummy;
	*why = FLOW_ACCEPTED;
	next = flow_next_state(e, fp, reply, why);
	if (next == FLOW_REFUSE)
		return FLOW_MISS;
	if (next == FLOW_FIN_WAIT && e->state != FLOW_FIN_WAIT)
		e->fin_side = fp->side & 1;
	e->state = (uint8_t)next;
	e->packets[reply]++;
	e->bytes[reply] += fp->p->len;
	flow_touch(c, e, now);
	return reply ? FLOW_HIT_REPLY : FLOW_HIT_ORIG;
}

/* Reset e (keeping e->next) to a fresh entry of fp's key, nothing counted. */
static void flow_entry_init(struct flow_entry *e, const struct flow_pkt *fp,
			    int state, enum dir d, uint64_t now, uint64_t tag)
{
	struct flow_entry *next = e->next;

	memset(e, 0, sizeof(*e));
	e->next = next;
	e->key = fp->key;
	e->tag = tag;
	e->state = (uint8_t)state;
	e->init_side = fp->side & 1;
	e->init_dir = (uint8_t)d;
	e->ifindex = fp->p->ifindex;
	e->created = e->last_seen = now;
}

/* (Re)start e as the flow fp creates, then account the creating packet. */
void flow_entry_start(const struct flow_conf *c, struct flow_entry *e,
		      const struct flow_pkt *fp, int state, enum dir d,
		      uint64_t now, uint64_t tag)
{
	flow_entry_init(e, fp, state, d, now, tag);
	flow_account(c, e, fp, now, NULL);
}

void flow_entry_start_untracked(const struct flow_conf *c, struct flow_entry *e,
				const struct flow_pkt *fp, enum dir d,
				uint64_t now, uint64_t tag)
{
	flow_entry_init(e, fp, FLOW_NEW, d, now, tag);
	e->untracked = 1;
	flow_account_untracked(c, e, fp, now, tag);
}

void flow_account_untracked(const struct flow_conf *c, struct flow_entry *e,
			    const struct flow_pkt *fp, uint64_t now,
			    uint64_t tag)
{
	bool reply = fp->side != e->init_side;

	if (e->state == FLOW_NEW) {
		if (reply)
			e->state = FLOW_ESTABLISHED;
	} else if (fp->l4 == FL_UDP) {
		e->state = FLOW_UDP_STREAM;
	}
	/*
	 * The rule that allowed the latest packet the flow's own way: current
	 * across reloads, and not flipping to the reply direction's rule.
	 */
	if (!reply)
		e->tag = tag;
	e->packets[reply]++;
	e->bytes[reply] += fp->p->len;
	flow_touch(c, e, now);
}

/* ---- construction -------------------------------------------------- */

/*
 * Untracked entries: each protocol's established timeout, TCP capped at
 * FLOW_UNTRACKED_TCP_S; UDP keeps its two classes (UDP_STREAM after more
 * than one exchange).
 */
static void flow_utmo_init(struct flow_tmo *c, const struct flow_params *p)
{
	uint32_t tcp = p->tcp_established_s < FLOW_UNTRACKED_TCP_S ?
		       p->tcp_established_s : FLOW_UNTRACKED_TCP_S;
	unsigned s;

	for (s = 0; s < FLOW_STATE_MAX; s++) {
		c->utmo[FL_TCP][s] = (uint64_t)tcp * 1000;
		c->utmo[FL_UDP][s] = c->tmo[FL_UDP][s];
		c->utmo[FL_ICMP][s] = c->tmo[FL_ICMP][s];
		c->utmo[FL_OTHER][s] = c->tmo[FL_OTHER][s];
	}
}

void flow_conf_timeouts(struct flow_conf *c, const struct flow_params *p)
{
	flow_tmo_set(&c->def, p);
}

void flow_tmo_set(struct flow_tmo *c, const struct flow_params *p)
{
	static const size_t tcp_off[FLOW_STATE_MAX] = {
		[FLOW_NEW] = offsetof(struct flow_params, tcp_syn_sent_s),
		[FLOW_SYN_RECV] = offsetof(struct flow_params, tcp_syn_recv_s),
		[FLOW_ESTABLISHED] = offsetof(struct flow_params, tcp_established_s),
		[FLOW_UDP_STREAM] = offsetof(struct flow_params, tcp_established_s),
		[FLOW_FIN_WAIT] = offsetof(struct flow_params, tcp_fin_wait_s),
		[FLOW_CLOSE_WAIT] = offsetof(struct flow_params, tcp_close_wait_s),
		[FLOW_LAST_ACK] = offsetof(struct flow_params, tcp_last_ack_s),
		[FLOW_TIME_WAIT] = offsetof(struct flow_params, tcp_time_wait_s),
		[FLOW_CLOSED] = offsetof(struct flow_params, tcp_close_s),
	};
	unsigned s;

	for (s = 0; s < FLOW_STATE_MAX; s++) {
		uint32_t v;

		memcpy(&v, (const char *)p + tcp_off[s], sizeof(v));
		c->tmo[FL_TCP][s] = (uint64_t)v * 1000;
		c->tmo[FL_UDP][s] = (uint64_t)(s == FLOW_UDP_STREAM ?
					       p->udp_stream_s : p->udp_s) * 1000;
		c->tmo[FL_ICMP][s] = (uint64_t)p->icmp_s * 1000;
		c->tmo[FL_OTHER][s] = (uint64_t)p->other_s * 1000;
	}
	flow_utmo_init(c, p);
}

/* Query <-> reply type maps from the parser's own table, both families. */
static void flow_icmp_init(struct flow_conf *c)
{
	static const uint8_t fams[2] = { AF_INET, AF_INET6 };
	unsigned f, type;

	memset(c->icmp_reply, 0xff, sizeof(c->icmp_reply));
	memset(c->icmp_query, 0xff, sizeof(c->icmp_query));
	for (f = 0; f < 2; f++) {
		for (type = 0; type < 256; type++) {
			int r = pkt_icmp_reply_type(fams[f], (uint8_t)type);

			if (r < 0 || r > 255)
				continue;
			c->icmp_reply[f][type] = (int16_t)r;
			c->icmp_query[f][r] = (int16_t)type;
		}
	}
}

static int flow_key_init(struct flow_conf *c, const struct flow_params *p)
{
	size_t got = 0;

	if (sodium_init() < 0) {
		errno = ENOSYS;
		return -1;
	}
	if (p->hash_key) {
		memcpy(c->hash_key, p->hash_key, sizeof(c->hash_key));
		return 0;
	}
	while (got < sizeof(c->hash_key)) {
		ssize_t r = getrandom(c->hash_key + got,
				      sizeof(c->hash_key) - got, 0);

		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0)
			got += (size_t)r;
	}
	return 0;
}

int flow_conf_init(struct flow_conf *c, const struct flow_params *p)
{
	if (flow_key_init(c, p) < 0)
		return -1;
	flow_conf_timeouts(c, p);
	flow_icmp_init(c);
	return 0;
}

void flow_conf_clear(struct flow_conf *c)
{
	sodium_memzero(c->hash_key, sizeof(c->hash_key));
}
