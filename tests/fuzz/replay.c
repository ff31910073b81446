/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A plain main() for the fuzz targets, for compilers and machines without libFuzzer
 * (gcc, cross builds run under qemu-user): every file named, and every file in every
 * directory named, is fed once to LLVMFuzzerTestOneInput. A target that finds a bug
 * aborts (or trips a sanitizer when built with one), so the exit status says it all;
 * on success the number of inputs replayed is printed.
 * Usage: replay-TARGET FILE|DIR... */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not fuzz seeds; libFuzzer's default -max_len is 4096. */
#define REPLAY_MAX (1024 * 1024)

static int replay_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t n;
	FILE *f;
	int ret = 0;

	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: unreadable or larger than %d bytes\n", path, REPLAY_MAX);
		fclose(f);
		return -1;
	}
	/* an exact-size heap copy, so an overread past the input is an overread */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (n != (size_t)st.st_size || ferror(f)) {
		fprintf(stderr, "replay: %s: short read\n", path);
		ret = -1;
	} else {
		LLVMFuzzerTestOneInput(buf, n);
	}
	free(buf);
	fclose(f);
	return ret;
}

static int replay_dir(const char *dir, unsigned *count)
{
	struct dirent **names;
	char path[4096];
	int n, i, ret = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct stat st;

		if (names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) != 0)
				ret = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int i, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) != 0)
				ret = -1;
		} else if (replay_file(argv[i]) != 0) {
			ret = -1;
		} else {
			count++;
		}
	}
	printf("replayed %u inputs\n", count);
	return ret == 0 ? 0 : 1;
}
