/*
 * Helpers shared by the Check programs: rule tables written as compact
 * literals (NIN/NOUT/SIN/SOUT, ended by NEND/SEND) turned into a ruleset
 * and a policy, a flow table with a fixed hash key, and the text a diag
 * would print. Every helper fails the running test (ck_assert) instead of
 * returning an error.
 */
#ifndef VPCFW_TESTS_TESTUTIL_H
#define VPCFW_TESTS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

struct diag;
struct flow_table;
struct policy;
struct ruleset;

/*
 * The spec tables. A program with its own, richer tables under the same
 * names (check_lint.c: source lines, several groups) defines
 * TESTUTIL_NO_SPEC_TABLES before including this header.
 */
#ifndef TESTUTIL_NO_SPEC_TABLES

/* A NACL entry: a/b are ports, or ICMP type/code for protocols 1 and 58. */
struct nspec {
	uint32_t num;		/* 0 ends a list */
	char dir;		/* 'i' or 'o' */
	char act;		/* 'a' or 'd' */
	int16_t proto;
	int32_t a, b;
	const char *cidr;
};

/* An SG rule: from/to are ports, or ICMP type/code. */
struct sspec {
	char dir;		/* 0 ends a list */
	int16_t proto;
	int32_t from, to;
	const char *cidr;
};

#define NIN(n, act, pr, a, b, c)  { n, 'i', act, pr, a, b, c }
#define NOUT(n, act, pr, a, b, c) { n, 'o', act, pr, a, b, c }
#define NEND { 0, 0, 0, 0, 0, 0, NULL }
#define SIN(pr, f, t, c)  { 'i', pr, f, t, c }
#define SOUT(pr, f, t, c) { 'o', pr, f, t, c }
#define SEND { 0, 0, 0, 0, NULL }

/* Append the NACL entries (and mark the ruleset as having a NACL). */
void tu_add_nacl(struct ruleset *rs, const struct nspec *r);
/* Add the group "sg-0test" holding the SG rules. */
void tu_add_sg(struct ruleset *rs, const struct sspec *r);
/* A policy with the layers whose lists are given (an empty list is a layer). */
struct policy *tu_policy_of(const struct nspec *n, const struct sspec *s);

#endif /* TESTUTIL_NO_SPEC_TABLES */

/* A flow table of max_flows with a fixed 16-byte hash key (reproducible runs). */
struct flow_table *tu_table_of(size_t max_flows, const char *key16);

/* Everything diag_print writes (malloc'd, the caller frees). */
char *tu_diag_text(const struct diag *d);
/* The same after a leading newline, so every line can be matched as "\n...\n". */
char *tu_diag_text_nl(const struct diag *d);
/* r is 0 and d holds no error (the messages are the failure's text). */
void tu_expect_clean(const struct diag *d, int r);
/*
 * Each message is a line of d's text of its own, after prefix
 * ("file:" before "line:col: error: ...", or "file: error: "), and d holds
 * no other error.
 */
void tu_expect_errors(const struct diag *d, const char *prefix, const char *const *msgs);

/*
 * A program's main: one suite of one test case `name` holding tests[0..n),
 * run; EXIT_SUCCESS when every test passed.
 */
typedef const struct TTest *tu_test;
int tu_run_tests(const char *name, const tu_test *tests, size_t n);
/* Run suite s (and free it): EXIT_SUCCESS when every test passed. For main(). */
struct Suite;
int tu_run_suite(struct Suite *s);

#endif
