/*
 * A bounded text builder: appends printf-style to a caller's buffer, cuts
 * what does not fit, never overruns it, and keeps it NUL-terminated.
 */
#ifndef VPCFW_TEXTBUF_H
#define VPCFW_TEXTBUF_H

#include <stddef.h>
#include "common.h"

struct textbuf {
	char *buf;
	size_t len;	/* the buffer's size */
	size_t used;	/* characters written, at most len - 1 */
};

/* Start t on buf[len], empty (a NUL when len > 0). */
void textbuf_init(struct textbuf *t, char *buf, size_t len);
/* Append; once the buffer is full, nothing more is written. */
void textbuf_put(struct textbuf *t, const char *fmt, ...) PRINTF_FMT(2, 3);

#endif
