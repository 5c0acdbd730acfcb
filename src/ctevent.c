/*
 * Kernel conntrack events and dumps for `run --offload` (see ctevent.h),
 * through libnetfilter_conntrack: one handle subscribed to update and
 * destroy events, with a socket filter on the mark so that the kernel sends
 * only offloaded connections; one handle for requests (a GET for the
 * counters of a connection that just ended, the dumps).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "common.h"
#include "ctevent.h"

/* Room for bursts of closing connections while the control thread is busy. */
#define CTEVENT_RCVBUF	(8 << 20)

struct ctevent {
	struct nfct_handle *ev;		/* subscribed to events */
	struct nfct_handle *rq;		/* requests: GET, dumps */
	uint32_t mark;
	ctevent_fn *fn;
	void *ctx;
	struct ctevent_conn got;	/* the answer to a GET */
	bool got_one;
};

static void ct_addr(const struct nf_conntrack *ct, uint8_t family,
		    enum nf_conntrack_attr a4, enum nf_conntrack_attr a6,
		    uint8_t out[16])
{
	memset(out, 0, 16);
	if (family == AF_INET)
		memcpy(out, nfct_get_attr(ct, a4), 4);
	else
		memcpy(out, nfct_get_attr(ct, a6), 16);
}

/* ct as a packet of its original direction, and its counters. -1: not ours to track. */
static int ct_conn(const struct nf_conntrack *ct, struct ctevent_conn *c)
{
	struct pkt *p = &c->orig;

	memset(c, 0, sizeof(*c));
	if (!nfct_attr_is_set(ct, ATTR_L3PROTO) || !nfct_attr_is_set(ct, ATTR_L4PROTO))
		return -1;
	p->family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	p->proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if (p->family != AF_INET && p->family != AF_INET6)
		return -1;
	ct_addr(ct, p->family, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, p->src);
	ct_addr(ct, p->family, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, p->dst);
	if (p->proto == IPPROTO_NUM_TCP || p->proto == IPPROTO_NUM_UDP) {
		p->sport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
		p->dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
		p->flags = PKT_F_L4;
	} else if (p->proto == IPPROTO_NUM_ICMP || p->proto == IPPROTO_NUM_ICMPV6) {
		p->icmp_type = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE);
		p->icmp_code = nfct_get_attr_u8(ct, ATTR_ICMP_CODE);
		p->icmp_id = ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID));
		p->flags = PKT_F_L4;
	}
	/* Unset counters read as 0: accounting was off when ct was created. */
	c->packets[0] = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS);
	c->bytes[0] = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES);
	c->packets[1] = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_PACKETS);
	c->bytes[1] = nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES);
	return 0;
}

static bool ct_marked(const struct ctevent *ce, const struct nf_conntrack *ct)
{
	return nfct_attr_is_set(ct, ATTR_MARK) &&
	       (nfct_get_attr_u32(ct, ATTR_MARK) & ce->mark) == ce->mark;
}

static bool ct_tcp_state_is(const struct nf_conntrack *ct, uint8_t want)
{
	return nfct_get_attr_u8(ct, ATTR_L4PROTO) == IPPROTO_NUM_TCP &&
	       nfct_attr_is_set(ct, ATTR_TCP_STATE) &&
	       nfct_get_attr_u8(ct, ATTR_TCP_STATE) == want;
}

/* A TCP connection closed (FIN both ways, or RST): its entry only waits for late segments. */
static bool ct_tcp_closed(const struct nf_conntrack *ct)
{
	uint8_t st;

	if (nfct_get_attr_u8(ct, ATTR_L4PROTO) != IPPROTO_NUM_TCP ||
	    !nfct_attr_is_set(ct, ATTR_TCP_STATE))
		return false;
	st = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	return st == TCP_CONNTRACK_TIME_WAIT || st == TCP_CONNTRACK_CLOSE;
}

