/*
 * Unit tests of the packet parser: table-driven on raw bytes built with
 * pktbuild.h. Every packet is copied into a heap buffer of exactly the
 * captured length before parsing, so that AddressSanitizer catches any
 * read past the capture.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"
#include "pkt.h"
#include "pktbuild.h"
#include "testutil.h"

#define V4A "10.0.0.1"
#define V4B "10.0.0.2"
#define V4R "10.0.0.9"
#define V6A "fd00::1"
#define V6B "fd00::2"
#define V6R "fd00::9"

#define L4 PKT_F_L4
#define FRAG PKT_F_FRAG
#define LATER PKT_F_LATER_FRAG
#define ERR PKT_F_ICMP_ERR
#define OPTS PKT_F_IPOPTS
#define TRUNC PKT_F_TRUNC

/* ---- helpers that shape raw packets ------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool is_v4(const uint8_t *b)
{
	return (b[0] >> 4) == 4;
}

static size_t ip_hlen(const uint8_t *b)
{
	return is_v4(b) ? (size_t)(b[0] & 0x0f) * 4 : 40;
}

/* Add `n` zero bytes at the end of the packet and fix its IP length. */
static size_t grow(uint8_t *b, size_t len, size_t n)
{
	memset(b + len, 0, n);
	if (is_v4(b))
		put16(b + 2, (uint16_t)(get16(b + 2) + n));
	else
		put16(b + 4, (uint16_t)(get16(b + 4) + n));
	return len + n;
}

/* Set the IP length field so the packet is `len` bytes long. */
static size_t set_iplen(uint8_t *b, size_t len)
{
	if (is_v4(b))
		put16(b + 2, (uint16_t)len);
	else
		put16(b + 4, (uint16_t)(len - 40));
	return len;
}

/* A TCP segment with a data offset of `doff` words and `payload` bytes. */
static size_t tcp_doff(uint8_t *b, const char *src, const char *dst,
		       unsigned doff, size_t payload, uint8_t flags)
{
	size_t n = pb_tcp(b, src, 40000, dst, 80, flags);
	size_t l4 = n - 20;

	n = grow(b, n, (doff > 5 ? (doff - 5) * 4 : 0) + payload);
	b[l4 + 12] = (uint8_t)(doff << 4);
	return n;
}

/* Insert a Destination Options header of `extlen` bytes after the IPv6 header. */
static size_t ip6_insert_opts(uint8_t *b, size_t n, size_t extlen)
{
	ck_assert(n + extlen <= PB_MAX && extlen % 8 == 0 && extlen >= 8);
	memmove(b + 40 + extlen, b + 40, n - 40);
	memset(b + 40, 0, extlen);
	b[40] = b[6];
	b[41] = (uint8_t)(extlen / 8 - 1);
	b[6] = 60;
	put16(b + 4, (uint16_t)(get16(b + 4) + extlen));
	return n + extlen;
}

static size_t ext6(uint8_t *b, size_t n, const uint8_t *types, size_t k)
{
	return pb_ipv6_exthdrs(b, n, types, k);
}

/* Parse `cap` bytes of b from a heap copy of exactly that size. */
static enum pkt_status parse_copy(struct pkt *p, const uint8_t *b, size_t cap,
				  size_t wire)
{
	uint8_t *copy = malloc(cap ? cap : 1);
	enum pkt_status st;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, b, cap);
	memset(p, 0xa5, sizeof(*p));	/* pkt_parse must zero it */
	st = pkt_parse(p, copy, cap, wire);
	free(copy);
	return st;
}

/* ---- builders of the table ---------------------------------------------- */

#define BUILDER(name) static size_t name(uint8_t *b)

BUILDER(b_tcp4_syn) { return pb_tcp(b, V4A, 40000, V4B, 80, TCPF_SYN); }
BUILDER(b_tcp6_synack) { return pb_tcp(b, V6A, 80, V6B, 40000, TCPF_SYN | TCPF_ACK); }
BUILDER(b_tcp4_doff8) { return tcp_doff(b, V4A, V4B, 8, 100, TCPF_PSH | TCPF_ACK); }
BUILDER(b_tcp6_doff15) { return tcp_doff(b, V6A, V6B, 15, 7, TCPF_ACK); }
BUILDER(b_udp4) { return pb_udp(b, V4A, 5353, V4B, 53, 10); }
BUILDER(b_udp6) { return pb_udp(b, V6A, 5353, V6B, 53, 10); }
BUILDER(b_udp4_big) { return pb_udp(b, V4A, 5353, V4B, 53, 1000); }
BUILDER(b_udp6_big) { return pb_udp(b, V6A, 5353, V6B, 53, 1000); }
BUILDER(b_icmp4_echo) { return pb_icmp(b, V4A, V4B, 8, 0, 7); }
BUILDER(b_icmp4_reply) { return pb_icmp(b, V4B, V4A, 0, 0, 7); }
BUILDER(b_icmp4_ts) { return pb_icmp(b, V4A, V4B, 13, 0, 9); }
BUILDER(b_icmp4_info_reply) { return pb_icmp(b, V4A, V4B, 16, 0, 10); }
BUILDER(b_icmp4_mask) { return pb_icmp(b, V4A, V4B, 17, 0, 11); }
BUILDER(b_icmp4_radv) { return pb_icmp(b, V4A, V4B, 9, 0, 7); }
BUILDER(b_icmp6_echo) { return pb_icmp(b, V6A, V6B, 128, 0, 7); }
BUILDER(b_icmp6_reply) { return pb_icmp(b, V6B, V6A, 129, 0, 7); }
BUILDER(b_icmp6_ns) { return pb_icmp(b, V6A, V6B, 135, 0, 7); }
BUILDER(b_gre4) { return pb_proto(b, V4A, V4B, 47, 8); }
BUILDER(b_gre6) { return pb_proto(b, V6A, V6B, 47, 8); }
BUILDER(b_esp4) { return pb_proto(b, V4A, V4B, 50, 16); }
BUILDER(b_esp6) { return pb_proto(b, V6A, V6B, 50, 16); }
BUILDER(b_nonext6) { return pb_proto(b, V6A, V6B, 59, 0); }

static size_t icmp_err(uint8_t *b, bool v6, uint8_t type, uint8_t code)
{
	uint8_t inner[PB_MAX];
	size_t n;

	if (v6) {
		n = pb_udp(inner, V6B, 53, V6A, 5353, 0);
		return pb_icmp_error(b, V6R, V6B, type, code, inner, n);
	}
	n = pb_tcp(inner, V4B, 80, V4A, 40000, TCPF_SYN | TCPF_ACK);
	return pb_icmp_error(b, V4R, V4B, type, code, inner, 28);
}

BUILDER(b_icmp4_unreach) { return icmp_err(b, false, 3, 4); }
BUILDER(b_icmp4_quench) { return icmp_err(b, false, 4, 0); }
BUILDER(b_icmp4_redirect) { return icmp_err(b, false, 5, 1); }
BUILDER(b_icmp4_timex) { return icmp_err(b, false, 11, 0); }
BUILDER(b_icmp4_param) { return icmp_err(b, false, 12, 0); }
BUILDER(b_icmp6_unreach) { return icmp_err(b, true, 1, 4); }
BUILDER(b_icmp6_toobig) { return icmp_err(b, true, 2, 0); }
BUILDER(b_icmp6_timex) { return icmp_err(b, true, 3, 0); }
BUILDER(b_icmp6_param) { return icmp_err(b, true, 4, 1); }

