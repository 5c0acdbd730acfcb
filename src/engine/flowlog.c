/*
 * VPC Flow Logs (see flowlog.h).
 *
 * Layout, as in the flow table (flow.c): a power-of-two array of bucket
 * heads split into FL_STRIPES stripes of contiguous buckets, each with its
 * own cache-line-aligned lock; the bucket comes from a keyed SipHash of the
 * record key (without the interval, so the bucket is known before the lock
 * that decides the interval is taken). A packet takes exactly one stripe
 * lock; the pool lock only when it starts a new record.
 *
 * Intervals. `wm` (the watermark) is the first interval not yet written.
 * The tick publishes the new watermark *before* it visits the stripes, and
 * a packet reads it under its stripe lock: a packet that read the old one
 * holds a lock the tick has yet to take (so its record is collected), and
 * one that takes a stripe lock after the tick released it sees the new
 * watermark (so it never adds to an interval already written).
 *
 * Skipped packets (pool empty) are counted per stripe and interval in a few
 * slots under the stripe lock, collected with the records.
 *
 * Writing happens outside every stripe lock: the tick unlinks the ended
 * records into its own array, sorts them, formats them into a buffer that
 * is written whole lines at a time (O_APPEND), and returns them to the pool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowlog.h"
#include "policy.h"

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

/* ---- the packet path ---------------------------------------------------- */

static void fl_key_of(struct fl_key *k, const struct pkt *p, enum dir d,
		      bool accept)
{
	bool ports = (p->proto == IPPROTO_NUM_TCP || p->proto == IPPROTO_NUM_UDP) &&
		     (p->flags & PKT_F_L4);

	memset(k, 0, sizeof(*k));
	memcpy(k->src, p->src, sizeof(k->src));
	memcpy(k->dst, p->dst, sizeof(k->dst));
	k->sport = ports ? p->sport : 0;
	k->dport = ports ? p->dport : 0;
	k->family = p->family;
	k->proto = p->proto;
	k->dir = (uint8_t)d;
	k->accept = accept;
}

/* AWS's encoding: FIN, SYN, RST as on the wire; ACK only with SYN (SYN-ACK 18). */
static uint8_t fl_tcp_flags(const struct pkt *p)
{
	uint8_t f;

	if (p->proto != IPPROTO_NUM_TCP || !(p->flags & PKT_F_L4))
		return 0;
	f = p->tcp_flags & (TCPF_FIN | TCPF_SYN | TCPF_RST);
	if ((p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK))
		f |= TCPF_ACK;
	return f;
}

static size_t fl_bucket_of(const struct flowlog *fl, const struct fl_key *k)
{
	uint64_t h;

	crypto_shorthash((unsigned char *)&h, (const unsigned char *)k,
			 sizeof(*k), fl->hash_key);
	return (size_t)h & fl->mask;
}

/*
 * The interval a packet at wall_s counts in, and the time it counts at.
 * Called under a stripe lock (see the comment at the top). The first packet
 * or tick sets the first interval.
 */
static uint64_t fl_interval(struct flowlog *fl, uint64_t wall_s, uint64_t *t)
{
	uint64_t i = wall_s / fl->iv;
	uint64_t wm = atomic_load_explicit(&fl->wm, memory_order_acquire);

	if (wm == FL_UNSET && atomic_compare_exchange_strong(&fl->wm, &wm, i))
		wm = i;
	*t = wall_s;
	if (i < wm) {
		i = wm;
		*t = wm * fl->iv;
	}
	return i;
}

static struct fl_rec *fl_pool_get(struct flowlog *fl)
{
	struct fl_pool *pl = &fl->pool;
	struct fl_rec *r;

	pthread_mutex_lock(&pl->lock);
	r = pl->free;
	if (r)
		pl->free = r->next;
	else if (pl->next < fl->cap)
		r = &pl->mem[pl->next++];
	pthread_mutex_unlock(&pl->lock);
	return r;
}

/* Return n records of out[] to the pool. */
static void fl_pool_put(struct flowlog *fl, struct fl_rec **out, size_t n)
{
	struct fl_pool *pl = &fl->pool;
	size_t i;

	if (!n)
		return;
	for (i = 0; i + 1 < n; i++)
		out[i]->next = out[i + 1];
	pthread_mutex_lock(&pl->lock);
	out[n - 1]->next = pl->free;
	pl->free = out[0];
	pthread_mutex_unlock(&pl->lock);
}

