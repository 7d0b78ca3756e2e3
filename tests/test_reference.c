/* gtrack against PyTorch: for every spec in tests/reference/specs, gtrack's per-layer
 * weight_grad_norm, bias_grad_norm, delta_norm, weight_norm and loss over several steps
 * equal what PyTorch computed for the same weights and batches (fixtures written by
 * tests/reference/regenerate.sh), to 1e-9 relative in float64 and 1e-4 in float32.
 * The largest difference is printed; a larger one fails the test. */
#include "support/test_support.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

static const char *const references[] = {
	"sigmoid-momentum-f64", "tanh-residual-mse-f64", "gelu-teacher-f64",
	"softplus-orthogonal-f64", "relu-he-f32", "sigmoid-residual-f32", "leaky-relu-f32",
	"adam-decay-f64", "adamw-cosine-warmup-f32", "sgd-nesterov-f64",
	"clip-norm-f64", "clip-value-f32", "csv-flowers-f64", "layernorm-f64", "batchnorm-f64",
	/* residual setups: each form, block lengths 1 to 3, trained alphas, each init */
	"residual-branch-k2-f64", "residual-post-k2-layernorm-f64",
	"residual-pre-k3-batchnorm-f32", "rezero-adam-f64", "learn-alpha-post-k2-sgd-f32",
	"learn-alpha-pre-k2-batchnorm-f64", "fixup-post-k2-f64", "zero-last-pre-layernorm-f32",
	/* every form x init x learn_alpha, blocks of 1 to 3 and the norms across them */
	"setup-branch-k1-default-f64", "setup-branch-k2-default-learned-layernorm-f32",
	"setup-branch-k2-fixup-f32", "setup-branch-k3-fixup-learned-f64",
	"setup-branch-k3-zero-last-layernorm-f64",
	"setup-branch-k1-zero-last-learned-batchnorm-f32",
	"setup-post-k2-default-layernorm-f32", "setup-post-k3-default-learned-batchnorm-f64",
	"setup-post-k3-fixup-f64", "setup-post-k1-fixup-learned-f32",
	"setup-post-k1-zero-last-batchnorm-f32", "setup-post-k2-zero-last-learned-f64",
	"setup-pre-k3-default-batchnorm-f64", "setup-pre-k1-default-learned-f32",
	"setup-pre-k1-fixup-f32", "setup-pre-k2-fixup-learned-f64",
	"setup-pre-k2-zero-last-f64", "setup-pre-k3-zero-last-learned-layernorm-f32",
};

static void compare(const char *name)
{
	const char *dir = test_temp_dir();
	char spec[1024], fixture[1024];
	snprintf(spec, sizeof spec, "%s/specs/%s.yaml", REFERENCE_DIR, name);
	snprintf(fixture, sizeof fixture, "%s/fixtures/%s.csv", REFERENCE_DIR, name);
	struct command_result r;
	run_gtrack(&r, dir, NULL, (const char *const[]){"run", spec, "--db", "g.db", NULL});
	if (r.exit_code)
		fail_msg("%s: gtrack failed: %s", name, r.err);
	command_result_free(&r);
	bool float64 = strstr(name, "f64") != NULL, batchnorm = strstr(name, "batchnorm") != NULL;
	double tolerance = float64 ? 1e-9 : 1e-4;

	char path[1024];
	snprintf(path, sizeof path, "%s/g.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	long long depth = query_int(db, "SELECT depth FROM runs");
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT l.weight_grad_norm, l.bias_grad_norm,"
						" l.delta_norm, l.weight_norm, s.loss FROM layer_stats l"
						" JOIN steps s USING (run_id, step) WHERE l.step = ? AND"
						" l.layer = ?", -1, &s, NULL),
			 SQLITE_OK);
	char *csv = file_read_text(fixture, "fixture", 1 << 24, NULL);
	assert_non_null(csv);
	static const char *const columns[] = {"weight_grad_norm", "bias_grad_norm", "delta_norm",
					      "weight_norm", "loss"};
	double worst = 0;
	char worst_where[128] = "";
	int rows = 0;
	for (char *line = strtok(csv, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#' || !strncmp(line, "step", 4))
			continue;
		long long step, layer;
		double expected[5];
		if (sscanf(line, "%lld,%lld,%lf,%lf,%lf,%lf,%lf", &step, &layer, &expected[0],
			   &expected[1], &expected[2], &expected[3], &expected[4]) != 7)
			fail_msg("%s: malformed fixture line '%s'", name, line);
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, step);
		sqlite3_bind_int64(s, 2, layer);
		if (sqlite3_step(s) != SQLITE_ROW)
			fail_msg("%s: gtrack has no row for step %lld layer %lld", name, step, layer);
		for (int c = 0; c < 5; c++) {
			double got = sqlite3_column_double(s, c);
			/* batchnorm subtracts the batch mean, so the bias in front of it has a
			 * gradient of exactly zero (in the pre form too: every path from a bias
			 * is affine up to a batchnorm); both sides hold rounding noise there, which
			 * must be small against the weight gradient, and is not compared */
			if (c == 1 && batchnorm && layer < depth) {
				double noise = (float64 ? 1e-12 : 1e-5) * expected[0];
				if (!(got <= noise && expected[c] <= noise))
					fail_msg("%s: step %lld layer %lld: the bias gradient before "
						 "batchnorm should be zero to rounding: gtrack %g, "
						 "PyTorch %g", name, step, layer, got, expected[c]);
				continue;
			}
			double difference = fabs(got - expected[c]) / fmax(fabs(expected[c]), 1e-300);
			if (difference > worst) {
				worst = difference;
				snprintf(worst_where, sizeof worst_where, "step %lld layer %lld %s", step,
					 layer, columns[c]);
			}
		}
		rows++;
	}
	free(csv);
	sqlite3_finalize(s);
	sqlite3_close(db);
	print_message("%-24s %3d rows, largest relative difference %.2e (%s), tolerance %.0e\n",
		      name, rows, worst, worst_where, tolerance);
	assert_true(rows > 0);
	if (!(worst <= tolerance))
		fail_msg("%s: gtrack differs from PyTorch by %.3e at %s", name, worst, worst_where);
}

static void matches_pytorch(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof references / sizeof *references; i++)
		compare(references[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matches_pytorch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
