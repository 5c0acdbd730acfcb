/*
 * VPC Flow Logs, the writer (see flowlog.h for the format): the records an
 * interval collected, sorted and formatted into a buffer that is written
 * whole lines at a time (O_APPEND); a failed write loses records, counted,
 * and never leaves half a line for the next one to continue.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowlog_int.h"

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
	char rule[FLOWLOG_RULE_MAX], ext[FLOWLOG_RULE_MAX + 8] = "", idbuf[FLOWLOG_ID_MAX + 1];
	const char *id = fl->iface_id && k->ifindex ?
			 fl->iface_id(fl->iface_ctx, k->ifindex, idbuf, sizeof(idbuf)) : NULL;

	inet_ntop(k->family, k->src, src, sizeof(src));
	inet_ntop(k->family, k->dst, dst, sizeof(dst));
	if (fl->extended) {
		fl_field(rule, r->rule[0] ? r->rule : "-", sizeof(rule));
		snprintf(ext, sizeof(ext), " %u %s", r->tcp_flags, rule);
	}
	fl_line(fl, "%u %s %s %s %s %u %u %u %" PRIu64 " %" PRIu64 " %" PRIu64
		" %" PRIu64 " %s OK%s", fl_version(fl), fl->account, id ? id : fl->eni,
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

void fl_write_intervals(struct flowlog *fl, size_t n, size_t nskip,
			uint64_t nd_from, uint64_t nd_to)
{
	qsort(fl->out, n, sizeof(*fl->out), fl_rec_cmp);
	qsort(fl->skips, nskip, sizeof(*fl->skips), fl_skip_cmp);
	fl->err = 0;
	fl_emit(fl, n, nskip, nd_from, nd_to);
	fl_write_buf(fl);
}

int fl_open_file(struct flowlog *fl, const char *path)
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
