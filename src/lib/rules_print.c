/*
 * The canonical form of a ruleset in the native rule language, the inverse
 * of the parser: print(parse(print(x))) == print(x). Also the comparison
 * the round-trip tests use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* ---- order ---------------------------------------------------------- */

/* Is NACL entry a before b: by number, then by position (stable)? */
static bool nacl_before(const struct ruleset *rs, const struct nacl_entry *a,
			const struct nacl_entry *b)
{
	if (a->number != b->number)
		return a->number < b->number;
	return a - rs->nacl < b - rs->nacl;
}

/*
 * The entry of one direction that follows prev (NULL: the first) in
 * number order, or NULL. Quadratic, allocation-free: for comparisons and
 * when memory runs out; printing sorts (nacl_sorted).
 */
static const struct nacl_entry *nacl_next(const struct ruleset *rs, bool egress,
					  const struct nacl_entry *prev)
{
	const struct nacl_entry *best = NULL, *e;
	size_t i;

	for (i = 0; i < rs->n_nacl; i++) {
		e = &rs->nacl[i];
		if (e->egress != egress || (prev && !nacl_before(rs, prev, e)))
			continue;
		if (!best || nacl_before(rs, e, best))
			best = e;
	}
	return best;
}

/* The next rule of group g in one direction at index >= *i, or NULL. */
static const struct sg_entry *sg_next(const struct ruleset *rs, size_t g, bool egress,
				      size_t *i)
{
	for (; *i < rs->n_sg; (*i)++)
		if (rs->sg[*i].group == g && rs->sg[*i].egress == egress)
			return &rs->sg[(*i)++];
	return NULL;
}

/* ---- fields --------------------------------------------------------- */

const char *rules_proto_text(int proto, char *buf, size_t len)
{
	const char *n = proto_name(proto);

	if (n)
		return n;
	snprintf(buf, len, "%d", proto);
	return buf;
}

/* tcp/udp: N, N-M or all; ICMP: T, T/C, or nothing for all; others nothing. */
static const char *range_text(int proto, int32_t from, int32_t to, char *buf, size_t len)
{
	buf[0] = '\0';
	if (proto == 6 || proto == 17) {
		if (from < 0 || (from == 0 && to == 65535))
			snprintf(buf, len, "all");
		else if (from == to)
			snprintf(buf, len, "%d", from);
		else
			snprintf(buf, len, "%d-%d", from, to);
	} else if ((proto == 1 || proto == 58) && from >= 0) {
		if (to < 0)
			snprintf(buf, len, "%d", from);
		else
			snprintf(buf, len, "%d/%d", from, to);
	}
	return buf;
}

/*
 * A string with \" and \\ escaped. The parser takes no control
 * characters; one that came from elsewhere (JSON) is printed as a space.
 */
static void print_string(const char *s, FILE *out)
{
	unsigned char c;

	fputc('"', out);
	for (; *s; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fputc('\\', out);
		fputc(c < 0x20 || c == 0x7f ? ' ' : c, out);
	}
	fputc('"', out);
}

const char *rules_nacl_text(const struct nacl_entry *e, char *buf, size_t len)
{
	char num[12], proto[8], range[24], cidr[CIDR_STRLEN];
	bool icmp = e->proto == 1 || e->proto == 58;

	if (e->number > NACL_RULE_MAX)
		snprintf(num, sizeof(num), "*");
	else
		snprintf(num, sizeof(num), "%u", e->number);
	range_text(e->proto, icmp ? e->icmp_type : e->port_from,
		   icmp ? e->icmp_code : e->port_to, range, sizeof(range));
	snprintf(buf, len, "%s %s %s%s%s %s", num, e->allow ? "allow" : "deny",
		 rules_proto_text(e->proto, proto, sizeof(proto)), range[0] ? " " : "", range,
		 cidr_format(&e->cidr, cidr, sizeof(cidr)));
	return buf;
}

const char *rules_sg_text(const struct sg_entry *e, char *buf, size_t len)
{
	char proto[8], range[24], cidr[CIDR_STRLEN];

	range_text(e->proto, e->from, e->to, range, sizeof(range));
	snprintf(buf, len, "%s%s%s %s", rules_proto_text(e->proto, proto, sizeof(proto)),
		 range[0] ? " " : "", range, cidr_format(&e->cidr, cidr, sizeof(cidr)));
	return buf;
}

/* ---- sections ------------------------------------------------------- */

static void print_nacl_line(const char *num, const char *action, const char *proto,
			    const char *range, const char *cidr, FILE *out)
{
	fprintf(out, "  %-6s %-6s %-7s %-11s %s\n", num, action, proto, range, cidr);
}

