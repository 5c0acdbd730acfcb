/*
 * The flow table: security-group connection tracking shared by every queue
 * thread. A normalised bidirectional key (family, protocol, the two
 * endpoints; ICMP echo/query ids in place of ports; other protocols by
 * address pair only), hashed with SipHash keyed at start, buckets grouped in
 * stripes that each have their own lock, a preallocated pool of entries with
 * a hard cap (at it new flows are refused, as in AWS; --evict-unestablished
 * evicts unestablished flows instead), lazy plus incremental expiry.
 * Time is passed in (milliseconds, monotonic) so tests can drive it.
 *
 * Untracked flows (doc/aws-semantics.md 3.3: judged by the rules on every packet) may also be
 * recorded, for listing only: such an entry never makes a lookup hit, never
 * counts in the cap's allowance and gives way to any tracked flow that needs
 * its room.
 */
#ifndef VPCFW_FLOW_H
#define VPCFW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "pkt.h"

struct flow_table;

struct flow_params {
	size_t max_flows;		/* hard cap (--max-flows); the pool holds this many */
	bool evict_unestablished;	/* at the cap, evict an unestablished flow (not AWS) */
	uint32_t tcp_established_s;	/* AWS TcpEstablishedTimeout: 432000 */
	uint32_t udp_s;			/* AWS UdpTimeout: 30 (one-way or one exchange) */
	uint32_t udp_stream_s;		/* AWS UdpStreamTimeout: 180 */
	uint32_t other_s;		/* other protocols: 600 */
	uint32_t icmp_s;		/* ICMP queries: 30 (AWS silent; Linux default) */
	uint32_t tcp_syn_sent_s;	/* half-open: 60 */
	uint32_t tcp_syn_recv_s;	/* half-open: 60 */
	uint32_t tcp_fin_wait_s;	/* 120 */
	uint32_t tcp_close_wait_s;	/* 60 */
	uint32_t tcp_last_ack_s;	/* 30 */
	uint32_t tcp_time_wait_s;	/* 120 */
	uint32_t tcp_close_s;		/* 10: after RST; the entry no longer passes packets */
	const uint8_t *hash_key;	/* 16 bytes for reproducible tests; NULL: getrandom() */
};

/* Fill *p with the defaults above; max_flows 262144, no eviction (AWS). */
void flow_params_default(struct flow_params *p);

enum flow_state {
	FLOW_NEW = 0,		/* TCP SYN sent; UDP/ICMP/other: no reply seen yet */
	FLOW_SYN_RECV,		/* TCP: SYN-ACK seen from the responder */
	FLOW_ESTABLISHED,	/* TCP handshake done (or picked up mid-stream); UDP/ICMP/other: replied */
	FLOW_UDP_STREAM,	/* UDP: more than one exchange */
	FLOW_FIN_WAIT,		/* TCP: one side sent FIN */
	FLOW_CLOSE_WAIT,	/* TCP: FIN acknowledged, the other side has not closed yet */
	FLOW_LAST_ACK,		/* TCP: both sides sent FIN, waiting for the last ACK */
	FLOW_TIME_WAIT,		/* TCP: closed cleanly; late packets still pass until timeout */
	FLOW_CLOSED,		/* TCP: reset; the entry stays for display only and passes nothing */
	FLOW_STATE_MAX,
};

const char *flow_state_name(enum flow_state s);

enum flow_match {
	FLOW_MISS = 0,
	FLOW_HIT_ORIG,		/* same direction as the packet that created the flow */
	FLOW_HIT_REPLY,		/* the reverse direction */
};

struct flow_hit {
	enum flow_state state;	/* after this packet */
	enum dir init_dir;	/* direction of the packet that created the flow */
	uint64_t tag;		/* what the creator stored (the policy's rule id) */
};

/* NULL with errno (EINVAL for a zero cap, ENOMEM). */
struct flow_table *flow_table_new(const struct flow_params *p);
void flow_table_free(struct flow_table *t);

