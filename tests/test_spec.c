/* Spec loading: defaults, overrides, the canonical dump, and every kind of error
 * asserted by its message (file, line, column, key path, what was expected). */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spec/spec.h"
#include "util/error.h"

static const char example[] =
	"name: sigmoid-10\n"
	"seed: 7\n"
	"data:\n"
	"  kind: spirals\n"
	"  samples: 512\n"
	"  features: 2\n"
	"  classes: 3\n"
	"model:\n"
	"  depth: 10\n"
	"  width: 32\n"
	"  activation: sigmoid\n"
	"  init: {scheme: he_normal, gain: 0.5}\n"
	"  residual: {alpha: 0.25}\n"
	"train:\n"
	"  steps: 50\n"
	"  batch_size: 32\n"
	"  optimizer: {kind: sgd, lr: 0.05, momentum: 0.9}\n"
	"  loss: mse\n"
	"  dtype: float64\n"
	"log:\n"
	"  every: 5\n";

/* Loads text, expects failure, and checks that the message contains `expected`. */
static void assert_rejected(const char *text, const char *const *overrides, int count,
			    const char *expected)
{
	struct spec spec;
	error_clear();
	if (spec_load_text(&spec, text, "spec.yaml", overrides, count) == 0) {
		spec_free(&spec);
		fail_msg("accepted, expected an error containing \"%s\"", expected);
	}
	if (!strstr(error_last(), expected))
		fail_msg("error \"%s\" does not contain \"%s\"", error_last(), expected);
}

static void example_is_read_into_every_field(void **state)
{
	(void)state;
	struct spec spec;
	assert_int_equal(spec_load_text(&spec, example, "spec.yaml", NULL, 0), 0);
	assert_string_equal(spec.name, "sigmoid-10");
	assert_int_equal(spec.seed, 7);
	assert_int_equal(spec.data.kind, DATA_SPIRALS);
	assert_int_equal(spec.data.samples, 512);
	assert_int_equal(spec.data.classes, 3);
	assert_true(spec.data.noise == 0.05); /* auto, resolved for spirals */
	assert_int_equal(spec.model.depth, 10);
	assert_int_equal(spec.model.activation.kind, ACT_SIGMOID);
	assert_int_equal(spec.model.init.scheme, INIT_HE_NORMAL);
	assert_true(spec.model.init.gain == 0.5);
	assert_true(spec.model.residual.enabled);
	assert_true(spec.model.residual.alpha == 0.25);
	assert_true(spec.train.optimizer.lr == 0.05);
	assert_true(spec.train.optimizer.momentum == 0.9);
	assert_int_equal(spec.train.loss, LOSS_MSE);
	assert_int_equal(spec.train.dtype, DTYPE_FLOAT64);
	assert_int_equal(spec.log.every, 5);
	assert_int_equal(strlen(spec.spec_hash), 16);
	spec_free(&spec);
}

static void defaults_fill_an_empty_mapping(void **state)
{
	(void)state;
	struct spec spec;
	assert_int_equal(spec_load_text(&spec, "{}\n", "dir/quick.yaml", NULL, 0), 0);
	assert_string_equal(spec.name, "quick");
	assert_int_equal(spec.seed, 1);
	assert_int_equal(spec.data.kind, DATA_BLOBS);
	assert_int_equal(spec.data.samples, 2048);
	assert_int_equal(spec.data.features, 16);
	assert_int_equal(spec.model.depth, 10);
	assert_int_equal(spec.model.width, 64);
	assert_int_equal(spec.model.activation.kind, ACT_RELU);
	assert_int_equal(spec.model.init.scheme, INIT_XAVIER_NORMAL);
	assert_false(spec.model.residual.enabled);
	assert_int_equal(spec.train.steps, 200);
	assert_int_equal(spec.train.batch_size, 64);
	assert_int_equal(spec.train.dtype, DTYPE_FLOAT32);
	assert_true(spec.data.noise == 0.5);
	spec_free(&spec);
}

