/* Series: SQL to the numbers a figure plots, as gnuplot data blocks. A run's profile at
 * a step; runs that differ only in their seed aggregated into one curve (the geometric
 * mean with a min-max band); the positive range of everything plotted, for shared log
 * axes. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Adds a value on the scale it is averaged on (log10 of it, or the value itself). */
static void stats_add_level(struct log_stats *stats, double level)
{
	stats->low = stats->count ? fmin(stats->low, level) : level;
	stats->high = stats->count ? fmax(stats->high, level) : level;
	stats->sum += level;
	stats->count++;
}

void log_stats_add(struct log_stats *stats, double value)
{
	if (value > 0 && isfinite(value))
		stats_add_level(stats, log10(value));
}

/* An arithmetic mean keeps every finite value, zero and negative ones too. */
static void linear_stats_add(struct log_stats *stats, double value)
{
	if (isfinite(value))
		stats_add_level(stats, value);
}

/* Appends " mean low high" of values added with linear_stats_add, NaN when none. */
static void linear_stats_put(struct strbuf *out, const struct log_stats *stats)
{
	if (!stats->count)
		strbuf_puts(out, " NaN NaN NaN\n");
	else
		strbuf_printf(out, " %.17g %.17g %.17g\n", stats->sum / stats->count, stats->low,
			      stats->high);
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

/* Appends "layer mean low high" rows and the block's end. */
static void put_layer_rows(struct strbuf *data, const struct log_stats *stats, int layers,
			   struct range *range)
{
	for (int layer = 0; layer < layers; layer++) {
		strbuf_printf(data, "%d", layer);
		log_stats_put(data, &stats[layer], range);
	}
	strbuf_puts(data, "EOD\n\n");
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
	put_layer_rows(data, stats, layers, range);
	for (int layer = 0; layer < layers; layer++)
		plotted += stats[layer].count > 0;
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

bool run_stopped(const struct report_run *run)
{
	return !strcmp(run->status, "diverged") || !strcmp(run->status, "killed");
}

bool set_has_stopped_run(const struct report *report, const struct run_group *set)
{
	bool stopped = false;
	for (int m = 0; m < set->count; m++)
		stopped |= run_stopped(&report->runs[set->members[m]]);
	return stopped;
}

int series_stop_markers(struct report *report, const struct run_group *set, const char *sql,
			const char *colour, double low, double high, struct strbuf *markers)
{
	sqlite3_stmt *s = NULL;
	double x_sum = 0, y_sum = 0, log_sum = 0;
	int stops = 0, positive = 0, result = -1;
	if (sqlite3_prepare_v2(report->db, sql, -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	for (int m = 0; m < set->count; m++) {
		const struct report_run *run = &report->runs[set->members[m]];
		if (!run_stopped(run))
			continue;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, run->id);
		if (sqlite3_bind_parameter_count(s) > 1)
			sqlite3_bind_int64(s, 2, run->later_step);
		/* the curve ends at its last finite value */
		double x = NAN, y = NAN;
		int rc;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			double value = sqlite3_column_double(s, 1);
			if (sqlite3_column_type(s, 1) != SQLITE_NULL && isfinite(value))
				x = sqlite3_column_double(s, 0), y = value;
		}
		if (rc != SQLITE_DONE) {
			error("database: %s", sqlite3_errmsg(report->db));
			goto done;
		}
		if (isnan(y))
			continue; /* nothing finite: no point to mark */
		x_sum += x, y_sum += y, stops++;
		if (y > 0)
			log_sum += log10(y), positive++;
	}
	/* on a log axis (every value positive) the geometric mean, else the mean */
	if (stops)
		put_stop_marker(markers, x_sum / stops,
				positive == stops ? pow(10, log_sum / stops) : y_sum / stops, low,
				high, colour);
	result = stops > 0;
done:
	sqlite3_finalize(s);
	return result;
}

void panel_stop_markers(struct strbuf *data, struct strbuf *plot, int panel,
			const char *columns, const struct strbuf *markers)
{
	if (!markers->length)
		return;
	char block[32];
	snprintf(block, sizeof block, "stopped%d", panel + 1);
	strbuf_printf(data, "# where diverged or killed runs stopped: %s (held within the axis),"
			    " colour\n$%s << EOD\n%sEOD\n\n", columns, block, markers->text);
	stop_markers(plot, block);
}

void put_stop_marker(struct strbuf *out, double x, double y, double low, double high,
		     const char *colour)
{
	strbuf_printf(out, "%.17g %.17g %ld\n", x, fmin(fmax(y, low), high),
		      strtol(colour + 1, NULL, 16));
}

/* Hidden layers only: the output layer has another shape (fan-out = classes) and its
 * own scale, and would bend the line through the others. */
double layer_factor(struct report *report, const struct run_group *set, int column)
{
	sqlite3_stmt *s = NULL;
	double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
	if (sqlite3_prepare_v2(report->db, column == 2
			       ? "SELECT layer, weight_grad_norm FROM layer_stats WHERE"
				 " run_id = ?1 AND step = ?2 AND layer < ?3 AND weight_grad_norm > 0"
				 " AND weight_grad_norm < 1e308"
			       : "SELECT layer, delta_norm FROM layer_stats WHERE"
				 " run_id = ?1 AND step = ?2 AND layer < ?3 AND delta_norm > 0"
				 " AND delta_norm < 1e308", -1, &s, NULL) != SQLITE_OK)
		goto done;
	for (int m = 0; m < set->count; m++) {
		const struct report_run *run = &report->runs[set->members[m]];
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, run->id);
		sqlite3_bind_int64(s, 2, run->first_step);
		sqlite3_bind_int(s, 3, run->depth);
		while (sqlite3_step(s) == SQLITE_ROW) {
			double x = sqlite3_column_double(s, 0), y = log10(sqlite3_column_double(s, 1));
			n++, sx += x, sy += y, sxx += x * x, sxy += x * y;
		}
	}
done:
	sqlite3_finalize(s);
	double spread = n * sxx - sx * sx;
	/* a slope needs two distinct layers */
	return n >= 2 && spread > 0 ? pow(10, -(n * sxy - sx * sy) / spread) : NAN;
}

int prediction_block(struct report *report, struct strbuf *data, const char *name,
		     const struct run_group *set, int column)
{
	int layers = report->runs[set->members[0]].depth + 1, plotted = 0, result = -1;
	struct log_stats *stats = xcalloc((size_t)layers, sizeof *stats);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(report->db, column == 2
			       ? "SELECT layer, weight_grad_norm FROM predictions WHERE run_id = ?"
			       : "SELECT layer, delta_norm FROM predictions WHERE run_id = ?",
			       -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	for (int m = 0; m < set->count; m++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, report->runs[set->members[m]].id);
		int rc;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int layer = sqlite3_column_int(s, 0);
			if (layer >= 0 && layer < layers && sqlite3_column_type(s, 1) != SQLITE_NULL)
				log_stats_add(&stats[layer], sqlite3_column_double(s, 1));
		}
		if (rc != SQLITE_DONE) {
			error("database: %s", sqlite3_errmsg(report->db));
			goto done;
		}
	}
	for (int layer = 0; layer < layers; layer++)
		plotted += stats[layer].count > 0;
	if (plotted) {
		strbuf_printf(data, "# mean-field prediction of %s at step 0 (predictions table):"
				    " layer, geometric mean over the runs, min, max\n$%s << EOD\n",
			      column == 2 ? "weight_grad_norm" : "delta_norm", name);
		put_layer_rows(data, stats, layers, NULL);
	}
	result = plotted;
done:
	sqlite3_finalize(s);
	free(stats);
	return result;
}

