/*
 * A parsed document with the position of every value (doc.h). YAML goes
 * through libyaml's event API into jansson values; JSON is parsed by
 * jansson, whose rules the AWS importer already follows, and its positions
 * come from libyaml reading the same text (JSON is a subset of YAML), so
 * both syntaxes give one tree and one way to say where a value was.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "common.h"
#include "doc.h"

struct doc_pos {
	const json_t *j;
	unsigned line, col;
};

#define DEPTH_MAX	64	/* nesting deeper than any template needs */

static int pos_add(struct doc *doc, const json_t *j, const yaml_mark_t *m)
{
	struct doc_pos *np;

	/* true, false and null are shared singletons: they have no one place. */
	if (json_is_boolean(j) || json_is_null(j))
		return 0;
	if (doc->n_pos == doc->cap_pos) {
		size_t cap = doc->cap_pos ? doc->cap_pos * 2 : 64;

		np = realloc(doc->pos, cap * sizeof(*np));
		if (!np)
			return -1;
		doc->pos = np;
		doc->cap_pos = cap;
	}
	doc->pos[doc->n_pos++] = (struct doc_pos){ j, (unsigned)m->line + 1,
						   (unsigned)m->column + 1 };
	return 0;
}

/*
 * Forget j's place before j is freed: positions are keyed by address, and a
 * value allocated later at the same address would otherwise find it.
 */
static void pos_forget(struct doc *doc, const json_t *j)
{
	size_t i = doc->n_pos;

	while (i-- > 0)
		if (doc->pos[i].j == j)
			doc->pos[i] = doc->pos[--doc->n_pos];
}

static int pos_cmp(const void *a, const void *b)
{
	const struct doc_pos *x = a, *y = b;

	return x->j < y->j ? -1 : x->j > y->j;
}

void doc_where(const struct doc *doc, const json_t *j, unsigned *line, unsigned *col)
{
	struct doc_pos key = { j, 0, 0 }, *p;

	*line = *col = 0;
	if (!j || !doc->n_pos)
		return;
	p = bsearch(&key, doc->pos, doc->n_pos, sizeof(key), pos_cmp);
	if (p) {
		*line = p->line;
		*col = p->col;
	}
}

void doc_free(struct doc *doc)
{
	json_decref(doc->root);
	free(doc->pos);
	doc->root = NULL;
	doc->pos = NULL;
	doc->n_pos = doc->cap_pos = 0;
}

/* ---- YAML ---------------------------------------------------------------- */

/* YAML 1.1 plain scalars as JSON would type them; anything else is a string. */
static json_t *plain_scalar(const char *s, size_t len)
{
	char *end;
	long long v;
	double f;

	if (!len || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	    !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	if (strspn(s, "+-0123456789") == len && strpbrk(s, "0123456789")) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (!*end && !errno)
			return json_integer(v);
	}
	if (strspn(s, "+-0123456789.eE") == len && strpbrk(s, "0123456789")) {
		f = strtod(s, &end);
		if (!*end)
			return json_real(f);
	}
	return json_stringn(s, len);
}

/* "!Ref" -> "Ref", "!Condition" -> "Condition", "!GetAtt" -> "Fn::GetAtt". */
static void short_form_key(const char *tag, char *buf, size_t len)
{
	if (!strcmp(tag, "!Ref") || !strcmp(tag, "!Condition"))
		snprintf(buf, len, "%s", tag + 1);
	else
		snprintf(buf, len, "Fn::%s", tag + 1);
}

/* A CloudFormation short-form tag: "!" and a name (not "!!str", not "!"). */
static bool is_short_form(const char *tag)
{
	return tag && tag[0] == '!' && tag[1] && tag[1] != '!';
}

