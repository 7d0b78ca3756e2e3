/* Runs a harness without libFuzzer, on every file in the directories (or files) named on
 * the command line: the test suite replays each target's seeds and the inputs that once
 * crashed it (tests/fuzz/regressions/NAME), in the normal and the sanitizer builds. A
 * crash or a failed check aborts, which fails the test. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_support.h"
#include "util/strbuf.h"

static int replay_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		perror(path);
		return -1;
	}
	struct strbuf bytes;
	strbuf_init(&bytes);
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
		strbuf_add(&bytes, chunk, got);
	int failed = ferror(file);
	fclose(file);
	if (!failed) {
		printf("replay %s (%zu bytes)\n", path, bytes.length);
		fflush(stdout);
		LLVMFuzzerTestOneInput((const uint8_t *)bytes.text, bytes.length);
	}
	strbuf_free(&bytes);
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	int replayed = 0, result = 0;
	for (int i = 1; i < argc; i++) {
		struct stat status;
		if (stat(argv[i], &status)) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(status.st_mode)) {
			result |= replay_file(argv[i]);
			replayed++;
			continue;
		}
		struct dirent **entries;
		int count = scandir(argv[i], &entries, NULL, alphasort);
		if (count < 0) {
			perror(argv[i]);
			return 1;
		}
		for (int e = 0; e < count; e++) {
			if (entries[e]->d_name[0] != '.') {
				char path[4096];
				snprintf(path, sizeof path, "%s/%s", argv[i], entries[e]->d_name);
				result |= replay_file(path);
				replayed++;
			}
			free(entries[e]);
		}
		free(entries);
	}
	printf("%d inputs replayed\n", replayed);
	return result || replayed == 0;
}
