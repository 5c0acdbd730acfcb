/*
 * The control socket, server side: UNIX stream, mode 0600, one request per
 * connection, every connection a small state machine driven by the control
 * thread's epoll (read the request, answer it, write the answer) so that
 * no client can hold the thread: not one that trickles, never sends, sends
 * too much or comes with a hundred others.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "ctl.h"

#define CTL_ACCEPT_BATCH 8
#define CTL_LINGER_MS 1000

struct ctl_conn {
	int fd;				/* -1: a free slot */
	uint64_t opened;		/* for choosing whom to close when full */
	uint64_t deadline;		/* one per request, not per read */
	char *in;			/* the request so far */
	size_t in_len;
	size_t word, scanned;		/* where the last word began; NUL-free up to */
	char *out;			/* the answer, from out_off on still to send */
	size_t out_len, out_off;
	bool refused;			/* told why; what it still sends is dropped */
};

struct ctl_server {
	int lfd, ep;
	const struct ctl_cmd *cmds;
	size_t n_cmds;
	void *ctx;
	struct ctl_conn conn[CTL_MAX_CLIENTS];
};

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

/* Does an engine answer at path? (a full backlog is an engine too) */
static bool ctl_in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ret;

	if (fd < 0)
		return false;
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return ret == 0 || errno == EAGAIN;
}

int ctl_socket_dir(const char *ctl, char *dir, size_t len)
{
	char parent[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(ctl, '/');

	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == ctl)
		snprintf(parent, sizeof(parent), "/");
	else
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - ctl), ctl);
	if (!realpath(parent, real))
		return -1;
	if (strlen(real) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(dir, real);
	return 0;
}

int ctl_listen(const char *path)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, ret;

	if (ctl_addr(path, &sun) < 0)
		return -1;
	if (ctl_in_use(&sun)) {
		errno = EADDRINUSE;
		return -1;
	}
	/* Nobody answers: a socket left behind by an engine that died. */
	if (errno == ECONNREFUSED)
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* Created 0600 from the start: no window where others could connect. */
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || chmod(path, 0600) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct ctl_server *ctl_server_new(int lfd, int ep, const struct ctl_cmd *cmds,
				  size_t n, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
	struct ctl_server *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	s->lfd = lfd;
	s->ep = ep;
	s->cmds = cmds;
	s->n_cmds = n;
	s->ctx = ctx;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->conn[i].fd = -1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Forget a connection; its fd is closed unless it was handed over. */
static void conn_drop(struct ctl_server *s, struct ctl_conn *c, bool close_fd)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (close_fd)
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* One try to tell a client why it is closed; it never waits. */
static void conn_tell(struct ctl_conn *c, const char *why)
{
	if (send(c->fd, why, strlen(why), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the client is gone or not reading: nothing more to do */
	}
}

/* Tell a client why and close it at once (to free its slot). */
static void conn_refuse(struct ctl_server *s, struct ctl_conn *c, const char *why)
{
	conn_tell(c, why);
	conn_drop(s, c, true);
}

/*
 * Tell a client why, then keep its connection for CTL_LINGER_MS, dropping
 * whatever it still sends: a client still writing its request would
 * otherwise meet a reset and never read the reason (AF_UNIX resets the
 * peer of a socket closed with unread data).
 */
static void conn_refuse_linger(struct ctl_server *s, struct ctl_conn *c, const char *why)
{
	conn_tell(c, why);
	shutdown(c->fd, SHUT_WR);
	free(c->in);
	c->in = NULL;
	c->in_len = c->word = c->scanned = 0;
	c->refused = true;
	c->deadline = now_ms() + CTL_LINGER_MS;
}

/* A refused client's bytes: read and dropped, until it closes or its time is up. */
static void conn_discard(struct ctl_server *s, struct ctl_conn *c)
{
	char junk[4096];
	ssize_t r;

	while ((r = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0 ||
	       (r < 0 && errno == EINTR))
		;
	if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		conn_drop(s, c, true);
}

void ctl_server_free(struct ctl_server *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &s->conn[i];

		if (c->fd < 0)
			continue;
		/* Not yet served: say so, or its client could not tell it was not. */
		if (!c->out && !c->refused)
			conn_tell(c, "ERR\nthe engine is stopping: request not served\n");
		conn_drop(s, c, true);
	}
	epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
	free(s);
}

/* Send what the socket takes now; close once all is sent or on an error. */
static void conn_write(struct ctl_server *s, struct ctl_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;		/* EPOLLOUT brings us back */
		if (w <= 0)
			break;
		c->out_off += (size_t)w;
	}
	conn_drop(s, c, true);
}

/* Queue the answer (status line, then text, which is taken over) and start sending. */
static void conn_answer(struct ctl_server *s, struct ctl_conn *c, bool ok,
			char *text, size_t len)
{
	const char *status = ok ? "OK\n" : "ERR\n";
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = c->fd };
	size_t sl = strlen(status);

	free(c->in);
	c->in = NULL;
	c->out = malloc(sl + len);
	if (!c->out) {
		free(text);
		conn_refuse(s, c, "ERR\nout of memory\n");
		return;
	}
	memcpy(c->out, status, sl);
	if (len)
		memcpy(c->out + sl, text, len);
	free(text);
	c->out_len = sl + len;
	c->out_off = 0;
	/* A new deadline: the request is done, the client must now read. */
	c->deadline = now_ms() + CTL_ANSWER_DEADLINE_MS;
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
	conn_write(s, c);
}

