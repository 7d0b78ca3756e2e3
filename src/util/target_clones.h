/* VECTOR_CLONES: compile a function for AVX-512, AVX2 and baseline x86-64 and pick the
 * version when the program loads (GCC's target_clones, through an ifunc), so that the
 * one installed binary vectorises its loops for the machine it runs on, without
 * -march. On other machines and compilers it is nothing: the baseline build is all
 * there is. The versions give the same results for additions and multiplications
 * (floating-point contraction is off in standard C mode). */
#ifndef GT_TARGET_CLONES_H
#define GT_TARGET_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAVE_VECTOR_CLONES 1
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HAVE_VECTOR_CLONES 0
#define VECTOR_CLONES
#endif

/* The version of VECTOR_CLONES functions this machine runs: "avx512f", "avx2" or
 * "default" (also every build without clones). float32 results depend on it (libmvec's
 * versions differ in the last bit), so runs record it (runs.vector_isa). */
const char *vector_clone_name(void);

#endif
