/* Hostile names, values and timing (issue 13): strings from specs, sweep files, the
 * command line and databases stay data wherever they land (a Slurm script, task files,
 * the terminal); recursive aliases and alias bombs are refused; concurrent sweeps,
 * stopped writers, read-only databases and half-written shards lose nothing and block
 * no reader. */
#include "support/test_support.h"

#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec/spec.h"
#include "sweep/sweep.h"
#include "util/error.h"
#include "util/file.h"
#include "util/printable.h"
#include "util/strbuf.h"

static const char base_spec[] =
	"name: base\n"
	"data: {kind: blobs, samples: 256, features: 6, classes: 3}\n"
	"model: {depth: 3, width: 8, activation: tanh}\n"
	"train: {steps: 12, batch_size: 16}\n";

static char *path_in(const char *dir, const char *name)
{
	char *path = xmalloc(strlen(dir) + strlen(name) + 2);
	sprintf(path, "%s/%s", dir, name);
	return path;
}

static char *read_in(const char *dir, const char *name)
{
	char *path = path_in(dir, name);
	char *text = file_read_text(path, "file", 1 << 20, NULL);
	free(path);
	assert_non_null(text);
	return text;
}

static void printable_text_is_valid_utf8_without_controls(void **state)
{
	(void)state;
	size_t offset = 99;
	assert_true(text_is_printable("plain sigmoid-10:depth=5 h\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
				      &offset));
	assert_false(text_is_printable("ab\x1b[2J", &offset));
	assert_int_equal(offset, 2);
	assert_false(text_is_printable("del\x7f", &offset));
	assert_int_equal(offset, 3);
	assert_false(text_is_printable("c1 \xc2\x85", &offset)); /* U+0085, next line */
	assert_int_equal(offset, 3);
	assert_false(text_is_printable("\xc0\xaf", &offset)); /* overlong '/' */
	assert_int_equal(offset, 0);
	assert_false(text_is_printable("x\xed\xa0\x80", &offset)); /* a surrogate */
	assert_int_equal(offset, 1);
	assert_false(text_is_printable("cut \xe2\x9c", &offset));
	assert_int_equal(offset, 4);
	assert_false(text_is_printable("tab\there", NULL));

	char *shown = text_printable("a\x1b[31mb\nc\xc2\x9b\xff\xc3\xa9");
	assert_string_equal(shown, "a\\x1b[31mb\\x0ac\\x9b\\xff\xc3\xa9");
	free(shown);
	assert_null(text_printable(NULL));
}

/* Before the fix the sweep file's name went into the script in double quotes, so
 * $(...) and backquotes in a sweep name ran when the job started. */
