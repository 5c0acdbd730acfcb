/*
 * The AWS CLI JSON importer against doc/aws-semantics.md 8 and
 * doc/aws-semantics.md 1-2: the CLI documentation examples, the worked SG
 * example, several groups, the flat SecurityGroupRules form, --map, and
 * every error with its exact text, file and entry path.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws_json.h"
#include "load.h"
#include "testutil.h"

#define expect_clean(r) tu_expect_clean(d, r)
/* "file: error: msg" lines. */
#define expect_errors(file, msgs) do { \
	char pre_[256]; \
	snprintf(pre_, sizeof(pre_), "%s: error: ", file); \
	tu_expect_errors(d, pre_, msgs); \
} while (0)


#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif
#define FIXTURE(f) TEST_SRCDIR "/data/aws/" f

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



static void expect_failed(int r)
{
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EINVAL);
}

static const char *fmt_cidr(const struct cidr *c)
{
	static char buf[CIDR_STRLEN];

	return cidr_format(c, buf, sizeof(buf));
}

/* A file as `run --nacl` or `run --sg` loads it: through the one loader. */
static int load_with(enum aws_kind kind, const char *path, const struct aws_map *m)
{
	const struct load_opts o = {
		.take = kind == AWS_KIND_NACL ? RULES_TAKE_NACL : RULES_TAKE_SG, .map = m,
	};

	return load_file(rs, path, &o, d, NULL);
}

static int load(enum aws_kind kind, const char *path)
{
	return load_with(kind, path, &map);
}

static int load_text(enum aws_kind kind, const char *name, const char *text)
{
	return aws_json_load_buffer(rs, kind, name, text, strlen(text), &map, d);
}

static void add_map(const char *spec)
{
	ck_assert_int_eq(aws_map_add(&map, spec), 0);
}

/* ---- expected NACL entries ---------------------------------------------- */

struct nx {
	uint32_t num;
	char dir;		/* 'i' ingress, 'e' egress */
	char act;		/* 'a' allow, 'd' deny */
	int proto;
	int pf, pt;		/* port range */
	int type, code;		/* ICMP */
	const char *cidr;
	unsigned index;		/* position in Entries */
};

static void expect_nacl(const char *file, const struct nx *x, size_t n)
{
	size_t i;

	ck_assert_uint_eq(rs->n_nacl, n);
	for (i = 0; i < n; i++) {
		const struct nacl_entry *e = &rs->nacl[i];

		ck_assert_msg(e->number == x[i].num, "entry %zu: number %u", i, e->number);
		ck_assert_int_eq(e->egress, x[i].dir == 'e');
		ck_assert_int_eq(e->allow, x[i].act == 'a');
		ck_assert_int_eq(e->proto, x[i].proto);
		ck_assert_int_eq(e->port_from, x[i].pf);
		ck_assert_int_eq(e->port_to, x[i].pt);
		ck_assert_int_eq(e->icmp_type, x[i].type);
		ck_assert_int_eq(e->icmp_code, x[i].code);
		ck_assert_str_eq(fmt_cidr(&e->cidr), x[i].cidr);
		ck_assert_str_eq(e->origin.file, file);
		ck_assert_uint_eq(e->origin.line, 0);
		ck_assert_uint_eq(e->origin.index, x[i].index);
	}
}

/* ---- expected security-group entries ------------------------------------ */

struct sx {
	const char *group;
	char dir;		/* 'i' ingress, 'e' egress */
	int proto;
	int from, to;
	const char *cidr;
	const char *desc;	/* NULL: none */
	const char *ref;	/* NULL: a CIDR from the file */
	unsigned index;		/* position of the permission in its list */
};

static void ck_str_or_null(const char *got, const char *want, size_t i)
{
	if (!want)
		ck_assert_msg(got == NULL, "entry %zu: \"%s\", want NULL", i, got);
	else
		ck_assert_msg(got && !strcmp(got, want), "entry %zu: \"%s\", want \"%s\"",
			      i, got ? got : "(null)", want);
}

static void expect_sg(const char *file, const struct sx *x, size_t n)
{
	size_t i;

	ck_assert_uint_eq(rs->n_sg, n);
	for (i = 0; i < n; i++) {
		const struct sg_entry *e = &rs->sg[i];

		ck_assert_uint_lt(e->group, rs->n_groups);
		ck_assert_str_eq(rs->groups[e->group].id, x[i].group);
		ck_assert_msg(e->egress == (x[i].dir == 'e'), "entry %zu: direction", i);
		ck_assert_int_eq(e->proto, x[i].proto);
		ck_assert_int_eq(e->from, x[i].from);
		ck_assert_int_eq(e->to, x[i].to);
		ck_assert_str_eq(fmt_cidr(&e->cidr), x[i].cidr);
		ck_str_or_null(e->description, x[i].desc, i);
		ck_str_or_null(e->ref, x[i].ref, i);
		ck_assert_str_eq(e->origin.file, file);
		ck_assert_uint_eq(e->origin.line, 0);
		ck_assert_uint_eq(e->origin.index, x[i].index);
	}
}

static void expect_group(size_t i, const char *id, const char *name)
{
	ck_assert_uint_lt(i, rs->n_groups);
	ck_assert_str_eq(rs->groups[i].id, id);
	ck_str_or_null(rs->groups[i].name, name, i);
}

/* ---- network ACLs: the CLI documentation examples ----------------------- */

START_TEST(test_nacl_default)
{
	static const struct nx x[] = {
		{ 100, 'e', 'a', -1, 0, 65535, -1, -1, "0.0.0.0/0", 0 },
		{ 101, 'e', 'a', -1, 0, 65535, -1, -1, "::/0", 1 },
		{ 100, 'i', 'a', -1, 0, 65535, -1, -1, "0.0.0.0/0", 4 },
		{ 101, 'i', 'a', -1, 0, 65535, -1, -1, "::/0", 5 },
	};
	const char *f = FIXTURE("nacl-default.json");

	expect_clean(load(AWS_KIND_NACL, f));
	ck_assert(rs->has_nacl);
	ck_assert_str_eq(rs->nacl_id, "acl-0ea1f54ca7EXAMPLE");
	/* The four '*' entries (32767/32768) are checked, then left to the compiler. */
	expect_nacl(f, x, sizeof(x) / sizeof(x[0]));
}
END_TEST

