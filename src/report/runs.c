/* Loading the selected runs: their comparable fields, logged step range, and the
 * first-to-last layer ratios that the report quotes. */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util/error.h"
#include "util/printable.h"
#include "util/suggest.h"

static int by_legend_rank(const void *a, const void *b)
{
	const struct spec_column *x = *(const struct spec_column *const *)a;
	const struct spec_column *y = *(const struct spec_column *const *)b;
	return x->legend_rank - y->legend_rank;
}

/* The runs columns that tell runs apart, in legend order, from the spec field table;
 * returns their number. The caller frees *sorted. */
static int comparable_columns(const struct spec_column ***sorted)
{
	*sorted = xcalloc((size_t)spec_column_count(), sizeof **sorted);
	int n = 0;
	for (const struct spec_column *c = spec_columns(); c->column; c++)
		if (c->legend_rank > 0)
			(*sorted)[n++] = c;
	qsort(*sorted, (size_t)n, sizeof **sorted, by_legend_rank);
	return n;
}

static bool is_runs_column(sqlite3 *db, const char *column)
{
	sqlite3_stmt *statement = NULL;
	bool found = false;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('runs') WHERE name = ?", -1,
			       &statement, NULL) == SQLITE_OK) {
		sqlite3_bind_text(statement, 1, column, -1, SQLITE_STATIC);
		found = sqlite3_step(statement) == SQLITE_ROW;
	}
	sqlite3_finalize(statement);
	return found;
}

static struct report_field *find_field(struct report *report, const char *column)
{
	for (int i = 0; i < report->field_count; i++)
		if (!strcmp(report->fields[i].column, column))
			return &report->fields[i];
	return NULL;
}

/* What follows "is not a hyper-parameter column of runs" for name: the column it may be
 * a misspelling of, else examples. */
static void field_hint(const struct report *report, const char *name, char *hint, size_t size)
{
	struct suggestion suggestion;
	suggestion_init(&suggestion, name);
	for (int f = 0; f < report->field_count; f++)
		suggestion_consider(&suggestion, report->fields[f].column);
	suggestion_hint(&suggestion, hint, size);
	suggestion_free(&suggestion);
	if (!*hint)
		snprintf(hint, size, " (e.g. activation, depth, residual, init, width, lr)");
}

static int load_fields(struct report *report)
{
	const struct spec_column **default_fields;
	int n = comparable_columns(&default_fields);
	const char *compare = report->options->compare;
	int extra = 1;
	for (const char *c = compare; c && *c; c++)
		extra += *c == ',';
	report->fields = xcalloc((size_t)(n + extra), sizeof *report->fields);
	for (int i = 0; i < n; i++) {
		report->fields[i].column = xstrdup(default_fields[i]->column);
		report->fields[i].training_only = default_fields[i]->splits_figures;
		/* by default everything but the training schedule varies within a figure */
		report->fields[i].compared = compare == NULL && !default_fields[i]->splits_figures;
	}
	free(default_fields);
	report->field_count = n;
	const char *facet = report->options->facet;
	char hint[160];
	if (facet && !find_field(report, facet)) {
		field_hint(report, facet, hint, sizeof hint);
		error("--facet: '%s' is not a hyper-parameter column of runs%s", facet, hint);
		return 1;
	}
	if (!compare)
		return 0;

	char *list = xstrdup(compare);
	int result = 0;
	/* split at commas only: a field never holds one, so a space inside an entry is part
	 * of what the user typed and is shown whole in the message (and the count of
	 * commas above bounds the entries) */
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		name += strspn(name, " ");
		for (size_t end = strlen(name); end && name[end - 1] == ' ';)
			name[--end] = '\0';
		if (!*name)
			continue;
		struct report_field *field = find_field(report, name);
		static const char *const identity[] = {"id", "name", "seed", "spec", "spec_hash",
						       "resolved_spec", "overrides", "status"};
		bool refused = false;
		for (size_t i = 0; i < sizeof identity / sizeof *identity; i++)
			refused |= !strcmp(name, identity[i]);
		if (!field && (refused || !is_runs_column(report->db, name))) {
			char *shown = text_printable(name);
			field_hint(report, name, hint, sizeof hint);
			error("--compare: '%s' is not a hyper-parameter column of runs%s", shown, hint);
			free(shown);
			result = 1;
			break;
		}
		if (!field) {
			field = &report->fields[report->field_count++];
			field->column = xstrdup(name);
		}
		field->compared = true;
		/* the residual setup is compared whole (its scale, form, block length, trained
		 * alpha and init: legends name it as one), as the slope goes with leaky_relu */
		for (int f = 0; f < report->field_count && !strcmp(name, "residual"); f++)
			if (report_is_residual_column(report->fields[f].column))
				report->fields[f].compared = true;
		if (!strcmp(name, "activation"))
			find_field(report, "activation_slope")->compared = true;
	}
	free(list);
	return result;
}

