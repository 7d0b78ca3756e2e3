/* Reading a run's latest logged step for `gtrack watch`.
 *
 * Each snapshot is one read transaction (BEGIN ... COMMIT, a few milliseconds): in WAL
 * mode it takes no lock the writer waits on, and it sees one committed state, so the
 * run row, the step row and its layer rows come from the same commit. Between frames no
 * transaction is open, so the writer's checkpoints are never held back. */
#include "watch/snapshot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/error.h"
#include "util/strbuf.h"

static double column_number(sqlite3_stmt *statement, int column)
{
	return sqlite3_column_type(statement, column) == SQLITE_NULL
		       ? NAN
		       : sqlite3_column_double(statement, column);
}

static char *column_copy(sqlite3_stmt *statement, int column)
{
	const unsigned char *text = sqlite3_column_text(statement, column);
	return text ? xstrdup((const char *)text) : NULL;
}

/* Prepares sql and binds run_id to ?1; NULL with a message on failure. */
static sqlite3_stmt *prepare_for_run(sqlite3 *db, const char *sql, long long run_id)
{
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(statement, 1, run_id) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(db));
		sqlite3_finalize(statement);
		return NULL;
	}
	return statement;
}

static int read_run(sqlite3 *db, struct watch_snapshot *snapshot)
{
	sqlite3_stmt *s = prepare_for_run(db,
					  "SELECT name, " DB_STATUS_SQL ", message, steps_done,"
					  " steps, elapsed_s, hostname, pid, status,"
					  " coalesce(heartbeat_at, 'never') FROM runs WHERE id = ?1",
					  snapshot->run_id);
	if (!s)
		return -1;
	int result = -1, rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		error("run %lld is no longer in the database", snapshot->run_id);
		goto done;
	}
	if (rc != SQLITE_ROW) {
		error("database: %s", sqlite3_errmsg(db));
		goto done;
	}
	snapshot->name = column_copy(s, 0);
	snapshot->status = column_copy(s, 1);
	snapshot->message = column_copy(s, 2);
	snapshot->steps_done = sqlite3_column_int64(s, 3);
	snapshot->steps = sqlite3_column_int64(s, 4);
	snapshot->elapsed_s = column_number(s, 5);
	/* the rule db_mark_crashed applies when a database is opened, applied at every
	 * frame: a run killed while it is watched would otherwise show as running for a
	 * minute, until its heartbeat is stale */
	if (snapshot->status && !strcmp(snapshot->status, "running") &&
	    db_run_process_gone((const char *)sqlite3_column_text(s, 6),
				sqlite3_column_int64(s, 7))) {
		free(snapshot->status);
		snapshot->status = xstrdup("crashed");
	}
	/* a run read as crashed but not yet marked: the reason db_mark_crashed will store */
	const unsigned char *stored_status = sqlite3_column_text(s, 8);
	if (snapshot->status && !strcmp(snapshot->status, "crashed") && stored_status &&
	    !strcmp((const char *)stored_status, "running")) {
		bool gone = db_run_process_gone((const char *)sqlite3_column_text(s, 6),
						sqlite3_column_int64(s, 7));
		struct strbuf message;
		strbuf_init(&message);
		strbuf_printf(&message, "%s (last heartbeat %s)",
			      gone ? DB_CRASHED_PROCESS_GONE : DB_CRASHED_NO_HEARTBEAT,
			      (const char *)sqlite3_column_text(s, 9));
		free(snapshot->message);
		snapshot->message = strbuf_detach(&message);
	}
	result = 0;
done:
	sqlite3_finalize(s);
	return result;
}

