/*
 * Private to the flow table: what the table's files (flow.c and its
 * siblings, see flow_table_int.h: buckets, stripes, pool, lookup, insert,
 * expiry, listing, offload) and flow_state.c and flow_tcp.c (the normalised
 * key, its hash, the per-protocol state machine, timeouts and TCP windows)
 * share. Not for other modules.
 */
#ifndef VPCFW_FLOW_INT_H
#define VPCFW_FLOW_INT_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow.h"

enum flow_l4 { FL_TCP, FL_UDP, FL_ICMP, FL_OTHER, FL_MAX };

/* No padding: the key is hashed and compared as bytes. */
struct flow_key {
	uint8_t addr[2][16];
	uint16_t port[2];
	uint8_t family;
	uint8_t proto;
	uint8_t icmp_type;	/* query type, 0 for non-ICMP */
	uint8_t zero;
};

/* Idle timeout cap of an untracked TCP entry (it decides nothing). */
#define FLOW_UNTRACKED_TCP_S	600

/*
 * TCP window tracking (flow_tcp.c), one peer per key side: conntrack's
 * ip_ct_tcp_state, pf's pf_state_peer. Sequence numbers wrap (mod 2^32).
 */
struct flow_tcp_peer {
	uint32_t end;		/* highest seq + len it sent (td_end, pf seqlo) */
	uint32_t maxend;	/* highest ack + window the other allowed it (td_maxend, pf seqhi) */
	uint32_t maxwin;	/* largest window it advertised, scaled (td_maxwin) */
};

struct flow_tcp {
	struct flow_tcp_peer peer[2];
	uint32_t syn_end;	/* a new SYN on a live flow: its seq + 1 (reopen) */
	uint8_t wscale[2];	/* window shift of each side */
	uint8_t flags[2];	/* FLOW_TCP_F_* of each side */
};

/*
 * Bit fields keep the entry at 152 bytes with the untracked mark, the 64-bit
 * tag and the interface.
 */
struct flow_entry {
	struct flow_entry *next;
	struct flow_key key;
	uint64_t tag;
	uint8_t state;		/* untracked: NEW, ESTABLISHED or UDP_STREAM */
	uint8_t init_dir;
	uint8_t init_side : 1;	/* key side of the creating packet's source */
	uint8_t fin_side : 1;	/* key side that sent the first FIN */
	uint8_t untracked : 1;	/* for listing only: never a hit (flow.h) */
	uint8_t offloaded : 1;	/* the kernel carries it: no idle expiry here (flow.h) */
	uint8_t kseen : 1;	/* offloaded, and seen in the kernel's table since the last resync */
	uint8_t kfin : 2;	/* offloaded: key sides whose FIN the kernel copied to us */
	uint32_t ifindex;	/* the creating packet's interface (pkt.ifindex), in the padding */
	uint64_t created, last_seen, expires;
	uint64_t packets[2], bytes[2];
	struct flow_tcp tcp;	/* TCP only: sequence windows */
};

/* What a packet contributes to a lookup or insert, computed before locking. */
struct flow_pkt {
	struct flow_key key;
	uint8_t side;		/* key side of p->src */
	uint8_t l4;		/* enum flow_l4 */
	uint8_t tcp_flags;
	const struct pkt *p;
};

/*
 * One set of idle timeouts: the host's, or an interface's (flow.h,
 * flow_table_set_iface_timeouts).
 */
struct flow_tmo {
	_Atomic uint64_t tmo[FL_MAX][FLOW_STATE_MAX];	/* ms */
	_Atomic uint64_t utmo[FL_MAX][FLOW_STATE_MAX];	/* ms, untracked entries */
};

/*
 * What the key builder and the state machine read: fixed when the table is
 * created, read-only afterwards, so it needs no lock; except the timeouts,
 * which a reload may change (flow_table_set_timeouts,
 * flow_table_set_iface_timeouts) while packets read them: atomics, each
 * read on its own (a flow takes old or new, both fine; while a reload
 * rewrites an interface's slot, a packet may briefly take the slot's old
 * values or the host's).
 */
