/* A sweep's row, and which of its runs are already done. */
#include "sweep/sweep.h"

#include "db/db.h"
#include "util/error.h"

int sweep_record(sqlite3 *db, const struct sweep *sweep, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int result = -1;
	/* insert-or-ignore then select, under one write lock: two processes recording the
	 * same sweep agree on its id */
	if (db_exec(db, "BEGIN IMMEDIATE"))
		return -1;
	if (sqlite3_prepare_v2(db,
			       "INSERT OR IGNORE INTO sweeps (name, spec, sweep_hash, created_at)"
			       " VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
			       -1, &s, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(s, 1, sweep->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sweep->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, sweep->sweep_hash, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto done;
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT id FROM sweeps WHERE sweep_hash = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		goto done;
	sqlite3_bind_text(s, 1, sweep->sweep_hash, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto done;
	*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	result = db_exec(db, "COMMIT");
done:
	if (result) {
		error("database: cannot record the sweep: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(s);
	return result;
}

int64_t sweep_finished_run(sqlite3 *db, const struct spec *spec)
{
	sqlite3_stmt *s = NULL;
	int64_t id = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT id FROM runs WHERE spec_hash = ? AND seed = ? AND"
			       " status IN ('finished', 'diverged') ORDER BY id LIMIT 1",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, spec->spec_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, spec->seed);
		int rc = sqlite3_step(s);
		id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : rc == SQLITE_DONE ? 0 : -1;
	}
	if (id < 0)
		error("database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return id;
}
