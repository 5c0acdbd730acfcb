/*
 * The control socket, client side: one overall deadline per request, and
 * a result that never says "failed" for what may have taken effect.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "ctl.h"

static int ms_left(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Wait until fd is ready for events, or the deadline (ETIMEDOUT). */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&p, 1, ms_left(deadline));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/*
 * Connect without ever blocking: a full backlog (EAGAIN) is retried until
 * the deadline. Fails only with the request unsent.
 */
static int ctl_connect(const char *path, uint64_t deadline)
{
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if ((errno != EAGAIN && errno != EINTR) || !ms_left(deadline)) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		usleep(10000);
	}
	return fd;
}

/* The framed request: every word NUL-terminated, then one more NUL. */
static char *frame(char *const *argv, size_t *len)
{
	size_t n = 1, i;
	char *buf, *p;

	for (i = 0; argv[i]; i++)
		n += strlen(argv[i]) + 1;
	buf = malloc(n);
	if (!buf)
		return NULL;
	for (p = buf, i = 0; argv[i]; i++)
		p = stpcpy(p, argv[i]) + 1;
	*p = '\0';
	*len = n;
	return buf;
}

static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Connect and send; CTL_NO_ENGINE when not connected (or the request is
 * larger than the engine takes: EMSGSIZE), CTL_UNKNOWN once sent in part.
 */
static int open_request(const char *path, char *const *argv, uint64_t deadline,
			int *fdp)
{
	size_t len;
	char *buf = frame(argv, &len);
	int fd, ret;

	if (!buf)
		return CTL_NO_ENGINE;
	if (len > CTL_MAX_REQUEST) {
		free(buf);
		errno = EMSGSIZE;
		return CTL_NO_ENGINE;
	}
	fd = ctl_connect(path, deadline);
	if (fd < 0) {
		free(buf);
		return CTL_NO_ENGINE;
	}
	ret = send_all(fd, buf, len, deadline);
	free(buf);
	/* Closed on us: the engine may have said why before; the answer tells. */
	if (ret < 0 && (errno == EPIPE || errno == ECONNRESET))
		ret = 0;
	if (ret < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return CTL_UNKNOWN;
	}
	*fdp = fd;
	return CTL_OK;
}

/*
 * Read one chunk within the deadline: >0 bytes, 0 at the end. A reset
 * after the answer (the engine closed with our bytes unread) is an end.
 */
static ssize_t recv_chunk(int fd, char *buf, size_t len, uint64_t deadline)
{
	for (;;) {
		ssize_t r = recv(fd, buf, len, 0);

		if (r >= 0)
			return r;
		if (errno == ECONNRESET)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		if (wait_fd(fd, POLLIN, deadline) < 0)
			return -1;
	}
}

/* The status line: CTL_OK or CTL_ERR, or CTL_UNKNOWN. The bytes after it stay in buf. */
static int read_status(int fd, char *buf, size_t cap, size_t *have, uint64_t deadline)
{
	char *nl;
	ssize_t r;
	int status;

	*have = 0;
	while (!(nl = memchr(buf, '\n', *have))) {
		if (*have == cap)
			break;
		r = recv_chunk(fd, buf + *have, cap - *have, deadline);
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;	/* closed before a word */
			return CTL_UNKNOWN;
		}
		*have += (size_t)r;
	}
	if (nl == buf + 2 && !strncmp(buf, "OK\n", 3))
		status = CTL_OK;
	else if (nl == buf + 3 && !strncmp(buf, "ERR\n", 4))
		status = CTL_ERR;
	else {
		errno = EPROTO;
		return CTL_UNKNOWN;
	}
	*have -= (size_t)(nl + 1 - buf);
	memmove(buf, nl + 1, *have);
	return status;
}

int ctl_request(const char *path, char *const *argv, int timeout_ms, FILE *out)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	char buf[4096];
	size_t have;
	int fd, status, e;
	ssize_t r;

	status = open_request(path, argv, deadline, &fd);
	if (status != CTL_OK)
		return status;
	status = read_status(fd, buf, sizeof(buf), &have, deadline);
	if (status == CTL_UNKNOWN)
		goto out;
	fwrite(buf, 1, have, out);
	/* The whole answer, or the outcome is not known (an OK may be cut short). */
	while ((r = recv_chunk(fd, buf, sizeof(buf), deadline)) > 0)
		fwrite(buf, 1, (size_t)r, out);
	if (r < 0)
		status = CTL_UNKNOWN;
out:
	e = errno;
	close(fd);
	errno = e;
	return status;
}

/* The status line read byte by byte, so that nothing after it is consumed. */
static int read_status_exact(int fd, uint64_t deadline)
{
	char line[8];
	size_t n = 0;

	while (n < sizeof(line)) {
		ssize_t r = recv_chunk(fd, line + n, 1, deadline);

		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;	/* closed before a word */
			return CTL_UNKNOWN;
		}
		if (line[n++] == '\n')
			break;
	}
	if (n == 3 && !memcmp(line, "OK\n", 3))
		return CTL_OK;
	if (n == 4 && !memcmp(line, "ERR\n", 4))
		return CTL_ERR;
	errno = EPROTO;
	return CTL_UNKNOWN;
}

int ctl_stream_open(const char *path, char *const *argv, int timeout_ms, int *fdp)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	int fd, status, e;

	status = open_request(path, argv, deadline, &fd);
	if (status != CTL_OK)
		return status;
	status = read_status_exact(fd, deadline);
	if (status == CTL_UNKNOWN) {
		e = errno;
		close(fd);
		errno = e;
		return status;
	}
	*fdp = fd;
	return status;
}

int ctl_stream(const char *path, char *const *argv, int timeout_ms, FILE *out,
	       size_t max_lines)
{
	char line[4096];
	size_t lines = 0;
	int fd, status;
	FILE *in;

	status = ctl_stream_open(path, argv, timeout_ms, &fd);
	if (status < 0)
		return status;
	/* From the first line on a trace may stay quiet for long: block, no limit. */
	if (fcntl(fd, F_SETFL, 0) < 0 || !(in = fdopen(fd, "r"))) {
		int e = errno;

		close(fd);
		errno = e;
		return CTL_UNKNOWN;
	}
	while ((!max_lines || lines < max_lines) && fgets(line, sizeof(line), in)) {
		fputs(line, status ? stderr : out);
		fflush(out);
		if (line[0] != '#')
			lines++;
	}
	fclose(in);
	return status;
}
