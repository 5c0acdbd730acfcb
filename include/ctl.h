/*
 * The control socket: a UNIX stream socket (mode 0600) on which the running
 * engine answers one request per connection. The request is one line
 * ("status", "reload", ...); the answer is a first line "OK" or "ERR", then
 * free text, then the connection closes.
 */
#ifndef VPCFW_CTL_H
#define VPCFW_CTL_H

#include <stdio.h>

#define CTL_DEFAULT_PATH "/run/vpcfw.sock"
#define CTL_MAX_REQUEST 4096

/*
 * A request handler writes its answer's text to `out` and returns 0 (OK) or
 * -1 (ERR). `args` is the rest of the request line after the command word.
 */
struct ctl_cmd {
	const char *name;
	int (*handle)(void *ctx, const char *args, FILE *out);
	/*
	 * Instead of handle: a streaming request (trace). It takes the
	 * connection's fd over and answers on it itself, beginning with the
	 * "OK"/"ERR" line.
	 */
	void (*stream)(void *ctx, const char *args, int fd);
};

/*
 * Create the listening socket at path with mode 0600. A socket file left by
 * a dead engine is replaced; one a live engine answers on is refused (EADDRINUSE).
 * Returns the fd or -1 with errno.
 */
int ctl_listen(const char *path);

/* Accept one connection on the listening fd and answer it with the matching command. */
void ctl_serve_one(int lfd, const struct ctl_cmd *cmds, size_t n, void *ctx);

/*
 * Client side: send `request` to the engine at path and copy the answer's
 * text to out. Returns 0 for OK, 1 for ERR, -1 (errno) when no engine answers.
 */
int ctl_request(const char *path, const char *request, FILE *out);

/*
 * Client side of a streaming request: copy the answer to out line by line
 * (flushing each) until the engine closes or max_lines lines were copied
 * (0: no limit). Returns as ctl_request does.
 */
int ctl_stream(const char *path, const char *request, FILE *out, size_t max_lines);

#endif
