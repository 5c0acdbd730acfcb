/* The rule model: growable arrays of entries, and interned file names. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

#include "ruleset.h"

struct ruleset *ruleset_new(void)
{
	return calloc(1, sizeof(struct ruleset));
}

void ruleset_free(struct ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n_sg; i++) {
		free(rs->sg[i].description);
		free(rs->sg[i].ref);
	}
	for (i = 0; i < rs->n_groups; i++) {
		free(rs->groups[i].id);
		free(rs->groups[i].name);
	}
	for (i = 0; i < rs->n_files; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->sg);
	free(rs->groups);
	free(rs->nacl);
	free(rs->nacl_id);
	free(rs);
}

/* Make room for one more element of size `size` in *arr (n used, *cap allocated). */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

const char *ruleset_intern_file(struct ruleset *rs, const char *file)
{
	size_t i, cap = rs->n_files;
	char **nf;
	char *copy;

	for (i = 0; i < rs->n_files; i++)
		if (!strcmp(rs->files[i], file))
			return rs->files[i];
	copy = strdup(file);
	if (!copy)
		return NULL;
	nf = realloc(rs->files, (cap + 1) * sizeof(*nf));
	if (!nf) {
		free(copy);
		return NULL;
	}
	rs->files = nf;
	rs->files[rs->n_files++] = copy;
	return copy;
}

int ruleset_add_nacl(struct ruleset *rs, const struct nacl_entry *e)
{
	if (grow((void **)&rs->nacl, rs->n_nacl, &rs->cap_nacl, sizeof(*e)) < 0)
		return -1;
	rs->nacl[rs->n_nacl++] = *e;
	return 0;
}

int ruleset_add_sg(struct ruleset *rs, const struct sg_entry *e)
{
	struct sg_entry copy = *e;

	copy.description = NULL;
	copy.ref = NULL;
	if (e->description && !(copy.description = strdup(e->description)))
		return -1;
	if (e->ref && !(copy.ref = strdup(e->ref)))
		goto fail;
	if (grow((void **)&rs->sg, rs->n_sg, &rs->cap_sg, sizeof(copy)) < 0)
		goto fail;
	rs->sg[rs->n_sg++] = copy;
	return 0;
fail:
	free(copy.description);
	free(copy.ref);
	errno = ENOMEM;
	return -1;
}

int ruleset_add_group(struct ruleset *rs, const char *id, const char *name)
{
	struct sg_group g = { NULL, NULL };

	if (!id) {
		errno = EINVAL;
		return -1;
	}
	g.id = strdup(id);
	g.name = name ? strdup(name) : NULL;
	if (!g.id || (name && !g.name))
		goto fail;
	if (grow((void **)&rs->groups, rs->n_groups, &rs->cap_groups,
		 sizeof(g)) < 0)
		goto fail;
	rs->groups[rs->n_groups] = g;
	return (int)rs->n_groups++;
fail:
	free(g.id);
	free(g.name);
	errno = ENOMEM;
	return -1;
}

const char *proto_name(int proto)
{
	switch (proto) {
	case PROTO_ALL:
		return "all";
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	}
	return NULL;
}

static void print_proto(int proto, FILE *out)
{
	const char *name = proto_name(proto);

	if (name)
		fprintf(out, "%-6s", name);
	else
		fprintf(out, "%-6d", proto);
}

static const char *num_or_all(int v, char buf[12])
{
	if (v < 0)
		return "all";
	snprintf(buf, 12, "%d", v);
	return buf;
}

/* Ports for TCP/UDP, type/code for ICMP, "-" where AWS ignores them. */
static void print_range(int proto, int from, int to, FILE *out)
{
	char buf[48];

	if (proto == 6 || proto == 17) {
		if (from < 0 || (from == 0 && to == 65535))
			snprintf(buf, sizeof(buf), "all");
		else if (from == to)
			snprintf(buf, sizeof(buf), "%d", from);
		else
			snprintf(buf, sizeof(buf), "%d-%d", from, to);
	} else if (proto == 1 || proto == 58) {
		char t[12], c[12];

		snprintf(buf, sizeof(buf), "type %s code %s", num_or_all(from, t),
			 num_or_all(to, c));
	} else {
		snprintf(buf, sizeof(buf), "-");
	}
	fprintf(out, "%-22s", buf);
}

static int nacl_cmp(const void *a, const void *b)
{
	const struct nacl_entry *x = *(const struct nacl_entry *const *)a;
	const struct nacl_entry *y = *(const struct nacl_entry *const *)b;

	return (x->number > y->number) - (x->number < y->number);
}

static void print_nacl_dir(const struct ruleset *rs, bool egress, FILE *out)
{
	const struct nacl_entry **v = calloc(rs->n_nacl + 1, sizeof(*v));
	char cidr[CIDR_STRLEN];
	size_t i, n = 0;

	if (!v)
		return;
	for (i = 0; i < rs->n_nacl; i++)
		if (rs->nacl[i].egress == egress)
			v[n++] = &rs->nacl[i];
	qsort(v, n, sizeof(*v), nacl_cmp);
	fprintf(out, "nacl %s %s\n", rs->nacl_id ? rs->nacl_id : "-",
		egress ? "outbound" : "inbound");
	for (i = 0; i < n; i++) {
		const struct nacl_entry *e = v[i];

		fprintf(out, "  %-5u %-5s ", e->number, e->allow ? "allow" : "deny");
		print_proto(e->proto, out);
		print_range(e->proto, e->proto == 1 || e->proto == 58 ? e->icmp_type : e->port_from,
			    e->proto == 1 || e->proto == 58 ? e->icmp_code : e->port_to, out);
		fprintf(out, " %s\n", cidr_format(&e->cidr, cidr, sizeof(cidr)));
	}
	fprintf(out, "  *     deny  all   -                      0.0.0.0/0\n");
	fprintf(out, "  *     deny  all   -                      ::/0\n");
	free(v);
}

static void print_sg_dir(const struct ruleset *rs, size_t g, bool egress, FILE *out)
{
	char cidr[CIDR_STRLEN];
	size_t i;

	fprintf(out, "sg %s (%s) %s\n", rs->groups[g].id,
		rs->groups[g].name ? rs->groups[g].name : "-",
		egress ? "outbound" : "inbound");
	for (i = 0; i < rs->n_sg; i++) {
		const struct sg_entry *e = &rs->sg[i];

		if (e->group != g || e->egress != egress)
			continue;
		fprintf(out, "  ");
		print_proto(e->proto, out);
		print_range(e->proto, e->from, e->to, out);
		fprintf(out, " %s", cidr_format(&e->cidr, cidr, sizeof(cidr)));
		if (e->ref)
			fprintf(out, " (%s)", e->ref);
		if (e->description)
			fprintf(out, " \"%s\"", e->description);
		fputc('\n', out);
	}
}

void ruleset_print(const struct ruleset *rs, FILE *out)
{
	size_t g;

	if (rs->has_nacl) {
		print_nacl_dir(rs, false, out);
		print_nacl_dir(rs, true, out);
	}
	for (g = 0; g < rs->n_groups; g++) {
		print_sg_dir(rs, g, false, out);
		print_sg_dir(rs, g, true, out);
	}
}
