/*
 * The lab file parser (src/lib/lab.c): the model of the shipped lab, group
 * membership turned into --map, the plan, and each diagnostic with its
 * location. The texts are parsed as if they sat in labs/, so that their
 * rule files are the shipped lab's.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "lab.h"
#include "testutil.h"

#define LABS TEST_SRCDIR "/../labs"
#define HEAD "vpc 10.0.0.0/16\nsubnet public 10.0.1.0/24 public nacl vpc-public-nacl.rules\n"

static struct lab *parse(const char *text, char **msgs)
{
	struct diag *d = diag_new();
	struct lab *lab;

	ck_assert_ptr_nonnull(d);
	lab = lab_parse(LABS "/t.lab", text, strlen(text), d);
	*msgs = tu_diag_text(d);
	diag_free(d);
	return lab;
}

static const char *find_map(const struct lab *lab, const char *id, size_t *n)
{
	const struct aws_map_entry *e = aws_map_find(&lab->map, id);

	*n = e ? e->n : 0;
	return e ? e->id : NULL;
}

START_TEST(test_shipped_lab)
{
	struct diag *d = diag_new();
	struct lab *lab = lab_parse(LABS "/vpc.lab", NULL, 0, d);
	char *plan = NULL;
	size_t len, n;
	FILE *f;

	ck_assert_msg(lab, "labs/vpc.lab: %s", tu_diag_text(d));
	ck_assert_uint_eq(diag_warnings(d), 0);
	ck_assert_str_eq(lab->name, "vpc");
	ck_assert_uint_eq(lab->n_subnets, 2);
	ck_assert(lab->subnets[0].public);
	ck_assert(!lab->subnets[1].public);
	ck_assert_uint_eq(lab->n_inst, 3);
	ck_assert_str_eq(lab->inst[2].name, "db");
	ck_assert_uint_eq(lab->inst[2].subnet, 1);
	ck_assert_uint_eq(lab->inst[2].n_groups, 1);
	ck_assert_str_eq(lab->inst[2].groups[0], "sg-db");
	ck_assert_uint_eq(lab->inst[0].n_svc, 2);
	ck_assert_uint_eq(lab->inst[0].svc[1].port, 443);
	ck_assert_uint_eq(lab->n_inet, 1);
	ck_assert_ptr_nonnull(find_map(lab, "sg-web", &n));
	ck_assert_uint_eq(n, 1);

	f = open_memstream(&plan, &len);
	lab_print(lab, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(plan, "\nvpc 10.0.0.0/16\n"));
	ck_assert_ptr_nonnull(strstr(plan, "\nsubnet private 10.0.2.0/24 private 10.0.2.1 /"));
	ck_assert_ptr_nonnull(strstr(plan, "\ninstance db private 10.0.2.30 10.0.2.1 sg-db /"));
	ck_assert_ptr_nonnull(strstr(plan, "\nservice db tcp 5432\n"));
	ck_assert_ptr_nonnull(strstr(plan, "\ninternet client 198.51.100.20\n"));
	ck_assert_ptr_nonnull(strstr(plan, "\nmap sg-web 10.0.1.10/32\n"));
	free(plan);
	lab_free(lab);
	diag_free(d);
}
END_TEST

/* Two instances in sg-web: both addresses are its members; nat, command. */
START_TEST(test_membership)
{
	const char *text = HEAD
		"subnet private 10.0.2.0/24 private nacl vpc-private-nacl.rules\n"
		"nat private\n"
		"instance web1 subnet public address 10.0.1.10 sg vpc-web-sg.rules\n"
		"instance web2 subnet public address 10.0.1.11 sg vpc-web-sg.rules, \"vpc-bastion-sg.rules\"\n"
		"instance db subnet private address 10.0.2.30 sg vpc-db-sg.rules\n"
		"service web2 command \"sleep 1000\"\n"
		"internet a 198.51.100.20   # a comment\n";
	struct lab *lab;
	char *msgs, c[CIDR_STRLEN];
	const struct aws_map_entry *e;

	lab = parse(text, &msgs);
	ck_assert_msg(lab, "%s", msgs);
	ck_assert_str_eq(lab->name, "t");
	ck_assert(lab->subnets[1].nat);
	e = aws_map_find(&lab->map, "sg-web");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->n, 2);
	ck_assert_str_eq(cidr_format(&e->cidrs[0], c, sizeof(c)), "10.0.1.10/32");
	ck_assert_str_eq(cidr_format(&e->cidrs[1], c, sizeof(c)), "10.0.1.11/32");
	e = aws_map_find(&lab->map, "sg-bastion");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->n, 1);
	ck_assert_uint_eq(lab->inst[1].n_groups, 2);
	ck_assert_int_eq(lab->inst[1].svc[0].kind, LAB_SVC_COMMAND);
	ck_assert_str_eq(lab->inst[1].svc[0].command, "sleep 1000");
	lab_free(lab);
	free(msgs);
}
END_TEST

