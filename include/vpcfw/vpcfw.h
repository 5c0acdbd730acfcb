/*
 * libvpcfw: AWS VPC filtering (network ACLs and security groups) as a
 * library. Load rule files, lint them, write them back in any format,
 * compile a policy, and judge raw IPv4/IPv6 packets against it with a flow
 * table for the security groups' replies; name the rule that decided.
 *
 * This is the library's only public header (nftables' libnftables.h is the
 * model): every handle is opaque, every function is prefixed vpcfw_ and is
 * the only thing exported (src/lib/libvpcfw.map). The library is built
 * static and not installed until someone embeds it.
 *
 * Error contract, for every function below:
 *   - functions returning a pointer return NULL on failure, with errno set;
 *   - functions returning int return -1 on failure, with errno set, and 0
 *     (or a documented count or length) on success;
 *   - what is wrong in a rule file (or the rules) is not an errno: it is a
 *     message in the struct vpcfw_diag given, "file:line:col: error: ...",
 *     and the function fails with EINVAL; every problem of the input is
 *     reported in one call;
 *   - a NULL required argument is EINVAL; the library never exits, never
 *     prints but where it is given a FILE *, and keeps no global state but
 *     a counter of compiled policies (and libsodium's initialisation, for
 *     the flow tables' hash keys).
 * Ownership: whatever vpcfw_*_new() or a load returns, the caller frees with
 * the matching vpcfw_*_free() (which accepts NULL), except where a function
 * says it takes a handle over. Thread-safety: vpcfw_judge() may run in any
 * number of threads at once on one policy and one flow table; everything
 * else needs the caller's serialisation per handle.
 */
#ifndef VPCFW_VPCFW_H
#define VPCFW_VPCFW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the exported functions; the library is built -fvisibility=hidden. */
#ifndef VPCFW_API
#define VPCFW_API __attribute__((visibility("default")))
#endif

/* ---- diagnostics ---------------------------------------------------------- */

/* Every error, warning and note a load, lint or compile found, in order. */
struct vpcfw_diag;

VPCFW_API struct vpcfw_diag *vpcfw_diag_new(void);
VPCFW_API void vpcfw_diag_free(struct vpcfw_diag *d);

enum vpcfw_diag_level {
	VPCFW_DIAG_ERROR = 0,
	VPCFW_DIAG_WARNING,
	VPCFW_DIAG_NOTE,
};

/* The number of messages of one level (notes: 0; they are not counted). */
VPCFW_API size_t vpcfw_diag_count(const struct vpcfw_diag *d,
				  enum vpcfw_diag_level level);

/*
 * Print every message: "file:line:col: error: msg", the source line and a
 * caret under the column, as `vpcfw check` prints them. 0, or -1 with errno
 * EIO when out reports an error.
 */
VPCFW_API int vpcfw_diag_print(const struct vpcfw_diag *d, FILE *out);

/* ---- address maps (--map) ------------------------------------------------- */

/*
 * Addresses for security-group references (sg-...) and prefix lists
 * (pl-...), and values of template parameters.
 */
struct vpcfw_maps;

VPCFW_API struct vpcfw_maps *vpcfw_maps_new(void);
VPCFW_API void vpcfw_maps_free(struct vpcfw_maps *m);

/* Add "ID=CIDR[,CIDR...]" (as --map). 0, or -1 with errno EINVAL (bad text) or ENOMEM. */
VPCFW_API int vpcfw_maps_add(struct vpcfw_maps *m, const char *spec);

/*
 * Add "NAME=VALUE" (as --param): the value of a CloudFormation template's
 * parameter NAME (letters and digits), which wins over its Default. 0, or
 * -1 with errno EINVAL (bad text, NAME given twice) or ENOMEM.
 */
VPCFW_API int vpcfw_maps_add_param(struct vpcfw_maps *m, const char *spec);

/* ---- rules ------------------------------------------------------------------ */

/* The two layers of a VPC, as bits. */
#define VPCFW_LAYER_NACL	0x1u	/* the subnet's network ACL: stateless, ordered */
#define VPCFW_LAYER_SG		0x2u	/* the security groups: stateful, allow only */
#define VPCFW_LAYER_BOTH	(VPCFW_LAYER_NACL | VPCFW_LAYER_SG)
/* In a verdict only: traffic a VPC never filters (IPv6 neighbour discovery, DHCP). */
#define VPCFW_LAYER_INFRA	0x4u

