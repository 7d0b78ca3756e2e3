/* Runs that differ only in their residual setup, side by side on one scale, drawn by
 * the profile figure's code (layer_profile_figure) in rows around a reference setup. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Okabe-Ito without black, which the reference curve keeps for itself. */
static const char *const setup_colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
					    "#E69F00", "#56B4E9", "#999999"};
#define SETUP_COLOURS (int)(sizeof setup_colours / sizeof *setup_colours)

/* The panels of the residual figure: the reference setup (plain, or the first) first in
 * every row, the other setups shared out evenly over as few rows as keep a row within
 * MAX_PANEL_CURVES curves. The reference stands in each row's curves again (so curves
 * holds up to rows more than sets); its colour is black, the others' a colour each
 * within a row, with their own point type. */
static int residual_plan(const struct run_group *sets, int set_count, int reference,
			 struct run_group *curves, struct facet_plan *plan)
{
	static const int point_types[] = {5, 9, 11, 13, 3, 1, 4, 6, 8};
	int others = set_count - 1;
	int rows = others > 0 ? (others + MAX_PANEL_CURVES - 2) / (MAX_PANEL_CURVES - 1) : 1;
	*plan = (struct facet_plan){.facet = -1}; /* rows of setups, no field's values */
	plan->panel_count = rows;
	plan->panel_of = xcalloc((size_t)(set_count + rows), sizeof *plan->panel_of);
	plan->styles = xcalloc((size_t)(set_count + rows), sizeof *plan->styles);
	plan->panel_titles = xcalloc((size_t)rows, sizeof *plan->panel_titles);
	int count = 0, next = 0;
	for (int row = 0; row < rows; row++) {
		/* 12 setups besides the reference: rows of 6 and 6, not 9 and 3 */
		int in_row = others / rows + (row < others % rows);
		struct strbuf title;
		strbuf_init(&title);
		if (rows > 1)
			strbuf_printf(&title, "setups %d of %d", row + 1, rows);
		plan->panel_titles[row] = strbuf_detach(&title);
		plan->panel_of[count] = row;
		snprintf(plan->styles[count].colour, 8, "#000000");
		plan->styles[count].dash = 1, plan->styles[count].point = 7;
		curves[count++] = sets[reference];
		for (int i = 0; i < in_row; i++, next++) {
			next += next == reference;
			plan->panel_of[count] = row;
			snprintf(plan->styles[count].colour, 8, "%s", setup_colours[i % SETUP_COLOURS]);
			plan->styles[count].dash = 1 + i / SETUP_COLOURS;
			plan->styles[count].point = point_types[i % 9];
			curves[count++] = sets[next];
		}
	}
	return count;
}

/* Figure 5: runs that differ only in their residual setup (plain, the form, block
 * length, trained alpha, init, alpha), their weight-gradient profiles drawn as the
 * profile figure draws them: seeds aggregated into a curve with a band, diverged runs
 * clipped at the axis and marked, in rows of at most MAX_PANEL_CURVES curves, each row
 * with the plain network (or the first setup) as its reference. */
int residual_figure(struct report *report, const struct run_group *runs, int index)
{
	struct run_group *sets = NULL;
	int set_count = report_seed_sets(report, runs, false, NULL, &sets);
	/* each seed set's setup name, with its alpha when alphas differ */
	char **names = xcalloc((size_t)set_count, sizeof *names);
	int alpha_field = -1;
	for (int f = 0; f < report->field_count; f++)
		alpha_field = !strcmp(report->fields[f].column, "residual_alpha") ? f : alpha_field;
	/* among the runs with a fixed alpha: a plain run has none, and a trained one's is
	 * a start value that its name tells ("rezero") */
	bool alphas_differ = false;
	const char *some_alpha = NULL;
	for (int m = 0; m < set_count && alpha_field >= 0; m++) {
		const struct report_run *run = &report->runs[sets[m].members[0]];
		if (!strcmp(report_value(report, run, "residual_learn_alpha"), "1"))
			continue;
		const char *alpha = run->values[alpha_field];
		if (*alpha && some_alpha)
			alphas_differ |= strcmp(alpha, some_alpha) != 0;
		some_alpha = *alpha ? alpha : some_alpha;
	}
	int reference = 0;
	for (int m = 0; m < set_count; m++) {
		const struct report_run *run = &report->runs[sets[m].members[0]];
		struct strbuf name;
		strbuf_init(&name);
		report_setup_name(report, run, &name);
		if (alphas_differ && *run->values[alpha_field] &&
		    strcmp(report_value(report, run, "residual_learn_alpha"), "1"))
			strbuf_printf(&name, " alpha %s", run->values[alpha_field]);
		names[m] = strbuf_detach(&name);
	}
	for (int m = set_count - 1; m >= 0; m--)
		reference = !strcmp(names[m], "plain") ? m : reference;
	bool compared = false;
	for (int m = 0; m < set_count; m++)
		compared |= strcmp(names[m], names[reference]) != 0;
	int result = 0;
	struct strbuf title, caption;
	strbuf_init(&title), strbuf_init(&caption);
	struct run_group *curves = NULL;
	struct facet_plan plan = {0};
	char **legends = NULL;
	int curve_count = 0;
	if (!compared)
		goto done; /* one setup: nothing to compare */
	report_common(report, runs, false, report_is_residual_column, &title);
	strbuf_printf(&caption, "%s: the weight gradient at layer 0 relative to the output "
				"layer's at initialisation:",
		      title.length ? title.text : "these runs");
	for (int m = 0; m < set_count; m++) {
		char number[32];
		strbuf_printf(&caption, " %s %s%s%s", names[m],
			      report_number(number, sizeof number,
					    geometric_mean_ratio(report, &sets[m], false)),
			      sets[m].count > 1 ? " (geometric mean of the seeds)" : "",
			      m + 1 < set_count ? ";" : ".");
	}
	curves = xcalloc((size_t)(2 * set_count), sizeof *curves);
	curve_count = residual_plan(sets, set_count, reference, curves, &plan);
	/* a curve is named by its setup, and says when its runs stopped */
	legends = xcalloc((size_t)curve_count, sizeof *legends);
	for (int k = 0; k < curve_count; k++) {
		int m = 0, stopped = 0;
		while (sets[m].members[0] != curves[k].members[0])
			m++;
		const char *status = NULL;
		for (int r = 0; r < sets[m].count; r++)
			if (run_stopped(&report->runs[sets[m].members[r]]))
				stopped++, status = report->runs[sets[m].members[r]].status;
		struct strbuf legend;
		strbuf_init(&legend);
		strbuf_puts(&legend, names[m]);
		if (stopped == sets[m].count)
			strbuf_printf(&legend, " [%s]", status);
		else if (stopped)
			strbuf_printf(&legend, " [%d of %d seeds %s]", stopped, sets[m].count, status);
		legends[k] = strbuf_detach(&legend);
	}
	char stem[64];
	snprintf(stem, sizeof stem, "residual-%d", index);
	const struct layer_profile figure = {
		stem, "residual.gp", "residual setups", report_is_residual_column, caption.text,
		(const char *const *)legends, false,
	};
	result = layer_profile_figure(report, runs, curves, curve_count, &plan, 2, &figure);
done:
	for (int m = 0; m < set_count; m++)
		free(names[m]);
	free(names);
	for (int k = 0; k < curve_count; k++)
		free(legends[k]);
	free(legends), free(curves);
	report_facet_plan_free(&plan);
	strbuf_free(&title), strbuf_free(&caption);
	report_groups_free(sets, set_count);
	return result;
}