/* ICMP inside IPv6 and ICMPv6 inside IPv4 are "other" protocols. */
BUILDER(b_icmp_in_v6)
{
	size_t n = pb_proto(b, V6A, V6B, IPPROTO_NUM_ICMP, 8);

	b[40] = 8;
	return n;
}

BUILDER(b_icmp6_in_v4)
{
	size_t n = pb_proto(b, V4A, V4B, IPPROTO_NUM_ICMPV6, 8);

	b[20] = 128;
	return n;
}

BUILDER(b_udp4_opt4) { return pb_ipv4_options(b, b_udp4(b), 4); }
BUILDER(b_tcp4_opt40) { return pb_ipv4_options(b, b_tcp4_syn(b), 40); }

BUILDER(b_ver5) { size_t n = b_tcp4_syn(b); b[0] = 0x55; return n; }
BUILDER(b_ver0) { size_t n = b_tcp4_syn(b); b[0] = 0x05; return n; }
BUILDER(b_ver15) { size_t n = b_tcp6_synack(b); b[0] = 0xf0; return n; }
BUILDER(b_ihl4) { size_t n = b_tcp4_syn(b); b[0] = 0x44; return n; }
BUILDER(b_ihl0) { size_t n = b_tcp4_syn(b); b[0] = 0x40; return n; }
BUILDER(b_ihl15) { size_t n = b_tcp4_syn(b); b[0] = 0x4f; return n; }
BUILDER(b_tot19) { size_t n = b_tcp4_syn(b); put16(b + 2, 19); return n; }
BUILDER(b_tot41) { size_t n = b_tcp4_syn(b); put16(b + 2, 41); return n; }
BUILDER(b_tot0) { size_t n = b_tcp4_syn(b); put16(b + 2, 0); return n; }
BUILDER(b_tot30) { b_tcp4_syn(b); return set_iplen(b, 30); }

/* Six bytes after the end of the IP packet, as link-layer padding. */
BUILDER(b_tcp4_padded)
{
	size_t n = b_tcp4_syn(b);

	memset(b + n, 0, 6);
	return n + 6;
}

BUILDER(b_doff4) { size_t n = b_tcp4_syn(b); b[32] = 0x40; return n; }
BUILDER(b_doff0) { size_t n = b_tcp4_syn(b); b[32] = 0x00; return n; }
BUILDER(b_doff15) { size_t n = b_tcp4_syn(b); b[32] = 0xf0; return n; }
BUILDER(b_doff15_long) { return tcp_doff(b, V4A, V4B, 15, 160, TCPF_ACK); }

BUILDER(b_udp_len7) { size_t n = b_udp4(b); put16(b + 24, 7); return n; }
BUILDER(b_udp_len8) { size_t n = b_udp4(b); put16(b + 24, 8); return n; }
BUILDER(b_udp_len0) { size_t n = b_udp4(b); put16(b + 24, 0); return n; }
BUILDER(b_udp_ip26) { b_udp4(b); return set_iplen(b, 26); }

BUILDER(b_icmp4_err4)
{
	size_t n = pb_proto(b, V4A, V4B, IPPROTO_NUM_ICMP, 4);

	b[20] = 3;
	b[21] = 1;
	return n;
}

BUILDER(b_icmp4_echo4) { size_t n = b_icmp4_err4(b); b[20] = 8; return n; }
BUILDER(b_icmp4_2) { b_icmp4_err4(b); return set_iplen(b, 22); }
BUILDER(b_icmp6_echo7) { b_icmp6_echo(b); return set_iplen(b, 47); }

BUILDER(b_v6_plen_big)
{
	size_t n = b_udp6(b);

	put16(b + 4, (uint16_t)(get16(b + 4) + 1));
	return n;
}

/* A jumbogram: Hop-by-Hop first, payload length 0, UDP length 0. */
BUILDER(b_v6_jumbo)
{
	static const uint8_t hbh[] = { 0 };
	size_t n = ext6(b, b_udp6(b), hbh, 1);

	put16(b + 4, 0);
	put16(b + 48 + 4, 0);
	return n;
}

BUILDER(b_v6_plen0_tcp) { size_t n = b_tcp6_synack(b); put16(b + 4, 0); return n; }

#define EXT_BUILDER(name, base, ...)					\
	BUILDER(name)							\
	{								\
		static const uint8_t t[] = { __VA_ARGS__ };		\
		return ext6(b, base(b), t, sizeof(t));			\
	}

EXT_BUILDER(b_v6_hbh, b_udp6, 0)
EXT_BUILDER(b_v6_dst, b_udp6, 60)
EXT_BUILDER(b_v6_rt, b_udp6, 43)
EXT_BUILDER(b_v6_ah, b_udp6, 51)
EXT_BUILDER(b_v6_atomic, b_udp6, 44)
EXT_BUILDER(b_v6_all, b_udp6, 0, 43, 60, 51, 44)
EXT_BUILDER(b_v6_8hdrs, b_tcp6_synack, 0, 60, 60, 60, 60, 60, 43, 60)
EXT_BUILDER(b_v6_9hdrs, b_tcp6_synack, 0, 60, 60, 60, 60, 60, 43, 60, 60)
EXT_BUILDER(b_v6_hbh_late, b_udp6, 60, 0)
EXT_BUILDER(b_v6_rh0, b_udp6, 43)
EXT_BUILDER(b_v6_unknown, b_udp6, 253)
EXT_BUILDER(b_v6_hbh_esp, b_esp6, 0)
EXT_BUILDER(b_v6_chain_big, b_udp6_big, 0, 43)
EXT_BUILDER(b_v6_hbh_nonext, b_nonext6, 0)

/* RH0: the routing type byte of the builder's Segment Routing header. */
static size_t b_v6_rh0_patch(uint8_t *b)
{
	size_t n = b_v6_rh0(b);

	b[42] = 0;
	return n;
}

/* Hop-by-Hop whose next header is a value nobody registered as a header. */
static size_t b_v6_hbh_unknown(uint8_t *b)
{
	size_t n = b_v6_hbh(b);

	b[40] = 253;
	return n;
}

/* A Destination Options header claiming 88 bytes in a 66-byte packet. */
static size_t b_v6_ext_overrun(uint8_t *b)
{
	size_t n = b_v6_dst(b);

	b[41] = 10;
	return n;
}

BUILDER(b_v6_chain512) { return ip6_insert_opts(b, b_udp6(b), 472); }
BUILDER(b_v6_chain520) { return ip6_insert_opts(b, b_udp6(b), 480); }

/* Fragments. The base packets carry 100 payload bytes. */
BUILDER(b_udp4_100) { return pb_udp(b, V4A, 5353, V4B, 53, 100); }
BUILDER(b_udp6_100) { return pb_udp(b, V6A, 5353, V6B, 53, 100); }
BUILDER(b_tcp4_100) { return tcp_doff(b, V4A, V4B, 5, 100, TCPF_ACK); }
BUILDER(b_tcp6_100) { return tcp_doff(b, V6A, V6B, 5, 100, TCPF_ACK); }
BUILDER(b_tcp4_opts_100) { return tcp_doff(b, V4A, V4B, 15, 100, TCPF_ACK); }
EXT_BUILDER(b_udp6_chain_100, b_udp6_100, 0, 43)
EXT_BUILDER(b_udp6_dst_100, b_udp6_100, 60)

