/*
 * VPC Flow Logs: every judged packet is counted into a record per flow,
 * direction, action and aggregation interval, and the records of an
 * interval are appended to a file once it has ended, in AWS's version 2
 * default format (doc/aws-semantics.md section 5):
 *
 *   version account-id interface-id srcaddr dstaddr srcport dstport protocol
 *   packets bytes start end action log-status
 *
 *   2 000000000000 eni-0a1b2c3d 198.51.100.7 10.0.1.10 50514 22 6 12 2210 1700000000 1700000042 ACCEPT OK
 *   2 000000000000 eni-vpcfw - - - - - - - 1700000040 1700000100 - NODATA
 *
 * Records. One per (source, destination, ports, protocol as the packet had
 * them; direction; action; interface) per interval. interface-id is the
 * ENI id of the packet's interface when iface_id knows one, else the
 * default interface_id (eni-vpcfw), as in NODATA and SKIPDATA records: the two directions of a connection
 * are separate records with src and dst swapped, and packets of one flow
 * and direction partly accepted and partly rejected in one interval make
 * two records. Ports are 0 for ICMP, ICMPv6, protocols without ports and
 * non-first fragments. Packets and bytes (the IP length) are summed; start
 * and end are the times of the first and last packet in the interval.
 * Intervals are aligned to multiples of interval_s of wall time. Within an
 * interval, records come in the order their flows were first seen.
 *
 * NODATA: an interval with no traffic at all gets one record with fields
 * 4-10 and the action `-` and the interval's bounds as start and end. The
 * first interval is the one in which the first packet or tick came. A run
 * of more than FLOWLOG_NODATA_RUN empty intervals written at once (the
 * clock jumped forward, or the host was suspended) is one NODATA record
 * spanning the whole run.
 * SKIPDATA: when max_records records are pending, packets of new records
 * are not counted; each interval that lost some gets one SKIPDATA record
 * (same shape as NODATA) after its records.
 *
 * Extended format: the 14 fields, then `tcp-flags` (the OR over the
 * interval in AWS's encoding: FIN 1, SYN 2, RST 4, ACK 16 only together
 * with SYN, so SYN-ACK is 18; 0 for other protocols) and `decided-by` (the
 * rule text of the record's last packet, see flowlog_rule_text(); `-` when
 * none). As in an AWS custom format, `version` is the highest version of
 * the fields chosen: 3, tcp-flags being a version 3 field. A header line
 * naming the fields starts the file, as in AWS's files delivered to S3,
 * unless the file already holds something (appending to an older log).
 * NODATA and SKIPDATA records have `-` in both extra fields.
 *
 * Not logged: IPv6 neighbour discovery and DHCP (pkt_is_infrastructure()),
 * and what the judge exempts (the AWS service and reserved addresses: a
 * verdict of VL_INFRA, skipped by the engine before it calls in here),
 * which a VPC neither filters nor logs.
 *
 * Threads: flowlog_packet() may be called from any number of threads at
 * once; flowlog_tick() and flowlog_close() from one (control) thread.
 */
#ifndef VPCFW_FLOWLOG_H
#define VPCFW_FLOWLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "pkt.h"

struct policy;
struct verdict;

#define FLOWLOG_INTERVAL_DEFAULT	60		/* s (AWS: 600 by default, 60 optional, 60 on Nitro) */
#define FLOWLOG_INTERVAL_MAX		86400
#define FLOWLOG_MAX_RECORDS_DEFAULT	65536
#define FLOWLOG_MAX_RECORDS_MAX		((size_t)1 << 24)
#define FLOWLOG_ACCOUNT_DEFAULT		"000000000000"
#define FLOWLOG_INTERFACE_DEFAULT	"eni-vpcfw"
#define FLOWLOG_ID_MAX			64	/* longest account-id or interface-id */
#define FLOWLOG_RULE_MAX		96	/* decided-by text kept per record, with its NUL */
#define FLOWLOG_NODATA_RUN		1440	/* longer runs of empty intervals: one record */

struct flowlog;

/*
 * The ENI id of interface ifindex into buf, or NULL when none is known.
 * Called by the writer (flowlog_tick(), flowlog_close()), never by the
 * packet path; the id must hold no space.
 */
typedef const char *flowlog_iface_id_fn(void *ctx, unsigned ifindex, char *buf, size_t len);

