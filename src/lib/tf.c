/*
 * Terraform input: `terraform show -json` of a state (values.root_module)
 * or of a plan (planned_values.root_module; resource_changes[].change.
 * after_unknown says which values are unknown until apply), child modules
 * included. The AWS provider's resources that hold filtering rules are read
 * with the provider's own semantics (see vpcfw.rules(5), TERRAFORM):
 *
 *   aws_security_group, aws_default_security_group   inline ingress/egress
 *   aws_security_group_rule                          one rule, many peers
 *   aws_vpc_security_group_ingress_rule / _egress_rule  one rule, one peer
 *   aws_network_acl, aws_default_network_acl         inline ingress/egress
 *   aws_network_acl_rule                             one entry
 *
 * A value unknown until apply, or a reference that has no addresses here,
 * is an error naming the resource's address: never a guess.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "iac_int.h"

/* One resource being read: its values and, in a plan, what is unknown. */
struct tfres {
	const json_t *res;	/* the resource object, for positions */
	const json_t *v;	/* values */
	const json_t *unk;	/* after_unknown, or NULL */
	const char *addr;
	char id[PATH_LEN];	/* the group's or ACL's id; its address when unknown */
	bool id_known;
};

enum { TF_SG = 1, TF_SG_RULE, TF_VPC_SGR_IN, TF_VPC_SGR_OUT, TF_NACL, TF_NACL_RULE };

static const struct {
	const char *type;
	int kind;
	unsigned take;
} tf_types[] = {
	{ "aws_security_group", TF_SG, RULES_TAKE_SG },
	{ "aws_default_security_group", TF_SG, RULES_TAKE_SG },
	{ "aws_security_group_rule", TF_SG_RULE, RULES_TAKE_SG },
	{ "aws_vpc_security_group_ingress_rule", TF_VPC_SGR_IN, RULES_TAKE_SG },
	{ "aws_vpc_security_group_egress_rule", TF_VPC_SGR_OUT, RULES_TAKE_SG },
	{ "aws_network_acl", TF_NACL, RULES_TAKE_NACL },
	{ "aws_default_network_acl", TF_NACL, RULES_TAKE_NACL },
	{ "aws_network_acl_rule", TF_NACL_RULE, RULES_TAKE_NACL },
};

static int tf_type(const json_t *res, unsigned *take)
{
	const char *type = json_string_value(json_object_get(res, "type"));
	const char *mode = json_string_value(json_object_get(res, "mode"));
	size_t i;

	if (!type || (mode && strcmp(mode, "managed")))
		return 0;	/* data sources describe, they do not filter */
	for (i = 0; i < ARRAY_SIZE(tf_types); i++)
		if (!strcmp(type, tf_types[i].type)) {
			if (take)
				*take = tf_types[i].take;
			return tf_types[i].kind;
		}
	return 0;
}

/* ---- values ----------------------------------------------------------------- */

static bool unknown(const json_t *unk, const char *key)
{
	return unk && json_is_true(json_object_get(unk, key));
}

/*
 * A value of obj: NULL when absent or null, with *bad set when that is
 * because a plan does not know it yet (reported).
 */
static const json_t *tf_get(struct iac *x, const struct tfres *r, const json_t *obj,
			    const json_t *unk, const char *key, const char *path, bool *bad)
{
	const json_t *j = awsj_field(obj, key);

	if (j)
		return j;
	if (unknown(unk, key) || (unk && json_is_true(unk))) {
		iac_error(x, obj, r->res, path, "%s is unknown until apply", key);
		*bad = true;
	}
	return NULL;
}

static int tf_int(struct iac *x, const struct tfres *r, const json_t *obj,
		  const json_t *unk, const char *key, const char *path, long long *v)
{
	bool bad = false;
	const json_t *j = tf_get(x, r, obj, unk, key, path, &bad);

	if (!j)
		return bad ? FIELD_BAD : FIELD_ABSENT;
	iac_at(x, j, obj);
	if (!json_is_integer(j))
		return awsj_bad_type(&x->l, path, "", key, j, "an integer");
	*v = json_integer_value(j);
	return FIELD_OK;
}

