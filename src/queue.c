/*
 * NFQUEUE I/O: libmnl socket, acknowledged configuration, recvmmsg bursts,
 * verdicts of a burst coalesced into one sendto in arrival order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "common.h"
#include "queue.h"

#define QUEUE_BURST	64
/* Room for the netlink and nfqueue headers and attributes around the copy. */
#define QUEUE_MSG_OVERHEAD 1024
/* A single verdict message: nlmsghdr + nfgenmsg + NFQA_VERDICT_HDR. */
#define VERDICT_MSG_MAX	64
#define RECV_TIMEOUT_MS	200
#define SEND_RETRIES	8
/* Config messages and their acknowledgements are small. */
#define CFG_BUF_SIZE	8192

struct queue {
	struct mnl_socket *nl;
	int fd;
	uint16_t num;
	uint32_t portid;
	uint32_t seq;
	uint32_t offload_mark;
	size_t slot_size;
	uint8_t *rxbuf;			/* QUEUE_BURST slots of slot_size */
	struct mmsghdr msgs[QUEUE_BURST];
	struct iovec iov[QUEUE_BURST];
	uint8_t txbuf[QUEUE_BURST * VERDICT_MSG_MAX];
	size_t txlen;
	/* The run of equal verdicts not yet written into txbuf. */
	uint32_t run_id, run_verdict, run_len;
	struct queue_stats st;		/* written by the queue's thread only */
};

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

/* Send one config message with NLM_F_ACK and wait for the kernel's answer. */
static int queue_config(struct queue *q, struct nlmsghdr *nlh)
{
	uint8_t buf[CFG_BUF_SIZE];
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)n, q->seq, q->portid, NULL, NULL);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -1 : 0;
}

static int queue_bind(struct queue *q, const struct queue_opts *o)
{
	char buf[CFG_BUF_SIZE];
	struct nlmsghdr *nlh;
	uint32_t flags = NFQA_CFG_F_GSO | (o->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, o->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (queue_config(q, nlh) < 0)
		return -1;

	/* Copy mode, length and every flag in one message: one FLAGS/MASK pair. */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, o->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)o->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, o->maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK,
			 htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	return queue_config(q, nlh);
}

/*
 * Every queued packet also sits in our receive buffer until we read it: size
 * the buffer for the whole queue, or the socket, not the queue, is the limit.
 */
