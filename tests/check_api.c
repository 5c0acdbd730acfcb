/*
 * Black-box tests of the public face: only <vpcfw/vpcfw.h> (and the raw
 * packet builders, which know no internals). Load the lab's rule files in
 * every format, lint, write and reload, compile, and judge real packet
 * bytes against a NACL and a security group, naming what decided.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpcfw/vpcfw.h>

#include "pktbuild.h"

#ifndef TEST_SRCDIR
#error "TEST_SRCDIR: the tests directory of the source tree"
#endif
#define RULES_DIR TEST_SRCDIR "/../rules"

#define HOST	"10.0.1.10"
#define CLIENT	"198.51.100.7"	/* on the internet; blocked by web-nacl-blocklist.json */
#define PEER	"192.0.2.50"	/* on the internet, never blocked */
#define OFFICE	"203.0.113.9"

static struct vpcfw_diag *d;
static uint8_t pkt[PB_MAX];

static void setup(void)
{
	d = vpcfw_diag_new();
	ck_assert_ptr_nonnull(d);
}

static void teardown(void)
{
	vpcfw_diag_free(d);
}

/* What d holds, for failure messages. */
static const char *diag_text(void)
{
	static char text[8192];
	FILE *f = fmemopen(text, sizeof(text), "w");

	ck_assert_ptr_nonnull(f);
	vpcfw_diag_print(d, f);
	fclose(f);
	return text;
}

static struct vpcfw_rules *load(const char *const *files, size_t n,
				const struct vpcfw_load *how)
{
	struct vpcfw_rules *r = vpcfw_rules_new();
	char path[512];
	size_t i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", RULES_DIR, files[i]);
		ck_assert_msg(vpcfw_rules_load_file(r, path, how, d) == 0, "%s: %s",
			      files[i], diag_text());
	}
	return r;
}

static struct vpcfw_policy *compile(const char *const *files, size_t n, unsigned layers)
{
	struct vpcfw_policy *p = vpcfw_policy_compile(load(files, n, NULL), layers, d);

	ck_assert_msg(p != NULL, "%s", diag_text());
	return p;
}

static const char *rule_name(const struct vpcfw_policy *p, const struct vpcfw_verdict *v)
{
	static char name[256];

	ck_assert_int_lt(vpcfw_verdict_rule(p, v, name, sizeof(name)), (int)sizeof(name));
	return name;
}

static void judge(const struct vpcfw_policy *p, struct vpcfw_flows *f, size_t len,
		  enum vpcfw_dir dir, uint64_t now, struct vpcfw_verdict *v)
{
	ck_assert_int_eq(vpcfw_judge(p, f, pkt, len, 0, dir, now, v), 0);
}

/* ---- loading ---------------------------------------------------------------- */

/* Every example of the lab loads clean in its own format, detected. */
START_TEST(test_examples_load)
{
	struct vpcfw_maps *m = vpcfw_maps_new();
	struct vpcfw_load how = { .maps = m };
	struct dirent *de;
	DIR *dir = opendir(RULES_DIR);
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(vpcfw_maps_add(m, "sg-0e5f6a7b8c9d0e1f2=10.0.1.0/24"), 0);
	ck_assert_int_eq(vpcfw_maps_add(m, "sg-0f6a7b8c9d0e1f2a3=10.0.0.10/32"), 0);
	ck_assert_int_eq(vpcfw_maps_add(m, "sg-02b3c4d5e6f7a8b9c=10.0.0.0/16,2001:db8::/56"), 0);
	while ((de = readdir(dir))) {
		const char *name = de->d_name, *dot = strrchr(name, '.');
		const char *one[] = { name };
		struct vpcfw_rules *r;

		if (!dot || (strcmp(dot, ".json") && strcmp(dot, ".rules")))
			continue;
		/* The JSON references need --map; native files name their own lists. */
		r = load(one, 1, strcmp(dot, ".json") ? NULL : &how);
		ck_assert_msg(vpcfw_rules_layers(r) != 0, "%s: no layer", name);
		ck_assert_int_ge(vpcfw_rules_lint(r, d), 0);
		vpcfw_policy_free(vpcfw_policy_compile(r, 0, d));
		ck_assert_msg(vpcfw_diag_count(d, VPCFW_DIAG_ERROR) == 0, "%s: %s", name,
			      diag_text());
		n++;
	}
	closedir(dir);
	ck_assert_int_ge(n, 17);
	vpcfw_maps_free(m);
}
END_TEST

