/* gtrack show RUN: the spec, the outcome, and the gradient-norm profile per layer at the
 * first and the last logged step, with the first-to-last layer ratio: the numbers that
 * say whether the gradient vanished or exploded. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "db/db.h"
#include "db/run_hint.h"
#include "util/error.h"
#include "util/printable.h"
#include "util/strbuf.h"

const char cmd_show_usage[] =
	"usage: gtrack show RUN [--db PATH]\n"
	"\n"
	"RUN is a run id or a name (the most recent run of that name). Prints the spec as\n"
	"given, the status, what its last bits depend on (threads, vector loops, BLAS\n"
	"build), and per layer the weight_grad_norm and delta_norm at the first\n"
	"and the last logged step, then the ratio of layer 0 to the output layer, and the\n"
	"last evaluation on the training and validation splits, if any.\n"
	"\n"
	"  --db PATH   database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  -h, --help  this help\n"
	"\n"
	"Exit status: 0 shown, 2 bad option, 4 database problem, 6 no run matches.\n";

static int print_header(sqlite3 *db, long long id, long long *depth)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT name, " DB_STATUS_SQL ", started_at, coalesce(finished_at,"
			       " '-'), elapsed_s, steps_done, steps, final_loss, coalesce(message,"
			       " CASE WHEN status = 'running' AND " DB_STATUS_SQL " = 'crashed'"
			       " THEN 'no heartbeat since ' || heartbeat_at END), spec_hash, seed,"
			       " spec, overrides, depth, dtype, gtrack_version, threads, vector_isa, blas"
			       " FROM runs WHERE id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return error("database: %s", sqlite3_errmsg(db));
	}
	/* a database from elsewhere can hold anything: its text is escaped */
	struct shown shown = {0};
	printf("run %lld: %s (%s)\n", id, shown_text(&shown, sqlite3_column_text(s, 0)),
	       shown_text(&shown, sqlite3_column_text(s, 1)));
	printf("started %s, finished %s", shown_text(&shown, sqlite3_column_text(s, 2)),
	       shown_text(&shown, sqlite3_column_text(s, 3)));
	if (sqlite3_column_type(s, 4) != SQLITE_NULL)
		printf(", %.2f s", sqlite3_column_double(s, 4));
	char loss[32];
	if (sqlite3_column_type(s, 7) == SQLITE_NULL)
		snprintf(loss, sizeof loss, "-");
	else
		snprintf(loss, sizeof loss, "%.6g", sqlite3_column_double(s, 7));
	printf("\nsteps %lld/%lld, final loss %s, dtype %s, gtrack %s\n",
	       (long long)sqlite3_column_int64(s, 5), (long long)sqlite3_column_int64(s, 6), loss,
	       shown_text(&shown, sqlite3_column_text(s, 14)),
	       shown_text(&shown, sqlite3_column_text(s, 15)));
	/* what the last bits depend on (README: Threads); not recorded before schema 12 */
	if (sqlite3_column_type(s, 16) != SQLITE_NULL)
		printf("threads %lld, vector_isa %s, blas %s\n",
		       (long long)sqlite3_column_int64(s, 16),
		       shown_text(&shown, sqlite3_column_text(s, 17)),
		       shown_text(&shown, sqlite3_column_text(s, 18)));
	if (sqlite3_column_type(s, 8) != SQLITE_NULL)
		printf("message: %s\n", shown_text(&shown, sqlite3_column_text(s, 8)));
	printf("spec_hash %s, seed %lld\n", shown_text(&shown, sqlite3_column_text(s, 9)),
	       (long long)sqlite3_column_int64(s, 10));
	const char *overrides = (const char *)sqlite3_column_text(s, 12);
	if (overrides && *overrides)
		printf("overrides: %s\n", shown_text(&shown, overrides));
	shown_free(&shown);
	printf("\nspec:\n");
	const char *spec = (const char *)sqlite3_column_text(s, 11);
	for (const char *line = spec; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t length = end ? (size_t)(end - line) : strlen(line);
		char *text = xmalloc(length + 1);
		memcpy(text, line, length);
		text[length] = '\0';
		printf("  %s\n", shown_text(&shown, text));
		shown_free(&shown);
		free(text);
		line = end ? end + 1 : line + length;
	}
	*depth = sqlite3_column_int64(s, 13);
	sqlite3_finalize(s);
	return 0;
}

