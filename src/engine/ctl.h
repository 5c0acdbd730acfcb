/*
 * The control socket: a UNIX stream socket (mode 0600) on which the running
 * engine answers one request per connection.
 *
 * A request is a list of words, the command first ("status", "apply",
 * "confirm=30", "nacl=/etc/vpcfw/my rules.json"), each word ended by a NUL
 * byte and the list by an empty word (one more NUL): a path with spaces is
 * one word, and nothing needs quoting. The answer is a first line "OK" or
 * "ERR", then free text, then the connection closes.
 *
 * The engine serves every client from its control thread without ever
 * waiting on one: sockets are non-blocking, a request must be complete
 * within CTL_REQUEST_DEADLINE_MS of the connection and fit in
 * CTL_MAX_REQUEST bytes, the answer must be taken within
 * CTL_ANSWER_DEADLINE_MS, and at most CTL_MAX_CLIENTS connections are
 * served at once (the oldest is closed to make room for a new one).
 */
#ifndef VPCFW_CTL_H
#define VPCFW_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_DEFAULT_PATH "/run/vpcfw.sock"
#define CTL_MAX_REQUEST (64u << 10)
#define CTL_MAX_WORDS 256
/*
 * `vpcfw apply -` writes its standard input to a file of this name beside
 * the control socket and sends it as stdin=PATH; the engine owns it then.
 */
#define CTL_STDIN_PREFIX "vpcfw-stdin."
/* The directory of the control socket ctl, absolute, without symlinks, in dir. -1 + errno. */
int ctl_socket_dir(const char *ctl, char *dir, size_t len);
#define CTL_MAX_CLIENTS 64
#define CTL_REQUEST_DEADLINE_MS 2000
#define CTL_ANSWER_DEADLINE_MS 10000
/* How long a client waits for the whole answer (reload parses files first). */
#define CTL_CLIENT_TIMEOUT_MS 30000

/*
 * A request handler writes its answer's text to `out` and returns 0 (OK) or
 * -1 (ERR). argv holds the request's words, the command first, then NULL.
 */
struct ctl_cmd {
	const char *name;
	int (*handle)(void *ctx, char *const *argv, FILE *out);
	/*
	 * Instead of handle: a streaming request (trace). It takes the
	 * connection's fd (non-blocking, in no epoll set) over and answers
	 * on it itself, beginning with the "OK"/"ERR" line.
	 */
	void (*stream)(void *ctx, char *const *argv, int fd);
};

/*
 * Create the listening socket (non-blocking) at path with mode 0600. A
 * socket file left by a dead engine is replaced; one a live engine answers
 * on is refused (EADDRINUSE). Returns the fd or -1 with errno.
 */
int ctl_listen(const char *path);

/* ---- server side: the engine's control thread ------------------------- */

struct ctl_server;

/*
 * Serve the connections of the listening socket lfd (which stays the
 * caller's) through the epoll set ep, every fd registered with its own
 * number as data.fd. NULL + errno.
 */
struct ctl_server *ctl_server_new(int lfd, int ep, const struct ctl_cmd *cmds,
				  size_t n, void *ctx);
/* Close every connection still open (not the listening socket). */
void ctl_server_free(struct ctl_server *s);
/* Handle an epoll event on fd; false when fd is none of the server's. */
bool ctl_server_event(struct ctl_server *s, int fd, uint32_t events);
/* Milliseconds from now (now_ms()) to the nearest deadline; -1: none. */
int ctl_server_timeout(const struct ctl_server *s, uint64_t now);
/* Close the connections whose deadline has passed, telling them why. */
void ctl_server_expire(struct ctl_server *s, uint64_t now);

/* ---- client side ------------------------------------------------------- */

enum ctl_result {
	CTL_OK = 0,		/* the engine answered OK */
	CTL_ERR = 1,		/* the engine answered ERR: refused, nothing changed */
	CTL_NO_ENGINE = -1,	/* could not connect: the request was never sent */
	CTL_UNKNOWN = -2,	/* sent, but no complete answer in time (errno
				   ETIMEDOUT) or the connection broke: the
				   request may or may not have taken effect */
};

/*
 * Send the request argv (NULL-terminated words) to the engine at path and
 * copy the answer's text to out, all within timeout_ms. Returns an enum
 * ctl_result; errno says why for the negative ones.
 */
int ctl_request(const char *path, char *const *argv, int timeout_ms, FILE *out);

/*
 * Client side of a streaming request: the first line within timeout_ms,
 * then copy the answer to out line by line (flushing each) with no time
 * limit until the engine closes or max_lines lines were copied (0: no
 * limit). Returns as ctl_request does.
 */
int ctl_stream(const char *path, char *const *argv, int timeout_ms, FILE *out,
	       size_t max_lines);

/*
 * The same request, for a client that reads the stream itself among other
 * work (vpcfw top): connect, send, read the status line within timeout_ms.
 * CTL_OK or CTL_ERR: *fdp is the connection (non-blocking), positioned
 * after the status line (the lines, or the reason for ERR, follow); the
 * caller closes it. Otherwise as ctl_request, with nothing to close.
 */
int ctl_stream_open(const char *path, char *const *argv, int timeout_ms, int *fdp);

#endif
