/*
 * Infrastructure-as-code input through load.c: Terraform (src/lib/tf.c)
 * and CloudFormation (src/lib/cfn.c, src/lib/doc.c).
 *
 * Terraform: `terraform show -json` of a state holding every supported
 * resource, child module included, loads to the same rules as the same
 * policy written natively; a plan's unknown values and unresolvable
 * references are errors with the file, line:col and the resource's
 * address; the provider's own semantics (protocol -1 with ports 0, NACL
 * icmp_type/icmp_code defaulting to 0, no egress block meaning no egress
 * rule) hold.
 *
 * CloudFormation: a YAML template with short-form tags and the same
 * template in JSON load to the rules written natively; --param fills a
 * parameter and wins over its Default; every reference one host cannot
 * resolve is an error at its line:col; YAML errors are located; EC2's
 * default egress rule stays when a group has no SecurityGroupEgress.
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

#define expect_clean(r) tu_expect_clean(d, r)
/* "file:line:col: error: ..." lines: each message starts at line:col. */
#define expect_errors(file, msgs) do { \
	char pre_[256]; \
	snprintf(pre_, sizeof(pre_), "%s:", file); \
	tu_expect_errors(d, pre_, msgs); \
} while (0)


#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif
#define FIXTURE(f) TEST_SRCDIR "/data/tf/" f
#define CFN(f) TEST_SRCDIR "/data/cfn/" f

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

static int load_named(const char *name, const char *text)
{
	struct load_opts o = { .take_none = RULES_TAKE_NACL | RULES_TAKE_SG, .map = &map };

	return load_buffer(rs, name, text, strlen(text), &o, d, NULL);
}

static int load_text(const char *text)
{
	return load_named("t.json", text);
}



START_TEST(test_state_equals_native)
{
	struct ruleset *native = ruleset_new();

	ck_assert_int_eq(aws_map_add(&map, "sg-0123456789abcdef0=10.0.1.0/24"), 0);
	ck_assert_int_eq(aws_map_add(&map, "sg-0fedcba9876543210=10.0.0.0/24"), 0);
	expect_clean(load(rs, FIXTURE("web-state.json"), "web-state.json"));
	expect_clean(load(native, FIXTURE("web-state.rules"), "web-state.rules"));
	ck_assert(rs->has_nacl);
	ck_assert_str_eq(rs->nacl_id, "acl-0a1b2c3d4e5f6a7b8");
	ck_assert_uint_eq(rs->n_groups, 1);	/* the data source is not a group of ours */
	/* rule 90 is in the ACL's ingress and an aws_network_acl_rule: once */
	ck_assert_uint_eq(rs->n_nacl, 10);
	ck_assert(rules_equal(rs, native));
	/* the sgr- id names the rule resource in messages, the origin has its line */
	ck_assert_uint_gt(rs->sg[0].origin.line, 0);
	ruleset_free(native);
}
END_TEST

START_TEST(test_state_holds)
{
	ck_assert_uint_eq(load_probe(FIXTURE("web-state.json"), 0),
			  RULES_TAKE_NACL | RULES_TAKE_SG);
	ck_assert_uint_eq(load_probe(FIXTURE("app-plan.json"), 0),
			  RULES_TAKE_NACL | RULES_TAKE_SG);
}
END_TEST

/*
 * Given for one layer (run --sg F), a state that also holds a network ACL
 * is an error naming the flag, as a native file is: nothing dropped silently.
 */
START_TEST(test_state_sg_only)
{
	static const char *const msgs[] = {
		"1:1: error: holds a network ACL; give the file with --nacl too", NULL
	};
	struct load_opts o = { .take = RULES_TAKE_SG, .map = &map, .name = "web-state.json" };

	ck_assert_int_eq(aws_map_add(&map, "sg-0123456789abcdef0=10.0.1.0/24"), 0);
	ck_assert_int_eq(aws_map_add(&map, "sg-0fedcba9876543210=10.0.0.0/24"), 0);
	ck_assert_int_eq(load_file(rs, FIXTURE("web-state.json"), &o, d, NULL), -1);
	expect_errors("web-state.json", msgs);
	ck_assert(!rs->has_nacl);
	ck_assert_uint_eq(rs->n_sg, 10);
}
END_TEST