/* Formats of a rule file. */
enum vpcfw_format {
	/*
	 * load: by content: a Terraform state or plan (`terraform show -json`),
	 * a CloudFormation template (JSON or YAML), AWS CLI JSON, else native
	 */
	VPCFW_FORMAT_AUTO = 0,
	VPCFW_FORMAT_NATIVE,	/* vpcfw.rules(5) */
	VPCFW_FORMAT_AWS_NACL,	/* `aws ec2 describe-network-acls` JSON */
	VPCFW_FORMAT_AWS_SG,	/* `aws ec2 describe-security-groups` JSON */
};

/* A rule set: what rule files say, before compilation. */
struct vpcfw_rules;

/* An empty rule set. NULL with errno ENOMEM. */
VPCFW_API struct vpcfw_rules *vpcfw_rules_new(void);
VPCFW_API void vpcfw_rules_free(struct vpcfw_rules *r);

/* How to load a text; a NULL `struct vpcfw_load *` means all zero. */
struct vpcfw_load {
	/*
	 * VPCFW_FORMAT_AUTO: native text, or JSON whose kind (NACL or SG)
	 * its top-level key says. A forced AWS format loads the text as that
	 * kind whatever it holds.
	 */
	enum vpcfw_format format;
	/*
	 * The layers the text is loaded for, as `vpcfw run --nacl F --sg F`:
	 * a native file contributes those sections only (a section it holds
	 * beyond them is an error naming the flag to add), AUTO JSON is loaded
	 * as each kind asked. 0: all the text holds, as `vpcfw check` loads
	 * (AUTO native text that holds no section is loaded for both, so that
	 * the errors say what is missing; forced NATIVE takes exactly the
	 * sections it holds, and a text of lists only loads clean, for none).
	 */
	unsigned layers;
	const struct vpcfw_maps *maps;	/* NULL: no --map */
};

/*
 * Add the rules of a text to r. `name` names the text in messages (a file
 * name; NULL: "-"). Every problem goes to d; returns 0 when the text was
 * clean (warnings allowed), -1 with errno EINVAL otherwise (r may then hold
 * part of the text: free it), or ENOMEM. Loading several texts into one r
 * makes one policy of them; a second network ACL is an error.
 */
VPCFW_API int vpcfw_rules_load_buffer(struct vpcfw_rules *r, const char *name,
				      const void *buf, size_t len,
				      const struct vpcfw_load *how,
				      struct vpcfw_diag *d);

/* The same for a file ("-": standard input); "cannot read: ..." goes to d. */
VPCFW_API int vpcfw_rules_load_file(struct vpcfw_rules *r, const char *path,
				    const struct vpcfw_load *how,
				    struct vpcfw_diag *d);

/*
 * The layers r's loads were for (VPCFW_LAYER_* bits): what `vpcfw check`
 * would compile. A file loaded for the SG layer counts even when it holds
 * no group (its policy then allows nothing through that layer).
 */
VPCFW_API unsigned vpcfw_rules_layers(const struct vpcfw_rules *r);

/*
 * Do two rule sets hold the same rules, as enforced (not where they came
 * from)? For round trips through vpcfw_rules_write().
 */
VPCFW_API bool vpcfw_rules_equal(const struct vpcfw_rules *a,
				 const struct vpcfw_rules *b);

/*
 * Warnings for the classic NACL and security-group mistakes (missing
 * ephemeral-port replies, shadowed rules, IPv4-only openings, SSH/RDP open
 * to the world, redundant SG rules), in d at each rule's location, as
 * `vpcfw check` prints them. Returns the number of warnings, or -1 with
 * errno ENOMEM (also reported in d).
 */
VPCFW_API int vpcfw_rules_lint(const struct vpcfw_rules *r, struct vpcfw_diag *d);

/*
 * Write r to out: VPCFW_FORMAT_NATIVE in the canonical form (loading it
 * gives the same rules), VPCFW_FORMAT_AWS_NACL / _AWS_SG exactly as the AWS
 * CLI prints them. 0, or -1 with errno: EINVAL for AUTO, or for a NACL
 * format when r holds no network ACL; EILSEQ when a string is not UTF-8
 * (JSON; nothing is written); ENOMEM; EIO or the stream's error.
 */
VPCFW_API int vpcfw_rules_write(const struct vpcfw_rules *r,
				enum vpcfw_format format, FILE *out);

