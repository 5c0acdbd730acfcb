/*
 * vpcfw fetch, inside: fetch_aws.c runs the AWS CLI (Debian's awscli) as a
 * child process and hands back its JSON; fetch.c asks it about one instance
 * and writes the native rule file.
 */
#ifndef VPCFW_FETCH_INT_H
#define VPCFW_FETCH_INT_H

#include <stddef.h>

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

#endif