/* A string; "" counts as absent, as the provider treats it. */
static int tf_str(struct iac *x, const struct tfres *r, const json_t *obj,
		  const json_t *unk, const char *key, const char *path, const char **s)
{
	bool bad = false;
	const json_t *j = tf_get(x, r, obj, unk, key, path, &bad);

	*s = NULL;
	if (!j)
		return bad ? FIELD_BAD : FIELD_ABSENT;
	iac_at(x, j, obj);
	if (!json_is_string(j))
		return awsj_bad_type(&x->l, path, "", key, j, "a string");
	*s = json_string_value(j);
	if (**s)
		return FIELD_OK;
	*s = NULL;
	return FIELD_ABSENT;
}

static int tf_bool(struct iac *x, const struct tfres *r, const json_t *obj,
		   const json_t *unk, const char *key, const char *path, bool *b)
{
	bool bad = false;
	const json_t *j = tf_get(x, r, obj, unk, key, path, &bad);

	*b = false;
	if (!j)
		return bad ? FIELD_BAD : FIELD_ABSENT;
	if (!json_is_boolean(j)) {
		iac_at(x, j, obj);
		return awsj_bad_type(&x->l, path, "", key, j, "true or false");
	}
	*b = json_is_true(j);
	return FIELD_OK;
}

static int tf_proto(struct iac *x, const struct tfres *r, const json_t *obj,
		    const json_t *unk, const char *key, const char *path, int *proto)
{
	bool bad = false;
	const json_t *j = tf_get(x, r, obj, unk, key, path, &bad);

	if (!j) {
		if (!bad)
			iac_error(x, obj, r->res, path, "%s is missing", key);
		return -1;
	}
	iac_at(x, j, obj);
	return awsj_parse_proto(&x->l, path, obj, key, proto);
}

/* The group or ACL id: known in a state, maybe not in a plan (then the address). */
static void tf_id(struct iac *x, struct tfres *r)
{
	const char *id = NULL, *p;
	char *o;

	if (tf_str(x, r, r->v, NULL, "id", r->addr, &id) == FIELD_OK) {
		snprintf(r->id, sizeof(r->id), "%s", id);
		r->id_known = true;
		return;
	}
	/* Brackets and quotes of an address are not in a name: '-' stands for them. */
	for (p = r->addr, o = r->id; *p && o < r->id + sizeof(r->id) - 1; p++)
		*o++ = strchr("[]\"", *p) ? '-' : *p;
	*o = '\0';
	while (o > r->id && o[-1] == '-')
		*--o = '\0';
}

/* ---- security groups --------------------------------------------------------- */

/* What to do with one peer of a list: a CIDR, or an id for --map. */
typedef void peer_fn(struct iac *x, const char *path, const json_t *at,
		     const struct sg_entry *t, bool ok, const char *value,
		     const char *desc, int arg);

/*
 * A list of peers (CIDRs or ids), each element checked for unknowns.
 * Returns how many peers it names, counting bad ones, so that an empty
 * rule says "allows nothing" and a bad one does not say it too.
 */
static size_t tf_list(struct iac *x, const struct tfres *r, const json_t *obj,
		      const json_t *unk, const char *key, const char *path,
		      const struct sg_entry *t, bool ok, const char *desc,
		      peer_fn *fn, int arg)
{
	const json_t *a, *e, *u = unk ? json_object_get(unk, key) : NULL;
	bool bad = false;
	size_t i, n = 0;

	a = tf_get(x, r, obj, unk, key, path, &bad);
	if (bad)
		return 1;	/* reported; not "allows nothing" too */
	if (!a)
		return 0;
	if (!json_is_array(a)) {
		iac_at(x, a, obj);
		awsj_bad_type(&x->l, path, "", key, a, "a list");
		return 1;
	}
	json_array_foreach(a, i, e) {
		n++;
		if (json_is_null(e) && json_is_true(json_array_get(u, i))) {
			iac_error(x, a, obj, path, "%s[%zu] is unknown until apply", key, i);
			continue;
		}
		iac_at(x, e, a);
		if (!json_is_string(e)) {
			awsj_error(&x->l, path, "%s[%zu] must be a string", key, i);
			continue;
		}
		fn(x, path, e, t, ok, json_string_value(e), desc, arg);
	}
	return n;
}

