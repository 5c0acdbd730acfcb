/*
 * Rendering of the engine's state: counters, rules with their hits, flows;
 * as text for people, JSON for programs (stable names), Prometheus text
 * for scrapers. Every number comes from a counter the packet path moved.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "num.h"
#include "rulename.h"
#include "show.h"

#define U(x) ((unsigned long long)(x))

static uint64_t malformed_total(const struct judge_counters *c)
{
	uint64_t n = 0;
	int k;

	for (k = 1; k < PKT_STATUS_MAX; k++)
		n += c->malformed[k];
	return n;
}

/* Sum of every queue's judge counters. */
static void judge_sum(const struct show_engine *e, struct judge_counters *s)
{
	size_t i;
	int k;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < e->nq; i++) {
		const struct judge_counters *c = &e->q[i].jc;

		for (k = 0; k < PKT_STATUS_MAX; k++)
			s->malformed[k] += c->malformed[k];
		s->internal_errors += c->internal_errors;
		s->infra += c->infra;
		s->nacl_drops += c->nacl_drops;
		s->sg_drops += c->sg_drops;
		s->table_full += c->table_full;
		s->flow_hits += c->flow_hits;
		s->new_flows += c->new_flows;
		s->untracked += c->untracked;
	}
}

static void totals(const struct show_engine *e, struct queue_stats *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < e->nq; i++) {
		t->received += e->q[i].qs.received;
		t->accepted += e->q[i].qs.accepted;
		t->dropped += e->q[i].qs.dropped;
	}
}

static const char *policy_words(bool fail_closed)
{
	return fail_closed ?
		"fail-closed (packets are dropped when the queue is full or vpcfw is down)" :
		"fail-open (packets pass unjudged when the queue is full or vpcfw is down)";
}

static void text_policy(const struct policy *pol, FILE *out)
{
	const struct acl *a = policy_acl(pol);
	const struct sg *s = policy_sg(pol);
	const struct ruleset *rs = policy_ruleset(pol);

	if (a)
		fprintf(out, "  nacl %s: %zu inbound, %zu outbound rules (with the * rules)\n",
			rs->nacl_id ? rs->nacl_id : "-", acl_count(a, DIR_IN),
			acl_count(a, DIR_OUT));
	if (s)
		fprintf(out, "  sg: %zu group%s, %zu inbound, %zu outbound rules\n",
			rs->n_groups, rs->n_groups == 1 ? "" : "s",
			sg_count(s, DIR_IN), sg_count(s, DIR_OUT));
}

static void text_queue(const struct show_queue *q, FILE *out)
{
	fprintf(out, "queue %u: received %llu, accepted %llu, dropped %llu, malformed %llu, "
		"verdict messages %llu (batches %llu), kernel errors %llu, enobufs %llu",
		q->num, U(q->qs.received), U(q->qs.accepted), U(q->qs.dropped),
		U(malformed_total(&q->jc)), U(q->qs.verdict_msgs), U(q->qs.batches),
		U(q->qs.kernel_errors), U(q->qs.enobufs));
	fprintf(out, "; dropped by nacl %llu, sg %llu, table full %llu; offloaded %llu",
		U(q->jc.nacl_drops), U(q->jc.sg_drops), U(q->jc.table_full),
		U(q->qs.offloaded));
	if (q->qs.early || q->qs.truncated || q->qs.no_payload || q->qs.bad_msgs)
		fprintf(out, "; arrived during set-up %llu; failure verdicts: cut short %llu, "
			"without bytes %llu; unanswerable %llu", U(q->qs.early),
			U(q->qs.truncated), U(q->qs.no_payload), U(q->qs.bad_msgs));
	if (q->ks.found)
		fprintf(out, "; kernel: waiting %u, queue_dropped %u, user_dropped %u",
			q->ks.waiting, q->ks.queue_dropped, q->ks.user_dropped);
	fputc('\n', out);
}

