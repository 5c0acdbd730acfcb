/*
 * vpcfw diff: what a change of rules does, before it is made. Both sides
 * are loaded as `vpcfw check` loads files (every section a native file
 * holds, a JSON file's kind; --map for SG references and prefix lists),
 * compiled, and compared exactly by libvpcfw (vpcfw_diff_new): one line
 * per box of traffic that is now allowed (+) or no longer allowed (-).
 * Exit status as diff(1): 0 the same, 1 different, 2 trouble.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpcfw/vpcfw.h>

#include "cmds.h"

#define ME		"vpcfw diff"
#define DIFF_SAME	0
#define DIFF_DIFFERENT	1
#define DIFF_TROUBLE	2
#define DIFF_FILES_MAX	64

struct side {
	const char *files[DIFF_FILES_MAX];
	size_t n;
};

static int __attribute__((format(printf, 1, 2))) usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, ME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: " ME " " CMD_DIFF_USAGE "\n");
	return DIFF_TROUBLE;
}

static int push(struct side *s, const char *f)
{
	if (s->n == DIFF_FILES_MAX)
		return usage("too many files (at most %d a side)", DIFF_FILES_MAX);
	s->files[s->n++] = f;
	return 0;
}

/* Load and compile one side; NULL with every problem printed. */
static struct vpcfw_policy *load_side(const struct side *s, const struct vpcfw_maps *m)
{
	const struct vpcfw_load how = { .format = VPCFW_FORMAT_AUTO, .layers = 0, .maps = m };
	struct vpcfw_diag *d = vpcfw_diag_new();
	struct vpcfw_rules *r = vpcfw_rules_new();
	struct vpcfw_policy *p = NULL;
	bool ok = d && r;
	size_t i;

	for (i = 0; ok && i < s->n; i++)
		ok = vpcfw_rules_load_file(r, s->files[i], &how, d) == 0 && ok;
	/* Every file is read, so that every error of the side is said at once. */
	for (; r && d && i < s->n; i++)
		vpcfw_rules_load_file(r, s->files[i], &how, d);
	if (ok)
		p = vpcfw_policy_compile(r, 0, d);
	else
		vpcfw_rules_free(r);
	if (!p && d)
		vpcfw_diag_print(d, stderr);
	if (!d || (!ok && !r))
		fprintf(stderr, ME ": out of memory\n");
	vpcfw_diag_free(d);
	return p;
}

struct args {
	struct side side[2];
	struct vpcfw_maps *maps;
	bool json;
};

static int parse_args(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "map", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "old", required_argument, NULL, 'o' },
		{ "new", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret = 0;

	optind = 0;
	while (!ret && (opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'm' && vpcfw_maps_add(a->maps, optarg) < 0)
			ret = usage("bad --map '%s' (sg-ID=CIDR[,CIDR...] or pl-ID=...)", optarg);
		else if (opt == 'j')
			a->json = true;
		else if (opt == 'o' || opt == 'n')
			ret = push(&a->side[opt == 'n'], optarg);
		else if (opt != 'm')
			ret = usage("bad option");
	}
	if (ret)
		return ret;
	if (a->side[0].n || a->side[1].n) {
		if (optind < argc)
			return usage("give OLD NEW or --old FILE... --new FILE..., not both");
		if (!a->side[0].n || !a->side[1].n)
			return usage("--old and --new each need a file");
		return 0;
	}
	if (argc - optind != 2)
		return usage("give the OLD and the NEW rule file");
	push(&a->side[0], argv[optind]);
	push(&a->side[1], argv[optind + 1]);
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct args a;
	struct vpcfw_policy *p[2] = { NULL, NULL };
	struct vpcfw_diff *df = NULL;
	int ret;

	memset(&a, 0, sizeof(a));
	a.maps = vpcfw_maps_new();
	if (!a.maps) {
		fprintf(stderr, ME ": out of memory\n");
		return DIFF_TROUBLE;
	}
	ret = parse_args(&a, argc, argv);
	if (ret)
		goto out;
	ret = DIFF_TROUBLE;
	p[0] = load_side(&a.side[0], a.maps);
	p[1] = load_side(&a.side[1], a.maps);
	if (!p[0] || !p[1])
		goto out;
	df = vpcfw_diff_new(p[0], p[1], 0, 0);
	if (!df) {
		perror(ME);
		goto out;
	}
	if (vpcfw_diff_write(df, a.json, stdout) < 0 || fflush(stdout) == EOF) {
		perror(ME ": writing");
		goto out;
	}
	ret = vpcfw_diff_count(df) ? DIFF_DIFFERENT :
	      vpcfw_diff_complete(df) ? DIFF_SAME : DIFF_TROUBLE;
out:
	vpcfw_diff_free(df);
	vpcfw_policy_free(p[0]);
	vpcfw_policy_free(p[1]);
	vpcfw_maps_free(a.maps);
	return ret;
}
