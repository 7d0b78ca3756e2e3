/* The run loop seen from outside: what `gtrack run` prints and stores for runs that
 * finish, diverge later or at step 0, and for normalised networks. Every number is
 * checked against another public view of the same fact (the summary line against the
 * stored norms, a gradient norm against the parameter change it caused), so the tests
 * hold whatever the trainer's internals look like. */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas_threads.h"
#include "util/target_clones.h"

static const char blobs_spec[] =
	"data: {kind: blobs, samples: 128, features: 8, classes: 3}\n"
	"model: {depth: 3, width: 16, activation: tanh}\n"
	"train: {steps: 5, batch_size: 32, dtype: float64}\n";

/* relu does not saturate, so huge weights overflow instead of flattening out */
static const char relu_spec[] =
	"data: {kind: blobs, samples: 128, features: 8, classes: 3}\n"
	"model: {depth: 3, width: 16, activation: relu}\n"
	"train: {steps: 5, batch_size: 32, dtype: float64}\n";

static void assert_relative(double actual, double expected, double tolerance, const char *what)
{
	if (!(fabs(actual - expected) <= tolerance * fabs(expected)))
		fail_msg("%s: %.17g, expected %.17g", what, actual, expected);
}

/* Runs `gtrack run SPEC --db d.db --set OVERRIDE...` in dir (overrides NULL-terminated),
 * checks its exit code and returns the database; *printed gets its stdout (caller frees). */
static sqlite3 *train(const char *dir, const char *spec, const char *const *overrides,
		      int expected_exit, char **printed)
{
	free(test_write_file(dir, "spec.yaml", spec));
	const char *argv[32] = {"run", "spec.yaml", "--db", "d.db"};
	int argc = 4;
	for (; overrides && *overrides && argc < 30; overrides++) {
		argv[argc++] = "--set";
		argv[argc++] = *overrides;
	}
	argv[argc] = NULL;
	struct command_result r;
	run_gtrack(&r, dir, NULL, argv);
	if (r.exit_code != expected_exit)
		fail_msg("exit %d, expected %d: %s%s", r.exit_code, expected_exit, r.out, r.err);
	if (printed)
		*printed = strdup(r.out);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/d.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

/* The summary's "layer 0/output gradient" ratios and losses are the stored ones. */
static void assert_summary_matches_the_rows(const char *summary, sqlite3 *db, long long last)
{
	char sql[512];
	double first_loss, final_loss, initial_ratio, final_ratio;
	long long done, steps;
	const char *numbers = strstr(summary, "steps in");
	assert_non_null(numbers);
	assert_int_equal(sscanf(strstr(summary, ": ") + 2, "%*s %lld/%lld", &done, &steps), 2);
	assert_int_equal(done, last + 1);
	assert_int_equal(sscanf(numbers, "steps in %*f s, loss %lf -> %lf, layer 0/output gradient"
					 " %lf at step 0, %lf at the end",
				&first_loss, &final_loss, &initial_ratio, &final_ratio),
			 4);
	/* printed with 4 significant digits */
	assert_relative(first_loss, query_double(db, "SELECT loss FROM steps WHERE step = 0"), 1e-3,
			"first loss");
	snprintf(sql, sizeof sql, "SELECT loss FROM steps WHERE step = %lld", last);
	assert_relative(final_loss, query_double(db, sql), 1e-3, "final loss");
	static const char ratio[] =
		"SELECT first.weight_grad_norm / output.weight_grad_norm FROM layer_stats first"
		" JOIN layer_stats output USING (run_id, step) WHERE first.layer = 0 AND"
		" output.layer = (SELECT max(layer) FROM layers) AND step = %lld";
	snprintf(sql, sizeof sql, ratio, 0LL);
	assert_relative(initial_ratio, query_double(db, sql), 1e-3, "ratio at step 0");
	snprintf(sql, sizeof sql, ratio, last);
	assert_relative(final_ratio, query_double(db, sql), 1e-3, "ratio at the end");
}

static void summary_ratio_is_the_ratio_of_the_stored_norms(void **state)
{
	(void)state;
	/* depth 1 is the smallest network: layer 0 and the output layer next to it */
	static const char *const depths[] = {"model.depth=1", "model.depth=3", "model.depth=6"};
	for (size_t i = 0; i < sizeof depths / sizeof *depths; i++) {
		const char *dir = test_temp_dir();
		char *out = NULL;
		sqlite3 *db = train(dir, blobs_spec, (const char *const[]){depths[i], NULL}, 0, &out);
		assert_contains(out, "run 1 spec: finished, 5/5 steps in ");
		assert_summary_matches_the_rows(out, db, 4);
		free(out);
		sqlite3_close(db);
	}
}

/* lr 1e300 overflows the weights in the first update: step 1 has non-finite gradients. */
static void diverging_step_has_no_update_ratio(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char *out = NULL;
	sqlite3 *db = train(dir, relu_spec, (const char *const[]){"train.optimizer.lr=1e300", NULL},
			    5, &out);
	assert_contains(out, "run 1 spec: diverged, 2/5 steps in ");
	assert_contains(out, "\n  non-finite gradient at step 1, first at layer ");
	/* the diverging step's norms are partly non-finite: no ratio "at the end" */
	assert_contains(out, " at step 0, - at the end\n");
	free(out);
	assert_int_equal(query_int(db, "SELECT steps_done FROM runs"), 2);
	char *status = query_text(db, "SELECT status || ': ' || message FROM runs");
	assert_contains(status, "diverged: non-finite gradient at step 1, first at layer ");
	free(status);
	/* step 0 was followed by an update; the diverging step was not, so it has no ratio
	 * (not the previous step's) */
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE step = 0 AND"
				       " update_ratio > 0"),
			 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE step = 1 AND"
				       " update_ratio IS NULL"),
			 4);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats"), 8);
	sqlite3_close(db);

	/* a diverging step that is not a logged one is still recorded, in full */
	dir = test_temp_dir();
	db = train(dir, relu_spec,
		   (const char *const[]){"train.optimizer.lr=1e300", "log.every=3", NULL}, 5, NULL);
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps"), 2);
	assert_int_equal(query_int(db, "SELECT max(step) FROM steps"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE step = 1 AND"
				       " update_ratio IS NULL AND weight_norm > 0"),
			 4);
	sqlite3_close(db);
}

