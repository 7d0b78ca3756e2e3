/* gtrack report on a fixture database with fixed numbers: scripts equal the golden
 * files, data blocks equal the SQL query results, every script renders with the real
 * gnuplot without a warning, and selections fail with clear messages. */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "report/figure.h"
#include "report/report.h"
#include "util/file.h"
#include "util/strbuf.h"

static char *read_file(const char *path)
{
	return file_read_text(path, "file", 1u << 30, NULL);
}

/* A directory holding fixture.db made of the fixture file `sql` (tests/fixtures). */
static const char *fixture_dir_from(const char *sql_file)
{
	const char *dir = test_temp_dir();
	char path[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	snprintf(path, sizeof path, "%s/%s", FIXTURES_DIR, sql_file);
	char *sql = read_file(path);
	assert_non_null(sql);
	char *message = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("%s: %s", sql_file, message);
	free(sql);
	db_close(db);
	return dir;
}

/* fixture_dir_from(sql_file), with the statements of amendment run on its database. */
static const char *fixture_dir_amended(const char *sql_file, const char *amendment)
{
	const char *dir = fixture_dir_from(sql_file);
	char path[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	if (sqlite3_exec(db, amendment, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql_file, sqlite3_errmsg(db));
	db_close(db);
	return dir;
}

/* A directory holding fixture.db: gtrack's schema with tests/fixtures/report.sql. */
static const char *fixture_dir(void)
{
	return fixture_dir_from("report.sql");
}

#define REPORT(result, dir, ...)                                                           \
	run_gtrack(result, dir, NULL,                                                       \
		   (const char *const[]){"report", "--db", "fixture.db", __VA_ARGS__, NULL})

static const char *const expected_scripts[] = {
	"profile-weight_grad-1.gp", "profile-delta-1.gp", "heatmap-run1.gp", "heatmap-run2.gp",
	"heatmap-run3.gp",          "heatmap-run4.gp",    "loss-1.gp",       "depth-1.gp",
	"residual-1.gp",
};
#define SCRIPT_COUNT (sizeof expected_scripts / sizeof *expected_scripts)

/* Golden files: the scripts from the third line on (the first two name the version). Set
 * GTRACK_UPDATE_GOLDEN=1 to rewrite them after an intended change. */
/* Each of scripts, in dir/out, equals tests/golden/golden_dir/ from its third line on
 * (the first two name the version). */
static void assert_golden(const char *dir, const char *out, const char *golden_dir,
			  const char *const *scripts, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		char path[1024], golden_path[1024];
		snprintf(path, sizeof path, "%s/%s/%s", dir, out, scripts[i]);
		snprintf(golden_path, sizeof golden_path, "%s/%s/%s", GOLDEN_DIR, golden_dir,
			 scripts[i]);
		char *script = read_file(path);
		if (!script)
			fail_msg("%s was not written", scripts[i]);
		const char *body = strchr(strchr(script, '\n') + 1, '\n') + 1;
		if (getenv("GTRACK_UPDATE_GOLDEN")) {
			FILE *file = fopen(golden_path, "w");
			assert_non_null(file);
			fputs(body, file);
			fclose(file);
		}
		char *golden = read_file(golden_path);
		if (!golden)
			fail_msg("no golden file %s", golden_path);
		if (strcmp(body, golden))
			fail_msg("%s differs from tests/golden/%s/%s (GTRACK_UPDATE_GOLDEN=1 "
				 "rewrites it)", scripts[i], golden_dir, scripts[i]);
		assert_null(strstr(body, "@")); /* every placeholder was filled */
		free(script);
		free(golden);
	}
}

static void scripts_match_the_golden_files(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "report: 4 runs, 9 figures in out/");
	command_result_free(&r);
	assert_golden(dir, "out", "report", expected_scripts, SCRIPT_COUNT);
}

/* Parses "$name << EOD" ... "EOD" from script into rows of numbers. */
static int data_block(const char *script, const char *name, double rows[][3], int columns)
{
	char header[128];
	snprintf(header, sizeof header, "$%s << EOD\n", name);
	const char *at = strstr(script, header);
	if (!at)
		fail_msg("no data block %s", name);
	at += strlen(header);
	int count = 0;
	while (strncmp(at, "EOD", 3)) {
		char *end;
		for (int c = 0; c < columns; c++) {
			rows[count][c] = strtod(at, &end);
			at = end;
		}
		at = strchr(at, '\n') + 1;
		count++;
	}
	return count;
}

static void assert_same(double block, sqlite3_stmt *s, int column)
{
	if (sqlite3_column_type(s, column) == SQLITE_NULL)
		assert_true(isnan(block));
	else if (!(block == sqlite3_column_double(s, column)))
		fail_msg("data block has %.17g, the database %.17g", block,
			 sqlite3_column_double(s, column));
}

static void data_blocks_equal_the_database(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/out/profile-weight_grad-1.gp", dir);
	char *profile = read_file(path);
	snprintf(path, sizeof path, "%s/out/loss-1.gp", dir);
	char *loss = read_file(path);
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);

	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT layer, weight_grad_norm, delta_norm FROM"
						" layer_stats WHERE run_id = ? AND step = ?"
						" ORDER BY layer", -1, &s, NULL),
			 SQLITE_OK);
	int checked = 0;
	for (int run = 1; run <= 4; run++) {
		for (int later = 0; later < 2; later++) {
			char name[32];
			double rows[16][3];
			snprintf(name, sizeof name, "run%d_%s", run, later ? "later" : "first");
			int count = data_block(profile, name, rows, 3);
			sqlite3_reset(s);
			sqlite3_bind_int(s, 1, run);
			sqlite3_bind_int(s, 2, later ? 2 : 0);
			for (int row = 0; row < count; row++, checked++) {
				assert_int_equal(sqlite3_step(s), SQLITE_ROW);
				for (int c = 0; c < 3; c++)
					assert_same(rows[row][c], s, c);
			}
			assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		}
	}
	assert_int_equal(checked, 2 * (3 + 3 + 3 + 4));
	sqlite3_finalize(s);

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT step, loss FROM steps WHERE run_id = ?"
						" ORDER BY step", -1, &s, NULL),
			 SQLITE_OK);
	for (int run = 1; run <= 4; run++) {
		char name[32];
		double rows[16][3];
		snprintf(name, sizeof name, "loss%d", run);
		int count = data_block(loss, name, rows, 2);
		assert_int_equal(count, 3);
		sqlite3_reset(s);
		sqlite3_bind_int(s, 1, run);
		for (int row = 0; row < count; row++) {
			assert_int_equal(sqlite3_step(s), SQLITE_ROW);
			assert_same(rows[row][0], s, 0);
			assert_same(rows[row][1], s, 1);
		}
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(profile);
	free(loss);
}

static bool gnuplot_available(void)
{
	return system("command -v gnuplot > /dev/null 2>&1") == 0;
}

/* Where gnuplot is installed: the report of runs (a --runs list; NULL: all) renders,
 * and gnuplot says nothing. */
static void renders_quietly(const char *dir, const char *runs)
{
	if (!gnuplot_available())
		return;
	struct command_result r;
	if (runs)
		REPORT(&r, dir, "--out", "rendered", "--runs", runs);
	else
		REPORT(&r, dir, "--out", "rendered");
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.err, ""); /* gnuplot said nothing */
	assert_contains(r.out, "figures rendered");
	command_result_free(&r);
}

static void every_script_renders_without_warnings(void **state)
{
	(void)state;
	if (!gnuplot_available()) {
		print_message("gnuplot is not installed: rendering not tested\n");
		skip();
	}
	static const struct {
		const char *format, *magic;
	} formats[] = {{"png", "\x89PNG"}, {"svg", "<?xml"}, {"pdf", "%PDF"}};
	for (size_t f = 0; f < 3; f++) {
		const char *dir = fixture_dir();
		struct command_result r;
		REPORT(&r, dir, "--format", formats[f].format);
		assert_int_equal(r.exit_code, 0);
		if (r.err[0])
			fail_msg("%s: gnuplot said: %s", formats[f].format, r.err);
		assert_contains(r.out, "9 figures rendered in report/");
		command_result_free(&r);
		for (size_t i = 0; i < SCRIPT_COUNT; i++) {
			char path[1024];
			snprintf(path, sizeof path, "%s/report/%.*s.%s", dir,
				 (int)(strlen(expected_scripts[i]) - 3), expected_scripts[i],
				 formats[f].format);
			char *image = read_file(path);
			if (!image)
				fail_msg("%s was not rendered", path);
			if (strncmp(image, formats[f].magic, strlen(formats[f].magic)))
				fail_msg("%s is not a %s file", path, formats[f].format);
			free(image);
		}
		char path[1024];
		snprintf(path, sizeof path, "%s/report/index.html", dir);
		char *html = read_file(path);
		assert_non_null(html);
		char image[64];
		snprintf(image, sizeof image, "residual-1.%s", formats[f].format);
		assert_contains(html, image);
		free(html);
	}
}

static void index_tells_the_story_in_numbers(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/report/index.html", dir);
	char *html = read_file(path);
	assert_non_null(html);
	/* the runs table, with status and first/last layer ratios */
	assert_contains(html, "<tr id=\"run-3\"><td><a href=\"#heatmap-run3\">3</a></td>"
			      "<td>relu-plain</td><td>1</td><td>relu</td><td>2</td><td>4</td>"
			      "<td>xavier_normal</td><td>no</td><td>0.1</td><td></td>"
			      "<td class=\"status-diverged\">diverged</td>");
	/* contents: each section and figure, by anchor */
	assert_contains(html, "<li><a href=\"#profiles\">Gradient-flow profiles</a><ul>\n"
			      "<li><a href=\"#profile-weight_grad-1\">Gradient-flow profile "
			      "(weight_grad_norm) of xavier_normal, gain 1.0, w=4, lr=0.1</a></li>");
	assert_contains(html, "<h2 id=\"heatmaps\">Heatmaps</h2>");
	assert_contains(html, "<figure id=\"heatmap-run3\">");
	/* sigmoid plain: 0.5e-2 / 0.5 at step 0 */
	assert_contains(html, "sigmoid d=2 plain: layer 0 gets 0.01 of the output layer's weight "
			      "gradient at initialisation");
	assert_contains(html, "the weight gradient at layer 0 relative to the output layer's at "
			      "initialisation: plain 0.01; residual 0.91.");
	assert_contains(html, "sigmoid plain: 0.01 at depth 2, 0.001 at depth 3; fitted factor per "
			      "layer 0.1.");
	assert_null(strstr(html, "http")); /* opens without a network */
	free(html);
}