START_TEST(test_nacl_custom)
{
	static const struct nx x[] = {
		{ 100, 'i', 'a', 6, 80, 80, -1, -1, "0.0.0.0/0", 0 },
		{ 105, 'i', 'a', 6, 80, 80, -1, -1, "::/0", 1 },
		{ 110, 'i', 'a', 6, 443, 443, -1, -1, "0.0.0.0/0", 2 },
		{ 120, 'i', 'a', 6, 22, 22, -1, -1, "192.0.2.0/24", 3 },
		{ 130, 'i', 'a', 1, 0, 65535, 8, -1, "0.0.0.0/0", 4 },
		{ 140, 'i', 'a', 6, 32768, 65535, -1, -1, "0.0.0.0/0", 5 },
		/* "PortRange": {} and "IcmpTypeCode": {} as create output prints them */
		{ 150, 'i', 'd', -1, 0, 65535, -1, -1, "198.51.100.7/32", 6 },
		{ 160, 'i', 'a', 58, 0, 65535, 128, 0, "::/0", 7 },
		/* ICMP without IcmpTypeCode: every type and code */
		{ 170, 'i', 'a', 1, 0, 65535, -1, -1, "10.0.0.0/16", 8 },
		/* GRE: PortRange ignored; 10.0.1.7/16 stored as AWS stores it */
		{ 180, 'i', 'a', 47, 0, 65535, -1, -1, "10.0.0.0/16", 9 },
		{ 100, 'e', 'a', 6, 80, 80, -1, -1, "0.0.0.0/0", 12 },
		{ 110, 'e', 'a', 6, 443, 443, -1, -1, "0.0.0.0/0", 13 },
		{ 120, 'e', 'a', 6, 32768, 65535, -1, -1, "0.0.0.0/0", 14 },
		{ 130, 'e', 'a', 17, 53, 53, -1, -1, "10.0.0.2/32", 15 },
		/* ICMPv6 with an IPv4 CIDR: type/code ignored (API) */
		{ 140, 'e', 'a', 58, 0, 65535, -1, -1, "0.0.0.0/0", 16 },
		{ 150, 'e', 'a', 1, 0, 65535, 3, 4, "0.0.0.0/0", 17 },
		{ 160, 'e', 'd', 1, 0, 65535, -1, -1, "203.0.113.0/24", 18 },
		{ 170, 'e', 'a', 6, 1024, 65535, -1, -1, "2001:db8:1234:1a00::/56", 19 },
	};
	const char *f = FIXTURE("nacl-custom.json");

	expect_clean(load(AWS_KIND_NACL, f));
	ck_assert_str_eq(rs->nacl_id, "acl-0a1b2c3d4eEXAMPLE");
	expect_nacl(f, x, sizeof(x) / sizeof(x[0]));
}
END_TEST

/* The CLI example prints two ACLs: a subnet has one, so the file is refused whole. */
START_TEST(test_nacl_two_acls)
{
	static const char *const msgs[] = {
		"NetworkAcls: the file holds 2 network ACLs (acl-0ea1f54ca7EXAMPLE, acl-0bbe4f3d5EXAMPLE); a subnet has exactly one network ACL; split the file",
		NULL
	};
	const char *f = FIXTURE("nacl-two-acls.json");

	expect_failed(load(AWS_KIND_NACL, f));
	expect_errors(f, msgs);
	ck_assert(!rs->has_nacl);
	ck_assert_uint_eq(rs->n_nacl, 0);
}
END_TEST

START_TEST(test_nacl_second_file)
{
	static const char *const msgs[] = {
		"NetworkAcls[0]: network ACL acl-0ea1f54ca7EXAMPLE is already loaded from another file; a subnet has exactly one network ACL",
		NULL
	};
	const char *f = FIXTURE("nacl-custom.json");

	expect_clean(load(AWS_KIND_NACL, FIXTURE("nacl-default.json")));
	expect_failed(load(AWS_KIND_NACL, f));
	expect_errors(f, msgs);
	ck_assert_str_eq(rs->nacl_id, "acl-0ea1f54ca7EXAMPLE");
	ck_assert_uint_eq(rs->n_nacl, 4);
}
END_TEST

/* Every bad entry of the file in one pass, with its exact text. */
START_TEST(test_nacl_bad_entries)
{
	static const char *const msgs[] = {
		"NetworkAcls[0].Entries[0] (rule 0 ingress): RuleNumber 0 is out of range: use 1-32766 (32767 and 32768 are the '*' entries)",
		"NetworkAcls[0].Entries[1] (rule 32769 ingress): RuleNumber 32769 is out of range: use 1-32766 (32767 and 32768 are the '*' entries)",
		"NetworkAcls[0].Entries[3] (rule 100 ingress): rule number 100 is already used in ingress by NetworkAcls[0].Entries[2]",
		"NetworkAcls[0].Entries[17] (rule 100 ingress): rule number 100 is already used in ingress by NetworkAcls[0].Entries[2]",
		"NetworkAcls[0].Entries[5] (rule 110 ingress): CidrBlock \"10.0.0.300/24\" is not an IPv4 CIDR block (a.b.c.d/n)",
		"NetworkAcls[0].Entries[6] (rule 120 ingress): protocol 6 (tcp) needs a PortRange with From and To",
		"NetworkAcls[0].Entries[7] (rule 130 ingress): protocol 17 (udp) needs a PortRange with From and To",
		"NetworkAcls[0].Entries[8] (rule 140 ingress): IcmpTypeCode.Type -1 (all ICMP types) needs IcmpTypeCode.Code -1, not 3",
		"NetworkAcls[0].Entries[9] (rule 150 ingress): PortRange.To 70000 is out of range 0-65535",
		"NetworkAcls[0].Entries[10] (rule 160 ingress): PortRange.From 443 is greater than PortRange.To 80",
		"NetworkAcls[0].Entries[11] (rule 170 ingress): RuleAction \"permit\" must be \"allow\" or \"deny\"",
		"NetworkAcls[0].Entries[12] (rule 180 ingress): Protocol \"gre\" is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6",
		"NetworkAcls[0].Entries[13] (rule 190 ingress): CidrBlock and Ipv6CidrBlock are both given: give exactly one",
		"NetworkAcls[0].Entries[14] (rule 200 ingress): CidrBlock \"2001:db8::/32\" is not an IPv4 CIDR block (a.b.c.d/n)",
		"NetworkAcls[0].Entries[15] (rule 32767 ingress): rule 32767 is the IPv4 '*' entry: AWS prints it as deny, Protocol -1, CidrBlock 0.0.0.0/0",
		NULL
	};
	const char *f = FIXTURE("nacl-bad-entries.json");

	expect_failed(load(AWS_KIND_NACL, f));
	expect_errors(f, msgs);
}
END_TEST

/* jansson's line and column, the source line and a caret under the column. */
START_TEST(test_nacl_bad_syntax)
{
	const char *f = FIXTURE("nacl-bad-syntax.json");
	char *text, want[1024];

	expect_failed(load(AWS_KIND_NACL, f));
	ck_assert_uint_eq(diag_errors(d), 1);
	text = tu_diag_text_nl(d);
	snprintf(want, sizeof(want),
		 "\n%s:9:32: error: invalid JSON: '}' expected near '\"RuleAction\"'\n"
		 "                    \"RuleAction\": \"allow\",\n"
		 "                               ^\n", f);
	ck_assert_msg(!strcmp(text, want), "got:%s", text);
	free(text);
	ck_assert(!rs->has_nacl);
}
END_TEST

/* Table: one entry in a one-ACL file, and the exact message(s) it gives. */
struct entry_case {
	const char *entry;
	const char *msg[3];
};

