/*
 * The public face, part one: diagnostics, address maps and rule sets
 * (load, lint, write). A thin facade over the internal modules; every load
 * goes through the one loader (load.c) that run, check and convert use.
 */
#include <errno.h>
#include <stdlib.h>

#include "aws_json_write.h"
#include "fileio.h"
#include "load.h"
#include "rules.h"
#include "rules_lint.h"
#include "vpcfw_int.h"

/* The public layer bits are the loaders' take bits. */
_Static_assert(VPCFW_LAYER_NACL == RULES_TAKE_NACL && VPCFW_LAYER_SG == RULES_TAKE_SG,
	       "VPCFW_LAYER_* and RULES_TAKE_* must agree");

/* ---- diagnostics ---------------------------------------------------------- */

struct vpcfw_diag *vpcfw_diag_new(void)
{
	struct vpcfw_diag *d = calloc(1, sizeof(*d));

	if (d && !(d->d = diag_new())) {
		free(d);
		d = NULL;
	}
	return d;
}

void vpcfw_diag_free(struct vpcfw_diag *d)
{
	if (!d)
		return;
	diag_free(d->d);
	free(d);
}

size_t vpcfw_diag_count(const struct vpcfw_diag *d, enum vpcfw_diag_level level)
{
	if (!d)
		return 0;
	if (level == VPCFW_DIAG_ERROR)
		return diag_errors(d->d);
	return level == VPCFW_DIAG_WARNING ? diag_warnings(d->d) : 0;
}

