/* Writing one run into the database: the runs and layers rows up front (committed at
 * once, so a run is visible while it trains), then step and layer rows, queued to a
 * writer thread that stores them through prepared statements in batched transactions,
 * then the outcome.
 *
 * The connection is the caller's until the first call that queues (run_store_log,
 * _log_blocks, _checkpoint, _write, _eval, _tick, _commit) and again after run_store_finish or
 * run_store_free; in between the store's writer thread uses it, and the caller must not.
 * A call that queues allocates nothing and waits only while the queue is full. A write
 * that fails is reported, once, by the next call the caller makes (its message says
 * what failed and how many steps are stored); nothing is written after it. */
#ifndef GT_RUN_STORE_H
#define GT_RUN_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "db/records.h"
#include "spec/spec.h"

struct run_store;

/* What a run's last bits depend on besides its spec, seed and data (runs.threads,
 * vector_isa, blas); a NULL text is stored as NULL. */
struct run_environment {
	int threads;            /* its steps run on */
	const char *vector_isa; /* vector_clone_name() */
	const char *blas;       /* blas_config() */
};

/* Inserts the run (status 'running', with its environment) and its layers
 * (spec_layer_shape of a spec fitted to its data). Returns the store, or NULL with a
 * message; *run_id receives the new id. The caller frees the store with run_store_free. */
struct run_store *run_store_begin(sqlite3 *db, const struct spec *spec,
				  const struct run_environment *environment, int64_t *run_id);

/* Queues the rows of one logged step (the numbers are copied). Returns -1 with a
 * message. */
int run_store_log(struct run_store *store, int64_t step, const struct step_stats *stats,
		  double grad_norm, double grad_norm_clipped, double learning_rate,
		  double elapsed_s, const struct layer_stats *layers);

/* Queues the block_stats rows of one logged step (count blocks, at most one per
 * layer). Returns -1 with a message. */
int run_store_log_blocks(struct run_store *store, int64_t step, const struct block_stats *blocks,
			 int count);

/* Stores every layer's parameters (one entry per layer) as checkpoint `step`, in the
 * open transaction; returns once they are written (the pointers need stay valid only
 * until then). Returns -1 with a message. */
int run_store_checkpoint(struct run_store *store, int64_t step,
			 const struct layer_parameters *layers);

/* Runs write(db, context) on the writer's thread, in the open transaction, after
 * everything queued before it, and returns once it has run: how rows of other tables
 * (the predictions) join the run's transactions without touching the connection the
 * writer owns. write returns 0, or -1 with a message (error()), which fails the run's
 * store as a failed insert does. Returns -1 with a message. */
int run_store_write(struct run_store *store, int (*write)(sqlite3 *db, void *context),
		    void *context);

/* Queues an evaluation row: split is "train" or "validation". */
int run_store_eval(struct run_store *store, int64_t step, const char *split, double loss,
		   double accuracy, int64_t examples);

/* Called once per step with the steps done so far and the last loss. The writer
 * commits queued rows every RUN_STORE_COMMIT_S (or RUN_STORE_COMMIT_ROWS rows), with
 * steps_done and final_loss of the rows it wrote in the runs row (so an interrupted, crashed or running run shows how far
 * it got), and otherwise, while ticks come, refreshes the heartbeat every
 * RUN_STORE_HEARTBEAT_S, by which other processes tell a live run from a dead one.
 * Cheap (an uncontended lock). Returns -1 with a message. */
int run_store_tick(struct run_store *store, int64_t steps_done, double last_loss);

/* Writes and commits what is queued, and returns when that is done. Returns -1 with a
 * message. */
int run_store_commit(struct run_store *store);

/* The steps whose rows are stored: after a failed write (a full disk), what is left of
 * the run. When a write fails, the message says this number and the queued rows are
 * rolled back, so later calls start clean. */
int64_t run_store_steps_stored(const struct run_store *store);
/* The loss logged with the last step stored (the last commit that succeeded); NaN
 * before the first. */
double run_store_stored_loss(const struct run_store *store);
/* How often a queueing call found the writer's queue full and waited. */
int64_t run_store_queue_waits(const struct run_store *store);

#define RUN_STORE_COMMIT_S 0.25
/* ... or sooner, once a transaction holds this many rows */
#define RUN_STORE_COMMIT_ROWS 8192
#define RUN_STORE_HEARTBEAT_S 5.0

/* Writes and commits what is queued, ends the writer thread and records the outcome: status ("finished", "diverged",
 * "killed", "failed"), message (may be NULL), steps done, final loss and time. */
int run_store_finish(struct run_store *store, const char *status, const char *message,
		     int64_t steps_done, double final_loss, double elapsed_s);

/* Writes and commits what is queued, ends the writer thread, finalizes the statements.
 * Accepts NULL. */
void run_store_free(struct run_store *store);

#endif
