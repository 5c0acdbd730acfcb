/*
 * vpcfw: the command line. One table of subcommands; everything else lives
 * in the engine library.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "aws_json.h"
#include "cmds.h"
#include "ctconf.h"
#include "ctl.h"
#include "daemon.h"
#include "diag.h"
#include "eni.h"
#include "exitcode.h"
#include "filter.h"
#include "log.h"
#include "num.h"
#include "policy.h"
#include "ruleset.h"
#include "rules.h"
#include "rules_lint.h"
#include "show.h"
#include "steer.h"
#include "trace.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/vpcfw"
#endif

struct subcmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct subcmd *find_subcmd(const char *name);

static int PRINTF_FMT(2, 3) usage_error(const char *cmd, const char *fmt, ...)
{
	const struct subcmd *sc = find_subcmd(cmd);
	va_list ap;

	fprintf(stderr, "vpcfw %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: vpcfw %s %s\n", cmd, sc ? sc->usage : "");
	return EXIT_USAGE;
}

/* "N" or "A:B" (at most 64 queues). */
static int parse_queues(const char *s, uint16_t *first, uint16_t *last)
{
	char buf[16], *colon;
	uint64_t a, b;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (num_parse(buf, 0, 65535, &a) < 0 ||
	    (colon ? num_parse(colon + 1, a, 65535, &b) : (b = a, 0)) < 0 || b - a >= 64)
		return -1;
	*first = (uint16_t)a;
	*last = (uint16_t)b;
	return 0;
}

