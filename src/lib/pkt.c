/*
 * Packet parsing: one bounds-checked pass over an IPv4 or IPv6 packet as
 * NFQUEUE hands it over, into a flat struct pkt. No allocation, no global
 * state, no reads outside [data, data + caplen).
 *
 * Three lengths matter:
 *   caplen   bytes we were given (the copy range may cut the packet);
 *   wirelen  the packet's real length (NFQA_CAP_LEN), trusted over the
 *            16-bit length fields because GSO/BIG TCP super-packets can
 *            exceed 64 KiB and then carry a length field of 0;
 *   len      the packet's length according to its own IP header.
 * A header the verdict needs that does not fit in `len` is malformed
 * (HDRLEN, or FRAG in a first fragment); one that fits in `len` but not in
 * what was captured is SHORT.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "common.h"
#include "pkt.h"
#include "ruleset.h"	/* PROTO_ALL */
#include "textbuf.h"

#define IP4_HLEN	20
#define IP6_HLEN	40
#define IP4_MF		0x2000
#define IP4_OFFMASK	0x1fff
#define IP6_MAX_EXTHDRS	8	/* more is an evasion attempt, not traffic */
#define IP6_CHAIN_LIMIT	512	/* the transport header must start by here */

/* IPv6 next-header values that are extension headers we walk. */
#define NH_HOPOPTS	0
#define NH_ROUTING	43
#define NH_FRAGMENT	44
#define NH_AH		51
#define NH_DSTOPTS	60

/* The bytes of one packet and how far each kind of read may go. */
struct pkt_view {
	const uint8_t *data;
	size_t len;	/* end of the packet per its IP header */
	size_t cap;	/* end of the captured part of it: min(caplen, len) */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint16_t clamp16(size_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

/*
 * Are `n` bytes at `off` inside the packet and inside the capture? A first
 * fragment too small for them is a fragment error (tiny-fragment attack,
 * RFC 1858 and RFC 7112), any other packet too small is malformed.
 */
static enum pkt_status pkt_need(const struct pkt_view *v, size_t off,
				size_t n, bool first_frag)
{
	if (off + n > v->len)
		return first_frag ? PKT_ERR_FRAG : PKT_ERR_HDRLEN;
	if (off + n > v->cap)
		return PKT_ERR_SHORT;
	return PKT_OK;
}

static bool pkt_first_frag(const struct pkt *p)
{
	return (p->flags & (PKT_F_FRAG | PKT_F_LATER_FRAG)) == PKT_F_FRAG;
}

#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_WSCALE	3

/*
 * The window scale option of a SYN (RFC 7323 2.2), or PKT_WSCALE_NONE.
 * Options are parsed as conntrack's tcp_options() does: a malformed length
 * ends the walk. o..o+n must be captured.
 */
static uint8_t tcp_wscale_opt(const uint8_t *o, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t kind = o[i], len;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n || (len = o[i + 1]) < 2 || i + len > n)
			break;
		if (kind == TCPOPT_WSCALE && len == 3)
			return o[i + 2];
		i += len;
	}
	return PKT_WSCALE_NONE;
}

/* Sequence fields for the flow table, and the SYN's window scale. */
static void pkt_tcp_seq(struct pkt *p, const struct pkt_view *v, size_t off,
			size_t hl)
{
	const uint8_t *t = v->data + off;

	p->tcp_seq = get32(t + 4);
	p->tcp_ack = get32(t + 8);
	p->tcp_win = get16(t + 14);
	p->tcp_hlen = (uint8_t)hl;
	p->tcp_wscale = PKT_WSCALE_NONE;
	if (!(p->tcp_flags & TCPF_SYN))
		return;
	if (off + hl > v->cap)
		p->tcp_wscale = PKT_WSCALE_UNKNOWN;
	else
		p->tcp_wscale = tcp_wscale_opt(t + 20, hl - 20);
}

/*
 * Only the fixed 20 bytes must be captured: the rules never read options;
 * the window tracking copes with a SYN whose options were cut off.
 */
static enum pkt_status pkt_parse_tcp(struct pkt *p, const struct pkt_view *v,
				     size_t off)
{
	bool first = pkt_first_frag(p);
	const uint8_t *t;
	enum pkt_status st;
	size_t hl;

	st = pkt_need(v, off, 20, first);
	if (st != PKT_OK)
		return st;
	t = v->data + off;
	hl = (size_t)(t[12] >> 4) * 4;
	if (hl < 20)
		return PKT_ERR_HDRLEN;
	if (off + hl > v->len)
		return first ? PKT_ERR_FRAG : PKT_ERR_HDRLEN;
	p->sport = get16(t);
	p->dport = get16(t + 2);
	p->tcp_flags = t[13];
	p->payload_len = clamp16(v->len - off - hl);
	pkt_tcp_seq(p, v, off, hl);
	return PKT_OK;
}

