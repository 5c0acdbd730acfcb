/*
 * Diagnostics: collect every message a loader finds, then print them in one
 * go, nftables-style: "file:line:col: error: msg", the source line, a caret.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

struct diag_msg {
	enum diag_level lvl;
	char *file;
	unsigned line, col;
	char *source;
	char *text;
};

struct diag {
	struct diag_msg *m;
	size_t n, cap;
	size_t errors, warnings;
	bool oom;	/* a message was lost: still counts as an error */
};

struct diag *diag_new(void)
{
	return calloc(1, sizeof(struct diag));
}

void diag_free(struct diag *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->m[i].file);
		free(d->m[i].source);
		free(d->m[i].text);
	}
	free(d->m);
	free(d);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void diag_vadd(struct diag *d, enum diag_level lvl, const char *file,
		      unsigned line, unsigned col, const char *source,
		      const char *fmt, va_list ap) PRINTF_FMT(7, 0);

static void diag_vadd(struct diag *d, enum diag_level lvl, const char *file,
		      unsigned line, unsigned col, const char *source,
		      const char *fmt, va_list ap)
{
	struct diag_msg *m;

	if (lvl == DIAG_ERROR)
		d->errors++;
	else if (lvl == DIAG_WARNING)
		d->warnings++;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct diag_msg *nm = realloc(d->m, cap * sizeof(*nm));

		if (!nm) {
			d->oom = true;
			return;
		}
		d->m = nm;
		d->cap = cap;
	}
	m = &d->m[d->n];
	m->lvl = lvl;
	m->line = line;
	m->col = col;
	m->file = dup_or_null(file);
	m->source = dup_or_null(source);
	if (vasprintf(&m->text, fmt, ap) < 0)
		m->text = NULL;
	d->n++;
}

void diag_add(struct diag *d, enum diag_level lvl, const char *file,
	      unsigned line, unsigned col, const char *source,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, lvl, file, line, col, source, fmt, ap);
	va_end(ap);
}

void diag_error(struct diag *d, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, DIAG_ERROR, file, 0, 0, NULL, fmt, ap);
	va_end(ap);
}

size_t diag_errors(const struct diag *d)
{
	return d->errors;
}

size_t diag_warnings(const struct diag *d)
{
	return d->warnings;
}

static const char *level_name(enum diag_level lvl)
{
	switch (lvl) {
	case DIAG_ERROR:
		return "error";
	case DIAG_WARNING:
		return "warning";
	case DIAG_NOTE:
		return "note";
	}
	return "?";
}

/* The source line, then a caret under column col (tabs kept so it lines up). */
static void print_caret(const struct diag_msg *m, FILE *out)
{
	const char *s = m->source;
	unsigned i;

	fprintf(out, "%s\n", s);
	for (i = 1; i < m->col && s[i - 1]; i++)
		fputc(s[i - 1] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

void diag_print(const struct diag *d, FILE *out)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag_msg *m = &d->m[i];

		if (m->file && m->line && m->col)
			fprintf(out, "%s:%u:%u: ", m->file, m->line, m->col);
		else if (m->file && m->line)
			fprintf(out, "%s:%u: ", m->file, m->line);
		else if (m->file)
			fprintf(out, "%s: ", m->file);
		fprintf(out, "%s: %s\n", level_name(m->lvl),
			m->text ? m->text : "(out of memory)");
		if (m->source && m->col)
			print_caret(m, out);
	}
	if (d->oom)
		fprintf(out, "error: out of memory: some messages were lost\n");
}

/* Append "FILE: N error(s)" for one run of messages about the same file. */
static size_t summary_put(char *buf, size_t len, size_t used, const char *file,
			  size_t errors)
{
	int n;

	if (!errors || used >= len)
		return used;
	n = snprintf(buf + used, len - used, "%s%s: %zu error%s", used ? "; " : "",
		     file ? file : "(the rules as a whole)", errors, errors == 1 ? "" : "s");
	return n < 0 ? used : used + (size_t)n;
}

void diag_summary(const struct diag *d, char *buf, size_t len)
{
	const char *file = NULL;
	size_t i, used = 0, errors = 0;

	if (!len)
		return;
	buf[0] = '\0';
	/* Loaders report file by file: runs of one file, each counted once. */
	for (i = 0; i < d->n; i++) {
		const char *f = d->m[i].file;

		if (i && !(f == file || (f && file && !strcmp(f, file)))) {
			used = summary_put(buf, len, used, file, errors);
			errors = 0;
		}
		file = f;
		errors += d->m[i].lvl == DIAG_ERROR;
	}
	used = summary_put(buf, len, used, file, errors);
	if (d->oom)
		summary_put(buf, len, used, NULL, 1);
	if (!buf[0])
		snprintf(buf, len, "%zu error%s", d->errors, d->errors == 1 ? "" : "s");
}
