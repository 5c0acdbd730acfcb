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
#include "queue_int.h"

#define QUEUE_BURST	64
/* Room for the netlink and nfqueue headers and attributes around the copy. */
#define QUEUE_MSG_OVERHEAD 1024
/* A single verdict message: nlmsghdr + nfgenmsg + NFQA_VERDICT_HDR. */
#define VERDICT_MSG_MAX	64
#define RECV_TIMEOUT_MS	200
#define SEND_RETRIES	8
/* Config messages and their acknowledgements are small. */
#define CFG_BUF_SIZE	8192
/* Receive timeouts (RECV_TIMEOUT_MS each) to wait for a configuration answer. */
#define CFG_MAX_WAITS	25

/* A datagram that arrived while the queue was being configured. */
struct queue_held {
	uint8_t *buf;
	size_t len;
	bool cut;		/* MSG_TRUNC */
};

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
	/* The run of equal verdicts for consecutive ids not yet written into txbuf. */
	uint32_t run_first, run_id, run_verdict, run_len;
	/* A packet message came without a readable id: no more batch verdicts. */
	bool ids_lost;
	bool tx_failed;			/* verdicts could not be sent: the queue is broken */
	struct queue_held *held;	/* judged first by queue_process() */
	size_t n_held, cap_held;
	struct queue_stats st;		/* written by the queue's thread only */
};

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

/*
 * Packets the kernel queues before our configuration is acknowledged arrive
 * on this socket among the answers. Keep each datagram that carries one for
 * the first queue_process() to judge: dropping them here (as libmnl's
 * callback runner would, with no data callback) would leave them queued with
 * no verdict, or answered later by a batch that never saw them.
 */
static int queue_keep(struct queue *q, const uint8_t *buf, size_t len, bool cut)
{
	struct queue_held *h;

	if (q->n_held == q->cap_held) {
		size_t cap = q->cap_held ? 2 * q->cap_held : 16;

		h = realloc(q->held, cap * sizeof(*h));
		if (!h)
			return -1;
		q->held = h;
		q->cap_held = cap;
	}
	h = &q->held[q->n_held];
	h->buf = malloc(len ? len : 1);
	if (!h->buf)
		return -1;
	memcpy(h->buf, buf, len);
	h->len = len;
	h->cut = cut;
	q->n_held++;
	return 0;
}

/*
 * One datagram read while waiting for the answer to config message `seq`:
 * 1 when it holds that answer (with *err its errno, 0 for success), 0 when
 * not yet; packet messages in it are kept.
 */
int queue_config_answer(struct queue *q, const uint8_t *buf, size_t len,
			bool cut, int *err)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rest = (int)len, done = 0;
	bool kept = false;

	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq == q->seq &&
		    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			*err = -e->error;
			done = 1;
		} else if (!kept && (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE) {
			if (queue_keep(q, buf, len, cut) < 0)
				return -1;
			kept = true;
		}
	}
	/* A datagram cut inside its first message still holds a packet id. */
	if (!kept && cut && rest >= (int)sizeof(*nlh) &&
	    (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE && queue_keep(q, buf, len, cut) < 0)
		return -1;
	return done;
}

/* Send one config message with NLM_F_ACK and wait for the kernel's answer. */
static int queue_config(struct queue *q, struct nlmsghdr *nlh)
{
	struct msghdr mh = { .msg_iov = &q->iov[0], .msg_iovlen = 1 };
	int ret, err = 0, idle = 0;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = recvmsg(q->fd, &mh, 0);
		if (n < 0) {
			/* The socket's receive timeout: the answer is never that late. */
			if ((errno == EAGAIN || errno == EINTR) && ++idle < CFG_MAX_WAITS)
				continue;
			if (errno == EAGAIN)
				errno = ETIMEDOUT;
			return -1;
		}
		ret = queue_config_answer(q, q->iov[0].iov_base,
					  (size_t)n < q->slot_size ? (size_t)n : q->slot_size,
					  mh.msg_flags & MSG_TRUNC, &err);
		if (ret < 0)
			return -1;
	} while (!ret);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * Bind and configure in one message: the kernel creates the queue and sets
 * its copy mode in the same call, so no packet is queued with the default
 * "copy nothing" mode but in the instant between the two (such a packet gets
 * the failure verdict, QUEUE_FAIL_NO_PAYLOAD).
 */
