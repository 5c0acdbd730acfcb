/*
 * CloudFormation input (src/lib/cfn.c, src/lib/doc.c through load.c): a
 * YAML template with short-form tags and the same template in JSON load to
 * the rules written natively; --param fills a parameter and wins over its
 * Default; every reference one host cannot resolve is an error at its
 * line:col; YAML errors are located; EC2's default egress rule stays when
 * a group has no SecurityGroupEgress.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_json.h"
#include "load.h"
#include "rules.h"
#include "testutil.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif
#define FIXTURE(f) TEST_SRCDIR "/data/cfn/" f

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

static int load(struct ruleset *into, const char *path, const char *name)
{
	struct load_opts o = { .take_none = RULES_TAKE_NACL | RULES_TAKE_SG, .map = &map,
			       .name = name };

	return load_file(into, path, &o, d, NULL);
}

static int load_text(const char *text)
{
	struct load_opts o = { .take_none = RULES_TAKE_NACL | RULES_TAKE_SG, .map = &map };

	return load_buffer(rs, "t.yaml", text, strlen(text), &o, d, NULL);
}

static void expect_errors(const char *file, const char *const *msgs)
{
	char *text = tu_diag_text_nl(d), line[1024];
	size_t n;

	for (n = 0; msgs[n]; n++) {
		snprintf(line, sizeof(line), "\n%s:%s\n", file, msgs[n]);
		ck_assert_msg(strstr(text, line), "missing:%sin:%s", line, text);
	}
	ck_assert_msg(diag_errors(d) == n, "expected %zu errors, got %zu:%s", n,
		      diag_errors(d), text);
	free(text);
}

static void expect_clean(int r)
{
	char *text = tu_diag_text_nl(d);

	ck_assert_msg(r == 0 && diag_errors(d) == 0, "r=%d:%s", r, text);
	free(text);
}

static const char *const templates[] = { "web.yaml", "web.json" };

START_TEST(test_template_equals_native)
{
	struct ruleset *native = ruleset_new();

	ck_assert_int_eq(aws_map_add_param(&map, "AdminCidr=198.51.100.0/24"), 0);
	expect_clean(load(rs, FIXTURE("web.rules"), "web.rules"));
	expect_clean(load(native, FIXTURE("web.rules"), "web.rules"));
	ruleset_free(rs);
	rs = ruleset_new();
	expect_clean(load(rs, templates[_i][5] == 'y' ? FIXTURE("web.yaml") : FIXTURE("web.json"),
			  templates[_i]));
	ck_assert_str_eq(rs->nacl_id, "WebAcl");
	ck_assert_uint_eq(rs->n_groups, 1);
	ck_assert_str_eq(rs->groups[0].id, "WebSecurityGroup");
	ck_assert_str_eq(rs->groups[0].name, "web");
	ck_assert(rules_equal(rs, native));
	ck_assert_uint_gt(rs->sg[0].origin.line, 0);
	ruleset_free(native);
}
END_TEST

START_TEST(test_param_missing)
{
	static const char *const yaml[] = {
		"58:15: error: AdminIngress: Ref AdminCidr: the parameter has no Default; give --param AdminCidr=VALUE",
		NULL
	};
	static const char *const json[] = {
		"87:18: error: AdminIngress: Ref AdminCidr: the parameter has no Default; give --param AdminCidr=VALUE",
		NULL
	};

	ck_assert_int_eq(load(rs, FIXTURE("web.yaml"), "web.yaml"), -1);
	ck_assert_int_eq(errno, EINVAL);
	expect_errors("web.yaml", yaml);
	diag_free(d);
	d = diag_new();
	ck_assert_int_eq(load(rs, FIXTURE("web.json"), "web.json"), -1);
	expect_errors("web.json", json);
}
END_TEST

/* A --param wins over the Default; a number parameter given as text is a port. */
START_TEST(test_param_overrides_default)
{
	char buf[CIDR_STRLEN];
	size_t i;
	bool seen = false;

	ck_assert_int_eq(aws_map_add_param(&map, "AdminCidr=198.51.100.0/24"), 0);
	ck_assert_int_eq(aws_map_add_param(&map, "OfficeCidr=192.0.2.0/26"), 0);
	ck_assert_int_eq(aws_map_add_param(&map, "SshPort=2222"), 0);
	expect_clean(load(rs, FIXTURE("web.yaml"), "web.yaml"));
	for (i = 0; i < rs->n_nacl; i++)
		if (rs->nacl[i].number == 110 && !rs->nacl[i].egress) {
			ck_assert_str_eq(cidr_format(&rs->nacl[i].cidr, buf, sizeof(buf)),
					 "192.0.2.0/26");
			ck_assert_uint_eq(rs->nacl[i].port_from, 2222);
			seen = true;
		}
	ck_assert(seen);
	ck_assert_int_eq(rs->sg[2].from, 2222);
	ck_assert_str_eq(cidr_format(&rs->sg[2].cidr, buf, sizeof(buf)), "192.0.2.0/26");
}
END_TEST