static void overrides_use_the_same_rules_as_the_file(void **state)
{
	(void)state;
	struct spec spec;
	const char *overrides[] = {"model.depth=30", "model.activation.slope=0.2",
				   "model.init.gain=2", "train.optimizer.lr=0.01", "name=deep",
				   "model.residual={alpha: 0.5}"};
	assert_int_equal(spec_load_text(&spec, example, "spec.yaml", overrides, 6), 0);
	assert_int_equal(spec.model.depth, 30);
	assert_int_equal(spec.model.activation.kind, ACT_SIGMOID); /* shorthand kept */
	assert_true(spec.model.activation.slope == 0.2);
	assert_int_equal(spec.model.init.scheme, INIT_HE_NORMAL);
	assert_true(spec.model.init.gain == 2);
	assert_true(spec.train.optimizer.lr == 0.01);
	assert_string_equal(spec.name, "deep");
	assert_true(spec.model.residual.enabled && spec.model.residual.alpha == 0.5);
	assert_string_equal(spec.overrides,
			    "--set model.depth=30 --set model.activation.slope=0.2 --set "
			    "model.init.gain=2 --set train.optimizer.lr=0.01 --set name=deep "
			    "--set model.residual={alpha: 0.5}");
	spec_free(&spec);

	const char *off[] = {"model.residual=false"};
	assert_int_equal(spec_load_text(&spec, example, "spec.yaml", off, 1), 0);
	assert_false(spec.model.residual.enabled);
	spec_free(&spec);
}

static void override_errors_name_the_option(void **state)
{
	(void)state;
	const char *bad_type[] = {"model.depth=ten"};
	assert_rejected(example, bad_type, 1,
			"--set model.depth=ten: model.depth: expected an integer from 1 to "
			"2147483647, found 'ten'");
	const char *unknown[] = {"model.detph=3"};
	assert_rejected(example, unknown, 1,
			"--set model.detph=3: model.detph: unknown key; expected one of depth, "
			"width, activation, init, residual, norm (did you mean 'depth'?)");
	const char *no_equals[] = {"model.depth"};
	assert_rejected(example, no_equals, 1, "--set 'model.depth': expected KEY=VALUE");
	const char *below_scalar[] = {"model.depth.x=3"};
	assert_rejected(example, below_scalar, 1, "'depth' is not a mapping");
}

static void malformed_yaml_reports_line_and_column(void **state)
{
	(void)state;
	assert_rejected("model:\n  depth: [1, 2\n", NULL, 0, "spec.yaml:3:1: malformed YAML");
	assert_rejected("model:\n  depth: 3\n   width: 4\n", NULL, 0,
			"spec.yaml:3:9: malformed YAML: mapping values are not allowed");
	assert_rejected("", NULL, 0, "spec.yaml: empty spec");
	assert_rejected("- 1\n- 2\n", NULL, 0,
			"spec.yaml:1:1: expected a mapping of keys (data, model, train, log), found "
			"a list");
}

static void wrong_types_report_key_and_position(void **state)
{
	(void)state;
	assert_rejected("model:\n  depth: ten\n", NULL, 0,
			"spec.yaml:2:10: model.depth: expected an integer from 1 to 2147483647, "
			"found 'ten'");
	assert_rejected("model:\n  depth: \"10\"\n", NULL, 0,
			"spec.yaml:2:10: model.depth: expected an integer from 1 to 2147483647, "
			"found the string \"10\"");
	assert_rejected("model:\n  depth:\n", NULL, 0,
			"spec.yaml:2:9: model.depth: expected an integer from 1 to 2147483647, "
			"found nothing");
	assert_rejected("train:\n  optimizer: {lr: fast}\n", NULL, 0,
			"spec.yaml:2:19: train.optimizer.lr: expected a number > 0, found 'fast'");
	assert_rejected("model:\n  residual: maybe\n", NULL, 0,
			"spec.yaml:2:13: model.residual: expected true or false, found 'maybe'");
	assert_rejected("data: 5\n", NULL, 0,
			"spec.yaml:1:7: data: expected a mapping, found a scalar");
	assert_rejected("model:\n  width: [1, 2]\n", NULL, 0,
			"spec.yaml:2:10: model.width: expected an integer from 1 to 2147483647, "
			"found a list");
}

