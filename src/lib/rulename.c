/*
 * One name for the rule that decided (see rulename.h): every place that
 * says which rule decided a packet spells it here, so a name seen in a trace
 * can be searched for in a flow log and matched to `show rules`.
 */
#include <string.h>

#include "rulename.h"
#include "textbuf.h"

static const char *rn_dir(enum dir d)
{
	return d == DIR_IN ? "in" : "out";
}

static void rn_origin(struct textbuf *o, const struct rule_origin *at)
{
	if (!at->file)
		return;
	if (at->line)
		textbuf_put(o, " (%s:%u)", at->file, at->line);
	else
		textbuf_put(o, " (%s, entry %u)", at->file, at->index);
}

static void rn_sg_rule(struct textbuf *o, const struct ruleset *rs, enum dir d,
		       size_t i)
{
	if (rs && i < rs->n_sg)
		textbuf_put(o, "sg-%s:%s#%zu", rn_dir(d), rs->groups[rs->sg[i].group].id, i + 1);
	else
		textbuf_put(o, "sg-%s:#%zu", rn_dir(d), i + 1);
}

const char *rulename_sg(const struct ruleset *rs, enum dir d, size_t i,
			char *buf, size_t len)
{
	struct textbuf o;

	textbuf_init(&o, buf, len);
	rn_sg_rule(&o, rs, d, i);
	return buf;
}

static void rn_nacl(struct textbuf *o, const struct rule_decision *rd, unsigned flags)
{
	if (rd->same_subnet) {
		textbuf_put(o, "nacl-%s:subnet", rn_dir(rd->dir));
		if (flags & RULENAME_PROSE)
			textbuf_put(o, " (same subnet: NACL not consulted)");
		return;
	}
	if (rd->nacl_number > NACL_RULE_MAX)
		textbuf_put(o, "nacl-%s:*", rn_dir(rd->dir));
	else
		textbuf_put(o, "nacl-%s:%u", rn_dir(rd->dir), rd->nacl_number);
	if (!(flags & RULENAME_PROSE))
		return;
	textbuf_put(o, " %s", rd->nacl_allow ? "allow" : "deny");
	if ((flags & RULENAME_ORIGIN) && rd->nacl)
		rn_origin(o, &rd->nacl->origin);
}

static const char *rn_outcome_words(enum sg_outcome s)
{
	static const char *const words[] = {
		[SGO_FLOW_ORIG] = "packet of a tracked flow",
		[SGO_FLOW_REPLY] = "tracked reply",
		[SGO_NEW_TRACKED] = "new tracked flow",
		[SGO_UNTRACKED] = "untracked",
		[SGO_NO_RULE] = "no rule allows it",
		[SGO_TABLE_FULL] = "flow table full (conntrack_allowance_exceeded)",
	};

	return (unsigned)s < sizeof(words) / sizeof(words[0]) && words[s] ? words[s] : "";
}

/* The rule, when one is named and still known: the one to cite the origin of. */
static const struct sg_entry *rn_sg_entry(const struct rule_decision *rd)
{
	if (rd->sg_rule < 0 || !rd->rs || (size_t)rd->sg_rule >= rd->rs->n_sg)
		return NULL;
	return &rd->rs->sg[rd->sg_rule];
}

static void rn_sg_prose(struct textbuf *o, const struct rule_decision *rd, unsigned flags)
{
	const struct sg_entry *e = rn_sg_entry(rd);

	if (rd->sg_outcome == SGO_TABLE_FULL && rd->sg_rule >= 0) {
		textbuf_put(o, " (");
		rn_sg_rule(o, rd->rs, rd->dir, (size_t)rd->sg_rule);
		textbuf_put(o, " allows it but the flow table is full: conntrack_allowance_exceeded)");
	} else {
		if (rd->sg_rule >= 0 && !e)
			textbuf_put(o, " of rules since reloaded");
		textbuf_put(o, " (%s)", rn_outcome_words(rd->sg_outcome));
	}
	if ((flags & RULENAME_ORIGIN) && e)
		rn_origin(o, &e->origin);
}

