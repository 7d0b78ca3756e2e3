/* Sweeps: a base spec and a grid (and optionally random draws) of spec keys, expanded
 * into one fully checked spec per run. Runs are told apart by --set overrides applied to
 * the base spec, so each run stores the base YAML as given plus its overrides. */
#ifndef GT_SWEEP_H
#define GT_SWEEP_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec/spec.h"

struct sweep_run {
	char *name;       /* "SWEEP:activation=tanh,depth=5,seed=2" */
	char **overrides; /* "model.activation=tanh", ... */
	int override_count;
	struct spec spec; /* loaded and checked */
};

struct sweep {
	char *name;
	char *path;
	char *text;          /* the sweep file as given */
	char sweep_hash[17]; /* FNV-1a of text */
	char *base_label;    /* where the base spec came from, for messages */
	char *base_text;     /* the base spec's YAML */
	struct sweep_run *runs;
	int run_count;
};

/* Reads the sweep file at path, expands it and loads every run's spec; every problem is
 * reported with its location and -1 returned (nothing to free then). */
int sweep_load(struct sweep *sweep, const char *path);
/* Reads only what identifies the sweep (name, text, hash), for runs started by a
 * cluster task (gtrack run --sweep FILE); runs is left empty. */
int sweep_load_identity(struct sweep *sweep, const char *path);
void sweep_free(struct sweep *sweep);

/* Finds the sweep's row in db (by sweep_hash) or adds it; *id receives its id. */
int sweep_record(sqlite3 *db, const struct sweep *sweep, int64_t *id);

/* The id of a completed run with this spec_hash and seed (finished, or diverged, which
 * a deterministic re-run would only repeat), 0 if none, -1 on error; *diverged (when
 * not NULL) says which. */
int64_t sweep_finished_run(sqlite3 *db, const struct spec *spec, bool *diverged);

/* Claims the run for this process before it trains: in one write transaction, checks
 * that no run with this spec_hash and seed finished (or diverged) and that no live
 * process holds its claim, then records the claim. Returns 1 when claimed, 0 when the
 * run is done or another live process has it, -1 with a message. */
int sweep_claim_run(sqlite3 *db, const struct spec *spec);
/* Drops this process's claim once its run is recorded (the runs row says the rest). */
int sweep_release_run(sqlite3 *db, const struct spec *spec);

#endif
