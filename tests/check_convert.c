/*
 * The AWS JSON writer and `vpcfw convert`: exact CLI text for small
 * rulesets, write -> aws_json_load_buffer round trips field by field for
 * rulesets built in code, for the importer's fixtures and for the example
 * rules, and convert's choice of output, its errors and exit codes.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws_json.h"
#include "aws_json_write.h"
#include "cmds.h"
#include "load.h"
#include "rules.h"
#include "testutil.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif
#define FIXTURE(f) TEST_SRCDIR "/data/aws/" f
#define EXAMPLE(f) TEST_SRCDIR "/../rules/" f
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct aws_map map;

static void setup(void)
{
	memset(&map, 0, sizeof(map));
}

static void teardown(void)
{
	aws_map_free(&map);
}

static void add_map(const char *spec)
{
	ck_assert_int_eq(aws_map_add(&map, spec), 0);
}

static struct cidr mkcidr(const char *s)
{
	struct cidr c;

	ck_assert_msg(cidr_parse(s, &c) == 0, "bad CIDR in the test: %s", s);
	return c;
}

/* ---- rulesets built in code --------------------------------------------- */

struct nx {
	uint32_t num;
	char dir;		/* 'i' ingress, 'e' egress */
	char act;		/* 'a' allow, 'd' deny */
	int proto;
	int pf, pt;		/* ports (TCP/UDP) */
	int type, code;		/* ICMP */
	const char *cidr;
};

static struct ruleset *nacl_rs(const char *id, const struct nx *x, size_t n)
{
	struct ruleset *r = ruleset_new();
	size_t i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < n; i++) {
		struct nacl_entry e;

		memset(&e, 0, sizeof(e));
		e.number = x[i].num;
		e.egress = x[i].dir == 'e';
		e.allow = x[i].act == 'a';
		e.proto = (int16_t)x[i].proto;
		e.port_from = (uint16_t)x[i].pf;
		e.port_to = (uint16_t)x[i].pt;
		e.icmp_type = (int16_t)x[i].type;
		e.icmp_code = (int16_t)x[i].code;
		e.cidr = mkcidr(x[i].cidr);
		ck_assert_int_eq(ruleset_add_nacl(r, &e), 0);
	}
	r->has_nacl = true;
	r->nacl_id = strdup(id);
	return r;
}

struct gx {
	const char *id, *name;
};

struct sx {
	const char *group;
	char dir;		/* 'i' ingress, 'e' egress */
	int proto;
	int from, to;
	const char *cidr;
	const char *desc;	/* NULL: none */
	const char *ref;	/* NULL: not from a reference */
};

static struct ruleset *sg_rs(const struct gx *g, size_t ng, const struct sx *x, size_t n)
{
	struct ruleset *r = ruleset_new();
	size_t i, k;

	ck_assert_ptr_nonnull(r);
	for (k = 0; k < ng; k++)
		ck_assert_int_eq(ruleset_add_group(r, g[k].id, g[k].name), (int)k);
	for (i = 0; i < n; i++) {
		struct sg_entry e;

		memset(&e, 0, sizeof(e));
		for (k = 0; k < ng && strcmp(g[k].id, x[i].group); k++)
			;
		ck_assert_uint_lt(k, ng);
		e.group = (uint32_t)k;
		e.egress = x[i].dir == 'e';
		e.proto = (int16_t)x[i].proto;
		e.from = x[i].from;
		e.to = x[i].to;
		e.cidr = mkcidr(x[i].cidr);
		e.description = (char *)x[i].desc;
		e.ref = (char *)x[i].ref;
		ck_assert_int_eq(ruleset_add_sg(r, &e), 0);
	}
	return r;
}

/* ---- writing and reading back ------------------------------------------- */

static char *write_text(bool nacl, const struct ruleset *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	ck_assert_ptr_nonnull(f);
	ret = nacl ? aws_json_write_nacl(r, f) : aws_json_write_sg(r, f);
	fclose(f);
	ck_assert_msg(ret == 0, "write failed: %s", strerror(errno));
	return buf;
}

/* The importer's view of a written text: it must load cleanly. */
static struct ruleset *reload(enum aws_kind kind, const char *text)
{
	struct ruleset *r = ruleset_new();
	struct diag *d = diag_new();
	int ret = aws_json_load_buffer(r, kind, "written.json", text, strlen(text), &map, d);

	ck_assert_msg(ret == 0 && diag_errors(d) == 0, "the written JSON does not load:\n%s\n%s",
		      tu_diag_text(d), text);
	diag_free(d);
	return r;
}

static struct ruleset *load_json(enum aws_kind kind, const char *path)
{
	struct ruleset *r = ruleset_new();
	struct diag *d = diag_new();
	const struct load_opts o = {
		.take = kind == AWS_KIND_NACL ? RULES_TAKE_NACL : RULES_TAKE_SG, .map = &map,
	};
	int ret = load_file(r, path, &o, d, NULL);

	ck_assert_msg(ret == 0 && diag_errors(d) == 0, "%s does not load:\n%s", path,
		      tu_diag_text(d));
	diag_free(d);
	return r;
}

/* ---- comparing entries -------------------------------------------------- */

/* Fields that apply to the protocol (others are ignored by AWS and by the compilers). */
static bool nacl_has_ports(const struct nacl_entry *e)
{
	return e->proto == 6 || e->proto == 17;
}

static bool nacl_has_icmp(const struct nacl_entry *e)
{
	return e->proto == 1 || (e->proto == 58 && e->cidr.family == AF_INET6);
}

static int nacl_cmp(const void *a, const void *b)
{
	const struct nacl_entry *x = a, *y = b;

	if (x->egress != y->egress)
		return x->egress - y->egress;
	return (x->number > y->number) - (x->number < y->number);
}

static bool cidr_eq(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->plen == b->plen && !memcmp(a->addr, b->addr, 16);
}

/* The same network ACL: id and entries field by field, whatever their order. */
static void expect_same_nacl(const struct ruleset *a, const struct ruleset *b)
{
	struct nacl_entry *x, *y;
	size_t i;

	ck_assert_int_eq(a->has_nacl, b->has_nacl);
	if (!a->has_nacl)
		return;
	ck_assert_str_eq(a->nacl_id, b->nacl_id);
	ck_assert_uint_eq(a->n_nacl, b->n_nacl);
	x = calloc(a->n_nacl + 1, sizeof(*x));
	y = calloc(a->n_nacl + 1, sizeof(*y));
	if (a->n_nacl) {
		memcpy(x, a->nacl, a->n_nacl * sizeof(*x));
		memcpy(y, b->nacl, b->n_nacl * sizeof(*y));
	}
	qsort(x, a->n_nacl, sizeof(*x), nacl_cmp);
	qsort(y, b->n_nacl, sizeof(*y), nacl_cmp);
	for (i = 0; i < a->n_nacl; i++) {
		ck_assert_uint_eq(x[i].number, y[i].number);
		ck_assert_int_eq(x[i].egress, y[i].egress);
		ck_assert_msg(x[i].allow == y[i].allow, "rule %u: action", x[i].number);
		ck_assert_msg(x[i].proto == y[i].proto, "rule %u: protocol %d, %d", x[i].number,
			      x[i].proto, y[i].proto);
		ck_assert_msg(cidr_eq(&x[i].cidr, &y[i].cidr), "rule %u: CIDR", x[i].number);
		if (nacl_has_ports(&x[i]))
			ck_assert_msg(x[i].port_from == y[i].port_from && x[i].port_to == y[i].port_to,
				      "rule %u: ports %u-%u, %u-%u", x[i].number, x[i].port_from,
				      x[i].port_to, y[i].port_from, y[i].port_to);
		if (nacl_has_icmp(&x[i]))
			ck_assert_msg(x[i].icmp_type == y[i].icmp_type && x[i].icmp_code == y[i].icmp_code,
				      "rule %u: ICMP %d/%d, %d/%d", x[i].number, x[i].icmp_type,
				      x[i].icmp_code, y[i].icmp_type, y[i].icmp_code);
	}
	free(x);
	free(y);
}

