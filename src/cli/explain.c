/*
 * vpcfw explain: would this packet pass, and why? Offline, with the rule
 * files of `run`: the packet is built from words into real bytes and
 * judged by the engine's judge (policy_judge) in a flow table of its own,
 * and the walk of explain.h says why, layer by layer.
 *
 * A session judges its packets in order through one flow table, with
 * TCP sequence numbers made up to be in window: each side's next number
 * (zero-length segments; a SYN and a FIN count one), so that what the
 * window tracker of a live flow accepts, it accepts here too.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws_json.h"
#include "cmds.h"
#include "ctconf.h"
#include "diag.h"
#include "eni.h"
#include "exitcode.h"
#include "explain.h"
#include "flow.h"
#include "log.h"
#include "num.h"
#include "pkt.h"
#include "pktgen.h"
#include "policy.h"

#define ISN_A 1000000u	/* the first side of a TCP conversation */
#define ISN_B 7000000u	/* the other */

/* One TCP conversation's numbers: side 0 is the one that spoke first. */
struct conv {
	uint8_t family;
	uint8_t addr[2][16];
	uint16_t port[2];
	uint32_t end[2];	/* the next sequence number each side sends */
	bool seen[2];
};

struct args;

struct session {
	struct pset *ps;		/* the default policy and the ENIs' (eni.h) */
	struct args **later;		/* the options of each "# rules:" line, kept while ps may use them */
	size_t n_later;
	const struct policy *pol;	/* the one judging now */
	struct flow_table *ft;
	struct conv *conv;
	size_t n_conv;
	uint64_t now;
	bool json;
	bool shadow;			/* --replay: the shadow's half of trace --compare lines */
};

static void PRINTF_FMT(1, 2) usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vpcfw explain: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: vpcfw explain %s\n", CMD_EXPLAIN_USAGE);
}

/* ---- TCP numbers ---------------------------------------------------------- */

static bool conv_side(const struct conv *c, const struct pktgen *g, int side)
{
	return c->family == g->family && c->port[side] == g->sport &&
	       c->port[!side] == g->dport &&
	       !memcmp(c->addr[side], g->src, 16) && !memcmp(c->addr[!side], g->dst, 16);
}

/* The conversation of g and g's side in it; a new one if none. */
static struct conv *conv_find(struct session *s, const struct pktgen *g, int *side)
{
	struct conv *c;
	size_t i;

	for (i = 0; i < s->n_conv; i++)
		for (*side = 0; *side < 2; (*side)++)
			if (conv_side(&s->conv[i], g, *side))
				return &s->conv[i];
	c = realloc(s->conv, (s->n_conv + 1) * sizeof(*c));
	if (!c)
		return NULL;
	s->conv = c;
	c = &s->conv[s->n_conv++];
	memset(c, 0, sizeof(*c));
	c->family = g->family;
	memcpy(c->addr[0], g->src, 16);
	memcpy(c->addr[1], g->dst, 16);
	c->port[0] = g->sport;
	c->port[1] = g->dport;
	c->end[0] = ISN_A;
	c->end[1] = ISN_B;
	*side = 0;
	return c;
}

/* seq: the side's next number (a SYN its first); ack: the other's next. */
static int tcp_numbers(struct session *s, struct pktgen *g)
{
	int side;
	struct conv *c = conv_find(s, g, &side);

	if (!c)
		return -1;
	if (g->tcp_flags & TCPF_SYN)
		c->end[side] = side ? ISN_B : ISN_A;
	g->seq = c->end[side];
	g->ack = (g->tcp_flags & TCPF_ACK) || c->seen[!side] ? c->end[!side] : 0;
	c->end[side] += !!(g->tcp_flags & TCPF_SYN) + !!(g->tcp_flags & TCPF_FIN);
	c->seen[side] = true;
	return 0;
}

/* ---- judging -------------------------------------------------------------- */

/* The policy of interface name (NULL: none), as the engine picks it: its ENI's, or the default. */
static const struct policy *policy_for(const struct pset *ps, const char *name)
{
	size_t i;

	for (i = 0; name && i < ps->n; i++)
		if (!strcmp(ps->eni[i].ifname, name))
			return ps->eni[i].pol;
	return ps->def;
}

