/* Training one spec into the database: generate data, build the model, and at every
 * step compute gradients, log the logged steps (step 0 before any update), stop on a
 * non-finite loss or gradient (diverged), on SIGINT, SIGTERM or SIGHUP (killed) or on a
 * failed write (failed, with the stored steps counted), update. */
#ifndef GT_TRAINER_H
#define GT_TRAINER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "data/dataset.h"
#include "spec/spec.h"

enum run_outcome { RUN_FINISHED, RUN_DIVERGED, RUN_KILLED, RUN_FAILED };

struct run_result {
	int64_t run_id;
	enum run_outcome outcome;
	int64_t steps_done;
	double first_loss, final_loss, elapsed_s;
	/* layer 0's weight_grad_norm over the output layer's, at step 0 and the last step */
	double initial_ratio, final_ratio;
	char message[256]; /* why a run diverged, was killed or failed */
};

/* Makes SIGINT, SIGTERM and SIGHUP end the current run as 'killed' after the step in
 * progress, with a message naming the signal; a second one kills the process at once. */
void trainer_handle_signals(void);
/* True once SIGINT, SIGTERM or SIGHUP has arrived. */
bool trainer_interrupted(void);
/* The signal that arrived, 0 for none: the sweep passes it on to its workers. */
int trainer_interrupt_signal(void);

/* Trains spec on data, both from dataset_generate (which fitted the spec to its data),
 * and records it in db. Returns 0 when the run was recorded, whatever its outcome (see
 * result), or -1 with a message when it could not be started or recorded; a run whose
 * recording failed midway is marked 'failed' if the database allows. */
int trainer_train(sqlite3 *db, const struct spec *spec, const struct dataset *data,
		  bool show_progress, struct run_result *result);

/* dataset_generate, then trainer_train: the spec is fitted to its data in place. */
int trainer_run(sqlite3 *db, struct spec *spec, bool show_progress,
		struct run_result *result);

/* Prints a run's one-line summary to out, and its message unless it finished. */
void run_result_print(FILE *out, const struct spec *spec, const struct run_result *result);

#endif
