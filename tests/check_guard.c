/*
 * The lock-out guard: which policies cut an SSH session (security groups
 * with and without SSH from the client, a NACL without the ephemeral return
 * rule, a NACL deny at a lower number, IPv6), the one-line reason naming the
 * rule, $SSH_CONNECTION parsing, and /proc/net/tcp{,6} parsing on fake files
 * written as the kernel prints them and on the real kernel's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"
#include "policy.h"
#include "ruleset.h"
#include "testutil.h"

/* A session built by hand (not by the parser under test). */
static struct guard_session session(const char *client, uint16_t cport,
				    const char *server, uint16_t sport)
{
	struct guard_session s;
	int fam = strchr(client, ':') ? AF_INET6 : AF_INET;

	memset(&s, 0, sizeof(s));
	s.family = (uint8_t)fam;
	ck_assert_int_eq(inet_pton(fam, client, s.remote), 1);
	ck_assert_int_eq(inet_pton(fam, server, s.local), 1);
	s.remote_port = cport;
	s.local_port = sport;
	return s;
}

/* ---- guard_would_cut: a table of policies and sessions ------------------ */

#define V4C "203.0.113.5"
#define V4S "10.0.1.10"
#define V6C "2001:db8::5"
#define V6S "2001:db8:1::10"
#define CUT4 "would cut the SSH session 203.0.113.5:50514 -> 10.0.1.10:22: "
#define CUT6 "would cut the SSH session [2001:db8::5]:50514 -> [2001:db8:1::10]:22: "

static const struct nspec nacl_ssh_ephemeral[] = {
	NIN(100, 'a', 6, 22, 22, "0.0.0.0/0"),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0"),
	NEND,
};
static const struct nspec nacl_no_ephemeral[] = {
	NIN(100, 'a', 6, 22, 22, "0.0.0.0/0"),
	NOUT(100, 'a', 6, 80, 80, "0.0.0.0/0"),
	NOUT(110, 'a', 6, 443, 443, "0.0.0.0/0"),
	NEND,
};
static const struct nspec nacl_deny_client_first[] = {
	NIN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
	NIN(50, 'd', 6, 22, 22, "203.0.113.0/24"),
	NOUT(100, 'a', -1, 0, 0, "0.0.0.0/0"),
	NEND,
};
static const struct nspec nacl_deny_other_client[] = {
	NIN(50, 'd', 6, 22, 22, "198.51.100.0/24"),
	NIN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
	NOUT(100, 'a', -1, 0, 0, "0.0.0.0/0"),
	NEND,
};
static const struct nspec nacl_out_deny_first[] = {
	NIN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
	NOUT(90, 'd', 6, 50000, 51000, "0.0.0.0/0"),
	NOUT(100, 'a', -1, 0, 0, "0.0.0.0/0"),
	NEND,
};
static const struct nspec nacl_v6_ssh_ephemeral[] = {
	NIN(100, 'a', 6, 22, 22, "0.0.0.0/0"),
	NOUT(100, 'a', 6, 1024, 65535, "0.0.0.0/0"),
	NIN(101, 'a', 6, 22, 22, "::/0"),
	NOUT(101, 'a', 6, 1024, 65535, "::/0"),
	NEND,
};
static const struct nspec nacl_v6_no_ephemeral[] = {
	NIN(101, 'a', 6, 22, 22, "::/0"),
	NOUT(101, 'a', 6, 1024, 65535, "0.0.0.0/0"),
	NEND,
};
static const struct nspec nacl_deny_all[] = { NEND };