static void text_stats(const struct show_engine *e, const struct policy *pol, FILE *out)
{
	struct judge_counters s;
	struct queue_stats t;
	size_t i;
	int k;

	fprintf(out, "vpcfw running, pid %d, up %llus\n", e->pid, U(e->uptime_s));
	fprintf(out, "failure policy: %s\n", policy_words(e->fail_closed));
	fprintf(out, "rules: generation %llu, reloads ok %llu, failed %llu\n",
		U(e->generation), U(e->reloads_ok), U(e->reloads_failed));
	text_policy(pol, out);
	fprintf(out, "flows: %llu tracked (cap %llu), inserted %llu, expired %llu, "
		"evicted %llu, conntrack_allowance_exceeded %llu, untracked %llu\n",
		U(e->fs.count), U(e->fs.cap), U(e->fs.inserts), U(e->fs.expired),
		U(e->fs.evictions), U(e->fs.conntrack_allowance_exceeded),
		U(e->fs.untracked));
	fprintf(out, "tcp: out_of_window %llu, invalid_flags %llu\n",
		U(e->fs.tcp_out_of_window), U(e->fs.tcp_invalid));
	for (i = 0; i < e->nq; i++)
		text_queue(&e->q[i], out);
	totals(e, &t);
	fprintf(out, "totals: received %llu, accepted %llu, dropped %llu\n",
		U(t.received), U(t.accepted), U(t.dropped));
	judge_sum(e, &s);
	fprintf(out, "dropped by: nacl %llu, sg %llu, flow table full %llu\n",
		U(s.nacl_drops), U(s.sg_drops), U(s.table_full));
	fprintf(out, "sg: new tracked flows %llu, tracked packets %llu, untracked packets %llu\n",
		U(s.new_flows), U(s.flow_hits), U(s.untracked));
	fprintf(out, "always passed (neighbour discovery, DHCP): %llu\n", U(s.infra));
	fprintf(out, "malformed:");
	for (k = 1; k < PKT_STATUS_MAX; k++)
		fprintf(out, " %s %llu", pkt_status_name((enum pkt_status)k), U(s.malformed[k]));
	fprintf(out, "\nunjudged (no direction for the hook, failure policy applied): %llu\n",
		U(s.internal_errors));
	fprintf(out, "%s unjudged by the kernel (%s): ",
		e->fail_closed ? "dropped" : "passed",
		e->fail_closed ? "fail-closed" : "fail-open: queue full or no engine bound");
	if (e->bypass_known)
		fprintf(out, "%llu\n", U(e->bypassed));
	else
		fprintf(out, "unknown (no `vpcfw steer` rules for these queues)\n");
	fprintf(out, "trace listeners: %d\n", e->tracers);
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *json_malformed(const struct judge_counters *c)
{
	json_t *o = json_object();
	int k;

	for (k = 1; k < PKT_STATUS_MAX; k++)
		json_object_set_new(o, pkt_status_name((enum pkt_status)k),
				    json_integer((json_int_t)c->malformed[k]));
	return o;
}

static json_t *json_queue(const struct show_queue *q)
{
	return json_pack("{s:i, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:{s:b, s:i, s:i, s:i}}",
		"queue", (int)q->num,
		"received", (json_int_t)q->qs.received,
		"accepted", (json_int_t)q->qs.accepted,
		"dropped", (json_int_t)q->qs.dropped,
		"malformed", json_malformed(&q->jc),
		"bursts", (json_int_t)q->qs.bursts,
		"verdict_msgs", (json_int_t)q->qs.verdict_msgs,
		"batches", (json_int_t)q->qs.batches,
		"sends", (json_int_t)q->qs.sends,
		"send_errors", (json_int_t)q->qs.send_errors,
		"kernel_errors", (json_int_t)q->qs.kernel_errors,
		"enobufs", (json_int_t)q->qs.enobufs,
		"truncated", (json_int_t)q->qs.truncated,
		"unjudged", (json_int_t)(q->jc.internal_errors + q->qs.truncated + q->qs.no_payload),
		"offloaded", (json_int_t)q->qs.offloaded,
		"drops", "nacl", (json_int_t)q->jc.nacl_drops, "sg", (json_int_t)q->jc.sg_drops,
		"table_full", (json_int_t)q->jc.table_full,
		"kernel", "bound", q->ks.found, "waiting", (int)q->ks.waiting,
		"queue_dropped", (int)q->ks.queue_dropped,
		"user_dropped", (int)q->ks.user_dropped);
}

/* One queue_stats field summed over the queues. */
static uint64_t fail_sum(const struct show_engine *e, size_t off)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < e->nq; i++)
		n += *(const uint64_t *)((const char *)&e->q[i].qs + off);
	return n;
}

