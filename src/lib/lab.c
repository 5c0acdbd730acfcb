/*
 * The lab file parser (lab.h). Lines are lexed by the rule language's own
 * lexer (rules_lex.c), so a lab file has the same words, strings, comments
 * and lexical errors as a rule file, and its messages the same form
 * (diag.c). Every bad line is reported once, at its leftmost problem; the
 * rule files are loaded only when the lab itself is sound, so that their
 * messages are not a cascade of the lab's own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "lab.h"
#include "load.h"
#include "rules_int.h"
#include "ruleset.h"

#define MSG_LEN 512

struct lp {
	struct lab *lab;
	struct diag *d;
	const char *name;	/* the lab file in messages */
	char *dir;		/* its folder, for relative rule files */
	struct rline ln;
	char *src;		/* the current line as a C string, lazily */
	size_t errors;
	unsigned vpc_line;
	unsigned lab_line;
};

/* ---- messages ------------------------------------------------------- */

static const char *src_line(struct lp *p)
{
	if (!p->src)
		p->src = strndup(p->ln.text, p->ln.len);
	return p->src;
}

static int PRINTF_FMT(3, 4) err(struct lp *p, unsigned col, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(p->d, DIAG_ERROR, p->name, p->ln.no, col, src_line(p), "%s", msg);
	p->errors++;
	return -1;
}

/* At token t; a lexical error reports its own message instead. */
static int PRINTF_FMT(3, 4) tok_err(struct lp *p, const struct rtok *t, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	if (t->type == RTOK_ERROR)
		return err(p, t->col, "%s", p->ln.err);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err(p, t->col, "%s", msg);
}

static const char *quote(const struct rtok *t, char *buf, size_t len)
{
	if (t->type == RTOK_WORD)
		snprintf(buf, len, "'%.*s'", t->len > 40 ? 40 : (int)t->len, t->text);
	else
		snprintf(buf, len, "%s", t->type == RTOK_STRING ? "a string" :
			 t->type == RTOK_COMMA ? "','" : t->type == RTOK_EQUALS ? "'='" :
			 "the end of the line");
	return buf;
}

static int oom(struct lp *p)
{
	diag_error(p->d, p->name, "out of memory");
	p->errors++;
	return -1;
}

/*
 * Append a copy of elem (size bytes) to the array at *arrp of *n elements
 * (the model's arrays are a few entries long: one realloc each). 0, or -1.
 */
static int append(void *arrp, size_t *n, size_t size, const void *elem)
{
	char *old, *na;

	memcpy(&old, arrp, sizeof(old));
	na = realloc(old, (*n + 1) * size);
	if (!na)
		return -1;
	memcpy(na + *n * size, elem, size);
	memcpy(arrp, &na, sizeof(na));
	(*n)++;
	return 0;
}

/* ---- tokens --------------------------------------------------------- */

static int want_end(struct lp *p, const struct rtok *t)
{
	char q[64];

	if (t->type == RTOK_END)
		return 0;
	return tok_err(p, t, "unexpected %s: the statement ends here", quote(t, q, sizeof(q)));
}

static int want_kw(struct lp *p, const struct rtok *t, const char *kw)
{
	char q[64];

	if (rules_tok_is(t, kw))
		return 0;
	return tok_err(p, t, "expected '%s', not %s", kw, quote(t, q, sizeof(q)));
}

static bool is_lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * A lab's name: lower-case letters and digits (no '-': it separates the
 * lab from the host in vl-LAB-HOST). A host's or subnet's: also '-'.
 */
static bool good_name(const char *s, size_t len, bool lab)
{
	size_t i;

	if (len == 0 || len > (lab ? LAB_NAME_MAX : LAB_HOST_MAX) || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; i < len; i++)
		if (!is_lower_or_digit(s[i]) && (lab || s[i] != '-'))
			return false;
	return true;
}

static char *name_tok(struct lp *p, const struct rtok *t, const char *what, bool lab)
{
	char q[64], *s;

	if (t->type != RTOK_WORD) {
		tok_err(p, t, "expected the %s's name, not %s", what, quote(t, q, sizeof(q)));
		return NULL;
	}
	if (!good_name(t->text, t->len, lab)) {
		tok_err(p, t, "%s is no %s name: a lower-case letter, then letters and digits%s, at most %d",
			quote(t, q, sizeof(q)), what, lab ? "" : " and '-'",
			lab ? LAB_NAME_MAX : LAB_HOST_MAX);
		return NULL;
	}
	if (!(s = strndup(t->text, t->len)))
		oom(p);
	return s;
}

