/* Shard merging through ATTACH: the copy is INSERT ... SELECT statements inside one
 * transaction, with a temporary table mapping the shard's run ids to new ones. Column
 * lists come from the schema itself, so columns added later are carried along. */
#include "db/merge.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "util/error.h"
#include "util/strbuf.h"

static long long single_int(sqlite3 *db, const char *sql, bool *ok)
{
	sqlite3_stmt *s = NULL;
	long long value = 0;
	*ok = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	      sqlite3_step(s) == SQLITE_ROW;
	if (*ok)
		value = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return value;
}

static int check_shard(sqlite3 *db, const char *path)
{
	bool ok;
	long long application_id = single_int(db, "PRAGMA shard.application_id", &ok);
	long long version = ok ? single_int(db, "PRAGMA shard.user_version", &ok) : 0;
	if (ok)
		single_int(db, "SELECT count(*) FROM shard.sqlite_schema", &ok);
	if (!ok)
		return error("'%s' is not a gtrack database (%s)", path, sqlite3_errmsg(db));
	if (application_id != GT_APPLICATION_ID)
		return error("'%s' is not a gtrack database (application id %lld)", path,
			     application_id);
	if (version > db_schema_version())
		return error("'%s' was made by a newer gtrack (schema version %lld; this gtrack "
			     "knows up to %d): merge it with that gtrack, or with a newer one",
			     path, version, db_schema_version());
	if (version != db_schema_version())
		return error("'%s' has schema version %lld and this gtrack %d; open it once with "
			     "this gtrack (gtrack ls --db '%s') to migrate it, then merge",
			     path, version, db_schema_version(), path);
	return 0;
}

int db_check_shard(const char *shard_path)
{
	sqlite3 *db = NULL;
	int result = -1;
	/* a connection of its own, in memory: the output database is not created yet */
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) !=
	    SQLITE_OK)
		error("database: %s", db ? sqlite3_errmsg(db) : "out of memory");
	else if (db_attach_read_only(db, shard_path, "shard") == 0)
		result = check_shard(db, shard_path);
	sqlite3_close(db);
	return result;
}

/* Appends the tables whose rows belong to a run (a foreign key to runs), so tables added
 * later are carried along too, one name after another, NUL-separated. */