static void slurm_script_quotes_every_string_for_the_shell(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	free(test_write_file(dir, "evil.yaml",
			     "name: \"x$(touch pwned)`touch pwned2`'q\"\n"
			     "base: base.yaml\ngrid:\n  seed: [1, 2]\n"));
	struct command_result r;
	GTRACK(&r, dir, "sweep", "evil.yaml", "--emit", "slurm", "--out", "out");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char *script = read_in(dir, "out/gtrack.sbatch");
	assert_contains(script, "#SBATCH --job-name=gtrack-x__touch_pwned__touch_pwned2__q\n");
	assert_contains(script, "--sweep 'x$(touch pwned)`touch pwned2`'\\''q.yaml'");
	free(script);

	/* run the script as Slurm would, with gtrack replaced by echo */
	char command[2048];
	snprintf(command, sizeof command,
		 "cd '%s' && GTRACK=/bin/echo SLURM_ARRAY_TASK_ID=1 bash out/gtrack.sbatch"
		 " > echoed.txt 2>&1",
		 dir);
	assert_int_equal(system(command), 0);
	char *echoed = read_in(dir, "echoed.txt");
	assert_string_equal(echoed, "run base.yaml --db shards/00001.db --sweep "
				    "x$(touch pwned)`touch pwned2`'q.yaml --quiet --name "
				    "x$(touch pwned)`touch pwned2`'q:seed=2 --set seed=2\n");
	free(echoed);
	char *pwned = path_in(dir, "out/pwned"), *pwned2 = path_in(dir, "out/pwned2");
	assert_false(file_exists(pwned));
	assert_false(file_exists(pwned2));
	free(pwned), free(pwned2);

	/* a newline would end the #SBATCH block and add a command: refused, nothing written */
	free(test_write_file(dir, "newline.yaml",
			     "name: \"x\\n#SBATCH --x\\ntouch pwned\"\n"
			     "base: base.yaml\ngrid:\n  seed: [1]\n"));
	GTRACK(&r, dir, "sweep", "newline.yaml", "--emit", "slurm", "--out", "out2");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "newline.yaml:1:7: name 'x\\x0a#SBATCH --x\\x0atouch pwned': "
			       "byte 2 is a control character, a bidirectional override or "
			       "not UTF-8");
	command_result_free(&r);
	char *out2 = path_in(dir, "out2");
	assert_false(file_exists(out2));
	free(out2);

	GTRACK(&r, dir, "sweep", "evil.yaml", "--emit", "slurm", "--out", "with space");
	assert_int_equal(r.exit_code, 1);
	assert_contains(r.err, "with space' cannot go into an #SBATCH line");
	command_result_free(&r);
	GTRACK(&r, dir, "sweep", "evil.yaml", "--emit", "slurm", "--out", "out3",
	       "--sbatch=--time=1\ntouch pwned");
	/* a bad option is a usage error (2), found before the sweep is read */
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "gtrack sweep: --sbatch '--time=1\\x0atouch pwned' has a control");
	command_result_free(&r);
	free(test_write_file(dir, "slash.yaml", "name: ../../up\nbase: base.yaml\n"
						"grid:\n  seed: [1]\n"));
	/* refused when the sweep is read, for every command, with its location */
	const char *const commands[][5] = {{"sweep", "slash.yaml", "--emit", "parallel"},
					   {"sweep", "slash.yaml", "--dry-run", NULL}};
	for (int c = 0; c < 2; c++) {
		run_gtrack(&r, dir, NULL, commands[c]);
		assert_int_equal(r.exit_code, 3);
		assert_string_equal(r.err, "gtrack: slash.yaml:1:7: sweep name '../../up': a name "
					   "with '/' or a leading '.' cannot name the sweep's files; "
					   "give the sweep another name\n");
		command_result_free(&r);
	}
}

/* Before the fix these were stored raw; the spec then could not be parsed back. */
static void names_with_control_bytes_are_refused(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	static const struct {
		const char *name, *shown;
	} bad[] = {
		{"a\x1b]0;owned\x07", "a\\x1b]0;owned\\x07"},
		{"del\x7f", "del\\x7f"},
		{"c1\xc2\x9b" "31m", "c1\\x9b31m"},
		{"latin1 \xe9t\xe9", "latin1 \\xe9t\\xe9"},
		{"evil\xe2\x80\xaegp.txt", "evil\\u202egp.txt"}, /* shows as "eviltxt.pg" */
	};
	struct command_result r;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		GTRACK(&r, dir, "run", "base.yaml", "--db", "n.db", "--quiet", "--name",
		       bad[i].name);
		assert_int_equal(r.exit_code, 3);
		char expected[256];
		snprintf(expected, sizeof expected, "--name: name '%s': byte ", bad[i].shown);
		assert_contains(r.err, expected);
		command_result_free(&r);
	}
	free(test_write_file(dir, "named.yaml", "name: \"bell\\a\"\n"
						"data: {kind: blobs, samples: 64}\n"));
	GTRACK(&r, dir, "run", "named.yaml", "--db", "n.db");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "named.yaml:1:7: name 'bell\\x07': byte 5 is a control character");
	command_result_free(&r);
	GTRACK(&r, dir, "run", "base.yaml", "--db", "n.db", "--set", "name=\"x\\ty\"");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "--set name=\"x\\ty\": name 'x\\x09y': byte 2");
	command_result_free(&r);
	GTRACK(&r, dir, "run", "base.yaml", "--db", "n.db", "--name", "");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "--name: name: empty");
	command_result_free(&r);
	char *db = path_in(dir, "n.db");
	assert_false(file_exists(db));
	free(db);

	/* printable names, accents and all, are fine */
	GTRACK(&r, dir, "run", "base.yaml", "--db", "n.db", "--quiet", "--name",
	       "caf\xc3\xa9 \xe2\x9c\x93");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
}

