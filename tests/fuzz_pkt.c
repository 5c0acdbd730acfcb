/*
 * libFuzzer harness for the packet parser and the judge (`make fuzz`,
 * tests/fuzz/), through the public header alone.
 *
 * The first two input bytes choose how much longer than the capture the
 * packet claims to be (NFQA_CAP_LEN); the rest is the packet. It is copied
 * into a buffer of exactly its size so that any read past the capture
 * trips AddressSanitizer. It is described, and judged both ways against
 * a policy of both layers (NACL rules of every kind, tracked and untracked
 * security-group rules) with a small flow table, then judged again so that
 * it meets its own flow; the deciding rules are named. The parser breaking
 * its contract (EPROTO: a transport header past the packet, transport
 * fields on a later fragment) aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpcfw/vpcfw.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules[] =
	"nacl acl-fuzz\n"
	"inbound\n"
	"  90   deny   all                   198.51.100.0/24\n"
	"  100  allow  tcp     80            0.0.0.0/0\n"
	"  101  allow  tcp     1024-65535    ::/0\n"
	"  110  allow  udp     53            0.0.0.0/0\n"
	"  120  allow  icmp    echo-request  0.0.0.0/0\n"
	"  130  allow  icmpv6  1/4           ::/0\n"
	"  200  allow  all                   10.0.0.0/8\n"
	"outbound\n"
	"  100  allow  all  0.0.0.0/0\n"
	"  101  allow  all  ::/0\n"
	"sg sg-fuzz \"fuzz\"\n"
	"inbound\n"
	"  tcp     22          10.0.0.0/8\n"
	"  tcp     80          0.0.0.0/0\n"
	"  udp     0-65535     ::/0\n"
	"  icmp    echo-request  0.0.0.0/0\n"
	"  icmpv6  ::/0\n"
	"  all     192.0.2.0/24\n"
	"outbound\n"
	"  udp     0-65535     ::/0\n"
	"  tcp     443         0.0.0.0/0\n";

/* Compiled once: the fuzzer's inputs never change it (its counters aside). */
static const struct vpcfw_policy *policy(void)
{
	static struct vpcfw_policy *pol;
	struct vpcfw_rules *r;
	struct vpcfw_diag *d;

	if (pol)
		return pol;
	d = vpcfw_diag_new();
	r = vpcfw_rules_new();
	if (!d || !r || vpcfw_rules_load_buffer(r, "fuzz_pkt", rules, strlen(rules), NULL, d) < 0 ||
	    !(pol = vpcfw_policy_compile(r, VPCFW_LAYER_BOTH, d))) {
		if (d)
			vpcfw_diag_print(d, stderr);
		abort();
	}
	vpcfw_diag_free(d);
	return pol;
}

static void judge(const struct vpcfw_policy *pol, struct vpcfw_flows *f, const uint8_t *pkt,
		  size_t caplen, size_t wirelen, enum vpcfw_dir dir, uint64_t now)
{
	struct vpcfw_verdict v;
	char name[256];

	if (vpcfw_judge(pol, f, pkt, caplen, wirelen, dir, now, &v) < 0) {
		if (errno != EINVAL || v.accept)
			abort();
		return;
	}
	if (vpcfw_verdict_rule(pol, &v, name, sizeof(name)) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vpcfw_flow_limits lim = { .max_flows = 8 };
	const struct vpcfw_policy *pol = policy();
	size_t caplen, wirelen, extra;
	struct vpcfw_flows *f;
	char line[128];
	uint8_t *copy;

	if (size < 2)
		return 0;
	extra = (size_t)(data[0] << 8 | data[1]);
	/* Beyond 0xff00: a super-packet over 64 KiB, as BIG TCP makes them. */
	if (extra > 0xff00)
		extra = (extra - 0xff00) * 4096;
	caplen = size - 2;
	wirelen = caplen + extra;
	copy = malloc(caplen ? caplen : 1);
	f = vpcfw_flows_new(&lim);
	if (!copy || !f)
		abort();
	memcpy(copy, data + 2, caplen);
	if (vpcfw_packet_format(copy, caplen, wirelen, line, sizeof(line)) < 0 && errno == EPROTO) {
		fprintf(stderr, "the parser broke its contract: %s\n", line);
		abort();
	}
	judge(pol, f, copy, caplen, wirelen, VPCFW_IN, 1000);
	judge(pol, f, copy, caplen, wirelen, VPCFW_OUT, 1001);
	judge(pol, f, copy, caplen, wirelen, VPCFW_IN, 1002);
	vpcfw_flows_count(f, 1003);
	vpcfw_flows_free(f);
	free(copy);
	return 0;
}
