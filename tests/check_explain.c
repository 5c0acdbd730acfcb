/*
 * vpcfw explain's walk (explain.h) and its packets from words (pktgen.h):
 * each reason appears when it should (port, protocol, address, family,
 * ICMP type, the '*' deny, no SG rule, a tracked reply, untracked), the
 * layers in AWS's order, the Reachability Analyzer codes, and over a grid
 * of packets the walk agrees with the judge it explains.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "explain.h"
#include "flow.h"
#include "pkt.h"
#include "pktgen.h"
#include "policy.h"
#include "testutil.h"

#define HASH_KEY "vpcfw-explainkey"	/* 16 bytes */

/* Explain the packet the words say, through ft (may be a fresh one per call). */
static void explain_words(struct explain *x, const struct policy *pol,
			  struct flow_table *ft, const char *words, enum dir d)
{
	uint8_t buf[PKTGEN_MAX];
	struct pktgen g;
	char err[160];

	ck_assert_msg(pktgen_parse(&g, words, err, sizeof(err)) == 0, "%s: %s", words, err);
	ck_assert_int_eq(explain_packet(x, pol, ft, buf, pktgen_build(&g, buf), d, 1000), 0);
}

static const struct explain_layer *layer(const struct explain *x, enum verdict_layer l)
{
	size_t i;

	for (i = 0; i < x->n_layers; i++)
		if (x->layers[i].layer == l)
			return &x->layers[i];
	ck_abort_msg("no such layer");
	return NULL;
}

static const struct explain_row *row(const struct explain_layer *L, const char *name)
{
	size_t i;

	for (i = 0; i < L->n_rows; i++)
		if (!strcmp(L->rows[i].name, name))
			return &L->rows[i];
	ck_abort_msg("no row %s", name);
	return NULL;
}

static bool has_note(const struct explain *x, const char *part)
{
	size_t i;

	for (i = 0; i < x->n_notes; i++)
		if (strstr(x->notes[i], part))
			return true;
	return false;
}

/* One NACL rule against one packet: the miss and the words of its reason. */
struct miss_case {
	struct nspec rule;
	const char *packet;
	enum dir d;
	enum rule_miss miss;
	const char *why;
};

static const struct miss_case miss_cases[] = {
	{ NIN(100, 'a', 6, 22, 22, "0.0.0.0/0"), "tcp 198.51.100.20:40123 -> 10.0.1.10:80", DIR_IN,
	  RULE_MISS_PORT, "port: destination port 80 is not in 22" },
	{ NIN(100, 'a', 17, 80, 80, "0.0.0.0/0"), "tcp 198.51.100.20:40123 -> 10.0.1.10:80", DIR_IN,
	  RULE_MISS_PROTO, "protocol: the packet is tcp, the rule udp" },
	{ NIN(100, 'a', 6, 80, 80, "10.0.0.0/8"), "tcp 198.51.100.20:40123 -> 10.0.1.10:80", DIR_IN,
	  RULE_MISS_ADDR, "source 198.51.100.20 is not in 10.0.0.0/8" },
	{ NOUT(100, 'a', 6, 1024, 65535, "10.0.0.0/8"), "tcp 10.0.1.10:80 -> 198.51.100.20:40123 [S.]",
	  DIR_OUT, RULE_MISS_ADDR, "destination 198.51.100.20 is not in 10.0.0.0/8" },
	{ NOUT(100, 'a', 6, 32768, 65535, "0.0.0.0/0"), "tcp 10.0.1.10:80 -> 198.51.100.20:1024 [S.]",
	  DIR_OUT, RULE_MISS_PORT, "destination port 1024 is not in 32768-65535" },
	{ NIN(100, 'a', 6, 80, 80, "::/0"), "tcp 198.51.100.20:40123 -> 10.0.1.10:80", DIR_IN,
	  RULE_MISS_FAMILY, "an IPv6 rule; the packet is IPv4" },
	{ NIN(100, 'a', 1, 8, 0, "0.0.0.0/0"), "icmp 198.51.100.20 -> 10.0.1.10 type 0 code 0 id 3",
	  DIR_IN, RULE_MISS_ICMP, "ICMP: type 0 code 0 is not type 8 code 0" },
	{ NIN(100, 'a', 58, 128, -1, "::/0"), "icmpv6 2001:db8::1 -> 2001:db8::2 type 129 code 0 id 3",
	  DIR_IN, RULE_MISS_ICMP, "ICMP: type 129 code 0 is not type 128" },
	{ NIN(100, 'a', 17, 53, 53, "0.0.0.0/0"), "udp 198.51.100.20 -> 10.0.1.10 frag", DIR_IN,
	  RULE_MISS_FRAG, "a later fragment carries no ports or types; the rule needs them" },
};

