/*
 * libFuzzer harness for the packet parser (`make fuzz`, tests/fuzz/).
 *
 * The first two input bytes choose how much longer than the capture the
 * packet claims to be (NFQA_CAP_LEN); the rest is the packet. It is copied
 * into a buffer of exactly its size so that any read past the capture
 * trips AddressSanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t caplen, wirelen, extra;
	char line[128];
	uint8_t *copy;
	struct pkt p;

	if (size < 2)
		return 0;
	extra = (size_t)(data[0] << 8 | data[1]);
	/* Beyond 0xff00: a super-packet over 64 KiB, as BIG TCP makes them. */
	if (extra > 0xff00)
		extra = (extra - 0xff00) * 4096;
	caplen = size - 2;
	wirelen = caplen + extra;
	copy = malloc(caplen ? caplen : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 2, caplen);
	if (pkt_parse(&p, copy, caplen, wirelen) == PKT_OK) {
		if (p.l4_off > p.len || (p.flags & PKT_F_LATER_FRAG &&
					 p.flags & PKT_F_L4))
			abort();
		pkt_is_infrastructure(&p);
		pkt_icmp_is_query(&p);
	}
	pkt_format(&p, line, sizeof(line));
	free(copy);
	return 0;
}
