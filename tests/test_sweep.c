/* Sweeps: expansion and its errors, many processes writing one database, resuming,
 * crashed runs, shard merging, and the files --emit writes. */
#include "support/test_support.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep/sweep.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strbuf.h"

static const char base_spec[] =
	"name: base\n"
	"data: {kind: blobs, samples: 256, features: 6, classes: 3}\n"
	"model: {depth: 3, width: 8, activation: tanh}\n"
	"train: {steps: 12, batch_size: 16}\n";

static sqlite3 *open_db(const char *dir, const char *name)
{
	char path[1024];
	sqlite3 *db;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

static void grid_expands_in_order_with_names_and_overrides(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	char *path = test_write_file(dir, "grid.yaml",
				     "base: base.yaml\n"
				     "grid:\n"
				     "  model.activation: [sigmoid, relu]\n"
				     "  model.residual: [false, {alpha: 0.5}]\n"
				     "  seed: [1, 2, 3]\n");
	struct sweep sweep;
	assert_int_equal(sweep_load(&sweep, path), 0);
	assert_string_equal(sweep.name, "grid");
	assert_int_equal(sweep.run_count, 12);
	assert_string_equal(sweep.runs[0].name, "grid:activation=sigmoid,residual=false,seed=1");
	assert_string_equal(sweep.runs[5].name,
			    "grid:activation=sigmoid,residual={alpha: 0.5},seed=3");
	assert_string_equal(sweep.runs[11].overrides[1], "model.residual={alpha: 0.5}");
	assert_true(sweep.runs[5].spec.model.residual.enabled);
	assert_true(sweep.runs[5].spec.model.residual.alpha == 0.5);
	assert_int_equal(sweep.runs[6].spec.model.activation.kind, ACT_RELU);
	assert_int_equal(sweep.runs[6].spec.seed, 1);
	/* seeds share a spec_hash; other keys do not */
	assert_string_equal(sweep.runs[0].spec.spec_hash, sweep.runs[1].spec.spec_hash);
	assert_string_not_equal(sweep.runs[0].spec.spec_hash, sweep.runs[3].spec.spec_hash);
	assert_string_equal(sweep.runs[0].spec.overrides,
			    "--set model.activation=sigmoid --set model.residual=false --set seed=1");
	sweep_free(&sweep);
	free(path);
}

static void random_draws_are_reproducible_and_in_range(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char *path = test_write_file(dir, "random.yaml",
				     "name: search\n"
				     "spec:\n"
				     "  model: {depth: 2, width: 4}\n"
				     "  train: {steps: 3, batch_size: 8}\n"
				     "grid:\n"
				     "  model.activation: [tanh, relu]\n"
				     "random:\n"
				     "  samples: 5\n"
				     "  train.optimizer.lr: {log_uniform: [0.001, 0.1]}\n"
				     "  model.init.gain: {uniform: [0.5, 2]}\n");
	struct sweep a, b;
	assert_int_equal(sweep_load(&a, path), 0);
	assert_int_equal(sweep_load(&b, path), 0);
	assert_int_equal(a.run_count, 10);
	for (int r = 0; r < a.run_count; r++) {
		double lr = a.runs[r].spec.train.optimizer.lr, gain = a.runs[r].spec.model.init.gain;
		assert_true(lr >= 0.001 && lr <= 0.1);
		assert_true(gain >= 0.5 && gain <= 2);
		assert_true(lr == b.runs[r].spec.train.optimizer.lr);
		assert_int_equal(a.runs[r].spec.model.depth, 2); /* the inline spec */
	}
	assert_true(a.runs[0].spec.train.optimizer.lr != a.runs[1].spec.train.optimizer.lr);
	sweep_free(&a);
	sweep_free(&b);
	free(path);
}

static void assert_sweep_rejected(const char *text, const char *expected)
{
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	char *path = test_write_file(dir, "bad.yaml", text);
	struct sweep sweep;
	error_clear();
	assert_int_equal(sweep_load(&sweep, path), -1);
	if (!strstr(error_last(), expected))
		fail_msg("error \"%s\" does not contain \"%s\"", error_last(), expected);
	free(path);
}

static void bad_sweeps_are_reported_with_their_location(void **state)
{
	(void)state;
	assert_sweep_rejected("base: base.yaml\ngrid:\n  model.depth: 5\n",
			      "bad.yaml:3:16: grid.model.depth: expected a non-empty list of values");
	assert_sweep_rejected("base: base.yaml\ngird:\n  model.depth: [5]\ngrid:\n  seed: [1]\n",
			      "bad.yaml:2:1: gird: unknown key; expected one of name, base, spec, "
			      "grid, random");
	/* a bad grid value or key: the run points at the value in the sweep file */
	assert_sweep_rejected("base: base.yaml\ngrid:\n  model.depth: [5, ten]\n",
			      "bad.yaml:3:20: model.depth: run 1 (bad:depth=ten) is invalid");
	assert_sweep_rejected("base: base.yaml\ngrid:\n  seed: [1]\n  model.dpth:\n    - 1\n",
			      "bad.yaml:5:7: model.dpth: run 0 (bad:seed=1,dpth=1) is invalid");
	assert_sweep_rejected("base: base.yaml\ngrid:\n  seed: [1]\nrandom:\n  samples: 1\n"
			      "  model.width: {uniform: [0, 0.5]}\n",
			      "bad.yaml:6:16: model.width: run 0 (bad:seed=1,width=");
	/* the spec's own message comes first, with its location */
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	free(test_write_file(dir, "bad.yaml", "base: base.yaml\ngrid:\n  model.depth: [5, ten]\n"));
	free(test_write_file(dir, "inline.yaml", "spec:\n  model: {depth: zero}\ngrid:\n"
						 "  seed: [1, 2]\n"));
	struct command_result r;
	GTRACK(&r, dir, "sweep", "bad.yaml", "--dry-run");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "gtrack: --set model.depth=ten: model.depth: expected an integer "
			       "from 1 to 2147483647, found 'ten'\ngtrack: bad.yaml:3:20: model.depth: "
			       "run 1 (bad:depth=ten) is invalid\n");
	command_result_free(&r);
	GTRACK(&r, dir, "sweep", "inline.yaml", "--dry-run");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "inline.yaml:2:18: model.depth: expected an integer");
	assert_null(strstr(r.err, "run 1")); /* reported once, not per run */
	command_result_free(&r);
	free(test_write_file(dir, "both.yaml", "base: base.yaml\nspec:\n  model: {depth: 2}\n"
					       "grid:\n  seed: [1]\n"));
	GTRACK(&r, dir, "sweep", "both.yaml", "--dry-run");
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(r.err, "gtrack: both.yaml:3:3: give either base (a spec file) or spec"
				   " (inline), not both\n");
	command_result_free(&r);
	free(test_write_file(dir, "list.yaml", "base: [base.yaml]\ngrid:\n  seed: [1]\n"));
	GTRACK(&r, dir, "sweep", "list.yaml", "--dry-run");
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(r.err, "gtrack: list.yaml:1:7: base: expected the path of a spec file\n");
	command_result_free(&r);
	free(test_write_file(dir, "items.yaml", "- base.yaml\n- seed: [1]\n"));
	GTRACK(&r, dir, "sweep", "items.yaml", "--dry-run");
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(r.err, "gtrack: items.yaml: expected a mapping with base (or spec) and"
				   " grid\n");
	command_result_free(&r);
	assert_sweep_rejected("base: missing.yaml\ngrid:\n  seed: [1]\n",
			      "cannot open spec");
	assert_sweep_rejected("base: base.yaml\nrandom:\n  samples: 2\n  train.optimizer.lr: "
			      "{log_uniform: [0, 1]}\n",
			      "random.train.optimizer.lr: expected {uniform: [low, high]}");
}