#define FRAG_BUILDER(name, base, off, len, mf)				\
	BUILDER(name)							\
	{								\
		return pb_fragment(b, base(b), off, len, mf);		\
	}

FRAG_BUILDER(b_frag4_first, b_udp4_100, 0, 24, 1)
FRAG_BUILDER(b_frag4_mid, b_udp4_100, 24, 48, 1)
FRAG_BUILDER(b_frag4_last, b_udp4_100, 72, 100, 0)
FRAG_BUILDER(b_frag4_tcp_first, b_tcp4_100, 0, 24, 1)
FRAG_BUILDER(b_frag4_tcp_later, b_tcp4_100, 16, 200, 0)
FRAG_BUILDER(b_frag4_tiny_tcp, b_tcp4_100, 0, 16, 1)
FRAG_BUILDER(b_frag4_tiny_udp, b_udp4_100, 0, 4, 1)
FRAG_BUILDER(b_frag4_tiny_icmp, b_icmp4_unreach, 0, 4, 1)
FRAG_BUILDER(b_frag4_rfc1858, b_tcp4_100, 8, 40, 0)
FRAG_BUILDER(b_frag4_udp_off8, b_udp4_100, 8, 40, 1)
FRAG_BUILDER(b_frag4_tcp_optsplit, b_tcp4_opts_100, 0, 24, 1)
FRAG_BUILDER(b_frag4_gre_first, b_gre4, 0, 0, 1)
FRAG_BUILDER(b_frag6_first, b_udp6_100, 0, 24, 1)
FRAG_BUILDER(b_frag6_mid, b_udp6_100, 24, 48, 1)
FRAG_BUILDER(b_frag6_last, b_udp6_100, 72, 100, 0)
FRAG_BUILDER(b_frag6_tcp_off8, b_tcp6_100, 8, 40, 0)
FRAG_BUILDER(b_frag6_chain_first, b_udp6_chain_100, 0, 24, 1)
FRAG_BUILDER(b_frag6_chain_later, b_udp6_chain_100, 24, 200, 0)
FRAG_BUILDER(b_frag6_tiny, b_udp6_100, 0, 4, 1)
FRAG_BUILDER(b_frag6_tiny_icmp, b_icmp6_echo, 0, 4, 1)
FRAG_BUILDER(b_frag6_split_l4, b_udp6_dst_100, 0, 8, 1)
FRAG_BUILDER(b_frag6_split_ext, b_udp6_dst_100, 0, 4, 1)
FRAG_BUILDER(b_frag6_later_dst, b_udp6_dst_100, 16, 40, 0)

/* A Fragment header inside a fragmented chain. */
static size_t b_frag6_double(uint8_t *b)
{
	static const uint8_t t[] = { 44 };

	return ext6(b, b_frag6_first(b), t, 1);
}

/* ---- the table ---------------------------------------------------------- */

struct pcase {
	const char *name;
	size_t (*build)(uint8_t *b);
	size_t cap;		/* bytes handed over; 0: the whole packet */
	size_t wire;		/* NFQA_CAP_LEN; 0: the whole packet */
	enum pkt_status st;
	/* The rest is checked only when st is PKT_OK. */
	uint8_t proto;
	uint8_t flags;
	uint16_t sport;
	uint16_t dport;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_id;
	uint16_t l4_off;
	uint16_t payload_len;
	uint32_t len;		/* 0: the whole packet */
};

#define OK PKT_OK
#define TCP IPPROTO_NUM_TCP
#define UDP IPPROTO_NUM_UDP
#define ICMP IPPROTO_NUM_ICMP
#define ICMP6 IPPROTO_NUM_ICMPV6