/* A UDP length of 0 is what jumbograms and GSO super-packets carry. */
static enum pkt_status pkt_parse_udp(struct pkt *p, const struct pkt_view *v,
				     size_t off)
{
	const uint8_t *u;
	enum pkt_status st;
	uint16_t ulen;

	st = pkt_need(v, off, 8, pkt_first_frag(p));
	if (st != PKT_OK)
		return st;
	u = v->data + off;
	ulen = get16(u + 4);
	if (ulen != 0 && ulen < 8)
		return PKT_ERR_HDRLEN;
	p->sport = get16(u);
	p->dport = get16(u + 2);
	p->payload_len = clamp16(v->len - off - 8);
	return PKT_OK;
}

/* Replies as well as requests: both carry the identifier of the flow. */
static bool icmp_type_is_query(uint8_t family, uint8_t type)
{
	if (family == AF_INET)
		return type == 0 || type == 8 || (type >= 13 && type <= 18);
	return type == 128 || type == 129;
}

static bool icmp_is_error(uint8_t family, uint8_t type)
{
	if (family == AF_INET)
		return type == 3 || type == 4 || type == 5 || type == 11 ||
		       type == 12;
	return type >= 1 && type <= 4;
}

/*
 * Type and code need 4 bytes, a query's identifier 8. The quoted packet of
 * an error is never parsed: AWS admits ICMP errors by rule only.
 */
static enum pkt_status pkt_parse_icmp(struct pkt *p, const struct pkt_view *v,
				      size_t off)
{
	bool first = pkt_first_frag(p);
	const uint8_t *m;
	enum pkt_status st;

	st = pkt_need(v, off, first ? 8 : 4, first);
	if (st != PKT_OK)
		return st;
	m = v->data + off;
	p->icmp_type = m[0];
	p->icmp_code = m[1];
	if (icmp_type_is_query(p->family, m[0])) {
		st = pkt_need(v, off, 8, first);
		if (st != PKT_OK)
			return st;
		p->icmp_id = get16(m + 4);
	}
	if (icmp_is_error(p->family, m[0]))
		p->flags |= PKT_F_ICMP_ERR;
	return PKT_OK;
}

static enum pkt_status pkt_parse_l4(struct pkt *p, const struct pkt_view *v,
				    size_t off)
{
	enum pkt_status st = PKT_OK;

	p->l4_off = (uint16_t)off;
	switch (p->proto) {
	case IPPROTO_NUM_TCP:
		st = pkt_parse_tcp(p, v, off);
		break;
	case IPPROTO_NUM_UDP:
		st = pkt_parse_udp(p, v, off);
		break;
	case IPPROTO_NUM_ICMP:
		if (p->family == AF_INET)
			st = pkt_parse_icmp(p, v, off);
		break;
	case IPPROTO_NUM_ICMPV6:
		if (p->family == AF_INET6)
			st = pkt_parse_icmp(p, v, off);
		break;
	default:	/* GRE, ESP, ...: the protocol number is all we match */
		break;
	}
	if (st == PKT_OK)
		p->flags |= PKT_F_L4;
	return st;
}

/* Set p->len from the IPv4 total length, trusting wirelen for super-packets. */
static enum pkt_status ip4_length(struct pkt *p, const uint8_t *ip,
				  size_t hlen, size_t wirelen)
{
	size_t tot = get16(ip + 2);

	if (tot == 0 && wirelen > UINT16_MAX)
		tot = wirelen;	/* BIG TCP / GSO over 64 KiB */
	if (tot < hlen || tot > wirelen)
		return PKT_ERR_HDRLEN;
	p->len = (uint32_t)tot;
	return PKT_OK;
}

/*
 * Non-first fragments carry no transport header: they are PKT_OK without
 * PKT_F_L4, so rules that need ports or ICMP types never match them.
 */