static int parse_size(const char *s, size_t min, size_t max, size_t *out)
{
	uint64_t v;

	if (num_parse(s, min, max, &v) < 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

int push_file(const char ***list, size_t *n, const char *f)
{
	const char **nl = realloc(*list, (*n + 1) * sizeof(*nl));

	if (!nl)
		return -1;
	nl[(*n)++] = f;
	*list = nl;
	return 0;
}

/* The words of a control request (see ctl.h): "key=value" each, the command first. */
struct req {
	char *w[CTL_MAX_WORDS + 1];
	size_t n;
};

static void req_free(struct req *r)
{
	while (r->n)
		free(r->w[--r->n]);
}

/* Add "key=val" (or "key" when val is NULL); -1 when out of room or memory. */
static int req_add(struct req *r, const char *key, const char *val)
{
	char *w;

	if (r->n == CTL_MAX_WORDS ||
	    (val ? asprintf(&w, "%s=%s", key, val) : asprintf(&w, "%s", key)) < 0)
		return -1;
	r->w[r->n++] = w;
	r->w[r->n] = NULL;
	return 0;
}

/*
 * The lock-out guard's words for reload and apply: where this request comes
 * from ($SSH_CONNECTION) and whether to override it.
 */
static int req_add_guard(struct req *r, bool force)
{
	const char *ssh = getenv("SSH_CONNECTION");

	if (force && req_add(r, "force", NULL) < 0)
		return -1;
	return ssh ? req_add(r, "ssh", ssh) : 0;
}

enum { OPT_FAIL_CLOSED = 256, OPT_INSIDE, OPT_MAP, OPT_MAX_FLOWS, OPT_FORWARD,
       OPT_LOG_DROPS, OPT_CONFIRM, OPT_FORCE, OPT_FLOW_LOG, OPT_FLOW_LOG_INTERVAL,
       OPT_FLOW_LOG_FORMAT, OPT_OFFLOAD, OPT_NO_QUOTAS, OPT_SUBNET, OPT_VPC, OPT_JUDGE_AWS,
       OPT_EVICT_UNEST, OPT_CONNTRACK, OPT_ENI, OPT_SHADOW, OPT_SHADOW_NACL, OPT_SHADOW_SG,
       OPT_COMPARE, OPT_DISAGREE, OPT_PARAM };

/*
 * --conntrack [IFACE=]SETTINGS|FILE: checked now (a usage error names the
 * range), kept for reload.
 */
static int conntrack_option(struct daemon_cfg *c, const char *arg)
{
	char name[CTCONF_IFNAME_MAX], why[96];
	struct diag *dg;
	const char *spec = arg;
	struct ctconf ct;
	int ret, iface = ctconf_iface_split(arg, name, &spec, why, sizeof(why));

	if (iface < 0)
		return usage_error("run", "bad --conntrack '%s': %s", arg, why);
	c->n_conntrack_iface += iface == 1;
	dg = diag_new();
	if (!dg)
		return EXIT_SYSTEM;
	ctconf_default(&ct);
	if ((iface ? ctconf_parse(&ct, spec, dg) : daemon_conntrack_check(spec, dg)) < 0) {
		diag_print(dg, stderr);
		ret = usage_error("run", "bad --conntrack '%s'", arg);
	} else {
		ret = push_file(&c->conntrack, &c->n_conntrack, arg) < 0 ? EXIT_SYSTEM : 0;
	}
	diag_free(dg);
	return ret;
}

/*
 * --nacl IFACE=FILE (an interface's own subnet ACL) rather than --nacl FILE:
 * a '=' with no '/' before it. (A file named so is ./a=b.)
 */
bool is_iface_arg(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq && !memchr(arg, '/', (size_t)(eq - arg));
}

/*
 * --eni or --nacl IFACE=FILE[,FILE...]: checked now, read by the engine at
 * start and reload; once per interface each.
 */
static int run_iface_arg(const char ***list, size_t *n, const char *opt, const char *arg)
{
	struct eni_spec s;
	char why[128];
	size_t i, len;
	int ret;

	if (eni_spec_parse(arg, &s, why, sizeof(why)) < 0)
		return errno == EINVAL ? usage_error("run", "bad %s '%s': %s", opt, arg, why) :
					 EXIT_SYSTEM;
	len = strlen(s.ifname);
	for (i = 0; i < *n; i++)
		if (!strncmp((*list)[i], s.ifname, len) && (*list)[i][len] == '=') {
			ret = usage_error("run", "%s %s given twice", opt, s.ifname);
			eni_spec_clear(&s);
			return ret;
		}
	eni_spec_clear(&s);
	return push_file(list, n, arg) < 0 ? EXIT_SYSTEM : 0;
}

static int run_option(struct daemon_cfg *c, int opt, const char *arg)
{
	size_t v;

	switch (opt) {
	case 'q':
		if (parse_queues(arg, &c->queue_first, &c->queue_last) < 0)
			return usage_error("run", "bad --queue '%s' (N or A:B, at most 64 queues)", arg);
		return 0;
	case 'n':
		if (is_iface_arg(arg))
			return run_iface_arg(&c->iface_nacl, &c->n_iface_nacl, "--nacl", arg);
		return push_file(&c->nacl_files, &c->n_nacl, arg) < 0 ? EXIT_SYSTEM : 0;
	case 's':
		return push_file(&c->sg_files, &c->n_sg, arg) < 0 ? EXIT_SYSTEM : 0;
	case OPT_ENI:
		return run_iface_arg(&c->eni, &c->n_eni, "--eni", arg);
	case OPT_SHADOW_NACL:
		return push_file(&c->shadow_nacl_files, &c->n_shadow_nacl, arg) < 0 ? EXIT_SYSTEM : 0;
	case OPT_SHADOW_SG:
		return push_file(&c->shadow_sg_files, &c->n_shadow_sg, arg) < 0 ? EXIT_SYSTEM : 0;
	case 'c':
		c->ctl_path = arg;
		return 0;
	case 'v':
		log_set_level(LOG_LVL_DEBUG);
		return 0;
	case OPT_FAIL_CLOSED:
		c->fail_closed = true;
		return 0;
	case OPT_INSIDE:
		c->inside = arg;
		return 0;
	case OPT_LOG_DROPS:
		c->log_drops = true;
		return 0;
	case OPT_FORCE:
		c->force = true;
		return 0;
	case OPT_FLOW_LOG:
		c->flow_log = arg;
		return 0;
	case OPT_OFFLOAD:
		c->offload = true;
		return 0;
	case OPT_NO_QUOTAS:
		c->no_quotas = true;
		return 0;
	case OPT_EVICT_UNEST:
		c->evict_unestablished = true;
		return 0;
	case OPT_CONNTRACK:
		return conntrack_option(c, arg);
	case OPT_FLOW_LOG_INTERVAL:
		if (parse_size(arg, 1, FLOWLOG_INTERVAL_MAX, &v) < 0)
			return usage_error("run", "bad --flow-log-interval '%s' (1 to %u seconds)",
					   arg, FLOWLOG_INTERVAL_MAX);
		c->flow_log_interval = (uint32_t)v;
		return 0;
	case OPT_FLOW_LOG_FORMAT:
		if (strcmp(arg, "default") && strcmp(arg, "extended"))
			return usage_error("run", "bad --flow-log-format '%s' (default or extended)", arg);
		c->flow_log_extended = !strcmp(arg, "extended");
		return 0;
	case OPT_MAP:
		if (aws_map_add(&c->map, arg) < 0)
			return usage_error("run", "bad --map '%s' (sg-ID=CIDR[,CIDR...] or pl-ID=...)", arg);
		return 0;
	case OPT_PARAM:
		if (aws_map_add_param(&c->map, arg) < 0)
			return usage_error("run", "bad --param '%s' (NAME=VALUE, NAME given once)", arg);
		return 0;
	case OPT_MAX_FLOWS:
		if (parse_size(arg, 1, 1u << 26, &v) < 0)
			return usage_error("run", "bad --max-flows '%s' (1 to 67108864)", arg);
		c->max_flows = v;
		return 0;
	case OPT_SUBNET:
		if (policy_opts_add_subnet(&c->scope, arg) < 0)
			return usage_error("run", "bad --subnet '%s' (a CIDR, at most %d)",
					   arg, POLICY_SUBNETS_MAX);
		return 0;
	case OPT_VPC:
		if (policy_opts_set_vpc(&c->scope, arg) < 0)
			return usage_error("run", "bad --vpc '%s' (an IPv4 CIDR, /28 or wider)", arg);
		return 0;
	case OPT_JUDGE_AWS:
		c->scope.judge_aws_services = true;
		return 0;
	}
	return usage_error("run", "%s", "unknown option");
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "nacl", required_argument, NULL, 'n' },
		{ "sg", required_argument, NULL, 's' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "fail-closed", no_argument, NULL, OPT_FAIL_CLOSED },
		{ "inside", required_argument, NULL, OPT_INSIDE },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "param", required_argument, NULL, OPT_PARAM },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "log-drops", no_argument, NULL, OPT_LOG_DROPS },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "flow-log", required_argument, NULL, OPT_FLOW_LOG },
		{ "flow-log-interval", required_argument, NULL, OPT_FLOW_LOG_INTERVAL },
		{ "flow-log-format", required_argument, NULL, OPT_FLOW_LOG_FORMAT },
		{ "offload", no_argument, NULL, OPT_OFFLOAD },
		{ "no-quotas", no_argument, NULL, OPT_NO_QUOTAS },
		{ "subnet", required_argument, NULL, OPT_SUBNET },
		{ "vpc", required_argument, NULL, OPT_VPC },
		{ "judge-aws-services", no_argument, NULL, OPT_JUDGE_AWS },
		{ "evict-unestablished", no_argument, NULL, OPT_EVICT_UNEST },
		{ "conntrack", required_argument, NULL, OPT_CONNTRACK },
		{ "eni", required_argument, NULL, OPT_ENI },
		{ "shadow-nacl", required_argument, NULL, OPT_SHADOW_NACL },
		{ "shadow-sg", required_argument, NULL, OPT_SHADOW_SG },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_cfg c;
	int opt, ret;

	daemon_cfg_init(&c);
	while ((opt = getopt_long(argc, argv, "q:n:s:c:v", opts, NULL)) != -1) {
		if (opt == '?')
			return usage_error("run", "%s", "bad option");
		ret = run_option(&c, opt, optarg);
		if (ret)
			goto out;
	}
	if (optind < argc) {
		ret = usage_error("run", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!c.n_nacl && !c.n_sg) {
		ret = usage_error("run", "%s", "no rules: give --nacl FILE and/or --sg FILE");
		goto out;
	}
	if (c.offload && (c.n_nacl || c.n_iface_nacl || !c.n_sg)) {
		ret = usage_error("run", "%s", "--offload needs --sg and no --nacl: a network ACL "
				  "judges every packet");
		goto out;
	}
	if (c.offload && (c.n_shadow_nacl || c.n_shadow_sg)) {
		ret = usage_error("run", "%s", "--offload and a shadow policy: offloaded packets "
				  "would never reach the shadow");
		goto out;
	}
	if (c.offload && c.n_conntrack_iface) {
		ret = usage_error("run", "%s", "--offload takes no --conntrack IFACE=: the kernel's "
				  "connection tracking has one set of timeouts");
		goto out;
	}
	ret = daemon_run(&c);
out:
	free(c.nacl_files);
	free(c.sg_files);
	free(c.eni);
	free(c.iface_nacl);
	free(c.conntrack);
	free(c.shadow_nacl_files);
	free(c.shadow_sg_files);
	aws_map_free(&c.map);
	return ret;
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "map", required_argument, NULL, OPT_MAP },
		{ "param", required_argument, NULL, OPT_PARAM },
		{ "werror", no_argument, NULL, 'W' },
		{ "no-quotas", no_argument, NULL, 'Q' },
		{ NULL, 0, NULL, 0 },
	};
	struct aws_map map = { 0 };
	bool werror = false, no_quotas = false;
	struct policy *pol;
	struct diag *d;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'W') {
			werror = true;
		} else if (opt == 'Q') {
			no_quotas = true;
		} else if (opt == OPT_PARAM) {
			if (aws_map_add_param(&map, optarg) < 0) {
				aws_map_free(&map);
				return usage_error("check", "bad --param '%s' (NAME=VALUE, NAME given once)",
						   optarg);
			}
		} else if (opt != OPT_MAP || aws_map_add(&map, optarg) < 0) {
			aws_map_free(&map);
			return usage_error("check", "%s", "bad option or --map");
		}
	}
	if (optind == argc) {
		aws_map_free(&map);
		return usage_error("check", "%s", "no file given");
	}
	d = diag_new();
	if (!d)
		return EXIT_SYSTEM;
	/* What run would load and compile; lint only that: warnings about half a file mislead. */
	pol = policy_check((const char *const *)argv + optind, (size_t)(argc - optind), &map,
			   no_quotas, d);
	if (pol)
		rules_lint(policy_ruleset(pol), d);
	diag_print(d, stderr);
	ret = !pol || (werror && diag_warnings(d)) ? EXIT_BAD_INPUT : EXIT_OK;
	if (pol)
		rules_print(policy_ruleset(pol), stdout);
	diag_free(d);
	policy_free(pol);
	aws_map_free(&map);
	return ret;
}