/* Inserts run `to`: run `from` with another seed and every number times factor. */
static void copy_run(sqlite3 *db, int from, int to, int seed, double factor)
{
	char sql[4096];
	snprintf(sql, sizeof sql,
		 "INSERT INTO runs (id, name, status, spec, resolved_spec,"
		 " spec_hash, seed, started_at, activation, depth, width, init,"
		 " init_gain, init_bias, residual, optimizer, lr, momentum,"
		 " batch_size, steps, loss_fn, dataset, samples, features, outputs,"
		 " dtype, log_every, steps_done, final_loss, gtrack_version)"
		 " SELECT %d, name || '-%d', status, spec, resolved_spec, spec_hash,"
		 " %d, started_at, activation, depth, width, init, init_gain,"
		 " init_bias, residual, optimizer, lr, momentum, batch_size, steps,"
		 " loss_fn, dataset, samples, features, outputs, dtype, log_every,"
		 " steps_done, final_loss, gtrack_version FROM runs WHERE id = %d;"
		 "INSERT INTO layers SELECT %d, layer, kind, fan_in, fan_out,"
		 " activation, residual, block FROM layers WHERE run_id = %d;"
		 "INSERT INTO steps (run_id, step, loss, accuracy, grad_norm, lr,"
		 " elapsed_s) SELECT %d, step, %g * loss, accuracy, grad_norm, lr,"
		 " elapsed_s FROM steps WHERE run_id = %d;"
		 "INSERT INTO layer_stats (run_id, step, layer, weight_grad_norm,"
		 " bias_grad_norm, delta_norm, weight_norm) SELECT %d, step, layer,"
		 " %g * weight_grad_norm, %g * bias_grad_norm, %g * delta_norm,"
		 " weight_norm FROM layer_stats WHERE run_id = %d",
		 to, to, seed, from, to, from, to, factor, from, to, factor, factor, factor, from);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("copy_run: %s", sqlite3_errmsg(db));
}

/* Adds to dir/fixture.db run 5 (run 1 again with seed 2 and every norm four times
 * larger) and run 6 (run 5 again: the same spec and seed, the same experiment, not a
 * third seed), then runs the SQL of `amendment` (NULL: none) on it. */
static void add_seeds(const char *dir, const char *amendment)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	copy_run(db, 1, 5, 2, 4);
	copy_run(db, 5, 6, 2, 1);
	if (amendment && sqlite3_exec(db, amendment, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Runs that differ only in seed are one curve: the geometric mean with a min-max band. */
static void seeds_are_aggregated(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	char path[1024];
	add_seeds(dir, NULL);
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--runs", "1,5,3,6");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/report/profile-weight_grad-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	assert_contains(script, "title 'sigmoid (2 seeds) \u00d70.1/layer' noenhanced");
	assert_contains(script, "with filledcurves");
	/* layer 0 at step 0: runs 1 and 5 have 0.005 and 0.02: mean 0.01, band 0.005..0.02 */
	double rows[8][3];
	static char block[64];
	int count = 0;
	const char *at = strstr(script, "$seeds1_first << EOD\n");
	assert_non_null(at);
	at += strlen("$seeds1_first << EOD\n");
	while (strncmp(at, "EOD", 3) && count < 8) {
		char *end;
		strtod(at, &end);
		for (int c = 0; c < 3; c++)
			rows[count][c] = strtod(end, &end);
		at = strchr(at, '\n') + 1;
		count++;
	}
	assert_int_equal(count, 3);
	snprintf(block, sizeof block, "%.6g %.6g %.6g", rows[0][0], rows[0][1], rows[0][2]);
	assert_string_equal(block, "0.01 0.005 0.02");
	free(script);
	/* the depth figure's caption says its point is a mean */
	snprintf(path, sizeof path, "%s/report/index.html", dir);
	char *index = read_file(path);
	assert_non_null(index);
	assert_contains(index, "sigmoid: 0.01 at depth 2 (mean of 2). relu: 0.91 at depth 2.");
	/* a set's loss curve is its first seed's; a single run's is its own */
	assert_contains(index, "sigmoid: final loss 1.1 (finished, first seed). relu [diverged]:"
			       " final loss 1.4 (diverged). ");
	free(index);
	/* the residual figure aggregates seeds like the others */
	REPORT(&r, dir, "--no-render", "--runs", "1,2,5,6", "--out", "residual");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/residual/residual-1.gp", dir);
	script = read_file(path);
	assert_non_null(script);
	assert_contains(script, "$seeds1_first << EOD\n0 0.01 0.0049999999999999992 "
				"0.020000000000000004\n");
	assert_contains(script, "title 'plain (2 seeds) ");
	assert_lacks(script, "run5_first");
	free(script);
}

static void selections_fail_clearly(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--where", "nosuch = 1");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "--where \"nosuch = 1\": no such column: nosuch");
	command_result_free(&r);
	REPORT(&r, dir, "--where", "1); DROP TABLE runs; --");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "--where \"1); DROP TABLE runs; --\": near \")\": syntax error; "
			       "expected a condition on runs columns, e.g.");
	command_result_free(&r);
	REPORT(&r, dir, "--where", "depth > 100");
	assert_int_equal(r.exit_code, 6);
	assert_contains(r.err, "no runs match --where \"depth > 100\"");
	command_result_free(&r);
	REPORT(&r, dir, "--runs", "2,99");
	assert_int_equal(r.exit_code, 6);
	assert_contains(r.err, "--runs: no run with id '99'");
	command_result_free(&r);
	REPORT(&r, dir, "--runs", "sig-nope");
	assert_int_equal(r.exit_code, 6);
	assert_contains(r.err, "--runs: no run named 'sig-nope'");
	command_result_free(&r);
	REPORT(&r, dir, "--compare", "colour");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "--compare: 'colour' is not a hyper-parameter column of runs"
			       " (e.g. activation,");
	command_result_free(&r);
	/* a misspelt field gets the column it is closest to */
	REPORT(&r, dir, "--compare", "depth,actvation");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "--compare: 'actvation' is not a hyper-parameter column of runs"
			       " (did you mean 'activation'?)");
	command_result_free(&r);
	REPORT(&r, dir, "--facet", "dpeth");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "(did you mean 'depth'?)");
	command_result_free(&r);
	REPORT(&r, dir, "--format", "gif");
	assert_int_equal(r.exit_code, 2);
	command_result_free(&r);

	/* the runs table still exists: nothing was executed */
	char path[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 4);
	sqlite3_close(db);
}

/* --where is one self-contained condition: it cannot reach past its parentheses, it
 * only reads, and it has a time limit. */
static void where_stays_a_bounded_condition(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	static const struct {
		const char *where, *message;
	} refused[] = {
		/* would be "(id BETWEEN 1 AND 1) AND (1) OR (1)": every run */
		{"1) OR (1", "--where \"1) OR (1\": near \")\": syntax error; expected a condition "
			     "on runs columns"},
		{"1 OR 1 ORDER BY id", "--where \"1 OR 1 ORDER BY id\": near \"ORDER\": syntax error"},
		{"id IN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3)"
		 " SELECT x FROM c)",
		 "a recursive WITH (it can run forever) is not allowed; expected a condition on runs "
		 "columns"},
		{"(SELECT count(*) FROM pragma_table_info('runs')) > 0",
		 "anything but reading columns is not allowed"},
		/* 4^20 rows: hours without the limit */
		{"(SELECT count(*) FROM runs a, runs b, runs c, runs d, runs e, runs f, runs g,"
		 " runs h, runs i, runs j, runs k, runs l, runs m, runs n, runs o, runs p, runs q,"
		 " runs r, runs s, runs t) > 0",
		 "still running after 5 s, stopped; expected a condition on runs columns"},
		/* one call that would run for minutes between two looks at the clock */
		{"randomblob(1000000000) IS NULL", "string or blob too big"},
		{"name LIKE printf('%.*c', 2000, '%') || 'x'", "LIKE or GLOB pattern too complex"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		REPORT(&r, dir, "--no-render", "--runs", "1", "--where", refused[i].where);
		assert_int_equal(r.exit_code, 2);
		assert_contains(r.err, refused[i].message);
		command_result_free(&r);
	}
	/* reading other tables is a condition too: the runs with a fourth layer */
	REPORT(&r, dir, "--no-render", "--where",
	       "id IN (SELECT run_id FROM layer_stats WHERE layer = 3)");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "report: 1 run,");
	command_result_free(&r);
}

/* "--out r/" prints r/index.html, not r//index.html; a --step past a run's last logged
 * step is said, since its profiles show an earlier step than asked. */
static void paths_and_steps_are_told_straight(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "r//");
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.out, "report: 4 runs, 9 figures in r/ (open r/index.html)\n");
	assert_string_equal(r.err, "");
	command_result_free(&r);
	REPORT(&r, dir, "--no-render", "--runs", "1,2", "--step", "99");
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.err, "gtrack: warning: --step 99 is past the last logged step of "
				   "runs 1 (2), 2 (2); their right-hand profiles show their last "
				   "step\n");
	command_result_free(&r);
	REPORT(&r, dir, "--no-render", "--runs", "1", "--step", "3");
	assert_string_equal(r.err, "gtrack: warning: --step 3 is past the last logged step of "
				   "run 1 (2); its right-hand profiles show its last step\n");
	command_result_free(&r);
	REPORT(&r, dir, "--no-render", "--step", "2");
	assert_string_equal(r.err, "");
	command_result_free(&r);
	/* a sweep's runs: six named, the rest counted with their last steps */
	const char *sweep = fixture_dir_from("report_sweep.sql");
	REPORT(&r, sweep, "--no-render", "--step", "99");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.err, "--step 99 is past the last logged step of runs 1 (4), 2 (4), "
			       "3 (4), 4 (4), 5 (4), 6 (4) and 66 more (");
	assert_int_equal(strchr(r.err, '\n') - r.err, (long)strlen(r.err) - 1); /* one line */
	assert_true(strlen(r.err) < 200);
	command_result_free(&r);
}

static void selections_and_compare_shape_the_figures(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	/* ids, ranges and names; --where is combined with them */
	REPORT(&r, dir, "--no-render", "--runs", "1-2,sig-deep", "--where", "depth >= 2");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "report: 3 runs");
	command_result_free(&r);
	/* comparing activation only: runs that differ in depth or residual are apart */
	REPORT(&r, dir, "--no-render", "--compare", "activation", "--out", "by-activation");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/by-activation/profile-weight_grad-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	assert_contains(script, "title 'sigmoid \u00d70.1/layer' noenhanced");
	assert_contains(script, "title 'relu [diverged] \u00d70.95/layer' noenhanced");
	assert_null(strstr(script, "run2_first")); /* the residual run is elsewhere */
	free(script);
	/* any runs column may be compared, beyond the hyper-parameters shown by default */
	REPORT(&r, dir, "--no-render", "--compare", "activation,gtrack_version,hostname,pid",
	       "--out", "by-host");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "report: 4 runs, ");
	assert_string_equal(r.err, "");
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/by-activation/profile-weight_grad-3.gp", dir);
	assert_true(file_exists(path));
}

/* Runs that differ in normalisation (a runs column since schema 7) say so in legends. */
static void normalisation_is_told_apart(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "n.yaml", "data: {samples: 64, features: 4, classes: 2}\n"
					     "model: {depth: 2, width: 4}\n"
					     "train: {steps: 3, batch_size: 8}\n"));
	struct command_result r;
	run_gtrack(&r, dir, NULL, (const char *const[]){"run", "n.yaml", "--db", "n.db", NULL});
	command_result_free(&r);
	run_gtrack(&r, dir, NULL, (const char *const[]){"run", "n.yaml", "--db", "n.db", "--set",
							 "model.norm=layernorm", NULL});
	command_result_free(&r);
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"report", "--db", "n.db", "--no-render", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/report/profile-weight_grad-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	assert_contains(script, "title 'layernorm \u00d7");
	assert_contains(script, "title 'n \u00d7"); /* the plain run, by its name */
	free(script);
}

