/*
 * The shadow policy on the control thread (shadow.h): loaded at start from
 * --shadow-nacl/--shadow-sg, re-read by reload, replaced by `apply
 * --shadow`, shown by `show rules --shadow` and `show stats`. The control
 * thread alone replaces d->shadow, so it reads it without the RCU lock;
 * the queue threads read it under RCU, once per burst.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"
#include "log.h"
#include "rulename.h"

bool daemon_shadow_files(const struct daemon *d)
{
	return d->shadow_files.n_nacl || d->shadow_files.n_sg;
}

struct policy *daemon_shadow_load(struct daemon *d, const struct file_set *fs,
				  const char *what, FILE *out)
{
	struct diag *dg = diag_new();
	struct policy_src src;
	struct policy *pol;

	if (!dg)
		return NULL;
	/* The shadow judges every interface alike: no --eni of its own. */
	daemon_policy_src(d, fs, &src);
	pol = policy_load(&src, dg);
	if (!pol)
		daemon_load_report(dg, what, out);
	diag_free(dg);
	return pol;
}

/*
 * The shadow's flow table: the one before it, or a new one the first time
 * a shadow has security groups (a NACL alone tracks nothing; calloc'd
 * pages cost nothing until flows fill them anyway). *fresh: it is new.
 */
static int shadow_flows(struct daemon *d, const struct policy *pol,
			struct flow_table **ft, bool *fresh)
{
	*fresh = false;
	*ft = d->shadow ? d->shadow->flows : NULL;
	if (*ft || !policy_sg(pol))
		return 0;
	*ft = flow_table_new(&d->fp);
	*fresh = true;
	if (!*ft)
		return -1;
	/* The interfaces' own timeouts too (--conntrack IFACE=), as the enforced table has them. */
	flow_table_set_iface_timeouts(*ft, d->ct_ifs.v, d->ct_ifs.n);
	return 0;
}

int daemon_shadow_put(struct daemon *d, struct policy *pol)
{
	struct flow_table *ft;
	struct shadow *ns;
	bool fresh;

	if (shadow_flows(d, pol, &ft, &fresh) < 0) {
		policy_free(pol);
		return -1;
	}
	ns = shadow_new(pol, ft, d->nq);
	if (!ns) {
		if (fresh)
			flow_table_free(ft);
		return -1;
	}
	/* The flows go on with the new shadow: free the old one without them. */
	shadow_free(shadow_rcu_swap(&d->shadow, ns), true);
	return 0;
}

int daemon_shadow_setup(struct daemon *d)
{
	const struct daemon_cfg *c = d->cfg;
	struct policy *pol;

	if (daemon_copy_paths(&d->shadow_files.nacl, &d->shadow_files.n_nacl,
		      c->shadow_nacl_files, c->n_shadow_nacl) < 0 ||
	    daemon_copy_paths(&d->shadow_files.sg, &d->shadow_files.n_sg,
		      c->shadow_sg_files, c->n_shadow_sg) < 0)
		return EXIT_SYSTEM;
	if (!daemon_shadow_files(d))
		return EXIT_OK;
	pol = daemon_shadow_load(d, &d->shadow_files, "shadow", stderr);
	if (!pol)
		return EXIT_BAD_INPUT;
	if (daemon_shadow_put(d, pol) < 0) {
		log_err("cannot set up the shadow policy: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	log_info("shadow policy loaded: judged on every packet, never enforced");
	return EXIT_OK;
}

int daemon_apply_shadow(struct daemon *d, char *const *argv, FILE *out)
{
	struct file_set fs = { 0 };
	struct policy *pol;
	unsigned secs;

	if (d->cfg->offload) {
		fprintf(out, "no shadow with --offload: offloaded packets never reach it\n");
		return -1;
	}
	if (daemon_parse_apply(d, argv, &fs, &secs, true, out) < 0) {
		file_set_clear(&fs);
		return -1;
	}
	pol = daemon_shadow_load(d, &fs, "apply --shadow", out);
	if (!pol || daemon_shadow_put(d, pol) < 0) {
		if (pol)
			fprintf(out, "cannot put the shadow in place: %s\n", strerror(errno));
		file_set_clear(&fs);
		return -1;
	}
	/* Nothing to confirm: from now on reload reads these as the shadow's. */
	file_set_clear(&d->shadow_files);
	d->shadow_files = fs;
	log_info("apply --shadow: new shadow rules judge every packet (never enforced); "
		 "the enforced rules stay (generation %u)", d->generation);
	fprintf(out, "new shadow rules judge every packet, never enforced; the enforced rules "
		"stay (generation %u)\n", d->generation);
	return 0;
}

int daemon_shadow_rules(struct daemon *d, enum show_format fmt, FILE *out)
{
	if (!d->shadow) {
		fprintf(out, "no shadow policy (run --shadow-nacl/--shadow-sg, or apply --shadow)\n");
		return -1;
	}
	show_rules(d->shadow->pol, fmt, out);
	return 0;
}

/* The enforced policy of the set whose serial is s, or NULL (since reloaded). */
static const struct policy *pset_by_serial(const struct pset *ps, uint64_t s)
{
	size_t i;

	if (policy_serial(ps->def) == s)
		return ps->def;
	for (i = 0; i < ps->n; i++)
		if (policy_serial(ps->eni[i].pol) == s)
			return ps->eni[i].pol;
	return NULL;
}

void daemon_shadow_show(struct daemon *d, const struct pset *ps, struct show_shadow *ss)
{
	const struct disagree_slot *top[SHOW_SHADOW_PAIRS];
	struct disagree_tally *sum;
	uint64_t shown = 0;
	size_t i;

	memset(ss, 0, sizeof(*ss));
	if (!d->shadow || !(sum = malloc(sizeof(*sum))))
		return;
	shadow_sum(d->shadow, &ss->judged, sum);
	ss->pol = d->shadow->pol;
	ss->disagree[0] = sum->dir[0];
	ss->disagree[1] = sum->dir[1];
	ss->n_pairs = disagree_top(sum, top, SHOW_SHADOW_PAIRS);
	for (i = 0; i < ss->n_pairs; i++) {
		const struct disagree_key *k = &top[i]->key;
		struct show_shadow_pair *p = &ss->pair[i];

		disagree_side_name(&k->enforced, (enum dir)k->dir,
				   pset_by_serial(ps, k->enforced.serial), RULENAME_DECIDER,
				   p->enforced, sizeof(p->enforced));
		disagree_side_name(&k->shadow, (enum dir)k->dir, ss->pol, RULENAME_DECIDER,
				   p->shadow, sizeof(p->shadow));
		p->packets = top[i]->n;
		shown += p->packets;
	}
	ss->other = sum->dir[0] + sum->dir[1] - shown;
	free(sum);
}

void daemon_shadow_tick(struct daemon *d)
{
	struct flow_stats fs;

	if (!d->shadow || !d->shadow->flows)
		return;
	flow_table_stats(d->shadow->flows, &fs);
	flow_table_expire(d->shadow->flows, now_ms(), (size_t)(fs.buckets / EXPIRE_SWEEP_S) + 1);
}

void daemon_shadow_close(struct daemon *d)
{
	/* The queue threads are gone: nobody reads it. */
	shadow_free(d->shadow, false);
	d->shadow = NULL;
	file_set_clear(&d->shadow_files);
}