/* One run's rows of a step series. */
struct step_rows {
	long long *steps;
	double *values; /* NaN for NULL */
	int count;
};

static int load_step_rows(struct report *report, sqlite3_stmt *s, long long run_id,
			  struct step_rows *rows)
{
	int capacity = 0, rc;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (rows->count == capacity) {
			capacity = capacity ? 2 * capacity : 256;
			long long *steps = realloc(rows->steps, sizeof *steps * (size_t)capacity);
			if (steps)
				rows->steps = steps;
			double *values = realloc(rows->values, sizeof *values * (size_t)capacity);
			if (values)
				rows->values = values;
			if (!steps || !values)
				return error("out of memory");
		}
		rows->steps[rows->count] = sqlite3_column_int64(s, 0);
		rows->values[rows->count++] = sqlite3_column_type(s, 1) == SQLITE_NULL
						      ? NAN
						      : sqlite3_column_double(s, 1);
	}
	return rc == SQLITE_DONE ? 0 : error("database: %s", sqlite3_errmsg(report->db));
}

static void value_range_add(struct value_range *range, double value)
{
	if (isnan(value))
		return;
	range->no_negative &= value >= 0;
	if (isfinite(value) && value > 0) {
		range->positive_low = range->positive_count ? fmin(range->positive_low, value)
							    : value;
		range->positive_count++;
	}
	if (isfinite(value)) {
		range->low = range->count ? fmin(range->low, value) : value;
		range->high = range->count ? fmax(range->high, value) : value;
		range->count++;
	}
}

