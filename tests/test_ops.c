/* Central finite-difference checks of every op's backward against its forward, for the
 * dtype this file is compiled with (real.h). Each check builds a scalar loss
 * L = sum(G * output) with random G, so dL/doutput = G. */
#include "support/test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ops.h"
#include "spec/spec.h"
#include "util/norm.h"
#include "util/rng.h"

/* A central difference errs by truncation (~STEP^2) and by the loss's rounding (~eps |L|
 * / STEP); gradients below SCALE_FLOOR are compared in absolute terms, at TOLERANCE *
 * SCALE_FLOOR, which must stay above that rounding. Chosen so that 300 seeds pass (with
 * the former STEP 1e-6 one seed in three failed in double, a few 1e-7 over; in float,
 * one in eight with a floor of 1e-2): a test that fails for some data would fail for
 * nothing but the draw. */
#ifdef GT_REAL_DOUBLE
#define STEP 1e-5
#define TOLERANCE 1e-7
#define SCALE_FLOOR 1e-2
#else
/* float: a larger step trades truncation error for rounding error */
#define STEP 1e-2
#define TOLERANCE 2e-3
#define SCALE_FLOOR 5e-2
#endif

static struct rng rng;

/* Before each test: the same draws whatever ran before it, so that a test's data, and
 * whether its finite differences hold, do not depend on the tests before it. */
static int reseed(void **state)
{
	(void)state;
	rng_seed(&rng, 42, 0);
	return 0;
}

static void fill(real *x, size_t n, double scale)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (real)(scale * rng_normal(&rng));
}

static double dot(const real *a, const real *b, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)a[i] * (double)b[i];
	return sum;
}

/* |analytic - numeric| relative to the larger magnitude, with a floor near zero. */
static void assert_gradient(const char *what, size_t index, double analytic, double numeric)
{
	double scale = fmax(fmax(fabs(analytic), fabs(numeric)), SCALE_FLOOR);
	double error = fabs(analytic - numeric) / scale;
	if (!(error <= TOLERANCE))
		fail_msg("%s[%zu]: analytic %.10g, finite difference %.10g (error %.3g)", what,
			 index, analytic, numeric, error);
}

static void activations_match_finite_differences(void **state)
{
	(void)state;
	enum { N = 64 };
	real z[N], a[N], da[N], dz[N], a_plus[N], a_minus[N], shifted[N];
	for (int kind = ACT_LINEAR; kind <= ACT_SILU; kind++) {
		fill(z, N, 2.0);
		/* keep away from relu-like kinks, where the derivative is not defined */
		for (int i = 0; i < N; i++)
			if (fabs((double)z[i]) < 0.1)
				z[i] = (real)0.5;
		fill(da, N, 1.0);
		memset(dz, 0, sizeof dz);
		RNAME(activation_forward)(a, z, N, kind, (real)0.1);
		RNAME(activation_backward)(dz, da, z, a, N, kind, (real)0.1);
		for (int i = 0; i < N; i++) {
			memcpy(shifted, z, sizeof z);
			shifted[i] = z[i] + (real)STEP;
			RNAME(activation_forward)(a_plus, shifted, N, kind, (real)0.1);
			shifted[i] = z[i] - (real)STEP;
			RNAME(activation_forward)(a_minus, shifted, N, kind, (real)0.1);
			double numeric = (double)da[i] * ((double)a_plus[i] - (double)a_minus[i]) /
					 (2 * STEP);
			assert_gradient(activation_names[kind], (size_t)i, (double)dz[i], numeric);
		}
	}
}

static void sigmoid_derivative_is_at_most_a_quarter(void **state)
{
	(void)state;
	enum { N = 201 };
	real z[N], a[N], ones[N], dz[N];
	for (int i = 0; i < N; i++)
		z[i] = (real)(-10 + 0.1 * i), ones[i] = 1, dz[i] = 0;
	RNAME(activation_forward)(a, z, N, ACT_SIGMOID, 0);
	RNAME(activation_backward)(dz, ones, z, a, N, ACT_SIGMOID, 0);
	double largest = 0;
	for (int i = 0; i < N; i++)
		largest = fmax(largest, (double)dz[i]);
	assert_true(largest <= 0.25);
	assert_true(largest > 0.2499); /* reached at z = 0 */
}

/* The set variants of the backward ops write exactly what adding to zeros gives, to the
 * bit (a -0 included), whatever the buffer held, and count the same saturated units. */