/* ---- policies ----------------------------------------------------------- */

/* A compiled, immutable snapshot of the rules. */
struct vpcfw_policy;

/*
 * Compile r for the given layers (VPCFW_LAYER_NACL and/or _SG; 0: those of
 * vpcfw_rules_layers(r)). Takes r over: after the call, success or not, r
 * belongs to the policy (or is freed) and must not be used again. Problems
 * go to d (the NACL layer asked for but no network ACL loaded, a rule number
 * out of range or used twice); NULL with errno EINVAL, or ENOMEM.
 */
VPCFW_API struct vpcfw_policy *vpcfw_policy_compile(struct vpcfw_rules *r,
						    unsigned layers,
						    struct vpcfw_diag *d);
VPCFW_API void vpcfw_policy_free(struct vpcfw_policy *p);

/* The policy's layers (VPCFW_LAYER_* bits). */
VPCFW_API unsigned vpcfw_policy_layers(const struct vpcfw_policy *p);

/* The rules the policy was compiled from; they live as long as the policy. */
VPCFW_API const struct vpcfw_rules *vpcfw_policy_rules(const struct vpcfw_policy *p);

/* ---- flow tables --------------------------------------------------------- */

/*
 * The security groups' connection tracking: which flows a rule opened, so
 * their replies pass. One table outlives policies (a flow opened under one
 * policy passes under the next until it times out).
 */
struct vpcfw_flows;

/* Limits; a NULL pointer, or 0 in a field, means AWS's default. */
struct vpcfw_flow_limits {
	size_t max_flows;		/* hard cap (default 262144); new flows past it drop */
	uint32_t tcp_established_s;	/* AWS TcpEstablishedTimeout (432000) */
	uint32_t udp_s;			/* AWS UdpTimeout (30) */
	uint32_t udp_stream_s;		/* AWS UdpStreamTimeout (180) */
	uint32_t icmp_s;		/* ICMP queries (30) */
	uint32_t other_s;		/* other protocols (600) */
};

/* NULL with errno (ENOMEM). */
VPCFW_API struct vpcfw_flows *vpcfw_flows_new(const struct vpcfw_flow_limits *lim);
VPCFW_API void vpcfw_flows_free(struct vpcfw_flows *f);

/* Live tracked flows at time now_ms (expired ones are reaped first). */
VPCFW_API size_t vpcfw_flows_count(struct vpcfw_flows *f, uint64_t now_ms);

/* ---- judging packets ------------------------------------------------------ */

enum vpcfw_dir {
	VPCFW_IN = 0,		/* towards the protected host (or subnet) */
	VPCFW_OUT = 1,		/* away from it */
};

/* What the security-group layer concluded. */
enum vpcfw_sg_outcome {
	VPCFW_SG_NONE = 0,	/* no SG layer, or not reached */
	VPCFW_SG_FLOW_ORIG,	/* a packet of a tracked flow, its original direction */
	VPCFW_SG_FLOW_REPLY,	/* a reply of a tracked flow: passes whatever the rules say */
	VPCFW_SG_NEW_TRACKED,	/* allowed by a rule; a tracked flow was created */
	VPCFW_SG_UNTRACKED,	/* allowed by a rule; judged per packet (AWS untracked) */
	VPCFW_SG_NO_RULE,	/* no rule allows it: dropped */
	VPCFW_SG_TABLE_FULL,	/* allowed, but the flow table is full: dropped */
};

/* A verdict: plain data, valid as long as the policy that gave it. */
struct vpcfw_verdict {
	bool accept;
	unsigned layer;			/* VPCFW_LAYER_* that ended evaluation; 0: none */
	enum vpcfw_dir dir;
	uint32_t nacl_rule;		/* the NACL rule number that decided (1..32766,
					 * 32767/32768 the '*' denies); 0: not consulted */
	bool nacl_allow;
	enum vpcfw_sg_outcome sg;
	/* Which SG rule allowed it, and which policy judged: for vpcfw_verdict_rule(). */
	long sg_rule;			/* -1: none */
	uint64_t serial;		/* the policy's: each compiled policy has its own */
};

