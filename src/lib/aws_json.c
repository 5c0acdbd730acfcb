/*
 * Import of AWS CLI JSON: `aws ec2 describe-network-acls`,
 * `describe-security-groups` and `describe-security-group-rules` output,
 * read exactly as the CLI prints it. Every problem is reported with the
 * file and the JSON path of the entry, and loading goes on, so one pass
 * shows every bad entry (pf's parse.y habit).
 *
 * This file holds the entry points, --map and the helpers the kinds share
 * (aws_json_int.h); the kinds themselves are in aws_json_nacl.c and
 * aws_json_sg.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws_json_int.h"
#include "rules.h"

#define MSG_LEN		512
#define SRC_LINE_MAX	240	/* longer source lines are not quoted */

void PRINTF_FMT(3, 4)
awsj_error(struct loader *l, const char *path, const char *fmt, ...)
{
	char msg[MSG_LEN], *src = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->line && l->buf)
		src = awsj_source_line(l->buf, l->len, (int)l->line);
	if (path)
		diag_add(l->d, DIAG_ERROR, l->name, l->line, l->col, src, "%s: %s", path, msg);
	else
		diag_add(l->d, DIAG_ERROR, l->name, l->line, l->col, src, "%s", msg);
	free(src);
	l->errors++;
}

/* Entry paths: a truncated path still names the entry well enough. */
void PRINTF_FMT(3, 4)
awsj_path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void awsj_oom(struct loader *l, const char *path)
{
	if (!l->oom)
		awsj_error(l, path, "out of memory");
	l->oom = true;
}

/* A JSON value as a short text for messages: "tcp", 7, {...}. */
static const char *brief(const json_t *j, char *buf, size_t len)
{
	char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);

	if (!s) {
		snprintf(buf, len, "?");
		return buf;
	}
	if (strlen(s) > 40)
		snprintf(buf, len, "%.37s...", s);
	else
		snprintf(buf, len, "%s", s);
	free(s);
	return buf;
}

/* Field access: the FIELD_* contract is in aws_json_int.h. */
json_t *awsj_field(const json_t *obj, const char *key)
{
	json_t *j = json_object_get(obj, key);

	return json_is_null(j) ? NULL : j;
}

int awsj_bad_type(struct loader *l, const char *path, const char *pfx,
		  const char *key, const json_t *j, const char *want)
{
	char b[48];

	awsj_error(l, path, "%s%s must be %s, not %s", pfx, key, want,
		   brief(j, b, sizeof(b)));
	return FIELD_BAD;
}

int awsj_get_int(struct loader *l, const char *path, const json_t *obj,
		 const char *pfx, const char *key, long long *v)
{
	json_t *j = awsj_field(obj, key);

	if (!j)
		return FIELD_ABSENT;
	if (!json_is_integer(j))
		return awsj_bad_type(l, path, pfx, key, j, "an integer");
	*v = json_integer_value(j);
	return FIELD_OK;
}

int awsj_get_str(struct loader *l, const char *path, const json_t *obj,
		 const char *key, const char **s)
{
	json_t *j = awsj_field(obj, key);

	*s = NULL;
	if (!j)
		return FIELD_ABSENT;
	if (!json_is_string(j))
		return awsj_bad_type(l, path, "", key, j, "a string");
	*s = json_string_value(j);
	return FIELD_OK;
}

int awsj_get_text(struct loader *l, const char *path, const json_t *obj,
		  const char *key, const char **s)
{
	int r = awsj_get_str(l, path, obj, key, s);

	if (r != FIELD_OK)
		return r;
	return awsj_check_text(l, path, key, *s) < 0 ? FIELD_BAD : FIELD_OK;
}

int awsj_check_text(struct loader *l, const char *path, const char *key, const char *s)
{
	const unsigned char *c;

	if (strlen(s) > RULES_STRING_MAX) {
		awsj_error(l, path, "%s holds %zu bytes; AWS allows at most %d", key,
			   strlen(s), RULES_STRING_MAX);
		return -1;
	}
	for (c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f) {
			awsj_error(l, path, "%s holds the control character 0x%02x, which AWS does not allow",
				   key, *c);
			return -1;
		}
	return 0;
}