static double query_ratio(sqlite3 *db, long long run_id, long long step, int depth,
			  const char *column)
{
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT a.%s / b.%s FROM layer_stats a JOIN layer_stats b ON b.run_id = a.run_id"
		 " AND b.step = a.step AND b.layer = ? WHERE a.run_id = ? AND a.step = ? AND"
		 " a.layer = 0", column, column);
	sqlite3_stmt *statement = NULL;
	double ratio = NAN;
	if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK) {
		sqlite3_bind_int(statement, 1, depth);
		sqlite3_bind_int64(statement, 2, run_id);
		sqlite3_bind_int64(statement, 3, step);
		if (sqlite3_step(statement) == SQLITE_ROW &&
		    sqlite3_column_type(statement, 0) != SQLITE_NULL)
			ratio = sqlite3_column_double(statement, 0);
	}
	sqlite3_finalize(statement);
	return ratio;
}

static int load_run(struct report *report, struct report_run *run, long long id)
{
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "SELECT r.name, r.status, r.loss_fn, r.depth, r.final_loss,"
			  " (SELECT min(step) FROM steps WHERE run_id = r.id),"
			  " (SELECT max(step) FROM steps WHERE run_id = r.id),"
			  " (SELECT max(step) FROM steps WHERE run_id = r.id AND step <= ?2),"
			  " r.spec_hash, r.seed, r.overrides");
	for (int i = 0; i < report->field_count; i++)
		strbuf_printf(&sql, ", r.\"%s\"", report->fields[i].column);
	strbuf_puts(&sql, " FROM runs AS r WHERE r.id = ?1");
	sqlite3_stmt *s = NULL;
	int result = -1;
	if (sqlite3_prepare_v2(report->db, sql.text, -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, report->options->step);
	if (sqlite3_step(s) != SQLITE_ROW) {
		error("database: run %lld: %s", id, sqlite3_errmsg(report->db));
		goto done;
	}
	run->id = id;
	run->name = xstrdup((const char *)sqlite3_column_text(s, 0));
	run->status = xstrdup((const char *)sqlite3_column_text(s, 1));
	run->loss_fn = xstrdup((const char *)sqlite3_column_text(s, 2));
	run->depth = sqlite3_column_int(s, 3);
	run->final_loss = sqlite3_column_type(s, 4) == SQLITE_NULL ? NAN
								   : sqlite3_column_double(s, 4);
	bool logged = sqlite3_column_type(s, 5) != SQLITE_NULL;
	run->first_step = logged ? sqlite3_column_int64(s, 5) : -1;
	run->last_step = logged ? sqlite3_column_int64(s, 6) : -1;
	run->later_step = run->last_step;
	if (report->options->step >= 0)
		run->later_step = sqlite3_column_type(s, 7) == SQLITE_NULL
					  ? run->first_step
					  : sqlite3_column_int64(s, 7);
	const unsigned char *hash = sqlite3_column_text(s, 8);
	run->spec_hash = xstrdup(hash ? (const char *)hash : "");
	run->seed = sqlite3_column_int64(s, 9);
	const unsigned char *overrides = sqlite3_column_text(s, 10);
	run->overrides = xstrdup(overrides ? (const char *)overrides : "");
	run->values = xcalloc((size_t)report->field_count, sizeof *run->values);
	for (int i = 0; i < report->field_count; i++) {
		const unsigned char *text = sqlite3_column_text(s, 11 + i);
		run->values[i] = xstrdup(text ? (const char *)text : "");
	}
	run->ratio_first = query_ratio(report->db, id, run->first_step, run->depth,
				       "weight_grad_norm");
	run->delta_ratio_first = query_ratio(report->db, id, run->first_step, run->depth,
					     "delta_norm");
	run->ratio_later = query_ratio(report->db, id, run->later_step, run->depth,
				       "weight_grad_norm");
	result = 0;
done:
	sqlite3_finalize(s);
	strbuf_free(&sql);
	return result;
}

/* A re-run with the same spec and seed is the same experiment: counting it as another
 * seed would narrow the band and overstate the evidence. Runs are in id order, so the
 * later one is kept. */
