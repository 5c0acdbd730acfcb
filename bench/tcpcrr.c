/*
 * tcpcrr - the benchmark's short TCP connections: connect, one byte each
 * way, close, as many per second as it can (netperf's TCP_CRR, which no
 * Debian package ships).
 *
 *   tcpcrr --serve PORT
 *       accept on PORT (IPv4); for each connection read one byte, write
 *       one byte back and close (the server closes first, so the client
 *       keeps no TIME_WAIT socket and never runs out of ports). Runs until
 *       SIGINT/SIGTERM.
 *   tcpcrr [--conns N] [--seconds S] ADDR PORT
 *       N threads (default 4), each opening connections one after another
 *       for S seconds (default 4): connect, write one byte, read it back,
 *       read the end, close. Prints "CONNS connections in SECS s (RATE
 *       conn/s), ERRS errors". A connection that takes more than 2 s is
 *       an error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CRR_MAXCONNS	64
#define CRR_EVENTS	256

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- server ---------------------------------------------------------- */

static int listen_on(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connection is readable: its byte (echo it, close) or its end. */
static void serve_one(int fd)
{
	char c;
	ssize_t n = read(fd, &c, 1);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 1 && write(fd, &c, 1) != 1)
		perror("tcpcrr: write");
	close(fd);
}

static void accept_all(int ep, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			close(fd);
	}
}

static int serve(unsigned short port)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[CRR_EVENTS];
	int lfd = listen_on(port), ep = epoll_create1(EPOLL_CLOEXEC), n, i;

	if (lfd < 0 || ep < 0) {
		perror("tcpcrr: listen");
		return 1;
	}
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, CRR_EVENTS, -1);
		if (n < 0 && errno != EINTR) {
			perror("tcpcrr: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd)
				accept_all(ep, lfd);
			else
				serve_one(evs[i].data.fd);
		}
	}
}

/* ---- client ---------------------------------------------------------- */

struct client {
	struct sockaddr_in to;
	double until;
	atomic_ullong done, errors;
};

/* One connection: 0 when the byte came back and the server closed. */
static int crr_once(const struct client *c)
{
	struct timeval tv = { .tv_sec = 2 };
	char b = 'x', r;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok = -1, one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&c->to, sizeof(c->to)) == 0 &&
	    write(fd, &b, 1) == 1 && read(fd, &r, 1) == 1 && read(fd, &r, 1) == 0)
		ok = 0;
	close(fd);
	return ok;
}

static void *client_thread(void *arg)
{
	struct client *c = arg;

	while (now_s() < c->until) {
		if (crr_once(c) == 0)
			atomic_fetch_add(&c->done, 1);
		else
			atomic_fetch_add(&c->errors, 1);
	}
	return NULL;
}

static int run_client(const char *addr, unsigned short port, unsigned conns,
		      double seconds)
{
	static struct client c;
	pthread_t tid[CRR_MAXCONNS];
	double start;
	unsigned i;

	c.to.sin_family = AF_INET;
	c.to.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &c.to.sin_addr) != 1) {
		fprintf(stderr, "tcpcrr: bad address %s\n", addr);
		return 2;
	}
	start = now_s();
	c.until = start + seconds;
	for (i = 0; i < conns; i++)
		if (pthread_create(&tid[i], NULL, client_thread, &c))
			return 1;
	for (i = 0; i < conns; i++)
		pthread_join(tid[i], NULL);
	seconds = now_s() - start;
	printf("%llu connections in %.2f s (%.0f conn/s), %llu errors\n",
	       (unsigned long long)c.done, seconds, (double)c.done / seconds,
	       (unsigned long long)c.errors);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: tcpcrr --serve PORT\n"
			"       tcpcrr [--conns N] [--seconds S] ADDR PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned conns = 4;
	double seconds = 4;
	int i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--serve"))
			return serve((unsigned short)atoi(argv[i + 1]));
		else if (!strcmp(argv[i], "--conns"))
			conns = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else
			usage();
	}
	if (argc - i != 2 || conns < 1 || conns > CRR_MAXCONNS || seconds <= 0)
		usage();
	return run_client(argv[i], (unsigned short)atoi(argv[i + 1]), conns, seconds);
}
