/*
 * --conntrack (ctconf.c): the option's words and AWS's ranges, nitro-v6,
 * and the ConnectionTrackingConfiguration of describe-network-interfaces.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctconf.h"
#include "diag.h"
#include "testutil.h"

/* Parse arg over the defaults; the messages (or "") in *msg, malloc'd. */
static int parse(const char *arg, struct ctconf *c, char **msg)
{
	struct diag *d = diag_new();
	int r;

	ck_assert_ptr_nonnull(d);
	ctconf_default(c);
	r = ctconf_parse(c, arg, d);
	*msg = tu_diag_text(d);
	diag_free(d);
	return r;
}

static void ok(const char *arg, uint32_t est, uint32_t stream, uint32_t udp)
{
	struct ctconf c;
	char *msg;

	ck_assert_msg(parse(arg, &c, &msg) == 0, "%s: %s", arg, msg);
	ck_assert_str_eq(msg, "");
	ck_assert_uint_eq(c.tcp_established_s, est);
	ck_assert_uint_eq(c.udp_stream_s, stream);
	ck_assert_uint_eq(c.udp_s, udp);
	free(msg);
}

/* Refused, c untouched, and the message holds want. */
static void bad(const char *arg, const char *want)
{
	struct ctconf c;
	char *msg;

	errno = 0;
	ck_assert_int_eq(parse(arg, &c, &msg), -1);
	ck_assert_msg(strstr(msg, want), "%s: '%s' lacks '%s'", arg, msg, want);
	ck_assert_uint_eq(c.tcp_established_s, 432000);
	ck_assert_uint_eq(c.udp_stream_s, 180);
	ck_assert_uint_eq(c.udp_s, 30);
	free(msg);
}

START_TEST(test_defaults)
{
	struct ctconf c;
	struct flow_params p;

	ctconf_default(&c);
	ck_assert_uint_eq(c.tcp_established_s, 432000);
	ck_assert_uint_eq(c.udp_stream_s, 180);
	ck_assert_uint_eq(c.udp_s, 30);
	/* The flow table's defaults are AWS's too. */
	flow_params_default(&p);
	ck_assert_uint_eq(p.tcp_established_s, c.tcp_established_s);
	ck_assert_uint_eq(p.udp_stream_s, c.udp_stream_s);
	ck_assert_uint_eq(p.udp_s, c.udp_s);
	c.tcp_established_s = 60;
	c.udp_stream_s = 61;
	c.udp_s = 31;
	ctconf_to_flow_params(&c, &p);
	ck_assert_uint_eq(p.tcp_established_s, 60);
	ck_assert_uint_eq(p.udp_stream_s, 61);
	ck_assert_uint_eq(p.udp_s, 31);
}
END_TEST

START_TEST(test_words)
{
	ok("tcp-established=60", 60, 180, 30);
	ok("tcp-established=432000", 432000, 180, 30);
	ok("udp-stream=60,udp=60", 432000, 60, 60);
	ok("udp=30,udp-stream=180,tcp-established=3600", 3600, 180, 30);
	ok("nitro-v6", 350, 180, 30);
	/* In order: an explicit value after nitro-v6 wins, and before it loses. */
	ok("nitro-v6,tcp-established=7200", 7200, 180, 30);
	ok("tcp-established=7200,nitro-v6", 350, 180, 30);
	ok("nitro-v6,udp=45", 350, 180, 45);
}
END_TEST

START_TEST(test_ranges)
{
	bad("tcp-established=59", "tcp-established: 60 to 432000 seconds");
	bad("tcp-established=59", "out of range");
	bad("tcp-established=432001", "60 to 432000");
	bad("udp-stream=59", "udp-stream: 60 to 180 seconds");
	bad("udp-stream=181", "60 to 180");
	bad("udp=29", "udp: 30 to 60 seconds");
	bad("udp=61", "30 to 60");
	bad("udp=0", "30 to 60");
	bad("udp=", "not a number of seconds (udp: 30 to 60");
	bad("udp=-1", "not a number");
	bad("udp=3x", "not a number");
	bad("udp=99999999999999999999999", "out of range");
	/* One bad item refuses the whole list. */
	bad("udp=45,tcp-established=1", "60 to 432000");
}
END_TEST

START_TEST(test_bad_words)
{
	bad("udp=45,bogus=1", "'bogus=1': not tcp-established=S");
	bad("nitro-v6,nitro-v7", "'nitro-v7'");
	bad("udp=45,", "an empty item");
	bad("udp=45,,udp=50", "an empty item");
	/* Not one of our words: a file, which is not there. */
	bad("bogus=1", "bogus=1: error: cannot read it");
	bad("/nonexistent/ct.json", "/nonexistent/ct.json: error: cannot read it");
}
END_TEST