static int cmp_nacl(const void *x, const void *y)
{
	const struct nacl_entry *a = *(const struct nacl_entry *const *)x;
	const struct nacl_entry *b = *(const struct nacl_entry *const *)y;

	if (a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return (a > b) - (a < b);	/* position: the same order as nacl_before */
}

/* One direction's entries in number order, NULL-terminated; NULL without memory. */
static const struct nacl_entry **nacl_sorted(const struct ruleset *rs, bool egress)
{
	const struct nacl_entry **v = calloc(rs->n_nacl + 1, sizeof(*v));
	size_t i, n = 0;

	if (!v)
		return NULL;
	for (i = 0; i < rs->n_nacl; i++)
		if (rs->nacl[i].egress == egress)
			v[n++] = &rs->nacl[i];
	qsort(v, n, sizeof(*v), cmp_nacl);
	return v;
}

static void print_nacl_dir(const struct ruleset *rs, bool egress, FILE *out)
{
	const struct nacl_entry **v = nacl_sorted(rs, egress), *e = NULL;
	char num[12], proto[8], range[24], cidr[CIDR_STRLEN];
	size_t k = 0;
	bool icmp;

	fprintf(out, "%s\n", egress ? "outbound" : "inbound");
	while ((e = v ? v[k++] : nacl_next(rs, egress, e))) {
		icmp = e->proto == 1 || e->proto == 58;
		snprintf(num, sizeof(num), "%u", e->number);
		print_nacl_line(num, e->allow ? "allow" : "deny",
				rules_proto_text(e->proto, proto, sizeof(proto)),
				range_text(e->proto, icmp ? e->icmp_type : e->port_from,
					   icmp ? e->icmp_code : e->port_to, range, sizeof(range)),
				cidr_format(&e->cidr, cidr, sizeof(cidr)), out);
	}
	print_nacl_line("*", "deny", "all", "", "0.0.0.0/0", out);
	print_nacl_line("*", "deny", "all", "", "::/0", out);
	free(v);
}

static void print_nacl(const struct ruleset *rs, FILE *out)
{
	fprintf(out, "nacl %s\n", rs->nacl_id ? rs->nacl_id : "-");
	print_nacl_dir(rs, false, out);
	print_nacl_dir(rs, true, out);
}

/* A rule mapped from an sg-/pl- id shows the id in a comment. */
static void print_sg_rule(const struct sg_entry *e, FILE *out)
{
	char proto[8], range[24], cidr[CIDR_STRLEN];

	fprintf(out, "  %-7s %-11s ", rules_proto_text(e->proto, proto, sizeof(proto)),
		range_text(e->proto, e->from, e->to, range, sizeof(range)));
	cidr_format(&e->cidr, cidr, sizeof(cidr));
	if (!e->description && !e->ref) {
		fprintf(out, "%s\n", cidr);
		return;
	}
	fprintf(out, "%-18s ", cidr);
	if (e->description)
		print_string(e->description, out);
	if (e->ref)
		fprintf(out, "%s# from %s", e->description ? " " : "", e->ref);
	fputc('\n', out);
}

static void print_group(const struct ruleset *rs, size_t g, const size_t *by_group, FILE *out)
{
	const struct sg_entry *e;
	size_t i;
	int egress;

	fprintf(out, "sg %s", rs->groups[g].id);
	if (rs->groups[g].name) {
		fputc(' ', out);
		print_string(rs->groups[g].name, out);
	}
	fputc('\n', out);
	for (egress = 0; egress <= 1; egress++) {
		fprintf(out, "%s\n", egress ? "outbound" : "inbound");
		if (!by_group) {
			for (i = 0; (e = sg_next(rs, g, egress, &i));)
				print_sg_rule(e, out);
			continue;
		}
		for (i = 0; by_group[i] < rs->n_sg && rs->sg[by_group[i]].group == g; i++)
			if (rs->sg[by_group[i]].egress == egress)
				print_sg_rule(&rs->sg[by_group[i]], out);
	}
}

static int cmp_group(const void *x, const void *y, void *ctx)
{
	const struct ruleset *rs = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	uint32_t ga = rs->sg[a].group, gb = rs->sg[b].group;

	if (ga != gb)
		return ga < gb ? -1 : 1;
	return (a > b) - (a < b);
}

/*
 * The SG rules' indices by group, then position, ending with n_sg; NULL
 * without memory (then each group is found by a scan of all rules).
 */
static size_t *sg_by_group(const struct ruleset *rs)
{
	size_t *v = calloc(rs->n_sg + 1, sizeof(*v)), i;

	if (!v)
		return NULL;
	for (i = 0; i <= rs->n_sg; i++)
		v[i] = i;
	qsort_r(v, rs->n_sg, sizeof(*v), cmp_group, (void *)rs);
	return v;
}

/* The eni statements, after the groups they name. */
static void print_enis(const struct ruleset *rs, FILE *out)
{
	size_t i, k;

	for (i = 0; i < rs->n_enis; i++) {
		const struct ruleset_eni *e = &rs->enis[i];

		fprintf(out, "%seni %s%s%s", i ? "" : "\n", e->ifname, e->eni_id ? " " : "",
			e->eni_id ? e->eni_id : "");
		for (k = 0; k < e->n_groups; k++)
			fprintf(out, " %s", rs->groups[e->groups[k]].id);
		fputc('\n', out);
	}
}

void rules_print(const struct ruleset *rs, FILE *out)
{
	size_t *by_group = sg_by_group(rs), at = 0, g;

	if (rs->has_nacl)
		print_nacl(rs, out);
	for (g = 0; g < rs->n_groups; g++) {
		if (rs->has_nacl || g)
			fputc('\n', out);
		/* Rules of groups out of range (none from the loaders) are not printed, as before. */
		while (by_group && at < rs->n_sg && rs->sg[by_group[at]].group < g)
			at++;
		print_group(rs, g, by_group ? by_group + at : NULL, out);
	}
	free(by_group);
	print_enis(rs, out);
}

/* ---- comparison ----------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool nacl_eq(const struct nacl_entry *a, const struct nacl_entry *b)
{
	return a->number == b->number && a->egress == b->egress && a->allow == b->allow &&
	       a->proto == b->proto && a->port_from == b->port_from &&
	       a->port_to == b->port_to && a->icmp_type == b->icmp_type &&
	       a->icmp_code == b->icmp_code && !memcmp(&a->cidr, &b->cidr, sizeof(a->cidr));
}

static bool sg_eq(const struct sg_entry *a, const struct sg_entry *b)
{
	return a->egress == b->egress && a->proto == b->proto && a->from == b->from &&
	       a->to == b->to && a->group == b->group &&
	       !memcmp(&a->cidr, &b->cidr, sizeof(a->cidr)) &&
	       str_eq(a->description, b->description);
}

static bool nacls_equal(const struct ruleset *a, const struct ruleset *b)
{
	const struct nacl_entry *x, *y;
	int egress;

	if (a->has_nacl != b->has_nacl || !str_eq(a->nacl_id, b->nacl_id) ||
	    a->n_nacl != b->n_nacl)
		return false;
	for (egress = 0; egress <= 1; egress++) {
		x = y = NULL;
		do {
			x = nacl_next(a, egress, x);
			y = nacl_next(b, egress, y);
			if (x && y && !nacl_eq(x, y))
				return false;
		} while (x && y);
		if (x || y)
			return false;
	}
	return true;
}

static bool group_equal(const struct ruleset *a, const struct ruleset *b, size_t g)
{
	const struct sg_entry *x, *y;
	size_t i, j;
	int egress;

	if (strcmp(a->groups[g].id, b->groups[g].id) ||
	    !str_eq(a->groups[g].name, b->groups[g].name))
		return false;
	for (egress = 0; egress <= 1; egress++) {
		i = j = 0;
		do {
			x = sg_next(a, g, egress, &i);
			y = sg_next(b, g, egress, &j);
			if (x && y && !sg_eq(x, y))
				return false;
		} while (x && y);
		if (x || y)
			return false;
	}
	return true;
}

static bool eni_equal(const struct ruleset_eni *a, const struct ruleset_eni *b)
{
	return !strcmp(a->ifname, b->ifname) && str_eq(a->eni_id, b->eni_id) &&
	       a->n_groups == b->n_groups &&
	       !memcmp(a->groups, b->groups, a->n_groups * sizeof(*a->groups));
}

bool rules_equal(const struct ruleset *a, const struct ruleset *b)
{
	size_t g;

	if (!nacls_equal(a, b) || a->n_groups != b->n_groups || a->n_sg != b->n_sg ||
	    a->n_enis != b->n_enis)
		return false;
	for (g = 0; g < a->n_groups; g++)
		if (!group_equal(a, b, g))
			return false;
	for (g = 0; g < a->n_enis; g++)
		if (!eni_equal(&a->enis[g], &b->enis[g]))
			return false;
	return true;
}