START_TEST(test_state_unmapped)
{
	static const char *const msgs[] = {
		"87:15: error: aws_security_group.web.ingress[3]: security-group reference (self = true) sg-0123456789abcdef0 has no addresses on a single host; give --map sg-0123456789abcdef0=CIDR[,CIDR...]",
		"188:45: error: aws_vpc_security_group_ingress_rule.from_lb (sgr-0cc33dd44ee55ff66): security-group reference sg-0fedcba9876543210 has no addresses on a single host; give --map sg-0fedcba9876543210=CIDR[,CIDR...]",
		NULL
	};

	ck_assert_int_eq(load(rs, FIXTURE("web-state.json"), "web-state.json"), -1);
	ck_assert_int_eq(errno, EINVAL);
	expect_errors("web-state.json", msgs);
}
END_TEST

START_TEST(test_plan_unknowns)
{
	static const char *const msgs[] = {
		"48:21: error: aws_security_group_rule.web_in[0]: security_group_id is unknown until apply",
		"48:21: error: aws_security_group_rule.web_in[0]: from_port is unknown until apply",
		"48:21: error: aws_security_group_rule.web_in[0]: to_port is unknown until apply",
		"76:15: error: aws_network_acl.app.ingress[0]: cidr_block is unknown until apply",
		NULL
	};

	ck_assert_int_eq(load(rs, FIXTURE("app-plan.json"), "plan.json"), -1);
	expect_errors("plan.json", msgs);
	/* the new group, id unknown, is named by its address; its rule is known */
	ck_assert_str_eq(rs->groups[0].id, "aws_security_group.app");
}
END_TEST

/* A minimal state around one resource's values. */
static char *state_of(const char *type, const char *values)
{
	char *s;

	ck_assert_int_gt(asprintf(&s, "{\"format_version\":\"1.0\",\"values\":{\"root_module\":{\"resources\":["
				  "{\"address\":\"%s.x\",\"mode\":\"managed\",\"type\":\"%s\",\"name\":\"x\",\"values\":%s}]}}}",
				  type, type, values), 0);
	return s;
}

