/* Figures of quantities over steps, one column of panels per quantity and a curve per
 * seed set (two when a quantity has a train and a validation series): the evaluations
 * (loss and accuracy on the train and validation splits, from evals) and the
 * diagnostics (dead fraction, saturated fraction, update ratio, averaged over the hidden
 * layers, from layer_stats). A kind is a row of step_kinds below. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* One quantity: a column of panels. */
struct step_quantity {
	const char *title, *ylabel;
	/* SQL of each series ("step, value" of run ?1 in step order); a NULL second for one */
	const char *sql[2];
	bool logarithmic;           /* a log axis when every value is positive */
	double fixed_low, fixed_high; /* a fixed linear axis when fixed_high > fixed_low */
};

struct step_kind {
	const char *stem, *what, *description, *caption;
	const char *series_names[2]; /* the series of a two-series quantity */
	int quantity_count;
	struct step_quantity quantities[3];
};

#define HIDDEN_MEAN(column)                                                                 \
	"SELECT step, avg(" column ") FROM layer_stats WHERE run_id = ?1 AND layer <"         \
	" (SELECT depth FROM runs WHERE id = ?1) GROUP BY step ORDER BY step"
#define EVALS(column, split)                                                                \
	"SELECT step, " column " FROM evals WHERE run_id = ?1 AND split = '" split "'"      \
	" ORDER BY step"

static const struct step_kind evals_kind = {
	"evals", "evaluation",
	"Loss and accuracy on the whole train and validation splits (the evals table) against "
	"step; thin lines are the train split, lines with points the validation split.",
	"Loss and accuracy on the whole train split (thin) and validation split (with points), "
	"from the evals table (log.eval_every), of",
	{"train", "validation"},
	2,
	{
		{"loss", "loss (whole split)", {EVALS("loss", "train"), EVALS("loss", "validation")},
		 true, 0, 0},
		{"accuracy", "accuracy", {EVALS("accuracy", "train"), EVALS("accuracy", "validation")},
		 false, 0, 1},
	},
};

static const struct step_kind diagnostics_kind = {
	"diagnostics", "diagnostics",
	"The diagnostics of layer_stats averaged over the hidden layers, against step: the "
	"fraction of dead units (relu-like activations), of saturated units (sigmoid, tanh), "
	"and the update ratio ||lr * update|| / ||W||.",
	"Dead fraction, saturated fraction and update ratio (means over the hidden layers) of",
	{NULL, NULL},
	3,
	{
		{"dead fraction", "fraction of units", {HIDDEN_MEAN("dead_fraction"), NULL}, false, 0,
		 1},
		{"saturated fraction", "fraction of units", {HIDDEN_MEAN("saturated_fraction"), NULL},
		 false, 0, 1},
		{"update ratio", "||update|| / ||W||", {HIDDEN_MEAN("update_ratio"), NULL}, true, 0,
		 0},
	},
};

/* A quantity's y axis: its limits (low, high) and whether it is logarithmic. */
static bool quantity_bounds(const struct step_quantity *quantity, struct value_range *range,
			    struct value_range *stopped_range, char *low, char *high, size_t size)
{
	if (quantity->fixed_high > quantity->fixed_low) {
		snprintf(low, size, "%g", quantity->fixed_low);
		snprintf(high, size, "%g", quantity->fixed_high);
		return false;
	}
	/* axes are set by the runs that did not diverge, when there are any */
	struct value_range *axis = range->count ? range : stopped_range;
	axis->no_negative &= range->no_negative && stopped_range->no_negative;
	struct value_range shown = *axis;
	shown.no_negative = quantity->logarithmic && axis->no_negative;
	value_range_axis(&shown, low, high, size);
	return shown.no_negative;
}

/* The axis settings of a quantity's panels. */
static void quantity_axis(struct strbuf *out, const struct step_quantity *quantity,
			  struct value_range *range, struct value_range *stopped_range)
{
	strbuf_puts(out, "set ylabel ");
	report_gnuplot_string(out, quantity->ylabel);
	strbuf_puts(out, " noenhanced\n");
	char low[32], high[32];
	if (quantity_bounds(quantity, range, stopped_range, low, high, sizeof low))
		strbuf_printf(out, "set logscale y\nset format y \"10^{%%L}\"\n");
	else
		strbuf_puts(out, "unset logscale y\nset format y '%g'\n");
	strbuf_printf(out, "set yrange [%s:%s]\n", low, high);
}

/* The x marks of the stopped seed sets in each cell: one per set and quantity, where
 * its last series (validation, with points) ends, else its first. */