static int run_tables(sqlite3 *db, struct strbuf *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT DISTINCT m.name FROM main.sqlite_schema AS m,"
				    " pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table' AND"
				    " f.\"table\" = 'runs' AND m.name <> 'runs' ORDER BY m.name",
				    -1, &s, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		strbuf_add(out, name, strlen(name) + 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : error("database: %s", sqlite3_errmsg(db));
}

int db_merge_shard(sqlite3 *db, const char *shard_path, struct merge_counts *counts)
{
	memset(counts, 0, sizeof *counts);
	if (db_attach_read_only(db, shard_path, "shard"))
		return -1;

	struct strbuf sql, columns, prefixed, tables;
	strbuf_init(&sql), strbuf_init(&columns), strbuf_init(&prefixed), strbuf_init(&tables);
	int result = -1;
	bool in_transaction = false;
	if (check_shard(db, shard_path) || run_tables(db, &tables) ||
	    db_exec(db, "BEGIN IMMEDIATE"))
		goto done;
	in_transaction = true;

	if (db_exec(db, "INSERT OR IGNORE INTO main.sweeps (name, spec, sweep_hash, created_at)"
			" SELECT name, spec, sweep_hash, created_at FROM shard.sweeps"))
		goto done;
	counts->sweeps_added = sqlite3_changes(db);

	/* The runs to copy, and where they land: new runs, and runs copied earlier while
	 * they were running (still 'running' here, or marked 'crashed' since) of which the
	 * shard now has a later state; those replace their copy and keep its id. */
	if (db_exec(db, "CREATE TEMP TABLE merge_map (old_id INTEGER PRIMARY KEY, uuid TEXT"
			" NOT NULL, replaced_id INTEGER, new_id INTEGER)") ||
	    db_exec(db, "INSERT INTO temp.merge_map (old_id, uuid, replaced_id)"
			" SELECT r.id, r.uuid, m.id FROM shard.runs AS r"
			" LEFT JOIN main.runs AS m ON m.uuid = r.uuid"
			" WHERE (m.id IS NULL OR (m.status IN ('running', 'crashed') AND"
			"  r.heartbeat_at > m.heartbeat_at))"
			" AND NOT (r.status = 'finished' AND EXISTS (SELECT 1 FROM main.runs AS f"
			"  WHERE f.spec_hash = r.spec_hash AND f.seed = r.seed AND"
			"  f.status = 'finished'))"))
		goto done;
	bool ok;
	counts->runs_updated = (int)single_int(
		db, "SELECT count(*) FROM temp.merge_map WHERE replaced_id IS NOT NULL", &ok);
	counts->runs_added =
		(int)single_int(db, "SELECT count(*) FROM temp.merge_map", &ok) - counts->runs_updated;
	counts->runs_skipped = (int)single_int(db, "SELECT count(*) FROM shard.runs", &ok) -
			       counts->runs_added - counts->runs_updated;
	counts->runs_running = (int)single_int(
		db, "SELECT count(*) FROM shard.runs AS r JOIN temp.merge_map AS map ON"
		    " map.old_id = r.id WHERE r.status = 'running'", &ok);

	/* the older copies go first, with their rows */
	for (const char *table = tables.text; *table; table += strlen(table) + 1) {
		strbuf_reset(&sql);
		strbuf_printf(&sql, "DELETE FROM main.\"%s\" WHERE run_id IN (SELECT replaced_id"
				    " FROM temp.merge_map)", table);
		if (db_exec(db, sql.text))
			goto done;
	}
	if (db_exec(db, "DELETE FROM main.runs WHERE id IN (SELECT replaced_id FROM"
			" temp.merge_map)"))
		goto done;

	static const char *const run_skip[] = {"id", "sweep_id", NULL};
	if (db_column_list(db, "runs", run_skip, "", &columns) ||
	    db_column_list(db, "runs", run_skip, "r.", &prefixed))
		goto done;
	strbuf_reset(&sql);
	strbuf_printf(&sql, "INSERT INTO main.runs (id, %s, sweep_id) SELECT map.replaced_id, %s,"
			    " (SELECT m.id FROM main.sweeps AS m JOIN shard.sweeps AS s ON"
			    " s.sweep_hash = m.sweep_hash WHERE s.id = r.sweep_id) FROM shard.runs"
			    " AS r JOIN temp.merge_map AS map ON map.old_id = r.id ORDER BY r.id",
		      columns.text, prefixed.text);
	if (db_exec(db, sql.text) ||
	    db_exec(db, "UPDATE temp.merge_map SET new_id = (SELECT id FROM main.runs WHERE"
			" main.runs.uuid = temp.merge_map.uuid)"))
		goto done;

	static const char *const row_skip[] = {"run_id", NULL};
	for (const char *table = tables.text; *table; table += strlen(table) + 1) {
		strbuf_reset(&columns), strbuf_reset(&prefixed), strbuf_reset(&sql);
		if (db_column_list(db, table, row_skip, "", &columns) ||
		    db_column_list(db, table, row_skip, "x.", &prefixed))
			goto done;
		strbuf_printf(&sql, "INSERT INTO main.\"%s\" (run_id, %s) SELECT map.new_id, %s"
				    " FROM shard.\"%s\" AS x JOIN temp.merge_map AS map ON"
				    " map.old_id = x.run_id",
			      table, columns.text, prefixed.text, table);
		if (db_exec(db, sql.text))
			goto done;
	}
	if (db_exec(db, "DROP TABLE temp.merge_map") || db_exec(db, "COMMIT"))
		goto done;
	in_transaction = false;
	result = 0;
done:
	if (in_transaction) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_exec(db, "DROP TABLE IF EXISTS temp.merge_map", NULL, NULL, NULL);
	}
	sqlite3_exec(db, "DETACH DATABASE shard", NULL, NULL, NULL);
	strbuf_free(&sql), strbuf_free(&columns), strbuf_free(&prefixed), strbuf_free(&tables);
	if (result)
		memset(counts, 0, sizeof *counts);
	return result;
}