static void peer_cidr(struct iac *x, const char *path, const json_t *at,
		      const struct sg_entry *t, bool ok, const char *value,
		      const char *desc, int family)
{
	struct cidr c;

	(void)at;
	if (awsj_parse_cidr(&x->l, path, family == AF_INET ? "cidr_blocks" : "ipv6_cidr_blocks",
			    value, family, &c) == 0 && ok)
		awsj_sg_emit(&x->l, path, t, &c, desc, NULL);
}

static void peer_ref(struct iac *x, const char *path, const json_t *at,
		     const struct sg_entry *t, bool ok, const char *value,
		     const char *desc, int prefix_list)
{
	(void)at;
	awsj_sg_ref(&x->l, path, t, ok, prefix_list ? "prefix list" : "security-group reference",
		    value, desc);
}

/*
 * Protocol and ports of one rule. For inline blocks Terraform wants
 * from_port = to_port = 0 with protocol -1 (aws_security_group's docs: "you
 * must specify a from_port and to_port equal to 0"): zero_for_all checks
 * it. AWS applies every port either way.
 */
static int tf_sg_ports(struct iac *x, const struct tfres *r, const json_t *o,
		       const json_t *unk, const char *path, const char *pkey,
		       struct sg_entry *t, bool zero_for_all)
{
	long long from = 0, to = 0;
	int proto, rf, rt;

	if (tf_proto(x, r, o, unk, pkey, path, &proto) < 0)
		return -1;
	t->proto = (int16_t)proto;
	rf = tf_int(x, r, o, unk, "from_port", path, &from);
	rt = tf_int(x, r, o, unk, "to_port", path, &to);
	if (rf == FIELD_BAD || rt == FIELD_BAD)
		return -1;
	if (proto == PROTO_ALL && zero_for_all && (from != 0 || to != 0)) {
		awsj_error(&x->l, path, "protocol -1 (all) takes from_port 0 and to_port 0, not %lld and %lld",
			   from, to);
		return -1;
	}
	return awsj_sg_ports(&x->l, path, t, "from_port", "to_port", rf, rt, from, to);
}

/*
 * The peers of an inline block or an aws_security_group_rule: CIDR lists,
 * prefix lists, other groups (security_groups or source_security_group_id)
 * and self, the group itself; all through --map but the CIDRs.
 */
static void tf_sg_peers(struct iac *x, const struct tfres *r, const json_t *o,
			const json_t *unk, const char *path, const struct sg_entry *t,
			bool ok, const char *self_id, bool self_known, bool inline_block)
{
	const char *desc = NULL, *src = NULL;
	size_t n = 0;
	bool self = false;

	if (tf_str(x, r, o, unk, "description", path, &desc) == FIELD_BAD ||
	    (desc && awsj_check_text(&x->l, path, "description", desc) < 0))
		ok = false;
	n += tf_list(x, r, o, unk, "cidr_blocks", path, t, ok, desc, peer_cidr, AF_INET);
	n += tf_list(x, r, o, unk, "ipv6_cidr_blocks", path, t, ok, desc, peer_cidr, AF_INET6);
	n += tf_list(x, r, o, unk, "prefix_list_ids", path, t, ok, desc, peer_ref, 1);
	if (inline_block) {
		n += tf_list(x, r, o, unk, "security_groups", path, t, ok, desc, peer_ref, 0);
	} else if (tf_str(x, r, o, unk, "source_security_group_id", path, &src) == FIELD_OK) {
		n++;
		awsj_sg_ref(&x->l, path, t, ok, "security-group reference", src, desc);
	}
	if (tf_bool(x, r, o, unk, "self", path, &self) == FIELD_OK && self) {
		n++;
		iac_at(x, json_object_get(o, "self"), o);
		if (!self_known)
			awsj_error(&x->l, path, "self = true names the group, whose id is unknown until apply");
		else
			awsj_sg_ref(&x->l, path, t, ok, "security-group reference (self = true)",
				    self_id, desc);
	}
	if (n == 0) {
		iac_at(x, o, r->res);
		awsj_error(&x->l, path, "allows nothing: no cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, %s or self",
			   inline_block ? "security_groups" : "source_security_group_id");
	}
}