int vpcfw_diag_print(const struct vpcfw_diag *d, FILE *out)
{
	if (!d || !out) {
		errno = EINVAL;
		return -1;
	}
	diag_print(d->d, out);
	if (ferror(out)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* ---- address maps --------------------------------------------------------- */

struct vpcfw_maps *vpcfw_maps_new(void)
{
	return calloc(1, sizeof(struct vpcfw_maps));
}

void vpcfw_maps_free(struct vpcfw_maps *m)
{
	if (!m)
		return;
	aws_map_free(&m->m);
	free(m);
}

int vpcfw_maps_add(struct vpcfw_maps *m, const char *spec)
{
	if (!m || !spec) {
		errno = EINVAL;
		return -1;
	}
	return aws_map_add(&m->m, spec) < 0 ? -1 : 0;
}

int vpcfw_maps_add_param(struct vpcfw_maps *m, const char *spec)
{
	if (!m || !spec) {
		errno = EINVAL;
		return -1;
	}
	return aws_map_add_param(&m->m, spec) < 0 ? -1 : 0;
}

/* ---- rule sets -------------------------------------------------------------- */

struct vpcfw_rules *vpcfw_rules_new(void)
{
	struct vpcfw_rules *r = calloc(1, sizeof(*r));

	if (r && !(r->rs = ruleset_new())) {
		free(r);
		r = NULL;
	}
	return r;
}

void vpcfw_rules_free(struct vpcfw_rules *r)
{
	/* A policy's view (vpcfw_policy_rules) dies with its policy. */
	if (!r || r->borrowed)
		return;
	ruleset_free(r->rs);
	free(r);
}

/* What `check` loads of a text given without flags: its sections, or its JSON kind. */
/*
 * The facade's loads go through the one loader (load.c), as run, check and
 * convert do; the layers the text was loaded for are returned. A forced
 * format is the loader's LOAD_NATIVE or LOAD_JSON with the kind's layer.
 */
static unsigned load_text(struct ruleset *rs, const char *name, const char *buf,
			  size_t len, const struct vpcfw_load *how, struct diag *d)
{
	struct load_opts o = {
		.take = how->layers & VPCFW_LAYER_BOTH,
		/* A text that holds nothing: ask for both, so the parser says what is missing. */
		.take_none = VPCFW_LAYER_BOTH,
		.map = how->maps ? &how->maps->m : NULL,
	};
	struct load_info info;

	switch (how->format) {
	case VPCFW_FORMAT_AWS_NACL:
		o.flags = LOAD_JSON;
		o.take = VPCFW_LAYER_NACL;
		break;
	case VPCFW_FORMAT_AWS_SG:
		o.flags = LOAD_JSON;
		o.take = VPCFW_LAYER_SG;
		break;
	case VPCFW_FORMAT_NATIVE:
		/* Exactly the sections it holds: a text of lists only loads clean, for no layer. */
		o.flags = LOAD_NATIVE;
		o.take_none = 0;
		break;
	default:
		break;
	}
	load_buffer(rs, name, buf, len, &o, d, &info);
	return info.take;
}

static bool load_args_ok(const struct vpcfw_rules *r, const struct vpcfw_load *how,
			 const struct vpcfw_diag *d)
{
	if (r && d && !r->borrowed && (!how || how->format <= VPCFW_FORMAT_AWS_SG))
		return true;
	errno = EINVAL;
	return false;
}

/* 0 when the load added no error to d, else -1/EINVAL (ENOMEM when that was the loader's). */
static int load_result(const struct vpcfw_diag *d, size_t errors_before)
{
	if (diag_errors(d->d) == errors_before)
		return 0;
	if (errno != ENOMEM)
		errno = EINVAL;
	return -1;
}

int vpcfw_rules_load_buffer(struct vpcfw_rules *r, const char *name,
			    const void *buf, size_t len,
			    const struct vpcfw_load *how, struct vpcfw_diag *d)
{
	static const struct vpcfw_load defaults;
	size_t before;

	if (!load_args_ok(r, how, d) || (!buf && len)) {
		errno = EINVAL;
		return -1;
	}
	before = diag_errors(d->d);
	errno = 0;
	r->layers |= load_text(r->rs, name ? name : "-", buf ? buf : "", len,
			       how ? how : &defaults, d->d);
	return load_result(d, before);
}

int vpcfw_rules_load_file(struct vpcfw_rules *r, const char *path,
			  const struct vpcfw_load *how, struct vpcfw_diag *d)
{
	size_t len = 0;
	char *buf;
	int ret;

	if (!load_args_ok(r, how, d) || !path) {
		errno = EINVAL;
		return -1;
	}
	if (file_read_all(path, &buf, &len) < 0) {
		diag_error(d->d, path, "cannot read: %s", file_read_error(errno));
		errno = EINVAL;
		return -1;
	}
	ret = vpcfw_rules_load_buffer(r, path, buf, len, how, d);
	free(buf);
	return ret;
}

unsigned vpcfw_rules_layers(const struct vpcfw_rules *r)
{
	return r ? r->layers : 0;
}

bool vpcfw_rules_equal(const struct vpcfw_rules *a, const struct vpcfw_rules *b)
{
	return a && b && rules_equal(a->rs, b->rs);
}

int vpcfw_rules_lint(const struct vpcfw_rules *r, struct vpcfw_diag *d)
{
	size_t before, n;

	if (!r || !d) {
		errno = EINVAL;
		return -1;
	}
	before = diag_errors(d->d);
	n = rules_lint(r->rs, d->d);
	/* Lint reports only warnings; an error is its out-of-memory note. */
	if (diag_errors(d->d) != before) {
		errno = ENOMEM;
		return -1;
	}
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int vpcfw_rules_write(const struct vpcfw_rules *r, enum vpcfw_format format, FILE *out)
{
	if (!r || !out) {
		errno = EINVAL;
		return -1;
	}
	switch (format) {
	case VPCFW_FORMAT_NATIVE:
		rules_print(r->rs, out);
		if (ferror(out)) {
			errno = EIO;
			return -1;
		}
		return 0;
	case VPCFW_FORMAT_AWS_NACL:
		return aws_json_write_nacl(r->rs, out);
	case VPCFW_FORMAT_AWS_SG:
		return aws_json_write_sg(r->rs, out);
	default:
		errno = EINVAL;
		return -1;
	}
}
