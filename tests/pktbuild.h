/*
 * Raw packet builders for the unit tests: real IPv4/IPv6 bytes, exactly as
 * NFQUEUE would hand them over (starting at the IP header). The family comes
 * from the address text ("10.0.0.1" or "fd00::1"). Every builder writes into
 * buf (at least PB_MAX bytes) and returns the packet's length. Header
 * checksums are filled in; the builders abort() on a bad address string.
 */
#ifndef VPCFW_TESTS_PKTBUILD_H
#define VPCFW_TESTS_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>

#define PB_MAX 2048

size_t pb_tcp(uint8_t *buf, const char *src, uint16_t sport, const char *dst,
	      uint16_t dport, uint8_t tcp_flags);

/*
 * A TCP segment with the numbers a window tracker reads. Returns its wire
 * length; g->caplen gets the bytes written: all of them, or for a payload
 * over PB_MAX / 2 the headers only, as a copy range would cut it (parse
 * with caplen and the wire length).
 */
struct pb_tcp_seg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	int wscale;		/* window scale option (NOP + 3 bytes), or -1 for none */
	size_t payload;		/* zero bytes after the header */
	size_t caplen;		/* out */
};
size_t pb_tcp_seg(uint8_t *buf, const char *src, uint16_t sport,
		  const char *dst, uint16_t dport, struct pb_tcp_seg *g);
size_t pb_udp(uint8_t *buf, const char *src, uint16_t sport, const char *dst,
	      uint16_t dport, size_t payload);
/* ICMP (IPv4) or ICMPv6 by family; `id` goes in the echo/query identifier field. */
size_t pb_icmp(uint8_t *buf, const char *src, const char *dst, uint8_t type,
	       uint8_t code, uint16_t id);
/*
 * An ICMP error (type/code, e.g. 3/4 or ICMPv6 2/0) quoting an inner packet
 * (built with another pb_* call) as its payload, cut to `inner_len` bytes.
 */
size_t pb_icmp_error(uint8_t *buf, const char *src, const char *dst,
		     uint8_t type, uint8_t code, const uint8_t *inner,
		     size_t inner_len);
/* Any other protocol with `payload` zero bytes (e.g. 47 GRE, 50 ESP). */
size_t pb_proto(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
		size_t payload);

/*
 * Turn a built packet into a fragment: IPv4 sets the offset (in bytes, a
 * multiple of 8) and MF; IPv6 inserts a Fragment header. The payload after
 * the IP header(s) is cut to [offset, offset + len). Returns the new length.
 */
size_t pb_fragment(uint8_t *buf, size_t pktlen, unsigned offset, size_t len,
		   int more_fragments);

/* Insert IPv6 extension headers (next-header values, e.g. 0 HBH, 60 DstOpts, 43 Routing) before the L4 header. */
size_t pb_ipv6_exthdrs(uint8_t *buf, size_t pktlen, const uint8_t *types, size_t n);

/* Add IPv4 options (`optlen` bytes, a multiple of 4, filled with NOPs and an EOL). */
size_t pb_ipv4_options(uint8_t *buf, size_t pktlen, size_t optlen);

#endif
