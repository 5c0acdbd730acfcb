/*
 * Subcommands that live outside main.c, one file each (wireguard-tools'
 * habit). Each takes the arguments from its own name on (argv[0] is the
 * subcommand) and returns the exit status (exitcode.h).
 */
#ifndef VPCFW_CMDS_H
#define VPCFW_CMDS_H

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

#endif