/* A CIDR block of the family (AF_INET, AF_INET6), written with its host bits clear. */
static int cidr_tok_af(struct lp *p, const struct rtok *t, struct cidr *c, int af)
{
	char word[CIDR_STRLEN], q[64], canon[CIDR_STRLEN];

	if (t->type == RTOK_WORD && t->len < sizeof(word)) {
		snprintf(word, sizeof(word), "%.*s", (int)t->len, t->text);
		if (cidr_parse(word, c) == 0 && c->family == af) {
			cidr_format(c, canon, sizeof(canon));
			if (strcmp(canon, word))
				return tok_err(p, t, "%s has host bits set: write %s", quote(t, q, sizeof(q)), canon);
			return 0;
		}
	}
	return tok_err(p, t, "expected an %s CIDR block (%s), not %s", af == AF_INET ? "IPv4" : "IPv6",
		       af == AF_INET ? "a.b.c.d/n" : "x:x::/n", quote(t, q, sizeof(q)));
}

static int cidr_tok(struct lp *p, const struct rtok *t, struct cidr *c)
{
	return cidr_tok_af(p, t, c, AF_INET);
}

/* An address of the family (AF_INET: a[4], AF_INET6: a[16]). */
static int addr_tok_af(struct lp *p, const struct rtok *t, uint8_t *a, int af)
{
	char word[INET6_ADDRSTRLEN], q[64];

	if (t->type == RTOK_WORD && t->len < sizeof(word)) {
		snprintf(word, sizeof(word), "%.*s", (int)t->len, t->text);
		if (inet_pton(af, word, a) == 1)
			return 0;
	}
	return tok_err(p, t, "expected an %s, not %s",
		       af == AF_INET ? "IPv4 address (a.b.c.d)" : "IPv6 address (x:x::x)",
		       quote(t, q, sizeof(q)));
}

static int addr_tok(struct lp *p, const struct rtok *t, uint8_t a[4])
{
	return addr_tok_af(p, t, a, AF_INET);
}

static int addr6_tok(struct lp *p, const struct rtok *t, uint8_t a[16])
{
	return addr_tok_af(p, t, a, AF_INET6);
}

/* A rule file: a word or a string, relative to the lab file's folder. */
static char *path_tok(struct lp *p, const struct rtok *t)
{
	const char *s = t->type == RTOK_STRING ? t->val : t->text;
	size_t len = t->type == RTOK_STRING ? t->val_len : t->len;
	char q[64], *out;

	if ((t->type != RTOK_WORD && t->type != RTOK_STRING) || len == 0) {
		tok_err(p, t, "expected a rule file, not %s", quote(t, q, sizeof(q)));
		return NULL;
	}
	if (memchr(s, ' ', len)) {
		tok_err(p, t, "a rule file's name has no blanks here");
		return NULL;
	}
	if (s[0] == '/' || !p->dir)
		out = strndup(s, len);
	else if (asprintf(&out, "%s/%.*s", p->dir, (int)len, s) < 0)
		out = NULL;
	if (!out)
		oom(p);
	return out;
}

/* ---- lookups -------------------------------------------------------- */

static long find_subnet(const struct lab *lab, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < lab->n_subnets; i++)
		if (strlen(lab->subnets[i].name) == len && !memcmp(lab->subnets[i].name, s, len))
			return (long)i;
	return -1;
}

static long find_inst(const struct lab *lab, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < lab->n_inst; i++)
		if (strlen(lab->inst[i].name) == len && !memcmp(lab->inst[i].name, s, len))
			return (long)i;
	return -1;
}

/* A host's name: free, and not one of the lab's own namespaces. */
static int host_name_free(struct lp *p, const struct rtok *t, const char *name)
{
	const struct lab *lab = p->lab;
	size_t i;

	if (!strcmp(name, "router") || !strncmp(name, "edge-", 5))
		return tok_err(p, t, "'%s' is the name of the lab's own router namespaces (router, edge-SUBNET): choose another", name);
	for (i = 0; i < lab->n_inst; i++)
		if (!strcmp(lab->inst[i].name, name))
			return tok_err(p, t, "instance %s is already declared on line %u", name, lab->inst[i].line);
	for (i = 0; i < lab->n_inet; i++)
		if (!strcmp(lab->inet[i].name, name))
			return tok_err(p, t, "internet host %s is already declared on line %u", name, lab->inet[i].line);
	return 0;
}