static void json_stats(const struct show_engine *e, FILE *out)
{
	struct judge_counters s;
	struct queue_stats t;
	json_t *qs = json_array(), *root;
	size_t i;

	for (i = 0; i < e->nq; i++)
		json_array_append_new(qs, json_queue(&e->q[i]));
	totals(e, &t);
	judge_sum(e, &s);
	root = json_pack("{s:i, s:I, s:s, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o,"
			 " s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:I}",
		"pid", e->pid, "uptime_s", (json_int_t)e->uptime_s,
		"failure_policy", e->fail_closed ? "fail-closed" : "fail-open",
		"rules", "generation", (json_int_t)e->generation,
		"reloads_ok", (json_int_t)e->reloads_ok,
		"reloads_failed", (json_int_t)e->reloads_failed,
		"flows", "count", (json_int_t)e->fs.count, "cap", (json_int_t)e->fs.cap,
		"inserts", (json_int_t)e->fs.inserts, "expired", (json_int_t)e->fs.expired,
		"evictions", (json_int_t)e->fs.evictions,
		"conntrack_allowance_exceeded", (json_int_t)e->fs.conntrack_allowance_exceeded,
		"chain_limit", (json_int_t)e->fs.chain_limit,
		"untracked", (json_int_t)e->fs.untracked,
		"queues", qs,
		"totals", "received", (json_int_t)t.received, "accepted", (json_int_t)t.accepted,
		"dropped", (json_int_t)t.dropped,
		"drops", "nacl", (json_int_t)s.nacl_drops, "sg", (json_int_t)s.sg_drops,
		"table_full", (json_int_t)s.table_full,
		"malformed", (json_int_t)malformed_total(&s),
		"unjudged", (json_int_t)s.internal_errors,
		"sg", "new_flows", (json_int_t)s.new_flows, "flow_packets", (json_int_t)s.flow_hits,
		"untracked_packets", (json_int_t)s.untracked,
		"infra", (json_int_t)s.infra);
	json_object_set_new(root, "trace_listeners", json_integer(e->tracers));
	json_object_set_new(root, "kernel_unjudged", e->bypass_known ?
			    json_integer((json_int_t)e->bypassed) : json_null());
	json_object_set_new(root, "failure_verdicts", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"no_direction", (json_int_t)s.internal_errors,
		"truncated", (json_int_t)fail_sum(e, offsetof(struct queue_stats, truncated)),
		"no_payload", (json_int_t)fail_sum(e, offsetof(struct queue_stats, no_payload)),
		"unanswerable", (json_int_t)fail_sum(e, offsetof(struct queue_stats, bad_msgs)),
		"early", (json_int_t)fail_sum(e, offsetof(struct queue_stats, early))));
	json_object_set_new(root, "tcp", json_pack("{s:I, s:I}",
		"out_of_window", (json_int_t)e->fs.tcp_out_of_window,
		"invalid_flags", (json_int_t)e->fs.tcp_invalid));
	json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
}

