/*
 * vpcfw convert: rules from AWS CLI JSON to the native language and back.
 * Every input is loaded into one ruleset (JSON recognised by its content,
 * anything else parsed as native rules), every error of every file is
 * reported, and only a clean load is written, to standard output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_json.h"
#include "aws_json_write.h"
#include "cmds.h"
#include "diag.h"
#include "exitcode.h"
#include "load.h"
#include "rules.h"
#include "ruleset.h"

#define ME		"vpcfw convert"
#define STDIN_NAME	"<stdin>"

enum target { TO_DEFAULT, TO_NATIVE, TO_NACL_JSON, TO_SG_JSON };

static const struct {
	const char *name;
	enum target to;
} targets[] = {
	{ "native", TO_NATIVE },
	{ "nacl-json", TO_NACL_JSON },
	{ "sg-json", TO_SG_JSON },
};

struct convert {
	enum target to;
	struct aws_map map;
	struct ruleset *rs;
	struct diag *d;
	bool native_input;	/* at least one input was native rules */
};

static int PRINTF_FMT(1, 2) usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, ME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: " ME " " CMD_CONVERT_USAGE "\n");
	return EXIT_USAGE;
}

static int parse_target(const char *s, enum target *to)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(targets); i++)
		if (!strcmp(s, targets[i].name)) {
			*to = targets[i].to;
			return 0;
		}
	return -1;
}

static int parse_args(struct convert *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "map", required_argument, NULL, 'm' },
		{ "param", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;	/* a fresh scan, whoever called getopt before */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 't' && parse_target(optarg, &c->to) < 0)
			return usage("bad --to '%s' (native, nacl-json or sg-json)", optarg);
		if (opt == 'm' && aws_map_add(&c->map, optarg) < 0)
			return usage("bad --map '%s' (sg-ID=CIDR[,CIDR...] or pl-ID=...)", optarg);
		if (opt == 'p' && aws_map_add_param(&c->map, optarg) < 0)
			return usage("bad --param '%s' (NAME=VALUE, NAME given once)", optarg);
		if (opt != 't' && opt != 'm' && opt != 'p')
			return usage("bad option");
	}
	if (optind >= argc)
		return usage("no file given");
	return 0;
}

/*
 * Every section a file holds: convert, like check, takes all; a native file
 * holding none loads nothing, and choose_target() says so.
 */
static void load_input(struct convert *c, const char *path)
{
	const struct load_opts o = {
		.map = &c->map, .name = strcmp(path, "-") ? path : STDIN_NAME,
	};
	struct load_info info;

	load_file(c->rs, path, &o, c->d, &info);
	c->native_input |= info.native;
}

/* Never drop a section without saying so. */
static void note_left_out(struct convert *c)
{
	const struct ruleset *rs = c->rs;

	if (c->to == TO_NACL_JSON && rs->n_groups)
		diag_add(c->d, DIAG_WARNING, ME, 0, 0, NULL,
			 "%zu security group%s not written: --to sg-json writes %s",
			 rs->n_groups, rs->n_groups == 1 ? "" : "s",
			 rs->n_groups == 1 ? "it" : "them");
	if (c->to == TO_SG_JSON && rs->has_nacl)
		diag_add(c->d, DIAG_WARNING, ME, 0, 0, NULL,
			 "network ACL %s not written: --to nacl-json writes it",
			 rs->nacl_id ? rs->nacl_id : "");
	if ((c->to == TO_NACL_JSON || c->to == TO_SG_JSON) && rs->n_enis)
		diag_add(c->d, DIAG_WARNING, ME, 0, 0, NULL,
			 "%zu eni statement%s not written: AWS's group JSON has no place for "
			 "an interface (describe-network-interfaces does)",
			 rs->n_enis, rs->n_enis == 1 ? "" : "s");
}

/*
 * JSON input becomes native rules; native input becomes the JSON of the
 * one kind of section it holds. Both kinds at once need --to: one JSON
 * document holds one kind only. Returns why no output can be chosen, or
 * NULL.
 */
static const char *choose_target(struct convert *c)
{
	bool nacl = c->rs->has_nacl, sg = c->rs->n_groups > 0;

	if (c->to == TO_DEFAULT) {
		if (!c->native_input)
			c->to = TO_NATIVE;
		else if (nacl && sg)
			return "the input holds a network ACL and security groups, and one JSON document holds one kind: say which with --to nacl-json or --to sg-json";
		else if (!nacl && !sg)
			return "the input holds no network ACL and no security group: nothing to convert";
		else
			c->to = nacl ? TO_NACL_JSON : TO_SG_JSON;
	}
	if (c->to == TO_NACL_JSON && !nacl)
		return "--to nacl-json: the input holds no network ACL";
	if (c->to == TO_SG_JSON && !sg)
		return "--to sg-json: the input holds no security group";
	return NULL;
}

static int write_output(const struct convert *c, FILE *out)
{
	switch (c->to) {
	case TO_NACL_JSON:
		return aws_json_write_nacl(c->rs, out);
	case TO_SG_JSON:
		return aws_json_write_sg(c->rs, out);
	default:
		rules_print(c->rs, out);
		if (fflush(out) == 0 && !ferror(out))
			return 0;
		if (!errno)
			errno = EIO;
		return -1;
	}
}

static int convert_run(struct convert *c, int nfiles, char **files)
{
	const char *why;
	int i;

	for (i = 0; i < nfiles; i++)
		load_input(c, files[i]);
	if (!diag_errors(c->d)) {
		why = choose_target(c);
		if (why)
			diag_error(c->d, ME, "%s", why);
		else
			note_left_out(c);
	}
	diag_print(c->d, stderr);
	if (diag_errors(c->d))
		return EXIT_BAD_INPUT;
	errno = 0;
	if (write_output(c, stdout) == 0)
		return EXIT_OK;
	if (errno == EILSEQ) {
		fprintf(stderr, ME ": error: a group name, description or id is not UTF-8, which JSON text must be\n");
		return EXIT_BAD_INPUT;
	}
	fprintf(stderr, ME ": cannot write the output: %s\n", strerror(errno));
	return EXIT_SYSTEM;
}

int cmd_convert(int argc, char **argv)
{
	struct convert c = { .to = TO_DEFAULT };
	int ret = parse_args(&c, argc, argv);

	if (ret)
		goto out;
	c.rs = ruleset_new();
	c.d = diag_new();
	if (!c.rs || !c.d) {
		fprintf(stderr, ME ": %s\n", strerror(ENOMEM));
		ret = EXIT_SYSTEM;
		goto out;
	}
	ret = convert_run(&c, argc - optind, argv + optind);
out:
	diag_free(c.d);
	ruleset_free(c.rs);
	aws_map_free(&c.map);
	return ret;
}
