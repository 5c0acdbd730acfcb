/*
 * `vpcfw show flows`: the flow table, filtered (filter.h), each flow with
 * its state, interface, counters and the rule that opened it; as text or
 * JSON.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "eni.h"
#include "rulename.h"
#include "show_int.h"

/* Interface names already asked for: a listing asks the kernel once per interface. */
#define NAME_CACHE 16

struct iface_names {
	size_t n;
	struct {
		unsigned ifindex;
		char name[IF_NAMESIZE];	/* "" when the interface is gone */
	} v[NAME_CACHE];
};

struct flow_listing {
	const struct pset *ps;
	const struct policy *pol;	/* the flow's interface's */
	const struct filter *f;
	enum show_format fmt;
	uint64_t now;
	FILE *out;
	json_t *arr;
	size_t n;
	struct iface_names names;
};

/* The flow's interface's name, or NULL when unknown or gone. */
static const char *iface_name(struct iface_names *c, unsigned ifindex)
{
	char name[IF_NAMESIZE];
	size_t i;

	if (!ifindex)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (c->v[i].ifindex == ifindex)
			return c->v[i].name[0] ? c->v[i].name : NULL;
	if (!if_indextoname(ifindex, name))
		name[0] = '\0';
	if (c->n == NAME_CACHE)
		c->n = 0;		/* more interfaces than that: start over */
	i = c->n++;
	c->v[i].ifindex = ifindex;
	memcpy(c->v[i].name, name, sizeof(name));
	return name[0] ? c->v[i].name : NULL;
}

static bool flow_wanted(const struct flow_view *v, const struct filter *f,
			const char *iface)
{
	const struct filter_tuple t = {
		.family = v->family, .proto = v->proto, .src = v->init_src,
		.dst = v->init_dst, .sport = v->init_sport, .dport = v->init_dport,
		.iface = iface,
	};

	return filter_match(f, &t);
}

static char *endpoint(const struct flow_view *v, const uint8_t *a, uint16_t port,
		      char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];
	bool ports = v->proto == IPPROTO_NUM_TCP || v->proto == IPPROTO_NUM_UDP;

	addr_format(v->family, a, s, sizeof(s));
	if (!ports)
		snprintf(buf, len, "%s", s);
	else if (v->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", s, port);
	else
		snprintf(buf, len, "%s:%u", s, port);
	return buf;
}

/*
 * The rule that opened the flow: "sg-in:sg-0abc#2 (tcp 80 from 10.0.0.0/24)",
 * or "sg-in:#2 of rules since reloaded".
 */
static char *opener(const struct flow_listing *l, const struct flow_view *v,
		    char *buf, size_t len)
{
	const struct sg_entry *e = policy_flow_rule(l->pol, v->tag);
	const struct ruleset *rs = policy_ruleset(l->pol);
	char name[96], pr[12], m[32], cidr[CIDR_STRLEN];

	rulename_sg(e ? rs : NULL, v->init_dir, policy_flow_tag_rule(v->tag),
		    name, sizeof(name));
	if (!e) {
		snprintf(buf, len, "%s of rules since reloaded", name);
		return buf;
	}
	snprintf(buf, len, "%s (%s %s %s %s)", name,
		 show_proto_text(e->proto, pr, sizeof(pr)),
		 show_match_text(e->proto, e->from, e->to, m, sizeof(m)),
		 e->egress ? "to" : "from", cidr_format(&e->cidr, cidr, sizeof(cidr)));
	return buf;
}

