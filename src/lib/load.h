/*
 * The one loader of rule files: read a file, tell Terraform `show -json`
 * output, CloudFormation templates (JSON, YAML), AWS CLI JSON and native
 * rules apart by their content, and hand it to the right parser with the sections
 * it may contribute ("take", as --nacl and --sg give them). `run`, reload,
 * apply, check and convert all load through it, so that a file means the
 * same to each of them and fails with the same words.
 */
#ifndef VPCFW_LOAD_H
#define VPCFW_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "aws_json.h"
#include "diag.h"
#include "rules.h"
#include "ruleset.h"

/* load_opts.flags */
#define LOAD_REGULAR	0x1	/* regular files only, never waiting (file_read_regular): the engine */
#define LOAD_NATIVE	0x2	/* native rules, whatever the text looks like */
#define LOAD_JSON	0x4	/* AWS CLI JSON, whatever the text looks like */

struct load_opts {
	unsigned take;		/* RULES_TAKE_*: the sections to load; 0: what the file holds */
	/*
	 * With take 0, for a file that holds nothing: the sections to ask of it
	 * anyway, so that the parser says what is missing (check); 0 loads
	 * nothing and says nothing (convert, which then has nothing to convert).
	 */
	unsigned take_none;
	unsigned flags;		/* LOAD_* */
	const struct aws_map *map;	/* --map; may be NULL */
	const char *name;	/* the file in messages and origins; NULL: the path */
};

/* What load_file() found. */
struct load_info {
	unsigned take;		/* the sections asked of the file; 0 when it could not be read */
	bool native;		/* it was read and holds native rules, not JSON */
};

/*
 * Load the file at path ("-": standard input, unless LOAD_REGULAR) into rs.
 * A native file contributes the sections in take, each an error when it is
 * missing, and any other section an error naming the flag to add; a JSON
 * file holds one kind, loaded once per flag in take (a kind that does not
 * match is the importer's error). Every problem goes to d, an unreadable
 * file as "NAME: error: cannot read: WHY". info may be NULL. 0 when clean
 * (warnings allowed), -1 with errno otherwise (the read's, or EINVAL or
 * ENOMEM from the parser); rs may then hold a partial load.
 */
int load_file(struct ruleset *rs, const char *path, const struct load_opts *o,
	      struct diag *d, struct load_info *info);

/*
 * load_file() of a text in memory, named name in messages (LOAD_REGULAR
 * does not apply). The same detection, dispatch and return.
 */
int load_buffer(struct ruleset *rs, const char *name, const char *buf, size_t len,
		const struct load_opts *o, struct diag *d, struct load_info *info);

/*
 * What a text holds, as RULES_TAKE_* bits: a JSON document its one kind,
 * native rules each section it has a line for; 0 for none.
 */
unsigned load_holds(const char *buf, size_t len);

/* load_holds() of a file (flags: LOAD_*); 0 when it cannot be read. */
unsigned load_probe(const char *path, unsigned flags);

#endif