static void setting_backward_is_adding_to_zeros(void **state)
{
	(void)state;
	enum { N = 67, B = 5, IN = 7, OUT = 9 };
	real z[N], a[N], da[N], added[N], set[N];
	for (int kind = ACT_LINEAR; kind <= ACT_SILU; kind++) {
		fill(z, N, 4.0);
		fill(da, N, 1.0);
		da[3] = (real)-0.0, z[5] = 0, z[6] = (real)-30;
		RNAME(activation_forward)(a, z, N, kind, (real)0.1);
		memset(added, 0, sizeof added);
		for (int i = 0; i < N; i++)
			set[i] = (real)NAN;
		size_t saturated = RNAME(activation_backward)(added, da, z, a, N, kind, (real)0.1);
		assert_int_equal(RNAME(activation_backward_set)(set, da, z, a, N, kind, (real)0.1),
				 saturated);
		if (memcmp(added, set, sizeof set))
			fail_msg("%s: activation_backward_set differs from adding to zeros",
				 activation_names[kind]);
	}
	real x[B * IN], w[OUT * IN], g[B * OUT];
	real dx_added[B * IN] = {0}, dx_set[B * IN];
	fill(x, B * IN, 1), fill(w, OUT * IN, 1), fill(g, B * OUT, 1);
	for (int i = 0; i < B * IN; i++)
		dx_set[i] = (real)NAN;
	RNAME(dense_input_backward)(dx_added, g, w, B, IN, OUT, true);
	RNAME(dense_input_backward)(dx_set, g, w, B, IN, OUT, false);
	assert_memory_equal(dx_added, dx_set, sizeof dx_set);
	/* dW and db are always written: what the buffers held does not show */
	real dw_zeros[OUT * IN] = {0}, db_zeros[OUT] = {0}, dw_nan[OUT * IN], db_nan[OUT];
	for (int i = 0; i < OUT * IN; i++)
		dw_nan[i] = db_nan[i % OUT] = (real)NAN;
	RNAME(dense_weight_backward)(dw_zeros, db_zeros, g, x, B, IN, OUT);
	RNAME(dense_weight_backward)(dw_nan, db_nan, g, x, B, IN, OUT);
	assert_memory_equal(dw_zeros, dw_nan, sizeof dw_nan);
	assert_memory_equal(db_zeros, db_nan, sizeof db_nan);
}

/* activation_backward_set_norm writes what activation_backward_set writes and gives the
 * norm of it that norm_* gives, to the bit: over several of its blocks and a ragged
 * tail, and for vanishing deltas (1e-30 times a float's, 1e-200 times a double's, which
 * take double's scaled passes). */
static void backward_with_norm_is_backward_then_norm(void **state)
{
	(void)state;
	enum { N = 1031 };
	static real z[N], a[N], da[N], set[N], measured[N];
	for (int kind = ACT_LINEAR; kind <= ACT_SILU; kind++) {
		for (int vanishing = 0; vanishing < 2; vanishing++) {
			fill(z, N, 4.0);
#ifdef GT_REAL_DOUBLE
			fill(da, N, vanishing ? 1e-200 : 1.0);
#else
			fill(da, N, vanishing ? 1e-30 : 1.0);
#endif
			RNAME(activation_forward)(a, z, N, kind, (real)0.1);
			size_t saturated = RNAME(activation_backward_set)(set, da, z, a, N, kind,
									  (real)0.1);
			double norm = NAN;
			assert_int_equal(RNAME(activation_backward_set_norm)(measured, da, z, a, N,
									     kind, (real)0.1, &norm),
					 saturated);
			assert_memory_equal(measured, set, sizeof set);
			double expected = RNAME(norm)(set, N);
			if (memcmp(&norm, &expected, sizeof norm) != 0 || !(norm > 0))
				fail_msg("%s: norm %.17g, norm_* %.17g", activation_names[kind], norm,
					 expected);
		}
	}
}

/* activation_backward's count: the units whose derivative is below 1% of its maximum. */
static void backward_counts_saturated_units(void **state)
{
	(void)state;
	enum { N = 201 };
	real z[N], a[N], ones[N], dz[N];
	for (int kind = ACT_SIGMOID; kind <= ACT_RELU; kind++) {
		size_t expected = 0;
		for (int i = 0; i < N; i++) {
			z[i] = (real)(-10 + 0.1 * i), ones[i] = 1, dz[i] = 0;
			/* sigmoid: s (1 - s) < 0.0025 for |z| > 5.99; tanh: 1 - t^2 < 0.01
			 * for |z| > 2.99; relu never saturates */
			double edge = kind == ACT_SIGMOID ? 5.99 : kind == ACT_TANH ? 2.99 : INFINITY;
			expected += fabs((double)z[i]) > edge;
		}
		RNAME(activation_forward)(a, z, N, kind, 0);
		assert_int_equal(RNAME(activation_backward)(dz, ones, z, a, N, kind, 0), expected);
	}
}

