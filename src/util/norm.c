/* Scaled norms; see norm.h for why. */
#include "util/norm.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>

#include "util/norm_lanes.h"
#include "util/target_clones.h"

/* With count_tiny, also counts the entries below FLT_MIN in magnitude (zero or
 * subnormal) into *tiny, in the same pass; the sums are the same either way. */
/* always_inline: without it GCC (-O3) kept one out-of-line copy built for the default
 * target, which every clone called, so the AVX-512 and AVX2 clones ran SSE2 code. */
static inline __attribute__((always_inline)) double sum_f32(const float *x, size_t n,
							    bool count_tiny, size_t *tiny)
{
	/* The sums in norm_lanes.h's sixteen lanes, so the result is reproducible and the
	 * same as a scalar loop over the lanes. Written as GCC's generic vectors, as
	 * sum_f64 is, the count rides on the same loop as a compare mask (-1 where it
	 * holds) subtracted in 32-bit lanes; a lane overflows only past 2^31 * 16 entries,
	 * far beyond any layer. */
	typedef int int8v __attribute__((vector_size(8 * sizeof(int))));
	const norm_float8 smallest = {FLT_MIN, FLT_MIN, FLT_MIN, FLT_MIN,
				      FLT_MIN, FLT_MIN, FLT_MIN, FLT_MIN};
	struct square_lanes_f32 lanes = {{0}, {0}};
	int8v below_low = {0}, below_high = {0};
	size_t i = 0;
	for (; i + NORM_LANES_STEP_F32 <= n; i += NORM_LANES_STEP_F32) {
		norm_float8 a, b;
		square_lanes_add_f32(&lanes, x + i, &a, &b);
		if (count_tiny) { /* |v| < FLT_MIN; false for NaN */
			below_low -= (a < smallest) & (a > -smallest);
			below_high -= (b < smallest) & (b > -smallest);
		}
	}
	double sum = square_lanes_total_f32(&lanes, x + i, n - i);
	if (count_tiny) {
		size_t count = 0;
		for (; i < n; i++)
			count += fabsf(x[i]) < FLT_MIN;
		for (int k = 0; k < 8; k++)
			count += (size_t)(unsigned)below_low[k] + (size_t)(unsigned)below_high[k];
		*tiny = count;
	}
	return sqrt(sum);
}

VECTOR_CLONES double norm_f32(const float *x, size_t n)
{
	return sum_f32(x, n, false, NULL);
}

VECTOR_CLONES double norm_tiny_f32(const float *x, size_t n, size_t *tiny)
{
	return sum_f32(x, n, true, tiny);
}

/* The scaled norm of x, for data whose plain sum of squares left double's safe range. */
static double scaled_norm_f64(const double *x, size_t n)
{
	size_t i;

	double largest = 0.0;
	int has_nan = 0;
	for (i = 0; i < n; i++) {
		double a = fabs(x[i]);
		has_nan |= isnan(a);
		largest = a > largest ? a : largest;
	}
	if (has_nan)
		return NAN;
	if (largest == 0.0 || isinf(largest))
		return largest;

	/* Scale by 2^-exponent (exact) so the largest term is in [0.5, 1). The factor is
	 * split in two because 2^1074, needed for subnormals, does not fit in a double. */
	int exponent;
	frexp(largest, &exponent);
	double scale_a = ldexp(1.0, -exponent / 2);
	double scale_b = ldexp(1.0, -exponent - (-exponent / 2));
	double sum = 0.0;
	for (i = 0; i < n; i++) {
		double scaled = x[i] * scale_a * scale_b;
		sum += scaled * scaled;
	}
	return ldexp(sqrt(sum), exponent);
}

double norm_from_squares_f32(double squares, const float *x, size_t n)
{
	(void)x, (void)n; /* float squared is always in double's range */
	return sqrt(squares);
}

double norm_from_squares_f64(double squares, const double *x, size_t n)
{
	/* When the sum of squares lies well inside double's range, squares that
	 * underflowed were below 1e-308, negligible against it, so the plain sum is as good
	 * as the scaled one. Only vanishing (or huge, or non-finite) data takes the two
	 * scaled passes. */
	if (squares >= 1e-280 && squares <= 1e280)
		return sqrt(squares);
	return scaled_norm_f64(x, n);
}

/* See sum_f32. */
static inline double sum_f64(const double *x, size_t n, bool count_tiny, size_t *tiny)
{
	/* One pass first; norm_from_squares_f64 takes the two scaled passes only when the
	 * sum is outside double's safe range. The sums in norm_lanes.h's sixteen lanes, as
	 * GCC's (and clang's) generic vectors: written as an array and a loop over it, four
	 * such sums took the Release build (-O3) 2.9 times as long. A comparison gives -1
	 * in the lanes where it holds. */
	typedef long long long4 __attribute__((vector_size(4 * sizeof(long long))));
	const norm_double4 smallest = {DBL_MIN, DBL_MIN, DBL_MIN, DBL_MIN};
	struct square_lanes_f64 lanes = {{0}, {0}, {0}, {0}};
	long4 below = {0};
	size_t i = 0;
	for (; i + NORM_LANES_STEP_F64 <= n; i += NORM_LANES_STEP_F64) {
		norm_double4 a, b, c, d;
		square_lanes_add_f64(&lanes, x + i, &a, &b, &c, &d);
		if (count_tiny) /* |v| < DBL_MIN; false for NaN, as fabs(NaN) < DBL_MIN */
			below -= ((a < smallest) & (a > -smallest)) +
				 ((b < smallest) & (b > -smallest)) +
				 ((c < smallest) & (c > -smallest)) +
				 ((d < smallest) & (d > -smallest));
	}
	double plain = square_lanes_total_f64(&lanes, x + i, n - i);
	if (count_tiny) {
		size_t count = 0;
		for (; i < n; i++)
			count += fabs(x[i]) < DBL_MIN;
		*tiny = count + (size_t)(below[0] + below[1] + below[2] + below[3]);
	}
	return norm_from_squares_f64(plain, x, n);
}
VECTOR_CLONES double norm_f64(const double *x, size_t n)
{
	return sum_f64(x, n, false, NULL);
}

VECTOR_CLONES double norm_tiny_f64(const double *x, size_t n, size_t *tiny)
{
	return sum_f64(x, n, true, tiny);
}

double norm_combine(const double *norms, size_t n)
{
	return norm_f64(norms, n);
}
