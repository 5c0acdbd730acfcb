/*
 * Export to AWS CLI JSON (jansson): the inverse of aws_json_load_*. Keys
 * are inserted in the order the AWS CLI prints them (jansson keeps
 * insertion order), so a written file reads like a real export.
 *
 * Building a document checks no jansson call one by one: a failed
 * json_object_set_new() or json_array_append_new() (they take the value
 * and free it on failure) sets the builder's `bad` flag, and the document
 * is thrown away at the end.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_json_write.h"
#include "common.h"

struct builder {
	bool bad;		/* a jansson call failed: out of memory */
	bool not_utf8;		/* a string cannot go into JSON text */
};

/* Returns v, now owned by obj, or NULL once v is freed: later puts into it do nothing. */
static json_t *put(struct builder *b, json_t *obj, const char *key, json_t *v)
{
	if (obj && json_object_set_new(obj, key, v) == 0)
		return v;
	if (!obj)
		json_decref(v);
	b->bad = true;
	return NULL;
}

static void append(struct builder *b, json_t *arr, json_t *v)
{
	if (arr && json_array_append_new(arr, v) == 0)
		return;
	if (!arr)
		json_decref(v);
	b->bad = true;
}

/* JSON text is UTF-8: a name or description in another encoding is refused. */
static json_t *str(struct builder *b, const char *s)
{
	json_t *j = json_string(s);

	if (!j && (j = json_string_nocheck(s))) {
		json_decref(j);
		j = NULL;
		b->not_utf8 = true;
	}
	return j;
}

static json_t *cidr_json(const struct cidr *c)
{
	char buf[CIDR_STRLEN];

	return json_string(cidr_format(c, buf, sizeof(buf)));
}

/* The whole document, indented 4 like the CLI, with its final newline. */
static int dump(struct builder *b, json_t *root, FILE *out)
{
	int r;

	if (b->bad || b->not_utf8 || !root) {
		json_decref(root);
		errno = b->not_utf8 ? EILSEQ : ENOMEM;
		return -1;
	}
	errno = 0;
	r = json_dumpf(root, out, JSON_INDENT(4));
	json_decref(root);
	if (r == 0 && fputc('\n', out) != EOF && fflush(out) == 0 && !ferror(out))
		return 0;
	if (!errno)
		errno = EIO;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Network ACL                                                         */

/* NetworkAclEntry: Protocol is the number as a string, as AWS prints it. */
static json_t *nacl_entry_json(struct builder *b, const struct nacl_entry *e)
{
	json_t *o = json_object(), *pair;
	char proto[8];

	if (e->cidr.family == AF_INET)
		put(b, o, "CidrBlock", cidr_json(&e->cidr));
	put(b, o, "Egress", json_boolean(e->egress));
	if (e->proto == 1 || e->proto == 58) {
		pair = put(b, o, "IcmpTypeCode", json_object());
		put(b, pair, "Code", json_integer(e->icmp_code));
		put(b, pair, "Type", json_integer(e->icmp_type));
	}
	if (e->cidr.family == AF_INET6)
		put(b, o, "Ipv6CidrBlock", cidr_json(&e->cidr));
	if (e->proto == 6 || e->proto == 17) {
		pair = put(b, o, "PortRange", json_object());
		put(b, pair, "From", json_integer(e->port_from));
		put(b, pair, "To", json_integer(e->port_to));
	}
	snprintf(proto, sizeof(proto), "%d", e->proto);
	put(b, o, "Protocol", str(b, proto));
	put(b, o, "RuleAction", str(b, e->allow ? "allow" : "deny"));
	put(b, o, "RuleNumber", json_integer(e->number));
	return o;
}

/* AWS lists the egress entries first, each direction by ascending number. */
static int nacl_order(const void *a, const void *b)
{
	const struct nacl_entry *x = *(const struct nacl_entry *const *)a;
	const struct nacl_entry *y = *(const struct nacl_entry *const *)b;

	if (x->egress != y->egress)
		return x->egress ? -1 : 1;
	return (x->number > y->number) - (x->number < y->number);
}

/* The '*' entries the compiler adds; the model never holds them. */
static void nacl_stars(struct builder *b, json_t *entries, bool egress)
{
	struct nacl_entry star;
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		memset(&star, 0, sizeof(star));
		star.number = v6 ? NACL_STAR_V6 : NACL_STAR_V4;
		star.egress = egress;
		star.proto = PROTO_ALL;
		star.cidr.family = v6 ? AF_INET6 : AF_INET;
		append(b, entries, nacl_entry_json(b, &star));
	}
}

