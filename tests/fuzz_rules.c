/*
 * libFuzzer harness for the native rule language, with the round-trip
 * oracle (`make fuzz`, tests/fuzz/; the dictionary is tests/rules/fuzz.dict),
 * through the public header alone.
 *
 * The input is a rule file, loaded as `vpcfw check` does (every section it
 * holds) with a fixed --map. When it has errors, the lines reported are
 * blanked and it is loaded again (a few times), so that most inputs reach
 * the oracle. Once it parses cleanly it is printed (p1),
 * the print is parsed (it must be clean and hold the same rules,
 * rules_equal) and printed again (p2): p2 must equal p1 but for the
 * "# from ID" comments of references, which the CIDRs replace; a third
 * round must print p2 exactly (the fixpoint). Any difference aborts.
 * The input is also loaded with the sections chosen by its first byte,
 * for the take errors.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpcfw/vpcfw.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print(const struct vpcfw_rules *rs, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f || vpcfw_rules_write(rs, VPCFW_FORMAT_NATIVE, f) < 0)
		abort();
	fclose(f);
	return buf;
}

/* Native text, loaded for the sections it holds (`check`), or for `layers`. */
static int load(struct vpcfw_rules *rs, unsigned layers, const char *text, size_t len,
		const struct vpcfw_maps *map, struct vpcfw_diag *d)
{
	struct vpcfw_load how = { .format = VPCFW_FORMAT_NATIVE, .layers = layers, .maps = map };

	return vpcfw_rules_load_buffer(rs, "fuzz", text, len, &how, d);
}

/* A clean parse of text into a new rule set, or NULL (errors in d). */
static struct vpcfw_rules *parse(const char *text, size_t len, const struct vpcfw_maps *map,
				 struct vpcfw_diag *d)
{
	struct vpcfw_rules *rs = vpcfw_rules_new();

	if (!rs)
		abort();
	if (load(rs, 0, text, len, map, d) == 0)
		return rs;
	vpcfw_rules_free(rs);
	return NULL;
}

/* The line number of an error message "fuzz:L:C: error: ..." or "fuzz:L: error: ...", or 0. */
static unsigned error_line(const char *msg)
{
	unsigned n = 0, c;
	int end = 0;

	if (sscanf(msg, "fuzz:%u:%u: error:%n", &n, &c, &end) == 2 && end > 0)
		return n;
	end = 0;
	if (sscanf(msg, "fuzz:%u: error:%n", &n, &end) == 1 && end > 0)
		return n;
	return 0;
}

/* Blank line `no` (from 1) of text, keeping its newline; false if it is empty. */
static bool blank_line(char *text, size_t len, unsigned no)
{
	size_t pos = 0, start;
	unsigned at = 1;

	for (; pos < len && at < no; pos++)
		at += text[pos] == '\n';
	for (start = pos; pos < len && text[pos] != '\n'; pos++)
		text[pos] = ' ';
	return pos > start;
}

/* Blank every line d reports an error on; false if that changes nothing. */
static bool blank_bad_lines(char *text, size_t len, struct vpcfw_diag *d)
{
	char *out = NULL, *p;
	size_t outlen = 0;
	unsigned no;
	bool any = false;
	FILE *f = open_memstream(&out, &outlen);

	if (!f)
		abort();
	vpcfw_diag_print(d, f);
	fclose(f);
	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		no = error_line(p);
		if (no)
			any |= blank_line(text, len, no);
	}
	free(out);
	return any;
}

static void die(const char *why, const char *p1, const char *p2, struct vpcfw_diag *d)
{
	fprintf(stderr, "round trip: %s\n--- first print\n%s--- second print\n%s---\n", why,
		p1, p2 ? p2 : "(none)\n");
	vpcfw_diag_print(d, stderr);
	abort();
}

/* Is `a` the line `b` with a reference's comment after it ("  # from sg-1")? */
static bool same_but_ref(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = nb;

	if (na < nb || memcmp(a, b, nb))
		return false;
	if (na == nb)
		return true;
	while (i < na && a[i] == ' ')
		i++;
	if (i == nb || na - i < 8 || memcmp(a + i, "# from ", 7))
		return false;
	for (i += 7; i < na; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') ||
		      (a[i] >= '0' && a[i] <= '9') || a[i] == '-'))
			return false;
	return true;
}

static bool prints_agree(const char *p1, const char *p2)
{
	const char *e1, *e2;

	for (; *p1 && *p2; p1 = e1 + 1, p2 = e2 + 1) {
		e1 = strchr(p1, '\n');
		e2 = strchr(p2, '\n');
		if (!e1 || !e2 || !same_but_ref(p1, (size_t)(e1 - p1), p2, (size_t)(e2 - p2)))
			return false;
	}
	return !*p1 && !*p2;
}

static void round_trip(const struct vpcfw_rules *rs, const struct vpcfw_maps *map,
		       struct vpcfw_diag *d)
{
	struct vpcfw_rules *rs2, *rs3;
	size_t l1, l2, l3;
	char *p1 = print(rs, &l1), *p2, *p3;

	rs2 = parse(p1, l1, map, d);
	if (!rs2)
		die("the print does not parse", p1, NULL, d);
	if (!vpcfw_rules_equal(rs, rs2))
		die("the print parses to other rules", p1, NULL, d);
	p2 = print(rs2, &l2);
	if (!prints_agree(p1, p2))
		die("the prints differ", p1, p2, d);
	rs3 = parse(p2, l2, map, d);
	if (!rs3)
		die("the second print does not parse", p2, NULL, d);
	p3 = print(rs3, &l3);
	if (strcmp(p2, p3))
		die("no fixpoint", p2, p3, d);
	free(p1);
	free(p2);
	free(p3);
	vpcfw_rules_free(rs2);
	vpcfw_rules_free(rs3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpcfw_maps *map = vpcfw_maps_new();
	struct vpcfw_diag *d = vpcfw_diag_new();
	struct vpcfw_rules *rs, *other;

	char *text = malloc(size ? size : 1);
	int tries;

	if (!map || !d || !text || vpcfw_maps_add(map, "sg-1=10.1.0.0/16,2001:db8::/32") < 0 ||
	    vpcfw_maps_add(map, "pl-1=192.0.2.0/24") < 0)
		abort();
	memcpy(text, data, size);
	rs = parse(text, size, map, d);
	for (tries = 0; !rs && tries < 4 && blank_bad_lines(text, size, d); tries++) {
		vpcfw_diag_free(d);
		d = vpcfw_diag_new();
		if (!d)
			abort();
		rs = parse(text, size, map, d);
	}
	if (rs)
		round_trip(rs, map, d);
	free(text);
	other = vpcfw_rules_new();
	if (!other)
		abort();
	/* 1: --nacl, 2: --sg, 3: both; 0 is the sections it holds, as above. */
	load(other, size ? data[0] & 3 : 0, (const char *)data, size, map, d);
	vpcfw_rules_free(other);
	vpcfw_rules_free(rs);
	vpcfw_maps_free(map);
	vpcfw_diag_free(d);
	return 0;
}