/* Found by tests/fuzz/fuzz_sweep: random.samples alone was not held to the run limit
 * (10^12 draws asked for 10 PB and gtrack aborted), and a saturated count times a grid
 * axis overflowed to a negative run count. */
static void huge_random_samples_are_refused(void **state)
{
	(void)state;
	assert_sweep_rejected("base: base.yaml\nrandom:\n  samples: 1000000000000\n"
			      "  train.optimizer.lr: {uniform: [0.1, 0.2]}\n",
			      "bad.yaml: the sweep expands to more than 100000 runs");
	assert_sweep_rejected("base: base.yaml\ngrid:\n  seed: [1, 2]\nrandom:\n  samples: "
			      "99999999999999999999999\n  train.optimizer.lr: {uniform: [0.1, 0.2]}\n",
			      "bad.yaml: the sweep expands to more than 100000 runs");
}

/* Eight processes write eight runs into one database at once: nothing is lost, nothing
 * fails with "database is locked". */
static void many_writers_lose_nothing(void **state)
{
	(void)state;
	enum { WRITERS = 8 };
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			char seed[32];
			snprintf(seed, sizeof seed, "seed=%d", w);
			char err[32];
			snprintf(err, sizeof err, "writer%d.err", w);
			if (chdir(dir))
				_exit(127);
			freopen("/dev/null", "w", stdout);
			freopen(err, "w", stderr);
			execl(GTRACK_BINARY, GTRACK_BINARY, "run", "base.yaml", "--db", "many.db",
			      "--set", seed, "--set", "train.steps=150", (char *)NULL);
			_exit(127);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status)) {
			char path[1024];
			snprintf(path, sizeof path, "%s/writer%d.err", dir, w);
			char *err = file_read_text(path, "file", 1 << 20, NULL);
			fail_msg("writer %d exited with %d: %s", w, WEXITSTATUS(status), err);
		}
	}
	sqlite3 *db = open_db(dir, "many.db");
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE status = 'finished'"),
			 WRITERS);
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps"), WRITERS * 150);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats"), WRITERS * 150 * 4);
	sqlite3_close(db);
}

