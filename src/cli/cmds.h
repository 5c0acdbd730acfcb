/*
 * Subcommands that live outside main.c, one file each (wireguard-tools'
 * habit). Each takes the arguments from its own name on (argv[0] is the
 * subcommand) and returns the exit status (exitcode.h).
 */
#ifndef VPCFW_CMDS_H
#define VPCFW_CMDS_H

#include <stdbool.h>
#include <stddef.h>

/* For the subcommand table and the usage messages. */
#define CMD_CONVERT_USAGE \
	"[--to native|nacl-json|sg-json] [--map ID=CIDR[,CIDR...]]...\n" \
	"           [--param NAME=VALUE]... FILE..."

/*
 * vpcfw convert: read AWS CLI JSON or native rule files (FILE "-" is
 * standard input) and print them in another form on standard output:
 * native (the canonical form of vpcfw check) by default for JSON input;
 * for native input nacl-json or sg-json, whichever section it holds
 * (--to is required when it holds both).
 */
int cmd_convert(int argc, char **argv);

#define CMD_TOP_USAGE "[--interval S] [--count N] [--ctl PATH]"

/*
 * vpcfw top: a running engine's packets per second by layer and verdict,
 * its busiest rules, newest drops, flows by state and tracking allowance,
 * every interval: a screen on a terminal (q quits), plain blocks otherwise.
 */
int cmd_top(int argc, char **argv);

#define CMD_LAB_USAGE \
	"plan [--json] FILE | up FILE | down [LAB] | status [LAB]\n" \
	"           | exec [-l LAB] HOST -- CMD... | reload [LAB]\n" \
	"           | trace [-l LAB] [HOST] [TRACE-OPTIONS] | probe [-l LAB] FROM TO tcp|udp PORT\n" \
	"           | matrix [-l LAB] [--ports P,..] [--proto tcp,udp,icmp] [--from H,..] [--to H,..]\n" \
	"                    [--expect FILE] [--list|--json] [--timeout S]\n" \
	"           | check [-l LAB] [--file FILE|--solution] EXERCISE\n" \
	"           | quiz LAB [--answers FILE|-] [--count N] [--seed S]"

/*
 * vpcfw lab: `plan` parses a lab file (vpcfw.lab(5)) and prints its model;
 * every other verb runs the vpcfw-lab script with VPCFW set to this binary.
 */
int cmd_lab(int argc, char **argv);

/* main.c's, shared with the subcommands that take run's options. */
/* Append f to *list (*n entries); -1 when out of memory. */
int push_file(const char ***list, size_t *n, const char *f);
/* --nacl IFACE=FILE (an interface's own ACL) rather than --nacl FILE: a '=' with no '/' before it. */
bool is_iface_arg(const char *arg);

#define CMD_EXPLAIN_USAGE \
	"[--nacl FILE]... [--sg FILE]... [--map ID=CIDR[,CIDR...]]...\n" \
	"           [--eni IFACE=FILE[,FILE...]]... [--nacl IFACE=FILE[,FILE...]]... [--iface IFACE]\n" \
	"           [--subnet CIDR]... [--vpc CIDR] [--judge-aws-services] [--no-quotas] [--json]\n" \
	"           [--max-flows N] [--evict-unestablished] [--conntrack SETTINGS|FILE]...\n" \
	"           PROTO SRC -> DST [FLAGS|type T code C] [id N] in|out\n" \
	"           | --connection PROTO SRC -> DST ... in|out | --reply-of 'PACKET in|out'\n" \
	"           | --replay TRACE-FILE [--shadow]"

/*
 * vpcfw explain: judge one packet offline with run's rule files and say
 * why, layer by layer (explain.h); --reply-of the reply of a request,
 * --connection a request and its response, --replay every packet of a
 * `vpcfw trace` through one flow table, comparing verdicts and rules.
 * Exit 0 when it passes (replay: all agree), 1 when dropped (replay: some
 * differ), 2 on a usage error or rules that do not load.
 */
int cmd_explain(int argc, char **argv);

#define CMD_DIFF_USAGE \
	"[--json] [--map ID=CIDR[,CIDR...]]... OLD NEW\n" \
	"           [--json] [--map ...]... --old FILE... --new FILE..."

/*
 * vpcfw diff: which traffic the NEW rules admit that the OLD refused, and
 * the reverse, computed exactly (libvpcfw's vpcfw_diff_new); exit 0 when
 * the same, 1 when different, 2 on bad files or usage (as diff(1)).
 */
int cmd_diff(int argc, char **argv);

#define CMD_FETCH_USAGE "--instance i-... [--region R] [--profile P] [--endpoint-url URL]\n" \
	"           [-o FILE]"

/*
 * vpcfw fetch: ask the AWS CLI about one instance (its interfaces, their
 * security groups, its subnet's network ACL, the prefix lists and the
 * members of the groups its rules name) and write one native rule file,
 * every reference resolved to addresses, to standard output or -o FILE.
 */
int cmd_fetch(int argc, char **argv);

/*
 * `vpcfw apply -`: standard input into a new file beside the control socket
 * ctl (its name starts CTL_STDIN_PREFIX), whose path goes to *copy
 * (malloc'd). EXIT_OK, or the exit status with the reason printed (empty
 * input is EXIT_BAD_INPUT: the command before the | failed).
 */
int apply_stdin_copy(const char *ctl, char **copy);

/*
 * Exec the bash script vpcfw-NAME (vpcfw demo, vpcfw lab) with argv (argv[0]
 * replaced), VPCFW set to this binary and data_env (unless set already) to
 * its data directory data_dir: the source tree's when this binary is the
 * build tree's, else the installed ones. Returns only on failure
 * (EXIT_SYSTEM, said on stderr).
 */
int cli_exec_script(const char *name, char **argv, const char *data_env,
		    const char *data_dir);

#endif
