/*
 * vpcfw fetch: the rules AWS enforces for one EC2 instance, read through the
 * AWS CLI and written as one native rule file. The instance's interfaces
 * give its security groups and its subnet, the subnet its network ACL; the
 * groups' rules name other groups and prefix lists, which a single host
 * cannot know, so fetch asks for their addresses too (the members'
 * private addresses, the lists' entries) and hands them to the one loader
 * as --map would: the JSON is loaded exactly as `vpcfw convert` loads it,
 * and the library's printer writes the result, with comments naming where
 * each part came from.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_json.h"
#include "cmds.h"
#include "diag.h"
#include "exitcode.h"
#include "fetch_int.h"
#include "load.h"
#include "rules.h"
#include "ruleset.h"

#define ME "vpcfw fetch"
#define MAX_IDS 48		/* groups, lists or interfaces asked for in one call */

struct fetch {
	struct fetch_aws aws;
	const char *instance;
	const char *output;	/* -o FILE; NULL: standard output */
	json_t *inst;		/* describe-instances: the instance */
	json_t *enis;		/* describe-network-interfaces: its interfaces */
	json_t *primary;	/* the one of device index 0 */
	json_t *members;	/* describe-network-interfaces of the referenced groups */
	json_t *nacl;		/* describe-network-acls: the subnet's */
	char *sg_text, *nacl_text;
	size_t sg_len, nacl_len;
	const char *refs[MAX_IDS];	/* sg- ids the rules name, first seen first */
	size_t n_refs;
	const char *pls[MAX_IDS];	/* pl- ids */
	size_t n_pls;
	json_t *roots[8 + MAX_IDS];	/* every parsed answer, freed at the end */
	size_t n_roots;
	struct aws_map map;
	FILE *notes;		/* the header comment, built as we go */
	char *notes_text;
	size_t notes_len;
};

static int PRINTF_FMT(1, 2) usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, ME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: " ME " " CMD_FETCH_USAGE "\n");
	return EXIT_USAGE;
}

/* One comment line; AWS's strings may hold anything, a comment only text. */
static void PRINTF_FMT(2, 3) note(struct fetch *f, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(f->notes, "# %s\n", line);
}