/*
 * Judge one raw packet, starting at the IP header: caplen bytes at pkt, of
 * a packet wirelen bytes long (larger when the capture was cut, as
 * NFQA_CAP_LEN says; 0 or less than caplen: caplen),
 * going in direction dir at time now_ms (a monotonic clock in milliseconds:
 * flows time out on it). Layers in AWS's order: inbound NACL then SG,
 * outbound SG then NACL. flows may be NULL only without an SG layer
 * (otherwise EINVAL). 0 with *v filled; -1 with errno EINVAL when the bytes
 * are not a packet the parser accepts (the engine drops those: *v is then
 * a drop by no layer), or EPROTO if the parser broke its own contract (a
 * bug: the fuzzers abort on it).
 */
VPCFW_API int vpcfw_judge(const struct vpcfw_policy *p, struct vpcfw_flows *flows,
			  const void *pkt, size_t caplen, size_t wirelen,
			  enum vpcfw_dir dir, uint64_t now_ms,
			  struct vpcfw_verdict *v);

/*
 * Name the rules that decided v, in the order the packet met them, as the
 * live trace, the flow logs and `show flows` do: "nacl-in:100 allow, then
 * sg-in:sg-web#2 (new tracked flow)", "nacl-in:* deny", "sg:flow (tracked
 * reply), then nacl-out:140 allow". p must be the policy that judged (else
 * the SG rule is named by number only: "sg-in:#2 of rules since reloaded"). Writes at most len
 * bytes, NUL-terminated; returns the length of the whole name (as snprintf:
 * len or more means it was cut), or -1 with errno EINVAL.
 */
VPCFW_API int vpcfw_verdict_rule(const struct vpcfw_policy *p,
				 const struct vpcfw_verdict *v,
				 char *buf, size_t len);

/*
 * One line describing a raw packet ("tcp 10.0.0.1:40000 -> 10.0.0.2:80 [S]"),
 * with caplen/wirelen as vpcfw_judge(). Returns the length written (cut to
 * len - 1), or -1 with errno EINVAL when the packet does not parse (buf then
 * says why, after what was parsed: "tcp 10.0.0.1:0 -> ... malformed (short)"),
 * or EPROTO as vpcfw_judge().
 */
VPCFW_API int vpcfw_packet_format(const void *pkt, size_t caplen, size_t wirelen,
				  char *buf, size_t len);

/* ---- explaining a verdict ------------------------------------------------ */

/*
 * Why a packet passes or drops (`vpcfw explain`): each layer in AWS's
 * order, every rule tried with why it does not match (address, protocol,
 * port, ICMP type), the rule that decided, the flow state the verdict
 * depends on, and Reachability Analyzer's explanation code. The verdict
 * is vpcfw_judge()'s: the same judge decides, and an explanation that
 * would name another rule than the judge is never given.
 */
struct vpcfw_explain;

/*
 * Judge one raw packet exactly as vpcfw_judge() (same arguments; flows
 * moves as it would) and explain the verdict. NULL with errno: EINVAL as
 * vpcfw_judge(), ENOMEM, or EPROTO (the explanation disagrees with the
 * verdict: a bug).
 */
VPCFW_API struct vpcfw_explain *vpcfw_explain_judge(const struct vpcfw_policy *p,
						    struct vpcfw_flows *flows,
						    const void *pkt, size_t caplen,
						    size_t wirelen, enum vpcfw_dir dir,
						    uint64_t now_ms);
VPCFW_API void vpcfw_explain_free(struct vpcfw_explain *x);

/* The verdict explained, as vpcfw_judge() gives it. 0, or -1 with errno EINVAL. */
VPCFW_API int vpcfw_explain_verdict(const struct vpcfw_explain *x,
				    struct vpcfw_verdict *v);

/*
 * Reachability Analyzer's explanation code for a drop:
 * "SUBNET_ACL_RESTRICTION" (the network ACL), "ENI_SG_RULES_MISMATCH" (no
 * security-group rule applies), "SG_HAS_NO_RULES" (none in that
 * direction); "" when the packet passes or AWS documents no code (a full
 * flow table). NULL with errno EINVAL for a NULL x.
 */
VPCFW_API const char *vpcfw_explain_code(const struct vpcfw_explain *x);

/*
 * Write the explanation as `vpcfw explain` prints it: lines of text, or
 * with json one JSON object (the layers, each rule with "role" decided,
 * miss, matches or not-tried and "why", the notes, "code"). 0, or -1 with
 * errno EINVAL, ENOMEM, or EIO when out reports an error.
 */