static void sweep_runs_in_parallel_and_resumes(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	free(test_write_file(dir, "small.yaml",
			     "base: base.yaml\ngrid:\n  model.depth: [2, 3]\n  seed: [1, 2, 3]\n"));
	struct command_result r;
	GTRACK(&r, dir, "sweep", "small.yaml", "-j", "3", "--db", "s.db");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "sweep small: 6 runs: 6 finished, 0 skipped (done before)");
	command_result_free(&r);

	GTRACK(&r, dir, "sweep", "small.yaml", "--db", "s.db", "--dry-run");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "6 runs, 0 to run, 6 done");
	command_result_free(&r);
	GTRACK(&r, dir, "sweep", "small.yaml", "-j", "2", "--db", "s.db");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "6 runs: 0 finished, 6 skipped (done before)");
	command_result_free(&r);

	/* a killed run is run again */
	char path[1024];
	snprintf(path, sizeof path, "%s/s.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE runs SET status = 'killed' WHERE id = 2", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	GTRACK(&r, dir, "sweep", "small.yaml", "--db", "s.db");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "6 runs: 1 finished, 5 skipped (done before)");
	command_result_free(&r);

	db = open_db(dir, "s.db");
	assert_int_equal(query_int(db, "SELECT count(*) FROM sweeps WHERE name = 'small'"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE sweep_id = 1"), 7);
	assert_int_equal(query_int(db, "SELECT count(DISTINCT spec_hash) FROM runs"), 2);
	sqlite3_close(db);
}

static void killed_process_is_shown_as_crashed(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	long long logged = 0;
	pid_t pid = start_long_run(dir, "base.yaml", "c.db", 5, &logged);
	char path[1024];
	snprintf(path, sizeof path, "%s/c.db", dir);
	struct command_result r;
	GTRACK(&r, dir, "ls", "--db", "c.db");
	assert_contains(r.out, "running");
	command_result_free(&r);

	kill(pid, SIGKILL); /* no chance to record anything */
	waitpid(pid, NULL, 0);
	GTRACK(&r, dir, "ls", "--db", "c.db");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "crashed");
	command_result_free(&r);
	sqlite3 *db = open_db(dir, "c.db");
	char *message = query_text(db, "SELECT message FROM runs");
	assert_contains(message, "its process is gone (last heartbeat ");
	free(message);
	assert_true(query_int(db, "SELECT count(*) FROM steps") >= logged);
	sqlite3_close(db);

	/* a stale heartbeat alone is enough, for runs on other hosts */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE runs SET status = 'running', hostname ="
					  " 'elsewhere', heartbeat_at = '2020-01-01T00:00:00Z'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	GTRACK(&r, dir, "show", "1", "--db", "c.db");
	assert_contains(r.out, "run 1: base (crashed)");
	assert_contains(r.out, "no heartbeat for a minute");
	command_result_free(&r);
}