/* An AWS id as the API writes them: PREFIX then letters and digits. */
static bool id_ok(const char *s, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (!s || strncmp(s, prefix, n) || !s[n] || strlen(s) > 64)
		return false;
	for (i = n; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- the calls -------------------------------------------------------- */

/*
 * One call; its JSON in *root (kept in f) and, when text is given, its
 * text. EXIT_OK, or the exit status with the message printed.
 */
static int call(struct fetch *f, const char *const *args, json_t **root,
		char **text, size_t *len)
{
	char why[2304], *out;
	json_error_t je;
	size_t n;

	if (fetch_aws_run(&f->aws, args, &out, &n, why, sizeof(why)) < 0) {
		fprintf(stderr, ME ": aws ec2 %s failed: %s\n", args[0],
			errno == ENOMEM ? strerror(errno) : why);
		return EXIT_SYSTEM;
	}
	*root = json_loadb(out, n, 0, &je);
	if (!*root || !json_is_object(*root)) {
		fprintf(stderr, ME ": aws ec2 %s: its output is not a JSON object "
			"(line %d: %s)\n", args[0], je.line, *root ? "not an object" : je.text);
		json_decref(*root);
		free(out);
		return EXIT_SYSTEM;
	}
	if (f->n_roots == ARRAY_SIZE(f->roots)) {	/* cannot be: MAX_IDS bounds the calls */
		json_decref(*root);
		free(out);
		return EXIT_SYSTEM;
	}
	f->roots[f->n_roots++] = *root;
	if (text) {
		*text = out;
		*len = n;
	} else {
		free(out);
	}
	return EXIT_OK;
}

/* A list argument of the CLI: the ids as separate words after the option. */
static void push_ids(const char **args, size_t *n, const char *const *ids, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		args[(*n)++] = ids[i];
	args[*n] = NULL;
}

/* "Name=KEY,Values=a,b,c" for --filters. */
static char *filter_arg(const char *key, const char *const *ids, size_t count)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	fprintf(m, "Name=%s,Values=", key);
	for (i = 0; i < count; i++)
		fprintf(m, "%s%s", i ? "," : "", ids[i]);
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int fetch_instance(struct fetch *f)
{
	const char *args[] = { "describe-instances", "--instance-ids", f->instance, NULL };
	json_t *root, *res;
	int ret = call(f, args, &root, NULL, NULL);

	if (ret)
		return ret;
	res = json_array_get(json_object_get(root, "Reservations"), 0);
	f->inst = json_array_get(json_object_get(res, "Instances"), 0);
	if (!f->inst || strcmp(jstr(f->inst, "InstanceId") ? jstr(f->inst, "InstanceId") : "",
			       f->instance)) {
		fprintf(stderr, ME ": aws ec2 describe-instances did not describe %s\n",
			f->instance);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

static long device_index(const json_t *eni)
{
	json_t *d = json_object_get(json_object_get(eni, "Attachment"), "DeviceIndex");

	return json_is_integer(d) ? (long)json_integer_value(d) : -1;
}

/* The instance's interfaces, as describe-network-interfaces tells them. */
static int fetch_interfaces(struct fetch *f)
{
	const char *args[4 + MAX_IDS] = { "describe-network-interfaces",
					  "--network-interface-ids" };
	json_t *list = json_object_get(f->inst, "NetworkInterfaces"), *e, *root;
	size_t n = 2, i;
	long best = -1;
	int ret;

	json_array_foreach(list, i, e) {
		if (!id_ok(jstr(e, "NetworkInterfaceId"), "eni-") || n >= 2 + MAX_IDS) {
			fprintf(stderr, ME ": %s: an interface without a usable id\n", f->instance);
			return EXIT_SYSTEM;
		}
		args[n++] = jstr(e, "NetworkInterfaceId");
	}
	if (n == 2) {
		fprintf(stderr, ME ": %s has no network interface\n", f->instance);
		return EXIT_SYSTEM;
	}
	args[n] = NULL;
	ret = call(f, args, &root, NULL, NULL);
	if (ret)
		return ret;
	f->enis = json_object_get(root, "NetworkInterfaces");
	/* The primary interface is device 0; failing that, the lowest index. */
	json_array_foreach(f->enis, i, e)
		if (!f->primary || (device_index(e) >= 0 && device_index(e) < best)) {
			f->primary = e;
			best = device_index(e) < 0 ? 1L << 30 : device_index(e);
		}
	if (!f->primary || !id_ok(jstr(f->primary, "SubnetId"), "subnet-")) {
		fprintf(stderr, ME ": %s: no interface with a subnet in the answer\n",
			f->instance);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

static void add_unique(const char **set, size_t *n, const char *id)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(set[i], id))
			return;
	if (*n < MAX_IDS)
		set[(*n)++] = id;
}

/* The groups and prefix lists one direction's permissions name. */
static int scan_refs(struct fetch *f, const json_t *perms)
{
	json_t *p, *x;
	size_t i, j;

	json_array_foreach(perms, i, p) {
		json_array_foreach(json_object_get(p, "UserIdGroupPairs"), j, x) {
			if (!id_ok(jstr(x, "GroupId"), "sg-"))
				return -1;
			add_unique(f->refs, &f->n_refs, jstr(x, "GroupId"));
		}
		json_array_foreach(json_object_get(p, "PrefixListIds"), j, x) {
			if (!id_ok(jstr(x, "PrefixListId"), "pl-"))
				return -1;
			add_unique(f->pls, &f->n_pls, jstr(x, "PrefixListId"));
		}
	}
	return f->n_refs < MAX_IDS && f->n_pls < MAX_IDS ? 0 : -1;
}

static int fetch_groups(struct fetch *f)
{
	const char *args[4 + MAX_IDS] = { "describe-security-groups", "--group-ids" };
	json_t *g, *root;
	size_t n = 2, i;
	int ret;

	json_array_foreach(json_object_get(f->primary, "Groups"), i, g) {
		if (!id_ok(jstr(g, "GroupId"), "sg-") || n >= 2 + MAX_IDS) {
			fprintf(stderr, ME ": %s: a group without a usable id\n",
				jstr(f->primary, "NetworkInterfaceId"));
			return EXIT_SYSTEM;
		}
		args[n++] = jstr(g, "GroupId");
	}
	if (n == 2) {
		fprintf(stderr, ME ": %s has no security group\n",
			jstr(f->primary, "NetworkInterfaceId"));
		return EXIT_SYSTEM;
	}
	args[n] = NULL;
	ret = call(f, args, &root, &f->sg_text, &f->sg_len);
	if (ret)
		return ret;
	json_array_foreach(json_object_get(root, "SecurityGroups"), i, g)
		if (scan_refs(f, json_object_get(g, "IpPermissions")) < 0 ||
		    scan_refs(f, json_object_get(g, "IpPermissionsEgress")) < 0) {
			fprintf(stderr, ME ": %s: a reference without a usable id, or more than "
				"%d\n", jstr(g, "GroupId"), MAX_IDS - 1);
			return EXIT_SYSTEM;
		}
	return EXIT_OK;
}

static int fetch_nacl(struct fetch *f)
{
	const char *subnet = jstr(f->primary, "SubnetId");
	char *filter = filter_arg("association.subnet-id", &subnet, 1);
	const char *args[] = { "describe-network-acls", "--filters", filter, NULL };
	json_t *root;
	int ret;

	if (!filter)
		return EXIT_SYSTEM;
	ret = call(f, args, &root, &f->nacl_text, &f->nacl_len);
	f->nacl = json_array_get(json_object_get(root, "NetworkAcls"), 0);
	free(filter);
	if (ret)
		return ret;
	if (json_array_size(json_object_get(root, "NetworkAcls")) != 1) {
		fprintf(stderr, ME ": aws ec2 describe-network-acls found %zu network ACLs for "
			"%s, not one\n", json_array_size(json_object_get(root, "NetworkAcls")),
			subnet);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/* ---- addresses for the references -------------------------------------- */

static int map_push(struct fetch *f, const char *id, struct cidr *c, size_t n)
{
	struct aws_map_entry *ne = realloc(f->map.e, (f->map.n + 1) * sizeof(*ne));

	if (!ne)
		return -1;
	f->map.e = ne;
	ne[f->map.n].id = strdup(id);
	ne[f->map.n].cidrs = c;
	ne[f->map.n].n = n;
	if (!ne[f->map.n].id)
		return -1;
	f->map.n++;
	return 0;
}

/* Add x to c unless it is there already. */
static int cidr_add(struct cidr **c, size_t *n, const struct cidr *x)
{
	struct cidr *nc;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!memcmp(&(*c)[i], x, sizeof(*x)))
			return 0;
	nc = realloc(*c, (*n + 1) * sizeof(*nc));
	if (!nc)
		return -1;
	*c = nc;
	nc[(*n)++] = *x;
	return 0;
}

/* Texts for a comment, borrowed from the JSON (which lives until the end). */
struct words {
	const char **w;
	size_t n;
};

static int words_add(struct words *ws, const char *s)
{
	const char **nw = realloc(ws->w, (ws->n + 1) * sizeof(*nw));

	if (!nw)
		return -1;
	ws->w = nw;
	nw[ws->n++] = s;
	return 0;
}

/*
 * The words after lead, comma-separated, in comment lines of at most 78
 * columns: a prefix list of hundreds of entries stays readable, and no
 * line is cut.
 */
static void note_words(struct fetch *f, const char *lead, const struct words *ws)
{
	size_t indent = strlen(lead), used, i, len;
	char line[1024];
	bool empty = true;	/* nothing after the lead on this line yet */

	used = (size_t)snprintf(line, sizeof(line), "%s", lead);
	for (i = 0; i < ws->n; i++) {
		len = strlen(ws->w[i]) + 2;
		if (!empty && used + len > 76) {
			note(f, "%s", line);
			used = (size_t)snprintf(line, sizeof(line), "%*s", (int)indent, "");
			empty = true;
		}
		if (used < sizeof(line))
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s%s",
						 used && line[used - 1] != ' ' ? " " : "",
						 ws->w[i], i + 1 < ws->n ? "," : "");
		empty = false;
	}
	note(f, "%s", line);
}

/* Add the block text to c (an address alone is one host); its text to say. */
static int cidr_add_text(struct cidr **c, size_t *n, const char *text, struct words *say)
{
	char buf[64];
	struct cidr x;
	size_t before = *n;

	if (!text)
		return 0;
	snprintf(buf, sizeof(buf), "%s%s", text, strchr(text, '/') ? "" :
		 strchr(text, ':') ? "/128" : "/32");
	if (cidr_parse(buf, &x) < 0 || cidr_add(c, n, &x) < 0)
		return -1;
	return say && *n > before ? words_add(say, text) : 0;
}

/* Every address of an interface: private IPv4 (all), IPv6, delegated prefixes. */
static int eni_addresses(const json_t *eni, struct cidr **c, size_t *n, struct words *say)
{
	static const struct { const char *list, *key; } kinds[] = {
		{ "PrivateIpAddresses", "PrivateIpAddress" },
		{ "Ipv6Addresses", "Ipv6Address" },
		{ "Ipv4Prefixes", "Ipv4Prefix" },
		{ "Ipv6Prefixes", "Ipv6Prefix" },
	};
	size_t k, i;
	json_t *a;

	if (cidr_add_text(c, n, jstr(eni, "PrivateIpAddress"), say) < 0)
		return -1;
	for (k = 0; k < ARRAY_SIZE(kinds); k++)
		json_array_foreach(json_object_get(eni, kinds[k].list), i, a)
			if (cidr_add_text(c, n, jstr(a, kinds[k].key), say) < 0)
				return -1;
	return 0;
}

static bool has_group(const json_t *eni, const char *sg, const char **name)
{
	json_t *g;
	size_t i;

	json_array_foreach(json_object_get(eni, "Groups"), i, g)
		if (jstr(g, "GroupId") && !strcmp(jstr(g, "GroupId"), sg)) {
			*name = jstr(g, "GroupName");
			return true;
		}
	return false;
}

static int by_eni_id(const void *a, const void *b)
{
	const char *x = jstr(*(json_t *const *)a, "NetworkInterfaceId");
	const char *y = jstr(*(json_t *const *)b, "NetworkInterfaceId");

	return strcmp(x ? x : "", y ? y : "");
}

/* One member of a group: its addresses into *c, a comment line for it. */
static int resolve_member(struct fetch *f, const json_t *eni, struct cidr **c, size_t *n)
{
	struct words say = { NULL, 0 };
	char lead[96];
	struct cidr *mine = NULL;
	size_t nmine = 0, k;
	int ret;

	ret = eni_addresses(eni, &mine, &nmine, &say);
	for (k = 0; !ret && k < nmine; k++)
		ret = cidr_add(c, n, &mine[k]);
	if (!ret) {
		snprintf(lead, sizeof(lead), "  %s:", jstr(eni, "NetworkInterfaceId"));
		note_words(f, lead, &say);
	}
	free(mine);
	free(say.w);
	return ret;
}

/* One referenced group: its members' addresses, in the map and in comments. */
static int resolve_group(struct fetch *f, const char *sg, json_t **sorted, size_t n)
{
	const char *name = NULL;
	struct cidr *c = NULL;
	size_t nc = 0, i;
	bool any = false;

	for (i = 0; i < n && !any; i++)
		any = has_group(sorted[i], sg, &name);
	if (any)
		note(f, "members of %s%s%s%s:", sg, name ? " (" : "", name ? name : "",
		     name ? ")" : "");
	for (i = 0; i < n; i++)
		if (has_group(sorted[i], sg, &name) && resolve_member(f, sorted[i], &c, &nc) < 0) {
			free(c);
			return -1;
		}
	if (map_push(f, sg, c, nc) < 0) {
		free(c);
		return -1;
	}
	if (!nc) {
		note(f, "%s has no member with an address, so the rules naming it", sg);
		note(f, "  allow nothing and are not written (as in AWS)");
	}
	return 0;
}

static int fetch_members(struct fetch *f)
{
	char *filter;
	const char *args[] = { "describe-network-interfaces", "--filters", NULL, NULL };
	json_t **sorted, *e;
	size_t n, i;
	int ret;

	if (!f->n_refs)
		return EXIT_OK;
	filter = filter_arg("group-id", f->refs, f->n_refs);
	if (!filter)
		return EXIT_SYSTEM;
	args[2] = filter;
	ret = call(f, args, &f->members, NULL, NULL);
	free(filter);
	if (ret)
		return ret;
	n = json_array_size(json_object_get(f->members, "NetworkInterfaces"));
	sorted = calloc(n + 1, sizeof(*sorted));
	if (!sorted)
		return EXIT_SYSTEM;
	json_array_foreach(json_object_get(f->members, "NetworkInterfaces"), i, e)
		sorted[i] = e;
	/* The API's order is not promised: the file must not change with it. */
	qsort(sorted, n, sizeof(*sorted), by_eni_id);
	for (i = 0; i < f->n_refs; i++)
		if (resolve_group(f, f->refs[i], sorted, n) < 0) {
			free(sorted);
			fprintf(stderr, ME ": the members of %s: an address that does not parse\n",
				f->refs[i]);
			return EXIT_SYSTEM;
		}
	free(sorted);
	return EXIT_OK;
}

/* Name and family of each prefix list (one call), then each one's entries. */
static int fetch_prefix_lists(struct fetch *f)
{
	const char *args[4 + MAX_IDS] = { "describe-managed-prefix-lists", "--prefix-list-ids" };
	json_t *root, *lists, *l, *e;
	size_t n = 2, i, j;
	int ret;

	if (!f->n_pls)
		return EXIT_OK;
	push_ids(args, &n, f->pls, f->n_pls);
	ret = call(f, args, &root, NULL, NULL);
	if (ret)
		return ret;
	lists = json_object_get(root, "PrefixLists");
	for (i = 0; i < f->n_pls; i++) {
		const char *eargs[] = { "get-managed-prefix-list-entries", "--prefix-list-id",
					f->pls[i], NULL };
		const char *name = NULL, *family = NULL;
		struct words say = { NULL, 0 };
		struct cidr *c = NULL;
		size_t nc = 0;
		int bad = 0;

		json_array_foreach(lists, j, l)
			if (jstr(l, "PrefixListId") && !strcmp(jstr(l, "PrefixListId"), f->pls[i])) {
				name = jstr(l, "PrefixListName");
				family = jstr(l, "AddressFamily");
			}
		ret = call(f, eargs, &e, NULL, NULL);
		if (ret)
			return ret;
		json_array_foreach(json_object_get(e, "Entries"), j, l)
			if (!bad && cidr_add_text(&c, &nc, jstr(l, "Cidr"), &say) < 0)
				bad = 1;
		if (bad || map_push(f, f->pls[i], c, nc) < 0) {
			free(c);
			free(say.w);
			fprintf(stderr, ME ": %s: an entry that is not a CIDR\n", f->pls[i]);
			return EXIT_SYSTEM;
		}
		note(f, "prefix list %s (%s, %s):%s", f->pls[i], name ? name : "no name",
		     family ? family : "?", nc ? "" : " no entries,");
		if (nc)
			note_words(f, "  ", &say);
		else
			note(f, "  so the rules naming it allow nothing and are not written");
		free(say.w);
	}
	return EXIT_OK;
}

/* ---- the header -------------------------------------------------------- */

/* An interface's groups, one a line: a name may be long. */
static void note_groups(struct fetch *f, const json_t *eni, const char *lead)
{
	json_t *g;
	size_t i;

	note(f, "%s", lead);
	json_array_foreach(json_object_get(eni, "Groups"), i, g)
		note(f, "    %s (%s)", jstr(g, "GroupId"),
		     jstr(g, "GroupName") ? jstr(g, "GroupName") : "");
}

static void note_conntrack(struct fetch *f)
{
	json_t *ct = json_object_get(f->primary, "ConnectionTrackingConfiguration");
	json_t *t = json_object_get(ct, "TcpEstablishedTimeout");
	json_t *us = json_object_get(ct, "UdpStreamTimeout");
	json_t *u = json_object_get(ct, "UdpTimeout");

	if (!json_is_integer(t) && !json_is_integer(us) && !json_is_integer(u))
		return;
	/* A rule file holds no timeouts: say how to give them to the engine. */
	note(f, "  connection tracking: vpcfw run --conntrack "
	     "tcp-established=%lld,udp-stream=%lld,udp=%lld",
	     json_is_integer(t) ? (long long)json_integer_value(t) : 432000LL,
	     json_is_integer(us) ? (long long)json_integer_value(us) : 180LL,
	     json_is_integer(u) ? (long long)json_integer_value(u) : 30LL);
}

static void note_interface(struct fetch *f, const json_t *eni)
{
	struct words say = { NULL, 0 };
	struct cidr *c = NULL;
	size_t n = 0;

	note(f, "interface %s (device %ld, MAC %s, %s)", jstr(eni, "NetworkInterfaceId"),
	     device_index(eni), jstr(eni, "MacAddress") ? jstr(eni, "MacAddress") : "?",
	     jstr(eni, "SubnetId") ? jstr(eni, "SubnetId") : "?");
	if (eni_addresses(eni, &c, &n, &say) == 0)
		note_words(f, "  addresses:", &say);
	free(c);
	free(say.w);
}

static void note_start(struct fetch *f)
{
	json_t *e;
	size_t i;

	note(f, "vpcfw fetch: the rules AWS enforces for instance %s, from the", f->instance);
	note(f, "AWS CLI's answers. Each group and prefix-list reference is resolved to");
	note(f, "addresses (its rules say \"# from ID\"): fetch again when they change.");
	note(f, "instance %s in %s", f->instance,
	     jstr(f->inst, "VpcId") ? jstr(f->inst, "VpcId") : "?");
	note_interface(f, f->primary);
	note_groups(f, f->primary, "  security groups (written below):");
	note_conntrack(f);
	note(f, "  network ACL %s of %s (written below)", jstr(f->nacl, "NetworkAclId") ?
	     jstr(f->nacl, "NetworkAclId") : "?", jstr(f->primary, "SubnetId"));
	json_array_foreach(f->enis, i, e) {
		if (e == f->primary)
			continue;
		note_interface(f, e);
		note_groups(f, e, "  security groups (not written: this file holds those of "
			    "the primary interface):");
	}
}

/* ---- load and write ---------------------------------------------------- */

static int load_all(struct fetch *f, struct ruleset *rs, struct diag *d)
{
	const struct load_opts o = { .flags = LOAD_JSON, .map = &f->map };

	load_buffer(rs, "describe-network-acls", f->nacl_text, f->nacl_len, &o, d, NULL);
	load_buffer(rs, "describe-security-groups", f->sg_text, f->sg_len, &o, d, NULL);
	return diag_errors(d) ? -1 : 0;
}

/* The whole text, then one write: a failed fetch leaves nothing half written. */
static int write_text(const struct fetch *f, const char *text, size_t len)
{
	char *tmp = NULL;
	mode_t mask;
	FILE *out;
	int fd;

	if (!f->output) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
			goto fail;
		return 0;
	}
	if (asprintf(&tmp, "%s.XXXXXX", f->output) < 0) {
		tmp = NULL;
		goto fail;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	mask = umask(0);
	umask(mask);
	out = fdopen(fd, "w");
	if (!out || fchmod(fd, 0644 & ~mask) < 0 || fwrite(text, 1, len, out) != len ||
	    fflush(out) != 0 || fsync(fd) != 0) {
		if (out)
			fclose(out);
		else
			close(fd);
		unlink(tmp);
		goto fail;
	}
	if (fclose(out) != 0 || rename(tmp, f->output) < 0) {
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	fprintf(stderr, ME ": cannot write %s: %s\n", f->output ? f->output : "the output",
		strerror(errno));
	free(tmp);
	return -1;
}

static int finish(struct fetch *f)
{
	struct ruleset *rs = ruleset_new();
	struct diag *d = diag_new();
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int ret = EXIT_SYSTEM;

	if (!rs || !d)
		goto out;
	if (load_all(f, rs, d) < 0) {
		diag_print(d, stderr);
		fprintf(stderr, ME ": the AWS CLI's answers do not load (above): nothing "
			"written\n");
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	diag_print(d, stderr);
	if (fflush(f->notes) != 0 || !(m = open_memstream(&text, &len)))
		goto out;
	fprintf(m, "%s\n", f->notes_text);
	rules_print(rs, m);
	if (fclose(m) != 0)
		goto out;
	ret = write_text(f, text, len) < 0 ? EXIT_SYSTEM : EXIT_OK;
out:
	free(text);
	diag_free(d);
	ruleset_free(rs);
	return ret;
}

/* ---- the command ------------------------------------------------------- */

static int parse_args(struct fetch *f, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "instance", required_argument, NULL, 'i' },
		{ "region", required_argument, NULL, 'r' },
		{ "profile", required_argument, NULL, 'p' },
		{ "endpoint-url", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': f->instance = optarg; break;
		case 'r': f->aws.region = optarg; break;
		case 'p': f->aws.profile = optarg; break;
		case 'e': f->aws.endpoint_url = optarg; break;
		case 'o': f->output = optarg; break;
		default: return usage("bad option");
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (!f->instance)
		return usage("say which instance: --instance i-...");
	if (!id_ok(f->instance, "i-"))
		return usage("bad --instance '%s' (i- and then letters and digits)", f->instance);
	return 0;
}

int cmd_fetch(int argc, char **argv)
{
	struct fetch f;
	int ret;
	size_t i;

	memset(&f, 0, sizeof(f));
	ret = parse_args(&f, argc, argv);
	if (ret)
		return ret;
	f.notes = open_memstream(&f.notes_text, &f.notes_len);
	if (!f.notes)
		return EXIT_SYSTEM;
	if (!(ret = fetch_instance(&f)) && !(ret = fetch_interfaces(&f)) &&
	    !(ret = fetch_groups(&f)) && !(ret = fetch_nacl(&f))) {
		note_start(&f);
		if (!(ret = fetch_prefix_lists(&f)) && !(ret = fetch_members(&f)))
			ret = finish(&f);
	}
	fclose(f.notes);
	free(f.notes_text);
	free(f.sg_text);
	free(f.nacl_text);
	for (i = 0; i < f.n_roots; i++)
		json_decref(f.roots[i]);
	aws_map_free(&f.map);
	return ret;
}
