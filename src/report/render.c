/* Rendering the scripts with gnuplot, a runtime dependency: each script runs in the
 * output directory, and whatever gnuplot says on stderr is passed on as a warning. */
#include "report/figure.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"
#include "util/file.h"
#include "util/terminal.h"

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
	*columns = width < 40 ? 40 : width > 300 ? 300 : (int)width;
	/* a character cell is about twice as high as wide: 150 columns, 40 rows */
	*rows = *columns * 4 / 15 < 24 ? 24 : *columns * 4 / 15;
}

/* Text plots have no key: in gnuplot's dumb terminal a key is drawn over the plot and
 * every line is made of the same few characters, so neither tells curves apart. Each
 * curve's points are drawn as a letter instead, and the letters are listed with their
 * titles under the plot. A curve drawn twice (the same curve in two panels, its title
 * on one of them) keeps one letter: its style (from " lc " on) names it. */
struct text_legend {
	char **titles, **styles; /* per letter: the title, and the style of its element */
	int count;
};

static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
#define LETTER_COUNT ((int)sizeof letters - 1)

/* The separator gtrack writes between the elements of a plot command. */
static const char element_separator[] = ", \\\n";

/* One element of a plot command, taken apart. */
struct plot_element {
	struct strbuf raw;   /* the element as the script has it */
	struct strbuf head;  /* up to " with " (the data and its columns) */
	struct strbuf style; /* what follows the style word, without title and point options */
	struct strbuf title; /* the title, unescaped; empty for notitle */
	bool titled, dropped;
	bool points; /* drawn as points only (marks), not as a line */
};

/* Reads the gnuplot string at text ('...' with '' for a quote) into out; returns the
 * character after it. */
static const char *read_quoted(const char *text, struct strbuf *out)
{
	for (text++; *text && !(*text == '\'' && text[1] != '\''); text++) {
		text += *text == '\'' && text[1] == '\'';
		strbuf_add(out, text, 1);
	}
	return *text ? text + 1 : text;
}

/* Splits element (length bytes) into its parts. Bands (filledcurves), marks of variable
 * size (the clipped-point triangles, drawn on every point) and the legend entry of a
 * kind of mark are dropped: a text plot has no fill or sizes, and its marks are letters
 * with legends of their own. */
static void parse_element(const char *element, size_t length, struct plot_element *parsed)
{
	strbuf_init(&parsed->raw), strbuf_init(&parsed->head), strbuf_init(&parsed->style);
	strbuf_init(&parsed->title);
	strbuf_add(&parsed->raw, element, length);
	char *text = xstrdup(parsed->raw.text);
	parsed->titled = parsed->dropped = parsed->points = false;
	char *with = strstr(text, " with ");
	if (!with) { /* not one of gtrack's curves */
		free(text);
		return;
	}
	strbuf_add(&parsed->head, text, (size_t)(with - text));
	char *style = with + strlen(" with ");
	parsed->points = !strncmp(style, "points ", strlen("points "));
	parsed->dropped |= parsed->points && !strncmp(text, "NaN ", 4);
	char *options = style + strcspn(style, " "); /* after the style word */
	char *title = strstr(options, " title '"), *notitle = strstr(options, " notitle");
	char *end = title ? title : notitle ? notitle : options + strlen(options);
	if (title) {
		read_quoted(title + strlen(" title "), &parsed->title);
		parsed->titled = true;
	}
	*end = '\0'; /* what follows is the title, a name: data */
	parsed->dropped |= strstr(style, "filledcurves") || strstr(style, "ps variable");
	/* the options, less those a letter replaces or points do not take */
	bool skip_value = false;
	for (char *word = strtok(options, " "); word; word = strtok(NULL, " ")) {
		bool point_option = !strcmp(word, "pt") || !strcmp(word, "pi") ||
				    !strcmp(word, "ps") || !strcmp(word, "dt");
		if (!skip_value && !point_option)
			strbuf_printf(&parsed->style, " %s", word);
		skip_value = point_option;
	}
	free(text);
}

static void plot_element_free(struct plot_element *parsed)
{
	strbuf_free(&parsed->raw), strbuf_free(&parsed->head), strbuf_free(&parsed->style);
	strbuf_free(&parsed->title);
}

/* The letter of an element: its title's (a new one for a title not seen before), else
 * that of the titled element with its style; -1 for none. */
static int element_letter(struct text_legend *legend, const struct plot_element *parsed,
			  bool add)
{
	const char *colour = strstr(parsed->style.text, " lc ");
	for (int l = 0; l < legend->count; l++)
		if (parsed->titled ? !strcmp(legend->titles[l], parsed->title.text)
				   : colour && !strcmp(legend->styles[l], parsed->style.text))
			return l;
	if (!parsed->titled || !add)
		return -1;
	legend->titles = realloc(legend->titles, sizeof *legend->titles * (size_t)(legend->count + 1));
	legend->styles = realloc(legend->styles, sizeof *legend->styles * (size_t)(legend->count + 1));
	if (!legend->titles || !legend->styles)
		return -1;
	legend->titles[legend->count] = xstrdup(parsed->title.text);
	legend->styles[legend->count] = xstrdup(parsed->style.text);
	return legend->count++;
}

