/*
 * vpcfw fetch: the rules AWS enforces for one EC2 instance, read through the
 * AWS CLI and written as one native rule file. The instance's interfaces
 * give its security groups and its subnet, the subnet its network ACL; the
 * groups' rules name other groups and prefix lists, which a single host
 * cannot know, so fetch asks for their addresses too (the members'
 * private addresses, the lists' entries) and hands them to the one loader
 * as --map would: the JSON is loaded exactly as `vpcfw convert` loads it,
 * and the library's printer writes the result, with comments naming where
 * each part came from.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_json.h"
#include "cmds.h"
#include "diag.h"
#include "exitcode.h"
#include "fetch_int.h"
#include "load.h"
#include "rules.h"
#include "ruleset.h"

static int PRINTF_FMT(1, 2) usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, FETCH_ME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: " FETCH_ME " " CMD_FETCH_USAGE "\n");
	return EXIT_USAGE;
}

/* One comment line; AWS's strings may hold anything, a comment only text. */
void fetch_note(struct fetch *f, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(f->notes, "# %s\n", line);
}

/* An AWS id as the API writes them: PREFIX then letters and digits. */
static bool id_ok(const char *s, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (!s || strncmp(s, prefix, n) || !s[n] || strlen(s) > 64)
		return false;
	for (i = n; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

const char *fetch_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- the calls -------------------------------------------------------- */

/*
 * One call; its JSON in *root (kept in f) and, when text is given, its
 * text. EXIT_OK, or the exit status with the message printed.
 */
int fetch_call(struct fetch *f, const char *const *args, json_t **root,
		char **text, size_t *len)
{
	char why[2304], *out;
	json_error_t je;
	size_t n;

	if (fetch_aws_run(&f->aws, args, &out, &n, why, sizeof(why)) < 0) {
		fprintf(stderr, FETCH_ME ": aws ec2 %s failed: %s\n", args[0],
			errno == ENOMEM ? strerror(errno) : why);
		return EXIT_SYSTEM;
	}
	*root = json_loadb(out, n, 0, &je);
	if (!*root || !json_is_object(*root)) {
		fprintf(stderr, FETCH_ME ": aws ec2 %s: its output is not a JSON object "
			"(line %d: %s)\n", args[0], je.line, *root ? "not an object" : je.text);
		json_decref(*root);
		free(out);
		return EXIT_SYSTEM;
	}
	if (f->n_roots == ARRAY_SIZE(f->roots)) {	/* cannot be: FETCH_MAX_IDS bounds the calls */
		json_decref(*root);
		free(out);
		return EXIT_SYSTEM;
	}
	f->roots[f->n_roots++] = *root;
	if (text) {
		*text = out;
		*len = n;
	} else {
		free(out);
	}
	return EXIT_OK;
}

/* A list argument of the CLI: the ids as separate words after the option. */
void fetch_push_ids(const char **args, size_t *n, const char *const *ids, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		args[(*n)++] = ids[i];
	args[*n] = NULL;
}

/* "Name=KEY,Values=a,b,c" for --filters. */
char *fetch_filter_arg(const char *key, const char *const *ids, size_t count)
{
	char *s = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&s, &len);

	if (!m)
		return NULL;
	fprintf(m, "Name=%s,Values=", key);
	for (i = 0; i < count; i++)
		fprintf(m, "%s%s", i ? "," : "", ids[i]);
	if (fclose(m) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int fetch_instance(struct fetch *f)
{
	const char *args[] = { "describe-instances", "--instance-ids", f->instance, NULL };
	json_t *root, *res;
	int ret = fetch_call(f, args, &root, NULL, NULL);

	if (ret)
		return ret;
	res = json_array_get(json_object_get(root, "Reservations"), 0);
	f->inst = json_array_get(json_object_get(res, "Instances"), 0);
	if (!f->inst || strcmp(fetch_jstr(f->inst, "InstanceId") ? fetch_jstr(f->inst, "InstanceId") : "",
			       f->instance)) {
		fprintf(stderr, FETCH_ME ": aws ec2 describe-instances did not describe %s\n",
			f->instance);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

long fetch_device_index(const json_t *eni)
{
	json_t *d = json_object_get(json_object_get(eni, "Attachment"), "DeviceIndex");

	return json_is_integer(d) ? (long)json_integer_value(d) : -1;
}

/* The instance's interfaces, as describe-network-interfaces tells them. */
static int fetch_interfaces(struct fetch *f)
{
	const char *args[4 + FETCH_MAX_IDS] = { "describe-network-interfaces",
					  "--network-interface-ids" };
	json_t *list = json_object_get(f->inst, "NetworkInterfaces"), *e, *root;
	size_t n = 2, i;
	long best = 0;
	int ret;

	json_array_foreach(list, i, e) {
		if (!id_ok(fetch_jstr(e, "NetworkInterfaceId"), "eni-") || n >= 2 + FETCH_MAX_IDS) {
			fprintf(stderr, FETCH_ME ": %s: an interface without a usable id\n", f->instance);
			return EXIT_SYSTEM;
		}
		args[n++] = fetch_jstr(e, "NetworkInterfaceId");
	}
	if (n == 2) {
		fprintf(stderr, FETCH_ME ": %s has no network interface\n", f->instance);
		return EXIT_SYSTEM;
	}
	args[n] = NULL;
	ret = fetch_call(f, args, &root, NULL, NULL);
	if (ret)
		return ret;
	f->enis = json_object_get(root, "NetworkInterfaces");
	/* The primary interface is device 0; failing that, the lowest index. */
	json_array_foreach(f->enis, i, e)
		if (!f->primary || (fetch_device_index(e) >= 0 && fetch_device_index(e) < best)) {
			f->primary = e;
			best = fetch_device_index(e) < 0 ? 1L << 30 : fetch_device_index(e);
		}
	if (!f->primary || !id_ok(fetch_jstr(f->primary, "SubnetId"), "subnet-")) {
		fprintf(stderr, FETCH_ME ": %s: no interface with a subnet in the answer\n",
			f->instance);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

static void add_unique(const char **set, size_t *n, const char *id)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(set[i], id))
			return;
	if (*n < FETCH_MAX_IDS)
		set[(*n)++] = id;
}

/* The groups and prefix lists one direction's permissions name. */
static int scan_refs(struct fetch *f, const json_t *perms)
{
	json_t *p, *x;
	size_t i, j;

	json_array_foreach(perms, i, p) {
		json_array_foreach(json_object_get(p, "UserIdGroupPairs"), j, x) {
			if (!id_ok(fetch_jstr(x, "GroupId"), "sg-"))
				return -1;
			add_unique(f->refs, &f->n_refs, fetch_jstr(x, "GroupId"));
		}
		json_array_foreach(json_object_get(p, "PrefixListIds"), j, x) {
			if (!id_ok(fetch_jstr(x, "PrefixListId"), "pl-"))
				return -1;
			add_unique(f->pls, &f->n_pls, fetch_jstr(x, "PrefixListId"));
		}
	}
	return f->n_refs < FETCH_MAX_IDS && f->n_pls < FETCH_MAX_IDS ? 0 : -1;
}

static int fetch_groups(struct fetch *f)
{
	const char *args[4 + FETCH_MAX_IDS] = { "describe-security-groups", "--group-ids" };
	json_t *g, *root;
	size_t n = 2, i;
	int ret;

	json_array_foreach(json_object_get(f->primary, "Groups"), i, g) {
		if (!id_ok(fetch_jstr(g, "GroupId"), "sg-") || n >= 2 + FETCH_MAX_IDS) {
			fprintf(stderr, FETCH_ME ": %s: a group without a usable id\n",
				fetch_jstr(f->primary, "NetworkInterfaceId"));
			return EXIT_SYSTEM;
		}
		args[n++] = fetch_jstr(g, "GroupId");
	}
	if (n == 2) {
		fprintf(stderr, FETCH_ME ": %s has no security group\n",
			fetch_jstr(f->primary, "NetworkInterfaceId"));
		return EXIT_SYSTEM;
	}
	args[n] = NULL;
	ret = fetch_call(f, args, &root, &f->sg_text, &f->sg_len);
	if (ret)
		return ret;
	json_array_foreach(json_object_get(root, "SecurityGroups"), i, g)
		if (scan_refs(f, json_object_get(g, "IpPermissions")) < 0 ||
		    scan_refs(f, json_object_get(g, "IpPermissionsEgress")) < 0) {
			fprintf(stderr, FETCH_ME ": %s: a reference without a usable id, or more than "
				"%d\n", fetch_jstr(g, "GroupId"), FETCH_MAX_IDS - 1);
			return EXIT_SYSTEM;
		}
	return EXIT_OK;
}

static int fetch_nacl(struct fetch *f)
{
	const char *subnet = fetch_jstr(f->primary, "SubnetId");
	char *filter = fetch_filter_arg("association.subnet-id", &subnet, 1);
	const char *args[] = { "describe-network-acls", "--filters", filter, NULL };
	json_t *root;
	int ret;

	if (!filter)
		return EXIT_SYSTEM;
	ret = fetch_call(f, args, &root, &f->nacl_text, &f->nacl_len);
	free(filter);
	if (ret)
		return ret;
	f->nacl = json_array_get(json_object_get(root, "NetworkAcls"), 0);
	if (json_array_size(json_object_get(root, "NetworkAcls")) != 1) {
		fprintf(stderr, FETCH_ME ": aws ec2 describe-network-acls found %zu network ACLs for "
			"%s, not one\n", json_array_size(json_object_get(root, "NetworkAcls")),
			subnet);
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/* ---- load and write ---------------------------------------------------- */

static int load_all(struct fetch *f, struct ruleset *rs, struct diag *d)
{
	const struct load_opts o = { .flags = LOAD_JSON, .map = &f->map };

	load_buffer(rs, "describe-network-acls", f->nacl_text, f->nacl_len, &o, d, NULL);
	load_buffer(rs, "describe-security-groups", f->sg_text, f->sg_len, &o, d, NULL);
	return diag_errors(d) ? -1 : 0;
}

/* The whole text, then one write: a failed fetch leaves nothing half written. */
static int write_text(const struct fetch *f, const char *text, size_t len)
{
	char *tmp = NULL;
	mode_t mask;
	FILE *out;
	int fd;

	if (!f->output) {
		if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
			goto fail;
		return 0;
	}
	if (asprintf(&tmp, "%s.XXXXXX", f->output) < 0) {
		tmp = NULL;
		goto fail;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	mask = umask(0);
	umask(mask);
	out = fdopen(fd, "w");
	if (!out || fchmod(fd, 0644 & ~mask) < 0 || fwrite(text, 1, len, out) != len ||
	    fflush(out) != 0 || fsync(fd) != 0) {
		if (out)
			fclose(out);
		else
			close(fd);
		unlink(tmp);
		goto fail;
	}
	if (fclose(out) != 0 || rename(tmp, f->output) < 0) {
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	fprintf(stderr, FETCH_ME ": cannot write %s: %s\n", f->output ? f->output : "the output",
		strerror(errno));
	free(tmp);
	return -1;
}

static int finish(struct fetch *f)
{
	struct ruleset *rs = ruleset_new();
	struct diag *d = diag_new();
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int ret = EXIT_SYSTEM;

	if (!rs || !d)
		goto out;
	if (load_all(f, rs, d) < 0) {
		diag_print(d, stderr);
		fprintf(stderr, FETCH_ME ": the AWS CLI's answers do not load (above): nothing "
			"written\n");
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	diag_print(d, stderr);
	if (fflush(f->notes) != 0 || !(m = open_memstream(&text, &len)))
		goto out;
	fprintf(m, "%s\n", f->notes_text);
	rules_print(rs, m);
	if (fclose(m) != 0)
		goto out;
	ret = write_text(f, text, len) < 0 ? EXIT_SYSTEM : EXIT_OK;
out:
	free(text);
	diag_free(d);
	ruleset_free(rs);
	return ret;
}

/* ---- the command ------------------------------------------------------- */

static int parse_args(struct fetch *f, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "instance", required_argument, NULL, 'i' },
		{ "region", required_argument, NULL, 'r' },
		{ "profile", required_argument, NULL, 'p' },
		{ "endpoint-url", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'i': f->instance = optarg; break;
		case 'r': f->aws.region = optarg; break;
		case 'p': f->aws.profile = optarg; break;
		case 'e': f->aws.endpoint_url = optarg; break;
		case 'o': f->output = optarg; break;
		default: return usage("bad option");
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (!f->instance)
		return usage("say which instance: --instance i-...");
	if (!id_ok(f->instance, "i-"))
		return usage("bad --instance '%s' (i- and then letters and digits)", f->instance);
	return 0;
}

int cmd_fetch(int argc, char **argv)
{
	struct fetch f;
	int ret;
	size_t i;

	memset(&f, 0, sizeof(f));
	ret = parse_args(&f, argc, argv);
	if (ret)
		return ret;
	f.notes = open_memstream(&f.notes_text, &f.notes_len);
	if (!f.notes)
		return EXIT_SYSTEM;
	if (!(ret = fetch_instance(&f)) && !(ret = fetch_interfaces(&f)) &&
	    !(ret = fetch_groups(&f)) && !(ret = fetch_nacl(&f))) {
		fetch_note_start(&f);
		if (!(ret = fetch_prefix_lists(&f)) && !(ret = fetch_members(&f)))
			ret = finish(&f);
	}
	fclose(f.notes);
	free(f.notes_text);
	free(f.sg_text);
	free(f.nacl_text);
	for (i = 0; i < f.n_roots; i++)
		json_decref(f.roots[i]);
	aws_map_free(&f.map);
	return ret;
}
