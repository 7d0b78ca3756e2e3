/* Which runs a report covers: --runs (ids, ranges, names) and --where (a condition on
 * runs columns). Ids and names are bound as values; the --where text is SQL by design,
 * so it is held to one self-contained condition: it must parse on its own as the whole
 * WHERE clause (so its parentheses balance and "1) OR (1" cannot reach past the
 * parentheses it is put in), it may only read (an authorizer refuses writes, pragmas
 * and recursive WITH), and it must finish within WHERE_TIME_LIMIT_S. */
#include "report/report.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "db/run_hint.h"
#include "util/clock.h"
#include "util/error.h"

/* Selecting among runs takes milliseconds; a condition still running after this long is
 * a mistake (a cross join of sub-selects) and would otherwise hang the report. */
#define WHERE_TIME_LIMIT_S 5.0
/* SQLite virtual-machine instructions between two looks at the clock. */
#define WHERE_CLOCK_INTERVAL 10000
/* The longest string or blob, and LIKE pattern, a condition may make: far above any spec
 * or name, small enough that one function call takes milliseconds. */
#define WHERE_MAX_BYTES (1 << 20)
#define WHERE_MAX_PATTERN_BYTES 1000

#define WHERE_EXAMPLE "e.g. \"activation = 'relu' AND depth >= 10\""

/* What the authorizer refused and when the time is up, while a --where is compiled and
 * run. */
struct where_guard {
	const char *refused;
	double deadline;
	bool timed_out;
};

static int authorize_where(void *data, int action, const char *first, const char *second,
			   const char *database, const char *trigger)
{
	(void)first, (void)second, (void)database, (void)trigger;
	struct where_guard *guard = data;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_FUNCTION:
		return SQLITE_OK;
	case SQLITE_RECURSIVE:
		guard->refused = "a recursive WITH (it can run forever)";
		return SQLITE_DENY;
	default:
		guard->refused = "anything but reading columns";
		return SQLITE_DENY;
	}
}

static int where_out_of_time(void *data)
{
	struct where_guard *guard = data;
	guard->timed_out = monotonic_seconds() > guard->deadline;
	return guard->timed_out;
}

/* Checks that where, on its own, is the whole WHERE clause of a statement on runs:
 * one expression with nothing after it, every parenthesis and quote closed. */
static int check_where_alone(sqlite3 *db, const char *where, struct where_guard *guard)
{
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_printf(&sql, "SELECT id FROM runs WHERE %s", where);
	sqlite3_stmt *statement = NULL;
	const char *tail = NULL;
	int rc = sqlite3_prepare_v2(db, sql.text, -1, &statement, &tail), result = 0;
	if (rc != SQLITE_OK && guard->refused)
		result = error("--where \"%s\": %s is not allowed; expected a condition on runs "
			       "columns, " WHERE_EXAMPLE, where, guard->refused);
	else if (rc != SQLITE_OK)
		result = error("--where \"%s\": %s; expected a condition on runs columns, "
			       WHERE_EXAMPLE, where, sqlite3_errmsg(db));
	else if ((tail && *tail) || !sqlite3_stmt_readonly(statement))
		result = error("--where \"%s\": expected a condition on runs columns, "
			       WHERE_EXAMPLE, where);
	sqlite3_finalize(statement);
	strbuf_free(&sql);
	return result;
}

enum token_kind { TOKEN_ID, TOKEN_RANGE, TOKEN_NAME };

struct token {
	enum token_kind kind;
	long long low, high;
	char text[256];
};

static bool all_digits(const char *text, size_t length)
{
	if (length == 0)
		return false;
	for (size_t i = 0; i < length; i++)
		if (!isdigit((unsigned char)text[i]))
			return false;
	return true;
}

static int parse_tokens(const char *runs, struct token **tokens, int *count)
{
	*count = 0;
	*tokens = NULL;
	if (!runs)
		return 0;
	int capacity = 1;
	for (const char *c = runs; *c; c++)
		capacity += *c == ',';
	*tokens = xcalloc((size_t)capacity, sizeof **tokens);
	for (const char *start = runs;;) {
		const char *end = strchr(start, ',');
		size_t length = end ? (size_t)(end - start) : strlen(start);
		while (length && isspace((unsigned char)*start))
			start++, length--;
		while (length && isspace((unsigned char)start[length - 1]))
			length--;
		struct token *t = &(*tokens)[*count];
		const char *dash = memchr(start, '-', length);
		if (length == 0 || length >= sizeof t->text)
			return error("--runs: expected ids, ranges (3-9) or names separated by "
				     "commas, found '%s'", runs);
		memcpy(t->text, start, length);
		if (all_digits(start, length)) {
			t->kind = TOKEN_ID;
			t->low = t->high = atoll(t->text);
		} else if (dash && all_digits(start, (size_t)(dash - start)) &&
			   all_digits(dash + 1, length - (size_t)(dash - start) - 1)) {
			t->kind = TOKEN_RANGE;
			t->low = atoll(t->text);
			t->high = atoll(dash + 1);
			if (t->low > t->high)
				return error("--runs: range '%s' is empty", t->text);
		} else {
			t->kind = TOKEN_NAME;
		}
		(*count)++;
		if (!end)
			break;
		start = end + 1;
	}
	return 0;
}