/*
 * Find p's flow and, on a hit, account the packet (counters, state machine,
 * idle timer) in the same critical section. Expired entries count as a miss
 * (and are reaped). A packet the state machine refuses is a miss too: an ICMP
 * query type in the reply direction, anything on a CLOSED flow, ICMP errors
 * (never part of a flow), non-first fragments (no ports to key on).
 * A TCP SYN on a TIME_WAIT or CLOSED flow is a miss: it may start a new flow.
 * TCP (see vpcfw(8), flow_tcp.c): a segment outside the flow's sequence
 * windows, or a RST whose number is not exact, is a miss that changes
 * nothing (tcp_out_of_window moves); a flag combination no stack sends is a
 * miss on any flow (tcp_invalid moves).
 */
enum flow_match flow_table_lookup(struct flow_table *t, const struct pkt *p,
				  uint64_t now, struct flow_hit *hit);

/*
 * Track the flow p starts in direction d and account p. If the flow exists
 * (another thread won the race, or a reopened TIME_WAIT/CLOSED entry), it is
 * reused; an untracked entry of p's flow becomes this tracked flow. When the
 * table is at its cap an untracked entry gives way (near the new bucket,
 * else anywhere); else, as in AWS, the new flow is refused: -1 with errno
 * ENOSPC and the conntrack_allowance_exceeded counter moves, and no tracked
 * flow is touched. With evict_unestablished an unestablished flow near the
 * new bucket is evicted first (conntrack's early drop), and only when there
 * is none is the flow refused. Also -1/EINVAL for packets
 * that cannot be tracked (ICMP errors, non-first fragments, invalid TCP
 * flags), and for a TCP segment its existing flow refuses (out of window):
 * that flow is left as it is.
 */
int flow_table_insert(struct flow_table *t, const struct pkt *p, enum dir d,
		      uint64_t now, uint64_t tag);

/*
 * Note a packet of an untracked flow (allowed by a rule, judged per packet):
 * create or refresh an entry marked untracked, for listing only. It never
 * makes flow_table_lookup hit, never evicts a tracked flow, and never counts
 * against the cap's allowance: when there is no room (the pool is full of
 * tracked flows, or the chain is at its cap) it is not recorded and
 * untracked_skipped moves.
 *
 * - An untracked entry is a miss for flow_table_lookup, which leaves it
 *   alone; flow_table_insert on its key turns it into a new tracked flow (a
 *   rule change made the flow tracked): state from that packet, counters
 *   reset, its tag, counted in inserts.
 * - It takes only a free entry of the pool (or one reaped from its own
 *   chain): live tracked + untracked stay within max_flows, and a tracked
 *   flow that finds no free entry takes an untracked one (near its bucket
 *   first, else anywhere) before it evicts any unestablished tracked flow.
 * - Its original direction is that of the packet that created it; packets
 *   that way also refresh its tag (the rule in force for the flow's starting
 *   direction), replies only count.
 * - Idle timeout: TCP 600 s (or tcp_established_s if lower: the entry
 *   decides nothing, five days would only hide newer flows), UDP udp_s, and
 *   udp_stream_s after more than one exchange, ICMP icmp_s, others other_s.
 * - Packets that cannot be keyed (ICMP errors, non-first fragments) are
 *   ignored. A tracked entry with the same key (another thread, an older
 *   policy snapshot) is left as it is and the packet is not counted.
 */
void flow_table_note_untracked(struct flow_table *t, const struct pkt *p,
			       enum dir d, uint64_t now, uint64_t tag);

/*
 * Reap expired entries from the next `buckets` buckets (a rotating cursor),
 * taking one stripe lock at a time, so expiry never stalls the packet path.
 * Returns the number removed.
 */
size_t flow_table_expire(struct flow_table *t, uint64_t now, size_t buckets);