VPCFW_API int vpcfw_explain_write(const struct vpcfw_explain *x, bool json, FILE *out);

/* ---- differences between two policies (`vpcfw diff`) --------------------- */

/*
 * Which packets one policy admits that another refused, and the reverse,
 * computed exactly on the rules (never by sampling), per layer, direction
 * and family, merged into boxes "protocols x ports (or ICMP types x codes)
 * x peer address ranges". A layer admits: the NACL when the first rule
 * that matches (by number, '*' last) allows; the security groups when some
 * rule of the direction allows the packet as the first of a connection.
 * A layer a policy lacks admits everything (only configured layers judge).
 * Traffic a VPC never filters (neighbour discovery, DHCP) is not considered.
 */
struct vpcfw_diff;

/* One change: a box of packets whose verdict changed alike. Plain data. */
struct vpcfw_change {
	bool admit;			/* true: new admits what old refused ("+") */
	unsigned layer;			/* VPCFW_LAYER_NACL or VPCFW_LAYER_SG */
	enum vpcfw_dir dir;
	unsigned ip_version;		/* 4 or 6 */
	unsigned proto_lo, proto_hi;	/* IANA protocol numbers; 0-255: every one */
	/* TCP/UDP (proto_lo == proto_hi, 6 or 17): destination ports; else 0-65535 */
	unsigned port_lo, port_hi;
	/* ICMP of the family (1 in IPv4, 58 in IPv6, alone): types, codes; else 0-255 */
	unsigned type_lo, type_hi, code_lo, code_hi;
	/*
	 * Which packets of those protocols: first_packets, those that carry
	 * their transport header (within the ports or types above);
	 * later_fragments, the non-first fragments (no ports or types: only
	 * rules covering every value judge them). A change of every packet of
	 * the protocols has both.
	 */
	bool first_packets, later_fragments;
	size_t n_peers;			/* address ranges: vpcfw_diff_peer() */
	const char *old_rule;		/* who decided in old: "nacl-in:* deny", "sg-in:none" */
	const char *new_rule;		/* and in new: "nacl-in:120 allow", "sg-in:sg-web#3" */
};

/* A range of peer addresses (the source inbound, the destination outbound). */
struct vpcfw_addr_range {
	uint8_t first[16];		/* network order; IPv4 in the first 4 bytes */
	uint8_t last[16];
};

/*
 * The difference from old to new for the given layers (VPCFW_LAYER_*; 0:
 * both). budget: the most rule tests (one region's packet against one rule)
 * to spend, counted as an upper bound; 0 for the default (256 million,
 * under a second for 1000 rules a side); when it runs out the
 * changes found are true but not all of them (vpcfw_diff_complete() says
 * false). The policies need not outlive the result. NULL with errno
 * EINVAL or ENOMEM.
 */
VPCFW_API struct vpcfw_diff *vpcfw_diff_new(const struct vpcfw_policy *old,
					    const struct vpcfw_policy *new,
					    unsigned layers, uint64_t budget);
VPCFW_API void vpcfw_diff_free(struct vpcfw_diff *d);

/* The number of changes (0: the policies admit the same packets). */
VPCFW_API size_t vpcfw_diff_count(const struct vpcfw_diff *d);

/* False when the work budget ran out before every region was compared. */
VPCFW_API bool vpcfw_diff_complete(const struct vpcfw_diff *d);

/* Change i into *c (its strings live as long as d). 0, or -1 with errno EINVAL. */
VPCFW_API int vpcfw_diff_change(const struct vpcfw_diff *d, size_t i,
				struct vpcfw_change *c);

/* Peer range j of change i. 0, or -1 with errno EINVAL. */
VPCFW_API int vpcfw_diff_peer(const struct vpcfw_diff *d, size_t i, size_t j,
			      struct vpcfw_addr_range *r);

/*
 * Print the changes as `vpcfw diff` does: one line each ("+ nacl-in  tcp
 * from 0.0.0.0/0 port 443  now allowed (nacl-in:120 allow; was nacl-in:*
 * deny)"), peers as minimal CIDR lists, and a note when incomplete; with
 * json, one JSON object {"complete", "count", "changes": [...]}. 0, or -1
 * with errno (EINVAL, ENOMEM, EIO).
 */
VPCFW_API int vpcfw_diff_write(const struct vpcfw_diff *d, bool json, FILE *out);

#ifdef __cplusplus
}
#endif

#endif
