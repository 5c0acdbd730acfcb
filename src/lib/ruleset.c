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
	for (i = 0; i < rs->n_enis; i++) {
		free(rs->enis[i].ifname);
		free(rs->enis[i].eni_id);
		free(rs->enis[i].groups);
	}
	free(rs->enis);
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

int ruleset_add_eni(struct ruleset *rs, const struct ruleset_eni *e)
{
	struct ruleset_eni c = *e, *ne;
	size_t i;

	for (i = 0; i < e->n_groups; i++)
		if (e->groups[i] >= rs->n_groups) {
			errno = EINVAL;
			return -1;
		}
	c.ifname = strdup(e->ifname);
	c.eni_id = e->eni_id ? strdup(e->eni_id) : NULL;
	c.groups = malloc((e->n_groups + 1) * sizeof(*c.groups));
	ne = realloc(rs->enis, (rs->n_enis + 1) * sizeof(*ne));
	if (ne)
		rs->enis = ne;
	if (!ne || !c.ifname || (e->eni_id && !c.eni_id) || !c.groups) {
		free(c.ifname);
		free(c.eni_id);
		free(c.groups);
		errno = ENOMEM;
		return -1;
	}
	memcpy(c.groups, e->groups, e->n_groups * sizeof(*c.groups));
	rs->enis[rs->n_enis++] = c;
	return 0;
}

/* An origin of rs, its file interned in ns. */
static int origin_copy(struct ruleset *ns, struct rule_origin *o)
{
	if (o->file && !(o->file = ruleset_intern_file(ns, o->file)))
		return -1;
	return 0;
}

/* rs's rules of group g, as group ng of ns. */
static int subset_group(struct ruleset *ns, const struct ruleset *rs, uint32_t g, uint32_t ng)
{
	size_t i;

	if (ruleset_add_group(ns, rs->groups[g].id, rs->groups[g].name) < 0)
		return -1;
	for (i = 0; i < rs->n_sg; i++) {
		struct sg_entry e = rs->sg[i];

		if (e.group != g)
			continue;
		e.group = ng;
		if (origin_copy(ns, &e.origin) < 0 || ruleset_add_sg(ns, &e) < 0)
			return -1;
	}
	return 0;
}

struct ruleset *ruleset_subset(const struct ruleset *rs, const uint32_t *groups, size_t n)
{
	struct ruleset *ns = ruleset_new();
	size_t i;

	if (!ns)
		return NULL;
	ns->has_nacl = rs->has_nacl;
	if (rs->nacl_id && !(ns->nacl_id = strdup(rs->nacl_id)))
		goto fail;
	for (i = 0; i < rs->n_nacl; i++) {
		struct nacl_entry e = rs->nacl[i];

		if (origin_copy(ns, &e.origin) < 0 || ruleset_add_nacl(ns, &e) < 0)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		if (groups[i] >= rs->n_groups) {
			ruleset_free(ns);
			errno = EINVAL;
			return NULL;
		}
		if (subset_group(ns, rs, groups[i], (uint32_t)i) < 0)
			goto fail;
	}
	return ns;
fail:
	ruleset_free(ns);
	errno = ENOMEM;
	return NULL;
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
