/*
 * Import of `aws ec2 describe-security-groups` output and of the flat
 * `describe-security-group-rules` form: each permission expands into one
 * sg_entry row per peer, sg-/pl- references through --map.
 */
#include <jansson.h>
#include <string.h>

#include "aws_json_int.h"
#include "rules.h"

/* One permission (or flat rule) being expanded into sg_entry rows. */
struct perm {
	struct sg_entry t;	/* egress, proto, ports, group, origin */
	bool ok;		/* group and ports valid: rows may be added */
	size_t n_peers;		/* peers seen, valid or not */
};

/* Where a permission's peers come from; family 0: an id for --map. */
struct peer_kind {
	const char *list;	/* IpRanges, or NULL in the flat form */
	const char *key;	/* CidrIp */
	int family;
	const char *what;	/* ids: "security-group reference" */
};

static const struct peer_kind peer_lists[] = {
	{ "IpRanges", "CidrIp", AF_INET, NULL },
	{ "Ipv6Ranges", "CidrIpv6", AF_INET6, NULL },
	{ "UserIdGroupPairs", "GroupId", 0, "security-group reference" },
	{ "PrefixListIds", "PrefixListId", 0, "prefix list" },
};

static const struct peer_kind flat_peers[] = {
	{ NULL, "CidrIpv4", AF_INET, NULL },
	{ NULL, "CidrIpv6", AF_INET6, NULL },
	{ NULL, "PrefixListId", 0, "prefix list" },
	{ NULL, "ReferencedGroupInfo", 0, "security-group reference" },
};

void awsj_sg_emit(struct loader *l, const char *path, const struct sg_entry *t,
		  const struct cidr *c, const char *desc, const char *ref)
{
	struct sg_entry e = *t;

	e.cidr = *c;
	e.description = (char *)desc;
	e.ref = (char *)ref;
	if (ruleset_add_sg(l->rs, &e) < 0)
		awsj_oom(l, path);
}

static void sg_add(struct loader *l, const char *path, const struct perm *p,
		   const struct cidr *c, const char *desc, const char *ref)
{
	awsj_sg_emit(l, path, &p->t, c, desc, ref);
}

/* TCP/UDP need a range; -1/-1 is read as every port, stored 0-65535. */
static int perm_tcpudp(struct loader *l, const char *path, struct sg_entry *t,
		       const char *fn, const char *tn, int rf, int rt,
		       long long from, long long to)
{
	if (rf == FIELD_ABSENT && rt == FIELD_ABSENT) {
		awsj_error(l, path, "%s needs %s and %s (0-65535)",
			   awsj_proto_label(t->proto), fn, tn);
		return -1;
	}
	if (awsj_need(l, path, fn, rf) < 0 || awsj_need(l, path, tn, rt) < 0)
		return -1;
	if (from == -1 && to == -1) {
		from = 0;
		to = 65535;
	} else if (from == -1 || to == -1) {
		awsj_error(l, path, "%s %lld with %s %lld: -1 (all ports) goes in both",
			   fn, from, tn, to);
		return -1;
	}
	if (awsj_check_ports(l, path, fn, tn, from, to) < 0)
		return -1;
	t->from = (int32_t)from;
	t->to = (int32_t)to;
	return 0;
}

/* ICMP: FromPort is the type, ToPort the code; icmpv6 may leave both out. */
static int perm_icmp(struct loader *l, const char *path, struct sg_entry *t,
		     const char *fn, const char *tn, int rf, int rt,
		     long long type, long long code)
{
	if (rf == FIELD_ABSENT && rt == FIELD_ABSENT) {
		if (t->proto == 58)
			return 0;
		awsj_error(l, path, "icmp needs %s (the ICMP type) and %s (the code); -1 means all",
			   fn, tn);
		return -1;
	}
	if (awsj_need(l, path, fn, rf) < 0 || awsj_need(l, path, tn, rt) < 0 ||
	    awsj_check_icmp(l, path, fn, tn, type, code) < 0)
		return -1;
	t->from = (int32_t)type;
	t->to = (int32_t)code;
	return 0;
}

static int perm_proto_ports(struct loader *l, const char *path, const json_t *o,
			    struct sg_entry *t)
{
	long long from = 0, to = 0;
	int proto, rf, rt;

	if (awsj_parse_proto(l, path, o, "IpProtocol", &proto) < 0)
		return -1;
	t->proto = (int16_t)proto;
	t->from = t->to = -1;
	rf = awsj_get_int(l, path, o, "", "FromPort", &from);
	rt = awsj_get_int(l, path, o, "", "ToPort", &to);
	if (rf == FIELD_BAD || rt == FIELD_BAD)
		return -1;
	return awsj_sg_ports(l, path, t, "FromPort", "ToPort", rf, rt, from, to);
}