/*
 * Ask the engine; its answer goes to stdout, or to stderr when it refused.
 * "No engine answers" only when the request could not be sent; once sent,
 * no answer in time means the outcome is unknown, never that it failed.
 */
static int ctl_answer(const char *cmd, const char *path, struct req *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int ret, e;

	if (!mem) {
		req_free(r);
		return EXIT_SYSTEM;
	}
	ret = ctl_request(path, r->w, CTL_CLIENT_TIMEOUT_MS, mem);
	e = errno;
	fclose(mem);
	req_free(r);
	fputs(text, ret ? stderr : stdout);
	free(text);
	switch (ret) {
	case CTL_OK:
		return EXIT_OK;
	case CTL_ERR:
		return EXIT_BAD_INPUT;
	case CTL_NO_ENGINE:
		if (e == EMSGSIZE) {
			fprintf(stderr, "vpcfw %s: request too large (the engine takes at most "
				"%u KiB)\n", cmd, CTL_MAX_REQUEST >> 10);
			return EXIT_USAGE;
		}
		fprintf(stderr, "vpcfw %s: no engine answers on %s: %s\n", cmd, path,
			strerror(e));
		return EXIT_SYSTEM;
	}
	if (e == ETIMEDOUT)
		fprintf(stderr, "vpcfw %s: timed out: no answer from the engine within %d s, "
			"outcome unknown\n", cmd, CTL_CLIENT_TIMEOUT_MS / 1000);
	else
		fprintf(stderr, "vpcfw %s: the connection to the engine broke before its "
			"answer (%s): outcome unknown\n", cmd, strerror(e));
	return EXIT_UNKNOWN;
}

