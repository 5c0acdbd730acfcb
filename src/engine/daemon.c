/*
 * The engine's lifecycle. The control thread (this one) owns the control
 * socket, the signals and the timers; one thread per queue owns its socket
 * and judges its packets with no lock of its own: the policy is read under
 * RCU, the flow table locks its stripes.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/socket.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <urcu/urcu-memb.h>

#include "ctconf.h"
#include "ctl.h"
#include "daemon.h"
#include "exempt.h"
#include "flow.h"
#include "log.h"
#include "pkt.h"
#include "policy.h"
#include "queue.h"
#include "show.h"
#include "trace.h"

#include "daemon_int.h"
#include "policy_rcu.h"
#include "steer.h"
#include "notify.h"


static int open_queues(struct daemon *d)
{
	const struct daemon_cfg *c = d->cfg;
	struct queue_opts o = {
		.maxlen = c->queue_maxlen,
		.copy_range = c->copy_range,
		.fail_open = !c->fail_closed,
		.offload_mark = c->offload ? STEER_OFFLOAD_MARK : 0,
	};
	char err[256];
	size_t i;

	d->nq = (size_t)(c->queue_last - c->queue_first) + 1;
	d->qt = calloc(d->nq, sizeof(*d->qt));
	if (!d->qt)
		return -1;
	for (i = 0; i < d->nq; i++) {
		o.num = (uint16_t)(c->queue_first + i);
		d->qt[i].d = d;
		d->qt[i].ring = trace_ring_new(TRACE_RING_ORDER);
		if (!d->qt[i].ring)
			return -1;
		d->qt[i].q = queue_open(&o, err, sizeof(err));
		if (!d->qt[i].q) {
			log_err("%s", err);
			return -1;
		}
	}
	return 0;
}

static int start_threads(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nq; i++) {
		if (pthread_create(&d->qt[i].tid, NULL, qthread_main, &d->qt[i])) {
			log_err("cannot start the thread of queue %u", queue_num(d->qt[i].q));
			return -1;
		}
		d->qt[i].started = true;
	}
	return 0;
}

static int epoll_add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Signals are taken by signalfd in the control thread only: block them everywhere. */
static int setup_events(struct daemon *d)
{
	struct itimerspec its = { { EXPIRE_INTERVAL_S, 0 }, { EXPIRE_INTERVAL_S, 0 } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	d->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	d->trace_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	d->apply_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	d->fail_fd = eventfd(0, EFD_CLOEXEC);
	d->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sig_fd < 0 || d->timer_fd < 0 || d->fail_fd < 0 || d->ep_fd < 0 ||
	    d->trace_timer_fd < 0 || d->apply_timer_fd < 0)
		return -1;
	if (timerfd_settime(d->timer_fd, 0, &its, NULL) < 0)
		return -1;
	return 0;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	if (read(d->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		log_info("SIGHUP: reloading the rule files");
		daemon_reload_logged(d);
		return;
	}
	log_info("signal %u: judging what is queued, then stopping", si.ssi_signo);
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
}

static uint64_t received_total(const struct daemon *d)
{
	struct queue_stats qs;
	uint64_t n = 0;
	size_t i;

	for (i = 0; d->qt && i < d->nq; i++) {
		if (!d->qt[i].q)
			continue;
		queue_get_stats(d->qt[i].q, &qs);
		n += qs.received;
	}
	return n;
}

static uint64_t waiting_total(const struct daemon *d)
{
	struct queue_kernel_stats ks;
	uint64_t n = 0;
	size_t i;

	for (i = 0; d->qt && i < d->nq; i++)
		if (d->qt[i].q && queue_kernel_stats(queue_num(d->qt[i].q), &ks) == 0)
			n += ks.waiting;
	return n;
}

int daemon_unjudged(struct daemon *d)
{
	struct unjudged *u = &d->unj;
	uint64_t hits, recv, seen;

	if (steer_counted(d->cfg->queue_first, d->cfg->queue_last, &hits) < 0) {
		if (u->known)
			u->prior = u->value;
		u->known = false;
		return -1;
	}
	recv = received_total(d);
	if (!u->known) {
		/*
		 * Rules found at start: what they counted before is not ours.
		 * Rules installed after we bound: every packet they counted
		 * reached us or the kernel's failure path, count from 0. Rules
		 * back after being gone: from now.
		 */
		bool fresh = d->qt && !u->seen_once;

		u->base = fresh ? 0 : hits;
		u->recv_base = fresh ? 0 : recv;
		u->known = u->seen_once = true;
	} else if (hits < u->last_hits) {
		/* Replaced: `steer on` again starts its counters at 0. */
		u->prior = u->value;
		u->base = 0;
		u->recv_base = u->last_recv;
	}
	u->last_hits = hits;
	u->last_recv = recv;
	seen = (recv - u->recv_base) + waiting_total(d);
	u->value = u->prior + (hits - u->base > seen ? hits - u->base - seen : 0);
	return 0;
}

/* Say so while the kernel lets packets by unjudged: fail-open has a price. */
static void unjudged_tick(struct daemon *d)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 1);

	if (++d->unj.ticks % UNJUDGED_CHECK_S || daemon_unjudged(d) < 0)
		return;
	if (d->unj.value > d->unj.warned)
		log_limited(&rl, LOG_LVL_WARN, "%llu packets %s unjudged by the kernel in "
			    "the last %u s (queue full or no engine bound): no rule saw them",
			    (unsigned long long)(d->unj.value - d->unj.warned),
			    d->cfg->fail_closed ? "dropped" : "passed", UNJUDGED_CHECK_S);
	d->unj.warned = d->unj.value;
}

