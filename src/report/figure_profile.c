/* The gradient-flow profile: weight_grad_norm or delta_norm against layer, at
 * initialisation (left) and at a later step (right), one curve per seed set, split into
 * rows of panels when there are too many curves for one (facets.c). */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* The SQL of where a stopped run's profile ends (its last row): the lowest layer with a
 * finite gradient at the last step (up to the profile's) that had one, where the
 * backward pass last held. */
static const char *const stop_sql[] = {
	"SELECT layer, weight_grad_norm FROM layer_stats WHERE run_id = ?1 AND step <= ?2 AND"
	" weight_grad_norm > 0 AND weight_grad_norm < 1e308 ORDER BY step, layer DESC",
	"SELECT layer, delta_norm FROM layer_stats WHERE run_id = ?1 AND step <= ?2 AND"
	" delta_norm > 0 AND delta_norm < 1e308 ORDER BY step, layer DESC",
};

/* The curves of one seed set into its panel, named name (NULL: after what sets it apart
 * in the group, but for field omitted_field in the key: the panel's); the caption's
 * sentence about it. */
static int profile_curves(struct report *report, const struct run_group *group,
			  const struct run_group *set, const char *name, int omitted_field,
			  int column,
			  const struct curve_style *style, bool stopped, struct strbuf *data,
			  struct strbuf *left, struct strbuf *right, bool *predicted,
			  struct range *range, struct strbuf *caption)
{
	const struct report_run *run = &report->runs[set->members[0]];
	char first[32], later[32], predicted_block[32];
	snprintf(first, sizeof first, "%s%lld_first", set->count > 1 ? "seeds" : "run", run->id);
	snprintf(later, sizeof later, "%s%lld_later", set->count > 1 ? "seeds" : "run", run->id);
	snprintf(predicted_block, sizeof predicted_block, "predicted%lld", run->id);
	struct strbuf legend, named; /* in the key, and in the caption */
	strbuf_init(&legend), strbuf_init(&named);
	if (name) {
		strbuf_puts(&legend, name);
		strbuf_puts(&named, name);
	} else {
		seed_set_legend(report, group, set, omitted_field, &legend);
		seed_set_legend(report, group, set, -1, &named);
	}
	if (set->count > 1) {
		strbuf_printf(&legend, " (%d seeds)", set->count);
		strbuf_printf(&named, " (%d seeds)", set->count);
	}
	double factor = layer_factor(report, set, column);
	/* the caption tells the factor in words */
	if (!isnan(factor))
		strbuf_printf(&legend, " \u00d7%.2g/layer", factor);
	int plotted[2], result = -1, value_column = set->count > 1 ? 2 : column;
	char using[64];
	if (set->count > 1) {
		plotted[0] = seed_profile_block(report, data, first, set, false, column, range);
		plotted[1] = seed_profile_block(report, data, later, set, true, column, range);
		if (plotted[0] < 0 || plotted[1] < 0)
			goto done;
		snprintf(using, sizeof using, "1:(clip($2))");
	} else {
		int plottable[2][2];
		if (run_profile_blocks(report, data, run, range, plottable))
			goto done;
		plotted[0] = plottable[0][column - 2], plotted[1] = plottable[1][column - 2];
		snprintf(using, sizeof using, "1:($%d > 0 ? clip($%d) : NaN)", column, column);
	}
	for (int side = 0; side < 2; side++) {
		if (!plotted[side])
			continue;
		if (set->count > 1)
			styled_band_using(side ? right : left, side ? later : first,
					  "1:(clip($3)):(clip($4))", style);
		/* the legend goes with the right-hand curve, next to the row's key */
		styled_curve(side ? right : left, side ? later : first, using, "linespoints", style,
			     side ? legend.text : NULL);
		if (stopped && plotted[side])
			clipped_points(side ? right : left, side ? later : first, value_column,
				       style);
	}
	/* a curve with nothing finite on the right (a run that diverged early) is still
	 * in the key */
	if (!plotted[1])
		styled_curve(right, "NaN", "1:2", "linespoints", style, legend.text);
	int predictions = prediction_block(report, data, predicted_block, set, column);
	if (predictions < 0)
		goto done;
	if (predictions) {
		struct curve_style dotted = *style;
		dotted.dash = 3;
		styled_curve(left, predicted_block, "1:(clip($2))", "lines", &dotted, NULL);
		*predicted = true;
	}
	if (column == 2) {
		char a[32], b[32], f[32], seeds[48] = "";
		if (set->count > 1)
			snprintf(seeds, sizeof seeds, " (geometric mean of %d seeds)", set->count);
		strbuf_printf(caption, "%s: layer 0 gets %s of the output layer's weight gradient "
				       "at initialisation and %s at step %lld%s",
			      named.text,
			      report_number(a, sizeof a, geometric_mean_ratio(report, set, false)),
			      report_number(b, sizeof b, geometric_mean_ratio(report, set, true)),
			      run->later_step, seeds);
		if (!isnan(factor))
			strbuf_printf(caption, "; fitted factor per layer %s",
				      report_number(f, sizeof f, factor));
		strbuf_puts(caption, ". ");
	}
	result = 0;
done:
	strbuf_free(&legend), strbuf_free(&named);
	return result;
}

/* Whether curve k draws a seed set an earlier curve drew already (the residual figure's
 * reference, repeated in each of its rows): its data and caption are not written twice. */
static bool repeated_curve(const struct run_group *curves, int k)
{
	for (int j = 0; j < k; j++)
		if (curves[j].members[0] == curves[k].members[0])
			return true;
	return false;
}

int layer_profile_figure(struct report *report, const struct run_group *group,
			 const struct run_group *curves, int curve_count,
			 const struct facet_plan *plan, int column,
			 const struct layer_profile *figure)
{
	const char *quantity = column == 2 ? "weight_grad_norm" : "delta_norm";
	struct strbuf data, panels, title, caption, key, escaped, scratch;
	strbuf_init(&data), strbuf_init(&panels), strbuf_init(&title);
	strbuf_init(&caption), strbuf_init(&key), strbuf_init(&escaped), strbuf_init(&scratch);
	/* axes are set by the runs that did not diverge, when there are any */
	struct range range = {0, 0}, stopped_range = {0, 0};
	int result = -1, panel_count = plan->panel_count;
	struct strbuf *left = xcalloc((size_t)panel_count, sizeof *left);
	struct strbuf *right = xcalloc((size_t)panel_count, sizeof *right);
	struct strbuf *markers = xcalloc((size_t)panel_count, sizeof *markers);
	bool *predicted = xcalloc((size_t)panel_count, sizeof *predicted);
	/* panels with a diverged or killed run, whose values may lie beyond the axis */
	bool *clipped = xcalloc((size_t)panel_count, sizeof *clipped);
	for (int p = 0; p < panel_count; p++)
		strbuf_init(&left[p]), strbuf_init(&right[p]), strbuf_init(&markers[p]);
	for (int k = 0; k < curve_count; k++) {
		int p = plan->panel_of[k];
		if (report->runs[curves[k].members[0]].first_step < 0)
			continue;
		bool stopped = set_has_stopped_run(report, &curves[k]);
		bool repeat = repeated_curve(curves, k);
		clipped[p] |= stopped;
		strbuf_reset(&scratch);
		if (profile_curves(report, group, &curves[k],
				   figure->legends ? figure->legends[k] : NULL,
				   facet_key_omits(plan, k), column,
				   &plan->styles[k], stopped,
				   repeat ? &scratch : &data, &left[p], &right[p], &predicted[p],
				   stopped ? &stopped_range : &range, repeat ? &scratch : &caption))
			goto done;
	}
	if (!data.length) {
		result = 0; /* nothing logged: no figure */
		goto done;
	}
	struct layer_axis axis;
	layer_axis(report, group, range.high > 0 ? &range : &stopped_range, &axis);
	for (int k = 0; k < curve_count; k++)
		if (set_has_stopped_run(report, &curves[k]) &&
		    series_stop_markers(report, &curves[k], stop_sql[column - 2],
					plan->styles[k].colour, atof(axis.ymin), atof(axis.ymax),
					&markers[plan->panel_of[k]]) < 0)
			goto done;
	struct panel_grid grid;
	panel_grid_init(&grid, panel_count, 2);
	for (int p = 0; p < panel_count; p++) {
		panel_stop_markers(&data, &right[p], p, "layer, norm", &markers[p]);
		if (clipped[p])
			clipped_points_key(&right[p]);
		if (predicted[p])
			strbuf_puts(&right[p], ", \\\n     NaN with lines lc rgb '#444444' dt 3 title "
					       "'dotted: mean-field prediction' noenhanced");
		empty_plot(&left[p]);
		empty_plot(&right[p]);
		struct strbuf cell_title;
		strbuf_init(&cell_title);
		const char *facet = plan->panel_titles[p];
		strbuf_printf(&cell_title, "%s%sat initialisation (step 0)", facet,
			      *facet ? ", " : "");
		panel_grid_cell(&panels, &grid, p, 0, cell_title.text);
		strbuf_printf(&panels, "plot %s\n", left[p].text);
		strbuf_reset(&cell_title);
		strbuf_printf(&cell_title, "%s%s%s", facet, *facet ? ", " : "", axis.later);
		panel_grid_cell(&panels, &grid, p, 1, cell_title.text);
		strbuf_printf(&panels, "plot %s\n", right[p].text);
		strbuf_free(&cell_title);
	}
	report_common(report, group, false, figure->common_skip, &title);
	figure_title(&escaped, figure->what, &title);
	struct template_value values[TEMPLATE_VALUES] = {
		{"QUANTITY", quantity},
		{"LATER", axis.later},
		{"DATA", data.text},
		{"TITLE", escaped.text},
		{"YLABEL", column == 2 ? "||dL/dW||_F" : "||dL/dz||_F (delta)"},
		{"XMAX", axis.xmax},
		{"XSTEP", axis.xstep},
		{"YMIN", axis.ymin},
		{"YMAX", axis.ymax},
		{"PANELS", panels.text},
	};
	result = write_script(report, figure->stem, figure->template_name, grid.width,
			      grid.height, values, 10, figure->in_terminal);
	if (!result) {
		if (figure->caption)
			strbuf_puts(&key, figure->caption);
		else
			strbuf_printf(&key, "Gradient-flow profile (%s) of %s.%s%s", quantity,
				      title.length ? title.text : "the selected runs",
				      caption.length ? " " : "", caption.text);
		figure_html(report, figure->stem, key.text);
	}
done:
	for (int p = 0; p < panel_count; p++)
		strbuf_free(&left[p]), strbuf_free(&right[p]), strbuf_free(&markers[p]);
	free(left), free(right), free(markers), free(predicted), free(clipped);
	strbuf_free(&data), strbuf_free(&panels), strbuf_free(&title), strbuf_free(&scratch);
	strbuf_free(&caption), strbuf_free(&key), strbuf_free(&escaped);
	return result;
}

/* Figure 1: weight_grad_norm (column 2) or delta_norm (column 3) against layer, one
 * curve per seed set, in the panels of facets.c. */
int profile_figure(struct report *report, const struct run_group *group, int index, int column)
{
	struct run_group *sets = NULL;
	int set_count = report_seed_sets(report, group, false, NULL, &sets);
	struct facet_plan plan;
	report_facet_plan(report, sets, set_count, 1, &plan);
	facet_keep_seed_set_values(report, group, sets, set_count, &plan);
	char stem[64];
	snprintf(stem, sizeof stem, "profile-%s-%d", column == 2 ? "weight_grad" : "delta", index);
	const struct layer_profile figure = {
		stem, "profile.gp", column == 2 ? "weight gradient" : "delta (dL/dz)", NULL, NULL,
		NULL, column == 2,
	};
	int result = layer_profile_figure(report, group, sets, set_count, &plan, column, &figure);
	report_facet_plan_free(&plan);
	report_groups_free(sets, set_count);
	return result;
}

int weight_grad_profile_figure(struct report *report, const struct run_group *group, int index)
{
	return profile_figure(report, group, index, 2);
}

int delta_profile_figure(struct report *report, const struct run_group *group, int index)
{
	return profile_figure(report, group, index, 3);
}