/* ---- Prometheus ---------------------------------------------------------- */

static void prom(FILE *out, const char *name, const char *help, const char *type)
{
	fprintf(out, "# HELP vpcfw_%s %s\n# TYPE vpcfw_%s %s\n", name, help, name, type);
}

static void prom_queues(const struct show_engine *e, FILE *out)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} qc[] = {
		{ "packets_received_total", "Packets received from the queue.", offsetof(struct queue_stats, received) },
		{ "packets_accepted_total", "Packets given an accept verdict.", offsetof(struct queue_stats, accepted) },
		{ "packets_dropped_total", "Packets given a drop verdict.", offsetof(struct queue_stats, dropped) },
		{ "verdict_batches_total", "Batch verdict messages sent.", offsetof(struct queue_stats, batches) },
		{ "kernel_errors_total", "Error replies from the kernel.", offsetof(struct queue_stats, kernel_errors) },
		{ "enobufs_total", "ENOBUFS seen on the queue socket.", offsetof(struct queue_stats, enobufs) },
		{ "failure_verdicts_truncated_total", "Packets cut short by the receive buffer: failure policy verdict.", offsetof(struct queue_stats, truncated) },
		{ "failure_verdicts_no_payload_total", "Packets queued without their bytes: failure policy verdict.", offsetof(struct queue_stats, no_payload) },
	};
	size_t i, k;

	for (k = 0; k < ARRAY_SIZE(qc); k++) {
		prom(out, qc[k].name, qc[k].help, "counter");
		for (i = 0; i < e->nq; i++)
			fprintf(out, "vpcfw_%s{queue=\"%u\"} %llu\n", qc[k].name, e->q[i].num,
				U(*(const uint64_t *)((const char *)&e->q[i].qs + qc[k].off)));
	}
	prom(out, "queue_kernel_dropped_total", "Packets the kernel dropped: queue full or socket full.", "counter");
	for (i = 0; i < e->nq; i++) {
		fprintf(out, "vpcfw_queue_kernel_dropped_total{queue=\"%u\",reason=\"queue_full\"} %u\n",
			e->q[i].num, e->q[i].ks.queue_dropped);
		fprintf(out, "vpcfw_queue_kernel_dropped_total{queue=\"%u\",reason=\"user\"} %u\n",
			e->q[i].num, e->q[i].ks.user_dropped);
	}
}

static void prom_stats(const struct show_engine *e, FILE *out)
{
	struct judge_counters s;
	int k;

	judge_sum(e, &s);
	prom_queues(e, out);
	if (e->bypass_known) {
		prom(out, "kernel_unjudged_total", "Packets that met the queue and were passed "
		     "(fail-open) or dropped (fail-closed) by the kernel with no verdict of ours.",
		     "counter");
		fprintf(out, "vpcfw_kernel_unjudged_total{policy=\"%s\"} %llu\n",
			e->fail_closed ? "fail-closed" : "fail-open", U(e->bypassed));
	}
	prom(out, "drops_total", "Drops by the layer that decided them.", "counter");
	fprintf(out, "vpcfw_drops_total{layer=\"nacl\"} %llu\n", U(s.nacl_drops));
	fprintf(out, "vpcfw_drops_total{layer=\"sg\"} %llu\n", U(s.sg_drops));
	fprintf(out, "vpcfw_drops_total{layer=\"table_full\"} %llu\n", U(s.table_full));
	prom(out, "malformed_total", "Malformed packets dropped, by kind.", "counter");
	for (k = 1; k < PKT_STATUS_MAX; k++)
		fprintf(out, "vpcfw_malformed_total{kind=\"%s\"} %llu\n",
			pkt_status_name((enum pkt_status)k), U(s.malformed[k]));
	prom(out, "flows", "Tracked flows now.", "gauge");
	fprintf(out, "vpcfw_flows %llu\n", U(e->fs.count));
	prom(out, "flows_max", "The flow table's cap.", "gauge");
	fprintf(out, "vpcfw_flows_max %llu\n", U(e->fs.cap));
	prom(out, "conntrack_allowance_exceeded_total", "New flows refused at the cap.", "counter");
	fprintf(out, "vpcfw_conntrack_allowance_exceeded_total %llu\n",
		U(e->fs.conntrack_allowance_exceeded));
	prom(out, "tcp_segments_refused_total",
	     "TCP segments no flow accepts: out of its window, or invalid flags.", "counter");
	fprintf(out, "vpcfw_tcp_segments_refused_total{reason=\"out_of_window\"} %llu\n",
		U(e->fs.tcp_out_of_window));
	fprintf(out, "vpcfw_tcp_segments_refused_total{reason=\"invalid_flags\"} %llu\n",
		U(e->fs.tcp_invalid));
	prom(out, "reloads_total", "Reloads by result.", "counter");
	fprintf(out, "vpcfw_reloads_total{result=\"ok\"} %llu\n", U(e->reloads_ok));
	fprintf(out, "vpcfw_reloads_total{result=\"failed\"} %llu\n", U(e->reloads_failed));
	prom(out, "fail_open", "1 when packets pass unjudged on overload or absence.", "gauge");
	fprintf(out, "vpcfw_fail_open %d\n", !e->fail_closed);
	prom(out, "uptime_seconds", "Seconds since start.", "gauge");
	fprintf(out, "vpcfw_uptime_seconds %llu\n", U(e->uptime_s));
}

