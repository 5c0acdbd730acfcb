/*
 * CloudFormation templates, JSON or YAML (one tree: doc.h), read for the
 * resources that filter traffic (see vpcfw.rules(5), CLOUDFORMATION):
 *
 *   AWS::EC2::SecurityGroup        SecurityGroupIngress / SecurityGroupEgress
 *   AWS::EC2::SecurityGroupIngress, AWS::EC2::SecurityGroupEgress
 *   AWS::EC2::NetworkAcl, AWS::EC2::NetworkAclEntry
 *
 * Values go through the intrinsic functions one host can resolve: Ref to a
 * parameter (--param NAME=VALUE, else its Default) or to a group or ACL of
 * the template, and Fn::GetAtt GROUP.GroupId. Anything else (a parameter
 * with no value, Fn::ImportValue, Fn::Sub, other attributes) is an error at
 * its line:col, never a guess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iac_int.h"

enum { CFN_SG = 1, CFN_SG_IN, CFN_SG_OUT, CFN_NACL, CFN_NACL_ENTRY };

static const struct {
	const char *type;
	int kind;
	unsigned take;
} cfn_types[] = {
	{ "AWS::EC2::SecurityGroup", CFN_SG, RULES_TAKE_SG },
	{ "AWS::EC2::SecurityGroupIngress", CFN_SG_IN, RULES_TAKE_SG },
	{ "AWS::EC2::SecurityGroupEgress", CFN_SG_OUT, RULES_TAKE_SG },
	{ "AWS::EC2::NetworkAcl", CFN_NACL, RULES_TAKE_NACL },
	{ "AWS::EC2::NetworkAclEntry", CFN_NACL_ENTRY, RULES_TAKE_NACL },
};

static int cfn_type(const json_t *res, unsigned *take)
{
	const char *type = json_string_value(json_object_get(res, "Type"));
	size_t i;

	for (i = 0; type && i < ARRAY_SIZE(cfn_types); i++)
		if (!strcmp(type, cfn_types[i].type)) {
			if (take)
				*take = cfn_types[i].take;
			return cfn_types[i].kind;
		}
	return 0;
}

unsigned cfn_holds(const json_t *root)
{
	const json_t *res;
	const char *id;
	unsigned holds = 0, take;

	json_object_foreach((json_t *)json_object_get(root, "Resources"), id, res)
		if (cfn_type(res, &take))
			holds |= take;
	return holds;
}

/* ---- values and intrinsic functions ------------------------------------------ */

/* A resolved value: a scalar, or a group or ACL of the template by logical id. */
struct cval {
	enum { CV_ABSENT, CV_BAD, CV_SCALAR, CV_GROUP, CV_ACL } kind;
	const json_t *j;	/* CV_SCALAR: the value (maybe a --param string) */
	const char *id;		/* CV_GROUP, CV_ACL: the logical id */
	json_t *owned;		/* a --param value made a JSON string */
};

struct cfn {
	struct iac *x;
	const json_t *resources, *params;
	const char *res_id;	/* the resource being read, for messages */
};

static void cval_free(struct cval *v)
{
	json_decref(v->owned);
	v->owned = NULL;
}

static int cfn_ref(struct cfn *c, const json_t *arg, const json_t *at,
		   const char *path, struct cval *v)
{
	const char *name = json_string_value(arg), *given;
	const json_t *p, *res;
	int kind;

	if (!name) {
		iac_error(c->x, arg, at, path, "Ref takes a name");
		return CV_BAD;
	}
	p = json_object_get(c->params, name);
	if (p) {
		given = aws_map_param(c->x->l.map, name);
		if (given) {
			v->owned = json_string(given);
			v->j = v->owned;
			return v->j ? CV_SCALAR : CV_BAD;
		}
		v->j = awsj_field(p, "Default");
		if (v->j)
			return CV_SCALAR;
		iac_error(c->x, arg, at, path, "Ref %s: the parameter has no Default; give --param %s=VALUE",
			  name, name);
		return CV_BAD;
	}
	res = json_object_get(c->resources, name);
	kind = cfn_type(res, NULL);
	v->id = name;
	if (kind == CFN_SG)
		return CV_GROUP;
	if (kind == CFN_NACL)
		return CV_ACL;
	if (!strncmp(name, "AWS::", 5))
		iac_error(c->x, arg, at, path, "Ref %s: a pseudo parameter has no value on a single host", name);
	else if (res)
		iac_error(c->x, arg, at, path, "Ref %s: its physical id is known only to CloudFormation", name);
	else
		iac_error(c->x, arg, at, path, "Ref %s: no such parameter or resource in the template", name);
	return CV_BAD;
}