/*
 * The bucket p's flow hashes to (0 .. flow_stats.buckets - 1), or -1 with
 * errno EINVAL if p cannot be tracked. For tests that build colliding flows
 * (the chain cap, eviction windows) and for diagnostics.
 */
long flow_table_bucket(const struct flow_table *t, const struct pkt *p);

/*
 * Change the idle timeouts to p's (its *_s fields; the cap, eviction and
 * hash key stay): `reload` with --conntrack. Safe while other threads use
 * the table. A flow keeps the expiry it has until its next packet, which
 * sets it with the new timeout.
 */
void flow_table_set_timeouts(struct flow_table *t, const struct flow_params *p);

/* Interfaces with idle timeouts of their own, at most. */
#define FLOW_IFACE_TMO_MAX 16

/* One interface's timeouts: p's *_s fields (the rest is not read). */
struct flow_iface_tmo {
	unsigned ifindex;
	struct flow_params p;
};

/*
 * Give interfaces timeouts of their own (`--conntrack IFACE=...`, AWS's
 * ConnectionTrackingConfiguration of one ENI), replacing the previous
 * list: a flow created by a packet of interface v[i].ifindex (pkt.ifindex)
 * idles out by v[i]'s timeouts, every other flow by the host's. As with
 * flow_table_set_timeouts, a flow takes new values from its next packet.
 * Safe while other threads use the table. -1 with errno EINVAL for more
 * than FLOW_IFACE_TMO_MAX.
 */
int flow_table_set_iface_timeouts(struct flow_table *t, const struct flow_iface_tmo *v,
				  size_t n);

/* Remove every flow (tests, and `vpcfw` restart semantics). */
void flow_table_flush(struct flow_table *t);

/*
 * count is the tracked flows (what the cap and its allowance are about);
 * untracked entries are counted apart. expired counts both kinds; evictions
 * only tracked flows (an untracked entry giving way is not counted).
 */
struct flow_stats {
	uint64_t count;				/* live tracked entries */
	uint64_t cap;
	uint64_t buckets;
	uint64_t inserts;
	uint64_t expired;
	uint64_t evictions;			/* unestablished flows dropped to make room */
	uint64_t conntrack_allowance_exceeded;	/* new flows refused at the cap */
	uint64_t conntrack_allowance_available;	/* cap - count: new flows that fit now */
	bool evict_unestablished;		/* flow_params.evict_unestablished */
	uint32_t tcp_established_s;		/* timeouts in force (--conntrack) */
	uint32_t udp_stream_s;
	uint32_t udp_s;
	size_t n_iface;				/* interfaces with timeouts of their own */
	struct {
		unsigned ifindex;
		uint32_t tcp_established_s, udp_stream_s, udp_s;
	} iface[FLOW_IFACE_TMO_MAX];
	uint64_t chain_limit;			/* inserts refused: bucket chain too long */
	uint64_t untracked;			/* live untracked entries */
	uint64_t untracked_skipped;		/* untracked flows not noted: no room */
	uint64_t tcp_out_of_window;		/* TCP segments of a flow outside its window: not its packets */
	uint64_t tcp_invalid;			/* TCP flag combinations no stack sends: part of no flow */
	uint64_t offload_ended;			/* offloaded flows the kernel ended */
};
void flow_table_stats(struct flow_table *t, struct flow_stats *s);

/*
 * A copy of one entry, for listing. An untracked entry has no state machine:
 * its state is FLOW_ESTABLISHED once packets were seen both ways, else
 * FLOW_NEW.
 */
struct flow_view {
	uint8_t family, proto;
	uint8_t init_src[16], init_dst[16];	/* as the creating packet had them */
	uint16_t init_sport, init_dport;	/* ports, or the ICMP id in both */
	enum dir init_dir;
	unsigned ifindex;			/* the creating packet's interface (pkt.ifindex), 0 unknown */
	enum flow_state state;
	uint64_t tag;
	uint64_t created, last_seen;		/* ms, the table's clock */
	uint64_t expires;			/* ms */
	uint64_t packets[2], bytes[2];		/* [0] original direction, [1] reply */
	bool untracked;				/* listed only (flow_table_note_untracked) */
	bool offloaded;				/* carried by the kernel (flow_table_offload) */
};

