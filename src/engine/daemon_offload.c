/*
 * run --offload: the flows the kernel carries. The queue threads hand a
 * tracked flow to the kernel (daemon_judge.c); the kernel's connection
 * tracking then tells this thread, through ctevent, when the connection
 * ends and what it carried: the flow's counters follow the kernel's, the
 * flow log gets the packets the engine never saw, and the flow leaves the
 * table, so the cap only ever holds live connections.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include <urcu/urcu-memb.h>

#include "ctevent.h"
#include "daemon_int.h"
#include "log.h"
#include "policy_rcu.h"
#include "steer.h"

/* The kernel's marked entries are dumped this often: counters for `show flows`, a resync. */
#define OFFLOAD_SYNC_S		5
/*
 * A flow offloaded this recently may not carry its mark in the kernel yet
 * (the verdict is on its way): a resync leaves it alone.
 */
#define OFFLOAD_RESYNC_MARGIN_MS 2000

static struct log_ratelimit lost_rl = LOG_RATELIMIT_INIT(60000, 1);
static struct log_ratelimit err_rl = LOG_RATELIMIT_INIT(60000, 1);

static enum dir other_dir(enum dir d)
{
	return d == DIR_IN ? DIR_OUT : DIR_IN;
}

/* What the kernel carried, into the flow log: one record per direction that moved. */
static void offload_flowlog(struct daemon *d, const struct ctevent_conn *c,
			    const struct flow_kcount *kc)
{
	uint64_t wall_s = (uint64_t)time(NULL);
	unsigned f;

	for (f = 0; f < 2; f++) {
		struct verdict v = {
			.accept = true, .layer = VL_SG, .flow_state = FLOW_ESTABLISHED,
			.sg_outcome = f ? SGO_FLOW_REPLY : SGO_FLOW_ORIG,
		};
		enum dir dir = f ? other_dir(kc->init_dir) : kc->init_dir;
		const char *text = NULL;
		struct pkt p = c->orig;
		char rule[96];

		if (!kc->packets[f])
			continue;
		/* c->orig is the kernel's original direction. */
		if ((f == 1) != kc->reversed) {
			memcpy(p.src, c->orig.dst, sizeof(p.src));
			memcpy(p.dst, c->orig.src, sizeof(p.dst));
			p.sport = c->orig.dport;
			p.dport = c->orig.sport;
		}
		urcu_memb_read_lock();
		if (d->cfg->flow_log_extended)
			text = flowlog_rule_text(policy_rcu_get(&d->pset)->def, &v, dir,
						 rule, sizeof(rule));
		flowlog_packets(d->flowlog, &p, dir, true, text, wall_s,
				kc->packets[f], kc->bytes[f]);
		policy_rcu_unlock(&d->pset);
	}
}

/* Is a an address of this namespace's interfaces? */
static bool is_local(const struct ifaddrs *ifs, int family, const uint8_t *a)
{
	const struct ifaddrs *i;

	for (i = ifs; i; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa || sa->sa_family != family)
			continue;
		if (family == AF_INET &&
		    !memcmp(&((const struct sockaddr_in *)sa)->sin_addr, a, 4))
			return true;
		if (family == AF_INET6 &&
		    !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, a, 16))
			return true;
	}
	return false;
}

/*
 * A marked connection the kernel carries and the engine does not know: one
 * an earlier engine offloaded before it stopped. Such a connection keeps
 * passing (a tracked flow outlives its engine, as it outlives rule changes
 * in AWS); take it into the table, offloaded, so `show flows` lists it and
 * its end frees its place. Who opened it is told by which end is ours. The
 * rule that let it in is not known (tag 0 names none).
 */
static void offload_adopt(struct daemon *d, const struct ctevent_conn *c)
{
	struct pkt p = c->orig;
	struct flow_kcount kc;
	enum dir dir;

	if (!d->adopt_ifs)
		return;
	dir = is_local(d->adopt_ifs, p.family, p.src) ? DIR_OUT : DIR_IN;
	if (p.proto == IPPROTO_NUM_TCP)
		p.tcp_flags = TCPF_ACK;		/* picked up mid-stream */
	if (flow_table_insert(d->flows, &p, dir, now_ms(), 0) < 0 ||
	    flow_table_offload(d->flows, &p, now_ms()) < 0)
		return;
	d->adopted++;
	/* Its count so far: the earlier engine logged it, this one does not again. */
	memcpy(kc.packets, c->packets, sizeof(kc.packets));
	memcpy(kc.bytes, c->bytes, sizeof(kc.bytes));
	flow_table_kernel_account(d->flows, &c->orig, now_ms(), false, &kc);
}

