/* Logging to stderr with levels, and a rate limit for per-packet messages. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static enum log_level log_threshold = LOG_LVL_INFO;

static const char *const level_tag[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_set_level(enum log_level lvl)
{
	log_threshold = lvl;
}

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap) PRINTF_FMT(2, 0);

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	int n;

	if (lvl > log_threshold)
		return;
	/* One write per message so lines of several threads never interleave. */
	n = snprintf(line, sizeof(line), "vpcfw: %s: ", level_tag[lvl]);
	if (n < 0)
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

static void rl_lock(struct log_ratelimit *rl)
{
	while (__atomic_exchange_n(&rl->lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void rl_unlock(struct log_ratelimit *rl)
{
	__atomic_store_n(&rl->lock, 0, __ATOMIC_RELEASE);
}

void log_limited(struct log_ratelimit *rl, enum log_level lvl,
		 const char *fmt, ...)
{
	uint64_t now = now_ms();
	uint32_t suppressed = 0;
	bool print;
	va_list ap;

	if (lvl > log_threshold)
		return;
	rl_lock(rl);
	if (now - rl->window_start >= rl->interval_ms) {
		suppressed = rl->suppressed;
		rl->window_start = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	print = rl->printed < rl->burst;
	if (print)
		rl->printed++;
	else
		rl->suppressed++;
	rl_unlock(rl);

	if (suppressed)
		log_msg(lvl, "%u similar messages suppressed", suppressed);
	if (!print)
		return;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
