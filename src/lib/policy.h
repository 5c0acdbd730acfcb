/*
 * The policy: an immutable snapshot of the compiled layers (NACL, SG) and the
 * judge that runs them in AWS's order:
 *   inbound:  NACL inbound, then SG (flow table first, then inbound rules)
 *   outbound: SG (flow table first, then outbound rules), then NACL outbound
 * Only configured layers take part. Snapshots are swapped whole on reload.
 */
#ifndef VPCFW_POLICY_H
#define VPCFW_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include "acl.h"
#include "aws_json.h"
#include "common.h"
#include "diag.h"
#include "exempt.h"
#include "flow.h"
#include "pkt.h"
#include "ruleset.h"
#include "sg.h"

struct policy;

/* Which rule files make up a policy (what `run` was given). */
struct policy_src {
	const char *const *nacl_files;
	size_t n_nacl;
	const char *const *sg_files;
	size_t n_sg;
	const struct aws_map *map;
	/* The engine's loads: regular files only, never waiting (file_read_regular). */
	bool regular_only;
	bool no_quotas;		/* --no-quotas: AWS's quotas not checked (quota.h) */
	/* Subnets, VPC, exemptions (exempt.h); NULL: all zero. */
	const struct policy_opts *opts;
};

/*
 * Read and compile every file. Any problem is reported in d (every file is
 * read, every error collected) and NULL is returned; nothing is half-built.
 * The NACL layer exists when n_nacl > 0, the SG layer when n_sg > 0.
 */
struct policy *policy_load(const struct policy_src *src, struct diag *d);

/*
 * Load and compile files as `vpcfw check` does, through the same loaders and
 * compiler as policy_load(): each file as if `run` were given it with the
 * flags for all it holds (a native file's sections, a JSON file's kind; a
 * file holding neither is refused as --nacl and --sg refuse it), so that
 * check accepts exactly what run accepts. A file named twice counts once.
 * Both hold the rules to AWS's quotas unless no_quotas.
 * NULL with the problems in d.
 */
struct policy *policy_check(const char *const *files, size_t n,
			    const struct aws_map *map, bool no_quotas, struct diag *d);

/*
 * Compile an already loaded ruleset (takes ownership of rs, also on failure).
 * For tests and for loaders other than files. NULL + errno on failure.
 */
struct policy *policy_from_ruleset(struct ruleset *rs, bool nacl_layer,
				   bool sg_layer);
void policy_free(struct policy *pol);

/*
 * Set the options a policy judges with (a copy is kept). Only before the
 * policy judges its first packet: policy_load() sets them from src->opts,
 * other builders (tests, the public API) call this. A new policy has them
 * all zero.
 */
void policy_set_opts(struct policy *pol, const struct policy_opts *o);
const struct policy_opts *policy_opts(const struct policy *pol);

const struct ruleset *policy_ruleset(const struct policy *pol);
const struct acl *policy_acl(const struct policy *pol);	/* NULL without the NACL layer */
const struct sg *policy_sg(const struct policy *pol);		/* NULL without the SG layer */

/*
 * The policy's serial number: 1 for the first policy built in this process,
 * and one more for each later one (a process-wide atomic counter, also
 * moved by policies that never go in force: `check`, a reload the guard
 * refuses). It tells snapshots apart: a flow tag or a trace record names a
 * rule only under the snapshot it was made under. Not the rules'
 * generation, which the engine counts (the rules it put in force).
 */
uint64_t policy_serial(const struct policy *pol);

/* The layer whose decision ended evaluation (a drop), or the last one passed. */
enum verdict_layer {
	VL_NONE = 0,		/* no layer configured (cannot happen after policy_load) */
	VL_INFRA,		/* traffic a VPC never filters: see verdict.exempt */
	VL_NACL,
	VL_SG,
};

/* What the security-group layer concluded. */
enum sg_outcome {
	SGO_NONE = 0,		/* SG layer absent, or not reached */
	SGO_FLOW_ORIG,		/* packet of a tracked flow, original direction */
	SGO_FLOW_REPLY,		/* reply of a tracked flow: passes whatever the rules say */
	SGO_NEW_TRACKED,	/* allowed by a rule; a tracked flow was created */
	SGO_UNTRACKED,		/* allowed by a rule; untracked (judged per packet) */
	SGO_NO_RULE,		/* no rule allows it: dropped */
	SGO_TABLE_FULL,		/* allowed, but the flow table is full: dropped (conntrack_allowance_exceeded) */
};

struct verdict {
	bool accept;
	enum verdict_layer layer;
	const struct nacl_entry *nacl;	/* NACL rule that decided, NULL if not consulted */
	const struct sg_entry *sg;	/* SG rule that allowed (new, untracked, or table full), else NULL */
	enum sg_outcome sg_outcome;
	enum flow_state flow_state;	/* after the packet, for flow hits and new flows */
	enum exempt_kind exempt;	/* with VL_INFRA: why no layer judged it */
	bool same_subnet;	/* both ends in one --subnet: the NACL was not consulted */
};

/*
 * Judge one parsed packet in direction d at time now (ms). Thread-safe: the
 * policy is read-only and the flow table locks itself. ft must be given when
 * the policy has an SG layer (without one, every packet a rule allows would
 * pass alone, as if untracked). The flow table outlives policies: a flow
 * created under one policy passes under the next until it times out.
 */
void policy_judge(const struct policy *pol, struct flow_table *ft,
		  const struct pkt *p, enum dir d, uint64_t now,
		  struct verdict *v);

/*
 * Per-rule counters: the packets and bytes each rule decided. A NACL rule
 * counts every packet it decided (allow or deny); a security-group rule
 * counts the packets it allowed by itself (the first packet of each tracked
 * flow, every packet of untracked traffic): packets of tracked flows are
 * counted by the flow table. Counters live as long as the policy (a reload
 * starts them at zero, like iptables-restore) and are updated atomically.
 */
struct rule_hits {
	uint64_t packets;
	uint64_t bytes;
};

/* Copies of the counters of NACL rule i of direction d (acl_rule order), of SG rule i (ruleset order). */
void policy_nacl_hits(const struct policy *pol, enum dir d, size_t i,
		      struct rule_hits *h);
void policy_sg_hits(const struct policy *pol, size_t i, struct rule_hits *h);
/* Set every counter to zero (`vpcfw zero`). */
void policy_zero_hits(const struct policy *pol);

/*
 * The tag a new flow carries: the opening rule's index in the ruleset and
 * the policy's serial, both whole (32 bits each: a policy with more SG
 * rules, or the 2^32-th policy of a process, is refused with EOVERFLOW), so
 * a listing can name the rule while the rules that opened the flow are
 * still in force, for any number of rules and of reloads.
 * policy_flow_rule() gives that rule, or NULL when the flow was opened
 * under another snapshot (since reloaded); policy_flow_tag_rule() the
 * rule's index, whatever the snapshot.
 */
uint64_t policy_flow_tag(const struct policy *pol, size_t rule);
const struct sg_entry *policy_flow_rule(const struct policy *pol, uint64_t tag);
size_t policy_flow_tag_rule(uint64_t tag);

/* Names for logs and traces. */
const char *verdict_layer_name(enum verdict_layer l);
const char *sg_outcome_name(enum sg_outcome o);

#endif
