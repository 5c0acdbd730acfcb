/*
 * The lint against doc/aws-semantics.md 1.3-1.6, 2.3 and 4.2: every classic
 * mistake with its exact warning text and location, the clean layouts that
 * must stay silent (the default NACL, the fixed web NACL, AWS's layered
 * example, a correct SG), rules imported from JSON ("entry N"), and random
 * rule sets checked against brute-force evaluation with acl_eval() and
 * sg_entry_matches() on real packets: the lint is exact, not a heuristic.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acl.h"
#include "addr.h"
#include "aws_json.h"
#include "diag.h"
#include "pkt.h"
#include "pktbuild.h"
#include "rules_lint.h"
#include "rules_lint_int.h"	/* white-box: the reply checks' budget */
#include "ruleset.h"
#include "sg.h"
/* This file has its own nspec/sspec tables (with source lines). */
#define TESTUTIL_NO_SPEC_TABLES
#include "testutil.h"

#define W(line, msg) "t.rules:" #line ": warning: " msg

/* ---- rule sets from tables ------------------------------------------------ */

/* A NACL entry: a/b are the port range, or the ICMP type/code for 1 and 58. */
struct nspec {
	uint32_t num;		/* 0 ends a list */
	char dir;		/* 'i' inbound, 'o' outbound */
	char act;		/* 'a' allow, 'd' deny */
	int16_t proto;
	int32_t a, b;
	const char *cidr;
	unsigned line;
};

#define NIN(n, act, pr, a, b, c, l)  { n, 'i', act, pr, a, b, c, l }
#define NOUT(n, act, pr, a, b, c, l) { n, 'o', act, pr, a, b, c, l }
#define NEND { 0, 0, 0, 0, 0, 0, NULL, 0 }

/* A security-group rule of group `group` (an index into the case's groups). */
struct sspec {
	int group;		/* -1 ends a list */
	char dir;
	int16_t proto;
	int32_t from, to;
	const char *cidr;
	unsigned line;
	const char *ref;	/* the sg- id it was mapped from, or NULL */
	const char *file;	/* NULL: t.rules */
};

#define SIN(g, pr, f, t, c, l)  { g, 'i', pr, f, t, c, l, NULL, NULL }
#define SOUT(g, pr, f, t, c, l) { g, 'o', pr, f, t, c, l, NULL, NULL }
#define SEND { -1, 0, 0, 0, 0, NULL, 0, NULL, NULL }

static void nacl_from_spec(struct ruleset *rs, struct nacl_entry *e,
			   const struct nspec *r)
{
	bool icmp = r->proto == 1 || r->proto == 58;

	memset(e, 0, sizeof(*e));
	e->number = r->num;
	e->egress = r->dir == 'o';
	e->allow = r->act == 'a';
	e->proto = r->proto;
	e->port_from = icmp ? 0 : (uint16_t)r->a;
	e->port_to = icmp ? 0 : (uint16_t)r->b;
	e->icmp_type = icmp ? (int16_t)r->a : -1;
	e->icmp_code = icmp ? (int16_t)r->b : -1;
	ck_assert_msg(cidr_parse(r->cidr, &e->cidr) == 0, "bad cidr %s", r->cidr);
	e->origin.file = ruleset_intern_file(rs, "t.rules");
	e->origin.line = r->line;
}

static void sg_from_spec(struct ruleset *rs, struct sg_entry *e, const struct sspec *r)
{
	memset(e, 0, sizeof(*e));
	e->egress = r->dir == 'o';
	e->proto = r->proto;
	e->from = r->from;
	e->to = r->to;
	e->group = (uint32_t)r->group;
	e->ref = (char *)r->ref;
	ck_assert_msg(cidr_parse(r->cidr, &e->cidr) == 0, "bad cidr %s", r->cidr);
	e->origin.file = ruleset_intern_file(rs, r->file ? r->file : "t.rules");
	e->origin.line = r->line;
}

static struct ruleset *ruleset_from(const struct nspec *n, const char *const *groups,
				    const struct sspec *s)
{
	struct ruleset *rs = ruleset_new();
	struct nacl_entry ne;
	struct sg_entry se;

	ck_assert_ptr_nonnull(rs);
	if (n) {
		rs->has_nacl = true;
		for (; n->num; n++) {
			nacl_from_spec(rs, &ne, n);
			ck_assert_int_eq(ruleset_add_nacl(rs, &ne), 0);
		}
	}
	for (; groups && *groups; groups++)
		ck_assert_int_ge(ruleset_add_group(rs, *groups, NULL), 0);
	for (; s && s->group >= 0; s++) {
		sg_from_spec(rs, &se, s);
		ck_assert_int_eq(ruleset_add_sg(rs, &se), 0);
	}
	return rs;
}

/* Lint rs and expect exactly these lines (NULL-terminated), in order. */
static void expect_lint(const struct ruleset *rs, const char *const *want,
			const char *name)
{
	struct diag *d = diag_new();
	char *text, *exp;
	size_t n, i, len = 1;

	ck_assert_ptr_nonnull(d);
	n = rules_lint(rs, d);
	text = tu_diag_text(d);
	for (i = 0; want[i]; i++)
		len += strlen(want[i]) + 1;
	exp = calloc(1, len);
	ck_assert_ptr_nonnull(exp);
	for (i = 0; want[i]; i++) {
		strcat(exp, want[i]);
		strcat(exp, "\n");
	}
	ck_assert_msg(!strcmp(text, exp), "%s:\nexpected:\n%s\ngot:\n%s", name, exp, text);
	ck_assert_uint_eq(n, i);
	ck_assert_uint_eq(diag_warnings(d), i);
	ck_assert_uint_eq(diag_errors(d), 0);
	free(exp);
	free(text);
	diag_free(d);
}

/* ---- the table ---------------------------------------------------------------- */

struct lcase {
	const char *name;
	const struct nspec *nacl;	/* NULL: no NACL */
	const char *const *groups;
	const struct sspec *sg;
	const char *const *want;	/* NULL-terminated */
};

static const char *const none[] = { NULL };

/* doc/aws-semantics.md 1.5: the default NACL of an IPv6 VPC. */
static const struct nspec default_nacl[] = {
	NIN(100, 'a', -1, 0, 0, "0.0.0.0/0", 1),
	NIN(101, 'a', -1, 0, 0, "::/0", 2),
	NOUT(100, 'a', -1, 0, 0, "0.0.0.0/0", 3),
	NOUT(101, 'a', -1, 0, 0, "::/0", 4),
	NEND,
};

/* A web server fixed the AWS way: 1024-65535 for replies both ways. */
static const struct nspec web_fixed[] = {
	NIN(100, 'a', 6, 80, 80, "0.0.0.0/0", 1),
	NIN(110, 'a', 6, 443, 443, "0.0.0.0/0", 2),
	NIN(120, 'a', 6, 1024, 65535, "0.0.0.0/0", 3),
	NIN(130, 'a', 6, 22, 22, "203.0.113.0/24", 4),
	NOUT(100, 'a', 6, 80, 80, "0.0.0.0/0", 5),
	NOUT(110, 'a', 6, 443, 443, "0.0.0.0/0", 6),
	NOUT(120, 'a', 6, 1024, 65535, "0.0.0.0/0", 7),
	NEND,
};

/* 4.2 #3: the Windows range only. */
static const struct nspec web_windows[] = {
	NIN(100, 'a', 6, 80, 80, "0.0.0.0/0", 1),
	NIN(110, 'a', 6, 443, 443, "0.0.0.0/0", 2),
	NOUT(100, 'a', 6, 49152, 65535, "0.0.0.0/0", 3),
	NEND,
};

static const char *const web_windows_w[] = {
	W(1, "inbound rule 100 allows tcp 80 from 0.0.0.0/0 but not all its replies leave: replies to Windows clients (49152-65535) pass, replies to Linux clients (32768-60999) are partly dropped; add an outbound allow of tcp 1024-65535 to 0.0.0.0/0; ELB and NAT gateways use 1024-65535 too"),
	W(2, "inbound rule 110 allows tcp 443 from 0.0.0.0/0 but not all its replies leave: replies to Windows clients (49152-65535) pass, replies to Linux clients (32768-60999) are partly dropped; add an outbound allow of tcp 1024-65535 to 0.0.0.0/0; ELB and NAT gateways use 1024-65535 too"),
	NULL,
};

