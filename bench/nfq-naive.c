/*
 * nfq-naive - the naive accept-all NFQUEUE loop the benchmark compares
 * vpcfw against: one receive syscall and one VERDICT sendto per packet,
 * which is what a straight port of the upstream nf-queue example does.
 *
 * Usage: nfq-naive QUEUE
 * Runs until SIGTERM/SIGINT, accepts every packet, then prints what it saw
 * on stderr and exits 0.
 */
#include "nfq-common.h"

#include <unistd.h>

struct naive_stats {
	unsigned long long packets;
	unsigned long long verdicts;		/* VERDICT messages sent */
	unsigned long long verdict_errors;	/* NLMSG_ERROR from the kernel */
	unsigned long long send_errors;		/* sendto itself failed */
};

/* Every message of one datagram: a verdict per packet, errors counted. */
static void naive_handle(struct mnl_socket *nl, uint16_t queue, char *buf,
			 int len, struct naive_stats *st)
{
	struct nlmsghdr *nlh;
	uint32_t id;

	for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nfqb_packet_id(nlh, &id) == 0) {
			st->packets++;
			if (nfqb_verdict(nl, queue, NFQNL_MSG_VERDICT, id,
					 NF_ACCEPT) < 0)
				st->send_errors++;
			else
				st->verdicts++;
		} else if (nfqb_is_error(nlh)) {
			st->verdict_errors++;
		}
	}
}

static int naive_loop(struct mnl_socket *nl, uint16_t queue,
		      struct naive_stats *st)
{
	static char buf[NFQB_MSG_BUF];
	ssize_t n;

	while (!nfqb_stop) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			/* ENOBUFS cannot happen (NO_ENOBUFS) but is a
			 * notification, never a reason to stop. */
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -1;
		}
		naive_handle(nl, queue, buf, (int)n, st);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct naive_stats st = { 0 };
	struct mnl_socket *nl;
	const char *step;
	uint16_t queue;
	int ret;

	if (argc != 2 || nfqb_parse_queue(argv[1], &queue) < 0) {
		fprintf(stderr, "usage: nfq-naive QUEUE\n");
		return 2;
	}
	if (nfqb_signals_init() < 0) {
		perror("nfq-naive: sigaction");
		return 1;
	}
	nl = nfqb_open(queue, &step);
	if (!nl) {
		nfqb_report_open_error("nfq-naive", queue, step);
		return 1;
	}
	ret = naive_loop(nl, queue, &st);
	if (ret < 0)
		perror("nfq-naive: recv");
	mnl_socket_close(nl);
	fprintf(stderr,
		"nfq-naive: queue %u: %llu packets, %llu verdict messages, "
		"%llu verdict errors, %llu send errors\n",
		queue, st.packets, st.verdicts, st.verdict_errors,
		st.send_errors);
	return ret < 0 ? 1 : 0;
}