/* A gain of 1e300 overflows the forward pass of step 0: nothing was ever updated. */
static void run_that_diverges_at_step_0(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char *out = NULL;
	sqlite3 *db = train(dir, relu_spec, (const char *const[]){"model.init.gain=1e300", NULL}, 5,
			    &out);
	assert_contains(out, "run 1 spec: diverged, 1/5 steps in ");
	assert_contains(out, "layer 0/output gradient - at step 0, - at the end\n"
			     "  non-finite gradient at step 0, first at layer ");
	free(out);
	assert_int_equal(query_int(db, "SELECT steps_done FROM runs WHERE status = 'diverged'"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps WHERE step = 0"), 1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE step = 0 AND"
				       " update_ratio IS NULL"),
			 4);
	sqlite3_close(db);
}

/* The parameters of one layer at one checkpoint step, as doubles (caller frees). */
static double *checkpoint(sqlite3 *db, const char *column, int step, int layer, int *count)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT %s FROM checkpoints WHERE step = %d AND layer = %d",
		 column, step, layer);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int bytes = sqlite3_column_bytes(s, 0);
	assert_true(bytes > 0 && bytes % (int)sizeof(double) == 0);
	double *values = malloc((size_t)bytes);
	memcpy(values, sqlite3_column_blob(s, 0), (size_t)bytes);
	sqlite3_finalize(s);
	*count = bytes / (int)sizeof(double);
	return values;
}

/* ||p(step 1) - p(step 0)|| / lr: the norm of the step-0 gradient under plain SGD. */
static double gradient_norm_from_update(sqlite3 *db, const char *column, int layer, double lr)
{
	int before_count, after_count;
	double *before = checkpoint(db, column, 0, layer, &before_count);
	double *after = checkpoint(db, column, 1, layer, &after_count);
	assert_int_equal(before_count, after_count);
	double sum = 0;
	for (int i = 0; i < before_count; i++)
		sum += (after[i] - before[i]) * (after[i] - before[i]);
	free(before);
	free(after);
	return sqrt(sum) / lr;
}