static int read_latest_step(sqlite3 *db, struct watch_snapshot *snapshot)
{
	sqlite3_stmt *s = prepare_for_run(db,
					  "SELECT step, loss, elapsed_s FROM steps WHERE run_id = ?1"
					  " ORDER BY step DESC LIMIT 1",
					  snapshot->run_id);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snapshot->has_step = true;
		snapshot->step = sqlite3_column_int64(s, 0);
		snapshot->loss = column_number(s, 1);
		snapshot->step_elapsed_s = column_number(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return error("database: %s", sqlite3_errmsg(db));
	return 0;
}

/* Every layer of the run with its norms at the latest logged step (NaN before the first)
 * and its prediction, if any. */
static int read_layers(sqlite3 *db, struct watch_snapshot *snapshot)
{
	sqlite3_stmt *s = prepare_for_run(
		db,
		"SELECT l.layer, s.weight_grad_norm, s.delta_norm, p.weight_grad_norm,"
		" p.delta_norm, (SELECT count(*) FROM layers WHERE run_id = ?1)"
		" FROM layers AS l"
		" LEFT JOIN layer_stats AS s ON s.run_id = ?1 AND s.step = ?2 AND s.layer = l.layer"
		" LEFT JOIN predictions AS p ON p.run_id = ?1 AND p.layer = l.layer"
		" WHERE l.run_id = ?1 ORDER BY l.layer",
		snapshot->run_id);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 2, snapshot->has_step ? snapshot->step : -1);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!snapshot->layers)
			snapshot->layers = xcalloc((size_t)sqlite3_column_int64(s, 5),
						   sizeof *snapshot->layers);
		struct watch_layer *layer = &snapshot->layers[snapshot->layer_count++];
		layer->layer = sqlite3_column_int64(s, 0);
		layer->weight_grad_norm = column_number(s, 1);
		layer->delta_norm = column_number(s, 2);
		layer->predicted_weight_grad_norm = column_number(s, 3);
		layer->predicted_delta_norm = column_number(s, 4);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return error("database: %s", sqlite3_errmsg(db));
	return 0;
}

static struct watch_layer *find_layer(struct watch_snapshot *snapshot, long long layer)
{
	for (int i = 0; i < snapshot->layer_count; i++)
		if (snapshot->layers[i].layer == layer)
			return &snapshot->layers[i];
	return NULL;
}

/* weight_grad_norm at the latest WATCH_HISTORY logged steps, a range of the primary key
 * (run_id, step, layer). */
static int read_history(sqlite3 *db, struct watch_snapshot *snapshot)
{
	sqlite3_stmt *s = prepare_for_run(
		db,
		"SELECT layer, weight_grad_norm FROM layer_stats WHERE run_id = ?1 AND step >="
		" (SELECT min(step) FROM (SELECT step FROM steps WHERE run_id = ?1 AND step <= ?2"
		" ORDER BY step DESC LIMIT ?3)) AND step <= ?2 ORDER BY layer, step",
		snapshot->run_id);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 2, snapshot->step);
	sqlite3_bind_int(s, 3, WATCH_HISTORY);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct watch_layer *layer = find_layer(snapshot, sqlite3_column_int64(s, 0));
		if (layer && layer->history_count < WATCH_HISTORY)
			layer->history[layer->history_count++] = column_number(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return error("database: %s", sqlite3_errmsg(db));
	return 0;
}

int watch_snapshot_read(sqlite3 *db, long long run_id, struct watch_snapshot *snapshot)
{
	memset(snapshot, 0, sizeof *snapshot);
	snapshot->run_id = run_id;
	snapshot->loss = snapshot->step_elapsed_s = NAN;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(db));
	if (read_run(db, snapshot) || read_latest_step(db, snapshot) ||
	    read_layers(db, snapshot) || (snapshot->has_step && read_history(db, snapshot)))
		goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(db));
		goto fail;
	}
	return 0;
fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	watch_snapshot_free(snapshot);
	return -1;
}

void watch_snapshot_free(struct watch_snapshot *snapshot)
{
	if (!snapshot)
		return;
	free(snapshot->name);
	free(snapshot->status);
	free(snapshot->message);
	free(snapshot->layers);
	memset(snapshot, 0, sizeof *snapshot);
}

bool watch_snapshot_running(const struct watch_snapshot *snapshot)
{
	return snapshot->status && !strcmp(snapshot->status, "running");
}
