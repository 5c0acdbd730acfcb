/*
 * The rule model: what a rule file says, before compilation. Plain data,
 * filled by the loaders (aws_json, the native language) and read by the
 * compilers (acl, sg). Field meanings follow the EC2 API to the letter.
 */
#ifndef VPCFW_RULESET_H
#define VPCFW_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "addr.h"

#define PROTO_ALL	(-1)		/* AWS "-1": every protocol */
#define NACL_RULE_MIN	1
#define NACL_RULE_MAX	32766
#define NACL_STAR_V4	32767		/* the '*' deny entries as the API numbers them */
#define NACL_STAR_V6	32768
/* AWS quota: rules per direction of a network ACL, raised to its maximum. */
#define NACL_QUOTA_MAX	40

/* Where a rule came from, for messages and traces. */
struct rule_origin {
	const char *file;	/* interned in the ruleset; never freed separately */
	unsigned line;		/* 0 when the format has no lines (JSON: index instead) */
	unsigned index;		/* position of the entry in its list in the file */
};

/* One network ACL entry (NetworkAclEntry). */
struct nacl_entry {
	uint32_t number;	/* 1..32766, or 32767/32768 for the synthesized '*' rules */
	bool egress;
	bool allow;
	int16_t proto;		/* IANA number or PROTO_ALL */
	uint16_t port_from;	/* TCP/UDP only (dport range) */
	uint16_t port_to;
	int16_t icmp_type;	/* ICMP/ICMPv6 only; -1 = any */
	int16_t icmp_code;	/* -1 = any */
	struct cidr cidr;	/* source (ingress) or destination (egress) */
	struct rule_origin origin;
};

/* One security-group rule: one IpPermission expanded to one CIDR. */
struct sg_entry {
	bool egress;
	int16_t proto;		/* IANA number or PROTO_ALL */
	int32_t from;		/* TCP/UDP: first port; ICMP(v6): type; -1 = all */
	int32_t to;		/* TCP/UDP: last port; ICMP(v6): code; -1 = all */
	struct cidr cidr;	/* peer: source (ingress) or destination (egress) */
	uint32_t group;		/* index into ruleset.groups */
	char *description;	/* may be NULL */
	char *ref;		/* the sg-/pl- id this CIDR was mapped from with --map, or NULL */
	struct rule_origin origin;
};

struct sg_group {
	char *id;		/* "sg-..." or a local name */
	char *name;
};

/*
 * An `eni IFACE [eni-ID] GROUP...` statement (vpcfw.rules(5)): the
 * interface is judged by exactly these groups of the ruleset.
 */
struct ruleset_eni {
	char *ifname;
	char *eni_id;		/* "eni-..." for flow logs, or NULL */
	uint32_t *groups;	/* indices into ruleset.groups, in the statement's order */
	size_t n_groups;
	struct rule_origin origin;
};

struct ruleset {
	/* Network ACL: at most one (a subnet has exactly one). */
	bool has_nacl;
	char *nacl_id;
	struct nacl_entry *nacl;
	size_t n_nacl, cap_nacl;

	/* Security groups: any number, applied as their union. */
	struct sg_group *groups;
	size_t n_groups, cap_groups;
	struct sg_entry *sg;
	size_t n_sg, cap_sg;

	/* Interned file names that origins point to. */
	char **files;
	size_t n_files;

	/* eni statements, in file order; at most one per interface. */
	struct ruleset_eni *enis;
	size_t n_enis;
};

struct ruleset *ruleset_new(void);
void ruleset_free(struct ruleset *rs);

/* Intern a file name; the result lives as long as the ruleset. NULL + errno on ENOMEM. */
const char *ruleset_intern_file(struct ruleset *rs, const char *file);

/* Append copies. Strings in *e are copied. Return 0 or -1 with errno (ENOMEM). */
int ruleset_add_nacl(struct ruleset *rs, const struct nacl_entry *e);
int ruleset_add_sg(struct ruleset *rs, const struct sg_entry *e);
/* Returns the new group's index, or -1 with errno. */
int ruleset_add_group(struct ruleset *rs, const char *id, const char *name);

/*
 * Append an eni binding (strings and the group array copied). -1 with
 * errno EINVAL for a group index out of range, ENOMEM.
 */
int ruleset_add_eni(struct ruleset *rs, const struct ruleset_eni *e);

/*
 * A new ruleset with rs's network ACL and only the groups `groups` (indices
 * into rs->groups) with their rules, groups renumbered in that order; no
 * eni bindings. What an interface named in an eni statement is judged by.
 * NULL with errno (EINVAL for an index out of range, ENOMEM).
 */
struct ruleset *ruleset_subset(const struct ruleset *rs, const uint32_t *groups, size_t n);

/* Protocol number to its AWS name ("tcp", "udp", "icmp", "icmpv6", "all") or NULL. */
const char *proto_name(int proto);

#endif