static const struct pcase cases[] = {
	/* valid transport headers, both families */
	{ "tcp4 syn", b_tcp4_syn, .st = OK, .proto = TCP, .flags = L4, .sport = 40000, .dport = 80, .tcp_flags = TCPF_SYN, .l4_off = 20 },
	{ "tcp6 syn-ack", b_tcp6_synack, .st = OK, .proto = TCP, .flags = L4, .sport = 80, .dport = 40000, .tcp_flags = TCPF_SYN | TCPF_ACK, .l4_off = 40 },
	{ "tcp4 options+payload", b_tcp4_doff8, .st = OK, .proto = TCP, .flags = L4, .sport = 40000, .dport = 80, .tcp_flags = TCPF_PSH | TCPF_ACK, .l4_off = 20, .payload_len = 100 },
	{ "tcp6 doff 15", b_tcp6_doff15, .st = OK, .proto = TCP, .flags = L4, .sport = 40000, .dport = 80, .tcp_flags = TCPF_ACK, .l4_off = 40, .payload_len = 7 },
	{ "udp4", b_udp4, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 20, .payload_len = 10 },
	{ "udp6", b_udp6, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 40, .payload_len = 10 },
	{ "icmp4 echo", b_icmp4_echo, .st = OK, .proto = ICMP, .flags = L4, .icmp_type = 8, .icmp_id = 7, .l4_off = 20 },
	{ "icmp4 echo reply", b_icmp4_reply, .st = OK, .proto = ICMP, .flags = L4, .icmp_type = 0, .icmp_id = 7, .l4_off = 20 },
	{ "icmp4 timestamp", b_icmp4_ts, .st = OK, .proto = ICMP, .flags = L4, .icmp_type = 13, .icmp_id = 9, .l4_off = 20 },
	{ "icmp4 info reply", b_icmp4_info_reply, .st = OK, .proto = ICMP, .flags = L4, .icmp_type = 16, .icmp_id = 10, .l4_off = 20 },
	{ "icmp4 address mask", b_icmp4_mask, .st = OK, .proto = ICMP, .flags = L4, .icmp_type = 17, .icmp_id = 11, .l4_off = 20 },
	{ "icmp4 router adv: no id", b_icmp4_radv, .st = OK, .proto = ICMP, .flags = L4, .icmp_type = 9, .l4_off = 20 },
	{ "icmp4 3/4 error", b_icmp4_unreach, .st = OK, .proto = ICMP, .flags = L4 | ERR, .icmp_type = 3, .icmp_code = 4, .l4_off = 20 },
	{ "icmp4 source quench", b_icmp4_quench, .st = OK, .proto = ICMP, .flags = L4 | ERR, .icmp_type = 4, .l4_off = 20 },
	{ "icmp4 redirect", b_icmp4_redirect, .st = OK, .proto = ICMP, .flags = L4 | ERR, .icmp_type = 5, .icmp_code = 1, .l4_off = 20 },
	{ "icmp4 time exceeded", b_icmp4_timex, .st = OK, .proto = ICMP, .flags = L4 | ERR, .icmp_type = 11, .l4_off = 20 },
	{ "icmp4 param problem", b_icmp4_param, .st = OK, .proto = ICMP, .flags = L4 | ERR, .icmp_type = 12, .l4_off = 20 },
	{ "icmp6 echo", b_icmp6_echo, .st = OK, .proto = ICMP6, .flags = L4, .icmp_type = 128, .icmp_id = 7, .l4_off = 40 },
	{ "icmp6 echo reply", b_icmp6_reply, .st = OK, .proto = ICMP6, .flags = L4, .icmp_type = 129, .icmp_id = 7, .l4_off = 40 },
	{ "icmp6 neighbour solicitation", b_icmp6_ns, .st = OK, .proto = ICMP6, .flags = L4, .icmp_type = 135, .l4_off = 40 },
	{ "icmp6 unreachable", b_icmp6_unreach, .st = OK, .proto = ICMP6, .flags = L4 | ERR, .icmp_type = 1, .icmp_code = 4, .l4_off = 40 },
	{ "icmp6 packet too big", b_icmp6_toobig, .st = OK, .proto = ICMP6, .flags = L4 | ERR, .icmp_type = 2, .l4_off = 40 },
	{ "icmp6 time exceeded", b_icmp6_timex, .st = OK, .proto = ICMP6, .flags = L4 | ERR, .icmp_type = 3, .l4_off = 40 },
	{ "icmp6 param problem", b_icmp6_param, .st = OK, .proto = ICMP6, .flags = L4 | ERR, .icmp_type = 4, .icmp_code = 1, .l4_off = 40 },
	{ "gre4", b_gre4, .st = OK, .proto = 47, .flags = L4, .l4_off = 20 },
	{ "gre6", b_gre6, .st = OK, .proto = 47, .flags = L4, .l4_off = 40 },
	{ "esp4", b_esp4, .st = OK, .proto = 50, .flags = L4, .l4_off = 20 },
	{ "esp6", b_esp6, .st = OK, .proto = 50, .flags = L4, .l4_off = 40 },
	{ "icmp (1) in ipv6 is other", b_icmp_in_v6, .st = OK, .proto = ICMP, .flags = L4, .l4_off = 40 },
	{ "icmpv6 (58) in ipv4 is other", b_icmp6_in_v4, .st = OK, .proto = ICMP6, .flags = L4, .l4_off = 20 },

	/* IPv4 header */
	{ "ipv4 4 bytes options", b_udp4_opt4, .st = OK, .proto = UDP, .flags = L4 | OPTS, .sport = 5353, .dport = 53, .l4_off = 24, .payload_len = 10 },
	{ "ipv4 40 bytes options", b_tcp4_opt40, .st = OK, .proto = TCP, .flags = L4 | OPTS, .sport = 40000, .dport = 80, .tcp_flags = TCPF_SYN, .l4_off = 60 },
	{ "version 5", b_ver5, .st = PKT_ERR_VERSION },
	{ "version 0", b_ver0, .st = PKT_ERR_VERSION },
	{ "version 15", b_ver15, .st = PKT_ERR_VERSION },
	{ "ihl 4", b_ihl4, .st = PKT_ERR_HDRLEN },
	{ "ihl 0", b_ihl0, .st = PKT_ERR_HDRLEN },
	{ "ihl 15 beyond total length", b_ihl15, .st = PKT_ERR_HDRLEN },
	{ "options cut by the capture", b_udp4_opt4, .cap = 22, .st = PKT_ERR_SHORT },
	{ "total length 19", b_tot19, .st = PKT_ERR_HDRLEN },
	{ "total length > wire", b_tot41, .st = PKT_ERR_HDRLEN },
	{ "total length 0, small wire", b_tot0, .st = PKT_ERR_HDRLEN },
	{ "total length 0, wire > 64k (BIG TCP)", b_tot0, .wire = 70000, .st = OK, .proto = TCP, .flags = L4 | TRUNC, .sport = 40000, .dport = 80, .tcp_flags = TCPF_SYN, .l4_off = 20, .payload_len = 65535, .len = 70000 },
	{ "total length leaves no tcp header", b_tot30, .st = PKT_ERR_HDRLEN },
	{ "total length < wire (padding)", b_tcp4_padded, .st = OK, .proto = TCP, .flags = L4, .sport = 40000, .dport = 80, .tcp_flags = TCPF_SYN, .l4_off = 20, .len = 40 },
	{ "caplen 19", b_tcp4_syn, .cap = 19, .st = PKT_ERR_SHORT },

	/* TCP */
	{ "doff 4", b_doff4, .st = PKT_ERR_HDRLEN },
	{ "doff 0", b_doff0, .st = PKT_ERR_HDRLEN },
	{ "doff 15 beyond the packet", b_doff15, .st = PKT_ERR_HDRLEN },
	{ "doff 15, options not captured", b_doff15_long, .cap = 40, .st = OK, .proto = TCP, .flags = L4 | TRUNC, .sport = 40000, .dport = 80, .tcp_flags = TCPF_ACK, .l4_off = 20, .payload_len = 160 },
	{ "tcp fixed header not captured", b_doff15_long, .cap = 39, .st = PKT_ERR_SHORT },

	/* UDP */
	{ "udp length 7", b_udp_len7, .st = PKT_ERR_HDRLEN },
	{ "udp length 8", b_udp_len8, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 20, .payload_len = 10 },
	{ "udp length 0 (GSO)", b_udp_len0, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 20, .payload_len = 10 },
	{ "ip length leaves 6 udp bytes", b_udp_ip26, .st = PKT_ERR_HDRLEN },
	{ "udp4 truncated capture", b_udp4_big, .cap = 28, .st = OK, .proto = UDP, .flags = L4 | TRUNC, .sport = 5353, .dport = 53, .l4_off = 20, .payload_len = 1000 },
	{ "udp6 truncated capture", b_udp6_big, .cap = 50, .st = OK, .proto = UDP, .flags = L4 | TRUNC, .sport = 5353, .dport = 53, .l4_off = 40, .payload_len = 1000 },
	{ "udp header not captured", b_udp6_big, .cap = 47, .st = PKT_ERR_SHORT },

	/* ICMP */
	{ "icmp error with 4 bytes", b_icmp4_err4, .st = OK, .proto = ICMP, .flags = L4 | ERR, .icmp_type = 3, .icmp_code = 1, .l4_off = 20 },
	{ "icmp echo with 4 bytes", b_icmp4_echo4, .st = PKT_ERR_HDRLEN },
	{ "icmp with 2 bytes", b_icmp4_2, .st = PKT_ERR_HDRLEN },
	{ "icmp6 echo with 7 bytes", b_icmp6_echo7, .st = PKT_ERR_HDRLEN },
	{ "icmp echo id not captured", b_icmp4_echo, .cap = 27, .st = PKT_ERR_SHORT },
	{ "icmp type not captured", b_icmp4_unreach, .cap = 23, .st = PKT_ERR_SHORT },
	{ "icmp error, 4 bytes captured", b_icmp4_unreach, .cap = 24, .st = OK, .proto = ICMP, .flags = L4 | ERR | TRUNC, .icmp_type = 3, .icmp_code = 4, .l4_off = 20 },

	/* IPv6 header and extension headers */
	{ "ipv6 payload length > wire", b_v6_plen_big, .st = PKT_ERR_HDRLEN },
	{ "ipv6 payload length 0, tcp", b_v6_plen0_tcp, .st = PKT_ERR_HDRLEN },
	{ "ipv6 payload length 0, wire > 64k (BIG TCP)", b_v6_plen0_tcp, .wire = 70000, .st = OK, .proto = TCP, .flags = L4 | TRUNC, .sport = 80, .dport = 40000, .tcp_flags = TCPF_SYN | TCPF_ACK, .l4_off = 40, .payload_len = 65535, .len = 70000 },
	{ "jumbogram", b_v6_jumbo, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 48, .payload_len = 10 },
	{ "jumbogram, wire 100000", b_v6_jumbo, .wire = 100000, .st = OK, .proto = UDP, .flags = L4 | TRUNC, .sport = 5353, .dport = 53, .l4_off = 48, .payload_len = 65535, .len = 100000 },
	{ "no next header", b_nonext6, .st = OK, .proto = 59, .flags = L4, .l4_off = 40 },
	{ "hbh, no next header", b_v6_hbh_nonext, .st = OK, .proto = 59, .flags = L4, .l4_off = 48 },
	{ "hop-by-hop", b_v6_hbh, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 48, .payload_len = 10 },
	{ "destination options", b_v6_dst, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 48, .payload_len = 10 },
	{ "routing (SRH)", b_v6_rt, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 64, .payload_len = 10 },
	{ "authentication header", b_v6_ah, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 64, .payload_len = 10 },
	{ "atomic fragment", b_v6_atomic, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 48, .payload_len = 10 },
	{ "all five headers", b_v6_all, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 112, .payload_len = 10 },
	{ "8 extension headers", b_v6_8hdrs, .st = OK, .proto = TCP, .flags = L4, .sport = 80, .dport = 40000, .tcp_flags = TCPF_SYN | TCPF_ACK, .l4_off = 120 },
	{ "9 extension headers", b_v6_9hdrs, .st = PKT_ERR_EXTHDR },
	{ "hop-by-hop not first", b_v6_hbh_late, .st = PKT_ERR_EXTHDR },
	{ "routing header type 0", b_v6_rh0_patch, .st = PKT_ERR_EXTHDR },
	{ "unknown next header is upper layer", b_v6_unknown, .st = OK, .proto = 253, .flags = L4, .l4_off = 40 },
	{ "hbh then unknown next header", b_v6_hbh_unknown, .st = OK, .proto = 253, .flags = L4, .l4_off = 48 },
	{ "hbh then esp", b_v6_hbh_esp, .st = OK, .proto = 50, .flags = L4, .l4_off = 48 },
	{ "chain ends at 512", b_v6_chain512, .st = OK, .proto = UDP, .flags = L4, .sport = 5353, .dport = 53, .l4_off = 512, .payload_len = 10 },
	{ "chain ends at 520", b_v6_chain520, .st = PKT_ERR_EXTHDR },
	{ "chain past 512, not captured", b_v6_chain520, .cap = 48, .st = PKT_ERR_EXTHDR },
	{ "extension header beyond the packet", b_v6_ext_overrun, .st = PKT_ERR_HDRLEN },
	{ "chain cut by the capture", b_v6_chain_big, .cap = 60, .st = PKT_ERR_SHORT },
	{ "chain captured, payload not", b_v6_chain_big, .cap = 80, .st = OK, .proto = UDP, .flags = L4 | TRUNC, .sport = 5353, .dport = 53, .l4_off = 72, .payload_len = 1000 },

	/* IPv4 fragments */
	{ "ipv4 first fragment", b_frag4_first, .st = OK, .proto = UDP, .flags = L4 | FRAG, .sport = 5353, .dport = 53, .l4_off = 20, .payload_len = 16 },
	{ "ipv4 middle fragment", b_frag4_mid, .st = OK, .proto = UDP, .flags = FRAG | LATER, .l4_off = 20 },
	{ "ipv4 last fragment", b_frag4_last, .st = OK, .proto = UDP, .flags = FRAG | LATER, .l4_off = 20 },
	{ "ipv4 tcp first fragment", b_frag4_tcp_first, .st = OK, .proto = TCP, .flags = L4 | FRAG, .sport = 40000, .dport = 80, .tcp_flags = TCPF_ACK, .l4_off = 20, .payload_len = 4 },
	{ "ipv4 tcp later fragment", b_frag4_tcp_later, .st = OK, .proto = TCP, .flags = FRAG | LATER, .l4_off = 20 },
	{ "ipv4 later fragment, header only", b_frag4_mid, .cap = 20, .st = OK, .proto = UDP, .flags = FRAG | LATER | TRUNC, .l4_off = 20 },
	{ "ipv4 tiny tcp fragment", b_frag4_tiny_tcp, .st = PKT_ERR_FRAG },
	{ "ipv4 tiny udp fragment", b_frag4_tiny_udp, .st = PKT_ERR_FRAG },
	{ "ipv4 tiny icmp fragment", b_frag4_tiny_icmp, .st = PKT_ERR_FRAG },
	{ "ipv4 tcp options split", b_frag4_tcp_optsplit, .st = PKT_ERR_FRAG },
	{ "ipv4 tcp offset 8 (RFC 1858)", b_frag4_rfc1858, .st = PKT_ERR_FRAG },
	{ "ipv4 udp offset 8", b_frag4_udp_off8, .st = OK, .proto = UDP, .flags = FRAG | LATER, .l4_off = 20 },
	{ "ipv4 gre first fragment", b_frag4_gre_first, .st = OK, .proto = 47, .flags = L4 | FRAG, .l4_off = 20 },
	{ "ipv4 tiny fragment, short capture", b_frag4_first, .cap = 24, .st = PKT_ERR_SHORT },

	/* IPv6 fragments */
	{ "ipv6 first fragment", b_frag6_first, .st = OK, .proto = UDP, .flags = L4 | FRAG, .sport = 5353, .dport = 53, .l4_off = 48, .payload_len = 16 },
	{ "ipv6 middle fragment", b_frag6_mid, .st = OK, .proto = UDP, .flags = FRAG | LATER, .l4_off = 48 },
	{ "ipv6 last fragment", b_frag6_last, .st = OK, .proto = UDP, .flags = FRAG | LATER, .l4_off = 48 },
	{ "ipv6 tcp offset 8", b_frag6_tcp_off8, .st = OK, .proto = TCP, .flags = FRAG | LATER, .l4_off = 48 },
	{ "ipv6 first fragment after hbh+routing", b_frag6_chain_first, .st = OK, .proto = UDP, .flags = L4 | FRAG, .sport = 5353, .dport = 53, .l4_off = 80, .payload_len = 16 },
	{ "ipv6 later fragment after hbh+routing", b_frag6_chain_later, .st = OK, .proto = UDP, .flags = FRAG | LATER, .l4_off = 80 },
	{ "ipv6 later fragment, header only", b_frag6_mid, .cap = 48, .st = OK, .proto = UDP, .flags = FRAG | LATER | TRUNC, .l4_off = 48 },
	{ "ipv6 later fragment of dstopts", b_frag6_later_dst, .st = OK, .proto = 60, .flags = FRAG | LATER, .l4_off = 48 },
	{ "ipv6 tiny udp fragment", b_frag6_tiny, .st = PKT_ERR_FRAG },
	{ "ipv6 tiny icmp fragment", b_frag6_tiny_icmp, .st = PKT_ERR_FRAG },
	{ "ipv6 chain split, no l4 (RFC 7112)", b_frag6_split_l4, .st = PKT_ERR_FRAG },
	{ "ipv6 chain split inside a header", b_frag6_split_ext, .st = PKT_ERR_FRAG },
	{ "ipv6 two fragment headers", b_frag6_double, .st = PKT_ERR_FRAG },
};

