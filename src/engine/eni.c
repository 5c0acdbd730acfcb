/* --eni: argument parsing and the interface -> policy map (eni.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eni.h"
#include "log.h"
#include "ruleset.h"

void eni_spec_clear(struct eni_spec *s)
{
	size_t i;

	for (i = 0; i < s->n_files; i++)
		free(s->files[i]);
	free(s->files);
	memset(s, 0, sizeof(*s));
}

static int spec_fail(struct eni_spec *s, char *err, size_t errlen, const char *why)
{
	eni_spec_clear(s);
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	errno = EINVAL;
	return -1;
}

/* Append the file name [b, e) to s. */
static int spec_add(struct eni_spec *s, const char *b, const char *e)
{
	char **nf = realloc(s->files, (s->n_files + 1) * sizeof(*nf));

	if (!nf)
		return -1;
	s->files = nf;
	nf[s->n_files] = strndup(b, (size_t)(e - b));
	if (!nf[s->n_files])
		return -1;
	s->n_files++;
	return 0;
}

int eni_spec_parse(const char *arg, struct eni_spec *s, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '='), *b, *e;

	memset(s, 0, sizeof(*s));
	if (!eq)
		return spec_fail(s, err, errlen, "expected IFACE=FILE[,FILE...]");
	if (eq == arg)
		return spec_fail(s, err, errlen, "no interface before '='");
	if ((size_t)(eq - arg) >= sizeof(s->ifname))
		return spec_fail(s, err, errlen, "interface name too long");
	memcpy(s->ifname, arg, (size_t)(eq - arg));
	for (b = eq + 1;; b = e + 1) {
		e = strchrnul(b, ',');
		if (e == b)
			return spec_fail(s, err, errlen, "empty file name");
		if (spec_add(s, b, e) < 0) {
			eni_spec_clear(s);
			errno = ENOMEM;
			return -1;
		}
		if (!*e)
			return 0;
	}
}

struct pset *pset_new(size_t n)
{
	return calloc(1, sizeof(struct pset) + n * sizeof(struct eni_pol));
}

void pset_free(struct pset *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->n; i++)
		if (ps->eni[i].pol)
			policy_free(ps->eni[i].pol);
	if (ps->def)
		policy_free(ps->def);
	free(ps);
}

static const struct eni_pol *find(const struct pset *ps, unsigned ifindex)
{
	size_t i;

	/* A handful of ENIs: a scan beats anything cleverer. */
	for (i = 0; ifindex && i < ps->n; i++)
		if (ps->eni[i].ifindex == ifindex)
			return &ps->eni[i];
	return NULL;
}

const struct policy *pset_for(const struct pset *ps, unsigned ifindex)
{
	const struct eni_pol *e = find(ps, ifindex);

	return e ? e->pol : ps->def;
}

const char *pset_eni_name(const struct pset *ps, unsigned ifindex)
{
	const struct eni_pol *e = find(ps, ifindex);

	return e ? e->ifname : NULL;
}

const char *pset_eni_id(const struct pset *ps, unsigned ifindex)
{
	const struct eni_pol *e = find(ps, ifindex);

	return e && e->eni_id[0] ? e->eni_id : NULL;
}

/* Parse every argument; -1 (logged) at the first bad one. */
static int parse_all(const char *opt, const char *const *args, size_t n,
		     struct eni_spec *out)
{
	char why[128];
	size_t i;

	for (i = 0; i < n; i++)
		if (eni_spec_parse(args[i], &out[i], why, sizeof(why)) < 0) {
			if (errno == EINVAL)
				log_err("%s %s: %s", opt, args[i], why);
			return -1;
		}
	return 0;
}

static const struct eni_spec *by_name(const struct eni_spec *s, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s[i].ifname, name))
			return &s[i];
	return NULL;
}

/*
 * One interface of the set: its own groups (sg, or the default ones) and
 * its own subnet's ACL (nacl, or the default one).
 */
/*
 * e's interface index, by its name: unknown is an error when strict (at
 * start), else a warning (at reload), the entry then judging nothing.
 */
static int resolve(struct eni_pol *e, const char *name, const char *what, bool strict)
{
	snprintf(e->ifname, sizeof(e->ifname), "%s", name);
	e->ifindex = if_nametoindex(name);
	if (e->ifindex)
		return 0;
	if (strict) {
		log_err("%s %s: no such interface", what, name);
		errno = ENODEV;
		return -1;
	}
	log_warn("%s %s: no such interface now; its rules judge nothing", what, name);
	return 0;
}

