/*
 * The native rule language (rules-lang, issue 3): the lexer's tokens and
 * errors, the keyword table, every statement, every error with its exact
 * message, line and column, the section rules, the mapping into the model
 * field by field, the same rules in JSON and native giving the same
 * entries, and the canonical form with its round trip.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "aws_json.h"
#include "load.h"
#include "rules.h"
#include "rules_int.h"	/* white-box: the lexer and parser internals */
#include "testutil.h"

#define expect_clean(r) tu_expect_clean(d, r)


#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define NAME "t.rules"

static struct ruleset *rs;
static struct diag *d;
static struct aws_map map;

static void setup(void)
{
	rs = ruleset_new();
	d = diag_new();
	memset(&map, 0, sizeof(map));
	ck_assert_ptr_nonnull(rs);
	ck_assert_ptr_nonnull(d);
}

static void teardown(void)
{
	ruleset_free(rs);
	diag_free(d);
	aws_map_free(&map);
}

/* ---- helpers ------------------------------------------------------------ */

static int load_take(unsigned take, const char *text)
{
	return rules_load_buffer(rs, take, NAME, text, strlen(text), &map, d);
}

/* As `check` does: take every section the text holds. */
static int load(const char *text)
{
	return load_take(rules_sections(text, strlen(text)), text);
}


/* Exactly these errors, each "t.rules:L:C: error: msg" (C 0: "t.rules:L: ..."). */
struct xerr {
	unsigned line, col;
	const char *msg;
};

static void expect_errors_n(int r, const struct xerr *e, size_t n)
{
	char *text = tu_diag_text_nl(d), want[1024];
	size_t i;

	for (i = 0; i < n; i++) {
		if (e[i].line)
			snprintf(want, sizeof(want), "\n" NAME ":%u:%u: error: %s\n", e[i].line,
				 e[i].col, e[i].msg);
		else
			snprintf(want, sizeof(want), "\n" NAME ": error: %s\n", e[i].msg);
		ck_assert_msg(strstr(text, want), "missing:%sin:%s", want, text);
	}
	ck_assert_msg(diag_errors(d) == n, "expected %zu errors, got %zu:%s", n,
		      diag_errors(d), text);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EINVAL);
	free(text);
}

#define expect_errors(r, ...) do { \
	const struct xerr e_[] = { __VA_ARGS__ }; \
	expect_errors_n(r, e_, sizeof(e_) / sizeof(e_[0])); \
} while (0)

static const char *fmt_cidr(const struct cidr *c, char *buf)
{
	return cidr_format(c, buf, CIDR_STRLEN);
}

static char *print_text(const struct ruleset *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	rules_print(r, f);
	fclose(f);
	return buf;
}

static void add_map(const char *spec)
{
	ck_assert_int_eq(aws_map_add(&map, spec), 0);
}

/* ---- the lexer ----------------------------------------------------------- */

struct xtok {
	enum rtok_type type;
	unsigned col;
	const char *text;	/* a word's bytes, a string's value; NULL: not checked */
};

struct lex_case {
	const char *line;
	struct xtok tok[8];
	const char *err;	/* the message when the last token is RTOK_ERROR */
};

static const struct lex_case lex_cases[] = {
	{ "  100\tallow tcp 80 0.0.0.0/0 # c",
	  { { RTOK_WORD, 3, "100" }, { RTOK_WORD, 7, "allow" }, { RTOK_WORD, 13, "tcp" },
	    { RTOK_WORD, 17, "80" }, { RTOK_WORD, 20, "0.0.0.0/0" }, { RTOK_END, 29, NULL } }, NULL },
	{ "list a=1.2.3.0/24,::/0",
	  { { RTOK_WORD, 1, "list" }, { RTOK_WORD, 6, "a" }, { RTOK_EQUALS, 7, "=" },
	    { RTOK_WORD, 8, "1.2.3.0/24" }, { RTOK_COMMA, 18, "," }, { RTOK_WORD, 19, "::/0" },
	    { RTOK_END, 23, NULL } }, NULL },
	{ "sg x \"a \\\"b\\\" \\\\c\"",
	  { { RTOK_WORD, 1, "sg" }, { RTOK_WORD, 4, "x" }, { RTOK_STRING, 6, "a \"b\" \\c" },
	    { RTOK_END, 19, NULL } }, NULL },
	{ "tcp 80 x\"desc\"y#z",
	  { { RTOK_WORD, 1, "tcp" }, { RTOK_WORD, 5, "80" }, { RTOK_WORD, 8, "x" },
	    { RTOK_STRING, 9, "desc" }, { RTOK_WORD, 15, "y" }, { RTOK_END, 16, NULL } }, NULL },
	{ "\"\" \"#not a comment\"",
	  { { RTOK_STRING, 1, "" }, { RTOK_STRING, 4, "#not a comment" }, { RTOK_END, 20, NULL } }, NULL },
	{ "", { { RTOK_END, 1, NULL } }, NULL },
	{ " \t  # only a comment \x01", { { RTOK_END, 1, NULL } }, NULL },
	{ "tcp \"abc", { { RTOK_WORD, 1, "tcp" }, { RTOK_ERROR, 5, NULL } },
	  "unterminated string: close it with \" on the same line" },
	{ "\"abc\\", { { RTOK_ERROR, 1, NULL } },
	  "unterminated string: close it with \" on the same line" },
	{ "\"a\\nb\"", { { RTOK_ERROR, 3, NULL } },
	  "unknown escape in a string: only \\\" and \\\\ are allowed" },
	{ "x\x01y z", { { RTOK_ERROR, 2, NULL } }, "unexpected control character 0x01" },
	{ "a \"b\x7f\"", { { RTOK_WORD, 1, "a" }, { RTOK_ERROR, 5, NULL } },
	  "control character 0x7f in a string" },
	{ "\"tab\there\"", { { RTOK_ERROR, 5, NULL } }, "control character 0x09 in a string" },
	{ "a\rb", { { RTOK_ERROR, 2, NULL } }, "unexpected control character 0x0d" },
};

START_TEST(test_lex_tokens)
{
	const struct lex_case *c = &lex_cases[_i];
	struct rline l;
	size_t k, n;

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(rules_lex_line(&l, c->line, strlen(c->line), 7), 0);
	ck_assert_uint_eq(l.no, 7);
	for (n = 0; c->tok[n].type != RTOK_END && c->tok[n].type != RTOK_ERROR; n++)
		;
	ck_assert_uint_eq(l.n, n + 1 + RLINE_PAD);
	for (k = 0; k <= n; k++) {
		const struct rtok *t = &l.tok[k];

		ck_assert_msg(t->type == c->tok[k].type, "token %zu: type %d, want %d", k,
			      t->type, c->tok[k].type);
		ck_assert_uint_eq(t->col, c->tok[k].col);
		if (c->tok[k].text && t->type == RTOK_STRING)
			ck_assert_str_eq(t->val, c->tok[k].text);
		else if (c->tok[k].text)
			ck_assert_msg(t->len == strlen(c->tok[k].text) &&
				      !memcmp(t->text, c->tok[k].text, t->len),
				      "token %zu: '%.*s'", k, (int)t->len, t->text);
	}
	/* The padding repeats the last token: a parser may look past it. */
	for (k = n + 1; k < l.n; k++)
		ck_assert_int_eq(l.tok[k].type, l.tok[n].type);
	if (c->err)
		ck_assert_str_eq(l.err, c->err);
	rules_line_free(&l);
}
END_TEST

START_TEST(test_lex_string_limit)
{
	char line[300];
	struct rline l;

	memset(&l, 0, sizeof(l));
	memset(line, 'a', sizeof(line));
	line[0] = '"';
	line[256] = '"';	/* 255 bytes */
	ck_assert_int_eq(rules_lex_line(&l, line, 257, 1), 0);
	ck_assert_int_eq(l.tok[0].type, RTOK_STRING);
	ck_assert_uint_eq(l.tok[0].val_len, 255);
	line[256] = 'a';
	line[257] = '"';	/* 256 bytes */
	ck_assert_int_eq(rules_lex_line(&l, line, 258, 1), 0);
	ck_assert_int_eq(l.tok[0].type, RTOK_ERROR);
	ck_assert_uint_eq(l.tok[0].col, 1);
	ck_assert_str_eq(l.err, "a string holds at most 255 bytes (AWS's limit); this one holds 256");
	rules_line_free(&l);
}
END_TEST

START_TEST(test_lex_lines)
{
	static const char buf[] = "a\r\nb\n\nc\rd\r\r\ne";
	static const char *const want[] = { "a", "b", "", "c\rd\r", "e" };
	const char *text;
	size_t pos = 0, len, n = 0;

	while (rules_next_line(buf, sizeof(buf) - 1, &pos, &text, &len)) {
		ck_assert_int_lt(n, N(want));
		ck_assert_uint_eq(len, strlen(want[n]));
		ck_assert(!memcmp(text, want[n], len));
		n++;
	}
	ck_assert_uint_eq(n, N(want));
	pos = 0;
	ck_assert(!rules_next_line("", 0, &pos, &text, &len));
	ck_assert(rules_next_line("x\n", 2, &pos, &text, &len));
	ck_assert(!rules_next_line("x\n", 2, &pos, &text, &len));
	ck_assert_uint_eq(rules_bom_len("\xef\xbb\xbfnacl", 7), 3);
	ck_assert_uint_eq(rules_bom_len("\xef\xbb", 2), 0);
}
END_TEST

START_TEST(test_keywords)
{
	size_t n, i, services = 0;
	const struct rkw *kw = rules_kw_table(&n);
	char upper[32];

	for (i = 0; i < n; i++) {
		size_t k, len = strlen(kw[i].name);

		if (i)
			ck_assert_msg(strcmp(kw[i - 1].name, kw[i].name) < 0, "%s before %s",
				      kw[i - 1].name, kw[i].name);
		for (k = 0; k <= len; k++)
			upper[k] = (char)(kw[i].name[k] >= 'a' && kw[i].name[k] <= 'z' ?
					  kw[i].name[k] - 32 : kw[i].name[k]);
		ck_assert_ptr_eq(rules_kw_find(upper, len), &kw[i]);
		ck_assert_ptr_eq(rules_kw_find(kw[i].name, len), &kw[i]);
		services += kw[i].kind == RKW_SERVICE;
	}
	ck_assert_uint_eq(services, 22);	/* the console's names, no more */
	ck_assert_ptr_null(rules_kw_find("tc", 2));
	ck_assert_ptr_null(rules_kw_find("tcpx", 4));
	ck_assert_ptr_null(rules_kw_find("", 0));
	ck_assert_ptr_null(rules_kw_find("timestamp-request-timestamp", 27));
	ck_assert_ptr_nonnull(rules_kw_find("tcp 80", 3));
}
END_TEST