static void check_addrs(const struct pkt *p, const uint8_t *b)
{
	uint8_t zero[16] = { 0 };

	if (is_v4(b)) {
		ck_assert_int_eq(p->family, AF_INET);
		ck_assert_mem_eq(p->src, b + 12, 4);
		ck_assert_mem_eq(p->dst, b + 16, 4);
		ck_assert_mem_eq(p->src + 4, zero, 12);
		ck_assert_mem_eq(p->dst + 4, zero, 12);
	} else {
		ck_assert_int_eq(p->family, AF_INET6);
		ck_assert_mem_eq(p->src, b + 8, 16);
		ck_assert_mem_eq(p->dst, b + 24, 16);
	}
}

START_TEST(test_parse_table)
{
	const struct pcase *c = &cases[_i];
	uint8_t b[PB_MAX];
	size_t n = c->build(b);
	size_t cap = c->cap ? c->cap : n;
	size_t wire = c->wire ? c->wire : n;
	enum pkt_status st;
	struct pkt p;

	ck_assert_msg(cap <= n, "%s: bad case", c->name);
	st = parse_copy(&p, b, cap, wire);
	ck_assert_msg(st == c->st, "%s: status %s, expected %s", c->name,
		      pkt_status_name(st), pkt_status_name(c->st));
	if (st != PKT_OK)
		return;
	check_addrs(&p, b);
	ck_assert_msg(p.proto == c->proto, "%s: proto %u", c->name, p.proto);
	ck_assert_msg(p.flags == c->flags, "%s: flags %#x, expected %#x",
		      c->name, p.flags, c->flags);
	ck_assert_msg(p.sport == c->sport && p.dport == c->dport,
		      "%s: ports %u %u", c->name, p.sport, p.dport);
	ck_assert_msg(p.tcp_flags == c->tcp_flags, "%s: tcp flags %#x",
		      c->name, p.tcp_flags);
	ck_assert_msg(p.icmp_type == c->icmp_type && p.icmp_code == c->icmp_code,
		      "%s: icmp %u/%u", c->name, p.icmp_type, p.icmp_code);
	ck_assert_msg(p.icmp_id == c->icmp_id, "%s: icmp id %u", c->name,
		      p.icmp_id);
	ck_assert_msg(p.l4_off == c->l4_off, "%s: l4_off %u", c->name,
		      p.l4_off);
	ck_assert_msg(p.payload_len == c->payload_len, "%s: payload_len %u",
		      c->name, p.payload_len);
	ck_assert_msg(p.len == (c->len ? c->len : n), "%s: len %u", c->name,
		      p.len);
}
END_TEST

