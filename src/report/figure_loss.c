/* The training loss against step, one curve per seed set. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Figure 3: training loss against step. */
int loss_figure(struct report *report, const struct run_group *group, int index)
{
	struct strbuf data, plot, title, caption;
	strbuf_init(&data), strbuf_init(&plot), strbuf_init(&title), strbuf_init(&caption);
	sqlite3_stmt *s = NULL;
	bool all_positive = true;
	double low = INFINITY, high = -INFINITY;
	long long first_step = -1, last_step = -1;
	int result = -1, curves = 0;
	if (sqlite3_prepare_v2(report->db, "SELECT step, loss FROM steps WHERE run_id = ?"
					   " ORDER BY step", -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	struct run_group *sets = NULL;
	int set_count = report_seed_sets(report, group, false, NULL, &sets);
	for (int k = 0; k < set_count; k++) {
		const struct run_group *set = &sets[k];
		const struct report_run *run = &report->runs[set->members[0]];
		int count = 0;
		/* the first run's logged steps (thinned) are the x values of the set */
		long long *steps = report_steps(report, run->id, MAX_CURVE_POINTS, &count);
		if (!count) {
			free(steps);
			continue;
		}
		first_step = first_step < 0 || steps[0] < first_step ? steps[0] : first_step;
		last_step = steps[count - 1] > last_step ? steps[count - 1] : last_step;
		struct log_stats *stats = xcalloc((size_t)count, sizeof *stats);
		if (set->count == 1)
			strbuf_printf(&data, "# run %lld: step loss\n$loss%lld << EOD\n", run->id,
				      run->id);
		else
			strbuf_printf(&data, "# runs %lld and %d more seeds: step, geometric mean, min "
					     "and max of the loss\n$loss%lld << EOD\n",
				      run->id, set->count - 1, run->id);
		for (int m = 0; m < set->count; m++) {
			int next = 0;
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, report->runs[set->members[m]].id);
			while (sqlite3_step(s) == SQLITE_ROW) {
				long long step = sqlite3_column_int64(s, 0);
				while (next < count && steps[next] < step)
					next++;
				if (next == count || steps[next] != step)
					continue;
				if (set->count == 1) {
					strbuf_printf(&data, "%lld", step);
					put_value(&data, s, 1);
					strbuf_puts(&data, "\n");
				} else if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
					log_stats_add(&stats[next], sqlite3_column_double(s, 1));
				}
				all_positive &= sqlite3_column_type(s, 1) == SQLITE_NULL ||
						sqlite3_column_double(s, 1) > 0;
				double value = sqlite3_column_double(s, 1);
				if (sqlite3_column_type(s, 1) != SQLITE_NULL && isfinite(value))
					low = fmin(low, value), high = fmax(high, value);
			}
		}
		for (int i = 0; set->count > 1 && i < count; i++) {
			strbuf_printf(&data, "%lld", steps[i]);
			log_stats_put(&data, &stats[i], NULL);
		}
		strbuf_puts(&data, "EOD\n\n");
		free(stats);
		free(steps);
		struct strbuf legend;
		strbuf_init(&legend);
		seed_set_legend(report, group, set, &legend);
		char block[32];
		snprintf(block, sizeof block, "loss%lld", run->id);
		curves++;
		if (set->count > 1) {
			seed_curve(&plot, block, k + 1, legend.text, set->count, "lines");
		} else {
			strbuf_printf(&plot, "%s$%s using 1:2 with lines lt %d",
				      plot.length ? ", \\\n     " : "", block, k + 1);
			curve_title(&plot, legend.text);
		}
		char loss[32];
		strbuf_printf(&caption, "%s: final loss %s (%s%s). ", legend.text,
			      report_number(loss, sizeof loss, run->final_loss), run->status,
			      set->count > 1 ? ", first seed" : "");
		strbuf_free(&legend);
	}
	report_groups_free(sets, set_count);
	if (!plot.length) {
		result = 0;
		goto done;
	}
	report_common(report, group, false, NULL, &title);
	struct strbuf escaped;
	strbuf_init(&escaped);
	figure_title(&escaped, "training loss", &title);
	char stem[64];
	snprintf(stem, sizeof stem, "loss-%d", index);
	const char *loss_fn = report->runs[group->members[0]].loss_fn;
	char ymin[32], ymax[32], xmin[32], xmax[32];
	/* a single step still gets a range gnuplot accepts without a warning */
	snprintf(xmin, sizeof xmin, "%lld", first_step);
	snprintf(xmax, sizeof xmax, "%lld", last_step > first_step ? last_step : first_step + 1);
	if (low > high) { /* nothing finite */
		snprintf(ymin, sizeof ymin, all_positive ? "1e-1" : "-1");
		snprintf(ymax, sizeof ymax, all_positive ? "1e1" : "1");
	} else if (all_positive) {
		struct range range = {low, high};
		range_format(&range, ymin, ymax, sizeof ymin);
	} else {
		double pad = high > low ? 0.05 * (high - low) : fmax(fabs(low), 1) * 0.1;
		snprintf(ymin, sizeof ymin, "%.17g", low - pad);
		snprintf(ymax, sizeof ymax, "%.17g", high + pad);
	}
	struct panel_layout layout;
	panel_layout(&layout, (curves + 1) / 2);
	struct template_value values[TEMPLATE_VALUES] = {
		{"BOTTOM", layout.bottom},
		{"TOP", layout.top},
		{"KEYROWS", layout.rows},
		{"DATA", data.text},
		{"TITLE", escaped.text},
		{"LOSS", !strcmp(loss_fn, "mse") ? "mean squared error" : "cross-entropy"},
		{"LOGSCALE", all_positive ? "set logscale y\nset format y \"10^{%L}\"" : ""},
		{"PLOT", plot.text},
		{"YMIN", ymin},
		{"YMAX", ymax},
		{"XMIN", xmin},
		{"XMAX", xmax},
	};
	result = write_script(report, stem, "loss.gp", 1000, layout.height, values, 12, true);
	if (!result) {
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "Training loss of %s. %s",
			      title.length ? title.text : "the selected runs", caption.text);
		figure_html(report, stem, text.text);
		strbuf_free(&text);
	}
	strbuf_free(&escaped);
done:
	sqlite3_finalize(s);
	strbuf_free(&data), strbuf_free(&plot), strbuf_free(&title), strbuf_free(&caption);
	return result;
}
