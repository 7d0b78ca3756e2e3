/* The gtrack binary as users run it: runs recorded in SQLite and checked with SQL,
 * determinism, the seed's claims on the shipped experiments, divergence, Ctrl-C, bad
 * input and exit codes, ls, show and help. */
#include "support/test_support.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/file.h"

static const char small_spec[] =
	"name: small\n"
	"data: {kind: blobs, samples: 256, features: 6, classes: 3}\n"
	"model: {depth: 3, width: 8, activation: tanh}\n"
	"train: {steps: 10, batch_size: 16}\n"
	"log: {every: 3}\n";

static sqlite3 *open_db(const char *dir, const char *name)
{
	char path[1024];
	sqlite3 *db;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static void run_records_every_logged_step_and_layer(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	struct command_result r;
	GTRACK(&r, dir, "run", "small.yaml", "--db", "t.db", "--quiet");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "run 1 small: finished, 10/10 steps in ");
	assert_string_equal(r.err, ""); /* no progress bar when not on a terminal */
	command_result_free(&r);

	sqlite3 *db = open_db(dir, "t.db");
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE status = 'finished' AND"
				       " steps_done = 10 AND depth = 3 AND activation = 'tanh' AND"
				       " finished_at IS NOT NULL"),
			 1);
	/* steps 0, 3, 6 and 9 (the last), four layers each */
	assert_int_equal(query_int(db, "SELECT count(DISTINCT step) FROM layer_stats WHERE"
				       " run_id = 1"),
			 4);
	char *steps = query_text(db, "SELECT group_concat(step, ',') FROM (SELECT step FROM steps"
				     " WHERE run_id = 1 ORDER BY step)");
	assert_string_equal(steps, "0,3,6,9");
	free(steps);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE run_id = 1 AND"
				       " weight_grad_norm > 0 AND bias_grad_norm > 0 AND"
				       " delta_norm > 0 AND weight_norm > 0"),
			 16);
	char *kinds = query_text(db, "SELECT group_concat(kind || ':' || fan_in || 'x' || fan_out,"
				     " ' ') FROM (SELECT * FROM layers WHERE run_id = 1 ORDER BY"
				     " layer)");
	assert_string_equal(kinds, "hidden:6x8 hidden:8x8 hidden:8x8 output:8x3");
	free(kinds);
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps WHERE run_id = 1 AND loss > 0"
				       " AND grad_norm > 0 AND lr = 0.1 AND accuracy BETWEEN 0 AND 1"),
			 4);
	sqlite3_close(db);
}

