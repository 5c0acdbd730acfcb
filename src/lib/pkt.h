/*
 * Packet parsing: a bounds-checked, allocation-free parse of one IPv4 or
 * IPv6 packet (as NFQUEUE hands it: starting at the IP header) into a flat
 * struct pkt that every later stage reads.
 */
#ifndef VPCFW_PKT_H
#define VPCFW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct cidr;

#define IPPROTO_NUM_ICMP	1
#define IPPROTO_NUM_TCP		6
#define IPPROTO_NUM_UDP		17
#define IPPROTO_NUM_ICMPV6	58

/* TCP flag bits as on the wire (byte 13 of the TCP header). */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20

/* pkt.flags */
#define PKT_F_FRAG	0x01	/* belongs to a fragmented datagram (MF set or offset != 0) */
#define PKT_F_LATER_FRAG 0x02	/* non-first fragment: carries no transport header */
#define PKT_F_L4	0x04	/* transport fields (ports, ICMP type/code, TCP flags) are valid */
#define PKT_F_ICMP_ERR	0x08	/* ICMP/ICMPv6 error message (dest unreach, too big, time exceeded, param problem) */
#define PKT_F_IPOPTS	0x10	/* IPv4 header carries options */
#define PKT_F_TRUNC	0x20	/* the capture is shorter than the packet (NFQA_CAP_LEN), parse used what was copied */

/* Result of pkt_parse(). Everything but PKT_OK has its own counter. */
enum pkt_status {
	PKT_OK = 0,
	PKT_ERR_SHORT,		/* captured bytes end inside a header the verdict needs */
	PKT_ERR_VERSION,	/* not IPv4 or IPv6, or the version disagrees with the family */
	PKT_ERR_HDRLEN,		/* IHL < 5, total/payload length smaller than the headers, doff < 5, ... */
	PKT_ERR_EXTHDR,		/* IPv6 extension-header chain too long, or routing header type 0 */
	PKT_ERR_FRAG,		/* tiny or inconsistent fragment (first fragment without a full L4 header) */
	PKT_STATUS_MAX,
};

struct pkt {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* upper-layer protocol after the IPv6 extension headers */
	uint8_t flags;		/* PKT_F_* */
	uint8_t tcp_flags;	/* TCPF_*, valid with PKT_F_L4 and proto TCP */
	uint8_t src[16];	/* IPv4 addresses in the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint16_t sport;		/* host order; 0 unless TCP/UDP with PKT_F_L4 */
	uint16_t dport;
	uint8_t icmp_type;	/* valid for ICMP/ICMPv6 with PKT_F_L4 */
	uint8_t icmp_code;
	uint16_t icmp_id;	/* echo/query identifier (host order), 0 for other types */
	uint32_t len;		/* length of the whole IP packet per its headers (what a byte counter counts) */
	uint16_t l4_off;	/* offset of the transport header in the buffer */
	uint16_t payload_len;	/* transport payload bytes (TCP/UDP), 0 if unknown */
	/* TCP with PKT_F_L4: what the flow table's window tracking reads. */
	uint32_t tcp_seq;	/* host order */
	uint32_t tcp_ack;	/* host order; as on the wire, also without ACK */
	uint16_t tcp_win;	/* unscaled, host order */
	uint8_t tcp_hlen;	/* header bytes with options (20..60) */
	uint8_t tcp_wscale;	/* SYN's window scale option, or PKT_WSCALE_* */
	/*
	 * Not from the bytes: the interface the packet arrives on or leaves by
	 * (0: unknown), which the engine sets after pkt_parse(); a flow records
	 * its creator's (flow_view.ifindex).
	 */
	uint32_t ifindex;
};

/* pkt.tcp_wscale when there is no number: not a SYN, or no option. */
#define PKT_WSCALE_NONE		0xff
/* A SYN whose options were not captured: the scale cannot be known. */
#define PKT_WSCALE_UNKNOWN	0xfe

/*
 * Parse `caplen` bytes at `data` (starting at the IP header). `wirelen` is the
 * packet's real length (NFQA_CAP_LEN when present, else caplen); when it is
 * larger than caplen the packet was truncated by the copy range, and the parse
 * only needs the headers to be inside what was captured. Never reads outside
 * [data, data + caplen). Never allocates. Checksums are not validated (the
 * kernel already did, or marked them not ready).
 *
 * Non-first fragments: PKT_OK with PKT_F_FRAG|PKT_F_LATER_FRAG and no PKT_F_L4;
 * rules that need ports or ICMP types never match them (see vpcfw(8)).
 */
enum pkt_status pkt_parse(struct pkt *p, const uint8_t *data, size_t caplen,
			  size_t wirelen);

/* Short stable name of a status, for counters and logs ("short", "hdrlen", ...). */
const char *pkt_status_name(enum pkt_status st);

/* Is this an ICMP(v6) echo/query whose identifier makes it part of a flow? */
bool pkt_icmp_is_query(const struct pkt *p);

/* For a query type, the type of its reply (8 -> 0, 128 -> 129, 13 -> 14, ...); -1 if none. */
int pkt_icmp_reply_type(uint8_t family, uint8_t type);

/* Traffic a VPC never filters: IPv6 neighbour discovery (ICMPv6 133-137) and DHCP (v4 67/68, v6 546/547). */
bool pkt_is_infrastructure(const struct pkt *p);

/*
 * Why a rule does not match a packet, in the order the tests are made
 * (nacl_entry_miss(), sg_entry_miss(): `vpcfw explain` says it).
 */
enum rule_miss {
	RULE_MATCH = 0,
	RULE_MISS_FAMILY,	/* the rule's CIDR is of the other IP family */
	RULE_MISS_ADDR,		/* the peer address is outside the rule's CIDR */
	RULE_MISS_PROTO,	/* another protocol */
	RULE_MISS_PORT,		/* the destination port is outside the range */
	RULE_MISS_ICMP,		/* another ICMP type or code */
	RULE_MISS_FRAG,		/* a later fragment, and the rule looks at ports or types */
};

/*
 * A rule's peer and protocol against a packet, as NACL and SG entries
 * both test them: peer holds the remote address (the source inbound, the
 * destination outbound) in p's family, and proto is PROTO_ALL or p's.
 * pkt_peer_miss() says which test failed (RULE_MATCH: none).
 */
enum rule_miss pkt_peer_miss(const struct pkt *p, enum dir d, const struct cidr *peer,
			     int proto);
bool pkt_peer_matches(const struct pkt *p, enum dir d, const struct cidr *peer, int proto);

/* The same flow seen the other way round: addresses and ports swapped. */
void pkt_reverse(struct pkt *r, const struct pkt *p);

/* One line describing the packet: "tcp 10.0.0.1:40000 -> 10.0.0.2:80 [S]". */
char *pkt_format(const struct pkt *p, char *buf, size_t len);

#endif