/* Each bad line: its message at its line and column. */
static const struct {
	const char *text;	/* after HEAD (lines 1-2) */
	const char *msg;
} bad[] = {
	{ "subnet x 10.1.0.0/24 private nacl vpc-private-nacl.rules\n",
	  ":3:10: error: subnet x is outside the VPC 10.0.0.0/16\n" },
	{ "subnet x 10.0.1.128/25 private nacl vpc-private-nacl.rules\n",
	  ":3:10: error: subnet x overlaps subnet public (line 2)\n" },
	{ "subnet public 10.0.2.0/24 private nacl vpc-private-nacl.rules\n",
	  ":3:8: error: subnet public is already declared on line 2\n" },
	{ "subnet x 10.0.2.1/24 private nacl vpc-private-nacl.rules\n",
	  ":3:10: error: '10.0.2.1/24' has host bits set: write 10.0.2.0/24\n" },
	{ "instance web subnet public address 10.0.2.10\n",
	  ":3:36: error: 10.0.2.10 is outside subnet public (10.0.1.0/24)\n" },
	{ "instance web subnet public address 10.0.1.3\n",
	  ":3:36: error: 10.0.1.3 is reserved by AWS in 10.0.1.0/24" },
	{ "instance web subnet nope address 10.0.1.10\n",
	  ":3:21: error: expected a subnet declared above, not 'nope'\n" },
	{ "instance web subnet public address 10.0.1.10\ninstance web subnet public address 10.0.1.11\n",
	  ":4:10: error: instance web is already declared on line 3\n" },
	{ "instance web subnet public address 10.0.1.10\ninstance app subnet public address 10.0.1.10\n",
	  ":4:36: error: 10.0.1.10 is already instance web's address (line 3)\n" },
	{ "instance router subnet public address 10.0.1.10\n",
	  ":3:10: error: 'router' is the name of the lab's own router namespaces" },
	{ "instance Web subnet public address 10.0.1.10\n",
	  ":3:10: error: 'Web' is no instance name" },
	{ "internet a 10.0.9.9\n",
	  ":3:12: error: 10.0.9.9 is inside the VPC 10.0.0.0/16: an internet host is outside it\n" },
	{ "service ghost tcp 80\n",
	  ":3:9: error: expected an instance declared above, not 'ghost'\n" },
	{ "instance web subnet public address 10.0.1.10\nservice web tcp 70000\n",
	  ":4:17: error: expected a port (1-65535), not '70000'\n" },
	{ "nat public\n",
	  ":3:5: error: subnet public is public: a NAT serves a private subnet\n" },
	{ "vpc 10.1.0.0/16\n",
	  ":3:1: error: a lab is one VPC: its block is already given on line 1\n" },
	{ "instance web subnet public address 10.0.1.10 sg \"vpc-web-sg.rules\n",
	  ":3:49: error: unterminated string" },
	{ "frob\n",
	  ":3:1: error: expected a statement (lab, vpc, subnet, nat, instance, service, internet), not 'frob'\n" },
	{ "subnet x 10.0.2.0/24 private nacl no-such.rules\n",
	  "labs/no-such.rules: error: cannot read: No such file or directory\n" },
	{ "subnet x 10.0.2.0/24 private nacl no-such.rules\n",
	  ":3: note: in the network ACL of subnet x\n" },
	/* A group referenced by no instance's files has no members. */
	{ "instance db subnet public address 10.0.1.30 sg vpc-db-sg.rules\n",
	  "labs/vpc-db-sg.rules:5:22: error: security group sg-web has no addresses" },
	{ "instance db subnet public address 10.0.1.30 sg vpc-db-sg.rules\n",
	  ":3: note: in the security groups of instance db" },
};