/* aws_security_group's ingress/egress blocks (attributes as blocks). */
static void tf_sg_blocks(struct iac *x, struct tfres *r, int gi, const char *key,
			 bool egress)
{
	const json_t *a, *b, *unk = r->unk ? json_object_get(r->unk, key) : NULL;
	char path[PATH_LEN];
	bool bad = false;
	size_t i;

	a = tf_get(x, r, r->v, r->unk, key, r->addr, &bad);
	if (!a)
		return;		/* none: Terraform removed AWS's default egress rule */
	if (!json_is_array(a)) {
		iac_at(x, a, r->res);
		awsj_bad_type(&x->l, r->addr, "", key, a, "a list of blocks");
		return;
	}
	json_array_foreach(a, i, b) {
		const json_t *u = json_is_array(unk) ? json_array_get(unk, i) : unk;
		struct sg_entry t;
		bool ok;

		awsj_path_fmt(path, sizeof(path), "%s.%s[%zu]", r->addr, key, i);
		if (!json_is_object(b)) {
			iac_error(x, b, a, path, "must be a block (an object)");
			continue;
		}
		memset(&t, 0, sizeof(t));
		t.egress = egress;
		t.group = gi < 0 ? 0 : (uint32_t)gi;
		iac_at(x, b, a);
		t.origin = (struct rule_origin){ x->l.file, x->l.line, (unsigned)i };
		ok = tf_sg_ports(x, r, b, u, path, "protocol", &t, true) == 0 && gi >= 0;
		tf_sg_peers(x, r, b, u, path, &t, ok, r->id, r->id_known, true);
	}
}

static void tf_sg(struct iac *x, struct tfres *r)
{
	const char *name = NULL;
	int gi;

	tf_id(x, r);
	if (tf_str(x, r, r->v, r->unk, "name", r->addr, &name) == FIELD_OK &&
	    awsj_check_text(&x->l, r->addr, "name", name) < 0)
		name = NULL;
	iac_at(x, r->res, NULL);
	gi = awsj_sg_group(&x->l, r->addr, r->id, name);
	tf_sg_blocks(x, r, gi, "ingress", false);
	tf_sg_blocks(x, r, gi, "egress", true);
}

/* The group a rule resource belongs to, by security_group_id. */
static int tf_rule_group(struct iac *x, struct tfres *r, const char **id)
{
	if (tf_str(x, r, r->v, r->unk, "security_group_id", r->addr, id) != FIELD_OK) {
		if (!json_is_true(json_object_get(r->unk, "security_group_id")))
			iac_error(x, r->v, r->res, r->addr, "security_group_id is missing");
		return -1;
	}
	return awsj_sg_group(&x->l, r->addr, *id, NULL);
}

static void tf_sg_rule(struct iac *x, struct tfres *r)
{
	const char *type = NULL, *gid = NULL;
	struct sg_entry t;
	int gi = tf_rule_group(x, r, &gid);
	bool ok;

	memset(&t, 0, sizeof(t));
	if (tf_str(x, r, r->v, r->unk, "type", r->addr, &type) == FIELD_OK &&
	    strcmp(type, "ingress") && strcmp(type, "egress")) {
		awsj_error(&x->l, r->addr, "type \"%.20s\" must be \"ingress\" or \"egress\"", type);
		type = NULL;
	} else if (!type) {
		iac_error(x, r->v, r->res, r->addr, "type is missing");
	}
	t.egress = type && !strcmp(type, "egress");
	t.group = gi < 0 ? 0 : (uint32_t)gi;
	iac_at(x, r->res, NULL);
	t.origin = (struct rule_origin){ x->l.file, x->l.line, 0 };
	ok = tf_sg_ports(x, r, r->v, r->unk, r->addr, "protocol", &t, false) == 0 &&
	     gi >= 0 && type;
	tf_sg_peers(x, r, r->v, r->unk, r->addr, &t, ok, gid, gid != NULL, false);
}

