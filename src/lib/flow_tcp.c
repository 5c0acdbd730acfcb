/*
 * TCP window tracking for the flow table: which segments belong to a
 * tracked connection (flow_int.h). The algorithm is conntrack's
 * tcp_in_window() (net/netfilter/nf_conntrack_proto_tcp.c), which follows
 * Guido van Rooij, "Real Stateful TCP Packet Filtering in IP Filter" (2000),
 * as pf's pf_tcp_track_full() does; RSTs follow pf's stricter rule.
 *
 * Each side keeps end (the highest seq + len it sent), maxend (the highest
 * ack + window the other side allowed it) and maxwin (the largest window it
 * advertised, scaled). For a segment from S to R, end = seq + len (+1 for a
 * SYN, +1 for a FIN), it is in window when
 *   I    seq <= S.maxend                     not beyond what R allowed
 *   II   end >= S.end - R.maxwin             not older than R's window
 *   III  ack <= R.end                        acks nothing R has not sent
 *   IV   ack >= R.end - max(S.maxwin, 66000) does not ack too far back
 * (all mod 2^32). A segment without ACK counts as acking R.end; one with no
 * length that is not a RST (keepalive, window probe) counts as sent at
 * S.end. SACK blocks are not read: the plain ack is always below them.
 *
 * RST: accepted only with an exact number, pf's rule: seq is S.end, or off
 * by one. A RST from a side never seen (the responder answering the SYN)
 * must carry ACK acknowledging the SYN: ack is the SYN's seq + 1 (+ its
 * data), RFC 793's "acceptable ACK" in SYN-SENT. Any other RST is out of
 * window: not the flow's packet (if a rule lets it pass alone, the
 * endpoint's own check, RFC 5961, decides about it).
 *
 * Window scale (RFC 7323): from the options of the SYN and the SYN-ACK, in
 * effect only when both carried it; the windows of SYNs are never scaled.
 *
 * Loose flows never saw the scale: picked up mid-stream (after an engine
 * restart; conntrack's tcp_loose), or a SYN whose options were not
 * captured. They assume the largest, 14, so bounds I and II are wide while
 * III, IV and the RST rule stay exact; and until both sides have been seen
 * they are liberal, like conntrack's picked-up connections: every segment
 * but a RST passes and is learnt from, the silent side's end taken from
 * the acks of the other (so its RST must carry that number).
 *
 * A SYN (no ACK) from the initiator on a live flow, out of its window, is
 * a new connection on an old four-tuple or a forgery: as conntrack's
 * TCP_CONNTRACK_IGNORE, it passes and changes nothing but is remembered;
 * a SYN-ACK from the other side that acknowledges exactly that SYN
 * restarts the flow in SYN_RECV (loose: the SYN's scale is lost).
 */
#include <string.h>

#include "flow_int.h"

#define F_SEEN		0x01	/* this side sent a segment we learnt from */
#define F_END		0x02	/* its end is known (its own, or acked by the other) */
#define F_WSOPT		0x04	/* its SYN carried the window scale option */
#define F_LOOSE		0x08	/* the flow's scales are unknown (set on both) */
#define F_SYNPEND	0x10	/* a new SYN of this side remembered in syn_end */

#define TCP_MAXSCALE	14		/* RFC 7323 2.3 */
#define TCP_MAXWIN	(1u << 30)	/* the largest scaled window */
#define TCP_ACKSLACK	66000		/* conntrack's MAXACKWINCONST */
#define TCP_FLAGS_MASK	(TCPF_FIN | TCPF_SYN | TCPF_RST | TCPF_ACK | TCPF_URG)

/* A segment as the tracker reads it. */
struct seg {
	uint32_t seq, ack, end, win;
	uint8_t flags, wscale;
};

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/*
 * conntrack's tcp_valid_flags, PSH, ECE and CWR aside: SYN+FIN, SYN+RST,
 * FIN without ACK, no flags at all and the like are sent by scanners and
 * evasion tools, never by a TCP stack.
 */
bool flow_tcp_flags_valid(uint8_t tcp_flags)
{
	switch (tcp_flags & TCP_FLAGS_MASK) {
	case TCPF_SYN:
	case TCPF_SYN | TCPF_URG:
	case TCPF_SYN | TCPF_ACK:
	case TCPF_RST:
	case TCPF_RST | TCPF_ACK:
	case TCPF_FIN | TCPF_ACK:
	case TCPF_FIN | TCPF_ACK | TCPF_URG:
	case TCPF_ACK:
	case TCPF_ACK | TCPF_URG:
		return true;
	default:
		return false;
	}
}

