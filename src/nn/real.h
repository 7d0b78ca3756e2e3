/* The numeric core is written once against `real` and compiled twice: as float (names
 * end in _f32) and, with GT_REAL_DOUBLE defined, as double (names end in _f64). RNAME
 * gives a function or type its dtype suffix. */
#ifndef GT_REAL_H
#define GT_REAL_H

#include <cblas.h>
#include <float.h>

#ifdef GT_REAL_DOUBLE
typedef double real;
#define RNAME(name) name##_f64
#define BLAS(name) cblas_d##name
#define REAL_EXP exp
#define REAL_ERF erf
#define REAL_LOG1P log1p
#define REAL_EXPM1 expm1
#define REAL_SQRT sqrt
#else
typedef float real;
#define RNAME(name) name##_f32
#define BLAS(name) cblas_s##name
#define REAL_EXP expf
#define REAL_ERF erff
#define REAL_LOG1P log1pf
#define REAL_EXPM1 expm1f
#define REAL_SQRT sqrtf
#endif

#endif
