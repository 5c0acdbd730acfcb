/*
 * vpcfw top: what it asks the engine, through the control socket only
 * (doc/control-protocol.md): `show stats json` for the packet counters and
 * the tracking allowance, `show rules json` for each rule's counter, `show
 * flows json summary` for the flows by state, every interval; and one
 * `trace verdict=drop` stream, read between the samples, for the drops.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common.h"
#include "ctl.h"
#include "exitcode.h"
#include "ruleset.h"
#include "top_int.h"

void top_sample_clear(struct top_sample *s)
{
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

/* A counter of the answer at path ("flows.cap"); 0 when absent. */
static uint64_t jnum(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	/* "a.b": one level down. */
	while ((dot = strchr(path, '.')) && o) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	o = o ? json_object_get(o, path) : NULL;
	return json_is_integer(o) && json_integer_value(o) > 0 ?
		(uint64_t)json_integer_value(o) : 0;
}

static int PRINTF_FMT(3, 4) fail_set(struct top_fail *f, int status, const char *fmt, ...)
{
	va_list ap;

	f->status = status;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* One request's answer parsed as JSON; NULL with f filled. */
static json_t *ask_json(const char *path, char *const *words, struct top_fail *f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	json_t *j = NULL;
	json_error_t jerr;
	int ret, e;

	if (!mem) {
		fail_set(f, EXIT_SYSTEM, "out of memory");
		return NULL;
	}
	ret = ctl_request(path, words, TOP_REQUEST_MS, mem);
	e = errno;
	fclose(mem);
	if (ret == CTL_NO_ENGINE)
		fail_set(f, EXIT_SYSTEM, "no engine answers on %s: %s", path, strerror(e));
	else if (ret == CTL_UNKNOWN)
		fail_set(f, EXIT_UNKNOWN, "no whole answer from the engine on %s: %s", path,
			 e == ETIMEDOUT ? "timed out" : strerror(e));
	else if (ret == CTL_ERR)
		fail_set(f, EXIT_BAD_INPUT, "the engine refused '%s %s': %s", words[0],
			 words[1] ? words[1] : "", text ? text : "");
	else if (!(j = json_loads(text, 0, &jerr)))
		fail_set(f, EXIT_UNKNOWN, "the engine's answer to '%s %s' is not JSON: %s",
			 words[0], words[1], jerr.text);
	free(text);
	return j;
}

static void take_stats(json_t *j, struct top_sample *s)
{
	s->pid = jnum(j, "pid");
	s->uptime_s = jnum(j, "uptime_s");
	s->generation = jnum(j, "rules.generation");
	s->received = jnum(j, "totals.received");
	s->accepted = jnum(j, "totals.accepted");
	s->dropped = jnum(j, "totals.dropped");
	s->nacl_drop = jnum(j, "drops.nacl");
	s->sg_drop = jnum(j, "drops.sg");
	s->table_full = jnum(j, "drops.table_full");
	s->infra = jnum(j, "infra");
	s->sg_new = jnum(j, "sg.new_flows");
	s->sg_flow = jnum(j, "sg.flow_packets");
	s->sg_untracked = jnum(j, "sg.untracked_packets");
	s->allowance_available = jnum(j, "flows.conntrack_allowance_available");
	s->allowance_exceeded = jnum(j, "flows.conntrack_allowance_exceeded");
	s->cap = jnum(j, "flows.cap");
}

static void take_states(json_t *j, struct top_sample *s)
{
	json_t *by = json_object_get(j, "by_state"), *v;
	const char *k;

	s->flows = jnum(j, "flows");
	json_object_foreach(by, k, v) {
		if (s->n_states == ARRAY_SIZE(s->state))
			break;
		snprintf(s->state_name[s->n_states], sizeof(s->state_name[0]), "%s", k);
		s->state[s->n_states++] = json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
	}
}

static int rule_add(struct top_sample *s, size_t *cap)
{
	struct top_rule *r;

	if (s->n_rules == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		r = realloc(s->rules, *cap * sizeof(*r));
		if (!r)
			return -1;
		s->rules = r;
	}
	memset(&s->rules[s->n_rules], 0, sizeof(s->rules[0]));
	return 0;
}

/* As the rules write it ("tcp", "all"), a number for the others. */
static const char *proto_word(json_t *rule, char *buf, size_t len)
{
	int p = (int)json_integer_value(json_object_get(rule, "protocol"));

	if (proto_name(p))
		return proto_name(p);
	snprintf(buf, len, "%d", p);
	return buf;
}

/* A rule's ports or ICMP type, "" when it has none to say ("-"). */
static const char *match_words(json_t *rule)
{
	const char *m = json_string_value(json_object_get(rule, "match"));

	return !m || !strcmp(m, "-") ? "" : m;
}

/* The NACL's entries of one direction, named as rulename.h names them. */
static int take_nacl(json_t *arr, const char *dir, struct top_sample *s, size_t *cap)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		json_int_t num = json_integer_value(json_object_get(e, "number"));
		const char *act = json_string_value(json_object_get(e, "action"));
		struct top_rule *r;
		char pb[8];

		if (rule_add(s, cap) < 0)
			return -1;
		r = &s->rules[s->n_rules++];
		if (num > NACL_RULE_MAX)
			snprintf(r->name, sizeof(r->name), "nacl-%s:*", dir);
		else
			snprintf(r->name, sizeof(r->name), "nacl-%s:%d", dir, (int)num);
		snprintf(r->what, sizeof(r->what), "%s %s %s%s%s", act ? act : "?",
			 proto_word(e, pb, sizeof(pb)),
			 match_words(e), *match_words(e) ? " " : "",
			 json_string_value(json_object_get(e, "cidr")) ?: "");
		r->packets = jnum(e, "packets");
		if (act && !strcmp(act, "allow"))
			s->nacl_allow += r->packets;
	}
	return 0;
}

