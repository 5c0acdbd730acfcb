/* The control socket: UNIX stream, mode 0600, one request per connection. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#define CTL_TIMEOUT_S 5

static int ctl_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

static int ctl_connect(const char *path)
{
	struct timeval tv = { CTL_TIMEOUT_S, 0 };
	struct sockaddr_un sun;
	int fd, e;

	if (ctl_addr(path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

int ctl_listen(const char *path)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, probe, ret;

	if (ctl_addr(path, &sun) < 0)
		return -1;
	probe = ctl_connect(path);
	if (probe >= 0) {
		close(probe);
		errno = EADDRINUSE;
		return -1;
	}
	/* Nobody answers: a socket left behind by an engine that died. */
	if (errno == ECONNREFUSED)
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Created 0600 from the start: no window where others could connect. */
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Read one request line (without its newline) into buf. */
static int ctl_read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return n ? 0 : -1;
}

static void ctl_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* The command named by the request's first word; args points past it. */
static const struct ctl_cmd *ctl_find(const struct ctl_cmd *cmds, size_t n,
				      char *req, char **args)
{
	size_t i;

	*args = req + strcspn(req, " ");
	if (**args)
		*(*args)++ = '\0';
	for (i = 0; i < n; i++)
		if (!strcmp(cmds[i].name, req))
			return &cmds[i];
	return NULL;
}

void ctl_serve_one(int lfd, const struct ctl_cmd *cmds, size_t n, void *ctx)
{
	struct timeval tv = { CTL_TIMEOUT_S, 0 };
	char req[CTL_MAX_REQUEST];
	const struct ctl_cmd *cmd;
	char *text = NULL, *args;
	size_t len = 0;
	FILE *out;
	int fd, ret;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* A stuck client must never hold the control thread. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (ctl_read_line(fd, req, sizeof(req)) < 0)
		goto out;
	cmd = ctl_find(cmds, n, req, &args);
	if (cmd && cmd->stream) {
		cmd->stream(ctx, args, fd);
		return;
	}
	out = open_memstream(&text, &len);
	if (!out)
		goto out;
	if (cmd) {
		ret = cmd->handle(ctx, args, out);
	} else {
		fprintf(out, "unknown request '%s'\n", req);
		ret = -1;
	}
	fclose(out);
	ctl_write_all(fd, ret == 0 ? "OK\n" : "ERR\n", ret == 0 ? 3 : 4);
	ctl_write_all(fd, text, len);
	free(text);
out:
	close(fd);
}

int ctl_request(const char *path, const char *request, FILE *out)
{
	char buf[4096];
	int fd, status = -1;
	bool first = true;
	ssize_t r;

	fd = ctl_connect(path);
	if (fd < 0)
		return -1;
	ctl_write_all(fd, request, strlen(request));
	ctl_write_all(fd, "\n", 1);
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		char *p = buf;
		size_t n = (size_t)r;

		if (first) {
			char *nl = memchr(buf, '\n', n);

			if (!nl)
				break;
			status = !strncmp(buf, "OK\n", 3) ? 0 : 1;
			p = nl + 1;
			n -= (size_t)(p - buf);
			first = false;
		}
		fwrite(p, 1, n, out);
	}
	close(fd);
	if (status < 0)
		errno = EPROTO;
	return status;
}

int ctl_stream(const char *path, const char *request, FILE *out, size_t max_lines)
{
	struct timeval none = { 0, 0 };
	char line[4096];
	size_t lines = 0;
	int fd, status = -1;
	FILE *in;

	fd = ctl_connect(path);
	if (fd < 0)
		return -1;
	ctl_write_all(fd, request, strlen(request));
	ctl_write_all(fd, "\n", 1);
	/* A trace may stay quiet for long: no receive timeout. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	in = fdopen(fd, "r");
	if (!in) {
		close(fd);
		return -1;
	}
	if (fgets(line, sizeof(line), in))
		status = !strcmp(line, "OK\n") ? 0 : 1;
	while ((!max_lines || lines < max_lines) && fgets(line, sizeof(line), in)) {
		fputs(line, status ? stderr : out);
		fflush(out);
		if (line[0] != '#')
			lines++;
	}
	fclose(in);
	if (status < 0)
		errno = EPROTO;
	return status;
}
