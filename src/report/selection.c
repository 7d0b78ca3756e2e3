/* Which runs a report covers: --runs (ids, ranges, names) and --where (a condition on
 * runs columns). Ids and names are bound as values; the --where text is SQL by design,
 * compiled as one read-only statement so it can neither chain nor write. */
#include "report/report.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

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
		if (found == 0)
			return error("--runs: no run %s '%s' (see 'gtrack ls')",
				     tokens[i].kind == TOKEN_NAME ? "named" : "with id",
				     tokens[i].text),
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

	if (parse_tokens(runs, &tokens, &token_count))
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
		error("--where \"%s\": expected a condition on runs columns, e.g. "
		      "\"activation = 'relu' AND depth >= 10\"", where);
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
	strbuf_free(&sql);
	free(tokens);
	return result;
}
