/*
 * The exact difference of two policies (`vpcfw diff`, and `vpcfw apply`
 * before it puts new rules in force): which packets the new rules admit
 * that the old refused, and which they refuse that the old admitted, per
 * layer, direction and family. Never sampled: the packet space is cut into
 * regions at every boundary either rule set mentions (peer address ranges,
 * protocols, destination ports, ICMP types and codes), one packet of each
 * region is judged by the real classifiers (acl_eval, sg_eval: no second
 * matcher), and regions with the same change are merged into the fewest
 * boxes "protocols x ports (or ICMP types x codes) x peer ranges".
 *
 * What "admits" means per layer:
 *   NACL  the first rule (by number, '*' last) that matches allows it;
 *   SG    some rule of the direction allows it as the first packet of a
 *         connection (TCP: a SYN) - the union of the groups' rules.
 * A layer a policy does not have admits everything (only configured
 * layers judge, as in `run`). Non-first fragments carry no ports or
 * types: of a protocol whose rules look at them they are lines of their
 * own, or part of a line of every port or type (`pkts`). The traffic a VPC
 * never filters (exempt.h: neighbour discovery, DHCP, AWS's service
 * addresses) is not part of the difference.
 */
#ifndef VPCFW_RDIFF_H
#define VPCFW_RDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "policy.h"

/* An address range of one family, as numbers (IPv4 in the low 32 bits). */
typedef unsigned __int128 rdiff_u128;

struct rdiff_range {
	rdiff_u128 first, last;
};

/* One line of the difference: a box of packets whose verdict changed alike. */
struct rdiff_line {
	bool admit;		/* new admits, old refused ("+"); else "-" */
	uint8_t layer;		/* VL_NACL or VL_SG */
	enum dir dir;
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint16_t proto_lo, proto_hi;	/* IANA numbers, 0-255 */
	uint32_t a_lo, a_hi;	/* TCP/UDP: destination ports; ICMP: types; else 0-65535 */
	uint16_t b_lo, b_hi;	/* ICMP: codes; else 0-255 */
	/*
	 * Which packets: RDIFF_HEADER those with a transport header (within the
	 * ports or types), RDIFF_FRAGS the non-first fragments (no header; of
	 * a protocol with ports or types only the rules covering every value
	 * judge them). Protocols without ports or types have both.
	 */
	uint8_t pkts;
	struct rdiff_range *peers;	/* ascending, disjoint, not adjacent */
	size_t n_peers;
	char old_rule[96];	/* "nacl-in:* deny", "sg-in:sg-web#3", "sg-in:none" */
	char new_rule[96];
};

#define RDIFF_HEADER	0x1
#define RDIFF_FRAGS	0x2

struct rdiff {
	struct rdiff_line *v;
	size_t n;
	bool cut;		/* the work budget ran out: lines are true, but not all */
	uint64_t steps;		/* rule tests made */
};

/*
 * Work budget, in rule tests counted as an upper bound (each region's
 * packet against every rule of its family on both sides). The default ran
 * out after 0.6 s on the development machine on a file of 3000 NACL entries
 * per direction and 3000 SG rules against a variant; 1000 of each finished
 * within it in 0.5 s. AWS's quotas allow far less.
 */
#define RDIFF_BUDGET_DEFAULT	(256ull * 1000 * 1000)

/*
 * The difference from old to new (either may lack a layer; the layers
 * compared are those of `layers`, VL bits as VPCFW_LAYER_*: 1 NACL, 2 SG;
 * 0: both). budget 0: RDIFF_BUDGET_DEFAULT. NULL with errno ENOMEM.
 */
struct rdiff *rdiff_new(const struct policy *old, const struct policy *new,
			unsigned layers, uint64_t budget);
void rdiff_free(struct rdiff *rd);

/* Is the line a protocol whose second dimension is ports (TCP/UDP) or ICMP types? */
bool rdiff_line_ports(const struct rdiff_line *l);
bool rdiff_line_icmp(const struct rdiff_line *l);

/*
 * Print every line ("+ nacl-in  tcp 0.0.0.0/0 -> port 443  now allowed
 * (nacl-in:120 allow; was nacl-in:* deny)"), and a note when cut. With
 * json, one JSON object {"complete":..,"changes":[..]}. 0 or -1 (errno).
 */
#define RDIFF_JSON	0x1u
int rdiff_print(const struct rdiff *rd, unsigned flags, FILE *out);

/* ---- inside the module (rdiff.c, rdiff_merge.c, rdiff_print.c) ---------------- */

/* Append the lines made of boxes[0..n) after merging; frees nothing. 0 or -1. */
int rdiff_merge(struct rdiff *rd, struct rdiff_line *boxes, size_t n);
/* The minimal CIDR blocks of [first, last] of a family: callback per block. */
void rdiff_range_cidrs(uint8_t family, const struct rdiff_range *r,
		       void (*fn)(const struct cidr *c, void *arg), void *arg);

#endif
