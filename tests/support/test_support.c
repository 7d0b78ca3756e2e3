/* Test helpers; see test_support.h. */
#include "support/test_support.h"

#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "util/file.h"
#include "util/hash.h"
#include "util/strbuf.h"

const char *test_temp_dir(void)
{
	static char path[512];
	const char *base = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/gtrack-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		abort();
	}
	return path;
}

char *test_write_file(const char *dir, const char *name, const char *text)
{
	struct strbuf path;
	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s", dir, name);
	FILE *file = fopen(path.text, "wb");
	assert_non_null(file);
	fputs(text, file);
	fclose(file);
	return strbuf_detach(&path);
}

void test_write_gzip(const char *dir, const char *name, const void *bytes, size_t length)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	gzFile file = gzopen(path, "wb");
	assert_non_null(file);
	assert_int_equal(gzwrite(file, bytes, (unsigned)length), (int)length);
	assert_int_equal(gzclose(file), Z_OK);
}

static char *read_all(int fd)
{
	struct strbuf text;
	strbuf_init(&text);
	char chunk[4096];
	ssize_t got;
	while ((got = read(fd, chunk, sizeof chunk)) > 0)
		strbuf_add(&text, chunk, (size_t)got);
	return strbuf_detach(&text);
}

pid_t start_gtrack_on_terminal(const char *dir, const char *const *argv, int columns, int rows,
			       int *terminal)
{
	struct winsize size = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)columns};
	pid_t pid = forkpty(terminal, NULL, NULL, columns > 0 ? &size : NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *args[16] = {GTRACK_BINARY};
		for (int i = 0; argv[i] && i < 14; i++)
			args[i + 1] = argv[i];
		unsetenv("GTRACK_DB");
		if (chdir(dir) == 0)
			execv(GTRACK_BINARY, (char *const *)args);
		_exit(127);
	}
	return pid;
}

char *finish_gtrack_on_terminal(pid_t pid, int terminal, int *exit_code)
{
	/* read_all stops when the terminal closes with the process (EIO) */
	char *screen = read_all(terminal);
	close(terminal);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return screen;
}

/* Like run_gtrack, but with stdout and stderr on a pseudo-terminal; see the header. */
char *run_gtrack_on_terminal(const char *dir, const char *const *argv, int *exit_code)
{
	int terminal;
	pid_t pid = start_gtrack_on_terminal(dir, argv, 0, 0, &terminal);
	return finish_gtrack_on_terminal(pid, terminal, exit_code);
}

void run_gtrack(struct command_result *result, const char *dir, const char *environment_db,
		const char *const *argv)
{
	char out_path[600], err_path[600];
	snprintf(out_path, sizeof out_path, "%s/.stdout", dir);
	snprintf(err_path, sizeof err_path, "%s/.stderr", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		if (chdir(dir))
			_exit(127);
		if (environment_db)
			setenv("GTRACK_DB", environment_db, 1);
		else
			unsetenv("GTRACK_DB");
		const char *args[64] = {GTRACK_BINARY};
		int n = 1;
		for (; argv[n - 1] && n < 63; n++)
			args[n] = argv[n - 1];
		args[n] = NULL;
		execv(GTRACK_BINARY, (char *const *)args);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	result->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	int out = open(out_path, O_RDONLY), err = open(err_path, O_RDONLY);
	result->out = read_all(out);
	result->err = read_all(err);
	close(out);
	close(err);
}

void command_result_free(struct command_result *result)
{
	free(result->out);
	free(result->err);
}

static sqlite3_stmt *first_row(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(statement) != SQLITE_ROW)
		fail_msg("%s: no row", sql);
	return statement;
}

double query_double(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *statement = first_row(db, sql);
	double value = sqlite3_column_double(statement, 0);
	sqlite3_finalize(statement);
	return value;
}

long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *statement = first_row(db, sql);
	long long value = sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	return value;
}

char *query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *statement = first_row(db, sql);
	const unsigned char *text = sqlite3_column_text(statement, 0);
	char *copy = xstrdup(text ? (const char *)text : "");
	sqlite3_finalize(statement);
	return copy;
}

uint64_t file_fingerprint(const char *path)
{
	size_t length = 0;
	char *bytes = file_read_text(path, "file", 1u << 30, &length);
	assert_non_null(bytes);
	uint64_t hash = hash_fnv1a64(bytes, length) ^ length;
	free(bytes);
	return hash;
}

int file_exists(const char *path)
{
	struct stat info;
	return stat(path, &info) == 0;
}

pid_t start_logging_gtrack(const char *dir, const char *const *argv, const char *db,
			   long long min_logged, long long *logged)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(dir))
			_exit(127);
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		int count = 0;
		while (argv[count])
			count++;
		char **arguments = calloc((size_t)count + 2, sizeof *arguments);
		if (!arguments)
			_exit(127);
		arguments[0] = (char *)GTRACK_BINARY;
		for (int i = 0; i < count; i++)
			arguments[i + 1] = (char *)argv[i];
		execv(GTRACK_BINARY, arguments);
		_exit(127);
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, db);
	*logged = 0;
	for (int attempt = 0; attempt < 100 && *logged < min_logged; attempt++) {
		usleep(100000);
		sqlite3 *handle;
		if (!file_exists(path) ||
		    sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
			continue;
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(handle, "SELECT count(*) FROM steps", -1, &s, NULL) ==
			    SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			*logged = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		sqlite3_close(handle);
	}
	assert_true(*logged >= min_logged);
	return pid;
}

pid_t start_long_run(const char *dir, const char *spec, const char *db, long long min_logged,
		     long long *logged)
{
	return start_logging_gtrack(dir,
				    (const char *const[]){"run", spec, "--db", db, "--set",
							  "train.steps=100000000", NULL},
				    db, min_logged, logged);
}

void assert_contains(const char *text, const char *expected)
{
	if (!strstr(text, expected))
		fail_msg("\"%s\" does not contain \"%s\"", text, expected);
}

void assert_lacks(const char *text, const char *unexpected)
{
	if (strstr(text, unexpected))
		fail_msg("\"%s\" contains \"%s\"", text, unexpected);
}