static const struct entry_case entry_cases[] = {
	{ "{\"Egress\":false,\"Protocol\":\"-1\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0]: RuleNumber is missing" } },
	{ "{\"RuleNumber\":\"100\",\"Egress\":false,\"Protocol\":\"-1\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0]: RuleNumber must be an integer, not \"100\"" } },
	{ "{\"RuleNumber\":100,\"Protocol\":\"-1\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100): Egress is missing" } },
	{ "{\"RuleNumber\":100,\"Egress\":\"yes\",\"Protocol\":\"-1\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100): Egress must be true or false, not \"yes\"" } },
	{ "{\"RuleNumber\":-5,\"Egress\":true,\"Protocol\":\"-1\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule -5 egress): RuleNumber -5 is out of range: use 1-32766 (32767 and 32768 are the '*' entries)" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"-1\",\"RuleAction\":\"allow\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): CidrBlock and Ipv6CidrBlock are both missing: give exactly one" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"-1\",\"RuleAction\":\"allow\",\"Ipv6CidrBlock\":\"10.0.0.0/8\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): Ipv6CidrBlock \"10.0.0.0/8\" is not an IPv6 CIDR block (x:y::z/n)" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"-1\",\"RuleAction\":\"allow\",\"CidrBlock\":\"10.0.0.0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): CidrBlock \"10.0.0.0\" is not an IPv4 CIDR block (a.b.c.d/n)" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): Protocol is missing" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"256\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): Protocol \"256\" is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":-2,\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): Protocol -2 is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"-1\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): RuleAction is missing" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"6\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\",\"PortRange\":{\"From\":22}}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): PortRange.To is missing" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"6\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\",\"PortRange\":{\"From\":-1,\"To\":22}}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): PortRange.From -1 is out of range 0-65535" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"6\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\",\"PortRange\":\"22\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): PortRange must be an object, not \"22\"" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"1\",\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\",\"IcmpTypeCode\":{\"Type\":8}}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): IcmpTypeCode.Code is missing" } },
	{ "{\"RuleNumber\":100,\"Egress\":true,\"Protocol\":\"58\",\"RuleAction\":\"allow\",\"Ipv6CidrBlock\":\"::/0\",\"IcmpTypeCode\":{\"Type\":256,\"Code\":-2}}",
	  { "NetworkAcls[0].Entries[0] (rule 100 egress): IcmpTypeCode.Type 256 is out of range: an ICMP type is 0-255, or -1 for all",
	    "NetworkAcls[0].Entries[0] (rule 100 egress): IcmpTypeCode.Code -2 is out of range: an ICMP code is 0-255, or -1 for all" } },
	{ "{\"RuleNumber\":32768,\"Egress\":true,\"Protocol\":\"-1\",\"RuleAction\":\"deny\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 32768 egress): rule 32768 is the IPv6 '*' entry: AWS prints it as deny, Protocol -1, Ipv6CidrBlock ::/0" } },
	{ "{\"RuleNumber\":32767,\"Egress\":true,\"Protocol\":\"6\",\"RuleAction\":\"deny\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 32767 egress): rule 32767 is the IPv4 '*' entry: AWS prints it as deny, Protocol -1, CidrBlock 0.0.0.0/0" } },
	/* several problems of one entry are all reported */
	{ "{\"RuleNumber\":100,\"Egress\":false,\"Protocol\":\"tcp\",\"RuleAction\":\"drop\",\"CidrBlock\":\"0.0.0.0/0\"}",
	  { "NetworkAcls[0].Entries[0] (rule 100 ingress): RuleAction \"drop\" must be \"allow\" or \"deny\"",
	    "NetworkAcls[0].Entries[0] (rule 100 ingress): protocol 6 (tcp) needs a PortRange with From and To" } },
	{ "42", { "NetworkAcls[0].Entries[0]: must be an object" } },
};

START_TEST(test_nacl_entry_errors)
{
	const struct entry_case *c = &entry_cases[_i];
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"NetworkAcls\":[{\"NetworkAclId\":\"acl-1\",\"Entries\":[%s]}]}",
		 c->entry);
	expect_failed(load_text(AWS_KIND_NACL, "case.json", text));
	expect_errors("case.json", c->msg);
	ck_assert_uint_eq(rs->n_nacl, 0);
}
END_TEST

/* Learners write numbers and names, in any case; all mean what the CLI prints. */
START_TEST(test_nacl_learner_forms)
{
	static const char text[] =
		"{\"NetworkAcls\":[{\"NetworkAclId\":\"acl-1\",\"Entries\":["
		"{\"RuleNumber\":1,\"Egress\":false,\"Protocol\":6,\"RuleAction\":\"Allow\",\"CidrBlock\":\"10.0.0.0/8\",\"PortRange\":{\"From\":22,\"To\":22}},"
		"{\"RuleNumber\":2,\"Egress\":false,\"Protocol\":\"TCP\",\"RuleAction\":\"DENY\",\"CidrBlock\":\"10.0.0.0/8\",\"PortRange\":{\"From\":0,\"To\":65535}},"
		"{\"RuleNumber\":3,\"Egress\":false,\"Protocol\":\"udp\",\"RuleAction\":\"allow\",\"CidrBlock\":\"10.0.0.0/8\",\"PortRange\":{\"From\":53,\"To\":53}},"
		"{\"RuleNumber\":4,\"Egress\":false,\"Protocol\":\"Icmp\",\"RuleAction\":\"allow\",\"CidrBlock\":\"10.0.0.0/8\",\"IcmpTypeCode\":{\"Type\":0,\"Code\":0}},"
		"{\"RuleNumber\":5,\"Egress\":false,\"Protocol\":\"ICMPv6\",\"RuleAction\":\"allow\",\"Ipv6CidrBlock\":\"fd00::/8\",\"IcmpTypeCode\":{\"Type\":129,\"Code\":-1}},"
		"{\"RuleNumber\":6,\"Egress\":false,\"Protocol\":\"all\",\"RuleAction\":\"deny\",\"CidrBlock\":\"0.0.0.0/0\",\"PortRange\":{\"From\":70000,\"To\":1}},"
		"{\"RuleNumber\":32766,\"Egress\":true,\"Protocol\":-1,\"RuleAction\":\"allow\",\"CidrBlock\":\"0.0.0.0/0\",\"IcmpTypeCode\":null}"
		"]}]}";
	static const struct nx x[] = {
		{ 1, 'i', 'a', 6, 22, 22, -1, -1, "10.0.0.0/8", 0 },
		{ 2, 'i', 'd', 6, 0, 65535, -1, -1, "10.0.0.0/8", 1 },
		{ 3, 'i', 'a', 17, 53, 53, -1, -1, "10.0.0.0/8", 2 },
		{ 4, 'i', 'a', 1, 0, 65535, 0, 0, "10.0.0.0/8", 3 },
		{ 5, 'i', 'a', 58, 0, 65535, 129, -1, "fd00::/8", 4 },
		/* protocol all: a PortRange, even a nonsensical one, is ignored */
		{ 6, 'i', 'd', -1, 0, 65535, -1, -1, "0.0.0.0/0", 5 },
		{ 32766, 'e', 'a', -1, 0, 65535, -1, -1, "0.0.0.0/0", 6 },
	};

	expect_clean(load_text(AWS_KIND_NACL, "learner.json", text));
	expect_nacl("learner.json", x, sizeof(x) / sizeof(x[0]));
}
END_TEST

/* Table: a whole file and the message it gives. */
struct file_case {
	enum aws_kind kind;
	const char *text;
	const char *msg;
};

