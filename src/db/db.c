/* Database opening, verification and schema migration.
 *
 * Order matters: the file's identity (application_id, user_version, tables) is read
 * before any statement that writes, including PRAGMA journal_mode=WAL, which rewrites
 * the header; so a foreign or newer database is refused untouched. */
#include "db/db.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/embedded.h"
#include "util/error.h"
#include "util/strbuf.h"

/* How long a writer waits for another process's transaction before giving up. Sweeps
 * run many writers; a commit takes milliseconds, so a minute means something is stuck.
 * GTRACK_BUSY_TIMEOUT (seconds) changes it, e.g. for a slow shared file system. */
#define BUSY_TIMEOUT_MS 60000
#define BUSY_TIMEOUT_MAX_S 86400.0

static int busy_timeout_ms(int *ms)
{
	const char *text = getenv("GTRACK_BUSY_TIMEOUT");
	*ms = BUSY_TIMEOUT_MS;
	if (!text || !*text)
		return 0;
	char *end;
	double seconds = strtod(text, &end);
	if (*end || !(seconds >= 0 && seconds <= BUSY_TIMEOUT_MAX_S))
		return error("GTRACK_BUSY_TIMEOUT: expected seconds from 0 to %g, got '%s'",
			     BUSY_TIMEOUT_MAX_S, text);
	*ms = (int)(seconds * 1000);
	return 0;
}

const char *db_path(const char *option)
{
	if (option && *option)
		return option;
	const char *from_environment = getenv("GTRACK_DB");
	return from_environment && *from_environment ? from_environment : "gtrack.db";
}

int db_schema_version(void)
{
	int version = 0;
	for (const struct embedded_file *f = embedded_schema; f->name; f++)
		version = atoi(f->name) > version ? atoi(f->name) : version;
	return version;
}

int db_exec(sqlite3 *db, const char *sql)
{
	char *message = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
		error("database: %s", message ? message : sqlite3_errmsg(db));
		sqlite3_free(message);
		return -1;
	}
	return 0;
}

int db_column_list(sqlite3 *db, const char *table, const char *const *skip,
		   const char *prefix, struct strbuf *out)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", -1, &s,
			       NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	bool first = true;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		bool skipped = false;
		for (int i = 0; skip && skip[i]; i++)
			skipped |= !strcmp(skip[i], name);
		if (skipped)
			continue;
		/* %w doubles the quotes inside an identifier */
		char *quoted = sqlite3_mprintf("%s%s\"%w\"", first ? "" : ", ", prefix, name);
		strbuf_puts(out, quoted);
		sqlite3_free(quoted);
		first = false;
	}
	sqlite3_finalize(s);
	return 0;
}

int db_begin_write(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_BUSY)
		return rc == SQLITE_OK ? 0 : error("database: %s", sqlite3_errmsg(db));
	/* the holder is most likely the running run whose heartbeat stopped first (a
	 * stopped process sends none); readers are not blocked, so its row can be read */
	sqlite3_stmt *holder = NULL;
	const char *path = sqlite3_db_filename(db, "main");
	if (sqlite3_prepare_v2(db, "SELECT id, pid, hostname FROM runs WHERE status = 'running'"
				   " ORDER BY heartbeat_at LIMIT 1", -1, &holder, NULL) == SQLITE_OK &&
	    sqlite3_step(holder) == SQLITE_ROW)
		error("database '%s' is locked: another gtrack process holds its write lock "
		      "(likely run %lld, pid %lld on '%s', which is still 'running'; a stopped "
		      "process keeps the lock until it resumes or ends)",
		      path, (long long)sqlite3_column_int64(holder, 0),
		      (long long)sqlite3_column_int64(holder, 1), sqlite3_column_text(holder, 2));
	else
		error("database '%s' is locked: another gtrack process holds its write lock", path);
	sqlite3_finalize(holder);
	return -1;
}

