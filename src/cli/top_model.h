/*
 * vpcfw top: the parts that compute rather than talk or draw (top.c does
 * those), kept apart so that tests/check_top.c can check them alone.
 */
#ifndef VPCFW_TOP_MODEL_H
#define VPCFW_TOP_MODEL_H

#include <stddef.h>
#include <stdint.h>

/*
 * A counter's growth between two samples. A counter that went down was
 * reset in between (`vpcfw zero`, a reload's new rules): it counts from 0.
 */
uint64_t top_delta(uint64_t before, uint64_t now);

/* delta over ms milliseconds, per second, rounded to nearest; 0 when ms is 0. */
uint64_t top_rate(uint64_t delta, uint64_t ms);

/* A rule's packet counter, by the name `show rules` gives it (rulename.h). */
struct top_rule {
	char name[80];		/* "nacl-in:100", "sg-in:sg-0abc#2" */
	char what[64];		/* "allow tcp 22 10.0.0.0/8", for people */
	uint64_t packets;
	uint64_t delta;		/* filled by top_rules_delta */
};

/*
 * Each rule of now[] gets its delta from the rule of the same name and
 * match in before[] (sorted in place; not there: counted from 0, the rule
 * is new). The match tells apart the rules that share a name: the NACL's
 * catch-all of IPv4 and of IPv6 are both "nacl-in:*".
 */
void top_rules_delta(struct top_rule *before, size_t n_before,
		     struct top_rule *now, size_t n_now);

/*
 * The at most max rules with the largest delta (above 0), largest first,
 * ties in their order in r[]: their indexes into idx[]. Returns how many.
 */
size_t top_pick(const struct top_rule *r, size_t n, size_t *idx, size_t max);

/*
 * s cut to at most width columns into buf (len bytes), any byte that is not
 * printable ASCII written as '?': what reaches the terminal never wraps,
 * moves the cursor or needs more than ASCII. Returns buf.
 */
char *top_fit(const char *s, size_t width, char *buf, size_t len);

/*
 * A `trace` line of a dropped packet ("HH:MM:SS.mmm qN in  PACKET DROP:
 * PROSE [iface]") made short for the screen: "HH:MM:SS RULE in PACKET",
 * RULE the layer that decided (the last of the prose's chain, without its
 * explanation in parentheses). -1 (buf untouched) for a line that is not a
 * drop.
 */
int top_drop_line(const char *line, char *buf, size_t len);

#endif
