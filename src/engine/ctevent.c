/*
 * Kernel conntrack events and dumps for `run --offload` (see ctevent.h),
 * through libnetfilter_conntrack: one handle subscribed to destroy events,
 * with a socket filter on the mark so that the kernel sends only offloaded
 * connections; one handle for requests (a GET when a closing segment
 * passed, the dumps); and the NFLOG copies of closing segments
 * (ctevent_log.c). One epoll set holds both sockets for the caller.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "common.h"
#include "ctevent_int.h"

struct ctevent {
	struct nfct_handle *ev;		/* subscribed to destroy events */
	struct nfct_handle *rq;		/* requests: GET, dumps */
	struct mnl_socket *log;		/* NFLOG copies of closing segments */
	int ep;				/* epoll over ev and log */
	uint32_t mark;
	ctevent_fn *fn;
	ctevent_closing_fn *may_close;
	void *ctx;
	struct ctevent_conn got;	/* the answer to a GET */
	bool got_one, got_marked;
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

/* A closed TCP connection, as far as the engine is concerned: both FINs, or a RST. */
static bool ct_tcp_over(const struct nf_conntrack *ct)
{
	return ct_tcp_closed(ct) || ct_tcp_state_is(ct, TCP_CONNTRACK_LAST_ACK);
}

static int on_reply(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		    void *data)
{
	struct ctevent *ce = data;
	struct ctevent_conn c;

	(void)type;
	ce->got_one = true;
	ce->got_marked = ct_marked(ce, ct) && ct_conn(ct, &c) == 0;
	if (ce->got_marked) {
		c.end = ct_tcp_over(ct);
		ce->got = c;
	}
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
	c.end = ct_tcp_over(ct);
	c.established = ct_tcp_state_is(ct, TCP_CONNTRACK_ESTABLISHED);
	ce->fn(&c, ce->ctx);
	return NFCT_CB_CONTINUE;
}

void ctevent_check(struct ctevent *ce, const struct pkt *p)
{
	struct nf_conntrack *ct = nfct_new();
	struct ctevent_conn c = { .orig = *p, .end = true };
	int ret, err;

	if (!ct)
		return;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, p->family);
	if (p->family == AF_INET) {
		nfct_set_attr(ct, ATTR_IPV4_SRC, p->src);
		nfct_set_attr(ct, ATTR_IPV4_DST, p->dst);
	} else {
		nfct_set_attr(ct, ATTR_IPV6_SRC, p->src);
		nfct_set_attr(ct, ATTR_IPV6_DST, p->dst);
	}
	nfct_set_attr_u8(ct, ATTR_L4PROTO, p->proto);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(p->sport));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(p->dport));
	ce->got_one = false;
	nfct_callback_unregister(ce->rq);
	nfct_callback_register(ce->rq, NFCT_T_ALL, on_reply, ce);
	ret = nfct_query(ce->rq, NFCT_Q_GET, ct);
	err = errno;
	nfct_destroy(ct);
	if (ret == 0 && ce->got_one) {
		/* Unmarked: another connection on these ports now, not ours to end. */
		if (!ce->got_marked)
			return;
		c = ce->got;
	} else if (ret == 0 || err != ENOENT) {
		return;		/* no answer: the next resync will tell */
	}
	/* Gone (ended, nothing left to count), or how it stands. */
	if (c.end)
		ce->fn(&c, ce->ctx);
}

static int on_event(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		    void *data)
{
	struct ctevent *ce = data;
	struct ctevent_conn c;

	/*
	 * A closed TCP connection ended at its closing segments already; its
	 * addresses and ports may belong to a new flow by now.
	 */
	if (type != NFCT_T_DESTROY || !ct_marked(ce, ct) || ct_tcp_over(ct) ||
	    ct_conn(ct, &c) < 0)
		return NFCT_CB_CONTINUE;
	c.end = true;
	ce->fn(&c, ce->ctx);
	return NFCT_CB_CONTINUE;
}

static int ct_socket_setup(struct ctevent *ce)
{
	struct nfct_filter_dump_mark m = { .val = ce->mark, .mask = ce->mark };
	static const uint16_t tcp_states[] = { TCP_CONNTRACK_ESTABLISHED };
	struct nfct_filter *f = nfct_filter_create();
	int fd = nfct_fd(ce->ev), size = CTEVENT_RCVBUF, ret;
	size_t i;

	if (!f)
		return -1;
	nfct_filter_add_attr(f, NFCT_FILTER_MARK, &m);
	/*
	 * TCP: an established connection that timed out or was deleted. A
	 * closed one ended at its closing segments; an end in another state
	 * (a half-open or half-closed connection timing out) is found by the
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

static int ct_epoll(struct ctevent *ce)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ce->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ce->ep < 0)
		return -1;
	ev.data.ptr = ce->ev;
	if (epoll_ctl(ce->ep, EPOLL_CTL_ADD, nfct_fd(ce->ev), &ev) < 0)
		return -1;
	ev.data.ptr = ce->log;
	return epoll_ctl(ce->ep, EPOLL_CTL_ADD, mnl_socket_get_fd(ce->log), &ev);
}

/* The caller's word first: a look at the kernel's entry only when it may have closed. */
void ctevent_closing(struct ctevent *ce, const struct pkt *p)
{
	if (!ce->may_close || ce->may_close(p, ce->ctx))
		ctevent_check(ce, p);
}

struct ctevent *ctevent_open(uint32_t mark, uint16_t log_group, ctevent_fn *fn,
			     ctevent_closing_fn *may_close, void *ctx)
{
	struct ctevent *ce = calloc(1, sizeof(*ce));
	int err;

	if (!ce)
		return NULL;
	ce->mark = mark;
	ce->fn = fn;
	ce->may_close = may_close;
	ce->ctx = ctx;
	ce->ep = -1;
	/* No update events: the kernel would build one per state change of every connection. */
	ce->ev = nfct_open(CONNTRACK, NF_NETLINK_CONNTRACK_DESTROY);
	ce->rq = nfct_open(CONNTRACK, 0);
	if (!ce->ev || !ce->rq || ct_socket_setup(ce) < 0)
		goto err;
	if (nfct_callback_register(ce->ev, NFCT_T_DESTROY, on_event, ce) < 0)
		goto err;
	ce->log = ctlog_open(log_group);
	if (!ce->log || ct_epoll(ce) < 0)
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
	if (ce->log)
		mnl_socket_close(ce->log);
	if (ce->ep >= 0)
		close(ce->ep);
	free(ce);
}

int ctevent_fd(const struct ctevent *ce)
{
	return ce->ep;
}

static int ct_read_events(struct ctevent *ce)
{
	if (nfct_catch(ce->ev) >= 0 || errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR)
		return 0;
	return errno == ENOBUFS ? 1 : -1;
}

int ctevent_read(struct ctevent *ce)
{
	struct epoll_event ev[2];
	int n, i, r, ret = 0;

	n = epoll_wait(ce->ep, ev, 2, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].data.ptr == ce->ev)
			r = ct_read_events(ce);
		else
			r = ctlog_read(ce, ce->log);
		if (r && ret != -1)
			ret = r;
	}
	return ret;
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
