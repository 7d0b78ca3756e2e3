/* The database: schema creation and version, refusal of foreign, corrupt and newer
 * databases with the file left byte-for-byte untouched, and the run store's rows. */
#include "support/test_support.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "db/run_store.h"
#include "spec/spec.h"
#include "util/embedded.h"
#include "util/error.h"

static char *path_in(const char *dir, const char *name)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(path, "%s/%s", dir, name);
	return path;
}

static void new_database_gets_the_schema(void **state)
{
	(void)state;
	char *path = path_in(test_temp_dir(), "new.db");
	sqlite3 *db;
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	assert_int_equal(query_int(db, "PRAGMA user_version"), db_schema_version());
	assert_int_equal(query_int(db, "PRAGMA application_id"), GT_APPLICATION_ID);
	char *mode = query_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	/* the public contract's tables and columns */
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name"
				       " IN ('id', 'name', 'status', 'spec', 'spec_hash', 'seed',"
				       " 'started_at', 'finished_at', 'activation', 'depth', 'width',"
				       " 'init', 'residual', 'optimizer', 'lr', 'batch_size', 'steps',"
				       " 'dataset', 'dtype')"),
			 19);
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('layers') WHERE"
				       " name IN ('run_id', 'layer', 'kind', 'fan_in', 'fan_out',"
				       " 'activation')"),
			 6);
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('layer_stats')"
				       " WHERE name IN ('run_id', 'step', 'layer', 'weight_grad_norm',"
				       " 'bias_grad_norm', 'delta_norm', 'weight_norm')"),
			 7);
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('steps') WHERE"
				       " name IN ('run_id', 'step', 'loss', 'grad_norm', 'lr',"
				       " 'accuracy', 'elapsed_s')"),
			 7);
	db_close(db);

	/* opening again leaves the schema as it is */
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	char *tables = query_text(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM"
				      " sqlite_schema WHERE type = 'table' ORDER BY name)");
	assert_string_equal(tables, "block_stats checkpoints evals layer_stats layers predictions run_claims runs steps sweeps");
	free(tables);
	db_close(db);
	free(path);
}

/* Opens path and expects a refusal naming `expected`, with the file unchanged and no
 * WAL file created beside it. */
static void assert_refused_untouched(const char *path, enum db_mode mode, const char *expected)
{
	uint64_t before = file_fingerprint(path);
	sqlite3 *db = NULL;
	error_clear();
	assert_int_equal(db_open(&db, path, mode), -1);
	assert_null(db);
	if (!strstr(error_last(), expected))
		fail_msg("error \"%s\" does not contain \"%s\"", error_last(), expected);
	assert_true(file_fingerprint(path) == before);
	char wal[1024];
	snprintf(wal, sizeof wal, "%s-wal", path);
	assert_false(file_exists(wal));
}

static void foreign_databases_are_refused_untouched(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char *path = path_in(dir, "other.db");
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "CREATE TABLE invoices (id INTEGER, total REAL);"
					     "INSERT INTO invoices VALUES (1, 9.5)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	char expected[1200];
	snprintf(expected, sizeof expected,
		 "'%s' is not a gtrack database (application id 0, 1 schema objects); it was left "
		 "untouched",
		 path);
	assert_refused_untouched(path, DB_CREATE, expected);
	assert_refused_untouched(path, DB_EXISTING, expected);
	free(path);

	char *text = test_write_file(dir, "notes.db", "these are my notes, not a database\n");
	assert_refused_untouched(text, DB_CREATE, "is not a gtrack database (file is not a database)");
	free(text);
}

static void newer_schema_is_refused_untouched(void **state)
{
	(void)state;
	char *path = path_in(test_temp_dir(), "future.db");
	sqlite3 *db;
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	db_close(db);
	char expected[1200];
	snprintf(expected, sizeof expected,
		 "'%s' was written by a newer gtrack (schema version 99; this gtrack knows up to "
		 "%d); it was left untouched",
		 path, db_schema_version());
	assert_refused_untouched(path, DB_CREATE, expected);
	free(path);
}

