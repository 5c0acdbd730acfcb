/*
 * --conntrack (see ctconf.h): AWS's three connection-tracking timeouts,
 * their ranges as EC2's ModifyNetworkInterfaceAttribute enforces them, and
 * the ConnectionTrackingConfiguration of describe-network-interfaces.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctconf.h"
#include "fileio.h"
#include "num.h"

struct ctconf_key {
	const char *word;	/* on the command line */
	const char *aws;	/* in ConnectionTrackingConfiguration */
	uint32_t min, max;	/* AWS's range, seconds */
	size_t off;		/* in struct ctconf */
};

/* Sorted by word (ctconf_key_find). */
static const struct ctconf_key ctconf_keys[] = {
	{ "tcp-established", "TcpEstablishedTimeout", 60, 432000,
	  offsetof(struct ctconf, tcp_established_s) },
	{ "udp", "UdpTimeout", 30, 60, offsetof(struct ctconf, udp_s) },
	{ "udp-stream", "UdpStreamTimeout", 60, 180,
	  offsetof(struct ctconf, udp_stream_s) },
};

#define CTCONF_NITRO_V6	"nitro-v6"

void ctconf_default(struct ctconf *c)
{
	c->tcp_established_s = 432000;
	c->udp_stream_s = 180;
	c->udp_s = 30;
}

void ctconf_to_flow_params(const struct ctconf *c, struct flow_params *p)
{
	p->tcp_established_s = c->tcp_established_s;
	p->udp_stream_s = c->udp_stream_s;
	p->udp_s = c->udp_s;
}

static uint32_t *ctconf_field(struct ctconf *c, const struct ctconf_key *k)
{
	return (uint32_t *)((char *)c + k->off);
}

/* The key named by the n bytes at w, or NULL. */
static const struct ctconf_key *ctconf_key_find(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(ctconf_keys) / sizeof(ctconf_keys[0]); i++)
		if (strlen(ctconf_keys[i].word) == n &&
		    !memcmp(ctconf_keys[i].word, w, n))
			return &ctconf_keys[i];
	return NULL;
}

/* Is the first word of arg (up to '=' or ',') one of ours? */
static bool ctconf_is_list(const char *arg)
{
	size_t n = strcspn(arg, "=,");

	return ctconf_key_find(arg, n) ||
	       (n == strlen(CTCONF_NITRO_V6) && !strncmp(arg, CTCONF_NITRO_V6, n));
}

int ctconf_iface_split(const char *arg, char ifname[CTCONF_IFNAME_MAX], const char **spec,
		       char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;

	if (!eq || ctconf_is_list(arg) || memchr(arg, '/', n) || memchr(arg, ',', n))
		return 0;
	if (!n || n >= CTCONF_IFNAME_MAX || !eq[1]) {
		snprintf(err, errlen, "%s", !n ? "no interface before '='" :
			 eq[1] ? "interface name longer than 15 characters" :
			 "no settings after the interface's '='");
		errno = EINVAL;
		return -1;
	}
	memcpy(ifname, arg, n);
	ifname[n] = '\0';
	*spec = eq + 1;
	return 1;
}

/* One item of the list: "nitro-v6" or "KEY=S". */
static int ctconf_item(struct ctconf *c, char *item, struct diag *d)
{
	const struct ctconf_key *k;
	char *eq = strchr(item, '=');
	uint64_t v;

	if (!strcmp(item, CTCONF_NITRO_V6)) {
		c->tcp_established_s = CTCONF_NITRO_V6_TCP_ESTABLISHED_S;
		return 0;
	}
	k = eq ? ctconf_key_find(item, (size_t)(eq - item)) : NULL;
	if (!k) {
		diag_error(d, "--conntrack", "'%s': not tcp-established=S, udp-stream=S, "
			   "udp=S or nitro-v6", item);
		return -1;
	}
	if (num_parse(eq + 1, k->min, k->max, &v) < 0) {
		diag_error(d, "--conntrack", "'%s': %s (%s: %u to %u seconds)", item,
			   errno == ERANGE ? "out of range" : "not a number of seconds",
			   k->word, k->min, k->max);
		return -1;
	}
	*ctconf_field(c, k) = (uint32_t)v;
	return 0;
}