static void queue_size_socket(struct queue *q, const struct queue_opts *o)
{
	int one = 1, size = (int)(o->maxlen * (o->copy_range + 768));
	struct timeval tv = { 0, RECV_TIMEOUT_MS * 1000 };

	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* Loss is visible in /proc; ENOBUFS must never latch the socket shut. */
	setsockopt(q->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void queue_init_slots(struct queue *q)
{
	unsigned i;

	for (i = 0; i < QUEUE_BURST; i++) {
		q->iov[i].iov_base = q->rxbuf + i * q->slot_size;
		q->iov[i].iov_len = q->slot_size;
		memset(&q->msgs[i], 0, sizeof(q->msgs[i]));
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

static void PRINTF_FMT(3, 4) set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

struct queue *queue_open(const struct queue_opts *o, char *err, size_t errlen)
{
	struct queue *q = calloc(1, sizeof(*q));
	int e;

	if (!q)
		return NULL;
	q->num = o->num;
	q->offload_mark = o->offload_mark;
	q->slot_size = o->copy_range + QUEUE_MSG_OVERHEAD;
	q->rxbuf = malloc(QUEUE_BURST * q->slot_size);
	if (!q->rxbuf)
		goto fail;
	queue_init_slots(q);
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl) {
		set_err(err, errlen, "queue %d: netlink socket: %s", o->num, strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		set_err(err, errlen, "queue %d: netlink bind: %s", o->num, strerror(errno));
		goto fail;
	}
	q->fd = mnl_socket_get_fd(q->nl);
	q->portid = mnl_socket_get_portid(q->nl);
	queue_size_socket(q, o);
	if (queue_bind(q, o) < 0) {
		if (errno == EPERM || errno == EBUSY)
			set_err(err, errlen, "queue %d is already in use by another "
				"process (another vpcfw?): %s", o->num, strerror(errno));
		else
			set_err(err, errlen, "queue %d: configuration refused: %s",
				o->num, strerror(errno));
		goto fail;
	}
	return q;
fail:
	e = errno;
	queue_close(q);
	errno = e;
	return NULL;
}

void queue_close(struct queue *q)
{
	if (!q)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->rxbuf);
	free(q);
}

uint16_t queue_num(const struct queue *q)
{
	return q->num;
}

/* Write the pending run of equal verdicts as one message (a batch if longer than 1). */
static void queue_close_run(struct queue *q)
{
	struct nlmsghdr *nlh;

	if (!q->run_len)
		return;
	nlh = nfq_nlmsg_put((char *)q->txbuf + q->txlen,
			    q->run_len > 1 ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT,
			    q->num);
	/* A batch verdict covers every queued id <= run_id: all earlier ids
	 * already have their verdict earlier in this same buffer. */
	nfq_nlmsg_verdict_put(nlh, (int)q->run_id, (int)q->run_verdict);
	q->txlen += nlh->nlmsg_len;
	stat_add(&q->st.verdict_msgs, 1);
	if (q->run_len > 1)
		stat_add(&q->st.batches, 1);
	q->run_len = 0;
}

/*
 * Offload: NF_REPEAT with our bit added to the packet's mark, a verdict of
 * its own (a batch carries no mark). The verdict replaces the whole mark,
 * so the packet's own mark is kept in the other bits.
 */
static void queue_put_offload(struct queue *q, uint32_t id, uint32_t mark)
{
	struct nlmsghdr *nlh;

	queue_close_run(q);
	nlh = nfq_nlmsg_put((char *)q->txbuf + q->txlen, NFQNL_MSG_VERDICT, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, NF_REPEAT);
	nfq_nlmsg_verdict_put_mark(nlh, mark | q->offload_mark);
	q->txlen += nlh->nlmsg_len;
	stat_add(&q->st.verdict_msgs, 1);
	stat_add(&q->st.accepted, 1);
	stat_add(&q->st.offloaded, 1);
}

static void queue_stage(struct queue *q, uint32_t id, uint32_t verdict,
			uint32_t mark)
{
	if ((verdict & QUEUE_F_OFFLOAD) && q->offload_mark) {
		queue_put_offload(q, id, mark);
		return;
	}
	verdict &= ~QUEUE_F_OFFLOAD;
	if (q->run_len && verdict != q->run_verdict)
		queue_close_run(q);
	q->run_id = id;
	q->run_verdict = verdict;
	q->run_len++;
	stat_add(verdict == NF_ACCEPT ? &q->st.accepted : &q->st.dropped, 1);
}

/* Send every staged verdict. Retried: a lost verdict would hold its packet forever. */
static int queue_flush(struct queue *q)
{
	int tries;

	queue_close_run(q);
	if (!q->txlen)
		return 0;
	for (tries = 0; tries < SEND_RETRIES; tries++) {
		if (mnl_socket_sendto(q->nl, q->txbuf, q->txlen) >= 0) {
			stat_add(&q->st.sends, 1);
			q->txlen = 0;
			return 0;
		}
		stat_add(&q->st.send_errors, 1);
		if (errno != ENOBUFS && errno != EINTR && errno != EAGAIN)
			break;
		usleep(1000u << tries);
	}
	q->txlen = 0;
	return -1;
}

static bool attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_get_payload_len(a) < sizeof(uint32_t))
		return false;
	*v = ntohl(mnl_attr_get_u32(a));
	return true;
}

/*
 * Pick the attributes the verdict needs from one packet message. A direct
 * walk rather than nfq_nlmsg_parse(): this runs for every packet, and each
 * attribute's length is checked here before it is read.
 */
static int queue_pkt_from_msg(const struct nlmsghdr *nlh, struct queue_pkt *qp)
{
	const struct nfqnl_msg_packet_hdr *ph = NULL;
	const struct nlattr *a;
	bool have_cap = false;

	memset(qp, 0, sizeof(*qp));
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(a)) {
		case NFQA_PACKET_HDR:
			if (mnl_attr_get_payload_len(a) >= sizeof(*ph))
				ph = mnl_attr_get_payload(a);
			break;
		case NFQA_PAYLOAD:
			qp->data = mnl_attr_get_payload(a);
			qp->caplen = mnl_attr_get_payload_len(a);
			break;
		case NFQA_CAP_LEN:
			have_cap = attr_u32(a, &qp->wirelen);
			break;
		case NFQA_IFINDEX_INDEV:
			attr_u32(a, &qp->indev);
			break;
		case NFQA_IFINDEX_OUTDEV:
			attr_u32(a, &qp->outdev);
			break;
		case NFQA_SKB_INFO:
			attr_u32(a, &qp->skbinfo);
			break;
		case NFQA_MARK:
			attr_u32(a, &qp->mark);
			break;
		}
	}
	if (!ph)
		return -1;
	qp->id = ntohl(ph->packet_id);
	qp->hook = ph->hook;
	qp->hw_proto = ntohs(ph->hw_protocol);
	if (!have_cap)
		qp->wirelen = qp->caplen;
	return 0;
}