/* A database of schema version 1 (what gtrack 0.1's first release wrote) is migrated
 * forward on open, its runs kept. */
static void older_schema_is_migrated_forward(void **state)
{
	(void)state;
	char *path = path_in(test_temp_dir(), "old.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_string_equal(embedded_schema[0].name, "001_initial.sql");
	char version_1[256];
	snprintf(version_1, sizeof version_1, "PRAGMA application_id = %d; PRAGMA user_version = 1",
		 GT_APPLICATION_ID);
	assert_int_equal(sqlite3_exec(db, embedded_schema[0].text, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, version_1, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO runs (name, status, spec, resolved_spec, spec_hash,"
				      " seed, started_at, activation, depth, width, init, init_gain,"
				      " init_bias, residual, optimizer, lr, momentum, batch_size, steps,"
				      " loss_fn, dataset, samples, features, outputs, dtype, log_every,"
				      " gtrack_version) VALUES ('old', 'finished', '{}', '{}', 'h', 1,"
				      " 'then', 'relu', 2, 4, 'he_normal', 1, 0, 0, 'sgd', 0.1, 0, 8, 3,"
				      " 'mse', 'blobs', 8, 2, 2, 'float32', 1, '0.1.0')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(db_open(&db, path, DB_EXISTING), 0);
	assert_int_equal(query_int(db, "PRAGMA user_version"), db_schema_version());
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE name = 'old' AND"
				       " length(uuid) = 32 AND sweep_id IS NULL"),
			 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sweeps"), 0);
	db_close(db);
	free(path);
}

static void missing_database_is_not_created_by_readers(void **state)
{
	(void)state;
	char *path = path_in(test_temp_dir(), "absent.db");
	sqlite3 *db;
	error_clear();
	assert_int_equal(db_open(&db, path, DB_EXISTING), -1);
	assert_non_null(strstr(error_last(), "no database at"));
	assert_false(file_exists(path));
	free(path);
}

static void run_store_writes_rows_and_keeps_tiny_norms(void **state)
{
	(void)state;
	char *path = path_in(test_temp_dir(), "store.db");
	sqlite3 *db;
	struct spec spec;
	const char *overrides[] = {"model.depth=2", "model.width=3", "train.steps=3"};
	assert_int_equal(spec_load_text(&spec, "name: store\n", "store.yaml", overrides, 3), 0);
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);

	int64_t run_id = 0;
	struct run_environment environment = {.threads = 1};
	struct run_store *store = run_store_begin(db, &spec, &environment, &run_id);
	assert_non_null(store);
	assert_int_equal(run_id, 1);
	/* visible as running before any step is logged */
	char *status = query_text(db, "SELECT status FROM runs WHERE id = 1");
	assert_string_equal(status, "running");
	free(status);

	struct layer_stats layers[3] = {
		{.weight_grad_norm = 1e-30, .bias_grad_norm = 2e-31, .delta_norm = 3e-32,
		 .weight_norm = 1.5, .weight_grad_norm_clipped = NAN, .bias_grad_norm_clipped = NAN,
		 .dead_fraction = 0.25, .saturated_fraction = NAN, .zero_grad_fraction = 0,
		 .update_ratio = 1e-3},
		{.weight_grad_norm = 1e-3, .bias_grad_norm = 2e-3, .delta_norm = 3e-3,
		 .weight_norm = 1.0, .weight_grad_norm_clipped = NAN, .bias_grad_norm_clipped = NAN,
		 .dead_fraction = 0, .saturated_fraction = NAN, .zero_grad_fraction = 0.5,
		 .update_ratio = 2e-3},
		{.weight_grad_norm = NAN, .bias_grad_norm = INFINITY, .delta_norm = 0.5,
		 .weight_norm = 2.0, .weight_grad_norm_clipped = NAN, .bias_grad_norm_clipped = NAN,
		 .dead_fraction = NAN, .saturated_fraction = NAN, .zero_grad_fraction = NAN,
		 .update_ratio = NAN}};
	struct step_stats step = {.loss = 1.25, .accuracy = NAN};
	for (int s = 0; s < 3; s++)
		assert_int_equal(run_store_log(store, s, &step, 0.75, NAN, 0.1, 0.01 * s, layers), 0);
	assert_int_equal(run_store_finish(store, "finished", NULL, 3, 1.25, 0.5), 0);
	run_store_free(store);

	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE run_id = 1"), 9);
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps WHERE run_id = 1"), 3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layers WHERE run_id = 1 AND kind ="
				       " 'output' AND layer = 2 AND fan_in = 3"),
			 1);
	assert_true(query_double(db, "SELECT weight_grad_norm FROM layer_stats WHERE step = 2"
				     " AND layer = 0") == 1e-30);
	assert_true(query_double(db, "SELECT dead_fraction + update_ratio FROM layer_stats WHERE"
				     " step = 2 AND layer = 0") == 0.25 + 1e-3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE"
				       " weight_grad_norm_clipped IS NULL AND saturated_fraction IS NULL"),
			 9);
	assert_int_equal(query_int(db, "SELECT weight_grad_norm IS NULL FROM layer_stats WHERE"
				       " step = 0 AND layer = 2"),
			 1); /* NaN is stored as NULL */
	assert_true(isinf(query_double(db, "SELECT bias_grad_norm FROM layer_stats WHERE step = 0"
					   " AND layer = 2")));
	assert_int_equal(query_int(db, "SELECT accuracy IS NULL FROM steps WHERE step = 1"), 1);
	char *row = query_text(db, "SELECT status || ' ' || depth || ' ' || width || ' ' ||"
				   " activation || ' ' || steps_done || ' ' || spec_hash FROM runs");
	char expected[128];
	snprintf(expected, sizeof expected, "finished 2 3 relu 3 %s", spec.spec_hash);
	assert_string_equal(row, expected);
	free(row);
	assert_true(query_double(db, "SELECT delta_ratio FROM grad_ratio WHERE step = 1") ==
		    3e-32 / 0.5);
	assert_int_equal(query_int(db, "SELECT weight_grad_ratio IS NULL FROM grad_ratio WHERE"
				       " step = 1"),
			 1);

	db_close(db);
	spec_free(&spec);
	free(path);
}