static struct fl_rec *fl_find(struct fl_rec *r, const struct fl_key *k,
			      uint64_t interval)
{
	for (; r; r = r->next)
		if (r->interval == interval && !memcmp(&r->key, k, sizeof(*k)))
			return r;
	return NULL;
}

static struct fl_rec *fl_insert(struct flowlog *fl, struct fl_stripe *st,
				size_t b, const struct fl_key *k,
				uint64_t interval, uint64_t t)
{
	struct fl_rec *r = fl_pool_get(fl);

	if (!r)
		return NULL;
	r->key = *k;
	r->interval = interval;
	r->seq = fl_add(fl, seq, 1);
	r->packets = r->bytes = 0;
	r->first = r->last = t;
	r->tcp_flags = 0;
	r->rule[0] = '\0';
	r->next = fl->bucket[b];
	fl->bucket[b] = r;
	st->count++;
	fl_add(fl, pending, 1);
	return r;
}

static void fl_account(const struct flowlog *fl, struct fl_rec *r,
		       const struct pkt *p, const char *rule, uint64_t t,
		       uint64_t packets, uint64_t bytes)
{
	r->packets += packets;
	r->bytes += bytes;
	if (t < r->first)
		r->first = t;
	if (t > r->last)
		r->last = t;
	r->tcp_flags |= fl_tcp_flags(p);
	if (fl->extended) {
		size_t n = rule ? strnlen(rule, sizeof(r->rule) - 1) : 0;

		memcpy(r->rule, rule ? rule : "", n);
		r->rule[n] = '\0';
	}
}

/* The pool is empty: count the packet for the interval's SKIPDATA record. */
static void fl_skip(struct flowlog *fl, struct fl_stripe *st, uint64_t interval)
{
	struct fl_skip *s, *use = NULL;

	for (s = st->skip; s < st->skip + FL_SKIP_SLOTS; s++) {
		if (s->packets && s->interval == interval) {
			use = s;
			break;
		}
		/* A free slot, else (four intervals pending: a stalled tick) the latest. */
		if (!use || (use->packets && (!s->packets || s->interval > use->interval)))
			use = s;
	}
	if (!use->packets)
		use->interval = interval;
	use->packets++;
	fl_add(fl, skipped, 1);
}

void flowlog_packet(struct flowlog *fl, const struct pkt *p, enum dir d,
		    bool accept, const char *rule_text, uint64_t wall_s)
{
	if (fl)
		flowlog_packets(fl, p, d, accept, rule_text, wall_s, 1, p->len);
}

void flowlog_packets(struct flowlog *fl, const struct pkt *p, enum dir d,
		     bool accept, const char *rule_text, uint64_t wall_s,
		     uint64_t packets, uint64_t bytes)
{
	struct fl_stripe *st;
	struct fl_rec *r;
	struct fl_key k;
	uint64_t i, t;
	size_t b;

	if (!fl || !p->family || pkt_is_infrastructure(p))
		return;
	fl_key_of(&k, p, d, accept);
	b = fl_bucket_of(fl, &k);
	st = &fl->stripe[b >> fl->shift];
	pthread_mutex_lock(&st->lock);
	i = fl_interval(fl, wall_s, &t);
	r = fl_find(fl->bucket[b], &k, i);
	if (!r)
		r = fl_insert(fl, st, b, &k, i, t);
	if (r)
		fl_account(fl, r, p, rule_text, t, packets, bytes);
	else
		fl_skip(fl, st, i);
	pthread_mutex_unlock(&st->lock);
}

/* ---- writing ------------------------------------------------------------ */