static int print_profile(sqlite3 *db, long long id, long long depth)
{
	sqlite3_stmt *s = NULL;
	/* One row per layer with the first and last logged step side by side. */
	const char *sql =
		"WITH bounds AS (SELECT min(step) AS first, max(step) AS last FROM layer_stats"
		"  WHERE run_id = ?1)"
		" SELECT l.layer, l.kind, l.fan_in, l.fan_out, a.weight_grad_norm, a.delta_norm,"
		"  b.weight_grad_norm, b.delta_norm, bounds.first, bounds.last"
		" FROM layers AS l, bounds"
		" LEFT JOIN layer_stats AS a ON a.run_id = ?1 AND a.step = bounds.first"
		"  AND a.layer = l.layer"
		" LEFT JOIN layer_stats AS b ON b.run_id = ?1 AND b.step = bounds.last"
		"  AND b.layer = l.layer"
		" WHERE l.run_id = ?1 ORDER BY l.layer";
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(s, 1, id);
	double first[2][2] = {{NAN, NAN}, {NAN, NAN}}; /* [step][weight, delta] at layer 0 */
	double last[2][2] = {{NAN, NAN}, {NAN, NAN}};  /* the same at the output layer */
	bool header = false;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!header) {
			if (sqlite3_column_type(s, 8) == SQLITE_NULL) {
				printf("\nno steps logged\n");
				break;
			}
			char first_step[32], last_step[32];
			snprintf(first_step, sizeof first_step, "step %lld",
				 (long long)sqlite3_column_int64(s, 8));
			snprintf(last_step, sizeof last_step, "step %lld",
				 (long long)sqlite3_column_int64(s, 9));
			printf("\ngradient-norm profile (layer 0 nearest the input)\n");
			printf("%5s  %-6s %7s %7s  %-23s  %-23s\n", "", "", "", "", first_step,
			       last_step);
			printf("%5s  %-6s %7s %7s  %11s %11s  %11s %11s\n", "layer", "kind", "fan_in",
			       "fan_out", "weight_grad", "delta", "weight_grad", "delta");
			header = true;
		}
		char v[4][24];
		for (int c = 0; c < 4; c++)
			format_norm(v[c], sizeof v[c], sqlite3_column_double(s, 4 + c),
				    sqlite3_column_type(s, 4 + c) == SQLITE_NULL);
		long long layer = sqlite3_column_int64(s, 0);
		struct shown shown = {0};
		printf("%5lld  %-6s %7lld %7lld  %11s %11s  %11s %11s\n", layer,
		       shown_text(&shown, sqlite3_column_text(s, 1)),
		       (long long)sqlite3_column_int64(s, 2), (long long)sqlite3_column_int64(s, 3),
		       v[0], v[1], v[2], v[3]);
		shown_free(&shown);
		for (int c = 0; c < 4; c++) {
			double value = sqlite3_column_type(s, 4 + c) == SQLITE_NULL
					       ? NAN
					       : sqlite3_column_double(s, 4 + c);
			if (layer == 0)
				first[c / 2][c % 2] = value;
			if (layer == depth)
				last[c / 2][c % 2] = value;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return error("database: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(s);
	if (header) {
		char r[4][24];
		for (int c = 0; c < 4; c++)
			format_norm(r[c], sizeof r[c], first[c / 2][c % 2] / last[c / 2][c % 2], 0);
		printf("%5s  %-6s %15s  %11s %11s  %11s %11s\n", "ratio", "", "layer 0 / output",
		       r[0], r[1], r[2], r[3]);
	}
	return 0;
}

/* The last evaluation on each split, when the run has any (log.eval_every). */
static int print_evaluation(sqlite3 *db, long long id)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT step, split, loss, accuracy, examples FROM evals"
				   " WHERE run_id = ?1 AND step = (SELECT max(step) FROM evals WHERE"
				   " run_id = ?1) ORDER BY split", -1, &s, NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(s, 1, id);
	bool first = true;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (first)
			printf("\nevaluation at step %lld\n", (long long)sqlite3_column_int64(s, 0));
		first = false;
		char loss[32], accuracy[32];
		snprintf(loss, sizeof loss, "%.4g", sqlite3_column_double(s, 2));
		if (sqlite3_column_type(s, 3) == SQLITE_NULL)
			snprintf(accuracy, sizeof accuracy, "-");
		else
			snprintf(accuracy, sizeof accuracy, "%.4f", sqlite3_column_double(s, 3));
		struct shown shown = {0};
		printf("  %-10s loss %-10s accuracy %-8s (%lld examples)\n",
		       shown_text(&shown, sqlite3_column_text(s, 1)), loss, accuracy,
		       (long long)sqlite3_column_int64(s, 4));
		shown_free(&shown);
	}
	sqlite3_finalize(s);
	return 0;
}

int cmd_show(int argc, char **argv)
{
	static const struct option options[] = {
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db_option = NULL;
	int option;
	optind = 0;
	while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (option) {
		case 'd':
			db_option = optarg;
			break;
		case 'h':
			fputs(cmd_show_usage, stdout);
			return finish_output(EXIT_OK);
		default:
			return option_error("show", argv, "h");
		}
	}
	if (optind != argc - 1)
		return usage_error("show", "expected one RUN (an id or a name)");

	sqlite3 *db = NULL;
	int code = EXIT_OK;
	if (db_open(&db, db_path(db_option), DB_EXISTING))
		return EXIT_DATABASE;
	long long id = db_find_run(db, argv[optind]);
	long long depth = 0;
	if (id < 0)
		code = EXIT_DATABASE;
	else if (id == 0)
		code = (error_no_run(db, argv[optind]), EXIT_NOT_FOUND);
	else if (print_header(db, id, &depth) || print_profile(db, id, depth) ||
		 print_evaluation(db, id))
		code = EXIT_DATABASE;
	db_close(db);
	return finish_output(code);
}