/* The details of EXPLAIN QUERY PLAN's rows, joined (caller frees). */
static char *query_plan(sqlite3 *db, const char *sql)
{
	char explain[1024];
	snprintf(explain, sizeof explain, "EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *statement;
	assert_int_equal(sqlite3_prepare_v2(db, explain, -1, &statement, NULL), SQLITE_OK);
	char *plan = calloc(1, 4096);
	while (sqlite3_step(statement) == SQLITE_ROW)
		strncat(plan, (const char *)sqlite3_column_text(statement, 3), 4000 - strlen(plan));
	sqlite3_finalize(statement);
	return plan;
}

static void per_layer_series_use_the_layer_index(void **state)
{
	(void)state;
	enum { LAYERS = 21, STEPS = 50 };
	char *path = path_in(test_temp_dir(), "plan.db");
	sqlite3 *db;
	struct spec spec;
	const char *overrides[] = {"model.depth=20"};
	assert_int_equal(spec_load_text(&spec, "name: plan\n", "plan.yaml", overrides, 1), 0);
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	int64_t run_id;
	struct run_environment environment = {.threads = 1};
	struct run_store *store = run_store_begin(db, &spec, &environment, &run_id);
	assert_non_null(store);
	struct layer_stats layers[LAYERS];
	for (int l = 0; l < LAYERS; l++)
		layers[l] = (struct layer_stats){.weight_grad_norm = 1.0 / (l + 1), .bias_grad_norm = 1,
						 .delta_norm = 1, .weight_norm = 1};
	struct step_stats step = {.loss = 1, .accuracy = 0.5};
	for (int s = 0; s < STEPS; s++)
		assert_int_equal(run_store_log(store, s, &step, 1, NAN, 0.1, 0, layers), 0);
	assert_int_equal(run_store_finish(store, "finished", NULL, STEPS, 1, 1), 0);
	run_store_free(store);

	/* with statistics, "this run, this layer, all steps" uses the index, not a scan of
	 * the run, and "this run, this step, all layers" the primary key */
	assert_int_equal(db_refresh_statistics(db), 0);
	char *plan = query_plan(db, "SELECT weight_grad_norm FROM layer_stats"
				    " WHERE run_id = 1 AND layer = 3 ORDER BY step");
	assert_non_null(strstr(plan, "USING INDEX layer_stats_by_layer (run_id=? AND layer=?)"));
	free(plan);
	plan = query_plan(db, "SELECT weight_grad_norm FROM layer_stats"
			      " WHERE run_id = 1 AND step = 1");
	assert_non_null(strstr(plan, "USING PRIMARY KEY (run_id=? AND step=?)"));
	free(plan);
	db_close(db);
	spec_free(&spec);
	free(path);
}

/* A pid no process has: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

/* Writes a tiny spec, r.yaml, to dir and runs gtrack there with argv. */
static void tiny_runs(const char *dir, const char *const *argv)
{
	free(test_write_file(dir, "r.yaml", "data: {kind: blobs, samples: 64, features: 4}\n"
					    "model: {depth: 1, width: 4}\ntrain: {steps: 2}\n"));
	struct command_result r;
	run_gtrack(&r, dir, NULL, argv);
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
}

/* Every dead run found by one check is marked, each with its own reason; live ones and
 * runs on other hosts with a fresh heartbeat are left running. */
static void several_dead_runs_are_marked_crashed_at_once(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	tiny_runs(dir, (const char *const[]){"run", "r.yaml", "r.yaml", "r.yaml", "r.yaml", "r.yaml",
					     "r.yaml", "--db", "d.db", NULL});
	struct command_result r;

	char hostname[256] = "", sql[1024];
	gethostname(hostname, sizeof hostname - 1);
	char *path = path_in(dir, "d.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql,
		 "UPDATE runs SET status = 'running', hostname = '%s', heartbeat_at ="
		 " strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ'), pid = CASE id WHEN 5 THEN %d ELSE %d END"
		 " WHERE id IN (1, 2, 3, 5);"
		 "UPDATE runs SET status = 'running', hostname = 'elsewhere', heartbeat_at ="
		 " '2020-01-01T00:00:00Z' WHERE id = 4;"
		 "UPDATE runs SET status = 'running', hostname = 'elsewhere', heartbeat_at ="
		 " strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ') WHERE id = 6",
		 hostname, (int)getpid(), (int)dead_pid());
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	run_gtrack(&r, dir, NULL, (const char *const[]){"ls", "--db", "d.db", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *statuses = query_text(db, "SELECT group_concat(status, ' ') FROM (SELECT status"
					" FROM runs ORDER BY id)");
	assert_string_equal(statuses, "crashed crashed crashed crashed running running");
	free(statuses);
	/* each message ends with the run's own last heartbeat */
	char *messages = query_text(db, "SELECT group_concat(message, '|') FROM (SELECT"
					" replace(message, heartbeat_at, 'T') AS message FROM runs"
					" WHERE status = 'crashed' ORDER BY id)");
	assert_string_equal(messages, "its process is gone (last heartbeat T)|its process is gone"
				      " (last heartbeat T)|its process is gone (last heartbeat T)|no"
				      " heartbeat for a minute (last heartbeat T)");
	free(messages);
	sqlite3_close(db);
	free(path);
}

/* Marking crashed runs is best effort: a reader whose write fails (here the file size
 * limit, which fails writes as a full disk does) still reads, with one warning and
 * no "cannot rollback" error; the runs stay unmarked. */
static void readers_read_when_crashed_runs_cannot_be_marked(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	tiny_runs(dir, (const char *const[]){"run", "r.yaml", "--db", "d.db", NULL});
	struct command_result r;
	char *path = path_in(dir, "d.db");
	sqlite3 *db;
	/* kept open, so the -shm file exists at full size and only the -wal must grow */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE runs SET status = 'running', heartbeat_at ="
					  " '2020-01-01T00:00:00Z'; PRAGMA wal_checkpoint(TRUNCATE)",
				      NULL, NULL, NULL),
			 SQLITE_OK);

	struct rlimit unlimited, small = {.rlim_cur = 4096};
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &unlimited), 0);
	small.rlim_max = unlimited.rlim_max;
	void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	run_gtrack(&r, dir, NULL, (const char *const[]){"ls", "--db", "d.db", NULL});
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &unlimited), 0);
	signal(SIGXFSZ, previous);

	assert_int_equal(r.exit_code, 0);
	/* unmarked, it still reads as crashed */
	assert_contains(r.out, "crashed");
	assert_contains(r.err, "gtrack: warning: database: crashed runs are left unmarked: ");
	assert_lacks(r.err, "no transaction is active");
	assert_lacks(r.err, "cannot check");
	command_result_free(&r);
	char *status = query_text(db, "SELECT status FROM runs");
	assert_string_equal(status, "running");
	free(status);
	sqlite3_close(db);
	free(path);
}

