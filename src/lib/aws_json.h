/*
 * Import of AWS CLI JSON: `aws ec2 describe-network-acls` and
 * `aws ec2 describe-security-groups` output exactly as the CLI prints it
 * (jansson). Errors name the file and the entry.
 */
#ifndef VPCFW_AWS_JSON_H
#define VPCFW_AWS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include "addr.h"
#include "diag.h"
#include "ruleset.h"

/* --map ID=CIDR[,CIDR...]: addresses for security-group references and prefix lists. */
struct aws_map_entry {
	char *id;		/* "sg-..." or "pl-..." */
	struct cidr *cidrs;
	size_t n;
};

/* --param NAME=VALUE: a CloudFormation template's parameter, given on the command line. */
struct aws_param {
	char *name;
	char *value;
};

/*
 * What the command line says about references a file cannot resolve
 * itself: addresses (--map) and template parameters (--param).
 */
struct aws_map {
	struct aws_map_entry *e;
	size_t n;
	struct aws_param *p;
	size_t n_params;
};

/* Parse one --map argument and append it. 0, or -1 with errno EINVAL/ENOMEM. */
int aws_map_add(struct aws_map *m, const char *spec);
const struct aws_map_entry *aws_map_find(const struct aws_map *m, const char *id);
void aws_map_free(struct aws_map *m);
/*
 * Parse one --param NAME=VALUE (NAME: letters and digits, as CloudFormation
 * names parameters; given once) and append it. 0, or -1 with errno
 * EINVAL/ENOMEM.
 */
int aws_map_add_param(struct aws_map *m, const char *spec);
/* The value given for a parameter, or NULL. */
const char *aws_map_param(const struct aws_map *m, const char *name);

enum aws_kind {
	AWS_KIND_NACL,		/* the file must hold {"NetworkAcls": [...]} */
	AWS_KIND_SG,		/* the file must hold {"SecurityGroups": [...]} */
};

/* Does this text look like JSON (first non-space byte is '{')? */
bool aws_json_detect(const char *buf, size_t len);

/*
 * Which CLI output a JSON text is, from its top-level key: AWS_KIND_NACL for
 * {"NetworkAcls": ...}, else AWS_KIND_SG (text that does not parse goes to
 * the security-group loader, which reports the syntax error in place).
 */
enum aws_kind aws_json_kind(const char *buf, size_t len);

/*
 * Load one document's rules into rs (files: load.h). Every problem found is
 * added to d with the name and the entry (e.g. "NetworkAcls[0].Entries[3]");
 * returns 0 when the text was clean, -1 otherwise (rs may then hold a
 * partial load). The '*' entries 32767/32768 are checked and skipped:
 * compilers add them. A second network ACL (in this text or added earlier
 * to rs) is an error.
 */
int aws_json_load_buffer(struct ruleset *rs, enum aws_kind kind, const char *name,
			 const char *buf, size_t len, const struct aws_map *map,
			 struct diag *d);

#endif
