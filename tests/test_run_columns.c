/* From spec key to runs column: every key that has a column is set to a value unlike its
 * default and unlike every other key's, the run row is written, and each column must
 * hold exactly its own key's value (so two swapped binds fail); the layers rows come
 * from the same layer shapes as the network. */
#include "support/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/run_store.h"
#include "spec/spec.h"
#include "util/error.h"

/* Every key with a runs column, none at its default. */
static const char every_key[] =
	"name: round-trip\n"
	"seed: 42\n"
	"data: {kind: gaussian, samples: 300, features: 7, classes: 5, validation: 0.25}\n"
	"model:\n"
	"  depth: 5\n"
	"  width: 9\n"
	"  activation: {kind: leaky_relu, slope: 0.2}\n"
	"  init: {scheme: he_uniform, gain: 1.5, bias: 0.03}\n"
	"  residual: {alpha: 0.7, block: 2, form: pre, learn_alpha: true, init: zero_last}\n"
	"  norm: layernorm\n"
	"train:\n"
	"  steps: 77\n"
	"  batch_size: 11\n"
	"  optimizer: {kind: adamw, lr: 0.0123, momentum: 0.456, weight_decay: 0.0789}\n"
	"  schedule: cosine\n"
	"  clip_norm: 2.5\n"
	"  clip_value: 3.5\n"
	"  loss: mse\n"
	"  dtype: float64\n"
	"log: {every: 4}\n";

/* Each column and what SQLite's quote() of it must be: written out here, not derived
 * from the field table, so a wrong row in the table fails too. */
static const struct {
	const char *column, *quoted;
} expected[] = {
	{"name", "'round-trip'"},
	{"seed", "42"},
	{"dataset", "'gaussian'"},
	{"samples", "300"},
	{"features", "7"},
	{"outputs", "5"},
	{"validation", "0.25"},
	{"depth", "5"},
	{"width", "9"},
	{"activation", "'leaky_relu'"},
	{"activation_slope", "0.2"},
	{"init", "'he_uniform'"},
	{"init_gain", "1.5"},
	{"init_bias", "0.03"},
	{"residual", "1"},
	{"residual_alpha", "0.7"},
	{"residual_block", "2"},
	{"residual_form", "'pre'"},
	{"residual_learn_alpha", "1"},
	{"residual_init", "'zero_last'"},
	{"norm", "'layernorm'"},
	{"optimizer", "'adamw'"},
	{"lr", "0.0123"},
	{"momentum", "0.456"},
	{"weight_decay", "0.0789"},
	{"schedule", "'cosine'"},
	{"steps", "77"},
	{"batch_size", "11"},
	{"clip_norm", "2.5"},
	{"clip_value", "3.5"},
	{"loss_fn", "'mse'"},
	{"dtype", "'float64'"},
	{"log_every", "4"},
};
#define EXPECTED_COUNT ((int)(sizeof expected / sizeof *expected))

/* The runs columns that record where a run came from and how it went, not a key. */
static const char *const provenance[] = {
	"id",	       "status",	 "message",	   "spec",	 "overrides",
	"resolved_spec", "spec_hash",	 "started_at",	   "finished_at", "heartbeat_at",
	"steps_done",  "final_loss",	 "elapsed_s",	   "gtrack_version", "hostname",
	"pid",	       "sweep_id",	 "uuid",	   "data_hash",   "threads",
	"vector_isa",  "blas",
};

static sqlite3 *open_new_db(void)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/columns.db", test_temp_dir());
	sqlite3 *db = NULL;
	assert_int_equal(db_open(&db, path, DB_CREATE), 0);
	return db;
}

static int64_t store_run(sqlite3 *db, const struct spec *spec)
{
	int64_t run_id = 0;
	struct run_environment environment = {.threads = 1};
	struct run_store *store = run_store_begin(db, spec, &environment, &run_id);
	if (!store)
		fail_msg("run_store_begin: %s", error_last());
	run_store_free(store);
	return run_id;
}

static char *column_quoted(sqlite3 *db, const char *column, int64_t run_id)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT quote(\"%s\") FROM runs WHERE id = %lld", column,
		 (long long)run_id);
	return query_text(db, sql);
}