/*
 * No two hosts share an address: a (4 bytes for AF_INET, 16 for AF_INET6)
 * against every host's address of that family.
 */
static int addr_free_af(struct lp *p, const struct rtok *t, const uint8_t *a, int af)
{
	const struct lab *lab = p->lab;
	size_t i, n = af == AF_INET ? 4 : 16;
	char s[INET6_ADDRSTRLEN];

	inet_ntop(af, a, s, sizeof(s));
	for (i = 0; i < lab->n_inst; i++)
		if (af == AF_INET ? !memcmp(lab->inst[i].addr, a, n) :
		    lab->inst[i].has6 && !memcmp(lab->inst[i].addr6, a, n))
			return tok_err(p, t, "%s is already instance %s's address (line %u)", s,
				       lab->inst[i].name, lab->inst[i].line);
	for (i = 0; i < lab->n_inet; i++)
		if (af == AF_INET ? !memcmp(lab->inet[i].addr, a, n) :
		    lab->inet[i].has6 && !memcmp(lab->inet[i].addr6, a, n))
			return tok_err(p, t, "%s is already internet host %s's address (line %u)", s,
				       lab->inet[i].name, lab->inet[i].line);
	return 0;
}

static int addr_free(struct lp *p, const struct rtok *t, const uint8_t a[4])
{
	return addr_free_af(p, t, a, AF_INET);
}

static int addr6_free(struct lp *p, const struct rtok *t, const uint8_t a[16])
{
	return addr_free_af(p, t, a, AF_INET6);
}

