/*
 * Import of `aws ec2 describe-network-acls` output: exactly one network
 * ACL per subnet, its numbered entries checked field by field and rule
 * numbers checked to be unique per direction.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws_json_int.h"
#include "rules.h"

enum { ENTRY_BAD = -1, ENTRY_OK = 0, ENTRY_STAR = 1 };

struct nacl_key {
	uint32_t number;
	bool egress;
	unsigned index;
};

/* Both members of a pair object (PortRange, IcmpTypeCode): 0, or -1 reported. */
static int get_pair(struct loader *l, const char *path, const json_t *obj,
		    const char *pfx, const char *k1, const char *k2,
		    long long *v1, long long *v2)
{
	int r1 = awsj_get_int(l, path, obj, pfx, k1, v1);
	int r2 = awsj_get_int(l, path, obj, pfx, k2, v2);

	if (r1 == FIELD_ABSENT)
		awsj_error(l, path, "%s%s is missing", pfx, k1);
	if (r2 == FIELD_ABSENT)
		awsj_error(l, path, "%s%s is missing", pfx, k2);
	return r1 == FIELD_OK && r2 == FIELD_OK ? 0 : -1;
}

static void nacl_path(char *buf, size_t len, size_t acl, size_t idx,
		      const json_t *e)
{
	json_t *num = json_object_get(e, "RuleNumber");
	json_t *eg = json_object_get(e, "Egress");
	int n = snprintf(buf, len, "NetworkAcls[%zu].Entries[%zu]", acl, idx);

	if (!json_is_integer(num))
		return;
	snprintf(buf + n, len - n, " (rule %" JSON_INTEGER_FORMAT "%s)",
		 json_integer_value(num),
		 !json_is_boolean(eg) ? "" : json_is_true(eg) ? " egress" : " ingress");
}

/*
 * 32767 and 32768 are the '*' entries; the compiler adds them, so they are
 * only checked to be what AWS prints, never taken from the file. Skipped
 * either way: a bad one gets one message, not one per field.
 */
static int nacl_star(struct loader *l, const char *path, const json_t *e,
		     long long num)
{
	bool v4 = num == NACL_STAR_V4;
	const char *key = v4 ? "CidrBlock" : "Ipv6CidrBlock";
	json_t *act = awsj_field(e, "RuleAction"), *cj = awsj_field(e, key);
	long long proto;
	struct cidr c;

	if (json_is_string(act) && !strcasecmp(json_string_value(act), "deny") &&
	    awsj_proto_value(awsj_field(e, "Protocol"), &proto) == 0 && proto == PROTO_ALL &&
	    json_is_string(cj) && cidr_parse(json_string_value(cj), &c) == 0 &&
	    c.family == (v4 ? AF_INET : AF_INET6) && cidr_is_any(&c) &&
	    !awsj_field(e, v4 ? "Ipv6CidrBlock" : "CidrBlock"))
		return ENTRY_STAR;
	awsj_error(l, path, "rule %lld is the %s '*' entry: AWS prints it as deny, Protocol -1, %s %s",
		   num, v4 ? "IPv4" : "IPv6", key, v4 ? "0.0.0.0/0" : "::/0");
	return ENTRY_STAR;
}

static int nacl_head(struct loader *l, const char *path, const json_t *e,
		     struct nacl_entry *ne)
{
	long long num = 0;
	int r = awsj_need(l, path, "RuleNumber",
			  awsj_get_int(l, path, e, "", "RuleNumber", &num));

	if (awsj_need_bool(l, path, e, "Egress", &ne->egress) < 0 || r < 0)
		return ENTRY_BAD;
	if (num == NACL_STAR_V4 || num == NACL_STAR_V6)
		return nacl_star(l, path, e, num);
	if (num < NACL_RULE_MIN || num > NACL_RULE_MAX) {
		awsj_error(l, path, "RuleNumber %lld is out of range: use 1-32766 (32767 and 32768 are the '*' entries)",
			   num);
		return ENTRY_BAD;
	}
	ne->number = (uint32_t)num;
	return ENTRY_OK;
}

static int nacl_action(struct loader *l, const char *path, const json_t *e,
		       struct nacl_entry *ne)
{
	const char *s;

	if (awsj_need_str(l, path, e, "RuleAction", &s) < 0)
		return -1;
	if (!strcasecmp(s, "allow") || !strcasecmp(s, "deny")) {
		ne->allow = !strcasecmp(s, "allow");
		return 0;
	}
	awsj_error(l, path, "RuleAction \"%.40s\" must be \"allow\" or \"deny\"", s);
	return -1;
}

