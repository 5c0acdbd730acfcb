/*
 * Replays inputs through a libFuzzer harness built as a plain program, so
 * that `make check` runs every corpus seed and every crash ever found
 * (tests/fuzz/corpus/NAME, tests/fuzz/regressions/NAME) without clang.
 * With arguments, replays those files instead. A crash is the failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

#ifndef FUZZ_DIR
#error "FUZZ_DIR: tests/fuzz in the source tree"
#endif
#ifndef FUZZ_NAME
#error "FUZZ_NAME: the harness (pkt, rules, aws_json)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
	size_t len;
	char *buf;

	if (file_read_all(path, &buf, &len) < 0) {
		perror(path);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return 0;
}

/* Every file of dir (absent: none); returns how many, or -1. */
static int replay_dir(const char *dir)
{
	struct dirent *de;
	char path[4096];
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (replay(path) < 0) {
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	int i, a, b;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay(argv[i]) < 0)
				return 1;
		return 0;
	}
	a = replay_dir(FUZZ_DIR "/corpus/" FUZZ_NAME);
	b = replay_dir(FUZZ_DIR "/regressions/" FUZZ_NAME);
	if (a <= 0 || b < 0) {
		fprintf(stderr, "fuzz_%s: no corpus in %s\n", FUZZ_NAME, FUZZ_DIR);
		return 1;
	}
	printf("fuzz_%s: %d corpus inputs and %d regressions replayed\n", FUZZ_NAME, a, b);
	return 0;
}