/* A database from elsewhere can hold anything; before the fix ls and show passed its
 * escape sequences to the terminal. */
/* Error messages quote keys, values and paths from files and the command line: what
 * reaches the terminal has no raw control character (ESC ] 0 ; retitles a terminal). */
static void error_messages_escape_control_bytes(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "k.yaml", "name: k\n\"bad\\e]0;T\\akey\": 1\n"));
	free(test_write_file(dir, "base.yaml", base_spec));
	struct command_result r;
	GTRACK(&r, dir, "run", "k.yaml", "--db", "e.db");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "k.yaml:2:1: bad\\x1b]0;T\\x07key: unknown key");
	assert_null(strchr(r.err, '\x1b'));
	assert_null(strchr(r.err, '\a'));
	command_result_free(&r);
	GTRACK(&r, dir, "run", "base.yaml", "--db", "e.db", "--set", "model.depth\x1b[2J=3");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "model.depth\\x1b[2J");
	assert_null(strchr(r.err, '\x1b'));
	command_result_free(&r);
	GTRACK(&r, dir, "show", "a\x1b[31m", "--db", "e.db");
	assert_null(strchr(r.err, '\x1b'));
	command_result_free(&r);
}

/* ls cuts a long name by characters: a cut inside a UTF-8 sequence would print a broken
 * character and shift the columns. */
static void ls_cuts_names_by_characters(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	/* 'a', 66 two-byte characters, 'zz': longer than the 60 characters ls gives a name
	 * when not on a terminal */
	char name[256] = "a", cut[256] = "   1  a";
	for (int i = 0; i < 66; i++)
		strcat(name, "\xc3\xa9");
	strcat(name, "zz");
	for (int i = 0; i < 59; i++)
		strcat(cut, "\xc3\xa9");
	strcat(cut, "    1 finished "); /* 60 characters (119 bytes), then the seed */
	struct command_result r;
	GTRACK(&r, dir, "run", "base.yaml", "--db", "w.db", "--quiet", "--name", name);
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	GTRACK(&r, dir, "ls", "--db", "w.db");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, cut);
	command_result_free(&r);
}

