/*
 * vpcfw top: a running engine's traffic, refreshed every interval, from
 * the control socket alone (doc/control-protocol.md): `show stats json`
 * for the packet counters and the tracking allowance, `show rules json` for
 * each rule's counter, `show flows json summary` for the flows by state,
 * and one `trace verdict=drop` stream, read between the samples, for the
 * newest drops. On a terminal it paints one screen with plain ANSI
 * sequences (no mouse, no colour, ASCII only: it works over SSH in 80x24);
 * otherwise it writes plain blocks, one per interval, like top -b.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmds.h"
#include "common.h"
#include "ctl.h"
#include "exitcode.h"
#include "num.h"
#include "ruleset.h"
#include "top_model.h"

#define U(x) ((unsigned long long)(x))

/* A sample request waits this long for the engine, then gives up (exit 4). */
#define TOP_REQUEST_MS 5000
#define TOP_DROPS 32		/* newest drops kept */
#define TOP_LINE 512

/* ---- one sample of the engine's counters --------------------------------- */

struct sample {
	uint64_t at_ms;
	uint64_t pid, generation, uptime_s;
	uint64_t received, accepted, dropped;
	uint64_t nacl_drop, sg_drop, table_full, infra;
	uint64_t sg_new, sg_flow, sg_untracked;
	uint64_t nacl_allow;		/* the NACL's allow rules, summed */
	uint64_t allowance_available, allowance_exceeded, flows, cap;
	uint64_t state[16];		/* flows by state, in by_state's order */
	char state_name[16][16];
	size_t n_states;
	struct top_rule *rules;
	size_t n_rules;
};

static void sample_clear(struct sample *s)
{
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

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

/* Why the engine could not be asked: printed once, top exits with it. */
struct top_fail {
	int status;
	char why[256];
};

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

static void take_stats(json_t *j, struct sample *s)
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

static void take_states(json_t *j, struct sample *s)
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

static int rule_add(struct sample *s, size_t *cap)
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

static const char *proto_word(json_int_t p, char *buf, size_t len)
{
	if (p < 0)
		return "all";
	if (p == 6 || p == 17 || p == 1 || p == 58)
		return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "icmpv6";
	snprintf(buf, len, "%d", (int)p);
	return buf;
}

/* A rule's ports or ICMP type, "" when it has none to say ("-"). */
static const char *match_words(json_t *rule)
{
	const char *m = json_string_value(json_object_get(rule, "match"));

	return !m || !strcmp(m, "-") ? "" : m;
}

/* The NACL's entries of one direction, named as rulename.h names them. */
static int take_nacl(json_t *arr, const char *dir, struct sample *s, size_t *cap)
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
			 proto_word(json_integer_value(json_object_get(e, "protocol")), pb,
				    sizeof(pb)),
			 match_words(e), *match_words(e) ? " " : "",
			 json_string_value(json_object_get(e, "cidr")) ?: "");
		r->packets = jnum(e, "packets");
		if (act && !strcmp(act, "allow"))
			s->nacl_allow += r->packets;
	}
	return 0;
}

static int take_sg(json_t *groups, struct sample *s, size_t *cap)
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
					 proto_word(json_integer_value(json_object_get(e, "protocol")),
						    pb, sizeof(pb)),
					 match_words(e), *match_words(e) ? " " : "",
					 d ? "to" : "from",
					 json_string_value(json_object_get(e, "cidr")) ?: "");
				r->packets = jnum(e, "packets");
			}
		}
	}
	return 0;
}

static int take_rules(json_t *j, struct sample *s)
{
	json_t *nacl = json_object_get(j, "nacl");
	size_t cap = 0;

	if (nacl && (take_nacl(json_object_get(nacl, "inbound"), "in", s, &cap) < 0 ||
		     take_nacl(json_object_get(nacl, "outbound"), "out", s, &cap) < 0))
		return -1;
	return take_sg(json_object_get(j, "security_groups"), s, &cap);
}

/* Ask the engine for one sample; -1 with f filled. */
static int sample_take(const char *path, struct sample *s, struct top_fail *f)
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

struct drops {
	int fd;			/* -1: not following */
	char why[128];		/* why not, when fd is -1 */
	char buf[4096];
	size_t have;
	char line[TOP_DROPS][TOP_LINE];	/* ring of the newest, short form */
	size_t n;		/* lines ever kept */
	size_t shown;		/* n when the last block was printed (batch) */
	uint64_t lost;		/* lines the engine could not send us */
};

static void drops_open(struct drops *d, const char *path)
{
	char *words[] = { "trace", "verdict=drop", NULL };
	int ret = ctl_stream_open(path, words, TOP_REQUEST_MS, &d->fd);

	d->have = 0;
	if (ret == CTL_OK)
		return;
	if (ret == CTL_ERR) {
		ssize_t r;

		/* The reason follows the status line (too many listeners, ...). */
		usleep(100000);
		r = read(d->fd, d->why, sizeof(d->why) - 1);
		d->why[r > 0 ? r : 0] = '\0';
		d->why[strcspn(d->why, "\n")] = '\0';
		close(d->fd);
	} else {
		snprintf(d->why, sizeof(d->why), "%s", strerror(errno));
	}
	d->fd = -1;
}