/* A security-group rule reduced to what it means. */
struct sgk {
	const char *group;
	bool egress;
	int proto, from, to;
	struct cidr cidr;
	const char *desc, *ref;
};

static void sg_keys(const struct ruleset *r, struct sgk *k, bool refs)
{
	size_t i;

	for (i = 0; i < r->n_sg; i++) {
		const struct sg_entry *e = &r->sg[i];
		bool tcpudp = e->proto == 6 || e->proto == 17;

		k[i] = (struct sgk){ r->groups[e->group].id, e->egress, e->proto, e->from, e->to,
				     e->cidr, e->description, refs ? e->ref : NULL };
		if (tcpudp && (e->from < 0 || e->to < 0)) {
			k[i].from = 0;
			k[i].to = 65535;
		} else if (!tcpudp && e->proto != 1 && e->proto != 58) {
			k[i].from = k[i].to = -1;
		}
	}
}

static int str_cmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int sgk_cmp(const void *pa, const void *pb)
{
	const struct sgk *a = pa, *b = pb;
	int r = strcmp(a->group, b->group);

	if (r || (r = a->egress - b->egress) || (r = a->proto - b->proto) ||
	    (r = a->from - b->from) || (r = a->to - b->to))
		return r;
	if ((r = a->cidr.family - b->cidr.family) || (r = a->cidr.plen - b->cidr.plen) ||
	    (r = memcmp(a->cidr.addr, b->cidr.addr, 16)))
		return r;
	if ((r = str_cmp_null(a->desc, b->desc)))
		return r;
	return str_cmp_null(a->ref, b->ref);
}

static const char *sgk_text(const struct sgk *k, char *buf, size_t len)
{
	char c[CIDR_STRLEN];

	snprintf(buf, len, "%s %s proto %d %d..%d %s \"%s\" ref %s", k->group,
		 k->egress ? "out" : "in", k->proto, k->from, k->to,
		 cidr_format(&k->cidr, c, sizeof(c)), k->desc ? k->desc : "(none)",
		 k->ref ? k->ref : "(none)");
	return buf;
}

/*
 * The same groups (ids and names, in order) and the same rules: in the
 * same order when `ordered`, else as a multiset (security groups are a
 * union: order has no meaning). `refs`: compare the sg-/pl- ids too.
 */
static void expect_same_sg(const struct ruleset *a, const struct ruleset *b, bool ordered,
			   bool refs)
{
	struct sgk *x = calloc(a->n_sg + 1, sizeof(*x)), *y = calloc(b->n_sg + 1, sizeof(*y));
	char t1[256], t2[256];
	size_t i;

	ck_assert_uint_eq(a->n_groups, b->n_groups);
	for (i = 0; i < a->n_groups; i++) {
		ck_assert_str_eq(a->groups[i].id, b->groups[i].id);
		ck_assert_msg(!str_cmp_null(a->groups[i].name, b->groups[i].name),
			      "group %s: name", a->groups[i].id);
	}
	ck_assert_uint_eq(a->n_sg, b->n_sg);
	sg_keys(a, x, refs);
	sg_keys(b, y, refs);
	if (!ordered) {
		qsort(x, a->n_sg, sizeof(*x), sgk_cmp);
		qsort(y, b->n_sg, sizeof(*y), sgk_cmp);
	}
	for (i = 0; i < a->n_sg; i++)
		ck_assert_msg(!sgk_cmp(&x[i], &y[i]), "rule %zu: %s\n  vs %s", i,
			      sgk_text(&x[i], t1, sizeof(t1)), sgk_text(&y[i], t2, sizeof(t2)));
	free(x);
	free(y);
}

/* Whole texts: a mismatch shows where, briefly (Check's messages are short). */
static void expect_text(const char *got, const char *want)
{
	size_t i = 0, from;

	while (got[i] && got[i] == want[i])
		i++;
	from = i > 60 ? i - 60 : 0;
	ck_assert_msg(got[i] == want[i], "texts differ at byte %zu:\n...%.100s\nwant:\n...%.100s",
		      i, got + from, want + from);
}

/* ---- the writer: exact text --------------------------------------------- */

/* Expected texts: Python's json.dumps(indent=4), which is what the AWS CLI prints. */
static const char nacl_golden[] =
	"{\n"
	"    \"NetworkAcls\": [\n"
	"        {\n"
	"            \"Associations\": [],\n"
	"            \"Entries\": [\n"
	"                {\n"
	"                    \"CidrBlock\": \"0.0.0.0/0\",\n"
	"                    \"Egress\": true,\n"
	"                    \"IcmpTypeCode\": {\n"
	"                        \"Code\": 4,\n"
	"                        \"Type\": 3\n"
	"                    },\n"
	"                    \"Protocol\": \"1\",\n"
	"                    \"RuleAction\": \"allow\",\n"
	"                    \"RuleNumber\": 100\n"
	"                },\n"
	"                {\n"
	"                    \"Egress\": true,\n"
	"                    \"Ipv6CidrBlock\": \"2001:db8::/32\",\n"
	"                    \"PortRange\": {\n"
	"                        \"From\": 53,\n"
	"                        \"To\": 53\n"
	"                    },\n"
	"                    \"Protocol\": \"17\",\n"
	"                    \"RuleAction\": \"deny\",\n"
	"                    \"RuleNumber\": 110\n"
	"                },\n"
	"                {\n"
	"                    \"CidrBlock\": \"0.0.0.0/0\",\n"
	"                    \"Egress\": true,\n"
	"                    \"Protocol\": \"-1\",\n"
	"                    \"RuleAction\": \"deny\",\n"
	"                    \"RuleNumber\": 32767\n"
	"                },\n"
	"                {\n"
	"                    \"Egress\": true,\n"
	"                    \"Ipv6CidrBlock\": \"::/0\",\n"
	"                    \"Protocol\": \"-1\",\n"
	"                    \"RuleAction\": \"deny\",\n"
	"                    \"RuleNumber\": 32768\n"
	"                },\n"
	"                {\n"
	"                    \"CidrBlock\": \"203.0.113.0/24\",\n"
	"                    \"Egress\": false,\n"
	"                    \"PortRange\": {\n"
	"                        \"From\": 1024,\n"
	"                        \"To\": 65535\n"
	"                    },\n"
	"                    \"Protocol\": \"6\",\n"
	"                    \"RuleAction\": \"allow\",\n"
	"                    \"RuleNumber\": 100\n"
	"                },\n"
	"                {\n"
	"                    \"Egress\": false,\n"
	"                    \"Ipv6CidrBlock\": \"::/0\",\n"
	"                    \"Protocol\": \"47\",\n"
	"                    \"RuleAction\": \"allow\",\n"
	"                    \"RuleNumber\": 200\n"
	"                },\n"
	"                {\n"
	"                    \"CidrBlock\": \"0.0.0.0/0\",\n"
	"                    \"Egress\": false,\n"
	"                    \"Protocol\": \"-1\",\n"
	"                    \"RuleAction\": \"deny\",\n"
	"                    \"RuleNumber\": 32767\n"
	"                },\n"
	"                {\n"
	"                    \"Egress\": false,\n"
	"                    \"Ipv6CidrBlock\": \"::/0\",\n"
	"                    \"Protocol\": \"-1\",\n"
	"                    \"RuleAction\": \"deny\",\n"
	"                    \"RuleNumber\": 32768\n"
	"                }\n"
	"            ],\n"
	"            \"IsDefault\": false,\n"
	"            \"NetworkAclId\": \"acl-0example\",\n"
	"            \"Tags\": []\n"
	"        }\n"
	"    ]\n"
	"}\n";

