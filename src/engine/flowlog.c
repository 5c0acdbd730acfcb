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
 * records into its own array, hands them to the writer (flowlog_write.c:
 * sorted, formatted into a buffer written whole lines at a time, O_APPEND)
 * and returns them to the pool.
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowlog_int.h"
#include "rulename.h"

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
	k->ifindex = p->ifindex;
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

/* Write the intervals before `limit`; NODATA for empty ones in [nd_from, nd_to). */
static int fl_flush(struct flowlog *fl, uint64_t limit, uint64_t nd_from,
		    uint64_t nd_to)
{
	uint64_t before = fl_get(fl, records);
	size_t n, nskip;

	n = fl_take(fl, limit, &nskip);
	fl_write_intervals(fl, n, nskip, nd_from, nd_to);
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
	fl->iface_id = o->iface_id;
	fl->iface_ctx = o->iface_ctx;
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

const char *flowlog_rule_text(const struct policy *pol, const struct verdict *v,
			      enum dir d, char *buf, size_t len)
{
	return rulename_verdict(pol, v, d, 0, buf, len);
}
