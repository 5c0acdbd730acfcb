/*
 * The lab's plan (lab.h): the model as records a shell reads with `read`
 * (src/vpcfw-lab builds the lab from it) and as JSON for other programs.
 * Rule files are printed as absolute paths, so that the plan means the
 * same from any folder (reload runs long after up, from anywhere).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lab.h"

/* The absolute path when the file exists, else as written. */
static const char *abs_path(const char *path, char buf[PATH_MAX])
{
	return realpath(path, buf) ? buf : path;
}

static char *v4_str(const uint8_t a[4], char buf[INET_ADDRSTRLEN])
{
	return (char *)inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN);
}

static char *v6_str(const uint8_t a[16], char buf[INET6_ADDRSTRLEN])
{
	return (char *)inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* The router's IPv6 address in a subnet: its /64's ::1. */
static char *gateway6(const struct lab_subnet *s, char buf[INET6_ADDRSTRLEN])
{
	uint8_t a[16];

	memcpy(a, s->cidr6.addr, 16);
	a[15] = 1;
	return v6_str(a, buf);
}

/* The subnet's first usable address, the VPC router's in AWS (base + 1). */
static void gateway(const struct lab_subnet *s, uint8_t a[4])
{
	memcpy(a, s->cidr.addr, 4);
	a[3] = (uint8_t)(a[3] + 1);
}

static void print_list(FILE *out, char **v, size_t n, bool paths)
{
	char buf[PATH_MAX];
	size_t i;

	if (!n)
		fputs(" -", out);
	for (i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : " ", paths ? abs_path(v[i], buf) : v[i]);
}

void lab_print(const struct lab *lab, FILE *out)
{
	char c[CIDR_STRLEN], a[INET6_ADDRSTRLEN], buf[PATH_MAX];
	uint8_t gw[4];
	size_t i, j;

	/* The IPv6 records (vpc6, subnet6, address6) are apart, after their
	 * IPv4 ones, so that an IPv4 lab's plan is as it always was. */
	fprintf(out, "lab %s\n", lab->name);
	fprintf(out, "file %s\n", abs_path(lab->path, buf));
	fprintf(out, "vpc %s\n", cidr_format(&lab->vpc, c, sizeof(c)));
	if (lab->vpc6.family)
		fprintf(out, "vpc6 %s\n", cidr_format(&lab->vpc6, c, sizeof(c)));
	for (i = 0; i < lab->n_subnets; i++) {
		const struct lab_subnet *s = &lab->subnets[i];

		gateway(s, gw);
		fprintf(out, "subnet %s %s %s %s %s %s\n", s->name, cidr_format(&s->cidr, c, sizeof(c)),
			s->public ? "public" : "private", v4_str(gw, a), abs_path(s->nacl, buf),
			s->nat ? "nat" : "-");
		if (s->cidr6.family)
			fprintf(out, "subnet6 %s %s %s\n", s->name, cidr_format(&s->cidr6, c, sizeof(c)),
				gateway6(s, a));
	}
	for (i = 0; i < lab->n_inst; i++) {
		const struct lab_instance *in = &lab->inst[i];

		gateway(&lab->subnets[in->subnet], gw);
		fprintf(out, "instance %s %s %s", in->name, lab->subnets[in->subnet].name,
			v4_str(in->addr, a));
		fprintf(out, " %s", v4_str(gw, a));
		print_list(out, in->groups, in->n_groups, false);
		print_list(out, in->sg, in->n_sg, true);
		fputc('\n', out);
		if (in->has6)
			fprintf(out, "address6 %s %s\n", in->name, v6_str(in->addr6, a));
		for (j = 0; j < in->n_svc; j++) {
			const struct lab_service *sv = &in->svc[j];

			if (sv->kind == LAB_SVC_COMMAND)
				fprintf(out, "service %s command %s\n", in->name, sv->command);
			else
				fprintf(out, "service %s %s %u\n", in->name,
					sv->kind == LAB_SVC_TCP ? "tcp" : "udp", sv->port);
		}
	}
	for (i = 0; i < lab->n_inet; i++) {
		fprintf(out, "internet %s %s\n", lab->inet[i].name, v4_str(lab->inet[i].addr, a));
		if (lab->inet[i].has6)
			fprintf(out, "address6 %s %s\n", lab->inet[i].name, v6_str(lab->inet[i].addr6, a));
	}
	for (i = 0; i < lab->map.n; i++) {
		fprintf(out, "map %s ", lab->map.e[i].id);
		for (j = 0; j < lab->map.e[i].n; j++)
			fprintf(out, "%s%s", j ? "," : "", cidr_format(&lab->map.e[i].cidrs[j], c, sizeof(c)));
		fputc('\n', out);
	}
}

static json_t *str_array(char **v, size_t n, bool paths)
{
	json_t *arr = json_array();
	char buf[PATH_MAX];
	size_t i;

	for (i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(paths ? abs_path(v[i], buf) : v[i]));
	return arr;
}

static json_t *services(const struct lab_instance *in)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < in->n_svc; i++) {
		const struct lab_service *sv = &in->svc[i];

		json_array_append_new(arr, sv->kind == LAB_SVC_COMMAND ?
				      json_pack("{s:s}", "command", sv->command) :
				      json_pack("{s:s, s:i}", "proto", sv->kind == LAB_SVC_TCP ? "tcp" : "udp",
						"port", (int)sv->port));
	}
	return arr;
}