/* One run of one step: single points, flat ranges; gnuplot must still say nothing. */
static void a_single_step_renders_quietly(void **state)
{
	(void)state;
	if (!gnuplot_available())
		skip();
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "one.yaml", "data: {samples: 64, features: 4, classes: 2}\n"
					       "model: {depth: 2, width: 4}\n"
					       "train: {steps: 1, batch_size: 8}\n"));
	struct command_result r;
	run_gtrack(&r, dir, NULL, (const char *const[]){"run", "one.yaml", "--db", "o.db", NULL});
	command_result_free(&r);
	run_gtrack(&r, dir, NULL, (const char *const[]){"report", "--db", "o.db", NULL});
	assert_int_equal(r.exit_code, 0);
	if (r.err[0])
		fail_msg("gnuplot said: %s", r.err);
	assert_contains(r.out, "figures rendered");
	command_result_free(&r);
}

/* Restores the locale variables a test cleared. */
static const char *const locale_variables[] = {"LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE",
					       "LC_MESSAGES", "LC_NUMERIC"};
#define LOCALE_VARIABLE_COUNT (sizeof locale_variables / sizeof *locale_variables)

static void clear_locale(char *saved[LOCALE_VARIABLE_COUNT])
{
	for (size_t i = 0; i < LOCALE_VARIABLE_COUNT; i++) {
		const char *value = getenv(locale_variables[i]);
		saved[i] = value ? strdup(value) : NULL;
		unsetenv(locale_variables[i]);
	}
}

static void restore_locale(char *saved[LOCALE_VARIABLE_COUNT])
{
	for (size_t i = 0; i < LOCALE_VARIABLE_COUNT; i++) {
		if (saved[i])
			setenv(locale_variables[i], saved[i], 1);
		else
			unsetenv(locale_variables[i]);
		free(saved[i]);
	}
}

/* A container, cron or a Slurm job has no locale (LANG unset) or LC_ALL=C: the report
 * and a user's own 'gnuplot figure.gp' must still render without a word on stderr
 * (gnuplot's "iconv failed to convert degree sign" came from 'set encoding utf8'). */
static void renders_quietly_without_a_locale(void **state)
{
	(void)state;
	if (!gnuplot_available())
		skip();
	static const char *const settings[] = {NULL, "C", "POSIX"};
	for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
		const char *dir = fixture_dir();
		char *saved[LOCALE_VARIABLE_COUNT];
		clear_locale(saved);
		if (settings[i])
			setenv("LC_ALL", settings[i], 1);
		struct command_result r;
		REPORT(&r, dir, "--runs", "1");
		char command[1200];
		snprintf(command, sizeof command,
			 "cd '%s/report' && gnuplot profile-weight_grad-1.gp 2> by-hand.err", dir);
		int by_hand = system(command);
		restore_locale(saved);
		assert_int_equal(r.exit_code, 0);
		const char *setting = settings[i] ? settings[i] : "unset";
		if (r.err[0])
			fail_msg("LC_ALL=%s: gtrack report said: %s", setting, r.err);
		assert_contains(r.out, "figures rendered");
		command_result_free(&r);
		assert_int_equal(by_hand, 0);
		snprintf(command, sizeof command, "%s/report/by-hand.err", dir);
		char *said = read_file(command);
		assert_non_null(said);
		if (said[0])
			fail_msg("LC_ALL=%s: gnuplot by hand said: %s", setting, said);
		free(said);
	}
	/* and with nothing from this environment at all, as .ci/run does it */
	const char *dir = fixture_dir();
	char command[2048], path[1024];
	snprintf(command, sizeof command,
		 "cd '%s' && env -i PATH=/usr/bin:/bin HOME=/nonexistent '%s' report --db fixture.db"
		 " > bare.out 2> bare.err",
		 dir, GTRACK_BINARY);
	assert_int_equal(system(command), 0);
	snprintf(path, sizeof path, "%s/bare.err", dir);
	char *said = read_file(path);
	assert_non_null(said);
	if (said[0])
		fail_msg("env -i: gtrack report said: %s", said);
	free(said);
	snprintf(path, sizeof path, "%s/bare.out", dir);
	char *out = read_file(path);
	assert_contains(out, "9 figures rendered in report/");
	free(out);
}

/* Fails when script has a backquote, 'system' or a shell escape ('!' starting a line)
 * anywhere gnuplot would act on it: outside single-quoted strings, where gnuplot
 * expands nothing (it expands backquotes inside double quotes), and outside comments. */
static void assert_no_live_code(const char *name, const char *script)
{
	enum { CODE, SINGLE, DOUBLE, COMMENT } state = CODE;
	int line = 1;
	bool line_start = true;
	for (const char *c = script; *c; c++) {
		if (*c == '\n') {
			if (state == SINGLE || state == DOUBLE)
				fail_msg("%s:%d: a string runs over the end of the line", name, line);
			state = CODE, line++, line_start = true;
			continue;
		}
		if (state == SINGLE) {
			if (*c == '\'' && c[1] == '\'')
				c++;
			else if (*c == '\'')
				state = CODE;
			continue;
		}
		if (state == COMMENT)
			continue;
		if (*c == '`')
			fail_msg("%s:%d: a backquote gnuplot would run", name, line);
		if (state == DOUBLE) {
			if (*c == '\\' && c[1] && c[1] != '\n')
				c++;
			else if (*c == '"')
				state = CODE;
			continue;
		}
		if (line_start && *c == '!')
			fail_msg("%s:%d: a line gnuplot would give to the shell", name, line);
		if (!strncmp(c, "system", 6))
			fail_msg("%s:%d: a call of system", name, line);
		if (*c == '\'')
			state = SINGLE;
		else if (*c == '"')
			state = DOUBLE;
		else if (*c == '#')
			state = COMMENT;
		if (*c != ' ' && *c != '\t')
			line_start = false;
	}
}

/* Every title that is a quoted string (those are the ones carrying names) is marked
 * noenhanced, so gnuplot's enhanced-text markup in a name prints as typed. */
static void assert_titles_noenhanced(const char *name, const char *script)
{
	for (const char *line = script; *line;) {
		const char *end = strchr(line, '\n');
		size_t length = end ? (size_t)(end - line) : strlen(line);
		char *copy = strndup(line, length);
		if (strstr(copy, "title '") && !strstr(copy, "noenhanced"))
			fail_msg("%s: a title without noenhanced: %s", name, copy);
		free(copy);
		line += length + (end != NULL);
	}
}

/* Names, hyper-parameter values, statuses and the database path are data: a report on
 * hostile ones runs nothing, when gtrack renders it or when a user runs 'gnuplot
 * figure.gp', and index.html holds them as text. */
static void hostile_names_stay_data(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	char path[1024], sql[4096], database[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof sql,
		 "UPDATE runs SET name = 'x`touch %s/marker-backquote`' WHERE id = 1;"
		 "UPDATE runs SET name = 'y' || char(10) || '!touch %s/marker-shell' || char(10)"
		 " || 'system(\"touch %s/marker-system\")' || char(13) || char(27) || '[31m'"
		 " WHERE id = 2;"
		 "UPDATE runs SET name = '<script>alert(1)</script>' WHERE id = 3;"
		 "UPDATE runs SET init = 'he\"`touch %s/marker-field`\"{/Symbol a}@TITLE@',"
		 " activation = 'sigmoid<b>' WHERE id = 4;",
		 dir, dir, dir, dir);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	/* the path lands in every script's first comment; gnuplot runs in report/ */
	snprintf(database, sizeof database, "f\n!touch marker-path\n.db");
	char renamed[2048];
	snprintf(renamed, sizeof renamed, "%s/%s", dir, database);
	assert_int_equal(rename(path, renamed), 0);

	struct command_result r;
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"report", "--db", database,
					 gnuplot_available() ? "--out" : "--no-render", "report",
					 NULL});
	int report_exit_code = r.exit_code;
	command_result_free(&r);
	static const char *const scripts[] = {
		"profile-weight_grad-1.gp", "heatmap-run1.gp", "heatmap-run2.gp", "heatmap-run4.gp",
		"loss-1.gp", "depth-1.gp", "residual-1.gp",
	};
	int by_hand[sizeof scripts / sizeof *scripts] = {0};
	for (size_t i = 0; i < sizeof scripts / sizeof *scripts && gnuplot_available(); i++) {
		char command[2048];
		snprintf(command, sizeof command, "cd '%s/report' && gnuplot %s > /dev/null 2>&1",
			 dir, scripts[i]);
		by_hand[i] = system(command);
	}
	static const char *const markers[] = {"marker-backquote", "marker-shell", "marker-system",
					      "marker-field", "report/marker-path"};
	for (size_t i = 0; i < sizeof markers / sizeof *markers; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, markers[i]);
		if (file_exists(path))
			fail_msg("a name ran a command: %s was created", markers[i]);
	}
	assert_int_equal(report_exit_code, 0);
	for (size_t i = 0; i < sizeof scripts / sizeof *scripts; i++) {
		snprintf(path, sizeof path, "%s/report/%s", dir, scripts[i]);
		char *script = read_file(path);
		if (!script)
			fail_msg("%s was not written", scripts[i]);
		assert_no_live_code(scripts[i], script);
		assert_titles_noenhanced(scripts[i], script);
		free(script);
		if (by_hand[i])
			fail_msg("gnuplot %s failed", scripts[i]);
	}
	snprintf(path, sizeof path, "%s/report/heatmap-run2.gp", dir);
	char *script = read_file(path);
	assert_contains(script, "set title 'run 2 y?!touch ");
	free(script);

	snprintf(path, sizeof path, "%s/report/index.html", dir);
	char *html = read_file(path);
	assert_non_null(html);
	assert_null(strstr(html, "<script>"));
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "\x1b"));
	assert_contains(html, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>");
	assert_contains(html, "Heatmap of run 3 (&lt;script&gt;alert(1)&lt;/script&gt;)");
	assert_contains(html, "<td>sigmoid&lt;b&gt;</td>");
	assert_contains(html, "y?!touch ");
	free(html);

	/* panel titles carry a field's values too: split by the hostile init */
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"report", "--db", database, "--no-render", "--facet",
					 "init", "--out", "faceted", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	static const char *const faceted[] = {"profile-weight_grad-1.gp", "loss-1.gp"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/faceted/%s", dir, faceted[i]);
		script = read_file(path);
		assert_non_null(script);
		assert_contains(script, "set title 'he\"`touch");
		assert_no_live_code(faceted[i], script);
		assert_titles_noenhanced(faceted[i], script);
		free(script);
	}
}

static char *escaped(void (*escape)(struct strbuf *, const char *), const char *text)
{
	struct strbuf out;
	strbuf_init(&out);
	escape(&out, text);
	return out.text;
}

