/* The trained residual scales of one run (model.residual.learn_alpha): alpha of every
 * block against step, from block_stats, coloured by block. Runs with a fixed alpha have
 * no figure: their alpha is a constant of the spec. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int alpha_figure(struct report *report, const struct report_run *run)
{
	if (strcmp(report_value(report, run, "residual_learn_alpha"), "1"))
		return 0;
	sqlite3_stmt *s = NULL;
	struct strbuf data, title, plain_title;
	strbuf_init(&data), strbuf_init(&title), strbuf_init(&plain_title);
	int result = -1, rows = 0, blocks = 0, previous_block = -1;
	long long first_step = -1, last_step = -1;
	double first_mean = 0, last_mean = 0;
	if (sqlite3_prepare_v2(report->db, "SELECT step, alpha, block FROM block_stats WHERE"
					   " run_id = ? ORDER BY block, step", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 1, run->id) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	strbuf_printf(&data, "# run %lld: step alpha block (block_stats)\n$alpha << EOD\n", run->id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long step = sqlite3_column_int64(s, 0);
		int block = sqlite3_column_int(s, 2);
		if (block != previous_block && rows)
			strbuf_puts(&data, "\n"); /* a new line for each block */
		blocks += block != previous_block;
		previous_block = block;
		strbuf_printf(&data, "%lld", step);
		put_value(&data, s, 1);
		strbuf_printf(&data, " %d\n", block);
		first_step = first_step < 0 || step < first_step ? step : first_step;
		last_step = step > last_step ? step : last_step;
		rows++;
	}
	strbuf_puts(&data, "EOD\n\n");
	if (rc != SQLITE_DONE) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	if (!rows) {
		result = 0;
		goto done;
	}
	/* the caption's numbers: the mean alpha over blocks at the first and last step */
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(report->db, "SELECT avg(alpha) FILTER (WHERE step = ?2),"
					   " avg(alpha) FILTER (WHERE step = ?3) FROM block_stats"
					   " WHERE run_id = ?1", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 1, run->id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, first_step) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, last_step) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	first_mean = sqlite3_column_type(s, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 0);
	last_mean = sqlite3_column_type(s, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 1);
	strbuf_printf(&plain_title, "trained alpha per block: run %lld %s", run->id, run->name);
	if (strcmp(run->status, "finished"))
		strbuf_printf(&plain_title, " [%s]", run->status);
	report_gnuplot_string(&title, plain_title.text);
	char stem[64], xmin[32], xmax[32], cbmax[32];
	snprintf(stem, sizeof stem, "alpha-run%lld", run->id);
	snprintf(xmin, sizeof xmin, "%lld", first_step);
	snprintf(xmax, sizeof xmax, "%lld", last_step > first_step ? last_step : first_step + 1);
	snprintf(cbmax, sizeof cbmax, "%d", previous_block > 0 ? previous_block : 1);
	struct template_value values[TEMPLATE_VALUES] = {
		{"DATA", data.text}, {"TITLE", title.text}, {"XMIN", xmin},
		{"XMAX", xmax},      {"CBMAX", cbmax},
	};
	result = write_script(report, stem, "alpha.gp", 900, 500, values, 5, false);
	if (!result) {
		char a[32], b[32];
		struct strbuf caption;
		strbuf_init(&caption);
		strbuf_printf(&caption, "Trained alpha of run %lld (%s): %d blocks, mean alpha %s "
					"at step %lld and %s at step %lld.", run->id, run->name, blocks,
			      report_number(a, sizeof a, first_mean), first_step,
			      report_number(b, sizeof b, last_mean), last_step);
		figure_html(report, stem, caption.text);
		strbuf_free(&caption);
	}
done:
	sqlite3_finalize(s);
	strbuf_free(&data), strbuf_free(&title), strbuf_free(&plain_title);
	return result;
}