START_TEST(test_unresolvable)
{
	static const char *const msgs[] = {
		"15:19: error: AppSG.SecurityGroupIngress[0]: CidrIp: Fn::ImportValue cannot be resolved on a single host",
		"19:34: error: AppSG.SecurityGroupIngress[1]: SourceSecurityGroupId: the members of LbSG, a group of this template, have no addresses on a single host; give its sg- id as a parameter and --map it",
		"23:19: error: AppSG.SecurityGroupIngress[2]: CidrIp: Fn::Sub cannot be resolved on a single host",
		"28:39: error: AppSG.SecurityGroupEgress[0]: Fn::GetAtt DbInstance.Endpoint.Address cannot be resolved on a single host",
		"41:15: error: FromNowhere: Ref NoDefault: the parameter has no Default; give --param NoDefault=VALUE",
		"47:7: error: Ping: protocol 1 (icmp) needs Icmp with Type and Code (-1 for all)",
		"59:18: error: Region: Ref AWS::Region: a pseudo parameter has no value on a single host",
		NULL
	};

	ck_assert_int_eq(load(rs, FIXTURE("bad.yaml"), "bad.yaml"), -1);
	expect_errors("bad.yaml", msgs);
	/* LbSG says SecurityGroupEgress: [] : EC2's default egress rule is gone */
	ck_assert_uint_eq(rs->n_groups, 2);
	ck_assert_uint_eq(rs->n_sg, 0);
}
END_TEST

static const struct text_case {
	const char *text, *msg;
} text_cases[] = {
	{ "Resources:\n  A: &x\n    Type: AWS::EC2::SecurityGroup\n  B: *x\n",
	  "4:6: error: a YAML alias (*name): vpcfw does not read them; write the value out" },
	{ "Resources:\n  A:\n    Type: [unclosed\n",
	  "4:1: error: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence" },
	{ "Resources:\n  A:\n    Type: AWS::EC2::SecurityGroup\n  A:\n    Type: AWS::EC2::NetworkAcl\n",
	  "4:3: error: duplicate key \"A\"" },
	{ "Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress:\n"
	  "        - {IpProtocol: tcp, FromPort: 22, ToPort: 21, CidrIp: 10.0.0.0/8}\n",
	  "6:11: error: G.SecurityGroupIngress[0]: FromPort 22 is greater than ToPort 21" },
	{ "Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress:\n"
	  "        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8, CidrIpv6: \"::/0\"}\n",
	  "6:11: error: G.SecurityGroupIngress[0]: gives more than one of CidrIp, CidrIpv6, SourcePrefixListId or SourceSecurityGroupId" },
	{ "Resources:\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: acl-1\n"
	  "      RuleNumber: 100\n      Protocol: 6\n      RuleAction: accept\n      CidrBlock: 0.0.0.0/0\n      PortRange: {From: 1, To: 2}\n",
	  "8:19: error: E: RuleAction \"accept\" must be \"allow\" or \"deny\"" },
	{ "Resources:\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: acl-1\n"
	  "      RuleNumber: 100\n      Protocol: 17\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n",
	  "5:7: error: E: protocol 17 (udp) needs PortRange.From and PortRange.To" },
};

START_TEST(test_text_errors)
{
	const char *msgs[] = { text_cases[_i].msg, NULL };

	ck_assert_int_eq(load_text(text_cases[_i].text), -1);
	expect_errors("t.yaml", msgs);
}
END_TEST

START_TEST(test_holds)
{
	ck_assert_uint_eq(load_probe(FIXTURE("web.yaml"), 0), RULES_TAKE_NACL | RULES_TAKE_SG);
	ck_assert_uint_eq(load_probe(FIXTURE("web.json"), 0), RULES_TAKE_NACL | RULES_TAKE_SG);
	ck_assert_uint_eq(load_probe(FIXTURE("web.rules"), 0), RULES_TAKE_NACL | RULES_TAKE_SG);
}
END_TEST

START_TEST(test_param_parse)
{
	ck_assert_int_eq(aws_map_add_param(&map, "Port=22"), 0);
	ck_assert_str_eq(aws_map_param(&map, "Port"), "22");
	ck_assert_int_eq(aws_map_add_param(&map, "Empty="), 0);
	ck_assert_str_eq(aws_map_param(&map, "Empty"), "");
	ck_assert_int_eq(aws_map_add_param(&map, "Port=23"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aws_map_add_param(&map, "=x"), -1);
	ck_assert_int_eq(aws_map_add_param(&map, "No-Dash=x"), -1);
	ck_assert_int_eq(aws_map_add_param(&map, "NoValue"), -1);
	ck_assert_ptr_null(aws_map_param(&map, "Missing"));
}
END_TEST

static Suite *cfn_suite(void)
{
	Suite *s = suite_create("cfn");
	TCase *tc = tcase_create("cfn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_template_equals_native, 0, 2);
	tcase_add_test(tc, test_param_missing);
	tcase_add_test(tc, test_param_overrides_default);
	tcase_add_test(tc, test_unresolvable);
	tcase_add_loop_test(tc, test_text_errors, 0, (int)(sizeof(text_cases) / sizeof(text_cases[0])));
	tcase_add_test(tc, test_holds);
	tcase_add_test(tc, test_param_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(cfn_suite());
}