/*
 * The Windows range served, the rest of the Linux range caught by a deny.
 * The two ranges share 49152-60999, so when Windows clients pass, Linux
 * clients are never more than partly dropped.
 */
static const struct nspec web_high_only[] = {
	NIN(100, 'a', 6, 80, 80, "0.0.0.0/0", 1),
	NOUT(100, 'a', 6, 61000, 65535, "0.0.0.0/0", 2),
	NOUT(110, 'a', 6, 49152, 60999, "0.0.0.0/0", 3),
	NOUT(120, 'd', 6, 32768, 49151, "0.0.0.0/0", 4),
	NEND,
};

static const char *const web_high_only_w[] = {
	W(1, "inbound rule 100 allows tcp 80 from 0.0.0.0/0 but not all its replies leave: replies to Windows clients (49152-65535) pass, replies to Linux clients (32768-60999) are partly dropped; add an outbound allow of tcp 1024-65535 to 0.0.0.0/0 numbered below rule 120 (line 4); ELB and NAT gateways use 1024-65535 too"),
	NULL,
};

/* 4.2 #1: no outbound rule at all; UDP and a narrow client range. */
static const struct nspec no_outbound[] = {
	NIN(100, 'a', 17, 53, 53, "10.0.0.0/16", 1),
	NEND,
};

static const char *const no_outbound_w[] = {
	W(1, "inbound rule 100 allows udp 53 from 10.0.0.0/16 but not all its replies leave: replies to Linux (32768-60999) and Windows (49152-65535) clients are dropped; add an outbound allow of udp 1024-65535 to 10.0.0.0/16; ELB and NAT gateways use 1024-65535 too"),
	NULL,
};

/* A deny in the ephemeral range numbered before the return allow. */
static const struct nspec reply_denied[] = {
	NIN(100, 'a', 6, 443, 443, "0.0.0.0/0", 1),
	NOUT(100, 'd', 6, 30000, 50000, "0.0.0.0/0", 2),
	NOUT(110, 'a', 6, 1024, 65535, "0.0.0.0/0", 3),
	NEND,
};

static const char *const reply_denied_w[] = {
	W(1, "inbound rule 100 allows tcp 443 from 0.0.0.0/0 but not all its replies leave: replies to Linux (32768-60999) and Windows (49152-65535) clients are partly dropped; add an outbound allow of tcp 1024-65535 to 0.0.0.0/0 numbered below rule 100 (line 2); ELB and NAT gateways use 1024-65535 too"),
	NULL,
};

/* 4.2 #5: an attacker blocked both ways; his replies need not leave. */
static const struct nspec blocked_both[] = {
	NIN(90, 'd', -1, 0, 0, "198.51.100.7/32", 1),
	NIN(100, 'a', 6, 80, 80, "0.0.0.0/0", 2),
	NOUT(90, 'd', -1, 0, 0, "198.51.100.7/32", 3),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 4),
	NEND,
};

/*
 * Blocked one way only (rules/web-nacl-blocklist.json): the blocked peers'
 * replies are lost on purpose, not an ephemeral-port mistake.
 */
static const struct nspec blocked_one_way[] = {
	NIN(90, 'd', -1, 0, 0, "198.51.100.0/24", 1),
	NIN(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 2),
	NIN(110, 'a', 6, 80, 80, "0.0.0.0/0", 3),
	NOUT(90, 'd', 6, 0, 65535, "192.0.2.0/24", 4),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 5),
	NOUT(110, 'a', 6, 443, 443, "0.0.0.0/0", 6),
	NEND,
};

/* A deny of every port for all the service's peers is no blocklist: it drops the replies. */
static const struct nspec blocked_all[] = {
	NIN(100, 'a', 6, 80, 80, "10.0.0.0/16", 1),
	NOUT(90, 'd', -1, 0, 0, "10.0.0.0/8", 2),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 3),
	NIN(200, 'a', 6, 22, 22, "10.0.0.0/16", 4),
	NOUT(80, 'd', 6, 40000, 40000, "10.0.0.0/24", 5),
	NEND,
};

static const char *const blocked_all_w[] = {
	W(1, "inbound rule 100 allows tcp 80 from 10.0.0.0/16 but not all its replies leave: replies to Linux (32768-60999) and Windows (49152-65535) clients are dropped; add an outbound allow of tcp 1024-65535 to 10.0.0.0/16 numbered below rule 80 (line 5); ELB and NAT gateways use 1024-65535 too"),
	W(4, "inbound rule 200 allows tcp 22 from 10.0.0.0/16 but not all its replies leave: replies to Linux (32768-60999) and Windows (49152-65535) clients are dropped; add an outbound allow of tcp 1024-65535 to 10.0.0.0/16 numbered below rule 80 (line 5); ELB and NAT gateways use 1024-65535 too"),
	NULL,
};

/* Protocol -1 outbound carries every reply. */
static const struct nspec all_returns[] = {
	NIN(100, 'a', 6, 80, 80, "10.0.0.0/8", 1),
	NIN(110, 'a', 17, 514, 514, "10.0.0.0/8", 2),
	NOUT(100, 'a', -1, 0, 0, "10.0.0.0/8", 3),
	NEND,
};

/* 4.2 #2: the host's own connections, Linux ephemeral range inbound. */
static const struct nspec out_init[] = {
	NOUT(100, 'a', 6, 443, 443, "0.0.0.0/0", 1),
	NOUT(110, 'a', 17, 53, 53, "10.0.0.2/32", 2),
	NIN(100, 'a', 17, 49152, 65535, "10.0.0.2/32", 3),
	NOUT(120, 'a', 6, 25, 25, "10.0.0.25/32", 4),
	NIN(110, 'a', 6, 32768, 60999, "10.0.0.0/24", 5),
	NOUT(130, 'a', 17, 123, 123, "192.0.2.10/32", 6),
	NEND,
};

static const char *const out_init_w[] = {
	W(1, "outbound rule 100 allows tcp 443 to 0.0.0.0/0 but the inbound rules drop some of its replies to this host's ephemeral ports (Linux 32768-60999); add an inbound allow of tcp 1024-65535 from 0.0.0.0/0"),
	W(2, "outbound rule 110 allows udp 53 to 10.0.0.2/32 but the inbound rules drop some of its replies to this host's ephemeral ports (Linux 32768-60999); add an inbound allow of udp 1024-65535 from 10.0.0.2/32"),
	W(6, "outbound rule 130 allows udp 123 to 192.0.2.10/32 but the inbound rules drop its replies to this host's ephemeral ports (Linux 32768-60999); add an inbound allow of udp 1024-65535 from 192.0.2.10/32"),
	NULL,
};

/* 4.2 #4 and its fix; an allow after a covering deny; the same action twice. */
static const struct nspec deny_after[] = {
	NIN(100, 'a', 6, 80, 80, "0.0.0.0/0", 1),
	NIN(120, 'd', 6, 80, 80, "198.51.100.0/24", 2),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 3),
	NEND,
};

static const char *const deny_after_w[] = {
	W(2, "inbound deny rule 120 never fires: allow rule 100 (line 1) matches everything it does; give the deny a lower number than 100"),
	NULL,
};

static const struct nspec deny_before[] = {
	NIN(90, 'd', 6, 80, 80, "198.51.100.0/24", 1),
	NIN(100, 'a', 6, 80, 80, "0.0.0.0/0", 2),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 3),
	NEND,
};

static const struct nspec allow_after[] = {
	NIN(100, 'd', -1, 0, 0, "198.51.100.0/24", 1),
	NIN(110, 'a', 6, 80, 80, "198.51.100.7/32", 2),
	NEND,
};

static const char *const allow_after_w[] = {
	W(2, "inbound allow rule 110 never fires: deny rule 100 (line 1) matches everything it does; give the allow a lower number than 100 or remove it"),
	NULL,
};

