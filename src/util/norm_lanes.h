/* The partial sums of squares behind norm.h's norms, for a pass that takes a norm of
 * what it writes (the activation backward's deltas) while the values are in cache:
 * added sixteen entries at a time in the lanes norm_f32 and norm_f64 use, and totalled
 * in their order, so that the norm is theirs to the bit. Inlined, so that each caller's
 * vector clone has them in its own instructions. */
#ifndef GT_NORM_LANES_H
#define GT_NORM_LANES_H

#include <stddef.h>
#include <string.h>

/* entries one square_lanes_add_* takes */
#define NORM_LANES_STEP_F32 16
#define NORM_LANES_STEP_F64 16

typedef float norm_float8 __attribute__((vector_size(8 * sizeof(float))));
typedef double norm_double8 __attribute__((vector_size(8 * sizeof(double))));
typedef double norm_double4 __attribute__((vector_size(4 * sizeof(double))));

/* float: sixteen partial sums in double (lane k sums the entries i with i % 16 == k, in
 * order); double's range holds every float squared, so nothing underflows */
struct square_lanes_f32 {
	norm_double8 low, high;
};
/* double: sixteen partial sums too (lane k sums the entries i with i % 16 == k, in
 * order), in four independent vectors of four: one vector was a chain of dependent adds
 * that took 2.2 times as long (0.48 against 0.215 us per 4096 doubles); vectors of
 * eight made GCC 12 take the tiny count's comparisons apart into scalar ones */
struct square_lanes_f64 {
	norm_double4 q0, q1, q2, q3;
};
/* Adds the squares of x[0..16), loaded into *a and *b (for a caller that also tests
 * them). The float-to-double widening is a loop over the lanes: __builtin_convertvector
 * made the pass 1.5 times as slow. */
static inline __attribute__((always_inline)) void
square_lanes_add_f32(struct square_lanes_f32 *lanes, const float *x, norm_float8 *a,
		     norm_float8 *b)
{
	memcpy(a, x, sizeof *a);
	memcpy(b, x + 8, sizeof *b);
	norm_double8 da, db;
	for (int k = 0; k < 8; k++) {
		da[k] = (*a)[k];
		db[k] = (*b)[k];
	}
	lanes->low += da * da;
	lanes->high += db * db;
}

/* Adds the squares of x[0..16), loaded into *a, *b, *c and *d (for a caller that also
 * tests them). */
static inline __attribute__((always_inline)) void
square_lanes_add_f64(struct square_lanes_f64 *lanes, const double *x, norm_double4 *a,
		     norm_double4 *b, norm_double4 *c, norm_double4 *d)
{
	memcpy(a, x, sizeof *a);
	memcpy(b, x + 4, sizeof *b);
	memcpy(c, x + 8, sizeof *c);
	memcpy(d, x + 12, sizeof *d);
	lanes->q0 += *a * *a;
	lanes->q1 += *b * *b;
	lanes->q2 += *c * *c;
	lanes->q3 += *d * *d;
}

/* The sum of squares: the n entries of tail (fewer than a step) in order, then the
 * lanes in order. */
static inline __attribute__((always_inline)) double
square_lanes_total_f32(const struct square_lanes_f32 *lanes, const float *tail, size_t n)
{
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += (double)tail[i] * (double)tail[i];
	for (int k = 0; k < 8; k++)
		sum += lanes->low[k];
	for (int k = 0; k < 8; k++)
		sum += lanes->high[k];
	return sum;
}

static inline __attribute__((always_inline)) double
square_lanes_total_f64(const struct square_lanes_f64 *lanes, const double *tail, size_t n)
{
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += tail[i] * tail[i];
	for (int k = 0; k < 4; k++)
		sum += lanes->q0[k];
	for (int k = 0; k < 4; k++)
		sum += lanes->q1[k];
	for (int k = 0; k < 4; k++)
		sum += lanes->q2[k];
	for (int k = 0; k < 4; k++)
		sum += lanes->q3[k];
	return sum;
}

#endif
