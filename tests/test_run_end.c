/* How a run ends when it does not finish: its progress (steps_done, the last loss) is
 * stored at every commit, so a running, killed or crashed run shows how far it got;
 * SIGINT, SIGTERM and SIGHUP end it as 'killed' naming the signal; a database that
 * fills up ends it as 'failed' with what happened and the steps that are stored, and
 * the error is printed once. */
#include "support/test_support.h"

#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/dataset.h"
#include "db/db.h"
#include "spec/spec.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/file.h"

static const char long_spec[] = "name: long\n"
				"data: {kind: blobs, samples: 256, features: 8, classes: 3}\n"
				"model: {depth: 6, width: 32}\n"
				"train: {steps: 100000000, batch_size: 16}\n";

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

/* A running run's row says how far it got, before it ends. */
static void progress_is_stored_while_the_run_trains(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "long.yaml", long_spec));
	long long logged;
	pid_t pid = start_long_run(dir, "long.yaml", "p.db", 200, &logged);
	char path[2048];
	snprintf(path, sizeof path, "%s/p.db", dir);
	sqlite3 *db = open_db(path);
	/* read in one transaction: steps_done is committed with the rows it counts */
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	long long done = query_int(db, "SELECT steps_done FROM runs");
	long long stored = query_int(db, "SELECT count(*) FROM steps");
	double loss = query_double(db, "SELECT final_loss FROM runs");
	char *status = query_text(db, "SELECT status FROM runs");
	sqlite3_close(db);
	/* a running run holds disk space in reserve for its outcome (see the full disk) */
	snprintf(path, sizeof path, "%s/p.db-ballast", dir);
	struct stat ballast;
	bool reserved = stat(path, &ballast) == 0 && ballast.st_blocks * 512 >= 256 * 1024;
	/* the run ends before anything is asserted, so a failure leaves no process behind */
	kill(pid, SIGKILL);
	int wait_status;
	waitpid(pid, &wait_status, 0);
	assert_true(done >= 200);
	assert_int_equal(done, stored);
	assert_false(isnan(loss));
	assert_string_equal(status, "running");
	free(status);
	assert_true(reserved);

	/* a run that dies without a word (SIGKILL) keeps that progress */
	snprintf(path, sizeof path, "%s/p.db", dir);
	db = open_db(path);
	assert_int_equal(query_int(db, "SELECT steps_done FROM runs"),
			 query_int(db, "SELECT count(*) FROM steps"));
	sqlite3_close(db);
}

/* Each of SIGINT, SIGTERM and SIGHUP ends the run as 'killed', keeps every logged step
 * in steps_done and names the signal. */
static void signals_end_the_run_as_killed(void **state)
{
	(void)state;
	static const struct {
		int number;
		const char *name;
	} signals[] = {{SIGINT, "SIGINT"}, {SIGTERM, "SIGTERM"}, {SIGHUP, "SIGHUP"}};
	for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) {
		const char *dir = test_temp_dir();
		free(test_write_file(dir, "long.yaml", long_spec));
		long long logged;
		pid_t pid = start_long_run(dir, "long.yaml", "k.db", 50, &logged);
		kill(pid, signals[i].number);
		int wait_status;
		assert_int_equal(waitpid(pid, &wait_status, 0), pid);
		assert_true(WIFEXITED(wait_status));
		assert_int_equal(WEXITSTATUS(wait_status), 130);
		char path[2048];
		snprintf(path, sizeof path, "%s/k.db", dir);
		sqlite3 *db = open_db(path);
		char *row = query_text(db, "SELECT status || ': ' || message FROM runs");
		char expected[128];
		snprintf(expected, sizeof expected, " by %s", signals[i].name);
		assert_contains(row, "killed: interrupted before step ");
		assert_contains(row, expected);
		free(row);
		assert_int_equal(query_int(db, "SELECT steps_done FROM runs"),
				 query_int(db, "SELECT count(*) FROM steps"));
		assert_true(query_int(db, "SELECT steps_done FROM runs") >= 50);
		sqlite3_close(db);
		snprintf(path, sizeof path, "%s/k.db-ballast", dir);
		assert_false(file_exists(path));
	}
}

/* Trains long_spec into a new database at db_path that can grow by extra_pages only
 * (PRAGMA max_page_count, as a full disk), in a child whose stderr goes to err_path, so
 * the test can count the lines. Returns the child's stderr; the child exits 0 when the
 * run ended as 'failed' with its outcome recorded. */
