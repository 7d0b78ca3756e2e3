/* What logging a step costs in the run store, without the network: the rows of a
 * DEPTH + 1 layer run (a steps row, 15-column layer_stats rows), logged STEPS times as
 * the trainer logs them (run_store_log, run_store_log_blocks, run_store_tick), into a
 * new database file.
 *
 *   store_bench DATABASE DEPTH STEPS [without-index | without-foreign-keys]
 *
 * Prints microseconds per logged step: the CPU time of the logging thread (what the
 * training loop pays; thread CPU time, so load from other processes does not count),
 * the wall time until every row is committed, and the CPU time of the whole process
 * (the logging thread plus the store's writer thread, if any). "without-index" drops
 * layer_stats_by_layer first, "without-foreign-keys" turns their checks off, to see
 * what each costs. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "db/run_store.h"
#include "spec/spec.h"
#include "util/error.h"

static double seconds(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Logs the steps; returns 0 or -1 (the store's message is printed). */
static int log_steps(struct run_store *store, int layer_count, long steps)
{
	struct layer_stats *layers = calloc((size_t)layer_count, sizeof *layers);
	if (!layers)
		return error("out of memory");
	int status = 0;
	for (long step = 0; step < steps && status == 0; step++) {
		struct step_stats stats = {.loss = 1.0 / (double)(step + 1), .accuracy = 0.5};
		for (int l = 0; l < layer_count; l++)
			layers[l] = (struct layer_stats){
				.weight_grad_norm = 1e-3 * (l + 1), .bias_grad_norm = 1e-4,
				.delta_norm = 1e-2, .weight_norm = 8, .weight_grad_norm_clipped = NAN,
				.bias_grad_norm_clipped = NAN, .dead_fraction = 0.1,
				.saturated_fraction = 0.2, .zero_grad_fraction = 0,
				.update_ratio = 1e-3, .norm_weight_grad_norm = NAN,
				.norm_bias_grad_norm = NAN};
		if (run_store_log(store, step, &stats, 1, NAN, 0.01, 1e-3 * (double)step, layers) ||
		    run_store_log_blocks(store, step, NULL, 0) ||
		    run_store_tick(store, step + 1, stats.loss))
			status = -1;
	}
	free(layers);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: store_bench DATABASE DEPTH STEPS"
				" [without-index | without-foreign-keys]\n");
		return 2;
	}
	bool without_index = argc > 4 && strcmp(argv[4], "without-index") == 0;
	bool without_foreign_keys = argc > 4 && strcmp(argv[4], "without-foreign-keys") == 0;
	char depth[64];
	snprintf(depth, sizeof depth, "model.depth=%s", argv[2]);
	long steps = atol(argv[3]);
	const char *overrides[] = {depth};
	struct spec spec;
	sqlite3 *db = NULL;
	struct run_store *store = NULL;
	int status = 1;
	if (spec_load_text(&spec, "name: store-bench\n", "store-bench.yaml", overrides, 1))
		return 1;
	if (db_open(&db, argv[1], DB_CREATE) ||
	    (without_index && db_exec(db, "DROP INDEX layer_stats_by_layer")) ||
	    (without_foreign_keys && db_exec(db, "PRAGMA foreign_keys = OFF")))
		goto done;
	int64_t run_id;
	struct run_environment environment = {.threads = 1};
	if (!(store = run_store_begin(db, &spec, &environment, &run_id)))
		goto done;
	int layer_count = (int)spec_layer_count(&spec);
	double wall = seconds(CLOCK_MONOTONIC), process = seconds(CLOCK_PROCESS_CPUTIME_ID);
	double thread = seconds(CLOCK_THREAD_CPUTIME_ID);
	if (log_steps(store, layer_count, steps))
		goto done;
	thread = seconds(CLOCK_THREAD_CPUTIME_ID) - thread;
	if (run_store_finish(store, "finished", NULL, steps, 0, 0))
		goto done;
	wall = seconds(CLOCK_MONOTONIC) - wall;
	process = seconds(CLOCK_PROCESS_CPUTIME_ID) - process;
	printf("%d layers%s: %.2f us per logged step on the logging thread (CPU), %.2f us wall"
	       " until committed, %.2f us CPU in all threads\n",
	       layer_count,
	       without_index ? ", without layer_stats_by_layer"
	       : without_foreign_keys ? ", without foreign key checks" : "",
	       1e6 * thread / (double)steps, 1e6 * wall / (double)steps,
	       1e6 * process / (double)steps);
	status = 0;
done:
	run_store_free(store);
	db_close(db);
	spec_free(&spec);
	return status;
}
