/*
 * Steering: the iptables rules that send this namespace's traffic into our
 * queues, in chains of our own (VPCFW-INPUT, VPCFW-OUTPUT, VPCFW-FORWARD),
 * installed and removed atomically with iptables-restore / ip6tables-restore
 * (the nft backend makes each restore one transaction).
 */
#ifndef VPCFW_STEER_H
#define VPCFW_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The connmark bit `run --offload` sets on tracked connections: the
 * steering returns such packets before the queue rule.
 */
#define STEER_OFFLOAD_MARK 0x40000000u

/*
 * The NFLOG group that gets a copy of each FIN and RST of a connection
 * carrying STEER_OFFLOAD_MARK: how `run --offload` learns, at once, that
 * the kernel may have closed it (ctevent.h).
 */
#define STEER_NFLOG_GROUP 0x5646u

struct steer_opts {
	uint16_t queue_first, queue_last;	/* one queue, or --queue-balance first:last */
	bool forward;				/* also steer FORWARD (subnet-boundary mode) */
	bool fail_closed;			/* no --queue-bypass: drop while nobody listens */
};

/*
 * Install (on) or remove (off) the steering for IPv4 and IPv6. Installing
 * again replaces the rules in place. Loopback, IPv6 neighbour discovery and
 * DHCP are left out of the queue. Returns 0, or -1 with a message in err.
 */
int steer_apply(bool on, const struct steer_opts *o, char *err, size_t errlen);

/* The rules `steer on` would install for one family, as iptables-restore input (for tests and --dry-run). */
int steer_render(bool ipv6, const struct steer_opts *o, bool have_chains[3],
		 bool have_jumps[3], char *buf, size_t len);

/*
 * The packets our steering rules sent to queues first..last (both families),
 * from the rules' counters (iptables-save -c): every packet that met the
 * queue, judged or not. 0, or -1 with errno ENOENT when no rule of `vpcfw
 * steer` targets exactly those queues (steering made by hand). Runs two
 * programs: call it from the control thread, seldom.
 */
int steer_counted(uint16_t first, uint16_t last, uint64_t *pkts);

#endif