static void ls_and_show_never_print_raw_control_bytes(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	struct command_result r;
	GTRACK(&r, dir, "run", "base.yaml", "--db", "h.db", "--quiet");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char *path = path_in(dir, "h.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE runs SET name = 'ev' || char(27) || '[2J' || char(155)"
				      " || 'x', status = 'failed', message = 'm' || char(27) || ']0;t'"
				      " || char(7), overrides = '--set a=' || char(8),"
				      " spec = 'name: ' || char(27) || '[31m' || char(10) || 'seed: 1',"
				      " dtype = 'f' || char(13)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	free(path);

	GTRACK(&r, dir, "ls", "--db", "h.db");
	assert_int_equal(r.exit_code, 0);
	assert_lacks(r.out, "\x1b");
	assert_lacks(r.out, "\xc2\x9b");
	assert_contains(r.out, "ev\\x1b[2J\\x9bx");
	command_result_free(&r);
	GTRACK(&r, dir, "show", "1", "--db", "h.db");
	assert_int_equal(r.exit_code, 0);
	for (const char *c = r.out; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\n')
			fail_msg("show printed control byte 0x%02x: %s", *c, r.out);
	assert_lacks(r.out, "\xc2\x9b");
	assert_contains(r.out, "run 1: ev\\x1b[2J\\x9bx (failed)");
	assert_contains(r.out, "message: m\\x1b]0;t\\x07");
	assert_contains(r.out, "overrides: --set a=\\x08");
	assert_contains(r.out, "  name: \\x1b[31m\n  seed: 1\n");
	assert_contains(r.out, "dtype f\\x0d");
	command_result_free(&r);
}

static void assert_override_refused(const char *assignment, const char *expected)
{
	struct spec spec;
	const char *overrides[] = {assignment};
	error_clear();
	assert_int_equal(spec_load_text(&spec, base_spec, "base.yaml", overrides, 1), -1);
	assert_contains(error_last(), expected);
}

/* An alias bomb: nine levels of nine references expand 9^9 times. */
static char *alias_bomb(const char *prefix, const char *suffix)
{
	struct strbuf text;
	strbuf_init(&text);
	strbuf_printf(&text, "%s[&a0 [x, x, x, x, x, x, x, x, x]", prefix);
	for (int level = 1; level < 9; level++) {
		strbuf_printf(&text, ", &a%d [", level);
		for (int i = 0; i < 9; i++)
			strbuf_printf(&text, "%s*a%d", i ? ", " : "", level - 1);
		strbuf_puts(&text, "]");
	}
	strbuf_printf(&text, "]%s", suffix);
	return strbuf_detach(&text);
}

/* Before the fix the first segfaulted (endless recursion in the copier) and the second
 * expanded to gigabytes. */
static void override_aliases_are_bounded(void **state)
{
	(void)state;
	assert_override_refused("model.residual=&a [*a]",
				"--set model.residual=&a [*a]: the value contains itself through "
				"an alias");
	assert_override_refused("model.residual={x: &a {y: *a}}",
				"the value contains itself through an alias");
	char *bomb = alias_bomb("model.residual=", "");
	assert_true(strlen(bomb) < 500);
	assert_override_refused(bomb, "the value expands to more than 10000 nodes");
	free(bomb);
	/* an alias that does not repeat itself is fine: the copy is what the value means */
	struct spec spec;
	const char *fine[] = {"model={depth: &n 4, width: *n}"};
	assert_int_equal(spec_load_text(&spec, base_spec, "base.yaml", fine, 1), 0);
	assert_int_equal(spec.model.depth, 4);
	assert_int_equal(spec.model.width, 4);
	spec_free(&spec);
}

static void assert_sweep_refused(const char *dir, const char *text, const char *expected)
{
	char *path = test_write_file(dir, "aliased.yaml", text);
	struct sweep sweep;
	error_clear();
	assert_int_equal(sweep_load(&sweep, path), -1);
	assert_contains(error_last(), expected);
	free(path);
}

static void sweep_grid_aliases_are_bounded(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	assert_sweep_refused(dir, "base: base.yaml\ngrid:\n  model.residual: [&a [*a]]\n",
			     "aliased.yaml:3:20: grid.model.residual: the value contains itself "
			     "through an alias");
	char *bomb = alias_bomb("base: base.yaml\ngrid:\n  model.residual: [", "]\n");
	assert_sweep_refused(dir, bomb, "aliased.yaml:3:20: grid.model.residual: the value "
					"expands to more than 65536 bytes");
	free(bomb);
}


static void run_gtrack_in_child(const char *dir, const char *const *argv, pid_t *pid)
{
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		struct command_result r;
		run_gtrack(&r, dir, NULL, argv);
		_exit(r.exit_code);
	}
}

static int wait_exit_code(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Before the fix each sweep trained every run it found pending when it started: 6 runs
 * became 9 to 12. */
static void concurrent_sweeps_train_each_run_once(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	free(test_write_file(dir, "six.yaml", "base: base.yaml\ngrid:\n  model.depth: [2, 3]\n"
					      "  seed: [1, 2, 3]\n  train.steps: [400]\n"));
	char *first = path_in(dir, "first"), *second = path_in(dir, "second");
	assert_int_equal(mkdir(first, 0755), 0);
	assert_int_equal(mkdir(second, 0755), 0);
	const char *argv[] = {"sweep", "../six.yaml", "-j", "3", "--db", "../s.db", NULL};
	pid_t a, b;
	run_gtrack_in_child(first, argv, &a);
	run_gtrack_in_child(second, argv, &b);
	assert_int_equal(wait_exit_code(a), 0);
	assert_int_equal(wait_exit_code(b), 0);

	char *path = path_in(dir, "s.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 6);
	assert_int_equal(query_int(db, "SELECT count(DISTINCT spec_hash || seed) FROM runs"), 6);
	assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE status = 'finished'"), 6);
	assert_int_equal(query_int(db, "SELECT count(*) FROM run_claims"), 0);
	sqlite3_close(db);
	free(path);

	/* the two summaries add up: each run finished once, the rest were left to the other */
	char *out_first = read_in(first, ".stdout"), *out_second = read_in(second, ".stdout");
	int finished = 0;
	for (char *out = out_first; out; out = out == out_first ? out_second : NULL) {
		const char *summary = strstr(out, "sweep six: 6 runs: ");
		assert_non_null(summary);
		finished += atoi(summary + strlen("sweep six: 6 runs: "));
	}
	assert_int_equal(finished, 6);
	free(out_first), free(out_second), free(first), free(second);
}

/* Before the fix such runs printed as "run 0 ...: finished, 0/2 steps, loss nan" and the
 * sweep exited 0. The data of every run is now read when the sweep is loaded, so a bad
 * file stops the sweep before anything trains, with the file and line. */
static void sweep_with_bad_data_stops_before_training(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	struct strbuf csv;
	strbuf_init(&csv);
	strbuf_puts(&csv, "a,b,label\n");
	for (int i = 0; i < 300; i++)
		strbuf_printf(&csv, "%d.5,%d.25,%d\n", i % 7, i % 5, i % 2);
	strbuf_puts(&csv, "1.0,oops,1\n"); /* past any header check: found when read */
	free(test_write_file(dir, "bad.csv", csv.text));
	strbuf_free(&csv);
	free(test_write_file(dir, "csvbase.yaml", "name: csvbase\ndata: {kind: csv, path: bad.csv}\n"
						  "model: {depth: 2, width: 4}\n"
						  "train: {steps: 2, batch_size: 8}\n"));
	free(test_write_file(dir, "csvsweep.yaml", "base: csvbase.yaml\ngrid:\n  seed: [1, 2]\n"));
	struct command_result r;
	GTRACK(&r, dir, "sweep", "csvsweep.yaml", "--db", "f.db", "-j", "2", "--quiet");
	assert_int_equal(r.exit_code, 3);
	/* the message names the file by its absolute path, as the resolved spec does */
	assert_contains(r.err, "/bad.csv:302: column 'b': expected a number, found 'oops'\n");
	assert_lacks(r.out, "finished");
	char *db = path_in(dir, "f.db");
	assert_false(file_exists(db)); /* nothing trained, nothing recorded */
	free(db);
	command_result_free(&r);
}

/* Runs gtrack like run_gtrack, in its own process group, and fails the test when it
 * takes longer than `seconds` (the process group is then killed). */
static void run_gtrack_within(struct command_result *r, const char *dir, int seconds,
			      const char *const *argv)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		struct command_result child;
		run_gtrack(&child, dir, NULL, argv);
		_exit(child.exit_code);
	}
	setpgid(pid, pid);
	for (int waited = 0;; waited++) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			r->out = read_in(dir, ".stdout");
			r->err = read_in(dir, ".stderr");
			return;
		}
		if (waited == seconds * 20) {
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("gtrack %s did not finish within %d s", argv[0], seconds);
		}
		usleep(50000);
	}
}