/*
 * Has the empty word that ends a request arrived? Each byte is looked at
 * once, however thinly the request trickles in.
 */
static bool request_complete(struct ctl_conn *c)
{
	while (c->scanned < c->in_len) {
		char *end = memchr(c->in + c->scanned, '\0', c->in_len - c->scanned);

		if (!end) {
			c->scanned = c->in_len;
			return false;
		}
		if ((size_t)(end - c->in) == c->word)
			return true;
		c->word = c->scanned = (size_t)(end - c->in) + 1;
	}
	return false;
}

/*
 * The words of a complete request, in place: NULL-terminated argv of up to
 * CTL_MAX_WORDS words. Returns the number of words, 0 while the request is
 * incomplete, -1 when it has too many words.
 */
static int request_words(char *in, size_t len, char **argv)
{
	size_t pos = 0;
	int n = 0;

	while (pos < len) {
		char *end = memchr(in + pos, '\0', len - pos);

		if (!end)
			return 0;
		if (end == in + pos) {		/* the empty word: the end */
			argv[n] = NULL;
			return n ? n : -1;
		}
		if (n == CTL_MAX_WORDS)
			return -1;
		argv[n++] = in + pos;
		pos = (size_t)(end - in) + 1;
	}
	return 0;
}

static const struct ctl_cmd *find_cmd(const struct ctl_server *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_cmds; i++)
		if (!strcmp(s->cmds[i].name, name))
			return &s->cmds[i];
	return NULL;
}

/* Run a complete request and queue its answer (or hand a stream over). */
static void conn_serve(struct ctl_server *s, struct ctl_conn *c, char **argv)
{
	const struct ctl_cmd *cmd = find_cmd(s, argv[0]);
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int ret;

	if (cmd && cmd->stream) {
		int fd = c->fd;
		char *in = c->in;

		/* argv points into in: keep it until the stream has started. */
		c->in = NULL;
		conn_drop(s, c, false);
		cmd->stream(s->ctx, argv, fd);
		free(in);
		return;
	}
	out = open_memstream(&text, &len);
	if (!out) {
		conn_refuse(s, c, "ERR\nout of memory\n");
		return;
	}
	if (cmd) {
		ret = cmd->handle(s->ctx, argv, out);
	} else {
		fprintf(out, "unknown request '%s'\n", argv[0]);
		ret = -1;
	}
	fclose(out);
	conn_answer(s, c, ret == 0, text, len);
}