#define ASSERT_ESCAPED(escape, text, expected)                                              \
	do {                                                                               \
		char *result = escaped(escape, text);                                      \
		assert_string_equal(result, expected);                                     \
		free(result);                                                              \
	} while (0)

/* The two escapes, byte by byte: what is special in each language, control characters
 * and broken UTF-8 as '?', printable UTF-8 as it is. */
static void escapes_are_exact(void **state)
{
	(void)state;
	ASSERT_ESCAPED(report_gnuplot_string, "sigmoid-10", "'sigmoid-10'");
	ASSERT_ESCAPED(report_gnuplot_string, "it's", "'it''s'");
	ASSERT_ESCAPED(report_gnuplot_string, "a`b`\"c\\d@e", "'a`b`\"c\\d@e'");
	ASSERT_ESCAPED(report_gnuplot_string, "x\n!rm\r\t\x1b[2J\x7f", "'x?!rm?\?\?[2J?'");
	ASSERT_ESCAPED(report_gnuplot_string, "r\xc3\xa9seau \xce\xb1", "'r\xc3\xa9seau \xce\xb1'");
	/* C1 control, lone continuation, truncated sequence, overlong '/', surrogate */
	ASSERT_ESCAPED(report_gnuplot_string, "\xc2\x9b|\x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80",
		       "'?\?|?|?\?|?\?|?\?\?'"); /* \? as ?? would start a trigraph */
	ASSERT_ESCAPED(report_gnuplot_string, "", "''");
	ASSERT_ESCAPED(report_html_text, "<script>&\"x'</script>",
		       "&lt;script&gt;&amp;&quot;x'&lt;/script&gt;");
	ASSERT_ESCAPED(report_html_text, "a\nb\xff", "a?b?");
}

static void without_gnuplot_the_scripts_are_still_written(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	const char *saved = getenv("PATH");
	char *path_copy = strdup(saved ? saved : "");
	setenv("PATH", "/nonexistent", 1);
	struct command_result r;
	REPORT(&r, dir, "--out", "plain");
	setenv("PATH", path_copy, 1);
	free(path_copy);
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.err, "gnuplot is not installed");
	assert_contains(r.err, "apt-get install gnuplot-nox");
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/plain/loss-1.gp", dir);
	assert_true(file_exists(path));
	snprintf(path, sizeof path, "%s/plain/index.html", dir);
	assert_true(file_exists(path));
}

static void terminal_prints_text_plots(void **state)
{
	(void)state;
	if (!gnuplot_available()) {
		print_message("gnuplot is not installed: --terminal not tested\n");
		skip();
	}
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--terminal");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "profile-weight_grad-1.gp\n");
	assert_contains(r.out, "depth-1.gp\n");
	assert_contains(r.out, "layer (0 = input side)");
	command_result_free(&r);
	/* the legend's factors: a multiplication sign in a UTF-8 locale, the letter x
	 * without one (a container, a Slurm job), as gtrack watch draws its bars */
	setenv("LC_ALL", "C", 1);
	REPORT(&r, dir, "--terminal");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, " x0.1/layer");
	assert_lacks(r.out, "\u00d7");
	command_result_free(&r);
	setenv("LC_ALL", "C.UTF-8", 1);
	REPORT(&r, dir, "--terminal");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, " \u00d70.1/layer");
	command_result_free(&r);
	unsetenv("LC_ALL");
}

/* The row of run `id` in the index's table of runs, from its id cell to </tr>. */
static char *run_row(const char *index, int id)
{
	char cell[32];
	snprintf(cell, sizeof cell, "<tr id=\"run-%d\">", id);
	const char *start = strstr(index, cell);
	if (!start)
		fail_msg("no row for run %d in the index", id);
	const char *end = strstr(start, "</tr>");
	assert_non_null(end);
	return strndup(start, (size_t)(end - start));
}

/* A run that crashed before logging a step and one that diverged at step 0 have no
 * ratio and no loss: the report still succeeds and lists them, with their status. */
static void runs_without_numbers_are_reported(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "r.yaml", "data: {samples: 64, features: 4, classes: 2}\n"
					     "model: {depth: 2, width: 4, activation: relu}\n"
					     "train: {steps: 3, batch_size: 8, dtype: float64}\n"));
	struct command_result r;
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"run", "r.yaml", "--db", "e.db", "--name", "fine", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	/* a gain of 1e300 overflows the first forward pass */
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"run", "r.yaml", "--db", "e.db", "--name", "zero", "--set",
					 "model.init.gain=1e300", NULL});
	assert_int_equal(r.exit_code, 5);
	assert_contains(r.out, "run 2 zero: diverged, 1/3 steps");
	command_result_free(&r);
	/* a run killed before its first commit: the run and layer rows, nothing else */
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"run", "r.yaml", "--db", "e.db", "--name", "gone", "--set",
					 "seed=2", NULL});
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/e.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM steps WHERE run_id = 3;"
					  "DELETE FROM layer_stats WHERE run_id = 3;"
					  "UPDATE runs SET status = 'crashed', steps_done = 0,"
					  " final_loss = NULL, finished_at = NULL, message = 'its"
					  " process is gone (last heartbeat never)' WHERE id = 3",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"report", "--db", "e.db", "--out", "plain", "--no-render",
					 NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "report: 3 runs");
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/plain/index.html", dir);
	char *index = read_file(path);
	assert_non_null(index);
	char *row = run_row(index, 2);
	assert_contains(row, "<td>zero</td>");
	assert_contains(row, ">diverged</td><td>n/a</td><td>n/a</td><td>n/a</td>");
	free(row);
	row = run_row(index, 3);
	assert_contains(row, "<td>gone</td>");
	assert_contains(row, ">crashed</td><td>n/a</td><td>n/a</td><td>n/a</td>");
	free(row);
	row = run_row(index, 1);
	assert_contains(row, ">finished</td>");
	free(row);
	free(index);

	if (!gnuplot_available())
		return;
	run_gtrack(&r, dir, NULL, (const char *const[]){"report", "--db", "e.db", NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "report: 3 runs, ");
	assert_contains(r.out, " figures rendered in ");
	command_result_free(&r);
}

/* The plot commands of script, in order ("plot " lines with their continuations). */
static int plot_commands(const char *script, char ***commands)
{
	int count = 0;
	*commands = NULL;
	for (const char *at = strstr(script, "\nplot "); at; at = strstr(at + 1, "\nplot ")) {
		const char *end = at + 1;
		while ((end = strchr(end, '\n')) && end[-1] == '\\')
			end++;
		*commands = realloc(*commands, sizeof **commands * (size_t)(count + 1));
		(*commands)[count++] = strndup(at + 1, (size_t)(end ? end - at - 1 : (long)strlen(at + 1)));
	}
	return count;
}

/* Counts the elements of a plot command: curves (lines, not bands, not the dotted
 * predictions, not legend-only entries) and legend titles of curves. */
static void count_elements(const char *command, int *curves, int *titles)
{
	*curves = *titles = 0;
	char *copy = strdup(command);
	for (char *element = strtok(copy, "\\"); element; element = strtok(NULL, "\\")) {
		bool band = strstr(element, "filledcurves") != NULL;
		bool marks = strstr(element, "lc rgb variable") != NULL;
		bool note = strstr(element, "'#444444'") != NULL || strstr(element, "NaN notitle");
		bool legend_only = strstr(element, "NaN with") != NULL;
		bool prediction = strstr(element, "dt 3") != NULL;
		if (band || marks || note)
			continue;
		if (!legend_only && !prediction)
			(*curves)++;
		if (strstr(element, " title '"))
			(*titles)++;
	}
	free(copy);
}

/* The example sweep's shape (3 activations x 4 depths x residual x 3 seeds = 72 runs):
 * every panel of every figure holds at most 10 curves, and every curve of a row is in
 * the row's key. */
static void sweep_sized_reports_stay_readable(void **state)
{
	(void)state;
	const char *dir = fixture_dir_from("report_sweep.sql");
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "report: 72 runs");
	command_result_free(&r);
	static const struct {
		const char *script;
		int columns, panels; /* plots per panel row; rows expected */
	} figures[] = {
		{"profile-weight_grad-1.gp", 2, 3},
		{"profile-delta-1.gp", 2, 3},
		{"loss-1.gp", 1, 3},
	};
	for (size_t i = 0; i < sizeof figures / sizeof *figures; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/out/%s", dir, figures[i].script);
		char *script = read_file(path);
		if (!script)
			fail_msg("%s was not written", figures[i].script);
		char **commands;
		int count = plot_commands(script, &commands), all_titles = 0;
		assert_int_equal(count, figures[i].columns * figures[i].panels);
		for (int row = 0; row < count / figures[i].columns; row++) {
			int drawn = 0, titled = 0;
			for (int c = 0; c < figures[i].columns; c++) {
				int curves, titles;
				count_elements(commands[row * figures[i].columns + c], &curves, &titles);
				drawn = curves > drawn ? curves : drawn;
				titled += titles;
			}
			if (titled > 10 || drawn > titled)
				fail_msg("%s: panel %d draws %d curves with %d legends", figures[i].script,
					 row + 1, drawn, titled);
			all_titles += titled;
		}
		/* one legend per configuration: 24, each of three seeds */
		assert_int_equal(all_titles, 24);
		assert_contains(script, "(3 seeds)");
		assert_contains(script, "[diverged]");
		for (int c = 0; c < count; c++)
			free(commands[c]);
		free(commands);
		free(script);
	}
	/* --facet chooses the field; a value with more than 10 curves is cut in pieces, each
	 * titled with the curves it holds */
	REPORT(&r, dir, "--no-render", "--out", "by-setup", "--facet", "residual");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/by-setup/loss-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	assert_contains(script, "set title 'plain, curves 1-6 of 12' noenhanced");
	assert_contains(script, "set title 'residual, curves 7-12 of 12' noenhanced");
	free(script);
	REPORT(&r, dir, "--no-render", "--facet", "colour");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "--facet: 'colour' is not a hyper-parameter column of runs");
	command_result_free(&r);
}

/* Thirteen residual setups of two seeds each (tests/fixtures/report_residual_sweep.sql),
 * as experiments/sweep-residual-setups.yaml compares them: no plot of the residual, depth,
 * profile or loss figure holds more than 10 curves, every setup is in the residual
 * figure's key, and the setup that diverged is marked where it stopped. */
static void residual_sweeps_stay_readable(void **state)
{
	(void)state;
	const char *dir = fixture_dir_from("report_residual_sweep.sql");
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "report: 26 runs");
	command_result_free(&r);
	static const char *const scripts[] = {"residual-1.gp", "depth-1.gp",
					      "profile-weight_grad-1.gp", "loss-1.gp"};
	for (size_t i = 0; i < sizeof scripts / sizeof *scripts; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/out/%s", dir, scripts[i]);
		char *script = read_file(path);
		if (!script)
			fail_msg("%s was not written", scripts[i]);
		char **commands;
		int count = plot_commands(script, &commands), most = 0;
		for (int c = 0; c < count; c++) {
			int curves, titles;
			count_elements(commands[c], &curves, &titles);
			if (curves > 10)
				fail_msg("%s: plot %d draws %d curves", scripts[i], c + 1, curves);
			most = curves > most ? curves : most;
			free(commands[c]);
		}
		free(commands);
		/* split, not emptied: a plot still compares several setups */
		if (count < 2 || most < 2)
			fail_msg("%s: %d plots of at most %d curves", scripts[i], count, most);
		free(script);
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/out/residual-1.gp", dir);
	char *residual = read_file(path);
	static const char *const setups[] = {"'post k=1", "'post k=2", "'post k=3", "'pre k=1",
					     "'pre k=2", "'pre k=3", "'ReZero", "fixup"};
	for (size_t i = 0; i < sizeof setups / sizeof *setups; i++)
		if (!strstr(residual, setups[i]))
			fail_msg("residual-1.gp has no key entry %s", setups[i]);
	assert_contains(residual, "title 'x: where a diverged or killed run stopped'");
	free(residual);
}

