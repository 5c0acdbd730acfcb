/*
 * Packets from words (pktgen.h): the parser reads what pkt_format()
 * writes, the builder writes headers the way the kernel hands them to
 * NFQUEUE, so pkt_parse() reads them as it reads live traffic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "num.h"
#include "pkt.h"
#include "pktgen.h"

#define WORDS_MAX 16

static int fail(char *err, size_t len, const char *why, const char *word)
{
	snprintf(err, len, "%s%s%s%s", why, word ? " '" : "", word ? word : "",
		 word ? "'" : "");
	errno = EINVAL;
	return -1;
}

static int parse_proto(struct pktgen *g, const char *w)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} names[] = {
		{ "tcp", IPPROTO_NUM_TCP }, { "udp", IPPROTO_NUM_UDP },
		{ "icmp", IPPROTO_NUM_ICMP }, { "icmpv6", IPPROTO_NUM_ICMPV6 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(w, names[i].name)) {
			g->proto = names[i].proto;
			return 0;
		}
	return -1;
}

static bool has_ports(const struct pktgen *g)
{
	return g->proto == IPPROTO_NUM_TCP || g->proto == IPPROTO_NUM_UDP;
}

static bool is_icmp(const struct pktgen *g)
{
	return g->proto == IPPROTO_NUM_ICMP || g->proto == IPPROTO_NUM_ICMPV6;
}

/*
 * "A:P", "[A6]:P", or without ports (ICMP, another protocol, a later
 * fragment, which carries none) "A", "A6", "[A6]".
 */
static int parse_endpoint(bool ports, const char *w, uint8_t addr[16], uint16_t *port,
			  int *family)
{
	char a[64];
	const char *colon = NULL, *end;
	uint64_t v;

	if (strlen(w) >= sizeof(a))
		return -1;
	if (w[0] == '[') {
		end = strchr(w, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		memcpy(a, w + 1, (size_t)(end - w - 1));
		a[end - w - 1] = '\0';
		colon = end[1] ? end + 1 : NULL;
		*family = AF_INET6;
	} else if (strchr(w, ':') != strrchr(w, ':') || (ports && !strchr(w, ':'))) {
		if (ports)
			return -1;	/* IPv6 with a port needs brackets */
		snprintf(a, sizeof(a), "%s", w);
		*family = AF_INET6;
	} else {
		colon = strchr(w, ':');
		snprintf(a, sizeof(a), "%.*s", colon ? (int)(colon - w) : (int)strlen(w), w);
		*family = AF_INET;
	}
	if (inet_pton(*family, a, addr) != 1)
		return -1;
	if (ports != (colon != NULL))
		return -1;
	if (colon && num_parse(colon + 1, 0, 65535, &v) < 0)
		return -1;
	*port = colon ? (uint16_t)v : 0;
	return 0;
}

static int parse_flags(struct pktgen *g, const char *w)
{
	static const char letters[] = "FSRP.UEW";
	size_t n = strlen(w), i;
	const char *c;

	if (n < 2 || w[0] != '[' || w[n - 1] != ']')
		return -1;
	g->tcp_flags = 0;
	g->flags_given = true;
	if (!strcmp(w, "[none]"))
		return 0;
	for (i = 1; i + 1 < n; i++) {
		c = strchr(letters, w[i]);
		if (!c || !w[i])
			return -1;
		g->tcp_flags |= (uint8_t)(1u << (c - letters));
	}
	return 0;
}

static int parse_byte(const char *w, uint8_t *out)
{
	uint64_t v;

	if (!w || num_parse(w, 0, 255, &v) < 0)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

/* The words after the addresses. */
static int parse_details(struct pktgen *g, char **w, size_t n, char *err, size_t len)
{
	bool icmp = is_icmp(g);
	uint64_t v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(w[i], "frag") || !strcmp(w[i], "first-frag")) {
			g->frag = strcmp(w[i], "frag") ? PKTGEN_FIRST_FRAG : PKTGEN_LATER_FRAG;
		} else if (g->proto == IPPROTO_NUM_TCP && w[i][0] == '[') {
			if (parse_flags(g, w[i]) < 0)
				return fail(err, len, "bad TCP flags (letters of FSRP.UEW in brackets)", w[i]);
		} else if (icmp && !strcmp(w[i], "type")) {
			if (parse_byte(i + 1 < n ? w[++i] : NULL, &g->icmp_type) < 0)
				return fail(err, len, "bad ICMP type (0 to 255)", w[i]);
		} else if (icmp && !strcmp(w[i], "code")) {
			if (parse_byte(i + 1 < n ? w[++i] : NULL, &g->icmp_code) < 0)
				return fail(err, len, "bad ICMP code (0 to 255)", w[i]);
		} else if (icmp && !strcmp(w[i], "id")) {
			if (i + 1 >= n || num_parse(w[++i], 0, 65535, &v) < 0)
				return fail(err, len, "bad ICMP id (0 to 65535)", w[i]);
			g->icmp_id = (uint16_t)v;
		} else {
			return fail(err, len, "unexpected word", w[i]);
		}
	}
	return 0;
}