/* A writer (gtrack run) in a directory it cannot write says it cannot write the
 * database there, not that it "cannot read" it. The
 * check runs in a child, as nobody when the tests run as root (who writes anywhere). */
static void writers_in_a_read_only_place_say_they_cannot_write(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	tiny_runs(dir, (const char *const[]){"run", "r.yaml", "--db", "d.db", NULL});
	assert_int_equal(chmod(dir, 0555), 0);
	char *path = path_in(dir, "d.db");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(10);
		sqlite3 *db = NULL;
		if (db_open(&db, path, DB_CREATE) == 0)
			_exit(11);
		char expected[4200];
		snprintf(expected, sizeof expected, "cannot write '%s' (gtrack writes it and"
			 " creates its -wal and -shm files beside it): ", path);
		if (strncmp(error_last(), expected, strlen(expected)) != 0) {
			fprintf(stderr, "unexpected error: %s\n", error_last());
			_exit(12);
		}
		_exit(0);
	}
	int wait_status;
	assert_int_equal(waitpid(pid, &wait_status, 0), pid);
	assert_true(WIFEXITED(wait_status));
	assert_int_equal(WEXITSTATUS(wait_status), 0);
	free(path);
	assert_int_equal(chmod(dir, 0700), 0);
}

/* A database a run left before creating its schema (an empty file) lists no runs:
 * the header only, exit 0, and nothing written to it. */
