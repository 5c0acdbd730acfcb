/*
 * Unit tests of the queue's message handling (white-box, src/engine/queue_int.h):
 * nfqueue datagrams built byte by byte, the verdict messages staged for them
 * read back. One decided verdict per packet id: batch verdicts only over
 * consecutive ids the burst saw, the failure verdict for a packet cut short
 * or sent without its bytes, packets that arrive with a configuration answer
 * kept for judging.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "queue_int.h"
#include "pktbuild.h"
#include "testutil.h"

#define QNUM 7

/* What the fake judge and failure handler were asked. */
struct seen {
	unsigned judged, failed;
	uint32_t last_fail_id;
	enum queue_fail last_why;
	uint32_t verdict;	/* what the judge answers */
};

static uint32_t judge(void *ctx, const struct queue_pkt *qp)
{
	struct seen *s = ctx;

	s->judged++;
	return s->verdict;
}

static uint32_t on_fail(void *ctx, const struct queue_pkt *qp, enum queue_fail why)
{
	struct seen *s = ctx;

	s->failed++;
	s->last_fail_id = qp->id;
	s->last_why = why;
	return NF_ACCEPT;	/* a fail-open engine */
}

/*
 * Append one NFQNL_MSG_PACKET for `id` to buf at *off: header, then (when
 * with_payload) a UDP packet as payload. Returns the message.
 */
static struct nlmsghdr *put_packet(uint8_t *buf, size_t *off, uint32_t id, bool with_payload)
{
	struct nfqnl_msg_packet_hdr ph = { .packet_id = htonl(id),
					   .hw_protocol = htons(0x0800),
					   .hook = NF_INET_LOCAL_IN };
	uint8_t pkt[PB_MAX];
	struct nlmsghdr *nlh;
	size_t n;

	nlh = nfq_nlmsg_put((char *)buf + *off, NFQNL_MSG_PACKET, QNUM);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	if (with_payload) {
		n = pb_udp(pkt, "10.0.0.2", 4000, "10.0.0.1", 53, 32);
		mnl_attr_put(nlh, NFQA_PAYLOAD, n, pkt);
	}
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
	return nlh;
}

/* The staged verdicts, decoded: type (0 single, 1 batch), id, verdict. */
struct staged {
	int batch;
	uint32_t id, verdict;
};

static size_t read_staged(struct queue *q, struct staged *out, size_t max)
{
	const struct nlmsghdr *nlh;
	const uint8_t *buf;
	size_t len, n = 0;
	int rest;

	buf = queue_staged(q, &len);
	nlh = (const struct nlmsghdr *)buf;
	rest = (int)len;
	for (; mnl_nlmsg_ok(nlh, rest) && n < max; nlh = mnl_nlmsg_next(nlh, &rest)) {
		const struct nlattr *a;

		out[n].batch = (nlh->nlmsg_type & 0xff) == NFQNL_MSG_VERDICT_BATCH;
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) == NFQA_VERDICT_HDR) {
				const struct nfqnl_msg_verdict_hdr *vh = mnl_attr_get_payload(a);

				out[n].id = ntohl(vh->id);
				out[n].verdict = ntohl(vh->verdict);
			}
		}
		n++;
	}
	return n;
}

static struct queue *new_queue(void)
{
	struct queue_opts o = { .num = QNUM, .maxlen = 64, .copy_range = 512 };
	struct queue *q = queue_alloc(&o);

	ck_assert_ptr_nonnull(q);
	return q;
}

static struct queue_handler handler(struct seen *s)
{
	struct queue_handler h = { .judge = judge, .fail = on_fail, .ctx = s };

	return h;
}

/* One datagram per packet, as the kernel sends them. */
static void feed(struct queue *q, const struct queue_handler *h, uint32_t id, bool payload)
{
	uint8_t buf[4096];
	size_t off = 0;

	put_packet(buf, &off, id, payload);
	ck_assert_uint_eq(queue_handle_datagram(q, buf, off, false, h), 1);
}