static void drops_line(struct drops *d, const char *line)
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
static bool drops_read(struct drops *d)
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

/* ---- the lines of one view --------------------------------------------- */

struct view {
	char (*l)[TOP_LINE];
	size_t n, max;
	size_t width;
};

static void PRINTF_FMT(2, 3) put(struct view *v, const char *fmt, ...)
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

struct top {
	const char *path;
	uint64_t interval_ms;
	struct sample prev, cur;
	struct drops drops;
	bool batch;
};

#define RATE(t, field, ms) top_rate(top_delta((t)->prev.field, (t)->cur.field), ms)

static void view_rates(struct view *v, const struct top *t, uint64_t ms)
{
	uint64_t nacl_d = RATE(t, nacl_drop, ms), sg_d = RATE(t, sg_drop, ms) + RATE(t, table_full, ms);
	uint64_t drop = RATE(t, dropped, ms), other = drop > nacl_d + sg_d ? drop - nacl_d - sg_d : 0;
	uint64_t sg_p = RATE(t, sg_new, ms) + RATE(t, sg_flow, ms) + RATE(t, sg_untracked, ms);

	put(v, "packets/s      pass      drop   (each layer's own say; total: the verdicts)");
	put(v, "  nacl   %9llu %9llu", U(RATE(t, nacl_allow, ms)), U(nacl_d));
	put(v, "  sg     %9llu %9llu%s", U(sg_p), U(sg_d), t->cur.table_full != t->prev.table_full ?
	    "   (flow table full)" : "");
	put(v, "  exempt %9llu         -   (AWS never filters it)", U(RATE(t, infra, ms)));
	put(v, "  other          - %9llu   (malformed, unjudged)", U(other));
	put(v, "  total  %9llu %9llu", U(RATE(t, accepted, ms)), U(drop));
}

static void view_flows(struct view *v, const struct top *t, uint64_t ms)
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

static void view_rules(struct view *v, struct top *t, uint64_t ms, size_t max)
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

static void view_drops(struct view *v, struct top *t, size_t max)
{
	struct drops *d = &t->drops;
	size_t first = t->batch ? d->shown : 0, i, shown = 0;

	if (d->fd < 0 && !d->n) {
		put(v, "newest drops: not followed (%s)", d->why);
		return;
	}
	if (d->lost)
		put(v, "newest drops (%llu not seen: the engine sent faster than we read)",
		    U(d->lost));
	else
		put(v, "newest drops%s", t->batch ? " in the interval" : "");
	if (first + TOP_DROPS < d->n)
		first = d->n - TOP_DROPS;
	for (i = d->n; i > first && shown < max; i--, shown++)
		put(v, "  %s", d->line[(i - 1) % TOP_DROPS]);
	if (!shown)
		put(v, "  (none)");
	else if (d->n - first > shown)
		put(v, "  (and %zu more)", d->n - first - shown);
	d->shown = d->n;
}

/* Everything of one interval into v, fitted to v->max lines of v->width. */
static void view_build(struct view *v, struct top *t)
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

/* ---- the terminal ------------------------------------------------------ */

static struct termios saved_tio;
static bool tio_saved;
static volatile sig_atomic_t got_quit, got_winch;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else
		got_quit = sig;
}

static void term_restore(void)
{
	static const char bye[] = "\033[?25h\033[?1049l";

	if (!tio_saved)
		return;
	if (write(STDOUT_FILENO, bye, sizeof(bye) - 1) < 0) { /* nothing more to do */ }
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	tio_saved = false;
}

/* Raw keys, no echo, the alternate screen, no cursor; undone by term_restore. */
static int term_setup(void)
{
	static const char hello[] = "\033[?1049h\033[?25l\033[H\033[2J";
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -1;
	tio = saved_tio;
	/* ISIG off: Ctrl-C arrives as a key, and is a quit like q. */
	tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	tio.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio) < 0)
		return -1;
	tio_saved = true;
	atexit(term_restore);
	if (write(STDOUT_FILENO, hello, sizeof(hello) - 1) < 0)
		return -1;
	return 0;
}

static void term_size(size_t *rows, size_t *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

/* One screen, line by line from the top-left corner: nothing scrolls or wraps. */
static void term_paint(const struct view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		printf("\033[%zu;1H%s\033[K", i + 1, v->l[i]);
	printf("\033[%zu;1H\033[J", v->n + 1);
	fflush(stdout);
}

static void batch_print(const struct view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		printf("%s\n", v->l[i]);
	printf("\n");
	fflush(stdout);
}

static int PRINTF_FMT(1, 2) usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vpcfw top: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: vpcfw top " CMD_TOP_USAGE "\n");
	return EXIT_USAGE;
}

