/* Runs that differ only in their residual setup, side by side on one scale. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Figure 5: runs that differ only in their residual setup (plain, the form, block
 * length, trained alpha, init, alpha): plain runs on the left (or, without any, the first
 * setup's), every other setup on the right, each named in its curves' legends, on one
 * scale. */
int residual_figure(struct report *report, const struct run_group *runs, int index)
{
	/* runs that differ only in seed are one curve each: the figure works on the first
	 * run of each seed set */
	struct run_group *sets = NULL;
	int set_count = report_seed_sets(report, runs, false, NULL, &sets);
	struct run_group heads = {xcalloc((size_t)set_count, sizeof(int)), set_count};
	for (int s = 0; s < set_count; s++)
		heads.members[s] = sets[s].members[0];
	const struct run_group *group = &heads;
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
	report_common(report, group, false, report_is_residual_column, &title);
	strbuf_printf(&caption, "%s: the weight gradient at layer 0 relative to the output "
				"layer's at initialisation:",
		      title.length ? title.text : "these runs");
	for (int m = 0; m < group->count; m++) {
		const struct report_run *run = &report->runs[group->members[m]];
		int side = strcmp(names[m], left_name) != 0;
		if (run->first_step < 0)
			continue;
		const struct run_group *set = &sets[m];
		char first[32], later[32], seeds[32] = "";
		snprintf(first, sizeof first, "%s%lld_first", set->count > 1 ? "seeds" : "run",
			 run->id);
		snprintf(later, sizeof later, "%s%lld_later", set->count > 1 ? "seeds" : "run",
			 run->id);
		int plottable[2][2];
		if (set->count > 1) {
			/* each norm in a block of its own: layer, geometric mean, min, max */
			static const char *const suffixes[] = {"_weight", "_delta"};
			for (int later_side = 0; later_side < 2; later_side++)
				for (int c = 0; c < 2; c++) {
					char block[48];
					snprintf(block, sizeof block, "%s%s", later_side ? later : first,
						 suffixes[c]);
					plottable[later_side][c] =
						seed_profile_block(report, &data, block, set,
								   later_side, 2 + c, &range);
					if (plottable[later_side][c] < 0)
						goto done;
				}
			snprintf(seeds, sizeof seeds, " (%d seeds)", set->count);
		} else if (run_profile_blocks(report, &data, run, &range, plottable)) {
			goto done;
		}
		struct strbuf *p = &panels[side];
		/* weight gradient and delta at the first step, weight gradient later; on the
		 * right, a colour per run */
		const struct {
			const char *block, *suffix;
			int column, style, plottable;
			const char *what;
			long long step;
		} curves[3] = {
			{first, "_weight", 2, 1, plottable[0][0], "weight grad", run->first_step},
			{first, "_delta", 3, 2, plottable[0][1], "delta", run->first_step},
			{later, "_weight", 2, 3, plottable[1][0], "weight grad", run->later_step},
		};
		/* with several setups on the right, a colour per run there (gnuplot's eight
		 * line types), the dash pattern telling the curves apart */
		int colour = 1 + right_runs % 8;
		right_runs += side;
		for (int k = 0; k < 3; k++) {
			if (!curves[k].plottable)
				continue;
			int line_type = side && right_setups > 1 ? colour : k == 1 ? 2 : 1;
			const char *with = k == 2 ? "lines" : "linespoints";
			if (set->count > 1)
				strbuf_printf(p, "%s$%s%s using 1:3:4 with filledcurves lt %d fs "
						 "transparent solid 0.15 noborder notitle, \\\n     "
						 "$%s%s using 1:2 with %s lt %d dt %d",
					      p->length ? ", \\\n     " : "", curves[k].block,
					      curves[k].suffix, line_type, curves[k].block,
					      curves[k].suffix, with, line_type, curves[k].style);
			else
				strbuf_printf(p, "%s$%s using 1:($%d > 0 ? $%d : NaN) with %s lt %d "
						 "dt %d", p->length ? ", \\\n     " : "",
					      curves[k].block, curves[k].column, curves[k].column, with,
					      line_type, curves[k].style);
			struct strbuf legend;
			strbuf_init(&legend);
			if (side && right_setups > 1)
				strbuf_printf(&legend, "%s: ", names[m]);
			strbuf_printf(&legend, "%s, step %lld%s", curves[k].what, curves[k].step, seeds);
			curve_title(p, legend.text);
			strbuf_free(&legend);
		}
		char number[32];
		strbuf_printf(&caption, " %s %s%s%s", names[m],
			      report_number(number, sizeof number,
					    geometric_mean_ratio(report, set, false)),
			      set->count > 1 ? " (geometric mean of the seeds)" : "",
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
	free(heads.members);
	report_groups_free(sets, set_count);
	return result;
}
