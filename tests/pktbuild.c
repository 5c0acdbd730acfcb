/*
 * Raw packet builders for the unit tests (see pktbuild.h).
 *
 * Packets are built the way the kernel would hand them to NFQUEUE: the IP
 * header first, lengths and checksums filled in. IPv4 headers carry ID
 * 0x1234, no DF, TTL 64; IPv6 headers hop limit 64. TCP segments are 20
 * bytes (seq 1, ack 1 when ACK is set, window 65535); echo/query ICMP
 * messages carry sequence 1. Anything a test cannot express with these
 * builders it patches by hand in the returned bytes.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pktbuild.h"

#define IP4_HLEN 20
#define IP6_HLEN 40

struct pb_addrs {
	int family;
	uint8_t src[16];
	uint8_t dst[16];
};

static void pb_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t pb_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void pb_put32(uint8_t *p, uint32_t v)
{
	pb_put16(p, v >> 16);
	pb_put16(p + 2, v & 0xffff);
}

/* Both addresses must parse and be of the same family, or the test is wrong. */
static void pb_parse_addrs(struct pb_addrs *a, const char *src, const char *dst)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, src, a->src) == 1 &&
	    inet_pton(AF_INET, dst, a->dst) == 1) {
		a->family = AF_INET;
		return;
	}
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET6, src, a->src) == 1 &&
	    inet_pton(AF_INET6, dst, a->dst) == 1) {
		a->family = AF_INET6;
		return;
	}
	abort();
}

static uint32_t pb_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += pb_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t pb_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void pb_ip4_csum(uint8_t *ip)
{
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;

	pb_put16(ip + 10, 0);
	pb_put16(ip + 10, pb_fold(pb_sum(0, ip, hlen)));
}

/* Transport checksum over the pseudo header and `len` bytes at l4. */
static uint16_t pb_l4_csum(const struct pb_addrs *a, uint8_t proto,
			   const uint8_t *l4, size_t len)
{
	size_t alen = a->family == AF_INET ? 4 : 16;
	uint32_t sum = 0;

	sum = pb_sum(sum, a->src, alen);
	sum = pb_sum(sum, a->dst, alen);
	sum += proto;
	sum += (uint32_t)len;
	return pb_fold(pb_sum(sum, l4, len));
}

/* Write the IP header for `l4len` transport bytes; return the header length. */
static size_t pb_ip_header(uint8_t *buf, const struct pb_addrs *a,
			   uint8_t proto, size_t l4len)
{
	if (a->family == AF_INET) {
		if (IP4_HLEN + l4len > PB_MAX)
			abort();
		memset(buf, 0, IP4_HLEN);
		buf[0] = 0x45;
		pb_put16(buf + 2, (uint16_t)(IP4_HLEN + l4len));
		pb_put16(buf + 4, 0x1234);
		buf[8] = 64;
		buf[9] = proto;
		memcpy(buf + 12, a->src, 4);
		memcpy(buf + 16, a->dst, 4);
		pb_ip4_csum(buf);
		return IP4_HLEN;
	}
	if (IP6_HLEN + l4len > PB_MAX)
		abort();
	memset(buf, 0, IP6_HLEN);
	buf[0] = 0x60;
	pb_put16(buf + 4, (uint16_t)l4len);
	buf[6] = proto;
	buf[7] = 64;
	memcpy(buf + 8, a->src, 16);
	memcpy(buf + 24, a->dst, 16);
	return IP6_HLEN;
}

/* Fill the checksum at `csum_off` inside the transport header. */
static void pb_finish_l4(const struct pb_addrs *a, uint8_t proto, uint8_t *l4,
			 size_t len, size_t csum_off)
{
	uint16_t sum;

	pb_put16(l4 + csum_off, 0);
	if (proto == 1)	/* ICMPv4 has no pseudo header */
		sum = pb_fold(pb_sum(0, l4, len));
	else
		sum = pb_l4_csum(a, proto, l4, len);
	if (proto == 17 && sum == 0)
		sum = 0xffff;
	pb_put16(l4 + csum_off, sum);
}

size_t pb_tcp(uint8_t *buf, const char *src, uint16_t sport, const char *dst,
	      uint16_t dport, uint8_t tcp_flags)
{
	struct pb_tcp_seg g = {
		.flags = tcp_flags, .seq = 1, .ack = (tcp_flags & 0x10) ? 1 : 0,
		.win = 65535, .wscale = -1,
	};

	return pb_tcp_seg(buf, src, sport, dst, dport, &g);
}