/* Two runs of one spec agree bit for bit, in both dtypes. */
static void same_spec_and_seed_give_identical_numbers(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	struct command_result r;
	for (int i = 0; i < 2; i++) {
		GTRACK(&r, dir, "run", "small.yaml", "--db", "t.db", "--set", "log.every=1");
		assert_int_equal(r.exit_code, 0);
		command_result_free(&r);
		GTRACK(&r, dir, "run", "small.yaml", "--db", "t.db", "--set", "log.every=1", "--set",
		       "train.dtype=float64");
		assert_int_equal(r.exit_code, 0);
		command_result_free(&r);
	}
	sqlite3 *db = open_db(dir, "t.db");
	for (int first = 1; first <= 2; first++) {
		char sql[1024];
		snprintf(sql, sizeof sql,
			 "SELECT count(*), sum(a.weight_grad_norm IS NOT b.weight_grad_norm OR"
			 " a.bias_grad_norm IS NOT b.bias_grad_norm OR a.delta_norm IS NOT"
			 " b.delta_norm OR a.weight_norm IS NOT b.weight_norm)"
			 " FROM layer_stats a JOIN layer_stats b USING (step, layer)"
			 " WHERE a.run_id = %d AND b.run_id = %d",
			 first, first + 2);
		assert_int_equal(query_int(db, sql), 40);
		snprintf(sql, sizeof sql,
			 "SELECT sum(a.weight_grad_norm IS NOT b.weight_grad_norm OR"
			 " a.bias_grad_norm IS NOT b.bias_grad_norm OR a.delta_norm IS NOT"
			 " b.delta_norm OR a.weight_norm IS NOT b.weight_norm)"
			 " FROM layer_stats a JOIN layer_stats b USING (step, layer)"
			 " WHERE a.run_id = %d AND b.run_id = %d",
			 first, first + 2);
		assert_int_equal(query_int(db, sql), 0);
		snprintf(sql, sizeof sql,
			 "SELECT sum(a.loss IS NOT b.loss) FROM steps a JOIN steps b USING (step)"
			 " WHERE a.run_id = %d AND b.run_id = %d", first, first + 2);
		assert_int_equal(query_int(db, sql), 0);
	}
	/* float32 and float64 are different computations, close but not identical */
	assert_true(query_int(db, "SELECT count(*) FROM layer_stats a JOIN layer_stats b USING"
				  " (step, layer) WHERE a.run_id = 1 AND b.run_id = 2 AND"
				  " a.delta_norm != b.delta_norm") > 0);
	assert_true(query_double(db, "SELECT max(abs(a.delta_norm - b.delta_norm) / b.delta_norm)"
				     " FROM layer_stats a JOIN layer_stats b USING (step, layer)"
				     " WHERE a.run_id = 1 AND b.run_id = 2") < 1e-3);
	assert_int_equal(query_int(db, "SELECT count(DISTINCT spec_hash) FROM runs"), 2);
	sqlite3_close(db);
}

/* Runs an experiment for `steps` steps into dir/e.db and returns the exit code. */
static int run_experiment(const char *dir, const char *name, const char *steps)
{
	char path[1024], set_steps[64];
	snprintf(path, sizeof path, "%s/%s", EXPERIMENTS_DIR, name);
	snprintf(set_steps, sizeof set_steps, "train.steps=%s", steps);
	struct command_result r;
	GTRACK(&r, dir, "run", path, "--db", "e.db", "--set", set_steps);
	int code = r.exit_code;
	if (code != 0 && code != 5)
		fprintf(stderr, "%s: %s\n", name, r.err);
	command_result_free(&r);
	return code;
}

static double ratio_at_step_0(sqlite3 *db, const char *name, const char *column)
{
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT %s FROM grad_ratio JOIN runs ON runs.id = run_id WHERE name = '%s' AND"
		 " step = 0", column, name);
	return query_double(db, sql);
}

static void experiments_show_the_seed_claims(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	assert_int_equal(run_experiment(dir, "sigmoid-10.yaml", "1"), 0);
	assert_int_equal(run_experiment(dir, "relu-he-10.yaml", "1"), 0);
	assert_int_equal(run_experiment(dir, "sigmoid-30.yaml", "1"), 0);
	assert_int_equal(run_experiment(dir, "sigmoid-30-residual.yaml", "1"), 0);
	assert_int_equal(run_experiment(dir, "shallow-5.yaml", "1"), 0);
	sqlite3 *db = open_db(dir, "e.db");

	/* sigmoid: every layer's delta is smaller than the next layer's, at initialisation */
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats a JOIN layer_stats b ON"
				       " b.run_id = a.run_id AND b.step = a.step AND b.layer ="
				       " a.layer + 1 WHERE a.run_id = 1 AND a.step = 0 AND"
				       " a.delta_norm >= b.delta_norm"),
			 0);
	double sigmoid_10 = ratio_at_step_0(db, "sigmoid-10", "weight_grad_ratio");
	double relu_10 = ratio_at_step_0(db, "relu-he-10", "weight_grad_ratio");
	double sigmoid_30 = ratio_at_step_0(db, "sigmoid-30", "weight_grad_ratio");
	double residual_30 = ratio_at_step_0(db, "sigmoid-30-residual", "weight_grad_ratio");
	double shallow_5 = ratio_at_step_0(db, "shallow-5", "weight_grad_ratio");
	assert_true(sigmoid_10 < 1e-4);
	assert_true(relu_10 > 0.05 && relu_10 < 20);
	/* tiny norms are recorded, not rounded to zero */
	assert_true(sigmoid_30 > 0 && sigmoid_30 < 1e-12);
	assert_true(query_double(db, "SELECT min(weight_grad_norm) FROM layer_stats JOIN runs ON"
				     " runs.id = run_id WHERE name = 'sigmoid-30'") > 0);
	/* residual connections carry the gradient to layer 0 */
	assert_true(residual_30 > 1e-3);
	/* shallow networks are little affected, compared with deep ones */
	assert_true(shallow_5 > 100 * sigmoid_10);
	sqlite3_close(db);
}

