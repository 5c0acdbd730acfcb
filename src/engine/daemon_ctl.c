/* The engine's answers on the control socket, and rule (re)loading. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/timerfd.h>
#include <netinet/in.h>


#include "daemon_int.h"
#include "policy_rcu.h"
#include "guard.h"
#include "load.h"
#include "num.h"
#include "log.h"
#include "notify.h"

void file_set_clear(struct file_set *fs)
{
	size_t i;

	for (i = 0; i < fs->n_nacl; i++)
		free(fs->nacl[i]);
	for (i = 0; i < fs->n_sg; i++)
		free(fs->sg[i]);
	free(fs->nacl);
	free(fs->sg);
	if (fs->stdin_copy)
		unlink(fs->stdin_copy);
	free(fs->stdin_copy);
	memset(fs, 0, sizeof(*fs));
}

void daemon_policy_src(const struct daemon *d, const struct file_set *fs,
		       struct policy_src *src)
{
	*src = (struct policy_src){
		.nacl_files = (const char *const *)fs->nacl, .n_nacl = fs->n_nacl,
		.sg_files = (const char *const *)fs->sg, .n_sg = fs->n_sg,
		.map = &d->cfg->map,
		/* Never wait on a FIFO or a device: the control thread reads them. */
		.regular_only = true,
		.no_quotas = d->cfg->no_quotas,
		.opts = &d->cfg->scope,
	};
}

struct pset *daemon_load_policy(struct daemon *d, const struct file_set *fs,
				struct diag *dg)
{
	struct policy_src src;
	const struct pset_args a = {
		.eni = d->cfg->eni, .n_eni = d->cfg->n_eni,
		.nacl = d->cfg->iface_nacl, .n_nacl = d->cfg->n_iface_nacl,
	};

	daemon_policy_src(d, fs, &src);
	/* At start (no set yet) an unknown interface is an error. */
	return pset_load(&src, &a, !d->pset, dg);
}

/* Put np in force; the old policy is returned once no packet is judged by it. */
static struct pset *swap_policy(struct daemon *d, struct pset *np)
{
	/* Once it returns, every burst judged by the old rules has finished. */
	struct pset *old = policy_rcu_swap(&d->pset, np);

	d->generation++;
	d->loaded_at = time(NULL);
	notify_send("READY=1\nSTATUS=judging packets, rules generation %u", d->generation);
	return old;
}

/*
 * Load fs fully; on any error print every message to out (the client who
 * asked) and fail. The log only names the files and counts their errors:
 * a message quotes the file, which may be one only root may read (a
 * request naming /etc/shadow), and the journal has more readers.
 */
static struct pset *load_or_report(struct daemon *d, const struct file_set *fs,
				     const char *what, FILE *out)
{
	struct diag *dg = diag_new();
	struct pset *np;

	if (!dg)
		return NULL;
	np = daemon_load_policy(d, fs, dg);
	if (!np)
		daemon_load_report(dg, what, out);
	diag_free(dg);
	return np;
}

void daemon_load_report(struct diag *dg, const char *what, FILE *out)
{
	char sum[512];

	diag_print(dg, out);
	diag_summary(dg, sum, sizeof(sum));
	log_err("%s refused: %s", what, sum);
}

#define GUARD_MAX_SESSIONS 256

/* One session: refuse (with the reason on out and in the log) if np would cut it. */
static bool guard_one(const struct pset *np, const struct guard_session *s,
		      const char *what, FILE *out)
{
	char why[512];
	size_t i;
	bool cut;

	/*
	 * Which interface the session uses is not known here: any policy of
	 * the set that would cut it refuses the rules (--force overrides).
	 */
	cut = guard_would_cut(np->def, s, why, sizeof(why));
	for (i = 0; i < np->n && !cut; i++)
		cut = guard_would_cut(np->eni[i].pol, s, why, sizeof(why));
	if (!cut)
		return false;
	fprintf(out, "refused: %s (%s); --force to go ahead anyway\n", why, what);
	log_err("rules refused: %s (%s)", why, what);
	return true;
}

/*
 * Is the session's server address one of this network namespace's? A
 * request from an SSH session to another namespace (a test or the demo
 * started from a shell on the host) is no session of ours to protect.
 */
