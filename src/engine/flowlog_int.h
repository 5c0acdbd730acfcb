/*
 * Private to the flow logs: the records and the table they aggregate in,
 * which flowlog.c (the packet path, the tick, open and close) and
 * flowlog_write.c (the records as lines of the file) share. Not for other
 * modules.
 */
#ifndef VPCFW_FLOWLOG_INT_H
#define VPCFW_FLOWLOG_INT_H

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowlog.h"

#define FL_STRIPES	64
#define FL_SKIP_SLOTS	4
#define FL_CACHELINE	64
#define FL_BUF_SIZE	65536
#define FL_LINE_MAX	1024
#define FL_UNSET	UINT64_MAX

#define FL_HEADER "version account-id interface-id srcaddr dstaddr srcport " \
	"dstport protocol packets bytes start end action log-status"
#define FL_HEADER_EXT " tcp-flags decided-by"

/* No padding: hashed and compared as bytes. */
struct fl_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t family;
	uint8_t proto;
	uint8_t dir;
	uint8_t accept;
	uint32_t ifindex;	/* the packet's interface (pkt.ifindex): a record per ENI */
};

struct fl_rec {
	struct fl_rec *next;
	struct fl_key key;
	uint64_t interval;	/* start / interval_s */
	uint64_t seq;		/* creation order, for a stable output order */
	uint64_t packets, bytes;
	uint64_t first, last;	/* packet times (s) */
	uint8_t tcp_flags;
	char rule[FLOWLOG_RULE_MAX];
};

struct fl_skip {
	uint64_t interval;
	uint64_t packets;	/* 0: slot free */
};

struct fl_stripe {
	pthread_mutex_t lock;
	size_t count;		/* records in this stripe's buckets */
	struct fl_skip skip[FL_SKIP_SLOTS];
} __attribute__((aligned(FL_CACHELINE)));

struct fl_pool {
	pthread_mutex_t lock;
	struct fl_rec *free;
	size_t next;		/* first never-used entry of mem */
	struct fl_rec *mem;
};

struct flowlog {
	/* Read-only after open. */
	int fd;
	bool own_fd;
	bool extended;
	uint32_t iv;
	size_t cap;
	size_t mask;
	unsigned shift;		/* bucket -> stripe */
	char account[FLOWLOG_ID_MAX + 1];
	char eni[FLOWLOG_ID_MAX + 1];
	flowlog_iface_id_fn *iface_id;	/* flowlog_opts.iface_id */
	void *iface_ctx;
	bool locks;		/* the mutexes below were initialised */
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	struct fl_rec **bucket;
	struct fl_stripe *stripe;
	struct fl_pool pool;

	/* The writer's side: tick and close, under tick_lock. */
	pthread_mutex_t tick_lock;
	struct fl_rec **out;	/* cap slots */
	struct fl_skip *skips;	/* FL_STRIPES * FL_SKIP_SLOTS slots */
	char *buf;
	size_t used;
	unsigned lines;		/* records in buf */
	int err;		/* errno of the first failed write of this flush */
	bool partial;		/* a failed write left part of a line */

	_Alignas(FL_CACHELINE) atomic_uint_least64_t wm;
	atomic_uint_least64_t seq;
	atomic_uint_least64_t records, pending, skipped, lost, write_errors;
};

#define fl_add(fl, c, v) \
	atomic_fetch_add_explicit(&(fl)->c, (v), memory_order_relaxed)
#define fl_get(fl, c) \
	atomic_load_explicit(&(fl)->c, memory_order_relaxed)


/*
 * Open the file at path ("-": standard output) for appending, and write the
 * extended format's header unless it already holds lines. -1 with errno.
 */
int fl_open_file(struct flowlog *fl, const char *path);
/*
 * Write the n records collected in fl->out and the nskip skip counts in
 * fl->skips, sorted by interval (records in the order their flows were
 * first seen), with NODATA for the intervals of [nd_from, nd_to) that had
 * neither. A failed write sets fl->err (to the first error) and counts the
 * records lost.
 */
void fl_write_intervals(struct flowlog *fl, size_t n, size_t nskip,
			uint64_t nd_from, uint64_t nd_to);

#endif
