/*
 * Diagnostics: every error a loader finds, with its location, collected in
 * one pass and printed together (nftables' erec, pf's parse.y habit).
 */
#ifndef VPCFW_DIAG_H
#define VPCFW_DIAG_H

#include <stdio.h>
#include "common.h"

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diag;

struct diag *diag_new(void);
void diag_free(struct diag *d);

/*
 * Record a message. `file` may be NULL; line and col count from 1, 0 means
 * unknown (then "file: level: msg" is printed without them). `source` is the
 * source line to quote with a caret under `col`, or NULL.
 */
void diag_add(struct diag *d, enum diag_level lvl, const char *file,
	      unsigned line, unsigned col, const char *source,
	      const char *fmt, ...) PRINTF_FMT(7, 8);

/* Shorthand for an error with no source position beyond the file. */
void diag_error(struct diag *d, const char *file, const char *fmt, ...)
	PRINTF_FMT(3, 4);

size_t diag_errors(const struct diag *d);
size_t diag_warnings(const struct diag *d);

/* Print every message in order: "file:line:col: error: msg", source, caret. */
void diag_print(const struct diag *d, FILE *out);

/*
 * One line for a log that more people read than those who asked: the files
 * and their counts of errors ("/etc/x.json: 3 errors"), never a message's
 * text or a source line, which may quote the file. Written into buf
 * (NUL-terminated, cut at len).
 */
void diag_summary(const struct diag *d, char *buf, size_t len);

#endif
