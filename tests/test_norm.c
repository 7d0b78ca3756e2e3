/* Norms must record vanished and exploded gradients, not round them to 0 or inf. */
#include "support/test_support.h"

#include <float.h>
#include <math.h>

#include "util/norm.h"

static void assert_relative(double actual, double expected, double tolerance)
{
	double error = fabs(actual - expected) / fabs(expected);
	if (!(error <= tolerance))
		fail_msg("got %.17g, expected %.17g (relative error %.3g)", actual, expected, error);
}

static void float_gradients_of_1e30_are_recorded(void **state)
{
	(void)state;
	float x[100];
	for (int i = 0; i < 100; i++)
		x[i] = 1e-30f;
	/* squared in float, 1e-60 would underflow to 0 */
	assert_relative(norm_f32(x, 100), 10 * (double)1e-30f, 1e-12);
}

static void float_subnormals_are_recorded(void **state)
{
	(void)state;
	float x[4] = {1e-40f, -1e-40f, 1e-40f, -1e-40f};
	assert_relative(norm_f32(x, 4), 2 * (double)1e-40f, 1e-12);
}

static void double_extremes_neither_underflow_nor_overflow(void **state)
{
	(void)state;
	double tiny[4] = {1e-200, 1e-200, -1e-200, 1e-200};
	assert_relative(norm_f64(tiny, 4), 2e-200, 1e-14);
	double subnormal[2] = {3e-320, 4e-320};
	assert_relative(norm_f64(subnormal, 2), 5e-320, 1e-3); /* subnormals carry few bits */
	double huge[4] = {1e200, -1e200, 1e200, 1e200};
	assert_relative(norm_f64(huge, 4), 2e200, 1e-14);
	double mixed[3] = {3e-300, 4e-300, 0};
	assert_relative(norm_f64(mixed, 3), 5e-300, 1e-14);
}

static void non_finite_values_are_reported(void **state)
{
	(void)state;
	double with_nan[3] = {1, NAN, 2};
	assert_true(isnan(norm_f64(with_nan, 3)));
	double with_inf[3] = {1, -INFINITY, 2};
	assert_true(isinf(norm_f64(with_inf, 3)));
	float float_nan[2] = {NAN, 1};
	assert_true(isnan(norm_f32(float_nan, 2)));
	float float_inf[2] = {INFINITY, 1};
	assert_true(isinf(norm_f32(float_inf, 2)));
	double zeros[3] = {0, -0.0, 0};
	assert_true(norm_f64(zeros, 3) == 0);
}

static void combined_norms_keep_tiny_scales(void **state)
{
	(void)state;
	double norms[2] = {3e-200, 4e-200};
	assert_relative(norm_combine(norms, 2), 5e-200, 1e-14);
	double ordinary[3] = {1, 2, 2};
	assert_relative(norm_combine(ordinary, 3), 3, 1e-15);
}

/* norm_tiny_* give norm_*'s value to the bit and count the zero and subnormal entries,
 * in the unrolled part and the tail alike (19 entries: a block of 16 floats or four of
 * 4 doubles, then 3). */
static void tiny_entries_are_counted_in_the_norm_pass(void **state)
{
	(void)state;
	float f[19];
	double d[19];
	for (int i = 0; i < 19; i++) {
		f[i] = (float)(i + 1) * 1e-20f;
		d[i] = (i + 1) * 1e-160;
	}
	f[0] = 0, f[9] = 1e-40f, f[17] = -1e-41f, f[18] = 0; /* zero, subnormals, in the tail */
	d[3] = 0, d[12] = 4e-310, d[16] = -DBL_MIN / 4, d[18] = DBL_MIN; /* DBL_MIN is normal */
	size_t tiny = 99;
	assert_true(norm_tiny_f32(f, 19, &tiny) == norm_f32(f, 19));
	assert_int_equal(tiny, 4);
	/* the double data takes the scaled path (squares of 1e-160 underflow) */
	assert_true(norm_tiny_f64(d, 19, &tiny) == norm_f64(d, 19));
	assert_int_equal(tiny, 3);
	assert_true(norm_tiny_f64(d, 0, &tiny) == 0);
	assert_int_equal(tiny, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(float_gradients_of_1e30_are_recorded),
		cmocka_unit_test(float_subnormals_are_recorded),
		cmocka_unit_test(double_extremes_neither_underflow_nor_overflow),
		cmocka_unit_test(non_finite_values_are_reported),
		cmocka_unit_test(combined_norms_keep_tiny_scales),
		cmocka_unit_test(tiny_entries_are_counted_in_the_norm_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
