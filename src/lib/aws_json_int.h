/*
 * Private to the AWS JSON importer: what aws_json.c (entry points, shared
 * helpers), aws_json_nacl.c and aws_json_sg.c share. Not for other modules.
 */
#ifndef VPCFW_AWS_JSON_INT_H
#define VPCFW_AWS_JSON_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "aws_json.h"

#define PATH_LEN	256

struct loader {
	struct ruleset *rs;
	struct diag *d;
	const char *name;		/* the file as given, for messages */
	const char *file;		/* interned, for origins */
	const struct aws_map *map;
	size_t errors;			/* errors reported for this file */
	bool oom;
	/*
	 * Formats with positions (Terraform, CloudFormation: doc.h): where the
	 * value being read is, from 1 (0: unknown), and the text to quote.
	 */
	unsigned line, col;
	const char *buf;
	size_t len;
};

/* Messages: `path` names the entry, or is NULL for the whole file. */
void awsj_error(struct loader *l, const char *path, const char *fmt, ...)
	PRINTF_FMT(3, 4);
void awsj_path_fmt(char *buf, size_t len, const char *fmt, ...)
	PRINTF_FMT(3, 4);
void awsj_oom(struct loader *l, const char *path);

/*
 * Field access. A field holding JSON null counts as absent. Each getter
 * returns FIELD_OK, FIELD_ABSENT, or FIELD_BAD after reporting the wrong type; `pfx`
 * names the enclosing object in messages ("PortRange.").
 */
enum { FIELD_BAD = -1, FIELD_OK = 0, FIELD_ABSENT = 1 };

json_t *awsj_field(const json_t *obj, const char *key);
int awsj_bad_type(struct loader *l, const char *path, const char *pfx,
		  const char *key, const json_t *j, const char *want);
int awsj_get_int(struct loader *l, const char *path, const json_t *obj,
		 const char *pfx, const char *key, long long *v);
int awsj_get_str(struct loader *l, const char *path, const json_t *obj,
		 const char *key, const char **s);
/* A name or description: as awsj_get_str, and refused (FIELD_BAD, reported)
 * when it holds a control character or more than RULES_STRING_MAX bytes, as
 * AWS refuses them and the native language cannot write them. */
int awsj_get_text(struct loader *l, const char *path, const json_t *obj,
		  const char *key, const char **s);
/* The same check of a string already read: 0, or -1 reported. */
int awsj_check_text(struct loader *l, const char *path, const char *key, const char *s);
json_t *awsj_get_array(struct loader *l, const char *path, const json_t *obj,
		       const char *key, bool *bad);

/* Required fields: 0, or -1 once the problem is reported. */
int awsj_need(struct loader *l, const char *path, const char *key, int r);
int awsj_need_str(struct loader *l, const char *path, const json_t *obj,
		  const char *key, const char **s);
int awsj_need_bool(struct loader *l, const char *path, const json_t *obj,
		   const char *key, bool *b);

/* Values: 0, or -1 once reported (awsj_proto_value reports nothing). */
int awsj_proto_value(const json_t *j, long long *v);
int awsj_parse_proto(struct loader *l, const char *path, const json_t *obj,
		     const char *key, int *proto);
const char *awsj_proto_label(int proto);
int awsj_parse_cidr(struct loader *l, const char *path, const char *key,
		    const char *s, int family, struct cidr *c);
int awsj_check_ports(struct loader *l, const char *path, const char *from_name,
		     const char *to_name, long long from, long long to);
int awsj_check_icmp(struct loader *l, const char *path, const char *type_name,
		    const char *code_name, long long type, long long code);

/*
 * Security-group rows: `t` holds egress, proto, ports, group and origin.
 * awsj_sg_emit adds one row for peer c (a copy);
 * awsj_sg_ref adds one row per --map address of an sg-/pl- id (`what`:
 * "security-group reference", "prefix list"), or reports that it has none.
 * `ok` false checks and reports without adding rows.
 */
void awsj_sg_emit(struct loader *l, const char *path, const struct sg_entry *t,
		  const struct cidr *c, const char *desc, const char *ref);
void awsj_sg_ref(struct loader *l, const char *path, const struct sg_entry *t,
		 bool ok, const char *what, const char *id, const char *desc);
/*
 * The ports of t->proto from a FromPort/ToPort pair (`fn`, `tn` name them in
 * messages; rf/rt are FIELD_*): TCP/UDP ranges (-1/-1 all), ICMP type and
 * code (-1 all); other protocols every port. 0, or -1 reported.
 */
int awsj_sg_ports(struct loader *l, const char *path, struct sg_entry *t,
		  const char *fn, const char *tn, int rf, int rt,
		  long long from, long long to);
/* The group with this id, added when new (name may be NULL); -1 reported. */
int awsj_sg_group(struct loader *l, const char *path, const char *id,
		  const char *name);
/* The source line `line` of buf, or NULL (too long, absent): free it. */
char *awsj_source_line(const char *buf, size_t len, int line);

/* The kinds: each loads the array under its top-level key. */
void awsj_nacl_load(struct loader *l, const json_t *acls);
void awsj_sg_load(struct loader *l, const json_t *groups);
void awsj_sgr_load(struct loader *l, const json_t *rules);

#endif