/* The output folder holds exactly the current report: files of the previous report
 * that this one does not write are removed, a user's own files are left alone, and
 * --terminal writes nothing. */
static void the_folder_holds_exactly_the_report(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	free(test_write_file(dir, "out/notes.txt", "mine\n"));
	free(test_write_file(dir, "out/heatmap-run9.gp", "a user's script that looks like ours\n"));
	snprintf(path, sizeof path, "%s/out/heatmap-run4.gp", dir);
	assert_true(file_exists(path));
	REPORT(&r, dir, "--no-render", "--out", "out", "--runs", "1");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	assert_false(file_exists(path)); /* run 4 left the selection */
	static const char *const kept[] = {"notes.txt", "heatmap-run9.gp", "heatmap-run1.gp",
					   "index.html", "gtrack-manifest.txt"};
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		snprintf(path, sizeof path, "%s/out/%s", dir, kept[i]);
		if (!file_exists(path))
			fail_msg("%s was removed", kept[i]);
	}
	snprintf(path, sizeof path, "%s/out/gtrack-manifest.txt", dir);
	char *manifest = read_file(path);
	assert_contains(manifest, "\nheatmap-run1.gp\n");
	assert_lacks(manifest, "heatmap-run4");
	assert_lacks(manifest, "notes.txt");
	free(manifest);

	if (gnuplot_available()) {
		REPORT(&r, dir, "--terminal");
		assert_int_equal(r.exit_code, 0);
		assert_contains(r.out, "loss-1.gp\n");
		command_result_free(&r);
		snprintf(path, sizeof path, "%s/report", dir);
		assert_false(file_exists(path)); /* the default --out was not created */
	}
}

/* A --compare of a field the runs share leaves each figure with one run: said, with
 * the fields that do differ. */
static void a_compare_that_compares_nothing_is_said(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--compare", "width");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.err, "warning: --compare width leaves every figure with a single run "
			       "(or the seeds of one): the selected runs differ in activation,depth,"
			       "residual,residual_alpha, which splits them into 4 figures");
	command_result_free(&r);
	REPORT(&r, dir, "--no-render", "--compare", "activation");
	assert_string_equal(r.err, "");
	command_result_free(&r);
}

/* Every heatmap of a report shares one colour scale (also with --relative, each layer
 * over the output layer), and cells without a finite value have a key. */
static void heatmaps_share_one_scale(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "absolute");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	REPORT(&r, dir, "--no-render", "--out", "relative", "--relative");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	for (int run = 1; run <= 4; run++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/absolute/heatmap-run%d.gp", dir, run);
		char *script = read_file(path);
		assert_non_null(script);
		/* run 4's 1e-30 sets the floor of all four */
		assert_contains(script, "set cbrange [-30:0]\n");
		free(script);
		snprintf(path, sizeof path, "%s/relative/heatmap-run%d.gp", dir, run);
		script = read_file(path);
		assert_non_null(script);
		/* 1e-30 / 0.55 at run 4's step 1 to 1 at every output layer */
		assert_contains(script, "set cbrange [-30:0]\n");
		assert_contains(script, "(||dL/dW|| / output layer's)");
		free(script);
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/relative/heatmap-run4.gp", dir);
	char *script = read_file(path);
	/* layer 0 over layer 3 at step 0: 0.0005 / 0.5 */
	assert_contains(script, "\n0 0 -3 -0.5 0.5\n");
	free(script);
	/* run 3's NULL at step 2 and run 4's zero are grey cells with a key */
	snprintf(path, sizeof path, "%s/absolute/heatmap-run3.gp", dir);
	script = read_file(path);
	assert_contains(script, "$nonfinite << EOD\n2 0 NaN 1.5 2.5\nEOD\n");
	assert_contains(script, "title 'no finite value (NaN, inf or 0)' noenhanced");
	free(script);
	snprintf(path, sizeof path, "%s/absolute/heatmap-run1.gp", dir);
	script = read_file(path);
	assert_lacks(script, "nonfinite");
	free(script);
}

/* Small multiples by --facet: one row of panels per activation. */
static void facets_match_the_golden_files(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out", "--facet", "activation");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	static const char *const scripts[] = {"profile-weight_grad-1.gp", "loss-1.gp"};
	assert_golden(dir, "out", "report-facets", scripts, 2);
}

/* Seeds with a repeated run, a diverged run, predictions, evaluations and diagnostics:
 * the aggregated curves, the dotted predictions and the new figures, golden. */
static void seeds_and_new_figures_match_the_golden_files(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	char path[1024];
	add_seeds(dir,
		  "INSERT INTO evals SELECT run_id, step, split, loss * (1 + (split ="
		  " 'validation')), 0.25 + 0.125 * step, 64 FROM steps,"
		  " (SELECT 'train' AS split UNION ALL SELECT 'validation')"
		  " WHERE step IN (0, 2);"
		  "UPDATE layer_stats SET dead_fraction = 0.125 * layer,"
		  " saturated_fraction = 0.25 / (1 + step), update_ratio = 0.001 * (1 + run_id);"
		  "INSERT INTO predictions (run_id, layer, q, chi, delta_norm, weight_grad_norm)"
		  " SELECT run_id, layer, 1.0, 0.25, delta_norm * 2, weight_grad_norm * 2"
		  " FROM layer_stats WHERE step = 0 AND run_id IN (1, 5, 6)");
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out", "--runs", "1,3,5,6");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	static const char *const scripts[] = {"profile-weight_grad-1.gp", "loss-1.gp",
					      "evals-1.gp", "diagnostics-1.gp"};
	assert_golden(dir, "out", "report-seeds", scripts, 4);
	/* the prediction of the seed set (runs 1 and 5, 6 repeating 5) is dotted */
	snprintf(path, sizeof path, "%s/out/profile-weight_grad-1.gp", dir);
	char *script = read_file(path);
	assert_contains(script, "$predicted1 << EOD\n0 0.020000000000000004 0.01 "
				"0.040000000000000008\n");
	assert_contains(script, "$predicted1 using 1:(clip($2)) with lines lc rgb");
	assert_contains(script, "title 'dotted: mean-field prediction' noenhanced");
	free(script);
	renders_quietly(dir, "1,3,5,6");
}

/* Runs that train their residual scale get a figure of alpha per block over steps; a
 * run with a fixed alpha does not. Run 5 is run 2 with another seed that diverged after
 * step 1: the two are one curve per block (their mean, with a min-max band) and an x
 * where the diverged seed's alpha was last finite. */
