/*
 * The disagreement tally (disagree.h): an open-addressed table of rule
 * pairs with one writer, read while it is written.
 */
#include <stdio.h>
#include <string.h>

#include "disagree.h"
#include "rulename.h"

void disagree_side_of(struct disagree_side *s, const struct policy *pol,
		      const struct verdict *v)
{
	const struct ruleset *rs = policy_ruleset(pol);

	memset(s, 0, sizeof(*s));
	s->serial = policy_serial(pol);
	s->accept = v->accept;
	s->layer = (uint8_t)v->layer;
	s->sg_outcome = (uint8_t)v->sg_outcome;
	s->nacl_number = v->nacl ? v->nacl->number : 0;
	s->nacl_allow = v->nacl && v->nacl->allow;
	s->exempt = (uint8_t)v->exempt;
	s->same_subnet = v->same_subnet;
	s->sg_rule = v->sg && rs ? (int32_t)(v->sg - rs->sg) : -1;
}

/* FNV-1a over the key's bytes (padding is always zero). */
static uint32_t key_hash(const struct disagree_key *k)
{
	const unsigned char *b = (const unsigned char *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* Single writer: a plain read of its own counter, an atomic store for the readers. */
static void bump(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

bool disagree_count(struct disagree_tally *t, const struct disagree_side *e,
		    const struct disagree_side *s, enum dir d)
{
	struct disagree_key k;
	uint32_t h, i;

	if (e->accept == s->accept)
		return false;
	bump(&t->dir[d == DIR_OUT]);
	memset(&k, 0, sizeof(k));
	k.enforced = *e;
	k.shadow = *s;
	k.dir = (uint8_t)d;
	h = key_hash(&k);
	for (i = 0; i < DISAGREE_SLOTS; i++) {
		struct disagree_slot *sl = &t->slot[(h + i) % DISAGREE_SLOTS];

		if (!sl->used) {
			sl->key = k;
			/* Readers see the key whole before they see the slot used. */
			__atomic_store_n(&sl->used, 1, __ATOMIC_RELEASE);
		} else if (memcmp(&sl->key, &k, sizeof(k))) {
			continue;
		}
		bump(&sl->n);
		return true;
	}
	bump(&t->other);
	return true;
}

/* The slot of dst holding k, or a free one; NULL when full. */
static struct disagree_slot *slot_for(struct disagree_tally *dst, const struct disagree_key *k)
{
	uint32_t h = key_hash(k), i;

	for (i = 0; i < DISAGREE_SLOTS; i++) {
		struct disagree_slot *sl = &dst->slot[(h + i) % DISAGREE_SLOTS];

		if (!sl->used || !memcmp(&sl->key, k, sizeof(*k)))
			return sl;
	}
	return NULL;
}

void disagree_merge(struct disagree_tally *dst, const struct disagree_tally *src)
{
	size_t i;

	dst->dir[0] += __atomic_load_n(&src->dir[0], __ATOMIC_RELAXED);
	dst->dir[1] += __atomic_load_n(&src->dir[1], __ATOMIC_RELAXED);
	dst->other += __atomic_load_n(&src->other, __ATOMIC_RELAXED);
	for (i = 0; i < DISAGREE_SLOTS; i++) {
		const struct disagree_slot *s = &src->slot[i];
		struct disagree_slot *d;
		uint64_t n;

		if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE))
			continue;
		n = __atomic_load_n(&s->n, __ATOMIC_RELAXED);
		d = slot_for(dst, &s->key);
		if (!d) {
			dst->other += n;
			continue;
		}
		if (!d->used) {
			d->key = s->key;
			d->used = 1;
		}
		d->n += n;
	}
}

size_t disagree_top(const struct disagree_tally *t, const struct disagree_slot **out,
		    size_t max)
{
	size_t n = 0, i, j, k;

	for (i = 0; i < DISAGREE_SLOTS; i++) {
		const struct disagree_slot *s = &t->slot[i];

		if (!s->used || !s->n)
			continue;
		/* Insertion into the sorted list: after every slot with as many. */
		for (j = 0; j < n && out[j]->n >= s->n; j++)
			;
		if (j == max)
			continue;
		if (n < max)
			n++;
		for (k = n - 1; k > j; k--)
			out[k] = out[k - 1];
		out[j] = s;
	}
	return n;
}

static void side_decision(struct rule_decision *rd, const struct disagree_side *s,
			  enum dir d, const struct policy *pol)
{
	memset(rd, 0, sizeof(*rd));
	rd->layer = (enum verdict_layer)s->layer;
	rd->dir = d;
	rd->nacl_number = s->nacl_number;
	rd->nacl_allow = s->nacl_allow;
	rd->sg_outcome = (enum sg_outcome)s->sg_outcome;
	rd->sg_rule = s->sg_rule;
	rd->exempt = (enum exempt_kind)s->exempt;
	rd->same_subnet = s->same_subnet;
	if (pol && s->serial == policy_serial(pol))
		rd->rs = policy_ruleset(pol);
}

const char *disagree_side_name(const struct disagree_side *s, enum dir d,
			       const struct policy *pol, unsigned flags,
			       char *buf, size_t len)
{
	struct rule_decision rd;

	side_decision(&rd, s, d, pol);
	return rulename_decision(&rd, flags, buf, len);
}

const char *disagree_pair_name(const struct disagree_key *k, const struct policy *epol,
			       const struct policy *spol, char *buf, size_t len)
{
	char e[128], s[128];

	disagree_side_name(&k->enforced, (enum dir)k->dir, epol, RULENAME_DECIDER, e, sizeof(e));
	disagree_side_name(&k->shadow, (enum dir)k->dir, spol, RULENAME_DECIDER, s, sizeof(s));
	snprintf(buf, len, "%s vs %s", e, s);
	return buf;
}
