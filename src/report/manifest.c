/* The output folder holds exactly the current report: MANIFEST_NAME lists the files
 * gtrack report wrote there, so the next report into the folder removes those it no
 * longer writes (a run left the selection, images after --no-render) and nothing
 * else. A user's own files are never in the list, so never touched: a report refuses to
 * write a name that exists and is not listed, and a name with a slash, or one that is
 * no longer a regular file (a link), is left alone too (a folder without a list, from a
 * gtrack before manifests, is known by its files' signatures). Each name is added to the list
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

/* Whether the start of the file at path begins with, or holds, signature. */
static bool file_starts_with(const char *path, const char *signature, bool anywhere)
{
	char head[1024];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t got = read(fd, head, sizeof head - 1);
	close(fd);
	if (got <= 0)
		return false;
	head[got] = '\0';
	return anywhere ? strstr(head, signature) != NULL
			: !strncmp(head, signature, strlen(signature));
}

/* A folder reported into by a gtrack from before manifests has none: its files are
 * still known by their signature (a script's first line, index.html's heading; an
 * image by its script), so an upgrade does not make the report refuse its own folder. */
static bool signed_by_gtrack(const char *dir, const char *name)
{
	char path[4096], signature[512];
	if (!strcmp(name, "index.html")) {
		snprintf(path, sizeof path, "%s/%s", dir, name);
		return file_starts_with(path, "<h1>gtrack report</h1>", true);
	}
	const char *dot = strrchr(name, '.');
	if (!dot || (strcmp(dot, ".gp") && strcmp(dot, ".png") && strcmp(dot, ".svg") &&
		     strcmp(dot, ".pdf")))
		return false;
	int stem = (int)(dot - name);
	snprintf(path, sizeof path, "%s/%.*s.gp", dir, stem, name);
	snprintf(signature, sizeof signature, "# %.*s.gp: written by gtrack ", stem, name);
	return file_starts_with(path, signature, false);
}

int report_open_manifest(struct report *report)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", report->options->out_dir, MANIFEST_NAME);
	struct stat status;
	if (lstat(path, &status)) {
		report->previous_manifest = NULL; /* none: files are known by their signature */
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
	bool ours = report->previous_manifest ? manifest_lists(report->previous_manifest, name)
					      : signed_by_gtrack(dir, name);
	if (exists && !ours) {
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
