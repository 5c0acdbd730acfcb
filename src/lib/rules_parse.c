/*
 * The statements of the native rule language (list, nacl, sg, inbound,
 * outbound, eni), the sections they open, and the entry points. The rules
 * themselves are in rules_rule.c. Every bad line is reported, once, at its
 * leftmost problem; a bad header still opens its section so that the
 * rules below it are checked without a cascade of messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

#define MSG_LEN		512
#define QUOTE_MAX	40	/* longer tokens are shortened in messages */

/* ---- messages ------------------------------------------------------- */

static const char *current_source(struct rparser *p)
{
	if (!p->src)
		p->src = strndup(p->ln.text, p->ln.len);
	return p->src;
}

static void rp_vreport(struct rparser *p, enum diag_level lvl, unsigned col,
		       const char *fmt, va_list ap) PRINTF_FMT(4, 0);

static void rp_vreport(struct rparser *p, enum diag_level lvl, unsigned col,
		       const char *fmt, va_list ap)
{
	char msg[MSG_LEN];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	diag_add(p->d, lvl, p->name, p->ln.no, col, current_source(p), "%s", msg);
}

int rp_error(struct rparser *p, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rp_vreport(p, DIAG_ERROR, col, fmt, ap);
	va_end(ap);
	p->errors++;
	return -1;
}

void rp_warning(struct rparser *p, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rp_vreport(p, DIAG_WARNING, col, fmt, ap);
	va_end(ap);
}

int rp_tok_error(struct rparser *p, const struct rtok *t, const char *fmt, ...)
{
	va_list ap;

	if (t->type == RTOK_ERROR)
		return rp_error(p, t->col, "%s", p->ln.err);
	va_start(ap, fmt);
	rp_vreport(p, DIAG_ERROR, t->col, fmt, ap);
	va_end(ap);
	p->errors++;
	return -1;
}

void rp_oom(struct rparser *p)
{
	if (!p->oom)
		diag_error(p->d, p->name, "out of memory");
	p->oom = true;
	p->errors++;
}

const char *rp_quote(const struct rtok *t, char *buf, size_t len)
{
	switch (t->type) {
	case RTOK_WORD:
		if (t->len > QUOTE_MAX)
			snprintf(buf, len, "'%.*s...'", QUOTE_MAX - 3, t->text);
		else
			snprintf(buf, len, "'%.*s'", (int)t->len, t->text);
		return buf;
	case RTOK_STRING:
		return "string";
	case RTOK_COMMA:
		return "','";
	case RTOK_EQUALS:
		return "'='";
	default:
		return "the end of the line";
	}
}

/* ---- lists ---------------------------------------------------------- */

const struct rlist *rp_list_find(const struct rparser *p, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < p->n_lists; i++)
		if (strlen(p->lists[i].name) == len && !memcmp(p->lists[i].name, s, len))
			return &p->lists[i];
	return NULL;
}

static bool has_char(const struct rtok *t, char c)
{
	return memchr(t->text, c, t->len) != NULL;
}

int rp_cidr(struct rparser *p, const struct rtok *t, const char *expected,
	    struct cidr *c)
{
	char word[CIDR_STRLEN + 8], q[64];
	bool v6;

	if (t->type != RTOK_WORD ||
	    !(has_char(t, ':') || (t->text[0] >= '0' && t->text[0] <= '9' && has_char(t, '.'))))
		return rp_tok_error(p, t, "%s", expected);
	v6 = has_char(t, ':');
	if (t->len < CIDR_STRLEN) {
		snprintf(word, sizeof(word), "%.*s", (int)t->len, t->text);
		if (cidr_parse(word, c) == 0)
			return 0;
		if (!has_char(t, '/')) {
			snprintf(word, sizeof(word), "%.*s/%d", (int)t->len, t->text,
				 v6 ? 128 : 32);
			if (cidr_parse(word, c) == 0)
				return rp_error(p, t->col, "%s has no prefix length: write %s",
						rp_quote(t, q, sizeof(q)), word);
		}
	}
	return rp_error(p, t->col, "%s is not an %s CIDR (%s)", rp_quote(t, q, sizeof(q)),
			v6 ? "IPv6" : "IPv4", v6 ? "x:y::z/n, n 0-128" : "a.b.c.d/n, n 0-32");
}

