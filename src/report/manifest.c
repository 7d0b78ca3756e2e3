/* The output folder holds exactly the current report: MANIFEST_NAME lists the files
 * gtrack report wrote there, so the next report into the folder removes those it no
 * longer writes (a run left the selection, images after --no-render) and nothing
 * else. A user's own files are never in the list, so never touched: a report refuses to
 * write a name that exists and is not listed, and a name with a slash, or one that is
 * no longer a regular file (a link), is left alone too. Each name is added to the list
 * before its file is written, so an interrupted report is cleaned up by the next. */
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
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

/* Whether the manifest text lists name on a line of its own. */
static bool manifest_lists(const char *manifest, const char *name)
{
	size_t length = strlen(name);
	for (const char *line = manifest ? manifest : ""; *line;) {
		const char *end = strchr(line, '\n');
		size_t line_length = end ? (size_t)(end - line) : strlen(line);
		if (line_length == length && !strncmp(line, name, length))
			return true;
		line += line_length + (end ? 1 : 0);
	}
	return false;
}

int report_open_manifest(struct report *report)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", report->options->out_dir, MANIFEST_NAME);
	struct stat status;
	if (lstat(path, &status)) {
		report->previous_manifest = xstrdup("");
		return 0;
	}
	if (!S_ISREG(status.st_mode)) {
		report->refused = true;
		return error("'%s' is not a regular file (a link?); remove it or choose another "
			     "--out", path);
	}
	report->previous_manifest = file_read_text(path, "manifest", MAX_MANIFEST_BYTES, NULL);
	return report->previous_manifest ? 0 : -1;
}

int report_claim(struct report *report, const char *name)
{
	const char *dir = report->options->out_dir;
	if (report->options->terminal)
		return 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct stat status;
	bool exists = !lstat(path, &status);
	if (exists && !S_ISREG(status.st_mode)) {
		report->refused = true;
		return error("'%s' is not a regular file (a link?) and the report would replace it; "
			     "remove it or choose another --out", path);
	}
	if (exists && !manifest_lists(report->previous_manifest, name)) {
		report->refused = true;
		return error("'%s' exists and was not written by gtrack report; remove it or "
			     "choose another --out", path);
	}
	char manifest[4096];
	snprintf(manifest, sizeof manifest, "%s/%s", dir, MANIFEST_NAME);
	int fd = open(manifest, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0644);
	if (fd < 0)
		return error("cannot write '%s': %s", manifest, strerror(errno));
	struct strbuf line;
	strbuf_init(&line);
	strbuf_printf(&line, "%s\n", name);
	int result = 0;
	if (write(fd, line.text, line.length) != (ssize_t)line.length)
		result = error("cannot write '%s': %s", manifest, strerror(errno));
	if (close(fd) && !result)
		result = error("cannot write '%s': %s", manifest, strerror(errno));
	strbuf_free(&line);
	return result;
}

void report_image_name(const struct report *report, const char *script, struct strbuf *out)
{
	strbuf_add(out, script, strlen(script) - strlen(".gp"));
	strbuf_printf(out, ".%s", report_format_extension(report->options->format));
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
	if (!lstat(path, &status)) {
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
		report_image_name(report, report->scripts[i], &image);
		names[count++] = strbuf_detach(&image);
	}
	names[count++] = xstrdup("index.html");
	int result = update_manifest(o->out_dir, names, count);
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return result;
}
