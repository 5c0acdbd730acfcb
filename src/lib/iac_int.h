/*
 * Private to the infrastructure-as-code readers (iac.c, tf.c, cfn.c): the
 * AWS importer's loader and helpers (aws_json_int.h) with the parsed
 * document's positions.
 */
#ifndef VPCFW_IAC_INT_H
#define VPCFW_IAC_INT_H

#include "aws_json_int.h"
#include "doc.h"
#include "iac.h"
#include "rules.h"

struct iac {
	struct loader l;
	struct doc doc;
	unsigned take;		/* RULES_TAKE_* asked */
	/* The network ACL loaded, to refuse a second one: its name in messages. */
	char nacl_what[PATH_LEN];
};

/* Report at j (or, when j has no position, at `at`); path names the resource. */
void iac_error(struct iac *x, const json_t *j, const json_t *at, const char *path,
	       const char *fmt, ...) PRINTF_FMT(5, 6);
/* Make j (or at) the position of the messages that follow. */
void iac_at(struct iac *x, const json_t *j, const json_t *at);

/*
 * Start a network ACL: `id` the ACL's id, `what` names its resource. The
 * same id again is the same ACL (true); a second one is an error naming both (a subnet has exactly one); false then.
 */
bool iac_nacl_begin(struct iac *x, const json_t *at, const char *path,
		    const char *id, const char *what);
/*
 * Add an entry. After the file, a rule number used twice in a direction is
 * one entry when both say the same, else an error (iac.c, nacl_dedupe).
 */
void iac_nacl_add(struct iac *x, const json_t *at, const char *path,
		  struct nacl_entry *ne);
/*
 * Check and store a NACL entry's ports or ICMP type/code by its protocol,
 * as AWS applies them (nacl_l4 of the AWS importer): fields that do not
 * apply are ignored. Names are the format's own field names.
 */
int iac_nacl_l4(struct iac *x, const char *path, struct nacl_entry *ne,
		const char *fn, const char *tn, long long from, long long to,
		bool has_ports, const char *itn, const char *icn, long long type,
		long long code, bool has_icmp);

/*
 * After loading: a kind asked but not held, or held but not asked, is an
 * error (the types name what would have been read).
 */
void iac_check_take(struct iac *x, unsigned holds, const char *nacl_types,
		    const char *sg_types);

/* The readers: RULES_TAKE_* the document holds, and loading it. */
unsigned tf_holds(const json_t *root);
void tf_load(struct iac *x);
unsigned cfn_holds(const json_t *root);
void cfn_load(struct iac *x);

#endif
