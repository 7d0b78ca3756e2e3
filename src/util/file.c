/* Whole-file reads with the error messages every caller wants. */
#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/strbuf.h"

char *file_read_text(const char *path, const char *what, size_t limit, size_t *length)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		error("cannot open %s '%s': %s", what, path, strerror(errno));
		return NULL;
	}
	struct strbuf text;
	strbuf_init(&text);
	char chunk[8192];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, file)) > 0) {
		strbuf_add(&text, chunk, got);
		if (text.length > limit) {
			error("%s: too large for a %s (more than %zu bytes)", path, what, limit);
			goto fail;
		}
	}
	if (ferror(file)) {
		error("cannot read %s '%s': %s", what, path, strerror(errno));
		goto fail;
	}
	fclose(file);
	if (length)
		*length = text.length;
	return strbuf_detach(&text);
fail:
	fclose(file);
	strbuf_free(&text);
	return NULL;
}

int file_write_text(const char *dir, const char *name, const char *text, mode_t mode)
{
	/* written to a temporary name and renamed over NAME: rename replaces a symbolic
	 * link rather than writing through it, and a reader never sees half a file */
	char path[4096], temporary[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	/* the temporary file sits next to the final one (NAME may hold a folder) */
	const char *base = strrchr(path, '/') + 1;
	snprintf(temporary, sizeof temporary, "%.*s.%s.XXXXXX", (int)(base - path), path, base);
	int result = 0;
	int fd = mkstemp(temporary);
	if (fd < 0)
		return error("cannot write '%s': %s", path, strerror(errno));
	FILE *file = fdopen(fd, "w");
	if (!file) {
		result = error("cannot write '%s': %s", path, strerror(errno));
		close(fd);
	} else {
		fputs(text, file);
		if (fchmod(fd, mode))
			result = error("cannot set the permissions of '%s': %s", path,
				       strerror(errno));
		if (fclose(file) && !result)
			result = error("cannot write '%s': %s", path, strerror(errno));
	}
	if (!result && rename(temporary, path))
		result = error("cannot write '%s': %s", path, strerror(errno));
	if (result)
		unlink(temporary);
	return result;
}
