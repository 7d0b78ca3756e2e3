/* What the figure kinds share: series (SQL to data blocks, seed aggregation, ranges),
 * gnuplot writing (scripts, layout, titles, curves) and the figure table that drives
 * the report. Internal to src/report. */
#ifndef GT_REPORT_FIGURE_H
#define GT_REPORT_FIGURE_H

#include "report/report.h"
#include "util/template.h"

/* Most points a curve or heatmap is drawn with; longer runs are thinned evenly (the
 * first and last logged step are always kept). */
#define MAX_CURVE_POINTS 2000
#define MAX_HEATMAP_STEPS 400
/* Room for a figure's placeholders plus the @COMMON@ that write_script adds. */
#define TEMPLATE_VALUES 24

/* series.c */

/* Appends a column's value with 17 significant digits, so data blocks hold exactly what
 * the database holds; NULL becomes NaN, which gnuplot treats as missing. */
void put_value(struct strbuf *out, sqlite3_stmt *s, int column);

/* The positive range of what a figure plots, for a shared log axis. */
struct range {
	double low, high;
};
void range_add(struct range *range, double value);
/* "1e-3" and "1e2": whole decades around the range (any decade when it is empty). */
void range_format(const struct range *range, char *low, char *high, size_t size);

/* Appends "$name << EOD" with "layer weight_grad_norm delta_norm" rows of run at step;
 * plottable[0] and [1] count the positive finite values of the two norms. */
int profile_block(struct report *report, struct strbuf *data, const char *name,
		  long long run_id, long long step, struct range *range, int plottable[2]);
/* A run's profile at its first and its later step, as $runID_first and $runID_later. */
int run_profile_blocks(struct report *report, struct strbuf *data,
		       const struct report_run *run, struct range *range, int plottable[2][2]);

/* Runs that differ only in seed are drawn as one curve: the mean of log10 of the value
 * (a geometric mean) with a band from the smallest to the largest. */
struct log_stats {
	double sum, low, high;
	int count;
};
void log_stats_add(struct log_stats *stats, double value);
/* Appends " mean low high" and a newline (NaN when no run has a value); widens range
 * unless it is NULL. */
void log_stats_put(struct strbuf *out, const struct log_stats *stats, struct range *range);
/* Appends "$name << EOD" with "layer mean low high" of a norm (column 2: weight_grad_norm,
 * 3: delta_norm) over the set's runs, each at its first or its later step. Returns the
 * number of layers that have a value, or -1 with a message. */
int seed_profile_block(struct report *report, struct strbuf *data, const char *name,
		       const struct run_group *set, bool later, int column, struct range *range);
double geometric_mean_ratio(const struct report *report, const struct run_group *set,
			    bool later);

/* gnuplot.c */

/* Writes stem.gp from template_name and values (count of them; the array has room for
 * one more, @COMMON@) in a width x height picture, and records it for rendering (and
 * for --terminal when in_terminal). Returns 0, or -1 with a message. */
int write_script(struct report *report, const char *stem, const char *template_name,
		 int width, int height, struct template_value *values, int count,
		 bool in_terminal);

/* Figures carry their legend underneath, in two columns, so their height grows with
 * it: the plots keep 360 pixels, the legend gets 20 per row (gnuplot drops entries that
 * do not fit). */
struct panel_layout {
	int height;
	char bottom[16], top[16], rows[16];
};
void panel_layout(struct panel_layout *layout, int legend_rows);

/* A curve's legend: plain text, quoted for gnuplot and marked noenhanced so that names
 * such as he_normal print as they are. */
void curve_title(struct strbuf *plot, const char *text);
/* "what: shared fields" as a gnuplot string, for a template's @TITLE@. */
void figure_title(struct strbuf *out, const char *what, const struct strbuf *common);

/* The layer axis shared by the two-panel figures: x from layer 0 to the deepest run's
 * output layer, y over the decades of what they plot, and the right panel's title. */
struct layer_axis {
	char xmax[32], xstep[32], ymin[32], ymax[32], later[96];
};
void layer_axis(const struct report *report, const struct run_group *group,
		const struct range *range, struct layer_axis *axis);

/* The plot elements for a seed set: the band, then the mean with the legend. */
void seed_curve(struct strbuf *plot, const char *block, int colour, const char *legend,
		int seeds, const char *with);
/* The legend of a seed set: what distinguishes its runs from the rest of the group. */
void seed_set_legend(const struct report *report, const struct run_group *group,
		     const struct run_group *set, struct strbuf *legend);

/* html.c: appends a figure (its image, the caption as escaped text, a link to its
 * script) to the figures part of index.html. */
void figure_html(struct report *report, const char *stem, const char *caption);

/* The figure kinds, one file each. A group kind draws a group of runs (index counts
 * the figures of the kind from 1); a run kind draws one run. */
int profile_figure(struct report *report, const struct run_group *group, int index,
		   int column);
int weight_grad_profile_figure(struct report *report, const struct run_group *group,
			       int index);
int delta_profile_figure(struct report *report, const struct run_group *group, int index);
int heatmap_figure(struct report *report, const struct report_run *run);
int loss_figure(struct report *report, const struct run_group *group, int index);
int depth_figure(struct report *report, const struct run_group *group, int index);
int residual_figure(struct report *report, const struct run_group *group, int index);

/* Grouping: skip tests a column left out of grouping and legends for the figure. */
bool is_depth_column(const char *column);

#endif