static void seg_of(struct seg *g, const struct pkt *p)
{
	uint32_t hdr = (uint32_t)p->l4_off + p->tcp_hlen;
	uint32_t len = p->len > hdr ? p->len - hdr : 0;

	g->flags = p->tcp_flags;
	g->seq = p->tcp_seq;
	g->ack = p->tcp_ack;
	g->win = p->tcp_win;
	g->wscale = p->tcp_wscale;
	g->end = g->seq + len + !!(g->flags & TCPF_SYN) + !!(g->flags & TCPF_FIN);
}

static uint32_t win_clamp(uint32_t w)
{
	return w > TCP_MAXWIN ? TCP_MAXWIN : w;
}

static bool loose(const struct flow_tcp *t)
{
	return t->flags[0] & F_LOOSE;
}

/* The scales in force: both sides' options, or the largest when unknown. */
static void scale_settle(struct flow_tcp *t)
{
	if (loose(t)) {
		t->wscale[0] = t->wscale[1] = TCP_MAXSCALE;
	} else if (!(t->flags[0] & t->flags[1] & F_WSOPT)) {
		t->wscale[0] = t->wscale[1] = 0;
	}
}

static void set_loose(struct flow_tcp *t)
{
	t->flags[0] |= F_LOOSE;
	t->flags[1] |= F_LOOSE;
	scale_settle(t);
}

/* Side s starts from its SYN or SYN-ACK (conntrack: sender->td_maxwin == 0). */
static void peer_from_syn(struct flow_tcp *t, unsigned s, const struct seg *g)
{
	struct flow_tcp_peer *p = &t->peer[s];

	p->end = p->maxend = g->end;
	p->maxwin = g->win ? g->win : 1;
	t->flags[s] = (uint8_t)((t->flags[s] & F_LOOSE) | F_SEEN | F_END);
	t->wscale[s] = 0;
	if (g->wscale == PKT_WSCALE_UNKNOWN) {
		set_loose(t);
	} else if (g->wscale != PKT_WSCALE_NONE) {
		t->flags[s] |= F_WSOPT;
		t->wscale[s] = g->wscale > TCP_MAXSCALE ? TCP_MAXSCALE : g->wscale;
	}
	if (loose(t))
		t->wscale[s] = TCP_MAXSCALE;
}

/*
 * Side s starts mid-stream (a picked-up flow): what this segment shows,
 * and the other side's end from its ack if that side is still silent.
 */
static void peer_from_midstream(struct flow_tcp *t, unsigned s,
				const struct seg *g)
{
	struct flow_tcp_peer *p = &t->peer[s], *q = &t->peer[!s];
	bool known = t->flags[s] & F_END;

	set_loose(t);
	if (!known || seq_gt(g->end, p->end))
		p->end = g->end;
	p->maxwin = win_clamp(g->win << TCP_MAXSCALE);
	if (!p->maxwin)
		p->maxwin = 1;
	/* Its own window as a first guess (conntrack); the other's acks may say more. */
	if (!known || seq_gt(p->end + p->maxwin, p->maxend))
		p->maxend = p->end + p->maxwin;
	t->flags[s] |= F_SEEN | F_END;
	if (!(t->flags[!s] & F_END) && (g->flags & TCPF_ACK)) {
		q->end = q->maxend = g->ack;
		t->flags[!s] |= F_END;
	}
}

static uint32_t ack_slack(const struct flow_tcp_peer *s)
{
	return s->maxwin > TCP_ACKSLACK ? s->maxwin : TCP_ACKSLACK;
}

/* Bounds I-IV; liberal while a loose flow has a silent side. */
static bool in_bounds(const struct flow_tcp *t, unsigned s, uint32_t seq,
		      uint32_t end, uint32_t ack)
{
	const struct flow_tcp_peer *p = &t->peer[s], *q = &t->peer[!s];

	if (loose(t) && !(t->flags[!s] & F_SEEN))
		return true;
	if (!(t->flags[!s] & F_END))
		return false;	/* nothing to ack yet: before the SYN-ACK */
	return !seq_gt(seq, p->maxend) &&
	       !seq_lt(end, p->end - q->maxwin) &&
	       !seq_gt(ack, q->end) &&
	       !seq_lt(ack, q->end - ack_slack(p));
}

/* conntrack's tcp_in_window() for a segment of a side already seen. */
static bool in_window(struct flow_tcp *t, unsigned s, const struct seg *g)
{
	struct flow_tcp_peer *p = &t->peer[s], *q = &t->peer[!s];
	uint32_t seq = g->seq, end = g->end, ack = g->ack, win = g->win;

	if (!(g->flags & TCPF_ACK))
		ack = q->end;
	if (seq == end)
		seq = end = p->end;
	if (!in_bounds(t, s, seq, end, ack))
		return false;
	if (!(g->flags & TCPF_SYN))
		win = win_clamp(win << t->wscale[s]);
	if (p->maxwin < win)
		p->maxwin = win;
	if (seq_gt(end, p->end))
		p->end = end;
	if ((g->flags & TCPF_ACK) && !(t->flags[!s] & F_SEEN) &&
	    seq_gt(ack, q->end))
		q->end = ack;	/* a loose flow's silent side, as acked */
	if (q->maxwin && seq_gt(end, p->maxend))
		q->maxwin = win_clamp(q->maxwin + (end - p->maxend));
	if (!seq_lt(ack + win, q->maxend))
		q->maxend = ack + win + (win == 0);
	return true;
}

