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
