/*
 * The filter grammar of `show flows` and `trace`: space-separated words
 * "proto=tcp addr=10.0.0.0/8 port=80 verdict=drop". One parser for both,
 * on the command line (to refuse a bad word before sending it) and in the
 * engine (which trusts no client): numbers through num_parse(), so that no
 * value wraps ("port=4294967376" is not 80) and none is empty ("port=" is
 * not 0).
 */
#ifndef VPCFW_FILTER_H
#define VPCFW_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* A filter; the fields of words not given match everything. */
struct filter {
	int proto;		/* -1: any */
	bool have_addr;
	struct cidr addr;	/* either end inside it */
	int port;		/* -1: any; either end (TCP and UDP only) */
	int verdict;		/* -1: any, 0: drops only, 1: accepts only */
	char iface[16];		/* "": any; else the interface's name (IF_NAMESIZE) */
};

/* Keys beyond proto, addr and port that a grammar takes (filter_parse's keys). */
#define FILTER_VERDICT	0x1	/* verdict=accept|drop: trace only */
#define FILTER_IFACE	0x2	/* iface=NAME: show flows and trace */

/*
 * Parse args (NULL or "" match everything) into f. 0, or -1 with errno
 * EINVAL and, when err is given, why in err ("port '70000': 0 to 65535").
 */
int filter_parse(struct filter *f, const char *args, unsigned keys,
		 char *err, size_t errlen);

/* What a filter looks at in a packet or a flow. */
struct filter_tuple {
	uint8_t family;			/* 0: nothing parsed, which no proto= matches */
	uint8_t proto;
	const uint8_t *src, *dst;	/* 16 bytes each, IPv4 in the first 4 */
	uint16_t sport, dport;		/* read for TCP and UDP only */
	const char *iface;		/* its interface's name; NULL: unknown (no iface= matches) */
};

/*
 * Does t pass f's proto, addr, port (either end for both; a port filter
 * passes TCP and UDP only) and interface? The verdict is the caller's to match.
 */
bool filter_match(const struct filter *f, const struct filter_tuple *t);

#endif