static int on_reply(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		    void *data)
{
	struct ctevent *ce = data;
	struct ctevent_conn c;

	(void)type;
	if (!ct_marked(ce, ct) || ct_conn(ct, &c) < 0)
		return NFCT_CB_CONTINUE;
	c.end = ct_tcp_closed(ct);
	ce->got = c;
	ce->got_one = true;
	return NFCT_CB_CONTINUE;
}

/* Dump entries: each goes to fn, closed TCP ones as ended. */
static int on_dump(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		   void *data)
{
	struct ctevent *ce = data;
	struct ctevent_conn c;

	(void)type;
	if (!ct_marked(ce, ct) || ct_conn(ct, &c) < 0)
		return NFCT_CB_CONTINUE;
	c.end = ct_tcp_closed(ct);
	c.established = ct_tcp_state_is(ct, TCP_CONNTRACK_ESTABLISHED);
	ce->fn(&c, ce->ctx);
	return NFCT_CB_CONTINUE;
}

/* An update carries no counters: ask for them (the entry may be gone: then none). */
static void ended_by_update(struct ctevent *ce, struct nf_conntrack *ct,
			    struct ctevent_conn *c)
{
	ce->got_one = false;
	nfct_callback_unregister(ce->rq);
	nfct_callback_register(ce->rq, NFCT_T_ALL, on_reply, ce);
	if (nfct_query(ce->rq, NFCT_Q_GET, ct) == 0 && ce->got_one) {
		memcpy(c->packets, ce->got.packets, sizeof(c->packets));
		memcpy(c->bytes, ce->got.bytes, sizeof(c->bytes));
	}
}

static int on_event(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		    void *data)
{
	struct ctevent *ce = data;
	struct ctevent_conn c;

	if (!ct_marked(ce, ct) || ct_conn(ct, &c) < 0)
		return NFCT_CB_CONTINUE;
	if (type == NFCT_T_DESTROY) {
		/*
		 * A closed TCP connection ended at its update already; its
		 * addresses and ports may belong to a new flow by now.
		 */
		if (ct_tcp_closed(ct))
			return NFCT_CB_CONTINUE;
	} else if (ct_tcp_closed(ct)) {
		ended_by_update(ce, ct, &c);
	} else if (ct_tcp_state_is(ct, TCP_CONNTRACK_ESTABLISHED)) {
		/* Offloaded at its SYN-ACK: the engine never saw the last ACK. */
		c.established = true;
		ce->fn(&c, ce->ctx);
		return NFCT_CB_CONTINUE;
	} else {
		return NFCT_CB_CONTINUE;
	}
	c.end = true;
	ce->fn(&c, ce->ctx);
	return NFCT_CB_CONTINUE;
}

