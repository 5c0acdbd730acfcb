/*
 * vpcfw fetch: the references of the rules (the members of the groups they
 * name, the entries of the prefix lists), resolved to addresses for the
 * loader's map, and the comments that head the file, naming every source.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_json.h"
#include "exitcode.h"
#include "fetch_int.h"

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
			fetch_note(f, "%s", line);
			used = (size_t)snprintf(line, sizeof(line), "%*s", (int)indent, "");
			empty = true;
		}
		if (used < sizeof(line))
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s%s",
						 used && line[used - 1] != ' ' ? " " : "",
						 ws->w[i], i + 1 < ws->n ? "," : "");
		empty = false;
	}
	fetch_note(f, "%s", line);
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

	if (cidr_add_text(c, n, fetch_jstr(eni, "PrivateIpAddress"), say) < 0)
		return -1;
	for (k = 0; k < ARRAY_SIZE(kinds); k++)
		json_array_foreach(json_object_get(eni, kinds[k].list), i, a)
			if (cidr_add_text(c, n, fetch_jstr(a, kinds[k].key), say) < 0)
				return -1;
	return 0;
}

static bool has_group(const json_t *eni, const char *sg, const char **name)
{
	json_t *g;
	size_t i;

	json_array_foreach(json_object_get(eni, "Groups"), i, g)
		if (fetch_jstr(g, "GroupId") && !strcmp(fetch_jstr(g, "GroupId"), sg)) {
			*name = fetch_jstr(g, "GroupName");
			return true;
		}
	return false;
}

static int by_eni_id(const void *a, const void *b)
{
	const char *x = fetch_jstr(*(json_t *const *)a, "NetworkInterfaceId");
	const char *y = fetch_jstr(*(json_t *const *)b, "NetworkInterfaceId");

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
		snprintf(lead, sizeof(lead), "  %s:", fetch_jstr(eni, "NetworkInterfaceId"));
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
		fetch_note(f, "members of %s%s%s%s:", sg, name ? " (" : "", name ? name : "",
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
		fetch_note(f, "%s has no member with an address, so the rules naming it", sg);
		fetch_note(f, "  allow nothing and are not written (as in AWS)");
	}
	return 0;
}

int fetch_members(struct fetch *f)
{
	char *filter;
	const char *args[] = { "describe-network-interfaces", "--filters", NULL, NULL };
	json_t **sorted, *e;
	size_t n, i;
	int ret;

	if (!f->n_refs)
		return EXIT_OK;
	filter = fetch_filter_arg("group-id", f->refs, f->n_refs);
	if (!filter)
		return EXIT_SYSTEM;
	args[2] = filter;
	ret = fetch_call(f, args, &f->members, NULL, NULL);
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
			fprintf(stderr, FETCH_ME ": the members of %s: an address that does not parse\n",
				f->refs[i]);
			return EXIT_SYSTEM;
		}
	free(sorted);
	return EXIT_OK;
}

/* Name and family of each prefix list (one call), then each one's entries. */
int fetch_prefix_lists(struct fetch *f)
{
	const char *args[4 + FETCH_MAX_IDS] = { "describe-managed-prefix-lists", "--prefix-list-ids" };
	json_t *root, *lists, *l, *e;
	size_t n = 2, i, j;
	int ret;

	if (!f->n_pls)
		return EXIT_OK;
	fetch_push_ids(args, &n, f->pls, f->n_pls);
	ret = fetch_call(f, args, &root, NULL, NULL);
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
			if (fetch_jstr(l, "PrefixListId") && !strcmp(fetch_jstr(l, "PrefixListId"), f->pls[i])) {
				name = fetch_jstr(l, "PrefixListName");
				family = fetch_jstr(l, "AddressFamily");
			}
		ret = fetch_call(f, eargs, &e, NULL, NULL);
		if (ret)
			return ret;
		json_array_foreach(json_object_get(e, "Entries"), j, l)
			if (!bad && cidr_add_text(&c, &nc, fetch_jstr(l, "Cidr"), &say) < 0)
				bad = 1;
		if (bad || map_push(f, f->pls[i], c, nc) < 0) {
			free(c);
			free(say.w);
			fprintf(stderr, FETCH_ME ": %s: an entry that is not a CIDR\n", f->pls[i]);
			return EXIT_SYSTEM;
		}
		fetch_note(f, "prefix list %s (%s, %s):%s", f->pls[i], name ? name : "no name",
		     family ? family : "?", nc ? "" : " no entries,");
		if (nc)
			note_words(f, "  ", &say);
		else
			fetch_note(f, "  so the rules naming it allow nothing and are not written");
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

	fetch_note(f, "%s", lead);
	json_array_foreach(json_object_get(eni, "Groups"), i, g)
		fetch_note(f, "    %s (%s)", fetch_jstr(g, "GroupId"),
		     fetch_jstr(g, "GroupName") ? fetch_jstr(g, "GroupName") : "");
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
	fetch_note(f, "  connection tracking: vpcfw run --conntrack "
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

	fetch_note(f, "interface %s (device %ld, MAC %s, %s)", fetch_jstr(eni, "NetworkInterfaceId"),
	     fetch_device_index(eni), fetch_jstr(eni, "MacAddress") ? fetch_jstr(eni, "MacAddress") : "?",
	     fetch_jstr(eni, "SubnetId") ? fetch_jstr(eni, "SubnetId") : "?");
	if (eni_addresses(eni, &c, &n, &say) == 0)
		note_words(f, "  addresses:", &say);
	free(c);
	free(say.w);
}

void fetch_note_start(struct fetch *f)
{
	json_t *e;
	size_t i;

	fetch_note(f, "vpcfw fetch: the rules AWS enforces for instance %s, from the", f->instance);
	fetch_note(f, "AWS CLI's answers. Each group and prefix-list reference is resolved to");
	fetch_note(f, "addresses (its rules say \"# from ID\"): fetch again when they change.");
	fetch_note(f, "instance %s in %s", f->instance,
	     fetch_jstr(f->inst, "VpcId") ? fetch_jstr(f->inst, "VpcId") : "?");
	note_interface(f, f->primary);
	note_groups(f, f->primary, "  security groups (written below):");
	note_conntrack(f);
	fetch_note(f, "  network ACL %s of %s (written below)", fetch_jstr(f->nacl, "NetworkAclId") ?
	     fetch_jstr(f->nacl, "NetworkAclId") : "?", fetch_jstr(f->primary, "SubnetId"));
	json_array_foreach(f->enis, i, e) {
		if (e == f->primary)
			continue;
		note_interface(f, e);
		note_groups(f, e, "  security groups (not written: this file holds those of "
			    "the primary interface):");
	}
}