/* The gamma and beta gradient columns hold gamma's and beta's gradient norms: each equals
 * the change of its own parameter in the first plain SGD step over the learning rate. */
static void norm_layer_gradient_columns(void **state)
{
	(void)state;
	static const char *const kinds[] = {"model.norm=layernorm", "model.norm=batchnorm"};
	for (size_t k = 0; k < 2; k++) {
		const char *dir = test_temp_dir();
		sqlite3 *db = train(dir, blobs_spec,
				    (const char *const[]){kinds[k], "train.optimizer.lr=0.5",
							  "log.checkpoints=[0, 1]", NULL},
				    0, NULL);
		for (int layer = 0; layer < 3; layer++) {
			static const char *const columns[][2] = {
				{"norm_weight_grad_norm", "norm_weight"},
				{"norm_bias_grad_norm", "norm_bias"},
				{"weight_grad_norm", "weight"},
				{"bias_grad_norm", "bias"},
			};
			for (int c = 0; c < 4; c++) {
				char sql[256];
				snprintf(sql, sizeof sql, "SELECT %s FROM layer_stats WHERE step = 0"
							  " AND layer = %d", columns[c][0], layer);
				assert_relative(query_double(db, sql),
						gradient_norm_from_update(db, columns[c][1], layer, 0.5),
						1e-9, columns[c][0]);
			}
		}
		/* the output layer has no normalisation */
		assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE layer = 3 AND"
					       " norm_weight_grad_norm IS NULL AND norm_bias_grad_norm"
					       " IS NULL"),
				 5);
		assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE layer < 3 AND"
					       " norm_weight_grad_norm > 0 AND norm_bias_grad_norm > 0"),
				 15);
		sqlite3_close(db);
	}
}

/* After a first run, installs `trigger` (it makes SQLite refuse some rows of run 2, with
 * its own error, as a full disk would) and runs again with train.steps=6 and `extra`;
 * checks that run 2 failed with `message` and a summary containing `summary`. */