static int get_bool(struct loader *l, const char *path, const json_t *obj,
		    const char *key, bool *b)
{
	json_t *j = awsj_field(obj, key);

	if (!j)
		return FIELD_ABSENT;
	if (!json_is_boolean(j))
		return awsj_bad_type(l, path, "", key, j, "true or false");
	*b = json_is_true(j);
	return FIELD_OK;
}

/* An optional array; absent reads as empty. Returns NULL if absent or bad. */
json_t *awsj_get_array(struct loader *l, const char *path, const json_t *obj,
		       const char *key, bool *bad)
{
	json_t *j = awsj_field(obj, key);

	*bad = false;
	if (j && !json_is_array(j)) {
		awsj_bad_type(l, path, "", key, j, "an array");
		*bad = true;
		return NULL;
	}
	return j;
}

/* Required fields: -1 once the problem is reported. */
int awsj_need(struct loader *l, const char *path, const char *key, int r)
{
	if (r == FIELD_ABSENT)
		awsj_error(l, path, "%s is missing", key);
	return r == FIELD_OK ? 0 : -1;
}

int awsj_need_str(struct loader *l, const char *path, const json_t *obj,
		  const char *key, const char **s)
{
	return awsj_need(l, path, key, awsj_get_str(l, path, obj, key, s));
}

int awsj_need_bool(struct loader *l, const char *path, const json_t *obj,
		   const char *key, bool *b)
{
	return awsj_need(l, path, key, get_bool(l, path, obj, key, b));
}

/*
 * Protocols: the CLI prints a string number ("6", "-1") or, for security
 * groups, a name; learners write JSON numbers and names in any case.
 */
static const struct {
	const char *name;
	int proto;
} proto_names[] = {
	{ "all", PROTO_ALL }, { "icmp", 1 }, { "icmpv6", 58 },
	{ "tcp", 6 }, { "udp", 17 },
	{ "ipv6-icmp", 58 },	/* Terraform's and IANA's name for icmpv6 */
};

int awsj_proto_value(const json_t *j, long long *v)
{
	const char *s;
	char *end;
	size_t i;

	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return -1;
	s = json_string_value(j);
	for (i = 0; i < ARRAY_SIZE(proto_names); i++)
		if (!strcasecmp(s, proto_names[i].name)) {
			*v = proto_names[i].proto;
			return 0;
		}
	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return *end || errno ? -1 : 0;
}

int awsj_parse_proto(struct loader *l, const char *path, const json_t *obj,
		     const char *key, int *proto)
{
	json_t *j = awsj_field(obj, key);
	long long v;
	char b[48];

	if (!j)
		return awsj_need(l, path, key, FIELD_ABSENT);
	if (awsj_proto_value(j, &v) < 0 || v < PROTO_ALL || v > 255) {
		awsj_error(l, path, "%s %s is not a protocol: use a number 0-255, -1 (all), tcp, udp, icmp or icmpv6",
			   key, brief(j, b, sizeof(b)));
		return -1;
	}
	*proto = (int)v;
	return 0;
}

const char *awsj_proto_label(int proto)
{
	const char *n = proto_name(proto);

	return n ? n : "?";
}

/* A CIDR string of a given family, with host bits cleared as AWS does. */
int awsj_parse_cidr(struct loader *l, const char *path, const char *key,
		    const char *s, int family, struct cidr *c)
{
	bool v4 = family == AF_INET;

	if (cidr_parse(s, c) == 0 && c->family == family)
		return 0;
	awsj_error(l, path, "%s \"%.60s\" is not an %s CIDR block (%s)", key, s,
		   v4 ? "IPv4" : "IPv6", v4 ? "a.b.c.d/n" : "x:y::z/n");
	return -1;
}

/* From/To of a port range (TCP/UDP): 0-65535, from <= to. */
int awsj_check_ports(struct loader *l, const char *path, const char *from_name,
		     const char *to_name, long long from, long long to)
{
	int ret = 0;

	if (from < 0 || from > 65535) {
		awsj_error(l, path, "%s %lld is out of range 0-65535", from_name, from);
		ret = -1;
	}
	if (to < 0 || to > 65535) {
		awsj_error(l, path, "%s %lld is out of range 0-65535", to_name, to);
		ret = -1;
	}
	if (ret == 0 && from > to) {
		awsj_error(l, path, "%s %lld is greater than %s %lld", from_name, from,
			   to_name, to);
		ret = -1;
	}
	return ret;
}