static const struct sspec sg_ssh_from_client[] = {
	SIN(6, 22, 22, "203.0.113.5/32"),
	SEND,
};
static const struct sspec sg_ssh_world_untracked[] = {
	SIN(6, 22, 22, "0.0.0.0/0"),
	SOUT(-1, -1, -1, "0.0.0.0/0"),
	SEND,
};
static const struct sspec sg_without_ssh[] = {
	SIN(6, 80, 80, "0.0.0.0/0"),
	SIN(6, 22, 22, "198.51.100.0/24"),
	SIN(6, 1, 21, "203.0.113.5/32"),
	SOUT(-1, -1, -1, "0.0.0.0/0"),
	SEND,
};
static const struct sspec sg_empty[] = { SEND };
static const struct sspec sg_ssh_v6[] = {
	SIN(6, 22, 22, "::/0"),
	SEND,
};
static const struct sspec sg_ssh_v4_only[] = {
	SIN(6, 22, 22, "0.0.0.0/0"),
	SOUT(-1, -1, -1, "::/0"),
	SEND,
};

struct jcase {
	const char *name;
	const struct nspec *nacl;	/* NULL: no NACL layer */
	const struct sspec *sg;		/* NULL: no SG layer */
	bool v6;
	bool cut;
	const char *why;		/* exact, when cut */
};

static const struct jcase jcases[] = {
	{ "sg allows ssh from the client", NULL, sg_ssh_from_client, false, false, NULL },
	{ "sg allows ssh from the world, untracked", NULL, sg_ssh_world_untracked, false, false, NULL },
	{ "sg without ssh from the client", NULL, sg_without_ssh, false, true,
	  CUT4 "its inbound packets are dropped by sg-in:none (no rule allows it)" },
	{ "sg with no rules", NULL, sg_empty, false, true,
	  CUT4 "its inbound packets are dropped by sg-in:none (no rule allows it)" },
	{ "nacl with the ephemeral return rule", nacl_ssh_ephemeral, NULL, false, false, NULL },
	{ "nacl without the ephemeral return rule", nacl_no_ephemeral, NULL, false, true,
	  CUT4 "its outbound packets are dropped by nacl-out:* deny" },
	{ "nacl deny at a lower number", nacl_deny_client_first, NULL, false, true,
	  CUT4 "its inbound packets are dropped by nacl-in:50 deny" },
	{ "nacl deny of another client", nacl_deny_other_client, NULL, false, false, NULL },
	{ "nacl outbound deny at a lower number", nacl_out_deny_first, NULL, false, true,
	  CUT4 "its outbound packets are dropped by nacl-out:90 deny" },
	{ "nacl with no rules", nacl_deny_all, NULL, false, true,
	  CUT4 "its inbound packets are dropped by nacl-in:* deny" },
	{ "both layers allow", nacl_ssh_ephemeral, sg_ssh_from_client, false, false, NULL },
	{ "nacl allows, sg does not", nacl_ssh_ephemeral, sg_without_ssh, false, true,
	  CUT4 "its inbound packets are dropped by sg-in:none (no rule allows it)" },
	{ "sg allows, nacl misses the return", nacl_no_ephemeral, sg_ssh_from_client, false, true,
	  CUT4 "its outbound packets are dropped by nacl-out:* deny" },
	{ "nacl judges inbound before sg", nacl_deny_client_first, sg_without_ssh, false, true,
	  CUT4 "its inbound packets are dropped by nacl-in:50 deny" },
	{ "ipv6: sg allows ssh from ::/0", NULL, sg_ssh_v6, true, false, NULL },
	{ "ipv6: sg allows ssh from 0.0.0.0/0 only", NULL, sg_ssh_v4_only, true, true,
	  CUT6 "its inbound packets are dropped by sg-in:none (no rule allows it)" },
	{ "ipv6: nacl with IPv4 rules only", nacl_ssh_ephemeral, NULL, true, true,
	  CUT6 "its inbound packets are dropped by nacl-in:* deny" },
	{ "ipv6: nacl with IPv6 rules", nacl_v6_ssh_ephemeral, sg_ssh_v6, true, false, NULL },
	{ "ipv6: nacl without the IPv6 return rule", nacl_v6_no_ephemeral, sg_ssh_v6, true, true,
	  CUT6 "its outbound packets are dropped by nacl-out:* deny" },
	{ "ipv4 session, IPv6-only rules", nacl_v6_no_ephemeral, NULL, false, true,
	  CUT4 "its inbound packets are dropped by nacl-in:* deny" },
};

