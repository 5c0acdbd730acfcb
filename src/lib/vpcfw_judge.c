/*
 * The public face, part two: policies, flow tables, the judge, the
 * names of what decided, and explanations. A thin facade over policy.h,
 * flow.h, pkt.h and explain.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "flow.h"
#include "pkt.h"
#include "policy.h"
#include "rulename.h"
#include "vpcfw_int.h"

struct vpcfw_flows {
	struct flow_table *ft;
};

/* ---- policies ------------------------------------------------------------- */

/* Why the layers cannot be compiled from rs, in d; false when they can. */
static bool layers_refused(const struct ruleset *rs, unsigned layers, struct diag *d)
{
	if (!layers) {
		diag_error(d, NULL, "no rules: nothing was loaded for the NACL or the SG layer");
		return true;
	}
	if ((layers & VPCFW_LAYER_NACL) && !rs->has_nacl) {
		diag_error(d, NULL, "no network ACL found in the rules loaded for the NACL layer");
		return true;
	}
	return false;
}

/* policy_from_ruleset() taking rs over, its failure said in d as `check` says it. */
static struct policy *compile(struct ruleset *rs, unsigned layers, struct diag *d)
{
	struct policy *pol = policy_from_ruleset(rs, layers & VPCFW_LAYER_NACL,
						 layers & VPCFW_LAYER_SG);

	if (!pol && errno == EINVAL)
		diag_error(d, NULL, "the network ACL does not compile: a rule number out of range or used twice in one direction");
	else if (!pol)
		diag_error(d, NULL, "cannot compile the rules: %s", strerror(errno));
	return pol;
}

struct vpcfw_policy *vpcfw_policy_compile(struct vpcfw_rules *r, unsigned layers,
					  struct vpcfw_diag *d)
{
	struct vpcfw_policy *p = NULL;
	struct ruleset *rs;

