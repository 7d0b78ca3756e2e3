/* The run names of a database, offered as "did you mean" when a name matches none
 * (gtrack show, export, report --runs). */
#include "db/run_hint.h"

#include "util/error.h"
#include "util/suggest.h"

void run_name_hint(sqlite3 *db, const char *typed, char *hint, size_t size)
{
	struct suggestion suggestion;
	suggestion_init(&suggestion, typed);
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT name FROM runs", -1, &statement, NULL) ==
	    SQLITE_OK)
		while (sqlite3_step(statement) == SQLITE_ROW)
			suggestion_consider(&suggestion,
					    (const char *)sqlite3_column_text(statement, 0));
	sqlite3_finalize(statement);
	suggestion_hint(&suggestion, hint, size);
	suggestion_free(&suggestion);
}

int error_no_run(sqlite3 *db, const char *key)
{
	char hint[320];
	run_name_hint(db, key, hint, sizeof hint);
	return error("no run with id or name '%s'%s", key, *hint ? hint : " (see 'gtrack ls')");
}
