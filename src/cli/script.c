/*
 * The subcommands written in bash (vpcfw demo, vpcfw lab's verbs): find
 * the script and its data, from the build tree when this binary is the
 * build tree's, else where `make install` put them, and exec it.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "exitcode.h"

int cli_exec_script(const char *name, char **argv, const char *data_env,
		    const char *data_dir)
{
	char exe[PATH_MAX], dir[PATH_MAX], build[PATH_MAX];
	char script[PATH_MAX + 64], data[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bool in_build;

	if (n < 0) {
		fprintf(stderr, "vpcfw %s: /proc/self/exe: %s\n", name, strerror(errno));
		return EXIT_SYSTEM;
	}
	exe[n] = '\0';
	snprintf(dir, sizeof(dir), "%s", exe);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	in_build = realpath(BUILD_SRCDIR, build) && !strcmp(dir, build);
	snprintf(script, sizeof(script), "%s/%svpcfw-%s", in_build ? TOP_SRCDIR : PKGLIBEXECDIR,
		 in_build ? "src/" : "", name);
	snprintf(data, sizeof(data), "%s/%s", in_build ? TOP_SRCDIR : PKGDATADIR, data_dir);
	setenv("VPCFW", exe, 1);
	/* A user's own VPCFW_RULES / VPCFW_LABS wins: the scripts say so. */
	setenv(data_env, data, 0);
	argv[0] = script;
	execv(script, argv);
	fprintf(stderr, "vpcfw %s: cannot run %s: %s\n", name, script, strerror(errno));
	return EXIT_SYSTEM;
}
