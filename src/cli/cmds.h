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
	"[--to native|nacl-json|sg-json] [--map ID=CIDR[,CIDR...]]... FILE..."

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
	"           | trace [-l LAB] [HOST] [TRACE-OPTIONS] | probe [-l LAB] FROM TO tcp|udp PORT"

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
	"           | --replay TRACE-FILE"

/*
 * vpcfw explain: judge one packet offline with run's rule files and say
 * why, layer by layer (explain.h); --reply-of the reply of a request,
 * --connection a request and its response, --replay every packet of a
 * `vpcfw trace` through one flow table, comparing verdicts and rules.
 * Exit 0 when it passes (replay: all agree), 1 when dropped (replay: some
 * differ), 2 on a usage error or rules that do not load.
 */
int cmd_explain(int argc, char **argv);

#endif