static int ct_socket_setup(struct ctevent *ce)
{
	struct nfct_filter_dump_mark m = { .val = ce->mark, .mask = ce->mark };
	static const uint16_t tcp_states[] = {
		TCP_CONNTRACK_ESTABLISHED, TCP_CONNTRACK_TIME_WAIT, TCP_CONNTRACK_CLOSE,
	};
	struct nfct_filter *f = nfct_filter_create();
	int fd = nfct_fd(ce->ev), size = CTEVENT_RCVBUF, ret;
	size_t i;

	if (!f)
		return -1;
	nfct_filter_add_attr(f, NFCT_FILTER_MARK, &m);
	/*
	 * TCP: only the states that say something (a short connection goes
	 * through seven events otherwise). An end in another state (a
	 * half-open or half-closed connection timing out) is found by the
	 * next resync. Other protocols carry no state and all pass.
	 */
	for (i = 0; i < ARRAY_SIZE(tcp_states); i++) {
		struct nfct_filter_proto st = { IPPROTO_TCP, tcp_states[i] };

		nfct_filter_add_attr(f, NFCT_FILTER_L4PROTO_STATE, &st);
	}
	ret = nfct_filter_attach(fd, f);
	nfct_filter_destroy(f);
	if (ret < 0)
		return -1;
	/* FORCE passes rmem_max (we are root); plain SO_RCVBUF is capped by it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

struct ctevent *ctevent_open(uint32_t mark, ctevent_fn *fn, void *ctx)
{
	struct ctevent *ce = calloc(1, sizeof(*ce));
	int err;

	if (!ce)
		return NULL;
	ce->mark = mark;
	ce->fn = fn;
	ce->ctx = ctx;
	ce->ev = nfct_open(CONNTRACK, NF_NETLINK_CONNTRACK_UPDATE |
				      NF_NETLINK_CONNTRACK_DESTROY);
	ce->rq = nfct_open(CONNTRACK, 0);
	if (!ce->ev || !ce->rq || ct_socket_setup(ce) < 0)
		goto err;
	if (nfct_callback_register(ce->ev, NFCT_T_UPDATE | NFCT_T_DESTROY,
				   on_event, ce) < 0)
		goto err;
	return ce;
err:
	err = errno;
	ctevent_close(ce);
	errno = err;
	return NULL;
}

void ctevent_close(struct ctevent *ce)
{
	if (!ce)
		return;
	if (ce->ev)
		nfct_close(ce->ev);
	if (ce->rq)
		nfct_close(ce->rq);
	free(ce);
}

int ctevent_fd(const struct ctevent *ce)
{
	return nfct_fd(ce->ev);
}

int ctevent_read(struct ctevent *ce)
{
	if (nfct_catch(ce->ev) >= 0 || errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)
		return 0;
	return errno == ENOBUFS ? 1 : -1;
}

int ctevent_dump(struct ctevent *ce)
{
	static const uint8_t fam[] = { AF_INET, AF_INET6 };
	struct nfct_filter_dump_mark m = { .val = ce->mark, .mask = ce->mark };
	struct nfct_filter_dump *f = nfct_filter_dump_create();
	int ret = 0, err = 0;
	size_t i;

	if (!f)
		return -1;
	nfct_filter_dump_set_attr(f, NFCT_FILTER_DUMP_MARK, &m);
	nfct_callback_unregister(ce->rq);
	nfct_callback_register(ce->rq, NFCT_T_ALL, on_dump, ce);
	for (i = 0; i < sizeof(fam); i++) {
		nfct_filter_dump_set_attr_u8(f, NFCT_FILTER_DUMP_L3NUM, fam[i]);
		if (nfct_query(ce->rq, NFCT_Q_DUMP_FILTER, f) < 0) {
			ret = -1;
			err = errno;
		}
	}
	nfct_filter_dump_destroy(f);
	errno = err;
	return ret;
}

/* Write value to /proc/sys/net/netfilter/NAME unless it holds it already. */
static int ct_sysctl(const char *name, unsigned long value)
{
	char path[128], have[32] = "", want[32];
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/netfilter/%s", name);
	snprintf(want, sizeof(want), "%lu\n", value);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, have, sizeof(have) - 1);
	if (n < 0 || strcmp(have, want)) {
		if (pwrite(fd, want, strlen(want), 0) != (ssize_t)strlen(want))
			ret = -1;
	}
	close(fd);
	return ret;
}

int ctevent_tune(const struct ctevent_timeouts *t, char *err, size_t errlen)
{
	const struct { const char *name; unsigned long v; } s[] = {
		{ "nf_conntrack_acct", 1 },
		{ "nf_conntrack_tcp_timeout_established", t->tcp_established },
		{ "nf_conntrack_udp_timeout", t->udp },
		{ "nf_conntrack_udp_timeout_stream", t->udp_stream },
		{ "nf_conntrack_icmp_timeout", t->icmp },
		{ "nf_conntrack_icmpv6_timeout", t->icmp },
	};
	size_t i, used = 0;
	int failed = 0;

	if (errlen)
		err[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(s); i++) {
		if (ct_sysctl(s[i].name, s[i].v) == 0)
			continue;
		failed++;
		if (used < errlen)
			used += (size_t)snprintf(err + used, errlen - used, "%s%s=%lu: %s",
						 used ? ", " : "", s[i].name, s[i].v,
						 strerror(errno));
	}
	return failed;
}
