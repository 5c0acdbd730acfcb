/* vpcfw top: two samples and the drops made into the lines of one view. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "top_int.h"

/* One more line, cut to the view's width; none past its last. */
static void PRINTF_FMT(2, 3) put(struct top_view *v, const char *fmt, ...)
{
	char raw[TOP_LINE];
	va_list ap;

	if (v->n == v->max)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	top_fit(raw, v->width, v->l[v->n++], TOP_LINE);
}

#define DELTA(t, field) top_delta((t)->prev.field, (t)->cur.field)
#define RATE(t, field, ms) top_rate(DELTA(t, field), ms)

static void view_rates(struct top_view *v, const struct top *t, uint64_t ms)
{
	uint64_t nacl = DELTA(t, nacl_drop), sg = DELTA(t, sg_drop) + DELTA(t, table_full);
	uint64_t drop = DELTA(t, dropped), other = drop > nacl + sg ? drop - nacl - sg : 0;
	uint64_t nacl_d = top_rate(nacl, ms), sg_d = top_rate(sg, ms);
	uint64_t sg_p = top_rate(DELTA(t, sg_new) + DELTA(t, sg_flow) + DELTA(t, sg_untracked), ms);

	put(v, "packets/s      pass      drop   (each layer's own say; total: the verdicts)");
	put(v, "  nacl   %9llu %9llu", U(RATE(t, nacl_allow, ms)), U(nacl_d));
	put(v, "  sg     %9llu %9llu%s", U(sg_p), U(sg_d), t->cur.table_full != t->prev.table_full ?
	    "   (flow table full)" : "");
	put(v, "  exempt %9llu         -   (AWS never filters it)", U(RATE(t, infra, ms)));
	put(v, "  other          - %9llu   (malformed, unjudged)", U(top_rate(other, ms)));
	put(v, "  total  %9llu %9llu", U(RATE(t, accepted, ms)), U(top_rate(drop, ms)));
}

static void view_flows(struct top_view *v, const struct top *t, uint64_t ms)
{
	char line[TOP_LINE];
	size_t i, used;
	int n;

	/* AWS's names, shortened to fit: conntrack_allowance_available, _exceeded. */
	put(v, "tracking allowance: available %llu of %llu, exceeded %llu (+%llu/s)",
	    U(t->cur.allowance_available), U(t->cur.cap), U(t->cur.allowance_exceeded),
	    U(RATE(t, allowance_exceeded, ms)));
	n = snprintf(line, sizeof(line), "flows %llu:", U(t->cur.flows));
	used = n > 0 ? (size_t)n : 0;
	for (i = 0; i < t->cur.n_states && used < sizeof(line); i++) {
		if (!t->cur.state[i])
			continue;
		n = snprintf(line + used, sizeof(line) - used, " %s %llu", t->cur.state_name[i],
			     U(t->cur.state[i]));
		used += n > 0 ? (size_t)n : 0;
	}
	put(v, "%s", t->cur.flows ? line : "flows 0");
}

static void view_rules(struct top_view *v, struct top *t, uint64_t ms, size_t max)
{
	size_t idx[32], k, i;

	if (max > ARRAY_SIZE(idx))
		max = ARRAY_SIZE(idx);
	top_rules_delta(t->prev.rules, t->prev.n_rules, t->cur.rules, t->cur.n_rules);
	k = top_pick(t->cur.rules, t->cur.n_rules, idx, max);
	put(v, "rules hit most: packets/s  rule  what it matches");
	for (i = 0; i < k; i++) {
		const struct top_rule *r = &t->cur.rules[idx[i]];

		/* The rate first: a long group id must not push it out of sight. */
		put(v, "  %9llu  %s  %s", U(top_rate(r->delta, ms)), r->name, r->what);
	}
	if (!k)
		put(v, "  (no rule counted a packet)");
}

static void view_drops(struct top_view *v, struct top *t, size_t max)
{
	struct top_drops *d = &t->drops;
	size_t first = t->batch ? d->shown : 0, i, shown = 0;

	if (d->fd < 0 && !d->n) {
		put(v, "newest drops: not followed (%s)", d->why);
		return;
	}
	if (d->lost)
		put(v, "newest drops (%llu lost on the way since top started)", U(d->lost));
	else
		put(v, "newest drops%s", t->batch ? " in the interval" : "");
	if (first + TOP_DROPS < d->n)
		first = d->n - TOP_DROPS;
	for (i = d->n; i > first && shown < max; i--, shown++)
		put(v, "  %s", d->line[(i - 1) % TOP_DROPS]);
	if (!shown)
		put(v, "  (none)");
	else if (t->batch && d->n - first > shown)
		put(v, "  (and %zu more)", d->n - first - shown);
	d->shown = d->n;
}

/* Everything of one interval into v, fitted to v->max lines of v->width. */
void top_view_build(struct top_view *v, struct top *t)
{
	uint64_t ms = t->cur.at_ms - t->prev.at_ms;
	size_t rules, left;
	char clock[16];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	v->n = 0;
	put(v, "vpcfw top - %s  pid %llu  up %llus  rules gen %llu  every %.1fs%s", clock,
	    U(t->cur.pid), U(t->cur.uptime_s), U(t->cur.generation),
	    (double)t->interval_ms / 1000, t->batch ? "" : "  q: quit");
	view_rates(v, t, ms);
	view_flows(v, t, ms);
	/* What is left is shared: the rules first, at most half, then the drops. */
	left = v->max > v->n + 3 ? v->max - v->n - 3 : 1;
	rules = t->batch ? 5 : left / 2 ? left / 2 : 1;
	if (rules > 10)
		rules = 10;
	view_rules(v, t, ms, rules);
	left = v->max > v->n + 1 ? v->max - v->n - 1 : 1;
	view_drops(v, t, t->batch ? 5 : left);
}

void top_view_waiting(struct top_view *v, const struct top *t)
{
	v->n = 0;
	put(v, "vpcfw top: asking the engine on %s ...  q: quit", t->path);
}