static const struct file_case file_cases[] = {
	{ AWS_KIND_NACL, "{\"NetworkAcls\": []}", "NetworkAcls: the file holds no network ACL" },
	{ AWS_KIND_NACL, "{\"NetworkAcls\": {}}", "NetworkAcls must be an array, not {}" },
	{ AWS_KIND_NACL, "{\"NetworkAcls\": [{\"Entries\": []}]}", "NetworkAcls[0]: NetworkAclId is missing" },
	{ AWS_KIND_NACL, "{\"NetworkAcls\": [{\"NetworkAclId\": \"acl-1\"}]}", "NetworkAcls[0]: Entries is missing" },
	{ AWS_KIND_NACL, "{\"NetworkAcls\": [7]}", "NetworkAcls[0]: must be an object" },
	{ AWS_KIND_NACL, "{\"SecurityGroups\": []}", "holds SecurityGroups; give it with --sg, not --nacl" },
	{ AWS_KIND_NACL, "{\"SecurityGroupRules\": []}", "holds SecurityGroupRules; give it with --sg, not --nacl" },
	{ AWS_KIND_NACL, "{\"Vpcs\": []}", "no \"NetworkAcls\": not the output of aws ec2 describe-network-acls" },
	{ AWS_KIND_SG, "{\"NetworkAcls\": []}", "holds NetworkAcls; give it with --nacl, not --sg" },
	{ AWS_KIND_SG, "{\"Vpcs\": []}", "no \"SecurityGroups\": not the output of aws ec2 describe-security-groups" },
	{ AWS_KIND_SG, "{\"SecurityGroups\": \"sg-1\"}", "SecurityGroups must be an array, not \"sg-1\"" },
	{ AWS_KIND_SG, "{\"SecurityGroupRules\": 1}", "SecurityGroupRules must be an array, not 1" },
	{ AWS_KIND_SG, "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"IpPermissions\": {}}]}",
	  "SecurityGroups[0]: IpPermissions must be an array, not {}" },
	{ AWS_KIND_SG, "{\"SecurityGroups\": [{\"GroupId\": 5}]}", "SecurityGroups[0]: GroupId must be a string, not 5" },
	{ AWS_KIND_SG, "[{\"GroupId\": \"sg-1\"}]", "the top level is not an object: not the output of the AWS CLI" },
};

START_TEST(test_file_errors)
{
	const struct file_case *c = &file_cases[_i];
	const char *msgs[] = { c->msg, NULL };

	expect_failed(load_text(c->kind, "case.json", c->text));
	expect_errors("case.json", msgs);
}
END_TEST

START_TEST(test_kind_of_fixture)
{
	static const char *const nacl_msgs[] = {
		"holds SecurityGroups; give it with --sg, not --nacl", NULL
	};
	static const char *const sg_msgs[] = {
		"holds NetworkAcls; give it with --nacl, not --sg", NULL
	};

	expect_failed(load(AWS_KIND_NACL, FIXTURE("sg-worked.json")));
	expect_errors(FIXTURE("sg-worked.json"), nacl_msgs);
	diag_free(d);
	d = diag_new();
	expect_failed(load(AWS_KIND_SG, FIXTURE("nacl-default.json")));
	expect_errors(FIXTURE("nacl-default.json"), sg_msgs);
	ck_assert_uint_eq(rs->n_nacl + rs->n_sg + rs->n_groups, 0);
}
END_TEST

START_TEST(test_json_errors)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "", "\nx.json:1: error: invalid JSON: '[' or '{' expected near end of file\n" },
		{ "{\"NetworkAcls\": [], \"NetworkAcls\": []}",
		  "\nx.json:1:33: error: invalid JSON: duplicate object key near '\"NetworkAcls\"'\n"
		  "{\"NetworkAcls\": [], \"NetworkAcls\": []}\n"
		  "                                ^\n" },
		{ "{\n  \"NetworkAcls\": [\n", "\nx.json:3:0: error" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text;

		diag_free(d);
		d = diag_new();
		expect_failed(load_text(AWS_KIND_NACL, "x.json", cases[i].text));
		ck_assert_uint_eq(diag_errors(d), 1);
		text = tu_diag_text_nl(d);
		if (i < 2)
			ck_assert_msg(!strcmp(text, cases[i].want), "case %zu:%s", i, text);
		else	/* end of input: line known, no column, no caret */
			ck_assert_msg(strstr(text, "\nx.json:3: error: invalid JSON: ") &&
				      !strchr(text, '^'), "case %zu:%s", i, text);
		free(text);
	}
}
END_TEST

/*
 * What AWS refuses and the native language cannot write is refused on
 * import, so that `convert` never prints a file `check` rejects (both found
 * by the AWS JSON fuzzer: tests/fuzz/regressions/aws_json).
 */