/* aws_vpc_security_group_*_rule: exactly one peer; -1 leaves the ports null. */
static void tf_vpc_sgr(struct iac *x, struct tfres *r, bool egress)
{
	static const char *const keys[] = { "cidr_ipv4", "cidr_ipv6", "prefix_list_id",
					     "referenced_security_group_id" };
	const char *gid = NULL, *rid = NULL, *desc = NULL, *val = NULL, *v;
	char path[PATH_LEN];
	struct sg_entry t;
	size_t i, n = 0, k = 0;
	int gi;
	bool ok;
	struct cidr c;

	tf_str(x, r, r->v, NULL, "security_group_rule_id", r->addr, &rid);
	if (rid)
		awsj_path_fmt(path, sizeof(path), "%s (%s)", r->addr, rid);
	else
		awsj_path_fmt(path, sizeof(path), "%s", r->addr);
	r->addr = path;
	gi = tf_rule_group(x, r, &gid);
	memset(&t, 0, sizeof(t));
	t.egress = egress;
	t.group = gi < 0 ? 0 : (uint32_t)gi;
	iac_at(x, r->res, NULL);
	t.origin = (struct rule_origin){ x->l.file, x->l.line, 0 };
	ok = tf_sg_ports(x, r, r->v, r->unk, path, "ip_protocol", &t, false) == 0 && gi >= 0;
	if (tf_str(x, r, r->v, r->unk, "description", path, &desc) == FIELD_BAD ||
	    (desc && awsj_check_text(&x->l, path, "description", desc) < 0))
		ok = false;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		int got = tf_str(x, r, r->v, r->unk, keys[i], path, &v);

		if (got == FIELD_BAD)
			return;
		if (got == FIELD_OK) {
			n++;
			k = i;
			val = v;
		}
	}
	if (n != 1) {
		iac_error(x, r->v, r->res, path, n ? "gives more than one of cidr_ipv4, cidr_ipv6, prefix_list_id and referenced_security_group_id" :
			  "allows nothing: no cidr_ipv4, cidr_ipv6, prefix_list_id or referenced_security_group_id");
		return;
	}
	iac_at(x, json_object_get(r->v, keys[k]), r->res);
	if (k < 2) {
		if (awsj_parse_cidr(&x->l, path, keys[k], val, k ? AF_INET6 : AF_INET, &c) == 0 && ok)
			awsj_sg_emit(&x->l, path, &t, &c, desc, NULL);
	} else {
		awsj_sg_ref(&x->l, path, &t, ok, k == 2 ? "prefix list" : "security-group reference",
			    val, desc);
	}
}

/* ---- network ACLs ------------------------------------------------------------- */

/*
 * One entry: rule number, action, protocol, CIDR, ports, ICMP. The provider
 * sends PortRange from from_port/to_port and, for ICMP (1, 58), IcmpTypeCode
 * from icmp_type/icmp_code, which default to 0 (not -1, "all").
 */
