/* Writing gnuplot: a figure's script (the shared style, the template from plots/ and its
 * data blocks) into the output directory, the page layout that leaves room for the
 * legend, and the titles and curves, every name in them escaped by report_gnuplot_string. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/file.h"
#include "util/template.h"

const char *report_format_extension(enum report_format format)
{
	static const char *const extensions[] = {"png", "svg", "pdf"};
	return extensions[format];
}

const char *report_number(char *buffer, size_t size, double value)
{
	if (isnan(value))
		snprintf(buffer, size, "n/a");
	else
		snprintf(buffer, size, "%.2g", value);
	return buffer;
}

int write_script(struct report *report, const char *stem, const char *template_name,
			int width, int height, struct template_value *values, int count,
			bool in_terminal)
{
	if (count >= TEMPLATE_VALUES) /* a programming error: the array has no room left */
		return error("%s: %d template values, at most %d", stem, count,
			     TEMPLATE_VALUES - 1);
	const struct report_options *o = report->options;
	const char *extension = report_format_extension(o->format);
	struct strbuf script;
	strbuf_init(&script);
	strbuf_printf(&script, "# %s.gp: written by gtrack %s from ", stem, GTRACK_VERSION);
	report_gnuplot_string(&script, o->db_path); /* a newline must not end the comment */
	strbuf_printf(&script, ". Self-contained: the data is\n"
			       "# inline below, so 'gnuplot %s.gp' renders it anywhere; edit freely.\n",
		      stem);
	strbuf_puts(&script, "reset\n"); /* 'gnuplot *.gp' runs them in one session */
	if (o->format == FORMAT_PNG)
		strbuf_printf(&script, "set terminal pngcairo size %d,%d enhanced font 'sans,10'\n",
			      width, height);
	else if (o->format == FORMAT_SVG)
		strbuf_printf(&script, "set terminal svg size %d,%d dynamic enhanced font 'sans,10'\n",
			      width, height);
	else
		strbuf_printf(&script, "set terminal pdfcairo size %.1fin,%.1fin enhanced font "
				       "'sans,10'\n", width / 100.0, height / 100.0);
	strbuf_printf(&script, "set output '%s.%s'\n\n", stem, extension);

	values[count++] = (struct template_value){"COMMON", embedded_find(embedded_plots,
									  "common.gp")};
	int result = template_expand(&script, embedded_find(embedded_plots, template_name),
				     values, count);
	char name[256];
	snprintf(name, sizeof name, "%s.gp", stem);
	if (!result)
		result = report_claim(report, name) ||
			 file_write_text(o->out_dir, name, script.text, 0644);
	strbuf_free(&script);
	if (result)
		return -1;
	report->scripts = realloc(report->scripts, sizeof *report->scripts *
							   (size_t)(report->script_count + 1));
	report->terminal_scripts = realloc(report->terminal_scripts,
					   sizeof *report->terminal_scripts *
						   (size_t)(report->terminal_count + 1));
	if (!report->scripts || !report->terminal_scripts)
		return error("out of memory");
	report->scripts[report->script_count++] = xstrdup(name);
	if (in_terminal)
		report->terminal_scripts[report->terminal_count++] =
			report->scripts[report->script_count - 1];
	return 0;
}

void panel_layout(struct panel_layout *layout, int legend_rows)
{
	snprintf(layout->rows, sizeof layout->rows, "%d", legend_rows);
	int legend = 20 * legend_rows + 16, axis = 48, panels = 360, title = 64;
	layout->height = legend + axis + panels + title;
	snprintf(layout->bottom, sizeof layout->bottom, "%.3f",
		 (double)(legend + axis) / layout->height);
	snprintf(layout->top, sizeof layout->top, "%.3f",
		 1.0 - (double)title / layout->height);
}

/* A curve's legend: plain text, quoted for gnuplot and marked noenhanced so that names
 * such as he_normal print as they are. */
void curve_title(struct strbuf *plot, const char *text)
{
	strbuf_puts(plot, " title ");
	report_gnuplot_string(plot, text);
	strbuf_puts(plot, " noenhanced");
}

/* The bytes of the UTF-8 character at text (1 for a stray byte, which the escaping
 * turns into '?'). */
