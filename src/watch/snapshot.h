/* What `gtrack watch` shows of a run, read from the database in one short read
 * transaction, so that the run row, its latest logged step and that step's layers agree
 * with each other while the run goes on writing. */
#ifndef GT_WATCH_SNAPSHOT_H
#define GT_WATCH_SNAPSHOT_H

#include <sqlite3.h>
#include <stdbool.h>

/* How many of the latest logged steps each layer's recent history (its sparkline) holds. */
#define WATCH_HISTORY 16

/* One layer at the latest logged step. Numbers that are NULL in the database are NaN. */
struct watch_layer {
	long long layer;
	double weight_grad_norm, delta_norm;
	/* the predictions table's step-0 values; NaN where it has none */
	double predicted_weight_grad_norm, predicted_delta_norm;
	/* weight_grad_norm at up to WATCH_HISTORY latest logged steps, oldest first */
	double history[WATCH_HISTORY];
	int history_count;
};

struct watch_snapshot {
	long long run_id, steps_done, steps;
	char *name, *status, *message; /* as stored (status as readers show it); not escaped */
	double elapsed_s;              /* runs.elapsed_s, NaN until the run ends */
	bool has_step;                 /* whether any step is logged yet */
	long long step;                /* the latest logged step */
	double loss, step_elapsed_s;   /* its loss and seconds since the run started */
	int layer_count;
	struct watch_layer *layers; /* ordered by layer, the output layer last */
};

/* Reads run_id's snapshot. A 'running' run whose process is gone from this host or whose
 * heartbeat stopped reads as 'crashed', as everywhere else (DB_STATUS_SQL,
 * db_mark_crashed). Returns -1 with a message when the database cannot be read or has
 * no such run; *snapshot is then empty (watch_snapshot_free accepts it). */
int watch_snapshot_read(sqlite3 *db, long long run_id, struct watch_snapshot *snapshot);
void watch_snapshot_free(struct watch_snapshot *snapshot);

/* Whether the run is still being trained, so that the view refreshes. */
bool watch_snapshot_running(const struct watch_snapshot *snapshot);

#endif