static void rn_sg(struct textbuf *o, const struct rule_decision *rd, unsigned flags)
{
	switch (rd->sg_outcome) {
	case SGO_FLOW_ORIG:
	case SGO_FLOW_REPLY:
		textbuf_put(o, "sg:flow");
		break;
	case SGO_NEW_TRACKED:
	case SGO_UNTRACKED:
		if (rd->sg_rule >= 0)
			rn_sg_rule(o, rd->rs, rd->dir, (size_t)rd->sg_rule);
		else
			textbuf_put(o, "sg-%s:rule", rn_dir(rd->dir));	/* no policy to ask */
		break;
	case SGO_NO_RULE:
		textbuf_put(o, "sg-%s:none", rn_dir(rd->dir));
		break;
	case SGO_TABLE_FULL:
		textbuf_put(o, "sg-%s:full", rn_dir(rd->dir));
		break;
	default:
		return;
	}
	if (flags & RULENAME_PROSE)
		rn_sg_prose(o, rd, flags);
}

/* The layers in the order the packet met them: AWS's order for its direction. */
static void rn_layers(struct textbuf *o, const struct rule_decision *rd, unsigned flags)
{
	const char *sep = flags & RULENAME_PROSE ? ", then " : ",";
	bool nacl = rd->nacl_number != 0 || rd->same_subnet, sg = rd->sg_outcome != SGO_NONE;
	bool nacl_first = rd->dir == DIR_IN;

	/* The deciding layer is the last one met. */
	if ((flags & RULENAME_DECIDER) && nacl_first)
		nacl = nacl && !sg;
	else if (flags & RULENAME_DECIDER)
		sg = sg && !nacl;
	if (nacl_first && nacl)
		rn_nacl(o, rd, flags);
	if (sg) {
		if (nacl_first && nacl)
			textbuf_put(o, "%s", sep);
		rn_sg(o, rd, flags);
	}
	if (!nacl_first && nacl) {
		if (sg)
			textbuf_put(o, "%s", sep);
		rn_nacl(o, rd, flags);
	}
}

const char *rulename_decision(const struct rule_decision *rd, unsigned flags,
			      char *buf, size_t len)
{
	struct textbuf o;

	textbuf_init(&o, buf, len);
	if (rd->layer == VL_INFRA) {
		textbuf_put(&o, "exempt:%s", exempt_kind_name(rd->exempt));
		if (flags & RULENAME_PROSE)
			textbuf_put(&o, " (%s: AWS never filters it)",
				    exempt_kind_words(rd->exempt));
	} else
		rn_layers(&o, rd, flags);
	return buf;
}

void rule_decision_of(struct rule_decision *rd, const struct policy *pol,
		      const struct verdict *v, enum dir d)
{
	const struct ruleset *rs = pol ? policy_ruleset(pol) : NULL;

	memset(rd, 0, sizeof(*rd));
	rd->layer = v->layer;
	rd->dir = d;
	rd->nacl = v->nacl;
	rd->nacl_number = v->nacl ? v->nacl->number : 0;
	rd->nacl_allow = v->nacl && v->nacl->allow;
	rd->sg_outcome = v->sg_outcome;
	rd->exempt = v->exempt;
	rd->same_subnet = v->same_subnet;
	rd->sg_rule = -1;
	if (v->sg && rs && v->sg >= rs->sg && v->sg < rs->sg + rs->n_sg) {
		rd->sg_rule = (long)(v->sg - rs->sg);
		rd->rs = rs;
	}
}

const char *rulename_verdict(const struct policy *pol, const struct verdict *v,
			     enum dir d, unsigned flags, char *buf, size_t len)
{
	struct rule_decision rd;

	rule_decision_of(&rd, pol, v, d);
	return rulename_decision(&rd, flags, buf, len);
}
