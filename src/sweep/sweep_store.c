/* A sweep's row, which of its runs are already done, and the claims that keep two
 * sweeps on one database from training a run twice. */
#include "sweep/sweep.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

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

int64_t sweep_finished_run(sqlite3 *db, const struct spec *spec, bool *diverged)
{
	sqlite3_stmt *s = NULL;
	int64_t id = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT id, status = 'diverged' FROM runs WHERE spec_hash = ? AND"
			       " seed = ? AND status IN ('finished', 'diverged') ORDER BY id LIMIT 1",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, spec->spec_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, spec->seed);
		int rc = sqlite3_step(s);
		id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : rc == SQLITE_DONE ? 0 : -1;
		if (diverged)
			*diverged = rc == SQLITE_ROW && sqlite3_column_int(s, 1);
	}
	if (id < 0)
		error("database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return id;
}

/* Whether the process holding a claim may still be training: on this host, whether it
 * exists; on another, whether a run of its is still 'running' (a dead one is marked
 * crashed when its heartbeat stops). */
static int claim_is_live(sqlite3 *db, const struct spec *spec, const char *hostname,
			 bool *live)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT c.hostname = ?3, c.pid, EXISTS (SELECT 1 FROM runs AS r"
				    " WHERE r.spec_hash = c.spec_hash AND r.seed = c.seed AND"
				    " r.hostname = c.hostname AND r.pid = c.pid AND"
				    " r.status = 'running') FROM run_claims AS c"
				    " WHERE c.spec_hash = ?1 AND c.seed = ?2",
				    -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, spec->spec_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, spec->seed);
		sqlite3_bind_text(s, 3, hostname, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	*live = false;
	if (rc == SQLITE_ROW) {
		pid_t pid = (pid_t)sqlite3_column_int64(s, 1);
		if (sqlite3_column_int(s, 0))
			*live = pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM);
		else
			*live = sqlite3_column_int(s, 2);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int sweep_claim_run(sqlite3 *db, const struct spec *spec)
{
	char hostname[256] = "";
	gethostname(hostname, sizeof hostname - 1);
	sqlite3_stmt *s = NULL;
	int result = -1;
	bool live = false;
	/* the write lock first: the check and the claim must be one step */
	if (db_exec(db, "BEGIN IMMEDIATE"))
		return -1;
	int64_t done = sweep_finished_run(db, spec, NULL);
	if (done < 0)
		goto rollback;
	if (done == 0 && claim_is_live(db, spec, hostname, &live))
		goto fail;
	if (done > 0 || live) {
		result = 0;
		goto rollback;
	}
	if (sqlite3_prepare_v2(db,
			       "INSERT OR REPLACE INTO run_claims (spec_hash, seed, hostname, pid,"
			       " claimed_at) VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(s, 1, spec->spec_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, spec->seed);
	sqlite3_bind_text(s, 3, hostname, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (int64_t)getpid());
	if (sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	return db_exec(db, "COMMIT") ? -1 : 1;
fail:
	error("database: cannot claim run '%s': %s", spec->name, sqlite3_errmsg(db));
	result = -1;
rollback:
	sqlite3_finalize(s);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return result;
}

int sweep_release_run(sqlite3 *db, const struct spec *spec)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "DELETE FROM run_claims WHERE spec_hash = ? AND seed = ? AND pid = ?",
				    -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, spec->spec_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, spec->seed);
		sqlite3_bind_int64(s, 3, (int64_t)getpid());
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : error("database: cannot release run '%s': %s",
					     spec->name, sqlite3_errmsg(db));
}