static int judge(struct session *s, struct pktgen *g, enum dir d, struct explain *x)
{
	uint8_t buf[PKTGEN_MAX];
	size_t len;

	if (g->proto == IPPROTO_NUM_TCP && tcp_numbers(s, g) < 0)
		return -1;
	len = pktgen_build(g, buf);
	s->now++;
	return explain_packet(x, s->pol, s->ft, buf, len, d, s->now);
}

static int show(const struct session *s, const struct explain *x, json_t *arr)
{
	json_t *o;

	if (!s->json) {
		explain_print(x, stdout);
		return 0;
	}
	o = explain_json(x);
	if (!o)
		return -1;
	if (arr)
		return json_array_append_new(arr, o);
	json_dumpf(o, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(o);
	return 0;
}

static int explain_failed(const char *what)
{
	fprintf(stderr, "vpcfw explain: %s: %s\n", what,
		errno == EPROTO ? "the explanation disagrees with the judge (a bug)" :
		strerror(errno));
	return errno == EINVAL ? EXIT_USAGE : EXIT_SYSTEM;
}

/* "in" or "out"; -1 for neither. */
static int dir_of(const char *w)
{
	return !strcmp(w, "in") ? DIR_IN : !strcmp(w, "out") ? DIR_OUT : -1;
}

/* "WORDS... in|out" as one string into g and *d; EXIT_USAGE with why. */
static int packet_words(char **w, size_t n, struct pktgen *g, enum dir *d)
{
	char text[512] = "", err[160];
	size_t i, used = 0;
	int dir = n ? dir_of(w[n - 1]) : -1;

	if (dir < 0) {
		usage("%s", "say the packet and its direction: PROTO SRC -> DST [...] in|out");
		return EXIT_USAGE;
	}
	for (i = 0; i + 1 < n; i++) {
		int k = snprintf(text + used, sizeof(text) - used, "%s%s", i ? " " : "", w[i]);

		if (k < 0 || (size_t)k >= sizeof(text) - used) {
			usage("%s", "the packet's words are too long");
			return EXIT_USAGE;
		}
		used += (size_t)k;
	}
	if (pktgen_parse(g, text, err, sizeof(err)) < 0) {
		usage("bad packet: %s", err);
		return EXIT_USAGE;
	}
	*d = (enum dir)dir;
	return 0;
}

/* ---- modes ---------------------------------------------------------------- */

static int one(struct session *s, struct pktgen *g, enum dir d)
{
	struct explain x;
	int ret;

	if (judge(s, g, d, &x) < 0)
		return explain_failed("cannot judge the packet");
	ret = show(s, &x, NULL) < 0 ? EXIT_SYSTEM : x.v.accept ? EXIT_OK : 1;
	explain_clear(&x);
	return ret;
}

/* One layer's line of the lesson: "request  in  nacl-in   ACCEPT  rule 100 ...". */
static void lesson_line(const char *who, const struct explain *x, const struct explain_layer *L)
{
	printf("%-9s %-3s %-9s %s\n", who, x->dir == DIR_IN ? "in" : "out", L->name, L->result);
}

/*
 * The request, then its reply through the same flow table. full_request:
 * explain the request too (--connection), else one line of it (--reply-of).
 */
static int request_reply(struct session *s, struct pktgen *g, enum dir d, bool connection)
{
	enum dir rd = d == DIR_IN ? DIR_OUT : DIR_IN;
	json_t *arr = s->json ? json_array() : NULL;
	struct explain x[2];
	struct pktgen r;
	int ret = EXIT_OK;
	size_t i, k;

	if (s->json && !arr)
		return EXIT_SYSTEM;
	pktgen_reply(&r, g);
	if (judge(s, g, d, &x[0]) < 0) {
		json_decref(arr);
		return explain_failed("cannot judge the request");
	}
	if (judge(s, &r, rd, &x[1]) < 0) {
		explain_clear(&x[0]);
		json_decref(arr);
		return explain_failed("cannot judge the reply");
	}
	explain_is_reply(&x[1]);
	if (!s->json && !connection)
		printf("request: %s %s %s: %s\n", d == DIR_IN ? "in" : "out", x[0].packet,
		       x[0].v.accept ? "ACCEPT" : "DROP", x[0].decision);
	for (i = connection ? 0 : 1; i < 2; i++) {
		if (!s->json && connection)
			printf("%s%s\n", i ? "\n" : "", i ? "response:" : "request:");
		if (show(s, &x[i], arr) < 0)
			ret = EXIT_SYSTEM;
	}
	if (connection && !s->json) {
		printf("\nthe connection, layer by layer:\n");
		for (i = 0; i < 2; i++)
			for (k = 0; k < x[i].n_layers; k++)
				lesson_line(i ? "response" : "request", &x[i], &x[i].layers[k]);
		printf("%s\n", x[0].v.accept && x[1].v.accept ? "the connection works" :
		       !x[0].v.accept ? "the connection fails: the request is dropped" :
		       "the connection fails: the response is dropped");
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	}
	if (!ret)
		ret = x[1].v.accept && (x[0].v.accept || !connection) ? EXIT_OK : 1;
	explain_clear(&x[0]);
	explain_clear(&x[1]);
	return ret;
}

/* ---- replaying a trace ---------------------------------------------------- */

/*
 * "# rules: OPTIONS" in a trace: the rules of these options from this line
 * on, the flow table kept, as a reload puts new rules in force.
 */
#define RULES_LINE "# rules:"
static int replay_rules(struct session *s, char *opts, const char *file, unsigned ln);

/* "HH:MM:SS.mmm" to milliseconds of the day; -1 if not that. */
static long long clock_ms(const char *w)
{
	unsigned h, m, sec, ms;
	char tail;

	if (sscanf(w, "%2u:%2u:%2u.%3u%c", &h, &m, &sec, &ms, &tail) != 4)
		return -1;
	return ((h * 60LL + m) * 60 + sec) * 1000 + ms;
}

struct trace_line {
	long long ms;
	enum dir dir;
	char packet[256];
	bool accept;
	char decision[512];
	char iface[IF_NAMESIZE];	/* the interface the line names, "" if none */
};

/*
 * A line of `trace --compare`, from the packet on: "PACKET  enforced: ACCEPT
 * DECISION / shadow: DROP DECISION [IFACE]  <-- differ". Keep the side asked
 * for as a plain line would say it ("PACKET ACCEPT: DECISION [IFACE]"), in
 * place; 1: that side judged nothing (no shadow), -1: not such a line.
 */
static int compare_side(char *p, bool shadow)
{
	char *enf = strstr(p, "  enforced: "), *sh, *mark, *end, *side, *side_end;
	char verdict[8], decision[512], iface[IF_NAMESIZE + 8] = "";
	size_t n;

	if (!enf || !(sh = strstr(enf, " / shadow: ")))
		return -1;
	mark = strstr(sh, "  <-- differ");
	if (mark)
		*mark = '\0';
	/* The interface closes the line: " [veth0]", " [eni veth0]". */
	end = sh + strlen(sh);
	if (end > sh && end[-1] == ']') {
		char *open = strrchr(sh, '[');

		if (open && open[-1] == ' ') {
			snprintf(iface, sizeof(iface), " %s", open);
			end = open - 1;
		}
	}
	side = shadow ? sh + strlen(" / shadow: ") : enf + strlen("  enforced: ");
	side_end = shadow ? end : sh;
	if (side_end - side >= 4 && !strncmp(side, "none", 4))
		return 1;
	n = strcspn(side, " ");
	if (n >= sizeof(verdict) || side + n >= side_end)
		return -1;
	snprintf(verdict, sizeof(verdict), "%.*s", (int)n, side);
	snprintf(decision, sizeof(decision), "%.*s", (int)(side_end - side - n - 1), side + n + 1);
	/* Rewritten in place: the plain line is never longer than the compare one. */
	sprintf(enf, " %s: %s%s", verdict, decision, iface);
	return 0;
}

/* Split a line of `vpcfw trace`; 1: not a judged packet (skip), -1: not a trace line. */
static int trace_split(char *line, struct trace_line *t, bool shadow)
{
	char *verdict, *end, *p;
	int dir;

	line[strcspn(line, "\n")] = '\0';
	p = strchr(line, ' ');
	if (!p)
		return -1;
	*p++ = '\0';
	if ((t->ms = clock_ms(line)) < 0)
		return -1;
	p += strspn(p, " ");
	if (*p != 'q' || !(p = strchr(p, ' ')))
		return -1;
	p += strspn(p, " ");
	dir = dir_of((char[4]){ p[0], p[1], p[2] == ' ' ? '\0' : p[2], '\0' });
	if (dir < 0)
		return -1;
	t->dir = (enum dir)dir;
	p = strchr(p, ' ');
	if (!p)
		return -1;
	p += strspn(p, " ");
	if (strstr(p, "  enforced: ")) {
		int k = compare_side(p, shadow);

		if (k)
			return k;
	} else if (shadow) {
		return -1;	/* --shadow wants the lines of trace --compare */
	}
	if (!(verdict = strstr(p, " ACCEPT: ")) && !(verdict = strstr(p, " DROP: ")))
		return -1;
	t->accept = verdict[1] == 'A';
	snprintf(t->packet, sizeof(t->packet), "%.*s", (int)(verdict - p), p);
	p = strchr(verdict + 1, ' ') + 1;
	if (!strncmp(p, "malformed", 9) || !strncmp(p, "unjudged", 8))
		return 1;
	/* The interface the line names: " [veth0]", " [eni veth0]". */
	end = p + strlen(p);
	t->iface[0] = '\0';
	if (end > p && end[-1] == ']') {
		char *open = strrchr(p, '['), *name;

		if (open && open > p && open[-1] == ' ') {
			name = open + 1 + (strncmp(open + 1, "eni ", 4) ? 0 : 4);
			snprintf(t->iface, sizeof(t->iface), "%.*s", (int)(end - 1 - name), name);
			end = open - 1;
		}
	}
	snprintf(t->decision, sizeof(t->decision), "%.*s", (int)(end - p), p);
	return 0;
}

static int replay_one(struct session *s, const struct trace_line *t, const char *file,
		      unsigned ln, size_t *differ)
{
	struct pktgen g;
	struct explain x;
	char err[160];

	if (pktgen_parse(&g, t->packet, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s:%u: cannot replay '%s': %s\n", file, ln, t->packet, err);
		return EXIT_USAGE;
	}
	/* The rules of the interface the line names, as the engine chose them. */
	s->pol = policy_for(s->ps, t->iface[0] ? t->iface : NULL);
	if (judge(s, &g, t->dir, &x) < 0)
		return explain_failed(t->packet);
	if (x.v.accept != t->accept || strcmp(x.decision, t->decision)) {
		(*differ)++;
		printf("%s:%u: differs: %s %s\n  trace:   %s: %s\n  explain: %s: %s\n", file, ln,
		       t->dir == DIR_IN ? "in" : "out", t->packet,
		       t->accept ? "ACCEPT" : "DROP", t->decision,
		       x.v.accept ? "ACCEPT" : "DROP", x.decision);
	}
	explain_clear(&x);
	return 0;
}

static int replay(struct session *s, const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	size_t n = 0, differ = 0, skipped = 0;
	long long last = -1, day = 0, clock = 0;
	struct trace_line t;
	char line[1024];
	unsigned ln = 0;
	int ret = 0, k;

	if (!f) {
		fprintf(stderr, "vpcfw explain: %s: %s\n", file, strerror(errno));
		return EXIT_USAGE;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		ln++;
		if (!strncmp(line, RULES_LINE, strlen(RULES_LINE))) {
			ret = replay_rules(s, line + strlen(RULES_LINE), file, ln);
			continue;
		}
		if (line[0] == '#' || line[strspn(line, " \t\n")] == '\0')
			continue;
		k = trace_split(line, &t, s->shadow);
		if (k < 0) {
			fprintf(stderr, "%s:%u: not a line of vpcfw trace\n", file, ln);
			ret = EXIT_USAGE;
			break;
		}
		if (k > 0) {
			skipped++;
			continue;
		}
		/*
		 * The trace's wall clock (past midnight: one more day) is the
		 * session's. With many queues the lines come queue by queue, so
		 * a line may be a few milliseconds older than the one before it:
		 * that is not midnight, and the clock never runs backwards.
		 */
		if (last >= 0 && t.ms < last - 43200000LL)
			day += 86400000LL;
		last = t.ms;
		if (day + t.ms > clock)
			clock = day + t.ms;
		s->now = (uint64_t)clock + 1000;
		ret = replay_one(s, &t, file, ln, &differ);
		n++;
	}
	if (f != stdin)
		fclose(f);
	if (ret)
		return ret;
	printf("replayed %zu packets: %zu agree, %zu differ; %zu lines not judged skipped\n",
	       n, n - differ, differ, skipped);
	return differ ? 1 : EXIT_OK;
}

/* ---- the command ---------------------------------------------------------- */

enum { OPT_MAP = 256, OPT_ENI, OPT_IFACE, OPT_SUBNET, OPT_VPC, OPT_JUDGE_AWS, OPT_NO_QUOTAS, OPT_REPLY_OF,
       OPT_CONNECTION, OPT_REPLAY, OPT_JSON, OPT_SHADOW, OPT_MAX_FLOWS, OPT_EVICT_UNEST,
       OPT_CONNTRACK };

struct args {
	const char **nacl, **sg, **eni, **iface_nacl, **conntrack;
	size_t n_nacl, n_sg, n_eni, n_iface_nacl, n_conntrack;
	uint64_t max_flows;		/* 0: flow_params_default's */
	bool evict_unestablished;
	const char *iface;
	struct aws_map map;
	struct policy_opts scope;
	bool no_quotas, connection, json, shadow;
	const char *reply_of, *replay;
	char *words[32];	/* the packet's */
	size_t n_words;
};

static int option(struct args *a, int opt, const char *arg)
{
	switch (opt) {
	case 'n':
		if (is_iface_arg(arg))
			return push_file(&a->iface_nacl, &a->n_iface_nacl, arg) < 0 ? EXIT_SYSTEM : 0;
		return push_file(&a->nacl, &a->n_nacl, arg) < 0 ? EXIT_SYSTEM : 0;
	case OPT_ENI:
		return push_file(&a->eni, &a->n_eni, arg) < 0 ? EXIT_SYSTEM : 0;
	case OPT_IFACE:
		a->iface = arg;
		return 0;
	case 's':
		return push_file(&a->sg, &a->n_sg, arg) < 0 ? EXIT_SYSTEM : 0;
	case OPT_MAP:
		if (aws_map_add(&a->map, arg) == 0)
			return 0;
		usage("bad --map '%s' (sg-ID=CIDR[,CIDR...] or pl-ID=...)", arg);
		return EXIT_USAGE;
	case OPT_SUBNET:
		if (policy_opts_add_subnet(&a->scope, arg) == 0)
			return 0;
		usage("bad --subnet '%s' (a CIDR)", arg);
		return EXIT_USAGE;
	case OPT_VPC:
		if (policy_opts_set_vpc(&a->scope, arg) == 0)
			return 0;
		usage("bad --vpc '%s' (an IPv4 CIDR, /28 or wider)", arg);
		return EXIT_USAGE;
	case OPT_JUDGE_AWS:
		a->scope.judge_aws_services = true;
		return 0;
	case OPT_NO_QUOTAS:
		a->no_quotas = true;
		return 0;
	case OPT_REPLY_OF:
		a->reply_of = arg;
		return 0;
	case OPT_CONNECTION:
		a->connection = true;
		return 0;
	case OPT_REPLAY:
		a->replay = arg;
		return 0;
	case OPT_JSON:
		a->json = true;
		return 0;
	case OPT_SHADOW:
		a->shadow = true;
		return 0;
	/* The flow table's, as run's: for a trace of an engine started with them. */
	case OPT_MAX_FLOWS:
		if (num_parse(arg, 1, 1u << 26, &a->max_flows) == 0)
			return 0;
		usage("bad --max-flows '%s' (1 to 67108864)", arg);
		return EXIT_USAGE;
	case OPT_EVICT_UNEST:
		a->evict_unestablished = true;
		return 0;
	case OPT_CONNTRACK: {
		char ifname[CTCONF_IFNAME_MAX], err[128];
		const char *spec;
		int k = ctconf_iface_split(arg, ifname, &spec, err, sizeof(err));

		/*
		 * An interface's own timeouts need the interface (its flows are
		 * keyed by index), which an offline explain does not have.
		 */
		if (k != 0) {
			usage("--conntrack '%s': %s", arg, k < 0 ? err :
			      "an interface's own timeouts are not modelled offline; "
			      "give the host's settings");
			return EXIT_USAGE;
		}
		return push_file(&a->conntrack, &a->n_conntrack, arg) < 0 ? EXIT_SYSTEM : 0;
	}
	}
	usage("%s", "bad option");
	return EXIT_USAGE;
}

static int parse_args(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nacl", required_argument, NULL, 'n' },
		{ "sg", required_argument, NULL, 's' },
		{ "eni", required_argument, NULL, OPT_ENI },
		{ "iface", required_argument, NULL, OPT_IFACE },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "subnet", required_argument, NULL, OPT_SUBNET },
		{ "vpc", required_argument, NULL, OPT_VPC },
		{ "judge-aws-services", no_argument, NULL, OPT_JUDGE_AWS },
		{ "no-quotas", no_argument, NULL, OPT_NO_QUOTAS },
		{ "reply-of", required_argument, NULL, OPT_REPLY_OF },
		{ "connection", no_argument, NULL, OPT_CONNECTION },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "shadow", no_argument, NULL, OPT_SHADOW },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "evict-unestablished", no_argument, NULL, OPT_EVICT_UNEST },
		{ "conntrack", required_argument, NULL, OPT_CONNTRACK },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	/*
	 * Options and the packet's words in any order; "->" is a word, so
	 * getopt stops at each word ('+') and the words are gathered here.
	 */
	for (;;) {
		if (optind < argc && (argv[optind][0] != '-' || !strcmp(argv[optind], "->"))) {
			if (a->n_words == ARRAY_SIZE(a->words)) {
				usage("%s", "too many words");
				return EXIT_USAGE;
			}
			a->words[a->n_words++] = argv[optind++];
			continue;
		}
		opt = getopt_long(argc, argv, "+n:s:", opts, NULL);
		if (opt == -1)
			break;
		ret = option(a, opt, optarg);
		if (ret)
			return ret;
	}
	if (!a->n_nacl && !a->n_sg && !a->n_eni && !a->n_iface_nacl) {
		usage("%s", "no rules: give --nacl FILE and/or --sg FILE");
		return EXIT_USAGE;
	}
	if ((a->reply_of != NULL) + (a->replay != NULL) + a->connection > 1) {
		usage("%s", "--reply-of, --connection and --replay exclude each other");
		return EXIT_USAGE;
	}
	if ((a->reply_of || a->replay) && a->n_words) {
		usage("unexpected argument '%s' (the packet is in --reply-of or the trace)",
		      a->words[0]);
		return EXIT_USAGE;
	}
	if (a->replay && a->iface) {
		usage("%s", "--replay takes each line's interface from the trace: no --iface");
		return EXIT_USAGE;
	}
	if (a->shadow && !a->replay) {
		usage("%s", "--shadow goes with --replay (a trace --compare recording)");
		return EXIT_USAGE;
	}
	if (a->replay && a->json) {
		usage("%s", "--replay prints its differences as text: no --json");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The rules as run loads them (pset_load: the default policy and one per
 * --eni or --nacl IFACE=); offline, an interface need not exist here.
 */
static struct pset *load(const struct args *a)
{
	const struct policy_src src = {
		.nacl_files = a->nacl, .n_nacl = a->n_nacl,
		.sg_files = a->sg, .n_sg = a->n_sg,
		.map = &a->map, .no_quotas = a->no_quotas, .opts = &a->scope,
	};
	const struct pset_args pa = {
		.eni = a->eni, .n_eni = a->n_eni, .nacl = a->iface_nacl, .n_nacl = a->n_iface_nacl,
	};
	struct diag *d = diag_new();
	struct pset *ps;

	if (!d)
		return NULL;
	log_set_level(LOG_LVL_ERR);	/* not "no such interface now": offline, none is */
	ps = pset_load(&src, &pa, false, d);
	diag_print(d, stderr);
	diag_free(d);
	return ps;
}

/* The flow table's parameters as run sets them: cap, eviction, --conntrack in order. */
static int flow_params(const struct args *a, struct flow_params *fp)
{
	struct diag *d = diag_new();
	struct ctconf ct;
	size_t i;
	int ret = 0;

	if (!d)
		return EXIT_SYSTEM;
	flow_params_default(fp);
	if (a->max_flows)
		fp->max_flows = (size_t)a->max_flows;
	fp->evict_unestablished = a->evict_unestablished;
	ctconf_default(&ct);
	for (i = 0; i < a->n_conntrack && !ret; i++)
		ret = ctconf_parse(&ct, a->conntrack[i], d);
	ctconf_to_flow_params(&ct, fp);
	diag_print(d, stderr);
	diag_free(d);
	return ret ? EXIT_USAGE : 0;
}

static void args_free(struct args *a)
{
	free(a->nacl);
	free(a->sg);
	free(a->eni);
	free(a->iface_nacl);
	free(a->conntrack);
	aws_map_free(&a->map);
}

static int replay_rules(struct session *s, char *opts, const char *file, unsigned ln)
{
	char *argv[66], *save = NULL, *w;
	struct args *a, **later;
	struct pset *ps;
	int argc = 0, ret;

	argv[argc++] = "explain";
	for (w = strtok_r(opts, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (argc == 65) {
			fprintf(stderr, "%s:%u: too many words after '%s'\n", file, ln, RULES_LINE);
			return EXIT_USAGE;
		}
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	a = calloc(1, sizeof(*a));
	later = realloc(s->later, (s->n_later + 1) * sizeof(*later));
	if (!a || !later) {
		free(a);
		if (later)
			s->later = later;
		return EXIT_SYSTEM;
	}
	s->later = later;
	s->later[s->n_later++] = a;
	optind = 1;		/* getopt from the start again: the last parse ran to its end */
	ret = parse_args(a, argc, argv);
	if (!ret && (a->n_words || a->replay || a->reply_of || a->connection || a->json ||
		     a->iface || a->max_flows || a->evict_unestablished || a->n_conntrack)) {
		fprintf(stderr, "%s:%u: '%s' takes rule options only\n", file, ln, RULES_LINE);
		ret = EXIT_USAGE;
	}
	if (ret) {
		fprintf(stderr, "%s:%u: bad '%s' line\n", file, ln, RULES_LINE);
		return ret;
	}
	ps = load(a);
	if (!ps) {
		fprintf(stderr, "%s:%u: the rules of this '%s' line do not load\n", file, ln, RULES_LINE);
		return EXIT_USAGE;
	}
	pset_free(s->ps);
	s->ps = ps;
	return 0;
}

static int run(struct args *a)
{
	struct session s = { .now = 1000, .json = a->json, .shadow = a->shadow };
	struct flow_params fp;
	struct pktgen g;
	enum dir d = DIR_IN;
	int ret;

	if (a->reply_of) {
		char *w = strdup(a->reply_of), *save = NULL, *words[32], *t;
		size_t n = 0;

		if (!w)
			return EXIT_SYSTEM;
		for (t = strtok_r(w, " \t", &save); t && n < 32; t = strtok_r(NULL, " \t", &save))
			words[n++] = t;
		ret = packet_words(words, n, &g, &d);
		free(w);
	} else if (!a->replay) {
		ret = packet_words(a->words, a->n_words, &g, &d);
	} else {
		ret = 0;
	}
	if (ret)
		return ret;
	s.ps = load(a);
	if (!s.ps)
		return EXIT_USAGE;
	s.pol = policy_for(s.ps, a->iface);
	ret = flow_params(a, &fp);
	if (ret) {
		pset_free(s.ps);
		return ret;
	}
	s.ft = flow_table_new(&fp);
	if (!s.ft) {
		pset_free(s.ps);
		return EXIT_SYSTEM;
	}
	if (a->replay)
		ret = replay(&s, a->replay);
	else if (a->reply_of || a->connection)
		ret = request_reply(&s, &g, d, a->connection);
	else
		ret = one(&s, &g, d);
	flow_table_free(s.ft);
	pset_free(s.ps);
	while (s.n_later) {
		args_free(s.later[--s.n_later]);
		free(s.later[s.n_later]);
	}
	free(s.later);
	free(s.conv);
	return ret;
}

int cmd_explain(int argc, char **argv)
{
	struct args a;
	int ret;

	memset(&a, 0, sizeof(a));
	ret = parse_args(&a, argc, argv);
	if (!ret)
		ret = run(&a);
	args_free(&a);
	return ret;
}
