/* The run store's writer thread and its queue (db/run_store.c, db/row_queue.c): rows
 * are written in the order they were logged, none is lost when the queue fills and the
 * training thread waits, the progress committed counts the rows stored, an error on the
 * writer reaches the training thread with what is kept, and logging a step allocates
 * nothing on the training thread. */
#include "support/test_support.h"
#include "support/allocation_count.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/run_store.h"
#include "spec/spec.h"
#include "util/error.h"

enum { DEPTH = 20, LAYERS = DEPTH + 1 };

struct fixture {
	char *path;
	sqlite3 *db;
	struct spec spec;
	struct run_store *store;
	int64_t run_id;
};

static void open_store(struct fixture *f, const char *name)
{
	const char *overrides[] = {"model.depth=20", "model.width=8"};
	f->path = malloc(4096);
	snprintf(f->path, 4096, "%s/%s", test_temp_dir(), name);
	assert_int_equal(spec_load_text(&f->spec, "name: queue\n", "queue.yaml", overrides, 2), 0);
	assert_int_equal(db_open(&f->db, f->path, DB_CREATE), 0);
	struct run_environment environment = {.threads = 1};
	f->store = run_store_begin(f->db, &f->spec, &environment, &f->run_id);
	assert_non_null(f->store);
}

static void close_store(struct fixture *f)
{
	run_store_free(f->store);
	db_close(f->db);
	spec_free(&f->spec);
	free(f->path);
}

/* Step s's numbers: each row says which step and layer it belongs to. */
static void fill_step(int64_t s, struct step_stats *stats, struct layer_stats *layers)
{
	*stats = (struct step_stats){.loss = (double)s, .accuracy = 0.5};
	for (int l = 0; l < LAYERS; l++)
		layers[l] = (struct layer_stats){
			.weight_grad_norm = (double)(s * 100 + l), .bias_grad_norm = 1,
			.delta_norm = 2, .weight_norm = 3, .weight_grad_norm_clipped = NAN,
			.bias_grad_norm_clipped = NAN, .dead_fraction = 0,
			.saturated_fraction = NAN, .zero_grad_fraction = 0, .update_ratio = 1e-3,
			.norm_weight_grad_norm = NAN, .norm_bias_grad_norm = NAN};
}

/* Logs steps first..last - 1 as the trainer does: the rows, then the tick. */
static int log_steps(struct run_store *store, int64_t first, int64_t last)
{
	struct step_stats stats;
	struct layer_stats layers[LAYERS];
	for (int64_t s = first; s < last; s++) {
		fill_step(s, &stats, layers);
		if (run_store_log(store, s, &stats, 1, NAN, 0.1, (double)s, layers) ||
		    run_store_log_blocks(store, s, NULL, 0) || run_store_tick(store, s + 1, stats.loss))
			return -1;
	}
	return 0;
}