START_TEST(test_consecutive_ids_batch)
{
	struct seen s = { .verdict = NF_DROP };
	struct queue_handler h = handler(&s);
	struct queue *q = new_queue();
	struct staged v[8];

	feed(q, &h, 10, true);
	feed(q, &h, 11, true);
	feed(q, &h, 12, true);
	ck_assert_uint_eq(read_staged(q, v, 8), 1);
	ck_assert_int_eq(v[0].batch, 1);
	ck_assert_uint_eq(v[0].id, 12);
	ck_assert_uint_eq(v[0].verdict, NF_DROP);
	ck_assert_uint_eq(s.judged, 3);
	queue_close(q);
}
END_TEST

/* A batch answers every queued id up to its own: never past a gap in what we saw. */
START_TEST(test_gap_splits_the_batch)
{
	struct seen s = { .verdict = NF_ACCEPT };
	struct queue_handler h = handler(&s);
	struct queue *q = new_queue();
	struct staged v[8];

	feed(q, &h, 5, true);
	feed(q, &h, 6, true);
	feed(q, &h, 8, true);
	feed(q, &h, 9, true);
	ck_assert_uint_eq(read_staged(q, v, 8), 2);
	ck_assert_int_eq(v[0].batch, 1);
	ck_assert_uint_eq(v[0].id, 6);
	ck_assert_int_eq(v[1].batch, 1);
	ck_assert_uint_eq(v[1].id, 9);
	queue_close(q);
}
END_TEST

/* Different verdicts break the run; a run of one is a plain verdict. */
START_TEST(test_verdict_change_splits)
{
	struct seen s = { .verdict = NF_ACCEPT };
	struct queue_handler h = handler(&s);
	struct queue *q = new_queue();
	struct staged v[8];

	feed(q, &h, 1, true);
	s.verdict = NF_DROP;
	feed(q, &h, 2, true);
	feed(q, &h, 3, true);
	ck_assert_uint_eq(read_staged(q, v, 8), 2);
	ck_assert_int_eq(v[0].batch, 0);
	ck_assert_uint_eq(v[0].id, 1);
	ck_assert_uint_eq(v[0].verdict, NF_ACCEPT);
	ck_assert_int_eq(v[1].batch, 1);
	ck_assert_uint_eq(v[1].id, 3);
	ck_assert_uint_eq(v[1].verdict, NF_DROP);
	queue_close(q);
}
END_TEST

/* A packet sent without its bytes is not judged: the failure verdict, by id. */
START_TEST(test_no_payload_gets_failure_verdict)
{
	struct seen s = { .verdict = NF_DROP };
	struct queue_handler h = handler(&s);
	struct queue *q = new_queue();
	struct queue_stats st;
	struct staged v[8];

	feed(q, &h, 20, false);
	ck_assert_uint_eq(s.judged, 0);
	ck_assert_uint_eq(s.failed, 1);
	ck_assert_uint_eq(s.last_fail_id, 20);
	ck_assert_int_eq(s.last_why, QUEUE_FAIL_NO_PAYLOAD);
	ck_assert_uint_eq(read_staged(q, v, 8), 1);
	ck_assert_uint_eq(v[0].id, 20);
	ck_assert_uint_eq(v[0].verdict, NF_ACCEPT);
	queue_get_stats(q, &st);
	ck_assert_uint_eq(st.no_payload, 1);
	ck_assert_uint_eq(st.received, 1);
	queue_close(q);
}
END_TEST

/* A datagram cut by the buffer (MSG_TRUNC): the id is read, the failure verdict given. */
START_TEST(test_truncated_gets_failure_verdict)
{
	struct seen s = { .verdict = NF_DROP };
	struct queue_handler h = handler(&s);
	struct queue *q = new_queue();
	struct queue_stats st;
	struct staged v[8];
	uint8_t buf[4096];
	size_t off = 0;

	put_packet(buf, &off, 30, true);
	/* Only the header and part of the payload arrived. */
	ck_assert_uint_eq(queue_handle_datagram(q, buf, 60, true, &h), 1);
	ck_assert_uint_eq(s.judged, 0);
	ck_assert_uint_eq(s.failed, 1);
	ck_assert_uint_eq(s.last_fail_id, 30);
	ck_assert_int_eq(s.last_why, QUEUE_FAIL_TRUNCATED);
	ck_assert_uint_eq(read_staged(q, v, 8), 1);
	ck_assert_uint_eq(v[0].id, 30);
	queue_get_stats(q, &st);
	ck_assert_uint_eq(st.truncated, 1);
	queue_close(q);
}
END_TEST