static int load_one(struct eni_pol *e, const struct policy_src *src, const char *name,
		    const struct eni_spec *sg, const struct eni_spec *nacl,
		    bool strict, struct diag *dg)
{
	struct policy_src es = *src;

	e->own_sg = sg != NULL;
	e->own_nacl = nacl != NULL;
	if (resolve(e, name, sg ? "--eni" : "--nacl", strict) < 0)
		return -1;
	if (sg) {
		es.sg_files = (const char *const *)sg->files;
		es.n_sg = sg->n_files;
	}
	if (nacl) {
		es.nacl_files = (const char *const *)nacl->files;
		es.n_nacl = nacl->n_files;
	}
	e->pol = policy_load(&es, dg);
	return e->pol ? 0 : -1;
}

/* An interface an eni statement binds: exactly its groups, the default ACL. */
static int load_bound(struct eni_pol *e, const struct policy *def,
		      const struct ruleset_eni *b, bool strict, struct diag *dg)
{
	struct ruleset *rs = ruleset_subset(policy_ruleset(def), b->groups, b->n_groups);
	char where[300];

	e->own_sg = true;
	e->bind = b;
	snprintf(e->eni_id, sizeof(e->eni_id), "%s", b->eni_id ? b->eni_id : "");
	snprintf(where, sizeof(where), "eni statement of %s:%u:",
		 b->origin.file ? b->origin.file : "?", b->origin.line);
	if (resolve(e, b->ifname, where, strict) < 0) {
		ruleset_free(rs);
		return -1;
	}
	e->pol = rs ? policy_from_ruleset(rs, policy_acl(def) != NULL, true) : NULL;
	if (!e->pol) {
		diag_error(dg, b->origin.file, "eni %s: %s", b->ifname, strerror(errno));
		return -1;
	}
	policy_set_opts(e->pol, policy_opts(def));
	return 0;
}

/* The eni statements of the default rules, each an interface of the set. */
static bool load_bindings(struct pset *ps, const struct eni_spec *sg, size_t n_sg,
			  const struct eni_spec *nacl, size_t n_nacl, bool strict,
			  struct diag *dg)
{
	const struct ruleset *rs = policy_ruleset(ps->def);
	bool ok = true;
	size_t i;

	for (i = 0; i < rs->n_enis; i++) {
		const struct ruleset_eni *b = &rs->enis[i];

		if (by_name(sg, n_sg, b->ifname) || by_name(nacl, n_nacl, b->ifname)) {
			diag_add(dg, DIAG_ERROR, b->origin.file, b->origin.line, 0, NULL,
				 "interface %s is bound by this eni statement and named by %s too: give its groups in one place",
				 b->ifname, by_name(sg, n_sg, b->ifname) ? "--eni" : "--nacl");
			ok = false;
			continue;
		}
		ok &= load_bound(&ps->eni[ps->n++], ps->def, b, strict, dg) == 0;
	}
	return ok;
}

static struct pset *load_all(const struct policy_src *src, const struct eni_spec *sg,
			     size_t n_sg, const struct eni_spec *nacl, size_t n_nacl,
			     bool strict, struct diag *dg)
{
	struct policy *def = policy_load(src, dg);
	size_t n_bind = def ? policy_ruleset(def)->n_enis : 0;
	struct pset *ps = pset_new(n_sg + n_nacl + n_bind);
	bool ok;
	size_t i;

	if (!ps) {
		if (def)
			policy_free(def);
		return NULL;
	}
	ps->def = def;
	ok = ps->def != NULL;
	/* Every file is read, every error collected, as for the default policy. */
	for (i = 0; i < n_sg; i++)
		ok &= load_one(&ps->eni[ps->n++], src, sg[i].ifname, &sg[i],
			       by_name(nacl, n_nacl, sg[i].ifname), strict, dg) == 0;
	/* Interfaces with an ACL of their own and the default groups. */
	for (i = 0; i < n_nacl; i++)
		if (!by_name(sg, n_sg, nacl[i].ifname))
			ok &= load_one(&ps->eni[ps->n++], src, nacl[i].ifname, NULL,
				       &nacl[i], strict, dg) == 0;
	if (ok)
		ok = load_bindings(ps, sg, n_sg, nacl, n_nacl, strict, dg);
	if (!ok) {
		pset_free(ps);
		return NULL;
	}
	return ps;
}

struct pset *pset_load(const struct policy_src *src, const struct pset_args *a,
		       bool strict, struct diag *dg)
{
	struct eni_spec *sg = calloc(a->n_eni + 1, sizeof(*sg));
	struct eni_spec *nacl = calloc(a->n_nacl + 1, sizeof(*nacl));
	struct pset *ps = NULL;
	size_t i;

	if (sg && nacl && parse_all("--eni", a->eni, a->n_eni, sg) == 0 &&
	    parse_all("--nacl", a->nacl, a->n_nacl, nacl) == 0)
		ps = load_all(src, sg, a->n_eni, nacl, a->n_nacl, strict, dg);
	for (i = 0; sg && i < a->n_eni; i++)
		eni_spec_clear(&sg[i]);
	for (i = 0; nacl && i < a->n_nacl; i++)
		eni_spec_clear(&nacl[i]);
	free(sg);
	free(nacl);
	return ps;
}
