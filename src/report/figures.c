/* The figures: each is a self-contained gnuplot script (the template from plots/, the
 * shared style, and the data inline as data blocks) written into the output directory,
 * plus a caption with the measured numbers for index.html. */
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/file.h"
#include "util/template.h"

/* Most points a curve or heatmap is drawn with; longer runs are thinned evenly (the
 * first and last logged step are always kept). */
#define MAX_CURVE_POINTS 2000
#define MAX_HEATMAP_STEPS 400
/* Room for a figure's placeholders plus the @COMMON@ that write_script adds. */
#define TEMPLATE_VALUES 24

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

/* Data values are written with 17 significant digits: the data blocks hold exactly what
 * the database holds. NULL becomes NaN, which gnuplot treats as missing. */
static void put_value(struct strbuf *out, sqlite3_stmt *s, int column)
{
	if (sqlite3_column_type(s, column) == SQLITE_NULL)
		strbuf_puts(out, " NaN");
	else
		strbuf_printf(out, " %.17g", sqlite3_column_double(s, column));
}

static int write_script(struct report *report, const char *stem, const char *template_name,
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
		result = file_write_text(o->out_dir, name, script.text, 0644);
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

/* Figures carry their legend underneath, in two columns, so their height grows with
 * it: the plots keep 360 pixels, the legend gets 20 per row (gnuplot drops entries that
 * do not fit). */
struct panel_layout {
	int height;
	char bottom[16], top[16], rows[16];
};

static void panel_layout(struct panel_layout *layout, int legend_rows)
{
	snprintf(layout->rows, sizeof layout->rows, "%d", legend_rows);
	int legend = 20 * legend_rows + 16, axis = 48, panels = 360, title = 64;
	layout->height = legend + axis + panels + title;
	snprintf(layout->bottom, sizeof layout->bottom, "%.3f",
		 (double)(legend + axis) / layout->height);
	snprintf(layout->top, sizeof layout->top, "%.3f",
		 1.0 - (double)title / layout->height);
}

/* caption is plain text: names and values in it are escaped here. */
static void figure_html(struct report *report, const char *stem, const char *caption)
{
	const char *extension = report_format_extension(report->options->format);
	struct strbuf *h = &report->figures_html;
	strbuf_puts(h, "<figure>");
	if (report->options->format == FORMAT_PDF)
		strbuf_printf(h, "<object data=\"%s.pdf\" type=\"application/pdf\" width=\"100%%\" "
				 "height=\"480\"><a href=\"%s.pdf\">%s.pdf</a></object>",
			      stem, stem, stem);
	else
		strbuf_printf(h, "<img src=\"%s.%s\" alt=\"%s\">", stem, extension, stem);
	strbuf_puts(h, "<figcaption>");
	report_html_text(h, caption);
	strbuf_printf(h, " <a href=\"%s.gp\">%s.gp</a></figcaption></figure>\n", stem, stem);
}

/* Tracks the positive range of what a figure plots, for a shared log axis. */
struct range {
	double low, high;
};

static void range_add(struct range *range, double value)
{
	if (value > 0 && isfinite(value)) {
		range->low = range->low == 0 || value < range->low ? value : range->low;
		range->high = value > range->high ? value : range->high;
	}
}

static void range_format(const struct range *range, char *low, char *high, size_t size)
{
	if (range->high == 0) { /* nothing finite and positive: any decade will do */
		snprintf(low, size, "1e-1");
		snprintf(high, size, "1e1");
		return;
	}
	snprintf(low, size, "1e%d", (int)floor(log10(range->low)));
	snprintf(high, size, "1e%d", (int)ceil(log10(range->high)) + (range->high == range->low));
}

/* Appends "$name << EOD" with "layer weight_grad_norm delta_norm" rows of run at step;
 * plottable[0] and [1] count the positive finite values of the two norms (a diverged
 * step may have none, and gnuplot warns about a curve without points). */
static int profile_block(struct report *report, struct strbuf *data, const char *name,
			 long long run_id, long long step, struct range *range, int plottable[2])
{
	plottable[0] = plottable[1] = 0;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(report->db,
			       "SELECT layer, weight_grad_norm, delta_norm FROM layer_stats"
			       " WHERE run_id = ? AND step = ? ORDER BY layer",
			       -1, &s, NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(report->db));
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, step);
	strbuf_printf(data, "# run %lld, step %lld: layer weight_grad_norm delta_norm\n"
			    "$%s << EOD\n", run_id, step, name);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		strbuf_printf(data, "%d", sqlite3_column_int(s, 0));
		put_value(data, s, 1);
		put_value(data, s, 2);
		strbuf_puts(data, "\n");
		for (int c = 0; c < 2; c++) {
			double value = sqlite3_column_double(s, 1 + c);
			bool usable = sqlite3_column_type(s, 1 + c) != SQLITE_NULL && value > 0 &&
				      isfinite(value);
			plottable[c] += usable;
			if (usable)
				range_add(range, value);
		}
	}
	strbuf_puts(data, "EOD\n\n");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : error("database: %s", sqlite3_errmsg(report->db));
}

/* A run's profile at its first and its later step, as $runID_first and $runID_later. */
static int run_profile_blocks(struct report *report, struct strbuf *data,
			      const struct report_run *run, struct range *range,
			      int plottable[2][2])
{
	char first[32], later[32];
	snprintf(first, sizeof first, "run%lld_first", run->id);
	snprintf(later, sizeof later, "run%lld_later", run->id);
	return profile_block(report, data, first, run->id, run->first_step, range,
			     plottable[0]) ||
	       profile_block(report, data, later, run->id, run->later_step, range,
			     plottable[1]);
}

