/* The threads of a training step's row tiles (src/nn/tiles.c): the caller and one helper
 * thread, started once, that run a task side by side and meet at barriers.
 *
 * OpenMP's threads (libgomp) kept spinning whenever one waited for the other; on a
 * machine busy with other work the one waited for had been taken off its core, and two
 * threads ran slower than one (20 x 256 at batch 128, 200 steps beside one other busy
 * process: 2.3-6.2 s against 1.7 s at one thread). These spin for at most 200 us, then
 * sleep (workers.c says what was measured). */
#ifndef GT_WORKERS_H
#define GT_WORKERS_H

/* A task: worker `me` of `workers` does its share of context. */
typedef void (*worker_task)(void *context, int me, int workers);

/* Starts the helper for `workers` (up to 2) threads, outside the step so that the step
 * allocates nothing; returns how many there are (1 if the helper could not start). */
int workers_start(int workers);

/* Runs task(context, me, workers) on `workers` threads (1 or 2; me 0 on the caller) and
 * returns when each is done, their writes visible to the caller. */
void workers_run(int workers, worker_task task, void *context);

/* Inside a task of `workers` threads: returns when each of them has reached it, with
 * what they wrote before it visible. */
void workers_barrier(int workers);

#endif