START_TEST(test_names)
{
	ck_assert(rules_is_name("office", 6));
	ck_assert(rules_is_name("a-b_c.d9", 8));
	ck_assert(!rules_is_name("9a", 2));
	ck_assert(!rules_is_name("-a", 2));
	ck_assert(!rules_is_name("a!", 2));
	ck_assert(!rules_is_name("a:b", 3));
	ck_assert(!rules_is_name("", 0));
	ck_assert(rules_is_ref_id("sg-0abc", 7));
	ck_assert(rules_is_ref_id("pl-A1", 5));
	ck_assert(!rules_is_ref_id("sg-", 3));
	ck_assert(!rules_is_ref_id("sg-a_b", 6));
	ck_assert(!rules_is_ref_id("SG-abc", 6));
	ck_assert(!rules_is_ref_id("acl-abc", 7));
}
END_TEST

START_TEST(test_sections)
{
	static const struct {
		const char *text;
		unsigned want;
	} cases[] = {
		{ "", 0 },
		{ "list a = 10.0.0.0/8\n# nacl x\n", 0 },
		{ "nacl x\n", RULES_TAKE_NACL },
		{ "  NACL x\r\n", RULES_TAKE_NACL },
		{ "\xef\xbb\xbfsg x", RULES_TAKE_SG },
		{ "sg x\n\tnacl y\n", RULES_TAKE_NACL | RULES_TAKE_SG },
		{ "nacl\"x\"\nsg#c\n", RULES_TAKE_NACL | RULES_TAKE_SG },
		{ "nacls x\nsgx\n\"sg\" x\n", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(rules_sections(cases[i].text, strlen(cases[i].text)) == cases[i].want,
			      "case %zu", i);
}
END_TEST

/* ---- mapping into the model: NACL ---------------------------------------- */

#define NACL_CTX "list one = 198.51.100.7/24\nnacl acl-1\n"

struct nacl_case {
	const char *dir;
	const char *line;
	uint32_t num;
	bool allow;
	int proto, pf, pt, type, code;
	const char *cidr;
};

static const struct nacl_case nacl_cases[] = {
	{ "inbound", "100 allow tcp 80 0.0.0.0/0", 100, true, 6, 80, 80, -1, -1, "0.0.0.0/0" },
	{ "outbound", "110 deny udp 1024-65535 10.0.0.0/8", 110, false, 17, 1024, 65535, -1, -1, "10.0.0.0/8" },
	{ "inbound", "120 allow tcp all ::/0", 120, true, 6, 0, 65535, -1, -1, "::/0" },
	{ "inbound", "1 allow tcp 0 0.0.0.0/0", 1, true, 6, 0, 0, -1, -1, "0.0.0.0/0" },
	{ "inbound", "32766 allow udp 65535 0.0.0.0/0", 32766, true, 17, 65535, 65535, -1, -1, "0.0.0.0/0" },
	{ "inbound", "130 allow icmp 8 0.0.0.0/0", 130, true, 1, 0, 65535, 8, -1, "0.0.0.0/0" },
	{ "inbound", "140 allow icmp 3/4 0.0.0.0/0", 140, true, 1, 0, 65535, 3, 4, "0.0.0.0/0" },
	{ "inbound", "150 allow icmp 0.0.0.0/0", 150, true, 1, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "inbound", "151 allow icmp all 0.0.0.0/0", 151, true, 1, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "inbound", "152 allow icmp frag-needed 0.0.0.0/0", 152, true, 1, 0, 65535, 3, 4, "0.0.0.0/0" },
	{ "inbound", "160 allow icmpv6 128 ::/0", 160, true, 58, 0, 65535, 128, -1, "::/0" },
	{ "inbound", "161 allow ipv6-icmp packet-too-big ::/0", 161, true, 58, 0, 65535, 2, -1, "::/0" },
	/* AWS ignores ICMPv6 type/code with an IPv4 CIDR (a warning says so). */
	{ "inbound", "170 allow icmpv6 128 0.0.0.0/0", 170, true, 58, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "inbound", "180 allow all 10.1.2.3/16", 180, true, -1, 0, 65535, -1, -1, "10.1.0.0/16" },
	{ "outbound", "190 deny -1 ::/0", 190, false, -1, 0, 65535, -1, -1, "::/0" },
	{ "inbound", "200 allow gre 192.0.2.0/24", 200, true, 47, 0, 65535, -1, -1, "192.0.2.0/24" },
	{ "inbound", "210 allow 132 192.0.2.0/24", 210, true, 132, 0, 65535, -1, -1, "192.0.2.0/24" },
	{ "inbound", "220 allow 0 192.0.2.0/24", 220, true, 0, 0, 65535, -1, -1, "192.0.2.0/24" },
	{ "inbound", "221 allow 1 192.0.2.0/24", 221, true, 1, 0, 65535, -1, -1, "192.0.2.0/24" },
	{ "inbound", "222 allow 6 22-23 192.0.2.0/24", 222, true, 6, 22, 23, -1, -1, "192.0.2.0/24" },
	{ "inbound", "230 allow ssh 192.0.2.7/32", 230, true, 6, 22, 22, -1, -1, "192.0.2.7/32" },
	{ "inbound", "240 allow dns-udp 192.0.2.0/24", 240, true, 17, 53, 53, -1, -1, "192.0.2.0/24" },
	{ "outbound", "250 allow https one", 250, true, 6, 443, 443, -1, -1, "198.51.100.0/24" },
	{ "inbound", "0100 allow tcp 080-0443 2001:db8::1/32", 100, true, 6, 80, 443, -1, -1, "2001:db8::/32" },
};

START_TEST(test_nacl_mapping)
{
	const struct nacl_case *c = &nacl_cases[_i];
	const struct nacl_entry *e;
	char text[256], cidr[CIDR_STRLEN];

	snprintf(text, sizeof(text), NACL_CTX "%s\n  %s  # why\n", c->dir, c->line);
	expect_clean(load(text));
	ck_assert(rs->has_nacl);
	ck_assert_str_eq(rs->nacl_id, "acl-1");
	ck_assert_uint_eq(rs->n_nacl, 1);
	ck_assert_uint_eq(rs->n_groups, 0);
	e = &rs->nacl[0];
	ck_assert_uint_eq(e->number, c->num);
	ck_assert(e->egress == !strcmp(c->dir, "outbound"));
	ck_assert(e->allow == c->allow);
	ck_assert_int_eq(e->proto, c->proto);
	ck_assert_int_eq(e->port_from, c->pf);
	ck_assert_int_eq(e->port_to, c->pt);
	ck_assert_int_eq(e->icmp_type, c->type);
	ck_assert_int_eq(e->icmp_code, c->code);
	ck_assert_str_eq(fmt_cidr(&e->cidr, cidr), c->cidr);
	ck_assert_ptr_eq(e->origin.file, rs->files[0]);
	ck_assert_str_eq(e->origin.file, NAME);
	ck_assert_uint_eq(e->origin.line, 4);
	ck_assert_uint_eq(e->origin.index, 0);
}
END_TEST

START_TEST(test_nacl_icmpv6_warning)
{
	char *text;

	expect_clean(load("nacl a\ninbound\n170 allow icmpv6 echo-request 0.0.0.0/0\n"));
	ck_assert_uint_eq(diag_warnings(d), 1);
	text = tu_diag_text_nl(d);
	ck_assert_ptr_nonnull(strstr(text, "\n" NAME ":3:18: warning: AWS ignores the type and code of an icmpv6 rule with an IPv4 CIDR: this rule matches every ICMPv6 message\n"));
	free(text);
	ck_assert_int_eq(rs->nacl[0].icmp_type, -1);
}
END_TEST

/* ---- mapping into the model: security groups ------------------------------ */

#define SG_CTX "list office = 203.0.113.0/24, 2001:db8:10::/48\nlist sg-0aa = 10.0.0.5/32\n" \
	"sg sg-1 \"web\"\n"

struct sg_x {
	int proto, from, to;
	const char *cidr, *desc, *ref;
};

struct sg_case {
	const char *dir;
	const char *line;
	struct sg_x e[2];	/* proto 0 and cidr NULL: no entry */
};

static const struct sg_case sg_cases[] = {
	{ "inbound", "tcp 80 0.0.0.0/0", { { 6, 80, 80, "0.0.0.0/0", NULL, NULL } } },
	{ "outbound", "tcp all ::/0 \"any\"", { { 6, 0, 65535, "::/0", "any", NULL } } },
	{ "inbound", "udp 53 10.0.0.0/8", { { 17, 53, 53, "10.0.0.0/8", NULL, NULL } } },
	{ "inbound", "udp 1000-2000 2001:db8::1/32 \"\"", { { 17, 1000, 2000, "2001:db8::/32", "", NULL } } },
	{ "inbound", "icmp 0.0.0.0/0", { { 1, -1, -1, "0.0.0.0/0", NULL, NULL } } },
	{ "inbound", "icmp 8 0.0.0.0/0", { { 1, 8, -1, "0.0.0.0/0", NULL, NULL } } },
	{ "inbound", "icmp 3/4 0.0.0.0/0", { { 1, 3, 4, "0.0.0.0/0", NULL, NULL } } },
	{ "inbound", "icmp all 0.0.0.0/0", { { 1, -1, -1, "0.0.0.0/0", NULL, NULL } } },
	{ "inbound", "icmpv6 ::/0", { { 58, -1, -1, "::/0", NULL, NULL } } },
	{ "inbound", "icmpv6 echo-request ::/0", { { 58, 128, -1, "::/0", NULL, NULL } } },
	{ "inbound", "all 0.0.0.0/0", { { -1, -1, -1, "0.0.0.0/0", NULL, NULL } } },
	{ "outbound", "-1 ::/0", { { -1, -1, -1, "::/0", NULL, NULL } } },
	{ "inbound", "47 10.0.0.0/8", { { 47, -1, -1, "10.0.0.0/8", NULL, NULL } } },
	{ "inbound", "esp 10.0.0.0/8", { { 50, -1, -1, "10.0.0.0/8", NULL, NULL } } },
	{ "inbound", "ah 10.0.0.0/8", { { 51, -1, -1, "10.0.0.0/8", NULL, NULL } } },
	{ "inbound", "sctp 10.0.0.0/8", { { 132, -1, -1, "10.0.0.0/8", NULL, NULL } } },
	{ "inbound", "tcp 22 10.0.0.7/8", { { 6, 22, 22, "10.0.0.0/8", NULL, NULL } } },
	{ "inbound", "https office \"o\"", { { 6, 443, 443, "203.0.113.0/24", "o", NULL },
					    { 6, 443, 443, "2001:db8:10::/48", "o", NULL } } },
	{ "inbound", "ssh sg-0aa", { { 6, 22, 22, "10.0.0.5/32", NULL, "sg-0aa" } } },
	{ "outbound", "mysql pl-0bb", { { 6, 3306, 3306, "192.0.2.0/24", NULL, "pl-0bb" },
					{ 6, 3306, 3306, "2001:db8:20::/48", NULL, "pl-0bb" } } },
	{ "inbound", "tcp 80 0.0.0.0/0 \"quote \\\" and \\\\\"",
	  { { 6, 80, 80, "0.0.0.0/0", "quote \" and \\", NULL } } },
};

static void check_sg_entry(const struct sg_entry *e, const struct sg_x *x, bool egress)
{
	char cidr[CIDR_STRLEN];

	ck_assert(e->egress == egress);
	ck_assert_int_eq(e->proto, x->proto);
	ck_assert_int_eq(e->from, x->from);
	ck_assert_int_eq(e->to, x->to);
	ck_assert_str_eq(fmt_cidr(&e->cidr, cidr), x->cidr);
	ck_assert_uint_eq(e->group, 0);
	ck_assert_pstr_eq(e->description, x->desc);
	ck_assert_pstr_eq(e->ref, x->ref);
	ck_assert_str_eq(e->origin.file, NAME);
	ck_assert_uint_eq(e->origin.line, 5);
	ck_assert_uint_eq(e->origin.index, 0);
}

START_TEST(test_sg_mapping)
{
	const struct sg_case *c = &sg_cases[_i];
	char text[512];
	size_t n = c->e[1].cidr ? 2 : 1, i;

	add_map("pl-0bb=192.0.2.0/24,2001:db8:20::/48");
	snprintf(text, sizeof(text), SG_CTX "%s\n\t%s\n", c->dir, c->line);
	expect_clean(load(text));
	ck_assert(!rs->has_nacl);
	ck_assert_uint_eq(rs->n_groups, 1);
	ck_assert_str_eq(rs->groups[0].id, "sg-1");
	ck_assert_str_eq(rs->groups[0].name, "web");
	ck_assert_uint_eq(rs->n_sg, n);
	for (i = 0; i < n; i++)
		check_sg_entry(&rs->sg[i], &c->e[i], !strcmp(c->dir, "outbound"));
}
END_TEST

/* ---- services and ICMP names ---------------------------------------------- */

static const struct {
	const char *name;
	int proto, port;
} services[] = {
	{ "ssh", 6, 22 }, { "smtp", 6, 25 }, { "dns-tcp", 6, 53 }, { "dns-udp", 17, 53 },
	{ "http", 6, 80 }, { "pop3", 6, 110 }, { "imap", 6, 143 }, { "ldap", 6, 389 },
	{ "https", 6, 443 }, { "smb", 6, 445 }, { "smtps", 6, 465 }, { "imaps", 6, 993 },
	{ "pop3s", 6, 995 }, { "mssql", 6, 1433 }, { "oracle-rds", 6, 1521 },
	{ "nfs", 6, 2049 }, { "mysql", 6, 3306 }, { "rdp", 6, 3389 },
	{ "postgresql", 6, 5432 }, { "redshift", 6, 5439 }, { "winrm-http", 6, 5985 },
	{ "winrm-https", 6, 5986 },
};

START_TEST(test_services)
{
	char text[256];

	snprintf(text, sizeof(text),
		 "nacl a\ninbound\n100 allow %s 0.0.0.0/0\nsg b\noutbound\n%s ::/0\n",
		 services[_i].name, services[_i].name);
	expect_clean(load(text));
	ck_assert_uint_eq(rs->n_nacl, 1);
	ck_assert_int_eq(rs->nacl[0].proto, services[_i].proto);
	ck_assert_int_eq(rs->nacl[0].port_from, services[_i].port);
	ck_assert_int_eq(rs->nacl[0].port_to, services[_i].port);
	ck_assert_uint_eq(rs->n_sg, 1);
	ck_assert_int_eq(rs->sg[0].proto, services[_i].proto);
	ck_assert_int_eq(rs->sg[0].from, services[_i].port);
	ck_assert_int_eq(rs->sg[0].to, services[_i].port);
}
END_TEST

/* type -2: the name is not one of this family's (an error). */
static const struct {
	const char *name;
	int t4, c4, t6, c6;
} icmp_names[] = {
	{ "echo-reply", 0, -1, 129, -1 }, { "dest-unreachable", 3, -1, 1, -1 },
	{ "frag-needed", 3, 4, -2, 0 }, { "source-quench", 4, -1, -2, 0 },
	{ "redirect", 5, -1, -2, 0 }, { "echo-request", 8, -1, 128, -1 },
	{ "time-exceeded", 11, -1, 3, -1 }, { "param-problem", 12, -1, 4, -1 },
	{ "timestamp-request", 13, -1, -2, 0 }, { "timestamp-reply", 14, -1, -2, 0 },
	{ "packet-too-big", -2, 0, 2, -1 },
};

static void check_icmp_name(const char *proto, int type, int code, const char *name)
{
	char text[256], msg[128];
	bool v6 = !strcmp(proto, "icmpv6");
	int r;

	snprintf(text, sizeof(text), "sg b\ninbound\n%s %s 10.0.0.0/8\n", proto, name);
	r = load(text);
	if (type == -2) {
		snprintf(msg, sizeof(msg), "%s is an %s type name, not an %s one", name,
			 v6 ? "icmp" : "icmpv6", proto);
		expect_errors(r, { 3, v6 ? 8 : 6, msg });
		return;
	}
	expect_clean(r);
	ck_assert_int_eq(rs->sg[rs->n_sg - 1].proto, v6 ? 58 : 1);
	ck_assert_int_eq(rs->sg[rs->n_sg - 1].from, type);
	ck_assert_int_eq(rs->sg[rs->n_sg - 1].to, code);
}

START_TEST(test_icmp_names)
{
	check_icmp_name("icmp", icmp_names[_i].t4, icmp_names[_i].c4, icmp_names[_i].name);
	teardown();
	setup();
	check_icmp_name("icmpv6", icmp_names[_i].t6, icmp_names[_i].c6, icmp_names[_i].name);
}
END_TEST

START_TEST(test_case_insensitive)
{
	expect_clean(load("LIST Office = 10.0.0.0/8\nNaCl ACL-A\nInBound\n"
			  "100 ALLOW TCP ALL 0.0.0.0/0\n* DENY ALL 0.0.0.0/0\n"
			  "SG SG-B \"Web\"\nOUTBOUND\nHTTPS Office \"Desc\"\n"
			  "ICMP ECHO-REQUEST 0.0.0.0/0\nIpv6-Icmp Packet-Too-Big ::/0\n"));
	ck_assert_str_eq(rs->nacl_id, "ACL-A");
	ck_assert_int_eq(rs->nacl[0].proto, 6);
	ck_assert_int_eq(rs->nacl[0].port_to, 65535);
	ck_assert_str_eq(rs->groups[0].id, "SG-B");
	ck_assert_str_eq(rs->groups[0].name, "Web");
	ck_assert_uint_eq(rs->n_sg, 3);
	ck_assert_str_eq(rs->sg[0].description, "Desc");
	ck_assert_int_eq(rs->sg[1].from, 8);
	ck_assert_int_eq(rs->sg[2].from, 2);
	/* List names are case-sensitive. */
	teardown();
	setup();
	expect_errors(load("list office = 10.0.0.0/8\nsg b\ninbound\ntcp 80 Office\n"),
		      { 4, 8, "unknown list 'Office': a list must be defined above its use" });
}
END_TEST

/* ---- every error of a line: message and column ------------------------------ */

/* Contexts before the bad line; the bad line is the line after them. */
static const char *const contexts[] = {
	"",
	"list two = 10.0.0.0/8, 10.1.0.0/16\nnacl acl-1\ninbound\n",
	"list two = 10.0.0.0/8, 10.1.0.0/16\nnacl acl-1\noutbound\n",
	"list two = 10.0.0.0/8, 10.1.0.0/16\nsg sg-1\ninbound\n",
	"list two = 10.0.0.0/8, 10.1.0.0/16\nsg sg-1\noutbound\n",
};
enum { TOP, NIN, NOUT, SIN, SOUT };

#define PORTS_MSG "expected a port or range (80, 1024-65535, all)"
#define STAR_MSG "the * rule is the implicit deny: only '* deny all 0.0.0.0/0' and '* deny all ::/0' are accepted"
#define NEED_SECTION "a rule needs a section (nacl/sg) and a direction (inbound/outbound) above it"

struct err_case {
	int ctx;
	const char *line;
	unsigned col;
	const char *msg;
};

static const struct err_case err_cases[] = {
	/* statements */
	{ TOP, "100 allow tcp 80 0.0.0.0/0", 1, NEED_SECTION },
	{ TOP, "tcp 80 0.0.0.0/0", 1, NEED_SECTION },
	{ TOP, "* deny all 0.0.0.0/0", 1, NEED_SECTION },
	{ TOP, "-1 0.0.0.0/0", 1, NEED_SECTION },
	{ TOP, "frob", 1, "expected list, nacl, sg or eni" },
	{ TOP, "\"x\"", 1, "expected list, nacl, sg or eni" },
	{ TOP, "= x", 1, "expected list, nacl, sg or eni" },
	{ TOP, "inbound", 1, "inbound needs a section above it: nacl ID or sg ID" },
	{ TOP, "outbound x", 10, "unexpected 'x' after outbound" },
	{ TOP, "list", 5, "expected a list name after list" },
	{ TOP, "list \"a\" = 10.0.0.0/8", 6, "expected a list name after list" },
	{ TOP, "list 9a = 10.0.0.0/8", 6, "a list name starts with a letter and holds only letters, digits, '-', '_' and '.'" },
	{ TOP, "list a! = 10.0.0.0/8", 6, "a list name starts with a letter and holds only letters, digits, '-', '_' and '.'" },
	{ TOP, "list tcp = 10.0.0.0/8", 6, "'tcp' is a keyword and cannot name a list" },
	{ TOP, "list ECHO-REQUEST = 10.0.0.0/8", 6, "'ECHO-REQUEST' is a keyword and cannot name a list" },
	{ TOP, "list a 10.0.0.0/8", 8, "expected '=' after the list name" },
	{ TOP, "list a", 7, "expected '=' after the list name" },
	{ TOP, "list a =", 9, "expected a CIDR (a.b.c.d/n or x:y::z/n)" },
	{ TOP, "list a = 10.0.0.0/8,", 21, "expected a CIDR (a.b.c.d/n or x:y::z/n)" },
	{ TOP, "list a = 10.0.0.0/8,,10.1.0.0/16", 21, "expected a CIDR (a.b.c.d/n or x:y::z/n)" },
	{ TOP, "list a = office", 10, "expected a CIDR (a.b.c.d/n or x:y::z/n)" },
	{ TOP, "list a = 10.0.0.0/8 10.1.0.0/16", 21, "expected ',' or the end of the line" },
	{ TOP, "list a = 10.0.0.0/8 \"x\"", 21, "expected ',' or the end of the line" },
	{ TOP, "list a = 10.0.0.0/8, 10.0.0.9/8", 22, "list 'a' already holds 10.0.0.0/8" },
	{ TOP, "list a = 10.0.0.1", 10, "'10.0.0.1' has no prefix length: write 10.0.0.1/32" },
	{ TOP, "list a = 2001:db8::1", 10, "'2001:db8::1' has no prefix length: write 2001:db8::1/128" },
	{ TOP, "list a = 10.0.0.0/33", 10, "'10.0.0.0/33' is not an IPv4 CIDR (a.b.c.d/n, n 0-32)" },
	{ TOP, "list a = 10.0.0/8", 10, "'10.0.0/8' is not an IPv4 CIDR (a.b.c.d/n, n 0-32)" },
	{ TOP, "list a = 2001:db8::/129", 10, "'2001:db8::/129' is not an IPv6 CIDR (x:y::z/n, n 0-128)" },
	{ TOP, "list a = 10.0.0.0/08", 10, "'10.0.0.0/08' is not an IPv4 CIDR (a.b.c.d/n, n 0-32)" },
	{ TOP, "nacl", 5, "expected a network ACL id after nacl (acl-0a1b2c3d or a name)" },
	{ TOP, "nacl inbound", 6, "expected a network ACL id after nacl (acl-0a1b2c3d or a name)" },
	{ TOP, "nacl 1abc", 6, "expected a network ACL id after nacl (acl-0a1b2c3d or a name)" },
	{ TOP, "nacl acl-1 \"web\"", 12, "unexpected string after the network ACL id" },
	{ TOP, "nacl acl-1 x", 12, "unexpected 'x' after the network ACL id" },
	{ TOP, "sg", 3, "expected a security group id after sg (sg-0abc or a name)" },
	{ TOP, "sg \"web\"", 4, "expected a security group id after sg (sg-0abc or a name)" },
	{ TOP, "sg sg-1 web", 9, "unexpected 'web' after the security group id (the group name goes in double quotes)" },
	{ TOP, "sg sg-1 \"web\" x", 15, "unexpected 'x' after the group name" },
	{ TOP, "sg sg-1 \"web\" \"x\"", 15, "unexpected string after the group name" },
	{ TOP, "sg sg-1 \"web", 9, "unterminated string: close it with \" on the same line" },
	{ NIN, "inbound", 1, "this section's inbound rules start on line 3: keep them under that one line" },
	/* NACL rules */
	{ NIN, "0 allow tcp 80 0.0.0.0/0", 1, "rule number 0 is outside 1-32766" },
	{ NIN, "32767 allow tcp 80 0.0.0.0/0", 1, "rule number 32767 is outside 1-32766" },
	{ NIN, "-1 allow tcp 80 0.0.0.0/0", 1, "rule number -1 is outside 1-32766" },
	{ NIN, "123456789012345678901234 allow tcp 80 0.0.0.0/0", 1, "rule number 12345678901234567... is outside 1-32766" },
	{ NIN, "abc allow tcp 80 0.0.0.0/0", 1, "expected a rule number (1-32766) or *" },
	{ NIN, "1e3 allow tcp 80 0.0.0.0/0", 1, "expected a rule number (1-32766) or *" },
	{ NIN, "tcp 80 0.0.0.0/0", 1, "a network ACL rule starts with its number (1-32766) or *" },
	{ NIN, "https 0.0.0.0/0", 1, "a network ACL rule starts with its number (1-32766) or *" },
	{ NIN, "100 permit tcp 80 0.0.0.0/0", 5, "expected allow or deny" },
	{ NIN, "100", 4, "expected allow or deny" },
	{ NIN, "100 allow", 10, "expected a protocol or service (tcp, udp, icmp, all, ssh, https, ...)" },
	{ NIN, "100 allow htp 0.0.0.0/0", 11, "unknown protocol or service 'htp'" },
	{ NIN, "100 allow 256 0.0.0.0/0", 11, "protocol 256 is outside 0-255 (or -1 for all)" },
	{ NIN, "100 allow -2 0.0.0.0/0", 11, "protocol -2 is outside 0-255 (or -1 for all)" },
	{ NIN, "100 allow tcp 0.0.0.0/0", 15, "tcp needs a port range: 80, 1024-65535 or all" },
	{ NIN, "100 allow udp", 14, "udp needs a port range: 80, 1024-65535 or all" },
	{ NIN, "100 allow 6 two", 13, "tcp needs a port range: 80, 1024-65535 or all" },
	{ NIN, "100 allow tcp 80x 0.0.0.0/0", 15, PORTS_MSG },
	{ NIN, "100 allow tcp 3/4 0.0.0.0/0", 15, PORTS_MSG },
	{ NIN, "100 allow tcp 1- 0.0.0.0/0", 15, PORTS_MSG },
	{ NIN, "100 allow tcp 1-2-3 0.0.0.0/0", 15, PORTS_MSG },
	{ NIN, "100 allow tcp echo-request 0.0.0.0/0", 15, PORTS_MSG },
	{ NIN, "100 allow tcp -1 0.0.0.0/0", 15, PORTS_MSG ": all, not -1, means every port" },
	{ NIN, "100 allow tcp 65536 0.0.0.0/0", 15, "port 65536 is outside 0-65535" },
	{ NIN, "100 allow tcp 1-70000 0.0.0.0/0", 15, "port 70000 is outside 0-65535" },
	{ NIN, "100 allow tcp 90-80 0.0.0.0/0", 15, "port range 90-80 runs backwards: write 80-90" },
	{ NIN, "100 allow all 80 0.0.0.0/0", 15, "protocol all takes no port range" },
	{ NIN, "100 allow gre all 0.0.0.0/0", 15, "protocol gre takes no port range" },
	{ NIN, "100 allow 47 1-2 0.0.0.0/0", 14, "protocol 47 takes no port range" },
	{ NIN, "100 allow https 443 0.0.0.0/0", 17, "https sets tcp port 443 itself and takes no port range" },
	{ NIN, "100 allow dns-udp all 0.0.0.0/0", 19, "dns-udp sets udp port 53 itself and takes no port range" },
	{ NIN, "100 allow icmp 256 0.0.0.0/0", 16, "ICMP type 256 is outside 0-255" },
	{ NIN, "100 allow icmp 3/256 0.0.0.0/0", 16, "ICMP code 256 is outside 0-255" },
	{ NIN, "100 allow icmpv6 300 ::/0", 18, "ICMPv6 type 300 is outside 0-255" },
	{ NIN, "100 allow icmp packet-too-big 0.0.0.0/0", 16, "packet-too-big is an icmpv6 type name, not an icmp one" },
	{ NIN, "100 allow icmpv6 frag-needed ::/0", 18, "frag-needed is an icmp type name, not an icmpv6 one" },
	{ NIN, "100 allow icmp 3/x 0.0.0.0/0", 16, "expected an ICMP type (8, 3/4, echo-request or all) or a source CIDR" },
	{ NOUT, "100 allow icmp 3/ ::/0", 16, "expected an ICMP type (8, 3/4, echo-request or all)" },
	{ NOUT, "100 allow icmp bogus! ::/0", 16, "expected an ICMP type (8, 3/4, echo-request or all) or a destination CIDR" },
	{ NIN, "100 allow icmp", 15, "expected a source CIDR (or a list of one CIDR)" },
	{ NIN, "100 allow tcp 80", 17, "expected a source CIDR (or a list of one CIDR)" },
	{ NOUT, "100 allow tcp 80", 17, "expected a destination CIDR (or a list of one CIDR)" },
	{ NIN, "100 allow tcp 80 \"x\"", 18, "expected a source CIDR (or a list of one CIDR)" },
	{ NIN, "100 allow tcp 80 two", 18, "list 'two' holds 2 CIDRs; a network ACL rule takes exactly one" },
	{ NIN, "100 allow tcp 80 three", 18, "unknown list 'three': a list must be defined above its use" },
	{ NIN, "100 allow tcp 80 office.v4", 18, "unknown list 'office.v4': a list must be defined above its use" },
	{ NIN, "100 allow tcp 80 sg-0abc", 18, "a network ACL rule takes a CIDR, not a security group id" },
	{ NIN, "100 allow tcp 80 pl-0abc", 18, "a network ACL rule takes a CIDR, not a prefix list id" },
	{ NIN, "100 allow tcp 80 10.0.0.1", 18, "'10.0.0.1' has no prefix length: write 10.0.0.1/32" },
	{ NIN, "100 allow tcp 80 0.0.0.0/0 \"x\"", 28, "a network ACL rule takes no description" },
	{ NIN, "100 allow tcp 80 0.0.0.0/0 extra", 28, "unexpected 'extra' after the source" },
	{ NIN, "100 allow tcp 80 0.0.0.0/0 ,", 28, "unexpected ',' after the source" },
	{ NOUT, "100 allow tcp 80 ::/0 extra", 23, "unexpected 'extra' after the destination" },
	{ NIN, "100 allow tcp 80 0.0.0.0/0 \"x", 28, "unterminated string: close it with \" on the same line" },
	{ NIN, "100 allow \"tcp\" 80 0.0.0.0/0", 11, "expected a protocol or service (tcp, udp, icmp, all, ssh, https, ...)" },
	{ NIN, "* allow all 0.0.0.0/0", 3, STAR_MSG },
	{ NIN, "* deny tcp 0.0.0.0/0", 8, STAR_MSG },
	{ NIN, "* deny all 10.0.0.0/8", 12, STAR_MSG },
	{ NIN, "* deny all two", 12, STAR_MSG },
	{ NIN, "* deny all 0.0.0.0/0 x", 22, STAR_MSG },
	{ NIN, "* deny all", 11, STAR_MSG },
	{ NIN, "*", 2, STAR_MSG },
	{ NIN, "** deny all 0.0.0.0/0", 1, "expected a rule number (1-32766) or *" },
	/* eni statements (sg-1 is defined above) */
	{ SIN, "eni", 4, "expected an interface name after eni (eth1)" },
	{ SIN, "eni \"eth1\" sg-1", 5, "expected an interface name after eni (eth1)" },
	{ SIN, "eni abcdefghijklmnop sg-1", 5, "'abcdefghijklmnop' is not an interface name (1 to 15 characters, no '/')" },
	{ SIN, "eni a/b sg-1", 5, "'a/b' is not an interface name (1 to 15 characters, no '/')" },
	{ SIN, "eni eth1", 9, "expected the interface's security groups (sg-0abc ...)" },
	{ SIN, "eni eth1 eni-0123456789abcdef0", 31, "expected the interface's security groups (sg-0abc ...)" },
	{ SIN, "eni eth1 eni-12 sg-1", 10, "'eni-12' is not an ENI id (eni- and 8 or 17 hex digits)" },
	{ SIN, "eni eth1 eni-0123456G sg-1", 10, "'eni-0123456G' is not an ENI id (eni- and 8 or 17 hex digits)" },
	{ SIN, "eni eth1 sg-2", 10, "unknown security group 'sg-2': define it above this line (sg sg-2), in this file or in one given before it, with --sg" },
	{ SIN, "eni eth1 sg-1 sg-9", 15, "unknown security group 'sg-9': define it above this line (sg sg-9), in this file or in one given before it, with --sg" },
	{ SIN, "eni eth1 sg-1 sg-1", 15, "security group sg-1 is named twice" },
	{ SIN, "eni eth1 sg-1 \"x\"", 15, "expected a security group id" },
	/* SG rules */
	{ SIN, "100 allow tcp 80 0.0.0.0/0", 1, "a security group rule has no number and no action (security groups only allow): start it with its protocol" },
	{ SIN, "* deny all 0.0.0.0/0", 1, "a security group rule has no number and no action (security groups only allow): start it with its protocol" },
	{ SIN, "allow tcp 80 0.0.0.0/0", 1, "a security group rule has no number and no action (security groups only allow): start it with its protocol" },
	{ SIN, "htp 80 0.0.0.0/0", 1, "unknown protocol or service 'htp'" },
	{ SIN, "echo-request 0.0.0.0/0", 1, "echo-request is an ICMP type, not a protocol: write icmp echo-request" },
	{ SIN, "Packet-Too-Big ::/0", 1, "packet-too-big is an ICMP type, not a protocol: write icmpv6 packet-too-big" },
	{ NIN, "100 allow frag-needed 0.0.0.0/0", 11, "frag-needed is an ICMP type, not a protocol: write icmp frag-needed" },
	{ SIN, "inbond", 1, "unknown protocol or service 'inbond'" },
	{ SIN, "tcp 80", 7, "expected a source CIDR, a list name or an sg-/pl- id" },
	{ SOUT, "tcp 80", 7, "expected a destination CIDR, a list name or an sg-/pl- id" },
	{ SIN, "tcp 80 , 0.0.0.0/0", 8, "expected a source CIDR, a list name or an sg-/pl- id" },
	{ SIN, "tcp 80 sg-0abc", 8, "security group sg-0abc has no addresses on a single host: give --map sg-0abc=CIDR[,CIDR...] or define list sg-0abc = CIDR, ... above" },
	{ SIN, "tcp 80 pl-0abc", 8, "prefix list pl-0abc has no addresses on a single host: give --map pl-0abc=CIDR[,CIDR...] or define list pl-0abc = CIDR, ... above" },
	{ SIN, "tcp 80 two extra", 12, "expected a description in double quotes or the end of the line" },
	{ SIN, "tcp 80 two \"a\" \"b\"", 16, "unexpected string after the description" },
	{ SIN, "tcp 80 two \"a\" x", 16, "unexpected 'x' after the description" },
	{ SIN, "tcp 80 unknown", 8, "unknown list 'unknown': a list must be defined above its use" },
	{ SIN, "icmp foo! 0.0.0.0/0", 6, "expected an ICMP type (8, 3/4, echo-request or all) or a source CIDR" },
	{ SIN, "tcp 80 0.0.0.0/0 \"a\\qb\"", 20, "unknown escape in a string: only \\\" and \\\\ are allowed" },
	{ SIN, "ssh 22 0.0.0.0/0", 5, "ssh sets tcp port 22 itself and takes no port range" },
};

START_TEST(test_line_errors)
{
	const struct err_case *c = &err_cases[_i];
	const char *ctx = contexts[c->ctx];
	char text[512];
	unsigned line = 1;

	for (; *ctx; ctx++)
		line += *ctx == '\n';
	snprintf(text, sizeof(text), "%s%s\n", contexts[c->ctx], c->line);
	expect_errors(load(text), { line, c->col, c->msg });
}
END_TEST

/* The caret goes under the column, the source line is quoted whole. */
START_TEST(test_caret)
{
	char *text;

	expect_errors(load("nacl a\ninbound\n\t100 allow htp 0.0.0.0/0 # c\n"),
		      { 3, 12, "unknown protocol or service 'htp'" });
	text = tu_diag_text_nl(d);
	ck_assert_str_eq(text, "\n" NAME ":3:12: error: unknown protocol or service 'htp'\n"
			 "\t100 allow htp 0.0.0.0/0 # c\n"
			 "\t          ^\n");
	free(text);
}
END_TEST

/* A long word is shortened in the message, not in the quoted line. */
START_TEST(test_long_token)
{
	char text[256], msg[128];

	snprintf(text, sizeof(text), "sg s\ninbound\n%s 0.0.0.0/0\n",
		 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij");
	snprintf(msg, sizeof(msg), "unknown protocol or service '%.37s...'",
		 "abcdefghijabcdefghijabcdefghijabcdefghij");
	expect_errors(load(text), { 3, 1, msg });
}
END_TEST

/* ---- the section rules ------------------------------------------------------- */

START_TEST(test_rule_before_direction)
{
	expect_errors(load("nacl a\n100 allow tcp 80 0.0.0.0/0\nfrob\ninbound\n"
			   "100 allow tcp 80 0.0.0.0/0\nsg b\nhttp 0.0.0.0/0\n"),
		      { 2, 1, NEED_SECTION }, { 3, 1, "expected inbound or outbound" },
		      { 7, 1, NEED_SECTION });
	/* The rule under the direction line counted; the others not. */
	ck_assert_uint_eq(rs->n_nacl, 1);
	ck_assert_uint_eq(rs->nacl[0].origin.line, 5);
}
END_TEST

START_TEST(test_directions)
{
	expect_clean(load("sg a\noutbound\ntcp 1 ::/0\ninbound\ntcp 2 ::/0\n"
			  "nacl n\noutbound\n1 allow all ::/0\n"));
	ck_assert(rs->sg[0].egress && !rs->sg[1].egress && rs->nacl[0].egress);
	teardown();
	setup();
	expect_errors(load("nacl n\ninbound\noutbound\n1 allow all ::/0\noutbound\n"
			   "sg a\ninbound\ninbound\n"),
		      { 5, 1, "this section's outbound rules start on line 3: keep them under that one line" },
		      { 8, 1, "this section's inbound rules start on line 7: keep them under that one line" });
}
END_TEST

START_TEST(test_rule_numbers)
{
	/* Unique per direction; the same number may serve both directions. */
	expect_errors(load("nacl a\ninbound\n100 allow tcp 80 0.0.0.0/0\n"
			   "100 deny udp 53 ::/0\n200 allow all ::/0\noutbound\n"
			   "100 allow all 0.0.0.0/0\n200 allow all 0.0.0.0/0\n  200 deny all ::/0\n"),
		      { 4, 1, "rule number 100 is already used in inbound on line 3" },
		      { 9, 3, "rule number 200 is already used in outbound on line 8" });
	ck_assert_uint_eq(rs->n_nacl, 4);
}
END_TEST

START_TEST(test_star_rules)
{
	expect_clean(load("nacl a\ninbound\n* deny all 0.0.0.0/0\n*\tDENY -1 ::/0\n"
			  "outbound\n* deny all 0.0.0.0/0\n* deny all ::/0\n"));
	ck_assert_uint_eq(rs->n_nacl, 0);	/* checked, never added */
	teardown();
	setup();
	expect_errors(load("nacl a\ninbound\n* deny all 0.0.0.0/0\n* deny all 10.0.0.0/0\n"
			   "* deny all ::/0\n* deny all ::/0\n"),
		      { 4, 1, "the IPv4 * rule is already given on line 3" },
		      { 6, 1, "the IPv6 * rule is already given on line 5" });
}
END_TEST

START_TEST(test_one_nacl)
{
	expect_errors(load("nacl a\ninbound\n1 allow all ::/0\nnacl b\ninbound\n"
			   "1 allow all ::/0\n2 allow htp ::/0\n"),
		      { 4, 6, "a file holds one network ACL; b is the second (the first is on line 1): a subnet has exactly one" },
		      { 7, 9, "unknown protocol or service 'htp'" });
	ck_assert_str_eq(rs->nacl_id, "a");
	ck_assert_uint_eq(rs->n_nacl, 1);
}
END_TEST

START_TEST(test_groups)
{
	expect_errors(load("sg a \"one\"\ninbound\ntcp 1 ::/0\nsg b\nsg a \"again\"\n"
			   "inbound\ntcp 2 ::/0\n"),
		      { 5, 4, "security group a is already defined on line 1" });
	ck_assert_uint_eq(rs->n_groups, 2);
	ck_assert_str_eq(rs->groups[0].name, "one");
	ck_assert_ptr_null(rs->groups[1].name);
	ck_assert_uint_eq(rs->n_sg, 1);
}
END_TEST

/* A bad header or list line is one error; the rules under it are still checked. */
START_TEST(test_no_cascade)
{
	expect_errors(load("list a = 10.0.0.0/33\nsg 1bad\ninbound\ntcp 80 a\nhtp 0.0.0.0/0\n"
			   "nacl\ninbound\n1 allow tcp 80 a\n1 allow tcp 80 ::/0\n1 allow all ::/0\n"),
		      { 1, 10, "'10.0.0.0/33' is not an IPv4 CIDR (a.b.c.d/n, n 0-32)" },
		      { 2, 4, "expected a security group id after sg (sg-0abc or a name)" },
		      { 5, 1, "unknown protocol or service 'htp'" },
		      { 6, 5, "expected a network ACL id after nacl (acl-0a1b2c3d or a name)" },
		      /* A rule with a bad list still takes its number. */
		      { 9, 1, "rule number 1 is already used in inbound on line 8" },
		      { 10, 1, "rule number 1 is already used in inbound on line 8" });
	ck_assert_uint_eq(rs->n_sg, 0);
	ck_assert_uint_eq(rs->n_nacl, 0);
	ck_assert(!rs->has_nacl);
}
END_TEST

START_TEST(test_lists)
{
	expect_errors(load("list a = 10.0.0.0/8\nlist a = 10.1.0.0/16\nlist b=10.2.0.0/16,::/0\n"
			   "sg s\ninbound\ntcp 1 a\ntcp 2 b\n"),
		      { 2, 6, "list 'a' is already defined on line 1" });
	/* The first definition stands. */
	ck_assert_uint_eq(rs->n_sg, 3);
	ck_assert_uint_eq(rs->sg[0].cidr.addr[1], 0);
	ck_assert_uint_eq(rs->sg[2].cidr.family, AF_INET6);
	teardown();
	setup();
	expect_errors(load("sg s\ninbound\ntcp 1 later\nlist later = 10.0.0.0/8\n"),
		      { 3, 7, "unknown list 'later': a list must be defined above its use" });
}
END_TEST

/* Every bad line is reported in one pass, in order, and nothing else. */
START_TEST(test_one_pass)
{
	static const char text[] =
		"# bad lines everywhere\n"
		"list office = 203.0.113.0/24\n"
		"nacl acl-1\n"
		"inbound\n"
		"  100 allow tcp 80 0.0.0.0/0\n"
		"  0   allow tcp 80 0.0.0.0/0\n"
		"  110 alow  tcp 80 0.0.0.0/0\n"
		"  120 allow tcp 80 office\n"
		"outbound\n"
		"  100 allow tcp 1024-65535 0.0.0.0/0 \"no\"\n"
		"sg sg-1 \"web\"\n"
		"inbound\n"
		"  http 0.0.0.0/0 \"ok\"\n"
		"  htp 0.0.0.0/0\n"
		"  tcp 70000 0.0.0.0/0\n";

	expect_errors(load(text), { 6, 3, "rule number 0 is outside 1-32766" },
		      { 7, 7, "expected allow or deny" },
		      { 10, 38, "a network ACL rule takes no description" },
		      { 14, 3, "unknown protocol or service 'htp'" },
		      { 15, 7, "port 70000 is outside 0-65535" });
	ck_assert_uint_eq(rs->n_nacl, 2);
	ck_assert_uint_eq(rs->n_sg, 1);
}
END_TEST

/* ---- which sections a load takes ------------------------------------------- */

#define BOTH "nacl acl-1\ninbound\n1 allow all ::/0\nsg sg-1\ninbound\nall ::/0\nsg sg-2\n"

START_TEST(test_take)
{
	expect_errors(load_take(RULES_TAKE_NACL, BOTH),
		      { 4, 4, "the file holds security group sg-1: give it with --sg too" });
	ck_assert(rs->has_nacl);
	ck_assert_uint_eq(rs->n_nacl, 1);
	ck_assert_uint_eq(rs->n_groups, 0);
	ck_assert_uint_eq(rs->n_sg, 0);
	teardown();
	setup();
	expect_errors(load_take(RULES_TAKE_SG, BOTH),
		      { 1, 6, "the file holds network ACL acl-1: give it with --nacl too" });
	ck_assert(!rs->has_nacl);
	ck_assert_uint_eq(rs->n_nacl, 0);
	ck_assert_uint_eq(rs->n_groups, 2);
	teardown();
	setup();
	expect_clean(load_take(RULES_TAKE_NACL | RULES_TAKE_SG, BOTH));
	ck_assert_uint_eq(rs->n_nacl, 1);
	ck_assert_uint_eq(rs->n_sg, 1);
	teardown();
	setup();
	expect_errors(load_take(RULES_TAKE_NACL | RULES_TAKE_SG, "# empty\nlist a = ::/0\n"),
		      { 0, 0, "holds no network ACL (a line 'nacl ID' starts one)" },
		      { 0, 0, "holds no security group (a line 'sg ID' starts one)" });
	teardown();
	setup();
	expect_clean(load_take(0, "# nothing to take\n"));
}
END_TEST

/* A second file may not bring a second NACL or the same group again. */
START_TEST(test_second_file)
{
	expect_clean(load("nacl a\nsg s\n"));
	ck_assert_int_eq(rules_load_buffer(rs, RULES_TAKE_NACL | RULES_TAKE_SG, "u.rules",
					   "nacl b\nsg s\nsg t\n", 17, NULL, d), -1);
	ck_assert_uint_eq(diag_errors(d), 2);
	{
		char *text = tu_diag_text_nl(d);

		ck_assert_ptr_nonnull(strstr(text, "\nu.rules:1:6: error: network ACL a is already loaded from another file; a subnet has exactly one\n"));
		ck_assert_ptr_nonnull(strstr(text, "\nu.rules:2:4: error: security group s is already loaded from another file\n"));
		free(text);
	}
	ck_assert_str_eq(rs->nacl_id, "a");
	ck_assert_uint_eq(rs->n_groups, 2);
	ck_assert_str_eq(rs->groups[1].id, "t");
	ck_assert_uint_eq(rs->n_files, 2);
}
END_TEST

/* ---- --map and references ---------------------------------------------------- */

START_TEST(test_map)
{
	add_map("sg-0aa=10.0.0.5/32,2001:db8::5/128");
	expect_clean(load("sg sg-1\ninbound\nall sg-0aa \"self\"\n"));
	ck_assert_uint_eq(rs->n_sg, 2);
	ck_assert_str_eq(rs->sg[0].ref, "sg-0aa");
	ck_assert_str_eq(rs->sg[1].ref, "sg-0aa");
	ck_assert_str_eq(rs->sg[1].description, "self");
	teardown();
	setup();
	add_map("sg-0aa=10.0.0.5/32");
	expect_errors(load("list sg-0aa = 10.9.0.0/16\nsg sg-1\ninbound\nall sg-0aa\n"),
		      { 1, 6, "'sg-0aa' is also given with --map: give its addresses in one place" });
	ck_assert_uint_eq(rs->n_sg, 0);
	/* Without a map at all, a reference is an error as with JSON. */
	teardown();
	setup();
	ck_assert_int_eq(rules_load_buffer(rs, RULES_TAKE_SG, NAME, "sg a\ninbound\nall sg-9\n", 22,
					   NULL, d), -1);
	ck_assert_uint_eq(diag_errors(d), 1);
}
END_TEST

/* ---- the same rules in JSON and native ------------------------------------- */

static const char nacl_json[] =
	"{\"NetworkAcls\": [{\"NetworkAclId\": \"acl-1\", \"Entries\": ["
	"{\"RuleNumber\": 100, \"Egress\": false, \"RuleAction\": \"allow\", \"Protocol\": \"6\","
	" \"PortRange\": {\"From\": 80, \"To\": 80}, \"CidrBlock\": \"0.0.0.0/0\"},"
	"{\"RuleNumber\": 110, \"Egress\": false, \"RuleAction\": \"deny\", \"Protocol\": \"17\","
	" \"PortRange\": {\"From\": 1024, \"To\": 65535}, \"Ipv6CidrBlock\": \"2001:db8::/32\"},"
	"{\"RuleNumber\": 120, \"Egress\": false, \"RuleAction\": \"allow\", \"Protocol\": \"1\","
	" \"IcmpTypeCode\": {\"Type\": 3, \"Code\": 4}, \"CidrBlock\": \"10.0.0.0/8\"},"
	"{\"RuleNumber\": 130, \"Egress\": false, \"RuleAction\": \"allow\", \"Protocol\": \"58\","
	" \"IcmpTypeCode\": {\"Type\": 128, \"Code\": -1}, \"Ipv6CidrBlock\": \"::/0\"},"
	"{\"RuleNumber\": 140, \"Egress\": false, \"RuleAction\": \"allow\", \"Protocol\": \"47\","
	" \"CidrBlock\": \"192.0.2.9/24\"},"
	"{\"RuleNumber\": 32767, \"Egress\": false, \"RuleAction\": \"deny\", \"Protocol\": \"-1\","
	" \"CidrBlock\": \"0.0.0.0/0\"},"
	"{\"RuleNumber\": 100, \"Egress\": true, \"RuleAction\": \"allow\", \"Protocol\": \"-1\","
	" \"CidrBlock\": \"0.0.0.0/0\"},"
	"{\"RuleNumber\": 110, \"Egress\": true, \"RuleAction\": \"allow\", \"Protocol\": \"1\","
	" \"CidrBlock\": \"0.0.0.0/0\"},"
	"{\"RuleNumber\": 120, \"Egress\": true, \"RuleAction\": \"allow\", \"Protocol\": \"58\","
	" \"IcmpTypeCode\": {\"Type\": 2, \"Code\": -1}, \"CidrBlock\": \"0.0.0.0/0\"}"
	"]}]}";

static const char nacl_native[] =
	"nacl acl-1\ninbound\n"
	"  100 allow tcp 80 0.0.0.0/0\n"
	"  110 deny udp 1024-65535 2001:db8::/32\n"
	"  120 allow icmp frag-needed 10.0.0.0/8\n"
	"  130 allow icmpv6 echo-request ::/0\n"
	"  140 allow gre 192.0.2.9/24\n"
	"  * deny all 0.0.0.0/0\n"
	"outbound\n"
	"  100 allow all 0.0.0.0/0\n"
	"  110 allow icmp 0.0.0.0/0\n"
	"  120 allow icmpv6 packet-too-big 0.0.0.0/0\n";

static const char sg_json[] =
	"{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"GroupName\": \"web\", \"IpPermissions\": ["
	"{\"IpProtocol\": \"tcp\", \"FromPort\": 80, \"ToPort\": 80,"
	" \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\", \"Description\": \"HTTP\"}],"
	" \"Ipv6Ranges\": [{\"CidrIpv6\": \"::/0\"}]},"
	"{\"IpProtocol\": \"icmp\", \"FromPort\": 8, \"ToPort\": -1,"
	" \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}]},"
	"{\"IpProtocol\": \"-1\", \"UserIdGroupPairs\": [{\"GroupId\": \"sg-2\", \"Description\": \"peers\"}]},"
	"{\"IpProtocol\": \"udp\", \"FromPort\": -1, \"ToPort\": -1,"
	" \"PrefixListIds\": [{\"PrefixListId\": \"pl-1\"}]},"
	"{\"IpProtocol\": \"icmpv6\", \"Ipv6Ranges\": [{\"CidrIpv6\": \"::/0\"}]},"
	"{\"IpProtocol\": \"50\", \"IpRanges\": [{\"CidrIp\": \"192.0.2.0/24\"}]}],"
	" \"IpPermissionsEgress\": ["
	"{\"IpProtocol\": \"tcp\", \"FromPort\": 443, \"ToPort\": 443,"
	" \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}]},"
	"{\"GroupId\": \"sg-3\", \"IpPermissions\": [], \"IpPermissionsEgress\": []}]}";

static const char sg_native[] =
	"sg sg-1 \"web\"\ninbound\n"
	"  http 0.0.0.0/0 \"HTTP\"\n"
	"  tcp 80 ::/0\n"
	"  icmp echo-request 10.0.0.0/8\n"
	"  all sg-2 \"peers\"\n"
	"  udp all pl-1\n"
	"  icmpv6 ::/0\n"
	"  esp 192.0.2.0/24\n"
	"outbound\n"
	"  https 0.0.0.0/0\n"
	"sg sg-3\n";

static struct ruleset *load_json(enum aws_kind kind, const char *text)
{
	struct ruleset *j = ruleset_new();

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(aws_json_load_buffer(j, kind, "t.json", text, strlen(text), &map, d), 0);
	return j;
}

START_TEST(test_json_same_nacl)
{
	struct ruleset *j = load_json(AWS_KIND_NACL, nacl_json);
	size_t i;

	expect_clean(load(nacl_native));
	ck_assert_uint_eq(rs->n_nacl, 8);
	ck_assert_uint_eq(j->n_nacl, 8);
	ck_assert(rules_equal(rs, j));
	/* Entry by entry in the same order, as both loaders keep file order. */
	for (i = 0; i < rs->n_nacl; i++) {
		struct nacl_entry a = rs->nacl[i], b = j->nacl[i];

		memset(&a.origin, 0, sizeof(a.origin));
		memset(&b.origin, 0, sizeof(b.origin));
		ck_assert_msg(!memcmp(&a, &b, sizeof(a)), "entry %zu differs", i);
	}
	ruleset_free(j);
}
END_TEST

START_TEST(test_json_same_sg)
{
	struct ruleset *j;
	size_t i;

	add_map("sg-2=10.2.0.0/16,2001:db8:2::/48");
	add_map("pl-1=10.3.0.0/16");
	j = load_json(AWS_KIND_SG, sg_json);
	expect_clean(load(sg_native));
	ck_assert_uint_eq(rs->n_sg, 9);
	ck_assert_uint_eq(j->n_sg, 9);
	ck_assert_uint_eq(rs->n_groups, 2);
	ck_assert(rules_equal(rs, j));
	for (i = 0; i < rs->n_sg; i++) {
		const struct sg_entry *a = &rs->sg[i], *b = &j->sg[i];

		ck_assert(a->egress == b->egress && a->proto == b->proto && a->from == b->from &&
			  a->to == b->to && a->group == b->group &&
			  !memcmp(&a->cidr, &b->cidr, sizeof(a->cidr)));
		ck_assert_pstr_eq(a->description, b->description);
		ck_assert_pstr_eq(a->ref, b->ref);
	}
	ruleset_free(j);
}
END_TEST

/* JSON printed in the native form parses back to the same rules. */
START_TEST(test_json_print_parse)
{
	struct ruleset *j;
	char *text;

	add_map("sg-2=10.2.0.0/16,2001:db8:2::/48");
	add_map("pl-1=10.3.0.0/16");
	j = load_json(AWS_KIND_NACL, nacl_json);
	ck_assert_int_eq(aws_json_load_buffer(j, AWS_KIND_SG, "t.json", sg_json, strlen(sg_json),
					      &map, d), 0);
	text = print_text(j);
	expect_clean(load(text));
	ck_assert(rules_equal(rs, j));
	free(text);
	ruleset_free(j);
}
END_TEST

#define NACL_BASE "nacl a\ninbound\n100 allow tcp 80 0.0.0.0/0\n"
#define SG_BASE "sg s \"n\"\ninbound\nicmp 3/4 0.0.0.0/0 \"d\"\n"

/* Each variant differs from its base in one field: never equal. */
static const struct {
	const char *base, *variant;
} unequal[] = {
	{ NACL_BASE, "nacl b\ninbound\n100 allow tcp 80 0.0.0.0/0\n" },
	{ NACL_BASE, "nacl a\noutbound\n100 allow tcp 80 0.0.0.0/0\n" },
	{ NACL_BASE, "nacl a\ninbound\n101 allow tcp 80 0.0.0.0/0\n" },
	{ NACL_BASE, "nacl a\ninbound\n100 deny tcp 80 0.0.0.0/0\n" },
	{ NACL_BASE, "nacl a\ninbound\n100 allow udp 80 0.0.0.0/0\n" },
	{ NACL_BASE, "nacl a\ninbound\n100 allow tcp 81 0.0.0.0/0\n" },
	{ NACL_BASE, "nacl a\ninbound\n100 allow tcp 80-81 0.0.0.0/0\n" },
	{ NACL_BASE, "nacl a\ninbound\n100 allow tcp 80 0.0.0.0/1\n" },
	{ NACL_BASE, "nacl a\ninbound\n100 allow tcp 80 0.0.0.0/0\n110 allow all ::/0\n" },
	{ NACL_BASE, NACL_BASE "sg s\n" },
	{ "nacl a\ninbound\n1 allow icmp 3/4 ::/0\n", "nacl a\ninbound\n1 allow icmp 3/5 ::/0\n" },
	{ "nacl a\ninbound\n1 allow icmp 3/4 ::/0\n", "nacl a\ninbound\n1 allow icmp 4/4 ::/0\n" },
	{ SG_BASE, "sg t \"n\"\ninbound\nicmp 3/4 0.0.0.0/0 \"d\"\n" },
	{ SG_BASE, "sg s \"m\"\ninbound\nicmp 3/4 0.0.0.0/0 \"d\"\n" },
	{ SG_BASE, "sg s\ninbound\nicmp 3/4 0.0.0.0/0 \"d\"\n" },
	{ SG_BASE, "sg s \"n\"\noutbound\nicmp 3/4 0.0.0.0/0 \"d\"\n" },
	{ SG_BASE, "sg s \"n\"\ninbound\nicmpv6 3/4 0.0.0.0/0 \"d\"\n" },
	{ SG_BASE, "sg s \"n\"\ninbound\nicmp 4/4 0.0.0.0/0 \"d\"\n" },
	{ SG_BASE, "sg s \"n\"\ninbound\nicmp 3/5 0.0.0.0/0 \"d\"\n" },
	{ SG_BASE, "sg s \"n\"\ninbound\nicmp 3/4 ::/0 \"d\"\n" },
	{ SG_BASE, "sg s \"n\"\ninbound\nicmp 3/4 0.0.0.0/0 \"e\"\n" },
	{ SG_BASE, "sg s \"n\"\ninbound\nicmp 3/4 0.0.0.0/0\n" },
	{ SG_BASE, SG_BASE "icmp 3/4 0.0.0.0/0 \"d\"\n" },
	{ SG_BASE, "sg r\n" SG_BASE },
	/* Order within a direction counts (print keeps it). */
	{ SG_BASE "tcp 1 ::/0\n", "sg s \"n\"\ninbound\ntcp 1 ::/0\nicmp 3/4 0.0.0.0/0 \"d\"\n" },
};

static struct ruleset *parse_clean(const char *text)
{
	struct ruleset *r = ruleset_new();

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(rules_load_buffer(r, rules_sections(text, strlen(text)), NAME, text,
					strlen(text), NULL, d) == 0, "%s", text);
	return r;
}

START_TEST(test_equal_fields)
{
	struct ruleset *a = parse_clean(unequal[_i].base), *b = parse_clean(unequal[_i].variant);
	struct ruleset *a2 = parse_clean(unequal[_i].base);

	ck_assert(rules_equal(a, a2));
	ck_assert(!rules_equal(a, b));
	ck_assert(!rules_equal(b, a));
	ruleset_free(a);
	ruleset_free(a2);
	ruleset_free(b);
}
END_TEST

/* ---- the canonical form ------------------------------------------------------ */

static const char web_rules[] =
	"# web.rules - a public web server in its own subnet\n"
	"\n"
	"list office = 203.0.113.0/24, 2001:db8:10::/48\n"
	"list office4 = 203.0.113.0/24\n"
	"\n"
	"nacl acl-0a1b2c3d4e5f6a7b8\n"
	"inbound\n"
	"  # rule  action  protocol  ports        source\n"
	"  100     allow   http                   0.0.0.0/0\n"
	"  110     allow   tcp       443          0.0.0.0/0\n"
	"  120     allow   ssh                    office4         # a list of exactly one CIDR\n"
	"  130     allow   tcp       1024-65535   0.0.0.0/0       # replies to our own connections\n"
	"  140     allow   icmp      3/4          0.0.0.0/0       # path MTU discovery\n"
	"  150     allow   http                   ::/0\n"
	"outbound\n"
	"  110     allow   all                    0.0.0.0/0\n"
	"  100     allow   tcp       1024-65535   0.0.0.0/0       # replies to the clients\n"
	"\n"
	"sg sg-0e5f6a7b8c9d0e1f2 \"web-servers\"\n"
	"inbound\n"
	"  # protocol  ports   source        description\n"
	"  http                0.0.0.0/0     \"HTTP from anywhere\"\n"
	"  tcp         443     ::/0\n"
	"  ssh                 office        \"SSH from the office\"\n"
	"  icmp        echo-request  0.0.0.0/0\n"
	"outbound\n"
	"  # no outbound rule: replies still leave (security groups are stateful)\n";

static const char web_canonical[] =
	"nacl acl-0a1b2c3d4e5f6a7b8\n"
	"inbound\n"
	"  100    allow  tcp     80          0.0.0.0/0\n"
	"  110    allow  tcp     443         0.0.0.0/0\n"
	"  120    allow  tcp     22          203.0.113.0/24\n"
	"  130    allow  tcp     1024-65535  0.0.0.0/0\n"
	"  140    allow  icmp    3/4         0.0.0.0/0\n"
	"  150    allow  tcp     80          ::/0\n"
	"  *      deny   all                 0.0.0.0/0\n"
	"  *      deny   all                 ::/0\n"
	"outbound\n"
	"  100    allow  tcp     1024-65535  0.0.0.0/0\n"
	"  110    allow  all                 0.0.0.0/0\n"
	"  *      deny   all                 0.0.0.0/0\n"
	"  *      deny   all                 ::/0\n"
	"\n"
	"sg sg-0e5f6a7b8c9d0e1f2 \"web-servers\"\n"
	"inbound\n"
	"  tcp     80          0.0.0.0/0          \"HTTP from anywhere\"\n"
	"  tcp     443         ::/0\n"
	"  tcp     22          203.0.113.0/24     \"SSH from the office\"\n"
	"  tcp     22          2001:db8:10::/48   \"SSH from the office\"\n"
	"  icmp    8           0.0.0.0/0\n"
	"outbound\n";

START_TEST(test_print_web)
{
	char *out;

	expect_clean(load(web_rules));
	out = print_text(rs);
	ck_assert_str_eq(out, web_canonical);
	free(out);
}
END_TEST

START_TEST(test_print_shapes)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* NACL only: both directions and the '*' lines, even when empty. */
		{ "nacl a\n",
		  "nacl a\ninbound\n"
		  "  *      deny   all                 0.0.0.0/0\n"
		  "  *      deny   all                 ::/0\n"
		  "outbound\n"
		  "  *      deny   all                 0.0.0.0/0\n"
		  "  *      deny   all                 ::/0\n" },
		/* SG only, empty groups, names, outbound before inbound in the file. */
		{ "sg a\nsg b \"\"\noutbound\n  udp 53 10.0.0.0/8\ninbound\n  gre 10.0.0.0/8\n",
		  "sg a\ninbound\noutbound\n\nsg b \"\"\ninbound\n"
		  "  47                  10.0.0.0/8\n"
		  "outbound\n"
		  "  udp     53          10.0.0.0/8\n" },
		/* Long fields keep a space; ICMP T, T/C, all; escapes. */
		{ "sg a \"say \\\"hi\\\" \\\\o/\"\ninbound\n"
		  "  tcp 65000-65535 2001:db8:1234:5678:9abc:def0:1234:5678/128 \"d\"\n"
		  "  icmpv6 1/3 ::/0\n  icmp 0 0.0.0.0/0\n  icmp all 0.0.0.0/0 \"\"\n",
		  "sg a \"say \\\"hi\\\" \\\\o/\"\ninbound\n"
		  "  tcp     65000-65535 2001:db8:1234:5678:9abc:def0:1234:5678/128 \"d\"\n"
		  "  icmpv6  1/3         ::/0\n"
		  "  icmp    0           0.0.0.0/0\n"
		  "  icmp                0.0.0.0/0          \"\"\n"
		  "outbound\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;

		teardown();
		setup();
		expect_clean(load(cases[i].in));
		out = print_text(rs);
		ck_assert_str_eq(out, cases[i].out);
		free(out);
	}
}
END_TEST

/* References print as the CIDRs enforced, the id in a comment. */
START_TEST(test_print_refs)
{
	char *out;

	add_map("pl-0bb=192.0.2.0/24");
	expect_clean(load("list sg-0aa = 10.0.0.5/32\nsg a\ninbound\nall sg-0aa \"self\"\n"
			  "https pl-0bb\n"));
	out = print_text(rs);
	ck_assert_str_eq(out, "sg a\ninbound\n"
			 "  all                 10.0.0.5/32        \"self\" # from sg-0aa\n"
			 "  tcp     443         192.0.2.0/24       # from pl-0bb\n"
			 "outbound\n");
	free(out);
}
END_TEST

/* Strings from elsewhere (JSON) may hold control characters: printed as spaces. */
START_TEST(test_print_control)
{
	struct sg_entry e;
	char *out;

	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(ruleset_add_group(rs, "g", "a\tb\"c"), 0);
	e.proto = 6;
	e.from = e.to = 22;
	ck_assert_int_eq(cidr_parse("10.0.0.0/8", &e.cidr), 0);
	e.description = (char *)"x\ny";
	ck_assert_int_eq(ruleset_add_sg(rs, &e), 0);
	out = print_text(rs);
	ck_assert_str_eq(out, "sg g \"a b\\\"c\"\ninbound\n"
			 "  tcp     22          10.0.0.0/8         \"x y\"\noutbound\n");
	free(out);
}
END_TEST

/* Remove each line's trailing " # from ID" comment (and the blanks before it). */
static void strip_refs(char *s)
{
	char *out = s, *line = s, *nl, *c;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		c = strstr(line, "# from ");
		if (c && c < nl && !memchr(c, '"', (size_t)(nl - c))) {
			while (c > line && c[-1] == ' ')
				c--;
		} else {
			c = nl;
		}
		memmove(out, line, (size_t)(c - line));
		out += c - line;
		*out++ = '\n';
	}
	*out = '\0';
}

/* parse(print(x)) == x, and print(parse(print(x))) == print(x), byte for byte. */
START_TEST(test_round_trip)
{
	static const char *const texts[] = { web_rules, nacl_native, sg_native };
	struct ruleset *again;
	char *p1, *p2;

	add_map("sg-2=10.2.0.0/16,2001:db8:2::/48");
	add_map("pl-1=10.3.0.0/16");
	expect_clean(load(texts[_i]));
	p1 = print_text(rs);
	again = ruleset_new();
	ck_assert_int_eq(rules_load_buffer(again, rules_sections(p1, strlen(p1)), "p1", p1,
					   strlen(p1), NULL, d), 0);
	ck_assert_uint_eq(diag_errors(d), 0);
	ck_assert(rules_equal(rs, again));
	p2 = print_text(again);
	if (_i == 2) {
		/* sg_native's references lose their "# from" comment, and only that. */
		ck_assert_ptr_nonnull(strstr(p1, "\"peers\" # from sg-2\n"));
		ck_assert_ptr_nonnull(strstr(p1, "10.3.0.0/16        # from pl-1\n"));
		strip_refs(p1);
	}
	ck_assert_str_eq(p1, p2);
	free(p1);
	free(p2);
	ruleset_free(again);
}
END_TEST

/*
 * eni binds an interface to groups defined above it, with an optional ENI
 * id; a second binding of the interface is an error that names the first;
 * it ends the section above it; printing and parsing again gives the same.
 */
START_TEST(test_eni)
{
	static const char text[] =
		"sg sg-a\ninbound\ntcp 80 0.0.0.0/0\n"
		"sg sg-b\ninbound\ntcp 81 0.0.0.0/0\n"
		"eni eth1 eni-0123456789abcdef0 sg-b sg-a\n"
		"eni veth0 sg-a\n";
	struct ruleset *again, *sub;
	char *p1, *p2;

	expect_clean(load(text));
	ck_assert_uint_eq(rs->n_enis, 2);
	ck_assert_str_eq(rs->enis[0].ifname, "eth1");
	ck_assert_str_eq(rs->enis[0].eni_id, "eni-0123456789abcdef0");
	ck_assert_uint_eq(rs->enis[0].n_groups, 2);
	ck_assert_uint_eq(rs->enis[0].groups[0], 1);
	ck_assert_uint_eq(rs->enis[0].groups[1], 0);
	ck_assert_uint_eq(rs->enis[0].origin.line, 7);
	ck_assert_ptr_null(rs->enis[1].eni_id);
	p1 = print_text(rs);
	ck_assert_ptr_nonnull(strstr(p1, "\neni eth1 eni-0123456789abcdef0 sg-b sg-a\neni veth0 sg-a\n"));
	again = ruleset_new();
	ck_assert_int_eq(rules_load_buffer(again, rules_sections(p1, strlen(p1)), "p1", p1,
					   strlen(p1), NULL, d), 0);
	ck_assert(rules_equal(rs, again));
	p2 = print_text(again);
	ck_assert_str_eq(p1, p2);
	/* What eth1 is judged by: its two groups, in its order, with their rules. */
	sub = ruleset_subset(rs, rs->enis[0].groups, rs->enis[0].n_groups);
	ck_assert_ptr_nonnull(sub);
	ck_assert_uint_eq(sub->n_groups, 2);
	ck_assert_str_eq(sub->groups[0].id, "sg-b");
	ck_assert_uint_eq(sub->n_sg, 2);
	ck_assert_uint_eq(sub->n_enis, 0);
	ck_assert(sub->sg[0].group == 0 ? sub->sg[0].from == 81 : sub->sg[0].from == 80);
	ruleset_free(sub);
	free(p1);
	free(p2);
	ruleset_free(again);
	/* A second binding of eth1, in a second file: the first is named. */
	ck_assert_int_eq(rules_load_buffer(rs, RULES_TAKE_SG, "b.rules", "sg sg-c\neni eth1 sg-c\n",
					   22, NULL, d), -1);
	p1 = tu_diag_text_nl(d);
	ck_assert_msg(diag_errors(d) == 1 && strstr(p1,
		      "b.rules:2:5: error: interface eth1 is already bound by the eni statement of t.rules:7: one per interface"),
		      "%s", p1);
	free(p1);
}
END_TEST

/* A rule under an eni line has no section. */
START_TEST(test_eni_ends_section)
{
	expect_errors(load("sg sg-a\ninbound\neni eth1 sg-a\ntcp 80 0.0.0.0/0\n"),
		      { 4, 1, "a rule needs a section (nacl/sg) and a direction (inbound/outbound) above it" });
}
END_TEST

/* ---- files ------------------------------------------------------------------- */

START_TEST(test_load_file)
{
	const struct load_opts o = { .take = RULES_TAKE_NACL | RULES_TAKE_SG, .map = &map };

	expect_clean(load_file(rs, TEST_SRCDIR "/rules/web.in", &o, d, NULL));
	ck_assert(rs->has_nacl);
	ck_assert_uint_eq(rs->n_groups, 1);
	ck_assert_str_eq(rs->nacl[0].origin.file, TEST_SRCDIR "/rules/web.in");
}
END_TEST

START_TEST(test_load_file_missing)
{
	const struct load_opts o = { .take = RULES_TAKE_NACL, .map = &map };
	char *text;

	ck_assert_int_eq(load_file(rs, "/nonexistent/x.rules", &o, d, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	text = tu_diag_text_nl(d);
	ck_assert_str_eq(text, "\n/nonexistent/x.rules: error: cannot read: No such file or directory\n");
	free(text);
}
END_TEST

/* A NUL byte or any control character is refused where it stands. */
START_TEST(test_binary)
{
	static const char text[] = "sg a\ninbound\ntcp 80\0x 0.0.0.0/0\n";

	expect_errors(rules_load_buffer(rs, RULES_TAKE_SG, NAME, text, sizeof(text) - 1, &map, d),
		      { 3, 7, "unexpected control character 0x00" });
}
END_TEST

START_TEST(test_bom_crlf)
{
	expect_clean(load("\xef\xbb\xbfnacl a\r\ninbound\r\n100 allow tcp 80 0.0.0.0/0\r\n"));
	ck_assert_uint_eq(rs->n_nacl, 1);
	ck_assert_uint_eq(rs->nacl[0].origin.line, 3);
}
END_TEST

/* ---- the suite ----------------------------------------------------------------- */

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase("lexer");

	tcase_add_loop_test(tc, test_lex_tokens, 0, N(lex_cases));
	tcase_add_test(tc, test_lex_string_limit);
	tcase_add_test(tc, test_lex_lines);
	tcase_add_test(tc, test_keywords);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_sections);
	suite_add_tcase(s, tc);

	tc = tcase("model");
	tcase_add_loop_test(tc, test_nacl_mapping, 0, N(nacl_cases));
	tcase_add_test(tc, test_nacl_icmpv6_warning);
	tcase_add_loop_test(tc, test_sg_mapping, 0, N(sg_cases));
	tcase_add_loop_test(tc, test_services, 0, N(services));
	tcase_add_loop_test(tc, test_icmp_names, 0, N(icmp_names));
	tcase_add_test(tc, test_case_insensitive);
	tcase_add_test(tc, test_map);
	tcase_add_test(tc, test_json_same_nacl);
	tcase_add_test(tc, test_json_same_sg);
	suite_add_tcase(s, tc);

	tc = tcase("errors");
	tcase_add_loop_test(tc, test_line_errors, 0, N(err_cases));
	tcase_add_test(tc, test_caret);
	tcase_add_test(tc, test_long_token);
	tcase_add_test(tc, test_binary);
	tcase_add_test(tc, test_one_pass);
	suite_add_tcase(s, tc);

	tc = tcase("sections");
	tcase_add_test(tc, test_rule_before_direction);
	tcase_add_test(tc, test_directions);
	tcase_add_test(tc, test_rule_numbers);
	tcase_add_test(tc, test_star_rules);
	tcase_add_test(tc, test_one_nacl);
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_no_cascade);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_take);
	tcase_add_test(tc, test_second_file);
	suite_add_tcase(s, tc);

	tc = tcase("print");
	tcase_add_test(tc, test_print_web);
	tcase_add_test(tc, test_print_shapes);
	tcase_add_test(tc, test_print_refs);
	tcase_add_test(tc, test_print_control);
	tcase_add_loop_test(tc, test_round_trip, 0, 3);
	tcase_add_test(tc, test_eni);
	tcase_add_test(tc, test_eni_ends_section);
	tcase_add_test(tc, test_json_print_parse);
	tcase_add_loop_test(tc, test_equal_fields, 0, N(unequal));
	suite_add_tcase(s, tc);

	tc = tcase("files");
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_load_file_missing);
	tcase_add_test(tc, test_bom_crlf);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(rules_suite());
}