static void trained_alpha_matches_the_golden_file(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	char path[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	copy_run(db, 2, 5, 7, 1);
	if (sqlite3_exec(db,
			 "UPDATE runs SET residual_learn_alpha = 1, residual_alpha = 0.0"
			 " WHERE id IN (2, 5);"
			 "UPDATE runs SET status = 'diverged' WHERE id = 5;"
			 "INSERT INTO block_stats (run_id, step, block, alpha, alpha_grad)"
			 " SELECT 2, step, block, 0.125 * step * (1 + block), 0.5 FROM steps,"
			 " (SELECT 0 AS block UNION ALL SELECT 1) WHERE run_id = 2;"
			 "INSERT INTO block_stats (run_id, step, block, alpha, alpha_grad)"
			 " SELECT 5, step, block, CASE WHEN step < 2 THEN 0.25 * step * (1 + block)"
			 " END, 0.5 FROM steps, (SELECT 0 AS block UNION ALL SELECT 1)"
			 " WHERE run_id = 5;"
			 "INSERT INTO block_stats (run_id, step, block, alpha, alpha_grad)"
			 " SELECT 1, step, 0, 1.0, 0.0 FROM steps WHERE run_id = 1",
			 NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out", "--runs", "1,2,5");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	static const char *const scripts[] = {"alpha-1.gp"};
	assert_golden(dir, "out", "report-alpha", scripts, 1);
	snprintf(path, sizeof path, "%s/out/alpha-2.gp", dir);
	assert_false(file_exists(path));
	snprintf(path, sizeof path, "%s/out/index.html", dir);
	char *index = read_file(path);
	assert_contains(index, "sig-res [1 of 2 seeds diverged] (2 seeds): 2 blocks, 2 seeds, "
			       "mean final alpha 0.38.");
	free(index);
	renders_quietly(dir, "1,2,5");
}

/* Defect 1 of issue 12: a diverged run's profile above the axis set by the finished runs
 * vanished; it is drawn at the axis limit, with a triangle on each clipped point and a
 * key entry saying so. Finished runs get no triangles. */
static void diverged_profiles_are_clipped_and_marked(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/report/profile-weight_grad-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	assert_contains(script, "clip(v) = v > 1e0 ? 1e0 : v < 1e-4 ? 1e-4 : v\n");
	assert_contains(script, "$run3_first using 1:($2 > 0 ? clip($2) : NaN) with linespoints");
	assert_contains(script, "$run3_later using 1:(clip($2)):(outside($2) ? 1.4 : 0):(0x440154)"
				" with points pt 8 ps variable lc rgb variable notitle");
	assert_contains(script, "title 'triangle: beyond the axis, drawn at its limit'");
	assert_lacks(script, "$run1_later using 1:(clip($2)):(outside");
	free(script);
}

/* Defect 3 of issue 12: a seed set where only some runs diverged was labelled by its
 * first run alone (finished, or "[diverged]" over a finished seed's curve). Runs 52-54 are
 * relu d=5 residual, all diverged in the fixture; with run 53 finished, every figure's key
 * names the set after run 53 and says 2 of its 3 seeds diverged. */
static void partly_diverged_seed_sets_say_so(void **state)
{
	(void)state;
	const char *dir = fixture_dir_from("report_sweep.sql");
	char path[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	assert_int_equal(sqlite3_exec(db, "UPDATE runs SET status = 'finished' WHERE id = 53",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	db_close(db);
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	static const char *const scripts[] = {"profile-weight_grad-1.gp", "loss-1.gp"};
	for (size_t i = 0; i < sizeof scripts / sizeof *scripts; i++) {
		snprintf(path, sizeof path, "%s/out/%s", dir, scripts[i]);
		char *script = read_file(path);
		assert_non_null(script);
		assert_contains(script, "[2 of 3 seeds diverged] (3 seeds)");
		free(script);
	}
}

/* Defect 6 of issue 12: diverged runs set the shared heatmap scale, squeezing the
 * finished runs into a few colours. The scale comes from the runs that did not diverge
 * (the sweep fixture's finished runs span 1e-19..1e0; the diverged relu residual runs
 * reach 1e4); a diverged run's heatmap says its larger values take the end colour. */
static void diverged_runs_do_not_set_the_heatmap_scale(void **state)
{
	(void)state;
	const char *dir = fixture_dir_from("report_sweep.sql");
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	static const char *const scripts[] = {"heatmap-run1.gp", "heatmap-run72.gp"};
	for (size_t i = 0; i < sizeof scripts / sizeof *scripts; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/out/%s", dir, scripts[i]);
		char *script = read_file(path);
		assert_non_null(script);
		assert_contains(script, "set cbrange [-19:1]\n");
		if (i)
			assert_contains(script, "title 'values beyond -19..1 (set by the runs that"
						" did not diverge) take the end colour'");
		else
			assert_lacks(script, "values beyond");
		free(script);
	}
}

/* Defect 2 of issue 12: the profile's x markers were one per diverged seed, all drawn on
 * the same point. The sweep fixture has four diverged seed sets (relu residual at depths
 * 5, 10, 20 and 30, 3 seeds each): four markers, not twelve, each in its set's colour. */
static void stop_markers_are_one_per_seed_set(void **state)
{
	(void)state;
	const char *dir = fixture_dir_from("report_sweep.sql");
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/out/profile-weight_grad-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	int rows = 0;
	for (const char *block = strstr(script, "<< EOD"); block; block = strstr(block + 1, "<< EOD")) {
		bool stopped = !strncmp(block - strlen("$stopped1 "), "$stopped", strlen("$stopped"));
		const char *end = strstr(block, "\nEOD");
		for (const char *line = strchr(block, '\n'); stopped && line && line < end;
		     line = strchr(line + 1, '\n'))
			rows++;
	}
	assert_int_equal(rows, 4);
	free(script);
}

/* Creates DIR/NAME, a folder. */
static void make_folder(const char *dir, const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0777), 0);
}

/* A report never replaces a file of the folder it did not write (one with a figure's
 * name, the folder's own index.html) nor writes through a link: refused with exit 2,
 * the file untouched. */
static void a_users_files_and_links_are_refused(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	char path[1024];
	make_folder(dir, "m1");
	make_folder(dir, "m3");
	free(test_write_file(dir, "m1/loss-1.gp", "my own script\n"));
	REPORT(&r, dir, "--no-render", "--out", "m1");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "m1/loss-1.gp' exists and was not written by gtrack report; "
			       "remove it or choose another --out");
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/m1/loss-1.gp", dir);
	char *kept = read_file(path);
	assert_string_equal(kept, "my own script\n");
	free(kept);

	free(test_write_file(dir, "m3/index.html", "<p>my page</p>\n"));
	REPORT(&r, dir, "--no-render", "--out", "m3");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "m3/index.html' exists and was not written by gtrack report");
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/m3/index.html", dir);
	kept = read_file(path);
	assert_string_equal(kept, "<p>my page</p>\n");
	free(kept);

	REPORT(&r, dir, "--no-render", "--out", "m2");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	free(test_write_file(dir, "precious.txt", "precious\n"));
	snprintf(path, sizeof path, "%s/m2/index.html", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("../precious.txt", path), 0);
	REPORT(&r, dir, "--no-render", "--out", "m2");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "m2/index.html' is not a regular file (a link?)");
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/precious.txt", dir);
	kept = read_file(path);
	assert_string_equal(kept, "precious\n");
	free(kept);
}

/* Each file is listed in the manifest before it is written, so a report stopped half
 * way (here by a refused index.html) leaves the list, and the next report into the
 * folder removes what it no longer writes. */
static void a_stopped_report_leaves_its_manifest(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	char path[1024];
	make_folder(dir, "m4");
	free(test_write_file(dir, "m4/index.html", "mine\n"));
	REPORT(&r, dir, "--no-render", "--out", "m4");
	assert_int_equal(r.exit_code, 2);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/m4/gtrack-manifest.txt", dir);
	char *manifest = read_file(path);
	assert_non_null(manifest);
	assert_contains(manifest, "heatmap-run4.gp\n");
	assert_lacks(manifest, "index.html");
	free(manifest);
	snprintf(path, sizeof path, "%s/m4/index.html", dir);
	assert_int_equal(unlink(path), 0);
	REPORT(&r, dir, "--no-render", "--out", "m4", "--runs", "1");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/m4/heatmap-run4.gp", dir);
	assert_false(file_exists(path));
}

/* A --step beyond a 64-bit step is refused like any malformed number, and a --compare
 * entry is echoed whole (escaped), not cut at its first space. */
static void options_out_of_range_are_refused_whole(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "m5", "--step", "99999999999999999999");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "--step expects a step number, got '99999999999999999999'");
	command_result_free(&r);
	REPORT(&r, dir, "--no-render", "--out", "m5", "--compare", "activation;drop table runs");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "--compare: 'activation;drop table runs' is not a "
			       "hyper-parameter column of runs");
	command_result_free(&r);
	REPORT(&r, dir, "--no-render", "--out", "m5", "--compare", "depth\x1b[2J");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "--compare: 'depth\\x1b[2J' is not");
	command_result_free(&r);
	REPORT(&r, dir, "--no-render", "--out", "m5", "--compare", " depth , activation ");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
}

/* 'gnuplot *.gp' by hand runs every script in one gnuplot session: each starts afresh,
 * so no setting of one (a log scale) breaks the next (a heatmap). */
static void scripts_render_together_by_hand(void **state)
{
	(void)state;
	if (!gnuplot_available())
		skip();
	const char *dir = fixture_dir();
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "m6");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char command[1200];
	snprintf(command, sizeof command, "cd '%s/m6' && gnuplot *.gp 2>&1", dir);
	FILE *pipe = popen(command, "r");
	assert_non_null(pipe);
	struct strbuf said;
	strbuf_init(&said);
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, pipe)) > 0)
		strbuf_add(&said, chunk, got);
	int status = pclose(pipe);
	assert_string_equal(said.text, "");
	assert_int_equal(status, 0);
	strbuf_free(&said);
}

/* The characters of the longest line of text (form feeds not counted). */
static size_t widest_line(const char *text)
{
	size_t widest = 0;
	for (const char *line = text; *line;) {
		size_t characters = 0;
		for (; *line && *line != '\n'; line++)
			characters += ((unsigned char)*line & 0xc0) != 0x80 && *line != '\f';
		widest = characters > widest ? characters : widest;
		line += *line == '\n';
	}
	return widest;
}

/* --terminal plots as wide as the terminal ($COLUMNS when stdout is not one), and a
 * reader that stops early (| head -1) is no gnuplot failure: exit 0, nothing said. */
static void text_plots_fit_and_stop_quietly(void **state)
{
	(void)state;
	if (!gnuplot_available())
		skip();
	const char *dir = fixture_dir();
	struct command_result r;
	setenv("COLUMNS", "90", 1);
	REPORT(&r, dir, "--terminal", "--runs", "1-4");
	unsetenv("COLUMNS");
	assert_int_equal(r.exit_code, 0);
	size_t widest = widest_line(r.out);
	command_result_free(&r);
	assert_true(widest <= 90);
	assert_true(widest >= 80);

	char command[1400];
	snprintf(command, sizeof command,
		 "cd '%s' && { '%s' report --db fixture.db --terminal 2>stderr.txt; "
		 "echo $? >status.txt; } | head -1 >/dev/null",
		 dir, GTRACK_BINARY);
	assert_int_equal(system(command), 0);
	char path[1024];
	snprintf(path, sizeof path, "%s/status.txt", dir);
	char *status = read_file(path);
	assert_string_equal(status, "0\n");
	free(status);
	snprintf(path, sizeof path, "%s/stderr.txt", dir);
	char *said = read_file(path);
	assert_string_equal(said, "");
	free(said);
}

/* Every file the report writes replaces its name: a link there is replaced, never
 * written through, and its target keeps its contents. */
static void writing_replaces_a_link(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char link[1024], target[1024];
	free(test_write_file(dir, "target.txt", "kept\n"));
	snprintf(link, sizeof link, "%s/written.txt", dir);
	snprintf(target, sizeof target, "%s/target.txt", dir);
	assert_int_equal(symlink("target.txt", link), 0);
	assert_int_equal(file_write_text(dir, "written.txt", "new\n", 0644), 0);
	char *text = read_file(target);
	assert_string_equal(text, "kept\n");
	free(text);
	text = read_file(link);
	assert_string_equal(text, "new\n");
	free(text);
	struct stat status;
	assert_int_equal(lstat(link, &status), 0);
	assert_true(S_ISREG(status.st_mode));
	assert_int_equal(status.st_mode & 0777, 0644);
}

/* A folder written by a gtrack from before manifests has none: its own files are known
 * by their signature, so the report replaces them (before: exit 2 on every upgraded
 * folder), while a user's file under a figure's name is still refused. */
static void a_folder_from_before_manifests_is_still_ours(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	struct command_result r;
	char path[1024];
	REPORT(&r, dir, "--out", "old");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/old/gtrack-manifest.txt", dir);
	assert_int_equal(unlink(path), 0);
	REPORT(&r, dir, "--out", "old");
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.err, "");
	command_result_free(&r);
	assert_true(file_exists(path));

	assert_int_equal(unlink(path), 0);
	free(test_write_file(dir, "old/loss-1.gp", "my own script\n"));
	REPORT(&r, dir, "--out", "old");
	assert_int_equal(r.exit_code, 2);
	/* its image is refused with it: the image's signature is its script's */
	assert_contains(r.err, "exists and was not written by gtrack report");
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/old/loss-1.gp", dir);
	char *kept = read_file(path);
	assert_string_equal(kept, "my own script\n");
	free(kept);
}

/* The evaluations figure draws two lines (train, validation) per configuration, and
 * lines are what crowd a panel: on the 72-run sweep a panel held 16 before (8
 * configurations x 2); now at most 10. */
