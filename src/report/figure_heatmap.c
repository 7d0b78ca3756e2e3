/* The heatmap of one run: log10 weight_grad_norm (or, with --relative, each layer's
 * norm over the output layer's at the same step) over layers and logged steps. Every
 * heatmap of a report shares one colour scale, so colours compare across runs; cells
 * with no finite positive value (NaN, inf, zero) are grey, with a key saying so. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* The heatmap's values of run ?1, in step and layer order; ?2 is its output layer (the
 * absolute values do not need it, but name it so both statements bind alike). */
static const char absolute_sql[] =
	"SELECT step, layer, weight_grad_norm FROM layer_stats WHERE run_id = ?1 AND ?2 >= 0"
	" ORDER BY step, layer";
static const char relative_sql[] =
	"SELECT a.step, a.layer, a.weight_grad_norm / o.weight_grad_norm FROM layer_stats a"
	" JOIN layer_stats o ON o.run_id = a.run_id AND o.step = a.step AND o.layer = ?2"
	" WHERE a.run_id = ?1 ORDER BY a.step, a.layer";

static bool usable(sqlite3_stmt *s, int column)
{
	double value = sqlite3_column_double(s, column);
	return sqlite3_column_type(s, column) != SQLITE_NULL && value > 0 && isfinite(value);
}

