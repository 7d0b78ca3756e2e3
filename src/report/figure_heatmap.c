/* The heatmap of one run: log10 weight_grad_norm over layers and logged steps. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

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
	struct strbuf data, title;
	strbuf_init(&data), strbuf_init(&title);
	if (sqlite3_prepare_v2(report->db,
			       "SELECT step, layer, weight_grad_norm FROM layer_stats WHERE"
			       " run_id = ? ORDER BY step, layer",
			       -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	sqlite3_bind_int64(s, 1, run->id);
	strbuf_printf(&data, "# run %lld: step layer log10(weight_grad_norm) step_low step_high"
			     "%s\n$heat << EOD\n", run->id,
		      step_count == MAX_HEATMAP_STEPS ? " (thinned evenly)" : "");
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
		double value = sqlite3_column_double(s, 2);
		bool usable = sqlite3_column_type(s, 2) != SQLITE_NULL && value > 0 &&
			      isfinite(value);
		double level = usable ? log10(value) : NAN;
		if (usable)
			low = fmin(low, level), high = fmax(high, level);
		strbuf_printf(&data, "%lld %d %.17g %.17g %.17g\n", step, sqlite3_column_int(s, 1),
			      level, left, right);
	}
	strbuf_puts(&data, "EOD\n");
	if (rc != SQLITE_DONE) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	struct strbuf plain_title;
	strbuf_init(&plain_title);
	strbuf_printf(&plain_title, "run %lld %s", run->id, run->name);
	if (strcmp(run->status, "finished"))
		strbuf_printf(&plain_title, " [%s]", run->status);
	report_gnuplot_string(&title, plain_title.text);
	strbuf_free(&plain_title);
	char stem[64], xmin[32], xmax[32], ymax[32], ystep[32], cbmin[32], cbmax[32];
	snprintf(stem, sizeof stem, "heatmap-run%lld", run->id);
	snprintf(xmin, sizeof xmin, "%.1f", steps[0] - 0.5);
	snprintf(xmax, sizeof xmax, "%.1f", steps[step_count - 1] + 0.5);
	snprintf(ymax, sizeof ymax, "%.1f", run->depth + 0.5);
	snprintf(ystep, sizeof ystep, "%d", run->depth > 10 ? (run->depth + 9) / 10 : 1);
	if (low > high)
		low = high = 0;
	snprintf(cbmin, sizeof cbmin, "%d", (int)floor(low));
	snprintf(cbmax, sizeof cbmax, "%d", (int)ceil(high) + (floor(low) == ceil(high)));
	struct template_value values[TEMPLATE_VALUES] = {
		{"QUANTITY", "weight_grad_norm"}, {"DATA", data.text},
		{"TITLE", title.text},           {"CBLABEL", "||dL/dW||_F"},
		{"XMIN", xmin},                  {"XMAX", xmax},
		{"YMAX", ymax},                  {"YSTEP", ystep},
		{"CBMIN", cbmin},                {"CBMAX", cbmax},
	};
	result = write_script(report, stem, "heatmap.gp", 900, 500, values, 10, false);
	if (!result) {
		struct strbuf caption;
		strbuf_init(&caption);
		strbuf_printf(&caption, "Heatmap of run %lld (%s): log10 weight_grad_norm per "
					"layer and step, from %.1f to %.1f.", run->id, run->name,
			      low, high);
		figure_html(report, stem, caption.text);
		strbuf_free(&caption);
	}
done:
	sqlite3_finalize(s);
	strbuf_free(&data), strbuf_free(&title);
	free(steps);
	return result;
}