static enum pkt_status ip4_fragment(struct pkt *p, uint16_t frag, size_t hlen)
{
	if (frag & (IP4_MF | IP4_OFFMASK))
		p->flags |= PKT_F_FRAG;
	if (!(frag & IP4_OFFMASK))
		return PKT_OK;
	p->flags |= PKT_F_LATER_FRAG;
	p->l4_off = (uint16_t)hlen;
	/* RFC 1858: offset 8 can only serve to rewrite TCP flags. */
	if (p->proto == IPPROTO_NUM_TCP && (frag & IP4_OFFMASK) == 1)
		return PKT_ERR_FRAG;
	return PKT_OK;
}

static enum pkt_status pkt_parse4(struct pkt *p, const uint8_t *data,
				  size_t caplen, size_t wirelen)
{
	struct pkt_view v = { .data = data };
	enum pkt_status st;
	size_t hlen;

	p->family = AF_INET;
	if (caplen < IP4_HLEN)
		return PKT_ERR_SHORT;
	hlen = (size_t)(data[0] & 0x0f) * 4;
	if (hlen < IP4_HLEN)
		return PKT_ERR_HDRLEN;
	p->proto = data[9];
	memcpy(p->src, data + 12, 4);
	memcpy(p->dst, data + 16, 4);
	/* Lengths first: options longer than the packet are malformed, not short. */
	st = ip4_length(p, data, hlen, wirelen);
	if (st != PKT_OK)
		return st;
	if (hlen > caplen)
		return PKT_ERR_SHORT;
	if (hlen > IP4_HLEN)
		p->flags |= PKT_F_IPOPTS;
	v.len = p->len;
	v.cap = caplen < v.len ? caplen : v.len;
	if (caplen < v.len)
		p->flags |= PKT_F_TRUNC;

	st = ip4_fragment(p, get16(data + 6), hlen);
	if (st != PKT_OK || (p->flags & PKT_F_LATER_FRAG))
		return st;
	return pkt_parse_l4(p, &v, hlen);
}

/* Length of the extension header `nh` at off, whose first 8 bytes are in view. */
static size_t ip6_exthdr_len(uint8_t nh, const uint8_t *h)
{
	if (nh == NH_FRAGMENT)
		return 8;
	if (nh == NH_AH)
		return ((size_t)h[1] + 2) * 4;
	return ((size_t)h[1] + 1) * 8;
}

static bool ip6_is_exthdr(uint8_t nh)
{
	return nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT ||
	       nh == NH_AH || nh == NH_DSTOPTS;
}

/*
 * Record a Fragment header; *later tells whether it is a non-first
 * fragment. A second Fragment header in one chain is never legitimate.
 */
static enum pkt_status ip6_fragment(struct pkt *p, const uint8_t *h,
				    bool *seen, bool *later)
{
	uint16_t fo = get16(h + 2);

	if (*seen)
		return PKT_ERR_FRAG;
	*seen = true;
	if (fo & 0xfff9)	/* offset or M set; atomic fragments are whole */
		p->flags |= PKT_F_FRAG;
	if (fo & 0xfff8) {
		p->flags |= PKT_F_LATER_FRAG;
		*later = true;
	}
	return PKT_OK;
}

/*
 * Walk the extension-header chain from `*off`, leaving the upper-layer
 * protocol in p->proto and its offset in *off. Only the five real
 * extension headers are walked: any other value (ESP, No Next Header,
 * unknown) is the upper layer, so garbage cannot be read as ports.
 */
static enum pkt_status ip6_walk_chain(struct pkt *p, const struct pkt_view *v,
				      size_t *off)
{
	uint8_t nh = v->data[6];
	unsigned int count = 0;
	enum pkt_status st;
	bool seen = false, later = false;
	size_t hl;

	while (ip6_is_exthdr(nh)) {
		const uint8_t *h;

		/* Hop-by-Hop anywhere but first is refused by Linux too. */
		if (++count > IP6_MAX_EXTHDRS ||
		    (nh == NH_HOPOPTS && *off != IP6_HLEN))
			return PKT_ERR_EXTHDR;
		st = pkt_need(v, *off, 8, pkt_first_frag(p));
		if (st != PKT_OK)
			return st;
		h = v->data + *off;
		hl = ip6_exthdr_len(nh, h);
		if (*off + hl > IP6_CHAIN_LIMIT)
			return PKT_ERR_EXTHDR;
		st = pkt_need(v, *off, hl, pkt_first_frag(p));
		if (st != PKT_OK)
			return st;
		if (nh == NH_ROUTING && h[2] == 0)
			return PKT_ERR_EXTHDR;	/* RH0, RFC 5095 */
		if (nh == NH_FRAGMENT) {
			st = ip6_fragment(p, h, &seen, &later);
			if (st != PKT_OK)
				return st;
		}
		nh = h[0];
		*off += hl;
		if (later)
			break;	/* the rest of the chain is in the first fragment */
	}
	p->proto = nh;
	return PKT_OK;
}