static int list_name(struct rparser *p, const struct rtok *t)
{
	const struct rlist *old;
	char q[64];

	if (t->type != RTOK_WORD)
		return rp_tok_error(p, t, "expected a list name after list");
	if (!rules_is_name(t->text, t->len))
		return rp_error(p, t->col, "a list name starts with a letter and holds only letters, digits, '-', '_' and '.'");
	if (rules_kw_find(t->text, t->len))
		return rp_error(p, t->col, "%s is a keyword and cannot name a list",
				rp_quote(t, q, sizeof(q)));
	old = rp_list_find(p, t->text, t->len);
	if (old)
		return rp_error(p, t->col, "list '%s' is already defined on line %u",
				old->name, old->line);
	return 0;
}

/* The CIDRs after '=': ADDR [, ADDR]... */
static int list_cidrs(struct rparser *p, struct rlist *l, size_t i)
{
	const struct rtok *t = p->ln.tok;
	struct cidr c;
	char a[CIDR_STRLEN];
	size_t k;

	for (;; i++) {
		if (rp_cidr(p, &t[i], "expected a CIDR (a.b.c.d/n or x:y::z/n)", &c) < 0)
			return -1;
		for (k = 0; k < l->n; k++)
			if (!memcmp(&l->cidrs[k], &c, sizeof(c)))
				return rp_error(p, t[i].col, "list '%s' already holds %s",
						l->name, cidr_format(&c, a, sizeof(a)));
		l->cidrs[l->n++] = c;
		if (t[++i].type == RTOK_END)
			return 0;
		if (t[i].type != RTOK_COMMA)
			return rp_tok_error(p, &t[i], "expected ',' or the end of the line");
	}
}

/* list NAME = ADDR [, ADDR]... */
static void stmt_list(struct rparser *p)
{
	const struct rtok *t = p->ln.tok;
	struct rlist *nl, *l;

	if (list_name(p, &t[1]) < 0)
		return;
	nl = realloc(p->lists, (p->n_lists + 1) * sizeof(*nl));
	if (!nl) {
		rp_oom(p);
		return;
	}
	p->lists = nl;
	l = &p->lists[p->n_lists];
	memset(l, 0, sizeof(*l));
	l->name = strndup(t[1].text, t[1].len);
	l->cidrs = calloc(p->ln.n, sizeof(*l->cidrs));
	if (!l->name || !l->cidrs) {
		free(l->name);
		free(l->cidrs);
		rp_oom(p);
		return;
	}
	l->line = p->ln.no;
	p->n_lists++;
	/* A bad line still defines the name: its uses must not cascade. */
	if (t[2].type != RTOK_EQUALS)
		l->bad = rp_tok_error(p, &t[2], "expected '=' after the list name") < 0;
	else
		l->bad = list_cidrs(p, l, 3) < 0;
	if (!l->bad && p->map && aws_map_find(p->map, l->name))
		l->bad = rp_error(p, t[1].col, "'%s' is also given with --map: give its addresses in one place",
				  l->name) < 0;
}

/* ---- sections ------------------------------------------------------- */

static void open_section(struct rparser *p, enum rsec sec, bool keep)
{
	p->sec = sec;
	p->keep = keep;
	p->group = -1;
	p->dir = -1;
	p->dir_line[DIR_IN] = p->dir_line[DIR_OUT] = 0;
}

/* The id after nacl or sg: a name, not a keyword. */
static int section_id(struct rparser *p, const struct rtok *t, const char *what)
{
	if (t->type == RTOK_WORD && rules_is_name(t->text, t->len) &&
	    !rules_kw_find(t->text, t->len))
		return 0;
	return rp_tok_error(p, t, "expected %s", what);
}

static int expect_end(struct rparser *p, const struct rtok *t, const char *after)
{
	char q[64];

	if (t->type == RTOK_END)
		return 0;
	return rp_tok_error(p, t, "unexpected %s after %s", rp_quote(t, q, sizeof(q)), after);
}

