/*
 * Private to the lint: what rules_lint.c (entry point, messages),
 * rules_lint_region.c (address x port sets), rules_lint_cover.c (which
 * rule covers which, all at once), rules_lint_nacl.c, rules_lint_reply.c
 * and rules_lint_sg.c share. Not for other modules.
 */
#ifndef VPCFW_RULES_LINT_INT_H
#define VPCFW_RULES_LINT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "diag.h"
#include "ruleset.h"

/* Ephemeral port ranges (doc/aws-semantics.md 1.6). */
#define EPH_LINUX_LO	32768
#define EPH_LINUX_HI	60999
#define EPH_WIN_LO	49152
#define EPH_WIN_HI	65535
#define EPH_ANY_LO	1024		/* ELB, NAT gateway, Lambda: what to advise */
#define EPH_ANY_HI	65535

#define PORT_SSH	22
#define PORT_RDP	3389

struct lint {
	const struct ruleset *rs;
	struct diag *d;
	size_t warnings;
	uint64_t steps;		/* work done, for the tests' growth check */
	struct reply_memo *memo;	/* walks of the reply checks already made */
	bool oom;		/* a check was skipped: reported once, as an error */
	/*
	 * The reply checks work on exact peer sets, whose size can grow with
	 * the square of the rules (a /0 service above thousands of /32 denies).
	 * Past this many steps they stop (see lint_nacl_replies) and a note
	 * says how many service rules went unchecked: `check` stays about as
	 * fast as loading, for any file `run` accepts.
	 */
	uint64_t reply_budget;		/* steps + containment tests */
	uint64_t tests0;		/* lint_cidr_tests at the start */
	size_t replies_cut, services;
	const struct nacl_entry *cut_at;	/* the first service rule left unchecked */
};

/*
 * The budget, in steps and containment tests (30-40 M a second on the
 * development machine): a base of about a quarter second, plus a little
 * per rule. An ACL within AWS's quotas needs a few thousand.
 */
#define LINT_REPLY_BUDGET_BASE		(8ull * 1000 * 1000)
#define LINT_REPLY_BUDGET_PER_RULE	1000ull

void lint_warn(struct lint *l, const struct rule_origin *o, const char *fmt, ...)
	PRINTF_FMT(3, 4);
void lint_oom(struct lint *l);

/* Where a rule other than the warned one is: "line 3", "entry 0", "b.rules:3". */
const char *lint_ref(const struct rule_origin *o, const struct rule_origin *here,
		     char *buf, size_t len);
/* " (entry 3)" for a JSON rule, "" when the line is already in the location. */
const char *lint_self(const struct rule_origin *o, char *buf, size_t len);

/* What a rule matches beyond its peer. */
enum lint_kind {
	LK_ANY,			/* proto -1, a protocol without ports, TCP/UDP all ports in an SG */
	LK_PORTS,		/* TCP/UDP destination port range a-b */
	LK_ICMP,		/* ICMP type a, code b; -1 = any */
};

/* "all traffic", "tcp 80", "tcp 1024-65535", "icmp type 3 code 4", "proto 47". */
const char *lint_what(int proto, enum lint_kind k, int a, int b, char *buf, size_t len);
/* Does (type st, code sc) cover (type rt, code rc)? -1 is any. */
bool lint_icmp_covers(int st, int sc, int rt, int rc);
/* "SSH (tcp 22)", "RDP (tcp 3389)" or both, for a bit set of 1 (SSH) | 2 (RDP). */
const char *lint_admin_ports(unsigned bits);
#define ADMIN_SSH	1u
#define ADMIN_RDP	2u

/* ---- sets of (address, destination port) -------------------------------- */

struct lint_box {
	struct cidr c;
	uint16_t lo, hi;
};

struct lint_region {
	struct lint_box *b;
	size_t n, cap;
};

/* Does prefix `outer` contain prefix `inner` (same family)? Counted in lint_cidr_tests. */
bool lint_cidr_has(const struct cidr *outer, const struct cidr *inner);
extern _Thread_local uint64_t lint_cidr_tests;

/* Do the prefixes (all of one family) hold every address of it? */
bool lint_prefixes_cover_all(const struct cidr *c, size_t n);

