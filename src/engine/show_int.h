/*
 * Inside the views of show.h: one file per view (show_stats.c, show_rules.c,
 * show_flows.c, show_metrics.c) and the helpers they share (show.c).
 */
#ifndef VPCFW_SHOW_INT_H
#define VPCFW_SHOW_INT_H

#include <stddef.h>
#include <stdio.h>

#include "show.h"

/* For printf's %llu: every counter is a uint64_t. */
#define U(x) ((unsigned long long)(x))

/* Sum of every queue's judge counters. */
void show_judge_sum(const struct show_engine *e, struct judge_counters *s);
/* An interface's name now, or "ifindex-N" when it is gone. */
const char *show_iface_name(uint64_t ifindex, char *buf, size_t len);

/* The protocol column: its name, or its number when it has none. Returns buf. */
char *show_proto_text(int proto, char *buf, size_t len);
/*
 * The port range or ICMP type/code column, as the console shows it ("all",
 * "80", "1024-65535", "8/0", "-" for protocols without either). Returns buf.
 */
char *show_match_text(int proto, int from, int to, char *buf, size_t len);

/* show_metrics.c: the Prometheus text of the counters, and of the rules. */
void show_metrics_stats(const struct show_engine *e, FILE *out);
void show_metrics_rules(const struct policy *pol, FILE *out);

#endif