static const struct nspec same_action[] = {
	NIN(100, 'a', 6, 80, 80, "10.0.0.0/8", 1),
	NIN(130, 'a', 6, 80, 80, "10.1.0.0/16", 2),
	NOUT(100, 'd', -1, 0, 0, "198.51.100.0/24", 3),
	NOUT(110, 'd', 6, 25, 25, "198.51.100.0/25", 4),
	NOUT(120, 'a', 6, 1024, 65535, "10.0.0.0/8", 5),
	NEND,
};

static const char *const same_action_w[] = {
	W(2, "inbound rule 130 never decides anything: rule 100 (line 1) already matches all its packets; remove it"),
	W(4, "outbound rule 110 never decides anything: rule 100 (line 3) already matches all its packets; remove it"),
	NULL,
};

/* Overlaps that are not coverage stay silent; ICMP type/code coverage. */
static const struct nspec partial[] = {
	NIN(100, 'a', 6, 80, 90, "10.0.0.0/8", 1),
	NIN(110, 'd', 6, 85, 100, "10.0.0.0/8", 2),
	NIN(120, 'd', 6, 80, 80, "0.0.0.0/0", 3),
	NIN(130, 'a', 17, 80, 90, "10.0.0.0/8", 4),
	NIN(140, 'a', 1, 3, -1, "0.0.0.0/0", 5),
	NIN(150, 'd', 1, 3, 4, "10.0.0.0/8", 6),
	NIN(160, 'a', 1, 8, 0, "0.0.0.0/0", 7),
	NIN(170, 'a', 1, 8, -1, "0.0.0.0/0", 8),
	NIN(180, 'a', -1, 0, 0, "10.0.0.0/8", 9),
	NOUT(100, 'a', -1, 0, 0, "10.0.0.0/8", 10),
	NEND,
};

static const char *const partial_w[] = {
	W(6, "inbound deny rule 150 never fires: allow rule 140 (line 5) matches everything it does; give the deny a lower number than 140"),
	NULL,
};

/* SSH/RDP from /0, decided or not by earlier rules. */
static const struct nspec admin_open[] = {
	NIN(100, 'a', 6, 22, 22, "0.0.0.0/0", 1),
	NIN(110, 'a', 6, 20, 3389, "0.0.0.0/0", 2),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 3),
	NEND,
};

static const char *const admin_open_w[] = {
	W(1, "inbound rule 100 opens SSH (tcp 22) to 0.0.0.0/0; narrow the source to the addresses you administer from"),
	W(2, "inbound rule 110 opens RDP (tcp 3389) to 0.0.0.0/0; narrow the source to the addresses you administer from"),
	NULL,
};

static const struct nspec admin_decided[] = {
	NIN(90, 'd', 6, 22, 22, "0.0.0.0/0", 1),
	NIN(100, 'a', 6, 0, 1023, "0.0.0.0/0", 2),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 3),
	NEND,
};

static const struct nspec admin_partly[] = {
	NIN(90, 'a', 6, 22, 22, "203.0.113.0/24", 1),
	NIN(100, 'a', 6, 22, 3389, "::/0", 2),
	NIN(110, 'a', 6, 22, 22, "0.0.0.0/0", 3),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 4),
	NOUT(101, 'a', 6, 1024, 65535, "::/0", 5),
	NEND,
};

static const char *const admin_partly_w[] = {
	W(2, "inbound rule 100 opens SSH (tcp 22) and RDP (tcp 3389) to ::/0; narrow the source to the addresses you administer from"),
	W(3, "inbound rule 110 opens SSH (tcp 22) to 0.0.0.0/0; narrow the source to the addresses you administer from"),
	NULL,
};

/* 4.2 #11: IPv4 rules without an IPv6 twin in an ACL with IPv6 rules. */
static const struct nspec v6_twin[] = {
	NIN(100, 'a', 6, 80, 80, "0.0.0.0/0", 1),
	NIN(101, 'a', 6, 80, 80, "::/0", 2),
	NIN(110, 'a', 6, 443, 443, "0.0.0.0/0", 3),
	NIN(120, 'a', 1, 3, 4, "0.0.0.0/0", 4),
	NIN(121, 'a', 58, 2, -1, "::/0", 5),
	NIN(130, 'a', 6, 22, 22, "203.0.113.0/24", 6),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 7),
	NOUT(101, 'a', 6, 1024, 65535, "::/0", 8),
	NEND,
};

static const char *const v6_twin_w[] = {
	W(3, "inbound rule 110 allows tcp 443 from 0.0.0.0/0 for IPv4 only, but this ACL has IPv6 rules: IPv6 traffic gets the * deny; add the same rule for ::/0"),
	NULL,
};

static const struct nspec v6_replies[] = {
	NIN(100, 'a', 6, 80, 80, "0.0.0.0/0", 1),
	NIN(101, 'a', 6, 80, 80, "::/0", 2),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0", 3),
	NEND,
};

static const char *const v6_replies_w[] = {
	W(2, "inbound rule 101 allows tcp 80 from ::/0 but not all its replies leave: replies to Linux (32768-60999) and Windows (49152-65535) clients are dropped; add an outbound allow of tcp 1024-65535 to ::/0; ELB and NAT gateways use 1024-65535 too"),
	W(3, "outbound rule 100 allows tcp 1024-65535 to 0.0.0.0/0 for IPv4 only, but this ACL has IPv6 rules: IPv6 traffic gets the * deny; add the same rule for ::/0"),
	NULL,
};

/* doc/aws-semantics.md 4.3: AWS's layered example, the SG's self-reference mapped. */
static const struct nspec layered_nacl[] = {
	NIN(100, 'a', 6, 22, 22, "172.31.1.2/32", 1),
	NOUT(100, 'a', 6, 1024, 65535, "172.31.1.2/32", 2),
	NEND,
};

static const char *const layered_groups[] = { "sg-1234567890abcdef0", NULL };

static const struct sspec layered_sg[] = {
	SIN(0, 6, 22, 22, "172.31.1.2/32", 10),
	{ 0, 'i', -1, -1, -1, "172.31.0.10/32", 11, "sg-1234567890abcdef0", NULL },
	{ 0, 'i', -1, -1, -1, "172.31.0.11/32", 11, "sg-1234567890abcdef0", NULL },
	SOUT(0, -1, -1, -1, "0.0.0.0/0", 12),
	SEND,
};

/* A correct web + database pair of groups. */
static const char *const web_groups[] = { "sg-web", "sg-db", NULL };

static const struct sspec web_sg[] = {
	SIN(0, 6, 80, 80, "0.0.0.0/0", 1),
	SIN(0, 6, 80, 80, "::/0", 2),
	SIN(0, 6, 443, 443, "0.0.0.0/0", 3),
	SIN(0, 6, 443, 443, "::/0", 4),
	SIN(0, 6, 22, 22, "203.0.113.0/24", 5),
	SIN(0, 1, 3, 4, "0.0.0.0/0", 6),
	SIN(0, 58, 2, -1, "::/0", 7),
	SOUT(0, -1, -1, -1, "0.0.0.0/0", 8),
	SOUT(0, -1, -1, -1, "::/0", 9),
	SIN(1, 6, 5432, 5432, "10.0.1.0/24", 10),
	SEND,
};

static const char *const abc_groups[] = { "sg-a", "sg-b", "sg-c", NULL };

static const struct sspec sg_admin[] = {
	SIN(0, 6, 22, 22, "0.0.0.0/0", 1),
	SIN(0, 6, 3389, 3389, "::/0", 2),
	SIN(0, 6, 0, 1023, "10.0.0.0/8", 3),
	SOUT(0, 6, -1, -1, "0.0.0.0/0", 4),
	SOUT(0, 6, 3389, 3389, "0.0.0.0/0", 5),
	SEND,
};

