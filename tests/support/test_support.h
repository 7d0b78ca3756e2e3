/* Helpers shared by the tests: temporary directories, running the gtrack binary,
 * one-value SQL queries, and file fingerprints. */
#ifndef GT_TEST_SUPPORT_H
#define GT_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>
#include <sqlite3.h>

/* Creates a fresh directory under $TMPDIR and returns its path (static storage). */
const char *test_temp_dir(void);
/* Writes text to dir/name and returns the full path (caller frees). */
char *test_write_file(const char *dir, const char *name, const char *text);
/* Writes bytes gzip-compressed to dir/name. */
void test_write_gzip(const char *dir, const char *name, const void *bytes, size_t length);

struct command_result {
	int exit_code; /* -signal when killed by a signal */
	char *out;     /* stdout, caller frees via command_result_free */
	char *err;     /* stderr */
};

/* Runs the gtrack binary with argv (NULL-terminated, without argv[0]) in dir, with
 * GTRACK_DB unset unless environment_db is given. */
void run_gtrack(struct command_result *result, const char *dir, const char *environment_db,
		const char *const *argv);
void command_result_free(struct command_result *result);
/* GTRACK(&result, dir, "run", "spec.yaml", ...): run_gtrack with the arguments listed. */
#define GTRACK(result, dir, ...)                                                           \
	run_gtrack(result, dir, NULL, (const char *const[]){__VA_ARGS__, NULL})

/* Fail the test, showing both texts, unless text contains (lacks) the other. */
void assert_contains(const char *text, const char *expected);
void assert_lacks(const char *text, const char *unexpected);
/* Runs the gtrack binary with argv in dir, GTRACK_DB unset, with its stdout and stderr on
 * a pseudo-terminal; returns all the terminal received (caller frees) and sets
 * *exit_code (-1 when killed by a signal). */
char *run_gtrack_on_terminal(const char *dir, const char *const *argv, int *exit_code);
/* The same in two halves, for a test that acts while gtrack runs (resizes, signals):
 * starts it on a pseudo-terminal of columns x rows (0: a terminal that reports no size),
 * whose controlling side is *terminal; then reads all it shows until it exits. */
pid_t start_gtrack_on_terminal(const char *dir, const char *const *argv, int columns, int rows,
			       int *terminal);
char *finish_gtrack_on_terminal(pid_t pid, int terminal, int *exit_code);

/* Starts gtrack with argv (NULL-terminated, without argv[0]) in dir (stdout to
 * /dev/null) and waits until the database db in dir has at least min_logged steps,
 * stored in *logged; returns its pid. Fails the test after ten seconds. */
pid_t start_logging_gtrack(const char *dir, const char *const *argv, const char *db,
			   long long min_logged, long long *logged);
/* Starts "gtrack run SPEC --db DB --set train.steps=100000000" in dir (stdout to
 * /dev/null) and waits until it has committed at least min_logged steps, which are
 * stored in *logged; returns its pid. Fails the test after ten seconds. */
pid_t start_long_run(const char *dir, const char *spec, const char *db, long long min_logged,
		     long long *logged);

/* The first column of the first row of sql as a double / int64 / text (caller frees). */
double query_double(sqlite3 *db, const char *sql);
long long query_int(sqlite3 *db, const char *sql);
char *query_text(sqlite3 *db, const char *sql);

/* A checksum of a file's bytes, and whether a file exists. */
uint64_t file_fingerprint(const char *path);
int file_exists(const char *path);

#endif