START_TEST(test_unprintable_strings)
{
	static const struct {
		enum aws_kind kind;
		const char *text, *want;
	} cases[] = {
		{ AWS_KIND_NACL, "{\"NetworkAcls\": [{\"NetworkAclId\": \"acl-0ea1/E\", \"Entries\": []}]}",
		  "NetworkAclId \"acl-0ea1/E\" is not a network ACL id" },
		{ AWS_KIND_SG, "{\"SecurityGroups\": [{\"GroupId\": \"sg-0e5f>a7\", \"IpPermissions\": []}]}",
		  "GroupId \"sg-0e5f>a7\" is not a security group id" },
		{ AWS_KIND_SG, "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"GroupName\": \"web\\u007fx\"}]}",
		  "GroupName holds the control character 0x7f" },
		{ AWS_KIND_SG, "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"-1\","
		  " \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\", \"Description\": \"a\\tb\"}]}]}]}",
		  "Description holds the control character 0x09" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text;

		diag_free(d);
		d = diag_new();
		expect_failed(load_text(cases[i].kind, "x.json", cases[i].text));
		text = tu_diag_text_nl(d);
		ck_assert_msg(strstr(text, cases[i].want), "case %zu:%s", i, text);
		free(text);
	}
}
END_TEST

START_TEST(test_read_error)
{
	const char *f = FIXTURE("no-such-file.json");
	static const char *const msgs[] = { "cannot read: No such file or directory", NULL };

	ck_assert_int_eq(load(AWS_KIND_NACL, f), -1);
	ck_assert_int_eq(errno, ENOENT);
	expect_errors(f, msgs);
}
END_TEST

/* A file much larger than one read buffer, through the file path. */
START_TEST(test_large_file)
{
	char path[] = "/tmp/check_aws_json.XXXXXX";
	int fd = mkstemp(path), i;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("{\"SecurityGroups\":[{\"GroupId\":\"sg-big\",\"GroupName\":\"big\",\"IpPermissions\":[", f);
	for (i = 0; i < 5000; i++)
		fprintf(f, "%s\n  {\"IpProtocol\":\"tcp\",\"FromPort\":%d,\"ToPort\":%d,"
			"\"IpRanges\":[{\"CidrIp\":\"10.%d.%d.0/24\",\"Description\":\"padding padding padding\"}]}",
			i ? "," : "", i + 1, i + 1, i / 256, i % 256);
	fputs("]}]}\n", f);
	fclose(f);
	expect_clean(load(AWS_KIND_SG, path));
	unlink(path);
	ck_assert_uint_eq(rs->n_sg, 5000);
	ck_assert_int_eq(rs->sg[4999].from, 5000);
	ck_assert_str_eq(fmt_cidr(&rs->sg[4999].cidr), "10.19.135.0/24");
	ck_assert_uint_eq(rs->sg[4999].origin.index, 4999);
}
END_TEST

START_TEST(test_detect)
{
	static const struct {
		const char *text;
		bool json;
	} cases[] = {
		{ "{}", true },
		{ " \n\t\r{\"NetworkAcls\":[]}", true },
		{ "\xef\xbb\xbf{}", true },
		{ "", false },
		{ "   ", false },
		{ "[]", false },
		{ "nacl acl-1 {", false },
		{ "# comment\n{", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(aws_json_detect(cases[i].text, strlen(cases[i].text)) ==
			      cases[i].json, "case %zu", i);
	/* only len bytes are looked at */
	ck_assert(!aws_json_detect("  {", 2));
}
END_TEST

START_TEST(test_bom)
{
	static const char text[] = "\xef\xbb\xbf{\"NetworkAcls\":[{\"NetworkAclId\":\"acl-1\",\"Entries\":["
		"{\"RuleNumber\":10,\"Egress\":true,\"Protocol\":\"-1\",\"RuleAction\":\"deny\",\"CidrBlock\":\"0.0.0.0/0\"}]}]}";
	static const struct nx x[] = {
		{ 10, 'e', 'd', -1, 0, 65535, -1, -1, "0.0.0.0/0", 0 },
	};

	expect_clean(load_text(AWS_KIND_NACL, "bom.json", text));
	expect_nacl("bom.json", x, 1);
}
END_TEST

/* ---- security groups ---------------------------------------------------- */

/* AWS's worked example: SSH from one host, HTTP from anywhere, ICMP; all out. */
START_TEST(test_sg_worked)
{
	static const struct sx x[] = {
		{ "sg-0a1b2c3d4eEXAMPLE", 'i', 6, 22, 22, "203.0.113.1/32", "SSH from the admin workstation", NULL, 0 },
		{ "sg-0a1b2c3d4eEXAMPLE", 'i', 6, 80, 80, "0.0.0.0/0", NULL, NULL, 1 },
		{ "sg-0a1b2c3d4eEXAMPLE", 'i', 6, 80, 80, "::/0", NULL, NULL, 1 },
		{ "sg-0a1b2c3d4eEXAMPLE", 'i', 1, -1, -1, "0.0.0.0/0", "All ICMP - IPv4", NULL, 2 },
		{ "sg-0a1b2c3d4eEXAMPLE", 'e', -1, -1, -1, "0.0.0.0/0", NULL, NULL, 0 },
		{ "sg-0a1b2c3d4eEXAMPLE", 'e', -1, -1, -1, "::/0", NULL, NULL, 0 },
	};
	const char *f = FIXTURE("sg-worked.json");

	expect_clean(load(AWS_KIND_SG, f));
	ck_assert_uint_eq(rs->n_groups, 1);
	expect_group(0, "sg-0a1b2c3d4eEXAMPLE", "web-server-sg");
	ck_assert(!rs->has_nacl);
	expect_sg(f, x, sizeof(x) / sizeof(x[0]));
}
END_TEST

#define DEF "sg-0default0EXAMPLE"
#define WEB "sg-0web00000EXAMPLE"
#define DB  "sg-0db000000EXAMPLE"
#define PL  "pl-63a5400a"

static void map_multi(void)
{
	add_map(DEF "=10.0.1.10/32");
	add_map(DB "=10.0.2.20/32,fd00:2::20/128");
	add_map(PL "=52.216.0.0/15,3.5.0.0/19");
	add_map(WEB "=10.0.1.0/24");
}

/* Several groups in one file; references expanded through --map. */
START_TEST(test_sg_multi_mapped)
{
	static const struct sx x[] = {
		{ DEF, 'i', -1, -1, -1, "10.0.1.10/32", NULL, DEF, 0 },
		{ DEF, 'e', -1, -1, -1, "0.0.0.0/0", NULL, NULL, 0 },
		{ DEF, 'e', -1, -1, -1, "::/0", NULL, NULL, 0 },
		{ WEB, 'i', 6, 443, 443, "0.0.0.0/0", NULL, NULL, 0 },
		{ WEB, 'i', 6, 443, 443, "::/0", NULL, NULL, 0 },
		{ WEB, 'i', 6, 80, 80, "0.0.0.0/0", "HTTP redirect", NULL, 1 },
		/* icmpv6 without ports: every type and code */
		{ WEB, 'i', 58, -1, -1, "2001:db8::/32", NULL, NULL, 2 },
		/* udp -1/-1: every port */
		{ WEB, 'i', 17, 0, 65535, "10.0.0.0/8", "all UDP from the VPC", NULL, 3 },
		{ WEB, 'e', 6, 5432, 5432, "10.0.2.20/32", "to the database", DB, 0 },
		{ WEB, 'e', 6, 5432, 5432, "fd00:2::20/128", "to the database", DB, 0 },
		{ WEB, 'e', 6, 443, 443, "52.216.0.0/15", "S3", PL, 1 },
		{ WEB, 'e', 6, 443, 443, "3.5.0.0/19", "S3", PL, 1 },
		{ DB, 'i', 6, 5432, 5432, "10.0.5.0/24", "bastion", NULL, 0 },
		{ DB, 'i', 6, 5432, 5432, "10.0.1.0/24", NULL, WEB, 0 },
		/* ESP: the ports given are ignored, as AWS ignores them */
		{ DB, 'i', 50, -1, -1, "198.51.100.0/24", NULL, NULL, 1 },
		{ DB, 'i', 1, 8, 0, "10.0.0.0/16", NULL, NULL, 2 },
	};
	const char *f = FIXTURE("sg-multi.json");

	map_multi();
	expect_clean(load(AWS_KIND_SG, f));
	ck_assert_uint_eq(rs->n_groups, 3);
	expect_group(0, DEF, "default");
	expect_group(1, WEB, "web");
	expect_group(2, DB, "db");
	expect_sg(f, x, sizeof(x) / sizeof(x[0]));
}
END_TEST

START_TEST(test_sg_multi_unmapped)
{
	static const char *const msgs[] = {
		"SecurityGroups[0].IpPermissions[0].UserIdGroupPairs[0]: security-group reference " DEF " has no addresses on a single host; give --map " DEF "=CIDR[,CIDR...]",
		"SecurityGroups[1].IpPermissionsEgress[0].UserIdGroupPairs[0]: security-group reference " DB " has no addresses on a single host; give --map " DB "=CIDR[,CIDR...]",
		"SecurityGroups[1].IpPermissionsEgress[1].PrefixListIds[0]: prefix list " PL " has no addresses on a single host; give --map " PL "=CIDR[,CIDR...]",
		"SecurityGroups[2].IpPermissions[0].UserIdGroupPairs[0]: security-group reference " WEB " has no addresses on a single host; give --map " WEB "=CIDR[,CIDR...]",
		NULL
	};
	const char *f = FIXTURE("sg-multi.json");

	add_map("sg-0other=10.9.9.9/32");	/* a map that does not cover them */
	expect_failed(load(AWS_KIND_SG, f));
	expect_errors(f, msgs);
}
END_TEST

/* The same file with no map at all (NULL) gives the same four errors. */
START_TEST(test_sg_null_map)
{
	const char *f = FIXTURE("sg-multi.json");

	expect_failed(load_with(AWS_KIND_SG, f, NULL));
	ck_assert_uint_eq(diag_errors(d), 4);
}
END_TEST

START_TEST(test_sg_flat)
{
	static const struct sx x[] = {
		{ WEB, 'i', 6, 443, 443, "0.0.0.0/0", "HTTPS", NULL, 0 },
		{ WEB, 'i', 6, 443, 443, "::/0", NULL, NULL, 1 },
		{ WEB, 'e', -1, -1, -1, "0.0.0.0/0", NULL, NULL, 2 },
		{ DB, 'i', 6, 5432, 5432, "10.0.1.0/24", "from web", WEB, 3 },
		{ WEB, 'e', 6, 443, 443, "52.216.0.0/15", "S3", PL, 4 },
		{ WEB, 'e', 6, 443, 443, "3.5.0.0/19", "S3", PL, 4 },
		{ DB, 'i', 1, 8, -1, "10.0.0.0/16", NULL, NULL, 5 },
	};
	const char *f = FIXTURE("sg-rules-flat.json");

	map_multi();
	expect_clean(load(AWS_KIND_SG, f));
	ck_assert_uint_eq(rs->n_groups, 2);
	expect_group(0, WEB, NULL);
	expect_group(1, DB, NULL);
	expect_sg(f, x, sizeof(x) / sizeof(x[0]));
}
END_TEST

/* A group met again (another file, another form) keeps one index. */
START_TEST(test_sg_group_shared)
{
	map_multi();
	expect_clean(load(AWS_KIND_SG, FIXTURE("sg-multi.json")));
	expect_clean(load(AWS_KIND_SG, FIXTURE("sg-rules-flat.json")));
	ck_assert_uint_eq(rs->n_groups, 3);
	ck_assert_uint_eq(rs->n_sg, 16 + 7);
	ck_assert_uint_eq(rs->sg[16].group, 1);	/* web */
	ck_assert_uint_eq(rs->sg[19].group, 2);	/* db */
	ck_assert_str_eq(rs->sg[16].origin.file, FIXTURE("sg-rules-flat.json"));
	ck_assert_str_eq(rs->sg[0].origin.file, FIXTURE("sg-multi.json"));
}
END_TEST

/* Flat rules first: the group's name arrives with describe-security-groups. */
START_TEST(test_sg_group_named_later)
{
	map_multi();
	expect_clean(load(AWS_KIND_SG, FIXTURE("sg-rules-flat.json")));
	expect_group(0, WEB, NULL);
	expect_clean(load(AWS_KIND_SG, FIXTURE("sg-multi.json")));
	ck_assert_uint_eq(rs->n_groups, 3);
	expect_group(0, WEB, "web");
	expect_group(1, DB, "db");
	expect_group(2, DEF, "default");
}
END_TEST

START_TEST(test_sg_bad)
{
	static const char *const msgs[] = {
		"SecurityGroups[0].IpPermissions[0].IpRanges[0]: CidrIp \"203.0.113.1\" is not an IPv4 CIDR block (a.b.c.d/n)",
		"SecurityGroups[0].IpPermissions[1]: FromPort -1 (all ICMP types) needs ToPort -1, not 3",
		"SecurityGroups[0].IpPermissions[2]: ToPort 70000 is out of range 0-65535",
		"SecurityGroups[0].IpPermissions[3]: tcp needs FromPort and ToPort (0-65535)",
		"SecurityGroups[0].IpPermissions[4]: allows nothing: no IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds",
		"SecurityGroups[0].IpPermissions[5].PrefixListIds[0]: prefix list pl-0abc has no addresses on a single host; give --map pl-0abc=CIDR[,CIDR...]",
		"SecurityGroups[0].IpPermissions[6].UserIdGroupPairs[0]: security-group reference sg-0abc has no addresses on a single host; give --map sg-0abc=CIDR[,CIDR...]",
		"SecurityGroups[0].IpPermissions[7].Ipv6Ranges[0]: CidrIpv6 \"10.0.0.0/8\" is not an IPv6 CIDR block (x:y::z/n)",
		"SecurityGroups[0].IpPermissions[8]: IpProtocol \"foo\" is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6",
		"SecurityGroups[0].IpPermissions[9]: FromPort 53 with ToPort -1: -1 (all ports) goes in both",
		"SecurityGroups[0].IpPermissions[10]: FromPort 8080 is greater than ToPort 8000",
		"SecurityGroups[0].IpPermissionsEgress[0].IpRanges[1]: CidrIp \"300.0.0.0/8\" is not an IPv4 CIDR block (a.b.c.d/n)",
		"SecurityGroups[1]: GroupId is missing",
		NULL
	};
	const char *f = FIXTURE("sg-bad.json");

	expect_failed(load(AWS_KIND_SG, f));
	expect_errors(f, msgs);
}
END_TEST

/* Table: one permission's protocol and ports, stored or refused. */
struct perm_case {
	const char *perm;	/* members before "IpRanges" */
	int proto, from, to;
	const char *msg;	/* NULL: loads */
};

static const struct perm_case perm_cases[] = {
	{ "\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22", 6, 22, 22, NULL },
	{ "\"IpProtocol\":\"6\",\"FromPort\":1024,\"ToPort\":65535", 6, 1024, 65535, NULL },
	{ "\"IpProtocol\":\"tcp\",\"FromPort\":-1,\"ToPort\":-1", 6, 0, 65535, NULL },
	{ "\"IpProtocol\":17,\"FromPort\":53,\"ToPort\":53", 17, 53, 53, NULL },
	{ "\"IpProtocol\":\"UDP\",\"FromPort\":0,\"ToPort\":0", 17, 0, 0, NULL },
	{ "\"IpProtocol\":\"icmp\",\"FromPort\":3,\"ToPort\":4", 1, 3, 4, NULL },
	{ "\"IpProtocol\":\"1\",\"FromPort\":8,\"ToPort\":-1", 1, 8, -1, NULL },
	{ "\"IpProtocol\":\"icmpv6\"", 58, -1, -1, NULL },
	{ "\"IpProtocol\":\"58\",\"FromPort\":128,\"ToPort\":0", 58, 128, 0, NULL },
	{ "\"IpProtocol\":\"-1\"", -1, -1, -1, NULL },
	{ "\"IpProtocol\":\"-1\",\"FromPort\":22,\"ToPort\":22", -1, -1, -1, NULL },
	{ "\"IpProtocol\":\"all\"", -1, -1, -1, NULL },
	{ "\"IpProtocol\":\"47\",\"FromPort\":5,\"ToPort\":1", 47, -1, -1, NULL },
	{ "\"IpProtocol\":\"0\"", 0, -1, -1, NULL },
	{ "\"IpProtocol\":\"icmp\"", 0, 0, 0,
	  "icmp needs FromPort (the ICMP type) and ToPort (the code); -1 means all" },
	{ "\"IpProtocol\":\"icmp\",\"FromPort\":8", 0, 0, 0, "ToPort is missing" },
	{ "\"IpProtocol\":\"icmpv6\",\"ToPort\":0", 0, 0, 0, "FromPort is missing" },
	{ "\"IpProtocol\":\"icmp\",\"FromPort\":256,\"ToPort\":0", 0, 0, 0,
	  "FromPort 256 is out of range: an ICMP type is 0-255, or -1 for all" },
	{ "\"IpProtocol\":\"icmpv6\",\"FromPort\":1,\"ToPort\":300", 0, 0, 0,
	  "ToPort 300 is out of range: an ICMP code is 0-255, or -1 for all" },
	{ "\"IpProtocol\":\"icmpv6\",\"FromPort\":-1,\"ToPort\":0", 0, 0, 0,
	  "FromPort -1 (all ICMP types) needs ToPort -1, not 0" },
	{ "\"IpProtocol\":\"udp\",\"ToPort\":53", 0, 0, 0, "FromPort is missing" },
	{ "\"IpProtocol\":\"tcp\",\"FromPort\":-5,\"ToPort\":22", 0, 0, 0,
	  "FromPort -5 is out of range 0-65535" },
	{ "\"IpProtocol\":\"tcp\",\"FromPort\":-1,\"ToPort\":22", 0, 0, 0,
	  "FromPort -1 with ToPort 22: -1 (all ports) goes in both" },
	{ "\"IpProtocol\":\"udp\",\"FromPort\":\"53\",\"ToPort\":53", 0, 0, 0,
	  "FromPort must be an integer, not \"53\"" },
	{ "\"IpProtocol\":\"256\"", 0, 0, 0,
	  "IpProtocol \"256\" is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6" },
	{ "\"IpProtocol\":\"tcp \",\"FromPort\":1,\"ToPort\":2", 0, 0, 0,
	  "IpProtocol \"tcp \" is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6" },
	{ "\"IpProtocol\":\"6x\",\"FromPort\":1,\"ToPort\":2", 0, 0, 0,
	  "IpProtocol \"6x\" is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6" },
	{ "\"IpProtocol\":true", 0, 0, 0,
	  "IpProtocol true is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6" },
	{ "\"FromPort\":1,\"ToPort\":2", 0, 0, 0, "IpProtocol is missing" },
};

START_TEST(test_sg_perm_ports)
{
	const struct perm_case *c = &perm_cases[_i];
	char text[1024], msg[256];
	const char *msgs[] = { msg, NULL };
	int r;

	snprintf(text, sizeof(text),
		 "{\"SecurityGroups\":[{\"GroupId\":\"sg-1\",\"GroupName\":\"g\",\"IpPermissions\":[{%s,"
		 "\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"}]}]}]}", c->perm);
	r = load_text(AWS_KIND_SG, "perm.json", text);
	if (c->msg) {
		expect_failed(r);
		snprintf(msg, sizeof(msg), "SecurityGroups[0].IpPermissions[0]: %s", c->msg);
		expect_errors("perm.json", msgs);
		ck_assert_uint_eq(rs->n_sg, 0);
		return;
	}
	expect_clean(r);
	ck_assert_uint_eq(rs->n_sg, 1);
	ck_assert_int_eq(rs->sg[0].proto, c->proto);
	ck_assert_int_eq(rs->sg[0].from, c->from);
	ck_assert_int_eq(rs->sg[0].to, c->to);
	ck_assert_str_eq(fmt_cidr(&rs->sg[0].cidr), "10.0.0.0/8");
	ck_assert(!rs->sg[0].egress);
}
END_TEST