static const char *const sg_admin_w[] = {
	W(1, "sg-a inbound tcp 22 from 0.0.0.0/0 opens SSH (tcp 22) to the world; narrow the source to the addresses you administer from"),
	W(2, "sg-a inbound tcp 3389 from ::/0 opens RDP (tcp 3389) to the world; narrow the source to the addresses you administer from"),
	W(4, "sg-a outbound tcp all ports to 0.0.0.0/0 covers IPv4 only, but this group has IPv6 rules: IPv6 traffic is dropped; add the same rule for ::/0"),
	W(5, "sg-a outbound tcp 3389 to 0.0.0.0/0 is already allowed by sg-a outbound tcp all ports to 0.0.0.0/0 (line 4); remove it"),
	NULL,
};

static const struct sspec sg_all_open[] = {
	SIN(1, -1, -1, -1, "0.0.0.0/0", 1),
	SIN(2, 6, 80, 80, "10.0.0.0/8", 2),
	SIN(0, 17, 3389, 3389, "0.0.0.0/0", 3),
	SEND,
};

static const char *const sg_all_open_w[] = {
	W(1, "sg-b inbound all traffic from 0.0.0.0/0 opens SSH (tcp 22) and RDP (tcp 3389) to the world; narrow the source to the addresses you administer from"),
	W(2, "sg-c inbound tcp 80 from 10.0.0.0/8 is already allowed by sg-b inbound all traffic from 0.0.0.0/0 (line 1); remove it"),
	W(3, "sg-a inbound udp 3389 from 0.0.0.0/0 is already allowed by sg-b inbound all traffic from 0.0.0.0/0 (line 1); remove it"),
	NULL,
};

/* Union semantics: duplicates once, across groups, equivalent forms, chains. */
static const struct sspec sg_redundant[] = {
	SIN(0, 6, 443, 443, "10.0.0.0/8", 1),
	SIN(0, 6, 443, 443, "10.0.0.0/8", 2),
	SIN(1, 6, 443, 443, "10.1.0.0/16", 3),
	SOUT(1, 6, 443, 443, "10.1.0.0/16", 4),
	SIN(0, 6, 80, 90, "10.0.0.0/16", 5),
	SIN(0, 6, 85, 100, "10.0.0.0/8", 6),
	SIN(1, 17, -1, -1, "10.2.0.0/16", 7),
	SIN(1, 17, 0, 65535, "10.2.0.0/16", 8),
	SIN(2, 6, 8080, 8080, "172.16.0.0/16", 9),
	SIN(2, 6, 8080, 8080, "172.16.0.0/12", 10),
	SIN(2, 6, 8000, 8100, "172.16.0.0/12", 11),
	SIN(2, 1, 8, -1, "192.0.2.0/24", 12),
	SIN(2, 1, 8, 0, "192.0.2.0/24", 13),
	SIN(2, 1, 0, -1, "192.0.2.0/24", 14),
	SIN(2, 47, -1, -1, "192.0.2.0/24", 15),
	SIN(2, 47, -1, -1, "192.0.2.0/25", 16),
	SIN(2, 50, -1, -1, "192.0.2.0/25", 17),
	SEND,
};

static const char *const sg_redundant_w[] = {
	W(2, "sg-a inbound tcp 443 from 10.0.0.0/8 is already allowed by sg-a inbound tcp 443 from 10.0.0.0/8 (line 1); remove it"),
	W(3, "sg-b inbound tcp 443 from 10.1.0.0/16 is already allowed by sg-a inbound tcp 443 from 10.0.0.0/8 (line 1); remove it"),
	W(8, "sg-b inbound udp all ports from 10.2.0.0/16 is already allowed by sg-b inbound udp all ports from 10.2.0.0/16 (line 7); remove it"),
	W(9, "sg-c inbound tcp 8080 from 172.16.0.0/16 is already allowed by sg-c inbound tcp 8000-8100 from 172.16.0.0/12 (line 11); remove it"),
	W(10, "sg-c inbound tcp 8080 from 172.16.0.0/12 is already allowed by sg-c inbound tcp 8000-8100 from 172.16.0.0/12 (line 11); remove it"),
	W(13, "sg-c inbound icmp type 8 code 0 from 192.0.2.0/24 is already allowed by sg-c inbound icmp type 8 from 192.0.2.0/24 (line 12); remove it"),
	W(16, "sg-c inbound proto 47 from 192.0.2.0/25 is already allowed by sg-c inbound proto 47 from 192.0.2.0/24 (line 15); remove it"),
	NULL,
};

/* IPv4 /0 rules of a group with IPv6 rules; ICMP's twin is ICMPv6. */
static const char *const v6_groups[] = { "sg-web", "sg-v4", NULL };

static const struct sspec sg_v6[] = {
	SIN(0, 6, 80, 80, "0.0.0.0/0", 1),
	SIN(0, 6, 80, 80, "::/0", 2),
	SIN(0, 6, 443, 443, "0.0.0.0/0", 3),
	SOUT(0, -1, -1, -1, "0.0.0.0/0", 4),
	SIN(1, 6, 8443, 8443, "0.0.0.0/0", 5),
	SIN(0, 1, 3, 4, "0.0.0.0/0", 6),
	SIN(0, 58, -1, -1, "::/0", 7),
	SIN(0, 17, 500, 500, "0.0.0.0/0", 8),
	SIN(0, 17, 0, 1000, "::/0", 9),
	SEND,
};

static const char *const sg_v6_w[] = {
	W(3, "sg-web inbound tcp 443 from 0.0.0.0/0 covers IPv4 only, but this group has IPv6 rules: IPv6 traffic is dropped; add the same rule for ::/0"),
	W(4, "sg-web outbound all traffic to 0.0.0.0/0 covers IPv4 only, but this group has IPv6 rules: IPv6 traffic is dropped; add the same rule for ::/0"),
	NULL,
};

/* Another file: the other rule's location names it. */
static const char *const ab_groups[] = { "sg-a", "sg-b", NULL };

static const struct sspec sg_files[] = {
	{ 0, 'i', 6, 443, 443, "10.0.0.0/8", 3, NULL, "a.rules" },
	{ 1, 'i', 6, 443, 443, "10.0.5.0/24", 7, NULL, "b.rules" },
	{ 1, 'i', -1, -1, -1, "10.9.0.0/16", 8, "sg-db", "b.rules" },
	{ 1, 'i', 6, 5432, 5432, "10.9.0.0/24", 9, "sg-db", "b.rules" },
	SEND,
};

static const char *const sg_files_w[] = {
	"b.rules:7: warning: sg-b inbound tcp 443 from 10.0.5.0/24 is already allowed by sg-a inbound tcp 443 from 10.0.0.0/8 (a.rules:3); remove it",
	"b.rules:9: warning: sg-b inbound tcp 5432 from 10.9.0.0/24 via sg-db is already allowed by sg-b inbound all traffic from 10.9.0.0/16 via sg-db (line 8); remove it",
	NULL,
};

static const struct lcase cases[] = {
	{ "default nacl", default_nacl, NULL, NULL, none },
	{ "web fixed", web_fixed, NULL, NULL, none },
	{ "web windows range", web_windows, NULL, NULL, web_windows_w },
	{ "web high ranges", web_high_only, NULL, NULL, web_high_only_w },
	{ "no outbound", no_outbound, NULL, NULL, no_outbound_w },
	{ "reply denied", reply_denied, NULL, NULL, reply_denied_w },
	{ "blocked both ways", blocked_both, NULL, NULL, none },
	{ "blocked one way", blocked_one_way, NULL, NULL, none },
	{ "blocked all", blocked_all, NULL, NULL, blocked_all_w },
	{ "all returns", all_returns, NULL, NULL, none },
	{ "outbound initiated", out_init, NULL, NULL, out_init_w },
	{ "deny after allow", deny_after, NULL, NULL, deny_after_w },
	{ "deny before allow", deny_before, NULL, NULL, none },
	{ "allow after deny", allow_after, NULL, NULL, allow_after_w },
	{ "same action", same_action, NULL, NULL, same_action_w },
	{ "partial overlap", partial, NULL, NULL, partial_w },
	{ "admin open", admin_open, NULL, NULL, admin_open_w },
	{ "admin decided", admin_decided, NULL, NULL, none },
	{ "admin partly", admin_partly, NULL, NULL, admin_partly_w },
	{ "v6 twin", v6_twin, NULL, NULL, v6_twin_w },
	{ "v6 replies", v6_replies, NULL, NULL, v6_replies_w },
	{ "layered", layered_nacl, layered_groups, layered_sg, none },
	{ "correct sg", NULL, web_groups, web_sg, none },
	{ "sg admin", NULL, abc_groups, sg_admin, sg_admin_w },
	{ "sg all open", NULL, abc_groups, sg_all_open, sg_all_open_w },
	{ "sg redundant", NULL, abc_groups, sg_redundant, sg_redundant_w },
	{ "sg v6", NULL, v6_groups, sg_v6, sg_v6_w },
	{ "sg files", NULL, ab_groups, sg_files, sg_files_w },
};