START_TEST(test_nacl_miss)
{
	const struct miss_case *c = &miss_cases[_i];
	const struct nspec n[] = { c->rule, NEND };
	struct policy *pol = tu_policy_of(n, NULL);
	const struct explain_layer *L;
	const struct explain_row *r;
	struct explain x;
	char name[32];

	explain_words(&x, pol, NULL, c->packet, c->d);
	ck_assert(!x.v.accept);
	ck_assert_int_eq(x.n_layers, 1);
	L = layer(&x, VL_NACL);
	snprintf(name, sizeof(name), "nacl-%s:100", c->d == DIR_IN ? "in" : "out");
	r = row(L, name);
	ck_assert_int_eq(r->role, EXPLAIN_MISS);
	ck_assert_int_eq(r->miss, c->miss);
	ck_assert_msg(strstr(r->why, c->why), "why '%s' lacks '%s'", r->why, c->why);
	/* The '*' of the packet's family decides; the other family's is never tried. */
	ck_assert_int_eq(L->rows[L->n_rows - 2].role,
			 x.p.family == AF_INET ? EXPLAIN_DECIDED : EXPLAIN_MISS);
	ck_assert_int_eq(L->rows[L->n_rows - 1].role,
			 x.p.family == AF_INET ? EXPLAIN_UNREACHED : EXPLAIN_DECIDED);
	ck_assert_str_eq(x.code, "SUBNET_ACL_RESTRICTION");
	ck_assert_str_eq(x.decision, c->d == DIR_IN ? "nacl-in:* deny" : "nacl-out:* deny");
	explain_clear(&x);
	policy_free(pol);
}
END_TEST

/* First match decides: a deny above an allow; what follows is not tried. */
START_TEST(test_nacl_first_match)
{
	static const struct nspec n[] = {
		NIN(90, 'a', 6, 22, 22, "0.0.0.0/0"),
		NIN(100, 'd', 6, 80, 80, "198.51.100.0/24"),
		NIN(110, 'a', 6, 80, 80, "0.0.0.0/0"),
		NEND,
	};
	struct policy *pol = tu_policy_of(n, NULL);
	const struct explain_layer *L;
	struct explain x;

	explain_words(&x, pol, NULL, "tcp 198.51.100.20:40123 -> 10.0.1.10:80 [S]", DIR_IN);
	L = layer(&x, VL_NACL);
	ck_assert_int_eq(row(L, "nacl-in:90")->role, EXPLAIN_MISS);
	ck_assert_int_eq(row(L, "nacl-in:100")->role, EXPLAIN_DECIDED);
	ck_assert_int_eq(row(L, "nacl-in:110")->role, EXPLAIN_UNREACHED);
	ck_assert(strstr(L->result, "denied by rule 100"));
	ck_assert_str_eq(x.code, "SUBNET_ACL_RESTRICTION");
	explain_clear(&x);
	policy_free(pol);
}
END_TEST

/* No SG rule: ENI_SG_RULES_MISMATCH, or SG_HAS_NO_RULES when the direction has none. */
START_TEST(test_sg_no_rule)
{
	static const struct sspec s[] = { SIN(6, 443, 443, "0.0.0.0/0"), SEND };
	static const struct sspec none[] = { SOUT(-1, -1, -1, "0.0.0.0/0"), SEND };
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	struct policy *pol = tu_policy_of(NULL, s), *empty = tu_policy_of(NULL, none);
	const struct explain_layer *L;
	struct explain x;

	explain_words(&x, pol, ft, "tcp 198.51.100.20:40123 -> 10.0.1.10:80", DIR_IN);
	L = layer(&x, VL_SG);
	ck_assert(!x.v.accept);
	ck_assert_int_eq(x.v.sg_outcome, SGO_NO_RULE);
	ck_assert_int_eq(row(L, "sg-in:sg-0test#1")->miss, RULE_MISS_PORT);
	ck_assert_str_eq(x.code, "ENI_SG_RULES_MISMATCH");
	ck_assert_str_eq(x.decision, "sg-in:none (no rule allows it)");
	explain_clear(&x);
	explain_words(&x, empty, ft, "tcp 198.51.100.20:40123 -> 10.0.1.10:80", DIR_IN);
	ck_assert_int_eq(layer(&x, VL_SG)->n_rows, 0);
	ck_assert_str_eq(x.code, "SG_HAS_NO_RULES");
	explain_clear(&x);
	policy_free(pol);
	policy_free(empty);
	flow_table_free(ft);
}
END_TEST