/* A request of one word and no option but --ctl. */
static int ctl_client(const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CTL_DEFAULT_PATH;
	struct req r = { .n = 0 };
	int opt;

	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (opt != 'c')
			return usage_error(cmd, "%s", "bad option");
		path = optarg;
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (req_add(&r, cmd, NULL) < 0)
		return EXIT_SYSTEM;
	return ctl_answer(cmd, path, &r);
}

static int cmd_status(int argc, char **argv)
{
	return ctl_client("status", argc, argv);
}

static int cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CTL_DEFAULT_PATH;
	struct req r = { .n = 0 };
	bool force = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == OPT_FORCE)
			force = true;
		else
			return usage_error("reload", "%s", "bad option");
	}
	if (optind < argc)
		return usage_error("reload", "unexpected argument '%s'", argv[optind]);
	if (req_add(&r, "reload", NULL) < 0 || req_add_guard(&r, force) < 0) {
		req_free(&r);
		return EXIT_SYSTEM;
	}
	return ctl_answer("reload", path, &r);
}

static int cmd_zero(int argc, char **argv)
{
	return ctl_client("zero", argc, argv);
}

/*
 * A filter option of show flows or trace (--proto, --addr, --port; --iface
 * for show flows) as a
 * request word, checked here with the engine's own parser (filter.h) so
 * that a bad one is a usage error before anything is sent.
 */