START_TEST(test_bad)
{
	char text[1024], *msgs;
	struct lab *lab;

	snprintf(text, sizeof(text), "%s%s", HEAD, bad[_i].text);
	lab = parse(text, &msgs);
	ck_assert_ptr_null(lab);
	ck_assert_msg(strstr(msgs, bad[_i].msg), "case %d: want \"%s\" in:\n%s", _i, bad[_i].msg, msgs);
	free(msgs);
}
END_TEST

/* IPv6: the same diagnostics, after HEAD6 (lines 1-2). */
#define HEAD6 "vpc 10.0.0.0/16 2001:db8:1::/56\n" \
	"subnet public 10.0.1.0/24 public nacl vpc-public-nacl.rules ipv6 2001:db8:1:1::/64\n"

static const struct {
	const char *head;
	const char *text;
	const char *msg;
} bad6[] = {
	{ HEAD6, "subnet x 10.0.2.0/24 private nacl vpc-private-nacl.rules ipv6 2001:db8:2::/64\n",
	  ":3:63: error: subnet x's IPv6 block is outside the VPC's 2001:db8:1::/56\n" },
	{ HEAD6, "subnet x 10.0.2.0/24 private nacl vpc-private-nacl.rules ipv6 2001:db8:1:1::/64\n",
	  ":3:63: error: subnet x's IPv6 block is subnet public's (line 2)\n" },
	{ HEAD6, "subnet x 10.0.2.0/24 private nacl vpc-private-nacl.rules ipv6 2001:db8:1:10::/60\n",
	  ":3:63: error: a subnet's IPv6 block is a /64 in AWS; this one is /60\n" },
	{ HEAD6, "subnet x 10.0.2.0/24 private nacl vpc-private-nacl.rules ipv6 10.0.3.0/24\n",
	  ":3:63: error: expected an IPv6 CIDR block (x:x::/n), not '10.0.3.0/24'\n" },
	{ HEAD6, "instance web subnet public address 10.0.1.10 ipv6 2001:db8:1:2::5\n",
	  ":3:51: error: 2001:db8:1:2::5 is outside subnet public's IPv6 block (2001:db8:1:1::/64)\n" },
	{ HEAD6, "instance web subnet public address 10.0.1.10 ipv6 2001:db8:1:1::2\n",
	  ":3:51: error: 2001:db8:1:1::2 is reserved by AWS in 2001:db8:1:1::/64" },
	/* web's automatic address is ::a (10.0.1.10's host part, 10). */
	{ HEAD6, "instance web subnet public address 10.0.1.10\ninstance app subnet public address 10.0.1.11 ipv6 2001:db8:1:1::a\n",
	  ":4:51: error: 2001:db8:1:1::a is already instance web's address (line 3)\n" },
	{ HEAD6, "internet a 198.51.100.20 2001:db8:1:5::1\n",
	  ":3:26: error: 2001:db8:1:5::1 is inside the VPC 2001:db8:1::/56: an internet host is outside it\n" },
	{ HEAD6, "internet a 198.51.100.20 2001:db8:ff::1\ninternet b 198.51.100.21 2001:db8:ff::1\n",
	  ":4:26: error: 2001:db8:ff::1 is already internet host a's address (line 3)\n" },
	/* IPv6 parts in a lab whose VPC has no IPv6 block. */
	{ HEAD, "subnet x 10.0.2.0/24 private nacl vpc-private-nacl.rules ipv6 2001:db8:1:2::/64\n",
	  ":3:63: error: subnet x has an IPv6 block but the VPC has none" },
	{ HEAD, "internet a 198.51.100.20 2001:db8:ff::1\n",
	  ":3:26: error: the VPC has no IPv6 block" },
	{ HEAD, "instance web subnet public address 10.0.1.10 ipv6 2001:db8::5\n",
	  ":3:46: error: subnet public has no IPv6 block" },
	{ "vpc 10.0.0.0/16 2001:db8::/64\n", "",
	  ":1:17: error: a VPC's IPv6 block is between /44 and /56 in AWS; this one is /64\n" },
};

