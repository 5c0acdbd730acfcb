/*
 * The lexer of the native rule language: lines, tokens (words, strings,
 * ',' and '='), comments, and the one sorted keyword table (pf's lookup()).
 * No state outside the struct rline the caller owns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_int.h"

#define STMT(n, v)	{ .name = n, .kind = RKW_STMT, .value = v }
#define ACTION(n, v)	{ .name = n, .kind = RKW_ACTION, .value = v }
#define PROTO(n, v)	{ .name = n, .kind = RKW_PROTO, .value = v }
#define SERVICE(n, pr, po) { .name = n, .kind = RKW_SERVICE, .value = pr, .port = po }
#define ICMP(n, t4_, c4_, t6_, c6_) \
	{ .name = n, .kind = RKW_ICMP, .t4 = t4_, .c4 = c4_, .t6 = t6_, .c6 = c6_ }
#define NO	RKW_NONE

/*
 * Sorted by name (bytes, as strcmp): rules_kw_find bsearches it. The
 * services are the AWS console's "Type" column, no more; the ICMP names
 * are the types AWS users meet (PMTUD, ping, traceroute).
 */
static const struct rkw keywords[] = {
	PROTO("ah", 51),
	PROTO("all", PROTO_ALL),
	ACTION("allow", 1),
	ACTION("deny", 0),
	ICMP("dest-unreachable", 3, -1, 1, -1),
	SERVICE("dns-tcp", 6, 53),
	SERVICE("dns-udp", 17, 53),
	ICMP("echo-reply", 0, -1, 129, -1),
	ICMP("echo-request", 8, -1, 128, -1),
	STMT("eni", RST_ENI),
	PROTO("esp", 50),
	ICMP("frag-needed", 3, 4, NO, NO),
	PROTO("gre", 47),
	SERVICE("http", 6, 80),
	SERVICE("https", 6, 443),
	PROTO("icmp", 1),
	PROTO("icmpv6", 58),
	SERVICE("imap", 6, 143),
	SERVICE("imaps", 6, 993),
	STMT("inbound", RST_INBOUND),
	PROTO("ipv6-icmp", 58),
	SERVICE("ldap", 6, 389),
	STMT("list", RST_LIST),
	SERVICE("mssql", 6, 1433),
	SERVICE("mysql", 6, 3306),
	STMT("nacl", RST_NACL),
	SERVICE("nfs", 6, 2049),
	SERVICE("oracle-rds", 6, 1521),
	STMT("outbound", RST_OUTBOUND),
	ICMP("packet-too-big", NO, NO, 2, -1),
	ICMP("param-problem", 12, -1, 4, -1),
	SERVICE("pop3", 6, 110),
	SERVICE("pop3s", 6, 995),
	SERVICE("postgresql", 6, 5432),
	SERVICE("rdp", 6, 3389),
	ICMP("redirect", 5, -1, NO, NO),
	SERVICE("redshift", 6, 5439),
	PROTO("sctp", 132),
	STMT("sg", RST_SG),
	SERVICE("smb", 6, 445),
	SERVICE("smtp", 6, 25),
	SERVICE("smtps", 6, 465),
	ICMP("source-quench", 4, -1, NO, NO),
	SERVICE("ssh", 6, 22),
	PROTO("tcp", 6),
	ICMP("time-exceeded", 11, -1, 3, -1),
	ICMP("timestamp-reply", 14, -1, NO, NO),
	ICMP("timestamp-request", 13, -1, NO, NO),
	PROTO("udp", 17),
	SERVICE("winrm-http", 6, 5985),
	SERVICE("winrm-https", 6, 5986),
};

#define KW_MAX_LEN 24	/* longer words are no keyword */

struct kw_key {
	const char *s;
	size_t len;
};

static int kw_cmp(const void *key, const void *elem)
{
	const struct kw_key *k = key;
	const struct rkw *kw = elem;
	size_t n = strlen(kw->name);
	int r = strncasecmp(k->s, kw->name, k->len < n ? k->len : n);

	if (r)
		return r;
	return (k->len > n) - (k->len < n);
}

