/*
 * Private to the native rule language: what the lexer (rules_lex.c), the
 * statement parser (rules_parse.c) and the rule parser (rules_rule.c)
 * share. Not for other modules.
 */
#ifndef VPCFW_RULES_INT_H
#define VPCFW_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws_json.h"
#include "rules.h"

/* ---- keywords (rules_lex.c): one sorted, case-insensitive table ---- */

enum rkw_kind {
	RKW_STMT,	/* value: enum rkw_stmt */
	RKW_ACTION,	/* value: 1 allow, 0 deny */
	RKW_PROTO,	/* value: the protocol number, PROTO_ALL for all */
	RKW_SERVICE,	/* value: the protocol; port: its port */
	RKW_ICMP,	/* an ICMP type name: type/code per family */
};

enum rkw_stmt { RST_LIST, RST_NACL, RST_SG, RST_INBOUND, RST_OUTBOUND, RST_ENI };

#define RKW_NONE	(-2)	/* an ICMP name the family does not have */

struct rkw {
	const char *name;	/* lower case */
	enum rkw_kind kind;
	int value;
	int port;
	int16_t t4, c4;		/* RKW_ICMP: ICMP type, code (-1 any) or RKW_NONE */
	int16_t t6, c6;		/* RKW_ICMP: ICMPv6 */
};

/* The keyword spelled s[0..len) in any case, or NULL. */
const struct rkw *rules_kw_find(const char *s, size_t len);
/* The whole table, for tests (sorted by name). */
const struct rkw *rules_kw_table(size_t *n);

/* ---- lines and tokens (rules_lex.c) ---- */

/* Bytes of a UTF-8 byte order mark at the start of buf (0 or 3). */
size_t rules_bom_len(const char *buf, size_t len);

/*
 * The next line of buf at *pos: its text without the '\n' and one
 * trailing '\r'. False at the end of the buffer.
 */
bool rules_next_line(const char *buf, size_t len, size_t *pos,
		     const char **text, size_t *tlen);

enum rtok_type {
	RTOK_END,	/* the end of the line (or a comment) */
	RTOK_WORD,
	RTOK_STRING,
	RTOK_COMMA,
	RTOK_EQUALS,
	RTOK_ERROR,	/* a lexical error: rline.err says which; always last */
};

struct rtok {
	enum rtok_type type;
	const char *text;	/* its bytes in the line; a string with its quotes */
	size_t len;
	unsigned col;		/* from 1, in bytes; RTOK_END: just past the last token */
	const char *val;	/* RTOK_STRING: the value, unescaped, NUL-terminated */
	size_t val_len;
};

/*
 * One line, lexed: tokens ending with RTOK_END or RTOK_ERROR, that last
 * token repeated RLINE_PAD more times so that a parser may look one or two
 * tokens past it safely.
 */
#define RLINE_PAD 3
struct rline {
	const char *text;
	size_t len;
	unsigned no;		/* from 1 */
	struct rtok *tok;
	size_t n, cap;
	char *vals;		/* the string values (a line's worth of room) */
	size_t vals_cap;
	char err[128];		/* the message of the RTOK_ERROR token */
};

/* Lex one line into l (reusing its buffers). 0, or -1 with errno ENOMEM. */
int rules_lex_line(struct rline *l, const char *text, size_t len, unsigned no);
void rules_line_free(struct rline *l);

/* Is the token this keyword (any case)? */
bool rules_tok_is(const struct rtok *t, const char *kw);

/* Letters, digits, '-', '_', '.', a letter first: a list name or an id. */
bool rules_is_name(const char *s, size_t len);
/* "sg-" or "pl-" and then letters and digits, as AWS ids (and --map) are. */
bool rules_is_ref_id(const char *s, size_t len);

/* ---- the parser (rules_parse.c, rules_rule.c) ---- */

enum rsec { RSEC_NONE, RSEC_NACL, RSEC_SG };

struct rlist {
	char *name;
	unsigned line;
	struct cidr *cidrs;
	size_t n;
	bool bad;		/* its line had an error: uses stay quiet */
};

struct rparser {
	struct ruleset *rs;
	struct diag *d;
	const struct aws_map *map;
	const char *name;	/* for messages */
	const char *file;	/* interned, for origins */
	unsigned take;
	struct rline ln;	/* the line being parsed */
	char *src;		/* the same as a C string, for diag; lazily */
	size_t errors;
	bool oom;

	struct rlist *lists;
	size_t n_lists;

	/* The current section. */
	enum rsec sec;
	bool keep;		/* its rules go into rs */
	int group;		/* RSEC_SG: the group's index when kept */
	int dir;		/* -1 none yet, else enum dir */
	unsigned dir_line[DIR_MAX];

	/* The network ACL section. */
	unsigned nacl_line;		/* 0: none seen */
	unsigned *num_line;		/* [DIR_MAX][NACL_RULE_MAX + 1]: line using a number */
	unsigned star_line[DIR_MAX][2];	/* [dir][IPv6?] */

	/* Security groups: the ids defined in this file. */
	unsigned sg_line;		/* the first sg line; 0: none seen */
	char **gid;
	unsigned *gid_line;
	size_t n_gid;
	bool sg_take_reported;
};

/* Report at col of the current line. Always returns -1. */
int rp_error(struct rparser *p, unsigned col, const char *fmt, ...) PRINTF_FMT(3, 4);
void rp_warning(struct rparser *p, unsigned col, const char *fmt, ...) PRINTF_FMT(3, 4);
/*
 * Report at token t; a lexical error token reports its own message
 * instead, so the leftmost problem of a line is the one reported.
 */
int rp_tok_error(struct rparser *p, const struct rtok *t, const char *fmt, ...)
	PRINTF_FMT(3, 4);
void rp_oom(struct rparser *p);
/* A token for messages: 'word' (shortened), string, ',', the end of the line. */
const char *rp_quote(const struct rtok *t, char *buf, size_t len);

const struct rlist *rp_list_find(const struct rparser *p, const char *s, size_t len);
/* A CIDR word; a message saying what is wrong otherwise. 0 or -1. */
int rp_cidr(struct rparser *p, const struct rtok *t, const char *expected,
	    struct cidr *c);

/* A rule line of the current section, tokens from the first. */
void rp_nacl_rule(struct rparser *p);
void rp_sg_rule(struct rparser *p);

#endif