/* Every activation against libm in double: float results within a few float ulps. */
static void activations_are_accurate(void **state)
{
	(void)state;
	enum { N = 4001 };
	static real z[N], a[N];
	for (int i = 0; i < N; i++)
		z[i] = (real)(i < N / 2 ? -pow(10, -8 + 10.0 * i / (N / 2)) :
					   pow(10, -8 + 10.0 * (i - N / 2) / (N / 2)));
	RNAME(activation_forward)(a, z, N, ACT_TANH, 0);
	double worst = 0;
	for (int i = 0; i < N; i++) {
		double exact = tanh((double)z[i]);
		worst = fmax(worst, fabs((double)a[i] - exact) / fabs(exact));
	}
#ifdef GT_REAL_DOUBLE
	assert_true(worst < 4e-16);
#else
	if (!(worst < 2.5e-7)) /* two float ulps */
		fail_msg("tanh: relative error %.3g", worst);
#endif
}

/* Checks dense_weight_backward's dW and db and dense_input_backward's dx through
 * L = sum(G * dense(x, W, b)). */
static void dense_matches_finite_differences(void **state)
{
	(void)state;
	enum { B = 3, IN = 4, OUT = 5 };
	real x[B * IN], w[OUT * IN], b[OUT], g[B * OUT], z[B * OUT];
	real dx[B * IN] = {0}, dw[OUT * IN], db[OUT];
	fill(x, B * IN, 1), fill(w, OUT * IN, 1), fill(b, OUT, 1), fill(g, B * OUT, 1);
	/* dW and db are written, whatever they held; dx is added to */
	for (int i = 0; i < OUT * IN; i++)
		dw[i] = db[i % OUT] = 1e3;
	RNAME(dense_weight_backward)(dw, db, g, x, B, IN, OUT);
	RNAME(dense_input_backward)(dx, g, w, B, IN, OUT, true);

	struct {
		const char *name;
		real *values, *gradient;
		size_t count;
	} inputs[] = {{"dense dx", x, dx, B * IN}, {"dense dW", w, dw, OUT * IN},
		      {"dense db", b, db, OUT}};
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < inputs[k].count; i++) {
			real saved = inputs[k].values[i];
			inputs[k].values[i] = saved + (real)STEP;
			RNAME(dense_forward)(z, x, w, b, B, IN, OUT);
			double plus = dot(g, z, B * OUT);
			inputs[k].values[i] = saved - (real)STEP;
			RNAME(dense_forward)(z, x, w, b, B, IN, OUT);
			double minus = dot(g, z, B * OUT);
			inputs[k].values[i] = saved;
			assert_gradient(inputs[k].name, i, (double)inputs[k].gradient[i],
					(plus - minus) / (2 * STEP));
		}
	}
}

/* The fused pass gives what dense_forward then activation_forward give: z to the bit,
 * f(z) to the bit in float64; in float32 libmvec's vector functions (vector_math.h)
 * compute some entries of a row and libm's scalar ones the rest, a few ulps apart. */
#ifdef GT_REAL_DOUBLE
#define FUSED_TOLERANCE 0.0
#else
#define FUSED_TOLERANCE 5e-7
#endif

static void fused_dense_activation_is_dense_then_activation(void **state)
{
	(void)state;
	enum { B = 3, IN = 4, OUT = 37 }; /* a row longer than any vector, with a tail */
	real x[B * IN], w[OUT * IN], b[OUT];
	real z[B * OUT], a[B * OUT], fused_z[B * OUT], fused_a[B * OUT];
	/* its own data: drawing from the shared stream would move the later tests' points */
	for (int i = 0; i < OUT * IN; i++) {
		w[i] = (real)(2 * sin(i * 0.7));
		x[i % (B * IN)] = (real)cos(i * 1.3);
		b[i % OUT] = (real)sin(i * 0.1);
	}
	for (int kind = ACT_LINEAR; kind <= ACT_SILU; kind++) {
		RNAME(dense_forward)(z, x, w, b, B, IN, OUT);
		RNAME(activation_forward)(a, z, B * OUT, kind, (real)0.1);
		RNAME(dense_activation_forward)(fused_a, fused_z, x, w, b, B, IN, OUT, kind,
						(real)0.1);
		assert_memory_equal(fused_z, z, sizeof z);
		for (int i = 0; i < B * OUT; i++)
			if (!(fabs((double)fused_a[i] - (double)a[i]) <=
			      FUSED_TOLERANCE * fmax(fabs((double)a[i]), 1e-30)))
				fail_msg("activation %d, entry %d: fused %.9g, apart %.9g", kind, i,
					 (double)fused_a[i], (double)a[i]);
	}
}

