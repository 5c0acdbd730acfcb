/*
 * NFQUEUE I/O over libmnl with the nfq_nlmsg_* helpers: one socket per queue,
 * bound and configured with every step acknowledged, bursts received with
 * recvmmsg, verdicts of a burst sent together in arrival order.
 *
 * Exactly one verdict per packet id is enforced by the structure: a packet is
 * only ever seen inside queue_process(), which stages the verdict the handler
 * returns for it and sends every staged verdict before returning. Packets
 * that arrive while the queue is being configured are kept and judged by the
 * first queue_process(); a packet the engine cannot see whole (a message cut
 * short, no payload) gets the handler's failure verdict, never silence.
 */
#ifndef VPCFW_QUEUE_H
#define VPCFW_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

struct queue;

/*
 * A flag a judge may add to NF_ACCEPT: hand the packet back with NF_REPEAT
 * and offload_mark added to its mark; the steering saves that bit into the
 * connection's mark and lets the packet go, and its connmark rule keeps the
 * rest of the connection out of the queue. (Setting the connmark in the
 * verdict itself, NFQA_CT, needs CONFIG_NETFILTER_NETLINK_GLUE_CT, which
 * kernels may lack.)
 */
#define QUEUE_F_OFFLOAD (1u << 31)

struct queue_opts {
	uint16_t num;		/* queue number */
	uint32_t offload_mark;	/* connmark bit set by QUEUE_F_OFFLOAD verdicts */
	uint32_t maxlen;	/* kernel queue length (NFQA_CFG_QUEUE_MAXLEN) */
	uint32_t copy_range;	/* bytes of each packet copied to us: the headers the rules need */
	bool fail_open;		/* NFQA_CFG_F_FAIL_OPEN: pass packets the queue cannot take */
};

/* One packet, pointing into the queue's receive buffer (valid during the handler call). */
struct queue_pkt {
	uint32_t id;
	uint8_t hook;		/* NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_FORWARD, ... */
	uint16_t hw_proto;	/* ETH_P_IP / ETH_P_IPV6 (host order) */
	const uint8_t *data;	/* from the IP header */
	uint32_t caplen;	/* bytes copied */
	uint32_t wirelen;	/* real length (NFQA_CAP_LEN, else caplen) */
	uint32_t indev, outdev;	/* ifindex, 0 if none */
	uint32_t skbinfo;	/* NFQA_SKB_* flags */
	uint32_t mark;		/* the packet's mark (NFQA_MARK), 0 if none */
};

/* Why a packet could not be handed to judge(). */
enum queue_fail {
	QUEUE_FAIL_TRUNCATED,	/* its netlink message was cut by our buffer (MSG_TRUNC) */
	QUEUE_FAIL_NO_PAYLOAD,	/* the kernel sent no packet bytes (queued before the copy mode was set) */
};

/* "truncated", "without payload": for logs. */
const char *queue_fail_name(enum queue_fail why);

struct queue_handler {
	/* Called once per burst, after packets arrived and before the first judge() */
	void (*burst_begin)(void *ctx);
	/* Returns NF_ACCEPT (optionally | QUEUE_F_OFFLOAD) or NF_DROP. Must not block. */
	uint32_t (*judge)(void *ctx, const struct queue_pkt *qp);
	/*
	 * The verdict for a packet that has an id but cannot be judged: the
	 * failure policy's (NF_ACCEPT when fail-open, NF_DROP when fail-closed).
	 * qp->data may be NULL.
	 */
	uint32_t (*fail)(void *ctx, const struct queue_pkt *qp, enum queue_fail why);
	/* Called once per burst after the last judge() and before the verdicts are sent */
	void (*burst_end)(void *ctx);
	void *ctx;
};

struct queue_stats {
	uint64_t received;	/* packets handed to judge() */
	uint64_t accepted;
	uint64_t dropped;
	uint64_t bursts;	/* receive calls that returned packets */
	uint64_t verdict_msgs;	/* verdict messages sent (a batch counts once) */
	uint64_t batches;	/* of which NFQNL_MSG_VERDICT_BATCH */
	uint64_t sends;		/* sendto calls carrying verdicts */
	uint64_t send_errors;	/* sendto failures (retried) */
	uint64_t kernel_errors;	/* NLMSG_ERROR replies from the kernel (e.g. ENOENT) */
	uint64_t enobufs;	/* ENOBUFS from recv: the kernel dropped messages */
	uint64_t truncated;	/* packets whose message was cut by our buffer (MSG_TRUNC): failure verdict */
	uint64_t no_payload;	/* packets that came without their bytes: failure verdict */
	uint64_t bad_msgs;	/* packet messages without a readable id: no verdict possible */
	uint64_t early;		/* packets that arrived while the queue was configured */
	uint64_t offloaded;	/* accept verdicts that set the offload connmark */
};

/*
 * Open a netlink socket, bind queue o->num and configure it, checking the
 * kernel's acknowledgement of every step. On failure NULL with errno (EPERM or
 * EBUSY: another process holds the queue) and, if err is not NULL, a message
 * in err (size errlen).
 */
struct queue *queue_open(const struct queue_opts *o, char *err, size_t errlen);

/* Unbind (the kernel drops whatever is still queued) and free. */
void queue_close(struct queue *q);

uint16_t queue_num(const struct queue *q);

/*
 * Receive one burst (waiting up to the socket's receive timeout when `wait`,
 * else only what is already there), judge every packet, send the verdicts.
 * Returns the number of packets, 0 when nothing arrived, -1 on a fatal socket
 * error (errno set). ENOBUFS and kernel error replies are counted, not fatal.
 */
int queue_process(struct queue *q, const struct queue_handler *h, bool wait);

/*
 * Begin shutdown: set the kernel queue length to 0 so no further packet is
 * queued (they take the failure policy instead: pass when fail-open, drop when
 * fail-closed); the caller then drains with queue_process(q, h, false) until
 * it returns 0, so every packet already queued gets its verdict.
 */
int queue_stop_intake(struct queue *q);

/* A copy of the counters (safe to call from another thread). */
void queue_get_stats(const struct queue *q, struct queue_stats *s);

/* The kernel's own counters for one queue, from /proc/net/netfilter/nfnetlink_queue. */
struct queue_kernel_stats {
	bool found;
	uint32_t portid;
	uint32_t waiting;	/* packets queued now, waiting for a verdict */
	uint32_t copy_mode, copy_range;
	uint32_t queue_dropped;	/* dropped because the queue was full */
	uint32_t user_dropped;	/* dropped because delivery to our socket failed */
	uint32_t last_id;
};
int queue_kernel_stats(uint16_t num, struct queue_kernel_stats *ks);

#endif
