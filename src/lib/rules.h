/*
 * The native rule language (vpcfw.rules(5)): one rule per line, as the AWS
 * console tables show them. A file holds at most one network ACL and any
 * number of security groups, each named, plus named address lists.
 *
 * The parser is reentrant and fuzzable (no globals, no exit(), no I/O:
 * files come through load.h); it fills struct ruleset exactly as the AWS JSON
 * importer does, and reports every bad line in one pass as
 * "file:line:col: error: message", the source line and a caret.
 */
#ifndef VPCFW_RULES_H
#define VPCFW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "ruleset.h"

struct aws_map;		/* aws_json.h: --map ID=CIDR,... */

#define RULES_TAKE_NACL	0x1	/* the file was given with --nacl */
#define RULES_TAKE_SG	0x2	/* the file was given with --sg */

/* Longest string (group name, description), in bytes: AWS's limit. */
#define RULES_STRING_MAX 255

/*
 * Parse native rules from a buffer. Every error goes to d with
 * file:line:col and the source line; `name` names the buffer in messages
 * and origins. The sections in `take` are added to rs; a section of the
 * file not in `take` is an error naming the flag to add, and so is a kind
 * in `take` that the file does not hold. Give a file once, with all the
 * sections it is loaded for (--nacl F --sg F: take both in one call).
 * `map` may be NULL. Returns 0 when clean (warnings allowed), -1 with
 * errno EINVAL (or ENOMEM) otherwise; rs may then hold a partial load.
 */
int rules_load_buffer(struct ruleset *rs, unsigned take, const char *name,
		      const char *buf, size_t len, const struct aws_map *map,
		      struct diag *d);

/*
 * Can the language name a network ACL or a security group so (a name:
 * a letter, then letters, digits, '-', '_', '.'; not a keyword)? The JSON
 * import refuses other ids, so that every imported file can be printed.
 */
bool rules_id_printable(const char *id);

/*
 * Which sections a buffer holds, as RULES_TAKE_* bits: a line whose first
 * word is `nacl` or `sg`. For `check`, which takes everything.
 */
unsigned rules_sections(const char *buf, size_t len);

/*
 * The canonical form: the NACL (inbound then outbound, by number, the two
 * '*' lines last), then each group in order; lists expanded, services as
 * protocol and port, columns aligned. Parsing it gives the same rules.
 */
void rules_print(const struct ruleset *rs, FILE *out);

/*
 * One rule's fields as rules_print() writes them, in one line: a NACL
 * entry "100 allow tcp 80 0.0.0.0/0" (the '*' ones "* deny all 0.0.0.0/0"),
 * a security-group rule "tcp 80 10.0.0.0/16". Returns buf.
 */
const char *rules_nacl_text(const struct nacl_entry *e, char *buf, size_t len);
/* A protocol as the rules write it: its name ("tcp", "all"), else its number. */
const char *rules_proto_text(int proto, char *buf, size_t len);
const char *rules_sg_text(const struct sg_entry *e, char *buf, size_t len);

/*
 * Do two rulesets hold the same rules, as enforced? Compares the NACL id
 * and entries per direction by number, the groups in order and each
 * group's rules per direction in order, field by field; origins and refs
 * (provenance, not policy) are not compared. For round-trip tests.
 */
bool rules_equal(const struct ruleset *a, const struct ruleset *b);

#endif