/* Fn::GetAtt [GROUP, GroupId] is the group; no other attribute has a value here. */
static int cfn_getatt(struct cfn *c, const json_t *arg, const json_t *at,
		      const char *path, struct cval *v)
{
	const char *res = json_string_value(json_array_get(arg, 0));
	const char *att = json_string_value(json_array_get(arg, 1));

	if (!res || !att || json_array_size(arg) != 2) {
		iac_error(c->x, arg, at, path, "Fn::GetAtt takes [RESOURCE, ATTRIBUTE]");
		return CV_BAD;
	}
	if (cfn_type(json_object_get(c->resources, res), NULL) == CFN_SG && !strcmp(att, "GroupId")) {
		v->id = res;
		return CV_GROUP;
	}
	iac_error(c->x, arg, at, path, "Fn::GetAtt %s.%s cannot be resolved on a single host", res, att);
	return CV_BAD;
}

static void cfn_value(struct cfn *c, const json_t *obj, const char *key,
		      const char *path, struct cval *v)
{
	const json_t *j = awsj_field(obj, key), *fn;
	const char *name;

	memset(v, 0, sizeof(*v));
	if (!j) {
		v->kind = CV_ABSENT;
		return;
	}
	iac_at(c->x, j, obj);
	if (!json_is_object(j) || json_object_size(j) != 1) {
		v->kind = CV_SCALAR;
		v->j = j;
		return;
	}
	name = json_object_iter_key(json_object_iter((json_t *)j));
	fn = json_object_get(j, name);
	if (!strcmp(name, "Ref"))
		v->kind = cfn_ref(c, fn, j, path, v);
	else if (!strcmp(name, "Fn::GetAtt"))
		v->kind = cfn_getatt(c, fn, j, path, v);
	else if (!strncmp(name, "Fn::", 4)) {
		iac_error(c->x, j, obj, path, "%s: %s cannot be resolved on a single host", key, name);
		v->kind = CV_BAD;
	} else {
		v->kind = CV_SCALAR;
		v->j = j;
	}
}

/* A string value (a literal or a parameter's). FIELD_*; bad is reported. */
static int cfn_str(struct cfn *c, const json_t *obj, const char *key, const char *path,
		   const char **s, struct cval *v)
{
	cfn_value(c, obj, key, path, v);
	*s = NULL;
	if (v->kind == CV_ABSENT)
		return FIELD_ABSENT;
	if (v->kind == CV_BAD)
		return FIELD_BAD;
	if (v->kind != CV_SCALAR || !json_is_string(v->j)) {
		awsj_error(&c->x->l, path, "%s must be a string%s", key,
			   v->kind == CV_SCALAR ? "" : ", not a resource of the template");
		return FIELD_BAD;
	}
	*s = json_string_value(v->j);
	return FIELD_OK;
}

/* A scalar value for cfn_int and cfn_bool: FIELD_OK with v set, else freed. */
static int cfn_scalar(struct cfn *c, const json_t *obj, const char *key, const char *path,
		      struct cval *v)
{
	cfn_value(c, obj, key, path, v);
	if (v->kind == CV_ABSENT || v->kind == CV_BAD) {
		cval_free(v);
		return v->kind == CV_ABSENT ? FIELD_ABSENT : FIELD_BAD;
	}
	return FIELD_OK;
}

