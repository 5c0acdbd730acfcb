/* Decimal numbers, range-checked without ever wrapping. */
#include <errno.h>

#include "num.h"

static int num_fail(int e)
{
	errno = e;
	return -1;
}

int num_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !*s)
		return num_fail(EINVAL);
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return num_fail(EINVAL);
	for (p = s; *p; p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		/* v * 10 + digit > max, asked without computing it (no wrap). */
		if (digit > max || v > (max - digit) / 10)
			return num_fail(ERANGE);
		v = v * 10 + digit;
	}
	if (v < min)
		return num_fail(ERANGE);
	*out = v;
	return 0;
}
