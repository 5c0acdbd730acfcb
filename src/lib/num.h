/*
 * Numbers typed by people: "80", "3600". One parser for every number the
 * command line and the control socket take, so that none of them wraps
 * ("4294967376" is not 80) or reads an empty word as 0.
 */
#ifndef VPCFW_NUM_H
#define VPCFW_NUM_H

#include <stdint.h>

/*
 * Parse s as a decimal number in [min, max]: digits only (no sign, no
 * blanks, no empty string). 0, or -1 with errno EINVAL (not a number) or
 * ERANGE (a number outside the range); *out is untouched on failure.
 */
int num_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
