/*
 * `vpcfw apply -`: the rules come on standard input (`vpcfw fetch ... |
 * vpcfw apply - --confirm 60`), but the engine reads files, at the apply and
 * at every later reload. So the text goes to a file beside the control
 * socket (a directory the engine reaches, as root's /run), named so that
 * the engine knows it for its own: it removes the copy when the rules it
 * holds are dropped (refused, rolled back, replaced, the engine's exit).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "ctl.h"
#include "exitcode.h"
#include "fileio.h"

/* The directory of the control socket, absolute, with room for the copy's name. */
static int socket_dir(const char *ctl, char *dir, size_t len)
{
	if (ctl_socket_dir(ctl, dir, len) < 0)
		return -1;
	return strlen(dir) + sizeof("/" CTL_STDIN_PREFIX "XXXXXX") <= len ? 0 : -1;
}

int apply_stdin_copy(const char *ctl, char **copy)
{
	char path[PATH_MAX];
	size_t len, off = 0;
	char *buf;
	ssize_t n;
	int fd;

	*copy = NULL;
	if (file_read_all("-", &buf, &len) < 0) {
		fprintf(stderr, "vpcfw apply: cannot read standard input: %s\n", strerror(errno));
		return EXIT_SYSTEM;
	}
	if (len == 0) {
		free(buf);
		fprintf(stderr, "vpcfw apply: standard input is empty (did the command "
			"before the | fail?): nothing applied\n");
		return EXIT_BAD_INPUT;
	}
	if (socket_dir(ctl, path, sizeof(path)) < 0) {
		fprintf(stderr, "vpcfw apply: the directory of %s: %s\n", ctl, strerror(errno));
		free(buf);
		return EXIT_SYSTEM;
	}
	strcat(path, "/" CTL_STDIN_PREFIX "XXXXXX");
	fd = mkstemp(path);	/* mode 0600: the rules are root's, as the socket is */
	if (fd < 0) {
		fprintf(stderr, "vpcfw apply: cannot create %s: %s\n", path, strerror(errno));
		free(buf);
		return EXIT_SYSTEM;
	}
	while (off < len && (n = write(fd, buf + off, len - off)) > 0)
		off += (size_t)n;
	free(buf);
	if (off < len)
		close(fd);
	if (off < len || close(fd) < 0) {
		fprintf(stderr, "vpcfw apply: cannot keep standard input in %s: %s\n", path,
			off < len && !errno ? "short write" : strerror(errno));
		unlink(path);
		return EXIT_SYSTEM;
	}
	*copy = strdup(path);
	if (!*copy) {
		unlink(path);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}
