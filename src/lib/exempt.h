/*
 * Traffic AWS never filters, and the subnet edge (doc/aws-semantics.md 1.1).
 * The settings a policy is compiled with (struct policy_opts: the subnets,
 * the VPC, --judge-aws-services) and the two questions the judge asks of
 * each packet: is it exempt from both layers, and does it stay inside one
 * subnet (so the NACL, which guards the subnet's edge, never sees it)?
 */
#ifndef VPCFW_EXEMPT_H
#define VPCFW_EXEMPT_H

#include <stdbool.h>
#include <stddef.h>
#include "addr.h"
#include "pkt.h"

/* Why a packet passes unjudged; the names are in exempt_kind_name(). */
enum exempt_kind {
	EXEMPT_NONE = 0,
	EXEMPT_ND,		/* IPv6 neighbour discovery, ICMPv6 133-137 */
	EXEMPT_DHCP,		/* DHCP (UDP 67/68) and DHCPv6 (UDP 546/547) */
	EXEMPT_LINK_LOCAL,	/* 169.254.0.0/16: metadata, Amazon DNS, time, ECS */
	EXEMPT_AWS_IPV6,	/* fd00:ec2::254, ::253, ::123 */
	EXEMPT_RESERVED,	/* first four of a --subnet, the resolver at --vpc base + 2 */
	EXEMPT_MAX,
};

#define POLICY_SUBNETS_MAX	16

/* What a policy is compiled with besides its rules. All zero: AWS's defaults, no subnet. */
struct policy_opts {
	bool judge_aws_services;	/* judge link-local, reserved, AWS IPv6 addresses */
	size_t n_subnets;
	struct cidr subnets[POLICY_SUBNETS_MAX];	/* --subnet: the host's subnets */
	bool have_vpc;
	struct cidr vpc;		/* --vpc: IPv4 only (its resolver) */
};

/* Parse and add a --subnet; -1 with errno EINVAL (not a CIDR) or ENOSPC (too many). */
int policy_opts_add_subnet(struct policy_opts *o, const char *s);
/* Parse and set --vpc; -1 with errno EINVAL (not an IPv4 CIDR, or narrower than /28). */
int policy_opts_set_vpc(struct policy_opts *o, const char *s);

/*
 * Is the packet exempt from both layers, and why? DHCP and neighbour
 * discovery always are (a host needs them on any link); the AWS service
 * and reserved addresses, as source or destination, unless
 * o->judge_aws_services.
 */
enum exempt_kind exempt_classify(const struct policy_opts *o, const struct pkt *p);

/*
 * The address's own kind (link-local, AWS IPv6 service, reserved), whatever
 * o->judge_aws_services says; a = 4 or 16 bytes as family says. The engine
 * asks it of the host's own addresses: AWS never gives an instance one.
 */
enum exempt_kind exempt_addr_kind(const struct policy_opts *o, int family,
				  const uint8_t *a);

/* Are source and destination both inside one --subnet (the NACL does not see it)? */
bool exempt_same_subnet(const struct policy_opts *o, const struct pkt *p);

/* "nd", "dhcp", "link-local", "aws-ipv6", "reserved" ("none" for EXEMPT_NONE). */
const char *exempt_kind_name(enum exempt_kind k);
/* The reason in words, for traces: "link-local address (169.254.0.0/16)". */
const char *exempt_kind_words(enum exempt_kind k);

#endif
