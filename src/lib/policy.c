/*
 * The policy: one immutable snapshot of the rules (the ruleset and the
 * layers compiled from it) and the judge that walks the layers in AWS's
 * order (doc/aws-semantics.md 4.1). Snapshots are built whole, checked whole,
 * and swapped whole by the daemon; the flow table outlives them, which is
 * what lets tracked flows survive the removal of their rule (doc/aws-semantics.md 3.5).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "policy.h"
#include "quota.h"


struct policy {
	struct ruleset *rs;
	struct acl *acl;	/* NULL without the NACL layer */
	struct sg *sg;		/* NULL without the SG layer */
	uint64_t serial;	/* policy_serial() */
	struct policy_opts opts;
	/* Mutable through a const policy: the packet path counts into them. */
	struct rule_hits *nacl_hits[DIR_MAX];	/* acl_rule() order */
	struct rule_hits *sg_hits;		/* rs->sg order */
};

static atomic_uint_fast64_t policy_serials;

/* Serials and SG rule indexes each fill half a flow tag. */
#define POLICY_SERIAL_MAX	UINT32_MAX

static int policy_alloc_hits(struct policy *pol)
{
	int d;

	for (d = 0; pol->acl && d < DIR_MAX; d++) {
		pol->nacl_hits[d] = calloc(acl_count(pol->acl, d) + 1,
					   sizeof(struct rule_hits));
		if (!pol->nacl_hits[d])
			return -1;
	}
	pol->sg_hits = calloc(pol->rs->n_sg + 1, sizeof(struct rule_hits));
	return pol->sg_hits ? 0 : -1;
}

static void count_hit(struct rule_hits *h, const struct pkt *p)
{
	__atomic_fetch_add(&h->packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&h->bytes, p->len, __ATOMIC_RELAXED);
}

static void read_hits(const struct rule_hits *src, struct rule_hits *h)
{
	h->packets = __atomic_load_n(&src->packets, __ATOMIC_RELAXED);
	h->bytes = __atomic_load_n(&src->bytes, __ATOMIC_RELAXED);
}

void policy_nacl_hits(const struct policy *pol, enum dir d, size_t i,
		      struct rule_hits *h)
{
	memset(h, 0, sizeof(*h));
	if (pol->acl && i < acl_count(pol->acl, d))
		read_hits(&pol->nacl_hits[d][i], h);
}

void policy_sg_hits(const struct policy *pol, size_t i, struct rule_hits *h)
{
	memset(h, 0, sizeof(*h));
	if (i < pol->rs->n_sg)
		read_hits(&pol->sg_hits[i], h);
}

static void zero_array(struct rule_hits *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		__atomic_store_n(&a[i].packets, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&a[i].bytes, 0, __ATOMIC_RELAXED);
	}
}

void policy_zero_hits(const struct policy *pol)
{
	int d;

	for (d = 0; pol->acl && d < DIR_MAX; d++)
		zero_array(pol->nacl_hits[d], acl_count(pol->acl, d));
	zero_array(pol->sg_hits, pol->rs->n_sg);
}

static struct policy *policy_build(struct ruleset *rs, bool nacl_layer,
				   bool sg_layer)
{
	struct policy *pol;
	int saved;

	pol = calloc(1, sizeof(*pol));
	if (!pol)
		goto fail;
	pol->rs = rs;
	if (nacl_layer && !(pol->acl = acl_compile(rs)))
		goto fail;
	if (sg_layer && !(pol->sg = sg_compile(rs)))
		goto fail;
	if (policy_alloc_hits(pol) < 0)
		goto fail;
	pol->serial = atomic_fetch_add(&policy_serials, 1) + 1;
	/* Flow tags hold both whole (policy_flow_tag): never let them alias. */
	if (pol->serial > POLICY_SERIAL_MAX || rs->n_sg > POLICY_SERIAL_MAX) {
		errno = EOVERFLOW;
		goto fail;
	}
	return pol;
fail:
	saved = errno;
	if (pol)
		policy_free(pol);
	else
		ruleset_free(rs);
	errno = saved;
	return NULL;
}

struct policy *policy_from_ruleset(struct ruleset *rs, bool nacl_layer,
				   bool sg_layer)
{
	if (!rs) {
		errno = EINVAL;
		return NULL;
	}
	return policy_build(rs, nacl_layer, sg_layer);
}

