/* The training loss against step, one curve per seed set, in panels when there are too
 * many curves for one (facets.c). */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static const char loss_sql[] = "SELECT step, loss FROM steps WHERE run_id = ?1 ORDER BY step";
/* Figure 3: training loss against step. */
int loss_figure(struct report *report, const struct run_group *group, int index)
{
	struct strbuf data, panels, title, caption, escaped;
	strbuf_init(&data), strbuf_init(&panels), strbuf_init(&title), strbuf_init(&caption);
	strbuf_init(&escaped);
	struct value_range range = {.no_negative = true}, stopped_range = {.no_negative = true};
	long long first_step = -1, last_step = -1;
	int result = -1;
	struct run_group *sets = NULL;
	int set_count = report_seed_sets(report, group, false, NULL, &sets);
	struct facet_plan plan;
	report_facet_plan(report, sets, set_count, 1, &plan);
	facet_keep_seed_set_values(report, group, sets, set_count, &plan);
	struct strbuf *plots = xcalloc((size_t)plan.panel_count, sizeof *plots);
	struct strbuf *markers = xcalloc((size_t)plan.panel_count, sizeof *markers);
	for (int p = 0; p < plan.panel_count; p++)
		strbuf_init(&plots[p]), strbuf_init(&markers[p]);
	bool drawn = false;
	for (int k = 0; k < set_count; k++) {
		const struct run_group *set = &sets[k];
		const struct report_run *run = &report->runs[set->members[0]];
		char block[32];
		snprintf(block, sizeof block, "loss%lld", run->id);
		bool stopped = set_has_stopped_run(report, set);
		int rows = step_series_block(report, &data, block, set, loss_sql, "loss",
					     stopped ? &stopped_range : &range);
		if (rows < 0)
			goto done;
		if (!rows && run->first_step < 0)
			continue; /* nothing logged */
		drawn = true;
		first_step = first_step < 0 || run->first_step < first_step ? run->first_step
									     : first_step;
		last_step = run->last_step > last_step ? run->last_step : last_step;
		/* the key beside a panel leaves out the panel's value; the caption does not */
		struct strbuf legend, named;
		strbuf_init(&legend), strbuf_init(&named);
		seed_set_legend(report, group, set, facet_key_omits(&plan, k), &legend);
		seed_set_legend(report, group, set, -1, &named);
		if (set->count > 1)
			strbuf_printf(&legend, " (%d seeds)", set->count);
		struct strbuf *plot = &plots[plan.panel_of[k]];
		if (set->count > 1 && rows)
			styled_band(plot, block, &plan.styles[k]);
		/* a few points on the line tell apart curves of one colour and dash */
		char with[48];
		snprintf(with, sizeof with, "linespoints pi %d", rows / 8 + 1);
		/* a run without a finite loss (diverged at once) is still in the key */
		styled_curve(plot, rows ? block : "NaN", "1:2", with, &plan.styles[k], legend.text);
		char loss[32];
		/* "first seed" rather than "(N seeds)" */
		strbuf_printf(&caption, "%s: final loss %s (%s%s). ", named.text,
			      report_number(loss, sizeof loss, run->final_loss), run->status,
			      set->count > 1 ? ", first seed" : "");
		strbuf_free(&legend), strbuf_free(&named);
	}
	if (!drawn) {
		result = 0;
		goto done;
	}
	/* the axis is set by the runs that did not diverge, when there are any */
	struct value_range *axis = range.count ? &range : &stopped_range;
	axis->no_negative &= range.no_negative && stopped_range.no_negative;
	char ymin[32], ymax[32], xmin[32], xmax[32];
	value_range_axis(axis, ymin, ymax, sizeof ymin);
	for (int k = 0; k < set_count; k++)
		if (set_has_stopped_run(report, &sets[k]) &&
		    series_stop_markers(report, &sets[k], loss_sql, plan.styles[k].colour,
					atof(ymin), atof(ymax), &markers[plan.panel_of[k]]) < 0)
			goto done;
	struct panel_grid grid;
	panel_grid_init(&grid, plan.panel_count, 1);
	for (int p = 0; p < plan.panel_count; p++) {
		panel_stop_markers(&data, &plots[p], p, "step, loss", &markers[p]);
		empty_plot(&plots[p]);
		panel_grid_cell(&panels, &grid, p, 0, plan.panel_titles[p]);
		strbuf_printf(&panels, "plot %s\n", plots[p].text);
	}
	report_common(report, group, false, NULL, &title);
	figure_title(&escaped, "training loss", &title);
	char stem[64];
	snprintf(stem, sizeof stem, "loss-%d", index);
	const char *loss_fn = report->runs[group->members[0]].loss_fn;
	/* a single step still gets a range gnuplot accepts without a warning */
	snprintf(xmin, sizeof xmin, "%lld", first_step);
	snprintf(xmax, sizeof xmax, "%lld", last_step > first_step ? last_step : first_step + 1);
	struct template_value values[TEMPLATE_VALUES] = {
		{"DATA", data.text},
		{"TITLE", escaped.text},
		{"LOSS", !strcmp(loss_fn, "mse") ? "mean squared error" : "cross-entropy"},
		{"LOGSCALE", axis->no_negative ? "set logscale y\nset format y \"10^{%L}\"" : ""},
		{"PANELS", panels.text},
		{"YMIN", ymin},
		{"YMAX", ymax},
		{"XMIN", xmin},
		{"XMAX", xmax},
	};
	result = write_script(report, stem, "loss.gp", grid.width, grid.height, values, 9, true);
	if (!result) {
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "Training loss of %s. %s",
			      title.length ? title.text : "the selected runs", caption.text);
		figure_html(report, stem, text.text);
		strbuf_free(&text);
	}
done:
	for (int p = 0; p < plan.panel_count; p++)
		strbuf_free(&plots[p]), strbuf_free(&markers[p]);
	free(plots), free(markers);
	report_facet_plan_free(&plan);
	report_groups_free(sets, set_count);
	strbuf_free(&data), strbuf_free(&panels), strbuf_free(&title), strbuf_free(&caption);
	strbuf_free(&escaped);
	return result;
}