/* Take what the client sent; serve the request once it is complete. */
static void conn_read(struct ctl_server *s, struct ctl_conn *c)
{
	char *argv[CTL_MAX_WORDS + 1];
	ssize_t r;
	int n;

	for (;;) {
		if (!c->in && !(c->in = malloc(CTL_MAX_REQUEST))) {
			conn_refuse(s, c, "ERR\nout of memory\n");
			return;
		}
		if (c->in_len == CTL_MAX_REQUEST) {
			conn_refuse_linger(s, c, "ERR\nrequest too large (more than 64 KiB)\n");
			return;
		}
		r = recv(c->fd, c->in + c->in_len, CTL_MAX_REQUEST - c->in_len, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0)
			break;
		c->in_len += (size_t)r;
		if (!request_complete(c))
			continue;
		n = request_words(c->in, c->in_len, argv);
		if (n < 0) {
			conn_refuse_linger(s, c, "ERR\nbad request (no command, or too many words)\n");
			return;
		}
		if (n > 0) {
			conn_serve(s, c, argv);
			return;
		}
		/* (n == 0 cannot be: request_complete saw the end) */
	}
	/* End of input (or an error) before the request was complete. */
	conn_refuse(s, c, c->in_len ? "ERR\nincomplete request\n" : "");
}

/* The connection open longest: the one to close when all slots are taken. */
static struct ctl_conn *conn_oldest(struct ctl_server *s)
{
	struct ctl_conn *old = &s->conn[0];
	size_t i;

	for (i = 1; i < CTL_MAX_CLIENTS; i++)
		if (s->conn[i].opened < old->opened)
			old = &s->conn[i];
	return old;
}

static struct ctl_conn *conn_slot(struct ctl_server *s)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->conn[i].fd < 0)
			return &s->conn[i];
	/*
	 * All taken: a well-behaved client sends its request at once and is
	 * answered within milliseconds, so the one open longest is the one
	 * most likely stuck or hostile. New clients always get in.
	 */
	conn_refuse(s, conn_oldest(s), "ERR\nengine busy: more than 64 control clients "
		    "at once, and this one waited longest\n");
	return conn_slot(s);
}

/*
 * Accept a few of those waiting (the others at the next wake-up, so that
 * the connections already in get served between two batches), and read
 * each at once: a client that sent its request with its connection is
 * served before a flood of new ones could push it out.
 */
static void accept_some(struct ctl_server *s)
{
	int k;

	for (k = 0; k < CTL_ACCEPT_BATCH; k++) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct ctl_conn *c;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;		/* EAGAIN, or an error the next wake-up sees */
		c = conn_slot(s);
		c->fd = fd;
		c->opened = now_ms();
		c->deadline = c->opened + CTL_REQUEST_DEADLINE_MS;
		ev.data.fd = fd;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_refuse(s, c, "ERR\nengine cannot follow the connection\n");
		else
			conn_read(s, c);
	}
}

static struct ctl_conn *conn_of(struct ctl_server *s, int fd)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->conn[i].fd == fd)
			return &s->conn[i];
	return NULL;
}

bool ctl_server_event(struct ctl_server *s, int fd, uint32_t events)
{
	struct ctl_conn *c;

	if (fd == s->lfd) {
		accept_some(s);
		return true;
	}
	c = conn_of(s, fd);
	if (!c)
		return false;
	if (c->refused)
		conn_discard(s, c);
	else if (c->out)
		conn_write(s, c);	/* an error or hang-up shows as a failed send */
	else
		conn_read(s, c);
	(void)events;
	return true;
}

int ctl_server_timeout(const struct ctl_server *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->conn[i].fd >= 0 && s->conn[i].deadline < next)
			next = s->conn[i].deadline;
	if (next == UINT64_MAX)
		return -1;
	/* now_ms() is coarse: one more millisecond so we wake after, not before. */
	return next <= now ? 0 : (int)(next - now) + 1;
}

void ctl_server_expire(struct ctl_server *s, uint64_t now)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &s->conn[i];

		if (c->fd < 0 || c->deadline > now)
			continue;
		if (c->out || c->refused)
			conn_drop(s, c, true);	/* it did not take its answer in time */
		else
			conn_refuse_linger(s, c, "ERR\nno complete request within 2 s: closed\n");
	}
}
