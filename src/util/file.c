/* Whole-file reads with the error messages every caller wants. */
#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *file = fopen(path, "w");
	if (!file)
		return error("cannot write '%s': %s", path, strerror(errno));
	fputs(text, file);
	if (fclose(file))
		return error("cannot write '%s': %s", path, strerror(errno));
	if (chmod(path, mode))
		return error("cannot set the permissions of '%s': %s", path, strerror(errno));
	return 0;
}