static struct log_ratelimit flowlog_rl = LOG_RATELIMIT_INIT(60000, 1);

static void on_timer(struct daemon *d)
{
	struct flow_stats fs;
	uint64_t ticks;

	if (read(d->timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	flow_table_stats(d->flows, &fs);
	flow_table_expire(d->flows, now_ms(),
			  (size_t)(fs.buckets / EXPIRE_SWEEP_S) + 1);
	daemon_shadow_tick(d);
	daemon_offload_tick(d);
	if (d->flowlog && flowlog_tick(d->flowlog, (uint64_t)time(NULL)) < 0)
		log_limited(&flowlog_rl, LOG_LVL_ERR, "flow log %s: %s", d->cfg->flow_log,
			    strerror(errno));
	unjudged_tick(d);
}

static void on_event(struct daemon *d, int fd, uint32_t events)
{
	int i;

	if (fd == d->sig_fd)
		on_signal(d);
	else if (fd == d->timer_fd)
		on_timer(d);
	else if (fd == d->fail_fd)
		d->exit_code = EXIT_SYSTEM;
	else if (fd == d->trace_timer_fd)
		daemon_on_trace_timer(d);
	else if (fd == d->apply_timer_fd)
		daemon_on_apply_timer(d);
	else if (fd == daemon_offload_fd(d))
		daemon_on_ctevent(d);
	else if ((i = daemon_tracer_find(d, fd)) >= 0)
		daemon_on_tracer_event(d, i);
	else
		ctl_server_event(d->ctl, fd, events);
}

/*
 * Nothing here waits on a client: control connections are served as they
 * become ready, and epoll_wait sleeps no longer than the nearest request
 * deadline, so signals, timers and traces always get their turn.
 */
static void control_loop(struct daemon *d)
{
	struct epoll_event ev[64];
	int n, i;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		n = epoll_wait(d->ep_fd, ev, (int)ARRAY_SIZE(ev),
			       ctl_server_timeout(d->ctl, now_ms()));
		if (n < 0 && errno != EINTR) {
			log_err("epoll: %s", strerror(errno));
			d->exit_code = EXIT_SYSTEM;
			break;
		}
		for (i = 0; i < n && !d->exit_code &&
		     !__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE); i++)
			on_event(d, ev[i].data.fd, ev[i].events);
		ctl_server_expire(d->ctl, now_ms());
		if (d->exit_code)
			break;
	}
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The last word on every packet of this run: judged by us, or by the kernel's failure policy. */
static void log_totals(struct daemon *d)
{
	struct queue_stats qs;
	size_t i;

	for (i = 0; d->qt && i < d->nq; i++) {
		if (!d->qt[i].started)
			continue;
		queue_get_stats(d->qt[i].q, &qs);
		log_info("queue %u: received %llu packets: accepted %llu, dropped %llu; "
			 "failure verdicts: cut short %llu, without bytes %llu, no direction %llu",
			 queue_num(d->qt[i].q), (unsigned long long)qs.received,
			 (unsigned long long)qs.accepted, (unsigned long long)qs.dropped,
			 (unsigned long long)qs.truncated, (unsigned long long)qs.no_payload,
			 (unsigned long long)rd(&d->qt[i].c.internal_errors));
	}
	if (d->qt && daemon_unjudged(d) == 0)
		log_info("%llu packets %s unjudged by the kernel while this engine ran",
			 (unsigned long long)d->unj.value,
			 d->cfg->fail_closed ? "dropped" : "passed");
}

static void teardown(struct daemon *d)
{
	size_t i;

	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
	for (i = 0; d->qt && i < d->nq; i++)
		if (d->qt[i].started)
			pthread_join(d->qt[i].tid, NULL);
	log_totals(d);
	/* The queue threads are gone: what they counted can be written. */
	daemon_offload_close(d);	/* its last count goes to the flow log */
	flowlog_close(d->flowlog);
	/*
	 * The lines of the last packets judged, before the listeners go: a
	 * recording then ends with the engine's last verdict (explain --replay).
	 */
	if (d->n_tracers && d->trace_timer_fd >= 0)
		daemon_trace_pump(d);
	while (d->n_tracers)
		daemon_tracer_remove(d, d->n_tracers - 1);
	ctl_server_free(d->ctl);
	for (i = 0; d->qt && i < d->nq; i++) {
		queue_close(d->qt[i].q);
		trace_ring_free(d->qt[i].ring);
	}
	free(d->qt);
	if (d->ctl_fd >= 0) {
		close(d->ctl_fd);
		unlink(d->cfg->ctl_path);
	}
	close_fd(d->sig_fd);
	close_fd(d->timer_fd);
	close_fd(d->fail_fd);
	close_fd(d->ep_fd);
	close_fd(d->trace_timer_fd);
	close_fd(d->apply_timer_fd);
	daemon_shadow_close(d);
	pset_free(d->rollback_policy);
	file_set_clear(&d->files);
	file_set_clear(&d->apply_files);
	if (d->flows)
		flow_table_free(d->flows);
	pset_free(d->pset);
}

int daemon_copy_paths(char ***dst, size_t *n, const char *const *src, size_t count)
{
	size_t i;

	*dst = calloc(count + 1, sizeof(**dst));
	if (!*dst)
		return -1;
	for (i = 0; i < count; i++) {
		if (!((*dst)[i] = strdup(src[i])))
			return -1;
		*n = i + 1;
	}
	return 0;
}

/* The engine's own copy of the files of `run`: apply may replace them. */
static int file_set_from_cfg(struct file_set *fs, const struct daemon_cfg *c)
{
	if (daemon_copy_paths(&fs->nacl, &fs->n_nacl, c->nacl_files, c->n_nacl) < 0 ||
	    daemon_copy_paths(&fs->sg, &fs->n_sg, c->sg_files, c->n_sg) < 0)
		return -1;
	return 0;
}

/* The interface of --conntrack argument i, or -1 when it is the host's. */
static int ct_iface_of(const char *arg, char name[CTCONF_IFNAME_MAX], const char **spec)
{
	char why[96];

	/* The command line checked it: -1 cannot happen here. */
	return ctconf_iface_split(arg, name, spec, why, sizeof(why)) == 1 ? 0 : -1;
}

/* Interface name's settings: start (the host's, or its file entry's), then its own arguments in order. */
static int ct_iface_params(const struct daemon_cfg *c, const char *name,
			   const struct ctconf *start, struct ctconf *ct, struct diag *dg)
{
	char n2[CTCONF_IFNAME_MAX];
	const char *spec;
	size_t i;

	*ct = *start;
	for (i = 0; i < c->n_conntrack; i++)
		if (ct_iface_of(c->conntrack[i], n2, &spec) == 0 && !strcmp(n2, name) &&
		    ctconf_parse(ct, spec, dg) < 0)
			return -1;
	return 0;
}

/* The local interfaces with a MAC address, for describe-network-interfaces files. */
struct local_macs {
	size_t n;
	char mac[64][CTCONF_MAC_LEN];
	char name[64][CTCONF_IFNAME_MAX];
};

static void local_macs(struct local_macs *m)
{
	struct ifaddrs *ifs, *a;

	m->n = 0;
	if (getifaddrs(&ifs) < 0)
		return;
	for (a = ifs; a && m->n < 64; a = a->ifa_next) {
		const struct sockaddr_ll *ll = (const struct sockaddr_ll *)a->ifa_addr;

		if (!ll || ll->sll_family != AF_PACKET || ll->sll_halen != 6 ||
		    strlen(a->ifa_name) >= CTCONF_IFNAME_MAX)
			continue;
		snprintf(m->mac[m->n], CTCONF_MAC_LEN, "%02x:%02x:%02x:%02x:%02x:%02x",
			 ll->sll_addr[0], ll->sll_addr[1], ll->sll_addr[2], ll->sll_addr[3],
			 ll->sll_addr[4], ll->sll_addr[5]);
		strcpy(m->name[m->n++], a->ifa_name);
	}
	freeifaddrs(ifs);
}

int daemon_conntrack_check(const char *spec, struct diag *d)
{
	struct ctconf_local l;
	struct local_macs m;
	struct ctconf ct;

	ctconf_default(&ct);
	local_macs(&m);
	l.macs = (const char (*)[CTCONF_MAC_LEN])m.mac;
	l.n_macs = m.n;
	return ctconf_parse_local(&ct, spec, &l, d);
}

/* The file entries that named local interfaces, as --conntrack IFACE= starts. */
struct ct_files {
	size_t n;
	char name[CTCONF_NICS_MAX][CTCONF_IFNAME_MAX];
	char id[CTCONF_NICS_MAX][CTCONF_ID_MAX];
	struct ctconf ct[CTCONF_NICS_MAX];
};

/* Record l's matches (a later file's entry for an interface replaces an earlier one's). */
static void ct_files_add(struct ct_files *f, const struct local_macs *m,
			 const struct ctconf_local *l)
{
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		const char *name = m->name[l->nic[i].mac];

		for (k = 0; k < f->n && strcmp(f->name[k], name); k++)
			;
		if (k == CTCONF_NICS_MAX)
			continue;
		if (k == f->n)
			f->n++;
		strcpy(f->name[k], name);
		memcpy(f->id[k], l->nic[i].id, sizeof(f->id[k]));
		f->ct[k] = l->nic[i].ct;
	}
}

