/*
 * Infrastructure-as-code input (iac.h): detection, the document, and what
 * the Terraform (tf.c) and CloudFormation (cfn.c) readers share.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iac_int.h"

#define MSG_LEN 512

void iac_at(struct iac *x, const json_t *j, const json_t *at)
{
	unsigned line, col;

	doc_where(&x->doc, j, &line, &col);
	if (!line)
		doc_where(&x->doc, at, &line, &col);
	if (line) {
		x->l.line = line;
		x->l.col = col;
	}
}

void PRINTF_FMT(5, 6)
iac_error(struct iac *x, const json_t *j, const json_t *at, const char *path,
	  const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	iac_at(x, j, at);
	awsj_error(&x->l, path, "%s", msg);
}

bool iac_nacl_begin(struct iac *x, const json_t *at, const char *path,
		    const char *id, const char *what)
{
	struct ruleset *rs = x->l.rs;

	if (rs->has_nacl && rs->nacl_id && !strcmp(rs->nacl_id, id))
		return true;	/* the ACL of entries seen before, or entries of this ACL */
	if (rs->has_nacl) {
		iac_error(x, at, NULL, path,
			  "a second network ACL: %s is already loaded%s%s; a subnet has exactly one network ACL (give this host's ACL in a file of its own)",
			  rs->nacl_id ? rs->nacl_id : "?", x->nacl_what[0] ? " from " : "",
			  x->nacl_what);
		return false;
	}
	if (!rules_id_printable(id)) {
		iac_error(x, at, NULL, path, "network ACL id \"%.60s\" is not printable as a name (letters, digits, '-', '_', '.')",
			  id);
		return false;
	}
	rs->has_nacl = true;
	rs->nacl_id = strdup(id);
	if (!rs->nacl_id)
		awsj_oom(&x->l, path);
	snprintf(x->nacl_what, sizeof(x->nacl_what), "%s", what);
	return true;
}

void iac_nacl_add(struct iac *x, const json_t *at, const char *path,
		  struct nacl_entry *ne)
{
	iac_at(x, at, NULL);
	ne->origin.file = x->l.file;
	ne->origin.line = x->l.line;
	if (ruleset_add_nacl(x->l.rs, ne) < 0)
		awsj_oom(&x->l, path);
}

/* ---- duplicates, after loading: sorted, so a 64 MiB state stays fast --------- */