static void shards_merge_once_with_sweeps_kept_together(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	free(test_write_file(dir, "pair.yaml", "base: base.yaml\ngrid:\n  seed: [1, 2]\n"));
	struct command_result r;
	/* three shards: two tasks of the sweep, and a stray copy of the first */
	GTRACK(&r, dir, "run", "base.yaml", "--db", "a.db", "--sweep", "pair.yaml", "--set",
	       "seed=1", "--quiet");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	GTRACK(&r, dir, "run", "base.yaml", "--db", "b.db", "--sweep", "pair.yaml", "--set",
	       "seed=2", "--quiet");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	GTRACK(&r, dir, "run", "base.yaml", "--db", "c.db", "--set", "seed=1", "--quiet");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	/* the target already holds a run: ids must be remapped */
	GTRACK(&r, dir, "run", "base.yaml", "--db", "all.db", "--set", "seed=9", "--quiet");
	command_result_free(&r);

	GTRACK(&r, dir, "merge", "a.db", "b.db", "c.db", "-o", "all.db");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "merged 3 shards into all.db: 2 runs added, 1 already present");
	command_result_free(&r);
	GTRACK(&r, dir, "merge", "a.db", "b.db", "c.db", "-o", "all.db");
	assert_contains(r.out, "0 runs added, 3 already present");
	command_result_free(&r);
	GTRACK(&r, dir, "merge", "all.db", "-o", "all.db");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "is the database being merged into");
	command_result_free(&r);
	free(test_write_file(dir, "junk.db", "not a database\n"));
	GTRACK(&r, dir, "merge", "junk.db", "-o", "all.db");
	assert_int_equal(r.exit_code, 4);
	assert_contains(r.err, "'junk.db' is not a gtrack database");
	command_result_free(&r);

	sqlite3 *db = open_db(dir, "all.db");
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 3);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sweeps"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE sweep_id ="
				       " (SELECT id FROM sweeps WHERE name = 'pair')"),
			 2);
	/* every row follows its run to its new id */
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats"), 3 * 12 * 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats l JOIN runs r ON"
				       " r.id = l.run_id"),
			 3 * 12 * 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layers"), 3 * 4);
	sqlite3_close(db);
}

static void emit_writes_a_job_array_and_a_task_list(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	free(test_write_file(dir, "em.yaml",
			     "base: base.yaml\ngrid:\n  model.residual: [false, {alpha: 0.5}]\n"));
	struct command_result r;
	GTRACK(&r, dir, "sweep", "em.yaml", "--emit", "slurm", "--out", "out", "--array-max",
	       "5", "--sbatch=--time=00:10:00");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "wrote a Slurm job array of 2 tasks");
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/out/gtrack.sbatch", dir);
	char *script = file_read_text(path, "file", 1 << 20, NULL);
	assert_non_null(script);
	assert_contains(script, "#SBATCH --array=0-1%5\n");
	assert_contains(script, "#SBATCH --time=00:10:00\n");
	assert_contains(script, "--sweep 'em.yaml'");
	free(script);
	snprintf(path, sizeof path, "%s/out/tasks/00001.args", dir);
	char *args = file_read_text(path, "file", 1 << 20, NULL);
	assert_non_null(args);
	assert_string_equal(args, "--name\nem:residual={alpha: 0.5}\n--set\n"
				  "model.residual={alpha: 0.5}\n");
	free(args);

	snprintf(path, sizeof path, "%s/out/runs.tsv", dir);
	char *list = file_read_text(path, "file", 1 << 20, NULL);
	assert_non_null(list);
	assert_contains(list, "task\tname\tspec_hash\tseed\toverrides\n00000\tem:residual=false\t");
	assert_contains(list, "\t1\t--set model.residual={alpha: 0.5}\n");
	free(list);

	GTRACK(&r, dir, "sweep", "em.yaml", "--emit", "parallel", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/out/parallel.txt", dir);
	char *tasks = file_read_text(path, "file", 1 << 20, NULL);
	assert_non_null(tasks);
	assert_contains(tasks, "run base.yaml --db shards/00001.db --sweep 'em.yaml' --quiet "
			       "--name 'em:residual={alpha: 0.5}' --set 'model.residual={alpha: 0.5}'");
	free(tasks);
}

