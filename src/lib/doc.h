/*
 * A parsed document that remembers where each value was: JSON (jansson)
 * or YAML (libyaml) as one jansson tree, with the line and column of every
 * value kept beside it, so that the Terraform and CloudFormation readers
 * serve both syntaxes and report "file:line:col". YAML's CloudFormation
 * short forms (!Ref X, !GetAtt A.B, !Sub ...) become their long JSON forms
 * ({"Ref": "X"}, {"Fn::GetAtt": ["A", "B"]}, {"Fn::Sub": ...}).
 */
#ifndef VPCFW_DOC_H
#define VPCFW_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct doc_pos;

struct doc {
	json_t *root;
	struct doc_pos *pos;	/* sorted by value after parsing */
	size_t n_pos, cap_pos;
	/* What went wrong when root is NULL: a message and where (from 1; 0 unknown). */
	char error[160];
	unsigned err_line, err_col;
	bool oom;
};

/*
 * Parse buf as JSON (positions from a second, YAML, reading of the same
 * text: JSON is YAML) or as YAML. 0, or -1 with doc->error set (doc->oom
 * for memory). Free with doc_free() either way.
 */
int doc_parse_json(struct doc *doc, const char *buf, size_t len);
int doc_parse_yaml(struct doc *doc, const char *buf, size_t len);
void doc_free(struct doc *doc);

/* Where a value of the tree is; 0/0 when unknown. */
void doc_where(const struct doc *doc, const json_t *j, unsigned *line, unsigned *col);

#endif