/* A group reference without --map is an error in the diag, with --map it loads. */
START_TEST(test_maps)
{
	const char *db[] = { "db-private-sg.json" };
	struct vpcfw_maps *m = vpcfw_maps_new();
	struct vpcfw_load how = { .maps = m };
	struct vpcfw_rules *r = vpcfw_rules_new();

	ck_assert_int_eq(vpcfw_rules_load_file(r, RULES_DIR "/db-private-sg.json", NULL, d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_gt(vpcfw_diag_count(d, VPCFW_DIAG_ERROR), 0);
	ck_assert_ptr_nonnull(strstr(diag_text(), "sg-0e5f6a7b8c9d0e1f2"));
	vpcfw_rules_free(r);

	ck_assert_int_eq(vpcfw_maps_add(m, "not a map"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vpcfw_maps_add(m, "sg-0e5f6a7b8c9d0e1f2=10.0.1.0/24"), 0);
	ck_assert_int_eq(vpcfw_maps_add(m, "sg-0f6a7b8c9d0e1f2a3=10.0.0.10/32"), 0);
	vpcfw_diag_free(d);
	d = vpcfw_diag_new();
	r = load(db, 1, &how);
	ck_assert_uint_eq(vpcfw_rules_layers(r), VPCFW_LAYER_SG);
	vpcfw_rules_free(r);
	vpcfw_maps_free(m);
}
END_TEST

/* --param through the public face: a CloudFormation template's parameter. */
START_TEST(test_params)
{
	struct vpcfw_maps *m = vpcfw_maps_new();
	struct vpcfw_load how = { .maps = m };
	struct vpcfw_rules *r = vpcfw_rules_new(), *native = vpcfw_rules_new();

	ck_assert_int_eq(vpcfw_maps_add_param(NULL, "A=1"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vpcfw_maps_add_param(m, "not a param"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vpcfw_rules_load_file(r, TEST_SRCDIR "/data/cfn/web.yaml", &how, d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(diag_text(), "give --param AdminCidr=VALUE"));
	vpcfw_rules_free(r);
	ck_assert_int_eq(vpcfw_maps_add_param(m, "AdminCidr=198.51.100.0/24"), 0);
	vpcfw_diag_free(d);
	d = vpcfw_diag_new();
	r = vpcfw_rules_new();
	ck_assert_int_eq(vpcfw_rules_load_file(r, TEST_SRCDIR "/data/cfn/web.yaml", &how, d), 0);
	ck_assert_int_eq(vpcfw_rules_load_file(native, TEST_SRCDIR "/data/cfn/web.rules", NULL, d), 0);
	ck_assert(vpcfw_rules_equal(r, native));
	ck_assert_uint_eq(vpcfw_rules_layers(r), VPCFW_LAYER_BOTH);
	vpcfw_rules_free(r);
	vpcfw_rules_free(native);
	vpcfw_maps_free(m);
}
END_TEST

/* Bad text: every error in the diag, -1/EINVAL; an unreadable file says so. */
START_TEST(test_load_errors)
{
	static const char bad[] = "nacl inbound 100 allow tcp 22 from 0.0.0.0/0\n";
	struct vpcfw_rules *r = vpcfw_rules_new();

	ck_assert_int_eq(vpcfw_rules_load_buffer(r, "bad.rules", bad, strlen(bad), NULL, d), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(diag_text(), "bad.rules:1:"));
	ck_assert_ptr_nonnull(strstr(diag_text(), "error:"));
	ck_assert_int_eq(vpcfw_rules_load_file(r, RULES_DIR "/no-such-file", NULL, d), -1);
	ck_assert_ptr_nonnull(strstr(diag_text(), "no-such-file: error: cannot read"));
	ck_assert_int_eq(vpcfw_rules_load_buffer(NULL, "x", bad, 1, NULL, d), -1);
	ck_assert_int_eq(errno, EINVAL);
	vpcfw_rules_free(r);
}
END_TEST

/* A native file loaded for one layer only: its other section is an error. */
START_TEST(test_load_layers)
{
	struct vpcfw_load nacl_only = { .layers = VPCFW_LAYER_NACL };
	struct vpcfw_load sg_json_as_nacl = { .format = VPCFW_FORMAT_AWS_NACL };
	struct vpcfw_rules *r = vpcfw_rules_new();

	ck_assert_int_eq(vpcfw_rules_load_file(r, RULES_DIR "/web.rules", &nacl_only, d), -1);
	ck_assert_ptr_nonnull(strstr(diag_text(), "--sg"));
	vpcfw_rules_free(r);
	r = vpcfw_rules_new();
	ck_assert_int_eq(vpcfw_rules_load_file(r, RULES_DIR "/web-sg.json", &sg_json_as_nacl, d), -1);
	vpcfw_rules_free(r);
}
END_TEST

/* The same lab in both formats holds the same rules. */
START_TEST(test_formats_agree)
{
	const char *native[] = { "web.rules" };
	const char *json[] = { "web-nacl-fixed.json", "web-sg.json" };
	struct vpcfw_rules *a = load(native, 1, NULL), *b = load(json, 2, NULL);

	ck_assert_uint_eq(vpcfw_rules_layers(a), VPCFW_LAYER_BOTH);
	ck_assert_uint_eq(vpcfw_rules_layers(b), VPCFW_LAYER_BOTH);
	ck_assert(vpcfw_rules_equal(a, a));
	ck_assert(vpcfw_rules_equal(a, b));
	vpcfw_rules_free(a);
	vpcfw_rules_free(b);
}
END_TEST

/* ---- lint and write ----------------------------------------------------------- */

START_TEST(test_lint)
{
	const char *mistake[] = { "ephemeral-mistake.rules" };
	const char *fixed[] = { "web.rules" };
	struct vpcfw_rules *r = load(mistake, 1, NULL);

	ck_assert_int_gt(vpcfw_rules_lint(r, d), 0);
	ck_assert_uint_gt(vpcfw_diag_count(d, VPCFW_DIAG_WARNING), 0);
	ck_assert_ptr_nonnull(strstr(diag_text(), "ephemeral-mistake.rules:"));
	ck_assert_ptr_nonnull(strstr(diag_text(), "warning:"));
	vpcfw_rules_free(r);
	vpcfw_diag_free(d);
	d = vpcfw_diag_new();
	r = load(fixed, 1, NULL);
	ck_assert_int_eq(vpcfw_rules_lint(r, d), 0);
	vpcfw_rules_free(r);
}
END_TEST

/* Write r in format f and load the text back for layers. */
static struct vpcfw_rules *write_and_load(const struct vpcfw_rules *r, enum vpcfw_format f,
					  unsigned layers)
{
	struct vpcfw_load how = { .layers = layers };
	struct vpcfw_rules *back = vpcfw_rules_new();
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(vpcfw_rules_write(r, f, out), 0);
	fclose(out);
	ck_assert_msg(vpcfw_rules_load_buffer(back, "written", text, len, &how, d) == 0,
		      "%s\n%s", diag_text(), text);
	free(text);
	return back;
}

START_TEST(test_write_round_trip)
{
	const char *json[] = { "web-nacl-fixed.json", "web-sg.json" };
	const char *native[] = { "web.rules" };
	struct vpcfw_rules *r = load(json, 2, NULL), *back, *part;

	back = write_and_load(r, VPCFW_FORMAT_NATIVE, 0);
	ck_assert(vpcfw_rules_equal(r, back));
	vpcfw_rules_free(back);
	vpcfw_rules_free(r);

	/* Each AWS format holds one layer: compare with the lab's file of it. */
	r = load(native, 1, NULL);
	back = write_and_load(r, VPCFW_FORMAT_AWS_NACL, 0);
	part = load(json, 1, NULL);
	ck_assert(vpcfw_rules_equal(part, back));
	vpcfw_rules_free(back);
	vpcfw_rules_free(part);
	back = write_and_load(r, VPCFW_FORMAT_AWS_SG, 0);
	part = load(json + 1, 1, NULL);
	ck_assert(vpcfw_rules_equal(part, back));
	vpcfw_rules_free(back);
	vpcfw_rules_free(part);

	ck_assert_int_eq(vpcfw_rules_write(r, VPCFW_FORMAT_AUTO, stdout), -1);
	ck_assert_int_eq(errno, EINVAL);
	vpcfw_rules_free(r);
	/* No network ACL to write. */
	r = vpcfw_rules_new();
	ck_assert_int_eq(vpcfw_rules_write(r, VPCFW_FORMAT_AWS_NACL, stdout), -1);
	ck_assert_int_eq(errno, EINVAL);
	vpcfw_rules_free(r);
}
END_TEST

/* ---- compile ------------------------------------------------------------------ */

START_TEST(test_compile_layers)
{
	const char *sg_only[] = { "web-sg.json" };
	const char *native[] = { "web.rules" };
	struct vpcfw_policy *p;

	p = compile(native, 1, 0);
	ck_assert_uint_eq(vpcfw_policy_layers(p), VPCFW_LAYER_BOTH);
	ck_assert_ptr_nonnull(vpcfw_policy_rules(p));
	vpcfw_policy_free(p);
	p = compile(native, 1, VPCFW_LAYER_NACL);
	ck_assert_uint_eq(vpcfw_policy_layers(p), VPCFW_LAYER_NACL);
	vpcfw_policy_free(p);

	/* The NACL layer of rules that hold none: refused, said in d, rules freed. */
	ck_assert_ptr_null(vpcfw_policy_compile(load(sg_only, 1, NULL), VPCFW_LAYER_BOTH, d));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(diag_text(), "no network ACL"));
	/* Nothing loaded: nothing to compile. */
	ck_assert_ptr_null(vpcfw_policy_compile(vpcfw_rules_new(), 0, d));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- judge -------------------------------------------------------------------- */

/* web.rules: HTTP in through both layers, its reply out through the flow table. */
START_TEST(test_judge_http_and_reply)
{
	const char *native[] = { "web.rules" };
	struct vpcfw_policy *p = compile(native, 1, 0);
	struct vpcfw_flows *f = vpcfw_flows_new(NULL);
	struct vpcfw_verdict v;
	size_t len;

	ck_assert_ptr_nonnull(f);
	len = pb_tcp(pkt, PEER, 40000, HOST, 80, 0x02);
	judge(p, f, len, VPCFW_IN, 1000, &v);
	ck_assert(v.accept);
	ck_assert_uint_eq(v.layer, VPCFW_LAYER_SG);
	ck_assert_uint_eq(v.nacl_rule, 100);
	ck_assert_int_eq(v.sg, VPCFW_SG_NEW_TRACKED);
	ck_assert_str_eq(rule_name(p, &v), "nacl-in:100 allow, then "
			 "sg-in:sg-0e5f6a7b8c9d0e1f2#1 (new tracked flow)");
	ck_assert_uint_eq(vpcfw_flows_count(f, 1000), 1);

	/* No outbound SG rule: the SYN-ACK passes as the tracked flow's reply. */
	len = pb_tcp(pkt, HOST, 80, PEER, 40000, 0x12);
	judge(p, f, len, VPCFW_OUT, 1001, &v);
	ck_assert(v.accept);
	ck_assert_int_eq(v.sg, VPCFW_SG_FLOW_REPLY);
	ck_assert_uint_eq(v.layer, VPCFW_LAYER_NACL);
	ck_assert_uint_eq(v.nacl_rule, 140);
	ck_assert_str_eq(rule_name(p, &v), "sg:flow (tracked reply), then nacl-out:140 allow");

	/* The host opening a connection of its own: no SG rule allows it. */
	len = pb_tcp(pkt, HOST, 50000, PEER, 80, 0x02);
	judge(p, f, len, VPCFW_OUT, 1002, &v);
	ck_assert(!v.accept);
	ck_assert_int_eq(v.sg, VPCFW_SG_NO_RULE);
	ck_assert_str_eq(rule_name(p, &v), "sg-out:none (no rule allows it)");
	vpcfw_flows_free(f);
	vpcfw_policy_free(p);
}
END_TEST

/* What an explanation writes, in a buffer. */
static const char *explain_text(const struct vpcfw_explain *x, bool json)
{
	static char text[16384];
	FILE *f = fmemopen(text, sizeof(text), "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(vpcfw_explain_write(x, json, f), 0);
	fclose(f);
	return text;
}

/*
 * The ephemeral-port mistake explained: the request passes, its reply is
 * passed by the SG as a tracked reply and dropped by the NACL's '*', with
 * the port that no rule allows, the flow state and the code; the verdict
 * is vpcfw_judge()'s.
 */
START_TEST(test_explain)
{
	const char *json[] = { "web-nacl-ephemeral-mistake.json", "web-sg.json" };
	struct vpcfw_policy *p = compile(json, 2, 0);
	struct vpcfw_flows *f = vpcfw_flows_new(NULL), *f2 = vpcfw_flows_new(NULL);
	struct vpcfw_verdict v, ev;
	struct vpcfw_explain *x;
	const char *t;
	size_t len;

	ck_assert_ptr_nonnull(f);
	len = pb_tcp(pkt, PEER, 40000, HOST, 80, 0x02);
	x = vpcfw_explain_judge(p, f, pkt, len, 0, VPCFW_IN, 1000);
	ck_assert_ptr_nonnull(x);
	judge(p, f2, len, VPCFW_IN, 1000, &v);
	ck_assert_int_eq(vpcfw_explain_verdict(x, &ev), 0);
	ck_assert(ev.accept && v.accept);
	ck_assert_uint_eq(ev.nacl_rule, v.nacl_rule);
	ck_assert_int_eq(ev.sg_rule, v.sg_rule);
	ck_assert_str_eq(vpcfw_explain_code(x), "");
	vpcfw_explain_free(x);

	len = pb_tcp(pkt, HOST, 80, PEER, 40000, 0x12);
	x = vpcfw_explain_judge(p, f, pkt, len, 0, VPCFW_OUT, 1001);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(vpcfw_explain_verdict(x, &ev), 0);
	ck_assert(!ev.accept);
	ck_assert_int_eq(ev.sg, VPCFW_SG_FLOW_REPLY);
	ck_assert_uint_eq(ev.nacl_rule, 32767);
	ck_assert_str_eq(vpcfw_explain_code(x), "SUBNET_ACL_RESTRICTION");
	t = explain_text(x, false);
	ck_assert_msg(strstr(t, "destination port 40000 is not in 80"), "%s", t);
	ck_assert_msg(strstr(t, "passes only as the reply of a tracked flow"), "%s", t);
	ck_assert_msg(strstr(t, "verdict: DROP: sg:flow (tracked reply), then nacl-out:* deny"), "%s", t);
	t = explain_text(x, true);
	ck_assert_msg(strstr(t, "\"code\": \"SUBNET_ACL_RESTRICTION\""), "%s", t);
	vpcfw_explain_free(x);

	/* The error contract. */
	errno = 0;
	ck_assert_ptr_null(vpcfw_explain_judge(p, NULL, pkt, len, 0, VPCFW_OUT, 1001));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(vpcfw_explain_judge(p, f, pkt, 10, 0, VPCFW_OUT, 1001));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(vpcfw_explain_code(NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vpcfw_explain_verdict(NULL, &ev), -1);
	ck_assert_int_eq(vpcfw_explain_write(NULL, false, stdout), -1);
	vpcfw_explain_free(NULL);
	vpcfw_flows_free(f);
	vpcfw_flows_free(f2);
	vpcfw_policy_free(p);
}
END_TEST

/* SSH from outside the office: no NACL rule but the '*' deny. */
START_TEST(test_judge_star_deny)
{
	const char *json[] = { "web-nacl-fixed.json", "web-sg.json" };
	struct vpcfw_policy *p = compile(json, 2, 0);
	struct vpcfw_flows *f = vpcfw_flows_new(NULL);
	struct vpcfw_verdict v;
	size_t len;

	len = pb_tcp(pkt, PEER, 40000, HOST, 22, 0x02);
	judge(p, f, len, VPCFW_IN, 1000, &v);
	ck_assert(!v.accept);
	ck_assert_uint_eq(v.layer, VPCFW_LAYER_NACL);
	ck_assert_uint_eq(v.nacl_rule, 32767);
	ck_assert_int_eq(v.sg, VPCFW_SG_NONE);
	ck_assert_str_eq(rule_name(p, &v), "nacl-in:* deny");
	/* IPv6 has its own '*' rule. */
	len = pb_tcp(pkt, "2001:db8::7", 40000, "2001:db8:1::10", 22, 0x02);
	judge(p, f, len, VPCFW_IN, 1000, &v);
	ck_assert(!v.accept);
	ck_assert_uint_eq(v.nacl_rule, 32768);
	/* From the office the NACL allows it, and so does the SG. */
	len = pb_tcp(pkt, OFFICE, 40000, HOST, 22, 0x02);
	judge(p, f, len, VPCFW_IN, 1000, &v);
	ck_assert(v.accept);
	ck_assert_uint_eq(v.nacl_rule, 120);
	ck_assert_str_eq(rule_name(p, &v), "nacl-in:120 allow, then "
			 "sg-in:sg-0e5f6a7b8c9d0e1f2#5 (new tracked flow)");
	/* A port the NACL lets in (1024-65535) but no SG rule allows. */
	len = pb_tcp(pkt, PEER, 40000, HOST, 3306, 0x02);
	judge(p, f, len, VPCFW_IN, 1000, &v);
	ck_assert(!v.accept);
	ck_assert_uint_eq(v.layer, VPCFW_LAYER_SG);
	ck_assert_str_eq(rule_name(p, &v), "nacl-in:140 allow, then sg-in:none (no rule allows it)");
	vpcfw_flows_free(f);
	vpcfw_policy_free(p);
}
END_TEST

/* A NACL deny by number, from a buffer: the blocklist's rule 90, and one written here. */
START_TEST(test_judge_denied_port)
{
	static const char text[] =
		"nacl acl-1\n"
		"inbound\n"
		"  50   deny   tcp   25   0.0.0.0/0\n"
		"  100  allow  all        0.0.0.0/0\n"
		"outbound\n"
		"  100  allow  all        0.0.0.0/0\n";
	const char *blocklist[] = { "web-nacl-blocklist.json" };
	struct vpcfw_rules *r = vpcfw_rules_new();
	struct vpcfw_policy *p;
	struct vpcfw_verdict v;
	size_t len;

	ck_assert_msg(vpcfw_rules_load_buffer(r, "mem", text, strlen(text), NULL, d) == 0,
		      "%s", diag_text());
	p = vpcfw_policy_compile(r, 0, d);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(vpcfw_policy_layers(p), VPCFW_LAYER_NACL);
	len = pb_tcp(pkt, PEER, 40000, HOST, 25, 0x02);
	/* No SG layer: no flow table needed. */
	ck_assert_int_eq(vpcfw_judge(p, NULL, pkt, len, 0, VPCFW_IN, 1, &v), 0);
	ck_assert(!v.accept);
	ck_assert_uint_eq(v.nacl_rule, 50);
	ck_assert_str_eq(rule_name(p, &v), "nacl-in:50 deny");
	len = pb_udp(pkt, PEER, 40000, HOST, 25, 10);
	ck_assert_int_eq(vpcfw_judge(p, NULL, pkt, len, 0, VPCFW_IN, 1, &v), 0);
	ck_assert(v.accept);
	ck_assert_str_eq(rule_name(p, &v), "nacl-in:100 allow");
	vpcfw_policy_free(p);

	p = compile(blocklist, 1, 0);
	len = pb_tcp(pkt, CLIENT, 40000, HOST, 443, 0x02);
	ck_assert_int_eq(vpcfw_judge(p, NULL, pkt, len, 0, VPCFW_IN, 1, &v), 0);
	ck_assert(!v.accept);
	ck_assert_str_eq(rule_name(p, &v), "nacl-in:90 deny");
	vpcfw_policy_free(p);
}
END_TEST

/*
 * A flow table of one: once its flow is established (it can no longer give
 * way to a newcomer), the next new flow is refused, as AWS does at its cap.
 */
START_TEST(test_judge_flow_cap)
{
	const char *json[] = { "web-sg.json" };
	struct vpcfw_flow_limits lim = { .max_flows = 1 };
	struct vpcfw_policy *p = compile(json, 1, 0);
	struct vpcfw_flows *f = vpcfw_flows_new(&lim);
	struct vpcfw_verdict v;
	size_t len;

	len = pb_tcp(pkt, PEER, 40000, HOST, 443, 0x02);
	judge(p, f, len, VPCFW_IN, 1, &v);
	ck_assert(v.accept);
	len = pb_tcp(pkt, HOST, 443, PEER, 40000, 0x12);
	judge(p, f, len, VPCFW_OUT, 2, &v);
	ck_assert_int_eq(v.sg, VPCFW_SG_FLOW_REPLY);
	len = pb_tcp(pkt, PEER, 40000, HOST, 443, 0x10);
	judge(p, f, len, VPCFW_IN, 3, &v);
	ck_assert_int_eq(v.sg, VPCFW_SG_FLOW_ORIG);
	len = pb_tcp(pkt, PEER, 40001, HOST, 443, 0x02);
	judge(p, f, len, VPCFW_IN, 4, &v);
	ck_assert(!v.accept);
	ck_assert_int_eq(v.sg, VPCFW_SG_TABLE_FULL);
	ck_assert_ptr_nonnull(strstr(rule_name(p, &v), "sg-in:full"));
	/* An SG layer needs a flow table. */
	ck_assert_int_eq(vpcfw_judge(p, NULL, pkt, len, 0, VPCFW_IN, 3, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	vpcfw_flows_free(f);
	vpcfw_policy_free(p);
}
END_TEST

/* Bytes that are no packet: -1/EINVAL and a drop; described as malformed. */
START_TEST(test_malformed)
{
	const char *native[] = { "web.rules" };
	struct vpcfw_policy *p = compile(native, 1, 0);
	struct vpcfw_flows *f = vpcfw_flows_new(NULL);
	struct vpcfw_verdict v;
	char line[160];
	size_t len = pb_tcp(pkt, PEER, 40000, HOST, 80, 0x02);

	ck_assert_int_gt(vpcfw_packet_format(pkt, len, 0, line, sizeof(line)), 0);
	ck_assert_str_eq(line, "tcp " PEER ":40000 -> " HOST ":80 [S]");
	ck_assert_int_eq(vpcfw_judge(p, f, pkt, 10, 0, VPCFW_IN, 1, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!v.accept);
	ck_assert_uint_eq(v.layer, 0);
	ck_assert_int_eq(vpcfw_packet_format(pkt, 10, 0, line, sizeof(line)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(line, "malformed (short)"));
	vpcfw_flows_free(f);
	vpcfw_policy_free(p);
}
END_TEST

/* The name is cut like snprintf, and says how long it is. */
START_TEST(test_rule_name_truncated)
{
	const char *json[] = { "web-nacl-fixed.json" };
	struct vpcfw_policy *p = compile(json, 1, 0);
	struct vpcfw_verdict v;
	char small[8];
	size_t len = pb_tcp(pkt, PEER, 40000, HOST, 22, 0x02);

	ck_assert_int_eq(vpcfw_judge(p, NULL, pkt, len, 0, VPCFW_IN, 1, &v), 0);
	ck_assert_int_eq(vpcfw_verdict_rule(p, &v, small, sizeof(small)),
			 (int)strlen("nacl-in:* deny"));
	ck_assert_str_eq(small, "nacl-in");
	ck_assert_int_eq(vpcfw_verdict_rule(p, &v, NULL, 0), (int)strlen("nacl-in:* deny"));
	vpcfw_policy_free(p);
}
END_TEST

/* The difference of two policies: plain data, the contract's errors, the printed form. */
START_TEST(test_diff)
{
	const char *before[] = { "web-sg.json" }, *after[] = { "web-sg-http-revoked.json" };
	struct vpcfw_policy *a = compile(before, 1, 0), *b = compile(after, 1, 0);
	struct vpcfw_diff *df = vpcfw_diff_new(a, b, 0, 0);
	static const uint8_t ones[4] = { 255, 255, 255, 255 }, zeros[16] = { 0 };
	struct vpcfw_addr_range r;
	struct vpcfw_change c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	/* The policies need not outlive the difference. */
	vpcfw_policy_free(a);
	vpcfw_policy_free(b);
	ck_assert_ptr_nonnull(df);
	ck_assert(vpcfw_diff_complete(df));
	ck_assert_uint_eq(vpcfw_diff_count(df), 2);
	ck_assert_int_eq(vpcfw_diff_change(df, 0, &c), 0);
	ck_assert(!c.admit);
	ck_assert_uint_eq(c.layer, VPCFW_LAYER_SG);
	ck_assert_int_eq(c.dir, VPCFW_IN);
	ck_assert_uint_eq(c.ip_version, 4);
	ck_assert_uint_eq(c.proto_lo, 6);
	ck_assert_uint_eq(c.proto_hi, 6);
	ck_assert_uint_eq(c.port_lo, 80);
	ck_assert_uint_eq(c.port_hi, 80);
	ck_assert_uint_eq(c.n_peers, 1);
	ck_assert_str_eq(c.old_rule, "sg-in:sg-0e5f6a7b8c9d0e1f2#1");
	ck_assert_str_eq(c.new_rule, "sg-in:none");
	ck_assert_int_eq(vpcfw_diff_peer(df, 0, 0, &r), 0);
	ck_assert_mem_eq(r.first, zeros, 16);
	ck_assert_mem_eq(r.last, ones, 4);
	ck_assert_mem_eq(r.last + 4, zeros, 12);
	ck_assert_int_eq(vpcfw_diff_change(df, 1, &c), 0);
	ck_assert_uint_eq(c.ip_version, 6);
	errno = 0;
	ck_assert_int_eq(vpcfw_diff_change(df, 2, &c), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vpcfw_diff_peer(df, 0, 1, &r), -1);
	f = open_memstream(&text, &len);
	ck_assert_int_eq(vpcfw_diff_write(df, false, f), 0);
	fclose(f);
	ck_assert_str_eq(text,
		"- sg-in    tcp from 0.0.0.0/0 port 80  no longer allowed (was sg-in:sg-0e5f6a7b8c9d0e1f2#1; now sg-in:none)\n"
		"- sg-in    tcp from ::/0 port 80  no longer allowed (was sg-in:sg-0e5f6a7b8c9d0e1f2#2; now sg-in:none)\n");
	free(text);
	ck_assert_int_eq(vpcfw_diff_write(df, false, NULL), -1);
	vpcfw_diff_free(df);
	vpcfw_diff_free(NULL);
	errno = 0;
	ck_assert_ptr_null(vpcfw_diff_new(NULL, NULL, 0, 0));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *load_tc = tcase_create("load"), *out = tcase_create("lint_write");
	TCase *judge_tc = tcase_create("judge");

	tcase_add_checked_fixture(load_tc, setup, teardown);
	tcase_add_test(load_tc, test_examples_load);
	tcase_add_test(load_tc, test_maps);
	tcase_add_test(load_tc, test_params);
	tcase_add_test(load_tc, test_load_errors);
	tcase_add_test(load_tc, test_load_layers);
	tcase_add_test(load_tc, test_formats_agree);
	suite_add_tcase(s, load_tc);
	tcase_add_checked_fixture(out, setup, teardown);
	tcase_add_test(out, test_lint);
	tcase_add_test(out, test_write_round_trip);
	tcase_add_test(out, test_compile_layers);
	suite_add_tcase(s, out);
	tcase_add_checked_fixture(judge_tc, setup, teardown);
	tcase_add_test(judge_tc, test_judge_http_and_reply);
	tcase_add_test(judge_tc, test_judge_star_deny);
	tcase_add_test(judge_tc, test_judge_denied_port);
	tcase_add_test(judge_tc, test_judge_flow_cap);
	tcase_add_test(judge_tc, test_malformed);
	tcase_add_test(judge_tc, test_rule_name_truncated);
	tcase_add_test(judge_tc, test_explain);
	tcase_add_test(judge_tc, test_diff);
	suite_add_tcase(s, judge_tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