/* Nothing captured at all. */
START_TEST(test_caplen_zero)
{
	struct pkt p;

	ck_assert_int_eq(pkt_parse(&p, NULL, 0, 0), PKT_ERR_SHORT);
	ck_assert_int_eq(pkt_parse(&p, NULL, 0, 1500), PKT_ERR_SHORT);
}
END_TEST

/* A wirelen below caplen is nonsense: the capture is the packet. */
START_TEST(test_wire_below_cap)
{
	uint8_t b[PB_MAX];
	size_t n = b_tcp4_syn(b);
	struct pkt p;

	ck_assert_int_eq(parse_copy(&p, b, n, 10), PKT_OK);
	ck_assert_uint_eq(p.len, n);
	ck_assert_uint_eq(p.flags, L4);
}
END_TEST

/* A reserved (evil) bit or DF changes nothing. */
START_TEST(test_ipv4_df_evil)
{
	uint8_t b[PB_MAX];
	size_t n = b_tcp4_syn(b);
	struct pkt p;

	put16(b + 6, 0xc000);
	ck_assert_int_eq(parse_copy(&p, b, n, n), PKT_OK);
	ck_assert_uint_eq(p.flags, L4);
	ck_assert_uint_eq(p.dport, 80);
}
END_TEST


/* ---- every prefix of valid packets --------------------------------------- */

BUILDER(b_tcp4_both_opts) { return pb_ipv4_options(b, tcp_doff(b, V4A, V4B, 6, 20, TCPF_ACK), 8); }
EXT_BUILDER(b_tcp6_chain, b_tcp6_doff15, 0, 43, 60)

static const struct {
	size_t (*build)(uint8_t *b);
	size_t hdr_end;		/* where the headers the verdict needs end */
} prefixes[] = {
	{ b_tcp4_both_opts, 28 + 20 },
	{ b_tcp6_chain, 40 + 8 + 24 + 8 + 20 },
	{ b_udp4, 28 },
	{ b_udp6_big, 48 },
	{ b_icmp6_echo, 48 },
	{ b_icmp4_unreach, 24 },
	{ b_frag6_chain_first, 80 + 8 },
	{ b_frag4_mid, 20 },
	{ b_v6_hbh_esp, 48 },
	{ b_gre4, 20 },
};

/*
 * Cut at every length k: with the real length known (NFQA_CAP_LEN) the
 * parse is SHORT until the headers are in and then gives the same answer
 * as the whole packet, marked truncated. Without it (wirelen == k) the IP
 * length disagrees with the packet: HDRLEN once the fixed header is in.
 */
START_TEST(test_every_prefix)
{
	uint8_t b[PB_MAX];
	size_t n = prefixes[_i].build(b), k, fixed = is_v4(b) ? 20 : 40;
	struct pkt ref, p;

	ck_assert_int_eq(parse_copy(&ref, b, n, n), PKT_OK);
	ck_assert(!(ref.flags & TRUNC));
	for (k = 0; k < n; k++) {
		enum pkt_status st = parse_copy(&p, b, k, n);

		if (k < prefixes[_i].hdr_end) {
			ck_assert_msg(st == PKT_ERR_SHORT, "k=%zu: %s", k,
				      pkt_status_name(st));
		} else {
			ck_assert_msg(st == PKT_OK, "k=%zu: %s", k,
				      pkt_status_name(st));
			ck_assert_uint_eq(p.flags, ref.flags | TRUNC);
			p.flags = ref.flags;
			ck_assert_mem_eq(&p, &ref, sizeof(p));
		}
		st = parse_copy(&p, b, k, k);
		ck_assert_msg(st == (k < fixed ? PKT_ERR_SHORT : PKT_ERR_HDRLEN),
			      "k=%zu wire=k: %s", k, pkt_status_name(st));
	}
}
END_TEST

/* ---- randomized mutations ------------------------------------------------ */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

static void mutate(uint8_t *b, size_t n)
{
	static const uint8_t interesting[] = { 0, 1, 4, 5, 6, 0x0f, 0x10, 17,
		43, 44, 51, 58, 59, 60, 0x40, 0x45, 0x4f, 0x60, 0x7f, 0x80,
		0xf0, 0xff };
	unsigned int i, count = 1 + rnd() % 4;

	for (i = 0; i < count && n; i++) {
		/* Headers live at the front: aim there most of the time. */
		size_t pos = rnd() % 4 ? rnd() % (n < 80 ? n : 80) : rnd() % n;

		switch (rnd() % 3) {
		case 0:
			b[pos] = (uint8_t)rnd();
			break;
		case 1:
			b[pos] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		default:
			b[pos] = interesting[rnd() % ARRAY_SIZE(interesting)];
			break;
		}
	}
}

static size_t pick_wire(size_t cap, size_t n)
{
	switch (rnd() % 4) {
	case 0:
		return cap;
	case 1:
		return n;
	case 2:
		return cap + rnd() % 2000;
	default:
		return 65536 + rnd() % 200000;
	}
}