/* May this file's network ACL go into rs? */
static bool nacl_keep(struct rparser *p, const struct rtok *id)
{
	int n = (int)id->len;

	if (p->nacl_line)
		rp_error(p, id->col, "a file holds one network ACL; %.*s is the second (the first is on line %u): a subnet has exactly one",
			 n, id->text, p->nacl_line);
	else if (!(p->take & RULES_TAKE_NACL))
		rp_error(p, id->col, "the file holds network ACL %.*s: give it with --nacl too",
			 n, id->text);
	else if (p->rs->has_nacl)
		rp_error(p, id->col, "network ACL %s is already loaded from another file; a subnet has exactly one",
			 p->rs->nacl_id ? p->rs->nacl_id : "?");
	else
		return true;
	return false;
}

/* nacl ID */
static void stmt_nacl(struct rparser *p)
{
	const struct rtok *t = p->ln.tok;
	bool keep = false;

	if (section_id(p, &t[1], "a network ACL id after nacl (acl-0a1b2c3d or a name)") == 0 &&
	    expect_end(p, &t[2], "the network ACL id") == 0) {
		keep = nacl_keep(p, &t[1]);
		if (keep) {
			p->rs->has_nacl = true;
			p->rs->nacl_id = strndup(t[1].text, t[1].len);
			if (!p->rs->nacl_id)
				rp_oom(p);
		}
	}
	if (!p->nacl_line)
		p->nacl_line = p->ln.no;
	if (p->num_line)
		memset(p->num_line, 0, DIR_MAX * (NACL_RULE_MAX + 1) * sizeof(*p->num_line));
	memset(p->star_line, 0, sizeof(p->star_line));
	open_section(p, RSEC_NACL, keep);
}

static int group_seen(struct rparser *p, const struct rtok *id)
{
	size_t i;

	for (i = 0; i < p->n_gid; i++)
		if (strlen(p->gid[i]) == id->len && !memcmp(p->gid[i], id->text, id->len))
			return rp_error(p, id->col, "security group %s is already defined on line %u",
					p->gid[i], p->gid_line[i]);
	for (i = 0; i < p->rs->n_groups; i++)
		if (strlen(p->rs->groups[i].id) == id->len &&
		    !memcmp(p->rs->groups[i].id, id->text, id->len))
			return rp_error(p, id->col, "security group %s is already loaded from another file",
					p->rs->groups[i].id);
	return 0;
}

static void remember_group(struct rparser *p, const struct rtok *id)
{
	char **ng = realloc(p->gid, (p->n_gid + 1) * sizeof(*ng));
	unsigned *nl;

	if (ng)
		p->gid = ng;
	nl = ng ? realloc(p->gid_line, (p->n_gid + 1) * sizeof(*nl)) : NULL;
	if (nl)
		p->gid_line = nl;
	if (!ng || !nl || !(p->gid[p->n_gid] = strndup(id->text, id->len))) {
		rp_oom(p);
		return;
	}
	p->gid_line[p->n_gid++] = p->ln.no;
}

/* May this group go into rs? The --sg message comes once per file. */
static bool group_keep(struct rparser *p, const struct rtok *id)
{
	if (group_seen(p, id) < 0)
		return false;
	remember_group(p, id);
	if (p->take & RULES_TAKE_SG)
		return true;
	if (!p->sg_take_reported)
		rp_error(p, id->col, "the file holds security group %.*s: give it with --sg too",
			 (int)id->len, id->text);
	p->sg_take_reported = true;
	return false;
}

/* sg ID ["name"] */
static void stmt_sg(struct rparser *p)
{
	const struct rtok *t = p->ln.tok;
	const char *name;
	bool keep = false;
	char *id;

	if (!p->sg_line)
		p->sg_line = p->ln.no;
	if (section_id(p, &t[1], "a security group id after sg (sg-0abc or a name)") == 0) {
		name = t[2].type == RTOK_STRING ? t[2].val : NULL;
		if (expect_end(p, &t[name ? 3 : 2], name ? "the group name" :
			       "the security group id (the group name goes in double quotes)") == 0)
			keep = group_keep(p, &t[1]);
	}
	open_section(p, RSEC_SG, keep);
	if (!keep)
		return;
	id = strndup(t[1].text, t[1].len);
	p->group = id ? ruleset_add_group(p->rs, id, t[2].type == RTOK_STRING ? t[2].val : NULL) : -1;
	free(id);
	if (p->group < 0) {
		p->keep = false;
		rp_oom(p);
	}
}

