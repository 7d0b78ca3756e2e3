/* The fraction of the gradient that reaches layer 0 at initialisation, against depth. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

bool is_depth_column(const char *column)
{
	return !strcmp(column, "depth");
}

/* Where a diverged depth is marked: its ratio at the first logged step. */
static const char stop_sql[] =
	"SELECT r.depth, a.weight_grad_norm / b.weight_grad_norm FROM runs r"
	" JOIN layer_stats a ON a.run_id = r.id AND a.layer = 0"
	" JOIN layer_stats b ON b.run_id = r.id AND b.step = a.step AND b.layer = r.depth"
	" WHERE r.id = ?1 ORDER BY a.step LIMIT 1";

/* The runs of curve c at depth, as a seed set. */
static void depth_set(const struct report *report, const struct run_group *group,
		      const int *curve_of, int c, int depth, struct run_group *set)
{
	set->count = 0;
	for (int m = 0; m < group->count; m++)
		if (curve_of[m] == c && report->runs[group->members[m]].depth == depth)
			set->members[set->count++] = group->members[m];
}

/* The label of the curve of group member m: what sets it apart but depth (and field
 * omitted_field, -1: none), without a run's status, which is not the curve's; the
 * activation when nothing but depth varies. */
static void curve_label(const struct report *report, const struct run_group *group, int m,
			int omitted_field, int activation_field, struct strbuf *out)
{
	struct strbuf legend;
	strbuf_init(&legend);
	report_legend(report, group, m, true, is_depth_column, false, omitted_field, &legend);
	char *bracket = strstr(legend.text, " [");
	if (bracket)
		*bracket = '\0';
	if (!strcmp(legend.text, report->runs[group->members[m]].name))
		strbuf_puts(out, activation_field >= 0
				 ? report->runs[group->members[m]].values[activation_field]
				 : "runs");
	else
		strbuf_puts(out, legend.text);
	strbuf_free(&legend);
}

/* Figure 4: layer 0 / output ratio at initialisation against depth; one curve per
 * combination of the other varying fields, the geometric mean over runs (seeds) that
 * share a depth, in panels of at most MAX_PANEL_CURVES curves on shared axes (facets.c).
 * A ratio of 0 or one that is not finite has no place on a log axis: it is drawn with a
 * triangle at the axis floor, and a curve with nothing else says so in the key. */