START_TEST(test_case)
{
	const struct lcase *c = &cases[_i];
	struct ruleset *rs = ruleset_from(c->nacl, c->groups, c->sg);

	expect_lint(rs, c->want, c->name);
	ruleset_free(rs);
}
END_TEST

/* An empty rule set, and one with only an empty NACL: nothing to say. */
START_TEST(test_empty)
{
	struct ruleset *rs = ruleset_new();

	ck_assert_ptr_nonnull(rs);
	expect_lint(rs, none, "empty");
	rs->has_nacl = true;
	expect_lint(rs, none, "fresh custom nacl");
	ruleset_free(rs);
}
END_TEST

/* ---- JSON: entry N instead of a line -------------------------------------- */

static const char nacl_json[] =
	"{\"NetworkAcls\": [{\"NetworkAclId\": \"acl-1\", \"Entries\": ["
	"{\"RuleNumber\": 100, \"Protocol\": \"6\", \"PortRange\": {\"From\": 80, \"To\": 80},"
	" \"Egress\": false, \"RuleAction\": \"allow\", \"CidrBlock\": \"0.0.0.0/0\"},"
	"{\"RuleNumber\": 120, \"Protocol\": \"6\", \"PortRange\": {\"From\": 80, \"To\": 80},"
	" \"Egress\": false, \"RuleAction\": \"deny\", \"CidrBlock\": \"198.51.100.0/24\"},"
	"{\"RuleNumber\": 32767, \"Protocol\": \"-1\", \"Egress\": false,"
	" \"RuleAction\": \"deny\", \"CidrBlock\": \"0.0.0.0/0\"},"
	"{\"RuleNumber\": 90, \"Protocol\": \"6\", \"PortRange\": {\"From\": 40000, \"To\": 40000},"
	" \"Egress\": true, \"RuleAction\": \"deny\", \"CidrBlock\": \"0.0.0.0/0\"},"
	"{\"RuleNumber\": 110, \"Protocol\": \"6\", \"PortRange\": {\"From\": 3389, \"To\": 3389},"
	" \"Egress\": false, \"RuleAction\": \"allow\", \"CidrBlock\": \"0.0.0.0/0\"},"
	"{\"RuleNumber\": 100, \"Protocol\": \"6\", \"PortRange\": {\"From\": 1024, \"To\": 65535},"
	" \"Egress\": true, \"RuleAction\": \"allow\", \"CidrBlock\": \"0.0.0.0/0\"}"
	"]}]}";

static const char *const nacl_json_w[] = {
	"acl.json: warning: inbound rule 100 (entry 0) allows tcp 80 from 0.0.0.0/0 but not all its replies leave: replies to Windows clients (49152-65535) pass, replies to Linux clients (32768-60999) are partly dropped; add an outbound allow of tcp 1024-65535 to 0.0.0.0/0 numbered below rule 90 (entry 3); ELB and NAT gateways use 1024-65535 too",
	"acl.json: warning: inbound rule 110 (entry 4) opens RDP (tcp 3389) to 0.0.0.0/0; narrow the source to the addresses you administer from",
	"acl.json: warning: inbound rule 110 (entry 4) allows tcp 3389 from 0.0.0.0/0 but not all its replies leave: replies to Windows clients (49152-65535) pass, replies to Linux clients (32768-60999) are partly dropped; add an outbound allow of tcp 1024-65535 to 0.0.0.0/0 numbered below rule 90 (entry 3); ELB and NAT gateways use 1024-65535 too",
	"acl.json: warning: inbound deny rule 120 (entry 1) never fires: allow rule 100 (entry 0) matches everything it does; give the deny a lower number than 100",
	NULL,
};

static const char sg_json[] =
	"{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"GroupName\": \"web\","
	" \"IpPermissions\": ["
	"{\"IpProtocol\": \"tcp\", \"FromPort\": 443, \"ToPort\": 443,"
	" \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}]},"
	"{\"IpProtocol\": \"tcp\", \"FromPort\": 443, \"ToPort\": 443,"
	" \"IpRanges\": [{\"CidrIp\": \"10.1.0.0/16\"}, {\"CidrIp\": \"0.0.0.0/0\"}],"
	" \"Ipv6Ranges\": [{\"CidrIpv6\": \"::/0\"}]}],"
	" \"IpPermissionsEgress\": [{\"IpProtocol\": \"-1\","
	" \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}]}]}";

static const char *const sg_json_w[] = {
	"sg.json: warning: sg-1 inbound tcp 443 from 10.0.0.0/8 (entry 0) is already allowed by sg-1 inbound tcp 443 from 0.0.0.0/0 (entry 1); remove it",
	"sg.json: warning: sg-1 inbound tcp 443 from 10.1.0.0/16 (entry 1) is already allowed by sg-1 inbound tcp 443 from 0.0.0.0/0 (entry 1); remove it",
	"sg.json: warning: sg-1 outbound all traffic to 0.0.0.0/0 (entry 0) covers IPv4 only, but this group has IPv6 rules: IPv6 traffic is dropped; add the same rule for ::/0",
	NULL,
};

static void expect_json(enum aws_kind kind, const char *name, const char *text,
			const char *const *want)
{
	struct ruleset *rs = ruleset_new();
	struct diag *d = diag_new();
	char *msgs;

	ck_assert_ptr_nonnull(rs);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(aws_json_load_buffer(rs, kind, name, text, strlen(text), NULL, d), 0);
	msgs = tu_diag_text(d);
	ck_assert_msg(diag_errors(d) == 0, "%s", msgs);
	free(msgs);
	diag_free(d);
	expect_lint(rs, want, name);
	ruleset_free(rs);
}

START_TEST(test_json)
{
	expect_json(AWS_KIND_NACL, "acl.json", nacl_json, nacl_json_w);
	expect_json(AWS_KIND_SG, "sg.json", sg_json, sg_json_w);
}
END_TEST

/* ---- exactness against brute force ---------------------------------------- */

static unsigned long rng = 12345;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ul + 1442695040888963407ul;
	return (unsigned)((rng >> 33) % n);
}

/* Every prefix the random rules use, and one address per class they make. */
static const char *const pool_cidr[] = {
	"0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/28", "10.0.0.0/29", "10.0.0.8/29",
	"10.0.0.4/30", "10.0.0.8/31", "10.0.0.5/32", "10.0.0.12/32",
};

static const char *const universe[] = {
	"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5",
	"10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.0.11",
	"10.0.0.12", "10.0.0.13", "10.0.0.14", "10.0.0.15", "10.1.0.1", "192.0.2.1",
};

#define HOST "172.16.0.1"

struct range { uint16_t lo, hi; };

static const struct range pool_svc[] = { { 80, 80 }, { 70, 90 }, { 53, 53 }, { 80, 85 } };
static const struct range pool_any[] = {
	{ 1024, 65535 }, { 32768, 60999 }, { 49152, 65535 }, { 30000, 40000 },
	{ 50000, 50000 }, { 0, 65535 }, { 80, 80 }, { 60999, 61000 }, { 75, 100 },
};