int lab_print_json(const struct lab *lab, FILE *out)
{
	char c[CIDR_STRLEN], a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN], buf[PATH_MAX];
	json_t *root, *subnets, *inst, *inet, *map;
	uint8_t gw[4];
	size_t i, j;
	int r;

	subnets = json_array();
	inst = json_array();
	inet = json_array();
	map = json_object();
	root = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "lab", lab->name,
			 "file", abs_path(lab->path, buf), "vpc", cidr_format(&lab->vpc, c, sizeof(c)),
			 "subnets", subnets, "instances", inst, "internet", inet, "map", map);
	if (!root) {
		errno = ENOMEM;
		return -1;
	}
	if (lab->vpc6.family)
		json_object_set_new(root, "vpc6", json_string(cidr_format(&lab->vpc6, c, sizeof(c))));
	for (i = 0; i < lab->n_subnets; i++) {
		const struct lab_subnet *s = &lab->subnets[i];
		json_t *o;

		gateway(s, gw);
		o = json_pack("{s:s, s:s, s:b, s:b, s:s, s:s}",
			"name", s->name, "cidr", cidr_format(&s->cidr, c, sizeof(c)),
			"public", s->public, "nat", s->nat, "gateway", v4_str(gw, a),
			"nacl", abs_path(s->nacl, buf));
		if (o && s->cidr6.family) {
			json_object_set_new(o, "cidr6", json_string(cidr_format(&s->cidr6, c, sizeof(c))));
			json_object_set_new(o, "gateway6", json_string(gateway6(s, a6)));
		}
		json_array_append_new(subnets, o);
	}
	for (i = 0; i < lab->n_inst; i++) {
		const struct lab_instance *in = &lab->inst[i];

		json_t *o;

		gateway(&lab->subnets[in->subnet], gw);
		o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}",
			"name", in->name, "subnet", lab->subnets[in->subnet].name,
			"address", v4_str(in->addr, a), "gateway", v4_str(gw, g),
			"groups", str_array(in->groups, in->n_groups, false),
			"sg", str_array(in->sg, in->n_sg, true), "services", services(in));
		if (o && in->has6)
			json_object_set_new(o, "address6", json_string(v6_str(in->addr6, a6)));
		json_array_append_new(inst, o);
	}
	for (i = 0; i < lab->n_inet; i++) {
		json_t *o = json_pack("{s:s, s:s}", "name", lab->inet[i].name,
				      "address", v4_str(lab->inet[i].addr, a));

		if (o && lab->inet[i].has6)
			json_object_set_new(o, "address6", json_string(v6_str(lab->inet[i].addr6, a6)));
		json_array_append_new(inet, o);
	}
	for (i = 0; i < lab->map.n; i++) {
		json_t *arr = json_array();

		for (j = 0; arr && j < lab->map.e[i].n; j++)
			json_array_append_new(arr, json_string(cidr_format(&lab->map.e[i].cidrs[j], c, sizeof(c))));
		json_object_set_new(map, lab->map.e[i].id, arr);
	}
	r = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return r;
}