int depth_figure(struct report *report, const struct run_group *group, int index)
{
	struct strbuf data, panels, title, caption;
	strbuf_init(&data), strbuf_init(&panels), strbuf_init(&title), strbuf_init(&caption);
	int *curve_of = xcalloc((size_t)group->count, sizeof(int));
	char **labels = xcalloc((size_t)group->count, sizeof(char *));
	int curves = 0, result = -1, min_depth = 1 << 30, top_depth = 0;
	int activation_field = -1;
	for (int f = 0; f < report->field_count; f++)
		activation_field = !strcmp(report->fields[f].column, "activation") ? f
										 : activation_field;
	struct range range = {0, 0};

	for (int m = 0; m < group->count; m++) {
		struct strbuf legend;
		strbuf_init(&legend);
		curve_label(report, group, m, -1, activation_field, &legend);
		int c = 0;
		while (c < curves && strcmp(labels[c], legend.text))
			c++;
		if (c == curves)
			labels[curves++] = xstrdup(legend.text);
		curve_of[m] = c;
		strbuf_free(&legend);
		/* every run's ratio at initialisation sets the axis, a diverged one's too: at
		 * step 0 it had not diverged yet */
		range_add(&range, report->runs[group->members[m]].ratio_first);
	}
	/* each curve as a group whose first run is its shallowest, so that facets.c sees
	 * the fields that tell curves apart and not depth */
	struct run_group *curve_runs = xcalloc((size_t)curves, sizeof *curve_runs);
	for (int c = 0; c < curves; c++) {
		curve_runs[c].members = xcalloc((size_t)group->count, sizeof(int));
		for (int m = 0; m < group->count; m++) {
			if (curve_of[m] != c)
				continue;
			int *members = curve_runs[c].members, n = curve_runs[c].count++;
			members[n] = group->members[m];
			if (report->runs[members[n]].depth < report->runs[members[0]].depth)
				members[n] = members[0], members[0] = group->members[m];
		}
	}
	struct facet_plan plan;
	report_facet_plan(report, curve_runs, curves, 1, &plan);
	int *curve_member = xcalloc((size_t)curves, sizeof *curve_member); /* in group */
	for (int c = 0; c < curves; c++) {
		curve_member[c] = report_group_member(group, curve_runs[c].members[0]);
		if (plan.facet >= 0 && !report_legend_tells(report, group, curve_member[c], true,
							    is_depth_column, plan.facet))
			facet_keep_value(&plan, c);
	}
	struct strbuf *plots = xcalloc((size_t)plan.panel_count, sizeof *plots);
	struct strbuf *markers = xcalloc((size_t)plan.panel_count, sizeof *markers);
	bool *floored = xcalloc((size_t)plan.panel_count, sizeof *floored);
	for (int p = 0; p < plan.panel_count; p++)
		strbuf_init(&plots[p]), strbuf_init(&markers[p]);
	char ymin[32], ymax[32];
	range_format(&range, ymin, ymax, sizeof ymin);
	struct run_group set = {xcalloc((size_t)group->count, sizeof(int)), 0};
	for (int c = 0; c < curves; c++) {
		const struct curve_style *style = &plan.styles[c];
		int p = plan.panel_of[c];
		strbuf_printf(&data, "# depth, geometric mean of layer 0 / output weight_grad_norm at "
				     "step 0, runs, min, max, runs without a positive finite ratio"
				     "\n$depth%d << EOD\n", c);
		int most_seeds = 0, points = 0, at_floor = 0;
		/* least squares of log10(ratio) over depth: the factor each layer adds */
		double fit_n = 0, fit_x = 0, fit_y = 0, fit_xx = 0, fit_xy = 0;
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
			depth_set(report, group, curve_of, c, depth, &set);
			struct log_stats stats = {0};
			for (int m = 0; m < set.count; m++)
				log_stats_add(&stats, report->runs[set.members[m]].ratio_first);
			int n = stats.count, unplottable = set.count - n;
			double mean = n ? pow(10, stats.sum / n) : NAN;
			most_seeds = set.count > most_seeds ? set.count : most_seeds;
			points += n > 0, at_floor += unplottable > 0;
			if (n) {
				double level = stats.sum / n;
				fit_n++, fit_x += depth, fit_y += level, fit_xx += (double)depth * depth;
				fit_xy += depth * level;
			}
			strbuf_printf(&data, "%d %.17g %d %.17g %.17g %d\n", depth, mean, n,
				      n ? pow(10, stats.low) : NAN, n ? pow(10, stats.high) : NAN,
				      unplottable);
			char number[32];
			if (n)
				strbuf_printf(&caption, " %s at depth %d", report_number(number,
											 sizeof number,
											 mean),
					      depth);
			else
				strbuf_printf(&caption, " 0 (or not finite) at depth %d", depth);
			if (n > 1)
				strbuf_printf(&caption, " (mean of %d)", n);
			strbuf_puts(&caption, ",");
			if (set_has_stopped_run(report, &set) &&
			    series_stop_markers(report, &set, stop_sql, style->colour, atof(ymin),
						atof(ymax), &markers[p]) < 0)
				goto done;
			min_depth = depth < min_depth ? depth : min_depth;
			top_depth = depth > top_depth ? depth : top_depth;
			last_depth = depth;
		}
		double spread = fit_n * fit_xx - fit_x * fit_x;
		double factor = fit_n >= 2 && spread > 0
					? pow(10, (fit_n * fit_xy - fit_x * fit_y) / spread)
					: NAN;
		caption.text[caption.length - 1] = '.';
		if (!isnan(factor)) {
			char number[32];
			caption.text[caption.length - 1] = ';';
			strbuf_printf(&caption, " fitted factor per layer %s.",
				      report_number(number, sizeof number, factor));
		}
		strbuf_puts(&caption, " ");
		strbuf_puts(&data, "EOD\n\n");
		struct strbuf label, block;
		strbuf_init(&label), strbuf_init(&block);
		/* the key beside a panel leaves out the panel's value; the caption does not */
		curve_label(report, group, curve_member[c], facet_key_omits(&plan, c),
			    activation_field, &label);
		if (most_seeds > 1)
			strbuf_printf(&label, " (%d seeds)", most_seeds);
		if (!isnan(factor))
			strbuf_printf(&label, " \u00d7%.2g/layer", factor);
		if (!points)
			strbuf_puts(&label, ": ratio 0, at the floor");
		strbuf_printf(&block, "depth%d", c);
		if (most_seeds > 1 && points)
			styled_band_using(&plots[p], block.text, "1:4:5", style);
		if (points)
			styled_curve(&plots[p], block.text, "1:2", "linespoints", style, label.text);
		if (at_floor) {
			/* triangles at the floor where a depth's runs have no ratio to plot; the
			 * key names the curve here when it has nothing else */
			strbuf_printf(&plots[p], "%s$%s using 1:($6 > 0 ? %s : NaN) with points pt 8 "
						 "ps 1.4 lc rgb '%s'", plots[p].length ? ", \\\n     " : "",
				      block.text, ymin, style->colour);
			if (points)
				strbuf_puts(&plots[p], " notitle");
			else
				curve_title(&plots[p], label.text);
			floored[p] |= points > 0;
		}
		strbuf_free(&label), strbuf_free(&block);
	}
	struct panel_grid grid;
	panel_grid_init(&grid, plan.panel_count, 1);
	for (int p = 0; p < plan.panel_count; p++) {
		panel_stop_markers(&data, &plots[p], p, "depth, ratio at step 0", &markers[p]);
		if (floored[p])
			strbuf_printf(&plots[p], "%sNaN with points pt 8 ps 1.4 lc rgb '#444444' title "
						 "'triangle: ratio 0 or not finite, at the floor' noenhanced",
				      plots[p].length ? ", \\\n     " : "");
		empty_plot(&plots[p]);
		panel_grid_cell(&panels, &grid, p, 0, plan.panel_titles[p]);
		strbuf_printf(&panels, "plot %s\n", plots[p].text);
	}
	report_common(report, group, true, is_depth_column, &title);
	struct strbuf escaped;
	strbuf_init(&escaped);
	figure_title(&escaped, "gradient reaching layer 0 against depth", &title);
	char stem[64], xmin[32], xmax[32];
	snprintf(stem, sizeof stem, "depth-%d", index);
	snprintf(xmin, sizeof xmin, "%d", min_depth > 1 ? min_depth - 1 : 0);
	snprintf(xmax, sizeof xmax, "%d", top_depth + 1);
	struct template_value values[TEMPLATE_VALUES] = {
		{"DATA", data.text}, {"TITLE", escaped.text}, {"XMIN", xmin}, {"XMAX", xmax},
		{"PANELS", panels.text}, {"YMIN", ymin}, {"YMAX", ymax},
	};
	result = write_script(report, stem, "depth.gp", grid.width, grid.height, values, 7, true);
	if (!result) {
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "Fraction of the output layer's weight gradient that reaches "
				     "layer 0 at initialisation, against depth. %s", caption.text);
		figure_html(report, stem, text.text);
		strbuf_free(&text);
	}
	strbuf_free(&escaped);
done:
	for (int p = 0; p < plan.panel_count; p++)
		strbuf_free(&plots[p]), strbuf_free(&markers[p]);
	free(plots), free(markers), free(floored), free(set.members);
	report_facet_plan_free(&plan);
	for (int c = 0; c < curves; c++)
		free(labels[c]), free(curve_runs[c].members);
	free(labels), free(curve_runs);
	free(curve_of), free(curve_member);
	strbuf_free(&data), strbuf_free(&panels), strbuf_free(&title), strbuf_free(&caption);
	return result;
}