static void bind_token(sqlite3_stmt *statement, int *index, const struct token *t)
{
	if (t->kind == TOKEN_NAME) {
		sqlite3_bind_text(statement, (*index)++, t->text, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_int64(statement, (*index)++, t->low);
		sqlite3_bind_int64(statement, (*index)++, t->high);
	}
}

/* Every token must match a run: a typo should not silently shrink a report. */
static int check_tokens(sqlite3 *db, const struct token *tokens, int count)
{
	for (int i = 0; i < count; i++) {
		sqlite3_stmt *statement = NULL;
		const char *sql = tokens[i].kind == TOKEN_NAME
					  ? "SELECT count(*) FROM runs WHERE name = ?"
					  : "SELECT count(*) FROM runs WHERE id BETWEEN ? AND ?";
		int index = 1;
		if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK)
			return error("database: %s", sqlite3_errmsg(db));
		bind_token(statement, &index, &tokens[i]);
		long long found = sqlite3_step(statement) == SQLITE_ROW
					  ? sqlite3_column_int64(statement, 0)
					  : -1;
		sqlite3_finalize(statement);
		char hint[320] = "";
		if (found == 0 && tokens[i].kind == TOKEN_NAME)
			run_name_hint(db, tokens[i].text, hint, sizeof hint);
		if (found == 0)
			return error("--runs: no run %s '%s'%s",
				     tokens[i].kind == TOKEN_NAME ? "named" : "with id",
				     tokens[i].text, *hint ? hint : " (see 'gtrack ls')"),
			       1;
		if (found < 0)
			return error("database: %s", sqlite3_errmsg(db));
	}
	return 0;
}

int report_select(sqlite3 *db, const char *runs, const char *where, long long **ids,
		  int *count)
{
	struct token *tokens = NULL;
	int token_count = 0, result = -1, capacity = 16;
	sqlite3_stmt *statement = NULL;
	struct strbuf sql;
	strbuf_init(&sql);
	*ids = NULL;
	*count = 0;
	struct where_guard guard = {NULL, monotonic_seconds() + WHERE_TIME_LIMIT_S, false};
	int length_limit = 0, pattern_limit = 0;
	if (where) {
		sqlite3_set_authorizer(db, authorize_where, &guard);
		sqlite3_progress_handler(db, WHERE_CLOCK_INTERVAL, where_out_of_time, &guard);
		/* the clock is read between VM steps, so no single step may take long: bound the
		 * strings and blobs a function can make (randomblob(1e9) runs for minutes) and
		 * LIKE patterns (their matching backtracks) */
		length_limit = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, WHERE_MAX_BYTES);
		pattern_limit = sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
					      WHERE_MAX_PATTERN_BYTES);
	}

	if (parse_tokens(runs, &tokens, &token_count))
		goto done;
	if (where && check_where_alone(db, where, &guard))
		goto done;
	int missing = check_tokens(db, tokens, token_count);
	if (missing) {
		result = missing;
		goto done;
	}
	strbuf_puts(&sql, "SELECT id FROM runs WHERE (");
	for (int i = 0; i < token_count; i++)
		strbuf_printf(&sql, "%s%s", i ? " OR " : "",
			      tokens[i].kind == TOKEN_NAME ? "name = ?" : "id BETWEEN ? AND ?");
	strbuf_puts(&sql, token_count ? ")" : "1)");
	if (where)
		strbuf_printf(&sql, " AND (%s\n)", where);
	strbuf_puts(&sql, " ORDER BY id");

	const char *tail = NULL;
	if (sqlite3_prepare_v2(db, sql.text, -1, &statement, &tail) != SQLITE_OK) {
		if (where)
			error("--where \"%s\": %s", where, sqlite3_errmsg(db));
		else
			error("database: %s", sqlite3_errmsg(db));
		goto done;
	}
	if ((tail && *tail) || !sqlite3_stmt_readonly(statement)) {
		error("--where \"%s\": expected a condition on runs columns, " WHERE_EXAMPLE,
		      where);
		goto done;
	}
	int index = 1;
	for (int i = 0; i < token_count; i++)
		bind_token(statement, &index, &tokens[i]);
	*ids = xmalloc(sizeof **ids * (size_t)capacity);
	int rc;
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		if (*count == capacity) {
			capacity *= 2;
			long long *grown = realloc(*ids, sizeof **ids * (size_t)capacity);
			if (!grown) {
				error("out of memory selecting runs");
				goto done;
			}
			*ids = grown;
		}
		(*ids)[(*count)++] = sqlite3_column_int64(statement, 0);
	}
	if (rc != SQLITE_DONE && guard.timed_out) {
		error("--where \"%s\": still running after %.0f s, stopped; expected a condition "
		      "on runs columns, " WHERE_EXAMPLE, where, WHERE_TIME_LIMIT_S);
		goto done;
	}
	if (rc != SQLITE_DONE) {
		error("%s%s%s: %s", where ? "--where \"" : "database", where ? where : "",
		      where ? "\"" : "", sqlite3_errmsg(db));
		goto done;
	}
	if (*count == 0) {
		error("no runs match%s%s%s%s%s", runs ? " --runs " : "", runs ? runs : "",
		      where ? " --where \"" : "", where ? where : "", where ? "\"" : "");
		result = 1;
		goto done;
	}
	result = 0;
done:
	if (result) {
		free(*ids);
		*ids = NULL;
		*count = 0;
	}
	sqlite3_finalize(statement);
	if (where) { /* the rest of the report reads without these limits */
		sqlite3_set_authorizer(db, NULL, NULL);
		sqlite3_progress_handler(db, 0, NULL, NULL);
		sqlite3_limit(db, SQLITE_LIMIT_LENGTH, length_limit);
		sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, pattern_limit);
	}
	strbuf_free(&sql);
	free(tokens);
	return result;
}
