/*
 * The lock-out guard: judge the SSH sessions this host is reached by against
 * a policy before it is put in force (doc/safety.md 2: ufw asks before it
 * cuts the SSH session it was enabled from). The judging is the engine's
 * own: policy_judge over a scratch flow table, with the packets a live
 * session sends after the new rules load.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "guard.h"
#include "rulename.h"

/* Longest address as text, with a zone ("fe80::...%eth0") and its NUL. */
#define GUARD_ADDR_TEXT 64

/* ---- $SSH_CONNECTION ---------------------------------------------------- */

/* ::ffff:a.b.c.d is an IPv4 peer of a dual-stack socket: IPv4 on the wire. */
static void unmap_v4(uint8_t *family, uint8_t *addr)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (*family != AF_INET6 || memcmp(addr, prefix, sizeof(prefix)))
		return;
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, 12);
	*family = AF_INET;
}

static int parse_addr(const char *s, size_t n, uint8_t *family, uint8_t *addr)
{
	char text[GUARD_ADDR_TEXT];
	const char *zone;

	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	/* sshd writes link-local peers with their zone; packets carry none. */
	zone = strchr(text, '%');
	if (zone && strchr(text, ':'))
		text[zone - text] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, text, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	unmap_v4(family, addr);
	return 0;
}

/* Decimal digits only (no sign, no blanks), 1-65535. */
static int parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

struct field {
	const char *s;
	size_t n;
};

/* Split at blanks into exactly `want` fields. */
static int split_fields(const char *s, struct field *f, size_t want)
{
	static const char blanks[] = " \t\n";
	size_t k = 0;

	for (;;) {
		s += strspn(s, blanks);
		if (!*s)
			break;
		if (k == want)
			return -1;
		f[k].s = s;
		f[k].n = strcspn(s, blanks);
		s += f[k++].n;
	}
	return k == want ? 0 : -1;
}

int guard_session_from_env(const char *ssh_connection, struct guard_session *s)
{
	struct field f[4];
	uint8_t fam_client, fam_server;
	struct guard_session t;

	memset(&t, 0, sizeof(t));
	if (!ssh_connection || !s || split_fields(ssh_connection, f, 4) < 0 ||
	    parse_addr(f[0].s, f[0].n, &fam_client, t.remote) < 0 ||
	    parse_port(f[1].s, f[1].n, &t.remote_port) < 0 ||
	    parse_addr(f[2].s, f[2].n, &fam_server, t.local) < 0 ||
	    parse_port(f[3].s, f[3].n, &t.local_port) < 0 ||
	    fam_client != fam_server) {
		errno = EINVAL;
		return -1;
	}
	t.family = fam_client;
	*s = t;
	return 0;
}

/* ---- /proc/net/tcp{,6} -------------------------------------------------- */

#define TCP_STATE_ESTABLISHED 0x01

/* Exactly `digits` hex digits at *p (at most 8). */
static int hex_word(const char **p, unsigned digits, uint32_t *v)
{
	const char *s = *p;
	uint32_t x = 0;
	unsigned i;

	for (i = 0; i < digits; i++, s++) {
		int c = *s;

		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else
			return -1;
		x = x << 4 | (uint32_t)c;
	}
	*v = x;
	*p = s;
	return 0;
}

/*
 * "0A01000A:0016": the kernel prints each 32-bit word of the address as it
 * sits in memory, read as a host-order integer (%08X of a __be32), so
 * storing the integer back in host order gives the bytes of the address.
 */