/* Table: one flat rule and the message it gives. */
static const struct {
	const char *rule;
	const char *msg;
} flat_cases[] = {
	{ "\"GroupId\":\"sg-1\",\"IsEgress\":false,\"IpProtocol\":\"-1\"",
	  "SecurityGroupRules[0]: allows nothing: no CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo" },
	{ "\"SecurityGroupRuleId\":\"sgr-1\",\"GroupId\":\"sg-1\",\"IsEgress\":false,\"IpProtocol\":\"-1\",\"CidrIpv4\":\"0.0.0.0/0\",\"CidrIpv6\":\"::/0\"",
	  "SecurityGroupRules[0] (sgr-1): gives more than one of CidrIpv4, CidrIpv6, PrefixListId and ReferencedGroupInfo" },
	{ "\"GroupId\":\"sg-1\",\"IsEgress\":false,\"IpProtocol\":\"-1\",\"ReferencedGroupInfo\":{\"UserId\":\"1\"}",
	  "SecurityGroupRules[0]: ReferencedGroupInfo.GroupId is missing" },
	{ "\"GroupId\":\"sg-1\",\"IsEgress\":false,\"IpProtocol\":\"-1\",\"ReferencedGroupInfo\":\"sg-2\"",
	  "SecurityGroupRules[0]: ReferencedGroupInfo must be an object, not \"sg-2\"" },
	{ "\"GroupId\":\"sg-1\",\"IsEgress\":false,\"IpProtocol\":\"-1\",\"ReferencedGroupInfo\":{\"GroupId\":\"sg-2\"}",
	  "SecurityGroupRules[0]: security-group reference sg-2 has no addresses on a single host; give --map sg-2=CIDR[,CIDR...]" },
	{ "\"GroupId\":\"sg-1\",\"IsEgress\":true,\"IpProtocol\":\"tcp\",\"FromPort\":443,\"ToPort\":443,\"PrefixListId\":\"pl-9\"",
	  "SecurityGroupRules[0]: prefix list pl-9 has no addresses on a single host; give --map pl-9=CIDR[,CIDR...]" },
	{ "\"GroupId\":\"sg-1\",\"IpProtocol\":\"-1\",\"CidrIpv4\":\"0.0.0.0/0\"",
	  "SecurityGroupRules[0]: IsEgress is missing" },
	{ "\"IsEgress\":true,\"IpProtocol\":\"-1\",\"CidrIpv4\":\"0.0.0.0/0\"",
	  "SecurityGroupRules[0]: GroupId is missing" },
	{ "\"GroupId\":\"sg-1\",\"IsEgress\":true,\"IpProtocol\":\"-1\",\"CidrIpv6\":\"0.0.0.0/0\"",
	  "SecurityGroupRules[0]: CidrIpv6 \"0.0.0.0/0\" is not an IPv6 CIDR block (x:y::z/n)" },
	{ "\"GroupId\":\"sg-1\",\"IsEgress\":true,\"IpProtocol\":\"icmp\",\"FromPort\":-1,\"ToPort\":3,\"CidrIpv4\":\"0.0.0.0/0\"",
	  "SecurityGroupRules[0]: FromPort -1 (all ICMP types) needs ToPort -1, not 3" },
};

