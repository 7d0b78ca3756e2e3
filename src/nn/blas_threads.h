/* How many threads OpenBLAS may use for one training process.
 *
 * A single run uses every core the process may run on; `gtrack sweep -j N` shares them
 * among its N workers. The environment variables OpenBLAS users already set
 * (OPENBLAS_NUM_THREADS, then OMP_NUM_THREADS) are respected, and --threads overrides
 * both. The thread count never changes results: OpenBLAS splits a product's output
 * among its threads, and every output element is summed by one thread in the same
 * order (tests/test_trainer.c checks that runs agree bit for bit). */
#ifndef GT_BLAS_THREADS_H
#define GT_BLAS_THREADS_H

#include <stdbool.h>

/* Parses a thread count (a whole number from 1 to BLAS_THREADS_MAX) into *threads;
 * false, with *threads untouched, for anything else. */
bool blas_threads_parse(const char *text, int *threads);

/* The thread count for each of `sharers` processes that run at once: requested when it
 * is positive (--threads), else OPENBLAS_NUM_THREADS or OMP_NUM_THREADS when set to a
 * positive number, else the usable cores divided among the sharers, at least 1. */
int blas_threads_choose(int requested, int sharers);

/* Sets OpenBLAS's thread count for the products that follow. */
void blas_threads_use(int threads);

/* A bound on --threads: more threads than this are a typo, not a machine. */
#define BLAS_THREADS_MAX 1024

#endif
