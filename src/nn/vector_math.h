/* Vectorised elementwise loops in the one binary that runs on any x86-64.
 *
 * VECTOR_CLONES makes GCC compile a function for AVX-512, AVX2 and baseline x86-64 and
 * pick the version when the program loads (target_clones, through an ifunc); on other
 * machines and compilers it is nothing, and the baseline build is all there is.
 *
 * For float, the loops of the activations call glibc's vector maths library (libmvec,
 * found by CMake, which defines GTRACK_LIBMVEC): declared simd below, expf and the others
 * are called 4, 8 or 16 at a time in the matching clone. erff is left scalar: gelu's
 * 1 + erf(z) cancels for negative z, where libmvec's few ulps became 1e-4. libmvec is accurate to a few
 * ulp (1e-7 relative: the PyTorch fixtures allow 1e-4 in float32) and its versions
 * differ in the last bit, so float32 results depend on the instruction set, never on the
 * run. float64 keeps libm's scalar functions: its fixtures hold to 1e-9. The functions
 * must be built with -fno-math-errno (CMake does), or the calls, which may set errno,
 * are not vectorised. */
#ifndef GT_VECTOR_MATH_H
#define GT_VECTOR_MATH_H

#include <math.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

#if defined(GTRACK_LIBMVEC) && !defined(GT_REAL_DOUBLE)
__attribute__((simd("notinbranch"))) float expf(float);
__attribute__((simd("notinbranch"))) float tanhf(float);
__attribute__((simd("notinbranch"))) float expm1f(float);
__attribute__((simd("notinbranch"))) float log1pf(float);
#endif

#endif
