/*
 * Exact sets of (peer address, destination port) for the lint: a union of
 * boxes "prefix x port range". Walking a NACL direction in number order and
 * subtracting each rule's box leaves exactly the packets no earlier rule has
 * decided, which is what first-match evaluation means; no sampling.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_lint_int.h"

/* The most boxes one set may hold: far above any real ACL, a guard against pathological input. */
#define REGION_MAX	(1u << 16)

/* Prefix comparisons made by this thread: the work a pairwise check would pile up. */
_Thread_local uint64_t lint_cidr_tests;

bool lint_cidr_has(const struct cidr *outer, const struct cidr *inner)
{
	unsigned full = outer->plen / 8, rem = outer->plen % 8;
	uint8_t mask;

	lint_cidr_tests++;
	if (outer->family != inner->family || outer->plen > inner->plen)
		return false;
	if (memcmp(outer->addr, inner->addr, full))
		return false;
	if (!rem)
		return true;
	mask = (uint8_t)(0xff00 >> rem);
	return (outer->addr[full] & mask) == (inner->addr[full] & mask);
}

/* The prefix of length k that shares c's first k-1 bits and differs in bit k-1. */
static void sibling(const struct cidr *c, unsigned k, struct cidr *s)
{
	unsigned i;

	*s = *c;
	s->plen = (uint8_t)k;
	for (i = k; i < 128; i++)
		s->addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	s->addr[(k - 1) / 8] ^= (uint8_t)(0x80 >> ((k - 1) % 8));
}

void region_init(struct lint_region *r)
{
	memset(r, 0, sizeof(*r));
}

void region_free(struct lint_region *r)
{
	free(r->b);
	region_init(r);
}

int region_add(struct lint_region *r, const struct cidr *c, uint16_t lo, uint16_t hi)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct lint_box *nb;

		if (cap > REGION_MAX) {
			errno = ENOMEM;
			return -1;
		}
		nb = realloc(r->b, cap * sizeof(*nb));
		if (!nb)
			return -1;
		r->b = nb;
		r->cap = cap;
	}
	r->b[r->n++] = (struct lint_box){ *c, lo, hi };
	return 0;
}

static bool box_overlaps(const struct lint_box *x, const struct lint_box *b)
{
	if (b->hi < x->lo || b->lo > x->hi)
		return false;
	return lint_cidr_has(&b->c, &x->c) || lint_cidr_has(&x->c, &b->c);
}

bool region_overlaps(const struct lint_region *r, const struct lint_box *b)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (box_overlaps(&r->b[i], b))
			return true;
	return false;
}

/* The ports of x outside b's range, on prefix c. */
static int add_port_rest(struct lint_region *out, const struct cidr *c,
			 const struct lint_box *x, const struct lint_box *b)
{
	if (b->lo > x->lo && region_add(out, c, x->lo, (uint16_t)(b->lo - 1)) < 0)
		return -1;
	if (b->hi < x->hi && region_add(out, c, (uint16_t)(b->hi + 1), x->hi) < 0)
		return -1;
	return 0;
}

/* x minus b, appended to out. */
static int box_subtract(struct lint_region *out, const struct lint_box *x,
			const struct lint_box *b)
{
	struct cidr s;
	unsigned k;

	if (!box_overlaps(x, b))
		return region_add(out, &x->c, x->lo, x->hi);
	if (lint_cidr_has(&b->c, &x->c))
		return add_port_rest(out, &x->c, x, b);
	/* b's prefix lies inside x's: x is b's prefix plus its siblings on the way down. */
	for (k = x->c.plen + 1u; k <= b->c.plen; k++) {
		sibling(&b->c, k, &s);
		if (region_add(out, &s, x->lo, x->hi) < 0)
			return -1;
	}
	return add_port_rest(out, &b->c, x, b);
}

int region_subtract(struct lint_region *r, const struct lint_box *b)
{
	struct lint_region out;
	size_t i;

	if (!region_overlaps(r, b))
		return 0;
	region_init(&out);
	for (i = 0; i < r->n; i++) {
		if (box_subtract(&out, &r->b[i], b) < 0) {
			region_free(&out);
			return -1;
		}
	}
	free(r->b);
	*r = out;
	return 0;
}

int region_project(const struct lint_region *in, uint16_t lo, uint16_t hi,
		   struct lint_region *out)
{
	size_t i, j, k;

	for (i = 0; i < in->n; i++) {
		const struct cidr *c = &in->b[i].c;

		for (j = 0; j < out->n; j++)
			if (lint_cidr_has(&out->b[j].c, c))
				break;
		if (j < out->n)
			continue;
		/* Drop the prefixes the new one contains, then add it. */
		for (j = k = 0; j < out->n; j++)
			if (!lint_cidr_has(c, &out->b[j].c))
				out->b[k++] = out->b[j];
		out->n = k;
		if (region_add(out, c, lo, hi) < 0)
			return -1;
	}
	return 0;
}

static int by_first(const void *x, const void *y)
{
	const unsigned __int128 *a = x, *b = y;

	return (a[0] > b[0]) - (a[0] < b[0]);
}

bool lint_prefixes_cover_all(const struct cidr *c, size_t n)
{
	unsigned __int128 (*span)[2], next = 0;
	unsigned bits = n && c[0].family == AF_INET6 ? 128 : 32;
	bool all = false;
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_is_any(&c[i]))
			return true;
	span = calloc(n + 1, sizeof(*span));
	if (!span)
		return false;	/* only costs a warning more */
	for (i = 0; i < n; i++)
		cidr_range(&c[i], &span[i][0], &span[i][1]);
	qsort(span, n, sizeof(*span), by_first);
	/* next: the first address not yet covered; the last address ends it. */
	for (i = 0; i < n && span[i][0] <= next; i++) {
		if (span[i][1] >= next)
			next = span[i][1] + 1;
		if (next == 0 || (bits == 32 && next >> 32)) {
			all = true;
			break;
		}
	}
	free(span);
	return all;
}