START_TEST(test_sg_flat_errors)
{
	char text[1024];
	const char *msgs[] = { flat_cases[_i].msg, NULL };

	snprintf(text, sizeof(text), "{\"SecurityGroupRules\":[{%s}]}", flat_cases[_i].rule);
	expect_failed(load_text(AWS_KIND_SG, "flat.json", text));
	expect_errors("flat.json", msgs);
	ck_assert_uint_eq(rs->n_sg, 0);
}
END_TEST

/* Permission-level shapes: lists of the wrong type, items that are not objects. */
START_TEST(test_sg_shapes)
{
	static const char text[] =
		"{\"SecurityGroups\":[{\"GroupId\":\"sg-1\",\"IpPermissions\":["
		"{\"IpProtocol\":\"-1\",\"IpRanges\":{\"CidrIp\":\"0.0.0.0/0\"}},"
		"{\"IpProtocol\":\"-1\",\"IpRanges\":[\"0.0.0.0/0\"]},"
		"{\"IpProtocol\":\"-1\",\"Ipv6Ranges\":[{\"Description\":\"x\"}]},"
		"{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\",\"Description\":7}]},"
		"{\"IpProtocol\":\"-1\",\"UserIdGroupPairs\":[{\"GroupName\":\"web\",\"UserId\":\"1\"}]},"
		"\"tcp\""
		"]}]}";
	static const char *const msgs[] = {
		"SecurityGroups[0].IpPermissions[0]: IpRanges must be an array, not {\"CidrIp\":\"0.0.0.0/0\"}",
		"SecurityGroups[0].IpPermissions[1].IpRanges[0]: must be an object",
		"SecurityGroups[0].IpPermissions[2].Ipv6Ranges[0]: CidrIpv6 is missing",
		"SecurityGroups[0].IpPermissions[3].IpRanges[0]: Description must be a string, not 7",
		"SecurityGroups[0].IpPermissions[4].UserIdGroupPairs[0]: GroupId is missing",
		"SecurityGroups[0].IpPermissions[5]: must be an object",
		NULL
	};

	expect_failed(load_text(AWS_KIND_SG, "shapes.json", text));
	expect_errors("shapes.json", msgs);
	ck_assert_uint_eq(rs->n_sg, 0);
	/* a group without GroupName or permissions is fine */
	ck_assert_uint_eq(rs->n_groups, 1);
	expect_group(0, "sg-1", NULL);
}
END_TEST

