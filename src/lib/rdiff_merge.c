/*
 * From regions to the fewest lines: boxes with the same change (sign and
 * the rules on each side) and the same peers merge along one dimension at
 * a time where they touch - ICMP codes, then ports or ICMP types, then
 * protocols (a protocol whose every port or type changed alike is one box
 * of the protocol dimension). Address ranges become minimal CIDR lists
 * only when printed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rdiff.h"

static int cmp_peers(const struct rdiff_line *a, const struct rdiff_line *b)
{
	size_t i;

	if (a->n_peers != b->n_peers)
		return a->n_peers < b->n_peers ? -1 : 1;
	for (i = 0; i < a->n_peers; i++) {
		if (a->peers[i].first != b->peers[i].first)
			return a->peers[i].first < b->peers[i].first ? -1 : 1;
		if (a->peers[i].last != b->peers[i].last)
			return a->peers[i].last < b->peers[i].last ? -1 : 1;
	}
	return 0;
}

/* Same change: sign, rules on both sides, peers (not which packets). */
static int cmp_verdicts(const struct rdiff_line *a, const struct rdiff_line *b)
{
	int c;

	if (a->admit != b->admit)
		return a->admit ? 1 : -1;
	c = strcmp(a->old_rule, b->old_rule);
	if (!c)
		c = strcmp(a->new_rule, b->new_rule);
	return c ? c : cmp_peers(a, b);
}

/* Same change, and the same kind of packets. */
static int cmp_change(const struct rdiff_line *a, const struct rdiff_line *b)
{
	if (a->pkts != b->pkts)
		return a->pkts < b->pkts ? -1 : 1;
	return cmp_verdicts(a, b);
}

/* The three dimensions of a box: 0 protocols, 1 ports/types, 2 codes. */
static void dims(const struct rdiff_line *l, uint32_t lo[3], uint32_t hi[3])
{
	lo[0] = l->proto_lo;
	hi[0] = l->proto_hi;
	lo[1] = l->a_lo;
	hi[1] = l->a_hi;
	lo[2] = l->b_lo;
	hi[2] = l->b_hi;
}

/* qsort has no argument: the pass's dimension (-1: the kind of packets). */
static _Thread_local int merge_dim;

static int cmp_for_dim(const void *x, const void *y)
{
	const struct rdiff_line *a = x, *b = y;
	uint32_t alo[3], ahi[3], blo[3], bhi[3];
	int c = merge_dim < 0 ? cmp_verdicts(a, b) : cmp_change(a, b), k;

	if (c)
		return c;
	dims(a, alo, ahi);
	dims(b, blo, bhi);
	for (k = 0; k < 3; k++) {
		if (k == merge_dim)
			continue;
		if (alo[k] != blo[k])
			return alo[k] < blo[k] ? -1 : 1;
		if (ahi[k] != bhi[k])
			return ahi[k] < bhi[k] ? -1 : 1;
	}
	if (merge_dim < 0)
		return (a->pkts > b->pkts) - (a->pkts < b->pkts);
	return (alo[merge_dim] > blo[merge_dim]) - (alo[merge_dim] < blo[merge_dim]);
}

/*
 * A box of every port (or ICMP type) of a protocol and the box of its later
 * fragments, changed alike, are one box of the whole protocol.
 */
static size_t merge_fragments(struct rdiff_line *v, size_t n)
{
	size_t i, out = 0;

	if (!n)
		return 0;
	merge_dim = -1;
	qsort(v, n, sizeof(*v), cmp_for_dim);
	for (i = 1; i < n; i++) {
		struct rdiff_line *a = &v[out];

		if (!cmp_verdicts(a, &v[i]) && a->pkts == RDIFF_HEADER &&
		    v[i].pkts == RDIFF_FRAGS && a->proto_lo == v[i].proto_lo &&
		    a->proto_hi == v[i].proto_hi && a->a_lo == 0 && a->a_hi == 65535 &&
		    a->b_lo == 0 && a->b_hi == 255) {
			a->pkts |= RDIFF_FRAGS;
			free(v[i].peers);
		} else {
			v[++out] = v[i];
		}
	}
	return out + 1;
}

