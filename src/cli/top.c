/*
 * vpcfw top: a running engine's traffic, refreshed every interval (the
 * samples: top_engine.c; the lines: top_view.c). On a terminal it paints one
 * screen with plain ANSI sequences (no mouse, no colour, ASCII only: it
 * works over SSH in 80x24); otherwise it writes plain blocks, one per
 * interval, like top -b.
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
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "common.h"
#include "ctl.h"
#include "exitcode.h"
#include "num.h"
#include "top_int.h"

/* ---- the terminal ------------------------------------------------------ */

static struct termios saved_tio;
static bool tio_saved;

/* Leave the terminal as we found it: settings, main screen, cursor. Idempotent. */
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
	/* Whatever way out is taken later, the terminal comes back. */
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
static void term_paint(const struct top_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		printf("\033[%zu;1H%s\033[K", i + 1, v->l[i]);
	printf("\033[%zu;1H\033[J", v->n + 1);
	fflush(stdout);
}

static void batch_print(const struct top_view *v)
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

static char view_lines[64][TOP_LINE];

/* The view of the last interval, painted or printed; before the second sample, a word. */
static void draw(struct top *t, bool have_rates)
{
	struct top_view v = { .l = view_lines, .max = ARRAY_SIZE(view_lines) };
	size_t rows, cols;

	if (t->batch) {
		/* No rates before the second sample: nothing to print yet. */
		if (!have_rates)
			return;
		v.width = TOP_LINE - 1;
		top_view_build(&v, t);
		batch_print(&v);
		return;
	}
	term_size(&rows, &cols);
	if (rows < v.max)
		v.max = rows;
	/* The last column left empty: some terminals wrap on writing it. */
	v.width = cols > 1 ? (cols - 1 < TOP_LINE - 1 ? cols - 1 : TOP_LINE - 1) : 1;
	if (have_rates)
		top_view_build(&v, t);
	else
		top_view_waiting(&v, t);
	term_paint(&v);
}

/* The keys that quit: q, Ctrl-C (ISIG is off), Ctrl-D. */
static bool quit_key(void)
{
	char keys[32];
	ssize_t r = read(STDIN_FILENO, keys, sizeof(keys)), i;

	for (i = 0; i < r; i++)
		if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3 || keys[i] == 4)
			return true;
	return false;
}

/* A signal: false to quit (INT, TERM, HUP); a resize repaints at once. */
static bool on_signal(struct top *t, int sfd, bool have_rates)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return true;
	if (si.ssi_signo != SIGWINCH)
		return false;
	draw(t, have_rates);
	return true;
}

/* Wait for the next sample, reading keys, signals and drops; false to quit. */
static bool wait_interval(struct top *t, int sfd, uint64_t until, bool have_rates)
{
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = t->drops.fd, .events = POLLIN },
			{ .fd = t->batch ? -1 : STDIN_FILENO, .events = POLLIN },
		};
		uint64_t now = now_ms();

		if (now >= until)
			return true;
		if (poll(p, ARRAY_SIZE(p), (int)(until - now)) < 0)
			continue;
		if (p[0].revents && !on_signal(t, sfd, have_rates))
			return false;
		if (p[1].revents)
			top_drops_read(&t->drops);
		if (p[2].revents & (POLLHUP | POLLERR))
			return false;
		if ((p[2].revents & POLLIN) && quit_key())
			return false;
	}
}

static int top_loop(struct top *t, int sfd, size_t count)
{
	struct top_fail f = { 0, "" };
	uint64_t next;
	size_t done = 0;

	if (top_sample_take(t->path, &t->cur, &f) < 0)
		goto fail;
	top_drops_open(&t->drops, t->path);
	draw(t, false);
	next = t->cur.at_ms + t->interval_ms;
	while (wait_interval(t, sfd, next, done > 0)) {
		top_sample_clear(&t->prev);
		t->prev = t->cur;
		memset(&t->cur, 0, sizeof(t->cur));
		if (top_sample_take(t->path, &t->cur, &f) < 0)
			goto fail;
		/* The stream ended but the engine answers: follow it again. */
		if (t->drops.ended)
			top_drops_open(&t->drops, t->path);
		draw(t, true);
		if (++done == count)
			break;
		next += t->interval_ms;
		/* Fell behind (a slow answer): the next interval starts now. */
		if (next < now_ms())
			next = now_ms() + t->interval_ms;
	}
	return EXIT_OK;
fail:
	term_restore();
	if (t->prev.at_ms || done)
		fprintf(stderr, "vpcfw top: the engine went away (%s)\n", f.why);
	else
		fprintf(stderr, "vpcfw top: %s\n", f.why);
	return f.status;
}

/* INT, TERM, HUP and WINCH through a signalfd, like the engine's own. */
static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	/* SIGPIPE keeps its default: `vpcfw top | head` ends with its reader. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int parse_interval(const char *arg, uint64_t *ms)
{
	double secs;
	char *end;

	errno = 0;
	secs = strtod(arg, &end);
	if (errno || end == arg || *end || !(secs >= 0.1 && secs <= 3600))
		return -1;
	*ms = (uint64_t)(secs * 1000 + 0.5);
	return 0;
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
	uint64_t count = 0;
	int opt, ret, sfd;

	while ((opt = getopt_long(argc, argv, "c:i:n:", opts, NULL)) != -1) {
		if (opt == 'c')
			t.path = optarg;
		else if (opt == 'n' && num_parse(optarg, 1, UINT32_MAX, &count) < 0)
			return usage("bad --count '%s' (1 or more intervals)", optarg);
		else if (opt == 'i' && parse_interval(optarg, &t.interval_ms) < 0)
			return usage("bad --interval '%s' (0.1 to 3600 seconds)", optarg);
		else if (opt != 'n' && opt != 'i')
			return usage("bad option");
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	t.batch = !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO);
	sfd = signals_open();
	if (sfd < 0 || (!t.batch && term_setup() < 0)) {
		term_restore();
		fprintf(stderr, "vpcfw top: cannot set up the %s: %s\n",
			sfd < 0 ? "signals" : "terminal", strerror(errno));
		return EXIT_SYSTEM;
	}
	ret = top_loop(&t, sfd, (size_t)count);
	term_restore();
	close(sfd);
	if (t.drops.fd >= 0)
		close(t.drops.fd);
	top_sample_clear(&t.prev);
	top_sample_clear(&t.cur);
	return ret;
}
