/*
 * Private to the ctevent module: what ctevent.c (conntrack events, requests,
 * dumps) and ctevent_log.c (the NFLOG copies of closing segments) share.
 */
#ifndef VPCFW_CTEVENT_INT_H
#define VPCFW_CTEVENT_INT_H

#include <stdint.h>
#include "ctevent.h"

/* Room for bursts of closing connections while the control thread is busy. */
#define CTEVENT_RCVBUF	(8 << 20)

struct mnl_socket;

/* Subscribe to NFLOG group `group` (copies of closing segments); non-blocking. NULL + errno. */
struct mnl_socket *ctlog_open(uint16_t group);
/* Read every pending copy, each to ctevent_closing(). 0 drained, 1 copies lost, -1 + errno. */
int ctlog_read(struct ctevent *ce, struct mnl_socket *nl);

/* A FIN or RST of a marked connection passed: has the kernel closed it? */
void ctevent_closing(struct ctevent *ce, const struct pkt *p);

#endif