static int parse_endpoint(const char **p, unsigned words, uint8_t *addr,
			  uint16_t *port)
{
	uint32_t w, v;
	unsigned i;

	memset(addr, 0, 16);
	for (i = 0; i < words; i++) {
		if (hex_word(p, 8, &w) < 0)
			return -1;
		memcpy(addr + 4 * i, &w, sizeof(w));
	}
	if (**p != ':')
		return -1;
	(*p)++;
	if (hex_word(p, 4, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "   1: LOCAL:PORT REMOTE:PORT ST ..." into *s and the state. */
static int parse_tcp_line(const char *line, uint8_t family,
			  struct guard_session *s, uint32_t *state)
{
	unsigned words = family == AF_INET ? 1 : 4;
	const char *p = line + strspn(line, " ");
	size_t digits = strspn(p, "0123456789");
	uint8_t local_family = family;

	p += digits;
	if (!digits || *p != ':')
		return -1;
	p += 1 + strspn(p + 1, " ");
	memset(s, 0, sizeof(*s));
	if (parse_endpoint(&p, words, s->local, &s->local_port) < 0 || *p++ != ' ' ||
	    parse_endpoint(&p, words, s->remote, &s->remote_port) < 0 || *p++ != ' ' ||
	    hex_word(&p, 2, state) < 0 || (*p != ' ' && *p != '\n' && *p))
		return -1;
	s->family = family;
	/* Both ends of a socket share a family: unmap them together. */
	unmap_v4(&s->family, s->remote);
	unmap_v4(&local_family, s->local);
	if (local_family != s->family)
		return -1;
	return 0;
}

/* Append the established sessions on `port` from one table; -1 + errno if unreadable. */
static int read_tcp_table(const char *path, uint8_t family, uint16_t port,
			  struct guard_session *out, size_t max, size_t *n)
{
	struct guard_session s;
	char *line = NULL;
	size_t cap = 0;
	uint32_t state;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	/* The header line does not start with "N:" and is skipped as unparsable. */
	while (*n < max && getline(&line, &cap, f) >= 0) {
		if (parse_tcp_line(line, family, &s, &state) < 0)
			continue;
		if (state == TCP_STATE_ESTABLISHED && s.local_port == port)
			out[(*n)++] = s;
	}
	/* A table read halfway would hide sessions: an error, not a short list. */
	if (ferror(f)) {
		errno = errno ? errno : EIO;
		ret = -1;
	}
	free(line);
	fclose(f);
	return ret;
}

int guard_sessions_listening(const char *proc_root, uint16_t port,
			     struct guard_session *out, size_t max)
{
	char path[4096];
	size_t n = 0;

	if (!proc_root || (!out && max)) {
		errno = EINVAL;
		return -1;
	}
	/* Room for the "6" of tcp6 as well. */
	if ((size_t)snprintf(path, sizeof(path), "%s/net/tcp", proc_root) >= sizeof(path) - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (read_tcp_table(path, AF_INET, port, out, max, &n) < 0)
		return -1;
	strcat(path, "6");
	/* No tcp6: a kernel without IPv6 has no IPv6 sessions to cut. */
	if (read_tcp_table(path, AF_INET6, port, out, max, &n) < 0 && errno != ENOENT)
		return -1;
	return (int)n;
}

/* ---- judging ------------------------------------------------------------ */

/* Never queued: the steering rules return `lo` traffic before NFQUEUE. */
static bool session_is_loopback(const struct guard_session *s)
{
	static const uint8_t v6_loop[16] = { [15] = 1 };

	if (!memcmp(s->local, s->remote, 16))
		return true;
	if (s->family == AF_INET)
		return s->local[0] == 127 || s->remote[0] == 127;
	return !memcmp(s->local, v6_loop, 16) || !memcmp(s->remote, v6_loop, 16);
}

/* An ACK segment of the session, mid-stream, in direction d. */
static void session_pkt(const struct guard_session *s, enum dir d, struct pkt *p)
{
	bool in = d == DIR_IN;

	memset(p, 0, sizeof(*p));
	p->family = s->family;
	p->proto = IPPROTO_NUM_TCP;
	p->flags = PKT_F_L4;
	p->tcp_flags = TCPF_ACK;
	memcpy(p->src, in ? s->remote : s->local, 16);
	memcpy(p->dst, in ? s->local : s->remote, 16);
	p->sport = in ? s->remote_port : s->local_port;
	p->dport = in ? s->local_port : s->remote_port;
	/* The IP header and a TCP header with timestamps: a bare ACK. */
	p->len = s->family == AF_INET6 ? 72 : 52;
}

/* "203.0.113.5:50514", "[2001:db8::5]:50514". */
static char *endpoint_text(uint8_t family, const uint8_t *addr, uint16_t port,
			   char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	addr_format(family, addr, a, sizeof(a));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

static void cut_text(const struct guard_session *s, const char *what,
		     char *why, size_t len)
{
	char from[INET6_ADDRSTRLEN + 10], to[INET6_ADDRSTRLEN + 10];

	if (!why || !len)
		return;
	endpoint_text(s->family, s->remote, s->remote_port, from, sizeof(from));
	endpoint_text(s->family, s->local, s->local_port, to, sizeof(to));
	snprintf(why, len, "would cut the SSH session %s -> %s: %s", from, to, what);
}

static struct flow_table *scratch_table(void)
{
	/* Nothing to keep secret in a table of three packets: a fixed key. */
	static const uint8_t key[16] = "vpcfw-lock-guard";
	struct flow_params fp;

	flow_params_default(&fp);
	fp.max_flows = 16;
	fp.hash_key = key;
	return flow_table_new(&fp);
}

/* Judge the three packets; on a drop describe it in what and return true. */
static bool judge_session(const struct policy *pol, struct flow_table *ft,
			  const struct guard_session *s, char *what, size_t len)
{
	static const enum dir steps[] = { DIR_IN, DIR_OUT, DIR_IN };
	uint64_t now = now_ms();
	struct verdict v;
	struct pkt p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		session_pkt(s, steps[i], &p);
		policy_judge(pol, ft, &p, steps[i], now, &v);
		if (!v.accept) {
			char by[256];

			/* The layer that drops them, and where its rule is written. */
			rulename_verdict(pol, &v, steps[i], RULENAME_PROSE | RULENAME_ORIGIN |
					 RULENAME_DECIDER, by, sizeof(by));
			snprintf(what, len, "its %s packets are dropped by %s",
				 dir_name(steps[i]), by);
			return true;
		}
	}
	return false;
}

bool guard_would_cut(const struct policy *pol, const struct guard_session *s,
		     char *why, size_t len)
{
	struct flow_table *ft;
	char what[384];
	bool cut;

	if (s->family != AF_INET && s->family != AF_INET6) {
		cut_text(s, "cannot judge it: unknown address family", why, len);
		return true;
	}
	if (session_is_loopback(s))
		return false;
	ft = scratch_table();
	if (!ft) {
		snprintf(what, sizeof(what), "cannot judge it: %s", strerror(errno));
		cut_text(s, what, why, len);
		return true;
	}
	cut = judge_session(pol, ft, s, what, sizeof(what));
	flow_table_free(ft);
	/* The guard's packets are not traffic: keep them out of `show rules`. */
	policy_zero_hits(pol);
	if (cut)
		cut_text(s, what, why, len);
	return cut;
}