/* Add interface name (settings from start, then its own arguments) to ifs. */
static int ct_iface_add(const struct daemon_cfg *c, const struct flow_params *fp,
			const char *name, const struct ctconf *start, const char *id,
			struct ct_ifaces *ifs, bool strict, struct diag *dg, FILE *out)
{
	struct ctconf ct;
	unsigned ifindex;

	if (ifs->n == FLOW_IFACE_TMO_MAX) {
		fprintf(out, "--conntrack: more than %d interfaces with settings of their own\n",
			FLOW_IFACE_TMO_MAX);
		return -1;
	}
	if (ct_iface_params(c, name, start, &ct, dg) < 0)
		return -1;
	ifindex = if_nametoindex(name);
	if (!ifindex && strict) {
		fprintf(out, "--conntrack %s: no such interface\n", name);
		log_err("--conntrack %s: no such interface", name);
		return -1;
	}
	if (!ifindex) {
		log_warn("--conntrack %s: no such interface now; its settings wait for a reload",
			 name);
		return 0;
	}
	ifs->v[ifs->n].ifindex = ifindex;
	ifs->v[ifs->n].p = *fp;
	ctconf_to_flow_params(&ct, &ifs->v[ifs->n].p);
	snprintf(ifs->eni_id[ifs->n], sizeof(ifs->eni_id[0]), "%s", id ? id : "");
	ifs->n++;
	return 0;
}