/* A seed set's series over steps, its runs aggregated by their geometric or their
 * arithmetic (linear) mean. */
static int aggregate_step_series(struct report *report, struct strbuf *data, const char *name,
				 const struct run_group *set, const char *sql, const char *what,
				 struct value_range *range, bool linear)
{
	sqlite3_stmt *s = NULL;
	struct step_rows *rows = xcalloc((size_t)set->count, sizeof *rows);
	int result = -1;
	if (sqlite3_prepare_v2(report->db, sql, -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	for (int m = 0; m < set->count; m++)
		if (load_step_rows(report, s, report->runs[set->members[m]].id, &rows[m]))
			goto done;
	const struct step_rows *first = &rows[0];
	if (!first->count) {
		result = 0;
		goto done;
	}
	if (set->count == 1)
		strbuf_printf(data, "# run %lld: step %s\n$%s << EOD\n",
			      report->runs[set->members[0]].id, what, name);
	else
		strbuf_printf(data, "# runs %lld and %d more seeds: step, %s mean, min and"
				    " max of %s\n$%s << EOD\n",
			      report->runs[set->members[0]].id, set->count - 1,
			      linear ? "arithmetic" : "geometric", what, name);
	/* the first run's steps, thinned evenly (its first and last kept), are the x values;
	 * every run's value at such a step joins the aggregate */
	int *next = xcalloc((size_t)set->count, sizeof *next), total = first->count, finite = 0;
	for (int i = 0; i < total; i++) {
		bool keep = total <= MAX_CURVE_POINTS || i == 0 ||
			    ((long long)i * (MAX_CURVE_POINTS - 1)) / (total - 1) !=
				    ((long long)(i - 1) * (MAX_CURVE_POINTS - 1)) / (total - 1);
		if (!keep)
			continue;
		long long step = first->steps[i];
		if (set->count == 1) {
			strbuf_printf(data, "%lld", step);
			if (isnan(first->values[i]))
				strbuf_puts(data, " NaN\n");
			else
				strbuf_printf(data, " %.17g\n", first->values[i]);
			value_range_add(range, first->values[i]);
			finite += isfinite(first->values[i]);
			continue;
		}
		struct log_stats stats = {0};
		for (int m = 0; m < set->count; m++) {
			while (next[m] < rows[m].count && rows[m].steps[next[m]] < step)
				next[m]++;
			if (next[m] < rows[m].count && rows[m].steps[next[m]] == step) {
				if (linear)
					linear_stats_add(&stats, rows[m].values[next[m]]);
				else
					log_stats_add(&stats, rows[m].values[next[m]]);
				value_range_add(range, rows[m].values[next[m]]);
			}
		}
		strbuf_printf(data, "%lld", step);
		if (linear)
			linear_stats_put(data, &stats);
		else
			log_stats_put(data, &stats, NULL);
		finite += stats.count > 0;
	}
	free(next);
	strbuf_puts(data, "EOD\n\n");
	result = finite;
done:
	for (int m = 0; m < set->count; m++)
		free(rows[m].steps), free(rows[m].values);
	free(rows);
	sqlite3_finalize(s);
	return result;
}

int step_series_block(struct report *report, struct strbuf *data, const char *name,
		      const struct run_group *set, const char *sql, const char *what,
		      struct value_range *range)
{
	return aggregate_step_series(report, data, name, set, sql, what, range, false);
}

int linear_step_series_block(struct report *report, struct strbuf *data, const char *name,
			     const struct run_group *set, const char *sql, const char *what,
			     struct value_range *range)
{
	return aggregate_step_series(report, data, name, set, sql, what, range, true);
}

void value_range_axis(const struct value_range *range, char *low, char *high, size_t size)
{
	if (!range->count) { /* nothing finite */
		snprintf(low, size, range->no_negative ? "1e-1" : "-1");
		snprintf(high, size, range->no_negative ? "1e1" : "1");
	} else if (range->no_negative && !range->positive_count) { /* zeros only */
		snprintf(low, size, "1e-1");
		snprintf(high, size, "1e1");
	} else if (range->no_negative) {
		struct range decades = {range->positive_low, range->high};
		range_format(&decades, low, high, size);
	} else {
		double pad = range->high > range->low ? 0.05 * (range->high - range->low)
						      : fmax(fabs(range->low), 1) * 0.1;
		snprintf(low, size, "%.17g", range->low - pad);
		snprintf(high, size, "%.17g", range->high + pad);
	}
}