/* An integer: CloudFormation takes 22 and "22" alike. */
static int cfn_int(struct cfn *c, const json_t *obj, const char *key, const char *path,
		   long long *n)
{
	struct cval v;
	const char *s;
	char *end;
	int r = cfn_scalar(c, obj, key, path, &v);

	if (r != FIELD_OK)
		return r;
	s = json_string_value(v.j);
	if (v.kind == CV_SCALAR && json_is_integer(v.j)) {
		*n = json_integer_value(v.j);
	} else if (v.kind == CV_SCALAR && s && *s && (*n = strtoll(s, &end, 10), !*end)) {
		;
	} else {
		awsj_error(&c->x->l, path, "%s must be an integer", key);
		r = FIELD_BAD;
	}
	cval_free(&v);
	return r;
}

static int cfn_bool(struct cfn *c, const json_t *obj, const char *key, const char *path,
		    bool *b)
{
	struct cval v;
	const char *s;
	int r;

	*b = false;
	r = cfn_scalar(c, obj, key, path, &v);
	if (r != FIELD_OK)
		return r;
	s = json_string_value(v.j);
	if (v.kind == CV_SCALAR && json_is_boolean(v.j))
		*b = json_is_true(v.j);
	else if (v.kind == CV_SCALAR && s && (!strcasecmp(s, "true") || !strcasecmp(s, "false")))
		*b = !strcasecmp(s, "true");
	else {
		awsj_error(&c->x->l, path, "%s must be true or false", key);
		r = FIELD_BAD;
	}
	cval_free(&v);
	return r;
}

static int cfn_proto(struct cfn *c, const json_t *obj, const char *key, const char *path,
		     int *proto)
{
	struct cval v;
	json_t *tmp;
	int r;

	cfn_value(c, obj, key, path, &v);
	if (v.kind == CV_ABSENT)
		awsj_error(&c->x->l, path, "%s is missing", key);
	if (v.kind != CV_SCALAR) {
		cval_free(&v);
		return -1;
	}
	tmp = json_pack("{sO}", key, (json_t *)v.j);
	r = tmp ? awsj_parse_proto(&c->x->l, path, tmp, key, proto) : -1;
	json_decref(tmp);
	cval_free(&v);
	return r;
}

/* ---- security groups --------------------------------------------------------- */

/* The group a value names: the template's (by logical id) or an sg- id. */
static int cfn_group_of(struct cfn *c, const json_t *obj, const char *key,
			const char *path)
{
	struct cval v;
	int gi = -1;

	cfn_value(c, obj, key, path, &v);
	if (v.kind == CV_ABSENT)
		iac_error(c->x, obj, NULL, path, "%s is missing", key);
	else if (v.kind == CV_GROUP)
		gi = awsj_sg_group(&c->x->l, path, v.id, NULL);
	else if (v.kind == CV_SCALAR && json_is_string(v.j))
		gi = awsj_sg_group(&c->x->l, path, json_string_value(v.j), NULL);
	else if (v.kind != CV_BAD)
		awsj_error(&c->x->l, path, "%s must name a security group", key);
	cval_free(&v);
	return gi;
}

/* The peer keys of a rule, by direction. */
static const char *const peers_in[] = { "CidrIp", "CidrIpv6", "SourcePrefixListId",
					"SourceSecurityGroupId", "SourceSecurityGroupName" };
static const char *const peers_out[] = { "CidrIp", "CidrIpv6", "DestinationPrefixListId",
					 "DestinationSecurityGroupId", NULL };