size_t pb_tcp_seg(uint8_t *buf, const char *src, uint16_t sport,
		  const char *dst, uint16_t dport, struct pb_tcp_seg *g)
{
	size_t thl = g->wscale >= 0 ? 24 : 20, hl;
	size_t cap = g->payload > PB_MAX / 2 ? 0 : g->payload;
	struct pb_addrs a;
	uint8_t *t;

	pb_parse_addrs(&a, src, dst);
	hl = pb_ip_header(buf, &a, 6, thl + cap);
	if (cap < g->payload) {
		/* Headers only, the lengths of the whole: a cut capture. */
		if (a.family == AF_INET) {
			pb_put16(buf + 2, (uint16_t)(hl + thl + g->payload));
			pb_put16(buf + 10, 0);
			pb_ip4_csum(buf);
		} else {
			pb_put16(buf + 4, (uint16_t)(thl + g->payload));
		}
	}
	g->caplen = hl + thl + cap;
	t = buf + hl;
	memset(t, 0, thl + cap);
	pb_put16(t, sport);
	pb_put16(t + 2, dport);
	pb_put32(t + 4, g->seq);
	pb_put32(t + 8, g->ack);
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = g->flags;
	pb_put16(t + 14, g->win);
	if (g->wscale >= 0) {
		t[20] = 1;	/* NOP */
		t[21] = 3;	/* window scale, RFC 7323 */
		t[22] = 3;
		t[23] = (uint8_t)g->wscale;
	}
	pb_finish_l4(&a, 6, t, thl + cap, 16);
	return hl + thl + g->payload;
}

size_t pb_udp(uint8_t *buf, const char *src, uint16_t sport, const char *dst,
	      uint16_t dport, size_t payload)
{
	struct pb_addrs a;
	size_t hl;
	uint8_t *u;

	pb_parse_addrs(&a, src, dst);
	hl = pb_ip_header(buf, &a, 17, 8 + payload);
	u = buf + hl;
	memset(u, 0, 8 + payload);
	pb_put16(u, sport);
	pb_put16(u + 2, dport);
	pb_put16(u + 4, (uint16_t)(8 + payload));
	pb_finish_l4(&a, 17, u, 8 + payload, 6);
	return hl + 8 + payload;
}

size_t pb_icmp(uint8_t *buf, const char *src, const char *dst, uint8_t type,
	       uint8_t code, uint16_t id)
{
	struct pb_addrs a;
	uint8_t proto;
	size_t hl;
	uint8_t *m;

	pb_parse_addrs(&a, src, dst);
	proto = a.family == AF_INET ? 1 : 58;
	hl = pb_ip_header(buf, &a, proto, 8);
	m = buf + hl;
	memset(m, 0, 8);
	m[0] = type;
	m[1] = code;
	pb_put16(m + 4, id);
	pb_put16(m + 6, 1);
	pb_finish_l4(&a, proto, m, 8, 2);
	return hl + 8;
}

size_t pb_icmp_error(uint8_t *buf, const char *src, const char *dst,
		     uint8_t type, uint8_t code, const uint8_t *inner,
		     size_t inner_len)
{
	struct pb_addrs a;
	uint8_t proto;
	size_t hl;
	uint8_t *m;

	pb_parse_addrs(&a, src, dst);
	proto = a.family == AF_INET ? 1 : 58;
	hl = pb_ip_header(buf, &a, proto, 8 + inner_len);
	m = buf + hl;
	memset(m, 0, 8);
	m[0] = type;
	m[1] = code;
	/* The MTU field of "fragmentation needed" and "packet too big". */
	if (proto == 1 && type == 3 && code == 4)
		pb_put16(m + 6, 1500);
	else if (proto == 58 && type == 2)
		pb_put32(m + 4, 1280);
	memmove(m + 8, inner, inner_len);
	pb_finish_l4(&a, proto, m, 8 + inner_len, 2);
	return hl + 8 + inner_len;
}

size_t pb_proto(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
		size_t payload)
{
	struct pb_addrs a;
	size_t hl;

	pb_parse_addrs(&a, src, dst);
	hl = pb_ip_header(buf, &a, proto, payload);
	memset(buf + hl, 0, payload);
	return hl + payload;
}

static size_t pb_fragment4(uint8_t *buf, size_t pktlen, unsigned offset,
			   size_t len, int more_fragments)
{
	size_t hl = (size_t)(buf[0] & 0x0f) * 4;
	size_t plen = pktlen - hl;

	if (offset > plen)
		offset = (unsigned)plen;
	if (len > plen - offset)
		len = plen - offset;
	memmove(buf + hl, buf + hl + offset, len);
	pb_put16(buf + 2, (uint16_t)(hl + len));
	pb_put16(buf + 6, (uint16_t)((offset / 8) |
				     (more_fragments ? 0x2000 : 0)));
	pb_ip4_csum(buf);
	return hl + len;
}

/* Length of an IPv6 extension header as the builders write them. */
static size_t pb_ext_len(uint8_t type, const uint8_t *h)
{
	if (type == 44)
		return 8;
	if (type == 51)
		return ((size_t)h[1] + 2) * 4;
	return ((size_t)h[1] + 1) * 8;
}

/*
 * Offset of the fragmentable part (RFC 8200 4.5): after Hop-by-Hop,
 * Routing, and Destination Options that come before a Routing header.
 * *nh_at receives the offset of the next-header byte that points at it.
 */