static void tf_nacl_entry(struct iac *x, const struct tfres *r, const json_t *o,
			  const json_t *unk, const char *path, bool egress,
			  const char *num_key, const char *act_key)
{
	struct nacl_entry ne;
	long long num = 0, from = 0, to = 0, type = 0, code = 0;
	const char *act = NULL, *v4 = NULL, *v6 = NULL;
	int proto = 0, rf, rt, bad = 0, r4, r6;

	memset(&ne, 0, sizeof(ne));
	ne.egress = egress;
	if (awsj_need(&x->l, path, num_key, tf_int(x, r, o, unk, num_key, path, &num)) < 0)
		bad = 1;
	else if (num < NACL_RULE_MIN || num > NACL_RULE_MAX) {
		awsj_error(&x->l, path, "%s %lld is out of range 1-32766", num_key, num);
		bad = 1;
	}
	ne.number = (uint32_t)num;
	if (awsj_need(&x->l, path, act_key, tf_str(x, r, o, unk, act_key, path, &act)) < 0)
		bad = 1;
	else if (strcasecmp(act, "allow") && strcasecmp(act, "deny")) {
		awsj_error(&x->l, path, "%s \"%.20s\" must be \"allow\" or \"deny\"", act_key, act);
		bad = 1;
	}
	ne.allow = act && !strcasecmp(act, "allow");
	if (tf_proto(x, r, o, unk, "protocol", path, &proto) < 0)
		bad = 1;
	ne.proto = (int16_t)proto;
	r4 = tf_str(x, r, o, unk, "cidr_block", path, &v4);
	r6 = tf_str(x, r, o, unk, "ipv6_cidr_block", path, &v6);
	if (r4 == FIELD_BAD || r6 == FIELD_BAD) {
		bad = 1;
	} else if ((r4 == FIELD_OK) == (r6 == FIELD_OK)) {
		iac_error(x, o, r->res, path, "give exactly one of cidr_block and ipv6_cidr_block");
		bad = 1;
	} else {
		iac_at(x, json_object_get(o, v4 ? "cidr_block" : "ipv6_cidr_block"), o);
		bad |= -awsj_parse_cidr(&x->l, path, v4 ? "cidr_block" : "ipv6_cidr_block",
					v4 ? v4 : v6, v4 ? AF_INET : AF_INET6, &ne.cidr);
	}
	rf = tf_int(x, r, o, unk, "from_port", path, &from);
	rt = tf_int(x, r, o, unk, "to_port", path, &to);
	if (tf_int(x, r, o, unk, "icmp_type", path, &type) == FIELD_BAD ||
	    tf_int(x, r, o, unk, "icmp_code", path, &code) == FIELD_BAD ||
	    rf == FIELD_BAD || rt == FIELD_BAD)
		bad = 1;
	if (bad)
		return;
	iac_at(x, o, r->res);
	if (iac_nacl_l4(x, path, &ne, "from_port", "to_port", from, to,
			rf == FIELD_OK && rt == FIELD_OK, "icmp_type", "icmp_code",
			type, code, true) < 0)
		return;
	iac_nacl_add(x, o, path, &ne);
}

static bool tf_nacl_begin(struct iac *x, const struct tfres *r, const char *id)
{
	return iac_nacl_begin(x, r->res, r->addr, id, r->addr);
}

static void tf_nacl(struct iac *x, struct tfres *r)
{
	static const char *const keys[] = { "ingress", "egress" };
	char path[PATH_LEN];
	const json_t *a, *b, *unk;
	size_t i, k;
	bool bad = false;

	tf_id(x, r);
	if (!tf_nacl_begin(x, r, r->id))
		return;
	for (k = 0; k < 2; k++) {
		unk = r->unk ? json_object_get(r->unk, keys[k]) : NULL;
		a = tf_get(x, r, r->v, r->unk, keys[k], r->addr, &bad);
		if (!a)
			continue;
		if (!json_is_array(a)) {
			iac_error(x, a, r->res, r->addr, "%s must be a list of blocks", keys[k]);
			continue;
		}
		json_array_foreach(a, i, b) {
			awsj_path_fmt(path, sizeof(path), "%s.%s[%zu]", r->addr, keys[k], i);
			if (!json_is_object(b)) {
				iac_error(x, b, a, path, "must be a block (an object)");
				continue;
			}
			tf_nacl_entry(x, r, b, json_is_array(unk) ? json_array_get(unk, i) : unk,
				      path, k == 1, "rule_no", "action");
		}
	}
}