/* ICMP type/code: -1 = any, else 0-255; any type means any code. */
int awsj_check_icmp(struct loader *l, const char *path, const char *type_name,
		    const char *code_name, long long type, long long code)
{
	int ret = 0;

	if (type < -1 || type > 255) {
		awsj_error(l, path, "%s %lld is out of range: an ICMP type is 0-255, or -1 for all",
			   type_name, type);
		ret = -1;
	}
	if (code < -1 || code > 255) {
		awsj_error(l, path, "%s %lld is out of range: an ICMP code is 0-255, or -1 for all",
			   code_name, code);
		ret = -1;
	}
	if (ret == 0 && type == -1 && code != -1) {
		awsj_error(l, path, "%s -1 (all ICMP types) needs %s -1, not %lld",
			   type_name, code_name, code);
		ret = -1;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static void load_root(struct loader *l, enum aws_kind kind, const json_t *root)
{
	json_t *nacls = json_object_get(root, "NetworkAcls");
	json_t *sgs = json_object_get(root, "SecurityGroups");
	json_t *sgr = json_object_get(root, "SecurityGroupRules");

	if (kind == AWS_KIND_NACL) {
		if (nacls)
			awsj_nacl_load(l, nacls);
		else if (sgs || sgr)
			awsj_error(l, NULL, "holds %s; give it with --sg, not --nacl",
				   sgs ? "SecurityGroups" : "SecurityGroupRules");
		else
			awsj_error(l, NULL, "no \"NetworkAcls\": not the output of aws ec2 describe-network-acls");
		return;
	}
	if (sgs)
		awsj_sg_load(l, sgs);
	if (sgr)
		awsj_sgr_load(l, sgr);
	if (sgs || sgr)
		return;
	if (nacls)
		awsj_error(l, NULL, "holds NetworkAcls; give it with --nacl, not --sg");
	else
		awsj_error(l, NULL, "no \"SecurityGroups\": not the output of aws ec2 describe-security-groups");
}

/* Line `line` (from 1) of buf as a string, or NULL when absent or too long. */
char *awsj_source_line(const char *buf, size_t len, int line)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t n;

	if (line < 1)
		return NULL;
	while (--line > 0) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	nl = memchr(p, '\n', end - p);
	n = (nl ? nl : end) - p;
	if (n && p[n - 1] == '\r')
		n--;
	if (n > SRC_LINE_MAX || memchr(p, '\0', n))
		return NULL;
	return strndup(p, n);
}

static void json_syntax_error(struct loader *l, const char *buf, size_t len,
			      const json_error_t *err)
{
	char *src = awsj_source_line(buf, len, err->line);
	unsigned line = err->line > 0 ? (unsigned)err->line : 0;
	unsigned col = err->column > 0 ? (unsigned)err->column : 0;

	diag_add(l->d, DIAG_ERROR, l->name, line, col, src, "invalid JSON: %s",
		 err->text);
	l->errors++;
	free(src);
}

/* A UTF-8 byte order mark, which some editors add, is not JSON: skip it. */
static size_t bom_len(const char *buf, size_t len)
{
	return len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
}

bool aws_json_detect(const char *buf, size_t len)
{
	size_t i = bom_len(buf, len);

	while (i < len && strchr(" \t\r\n", buf[i]) && buf[i])
		i++;
	return i < len && buf[i] == '{';
}

enum aws_kind aws_json_kind(const char *buf, size_t len)
{
	size_t skip = bom_len(buf, len);
	json_t *root = json_loadb(buf + skip, len - skip, 0, NULL);
	enum aws_kind kind = AWS_KIND_SG;

	if (json_is_object(root) && json_object_get(root, "NetworkAcls"))
		kind = AWS_KIND_NACL;
	json_decref(root);
	return kind;
}

int aws_json_load_buffer(struct ruleset *rs, enum aws_kind kind, const char *name,
			 const char *buf, size_t len, const struct aws_map *map,
			 struct diag *d)
{
	struct loader l = { .rs = rs, .d = d, .name = name, .map = map };
	size_t skip = bom_len(buf, len);
	json_error_t err;
	json_t *root;

	l.file = ruleset_intern_file(rs, name);
	if (!l.file) {
		awsj_oom(&l, NULL);
		return -1;
	}
	root = json_loadb(buf + skip, len - skip, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		json_syntax_error(&l, buf + skip, len - skip, &err);
	else if (!json_is_object(root))
		awsj_error(&l, NULL, "the top level is not an object: not the output of the AWS CLI");
	else
		load_root(&l, kind, root);
	json_decref(root);
	if (l.errors == 0)
		return 0;
	errno = l.oom ? ENOMEM : EINVAL;
	return -1;
}

/* ------------------------------------------------------------------ */
/* --map ID=CIDR[,CIDR...]                                             */

const struct aws_map_entry *aws_map_find(const struct aws_map *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->e[i].id, id))
			return &m->e[i];
	return NULL;
}