/* The one run in the shard database dir/shard finished. */
static void assert_shard_run_finished(const char *dir, const char *shard)
{
	sqlite3 *db = open_db(dir, shard);
	char *status = query_text(db, "SELECT status FROM runs");
	assert_string_equal(status, "finished");
	free(status);
	sqlite3_close(db);
}

/* A base spec names its data relative to itself; the emitted tasks run from the sweep's
 * directory, so they must still find it (they once looked for out/d.csv and exited 3).
 * Run for real, a task's run finishes in its shard, in the sweep, with the spec_hash a
 * local sweep gives the same run (resume and merge match on it). */
static void emitted_tasks_find_data_named_relative_to_the_base(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	struct strbuf csv;
	strbuf_init(&csv);
	strbuf_puts(&csv, "x1,x2,label\n");
	for (int i = 0; i < 40; i++)
		strbuf_printf(&csv, "%d.5,%d,%d\n", i % 7, i % 5, i % 2);
	free(test_write_file(dir, "d.csv", csv.text));
	strbuf_free(&csv);
	free(test_write_file(dir, "b.yaml",
			     "data: {kind: csv, path: d.csv}\n"
			     "model: {depth: 2, width: 4}\n"
			     "train: {steps: 3, batch_size: 8}\n"));
	free(test_write_file(dir, "s3.yaml", "name: sfc\nbase: b.yaml\ngrid:\n  seed: [1, 2]\n"));
	struct command_result r;
	GTRACK(&r, dir, "sweep", "s3.yaml", "--db", "local.db", "--quiet");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	GTRACK(&r, dir, "sweep", "s3.yaml", "--emit", "slurm", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);

	char command[2048];
	snprintf(command, sizeof command,
		 "cd '%s' && GTRACK='%s' SLURM_ARRAY_TASK_ID=1 bash out/gtrack.sbatch > task.txt 2>&1",
		 dir, GTRACK_BINARY);
	int status = system(command);
	char task_log[1024];
	snprintf(task_log, sizeof task_log, "%s/task.txt", dir);
	char *log = file_read_text(task_log, "file", 1 << 20, NULL);
	if (status != 0)
		fail_msg("the task exited with %d: %s", status, log ? log : "");
	free(log);

	sqlite3 *shard = open_db(dir, "out/shards/00001.db");
	sqlite3 *local = open_db(dir, "local.db");
	char *status_text = query_text(shard, "SELECT status FROM runs");
	assert_string_equal(status_text, "finished");
	free(status_text);
	assert_int_equal(query_int(shard, "SELECT count(*) FROM runs r JOIN sweeps s "
					  "ON s.id = r.sweep_id WHERE s.name = 'sfc' "
					  "AND r.name = 'sfc:seed=2' AND r.seed = 2"), 1);
	char *emitted_hash = query_text(shard, "SELECT spec_hash FROM runs");
	char *local_hash = query_text(local, "SELECT spec_hash FROM runs WHERE seed = 2");
	assert_string_equal(emitted_hash, local_hash);
	free(emitted_hash), free(local_hash);
	sqlite3_close(shard);
	sqlite3_close(local);

	/* the GNU parallel list runs the same command line */
	GTRACK(&r, dir, "sweep", "s3.yaml", "--emit", "parallel", "--out", "par");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(command, sizeof command, "cd '%s' && head -n 1 par/parallel.txt | bash > par.txt 2>&1",
		 dir);
	assert_int_equal(system(command), 0);
	assert_shard_run_finished(dir, "par/shards/00000.db");
	/* on one thread: tasks run side by side, as many as cores */
	sqlite3 *task = open_db(dir, "par/shards/00000.db");
	assert_int_equal(query_int(task, "SELECT threads FROM runs"), 1);
	sqlite3_close(task);

	/* a data file the grid names relative to the base: the task is given it resolved */
	free(test_write_file(dir, "paths.yaml", "base: b.yaml\ngrid:\n  data.path: [d.csv]\n"));
	GTRACK(&r, dir, "sweep", "paths.yaml", "--emit", "slurm", "--out", "paths");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(command, sizeof command,
		 "cd '%s' && GTRACK='%s' SLURM_ARRAY_TASK_ID=0 bash paths/gtrack.sbatch > paths.txt 2>&1",
		 dir, GTRACK_BINARY);
	assert_int_equal(system(command), 0);
	assert_shard_run_finished(dir, "paths/shards/00000.db");
}

