/* Residual setups outside the numeric core (test_network checks their gradients,
 * test_reference their numbers against PyTorch): the spec rules that refuse a setup
 * that does not fit the network, with the key's line and column, and that the keys
 * added with them leave older specs' spec_hash alone. */
#include "support/test_support.h"

#include <stdio.h>
#include <string.h>

#include "spec/spec.h"
#include "util/error.h"

static void assert_rejected(const char *text, const char *expected)
{
	struct spec spec;
	error_clear();
	if (spec_load_text(&spec, text, "spec.yaml", NULL, 0) == 0) {
		spec_free(&spec);
		fail_msg("accepted, expected an error containing \"%s\"", expected);
	}
	if (!strstr(error_last(), expected))
		fail_msg("error \"%s\" does not contain \"%s\"", error_last(), expected);
}

static void setups_that_do_not_fit_are_refused_where_they_are_written(void **state)
{
	(void)state;
	assert_rejected("model:\n  depth: 3\n  residual: {block: 3}\n",
			"spec.yaml:3:21: model.residual.block: a block of 3 layers is longer "
			"than the 2 hidden layers after the stem (model.depth - 1)");
	assert_rejected("model:\n  depth: 6\n  residual: {block: 2}\n",
			"spec.yaml:2:10: model.depth: the 5 hidden layers after the stem "
			"(model.depth - 1) do not divide into blocks of 2 (model.residual.block)");
	/* depth 1 leaves no hidden layer after the stem for a block */
	assert_rejected("model:\n  depth: 1\n  residual: true\n",
			"spec.yaml:2:10: model.depth: a block of 1 layers is longer than the 0 "
			"hidden layers after the stem");
	assert_rejected("model:\n  residual: {enabled: false, learn_alpha: true}\n",
			"spec.yaml:2:43: model.residual.learn_alpha: 'learn_alpha' needs residual "
			"blocks (model.residual: true)");
	assert_rejected("model:\n  residual: {form: middle}\n",
			"spec.yaml:2:20: model.residual.form: expected one of branch, post, pre, "
			"found 'middle'");
	assert_rejected("model:\n  norm: batchnorm\n  residual: {init: fixup}\n",
			"spec.yaml:3:20: model.residual.init: 'fixup' initialises networks "
			"without norms (model.norm: none)");
	assert_rejected("model:\n  residual: {block: 0}\n",
			"spec.yaml:2:21: model.residual.block: expected an integer from 1 to "
			"2147483647, found '0'");
}

static void residual_shorthands_keep_their_meaning(void **state)
{
	(void)state;
	static const char *const texts[] = {"model: {residual: true}\n",
					    "model: {residual: {alpha: 1.0}}\n"};
	for (int i = 0; i < 2; i++) {
		struct spec spec;
		assert_int_equal(spec_load_text(&spec, texts[i], "spec.yaml", NULL, 0), 0);
		assert_true(spec.model.residual.enabled);
		assert_int_equal(spec.model.residual.form, RESIDUAL_BRANCH);
		assert_int_equal(spec.model.residual.block, 1);
		assert_false(spec.model.residual.learn_alpha);
		assert_int_equal(spec.model.residual.init, RESIDUAL_INIT_DEFAULT);
		assert_true(spec.model.residual.alpha == 1.0);
		assert_int_equal(spec_block_count(&spec), 9); /* depth 10: layers 1..9 */
		spec_free(&spec);
	}
}

/* The new keys at their defaults are not in spec_hash's text, so runs recorded before
 * them keep their hash; set to anything else, they change it. */
static void new_keys_enter_the_hash_only_when_set(void **state)
{
	(void)state;
	struct spec plain, same, other;
	assert_int_equal(spec_load_text(&plain, "model: {residual: true}\n", "a.yaml", NULL, 0), 0);
	assert_int_equal(spec_load_text(&same,
					"model: {residual: {block: 1, form: branch, learn_alpha: false,"
					" init: default}}\n",
					"b.yaml", NULL, 0),
			 0);
	assert_int_equal(spec_load_text(&other, "model: {residual: {form: pre}}\n", "c.yaml",
					NULL, 0),
			 0);
	assert_string_equal(plain.spec_hash, same.spec_hash);
	assert_string_not_equal(plain.spec_hash, other.spec_hash);
	struct strbuf canonical;
	strbuf_init(&canonical);
	spec_emit_canonical(&plain, &canonical);
	assert_null(strstr(canonical.text, "form:"));
	strbuf_reset(&canonical);
	spec_emit_canonical(&other, &canonical);
	assert_non_null(strstr(canonical.text, "    form: pre\n"));
	strbuf_free(&canonical);
	spec_free(&plain), spec_free(&same), spec_free(&other);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(setups_that_do_not_fit_are_refused_where_they_are_written),
		cmocka_unit_test(residual_shorthands_keep_their_meaning),
		cmocka_unit_test(new_keys_enter_the_hash_only_when_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
