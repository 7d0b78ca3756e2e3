/* gtrack ls: a table of the runs, oldest first, so the newest is nearest the prompt. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "db/db.h"
#include "util/error.h"
#include "util/printable.h"
#include "util/units.h"

const char cmd_ls_usage[] =
	"usage: gtrack ls [--db PATH] [--limit N]\n"
	"\n"
	"Lists the runs: id, name, status, activation, depth, width, residual (its alpha),\n"
	"init (scheme x gain), final loss, steps done / asked (compact above a million:\n"
	"1.23M/100M), and when it started (UTC).\n"
	"\n"
	"  --db PATH     database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  -n, --limit N only the N most recent runs\n"
	"  -h, --help    this help\n"
	"\n"
	"Exit status: 0 listed, 2 bad option, 4 database problem.\n";

static void print_header(void)
{
	printf("%4s  %-20s %-9s %-10s %5s %5s %-8s %-18s %10s %13s  %s\n", "id", "name",
	       "status", "activation", "depth", "width", "residual", "init", "final loss",
	       "steps", "started (UTC)");
}

int cmd_ls(int argc, char **argv)
{
	static const struct option options[] = {
		{"db", required_argument, NULL, 'd'},
		{"limit", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db_option = NULL;
	long long limit = -1;
	int option;
	optind = 0;
	while ((option = getopt_long(argc, argv, "n:h", options, NULL)) != -1) {
		char *end;
		switch (option) {
		case 'd':
			db_option = optarg;
			break;
		case 'n':
			limit = strtoll(optarg, &end, 10);
			if (*end || limit < 0)
				return usage_error("ls", "--limit expects a whole number, got '%s'",
						   optarg);
			break;
		case 'h':
			fputs(cmd_ls_usage, stdout);
			return finish_output(EXIT_OK);
		default:
			return option_error("ls", argv, "n:h");
		}
	}
	if (optind < argc)
		return usage_error("ls", "unexpected argument '%s'", argv[optind]);

	sqlite3 *db = NULL;
	sqlite3_stmt *statement = NULL;
	int code = EXIT_OK;
	/* a database a run left before creating its schema has no runs yet: an empty list */
	if (db_is_empty(db_path(db_option))) {
		print_header();
		return finish_output(EXIT_OK);
	}
	if (db_open(&db, db_path(db_option), DB_EXISTING))
		return EXIT_DATABASE;
	const char *sql =
		"SELECT * FROM (SELECT id, name, " DB_STATUS_SQL ", activation, depth, width, residual,"
		" residual_alpha, init, init_gain, final_loss, steps_done, steps,"
		" replace(substr(started_at, 1, 16), 'T', ' ')"
		" FROM runs ORDER BY id DESC LIMIT ?) ORDER BY id";
	if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(db));
		code = EXIT_DATABASE;
		goto done;
	}
	sqlite3_bind_int64(statement, 1, limit);
	print_header();
	int rc;
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		char residual[16], init[40], loss[24], done[16], asked[16], steps[32];
		if (sqlite3_column_int(statement, 6))
			snprintf(residual, sizeof residual, "a=%g", sqlite3_column_double(statement, 7));
		else
			snprintf(residual, sizeof residual, "no");
		double gain = sqlite3_column_double(statement, 9);
		if (gain == 1.0)
			snprintf(init, sizeof init, "%s", sqlite3_column_text(statement, 8));
		else
			snprintf(init, sizeof init, "%s x%g", sqlite3_column_text(statement, 8), gain);
		if (sqlite3_column_type(statement, 10) == SQLITE_NULL)
			snprintf(loss, sizeof loss, "-");
		else
			snprintf(loss, sizeof loss, "%.4g", sqlite3_column_double(statement, 10));
		/* compact above a million, so a 1e8-step run keeps the columns aligned */
		snprintf(steps, sizeof steps, "%s/%s",
			 format_count(done, sizeof done, sqlite3_column_int64(statement, 11)),
			 format_count(asked, sizeof asked, sqlite3_column_int64(statement, 12)));
		/* a database from elsewhere can hold anything: its text is escaped */
		struct shown shown = {0};
		struct strbuf name, init_shown;
		strbuf_init(&name);
		strbuf_init(&init_shown);
		text_fit_columns(&name, shown_text(&shown, sqlite3_column_text(statement, 1)), 20);
		text_fit_columns(&init_shown, shown_text(&shown, init), 18);
		printf("%4lld  %s %-9s %-10s %5lld %5lld %-8s %s %10s %13s  %s\n",
		       (long long)sqlite3_column_int64(statement, 0), name.text,
		       shown_text(&shown, sqlite3_column_text(statement, 2)),
		       shown_text(&shown, sqlite3_column_text(statement, 3)),
		       (long long)sqlite3_column_int64(statement, 4),
		       (long long)sqlite3_column_int64(statement, 5), residual, init_shown.text,
		       loss, steps, shown_text(&shown, sqlite3_column_text(statement, 13)));
		shown_free(&shown);
		strbuf_free(&name);
		strbuf_free(&init_shown);
	}
	if (rc != SQLITE_DONE) {
		error("database: %s", sqlite3_errmsg(db));
		code = EXIT_DATABASE;
	}
done:
	sqlite3_finalize(statement);
	db_close(db);
	return finish_output(code);
}