static int filter_opt(const char *cmd, struct req *r, int opt, const char *arg)
{
	const char *key = opt == 'p' ? "proto" : opt == 'a' ? "addr" : opt == 'i' ? "iface" : "port";
	struct filter f;
	char word[128];
	int n = snprintf(word, sizeof(word), "%s=%s", key, arg);

	if (n < 0 || (size_t)n >= sizeof(word) || strchr(arg, ' ') ||
	    filter_parse(&f, word, FILTER_IFACE, NULL, 0) < 0)
		return usage_error(cmd, "bad --%s '%s' (%s)", key, arg,
				   opt == 'p' ? "a protocol name such as tcp, or 0 to 255" :
				   opt == 'a' ? "an address or a CIDR block" :
				   opt == 'i' ? "an interface name of 1 to 15 characters" :
				   "0 to 65535");
	return req_add(r, word, NULL) < 0 ? EXIT_SYSTEM : 0;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "proto", required_argument, NULL, 'p' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'P' },
		{ "shadow", no_argument, NULL, OPT_SHADOW },
		{ "iface", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const whats[] = { "rules", "flows", "stats", "metrics" };
	const char *path = CTL_DEFAULT_PATH, *what;
	struct req filter = { .n = 0 }, r = { .n = 0 };
	bool json = false, known = false, shadow = false;
	int opt, ret = 0;
	size_t i;

	while (!ret && (opt = getopt_long(argc, argv, "c:j", opts, NULL)) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == 'j')
			json = true;
		else if (opt == OPT_SHADOW)
			shadow = true;
		else if (opt == 'p' || opt == 'a' || opt == 'P' || opt == 'i')
			ret = filter_opt("show", &filter, opt, optarg);
		else
			ret = usage_error("show", "%s", "bad option");
	}
	if (!ret && optind + 1 != argc)
		ret = usage_error("show", "%s", "say what: rules, flows, stats or metrics");
	what = ret ? "" : argv[optind];
	for (i = 0; i < ARRAY_SIZE(whats); i++)
		known |= !strcmp(what, whats[i]);
	if (!ret && !known)
		ret = usage_error("show", "unknown '%s': rules, flows, stats or metrics", what);
	if (!ret && filter.n && strcmp(what, "flows"))
		ret = usage_error("show", "%s", "--proto, --addr, --port and --iface filter flows only");
	if (!ret && shadow && strcmp(what, "rules"))
		ret = usage_error("show", "%s", "--shadow shows rules only (show stats has the "
				  "shadow's disagreements)");
	if (!ret && (req_add(&r, "show", NULL) < 0 || req_add(&r, what, NULL) < 0 ||
		     (json && req_add(&r, "json", NULL) < 0) ||
		     (shadow && req_add(&r, "shadow", NULL) < 0)))
		ret = EXIT_SYSTEM;
	for (i = 0; !ret && i < filter.n; i++)
		if (req_add(&r, filter.w[i], NULL) < 0)
			ret = EXIT_SYSTEM;
	req_free(&filter);
	if (ret) {
		req_free(&r);
		return ret;
	}
	return ctl_answer("show", path, &r);
}