/* A request opens a tracked flow; its reply passes only as that flow's reply. */
START_TEST(test_tracked_reply)
{
	static const struct sspec s[] = { SIN(6, 80, 80, "0.0.0.0/0"), SEND };
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	struct policy *pol = tu_policy_of(NULL, s);
	const struct explain_layer *L;
	struct explain x;

	/* Before the request: the reply would pass as the reply of the flow it opens. */
	explain_words(&x, pol, ft, "tcp 10.0.1.10:80 -> 198.51.100.20:40123 [S.]", DIR_OUT);
	ck_assert(!x.v.accept);
	ck_assert(has_note(&x, "would pass as the reply of a tracked flow opened by "
			   "\"tcp 198.51.100.20:40123 -> 10.0.1.10:80 [S] in\""));
	explain_clear(&x);

	explain_words(&x, pol, ft, "tcp 198.51.100.20:40123 -> 10.0.1.10:80 [S]", DIR_IN);
	L = layer(&x, VL_SG);
	ck_assert_int_eq(x.v.sg_outcome, SGO_NEW_TRACKED);
	ck_assert_int_eq(row(L, "sg-in:sg-0test#1")->role, EXPLAIN_DECIDED);
	ck_assert(strstr(row(L, "sg-in:sg-0test#1")->why, "tracked, a flow is created"));
	ck_assert_ptr_null(x.code);
	explain_clear(&x);

	explain_words(&x, pol, ft, "tcp 10.0.1.10:80 -> 198.51.100.20:40123 [S.]", DIR_OUT);
	L = layer(&x, VL_SG);
	ck_assert(x.v.accept);
	ck_assert_int_eq(x.v.sg_outcome, SGO_FLOW_REPLY);
	ck_assert_int_eq(L->reach, EXPLAIN_FLOW);
	ck_assert(has_note(&x, "passes only as the reply of a tracked flow"));
	ck_assert_str_eq(x.decision, "sg:flow (tracked reply)");
	explain_clear(&x);
	policy_free(pol);
	flow_table_free(ft);
}
END_TEST

/* The stateless NACL drops what the SG passed as a reply: both said, in AWS's order. */
START_TEST(test_stateless_reply)
{
	static const struct nspec n[] = {
		NIN(100, 'a', 6, 80, 80, "0.0.0.0/0"), NOUT(100, 'a', 6, 80, 80, "0.0.0.0/0"), NEND,
	};
	static const struct sspec s[] = { SIN(6, 80, 80, "0.0.0.0/0"), SEND };
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	struct policy *pol = tu_policy_of(n, s);
	struct explain x;

	explain_words(&x, pol, ft, "tcp 198.51.100.20:40123 -> 10.0.1.10:80 [S]", DIR_IN);
	ck_assert_int_eq(x.layers[0].layer, VL_NACL);
	ck_assert_int_eq(x.layers[1].layer, VL_SG);
	explain_clear(&x);
	explain_words(&x, pol, ft, "tcp 10.0.1.10:80 -> 198.51.100.20:40123 [S.]", DIR_OUT);
	ck_assert(!x.v.accept);
	ck_assert_int_eq(x.layers[0].layer, VL_SG);
	ck_assert_int_eq(x.layers[1].layer, VL_NACL);
	ck_assert_int_eq(row(&x.layers[1], "nacl-out:100")->miss, RULE_MISS_PORT);
	ck_assert(has_note(&x, "the network ACL is stateless: it judges every reply as a packet "
			   "of its own, and no outbound rule allows TCP destination port 40123"));
	ck_assert_str_eq(x.code, "SUBNET_ACL_RESTRICTION");
	explain_clear(&x);
	/* Inbound, a NACL drop: the SG is not reached. */
	explain_words(&x, pol, ft, "tcp 198.51.100.20:40123 -> 10.0.1.10:22 [S]", DIR_IN);
	ck_assert_int_eq(layer(&x, VL_SG)->reach, EXPLAIN_NOT_REACHED);
	ck_assert_uint_eq(x.n_notes, 0);
	/* Told it is a reply (--reply-of), the walk says why the ACL cannot know. */
	explain_is_reply(&x);
	ck_assert(has_note(&x, "a reply, and the network ACL is stateless"));
	ck_assert(has_note(&x, "no inbound rule allows TCP destination port 22"));
	explain_clear(&x);
	policy_free(pol);
	flow_table_free(ft);
}
END_TEST

