/* Series: SQL to the numbers a figure plots, as gnuplot data blocks. A run's profile at
 * a step; runs that differ only in their seed aggregated into one curve (the geometric
 * mean with a min-max band); the positive range of everything plotted, for shared log
 * axes. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

/* Data values are written with 17 significant digits: the data blocks hold exactly what
 * the database holds. NULL becomes NaN, which gnuplot treats as missing. */
void put_value(struct strbuf *out, sqlite3_stmt *s, int column)
{
	if (sqlite3_column_type(s, column) == SQLITE_NULL)
		strbuf_puts(out, " NaN");
	else
		strbuf_printf(out, " %.17g", sqlite3_column_double(s, column));
}

void range_add(struct range *range, double value)
{
	if (value > 0 && isfinite(value)) {
		range->low = range->low == 0 || value < range->low ? value : range->low;
		range->high = value > range->high ? value : range->high;
	}
}

void range_format(const struct range *range, char *low, char *high, size_t size)
{
	if (range->high == 0) { /* nothing finite and positive: any decade will do */
		snprintf(low, size, "1e-1");
		snprintf(high, size, "1e1");
		return;
	}
	snprintf(low, size, "1e%d", (int)floor(log10(range->low)));
	snprintf(high, size, "1e%d", (int)ceil(log10(range->high)) + (range->high == range->low));
}

/* Appends "$name << EOD" with "layer weight_grad_norm delta_norm" rows of run at step;
 * plottable[0] and [1] count the positive finite values of the two norms (a diverged
 * step may have none, and gnuplot warns about a curve without points). */
int profile_block(struct report *report, struct strbuf *data, const char *name,
			 long long run_id, long long step, struct range *range, int plottable[2])
{
	plottable[0] = plottable[1] = 0;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(report->db,
			       "SELECT layer, weight_grad_norm, delta_norm FROM layer_stats"
			       " WHERE run_id = ? AND step = ? ORDER BY layer",
			       -1, &s, NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(report->db));
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, step);
	strbuf_printf(data, "# run %lld, step %lld: layer weight_grad_norm delta_norm\n"
			    "$%s << EOD\n", run_id, step, name);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		strbuf_printf(data, "%d", sqlite3_column_int(s, 0));
		put_value(data, s, 1);
		put_value(data, s, 2);
		strbuf_puts(data, "\n");
		for (int c = 0; c < 2; c++) {
			double value = sqlite3_column_double(s, 1 + c);
			bool usable = sqlite3_column_type(s, 1 + c) != SQLITE_NULL && value > 0 &&
				      isfinite(value);
			plottable[c] += usable;
			if (usable)
				range_add(range, value);
		}
	}
	strbuf_puts(data, "EOD\n\n");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : error("database: %s", sqlite3_errmsg(report->db));
}

/* A run's profile at its first and its later step, as $runID_first and $runID_later. */
int run_profile_blocks(struct report *report, struct strbuf *data,
			      const struct report_run *run, struct range *range,
			      int plottable[2][2])
{
	char first[32], later[32];
	snprintf(first, sizeof first, "run%lld_first", run->id);
	snprintf(later, sizeof later, "run%lld_later", run->id);
	return profile_block(report, data, first, run->id, run->first_step, range,
			     plottable[0]) ||
	       profile_block(report, data, later, run->id, run->later_step, range,
			     plottable[1]);
}

void log_stats_add(struct log_stats *stats, double value)
{
	if (!(value > 0) || !isfinite(value))
		return;
	double level = log10(value);
	stats->low = stats->count ? fmin(stats->low, level) : level;
	stats->high = stats->count ? fmax(stats->high, level) : level;
	stats->sum += level;
	stats->count++;
}

/* Appends "mean low high" (NaN when no run has a value) and widens range. */
void log_stats_put(struct strbuf *out, const struct log_stats *stats, struct range *range)
{
	if (!stats->count) {
		strbuf_puts(out, " NaN NaN NaN\n");
		return;
	}
	double mean = pow(10, stats->sum / stats->count), low = pow(10, stats->low),
	       high = pow(10, stats->high);
	strbuf_printf(out, " %.17g %.17g %.17g\n", mean, low, high);
	if (range) {
		range_add(range, low);
		range_add(range, high);
	}
}

/* Appends "$name << EOD" with "layer mean low high" of a norm (column 2: weight_grad_norm,
 * 3: delta_norm) over the set's runs, each at its first or its later step. Returns the
 * number of layers that have a value, or -1 with a message. */
int seed_profile_block(struct report *report, struct strbuf *data, const char *name,
			      const struct run_group *set, bool later, int column,
			      struct range *range)
{
	int layers = report->runs[set->members[0]].depth + 1, plotted = 0, result = -1;
	struct log_stats *stats = xcalloc((size_t)layers, sizeof *stats);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(report->db, column == 2
			       ? "SELECT layer, weight_grad_norm FROM layer_stats WHERE run_id = ?"
				 " AND step = ?"
			       : "SELECT layer, delta_norm FROM layer_stats WHERE run_id = ? AND"
				 " step = ?", -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	strbuf_printf(data, "# runs");
	for (int m = 0; m < set->count; m++) {
		const struct report_run *run = &report->runs[set->members[m]];
		strbuf_printf(data, " %lld", run->id);
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, run->id);
		sqlite3_bind_int64(s, 2, later ? run->later_step : run->first_step);
		while (sqlite3_step(s) == SQLITE_ROW) {
			int layer = sqlite3_column_int(s, 0);
			if (layer < layers && sqlite3_column_type(s, 1) != SQLITE_NULL)
				log_stats_add(&stats[layer], sqlite3_column_double(s, 1));
		}
	}
	strbuf_printf(data, ", %s step: layer, geometric mean, min and max of %s\n$%s << EOD\n",
		      later ? "later" : "first", column == 2 ? "weight_grad_norm" : "delta_norm",
		      name);
	for (int layer = 0; layer < layers; layer++) {
		strbuf_printf(data, "%d", layer);
		log_stats_put(data, &stats[layer], range);
		plotted += stats[layer].count > 0;
	}
	strbuf_puts(data, "EOD\n\n");
	result = plotted;
done:
	sqlite3_finalize(s);
	free(stats);
	return result;
}

double geometric_mean_ratio(const struct report *report, const struct run_group *set,
				   bool later)
{
	struct log_stats stats = {0};
	for (int m = 0; m < set->count; m++) {
		const struct report_run *run = &report->runs[set->members[m]];
		log_stats_add(&stats, later ? run->ratio_later : run->ratio_first);
	}
	return stats.count ? pow(10, stats.sum / stats.count) : NAN;
}
