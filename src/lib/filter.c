/* The filter grammar of `show flows` and `trace` (a sorted keyword table), and its match. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "filter.h"
#include "num.h"
#include "pkt.h"
#include "ruleset.h"

/* Where a word's parser says why it failed. */
struct why {
	char *buf;
	size_t len;
};

static int PRINTF_FMT(2, 3) fail(struct why *w, const char *fmt, ...)
{
	va_list ap;

	if (w->buf && w->len) {
		va_start(ap, fmt);
		vsnprintf(w->buf, w->len, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

static int parse_addr(struct filter *f, const char *v, struct why *w)
{
	char cidr[64];
	int n;

	/* A bare address is a block of one. */
	n = snprintf(cidr, sizeof(cidr), strchr(v, '/') ? "%s" :
		     strchr(v, ':') ? "%s/128" : "%s/32", v);
	if (n < 0 || (size_t)n >= sizeof(cidr) || cidr_parse(cidr, &f->addr) < 0)
		return fail(w, "addr '%s': an address or a CIDR block", v);
	f->have_addr = true;
	return 0;
}

static int parse_port(struct filter *f, const char *v, struct why *w)
{
	uint64_t n;

	if (num_parse(v, 0, 65535, &n) < 0)
		return fail(w, "port '%s': 0 to 65535", v);
	f->port = (int)n;
	return 0;
}

static int parse_proto(struct filter *f, const char *v, struct why *w)
{
	uint64_t n;
	int i;

	for (i = 0; i < 256; i++)
		if (proto_name(i) && !strcmp(proto_name(i), v)) {
			f->proto = i;
			return 0;
		}
	if (num_parse(v, 0, 255, &n) < 0)
		return fail(w, "proto '%s': a protocol name such as tcp, or 0 to 255", v);
	f->proto = (int)n;
	return 0;
}

static int parse_verdict(struct filter *f, const char *v, struct why *w)
{
	if (!strcmp(v, "accept") || !strcmp(v, "drop")) {
		f->verdict = !strcmp(v, "accept");
		return 0;
	}
	return fail(w, "verdict '%s': accept or drop", v);
}

static int parse_iface(struct filter *f, const char *v, struct why *w)
{
	/* What the kernel takes as a name: 1 to 15 bytes, no '/', no space. */
	if (strlen(v) >= sizeof(f->iface) || strchr(v, '/'))
		return fail(w, "iface '%s': an interface name of 1 to %zu characters, no '/'",
			    v, sizeof(f->iface) - 1);
	strcpy(f->iface, v);
	return 0;
}

/* Sorted by name; `needs` is the filter_parse() key bit a grammar must allow. */
static const struct {
	const char *name;
	int (*parse)(struct filter *f, const char *v, struct why *w);
	unsigned needs;
} filter_keys[] = {
	{ "addr", parse_addr, 0 },
	{ "iface", parse_iface, FILTER_IFACE },
	{ "port", parse_port, 0 },
	{ "proto", parse_proto, 0 },
	{ "verdict", parse_verdict, FILTER_VERDICT },
};

/* One "key=value" word (modified in place). */
static int filter_word(struct filter *f, char *word, unsigned keys, struct why *w)
{
	char *v = strchr(word, '=');
	size_t i;

	if (!v)
		return fail(w, "'%s': KEY=VALUE expected", word);
	*v++ = '\0';
	for (i = 0; i < ARRAY_SIZE(filter_keys); i++) {
		if (strcmp(word, filter_keys[i].name) ||
		    (filter_keys[i].needs & ~keys))
			continue;
		if (!*v)
			return fail(w, "%s: an empty value", word);
		return filter_keys[i].parse(f, v, w);
	}
	return fail(w, "unknown filter '%s' (proto, addr, port%s%s)", word,
		    keys & FILTER_VERDICT ? ", verdict" : "",
		    keys & FILTER_IFACE ? ", iface" : "");
}

bool filter_match(const struct filter *f, const struct filter_tuple *t)
{
	bool ports = t->proto == IPPROTO_NUM_TCP || t->proto == IPPROTO_NUM_UDP;

	if (f->proto >= 0 && (!t->family || t->proto != f->proto))
		return false;
	if (f->port >= 0 && (!ports || (t->sport != f->port && t->dport != f->port)))
		return false;
	if (f->have_addr && !cidr_contains(&f->addr, t->family, t->src) &&
	    !cidr_contains(&f->addr, t->family, t->dst))
		return false;
	if (f->iface[0] && (!t->iface || strcmp(f->iface, t->iface)))
		return false;
	return true;
}

int filter_parse(struct filter *f, const char *args, unsigned keys,
		 char *err, size_t errlen)
{
	struct why w = { err, errlen };
	char buf[256], *save = NULL, *word;

	memset(f, 0, sizeof(*f));
	f->proto = -1;
	f->port = -1;
	f->verdict = -1;
	if (!args)
		return 0;
	if (strlen(args) >= sizeof(buf))
		return fail(&w, "the filter is longer than %zu bytes", sizeof(buf) - 1);
	strcpy(buf, args);
	for (word = strtok_r(buf, " ", &save); word; word = strtok_r(NULL, " ", &save))
		if (filter_word(f, word, keys, &w) < 0)
			return -1;
	return 0;
}
