/* The harnesses' scratch directory and file writing; see fuzz_support.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "fuzz_support.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/error.h"

static char dir[256];

static int remove_entry(const char *path, const struct stat *status, int type,
			struct FTW *where)
{
	(void)status, (void)type, (void)where;
	return remove(path);
}

/* libFuzzer ends with exit(), after a crash too: leave no scratch files behind. */
static void remove_dir(void)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_path(const char *name)
{
	static char path[512];
	if (!dir[0]) {
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(dir, sizeof dir, "%s/gtrack-fuzz-XXXXXX", base);
		if (!mkdtemp(dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(remove_dir);
		/* messages of rejected inputs are expected by the thousand: keep them quiet */
		error_set_quiet(true);
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

void fuzz_write_file(const char *path, const void *data, size_t size)
{
	FILE *file = fopen(path, "wb");
	if (!file || fwrite(data, 1, size, file) != size || fclose(file)) {
		perror(path);
		abort();
	}
}