static int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "proto", required_argument, NULL, 'p' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'P' },
		{ "drops", no_argument, NULL, 'd' },
		{ "iface", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "compare", no_argument, NULL, OPT_COMPARE },
		{ "disagree", no_argument, NULL, OPT_DISAGREE },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CTL_DEFAULT_PATH;
	struct req r = { .n = 0 };
	size_t count = 0;
	int opt, ret;

	if (req_add(&r, "trace", NULL) < 0)
		return EXIT_SYSTEM;
	while ((opt = getopt_long(argc, argv, "c:n:", opts, NULL)) != -1) {
		ret = 0;
		if (opt == 'c')
			path = optarg;
		else if (opt == 'n' && parse_size(optarg, 1, SIZE_MAX, &count) < 0)
			ret = usage_error("trace", "bad --count '%s' (1 or more lines)", optarg);
		else if (opt == 'd')
			ret = req_add(&r, "verdict=drop", NULL) < 0 ? EXIT_SYSTEM : 0;
		else if (opt == OPT_COMPARE || opt == OPT_DISAGREE)
			ret = req_add(&r, opt == OPT_COMPARE ? "compare" : "disagree", NULL) < 0 ?
			      EXIT_SYSTEM : 0;
		else if (opt == 'p' || opt == 'a' || opt == 'P' || opt == 'i')
			ret = filter_opt("trace", &r, opt, optarg);
		else if (opt != 'n')
			ret = usage_error("trace", "%s", "bad option");
		if (ret) {
			req_free(&r);
			return ret;
		}
	}
	if (optind < argc) {
		req_free(&r);
		return usage_error("trace", "unexpected argument '%s'", argv[optind]);
	}
	ret = ctl_stream(path, r.w, CTL_CLIENT_TIMEOUT_MS, stdout, count);
	req_free(&r);
	if (ret == CTL_NO_ENGINE) {
		fprintf(stderr, "vpcfw trace: no engine answers on %s: %s\n", path,
			strerror(errno));
		return EXIT_SYSTEM;
	}
	if (ret == CTL_UNKNOWN) {
		fprintf(stderr, "vpcfw trace: no answer from the engine on %s: %s\n", path,
			strerror(errno));
		return EXIT_UNKNOWN;
	}
	return ret ? EXIT_BAD_INPUT : EXIT_OK;
}

static int cmd_confirm(int argc, char **argv)
{
	return ctl_client("confirm", argc, argv);
}