/* A curve's legend: plain text, quoted for gnuplot and marked noenhanced so that names
 * such as he_normal print as they are. */
static void curve_title(struct strbuf *plot, const char *text)
{
	strbuf_puts(plot, " title ");
	report_gnuplot_string(plot, text);
	strbuf_puts(plot, " noenhanced");
}

/* "what: shared fields" as a gnuplot string, for a template's @TITLE@. */
static void figure_title(struct strbuf *out, const char *what, const struct strbuf *common)
{
	struct strbuf text;
	strbuf_init(&text);
	strbuf_printf(&text, "%s%s%s", what, common->length ? ": " : "", common->text);
	report_gnuplot_string(out, text.text);
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

/* The layer axis shared by the two-panel figures: x from layer 0 to the deepest run's
 * output layer, y over the decades of what they plot, and the right panel's title. */
struct layer_axis {
	char xmax[32], xstep[32], ymin[32], ymax[32], later[96];
};

static void layer_axis(const struct report *report, const struct run_group *group,
		       const struct range *range, struct layer_axis *axis)
{
	int depth = max_depth(report, group);
	snprintf(axis->xmax, sizeof axis->xmax, "%.1f", depth + 0.5);
	snprintf(axis->xstep, sizeof axis->xstep, "%d", depth > 10 ? (depth + 9) / 10 : 1);
	range_format(range, axis->ymin, axis->ymax, sizeof axis->ymin);
	later_title(report, group, axis->later, sizeof axis->later);
}

/* Runs that differ only in seed are drawn as one curve: the mean of log10 of the norm
 * (a geometric mean) with a band from the smallest to the largest value. */
struct log_stats {
	double sum, low, high;
	int count;
};

static void log_stats_add(struct log_stats *stats, double value)
{
	if (!(value > 0) || !isfinite(value))
		return;
	double level = log10(value);
	stats->low = stats->count ? fmin(stats->low, level) : level;
	stats->high = stats->count ? fmax(stats->high, level) : level;
	stats->sum += level;
	stats->count++;
}

/* Appends "mean low high" (NaN when no run has a value) and widens range. */
static void log_stats_put(struct strbuf *out, const struct log_stats *stats, struct range *range)
{
	if (!stats->count) {
		strbuf_puts(out, " NaN NaN NaN\n");
		return;
	}
	double mean = pow(10, stats->sum / stats->count), low = pow(10, stats->low),
	       high = pow(10, stats->high);
	strbuf_printf(out, " %.17g %.17g %.17g\n", mean, low, high);
	if (range) {
		range_add(range, low);
		range_add(range, high);
	}
}

/* Appends "$name << EOD" with "layer mean low high" of a norm (column 2: weight_grad_norm,
 * 3: delta_norm) over the set's runs, each at its first or its later step. Returns the
 * number of layers that have a value, or -1 with a message. */
static int seed_profile_block(struct report *report, struct strbuf *data, const char *name,
			      const struct run_group *set, bool later, int column,
			      struct range *range)
{
	int layers = report->runs[set->members[0]].depth + 1, plotted = 0, result = -1;
	struct log_stats *stats = xcalloc((size_t)layers, sizeof *stats);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(report->db, column == 2
			       ? "SELECT layer, weight_grad_norm FROM layer_stats WHERE run_id = ?"
				 " AND step = ?"
			       : "SELECT layer, delta_norm FROM layer_stats WHERE run_id = ? AND"
				 " step = ?", -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	strbuf_printf(data, "# runs");
	for (int m = 0; m < set->count; m++) {
		const struct report_run *run = &report->runs[set->members[m]];
		strbuf_printf(data, " %lld", run->id);
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, run->id);
		sqlite3_bind_int64(s, 2, later ? run->later_step : run->first_step);
		while (sqlite3_step(s) == SQLITE_ROW) {
			int layer = sqlite3_column_int(s, 0);
			if (layer < layers && sqlite3_column_type(s, 1) != SQLITE_NULL)
				log_stats_add(&stats[layer], sqlite3_column_double(s, 1));
		}
	}
	strbuf_printf(data, ", %s step: layer, geometric mean, min and max of %s\n$%s << EOD\n",
		      later ? "later" : "first", column == 2 ? "weight_grad_norm" : "delta_norm",
		      name);
	for (int layer = 0; layer < layers; layer++) {
		strbuf_printf(data, "%d", layer);
		log_stats_put(data, &stats[layer], range);
		plotted += stats[layer].count > 0;
	}
	strbuf_puts(data, "EOD\n\n");
	result = plotted;
done:
	sqlite3_finalize(s);
	free(stats);
	return result;
}

/* The plot elements for a seed set: the band, then the mean with the legend. */
static void seed_curve(struct strbuf *plot, const char *block, int colour, const char *legend,
		       int seeds, const char *with)
{
	strbuf_printf(plot, "%s$%s using 1:3:4 with filledcurves lt %d fs transparent solid 0.2 "
			    "noborder notitle, \\\n     $%s using 1:2 with %s lt %d",
		      plot->length ? ", \\\n     " : "", block, colour, block, with, colour);
	struct strbuf title;
	strbuf_init(&title);
	strbuf_printf(&title, "%s (%d seeds)", legend, seeds);
	curve_title(plot, title.text);
	strbuf_free(&title);
}

/* The legend of a seed set: what distinguishes its runs from the rest of the group. */
static void seed_set_legend(const struct report *report, const struct run_group *group,
			    const struct run_group *set, struct strbuf *legend)
{
	int member = 0;
	while (group->members[member] != set->members[0])
		member++;
	report_legend(report, group, member, false, NULL, false, legend);
}

static double geometric_mean_ratio(const struct report *report, const struct run_group *set,
				   bool later)
{
	struct log_stats stats = {0};
	for (int m = 0; m < set->count; m++) {
		const struct report_run *run = &report->runs[set->members[m]];
		log_stats_add(&stats, later ? run->ratio_later : run->ratio_first);
	}
	return stats.count ? pow(10, stats.sum / stats.count) : NAN;
}

/* Figure 1: weight_grad_norm (column 2) or delta_norm (column 3) against layer. */
static int profile_figure(struct report *report, const struct run_group *group, int index,
			  int column)
{
	const char *quantity = column == 2 ? "weight_grad_norm" : "delta_norm";
	const char *quantity_title = column == 2 ? "weight gradient" : "delta (dL/dz)";
	struct strbuf data, left, right, title, caption, key;
	strbuf_init(&data), strbuf_init(&left), strbuf_init(&right), strbuf_init(&title);
	strbuf_init(&caption), strbuf_init(&key);
	struct range range = {0, 0};
	int result = -1;
	struct run_group *sets = NULL;
	int set_count = report_seed_sets(report, group, false, NULL, &sets);
	for (int k = 0; k < set_count; k++) {
		const struct run_group *set = &sets[k];
		const struct report_run *run = &report->runs[set->members[0]];
		if (run->first_step < 0)
			continue;
		char first[32], later[32], legend_text[512];
		snprintf(first, sizeof first, "%s%lld_first", set->count > 1 ? "seeds" : "run",
			 run->id);
		snprintf(later, sizeof later, "%s%lld_later", set->count > 1 ? "seeds" : "run",
			 run->id);
		struct strbuf legend;
		strbuf_init(&legend);
		seed_set_legend(report, group, set, &legend);
		snprintf(legend_text, sizeof legend_text, "%s", legend.text);
		strbuf_free(&legend);
		if (set->count > 1) {
			int plotted[2];
			plotted[0] = seed_profile_block(report, &data, first, set, false, column, &range);
			plotted[1] = seed_profile_block(report, &data, later, set, true, column, &range);
			if (plotted[0] < 0 || plotted[1] < 0)
				goto done;
			for (int side = 0; side < 2; side++)
				if (plotted[side])
					seed_curve(side ? &right : &left, side ? later : first, k + 1,
						   legend_text, set->count, "linespoints");
		} else {
			int plottable[2][2];
			if (run_profile_blocks(report, &data, run, &range, plottable))
				goto done;
			for (int side = 0; side < 2; side++) {
				struct strbuf *plot = side ? &right : &left;
				if (!plottable[side][column - 2])
					continue;
				strbuf_printf(plot, "%s$%s using 1:($%d > 0 ? $%d : NaN) with "
						    "linespoints lt %d",
					      plot->length ? ", \\\n     " : "",
					      side ? later : first, column, column, k + 1);
				curve_title(plot, legend_text);
			}
		}
		if (column == 2) {
			char a[32], b[32], seeds[48] = "";
			if (set->count > 1)
				snprintf(seeds, sizeof seeds, " (geometric mean of %d seeds)", set->count);
			strbuf_printf(&caption, "%s: layer 0 gets %s of the output layer's weight "
						"gradient at initialisation and %s at step %lld%s. ",
				      legend_text,
				      report_number(a, sizeof a, geometric_mean_ratio(report, set, false)),
				      report_number(b, sizeof b, geometric_mean_ratio(report, set, true)),
				      run->later_step, seeds);
		}
	}
	if (!data.length) {
		result = 0; /* nothing logged: no figure */
		goto done;
	}
	/* a panel where every run diverged says so instead of plotting nothing */
	static const char empty_panel[] = "NaN notitle";
	if (!left.length)
		strbuf_puts(&left, empty_panel);
	if (!right.length)
		strbuf_puts(&right, empty_panel);
	report_common(report, group, false, NULL, &title);
	struct strbuf escaped;
	strbuf_init(&escaped);
	figure_title(&escaped, quantity_title, &title);
	char stem[64];
	snprintf(stem, sizeof stem, "profile-%s-%d", column == 2 ? "weight_grad" : "delta", index);
	struct layer_axis axis;
	layer_axis(report, group, &range, &axis);
	struct panel_layout layout;
	panel_layout(&layout, (set_count + 1) / 2);
	struct template_value values[TEMPLATE_VALUES] = {
		{"BOTTOM", layout.bottom},
		{"TOP", layout.top},
		{"KEYROWS", layout.rows},
		{"QUANTITY", quantity},
		{"LATER", axis.later},
		{"DATA", data.text},
		{"TITLE", escaped.text},
		{"YLABEL", column == 2 ? "||dL/dW||_F" : "||dL/dz||_F (delta)"},
		{"XMAX", axis.xmax},
		{"XSTEP", axis.xstep},
		{"YMIN", axis.ymin},
		{"YMAX", axis.ymax},
		{"LEFT", left.text},
		{"RIGHT_TITLE", axis.later},
		{"RIGHT", right.text},
	};
	result = write_script(report, stem, "profile.gp", 1200, layout.height, values, 15,
			      column == 2);
	if (!result) {
		strbuf_printf(&key, "Gradient-flow profile (%s) of %s.%s%s", quantity,
			      title.length ? title.text : "the selected runs",
			      caption.length ? " " : "", caption.text);
		figure_html(report, stem, key.text);
	}
	strbuf_free(&escaped);
done:
	report_groups_free(sets, set_count);
	strbuf_free(&data), strbuf_free(&left), strbuf_free(&right), strbuf_free(&title);
	strbuf_free(&caption), strbuf_free(&key);
	return result;
}

/* Figure 2: one run's weight_grad_norm over layers and steps. */
static int heatmap_figure(struct report *report, const struct report_run *run)
{
	int step_count = 0, result = -1;
	long long *steps = report_steps(report, run->id, MAX_HEATMAP_STEPS, &step_count);
	if (step_count < 2) { /* a heatmap needs two steps */
		free(steps);
		return 0;
	}
	sqlite3_stmt *s = NULL;
	struct strbuf data, title;
	strbuf_init(&data), strbuf_init(&title);
	if (sqlite3_prepare_v2(report->db,
			       "SELECT step, layer, weight_grad_norm FROM layer_stats WHERE"
			       " run_id = ? ORDER BY step, layer",
			       -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	sqlite3_bind_int64(s, 1, run->id);
	strbuf_printf(&data, "# run %lld: step layer log10(weight_grad_norm) step_low step_high"
			     "%s\n$heat << EOD\n", run->id,
		      step_count == MAX_HEATMAP_STEPS ? " (thinned evenly)" : "");
	double low = INFINITY, high = -INFINITY;
	int next = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long step = sqlite3_column_int64(s, 0);
		while (next < step_count && steps[next] < step)
			next++;
		if (next == step_count || steps[next] != step)
			continue;
		/* each cell reaches halfway to the neighbouring shown steps */
		double left = next ? (double)(step + steps[next - 1]) / 2 : step - 0.5;
		double right = next + 1 < step_count ? (double)(step + steps[next + 1]) / 2
						     : step + 0.5;
		double value = sqlite3_column_double(s, 2);
		bool usable = sqlite3_column_type(s, 2) != SQLITE_NULL && value > 0 &&
			      isfinite(value);
		double level = usable ? log10(value) : NAN;
		if (usable)
			low = fmin(low, level), high = fmax(high, level);
		strbuf_printf(&data, "%lld %d %.17g %.17g %.17g\n", step, sqlite3_column_int(s, 1),
			      level, left, right);
	}
	strbuf_puts(&data, "EOD\n");
	if (rc != SQLITE_DONE) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	struct strbuf plain_title;
	strbuf_init(&plain_title);
	strbuf_printf(&plain_title, "run %lld %s", run->id, run->name);
	if (strcmp(run->status, "finished"))
		strbuf_printf(&plain_title, " [%s]", run->status);
	report_gnuplot_string(&title, plain_title.text);
	strbuf_free(&plain_title);
	char stem[64], xmin[32], xmax[32], ymax[32], ystep[32], cbmin[32], cbmax[32];
	snprintf(stem, sizeof stem, "heatmap-run%lld", run->id);
	snprintf(xmin, sizeof xmin, "%.1f", steps[0] - 0.5);
	snprintf(xmax, sizeof xmax, "%.1f", steps[step_count - 1] + 0.5);
	snprintf(ymax, sizeof ymax, "%.1f", run->depth + 0.5);
	snprintf(ystep, sizeof ystep, "%d", run->depth > 10 ? (run->depth + 9) / 10 : 1);
	if (low > high)
		low = high = 0;
	snprintf(cbmin, sizeof cbmin, "%d", (int)floor(low));
	snprintf(cbmax, sizeof cbmax, "%d", (int)ceil(high) + (floor(low) == ceil(high)));
	struct template_value values[TEMPLATE_VALUES] = {
		{"QUANTITY", "weight_grad_norm"}, {"DATA", data.text},
		{"TITLE", title.text},           {"CBLABEL", "||dL/dW||_F"},
		{"XMIN", xmin},                  {"XMAX", xmax},
		{"YMAX", ymax},                  {"YSTEP", ystep},
		{"CBMIN", cbmin},                {"CBMAX", cbmax},
	};
	result = write_script(report, stem, "heatmap.gp", 900, 500, values, 10, false);
	if (!result) {
		struct strbuf caption;
		strbuf_init(&caption);
		strbuf_printf(&caption, "Heatmap of run %lld (%s): log10 weight_grad_norm per "
					"layer and step, from %.1f to %.1f.", run->id, run->name,
			      low, high);
		figure_html(report, stem, caption.text);
		strbuf_free(&caption);
	}
done:
	sqlite3_finalize(s);
	strbuf_free(&data), strbuf_free(&title);
	free(steps);
	return result;
}

/* Figure 3: training loss against step. */
static int loss_figure(struct report *report, const struct run_group *group, int index)
{
	struct strbuf data, plot, title, caption;
	strbuf_init(&data), strbuf_init(&plot), strbuf_init(&title), strbuf_init(&caption);
	sqlite3_stmt *s = NULL;
	bool all_positive = true;
	double low = INFINITY, high = -INFINITY;
	long long first_step = -1, last_step = -1;
	int result = -1, curves = 0;
	if (sqlite3_prepare_v2(report->db, "SELECT step, loss FROM steps WHERE run_id = ?"
					   " ORDER BY step", -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	struct run_group *sets = NULL;
	int set_count = report_seed_sets(report, group, false, NULL, &sets);
	for (int k = 0; k < set_count; k++) {
		const struct run_group *set = &sets[k];
		const struct report_run *run = &report->runs[set->members[0]];
		int count = 0;
		/* the first run's logged steps (thinned) are the x values of the set */
		long long *steps = report_steps(report, run->id, MAX_CURVE_POINTS, &count);
		if (!count) {
			free(steps);
			continue;
		}
		first_step = first_step < 0 || steps[0] < first_step ? steps[0] : first_step;
		last_step = steps[count - 1] > last_step ? steps[count - 1] : last_step;
		struct log_stats *stats = xcalloc((size_t)count, sizeof *stats);
		if (set->count == 1)
			strbuf_printf(&data, "# run %lld: step loss\n$loss%lld << EOD\n", run->id,
				      run->id);
		else
			strbuf_printf(&data, "# runs %lld and %d more seeds: step, geometric mean, min "
					     "and max of the loss\n$loss%lld << EOD\n",
				      run->id, set->count - 1, run->id);
		for (int m = 0; m < set->count; m++) {
			int next = 0;
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, report->runs[set->members[m]].id);
			while (sqlite3_step(s) == SQLITE_ROW) {
				long long step = sqlite3_column_int64(s, 0);
				while (next < count && steps[next] < step)
					next++;
				if (next == count || steps[next] != step)
					continue;
				if (set->count == 1) {
					strbuf_printf(&data, "%lld", step);
					put_value(&data, s, 1);
					strbuf_puts(&data, "\n");
				} else if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
					log_stats_add(&stats[next], sqlite3_column_double(s, 1));
				}
				all_positive &= sqlite3_column_type(s, 1) == SQLITE_NULL ||
						sqlite3_column_double(s, 1) > 0;
				double value = sqlite3_column_double(s, 1);
				if (sqlite3_column_type(s, 1) != SQLITE_NULL && isfinite(value))
					low = fmin(low, value), high = fmax(high, value);
			}
		}
		for (int i = 0; set->count > 1 && i < count; i++) {
			strbuf_printf(&data, "%lld", steps[i]);
			log_stats_put(&data, &stats[i], NULL);
		}
		strbuf_puts(&data, "EOD\n\n");
		free(stats);
		free(steps);
		struct strbuf legend;
		strbuf_init(&legend);
		seed_set_legend(report, group, set, &legend);
		char block[32];
		snprintf(block, sizeof block, "loss%lld", run->id);
		curves++;
		if (set->count > 1) {
			seed_curve(&plot, block, k + 1, legend.text, set->count, "lines");
		} else {
			strbuf_printf(&plot, "%s$%s using 1:2 with lines lt %d",
				      plot.length ? ", \\\n     " : "", block, k + 1);
			curve_title(&plot, legend.text);
		}
		char loss[32];
		strbuf_printf(&caption, "%s: final loss %s (%s%s). ", legend.text,
			      report_number(loss, sizeof loss, run->final_loss), run->status,
			      set->count > 1 ? ", first seed" : "");
		strbuf_free(&legend);
	}
	report_groups_free(sets, set_count);
	if (!plot.length) {
		result = 0;
		goto done;
	}
	report_common(report, group, false, NULL, &title);
	struct strbuf escaped;
	strbuf_init(&escaped);
	figure_title(&escaped, "training loss", &title);
	char stem[64];
	snprintf(stem, sizeof stem, "loss-%d", index);
	const char *loss_fn = report->runs[group->members[0]].loss_fn;
	char ymin[32], ymax[32], xmin[32], xmax[32];
	/* a single step still gets a range gnuplot accepts without a warning */
	snprintf(xmin, sizeof xmin, "%lld", first_step);
	snprintf(xmax, sizeof xmax, "%lld", last_step > first_step ? last_step : first_step + 1);
	if (low > high) { /* nothing finite */
		snprintf(ymin, sizeof ymin, all_positive ? "1e-1" : "-1");
		snprintf(ymax, sizeof ymax, all_positive ? "1e1" : "1");
	} else if (all_positive) {
		struct range range = {low, high};
		range_format(&range, ymin, ymax, sizeof ymin);
	} else {
		double pad = high > low ? 0.05 * (high - low) : fmax(fabs(low), 1) * 0.1;
		snprintf(ymin, sizeof ymin, "%.17g", low - pad);
		snprintf(ymax, sizeof ymax, "%.17g", high + pad);
	}
	struct panel_layout layout;
	panel_layout(&layout, (curves + 1) / 2);
	struct template_value values[TEMPLATE_VALUES] = {
		{"BOTTOM", layout.bottom},
		{"TOP", layout.top},
		{"KEYROWS", layout.rows},
		{"DATA", data.text},
		{"TITLE", escaped.text},
		{"LOSS", !strcmp(loss_fn, "mse") ? "mean squared error" : "cross-entropy"},
		{"LOGSCALE", all_positive ? "set logscale y\nset format y \"10^{%L}\"" : ""},
		{"PLOT", plot.text},
		{"YMIN", ymin},
		{"YMAX", ymax},
		{"XMIN", xmin},
		{"XMAX", xmax},
	};
	result = write_script(report, stem, "loss.gp", 1000, layout.height, values, 12, true);
	if (!result) {
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "Training loss of %s. %s",
			      title.length ? title.text : "the selected runs", caption.text);
		figure_html(report, stem, text.text);
		strbuf_free(&text);
	}
	strbuf_free(&escaped);
done:
	sqlite3_finalize(s);
	strbuf_free(&data), strbuf_free(&plot), strbuf_free(&title), strbuf_free(&caption);
	return result;
}

static bool is_depth(const char *column)
{
	return !strcmp(column, "depth");
}

static bool is_residual(const char *column)
{
	return report_is_residual_column(column);
}

/* Figure 4: layer 0 / output ratio at initialisation against depth; one curve per
 * combination of the other varying fields, the geometric mean over runs (seeds) that
 * share a depth. */
static int depth_figure(struct report *report, const struct run_group *group, int index)
{
	struct strbuf data, plot, title, caption;
	strbuf_init(&data), strbuf_init(&plot), strbuf_init(&title), strbuf_init(&caption);
	int *curve_of = xcalloc((size_t)group->count, sizeof(int));
	char **labels = xcalloc((size_t)group->count, sizeof(char *));
	int curves = 0, result = -1, min_depth = 1 << 30, top_depth = 0;
	int activation_field = -1, residual_field = -1;
	for (int f = 0; f < report->field_count; f++) {
		activation_field = !strcmp(report->fields[f].column, "activation") ? f
											 : activation_field;
		residual_field = !strcmp(report->fields[f].column, "residual") ? f : residual_field;
	}
	char *activations[64];
	int activation_count = 0;
	struct range range = {0, 0};

	for (int m = 0; m < group->count; m++) {
		struct strbuf legend;
		strbuf_init(&legend);
		report_legend(report, group, m, true, is_depth, false, &legend);
		/* the status belongs to a run, not to a curve */
		char *bracket = strstr(legend.text, " [");
		if (bracket)
			*bracket = '\0';
		/* nothing but depth varies: one curve, not one per run name */
		if (!strcmp(legend.text, report->runs[group->members[m]].name)) {
			strbuf_reset(&legend);
			strbuf_puts(&legend, activation_field >= 0
				    ? report->runs[group->members[m]].values[activation_field]
				    : "runs");
		}
		int c = 0;
		while (c < curves && strcmp(labels[c], legend.text))
			c++;
		if (c == curves)
			labels[curves++] = xstrdup(legend.text);
		curve_of[m] = c;
		strbuf_free(&legend);
	}
	for (int c = 0; c < curves; c++) {
		const struct report_run *example = NULL;
		strbuf_printf(&data, "# depth, geometric mean of layer 0 / output weight_grad_norm at "
				     "step 0, runs, min, max\n$depth%d << EOD\n", c);
		int most_seeds = 0;
		strbuf_printf(&caption, "%s:", labels[c]);
		/* one point per depth, in increasing depth */
		int last_depth = -1;
		for (;;) {
			int depth = 1 << 30;
			for (int m = 0; m < group->count; m++) {
				const struct report_run *run = &report->runs[group->members[m]];
				if (curve_of[m] == c && run->depth > last_depth && run->depth < depth)
					depth = run->depth;
			}
			if (depth == 1 << 30)
				break;
			struct log_stats stats = {0};
			for (int m = 0; m < group->count; m++) {
				const struct report_run *run = &report->runs[group->members[m]];
				if (curve_of[m] != c || run->depth != depth)
					continue;
				example = run;
				log_stats_add(&stats, run->ratio_first);
			}
			int n = stats.count;
			double mean = n ? pow(10, stats.sum / n) : NAN;
			most_seeds = n > most_seeds ? n : most_seeds;
			char number[32];
			strbuf_printf(&data, "%d %.17g %d %.17g %.17g\n", depth, mean, n,
				      n ? pow(10, stats.low) : NAN, n ? pow(10, stats.high) : NAN);
			if (n) {
				range_add(&range, pow(10, stats.low));
				range_add(&range, pow(10, stats.high));
			}
			strbuf_printf(&caption, " %s at depth %d%s", report_number(number, sizeof number,
										   mean),
				      depth, n > 1 ? "" : "");
			if (n > 1)
				strbuf_printf(&caption, " (mean of %d)", n);
			strbuf_puts(&caption, ",");
			min_depth = depth < min_depth ? depth : min_depth;
			top_depth = depth > top_depth ? depth : top_depth;
			last_depth = depth;
		}
		caption.text[caption.length - 1] = '.';
		strbuf_puts(&caption, " ");
		strbuf_puts(&data, "EOD\n\n");
		/* colour by activation, dashes for residual */
		int colour = 0;
		if (activation_field >= 0) {
			const char *activation = example->values[activation_field];
			while (colour < activation_count && strcmp(activations[colour], activation))
				colour++;
			if (colour == activation_count && activation_count < 64)
				activations[activation_count++] = example->values[activation_field];
		}
		bool residual = residual_field >= 0 && strcmp(example->values[residual_field], "0") &&
				*example->values[residual_field];
		/* point types tell apart curves that share a colour and a dash pattern */
		static const int point_types[] = {7, 5, 9, 11, 13, 3, 1, 2, 4, 6, 8, 10, 12};
		if (most_seeds > 1)
			strbuf_printf(&plot, "%s$depth%d using 1:4:5 with filledcurves lt %d fs "
					     "transparent solid 0.15 noborder notitle",
				      plot.length ? ", \\\n     " : "", c, colour + 1);
		strbuf_printf(&plot, "%s$depth%d using 1:2 with linespoints lt %d dt %d pt %d",
			      plot.length ? ", \\\n     " : "", c, colour + 1, residual ? 2 : 1,
			      point_types[c % 13]);
		struct strbuf label;
		strbuf_init(&label);
		strbuf_puts(&label, labels[c]);
		if (most_seeds > 1)
			strbuf_printf(&label, " (%d seeds)", most_seeds);
		curve_title(&plot, label.text);
		strbuf_free(&label);
	}
	report_common(report, group, true, is_depth, &title);
	struct strbuf escaped;
	strbuf_init(&escaped);
	figure_title(&escaped, "gradient reaching layer 0 against depth", &title);
	char stem[64], xmin[32], xmax[32], ymin[32], ymax[32];
	range_format(&range, ymin, ymax, sizeof ymin);
	snprintf(stem, sizeof stem, "depth-%d", index);
	snprintf(xmin, sizeof xmin, "%d", min_depth > 1 ? min_depth - 1 : 0);
	snprintf(xmax, sizeof xmax, "%d", top_depth + 1);
	struct panel_layout layout;
	panel_layout(&layout, (curves + 1) / 2);
	struct template_value values[TEMPLATE_VALUES] = {
		{"BOTTOM", layout.bottom}, {"TOP", layout.top},   {"KEYROWS", layout.rows},
		{"DATA", data.text},       {"TITLE", escaped.text}, {"XMIN", xmin},
		{"XMAX", xmax},            {"PLOT", plot.text},     {"YMIN", ymin},
		{"YMAX", ymax},
	};
	result = write_script(report, stem, "depth.gp", 1000, layout.height, values, 10, true);
	if (!result) {
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "Fraction of the output layer's weight gradient that reaches "
				     "layer 0 at initialisation, against depth. %s", caption.text);
		figure_html(report, stem, text.text);
		strbuf_free(&text);
	}
	strbuf_free(&escaped);
	for (int c = 0; c < curves; c++)
		free(labels[c]);
	free(labels);
	free(curve_of);
	strbuf_free(&data), strbuf_free(&plot), strbuf_free(&title), strbuf_free(&caption);
	return result;
}