START_TEST(test_bad6)
{
	char text[1024], *msgs;
	struct lab *lab;

	snprintf(text, sizeof(text), "%s%s", bad6[_i].head, bad6[_i].text);
	lab = parse(text, &msgs);
	ck_assert_ptr_null(lab);
	ck_assert_msg(strstr(msgs, bad6[_i].msg), "case %d: want \"%s\" in:\n%s", _i, bad6[_i].msg, msgs);
	free(msgs);
}
END_TEST

/* An IPv6 lab: addresses given and automatic, the map and the plan with both families. */
START_TEST(test_ipv6)
{
	const char *text = HEAD6
		"subnet private 10.0.2.0/24 private nacl vpc-private-nacl.rules\n"
		"instance web subnet public address 10.0.1.10 sg vpc-web-sg.rules\n"
		"instance web2 subnet public address 10.0.1.11 ipv6 2001:db8:1:1::80 sg vpc-web-sg.rules\n"
		"instance bastion subnet public address 10.0.1.20 sg vpc-bastion-sg.rules\n"
		"instance db subnet private address 10.0.2.30 sg vpc-db-sg.rules\n"
		"internet a 198.51.100.20 2001:db8:ff::20\n"
		"internet b 198.51.100.21\n";
	const struct aws_map_entry *e;
	char *msgs, *plan = NULL, c[CIDR_STRLEN];
	struct lab *lab;
	size_t len;
	FILE *f;

	lab = parse(text, &msgs);
	ck_assert_msg(lab, "%s", msgs);
	ck_assert(lab->inst[0].has6 && lab->inst[1].has6);
	ck_assert(!lab->inst[3].has6);	/* its subnet has no IPv6 block */
	ck_assert(lab->inet[0].has6 && !lab->inet[1].has6);
	e = aws_map_find(&lab->map, "sg-web");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->n, 4);
	ck_assert_str_eq(cidr_format(&e->cidrs[1], c, sizeof(c)), "2001:db8:1:1::a/128");
	ck_assert_str_eq(cidr_format(&e->cidrs[3], c, sizeof(c)), "2001:db8:1:1::80/128");
	f = open_memstream(&plan, &len);
	lab_print(lab, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(plan, "\nvpc 10.0.0.0/16\nvpc6 2001:db8:1::/56\n"));
	ck_assert_ptr_nonnull(strstr(plan, "\nsubnet6 public 2001:db8:1:1::/64 2001:db8:1:1::1\n"));
	ck_assert_ptr_null(strstr(plan, "\nsubnet6 private"));
	ck_assert_ptr_nonnull(strstr(plan, "\naddress6 web 2001:db8:1:1::a\n"));
	ck_assert_ptr_nonnull(strstr(plan, "\naddress6 web2 2001:db8:1:1::80\n"));
	ck_assert_ptr_null(strstr(plan, "\naddress6 db "));
	ck_assert_ptr_nonnull(strstr(plan, "\ninternet a 198.51.100.20\naddress6 a 2001:db8:ff::20\n"));
	ck_assert_ptr_null(strstr(plan, "\naddress6 b "));
	free(plan);
	lab_free(lab);
	free(msgs);
}
END_TEST

START_TEST(test_no_vpc)
{
	char *msgs;
	struct lab *lab = parse("subnet a 10.0.1.0/24 public nacl vpc-public-nacl.rules\n", &msgs);

	ck_assert_ptr_null(lab);
	ck_assert_ptr_nonnull(strstr(msgs, ":1:1: error: a subnet needs the VPC's block first"));
	free(msgs);
	lab = parse("# nothing\n", &msgs);
	ck_assert_ptr_null(lab);
	ck_assert_ptr_nonnull(strstr(msgs, "t.lab: error: no 'vpc CIDR' line"));
	free(msgs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lab");
	TCase *tc = tcase_create("lab");

	tcase_add_test(tc, test_shipped_lab);
	tcase_add_test(tc, test_membership);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_no_vpc);
	tcase_add_loop_test(tc, test_bad6, 0, (int)(sizeof(bad6) / sizeof(bad6[0])));
	tcase_add_test(tc, test_ipv6);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