static void out_of_range_values_are_refused(void **state)
{
	(void)state;
	assert_rejected("model:\n  depth: 0\n", NULL, 0,
			"spec.yaml:2:10: model.depth: expected an integer from 1 to 2147483647, "
			"found '0'");
	assert_rejected("train:\n  optimizer: {momentum: 1.5}\n", NULL, 0,
			"train.optimizer.momentum: expected a number from 0 to 0.999999, found "
			"'1.5'");
	assert_rejected("train:\n  optimizer: {lr: -1}\n", NULL, 0,
			"train.optimizer.lr: expected a number > 0, found '-1'");
	assert_rejected("model:\n  init: {gain: .inf}\n", NULL, 0,
			"model.init.gain: expected a number >= 0, found '.inf'");
	assert_rejected("data:\n  classes: 1\n", NULL, 0,
			"spec.yaml:2:12: data.classes: expected an integer from 2 to 2147483647");
}

static void unknown_keys_and_names_get_suggestions(void **state)
{
	(void)state;
	assert_rejected("model:\n  widht: 3\n", NULL, 0,
			"spec.yaml:2:3: model.widht: unknown key; expected one of depth, width, "
			"activation, init, residual, norm (did you mean 'width'?)");
	assert_rejected("model:\n  activation: sigmoud\n", NULL, 0,
			"spec.yaml:2:15: model.activation: expected one of linear, sigmoid, tanh, "
			"relu, leaky_relu, elu, gelu, softplus, silu, found 'sigmoud' (did you "
			"mean 'sigmoid'?)");
	assert_rejected("modle:\n  depth: 3\n", NULL, 0,
			"spec.yaml:1:1: modle: unknown key; expected one of name, seed, data, "
			"model, train, log (did you mean 'model'?)");
	assert_rejected("model:\n  depth: 3\n  depth: 4\n", NULL, 0,
			"spec.yaml:3:3: model.depth: key given twice");
}

/* A key given in the wrong section is found where it lives, in a file and in --set. */
static void misplaced_keys_suggest_their_full_path(void **state)
{
	(void)state;
	const char *lr[] = {"train.lr=0.01"};
	assert_rejected("{}\n", lr, 1,
			"--set train.lr=0.01: train.lr: unknown key; expected one of steps, "
			"batch_size, optimizer, schedule, clip_norm, clip_value, loss, dtype (did "
			"you mean 'train.optimizer.lr'?)");
	const char *bare[] = {"lr=0.01"};
	assert_rejected("{}\n", bare, 1, "lr: unknown key; expected one of name, seed, data, "
					"model, train, log (did you mean 'train.optimizer.lr'?)");
	/* within the section the user chose first, then anywhere */
	assert_rejected("train:\n  momentum: 0.9\n", NULL, 0,
			"(did you mean 'train.optimizer.momentum'?)");
	assert_rejected("data:\n  momentum: 0.9\n", NULL, 0,
			"(did you mean 'model.norm.momentum' or 'train.optimizer.momentum'?)");
	const char *section[] = {"optimizer.kind=adam"};
	assert_rejected("{}\n", section, 1, "(did you mean 'train.optimizer'?)");
	/* a misspelling of a key elsewhere */
	assert_rejected("model:\n  slope: 0.1\n", NULL, 0,
			"spec.yaml:2:3: model.slope: unknown key; expected one of depth, width, "
			"activation, init, residual, norm (did you mean "
			"'model.activation.slope'?)");
	assert_rejected("train:\n  lrr: 0.1\n", NULL, 0, "(did you mean 'train.optimizer.lr'?)");
}

static void cross_key_rules_are_checked(void **state)
{
	(void)state;
	assert_rejected("data: {samples: 100}\ntrain:\n  batch_size: 200\n", NULL, 0,
			"spec.yaml:3:15: train.batch_size: batch of 200 examples is larger than "
			"data.samples (100)");
	assert_rejected("data:\n  kind: spirals\n  features: 1\n", NULL, 0,
			"spec.yaml:3:13: data.features: spirals need at least 2 features");
}

static void absurd_sizes_are_refused_with_the_memory_needed(void **state)
{
	(void)state;
	assert_rejected("model:\n  depth: 1000000000\n", NULL, 0,
			"spec.yaml:2:10: model.depth: depth 1000000000 x width 64 with 2048 "
			"samples of 16 features needs 120.1 TiB of memory");
	assert_rejected("model:\n  width: 2000000000\n", NULL, 0, "spec.yaml:2:10: model.width");
	assert_rejected("data:\n  samples: 2000000000\n  features: 1000\n", NULL, 0,
			"spec.yaml:2:12: data.samples: ");
}

