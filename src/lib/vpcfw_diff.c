/*
 * The public face, part three: the difference of two policies (rdiff.h),
 * as plain data and as `vpcfw diff` prints it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rdiff.h"
#include "vpcfw_int.h"

struct vpcfw_diff {
	struct rdiff *rd;
};

struct vpcfw_diff *vpcfw_diff_new(const struct vpcfw_policy *old,
				  const struct vpcfw_policy *new,
				  unsigned layers, uint64_t budget)
{
	struct vpcfw_diff *d;

	if (!old || !new || (layers & ~(unsigned)VPCFW_LAYER_BOTH)) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->rd = rdiff_new(old->pol, new->pol, layers, budget);
	if (!d->rd) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	return d;
}

void vpcfw_diff_free(struct vpcfw_diff *d)
{
	if (!d)
		return;
	rdiff_free(d->rd);
	free(d);
}

size_t vpcfw_diff_count(const struct vpcfw_diff *d)
{
	return d ? d->rd->n : 0;
}

bool vpcfw_diff_complete(const struct vpcfw_diff *d)
{
	return d && !d->rd->cut;
}

int vpcfw_diff_change(const struct vpcfw_diff *d, size_t i, struct vpcfw_change *c)
{
	const struct rdiff_line *l;

	if (!d || !c || i >= d->rd->n) {
		errno = EINVAL;
		return -1;
	}
	l = &d->rd->v[i];
	memset(c, 0, sizeof(*c));
	c->admit = l->admit;
	c->layer = l->layer == VL_NACL ? VPCFW_LAYER_NACL : VPCFW_LAYER_SG;
	c->dir = l->dir == DIR_IN ? VPCFW_IN : VPCFW_OUT;
	c->ip_version = l->family == AF_INET ? 4 : 6;
	c->proto_lo = l->proto_lo;
	c->proto_hi = l->proto_hi;
	c->port_lo = 0;
	c->port_hi = 65535;
	c->type_hi = c->code_hi = 255;
	c->first_packets = l->pkts & RDIFF_HEADER;
	c->later_fragments = l->pkts & RDIFF_FRAGS;
	if (!c->first_packets) {
		/* no ports or types: the defaults say every value */
	} else if (rdiff_line_ports(l)) {
		c->port_lo = l->a_lo;
		c->port_hi = l->a_hi;
	} else if (rdiff_line_icmp(l)) {
		c->type_lo = l->a_lo;
		c->type_hi = l->a_hi > 255 ? 255 : l->a_hi;
		c->code_lo = l->b_lo;
		c->code_hi = l->b_hi;
	}
	c->n_peers = l->n_peers;
	c->old_rule = l->old_rule;
	c->new_rule = l->new_rule;
	return 0;
}

static void put_addr(uint8_t out[16], uint8_t family, rdiff_u128 v)
{
	int nb = family == AF_INET ? 4 : 16, i;

	memset(out, 0, 16);
	for (i = nb - 1; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

int vpcfw_diff_peer(const struct vpcfw_diff *d, size_t i, size_t j,
		    struct vpcfw_addr_range *r)
{
	const struct rdiff_line *l;

	if (!d || !r || i >= d->rd->n || j >= d->rd->v[i].n_peers) {
		errno = EINVAL;
		return -1;
	}
	l = &d->rd->v[i];
	put_addr(r->first, l->family, l->peers[j].first);
	put_addr(r->last, l->family, l->peers[j].last);
	return 0;
}

int vpcfw_diff_write(const struct vpcfw_diff *d, bool json, FILE *out)
{
	if (!d || !out) {
		errno = EINVAL;
		return -1;
	}
	return rdiff_print(d->rd, json ? RDIFF_JSON : 0, out);
}
