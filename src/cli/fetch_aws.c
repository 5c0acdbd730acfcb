/*
 * The AWS CLI as a child process: AWS's own client signs the requests,
 * finds the credentials (environment, profiles, instance role) and retries,
 * so vpcfw never speaks HTTP or SigV4 itself. Its standard output is the
 * JSON of one call; its standard error, on failure, the message the user
 * must see.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "fetch_int.h"

/* Enough of the CLI's standard error for its message; the rest is cut. */
#define ERR_KEEP 2048

struct capture {
	char *out;
	size_t len, cap;
	char err[ERR_KEEP];
	size_t err_len;
};

/* argv of the child: aws, the global options, --output json, ec2, args. */
static int build_argv(const struct fetch_aws *a, const char *const *args,
		      const char **argv, size_t max)
{
	size_t n = 0, i;

	argv[n++] = "aws";
	if (a->region) {
		argv[n++] = "--region";
		argv[n++] = a->region;
	}
	if (a->profile) {
		argv[n++] = "--profile";
		argv[n++] = a->profile;
	}
	if (a->endpoint_url) {
		argv[n++] = "--endpoint-url";
		argv[n++] = a->endpoint_url;
	}
	argv[n++] = "--output";
	argv[n++] = "json";
	argv[n++] = "ec2";
	for (i = 0; args[i]; i++) {
		if (n + 1 >= max) {
			errno = E2BIG;
			return -1;
		}
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return 0;
}

static void child(int out_fd, int err_fd, const char **argv)
{
	/* Nothing to read: a prompt (an MFA code) fails at once, never waits unseen. */
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(127);
	/* awscli v2 pages through less on a terminal; never here. */
	setenv("AWS_PAGER", "", 1);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "cannot run %s: %s (vpcfw fetch needs the AWS CLI: "
		"apt install awscli)\n", argv[0], strerror(errno));
	_exit(127);
}

/* Append what fd has to c; 0 at end of file, 1 for more, -1 on error. */
static int drain(int fd, struct capture *c, int is_err)
{
	char tmp[8192];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	char *nb;

	if (n < 0)
		return errno == EINTR ? 1 : -1;
	if (n == 0)
		return 0;
	if (is_err) {
		size_t room = sizeof(c->err) - 1 - c->err_len;
		size_t take = (size_t)n < room ? (size_t)n : room;

		memcpy(c->err + c->err_len, tmp, take);
		c->err_len += take;
		c->err[c->err_len] = '\0';
		return 1;
	}
	if (c->len + (size_t)n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 65536;

		while (cap < c->len + (size_t)n + 1)
			cap *= 2;
		nb = realloc(c->out, cap);
		if (!nb)
			return -1;
		c->out = nb;
		c->cap = cap;
	}
	memcpy(c->out + c->len, tmp, (size_t)n);
	c->len += (size_t)n;
	c->out[c->len] = '\0';
	return 1;
}

/* Read both pipes until both end: the child never blocks on a full one. */
static int collect(int out_fd, int err_fd, struct capture *c)
{
	struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	int open_fds = 2, i, r;

	while (open_fds) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			r = drain(p[i].fd, c, i);
			if (r < 0)
				return -1;
			if (r == 0) {
				p[i].fd = -1;
				open_fds--;
			}
		}
	}
	return 0;
}

/* The CLI's message, trimmed, and how it ended. */
static void say_failure(const struct capture *c, int status, char *why, size_t len)
{
	const char *m = c->err;
	size_t n = c->err_len;

	/* awscli starts its message with an empty line. */
	while (n && (*m == '\n' || *m == ' ')) {
		m++;
		n--;
	}
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	if (WIFEXITED(status))
		snprintf(why, len, "%.*s%s(exit status %d)", (int)n, m, n ? " " : "",
			 WEXITSTATUS(status));
	else
		snprintf(why, len, "%.*s%s(killed by signal %d)", (int)n, m, n ? " " : "",
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int fetch_aws_run(const struct fetch_aws *a, const char *const *args,
		  char **out, size_t *len, char *why, size_t whylen)
{
	const char *argv[FETCH_AWS_MAX_ARGS + 16];
	struct capture c = { .out = NULL };
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0, ret = -1, e;
	pid_t pid;

	*out = NULL;
	*len = 0;
	if (build_argv(a, args, argv, ARRAY_SIZE(argv)) < 0 ||
	    pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		goto sys;
	pid = fork();
	if (pid < 0)
		goto sys;
	if (pid == 0)
		child(po[1], pe[1], argv);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	e = collect(po[0], pe[0], &c) < 0 ? errno : 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (e) {
		errno = e;
		goto sys;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		*out = c.out ? c.out : strdup("");
		*len = c.len;
		c.out = NULL;
		ret = *out ? 0 : -1;
		goto done;
	}
	say_failure(&c, status, why, whylen);
	errno = EIO;
	goto done;
sys:
	snprintf(why, whylen, "cannot run the AWS CLI: %s", strerror(errno));
done:
	e = errno;
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	free(c.out);
	errno = e;
	return ret;
}