static sqlite3 *refused_write(const char *dir, const char *trigger, const char *extra,
			      const char *summary, const char *message)
{
	sqlite3 *db = train(dir, relu_spec, NULL, 0, NULL);
	assert_int_equal(sqlite3_exec(db, trigger, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	char *out = NULL;
	db = train(dir, relu_spec, (const char *const[]){"train.steps=6", extra, NULL}, 1, &out);
	assert_contains(out, summary);
	assert_contains(out, message);
	free(out);
	char *row = query_text(db, "SELECT status || ': ' || message FROM runs WHERE id = 2");
	assert_contains(row, "failed: ");
	assert_contains(row, message);
	free(row);
	return db;
}

/* A write the database refuses ends the run at once as failed, with SQLite's message
 * and the number of steps stored. The open transaction is rolled back (SQLite's advice
 * for SQLITE_FULL, which may already have undone it), so what is stored is what the last
 * commit stored, never half a step: a 6-step run commits once, at its end, so here
 * nothing of it is stored and steps_done says so. */
static void refused_write_ends_the_run_as_failed(void **state)
{
	(void)state;
	static const char *const triggers[] = {
		"CREATE TRIGGER full BEFORE INSERT ON steps WHEN NEW.run_id = 2 AND NEW.step = 2"
		" BEGIN SELECT RAISE(ABORT, 'disk full'); END",
		"CREATE TRIGGER full BEFORE INSERT ON checkpoints WHEN NEW.run_id = 2 AND"
		" NEW.step = 4 BEGIN SELECT RAISE(ABORT, 'disk full'); END",
		"CREATE TRIGGER full BEFORE INSERT ON evals WHEN NEW.run_id = 2 AND NEW.step = 3"
		" BEGIN SELECT RAISE(ABORT, 'disk full'); END",
	};
	static const char *const settings[] = {"log.every=1", "log.checkpoints=[0, 4]",
					       "log.eval_every=3"};
	static const char *const messages[] = {
		"database: cannot insert a step row: disk full; the run's first 0 steps are stored",
		"database: cannot store a checkpoint: disk full; the run's first 0 steps are stored",
		"database: cannot insert an evaluation row: disk full; the run's first 0 steps are "
		"stored",
	};
	for (int i = 0; i < 3; i++) {
		sqlite3 *db = refused_write(test_temp_dir(), triggers[i], settings[i],
					    "run 2 spec: failed, 0/6 steps in ", messages[i]);
		assert_int_equal(query_int(db, "SELECT steps_done FROM runs WHERE id = 2"), 0);
		assert_int_equal(query_int(db, "SELECT count(*) FROM steps WHERE run_id = 2"), 0);
		assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE run_id = 2"),
				 0);
		assert_int_equal(query_int(db, "SELECT count(*) FROM checkpoints WHERE run_id = 2"),
				 0);
		assert_int_equal(query_int(db, "SELECT count(*) FROM evals WHERE run_id = 2"), 0);
		/* run 1, trained before, is untouched */
		assert_int_equal(query_int(db, "SELECT status = 'finished' FROM runs WHERE id = 1"),
				 1);
		sqlite3_close(db);
	}
}

/* Wide enough that the step goes in two row tiles (its products, 128 x 256 x 256, are
 * over blas_threads.h's 2^21 multiply-adds). */
static const char wide_spec[] =
	"data: {kind: %s, samples: 256, features: 8}\n"
	"model: {depth: 3, width: 256, activation: relu%s}\n"
	"train: {steps: 5, batch_size: 128, dtype: %s%s}\n"
	"log: {every: 2}\n";

/* Set by thread_count_and_results: wide_spec's data, what its model and train add */
static const char *wide_data = "blobs", *wide_extra = "", *wide_train = "";

/* Trains wide_spec in dtype into dir/db with `threads` BLAS threads. */
static void train_wide(const char *dir, const char *dtype, const char *db, const char *threads)
{
	char spec[512];
	snprintf(spec, sizeof spec, wide_spec, wide_data, wide_extra, dtype, wide_train);
	free(test_write_file(dir, "wide.yaml", spec));
	struct command_result r;
	GTRACK(&r, dir, "run", "wide.yaml", "--db", db, "--threads", threads, "--quiet");
	if (r.exit_code)
		fail_msg("exit %d: %s%s", r.exit_code, r.out, r.err);
	command_result_free(&r);
}

/* The largest relative difference between the numbers two databases in dir hold for
 * their run 1: every layer_stats column and the loss; 1e300 when a value is missing
 * on one side only or the rows do not pair up. */
static double largest_difference(const char *dir, const char *a, const char *b)
{
	static const char *const columns[] = {
		"weight_grad_norm", "bias_grad_norm", "delta_norm", "weight_norm",
		"dead_fraction", "zero_grad_fraction", "update_ratio"};
	char path[1024], sql[4096];
	snprintf(path, sizeof path, "%s/%s", dir, a);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(path, sizeof path, "%s/%s", dir, b);
	char *attach = sqlite3_mprintf("ATTACH %Q AS other", path);
	assert_int_equal(sqlite3_exec(db, attach, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(attach);
	double worst = query_double(db, "SELECT CASE WHEN (SELECT count(*) FROM main.layer_stats)"
					" = (SELECT count(*) FROM other.layer_stats) AND (SELECT"
					" count(*) FROM main.steps) = (SELECT count(*) FROM"
					" other.steps) THEN 0 ELSE 1e300 END");
	static const char difference[] =
		"SELECT coalesce(max(CASE WHEN x.%1$s IS y.%1$s THEN 0 WHEN x.%1$s IS NULL OR"
		" y.%1$s IS NULL THEN 1e300 ELSE abs(x.%1$s - y.%1$s) / max(abs(y.%1$s), 1e-300)"
		" END), 1e300) FROM main.%2$s x JOIN other.%2$s y USING (run_id, step%3$s)";
	for (size_t c = 0; c < sizeof columns / sizeof *columns; c++) {
		snprintf(sql, sizeof sql, difference, columns[c], "layer_stats", ", layer");
		worst = fmax(worst, query_double(db, sql));
	}
	snprintf(sql, sizeof sql, difference, "loss", "steps", "");
	worst = fmax(worst, query_double(db, sql));
	sqlite3_close(db);
	return worst;
}

/* --threads: runs agree bit for bit whatever the count, logged steps and unlogged ones
 * (log.every 2), for a plain network, a residual, layernorm one, and a one-output
 * regression whose parameters (133889) are one past a multiple of 128. Their step goes
 * in two row tiles on one thread or two (src/nn/tiles.c), each product on one OpenBLAS
 * thread: OpenBLAS 0.3.21's threaded sgemm rounds differently from its one-thread
 * sgemm, so when products were split among threads float32 runs at different counts
 * agreed to rounding only. */
static void thread_count_and_results(void **state)
{
	(void)state;
	static const char *const variants[][3] = {
		{"blobs", "", ""},
		{"blobs", ", norm: layernorm, residual: {block: 2, learn_alpha: true}", ""},
		{"teacher", "", ", loss: mse"}};
	for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
		wide_data = variants[v][0];
		wide_extra = variants[v][1];
		wide_train = variants[v][2];
		const char *dir = test_temp_dir();
		train_wide(dir, "float64", "one-64.db", "1");
		train_wide(dir, "float64", "two-64.db", "2");
		double float64_difference = largest_difference(dir, "one-64.db", "two-64.db");
		train_wide(dir, "float32", "one-32.db", "1");
		train_wide(dir, "float32", "two-32.db", "2");
		train_wide(dir, "float32", "two-32-again.db", "2");
		double float32_difference = largest_difference(dir, "one-32.db", "two-32.db");
		double repeat_difference = largest_difference(dir, "two-32.db", "two-32-again.db");
		print_message("%s%s%s: 1 vs 2 threads: float64 %.3g, float32 %.3g; 2 threads"
			      " twice: %.3g\n", variants[v][0], variants[v][1], variants[v][2],
			      float64_difference, float32_difference, repeat_difference);
		assert_true(float64_difference == 0);
		assert_true(repeat_difference == 0);
		assert_true(float32_difference == 0);
	}
	wide_data = "blobs";
	wide_extra = wide_train = "";
}

static void threads_option_is_checked(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	static const char *const wrong[] = {"0", "-2", "two", "", "1025", "3x"};
	static const char *const commands[][2] = {{"run", "spec.yaml"}, {"sweep", "sweep.yaml"}};
	for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++)
		for (int c = 0; c < 2; c++) {
			struct command_result r;
			char expected[128];
			snprintf(expected, sizeof expected,
				 "gtrack %s: --threads expects 1 to 1024, got '%s'\n", commands[c][0],
				 wrong[i]);
			GTRACK(&r, dir, commands[c][0], commands[c][1], "--threads", wrong[i]);
			assert_int_equal(r.exit_code, 2);
			assert_contains(r.err, expected);
			command_result_free(&r);
		}
}

/* The version of VECTOR_CLONES functions this machine runs, from what the kernel says
 * of the CPU: the clones' list is avx512f, then avx2, then default. */
static const char *expected_vector_isa(void)
{
	if (!HAVE_VECTOR_CLONES)
		return "default";
	FILE *file = fopen("/proc/cpuinfo", "r");
	assert_non_null(file);
	char line[8192] = " ";
	while (fgets(line + 1, (int)sizeof line - 2, file) && strncmp(line + 1, "flags", 5))
		;
	fclose(file);
	assert_int_equal(strncmp(line + 1, "flags", 5), 0);
	line[strcspn(line, "\n")] = ' ';
	return strstr(line, " avx512f ") ? "avx512f" : strstr(line, " avx2 ") ? "avx2" : "default";
}

/* Runs gtrack with argv in dir, expecting exit 0, and whether it warned that threads
 * would take turns on the cores. */
static bool warns_of_more_threads_than_cores(const char *dir, const char *const *argv)
{
	struct command_result r;
	run_gtrack(&r, dir, NULL, argv);
	if (r.exit_code)
		fail_msg("exit %d: %s", r.exit_code, r.err);
	bool warned = strstr(r.err, " would take turns on them, which slows training") != NULL;
	command_result_free(&r);
	return warned;
}

/* What a run's last bits depend on besides spec, seed and data is stored with it: the
 * thread count its steps ran on, the version of the vectorised loops this machine runs
 * and the BLAS build (README: Threads); gtrack show says them, escaped, and nothing for
 * a run recorded before. A count above the usable cores, given as an option or a
 * variable, or by the runs of a sweep together, runs with a warning. */
static void each_run_records_its_threads_and_loops(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "spec.yaml", "model: {depth: 2, width: 8}\ntrain: {steps: 2}\n"));
	free(test_write_file(dir, "sweep.yaml", "base: spec.yaml\ngrid: {seed: [1, 2]}\n"));
	int cores = blas_threads_cores();
	char cores_text[16], more[16];
	snprintf(cores_text, sizeof cores_text, "%d", cores);
	snprintf(more, sizeof more, "%d", cores + 1);
	assert_false(warns_of_more_threads_than_cores(
		dir, (const char *const[]){"run", "spec.yaml", "--db", "t.db", "--threads", "1",
					   "--quiet", NULL}));
	assert_true(warns_of_more_threads_than_cores(
		dir, (const char *const[]){"run", "spec.yaml", "--db", "t.db", "--threads", more,
					   "--quiet", NULL}));
	assert_false(warns_of_more_threads_than_cores(
		dir, (const char *const[]){"run", "spec.yaml", "--db", "t.db", "--threads",
					   cores_text, "--quiet", NULL}));
	setenv("OMP_NUM_THREADS", more, 1);
	assert_true(warns_of_more_threads_than_cores(
		dir, (const char *const[]){"run", "spec.yaml", "--db", "t.db", "--quiet", NULL}));
	unsetenv("OMP_NUM_THREADS");
	/* two runs at once with the cores each: twice the cores */
	assert_true(warns_of_more_threads_than_cores(
		dir, (const char *const[]){"sweep", "sweep.yaml", "--db", "sweep.db", "-j", "2",
					   "--threads", cores_text, "--quiet", NULL}));

	char path[1024], sql[512];
	snprintf(path, sizeof path, "%s/t.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "SELECT group_concat(threads) FROM runs ORDER BY id");
	char *threads = query_text(db, sql), expected[64];
	snprintf(expected, sizeof expected, "1,%d,%d,%d", cores + 1, cores, cores + 1);
	assert_string_equal(threads, expected);
	free(threads);
	sqlite3_stmt *statement;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM runs WHERE vector_isa = ?"
						" AND blas LIKE 'OpenBLAS %'",
					    -1, &statement, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(statement, 1, expected_vector_isa(), -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(statement, 0), 4);
	sqlite3_finalize(statement);
	/* a run from before schema 12, and one from a database from elsewhere */
	assert_int_equal(sqlite3_exec(db, "UPDATE runs SET threads = NULL, vector_isa = NULL,"
					  " blas = NULL WHERE id = 1; UPDATE runs SET blas ="
					  " 'x' || char(27) || ']0;owned' || char(7) || char(10) ||"
					  " 'line' WHERE id = 3",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	struct command_result r;
	GTRACK(&r, dir, "show", "1", "--db", "t.db");
	assert_int_equal(r.exit_code, 0);
	assert_lacks(r.out, "\nthreads ");
	command_result_free(&r);
	GTRACK(&r, dir, "show", "3", "--db", "t.db");
	snprintf(expected, sizeof expected, "\nthreads %d, vector_isa %s, blas x", cores,
		 expected_vector_isa());
	assert_contains(r.out, expected);
	assert_lacks(r.out, "\033");
	assert_lacks(r.out, "\a");
	command_result_free(&r);

	snprintf(path, sizeof path, "%s/sweep.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE threads = %d", cores);
	assert_int_equal(query_int(db, sql), 2); /* each worker's count */
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(summary_ratio_is_the_ratio_of_the_stored_norms),
		cmocka_unit_test(diverging_step_has_no_update_ratio),
		cmocka_unit_test(run_that_diverges_at_step_0),
		cmocka_unit_test(norm_layer_gradient_columns),
		cmocka_unit_test(refused_write_ends_the_run_as_failed),
		cmocka_unit_test(thread_count_and_results),
		cmocka_unit_test(threads_option_is_checked),
		cmocka_unit_test(each_run_records_its_threads_and_loops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
