/* The data generators: deterministic from the seed, independent of the model, labels in
 * range, one-hot targets for mse, teacher regression targets. */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/dataset.h"
#include "util/error.h"

static void load(struct spec *spec, const char *text, const char *override)
{
	const char *overrides[] = {override};
	if (spec_load_text(spec, text, "data.yaml", overrides, override ? 1 : 0))
		fail_msg("%s", error_last());
}

static void same_seed_same_data_whatever_the_model(void **state)
{
	(void)state;
	static const char *const kinds[] = {"gaussian", "blobs", "spirals", "teacher"};
	for (int k = 0; k < 4; k++) {
		char text[256];
		snprintf(text, sizeof text, "data: {kind: %s, samples: 100, features: 3}\n"
					    "train: {batch_size: 10}\n", kinds[k]);
		struct spec a, b, c;
		struct dataset da, db, dc;
		load(&a, text, NULL);
		load(&b, text, "model.depth=40");
		load(&c, text, "seed=2");
		assert_int_equal(dataset_generate(&da, &a), 0);
		assert_int_equal(dataset_generate(&db, &b), 0);
		assert_int_equal(dataset_generate(&dc, &c), 0);
		assert_memory_equal(da.inputs, db.inputs, sizeof(double) * 300);
		assert_memory_equal(da.labels, db.labels, sizeof(int32_t) * 100);
		assert_true(memcmp(da.inputs, dc.inputs, sizeof(double) * 300) != 0);
		for (int i = 0; i < 100; i++)
			assert_true(da.labels[i] >= 0 && da.labels[i] < 4);
		dataset_free(&da), dataset_free(&db), dataset_free(&dc);
		spec_free(&a), spec_free(&b), spec_free(&c);
	}
}

static void blobs_cluster_around_their_centres(void **state)
{
	(void)state;
	struct spec spec;
	struct dataset data;
	load(&spec, "data: {kind: blobs, samples: 400, features: 8, classes: 2, noise: 0.1}\n",
	     NULL);
	assert_int_equal(dataset_generate(&data, &spec), 0);
	/* examples of one class are much closer to each other than to the other class */
	double same = 0, other = 0;
	for (int f = 0; f < 8; f++) {
		same += pow(data.inputs[0 * 8 + f] - data.inputs[2 * 8 + f], 2);
		other += pow(data.inputs[0 * 8 + f] - data.inputs[1 * 8 + f], 2);
	}
	assert_int_equal(data.labels[0], data.labels[2]);
	assert_int_not_equal(data.labels[0], data.labels[1]);
	assert_true(sqrt(same) < 1.0 && sqrt(other) > 1.0);
	dataset_free(&data);
	spec_free(&spec);
}

static void mse_on_classes_uses_one_hot_targets(void **state)
{
	(void)state;
	struct spec spec;
	struct dataset data;
	load(&spec, "data: {kind: gaussian, samples: 50, classes: 5}\ntrain: {loss: mse, "
		    "batch_size: 10}\n", NULL);
	assert_int_equal(dataset_generate(&data, &spec), 0);
	assert_int_equal(data.outputs, 5);
	for (int i = 0; i < 50; i++)
		for (int k = 0; k < 5; k++)
			assert_true(data.targets[i * 5 + k] == (k == data.labels[i]));
	dataset_free(&data);
	spec_free(&spec);
}

static void teacher_regression_has_real_targets(void **state)
{
	(void)state;
	struct spec spec;
	struct dataset data;
	load(&spec, "data: {kind: teacher, samples: 64, features: 4, outputs: 2}\n"
		    "train: {loss: mse, batch_size: 8}\n", NULL);
	assert_int_equal(dataset_generate(&data, &spec), 0);
	assert_null(data.labels);
	assert_int_equal(data.outputs, 2);
	double spread = 0;
	for (int i = 0; i < 128; i++)
		spread += fabs(data.targets[i]);
	assert_true(spread > 1.0); /* not all zero */
	dataset_free(&data);
	spec_free(&spec);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_seed_same_data_whatever_the_model),
		cmocka_unit_test(blobs_cluster_around_their_centres),
		cmocka_unit_test(mse_on_classes_uses_one_hot_targets),
		cmocka_unit_test(teacher_regression_has_real_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