void show_stats(const struct show_engine *e, const struct policy *pol,
		enum show_format fmt, FILE *out)
{
	switch (fmt) {
	case SHOW_TEXT:
		text_stats(e, pol, out);
		break;
	case SHOW_JSON:
		json_stats(e, out);
		break;
	case SHOW_PROMETHEUS:
		prom_stats(e, out);
		show_rules(pol, SHOW_PROMETHEUS, out);
		break;
	}
}

/* ---- rules --------------------------------------------------------------- */

static const char *num_or_all(int v, char buf[12])
{
	if (v < 0)
		return "all";
	snprintf(buf, 12, "%d", v);
	return buf;
}

/* The port range or ICMP type/code column, as the console shows it. */
static char *match_text(int proto, int from, int to, char *buf, size_t len)
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

static char *proto_text(int proto, char *buf, size_t len)
{
	const char *n = proto_name(proto);

	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "%d", proto);
	return buf;
}

static void nacl_fields(const struct nacl_entry *e, char num[12], char pr[12],
			char m[32], char cidr[CIDR_STRLEN])
{
	bool icmp = e->proto == IPPROTO_NUM_ICMP || e->proto == IPPROTO_NUM_ICMPV6;

	if (e->number > NACL_RULE_MAX)
		snprintf(num, 12, "*");
	else
		snprintf(num, 12, "%u", e->number);
	proto_text(e->proto, pr, 12);
	match_text(e->proto, icmp ? e->icmp_type : e->port_from,
		   icmp ? e->icmp_code : e->port_to, m, 32);
	cidr_format(&e->cidr, cidr, CIDR_STRLEN);
}

static void text_nacl(const struct policy *pol, FILE *out)
{
	const struct acl *a = policy_acl(pol);
	const struct ruleset *rs = policy_ruleset(pol);
	int d;

	for (d = 0; d < DIR_MAX; d++) {
		size_t i;

		fprintf(out, "nacl %s %s\n", rs->nacl_id ? rs->nacl_id : "-",
			dir_name((enum dir)d));
		fprintf(out, "  %-6s %-6s %-7s %-12s %-30s %10s %12s\n", "rule", "action",
			"proto", "ports/type", d == DIR_IN ? "source" : "destination",
			"packets", "bytes");
		for (i = 0; i < acl_count(a, (enum dir)d); i++) {
			const struct nacl_entry *e = acl_rule(a, (enum dir)d, i);
			char num[12], pr[12], m[32], cidr[CIDR_STRLEN];
			struct rule_hits h;

			nacl_fields(e, num, pr, m, cidr);
			policy_nacl_hits(pol, (enum dir)d, i, &h);
			fprintf(out, "  %-6s %-6s %-7s %-12s %-30s %10llu %12llu\n", num,
				e->allow ? "allow" : "deny", pr, m, cidr, U(h.packets),
				U(h.bytes));
		}
	}
}

