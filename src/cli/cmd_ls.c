/* gtrack ls: a table of the runs, oldest first, so the newest is nearest the prompt. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "db/db.h"
#include "util/error.h"
#include "util/printable.h"
#include "util/terminal.h"
#include "util/units.h"

const char cmd_ls_usage[] =
	"usage: gtrack ls [--db PATH] [--limit N]\n"
	"\n"
	"Lists the runs: id, name, seed, status, activation, depth, width, residual (its\n"
	"setup: 'no', or form, k layers per block, alpha when not 1, init when not the\n"
	"default: 'pre k=2 zero_last'; 'rezero' when alpha is trained), init (scheme x\n"
	"gain), final loss, steps done / asked (compact above a million: 1.23M/100M), and\n"
	"when it started (UTC). Names get the columns the terminal has to spare (up to 60\n"
	"characters when not on a terminal), at least 20.\n"
	"\n"
	"  --db PATH     database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  -n, --limit N only the N most recent runs\n"
	"  -h, --help    this help\n"
	"\n"
	"Exit status: 0 listed, 2 bad option, 4 database problem.\n";

/* The name column's width: the longest name, at least 20 characters and at most what
 * the terminal leaves beside the other columns (60 when not on a terminal). */
#define NAME_MIN 20
#define NAME_MAX_PIPED 60
#define OTHER_COLUMNS 126

static int name_width(int longest)
{
	int columns, rows, most = NAME_MAX_PIPED;
	if (terminal_size(STDOUT_FILENO, &columns, &rows))
		most = columns - OTHER_COLUMNS;
	int width = longest < most ? longest : most;
	return width > NAME_MIN ? width : NAME_MIN;
}

static void print_header(int name_columns)
{
	printf("%4s  %-*s %4s %-9s %-10s %5s %5s %-18s %-18s %10s %13s  %s\n", "id",
	       name_columns, "name", "seed", "status", "activation", "depth", "width", "residual",
	       "init", "final loss", "steps", "started (UTC)");
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
		print_header(NAME_MIN);
		return finish_output(EXIT_OK);
	}
	if (db_open(&db, db_path(db_option), DB_EXISTING))
		return EXIT_DATABASE;
	/* the residual setup as the reports name it; runs from before schema 10 have no
	 * form or block: the branch form, one layer per block */
	const char *sql =
		"SELECT *, max(length(name)) OVER () FROM (SELECT id, name, " DB_STATUS_SQL ","
		" activation, depth, width, CASE WHEN residual = 0 THEN 'no' ELSE"
		" CASE WHEN residual_learn_alpha THEN 'rezero' ||"
		"  CASE WHEN residual_block > 1 THEN ' k=' || residual_block ELSE '' END"
		" ELSE coalesce(residual_form, 'branch') || ' k=' || coalesce(residual_block, 1) ||"
		"  CASE WHEN residual_alpha <> 1 THEN ' a=' || printf('%g', residual_alpha)"
		"  ELSE '' END END ||"
		" CASE WHEN residual_init <> 'default' THEN ' ' || residual_init ELSE '' END END,"
		" seed, init, init_gain, final_loss, steps_done, steps,"
		" replace(substr(started_at, 1, 16), 'T', ' ')"
		" FROM runs ORDER BY id DESC LIMIT ?) ORDER BY id";
	if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(db));
		code = EXIT_DATABASE;
		goto done;
	}
	sqlite3_bind_int64(statement, 1, limit);
	int rc = sqlite3_step(statement), name_columns = NAME_MIN;
	if (rc == SQLITE_ROW)
		name_columns = name_width(sqlite3_column_int(statement, 14));
	print_header(name_columns);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(statement)) {
		char init[40], loss[24], done[16], asked[16], steps[32];
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
		struct strbuf name, residual, init_shown;
		strbuf_init(&name), strbuf_init(&residual), strbuf_init(&init_shown);
		text_fit_columns(&name, shown_text(&shown, sqlite3_column_text(statement, 1)),
				 name_columns);
		text_fit_columns(&residual, shown_text(&shown, sqlite3_column_text(statement, 6)), 18);
		text_fit_columns(&init_shown, shown_text(&shown, init), 18);
		printf("%4lld  %s %4lld %-9s %-10s %5lld %5lld %s %s %10s %13s  %s\n",
		       (long long)sqlite3_column_int64(statement, 0), name.text,
		       (long long)sqlite3_column_int64(statement, 7),
		       shown_text(&shown, sqlite3_column_text(statement, 2)),
		       shown_text(&shown, sqlite3_column_text(statement, 3)),
		       (long long)sqlite3_column_int64(statement, 4),
		       (long long)sqlite3_column_int64(statement, 5), residual.text, init_shown.text,
		       loss, steps, shown_text(&shown, sqlite3_column_text(statement, 13)));
		shown_free(&shown);
		strbuf_free(&name), strbuf_free(&residual), strbuf_free(&init_shown);
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