static uint32_t v4(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static bool cidr_overlap(const struct cidr *a, const struct cidr *b)
{
	return cidr_contains(a, a->family, b->addr) || cidr_contains(b, b->family, a->addr);
}

/* ---- statements ----------------------------------------------------- */

static int st_lab(struct lp *p, const struct rtok *t)
{
	char *name;

	if (p->lab_line)
		return tok_err(p, &t[0], "the lab is already named on line %u", p->lab_line);
	if (!(name = name_tok(p, &t[1], "lab", true)))
		return -1;
	free(p->lab->name);
	p->lab->name = name;
	p->lab_line = p->ln.no;
	return want_end(p, &t[2]);
}

/* AWS's bounds for a VPC's and a subnet's block. */
static int block_size(struct lp *p, const struct rtok *t, const struct cidr *c, const char *what)
{
	if (c->plen < 16 || c->plen > 28)
		return tok_err(p, t, "a %s's block is between /16 and /28 in AWS; this one is /%u",
			       what, c->plen);
	return 0;
}

static int st_vpc(struct lp *p, const struct rtok *t)
{
	if (p->vpc_line)
		return tok_err(p, &t[0], "a lab is one VPC: its block is already given on line %u",
			       p->vpc_line);
	if (cidr_tok(p, &t[1], &p->lab->vpc) < 0 || block_size(p, &t[1], &p->lab->vpc, "VPC") < 0)
		return -1;
	if (t[2].type != RTOK_END) {
		/* An IPv6 block: AWS gives a VPC a /56 (its own, /44 to /56 with IPAM). */
		if (cidr_tok_af(p, &t[2], &p->lab->vpc6, AF_INET6) < 0) {
			p->lab->vpc6.family = 0;
			return -1;
		}
		if (p->lab->vpc6.plen < 44 || p->lab->vpc6.plen > 56) {
			p->lab->vpc6.family = 0;
			return tok_err(p, &t[2], "a VPC's IPv6 block is between /44 and /56 in AWS; this one is /%u",
				       p->lab->vpc6.plen);
		}
	}
	p->vpc_line = p->ln.no;
	return want_end(p, &t[p->lab->vpc6.family ? 3 : 2]);
}

/* A subnet's IPv6 block: a /64 inside the VPC's, overlapping no other. */
static int subnet6(struct lp *p, const struct rtok *t, struct lab_subnet *s)
{
	const struct lab *lab = p->lab;
	char c[CIDR_STRLEN];
	size_t i;

	if (!lab->vpc6.family)
		return tok_err(p, t, "subnet %s has an IPv6 block but the VPC has none: give it one ('vpc CIDR IPV6-CIDR')",
			       s->name);
	if (cidr_tok_af(p, t, &s->cidr6, AF_INET6) < 0)
		return -1;
	if (s->cidr6.plen != 64)
		return tok_err(p, t, "a subnet's IPv6 block is a /64 in AWS; this one is /%u", s->cidr6.plen);
	if (!cidr_contains(&lab->vpc6, AF_INET6, s->cidr6.addr))
		return tok_err(p, t, "subnet %s's IPv6 block is outside the VPC's %s", s->name,
			       cidr_format(&lab->vpc6, c, sizeof(c)));
	for (i = 0; i < lab->n_subnets; i++)
		if (lab->subnets[i].cidr6.family && cidr_overlap(&s->cidr6, &lab->subnets[i].cidr6))
			return tok_err(p, t, "subnet %s's IPv6 block is subnet %s's (line %u)", s->name,
				       lab->subnets[i].name, lab->subnets[i].line);
	return 0;
}

/* subnet NAME CIDR public|private nacl FILE [ipv6 CIDR6] */
static int st_subnet(struct lp *p, const struct rtok *t)
{
	struct lab *lab = p->lab;
	struct lab_subnet s = { 0 };
	char vpc[CIDR_STRLEN], q[64];
	size_t i;

	if (!p->vpc_line)
		return tok_err(p, &t[0], "a subnet needs the VPC's block first: give 'vpc CIDR' above");
	if (!(s.name = name_tok(p, &t[1], "subnet", false)))
		return -1;
	if (find_subnet(lab, t[1].text, t[1].len) >= 0) {
		tok_err(p, &t[1], "subnet %s is already declared on line %u", s.name,
			lab->subnets[find_subnet(lab, t[1].text, t[1].len)].line);
		goto fail;
	}
	if (cidr_tok(p, &t[2], &s.cidr) < 0 || block_size(p, &t[2], &s.cidr, "subnet") < 0)
		goto fail;
	if (s.cidr.plen < lab->vpc.plen || !cidr_contains(&lab->vpc, AF_INET, s.cidr.addr)) {
		tok_err(p, &t[2], "subnet %s is outside the VPC %s", s.name,
			cidr_format(&lab->vpc, vpc, sizeof(vpc)));
		goto fail;
	}
	for (i = 0; i < lab->n_subnets; i++)
		if (cidr_overlap(&s.cidr, &lab->subnets[i].cidr)) {
			tok_err(p, &t[2], "subnet %s overlaps subnet %s (line %u)", s.name,
				lab->subnets[i].name, lab->subnets[i].line);
			goto fail;
		}
	if (rules_tok_is(&t[3], "public")) {
		s.public = true;
	} else if (!rules_tok_is(&t[3], "private")) {
		tok_err(p, &t[3], "expected 'public' or 'private', not %s", quote(&t[3], q, sizeof(q)));
		goto fail;
	}
	if (want_kw(p, &t[4], "nacl") < 0 || !(s.nacl = path_tok(p, &t[5])))
		goto fail;
	if (rules_tok_is(&t[6], "ipv6")) {
		if (subnet6(p, &t[7], &s) < 0 || want_end(p, &t[8]) < 0)
			goto fail;
	} else if (want_end(p, &t[6]) < 0) {
		goto fail;
	}
	s.line = p->ln.no;
	if (!(s.src = strdup(src_line(p))) ||
	    append(&lab->subnets, &lab->n_subnets, sizeof(s), &s) < 0)
		goto nomem;
	return 0;
nomem:
	oom(p);
fail:
	free(s.name);
	free(s.nacl);
	free(s.src);
	return -1;
}

/* nat SUBNET */
static int st_nat(struct lp *p, const struct rtok *t)
{
	long i = t[1].type == RTOK_WORD ? find_subnet(p->lab, t[1].text, t[1].len) : -1;
	char q[64];

	if (i < 0)
		return tok_err(p, &t[1], "expected a subnet declared above, not %s", quote(&t[1], q, sizeof(q)));
	if (p->lab->subnets[i].public)
		return tok_err(p, &t[1], "subnet %s is public: a NAT serves a private subnet",
			       p->lab->subnets[i].name);
	p->lab->subnets[i].nat = true;
	return want_end(p, &t[2]);
}

static int add_sg(struct lp *p, struct lab_instance *in, const struct rtok *t)
{
	char *path = path_tok(p, t);

	if (!path)
		return -1;
	if (append(&in->sg, &in->n_sg, sizeof(path), &path) < 0) {
		free(path);
		return oom(p);
	}
	return 0;
}

static void inst_free(struct lab_instance *in)
{
	size_t i;

	free(in->name);
	free(in->src);
	for (i = 0; i < in->n_sg; i++)
		free(in->sg[i]);
	free(in->sg);
	for (i = 0; i < in->n_groups; i++)
		free(in->groups[i]);
	free(in->groups);
	for (i = 0; i < in->n_svc; i++)
		free(in->svc[i].command);
	free(in->svc);
}

/* The first four addresses of a subnet and its last are AWS's. */
static int inst_addr(struct lp *p, const struct rtok *t, const struct lab_subnet *s,
		     const uint8_t a[4])
{
	uint32_t net = v4(s->cidr.addr), last = net | (0xffffffffu >> s->cidr.plen);
	char c[CIDR_STRLEN];

	cidr_format(&s->cidr, c, sizeof(c));
	if (!cidr_contains(&s->cidr, AF_INET, a))
		return tok_err(p, t, "%.*s is outside subnet %s (%s)", (int)t->len, t->text, s->name, c);
	if (v4(a) - net < 4 || v4(a) == last)
		return tok_err(p, t, "%.*s is reserved by AWS in %s (the first four addresses and the last): no instance has it",
			       (int)t->len, t->text, c);
	return addr_free(p, t, a);
}

/*
 * An instance's IPv6 address, in a subnet with an IPv6 block: `ipv6 ADDR`
 * at t[*k] (inside the /64, not one of the four first AWS reserves), else
 * an automatic one, as AWS assigns one from the subnet's /64: here the
 * /64 and the IPv4 host part (10.0.1.10 in 2001:db8:1:1::/64: ::a).
 */
static int inst_addr6(struct lp *p, const struct rtok *t, size_t *k, const struct lab_subnet *s,
		      struct lab_instance *in)
{
	const struct rtok *at = &t[5];
	uint32_t host;
	char c[CIDR_STRLEN];
	size_t b;

	if (rules_tok_is(&t[*k], "ipv6")) {
		if (!s->cidr6.family)
			return tok_err(p, &t[*k], "subnet %s has no IPv6 block: give it one ('ipv6 CIDR' on its line)",
				       s->name);
		at = &t[*k + 1];
		if (addr6_tok(p, at, in->addr6) < 0)
			return -1;
		cidr_format(&s->cidr6, c, sizeof(c));
		if (!cidr_contains(&s->cidr6, AF_INET6, in->addr6))
			return tok_err(p, at, "%.*s is outside subnet %s's IPv6 block (%s)", (int)at->len,
				       at->text, s->name, c);
		for (b = 8; b < 15 && !in->addr6[b]; b++)
			;
		if (b == 15 && in->addr6[15] < 4)
			return tok_err(p, at, "%.*s is reserved by AWS in %s (the first four addresses): no instance has it",
				       (int)at->len, at->text, c);
		*k += 2;
	} else if (s->cidr6.family) {
		host = v4(in->addr) & (0xffffffffu >> s->cidr.plen);
		memcpy(in->addr6, s->cidr6.addr, 16);
		in->addr6[12] = (uint8_t)(host >> 24);
		in->addr6[13] = (uint8_t)(host >> 16);
		in->addr6[14] = (uint8_t)(host >> 8);
		in->addr6[15] = (uint8_t)host;
	} else {
		return 0;
	}
	in->has6 = true;
	return addr6_free(p, at, in->addr6);
}

/* instance NAME subnet SUBNET address ADDR [ipv6 ADDR6] [sg FILE[, FILE]...] */
static int st_instance(struct lp *p, const struct rtok *t)
{
	struct lab *lab = p->lab;
	struct lab_instance in = { 0 };
	char q[64];
	long s;
	size_t k;

	if (!(in.name = name_tok(p, &t[1], "instance", false)) ||
	    host_name_free(p, &t[1], in.name) < 0 || want_kw(p, &t[2], "subnet") < 0)
		goto fail;
	s = t[3].type == RTOK_WORD ? find_subnet(lab, t[3].text, t[3].len) : -1;
	if (s < 0) {
		tok_err(p, &t[3], "expected a subnet declared above, not %s", quote(&t[3], q, sizeof(q)));
		goto fail;
	}
	in.subnet = (size_t)s;
	if (want_kw(p, &t[4], "address") < 0 || addr_tok(p, &t[5], in.addr) < 0 ||
	    inst_addr(p, &t[5], &lab->subnets[s], in.addr) < 0)
		goto fail;
	k = 6;
	if (inst_addr6(p, t, &k, &lab->subnets[s], &in) < 0)
		goto fail;
	if (rules_tok_is(&t[k], "sg")) {
		do {
			k++;
			if (add_sg(p, &in, &t[k]) < 0)
				goto fail;
			k++;
		} while (t[k].type == RTOK_COMMA);
	}
	if (want_end(p, &t[k]) < 0)
		goto fail;
	in.line = p->ln.no;
	if (!(in.src = strdup(src_line(p))) ||
	    append(&lab->inst, &lab->n_inst, sizeof(in), &in) < 0)
		goto nomem;
	return 0;
nomem:
	oom(p);
fail:
	inst_free(&in);
	return -1;
}

/* service INSTANCE tcp|udp PORT | service INSTANCE command STRING */
static int st_service(struct lp *p, const struct rtok *t)
{
	long i = t[1].type == RTOK_WORD ? find_inst(p->lab, t[1].text, t[1].len) : -1;
	struct lab_service sv = { 0 };
	struct lab_instance *in;
	char q[64], *end;
	unsigned long port;

	if (i < 0)
		return tok_err(p, &t[1], "expected an instance declared above, not %s", quote(&t[1], q, sizeof(q)));
	in = &p->lab->inst[i];
	if (rules_tok_is(&t[2], "command")) {
		sv.kind = LAB_SVC_COMMAND;
		if (t[3].type != RTOK_STRING || t[3].val_len == 0)
			return tok_err(p, &t[3], "expected the command as a string (\"...\"), not %s",
				       quote(&t[3], q, sizeof(q)));
		if (!(sv.command = strdup(t[3].val)))
			return oom(p);
	} else if (rules_tok_is(&t[2], "tcp") || rules_tok_is(&t[2], "udp")) {
		sv.kind = rules_tok_is(&t[2], "tcp") ? LAB_SVC_TCP : LAB_SVC_UDP;
		errno = 0;
		port = t[3].type == RTOK_WORD && t[3].text[0] >= '0' && t[3].text[0] <= '9' ?
		       strtoul(t[3].text, &end, 10) : 0;
		if (port < 1 || port > 65535 || errno || end != t[3].text + t[3].len)
			return tok_err(p, &t[3], "expected a port (1-65535), not %s", quote(&t[3], q, sizeof(q)));
		sv.port = (unsigned)port;
	} else {
		return tok_err(p, &t[2], "expected 'tcp', 'udp' or 'command', not %s", quote(&t[2], q, sizeof(q)));
	}
	if (want_end(p, &t[4]) < 0)
		goto fail;
	if (append(&in->svc, &in->n_svc, sizeof(sv), &sv) < 0) {
		oom(p);
		goto fail;
	}
	return 0;
fail:
	free(sv.command);
	return -1;
}

/* internet NAME ADDR [ADDR6] */
static int st_internet(struct lp *p, const struct rtok *t)
{
	struct lab *lab = p->lab;
	struct lab_inet h = { 0 };
	char c[CIDR_STRLEN];

	if (!(h.name = name_tok(p, &t[1], "internet host", false)) ||
	    host_name_free(p, &t[1], h.name) < 0 || addr_tok(p, &t[2], h.addr) < 0 ||
	    addr_free(p, &t[2], h.addr) < 0)
		goto fail;
	if (p->vpc_line && cidr_contains(&lab->vpc, AF_INET, h.addr)) {
		tok_err(p, &t[2], "%.*s is inside the VPC %s: an internet host is outside it",
			(int)t[2].len, t[2].text, cidr_format(&lab->vpc, c, sizeof(c)));
		goto fail;
	}
	if (t[3].type != RTOK_END) {
		if (addr6_tok(p, &t[3], h.addr6) < 0 || addr6_free(p, &t[3], h.addr6) < 0)
			goto fail;
		if (!lab->vpc6.family) {
			tok_err(p, &t[3], "the VPC has no IPv6 block: give it one ('vpc CIDR IPV6-CIDR') for IPv6 hosts");
			goto fail;
		}
		if (cidr_contains(&lab->vpc6, AF_INET6, h.addr6)) {
			tok_err(p, &t[3], "%.*s is inside the VPC %s: an internet host is outside it",
				(int)t[3].len, t[3].text, cidr_format(&lab->vpc6, c, sizeof(c)));
			goto fail;
		}
		h.has6 = true;
	}
	if (want_end(p, &t[h.has6 ? 4 : 3]) < 0)
		goto fail;
	h.line = p->ln.no;
	if (append(&lab->inet, &lab->n_inet, sizeof(h), &h) < 0) {
		oom(p);
		goto fail;
	}
	return 0;
fail:
	free(h.name);
	return -1;
}

static const struct {
	const char *kw;
	int (*fn)(struct lp *p, const struct rtok *t);
} statements[] = {
	{ "lab", st_lab },
	{ "vpc", st_vpc },
	{ "subnet", st_subnet },
	{ "nat", st_nat },
	{ "instance", st_instance },
	{ "service", st_service },
	{ "internet", st_internet },
};

static void statement(struct lp *p)
{
	const struct rtok *t = p->ln.tok;
	char q[64];
	size_t i;

	if (t[0].type == RTOK_END)
		return;
	for (i = 0; i < ARRAY_SIZE(statements); i++)
		if (rules_tok_is(&t[0], statements[i].kw)) {
			statements[i].fn(p, t);
			return;
		}
	tok_err(p, &t[0], "expected a statement (lab, vpc, subnet, nat, instance, service, internet), not %s",
		quote(&t[0], q, sizeof(q)));
}

/* ---- the rule files --------------------------------------------------- */

static void note(struct lp *p, unsigned line, const char *src, const char *fmt, ...)
	PRINTF_FMT(4, 5);

static void note(struct lp *p, unsigned line, const char *src, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(p->d, DIAG_NOTE, p->name, line, 0, src, "%s", msg);
}

/* Load one file into a throwaway ruleset: -1 when it has errors. */
static int load_one(struct lp *p, const char *path, unsigned take, const struct aws_map *map,
		    struct ruleset **keep)
{
	struct load_opts o = { .take = take, .map = map };
	struct ruleset *rs = ruleset_new();
	size_t before = diag_errors(p->d);
	int r;

	if (!rs)
		return oom(p);
	r = load_file(rs, path, &o, p->d, NULL);
	if (r < 0 || diag_errors(p->d) > before) {
		ruleset_free(rs);
		return -1;
	}
	if (keep)
		*keep = rs;
	else
		ruleset_free(rs);
	return 0;
}

static int add_group(struct lab_instance *in, const char *id)
{
	char *copy;
	size_t i;

	for (i = 0; i < in->n_groups; i++)
		if (!strcmp(in->groups[i], id))
			return 0;
	if (!(copy = strdup(id)))
		return -1;
	if (append(&in->groups, &in->n_groups, sizeof(copy), &copy) < 0) {
		free(copy);
		return -1;
	}
	return 0;
}

/*
 * The groups an instance's files define make it a member: read them with
 * no map first (a reference is then an error, but the group is already
 * known), quietly; the real load, with the map, reports.
 */
static int memberships(struct lp *p)
{
	struct load_opts o = { .take = RULES_TAKE_SG };
	size_t i, j, g;

	for (i = 0; i < p->lab->n_inst; i++) {
		struct lab_instance *in = &p->lab->inst[i];

		for (j = 0; j < in->n_sg; j++) {
			struct ruleset *rs = ruleset_new();
			struct diag *quiet = diag_new();

			if (!rs || !quiet) {
				ruleset_free(rs);
				diag_free(quiet);
				return oom(p);
			}
			load_file(rs, in->sg[j], &o, quiet, NULL);
			for (g = 0; g < rs->n_groups; g++)
				if (add_group(in, rs->groups[g].id) < 0) {
					ruleset_free(rs);
					diag_free(quiet);
					return oom(p);
				}
			ruleset_free(rs);
			diag_free(quiet);
		}
	}
	return 0;
}

/* Every group id with the addresses of its members, as --map takes it. */
static int build_map(struct lp *p)
{
	struct lab *lab = p->lab;
	char *spec = NULL, a[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	size_t i, j, k, n, len;
	FILE *f;

	for (i = 0; i < lab->n_inst; i++)
		for (j = 0; j < lab->inst[i].n_groups; j++) {
			const char *id = lab->inst[i].groups[j];

			if (aws_map_find(&lab->map, id))
				continue;
			if (!(f = open_memstream(&spec, &len)))
				return oom(p);
			fprintf(f, "%s=", id);
			for (n = 0, k = i; k < lab->n_inst; k++) {
				size_t m;

				for (m = 0; m < lab->inst[k].n_groups; m++)
					if (!strcmp(lab->inst[k].groups[m], id))
						break;
				if (m == lab->inst[k].n_groups)
					continue;
				inet_ntop(AF_INET, lab->inst[k].addr, a, sizeof(a));
				fprintf(f, "%s%s/32", n++ ? "," : "", a);
				if (lab->inst[k].has6) {
					inet_ntop(AF_INET6, lab->inst[k].addr6, a6, sizeof(a6));
					fprintf(f, ",%s/128", a6);
				}
			}
			if (fclose(f) != 0 || aws_map_add(&lab->map, spec) < 0) {
				free(spec);
				return oom(p);
			}
			free(spec);
			spec = NULL;
		}
	return 0;
}

static void load_rules(struct lp *p)
{
	struct lab *lab = p->lab;
	size_t i, j;

	for (i = 0; i < lab->n_subnets; i++) {
		struct lab_subnet *s = &lab->subnets[i];

		if (load_one(p, s->nacl, RULES_TAKE_NACL, NULL, NULL) < 0)
			note(p, s->line, s->src, "in the network ACL of subnet %s", s->name);
	}
	if (memberships(p) < 0 || build_map(p) < 0)
		return;
	for (i = 0; i < lab->n_inst; i++) {
		struct lab_instance *in = &lab->inst[i];

		for (j = 0; j < in->n_sg; j++)
			if (load_one(p, in->sg[j], RULES_TAKE_SG, &lab->map, NULL) < 0)
				note(p, in->line, in->src,
				     "in the security groups of instance %s (a group reference means the instances whose sg files define that group)",
				     in->name);
	}
}

/* ---- entry points --------------------------------------------------- */

/* The default name: the file's base name without ".lab". */
static char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t len;

	b = b ? b + 1 : path;
	len = strlen(b);
	if (len > 4 && !strcmp(b + len - 4, ".lab"))
		len -= 4;
	return strndup(b, len);
}

static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return NULL;
	return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static void parse_lines(struct lp *p, const char *buf, size_t len)
{
	size_t pos = rules_bom_len(buf, len), tlen;
	const char *text;
	unsigned no = 0;

	while (rules_next_line(buf, len, &pos, &text, &tlen)) {
		free(p->src);
		p->src = NULL;
		if (rules_lex_line(&p->ln, text, tlen, ++no) < 0) {
			oom(p);
			return;
		}
		statement(p);
	}
	free(p->src);
	p->src = NULL;
}

struct lab *lab_parse(const char *path, const char *buf, size_t len, struct diag *d)
{
	struct lp p = { .d = d, .name = path };
	size_t before = diag_errors(d);
	char *own = NULL;
	struct lab *lab;

	if (!buf) {
		if (file_read_all(path, &own, &len) < 0) {
			int e = errno;

			diag_error(d, path, "cannot read: %s", file_read_error(e));
			errno = e;
			return NULL;
		}
		buf = own;
	}
	lab = calloc(1, sizeof(*lab));
	if (!lab || !(lab->path = strdup(path)) || !(lab->name = base_name(path)))
		goto nomem;
	p.lab = lab;
	p.dir = folder_of(path);
	parse_lines(&p, buf, len);
	if (!p.errors && !p.vpc_line)
		diag_error(d, path, "no 'vpc CIDR' line: a lab is one VPC");
	if (!p.errors && !p.lab_line && !good_name(lab->name, strlen(lab->name), true))
		diag_error(d, path, "'%s' is no lab name (a lower-case letter, then letters and digits, at most %d): give one with 'lab NAME'",
			   lab->name, LAB_NAME_MAX);
	if (diag_errors(d) == before)
		load_rules(&p);
	rules_line_free(&p.ln);
	free(p.dir);
	free(own);
	if (diag_errors(d) > before) {
		lab_free(lab);
		errno = EINVAL;
		return NULL;
	}
	return lab;
nomem:
	free(own);
	lab_free(lab);
	diag_error(d, path, "out of memory");
	errno = ENOMEM;
	return NULL;
}

void lab_free(struct lab *lab)
{
	size_t i;

	if (!lab)
		return;
	for (i = 0; i < lab->n_subnets; i++) {
		free(lab->subnets[i].name);
		free(lab->subnets[i].nacl);
		free(lab->subnets[i].src);
	}
	free(lab->subnets);
	for (i = 0; i < lab->n_inst; i++)
		inst_free(&lab->inst[i]);
	free(lab->inst);
	for (i = 0; i < lab->n_inet; i++)
		free(lab->inet[i].name);
	free(lab->inet);
	aws_map_free(&lab->map);
	free(lab->name);
	free(lab->path);
	free(lab);
}