static bool session_is_here(const struct guard_session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret;

	memset(&ss, 0, sizeof(ss));
	if (s->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, s->local, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, s->local, 16);
		len = sizeof(*in6);
	}
	fd = socket(s->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	ret = bind(fd, (struct sockaddr *)&ss, len);
	close(fd);
	return ret == 0 || errno != EADDRNOTAVAIL;
}

/*
 * The lock-out guard: would np cut the SSH session the request came from
 * (ssh, as in $SSH_CONNECTION, or NULL) or any established SSH session of
 * this host? Returns true when np must be refused.
 */
bool daemon_guard(const struct pset *np, const char *ssh, bool force, FILE *out)
{
	struct guard_session s, *all;
	bool cut = false;
	int i, n;

	if (force)
		return false;
	if (ssh && guard_session_from_env(ssh, &s) == 0 && session_is_here(&s))
		cut |= guard_one(np, &s, "the session this request came from", out);
	all = calloc(GUARD_MAX_SESSIONS, sizeof(*all));
	if (!all)
		return cut;
	n = guard_sessions_listening("/proc", GUARD_SSH_PORT, all, GUARD_MAX_SESSIONS);
	for (i = 0; i < n && !cut; i++)
		cut |= guard_one(np, &all[i], "an established SSH session", out);
	free(all);
	return cut;
}

/* The words "force" and "ssh=CLIENT CPORT SERVER SPORT" of a request. */
static void guard_args(char *const *argv, bool *force, char *ssh, size_t len)
{
	size_t i;

	*force = false;
	ssh[0] = '\0';
	for (i = 1; argv[i]; i++) {
		if (!strcmp(argv[i], "force") || !strcmp(argv[i], "force=1"))
			*force = true;
		else if (!strncmp(argv[i], "ssh=", 4) && strlen(argv[i] + 4) < len)
			strcpy(ssh, argv[i] + 4);
	}
}

static int reload_guarded(struct daemon *d, char *const *argv, FILE *out)
{
	struct policy *nsp = NULL;
	struct flow_params fp;
	struct ct_ifaces ifs;
	struct pset *np;
	char ssh[128];
	bool force;

	if (d->rollback_policy) {
		fprintf(out, "an apply is pending: `vpcfw confirm` it, or wait for the rollback\n");
		return -1;
	}
	notify_send("RELOADING=1");
	guard_args(argv, &force, ssh, sizeof(ssh));
	np = load_or_report(d, &d->files, "reload", out);
	if (np && daemon_guard(np, *ssh ? ssh : NULL, force, out)) {
		pset_free(np);
		np = NULL;
	}
	/* The shadow's files too: all of them good, or nothing changes. */
	if (np && daemon_shadow_files(d) &&
	    !(nsp = daemon_shadow_load(d, &d->shadow_files, "reload", out))) {
		pset_free(np);
		np = NULL;
	}
	/* --conntrack FILE is read again: the settings may have changed. */
	if (np && daemon_flow_params(d->cfg, &fp, &ifs, false, out) < 0) {
		pset_free(np);
		np = NULL;
	}
	if (!np) {
		policy_free(nsp);
		d->reloads_failed++;
		log_err("reload refused: the rules in force stay (generation %u)",
			d->generation);
		notify_send("READY=1\nSTATUS=reload refused, rules generation %u stay",
			    d->generation);
		return -1;
	}
	pset_free(swap_policy(d, np));
	daemon_timeouts_apply(d, &fp, &ifs);
	if (nsp && daemon_shadow_put(d, nsp) < 0)
		fprintf(out, "the shadow rules could not be put in place: %s\n", strerror(errno));
	d->reloads_ok++;
	log_info("reload: new rules in force (generation %u)", d->generation);
	fprintf(out, "new rules in force (generation %u)\n", d->generation);
	return 0;
}

void daemon_reload_logged(struct daemon *d)
{
	char *const argv[] = { "reload", NULL };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	/* What a client would be told goes nowhere: the log has the outcome. */
	if (!out)
		return;
	reload_guarded(d, argv, out);
	fclose(out);
	free(text);
}

static int ctl_reload(void *ctx, char *const *argv, FILE *out)
{
	return reload_guarded(ctx, argv, out);
}

static int push_path(char ***list, size_t *n, const char *path)
{
	char **nl = realloc(*list, (*n + 1) * sizeof(*nl));

	if (!nl)
		return -1;
	*list = nl;
	if (!(nl[*n] = strdup(path)))
		return -1;
	(*n)++;
	return 0;
}

