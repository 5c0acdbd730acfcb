/*
 * What the views of `vpcfw status` and `vpcfw show` share (show_int.h):
 * the sum of the queues' counters, and the protocol and match columns as
 * the AWS console writes them. One file per view beside it: show_stats.c,
 * show_rules.c, show_flows.c, show_metrics.c (Prometheus).
 */
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "show_int.h"

/* Add one thread's count of an interface to the sum, by interface. */
static void iface_add(struct judge_counters *s, const struct jc_iface *c)
{
	int k;

	for (k = 0; k < JC_IFACES; k++) {
		if (!s->iface[k].ifindex)
			s->iface[k].ifindex = c->ifindex;
		if (s->iface[k].ifindex == c->ifindex) {
			s->iface[k].accepted += c->accepted;
			s->iface[k].dropped += c->dropped;
			return;
		}
	}
	s->iface_uncounted += c->accepted + c->dropped;
}

const char *show_iface_name(uint64_t ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (ifindex <= UINT32_MAX && if_indextoname((unsigned)ifindex, name))
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "ifindex-%llu", U(ifindex));
	return buf;
}

void show_judge_sum(const struct show_engine *e, struct judge_counters *s)
{
	size_t i;
	int k;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < e->nq; i++) {
		const struct judge_counters *c = &e->q[i].jc;

		for (k = 0; k < PKT_STATUS_MAX; k++)
			s->malformed[k] += c->malformed[k];
		s->internal_errors += c->internal_errors;
		for (k = 0; k < EXEMPT_MAX; k++)
			s->exempt[k] += c->exempt[k];
		s->same_subnet += c->same_subnet;
		s->nacl_drops += c->nacl_drops;
		s->sg_drops += c->sg_drops;
		s->table_full += c->table_full;
		s->flow_hits += c->flow_hits;
		s->new_flows += c->new_flows;
		s->untracked += c->untracked;
		s->iface_uncounted += c->iface_uncounted;
		for (k = 0; k < JC_IFACES && c->iface[k].ifindex; k++)
			iface_add(s, &c->iface[k]);
	}
}

static const char *num_or_all(int v, char buf[12])
{
	if (v < 0)
		return "all";
	snprintf(buf, 12, "%d", v);
	return buf;
}

char *show_match_text(int proto, int from, int to, char *buf, size_t len)
{
	char a[12], b[12];

	if (proto == IPPROTO_NUM_TCP || proto == IPPROTO_NUM_UDP) {
		if (from <= 0 && (to < 0 || to == 65535))
			snprintf(buf, len, "all");
		else if (from == to)
			snprintf(buf, len, "%d", from);
		else
			snprintf(buf, len, "%d-%d", from, to);
	} else if (proto == IPPROTO_NUM_ICMP || proto == IPPROTO_NUM_ICMPV6) {
		if (from < 0)
			snprintf(buf, len, "all");
		else if (to < 0)
			snprintf(buf, len, "%s", num_or_all(from, a));
		else
			snprintf(buf, len, "%s/%s", num_or_all(from, a), num_or_all(to, b));
	} else {
		snprintf(buf, len, "-");
	}
	return buf;
}

char *show_proto_text(int proto, char *buf, size_t len)
{
	const char *n = proto_name(proto);

	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "%d", proto);
	return buf;
}