static void exploding_run_ends_diverged_and_keeps_its_rows(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	assert_int_equal(run_experiment(dir, "exploding.yaml", "50"), 5);
	sqlite3 *db = open_db(dir, "e.db");
	char *message = query_text(db, "SELECT status || ': ' || message FROM runs");
	assert_contains(message, "diverged: non-finite");
	assert_contains(message, " at step ");
	free(message);
	/* delta grows from the output toward layer 0 at initialisation */
	assert_true(query_double(db, "SELECT delta_ratio FROM grad_ratio WHERE step = 0") > 1e3);
	long long last = query_int(db, "SELECT max(step) FROM steps");
	assert_int_equal(query_int(db, "SELECT steps_done - 1 FROM runs"), last);
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps"), last + 1);
	sqlite3_close(db);
}

static void interrupted_run_is_killed_and_keeps_what_it_logged(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "long.yaml", small_spec));
	/* wait until some steps are committed, then press Ctrl-C */
	long long logged = 0;
	pid_t pid = start_long_run(dir, "long.yaml", "k.db", 10, &logged);
	kill(pid, SIGINT);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 130);

	sqlite3 *db = open_db(dir, "k.db");
	char *message = query_text(db, "SELECT status || ': ' || message FROM runs");
	assert_contains(message, "killed: interrupted before step ");
	free(message);
	long long done = query_int(db, "SELECT steps_done FROM runs");
	assert_true(done >= logged);
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps"), (done + 2) / 3);
	sqlite3_close(db);
}

static void bad_input_gets_a_clear_error_and_an_exit_code(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	free(test_write_file(dir, "bad.yaml", "model:\n  depth: ten\n"));
	struct command_result r;
	GTRACK(&r, dir, "run", "small.yaml", "--db", "t.db");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/t.db", dir);
	uint64_t before = file_fingerprint(path);

	/* specs are all checked before anything runs: the good one is not run either */
	GTRACK(&r, dir, "run", "small.yaml", "bad.yaml", "--db", "t.db");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "gtrack: bad.yaml:2:10: model.depth: expected an integer from 1 to "
			       "2147483647, found 'ten'");
	command_result_free(&r);
	GTRACK(&r, dir, "run", "small.yaml", "--db", "t.db", "--set", "model.width=-3");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "--set model.width=-3: model.width: expected an integer");
	command_result_free(&r);
	GTRACK(&r, dir, "run", "missing.yaml", "--db", "t.db");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "cannot open spec 'missing.yaml': No such file or directory");
	command_result_free(&r);
	assert_true(file_fingerprint(path) == before);

	GTRACK(&r, dir, "run");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "gtrack run: expected at least one SPEC file");
	command_result_free(&r);
	GTRACK(&r, dir, "frobnicate");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "'frobnicate' is not a command");
	command_result_free(&r);
	GTRACK(&r, dir, "ls", "--db", "t.db", "--bogus");
	assert_int_equal(r.exit_code, 2);
	command_result_free(&r);

	free(test_write_file(dir, "notes.db", "not a database at all, but my notes\n"));
	snprintf(path, sizeof path, "%s/notes.db", dir);
	before = file_fingerprint(path);
	GTRACK(&r, dir, "run", "small.yaml", "--db", "notes.db");
	assert_int_equal(r.exit_code, 4);
	assert_contains(r.err, "'notes.db' is not a gtrack database");
	command_result_free(&r);
	assert_true(file_fingerprint(path) == before);
	/* every reader says so once (ls first probes for an empty file, quietly) */
	static const char *const readers[][5] = {{"ls", "--db", "notes.db", NULL},
						  {"show", "1", "--db", "notes.db"},
						  {"report", "--db", "notes.db", NULL}};
	for (int i = 0; i < 3; i++) {
		run_gtrack(&r, dir, NULL, readers[i]);
		assert_int_equal(r.exit_code, 4);
		const char *first = strstr(r.err, "is not a gtrack database");
		assert_non_null(first);
		assert_null(strstr(first + 1, "is not a gtrack database"));
		command_result_free(&r);
	}
	assert_true(file_fingerprint(path) == before);

	GTRACK(&r, dir, "ls", "--db", "absent.db");
	assert_int_equal(r.exit_code, 4);
	assert_contains(r.err, "no database at 'absent.db'");
	command_result_free(&r);
}