static void ls_on_an_empty_database_lists_no_runs(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "e.db", ""));
	struct command_result r;
	run_gtrack(&r, dir, NULL, (const char *const[]){"ls", "--db", "e.db", NULL});
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.out, "  id  name                 seed status    activation depth width"
				   " residual           init               final loss         steps"
				   "  started (UTC)\n");
	assert_string_equal(r.err, "");
	command_result_free(&r);
	char *path = path_in(dir, "e.db");
	struct stat info;
	assert_int_equal(stat(path, &info), 0);
	assert_int_equal(info.st_size, 0);
	free(path);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_database_gets_the_schema),
		cmocka_unit_test(foreign_databases_are_refused_untouched),
		cmocka_unit_test(newer_schema_is_refused_untouched),
		cmocka_unit_test(older_schema_is_migrated_forward),
		cmocka_unit_test(missing_database_is_not_created_by_readers),
		cmocka_unit_test(run_store_writes_rows_and_keeps_tiny_norms),
		cmocka_unit_test(per_layer_series_use_the_layer_index),
		cmocka_unit_test(several_dead_runs_are_marked_crashed_at_once),
		cmocka_unit_test(readers_read_when_crashed_runs_cannot_be_marked),
		cmocka_unit_test(writers_in_a_read_only_place_say_they_cannot_write),
		cmocka_unit_test(ls_on_an_empty_database_lists_no_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