static int prepare_values(struct report *report, const struct report_run *run,
			  sqlite3_stmt **s)
{
	if (sqlite3_prepare_v2(report->db, report->options->relative ? relative_sql : absolute_sql,
			       -1, s, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(*s, 1, run->id) != SQLITE_OK ||
	    sqlite3_bind_int(*s, 2, run->depth) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(report->db));
	return 0;
}

/* The report's colour scale: whole decades around the values of the selected runs that
 * did not diverge or get killed (all runs when every one did). A diverged run's norms
 * reach 1e27 and would squeeze the finished runs into a few colours; its cells beyond
 * the scale take the scale's end colour and its key says so. */
static int heat_scale(struct report *report)
{
	if (report->heat_scaled)
		return 0;
	double low = INFINITY, high = -INFINITY;
	bool all_stopped = true;
	for (int r = 0; r < report->run_count; r++)
		all_stopped &= run_stopped(&report->runs[r]);
	for (int r = 0; r < report->run_count; r++) {
		if (run_stopped(&report->runs[r]) && !all_stopped)
			continue;
		sqlite3_stmt *s = NULL;
		if (prepare_values(report, &report->runs[r], &s)) {
			sqlite3_finalize(s);
			return -1;
		}
		int rc;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			if (usable(s, 2)) {
				double level = log10(sqlite3_column_double(s, 2));
				low = fmin(low, level), high = fmax(high, level);
			}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return error("database: %s", sqlite3_errmsg(report->db));
	}
	if (low > high)
		low = high = 0;
	report->heat_low = floor(low);
	report->heat_high = ceil(high) + (floor(low) == ceil(high));
	report->heat_scaled = true;
	return 0;
}

/* Figure 2: one run's weight_grad_norm over layers and steps. */
int heatmap_figure(struct report *report, const struct report_run *run)
{
	int step_count = 0, result = -1;
	long long *steps = report_steps(report, run->id, MAX_HEATMAP_STEPS, &step_count);
	if (step_count < 2) { /* a heatmap needs two steps */
		free(steps);
		return 0;
	}
	sqlite3_stmt *s = NULL;
	struct strbuf data, missing, title;
	strbuf_init(&data), strbuf_init(&missing), strbuf_init(&title);
	if (heat_scale(report) || prepare_values(report, run, &s))
		goto done;
	const char *quantity = report->options->relative
				       ? "weight_grad_norm / the output layer's"
				       : "weight_grad_norm";
	strbuf_printf(&data, "# run %lld: step layer log10(%s) step_low step_high%s\n$heat << EOD\n",
		      run->id, quantity, step_count == MAX_HEATMAP_STEPS ? " (thinned evenly)" : "");
	double low = INFINITY, high = -INFINITY;
	int next = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long step = sqlite3_column_int64(s, 0);
		while (next < step_count && steps[next] < step)
			next++;
		if (next == step_count || steps[next] != step)
			continue;
		/* each cell reaches halfway to the neighbouring shown steps */
		double left = next ? (double)(step + steps[next - 1]) / 2 : step - 0.5;
		double right = next + 1 < step_count ? (double)(step + steps[next + 1]) / 2
						     : step + 0.5;
		int layer = sqlite3_column_int(s, 1);
		if (!usable(s, 2)) {
			strbuf_printf(&missing, "%lld %d NaN %.17g %.17g\n", step, layer, left, right);
			continue;
		}
		double level = log10(sqlite3_column_double(s, 2));
		low = fmin(low, level), high = fmax(high, level);
		strbuf_printf(&data, "%lld %d %.17g %.17g %.17g\n", step, layer, level, left, right);
	}
	strbuf_puts(&data, "EOD\n");
	if (rc != SQLITE_DONE) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	if (missing.length)
		strbuf_printf(&data, "# cells without a finite positive value: step layer NaN "
				     "step_low step_high\n$nonfinite << EOD\n%sEOD\n", missing.text);
	struct strbuf plain_title;
	strbuf_init(&plain_title);
	strbuf_printf(&plain_title, "run %lld %s", run->id, run->name);
	if (strcmp(run->status, "finished"))
		strbuf_printf(&plain_title, " [%s]", run->status);
	wrapped_title(&title, plain_title.text, FIGURE_TITLE_COLUMNS);
	strbuf_free(&plain_title);
	char stem[64], xmin[32], xmax[32], ymax[32], ystep[32], cbmin[32], cbmax[32];
	snprintf(stem, sizeof stem, "heatmap-run%lld", run->id);
	snprintf(xmin, sizeof xmin, "%.1f", steps[0] - 0.5);
	snprintf(xmax, sizeof xmax, "%.1f", steps[step_count - 1] + 0.5);
	snprintf(ymax, sizeof ymax, "%.1f", run->depth + 0.5);
	snprintf(ystep, sizeof ystep, "%d", run->depth > 10 ? (run->depth + 9) / 10 : 1);
	snprintf(cbmin, sizeof cbmin, "%.0f", report->heat_low);
	snprintf(cbmax, sizeof cbmax, "%.0f", report->heat_high);
	struct strbuf extra_keys;
	strbuf_init(&extra_keys);
	if (missing.length)
		strbuf_puts(&extra_keys, ", \\\n     $nonfinite using 1:2:4:5:($2 - 0.5):($2 + 0.5) "
					 "with boxxyerror fillcolor rgb '#bbbbbb' title 'no finite "
					 "value (NaN, inf or 0)' noenhanced");
	bool clipped = low <= high && (low < report->heat_low || high > report->heat_high);
	if (clipped)
		strbuf_printf(&extra_keys, ", \\\n     NaN with boxes fillcolor rgb '#fde725' title "
					   "'values beyond %.0f..%.0f (set by the runs that did not "
					   "diverge) take the end colour' noenhanced",
			      report->heat_low, report->heat_high);
	struct template_value values[TEMPLATE_VALUES] = {
		{"QUANTITY", quantity},
		{"DATA", data.text},
		{"TITLE", title.text},
		{"CBLABEL", report->options->relative ? "(||dL/dW|| / output layer's)"
						      : "||dL/dW||_F"},
		{"XMIN", xmin},
		{"XMAX", xmax},
		{"YMAX", ymax},
		{"YSTEP", ystep},
		{"CBMIN", cbmin},
		{"CBMAX", cbmax},
		{"NONFINITE", extra_keys.text},
	};
	result = write_script(report, stem, "heatmap.gp", 900, 500, values, 11, false);
	strbuf_free(&extra_keys);
	if (!result) {
		struct strbuf caption;
		strbuf_init(&caption);
		if (low > high)
			strbuf_printf(&caption, "Heatmap of run %lld (%s): no finite value of %s.",
				      run->id, run->name, quantity);
		else
			strbuf_printf(&caption, "Heatmap of run %lld (%s): log10 %s per layer and "
						"step, from %.1f to %.1f, on the report's common scale "
						"(%.0f to %.0f).", run->id, run->name, quantity, low,
				      high, report->heat_low, report->heat_high);
		if (clipped)
			strbuf_puts(&caption, " Values beyond the common scale, set by the runs "
					      "that did not diverge, take its end colour.");
		figure_html(report, stem, caption.text);
		strbuf_free(&caption);
	}
done:
	sqlite3_finalize(s);
	strbuf_free(&data), strbuf_free(&missing), strbuf_free(&title);
	free(steps);
	return result;
}
