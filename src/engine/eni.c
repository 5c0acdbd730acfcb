/* --eni: argument parsing and the interface -> policy map (eni.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eni.h"
#include "log.h"

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

/* One ENI of the set: its interface and its policy. */
static int load_one(struct eni_pol *e, const struct policy_src *src, const char *arg,
		    bool strict, struct diag *dg)
{
	struct policy_src es = *src;
	struct eni_spec s;
	char why[128];

	if (eni_spec_parse(arg, &s, why, sizeof(why)) < 0) {
		if (errno == EINVAL)
			log_err("--eni %s: %s", arg, why);
		return -1;
	}
	memcpy(e->ifname, s.ifname, sizeof(e->ifname));
	e->ifindex = if_nametoindex(s.ifname);
	if (!e->ifindex) {
		if (strict) {
			log_err("--eni %s: no such interface", s.ifname);
			eni_spec_clear(&s);
			errno = ENODEV;
			return -1;
		}
		log_warn("--eni %s: no such interface now; its rules judge nothing",
			 s.ifname);
	}
	es.sg_files = (const char *const *)s.files;
	es.n_sg = s.n_files;
	e->pol = policy_load(&es, dg);
	eni_spec_clear(&s);
	return e->pol ? 0 : -1;
}

struct pset *pset_load(const struct policy_src *src, const char *const *eni_args,
		       size_t n_eni, bool strict, struct diag *dg)
{
	struct pset *ps = pset_new(n_eni);
	bool ok;
	size_t i;

	if (!ps)
		return NULL;
	ps->n = n_eni;
	ps->def = policy_load(src, dg);
	ok = ps->def != NULL;
	/* Every file is read, every error collected, as for the default policy. */
	for (i = 0; i < n_eni; i++)
		ok &= load_one(&ps->eni[i], src, eni_args[i], strict, dg) == 0;
	if (!ok) {
		pset_free(ps);
		return NULL;
	}
	return ps;
}