/* How many of db's runs have status (0 while the database is not there yet). */
static long long runs_with_status(const char *path, const char *status)
{
	sqlite3 *db;
	long long count = 0;
	if (!file_exists(path) || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return 0;
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM runs WHERE status = ?", -1, &statement,
			       NULL) == SQLITE_OK &&
	    sqlite3_bind_text(statement, 1, status, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(statement) == SQLITE_ROW)
		count = sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	sqlite3_close(db);
	return count;
}

/* A terminal that closes signals only its session leader, the scheduler: the sweep
 * must pass that on, so that it and its runs end as killed by SIGHUP (they once kept
 * training, 'running', after the terminal was gone). */
static void closed_terminal_ends_the_sweep_and_its_runs(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "long.yaml",
			     "data: {kind: blobs, samples: 256, features: 6, classes: 3}\n"
			     "model: {depth: 2, width: 8}\n"
			     "train: {steps: 100000000, batch_size: 16}\n"));
	free(test_write_file(dir, "g2.yaml", "base: long.yaml\ngrid:\n  seed: [1, 2]\n"));
	char db_path[1024];
	snprintf(db_path, sizeof db_path, "%s/sh.db", dir);
	int terminal;
	pid_t pid = forkpty(&terminal, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(dir))
			_exit(127);
		unsetenv("GTRACK_DB");
		execl(GTRACK_BINARY, GTRACK_BINARY, "sweep", "g2.yaml", "-j", "2", "--db", "sh.db",
		      (char *)NULL);
		_exit(127);
	}
	/* read what the sweep writes, so that it never blocks on a full terminal, until
	 * both runs train (up to 60 s: a sanitizer build on a loaded machine starts slowly;
	 * each wait ends as soon as its condition holds) */
	fcntl(terminal, F_SETFL, O_NONBLOCK);
	char screen[4096];
	for (int attempt = 0; attempt < 1200 && runs_with_status(db_path, "running") < 2;
	     attempt++) {
		usleep(50000);
		while (read(terminal, screen, sizeof screen) > 0)
			continue;
	}
	assert_int_equal(runs_with_status(db_path, "running"), 2);
	close(terminal);

	int status = 0;
	pid_t ended = 0;
	for (int attempt = 0; attempt < 1200 && !ended; attempt++) {
		usleep(50000);
		ended = waitpid(pid, &status, WNOHANG);
	}
	if (!ended) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the sweep kept running for 60 s after its terminal closed");
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 130);
	assert_int_equal(runs_with_status(db_path, "killed"), 2);
	sqlite3 *db = open_db(dir, "sh.db");
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE message LIKE "
				       "'%SIGHUP (the terminal or SSH session closed)%'"), 2);
	sqlite3_close(db);
}

/* The progress line that starts with `start` on the screen, up to its erase-to-the-end
 * (ESC [ K), and what follows that in the next 40 characters. */