/* Figure 5: runs that differ only in their residual setup (plain, the form, block
 * length, trained alpha, init, alpha): plain runs on the left (or, without any, the first
 * setup's), every other setup on the right, each named in its curves' legends, on one
 * scale. */
static int residual_figure(struct report *report, const struct run_group *group, int index)
{
	/* each member's setup name, with its alpha when alphas differ */
	char **names = xcalloc((size_t)group->count, sizeof *names);
	int alpha_field = -1;
	for (int f = 0; f < report->field_count; f++)
		alpha_field = !strcmp(report->fields[f].column, "residual_alpha") ? f : alpha_field;
	/* among the runs with a fixed alpha: a plain run has none, and a trained one's is
	 * a start value that its name tells ("rezero") */
	bool alphas_differ = false;
	const char *some_alpha = NULL;
	for (int m = 0; m < group->count && alpha_field >= 0; m++) {
		if (!strcmp(report_value(report, &report->runs[group->members[m]],
					 "residual_learn_alpha"), "1"))
			continue;
		const char *alpha = report->runs[group->members[m]].values[alpha_field];
		if (*alpha && some_alpha)
			alphas_differ |= strcmp(alpha, some_alpha) != 0;
		some_alpha = *alpha ? alpha : some_alpha;
	}
	for (int m = 0; m < group->count; m++) {
		const struct report_run *run = &report->runs[group->members[m]];
		struct strbuf name;
		strbuf_init(&name);
		report_setup_name(report, run, &name);
		if (alphas_differ && *run->values[alpha_field] &&
		    strcmp(report_value(report, run, "residual_learn_alpha"), "1"))
			strbuf_printf(&name, " alpha %s", run->values[alpha_field]);
		names[m] = strbuf_detach(&name);
	}
	const char *left_name = names[0];
	for (int m = 0; m < group->count; m++)
		left_name = !strcmp(names[m], "plain") ? names[m] : left_name;
	int per_side[2] = {0, 0}, right_setups = 0;
	const char *right_name = NULL;
	for (int m = 0; m < group->count; m++) {
		int side = strcmp(names[m], left_name) != 0;
		per_side[side]++;
		if (side && (!right_name || strcmp(right_name, names[m])))
			right_setups++, right_name = names[m];
	}

	struct strbuf data, panels[2], title, caption;
	strbuf_init(&data), strbuf_init(&panels[0]), strbuf_init(&panels[1]);
	strbuf_init(&title), strbuf_init(&caption);
	struct range range = {0, 0};
	int result = 0;
	if (!per_side[1])
		goto done; /* one setup: nothing to compare */
	result = -1;
	int right_runs = 0;
	report_common(report, group, false, is_residual, &title);
	strbuf_printf(&caption, "%s: the weight gradient at layer 0 relative to the output "
				"layer's at initialisation:",
		      title.length ? title.text : "these runs");
	for (int m = 0; m < group->count; m++) {
		const struct report_run *run = &report->runs[group->members[m]];
		int side = strcmp(names[m], left_name) != 0;
		if (run->first_step < 0)
			continue;
		char first[32], later[32];
		snprintf(first, sizeof first, "run%lld_first", run->id);
		snprintf(later, sizeof later, "run%lld_later", run->id);
		int plottable[2][2];
		if (run_profile_blocks(report, &data, run, &range, plottable))
			goto done;
		/* runs of one setup (seeds) are told apart by id */
		char suffix[64] = "";
		for (int other = 0; other < group->count; other++)
			if (other != m && !strcmp(names[other], names[m]))
				snprintf(suffix, sizeof suffix, ", run %lld", run->id);
		struct strbuf *p = &panels[side];
		/* weight gradient and delta at the first step, weight gradient later; on the
		 * right, a colour per run */
		const struct {
			const char *block;
			int column, style, plottable;
			const char *what;
			long long step;
		} curves[3] = {
			{first, 2, 1, plottable[0][0], "weight grad", run->first_step},
			{first, 3, 2, plottable[0][1], "delta", run->first_step},
			{later, 2, 3, plottable[1][0], "weight grad", run->later_step},
		};
		/* with several setups on the right, a colour per run there (gnuplot's eight
		 * line types), the dash pattern telling the curves apart */
		int colour = 1 + right_runs % 8;
		right_runs += side;
		for (int k = 0; k < 3; k++) {
			if (!curves[k].plottable)
				continue;
			strbuf_printf(p, "%s$%s using 1:($%d > 0 ? $%d : NaN) with %s lt %d dt %d",
				      p->length ? ", \\\n     " : "", curves[k].block, curves[k].column,
				      curves[k].column, k == 2 ? "lines" : "linespoints",
				      side && right_setups > 1 ? colour : k == 1 ? 2 : 1,
				      curves[k].style);
			struct strbuf legend;
			strbuf_init(&legend);
			if (side && right_setups > 1)
				strbuf_printf(&legend, "%s: ", names[m]);
			strbuf_printf(&legend, "%s, step %lld%s", curves[k].what, curves[k].step, suffix);
			curve_title(p, legend.text);
			strbuf_free(&legend);
		}
		char number[32];
		strbuf_printf(&caption, " %s %s%s", names[m],
			      report_number(number, sizeof number, run->ratio_first),
			      m + 1 < group->count ? ";" : ".");
	}
	for (int side = 0; side < 2; side++)
		if (!panels[side].length)
			strbuf_puts(&panels[side], "NaN notitle");
	struct strbuf escaped, left_title, right_title;
	strbuf_init(&escaped), strbuf_init(&left_title), strbuf_init(&right_title);
	figure_title(&escaped, "residual setups", &title);
	report_gnuplot_string(&left_title, left_name);
	report_gnuplot_string(&right_title, right_setups > 1 ? "residual setups" : right_name);
	char stem[64];
	snprintf(stem, sizeof stem, "residual-%d", index);
	struct layer_axis axis;
	layer_axis(report, group, &range, &axis);
	struct panel_layout layout;
	int most_runs_per_side = per_side[0] > per_side[1] ? per_side[0] : per_side[1];
	panel_layout(&layout, 3 * most_runs_per_side);
	struct template_value values[TEMPLATE_VALUES] = {
		{"BOTTOM", layout.bottom}, {"TOP", layout.top}, {"KEYROWS", layout.rows},
		{"LATER", axis.later},     {"DATA", data.text},     {"TITLE", escaped.text},
		{"XMAX", axis.xmax},            {"XSTEP", axis.xstep},        {"YMIN", axis.ymin},
		{"YMAX", axis.ymax},            {"LEFT_TITLE", left_title.text}, {"LEFT", panels[0].text},
		{"RIGHT_TITLE", right_title.text}, {"RIGHT", panels[1].text},
	};
	result = write_script(report, stem, "residual.gp", 1200, layout.height, values, 14,
			      false);
	if (!result)
		figure_html(report, stem, caption.text);
	strbuf_free(&escaped), strbuf_free(&left_title), strbuf_free(&right_title);
done:
	for (int m = 0; m < group->count; m++)
		free(names[m]);
	free(names);
	strbuf_free(&data), strbuf_free(&panels[0]), strbuf_free(&panels[1]);
	strbuf_free(&title), strbuf_free(&caption);
	return result;
}