/* inbound | outbound */
static void stmt_dir(struct rparser *p, enum dir dir)
{
	const struct rtok *t = p->ln.tok;
	const char *name = dir_name(dir);

	if (expect_end(p, &t[1], name) < 0)
		return;
	if (p->sec == RSEC_NONE) {
		rp_error(p, t[0].col, "%s needs a section above it: nacl ID or sg ID", name);
		return;
	}
	if (p->dir_line[dir]) {
		rp_error(p, t[0].col, "this section's %s rules start on line %u: keep them under that one line",
			 name, p->dir_line[dir]);
		return;
	}
	p->dir_line[dir] = p->ln.no;
	p->dir = dir;
}

/* ---- eni ------------------------------------------------------------ */

/* An interface name as the kernel takes it: 1 to 15 bytes, no '/'. */
static int eni_iface(struct rparser *p, const struct rtok *t)
{
	char q[64];
	size_t i;

	if (t->type != RTOK_WORD)
		return rp_tok_error(p, t, "expected an interface name after eni (eth1)");
	if (t->len >= 16 || has_char(t, '/'))
		return rp_error(p, t->col, "%s is not an interface name (1 to 15 characters, no '/')",
				rp_quote(t, q, sizeof(q)));
	for (i = 0; i < p->rs->n_enis; i++) {
		const struct ruleset_eni *e = &p->rs->enis[i];

		if (strlen(e->ifname) == t->len && !memcmp(e->ifname, t->text, t->len))
			return rp_error(p, t->col, "interface %s is already bound by the eni statement of %s:%u: one per interface",
					e->ifname, e->origin.file ? e->origin.file : "?", e->origin.line);
	}
	return 0;
}

/* Is t an ENI id: "eni-" and 8 or 17 lowercase hex digits, as AWS makes them? */
static bool eni_id_ok(const struct rtok *t)
{
	size_t i;

	if (t->len != 12 && t->len != 21)
		return false;
	for (i = 4; i < t->len; i++)
		if (!((t->text[i] >= '0' && t->text[i] <= '9') || (t->text[i] >= 'a' && t->text[i] <= 'f')))
			return false;
	return true;
}

/* The index of group t among the groups loaded so far, or -1 (reported). */
static long eni_group(struct rparser *p, const struct rtok *t, const uint32_t *seen, size_t n)
{
	char q[64];
	size_t i;

	if (t->type != RTOK_WORD)
		return rp_tok_error(p, t, "expected a security group id");
	for (i = 0; i < p->rs->n_groups; i++)
		if (strlen(p->rs->groups[i].id) == t->len &&
		    !memcmp(p->rs->groups[i].id, t->text, t->len))
			break;
	if (i == p->rs->n_groups)
		return rp_error(p, t->col, "unknown security group %s: define it above this line (sg %.*s), in this file or in one given before it, with --sg",
				rp_quote(t, q, sizeof(q)), (int)t->len, t->text);
	while (n--)
		if (seen[n] == i)
			return rp_error(p, t->col, "security group %s is named twice", p->rs->groups[i].id);
	return (long)i;
}

/* eni IFACE [eni-ID] GROUP [GROUP]... */
static void stmt_eni(struct rparser *p)
{
	const struct rtok *t = p->ln.tok;
	struct ruleset_eni e = { .origin = { .file = p->file, .line = p->ln.no } };
	char ifname[16], id[24];
	size_t i = 2;
	bool bad = false;

	open_section(p, RSEC_NONE, false);
	if (eni_iface(p, &t[1]) < 0)
		return;
	snprintf(ifname, sizeof(ifname), "%.*s", (int)t[1].len, t[1].text);
	e.ifname = ifname;
	if (t[2].type == RTOK_WORD && t[2].len >= 4 && !memcmp(t[2].text, "eni-", 4)) {
		if (!eni_id_ok(&t[2])) {
			rp_error(p, t[2].col, "'%.*s' is not an ENI id (eni- and 8 or 17 hex digits)",
				 (int)(t[2].len < 40 ? t[2].len : 40), t[2].text);
			return;
		}
		snprintf(id, sizeof(id), "%.*s", (int)t[2].len, t[2].text);
		e.eni_id = id;
		i = 3;
	}
	if (t[i].type == RTOK_END) {
		rp_tok_error(p, &t[i], "expected the interface's security groups (sg-0abc ...)");
		return;
	}
	e.groups = calloc(p->ln.n, sizeof(*e.groups));
	if (!e.groups) {
		rp_oom(p);
		return;
	}
	for (; t[i].type != RTOK_END && !bad; i++) {
		long g = eni_group(p, &t[i], e.groups, e.n_groups);

		bad = g < 0;
		if (!bad)
			e.groups[e.n_groups++] = (uint32_t)g;
	}
	if (!bad && ruleset_add_eni(p->rs, &e) < 0)
		rp_oom(p);
	free(e.groups);
}