#define UNTOUCHED "untouched"

START_TEST(test_would_cut)
{
	const struct jcase *c = &jcases[_i];
	struct policy *pol = tu_policy_of(c->nacl, c->sg);
	struct guard_session s = c->v6 ? session(V6C, 50514, V6S, 22)
				       : session(V4C, 50514, V4S, 22);
	char why[512] = UNTOUCHED;
	bool cut = guard_would_cut(pol, &s, why, sizeof(why));

	ck_assert_msg(cut == c->cut, "%s: cut %d, want %d (%s)", c->name, cut, c->cut, why);
	ck_assert_msg(!strcmp(why, c->cut ? c->why : UNTOUCHED),
		      "%s:\n got  \"%s\"\n want \"%s\"", c->name, why,
		      c->cut ? c->why : UNTOUCHED);
	policy_free(pol);
}
END_TEST

/* The same policy judged twice gives the same answer: nothing carries over. */
START_TEST(test_no_state_between_calls)
{
	struct policy *pol = tu_policy_of(NULL, sg_without_ssh);
	struct guard_session s = session(V4C, 50514, V4S, 22);
	struct guard_session ok = session("198.51.100.9", 40000, V4S, 22);
	char why[256];

	ck_assert(!guard_would_cut(pol, &ok, why, sizeof(why)));
	ck_assert(guard_would_cut(pol, &s, why, sizeof(why)));
	ck_assert(guard_would_cut(pol, &s, why, sizeof(why)));
	ck_assert(!guard_would_cut(pol, &ok, why, sizeof(why)));
	policy_free(pol);
}
END_TEST

/* The guard's packets never show in the rule counters. */
START_TEST(test_counters_untouched)
{
	struct policy *pol = tu_policy_of(nacl_ssh_ephemeral, sg_ssh_from_client);
	struct guard_session s = session(V4C, 50514, V4S, 22);
	const struct acl *a = policy_acl(pol);
	struct rule_hits h;
	size_t i;
	int d;

	ck_assert(!guard_would_cut(pol, &s, NULL, 0));
	for (d = 0; d < DIR_MAX; d++)
		for (i = 0; i < acl_count(a, (enum dir)d); i++) {
			policy_nacl_hits(pol, (enum dir)d, i, &h);
			ck_assert_uint_eq(h.packets, 0);
			ck_assert_uint_eq(h.bytes, 0);
		}
	for (i = 0; i < policy_ruleset(pol)->n_sg; i++) {
		policy_sg_hits(pol, i, &h);
		ck_assert_uint_eq(h.packets, 0);
	}
	policy_free(pol);
}
END_TEST

/* Loopback traffic is never queued (steering returns `lo`): never cut. */
START_TEST(test_loopback_not_judged)
{
	struct policy *pol = tu_policy_of(nacl_deny_all, sg_empty);
	struct guard_session lo4 = session("127.0.0.2", 50000, "127.0.0.1", 22);
	struct guard_session self = session(V4S, 50000, V4S, 22);
	struct guard_session lo6 = session("::1", 50000, "::1", 22);
	struct guard_session real = session(V4C, 50514, V4S, 22);
	char why[256] = UNTOUCHED;

	ck_assert(!guard_would_cut(pol, &lo4, why, sizeof(why)));
	ck_assert(!guard_would_cut(pol, &self, why, sizeof(why)));
	ck_assert(!guard_would_cut(pol, &lo6, why, sizeof(why)));
	ck_assert_str_eq(why, UNTOUCHED);
	ck_assert(guard_would_cut(pol, &real, why, sizeof(why)));
	policy_free(pol);
}
END_TEST