/* A /0 rule here and every port open the other way: untracked, said so. */
START_TEST(test_untracked)
{
	static const struct sspec s[] = {
		SIN(6, 80, 80, "0.0.0.0/0"), SIN(6, 80, 80, "198.51.100.0/24"),
		SOUT(-1, -1, -1, "0.0.0.0/0"), SEND,
	};
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	struct policy *pol = tu_policy_of(NULL, s);
	const struct explain_layer *L;
	struct explain x;

	explain_words(&x, pol, ft, "tcp 198.51.100.20:40123 -> 10.0.1.10:80 [S]", DIR_IN);
	L = layer(&x, VL_SG);
	ck_assert_int_eq(x.v.sg_outcome, SGO_UNTRACKED);
	ck_assert_int_eq(row(L, "sg-in:sg-0test#1")->role, EXPLAIN_DECIDED);
	ck_assert(strstr(row(L, "sg-in:sg-0test#1")->why, "untracked"));
	ck_assert_int_eq(row(L, "sg-in:sg-0test#2")->role, EXPLAIN_MATCHES);
	explain_clear(&x);
	policy_free(pol);
	flow_table_free(ft);
}
END_TEST

/* Exempt traffic and the subnet edge, as the judge honours them. */
START_TEST(test_exempt_and_subnet)
{
	static const struct nspec n[] = { NEND };
	static const struct sspec s[] = { SIN(17, 53, 53, "10.0.1.0/24"), SEND };
	struct flow_table *ft = tu_table_of(64, HASH_KEY);
	struct policy *pol = tu_policy_of(n, s);
	struct policy_opts o;
	struct explain x;

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(policy_opts_add_subnet(&o, "10.0.1.0/24"), 0);
	policy_set_opts(pol, &o);
	explain_words(&x, pol, ft, "udp 10.0.1.20:68 -> 10.0.1.255:67", DIR_IN);
	ck_assert(x.v.accept);
	ck_assert_int_eq(x.n_layers, 0);
	ck_assert(has_note(&x, "exempt: DHCP"));
	explain_clear(&x);
	explain_words(&x, pol, ft, "udp 10.0.1.20:5000 -> 10.0.1.10:53", DIR_IN);
	ck_assert(x.v.accept);
	ck_assert_int_eq(layer(&x, VL_NACL)->reach, EXPLAIN_SAME_SUBNET);
	ck_assert_int_eq(layer(&x, VL_SG)->reach, EXPLAIN_RULES);
	explain_clear(&x);
	policy_free(pol);
	flow_table_free(ft);
}
END_TEST