static uint16_t nfq_msg_type(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type & 0xff;
}

/* Judge every packet message in one datagram; count errors the kernel sent back. */
static unsigned queue_handle_datagram(struct queue *q, const uint8_t *buf,
				      size_t len, const struct queue_handler *h)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rest = (int)len;
	unsigned n = 0;

	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		struct queue_pkt qp;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (e->error)
				stat_add(&q->st.kernel_errors, 1);
			continue;
		}
		if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE ||
		    nfq_msg_type(nlh) != NFQNL_MSG_PACKET)
			continue;
		if (queue_pkt_from_msg(nlh, &qp) < 0) {
			/* No id to answer: nothing can be verdicted; count it. */
			stat_add(&q->st.bad_msgs, 1);
			continue;
		}
		stat_add(&q->st.received, 1);
		queue_stage(q, qp.id, h->judge(h->ctx, &qp), qp.mark);
		n++;
	}
	return n;
}

int queue_process(struct queue *q, const struct queue_handler *h, bool wait)
{
	int got, i;
	unsigned n = 0;

	got = recvmmsg(q->fd, q->msgs, QUEUE_BURST,
		       wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			stat_add(&q->st.enobufs, 1);
			return 0;
		}
		return -1;
	}
	stat_add(&q->st.bursts, 1);
	if (h->burst_begin)
		h->burst_begin(h->ctx);
	for (i = 0; i < got; i++) {
		if (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			stat_add(&q->st.truncated, 1);
		n += queue_handle_datagram(q, q->iov[i].iov_base,
					   q->msgs[i].msg_len, h);
		q->msgs[i].msg_hdr.msg_flags = 0;
	}
	if (h->burst_end)
		h->burst_end(h->ctx);
	if (queue_flush(q) < 0)
		return -1;
	return (int)n;
}

int queue_stop_intake(struct queue *q)
{
	char buf[CFG_BUF_SIZE];
	struct nlmsghdr *nlh;

	/*
	 * Not acknowledged: packets may be interleaved with the answer, and the
	 * drain that follows reads (and counts) whatever the kernel replies.
	 */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, 0);
	return mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

void queue_get_stats(const struct queue *q, struct queue_stats *s)
{
	const uint64_t *src = (const uint64_t *)&q->st;
	uint64_t *dst = (uint64_t *)s;
	size_t i;

	for (i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

int queue_kernel_stats(uint16_t num, struct queue_kernel_stats *ks)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	unsigned qn, portid, waiting, mode, range, qdrop, udrop, last, one;

	memset(ks, 0, sizeof(*ks));
	if (!f)
		return -1;
	while (fscanf(f, "%u %u %u %u %u %u %u %u %u", &qn, &portid, &waiting,
		      &mode, &range, &qdrop, &udrop, &last, &one) == 9) {
		if (qn != num)
			continue;
		ks->found = true;
		ks->portid = portid;
		ks->waiting = waiting;
		ks->copy_mode = mode;
		ks->copy_range = range;
		ks->queue_dropped = qdrop;
		ks->user_dropped = udrop;
		ks->last_id = last;
		break;
	}
	fclose(f);
	return 0;
}
