/*
 * udpflood - the benchmark's traffic: small UDP datagrams as fast as one
 * CPU can push them, and a counting receiver.
 *
 *   udpflood [--sockets N] [--seconds S | --count N] [--size B] ADDR PORT
 *       send B-byte datagrams (UDP payload, default 64) to ADDR PORT from N
 *       connected sockets (default 4, i.e. 4 flows), in sendmmsg batches
 *       of 64, for S seconds (default 5) or N datagrams; prints how many
 *       were sent.
 *   udpflood --recv PORT [--seconds S]
 *       count datagrams arriving on PORT (recvmmsg bursts) until S seconds
 *       after the first one (default 60) or SIGINT/SIGTERM; prints the
 *       count and the rate between the first and the last datagram.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define FLOOD_BATCH	64
#define FLOOD_MAXSOCK	64
#define FLOOD_MAXSIZE	65507

struct flood_opts {
	const char *addr;
	const char *port;
	unsigned int sockets;
	double seconds;
	unsigned long long count;	/* 0: until seconds elapse */
	size_t size;
	int recv;
};

static volatile sig_atomic_t flood_stop;

static void flood_on_signal(int sig)
{
	flood_stop = 1;
}

static int flood_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = flood_on_signal;	/* no SA_RESTART: wake recv */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	return 0;
}

static double flood_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int flood_usage(void)
{
	fprintf(stderr,
		"usage: udpflood [--sockets N] [--seconds S | --count N] "
		"[--size BYTES] ADDR PORT\n"
		"       udpflood --recv PORT [--seconds S]\n");
	return 2;
}

static int flood_number(const char *s, double min, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || *v < min || *v > max)
		return -1;
	return 0;
}

/* One option with its value; returns 1 if consumed, -1 on a bad value. */
static int flood_option(struct flood_opts *o, const char *name,
			const char *val)
{
	double v;

	if (!val)
		return -1;
	if (!strcmp(name, "--sockets")) {
		if (flood_number(val, 1, FLOOD_MAXSOCK, &v) < 0)
			return -1;
		o->sockets = (unsigned int)v;
	} else if (!strcmp(name, "--seconds")) {
		if (flood_number(val, 0.001, 86400, &v) < 0)
			return -1;
		o->seconds = v;
	} else if (!strcmp(name, "--count")) {
		if (flood_number(val, 1, 1e15, &v) < 0)
			return -1;
		o->count = (unsigned long long)v;
	} else if (!strcmp(name, "--size")) {
		if (flood_number(val, 0, FLOOD_MAXSIZE, &v) < 0)
			return -1;
		o->size = (size_t)v;
	} else if (!strcmp(name, "--recv")) {
		o->recv = 1;
		o->port = val;
	} else {
		return -1;
	}
	return 1;
}

static int flood_parse(struct flood_opts *o, int argc, char *argv[])
{
	int i, rest = 0;

	*o = (struct flood_opts){ .sockets = 4, .seconds = -1, .size = 64 };
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2)) {
			if (flood_option(o, argv[i], argv[i + 1]) < 0)
				return -1;
			i++;
		} else if (rest == 0) {
			o->addr = argv[i];
			rest++;
		} else if (rest == 1) {
			o->port = argv[i];
			rest++;
		} else {
			return -1;
		}
	}
	if (o->recv ? rest != 0 : rest != 2)
		return -1;
	if (o->seconds < 0)
		o->seconds = o->recv ? 60 : (o->count ? 86400 : 5);
	return 0;
}

/* Sockets connected to the target: no address per message, and each
 * socket's ephemeral port makes it its own flow. */
static int flood_connect(const struct flood_opts *o, int *fds)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	unsigned int i;
	int err;

	err = getaddrinfo(o->addr, o->port, &hints, &ai);
	if (err) {
		fprintf(stderr, "udpflood: %s %s: %s\n", o->addr, o->port,
			gai_strerror(err));
		return -1;
	}
	for (i = 0; i < o->sockets; i++) {
		fds[i] = socket(ai->ai_family, SOCK_DGRAM, 0);
		if (fds[i] < 0 || connect(fds[i], ai->ai_addr, ai->ai_addrlen)) {
			perror("udpflood: socket");
			freeaddrinfo(ai);
			return -1;
		}
	}
	freeaddrinfo(ai);
	return 0;
}

static void flood_batch_init(struct mmsghdr *msg, struct iovec *iov,
			     char *payload, size_t size)
{
	int i;

	memset(msg, 0, sizeof(*msg) * FLOOD_BATCH);
	for (i = 0; i < FLOOD_BATCH; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = size;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
}

static int flood_send(const struct flood_opts *o)
{
	static char payload[FLOOD_MAXSIZE];
	struct mmsghdr msg[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	unsigned long long sent = 0, failed = 0, want;
	int fds[FLOOD_MAXSOCK];
	double start, end, now;
	unsigned int s = 0;
	int n;

	if (flood_connect(o, fds) < 0)
		return 1;
	memset(payload, 'v', o->size);
	flood_batch_init(msg, iov, payload, o->size);
	start = now = flood_now();
	end = start + o->seconds;
	while (!flood_stop && now < end && (!o->count || sent < o->count)) {
		want = FLOOD_BATCH;
		if (o->count && o->count - sent < want)
			want = o->count - sent;
		n = sendmmsg(fds[s], msg, (unsigned int)want, 0);
		/* ECONNREFUSED (an earlier ICMP unreachable), ENOBUFS:
		 * the flood goes on; such batches just do not count. */
		if (n < 0)
			failed++;
		else
			sent += (unsigned long long)n;
		s = (s + 1) % o->sockets;
		now = flood_now();
	}
	printf("sent %llu datagrams of %zu bytes from %u sockets in %.3f s "
	       "(%.0f pkt/s), %llu failed batches\n", sent, o->size,
	       o->sockets, now - start, sent / (now - start), failed);
	return 0;
}

/* A receiving socket on PORT, IPv6 dual-stack when available. */
static int flood_listen(const char *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct timeval tv = { .tv_usec = 100000 };
	int size = 16 * 1024 * 1024, zero = 0, fd;
	double p;

	if (flood_number(port, 1, 65535, &p) < 0)
		return -1;
	a6.sin6_port = a4.sin_port = htons((uint16_t)p);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd >= 0 && (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero)) ||
			bind(fd, (struct sockaddr *)&a6, sizeof(a6)))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a4, sizeof(a4)))
			return -1;
	}
	/* A deep buffer so the receiver is never the one dropping; the
	 * timeout lets it notice the end of its window. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int flood_recv(const struct flood_opts *o)
{
	static char buf[FLOOD_BATCH][2048];
	struct mmsghdr msg[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	unsigned long long got = 0;
	double first = 0, last = 0;
	int fd, n, i;

	fd = flood_listen(o->port);
	if (fd < 0) {
		perror("udpflood: listen");
		return 1;
	}
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < FLOOD_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (!flood_stop && (!got || flood_now() - first < o->seconds)) {
		n = recvmmsg(fd, msg, FLOOD_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		last = flood_now();
		if (!got)
			first = last;
		got += (unsigned long long)n;
	}
	printf("received %llu datagrams in %.3f s (%.0f pkt/s)\n", got,
	       last - first, last > first ? got / (last - first) : 0.0);
	close(fd);
	return 0;
}

int main(int argc, char *argv[])
{
	struct flood_opts o;

	if (flood_parse(&o, argc, argv) < 0)
		return flood_usage();
	if (flood_signals_init() < 0) {
		perror("udpflood: sigaction");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return o.recv ? flood_recv(&o) : flood_send(&o);
}