/* Calls visit on each element of the plot command (after "plot "). */
static void each_element(const char *command, void (*visit)(const struct plot_element *,
							    void *),
			 void *context)
{
	for (const char *element = command; element;) {
		const char *separator = strstr(element, element_separator);
		size_t length = separator ? (size_t)(separator - element) : strlen(element);
		struct plot_element parsed;
		parse_element(element, length, &parsed);
		visit(&parsed, context);
		plot_element_free(&parsed);
		element = separator ? separator + strlen(element_separator) : NULL;
		while (element && *element == ' ')
			element++;
	}
}

static void learn_titles(const struct plot_element *parsed, void *context)
{
	if (parsed->titled && !parsed->dropped)
		element_letter(context, parsed, true);
}

struct rewrite {
	struct text_legend *legend;
	struct strbuf *out;
	bool any;
};

static void rewrite_element(const struct plot_element *parsed, void *context)
{
	struct rewrite *rewrite = context;
	if (parsed->dropped)
		return;
	int letter = element_letter(rewrite->legend, parsed, false);
	if (rewrite->any)
		strbuf_puts(rewrite->out, ", \\\n     ");
	rewrite->any = true;
	if (letter < 0) /* no curve of the legend: drawn as it was */
		strbuf_puts(rewrite->out, parsed->raw.text);
	else
		strbuf_printf(rewrite->out, "%s with %s%s pt '%c' notitle", parsed->head.text,
			      parsed->points ? "points" : "linespoints", parsed->style.text,
			      letters[letter % LETTER_COUNT]);
}

/* The length of the plot command at line, its continuation lines and its final newline
 * included. */
static size_t plot_command_length(const char *line)
{
	const char *end = line;
	while ((end = strchr(end, '\n')) && end > line && end[-1] == '\\')
		end++;
	return end ? (size_t)(end - line + 1) : strlen(line);
}

/* Appends the legend of a text plot: "A  title" rows, wrapped at spaces to columns. */
static void put_text_legend(struct strbuf *out, const struct text_legend *legend, int columns)
{
	for (int l = 0; l < legend->count; l++) {
		strbuf_printf(out, "%c  ", letters[l % LETTER_COUNT]);
		int used = 3;
		for (const char *word = legend->titles[l]; *word;) {
			size_t length = strcspn(word, " ");
			int shown = 0;
			for (size_t i = 0; i < length; i++)
				shown += ((unsigned char)word[i] & 0xc0) != 0x80;
			if (used > 3 && used + 1 + shown > columns) {
				strbuf_puts(out, "\n   ");
				used = 3;
			} else if (used > 3) {
				strbuf_puts(out, " ");
				used++;
			}
			strbuf_add(out, word, length);
			used += shown;
			word += length;
			while (*word == ' ')
				word++;
		}
		strbuf_puts(out, "\n");
	}
}

static void text_legend_free(struct text_legend *legend)
{
	for (int l = 0; l < legend->count; l++)
		free(legend->titles[l]), free(legend->styles[l]);
	free(legend->titles), free(legend->styles);
}

/* The room a script leaves for its key: the rightmost and the lowest plot edge set
 * "at screen" (1 and 0 when it sets none). */
struct key_room {
	double right, bottom;
};

static void find_key_room(const char *line, struct key_room *room)
{
	double at;
	if (sscanf(line, "set rmargin at screen %lf", &at) == 1)
		room->right = room->right < 1 ? fmax(room->right, at) : at;
	if (sscanf(line, "set bmargin at screen %lf", &at) == 1)
		room->bottom = room->bottom > 0 ? fmin(room->bottom, at) : at;
}

/* A text plot has no key, so the plots take the room left for it: the edges set at
 * screen are stretched to the right (the key of small multiples) and down (a key under
 * the plot). Returns whether line was such an edge, appended stretched. */
static bool stretch_edge(struct strbuf *out, const char *line, const struct key_room *room,
			 int rows)
{
	double low = 4.0 / rows; /* the x axis's tick labels and label need four rows */
	static const char *const edges[] = {"lmargin", "rmargin", "bmargin", "tmargin"};
	for (int e = 0; e < 4; e++) {
		char format[48];
		double at;
		snprintf(format, sizeof format, "set %s at screen %%lf", edges[e]);
		if (sscanf(line, format, &at) != 1)
			continue;
		if (e < 2 && room->right < 0.9)
			at *= 0.98 / room->right;
		else if (e >= 2 && room->bottom > low)
			at = 1 - (1 - at) * (1 - low) / (1 - room->bottom);
		strbuf_printf(out, "set %s at screen %.4f\n", edges[e], at);
		return true;
	}
	return false;
}

/* A title wrapped for a picture (FIGURE_TITLE_COLUMNS) is wrapped again for a narrower
 * text plot, whose terminal leaves out a title line wider than itself. Returns whether
 * line (line_length bytes, its newline included) sets a title ('...' pieces joined by
 * . "\n" .), appended rewrapped. */