static int take_sg(json_t *groups, struct top_sample *s, size_t *cap)
{
	static const char *const dirs[][2] = { { "inbound", "in" }, { "outbound", "out" } };
	json_t *g, *e;
	size_t i, k, d;

	json_array_foreach(groups, i, g) {
		const char *id = json_string_value(json_object_get(g, "id"));

		for (d = 0; d < 2; d++) {
			json_array_foreach(json_object_get(g, dirs[d][0]), k, e) {
				struct top_rule *r;
				char pb[8];

				if (rule_add(s, cap) < 0)
					return -1;
				r = &s->rules[s->n_rules++];
				snprintf(r->name, sizeof(r->name), "sg-%s:%s#%d", dirs[d][1],
					 id ? id : "?",
					 (int)json_integer_value(json_object_get(e, "index")));
				snprintf(r->what, sizeof(r->what), "%s %s%s%s %s",
					 proto_word(e, pb, sizeof(pb)),
					 match_words(e), *match_words(e) ? " " : "",
					 d ? "to" : "from",
					 json_string_value(json_object_get(e, "cidr")) ?: "");
				r->packets = jnum(e, "packets");
			}
		}
	}
	return 0;
}

static int take_rules(json_t *j, struct top_sample *s)
{
	json_t *nacl = json_object_get(j, "nacl");
	size_t cap = 0;

	if (nacl && (take_nacl(json_object_get(nacl, "inbound"), "in", s, &cap) < 0 ||
		     take_nacl(json_object_get(nacl, "outbound"), "out", s, &cap) < 0))
		return -1;
	return take_sg(json_object_get(j, "security_groups"), s, &cap);
}

/* Ask the engine for one sample; -1 with f filled. */
int top_sample_take(const char *path, struct top_sample *s, struct top_fail *f)
{
	char *stats[] = { "show", "stats", "json", NULL };
	char *rules[] = { "show", "rules", "json", NULL };
	char *flows[] = { "show", "flows", "json", "summary", NULL };
	json_t *j;
	int ret;

	memset(s, 0, sizeof(*s));
	s->at_ms = now_ms();
	if (!(j = ask_json(path, stats, f)))
		return -1;
	take_stats(j, s);
	json_decref(j);
	if (!(j = ask_json(path, rules, f)))
		return -1;
	ret = take_rules(j, s);
	json_decref(j);
	if (ret < 0)
		return fail_set(f, EXIT_SYSTEM, "out of memory");
	if (!(j = ask_json(path, flows, f)))
		return -1;
	take_states(j, s);
	json_decref(j);
	return 0;
}

/* ---- the newest drops: the trace stream -------------------------------- */

void top_drops_open(struct top_drops *d, const char *path)
{
	char *words[] = { "trace", "verdict=drop", NULL };
	int ret = ctl_stream_open(path, words, TOP_REQUEST_MS, &d->fd);

	d->have = 0;
	d->ended = false;
	if (ret == CTL_OK)
		return;
	if (ret == CTL_ERR) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		ssize_t r = -1;

		/* The reason follows the status line (too many listeners, ...). */
		if (poll(&p, 1, TOP_REQUEST_MS) > 0)
			r = read(d->fd, d->why, sizeof(d->why) - 1);
		d->why[r > 0 ? r : 0] = '\0';
		d->why[strcspn(d->why, "\n")] = '\0';
		close(d->fd);
	} else {
		snprintf(d->why, sizeof(d->why), "%s", strerror(errno));
	}
	d->fd = -1;
}

static void drops_line(struct top_drops *d, const char *line)
{
	unsigned long long n;

	if (line[0] == '#') {
		if (sscanf(line, "# %llu", &n) == 1)
			d->lost += n;
		return;
	}
	if (top_drop_line(line, d->line[d->n % TOP_DROPS], TOP_LINE) == 0)
		d->n++;
}

/* Read what the stream has; false when the engine closed it. */
bool top_drops_read(struct top_drops *d)
{
	char *nl;
	ssize_t r;

	for (;;) {
		r = read(d->fd, d->buf + d->have, sizeof(d->buf) - 1 - d->have);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (r <= 0) {
			close(d->fd);
			d->fd = -1;
			d->ended = true;
			snprintf(d->why, sizeof(d->why), "the engine ended the trace");
			return false;
		}
		d->have += (size_t)r;
		d->buf[d->have] = '\0';
		while ((nl = strchr(d->buf, '\n'))) {
			*nl = '\0';
			drops_line(d, d->buf);
			d->have -= (size_t)(nl + 1 - d->buf);
			memmove(d->buf, nl + 1, d->have + 1);
		}
		/* A line longer than the buffer: keep going without it. */
		if (d->have == sizeof(d->buf) - 1)
			d->have = 0;
	}
}
