/*
 * libFuzzer harness for the AWS CLI JSON importer (`make fuzz`, tests/fuzz/),
 * through the public header alone; also Terraform `show -json` output and
 * CloudFormation templates (JSON and YAML), which the same detection reads.
 *
 * The input is a describe-network-acls or describe-security-groups output,
 * loaded as `vpcfw check` does (the kind from its top-level key) and also
 * as the other kind, with a fixed --map. A clean load is linted, written in
 * the native language, and that text must load back cleanly to the same
 * rules (vpcfw_rules_equal); then it is compiled as the engine would. Any
 * difference aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpcfw/vpcfw.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void print_and_parse(const struct vpcfw_rules *r, const struct vpcfw_maps *maps)
{
	struct vpcfw_load how = { .format = VPCFW_FORMAT_NATIVE, .maps = maps };
	struct vpcfw_rules *back = vpcfw_rules_new();
	struct vpcfw_diag *d = vpcfw_diag_new();
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!back || !d || !(f = open_memstream(&text, &len)))
		abort();
	if (vpcfw_rules_write(r, VPCFW_FORMAT_NATIVE, f) < 0)
		abort();
	fclose(f);
	if (vpcfw_rules_load_buffer(back, "printed", text, len, &how, d) < 0 ||
	    !vpcfw_rules_equal(r, back)) {
		vpcfw_diag_print(d, stderr);
		fprintf(stderr, "the print does not parse back to the same rules:\n%s", text);
		abort();
	}
	free(text);
	vpcfw_diag_free(d);
	vpcfw_rules_free(back);
}

/* Returns the layer the text was loaded for: the kind it was read as. */
static unsigned load(const uint8_t *data, size_t size, enum vpcfw_format format,
		     const struct vpcfw_maps *maps)
{
	struct vpcfw_load how = { .format = format, .maps = maps };
	struct vpcfw_rules *r = vpcfw_rules_new();
	struct vpcfw_diag *d = vpcfw_diag_new();
	unsigned layers;
	int ret;

	if (!r || !d)
		abort();
	ret = vpcfw_rules_load_buffer(r, "fuzz", data, size, &how, d);
	layers = vpcfw_rules_layers(r);
	if (ret == 0) {
		if (vpcfw_rules_lint(r, d) < 0)
			abort();
		print_and_parse(r, maps);
		/* vpcfw_policy_compile takes r over, and frees it even when it fails. */
		vpcfw_policy_free(vpcfw_policy_compile(r, 0, d));
		r = NULL;
	}
	vpcfw_rules_free(r);
	vpcfw_diag_free(d);
	return layers;
}

/* JSON, as the format detection sees it: a UTF-8 BOM, spaces, then '{'. */
static bool is_json(const uint8_t *data, size_t size)
{
	size_t i = size >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? 3 : 0;

	while (i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
		i++;
	return i < size && data[i] == '{';
}

/* A YAML CloudFormation template, as the detection sees it: a line "Resources:". */
static bool yaml_template(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i + 10 <= size; i++)
		if ((i == 0 || data[i - 1] == '\n') && !memcmp(data + i, "Resources:", 10))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpcfw_maps *maps = vpcfw_maps_new();

	if (!maps || vpcfw_maps_add(maps, "sg-1=10.1.0.0/16,2001:db8::/32") < 0 ||
	    vpcfw_maps_add(maps, "pl-1=192.0.2.0/24") < 0 ||
	    vpcfw_maps_add(maps, "sg-0123456789abcdef0=10.0.1.0/24") < 0 ||
	    vpcfw_maps_add(maps, "sg-0fedcba9876543210=10.0.0.0/24") < 0 ||
	    vpcfw_maps_add_param(maps, "AdminCidr=198.51.100.0/24") < 0)
		abort();
	/* The kind its top-level key says, then the other kind. */
	if (is_json(data, size))
		load(data, size, load(data, size, VPCFW_FORMAT_AUTO, maps) == VPCFW_LAYER_NACL ?
			  VPCFW_FORMAT_AWS_SG : VPCFW_FORMAT_AWS_NACL, maps);
	else if (yaml_template(data, size))
		load(data, size, VPCFW_FORMAT_AUTO, maps);	/* a YAML template */
	vpcfw_maps_free(maps);
	return 0;
}