static void every_key_lands_in_its_own_column(void **state)
{
	(void)state;
	struct spec spec, defaults;
	assert_int_equal(spec_load_text(&spec, every_key, "every.yaml", NULL, 0), 0);
	assert_int_equal(spec_load_text(&defaults, "{}", "defaults.yaml", NULL, 0), 0);

	/* the table's columns are exactly the ones this test knows, each set away from its
	 * default: a new column needs a line in expected[] */
	assert_int_equal(spec_column_count(), EXPECTED_COUNT);
	for (const struct spec_column *c = spec_columns(); c->column; c++) {
		int known = 0;
		for (int i = 0; i < EXPECTED_COUNT; i++)
			known |= !strcmp(expected[i].column, c->column);
		if (!known)
			fail_msg("column '%s' is not in this test's expected values", c->column);
		struct spec_value set = spec_column_value(&spec, c);
		struct spec_value fallback = spec_column_value(&defaults, c);
		int same = set.type == fallback.type &&
			   (set.type == SPEC_VALUE_TEXT      ? !strcmp(set.text, fallback.text)
			    : set.type == SPEC_VALUE_INTEGER ? set.integer == fallback.integer
			    : set.type == SPEC_VALUE_REAL    ? set.real == fallback.real
							     : 1);
		if (same)
			fail_msg("the test spec leaves '%s' at its default", c->column);
	}

	sqlite3 *db = open_new_db();
	int64_t run_id = store_run(db, &spec);
	for (int i = 0; i < EXPECTED_COUNT; i++) {
		char *quoted = column_quoted(db, expected[i].column, run_id);
		if (strcmp(quoted, expected[i].quoted))
			fail_msg("runs.%s is %s, expected %s", expected[i].column, quoted,
				 expected[i].quoted);
		free(quoted);
	}

	/* and no runs column is forgotten: each is a key's or provenance */
	sqlite3_stmt *statement;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('runs')", -1,
					    &statement, NULL),
			 SQLITE_OK);
	while (sqlite3_step(statement) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(statement, 0);
		int known = 0;
		for (int i = 0; i < EXPECTED_COUNT; i++)
			known |= !strcmp(expected[i].column, name);
		for (size_t i = 0; i < sizeof provenance / sizeof *provenance; i++)
			known |= !strcmp(provenance[i], name);
		if (!known)
			fail_msg("runs.%s is neither a spec key's column nor provenance", name);
	}
	sqlite3_finalize(statement);

	/* the layers rows: layer 0 (the stem) maps 7 features to 9 units outside the
	 * blocks, layers 1..4 form blocks 0 and 1 of 2 layers, the skip connection added on
	 * each block's last layer; the output layer is linear */
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT group_concat(fan_in || 'x' || fan_out || ' ' || kind || ' ' ||"
		 " activation || ' ' || residual || ' ' || ifnull(block, '-'), ', ') FROM (SELECT * FROM layers WHERE"
		 " run_id = %lld ORDER BY layer)",
		 (long long)run_id);
	char *layers = query_text(db, sql);
	assert_string_equal(layers, "7x9 hidden leaky_relu 0 -, 9x9 hidden leaky_relu 0 0, "
				    "9x9 hidden leaky_relu 1 0, 9x9 hidden leaky_relu 0 1, "
				    "9x9 hidden leaky_relu 1 1, 9x5 output linear 0 -");
	free(layers);
	db_close(db);
	spec_free(&spec);
	spec_free(&defaults);
}

/* Columns that only mean something in some specs are NULL in the others. */
static void columns_that_do_not_apply_are_null(void **state)
{
	(void)state;
	struct spec spec;
	assert_int_equal(spec_load_text(&spec, "name: plain\n", "plain.yaml", NULL, 0), 0);
	sqlite3 *db = open_new_db();
	int64_t run_id = store_run(db, &spec);
	static const char *const null_columns[] = {"activation_slope", "residual_alpha",
						   "residual_block", "residual_form",
						   "residual_learn_alpha", "residual_init",
						   "clip_norm", "clip_value", "data_hash",
						   "sweep_id"};
	for (size_t i = 0; i < sizeof null_columns / sizeof *null_columns; i++) {
		char *quoted = column_quoted(db, null_columns[i], run_id);
		if (strcmp(quoted, "NULL"))
			fail_msg("runs.%s is %s, expected NULL", null_columns[i], quoted);
		free(quoted);
	}
	char *outputs = column_quoted(db, "outputs", run_id);
	assert_string_equal(outputs, "4");
	free(outputs);
	db_close(db);
	spec_free(&spec);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_key_lands_in_its_own_column),
		cmocka_unit_test(columns_that_do_not_apply_are_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
