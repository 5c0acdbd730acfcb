/*
 * The kernel's connection tracking, as `run --offload` needs it: the
 * connections whose connmark carries the offload bit end, and count their
 * packets and bytes, in the kernel, where the engine no longer sees them.
 * Through libnetfilter_conntrack: destroy events filtered on the mark in
 * the kernel (a socket filter), a dump of the marked entries to
 * resynchronise after lost events, and the namespace's conntrack settings
 * (accounting on, AWS's idle timeouts). Through an NFLOG group (libmnl):
 * copies of the FIN and RST segments of marked connections, which the
 * steering sends there (steer.h), each followed by a look at the kernel's
 * entry.
 *
 * A TCP connection has ended when the kernel's entry, after a FIN or RST,
 * is in LAST_ACK, TIME_WAIT or CLOSE (both FINs, or a RST in the window: the
 * entry itself lives on for late segments, and its destroy event, which may
 * come after the same addresses and ports opened a new connection, is then
 * ignored), or when its entry is gone or destroyed in any other state
 * (timed out, deleted).
 *
 * One thread (the control thread) uses a handle.
 */
#ifndef VPCFW_CTEVENT_H
#define VPCFW_CTEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pkt.h"

struct ctevent;

struct ctevent_conn {
	/*
	 * The kernel's original direction as a packet: family, protocol,
	 * addresses; TCP/UDP ports, ICMP type and identifier with PKT_F_L4.
	 */
	struct pkt orig;
	uint64_t packets[2], bytes[2];	/* [0] original, [1] reply; 0 without accounting */
	bool established;		/* TCP: the kernel's entry is ESTABLISHED (dumps) */
	bool end;			/* the connection ended (above) */
};

/* Called for each marked connection an event or a dump reports. */
typedef void ctevent_fn(const struct ctevent_conn *c, void *ctx);

/*
 * Called for each copied FIN or RST before the kernel's entry is looked at
 * (a request per segment would cost more than the copies): true when this
 * segment may close the connection (a RST, a FIN after one from the other
 * side). NULL: always look.
 */
typedef bool ctevent_closing_fn(const struct pkt *p, void *ctx);

/*
 * Subscribe to the events of connections whose mark has every bit of
 * `mark`, and to NFLOG group log_group. NULL with errno (EPERM without
 * CAP_NET_ADMIN, EBUSY when another process has the group, ENOMEM, ...).
 */
struct ctevent *ctevent_open(uint32_t mark, uint16_t log_group, ctevent_fn *fn,
			     ctevent_closing_fn *may_close, void *ctx);

/* Look at the kernel's entry of p's connection now: fn hears of it if it ended. */
void ctevent_check(struct ctevent *ce, const struct pkt *p);
void ctevent_close(struct ctevent *ce);

/* What to poll (an epoll set of the sockets: readable when one is). */
int ctevent_fd(const struct ctevent *ce);

/*
 * Handle every pending event and copy. 0 when drained; 1 when a socket
 * overflowed and some were lost (ENOBUFS): the caller resynchronises with
 * ctevent_dump(); -1 with errno on another error.
 */
int ctevent_read(struct ctevent *ce);

/* Report every marked connection in the kernel's table (both families). -1 with errno. */
int ctevent_dump(struct ctevent *ce);

/* The idle timeouts the kernel's entries should have, in seconds. */
struct ctevent_timeouts {
	uint32_t tcp_established;
	uint32_t udp;			/* one way, or one exchange */
	uint32_t udp_stream;
	uint32_t icmp;
};

/*
 * Set this network namespace's conntrack settings: accounting on (for
 * connections created from now on), and the idle timeouts of t. Returns
 * the number of settings that could not be written (err says which; the
 * others are set), 0 when all were.
 */
int ctevent_tune(const struct ctevent_timeouts *t, char *err, size_t errlen);

#endif