void policy_free(struct policy *pol)
{
	if (!pol)
		return;
	acl_free(pol->acl);
	sg_free(pol->sg);
	ruleset_free(pol->rs);
	free(pol->nacl_hits[DIR_IN]);
	free(pol->nacl_hits[DIR_OUT]);
	free(pol->sg_hits);
	free(pol);
}

const struct ruleset *policy_ruleset(const struct policy *pol)
{
	return pol->rs;
}

const struct acl *policy_acl(const struct policy *pol)
{
	return pol->acl;
}

const struct sg *policy_sg(const struct policy *pol)
{
	return pol->sg;
}

void policy_set_opts(struct policy *pol, const struct policy_opts *o)
{
	pol->opts = *o;
}

const struct policy_opts *policy_opts(const struct policy *pol)
{
	return &pol->opts;
}

uint64_t policy_serial(const struct policy *pol)
{
	return pol->serial;
}

/* One file of a policy, through the loader; returns the sections asked of it. */
static unsigned load_one(struct ruleset *rs, const char *path, unsigned take,
			 const struct aws_map *map, bool regular_only, struct diag *d)
{
	/* A file holding nothing is asked for both, so that its errors say what is missing. */
	const struct load_opts o = {
		.take = take, .take_none = RULES_TAKE_NACL | RULES_TAKE_SG,
		.flags = regular_only ? LOAD_REGULAR : 0, .map = map,
	};
	struct load_info info;

	load_file(rs, path, &o, d, &info);
	return info.take;
}

/* The flags a file was given with, over both lists. */
static unsigned take_of(const struct policy_src *src, const char *path)
{
	unsigned take = 0;
	size_t i;

	for (i = 0; i < src->n_nacl; i++)
		if (!strcmp(src->nacl_files[i], path))
			take |= RULES_TAKE_NACL;
	for (i = 0; i < src->n_sg; i++)
		if (!strcmp(src->sg_files[i], path))
			take |= RULES_TAKE_SG;
	return take;
}

/* Has this path been loaded already (an earlier entry of either list)? */
static bool seen_before(const struct policy_src *src, bool in_sg, size_t at,
			const char *path)
{
	size_t i;

	for (i = 0; i < (in_sg ? src->n_nacl : at); i++)
		if (!strcmp(src->nacl_files[i], path))
			return true;
	for (i = 0; in_sg && i < at; i++)
		if (!strcmp(src->sg_files[i], path))
			return true;
	return false;
}

/* nacl_file: the first --nacl file (NULL: no NACL layer), named when it holds none. */
static struct policy *policy_compile_checked(struct ruleset *rs, const char *nacl_file,
					     bool sg_layer, bool no_quotas, struct diag *d)
{
	struct policy *pol;

	/* Only worth saying when the files themselves were clean. */
	if (diag_errors(d) == 0 && nacl_file && !rs->has_nacl)
		diag_error(d, nacl_file, "no network ACL found in the --nacl files");
	/* What AWS would refuse to hold is refused here too (quota.c). */
	if (diag_errors(d) == 0 && !no_quotas)
		quota_check(rs, d);
	if (diag_errors(d) > 0) {
		ruleset_free(rs);
		errno = EINVAL;
		return NULL;
	}
	/*
	 * The loaders check numbers themselves (doc/aws-semantics.md 6.4), so
	 * EINVAL here means a loader let a duplicate or a bad number through.
	 */
	pol = policy_build(rs, nacl_file != NULL, sg_layer);
	if (!pol && errno == EINVAL)
		diag_error(d, NULL, "the network ACL does not compile: a rule number out of range or used twice in one direction");
	else if (!pol)
		diag_error(d, NULL, "cannot compile the rules: %s", strerror(errno));
	return pol;
}

struct policy *policy_load(const struct policy_src *src, struct diag *d)
{
	struct policy *pol;
	struct ruleset *rs;
	size_t i;

