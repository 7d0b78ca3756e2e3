/* Residual setups outside the numeric core (test_network checks their gradients,
 * test_reference their numbers against PyTorch): the spec rules that refuse a setup
 * that does not fit the network, with the key's line and column; that the keys added
 * with them leave older specs' spec_hash alone; block_stats, and the trained alphas in
 * checkpoints and gtrack export. */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util/error.h"
#include "util/file.h"

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

static const char rezero_spec[] =
	"name: rezero\n"
	"data: {kind: blobs, samples: 128, features: 6, classes: 3}\n"
	"model: {depth: 5, width: 8, activation: tanh,"
	" residual: {alpha: 0.0, block: 2, form: pre, learn_alpha: true}}\n"
	"train: {steps: 4, batch_size: 16, optimizer: {kind: sgd, lr: 0.5}, dtype: float64}\n"
	"log: {checkpoints: [0, final]}\n";

static void run_spec(const char *dir, const char *text, const char *const *extra)
{
	free(test_write_file(dir, "spec.yaml", text));
	const char *argv[8] = {"run", "spec.yaml", "--db", "r.db"};
	for (int i = 0; extra && extra[i]; i++)
		argv[4 + i] = extra[i];
	struct command_result r;
	run_gtrack(&r, dir, NULL, argv);
	if (r.exit_code)
		fail_msg("gtrack run: %s", r.err);
	command_result_free(&r);
}

/* The text of dir/name, which must exist (caller frees). */
static char *read_in(const char *dir, const char *name, size_t *length)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *text = file_read_text(path, "file", 1 << 24, length);
	if (!text)
		fail_msg("%s: %s", name, error_last());
	return text;
}

/* With plain SGD, each step's alpha is the last one minus lr times the gradient
 * block_stats recorded for it: the alphas are trained with the gradient that is logged. */
static void trained_alphas_are_logged_and_exported(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	run_spec(dir, rezero_spec, NULL);
	char path[1024];
	snprintf(path, sizeof path, "%s/r.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM block_stats"), 4 * 2);
	assert_int_equal(query_int(db, "SELECT count(*) FROM block_stats WHERE step = 0 AND"
				       " alpha = 0 AND alpha_grad <> 0"), 2);
	double worst = query_double(db, "SELECT max(abs(b.alpha - (a.alpha - 0.5 * a.alpha_grad)))"
					" FROM block_stats a JOIN block_stats b ON b.block = a.block"
					" AND b.step = a.step + 1");
	assert_true(worst < 1e-15);
	/* the final checkpoint holds the alphas after the last update, on each block's
	 * last layer (layers 2 and 4), and export names them blocks.B.alpha */
	assert_int_equal(query_int(db, "SELECT group_concat(layer, '') FROM checkpoints WHERE step = 4"
				       " AND alpha IS NOT NULL"), 24);
	double final_alpha = query_double(db, "SELECT alpha - 0.5 * alpha_grad FROM block_stats"
					      " WHERE step = 3 AND block = 1");
	sqlite3_close(db);

	struct command_result r;
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"export", "rezero", "--db", "r.db", "-o", "a.safetensors",
					 NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char *file = read_in(dir, "a.safetensors", NULL);
	uint64_t header;
	memcpy(&header, file, 8);
	char *json = strndup(file + 8, header);
	char *entry = strstr(json, "\"blocks.1.alpha\":{\"dtype\":\"F64\",\"shape\":[],");
	assert_non_null(entry);
	assert_non_null(strstr(json, "\"blocks.0.alpha\""));
	size_t begin = 0;
	assert_int_equal(sscanf(strstr(entry, "data_offsets"), "data_offsets\":[%zu", &begin), 1);
	double exported;
	memcpy(&exported, file + 8 + header + begin, sizeof exported);
	assert_true(fabs(exported - final_alpha) < 1e-15);
	free(json);
	free(file);
}