static int cidr_cmp(const struct cidr *a, const struct cidr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

#define CMP(x, y) do { if ((x) != (y)) return (x) < (y) ? -1 : 1; } while (0)

/* Entries are sorted as pointers into their array: the address is the order read. */
static int sg_key_cmp(const void *pa, const void *pb)
{
	const struct sg_entry *a = *(const struct sg_entry *const *)pa;
	const struct sg_entry *b = *(const struct sg_entry *const *)pb;
	int c;

	CMP(a->group, b->group);
	CMP(a->egress, b->egress);
	CMP(a->proto, b->proto);
	CMP(a->from, b->from);
	CMP(a->to, b->to);
	c = cidr_cmp(&a->cidr, &b->cidr);
	if (c)
		return c;
	CMP(a, b);
	return 0;
}

static int nacl_key_cmp(const void *pa, const void *pb)
{
	const struct nacl_entry *a = *(const struct nacl_entry *const *)pa;
	const struct nacl_entry *b = *(const struct nacl_entry *const *)pb;

	CMP(a->egress, b->egress);
	CMP(a->number, b->number);
	CMP(a, b);
	return 0;
}

/*
 * A refreshed Terraform state lists an entry made by an aws_network_acl_rule
 * in its ACL's ingress/egress too: the same entry twice is one entry.
 */
static bool nacl_same(const struct nacl_entry *a, const struct nacl_entry *b)
{
	return a->allow == b->allow && a->proto == b->proto &&
	       a->port_from == b->port_from && a->port_to == b->port_to &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code &&
	       !cidr_cmp(&a->cidr, &b->cidr);
}

/* Pointers to base[from..n) (entries of `size` bytes) sorted by cmp; NULL when out of memory (reported). */
static const void **sorted(struct iac *x, const void *base, size_t size, size_t from,
			   size_t n, int (*cmp)(const void *, const void *))
{
	const void **ix = malloc((n - from) * sizeof(*ix));
	size_t i;

	if (!ix) {
		awsj_oom(&x->l, NULL);
		return NULL;
	}
	for (i = from; i < n; i++)
		ix[i - from] = (const char *)base + i * size;
	qsort(ix, n - from, sizeof(*ix), cmp);
	return ix;
}

/*
 * SG rows the same but for their peer's description (the group's field and
 * a rule resource both listing a rule: AWS holds it once) keep the first.
 */
static void sg_dedupe(struct iac *x, size_t from)
{
	struct ruleset *rs = x->l.rs;
	size_t n = rs->n_sg, i, k;
	const struct sg_entry **ix;
	bool *drop;

	if (n - from < 2 ||
	    !(ix = (const struct sg_entry **)sorted(x, rs->sg, sizeof(*rs->sg), from, n, sg_key_cmp)))
		return;
	drop = calloc(n, sizeof(*drop));
	if (!drop) {
		free(ix);
		awsj_oom(&x->l, NULL);
		return;
	}
	for (i = 1; i < n - from; i++) {
		const struct sg_entry *a = ix[i - 1], *b = ix[i];

		if (a->group == b->group && a->egress == b->egress && a->proto == b->proto &&
		    a->from == b->from && a->to == b->to && !cidr_cmp(&a->cidr, &b->cidr))
			drop[b - rs->sg] = true;
	}
	for (i = k = from; i < n; i++) {
		if (drop[i]) {
			free(rs->sg[i].description);
			free(rs->sg[i].ref);
			continue;
		}
		rs->sg[k++] = rs->sg[i];
	}
	rs->n_sg = k;
	free(drop);
	free((void *)ix);
}

/* A rule number twice in one direction: the same entry is one, another is an error. */
static void nacl_dedupe(struct iac *x, size_t from)
{
	struct ruleset *rs = x->l.rs;
	size_t n = rs->n_nacl, i, k, first = 0;
	const struct nacl_entry **ix;
	bool *drop;

	if (n - from < 2 ||
	    !(ix = (const struct nacl_entry **)sorted(x, rs->nacl, sizeof(*rs->nacl), from, n,
						      nacl_key_cmp)))
		return;
	drop = calloc(n, sizeof(*drop));
	if (!drop) {
		free(ix);
		awsj_oom(&x->l, NULL);
		return;
	}
	for (i = 1; i < n - from; i++) {
		const struct nacl_entry *a = ix[first], *b = ix[i];

		if (a->egress != b->egress || a->number != b->number) {
			first = i;
			continue;
		}
		drop[b - rs->nacl] = true;
		if (nacl_same(a, b))
			continue;
		x->l.line = b->origin.line;
		x->l.col = 0;
		awsj_error(&x->l, NULL, "rule number %u is already used in %s by the entry at line %u",
			   b->number, b->egress ? "egress" : "ingress", a->origin.line);
	}
	for (i = k = from; i < n; i++)
		if (!drop[i])
			rs->nacl[k++] = rs->nacl[i];
	rs->n_nacl = k;
	free(drop);
	free((void *)ix);
}

int iac_nacl_l4(struct iac *x, const char *path, struct nacl_entry *ne,
		const char *fn, const char *tn, long long from, long long to,
		bool has_ports, const char *itn, const char *icn, long long type,
		long long code, bool has_icmp)
{
	struct loader *l = &x->l;

	ne->port_from = 0;
	ne->port_to = 65535;
	ne->icmp_type = ne->icmp_code = -1;
	if (ne->proto == 6 || ne->proto == 17) {
		if (!has_ports) {
			awsj_error(l, path, "protocol %d (%s) needs %s and %s", ne->proto,
				   awsj_proto_label(ne->proto), fn, tn);
			return -1;
		}
		if (awsj_check_ports(l, path, fn, tn, from, to) < 0)
			return -1;
		ne->port_from = (uint16_t)from;
		ne->port_to = (uint16_t)to;
	} else if (ne->proto == 1 || (ne->proto == 58 && ne->cidr.family == AF_INET6)) {
		if (!has_icmp)
			return 0;
		if (awsj_check_icmp(l, path, itn, icn, type, code) < 0)
			return -1;
		ne->icmp_type = (int16_t)type;
		ne->icmp_code = (int16_t)code;
	}
	return 0;
}

/* ---- detection and the entry point ---------------------------------------- */

static size_t skip_bom(const char *buf, size_t len)
{
	return len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
}

static enum iac_format json_format(const json_t *root)
{
	if (!json_is_object(root))
		return IAC_NONE;
	if (json_object_get(root, "format_version") &&
	    (json_object_get(root, "values") || json_object_get(root, "planned_values") ||
	     json_object_get(root, "resource_changes")))
		return IAC_TERRAFORM;
	if (json_object_get(root, "Resources") || json_object_get(root, "AWSTemplateFormatVersion"))
		return IAC_CFN_JSON;
	return IAC_NONE;
}

/* A YAML template has a top-level key line; native rules never do. */
static bool yaml_template(const char *buf, size_t len)
{
	static const char *const keys[] = { "AWSTemplateFormatVersion:", "Resources:" };
	const char *p = buf, *end = buf + len, *nl;
	size_t i, k;

	while (p < end) {
		nl = memchr(p, '\n', end - p);
		k = (size_t)((nl ? nl : end) - p);
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (k >= strlen(keys[i]) && !memcmp(p, keys[i], strlen(keys[i])))
				return true;
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

enum iac_format iac_detect(const char *buf, size_t len)
{
	size_t skip = skip_bom(buf, len);
	enum iac_format f;
	json_t *root;

	if (aws_json_detect(buf, len)) {
		root = json_loadb(buf + skip, len - skip, 0, NULL);
		f = json_format(root);
		json_decref(root);
		return f;
	}
	return yaml_template(buf + skip, len - skip) ? IAC_CFN_YAML : IAC_NONE;
}

static int parse(struct doc *doc, enum iac_format f, const char *buf, size_t len)
{
	size_t skip = skip_bom(buf, len);

	return f == IAC_CFN_YAML ? doc_parse_yaml(doc, buf + skip, len - skip) :
	       doc_parse_json(doc, buf + skip, len - skip);
}

unsigned iac_holds(enum iac_format f, const char *buf, size_t len)
{
	struct doc doc;
	unsigned holds = 0;

	if (parse(&doc, f, buf, len) == 0)
		holds = f == IAC_TERRAFORM ? tf_holds(doc.root) : cfn_holds(doc.root);
	doc_free(&doc);
	return holds;
}

/*
 * As for native files (vpcfw.rules(5), LOADING): a kind the file holds but
 * was not asked for is an error naming the flag, never dropped silently.
 */
void iac_check_take(struct iac *x, unsigned holds, const char *nacl_types,
		    const char *sg_types)
{
	iac_at(x, x->doc.root, NULL);
	if ((x->take & RULES_TAKE_NACL) && !(holds & RULES_TAKE_NACL))
		awsj_error(&x->l, NULL, "holds no network ACL (%s)", nacl_types);
	if ((x->take & RULES_TAKE_SG) && !(holds & RULES_TAKE_SG))
		awsj_error(&x->l, NULL, "holds no security group (%s)", sg_types);
	if (!(x->take & RULES_TAKE_NACL) && (holds & RULES_TAKE_NACL))
		awsj_error(&x->l, NULL, "holds a network ACL; give the file with --nacl too");
	if (!(x->take & RULES_TAKE_SG) && (holds & RULES_TAKE_SG))
		awsj_error(&x->l, NULL, "holds security groups; give the file with --sg too");
}

int iac_load_buffer(struct ruleset *rs, enum iac_format f, unsigned take,
		    const char *name, const char *buf, size_t len,
		    const struct aws_map *map, struct diag *d)
{
	struct iac x;
	char *src;

	memset(&x, 0, sizeof(x));
	x.l = (struct loader){ .rs = rs, .d = d, .name = name, .map = map,
			       .buf = buf + skip_bom(buf, len), .len = len - skip_bom(buf, len),
			       };
	x.take = take;
	x.l.file = ruleset_intern_file(rs, name);
	if (!x.l.file) {
		awsj_oom(&x.l, NULL);
	} else if (parse(&x.doc, f, buf, len) < 0) {
		if (x.doc.oom) {
			awsj_oom(&x.l, NULL);
		} else {
			src = awsj_source_line(x.l.buf, x.l.len, (int)x.doc.err_line);
			diag_add(d, DIAG_ERROR, name, x.doc.err_line, x.doc.err_col, src, "%s",
				 x.doc.error);
			free(src);
			x.l.errors++;
		}
	} else {
		size_t nacl_from = rs->n_nacl, sg_from = rs->n_sg;

		if (f == IAC_TERRAFORM)
			tf_load(&x);
		else
			cfn_load(&x);
		nacl_dedupe(&x, nacl_from);
		sg_dedupe(&x, sg_from);
	}
	doc_free(&x.doc);
	if (x.l.errors == 0)
		return 0;
	errno = x.l.oom ? ENOMEM : EINVAL;
	return -1;
}