/* Set p->len from the payload length; 0 means jumbogram or super-packet. */
static enum pkt_status ip6_length(struct pkt *p, const uint8_t *ip,
				  size_t wirelen)
{
	size_t len = IP6_HLEN + get16(ip + 4);

	if (len == IP6_HLEN &&
	    (ip[6] == NH_HOPOPTS || wirelen > UINT16_MAX + IP6_HLEN))
		len = wirelen;
	if (len > wirelen)
		return PKT_ERR_HDRLEN;
	p->len = (uint32_t)len;
	return PKT_OK;
}

static enum pkt_status pkt_parse6(struct pkt *p, const uint8_t *data,
				  size_t caplen, size_t wirelen)
{
	struct pkt_view v = { .data = data };
	size_t off = IP6_HLEN;
	enum pkt_status st;

	p->family = AF_INET6;
	if (caplen < IP6_HLEN)
		return PKT_ERR_SHORT;
	p->proto = data[6];
	memcpy(p->src, data + 8, 16);
	memcpy(p->dst, data + 24, 16);
	st = ip6_length(p, data, wirelen);
	if (st != PKT_OK)
		return st;
	v.len = p->len;
	v.cap = caplen < v.len ? caplen : v.len;
	if (caplen < v.len)
		p->flags |= PKT_F_TRUNC;

	st = ip6_walk_chain(p, &v, &off);
	if (st != PKT_OK)
		return st;
	if (p->flags & PKT_F_LATER_FRAG) {
		p->l4_off = (uint16_t)off;
		return PKT_OK;
	}
	return pkt_parse_l4(p, &v, off);
}

enum pkt_status pkt_parse(struct pkt *p, const uint8_t *data, size_t caplen,
			  size_t wirelen)
{
	memset(p, 0, sizeof(*p));
	/* A capture is never longer than the packet; a kernel skb fits u32. */
	if (wirelen < caplen)
		wirelen = caplen;
	if (caplen < 1)
		return PKT_ERR_SHORT;
	if ((uint64_t)wirelen > UINT32_MAX)
		return PKT_ERR_HDRLEN;
	switch (data[0] >> 4) {
	case 4:
		return pkt_parse4(p, data, caplen, wirelen);
	case 6:
		return pkt_parse6(p, data, caplen, wirelen);
	default:
		return PKT_ERR_VERSION;
	}
}

const char *pkt_status_name(enum pkt_status st)
{
	static const char *const names[PKT_STATUS_MAX] = {
		[PKT_OK] = "ok",
		[PKT_ERR_SHORT] = "short",
		[PKT_ERR_VERSION] = "version",
		[PKT_ERR_HDRLEN] = "hdrlen",
		[PKT_ERR_EXTHDR] = "exthdr",
		[PKT_ERR_FRAG] = "frag",
	};

	if ((unsigned int)st >= PKT_STATUS_MAX)
		return "unknown";
	return names[st];
}

int pkt_icmp_reply_type(uint8_t family, uint8_t type)
{
	if (family == AF_INET) {
		switch (type) {
		case 8:
			return 0;
		case 13:
		case 15:
		case 17:
			return type + 1;
		default:
			return -1;
		}
	}
	if (family == AF_INET6 && type == 128)
		return 129;
	return -1;
}

bool pkt_icmp_is_query(const struct pkt *p)
{
	uint8_t want = p->family == AF_INET ? IPPROTO_NUM_ICMP :
					      IPPROTO_NUM_ICMPV6;

	return p->proto == want && (p->flags & PKT_F_L4) &&
	       icmp_type_is_query(p->family, p->icmp_type);
}

static bool udp_ports_are(const struct pkt *p, uint16_t a, uint16_t b)
{
	return (p->sport == a && p->dport == b) ||
	       (p->sport == b && p->dport == a);
}

bool pkt_is_infrastructure(const struct pkt *p)
{
	if (!(p->flags & PKT_F_L4))
		return false;
	if (p->family == AF_INET6 && p->proto == IPPROTO_NUM_ICMPV6)
		return p->icmp_type >= 133 && p->icmp_type <= 137;
	if (p->proto != IPPROTO_NUM_UDP)
		return false;
	if (p->family == AF_INET)
		return udp_ports_are(p, 67, 68);
	return udp_ports_are(p, 546, 547);
}