/* pf: "Require an exact/+1 sequence match on resets when possible". */
static bool rst_ok(const struct flow_tcp *t, unsigned state, unsigned s,
		   const struct seg *g)
{
	const struct flow_tcp_peer *p = &t->peer[s], *q = &t->peer[!s];

	if (t->flags[s] & F_END)
		return g->seq == p->end || g->seq == p->end + 1 ||
		       g->seq + 1 == p->end;
	return state == FLOW_NEW && (g->flags & TCPF_ACK) &&
	       (t->flags[!s] & F_END) && g->ack == q->end;
}

/* The first segment of side s. */
static enum flow_tcp_result first_from(struct flow_tcp *t, unsigned s,
				       const struct seg *g)
{
	bool none = !((t->flags[0] | t->flags[1]) & F_SEEN);

	if (g->flags & TCPF_SYN) {
		peer_from_syn(t, s, g);
		if (!(g->flags & TCPF_ACK))
			return FLOW_TCP_OK;	/* the SYN, or simultaneous open */
		scale_settle(t);
		return in_window(t, s, g) ? FLOW_TCP_OK : FLOW_TCP_BAD;
	}
	if (none || loose(t)) {
		peer_from_midstream(t, s, g);
		return FLOW_TCP_OK;
	}
	/* The responder speaks before its SYN-ACK: conntrack calls it invalid. */
	return FLOW_TCP_BAD;
}

/* A SYN without ACK from a side already seen. */
static enum flow_tcp_result syn_again(struct flow_tcp *t, unsigned state,
				      unsigned init_side, unsigned s,
				      const struct seg *g)
{
	if (s != init_side)
		return FLOW_TCP_BAD;	/* the responder cannot SYN a live flow */
	if (state == FLOW_NEW) {
		/* Retransmitted, or a new ISN before any answer: start over. */
		if (g->end != t->peer[s].end)
			peer_from_syn(t, s, g);
		return FLOW_TCP_OK;
	}
	if (g->end == t->peer[s].end)
		return FLOW_TCP_OK;	/* the SYN again: the SYN-ACK was lost */
	t->syn_end = g->end;
	t->flags[s] |= F_SYNPEND;
	return FLOW_TCP_IGNORE;
}

/* The SYN-ACK of side s acknowledging the SYN side r remembered. */
static enum flow_tcp_result reopen(struct flow_tcp *t, unsigned r, unsigned s,
				   const struct seg *g)
{
	uint32_t syn_end = t->syn_end;

	memset(t, 0, sizeof(*t));
	t->peer[r].end = t->peer[r].maxend = syn_end;
	t->peer[r].maxwin = 1;
	t->flags[r] = F_SEEN | F_END;
	set_loose(t);
	peer_from_syn(t, s, g);
	scale_settle(t);
	return in_window(t, s, g) ? FLOW_TCP_REOPEN : FLOW_TCP_BAD;
}

static enum flow_tcp_result track(struct flow_tcp *t, unsigned state,
				  unsigned init_side, unsigned s,
				  const struct seg *g)
{
	if (g->flags & TCPF_RST)
		return rst_ok(t, state, s, g) ? FLOW_TCP_OK : FLOW_TCP_BAD;
	if (!(t->flags[s] & F_SEEN))
		return first_from(t, s, g);
	if ((g->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
		return syn_again(t, state, init_side, s, g);
	if ((g->flags & TCPF_SYN) && (t->flags[!s] & F_SYNPEND) &&
	    g->ack == t->syn_end)
		return reopen(t, !s, s, g);
	return in_window(t, s, g) ? FLOW_TCP_OK : FLOW_TCP_BAD;
}

enum flow_tcp_result flow_tcp_track(struct flow_tcp *t, unsigned state,
				    unsigned init_side,
				    const struct flow_pkt *fp)
{
	struct flow_tcp next = *t;
	enum flow_tcp_result r;
	struct seg g;

	seg_of(&g, fp->p);
	/* On a copy: a refused segment leaves no trace. */
	r = track(&next, state, init_side & 1, fp->side & 1, &g);
	if (r != FLOW_TCP_BAD)
		*t = next;
	return r;
}