static void tf_nacl_rule(struct iac *x, struct tfres *r)
{
	const char *id = NULL;
	bool egress = false;

	if (tf_str(x, r, r->v, r->unk, "network_acl_id", r->addr, &id) != FIELD_OK) {
		if (!json_is_true(json_object_get(r->unk, "network_acl_id")))
			iac_error(x, r->v, r->res, r->addr, "network_acl_id is missing");
		return;
	}
	if (tf_bool(x, r, r->v, r->unk, "egress", r->addr, &egress) == FIELD_BAD ||
	    !tf_nacl_begin(x, r, id))
		return;
	tf_nacl_entry(x, r, r->v, r->unk, r->addr, egress, "rule_number", "rule_action");
}

/* ---- modules ------------------------------------------------------------------ */

/* A plan's after_unknown for a resource address, or NULL. */
static const json_t *tf_unknowns(const json_t *changes, const char *addr)
{
	const json_t *c;
	size_t i;

	json_array_foreach(changes, i, c)
		if (json_is_string(json_object_get(c, "address")) &&
		    !strcmp(json_string_value(json_object_get(c, "address")), addr))
			return json_object_get(json_object_get(c, "change"), "after_unknown");
	return NULL;
}

static void tf_resource(struct iac *x, const json_t *res, const json_t *changes)
{
	struct tfres r;
	unsigned take = 0;
	int kind = tf_type(res, &take);

	if (!kind || !(take & x->take))
		return;
	memset(&r, 0, sizeof(r));
	r.res = res;
	r.addr = json_string_value(json_object_get(res, "address"));
	if (!r.addr)
		r.addr = "?";
	r.v = json_object_get(res, "values");
	r.unk = tf_unknowns(changes, r.addr);
	if (!json_is_object(r.v)) {
		iac_error(x, res, NULL, r.addr, "values is missing: not `terraform show -json` output");
		return;
	}
	switch (kind) {
	case TF_SG: tf_sg(x, &r); break;
	case TF_SG_RULE: tf_sg_rule(x, &r); break;
	case TF_VPC_SGR_IN: tf_vpc_sgr(x, &r, false); break;
	case TF_VPC_SGR_OUT: tf_vpc_sgr(x, &r, true); break;
	case TF_NACL: tf_nacl(x, &r); break;
	case TF_NACL_RULE: tf_nacl_rule(x, &r); break;
	}
}

typedef void module_fn(void *arg, const json_t *res);

static void tf_walk(const json_t *module, module_fn *fn, void *arg, int depth)
{
	const json_t *e;
	size_t i;

	if (!json_is_object(module) || depth > 64)
		return;
	json_array_foreach(json_object_get(module, "resources"), i, e)
		fn(arg, e);
	json_array_foreach(json_object_get(module, "child_modules"), i, e)
		tf_walk(e, fn, arg, depth + 1);
}

static const json_t *tf_root_module(const json_t *root)
{
	const json_t *v = json_object_get(root, "planned_values");

	if (!v)
		v = json_object_get(root, "values");
	return json_object_get(v, "root_module");
}

static void holds_one(void *arg, const json_t *res)
{
	unsigned take = 0;

	if (tf_type(res, &take))
		*(unsigned *)arg |= take;
}

unsigned tf_holds(const json_t *root)
{
	unsigned holds = 0;

	tf_walk(tf_root_module(root), holds_one, &holds, 0);
	return holds;
}

struct load_arg {
	struct iac *x;
	const json_t *changes;
};

static void load_one(void *arg, const json_t *res)
{
	struct load_arg *a = arg;

	tf_resource(a->x, res, a->changes);
}

void tf_load(struct iac *x)
{
	const json_t *root = x->doc.root;
	struct load_arg a = { x, json_object_get(root, "resource_changes") };
	unsigned holds = tf_holds(root);

	if (!tf_root_module(root)) {
		iac_error(x, root, NULL, NULL, "no values.root_module or planned_values.root_module: a state or plan with no resources");
		return;
	}
	tf_walk(tf_root_module(root), load_one, &a, 0);
	iac_check_take(x, holds, "aws_network_acl, aws_default_network_acl or aws_network_acl_rule",
		       "aws_security_group, aws_default_security_group or a rule resource");
}
