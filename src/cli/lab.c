/*
 * vpcfw lab: a whole VPC of namespaces (vpcfw.lab(5)). `lab plan` is here:
 * it parses the lab file (src/lib/lab.c) and prints the model. Everything
 * that builds, inspects or removes namespaces is src/vpcfw-lab, a shell
 * script driven by that plan (as `vpcfw demo` runs src/vpcfw-demo): the
 * lab is iproute2, iptables and vpcfw engines, which a script says best.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "exitcode.h"
#include "lab.h"

static int plan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct diag *d = diag_new();
	bool json = false;
	struct lab *lab;
	int opt, rc;

	if (!d)
		return EXIT_SYSTEM;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j') {
			diag_free(d);
			fprintf(stderr, "usage: vpcfw lab plan [--json] FILE\n");
			return EXIT_USAGE;
		}
		json = true;
	}
	if (optind + 1 != argc) {
		diag_free(d);
		fprintf(stderr, "usage: vpcfw lab plan [--json] FILE\n");
		return EXIT_USAGE;
	}
	lab = lab_parse(argv[optind], NULL, 0, d);
	diag_print(d, stderr);
	diag_free(d);
	if (!lab)
		return errno == ENOMEM ? EXIT_SYSTEM : EXIT_BAD_INPUT;
	rc = EXIT_OK;
	if (json ? lab_print_json(lab, stdout) < 0 : (lab_print(lab, stdout), 0))
		rc = EXIT_SYSTEM;
	lab_free(lab);
	return rc;
}

/*
 * The script beside this binary in a build tree, else the installed one;
 * the shipped labs (exercises, `lab quiz NAME`) likewise.
 */
int cmd_lab(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: vpcfw lab %s\n", CMD_LAB_USAGE);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "plan"))
		return plan(argc - 1, argv + 1);
	return cli_exec_script("lab", argv, "VPCFW_LABS", "labs");
}