/* Wrap v in {"Fn::X": v}; !GetAtt's "A.B" becomes ["A", "B"]. */
static json_t *short_form(struct doc *doc, const char *tag, json_t *v,
			  const yaml_mark_t *m)
{
	char key[64];
	json_t *o;
	const char *s, *dot;

	if (!v)
		return NULL;
	short_form_key(tag, key, sizeof(key));
	if (!strcmp(tag, "!GetAtt") && json_is_string(v) &&
	    (dot = strchr(s = json_string_value(v), '.'))) {
		json_t *a = json_pack("[s#s]", s, (int)(dot - s), dot + 1);

		pos_forget(doc, v);
		json_decref(v);
		v = a;
		if (!v || pos_add(doc, v, m) < 0 ||
		    pos_add(doc, json_array_get(v, 0), m) < 0 ||
		    pos_add(doc, json_array_get(v, 1), m) < 0) {
			json_decref(v);
			return NULL;
		}
	}
	o = json_object();
	if (!o || json_object_set_new(o, key, v) < 0 || pos_add(doc, o, m) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct frame {
	json_t *c;		/* the mapping or sequence being filled */
	char *key;		/* a mapping's key waiting for its value */
	yaml_mark_t key_mark;
	const char *tag;	/* its short-form tag, applied when it ends */
	yaml_mark_t mark;
	yaml_event_t start;	/* owns tag */
};

struct ybuild {
	struct doc *doc;
	struct frame st[DEPTH_MAX];
	int depth;
};

static int PRINTF_FMT(3, 4)
fail(struct doc *doc, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(doc->error, sizeof(doc->error), fmt, ap);
	va_end(ap);
	doc->err_line = m ? (unsigned)m->line + 1 : 0;
	doc->err_col = m ? (unsigned)m->column + 1 : 0;
	return -1;
}

/* Put a finished value into its parent (or make it the root). Takes v. */
static int place(struct ybuild *b, json_t *v, const yaml_mark_t *m)
{
	struct frame *f;
	int r;

	if (!v) {
		b->doc->oom = true;
		return fail(b->doc, m, "%s", "out of memory");
	}
	if (b->depth == 0) {
		json_decref(b->doc->root);
		b->doc->root = v;
		return 0;
	}
	f = &b->st[b->depth - 1];
	if (json_is_array(f->c))
		return json_array_append_new(f->c, v) < 0 ? -1 : 0;
	if (!f->key) {
		if (!json_is_string(v)) {
			json_decref(v);
			return fail(b->doc, m, "%s", "a mapping key must be a plain text");
		}
		f->key = strdup(json_string_value(v));
		f->key_mark = *m;
		json_decref(v);
		return f->key ? 0 : -1;
	}
	if (json_object_get(f->c, f->key)) {
		json_decref(v);
		return fail(b->doc, &f->key_mark, "duplicate key \"%.60s\"", f->key);
	}
	r = json_object_set_new(f->c, f->key, v);
	free(f->key);
	f->key = NULL;
	return r;
}

static int on_scalar(struct ybuild *b, yaml_event_t *e)
{
	const char *tag = (const char *)e->data.scalar.tag;
	const char *s = (const char *)e->data.scalar.value;
	size_t len = e->data.scalar.length;
	json_t *v;

	bool key = b->depth > 0 && json_is_object(b->st[b->depth - 1].c) &&
		   !b->st[b->depth - 1].key;

	if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag)
		v = plain_scalar(s, len);
	else
		v = json_stringn(s, len);
	/* A key is copied and freed: its address must not keep a position. */
	if (v && !key && pos_add(b->doc, v, &e->start_mark) < 0) {
		json_decref(v);
		v = NULL;
	}
	if (is_short_form(tag))
		v = short_form(b->doc, tag, v, &e->start_mark);
	return place(b, v, &e->start_mark);
}

static int on_start(struct ybuild *b, yaml_event_t *e, bool map)
{
	struct frame *f;

	if (b->depth == DEPTH_MAX)
		return fail(b->doc, &e->start_mark, "%s", "nested too deep");
	f = &b->st[b->depth];
	memset(f, 0, sizeof(*f));
	f->c = map ? json_object() : json_array();
	if (!f->c || pos_add(b->doc, f->c, &e->start_mark) < 0) {
		json_decref(f->c);
		b->doc->oom = true;
		return fail(b->doc, &e->start_mark, "%s", "out of memory");
	}
	f->tag = (const char *)(map ? e->data.mapping_start.tag : e->data.sequence_start.tag);
	f->mark = e->start_mark;
	f->start = *e;		/* keeps the tag alive until the end */
	b->depth++;
	return 1;		/* the event is owned by the frame now */
}

static int on_end(struct ybuild *b)
{
	struct frame *f = &b->st[--b->depth];
	json_t *v = f->c;
	yaml_mark_t m = f->mark;

	free(f->key);
	if (is_short_form(f->tag))
		v = short_form(b->doc, f->tag, v, &m);
	yaml_event_delete(&f->start);
	return place(b, v, &m);
}

static void unwind(struct ybuild *b)
{
	while (b->depth > 0) {
		struct frame *f = &b->st[--b->depth];

		free(f->key);
		json_decref(f->c);
		yaml_event_delete(&f->start);
	}
}

/* One event: 1 when the frame took it over, 0 done with it, -1 failed. */
static int on_event(struct ybuild *b, yaml_event_t *e, int *docs)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(b, e);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, e, true);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, e, false);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return on_end(b);
	case YAML_ALIAS_EVENT:
		return fail(b->doc, &e->start_mark, "%s",
			    "a YAML alias (*name): vpcfw does not read them; write the value out");
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return fail(b->doc, &e->start_mark, "%s",
				    "a second YAML document ('---'): give one template per file");
		return 0;
	default:
		return 0;
	}
}

