/* Opening a gtrack database: checks that the file is gtrack's and not from a newer
 * version before anything is written, then creates or migrates the schema (compiled into
 * the binary from schema/ SQL files) and sets WAL mode. */
#ifndef GT_DB_H
#define GT_DB_H

#include <sqlite3.h>

struct strbuf;
#include <stdbool.h>

/* PRAGMA application_id of every gtrack database: "gtrk" in ASCII. */
#define GT_APPLICATION_ID 0x6774726b

enum db_mode {
	DB_CREATE,   /* create the file if absent (run) */
	DB_EXISTING, /* the file must exist (ls, show, report); only read, so where it
		      * cannot be written it is opened read-only */
	DB_MEMORY,   /* a private in-memory database, gone when closed; path only names it
		      * in messages (gtrack check measures into one unless --db) */
};

/* The database path: `option` if given, else $GTRACK_DB, else ./gtrack.db. */
const char *db_path(const char *option);

/* Opens the database at path. On error returns -1 with a message naming the file;
 * a file that is not gtrack's, or is from a newer schema, is left byte-for-byte as it
 * was. The caller closes *db with db_close. */
int db_open(sqlite3 **db, const char *path, enum db_mode mode);
/* Whether path is an SQLite database with nothing in it (no schema, no ids), as a run
 * that was stopped before it created the schema leaves: a reader shows it as no runs.
 * False when it is anything else or cannot be read; writes nothing. */
bool db_is_empty(const char *path);
void db_close(sqlite3 *db);

/* Attaches the existing database at path to db as `schema`, read-only: a missing path
 * is an error, never a new empty file. Returns -1 with a message. */
int db_attach_read_only(sqlite3 *db, const char *path, const char *schema);

/* Refreshes the query planner's statistics (a bounded ANALYZE, milliseconds even on
 * large databases), so that per-layer series use layer_stats_by_layer rather than
 * scanning the run. Called after writing runs. */
int db_refresh_statistics(sqlite3 *db);

/* A run whose process died (killed -9, a reboot) stays 'running' in the database. This
 * marks such runs 'crashed': those whose heartbeat is older than DB_STALE_HEARTBEAT_S,
 * and, at once, those started on this host by a process that no longer exists. Called
 * by db_open, so every command shows them as crashed. It never waits for the write lock:
 * when another process holds it, nothing is marked and 0 is returned. */
int db_mark_crashed(sqlite3 *db);

#define DB_STALE_HEARTBEAT_S 60

/* Whether a 'running' run started by process pid on host hostname is certainly dead: it
 * ran on this host and no such process exists. A process of another user, or on another
 * host, is not known to be gone (its heartbeat tells). */
bool db_run_process_gone(const char *hostname, long long pid);
/* Why a run left 'running' is taken for crashed, the start of the message that
 * db_mark_crashed stores (" (last heartbeat ...)" follows). */
#define DB_CRASHED_PROCESS_GONE "its process is gone"
#define DB_CRASHED_NO_HEARTBEAT "no heartbeat for a minute"
#define DB_STRINGIFY(x) #x
#define DB_STRING(x) DB_STRINGIFY(x)

/* An SQL expression for runs.status as readers should show it: a 'running' run whose
 * heartbeat is older than DB_STALE_HEARTBEAT_S reads 'crashed' even when db_mark_crashed
 * could not write that (another process held the write lock, or the database is
 * read-only here). */
#define DB_STATUS_SQL                                                                      \
	"(CASE WHEN status = 'running' AND heartbeat_at < strftime('%Y-%m-%dT%H:%M:%fZ',"  \
	" 'now', '-" DB_STRING(DB_STALE_HEARTBEAT_S) " seconds') THEN 'crashed'"            \
	" ELSE status END)"

/* The run that key names: an id, or a name (the most recent run of that name). Returns
 * its id, 0 when there is none, or -1 with a message. */
long long db_find_run(sqlite3 *db, const char *key);

/* The newest schema version this build knows. */
int db_schema_version(void);

/* Runs sql, reporting failures with the SQLite message. */
int db_exec(sqlite3 *db, const char *sql);
/* Appends the columns of table (in the main database), but the `skip` ones (a NULL-ended
 * list), as quoted identifiers with an optional prefix on each ("r.\"a\", r.\"b\""): the
 * columns added later come along, and names from a database from elsewhere stay names. */
int db_column_list(sqlite3 *db, const char *table, const char *const *skip,
		   const char *prefix, struct strbuf *out);
/* BEGIN IMMEDIATE, waiting for the write lock as long as the busy timeout; when another
 * process keeps it, the message names the database and the likely holder. */
int db_begin_write(sqlite3 *db);

#endif
