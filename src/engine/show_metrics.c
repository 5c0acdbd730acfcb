/*
 * `vpcfw show metrics`: the counters and each rule's packets as Prometheus
 * text, for scrapers. Names are stable: dashboards depend on them.
 */
#include <stddef.h>

#include "show_int.h"

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

/*
 * A label value as the exposition format wants it: \\, \" and \\n escaped
 * (rule names, and interface names, where Linux allows '"' and '\\'). Cut
 * to what fits in buf.
 */
static const char *label_escape(const char *v, char *buf, size_t len)
{
	size_t o = 0;

	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			buf[o++] = '\\';
		buf[o++] = *v == '\n' ? 'n' : *v;
	}
	buf[o] = '\0';
	return buf;
}

static void prom_label(FILE *out, const char *v)
{
	char buf[512];

	fputs(label_escape(v, buf, sizeof(buf)), out);
}

/* The shadow policy's disagreements: nothing without a shadow. */
static void prom_shadow(const struct show_shadow *sh, FILE *out)
{
	size_t i;

	if (!sh->pol)
		return;
	prom(out, "shadow_packets_total", "Packets the shadow policy judged (never enforced).",
	     "counter");
	fprintf(out, "vpcfw_shadow_packets_total %llu\n", U(sh->judged));
	prom(out, "shadow_disagreements_total", "Packets on which the shadow policy's verdict "
	     "differed from the enforced one, by direction.", "counter");
	fprintf(out, "vpcfw_shadow_disagreements_total{direction=\"in\"} %llu\n",
		U(sh->disagree[0]));
	fprintf(out, "vpcfw_shadow_disagreements_total{direction=\"out\"} %llu\n",
		U(sh->disagree[1]));
	prom(out, "shadow_disagreement_rules_total", "Disagreements by the rules that decided "
	     "each side (the pairs with the most packets).", "counter");
	for (i = 0; i < sh->n_pairs; i++) {
		fputs("vpcfw_shadow_disagreement_rules_total{enforced=\"", out);
		prom_label(out, sh->pair[i].enforced);
		fputs("\",shadow=\"", out);
		prom_label(out, sh->pair[i].shadow);
		fprintf(out, "\"} %llu\n", U(sh->pair[i].packets));
	}
}

static const char *iface_label(uint64_t ifindex, char *buf, size_t len)
{
	char name[32];

	return label_escape(show_iface_name(ifindex, name, sizeof(name)), buf, len);
}

void show_metrics_stats(const struct show_engine *e, FILE *out)
{
	struct judge_counters s;
	size_t i;
	int k;

	show_judge_sum(e, &s);
	prom_queues(e, out);
	prom_shadow(&e->shadow, out);
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
	prom(out, "interface_packets_total", "Judged packets by the interface they arrive on "
	     "or leave by, and verdict.", "counter");
	for (k = 0; k < JC_IFACES && s.iface[k].ifindex; k++) {
		char name[64];

		iface_label(s.iface[k].ifindex, name, sizeof(name));
		fprintf(out, "vpcfw_interface_packets_total{interface=\"%s\",verdict=\"accept\"} %llu\n",
			name, U(s.iface[k].accepted));
		fprintf(out, "vpcfw_interface_packets_total{interface=\"%s\",verdict=\"drop\"} %llu\n",
			name, U(s.iface[k].dropped));
	}
	prom(out, "exempt_total", "Packets AWS never filters, passed unjudged, by kind.", "counter");
	for (k = 1; k < EXEMPT_MAX; k++)
		fprintf(out, "vpcfw_exempt_total{kind=\"%s\"} %llu\n",
			exempt_kind_name((enum exempt_kind)k), U(s.exempt[k]));
	prom(out, "nacl_same_subnet_total", "Packets inside one --subnet: the NACL was not consulted.",
	     "counter");
	fprintf(out, "vpcfw_nacl_same_subnet_total %llu\n", U(s.same_subnet));
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
	prom(out, "conntrack_allowance_available", "New flows that fit under the cap now.", "gauge");
	fprintf(out, "vpcfw_conntrack_allowance_available %llu\n",
		U(e->fs.conntrack_allowance_available));
	prom(out, "conntrack_timeout_seconds", "Idle timeouts in force (--conntrack).", "gauge");
	fprintf(out, "vpcfw_conntrack_timeout_seconds{setting=\"tcp_established\"} %u\n",
		e->fs.tcp_established_s);
	fprintf(out, "vpcfw_conntrack_timeout_seconds{setting=\"udp_stream\"} %u\n",
		e->fs.udp_stream_s);
	fprintf(out, "vpcfw_conntrack_timeout_seconds{setting=\"udp\"} %u\n", e->fs.udp_s);
	for (i = 0; i < e->fs.n_iface && i < FLOW_IFACE_TMO_MAX; i++) {
		char name[64];

		iface_label(e->fs.iface[i].ifindex, name, sizeof(name));
		fprintf(out, "vpcfw_conntrack_timeout_seconds{setting=\"tcp_established\",interface=\"%s\"} %u\n",
			name, e->fs.iface[i].tcp_established_s);
		fprintf(out, "vpcfw_conntrack_timeout_seconds{setting=\"udp_stream\",interface=\"%s\"} %u\n",
			name, e->fs.iface[i].udp_stream_s);
		fprintf(out, "vpcfw_conntrack_timeout_seconds{setting=\"udp\",interface=\"%s\"} %u\n",
			name, e->fs.iface[i].udp_s);
	}
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

void show_metrics_rules(const struct policy *pol, FILE *out)
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