/*
 * The interfaces of describe-network-interfaces entries (by MAC), then
 * each other one named by --conntrack IFACE=, once, in order of first
 * mention.
 */
static int ct_ifaces_build(const struct daemon_cfg *c, const struct flow_params *fp,
			   const struct ctconf *host, const struct ct_files *f,
			   struct ct_ifaces *ifs, bool strict, struct diag *dg, FILE *out)
{
	char names[FLOW_IFACE_TMO_MAX][CTCONF_IFNAME_MAX], name[CTCONF_IFNAME_MAX];
	size_t i, k, n = 0;
	const char *spec;

	ifs->n = 0;
	for (i = 0; i < f->n; i++) {
		if (ct_iface_add(c, fp, f->name[i], &f->ct[i], f->id[i], ifs, strict, dg, out) < 0)
			return -1;
		memcpy(names[n++], f->name[i], sizeof(names[0]));
	}
	for (i = 0; i < c->n_conntrack; i++) {
		if (ct_iface_of(c->conntrack[i], name, &spec) < 0)
			continue;
		for (k = 0; k < n && strcmp(names[k], name); k++)
			;
		if (k < n)
			continue;
		if (n == FLOW_IFACE_TMO_MAX || ct_iface_add(c, fp, name, host, NULL, ifs, strict,
							     dg, out) < 0) {
			if (n == FLOW_IFACE_TMO_MAX)
				fprintf(out, "--conntrack: more than %d interfaces with settings "
					"of their own\n", FLOW_IFACE_TMO_MAX);
			return -1;
		}
		memcpy(names[n++], name, sizeof(name));
	}
	return 0;
}

