/* Writing one run into the database: the runs and layers rows up front (committed at
 * once, so a run is visible while it trains), then step and layer rows through prepared
 * statements in batched transactions, then the outcome. */
#ifndef GT_RUN_STORE_H
#define GT_RUN_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "db/records.h"
#include "spec/spec.h"

struct run_store;

/* Inserts the run (status 'running') and its layers (spec_layer_shape of a spec fitted
 * to its data). Returns the store, or NULL with a message; *run_id receives the new id.
 * The caller frees the store with run_store_free. */
struct run_store *run_store_begin(sqlite3 *db, const struct spec *spec, int64_t *run_id);

/* Queues the rows of one logged step, inside the open transaction. Returns -1 with a
 * message. */
int run_store_log(struct run_store *store, int64_t step, const struct step_stats *stats,
		  double grad_norm, double grad_norm_clipped, double learning_rate,
		  double elapsed_s, const struct layer_stats *layers);

/* Queues the block_stats rows of one logged step (count blocks), inside the open
 * transaction. Returns -1 with a message. */
int run_store_log_blocks(struct run_store *store, int64_t step, const struct block_stats *blocks,
			 int count);

/* Stores every layer's parameters (one entry per layer) as checkpoint `step`, inside the
 * open transaction. Returns -1 with a message. */
int run_store_checkpoint(struct run_store *store, int64_t step,
			 const struct layer_parameters *layers);

/* Queues an evaluation row: split is "train" or "validation". */
int run_store_eval(struct run_store *store, int64_t step, const char *split, double loss,
		   double accuracy, int64_t examples);

/* Called once per step with the steps done so far and the last loss: commits queued
 * rows every RUN_STORE_COMMIT_S, with steps_done and final_loss in the runs row (so an
 * interrupted, crashed or running run shows how far it got), and otherwise refreshes
 * the heartbeat every RUN_STORE_HEARTBEAT_S, by which other processes tell a live run
 * from a dead one. Cheap when there is nothing to do (one clock read). Returns -1 with a
 * message. */
int run_store_tick(struct run_store *store, int64_t steps_done, double last_loss);

/* Commits what is queued now. Returns -1 with a message. */
int run_store_commit(struct run_store *store);

/* The steps whose rows are stored: after a failed write (a full disk), what is left of
 * the run. When a write fails, the message says this number and the queued rows are
 * rolled back, so later calls start clean. */
int64_t run_store_steps_stored(const struct run_store *store);
/* The loss logged with the last step stored (the last commit that succeeded); NaN
 * before the first. */
double run_store_stored_loss(const struct run_store *store);

#define RUN_STORE_COMMIT_S 0.25
#define RUN_STORE_HEARTBEAT_S 5.0

/* Commits what is queued and records the outcome: status ("finished", "diverged",
 * "killed", "failed"), message (may be NULL), steps done, final loss and time. */
int run_store_finish(struct run_store *store, const char *status, const char *message,
		     int64_t steps_done, double final_loss, double elapsed_s);

/* Rolls back nothing that was committed; finalizes the statements. Accepts NULL. */
void run_store_free(struct run_store *store);

#endif