/* A short buffer gets a truncated, terminated reason; none at all is fine. */
START_TEST(test_why_truncated)
{
	struct policy *pol = tu_policy_of(nacl_no_ephemeral, NULL);
	struct guard_session s = session(V4C, 50514, V4S, 22);
	char why[24];

	memset(why, 'x', sizeof(why));
	ck_assert(guard_would_cut(pol, &s, why, 20));
	ck_assert_uint_eq(strlen(why), 19);
	ck_assert(!strncmp(why, CUT4, 19));
	ck_assert_int_eq(why[20], 'x');
	ck_assert(guard_would_cut(pol, &s, NULL, 0));
	policy_free(pol);
}
END_TEST

/* $SSH_CONNECTION as sshd sets it, judged end to end. */
START_TEST(test_env_session_judged)
{
	struct policy *pol = tu_policy_of(nacl_out_deny_first, NULL);
	struct guard_session s;
	char why[256];

	ck_assert_int_eq(guard_session_from_env("203.0.113.5 50514 10.0.1.10 22", &s), 0);
	ck_assert(guard_would_cut(pol, &s, why, sizeof(why)));
	ck_assert_str_eq(why, CUT4 "its outbound packets are dropped by nacl-out:90 deny");
	ck_assert_int_eq(guard_session_from_env("203.0.113.5 49999 10.0.1.10 22", &s), 0);
	ck_assert(!guard_would_cut(pol, &s, why, sizeof(why)));
	policy_free(pol);
}
END_TEST

/* ---- guard_session_from_env ------------------------------------------- */

struct ecase {
	const char *env;
	int ret;
	int family;
	const char *client, *server;	/* as inet_pton of family reads them */
	uint16_t cport, sport;
};