static json_t *nacl_entries(struct builder *b, const struct ruleset *rs)
{
	const struct nacl_entry **v = calloc(rs->n_nacl + 1, sizeof(*v));
	json_t *entries = json_array();
	size_t i = 0, k;
	int egress;

	if (!v) {
		b->bad = true;
		return entries;
	}
	for (k = 0; k < rs->n_nacl; k++)
		v[k] = &rs->nacl[k];
	qsort(v, rs->n_nacl, sizeof(*v), nacl_order);
	for (egress = 1; egress >= 0; egress--) {
		for (; i < rs->n_nacl && v[i]->egress == egress; i++)
			append(b, entries, nacl_entry_json(b, v[i]));
		nacl_stars(b, entries, egress);
	}
	free(v);
	return entries;
}

int aws_json_write_nacl(const struct ruleset *rs, FILE *out)
{
	struct builder b = { false };
	json_t *root, *acls, *acl;

	if (!rs->has_nacl || !rs->nacl_id) {
		errno = EINVAL;
		return -1;
	}
	root = json_object();
	acls = put(&b, root, "NetworkAcls", json_array());
	acl = json_object();
	append(&b, acls, acl);
	put(&b, acl, "Associations", json_array());
	put(&b, acl, "Entries", nacl_entries(&b, rs));
	put(&b, acl, "IsDefault", json_false());
	put(&b, acl, "NetworkAclId", str(&b, rs->nacl_id));
	put(&b, acl, "Tags", json_array());
	return dump(&b, root, out);
}

/* ------------------------------------------------------------------ */
/* Security groups                                                     */

/* The permission a rule belongs to: AWS keys one by protocol and ports. */
static bool has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 1 || proto == 58;
}

