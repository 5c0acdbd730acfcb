/*
 * Trace listeners, on the control thread: attach, drain the queue threads'
 * rings every TRACE_TICK_MS, filter, write without ever blocking.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <urcu/urcu-memb.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "daemon_int.h"
#include "policy_rcu.h"


static void trace_timer_arm(struct daemon *d, bool on)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (on) {
		its.it_interval.tv_nsec = TRACE_TICK_MS * 1000000L;
		its.it_value.tv_nsec = TRACE_TICK_MS * 1000000L;
	}
	timerfd_settime(d->trace_timer_fd, 0, &its, NULL);
}

void daemon_tracer_remove(struct daemon *d, int i)
{
	epoll_ctl(d->ep_fd, EPOLL_CTL_DEL, d->tracers[i].fd, NULL);
	close(d->tracers[i].fd);
	d->tracers[i] = d->tracers[d->n_tracers - 1];
	__atomic_store_n(&d->n_tracers, d->n_tracers - 1, __ATOMIC_RELAXED);
	if (!d->n_tracers)
		trace_timer_arm(d, false);
}

int daemon_tracer_find(const struct daemon *d, int fd)
{
	int i;

	for (i = 0; i < d->n_tracers; i++)
		if (d->tracers[i].fd == fd)
			return i;
	return -1;
}

/*
 * The words "compare" and "disagree" (the shadow's, shadow.h) out of a
 * trace request: the rest are filter words, into w (CTL_MAX_WORDS + 1).
 */
static void trace_modes(char *const *argv, char **w, struct tracer *tr)
{
	size_t n = 0;

	tr->compare = tr->disagree = false;
	for (; *argv; argv++) {
		if (!strcmp(*argv, "compare"))
			tr->compare = true;
		else if (!strcmp(*argv, "disagree"))
			tr->compare = tr->disagree = true;
		else if (n < CTL_MAX_WORDS)
			w[n++] = *argv;
	}
	w[n] = NULL;
}

void daemon_ctl_trace(void *ctx, char *const *argv, int fd)
{
	struct daemon *d = ctx;
	struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLIN, .data.fd = fd };
	char err[160], bad[256], *words[CTL_MAX_WORDS + 1];
	const char *why = NULL;
	struct tracer mode;
	struct filter f;
	size_t i;

	trace_modes(argv + 1, words, &mode);
	if (daemon_filter_parse(words, FILTER_VERDICT | FILTER_IFACE, &f, err,
				sizeof(err)) < 0) {
		snprintf(bad, sizeof(bad), "ERR\nbad trace filter: %s (proto=P addr=A[/N] "
			 "port=0-65535 verdict=accept|drop iface=NAME)\n", err);
		why = bad;
	} else if (d->n_tracers == MAX_TRACERS)
		why = "ERR\ntoo many trace listeners\n";
	else if (epoll_ctl(d->ep_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		why = "ERR\ncannot follow the connection\n";
	if (why) {
		if (write(fd, why, strlen(why)) < 0) { /* the client is gone */ }
		close(fd);
		return;
	}
	if (write(fd, "OK\n", 3) < 0) { /* noticed at the first line */ }
	/* Start the rings empty: no line older than the listener. */
	for (i = 0; !d->n_tracers && i < d->nq; i++) {
		struct trace_rec junk[64];

		while (trace_ring_pop(d->qt[i].ring, junk, ARRAY_SIZE(junk)))
			;
		trace_ring_take_lost(d->qt[i].ring);
	}
	d->tracers[d->n_tracers].fd = fd;
	d->tracers[d->n_tracers].f = f;
	d->tracers[d->n_tracers].lost = 0;
	d->tracers[d->n_tracers].compare = mode.compare;
	d->tracers[d->n_tracers].disagree = mode.disagree;
	__atomic_store_n(&d->n_tracers, d->n_tracers + 1, __ATOMIC_RELAXED);
	trace_timer_arm(d, true);
}

/* Never block on a listener: a line it cannot take now is lost, and counted. */
static void tracer_send(struct daemon *d, int i, const char *line, size_t len)
{
	struct tracer *tr = &d->tracers[i];
	char note[96];

	if (tr->lost) {
		int n = snprintf(note, sizeof(note), "# %llu lines lost (the reader or the "
				 "ring was too slow)\n", (unsigned long long)tr->lost);

		if (send(tr->fd, note, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
			tr->lost = 0;
	}
	if (send(tr->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len)
		tr->lost++;
}

/*
 * One record's line, under the policy of its interface, which it names;
 * compare: with the shadow's verdict beside it (sh: the shadow now).
 */
static void format_rec(const struct trace_rec *r, const struct pset *ps,
		       const struct shadow *sh, bool compare, char *line, size_t len)
{
	struct trace_iface ifc = { .name = pset_eni_name(ps, r->ifindex), .eni = true };
	char name[IF_NAMESIZE];

	if (!ifc.name && r->ifindex) {
		/* Control thread, and only for lines someone reads. */
		ifc.name = if_indextoname(r->ifindex, name);
		ifc.eni = false;
	}
	if (compare)
		trace_format_compare(r, pset_for(ps, r->ifindex), sh ? sh->pol : NULL, &ifc,
				     line, len);
	else
		trace_format(r, pset_for(ps, r->ifindex), &ifc, line, len);
}

static void trace_pump_ring(struct daemon *d, struct trace_ring *ring,
			    const struct pset *ps, const struct shadow *sh)
{
	struct trace_rec rec[64];
	char line[2][640];
	size_t n, k;
	int i;

	while ((n = trace_ring_pop(ring, rec, ARRAY_SIZE(rec))) > 0) {
		for (k = 0; k < n; k++) {
			bool formatted[2] = { false, false };

			for (i = 0; i < d->n_tracers; i++) {
				const struct tracer *tr = &d->tracers[i];
				int c = tr->compare;

				if (!trace_match(&rec[k], &tr->f) ||
				    (tr->disagree && !trace_disagrees(&rec[k])))
					continue;
				if (!formatted[c])
					format_rec(&rec[k], ps, sh, c, line[c], sizeof(line[c]));
				formatted[c] = true;
				tracer_send(d, i, line[c], strlen(line[c]));
			}
		}
	}
}

void daemon_trace_pump(struct daemon *d)
{
	uint64_t lost;
	size_t q;
	int i;

	urcu_memb_read_lock();
	for (q = 0; q < d->nq; q++) {
		trace_pump_ring(d, d->qt[q].ring, policy_rcu_get(&d->pset), d->shadow);
		lost = trace_ring_take_lost(d->qt[q].ring);
		for (i = 0; i < d->n_tracers; i++)
			d->tracers[i].lost += lost;
	}
	policy_rcu_unlock(&d->pset);
}

void daemon_on_trace_timer(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->trace_timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	daemon_trace_pump(d);
}

void daemon_on_tracer_event(struct daemon *d, int i)
{
	char buf[64];

	/* Listeners send nothing: data or EOF means they are done. */
	if (recv(d->tracers[i].fd, buf, sizeof(buf), MSG_DONTWAIT) != -1 ||
	    (errno != EAGAIN && errno != EWOULDBLOCK))
		daemon_tracer_remove(d, i);
}