static void text_sg_rule(const struct policy *pol, size_t i, FILE *out)
{
	const struct sg_entry *e = &policy_ruleset(pol)->sg[i];
	char pr[12], m[32], cidr[CIDR_STRLEN];
	struct rule_hits h;

	policy_sg_hits(pol, i, &h);
	fprintf(out, "  %-4zu %-7s %-12s %-30s %10llu %12llu", i + 1,
		proto_text(e->proto, pr, sizeof(pr)), match_text(e->proto, e->from, e->to, m, sizeof(m)),
		cidr_format(&e->cidr, cidr, sizeof(cidr)), U(h.packets), U(h.bytes));
	if (e->ref)
		fprintf(out, " (%s)", e->ref);
	if (e->description)
		fprintf(out, " \"%s\"", e->description);
	fputc('\n', out);
}

static void text_sg(const struct policy *pol, FILE *out)
{
	const struct ruleset *rs = policy_ruleset(pol);
	size_t g, i;
	int d;

	for (g = 0; g < rs->n_groups; g++) {
		for (d = 0; d < DIR_MAX; d++) {
			fprintf(out, "sg %s (%s) %s\n", rs->groups[g].id,
				rs->groups[g].name ? rs->groups[g].name : "-",
				dir_name((enum dir)d));
			fprintf(out, "  %-4s %-7s %-12s %-30s %10s %12s\n", "#", "proto",
				"ports/type", d == DIR_IN ? "source" : "destination",
				"packets", "bytes");
			for (i = 0; i < rs->n_sg; i++)
				if (rs->sg[i].group == g && rs->sg[i].egress == (d == DIR_OUT))
					text_sg_rule(pol, i, out);
		}
	}
	fprintf(out, "(security-group rules count the packets they allowed themselves: the first "
		"packet of each tracked flow and every untracked packet; `vpcfw show flows` has the rest)\n");
}

static json_t *json_nacl_dir(const struct policy *pol, enum dir d)
{
	const struct acl *a = policy_acl(pol);
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < acl_count(a, d); i++) {
		const struct nacl_entry *e = acl_rule(a, d, i);
		char num[12], pr[12], m[32], cidr[CIDR_STRLEN];
		struct rule_hits h;

		nacl_fields(e, num, pr, m, cidr);
		policy_nacl_hits(pol, d, i, &h);
		json_array_append_new(arr, json_pack("{s:i, s:s, s:i, s:s, s:s, s:I, s:I}",
			"number", (int)e->number, "action", e->allow ? "allow" : "deny",
			"protocol", (int)e->proto, "match", m, "cidr", cidr,
			"packets", (json_int_t)h.packets, "bytes", (json_int_t)h.bytes));
	}
	return arr;
}

