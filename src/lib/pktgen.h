/*
 * Packets from words, for `vpcfw explain`: "tcp 198.51.100.20:40123 ->
 * 10.0.1.10:80 [S]", "icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0 id 7",
 * "udp [2001:db8::1]:53 -> [2001:db8::2]:40000" (the words pkt_format()
 * and so the live trace write), built into real IPv4/IPv6 bytes so that
 * the explanation goes through the same parser as a live packet.
 */
#ifndef VPCFW_PKTGEN_H
#define VPCFW_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a packet is made of. */
struct pktgen {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* IPPROTO_NUM_TCP, _UDP, _ICMP, _ICMPV6, or another */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;	/* TCP, UDP */
	uint8_t tcp_flags;	/* TCPF_* */
	bool flags_given;	/* the words named the flags */
	uint32_t seq, ack;	/* TCP */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;	/* echo/query identifier */
	uint8_t frag;		/* PKTGEN_* fragment: none, first, later */
};

enum { PKTGEN_WHOLE = 0, PKTGEN_FIRST_FRAG, PKTGEN_LATER_FRAG };

/* The largest packet pktgen_build() writes. */
#define PKTGEN_MAX 80

/*
 * Parse the words of a packet (whitespace-separated, in one string):
 * PROTO SRC -> DST (PROTO tcp, udp, icmp, icmpv6, or "proto N"), then TCP flags in brackets ([S], [S.], [.], [F.],
 * [R], [none]; default [S]), ICMP "type T code C" (default an echo
 * request), "id N", and "first-frag" or "frag" (a fragment: the first,
 * or a later one without transport header). Addresses as pkt_format() writes them: A:PORT for
 * IPv4, [A]:PORT for IPv6, no port for ICMP. 0, or -1 with errno EINVAL
 * and why in err.
 */
int pktgen_parse(struct pktgen *g, const char *words, char *err, size_t errlen);

/*
 * The same packet turned round (a reply): addresses and ports swapped, an
 * echo request becomes its reply, a SYN a SYN-ACK, other TCP an ACK.
 */
void pktgen_reply(struct pktgen *r, const struct pktgen *g);

/* Write the packet (headers only, IPv4 header checksum filled) into buf; its length. */
size_t pktgen_build(const struct pktgen *g, uint8_t buf[PKTGEN_MAX]);

#endif
