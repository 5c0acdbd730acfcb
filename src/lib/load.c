/*
 * The one loader of rule files: read, detect the format, dispatch. By
 * content: a Terraform state or plan, a CloudFormation template (JSON or
 * YAML: iac.h), AWS CLI JSON, else native rules.
 */
#include <errno.h>
#include <stdlib.h>

#include "fileio.h"
#include "iac.h"
#include "load.h"

static int read_file(const char *path, unsigned flags, char **buf, size_t *len)
{
	return flags & LOAD_REGULAR ? file_read_regular(path, buf, len) :
	       file_read_all(path, buf, len);
}

unsigned load_holds(const char *buf, size_t len)
{
	enum iac_format f = iac_detect(buf, len);

	if (f != IAC_NONE)
		return iac_holds(f, buf, len);
	if (aws_json_detect(buf, len))
		return aws_json_kind(buf, len) == AWS_KIND_NACL ? RULES_TAKE_NACL :
		       RULES_TAKE_SG;
	return rules_sections(buf, len);
}

unsigned load_probe(const char *path, unsigned flags)
{
	unsigned holds;
	size_t len;
	char *buf;

	if (read_file(path, flags, &buf, &len) < 0)
		return 0;
	holds = load_holds(buf, len);
	free(buf);
	return holds;
}

/* One JSON document per flag: asked as --nacl and --sg, it must be both kinds. */
static int load_json(struct ruleset *rs, unsigned take, const char *name,
		     const char *buf, size_t len, const struct aws_map *map,
		     struct diag *d)
{
	int ret = 0, err = 0;

	if ((take & RULES_TAKE_NACL) &&
	    aws_json_load_buffer(rs, AWS_KIND_NACL, name, buf, len, map, d) < 0) {
		ret = -1;
		err = errno;
	}
	if ((take & RULES_TAKE_SG) &&
	    aws_json_load_buffer(rs, AWS_KIND_SG, name, buf, len, map, d) < 0) {
		ret = -1;
		err = errno;
	}
	errno = err;
	return ret;
}

int load_buffer(struct ruleset *rs, const char *name, const char *buf, size_t len,
		const struct load_opts *o, struct diag *d, struct load_info *info)
{
	struct load_info dummy;
	unsigned take = o->take;
	enum iac_format iac = IAC_NONE;
	bool json;

	if (!info)
		info = &dummy;
	if (!(o->flags & (LOAD_NATIVE | LOAD_JSON)))
		iac = iac_detect(buf, len);
	json = o->flags & LOAD_NATIVE ? false :
	       o->flags & LOAD_JSON ? true : aws_json_detect(buf, len);
	if (!take)
		take = load_holds(buf, len);
	if (!take)
		take = o->take_none;
	info->take = take;
	info->native = !json && iac == IAC_NONE;
	if (iac != IAC_NONE)
		return iac_load_buffer(rs, iac, take, name, buf, len, o->map, d);
	return json ? load_json(rs, take, name, buf, len, o->map, d) :
	       rules_load_buffer(rs, take, name, buf, len, o->map, d);
}

int load_file(struct ruleset *rs, const char *path, const struct load_opts *o,
	      struct diag *d, struct load_info *info)
{
	const char *name = o->name ? o->name : path;
	size_t len;
	char *buf;
	int ret, saved;

	if (info) {
		info->take = o->take;
		info->native = false;
	}
	if (read_file(path, o->flags, &buf, &len) < 0) {
		saved = errno;
		diag_error(d, name, "cannot read: %s", file_read_error(saved));
		errno = saved;
		return -1;
	}
	ret = load_buffer(rs, name, buf, len, o, d, info);
	saved = errno;
	free(buf);
	errno = saved;
	return ret;
}