static int load(const char *json, struct ctconf *c, char **msg)
{
	struct diag *d = diag_new();
	int r;

	ck_assert_ptr_nonnull(d);
	ctconf_default(c);
	r = ctconf_load_buffer(c, "eni.json", json, strlen(json), d);
	*msg = tu_diag_text(d);
	diag_free(d);
	return r;
}

static void json_bad(const char *json, const char *want)
{
	struct ctconf c;
	char *msg;

	ck_assert_int_eq(load(json, &c, &msg), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(msg, want), "'%s' lacks '%s'", msg, want);
	ck_assert_uint_eq(c.tcp_established_s, 432000);
	free(msg);
}

START_TEST(test_json)
{
	static const char full[] =
		"{\n  \"NetworkInterfaces\": [\n    {\n"
		"      \"NetworkInterfaceId\": \"eni-0123\",\n"
		"      \"ConnectionTrackingConfiguration\": {\n"
		"        \"TcpEstablishedTimeout\": 3600,\n"
		"        \"UdpStreamTimeout\": 120,\n"
		"        \"UdpTimeout\": 45\n      }\n    }\n  ]\n}\n";
	struct ctconf c;
	char *msg;

	ck_assert_int_eq(load(full, &c, &msg), 0);
	ck_assert_str_eq(msg, "");
	free(msg);
	ck_assert_uint_eq(c.tcp_established_s, 3600);
	ck_assert_uint_eq(c.udp_stream_s, 120);
	ck_assert_uint_eq(c.udp_s, 45);
	/* Fields left out, and interfaces without one, keep the defaults. */
	ck_assert_int_eq(load("{\"NetworkInterfaces\": [{\"NetworkInterfaceId\": \"eni-1\"},"
			      " {\"ConnectionTrackingConfiguration\": {\"UdpTimeout\": 60}}]}",
			      &c, &msg), 0);
	free(msg);
	ck_assert_uint_eq(c.tcp_established_s, 432000);
	ck_assert_uint_eq(c.udp_stream_s, 180);
	ck_assert_uint_eq(c.udp_s, 60);
	ck_assert_int_eq(load("{\"NetworkInterfaces\": []}", &c, &msg), 0);
	free(msg);
	ck_assert_uint_eq(c.tcp_established_s, 432000);
	/* Two interfaces that agree. */
	ck_assert_int_eq(load("{\"NetworkInterfaces\": ["
			      "{\"ConnectionTrackingConfiguration\": {\"UdpTimeout\": 40}},"
			      "{\"ConnectionTrackingConfiguration\": {\"UdpTimeout\": 40}}]}",
			      &c, &msg), 0);
	free(msg);
	ck_assert_uint_eq(c.udp_s, 40);
}
END_TEST

START_TEST(test_json_errors)
{
	/* Syntax: file:line:col. */
	json_bad("{\n  \"NetworkInterfaces\": [\n    {,\n", "eni.json:3:");
	json_bad("{\"NetworkInterfaces\": [{\"ConnectionTrackingConfiguration\":"
		 " {\"TcpEstablishedTimeout\": 59}}]}",
		 "NetworkInterfaces[0].ConnectionTrackingConfiguration."
		 "TcpEstablishedTimeout: out of range (60 to 432000 seconds)");
	json_bad("{\"NetworkInterfaces\": [{}, {\"ConnectionTrackingConfiguration\":"
		 " {\"UdpTimeout\": 61}}]}",
		 "NetworkInterfaces[1].ConnectionTrackingConfiguration.UdpTimeout: "
		 "out of range (30 to 60 seconds)");
	json_bad("{\"NetworkInterfaces\": [{\"ConnectionTrackingConfiguration\":"
		 " {\"UdpStreamTimeout\": \"120\"}}]}", "not a whole number");
	json_bad("{\"NetworkInterfaces\": [{\"ConnectionTrackingConfiguration\": 5}]}",
		 "not an object");
	json_bad("{\"NetworkInterfaces\": ["
		 "{\"ConnectionTrackingConfiguration\": {\"UdpTimeout\": 40}},"
		 "{\"ConnectionTrackingConfiguration\": {\"UdpTimeout\": 50}}]}",
		 "NetworkInterfaces[0] and [1]: different");
	json_bad("{\"SecurityGroups\": []}", "no NetworkInterfaces array");
	json_bad("[]", "the top level is not an object");
	json_bad("{\"NetworkInterfaces\": [], \"NetworkInterfaces\": []}", "eni.json:1:");
}
END_TEST

/* A file given to --conntrack (ctconf_parse picks the loader). */
START_TEST(test_file)
{
	char path[] = "/tmp/check_ctconf.XXXXXX";
	static const char json[] = "{\"NetworkInterfaces\": [{\"ConnectionTrackingConfiguration\":"
				   " {\"TcpEstablishedTimeout\": 600}}]}";
	int fd = mkstemp(path);
	struct ctconf c;
	char *msg;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	ck_assert_int_eq(parse(path, &c, &msg), 0);
	free(msg);
	ck_assert_uint_eq(c.tcp_established_s, 600);
	unlink(path);
}
END_TEST

