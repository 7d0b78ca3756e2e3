/* The gradient-flow profile: weight_grad_norm or delta_norm against layer, at
 * initialisation (left) and at a later step (right), one curve per seed set. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Figure 1: weight_grad_norm (column 2) or delta_norm (column 3) against layer. */
int profile_figure(struct report *report, const struct run_group *group, int index,
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

int weight_grad_profile_figure(struct report *report, const struct run_group *group, int index)
{
	return profile_figure(report, group, index, 2);
}

int delta_profile_figure(struct report *report, const struct run_group *group, int index)
{
	return profile_figure(report, group, index, 3);
}
