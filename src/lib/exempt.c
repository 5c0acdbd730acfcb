/*
 * Traffic AWS never filters (exempt.h). AWS: "Security groups and network
 * ACLs don't filter traffic to or from link-local addresses
 * (169.254.0.0/16) or AWS-reserved IPv4 addresses (these are the first four
 * IPv4 addresses of the subnet, including the Amazon DNS server address
 * for the VPC)" (doc/aws-semantics.md 1.1).
 */
#include <errno.h>
#include <string.h>

#include "exempt.h"

int policy_opts_add_subnet(struct policy_opts *o, const char *s)
{
	struct cidr c;

	if (cidr_parse(s, &c) < 0)
		return -1;
	if (o->n_subnets >= POLICY_SUBNETS_MAX) {
		errno = ENOSPC;
		return -1;
	}
	o->subnets[o->n_subnets++] = c;
	return 0;
}

int policy_opts_set_vpc(struct policy_opts *o, const char *s)
{
	struct cidr c;

	if (cidr_parse(s, &c) < 0)
		return -1;
	/* AWS's VPC blocks are /16 to /28; the resolver needs an IPv4 block. */
	if (c.family != AF_INET || c.plen > 28) {
		errno = EINVAL;
		return -1;
	}
	o->vpc = c;
	o->have_vpc = true;
	return 0;
}

static bool is_link_local(int family, const uint8_t *a)
{
	return family == AF_INET && a[0] == 169 && a[1] == 254;
}

/* fd00:ec2::254 (metadata), ::253 (Amazon DNS), ::123 (time). */
static bool is_aws_ipv6(int family, const uint8_t *a)
{
	static const uint8_t prefix[14] = { 0xfd, 0x00, 0x0e, 0xc2 };
	uint16_t last;

	if (family != AF_INET6 || memcmp(a, prefix, sizeof(prefix)))
		return false;
	/* The written "254" is the hex group 0x0254. */
	last = (uint16_t)(a[14] << 8 | a[15]);
	return last == 0x254 || last == 0x253 || last == 0x123;
}

/* The block's n-th address (IPv4 only), as the last octets from its base. */
static bool is_nth(const struct cidr *c, const uint8_t *a, unsigned lo, unsigned hi)
{
	uint32_t base, x;

	if (c->family != AF_INET)
		return false;
	base = (uint32_t)c->addr[0] << 24 | (uint32_t)c->addr[1] << 16 |
	       (uint32_t)c->addr[2] << 8 | c->addr[3];
	x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	return x - base >= lo && x - base <= hi && cidr_contains(c, AF_INET, a);
}

static bool is_reserved(const struct policy_opts *o, int family, const uint8_t *a)
{
	size_t i;

	if (family != AF_INET)
		return false;
	for (i = 0; i < o->n_subnets; i++)
		if (is_nth(&o->subnets[i], a, 0, 3))
			return true;
	return o->have_vpc && is_nth(&o->vpc, a, 2, 2);
}

enum exempt_kind exempt_addr_kind(const struct policy_opts *o, int family,
				  const uint8_t *a)
{
	if (is_link_local(family, a))
		return EXEMPT_LINK_LOCAL;
	if (is_aws_ipv6(family, a))
		return EXEMPT_AWS_IPV6;
	if (is_reserved(o, family, a))
		return EXEMPT_RESERVED;
	return EXEMPT_NONE;
}

enum exempt_kind exempt_classify(const struct policy_opts *o, const struct pkt *p)
{
	enum exempt_kind k;

	if (pkt_is_infrastructure(p))
		return p->proto == IPPROTO_NUM_UDP ? EXEMPT_DHCP : EXEMPT_ND;
	if (o->judge_aws_services)
		return EXEMPT_NONE;
	/* "to or from": either end; the host's own address is never one of them. */
	k = exempt_addr_kind(o, p->family, p->src);
	return k != EXEMPT_NONE ? k : exempt_addr_kind(o, p->family, p->dst);
}

bool exempt_same_subnet(const struct policy_opts *o, const struct pkt *p)
{
	size_t i;

	for (i = 0; i < o->n_subnets; i++)
		if (o->subnets[i].family == p->family &&
		    cidr_contains(&o->subnets[i], p->family, p->src) &&
		    cidr_contains(&o->subnets[i], p->family, p->dst))
			return true;
	return false;
}

const char *exempt_kind_name(enum exempt_kind k)
{
	static const char *const names[] = {
		[EXEMPT_NONE] = "none",
		[EXEMPT_ND] = "nd",
		[EXEMPT_DHCP] = "dhcp",
		[EXEMPT_LINK_LOCAL] = "link-local",
		[EXEMPT_AWS_IPV6] = "aws-ipv6",
		[EXEMPT_RESERVED] = "reserved",
	};

	return (unsigned)k < EXEMPT_MAX ? names[k] : "?";
}

const char *exempt_kind_words(enum exempt_kind k)
{
	static const char *const words[] = {
		[EXEMPT_NONE] = "not exempt",
		[EXEMPT_ND] = "neighbour discovery",
		[EXEMPT_DHCP] = "DHCP",
		[EXEMPT_LINK_LOCAL] = "link-local address 169.254.0.0/16",
		[EXEMPT_AWS_IPV6] = "AWS IPv6 service address fd00:ec2::",
		[EXEMPT_RESERVED] = "AWS-reserved address of the subnet or the VPC resolver",
	};

	return (unsigned)k < EXEMPT_MAX ? words[k] : "?";
}