/* What must hold after any successful parse, whatever the bytes. */
static void check_invariants(const struct pkt *p, size_t cap)
{
	size_t need = 0;

	ck_assert(p->family == AF_INET || p->family == AF_INET6);
	ck_assert(!!(p->flags & TRUNC) == (cap < p->len));
	ck_assert(p->l4_off <= p->len);
	if (p->family == AF_INET6)
		ck_assert(p->l4_off <= 512);
	if (p->flags & LATER) {
		ck_assert(p->flags & FRAG);
		ck_assert(!(p->flags & L4));
		ck_assert(p->sport == 0 && p->dport == 0 && p->icmp_type == 0);
		return;
	}
	ck_assert(p->flags & L4);
	if (p->proto == TCP)
		need = 20;
	else if (p->proto == UDP)
		need = 8;
	else if ((p->family == AF_INET && p->proto == ICMP) ||
		 (p->family == AF_INET6 && p->proto == ICMP6))
		need = pkt_icmp_is_query(p) ? 8 : 4;
	else
		ck_assert(p->sport == 0 && p->dport == 0 && p->icmp_type == 0);
	ck_assert(p->l4_off + need <= cap);
}

#define MUTATIONS 200000

START_TEST(test_mutations)
{
	unsigned int iter, counts[PKT_STATUS_MAX] = { 0 };
	uint8_t b[PB_MAX];
	char line[128], tiny[12];

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (iter = 0; iter < MUTATIONS; iter++) {
		size_t n = cases[rnd() % ARRAY_SIZE(cases)].build(b);
		size_t cap, wire;
		enum pkt_status st;
		struct pkt p;

		mutate(b, n);
		cap = rnd() % 8 ? n : rnd() % (n + 1);
		wire = pick_wire(cap, n);
		st = parse_copy(&p, b, cap, wire);
		ck_assert_int_lt(st, PKT_STATUS_MAX);
		counts[st]++;
		/* Formatting a failed parse must be safe too. */
		pkt_format(&p, line, sizeof(line));
		ck_assert_uint_lt(strlen(line), sizeof(line));
		pkt_format(&p, tiny, 1 + rnd() % sizeof(tiny));
		ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
		if (st == PKT_OK)
			check_invariants(&p, cap);
	}
	/* The loop must have reached every verdict, or it tests too little. */
	for (iter = 0; iter < PKT_STATUS_MAX; iter++)
		ck_assert_msg(counts[iter] > 100, "%s: only %u",
			      pkt_status_name(iter), counts[iter]);
}
END_TEST

/* ---- printing ------------------------------------------------------------ */

BUILDER(b_tcp4_none) { return pb_tcp(b, V4A, 1, V4B, 2, 0); }
BUILDER(b_tcp4_all) { return pb_tcp(b, V4A, 65535, V4B, 0, 0xff); }
BUILDER(b_tcp4_finack) { return pb_tcp(b, V4A, 40000, V4B, 80, TCPF_FIN | TCPF_ACK); }

static const struct {
	size_t (*build)(uint8_t *b);
	const char *text;
} formats[] = {
	{ b_tcp4_syn, "tcp 10.0.0.1:40000 -> 10.0.0.2:80 [S]" },
	{ b_tcp6_synack, "tcp [fd00::1]:80 -> [fd00::2]:40000 [S.]" },
	{ b_tcp4_doff8, "tcp 10.0.0.1:40000 -> 10.0.0.2:80 [P.]" },
	{ b_tcp4_finack, "tcp 10.0.0.1:40000 -> 10.0.0.2:80 [F.]" },
	{ b_tcp4_none, "tcp 10.0.0.1:1 -> 10.0.0.2:2 [none]" },
	{ b_tcp4_all, "tcp 10.0.0.1:65535 -> 10.0.0.2:0 [FSRP.UEW]" },
	{ b_udp4, "udp 10.0.0.1:5353 -> 10.0.0.2:53" },
	{ b_udp6, "udp [fd00::1]:5353 -> [fd00::2]:53" },
	{ b_icmp4_echo, "icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0 id 7" },
	{ b_icmp4_unreach, "icmp 10.0.0.9 -> 10.0.0.2 type 3 code 4" },
	{ b_icmp6_echo, "icmpv6 fd00::1 -> fd00::2 type 128 code 0 id 7" },
	{ b_icmp6_toobig, "icmpv6 fd00::9 -> fd00::2 type 2 code 0" },
	{ b_gre4, "proto 47 10.0.0.1 -> 10.0.0.2" },
	{ b_esp6, "proto 50 fd00::1 -> fd00::2" },
	{ b_icmp_in_v6, "icmp fd00::1 -> fd00::2" },
	{ b_frag4_mid, "udp 10.0.0.1 -> 10.0.0.2 frag" },
	{ b_frag6_chain_later, "udp fd00::1 -> fd00::2 frag" },
	{ b_frag4_first, "udp 10.0.0.1:5353 -> 10.0.0.2:53 first-frag" },
	{ b_frag6_first, "udp [fd00::1]:5353 -> [fd00::2]:53 first-frag" },
};

START_TEST(test_format)
{
	uint8_t b[PB_MAX];
	size_t n = formats[_i].build(b);
	char line[128];
	struct pkt p;

	ck_assert_int_eq(parse_copy(&p, b, n, n), PKT_OK);
	memset(line, 'x', sizeof(line));
	ck_assert_ptr_eq(pkt_format(&p, line, sizeof(line)), line);
	ck_assert_str_eq(line, formats[_i].text);
}
END_TEST

START_TEST(test_format_small_buffers)
{
	uint8_t b[PB_MAX];
	size_t n = b_tcp4_syn(b);
	char line[16];
	struct pkt p;

	ck_assert_int_eq(parse_copy(&p, b, n, n), PKT_OK);
	pkt_format(&p, line, 10);
	ck_assert_str_eq(line, "tcp 10.0.");
	pkt_format(&p, line, 1);
	ck_assert_str_eq(line, "");
	strcpy(line, "untouched");
	pkt_format(&p, line, 0);
	ck_assert_str_eq(line, "untouched");
	memset(&p, 0, sizeof(p));
	pkt_format(&p, line, sizeof(line));
	ck_assert_str_eq(line, "unparsed");
}
END_TEST

START_TEST(test_status_names)
{
	static const char *const names[] = { "ok", "short", "version",
		"hdrlen", "exthdr", "frag" };
	unsigned int i;

	ck_assert_uint_eq(ARRAY_SIZE(names), PKT_STATUS_MAX);
	for (i = 0; i < PKT_STATUS_MAX; i++)
		ck_assert_str_eq(pkt_status_name(i), names[i]);
	ck_assert_str_eq(pkt_status_name(PKT_STATUS_MAX), "unknown");
	ck_assert_str_eq(pkt_status_name((enum pkt_status)-1), "unknown");
}
END_TEST

/* ---- ICMP queries and infrastructure traffic ------------------------------- */

static const struct {
	uint8_t family;
	uint8_t type;
	bool query;
	int reply;
} icmp_types[] = {
	{ AF_INET, 8, true, 0 },     { AF_INET, 0, true, -1 },
	{ AF_INET, 13, true, 14 },   { AF_INET, 14, true, -1 },
	{ AF_INET, 15, true, 16 },   { AF_INET, 16, true, -1 },
	{ AF_INET, 17, true, 18 },   { AF_INET, 18, true, -1 },
	{ AF_INET, 3, false, -1 },   { AF_INET, 11, false, -1 },
	{ AF_INET, 12, false, -1 },  { AF_INET, 19, false, -1 },
	{ AF_INET, 128, false, -1 }, { AF_INET, 9, false, -1 },
	{ AF_INET6, 128, true, 129 }, { AF_INET6, 129, true, -1 },
	{ AF_INET6, 8, false, -1 },  { AF_INET6, 0, false, -1 },
	{ AF_INET6, 1, false, -1 },  { AF_INET6, 135, false, -1 },
};