	if (!r || r->borrowed || !d) {
		vpcfw_rules_free(r);
		errno = EINVAL;
		return NULL;
	}
	rs = r->rs;
	layers = (layers ? layers : r->layers) & VPCFW_LAYER_BOTH;
	free(r);
	if (layers_refused(rs, layers, d->d)) {
		ruleset_free(rs);
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ruleset_free(rs);
		diag_error(d->d, NULL, "cannot compile the rules: %s", strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	p->pol = compile(rs, layers, d->d);
	if (!p->pol) {
		free(p);
		return NULL;
	}
	p->layers = layers;
	/* The view is read only: the cast gives the const ruleset a handle, never a writer. */
	p->view.rs = (struct ruleset *)policy_ruleset(p->pol);
	p->view.layers = layers;
	p->view.borrowed = true;
	return p;
}

void vpcfw_policy_free(struct vpcfw_policy *p)
{
	if (!p)
		return;
	policy_free(p->pol);
	free(p);
}

unsigned vpcfw_policy_layers(const struct vpcfw_policy *p)
{
	return p ? p->layers : 0;
}

const struct vpcfw_rules *vpcfw_policy_rules(const struct vpcfw_policy *p)
{
	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	return &p->view;
}

/* ---- flow tables ---------------------------------------------------------- */

static void set_if(uint32_t *field, uint32_t value)
{
	if (value)
		*field = value;
}

struct vpcfw_flows *vpcfw_flows_new(const struct vpcfw_flow_limits *lim)
{
	struct vpcfw_flows *f = calloc(1, sizeof(*f));
	struct flow_params fp;
	int saved;

	if (!f)
		return NULL;
	flow_params_default(&fp);
	if (lim) {
		if (lim->max_flows)
			fp.max_flows = lim->max_flows;
		set_if(&fp.tcp_established_s, lim->tcp_established_s);
		set_if(&fp.udp_s, lim->udp_s);
		set_if(&fp.udp_stream_s, lim->udp_stream_s);
		set_if(&fp.icmp_s, lim->icmp_s);
		set_if(&fp.other_s, lim->other_s);
	}
	f->ft = flow_table_new(&fp);
	if (!f->ft) {
		saved = errno;
		free(f);
		errno = saved;
		return NULL;
	}
	return f;
}

void vpcfw_flows_free(struct vpcfw_flows *f)
{
	if (!f)
		return;
	flow_table_free(f->ft);
	free(f);
}

size_t vpcfw_flows_count(struct vpcfw_flows *f, uint64_t now_ms)
{
	struct flow_stats s;

	if (!f)
		return 0;
	flow_table_stats(f->ft, &s);
	flow_table_expire(f->ft, now_ms, (size_t)s.buckets);
	flow_table_stats(f->ft, &s);
	return (size_t)s.count;
}

/* ---- packets and verdicts ---------------------------------------------------- */

/*
 * Parse, and hold the parser to what pkt.h promises: the transport header
 * inside the packet, no transport fields on a later fragment. A broken
 * promise is EPROTO rather than a judgement of a packet nobody described.
 */
static int parse(struct pkt *p, const void *data, size_t caplen, size_t wirelen,
		 enum pkt_status *st)
{
	if (!data && caplen) {
		memset(p, 0, sizeof(*p));
		*st = PKT_ERR_SHORT;
		errno = EINVAL;
		return -1;
	}
	*st = pkt_parse(p, data, caplen, wirelen > caplen ? wirelen : caplen);
	if (*st != PKT_OK) {
		errno = EINVAL;
		return -1;
	}
	if (p->l4_off > p->len || ((p->flags & PKT_F_LATER_FRAG) && (p->flags & PKT_F_L4))) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static unsigned public_layer(enum verdict_layer l)
{
	switch (l) {
	case VL_INFRA:
		return VPCFW_LAYER_INFRA;
	case VL_NACL:
		return VPCFW_LAYER_NACL;
	case VL_SG:
		return VPCFW_LAYER_SG;
	default:
		return 0;
	}
}

static enum vpcfw_sg_outcome public_outcome(enum sg_outcome o)
{
	static const enum vpcfw_sg_outcome map[] = {
		[SGO_NONE] = VPCFW_SG_NONE,
		[SGO_FLOW_ORIG] = VPCFW_SG_FLOW_ORIG,
		[SGO_FLOW_REPLY] = VPCFW_SG_FLOW_REPLY,
		[SGO_NEW_TRACKED] = VPCFW_SG_NEW_TRACKED,
		[SGO_UNTRACKED] = VPCFW_SG_UNTRACKED,
		[SGO_NO_RULE] = VPCFW_SG_NO_RULE,
		[SGO_TABLE_FULL] = VPCFW_SG_TABLE_FULL,
	};

	return (size_t)o < ARRAY_SIZE(map) ? map[o] : VPCFW_SG_NONE;
}

static void publish(const struct policy *pol, const struct verdict *in,
		    enum vpcfw_dir dir, struct vpcfw_verdict *v)
{
	v->accept = in->accept;
	v->layer = public_layer(in->layer);
	v->dir = dir;
	v->nacl_rule = in->nacl ? in->nacl->number : 0;
	v->nacl_allow = in->nacl && in->nacl->allow;
	v->sg = public_outcome(in->sg_outcome);
	v->sg_rule = in->sg ? (long)(in->sg - policy_ruleset(pol)->sg) : -1;
	v->serial = policy_serial(pol);
}

int vpcfw_judge(const struct vpcfw_policy *p, struct vpcfw_flows *flows,
		const void *pkt, size_t caplen, size_t wirelen,
		enum vpcfw_dir dir, uint64_t now_ms, struct vpcfw_verdict *v)
{
	enum pkt_status st;
	struct verdict in;
	struct pkt pk;

	if (!v || !p || (dir != VPCFW_IN && dir != VPCFW_OUT) ||
	    (!flows && (p->layers & VPCFW_LAYER_SG))) {
		errno = EINVAL;
		return -1;
	}
	memset(v, 0, sizeof(*v));
	v->dir = dir;
	v->sg_rule = -1;
	v->serial = policy_serial(p->pol);
	if (parse(&pk, pkt, caplen, wirelen, &st) < 0)
		return -1;
	policy_judge(p->pol, flows ? flows->ft : NULL, &pk,
		     dir == VPCFW_IN ? DIR_IN : DIR_OUT, now_ms, &in);
	publish(p->pol, &in, dir, v);
	return 0;
}

/* ---- names ---------------------------------------------------------------- */

static enum verdict_layer private_layer(unsigned l)
{
	return l == VPCFW_LAYER_INFRA ? VL_INFRA : l == VPCFW_LAYER_NACL ? VL_NACL :
	       l == VPCFW_LAYER_SG ? VL_SG : VL_NONE;
}

static enum sg_outcome private_outcome(enum vpcfw_sg_outcome o)
{
	enum sg_outcome i;

	for (i = SGO_NONE; i <= SGO_TABLE_FULL; i++)
		if (public_outcome(i) == o)
			return i;
	return SGO_NONE;
}

/*
 * "What decided" in the library's one wording (rulename.h), the live
 * trace's: "nacl-in:100 allow, then sg-in:sg-0abc#2 (new tracked flow)".
 * The SG rule is named under p only if p judged the packet.
 */
int vpcfw_verdict_rule(const struct vpcfw_policy *p, const struct vpcfw_verdict *v,
		       char *buf, size_t len)
{
	const struct policy *pol = p ? p->pol : NULL;
	struct rule_decision rd;
	char name[1024];

	if (!v || (!buf && len)) {
		errno = EINVAL;
		return -1;
	}
	rd = (struct rule_decision){
		.layer = private_layer(v->layer),
		.dir = v->dir == VPCFW_IN ? DIR_IN : DIR_OUT,
		.nacl_number = v->nacl_rule,
		.nacl_allow = v->nacl_allow,
		.sg_outcome = private_outcome(v->sg),
		.sg_rule = v->sg_rule,
		.rs = pol && v->serial == policy_serial(pol) ? policy_ruleset(pol) : NULL,
	};
	rulename_decision(&rd, RULENAME_PROSE, name, sizeof(name));
	return snprintf(buf, len, "%s", name);
}

int vpcfw_packet_format(const void *pkt, size_t caplen, size_t wirelen,
			char *buf, size_t len)
{
	enum pkt_status st;
	struct pkt pk;
	char line[160];
	int ret, saved;

	if (!buf || !len) {
		errno = EINVAL;
		return -1;
	}
	ret = parse(&pk, pkt, caplen, wirelen, &st);
	saved = errno;
	/* As the trace: what was parsed of a malformed packet, then why it is. */
	if (ret == 0)
		snprintf(buf, len, "%s", pkt_format(&pk, line, sizeof(line)));
	else
		snprintf(buf, len, "%s malformed (%s)",
			 pk.family ? pkt_format(&pk, line, sizeof(line)) : "(unparsed)",
			 st == PKT_OK ? "inconsistent parse" : pkt_status_name(st));
	if (ret < 0) {
		errno = saved;
		return -1;
	}
	return (int)strlen(buf);
}

/* ---- explanations ------------------------------------------------------------ */

struct vpcfw_explain {
	struct explain x;
	struct vpcfw_verdict v;
};

struct vpcfw_explain *vpcfw_explain_judge(const struct vpcfw_policy *p, struct vpcfw_flows *flows,
					  const void *pkt, size_t caplen, size_t wirelen,
					  enum vpcfw_dir dir, uint64_t now_ms)
{
	struct vpcfw_explain *e;
	int saved;

	if (!p || (!pkt && caplen) || (dir != VPCFW_IN && dir != VPCFW_OUT) ||
	    (!flows && (p->layers & VPCFW_LAYER_SG))) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (explain_capture(&e->x, p->pol, flows ? flows->ft : NULL, pkt, caplen, wirelen,
			    dir == VPCFW_IN ? DIR_IN : DIR_OUT, now_ms) < 0) {
		saved = errno;
		free(e);
		errno = saved;
		return NULL;
	}
	publish(p->pol, &e->x.v, dir, &e->v);
	return e;
}

void vpcfw_explain_free(struct vpcfw_explain *x)
{
	if (!x)
		return;
	explain_clear(&x->x);
	free(x);
}

int vpcfw_explain_verdict(const struct vpcfw_explain *x, struct vpcfw_verdict *v)
{
	if (!x || !v) {
		errno = EINVAL;
		return -1;
	}
	*v = x->v;
	return 0;
}

const char *vpcfw_explain_code(const struct vpcfw_explain *x)
{
	if (!x) {
		errno = EINVAL;
		return NULL;
	}
	return x->x.code ? x->x.code : "";
}

int vpcfw_explain_write(const struct vpcfw_explain *x, bool json, FILE *out)
{
	json_t *o;
	int ret;

	if (!x || !out) {
		errno = EINVAL;
		return -1;
	}
	if (!json) {
		explain_print(&x->x, out);
	} else {
		o = explain_json(&x->x);
		if (!o) {
			errno = ENOMEM;
			return -1;
		}
		ret = json_dumpf(o, out, JSON_INDENT(2));
		json_decref(o);
		if (ret < 0 || fputc('\n', out) == EOF) {
			errno = EIO;
			return -1;
		}
	}
	if (ferror(out)) {
		errno = EIO;
		return -1;
	}
	return 0;
}