static void evals_panels_count_lines_not_configurations(void **state)
{
	(void)state;
	const char *dir = fixture_dir_from("report_sweep.sql");
	char path[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO evals SELECT id, s.step, split.name,"
					  " 1.0 / (1 + s.step), 0.5, 100 FROM runs,"
					  " (SELECT 0 AS step UNION ALL SELECT 10) s,"
					  " (SELECT 'train' AS name UNION ALL SELECT 'validation') split",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	db_close(db);
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/out/evals-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	char **commands;
	int count = plot_commands(script, &commands);
	assert_true(count > 0);
	for (int c = 0; c < count; c++) {
		int curves, titles;
		count_elements(commands[c], &curves, &titles);
		if (curves > 10)
			fail_msg("evals-1.gp: plot %d draws %d lines", c + 1, curves);
		free(commands[c]);
	}
	free(commands);
	free(script);
}

/* The sweep fixture's residual runs train alpha, one block per hidden layer (5 to 30):
 * before, a figure per run (36) with up to 30 curves; now one figure for the group, the
 * three seeds of a configuration one curve per block with a band, in panels of at most
 * ten consecutive blocks (1 + 1 + 2 + 3 panels per activation), and the diverged relu
 * runs end with x marks. */
static void alpha_combines_seeds_in_panels_of_at_most_ten_blocks(void **state)
{
	(void)state;
	const char *dir = fixture_dir_amended(
		"report_sweep.sql",
		"UPDATE runs SET residual_learn_alpha = 1, residual_alpha = 0.0 WHERE residual;"
		"WITH RECURSIVE b(block) AS (SELECT 0 UNION ALL SELECT block + 1 FROM b"
		" WHERE block < 29)"
		" INSERT INTO block_stats (run_id, step, block, alpha, alpha_grad)"
		" SELECT runs.id, steps.step, b.block, CASE WHEN steps.loss IS NULL THEN"
		" NULL ELSE 0.01 * steps.step * (1 + b.block) + 0.001 * runs.seed END, 0.5"
		" FROM runs JOIN steps ON steps.run_id = runs.id JOIN b ON b.block <"
		" runs.depth WHERE runs.residual");
	char path[1024];
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/out/alpha-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	snprintf(path, sizeof path, "%s/out/alpha-2.gp", dir);
	assert_false(file_exists(path));
	char **commands;
	int count = plot_commands(script, &commands), all_curves = 0, all_titles = 0;
	assert_int_equal(count, 3 * (1 + 1 + 2 + 3));
	for (int c = 0; c < count; c++) {
		int curves, titles;
		count_elements(commands[c], &curves, &titles);
		if (curves > 10 || curves < 1)
			fail_msg("alpha-1.gp: panel %d draws %d curves", c + 1, curves);
		all_curves += curves;
		all_titles += titles;
		free(commands[c]);
	}
	free(commands);
	/* every block of every configuration once: 3 activations x (5 + 10 + 20 + 30) */
	assert_int_equal(all_curves, 3 * 65);
	/* one key for the figure, a colour meaning the same place in every panel: five
	 * samples of the palette (the configurations differ in blocks), and the x once */
	assert_int_equal(all_titles, 5);
	const char *x_key = strstr(script, "title 'x: where a diverged or killed run stopped'");
	assert_non_null(x_key);
	assert_null(strstr(x_key + 1, "title 'x: where"));
	assert_contains(script, "title 'first block (input side)'");
	assert_contains(script, "title 'block 3/4 of the way'");
	/* 21 panels in rows of three, not one column seven screens tall (910x7194) */
	int width = 0, height = 0;
	assert_non_null(strstr(script, "size "));
	assert_int_equal(sscanf(strstr(script, "size ") + strlen("size "), "%d,%d", &width,
				&height), 2);
	if (width < 3 * 400 || height > 7 * 360 + 100)
		fail_msg("alpha-1.gp: %dx%d is not rows of three panels", width, height);
	assert_contains(script, "arithmetic mean, min and max of alpha");
	assert_contains(script, "set title 'relu d=30 [diverged] (3 seeds), blocks 20-29 of 30' noenhanced");
	assert_contains(script, "title 'x: where a diverged or killed run stopped'");
	free(script);
	snprintf(path, sizeof path, "%s/out/index.html", dir);
	char *index = read_file(path);
	assert_contains(index, "sigmoid d=5 (3 seeds): 5 blocks, 3 seeds, mean final alpha");
	free(index);
}

/* The lines of the first title that script sets with command ("set title "): its
 * single-quoted pieces joined by . "\n" ., unescaped. Returns their number. */
static int title_lines(const char *script, const char *command, char lines[][256], int most)
{
	const char *at = strstr(script, command);
	if (!at)
		fail_msg("no '%s' in the script", command);
	at += strlen(command);
	int count = 0;
	while (*at == '\'' && count < most) {
		size_t length = 0;
		for (at++; *at && !(at[0] == '\'' && at[1] != '\''); at++) {
			at += at[0] == '\'' && at[1] == '\''; /* '' is a quote */
			if (length < 255)
				lines[count][length++] = *at;
		}
		lines[count++][length] = '\0';
		at += *at == '\'';
		static const char separator[] = " . \"\\n\" . ";
		if (strncmp(at, separator, strlen(separator)))
			break;
		at += strlen(separator);
	}
	return count;
}

/* A run named like a sweep's run, 129 characters: the heatmap's title wraps into lines
 * of at most 80 characters, after commas between name fields and never inside braces
 * (a residual setup "{form: pre, block: 2, ...}") or a quote's escape; the caption
 * keeps the whole name. */
static void long_run_names_wrap_in_heatmap_titles(void **state)
{
	(void)state;
	static const char name[] = "it's-residual-setups:model.activation=sigmoid,model.depth=31,"
				   "model.residual={form: pre, block: 2, init: zero_last},lr=0.01,"
				   "seed=1";
	assert_int_equal(strlen(name), 129);
	const char *dir = fixture_dir_amended(
		"report.sql", "UPDATE runs SET name = 'it''s-residual-setups:model.activation=sigmoid,"
			      "model.depth=31,model.residual={form: pre, block: 2, init: zero_last},"
			      "lr=0.01,seed=1' WHERE id = 1");
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/out/heatmap-run1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	char lines[8][256], joined[1024] = "";
	int count = title_lines(script, "set title ", lines, 8);
	assert_true(count >= 2);
	for (int l = 0; l < count; l++) {
		int braces = 0;
		for (const char *c = lines[l]; *c; c++)
			braces += (*c == '{') - (*c == '}');
		if (strlen(lines[l]) > 80 || braces)
			fail_msg("title line %d: '%s'", l + 1, lines[l]);
		strcat(joined, lines[l]);
		strcat(joined, l + 1 < count && lines[l][strlen(lines[l]) - 1] != ',' ? " " : "");
	}
	char whole[256];
	snprintf(whole, sizeof whole, "run 1 %s", name);
	assert_string_equal(joined, whole);
	free(script);
	snprintf(path, sizeof path, "%s/out/index.html", dir);
	char *index = read_file(path);
	snprintf(whole, sizeof whole, "Heatmap of run 1 (%s)", name);
	assert_contains(index, whole);
	free(index);
	/* no comma or space to break at: cut after 80 characters, never inside one's bytes
	 * or a quote's escape */
	struct strbuf long_word, title, expected;
	strbuf_init(&long_word), strbuf_init(&title), strbuf_init(&expected);
	for (int i = 0; i < 79; i++)
		strbuf_puts(&long_word, "\xc3\xa9"); /* e acute */
	strbuf_puts(&long_word, "'x");
	wrapped_title(&title, long_word.text, 80);
	strbuf_printf(&expected, "'%.158s''' . \"\\n\" . 'x'", long_word.text);
	assert_string_equal(title.text, expected.text);
	strbuf_free(&long_word), strbuf_free(&title), strbuf_free(&expected);
	renders_quietly(dir, NULL);
}

/* A text plot has no key (gnuplot's dumb terminal draws it over the curves): each
 * curve's points are a letter, listed with its legend after the plot, wrapped to the
 * width; 40 columns at the least, titles wrapped to them. */
static void text_plots_list_their_legend_after_the_plot(void **state)
{
	(void)state;
	if (!gnuplot_available())
		skip();
	const char *dir = fixture_dir();
	struct command_result r;
	setenv("COLUMNS", "30", 1);
	REPORT(&r, dir, "--terminal", "--runs", "1-4");
	unsetenv("COLUMNS");
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.err, "");
	const char *loss = strstr(r.out, "loss-1.gp\n"), *depth = strstr(r.out, "depth-1.gp\n");
	assert_non_null(loss);
	assert_non_null(depth);
	char *plot = strndup(loss, (size_t)(depth - loss));
	static const char legend[] = "\nA  sigmoid d=2 plain\n"
				     "B  sigmoid d=2 residual\n"
				     "C  relu d=2 plain [diverged]\n"
				     "D  sigmoid d=3 plain\n"
				     "E  x: where a diverged or killed run\n"
				     "   stopped\n";
	const char *listed = strstr(plot, legend);
	if (!listed)
		fail_msg("no legend after the loss plot:\n%s", plot);
	assert_string_equal(listed, legend); /* the last thing of the plot */
	/* the plot above it: the letters, and no key */
	char *drawn = strndup(plot, (size_t)(listed - plot));
	assert_non_null(strchr(drawn + strlen("loss-1.gp\n"), 'D'));
	assert_null(strstr(drawn, "sigmoid d=2"));
	/* the title, too wide for 40 columns, wrapped again rather than left out */
	assert_contains(drawn, "training loss: xavier_normal,");
	assert_true(widest_line(r.out) <= 40);
	free(drawn);
	free(plot);
	command_result_free(&r);
	/* a seed set's band is left out: the text terminal fills it with X */
	add_seeds(dir, NULL);
	REPORT(&r, dir, "--terminal", "--runs", "1,5");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "\nA  sig-plain (2 seeds)\n");
	assert_null(strstr(r.out, "XXX"));
	command_result_free(&r);
}

/* The file `name` (a script, index.html) of a report, not rendered, of the runs into
 * dir/out (caller frees). */
static char *unrendered_report_file(const char *dir, const char *out, const char *runs,
			       const char *name)
{
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", out, "--runs", runs);
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/%s/%s", dir, out, name);
	char *script = read_file(path);
	assert_non_null(script);
	return script;
}

/* Setup names read as a researcher writes them, and a value every run it applies to
 * shares says nothing in a legend: alpha 1.0 of the residual runs next to plain runs,
 * the start value of a trained alpha (its name tells it). */