static void random_rule(struct ruleset *rs, struct nacl_entry *e, uint32_t num,
			bool egress, const struct range *pr, size_t npr)
{
	static const int16_t protos[] = { 6, 6, 6, -1, 17 };
	const struct range *r = &pr[rnd((unsigned)npr)];

	memset(e, 0, sizeof(*e));
	e->number = num;
	e->egress = egress;
	e->allow = rnd(3) != 0;
	e->proto = protos[rnd(ARRAY_SIZE(protos))];
	e->port_from = r->lo;
	e->port_to = r->hi;
	e->icmp_type = e->icmp_code = -1;
	ck_assert_int_eq(cidr_parse(pool_cidr[rnd(ARRAY_SIZE(pool_cidr))], &e->cidr), 0);
	e->origin.file = ruleset_intern_file(rs, "r.rules");
	e->origin.line = num;	/* the number doubles as the line */
}

/* Port classes: every rule boundary inside [lo, hi], and the ends. */
static size_t port_classes(const struct ruleset *rs, uint16_t lo, uint16_t hi,
			   uint16_t *out)
{
	size_t i, n = 0;

	out[n++] = lo;
	out[n++] = hi;
	for (i = 0; i < rs->n_nacl; i++) {
		long b[4] = { rs->nacl[i].port_from - 1L, rs->nacl[i].port_from,
			      rs->nacl[i].port_to, rs->nacl[i].port_to + 1L };
		unsigned k;

		for (k = 0; k < 4; k++)
			if (b[k] >= lo && b[k] <= hi)
				out[n++] = (uint16_t)b[k];
	}
	return n;
}

static void tcp_pkt(struct pkt *p, int proto, const char *src, uint16_t sport,
		    const char *dst, uint16_t dport)
{
	uint8_t buf[PB_MAX];
	size_t len = proto == 17 ? pb_udp(buf, src, sport, dst, dport, 0)
				 : pb_tcp(buf, src, sport, dst, dport, TCPF_ACK);

	ck_assert_int_eq(pkt_parse(p, buf, len, len), PKT_OK);
}

struct brute {
	bool allowed, dropped;
	uint32_t deny;		/* lowest explicit deny that drops a reply; 0: none */
};

/* A deny of every port of svc's protocol for peers strictly inside svc's CIDR. */
static bool blocklist_entry(const struct nacl_entry *r, const struct nacl_entry *svc)
{
	bool all_ports = r->proto == -1 ||
			 (r->proto == svc->proto && r->port_from == 0 && r->port_to == 65535);

	return r->number <= NACL_RULE_MAX && !r->allow && all_ports &&
	       r->cidr.plen > svc->cidr.plen &&
	       cidr_contains(&svc->cidr, r->cidr.family, r->cidr.addr);
}

/* Replies of service rule svc (inbound) to the clients it decides for, ports lo-hi. */
static void brute_replies(const struct acl *a, const struct ruleset *rs,
			  const struct nacl_entry *svc, uint16_t lo, uint16_t hi,
			  struct brute *b)
{
	uint16_t sp[64], rp[64];
	size_t ns = port_classes(rs, svc->port_from, svc->port_to, sp);
	size_t nr = port_classes(rs, lo, hi, rp), u, i, j;
	struct pkt p;

	memset(b, 0, sizeof(*b));
	for (u = 0; u < ARRAY_SIZE(universe); u++) {
		bool decided = false;

		for (i = 0; i < ns && !decided; i++) {
			tcp_pkt(&p, svc->proto, universe[u], 40000, HOST, sp[i]);
			decided = acl_eval(a, DIR_IN, &p)->number == svc->number;
		}
		for (j = 0; decided && j < nr; j++) {
			const struct nacl_entry *r;

			tcp_pkt(&p, svc->proto, HOST, sp[0], universe[u], rp[j]);
			r = acl_eval(a, DIR_OUT, &p);
			if (r->allow) {
				b->allowed = true;
				continue;
			}
			if (blocklist_entry(r, svc))
				continue;
			b->dropped = true;
			if (r->number <= NACL_RULE_MAX && (!b->deny || r->number < b->deny))
				b->deny = r->number;
		}
	}
}

static const char *brute_status(const struct brute *b)
{
	return !b->dropped ? "pass" : b->allowed ? "are partly dropped" : "are dropped";
}

/* The warning the lint must give for svc, built from the brute-force facts. */
static void expected_reply_warning(const struct nacl_entry *svc, const struct brute *lin,
				   const struct brute *win, char *buf, size_t len)
{
	char cidr[CIDR_STRLEN], clients[200], below[64] = "", ports[16];
	const char *ls = brute_status(lin), *ws = brute_status(win);
	const char *pn = svc->proto == 6 ? "tcp" : "udp";

	buf[0] = '\0';
	if (!lin->dropped)
		return;
	if (!strcmp(ls, ws))
		snprintf(clients, sizeof(clients), "replies to Linux (32768-60999) and Windows (49152-65535) clients %s", ls);
	else if (!win->dropped)
		snprintf(clients, sizeof(clients), "replies to Windows clients (49152-65535) pass, replies to Linux clients (32768-60999) %s", ls);
	else
		snprintf(clients, sizeof(clients), "replies to Linux clients (32768-60999) %s, replies to Windows clients (49152-65535) %s", ls, ws);
	if (lin->deny)
		snprintf(below, sizeof(below), " numbered below rule %u (line %u)", lin->deny, lin->deny);
	if (svc->port_from == svc->port_to)
		snprintf(ports, sizeof(ports), "%u", svc->port_from);
	else
		snprintf(ports, sizeof(ports), "%u-%u", svc->port_from, svc->port_to);
	cidr_format(&svc->cidr, cidr, sizeof(cidr));
	snprintf(buf, len, "r.rules:%u: warning: inbound rule %u allows %s %s from %s but not all its replies leave: %s; add an outbound allow of %s 1024-65535 to %s%s; ELB and NAT gateways use 1024-65535 too",
		 svc->number, svc->number, pn, ports, cidr, clients, pn, cidr, below);
}

/* The lint's line (without its newline) for the rule at `line` containing `what`, or "". */
static void lint_line(const char *text, unsigned line, const char *what, char *buf, size_t len)
{
	const char *p = text;
	char key[48];

	buf[0] = '\0';
	snprintf(key, sizeof(key), "r.rules:%u: warning: ", line);
	while ((p = strstr(p, key))) {
		const char *end = strchr(p, '\n');
		size_t n = (size_t)(end - p);

		if ((p == text || p[-1] == '\n') && memmem(p, n, what, strlen(what))) {
			snprintf(buf, len, "%.*s", (int)n, p);
			return;
		}
		p = end;
	}
}

START_TEST(test_replies_exact)
{
	unsigned round;

	for (round = 0; round < 300; round++) {
		struct ruleset *rs = ruleset_new();
		struct diag *d = diag_new();
		struct nacl_entry e, svc;
		struct brute lin, win;
		char want[1024], got[1024], *text;
		unsigned k, n_in = rnd(4), n_out = 1 + rnd(5), svc_at = rnd(n_in + 1);
		struct acl *a;

		rs->has_nacl = true;
		for (k = 0; k <= n_in; k++) {
			if (k == svc_at) {
				random_rule(rs, &svc, 10 * (k + 1), false, pool_svc, ARRAY_SIZE(pool_svc));
				svc.allow = true;
				svc.proto = rnd(4) ? 6 : 17;
				e = svc;
			} else {
				random_rule(rs, &e, 10 * (k + 1), false, pool_svc, ARRAY_SIZE(pool_svc));
			}
			ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
		}
		for (k = 0; k < n_out; k++) {
			random_rule(rs, &e, 1000 + 10 * k, true, pool_any, ARRAY_SIZE(pool_any));
			ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
		}
		a = acl_compile(rs);
		ck_assert_ptr_nonnull(a);
		brute_replies(a, rs, &svc, 32768, 60999, &lin);
		brute_replies(a, rs, &svc, 49152, 65535, &win);
		expected_reply_warning(&svc, &lin, &win, want, sizeof(want));
		rules_lint(rs, d);
		text = tu_diag_text(d);
		lint_line(text, svc.number, "replies leave", got, sizeof(got));
		ck_assert_msg(!strcmp(want, got), "round %u:\nwant: %s\ngot:  %s\nall:\n%s",
			      round, want, got, text);
		free(text);
		acl_free(a);
		diag_free(d);
		ruleset_free(rs);
	}
}
END_TEST

