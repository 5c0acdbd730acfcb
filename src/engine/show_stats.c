/*
 * `vpcfw status` and `vpcfw show stats`: the engine's counters as text for
 * people and JSON for programs (stable names); `show metrics` renders the
 * same counters in show_metrics.c.
 */
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "show_int.h"

static uint64_t malformed_total(const struct judge_counters *c)
{
	uint64_t n = 0;
	int k;

	for (k = 1; k < PKT_STATUS_MAX; k++)
		n += c->malformed[k];
	return n;
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

/* The subnets the NACL does not guard, and what AWS never filters (exempt.h). */
static void text_subnets(const struct policy *pol, FILE *out)
{
	const struct policy_opts *o = policy_opts(pol);
	char c[CIDR_STRLEN];
	size_t i;

	fprintf(out, "subnets:");
	for (i = 0; i < o->n_subnets; i++)
		fprintf(out, " %s", cidr_format(&o->subnets[i], c, sizeof(c)));
	fprintf(out, "%s", o->n_subnets ? "" : " none (the NACL checks every peer)");
	if (o->have_vpc)
		fprintf(out, "; vpc %s", cidr_format(&o->vpc, c, sizeof(c)));
	fprintf(out, "; AWS service and reserved addresses: %s\n",
		o->judge_aws_services ? "judged (--judge-aws-services)" : "exempt");
}

/* Counter-friendly ("LINE: field N, field N"), as tests/netns/lib.sh counter reads it. */
static void text_exempt(const struct judge_counters *s, FILE *out)
{
	int k;

	fprintf(out, "exempt (AWS never filters it):");
	for (k = 1; k < EXEMPT_MAX; k++)
		fprintf(out, "%s %s %llu", k > 1 ? "," : "",
			exempt_kind_name((enum exempt_kind)k), U(s->exempt[k]));
	fprintf(out, "\nnacl not consulted: same-subnet %llu\n", U(s->same_subnet));
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

/* The shadow policy and where it parted from the enforced one (counter-friendly lines). */
static void text_shadow(const struct show_shadow *sh, FILE *out)
{
	size_t i;

	if (!sh->pol) {
		fprintf(out, "shadow: none\n");
		return;
	}
	fprintf(out, "shadow: judged %llu, disagreed %llu, in %llu, out %llu\n",
		U(sh->judged), U(sh->disagree[0] + sh->disagree[1]), U(sh->disagree[0]),
		U(sh->disagree[1]));
	text_policy(sh->pol, out);
	if (!sh->n_pairs)
		return;
	fprintf(out, "shadow disagreements by rules (enforced vs shadow):\n");
	for (i = 0; i < sh->n_pairs; i++)
		fprintf(out, "  %s vs %s: %llu\n", sh->pair[i].enforced, sh->pair[i].shadow,
			U(sh->pair[i].packets));
	if (sh->other)
		fprintf(out, "  other pairs: %llu\n", U(sh->other));
}

/* Judged packets by interface: "interfaces: veth0 accepted 5 dropped 1, ...". */
static void text_ifaces(const struct judge_counters *s, FILE *out)
{
	char name[32];
	int k;

	fprintf(out, "interfaces:");
	for (k = 0; k < JC_IFACES && s->iface[k].ifindex; k++)
		fprintf(out, "%s %s accepted %llu dropped %llu", k ? "," : "",
			show_iface_name(s->iface[k].ifindex, name, sizeof(name)),
			U(s->iface[k].accepted), U(s->iface[k].dropped));
	if (s->iface_uncounted)
		fprintf(out, "%s others %llu", k ? "," : "", U(s->iface_uncounted));
	if (!k && !s->iface_uncounted)
		fprintf(out, " none yet");
	fputc('\n', out);
}

static json_t *json_ifaces(const struct judge_counters *s)
{
	json_t *o = json_object();
	char name[32];
	int k;

	for (k = 0; k < JC_IFACES && s->iface[k].ifindex; k++)
		json_object_set_new(o, show_iface_name(s->iface[k].ifindex, name, sizeof(name)),
				    json_pack("{s:I, s:I, s:I}",
					      "ifindex", (json_int_t)s->iface[k].ifindex,
					      "accepted", (json_int_t)s->iface[k].accepted,
					      "dropped", (json_int_t)s->iface[k].dropped));
	return o;
}

/* --conntrack IFACE=: each interface's settings in force, by name. */
static json_t *json_ct_ifaces(const struct flow_stats *fs)
{
	json_t *o = json_object();
	char name[32];
	size_t i;

	for (i = 0; i < fs->n_iface && i < FLOW_IFACE_TMO_MAX; i++)
		json_object_set_new(o, show_iface_name(fs->iface[i].ifindex, name, sizeof(name)),
				    json_pack("{s:I, s:I, s:I}",
					      "tcp_established_s", (json_int_t)fs->iface[i].tcp_established_s,
					      "udp_stream_s", (json_int_t)fs->iface[i].udp_stream_s,
					      "udp_s", (json_int_t)fs->iface[i].udp_s));
	return o;
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
	text_subnets(pol, out);
	fprintf(out, "flows: %llu tracked (cap %llu), inserted %llu, expired %llu, "
		"evicted %llu, conntrack_allowance_exceeded %llu, "
		"conntrack_allowance_available %llu, untracked %llu\n",
		U(e->fs.count), U(e->fs.cap), U(e->fs.inserts), U(e->fs.expired),
		U(e->fs.evictions), U(e->fs.conntrack_allowance_exceeded),
		U(e->fs.conntrack_allowance_available), U(e->fs.untracked));
	fprintf(out, "conntrack: tcp-established %u s, udp-stream %u s, udp %u s\n",
		e->fs.tcp_established_s, e->fs.udp_stream_s, e->fs.udp_s);
	for (i = 0; i < e->fs.n_iface && i < FLOW_IFACE_TMO_MAX; i++) {
		char name[32];

		fprintf(out, "conntrack %s: tcp-established %u s, udp-stream %u s, udp %u s\n",
			show_iface_name(e->fs.iface[i].ifindex, name, sizeof(name)),
			e->fs.iface[i].tcp_established_s, e->fs.iface[i].udp_stream_s,
			e->fs.iface[i].udp_s);
	}
	fprintf(out, "at the cap: %s\n", e->fs.evict_unestablished ?
		"evict unestablished flows (--evict-unestablished)" :
		"refuse new flows (AWS)");
	fprintf(out, "tcp: out_of_window %llu, invalid_flags %llu\n",
		U(e->fs.tcp_out_of_window), U(e->fs.tcp_invalid));
	for (i = 0; i < e->nq; i++)
		text_queue(&e->q[i], out);
	totals(e, &t);
	fprintf(out, "totals: received %llu, accepted %llu, dropped %llu\n",
		U(t.received), U(t.accepted), U(t.dropped));
	show_judge_sum(e, &s);
	fprintf(out, "dropped by: nacl %llu, sg %llu, flow table full %llu\n",
		U(s.nacl_drops), U(s.sg_drops), U(s.table_full));
	fprintf(out, "sg: new tracked flows %llu, tracked packets %llu, untracked packets %llu\n",
		U(s.new_flows), U(s.flow_hits), U(s.untracked));
	text_ifaces(&s, out);
	text_exempt(&s, out);
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
	text_shadow(&e->shadow, out);
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

static json_t *json_exempt(const struct judge_counters *s, json_int_t *total)
{
	json_t *o = json_object();
	int k;

	*total = 0;
	for (k = 1; k < EXEMPT_MAX; k++) {
		json_object_set_new(o, exempt_kind_name((enum exempt_kind)k),
				    json_integer((json_int_t)s->exempt[k]));
		*total += (json_int_t)s->exempt[k];
	}
	return o;
}

static json_t *json_subnets(const struct policy *pol)
{
	const struct policy_opts *o = policy_opts(pol);
	json_t *a = json_array();
	char c[CIDR_STRLEN];
	size_t i;

	for (i = 0; i < o->n_subnets; i++)
		json_array_append_new(a, json_string(cidr_format(&o->subnets[i], c, sizeof(c))));
	return json_pack("{s:o, s:o, s:b}", "subnets", a,
			 "vpc", o->have_vpc ? json_string(cidr_format(&o->vpc, c, sizeof(c))) : json_null(),
			 "judge_aws_services", o->judge_aws_services);
}

static json_t *json_shadow(const struct show_shadow *sh)
{
	json_t *pairs;
	size_t i;

	if (!sh->pol)
		return json_null();
	pairs = json_array();
	for (i = 0; i < sh->n_pairs; i++)
		json_array_append_new(pairs, json_pack("{s:s, s:s, s:I}",
			"enforced", sh->pair[i].enforced, "shadow", sh->pair[i].shadow,
			"packets", (json_int_t)sh->pair[i].packets));
	return json_pack("{s:I, s:{s:I, s:I, s:I}, s:o, s:I}",
		"judged", (json_int_t)sh->judged,
		"disagreed", "in", (json_int_t)sh->disagree[0], "out", (json_int_t)sh->disagree[1],
		"total", (json_int_t)(sh->disagree[0] + sh->disagree[1]),
		"pairs", pairs, "other_pairs", (json_int_t)sh->other);
}

static void json_stats(const struct show_engine *e, const struct policy *pol, FILE *out)
{
	json_int_t exempt_total;
	json_t *exempt;
	struct judge_counters s;
	struct queue_stats t;
	json_t *qs = json_array(), *root;
	size_t i;

	for (i = 0; i < e->nq; i++)
		json_array_append_new(qs, json_queue(&e->q[i]));
	totals(e, &t);
	show_judge_sum(e, &s);
	exempt = json_exempt(&s, &exempt_total);
	root = json_pack("{s:i, s:I, s:s, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}, s:o,"
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
		"conntrack_allowance_available", (json_int_t)e->fs.conntrack_allowance_available,
		"chain_limit", (json_int_t)e->fs.chain_limit,
		"untracked", (json_int_t)e->fs.untracked,
		"evict_unestablished", e->fs.evict_unestablished,
		"queues", qs,
		"totals", "received", (json_int_t)t.received, "accepted", (json_int_t)t.accepted,
		"dropped", (json_int_t)t.dropped,
		"drops", "nacl", (json_int_t)s.nacl_drops, "sg", (json_int_t)s.sg_drops,
		"table_full", (json_int_t)s.table_full,
		"malformed", (json_int_t)malformed_total(&s),
		"unjudged", (json_int_t)s.internal_errors,
		"sg", "new_flows", (json_int_t)s.new_flows, "flow_packets", (json_int_t)s.flow_hits,
		"untracked_packets", (json_int_t)s.untracked,
		"infra", exempt_total);
	json_object_set_new(root, "exempt", exempt);
	json_object_set_new(root, "interfaces", json_ifaces(&s));
	json_object_set_new(root, "interfaces_uncounted", json_integer((json_int_t)s.iface_uncounted));
	json_object_set_new(root, "nacl_same_subnet", json_integer((json_int_t)s.same_subnet));
	json_object_set_new(root, "scope", json_subnets(pol));
	json_object_set_new(root, "trace_listeners", json_integer(e->tracers));
	json_object_set_new(root, "shadow", json_shadow(&e->shadow));
	json_object_set_new(root, "kernel_unjudged", e->bypass_known ?
			    json_integer((json_int_t)e->bypassed) : json_null());
	json_object_set_new(root, "failure_verdicts", json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"no_direction", (json_int_t)s.internal_errors,
		"truncated", (json_int_t)fail_sum(e, offsetof(struct queue_stats, truncated)),
		"no_payload", (json_int_t)fail_sum(e, offsetof(struct queue_stats, no_payload)),
		"unanswerable", (json_int_t)fail_sum(e, offsetof(struct queue_stats, bad_msgs)),
		"early", (json_int_t)fail_sum(e, offsetof(struct queue_stats, early))));
	json_object_set_new(root, "conntrack", json_pack("{s:I, s:I, s:I, s:o}",
		"tcp_established_s", (json_int_t)e->fs.tcp_established_s,
		"udp_stream_s", (json_int_t)e->fs.udp_stream_s,
		"udp_s", (json_int_t)e->fs.udp_s, "interfaces", json_ct_ifaces(&e->fs)));
	json_object_set_new(root, "tcp", json_pack("{s:I, s:I}",
		"out_of_window", (json_int_t)e->fs.tcp_out_of_window,
		"invalid_flags", (json_int_t)e->fs.tcp_invalid));
	json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
}

void show_stats(const struct show_engine *e, const struct policy *pol,
		enum show_format fmt, FILE *out)
{
	switch (fmt) {
	case SHOW_TEXT:
		text_stats(e, pol, out);
		break;
	case SHOW_JSON:
		json_stats(e, pol, out);
		break;
	case SHOW_PROMETHEUS:
		show_metrics_stats(e, out);
		show_metrics_rules(pol, out);
		break;
	}
}