	if (src->n_nacl == 0 && src->n_sg == 0) {
		diag_error(d, NULL, "no rules: give --nacl and/or --sg");
		errno = EINVAL;
		return NULL;
	}
	rs = ruleset_new();
	if (!rs) {
		diag_error(d, NULL, "cannot load the rules: %s", strerror(errno));
		return NULL;
	}
	/* Every file is read even after an error: all problems in one pass. */
	for (i = 0; i < src->n_nacl; i++)
		if (!seen_before(src, false, i, src->nacl_files[i]))
			load_one(rs, src->nacl_files[i], take_of(src, src->nacl_files[i]),
				 src->map, src->regular_only, d);
	for (i = 0; i < src->n_sg; i++)
		if (!seen_before(src, true, i, src->sg_files[i]))
			load_one(rs, src->sg_files[i], take_of(src, src->sg_files[i]),
				 src->map, src->regular_only, d);
	pol = policy_compile_checked(rs, src->n_nacl ? src->nacl_files[0] : NULL,
				     src->n_sg > 0, src->no_quotas, d);
	if (pol && src->opts)
		policy_set_opts(pol, src->opts);
	return pol;
}

struct policy *policy_check(const char *const *files, size_t n,
			    const struct aws_map *map, bool no_quotas, struct diag *d)
{
	const char *nacl_file = NULL;
	bool sg_layer = false;
	struct ruleset *rs;
	unsigned take;
	size_t i, j;

	rs = ruleset_new();
	if (!rs) {
		diag_error(d, NULL, "cannot load the rules: %s", strerror(errno));
		return NULL;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && strcmp(files[j], files[i]); j++)
			;
		if (j < i)
			continue;	/* as policy_load: a file counts once */
		take = load_one(rs, files[i], 0, map, false, d);
		if ((take & RULES_TAKE_NACL) && !nacl_file)
			nacl_file = files[i];
		sg_layer |= (take & RULES_TAKE_SG) != 0;
	}
	return policy_compile_checked(rs, nacl_file, sg_layer, no_quotas, d);
}

/* ---- the judge ---------------------------------------------------------- */

/* The NACL step; returns whether the packet may go on. */
static bool judge_nacl(const struct policy *pol, const struct pkt *p,
		       enum dir d, struct verdict *v)
{
	v->nacl = acl_eval(pol->acl, d, p);
	count_hit(&pol->nacl_hits[d][acl_index(pol->acl, d, v->nacl)], p);
	v->layer = VL_NACL;
	v->accept = v->nacl->allow;
	return v->accept;
}

static void sg_outcome(struct verdict *v, bool accept, enum sg_outcome o)
{
	v->layer = VL_SG;
	v->accept = accept;
	v->sg_outcome = o;
}

/*
 * The state a flow starts in, as flow.h documents it: a TCP flow picked up
 * mid-stream (no SYN) is ESTABLISHED, everything else NEW.
 */
static enum flow_state new_flow_state(const struct pkt *p)
{
	if (p->proto == IPPROTO_NUM_TCP && !(p->tcp_flags & TCPF_SYN))
		return FLOW_ESTABLISHED;
	return FLOW_NEW;
}

/*
 * The tag: the serial in the high 32 bits, the rule's index in the low 32.
 * Both are whole (policy_build() refuses more serials or rules than fit),
 * so a tag names one rule of one snapshot for the life of the process.
 */
uint64_t policy_flow_tag(const struct policy *pol, size_t rule)
{
	return pol->serial << 32 | (uint64_t)rule;
}

size_t policy_flow_tag_rule(uint64_t tag)
{
	return (size_t)(tag & UINT32_MAX);
}

const struct sg_entry *policy_flow_rule(const struct policy *pol, uint64_t tag)
{
	size_t i = policy_flow_tag_rule(tag);

	if (tag >> 32 != pol->serial || i >= pol->rs->n_sg)
		return NULL;
	return &pol->rs->sg[i];
}

/* A rule allowed a flow that should be tracked: create it. */
static void sg_track(const struct policy *pol, struct flow_table *ft,
		     const struct pkt *p, enum dir d, uint64_t now,
		     struct verdict *v)
{
	uint64_t tag = policy_flow_tag(pol, (size_t)(v->sg - pol->rs->sg));