int awsj_sg_ports(struct loader *l, const char *path, struct sg_entry *t,
		  const char *fn, const char *tn, int rf, int rt,
		  long long from, long long to)
{
	t->from = t->to = -1;
	if (t->proto == 6 || t->proto == 17)
		return perm_tcpudp(l, path, t, fn, tn, rf, rt, from, to);
	if (t->proto == 1 || t->proto == 58)
		return perm_icmp(l, path, t, fn, tn, rf, rt, from, to);
	return 0;	/* -1 and other protocols: every port, as AWS */
}

/* One peer: a CIDR, or an sg-/pl- id that --map must give addresses. */
static void sg_peer(struct loader *l, const char *path, struct perm *p,
		    const struct peer_kind *k, const char *value, const char *desc)
{
	struct cidr c;

	if (k->family) {
		if (awsj_parse_cidr(l, path, k->key, value, k->family, &c) == 0 && p->ok)
			sg_add(l, path, p, &c, desc, NULL);
		return;
	}
	awsj_sg_ref(l, path, &p->t, p->ok, k->what, value, desc);
}

void awsj_sg_ref(struct loader *l, const char *path, const struct sg_entry *t,
		 bool ok, const char *what, const char *id, const char *desc)
{
	const struct aws_map_entry *m = l->map ? aws_map_find(l->map, id) : NULL;
	size_t i;

	if (!m) {
		awsj_error(l, path, "%s %.60s has no addresses on a single host; give --map %.60s=CIDR[,CIDR...]",
			   what, id, id);
		return;
	}
	for (i = 0; ok && i < m->n; i++)
		awsj_sg_emit(l, path, t, &m->cidrs[i], desc, id);
}

static void sg_peer_list(struct loader *l, const char *ppath, const json_t *o,
			 struct perm *p, const struct peer_kind *k)
{
	char path[PATH_LEN];
	const char *value, *desc;
	json_t *a, *item;
	size_t i;
	bool bad;

	a = awsj_get_array(l, ppath, o, k->list, &bad);
	json_array_foreach(a, i, item) {
		awsj_path_fmt(path, sizeof(path), "%s.%s[%zu]", ppath, k->list, i);
		p->n_peers++;
		if (!json_is_object(item)) {
			awsj_error(l, path, "must be an object");
			continue;
		}
		if (awsj_need_str(l, path, item, k->key, &value) < 0 ||
		    awsj_get_text(l, path, item, "Description", &desc) == FIELD_BAD)
			continue;
		sg_peer(l, path, p, k, value, desc);
	}
	if (bad)
		p->n_peers++;	/* reported already; not "allows nothing" too */
}

static void sg_perm(struct loader *l, const char *path, const json_t *o,
		    struct perm *p)
{
	size_t i;

	if (!json_is_object(o)) {
		awsj_error(l, path, "must be an object");
		return;
	}
	if (perm_proto_ports(l, path, o, &p->t) < 0)
		p->ok = false;
	for (i = 0; i < ARRAY_SIZE(peer_lists); i++)
		sg_peer_list(l, path, o, p, &peer_lists[i]);
	if (p->n_peers == 0)
		awsj_error(l, path, "allows nothing: no IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds");
}

static void sg_perm_list(struct loader *l, const char *gpath, const json_t *g,
			 const char *key, bool egress, int group)
{
	char path[PATH_LEN];
	json_t *a, *o;
	size_t i;
	bool bad;

	a = awsj_get_array(l, gpath, g, key, &bad);
	json_array_foreach(a, i, o) {
		struct perm p;

		memset(&p, 0, sizeof(p));
		p.t.egress = egress;
		p.t.group = group < 0 ? 0 : (uint32_t)group;
		p.t.origin = (struct rule_origin){ l->file, 0, (unsigned)i };
		p.ok = group >= 0;
		awsj_path_fmt(path, sizeof(path), "%s.%s[%zu]", gpath, key, i);
		sg_perm(l, path, o, &p);
	}
}

/*
 * The same group seen again (another file, a flat rule) shares its index;
 * the flat form carries no GroupName, so a later name fills the gap.
 */