static void cfn_peer(struct cfn *c, const json_t *o, const char *path,
		     const struct sg_entry *t, bool ok, const char *desc)
{
	const char *const *keys = t->egress ? peers_out : peers_in;
	struct cval v;
	size_t i, n = 0, k = 0;
	struct cidr cidr;
	const char *s;

	for (i = 0; i < 5 && keys[i]; i++) {
		if (!awsj_field(o, keys[i]))
			continue;
		n++;
		k = i;
	}
	if (n != 1) {
		iac_error(c->x, o, NULL, path, "%s one of CidrIp, CidrIpv6, %s",
			  n ? "gives more than" : "allows nothing: give",
			  t->egress ? "DestinationPrefixListId or DestinationSecurityGroupId" :
				      "SourcePrefixListId or SourceSecurityGroupId");
		return;
	}
	cfn_value(c, o, keys[k], path, &v);
	if (v.kind == CV_GROUP) {
		awsj_error(&c->x->l, path, "%s: the members of %s, a group of this template, have no addresses on a single host; give its sg- id as a parameter and --map it",
			   keys[k], v.id);
	} else if (v.kind == CV_SCALAR && (s = json_string_value(v.j))) {
		if (k == 4)
			awsj_error(&c->x->l, path, "SourceSecurityGroupName %.60s: a group by name has no addresses on a single host; use SourceSecurityGroupId and --map", s);
		else if (k < 2 && awsj_parse_cidr(&c->x->l, path, keys[k], s, k ? AF_INET6 : AF_INET,
						  &cidr) == 0 && ok)
			awsj_sg_emit(&c->x->l, path, t, &cidr, desc, NULL);
		else if (k >= 2)
			awsj_sg_ref(&c->x->l, path, t, ok, k == 2 ? "prefix list" : "security-group reference",
				    s, desc);
	} else if (v.kind != CV_BAD) {
		awsj_error(&c->x->l, path, "%s must be a string", keys[k]);
	}
	cval_free(&v);
}

/* One rule: an element of SecurityGroupIngress/Egress, or a rule resource's Properties. */
static void cfn_sg_rule(struct cfn *c, const json_t *o, const char *path, int gi,
			bool egress, const json_t *res)
{
	struct sg_entry t;
	long long from = 0, to = 0;
	const char *desc = NULL;
	struct cval dv;
	int proto, rf, rt;
	bool ok;

	memset(&t, 0, sizeof(t));
	t.egress = egress;
	t.group = gi < 0 ? 0 : (uint32_t)gi;
	iac_at(c->x, o, res);
	t.origin = (struct rule_origin){ c->x->l.file, c->x->l.line, 0 };
	ok = gi >= 0 && cfn_proto(c, o, "IpProtocol", path, &proto) == 0;
	if (ok) {
		t.proto = (int16_t)proto;
		rf = cfn_int(c, o, "FromPort", path, &from);
		rt = cfn_int(c, o, "ToPort", path, &to);
		iac_at(c->x, o, res);
		ok = rf != FIELD_BAD && rt != FIELD_BAD &&
		     awsj_sg_ports(&c->x->l, path, &t, "FromPort", "ToPort", rf, rt, from, to) == 0;
	}
	if (cfn_str(c, o, "Description", path, &desc, &dv) == FIELD_BAD ||
	    (desc && awsj_check_text(&c->x->l, path, "Description", desc) < 0))
		ok = false;
	cfn_peer(c, o, path, &t, ok, desc);
	cval_free(&dv);
}

static void cfn_sg_list(struct cfn *c, const json_t *props, const char *key, int gi,
			bool egress, const json_t *res)
{
	char path[PATH_LEN];
	const json_t *a = awsj_field(props, key), *o;
	size_t i;

	if (!a)
		return;
	if (!json_is_array(a)) {
		iac_error(c->x, a, res, c->res_id, "%s must be a list of rules", key);
		return;
	}
	json_array_foreach(a, i, o) {
		awsj_path_fmt(path, sizeof(path), "%s.%s[%zu]", c->res_id, key, i);
		if (!json_is_object(o)) {
			iac_error(c->x, o, a, path, "must be a rule (a mapping)");
			continue;
		}
		cfn_sg_rule(c, o, path, gi, egress, res);
	}
}

/*
 * A group without SecurityGroupEgress keeps the rules EC2 gives every new
 * group: all traffic to 0.0.0.0/0 and to ::/0 (AWS::EC2::SecurityGroup's
 * documentation: "if you do not add egress rules, we add egress rules that
 * allow all outbound IPv4 and IPv6 traffic. Otherwise, we do not add them").
 */