static void canonical_dump_round_trips_and_hash_ignores_seed(void **state)
{
	(void)state;
	struct spec spec, again, other_seed, deeper;
	assert_int_equal(spec_load_text(&spec, example, "spec.yaml", NULL, 0), 0);
	struct strbuf dump, dump_again;
	strbuf_init(&dump), strbuf_init(&dump_again);
	spec_emit(&spec, &dump, true);
	assert_int_equal(spec_load_text(&again, dump.text, "dump.yaml", NULL, 0), 0);
	spec_emit(&again, &dump_again, true);
	assert_string_equal(dump.text, dump_again.text);
	assert_string_equal(spec.spec_hash, again.spec_hash);

	const char *seed[] = {"seed=8", "name=other"};
	assert_int_equal(spec_load_text(&other_seed, example, "spec.yaml", seed, 2), 0);
	assert_string_equal(spec.spec_hash, other_seed.spec_hash);
	const char *depth[] = {"model.depth=11"};
	assert_int_equal(spec_load_text(&deeper, example, "spec.yaml", depth, 1), 0);
	assert_string_not_equal(spec.spec_hash, deeper.spec_hash);

	strbuf_free(&dump), strbuf_free(&dump_again);
	spec_free(&spec), spec_free(&again), spec_free(&other_seed), spec_free(&deeper);
}

/* Residual specs hash with a marker of the block layout (the stem outside every block):
 * runs recorded before blocks existed, whose layer 0 could be residual, never match. */
static void residual_specs_hash_their_block_layout(void **state)
{
	(void)state;
	struct spec plain, residual;
	const char *off[] = {"model.residual=false"};
	assert_int_equal(spec_load_text(&plain, example, "spec.yaml", off, 1), 0);
	assert_int_equal(spec_load_text(&residual, example, "spec.yaml", NULL, 0), 0);
	struct strbuf text;
	strbuf_init(&text);
	spec_emit_canonical(&plain, &text);
	assert_null(strstr(text.text, "residual_layout"));
	strbuf_reset(&text);
	spec_emit_canonical(&residual, &text);
	assert_non_null(strstr(text.text, "\nresidual_layout: stem_outside_blocks\n"));
	strbuf_free(&text);
	spec_free(&plain), spec_free(&residual);
}

static void missing_file_is_reported(void **state)
{
	(void)state;
	struct spec spec;
	error_clear();
	assert_int_equal(spec_load_file(&spec, "/nonexistent/spec.yaml", NULL, 0), -1);
	assert_string_equal(error_last(),
			    "cannot open spec '/nonexistent/spec.yaml': No such file or directory");
}

static void every_experiment_loads(void **state)
{
	(void)state;
	const char *names[] = {"quickstart.yaml", "sigmoid-10.yaml", "sigmoid-30.yaml",
			       "relu-he-10.yaml", "relu-he-30.yaml", "exploding.yaml",
			       "shallow-5.yaml", "sigmoid-30-residual.yaml"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char path[1024];
		struct spec spec;
		snprintf(path, sizeof path, "%s/%s", EXPERIMENTS_DIR, names[i]);
		if (spec_load_file(&spec, path, NULL, 0))
			fail_msg("%s: %s", names[i], error_last());
		spec_free(&spec);
	}
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_is_read_into_every_field),
		cmocka_unit_test(defaults_fill_an_empty_mapping),
		cmocka_unit_test(overrides_use_the_same_rules_as_the_file),
		cmocka_unit_test(override_errors_name_the_option),
		cmocka_unit_test(malformed_yaml_reports_line_and_column),
		cmocka_unit_test(wrong_types_report_key_and_position),
		cmocka_unit_test(out_of_range_values_are_refused),
		cmocka_unit_test(unknown_keys_and_names_get_suggestions),
		cmocka_unit_test(cross_key_rules_are_checked),
		cmocka_unit_test(absurd_sizes_are_refused_with_the_memory_needed),
		cmocka_unit_test(misplaced_keys_suggest_their_full_path),
		cmocka_unit_test(canonical_dump_round_trips_and_hash_ignores_seed),
		cmocka_unit_test(residual_specs_hash_their_block_layout),
		cmocka_unit_test(missing_file_is_reported),
		cmocka_unit_test(every_experiment_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
