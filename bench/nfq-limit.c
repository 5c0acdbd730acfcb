/*
 * nfq-limit - the "limit" NFQUEUE loop: the least work any accept-all
 * queue consumer can do per packet. Bursts of up to NFQB_BURST messages
 * arrive with one recvmmsg (MSG_WAITFORONE: wait for the first, take what
 * is already there) into preallocated buffers, and one VERDICT_BATCH
 * (accept, highest id) settles the whole burst. No rules, no flow table:
 * whatever vpcfw spends above this is the price of judging.
 *
 * Usage: nfq-limit [--mark MARK] QUEUE
 * With --mark, every burst goes back with NF_REPEAT and MARK set instead
 * of NF_ACCEPT: the packets run the hook again and the steering's offload
 * rules take their connection out of the queue. That is the least any
 * offloading program can do (vpcfw --offload marks the same way, after
 * judging), so it is the floor of the short-connection benchmark.
 * Runs until SIGTERM/SIGINT, then prints what it saw on stderr and exits 0.
 */
#include "nfq-common.h"

#include <unistd.h>
#include <linux/netlink.h>

#define NFQB_BURST	64

struct limit_stats {
	unsigned long long packets;
	unsigned long long bursts;		/* recvmmsg calls that returned data */
	unsigned long long batches;		/* VERDICT_BATCH messages sent */
	unsigned long long verdict_errors;
	unsigned long long send_errors;
	unsigned long long truncated;
};

/* Preallocated once: no allocation on the packet path. */
struct limit_burst {
	struct mmsghdr msg[NFQB_BURST];
	struct iovec iov[NFQB_BURST];
	struct sockaddr_nl from[NFQB_BURST];
	char buf[NFQB_BURST][NFQB_MSG_BUF];
};

static void limit_burst_init(struct limit_burst *b)
{
	int i;

	memset(b->msg, 0, sizeof(b->msg));
	for (i = 0; i < NFQB_BURST; i++) {
		b->iov[i].iov_base = b->buf[i];
		b->iov[i].iov_len = sizeof(b->buf[i]);
		b->msg[i].msg_hdr.msg_iov = &b->iov[i];
		b->msg[i].msg_hdr.msg_iovlen = 1;
		b->msg[i].msg_hdr.msg_name = &b->from[i];
	}
}

/* Wrap-safe "a is later than b" for 32-bit packet ids. */
static int limit_id_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* Scan one datagram; returns how many packets it held. *hi becomes the
 * highest id seen in the burst (@seen: how many packets came before). */
static unsigned int limit_scan(const struct mmsghdr *mm, char *buf,
			       unsigned int seen, uint32_t *hi,
			       struct limit_stats *st)
{
	const struct sockaddr_nl *from = mm->msg_hdr.msg_name;
	int len = (int)mm->msg_len;
	struct nlmsghdr *nlh;
	unsigned int count = 0;
	uint32_t id;

	if (from->nl_pid != 0)		/* not from the kernel */
		return 0;
	/* Cannot happen with NFQB_MSG_BUF; a lost id is still covered by
	 * the batch verdict of a later one. */
	if (mm->msg_hdr.msg_flags & MSG_TRUNC) {
		st->truncated++;
		return 0;
	}
	for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nfqb_packet_id(nlh, &id) == 0) {
			if (!seen++ || limit_id_after(id, *hi))
				*hi = id;
			count++;
		} else if (nfqb_is_error(nlh)) {
			st->verdict_errors++;
		}
	}
	return count;
}

/* One burst: receive, find the highest id, one batch verdict for all. */
static int limit_burst_run(struct mnl_socket *nl, uint16_t queue, const uint32_t *mark,
			   struct limit_burst *b, struct limit_stats *st)
{
	int fd = mnl_socket_get_fd(nl);
	unsigned int got = 0;
	uint32_t hi = 0;
	int n, i;

	for (i = 0; i < NFQB_BURST; i++)
		b->msg[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
	n = recvmmsg(fd, b->msg, NFQB_BURST, MSG_WAITFORONE, NULL);
	if (n < 0)
		return (errno == EINTR || errno == ENOBUFS) ? 0 : -1;
	st->bursts++;
	for (i = 0; i < n; i++)
		got += limit_scan(&b->msg[i], b->buf[i], got, &hi, st);
	if (!got)
		return 0;
	st->packets += got;
	if (nfqb_verdict_mark(nl, queue, NFQNL_MSG_VERDICT_BATCH, hi,
			      mark ? NF_REPEAT : NF_ACCEPT, mark) < 0)
		st->send_errors++;
	else
		st->batches++;
	return 0;
}

int main(int argc, char *argv[])
{
	struct limit_stats st = { 0 };
	struct limit_burst *b;
	struct mnl_socket *nl;
	const char *step;
	uint32_t mark, *markp = NULL;
	uint16_t queue;
	int ret = 0;

	if (argc == 4 && !strcmp(argv[1], "--mark")) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(argv[2], &end, 0);
		if (errno || end == argv[2] || *end || !v || v > UINT32_MAX) {
			fprintf(stderr, "nfq-limit: --mark %s: not a 32-bit mark\n", argv[2]);
			return 2;
		}
		mark = (uint32_t)v;
		markp = &mark;
		argc -= 2;
		argv += 2;
	}
	if (argc != 2 || nfqb_parse_queue(argv[1], &queue) < 0) {
		fprintf(stderr, "usage: nfq-limit [--mark MARK] QUEUE\n");
		return 2;
	}
	b = malloc(sizeof(*b));
	if (!b || nfqb_signals_init() < 0) {
		perror("nfq-limit: set-up");
		return 1;
	}
	limit_burst_init(b);
	nl = nfqb_open(queue, &step);
	if (!nl) {
		nfqb_report_open_error("nfq-limit", queue, step);
		free(b);
		return 1;
	}
	while (!nfqb_stop && ret == 0)
		ret = limit_burst_run(nl, queue, markp, b, &st);
	if (ret < 0)
		perror("nfq-limit: recvmmsg");
	mnl_socket_close(nl);
	free(b);
	fprintf(stderr,
		"nfq-limit: queue %u: %llu packets in %llu bursts (%.1f/burst), "
		"%llu batch verdicts, %llu verdict errors, %llu send errors, "
		"%llu truncated\n",
		queue, st.packets, st.bursts,
		st.bursts ? (double)st.packets / (double)st.bursts : 0.0,
		st.batches, st.verdict_errors, st.send_errors, st.truncated);
	return ret < 0 ? 1 : 0;
}
