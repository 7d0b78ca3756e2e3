/* Scaled norms; see norm.h for why. */
#include "util/norm.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "util/target_clones.h"

/* With count_tiny, also counts the entries below FLT_MIN in magnitude (zero or
 * subnormal) into *tiny, in the same pass; the sums are the same either way. */
/* always_inline: without it GCC (-O3) kept one out-of-line copy built for the default
 * target, which every clone called, so the AVX-512 and AVX2 clones ran SSE2 code. */
static inline __attribute__((always_inline)) double sum_f32(const float *x, size_t n,
							    bool count_tiny, size_t *tiny)
{
	/* Sixteen independent partial sums in double (lane k sums the entries i with
	 * i % 16 == k, in order, then the lanes are added in order), so the result is
	 * reproducible and the same as a scalar loop over the lanes. Written as GCC's
	 * generic vectors, as sum_f64 is, the count rides on the same loop as a compare
	 * mask (-1 where it holds) subtracted in 32-bit lanes; a lane overflows only past
	 * 2^31 * 16 entries, far beyond any layer. The float-to-double widening is a loop
	 * over the lanes: __builtin_convertvector made the pass 1.5 times as slow. */
	typedef float float8 __attribute__((vector_size(8 * sizeof(float))));
	typedef double double8 __attribute__((vector_size(8 * sizeof(double))));
	typedef int int8v __attribute__((vector_size(8 * sizeof(int))));
	const float8 smallest = {FLT_MIN, FLT_MIN, FLT_MIN, FLT_MIN,
				 FLT_MIN, FLT_MIN, FLT_MIN, FLT_MIN};
	double8 low = {0}, high = {0};
	int8v below_low = {0}, below_high = {0};
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		float8 a, b;
		memcpy(&a, x + i, sizeof a);
		memcpy(&b, x + i + 8, sizeof b);
		double8 da, db;
		for (int k = 0; k < 8; k++) {
			da[k] = a[k];
			db[k] = b[k];
		}
		low += da * da;
		high += db * db;
		if (count_tiny) { /* |v| < FLT_MIN; false for NaN */
			below_low -= (a < smallest) & (a > -smallest);
			below_high -= (b < smallest) & (b > -smallest);
		}
	}
	double sum = 0.0;
	size_t count = 0;
	for (; i < n; i++) {
		sum += (double)x[i] * (double)x[i];
		count += fabsf(x[i]) < FLT_MIN;
	}
	for (int k = 0; k < 8; k++) {
		sum += low[k];
		count += (size_t)(unsigned)below_low[k];
	}
	for (int k = 0; k < 8; k++) {
		sum += high[k];
		count += (size_t)(unsigned)below_high[k];
	}
	if (count_tiny)
		*tiny = count;
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

/* See sum_f32. */
static inline double sum_f64(const double *x, size_t n, bool count_tiny, size_t *tiny)
{
	/* One pass first: when the sum of squares lies well inside double's range, squares
	 * that underflowed were below 1e-308, negligible against it, so the plain sum is
	 * as good as the scaled one. Only vanishing (or huge, or non-finite) data takes the
	 * two scaled passes. */
	/* Four partial sums, as one vector of GCC's (and clang's) generic vectors: written
	 * as an array and a loop over it, the same sums took the Release build (-O3) 2.9
	 * times as long (1.37 against 0.48 us per 4096 doubles, 1.76 against 0.54 with the
	 * count). Lane k sums the entries i with i % 4 == k, in order, as before. A
	 * comparison gives -1 in the lanes where it holds. */
	typedef double double4 __attribute__((vector_size(4 * sizeof(double))));
	typedef long long long4 __attribute__((vector_size(4 * sizeof(long long))));
	const double4 smallest = {DBL_MIN, DBL_MIN, DBL_MIN, DBL_MIN};
	double4 partial = {0, 0, 0, 0};
	long4 below = {0, 0, 0, 0};
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		double4 v;
		memcpy(&v, x + i, sizeof v);
		partial += v * v;
		if (count_tiny) /* |v| < DBL_MIN; false for NaN, as fabs(NaN) < DBL_MIN */
			below -= (v < smallest) & (v > -smallest);
	}
	double plain = 0.0;
	size_t count = 0;
	for (; i < n; i++) {
		plain += x[i] * x[i];
		count += fabs(x[i]) < DBL_MIN;
	}
	plain += partial[0] + partial[1] + partial[2] + partial[3];
	if (count_tiny)
		*tiny = count + (size_t)(below[0] + below[1] + below[2] + below[3]);
	if (plain >= 1e-280 && plain <= 1e280)
		return sqrt(plain);
	return scaled_norm_f64(x, n);
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