/*
 * A file given to apply without --nacl or --sg takes the layers it holds:
 * a JSON file its kind, a native file each of its sections.
 */
static int push_auto(struct file_set *fs, const char *path)
{
	unsigned take = load_probe(path, LOAD_REGULAR);

	/* Unreadable or empty: the loader says what is wrong with it, by name. */
	if (!take)
		take = RULES_TAKE_SG;
	if ((take & RULES_TAKE_NACL) && push_path(&fs->nacl, &fs->n_nacl, path) < 0)
		return -1;
	if ((take & RULES_TAKE_SG) && push_path(&fs->sg, &fs->n_sg, path) < 0)
		return -1;
	return 0;
}

/*
 * Is path a copy `vpcfw apply -` made (apply_stdin.c): CTL_STDIN_PREFIX and
 * mkstemp's 6 characters, right in the directory of the control socket ctl
 * (no '..' or symlink on the way), a regular file of one link? The engine
 * loads the file and later removes it: nothing else may be named.
 */
static bool stdin_copy_ours(const char *ctl, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t plen = strlen(CTL_STDIN_PREFIX), k;
	char real[PATH_MAX];
	struct stat st;

	if (path[0] != '/' || strncmp(base + 1, CTL_STDIN_PREFIX, plen) ||
	    strlen(base + 1) != plen + 6)
		return false;
	for (k = 0; k < 6; k++)
		if (!isalnum((unsigned char)base[1 + plen + k]))
			return false;
	/* The directory as apply_stdin.c spells it. */
	if (ctl_socket_dir(ctl, real, sizeof(real)) < 0 || (size_t)(base - path) != strlen(real) ||
	    strncmp(path, real, strlen(real)))
		return false;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
}

/*
 * stdin=PATH: a file `vpcfw apply -` wrote from its standard input, which
 * the set owns from now on (file_set_clear removes it). Only such a file
 * is taken (stdin_copy_ours): the engine removes nothing else.
 */
static int push_stdin_copy(struct file_set *fs, const char *ctl, const char *path,
			   FILE *out)
{
	if (fs->stdin_copy || !stdin_copy_ours(ctl, path)) {
		fprintf(out, "bad apply request: 'stdin=%s' (one " CTL_STDIN_PREFIX
			"* file of `vpcfw apply -`, beside the control socket)\n", path);
		return -1;
	}
	fs->stdin_copy = strdup(path);
	if (!fs->stdin_copy)
		return -1;
	return push_auto(fs, path);
}

/* One word of an apply request; -1 with the reason on out. */
static int apply_word(const char *w, const char *ctl, struct file_set *fs, unsigned *secs,
		      FILE *out)
{
	const char *v = strchr(w, '=');
	uint64_t n;

	if (!strcmp(w, "force") || !strncmp(w, "force=", 6) || !strncmp(w, "ssh=", 4) ||
	    !strcmp(w, "shadow"))
		return 0;		/* the guard's, or the kind of apply */
	if (!v || !v[1]) {
		fprintf(out, "bad apply request: '%s' (KEY=VALUE expected)\n", w);
		return -1;
	}
	v++;
	if (!strncmp(w, "confirm=", 8)) {
		if (num_parse(v, 1, 3600, &n) < 0) {
			fprintf(out, "bad apply request: 'confirm=%s' (1 to 3600 seconds)\n", v);
			return -1;
		}
		*secs = (unsigned)n;
		return 0;
	}
	if (!strncmp(w, "nacl=", 5))
		return push_path(&fs->nacl, &fs->n_nacl, v);
	if (!strncmp(w, "sg=", 3))
		return push_path(&fs->sg, &fs->n_sg, v);
	if (!strncmp(w, "file=", 5))
		return push_auto(fs, v);
	if (!strncmp(w, "stdin=", 6))
		return push_stdin_copy(fs, ctl, v, out);
	fprintf(out, "bad apply request: unknown word '%.*s'\n", (int)(v - 1 - w), w);
	return -1;
}

/*
 * "confirm=SECONDS nacl=PATH sg=PATH file=PATH ...": the files of an apply;
 * with "shadow", of one for the shadow, which takes no confirm=.
 */