static int ctconf_parse_list(struct ctconf *c, const char *arg, struct diag *d)
{
	struct ctconf t = *c;
	char *copy = strdup(arg), *save = NULL, *item;
	int ret = 0;

	if (!copy)
		return -1;
	if (!*arg || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
		diag_error(d, "--conntrack", "'%s': an empty item", arg);
		ret = -1;
	}
	for (item = strtok_r(copy, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save))
		ret = ctconf_item(&t, item, d);
	free(copy);
	if (ret < 0) {
		errno = EINVAL;
		return -1;
	}
	*c = t;
	return 0;
}

static int ctconf_load(struct ctconf *c, const char *name, const char *buf,
		       size_t len, struct ctconf_local *l, struct diag *d);

static int ctconf_parse_file(struct ctconf *c, const char *path, struct ctconf_local *l,
			     struct diag *d)
{
	char *buf;
	size_t len;
	int ret, err;

	if (file_read_regular(path, &buf, &len) < 0) {
		err = errno;
		diag_error(d, path, "cannot read it: %s", file_read_error(err));
		errno = err;
		return -1;
	}
	ret = ctconf_load(c, path, buf, len, l, d);
	err = errno;
	free(buf);
	errno = err;
	return ret;
}

int ctconf_parse_local(struct ctconf *c, const char *arg, struct ctconf_local *l,
		       struct diag *d)
{
	if (l)
		l->n = 0;
	if (ctconf_is_list(arg))
		return ctconf_parse_list(c, arg, d);
	return ctconf_parse_file(c, arg, l, d);
}

int ctconf_parse(struct ctconf *c, const char *arg, struct diag *d)
{
	return ctconf_parse_local(c, arg, NULL, d);
}

/* ---- describe-network-interfaces ---------------------------------- */

struct ctconf_json {
	const char *name;
	struct diag *d;
	unsigned errors;
	struct ctconf_local *l;		/* NULL: no local interfaces */
	struct ctconf_local out;	/* what l gets on success */
};

static void ctj_error(struct ctconf_json *j, size_t i, const char *field,
		      const char *what, const struct ctconf_key *k)
{
	diag_add(j->d, DIAG_ERROR, j->name, 0, 0, NULL,
		 "NetworkInterfaces[%zu].ConnectionTrackingConfiguration%s%s: %s"
		 " (%u to %u seconds)", i, field ? "." : "", field ? field : "",
		 what, k ? k->min : 0, k ? k->max : 0);
	j->errors++;
}

/* One interface's settings into *out (fields left out: from *base). */
static int ctj_interface(struct ctconf_json *j, size_t i, json_t *ctc,
			 const struct ctconf *base, struct ctconf *out)
{
	size_t n;

	*out = *base;
	if (!json_is_object(ctc)) {
		diag_add(j->d, DIAG_ERROR, j->name, 0, 0, NULL,
			 "NetworkInterfaces[%zu].ConnectionTrackingConfiguration: "
			 "not an object", i);
		j->errors++;
		return -1;
	}
	for (n = 0; n < sizeof(ctconf_keys) / sizeof(ctconf_keys[0]); n++) {
		const struct ctconf_key *k = &ctconf_keys[n];
		json_t *v = json_object_get(ctc, k->aws);
		json_int_t x;

		if (!v)
			continue;
		if (!json_is_integer(v)) {
			ctj_error(j, i, k->aws, "not a whole number of seconds", k);
			continue;
		}
		x = json_integer_value(v);
		if (x < k->min || x > k->max) {
			ctj_error(j, i, k->aws, "out of range", k);
			continue;
		}
		*ctconf_field(out, k) = (uint32_t)x;
	}
	return 0;
}

