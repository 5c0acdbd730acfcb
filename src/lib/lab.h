/*
 * Lab files (vpcfw.lab(5)): a whole VPC described in a few lines (its
 * CIDR, subnets with their network ACLs, instances with their security
 * groups and services, hosts on the internet), parsed into a model that
 * `vpcfw lab` builds from namespaces. Pure text to model: the rule files
 * it names are loaded through load.c, with the security-group references
 * resolved from membership (an instance in sg-web makes its address a
 * member of sg-web), so that a lab that parses is one every engine of it
 * accepts. IPv4 always; IPv6 too where the file gives the VPC an IPv6
 * block (a subnet's /64, its instances' addresses, the internet hosts').
 */
#ifndef VPCFW_LAB_H
#define VPCFW_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "aws_json.h"
#include "diag.h"

#define LAB_NAME_MAX	12	/* a lab's name: vl-NAME-... must stay readable */
#define LAB_HOST_MAX	15	/* a subnet's, instance's or internet host's name */

struct lab_subnet {
	char *name;
	struct cidr cidr;
	struct cidr cidr6;	/* its IPv6 /64; family 0 when it has none */
	bool public;
	bool nat;		/* a private subnet reaching the internet through a NAT */
	char *nacl;		/* the NACL file, resolved against the lab file's folder */
	unsigned line;
	char *src;		/* its line, for notes on its file's errors */
};

enum lab_svc_kind { LAB_SVC_TCP, LAB_SVC_UDP, LAB_SVC_COMMAND };

struct lab_service {
	enum lab_svc_kind kind;
	unsigned port;		/* TCP, UDP */
	char *command;		/* COMMAND: run with sh -c in the instance */
};

struct lab_instance {
	char *name;
	size_t subnet;		/* index into lab.subnets */
	uint8_t addr[4];
	uint8_t addr6[16];	/* given, or the subnet's /64 + the IPv4 host part */
	bool has6;
	char **sg;		/* security-group files, resolved */
	size_t n_sg;
	char **groups;		/* the group ids those files define: its memberships */
	size_t n_groups;
	struct lab_service *svc;
	size_t n_svc;
	unsigned line;
	char *src;
};

struct lab_inet {
	char *name;
	uint8_t addr[4];
	uint8_t addr6[16];
	bool has6;
	unsigned line;
};

struct lab {
	char *name;		/* `lab NAME`, else the file's base name */
	char *path;		/* the lab file as given */
	struct cidr vpc;
	struct cidr vpc6;	/* the VPC's IPv6 block; family 0 when it has none */
	struct lab_subnet *subnets;
	size_t n_subnets;
	struct lab_instance *inst;
	size_t n_inst;
	struct lab_inet *inet;
	size_t n_inet;
	struct aws_map map;	/* every group id with its members' addresses */
};

/*
 * Parse the lab file at path (buf, len: its text; NULL to read it) into a
 * new model. Every problem goes to d with its location, those of the rule
 * files it names with theirs. Returns the model when there was no error
 * (warnings allowed), NULL otherwise (errno EINVAL, or ENOMEM / the read's).
 */
struct lab *lab_parse(const char *path, const char *buf, size_t len, struct diag *d);
void lab_free(struct lab *lab);

/* The plan: one record per line, for `vpcfw lab plan` and the orchestrator. */
void lab_print(const struct lab *lab, FILE *out);
/* The same as one JSON document. 0, or -1 with errno. */
int lab_print_json(const struct lab *lab, FILE *out);

#endif