int daemon_parse_apply(const struct daemon *d, char *const *argv, struct file_set *fs,
		       unsigned *secs, bool shadow, FILE *out)
{
	size_t i;

	*secs = 0;
	for (i = 1; argv[i]; i++)
		if (apply_word(argv[i], d->cfg->ctl_path, fs, secs, out) < 0)
			return -1;
	if (!shadow && *secs && (fs->n_nacl || fs->n_sg))
		return 0;
	if (shadow && !*secs && (fs->n_nacl || fs->n_sg))
		return 0;
	if (shadow)
		fprintf(out, "bad apply request (shadow: at least one nacl=, sg= or file= file, "
			"and no confirm=: the shadow enforces nothing)\n");
	else
		fprintf(out, "bad apply request (confirm=1-3600 and at least one nacl=, sg= "
			"or file= file)\n");
	return -1;
}

/* Is word w among the request's? */
static bool has_word(char *const *argv, const char *w)
{
	for (; *argv; argv++)
		if (!strcmp(*argv, w))
			return true;
	return false;
}

static void apply_timer_arm(struct daemon *d, unsigned secs)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = secs;
	timerfd_settime(d->apply_timer_fd, 0, &its, NULL);
}

/*
 * `vpcfw apply --confirm SECONDS`: put other rule files in force now and go
 * back to the rules before them unless `vpcfw confirm` comes in time
 * (iptables-apply, a router's commit confirmed). Flows survive both ways.
 */
static int ctl_apply(void *ctx, char *const *argv, FILE *out)
{
	struct daemon *d = ctx;
	struct file_set fs = { NULL, 0, NULL, 0, NULL };
	struct pset *np;
	char ssh[128];
	unsigned secs;
	bool force;

	if (has_word(argv + 1, "shadow"))
		return daemon_apply_shadow(d, argv, out);
	if (d->rollback_policy) {
		fprintf(out, "an apply is already pending: confirm it or wait for the rollback\n");
		return -1;
	}
	if (daemon_parse_apply(d, argv, &fs, &secs, false, out) < 0) {
		file_set_clear(&fs);
		return -1;
	}
	np = load_or_report(d, &fs, "apply", out);
	guard_args(argv, &force, ssh, sizeof(ssh));
	if (np && daemon_guard(np, *ssh ? ssh : NULL, force, out)) {
		pset_free(np);
		np = NULL;
	}
	if (!np) {
		file_set_clear(&fs);
		log_err("apply refused: the rules in force stay (generation %u)", d->generation);
		return -1;
	}
	/* What the change does, said before it is made (the control thread is the only writer). */
	urcu_memb_read_lock();
	daemon_print_diff(policy_rcu_get(&d->pset), np, out);
	policy_rcu_unlock(&d->pset);
	d->rollback_policy = swap_policy(d, np);
	d->apply_files = fs;
	apply_timer_arm(d, secs);
	log_info("apply: new rules in force (generation %u); back to the previous rules in "
		 "%u s unless confirmed", d->generation, secs);
	fprintf(out, "new rules in force (generation %u); `vpcfw confirm` within %u s keeps them, "
		"otherwise the previous rules come back\n", d->generation, secs);
	return 0;
}

static int ctl_confirm(void *ctx, char *const *argv, FILE *out)
{
	struct daemon *d = ctx;

	if (!d->rollback_policy) {
		fprintf(out, "nothing to confirm: no apply is pending\n");
		return -1;
	}
	apply_timer_arm(d, 0);
	pset_free(d->rollback_policy);
	d->rollback_policy = NULL;
	/* From now on reload reads the applied files. */
	file_set_clear(&d->files);
	d->files = d->apply_files;
	memset(&d->apply_files, 0, sizeof(d->apply_files));
	log_info("confirm: the applied rules stay (generation %u)", d->generation);
	fprintf(out, "the applied rules stay (generation %u)\n", d->generation);
	return 0;
}

void daemon_on_apply_timer(struct daemon *d)
{
	uint64_t ticks;

	if (read(d->apply_timer_fd, &ticks, sizeof(ticks)) < 0 || !d->rollback_policy)
		return;
	pset_free(swap_policy(d, d->rollback_policy));
	d->rollback_policy = NULL;
	file_set_clear(&d->apply_files);
	log_warn("apply not confirmed in time: the previous rules are back (generation %u)",
		 d->generation);
}