static int list_flow(const struct flow_view *v, void *ctx)
{
	struct flow_listing *l = ctx;
	char src[64], dst[64], pr[12], rule[160];
	uint64_t age = (l->now - v->created) / 1000;
	uint64_t left = v->expires > l->now ? (v->expires - l->now) / 1000 : 0;
	const char *ifn = iface_name(&l->names, v->ifindex);

	if (!flow_wanted(v, l->f, ifn))
		return 0;
	l->n++;
	/* The flow's tag names a rule of its interface's policy. */
	l->pol = pset_for(l->ps, v->ifindex);
	endpoint(v, v->init_src, v->init_sport, src, sizeof(src));
	endpoint(v, v->init_dst, v->init_dport, dst, sizeof(dst));
	show_proto_text(v->proto, pr, sizeof(pr));
	opener(l, v, rule, sizeof(rule));
	if (l->fmt == SHOW_JSON) {
		json_array_append_new(l->arr, json_pack(
			"{s:s, s:i, s:s, s:s, s:s, s:o, s:b, s:s, s:b, s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I}, s:s}",
			"protocol", pr, "protocol_number", (int)v->proto, "src", src, "dst", dst,
			"direction", dir_name(v->init_dir),
			"interface", ifn ? json_string(ifn) : json_null(),
			"eni", pset_eni_name(l->ps, v->ifindex) != NULL,
			"state", flow_state_name(v->state),
			"tracked", !v->untracked, "age_s", (json_int_t)age, "timeout_left_s", (json_int_t)left,
			"original", "packets", (json_int_t)v->packets[0], "bytes", (json_int_t)v->bytes[0],
			"reply", "packets", (json_int_t)v->packets[1], "bytes", (json_int_t)v->bytes[1],
			"rule", rule));
		return 0;
	}
	fprintf(l->out, "%-6s %-12s %s -> %s %s %s iface %s age %llus timeout %llus "
		"orig %llu pkts %llu B reply %llu pkts %llu B rule %s\n",
		pr, flow_state_name(v->state), src, dst, dir_name(v->init_dir),
		v->untracked ? "untracked" : "tracked", ifn ? ifn : "-", U(age), U(left),
		U(v->packets[0]), U(v->bytes[0]), U(v->packets[1]), U(v->bytes[1]), rule);
	return 0;
}

int show_flows(struct flow_table *ft, const struct pset *ps, uint64_t now,
	       const struct filter *f, enum show_format fmt, FILE *out)
{
	struct flow_listing l = { .ps = ps, .f = f, .fmt = fmt, .now = now, .out = out };
	int ret;

	if (fmt == SHOW_JSON)
		l.arr = json_array();
	ret = flow_table_foreach(ft, now, list_flow, &l);
	if (fmt == SHOW_JSON) {
		json_dumpf(l.arr, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out);
		json_decref(l.arr);
	} else {
		fprintf(out, "%zu flow%s listed (untracked flows are only listed: the rules "
			"judge each of their packets; new ones are not listed while the table "
			"is full)\n", l.n, l.n == 1 ? "" : "s");
	}
	return ret;
}

/* ---- the count by state (`show flows summary`, for `vpcfw top`) ------------ */

struct flow_tally {
	const struct filter *f;
	struct iface_names names;
	uint64_t tracked, untracked;
	uint64_t state[FLOW_STATE_MAX];
};

static int tally_flow(const struct flow_view *v, void *ctx)
{
	struct flow_tally *t = ctx;

	if (!flow_wanted(v, t->f, iface_name(&t->names, v->ifindex)))
		return 0;
	if (v->untracked)
		t->untracked++;
	else
		t->tracked++;
	if ((unsigned)v->state < FLOW_STATE_MAX)
		t->state[v->state]++;
	return 0;
}

int show_flows_summary(struct flow_table *ft, uint64_t now, const struct filter *f,
		       enum show_format fmt, FILE *out)
{
	struct flow_tally t = { .f = f };
	json_t *by, *root;
	int ret = flow_table_foreach(ft, now, tally_flow, &t), k;

	if (fmt == SHOW_JSON) {
		by = json_object();
		for (k = 0; k < FLOW_STATE_MAX; k++)
			json_object_set_new(by, flow_state_name((enum flow_state)k),
					    json_integer((json_int_t)t.state[k]));
		root = json_pack("{s:I, s:I, s:I, s:o}",
				 "flows", (json_int_t)(t.tracked + t.untracked),
				 "tracked", (json_int_t)t.tracked,
				 "untracked", (json_int_t)t.untracked, "by_state", by);
		json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out);
		json_decref(root);
		return ret;
	}
	fprintf(out, "flows %llu (tracked %llu, untracked %llu):", U(t.tracked + t.untracked),
		U(t.tracked), U(t.untracked));
	for (k = 0; k < FLOW_STATE_MAX; k++)
		fprintf(out, "%s %s %llu", k ? "," : "", flow_state_name((enum flow_state)k),
			U(t.state[k]));
	fputc('\n', out);
	return ret;
}