static char *train_until_full(const char *db_path, const char *err_path, long long extra_pages)
{
	struct spec spec;
	assert_int_equal(spec_load_text(&spec, long_spec, "long.yaml", NULL, 0), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		close(fd);
		error_set_quiet(false);
		sqlite3 *db = NULL;
		if (db_open(&db, db_path, DB_CREATE))
			_exit(10);
		long long pages = query_int(db, "PRAGMA page_count");
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA max_page_count = %lld", pages + extra_pages);
		if (db_exec(db, pragma))
			_exit(11);
		struct run_result result;
		int status = trainer_run(db, &spec, false, &result);
		run_result_print(stdout, &spec, &result);
		db_close(db);
		_exit(status == 0 && result.outcome == RUN_FAILED ? 0 : 12);
	}
	int wait_status;
	assert_int_equal(waitpid(pid, &wait_status, 0), pid);
	spec_free(&spec);
	char *err = file_read_text(err_path, "stderr", 1 << 20, NULL);
	assert_non_null(err);
	if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0)
		fail_msg("the child ended with %d; its stderr: %s", wait_status, err);
	return err;
}

/* A database that cannot grow ends the run as 'failed' saying so, with the stored
 * steps counted; the error is printed once. */
static void a_full_database_fails_the_run_with_its_steps_counted(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char db_path[2048], err_path[2048];
	snprintf(db_path, sizeof db_path, "%s/full.db", dir);
	snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
	/* room for the schema and a few thousand logged steps (several commits), then
	 * no more */
	char *err = train_until_full(db_path, err_path, 2000);
	/* one error line, and it says what happened */
	assert_contains(err, "the disk is full (database or disk is full)");
	assert_null(strstr(err, "no transaction is active"));
	assert_null(strchr(err, '\n') ? strchr(strchr(err, '\n') + 1, '\n') : NULL);
	free(err);

	sqlite3 *db = open_db(db_path);
	char *row = query_text(db, "SELECT status || ': ' || message FROM runs");
	assert_contains(row, "failed: database: ");
	assert_contains(row, "database or disk is full");
	assert_contains(row, " steps are stored");
	free(row);
	long long stored = query_int(db, "SELECT count(*) FROM steps");
	assert_true(stored > 0);
	assert_int_equal(query_int(db, "SELECT steps_done FROM runs"), stored);
	/* the final loss is that of the last stored step */
	assert_true(query_int(db, "SELECT final_loss = (SELECT loss FROM steps ORDER BY step"
				  " DESC LIMIT 1) FROM runs"));
	sqlite3_close(db);
	/* the reserve that kept room for the outcome is gone with the run */
	snprintf(db_path, sizeof db_path, "%s/full.db-ballast", dir);
	assert_false(file_exists(db_path));
}

/* A database full before its first commit stores no step, and no final loss: the
 * loss of a step that is not stored is not reported. */
static void a_database_full_from_the_start_reports_no_loss(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char db_path[2048], err_path[2048];
	snprintf(db_path, sizeof db_path, "%s/full.db", dir);
	snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
	char *err = train_until_full(db_path, err_path, 0);
	assert_contains(err, "the run's first 0 steps are stored");
	free(err);
	sqlite3 *db = open_db(db_path);
	char *row = query_text(db, "SELECT status || ' ' || steps_done || ' ' ||"
				   " coalesce(final_loss, 'none') FROM runs");
	assert_string_equal(row, "failed 0 none");
	free(row);
	sqlite3_close(db);
}

/* A run that cannot start (its data file is missing) failed: not 'finished' with 0
 * steps, as a sweep used to print it. */
static void a_run_that_cannot_start_failed(void **state)
{
	(void)state;
	struct spec spec;
	assert_int_equal(spec_load_text(&spec, "data: {kind: csv, path: /nonexistent/d.csv}\n",
					"missing.yaml", NULL, 0),
			 0);
	struct run_result result;
	assert_int_equal(trainer_run(NULL, &spec, false, &result), -1);
	assert_int_equal(result.outcome, RUN_FAILED);
	assert_int_equal(result.steps_done, 0);
	assert_true(isnan(result.first_loss) && isnan(result.final_ratio));
	assert_string_equal(result.message, "missing.yaml:1:25: data.path: cannot open data file "
					    "'/nonexistent/d.csv': No such file or directory");
	spec_free(&spec);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(progress_is_stored_while_the_run_trains),
		cmocka_unit_test(signals_end_the_run_as_killed),
		cmocka_unit_test(a_full_database_fails_the_run_with_its_steps_counted),
		cmocka_unit_test(a_database_full_from_the_start_reports_no_loss),
		cmocka_unit_test(a_run_that_cannot_start_failed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