/* A group with no rules at all is valid: it allows nothing, as in AWS. */
START_TEST(test_sg_empty_group)
{
	static const char text[] =
		"{\"SecurityGroups\":[{\"GroupId\":\"sg-1\",\"GroupName\":\"closed\","
		"\"IpPermissions\":[],\"IpPermissionsEgress\":[]}]}";

	expect_clean(load_text(AWS_KIND_SG, "empty.json", text));
	ck_assert_uint_eq(rs->n_groups, 1);
	ck_assert_uint_eq(rs->n_sg, 0);
}
END_TEST

/* ---- --map --------------------------------------------------------------- */

START_TEST(test_map_add)
{
	const struct aws_map_entry *e;

	add_map("sg-0abc=10.0.0.7/32");
	add_map("pl-63a5400a=52.216.7.1/15,2001:db8::1/32,10.0.0.0/8");
	ck_assert_uint_eq(map.n, 2);
	e = aws_map_find(&map, "sg-0abc");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->id, "sg-0abc");
	ck_assert_uint_eq(e->n, 1);
	ck_assert_str_eq(fmt_cidr(&e->cidrs[0]), "10.0.0.7/32");
	e = aws_map_find(&map, "pl-63a5400a");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->n, 3);
	ck_assert_str_eq(fmt_cidr(&e->cidrs[0]), "52.216.0.0/15");
	ck_assert_str_eq(fmt_cidr(&e->cidrs[1]), "2001:db8::/32");
	ck_assert_str_eq(fmt_cidr(&e->cidrs[2]), "10.0.0.0/8");
	ck_assert_ptr_null(aws_map_find(&map, "sg-0ab"));
	ck_assert_ptr_null(aws_map_find(&map, "SG-0ABC"));
	aws_map_free(&map);
	ck_assert_uint_eq(map.n, 0);
	ck_assert_ptr_null(map.e);
	ck_assert_ptr_null(aws_map_find(&map, "sg-0abc"));
}
END_TEST

static const char *const bad_maps[] = {
	"", "sg-0abc", "sg-0abc=", "sg-=10.0.0.0/8", "=10.0.0.0/8",
	"vpc-1=10.0.0.0/8", "acl-1=10.0.0.0/8", "sg0abc=10.0.0.0/8",
	"sg-0abc=10.0.0.0", "sg-0abc=10.0.0.0/33", "sg-0abc=10.0.0.0/8,",
	"sg-0abc=,10.0.0.0/8", "sg-0abc=10.0.0.0/8,,10.1.0.0/16",
	"sg-0 abc=10.0.0.0/8", "sg-0abc =10.0.0.0/8", "sg-0abc= 10.0.0.0/8",
	"sg-0abc=web",
	"sg-1=10.0.0.0/8",	/* a duplicate of the id added first */
};

START_TEST(test_map_add_bad)
{
	add_map("sg-1=192.0.2.1/32");
	errno = 0;
	ck_assert_int_eq(aws_map_add(&map, bad_maps[_i]), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(map.n, 1);
	ck_assert_str_eq(fmt_cidr(&aws_map_find(&map, "sg-1")->cidrs[0]), "192.0.2.1/32");
}
END_TEST

/* ---- suite ---------------------------------------------------------------- */

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *aws_json_suite(void)
{
	Suite *s = suite_create("aws_json");
	TCase *tc = tcase("nacl");

	tcase_add_test(tc, test_nacl_default);
	tcase_add_test(tc, test_nacl_custom);
	tcase_add_test(tc, test_nacl_two_acls);
	tcase_add_test(tc, test_nacl_second_file);
	tcase_add_test(tc, test_nacl_bad_entries);
	tcase_add_test(tc, test_nacl_bad_syntax);
	tcase_add_loop_test(tc, test_nacl_entry_errors, 0, N(entry_cases));
	tcase_add_test(tc, test_nacl_learner_forms);
	suite_add_tcase(s, tc);

	tc = tcase("files");
	tcase_add_loop_test(tc, test_file_errors, 0, N(file_cases));
	tcase_add_test(tc, test_kind_of_fixture);
	tcase_add_test(tc, test_json_errors);
	tcase_add_test(tc, test_unprintable_strings);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_large_file);
	tcase_add_test(tc, test_detect);
	tcase_add_test(tc, test_bom);
	suite_add_tcase(s, tc);

	tc = tcase("sg");
	tcase_add_test(tc, test_sg_worked);
	tcase_add_test(tc, test_sg_multi_mapped);
	tcase_add_test(tc, test_sg_multi_unmapped);
	tcase_add_test(tc, test_sg_null_map);
	tcase_add_test(tc, test_sg_flat);
	tcase_add_test(tc, test_sg_group_shared);
	tcase_add_test(tc, test_sg_group_named_later);
	tcase_add_test(tc, test_sg_bad);
	tcase_add_loop_test(tc, test_sg_perm_ports, 0, N(perm_cases));
	tcase_add_loop_test(tc, test_sg_flat_errors, 0, N(flat_cases));
	tcase_add_test(tc, test_sg_shapes);
	tcase_add_test(tc, test_sg_empty_group);
	suite_add_tcase(s, tc);

	tc = tcase("map");
	tcase_add_test(tc, test_map_add);
	tcase_add_loop_test(tc, test_map_add_bad, 0, N(bad_maps));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(aws_json_suite());
}