static void residual_matches_finite_differences(void **state)
{
	(void)state;
	enum { N = 8 };
	real x[N], a[N], g[N], h[N], dx[N] = {0}, da[N] = {0};
	real alpha = (real)0.7;
	fill(x, N, 1), fill(a, N, 1), fill(g, N, 1);
	double dalpha = RNAME(residual_backward)(dx, da, g, a, alpha, N);
	real saved_alpha = alpha;
	alpha = saved_alpha + (real)STEP;
	RNAME(residual_forward)(h, x, a, alpha, N);
	double alpha_plus = dot(g, h, N);
	alpha = saved_alpha - (real)STEP;
	RNAME(residual_forward)(h, x, a, alpha, N);
	double alpha_minus = dot(g, h, N);
	alpha = saved_alpha;
	assert_gradient("residual dalpha", 0, dalpha, (alpha_plus - alpha_minus) / (2 * STEP));
	for (int which = 0; which < 2; which++) {
		real *values = which ? a : x, *gradient = which ? da : dx;
		for (size_t i = 0; i < N; i++) {
			real saved = values[i];
			values[i] = saved + (real)STEP;
			RNAME(residual_forward)(h, x, a, alpha, N);
			double plus = dot(g, h, N);
			values[i] = saved - (real)STEP;
			RNAME(residual_forward)(h, x, a, alpha, N);
			double minus = dot(g, h, N);
			values[i] = saved;
			assert_gradient(which ? "residual da" : "residual dx", i, (double)gradient[i],
					(plus - minus) / (2 * STEP));
		}
	}
}

/* L = sum(G * norm(z)) for layernorm and batchnorm (training statistics): dz, dgamma and
 * dbeta against finite differences. */
static void normalisations_match_finite_differences(void **state)
{
	(void)state;
	enum { B = 5, N = 6 };
	for (int kind = 0; kind < 2; kind++) {
		real z[B * N], gamma[N], beta[N], g[B * N], y[B * N], xhat[B * N], rstd[B > N ? B : N];
		real mean[N] = {0}, var[N], dz[B * N] = {0}, dgamma[N] = {0}, dbeta[N] = {0};
		double columns[2 * N];
		fill(z, B * N, 2), fill(gamma, N, 1), fill(beta, N, 1), fill(g, B * N, 1);
		for (int j = 0; j < N; j++)
			var[j] = 1;
#define NORM_FORWARD()                                                                      \
	(kind ? RNAME(batchnorm_forward)(y, xhat, rstd, z, gamma, beta, mean, var, B, N,    \
					 (real)1e-5, (real)0.1, true, columns)             \
	      : RNAME(layernorm_forward)(y, xhat, rstd, z, gamma, beta, B, N, (real)1e-5))
		NORM_FORWARD();
		if (kind)
			RNAME(batchnorm_backward)(dz, dgamma, dbeta, g, xhat, rstd, gamma, B, N,
						  columns);
		else
			RNAME(layernorm_backward)(dz, dgamma, dbeta, g, xhat, rstd, gamma, B, N);
		struct {
			const char *name;
			real *values, *gradient;
			size_t count;
		} inputs[] = {{"norm dz", z, dz, B * N}, {"norm dgamma", gamma, dgamma, N},
			      {"norm dbeta", beta, dbeta, N}};
		for (int k = 0; k < 3; k++) {
			for (size_t i = 0; i < inputs[k].count; i++) {
				real saved = inputs[k].values[i];
				inputs[k].values[i] = saved + (real)STEP;
				NORM_FORWARD();
				double plus = dot(g, y, B * N);
				inputs[k].values[i] = saved - (real)STEP;
				NORM_FORWARD();
				double minus = dot(g, y, B * N);
				inputs[k].values[i] = saved;
				assert_gradient(kind ? inputs[k].name : inputs[k].name, i,
						(double)inputs[k].gradient[i], (plus - minus) / (2 * STEP));
			}
		}
#undef NORM_FORWARD
	}
}