static const struct bad_case {
	const char *type, *values, *msg;
} bad_cases[] = {
	{ "aws_security_group", "{\"id\":\"sg-1\",\"ingress\":[{\"protocol\":\"-1\",\"from_port\":0,\"to_port\":65535,\"cidr_blocks\":[\"0.0.0.0/0\"]}]}",
	  "1:227: error: aws_security_group.x.ingress[0]: protocol -1 (all) takes from_port 0 and to_port 0, not 0 and 65535" },
	{ "aws_security_group", "{\"id\":\"sg-1\",\"ingress\":[{\"protocol\":\"tcp\",\"from_port\":22,\"to_port\":22}]}",
	  "1:186: error: aws_security_group.x.ingress[0]: allows nothing: no cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, security_groups or self" },
	{ "aws_security_group", "{\"id\":\"sg-1\",\"egress\":[{\"protocol\":\"tcp\",\"from_port\":22,\"to_port\":22,\"prefix_list_ids\":[\"pl-6da54004\"]}]}",
	  "1:250: error: aws_security_group.x.egress[0]: prefix list pl-6da54004 has no addresses on a single host; give --map pl-6da54004=CIDR[,CIDR...]" },
	{ "aws_security_group", "{\"id\":\"sg-1\",\"ingress\":[{\"protocol\":\"tcp\",\"from_port\":22,\"to_port\":22,\"cidr_blocks\":[\"10.0.0.300/8\"]}]}",
	  "1:247: error: aws_security_group.x.ingress[0]: cidr_blocks \"10.0.0.300/8\" is not an IPv4 CIDR block (a.b.c.d/n)" },
	{ "aws_security_group_rule", "{\"type\":\"ingress\",\"security_group_id\":\"sg-1\",\"protocol\":\"udp\",\"from_port\":53,\"to_port\":52,\"cidr_blocks\":[\"10.0.0.0/8\"]}",
	  "1:259: error: aws_security_group_rule.x: from_port 53 is greater than to_port 52" },
	{ "aws_security_group_rule", "{\"type\":\"inbound\",\"security_group_id\":\"sg-1\",\"protocol\":\"tcp\",\"from_port\":1,\"to_port\":2,\"cidr_blocks\":[\"10.0.0.0/8\"]}",
	  "1:180: error: aws_security_group_rule.x: type \"inbound\" must be \"ingress\" or \"egress\"" },
	{ "aws_vpc_security_group_ingress_rule", "{\"security_group_id\":\"sg-1\",\"ip_protocol\":\"tcp\",\"from_port\":22,\"to_port\":22,\"cidr_ipv4\":\"10.0.0.0/8\",\"cidr_ipv6\":\"::/0\",\"security_group_rule_id\":\"sgr-1\"}",
	  "1:196: error: aws_vpc_security_group_ingress_rule.x (sgr-1): gives more than one of cidr_ipv4, cidr_ipv6, prefix_list_id and referenced_security_group_id" },
	{ "aws_network_acl", "{\"id\":\"acl-1\",\"ingress\":[{\"rule_no\":100,\"action\":\"permit\",\"protocol\":\"6\",\"from_port\":22,\"to_port\":22,\"cidr_block\":\"10.0.0.0/8\",\"icmp_type\":0,\"icmp_code\":0}]}",
	  "1:205: error: aws_network_acl.x.ingress[0]: action \"permit\" must be \"allow\" or \"deny\"" },
	{ "aws_network_acl", "{\"id\":\"acl-1\",\"ingress\":[{\"rule_no\":100,\"action\":\"allow\",\"protocol\":\"1\",\"from_port\":0,\"to_port\":0,\"cidr_block\":\"10.0.0.0/8\",\"icmp_type\":-1,\"icmp_code\":3}]}",
	  "1:181: error: aws_network_acl.x.ingress[0]: icmp_type -1 (all ICMP types) needs icmp_code -1, not 3" },
	{ "aws_network_acl", "{\"id\":\"acl-1\",\"egress\":[{\"rule_no\":100,\"action\":\"allow\",\"protocol\":\"6\",\"from_port\":1,\"to_port\":2,\"cidr_block\":\"10.0.0.0/8\",\"ipv6_cidr_block\":\"::/0\"},"
	  "{\"rule_no\":100,\"action\":\"deny\",\"protocol\":\"6\",\"from_port\":1,\"to_port\":2,\"cidr_block\":\"10.0.0.0/8\"}]}",
	  "1:180: error: aws_network_acl.x.egress[0]: give exactly one of cidr_block and ipv6_cidr_block" },
	{ "aws_network_acl", "{\"id\":\"acl-1\",\"egress\":[{\"rule_no\":100,\"action\":\"allow\",\"protocol\":\"6\",\"from_port\":1,\"to_port\":2,\"cidr_block\":\"10.0.0.0/8\"},"
	  "{\"rule_no\":100,\"action\":\"deny\",\"protocol\":\"6\",\"from_port\":1,\"to_port\":2,\"cidr_block\":\"10.0.0.0/8\"}]}",
	  "1: error: rule number 100 is already used in egress by the entry at line 1" },
	{ "aws_network_acl_rule", "{\"network_acl_id\":\"acl-1\",\"rule_number\":32767,\"egress\":false,\"protocol\":\"-1\",\"rule_action\":\"deny\",\"cidr_block\":\"0.0.0.0/0\"}",
	  "1:206: error: aws_network_acl_rule.x: rule_number 32767 is out of range 1-32766" },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	const char *msgs[] = { c->msg, NULL };
	char *text = state_of(c->type, c->values);

	ck_assert_int_eq(load_text(text), -1);
	expect_errors("t.json", msgs);
	free(text);
}
END_TEST

/*
 * The provider's semantics: icmp_type/icmp_code of a NACL entry default to
 * 0 (echo reply only), a group without egress blocks has no egress rule
 * (Terraform removed AWS's default allow-all), self and security_groups go
 * through --map, protocol names and numbers mean the same.
 */
START_TEST(test_semantics)
{
	char *text = NULL;

	ck_assert_int_eq(aws_map_add(&map, "sg-1=192.0.2.0/28"), 0);
	text = state_of("aws_network_acl_rule", "{\"network_acl_id\":\"acl-1\",\"rule_number\":10,\"protocol\":\"icmp\",\"rule_action\":\"allow\",\"cidr_block\":\"0.0.0.0/0\"}");
	expect_clean(load_text(text));
	free(text);
	ck_assert_uint_eq(rs->n_nacl, 1);
	ck_assert_int_eq(rs->nacl[0].proto, 1);
	ck_assert_int_eq(rs->nacl[0].icmp_type, 0);
	ck_assert_int_eq(rs->nacl[0].icmp_code, 0);
	ck_assert(!rs->nacl[0].egress);

	ruleset_free(rs);
	rs = ruleset_new();
	text = state_of("aws_security_group", "{\"id\":\"sg-1\",\"ingress\":[{\"protocol\":\"6\",\"from_port\":443,\"to_port\":443,\"self\":true,\"security_groups\":[\"sg-1\"]}],\"egress\":[]}");
	expect_clean(load_text(text));
	free(text);
	/* self and the same group by id are one rule: AWS holds it once */
	ck_assert_uint_eq(rs->n_sg, 1);
	ck_assert(!rs->sg[0].egress);
	ck_assert_int_eq(rs->sg[0].proto, 6);
	ck_assert_str_eq(rs->sg[0].ref, "sg-1");
}
END_TEST

