/* Addresses and CIDR blocks of both families. */
#ifndef VPCFW_ADDR_H
#define VPCFW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A CIDR block. `family` is AF_INET or AF_INET6; an IPv4 address sits in
 * the first 4 bytes of `addr` (network order), the rest are zero. Host bits
 * are always clear (AWS stores 10.0.1.7/16 as 10.0.0.0/16).
 */
struct cidr {
	uint8_t family;
	uint8_t plen;
	uint8_t addr[16];
};

/* Longest text form of a CIDR, with its NUL. */
#define CIDR_STRLEN 50

/*
 * Parse "a.b.c.d/n" or "x:y::z/n" into *c and clear the host bits.
 * A bare address without "/n" is refused: AWS always wants a prefix.
 * Returns 0, or -1 with errno EINVAL.
 */
int cidr_parse(const char *s, struct cidr *c);

/* Format *c as text into buf (at least CIDR_STRLEN bytes). Returns buf. */
char *cidr_format(const struct cidr *c, char *buf, size_t len);

/* Does the block contain `addr` (16 bytes, IPv4 in the first 4)? Families must agree. */
bool cidr_contains(const struct cidr *c, uint8_t family, const uint8_t *addr);

/* Is the block the whole address space of its family (0.0.0.0/0 or ::/0)? */
static inline bool cidr_is_any(const struct cidr *c)
{
	return c->plen == 0;
}

/*
 * The block as two 64-bit words of address and of mask (the 16 address
 * bytes in memory order), for a match loop that tests (addr & mask) == net.
 */
void cidr_words(const struct cidr *c, uint64_t net[2], uint64_t mask[2]);

/*
 * The first and last address of the block as numbers (IPv4 in the low 32
 * bits): the range form the lint's coverage and the policy diff work on.
 */
void cidr_range(const struct cidr *c, unsigned __int128 *first, unsigned __int128 *last);

/* Format a bare address (IPv4 in the first 4 bytes) into buf (>= 46 bytes). */
char *addr_format(uint8_t family, const uint8_t *addr, char *buf, size_t len);

#endif