static size_t pb_ip6_unfrag_end(const uint8_t *buf, size_t pktlen,
				size_t *nh_at)
{
	size_t off = IP6_HLEN, at = 6;
	uint8_t nh = buf[6];

	while (off + 8 <= pktlen) {
		size_t l = pb_ext_len(nh, buf + off);
		bool take = nh == 0 || nh == 43;

		if (nh == 60 && off + l + 8 <= pktlen && buf[off] == 43)
			take = true;
		if (!take || off + l > pktlen)
			break;
		at = off;
		nh = buf[off];
		off += l;
	}
	*nh_at = at;
	return off;
}

static size_t pb_fragment6(uint8_t *buf, size_t pktlen, unsigned offset,
			   size_t len, int more_fragments)
{
	size_t nh_at, uf = pb_ip6_unfrag_end(buf, pktlen, &nh_at);
	size_t plen = pktlen - uf;
	uint8_t *fh = buf + uf;

	if (offset > plen)
		offset = (unsigned)plen;
	if (len > plen - offset)
		len = plen - offset;
	if (uf + 8 + len > PB_MAX)
		abort();
	memmove(fh + 8, buf + uf + offset, len);
	fh[0] = buf[nh_at];
	fh[1] = 0;
	pb_put16(fh + 2, (uint16_t)((offset & ~7u) | (more_fragments ? 1 : 0)));
	pb_put32(fh + 4, 0x12345678);
	buf[nh_at] = 44;
	pb_put16(buf + 4, (uint16_t)(uf + 8 + len - IP6_HLEN));
	return uf + 8 + len;
}

size_t pb_fragment(uint8_t *buf, size_t pktlen, unsigned offset, size_t len,
		   int more_fragments)
{
	if (offset % 8)
		abort();
	if ((buf[0] >> 4) == 4)
		return pb_fragment4(buf, pktlen, offset, len, more_fragments);
	return pb_fragment6(buf, pktlen, offset, len, more_fragments);
}

/* Write one extension header of `type` (its next header `nh`) at h. */
static size_t pb_ext_write(uint8_t *h, uint8_t type, uint8_t nh,
			   const uint8_t *dst)
{
	size_t l;

	switch (type) {
	case 43:	/* Segment Routing Header (type 4), one segment, left 0 */
		l = 24;
		memset(h, 0, l);
		h[1] = 2;
		h[2] = 4;
		memcpy(h + 8, dst, 16);
		break;
	case 44:	/* atomic fragment: offset 0, M clear */
		l = 8;
		memset(h, 0, l);
		pb_put32(h + 4, 0x12345678);
		break;
	case 51:	/* AH with a 96-bit ICV: 24 bytes, (4 + 2) * 4 */
		l = 24;
		memset(h, 0, l);
		h[1] = 4;
		pb_put32(h + 4, 0x100);
		pb_put32(h + 8, 1);
		break;
	default:	/* options headers (0, 60) and anything else: PadN */
		l = 8;
		memset(h, 0, l);
		h[2] = 1;
		h[3] = 4;
		break;
	}
	h[0] = nh;
	return l;
}

/*
 * Headers go right after the fixed header, in the given order, so that
 * they precede whatever chain and transport header the packet had.
 */
size_t pb_ipv6_exthdrs(uint8_t *buf, size_t pktlen, const uint8_t *types,
		       size_t n)
{
	uint8_t hdrs[PB_MAX];
	size_t i, total = 0, l = 0;
	uint8_t first_nh = buf[6];

	if ((buf[0] >> 4) != 6)
		abort();
	for (i = 0; i < n; i++) {
		uint8_t nh = i + 1 < n ? types[i + 1] : first_nh;

		if (total + 24 > sizeof(hdrs))
			abort();
		l = pb_ext_write(hdrs + total, types[i], nh, buf + 24);
		total += l;
	}
	if (pktlen + total > PB_MAX)
		abort();
	memmove(buf + IP6_HLEN + total, buf + IP6_HLEN, pktlen - IP6_HLEN);
	memcpy(buf + IP6_HLEN, hdrs, total);
	if (n)
		buf[6] = types[0];
	pb_put16(buf + 4, (uint16_t)(pb_get16(buf + 4) + total));
	return pktlen + total;
}

size_t pb_ipv4_options(uint8_t *buf, size_t pktlen, size_t optlen)
{
	size_t hl = (size_t)(buf[0] & 0x0f) * 4;

	if ((buf[0] >> 4) != 4 || optlen % 4 || hl + optlen > 60 ||
	    pktlen + optlen > PB_MAX)
		abort();
	if (!optlen)
		return pktlen;
	memmove(buf + hl + optlen, buf + hl, pktlen - hl);
	memset(buf + hl, 1, optlen);	/* NOP */
	buf[hl + optlen - 1] = 0;	/* EOL */
	buf[0] = (uint8_t)(0x40 | ((hl + optlen) / 4));
	pb_put16(buf + 2, (uint16_t)(pb_get16(buf + 2) + optlen));
	pb_ip4_csum(buf);
	return pktlen + optlen;
}
