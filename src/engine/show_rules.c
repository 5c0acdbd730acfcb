/*
 * `vpcfw show rules`: the rules in force with the packets and bytes each
 * decided, as the AWS console tables show them (text) or as JSON.
 */
#include <stdio.h>

#include <jansson.h>

#include "show_int.h"

static void nacl_fields(const struct nacl_entry *e, char num[12], char pr[12],
			char m[32], char cidr[CIDR_STRLEN])
{
	bool icmp = e->proto == IPPROTO_NUM_ICMP || e->proto == IPPROTO_NUM_ICMPV6;

	if (e->number > NACL_RULE_MAX)
		snprintf(num, 12, "*");
	else
		snprintf(num, 12, "%u", e->number);
	show_proto_text(e->proto, pr, 12);
	show_match_text(e->proto, icmp ? e->icmp_type : e->port_from,
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
		show_proto_text(e->proto, pr, sizeof(pr)),
		show_match_text(e->proto, e->from, e->to, m, sizeof(m)),
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
				"match", show_match_text(e->proto, e->from, e->to, m, sizeof(m)),
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

void show_rules(const struct policy *pol, enum show_format fmt, FILE *out)
{
	if (fmt == SHOW_JSON) {
		json_rules(pol, out);
	} else if (fmt == SHOW_PROMETHEUS) {
		show_metrics_rules(pol, out);
	} else {
		if (policy_acl(pol))
			text_nacl(pol, out);
		if (policy_sg(pol))
			text_sg(pol, out);
	}
}
