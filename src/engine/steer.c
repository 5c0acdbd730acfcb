/*
 * Steering with iptables-nft: chains of our own, one restore transaction per
 * family so traffic never sees half of the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "steer.h"

static const char *const base_chain[3] = { "INPUT", "OUTPUT", "FORWARD" };
static const char *const our_chain[3] = { "VPCFW-INPUT", "VPCFW-OUTPUT", "VPCFW-FORWARD" };

/* Run argv quietly, feeding `input` (may be NULL) on stdin; returns the exit status or -1. */
static int run_cmd(char *const argv[], const char *input)
{
	int pfd[2] = { -1, -1 }, status, devnull;
	pid_t pid;

	if (input && pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(input ? pfd[0] : devnull, 0);
		dup2(devnull, 1);
		if (!input)
			dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (input) {
		size_t len = strlen(input);
		ssize_t w;

		close(pfd[0]);
		while (len && (w = write(pfd[1], input, len)) > 0) {
			input += w;
			len -= (size_t)w;
		}
		close(pfd[1]);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Run argv with its stdout into buf (NUL-terminated, cut at len - 1); the
 * exit status or -1. posix_spawn, not fork: the engine calls this while its
 * queue threads run, and a vfork-style spawn copies none of its memory maps.
 */
static int run_capture(char *const argv[], char *buf, size_t len)
{
	posix_spawn_file_actions_t fa;
	int pfd[2], status, ret;
	size_t used = 0;
	ssize_t r;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (ret) {
		close(pfd[0]);
		errno = ret;
		return -1;
	}
	/* Read to the end even when buf is full: the child must not block on its pipe. */
	for (;;) {
		char sink[512];

		if (used + 1 < len)
			r = read(pfd[0], buf + used, len - 1 - used);
		else
			r = read(pfd[0], sink, sizeof(sink));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (used + 1 < len)
			used += (size_t)r;
	}
	buf[used] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool have_chain(bool ipv6, const char *chain)
{
	char *list[] = { ipv6 ? "ip6tables" : "iptables", "-w", "-S", (char *)chain, NULL };

	return run_cmd(list, NULL) == 0;
}

static void probe_state(bool ipv6, bool have_chains[3], bool have_jumps[3])
{
	const char *tool = ipv6 ? "ip6tables" : "iptables";
	int i;

	for (i = 0; i < 3; i++) {
		char *list[] = { (char *)tool, "-w", "-S", (char *)our_chain[i], NULL };
		char *check[] = { (char *)tool, "-w", "-C", (char *)base_chain[i],
				  "-j", (char *)our_chain[i], NULL };

		have_chains[i] = run_cmd(list, NULL) == 0;
		have_jumps[i] = have_chains[i] && run_cmd(check, NULL) == 0;
	}
}

struct out {
	char *buf;
	size_t len, used;
	bool overflow;
};

static void PRINTF_FMT(2, 3) emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used)
		o->overflow = true;
	else
		o->used += (size_t)n;
}

/* Packets a VPC never filters stay out of the queue: no lock-out of ND or DHCP. */
/*
 * Only loopback, neighbour discovery and DHCP stay out of the queue: a host
 * needs them on any link, whatever the engine is doing. The AWS service and
 * reserved addresses (169.254.0.0/16, the subnet's first four, fd00:ec2::)
 * are exempted by the engine's judge instead (exempt.c): there they are
 * counted by kind, seen by `trace`, and `run --judge-aws-services` or a
 * different --subnet takes effect with no new steering rules.
 */
static void emit_exemptions(struct out *o, bool ipv6, const char *chain, bool in)
{
	emit(o, "-A %s -%c lo -j RETURN\n", chain, in ? 'i' : 'o');
	if (ipv6) {
		emit(o, "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type 133 -j RETURN\n", chain);
		emit(o, "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j RETURN\n", chain);
		emit(o, "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j RETURN\n", chain);
		emit(o, "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j RETURN\n", chain);
		emit(o, "-A %s -p ipv6-icmp -m icmp6 --icmpv6-type 137 -j RETURN\n", chain);
		emit(o, "-A %s -p udp -m udp --sport 546:547 --dport 546:547 -j RETURN\n", chain);
	} else {
		emit(o, "-A %s -p udp -m udp --sport 67:68 --dport 67:68 -j RETURN\n", chain);
	}
}

static void emit_queue_rule(struct out *o, const struct steer_opts *so,
			    const char *chain)
{
	/*
	 * `run --offload`: a packet the engine handed back (NF_REPEAT) with
	 * the offload bit saves it into its connection's mark and leaves by
	 * VPCFW-OFFLOAD (a goto: no way back into the queue, whatever
	 * conntrack can do); later packets of that connection return here.
	 */
	emit(o, "-A %s -m mark --mark 0x%x/0x%x -g VPCFW-OFFLOAD\n", chain,
	     STEER_OFFLOAD_MARK, STEER_OFFLOAD_MARK);
	/* Their closing segments are copied to the engine, never held. */
	emit(o, "-A %s -p tcp -m connmark --mark 0x%x/0x%x -m tcp ! --tcp-flags FIN,RST NONE "
	     "-j NFLOG --nflog-group %u --nflog-size 128\n", chain,
	     STEER_OFFLOAD_MARK, STEER_OFFLOAD_MARK, STEER_NFLOG_GROUP);
	emit(o, "-A %s -m connmark --mark 0x%x/0x%x -j RETURN\n", chain,
	     STEER_OFFLOAD_MARK, STEER_OFFLOAD_MARK);
	/*
	 * The conntrack match is true for every packet; it is there because
	 * it makes the kernel reassemble fragments before this hook, so the
	 * engine judges whole datagrams with their ports.
	 */
	emit(o, "-A %s -m conntrack --ctstate INVALID,NEW,ESTABLISHED,RELATED,UNTRACKED -j NFQUEUE",
	     chain);
	if (so->queue_first == so->queue_last)
		emit(o, " --queue-num %u", so->queue_first);
	else
		emit(o, " --queue-balance %u:%u", so->queue_first, so->queue_last);
	emit(o, "%s\n", so->fail_closed ? "" : " --queue-bypass");
}

int steer_render(bool ipv6, const struct steer_opts *so, bool have_chains[3],
		 bool have_jumps[3], char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };
	int i, n = so->forward ? 3 : 2;

	emit(&o, "*filter\n");
	for (i = 0; i < n; i++)
		emit(&o, ":%s - [0:0]\n", our_chain[i]);	/* creates or flushes */
	emit(&o, ":VPCFW-OFFLOAD - [0:0]\n");
	emit(&o, "-A VPCFW-OFFLOAD -j CONNMARK --save-mark --nfmask 0x%x --ctmask 0x%x\n",
	     STEER_OFFLOAD_MARK, STEER_OFFLOAD_MARK);
	emit(&o, "-A VPCFW-OFFLOAD -j MARK --set-xmark 0x0/0x%x\n", STEER_OFFLOAD_MARK);
	for (i = 0; i < n; i++) {
		emit_exemptions(&o, ipv6, our_chain[i], i != 1);
		emit_queue_rule(&o, so, our_chain[i]);
		if (!have_jumps[i])
			emit(&o, "-I %s 1 -j %s\n", base_chain[i], our_chain[i]);
	}
	/* `on` without --forward after an `on --forward`: take FORWARD away. */
	if (!so->forward && have_chains[2]) {
		if (have_jumps[2])
			emit(&o, "-D FORWARD -j %s\n", our_chain[2]);
		emit(&o, "-F %s\n-X %s\n", our_chain[2], our_chain[2]);
	}
	emit(&o, "COMMIT\n");
	if (o.overflow) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

static int render_off(bool have_chains[3], bool have_jumps[3], bool have_offload,
		      char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };
	int i;

	emit(&o, "*filter\n");
	for (i = 0; i < 3; i++) {
		if (have_jumps[i])
			emit(&o, "-D %s -j %s\n", base_chain[i], our_chain[i]);
		if (have_chains[i])
			emit(&o, "-F %s\n-X %s\n", our_chain[i], our_chain[i]);
	}
	/* Last: our chains jumped to it. */
	if (have_offload)
		emit(&o, "-F VPCFW-OFFLOAD\n-X VPCFW-OFFLOAD\n");
	emit(&o, "COMMIT\n");
	return o.overflow ? -1 : 0;
}

static int steer_family(bool on, bool ipv6, const struct steer_opts *so,
			char *err, size_t errlen)
{
	char *restore[] = { ipv6 ? "ip6tables-restore" : "iptables-restore",
			    "-w", "--noflush", NULL };
	bool have_chains[3], have_jumps[3];
	char text[8192];
	int ret;

	probe_state(ipv6, have_chains, have_jumps);
	if (on)
		ret = steer_render(ipv6, so, have_chains, have_jumps, text, sizeof(text));
	else
		ret = render_off(have_chains, have_jumps, have_chain(ipv6, "VPCFW-OFFLOAD"),
				 text, sizeof(text));
	if (ret < 0) {
		snprintf(err, errlen, "steering rules too long");
		return -1;
	}
	ret = run_cmd(restore, text);
	if (ret != 0) {
		snprintf(err, errlen, "%s failed (exit %d): is iptables (nft) installed, "
			 "and are we root?", restore[0], ret);
		return -1;
	}
	return 0;
}

int steer_apply(bool on, const struct steer_opts *o, char *err, size_t errlen)
{
	if (steer_family(on, false, o, err, errlen) < 0)
		return -1;
	if (steer_family(on, true, o, err, errlen) < 0) {
		/* Never leave one family steered and the other not. */
		if (on) {
			char ignore[256];

			steer_family(false, false, o, ignore, sizeof(ignore));
		}
		return -1;
	}
	return 0;
}

/*
 * One line of iptables-save -c: "[PKTS:BYTES] -A VPCFW-... -j NFQUEUE
 * --queue-num N" or "--queue-balance A:B". True, with the packet count,
 * when it is one of our queue rules for exactly queues first..last.
 */
static bool counted_line(const char *line, uint16_t first, uint16_t last,
			 uint64_t *pkts)
{
	unsigned long long p, b;
	unsigned a, z;
	const char *q;

	if (sscanf(line, "[%llu:%llu] -A VPCFW-", &p, &b) != 2 ||
	    !strstr(line, "] -A VPCFW-") || !strstr(line, " -j NFQUEUE"))
		return false;
	if ((q = strstr(line, "--queue-num ")) && sscanf(q, "--queue-num %u", &a) == 1)
		z = a;
	else if (!(q = strstr(line, "--queue-balance ")) ||
		 sscanf(q, "--queue-balance %u:%u", &a, &z) != 2)
		return false;
	if (a != first || z != last)
		return false;
	*pkts = p;
	return true;
}

int steer_counted(uint16_t first, uint16_t last, uint64_t *pkts)
{
	const size_t outlen = 1u << 20;
	char *save[] = { NULL, "-c", "-t", "filter", NULL };
	const char *tools[2] = { "iptables-save", "ip6tables-save" };
	char *out = malloc(outlen);
	bool found = false;
	uint64_t n;
	int i;

	*pkts = 0;
	if (!out)
		return -1;
	for (i = 0; i < 2; i++) {
		char *line, *next;

		save[0] = (char *)tools[i];
		if (run_capture(save, out, outlen) != 0)
			continue;
		for (line = out; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			if (counted_line(line, first, last, &n)) {
				*pkts += n;
				found = true;
			}
		}
	}
	free(out);
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}