static void snapshot_counters(const struct judge_counters *c, struct judge_counters *o)
{
	const uint64_t *src = (const uint64_t *)c;
	uint64_t *dst = (uint64_t *)o;
	size_t i;

	for (i = 0; i < sizeof(*o) / sizeof(uint64_t); i++)
		dst[i] = rd(&src[i]);
}

/* A copy of every counter, for rendering outside the packet path's way. */
static int engine_snapshot(struct daemon *d, struct show_engine *e)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->q = calloc(d->nq, sizeof(*e->q));
	if (!e->q)
		return -1;
	e->pid = (int)getpid();
	e->uptime_s = (now_ms() - d->started_ms) / 1000;
	e->fail_closed = d->cfg->fail_closed;
	e->generation = d->generation;
	e->reloads_ok = d->reloads_ok;
	e->reloads_failed = d->reloads_failed;
	flow_table_stats(d->flows, &e->fs);
	e->tracers = d->n_tracers;
	e->bypass_known = daemon_unjudged(d) == 0;
	e->bypassed = d->unj.value;
	e->nq = d->nq;
	for (i = 0; i < d->nq; i++) {
		struct show_queue *q = &e->q[i];

		q->num = queue_num(d->qt[i].q);
		queue_get_stats(d->qt[i].q, &q->qs);
		queue_kernel_stats(q->num, &q->ks);
		snapshot_counters(&d->qt[i].c, &q->jc);
	}
	return 0;
}

/* The files of IFACE=FILE,... among args (the interface is there). */
static const char *own_files(const char *const *args, size_t n, const char *ifname)
{
	size_t i, len = strlen(ifname);

	for (i = 0; i < n; i++)
		if (!strncmp(args[i], ifname, len) && args[i][len] == '=')
			return args[i] + len + 1;
	return "?";
}

/*
 * `status`: one line per ENI, its interface and its files (as given to
 * --eni), or the eni statement that binds it, its groups and ENI id.
 */
static void show_enis(const struct daemon *d, const struct pset *ps, FILE *out)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		const struct eni_pol *e = &ps->eni[i];

		fprintf(out, "eni %s (ifindex %u):", e->ifname, e->ifindex);
		if (e->bind) {
			const struct ruleset *rs = policy_ruleset(ps->def);
			size_t k;

			fprintf(out, " %s sg", e->eni_id[0] ? e->eni_id : "(no eni id)");
			for (k = 0; k < e->bind->n_groups; k++)
				fprintf(out, " %s", rs->groups[e->bind->groups[k]].id);
			fprintf(out, " (eni statement of %s:%u)", e->bind->origin.file ?
				e->bind->origin.file : "?", e->bind->origin.line);
		} else if (e->own_sg)
			fprintf(out, " sg %s", own_files(d->cfg->eni, d->cfg->n_eni, e->ifname));
		if (e->own_nacl)
			fprintf(out, " nacl %s", own_files(d->cfg->iface_nacl,
							   d->cfg->n_iface_nacl, e->ifname));
		fprintf(out, "\n");
	}
}

static int ctl_show_stats(struct daemon *d, enum show_format fmt, FILE *out)
{
	const struct pset *ps;
	struct show_engine e;

	if (engine_snapshot(d, &e) < 0)
		return -1;
	urcu_memb_read_lock();
	ps = policy_rcu_get(&d->pset);
	daemon_shadow_show(d, ps, &e.shadow);
	show_stats(&e, ps->def, fmt, out);
	if (fmt == SHOW_TEXT)
		show_enis(d, ps, out);
	policy_rcu_unlock(&d->pset);
	free(e.q);
	return 0;
}

static int ctl_status(void *ctx, char *const *argv, FILE *out)
{
	return ctl_show_stats(ctx, SHOW_TEXT, out);
}

/*
 * The filter words of a request, joined for the filter parser, which splits
 * on spaces: a word holding a space is no filter word.
 */