static void cfn_default_egress(struct cfn *c, int gi, const json_t *res)
{
	static const char *const any[] = { "0.0.0.0/0", "::/0" };
	struct sg_entry t;
	struct cidr cidr;
	size_t i;

	memset(&t, 0, sizeof(t));
	t.egress = true;
	t.group = (uint32_t)gi;
	t.proto = PROTO_ALL;
	t.from = t.to = -1;
	iac_at(c->x, res, NULL);
	t.origin = (struct rule_origin){ c->x->l.file, c->x->l.line, 0 };
	for (i = 0; i < ARRAY_SIZE(any); i++)
		if (cidr_parse(any[i], &cidr) == 0)
			awsj_sg_emit(&c->x->l, c->res_id, &t, &cidr, NULL, NULL);
}

static void cfn_sg(struct cfn *c, const json_t *res, const json_t *props)
{
	const char *name = NULL;
	struct cval nv;
	int gi;

	if (cfn_str(c, props, "GroupName", c->res_id, &name, &nv) != FIELD_OK ||
	    awsj_check_text(&c->x->l, c->res_id, "GroupName", name) < 0)
		name = NULL;
	iac_at(c->x, res, NULL);
	gi = awsj_sg_group(&c->x->l, c->res_id, c->res_id, name ? name : c->res_id);
	cval_free(&nv);
	if (gi < 0)
		return;
	cfn_sg_list(c, props, "SecurityGroupIngress", gi, false, res);
	cfn_sg_list(c, props, "SecurityGroupEgress", gi, true, res);
	if (!awsj_field(props, "SecurityGroupEgress"))
		cfn_default_egress(c, gi, res);
}

/* ---- network ACLs ------------------------------------------------------------ */

static void cfn_nacl_entry(struct cfn *c, const json_t *res, const json_t *p)
{
	const char *path = c->res_id, *act = NULL, *v4 = NULL, *v6 = NULL, *id = NULL;
	struct cval acl, av, c4, c6;
	struct nacl_entry ne;
	long long num = 0, from = 0, to = 0, type = 0, code = 0;
	const json_t *pr = awsj_field(p, "PortRange"), *ic = awsj_field(p, "Icmp");
	int proto = 0, bad = 0, r4, r6, f1 = FIELD_ABSENT, f2 = FIELD_ABSENT;

	memset(&ne, 0, sizeof(ne));
	cfn_value(c, p, "NetworkAclId", path, &acl);
	if (acl.kind == CV_ACL)
		id = acl.id;
	else if (acl.kind == CV_SCALAR && json_is_string(acl.j))
		id = json_string_value(acl.j);
	else if (acl.kind == CV_ABSENT)
		iac_error(c->x, p, res, path, "NetworkAclId is missing");
	else if (acl.kind != CV_BAD)
		awsj_error(&c->x->l, path, "NetworkAclId must name a network ACL");
	if (!id || !iac_nacl_begin(c->x, res, path, id, id))
		bad = 1;
	cval_free(&acl);
	if (awsj_need(&c->x->l, path, "RuleNumber", cfn_int(c, p, "RuleNumber", path, &num)) < 0)
		bad = 1;
	else if (num < NACL_RULE_MIN || num > NACL_RULE_MAX) {
		awsj_error(&c->x->l, path, "RuleNumber %lld is out of range 1-32766", num);
		bad = 1;
	}
	ne.number = (uint32_t)num;
	if (cfn_bool(c, p, "Egress", path, &ne.egress) == FIELD_BAD)
		bad = 1;
	if (awsj_need(&c->x->l, path, "RuleAction", cfn_str(c, p, "RuleAction", path, &act, &av)) < 0)
		bad = 1;
	else if (strcasecmp(act, "allow") && strcasecmp(act, "deny")) {
		awsj_error(&c->x->l, path, "RuleAction \"%.20s\" must be \"allow\" or \"deny\"", act);
		bad = 1;
	}
	ne.allow = act && !strcasecmp(act, "allow");
	cval_free(&av);
	if (cfn_proto(c, p, "Protocol", path, &proto) < 0)
		bad = 1;
	ne.proto = (int16_t)proto;
	r4 = cfn_str(c, p, "CidrBlock", path, &v4, &c4);
	r6 = cfn_str(c, p, "Ipv6CidrBlock", path, &v6, &c6);
	if (r4 == FIELD_BAD || r6 == FIELD_BAD) {
		bad = 1;
	} else if ((r4 == FIELD_OK) == (r6 == FIELD_OK)) {
		iac_error(c->x, p, res, path, "give exactly one of CidrBlock and Ipv6CidrBlock");
		bad = 1;
	} else {
		iac_at(c->x, json_object_get(p, v4 ? "CidrBlock" : "Ipv6CidrBlock"), p);
		bad |= -awsj_parse_cidr(&c->x->l, path, v4 ? "CidrBlock" : "Ipv6CidrBlock",
					v4 ? v4 : v6, v4 ? AF_INET : AF_INET6, &ne.cidr);
	}
	cval_free(&c4);
	cval_free(&c6);
	if (pr && json_is_object(pr)) {
		f1 = cfn_int(c, pr, "From", path, &from);
		f2 = cfn_int(c, pr, "To", path, &to);
	}
	if (ic && json_is_object(ic) &&
	    (cfn_int(c, ic, "Type", path, &type) == FIELD_BAD ||
	     cfn_int(c, ic, "Code", path, &code) == FIELD_BAD))
		bad = 1;
	if (f1 == FIELD_BAD || f2 == FIELD_BAD)
		bad = 1;
	if (bad)
		return;
	/* "Required if specifying 1 (ICMP)": CloudFormation's words for Icmp. */
	if (ne.proto == 1 && !ic) {
		iac_error(c->x, p, res, path, "protocol 1 (icmp) needs Icmp with Type and Code (-1 for all)");
		return;
	}
	iac_at(c->x, p, res);
	if (iac_nacl_l4(c->x, path, &ne, "PortRange.From", "PortRange.To", from, to,
			f1 == FIELD_OK && f2 == FIELD_OK, "Icmp.Type", "Icmp.Code", type, code,
			ic != NULL) < 0)
		return;
	iac_nacl_add(c->x, p, path, &ne);
}

