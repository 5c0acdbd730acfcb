/*
 * The closing segments of offloaded TCP connections (ctevent.h): the
 * steering copies each FIN and RST of a connection that carries the offload
 * mark to an NFLOG group (the packet itself goes on, never held); this
 * socket reads the copies. Conntrack's own update events would tell the
 * same, but the kernel builds one for every state change of every
 * connection (six for a short one) once anybody listens; two copies per
 * offloaded connection cost a fraction of that.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "ctevent_int.h"

/* Copy the headers (a FIN or RST rarely carries more). */
#define CTLOG_COPY	128
/* Copies are batched by the kernel: at most this many, or this long (1/100 s). */
#define CTLOG_QTHRESH	64
#define CTLOG_TIMEOUT	5
/* A page, as MNL_SOCKET_BUFFER_SIZE (which is not a constant expression). */
#define CTLOG_BUF	8192

static struct nlmsghdr *ctlog_cfg_msg(char *buf, uint16_t group)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	return nlh;
}

static int ctlog_send(struct mnl_socket *nl, struct nlmsghdr *nlh, uint32_t seq)
{
	char buf[CTLOG_BUF];
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -1 : 0;
}

/* Bind the group; copies of CTLOG_COPY bytes, batched. -1 with errno. */
static int ctlog_bind(struct mnl_socket *nl, uint16_t group)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(CTLOG_COPY), .copy_mode = NFULNL_COPY_PACKET,
	};
	char buf[CTLOG_BUF];
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;

	nlh = ctlog_cfg_msg(buf, group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	if (ctlog_send(nl, nlh, seq) < 0)
		return -1;
	nlh = ctlog_cfg_msg(buf, group);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(CTLOG_QTHRESH));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(CTLOG_TIMEOUT));
	return ctlog_send(nl, nlh, seq + 1);
}

struct mnl_socket *ctlog_open(uint16_t group)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int size = CTEVENT_RCVBUF, err;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* Blocking for the acknowledgements of the set-up. */
	if (ctlog_bind(nl, group) < 0)
		goto err;
	if (fcntl(mnl_socket_get_fd(nl), F_SETFL,
		  fcntl(mnl_socket_get_fd(nl), F_GETFL) | O_NONBLOCK) < 0)
		goto err;
	return nl;
err:
	err = errno;
	mnl_socket_close(nl);
	errno = err;
	return NULL;
}

static int ctlog_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= NFULA_MAX && mnl_attr_type_valid(a, NFULA_MAX) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int ctlog_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { NULL };
	struct ctevent *ce = data;
	struct pkt p;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ctlog_attr, tb) < 0 ||
	    !tb[NFULA_PAYLOAD])
		return MNL_CB_OK;
	/* A copy: the real length is unknown, only the headers matter. */
	if (pkt_parse(&p, mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
		      mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), UINT16_MAX) == PKT_OK &&
	    p.proto == IPPROTO_NUM_TCP && (p.flags & PKT_F_L4))
		ctevent_closing(ce, &p);
	return MNL_CB_OK;
}

int ctlog_read(struct ctevent *ce, struct mnl_socket *nl)
{
	char buf[CTLOG_BUF * 4];
	ssize_t n;

	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
		mnl_cb_run(buf, (size_t)n, 0, 0, ctlog_msg, ce);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return n < 0 && errno == ENOBUFS ? 1 : -1;
}
