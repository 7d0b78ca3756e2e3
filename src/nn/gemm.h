/* The one matrix-product wrapper: every matrix product in the trainer goes through it,
 * and so through CBLAS. Row-major throughout; the maths is written at each call site.
 * The caller sets how many threads the product may use (blas_threads_fit): network.c
 * as many as its size is worth, tiles.c one, from threads of its own. */
#ifndef GT_GEMM_H
#define GT_GEMM_H

#include <stdbool.h>

#include "nn/blas_threads.h"
#include "nn/real.h"

/* c (m, n) = alpha * op(a) op(b) + beta * c, where op(a) is (m, k) and op(b) is (k, n);
 * op transposes when the flag says so. */
static inline void gemm(real *c, const real *a, bool transpose_a, const real *b,
			bool transpose_b, int m, int n, int k, real alpha, real beta)
{
	BLAS(gemm)(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
		   transpose_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
		   transpose_a ? m : k, b, transpose_b ? k : n, beta, c, n);
}

#endif