/* ---- the loop ------------------------------------------------------------ */

static void draw(struct top *t, struct view *v, bool have_rates)
{
	size_t rows, cols;

	if (t->batch) {
		/* No rates before the second sample: nothing to print yet. */
		if (!have_rates)
			return;
		v->max = 64;
		v->width = TOP_LINE - 1;
		view_build(v, t);
		batch_print(v);
		return;
	}
	term_size(&rows, &cols);
	/* The last column left empty: some terminals wrap on writing it. */
	v->max = rows < 64 ? rows : 64;
	v->width = cols > 1 ? (cols - 1 < TOP_LINE - 1 ? cols - 1 : TOP_LINE - 1) : 1;
	if (have_rates) {
		view_build(v, t);
	} else {
		v->n = 0;
		put(v, "vpcfw top: asking the engine on %s ...  q: quit", t->path);
	}
	term_paint(v);
}

/* Wait for the next sample, reading keys and drops; false when asked to quit. */
static bool wait_interval(struct top *t, struct view *v, uint64_t until, bool have_rates)
{
	sigset_t none;

	sigemptyset(&none);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = t->drops.fd, .events = POLLIN },
			{ .fd = t->batch ? -1 : STDIN_FILENO, .events = POLLIN },
		};
		uint64_t now = now_ms();
		struct timespec ts;
		char keys[32];
		ssize_t r, i;

		if (got_quit)
			return false;
		if (got_winch) {
			got_winch = 0;
			draw(t, v, have_rates);
		}
		if (now >= until)
			return true;
		ts.tv_sec = (time_t)((until - now) / 1000);
		ts.tv_nsec = (long)((until - now) % 1000) * 1000000L;
		if (ppoll(p, 2, &ts, &none) < 0)
			continue;
		if (p[0].revents)
			drops_read(&t->drops);
		if (p[1].revents & (POLLHUP | POLLERR))
			return false;
		if (!(p[1].revents & POLLIN))
			continue;
		r = read(STDIN_FILENO, keys, sizeof(keys));
		for (i = 0; i < r; i++)
			if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3 || keys[i] == 4)
				return false;
	}
}

static int top_loop(struct top *t, size_t count)
{
	static char lines[64][TOP_LINE];
	struct view v = { .l = lines };
	struct top_fail f = { 0, "" };
	uint64_t next;
	size_t done = 0;
	bool first = true;

	if (sample_take(t->path, &t->cur, &f) < 0)
		goto fail;
	drops_open(&t->drops, t->path);
	draw(t, &v, false);
	next = t->cur.at_ms + t->interval_ms;
	while (wait_interval(t, &v, next, !first)) {
		sample_clear(&t->prev);
		t->prev = t->cur;
		memset(&t->cur, 0, sizeof(t->cur));
		if (sample_take(t->path, &t->cur, &f) < 0)
			goto fail;
		/* The stream ended but the engine answers: follow it again. */
		if (t->drops.fd < 0 && !strcmp(t->drops.why, "the engine ended the trace"))
			drops_open(&t->drops, t->path);
		first = false;
		draw(t, &v, true);
		if (count && ++done == count)
			break;
		next += t->interval_ms;
		if (next < now_ms())
			next = now_ms() + t->interval_ms;
	}
	return EXIT_OK;
fail:
	term_restore();
	fprintf(stderr, "vpcfw top: %s%s\n", f.why,
		first ? "" : " (the engine went away?)");
	return f.status;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct top t = { .path = CTL_DEFAULT_PATH, .interval_ms = 1000, .drops = { .fd = -1 } };
	struct sigaction sa;
	sigset_t block;
	uint64_t count = 0;
	double secs;
	char *end;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "c:i:n:", opts, NULL)) != -1) {
		if (opt == 'c') {
			t.path = optarg;
		} else if (opt == 'n') {
			if (num_parse(optarg, 1, UINT32_MAX, &count) < 0)
				return usage("bad --count '%s' (1 or more intervals)", optarg);
		} else if (opt == 'i') {
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(secs >= 0.1 && secs <= 3600))
				return usage("bad --interval '%s' (0.1 to 3600 seconds)", optarg);
			t.interval_ms = (uint64_t)(secs * 1000 + 0.5);
		} else {
			return usage("bad option");
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	t.batch = !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGWINCH);
	/* Delivered only inside ppoll: no window between the check and the wait. */
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!t.batch && term_setup() < 0) {
		term_restore();
		fprintf(stderr, "vpcfw top: cannot set up the terminal: %s\n", strerror(errno));
		return EXIT_SYSTEM;
	}
	ret = top_loop(&t, (size_t)count);
	term_restore();
	if (t.drops.fd >= 0)
		close(t.drops.fd);
	sample_clear(&t.prev);
	sample_clear(&t.cur);
	return ret;
}
