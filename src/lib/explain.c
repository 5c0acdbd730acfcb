/*
 * The explanation walk (explain.h). The judge decides; this file only
 * describes: each rule's miss comes from the matcher's own tests, and the
 * rule the walk finds deciding must be the one the judge named.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "explain.h"
#include "rulename.h"
#include "rules.h"

static const char *dir_word(enum dir d)
{
	return d == DIR_IN ? "in" : "out";
}

static void range_words(int32_t from, int32_t to, char *buf, size_t len)
{
	if (from == to)
		snprintf(buf, len, "%d", from);
	else
		snprintf(buf, len, "%d-%d", from, to);
}

static void icmp_words(int32_t type, int32_t code, char *buf, size_t len)
{
	if (type < 0)
		snprintf(buf, len, "any type");
	else if (code < 0)
		snprintf(buf, len, "type %d", type);
	else
		snprintf(buf, len, "type %d code %d", type, code);
}

/* Why a rule with these fields does not match p, in words. */
static void miss_words(const struct explain *x, enum rule_miss m, const struct cidr *c,
		       int proto, int32_t from, int32_t to, char *buf, size_t len)
{
	const struct pkt *p = &x->p;
	char a[INET6_ADDRSTRLEN], cb[CIDR_STRLEN], r[32], pw[2][24];

	switch (m) {
	case RULE_MATCH:
		buf[0] = '\0';
		break;
	case RULE_MISS_FAMILY:
		snprintf(buf, len, "an %s rule; the packet is %s",
			 c->family == AF_INET6 ? "IPv6" : "IPv4",
			 p->family == AF_INET6 ? "IPv6" : "IPv4");
		break;
	case RULE_MISS_ADDR:
		addr_format(p->family, x->dir == DIR_IN ? p->src : p->dst, a, sizeof(a));
		snprintf(buf, len, "%s %s is not in %s",
			 x->dir == DIR_IN ? "source" : "destination", a,
			 cidr_format(c, cb, sizeof(cb)));
		break;
	case RULE_MISS_PROTO:
		snprintf(buf, len, "protocol: the packet is %s, the rule %s",
			 rules_proto_text(p->proto, pw[0], sizeof(pw[0])),
			 rules_proto_text(proto, pw[1], sizeof(pw[1])));
		break;
	case RULE_MISS_PORT:
		range_words(from, to, r, sizeof(r));
		snprintf(buf, len, "port: destination port %u is not in %s", p->dport, r);
		break;
	case RULE_MISS_ICMP:
		icmp_words(from, to, r, sizeof(r));
		snprintf(buf, len, "ICMP: type %u code %u is not %s", p->icmp_type,
			 p->icmp_code, r);
		break;
	case RULE_MISS_FRAG:
		snprintf(buf, len, "a later fragment carries no ports or types; the rule needs them");
		break;
	}
}

static struct explain_layer *new_layer(struct explain *x, enum verdict_layer l, size_t rows)
{
	struct explain_layer *L = &x->layers[x->n_layers];

	memset(L, 0, sizeof(*L));
	L->layer = l;
	L->dir = x->dir;
	snprintf(L->name, sizeof(L->name), "%s-%s", l == VL_NACL ? "nacl" : "sg",
		 dir_word(x->dir));
	L->rows = rows ? calloc(rows, sizeof(*L->rows)) : NULL;
	if (rows && !L->rows)
		return NULL;
	x->n_layers++;
	return L;
}