START_TEST(test_icmp_query)
{
	uint8_t family = icmp_types[_i].family, type = icmp_types[_i].type;
	struct pkt p;

	ck_assert_int_eq(pkt_icmp_reply_type(family, type),
			 icmp_types[_i].reply);
	memset(&p, 0, sizeof(p));
	p.family = family;
	p.proto = family == AF_INET ? ICMP : ICMP6;
	p.flags = L4;
	p.icmp_type = type;
	ck_assert(pkt_icmp_is_query(&p) == icmp_types[_i].query);
	/* Without a parsed header, or under the other family's protocol: no. */
	p.flags = FRAG | LATER;
	ck_assert(!pkt_icmp_is_query(&p));
	p.flags = L4;
	p.proto = family == AF_INET ? ICMP6 : ICMP;
	ck_assert(!pkt_icmp_is_query(&p));
}
END_TEST

START_TEST(test_icmp_query_parsed)
{
	uint8_t b[PB_MAX];
	size_t n = pb_icmp(b, V6A, V6B, 128, 0, 99);
	struct pkt p;

	ck_assert_int_eq(parse_copy(&p, b, n, n), PKT_OK);
	ck_assert(pkt_icmp_is_query(&p));
	ck_assert_int_eq(pkt_icmp_reply_type(p.family, p.icmp_type), 129);
	n = b_icmp4_unreach(b);
	ck_assert_int_eq(parse_copy(&p, b, n, n), PKT_OK);
	ck_assert(!pkt_icmp_is_query(&p));
}
END_TEST

enum infra_kind { IK_UDP, IK_TCP, IK_ICMP, IK_UDP_FRAG };

static const struct {
	enum infra_kind kind;
	const char *src;
	const char *dst;
	uint16_t a;		/* sport, or ICMP type */
	uint16_t b;		/* dport */
	bool infra;
} infra[] = {
	{ IK_ICMP, V6A, V6B, 132, 0, false },
	{ IK_ICMP, V6A, V6B, 133, 0, true },
	{ IK_ICMP, V6A, V6B, 134, 0, true },
	{ IK_ICMP, V6A, V6B, 135, 0, true },
	{ IK_ICMP, V6A, V6B, 136, 0, true },
	{ IK_ICMP, V6A, V6B, 137, 0, true },
	{ IK_ICMP, V6A, V6B, 138, 0, false },
	{ IK_ICMP, V6A, V6B, 128, 0, false },
	{ IK_ICMP, V4A, V4B, 134, 0, false },
	{ IK_UDP, V4A, V4B, 68, 67, true },
	{ IK_UDP, V4A, V4B, 67, 68, true },
	{ IK_UDP, V4A, V4B, 67, 67, false },
	{ IK_UDP, V4A, V4B, 67, 53, false },
	{ IK_UDP, V4A, V4B, 53, 68, false },
	{ IK_UDP, V4A, V4B, 546, 547, false },
	{ IK_UDP, V6A, V6B, 546, 547, true },
	{ IK_UDP, V6A, V6B, 547, 546, true },
	{ IK_UDP, V6A, V6B, 547, 547, false },
	{ IK_UDP, V6A, V6B, 68, 67, false },
	{ IK_TCP, V4A, V4B, 68, 67, false },
	{ IK_TCP, V6A, V6B, 546, 547, false },
	{ IK_UDP_FRAG, V4A, V4B, 68, 67, false },
};

START_TEST(test_infrastructure)
{
	uint8_t b[PB_MAX];
	size_t n = 0;
	struct pkt p;

	switch (infra[_i].kind) {
	case IK_UDP:
		n = pb_udp(b, infra[_i].src, infra[_i].a, infra[_i].dst,
			   infra[_i].b, 4);
		break;
	case IK_TCP:
		n = pb_tcp(b, infra[_i].src, infra[_i].a, infra[_i].dst,
			   infra[_i].b, TCPF_SYN);
		break;
	case IK_ICMP:
		n = pb_icmp(b, infra[_i].src, infra[_i].dst,
			    (uint8_t)infra[_i].a, 0, 0);
		break;
	case IK_UDP_FRAG:
		n = pb_udp(b, infra[_i].src, infra[_i].a, infra[_i].dst,
			   infra[_i].b, 100);
		n = pb_fragment(b, n, 16, 100, 0);
		break;
	}
	ck_assert_int_eq(parse_copy(&p, b, n, n), PKT_OK);
	ck_assert_msg(pkt_is_infrastructure(&p) == infra[_i].infra,
		      "case %d", _i);
}
END_TEST

/* ---- the builders themselves ----------------------------------------------- */

/* Internet checksum over a buffer: 0 when the embedded checksum is right. */
static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The builders' checksums verify, so the other modules' tests use real packets. */
START_TEST(test_builder_checksums)
{
	uint8_t b[PB_MAX];
	uint32_t pseudo;
	size_t n, i;

	n = b_udp4_opt4(b);
	ck_assert_uint_eq(csum(b, ip_hlen(b), 0), 0);
	ck_assert_uint_eq(get16(b + 2), n);
	n = b_icmp4_unreach(b);
	ck_assert_uint_eq(csum(b, 20, 0), 0);
	ck_assert_uint_eq(csum(b + 20, n - 20, 0), 0);
	n = b_tcp6_synack(b);
	pseudo = IPPROTO_NUM_TCP + (uint32_t)(n - 40);
	for (i = 8; i < 40; i += 2)
		pseudo += get16(b + i);
	ck_assert_uint_eq(csum(b + 40, n - 40, pseudo), 0);
	n = b_frag4_mid(b);
	ck_assert_uint_eq(csum(b, 20, 0), 0);
	ck_assert_uint_eq(get16(b + 6), 0x2000 | 3);
	ck_assert_uint_eq(n, 20 + 48);
	n = b_frag6_mid(b);
	ck_assert_uint_eq(b[6], 44);
	ck_assert_uint_eq(b[40], UDP);
	ck_assert_uint_eq(get16(b + 42), 24 | 1);
	ck_assert_uint_eq(get16(b + 4) + 40, n);
}
END_TEST

/* ---- the suite --------------------------------------------------------------- */

static Suite *pkt_suite(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_table, 0, ARRAY_SIZE(cases));
	tcase_add_test(tc, test_caplen_zero);
	tcase_add_test(tc, test_wire_below_cap);
	tcase_add_test(tc, test_ipv4_df_evil);
	tcase_add_loop_test(tc, test_every_prefix, 0, ARRAY_SIZE(prefixes));
	suite_add_tcase(s, tc);

	tc = tcase_create("mutations");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_loop_test(tc, test_format, 0, ARRAY_SIZE(formats));
	tcase_add_test(tc, test_format_small_buffers);
	tcase_add_test(tc, test_status_names);
	tcase_add_loop_test(tc, test_icmp_query, 0, ARRAY_SIZE(icmp_types));
	tcase_add_test(tc, test_icmp_query_parsed);
	tcase_add_loop_test(tc, test_infrastructure, 0, ARRAY_SIZE(infra));
	tcase_add_test(tc, test_builder_checksums);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(pkt_suite());
}