int daemon_flow_params(const struct daemon_cfg *c, struct flow_params *fp,
		       struct ct_ifaces *ifs, bool strict, FILE *out)
{
	struct diag *dg = diag_new();
	char sum[512], name[CTCONF_IFNAME_MAX];
	struct ct_files files = { .n = 0 };
	struct ctconf_local l;
	struct local_macs m;
	const char *spec;
	struct ctconf ct;
	size_t i;
	int ret = 0;

	if (!dg)
		return -1;
	flow_params_default(fp);
	fp->max_flows = c->max_flows;
	fp->evict_unestablished = c->evict_unestablished;
	ctconf_default(&ct);
	local_macs(&m);
	l.macs = (const char (*)[CTCONF_MAC_LEN])m.mac;
	l.n_macs = m.n;
	for (i = 0; i < c->n_conntrack && ret == 0; i++) {
		if (ct_iface_of(c->conntrack[i], name, &spec) == 0)
			continue;
		ret = ctconf_parse_local(&ct, c->conntrack[i], &l, dg);
		if (ret == 0)
			ct_files_add(&files, &m, &l);
	}
	ctconf_to_flow_params(&ct, fp);
	if (ret == 0)
		ret = ct_ifaces_build(c, fp, &ct, &files, ifs, strict, dg, out);
	if (ret < 0 && diag_errors(dg)) {
		diag_print(dg, out);
		diag_summary(dg, sum, sizeof(sum));
		log_err("--conntrack refused: %s", sum);
	}
	diag_free(dg);
	return ret;
}