static void batchnorm_running_statistics_follow_pytorch(void **state)
{
	(void)state;
	/* one column, values 1..4: batch mean 2.5, unbiased variance 5/3 */
	real z[4] = {1, 2, 3, 4}, y[4], xhat[4], rstd[4], gamma[1] = {1}, beta[1] = {0};
	real mean[1] = {0}, var[1] = {1};
	double columns[2];
	RNAME(batchnorm_forward)(y, xhat, rstd, z, gamma, beta, mean, var, 4, 1, (real)1e-5,
				 (real)0.1, true, columns);
	assert_true(fabs((double)mean[0] - 0.25) < 1e-6);
	assert_true(fabs((double)var[0] - (0.9 + 0.1 * 5.0 / 3)) < 1e-6);
	/* evaluation normalises with the running statistics */
	RNAME(batchnorm_forward)(y, xhat, rstd, z, gamma, beta, mean, var, 4, 1, (real)1e-5,
				 (real)0.1, false, columns);
	assert_true(fabs((double)y[0] - (1 - 0.25) / sqrt(0.9 + 0.5 / 3 + 1e-5)) < 1e-5);
}

static void losses_match_finite_differences(void **state)
{
	(void)state;
	enum { B = 4, C = 5 };
	real logits[B * C], probs[B * C], target[B * C], d[B * C];
	int32_t labels[B] = {0, 3, 4, 1};
	fill(logits, B * C, 2), fill(target, B * C, 1);

	memset(d, 0, sizeof d);
	RNAME(softmax_cross_entropy_forward)(probs, logits, labels, B, C);
	RNAME(softmax_cross_entropy_backward)(d, probs, labels, B, C);
	for (size_t i = 0; i < B * C; i++) {
		real saved = logits[i];
		logits[i] = saved + (real)STEP;
		double plus = RNAME(softmax_cross_entropy_forward)(probs, logits, labels, B, C);
		logits[i] = saved - (real)STEP;
		double minus = RNAME(softmax_cross_entropy_forward)(probs, logits, labels, B, C);
		logits[i] = saved;
		assert_gradient("cross_entropy", i, (double)d[i], (plus - minus) / (2 * STEP));
	}

	memset(d, 0, sizeof d);
	RNAME(mse_backward)(d, logits, target, B * C);
	for (size_t i = 0; i < B * C; i++) {
		real saved = logits[i];
		logits[i] = saved + (real)STEP;
		double plus = RNAME(mse_forward)(logits, target, B * C);
		logits[i] = saved - (real)STEP;
		double minus = RNAME(mse_forward)(logits, target, B * C);
		logits[i] = saved;
		assert_gradient("mse", i, (double)d[i], (plus - minus) / (2 * STEP));
	}
}

static void cross_entropy_of_uniform_logits_is_log_classes(void **state)
{
	(void)state;
	real logits[2 * 4] = {0}, probs[2 * 4];
	int32_t labels[2] = {1, 3};
	double loss = RNAME(softmax_cross_entropy_forward)(probs, logits, labels, 2, 4);
	assert_true(fabs(loss - log(4.0)) < 1e-6);
	assert_true(fabs((double)probs[5] - 0.25) < 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(activations_match_finite_differences, reseed),
		cmocka_unit_test_setup(sigmoid_derivative_is_at_most_a_quarter, reseed),
		cmocka_unit_test_setup(activations_are_accurate, reseed),
		cmocka_unit_test_setup(dense_matches_finite_differences, reseed),
		cmocka_unit_test_setup(setting_backward_is_adding_to_zeros, reseed),
		cmocka_unit_test_setup(backward_with_norm_is_backward_then_norm, reseed),
		cmocka_unit_test_setup(backward_counts_saturated_units, reseed),
		cmocka_unit_test_setup(fused_dense_activation_is_dense_then_activation, reseed),
		cmocka_unit_test_setup(residual_matches_finite_differences, reseed),
		cmocka_unit_test_setup(normalisations_match_finite_differences, reseed),
		cmocka_unit_test_setup(batchnorm_running_statistics_follow_pytorch, reseed),
		cmocka_unit_test_setup(losses_match_finite_differences, reseed),
		cmocka_unit_test_setup(cross_entropy_of_uniform_logits_is_log_classes, reseed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