int doc_parse_yaml(struct doc *doc, const char *buf, size_t len)
{
	struct ybuild b = { .doc = doc };
	yaml_parser_t p;
	yaml_event_t e;
	int docs = 0, r = 0;
	bool done = false;

	memset(doc, 0, sizeof(*doc));
	if (!yaml_parser_initialize(&p)) {
		doc->oom = true;
		return fail(doc, NULL, "%s", "out of memory");
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && r >= 0) {
		if (!yaml_parser_parse(&p, &e)) {
			if (p.error == YAML_MEMORY_ERROR)
				doc->oom = true;
			snprintf(doc->error, sizeof(doc->error), "invalid YAML: %s%s%s",
				 p.problem ? p.problem : "error",
				 p.context ? " " : "", p.context ? p.context : "");
			doc->err_line = (unsigned)p.problem_mark.line + 1;
			doc->err_col = (unsigned)p.problem_mark.column + 1;
			r = -1;
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT;
		r = on_event(&b, &e, &docs);
		if (r != 1)
			yaml_event_delete(&e);
	}
	unwind(&b);
	yaml_parser_delete(&p);
	if (r >= 0 && !doc->root)
		r = fail(doc, NULL, "%s", "the file is empty");
	if (r < 0) {
		if (!doc->error[0])
			fail(doc, NULL, "%s", "out of memory");
		doc_free(doc);
		return -1;
	}
	qsort(doc->pos, doc->n_pos, sizeof(*doc->pos), pos_cmp);
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

/* Give each value of j the position its twin y has in the YAML reading. */
static int graft(struct doc *doc, const struct doc *ydoc, const json_t *j,
		 const json_t *y)
{
	const char *key;
	json_t *jv;
	size_t i;
	unsigned line, col;
	yaml_mark_t m;

	doc_where(ydoc, y, &line, &col);
	if (line) {
		m.line = line - 1;
		m.column = col - 1;
		if (pos_add(doc, j, &m) < 0)
			return -1;
	}
	if (json_is_object(j) && json_is_object(y)) {
		json_object_foreach((json_t *)j, key, jv)
			if (json_object_get(y, key) &&
			    graft(doc, ydoc, jv, json_object_get(y, key)) < 0)
				return -1;
	} else if (json_is_array(j) && json_is_array(y)) {
		json_array_foreach(j, i, jv)
			if (i < json_array_size(y) &&
			    graft(doc, ydoc, jv, json_array_get(y, i)) < 0)
				return -1;
	}
	return 0;
}

int doc_parse_json(struct doc *doc, const char *buf, size_t len)
{
	struct doc ydoc;
	json_error_t err;

	memset(doc, 0, sizeof(*doc));
	doc->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!doc->root) {
		snprintf(doc->error, sizeof(doc->error), "invalid JSON: %.140s", err.text);
		doc->err_line = err.line > 0 ? (unsigned)err.line : 0;
		doc->err_col = err.column > 0 ? (unsigned)err.column : 0;
		return -1;
	}
	/* Positions are a help, not a need: a text libyaml reads otherwise has none. */
	if (doc_parse_yaml(&ydoc, buf, len) == 0) {
		if (graft(doc, &ydoc, doc->root, ydoc.root) < 0) {
			free(doc->pos);
			doc->pos = NULL;
			doc->n_pos = doc->cap_pos = 0;
		}
		qsort(doc->pos, doc->n_pos, sizeof(*doc->pos), pos_cmp);
		doc_free(&ydoc);
	}
	return 0;
}