START_TEST(test_not_terraform)
{
	/* format_version alone is not enough: AWS CLI JSON stays AWS CLI JSON */
	static const char text[] = "{\"format_version\":\"1.0\",\"SecurityGroups\":[]}";
	char *msgs;

	expect_clean(load_text(text));
	msgs = tu_diag_text(d);
	ck_assert_ptr_null(strstr(msgs, "root_module"));
	free(msgs);
}
END_TEST

START_TEST(test_nothing_held)
{
	static const char *const msgs[] = {
		"1:1: error: holds no network ACL (aws_network_acl, aws_default_network_acl or aws_network_acl_rule)",
		"1:1: error: holds no security group (aws_security_group, aws_default_security_group or a rule resource)",
		NULL
	};

	ck_assert_int_eq(load_text("{\"format_version\":\"1.0\",\"values\":{\"root_module\":{}}}"), -1);
	expect_errors("t.json", msgs);
}
END_TEST

/* ---- CloudFormation ---------------------------------------------------- */

static const char *const templates[] = { "web.yaml", "web.json" };

START_TEST(test_template_equals_native)
{
	struct ruleset *native = ruleset_new();

	ck_assert_int_eq(aws_map_add_param(&map, "AdminCidr=198.51.100.0/24"), 0);
	expect_clean(load(rs, CFN("web.rules"), "web.rules"));
	expect_clean(load(native, CFN("web.rules"), "web.rules"));
	ruleset_free(rs);
	rs = ruleset_new();
	expect_clean(load(rs, templates[_i][5] == 'y' ? CFN("web.yaml") : CFN("web.json"),
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

	ck_assert_int_eq(load(rs, CFN("web.yaml"), "web.yaml"), -1);
	ck_assert_int_eq(errno, EINVAL);
	expect_errors("web.yaml", yaml);
	diag_free(d);
	d = diag_new();
	ck_assert_int_eq(load(rs, CFN("web.json"), "web.json"), -1);
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
	expect_clean(load(rs, CFN("web.yaml"), "web.yaml"));
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

	ck_assert_int_eq(load(rs, CFN("bad.yaml"), "bad.yaml"), -1);
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
	{ "Conditions:\n  Prod: !Equals [!Ref Env, prod]\nResources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Condition: Prod\n",
	  "6:16: error: G: Condition: whether the resource is created is decided by CloudFormation, not on a single host" },
	{ "Resources:\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: acl-1\n"
	  "      RuleNumber: 100\n      Protocol: 17\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n",
	  "5:7: error: E: protocol 17 (udp) needs PortRange.From and PortRange.To" },
};

START_TEST(test_text_errors)
{
	const char *msgs[] = { text_cases[_i].msg, NULL };

	ck_assert_int_eq(load_named("t.yaml", text_cases[_i].text), -1);
	expect_errors("t.yaml", msgs);
}
END_TEST

START_TEST(test_holds)
{
	ck_assert_uint_eq(load_probe(CFN("web.yaml"), 0), RULES_TAKE_NACL | RULES_TAKE_SG);
	ck_assert_uint_eq(load_probe(CFN("web.json"), 0), RULES_TAKE_NACL | RULES_TAKE_SG);
	ck_assert_uint_eq(load_probe(CFN("web.rules"), 0), RULES_TAKE_NACL | RULES_TAKE_SG);
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

static Suite *iac_suite(void)
{
	Suite *s = suite_create("iac");
	TCase *tc = tcase_create("terraform");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_state_equals_native);
	tcase_add_test(tc, test_state_holds);
	tcase_add_test(tc, test_state_sg_only);
	tcase_add_test(tc, test_state_unmapped);
	tcase_add_test(tc, test_plan_unknowns);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_semantics);
	tcase_add_test(tc, test_not_terraform);
	tcase_add_test(tc, test_nothing_held);
	suite_add_tcase(s, tc);

	tc = tcase_create("cloudformation");
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
	return tu_run_suite(iac_suite());
}