/* The same bytes without MSG_TRUNC are garbage, not a packet: nothing is answered. */
START_TEST(test_short_without_trunc_is_ignored)
{
	struct seen s = { .verdict = NF_DROP };
	struct queue_handler h = handler(&s);
	struct queue *q = new_queue();
	uint8_t buf[4096];
	size_t off = 0, len;

	put_packet(buf, &off, 31, true);
	ck_assert_uint_eq(queue_handle_datagram(q, buf, 60, false, &h), 0);
	queue_staged(q, &len);
	ck_assert_uint_eq(len, 0);
	queue_close(q);
}
END_TEST

/* After a packet message whose id could not be read, no batch may answer for it. */
START_TEST(test_lost_id_stops_batches)
{
	struct seen s = { .verdict = NF_DROP };
	struct queue_handler h = handler(&s);
	struct queue *q = new_queue();
	struct queue_stats st;
	struct staged v[8];
	uint8_t buf[4096];
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, QNUM);	/* no NFQA_PACKET_HDR */
	ck_assert_uint_eq(queue_handle_datagram(q, buf, nlh->nlmsg_len, false, &h), 0);
	feed(q, &h, 40, true);
	feed(q, &h, 41, true);
	ck_assert_uint_eq(read_staged(q, v, 8), 2);
	ck_assert_int_eq(v[0].batch, 0);
	ck_assert_uint_eq(v[0].id, 40);
	ck_assert_int_eq(v[1].batch, 0);
	ck_assert_uint_eq(v[1].id, 41);
	queue_get_stats(q, &st);
	ck_assert_uint_eq(st.bad_msgs, 1);
	queue_close(q);
}
END_TEST

/* Packets read while waiting for a configuration answer are kept, not swallowed. */
START_TEST(test_config_answer_keeps_packets)
{
	struct queue *q = new_queue();
	uint8_t buf[4096];
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	size_t off = 0;
	int err = -1;

	put_packet(buf, &off, 1, true);
	ck_assert_int_eq(queue_config_answer(q, buf, off, false, &err), 0);
	ck_assert_uint_eq(queue_held_count(q), 1);
	/* A packet and then the kernel's acknowledgement of seq 0, in one datagram. */
	off = 0;
	put_packet(buf, &off, 2, true);
	nlh = mnl_nlmsg_put_header(buf + off);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = 0;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = 0;
	off += NLMSG_ALIGN(nlh->nlmsg_len);
	ck_assert_int_eq(queue_config_answer(q, buf, off, false, &err), 1);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(queue_held_count(q), 2);
	queue_close(q);
}
END_TEST

/* A refusal (EBUSY: the queue is someone else's) is the answer's errno. */
START_TEST(test_config_answer_error)
{
	struct queue *q = new_queue();
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	int err = 0;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EBUSY;
	ck_assert_int_eq(queue_config_answer(q, buf, nlh->nlmsg_len, false, &err), 1);
	ck_assert_int_eq(err, EBUSY);
	ck_assert_uint_eq(queue_held_count(q), 0);
	queue_close(q);
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("verdicts");

	tcase_add_test(tc, test_consecutive_ids_batch);
	tcase_add_test(tc, test_gap_splits_the_batch);
	tcase_add_test(tc, test_verdict_change_splits);
	tcase_add_test(tc, test_no_payload_gets_failure_verdict);
	tcase_add_test(tc, test_truncated_gets_failure_verdict);
	tcase_add_test(tc, test_short_without_trunc_is_ignored);
	tcase_add_test(tc, test_lost_id_stops_batches);
	tcase_add_test(tc, test_config_answer_keeps_packets);
	tcase_add_test(tc, test_config_answer_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(queue_suite());
}