static const char sg_golden[] =
	"{\n"
	"    \"SecurityGroups\": [\n"
	"        {\n"
	"            \"Description\": \"web\",\n"
	"            \"GroupName\": \"web\",\n"
	"            \"IpPermissions\": [\n"
	"                {\n"
	"                    \"FromPort\": 80,\n"
	"                    \"IpProtocol\": \"tcp\",\n"
	"                    \"IpRanges\": [\n"
	"                        {\n"
	"                            \"CidrIp\": \"0.0.0.0/0\",\n"
	"                            \"Description\": \"HTTP \\\"anywhere\\\"\"\n"
	"                        }\n"
	"                    ],\n"
	"                    \"Ipv6Ranges\": [\n"
	"                        {\n"
	"                            \"CidrIpv6\": \"::/0\",\n"
	"                            \"Description\": \"HTTP \\\"anywhere\\\"\"\n"
	"                        }\n"
	"                    ],\n"
	"                    \"PrefixListIds\": [],\n"
	"                    \"ToPort\": 80,\n"
	"                    \"UserIdGroupPairs\": []\n"
	"                },\n"
	"                {\n"
	"                    \"FromPort\": 22,\n"
	"                    \"IpProtocol\": \"tcp\",\n"
	"                    \"IpRanges\": [],\n"
	"                    \"Ipv6Ranges\": [],\n"
	"                    \"PrefixListIds\": [],\n"
	"                    \"ToPort\": 22,\n"
	"                    \"UserIdGroupPairs\": [\n"
	"                        {\n"
	"                            \"Description\": \"from the bastion\",\n"
	"                            \"GroupId\": \"sg-0bastion\"\n"
	"                        }\n"
	"                    ]\n"
	"                },\n"
	"                {\n"
	"                    \"FromPort\": 8,\n"
	"                    \"IpProtocol\": \"icmp\",\n"
	"                    \"IpRanges\": [\n"
	"                        {\n"
	"                            \"CidrIp\": \"10.0.0.0/16\"\n"
	"                        }\n"
	"                    ],\n"
	"                    \"Ipv6Ranges\": [],\n"
	"                    \"PrefixListIds\": [],\n"
	"                    \"ToPort\": -1,\n"
	"                    \"UserIdGroupPairs\": []\n"
	"                }\n"
	"            ],\n"
	"            \"GroupId\": \"sg-0web\",\n"
	"            \"IpPermissionsEgress\": [\n"
	"                {\n"
	"                    \"IpProtocol\": \"-1\",\n"
	"                    \"IpRanges\": [\n"
	"                        {\n"
	"                            \"CidrIp\": \"0.0.0.0/0\"\n"
	"                        }\n"
	"                    ],\n"
	"                    \"Ipv6Ranges\": [],\n"
	"                    \"PrefixListIds\": [],\n"
	"                    \"UserIdGroupPairs\": []\n"
	"                },\n"
	"                {\n"
	"                    \"FromPort\": 443,\n"
	"                    \"IpProtocol\": \"tcp\",\n"
	"                    \"IpRanges\": [],\n"
	"                    \"Ipv6Ranges\": [],\n"
	"                    \"PrefixListIds\": [\n"
	"                        {\n"
	"                            \"Description\": \"S3\",\n"
	"                            \"PrefixListId\": \"pl-0s3\"\n"
	"                        }\n"
	"                    ],\n"
	"                    \"ToPort\": 443,\n"
	"                    \"UserIdGroupPairs\": []\n"
	"                }\n"
	"            ],\n"
	"            \"Tags\": []\n"
	"        },\n"
	"        {\n"
	"            \"Description\": \"sg-0empty\",\n"
	"            \"IpPermissions\": [],\n"
	"            \"GroupId\": \"sg-0empty\",\n"
	"            \"IpPermissionsEgress\": [],\n"
	"            \"Tags\": []\n"
	"        }\n"
	"    ]\n"
	"}\n";

static const struct nx small_nacl[] = {
	{ 100, 'i', 'a', 6, 1024, 65535, -1, -1, "203.0.113.0/24" },
	{ 200, 'i', 'a', 47, 0, 65535, -1, -1, "::/0" },
	{ 110, 'e', 'd', 17, 53, 53, -1, -1, "2001:db8::/32" },
	{ 100, 'e', 'a', 1, 0, 65535, 3, 4, "0.0.0.0/0" },
};

START_TEST(test_nacl_exact)
{
	struct ruleset *r = nacl_rs("acl-0example", small_nacl, N(small_nacl));
	char *text = write_text(true, r);

	expect_text(text, nacl_golden);
	free(text);
	ruleset_free(r);
}
END_TEST

static const struct gx small_groups[] = {
	{ "sg-0web", "web" },
	{ "sg-0empty", NULL },
};

/* Interleaved on purpose: a permission gathers its rules from anywhere in the group. */
static const struct sx small_sg[] = {
	{ "sg-0web", 'i', 6, 80, 80, "0.0.0.0/0", "HTTP \"anywhere\"", NULL },
	{ "sg-0web", 'i', 6, 22, 22, "10.0.5.10/32", "from the bastion", "sg-0bastion" },
	{ "sg-0web", 'i', 6, 80, 80, "::/0", "HTTP \"anywhere\"", NULL },
	{ "sg-0web", 'i', 6, 22, 22, "10.0.5.11/32", "from the bastion", "sg-0bastion" },
	{ "sg-0web", 'i', 1, 8, -1, "10.0.0.0/16", NULL, NULL },
	{ "sg-0web", 'e', -1, -1, -1, "0.0.0.0/0", NULL, NULL },
	{ "sg-0web", 'e', 6, 443, 443, "52.216.0.0/15", "S3", "pl-0s3" },
	{ "sg-0web", 'e', 6, 443, 443, "3.5.0.0/19", "S3", "pl-0s3" },
};

static void small_map(void)
{
	add_map("sg-0bastion=10.0.5.10/32,10.0.5.11/32");
	add_map("pl-0s3=52.216.0.0/15,3.5.0.0/19");
}

