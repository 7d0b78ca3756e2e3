/* Vector maths for the elementwise loops of the numeric core, which are built as
 * VECTOR_CLONES (util/target_clones.h): one binary for any x86-64.
 *
 * For float, the loops of the activations call glibc's vector maths library (libmvec,
 * found by CMake, which defines GTRACK_LIBMVEC): declared simd below, expf and the others
 * are called 4, 8 or 16 at a time in the matching clone. libmvec is accurate to a few
 * ulp (1e-7 relative: the PyTorch fixtures allow 1e-4 in float32) and its versions
 * differ in the last bit, so float32 results depend on the instruction set, never on the
 * run. erff stays scalar: gelu's 1 + erf(z) cancels for negative z, where those few ulps
 * became 1e-4. float64 keeps libm's scalar functions: its fixtures hold to 1e-9. The
 * functions must be built with -fno-math-errno (CMake does), or the calls, which may
 * set errno, are not vectorised. */
#ifndef GT_VECTOR_MATH_H
#define GT_VECTOR_MATH_H

#include <math.h>

#include "util/target_clones.h"

#if defined(GTRACK_LIBMVEC) && !defined(GT_REAL_DOUBLE)
__attribute__((simd("notinbranch"))) float expf(float);
__attribute__((simd("notinbranch"))) float tanhf(float);
__attribute__((simd("notinbranch"))) float expm1f(float);
__attribute__((simd("notinbranch"))) float log1pf(float);
#endif

#endif