static void fl_write_buf(struct flowlog *fl)
{
	bool lead = fl->partial;	/* buf starts with the newline that ends it */
	size_t off = 0;
	ssize_t w = 0;

	if (!fl->used)
		return;
	while (off < fl->used) {
		w = write(fl->fd, fl->buf + off, fl->used - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off == fl->used) {
		fl_add(fl, records, fl->lines);
		fl->partial = false;
	} else {
		unsigned done = 0;
		size_t j;

		for (j = lead; j < off; j++)
			done += fl->buf[j] == '\n';
		if (!fl->err)
			fl->err = w < 0 ? errno : EIO;
		fl_add(fl, write_errors, 1);
		fl_add(fl, records, done);
		fl_add(fl, lost, fl->lines - done);
		fl->partial = off ? fl->buf[off - 1] != '\n' : lead;
	}
	fl->used = 0;
	fl->lines = 0;
}

/* Append one line (the format has no newline) to the buffer. */
static void PRINTF_FMT(2, 3) fl_line(struct flowlog *fl, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (FL_BUF_SIZE - fl->used < FL_LINE_MAX)
		fl_write_buf(fl);
	/* The next line must not continue a line a failed write cut short. */
	if (fl->partial && !fl->used)
		fl->buf[fl->used++] = '\n';
	va_start(ap, fmt);
	n = vsnprintf(fl->buf + fl->used, FL_LINE_MAX - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > FL_LINE_MAX - 2)
		n = FL_LINE_MAX - 2;
	fl->used += (size_t)n;
	fl->buf[fl->used++] = '\n';
	fl->lines++;
}

/* Rule texts come from rule files: keep the record one field. */
static void fl_field(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = (unsigned char)src[i] <= ' ' || src[i] == 0x7f ? '_' : src[i];
	dst[i] = '\0';
}

static unsigned fl_version(const struct flowlog *fl)
{
	return fl->extended ? 3 : 2;
}

static void fl_put_rec(struct flowlog *fl, const struct fl_rec *r)
{
	const struct fl_key *k = &r->key;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char rule[FLOWLOG_RULE_MAX], ext[FLOWLOG_RULE_MAX + 8] = "";

	inet_ntop(k->family, k->src, src, sizeof(src));
	inet_ntop(k->family, k->dst, dst, sizeof(dst));
	if (fl->extended) {
		fl_field(rule, r->rule[0] ? r->rule : "-", sizeof(rule));
		snprintf(ext, sizeof(ext), " %u %s", r->tcp_flags, rule);
	}
	fl_line(fl, "%u %s %s %s %s %u %u %u %" PRIu64 " %" PRIu64 " %" PRIu64
		" %" PRIu64 " %s OK%s", fl_version(fl), fl->account, fl->eni,
		src, dst, k->sport, k->dport, k->proto, r->packets, r->bytes,
		r->first, r->last, k->accept ? "ACCEPT" : "REJECT", ext);
}

/* A NODATA or SKIPDATA record for intervals [from, to). */
static void fl_put_status(struct flowlog *fl, uint64_t from, uint64_t to,
			  const char *status)
{
	fl_line(fl, "%u %s %s - - - - - - - %" PRIu64 " %" PRIu64 " - %s%s",
		fl_version(fl), fl->account, fl->eni, from * fl->iv,
		to * fl->iv, status, fl->extended ? " - -" : "");
}

/* NODATA for the empty intervals [from, to). */
static void fl_put_nodata(struct flowlog *fl, uint64_t from, uint64_t to)
{
	if (from >= to)
		return;
	if (to - from > FLOWLOG_NODATA_RUN) {
		fl_put_status(fl, from, to, "NODATA");
		return;
	}
	for (; from < to; from++)
		fl_put_status(fl, from, from + 1, "NODATA");
}

/* ---- the tick ----------------------------------------------------------- */

/* Unlink the records of intervals before `limit` from stripe s into out[n...]. */
static size_t fl_take_stripe(struct flowlog *fl, size_t s, uint64_t limit,
			     size_t n)
{
	struct fl_stripe *st = &fl->stripe[s];
	size_t b, end = (s + 1) << fl->shift;
	struct fl_rec **pp, *r;

	for (b = s << fl->shift; b < end && st->count; b++) {
		pp = &fl->bucket[b];
		while ((r = *pp)) {
			if (r->interval >= limit) {
				pp = &r->next;
				continue;
			}
			*pp = r->next;
			st->count--;
			fl->out[n++] = r;
		}
	}
	return n;
}

/* Collect every record and skip count of intervals before `limit`. */
static size_t fl_take(struct flowlog *fl, uint64_t limit, size_t *nskip)
{
	size_t s, j, n = 0;

	*nskip = 0;
	for (s = 0; s < FL_STRIPES; s++) {
		struct fl_stripe *st = &fl->stripe[s];

		pthread_mutex_lock(&st->lock);
		n = fl_take_stripe(fl, s, limit, n);
		for (j = 0; j < FL_SKIP_SLOTS; j++) {
			if (!st->skip[j].packets || st->skip[j].interval >= limit)
				continue;
			fl->skips[(*nskip)++] = st->skip[j];
			st->skip[j].packets = 0;
		}
		pthread_mutex_unlock(&st->lock);
	}
	return n;
}

static int fl_rec_cmp(const void *a, const void *b)
{
	const struct fl_rec *x = *(const struct fl_rec *const *)a;
	const struct fl_rec *y = *(const struct fl_rec *const *)b;

	if (x->interval != y->interval)
		return x->interval < y->interval ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int fl_skip_cmp(const void *a, const void *b)
{
	const struct fl_skip *x = a, *y = b;

	return x->interval < y->interval ? -1 : x->interval > y->interval;
}

/*
 * Write n records (sorted) and nskip skip counts (sorted), interval by
 * interval: the records, then SKIPDATA; NODATA for the intervals of
 * [nd_from, nd_to) that had neither.
 */
static void fl_emit(struct flowlog *fl, size_t n, size_t nskip,
		    uint64_t nd_from, uint64_t nd_to)
{
	size_t ri = 0, si = 0;
	uint64_t i, next = nd_from;

	while (ri < n || si < nskip) {
		i = ri < n ? fl->out[ri]->interval : FL_UNSET;
		if (si < nskip && fl->skips[si].interval < i)
			i = fl->skips[si].interval;
		fl_put_nodata(fl, next, i < nd_to ? i : nd_to);
		while (ri < n && fl->out[ri]->interval == i)
			fl_put_rec(fl, fl->out[ri++]);
		if (si < nskip && fl->skips[si].interval == i)
			fl_put_status(fl, i, i + 1, "SKIPDATA");
		while (si < nskip && fl->skips[si].interval == i)
			si++;
		if (i + 1 > next)
			next = i + 1;
	}
	fl_put_nodata(fl, next, nd_to);
}

/* Write the intervals before `limit`; NODATA for empty ones in [nd_from, nd_to). */
static int fl_flush(struct flowlog *fl, uint64_t limit, uint64_t nd_from,
		    uint64_t nd_to)
{
	uint64_t before = fl_get(fl, records);
	size_t n, nskip;

	n = fl_take(fl, limit, &nskip);
	qsort(fl->out, n, sizeof(*fl->out), fl_rec_cmp);
	qsort(fl->skips, nskip, sizeof(*fl->skips), fl_skip_cmp);
	fl->err = 0;
	fl_emit(fl, n, nskip, nd_from, nd_to);
	fl_write_buf(fl);
	fl_pool_put(fl, fl->out, n);
	atomic_fetch_sub_explicit(&fl->pending, n, memory_order_relaxed);
	if (fl->err) {
		errno = fl->err;
		return -1;
	}
	return (int)(fl_get(fl, records) - before);
}

int flowlog_tick(struct flowlog *fl, uint64_t wall_s)
{
	uint64_t cur, wm;
	int ret = 0;

	if (!fl)
		return 0;
	cur = wall_s / fl->iv;
	pthread_mutex_lock(&fl->tick_lock);
	wm = atomic_load(&fl->wm);
	if (wm == FL_UNSET && atomic_compare_exchange_strong(&fl->wm, &wm, cur))
		goto out;
	/* Publish first: see the comment at the top. */
	if (cur > wm) {
		atomic_store(&fl->wm, cur);
		ret = fl_flush(fl, cur, wm, cur);
	} else if (cur < wm) {
		/* The clock stepped back: write all, restart at the new time. */
		atomic_store(&fl->wm, cur);
		ret = fl_flush(fl, FL_UNSET, 0, 0);
	}
out:
	pthread_mutex_unlock(&fl->tick_lock);
	return ret;
}

/* ---- open, close, counters ---------------------------------------------- */

static int fl_id(char *dst, const char *src, const char *def)
{
	size_t i, n;

	if (!src)
		src = def;
	n = strlen(src);
	if (!n || n > FLOWLOG_ID_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)src[i] <= ' ' || src[i] == 0x7f)
			return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static int fl_config(struct flowlog *fl, const struct flowlog_opts *o)
{
	size_t nb = 1;

	fl->iv = o->interval_s ? o->interval_s : FLOWLOG_INTERVAL_DEFAULT;
	fl->cap = o->max_records ? o->max_records : FLOWLOG_MAX_RECORDS_DEFAULT;
	fl->extended = o->extended;
	if (!o->path || fl->iv > FLOWLOG_INTERVAL_MAX ||
	    fl->cap > FLOWLOG_MAX_RECORDS_MAX ||
	    fl_id(fl->account, o->account_id, FLOWLOG_ACCOUNT_DEFAULT) < 0 ||
	    fl_id(fl->eni, o->interface_id, FLOWLOG_INTERFACE_DEFAULT) < 0) {
		errno = EINVAL;
		return -1;
	}
	/* About one record per bucket when full; at least one bucket per stripe. */
	while (nb < fl->cap || nb < FL_STRIPES)
		nb <<= 1;
	fl->mask = nb - 1;
	for (fl->shift = 0; ((size_t)FL_STRIPES << fl->shift) < nb; fl->shift++)
		;
	return 0;
}

static int fl_alloc(struct flowlog *fl)
{
	pthread_mutexattr_t attr;
	size_t i;

	fl->bucket = calloc(fl->mask + 1, sizeof(*fl->bucket));
	fl->pool.mem = calloc(fl->cap, sizeof(*fl->pool.mem));
	fl->out = calloc(fl->cap, sizeof(*fl->out));
	fl->skips = calloc(FL_STRIPES * FL_SKIP_SLOTS, sizeof(*fl->skips));
	fl->buf = malloc(FL_BUF_SIZE);
	fl->stripe = aligned_alloc(FL_CACHELINE, FL_STRIPES * sizeof(*fl->stripe));
	if (!fl->bucket || !fl->pool.mem || !fl->out || !fl->skips || !fl->buf ||
	    !fl->stripe)
		return -1;
	memset(fl->stripe, 0, FL_STRIPES * sizeof(*fl->stripe));
	pthread_mutexattr_init(&attr);
	/* Short critical sections: spin briefly before sleeping. */
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	for (i = 0; i < FL_STRIPES; i++)
		pthread_mutex_init(&fl->stripe[i].lock, &attr);
	pthread_mutex_init(&fl->pool.lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&fl->tick_lock, NULL);
	fl->locks = true;
	return 0;
}

static void fl_free(struct flowlog *fl)
{
	size_t i;

	if (fl->locks) {
		for (i = 0; i < FL_STRIPES; i++)
			pthread_mutex_destroy(&fl->stripe[i].lock);
		pthread_mutex_destroy(&fl->pool.lock);
		pthread_mutex_destroy(&fl->tick_lock);
	}
	free(fl->bucket);
	free(fl->pool.mem);
	free(fl->out);
	free(fl->skips);
	free(fl->buf);
	free(fl->stripe);
	sodium_memzero(fl->hash_key, sizeof(fl->hash_key));
	free(fl);
}

/* Open the file; the extended format's header unless it already holds lines. */
static int fl_open_file(struct flowlog *fl, const char *path)
{
	struct stat sb;

	fl->own_fd = strcmp(path, "-") != 0;
	fl->fd = !fl->own_fd ? STDOUT_FILENO :
		 open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fl->fd < 0)
		return -1;
	if (!fl->extended || (!fstat(fl->fd, &sb) && S_ISREG(sb.st_mode) && sb.st_size))
		return 0;
	fl->used = (size_t)snprintf(fl->buf, FL_BUF_SIZE, "%s%s\n", FL_HEADER,
				    FL_HEADER_EXT);
	fl_write_buf(fl);
	if (fl->err) {
		errno = fl->err;
		return -1;
	}
	return 0;
}

struct flowlog *flowlog_open(const struct flowlog_opts *o)
{
	struct flowlog *fl;
	int saved;

	if (sodium_init() < 0) {
		errno = ENOSYS;
		return NULL;
	}
	fl = aligned_alloc(FL_CACHELINE, sizeof(*fl));
	if (!fl)
		return NULL;
	memset(fl, 0, sizeof(*fl));
	fl->fd = -1;
	atomic_init(&fl->wm, FL_UNSET);
	randombytes_buf(fl->hash_key, sizeof(fl->hash_key));
	if (fl_config(fl, o) < 0 || fl_alloc(fl) < 0 || fl_open_file(fl, o->path) < 0)
		goto fail;
	return fl;
fail:
	saved = errno;
	if (fl->own_fd && fl->fd >= 0)
		close(fl->fd);
	fl_free(fl);
	errno = saved;
	return NULL;
}

void flowlog_close(struct flowlog *fl)
{
	if (!fl)
		return;
	pthread_mutex_lock(&fl->tick_lock);
	fl_flush(fl, FL_UNSET, 0, 0);
	pthread_mutex_unlock(&fl->tick_lock);
	if (fl->own_fd)
		close(fl->fd);
	fl_free(fl);
}

void flowlog_stats(struct flowlog *fl, struct flowlog_stats *st)
{
	if (!fl) {
		memset(st, 0, sizeof(*st));
		return;
	}
	st->records = fl_get(fl, records);
	st->pending = fl_get(fl, pending);
	st->skipped_packets = fl_get(fl, skipped);
	st->lost_records = fl_get(fl, lost);
	st->write_errors = fl_get(fl, write_errors);
}

/* ---- the decided-by text ------------------------------------------------ */

struct fl_text {
	char *buf;
	size_t len, used;
};

static void PRINTF_FMT(2, 3) fl_text_put(struct fl_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used + 1 >= t->len)
		return;
	if (t->used)
		t->buf[t->used++] = ',';
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n < t->len - t->used ? (size_t)n : t->len - t->used - 1;
	t->buf[t->used] = '\0';
}