	if (ft && flow_table_insert(ft, p, d, now, tag) == 0) {
		v->flow_state = new_flow_state(p);
		sg_outcome(v, true, SGO_NEW_TRACKED);
	} else if (!ft || errno == EINVAL) {
		/*
		 * Not trackable (ICMP error, lone RST, later fragment): the
		 * rule allows this one packet; nothing follows from it.
		 */
		sg_outcome(v, true, SGO_UNTRACKED);
	} else {
		/* AWS drops packets that would start new flows at the cap (doc/aws-semantics.md 3.8). */
		sg_outcome(v, false, SGO_TABLE_FULL);
	}
}

/*
 * An untracked packet: the flow table lists the flow (for `show flows`)
 * but never passes a packet for it; the next one is judged by the rules.
 */
static void sg_note_untracked(const struct policy *pol, struct flow_table *ft,
			      const struct pkt *p, enum dir d, uint64_t now,
			      const struct verdict *v)
{
	uint64_t tag = policy_flow_tag(pol, (size_t)(v->sg - pol->rs->sg));

	if (ft)
		flow_table_note_untracked(ft, p, d, now, tag);
}

/* The SG step: flow table first, then the rules of direction d. */
static bool judge_sg(const struct policy *pol, struct flow_table *ft,
		     const struct pkt *p, enum dir d, uint64_t now,
		     struct verdict *v)
{
	struct flow_hit hit;
	enum flow_match m = ft ? flow_table_lookup(ft, p, now, &hit) : FLOW_MISS;

	if (m != FLOW_MISS) {
		v->flow_state = hit.state;
		sg_outcome(v, true, m == FLOW_HIT_ORIG ? SGO_FLOW_ORIG : SGO_FLOW_REPLY);
		return true;
	}
	switch (sg_eval(pol->sg, d, p, &v->sg)) {
	case SG_ALLOW_UNTRACKED:
		sg_outcome(v, true, SGO_UNTRACKED);
		count_hit(&pol->sg_hits[v->sg - pol->rs->sg], p);
		sg_note_untracked(pol, ft, p, d, now, v);
		break;
	case SG_ALLOW_TRACKED:
		sg_track(pol, ft, p, d, now, v);
		if (v->accept)
			count_hit(&pol->sg_hits[v->sg - pol->rs->sg], p);
		break;
	default:
		v->sg = NULL;
		sg_outcome(v, false, SGO_NO_RULE);
		break;
	}
	return v->accept;
}

void policy_judge(const struct policy *pol, struct flow_table *ft,
		  const struct pkt *p, enum dir d, uint64_t now,
		  struct verdict *v)
{
	bool inside;

	memset(v, 0, sizeof(*v));
	v->accept = true;
	v->exempt = exempt_classify(&pol->opts, p);
	if (v->exempt != EXEMPT_NONE) {
		v->layer = VL_INFRA;
		return;
	}
	/* The NACL guards the subnet's edge: traffic inside one subnet never meets it. */
	inside = pol->acl && exempt_same_subnet(&pol->opts, p);
	if (d == DIR_IN) {
		v->same_subnet = inside;
		if (pol->acl && !inside && !judge_nacl(pol, p, d, v))
			return;
		if (pol->sg)
			judge_sg(pol, ft, p, d, now, v);
	} else {
		/* The SG sits on the ENI: it judges (and tracks) before the NACL. */
		if (pol->sg && !judge_sg(pol, ft, p, d, now, v))
			return;
		v->same_subnet = inside;
		if (pol->acl && !inside)
			judge_nacl(pol, p, d, v);
	}
}

const char *verdict_layer_name(enum verdict_layer l)
{
	static const char *const names[] = {
		[VL_NONE] = "none",
		[VL_INFRA] = "infra",
		[VL_NACL] = "nacl",
		[VL_SG] = "sg",
	};

	return (unsigned)l < ARRAY_SIZE(names) ? names[l] : "?";
}

const char *sg_outcome_name(enum sg_outcome o)
{
	static const char *const names[] = {
		[SGO_NONE] = "none",
		[SGO_FLOW_ORIG] = "flow-orig",
		[SGO_FLOW_REPLY] = "flow-reply",
		[SGO_NEW_TRACKED] = "new-tracked",
		[SGO_UNTRACKED] = "untracked",
		[SGO_NO_RULE] = "no-rule",
		[SGO_TABLE_FULL] = "table-full",
	};

	return (unsigned)o < ARRAY_SIZE(names) ? names[o] : "?";
}