START_TEST(test_sg_exact)
{
	struct ruleset *r = sg_rs(small_groups, N(small_groups), small_sg, N(small_sg));
	char *text = write_text(false, r);

	expect_text(text, sg_golden);
	free(text);
	ruleset_free(r);
}
END_TEST

START_TEST(test_sg_no_groups)
{
	struct ruleset *r = ruleset_new();
	char *text = write_text(false, r);

	ck_assert_str_eq(text, "{\n    \"SecurityGroups\": []\n}\n");
	free(text);
	ruleset_free(r);
}
END_TEST

/* ---- the writer: round trips of rulesets built in code ------------------ */

START_TEST(test_nacl_round_trip)
{
	static const struct nx x[] = {
		{ 1, 'i', 'd', -1, 0, 65535, -1, -1, "198.51.100.0/24" },
		{ 100, 'i', 'a', 6, 80, 80, -1, -1, "0.0.0.0/0" },
		{ 101, 'i', 'a', 6, 0, 65535, -1, -1, "::/0" },
		{ 110, 'i', 'a', 17, 1024, 65535, -1, -1, "10.0.0.0/16" },
		{ 120, 'i', 'a', 1, 0, 65535, -1, -1, "0.0.0.0/0" },
		{ 121, 'i', 'a', 1, 0, 65535, 11, -1, "0.0.0.0/0" },
		{ 122, 'i', 'a', 58, 0, 65535, 2, 0, "::/0" },
		{ 123, 'i', 'a', 58, 0, 65535, -1, -1, "2001:db8::/32" },
		{ 130, 'i', 'a', 50, 0, 65535, -1, -1, "192.0.2.7/32" },
		{ 32766, 'i', 'a', 0, 0, 65535, -1, -1, "0.0.0.0/0" },
		{ 100, 'e', 'a', 6, 1024, 65535, -1, -1, "0.0.0.0/0" },
		{ 90, 'e', 'd', 6, 25, 25, -1, -1, "0.0.0.0/0" },
		{ 200, 'e', 'a', 255, 0, 65535, -1, -1, "fd00::/8" },
	};
	struct ruleset *r = nacl_rs("acl-0roundtrip", x, N(x)), *back;
	char *text = write_text(true, r);

	back = reload(AWS_KIND_NACL, text);
	expect_same_nacl(r, back);
	ck_assert_uint_eq(back->n_nacl, N(x));
	free(text);
	ruleset_free(back);
	ruleset_free(r);
}
END_TEST

START_TEST(test_sg_round_trip)
{
	struct ruleset *r = sg_rs(small_groups, N(small_groups), small_sg, N(small_sg)), *back;
	char *text = write_text(false, r);

	small_map();
	back = reload(AWS_KIND_SG, text);
	expect_same_sg(r, back, false, true);
	free(text);
	ruleset_free(back);
	ruleset_free(r);
}
END_TEST

/* Every protocol form: how IpProtocol and the ports are written, and read back. */
static const struct {
	int proto, from, to;
	const char *ip_protocol;
	int json_from, json_to;		/* INT32_MIN: absent */
} perm_forms[] = {
	{ 6, 22, 22, "tcp", 22, 22 },
	{ 6, 1024, 65535, "tcp", 1024, 65535 },
	{ 17, 0, 65535, "udp", 0, 65535 },
	{ 17, -1, -1, "udp", 0, 65535 },	/* every port: as the console writes All UDP */
	{ 1, -1, -1, "icmp", -1, -1 },
	{ 1, 3, 4, "icmp", 3, 4 },
	{ 1, 8, -1, "icmp", 8, -1 },
	{ 58, -1, -1, "icmpv6", -1, -1 },
	{ 58, 128, 0, "icmpv6", 128, 0 },
	{ -1, -1, -1, "-1", INT32_MIN, INT32_MIN },
	{ 50, -1, -1, "50", INT32_MIN, INT32_MIN },
	{ 132, -1, -1, "132", INT32_MIN, INT32_MIN },
	{ 0, -1, -1, "0", INT32_MIN, INT32_MIN },
};

static void expect_port(const json_t *perm, const char *key, int want)
{
	json_t *j = json_object_get(perm, key);

	if (want == INT32_MIN) {
		ck_assert_msg(j == NULL, "%s written", key);
		return;
	}
	ck_assert_msg(json_is_integer(j) && json_integer_value(j) == want, "%s: want %d", key,
		      want);
}

START_TEST(test_sg_perm_forms)
{
	const struct gx g[] = { { "sg-0forms", "forms" } };
	const struct sx x[] = {
		{ "sg-0forms", 'i', perm_forms[_i].proto, perm_forms[_i].from, perm_forms[_i].to,
		  "10.0.0.0/8", NULL, NULL },
	};
	struct ruleset *r = sg_rs(g, 1, x, 1), *back;
	char *text = write_text(false, r);
	json_t *root = json_loads(text, 0, NULL), *perm;

	ck_assert_ptr_nonnull(root);
	perm = json_array_get(json_object_get(json_array_get(json_object_get(root,
			"SecurityGroups"), 0), "IpPermissions"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(perm, "IpProtocol")),
			 perm_forms[_i].ip_protocol);
	expect_port(perm, "FromPort", perm_forms[_i].json_from);
	expect_port(perm, "ToPort", perm_forms[_i].json_to);
	back = reload(AWS_KIND_SG, text);
	expect_same_sg(r, back, true, true);
	json_decref(root);
	free(text);
	ruleset_free(back);
	ruleset_free(r);
}
END_TEST

/* NACL protocols: Protocol as a number string, PortRange and IcmpTypeCode only where they apply. */
static const struct {
	int proto;
	const char *cidr, *protocol;
	bool port_range, icmp_type_code;
} nacl_forms[] = {
	{ 6, "0.0.0.0/0", "6", true, false },
	{ 17, "::/0", "17", true, false },
	{ 1, "0.0.0.0/0", "1", false, true },
	{ 58, "::/0", "58", false, true },
	{ -1, "0.0.0.0/0", "-1", false, false },
	{ 47, "0.0.0.0/0", "47", false, false },
};

START_TEST(test_nacl_forms)
{
	const struct nx x[] = {
		{ 100, 'i', 'a', nacl_forms[_i].proto, 10, 20, 3, 4, nacl_forms[_i].cidr },
	};
	struct ruleset *r = nacl_rs("acl-0forms", x, 1), *back;
	char *text = write_text(true, r);
	json_t *root = json_loads(text, 0, NULL), *e;

	ck_assert_ptr_nonnull(root);
	/* Entries: the two egress '*' entries, then ours. */
	e = json_array_get(json_object_get(json_array_get(json_object_get(root, "NetworkAcls"),
			   0), "Entries"), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "RuleNumber")), 100);
	ck_assert_str_eq(json_string_value(json_object_get(e, "Protocol")),
			 nacl_forms[_i].protocol);
	ck_assert_int_eq(json_object_get(e, "PortRange") != NULL, nacl_forms[_i].port_range);
	ck_assert_int_eq(json_object_get(e, "IcmpTypeCode") != NULL, nacl_forms[_i].icmp_type_code);
	back = reload(AWS_KIND_NACL, text);
	expect_same_nacl(r, back);
	json_decref(root);
	free(text);
	ruleset_free(back);
	ruleset_free(r);
}
END_TEST