static sqlite3 *open_reader(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static void rows_arrive_in_order_and_none_is_lost_when_the_queue_fills(void **state)
{
	(void)state;
	enum { STEPS = 3000 };
	struct fixture f;
	open_store(&f, "order.db");
	/* the order in which the writer inserts steps rows, seen by a trigger of this
	 * connection */
	assert_int_equal(db_exec(f.db, "CREATE TEMP TABLE arrivals (step INTEGER);"
				       "CREATE TEMP TRIGGER arrival AFTER INSERT ON main.steps"
				       " BEGIN INSERT INTO arrivals VALUES (NEW.step); END"),
			 0);
	assert_int_equal(log_steps(f.store, 0, STEPS), 0);
	/* logging copies a few KiB, writing runs 21 inserts through two B-trees: the
	 * training thread outruns the writer and waits on a full queue */
	assert_true(run_store_queue_waits(f.store) > 0);
	assert_int_equal(run_store_finish(f.store, "finished", NULL, STEPS, STEPS - 1, 1), 0);

	assert_int_equal(query_int(f.db, "SELECT count(*) FROM steps WHERE loss = step"), STEPS);
	assert_int_equal(query_int(f.db, "SELECT count(*) FROM layer_stats"
					 " WHERE weight_grad_norm = step * 100 + layer"),
			 STEPS * LAYERS);
	assert_int_equal(query_int(f.db, "SELECT count(*) FROM temp.arrivals"), STEPS);
	assert_int_equal(query_int(f.db, "SELECT count(*) FROM temp.arrivals"
					 " WHERE step != rowid - 1"),
			 0);
	assert_int_equal(query_int(f.db, "SELECT steps_done FROM runs"), STEPS);
	close_store(&f);
}

/* A commit asked for returns when everything queued is stored, with the progress of
 * exactly those rows, as another process sees it. */
static void a_commit_stores_everything_queued_with_its_progress(void **state)
{
	(void)state;
	struct fixture f;
	open_store(&f, "commit.db");
	assert_int_equal(log_steps(f.store, 0, 37), 0);
	assert_int_equal(run_store_commit(f.store), 0);
	assert_int_equal(run_store_steps_stored(f.store), 37);
	assert_true(run_store_stored_loss(f.store) == 36);
	sqlite3 *reader = open_reader(f.path);
	assert_int_equal(query_int(reader, "SELECT count(*) FROM steps"), 37);
	assert_int_equal(query_int(reader, "SELECT steps_done FROM runs"), 37);
	assert_true(query_double(reader, "SELECT final_loss FROM runs") == 36);
	sqlite3_close(reader);
	assert_int_equal(run_store_finish(f.store, "finished", NULL, 37, 36, 1), 0);
	close_store(&f);
}

/* The writer's failure (here a trigger refusing step 5's rows) reaches the training
 * thread as an error saying what failed and what is stored; nothing after it is
 * written, and the run still records its outcome. */
static void an_error_on_the_writer_reaches_the_training_thread(void **state)
{
	(void)state;
	struct fixture f;
	open_store(&f, "refused.db");
	assert_int_equal(db_exec(f.db, "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.layer_stats"
				       " WHEN NEW.step = 5 BEGIN SELECT RAISE(ABORT, 'refused');"
				       " END"),
			 0);
	assert_int_equal(log_steps(f.store, 0, 5), 0);
	assert_int_equal(run_store_commit(f.store), 0);
	error_clear();
	/* queueing does not wait for the write: the failure shows at the latest when the
	 * queue is committed */
	int logged = log_steps(f.store, 5, 10);
	int committed = run_store_commit(f.store);
	assert_true(logged == -1 || committed == -1);
	assert_string_equal(error_last(), "database: cannot insert a layer_stats row: refused;"
					  " the run's first 5 steps are stored");
	assert_int_equal(run_store_steps_stored(f.store), 5);
	assert_true(run_store_stored_loss(f.store) == 4);
	/* it stays failed: later calls fail too, without a second message */
	error_clear();
	assert_int_equal(log_steps(f.store, 10, 11), -1);
	assert_string_equal(error_last(), "");
	assert_int_equal(run_store_finish(f.store, "failed", "refused", 5, 4, 1), 0);
	assert_int_equal(query_int(f.db, "SELECT count(*) FROM steps"), 5);
	assert_int_equal(query_int(f.db, "SELECT count(*) FROM layer_stats"), 5 * LAYERS);
	char *row = query_text(f.db, "SELECT status || ' ' || steps_done FROM runs");
	assert_string_equal(row, "failed 5");
	free(row);
	close_store(&f);
}

/* A failure the training thread has not heard of when the run ends is reported by
 * run_store_finish, which then records nothing. */
static void finish_reports_a_failure_not_yet_reported(void **state)
{
	(void)state;
	struct fixture f;
	open_store(&f, "late.db");
	assert_int_equal(db_exec(f.db, "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.steps"
				       " WHEN NEW.step = 2 BEGIN SELECT RAISE(ABORT, 'refused');"
				       " END"),
			 0);
	struct step_stats stats;
	struct layer_stats layers[LAYERS];
	for (int s = 0; s < 3; s++) {
		fill_step(s, &stats, layers);
		assert_int_equal(run_store_log(f.store, s, &stats, 1, NAN, 0.1, s, layers), 0);
	}
	error_clear();
	assert_int_equal(run_store_finish(f.store, "finished", NULL, 3, 2, 1), -1);
	assert_string_equal(error_last(), "database: cannot insert a step row: refused;"
					  " the run's first 0 steps are stored");
	char *row = query_text(f.db, "SELECT status FROM runs");
	assert_string_equal(row, "running");
	free(row);
	close_store(&f);
}

static void logging_a_step_allocates_nothing(void **state)
{
	(void)state;
	struct fixture f;
	open_store(&f, "alloc.db");
	/* the first call starts the writer thread, which allocates */
	assert_int_equal(log_steps(f.store, 0, 1), 0);
	long before = allocation_count();
	assert_int_equal(log_steps(f.store, 1, 1000), 0);
	assert_int_equal(allocation_count() - before, 0);
	assert_int_equal(run_store_finish(f.store, "finished", NULL, 1000, 999, 1), 0);
	assert_int_equal(query_int(f.db, "SELECT count(*) FROM steps"), 1000);
	close_store(&f);
}

int main(void)
{
	error_set_quiet(true);
	/* logging a step allocates nothing, SQLite included: it is off this thread */
	if (allocation_count_sqlite())
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows_arrive_in_order_and_none_is_lost_when_the_queue_fills),
		cmocka_unit_test(a_commit_stores_everything_queued_with_its_progress),
		cmocka_unit_test(an_error_on_the_writer_reaches_the_training_thread),
		cmocka_unit_test(finish_reports_a_failure_not_yet_reported),
		cmocka_unit_test(logging_a_step_allocates_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