struct flow_conf {
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	struct flow_tmo def;				/* the host's (--conntrack) */
	_Atomic uint32_t n_if;				/* interfaces with their own */
	_Atomic uint32_t if_index[FLOW_IFACE_TMO_MAX];	/* slot -> ifindex */
	struct flow_tmo if_tmo[FLOW_IFACE_TMO_MAX];
	int16_t icmp_reply[2][256];	/* query type -> reply type, or -1 */
	int16_t icmp_query[2][256];	/* reply type -> query type, or -1 */
};

/* Hash key (p's or from getrandom()), timeouts, ICMP maps. -1 with errno. */
int flow_conf_init(struct flow_conf *c, const struct flow_params *p);
/* Set the timeouts from p (at init, and flow_table_set_timeouts). */
void flow_conf_timeouts(struct flow_conf *c, const struct flow_params *p);
/* Set one timeout set from p. */
void flow_tmo_set(struct flow_tmo *m, const struct flow_params *p);
/* Wipe the hash key. */
void flow_conf_clear(struct flow_conf *c);

/* Build p's key and side, or -1 if p can never belong to a flow. */
int flow_pkt_build(const struct flow_conf *c, const struct pkt *p,
		   struct flow_pkt *fp);
/* Keyed SipHash-2-4 of k; the caller masks it down to a bucket. */
uint64_t flow_key_hash(const struct flow_conf *c, const struct flow_key *k);

/* The state p starts a flow in, or -1 if it cannot start one. */
int flow_initial_state(const struct flow_pkt *fp);

/* Why flow_account refused a packet (a miss). */
enum flow_refusal {
	FLOW_ACCEPTED = 0,
	FLOW_REFUSED_STATE,	/* CLOSED, or a SYN on TIME_WAIT: may start anew */
	FLOW_REFUSED_WINDOW,	/* TCP segment outside the tracked windows */
};

/*
 * Run fp through e's state machine and account it; FLOW_MISS if refused,
 * with the reason in *why (NULL: not wanted). A refused packet changes
 * nothing in e.
 */
enum flow_match flow_account(const struct flow_conf *c, struct flow_entry *e,
			     const struct flow_pkt *fp, uint64_t now,
			     enum flow_refusal *why);

/* ---- TCP window tracking (flow_tcp.c) ---- */

/* Is this a flag combination conntrack's tcp_valid_flags admits? */
bool flow_tcp_flags_valid(uint8_t tcp_flags);

enum flow_tcp_result {
	FLOW_TCP_OK,		/* in window: state learnt, the state machine may move */
	FLOW_TCP_IGNORE,	/* a new SYN on a live flow: passes, remembered, no change */
	FLOW_TCP_REOPEN,	/* the SYN-ACK answering that SYN: the flow restarted in SYN_RECV */
	FLOW_TCP_BAD,		/* out of window, or a RST whose number is not exact */
};

/*
 * Check fp (TCP, valid flags, key side fp->side) against the windows of t
 * for a flow in `state` whose creating packet came from init_side, and
 * learn from it when it is acceptable. Nothing changes on FLOW_TCP_BAD.
 */
enum flow_tcp_result flow_tcp_track(struct flow_tcp *t, unsigned state,
				    unsigned init_side,
				    const struct flow_pkt *fp);
/* (Re)start e (keeping e->next) as the flow fp creates, account fp. */
void flow_entry_start(const struct flow_conf *c, struct flow_entry *e,
		      const struct flow_pkt *fp, int state, enum dir d,
		      uint64_t now, uint64_t tag);

/* Start e (keeping e->next) as an untracked entry fp creates, account fp. */
void flow_entry_start_untracked(const struct flow_conf *c, struct flow_entry *e,
				const struct flow_pkt *fp, enum dir d,
				uint64_t now, uint64_t tag);
/*
 * Account fp on untracked e: counters, the both-ways mark in e->state, the
 * idle timer; packets in the original direction also set the tag.
 */
void flow_account_untracked(const struct flow_conf *c, struct flow_entry *e,
			    const struct flow_pkt *fp, uint64_t now,
			    uint64_t tag);

#endif