static int queue_bind(struct queue *q, const struct queue_opts *o)
{
	char buf[CFG_BUF_SIZE];
	struct nlmsghdr *nlh;
	uint32_t flags = NFQA_CFG_F_GSO | (o->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, o->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
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

struct queue *queue_alloc(const struct queue_opts *o)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->fd = -1;
	q->num = o->num;
	q->offload_mark = o->offload_mark;
	q->slot_size = o->copy_range + QUEUE_MSG_OVERHEAD;
	q->rxbuf = malloc(QUEUE_BURST * q->slot_size);
	if (!q->rxbuf) {
		free(q);
		return NULL;
	}
	queue_init_slots(q);
	return q;
}

struct queue *queue_open(const struct queue_opts *o, char *err, size_t errlen)
{
	struct queue *q = queue_alloc(o);
	int e;

	if (!q)
		return NULL;
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
	while (q->n_held)
		free(q->held[--q->n_held].buf);
	free(q->held);
	free(q->rxbuf);
	free(q);
}

const char *queue_fail_name(enum queue_fail why)
{
	switch (why) {
	case QUEUE_FAIL_TRUNCATED:
		return "cut short by the receive buffer";
	case QUEUE_FAIL_NO_PAYLOAD:
		return "came without its bytes";
	}
	return "unreadable";
}

uint16_t queue_num(const struct queue *q)
{
	return q->num;
}

static int queue_flush(struct queue *q);

static void queue_put_verdict(struct queue *q, int type, uint32_t id, uint32_t verdict)
{
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put((char *)q->txbuf + q->txlen, type, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, (int)verdict);
	q->txlen += nlh->nlmsg_len;
	stat_add(&q->st.verdict_msgs, 1);
}

/*
 * Write the pending run as one batch verdict, or one verdict per id.
 *
 * A batch verdict answers every id up to its own that is still queued
 * (nfqnl_recv_verdict_batch), not only the run's. It is sent only for a run
 * of consecutive ids, and only while every packet message the kernel sent us
 * was read: then each smaller id still queued was answered earlier in this
 * buffer or before, and an id we never saw was never queued (the kernel
 * numbers a packet before handing it to our socket, and a packet it cannot
 * hand over is not queued: it passes or drops by the failure policy).
 */
static void queue_close_run(struct queue *q)
{
	uint32_t i;

	if (!q->run_len)
		return;
	if (q->run_len > 1 && !q->ids_lost) {
		queue_put_verdict(q, NFQNL_MSG_VERDICT_BATCH, q->run_id, q->run_verdict);
		stat_add(&q->st.batches, 1);
	} else {
		for (i = 0; i < q->run_len; i++)
			queue_put_verdict(q, NFQNL_MSG_VERDICT, q->run_first + i,
					  q->run_verdict);
	}
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
	if (q->txlen + VERDICT_MSG_MAX > sizeof(q->txbuf))
		queue_flush(q);
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
	/* Room for the run's verdicts one by one and an offload verdict. */
	if (q->txlen + (q->run_len + 2) * VERDICT_MSG_MAX > sizeof(q->txbuf))
		queue_flush(q);
	if ((verdict & QUEUE_F_OFFLOAD) && q->offload_mark) {
		queue_put_offload(q, id, mark);
		return;
	}
	verdict &= ~QUEUE_F_OFFLOAD;
	if (q->run_len && (verdict != q->run_verdict || id != q->run_id + 1))
		queue_close_run(q);
	if (!q->run_len)
		q->run_first = id;
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
	q->tx_failed = true;
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

/* The verdict for one packet message, by the judge or, when it cannot be judged, the failure policy. */
static void queue_answer(struct queue *q, const struct queue_pkt *qp, bool cut,
			 const struct queue_handler *h)
{
	uint32_t v;

	stat_add(&q->st.received, 1);
	if (cut) {
		stat_add(&q->st.truncated, 1);
		v = h->fail(h->ctx, qp, QUEUE_FAIL_TRUNCATED);
	} else if (!qp->data || !qp->caplen) {
		stat_add(&q->st.no_payload, 1);
		v = h->fail(h->ctx, qp, QUEUE_FAIL_NO_PAYLOAD);
	} else {
		v = h->judge(h->ctx, qp);
	}
	queue_stage(q, qp->id, v, qp->mark);
}

/*
 * Judge every packet message in one datagram; count errors the kernel sent
 * back. `cut`: the datagram was longer than our buffer, so its last message
 * is short; its id is still read (the packet header comes first) and it gets
 * the failure verdict.
 */
unsigned queue_handle_datagram(struct queue *q, uint8_t *buf, size_t len,
			       bool cut, const struct queue_handler *h)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int rest = (int)len;
	unsigned n = 0;

	for (; rest >= (int)sizeof(*nlh); nlh = mnl_nlmsg_next(nlh, &rest)) {
		struct queue_pkt qp;
		bool short_msg = !mnl_nlmsg_ok(nlh, rest);

		if (short_msg) {
			if (!cut || nlh->nlmsg_len < sizeof(*nlh))
				break;
			nlh->nlmsg_len = (uint32_t)rest;	/* read what arrived */
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (!short_msg && e->error)
				stat_add(&q->st.kernel_errors, 1);
		} else if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE &&
			   nfq_msg_type(nlh) == NFQNL_MSG_PACKET) {
			if (queue_pkt_from_msg(nlh, &qp) < 0) {
				/* No id to answer: nothing can be verdicted; count it. */
				stat_add(&q->st.bad_msgs, 1);
				q->ids_lost = true;
			} else {
				queue_answer(q, &qp, short_msg, h);
				n++;
			}
		}
		if (short_msg)
			break;
	}
	return n;
}

