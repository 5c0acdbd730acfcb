/*
 * The exit status of every vpcfw command, defined once: the command line
 * returns them, and so does the engine's daemon_run(). vpcfw(8) documents
 * them under EXIT STATUS; scripts test them, so a value never changes.
 */
#ifndef VPCFW_EXITCODE_H
#define VPCFW_EXITCODE_H

enum vpcfw_exit {
	EXIT_OK = 0,
	/* A bad rule file or a refused request (queue or control socket in use, reload refused). */
	EXIT_BAD_INPUT = 1,
	EXIT_USAGE = 2,
	/* A system failure, or no engine answering: the request was not sent. */
	EXIT_SYSTEM = 3,
	/* The request reached the engine but no whole answer came back: it may have taken effect. */
	EXIT_UNKNOWN = 4,
};

#endif
