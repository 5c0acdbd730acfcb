/*
 * The lock-out guard: before `run`, `reload` or `apply` puts a policy in
 * force, judge the SSH sessions that reach this host (the one the command
 * was started from, and every established session on port 22) against it,
 * and refuse a policy that would cut one unless --force is given. Lab VMs
 * are reached over SSH; a rule file that forgets the ephemeral return rule
 * of a NACL should cost an error message, not the machine.
 */
#ifndef VPCFW_GUARD_H
#define VPCFW_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "policy.h"

/* The port the guard protects when nothing else is said. */
#define GUARD_SSH_PORT 22

/* One TCP session to protect: as the host sees it. */
struct guard_session {
	uint8_t family;			/* AF_INET / AF_INET6 */
	uint8_t local[16], remote[16];	/* IPv4 in the first 4 bytes */
	uint16_t local_port, remote_port;
};

/*
 * Parse $SSH_CONNECTION ("client_ip client_port server_ip server_port", as
 * sshd sets it) into *s: the server is the local end, the client the remote
 * one. Exactly four fields separated by blanks (spaces, tabs, newlines); ports 1-65535 in decimal.
 * An IPv6 zone ("fe80::1%eth0") is dropped, and IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d) become IPv4, as the packets on the wire are. Both ends
 * must be of one family. 0, or -1 with errno EINVAL if malformed (or NULL).
 */
int guard_session_from_env(const char *ssh_connection, struct guard_session *s);

/*
 * Established TCP sessions on local port `port` (22) of this network
 * namespace, from <proc_root>/net/tcp and <proc_root>/net/tcp6 (state 01,
 * addresses as the kernel prints them: each 32-bit word in host order).
 * `proc_root` is "/proc" (a test passes its own directory with fake net/tcp
 * files). Sessions in tcp6 with IPv4-mapped addresses (a dual-stack sshd
 * serving an IPv4 client) are reported as IPv4. A missing tcp6 (a kernel
 * without IPv6) counts as no IPv6 sessions; lines that do not parse are
 * skipped. Fills up to max and returns how many were stored (sessions past
 * max are not reported), or -1 with errno when net/tcp cannot be read.
 */
int guard_sessions_listening(const char *proc_root, uint16_t port,
			     struct guard_session *out, size_t max);

/*
 * Would policy `pol` cut session s? Judge, with a scratch flow table of its
 * own (never the engine's), the packets the session will carry from now on:
 * an inbound ACK segment from the client to the server port (mid-stream),
 * then the outbound ACK reply, then another inbound one, each through
 * policy_judge as the engine would (inbound: NACL then SG; outbound: SG then
 * NACL). The engine picks TCP up mid-stream, so this is what happens to a
 * live session once the policy is in force with an empty flow table (run;
 * after a reload a tracked session survives a security-group change until
 * it idles out or the daemon restarts, so the guard is stricter than the
 * engine there, on purpose).
 *
 * If a packet is dropped, fill `why` (when len > 0; truncated, always
 * NUL-terminated) with one line naming the session, the direction and the
 * layer and rule that drop it, and return true:
 *   "would cut the SSH session 203.0.113.5:50514 -> 10.0.1.10:22: its
 *    outbound packets are dropped by nacl-out:* deny"
 *   "... its inbound packets are dropped by nacl-in:50 deny (acl.rules:3)"
 *   "... its inbound packets are dropped by sg-in:none (no rule allows it)"
 * The layer that drops them is named as rulename.h names rules (as trace
 * and the flow logs do), with the file and line of a rule from a file.
 * IPv6 endpoints are written [addr]:port.
 *
 * Not judged (false): sessions over loopback (both ends the same address, or
 * a loopback address), because the steering rules never queue `lo` traffic.
 * If the scratch table cannot be allocated the answer is true (refuse, and
 * say why): the guard never lets a policy through unjudged.
 *
 * policy_judge counts the judged packets in pol's rule counters; the guard
 * sets them back to zero, so call it before pol is in force (as run, reload
 * and apply do), never on the policy that is judging live traffic.
 */
bool guard_would_cut(const struct policy *pol, const struct guard_session *s,
		     char *why, size_t len);

#endif