static bool rewrap_title(struct strbuf *out, const char *line, size_t line_length,
			 int columns)
{
	static const char *const commands[] = {"set title '", "set multiplot title '"};
	static const char separator[] = " . \"\\n\" . ";
	for (int c = 0; c < 2; c++) {
		size_t length = strlen(commands[c]) - 1;
		if (strncmp(line, commands[c], length + 1))
			continue;
		strbuf_add(out, line, length);
		const char *at = line + length;
		for (bool first = true; *at == '\''; first = false) {
			struct strbuf piece;
			strbuf_init(&piece);
			at = read_quoted(at, &piece);
			if (!first)
				strbuf_puts(out, separator);
			wrapped_title(out, piece.text, columns - 4);
			strbuf_free(&piece);
			if (strncmp(at, separator, strlen(separator)))
				break;
			at += strlen(separator);
		}
		strbuf_add(out, at, (size_t)(line + line_length - at));
		return true;
	}
	return false;
}

/* Swaps a script's terminal for gnuplot's dumb (text) terminal, which has no enhanced
 * text (10^{-5} becomes 1e-5) and needs wider margins for its tick labels; its curves
 * become letters, listed in legend_text. */
static void as_text_plot(struct strbuf *out, const char *script, struct strbuf *legend_text)
{
	int columns, rows;
	text_plot_size(&columns, &rows);
	struct text_legend legend = {0};
	struct key_room room = {1, 0};
	for (const char *line = script; *line;) {
		size_t length = plot_command_length(line);
		find_key_room(line, &room);
		if (!strncmp(line, "plot ", 5)) {
			char *command = xstrdup(line + 5);
			command[length - 5 - (line[length - 1] == '\n')] = '\0';
			each_element(command, learn_titles, &legend);
			free(command);
		}
		line += strncmp(line, "plot ", 5) ? strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)
						   : length;
	}
	put_text_legend(legend_text, &legend, columns);
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
		if (!strncmp(line, "plot ", 5)) {
			length = plot_command_length(line);
			char *command = xstrdup(line + 5);
			command[length - 5 - (line[length - 1] == '\n')] = '\0';
			struct rewrite rewrite = {&legend, out, false};
			strbuf_puts(out, "unset key\nplot ");
			each_element(command, rewrite_element, &rewrite);
			if (!rewrite.any)
				strbuf_puts(out, "NaN notitle");
			strbuf_puts(out, "\n");
			free(command);
		} else if (stretch_edge(out, line, &room, rows)) {
		} else if (rewrap_title(out, line, length, columns)) {
		} else if (!strncmp(line, "set terminal ", 13)) {
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
	text_legend_free(&legend);
}

/* Whether stdout is a pipe whose reader has gone (`gtrack report --terminal | head`):
 * then gnuplot failing to write is the reader's choice, not a gnuplot failure. */
static bool reader_gone(void)
{
	struct pollfd out = {.fd = STDOUT_FILENO, .events = POLLOUT};
	return poll(&out, 1, 0) == 1 && (out.revents & POLLERR);
}

/* The legend's multiplication signs ("x0.25/layer") as the letter x where the locale
 * is not UTF-8 (a container, a Slurm job), as gtrack watch draws its bars in ASCII. */
static void legend_for_locale(struct strbuf *legend, bool utf8)
{
	static const char times[] = "\u00d7";
	for (char *at; !utf8 && (at = strstr(legend->text, times));) {
		*at = 'x';
		memmove(at + 1, at + strlen(times), strlen(at + strlen(times)) + 1);
		legend->length -= strlen(times) - 1;
	}
}

int report_show_in_terminal(struct report *report)
{
	const char *dir = report->options->out_dir;
	if (!gnuplot_installed())
		return error("--terminal needs gnuplot: sudo apt-get install gnuplot-nox");
	bool utf8 = terminal_locale_is_utf8();
	for (int i = 0; i < report->terminal_count; i++) {
		char *script = read_script(dir, report->terminal_scripts[i]);
		if (!script)
			return -1;
		struct strbuf text, errors, legend;
		strbuf_init(&text), strbuf_init(&errors), strbuf_init(&legend);
		as_text_plot(&text, script, &legend);
		legend_for_locale(&legend, utf8);
		printf("%s\n", report->terminal_scripts[i]);
		fflush(stdout);
		int status = run_gnuplot(dir, text.text, STDOUT_FILENO, &errors);
		bool stop = reader_gone();
		if (stop)
			status = 0;
		else if (status)
			error("gnuplot failed on %s:\n%s", report->terminal_scripts[i], errors.text);
		if (!stop && !status) {
			fputs(legend.text, stdout);
			fflush(stdout);
			stop = reader_gone();
		}
		strbuf_free(&text), strbuf_free(&errors), strbuf_free(&legend);
		free(script);
		if (status)
			return -1;
		if (stop)
			break;
	}
	return 0;
}