static const struct ecase ecases[] = {
	{ "203.0.113.5 50514 10.0.1.10 22", 0, AF_INET, "203.0.113.5", "10.0.1.10", 50514, 22 },
	{ "2001:db8::5 50514 2001:db8:1::10 2222", 0, AF_INET6, "2001:db8::5", "2001:db8:1::10", 50514, 2222 },
	{ "fe80::5%eth0 40000 fe80::1%eth0 22", 0, AF_INET6, "fe80::5", "fe80::1", 40000, 22 },
	{ "::ffff:203.0.113.5 1 ::ffff:10.0.1.10 65535", 0, AF_INET, "203.0.113.5", "10.0.1.10", 1, 65535 },
	{ "  203.0.113.5\t50514  10.0.1.10 22\n", 0, AF_INET, "203.0.113.5", "10.0.1.10", 50514, 22 },
	{ "", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 50514 10.0.1.10", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 50514 10.0.1.10 22 x", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 0 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 50514 10.0.1.10 65536", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 50514 10.0.1.10 22x", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 +22 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 -1 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 0000022 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "300.0.113.5 50514 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113 50514 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "host.example 50514 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5 50514 2001:db8::1 22", -1, 0, NULL, NULL, 0, 0 },
	{ "2001:db8::5 50514 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "2001:db8:::5 50514 2001:db8::1 22", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5%eth0 50514 10.0.1.10 22", -1, 0, NULL, NULL, 0, 0 },
	{ "203.0.113.5:50514 10.0.1.10:22", -1, 0, NULL, NULL, 0, 0 },
};

START_TEST(test_from_env)
{
	const struct ecase *c = &ecases[_i];
	struct guard_session s, want;
	int ret;

	memset(&s, 0xa5, sizeof(s));
	errno = 0;
	ret = guard_session_from_env(c->env, &s);
	ck_assert_msg(ret == c->ret, "\"%s\": %d, want %d", c->env, ret, c->ret);
	if (ret < 0) {
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_uint_eq(s.family, 0xa5);	/* *s untouched on error */
		return;
	}
	memset(&want, 0, sizeof(want));
	want.family = (uint8_t)c->family;
	ck_assert_int_eq(inet_pton(c->family, c->client, want.remote), 1);
	ck_assert_int_eq(inet_pton(c->family, c->server, want.local), 1);
	want.remote_port = c->cport;
	want.local_port = c->sport;
	ck_assert_uint_eq(s.family, want.family);
	ck_assert_mem_eq(s.remote, want.remote, 16);
	ck_assert_mem_eq(s.local, want.local, 16);
	ck_assert_uint_eq(s.remote_port, want.remote_port);
	ck_assert_uint_eq(s.local_port, want.local_port);
}
END_TEST

START_TEST(test_from_env_null)
{
	struct guard_session s;

	errno = 0;
	ck_assert_int_eq(guard_session_from_env(NULL, &s), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- /proc/net/tcp{,6} ------------------------------------------------- */

/*
 * Lines as a little-endian kernel prints them (each address word is a
 * __be32 printed with %08X): 10.0.1.10 is 0A01000A, 203.0.113.5 057100CB.
 */
static const char fake_tcp[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
	/* sshd listening on 0.0.0.0:22 */
	"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18774 1 0000000000000000 100 0 0 10 0                     \n"
	/* 203.0.113.5:50514 -> 10.0.1.10:22 established */
	"   1: 0A01000A:0016 057100CB:C552 01 00000000:00000000 02:000A7B4E 00000000     0        0 22413 2 0000000000000000 20 4 31 10 -1                    \n"
	/* 198.51.100.7:40022 -> 10.0.1.10:443: another port */
	"   2: 0A01000A:01BB 076433C6:9C56 01 00000000:00000000 00:00000000 00000000    33        0 22500 1 0000000000000000 20 4 30 10 -1                    \n"
	/* this host's own ssh out to 198.51.100.7:22: remote port 22, not local */
	"   3: 0A01000A:C738 076433C6:0016 01 00000000:00000000 02:00000C4D 00000000  1000        0 22611 2 0000000000000000 21 4 30 10 -1                    \n"
	/* a closed session on 22 in TIME_WAIT */
	"   4: 0A01000A:0016 076433C6:EA5F 06 00000000:00000000 03:00000F9A 00000000     0        0 0 3 0000000000000000                                      \n"
	/* 198.51.100.7:60000 -> 10.0.1.10:22 established */
	"   5: 0A01000A:0016 076433C6:EA60 01 00000030:00000000 01:00000014 00000000     0        0 22700 4 0000000000000000 20 4 30 10 -1                    \n"
	/* not lines of the table */
	"   6: ZZZZZZZZ:0016 076433C6:EA60 01\n"
	"   7: 0A01000A:0016 076433C6:EA60\n"
	"garbage\n";

static const char fake_tcp6[] =
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18776 1 0000000000000000 100 0 0 10 0\n"
	/* [2001:db8::5]:50514 -> [2001:db8:1::10]:22 established */
	"   1: B80D0120000001000000000010000000:0016 B80D0120000000000000000005000000:C552 01 00000000:00000000 02:0009F6A5 00000000     0        0 23001 2 0000000000000000 20 4 29 10 -1\n"
	/* a dual-stack sshd serving 203.0.113.9:40022 -> 10.0.1.10:22 */
	"   2: 0000000000000000FFFF00000A01000A:0016 0000000000000000FFFF0000097100CB:9C56 01 00000000:00000000 02:0009F6A5 00000000     0        0 23002 2 0000000000000000 20 4 29 10 -1\n"
	/* [2001:db8::77]:51000 -> [2001:db8:1::10]:443: another port */
	"   3: B80D0120000001000000000010000000:01BB B80D0120000000000000000077000000:C738 01 00000000:00000000 00:00000000 00000000    33        0 23003 1 0000000000000000 20 4 30 10 -1\n";

static char proc_dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/net/%s", proc_dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void remove_file(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/net/%s", proc_dir, name);
	unlink(path);
}

static void proc_setup(void)
{
	char path[128];

	snprintf(proc_dir, sizeof(proc_dir), "/tmp/check_guard.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(proc_dir));
	snprintf(path, sizeof(path), "%s/net", proc_dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file("tcp", fake_tcp);
	write_file("tcp6", fake_tcp6);
}

static void proc_teardown(void)
{
	char path[128];

	remove_file("tcp");
	remove_file("tcp6");
	snprintf(path, sizeof(path), "%s/net", proc_dir);
	rmdir(path);
	rmdir(proc_dir);
}

struct want_session {
	const char *client;
	uint16_t cport;
	const char *server;
	uint16_t sport;
};

static void assert_sessions(const struct guard_session *got, int n,
			    const struct want_session *want, int nwant)
{
	int i;

	ck_assert_int_eq(n, nwant);
	for (i = 0; i < n; i++) {
		struct guard_session w = session(want[i].client, want[i].cport,
						 want[i].server, want[i].sport);

		ck_assert_msg(got[i].family == w.family, "session %d: family %u", i, got[i].family);
		ck_assert_msg(!memcmp(got[i].remote, w.remote, 16), "session %d: remote", i);
		ck_assert_msg(!memcmp(got[i].local, w.local, 16), "session %d: local", i);
		ck_assert_uint_eq(got[i].remote_port, w.remote_port);
		ck_assert_uint_eq(got[i].local_port, w.local_port);
	}
}

static const struct want_session ssh_sessions[] = {
	{ "203.0.113.5", 50514, "10.0.1.10", 22 },
	{ "198.51.100.7", 60000, "10.0.1.10", 22 },
	{ "2001:db8::5", 50514, "2001:db8:1::10", 22 },
	{ "203.0.113.9", 40022, "10.0.1.10", 22 },
};

START_TEST(test_proc_ssh)
{
	struct guard_session out[16];
	int n = guard_sessions_listening(proc_dir, 22, out, ARRAY_SIZE(out));

	assert_sessions(out, n, ssh_sessions, ARRAY_SIZE(ssh_sessions));
}
END_TEST

START_TEST(test_proc_other_port)
{
	static const struct want_session https[] = {
		{ "198.51.100.7", 40022, "10.0.1.10", 443 },
		{ "2001:db8::77", 51000, "2001:db8:1::10", 443 },
	};
	struct guard_session out[16];
	int n = guard_sessions_listening(proc_dir, 443, out, ARRAY_SIZE(out));

	assert_sessions(out, n, https, ARRAY_SIZE(https));
	ck_assert_int_eq(guard_sessions_listening(proc_dir, 2222, out, ARRAY_SIZE(out)), 0);
}
END_TEST

START_TEST(test_proc_max)
{
	struct guard_session out[4];

	memset(out, 0xa5, sizeof(out));
	assert_sessions(out, guard_sessions_listening(proc_dir, 22, out, 3), ssh_sessions, 3);
	ck_assert_uint_eq(out[3].family, 0xa5);		/* nothing past max */
	ck_assert_int_eq(guard_sessions_listening(proc_dir, 22, out, 1), 1);
	ck_assert_int_eq(guard_sessions_listening(proc_dir, 22, NULL, 0), 0);
}
END_TEST

START_TEST(test_proc_no_tcp6)
{
	struct guard_session out[16];

	remove_file("tcp6");
	assert_sessions(out, guard_sessions_listening(proc_dir, 22, out, ARRAY_SIZE(out)),
			ssh_sessions, 2);
}
END_TEST

START_TEST(test_proc_no_tcp)
{
	struct guard_session out[16];

	remove_file("tcp");
	errno = 0;
	ck_assert_int_eq(guard_sessions_listening(proc_dir, 22, out, ARRAY_SIZE(out)), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* The sessions found feed the judge: only the one the NACL denies is cut. */
START_TEST(test_proc_sessions_judged)
{
	static const struct nspec nacl[] = {
		NIN(50, 'd', 6, 22, 22, "198.51.100.0/24"),
		NIN(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		NOUT(100, 'a', -1, 0, 0, "0.0.0.0/0"),
		NIN(101, 'a', -1, 0, 0, "::/0"),
		NOUT(101, 'a', -1, 0, 0, "::/0"),
		NEND,
	};
	struct policy *pol = tu_policy_of(nacl, NULL);
	struct guard_session out[16];
	char why[256];
	int i, n, cut = 0;

	n = guard_sessions_listening(proc_dir, 22, out, ARRAY_SIZE(out));
	ck_assert_int_eq(n, 4);
	for (i = 0; i < n; i++)
		if (guard_would_cut(pol, &out[i], why, sizeof(why))) {
			cut++;
			ck_assert_str_eq(why, "would cut the SSH session 198.51.100.7:60000 -> 10.0.1.10:22: "
				"its inbound packets are dropped by nacl-in:50 deny");
		}
	ck_assert_int_eq(cut, 1);
	policy_free(pol);
}
END_TEST

/* The real kernel's table: a loopback connection to a listener of our own. */
static void real_session(int family)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = sizeof(ss);
	struct guard_session out[64];
	uint16_t lport, cport;
	int lfd, cfd, afd, n, i, found = 0;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		sin6->sin6_addr = in6addr_loopback;
	lfd = socket(family, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	if (bind(lfd, (struct sockaddr *)&ss, family == AF_INET ? sizeof(*sin) : sizeof(*sin6)) < 0) {
		close(lfd);	/* no IPv6 loopback here: nothing to read */
		ck_assert_int_eq(family, AF_INET6);
		return;
	}
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ss, &sl), 0);
	lport = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	cfd = socket(family, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&ss, sl), 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	sl = sizeof(ss);
	ck_assert_int_eq(getsockname(cfd, (struct sockaddr *)&ss, &sl), 0);
	cport = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);

	n = guard_sessions_listening("/proc", lport, out, ARRAY_SIZE(out));
	ck_assert_int_ge(n, 1);
	for (i = 0; i < n; i++) {
		if (out[i].remote_port != cport)
			continue;
		found++;
		ck_assert_uint_eq(out[i].family, family);
		ck_assert_uint_eq(out[i].local_port, lport);
		if (family == AF_INET)
			ck_assert_uint_eq(out[i].local[0], 127);
		else
			ck_assert_uint_eq(out[i].local[15], 1);
		ck_assert_mem_eq(out[i].local, out[i].remote, 16);
	}
	ck_assert_int_eq(found, 1);
	close(afd);
	close(cfd);
	close(lfd);
}

START_TEST(test_proc_real_v4)
{
	real_session(AF_INET);
}
END_TEST

START_TEST(test_proc_real_v6)
{
	real_session(AF_INET6);
}
END_TEST

/* ---- the runner --------------------------------------------------------- */

static Suite *guard_suite(void)
{
	Suite *s = suite_create("guard");
	TCase *tc;
	int le = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

	tc = tcase_create("would_cut");
	tcase_add_loop_test(tc, test_would_cut, 0, (int)ARRAY_SIZE(jcases));
	tcase_add_test(tc, test_no_state_between_calls);
	tcase_add_test(tc, test_counters_untouched);
	tcase_add_test(tc, test_loopback_not_judged);
	tcase_add_test(tc, test_why_truncated);
	tcase_add_test(tc, test_env_session_judged);
	suite_add_tcase(s, tc);

	tc = tcase_create("ssh_connection");
	tcase_add_loop_test(tc, test_from_env, 0, (int)ARRAY_SIZE(ecases));
	tcase_add_test(tc, test_from_env_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("proc_net_tcp");
	tcase_add_checked_fixture(tc, proc_setup, proc_teardown);
	/* The fake lines are a little-endian kernel's. */
	if (le) {
		tcase_add_test(tc, test_proc_ssh);
		tcase_add_test(tc, test_proc_other_port);
		tcase_add_test(tc, test_proc_max);
		tcase_add_test(tc, test_proc_no_tcp6);
		tcase_add_test(tc, test_proc_sessions_judged);
	}
	tcase_add_test(tc, test_proc_no_tcp);
	tcase_add_test(tc, test_proc_real_v4);
	tcase_add_test(tc, test_proc_real_v6);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(guard_suite());
}
