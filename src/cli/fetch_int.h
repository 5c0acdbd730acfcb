/*
 * vpcfw fetch, inside: fetch_aws.c runs the AWS CLI (Debian's awscli) as a
 * child process and hands back its JSON; fetch.c asks it about one instance
 * and writes the native rule file; fetch_refs.c resolves the references the
 * rules make and writes the comments that name every source.
 */
#ifndef VPCFW_FETCH_INT_H
#define VPCFW_FETCH_INT_H

#include <jansson.h>
#include <stdio.h>
#include <stddef.h>

#include "aws_json.h"
#include "common.h"

/* How to reach AWS: the CLI's global options, each NULL when not given. */
struct fetch_aws {
	const char *region;
	const char *profile;
	const char *endpoint_url;
};

/* At most this many words after `aws ... ec2` in one call. */
#define FETCH_AWS_MAX_ARGS 64

/*
 * Run `aws [--region R] [--profile P] [--endpoint-url U] --output json ec2
 * ARGS...` (args NULL-terminated) with no pager, and return its standard
 * output in *out (NUL-terminated, malloc'd, *len bytes). 0 on exit status 0.
 * -1 otherwise, with a message in why (len bytes): the CLI's own standard
 * error (its "An error occurred (InvalidInstanceID.NotFound) ..." line) and
 * its exit status, or why it could not run (not installed: status 127).
 * errno is ENOMEM, or EIO for every failure of the CLI.
 */
int fetch_aws_run(const struct fetch_aws *a, const char *const *args,
		  char **out, size_t *len, char *why, size_t whylen);

/* ---- between fetch.c and fetch_refs.c ---- */

#define FETCH_ME "vpcfw fetch"
#define FETCH_MAX_IDS 48		/* groups, lists or interfaces asked for in one call */

struct fetch {
	struct fetch_aws aws;
	const char *instance;
	const char *output;	/* -o FILE; NULL: standard output */
	json_t *inst;		/* describe-instances: the instance */
	json_t *enis;		/* describe-network-interfaces: its interfaces */
	json_t *primary;	/* the one of device index 0 */
	json_t *members;	/* describe-network-interfaces of the referenced groups */
	json_t *nacl;		/* describe-network-acls: the subnet's */
	char *sg_text, *nacl_text;
	size_t sg_len, nacl_len;
	const char *refs[FETCH_MAX_IDS];	/* sg- ids the rules name, first seen first */
	size_t n_refs;
	const char *pls[FETCH_MAX_IDS];	/* pl- ids */
	size_t n_pls;
	json_t *roots[8 + FETCH_MAX_IDS];	/* every parsed answer, freed at the end */
	size_t n_roots;
	struct aws_map map;
	FILE *notes;		/* the header comment, built as we go */
	char *notes_text;
	size_t notes_len;
};

/* One comment line of the file's head ("# " and the text, made printable). */
void fetch_note(struct fetch *f, const char *fmt, ...) PRINTF_FMT(2, 3);
const char *fetch_jstr(const json_t *o, const char *key);
/*
 * One `aws ec2 ARGS...` call: its JSON object in *root (f frees it) and,
 * when text is given, its text (the caller frees it). EXIT_OK, or the exit
 * status with the message printed.
 */
int fetch_call(struct fetch *f, const char *const *args, json_t **root,
	       char **text, size_t *len);
/* Append ids to args at *n, NULL-terminated. */
void fetch_push_ids(const char **args, size_t *n, const char *const *ids, size_t count);
/* "Name=KEY,Values=a,b,c" for --filters (malloc'd), or NULL. */
char *fetch_filter_arg(const char *key, const char *const *ids, size_t count);
/* An interface's Attachment.DeviceIndex, -1 when it has none. */
long fetch_device_index(const json_t *eni);

/* fetch_refs.c: the prefix lists' entries and the groups' members into f->map. */
int fetch_prefix_lists(struct fetch *f);
int fetch_members(struct fetch *f);
/* The comments on the instance, its interfaces, groups and network ACL. */
void fetch_note_start(struct fetch *f);

#endif