/* Over a grid of packets the walk names what the judge decided, and never refuses. */
START_TEST(test_agrees_with_judge)
{
	static const struct nspec n[] = {
		NIN(90, 'd', 6, 22, 22, "198.51.100.0/24"), NIN(100, 'a', 6, 0, 1023, "0.0.0.0/0"),
		NIN(110, 'a', 17, 53, 53, "10.0.0.0/8"), NIN(120, 'a', 1, 8, -1, "0.0.0.0/0"),
		NIN(130, 'a', -1, 0, 0, "2001:db8::/32"), NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0"),
		NOUT(110, 'a', -1, 0, 0, "10.0.0.0/8"), NEND,
	};
	static const struct sspec s[] = {
		SIN(6, 80, 80, "0.0.0.0/0"), SIN(6, 22, 22, "198.51.100.0/24"),
		SIN(17, 0, 65535, "10.0.0.0/8"), SIN(1, 8, -1, "0.0.0.0/0"),
		SIN(58, -1, -1, "::/0"), SOUT(6, 443, 443, "0.0.0.0/0"), SEND,
	};
	static const char *const packets[] = {
		"tcp 198.51.100.20:40123 -> 10.0.1.10:22", "tcp 198.51.100.20:40123 -> 10.0.1.10:80",
		"tcp 203.0.113.9:40123 -> 10.0.1.10:22", "udp 10.1.2.3:5000 -> 10.0.1.10:53",
		"udp 8.8.8.8:53 -> 10.0.1.10:5353", "icmp 203.0.113.9 -> 10.0.1.10 type 8 code 0 id 9",
		"icmp 203.0.113.9 -> 10.0.1.10 type 0 code 0 id 9",
		"icmpv6 2001:db8::9 -> 2001:db8::10 type 128 code 0 id 1",
		"tcp [2001:db8::9]:40000 -> [2001:db8::10]:8080 [S]",
		"tcp 10.0.1.10:80 -> 198.51.100.20:40123 [S.]", "tcp 10.0.1.10:40000 -> 1.1.1.1:443",
		"udp 10.0.1.10:5353 -> 10.9.9.9:53",
	};
	struct flow_table *ft = tu_table_of(64, HASH_KEY), *ft2 = tu_table_of(64, HASH_KEY);
	struct policy *pol = tu_policy_of(n, s);
	const struct explain_layer *L;
	struct explain x;
	struct verdict v;
	struct pktgen g;
	struct pkt p;
	uint8_t buf[PKTGEN_MAX];
	char err[160];
	size_t i, k, j, decided;
	int d;

	for (k = 0; k < 2; k++)
		for (i = 0; i < ARRAY_SIZE(packets); i++)
			for (d = DIR_IN; d <= DIR_OUT; d++) {
				size_t len;

				ck_assert(pktgen_parse(&g, packets[i], err, sizeof(err)) == 0);
				len = pktgen_build(&g, buf);
				ck_assert_int_eq(pkt_parse(&p, buf, len, len), PKT_OK);
				policy_judge(pol, ft2, &p, (enum dir)d, 1000 + k, &v);
				ck_assert_int_eq(explain_packet(&x, pol, ft, buf, len, (enum dir)d,
								1000 + k), 0);
				ck_assert_int_eq(x.v.accept, v.accept);
				ck_assert_int_eq(x.v.sg_outcome, v.sg_outcome);
				ck_assert_ptr_eq(x.v.nacl, v.nacl);
				ck_assert_ptr_eq(x.v.sg, v.sg);
				/* One decided row per layer that judged by its rules. */
				for (j = 0; j < x.n_layers; j++) {
					L = &x.layers[j];
					decided = 0;
					for (size_t r = 0; r < L->n_rows; r++)
						decided += L->rows[r].role == EXPLAIN_DECIDED;
					ck_assert_uint_le(decided, 1);
					if (L->layer == VL_NACL && L->reach == EXPLAIN_RULES)
						ck_assert_uint_eq(decided, 1);
				}
				explain_clear(&x);
			}
	policy_free(pol);
	flow_table_free(ft);
	flow_table_free(ft2);
}
END_TEST

/* ---- packets from words --------------------------------------------------- */

/* Words as pkt_format() writes them come back the same through bytes and the parser. */
static const char *const round_trips[] = {
	"tcp 198.51.100.20:40123 -> 10.0.1.10:80 [S]",
	"tcp 10.0.1.10:80 -> 198.51.100.20:40123 [S.]",
	"tcp [2001:db8::1]:443 -> [2001:db8::2]:50000 [FP.]",
	"tcp 10.0.0.1:1 -> 10.0.0.2:2 [none]",
	"udp 10.0.0.1:53 -> 10.0.0.2:40000",
	"udp [fd99::2]:5000 -> [fd99::1]:53",
	"icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0 id 7",
	"icmp 10.0.0.1 -> 10.0.0.2 type 3 code 3",
	"icmpv6 fd99::2 -> ff02::1:ff00:1 type 135 code 0",
	"icmpv6 fd99::1 -> fd99::2 type 129 code 0 id 65535",
	"proto 47 10.0.0.1 -> 10.0.0.2",
	"proto 50 fd99::1 -> fd99::2",
	"udp 10.0.0.1:53 -> 10.0.0.2:40000 first-frag",
	"udp 10.0.0.1 -> 10.0.0.2 frag",
	"tcp [fd99::1]:80 -> [fd99::2]:40000 [.] first-frag",
	"icmpv6 fd99::1 -> fd99::2 frag",
};