/* ---- the template ------------------------------------------------------------- */

void cfn_load(struct iac *x)
{
	const json_t *root = x->doc.root, *res, *props;
	struct cfn c = { x, NULL, NULL, NULL };
	unsigned holds = cfn_holds(root), take;
	const char *id;
	int kind;

	if (!json_is_object(root)) {
		iac_error(x, root, NULL, NULL, "the top level is not a mapping: not a CloudFormation template");
		return;
	}
	c.resources = json_object_get(root, "Resources");
	c.params = json_object_get(root, "Parameters");
	json_object_foreach((json_t *)c.resources, id, res) {
		kind = cfn_type(res, &take);
		if (!kind || !(take & x->take))
			continue;
		c.res_id = id;
		/* Whether it exists at all is CloudFormation's to decide. */
		if (json_object_get(res, "Condition")) {
			iac_error(x, json_object_get(res, "Condition"), res, id,
				  "Condition: whether the resource is created is decided by CloudFormation, not on a single host");
			continue;
		}
		props = json_object_get(res, "Properties");
		if (props && !json_is_object(props)) {
			iac_error(x, props, res, id, "Properties must be a mapping");
			continue;
		}
		switch (kind) {
		case CFN_SG:
			cfn_sg(&c, res, props);
			break;
		case CFN_SG_IN:
		case CFN_SG_OUT:
			cfn_sg_rule(&c, props, id, cfn_group_of(&c, props, "GroupId", id),
				    kind == CFN_SG_OUT, res);
			break;
		case CFN_NACL:
			iac_nacl_begin(x, res, id, id, id);
			break;
		case CFN_NACL_ENTRY:
			cfn_nacl_entry(&c, res, props);
			break;
		}
	}
	iac_check_take(x, holds, "AWS::EC2::NetworkAcl or AWS::EC2::NetworkAclEntry",
		       "AWS::EC2::SecurityGroup, SecurityGroupIngress or SecurityGroupEgress");
}