/* The index in j->l->macs of entry i's MacAddress, or -1 (not local, or none). */
static long ctj_local(struct ctconf_json *j, json_t *ni)
{
	const char *mac = json_string_value(json_object_get(ni, "MacAddress"));
	size_t k;

	for (k = 0; mac && j->l && k < j->l->n_macs; k++)
		if (!strcasecmp(mac, j->l->macs[k]))
			return (long)k;
	return -1;
}

/* Entry i names local interface k: its settings are that interface's. */
static void ctj_nic(struct ctconf_json *j, size_t i, json_t *ni, size_t k,
		    const struct ctconf *base)
{
	json_t *ctc = json_object_get(ni, "ConnectionTrackingConfiguration");
	const char *id = json_string_value(json_object_get(ni, "NetworkInterfaceId"));
	struct ctconf_nic *n;
	size_t m;

	for (m = 0; m < j->out.n; m++)
		if (j->out.nic[m].mac == k) {
			diag_add(j->d, DIAG_ERROR, j->name, 0, 0, NULL,
				 "NetworkInterfaces[%zu]: MacAddress %s is named twice", i,
				 j->l->macs[k]);
			j->errors++;
			return;
		}
	if (j->out.n == CTCONF_NICS_MAX)
		return;
	n = &j->out.nic[j->out.n];
	memset(n, 0, sizeof(*n));
	n->mac = k;
	n->ct = *base;
	if (id && strlen(id) < sizeof(n->id) && !strpbrk(id, " \t\n"))
		strcpy(n->id, id);
	if (ctc && ctj_interface(j, i, ctc, base, &n->ct) < 0)
		return;
	j->out.n++;
}

static void ctj_root(struct ctconf_json *j, json_t *root, struct ctconf *c)
{
	json_t *ifs = json_object_get(root, "NetworkInterfaces");
	struct ctconf first = *c, one;
	size_t i, seen = 0, first_i = 0;
	json_t *ni;

	if (!json_is_array(ifs)) {
		diag_error(j->d, j->name, "no NetworkInterfaces array: not the output of "
			   "`aws ec2 describe-network-interfaces`");
		j->errors++;
		return;
	}
	json_array_foreach(ifs, i, ni) {
		json_t *ctc = json_object_get(ni, "ConnectionTrackingConfiguration");
		long k = ctj_local(j, ni);

		if (k >= 0) {
			ctj_nic(j, i, ni, (size_t)k, c);
			continue;
		}
		if (!ctc || ctj_interface(j, i, ctc, c, &one) < 0)
			continue;
		if (seen++ == 0) {
			first = one;
			first_i = i;
		} else if (memcmp(&one, &first, sizeof(one))) {
			diag_add(j->d, DIAG_ERROR, j->name, 0, 0, NULL,
				 "NetworkInterfaces[%zu] and [%zu]: different "
				 "ConnectionTrackingConfiguration; one table serves the "
				 "host: give one interface's", first_i, i);
			j->errors++;
		}
	}
	*c = first;
}

int ctconf_load_buffer(struct ctconf *c, const char *name, const char *buf,
		       size_t len, struct diag *d)
{
	return ctconf_load(c, name, buf, len, NULL, d);
}

static int ctconf_load(struct ctconf *c, const char *name, const char *buf,
		       size_t len, struct ctconf_local *l, struct diag *d)
{
	struct ctconf_json j = { .name = name, .d = d, .l = l };
	struct ctconf t = *c;
	json_error_t err;
	json_t *root;

	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		diag_add(d, DIAG_ERROR, name, err.line > 0 ? (unsigned)err.line : 0,
			 err.column > 0 ? (unsigned)err.column : 0, NULL,
			 "invalid JSON: %s", err.text);
		j.errors++;
	} else if (!json_is_object(root)) {
		diag_error(d, name, "the top level is not an object: not the output "
			   "of `aws ec2 describe-network-interfaces`");
		j.errors++;
	} else {
		ctj_root(&j, root, &t);
	}
	json_decref(root);
	if (j.errors) {
		errno = EINVAL;
		return -1;
	}
	*c = t;
	if (l) {
		memcpy(l->nic, j.out.nic, sizeof(l->nic));
		l->n = j.out.n;
	}
	return 0;
}
