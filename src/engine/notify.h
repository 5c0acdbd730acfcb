/*
 * systemd's readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram to $NOTIFY_SOCKET. Does nothing when not run by systemd.
 */
#ifndef VPCFW_NOTIFY_H
#define VPCFW_NOTIFY_H

#include "common.h"

/* Send "READY=1", "RELOADING=1", "STOPPING=1", "STATUS=..." lines. 0, or -1 with errno. */
int notify_send(const char *fmt, ...) PRINTF_FMT(1, 2);

#endif