/* A ref that is neither sg- nor pl- (a local name) is written as the CIDR it stands for. */
START_TEST(test_sg_local_ref)
{
	const struct gx g[] = { { "sg-0local", NULL } };
	const struct sx x[] = {
		{ "sg-0local", 'i', 6, 22, 22, "203.0.113.0/24", "office", "office" },
	};
	struct ruleset *r = sg_rs(g, 1, x, 1), *back;
	char *text = write_text(false, r);

	ck_assert_ptr_nonnull(strstr(text, "\"CidrIp\": \"203.0.113.0/24\""));
	ck_assert_ptr_null(strstr(text, "\"GroupId\": \"office\""));
	ck_assert_ptr_null(strstr(text, "GroupName"));
	back = reload(AWS_KIND_SG, text);
	ck_assert_uint_eq(back->n_sg, 1);
	ck_assert_ptr_null(back->sg[0].ref);
	expect_same_sg(r, back, true, false);
	free(text);
	ruleset_free(back);
	ruleset_free(r);
}
END_TEST

/* A reference mapped to several CIDRs is one pair; the same id with another description is another. */
START_TEST(test_sg_ref_once)
{
	const struct gx g[] = { { "sg-0ref", "ref" } };
	const struct sx x[] = {
		{ "sg-0ref", 'i', -1, -1, -1, "10.0.5.10/32", NULL, "sg-0bastion" },
		{ "sg-0ref", 'i', -1, -1, -1, "10.0.5.11/32", NULL, "sg-0bastion" },
		{ "sg-0ref", 'i', 6, 22, 22, "10.0.5.10/32", "a", "sg-0bastion" },
		{ "sg-0ref", 'i', 6, 22, 22, "10.0.5.11/32", "a", "sg-0bastion" },
		{ "sg-0ref", 'i', 6, 22, 22, "10.0.5.10/32", "b", "sg-0bastion" },
		{ "sg-0ref", 'i', 6, 22, 22, "10.0.5.11/32", "b", "sg-0bastion" },
	};
	struct ruleset *r = sg_rs(g, 1, x, N(x)), *back;
	char *text = write_text(false, r);
	json_t *root = json_loads(text, 0, NULL), *perms;

	perms = json_object_get(json_array_get(json_object_get(root, "SecurityGroups"), 0),
				"IpPermissions");
	ck_assert_uint_eq(json_array_size(perms), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(perms, 0),
							  "UserIdGroupPairs")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(perms, 1),
							  "UserIdGroupPairs")), 2);
	ck_assert_ptr_null(strstr(text, "10.0.5."));
	small_map();
	back = reload(AWS_KIND_SG, text);
	expect_same_sg(r, back, true, true);
	json_decref(root);
	free(text);
	ruleset_free(back);
	ruleset_free(r);
}
END_TEST

START_TEST(test_write_errors)
{
	struct ruleset *r = ruleset_new(), *n;
	FILE *full = fopen("/dev/full", "w");

	errno = 0;
	ck_assert_int_eq(aws_json_write_nacl(r, stdout), -1);
	ck_assert_int_eq(errno, EINVAL);
	r->has_nacl = true;	/* a NACL without an id cannot be written either */
	errno = 0;
	ck_assert_int_eq(aws_json_write_nacl(r, stdout), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(full);
	n = nacl_rs("acl-0full", small_nacl, N(small_nacl));
	errno = 0;
	ck_assert_int_eq(aws_json_write_nacl(n, full), -1);
	ck_assert_int_eq(errno, ENOSPC);
	clearerr(full);
	errno = 0;
	ck_assert_int_eq(aws_json_write_sg(r, full), -1);
	ck_assert_int_eq(errno, ENOSPC);
	fclose(full);
	ruleset_free(n);
	ruleset_free(r);
}
END_TEST

/* JSON text is UTF-8: a Latin-1 name or description is refused, and nothing is written. */
START_TEST(test_write_not_utf8)
{
	const struct gx g[] = { { "sg-0latin", _i == 0 ? "caf\xe9" : "cafe" } };
	const struct sx x[] = {
		{ "sg-0latin", 'i', 6, 22, 22, "10.0.0.0/8", _i == 1 ? "d\xe9sc" : "desc", NULL },
	};
	struct ruleset *r = sg_rs(g, 1, x, 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	errno = 0;
	ret = aws_json_write_sg(r, f);
	fclose(f);
	if (_i == 2) {
		ck_assert_int_eq(ret, 0);
	} else {
		ck_assert_int_eq(ret, -1);
		ck_assert_int_eq(errno, EILSEQ);
		ck_assert_uint_eq(len, 0);
	}
	free(buf);
	ruleset_free(r);
}
END_TEST

/* ---- the writer: the importer's fixtures and the example files ---------- */

#define DEF "sg-0default0EXAMPLE"
#define WEB "sg-0web00000EXAMPLE"
#define DB  "sg-0db000000EXAMPLE"
#define PL  "pl-63a5400a"

static void map_fixtures(void)
{
	add_map(DEF "=10.0.1.10/32");
	add_map(DB "=10.0.2.20/32,fd00:2::20/128");
	add_map(PL "=52.216.0.0/15,3.5.0.0/19");
	add_map(WEB "=10.0.1.0/24");
	/* rules/: the web servers' subnet, the bastion, the default group's members */
	add_map("sg-0e5f6a7b8c9d0e1f2=10.0.1.0/24");
	add_map("sg-0f6a7b8c9d0e1f2a3=10.0.0.10/32");
	add_map("sg-02b3c4d5e6f7a8b9c=10.0.0.0/16,2001:db8:1234::/56");
}

static const struct {
	const char *path;
	enum aws_kind kind;
	bool ordered;	/* the CLI's own shape: the rules come back in the same order */
} json_files[] = {
	{ FIXTURE("nacl-default.json"), AWS_KIND_NACL, true },
	{ FIXTURE("nacl-custom.json"), AWS_KIND_NACL, true },
	{ FIXTURE("sg-worked.json"), AWS_KIND_SG, true },
	{ FIXTURE("sg-multi.json"), AWS_KIND_SG, true },
	/* the flat describe-security-group-rules form is regrouped into permissions */
	{ FIXTURE("sg-rules-flat.json"), AWS_KIND_SG, false },
	{ EXAMPLE("default-nacl.json"), AWS_KIND_NACL, true },
	{ EXAMPLE("fresh-custom-nacl.json"), AWS_KIND_NACL, true },
	{ EXAMPLE("web-nacl-blocklist.json"), AWS_KIND_NACL, true },
	{ EXAMPLE("web-nacl-ephemeral-mistake.json"), AWS_KIND_NACL, true },
	{ EXAMPLE("web-nacl-fixed.json"), AWS_KIND_NACL, true },
	{ EXAMPLE("web-nacl-windows-ephemeral.json"), AWS_KIND_NACL, true },
	{ EXAMPLE("bastion-sg.json"), AWS_KIND_SG, true },
	{ EXAMPLE("db-private-sg.json"), AWS_KIND_SG, true },
	{ EXAMPLE("default-sg.json"), AWS_KIND_SG, true },
	{ EXAMPLE("web-sg-http-revoked.json"), AWS_KIND_SG, true },
	{ EXAMPLE("web-sg.json"), AWS_KIND_SG, true },
};

START_TEST(test_json_files_round_trip)
{
	bool nacl = json_files[_i].kind == AWS_KIND_NACL;
	struct ruleset *orig, *back;
	char *text;

	map_fixtures();
	orig = load_json(json_files[_i].kind, json_files[_i].path);
	ck_assert(nacl ? orig->n_nacl + orig->has_nacl > 0 : orig->n_groups > 0);
	text = write_text(nacl, orig);
	back = reload(json_files[_i].kind, text);
	if (nacl)
		expect_same_nacl(orig, back);
	else
		expect_same_sg(orig, back, json_files[_i].ordered, true);
	free(text);
	ruleset_free(back);
	ruleset_free(orig);
}
END_TEST

/* The CLI's exports, less the fields the model does not keep, come out byte for byte. */
START_TEST(test_cli_text_kept)
{
	static const char *const files[] = {
		EXAMPLE("web-nacl-fixed.json"), EXAMPLE("fresh-custom-nacl.json"),
		EXAMPLE("web-sg.json"), EXAMPLE("bastion-sg.json"),
	};
	static const char *const dropped[] = { "VpcId", "OwnerId", "SecurityGroupArn" };
	bool nacl = strstr(files[_i], "nacl") != NULL;
	json_t *root = json_load_file(files[_i], 0, NULL), *o;
	struct ruleset *r;
	char *want, *text;
	size_t k;

	ck_assert_ptr_nonnull(root);
	o = json_array_get(json_object_get(root, nacl ? "NetworkAcls" : "SecurityGroups"), 0);
	/* Replaced values keep their place, as the writer puts its keys in the CLI's order. */
	for (k = 0; k < ARRAY_SIZE(dropped); k++)
		json_object_del(o, dropped[k]);
	json_object_set_new(o, "Tags", json_array());
	if (nacl)
		json_object_set_new(o, "Associations", json_array());
	else
		json_object_set(o, "Description", json_object_get(o, "GroupName"));
	want = json_dumps(root, JSON_INDENT(4));
	r = load_json(nacl ? AWS_KIND_NACL : AWS_KIND_SG, files[_i]);
	text = write_text(nacl, r);
	ck_assert_uint_eq(strlen(text), strlen(want) + 1);
	ck_assert(!strncmp(text, want, strlen(want)));
	ck_assert_int_eq(text[strlen(want)], '\n');
	free(want);
	free(text);
	ruleset_free(r);
	json_decref(root);
}
END_TEST

/* ---- vpcfw convert ------------------------------------------------------ */

static char *slurp_fd(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf = calloc(1, (size_t)len + 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)len, 0), len);
	close(fd);
	return buf;
}