static void setup_names_read_as_written(void **state)
{
	(void)state;
	const char *dir = fixture_dir_amended(
		"report.sql", "UPDATE runs SET residual_alpha = 1.0, residual_block = 1,"
			      " residual_form = 'branch', residual_learn_alpha = 0,"
			      " residual_init = 'default' WHERE id = 2");
	char path[1024];
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	copy_run(db, 2, 5, 11, 1);
	copy_run(db, 2, 6, 12, 1);
	copy_run(db, 2, 7, 13, 1);
	if (sqlite3_exec(db,
			 "UPDATE runs SET (residual_alpha, residual_block, residual_form,"
			 " residual_learn_alpha, residual_init) = (SELECT residual_alpha,"
			 " residual_block, residual_form, residual_learn_alpha, residual_init"
			 " FROM runs WHERE id = 2) WHERE id IN (5, 6, 7);"
			 "UPDATE runs SET residual_form = 'pre', residual_block = 2,"
			 " residual_learn_alpha = 1, residual_alpha = 0.5 WHERE id = 5;"
			 "UPDATE runs SET residual_learn_alpha = 1, residual_alpha = 0.0"
			 " WHERE id = 6;"
			 "UPDATE runs SET residual_form = 'post' WHERE id = 7",
			 NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	char *script = unrendered_report_file(dir, "out", "1,2,5,6,7", "loss-1.gp");
	assert_contains(script, "title 'plain' noenhanced");
	assert_contains(script, "title 'residual' noenhanced");
	assert_contains(script, "title 'pre k=2, learned alpha from 0.5' noenhanced");
	assert_contains(script, "title 'ReZero' noenhanced");
	assert_contains(script, "title 'post k=1' noenhanced");
	assert_null(strstr(script, "alpha 1.0"));
	assert_null(strstr(script, "alpha 0.0"));
	free(script);
	/* the residual runs alone: their shared alpha goes to the title, the legends name
	 * only what differs */
	script = unrendered_report_file(dir, "residual-only", "2,7", "loss-1.gp");
	assert_contains(script, "training loss: sigmoid, d=2, alpha 1.0,");
	assert_contains(script, "title 'residual' noenhanced");
	assert_contains(script, "title 'post k=1' noenhanced");
	free(script);
	/* --compare residual compares the setup whole, as legends name it: one figure, not
	 * one per form, block length or trained alpha */
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "compared", "--runs", "1,2,5,6,7", "--compare",
	       "residual");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	snprintf(path, sizeof path, "%s/compared/loss-2.gp", dir);
	assert_false(file_exists(path));
	snprintf(path, sizeof path, "%s/compared/loss-1.gp", dir);
	script = read_file(path);
	assert_non_null(script);
	assert_contains(script, "title 'pre k=2, learned alpha from 0.5' noenhanced");
	assert_contains(script, "title 'ReZero' noenhanced");
	assert_contains(script, "title 'post k=1' noenhanced");
	free(script);
}

/* The contents name a heatmap by its whole run name, though a sweep's names hold ": "
 * inside braces ("residual={form: pre}"); they were cut there. */
static void contents_keep_a_sweep_name_whole(void **state)
{
	(void)state;
	const char *dir = fixture_dir_amended(
		"report.sql", "UPDATE runs SET name = 'sweep:depth=2,residual={form: pre. k}'"
			      " WHERE id = 1");
	char *index = unrendered_report_file(dir, "out", "1", "index.html");
	assert_contains(index, "<li><a href=\"#heatmap-run1\">Heatmap of run 1 "
			       "(sweep:depth=2,residual={form: pre. k})</a></li>");
	free(index);
}

/* Issue 12: the evaluations and diagnostics figures mark where a diverged run stopped,
 * like the loss and profile figures: an x in each quantity's panel and a key entry. Run 3
 * of the seeds fixture diverged. */
static void step_figures_mark_where_a_diverged_run_stopped(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	char path[1024];
	add_seeds(dir,
		  "INSERT INTO evals SELECT run_id, step, split, loss, 0.5, 64 FROM steps,"
		  " (SELECT 'train' AS split UNION ALL SELECT 'validation');"
		  "UPDATE layer_stats SET dead_fraction = 0.25, saturated_fraction = 0.5,"
		  " update_ratio = 0.001 * (1 + run_id)");
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out", "--runs", "1,3,5");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	static const char *const stems[] = {"evals-1.gp", "diagnostics-1.gp"};
	for (int f = 0; f < 2; f++) {
		snprintf(path, sizeof path, "%s/out/%s", dir, stems[f]);
		char *script = read_file(path);
		assert_non_null(script);
		assert_contains(script, "# where diverged or killed runs stopped: step, ");
		assert_contains(script, "$stopped1 << EOD\n2 ");
		assert_contains(script, "$stopped2 using 1:2:3 with points pt 2");
		assert_contains(script, "title 'x: where a diverged or killed run stopped'");
		free(script);
	}
	renders_quietly(dir, "1,3,5");
}

/* A diagnostic that no run of a figure records (the dead fraction of sigmoid runs, the
 * saturated fraction of relu ones) gets no column of empty panels; the caption says
 * why it is missing. */
static void unrecorded_diagnostics_get_no_panels(void **state)
{
	(void)state;
	const char *dir = fixture_dir();
	add_seeds(dir, "UPDATE layer_stats SET dead_fraction = NULL, saturated_fraction = 0.5,"
		       " update_ratio = 0.001 * (1 + run_id)");
	struct command_result r;
	REPORT(&r, dir, "--no-render", "--out", "out", "--runs", "1,3,5");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/out/diagnostics-1.gp", dir);
	char *script = read_file(path);
	assert_non_null(script);
	char **commands;
	int count = plot_commands(script, &commands);
	assert_int_equal(count, 2); /* saturated fraction and update ratio, one row */
	for (int c = 0; c < count; c++)
		free(commands[c]);
	free(commands);
	assert_lacks(script, "dead fraction'");
	assert_contains(script, "set title 'saturated fraction' noenhanced");
	free(script);
	snprintf(path, sizeof path, "%s/out/index.html", dir);
	char *index = read_file(path);
	assert_contains(index, "No run here records the dead fraction.");
	assert_lacks(index, "No run here records the saturated fraction.");
	free(index);
	renders_quietly(dir, "1,3,5");

	/* in rows by activation, the sigmoid row records no dead fraction and the relu row
	 * no saturated fraction: both columns stay, and those two panels say so, the label
	 * cleared before the next panel */
	snprintf(path, sizeof path, "%s/fixture.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE layer_stats SET dead_fraction = CASE WHEN"
					  " run_id = 3 THEN 0.5 END, saturated_fraction = CASE"
					  " WHEN run_id <> 3 THEN 0.5 END",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	struct command_result rows;
	REPORT(&rows, dir, "--no-render", "--out", "rows", "--runs", "1,3,5", "--facet",
	       "activation");
	assert_int_equal(rows.exit_code, 0);
	command_result_free(&rows);
	snprintf(path, sizeof path, "%s/rows/diagnostics-1.gp", dir);
	script = read_file(path);
	assert_non_null(script);
	count = plot_commands(script, &commands);
	assert_int_equal(count, 6); /* two rows of three */
	for (int c = 0; c < count; c++)
		free(commands[c]);
	free(commands);
	int labels = 0;
	for (const char *at = script; (at = strstr(at, "set label 1 ")); at++, labels++) {
		const char *title = strstr(at, "\nset title "), *unset = strstr(at, "\nunset label 1\n");
		if (!unset || (title && title < unset))
			fail_msg("a panel's label is not cleared before the next panel");
		assert_non_null(strstr(at, "'not recorded by these runs'"));
	}
	assert_int_equal(labels, 2);
	assert_contains(script, "set title 'sigmoid, dead fraction' noenhanced\n");
	free(script);
	renders_quietly(dir, "1,3,5");
}

/* A row's key leaves out the row's value (its title says it), unless a curve of the row
 * has nothing else to tell: then every key of that row keeps it, so that 'sigmoid' and
 * 'sigmoid batchnorm' do not read as 'sigmoid' against 'batchnorm'. Captions keep it. */
static void keys_leave_out_the_row_value_when_they_can(void **state)
{
	(void)state;
	const char *dir = fixture_dir_amended(
		"report.sql", "UPDATE runs SET residual = 0, residual_alpha = NULL, norm ="
			      " 'batchnorm' WHERE id = 2; UPDATE runs SET norm = 'none' WHERE id <> 2");
	static const struct {
		const char *runs, *out, *keys[3], *never, *caption;
	} cases[] = {
		{"1,2,3", "kept", {"'sigmoid'", "'sigmoid batchnorm'", "'relu [diverged]'"},
		 "'batchnorm'", "sigmoid batchnorm: final loss"},
		{"1,3,4", "left", {"'d=2'", "'d=3'", "'d=2 [diverged]'"}, "'sigmoid d=2'",
		 "sigmoid d=2: final loss"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct command_result r;
		REPORT(&r, dir, "--no-render", "--out", cases[i].out, "--runs", cases[i].runs,
		       "--facet", "activation");
		assert_int_equal(r.exit_code, 0);
		command_result_free(&r);
		char path[1024], key[64];
		snprintf(path, sizeof path, "%s/%s/loss-1.gp", dir, cases[i].out);
		char *script = read_file(path);
		assert_non_null(script);
		assert_contains(script, "set title 'sigmoid' noenhanced");
		for (int k = 0; k < 3; k++) {
			snprintf(key, sizeof key, "title %s noenhanced", cases[i].keys[k]);
			assert_contains(script, key);
		}
		snprintf(key, sizeof key, "title %s noenhanced", cases[i].never);
		assert_lacks(script, key);
		free(script);
		snprintf(path, sizeof path, "%s/%s/index.html", dir, cases[i].out);
		char *index = read_file(path);
		assert_contains(index, cases[i].caption);
		free(index);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scripts_match_the_golden_files),
		cmocka_unit_test(data_blocks_equal_the_database),
		cmocka_unit_test(every_script_renders_without_warnings),
		cmocka_unit_test(index_tells_the_story_in_numbers),
		cmocka_unit_test(seeds_are_aggregated),
		cmocka_unit_test(selections_fail_clearly),
		cmocka_unit_test(where_stays_a_bounded_condition),
		cmocka_unit_test(paths_and_steps_are_told_straight),
		cmocka_unit_test(selections_and_compare_shape_the_figures),
		cmocka_unit_test(normalisation_is_told_apart),
		cmocka_unit_test(a_single_step_renders_quietly),
		cmocka_unit_test(renders_quietly_without_a_locale),
		cmocka_unit_test(hostile_names_stay_data),
		cmocka_unit_test(escapes_are_exact),
		cmocka_unit_test(without_gnuplot_the_scripts_are_still_written),
		cmocka_unit_test(terminal_prints_text_plots),
		cmocka_unit_test(runs_without_numbers_are_reported),
		cmocka_unit_test(sweep_sized_reports_stay_readable),
		cmocka_unit_test(residual_sweeps_stay_readable),
		cmocka_unit_test(the_folder_holds_exactly_the_report),
		cmocka_unit_test(a_compare_that_compares_nothing_is_said),
		cmocka_unit_test(heatmaps_share_one_scale),
		cmocka_unit_test(facets_match_the_golden_files),
		cmocka_unit_test(seeds_and_new_figures_match_the_golden_files),
		cmocka_unit_test(trained_alpha_matches_the_golden_file),
		cmocka_unit_test(diverged_profiles_are_clipped_and_marked),
		cmocka_unit_test(partly_diverged_seed_sets_say_so),
		cmocka_unit_test(diverged_runs_do_not_set_the_heatmap_scale),
		cmocka_unit_test(stop_markers_are_one_per_seed_set),
		cmocka_unit_test(a_users_files_and_links_are_refused),
		cmocka_unit_test(a_stopped_report_leaves_its_manifest),
		cmocka_unit_test(options_out_of_range_are_refused_whole),
		cmocka_unit_test(scripts_render_together_by_hand),
		cmocka_unit_test(text_plots_fit_and_stop_quietly),
		cmocka_unit_test(writing_replaces_a_link),
		cmocka_unit_test(a_folder_from_before_manifests_is_still_ours),
		cmocka_unit_test(evals_panels_count_lines_not_configurations),
		cmocka_unit_test(alpha_combines_seeds_in_panels_of_at_most_ten_blocks),
		cmocka_unit_test(long_run_names_wrap_in_heatmap_titles),
		cmocka_unit_test(text_plots_list_their_legend_after_the_plot),
		cmocka_unit_test(setup_names_read_as_written),
		cmocka_unit_test(contents_keep_a_sweep_name_whole),
		cmocka_unit_test(step_figures_mark_where_a_diverged_run_stopped),
		cmocka_unit_test(unrecorded_diagnostics_get_no_panels),
		cmocka_unit_test(keys_leave_out_the_row_value_when_they_can),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
