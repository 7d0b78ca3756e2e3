/* Running a sweep's pending runs here, N processes at a time. */
#ifndef GT_SCHEDULER_H
#define GT_SCHEDULER_H

#include <stdbool.h>
#include <stdio.h>

#include "sweep/sweep.h"

struct sweep_tally {
	int skipped;  /* finished earlier (same spec_hash and seed) */
	int elsewhere; /* finished meanwhile, or being run, by another process */
	int finished;
	int diverged;
	int failed;   /* failed, or the worker died */
	int killed;
};

/* Records the sweep in the database at db_path, skips runs that already finished,
 * and runs the others in up to `jobs` worker processes, each with its own connection
 * and `threads` BLAS threads (0: blas_threads_choose's share of the cores for the
 * workers that run at once). Summaries go to `out`; a progress line goes to stderr when it is
 * a terminal and show_progress is set. On SIGINT, SIGTERM or SIGHUP (to the scheduler
 * alone, as a closed terminal sends it), no new run starts and the running ones are
 * passed the signal and end as killed. Returns -1 with a message when the sweep cannot start. */
int sweep_execute(const struct sweep *sweep, const char *db_path, int jobs, int threads,
		  bool show_progress, FILE *out, struct sweep_tally *tally);

#endif