void daemon_timeouts_apply(struct daemon *d, const struct flow_params *fp,
			   const struct ct_ifaces *ifs)
{
	struct flow_stats s;
	size_t i;

	flow_table_set_iface_timeouts(d->flows, ifs->v, ifs->n);
	/* The shadow's flows idle out as the enforced ones do, or they disagree by timeout. */
	if (d->shadow && d->shadow->flows)
		flow_table_set_iface_timeouts(d->shadow->flows, ifs->v, ifs->n);
	d->ct_ifs = *ifs;
	for (i = 0; i < ifs->n; i++)
		log_info("conntrack of ifindex %u%s%s: tcp-established %u s, udp-stream %u s, udp %u s",
			 ifs->v[i].ifindex, ifs->eni_id[i][0] ? ", " : "", ifs->eni_id[i],
			 ifs->v[i].p.tcp_established_s, ifs->v[i].p.udp_stream_s,
			 ifs->v[i].p.udp_s);
	flow_table_stats(d->flows, &s);
	if (s.tcp_established_s == fp->tcp_established_s &&
	    s.udp_stream_s == fp->udp_stream_s && s.udp_s == fp->udp_s)
		return;
	flow_table_set_timeouts(d->flows, fp);
	if (d->shadow && d->shadow->flows)
		flow_table_set_timeouts(d->shadow->flows, fp);
	d->fp = *fp;
	daemon_offload_tune(d, fp);
	log_info("conntrack: tcp-established %u s, udp-stream %u s, udp %u s, "
		 "each flow from its next packet", fp->tcp_established_s,
		 fp->udp_stream_s, fp->udp_s);
}

/*
 * AWS never gives an instance a reserved address of its subnet (the first
 * four, the VPC's resolver), and the exemption passes every packet to or
 * from one unjudged: a --subnet that makes the host's own address reserved
 * would switch its firewall off without a word. Say it at start.
 */
static void warn_reserved_host(const struct policy_opts *o)
{
	struct ifaddrs *ifs, *i;
	char buf[INET6_ADDRSTRLEN];

	if (o->judge_aws_services || (!o->n_subnets && !o->have_vpc) || getifaddrs(&ifs) < 0)
		return;
	for (i = ifs; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;

		if (!sin || sin->sin_family != AF_INET ||
		    exempt_addr_kind(o, AF_INET, (const uint8_t *)&sin->sin_addr) != EXEMPT_RESERVED)
			continue;
		log_warn("%s: the host's address %s is one AWS reserves (the first four "
			 "of a --subnet, or the resolver at --vpc base + 2): AWS never "
			 "assigns it, and every packet to or from it passes unjudged; "
			 "check --subnet/--vpc, or add --judge-aws-services", i->ifa_name,
			 inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)));
	}
	freeifaddrs(ifs);
}

/* The flow log's interface-id of a record: its interface's ENI id, as the rules in force say. */
static const char *flowlog_eni_id(void *ctx, unsigned ifindex, char *buf, size_t len)
{
	struct daemon *d = ctx;
	const struct pset *ps;
	const char *id;

	size_t i;

	urcu_memb_read_lock();
	ps = policy_rcu_get(&d->pset);
	id = ps ? pset_eni_id(ps, ifindex) : NULL;
	if (id)
		snprintf(buf, len, "%s", id);
	policy_rcu_unlock(&d->pset);
	if (id)
		return buf;
	/* Else the NetworkInterfaceId of its describe-network-interfaces entry. */
	for (i = 0; i < d->ct_ifs.n; i++)
		if (d->ct_ifs.v[i].ifindex == ifindex && d->ct_ifs.eni_id[i][0]) {
			snprintf(buf, len, "%s", d->ct_ifs.eni_id[i]);
			return buf;
		}
	return NULL;
}