struct flowlog_opts {
	const char *path;		/* appended to (created 0640); "-" = standard output */
	uint32_t interval_s;		/* aggregation interval, 1..FLOWLOG_INTERVAL_MAX; 0: 60 */
	bool extended;			/* add tcp-flags and decided-by */
	const char *account_id;		/* field 2; NULL: "000000000000" (a host has no account) */
	const char *interface_id;	/* field 3; NULL: "eni-vpcfw" */
	size_t max_records;		/* records pending at once (memory bound); 0: 65536 */
	flowlog_iface_id_fn *iface_id;	/* NULL: every record has interface_id */
	void *iface_ctx;
};

/*
 * Open the log: validate the options (EINVAL: an interval out of range, an
 * id that is empty, longer than FLOWLOG_ID_MAX or holds a space or control
 * character, a cap above FLOWLOG_MAX_RECORDS_MAX), open the file with
 * O_APPEND, allocate the record pool, and write the header line of the
 * extended format. NULL + errno.
 */
struct flowlog *flowlog_open(const struct flowlog_opts *o);

/*
 * Write every pending record (including those of the interval in progress,
 * whose end is then its last packet's time) and close. No NODATA record for
 * the interval in progress. NULL is a no-op.
 */
void flowlog_close(struct flowlog *fl);

/*
 * Count one judged packet (the queue threads, for every verdict). `wall_s`
 * is the packet's time in seconds since the epoch; `rule_text` names the
 * deciding layer and rule for the extended format (flowlog_rule_text()),
 * may be NULL, and is copied. Thread-safe; one short critical section on a
 * lock stripe, no allocation (records come from a pool made at open). A
 * packet whose interval was already written (it raced the tick, or the
 * clock stepped back) is counted in the oldest interval still open, at
 * that interval's start. NULL fl is a no-op.
 */
void flowlog_packet(struct flowlog *fl, const struct pkt *p, enum dir d,
		    bool accept, const char *rule_text, uint64_t wall_s);
/*
 * Count `packets` packets of `bytes` bytes that p stands for (same key as
 * flowlog_packet; p->len is not read): what the kernel carried of an
 * offloaded flow since it was last counted (run --offload).
 */
void flowlog_packets(struct flowlog *fl, const struct pkt *p, enum dir d,
		     bool accept, const char *rule_text, uint64_t wall_s,
		     uint64_t packets, uint64_t bytes);

/*
 * The control thread, about once a second: write and forget every record
 * whose interval ended at or before wall_s, one NODATA record per ended
 * interval without traffic, one SKIPDATA record per ended interval that lost
 * packets to the cap. When the clock stepped back past an interval boundary
 * everything pending is written at once and intervals restart at wall_s.
 * Returns the records written (0 when no interval ended), or -1 with errno
 * of the failed write when a write failed: the records it held are lost
 * and counted, the log stays open and the next tick writes again.
 */
int flowlog_tick(struct flowlog *fl, uint64_t wall_s);

struct flowlog_stats {
	uint64_t records;		/* records written (OK, NODATA, SKIPDATA) */
	uint64_t pending;		/* records waiting for their interval to end */
	uint64_t skipped_packets;	/* packets not counted: the cap was reached */
	uint64_t lost_records;		/* records lost to write errors */
	uint64_t write_errors;		/* failed writes */
};

/* A snapshot of the counters (for status and metrics). Any thread. */
void flowlog_stats(struct flowlog *fl, struct flowlog_stats *st);

/*
 * The decided-by text of a verdict judged in direction d under pol (the
 * policy that judged it: SG rules are named from its ruleset), into buf
 * (FLOWLOG_RULE_MAX is enough; longer texts are cut): the rule names of
 * rulename.h, one for each layer the packet met, in the order it met them,
 * joined by ","; the last one decided:
 *   "nacl-in:100,sg-in:sg-0abc#2"  (NACL entry 100, then SG rule 2 of the
 *                                   rules, in group sg-0abc, opened a flow)
 *   "sg:flow,nacl-out:120"         (a packet of a tracked flow, either way)
 *   "nacl-in:*"                    (rejected by the NACL's catch-all deny)
 *   "nacl-in:100,sg-in:none"       (rejected: no SG rule allows it)
 *   "sg-out:full"                  (rejected: the flow table is full)
 *   "nacl-in:subnet,sg-in:sg-0abc#2" (same --subnet: the NACL not consulted)
 *   "exempt:link-local"            (AWS never filters it, never logged)
 * Returns buf.
 */
const char *flowlog_rule_text(const struct policy *pol, const struct verdict *v,
			      enum dir d, char *buf, size_t len);

#endif