int daemon_filter_parse(char *const *w, unsigned keys, struct filter *f,
			char *err, size_t errlen)
{
	char buf[256];
	size_t used = 0;

	buf[0] = '\0';
	for (; *w; w++) {
		int n;

		if (strchr(*w, ' ')) {
			snprintf(err, errlen, "'%s': a filter word holds no space", *w);
			return -1;
		}
		n = snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? " " : "", *w);
		if (n < 0 || (size_t)n >= sizeof(buf) - used) {
			snprintf(err, errlen, "longer than %zu bytes", sizeof(buf) - 1);
			return -1;
		}
		used += (size_t)n;
	}
	return filter_parse(f, buf, keys, err, errlen);
}

/*
 * The default policy's rules, then, in text only, each interface's own
 * under a line naming it (JSON and metrics keep their one-policy shape).
 */
static void show_all_rules(const struct pset *ps, enum show_format fmt, FILE *out)
{
	size_t i;

	show_rules(ps->def, fmt, out);
	for (i = 0; fmt == SHOW_TEXT && i < ps->n; i++) {
		fprintf(out, "\n# eni %s\n", ps->eni[i].ifname);
		show_rules(ps->eni[i].pol, fmt, out);
	}
}

/* "show stats|rules|flows|metrics [json] [summary] [flow filters...]" */
static int ctl_show(void *ctx, char *const *argv, FILE *out)
{
	struct daemon *d = ctx;
	enum show_format fmt = SHOW_TEXT;
	const char *what = argv[1] ? argv[1] : "";
	struct filter f;
	char err[160];
	bool summary = false;
	int ret = 0;

	argv += argv[1] ? 2 : 1;
	if (*argv && !strcmp(*argv, "json")) {
		fmt = SHOW_JSON;
		argv++;
	}
	/* The flows counted by state, not listed: what `vpcfw top` asks every second. */
	if (!strcmp(what, "flows") && *argv && !strcmp(*argv, "summary")) {
		summary = true;
		argv++;
	}
	if (!strcmp(what, "stats"))
		return ctl_show_stats(d, fmt, out);
	if (!strcmp(what, "metrics"))
		return ctl_show_stats(d, SHOW_PROMETHEUS, out);
	if (!strcmp(what, "rules") && *argv && !strcmp(*argv, "shadow"))
		return daemon_shadow_rules(d, fmt, out);
	if (!strcmp(what, "flows") &&
	    daemon_filter_parse(argv, FILTER_IFACE, &f, err, sizeof(err)) < 0) {
		fprintf(out, "bad flow filter: %s (proto=P addr=A[/N] port=0-65535 iface=NAME)\n",
			err);
		return -1;
	}
	if (!strcmp(what, "flows"))
		daemon_offload_refresh(d);
	urcu_memb_read_lock();
	if (!strcmp(what, "rules"))
		show_all_rules(policy_rcu_get(&d->pset), fmt, out);
	else if (!strcmp(what, "flows") && summary)
		ret = show_flows_summary(d->flows, now_ms(), &f, fmt, out);
	else if (!strcmp(what, "flows"))
		ret = show_flows(d->flows, policy_rcu_get(&d->pset), now_ms(), &f, fmt, out);
	else
		ret = -2;
	policy_rcu_unlock(&d->pset);
	if (ret == -2)
		fprintf(out, "show what? stats, rules, flows or metrics\n");
	return ret < 0 ? -1 : 0;
}

static int ctl_zero(void *ctx, char *const *argv, FILE *out)
{
	struct daemon *d = ctx;
	const struct pset *ps;
	size_t i;

	urcu_memb_read_lock();
	ps = policy_rcu_get(&d->pset);
	policy_zero_hits(ps->def);
	for (i = 0; i < ps->n; i++)
		policy_zero_hits(ps->eni[i].pol);
	/* The control thread alone replaces the shadow: no lock to read it here. */
	if (d->shadow)
		policy_zero_hits(d->shadow->pol);
	policy_rcu_unlock(&d->pset);
	fprintf(out, "rule counters zeroed\n");
	return 0;
}

/* ---- trace listeners (control thread only) ------------------------------- */
const struct ctl_cmd daemon_ctl_cmds[] = {
	{ "status", ctl_status, NULL },
	{ "reload", ctl_reload, NULL },
	{ "apply", ctl_apply, NULL },
	{ "confirm", ctl_confirm, NULL },
	{ "show", ctl_show, NULL },
	{ "zero", ctl_zero, NULL },
	{ "trace", NULL, daemon_ctl_trace },
};
const size_t daemon_n_ctl_cmds = ARRAY_SIZE(daemon_ctl_cmds);