/* Write json to a temporary file named into path (a mkstemp template). */
static void write_tmp(char *path, const char *json)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
}

/*
 * describe-network-interfaces: an entry whose MacAddress (any case) is a
 * local interface's is that interface's (its id, its settings over the
 * host's), the others set the host's; a MAC named twice is an error.
 */
START_TEST(test_local_macs)
{
	static const char macs[2][CTCONF_MAC_LEN] = { "02:00:00:00:00:a0", "02:00:00:00:00:b1" };
	static const char json[] =
		"{\"NetworkInterfaces\": ["
		"{\"NetworkInterfaceId\": \"eni-0b1b1b1b1b1b1b1b1\", \"MacAddress\": \"02:00:00:00:00:B1\","
		" \"ConnectionTrackingConfiguration\": {\"TcpEstablishedTimeout\": 60}},"
		"{\"NetworkInterfaceId\": \"eni-2\", \"MacAddress\": \"0a:00:00:00:00:01\","
		" \"ConnectionTrackingConfiguration\": {\"TcpEstablishedTimeout\": 3600, \"UdpTimeout\": 40}}]}";
	char path[] = "/tmp/check_ctconf.XXXXXX", path2[] = "/tmp/check_ctconf.XXXXXX";
	struct ctconf_local l = { .macs = macs, .n_macs = 2 };
	struct diag *d = diag_new();
	struct ctconf c;
	char *msg;

	write_tmp(path, json);
	ctconf_default(&c);
	ck_assert_int_eq(ctconf_parse_local(&c, path, &l, d), 0);
	ck_assert_uint_eq(c.tcp_established_s, 3600);
	ck_assert_uint_eq(c.udp_s, 40);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.nic[0].mac, 1);
	ck_assert_str_eq(l.nic[0].id, "eni-0b1b1b1b1b1b1b1b1");
	ck_assert_uint_eq(l.nic[0].ct.tcp_established_s, 60);
	ck_assert_uint_eq(l.nic[0].ct.udp_s, 30);
	/* Without local interfaces, as before: the two entries disagree. */
	ck_assert_int_eq(parse(path, &c, &msg), -1);
	ck_assert_ptr_nonnull(strstr(msg, "different ConnectionTrackingConfiguration"));
	free(msg);
	write_tmp(path2, "{\"NetworkInterfaces\": [{\"MacAddress\": \"02:00:00:00:00:a0\"},"
		  " {\"MacAddress\": \"02:00:00:00:00:A0\"}]}");
	ck_assert_int_eq(ctconf_parse_local(&c, path2, &l, d), -1);
	msg = tu_diag_text(d);
	ck_assert_msg(strstr(msg, "NetworkInterfaces[1]: MacAddress 02:00:00:00:00:a0 is named twice"),
		      "%s", msg);
	free(msg);
	diag_free(d);
	unlink(path);
	unlink(path2);
}
END_TEST

/* --conntrack IFACE=...: an interface's own settings, told from the host's. */
START_TEST(test_iface_split)
{
	char name[CTCONF_IFNAME_MAX], err[128];
	const char *spec = NULL;

	ck_assert_int_eq(ctconf_iface_split("veth1=tcp-established=60", name, &spec, err, sizeof(err)), 1);
	ck_assert_str_eq(name, "veth1");
	ck_assert_str_eq(spec, "tcp-established=60");
	ck_assert_int_eq(ctconf_iface_split("eth0=eni.json", name, &spec, err, sizeof(err)), 1);
	ck_assert_str_eq(spec, "eni.json");
	/* The host's: settings, a file, a path holding '='. */
	ck_assert_int_eq(ctconf_iface_split("tcp-established=60,udp=30", name, &spec, err, sizeof(err)), 0);
	ck_assert_int_eq(ctconf_iface_split("udp=30", name, &spec, err, sizeof(err)), 0);
	ck_assert_int_eq(ctconf_iface_split("nitro-v6", name, &spec, err, sizeof(err)), 0);
	ck_assert_int_eq(ctconf_iface_split("eni.json", name, &spec, err, sizeof(err)), 0);
	ck_assert_int_eq(ctconf_iface_split("./a=b.json", name, &spec, err, sizeof(err)), 0);
	errno = 0;
	ck_assert_int_eq(ctconf_iface_split("=udp=30", name, &spec, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err, "no interface before '='");
	ck_assert_int_eq(ctconf_iface_split("abcdefghijklmnop=udp=30", name, &spec, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "interface name longer than 15 characters");
	ck_assert_int_eq(ctconf_iface_split("veth1=", name, &spec, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no settings after the interface's '='");
}
END_TEST

int main(void)
{
	const tu_test tests[] = {
		test_defaults, test_words, test_ranges, test_bad_words, test_json,
		test_json_errors, test_file, test_iface_split, test_local_macs,
	};

	return tu_run_tests("ctconf", tests, ARRAY_SIZE(tests));
}