/* A wrong option says which word was wrong and why, once, as a usage error. */
static void wrong_options_are_named(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	static const struct {
		const char *command, *option, *message;
	} cases[] = {
		{"run", "--set", "gtrack run: option '--set' needs a value\nTry 'gtrack run --help'.\n"},
		{"run", "--bogus=3", "gtrack run: unknown option '--bogus'\n"},
		{"sweep", "-j", "gtrack sweep: option '-j' needs a value\n"},
		{"sweep", "-x", "gtrack sweep: unknown option '-x'\n"},
		{"ls", "--db", "gtrack ls: option '--db' needs a value\n"},
		{"report", "--o\x1b[2J", "gtrack report: unknown option '--o\\x1b[2J'\n"},
	};
	struct command_result r;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		GTRACK(&r, dir, cases[i].command, "x.yaml", cases[i].option);
		assert_int_equal(r.exit_code, 2);
		assert_contains(r.err, cases[i].message);
		assert_lacks(r.err, "requires an argument"); /* getopt's own, second message */
		assert_lacks(r.err, "unrecognized option");
		command_result_free(&r);
	}
}

static void ls_and_show_present_the_runs(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	struct command_result r;
	run_gtrack(&r, dir, "env.db", (const char *const[]){"run", "small.yaml", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/env.db", dir); /* GTRACK_DB chose the file */
	assert_true(file_exists(path));

	run_gtrack(&r, dir, "env.db", (const char *const[]){"ls", NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "id  name                 seed status    activation depth width residual");
	assert_contains(r.out, "   1  small                   1 finished  tanh           3     8 no      ");
	assert_contains(r.out, "10/10");
	command_result_free(&r);

	/* a 1e8-step run keeps ls's columns: the counts are compact above a million */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE runs SET steps_done = 1234567, steps = 100000000",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	run_gtrack(&r, dir, "env.db", (const char *const[]){"ls", NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "   1.23M/100M  ");
	command_result_free(&r);

	run_gtrack(&r, dir, "env.db", (const char *const[]){"show", "small", NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "run 1: small (finished)");
	assert_contains(r.out, "  model: {depth: 3, width: 8, activation: tanh}");
	assert_contains(r.out, "step 0");
	assert_contains(r.out, "step 9");
	assert_contains(r.out, "    3  output       8       3");
	assert_contains(r.out, "ratio         layer 0 / output");
	command_result_free(&r);

	run_gtrack(&r, dir, "env.db", (const char *const[]){"show", "99", NULL});
	assert_int_equal(r.exit_code, 6);
	assert_contains(r.err, "no run with id or name '99'");
	command_result_free(&r);

	/* the residual column names the setup as the reports do */
	static const struct {
		const char *set, *shown;
	} setups[] = {
		{"residual = 1, residual_alpha = 1, residual_form = 'pre', residual_block = 2,"
		 " residual_learn_alpha = 0, residual_init = 'zero_last'", " pre k=2 zero_last  "},
		{"residual_learn_alpha = 1, residual_alpha = 0, residual_init = 'default'",
		 " rezero k=2         "},
		{"residual_learn_alpha = 0, residual_alpha = 0.5, residual_form = 'branch',"
		 " residual_block = 1", " branch k=1 a=0.5   "},
		{"residual_form = NULL, residual_block = NULL, residual_alpha = 1,"
		 " residual_init = NULL", " branch k=1         "}, /* recorded before schema 10 */
	};
	for (size_t i = 0; i < sizeof setups / sizeof *setups; i++) {
		char sql[512];
		snprintf(sql, sizeof sql, "UPDATE runs SET %s", setups[i].set);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		run_gtrack(&r, dir, "env.db", (const char *const[]){"ls", NULL});
		assert_int_equal(r.exit_code, 0);
		assert_contains(r.out, setups[i].shown);
		command_result_free(&r);
	}
}

static void export_writes_safetensors_batches_and_csv(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	struct command_result r;
	GTRACK(&r, dir, "run", "small.yaml", "--db", "x.db", "--set", "log.checkpoints=[0, final]");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	GTRACK(&r, dir, "export", "small", "--db", "x.db", "--step", "0", "-o", "w.safetensors");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "w.safetensors: run 1, step 0, 4 layers (float32)");
	command_result_free(&r);

	char path[1024];
	snprintf(path, sizeof path, "%s/w.safetensors", dir);
	size_t length = 0;
	char *file = file_read_text(path, "file", 1 << 24, &length);
	assert_non_null(file);
	uint64_t header;
	memcpy(&header, file, 8);
	assert_true(header % 8 == 0 && 8 + header < length);
	char *json = strndup(file + 8, header);
	assert_contains(json, "\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[8,6],"
			      "\"data_offsets\":[0,192]}");
	assert_contains(json, "\"layers.3.bias\":{\"dtype\":\"F32\",\"shape\":[3],");
	free(json);
	/* the bytes are the stored checkpoint */
	sqlite3 *db = open_db(dir, "x.db");
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT weight FROM checkpoints WHERE step = 0 AND"
						" layer = 0", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), 192);
	assert_memory_equal(file + 8 + header, sqlite3_column_blob(s, 0), 192);
	sqlite3_finalize(s);
	assert_int_equal(query_int(db, "SELECT count(DISTINCT step) || count(*) FROM checkpoints"),
			 28); /* steps 0 and 10 (final), 4 layers each */
	sqlite3_close(db);
	free(file);

	GTRACK(&r, dir, "export", "1", "--db", "x.db", "--batches", "2", "-o", "b.safetensors");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/b.safetensors", dir);
	file = file_read_text(path, "file", 1 << 24, &length);
	assert_non_null(file);
	memcpy(&header, file, 8);
	json = strndup(file + 8, header);
	assert_contains(json, "\"batch.1.inputs\":{\"dtype\":\"F32\",\"shape\":[16,6],");
	assert_contains(json, "\"batch.1.labels\":{\"dtype\":\"I64\",\"shape\":[16],");
	free(json);
	free(file);

	GTRACK(&r, dir, "export", "1", "--db", "x.db", "--format", "csv");
	assert_int_equal(r.exit_code, 0);
	/* every column of layer_stats, then the step's loss */
	assert_contains(r.out, "run_id,step,layer,weight_grad_norm,bias_grad_norm,delta_norm,"
			       "weight_norm,weight_grad_norm_clipped,bias_grad_norm_clipped,"
			       "dead_fraction,saturated_fraction,zero_grad_fraction,update_ratio,"
			       "norm_weight_grad_norm,norm_bias_grad_norm,loss\n1,0,0,");
	command_result_free(&r);
	/* a column a database from elsewhere added, named to break CSV and SQL */
	snprintf(path, sizeof path, "%s/x.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE layer_stats ADD COLUMN \"a,\"\"b\" TEXT;"
					  " UPDATE layer_stats SET \"a,\"\"b\" = 'x\"y,z'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	GTRACK(&r, dir, "export", "1", "--db", "x.db", "--format", "csv");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, ",norm_bias_grad_norm,\"a,\"\"b\",loss\n1,0,0,");
	assert_contains(r.out, ",\"x\"\"y,z\",");
	command_result_free(&r);

	GTRACK(&r, dir, "run", "small.yaml", "--db", "x.db", "--quiet");
	command_result_free(&r);
	GTRACK(&r, dir, "export", "2", "--db", "x.db", "-o", "none.safetensors");
	assert_int_equal(r.exit_code, 6);
	assert_contains(r.err, "run 2 has no checkpoints; set log.checkpoints");
	command_result_free(&r);
	GTRACK(&r, dir, "export", "nosuch", "--db", "x.db", "-o", "none.safetensors");
	assert_int_equal(r.exit_code, 6);
	assert_contains(r.err, "no run with id or name 'nosuch' (see 'gtrack ls')");
	command_result_free(&r);
	/* a stored spec that no longer parses is named as the run's */
	snprintf(path, sizeof path, "%s/x.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE runs SET resolved_spec = 'model: {depth: zero}'"
					  " WHERE id = 1",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	GTRACK(&r, dir, "export", "1", "--db", "x.db", "--batches", "1", "-o", "b.safetensors");
	assert_int_equal(r.exit_code, 4);
	assert_contains(r.err, "gtrack: run 1's spec:1:16: model.depth: expected an integer");
	command_result_free(&r);
}

static void every_command_has_help(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	static const char *const commands[] = {"run", "ls", "show", "help", "report", "sweep",
					       "merge", "export"};
	struct command_result r;
	for (int i = 0; i < 8; i++) {
		GTRACK(&r, dir, commands[i], "--help");
		assert_int_equal(r.exit_code, 0);
		char expected[64];
		snprintf(expected, sizeof expected, "usage: gtrack %s", commands[i]);
		assert_contains(r.out, expected);
		command_result_free(&r);
	}
	GTRACK(&r, dir, "help", "spec");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "model.depth: an integer from 1 to 2147483647 (default: 10)");
	assert_contains(r.out, "model.residual.alpha: a finite number (default: 1.0)");
	/* experiments/README.md carries the same reference */
	char path[1024];
	snprintf(path, sizeof path, "%s/README.md", EXPERIMENTS_DIR);
	FILE *file = fopen(path, "r");
	assert_non_null(file);
	static char readme[65536];
	size_t length = fread(readme, 1, sizeof readme - 1, file);
	readme[length] = '\0';
	fclose(file);
	const char *reference = strstr(r.out, "\n\n");
	assert_non_null(reference);
	if (!strstr(readme, reference + 2))
		fail_msg("experiments/README.md is out of date: run scripts/update-spec-reference.sh");
	command_result_free(&r);
	GTRACK(&r, dir, "help");
	assert_contains(r.out, "exit codes:");
	command_result_free(&r);
	GTRACK(&r, dir, "--version");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "gtrack 0.");
	command_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run_records_every_logged_step_and_layer),
		cmocka_unit_test(same_spec_and_seed_give_identical_numbers),
		cmocka_unit_test(experiments_show_the_seed_claims),
		cmocka_unit_test(exploding_run_ends_diverged_and_keeps_its_rows),
		cmocka_unit_test(interrupted_run_is_killed_and_keeps_what_it_logged),
		cmocka_unit_test(bad_input_gets_a_clear_error_and_an_exit_code),
		cmocka_unit_test(wrong_options_are_named),
		cmocka_unit_test(ls_and_show_present_the_runs),
		cmocka_unit_test(export_writes_safetensors_batches_and_csv),
		cmocka_unit_test(every_command_has_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