/* heading and text are gtrack's own HTML. */
static void section(struct report *report, const char *heading, const char *text)
{
	strbuf_printf(&report->figures_html, "<h2>%s</h2>\n<p>%s</p>\n", heading, text);
}

int report_write_figures(struct report *report)
{
	struct run_group *groups = NULL;
	int count = report_group(report, false, NULL, false, &groups), result = 0;

	section(report, "Gradient-flow profiles",
		"The norm of each layer's gradient at initialisation and later, layer 0 nearest "
		"the input, on a log scale. A curve falling toward layer 0 is a vanishing "
		"gradient; one rising toward it, an exploding gradient.");
	for (int g = 0; g < count && !result; g++)
		result = profile_figure(report, &groups[g], g + 1, 2);
	for (int g = 0; g < count && !result; g++)
		result = profile_figure(report, &groups[g], g + 1, 3);

	section(report, "Heatmaps", "Every layer and logged step of a run at once.");
	for (int r = 0; r < report->run_count && !result; r++)
		result = heatmap_figure(report, &report->runs[r]);

	section(report, "Training loss", "Loss on each step's batch.");
	for (int g = 0; g < count && !result; g++)
		result = loss_figure(report, &groups[g], g + 1);
	report_groups_free(groups, count);

	section(report, "Depth", "How much of the gradient reaches the first layer as networks "
				 "get deeper, at initialisation.");
	count = report_group(report, true, is_depth, false, &groups);
	for (int g = 0; g < count && !result; g++)
		result = depth_figure(report, &groups[g], g + 1);
	report_groups_free(groups, count);

	section(report, "Residual connections",
		"Runs that differ only in their residual setup (none, form, block length, "
		"trained alpha, init), side by side.");
	size_t before = report->figures_html.length;
	count = report_group(report, false, is_residual, true, &groups);
	for (int g = 0; g < count && !result; g++)
		result = residual_figure(report, &groups[g], g + 1);
	report_groups_free(groups, count);
	if (!result && report->figures_html.length == before)
		strbuf_puts(&report->figures_html, "<p>No selected runs differ only in their "
						   "residual setup.</p>\n");
	return result;
}