static void on_conn(const struct ctevent_conn *c, void *ctx)
{
	struct daemon *d = ctx;
	struct flow_kcount kc;

	if (c->established && !c->end) {
		flow_table_kernel_established(d->flows, &c->orig, now_ms());
		/* An update event: no counters to add. */
		if (!c->packets[0] && !c->packets[1])
			return;
	}
	memcpy(kc.packets, c->packets, sizeof(kc.packets));
	memcpy(kc.bytes, c->bytes, sizeof(kc.bytes));
	if (flow_table_kernel_account(d->flows, &c->orig, now_ms(), c->end, &kc) < 0) {
		if (errno == ENOENT && !c->end)
			offload_adopt(d, c);
		return;
	}
	if (d->flowlog)
		offload_flowlog(d, c, &kc);
}

/* A FIN or RST copy: worth a look at the kernel's entry? (No offloaded flow: nothing to end.) */
static bool may_close(const struct pkt *p, void *ctx)
{
	struct daemon *d = ctx;

	return flow_table_kernel_fin(d->flows, p, now_ms()) == 1;
}

/*
 * Every marked entry of the kernel's table: counters brought up to date,
 * closed ones ended, and offloaded flows the kernel no longer has (their
 * end was lost) removed.
 */
static void offload_sync(struct daemon *d)
{
	uint64_t start = now_ms();

	flow_table_offload_unsee(d->flows);
	if (ctevent_dump(d->ctev) < 0) {
		log_limited(&err_rl, LOG_LVL_ERR, "--offload: conntrack dump failed: %s",
			    strerror(errno));
		return;
	}
	flow_table_offload_reap(d->flows, start > OFFLOAD_RESYNC_MARGIN_MS ?
				start - OFFLOAD_RESYNC_MARGIN_MS : 0);
}

/* At start: the connections an earlier engine left with the kernel. */
static void offload_adopt_all(struct daemon *d)
{
	if (getifaddrs(&d->adopt_ifs) < 0) {
		log_warn("--offload: cannot list this host's addresses (%s): connections an "
			 "earlier engine offloaded stay unlisted", strerror(errno));
		return;
	}
	if (ctevent_dump(d->ctev) < 0)
		log_warn("--offload: cannot read the kernel's connections: %s", strerror(errno));
	else if (d->adopted)
		log_info("--offload: %llu connections an earlier engine offloaded are "
			 "listed again", (unsigned long long)d->adopted);
	freeifaddrs(d->adopt_ifs);
	d->adopt_ifs = NULL;
}

void daemon_offload_tune(struct daemon *d, const struct flow_params *fp)
{
	const struct ctevent_timeouts t = {
		.tcp_established = fp->tcp_established_s, .udp = fp->udp_s,
		.udp_stream = fp->udp_stream_s, .icmp = fp->icmp_s,
	};
	char err[512];

	if (d->ctev && ctevent_tune(&t, err, sizeof(err)) > 0)
		log_warn("--offload: conntrack settings not applied (%s): offloaded "
			 "flows may count fewer packets or time out otherwise", err);
}

int daemon_offload_open(struct daemon *d, const struct flow_params *fp)
{
	if (!d->cfg->offload)
		return 0;
	d->ctev = ctevent_open(STEER_OFFLOAD_MARK, STEER_NFLOG_GROUP, on_conn,
			       may_close, d);
	if (!d->ctev) {
		log_err("--offload: cannot follow the kernel's connection tracking: %s",
			strerror(errno));
		return -1;
	}
	/* After the open: it loads nf_conntrack, whose settings these are. */
	daemon_offload_tune(d, fp);
	offload_adopt_all(d);
	return 0;
}

int daemon_offload_fd(const struct daemon *d)
{
	return d->ctev ? ctevent_fd(d->ctev) : -1;
}

void daemon_on_ctevent(struct daemon *d)
{
	int r = ctevent_read(d->ctev);

	if (r == 1) {
		log_limited(&lost_rl, LOG_LVL_WARN,
			    "--offload: conntrack events lost; resynchronising");
		offload_sync(d);
	} else if (r < 0) {
		log_limited(&err_rl, LOG_LVL_ERR, "--offload: conntrack events: %s",
			    strerror(errno));
	}
}

void daemon_offload_tick(struct daemon *d)
{
	if (d->ctev && ++d->offload_ticks % OFFLOAD_SYNC_S == 0)
		offload_sync(d);
}

void daemon_offload_refresh(struct daemon *d)
{
	if (d->ctev)
		offload_sync(d);
}

void daemon_offload_close(struct daemon *d)
{
	/* What the kernel carried since the last dump: counted, not lost. */
	if (d->ctev)
		ctevent_dump(d->ctev);
	ctevent_close(d->ctev);
	d->ctev = NULL;
}
