/* Small shared definitions: directions, clocks, helpers. */
#ifndef VPCFW_COMMON_H
#define VPCFW_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NULL_TERMINATED __attribute__((sentinel))
#define PRINTF_FMT(f, a) __attribute__((format(printf, f, a)))

/* Direction of a packet as seen by the protected host (or subnet). */
enum dir {
	DIR_IN = 0,	/* ingress: LOCAL_IN, or FORWARD towards --inside */
	DIR_OUT = 1,	/* egress: LOCAL_OUT, or FORWARD away from --inside */
};
#define DIR_MAX 2

static inline const char *dir_name(enum dir d)
{
	return d == DIR_IN ? "inbound" : "outbound";
}

/* Monotonic milliseconds: every timeout in the engine counts on this clock. */
static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
