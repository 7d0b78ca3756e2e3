/* Rendering the scripts with gnuplot, a runtime dependency: each script runs in the
 * output directory, and whatever gnuplot says on stderr is passed on as a warning. */
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"
#include "util/file.h"

static bool gnuplot_installed(void)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	char *copy = xstrdup(path);
	bool found = false;
	for (char *dir = strtok(copy, ":"); dir && !found; dir = strtok(NULL, ":")) {
		char candidate[4096];
		snprintf(candidate, sizeof candidate, "%s/gnuplot", *dir ? dir : ".");
		found = access(candidate, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* Runs gnuplot with `input` on its standard input in dir; stdout goes to `out_fd`
 * (-1: discarded), stderr is collected into errors. stderr goes through a temporary
 * file rather than a pipe, so a chatty gnuplot cannot block while the script is still
 * being written. Returns gnuplot's exit status. */
static int run_gnuplot(const char *dir, const char *input, int out_fd, struct strbuf *errors)
{
	int to_child[2];
	FILE *messages = tmpfile();
	if (!messages || pipe(to_child))
		return error("cannot start gnuplot: %s", strerror(errno));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return error("cannot start gnuplot: %s", strerror(errno));
	if (pid == 0) {
		dup2(to_child[0], STDIN_FILENO);
		dup2(fileno(messages), STDERR_FILENO);
		dup2(out_fd >= 0 ? out_fd : open("/dev/null", O_WRONLY), STDOUT_FILENO);
		close(to_child[1]);
		if (chdir(dir))
			_exit(126);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	size_t length = strlen(input), written = 0;
	while (written < length) {
		ssize_t n = write(to_child[1], input + written, length - written);
		if (n <= 0)
			break;
		written += (size_t)n;
	}
	close(to_child[1]);
	int status;
	waitpid(pid, &status, 0);
	rewind(messages);
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, messages)) > 0)
		strbuf_add(errors, chunk, got);
	fclose(messages);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Scripts are read back to be piped to gnuplot; a few MiB at most (thinned data). */
#define MAX_SCRIPT_BYTES (256u << 20)

static char *read_script(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return file_read_text(path, "script", MAX_SCRIPT_BYTES, NULL);
}

int report_render(struct report *report, bool *rendered)
{
	const char *dir = report->options->out_dir;
	*rendered = false;
	if (!gnuplot_installed()) {
		warning("gnuplot is not installed, so the figures were written as scripts but not "
			"rendered; install it with 'sudo apt-get install gnuplot-nox', then render "
			"them with: cd %s && for f in *.gp; do gnuplot \"$f\"; done", dir);
		return 0;
	}
	int failures = 0;
	for (int i = 0; i < report->script_count; i++) {
		struct strbuf image;
		strbuf_init(&image);
		report_image_name(report, report->scripts[i], &image);
		int claimed = report_claim(report, image.text);
		strbuf_free(&image);
		char *script = claimed ? NULL : read_script(dir, report->scripts[i]);
		if (!script)
			return -1;
		struct strbuf errors;
		strbuf_init(&errors);
		int status = run_gnuplot(dir, script, -1, &errors);
		if (status)
			failures++, error("gnuplot failed on %s/%s:\n%s", dir, report->scripts[i],
					  errors.text);
		else if (errors.length)
			warning("gnuplot on %s/%s:\n%s", dir, report->scripts[i], errors.text);
		strbuf_free(&errors);
		free(script);
	}
	*rendered = failures == 0;
	return failures ? -1 : 0;
}

/* The text plots' size in characters: the terminal's width when stdout is one (else
 * $COLUMNS, else 150), a height in proportion; kept within what a plot with a key
 * needs and what still reads as one picture. */
static void text_plot_size(int *columns, int *rows)
{
	struct winsize window;
	const char *variable = getenv("COLUMNS");
	long width = 150;
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &window) &&
	    window.ws_col > 0)
		width = window.ws_col;
	else if (variable && *variable)
		width = strtol(variable, NULL, 10);
	*columns = width < 60 ? 60 : width > 300 ? 300 : (int)width;
	/* a character cell is about twice as high as wide: 150 columns, 40 rows */
	*rows = *columns * 4 / 15 < 24 ? 24 : *columns * 4 / 15;
}

/* Swaps a script's terminal for gnuplot's dumb (text) terminal, which has no enhanced
 * text (10^{-5} becomes 1e-5) and needs wider margins for its tick labels. */
static void as_text_plot(struct strbuf *out, const char *script)
{
	static const struct {
		const char *from, *to;
	} swaps[] = {
		{"10^{%L}", "1e%L"},
		{"margins 0.07,", "margins 0.11,"},
		{"lmargin at screen 0.1\n", "lmargin at screen 0.11\n"},
		{"center bottom vertical", "center bottom vertical Left reverse"},
	};
	for (const char *line = script; *line;) {
		const char *end = strchr(line, '\n');
		size_t length = end ? (size_t)(end - line + 1) : strlen(line);
		if (!strncmp(line, "set terminal ", 13)) {
			int columns, rows;
			text_plot_size(&columns, &rows);
			strbuf_printf(out, "set terminal dumb size %d,%d\n", columns, rows);
		} else if (!strncmp(line, "set output ", 11)) {
			strbuf_puts(out, "set output\n");
		} else {
			size_t start = out->length;
			strbuf_add(out, line, length);
			for (size_t i = 0; i < sizeof swaps / sizeof *swaps; i++) {
				char *found = strstr(out->text + start, swaps[i].from);
				if (!found || found >= out->text + out->length)
					continue;
				char *rest = xstrdup(found + strlen(swaps[i].from));
				out->length = (size_t)(found - out->text);
				out->text[out->length] = '\0';
				strbuf_puts(out, swaps[i].to);
				strbuf_puts(out, rest);
				free(rest);
			}
		}
		line += length;
	}
}

/* Whether stdout is a pipe whose reader has gone (`gtrack report --terminal | head`):
 * then gnuplot failing to write is the reader's choice, not a gnuplot failure. */
static bool reader_gone(void)
{
	struct pollfd out = {.fd = STDOUT_FILENO, .events = POLLOUT};
	return poll(&out, 1, 0) == 1 && (out.revents & POLLERR);
}

int report_show_in_terminal(struct report *report)
{
	const char *dir = report->options->out_dir;
	if (!gnuplot_installed())
		return error("--terminal needs gnuplot: sudo apt-get install gnuplot-nox");
	for (int i = 0; i < report->terminal_count; i++) {
		char *script = read_script(dir, report->terminal_scripts[i]);
		if (!script)
			return -1;
		struct strbuf text, errors;
		strbuf_init(&text), strbuf_init(&errors);
		as_text_plot(&text, script);
		printf("%s\n", report->terminal_scripts[i]);
		fflush(stdout);
		int status = run_gnuplot(dir, text.text, STDOUT_FILENO, &errors);
		bool stop = reader_gone();
		if (stop)
			status = 0;
		else if (status)
			error("gnuplot failed on %s:\n%s", report->terminal_scripts[i], errors.text);
		strbuf_free(&text), strbuf_free(&errors);
		free(script);
		if (status)
			return -1;
		if (stop)
			break;
	}
	return 0;
}