int awsj_sg_group(struct loader *l, const char *path, const char *id,
		    const char *name)
{
	struct sg_group *sg;
	size_t i;
	int g;

	if (!rules_id_printable(id)) {
		awsj_error(l, path, "GroupId \"%s\" is not a security group id (sg-0abc or a name: letters, digits, '-', '_', '.')", id);
		return -1;
	}
	for (i = 0; i < l->rs->n_groups; i++) {
		sg = &l->rs->groups[i];
		if (strcmp(sg->id, id))
			continue;
		if (!sg->name && name && !(sg->name = strdup(name)))
			awsj_oom(l, path);
		return (int)i;
	}
	g = ruleset_add_group(l->rs, id, name);
	if (g < 0)
		awsj_oom(l, path);
	return g;
}

void awsj_sg_load(struct loader *l, const json_t *groups)
{
	char path[PATH_LEN];
	const char *id, *name;
	json_t *g;
	size_t i;

	if (!json_is_array(groups)) {
		awsj_bad_type(l, NULL, "", "SecurityGroups", groups, "an array");
		return;
	}
	json_array_foreach(groups, i, g) {
		int gi = -1;

		awsj_path_fmt(path, sizeof(path), "SecurityGroups[%zu]", i);
		if (!json_is_object(g)) {
			awsj_error(l, path, "must be an object");
			continue;
		}
		if (awsj_need_str(l, path, g, "GroupId", &id) == 0 &&
		    awsj_get_text(l, path, g, "GroupName", &name) != FIELD_BAD)
			gi = awsj_sg_group(l, path, id, name);
		sg_perm_list(l, path, g, "IpPermissions", false, gi);
		sg_perm_list(l, path, g, "IpPermissionsEgress", true, gi);
	}
}

/* describe-security-group-rules: one peer per rule, in one of four fields. */
static int sgr_value(struct loader *l, const char *path, const json_t *r,
		     const struct peer_kind *k, const char **value)
{
	json_t *ref;

	if (strcmp(k->key, "ReferencedGroupInfo"))
		return awsj_need_str(l, path, r, k->key, value);
	ref = awsj_field(r, k->key);
	if (!json_is_object(ref))
		return awsj_bad_type(l, path, "", k->key, ref, "an object");
	if (awsj_get_str(l, path, ref, "GroupId", value) == FIELD_OK)
		return 0;
	if (!awsj_field(ref, "GroupId"))
		awsj_error(l, path, "ReferencedGroupInfo.GroupId is missing");
	return -1;
}

static void sgr_peer(struct loader *l, const char *path, const json_t *r,
		     struct perm *p)
{
	const struct peer_kind *k = NULL;
	const char *value, *desc;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(flat_peers); i++)
		if (awsj_field(r, flat_peers[i].key)) {
			k = &flat_peers[i];
			n++;
		}
	if (n == 0)
		awsj_error(l, path, "allows nothing: no CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo");
	else if (n > 1)
		awsj_error(l, path, "gives more than one of CidrIpv4, CidrIpv6, PrefixListId and ReferencedGroupInfo");
	else if (sgr_value(l, path, r, k, &value) == 0 &&
		 awsj_get_text(l, path, r, "Description", &desc) != FIELD_BAD)
		sg_peer(l, path, p, k, value, desc);
}

void awsj_sgr_load(struct loader *l, const json_t *rules)
{
	char path[PATH_LEN];
	const char *id, *rid;
	json_t *r;
	size_t i;

	if (!json_is_array(rules)) {
		awsj_bad_type(l, NULL, "", "SecurityGroupRules", rules, "an array");
		return;
	}
	json_array_foreach(rules, i, r) {
		struct perm p;
		int gi = -1;

		memset(&p, 0, sizeof(p));
		awsj_path_fmt(path, sizeof(path), "SecurityGroupRules[%zu]", i);
		if (!json_is_object(r)) {
			awsj_error(l, path, "must be an object");
			continue;
		}
		if (json_is_string(awsj_field(r, "SecurityGroupRuleId"))) {
			rid = json_string_value(awsj_field(r, "SecurityGroupRuleId"));
			awsj_path_fmt(path, sizeof(path), "SecurityGroupRules[%zu] (%.60s)",
				      i, rid);
		}
		if (awsj_need_str(l, path, r, "GroupId", &id) == 0)
			gi = awsj_sg_group(l, path, id, NULL);
		p.ok = awsj_need_bool(l, path, r, "IsEgress", &p.t.egress) == 0 && gi >= 0;
		p.t.group = gi < 0 ? 0 : (uint32_t)gi;
		p.t.origin = (struct rule_origin){ l->file, 0, (unsigned)i };
		if (perm_proto_ports(l, path, r, &p.t) < 0)
			p.ok = false;
		sgr_peer(l, path, r, &p);
	}
}
