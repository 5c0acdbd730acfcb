/* A bounded text builder (see textbuf.h). */
#include <stdarg.h>
#include <stdio.h>

#include "textbuf.h"

void textbuf_init(struct textbuf *t, char *buf, size_t len)
{
	t->buf = buf;
	t->len = len;
	t->used = 0;
	if (len)
		buf[0] = '\0';
}

void textbuf_put(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used + 1 >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n < t->len - t->used ? (size_t)n : t->len - t->used - 1;
}
