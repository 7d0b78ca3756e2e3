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

/* Figure 4: layer 0 / output ratio at initialisation against depth; one curve per
 * combination of the other varying fields, the geometric mean over runs (seeds) that
 * share a depth. */
int depth_figure(struct report *report, const struct run_group *group, int index)
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
		report_legend(report, group, m, true, is_depth_column, false, &legend);
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
			if (n) {
				double level = stats.sum / n;
				fit_n++, fit_x += depth, fit_y += level, fit_xx += (double)depth * depth;
				fit_xy += depth * level;
			}
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
		if (!isnan(factor))
			strbuf_printf(&label, " \u00d7%.2g/layer", factor);
		curve_title(&plot, label.text);
		strbuf_free(&label);
	}
	report_common(report, group, true, is_depth_column, &title);
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