/* Can b extend a along dimension k? */
static bool touches(const struct rdiff_line *a, const struct rdiff_line *b, int k)
{
	uint32_t alo[3], ahi[3], blo[3], bhi[3];
	int j;

	if (cmp_change(a, b))
		return false;
	dims(a, alo, ahi);
	dims(b, blo, bhi);
	for (j = 0; j < 3; j++)
		if (j != k && (alo[j] != blo[j] || ahi[j] != bhi[j]))
			return false;
	return ahi[k] + 1 == blo[k];
}

static void extend(struct rdiff_line *a, const struct rdiff_line *b, int k)
{
	if (k == 0)
		a->proto_hi = b->proto_hi;
	else if (k == 1)
		a->a_hi = b->a_hi;
	else
		a->b_hi = b->b_hi;
}

/* One pass along dimension k; returns the new count. */
static size_t merge_pass(struct rdiff_line *v, size_t n, int k)
{
	size_t i, out = 0;

	if (!n)
		return 0;
	merge_dim = k;
	qsort(v, n, sizeof(*v), cmp_for_dim);
	for (i = 1; i < n; i++) {
		if (touches(&v[out], &v[i], k)) {
			extend(&v[out], &v[i], k);
			free(v[i].peers);
		} else {
			v[++out] = v[i];
		}
	}
	return out + 1;
}

static int cmp_final(const void *x, const void *y)
{
	const struct rdiff_line *a = x, *b = y;
	uint32_t alo[3], ahi[3], blo[3], bhi[3];
	int k;

	if (a->layer != b->layer)
		return a->layer < b->layer ? -1 : 1;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	dims(a, alo, ahi);
	dims(b, blo, bhi);
	for (k = 0; k < 3; k++)
		if (alo[k] != blo[k])
			return alo[k] < blo[k] ? -1 : 1;
	if (a->peers[0].first != b->peers[0].first)
		return a->peers[0].first < b->peers[0].first ? -1 : 1;
	return cmp_change(a, b);
}

int rdiff_merge(struct rdiff *rd, struct rdiff_line *boxes, size_t n)
{
	struct rdiff_line *nv;
	size_t i;

	if (!n)
		return 0;
	/* Reserve first: past this point nothing fails, and the lines own the peers. */
	nv = realloc(rd->v, (rd->n + n) * sizeof(*nv));
	if (!nv)
		return -1;
	rd->v = nv;
	n = merge_pass(boxes, n, 2);
	n = merge_pass(boxes, n, 1);
	/* A whole ICMP protocol has the same shape as a protocol without types. */
	for (i = 0; i < n; i++)
		if (rdiff_line_icmp(&boxes[i]) && boxes[i].a_lo == 0 && boxes[i].a_hi == 255 &&
		    boxes[i].b_lo == 0 && boxes[i].b_hi == 255)
			boxes[i].a_hi = 65535;
	n = merge_fragments(boxes, n);
	n = merge_pass(boxes, n, 0);
	memcpy(rd->v + rd->n, boxes, n * sizeof(*boxes));
	rd->n += n;
	qsort(rd->v, rd->n, sizeof(*rd->v), cmp_final);
	return 0;
}

void rdiff_range_cidrs(uint8_t family, const struct rdiff_range *r,
		       void (*fn)(const struct cidr *c, void *arg), void *arg)
{
	unsigned bits = family == AF_INET ? 32 : 128, k, i;
	rdiff_u128 x = r->first, span;
	struct cidr c;

	for (;;) {
		/* The largest aligned block at x that ends inside the range. */
		for (k = 0; k < bits && !(x >> k & 1); k++)
			;
		for (;; k--) {
			span = k == 128 ? ~(rdiff_u128)0 : (((rdiff_u128)1) << k) - 1;
			if (x + span >= x && x + span <= r->last)
				break;
		}
		memset(&c, 0, sizeof(c));
		c.family = family;
		c.plen = (uint8_t)(bits - k);
		for (i = 0; i < bits / 8; i++)
			c.addr[i] = (uint8_t)(x >> (bits - 8 - 8 * i));
		fn(&c, arg);
		if (x + span >= r->last)
			return;
		x += span + 1;
	}
}
