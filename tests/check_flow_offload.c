/*
 * The flow table's side of --offload: an offloaded flow never idles out,
 * follows the kernel's counters (per direction, whichever way the kernel
 * saw the connection first), ends when the kernel says so, and a resync
 * removes the offloaded flows the kernel no longer holds.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "flow.h"
#include "pkt.h"
#include "pktbuild.h"
#include "testutil.h"

#define S5 5000			/* ms */
#define DAY (86400ull * 1000)

static struct pkt tcp(const char *s, uint16_t sp, const char *d, uint16_t dp, uint8_t fl)
{
	uint8_t b[PB_MAX];
	struct pkt p;
	size_t n = pb_tcp(b, s, sp, d, dp, fl);

	ck_assert_int_eq(pkt_parse(&p, b, n, n), PKT_OK);
	return p;
}

/* A TCP flow client:40000 -> server:80, established at t = 0..2 ms. */
static struct flow_table *established(struct pkt *c2s, struct pkt *s2c)
{
	struct flow_table *t = tu_table_of(16, "offload-test-key");
	struct pkt syn = tcp("10.0.0.1", 40000, "10.0.0.2", 80, TCPF_SYN);
	struct pkt sa = tcp("10.0.0.2", 80, "10.0.0.1", 40000, TCPF_SYN | TCPF_ACK);

	*c2s = tcp("10.0.0.1", 40000, "10.0.0.2", 80, TCPF_ACK);
	*s2c = tcp("10.0.0.2", 80, "10.0.0.1", 40000, TCPF_ACK);
	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_IN, 0, 7), 0);
	ck_assert_int_eq(flow_table_lookup(t, &sa, 1, NULL), FLOW_HIT_REPLY);
	ck_assert_int_eq(flow_table_lookup(t, c2s, 2, NULL), FLOW_HIT_ORIG);
	return t;
}

struct one {
	struct flow_view v;
	size_t n;
};

static int one_fn(const struct flow_view *v, void *ctx)
{
	struct one *o = ctx;

	o->v = *v;
	o->n++;
	return 0;
}

static struct one list(struct flow_table *t, uint64_t now)
{
	struct one o = { .n = 0 };

	ck_assert_int_eq(flow_table_foreach(t, now, one_fn, &o), 0);
	return o;
}