static int nacl_cidr(struct loader *l, const char *path, const json_t *e,
		     struct nacl_entry *ne)
{
	const char *v4, *v6;
	int r4 = awsj_get_str(l, path, e, "CidrBlock", &v4);
	int r6 = awsj_get_str(l, path, e, "Ipv6CidrBlock", &v6);

	if (r4 == FIELD_BAD || r6 == FIELD_BAD)
		return -1;
	if (r4 == FIELD_OK && r6 == FIELD_OK) {
		awsj_error(l, path, "CidrBlock and Ipv6CidrBlock are both given: give exactly one");
		return -1;
	}
	if (r4 == FIELD_OK)
		return awsj_parse_cidr(l, path, "CidrBlock", v4, AF_INET, &ne->cidr);
	if (r6 == FIELD_OK)
		return awsj_parse_cidr(l, path, "Ipv6CidrBlock", v6, AF_INET6, &ne->cidr);
	awsj_error(l, path, "CidrBlock and Ipv6CidrBlock are both missing: give exactly one");
	return -1;
}

static int nacl_ports(struct loader *l, const char *path, const json_t *e,
		      struct nacl_entry *ne)
{
	json_t *pr = awsj_field(e, "PortRange");
	long long from, to;

	if (pr && !json_is_object(pr))
		return awsj_bad_type(l, path, "", "PortRange", pr, "an object");
	if (!pr || json_object_size(pr) == 0) {
		awsj_error(l, path, "protocol %d (%s) needs a PortRange with From and To",
			   ne->proto, awsj_proto_label(ne->proto));
		return -1;
	}
	if (get_pair(l, path, pr, "PortRange.", "From", "To", &from, &to) < 0 ||
	    awsj_check_ports(l, path, "PortRange.From", "PortRange.To", from, to) < 0)
		return -1;
	ne->port_from = (uint16_t)from;
	ne->port_to = (uint16_t)to;
	return 0;
}

/* IcmpTypeCode absent or {} means every type and code. */
static int nacl_icmp(struct loader *l, const char *path, const json_t *e,
		     struct nacl_entry *ne)
{
	json_t *tc = awsj_field(e, "IcmpTypeCode");
	long long type, code;

	if (tc && !json_is_object(tc))
		return awsj_bad_type(l, path, "", "IcmpTypeCode", tc, "an object");
	if (!tc || json_object_size(tc) == 0)
		return 0;
	if (get_pair(l, path, tc, "IcmpTypeCode.", "Type", "Code", &type, &code) < 0 ||
	    awsj_check_icmp(l, path, "IcmpTypeCode.Type", "IcmpTypeCode.Code", type, code) < 0)
		return -1;
	ne->icmp_type = (int16_t)type;
	ne->icmp_code = (int16_t)code;
	return 0;
}

/*
 * Fields that do not apply are ignored, as AWS ignores them: ports are
 * stored as 0-65535 and ICMP type/code as -1/-1 (any).
 */
static int nacl_l4(struct loader *l, const char *path, const json_t *e,
		   struct nacl_entry *ne)
{
	ne->port_from = 0;
	ne->port_to = 65535;
	ne->icmp_type = ne->icmp_code = -1;
	if (ne->proto == 6 || ne->proto == 17)
		return nacl_ports(l, path, e, ne);
	if (ne->proto == 1 || (ne->proto == 58 && ne->cidr.family == AF_INET6))
		return nacl_icmp(l, path, e, ne);
	return 0;
}

static int nacl_entry_parse(struct loader *l, const char *path, const json_t *e,
			    struct nacl_entry *ne)
{
	int proto = 0, r, bad = 0, proto_bad, cidr_bad;

	if (!json_is_object(e)) {
		awsj_error(l, path, "must be an object");
		return ENTRY_BAD;
	}
	r = nacl_head(l, path, e, ne);
	if (r == ENTRY_STAR)
		return r;
	bad |= r;
	bad |= nacl_action(l, path, e, ne);
	proto_bad = awsj_parse_proto(l, path, e, "Protocol", &proto);
	ne->proto = (int16_t)proto;
	cidr_bad = nacl_cidr(l, path, e, ne);
	/* Ports of a bad entry are checked too: every problem in one pass. */
	if (proto_bad == 0 && (cidr_bad == 0 || ne->proto != 58))
		bad |= nacl_l4(l, path, e, ne);
	bad |= proto_bad | cidr_bad;
	return bad ? ENTRY_BAD : ENTRY_OK;
}

