/*
 * `vpcfw apply` says what it changes before the new rules go in force: the
 * exact difference (rdiff.h) between the rules the engine runs and the
 * candidate, computed here where both are compiled with the engine's own
 * --map, --subnet and files, so the command line needs neither the files
 * nor the maps. The interfaces with rules of their own (--eni) each get
 * their difference too.
 */
#include <stdio.h>
#include <string.h>

#include "daemon_int.h"
#include "rdiff.h"

/* One policy against another; false when it could not be computed. */
static bool print_one(const char *title, const struct policy *old,
		      const struct policy *np, FILE *out)
{
	struct rdiff *rd = rdiff_new(old, np, 0, 0);

	if (!rd) {
		fprintf(out, "%s: the difference could not be computed (out of memory)\n", title);
		return false;
	}
	if (!rd->n && !rd->cut)
		fprintf(out, "%s: no change in what the rules admit\n", title);
	else
		fprintf(out, "%s:\n", title);
	rdiff_print(rd, 0, out);
	rdiff_free(rd);
	return true;
}

static const struct policy *old_eni(const struct pset *old, const char *ifname)
{
	size_t i;

	for (i = 0; i < old->n; i++)
		if (!strcmp(old->eni[i].ifname, ifname))
			return old->eni[i].pol;
	return old->def;
}

void daemon_print_diff(const struct pset *old, const struct pset *np, FILE *out)
{
	char title[64];
	size_t i;

	print_one("what the new rules change", old->def, np->def, out);
	for (i = 0; i < np->n; i++) {
		snprintf(title, sizeof(title), "on %s", np->eni[i].ifname);
		print_one(title, old_eni(old, np->eni[i].ifname), np->eni[i].pol, out);
	}
}
