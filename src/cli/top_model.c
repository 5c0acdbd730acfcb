/* vpcfw top: rates, the busiest rules, lines that fit (top_model.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top_model.h"

uint64_t top_delta(uint64_t before, uint64_t now)
{
	return now >= before ? now - before : now;
}

uint64_t top_rate(uint64_t delta, uint64_t ms)
{
	if (!ms)
		return 0;
	/* delta * 1000 would overflow only past 1.8e16 packets in one interval. */
	return (delta * 1000 + ms / 2) / ms;
}

/* The name, then what it matches: IPv4's and IPv6's catch-all share "nacl-in:*". */
static int by_rule(const void *a, const void *b)
{
	const struct top_rule *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->what, y->what);
}

void top_rules_delta(struct top_rule *before, size_t n_before,
		     struct top_rule *now, size_t n_now)
{
	size_t i;

	if (n_before)
		qsort(before, n_before, sizeof(*before), by_rule);
	for (i = 0; i < n_now; i++) {
		const struct top_rule *b = n_before ?
			bsearch(&now[i], before, n_before, sizeof(*before), by_rule) : NULL;

		now[i].delta = b ? top_delta(b->packets, now[i].packets) : now[i].packets;
	}
}

size_t top_pick(const struct top_rule *r, size_t n, size_t *idx, size_t max)
{
	size_t k = 0, i, j;

	/* Insertion into a short sorted list: max is a screenful. */
	for (i = 0; i < n; i++) {
		if (!r[i].delta)
			continue;
		for (j = k; j > 0 && r[idx[j - 1]].delta < r[i].delta; j--)
			if (j < max)
				idx[j] = idx[j - 1];
		if (j < max) {
			idx[j] = i;
			if (k < max)
				k++;
		}
	}
	return k;
}

char *top_fit(const char *s, size_t width, char *buf, size_t len)
{
	size_t i;

	if (!len)
		return buf;
	for (i = 0; s[i] && i < width && i + 1 < len; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

int top_drop_line(const char *line, char *buf, size_t len)
{
	const char *drop = strstr(line, " DROP: "), *prose, *last, *p, *end, *pk;
	char rule[48];
	size_t n;

	/* "HH:MM:SS.mmm qN DIR PACKET DROP: ..." */
	if (!drop || strlen(line) < 13 || line[8] != '.' || line[12] != ' ' || line[13] != 'q')
		return -1;
	pk = strchr(line + 13, ' ');
	if (!pk || pk > drop)
		return -1;
	while (*pk == ' ')
		pk++;
	prose = drop + 7;
	end = prose + strcspn(prose, "\n");
	/* The interface the line names, if any, is not the rule's. */
	if (end > prose && end[-1] == ']' && (p = strstr(prose, " [")) && p < end) {
		const char *q;

		while ((q = strstr(p + 2, " [")) && q < end)
			p = q;
		end = p;
	}
	last = prose;
	for (p = prose; (p = strstr(p, ", then ")) && p < end; p += 7)
		last = p + 7;
	n = strcspn(last, "(:\n");
	/* "nacl-in:100": the colon is part of a name; "unjudged:" ends one. */
	if (last[n] == ':' && last + n + 1 < end && last[n + 1] != ' ')
		n += 1 + strcspn(last + n + 1, "(:\n");
	if (last + n > end)
		n = (size_t)(end - last);
	while (n && last[n - 1] == ' ')
		n--;
	snprintf(rule, sizeof(rule), "%.*s", (int)n, last);
	snprintf(buf, len, "%.8s %-16s %.*s", line, rule, (int)(drop - pk), pk);
	return 0;
}