/* The stopped writer of the next test, killed by its teardown whatever the test did. */
static pid_t stopped_writer;

static int kill_stopped_writer(void **state)
{
	(void)state;
	if (stopped_writer > 0) {
		kill(stopped_writer, SIGKILL);
		waitpid(stopped_writer, NULL, 0);
	}
	stopped_writer = 0;
	return 0;
}

/* Before the fix every ls and show waited the 60 s busy timeout for the stopped writer
 * (to mark the stale run crashed) and then failed with "database is locked". */
static void readers_do_not_wait_for_a_stopped_writer(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	struct command_result r;
	for (int i = 0; i < 2; i++) {
		GTRACK(&r, dir, "run", "base.yaml", "--db", "w.db", "--quiet");
		assert_int_equal(r.exit_code, 0);
		command_result_free(&r);
	}
	char *path = path_in(dir, "w.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* run 2 died on another host a while ago: its heartbeat is stale */
	assert_int_equal(sqlite3_exec(db, "UPDATE runs SET status = 'running', hostname ="
					  " 'elsewhere', heartbeat_at = '2020-01-01T00:00:00Z',"
					  " finished_at = NULL WHERE id = 2",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	/* a writer holding the write lock, stopped as by Ctrl-Z */
	pid_t writer = stopped_writer = fork();
	assert_true(writer >= 0);
	if (writer == 0) {
		sqlite3 *held;
		if (sqlite3_open(path, &held) != SQLITE_OK ||
		    sqlite3_exec(held, "BEGIN IMMEDIATE; UPDATE runs SET message = 'held' WHERE"
				       " id = 1", NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		raise(SIGSTOP);
		sqlite3_exec(held, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(held);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(writer, &status, WUNTRACED), writer);
	assert_true(WIFSTOPPED(status));

	run_gtrack_within(&r, dir, 10, (const char *const[]){"ls", "--db", "w.db", NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "   2  base                    1 crashed ");
	assert_contains(r.out, "   1  base                    1 finished ");
	command_result_free(&r);
	run_gtrack_within(&r, dir, 10, (const char *const[]){"show", "2", "--db", "w.db", NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "run 2: base (crashed)");
	assert_contains(r.out, "message: no heartbeat since 2020-01-01T00:00:00Z");
	command_result_free(&r);

	/* a writer waits the busy timeout (60 s; GTRACK_BUSY_TIMEOUT shortens it here), then
	 * says once which database is locked and which run likely holds it: before the fix
	 * "database: database is locked", twice, after two minutes */
	setenv("GTRACK_BUSY_TIMEOUT", "abc", 1);
	GTRACK(&r, dir, "run", "base.yaml", "--db", "w.db", "--quiet");
	assert_int_equal(r.exit_code, 4);
	assert_contains(r.err, "GTRACK_BUSY_TIMEOUT: expected seconds from 0 to 86400, got 'abc'");
	command_result_free(&r);
	setenv("GTRACK_BUSY_TIMEOUT", "1.5", 1);
	time_t waited_from = time(NULL);
	GTRACK(&r, dir, "run", "base.yaml", "--db", "w.db", "--quiet");
	unsetenv("GTRACK_BUSY_TIMEOUT");
	assert_true(time(NULL) - waited_from >= 1);
	assert_int_equal(r.exit_code, 1);
	char expected[4300];
	snprintf(expected, sizeof expected, "gtrack: database '%s' is locked: another gtrack "
		 "process holds its write lock (likely run 2, pid ", path);
	assert_contains(r.err, expected);
	assert_contains(r.err, " on 'elsewhere', which is still 'running'; a stopped process "
			       "keeps the lock until it resumes or ends)\n");
	assert_true(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
	command_result_free(&r);

	kill(writer, SIGCONT);
	assert_int_equal(waitpid(writer, &status, 0), writer);
	assert_int_equal(WEXITSTATUS(status), 0);
	stopped_writer = 0;
	/* once the lock is free, the next reader marks it for good */
	GTRACK(&r, dir, "ls", "--db", "w.db");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	char *message = query_text(db, "SELECT status || ': ' || message FROM runs WHERE id = 2");
	assert_string_equal(message, "crashed: no heartbeat for a minute (last heartbeat "
				     "2020-01-01T00:00:00Z)");
	free(message);
	sqlite3_close(db);
	free(path);
}

/* Runs gtrack as a user who cannot write dir (nobody, when the tests run as root;
 * otherwise dir is made read-only for the call), from a directory it can write. */
static void run_gtrack_read_only(struct command_result *r, const char *dir,
				 const char *const *argv)
{
	char *read_only = xstrdup(dir); /* test_temp_dir reuses its buffer */
	char *work = xstrdup(test_temp_dir());
	bool root = geteuid() == 0;
	assert_int_equal(chmod(work, 0777), 0);
	if (!root)
		assert_int_equal(chmod(read_only, 0555), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (root && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(126);
		struct command_result child;
		run_gtrack(&child, work, NULL, argv);
		_exit(child.exit_code);
	}
	r->exit_code = wait_exit_code(pid);
	r->out = read_in(work, ".stdout");
	r->err = read_in(work, ".stderr");
	if (!root)
		assert_int_equal(chmod(read_only, 0700), 0);
	free(read_only);
	free(work);
}

/* Before the fix: "cannot read 'r.db': attempt to write a readonly database". */
static void a_database_in_a_read_only_place_is_still_read(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	struct command_result r;
	GTRACK(&r, dir, "run", "base.yaml", "--db", "r.db", "--quiet");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char *path = path_in(dir, "r.db");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(path, 0644), 0);
	uint64_t before = file_fingerprint(path);
	char db_option[700];
	snprintf(db_option, sizeof db_option, "--db=%s", path);

	run_gtrack_read_only(&r, dir, (const char *const[]){"ls", db_option, NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "   1  base                    1 finished ");
	assert_contains(r.err, "is in a place gtrack cannot write");
	command_result_free(&r);
	run_gtrack_read_only(&r, dir, (const char *const[]){"show", "base", db_option, NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "run 1: base (finished)");
	command_result_free(&r);
	run_gtrack_read_only(&r, dir, (const char *const[]){"export", "1", "--format", "csv",
							     db_option, NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "1,11,3,");
	command_result_free(&r);
	/* a shard there merges too (into a database where it can write) */
	run_gtrack_read_only(&r, dir, (const char *const[]){"merge", path, "-o", "all.db", NULL});
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "r.db: 1 run added, 0 already present\n");
	command_result_free(&r);
	assert_int_equal(file_fingerprint(path), before);
	free(path);
}

/* Before the fix the copy of a running run stayed truncated for good: merging again
 * after it ended said "already present". */
static void merging_again_completes_a_run_copied_while_running(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "base.yaml", base_spec));
	long long logged = 0;
	pid_t pid = start_long_run(dir, "base.yaml", "shard.db", 5, &logged);
	struct command_result r;
	GTRACK(&r, dir, "merge", "shard.db", "-o", "all.db");
	kill(pid, SIGTERM); /* ends the run as killed, with what it logged */
	assert_int_equal(wait_exit_code(pid), 130);
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "shard.db: 1 run added, 0 already present\n"
			       "  1 run is still running there: merge again once it has ended");
	command_result_free(&r);

	char *all_path = path_in(dir, "all.db"), *shard_path = path_in(dir, "shard.db");
	sqlite3 *all, *shard;
	assert_int_equal(sqlite3_open_v2(shard_path, &shard, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	long long stored = query_int(shard, "SELECT count(*) FROM steps");
	sqlite3_close(shard);
	assert_int_equal(sqlite3_open_v2(all_path, &all, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	long long copied = query_int(all, "SELECT count(*) FROM steps");
	sqlite3_close(all);
	assert_true(copied >= logged && copied < stored);

	GTRACK(&r, dir, "merge", "shard.db", "-o", "all.db");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "shard.db: 0 runs added, 0 already present, 1 updated (copied "
			       "earlier while running)\n");
	command_result_free(&r);
	GTRACK(&r, dir, "merge", "shard.db", "-o", "all.db");
	assert_contains(r.out, "shard.db: 0 runs added, 1 already present\n");
	command_result_free(&r);

	assert_int_equal(sqlite3_open_v2(all_path, &all, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(query_int(all, "SELECT count(*) FROM runs"), 1);
	char *status = query_text(all, "SELECT id || ' ' || status FROM runs");
	assert_string_equal(status, "1 killed");
	free(status);
	assert_int_equal(query_int(all, "SELECT count(*) FROM steps WHERE run_id = 1"), stored);
	assert_int_equal(query_int(all, "SELECT count(*) FROM layer_stats WHERE run_id = 1"),
			 stored * 4);
	assert_int_equal(query_int(all, "SELECT count(*) FROM layers WHERE run_id = 1"), 4);
	sqlite3_close(all);
	free(all_path), free(shard_path);
}

/* Before the fix ATTACH created the missing shard as an empty file. */
static void merge_never_creates_a_missing_shard(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	struct command_result r;
	GTRACK(&r, dir, "merge", "nonexist.db", "-o", "all.db");
	assert_int_equal(r.exit_code, 4);
	assert_contains(r.err, "no database at 'nonexist.db'");
	command_result_free(&r);
	char *missing = path_in(dir, "nonexist.db");
	assert_false(file_exists(missing));
	free(missing);
}

/* Every shard is checked before the output is created: before the fix a missing or
 * foreign shard left a new empty output database, and a bad second shard came after
 * the first was merged. A shard from a newer gtrack says so. */
static void merge_checks_every_shard_before_writing(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "t.yaml", "data: {kind: blobs, samples: 64, features: 4}\n"
					    "model: {depth: 1, width: 4}\ntrain: {steps: 2}\n"));
	free(test_write_file(dir, "notdb.db", "hello\n"));
	struct command_result r;
	GTRACK(&r, dir, "run", "t.yaml", "--db", "good.db", "--quiet");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char *good = path_in(dir, "good.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(good, &db), SQLITE_OK);
	char *newer = path_in(dir, "newer.db");
	char sql[4200];
	snprintf(sql, sizeof sql, "VACUUM INTO '%s'", newer);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sqlite3_open(newer, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	static const struct {
		const char *first, *second, *message;
	} cases[] = {
		{"nonexist.db", NULL, "no database at 'nonexist.db'"},
		{"notdb.db", NULL, "'notdb.db' is not a gtrack database"},
		{"good.db", "nonexist.db", "no database at 'nonexist.db'"},
		{"newer.db", NULL, "'newer.db' was made by a newer gtrack (schema version 999;"},
	};
	char *out = path_in(dir, "out.db");
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (cases[i].second)
			GTRACK(&r, dir, "merge", cases[i].first, cases[i].second, "-o", "out.db");
		else
			GTRACK(&r, dir, "merge", cases[i].first, "-o", "out.db");
		assert_int_equal(r.exit_code, 4);
		assert_contains(r.err, cases[i].message);
		assert_lacks(r.err, "to migrate it");
		assert_string_equal(r.out, "");
		command_result_free(&r);
		assert_false(file_exists(out));
	}
	free(out), free(newer), free(good);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(printable_text_is_valid_utf8_without_controls),
		cmocka_unit_test(slurm_script_quotes_every_string_for_the_shell),
		cmocka_unit_test(names_with_control_bytes_are_refused),
		cmocka_unit_test(error_messages_escape_control_bytes),
		cmocka_unit_test(ls_and_show_never_print_raw_control_bytes),
		cmocka_unit_test(ls_cuts_names_by_characters),
		cmocka_unit_test(override_aliases_are_bounded),
		cmocka_unit_test(sweep_grid_aliases_are_bounded),
		cmocka_unit_test(concurrent_sweeps_train_each_run_once),
		cmocka_unit_test(sweep_with_bad_data_stops_before_training),
		cmocka_unit_test_teardown(readers_do_not_wait_for_a_stopped_writer,
					  kill_stopped_writer),
		cmocka_unit_test(a_database_in_a_read_only_place_is_still_read),
		cmocka_unit_test(merging_again_completes_a_run_copied_while_running),
		cmocka_unit_test(merge_never_creates_a_missing_shard),
		cmocka_unit_test(merge_checks_every_shard_before_writing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