/* tcpdump's letters, in tcpdump's order: "S." is a SYN-ACK. */
static void fmt_tcp_flags(struct textbuf *f, uint8_t flags)
{
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {
		{ TCPF_FIN, 'F' }, { TCPF_SYN, 'S' }, { TCPF_RST, 'R' },
		{ TCPF_PSH, 'P' }, { TCPF_ACK, '.' }, { TCPF_URG, 'U' },
		{ 0x40, 'E' }, { 0x80, 'W' },
	};
	char s[ARRAY_SIZE(letters) + 1];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(letters); i++)
		if (flags & letters[i].bit)
			s[n++] = letters[i].c;
	s[n] = '\0';
	textbuf_put(f, " [%s]", n ? s : "none");
}

static void fmt_endpoint(struct textbuf *f, const struct pkt *p,
			 const uint8_t *addr, uint16_t port, bool with_port)
{
	char a[INET6_ADDRSTRLEN];

	addr_format(p->family, addr, a, sizeof(a));
	if (!with_port)
		textbuf_put(f, "%s", a);
	else if (p->family == AF_INET6)
		textbuf_put(f, "[%s]:%u", a, port);
	else
		textbuf_put(f, "%s:%u", a, port);
}

static void fmt_proto(struct textbuf *f, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_NUM_TCP:
		textbuf_put(f, "tcp ");
		break;
	case IPPROTO_NUM_UDP:
		textbuf_put(f, "udp ");
		break;
	case IPPROTO_NUM_ICMP:
		textbuf_put(f, "icmp ");
		break;
	case IPPROTO_NUM_ICMPV6:
		textbuf_put(f, "icmpv6 ");
		break;
	default:
		textbuf_put(f, "proto %u ", proto);
		break;
	}
}

/* What follows the addresses: TCP flags, ICMP type/code/id, fragment marks. */
static void fmt_details(struct textbuf *f, const struct pkt *p)
{
	bool icmp = (p->family == AF_INET && p->proto == IPPROTO_NUM_ICMP) ||
		    (p->family == AF_INET6 && p->proto == IPPROTO_NUM_ICMPV6);

	if (p->flags & PKT_F_L4) {
		if (p->proto == IPPROTO_NUM_TCP)
			fmt_tcp_flags(f, p->tcp_flags);
		if (icmp)
			textbuf_put(f, " type %u code %u", p->icmp_type,
				p->icmp_code);
		if (icmp && icmp_type_is_query(p->family, p->icmp_type))
			textbuf_put(f, " id %u", p->icmp_id);
	}
	if (p->flags & PKT_F_LATER_FRAG)
		textbuf_put(f, " frag");
	else if (p->flags & PKT_F_FRAG)
		textbuf_put(f, " first-frag");
}

char *pkt_format(const struct pkt *p, char *buf, size_t len)
{
	struct textbuf f;
	bool ports = (p->flags & PKT_F_L4) &&
		     (p->proto == IPPROTO_NUM_TCP ||
		      p->proto == IPPROTO_NUM_UDP);

	textbuf_init(&f, buf, len);
	if (p->family != AF_INET && p->family != AF_INET6) {
		textbuf_put(&f, "unparsed");
		return buf;
	}
	fmt_proto(&f, p->proto);
	fmt_endpoint(&f, p, p->src, p->sport, ports);
	textbuf_put(&f, " -> ");
	fmt_endpoint(&f, p, p->dst, p->dport, ports);
	fmt_details(&f, p);
	return buf;
}

enum rule_miss pkt_peer_miss(const struct pkt *p, enum dir d, const struct cidr *peer,
			     int proto)
{
	if (peer->family != p->family)
		return RULE_MISS_FAMILY;
	if (!cidr_contains(peer, p->family, d == DIR_IN ? p->src : p->dst))
		return RULE_MISS_ADDR;
	if (proto != PROTO_ALL && proto != p->proto)
		return RULE_MISS_PROTO;
	return RULE_MATCH;
}

bool pkt_peer_matches(const struct pkt *p, enum dir d, const struct cidr *peer, int proto)
{
	return pkt_peer_miss(p, d, peer, proto) == RULE_MATCH;
}

void pkt_reverse(struct pkt *r, const struct pkt *p)
{
	*r = *p;
	memcpy(r->src, p->dst, sizeof(r->src));
	memcpy(r->dst, p->src, sizeof(r->dst));
	r->sport = p->dport;
	r->dport = p->sport;
}
