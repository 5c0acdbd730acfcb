/*
 * libFuzzer harness for the AWS CLI JSON importer (`make fuzz`, tests/fuzz/).
 *
 * The input is a describe-network-acls or describe-security-groups output,
 * loaded as `vpcfw check` does (the kind from its top-level key) and also
 * as the other kind, with a fixed --map. A clean load is linted, printed in
 * the native language, and that print must parse back cleanly to the same
 * rules (rules_equal); then it is compiled as the engine would. Any
 * difference aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_json.h"
#include "policy.h"
#include "rules.h"
#include "rules_lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void print_and_parse(const struct ruleset *rs, const struct aws_map *map)
{
	struct ruleset *back = ruleset_new();
	struct diag *d = diag_new();
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!back || !d || !(f = open_memstream(&text, &len)))
		abort();
	rules_print(rs, f);
	fclose(f);
	if (rules_load_buffer(back, rules_sections(text, len), "printed", text, len, map, d) < 0 ||
	    !rules_equal(rs, back)) {
		diag_print(d, stderr);
		fprintf(stderr, "the print does not parse back to the same rules:\n%s", text);
		abort();
	}
	free(text);
	diag_free(d);
	ruleset_free(back);
}

static void load(const uint8_t *data, size_t size, enum aws_kind kind,
		 const struct aws_map *map)
{
	struct ruleset *rs = ruleset_new();
	struct diag *d = diag_new();

	if (!rs || !d)
		abort();
	if (aws_json_load_buffer(rs, kind, "fuzz", (const char *)data, size, map, d) == 0) {
		rules_lint(rs, d);
		print_and_parse(rs, map);
		/* policy_from_ruleset owns rs, and frees it even when it fails. */
		policy_free(policy_from_ruleset(rs, rs->has_nacl, kind == AWS_KIND_SG));
		rs = NULL;
	}
	ruleset_free(rs);
	diag_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_map map = { NULL, 0 };
	enum aws_kind kind;

	if (aws_map_add(&map, "sg-1=10.1.0.0/16,2001:db8::/32") < 0 ||
	    aws_map_add(&map, "pl-1=192.0.2.0/24") < 0)
		abort();
	if (aws_json_detect((const char *)data, size)) {
		kind = aws_json_kind((const char *)data, size);
		load(data, size, kind, &map);
		load(data, size, kind == AWS_KIND_NACL ? AWS_KIND_SG : AWS_KIND_NACL, &map);
	}
	aws_map_free(&map);
	return 0;
}