/* Add "key=ABSOLUTE-PATH": the engine does not share our working directory. */
static int req_add_path(struct req *r, const char *key, const char *path)
{
	char abs[PATH_MAX];

	if (!realpath(path, abs)) {
		fprintf(stderr, "vpcfw apply: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (req_add(r, key, abs) < 0) {
		fprintf(stderr, "vpcfw apply: too many files\n");
		return -1;
	}
	return 0;
}

static int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "nacl", required_argument, NULL, 'n' },
		{ "sg", required_argument, NULL, 's' },
		{ "confirm", required_argument, NULL, OPT_CONFIRM },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "shadow", no_argument, NULL, OPT_SHADOW },
		{ "shadow-nacl", required_argument, NULL, OPT_SHADOW_NACL },
		{ "shadow-sg", required_argument, NULL, OPT_SHADOW_SG },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CTL_DEFAULT_PATH;
	struct req r = { .n = 0 };
	bool files = false, secs = false, force = false, shadow = false;
	char *copy = NULL;
	int opt, ret = 0;
	size_t v;

	if (req_add(&r, "apply", NULL) < 0)
		return EXIT_SYSTEM;
	while (!ret && (opt = getopt_long(argc, argv, "c:n:s:", opts, NULL)) != -1) {
		if (opt == 'c') {
			path = optarg;
		} else if (opt == 'n' || opt == 's' || opt == OPT_SHADOW_NACL ||
			   opt == OPT_SHADOW_SG) {
			ret = req_add_path(&r, opt == 'n' || opt == OPT_SHADOW_NACL ? "nacl" : "sg",
					   optarg) < 0 ? EXIT_BAD_INPUT : 0;
			files = true;
			shadow |= opt == OPT_SHADOW_NACL || opt == OPT_SHADOW_SG;
		} else if (opt == OPT_SHADOW) {
			shadow = true;
		} else if (opt == OPT_FORCE) {
			force = true;
		} else if (opt == OPT_CONFIRM && parse_size(optarg, 1, 3600, &v) == 0) {
			ret = req_add(&r, "confirm", optarg) < 0 ? EXIT_SYSTEM : 0;
			secs = true;
		} else {
			ret = usage_error("apply", "bad option%s%s%s", opt == OPT_CONFIRM ?
					  " --confirm '" : "", opt == OPT_CONFIRM ? optarg : "",
					  opt == OPT_CONFIRM ? "' (1 to 3600 seconds)" : "");
		}
	}
	/* A bare FILE takes the layers it holds; "-" is standard input (apply_stdin.c). */
	for (; !ret && optind < argc; optind++) {
		if (!strcmp(argv[optind], "-") && copy)
			ret = usage_error("apply", "%s", "standard input given twice");
		else if (!strcmp(argv[optind], "-") && !(ret = apply_stdin_copy(path, &copy)))
			ret = req_add(&r, "stdin", copy) < 0 ? EXIT_SYSTEM : 0;
		else if (strcmp(argv[optind], "-"))
			ret = req_add_path(&r, "file", argv[optind]) < 0 ? EXIT_BAD_INPUT : 0;
		files = true;
	}
	/* The shadow enforces nothing: there is nothing to confirm, nor to guard. */
	if (!ret && shadow && (secs || force))
		ret = usage_error("apply", "%s", "--shadow enforces nothing: no --confirm, no --force");
	else if (!ret && !shadow && (!files || !secs))
		ret = usage_error("apply", "%s", "give rule files and --confirm SECONDS");
	else if (!ret && !files)
		ret = usage_error("apply", "%s", "give rule files for the shadow");
	if (!ret && (shadow ? req_add(&r, "shadow", NULL) : req_add_guard(&r, force)) < 0)
		ret = EXIT_SYSTEM;
	if (!ret)
		ret = ctl_answer("apply", path, &r);
	else
		req_free(&r);
	/* The engine owns the copy once it took the rules, or may have (no answer). */
	if (copy && ret != EXIT_OK && ret != EXIT_UNKNOWN)
		unlink(copy);
	free(copy);
	return ret;
}