static int setup(struct daemon *d)
{
	const struct daemon_cfg *c = d->cfg;
	struct flow_params fp;
	struct ct_ifaces ifs;
	struct diag *dg = diag_new();
	int ret;

	if (!dg)
		return EXIT_SYSTEM;
	if (file_set_from_cfg(&d->files, c) < 0) {
		diag_free(dg);
		return EXIT_SYSTEM;
	}
	d->pset = daemon_load_policy(d, &d->files, dg);
	diag_print(dg, stderr);
	diag_free(dg);
	if (!d->pset)
		return EXIT_BAD_INPUT;
	/* Never start with rules that cut the SSH session we were started from. */
	if (daemon_guard(d->pset, getenv("SSH_CONNECTION"), c->force, stderr))
		return EXIT_BAD_INPUT;
	warn_reserved_host(&c->scope);
	if (c->inside && !(d->inside_ifindex = if_nametoindex(c->inside))) {
		log_err("--inside %s: no such interface", c->inside);
		return EXIT_BAD_INPUT;
	}
	if (c->flow_log) {
		struct flowlog_opts fo = {
			.path = c->flow_log, .interval_s = c->flow_log_interval,
			.extended = c->flow_log_extended,
			.iface_id = flowlog_eni_id, .iface_ctx = d,
		};

		d->flowlog = flowlog_open(&fo);
		if (!d->flowlog) {
			log_err("--flow-log %s: %s", c->flow_log, strerror(errno));
			return EXIT_BAD_INPUT;
		}
	}
	if (daemon_flow_params(c, &fp, &ifs, true, stderr) < 0)
		return EXIT_BAD_INPUT;
	d->fp = fp;
	d->flows = flow_table_new(&fp);
	if (!d->flows || setup_events(d) < 0) {
		log_err("cannot set up the engine: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	daemon_timeouts_apply(d, &fp, &ifs);
	d->ctl_fd = ctl_listen(c->ctl_path);
	if (d->ctl_fd < 0) {
		log_err("control socket %s: %s", c->ctl_path, errno == EADDRINUSE ?
			"another vpcfw answers there (use --ctl PATH)" : strerror(errno));
		return EXIT_BAD_INPUT;
	}
	/* The steering's count so far, before any packet can reach us. */
	daemon_unjudged(d);
	if (daemon_offload_open(d, &fp) < 0)
		return EXIT_BAD_INPUT;
	if (open_queues(d) < 0)
		return EXIT_BAD_INPUT;
	/* After the queues (one tally per thread), before the threads. */
	ret = daemon_shadow_setup(d);
	if (ret)
		return ret;
	if (d->ctev && epoll_add(d->ep_fd, daemon_offload_fd(d)))
		return EXIT_SYSTEM;
	if (epoll_add(d->ep_fd, d->sig_fd) || epoll_add(d->ep_fd, d->timer_fd) ||
	    epoll_add(d->ep_fd, d->fail_fd) ||
	    epoll_add(d->ep_fd, d->trace_timer_fd) || epoll_add(d->ep_fd, d->apply_timer_fd))
		return EXIT_SYSTEM;
	d->ctl = ctl_server_new(d->ctl_fd, d->ep_fd, daemon_ctl_cmds, daemon_n_ctl_cmds, d);
	if (!d->ctl)
		return EXIT_SYSTEM;
	return start_threads(d) < 0 ? EXIT_SYSTEM : EXIT_OK;
}

void daemon_cfg_init(struct daemon_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->ctl_path = CTL_DEFAULT_PATH;
	c->max_flows = 262144;
	c->queue_maxlen = 4096;
	c->copy_range = 512;
}

int daemon_run(const struct daemon_cfg *c)
{
	struct daemon d = {
		.cfg = c, .ctl_fd = -1, .sig_fd = -1, .timer_fd = -1,
		.fail_fd = -1, .ep_fd = -1, .trace_timer_fd = -1, .apply_timer_fd = -1,
		.generation = 1,
	};
	int ret;

	d.started_ms = now_ms();
	d.loaded_at = time(NULL);
	urcu_memb_register_thread();
	ret = setup(&d);
	if (ret == 0) {
		if (c->queue_first == c->queue_last)
			log_info("ready: queue %u bound, rules loaded (%s)", c->queue_first,
				 c->fail_closed ? "fail-closed" : "fail-open");
		else
			log_info("ready: queues %u-%u bound, rules loaded (%s)",
				 c->queue_first, c->queue_last,
				 c->fail_closed ? "fail-closed" : "fail-open");
		notify_send("READY=1\nSTATUS=judging packets: queues %u-%u, rules generation %u, %s",
			    c->queue_first, c->queue_last, d.generation,
			    c->fail_closed ? "fail-closed" : "fail-open");
		control_loop(&d);
		notify_send("STOPPING=1");
		ret = d.exit_code;
		log_info("stopped");
	}
	teardown(&d);
	urcu_memb_unregister_thread();
	return ret;
}