int pktgen_parse(struct pktgen *g, const char *words, char *err, size_t errlen)
{
	char copy[512], *w[WORDS_MAX], *save = NULL, *t;
	int f1 = 0, f2 = 0;
	bool later = false, ports;
	uint64_t v;
	size_t i;
	size_t n = 0;

	memset(g, 0, sizeof(*g));
	if (!words || strlen(words) >= sizeof(copy))
		return fail(err, errlen, "no packet, or too long", NULL);
	strcpy(copy, words);
	for (t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (n == WORDS_MAX)
			return fail(err, errlen, "too many words", t);
		w[n++] = t;
	}
	/* Another protocol, as pkt_format() writes it: "proto 47 SRC -> DST". */
	if (n > 1 && !strcmp(w[0], "proto")) {
		if (num_parse(w[1], 0, 255, &v) < 0 || v == IPPROTO_NUM_TCP || v == IPPROTO_NUM_UDP ||
		    v == IPPROTO_NUM_ICMP || v == IPPROTO_NUM_ICMPV6)
			return fail(err, errlen, "bad protocol number (one without a name here)", w[1]);
		g->proto = (uint8_t)v;
		memmove(w + 1, w + 2, (--n - 1) * sizeof(*w));
	} else if (n && parse_proto(g, w[0]) < 0) {
		return fail(err, errlen, "unknown protocol (tcp, udp, icmp, icmpv6 or proto N)", w[0]);
	}
	if (n < 4 || strcmp(w[2], "->"))
		return fail(err, errlen, "say PROTO SRC -> DST", NULL);
	/* A later fragment has no ports to write: its addresses come without. */
	for (i = 4; i < n; i++)
		later |= !strcmp(w[i], "frag");
	ports = has_ports(g) && !later;
	if (parse_endpoint(ports, w[1], g->src, &g->sport, &f1) < 0)
		return fail(err, errlen, ports ? "bad source (A:PORT, [A6]:PORT)" :
			    "bad source (an address, no port)", w[1]);
	if (parse_endpoint(ports, w[3], g->dst, &g->dport, &f2) < 0)
		return fail(err, errlen, ports ? "bad destination (A:PORT, [A6]:PORT)" :
			    "bad destination (an address, no port)", w[3]);
	if (f1 != f2)
		return fail(err, errlen, "source and destination of different families", NULL);
	g->family = (uint8_t)f1;
	if ((g->proto == IPPROTO_NUM_ICMP && f1 != AF_INET) ||
	    (g->proto == IPPROTO_NUM_ICMPV6 && f1 != AF_INET6))
		return fail(err, errlen, "icmp is IPv4's, icmpv6 IPv6's", w[0]);
	g->tcp_flags = TCPF_SYN;
	g->icmp_type = f1 == AF_INET ? 8 : 128;
	return parse_details(g, w + 4, n - 4, err, errlen);
}

void pktgen_reply(struct pktgen *r, const struct pktgen *g)
{
	int t;

	*r = *g;
	memcpy(r->src, g->dst, sizeof(r->src));
	memcpy(r->dst, g->src, sizeof(r->dst));
	r->sport = g->dport;
	r->dport = g->sport;
	if (g->proto == IPPROTO_NUM_TCP)
		r->tcp_flags = (g->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN ?
			       TCPF_SYN | TCPF_ACK : TCPF_ACK;
	if (g->proto == IPPROTO_NUM_ICMP || g->proto == IPPROTO_NUM_ICMPV6) {
		t = pkt_icmp_reply_type(g->family, g->icmp_type);
		if (t >= 0)
			r->icmp_type = (uint8_t)t;
	}
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t ip4_checksum(const uint8_t *h)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The transport header at l4; its length. */
static size_t build_l4(const struct pktgen *g, uint8_t *l4)
{
	switch (g->proto) {
	case IPPROTO_NUM_TCP:
		put16(l4, g->sport);
		put16(l4 + 2, g->dport);
		put32(l4 + 4, g->seq);
		put32(l4 + 8, g->ack);
		l4[12] = 5 << 4;
		l4[13] = g->tcp_flags;
		put16(l4 + 14, 65535);
		return 20;
	case IPPROTO_NUM_UDP:
		put16(l4, g->sport);
		put16(l4 + 2, g->dport);
		put16(l4 + 4, 8);
		return 8;
	case IPPROTO_NUM_ICMP:
	case IPPROTO_NUM_ICMPV6:
		l4[0] = g->icmp_type;
		l4[1] = g->icmp_code;
		put16(l4 + 4, g->icmp_id);
		put16(l4 + 6, 1);
		return 8;
	default:
		return 8;	/* zero bytes: nothing of another protocol is read */
	}
}

/* IPv4 fragment offset field: MF on the first, 1480 bytes in for a later one. */
#define FRAG_MF		0x2000
#define FRAG_LATER	(1480 / 8)

size_t pktgen_build(const struct pktgen *g, uint8_t buf[PKTGEN_MAX])
{
	bool v6 = g->family == AF_INET6;
	size_t hl = v6 ? 40 : 20, l4len;
	uint16_t off = g->frag == PKTGEN_FIRST_FRAG ? FRAG_MF :
		       g->frag == PKTGEN_LATER_FRAG ? FRAG_LATER : 0;

	memset(buf, 0, PKTGEN_MAX);
	if (v6 && g->frag) {
		/* The Fragment header: next header, offset in 8-byte units << 3, M, id. */
		buf[40] = g->proto;
		put16(buf + 42, (uint16_t)((off & 0x1fff) << 3 | (off & FRAG_MF ? 1 : 0)));
		put32(buf + 44, 1);
		hl += 8;
	}
	/* A later fragment carries bytes of the middle of the datagram, no header. */
	l4len = g->frag == PKTGEN_LATER_FRAG ? 8 : build_l4(g, buf + hl);
	if (v6) {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)(hl - 40 + l4len));
		buf[6] = g->frag ? 44 : g->proto;
		buf[7] = 64;
		memcpy(buf + 8, g->src, 16);
		memcpy(buf + 24, g->dst, 16);
	} else {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(hl + l4len));
		put16(buf + 4, 1);
		put16(buf + 6, off);
		buf[8] = 64;
		buf[9] = g->proto;
		memcpy(buf + 12, g->src, 4);
		memcpy(buf + 16, g->dst, 4);
		put16(buf + 10, ip4_checksum(buf));
	}
	return hl + l4len;
}
