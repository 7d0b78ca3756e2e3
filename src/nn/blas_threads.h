/* How many threads one training process may use: the network's row tiles (src/nn/tiles.c)
 * or, for a network that keeps its batch whole, OpenBLAS's threads for each product.
 *
 * A single run uses every core the process may run on; `gtrack sweep -j N` shares them
 * among its N workers. The environment variables OpenBLAS users already set
 * (OPENBLAS_NUM_THREADS, then OMP_NUM_THREADS) are respected, and --threads overrides
 * both. One and two threads give a tiled network the same results to the bit
 * (tests/test_trainer.c); more threads keep the batch whole and sum in another order,
 * and OpenBLAS's threaded sgemm rounds differently from its one-thread sgemm, so such
 * runs agree with those to rounding only (README: Threads). Runs record the count and
 * which OpenBLAS build ran (blas_config). */
#ifndef GT_BLAS_THREADS_H
#define GT_BLAS_THREADS_H

#include <stdbool.h>

/* Parses a thread count (a whole number from 1 to BLAS_THREADS_MAX) into *threads;
 * false, with *threads untouched, for anything else. */
bool blas_threads_parse(const char *text, int *threads);

/* The thread count for each of `sharers` processes that run at once: requested when it
 * is positive (--threads), else OPENBLAS_NUM_THREADS or OMP_NUM_THREADS when set to a
 * positive number, else the usable cores divided among the sharers, at least 1. A count
 * given (option or variable) that puts more threads than usable cores to work, and a
 * variable set to something else than a count, get a warning. */
int blas_threads_choose(int requested, int sharers);

/* The cores this process may run on: a cpuset (taskset, Slurm, a container) can hold
 * fewer than the machine has. */
int blas_threads_cores(void);

/* The BLAS build and the kernels it chose for this machine, e.g. "OpenBLAS 0.3.21
 * DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64": products round as its kernels do,
 * so runs record it (runs.blas). */
const char *blas_config(void);

/* Sets the thread count for the products that follow; blas_threads_fit then decides
 * per product. Until it is called OpenBLAS keeps its own count, for every product. */
void blas_threads_use(int threads);

/* Before a BLAS call of multiply_adds multiply-adds: one thread below
 * BLAS_THREADED_MIN, the count set by blas_threads_use from there. Costs a few
 * nanoseconds; the choice depends on the shape only, so a run is still reproducible. */
void blas_threads_fit(double multiply_adds);

/* The count blas_threads_use set, 1 before it is called: a plain network's step runs its
 * row tiles on up to this many threads of its own (src/nn/tiles.c). */
int blas_threads_count(void);

/* Waking a second thread and joining it costs microseconds, more than it saves on a
 * product that one core finishes in about 20 us (2^21 multiply-adds at ~100 GFLOP/s):
 * at 64 x 64 x 64 two threads made a 50-layer network 2.5 times slower. OpenBLAS's own
 * threshold (2.6e5) is far lower. */
#define BLAS_THREADED_MIN 2097152.0

/* A bound on --threads: more threads than this are a typo, not a machine. */
#define BLAS_THREADS_MAX 1024

#endif
