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

#endif