/* Run cmd_convert with stdout and stderr captured and stdin from `in` (or untouched). */
static int run_convert(const char *const *args, const char *in, char **out, char **err)
{
	int o = memfd_create("out", 0), e = memfd_create("err", 0);
	int so = dup(1), se = dup(2), si = -1, fd, ret, argc = 0;
	char *argv[40];

	ck_assert(o >= 0 && e >= 0 && so >= 0 && se >= 0);
	argv[argc++] = "convert";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	if (in) {
		fd = open(in, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		si = dup(0);
		dup2(fd, 0);
		close(fd);
	}
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	ret = cmd_convert(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	if (si >= 0) {
		dup2(si, 0);
		close(si);
	}
	*out = slurp_fd(o);
	*err = slurp_fd(e);
	return ret;
}

/* A native rule file for one test; the caller unlinks it. */
static char *tmp_rules(const char *text)
{
	char *path = strdup("/tmp/check_convert.XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static struct ruleset *load_native_text(const char *text)
{
	struct ruleset *r = ruleset_new();
	struct diag *d = diag_new();
	int ret = rules_load_buffer(r, rules_sections(text, strlen(text)), "native", text,
				    strlen(text), &map, d);

	ck_assert_msg(ret == 0 && diag_errors(d) == 0, "does not parse:\n%s\n%s", tu_diag_text(d),
		      text);
	diag_free(d);
	return r;
}

static const char native_nacl[] =
	"nacl acl-0native\n"
	"inbound\n"
	"  100 allow tcp 22 203.0.113.0/24\n"
	"  110 allow icmp 3/4 0.0.0.0/0\n"
	"  120 deny all ::/0\n"
	"outbound\n"
	"  100 allow tcp 1024-65535 0.0.0.0/0\n";

static const char native_sg[] =
	"sg sg-0native \"native\"\n"
	"inbound\n"
	"  tcp 80 0.0.0.0/0 \"HTTP\"\n"
	"  tcp 80 ::/0 \"HTTP\"\n"
	"  icmpv6 ::/0\n"
	"outbound\n"
	"  all 10.0.0.0/16\n";

static const char *const usage_cases[][4] = {
	{ NULL },
	{ "--to", "xml", "f", NULL },
	{ "--to", NULL },
	{ "--map", "bogus", "f", NULL },
	{ "--map", "sg-1=notacidr", "f", NULL },
	{ "--bogus", "f", NULL },
};

START_TEST(test_convert_usage)
{
	char *out, *err;

	ck_assert_int_eq(run_convert(usage_cases[_i], NULL, &out, &err), 2);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(err, "usage: vpcfw convert [--to native|nacl-json|sg-json]"), "%s",
		      err);
	free(out);
	free(err);
}
END_TEST

static const char *const fixture_maps[] = {
	DEF "=10.0.1.10/32",
	DB "=10.0.2.20/32,fd00:2::20/128",
	PL "=52.216.0.0/15,3.5.0.0/19",
	WEB "=10.0.1.0/24",
	"sg-0e5f6a7b8c9d0e1f2=10.0.1.0/24",
	"sg-0f6a7b8c9d0e1f2a3=10.0.0.10/32",
	"sg-02b3c4d5e6f7a8b9c=10.0.0.0/16,2001:db8:1234::/56",
};

/* --map for every reference of the fixtures, then `extra`. */
static const char **map_args(const char **args, const char *const *extra)
{
	size_t n = 0, i;

	for (i = 0; i < ARRAY_SIZE(fixture_maps); i++) {
		args[n++] = "--map";
		args[n++] = fixture_maps[i];
	}
	while (*extra)
		args[n++] = *extra++;
	args[n] = NULL;
	return args;
}

static char *printed(const struct ruleset *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	rules_print(r, f);
	fclose(f);
	return buf;
}

/*
 * JSON to native gives the canonical form of the same rules; native back
 * to JSON gives the same entries again. The native form prints what a
 * reference stands for (its CIDRs), so the reference itself is not kept.
 */
START_TEST(test_convert_json_native_json)
{
	bool nacl = json_files[_i].kind == AWS_KIND_NACL;
	const char *args[32], *to[] = { "--to", nacl ? "nacl-json" : "sg-json", NULL, NULL };
	const char *src[] = { json_files[_i].path, NULL };
	struct ruleset *orig, *native, *back;
	char *out, *err, *want, *path, *json;

	map_fixtures();
	orig = load_json(json_files[_i].kind, json_files[_i].path);
	want = printed(orig);
	ck_assert_int_eq(run_convert(map_args(args, src), NULL, &out, &err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(out, want);
	native = load_native_text(out);
	if (nacl)
		expect_same_nacl(orig, native);
	else
		expect_same_sg(orig, native, json_files[_i].ordered, false);
	path = tmp_rules(out);
	to[2] = path;
	free(err);
	ck_assert_int_eq(run_convert(map_args(args, to), NULL, &json, &err), 0);
	ck_assert_str_eq(err, "");
	back = reload(json_files[_i].kind, json);
	if (nacl)
		expect_same_nacl(orig, back);
	else
		expect_same_sg(orig, back, json_files[_i].ordered, false);
	unlink(path);
	free(path);
	free(json);
	free(want);
	free(out);
	free(err);
	ruleset_free(back);
	ruleset_free(native);
	ruleset_free(orig);
}
END_TEST

/* Native input: the JSON of the one kind of section it holds. */
START_TEST(test_convert_native_default)
{
	const char *text = _i ? native_sg : native_nacl;
	char *path = tmp_rules(text), *out, *err;
	const char *args[] = { path, NULL };
	struct ruleset *want = load_native_text(text), *back;

	ck_assert_int_eq(run_convert(args, NULL, &out, &err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_ptr_nonnull(strstr(out, _i ? "{\n    \"SecurityGroups\": [\n" :
					       "{\n    \"NetworkAcls\": [\n"));
	back = reload(_i ? AWS_KIND_SG : AWS_KIND_NACL, out);
	if (_i)
		expect_same_sg(want, back, true, true);
	else
		expect_same_nacl(want, back);
	unlink(path);
	free(path);
	free(out);
	free(err);
	ruleset_free(back);
	ruleset_free(want);
}
END_TEST

/* Both kinds in the input: --to says which; the other is not dropped silently. */
static const struct {
	const char *to;		/* NULL: no --to */
	int exit;
	const char *out_start, *err;
} both_cases[] = {
	{ NULL, 1, "", "vpcfw convert: error: the input holds a network ACL and security groups, and one JSON document holds one kind: say which with --to nacl-json or --to sg-json\n" },
	{ "nacl-json", 0, "{\n    \"NetworkAcls\": [", "vpcfw convert: warning: 1 security group not written: --to sg-json writes it\n" },
	{ "sg-json", 0, "{\n    \"SecurityGroups\": [", "vpcfw convert: warning: network ACL acl-0native not written: --to nacl-json writes it\n" },
	{ "native", 0, "nacl acl-0native\n", "" },
};

START_TEST(test_convert_both)
{
	char *nacl = tmp_rules(native_nacl), *sg = tmp_rules(native_sg), *out, *err;
	const char *args[] = { "--to", both_cases[_i].to, nacl, sg, NULL };

	ck_assert_int_eq(run_convert(both_cases[_i].to ? args : args + 2, NULL, &out, &err),
			 both_cases[_i].exit);
	ck_assert_str_eq(err, both_cases[_i].err);
	ck_assert_msg(!strncmp(out, both_cases[_i].out_start, strlen(both_cases[_i].out_start)),
		      "%s", out);
	if (both_cases[_i].exit)
		ck_assert_str_eq(out, "");
	unlink(nacl);
	unlink(sg);
	free(nacl);
	free(sg);
	free(out);
	free(err);
}
END_TEST

/* Bad input: every error reported, nothing written, exit 1. */
START_TEST(test_convert_errors)
{
	char *empty = tmp_rules("# nothing here\n"), *out, *err;
	char *bad = tmp_rules("{\"NetworkAcls\": [}\n");
	const char *missing[] = { "/nonexistent/x.rules", FIXTURE("nacl-custom.json"), NULL };
	const char *nothing[] = { empty, NULL };
	const char *wrong_kind[] = { "--to", "nacl-json", EXAMPLE("web-sg.json"), NULL };
	const char *no_sg[] = { "--to", "sg-json", EXAMPLE("web-nacl-fixed.json"), NULL };
	const char *unmapped[] = { EXAMPLE("db-private-sg.json"), bad, NULL };

	ck_assert_int_eq(run_convert(missing, NULL, &out, &err), 1);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "/nonexistent/x.rules: error: cannot read: No such file or directory\n");
	free(out);
	free(err);
	ck_assert_int_eq(run_convert(nothing, NULL, &out, &err), 1);
	ck_assert_str_eq(err, "vpcfw convert: error: the input holds no network ACL and no security group: nothing to convert\n");
	free(out);
	free(err);
	ck_assert_int_eq(run_convert(wrong_kind, NULL, &out, &err), 1);
	ck_assert_str_eq(err, "vpcfw convert: error: --to nacl-json: the input holds no network ACL\n");
	free(out);
	free(err);
	ck_assert_int_eq(run_convert(no_sg, NULL, &out, &err), 1);
	ck_assert_str_eq(err, "vpcfw convert: error: --to sg-json: the input holds no security group\n");
	free(out);
	free(err);
	/* A reference without --map, and a JSON syntax error in another file: both reported. */
	ck_assert_int_eq(run_convert(unmapped, NULL, &out, &err), 1);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(strstr(err, "give --map sg-0e5f6a7b8c9d0e1f2=CIDR[,CIDR...]"));
	ck_assert_ptr_nonnull(strstr(err, "give --map sg-0f6a7b8c9d0e1f2a3=CIDR[,CIDR...]"));
	ck_assert_ptr_nonnull(strstr(err, ": error: invalid JSON: "));
	free(out);
	free(err);
	unlink(empty);
	unlink(bad);
	free(empty);
	free(bad);
}
END_TEST

/* A description JSON cannot carry is bad input (exit 1), not a system failure. */
START_TEST(test_convert_not_utf8)
{
	char *path = tmp_rules("sg sg-0latin \"web\"\ninbound\n  ssh 10.0.0.0/8 \"d\xe9sc\"\n");
	const char *args[] = { path, NULL };
	char *out, *err;

	ck_assert_int_eq(run_convert(args, NULL, &out, &err), 1);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "vpcfw convert: error: a group name, description or id is not UTF-8, which JSON text must be\n");
	unlink(path);
	free(path);
	free(out);
	free(err);
}
END_TEST

/* "-" reads standard input: aws ec2 describe-... | vpcfw convert - */
START_TEST(test_convert_stdin)
{
	const char *args[] = { "-", NULL };
	char *out, *err, *want;
	struct ruleset *orig = load_json(AWS_KIND_NACL, EXAMPLE("web-nacl-fixed.json"));

	want = printed(orig);
	ck_assert_int_eq(run_convert(args, EXAMPLE("web-nacl-fixed.json"), &out, &err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(out, want);
	free(out);
	free(err);
	free(want);
	ruleset_free(orig);
}
END_TEST

/* A write error is a system failure (exit 3), not bad input, and says so. */
START_TEST(test_convert_write_error)
{
	char *argv[] = { "convert", EXAMPLE("web-sg.json"), NULL };
	int so = dup(1), se = dup(2), full = open("/dev/full", O_WRONLY);
	int e = memfd_create("err", 0), ret;
	char *err;

	ck_assert(so >= 0 && se >= 0 && full >= 0 && e >= 0);
	fflush(stdout);
	fflush(stderr);
	dup2(full, 1);
	dup2(e, 2);
	ret = cmd_convert(2, argv);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(full);
	err = slurp_fd(e);
	ck_assert_int_eq(ret, 3);
	ck_assert_str_eq(err, "vpcfw convert: cannot write the output: No space left on device\n");
	free(err);
}
END_TEST

/* ---- the example rule files --------------------------------------------- */

/* The canonical form less its "# from sg-..." comments: what parsing it gives back. */
static char *without_ref_comments(const char *text)
{
	char *out = strdup(text), *w = out;
	const char *r = text, *c;

	while (*r) {
		const char *nl = strchr(r, '\n');
		size_t n = nl ? (size_t)(nl - r) : strlen(r);

		c = memmem(r, n, " # from ", 8);
		memcpy(w, r, c ? (size_t)(c - r) : n);
		w += c ? (size_t)(c - r) : n;
		if (nl)
			*w++ = '\n';
		r += n + (nl != NULL);
	}
	*w = '\0';
	return out;
}

/*
 * Each native example parses cleanly (no error, no warning) and its
 * canonical form gives the same rules back; printing them again gives the
 * same text, less the comments that name the references (the reparsed
 * rules hold the CIDRs the comments stood next to).
 */
static const char *const native_examples[] = {
	EXAMPLE("web.rules"), EXAMPLE("bastion.rules"), EXAMPLE("private-db.rules"),
	EXAMPLE("default-nacl.rules"), EXAMPLE("fresh-custom-nacl.rules"),
	EXAMPLE("ephemeral-mistake.rules"),
};

START_TEST(test_examples_parse)
{
	struct ruleset *r = ruleset_new(), *again;
	struct diag *d = diag_new();
	char *once, *twice, *plain, *text = NULL;
	size_t len = 0;
	FILE *f = fopen(native_examples[_i], "r");
	int ret;

	ck_assert_msg(f != NULL, "%s: %s", native_examples[_i], strerror(errno));
	ck_assert_int_eq(getdelim(&text, &len, '\0', f) > 0, 1);
	fclose(f);
	ret = rules_load_buffer(r, rules_sections(text, strlen(text)), native_examples[_i], text,
				strlen(text), &map, d);
	free(text);

	ck_assert_msg(ret == 0 && diag_errors(d) == 0 && diag_warnings(d) == 0, "%s:\n%s",
		      native_examples[_i], tu_diag_text(d));
	ck_assert(r->has_nacl || r->n_groups);
	once = printed(r);
	again = load_native_text(once);
	twice = printed(again);
	plain = without_ref_comments(once);
	ck_assert_str_eq(plain, twice);
	expect_same_nacl(r, again);
	expect_same_sg(r, again, true, false);
	free(plain);
	free(once);
	free(twice);
	ruleset_free(again);
	ruleset_free(r);
	diag_free(d);
}
END_TEST

/* The native examples say what the JSON examples say. */
static const struct {
	const char *native, *nacl_json, *sg_json;	/* NULL: no JSON twin */
	bool nacl, sg;					/* the sections the file holds */
} consistent[] = {
	{ EXAMPLE("web.rules"), EXAMPLE("web-nacl-fixed.json"), EXAMPLE("web-sg.json"),
	  true, true },
	{ EXAMPLE("ephemeral-mistake.rules"), EXAMPLE("web-nacl-ephemeral-mistake.json"),
	  EXAMPLE("web-sg.json"), true, true },
	{ EXAMPLE("bastion.rules"), NULL, EXAMPLE("bastion-sg.json"), false, true },
	{ EXAMPLE("private-db.rules"), NULL, EXAMPLE("db-private-sg.json"), true, true },
	{ EXAMPLE("default-nacl.rules"), EXAMPLE("default-nacl.json"), NULL, true, false },
	{ EXAMPLE("fresh-custom-nacl.rules"), EXAMPLE("fresh-custom-nacl.json"), NULL, true,
	  false },
};

START_TEST(test_examples_consistent)
{
	unsigned take = (consistent[_i].nacl ? RULES_TAKE_NACL : 0) |
			(consistent[_i].sg ? RULES_TAKE_SG : 0);
	const struct load_opts o = { .take = take, .map = &map };
	struct ruleset *r = ruleset_new(), *j;
	struct diag *d = diag_new();

	ck_assert_msg(load_file(r, consistent[_i].native, &o, d, NULL) == 0, "%s",
		      tu_diag_text(d));
	/* the addresses README gives for the JSON twin's references */
	add_map("sg-0e5f6a7b8c9d0e1f2=10.0.1.0/24");
	add_map("sg-0f6a7b8c9d0e1f2a3=10.0.0.10/32");
	ck_assert_int_eq(r->has_nacl, consistent[_i].nacl);
	ck_assert_int_eq(r->n_groups > 0, consistent[_i].sg);
	if (consistent[_i].nacl_json) {
		j = load_json(AWS_KIND_NACL, consistent[_i].nacl_json);
		expect_same_nacl(j, r);
		ruleset_free(j);
	}
	if (consistent[_i].sg_json) {
		j = load_json(AWS_KIND_SG, consistent[_i].sg_json);
		expect_same_sg(j, r, false, true);
		ruleset_free(j);
	}
	ruleset_free(r);
	diag_free(d);
}
END_TEST

/* ---- suite ---------------------------------------------------------------- */

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *convert_suite(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase("write");

	tcase_add_test(tc, test_nacl_exact);
	tcase_add_test(tc, test_sg_exact);
	tcase_add_test(tc, test_sg_no_groups);
	tcase_add_test(tc, test_nacl_round_trip);
	tcase_add_test(tc, test_sg_round_trip);
	tcase_add_loop_test(tc, test_sg_perm_forms, 0, N(perm_forms));
	tcase_add_loop_test(tc, test_nacl_forms, 0, N(nacl_forms));
	tcase_add_test(tc, test_sg_local_ref);
	tcase_add_test(tc, test_sg_ref_once);
	tcase_add_test(tc, test_write_errors);
	tcase_add_loop_test(tc, test_write_not_utf8, 0, 3);
	tcase_add_loop_test(tc, test_json_files_round_trip, 0, N(json_files));
	tcase_add_loop_test(tc, test_cli_text_kept, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase("convert");
	tcase_add_loop_test(tc, test_convert_usage, 0, N(usage_cases));
	tcase_add_loop_test(tc, test_convert_json_native_json, 0, N(json_files));
	tcase_add_loop_test(tc, test_convert_native_default, 0, 2);
	tcase_add_loop_test(tc, test_convert_both, 0, N(both_cases));
	tcase_add_test(tc, test_convert_errors);
	tcase_add_test(tc, test_convert_stdin);
	tcase_add_test(tc, test_convert_not_utf8);
	tcase_add_test(tc, test_convert_write_error);
	suite_add_tcase(s, tc);

	tc = tcase("examples");
	tcase_add_loop_test(tc, test_examples_parse, 0, N(native_examples));
	tcase_add_loop_test(tc, test_examples_consistent, 0, N(consistent));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(convert_suite());
}