static void mark_repeated_runs(struct report *report)
{
	for (int r = 0; r < report->run_count; r++) {
		struct report_run *run = &report->runs[r];
		for (int later = r + 1; later < report->run_count && !run->repeated; later++)
			run->repeated = *run->spec_hash &&
					!strcmp(run->spec_hash, report->runs[later].spec_hash) &&
					run->seed == report->runs[later].seed;
	}
}

int report_load(struct report *report, const long long *ids, int count)
{
	int fields = load_fields(report);
	if (fields)
		return fields;
	report->runs = xcalloc((size_t)count, sizeof *report->runs);
	/* a sweep's warning names a few runs and counts the rest, not 72 on one line */
	enum { NAMED_SHORT_RUNS = 6 };
	struct strbuf short_runs;
	strbuf_init(&short_runs);
	int short_count = 0;
	long long unnamed_low = -1, unnamed_high = -1;
	for (int i = 0; i < count; i++) {
		if (load_run(report, &report->runs[i], ids[i])) {
			strbuf_free(&short_runs);
			return -1;
		}
		report->run_count++;
		const struct report_run *run = &report->runs[i];
		if (run->last_step < 0 || report->options->step <= run->last_step)
			continue;
		if (short_count++ < NAMED_SHORT_RUNS) {
			strbuf_printf(&short_runs, "%s%lld (%lld)", short_runs.length ? ", " : "",
				      run->id, run->last_step);
			continue;
		}
		if (unnamed_low < 0 || run->last_step < unnamed_low)
			unnamed_low = run->last_step;
		unnamed_high = run->last_step > unnamed_high ? run->last_step : unnamed_high;
	}
	if (short_count > NAMED_SHORT_RUNS) {
		strbuf_printf(&short_runs, " and %d more (", short_count - NAMED_SHORT_RUNS);
		if (unnamed_low < unnamed_high)
			strbuf_printf(&short_runs, "%lld to %lld)", unnamed_low, unnamed_high);
		else
			strbuf_printf(&short_runs, "%lld)", unnamed_low);
	}
	mark_repeated_runs(report);
	/* the profiles silently showing an earlier step than asked would mislead */
	if (short_runs.length) {
		bool several = strchr(short_runs.text, ',') != NULL;
		warning("--step %lld is past the last logged step of run%s %s; %s right-hand "
			"profiles show %s last step", report->options->step, several ? "s" : "",
			short_runs.text, several ? "their" : "its", several ? "their" : "its");
	}
	strbuf_free(&short_runs);
	return 0;
}

void report_free(struct report *report)
{
	for (int i = 0; i < report->run_count; i++) {
		struct report_run *run = &report->runs[i];
		free(run->name), free(run->status), free(run->loss_fn), free(run->spec_hash);
		free(run->overrides);
		for (int f = 0; f < report->field_count && run->values; f++)
			free(run->values[f]);
		free(run->values);
	}
	free(report->runs);
	for (int f = 0; f < report->field_count; f++)
		free(report->fields[f].column);
	free(report->fields);
	for (int i = 0; i < report->script_count; i++)
		free(report->scripts[i]);
	free(report->scripts);
	free(report->terminal_scripts);
	strbuf_free(&report->figures_html);
	strbuf_free(&report->contents_html);
}

long long *report_steps(struct report *report, long long run_id, int limit, int *count)
{
	sqlite3_stmt *s = NULL;
	long long total = 0, *steps = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(report->db, "SELECT count(*) FROM steps WHERE run_id = ?", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, run_id);
		if (sqlite3_step(s) == SQLITE_ROW)
			total = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (total == 0)
		return NULL;
	steps = xmalloc(sizeof *steps * (size_t)(total < limit ? total : limit));
	if (sqlite3_prepare_v2(report->db, "SELECT step FROM steps WHERE run_id = ? ORDER BY step",
			       -1, &s, NULL) != SQLITE_OK) {
		free(steps);
		return NULL;
	}
	sqlite3_bind_int64(s, 1, run_id);
	/* keep row i when it is the first row at or past the next of `limit` even marks,
	 * so the first and the last logged step are always kept */
	long long row = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		bool keep = total <= limit ||
			    (row * (limit - 1)) / (total - 1) != ((row - 1) * (limit - 1)) / (total - 1) ||
			    row == 0;
		if (keep && *count < limit)
			steps[(*count)++] = sqlite3_column_int64(s, 0);
		row++;
	}
	sqlite3_finalize(s);
	return steps;
}
