/*
 * AWS's quotas (doc/aws-semantics.md 1.8 and 2.5), counted as AWS counts:
 * a network ACL's rules per direction and family without its '*' denies;
 * a security group's rules per direction and family, where a rule that
 * names a group or prefix list (mapped to CIDRs with --map) is one rule
 * however many CIDRs it became. Messages point at the first rule over the
 * limit and name the quota.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "quota.h"

static const char *fam_name(int fam)
{
	return fam == AF_INET6 ? "IPv6" : "IPv4";
}

/* " (entry N)" for a rule of a JSON file, whose origin has no line. */
static const char *entry_of(const struct rule_origin *o, char *buf, size_t len)
{
	if (o->line)
		buf[0] = '\0';
	else
		snprintf(buf, len, " (from entry %u)", o->index);
	return buf;
}

static const char *dir_word(bool egress)
{
	return egress ? "outbound" : "inbound";
}

/* One more rule at origin o; the rule that first went over each limit is kept. */
struct tally {
	size_t n;
	const struct rule_origin *over_default, *over_max;
};

static void tally_add(struct tally *t, const struct rule_origin *o, size_t dflt, size_t max)
{
	t->n++;
	if (t->n == dflt + 1)
		t->over_default = o;
	if (max && t->n == max + 1)
		t->over_max = o;
}

static size_t nacl_quota(const struct ruleset *rs, struct diag *d)
{
	struct tally t[2][2];	/* [egress][v6] */
	size_t i, errors = 0;
	char at[32];
	int e, f;

	memset(t, 0, sizeof(t));
	for (i = 0; i < rs->n_nacl; i++) {
		const struct nacl_entry *n = &rs->nacl[i];

		if (n->number > NACL_RULE_MAX)
			continue;	/* the '*' denies are not rules of the quota */
		tally_add(&t[n->egress][n->cidr.family == AF_INET6], &n->origin,
			  QUOTA_NACL_RULES, QUOTA_NACL_RULES_MAX);
	}
	for (e = 0; e < 2; e++)
		for (f = 0; f < 2; f++) {
			const struct tally *q = &t[e][f];
			const struct rule_origin *o = q->over_max ? q->over_max : q->over_default;

			if (!o)
				continue;
			diag_add(d, q->over_max ? DIAG_ERROR : DIAG_WARNING, o->file, o->line, 0,
				 NULL, "network ACL %s has %zu %s %s rules%s: AWS allows %d per direction (quota \"Rules per network ACL\"), %s",
				 rs->nacl_id ? rs->nacl_id : "(unnamed)", q->n, dir_word(e),
				 fam_name(f ? AF_INET6 : AF_INET), entry_of(o, at, sizeof(at)),
				 QUOTA_NACL_RULES,
				 q->over_max ? "and no more than 40 with an increase" :
					       "more only with a quota increase (at most 40)");
			errors += q->over_max != NULL;
		}
	return errors;
}

/* Is entry i the first of its rule (a --map reference expanded to several CIDRs)? */
static bool first_of_rule(const struct ruleset *rs, size_t i)
{
	const struct sg_entry *e = &rs->sg[i], *p;

	if (!i || !e->ref)
		return true;
	p = &rs->sg[i - 1];
	return !p->ref || strcmp(p->ref, e->ref) || p->group != e->group ||
	       p->egress != e->egress || p->origin.file != e->origin.file ||
	       p->origin.line != e->origin.line || p->origin.index != e->origin.index;
}

static size_t sg_quota(const struct ruleset *rs, struct diag *d)
{
	struct tally (*t)[2][2] = calloc(rs->n_groups + 1, sizeof(*t));	/* [group][egress][v6] */
	const char *file = rs->n_sg ? rs->sg[0].origin.file : NULL;
	size_t g, i, errors = 0, most = 0;
	char at[32];
	int e, f;

	if (!t) {
		diag_error(d, NULL, "cannot check AWS's quotas: out of memory");
		return 1;
	}
	for (i = 0; i < rs->n_sg; i++) {
		const struct sg_entry *s = &rs->sg[i];

		if (s->group < rs->n_groups && first_of_rule(rs, i))
			tally_add(&t[s->group][s->egress][s->cidr.family == AF_INET6], &s->origin,
				  QUOTA_SG_RULES, 0);
	}
	for (g = 0; g < rs->n_groups; g++)
		for (e = 0; e < 2; e++)
			for (f = 0; f < 2; f++) {
				const struct tally *q = &t[g][e][f];
				const struct rule_origin *o = q->over_default;

				if (q->n > most)
					most = q->n;
				if (!o)
					continue;
				diag_add(d, DIAG_WARNING, o->file, o->line, 0, NULL,
					 "security group %s has %zu %s %s rules%s: AWS allows %d (quota \"Inbound or outbound rules per security group\"), more only with a quota increase",
					 rs->groups[g].id, q->n, dir_word(e),
					 fam_name(f ? AF_INET6 : AF_INET), entry_of(o, at, sizeof(at)),
					 QUOTA_SG_RULES);
			}
	free(t);
	if (rs->n_groups > QUOTA_SG_PER_ENI)
		diag_add(d, rs->n_groups > QUOTA_SG_PER_ENI_MAX ? DIAG_ERROR : DIAG_WARNING,
			 file, 0, 0, NULL,
			 "%zu security groups on one network interface: AWS allows %d (quota \"Security groups per network interface\"), %s",
			 rs->n_groups, QUOTA_SG_PER_ENI,
			 rs->n_groups > QUOTA_SG_PER_ENI_MAX ?
				 "and no more than 16 with an increase" :
				 "more only with a quota increase (at most 16)");
	errors += rs->n_groups > QUOTA_SG_PER_ENI_MAX;
	if (most * rs->n_groups > QUOTA_SG_PRODUCT) {
		diag_add(d, DIAG_ERROR, file, 0, 0, NULL,
			 "%zu security groups with up to %zu rules in one direction make %zu: AWS allows at most %d (rules per security group times security groups per network interface)",
			 rs->n_groups, most, most * rs->n_groups, QUOTA_SG_PRODUCT);
		errors++;
	}
	return errors;
}

size_t quota_check(const struct ruleset *rs, struct diag *d)
{
	return nacl_quota(rs, d) + sg_quota(rs, d);
}
