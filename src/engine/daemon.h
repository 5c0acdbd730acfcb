/*
 * The engine's lifecycle: load the policy, bind the queues, one thread per
 * queue, the control thread (control socket, signals, flow expiry), reload
 * (validate fully, then swap under RCU), shutdown (every queued packet gets
 * its verdict).
 */
#ifndef VPCFW_DAEMON_H
#define VPCFW_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aws_json.h"
#include "exitcode.h"
#include "log.h"
#include "flowlog.h"
#include "exempt.h"

struct daemon_cfg {
	uint16_t queue_first, queue_last;
	const char **nacl_files;
	size_t n_nacl;
	const char **sg_files;
	size_t n_sg;
	const char **eni;		/* --eni IFACE=FILE[,FILE...] in order (eni.h) */
	size_t n_eni;
	const char **iface_nacl;	/* --nacl IFACE=FILE[,FILE...] in order (eni.h) */
	size_t n_iface_nacl;
	struct aws_map map;
	const char *ctl_path;
	bool fail_closed;
	const char *inside;		/* --inside IFACE for FORWARD, or NULL */
	size_t max_flows;
	uint32_t queue_maxlen;
	uint32_t copy_range;
	bool log_drops;			/* --log-drops: one log line per drop, rate-limited */
	bool force;			/* --force: start even with rules that cut an SSH session */
	const char *flow_log;		/* --flow-log FILE: VPC Flow Logs records, or NULL */
	uint32_t flow_log_interval;	/* --flow-log-interval SECONDS (0: 60) */
	bool flow_log_extended;		/* --flow-log-format extended */
	bool offload;			/* --offload: established tracked TCP bypasses the queue */
	bool no_quotas;			/* --no-quotas: AWS's quotas not checked (run, reload, apply) */
	struct policy_opts scope;	/* --subnet, --vpc, --judge-aws-services */
	bool evict_unestablished;	/* --evict-unestablished: at the cap, early drop (not AWS) */
	const char **conntrack;		/* --conntrack ARG... in order (ctconf.h), re-read on reload */
	size_t n_conntrack;
	/* --shadow-nacl, --shadow-sg: a policy judged on every packet, never enforced (shadow.h) */
	const char **shadow_nacl_files;
	size_t n_shadow_nacl;
	const char **shadow_sg_files;
	size_t n_shadow_sg;
	size_t n_conntrack_iface;	/* of them, IFACE=... (an interface's own) */
};

/* Defaults: queue 0, /run/vpcfw.sock, fail-open, 262144 flows, queue length 4096, copy 512 bytes. */
void daemon_cfg_init(struct daemon_cfg *c);

/*
 * Run the engine in the foreground until SIGTERM/SIGINT. Returns the process
 * exit status (exitcode.h): EXIT_OK after a clean shutdown, EXIT_BAD_INPUT
 * when the rules or the request were refused (bad rule file, queue in use),
 * EXIT_SYSTEM on a system failure.
 */
/*
 * Check one --conntrack SETTINGS|FILE (without IFACE=) as the engine will
 * read it: a describe-network-interfaces entry whose MacAddress is a local
 * interface's is that interface's (ctconf_parse_local). 0, or -1 with the
 * problems in d.
 */
struct diag;
int daemon_conntrack_check(const char *spec, struct diag *d);

int daemon_run(const struct daemon_cfg *c);

#endif