/* Does every packet of the universe that e matches also match s? */
static bool brute_covers(const struct nacl_entry *s, const struct nacl_entry *e,
			 const struct ruleset *rs, enum dir dir)
{
	static const int protos[] = { 6, 17, 1, 47 };
	/* Every type and code the rules use, and one they do not. */
	static const uint8_t types[] = { 3, 8, 0 }, codes[] = { 0, 1, 3, 4, 8 };
	uint16_t ports[64];
	size_t np = port_classes(rs, 0, 65535, ports), u, i, j;
	uint8_t buf[PB_MAX];
	struct pkt p;

	for (u = 0; u < ARRAY_SIZE(universe); u++) {
		const char *peer = universe[u];
		const char *src = dir == DIR_IN ? peer : HOST, *dst = dir == DIR_IN ? HOST : peer;

		for (i = 0; i < ARRAY_SIZE(protos); i++) {
			size_t n = protos[i] == 1 ? ARRAY_SIZE(types) * ARRAY_SIZE(codes) :
				   protos[i] == 47 ? 1 : np;

			for (j = 0; j < n; j++) {
				size_t len;

				if (protos[i] == 1)
					len = pb_icmp(buf, src, dst, types[j / ARRAY_SIZE(codes)],
						      codes[j % ARRAY_SIZE(codes)], 1);
				else if (protos[i] == 47)
					len = pb_proto(buf, src, dst, 47, 8);
				else if (protos[i] == 6)
					len = pb_tcp(buf, src, 40000, dst, ports[j], TCPF_SYN);
				else
					len = pb_udp(buf, src, 40000, dst, ports[j], 8);
				ck_assert_int_eq(pkt_parse(&p, buf, len, len), PKT_OK);
				if (nacl_entry_matches(e, dir, &p) && !nacl_entry_matches(s, dir, &p))
					return false;
			}
		}
	}
	return true;
}

static void random_shadow_rule(struct ruleset *rs, struct nacl_entry *e, uint32_t num)
{
	static const int16_t protos[] = { 6, 17, -1, 1, 47 };
	static const int16_t tc[] = { -1, 3, 8, 0, 4 };	/* types: the first 3 */

	random_rule(rs, e, num, false, pool_any, ARRAY_SIZE(pool_any));
	e->proto = protos[rnd(ARRAY_SIZE(protos))];
	if (e->proto == 1) {
		e->icmp_type = tc[rnd(3)];
		e->icmp_code = e->icmp_type < 0 ? -1 : tc[rnd(ARRAY_SIZE(tc))];
		e->port_from = e->port_to = 0;
	}
}

START_TEST(test_shadow_exact)
{
	unsigned round;

	for (round = 0; round < 200; round++) {
		struct ruleset *rs = ruleset_new();
		struct diag *d = diag_new();
		unsigned k, i, n = 2 + rnd(5);
		struct nacl_entry e;
		char *text;

		rs->has_nacl = true;
		for (k = 0; k < n; k++) {
			random_shadow_rule(rs, &e, 10 * (k + 1));
			ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
		}
		rules_lint(rs, d);
		text = tu_diag_text(d);
		for (i = 0; i < n; i++) {
			const struct nacl_entry *x = &rs->nacl[i], *s = NULL;
			char got[1024], want[1024] = "";

			for (k = 0; k < i && !s; k++)
				if (brute_covers(&rs->nacl[k], x, rs, DIR_IN))
					s = &rs->nacl[k];
			if (s && s->allow != x->allow)
				snprintf(want, sizeof(want), "r.rules:%u: warning: inbound %s rule %u never fires: %s rule %u (line %u) matches everything it does; give the %s a lower number than %u%s",
					 x->number, x->allow ? "allow" : "deny", x->number, s->allow ? "allow" : "deny",
					 s->number, s->number, x->allow ? "allow" : "deny", s->number,
					 x->allow ? " or remove it" : "");
			else if (s)
				snprintf(want, sizeof(want), "r.rules:%u: warning: inbound rule %u never decides anything: rule %u (line %u) already matches all its packets; remove it",
					 x->number, x->number, s->number, s->number);
			lint_line(text, x->number, "never", got, sizeof(got));
			ck_assert_msg(!strcmp(want, got), "round %u rule %u:\nwant: %s\ngot:  %s\nall:\n%s",
				      round, x->number, want, got, text);
		}
		free(text);
		diag_free(d);
		ruleset_free(rs);
	}
}
END_TEST

/* SG: "already allowed" exactly when another rule covers it, checked on packets. */
static bool brute_sg_covers(const struct sg_entry *s, const struct sg_entry *e)
{
	/* Every port boundary, type and code the random rules use, and others. */
	static const uint16_t ports[] = { 0, 22, 79, 80, 81, 443, 1023, 1024, 65535 };
	static const uint8_t icmp[][2] = { { 8, 0 }, { 8, 1 }, { 3, 0 }, { 0, 1 } };
	const size_t np = ARRAY_SIZE(ports), ni = ARRAY_SIZE(icmp);
	uint8_t buf[PB_MAX];
	size_t u, i, len;
	struct pkt p;

	for (u = 0; u < ARRAY_SIZE(universe); u++) {
		for (i = 0; i < np + ni + 1; i++) {
			if (i < np)
				len = pb_tcp(buf, universe[u], 40000, HOST, ports[i], TCPF_SYN);
			else if (i < np + ni)
				len = pb_icmp(buf, universe[u], HOST, icmp[i - np][0], icmp[i - np][1], 1);
			else
				len = pb_udp(buf, universe[u], 40000, HOST, 80, 8);
			ck_assert_int_eq(pkt_parse(&p, buf, len, len), PKT_OK);
			if (sg_entry_matches(e, DIR_IN, &p) && !sg_entry_matches(s, DIR_IN, &p))
				return false;
		}
	}
	return true;
}

static void random_sg_rule(struct ruleset *rs, struct sg_entry *e, unsigned line)
{
	static const struct { int16_t proto; int32_t from, to; } kinds[] = {
		{ 6, 80, 80 }, { 6, 79, 81 }, { 6, -1, -1 }, { 6, 0, 65535 }, { 6, 80, 443 },
		{ 17, 80, 80 }, { -1, -1, -1 }, { 1, 8, -1 }, { 1, -1, -1 }, { 1, 8, 0 },
	};
	unsigned k = rnd(ARRAY_SIZE(kinds));

	memset(e, 0, sizeof(*e));
	e->proto = kinds[k].proto;
	e->from = kinds[k].from;
	e->to = kinds[k].to;
	/* No /0: SSH/RDP and IPv6 warnings stay out of the way. */
	ck_assert_int_eq(cidr_parse(pool_cidr[1 + rnd(ARRAY_SIZE(pool_cidr) - 1)], &e->cidr), 0);
	e->group = rnd(2);
	e->origin.file = ruleset_intern_file(rs, "r.rules");
	e->origin.line = line;
}

START_TEST(test_sg_exact)
{
	unsigned round;

	for (round = 0; round < 200; round++) {
		struct ruleset *rs = ruleset_new();
		struct diag *d = diag_new();
		unsigned n = 2 + rnd(6), i, j, n_red = 0;
		bool red[8];
		struct sg_entry e;
		char *text;

		ck_assert_int_ge(ruleset_add_group(rs, "sg-a", NULL), 0);
		ck_assert_int_ge(ruleset_add_group(rs, "sg-b", NULL), 0);
		for (i = 0; i < n; i++) {
			random_sg_rule(rs, &e, i + 1);
			ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
		}
		for (i = 0; i < n; i++) {
			red[i] = false;
			for (j = 0; j < n && !red[i]; j++)
				red[i] = j != i && brute_sg_covers(&rs->sg[j], &rs->sg[i]) &&
					 !(j > i && brute_sg_covers(&rs->sg[i], &rs->sg[j]));
			n_red += red[i];
		}
		rules_lint(rs, d);
		text = tu_diag_text(d);
		ck_assert_uint_eq(diag_warnings(d), n_red);
		for (i = 0; i < n; i++) {
			char got[1024];

			lint_line(text, i + 1, "already allowed by", got, sizeof(got));
			ck_assert_msg(red[i] == (got[0] != '\0'), "round %u rule %u: %s", round, i + 1, text);
			if (!red[i])
				continue;
			/* The named rule really covers it and is not redundant itself. */
			for (j = 0; j < n; j++) {
				char tag[32];

				snprintf(tag, sizeof(tag), "(line %u)", j + 1);
				if (strstr(got, tag))
					break;
			}
			ck_assert_msg(j < n && !red[j] && brute_sg_covers(&rs->sg[j], &rs->sg[i]),
				      "round %u rule %u: %s", round, i + 1, got);
		}
		free(text);
		diag_free(d);
		ruleset_free(rs);
	}
}
END_TEST