static int quantity_stop_markers(struct report *report, const struct step_kind *kind,
				 const struct run_group *sets, int set_count,
				 const struct facet_plan *plan, struct value_range ranges[][2],
				 struct strbuf *markers)
{
	int columns = kind->quantity_count;
	for (int q = 0; q < columns; q++) {
		const struct step_quantity *quantity = &kind->quantities[q];
		char low[32], high[32];
		quantity_bounds(quantity, &ranges[q][0], &ranges[q][1], low, high, sizeof low);
		for (int k = 0; k < set_count; k++) {
			if (!set_has_stopped_run(report, &sets[k]))
				continue;
			struct strbuf *cell = &markers[plan->panel_of[k] * columns + q];
			for (int series = 1, marked = 0; series >= 0 && !marked; series--) {
				if (!quantity->sql[series])
					continue;
				marked = series_stop_markers(report, &sets[k], quantity->sql[series],
							     plan->styles[k].colour, atof(low),
							     atof(high), cell);
				if (marked < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int step_kind_figure(struct report *report, const struct run_group *group, int index,
			    const struct step_kind *kind)
{
	struct strbuf data, panels, title, escaped, key;
	strbuf_init(&data), strbuf_init(&panels), strbuf_init(&title), strbuf_init(&escaped);
	strbuf_init(&key);
	int result = -1, columns = kind->quantity_count;
	long long first_step = -1, last_step = -1;
	struct run_group *sets = NULL;
	int set_count = report_seed_sets(report, group, false, NULL, &sets);
	struct facet_plan plan;
	report_facet_plan(report, sets, set_count, kind->series_names[1] ? 2 : 1,
			  &plan);
	facet_keep_seed_set_values(report, group, sets, set_count, &plan);
	int cells = plan.panel_count * columns;
	struct strbuf *plots = xcalloc((size_t)cells, sizeof *plots);
	struct strbuf *markers = xcalloc((size_t)cells, sizeof *markers);
	for (int c = 0; c < cells; c++)
		strbuf_init(&plots[c]), strbuf_init(&markers[c]);
	struct value_range ranges[3][2];
	for (int q = 0; q < columns; q++)
		ranges[q][0] = ranges[q][1] = (struct value_range){.no_negative = true};
	bool drawn = false, recorded[3] = {false};
	bool *cell_recorded = xcalloc((size_t)cells, sizeof *cell_recorded);
	for (int k = 0; k < set_count; k++) {
		const struct run_group *set = &sets[k];
		const struct report_run *run = &report->runs[set->members[0]];
		bool stopped = set_has_stopped_run(report, set);
		struct strbuf legend;
		strbuf_init(&legend);
		seed_set_legend(report, group, set, facet_key_omits(&plan, k), &legend);
		if (set->count > 1)
			strbuf_printf(&legend, " (%d seeds)", set->count);
		bool titled = false;
		for (int q = columns - 1; q >= 0; q--) {
			const struct step_quantity *quantity = &kind->quantities[q];
			struct strbuf *plot = &plots[plan.panel_of[k] * columns + q];
			for (int series = 1; series >= 0; series--) {
				if (!quantity->sql[series])
					continue;
				char block[48];
				snprintf(block, sizeof block, "%s%lld_%d_%d", kind->stem, run->id, q,
					 series);
				int rows = step_series_block(report, &data, block, set,
							     quantity->sql[series], quantity->title,
							     &ranges[q][stopped]);
				if (rows < 0) {
					strbuf_free(&legend);
					goto done;
				}
				if (!rows)
					continue;
				drawn = recorded[q] = true;
				cell_recorded[plan.panel_of[k] * columns + q] = true;
				first_step = first_step < 0 || run->first_step < first_step
						     ? run->first_step
						     : first_step;
				last_step = run->last_step > last_step ? run->last_step : last_step;
				if (set->count > 1)
					styled_band(plot, block, &plan.styles[k]);
				/* of two series, the second (validation) has points, the first
				 * is thin */
				bool thin = !series && quantity->sql[1];
				char with[48];
				snprintf(with, sizeof with, thin ? "lines lw 1" : "linespoints pi %d",
					 rows / 8 + 1);
				bool keyed = q == columns - 1 && !titled;
				styled_curve(plot, block, "1:2", with, &plan.styles[k],
					     keyed ? legend.text : NULL);
				titled |= keyed;
			}
		}
		/* a set with nothing in the keyed column is still in the key */
		if (!titled)
			styled_curve(&plots[plan.panel_of[k] * columns + columns - 1], "NaN", "1:2",
				     "linespoints", &plan.styles[k], legend.text);
		strbuf_free(&legend);
	}
	if (!drawn) {
		result = 0; /* nothing recorded: no figure */
		goto done;
	}
	if (quantity_stop_markers(report, kind, sets, set_count, &plan, ranges, markers))
		goto done;
	/* a quantity no run here records (the dead fraction of sigmoid runs, the saturated
	 * fraction of relu runs) gets no column of empty panels; the last, which holds the
	 * key, always stays */
	int shown = 0;
	for (int q = 0; q < columns; q++)
		shown += recorded[q] || q == columns - 1;
	struct panel_grid grid;
	panel_grid_init(&grid, plan.panel_count, shown);
	for (int p = 0; p < plan.panel_count; p++)
		for (int q = 0, column = 0; q < columns; q++) {
			if (!recorded[q] && q < columns - 1)
				continue;
			struct strbuf *plot = &plots[p * columns + q];
			char columns_named[64];
			snprintf(columns_named, sizeof columns_named, "step, %s",
				 kind->quantities[q].title);
			panel_stop_markers(&data, plot, p * columns + q, columns_named,
					   &markers[p * columns + q]);
			if (q == columns - 1 && kind->series_names[0])
				strbuf_printf(plot, ", \\\n     NaN with lines lw 1 lc rgb '#444444' title"
						    " 'thin: %s' noenhanced, \\\n     NaN with linespoints"
						    " lc rgb '#444444' title 'with points: %s' noenhanced",
					      kind->series_names[0], kind->series_names[1]);
			empty_plot(plot);
			struct strbuf cell_title;
			strbuf_init(&cell_title);
			const char *facet = plan.panel_titles[p];
			strbuf_printf(&cell_title, "%s%s%s", facet, *facet ? ", " : "",
				      kind->quantities[q].title);
			panel_grid_cell(&panels, &grid, p, column++, cell_title.text);
			strbuf_free(&cell_title);
			quantity_axis(&panels, &kind->quantities[q], &ranges[q][0], &ranges[q][1]);
			/* a panel whose runs do not record what its neighbours' do says so */
			if (!cell_recorded[p * columns + q])
				strbuf_puts(&panels, "set label 1 'not recorded by these runs' at graph"
						     " 0.5, 0.5 center tc rgb '#666666' noenhanced\n");
			strbuf_printf(&panels, "plot %s\n", plot->text);
			if (!cell_recorded[p * columns + q])
				strbuf_puts(&panels, "unset label 1\n");
		}
	report_common(report, group, false, NULL, &title);
	figure_title(&escaped, kind->what, &title);
	char stem[64], xmin[32], xmax[32];
	snprintf(stem, sizeof stem, "%s-%d", kind->stem, index);
	/* a single step still gets a range gnuplot accepts without a warning */
	snprintf(xmin, sizeof xmin, "%lld", first_step);
	snprintf(xmax, sizeof xmax, "%lld", last_step > first_step ? last_step : first_step + 1);
	struct template_value values[TEMPLATE_VALUES] = {
		{"DESCRIPTION", kind->description}, {"DATA", data.text}, {"TITLE", escaped.text},
		{"XMIN", xmin},   {"XMAX", xmax},   {"PANELS", panels.text},
	};
	result = write_script(report, stem, "steps.gp", grid.width, grid.height, values, 6, false);
	if (!result) {
		strbuf_printf(&key, "%s %s.", kind->caption,
			      title.length ? title.text : "the selected runs");
		for (int q = 0; q < columns; q++)
			if (!recorded[q])
				strbuf_printf(&key, " No run here records the %s.",
					      kind->quantities[q].title);
		figure_html(report, stem, key.text);
	}
done:
	for (int c = 0; c < cells; c++)
		strbuf_free(&plots[c]), strbuf_free(&markers[c]);
	free(plots), free(markers), free(cell_recorded);
	report_facet_plan_free(&plan);
	report_groups_free(sets, set_count);
	strbuf_free(&data), strbuf_free(&panels), strbuf_free(&title), strbuf_free(&escaped);
	strbuf_free(&key);
	return result;
}

int evals_figure(struct report *report, const struct run_group *group, int index)
{
	return step_kind_figure(report, group, index, &evals_kind);
}

int diagnostics_figure(struct report *report, const struct run_group *group, int index)
{
	return step_kind_figure(report, group, index, &diagnostics_kind);
}