/* The packets that arrived during configuration, judged as one burst. */
static int queue_process_held(struct queue *q, const struct queue_handler *h)
{
	unsigned n = 0;
	size_t i;

	stat_add(&q->st.bursts, 1);
	if (h->burst_begin)
		h->burst_begin(h->ctx);
	for (i = 0; i < q->n_held; i++) {
		n += queue_handle_datagram(q, q->held[i].buf, q->held[i].len,
					   q->held[i].cut, h);
		free(q->held[i].buf);
	}
	stat_add(&q->st.early, n);
	q->n_held = 0;
	if (h->burst_end)
		h->burst_end(h->ctx);
	if (queue_flush(q) < 0 || q->tx_failed)
		return -1;
	return (int)n;
}

int queue_process(struct queue *q, const struct queue_handler *h, bool wait)
{
	int got, i;
	unsigned n = 0;

	if (q->n_held)
		return queue_process_held(q, h);
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
		size_t len = q->msgs[i].msg_len;

		n += queue_handle_datagram(q, q->iov[i].iov_base,
					   len < q->slot_size ? len : q->slot_size,
					   q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC, h);
		q->msgs[i].msg_hdr.msg_flags = 0;
	}
	if (h->burst_end)
		h->burst_end(h->ctx);
	if (queue_flush(q) < 0 || q->tx_failed)
		return -1;
	return (int)n;
}

const uint8_t *queue_staged(struct queue *q, size_t *len)
{
	queue_close_run(q);
	*len = q->txlen;
	return q->txbuf;
}

size_t queue_held_count(const struct queue *q)
{
	return q->n_held;
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