/* ---- growth: no check compares every pair --------------------------------- */

static uint32_t grow_seed;

static uint32_t grow_rnd(uint32_t n)
{
	grow_seed = grow_seed * 1103515245u + 12345u;
	return (grow_seed >> 8) % n;
}

/* A /32 (every tenth a /24) in 10.0.0.0/8, or 10.0.0.0/8 itself now and then. */
static void grow_peer(unsigned k, struct cidr *c)
{
	char text[32];

	if (k % 500 == 1)
		snprintf(text, sizeof(text), "10.0.0.0/8");
	else if (k % 10 == 0)
		snprintf(text, sizeof(text), "10.%u.%u.0/24", grow_rnd(256), grow_rnd(256));
	else
		snprintf(text, sizeof(text), "10.%u.%u.%u/32", grow_rnd(256), grow_rnd(256),
			 grow_rnd(256));
	ck_assert_int_eq(cidr_parse(text, c), 0);
}

/*
 * n SG rules in 8 groups and n/4 NACL entries per direction, as a large
 * export holds them: many narrow peers, a few broad SG rules covering many.
 * The NACL's peers are narrow: the ephemeral-reply check works on exact
 * sets, whose size grows with the rules inside a service's prefix (a /0
 * service above thousands of /32 rules costs the square of them).
 */
static struct ruleset *grow_ruleset(unsigned n)
{
	struct ruleset *rs = ruleset_new();
	unsigned k, g;

	grow_seed = 7;
	ck_assert_ptr_nonnull(rs);
	for (g = 0; g < 8; g++) {
		char id[16];

		snprintf(id, sizeof(id), "sg-%u", g + 1);
		ck_assert_int_ge(ruleset_add_group(rs, id, NULL), 0);
	}
	for (k = 0; k < n; k++) {
		struct sg_entry e = { .egress = k % 4 == 3, .proto = k % 3 ? 6 : 17,
				      .group = k % 8, .origin = { NULL, 0, k } };

		e.from = 1 + (int32_t)grow_rnd(60000);
		e.to = k % 2 ? e.from : e.from + (int32_t)grow_rnd(2000);
		grow_peer(k, &e.cidr);
		ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
	}
	rs->has_nacl = true;
	for (k = 0; k < n / 2; k++) {
		struct nacl_entry e = { .number = k / 2 + 1, .egress = k % 2, .allow = k % 5 != 0,
					.proto = 6, .icmp_type = -1, .icmp_code = -1,
					.origin = { NULL, 0, k } };

		e.port_from = (uint16_t)(1 + grow_rnd(30000));
		e.port_to = (uint16_t)(e.port_from + (k % 3 ? 0 : grow_rnd(40000)));
		grow_peer(k % 500 == 1 ? k + 1 : k, &e.cidr);	/* narrow peers only */
		ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
	}
	return rs;
}

/*
 * Four times the rules may cost a little over four times the work (n log n),
 * never sixteen (every pair): the work counted, not the time taken.
 */
START_TEST(test_growth)
{
	uint64_t work[2];
	size_t warned[2];
	unsigned i, n[2] = { 2000, 8000 };
	char *text;

	for (i = 0; i < 2; i++) {
		struct ruleset *rs = grow_ruleset(n[i]);
		struct diag *d = diag_new();

		warned[i] = rules_lint_work(rs, d, &work[i]);
		ck_assert_uint_eq(diag_errors(d), 0);
		text = tu_diag_text(d);
		ck_assert_msg(!strstr(text, "checks stopped"), "%u rules: %s", n[i], text);
		free(text);
		diag_free(d);
		ruleset_free(rs);
	}
	ck_assert_uint_gt(warned[0], 100);	/* the checks had things to find */
	ck_assert_uint_gt(warned[1], 3 * warned[0]);
	ck_assert_msg(work[1] < 7 * work[0], "work %llu for %u rules, %llu for %u",
		      (unsigned long long)work[0], n[0], (unsigned long long)work[1], n[1]);
}
END_TEST

/*
 * The reply checks' worst case: /0 services above thousands of /32 denies,
 * whose exact peer sets grow with the square of the rules. The work stops
 * at the budget, the first services are still checked exactly, and a note
 * names where the checks stopped and how many went unchecked.
 */
START_TEST(test_reply_budget)
{
	struct ruleset *rs = ruleset_new();
	struct diag *d = diag_new();
	unsigned k, n = 2000;
	uint64_t work, budget;
	char *text;

	grow_seed = 11;
	rs->has_nacl = true;
	for (k = 0; k < n; k++) {
		struct nacl_entry e = { .number = k + 1, .egress = false, .allow = k % 2,
					.proto = 6, .icmp_type = -1, .icmp_code = -1,
					.port_from = 1, .port_to = 65535,
					.origin = { NULL, 0, k } };
		char peer[32];

		if (e.allow) {
			e.port_from = e.port_to = (uint16_t)(k + 1);
			snprintf(peer, sizeof(peer), "0.0.0.0/0");
		} else {
			snprintf(peer, sizeof(peer), "10.%u.%u.%u/32", grow_rnd(256),
				 grow_rnd(256), grow_rnd(256));
		}
		ck_assert_int_eq(cidr_parse(peer, &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
	}
	/* Outbound: the replies to 10.1.0.0/16 denied, everything else allowed. */
	{
		struct nacl_entry e = { .number = 1, .egress = true, .allow = false, .proto = 6,
					.icmp_type = -1, .icmp_code = -1, .port_from = 1024,
					.port_to = 65535, .origin = { NULL, 0, n } };

		ck_assert_int_eq(cidr_parse("10.1.0.0/16", &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
		e = (struct nacl_entry){ .number = 100, .egress = true, .allow = true,
					 .proto = PROTO_ALL, .icmp_type = -1, .icmp_code = -1,
					 .origin = { NULL, 0, n + 1 } };
		ck_assert_int_eq(cidr_parse("0.0.0.0/0", &e.cidr), 0);
		ck_assert_int_eq(ruleset_add_nacl(rs, &e), 0);
	}
	budget = LINT_REPLY_BUDGET_BASE + LINT_REPLY_BUDGET_PER_RULE * rs->n_nacl;
	rules_lint_work(rs, d, &work);
	text = tu_diag_text(d);
	ck_assert_uint_eq(diag_errors(d), 0);
	/* One walk may overshoot by what a single region step costs: far below the budget. */
	ck_assert_msg(work < 2 * budget, "work %llu, budget %llu", (unsigned long long)work,
		      (unsigned long long)budget);
	ck_assert_msg(strstr(text, "note: return-traffic checks stopped at inbound rule "),
		      "%s", text);
	ck_assert_msg(strstr(text, " of 1000 service rules were not checked"), "%s", text);
	/* The first service was checked before the budget ran out, and warned. */
	ck_assert_msg(strstr(text, "inbound rule 2 (entry 1) allows tcp 2 from 0.0.0.0/0 but not all its replies leave"),
		      "%s", text);
	ck_assert_msg(!strstr(text, "inbound rule 2000 (entry 1999) allows"), "%s", text);
	free(text);
	diag_free(d);
	ruleset_free(rs);
}
END_TEST

static Suite *lint_suite(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("cases");

	tcase_add_loop_test(tc, test_case, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	tc = tcase_create("exact");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_replies_exact);
	tcase_add_test(tc, test_shadow_exact);
	tcase_add_test(tc, test_sg_exact);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_reply_budget);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(lint_suite());
}