START_TEST(test_offload_needs_a_flow)
{
	struct pkt c2s, s2c, other = tcp("10.0.0.3", 1, "10.0.0.2", 80, TCPF_ACK);
	struct flow_table *t = established(&c2s, &s2c);
	struct flow_kcount kc = { .packets = { 9, 9 } };

	errno = 0;
	ck_assert_int_eq(flow_table_offload(t, &other, 3), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Not offloaded: the kernel's word changes nothing. */
	errno = 0;
	ck_assert_int_eq(flow_table_kernel_account(t, &c2s, 3, true, &kc), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(list(t, 3).n, 1);
	flow_table_free(t);
}
END_TEST

START_TEST(test_offloaded_never_idles_out)
{
	struct pkt c2s, s2c;
	struct flow_table *t = established(&c2s, &s2c);

	ck_assert_int_eq(flow_table_offload(t, &c2s, 3), 0);
	ck_assert_uint_eq(flow_table_expire(t, 10 * DAY, 1 << 20), 0);
	ck_assert_uint_eq(list(t, 10 * DAY).n, 1);
	ck_assert(list(t, 10 * DAY).v.offloaded);
	flow_table_free(t);
}
END_TEST

START_TEST(test_kernel_counters_fold)
{
	struct pkt c2s, s2c;
	struct flow_table *t = established(&c2s, &s2c);
	struct flow_kcount kc = { .packets = { 10, 6 }, .bytes = { 1000, 600 } };
	struct flow_stats st;
	struct one o;

	ck_assert_int_eq(flow_table_offload(t, &c2s, 3), 0);
	/* The engine saw 2 + 1 packets; the kernel counted them too. */
	ck_assert_int_eq(flow_table_kernel_account(t, &c2s, S5, false, &kc), 0);
	ck_assert_uint_eq(kc.packets[0], 8);
	ck_assert_uint_eq(kc.packets[1], 5);
	ck_assert(!kc.reversed);
	ck_assert_int_eq(kc.init_dir, DIR_IN);
	ck_assert_uint_eq(kc.tag, 7);
	o = list(t, S5);
	ck_assert_uint_eq(o.v.packets[0], 10);
	ck_assert_uint_eq(o.v.packets[1], 6);
	ck_assert_uint_eq(o.v.bytes[0], 1000);
	ck_assert_uint_eq(o.v.last_seen, S5);
	/* Seen from the other side (the kernel's original was the reply). */
	kc = (struct flow_kcount){ .packets = { 7, 12 }, .bytes = { 700, 1200 } };
	ck_assert_int_eq(flow_table_kernel_account(t, &s2c, S5 + 1, true, &kc), 0);
	ck_assert(kc.reversed);
	ck_assert_uint_eq(kc.packets[0], 2);
	ck_assert_uint_eq(kc.packets[1], 1);
	ck_assert_uint_eq(list(t, S5 + 1).n, 0);
	flow_table_stats(t, &st);
	ck_assert_uint_eq(st.count, 0);
	ck_assert_uint_eq(st.offload_ended, 1);
	flow_table_free(t);
}
END_TEST

START_TEST(test_resync_reaps_what_the_kernel_lost)
{
	struct pkt c2s, s2c;
	struct flow_table *t = established(&c2s, &s2c);
	struct pkt syn = tcp("10.0.0.9", 1234, "10.0.0.2", 80, TCPF_SYN);
	struct flow_kcount kc = { .packets = { 0, 0 } };

	ck_assert_int_eq(flow_table_offload(t, &c2s, 3), 0);
	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_IN, 4, 1), 0);
	/* A dump that finds it keeps it... */
	flow_table_offload_unsee(t);
	ck_assert_int_eq(flow_table_kernel_account(t, &s2c, 2 * S5, false, &kc), 0);
	ck_assert_uint_eq(flow_table_offload_reap(t, 2 * S5), 0);
	/* ...one that does not removes it, unless offloaded since `before`. */
	flow_table_offload_unsee(t);
	ck_assert_uint_eq(flow_table_offload_reap(t, 2), 0);
	ck_assert_uint_eq(flow_table_offload_reap(t, 3 * S5), 1);
	/* Flows never offloaded are the engine's own business. */
	ck_assert_uint_eq(list(t, 3 * S5).n, 1);
	flow_table_free(t);
}
END_TEST

START_TEST(test_reopened_flow_is_not_offloaded)
{
	struct pkt c2s, s2c;
	struct flow_table *t = established(&c2s, &s2c);
	struct pkt syn = tcp("10.0.0.1", 40000, "10.0.0.2", 80, TCPF_SYN);
	struct flow_kcount kc = { .packets = { 0, 0 } };

	ck_assert_int_eq(flow_table_offload(t, &c2s, 3), 0);
	ck_assert_int_eq(flow_table_kernel_account(t, &c2s, 4, true, &kc), 0);
	/* The same addresses and ports open a new connection... */
	ck_assert_int_eq(flow_table_insert(t, &syn, DIR_IN, 5, 1), 0);
	/* ...which a late report of the old one's end must not take away. */
	ck_assert_int_eq(flow_table_kernel_account(t, &c2s, 6, true, &kc), -1);
	ck_assert_uint_eq(list(t, 6).n, 1);
	ck_assert(!list(t, 6).v.offloaded);
	flow_table_free(t);
}
END_TEST

/*
 * At the cap (AWS: refuse, evict nothing) offloaded flows go on: the
 * kernel's word still reaches them, a new flow is refused and counted, and
 * the room a flow leaves when the kernel ends it takes the next one.
 */
