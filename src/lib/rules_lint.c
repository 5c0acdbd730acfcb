/*
 * Lint entry point and the shared wording: how a rule, its location and
 * what it matches are named in every warning, so that all checks speak
 * alike ("inbound rule 100", "line 3" or "entry 3", "tcp 1024-65535").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules_lint.h"
#include "rules_lint_int.h"

void lint_warn(struct lint *l, const struct rule_origin *o, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(l->d, DIAG_WARNING, o->file, o->line, 0, NULL, "%s", msg);
	l->warnings++;
}

void lint_oom(struct lint *l)
{
	if (!l->oom)
		diag_error(l->d, NULL, "lint: out of memory: some checks were skipped");
	l->oom = true;
}

static bool same_file(const struct rule_origin *a, const struct rule_origin *b)
{
	if (!a->file || !b->file)
		return true;
	return a->file == b->file || !strcmp(a->file, b->file);
}

const char *lint_ref(const struct rule_origin *o, const struct rule_origin *here,
		     char *buf, size_t len)
{
	bool same = same_file(o, here);

	if (o->line && same)
		snprintf(buf, len, "line %u", o->line);
	else if (o->line)
		snprintf(buf, len, "%s:%u", o->file, o->line);
	else if (same)
		snprintf(buf, len, "entry %u", o->index);
	else
		snprintf(buf, len, "%s entry %u", o->file, o->index);
	return buf;
}

const char *lint_self(const struct rule_origin *o, char *buf, size_t len)
{
	if (o->line)
		buf[0] = '\0';
	else
		snprintf(buf, len, " (entry %u)", o->index);
	return buf;
}

static const char *proto_text(int proto, char buf[16])
{
	const char *name = proto_name(proto);

	if (name)
		return name;
	snprintf(buf, 16, "proto %d", proto);
	return buf;
}

static void icmp_text(const char *name, int type, int code, char *buf, size_t len)
{
	if (type < 0 && code < 0)
		snprintf(buf, len, "%s all types", name);
	else if (type < 0)
		snprintf(buf, len, "%s code %d", name, code);
	else if (code < 0)
		snprintf(buf, len, "%s type %d", name, type);
	else
		snprintf(buf, len, "%s type %d code %d", name, type, code);
}

const char *lint_what(int proto, enum lint_kind k, int a, int b, char *buf, size_t len)
{
	char pbuf[16];
	const char *name = proto_text(proto, pbuf);

	if (proto == PROTO_ALL)
		snprintf(buf, len, "all traffic");
	else if (k == LK_ICMP)
		icmp_text(name, a, b, buf, len);
	else if (k == LK_ANY || (a == 0 && b == 65535))
		snprintf(buf, len, "%s%s", name,
			 proto == 6 || proto == 17 ? " all ports" : "");
	else if (a == b)
		snprintf(buf, len, "%s %d", name, a);
	else
		snprintf(buf, len, "%s %d-%d", name, a, b);
	return buf;
}

bool lint_icmp_covers(int st, int sc, int rt, int rc)
{
	return (st < 0 || (rt >= 0 && rt == st)) &&
	       (sc < 0 || (rc >= 0 && rc == sc));
}

const char *lint_admin_ports(unsigned bits)
{
	switch (bits & (ADMIN_SSH | ADMIN_RDP)) {
	case ADMIN_SSH:
		return "SSH (tcp 22)";
	case ADMIN_RDP:
		return "RDP (tcp 3389)";
	default:
		return "SSH (tcp 22) and RDP (tcp 3389)";
	}
}

size_t rules_lint_work(const struct ruleset *rs, struct diag *d, uint64_t *work)
{
	uint64_t tests = lint_cidr_tests;
	struct lint l = { .rs = rs, .d = d, .tests0 = tests };

	if (work)
		*work = 0;
	if (!rs || !d)
		return 0;
	l.reply_budget = LINT_REPLY_BUDGET_BASE +
			 LINT_REPLY_BUDGET_PER_RULE * (uint64_t)(rs->n_nacl + rs->n_sg);
	if (rs->has_nacl)
		lint_nacl(&l);
	lint_sg(&l);
	if (work)
		*work = l.steps + (lint_cidr_tests - tests) + rs->n_nacl + rs->n_sg;
	return l.warnings;
}

size_t rules_lint(const struct ruleset *rs, struct diag *d)
{
	return rules_lint_work(rs, d, NULL);
}