const struct rkw *rules_kw_find(const char *s, size_t len)
{
	struct kw_key k = { s, len };

	if (len == 0 || len > KW_MAX_LEN)
		return NULL;
	return bsearch(&k, keywords, ARRAY_SIZE(keywords), sizeof(keywords[0]),
		       kw_cmp);
}

const struct rkw *rules_kw_table(size_t *n)
{
	*n = ARRAY_SIZE(keywords);
	return keywords;
}

bool rules_tok_is(const struct rtok *t, const char *kw)
{
	size_t n = strlen(kw);

	return t->type == RTOK_WORD && t->len == n && !strncasecmp(t->text, kw, n);
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool rules_is_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !is_alpha(s[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

bool rules_id_printable(const char *id)
{
	size_t len = strlen(id);

	return rules_is_name(id, len) && !rules_kw_find(id, len);
}

bool rules_is_ref_id(const char *s, size_t len)
{
	size_t i;

	if (len < 4 || (strncmp(s, "sg-", 3) && strncmp(s, "pl-", 3)))
		return false;
	for (i = 3; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]))
			return false;
	return true;
}

/* ---- lines ---------------------------------------------------------- */

size_t rules_bom_len(const char *buf, size_t len)
{
	return len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
}

bool rules_next_line(const char *buf, size_t len, size_t *pos,
		     const char **text, size_t *tlen)
{
	const char *p = buf + *pos, *nl;
	size_t n;

	if (*pos >= len)
		return false;
	nl = memchr(p, '\n', len - *pos);
	n = nl ? (size_t)(nl - p) : len - *pos;
	*pos += n + (nl != NULL);
	if (n && p[n - 1] == '\r')
		n--;
	*text = p;
	*tlen = n;
	return true;
}

/* ---- tokens --------------------------------------------------------- */

/* Control characters have no place in a rule file (tabs are blanks). */
static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static bool ends_word(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '#' || c == '"' || c == ',' || c == '=';
}

static struct rtok *push(struct rline *l, enum rtok_type type, size_t at, size_t len)
{
	struct rtok *t;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct rtok *nt = realloc(l->tok, cap * sizeof(*nt));

		if (!nt)
			return NULL;
		l->tok = nt;
		l->cap = cap;
	}
	t = &l->tok[l->n++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->text = l->text + at;
	t->len = len;
	t->col = (unsigned)at + 1;
	return t;
}

static void PRINTF_FMT(3, 4) lex_error(struct rline *l, struct rtok *t,
				       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	t->type = RTOK_ERROR;
}

/*
 * A string: "..." on one line, \" and \\ the only escapes, printable
 * bytes (no tab: AWS takes none in names and descriptions), at most
 * RULES_STRING_MAX. The value goes to l->vals at *used.
 */
static void lex_string(struct rline *l, struct rtok *t, size_t *pos, size_t *used)
{
	size_t i = *pos + 1, n = 0;
	char *out = l->vals + *used;
	unsigned char c;

	for (; i < l->len && l->text[i] != '"'; i++, n++) {
		c = (unsigned char)l->text[i];
		if (c == '\\' && i + 1 < l->len &&
		    (l->text[i + 1] == '"' || l->text[i + 1] == '\\')) {
			c = (unsigned char)l->text[++i];
		} else if (c == '\\' && i + 1 < l->len) {
			t->col = (unsigned)i + 1;
			lex_error(l, t, "unknown escape in a string: only \\\" and \\\\ are allowed");
			return;
		} else if (is_ctl(c) || c == '\t') {
			t->col = (unsigned)i + 1;
			lex_error(l, t, "control character 0x%02x in a string", c);
			return;
		}
		out[n] = (char)c;
	}
	if (i >= l->len) {
		lex_error(l, t, "unterminated string: close it with \" on the same line");
		return;
	}
	if (n > RULES_STRING_MAX) {
		lex_error(l, t, "a string holds at most %d bytes (AWS's limit); this one holds %zu",
			  RULES_STRING_MAX, n);
		return;
	}
	out[n] = '\0';
	t->val = out;
	t->val_len = n;
	t->len = i + 1 - *pos;
	*used += n + 1;
	*pos = i + 1;
}

static void lex_word(struct rline *l, struct rtok *t, size_t *pos)
{
	size_t i = *pos;

	for (; i < l->len && !ends_word((unsigned char)l->text[i]); i++)
		if (is_ctl((unsigned char)l->text[i])) {
			t->col = (unsigned)i + 1;
			lex_error(l, t, "unexpected control character 0x%02x",
				  (unsigned char)l->text[i]);
			return;
		}
	t->len = i - *pos;
	*pos = i;
}

static int lex_reserve(struct rline *l, size_t len)
{
	char *nv;

	if (len + 1 <= l->vals_cap)
		return 0;
	nv = realloc(l->vals, len + 1);
	if (!nv)
		return -1;
	l->vals = nv;
	l->vals_cap = len + 1;
	return 0;
}

/* One token at *pos (blanks skipped): 1, 0 once the line is done, -1 ENOMEM. */
static int lex_one(struct rline *l, size_t *pos, size_t *used, size_t *last_end)
{
	struct rtok *t;
	char c;

	while (*pos < l->len && (l->text[*pos] == ' ' || l->text[*pos] == '\t'))
		(*pos)++;
	if (*pos >= l->len || l->text[*pos] == '#') {
		t = push(l, RTOK_END, *last_end, 0);
		return t ? 0 : -1;
	}
	c = l->text[*pos];
	t = push(l, c == '"' ? RTOK_STRING : c == ',' ? RTOK_COMMA :
		 c == '=' ? RTOK_EQUALS : RTOK_WORD, *pos, 1);
	if (!t)
		return -1;
	if (t->type == RTOK_STRING)
		lex_string(l, t, pos, used);
	else if (t->type == RTOK_WORD)
		lex_word(l, t, pos);
	else
		(*pos)++;
	*last_end = *pos;
	return t->type == RTOK_ERROR ? 0 : 1;
}

int rules_lex_line(struct rline *l, const char *text, size_t len, unsigned no)
{
	size_t pos = 0, used = 0, last_end = 0, i;
	int r;

	l->text = text;
	l->len = len;
	l->no = no;
	l->n = 0;
	l->err[0] = '\0';
	if (lex_reserve(l, len) < 0)
		goto oom;
	while ((r = lex_one(l, &pos, &used, &last_end)) > 0)
		;
	for (i = 0; r == 0 && i < RLINE_PAD; i++)
		if (!push(l, RTOK_END, 0, 0))
			r = -1;
		else
			l->tok[l->n - 1] = l->tok[l->n - 2];
	if (r == 0)
		return 0;
oom:
	errno = ENOMEM;
	return -1;
}

void rules_line_free(struct rline *l)
{
	free(l->tok);
	free(l->vals);
	memset(l, 0, sizeof(*l));
}

/* ---- sections ------------------------------------------------------- */

/* The first word of a line, as the lexer would cut it. */
static size_t first_word(const char *s, size_t len, const char **w)
{
	size_t i = 0, j;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (j = i; j < len && !ends_word((unsigned char)s[j]); j++)
		;
	*w = s + i;
	return j - i;
}

unsigned rules_sections(const char *buf, size_t len)
{
	size_t pos = rules_bom_len(buf, len), tlen, wlen;
	const char *text, *w;
	unsigned found = 0;

	while (rules_next_line(buf, len, &pos, &text, &tlen)) {
		wlen = first_word(text, tlen, &w);
		if (wlen == 4 && !strncasecmp(w, "nacl", 4))
			found |= RULES_TAKE_NACL;
		else if (wlen == 2 && !strncasecmp(w, "sg", 2))
			found |= RULES_TAKE_SG;
	}
	return found;
}