static int nacl_key_cmp(const void *a, const void *b)
{
	const struct nacl_key *x = a, *y = b;

	if (x->egress != y->egress)
		return x->egress - y->egress;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* A rule number is unique within one direction of one ACL. */
static void nacl_dups(struct loader *l, size_t acl, struct nacl_key *k, size_t n)
{
	char path[PATH_LEN];
	size_t i, first = 0;

	qsort(k, n, sizeof(*k), nacl_key_cmp);
	for (i = 1; i < n; i++) {
		if (k[i].egress != k[first].egress || k[i].number != k[first].number) {
			first = i;
			continue;
		}
		awsj_path_fmt(path, sizeof(path), "NetworkAcls[%zu].Entries[%u] (rule %u %s)",
			      acl, k[i].index, k[i].number, k[i].egress ? "egress" : "ingress");
		awsj_error(l, path, "rule number %u is already used in %s by NetworkAcls[%zu].Entries[%u]",
			   k[i].number, k[i].egress ? "egress" : "ingress", acl,
			   k[first].index);
	}
}

static void nacl_load_entries(struct loader *l, size_t acl, const json_t *entries,
			      bool keep)
{
	size_t n = json_array_size(entries), n_keys = 0, i;
	struct nacl_key *keys = calloc(n ? n : 1, sizeof(*keys));
	char path[PATH_LEN];
	json_t *e;

	if (!keys) {
		awsj_oom(l, NULL);
		return;
	}
	json_array_foreach(entries, i, e) {
		struct nacl_entry ne;

		memset(&ne, 0, sizeof(ne));
		nacl_path(path, sizeof(path), acl, i, e);
		if (nacl_entry_parse(l, path, e, &ne) != ENTRY_OK)
			continue;
		keys[n_keys++] = (struct nacl_key){ ne.number, ne.egress, (unsigned)i };
		ne.origin = (struct rule_origin){ l->file, 0, (unsigned)i };
		if (keep && ruleset_add_nacl(l->rs, &ne) < 0)
			awsj_oom(l, path);
	}
	nacl_dups(l, acl, keys, n_keys);
	free(keys);
}

static void nacl_load_acl(struct loader *l, size_t i, const json_t *acl, bool keep)
{
	char path[PATH_LEN];
	const char *id;
	json_t *entries;
	bool bad;

	awsj_path_fmt(path, sizeof(path), "NetworkAcls[%zu]", i);
	if (!json_is_object(acl)) {
		awsj_error(l, path, "must be an object");
		return;
	}
	if (awsj_need_str(l, path, acl, "NetworkAclId", &id) < 0) {
		keep = false;
	} else if (!rules_id_printable(id)) {
		awsj_error(l, path, "NetworkAclId \"%s\" is not a network ACL id (acl-0abc or a name: letters, digits, '-', '_', '.')", id);
		keep = false;
	}
	entries = awsj_get_array(l, path, acl, "Entries", &bad);
	if (!entries && !bad)
		awsj_error(l, path, "Entries is missing");
	if (keep) {
		l->rs->has_nacl = true;
		l->rs->nacl_id = strdup(id);
		if (!l->rs->nacl_id)
			awsj_oom(l, path);
	}
	if (entries)
		nacl_load_entries(l, i, entries, keep);
}

/* Lists the ACL ids of a file that holds more than one. */
static void nacl_too_many(struct loader *l, const json_t *acls)
{
	char ids[256] = "";
	size_t i, n = 0;
	json_t *a;

	json_array_foreach(acls, i, a) {
		json_t *id = json_object_get(a, "NetworkAclId");
		const char *s = json_is_string(id) ? json_string_value(id) : "?";

		if (n < sizeof(ids))
			n += snprintf(ids + n, sizeof(ids) - n, "%s%s", i ? ", " : "", s);
	}
	if (n >= sizeof(ids))
		strcpy(ids + sizeof(ids) - 4, "...");
	awsj_error(l, "NetworkAcls", "the file holds %zu network ACLs (%s); a subnet has exactly one network ACL; split the file",
		   json_array_size(acls), ids);
}

void awsj_nacl_load(struct loader *l, const json_t *acls)
{
	size_t n = json_array_size(acls), i;
	bool keep = true;
	json_t *a;

	if (!json_is_array(acls)) {
		awsj_bad_type(l, NULL, "", "NetworkAcls", acls, "an array");
		return;
	}
	if (n == 0) {
		awsj_error(l, "NetworkAcls", "the file holds no network ACL");
		return;
	}
	if (n > 1) {
		nacl_too_many(l, acls);
		keep = false;
	} else if (l->rs->has_nacl) {
		awsj_error(l, "NetworkAcls[0]", "network ACL %s is already loaded from another file; a subnet has exactly one network ACL",
			   l->rs->nacl_id ? l->rs->nacl_id : "?");
		keep = false;
	}
	json_array_foreach(acls, i, a)
		nacl_load_acl(l, i, a, keep);
}