static void PRINTF_FMT(2, 3) note(struct explain *x, const char *fmt, ...)
{
	va_list ap;

	if (x->n_notes == EXPLAIN_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(x->notes[x->n_notes++], sizeof(x->notes[0]), fmt, ap);
	va_end(ap);
}

/* ---- the network ACL -------------------------------------------------- */

static void nacl_name(const struct nacl_entry *e, enum dir d, char *buf, size_t len)
{
	if (e->number > NACL_RULE_MAX)
		snprintf(buf, len, "nacl-%s:*", dir_word(d));
	else
		snprintf(buf, len, "nacl-%s:%u", dir_word(d), e->number);
}

static int walk_nacl(struct explain *x, const struct policy *pol)
{
	const struct acl *a = policy_acl(pol);
	size_t i, n = acl_count(a, x->dir);
	const struct nacl_entry *e, *decided = NULL;
	struct explain_layer *L = new_layer(x, VL_NACL, n);
	bool icmp;

	if (!L)
		return -1;
	if (x->v.same_subnet) {
		L->reach = EXPLAIN_SAME_SUBNET;
		snprintf(L->result, sizeof(L->result), "not consulted: source and destination "
			 "are in one --subnet, and the NACL guards the subnet's edge");
		return 0;
	}
	if (!x->v.nacl) {
		L->reach = EXPLAIN_NOT_REACHED;
		snprintf(L->result, sizeof(L->result), "not reached: the security groups dropped it");
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct explain_row *r = &L->rows[L->n_rows++];

		e = acl_rule(a, x->dir, i);
		icmp = e->proto == 1 || e->proto == 58;
		nacl_name(e, x->dir, r->name, sizeof(r->name));
		rules_nacl_text(e, r->text, sizeof(r->text));
		if (decided) {
			r->role = EXPLAIN_UNREACHED;
			snprintf(r->why, sizeof(r->why), "not tried: an earlier rule decided");
			continue;
		}
		r->miss = nacl_entry_miss(e, x->dir, &x->p);
		if (r->miss != RULE_MATCH) {
			miss_words(x, r->miss, &e->cidr, e->proto, icmp ? e->icmp_type : e->port_from,
				   icmp ? e->icmp_code : e->port_to, r->why, sizeof(r->why));
			continue;
		}
		decided = e;
		r->role = EXPLAIN_DECIDED;
		snprintf(r->why, sizeof(r->why), "matches: %s, and decides", e->allow ? "allow" : "deny");
	}
	/* The walk and the judge must name the same rule, or the walk lies. */
	if (decided != x->v.nacl) {
		errno = EPROTO;
		return -1;
	}
	if (decided->number > NACL_RULE_MAX)
		snprintf(L->result, sizeof(L->result), "denied by the '*' rule: no numbered "
			 "rule matches");
	else
		snprintf(L->result, sizeof(L->result), "%s by rule %u, the lowest-numbered "
			 "rule that matches", decided->allow ? "allowed" : "denied", decided->number);
	return 0;
}

/* ---- the security groups ---------------------------------------------- */

static void sg_row_name(const struct policy *pol, const struct sg_entry *e, enum dir d,
			char *buf, size_t len)
{
	const struct ruleset *rs = policy_ruleset(pol);

	rulename_sg(rs, d, (size_t)(e - rs->sg), buf, len);
}

static const char *allow_words(enum sg_outcome o)
{
	switch (o) {
	case SGO_NEW_TRACKED:
		return "allows it, and decides: tracked, a flow is created and its replies pass";
	case SGO_UNTRACKED:
		return "allows it, and decides: untracked (a 0.0.0.0/0 or ::/0 rule here, every "
		       "port open the other way, or a packet AWS does not track), judged per packet";
	case SGO_TABLE_FULL:
		return "allows it, but the flow table is full: the new flow is refused";
	default:
		return "allows it";
	}
}

static const char *sg_result(enum sg_outcome o)
{
	switch (o) {
	case SGO_FLOW_ORIG:
		return "passed by the flow table: a packet of a tracked flow (the rules are "
		       "not consulted)";
	case SGO_FLOW_REPLY:
		return "passed by the flow table: the reply of a tracked flow (the rules are "
		       "not consulted)";
	case SGO_NEW_TRACKED:
		return "allowed by a rule: a new tracked flow";
	case SGO_UNTRACKED:
		return "allowed by a rule: untracked";
	case SGO_TABLE_FULL:
		return "dropped: a rule allows it but the flow table is full "
		       "(conntrack_allowance_exceeded)";
	case SGO_NO_RULE:
		return "dropped: no rule of any group allows it, and no tracked flow carries it";
	default:
		return "";
	}
}

static int sg_rows(struct explain *x, const struct policy *pol, struct explain_layer *L,
		   bool flow)
{
	const struct sg *s = policy_sg(pol);
	size_t i, n = sg_count(s, x->dir);
	bool named = false, any = false;

	for (i = 0; i < n; i++) {
		const struct sg_entry *e = sg_rule(s, x->dir, i);
		struct explain_row *r = &L->rows[L->n_rows++];

		sg_row_name(pol, e, x->dir, r->name, sizeof(r->name));
		rules_sg_text(e, r->text, sizeof(r->text));
		r->miss = sg_entry_miss(e, x->dir, &x->p);
		if (r->miss != RULE_MATCH) {
			miss_words(x, r->miss, &e->cidr, e->proto, e->from, e->to, r->why,
				   sizeof(r->why));
			continue;
		}
		any = true;
		if (!flow && e == x->v.sg) {
			r->role = EXPLAIN_DECIDED;
			named = true;
			snprintf(r->why, sizeof(r->why), "%s", allow_words(x->v.sg_outcome));
		} else {
			r->role = EXPLAIN_MATCHES;
			snprintf(r->why, sizeof(r->why), flow ? "would allow it on its own" :
				 "allows it too");
		}
	}
	/* As for the NACL: the walk must agree with the judge. */
	if ((x->v.sg && !named) || (x->v.sg_outcome == SGO_NO_RULE && any)) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* p's reverse as the packet that would open its flow: a SYN, an echo request. */
static void opener(struct pkt *r, const struct pkt *p)
{
	int t;

	pkt_reverse(r, p);
	if (p->proto == IPPROTO_NUM_TCP)
		r->tcp_flags = TCPF_SYN;
	if (p->proto != IPPROTO_NUM_ICMP && p->proto != IPPROTO_NUM_ICMPV6)
		return;
	for (t = 0; t < 256; t++)
		if (pkt_icmp_reply_type(p->family, (uint8_t)t) == p->icmp_type) {
			r->icmp_type = (uint8_t)t;
			break;
		}
}

/* Could p be carried by a flow that its reverse would open? */
static bool reply_trackable(const struct pkt *p)
{
	if (p->proto == IPPROTO_NUM_TCP || p->proto == IPPROTO_NUM_UDP)
		return (p->flags & PKT_F_L4) != 0;
	return pkt_icmp_is_query(p);
}

/* The flow state the verdict depends on, in words. */
static void sg_notes(struct explain *x, const struct policy *pol)
{
	const struct sg *s = policy_sg(pol);
	enum dir other = x->dir == DIR_IN ? DIR_OUT : DIR_IN;
	const struct sg_entry *e = NULL;
	char name[80], rp[160];
	enum sg_match m;
	struct pkt r;

	switch (x->v.sg_outcome) {
	case SGO_FLOW_ORIG:
	case SGO_FLOW_REPLY:
		m = sg_eval(s, x->dir, &x->p, &e);
		if (m == SG_DENY) {
			note(x, "passes only as %s: no sg-%s rule allows it on its own",
			     x->v.sg_outcome == SGO_FLOW_REPLY ? "the reply of a tracked flow" :
			     "a packet of a flow tracked earlier", dir_word(x->dir));
		} else {
			sg_row_name(pol, e, x->dir, name, sizeof(name));
			note(x, "the flow table passed it; without the flow %s would allow it",
			     name);
		}
		break;
	case SGO_NO_RULE:
		if (!reply_trackable(&x->p))
			break;
		opener(&r, &x->p);
		if (sg_eval(s, other, &r, &e) == SG_DENY)
			break;
		sg_row_name(pol, e, other, name, sizeof(name));
		note(x, "would pass as the reply of a tracked flow opened by \"%s %s\", which %s "
		     "allows: no such flow is tracked", pkt_format(&r, rp, sizeof(rp)),
		     dir_word(other), name);
		break;
	case SGO_TABLE_FULL:
		note(x, "AWS drops a packet that would open a flow past the tracking allowance; "
		     "Reachability Analyzer has no code for it");
		break;
	default:
		break;
	}
}

static int walk_sg(struct explain *x, const struct policy *pol)
{
	enum sg_outcome o = x->v.sg_outcome;
	bool flow = o == SGO_FLOW_ORIG || o == SGO_FLOW_REPLY;
	struct explain_layer *L = new_layer(x, VL_SG, sg_count(policy_sg(pol), x->dir));

	if (!L)
		return -1;
	if (o == SGO_NONE) {
		L->reach = EXPLAIN_NOT_REACHED;
		snprintf(L->result, sizeof(L->result), "not reached: the network ACL dropped it");
		return 0;
	}
	L->reach = flow ? EXPLAIN_FLOW : EXPLAIN_RULES;
	snprintf(L->result, sizeof(L->result), "%s", sg_result(o));
	if (flow)
		snprintf(L->result + strlen(L->result), sizeof(L->result) - strlen(L->result),
			 "; flow state %s", flow_state_name(x->v.flow_state));
	if (sg_rows(x, pol, L, flow) < 0)
		return -1;
	sg_notes(x, pol);
	return 0;
}

/* ---- the whole packet ------------------------------------------------- */

static const char *ra_code(const struct explain *x, const struct policy *pol)
{
	if (x->v.accept)
		return NULL;
	if (x->v.layer == VL_NACL)
		return "SUBNET_ACL_RESTRICTION";
	if (x->v.layer == VL_SG && x->v.sg_outcome == SGO_NO_RULE)
		return sg_count(policy_sg(pol), x->dir) ? "ENI_SG_RULES_MISMATCH" :
		       "SG_HAS_NO_RULES";
	return NULL;
}

/* The reply's port, in words, for the note on the stateless ACL. */
static void reply_port_words(const struct explain *x, char *buf, size_t len)
{
	if (x->p.proto == IPPROTO_NUM_TCP || x->p.proto == IPPROTO_NUM_UDP)
		snprintf(buf, len, "%s destination port %u", x->p.proto == IPPROTO_NUM_TCP ?
			 "TCP" : "UDP", x->p.dport);
	else
		snprintf(buf, len, "its ICMP type %u", x->p.icmp_type);
}

static void stateless_note(struct explain *x, bool reply)
{
	char port[48];

	if (x->v.layer != VL_NACL || x->v.accept)
		return;
	reply_port_words(x, port, sizeof(port));
	if (x->v.sg_outcome == SGO_FLOW_REPLY)
		note(x, "the security group passed it as a tracked reply, but the network ACL is "
		     "stateless: it judges every reply as a packet of its own, and no %s rule "
		     "allows %s", dir_name(x->dir), port);
	else if (reply)
		note(x, "a reply, and the network ACL is stateless: it judges replies as packets "
		     "of their own, and no %s rule allows %s", dir_name(x->dir), port);
}

void explain_is_reply(struct explain *x)
{
	if (x->v.sg_outcome != SGO_FLOW_REPLY)
		stateless_note(x, true);
}

static int parse_packet(struct explain *x, const uint8_t *pkt, size_t caplen, size_t wirelen)
{
	if (pkt_parse(&x->p, pkt, caplen, wirelen > caplen ? wirelen : caplen) != PKT_OK) {
		errno = EINVAL;
		return -1;
	}
	if (x->p.l4_off > x->p.len ||
	    ((x->p.flags & PKT_F_LATER_FRAG) && (x->p.flags & PKT_F_L4))) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int walk(struct explain *x, const struct policy *pol)
{
	bool nacl = policy_acl(pol) != NULL, sg = policy_sg(pol) != NULL;

	if (x->v.layer == VL_INFRA) {
		note(x, "exempt: %s, which a VPC never filters (neither layer judges it)",
		     exempt_kind_words(x->v.exempt));
		return 0;
	}
	if (x->dir == DIR_IN) {
		if ((nacl && walk_nacl(x, pol) < 0) || (sg && walk_sg(x, pol) < 0))
			return -1;
	} else {
		if ((sg && walk_sg(x, pol) < 0) || (nacl && walk_nacl(x, pol) < 0))
			return -1;
	}
	stateless_note(x, false);
	x->code = ra_code(x, pol);
	return 0;
}

int explain_packet(struct explain *x, const struct policy *pol, struct flow_table *ft,
		   const uint8_t *pkt, size_t len, enum dir d, uint64_t now)
{
	return explain_capture(x, pol, ft, pkt, len, len, d, now);
}

int explain_capture(struct explain *x, const struct policy *pol, struct flow_table *ft,
		    const uint8_t *pkt, size_t caplen, size_t wirelen, enum dir d,
		    uint64_t now)
{
	int saved;

	if (!x || !pol || !pkt || (d != DIR_IN && d != DIR_OUT)) {
		errno = EINVAL;
		return -1;
	}
	memset(x, 0, sizeof(*x));
	x->dir = d;
	if (parse_packet(x, pkt, caplen, wirelen) < 0)
		return -1;
	policy_judge(pol, ft, &x->p, d, now, &x->v);
	pkt_format(&x->p, x->packet, sizeof(x->packet));
	rulename_verdict(pol, &x->v, d, RULENAME_PROSE, x->decision, sizeof(x->decision));
	if (walk(x, pol) < 0) {
		saved = errno;
		explain_clear(x);
		errno = saved;
		return -1;
	}
	return 0;
}

void explain_clear(struct explain *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->n_layers; i++) {
		free(x->layers[i].rows);
		x->layers[i].rows = NULL;
	}
	x->n_layers = 0;
}

/* ---- writers ---------------------------------------------------------- */

static const char *role_mark(enum explain_role r)
{
	static const char *const marks[] = {
		[EXPLAIN_MISS] = "no",
		[EXPLAIN_DECIDED] = "YES",
		[EXPLAIN_MATCHES] = "yes",
		[EXPLAIN_UNREACHED] = "-",
	};

	return marks[r];
}

void explain_print(const struct explain *x, FILE *out)
{
	size_t i, j, wn, wt;

	fprintf(out, "packet: %s %s\n", dir_word(x->dir), x->packet);
	for (i = 0; i < x->n_layers; i++) {
		const struct explain_layer *L = &x->layers[i];

		fprintf(out, "%zu. %s: %s\n", i + 1, L->name, L->result);
		for (wn = wt = j = 0; j < L->n_rows; j++) {
			wn = strlen(L->rows[j].name) > wn ? strlen(L->rows[j].name) : wn;
			wt = strlen(L->rows[j].text) > wt ? strlen(L->rows[j].text) : wt;
		}
		for (j = 0; j < L->n_rows; j++) {
			const struct explain_row *r = &L->rows[j];

			fprintf(out, "   %-3s %-*s  %-*s  %s\n", role_mark(r->role), (int)wn, r->name,
				(int)wt, r->text, r->why);
		}
	}
	fprintf(out, "verdict: %s: %s\n", x->v.accept ? "ACCEPT" : "DROP", x->decision);
	for (i = 0; i < x->n_notes; i++)
		fprintf(out, "note: %s\n", x->notes[i]);
	if (x->code)
		fprintf(out, "code: %s\n", x->code);
}

static const char *miss_key(enum rule_miss m)
{
	static const char *const keys[] = {
		[RULE_MATCH] = "match", [RULE_MISS_FAMILY] = "family",
		[RULE_MISS_ADDR] = "address", [RULE_MISS_PROTO] = "protocol",
		[RULE_MISS_PORT] = "port", [RULE_MISS_ICMP] = "icmp",
		[RULE_MISS_FRAG] = "fragment",
	};

	return keys[m];
}

static const char *reach_key(enum explain_reach r)
{
	static const char *const keys[] = {
		[EXPLAIN_RULES] = "rules", [EXPLAIN_FLOW] = "flow-table",
		[EXPLAIN_NOT_REACHED] = "not-reached", [EXPLAIN_SAME_SUBNET] = "same-subnet",
	};

	return keys[r];
}

static const char *role_key(enum explain_role r)
{
	static const char *const keys[] = {
		[EXPLAIN_MISS] = "miss", [EXPLAIN_DECIDED] = "decided",
		[EXPLAIN_MATCHES] = "matches", [EXPLAIN_UNREACHED] = "not-tried",
	};

	return keys[r];
}

static json_t *layer_json(const struct explain_layer *L, const struct explain *x)
{
	json_t *o = json_object(), *rows = json_array();
	size_t j;

	json_object_set_new(o, "layer", json_string(L->name));
	json_object_set_new(o, "reached", json_string(reach_key(L->reach)));
	json_object_set_new(o, "result", json_string(L->result));
	if (L->layer == VL_SG && L->reach != EXPLAIN_NOT_REACHED) {
		json_object_set_new(o, "outcome", json_string(sg_outcome_name(x->v.sg_outcome)));
		json_object_set_new(o, "tracked", json_boolean(x->v.sg_outcome == SGO_NEW_TRACKED ||
							       x->v.sg_outcome == SGO_FLOW_ORIG ||
							       x->v.sg_outcome == SGO_FLOW_REPLY));
	}
	for (j = 0; j < L->n_rows; j++) {
		const struct explain_row *r = &L->rows[j];
		json_t *ro = json_object();

		json_object_set_new(ro, "rule", json_string(r->name));
		json_object_set_new(ro, "text", json_string(r->text));
		json_object_set_new(ro, "role", json_string(role_key(r->role)));
		if (r->role == EXPLAIN_MISS)
			json_object_set_new(ro, "miss", json_string(miss_key(r->miss)));
		json_object_set_new(ro, "why", json_string(r->why));
		json_array_append_new(rows, ro);
	}
	json_object_set_new(o, "rules", rows);
	return o;
}

json_t *explain_json(const struct explain *x)
{
	json_t *o = json_object(), *layers = json_array(), *notes = json_array();
	size_t i;

	if (!o || !layers || !notes) {
		json_decref(o);
		json_decref(layers);
		json_decref(notes);
		return NULL;
	}
	json_object_set_new(o, "direction", json_string(dir_word(x->dir)));
	json_object_set_new(o, "packet", json_string(x->packet));
	json_object_set_new(o, "accept", json_boolean(x->v.accept));
	json_object_set_new(o, "decision", json_string(x->decision));
	json_object_set_new(o, "exempt", x->v.layer == VL_INFRA ?
			    json_string(exempt_kind_name(x->v.exempt)) : json_null());
	for (i = 0; i < x->n_layers; i++)
		json_array_append_new(layers, layer_json(&x->layers[i], x));
	json_object_set_new(o, "layers", layers);
	for (i = 0; i < x->n_notes; i++)
		json_array_append_new(notes, json_string(x->notes[i]));
	json_object_set_new(o, "notes", notes);
	json_object_set_new(o, "code", x->code ? json_string(x->code) : json_null());
	return o;
}
