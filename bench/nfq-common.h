/*
 * nfq-common.h - NFQUEUE set-up shared by the benchmark's two reference
 * loops (nfq-naive, nfq-limit).
 *
 * Both loops must pay exactly the same set-up as the engine so that the
 * only difference the benchmark measures is the packet loop itself: one
 * netlink socket, a large forced receive buffer, NETLINK_NO_ENOBUFS, BIND
 * then one CONFIG carrying the copy range, the queue length and F_GSO in a
 * single FLAGS/MASK pair, each config message acknowledged (NLM_F_ACK) so
 * that EPERM/EBUSY surface at start-up instead of inside the loop.
 *
 * Header-only (static inline) because the Makefile links each loop from its
 * own .c file alone.
 */
#ifndef VPCFW_BENCH_NFQ_COMMON_H
#define VPCFW_BENCH_NFQ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* recvmmsg, MSG_WAITFORONE */
#endif

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

/* Headers only: the loops judge nothing, and 128 bytes keeps each queued
 * message small so the receive buffer holds the whole queue. */
#define NFQB_COPY_RANGE		128
#define NFQB_QUEUE_MAXLEN	4096
#define NFQB_RCVBUF		(16 * 1024 * 1024)
/* One packet message: the copied bytes plus netlink headers and metadata
 * attributes, with the slack libdaq uses (MNL_SOCKET_BUFFER_SIZE is 8192 at
 * most but calls sysconf(), so spell it out: arrays stay fixed-size). */
#define NFQB_MSG_BUF		(NFQB_COPY_RANGE + 8192)
/* A config or verdict message we build: a few dozen bytes. */
#define NFQB_CTL_BUF		512

#define NFQB_TYPE(msg)		((NFNL_SUBSYS_QUEUE << 8) | (msg))

static volatile sig_atomic_t nfqb_stop;

static inline void nfqb_on_signal(int sig)
{
	nfqb_stop = 1;
}

/* No SA_RESTART: a blocked receive must return EINTR so the loop can
 * verdict what it holds and leave. */
static inline int nfqb_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nfqb_on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	return 0;
}

static inline int nfqb_parse_queue(const char *s, uint16_t *queue)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 65535) {
		errno = EINVAL;
		return -1;
	}
	*queue = (uint16_t)v;
	return 0;
}

/* The packet id of a PACKET message, in host order; -1 for anything else. */
static inline int nfqb_packet_id(const struct nlmsghdr *nlh, uint32_t *id)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;

	if (nlh->nlmsg_type != NFQB_TYPE(NFQNL_MSG_PACKET))
		return -1;
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return -1;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	*id = ntohl(ph->packet_id);
	return 0;
}

/* An NLMSG_ERROR carrying a real error (a refused verdict), not an ACK. */
static inline int nfqb_is_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
		return 0;
	err = mnl_nlmsg_get_payload(nlh);
	return err->error != 0;
}

/* One verdict message: VERDICT for one id, VERDICT_BATCH for every queued
 * id up to and including @id. */
static inline int nfqb_verdict_mark(struct mnl_socket *nl, uint16_t queue, int type,
				    uint32_t id, int verdict, const uint32_t *mark)
{
	char buf[NFQB_CTL_BUF];
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(buf, type, queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (mark)
		nfq_nlmsg_verdict_put_mark(nlh, *mark);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	return 0;
}

static inline int nfqb_verdict(struct mnl_socket *nl, uint16_t queue,
			       int type, uint32_t id, int verdict)
{
	return nfqb_verdict_mark(nl, queue, type, id, verdict, NULL);
}

/*
 * Send one CONFIG message with NLM_F_ACK and wait for its answer. A packet
 * may slip in between the kernel applying the copy mode and sending the
 * ACK; it gets an accept verdict here so that nothing is left unjudged.
 */
static inline int nfqb_config(struct mnl_socket *nl, struct nlmsghdr *nlh,
			      uint16_t queue)
{
	char buf[NFQB_MSG_BUF];
	unsigned int portid = mnl_socket_get_portid(nl);
	uint32_t seq = (uint32_t)time(NULL) ^ nlh->nlmsg_len;
	const struct nlmsgerr *err;
	struct nlmsghdr *m;
	uint32_t id;
	int len;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		len = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (m = (struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (nfqb_packet_id(m, &id) == 0) {
				nfqb_verdict(nl, queue, NFQNL_MSG_VERDICT, id,
					     NF_ACCEPT);
				continue;
			}
			if (m->nlmsg_type != NLMSG_ERROR ||
			    m->nlmsg_seq != seq || m->nlmsg_pid != portid ||
			    m->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
				continue;
			err = mnl_nlmsg_get_payload(m);
			if (err->error == 0)
				return 0;
			errno = -err->error;
			return -1;
		}
	}
}

static inline int nfqb_set_rcvbuf(struct mnl_socket *nl, int size)
{
	int fd = mnl_socket_get_fd(nl);

	/* FORCE ignores net.core.rmem_max (root only); fall back politely. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static inline int nfqb_bind(struct mnl_socket *nl, uint16_t queue)
{
	char buf[NFQB_CTL_BUF];
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	return nfqb_config(nl, nlh, queue);
}

/* Copy range, queue length and F_GSO in one message, the flags in ONE
 * FLAGS/MASK pair (a second pair would silently replace the first). */
static inline int nfqb_set_params(struct mnl_socket *nl, uint16_t queue)
{
	char buf[NFQB_CTL_BUF];
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, NFQB_COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, NFQB_QUEUE_MAXLEN);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	return nfqb_config(nl, nlh, queue);
}

/*
 * Open a netlink socket and bind it to @queue, fully configured. Returns
 * NULL with errno set and *step naming the step that failed.
 */
static inline struct mnl_socket *nfqb_open(uint16_t queue, const char **step)
{
	struct mnl_socket *nl;
	int one = 1, saved;

	*step = "open netlink socket";
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return NULL;
	*step = "bind netlink socket";
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	*step = "set NETLINK_NO_ENOBUFS";
	if (mnl_socket_setsockopt(nl, NETLINK_NO_ENOBUFS, &one, sizeof(one)) < 0)
		goto fail;
	*step = "set receive buffer";
	if (nfqb_set_rcvbuf(nl, NFQB_RCVBUF) < 0)
		goto fail;
	*step = "bind queue";
	if (nfqb_bind(nl, queue) < 0)
		goto fail;
	*step = "configure queue (copy range, maxlen, F_GSO)";
	if (nfqb_set_params(nl, queue) < 0)
		goto fail;
	return nl;
fail:
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return NULL;
}

/* The start-up failure message, with the usual cause spelled out. */
static inline void nfqb_report_open_error(const char *prog, uint16_t queue,
					  const char *step)
{
	const char *hint = "";

	if (errno == EPERM)
		hint = " (another process owns this queue, or not root?)";
	else if (errno == EBUSY)
		hint = " (queue already bound by this socket)";
	fprintf(stderr, "%s: queue %u: %s: %s%s\n", prog, queue, step,
		strerror(errno), hint);
}

#endif /* VPCFW_BENCH_NFQ_COMMON_H */
