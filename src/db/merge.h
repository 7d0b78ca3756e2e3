/* Merging shard databases (one per cluster task) into one. */
#ifndef GT_MERGE_H
#define GT_MERGE_H

#include <sqlite3.h>

struct merge_counts {
	int runs_added;
	int runs_updated; /* copied earlier while running; replaced by their later state */
	int runs_skipped; /* already present (same uuid), or finished there already */
	int runs_running; /* of those added or updated, still running in the shard */
	int sweeps_added;
};

/* Copies the shard's sweeps and runs (with every table of rows that belong to a run)
 * into db in one transaction. Run ids are remapped and sweeps matched by sweep_hash; a
 * run the database already holds (same uuid), or a finished run whose spec_hash and seed
 * already finished there, is skipped, so merging twice changes nothing. A run copied
 * while it was still running is replaced (keeping its id) when the shard has a later
 * state of it, so merging again after it ended completes it. The shard must exist and be
 * a gtrack database of the same schema version; it is only read (opened read-only).
 * Returns -1 with a message; db is then unchanged. */
int db_merge_shard(sqlite3 *db, const char *shard_path, struct merge_counts *counts);

/* Checks, without writing anything, that shard_path is a gtrack database this gtrack
 * can merge (exists, same schema version); returns -1 with a message saying why not. */
int db_check_shard(const char *shard_path);

#endif