/* "sg-" or "pl-" and then letters and digits, as AWS ids are. */
static bool map_id_valid(const char *id, size_t len)
{
	size_t i;

	if (len < 4 || (strncmp(id, "sg-", 3) && strncmp(id, "pl-", 3)))
		return false;
	for (i = 3; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z')))
			return false;
	return true;
}

/* Parse "a,b,c" into a new array; empty items are refused. */
static int map_cidrs(const char *list, struct cidr **out, size_t *n_out)
{
	size_t n = 1, i = 0;
	char *copy, *tok, *save = NULL;
	const char *p;
	struct cidr *c;

	for (p = list; *p; p++)
		n += *p == ',';
	copy = strdup(list);
	c = calloc(n, sizeof(*c));
	if (!copy || !c)
		goto fail;
	errno = EINVAL;
	if (!*list || list[strlen(list) - 1] == ',' || strstr(list, ",,") || *list == ',')
		goto fail;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (cidr_parse(tok, &c[i++]) < 0)
			goto fail;
	free(copy);
	*out = c;
	*n_out = n;
	return 0;
fail:
	free(copy);
	free(c);
	if (errno != ENOMEM)
		errno = EINVAL;
	return -1;
}

int aws_map_add(struct aws_map *m, const char *spec)
{
	const char *eq = strchr(spec, '=');
	struct aws_map_entry e = { 0 }, *ne;

	if (!eq || !map_id_valid(spec, eq - spec)) {
		errno = EINVAL;
		return -1;
	}
	e.id = strndup(spec, eq - spec);
	if (!e.id)
		return -1;
	if (aws_map_find(m, e.id)) {
		errno = EINVAL;
		goto fail;
	}
	if (map_cidrs(eq + 1, &e.cidrs, &e.n) < 0)
		goto fail;
	ne = realloc(m->e, (m->n + 1) * sizeof(*ne));
	if (!ne) {
		free(e.cidrs);
		goto fail;
	}
	m->e = ne;
	m->e[m->n++] = e;
	return 0;
fail:
	free(e.id);
	return -1;
}

void aws_map_free(struct aws_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->e[i].id);
		free(m->e[i].cidrs);
	}
	for (i = 0; i < m->n_params; i++) {
		free(m->p[i].name);
		free(m->p[i].value);
	}
	free(m->e);
	free(m->p);
	m->e = NULL;
	m->p = NULL;
	m->n = m->n_params = 0;
}

const char *aws_map_param(const struct aws_map *m, const char *name)
{
	size_t i;

	for (i = 0; m && i < m->n_params; i++)
		if (!strcmp(m->p[i].name, name))
			return m->p[i].value;
	return NULL;
}

int aws_map_add_param(struct aws_map *m, const char *spec)
{
	const char *eq = strchr(spec, '=');
	struct aws_param p = { 0 }, *np;
	const char *c;

	errno = EINVAL;
	if (!eq || eq == spec)
		return -1;
	for (c = spec; c < eq; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return -1;
	p.name = strndup(spec, eq - spec);
	p.value = strdup(eq + 1);
	if (!p.name || !p.value)
		goto fail;
	if (aws_map_param(m, p.name)) {
		errno = EINVAL;
		goto fail;
	}
	np = realloc(m->p, (m->n_params + 1) * sizeof(*np));
	if (!np)
		goto fail;
	m->p = np;
	m->p[m->n_params++] = p;
	return 0;
fail:
	free(p.name);
	free(p.value);
	return -1;
}
