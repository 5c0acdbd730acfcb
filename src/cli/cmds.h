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

#define CMD_DIFF_USAGE \
	"[--json] [--map ID=CIDR[,CIDR...]]... OLD NEW\n" \
	"           [--json] [--map ...]... --old FILE... --new FILE..."

/*
 * vpcfw diff: which traffic the NEW rules admit that the OLD refused, and
 * the reverse, computed exactly (libvpcfw's vpcfw_diff_new); exit 0 when
 * the same, 1 when different, 2 on bad files or usage (as diff(1)).
 */
int cmd_diff(int argc, char **argv);

#endif
