/*
 * Private to the policy difference: what rdiff.c (judging the regions) and
 * rdiff_cut.c (where the regions are cut) share. Not for other modules.
 */
#ifndef VPCFW_RDIFF_INT_H
#define VPCFW_RDIFF_INT_H

#include "rdiff.h"

/* A dimension's cut points, ascending and unique once sorted. */
struct cuts {
	rdiff_u128 *v;
	size_t n, cap;
};

/* One policy's view of one layer. */
struct side {
	const struct acl *acl;
	const struct sg *sg;
	const struct ruleset *rs;
};

/* The rule shape the cuts need: what a rule tests beyond its peer. */
struct shape {
	const struct cidr *c;
	int proto;
	int32_t a_lo, a_hi, b_lo, b_hi;	/* -1: not tested */
};

/* What one group (layer, direction, family) works with. */
struct group {
	struct rdiff *rd;
	uint64_t budget;
	uint8_t layer;
	enum dir d;
	uint8_t fam;
	rdiff_u128 amax;
	const struct side *s[2];	/* old, new */
	struct shape *shapes;		/* both sides' rules of the family */
	size_t n_shapes;
	struct cuts addr;		/* the cell's peer cuts */
	struct rdiff_line *boxes;
	size_t n_boxes, cap_boxes;
};

int rdiff_cuts_add(struct cuts *c, rdiff_u128 x);
/* Interval i of the cuts (the first is 0): [v[i], v[i+1] - 1], the last up to max. */
rdiff_u128 rdiff_cuts_last(const struct cuts *c, size_t i, rdiff_u128 max);
/* The rules of the family on both sides (g->shapes), and the protocol cuts. 0 or -1. */
int rdiff_group_cuts(struct group *g, struct cuts *pc);
/* Cuts of dimension a (dim 0) or b (dim 1) among the rules of protocol proto. 0 or -1. */
int rdiff_dim_cuts(const struct group *g, int proto, int dim, rdiff_u128 max, struct cuts *c);
/* Does a rule of protocol proto look at ports or ICMP types/codes? */
bool rdiff_proto_typed(const struct group *g, int proto);
/* The peer cuts of a cell, in g->addr. 0 or -1. */
int rdiff_cell_cuts(struct group *g, const struct rdiff_line *cell);

#endif
