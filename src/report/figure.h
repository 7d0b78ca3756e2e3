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
/* The fitted per-layer factor of a set's profile at initialisation: 10 to the slope of
 * log10 of the norm (column 2: weight_grad_norm, 3: delta_norm) over the hidden layers,
 * toward the input (0.25: each layer nearer the input gets a quarter); NaN without two
 * layers to fit. */
double layer_factor(struct report *report, const struct run_group *set, int column);
/* Appends "$name << EOD" with "layer mean low high" of the mean-field prediction (the
 * predictions table) of the norm over the set's runs. Returns the number of layers with
 * a prediction (0: no block written), or -1 with a message. */
int prediction_block(struct report *report, struct strbuf *data, const char *name,
		     const struct run_group *set, int column);
/* The range of a series over steps, for a linear axis or, when no value is negative, a
 * log axis (zeros are left out of it: an update ratio of 0 is not a reason for a linear
 * axis). */
struct value_range {
	double low, high;     /* of the finite values */
	int count;            /* finite values seen */
	double positive_low;  /* the smallest positive finite value */
	int positive_count;
	bool no_negative;     /* start it true */
};
/* Appends "$name << EOD" with the set's series over steps: sql selects "step, value"
 * of the run ?1 in step order; one run's rows are "step value", a seed set's "step mean
 * low high" (geometric mean, min, max) at the first run's steps, thinned to
 * MAX_CURVE_POINTS. what names the value in the block's comment. Returns the number of
 * rows with a finite value (0: nothing to draw), or -1 with a message. */
int step_series_block(struct report *report, struct strbuf *data, const char *name,
		      const struct run_group *set, const char *sql, const char *what,
		      struct value_range *range);
/* The same with the arithmetic mean, for values that are not spread over decades and
 * may be zero or negative (a trained alpha): "step mean low high" rows. */
int linear_step_series_block(struct report *report, struct strbuf *data, const char *name,
			     const struct run_group *set, const char *sql, const char *what,
			     struct value_range *range);
/* The axis limits for a value range: whole decades over the positive values when none
 * is negative, else padded. */
void value_range_axis(const struct value_range *range, char *low, char *high, size_t size);
/* Whether a run diverged or was killed: its curves end early and carry a mark there. */
bool run_stopped(const struct report_run *run);
bool set_has_stopped_run(const struct report *report, const struct run_group *set);
/* One x mark per seed set (none without a stopped run): where the curves of its
 * diverged or killed runs end, the last row of sql with a finite value ("x, y" of run ?1,
 * up to the run's later step ?2 when sql has it), their mean x and mean y (geometric
 * when every y is positive), held within [low, high]; every figure kind marks its
 * stopped runs with it. Returns 1 with a mark appended to markers, 0 without, -1 with a
 * message. */
int series_stop_markers(struct report *report, const struct run_group *set, const char *sql,
			const char *colour, double low, double high, struct strbuf *markers);
/* The x marks of a panel (panel from 0), when it has any: their data block, whose
 * comment names the columns ("layer, norm"), and their element of plot. */
void panel_stop_markers(struct strbuf *data, struct strbuf *plot, int panel,
			const char *columns, const struct strbuf *markers);
/* Appends a row "x y colour" of an x mark, y held within the axis [low, high] so a
 * run that ran off the scale is marked at its edge. */
void put_stop_marker(struct strbuf *out, double x, double y, double low, double high,
		     const char *colour);
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
/* Titles wrap at name fields so they stay inside their figure (about 80 characters at
 * a figure's title font) or their panel (a 430-pixel cell). */
#define FIGURE_TITLE_COLUMNS 80
#define PANEL_TITLE_COLUMNS 60
/* Appends text as a gnuplot string expression ('line' . "\n" . 'line') of lines of at
 * most columns characters, broken after a comma between name fields (never inside
 * braces), else at a space, else anywhere; each line escaped on its own, so no escape is
 * cut. For titles marked noenhanced; captions keep the whole text. Returns the lines. */
int wrapped_title(struct strbuf *out, const char *text, int columns);
/* "what: shared fields" as a gnuplot string, for a template's @TITLE@. */
void figure_title(struct strbuf *out, const char *what, const struct strbuf *common);

/* The layer axis shared by the two-panel figures: x from layer 0 to the deepest run's
 * output layer, y over the decades of what they plot, and the right panel's title. */
struct layer_axis {
	char xmax[32], xstep[32], ymin[32], ymax[32], later[96];
};
void layer_axis(const struct report *report, const struct run_group *group,
		const struct range *range, struct layer_axis *axis);

struct curve_style;

/* Small multiples: rows of cells (panels), each row's key right of its last cell. */
struct panel_grid {
	int rows, columns, width, height;
};
void panel_grid_init(struct panel_grid *grid, int rows, int columns);
/* Appends the margins, the title and the key setting of cell (row, column). */
void panel_grid_cell(struct strbuf *out, const struct panel_grid *grid, int row, int column,
		     const char *title);
