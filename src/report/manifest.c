/* The output folder holds exactly the current report: MANIFEST_NAME lists the files
 * gtrack report wrote there, so the next report into the folder removes those it no
 * longer writes (a run left the selection, images after --no-render) and nothing
 * else. A user's own files are never in the list, so never touched; a name with a
 * slash, or one that is no longer a regular file, is left alone too. */
#include "report/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/file.h"

#define MANIFEST_NAME "gtrack-manifest.txt"
/* A manifest of a few thousand figures is far below this; a larger file is not ours. */
#define MAX_MANIFEST_BYTES (16u << 20)

static bool listed(char *const *names, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* Whether name is one gtrack could have written: a plain file name in the folder. */
static bool own_name(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
	       strcmp(name, MANIFEST_NAME);
}

static int remove_stale(const char *dir, char *previous, char *const *names, int count)
{
	for (char *line = strtok(previous, "\n"); line; line = strtok(NULL, "\n")) {
		if (*line == '#' || !own_name(line) || listed(names, count, line))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, line);
		struct stat status;
		if (lstat(path, &status) || !S_ISREG(status.st_mode))
			continue; /* gone already, or replaced by something that is not ours */
		if (unlink(path))
			return error("cannot remove '%s' of the previous report: %s", path,
				     strerror(errno));
	}
	return 0;
}

static int update_manifest(const char *dir, char *const *names, int count)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_NAME);
	int result = 0;
	struct stat status;
	if (!stat(path, &status)) {
		char *previous = file_read_text(path, "manifest", MAX_MANIFEST_BYTES, NULL);
		if (!previous)
			return -1;
		result = remove_stale(dir, previous, names, count);
		free(previous);
	}
	if (result)
		return -1;
	struct strbuf text;
	strbuf_init(&text);
	strbuf_puts(&text, "# The files gtrack report wrote in this folder, one a line; the next"
			   " report here\n# removes those it no longer writes, and nothing else.\n");
	for (int i = 0; i < count; i++)
		strbuf_printf(&text, "%s\n", names[i]);
	result = file_write_text(dir, MANIFEST_NAME, text.text, 0644);
	strbuf_free(&text);
	return result;
}

int report_write_manifest(struct report *report, bool rendered)
{
	const struct report_options *o = report->options;
	int count = 0;
	char **names = xcalloc((size_t)report->script_count * 2 + 1, sizeof *names);
	for (int i = 0; i < report->script_count; i++) {
		names[count++] = xstrdup(report->scripts[i]);
		if (!rendered)
			continue;
		/* "profile-1.gp" rendered to "profile-1.png" */
		struct strbuf image;
		strbuf_init(&image);
		strbuf_add(&image, report->scripts[i], strlen(report->scripts[i]) - strlen(".gp"));
		strbuf_printf(&image, ".%s", report_format_extension(o->format));
		names[count++] = strbuf_detach(&image);
	}
	names[count++] = xstrdup("index.html");
	int result = update_manifest(o->out_dir, names, count);
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return result;
}