static json_t *json_sg(const struct policy *pol)
{
	const struct ruleset *rs = policy_ruleset(pol);
	json_t *groups = json_array();
	size_t g, i;

	for (g = 0; g < rs->n_groups; g++) {
		json_t *dirs[DIR_MAX] = { json_array(), json_array() };

		for (i = 0; i < rs->n_sg; i++) {
			const struct sg_entry *e = &rs->sg[i];
			char m[32], cidr[CIDR_STRLEN];
			struct rule_hits h;

			if (e->group != g)
				continue;
			policy_sg_hits(pol, i, &h);
			json_array_append_new(dirs[e->egress], json_pack(
				"{s:i, s:i, s:s, s:s, s:s?, s:s?, s:I, s:I}",
				"index", (int)i + 1, "protocol", (int)e->proto,
				"match", match_text(e->proto, e->from, e->to, m, sizeof(m)),
				"cidr", cidr_format(&e->cidr, cidr, sizeof(cidr)),
				"ref", e->ref, "description", e->description,
				"packets", (json_int_t)h.packets, "bytes", (json_int_t)h.bytes));
		}
		json_array_append_new(groups, json_pack("{s:s, s:s?, s:o, s:o}",
			"id", rs->groups[g].id, "name", rs->groups[g].name,
			"inbound", dirs[DIR_IN], "outbound", dirs[DIR_OUT]));
	}
	return groups;
}

static void json_rules(const struct policy *pol, FILE *out)
{
	const struct ruleset *rs = policy_ruleset(pol);
	json_t *root = json_object();

	if (policy_acl(pol))
		json_object_set_new(root, "nacl", json_pack("{s:s?, s:o, s:o}",
			"id", rs->nacl_id, "inbound", json_nacl_dir(pol, DIR_IN),
			"outbound", json_nacl_dir(pol, DIR_OUT)));
	if (policy_sg(pol))
		json_object_set_new(root, "security_groups", json_sg(pol));
	json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
}

static void prom_rules(const struct policy *pol, FILE *out)
{
	const struct acl *a = policy_acl(pol);
	const struct ruleset *rs = policy_ruleset(pol);
	struct rule_hits h;
	size_t i;
	int d;

	prom(out, "rule_packets_total", "Packets each rule decided.", "counter");
	for (d = 0; a && d < DIR_MAX; d++) {
		for (i = 0; i < acl_count(a, (enum dir)d); i++) {
			const struct nacl_entry *e = acl_rule(a, (enum dir)d, i);

			policy_nacl_hits(pol, (enum dir)d, i, &h);
			fprintf(out, "vpcfw_rule_packets_total{layer=\"nacl\",direction=\"%s\",rule=\"%u\"} %llu\n",
				dir_name((enum dir)d), e->number, U(h.packets));
		}
	}
	for (i = 0; policy_sg(pol) && i < rs->n_sg; i++) {
		policy_sg_hits(pol, i, &h);
		fprintf(out, "vpcfw_rule_packets_total{layer=\"sg\",direction=\"%s\",group=\"%s\",rule=\"%zu\"} %llu\n",
			rs->sg[i].egress ? "outbound" : "inbound",
			rs->groups[rs->sg[i].group].id, i + 1, U(h.packets));
	}
}

void show_rules(const struct policy *pol, enum show_format fmt, FILE *out)
{
	if (fmt == SHOW_JSON) {
		json_rules(pol, out);
	} else if (fmt == SHOW_PROMETHEUS) {
		prom_rules(pol, out);
	} else {
		if (policy_acl(pol))
			text_nacl(pol, out);
		if (policy_sg(pol))
			text_sg(pol, out);
	}
}

/* ---- flows --------------------------------------------------------------- */

int show_flow_filter_parse(struct show_flow_filter *f, const char *args)
{
	char buf[256], *save = NULL, *w;

	memset(f, 0, sizeof(*f));
	f->proto = -1;
	f->port = -1;
	if (!args || strlen(args) >= sizeof(buf))
		return args ? -1 : 0;
	strcpy(buf, args);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *v = strchr(w, '=');
		uint64_t n;

		if (!v)
			return -1;
		*v++ = '\0';
		if (!strcmp(w, "proto")) {
			int i;

			for (i = 0; i < 256 && f->proto < 0; i++)
				if (proto_name(i) && !strcmp(proto_name(i), v))
					f->proto = i;
			if (f->proto < 0) {
				if (num_parse(v, 0, 255, &n) < 0)
					return -1;
				f->proto = (int)n;
			}
		} else if (!strcmp(w, "port")) {
			if (num_parse(v, 0, 65535, &n) < 0)
				return -1;
			f->port = (int)n;
		} else if (!strcmp(w, "addr")) {
			char cidr[64];

			snprintf(cidr, sizeof(cidr), strchr(v, '/') ? "%s" :
				 strchr(v, ':') ? "%s/128" : "%s/32", v);
			if (cidr_parse(cidr, &f->addr) < 0)
				return -1;
			f->have_addr = true;
		} else {
			return -1;
		}
	}
	return 0;
}