static int query_int(sqlite3 *db, const char *sql, long long *value)
{
	sqlite3_stmt *statement = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &statement, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64(statement, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(statement);
	return rc;
}

struct identity {
	long long application_id, user_version, objects;
};

/* One statement, so one snapshot: read in pieces, a database being created by another
 * process could show its tables but not yet its application id. A probe (probing) fails
 * without a message. */
static int read_identity(sqlite3 *db, const char *path, bool writing, bool probing,
			 struct identity *id)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT (SELECT application_id FROM pragma_application_id),"
				    " (SELECT user_version FROM pragma_user_version),"
				    " (SELECT count(*) FROM sqlite_schema)",
				    -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		id->application_id = sqlite3_column_int64(s, 0);
		id->user_version = sqlite3_column_int64(s, 1);
		id->objects = sqlite3_column_int64(s, 2);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK && probing) /* the caller that opens it says what is wrong */
		return -1;
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return error("'%s' is not a gtrack database (%s); it was left untouched", path,
			     sqlite3_errstr(rc));
	/* a writer opens the database read-write and creates its -shm file, so its first
	 * read fails when that place cannot be written */
	if (rc != SQLITE_OK && writing && (rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN))
		return error("cannot write '%s' (gtrack writes it and creates its -wal and -shm "
			     "files beside it): %s", path, sqlite3_errmsg(db));
	if (rc != SQLITE_OK)
		return error("cannot read '%s': %s", path, sqlite3_errmsg(db));
	return 0;
}

/* Applies every schema file newer than the database, in one transaction. The version
 * is read again inside the transaction, so two processes creating the same database at
 * once do not both apply the schema. */
static int migrate(sqlite3 *db, const char *path)
{
	long long version = 0;
	if (db_exec(db, "BEGIN IMMEDIATE"))
		return error("cannot create the schema in '%s'", path);
	if (query_int(db, "PRAGMA user_version", &version) != SQLITE_OK)
		goto fail;
	for (const struct embedded_file *f = embedded_schema; f->name; f++) {
		if (atoi(f->name) <= version)
			continue;
		if (db_exec(db, f->text))
			goto fail;
	}
	char pragmas[128];
	snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %d",
		 GT_APPLICATION_ID, db_schema_version());
	if (db_exec(db, pragmas) || db_exec(db, "COMMIT"))
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return error("cannot create the schema in '%s'", path);
}

/* Switching a new file to WAL needs an exclusive lock, and when several processes
 * create the same database at once SQLite reports SQLITE_BUSY without consulting the
 * busy handler; so retry, with a growing pause, for up to about a minute. */
static int switch_to_wal(sqlite3 *db)
{
	int pause_ms = 1;
	for (int attempt = 0;; attempt++) {
		int rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if (rc != SQLITE_BUSY || attempt == 200)
			return error("database: cannot switch to WAL mode: %s", sqlite3_errmsg(db));
		sqlite3_sleep(pause_ms);
		pause_ms = pause_ms < 500 ? pause_ms * 2 : 500;
	}
}

/* Appends path as an SQLite URI ("file:" and the path with every byte that could be
 * read as URI syntax percent-encoded), then "?" and query unless it is empty. */
static void append_uri(struct strbuf *uri, const char *path, const char *query)
{
	/* an absolute path gets an empty authority, so "//x" is never read as a host */
	strbuf_puts(uri, path[0] == '/' ? "file://" : "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if (isalnum(*c) || strchr("/._-~", *c))
			strbuf_add(uri, (const char *)c, 1);
		else
			strbuf_printf(uri, "%%%02X", *c);
	}
	if (*query)
		strbuf_printf(uri, "?%s", query);
}

/* Whether this process may write the database and create its -wal and -shm files
 * beside it. */
static bool writable_place(const char *path)
{
	char *directory = xstrdup(path);
	char *slash = strrchr(directory, '/');
	if (slash)
		slash[slash == directory] = '\0'; /* "/x.db" keeps "/" */
	bool writable = access(path, W_OK) == 0 && access(slash ? directory : ".", W_OK) == 0;
	free(directory);
	return writable;
}