static size_t character_length(const char *text)
{
	unsigned char c = (unsigned char)*text;
	size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	for (size_t i = 1; i < length; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			return 1;
	return length;
}

/* Where the line starting at text ends when it holds at most columns characters: after
 * its last comma outside braces (name fields: "relu, d=20" or a sweep's
 * "depth=31,residual={form: pre, block: 2}") unless that leaves the line less than half
 * full, else at its last space outside braces, else after columns characters. *next is
 * where the following line starts. */
static size_t title_line(const char *text, int columns, const char **next)
{
	size_t at = 0, comma = 0, space = 0;
	int depth = 0, comma_shown = 0;
	for (int shown = 0; text[at] && shown <= columns; shown++) {
		if (text[at] == '{')
			depth++;
		else if (text[at] == '}' && depth > 0)
			depth--;
		else if (!depth && shown < columns && text[at] == ',')
			comma = at + 1, comma_shown = shown + 1;
		else if (!depth && text[at] == ' ' && at > 0)
			space = at;
		if (shown < columns)
			at += character_length(text + at);
	}
	if (!text[at]) {
		*next = text + at;
		return at;
	}
	bool half_full = comma_shown >= columns / 2;
	size_t end = comma && (half_full || !space) ? comma : space ? space : at;
	*next = text + end;
	while (**next == ' ')
		(*next)++;
	return end;
}

int wrapped_title(struct strbuf *out, const char *text, int columns)
{
	const char *line = text;
	int lines = 0;
	do {
		lines++;
		const char *next;
		size_t length = title_line(line, columns, &next);
		struct strbuf piece;
		strbuf_init(&piece);
		strbuf_add(&piece, line, length);
		if (line != text)
			strbuf_puts(out, " . \"\\n\" . ");
		report_gnuplot_string(out, piece.text);
		strbuf_free(&piece);
		line = next;
	} while (*line);
	return lines;
}

/* "what: shared fields" as a gnuplot string, for a template's @TITLE@. */
void figure_title(struct strbuf *out, const char *what, const struct strbuf *common)
{
	struct strbuf text;
	strbuf_init(&text);
	strbuf_printf(&text, "%s%s%s", what, common->length ? ": " : "", common->text);
	wrapped_title(out, text.text, FIGURE_TITLE_COLUMNS);
	strbuf_free(&text);
}

static int max_depth(const struct report *report, const struct run_group *group)
{
	int depth = 0;
	for (int m = 0; m < group->count; m++)
		if (report->runs[group->members[m]].depth > depth)
			depth = report->runs[group->members[m]].depth;
	return depth;
}

static void later_title(const struct report *report, const struct run_group *group,
			char *buffer, size_t size)
{
	long long step = report->runs[group->members[0]].later_step;
	bool same = true;
	for (int m = 1; m < group->count; m++)
		same &= report->runs[group->members[m]].later_step == step;
	if (!same)
		snprintf(buffer, size, "at the %s step of each run",
			 report->options->step >= 0 ? "chosen" : "last logged");
	else
		snprintf(buffer, size, "at step %lld%s", step,
			 report->options->step >= 0 ? "" : " (the last logged)");
}

void layer_axis(const struct report *report, const struct run_group *group,
		       const struct range *range, struct layer_axis *axis)
{
	int depth = max_depth(report, group);
	snprintf(axis->xmax, sizeof axis->xmax, "%.1f", depth + 0.5);
	snprintf(axis->xstep, sizeof axis->xstep, "%d", depth > 10 ? (depth + 9) / 10 : 1);
	range_format(range, axis->ymin, axis->ymax, sizeof axis->ymin);
	later_title(report, group, axis->later, sizeof axis->later);
}

/* The legend of a seed set: what distinguishes its runs from the rest of the group. One
 * rule for every set: a set whose seeds all finished or all stopped reads like its runs
 * (" [diverged]" when they all diverged); a set where only some stopped is named after a
 * finished run and says how many stopped, since its curve still draws the finished ones. */
void seed_set_legend(const struct report *report, const struct run_group *group,
		     const struct run_group *set, int omitted_field, struct strbuf *legend)
{
	int named = set->members[0], stopped = 0;
	const char *status = NULL;
	for (int m = set->count - 1; m >= 0; m--) {
		const struct report_run *run = &report->runs[set->members[m]];
		if (!strcmp(run->status, "finished"))
			named = set->members[m];
		else
			stopped++, status = run->status;
	}
	report_legend(report, group, report_group_member(group, named), false, NULL, false,
		      omitted_field, legend);
	if (stopped && stopped < set->count)
		strbuf_printf(legend, " [%d of %d seeds %s]", stopped, set->count, status);
}

void facet_keep_seed_set_values(const struct report *report, const struct run_group *group,
				const struct run_group *sets, int count, struct facet_plan *plan)
{
	/* the seeds of a set share every field a key tells: its first run speaks for it */
	for (int k = 0; plan->facet >= 0 && k < count; k++)
		if (!report_legend_tells(report, group, report_group_member(group, sets[k].members[0]),
					 false, NULL, plan->facet))
			facet_keep_value(plan, k);
}

/* Pixels of a small-multiples figure: each cell holds one plot with its axis labels;
 * the key of a row stands right of its last cell, wide enough for ten legends. */
#define CELL_WIDTH 430
#define CELL_HEIGHT 340
#define KEY_WIDTH 480
#define TITLE_HEIGHT 46
#define TITLE_LINE_HEIGHT 15 /* a panel title's line at the figures' 10-point font */

void panel_grid_init(struct panel_grid *grid, int rows, int columns)
{
	grid->rows = rows;
	grid->columns = columns;
	grid->width = columns * CELL_WIDTH + KEY_WIDTH;
	grid->height = TITLE_HEIGHT + rows * CELL_HEIGHT + 8;
}

void panel_grid_cell(struct strbuf *out, const struct panel_grid *grid, int row, int column,
		     const char *title)
{
	double width = grid->width, height = grid->height;
	double left = column * CELL_WIDTH, right = left + CELL_WIDTH;
	double top = height - TITLE_HEIGHT - row * CELL_HEIGHT, bottom = top - CELL_HEIGHT;
	struct strbuf wrapped;
	strbuf_init(&wrapped);
	/* a title of several lines lowers the plot by the lines it adds, which would
	 * otherwise stand on the axis label of the panel above */
	int lines = wrapped_title(&wrapped, title, PANEL_TITLE_COLUMNS);
	double plot_top = top - 36 - TITLE_LINE_HEIGHT * (lines - 1);
	strbuf_printf(out, "set lmargin at screen %.4f\nset rmargin at screen %.4f\n"
			   "set tmargin at screen %.4f\nset bmargin at screen %.4f\n",
		      (left + 72) / width, (right - 14) / width, plot_top / height,
		      (bottom + 58) / height);
	strbuf_printf(out, "set title %s noenhanced\n", wrapped.text);
	strbuf_free(&wrapped);
	if (column == grid->columns - 1)
		strbuf_printf(out, "set key at screen %.4f,%.4f left top vertical Left reverse "
				   "samplen 2 spacing 1.1 width 1 font ',9'\n",
			      (right + 6) / width, (top - 36) / height);
	else
		strbuf_puts(out, "unset key\n");
}

static void plot_separator(struct strbuf *plot)
{
	if (plot->length)
		strbuf_puts(plot, ", \\\n     ");
}

void styled_band(struct strbuf *plot, const char *block, const struct curve_style *style)
{
	styled_band_using(plot, block, "1:3:4", style);
}

void styled_band_using(struct strbuf *plot, const char *block, const char *columns,
		       const struct curve_style *style)
{
	plot_separator(plot);
	strbuf_printf(plot, "$%s using %s with filledcurves lc rgb '%s' fs transparent "
			    "solid 0.2 noborder notitle", block, columns, style->colour);
}

/* Triangles on the points of a curve that lie beyond the axis and are drawn at its limit
 * (the script's clip() and outside() functions); the other points get size 0, so the
 * element always has points and gnuplot does not warn about an empty one. */
void clipped_points(struct strbuf *plot, const char *block, int column,
		    const struct curve_style *style)
{
	plot_separator(plot);
	strbuf_printf(plot, "$%s using 1:(clip($%d)):(outside($%d) ? 1.4 : 0):(0x%06lx) with "
			    "points pt 8 ps variable lc rgb variable notitle", block, column, column,
		      strtol(style->colour + 1, NULL, 16));
}

void clipped_points_key(struct strbuf *plot)
{
	plot_separator(plot);
	strbuf_puts(plot, "NaN with points pt 8 ps 1.4 lc rgb '#444444' title 'triangle: beyond "
			  "the axis, drawn at its limit' noenhanced");
}

void styled_curve(struct strbuf *plot, const char *block, const char *columns,
		  const char *with, const struct curve_style *style, const char *legend)
{
	plot_separator(plot);
	/* "NaN" draws nothing: a legend entry alone */
	if (!strcmp(block, "NaN"))
		strbuf_printf(plot, "NaN with %s lc rgb '%s' dt %d", with, style->colour,
			      style->dash);
	else
		strbuf_printf(plot, "$%s using %s with %s lc rgb '%s' dt %d", block, columns, with,
			      style->colour, style->dash);
	/* "lines" and "lines lw 1" have no points to set; "linespoints" has */
	if (strcmp(with, "lines") && strncmp(with, "lines ", strlen("lines ")))
		strbuf_printf(plot, " pt %d", style->point);
	if (legend)
		curve_title(plot, legend);
	else
		strbuf_puts(plot, " notitle");
}

/* The x marks' element, its title left to the caller. */
static void stop_markers_element(struct strbuf *plot, const char *block)
{
	plot_separator(plot);
	strbuf_printf(plot, "$%s using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable",
		      block);
}

void stop_markers(struct strbuf *plot, const char *block)
{
	stop_markers_element(plot, block);
	strbuf_puts(plot, " title 'x: where a diverged or killed run stopped' noenhanced");
}

void empty_plot(struct strbuf *plot)
{
	if (!plot->length)
		strbuf_puts(plot, "NaN notitle");
}

void untitled_stop_markers(struct strbuf *plot, const char *block)
{
	stop_markers_element(plot, block);
	strbuf_puts(plot, " notitle");
}

void stop_markers_key(struct strbuf *plot)
{
	plot_separator(plot);
	strbuf_puts(plot, "NaN with points pt 2 ps 1.6 lw 2 lc rgb '#444444' title 'x: where a "
			  "diverged or killed run stopped' noenhanced");
}