static bool flow_wanted(const struct flow_view *v, const struct show_flow_filter *f)
{
	if (f->proto >= 0 && v->proto != f->proto)
		return false;
	if (f->port >= 0 && (v->proto == IPPROTO_NUM_TCP || v->proto == IPPROTO_NUM_UDP) &&
	    v->init_sport != f->port && v->init_dport != f->port)
		return false;
	if (f->port >= 0 && v->proto != IPPROTO_NUM_TCP && v->proto != IPPROTO_NUM_UDP)
		return false;
	if (f->have_addr && !cidr_contains(&f->addr, v->family, v->init_src) &&
	    !cidr_contains(&f->addr, v->family, v->init_dst))
		return false;
	return true;
}

struct flow_listing {
	const struct policy *pol;
	const struct show_flow_filter *f;
	enum show_format fmt;
	uint64_t now;
	FILE *out;
	json_t *arr;
	size_t n;
};

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
		 proto_text(e->proto, pr, sizeof(pr)),
		 match_text(e->proto, e->from, e->to, m, sizeof(m)),
		 e->egress ? "to" : "from", cidr_format(&e->cidr, cidr, sizeof(cidr)));
	return buf;
}

static int list_flow(const struct flow_view *v, void *ctx)
{
	struct flow_listing *l = ctx;
	char src[64], dst[64], pr[12], rule[160];
	uint64_t age = (l->now - v->created) / 1000;
	uint64_t left = v->expires > l->now ? (v->expires - l->now) / 1000 : 0;

	if (!flow_wanted(v, l->f))
		return 0;
	l->n++;
	endpoint(v, v->init_src, v->init_sport, src, sizeof(src));
	endpoint(v, v->init_dst, v->init_dport, dst, sizeof(dst));
	proto_text(v->proto, pr, sizeof(pr));
	opener(l, v, rule, sizeof(rule));
	if (l->fmt == SHOW_JSON) {
		json_array_append_new(l->arr, json_pack(
			"{s:s, s:i, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I}, s:s}",
			"protocol", pr, "protocol_number", (int)v->proto, "src", src, "dst", dst,
			"direction", dir_name(v->init_dir), "state", flow_state_name(v->state),
			"tracked", !v->untracked, "age_s", (json_int_t)age, "timeout_left_s", (json_int_t)left,
			"original", "packets", (json_int_t)v->packets[0], "bytes", (json_int_t)v->bytes[0],
			"reply", "packets", (json_int_t)v->packets[1], "bytes", (json_int_t)v->bytes[1],
			"rule", rule));
		return 0;
	}
	fprintf(l->out, "%-6s %-12s %s -> %s %s %s age %llus timeout %llus "
		"orig %llu pkts %llu B reply %llu pkts %llu B rule %s\n",
		pr, flow_state_name(v->state), src, dst, dir_name(v->init_dir),
		v->untracked ? "untracked" : "tracked", U(age), U(left),
		U(v->packets[0]), U(v->bytes[0]), U(v->packets[1]), U(v->bytes[1]), rule);
	return 0;
}

int show_flows(struct flow_table *ft, const struct policy *pol, uint64_t now,
	       const struct show_flow_filter *f, enum show_format fmt, FILE *out)
{
	struct flow_listing l = { pol, f, fmt, now, out, NULL, 0 };
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