/* ---- lines ---------------------------------------------------------- */

/* Could this word start a rule (a number, '*', a protocol or a service)? */
static bool rule_like(const struct rtok *t)
{
	const struct rkw *kw = rules_kw_find(t->text, t->len);

	if (t->type != RTOK_WORD)
		return false;
	if (kw)
		return kw->kind == RKW_PROTO || kw->kind == RKW_SERVICE;
	return (t->text[0] >= '0' && t->text[0] <= '9') || t->text[0] == '*' ||
	       (t->text[0] == '-' && t->len > 1);
}

static void no_section(struct rparser *p, const struct rtok *t)
{
	if (rule_like(t))
		rp_error(p, t->col, "a rule needs a section (nacl/sg) and a direction (inbound/outbound) above it");
	else if (p->sec == RSEC_NONE)
		rp_tok_error(p, t, "expected list, nacl, sg or eni");
	else
		rp_tok_error(p, t, "expected inbound or outbound");
}

static void parse_line(struct rparser *p)
{
	const struct rtok *t = p->ln.tok;
	const struct rkw *kw = t->type == RTOK_WORD ? rules_kw_find(t->text, t->len) : NULL;

	if (t->type == RTOK_END)
		return;
	if (kw && kw->kind == RKW_STMT) {
		if (kw->value == RST_LIST)
			stmt_list(p);
		else if (kw->value == RST_NACL)
			stmt_nacl(p);
		else if (kw->value == RST_SG)
			stmt_sg(p);
		else if (kw->value == RST_ENI)
			stmt_eni(p);
		else
			stmt_dir(p, kw->value == RST_INBOUND ? DIR_IN : DIR_OUT);
	} else if (p->sec == RSEC_NONE || p->dir < 0)
		no_section(p, t);
	else if (p->sec == RSEC_NACL)
		rp_nacl_rule(p);
	else
		rp_sg_rule(p);
}

/* ---- entry points --------------------------------------------------- */

/* A kind asked for and not in the file: never load nothing silently. */
static void check_take(struct rparser *p)
{
	if ((p->take & RULES_TAKE_NACL) && !p->nacl_line) {
		diag_error(p->d, p->name, "holds no network ACL (a line 'nacl ID' starts one)");
		p->errors++;
	}
	if ((p->take & RULES_TAKE_SG) && !p->sg_line) {
		diag_error(p->d, p->name, "holds no security group (a line 'sg ID' starts one)");
		p->errors++;
	}
}

static void parser_free(struct rparser *p)
{
	size_t i;

	for (i = 0; i < p->n_lists; i++) {
		free(p->lists[i].name);
		free(p->lists[i].cidrs);
	}
	for (i = 0; i < p->n_gid; i++)
		free(p->gid[i]);
	free(p->lists);
	free(p->gid);
	free(p->gid_line);
	free(p->num_line);
	free(p->src);
	rules_line_free(&p->ln);
}

int rules_load_buffer(struct ruleset *rs, unsigned take, const char *name,
		      const char *buf, size_t len, const struct aws_map *map,
		      struct diag *d)
{
	struct rparser p = { .rs = rs, .d = d, .map = map, .name = name, .take = take };
	size_t pos = rules_bom_len(buf, len), tlen;
	const char *text;
	unsigned no = 0;

	p.file = ruleset_intern_file(rs, name);
	if (!p.file)
		rp_oom(&p);
	while (!p.oom && rules_next_line(buf, len, &pos, &text, &tlen)) {
		free(p.src);
		p.src = NULL;
		if (rules_lex_line(&p.ln, text, tlen, ++no) < 0)
			rp_oom(&p);
		else
			parse_line(&p);
	}
	if (!p.oom)
		check_take(&p);
	parser_free(&p);
	if (!p.errors)
		return 0;
	errno = p.oom ? ENOMEM : EINVAL;
	return -1;
}
