/* The per-layer diagnostics and clipping columns, checked against their definitions on
 * runs built to show them: dead relu units, saturated sigmoids, zero gradients, the
 * update-to-weight ratio, and the norms before and after clipping. */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sqlite3 *train(const char *dir, const char *name, const char *spec)
{
	free(test_write_file(dir, name, spec));
	struct command_result r;
	run_gtrack(&r, dir, NULL, (const char *const[]){"run", name, "--db", "d.db", NULL});
	if (r.exit_code)
		fail_msg("%s: %s", name, r.err);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/d.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

static const char base[] =
	"data: {kind: blobs, samples: 128, features: 8, classes: 3}\n"
	"train: {steps: 4, batch_size: 32, dtype: float64, optimizer: {lr: 0.1}}\n";

static void dead_relu_units_and_zero_gradients(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char spec[512];
	/* a bias of -100 switches every hidden relu unit off for every example */
	snprintf(spec, sizeof spec, "%smodel: {depth: 4, width: 16, activation: relu, "
				    "init: {scheme: he_normal, bias: -100}}\n", base);
	sqlite3 *db = train(dir, "dead.yaml", spec);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE step = 0 AND"
				       " layer < 4 AND dead_fraction = 1 AND zero_grad_fraction = 1"),
			 4);
	/* the output layer has no relu, and its inputs are all zero, so is dL/dW */
	assert_int_equal(query_int(db, "SELECT dead_fraction IS NULL AND zero_grad_fraction = 1"
				       " AND bias_grad_norm > 0 FROM layer_stats WHERE step = 0 AND"
				       " layer = 4"),
			 1);
	sqlite3_close(db);
}

static void saturated_sigmoids(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char spec[512];
	snprintf(spec, sizeof spec, "%smodel: {depth: 3, width: 16, activation: sigmoid, "
				    "init: {scheme: xavier_normal, gain: 30}}\n", base);
	sqlite3 *db = train(dir, "hot.yaml", spec);
	assert_true(query_double(db, "SELECT min(saturated_fraction) FROM layer_stats WHERE"
				     " step = 0 AND layer < 3") > 0.5);
	sqlite3_close(db);
	dir = test_temp_dir();
	snprintf(spec, sizeof spec, "%smodel: {depth: 3, width: 16, activation: sigmoid, "
				    "init: {scheme: xavier_normal, gain: 0.01}}\n", base);
	db = train(dir, "cold.yaml", spec);
	assert_true(query_double(db, "SELECT max(saturated_fraction) FROM layer_stats WHERE"
				     " step = 0 AND layer < 3") == 0);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE dead_fraction IS"
				       " NOT NULL"),
			 0);
	sqlite3_close(db);
}

/* plain SGD moves W by lr dL/dW, so the ratio is lr ||dL/dW|| / ||W|| */
static void update_ratio_is_the_step_over_the_weights(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char spec[512];
	snprintf(spec, sizeof spec, "%smodel: {depth: 3, width: 16, activation: tanh}\n", base);
	sqlite3 *db = train(dir, "ratio.yaml", spec);
	assert_true(query_double(db, "SELECT max(abs(update_ratio - 0.1 * weight_grad_norm /"
				     " weight_norm) / update_ratio) FROM layer_stats") < 1e-12);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE update_ratio > 0"),
			 16);
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE"
				       " weight_grad_norm_clipped IS NOT NULL"),
			 0);
	sqlite3_close(db);
}

static void both_sides_of_clipping_are_recorded(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	char spec[512];
	snprintf(spec, sizeof spec,
		 "data: {kind: blobs, samples: 128, features: 8, classes: 3}\n"
		 "model: {depth: 3, width: 16, activation: relu, init: {scheme: he_normal, "
		 "gain: 2}}\n"
		 "train: {steps: 4, batch_size: 32, dtype: float64, clip_norm: 0.05}\n");
	sqlite3 *db = train(dir, "clip.yaml", spec);
	/* active: the norm before is larger, the norm after is the limit */
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps WHERE grad_norm > 0.05 AND"
				       " abs(grad_norm_clipped - 0.05) < 1e-6"),
			 4);
	/* every layer of every step has both sides, weight and bias */
	assert_int_equal(query_int(db, "SELECT count(*) FROM layer_stats WHERE"
				       " weight_grad_norm_clipped < weight_grad_norm AND"
				       " bias_grad_norm_clipped < bias_grad_norm"),
			 16);
	/* every layer is scaled by the same factor */
	assert_true(query_double(db, "SELECT max(abs(l.weight_grad_norm_clipped /"
				     " l.weight_grad_norm - s.grad_norm_clipped / s.grad_norm)) FROM"
				     " layer_stats l JOIN steps s USING (run_id, step)") < 1e-12);
	assert_true(query_double(db, "SELECT max(abs(l.bias_grad_norm_clipped /"
				     " l.bias_grad_norm - s.grad_norm_clipped / s.grad_norm)) FROM"
				     " layer_stats l JOIN steps s USING (run_id, step)") < 1e-12);
	sqlite3_close(db);
}

/* clip_value clips every entry; the step's norm after clipping is the norm of all the
 * clipped parameters' gradients, layer by layer */
static void value_clipping_norms_add_up(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	sqlite3 *db = train(dir, "value.yaml",
			    "data: {kind: blobs, samples: 128, features: 8, classes: 3}\n"
			    "model: {depth: 3, width: 16, activation: relu}\n"
			    "train: {steps: 4, batch_size: 32, dtype: float64, clip_value: 0.01}\n");
	assert_int_equal(query_int(db, "SELECT count(*) FROM steps WHERE grad_norm_clipped <"
				       " grad_norm"),
			 4);
	assert_true(query_double(db, "SELECT max(abs(s.grad_norm_clipped - sqrt(l.total)) /"
				     " s.grad_norm_clipped) FROM steps s JOIN (SELECT step,"
				     " sum(weight_grad_norm_clipped * weight_grad_norm_clipped +"
				     " bias_grad_norm_clipped * bias_grad_norm_clipped) AS total FROM"
				     " layer_stats GROUP BY step) l USING (step)") < 1e-12);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dead_relu_units_and_zero_gradients),
		cmocka_unit_test(saturated_sigmoids),
		cmocka_unit_test(update_ratio_is_the_step_over_the_weights),
		cmocka_unit_test(both_sides_of_clipping_are_recorded),
		cmocka_unit_test(value_clipping_norms_add_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
