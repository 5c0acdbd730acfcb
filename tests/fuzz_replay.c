/*
 * Replays inputs through a libFuzzer harness built as a plain program, so
 * that `make check` runs every corpus seed and every crash ever found
 * (tests/fuzz/corpus/NAME, tests/fuzz/regressions/NAME) without clang.
 * With arguments, replays those files instead. A crash is the failure.
 * Black-box like the harnesses: it reads the files itself (stdio).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_DIR
#error "FUZZ_DIR: tests/fuzz in the source tree"
#endif
#ifndef FUZZ_NAME
#error "FUZZ_NAME: the harness (pkt, rules, aws_json)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file in a buffer of exactly its size (ASan sees reads past it); -1 with errno. */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(*out = malloc(size ? (size_t)size : 1))) {
		fclose(f);
		return -1;
	}
	*len = fread(*out, 1, (size_t)size, f);
	if (ferror(f) || *len != (size_t)size) {
		free(*out);
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	return 0;
}

static int replay(const char *path)
{
	uint8_t *buf;
	size_t len;

	if (read_file(path, &buf, &len) < 0) {
		perror(path);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, len);
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