START_TEST(test_words_round_trip)
{
	uint8_t buf[PKTGEN_MAX];
	struct pktgen g;
	struct pkt p;
	char err[160], out[160];
	size_t len;

	ck_assert_msg(pktgen_parse(&g, round_trips[_i], err, sizeof(err)) == 0, "%s", err);
	len = pktgen_build(&g, buf);
	ck_assert_int_eq(pkt_parse(&p, buf, len, len), PKT_OK);
	ck_assert_str_eq(pkt_format(&p, out, sizeof(out)), round_trips[_i]);
}
END_TEST

static const char *const bad_words[] = {
	"", "tcp", "tcp 10.0.0.1:1 10.0.0.2:2", "sctp 10.0.0.1:1 -> 10.0.0.2:2",
	"tcp 10.0.0.1 -> 10.0.0.2:2", "tcp 10.0.0.1:1 -> 10.0.0.2:70000",
	"tcp 10.0.0.1:1 -> [::1]:2", "tcp 2001:db8::1:1 -> 2001:db8::2:2",
	"icmp 10.0.0.1:1 -> 10.0.0.2", "icmp fd99::1 -> fd99::2", "icmpv6 10.0.0.1 -> 10.0.0.2",
	"tcp 10.0.0.1:1 -> 10.0.0.2:2 [X]", "icmp 10.0.0.1 -> 10.0.0.2 type 300",
	"icmp 10.0.0.1 -> 10.0.0.2 type", "udp 10.0.0.1:1 -> 10.0.0.2:2 [S]",
	"udp 10.0.0.1:1 -> 10.0.0.2:2 type 3",
	"proto 6 10.0.0.1 -> 10.0.0.2", "proto 300 10.0.0.1 -> 10.0.0.2", "proto 47",
	"proto 47 10.0.0.1 -> 10.0.0.2 type 3", "proto 47 10.0.0.1:5 -> 10.0.0.2",
};

START_TEST(test_words_bad)
{
	struct pktgen g;
	char err[160] = "";

	errno = 0;
	ck_assert_msg(pktgen_parse(&g, bad_words[_i], err, sizeof(err)) < 0, "'%s' parsed",
		      bad_words[_i]);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(err[0]);
}
END_TEST

/* A reply: turned round, SYN to SYN-ACK, echo request to reply. */
START_TEST(test_words_reply)
{
	uint8_t buf[PKTGEN_MAX];
	struct pktgen g, r;
	struct pkt p;
	char err[160], out[160];
	size_t len;

	ck_assert(pktgen_parse(&g, "tcp 10.0.0.1:40000 -> 10.0.0.2:80", err, sizeof(err)) == 0);
	pktgen_reply(&r, &g);
	len = pktgen_build(&r, buf);
	ck_assert_int_eq(pkt_parse(&p, buf, len, len), PKT_OK);
	ck_assert_str_eq(pkt_format(&p, out, sizeof(out)), "tcp 10.0.0.2:80 -> 10.0.0.1:40000 [S.]");
	ck_assert(pktgen_parse(&g, "icmpv6 fd99::1 -> fd99::2 id 4", err, sizeof(err)) == 0);
	pktgen_reply(&r, &g);
	len = pktgen_build(&r, buf);
	ck_assert_int_eq(pkt_parse(&p, buf, len, len), PKT_OK);
	ck_assert_str_eq(pkt_format(&p, out, sizeof(out)), "icmpv6 fd99::2 -> fd99::1 type 129 code 0 id 4");
}
END_TEST

static Suite *explain_suite(void)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("walk");

	tcase_add_loop_test(tc, test_nacl_miss, 0, (int)ARRAY_SIZE(miss_cases));
	tcase_add_test(tc, test_nacl_first_match);
	tcase_add_test(tc, test_sg_no_rule);
	tcase_add_test(tc, test_tracked_reply);
	tcase_add_test(tc, test_stateless_reply);
	tcase_add_test(tc, test_untracked);
	tcase_add_test(tc, test_exempt_and_subnet);
	tcase_add_test(tc, test_agrees_with_judge);
	suite_add_tcase(s, tc);
	tc = tcase_create("words");
	tcase_add_loop_test(tc, test_words_round_trip, 0, (int)ARRAY_SIZE(round_trips));
	tcase_add_loop_test(tc, test_words_bad, 0, (int)ARRAY_SIZE(bad_words));
	tcase_add_test(tc, test_words_reply);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(explain_suite());
}