static bool same_perm(const struct sg_entry *x, const struct sg_entry *y)
{
	if (x->group != y->group || x->egress != y->egress || x->proto != y->proto)
		return false;
	return !has_ports(x->proto) || (x->from == y->from && x->to == y->to);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Which reference list an id belongs to, or NULL: then it is written as CIDRs. */
static const char *ref_list(const char *ref)
{
	if (!ref)
		return NULL;
	if (!strncmp(ref, "sg-", 3))
		return "UserIdGroupPairs";
	if (!strncmp(ref, "pl-", 3))
		return "PrefixListIds";
	return NULL;
}

/* One --map reference expands into several rules; it is written once. */
static bool ref_seen(const struct ruleset *rs, size_t first, size_t k)
{
	const struct sg_entry *e = &rs->sg[k];
	size_t i;

	for (i = first; i < k; i++)
		if (same_perm(&rs->sg[i], e) && same_str(rs->sg[i].ref, e->ref) &&
		    same_str(rs->sg[i].description, e->description))
			return true;
	return false;
}

/* The four peer lists of a permission, filled in rule order. */
struct peers {
	json_t *v4, *v6, *groups, *prefixes;
};

static void peer_add(struct builder *b, const struct ruleset *rs, size_t first,
		     size_t k, struct peers *p)
{
	const struct sg_entry *e = &rs->sg[k];
	const char *list = ref_list(e->ref);
	json_t *item = json_object();
	bool pl = list && list[0] == 'P';

	if (list && ref_seen(rs, first, k)) {
		json_decref(item);
		return;
	}
	if (!list)
		put(b, item, e->cidr.family == AF_INET ? "CidrIp" : "CidrIpv6",
		    cidr_json(&e->cidr));
	if (e->description)
		put(b, item, "Description", str(b, e->description));
	if (list)
		put(b, item, pl ? "PrefixListId" : "GroupId", str(b, e->ref));
	append(b, !list ? (e->cidr.family == AF_INET ? p->v4 : p->v6) :
		  pl ? p->prefixes : p->groups, item);
}

static void perm_proto(const struct sg_entry *e, char *buf, size_t len)
{
	static const char *const names[] = {
		[1] = "icmp", [6] = "tcp", [17] = "udp", [58] = "icmpv6",
	};

	if (e->proto >= 0 && (size_t)e->proto < ARRAY_SIZE(names) && names[e->proto])
		snprintf(buf, len, "%s", names[e->proto]);
	else
		snprintf(buf, len, "%d", e->proto);
}

/*
 * IpPermission in the CLI's key order. FromPort/ToPort: TCP/UDP ports
 * (every port is 0-65535, as the console writes "All TCP"), ICMP type and
 * code with -1 for all; absent for -1 and other protocols, as AWS prints.
 */
static json_t *perm_json(struct builder *b, const struct sg_entry *e,
			 struct peers *p)
{
	bool tcpudp = e->proto == 6 || e->proto == 17;
	bool all = tcpudp && (e->from < 0 || e->to < 0);
	json_t *o = json_object();
	char proto[8];

	perm_proto(e, proto, sizeof(proto));
	if (has_ports(e->proto))
		put(b, o, "FromPort", json_integer(all ? 0 : e->from));
	put(b, o, "IpProtocol", str(b, proto));
	put(b, o, "IpRanges", p->v4);
	put(b, o, "Ipv6Ranges", p->v6);
	put(b, o, "PrefixListIds", p->prefixes);
	if (has_ports(e->proto))
		put(b, o, "ToPort", json_integer(all ? 65535 : e->to));
	put(b, o, "UserIdGroupPairs", p->groups);
	return o;
}

/* Has rule k's permission been written already (an earlier rule of it)? */
static bool perm_seen(const struct ruleset *rs, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (same_perm(&rs->sg[i], &rs->sg[k]))
			return true;
	return false;
}

static json_t *perm_list(struct builder *b, const struct ruleset *rs,
			 uint32_t group, bool egress)
{
	json_t *perms = json_array();
	size_t i, k;

	for (i = 0; i < rs->n_sg; i++) {
		const struct sg_entry *e = &rs->sg[i];
		struct peers p;

		if (e->group != group || e->egress != egress || perm_seen(rs, i))
			continue;
		p = (struct peers){ json_array(), json_array(), json_array(), json_array() };
		for (k = i; k < rs->n_sg; k++)
			if (same_perm(&rs->sg[k], e))
				peer_add(b, rs, i, k, &p);
		append(b, perms, perm_json(b, e, &p));
	}
	return perms;
}

static json_t *group_json(struct builder *b, const struct ruleset *rs, uint32_t g)
{
	const struct sg_group *grp = &rs->groups[g];
	json_t *o = json_object();

	put(b, o, "Description", str(b, grp->name ? grp->name : grp->id));
	if (grp->name)
		put(b, o, "GroupName", str(b, grp->name));
	put(b, o, "IpPermissions", perm_list(b, rs, g, false));
	put(b, o, "GroupId", str(b, grp->id));
	put(b, o, "IpPermissionsEgress", perm_list(b, rs, g, true));
	put(b, o, "Tags", json_array());
	return o;
}

int aws_json_write_sg(const struct ruleset *rs, FILE *out)
{
	struct builder b = { false };
	json_t *root = json_object(), *groups;
	size_t g;

	groups = put(&b, root, "SecurityGroups", json_array());
	for (g = 0; g < rs->n_groups; g++)
		append(&b, groups, group_json(&b, rs, (uint32_t)g));
	return dump(&b, root, out);
}
