/*
 * Printing a difference: one line per box,
 *   "+ nacl-in  tcp from 0.0.0.0/0 port 443  now allowed (nacl-in:120 allow; was nacl-in:* deny)"
 *   "- sg-out   udp to 10.0.0.0/8 port 53  no longer allowed (was sg-out:sg-web#3; now sg-out:none)"
 *   "+ nacl-in  udp from 0.0.0.0/0 later fragments  now allowed (...)"
 * or one JSON object with the same facts as fields.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rdiff.h"
#include "textbuf.h"

static const char *layer_word(const struct rdiff_line *l)
{
	if (l->layer == VL_NACL)
		return l->dir == DIR_IN ? "nacl-in" : "nacl-out";
	return l->dir == DIR_IN ? "sg-in" : "sg-out";
}

static void put_range(struct textbuf *t, const char *word, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		textbuf_put(t, "%s %u", word, lo);
	else
		textbuf_put(t, "%s %u-%u", word, lo, hi);
}

static void put_proto(struct textbuf *t, const struct rdiff_line *l)
{
	const char *name = proto_name(l->proto_lo);

	if (l->proto_lo == 0 && l->proto_hi == 255)
		textbuf_put(t, "all");
	else if (l->proto_lo == l->proto_hi && name)
		textbuf_put(t, "%s", name);
	else
		put_range(t, "proto", l->proto_lo, l->proto_hi);
}

/*
 * " port 443", " type 3 code 4", " later fragments", "" (every packet of
 * the protocols, fragments too).
 */
static void put_service(struct textbuf *t, const struct rdiff_line *l)
{
	if (l->pkts == RDIFF_FRAGS) {
		textbuf_put(t, " later fragments");
	} else if (l->pkts & RDIFF_FRAGS) {
		return;
	} else if (rdiff_line_ports(l)) {
		put_range(t, " port", l->a_lo, l->a_hi);
	} else if (!rdiff_line_icmp(l)) {
		/* A protocol whose rules name types its packets never carry. */
		textbuf_put(t, " except later fragments");
	} else if (rdiff_line_icmp(l) && l->a_hi <= 255) {
		if (l->a_lo != 0 || l->a_hi != 255)
			put_range(t, " type", l->a_lo, l->a_hi);
		if (l->b_lo != 0 || l->b_hi != 255)
			put_range(t, " code", l->b_lo, l->b_hi);
	}
}

struct cidr_text {
	struct textbuf *t;
	bool first;
	json_t *arr;
};

static void put_cidr(const struct cidr *c, void *arg)
{
	struct cidr_text *ct = arg;
	char buf[CIDR_STRLEN];

	cidr_format(c, buf, sizeof(buf));
	if (ct->arr) {
		json_array_append_new(ct->arr, json_string(buf));
		return;
	}
	textbuf_put(ct->t, "%s%s", ct->first ? "" : ",", buf);
	ct->first = false;
}

static void put_peers(struct textbuf *t, const struct rdiff_line *l, json_t *arr)
{
	struct cidr_text ct = { t, true, arr };
	size_t i;

	for (i = 0; i < l->n_peers; i++)
		rdiff_range_cidrs(l->family, &l->peers[i], put_cidr, &ct);
}

static int print_line(const struct rdiff_line *l, FILE *out)
{
	struct textbuf t;
	char *buf;
	size_t len = 512 + l->n_peers * 2 * 128 * CIDR_STRLEN;
	int ret;

	buf = malloc(len);
	if (!buf)
		return -1;
	textbuf_init(&t, buf, len);
	textbuf_put(&t, "%c %-8s ", l->admit ? '+' : '-', layer_word(l));
	put_proto(&t, l);
	textbuf_put(&t, " %s ", l->dir == DIR_IN ? "from" : "to");
	put_peers(&t, l, NULL);
	put_service(&t, l);
	if (l->admit)
		textbuf_put(&t, "  now allowed (%s; was %s)", l->new_rule, l->old_rule);
	else
		textbuf_put(&t, "  no longer allowed (was %s; now %s)", l->old_rule, l->new_rule);
	ret = fprintf(out, "%s\n", buf) < 0 ? -1 : 0;
	free(buf);
	return ret;
}

static json_t *pair(uint32_t lo, uint32_t hi)
{
	return json_pack("[ii]", (json_int_t)lo, (json_int_t)hi);
}

static json_t *json_line(const struct rdiff_line *l)
{
	char proto[32];
	struct textbuf t;
	json_t *o, *peers = json_array();

	textbuf_init(&t, proto, sizeof(proto));
	put_proto(&t, l);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s}",
		      "change", l->admit ? "+" : "-",
		      "layer", l->layer == VL_NACL ? "nacl" : "sg",
		      "direction", l->dir == DIR_IN ? "in" : "out",
		      "family", l->family == AF_INET ? "ipv4" : "ipv6",
		      "protocol", proto,
		      "protocols", pair(l->proto_lo, l->proto_hi),
		      "old", l->old_rule, "new", l->new_rule);
	if (!o || !peers) {
		json_decref(o);
		json_decref(peers);
		return NULL;
	}
	json_object_set_new(o, "first_packets", json_boolean(l->pkts & RDIFF_HEADER));
	json_object_set_new(o, "later_fragments", json_boolean(l->pkts & RDIFF_FRAGS));
	if (l->pkts == RDIFF_FRAGS)
		;	/* no ports or types */
	else if (rdiff_line_ports(l))
		json_object_set_new(o, "ports", pair(l->a_lo, l->a_hi));
	else if (rdiff_line_icmp(l)) {
		json_object_set_new(o, "icmp_types", pair(l->a_lo, l->a_hi > 255 ? 255 : l->a_hi));
		json_object_set_new(o, "icmp_codes", pair(l->b_lo, l->b_hi));
	}
	put_peers(NULL, l, peers);
	json_object_set_new(o, "peers", peers);
	return o;
}

static int print_json(const struct rdiff *rd, FILE *out)
{
	json_t *top, *arr = json_array();
	size_t i;
	int ret;

	for (i = 0; arr && i < rd->n; i++) {
		json_t *o = json_line(&rd->v[i]);

		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			errno = ENOMEM;
			return -1;
		}
	}
	top = json_pack("{s:b,s:I,s:o}", "complete", !rd->cut,
			"count", (json_int_t)rd->n, "changes", arr);
	if (!top) {
		errno = ENOMEM;
		return -1;
	}
	ret = json_dumpf(top, out, JSON_INDENT(2)) < 0 || fputc('\n', out) == EOF ? -1 : 0;
	json_decref(top);
	if (ret < 0)
		errno = EIO;
	return ret;
}

int rdiff_print(const struct rdiff *rd, unsigned flags, FILE *out)
{
	size_t i;

	if (!rd || !out) {
		errno = EINVAL;
		return -1;
	}
	if (flags & RDIFF_JSON)
		return print_json(rd, out);
	for (i = 0; i < rd->n; i++)
		if (print_line(&rd->v[i], out) < 0)
			return -1;
	if (rd->cut && fprintf(out, "note: the difference is incomplete: its work budget "
			       "(%llu rule tests) ran out; the lines above are true, others "
			       "may be missing\n", (unsigned long long)rd->steps) < 0)
		return -1;
	return 0;
}