/* Plot elements in a curve's style: its min-max band ($block columns 1, 3 and 4), its
 * line (columns as gnuplot's using, e.g. "1:2"), with legend (NULL: none). */
void styled_band(struct strbuf *plot, const char *block, const struct curve_style *style);
void styled_band_using(struct strbuf *plot, const char *block, const char *columns,
		       const struct curve_style *style);
void clipped_points(struct strbuf *plot, const char *block, int column,
		    const struct curve_style *style);
void clipped_points_key(struct strbuf *plot);
void styled_curve(struct strbuf *plot, const char *block, const char *columns,
		  const char *with, const struct curve_style *style, const char *legend);
/* The x marks of $block ("x y colour" rows), with their one legend entry. */
void stop_markers(struct strbuf *plot, const char *block);
/* The same marks without a legend entry, and the entry alone, for a figure whose one
 * key stands beside another cell. */
void untitled_stop_markers(struct strbuf *plot, const char *block);
void stop_markers_key(struct strbuf *plot);
/* A plot with nothing to draw still needs an element, without a legend. */
void empty_plot(struct strbuf *plot);

/* The legend of a seed set: what distinguishes its runs from the rest of the group,
 * except field omitted_field (-1: none; a key beside a panel leaves out the panel's
 * value, facet_plan.facet, which the panel's title says). */
void seed_set_legend(const struct report *report, const struct run_group *group,
		     const struct run_group *set, int omitted_field, struct strbuf *legend);

/* facets.c: a figure's curves (seed sets) as small multiples, none of which holds more
 * than MAX_PANEL_CURVES lines. */
#define MAX_PANEL_CURVES 10
struct curve_style {
	char colour[8]; /* "#rrggbb" */
	int dash, point; /* gnuplot dash type and point type */
};
struct facet_plan {
	int facet;                  /* the field whose values make the panels, -1: none */
	int panel_count;
	int *panel_of;              /* per curve: its panel */
	char **panel_titles;        /* per panel, plain text ("" when there is one panel) */
	bool *keeps_value;          /* per panel: its keys tell the facet's value too */
	struct curve_style *styles; /* per curve */
};
/* A colour "#rrggbb" of the figures' sequential palette (viridis without its lightest
 * yellows) for level out of levels, level 0 the darkest. */
void sequential_colour(char colour[8], int level, int levels);
/* lines_per_curve: the lines each seed set draws in a panel (2 for a train and a
 * validation series), which count toward a panel's limit. */
int report_facet_plan(const struct report *report, const struct run_group *sets, int count,
		      int lines_per_curve, struct facet_plan *plan);
void report_facet_plan_free(struct facet_plan *plan);
/* The field curve k's key leaves out (report_legend's omitted_field): its panel's value,
 * which the panel's title says, unless a curve of the panel has nothing else to tell
 * (facet_keep_value): then every key of the panel tells it, and -1. */
int facet_key_omits(const struct facet_plan *plan, int k);
/* Curve k's key tells nothing but the facet's value: its panel keeps the value. */
void facet_keep_value(struct facet_plan *plan, int k);
/* facet_keep_value for each seed set (seed_set_legend's keys) that needs it. */
void facet_keep_seed_set_values(const struct report *report, const struct run_group *group,
				const struct run_group *sets, int count, struct facet_plan *plan);

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
int alpha_figure(struct report *report, const struct run_group *group, int index);
int loss_figure(struct report *report, const struct run_group *group, int index);
int depth_figure(struct report *report, const struct run_group *group, int index);
int residual_figure(struct report *report, const struct run_group *group, int index);
int evals_figure(struct report *report, const struct run_group *group, int index);
int diagnostics_figure(struct report *report, const struct run_group *group, int index);

/* figure_profile.c: a profile against layer (at initialisation and later) of the given
 * curves (seed sets) in the given panels, shared by the profile and residual figures. A
 * curve may stand in several panels (a reference repeated in each row): its data and
 * caption are written once. */
struct layer_profile {
	const char *stem, *template_name;
	const char *what;                      /* the figure's title, before the shared fields */
	bool (*common_skip)(const char *column); /* for report_common */
	const char *caption; /* index.html's caption; NULL: a sentence per curve */
	const char *const *legends; /* per curve; NULL: what sets each apart in the group */
	bool in_terminal;
};
int layer_profile_figure(struct report *report, const struct run_group *group,
			 const struct run_group *curves, int curve_count,
			 const struct facet_plan *plan, int column,
			 const struct layer_profile *figure);

/* Grouping: skip tests a column left out of grouping and legends for the figure. */
bool is_depth_column(const char *column);

#endif