START_TEST(test_offload_at_the_cap)
{
	struct flow_table *t = tu_table_of(16, "offload-test-key");
	struct pkt syn, sa, ack[16], x = tcp("10.0.1.1", 1, "10.0.0.2", 80, TCPF_SYN);
	struct flow_kcount kc = { .packets = { 100, 100 }, .bytes = { 100000, 100000 } };
	struct flow_stats st;
	unsigned i;

	for (i = 0; i < 16; i++) {
		uint16_t sp = (uint16_t)(40000 + i);

		syn = tcp("10.0.0.1", sp, "10.0.0.2", 80, TCPF_SYN);
		sa = tcp("10.0.0.2", 80, "10.0.0.1", sp, TCPF_SYN | TCPF_ACK);
		ack[i] = tcp("10.0.0.1", sp, "10.0.0.2", 80, TCPF_ACK);
		ck_assert_int_eq(flow_table_insert(t, &syn, DIR_IN, 0, 7), 0);
		ck_assert_int_eq(flow_table_lookup(t, &sa, 1, NULL), FLOW_HIT_REPLY);
		ck_assert_int_eq(flow_table_lookup(t, &ack[i], 2, NULL), FLOW_HIT_ORIG);
		ck_assert_int_eq(flow_table_offload(t, &ack[i], 3), 0);
	}
	errno = 0;
	ck_assert_int_eq(flow_table_insert(t, &x, DIR_IN, DAY, 7), -1);
	ck_assert_int_eq(errno, ENOSPC);
	flow_table_stats(t, &st);
	ck_assert_uint_eq(st.conntrack_allowance_exceeded, 1);
	ck_assert_uint_eq(st.conntrack_allowance_available, 0);
	ck_assert_uint_eq(st.evictions, 0);
	ck_assert_uint_eq(list(t, DAY).n, 16);
	ck_assert_int_eq(flow_table_kernel_account(t, &ack[3], DAY, false, &kc), 0);
	ck_assert_int_eq(flow_table_kernel_account(t, &ack[5], DAY, true, &kc), 0);
	flow_table_stats(t, &st);
	ck_assert_uint_eq(st.conntrack_allowance_available, 1);
	ck_assert_int_eq(flow_table_insert(t, &x, DIR_IN, DAY + 1, 7), 0);
	flow_table_stats(t, &st);
	ck_assert_uint_eq(st.count, 16);
	ck_assert_uint_eq(st.evictions, 0);
	flow_table_free(t);
}
END_TEST

START_TEST(test_fin_both_ways_or_rst)
{
	struct pkt c2s, s2c;
	struct flow_table *t = established(&c2s, &s2c);
	struct pkt fin_c = tcp("10.0.0.1", 40000, "10.0.0.2", 80, TCPF_FIN | TCPF_ACK);
	struct pkt fin_s = tcp("10.0.0.2", 80, "10.0.0.1", 40000, TCPF_FIN | TCPF_ACK);
	struct pkt rst = tcp("10.0.0.2", 80, "10.0.0.1", 40000, TCPF_RST);

	errno = 0;
	ck_assert_int_eq(flow_table_kernel_fin(t, &fin_c, 3), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(flow_table_offload(t, &c2s, 3), 0);
	ck_assert_int_eq(flow_table_kernel_fin(t, &fin_c, 4), 0);
	/* A retransmitted FIN from the same side is still a half-close. */
	ck_assert_int_eq(flow_table_kernel_fin(t, &fin_c, 5), 0);
	ck_assert_int_eq(flow_table_kernel_fin(t, &fin_s, 6), 1);
	ck_assert_int_eq(flow_table_kernel_fin(t, &rst, 7), 1);
	flow_table_free(t);
}
END_TEST

static Suite *offload_suite(void)
{
	Suite *s = suite_create("flow_offload");
	TCase *tc = tcase_create("offload");

	tcase_add_test(tc, test_offload_needs_a_flow);
	tcase_add_test(tc, test_offloaded_never_idles_out);
	tcase_add_test(tc, test_kernel_counters_fold);
	tcase_add_test(tc, test_resync_reaps_what_the_kernel_lost);
	tcase_add_test(tc, test_reopened_flow_is_not_offloaded);
	tcase_add_test(tc, test_fin_both_ways_or_rst);
	tcase_add_test(tc, test_offload_at_the_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(offload_suite());
}