#define READ_AS_IMMUTABLE                                                                  \
	"'%s' is in a place gtrack cannot write, and SQLite cannot share it with writers "   \
	"from there: reading it as it is on disk (commits still in its -wal file, if any, "  \
	"are not seen)"

/* Opens path read-only, for a reader in a place it cannot write. In WAL mode SQLite
 * needs the -shm file; when it cannot use one, the file is read as immutable, which
 * sees what was checkpointed into it but not commits still in its -wal file. */
static int open_read_only(sqlite3 **db, const char *path)
{
	struct strbuf uri;
	strbuf_init(&uri);
	append_uri(&uri, path, "mode=ro");
	int rc = sqlite3_open_v2(uri.text, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(*db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	if (rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY) {
		sqlite3_close(*db);
		*db = NULL;
		strbuf_reset(&uri);
		append_uri(&uri, path, "immutable=1");
		rc = sqlite3_open_v2(uri.text, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
		if (rc == SQLITE_OK)
			warning(READ_AS_IMMUTABLE, path);
	}
	strbuf_free(&uri);
	if (rc != SQLITE_OK && rc != SQLITE_NOTADB && rc != SQLITE_CORRUPT)
		return error("cannot open database '%s' read-only: %s", path,
			     *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
	return 0;
}

int db_open(sqlite3 **out, const char *path, enum db_mode mode)
{
	sqlite3 *db = NULL;
	struct stat info;
	bool exists = mode != DB_MEMORY && stat(path, &info) == 0;
	int timeout_ms;
	*out = NULL;
	if (busy_timeout_ms(&timeout_ms))
		return -1;

	if (!exists && mode == DB_EXISTING)
		return error("no database at '%s' (gtrack run SPEC creates it; --db or GTRACK_DB "
			     "choose another)", path);
	if (exists && S_ISDIR(info.st_mode))
		return error("'%s' is a directory, not a database", path);

	/* readers in a read-only place (a shared results directory, a read-only mount)
	 * still read; they write nothing, not even the crashed marks */
	bool read_only = mode == DB_EXISTING && !writable_place(path);
	if (read_only) {
		if (open_read_only(&db, path))
			goto fail;
	} else {
		/* opened by URI so that ATTACH takes URIs too (db_attach_read_only) */
		int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI |
			    (mode != DB_EXISTING ? SQLITE_OPEN_CREATE : 0);
		struct strbuf uri;
		strbuf_init(&uri);
		if (mode == DB_MEMORY)
			strbuf_puts(&uri, "file::memory:");
		else
			append_uri(&uri, path, "");
		int rc = sqlite3_open_v2(uri.text, &db, flags, NULL);
		strbuf_free(&uri);
		if (rc != SQLITE_OK) {
			error("cannot open database '%s': %s", path,
			      db ? sqlite3_errmsg(db) : strerror(ENOMEM));
			goto fail;
		}
	}
	sqlite3_extended_result_codes(db, 0);
	sqlite3_busy_timeout(db, timeout_ms);

	struct identity id = {0};
	if (read_identity(db, path, !read_only, false, &id))
		goto fail;
	bool empty = id.application_id == 0 && id.user_version == 0 && id.objects == 0;
	if (!empty && id.application_id != GT_APPLICATION_ID) {
		error("'%s' is not a gtrack database (application id %lld, %lld schema objects); "
		      "it was left untouched",
		      path, id.application_id, id.objects);
		goto fail;
	}
	if (id.user_version > db_schema_version()) {
		error("'%s' was written by a newer gtrack (schema version %lld; this gtrack knows "
		      "up to %d); it was left untouched",
		      path, id.user_version, db_schema_version());
		goto fail;
	}
	if (empty && mode == DB_EXISTING) {
		error("'%s' is an empty database with no runs yet", path);
		goto fail;
	}
	if (read_only) {
		if (id.user_version < db_schema_version()) {
			error("'%s' has schema version %lld and this gtrack %d: it needs migrating, "
			      "which needs write access to it and its directory (copy it somewhere "
			      "writable, or open it once where it can be written)",
			      path, id.user_version, db_schema_version());
			goto fail;
		}
		*out = db;
		return 0;
	}

	/* WAL lets readers (sqlite3, gtrack report) work while a run writes, and lets
	 * concurrent runs commit without blocking readers. */
	if (switch_to_wal(db) || db_exec(db, "PRAGMA synchronous = NORMAL") ||
	    db_exec(db, "PRAGMA foreign_keys = ON"))
		goto fail;
	if (id.user_version < db_schema_version() && migrate(db, path))
		goto fail;
	if (db_mark_crashed(db))
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}

bool db_is_empty(const char *path)
{
	struct stat info;
	if (stat(path, &info) || !S_ISREG(info.st_mode))
		return false;
	sqlite3 *db = NULL;
	struct identity id = {0};
	bool empty = open_read_only(&db, path) == 0 && db &&
		     read_identity(db, path, false, true, &id) == 0 && id.application_id == 0 &&
		     id.user_version == 0 && id.objects == 0;
	sqlite3_close(db);
	return empty;
}

/* ATTACHes path as schema with the URI query given, and reads its schema once, since
 * SQLite opens the file lazily. Returns the SQLite result code. */
static int attach_and_read(sqlite3 *db, const char *path, const char *query,
			   const char *schema)
{
	struct strbuf uri, probe;
	strbuf_init(&uri);
	strbuf_init(&probe);
	append_uri(&uri, path, query);
	strbuf_printf(&probe, "SELECT count(*) FROM \"%s\".sqlite_schema", schema);
	sqlite3_stmt *attach = NULL;
	int rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS ?2", -1, &attach, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(attach, 1, uri.text, -1, SQLITE_STATIC);
		sqlite3_bind_text(attach, 2, schema, -1, SQLITE_STATIC);
		rc = sqlite3_step(attach);
	}
	sqlite3_finalize(attach);
	if (rc == SQLITE_DONE) {
		rc = sqlite3_exec(db, probe.text, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			strbuf_reset(&probe);
			strbuf_printf(&probe, "DETACH DATABASE \"%s\"", schema);
			sqlite3_exec(db, probe.text, NULL, NULL, NULL);
		}
	}
	strbuf_free(&uri);
	strbuf_free(&probe);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int db_attach_read_only(sqlite3 *db, const char *path, const char *schema)
{
	struct stat info;
	if (stat(path, &info))
		return error("no database at '%s': %s", path, strerror(errno));
	if (S_ISDIR(info.st_mode))
		return error("'%s' is a directory, not a database", path);
	int rc = attach_and_read(db, path, "mode=ro", schema);
	/* as in open_read_only: where SQLite cannot use a -shm file, read it as it is */
	if (rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY) {
		rc = attach_and_read(db, path, "immutable=1", schema);
		if (rc == SQLITE_OK)
			warning(READ_AS_IMMUTABLE, path);
	}
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return error("'%s' is not a gtrack database (%s)", path, sqlite3_errmsg(db));
	if (rc != SQLITE_OK)
		return error("cannot open '%s': %s", path, sqlite3_errmsg(db));
	return 0;
}

int db_refresh_statistics(sqlite3 *db)
{
	/* analysis_limit samples about this many rows per index instead of reading all */
	/* BEGIN IMMEDIATE: a read transaction that upgrades to a write fails at once, without
	 * the busy handler, if another process committed in between */
	if (db_exec(db, "PRAGMA analysis_limit = 1000; BEGIN IMMEDIATE; ANALYZE"))
		return sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), -1;
	return db_exec(db, "COMMIT");
}

bool db_run_process_gone(const char *hostname, long long pid)
{
	char this_host[256] = "";
	gethostname(this_host, sizeof this_host - 1);
	return hostname && !strcmp(hostname, this_host) && pid > 0 && kill((pid_t)pid, 0) &&
	       errno == ESRCH;
}

int db_mark_crashed(sqlite3 *db)
{
	sqlite3_stmt *running = NULL, *mark = NULL;
	long long dead[64];
	bool gone[64];
	int dead_count = 0, result = -1;

	/* find them first, without a write lock: usually there are none */
	if (sqlite3_prepare_v2(db, "SELECT id, pid, hostname, heartbeat_at < strftime("
				   "'%Y-%m-%dT%H:%M:%fZ', 'now', ?1) FROM runs WHERE status ="
				   " 'running' LIMIT 1000", -1, &running, NULL) != SQLITE_OK)
		goto done;
	char stale[32];
	snprintf(stale, sizeof stale, "-%d seconds", DB_STALE_HEARTBEAT_S);
	sqlite3_bind_text(running, 1, stale, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(running)) == SQLITE_ROW && dead_count < 64) {
		bool process_gone =
			db_run_process_gone((const char *)sqlite3_column_text(running, 2),
					    sqlite3_column_int64(running, 1));
		if (!process_gone && !sqlite3_column_int(running, 3))
			continue;
		gone[dead_count] = process_gone;
		dead[dead_count++] = sqlite3_column_int64(running, 0);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto done;
	sqlite3_finalize(running);
	running = NULL;
	if (!dead_count)
		return 0;

	/* Marking is a courtesy: whoever opens the database next does it too. So it never
	 * waits for the write lock (a writer stopped with Ctrl-Z can hold it for hours, and
	 * readers must not wait on writers); runs left unmarked read as crashed anyway
	 * (DB_STATUS_SQL). */
	int timeout_ms;
	busy_timeout_ms(&timeout_ms); /* db_open checked it: cannot fail here */
	sqlite3_busy_timeout(db, 0);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(db, timeout_ms);
	if (rc != SQLITE_OK)
		goto skipped;
	if (sqlite3_prepare_v2(db, "UPDATE runs SET status = 'crashed', message = ?2 ||"
				   " ' (last heartbeat ' || coalesce(heartbeat_at, 'never') || ')'"
				   " WHERE id = ?1 AND status = 'running'", -1, &mark, NULL) != SQLITE_OK)
		goto skipped;
	for (int i = 0; i < dead_count; i++) {
		sqlite3_bind_int64(mark, 1, dead[i]);
		sqlite3_bind_text(mark, 2, gone[i] ? DB_CRASHED_PROCESS_GONE : DB_CRASHED_NO_HEARTBEAT,
				  -1, SQLITE_STATIC);
		if (sqlite3_step(mark) != SQLITE_DONE)
			goto skipped;
		sqlite3_reset(mark);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
		result = 0;
		goto done;
	}
skipped:
	/* a write that fails (the disk is full, the lock is taken) leaves the runs unmarked,
	 * which costs nothing: readers go on reading. SQLite may have rolled back already,
	 * and a ROLLBACK without a transaction would only add a second, misleading error */
	if (rc != SQLITE_BUSY)
		warning("database: crashed runs are left unmarked: %s", sqlite3_errmsg(db));
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	result = 0;
done:
	if (result)
		error("database: cannot check for crashed runs: %s", sqlite3_errmsg(db));
	sqlite3_finalize(running);
	sqlite3_finalize(mark);
	return result;
}

long long db_find_run(sqlite3 *db, const char *key)
{
	sqlite3_stmt *statement = NULL;
	long long id = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT id FROM runs WHERE CAST(id AS TEXT) = ?1 OR name = ?1"
			       " ORDER BY CAST(id AS TEXT) = ?1 DESC, id DESC LIMIT 1",
			       -1, &statement, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(statement, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(statement, 0);
	else if (rc == SQLITE_DONE)
		id = 0;
	else
		error("database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(statement);
	return id;
}

void db_close(sqlite3 *db)
{
	sqlite3_close(db);
}
