/* Addresses and CIDR blocks of both families. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* Clear every bit past the prefix, as the EC2 API does when it stores a rule. */
static void cidr_clear_host_bits(struct cidr *c)
{
	unsigned bytes = c->family == AF_INET ? 4 : 16;
	unsigned i;

	for (i = 0; i < bytes; i++) {
		unsigned first = i * 8;

		if (first >= c->plen)
			c->addr[i] = 0;
		else if (first + 8 > c->plen)
			c->addr[i] &= (uint8_t)(0xff << (8 - (c->plen - first)));
	}
}

static int parse_plen(const char *s, unsigned max, uint8_t *plen)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max || (s[0] == '0' && s[1]))
		return -1;
	*plen = (uint8_t)v;
	return 0;
}

int cidr_parse(const char *s, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;

	memset(c, 0, sizeof(*c));
	if (!s || strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = AF_INET6;
	else
		goto bad;
	if (parse_plen(slash + 1, c->family == AF_INET ? 32 : 128, &c->plen) < 0)
		goto bad;
	cidr_clear_host_bits(c);
	return 0;
bad:
	memset(c, 0, sizeof(*c));
	errno = EINVAL;
	return -1;
}

char *addr_format(uint8_t family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

char *cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", addr_format(c->family, c->addr, a, sizeof(a)),
		 c->plen);
	return buf;
}

bool cidr_contains(const struct cidr *c, uint8_t family, const uint8_t *addr)
{
	unsigned full = c->plen / 8, rest = c->plen % 8;

	if (c->family != family)
		return false;
	if (memcmp(c->addr, addr, full))
		return false;
	if (!rest)
		return true;
	return ((addr[full] ^ c->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

void cidr_words(const struct cidr *c, uint64_t net[2], uint64_t mask[2])
{
	uint8_t b[16];
	unsigned i;

	for (i = 0; i < 16; i++) {
		unsigned bits = c->plen > 8 * i ? c->plen - 8 * i : 0;

		b[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
	}
	memcpy(mask, b, 16);
	memcpy(net, c->addr, 16);
	net[0] &= mask[0];
	net[1] &= mask[1];
}

void cidr_range(const struct cidr *c, unsigned __int128 *first, unsigned __int128 *last)
{
	unsigned bits = c->family == AF_INET ? 32 : 128, i;
	unsigned __int128 v = 0;

	for (i = 0; i < bits / 8; i++)
		v = v << 8 | c->addr[i];
	*first = v;
	if (c->plen == 0)	/* a shift by 128 is undefined */
		*last = bits == 32 ? 0xffffffffu : ~(unsigned __int128)0;
	else
		*last = v | ((((unsigned __int128)1) << (bits - c->plen)) - 1);
}