/*
 * Call fn for every live entry, tracked and untracked (flow_view.untracked),
 * one stripe at a time (a consistent view per stripe, not of the whole
 * table). Stops early and returns fn's value when it is non-zero; else 0
 * (-1 with errno ENOMEM if the copy buffer cannot grow). fn runs on copies,
 * outside every lock; it may take its time but must not call back into the
 * table.
 */
int flow_table_foreach(struct flow_table *t, uint64_t now,
		       int (*fn)(const struct flow_view *v, void *ctx), void *ctx);

/*
 * --offload: the kernel's connection tracking carries the rest of a flow
 * (the engine sees none of its later packets) and tells the engine of its
 * packets and its end (ctevent.h). An offloaded flow never expires by the
 * engine's idle timer: it ends when the kernel's entry does.
 */

/*
 * Mark p's tracked flow offloaded (its last_seen becomes now). -1 with
 * errno ENOENT if p has no tracked flow, EINVAL if p cannot have one.
 */
int flow_table_offload(struct flow_table *t, const struct pkt *p, uint64_t now);

/* The kernel's counters of a connection, and what they added to its flow. */
struct flow_kcount {
	/*
	 * In: the kernel's counters, [0] its original direction (p's),
	 * [1] its reply direction. Out: what they added to the flow, [0] the
	 * flow's original direction.
	 */
	uint64_t packets[2], bytes[2];
	enum dir init_dir;	/* out: the flow's original direction */
	bool reversed;		/* out: the kernel's original direction is the flow's reply */
	uint64_t tag;		/* out: the flow's tag */
};

/*
 * The kernel's account of the connection p (a packet in the kernel's
 * original direction) belongs to: the offloaded flow's counters become,
 * per direction, the larger of its own and the kernel's (the kernel counted
 * the packets the engine judged too), and last_seen moves to now when they
 * grew; with `end` the flow is removed (offload_ended moves). -1 with errno
 * ENOENT when p has no offloaded flow (nothing is changed), EINVAL if p
 * cannot have one.
 */
int flow_table_kernel_account(struct flow_table *t, const struct pkt *p,
			      uint64_t now, bool end, struct flow_kcount *kc);

/*
 * The kernel saw the TCP handshake of p's offloaded flow complete (it was
 * offloaded at its SYN-ACK): a flow still NEW or SYN_RECV becomes
 * ESTABLISHED. -1/ENOENT when p has no offloaded flow.
 */
int flow_table_kernel_established(struct flow_table *t, const struct pkt *p,
				  uint64_t now);

/*
 * A copy of a FIN or RST segment p of an offloaded TCP flow passed the
 * kernel (which found it in the window): 1 when it may have closed the
 * connection (a RST, or a FIN after one from the other side), 0 when not
 * yet (the first FIN: a half-close), -1 with errno ENOENT when p has no
 * offloaded flow.
 */
int flow_table_kernel_fin(struct flow_table *t, const struct pkt *p, uint64_t now);

/*
 * Resync after lost kernel events: flow_table_offload_unsee() forgets which
 * offloaded flows were seen in the kernel's table; then every connection
 * found in a dump of it goes through flow_table_kernel_account() (which
 * marks its flow seen); flow_table_offload_reap() removes the offloaded
 * flows neither seen nor offloaded since `before` (the dump's start, less a
 * margin for offloads whose mark the kernel had not yet stored) and
 * returns how many.
 */
void flow_table_offload_unsee(struct flow_table *t);
size_t flow_table_offload_reap(struct flow_table *t, uint64_t before);

#endif
