/* Euclidean (Frobenius) norms that neither underflow nor overflow.
 *
 * Gradients in deep sigmoid stacks reach 1e-30 and below; squaring such a value in its
 * own precision gives 0, and the norm of a vanished gradient would be recorded as 0.
 * float data is therefore accumulated in double (whose range holds every float squared);
 * double data is first scaled by a power of two near its largest magnitude. A NaN
 * anywhere gives NaN and an infinity gives +inf, so non-finite gradients are detected. */
#ifndef GT_NORM_H
#define GT_NORM_H

#include <stddef.h>

double norm_f32(const float *x, size_t n);
double norm_f64(const double *x, size_t n);
/* The same norm (to the bit), and in the same pass the number of entries that are zero
 * or subnormal (below FLT_MIN or DBL_MIN in magnitude) into *tiny. */
double norm_tiny_f32(const float *x, size_t n, size_t *tiny);
double norm_tiny_f64(const double *x, size_t n, size_t *tiny);

/* The norm of x from the plain sum of its squares in norm_lanes.h's lanes (as a pass
 * that wrote x added them): the same value as norm_*, to the bit. double's may read x
 * again, when the sum left double's safe range. */
double norm_from_squares_f32(double squares, const float *x, size_t n);
double norm_from_squares_f64(double squares, const double *x, size_t n);

/* sqrt(sum of squares) of already computed norms, e.g. a global gradient norm from
 * per-layer norms. */
double norm_combine(const double *norms, size_t n);

#endif