void region_init(struct lint_region *r);
void region_free(struct lint_region *r);
/* 0, or -1 with errno ENOMEM (the region is then unchanged). */
int region_add(struct lint_region *r, const struct cidr *c, uint16_t lo, uint16_t hi);
bool region_overlaps(const struct lint_region *r, const struct lint_box *b);
/* Remove b from r. 0, or -1 with errno ENOMEM (r is then unchanged). */
int region_subtract(struct lint_region *r, const struct lint_box *b);
/* Every address of in, with ports lo-hi; contained prefixes are merged. */
int region_project(const struct lint_region *in, uint16_t lo, uint16_t hi,
		   struct lint_region *out);

/* ---- who covers whom, for all rules at once (rules_lint_cover.c) ----------- */

#define COVER_KEY	25	/* direction, family, prefix, protocol, ICMP type/code */

/*
 * What a rule matches beyond its peer: protocol (PROTO_ALL covers every
 * other), a port range lo-hi (0-65535 for "all ports", ICMP and protocols
 * without ports), and for ICMP the type/code keys whose rules cover it
 * (sub[0] is its own).
 */
struct cover_shape {
	int proto;
	int32_t lo, hi;
	int32_t sub[4];
	unsigned n_sub;
};

void cover_shape_ports(struct cover_shape *s, int proto, int lo, int hi);
void cover_shape_icmp(struct cover_shape *s, int proto, int type, int code);
void cover_shape_any(struct cover_shape *s, int proto);

struct cover_item {
	uint8_t k[COVER_KEY];
	int32_t lo, hi, value;
};

struct cover_query {
	uint8_t k[COVER_KEY];
	int32_t a, b;
	uint32_t owner;
};

struct cover {
	struct cover_item *items;
	size_t n_items, cap_items;
	struct cover_query *q;
	size_t n_q, cap_q;
	uint64_t plens[2][2][3];	/* [egress][v6] prefix lengths that items have */
	uint64_t steps;			/* sweep events, for the tests' growth check */
};

/* The key of the group a rule (c, s) is an item of: equal keys and ports, equal rules. */
void cover_key(uint8_t k[COVER_KEY], bool egress, const struct cidr *c,
	       const struct cover_shape *s);
void cover_init(struct cover *cv);
void cover_free(struct cover *cv);
/* An item: covers the rules inside c matching less than s. 0 or -1 (ENOMEM). */
int cover_add(struct cover *cv, bool egress, const struct cidr *c,
	      const struct cover_shape *s, int32_t value);
/*
 * Ask, after every cover_add: which items cover the rule (c, s)?
 * cover_run() then lowers best[owner] to the least value among them.
 */
int cover_ask(struct cover *cv, bool egress, const struct cidr *c,
	      const struct cover_shape *s, uint32_t owner);
/* Answer every question (best[] set by the caller, INT32_MAX: none). 0 or -1 (ENOMEM). */
int cover_run(struct cover *cv, int32_t *best);

/* ---- the checks ----------------------------------------------------------- */

void lint_nacl(struct lint *l);
/* One direction of the NACL in evaluation order. */
struct nacl_dir {
	const struct nacl_entry **v;	/* one direction, ascending number */
	size_t n;
	bool *quiet;			/* never decides anything: skip its other checks */
	uint32_t *by_addr;		/* positions by (family, address, prefix length) */
	uint64_t plens[2][3];		/* [v6] prefix lengths present */
	uint32_t *near;			/* scratch for lint_nacl_near() */
};
/*
 * The positions (ascending) of the rules whose prefix contains c or lies in
 * it: the only ones whose packets can meet c's. Returns how many, in
 * nd->near. O(log n) per prefix length present, plus the answer.
 */
size_t lint_nacl_near(struct lint *l, const struct nacl_dir *nd, const struct cidr *c);
/* Ephemeral-port return checks for service rule i of own against the other direction. */
void lint_nacl_replies(struct lint *l, const struct nacl_dir *own, size_t i,
		       const struct nacl_dir *other);
/* After the last lint_nacl_replies(): a note if the budget cut the checks short. */
void lint_nacl_replies_done(struct lint *l);
bool lint_nacl_box(const struct nacl_entry *e, int proto, struct lint_box *b);
void lint_reply_memo_free(struct lint *l);
/*
 * A TCP/UDP allow for a service, not a return rule: its ports lie below the
 * Linux ephemeral range and do not cover old Windows' 1025-5000 either
 * (1024-65535, 32768-65535 and 0-65535 are return rules).
 */
bool lint_nacl_is_service(const struct nacl_entry *e);

void lint_sg(struct lint *l);

#endif