/* A fixed alpha is logged as it is, with its gradient, and is not exported. */
static void fixed_alphas_are_logged_not_exported(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	run_spec(dir, "name: fixed\nmodel: {depth: 4, width: 8, residual: {alpha: 0.25}}\n"
		      "train: {steps: 5}\nlog: {every: 2, checkpoints: [final]}\n",
		 NULL);
	char path[1024];
	snprintf(path, sizeof path, "%s/r.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* steps 0, 2, 4 are logged; blocks 0..2 of one layer */
	char *rows = query_text(db, "SELECT group_concat(step || ':' || block || ':' || alpha, ' ')"
				    " FROM block_stats WHERE alpha_grad IS NOT NULL");
	assert_string_equal(rows, "0:0:0.25 0:1:0.25 0:2:0.25 2:0:0.25 2:1:0.25 2:2:0.25 "
				  "4:0:0.25 4:1:0.25 4:2:0.25");
	free(rows);
	assert_int_equal(query_int(db, "SELECT count(*) FROM checkpoints WHERE alpha IS NOT NULL"), 0);
	sqlite3_close(db);
	struct command_result r;
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"export", "fixed", "--db", "r.db", "-o", "f.safetensors",
					 NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char *file = read_in(dir, "f.safetensors", NULL);
	assert_null(strstr(file + 8, "blocks."));
	free(file);
}

/* Four setups that differ in nothing else: the residual figure draws plain first, in
 * black, and names each setup in its key; the profile legends name them too. */
static void reports_name_the_setups(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	static const char *const setups[] = {
		"false", "{block: 2, form: pre}", "{block: 2, form: post, init: fixup}",
		"{alpha: 0.0, learn_alpha: true}"};
	for (int i = 0; i < 4; i++) {
		char text[512];
		snprintf(text, sizeof text,
			 "name: setup-%d\nmodel: {depth: 5, width: 8, activation: tanh, residual: %s}\n"
			 "train: {steps: 3}\n",
			 i, setups[i]);
		run_spec(dir, text, NULL);
	}
	struct command_result r;
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"report", "--db", "r.db", "--no-render", "--out", "rep",
					 NULL});
	if (r.exit_code)
		fail_msg("gtrack report: %s", r.err);
	command_result_free(&r);
	char *script = read_in(dir, "rep/residual-1.gp", NULL);
	/* drawn as the profile is: plain first, in black, the reference of the others */
	assert_non_null(strstr(script, "set title 'at initialisation (step 0)' noenhanced\n"
				       "unset key\nplot $run1_first using 1:($2 > 0 ? clip($2) : NaN)"
				       " with linespoints lc rgb '#000000'"));
	assert_non_null(strstr(script, "title 'plain \u00d7"));
	assert_non_null(strstr(script, "title 'pre k=2 \u00d7"));
	/* their branches start at zero: no gradient below the stem to fit a factor to */
	assert_non_null(strstr(script, "title 'post k=2, fixup' noenhanced"));
	assert_non_null(strstr(script, "title 'ReZero' noenhanced"));
	free(script);
	char *html = read_in(dir, "rep/index.html", NULL);
	assert_non_null(strstr(html, "at initialisation: plain "));
	assert_non_null(strstr(html, "; post k=2, fixup "));
	assert_non_null(strstr(html, "<td>pre k=2, \u03b1 = 1.0</td>"));
	free(html);
	script = read_in(dir, "rep/profile-weight_grad-1.gp", NULL);
	assert_non_null(strstr(script, "title 'post k=2, fixup"));
	assert_non_null(strstr(script, "title 'ReZero"));
	free(script);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(setups_that_do_not_fit_are_refused_where_they_are_written),
		cmocka_unit_test(residual_shorthands_keep_their_meaning),
		cmocka_unit_test(new_keys_enter_the_hash_only_when_set),
		cmocka_unit_test(trained_alphas_are_logged_and_exported),
		cmocka_unit_test(fixed_alphas_are_logged_not_exported),
		cmocka_unit_test(reports_name_the_setups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