static int cmd_steer(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "forward", no_argument, NULL, OPT_FORWARD },
		{ "fail-closed", no_argument, NULL, OPT_FAIL_CLOSED },
		{ NULL, 0, NULL, 0 },
	};
	struct steer_opts o = { 0, 0, false, false };
	char err[256];
	bool on;
	int opt;

	while ((opt = getopt_long(argc, argv, "q:", opts, NULL)) != -1) {
		if (opt == 'q' && parse_queues(optarg, &o.queue_first, &o.queue_last) == 0)
			continue;
		if (opt == OPT_FORWARD)
			o.forward = true;
		else if (opt == OPT_FAIL_CLOSED)
			o.fail_closed = true;
		else
			return usage_error("steer", "%s", "bad option or --queue");
	}
	if (optind + 1 != argc || (strcmp(argv[optind], "on") && strcmp(argv[optind], "off")))
		return usage_error("steer", "%s", "say on or off");
	on = !strcmp(argv[optind], "on");
	if (steer_apply(on, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "vpcfw steer: %s\n", err);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/* The directory this binary sits in, for finding its companions in a build tree. */
static int cmd_demo(int argc, char **argv)
{
	return cli_exec_script("demo", argv, "VPCFW_RULES", "rules");
}

static int cmd_help(int argc, char **argv);

static int cmd_version(int argc, char **argv)
{
	printf("vpcfw %s\n", PACKAGE_VERSION);
	return EXIT_OK;
}

static const struct subcmd subcmds[] = {
	{ "run", cmd_run, "[--queue N|A:B] [--nacl FILE]... [--sg FILE]... [--ctl PATH]\n"
	  "           [--eni IFACE=FILE[,FILE...]]... [--nacl IFACE=FILE[,FILE...]]...\n"
	  "           [--fail-closed] [--inside IFACE] [--map ID=CIDR[,CIDR...]]...\n"
	  "           [--param NAME=VALUE]...\n"
	  "           [--max-flows N [--evict-unestablished]] [--log-drops] [--force]\n"
	  "           [--conntrack [IFACE=]tcp-established=S,udp-stream=S,udp=S|nitro-v6|FILE]...\n"
	  "           [--offload] [--no-quotas] [-v]\n"
	  "           [--subnet CIDR]... [--vpc CIDR] [--judge-aws-services]\n"
	  "           [--shadow-nacl FILE]... [--shadow-sg FILE]...\n"
	  "           [--flow-log FILE [--flow-log-interval S] [--flow-log-format default|extended]]" },
	{ "convert", cmd_convert, CMD_CONVERT_USAGE },
	{ "explain", cmd_explain, CMD_EXPLAIN_USAGE },
	{ "diff", cmd_diff, CMD_DIFF_USAGE },
	{ "check", cmd_check, "[--werror] [--no-quotas] [--map ID=CIDR[,CIDR...]]...\n"
	  "           [--param NAME=VALUE]... FILE..." },
	{ "status", cmd_status, "[--ctl PATH]" },
	{ "reload", cmd_reload, "[--force] [--ctl PATH]" },
	{ "apply", cmd_apply, "[FILE|-]... [--nacl FILE]... [--sg FILE]... --confirm SECONDS\n"
	  "           [--force] [--ctl PATH]\n"
	  "       vpcfw apply --shadow [FILE]... [--shadow-nacl FILE]... [--shadow-sg FILE]...\n"
	  "           [--ctl PATH]" },
	{ "confirm", cmd_confirm, "[--ctl PATH]" },
	{ "show", cmd_show, "rules|flows|stats|metrics [--json] [--shadow] [--ctl PATH]\n"
	  "           [--proto P] [--addr A[/N]] [--port N] [--iface NAME]" },
	{ "zero", cmd_zero, "[--ctl PATH]" },
	{ "trace", cmd_trace, "[--proto P] [--addr A[/N]] [--port N] [--drops] [--count N]\n"
	  "           [--iface NAME] [--compare | --disagree] [--ctl PATH]" },
	{ "top", cmd_top, CMD_TOP_USAGE },
	{ "fetch", cmd_fetch, CMD_FETCH_USAGE },
	{ "steer", cmd_steer, "on|off [--queue N|A:B] [--forward] [--fail-closed]" },
	{ "demo", cmd_demo, "[--fast]" },
	{ "lab", cmd_lab, CMD_LAB_USAGE },
	{ "help", cmd_help, "" },
	{ "version", cmd_version, "" },
};

static const struct subcmd *find_subcmd(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subcmds); i++)
		if (!strcmp(subcmds[i].name, name))
			return &subcmds[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	size_t i;

	printf("vpcfw: AWS network ACLs and security groups for this host's own traffic\n\n");
	for (i = 0; i < ARRAY_SIZE(subcmds); i++)
		printf("  vpcfw %s %s\n", subcmds[i].name, subcmds[i].usage);
	printf("\nSee vpcfw(8).\n");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct subcmd *sc;

	if (argc < 2) {
		cmd_help(argc, argv);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc, argv);
	sc = find_subcmd(argv[1]);
	if (!sc) {
		fprintf(stderr, "vpcfw: unknown command '%s' (try vpcfw help)\n", argv[1]);
		return EXIT_USAGE;
	}
	return sc->run(argc - 1, argv + 1);
}