static void fl_text_nacl(struct fl_text *t, const struct verdict *v, const char *dn)
{
	if (!v->nacl)
		return;
	if (v->nacl->number > NACL_RULE_MAX)
		fl_text_put(t, "nacl-%s:*", dn);
	else
		fl_text_put(t, "nacl-%s:%u", dn, v->nacl->number);
}

static void fl_text_sg(struct fl_text *t, const struct policy *pol,
		       const struct verdict *v, const char *dn)
{
	const struct ruleset *rs = pol ? policy_ruleset(pol) : NULL;

	switch (v->sg_outcome) {
	case SGO_FLOW_ORIG:
	case SGO_FLOW_REPLY:
		fl_text_put(t, "sg:flow");
		break;
	case SGO_NEW_TRACKED:
	case SGO_UNTRACKED:
		if (v->sg && rs && v->sg >= rs->sg && v->sg < rs->sg + rs->n_sg)
			fl_text_put(t, "sg-%s:%s#%zu", dn, rs->groups[v->sg->group].id,
				    (size_t)(v->sg - rs->sg) + 1);
		else
			fl_text_put(t, "sg-%s:rule", dn);
		break;
	case SGO_NO_RULE:
		fl_text_put(t, "sg-%s:none", dn);
		break;
	case SGO_TABLE_FULL:
		fl_text_put(t, "sg-%s:full", dn);
		break;
	default:
		break;
	}
}

const char *flowlog_rule_text(const struct policy *pol, const struct verdict *v,
			      enum dir d, char *buf, size_t len)
{
	struct fl_text t = { buf, len, 0 };
	const char *dn = d == DIR_IN ? "in" : "out";

	if (!len)
		return buf;
	buf[0] = '\0';
	if (v->layer == VL_INFRA)
		fl_text_put(&t, "infra");
	else if (!v->accept && v->layer == VL_NACL)
		fl_text_nacl(&t, v, dn);
	else if (!v->accept)
		fl_text_sg(&t, pol, v, dn);
	else if (d == DIR_IN) {
		fl_text_nacl(&t, v, dn);
		fl_text_sg(&t, pol, v, dn);
	} else {
		fl_text_sg(&t, pol, v, dn);
		fl_text_nacl(&t, v, dn);
	}
	return buf;
}
