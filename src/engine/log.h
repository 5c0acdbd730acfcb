/* One small log module: levels, stderr, rate limiting for per-packet events. */
#ifndef VPCFW_LOG_H
#define VPCFW_LOG_H

#include <stdint.h>
#include "common.h"

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) PRINTF_FMT(2, 3);

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * A rate limit for messages that can fire per packet: at most `burst`
 * messages per `interval_ms`; the first message after a quiet period reports
 * how many were suppressed. Thread-safe.
 */
struct log_ratelimit {
	uint64_t window_start;
	uint32_t interval_ms;
	uint32_t burst;
	uint32_t printed;
	uint32_t suppressed;
	int lock;
};
#define LOG_RATELIMIT_INIT(ms, n) { 0, (ms), (n), 0, 0, 0 }

void log_limited(struct log_ratelimit *rl, enum log_level lvl,
		 const char *fmt, ...) PRINTF_FMT(3, 4);

#endif
