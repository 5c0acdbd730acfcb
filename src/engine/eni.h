/*
 * Elastic network interfaces: `run --eni IFACE=FILE[,FILE...]` gives an
 * interface security groups of its own, as an ENI has in AWS; an interface
 * without one is judged by the --sg groups. The engine keeps one compiled
 * policy per ENI beside the default one, in a policy set that reload,
 * apply and rollback replace as a whole under RCU (policy_rcu.h), so one
 * burst never mixes two generations of rules.
 */
#ifndef VPCFW_ENI_H
#define VPCFW_ENI_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>

#include "policy.h"

/* One --eni argument, split: "eth1=a.json,b.rules". */
struct eni_spec {
	char ifname[IF_NAMESIZE];
	char **files;		/* owned */
	size_t n_files;
};

/*
 * Split arg into s. -1 with errno EINVAL (and why in err) when it has no
 * IFACE, no '=', an empty file name or a name longer than IF_NAMESIZE - 1;
 * ENOMEM on allocation failure. Nothing to free on failure.
 */
int eni_spec_parse(const char *arg, struct eni_spec *s, char *err, size_t errlen);
void eni_spec_clear(struct eni_spec *s);

struct eni_pol {
	unsigned ifindex;	/* 0: the interface did not exist at load: matches nothing */
	char ifname[IF_NAMESIZE];
	bool own_sg;		/* --eni: groups of its own (else --sg's) */
	bool own_nacl;		/* --nacl IFACE=FILE: its subnet's ACL (else --nacl's) */
	/* Bound by an eni statement of the rules (vpcfw.rules(5)): where, or NULL. */
	const struct ruleset_eni *bind;
	char eni_id[24];	/* "eni-..." (flow logs), or "" when unknown */
	struct policy *pol;
};

struct pset {
	struct policy *def;	/* interfaces without an ENI of their own */
	size_t n;
	struct eni_pol eni[];
};

/* An empty set of n ENIs (def NULL). NULL + errno. */
struct pset *pset_new(size_t n);
/* Frees every policy in it, then the set. NULL is fine. */
void pset_free(struct pset *ps);
/* The policy for a packet on interface ifindex (0: none): its ENI's, or the default. */
const struct policy *pset_for(const struct pset *ps, unsigned ifindex);
/* The ENI's name for ifindex, or NULL when it has none. */
const char *pset_eni_name(const struct pset *ps, unsigned ifindex);
/* The ENI id ("eni-...") known for ifindex, or NULL. */
const char *pset_eni_id(const struct pset *ps, unsigned ifindex);


/* The per-interface arguments: --eni IFACE=FILE[,FILE...], --nacl IFACE=FILE[,FILE...]. */
struct pset_args {
	const char *const *eni;
	size_t n_eni;
	const char *const *nacl;
	size_t n_nacl;
};

/*
 * Load the default policy from src, and one policy per interface named in
 * a: its --eni files as its security groups (else src's), its --nacl
 * IFACE= files as its subnet's ACL (else src's). Each interface name is
 * resolved now: an unknown one fails the load when strict (at start), and
 * is only logged when not (at reload: the interface may come back, and the
 * rest of the rules should not wait for it), its entry then matching no
 * packet. Then each eni statement of the default rules becomes an entry
 * judged by exactly its groups (and the default ACL); an interface both
 * bound so and named by --eni or --nacl IFACE= is an error. NULL with the
 * problems in dg (or errno).
 */
struct pset *pset_load(const struct policy_src *src, const struct pset_args *a,
		       bool strict, struct diag *dg);

#endif