static void assert_progress(const char *screen, const char *start, const char *eta,
			    const char *then)
{
	const char *line = strstr(screen, start);
	if (!line)
		fail_msg("no progress line \"%s\" in \"%s\"", start, screen);
	const char *end = strstr(line, "\033[K");
	assert_non_null(end);
	const char *shown_eta = line + strlen(start);
	double seconds;
	if (eta)
		assert_true((size_t)(end - shown_eta) == strlen(eta) &&
			    !strncmp(shown_eta, eta, strlen(eta)));
	else if (sscanf(shown_eta, "%lf s", &seconds) != 1 || !(seconds >= 0))
		fail_msg("ETA \"%.*s\" is not a duration", (int)(end - shown_eta), shown_eta);
	/* the line is erased before a run's summary is printed over it */
	if (strncmp(end + 3, then, strlen(then)))
		fail_msg("after \"%s\": \"%.40s\", expected \"%s\"", start, end + 3, then);
}

/* On a terminal the sweep keeps one line of counts up to date, erases it before each
 * run's summary, and leaves the screen with only the summaries. */
static void progress_line_on_a_terminal(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	/* relu does not saturate: a gain of 1e300 diverges at step 0 */
	free(test_write_file(dir, "relu.yaml",
			     "data: {kind: blobs, samples: 64, features: 4, classes: 2}\n"
			     "model: {depth: 2, width: 4, activation: relu}\n"
			     "train: {steps: 3, batch_size: 8, dtype: float64}\n"));
	free(test_write_file(dir, "g.yaml", "base: relu.yaml\ngrid:\n  model.init.gain: [1, 1e300]\n"));
	int code;
	char *screen = run_gtrack_on_terminal(dir, (const char *const[]){"sweep", "g.yaml", "-j", "1",
								  "--db", "g.db", NULL},
				       &code);
	assert_int_equal(code, 5);
	assert_progress(screen, "\rsweep g: 0/2 done, 1 running, 0 failed, 0 diverged, 0 skipped, ETA ",
			"--:--", "\r\033[Krun 1 g:gain=1: finished, 3/3 steps in ");
	assert_progress(screen, "\rsweep g: 1/2 done, 1 running, 0 failed, 0 diverged, 0 skipped, ETA ",
			NULL, "\r\033[Krun 2 g:gain=1e300: diverged, 1/3 steps in ");
	assert_progress(screen, "\rsweep g: 2/2 done, 0 running, 0 failed, 1 diverged, 0 skipped, ETA ",
			NULL, "\r\033[Ksweep g: 2 runs: 1 finished, 0 skipped (done before), 1 diverged");
	free(screen);

	screen = run_gtrack_on_terminal(dir, (const char *const[]){"sweep", "g.yaml", "--db", "g.db", NULL},
				 &code);
	assert_int_equal(code, 0);
	assert_progress(screen, "\rsweep g: 2/2 done, 0 running, 0 failed, 0 diverged, 2 skipped, ETA ",
			"--:--", "\r\033[Ksweep g: 2 runs: 0 finished, 2 skipped (done before)");
	free(screen);

	/* and nothing of it when standard error is not a terminal */
	struct command_result r;
	GTRACK(&r, dir, "sweep", "g.yaml", "--db", "g.db");
	assert_string_equal(r.err, "");
	command_result_free(&r);
	/* a dry run tells the skipped runs' outcomes as they are */
	GTRACK(&r, dir, "sweep", "g.yaml", "--db", "g.db", "--dry-run");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "      finished as run 1\n");
	assert_contains(r.out, "      diverged as run 2\n");
	command_result_free(&r);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grid_expands_in_order_with_names_and_overrides),
		cmocka_unit_test(random_draws_are_reproducible_and_in_range),
		cmocka_unit_test(bad_sweeps_are_reported_with_their_location),
		cmocka_unit_test(huge_random_samples_are_refused),
		cmocka_unit_test(many_writers_lose_nothing),
		cmocka_unit_test(sweep_runs_in_parallel_and_resumes),
		cmocka_unit_test(killed_process_is_shown_as_crashed),
		cmocka_unit_test(progress_line_on_a_terminal),
		cmocka_unit_test(shards_merge_once_with_sweeps_kept_together),
		cmocka_unit_test(emit_writes_a_job_array_and_a_task_list),
		cmocka_unit_test(emitted_tasks_find_data_named_relative_to_the_base),
		cmocka_unit_test(closed_terminal_ends_the_sweep_and_its_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
