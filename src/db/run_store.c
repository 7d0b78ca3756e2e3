/* Run rows: the runs and layers rows written at once by the caller; the rows of every
 * logged step, evaluations and checkpoints queued (db/row_queue.h) to a writer thread
 * that binds them to statements prepared once and commits them in batched transactions,
 * so the training thread neither waits for SQLite nor allocates to log a step.
 *
 * The writer owns the connection from the first queued call to run_store_finish (or
 * run_store_free); it writes in the order things were queued and never drops a row: a
 * full queue makes the training thread wait. Its failures are kept in the store and
 * reported, once, by the next call the training thread makes. */
#include "db/run_store.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/row_queue.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "util/threads.h"

struct run_store {
	sqlite3 *db;
	int64_t run_id;
	int layer_count;
	sqlite3_stmt *insert_step;
	sqlite3_stmt *insert_layer_stats;
	sqlite3_stmt *progress; /* heartbeat, steps_done and final_loss, at every commit */
	sqlite3_stmt *insert_checkpoint;
	sqlite3_stmt *insert_eval;
	sqlite3_stmt *insert_block_stats;
	char *ballast;          /* the reserve file's path, while it exists */

	struct row_queue queue;
	pthread_t writer;
	bool writer_running;
	/* the writer's, while it runs */
	bool in_transaction;
	int64_t rows_in_transaction; /* rows written since the last commit */
	double last_commit;
	int64_t committed_steps; /* steps_done at the last commit, to see progress */
	int64_t written;         /* queued messages the writer is done with */
	struct queue_progress logged; /* step + 1 and loss of the last step row written */
	/* the progress of the last commit that succeeded (loss NaN before the first), set
	 * by the writer under the queue's lock */
	struct queue_progress stored;
	/* a write failed: the writer's message, published by `failed` */
	char failure[1024];
	atomic_bool failed;
	bool failure_reported;   /* the training thread's: the message was printed */
	bool failure_printed;    /* the writer's: a caller's write function printed it */
};

/* Slots in the writer's queue: enough for the writer to take steps in batches (it is
 * woken at half the queue), within a few MiB for very deep networks. */
#define QUEUE_SLOTS 64
#define QUEUE_MIN_SLOTS 4
#define QUEUE_BYTES (4 << 20)

/* Disk space held back for the run's outcome: when the disk fills up, the file is
 * deleted, so the final status and message still fit (as SQLite's own temp space
 * would not). A few hundred KiB cover the runs row's update and its WAL frames. */
#define BALLAST_BYTES (512 * 1024)

/* Creates "<database>-ballast" with its blocks written, not sparse, so its space is
 * really taken. Best effort: without it (the disk is already full, an in-memory
 * database) the run goes on, and only a full disk's final update may not fit. */
static void reserve_ballast(struct run_store *store)
{
	const char *database = sqlite3_db_filename(store->db, "main");
	if (!database || !*database)
		return;
	struct strbuf path;
	strbuf_init(&path);
	strbuf_printf(&path, "%s-ballast", database);
	FILE *file = fopen(path.text, "wb");
	bool written = file != NULL;
	static const char zeros[64 * 1024];
	for (int i = 0; written && i < BALLAST_BYTES / (int)sizeof zeros; i++)
		written = fwrite(zeros, 1, sizeof zeros, file) == sizeof zeros;
	if (file && (fclose(file) != 0 || !written)) {
		written = false;
		unlink(path.text);
	}
	if (written)
		store->ballast = strbuf_detach(&path);
	else
		strbuf_free(&path);
}

/* Gives the ballast's space back (to the disk when it is full, and at the run's end). */
static void release_ballast(struct run_store *store)
{
	if (!store->ballast)
		return;
	unlink(store->ballast);
	free(store->ballast);
	store->ballast = NULL;
}

static int fail(struct run_store *store, const char *what)
{
	return error("database: %s: %s", what, sqlite3_errmsg(store->db));
}

/* A write of the open transaction failed (a full disk, an I/O error), on the writer
 * thread: keeps the message, with what is stored, for the training thread to report,
 * and rolls the transaction back (SQLite may already have), so that nothing later
 * commits half a step. Returns -1. */
static int write_failed(struct run_store *store, const char *what)
{
	if (sqlite3_errcode(store->db) == SQLITE_FULL) {
		release_ballast(store);
		snprintf(store->failure, sizeof store->failure,
			 "database: %s: the disk is full (%s); the run's first %lld steps are"
			 " stored", what, sqlite3_errmsg(store->db),
			 (long long)store->stored.steps_done);
	} else {
		snprintf(store->failure, sizeof store->failure,
			 "database: %s: %s; the run's first %lld steps are stored", what,
			 sqlite3_errmsg(store->db), (long long)store->stored.steps_done);
	}
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	store->in_transaction = false;
	atomic_store_explicit(&store->failed, true, memory_order_release);
	return -1;
}

/* On the training thread: -1 once the writer failed, with its message (printed the
 * first time only), else 0. */
static int writer_failed(struct run_store *store)
{
	if (!atomic_load_explicit(&store->failed, memory_order_acquire))
		return 0;
	if (store->failure_reported || store->failure_printed)
		return -1;
	store->failure_reported = true;
	return error("%s", store->failure);
}

/* NaN is not a number SQLite can store; it becomes NULL (infinities are kept). */
static void bind_real(sqlite3_stmt *statement, int index, double value)
{
	if (isnan(value))
		sqlite3_bind_null(statement, index);
	else
		sqlite3_bind_double(statement, index, value);
}

/* Binds value to the statement's parameter ":column". */
static int bind_value(struct run_store *store, sqlite3_stmt *statement, const char *column,
		      struct spec_value value)
{
	char name[64];
	snprintf(name, sizeof name, ":%s", column);
	int index = sqlite3_bind_parameter_index(statement, name);
	if (index == 0)
		return error("database: the run row has no parameter %s", name);
	int rc = SQLITE_OK;
	switch (value.type) {
	case SPEC_VALUE_NULL:
		rc = sqlite3_bind_null(statement, index);
		break;
	case SPEC_VALUE_INTEGER:
		rc = sqlite3_bind_int64(statement, index, value.integer);
		break;
	case SPEC_VALUE_REAL:
		bind_real(statement, index, value.real);
		break;
	case SPEC_VALUE_TEXT:
		rc = sqlite3_bind_text(statement, index, value.text, -1, SQLITE_STATIC);
		break;
	}
	return rc == SQLITE_OK ? 0 : fail(store, "cannot bind the run row");
}

static struct spec_value text_value(const char *text)
{
	return (struct spec_value){.type = text ? SPEC_VALUE_TEXT : SPEC_VALUE_NULL,
				   .text = text};
}

static struct spec_value integer_value(int64_t integer)
{
	return (struct spec_value){.type = SPEC_VALUE_INTEGER, .integer = integer};
}

/* The runs row: the columns that record provenance, named here, and one column per
 * spec value, named by the spec field table (spec_columns); every value is bound by its
 * column's name. */
static int insert_run(struct run_store *store, const struct spec *spec,
		      const struct run_environment *environment)
{
	static const char *const provenance[] = {"spec",      "overrides",      "resolved_spec",
						 "spec_hash", "data_hash",      "gtrack_version",
						 "hostname",  "pid",            "sweep_id",
						 "threads",   "vector_isa",     "blas"};
	const int provenance_count = (int)(sizeof provenance / sizeof *provenance);
	sqlite3_stmt *statement = NULL;
	struct strbuf sql, resolved;
	char hostname[256] = "";
	int result = -1;

	strbuf_init(&sql);
	strbuf_init(&resolved);
	strbuf_puts(&sql, "INSERT INTO runs (status, started_at, heartbeat_at, uuid");
	for (int i = 0; i < provenance_count; i++)
		strbuf_printf(&sql, ", %s", provenance[i]);
	for (const struct spec_column *c = spec_columns(); c->column; c++)
		strbuf_printf(&sql, ", %s", c->column);
	strbuf_puts(&sql, ") VALUES ('running', strftime('%Y-%m-%dT%H:%M:%fZ'),"
			  " strftime('%Y-%m-%dT%H:%M:%fZ'), lower(hex(randomblob(16)))");
	for (int i = 0; i < provenance_count; i++)
		strbuf_printf(&sql, ", :%s", provenance[i]);
	for (const struct spec_column *c = spec_columns(); c->column; c++)
		strbuf_printf(&sql, ", :%s", c->column);
	strbuf_puts(&sql, ")");

	spec_emit(spec, &resolved, true);
	gethostname(hostname, sizeof hostname - 1);
	if (sqlite3_prepare_v2(store->db, sql.text, -1, &statement, NULL) != SQLITE_OK) {
		fail(store, "cannot prepare the run row");
		goto done;
	}
	if (bind_value(store, statement, "spec", text_value(spec->source_text)) ||
	    bind_value(store, statement, "overrides",
		       text_value(spec->overrides ? spec->overrides : "")) ||
	    bind_value(store, statement, "resolved_spec", text_value(resolved.text)) ||
	    bind_value(store, statement, "spec_hash", text_value(spec->spec_hash)) ||
	    bind_value(store, statement, "data_hash",
		       text_value(spec->data_hash[0] ? spec->data_hash : NULL)) ||
	    bind_value(store, statement, "gtrack_version", text_value(GTRACK_VERSION)) ||
	    bind_value(store, statement, "hostname", text_value(hostname)) ||
	    bind_value(store, statement, "pid", integer_value((int64_t)getpid())) ||
	    bind_value(store, statement, "sweep_id",
		       spec->sweep_id > 0 ? integer_value(spec->sweep_id) : text_value(NULL)) ||
	    bind_value(store, statement, "threads", integer_value(environment->threads)) ||
	    bind_value(store, statement, "vector_isa", text_value(environment->vector_isa)) ||
	    bind_value(store, statement, "blas", text_value(environment->blas)))
		goto done;
	for (const struct spec_column *c = spec_columns(); c->column; c++)
		if (bind_value(store, statement, c->column, spec_column_value(spec, c)))
			goto done;
	if (sqlite3_step(statement) != SQLITE_DONE) {
		fail(store, "cannot insert the run");
		goto done;
	}
	store->run_id = sqlite3_last_insert_rowid(store->db);
	result = 0;
done:
	sqlite3_finalize(statement);
	strbuf_free(&resolved);
	strbuf_free(&sql);
	return result;
}

static int insert_layers(struct run_store *store, const struct spec *spec)
{
	sqlite3_stmt *statement = NULL;
	if (sqlite3_prepare_v2(store->db,
			       "INSERT INTO layers (run_id, layer, kind, fan_in, fan_out,"
			       " activation, residual, block) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &statement, NULL) != SQLITE_OK)
		return fail(store, "cannot prepare the layer rows");
	for (int layer = 0; layer < store->layer_count; layer++) {
		struct layer_shape shape = spec_layer_shape(spec, layer);
		sqlite3_bind_int64(statement, 1, store->run_id);
		sqlite3_bind_int(statement, 2, layer);
		sqlite3_bind_text(statement, 3, shape.output ? "output" : "hidden", -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(statement, 4, shape.fan_in);
		sqlite3_bind_int64(statement, 5, shape.fan_out);
		sqlite3_bind_text(statement, 6, activation_names[shape.activation], -1,
				  SQLITE_STATIC);
		sqlite3_bind_int(statement, 7, shape.residual);
		if (shape.block >= 0)
			sqlite3_bind_int64(statement, 8, shape.block);
		else
			sqlite3_bind_null(statement, 8);
		if (sqlite3_step(statement) != SQLITE_DONE) {
			sqlite3_finalize(statement);
			return fail(store, "cannot insert a layer row");
		}
		sqlite3_reset(statement);
	}
	sqlite3_finalize(statement);
	return 0;
}

/* The layer_stats columns after run_id, step and layer: each a double of struct
 * layer_stats, named as in the table. */
static const struct {
	const char *column;
	size_t offset;
} layer_columns[] = {
#define LAYER_COLUMN(name) {#name, offsetof(struct layer_stats, name)}
	LAYER_COLUMN(weight_grad_norm),
	LAYER_COLUMN(bias_grad_norm),
	LAYER_COLUMN(delta_norm),
	LAYER_COLUMN(weight_norm),
	LAYER_COLUMN(weight_grad_norm_clipped),
	LAYER_COLUMN(bias_grad_norm_clipped),
	LAYER_COLUMN(dead_fraction),
	LAYER_COLUMN(saturated_fraction),
	LAYER_COLUMN(zero_grad_fraction),
	LAYER_COLUMN(update_ratio),
	LAYER_COLUMN(norm_weight_grad_norm),
	LAYER_COLUMN(norm_bias_grad_norm),
#undef LAYER_COLUMN
};
#define LAYER_COLUMN_COUNT ((int)(sizeof layer_columns / sizeof *layer_columns))

/* "INSERT INTO layer_stats (run_id, step, layer, <layer_columns>) VALUES (?, ...)".
 * Returns 0, or -1 (the caller reports). */
static int prepare_layer_stats(struct run_store *store)
{
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "INSERT INTO layer_stats (run_id, step, layer");
	for (int c = 0; c < LAYER_COLUMN_COUNT; c++)
		strbuf_printf(&sql, ", %s", layer_columns[c].column);
	strbuf_puts(&sql, ") VALUES (?, ?, ?");
	for (int c = 0; c < LAYER_COLUMN_COUNT; c++)
		strbuf_puts(&sql, ", ?");
	strbuf_puts(&sql, ")");
	int rc = sqlite3_prepare_v2(store->db, sql.text, -1, &store->insert_layer_stats, NULL);
	strbuf_free(&sql);
	return rc == SQLITE_OK ? 0 : -1;
}

static int queue_slots(int layer_count)
{
	size_t slot_bytes = (size_t)layer_count * sizeof(struct layer_stats) +
			    (size_t)(layer_count + 1) * sizeof(struct block_stats);
	size_t slots = QUEUE_BYTES / slot_bytes;
	if (slots > QUEUE_SLOTS)
		slots = QUEUE_SLOTS;
	return slots < QUEUE_MIN_SLOTS ? QUEUE_MIN_SLOTS : (int)slots;
}

struct run_store *run_store_begin(sqlite3 *db, const struct spec *spec,
				   const struct run_environment *environment, int64_t *run_id)
{
	struct run_store *store = xcalloc(1, sizeof *store);
	store->db = db;
	store->layer_count = (int)spec_layer_count(spec);
	store->stored.loss = NAN;
	atomic_init(&store->failed, false);
	reserve_ballast(store);

	if (db_begin_write(db))
		goto fail;
	if (insert_run(store, spec, environment) || insert_layers(store, spec) || db_exec(db, "COMMIT")) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO steps (run_id, step, loss, accuracy, grad_norm, lr,"
			       " elapsed_s, grad_norm_clipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &store->insert_step, NULL) != SQLITE_OK ||
	    prepare_layer_stats(store) ||
	    sqlite3_prepare_v2(db,
			       "UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ'),"
			       " steps_done = ?2, final_loss = ?3 WHERE id = ?1",
			       -1, &store->progress, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT OR REPLACE INTO checkpoints (run_id, step, layer, weight, bias,"
			       " norm_weight, norm_bias, alpha) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &store->insert_checkpoint, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO evals (run_id, step, split, loss, accuracy, examples)"
			       " VALUES (?, ?, ?, ?, ?, ?)",
			       -1, &store->insert_eval, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO block_stats (run_id, step, block, alpha, alpha_grad)"
			       " VALUES (?, ?, ?, ?, ?)",
			       -1, &store->insert_block_stats, NULL) != SQLITE_OK) {
		fail(store, "cannot prepare the step rows");
		goto fail;
	}
	if (row_queue_init(&store->queue, queue_slots(store->layer_count), store->layer_count))
		goto fail;
	store->last_commit = monotonic_seconds();
	*run_id = store->run_id;
	return store;
fail:
	run_store_free(store);
	return NULL;
}

/* The writer thread's side: every function below runs on it, reports through
 * write_failed and never through error(), which prints. */

static int begin_if_needed(struct run_store *store)
{
	if (store->in_transaction)
		return 0;
	if (sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return write_failed(store, "cannot start a transaction");
	store->in_transaction = true;
	return 0;
}

/* Commits the open transaction with the run's progress (that of the rows written), so
 * steps_done always counts the steps whose rows are stored. */
static int commit(struct run_store *store)
{
	if (!store->in_transaction)
		return 0;
	/* a step's rows may be written before the tick that follows them: they count */
	struct queue_progress progress = row_queue_progress(&store->queue, store->written);
	if (store->logged.steps_done > progress.steps_done)
		progress = store->logged;
	sqlite3_bind_int64(store->progress, 1, store->run_id);
	sqlite3_bind_int64(store->progress, 2, progress.steps_done);
	bind_real(store->progress, 3, progress.loss);
	int rc = sqlite3_step(store->progress);
	sqlite3_reset(store->progress);
	if (rc != SQLITE_DONE)
		return write_failed(store, "cannot record the run's progress");
	if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return write_failed(store, "cannot commit logged steps");
	store->in_transaction = false;
	store->rows_in_transaction = 0;
	store->committed_steps = progress.steps_done;
	pthread_mutex_lock(&store->queue.lock);
	store->stored = progress;
	pthread_mutex_unlock(&store->queue.lock);
	store->last_commit = monotonic_seconds();
	return 0;
}

static int write_checkpoint(struct run_store *store, int64_t step,
			    const struct layer_parameters *layers)
{
	sqlite3_stmt *s = store->insert_checkpoint;
	for (int layer = 0; layer < store->layer_count; layer++) {
		struct layer_parameters p = layers[layer];
		sqlite3_bind_int64(s, 1, store->run_id);
		sqlite3_bind_int64(s, 2, step);
		sqlite3_bind_int(s, 3, layer);
		sqlite3_bind_blob64(s, 4, p.weight, p.weight_bytes, SQLITE_STATIC);
		sqlite3_bind_blob64(s, 5, p.bias, p.bias_bytes, SQLITE_STATIC);
		if (p.norm_weight) {
			sqlite3_bind_blob64(s, 6, p.norm_weight, p.norm_bytes, SQLITE_STATIC);
			sqlite3_bind_blob64(s, 7, p.norm_bias, p.norm_bytes, SQLITE_STATIC);
		} else {
			sqlite3_bind_null(s, 6);
			sqlite3_bind_null(s, 7);
		}
		if (p.alpha)
			sqlite3_bind_blob64(s, 8, p.alpha, p.alpha_bytes, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 8);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return write_failed(store, "cannot store a checkpoint");
	}
	return 0;
}

static int write_eval(struct run_store *store, const struct queued *message)
{
	sqlite3_stmt *s = store->insert_eval;
	sqlite3_bind_int64(s, 1, store->run_id);
	sqlite3_bind_int64(s, 2, message->step);
	sqlite3_bind_text(s, 3, message->u.eval.split, -1, SQLITE_STATIC);
	bind_real(s, 4, message->u.eval.loss);
	bind_real(s, 5, message->u.eval.accuracy);
	sqlite3_bind_int64(s, 6, message->u.eval.examples);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : write_failed(store, "cannot insert an evaluation row");
}

static int write_step(struct run_store *store, const struct queued *message)
{
	sqlite3_stmt *s = store->insert_step;
	sqlite3_bind_int64(s, 1, store->run_id);
	sqlite3_bind_int64(s, 2, message->step);
	bind_real(s, 3, message->u.row.stats.loss);
	bind_real(s, 4, message->u.row.stats.accuracy);
	bind_real(s, 5, message->u.row.grad_norm);
	sqlite3_bind_double(s, 6, message->u.row.learning_rate);
	sqlite3_bind_double(s, 7, message->u.row.elapsed_s);
	bind_real(s, 8, message->u.row.grad_norm_clipped);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return write_failed(store, "cannot insert a step row");

	store->rows_in_transaction += 1 + store->layer_count;
	s = store->insert_layer_stats;
	for (int layer = 0; layer < store->layer_count; layer++) {
		const struct layer_stats *stats = &message->layers[layer];
		sqlite3_bind_int64(s, 1, store->run_id);
		sqlite3_bind_int64(s, 2, message->step);
		sqlite3_bind_int(s, 3, layer);
		for (int c = 0; c < LAYER_COLUMN_COUNT; c++)
			bind_real(s, 4 + c,
				  *(const double *)((const char *)stats + layer_columns[c].offset));
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return write_failed(store, "cannot insert a layer_stats row");
	}
	return 0;
}

static int write_blocks(struct run_store *store, const struct queued *message)
{
	sqlite3_stmt *s = store->insert_block_stats;
	for (int block = 0; block < message->u.block_count; block++) {
		sqlite3_bind_int64(s, 1, store->run_id);
		sqlite3_bind_int64(s, 2, message->step);
		sqlite3_bind_int(s, 3, block);
		bind_real(s, 4, message->blocks[block].alpha);
		bind_real(s, 5, message->blocks[block].alpha_grad);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return write_failed(store, "cannot insert a block_stats row");
	}
	return 0;
}

/* Writes one queued message; commits when it asks to. */
static int write_message(struct run_store *store, const struct queued *message)
{
	if (message->kind == QUEUED_COMMIT || message->kind == QUEUED_STOP)
		return commit(store);
	if (begin_if_needed(store))
		return -1;
	switch (message->kind) {
	case QUEUED_STEP:
		if (write_step(store, message))
			return -1;
		store->logged = (struct queue_progress){.steps_done = message->step + 1,
							.loss = message->u.row.stats.loss};
		return 0;
	case QUEUED_BLOCKS:
		return write_blocks(store, message);
	case QUEUED_EVAL:
		return write_eval(store, message);
	case QUEUED_CHECKPOINT:
		return write_checkpoint(store, message->step, message->u.checkpoint);
	case QUEUED_WRITE:
		if (message->u.write.function(store->db, message->u.write.context) == 0)
			return 0;
		/* its message is printed (the caller is waiting): kept, not printed again */
		write_failed(store, "cannot store the caller's rows");
		snprintf(store->failure, sizeof store->failure, "%s", error_last());
		store->failure_printed = true;
		return -1;
	default:
		return 0;
	}
}

/* A commit costs a WAL append and (with synchronous=NORMAL) no fsync: committing four
 * times a second bounds what a crash loses at no cost to speed. Between commits, the
 * heartbeat is refreshed every RUN_STORE_HEARTBEAT_S while the run makes progress (a
 * run that stops making steps stops beating, so readers can tell it is stuck or dead).
 * Returns -1 when a write failed. */
static int commit_when_due(struct run_store *store)
{
	double idle = monotonic_seconds() - store->last_commit;
	/* also by size: a fast run's quarter second can be megabytes of rows, all lost
	 * together when the disk fills before its first commit */
	if (store->in_transaction)
		return idle < RUN_STORE_COMMIT_S &&
			       store->rows_in_transaction < RUN_STORE_COMMIT_ROWS
		       ? 0
		       : commit(store);
	if (idle < RUN_STORE_HEARTBEAT_S ||
	    row_queue_progress(&store->queue, store->written).steps_done ==
		    store->committed_steps)
		return 0;
	if (begin_if_needed(store))
		return -1;
	return commit(store);
}

/* When the writer should look at the queue again without being woken: the next commit
 * or heartbeat, and at least every RUN_STORE_COMMIT_S while idle. */
static double next_deadline(const struct run_store *store)
{
	if (store->in_transaction)
		return store->last_commit + RUN_STORE_COMMIT_S;
	double heartbeat = store->last_commit + RUN_STORE_HEARTBEAT_S;
	double soon = monotonic_seconds() + RUN_STORE_COMMIT_S;
	return heartbeat > soon ? heartbeat : soon;
}

static void *write_queued_rows(void *opaque)
{
	struct run_store *store = opaque;
	for (bool stopping = false; !stopping;) {
		int64_t first;
		int count = row_queue_take(&store->queue, next_deadline(store), &first);
		for (int i = 0; i < count; i++) {
			const struct queued *message = row_queue_at(&store->queue, first + i);
			stopping = stopping || message->kind == QUEUED_STOP;
			/* after a failure, queued messages are released unwritten: the run
			 * ends with what was stored */
			if (!atomic_load_explicit(&store->failed, memory_order_relaxed)) {
				store->written = first + i + 1;
				write_message(store, message);
			}
		}
		if (!atomic_load_explicit(&store->failed, memory_order_relaxed))
			commit_when_due(store);
		row_queue_release(&store->queue, count);
	}
	return NULL;
}

/* Starts the writer on the first call that queues something, with the process's
 * signals blocked on it (util/threads.h): no SQLite call on it is interrupted. */
static int start_writer(struct run_store *store)
{
	if (store->writer_running)
		return 0;
	int rc = thread_start(&store->writer, NULL, write_queued_rows, store);
	if (rc != 0)
		return error("cannot start the database writer thread: %s", strerror(rc));
	store->writer_running = true;
	return 0;
}

/* The training thread's side. */

/* The next slot to fill, once the writer runs and has not failed; NULL with a message
 * otherwise. */
static struct queued *reserve(struct run_store *store, enum queued_kind kind, int64_t step)
{
	if (writer_failed(store) || start_writer(store))
		return NULL;
	struct queued *message = row_queue_reserve(&store->queue);
	message->kind = kind;
	message->step = step;
	return message;
}

/* Publishes a message and waits until it is written: -1 with the writer's message
 * when that failed. */
static int publish_and_wait(struct run_store *store)
{
	row_queue_publish(&store->queue, true);
	return writer_failed(store);
}

/* Lets the writer write everything queued, commit and end; the connection is the
 * caller's again. */
static void stop_writer(struct run_store *store)
{
	if (!store->writer_running)
		return;
	struct queued *message = row_queue_reserve(&store->queue);
	message->kind = QUEUED_STOP;
	row_queue_publish(&store->queue, true);
	pthread_join(store->writer, NULL);
	store->writer_running = false;
}

int run_store_commit(struct run_store *store)
{
	if (!reserve(store, QUEUED_COMMIT, 0))
		return -1;
	return publish_and_wait(store);
}

/* What the last commit that succeeded stored, as the writer left it. */
static struct queue_progress stored(const struct run_store *store)
{
	struct run_store *shared = (struct run_store *)store; /* the lock, not the store */
	pthread_mutex_lock(&shared->queue.lock);
	struct queue_progress progress = store->stored;
	pthread_mutex_unlock(&shared->queue.lock);
	return progress;
}

int64_t run_store_steps_stored(const struct run_store *store)
{
	return stored(store).steps_done;
}

double run_store_stored_loss(const struct run_store *store)
{
	return stored(store).loss;
}

int64_t run_store_queue_waits(const struct run_store *store)
{
	return row_queue_full_waits(&((struct run_store *)store)->queue);
}

int run_store_checkpoint(struct run_store *store, int64_t step,
			 const struct layer_parameters *layers)
{
	struct queued *message = reserve(store, QUEUED_CHECKPOINT, step);
	if (!message)
		return -1;
	message->u.checkpoint = layers;
	return publish_and_wait(store);
}

int run_store_write(struct run_store *store, int (*write)(sqlite3 *db, void *context),
		    void *context)
{
	struct queued *message = reserve(store, QUEUED_WRITE, 0);
	if (!message)
		return -1;
	message->u.write.function = write;
	message->u.write.context = context;
	return publish_and_wait(store);
}

int run_store_eval(struct run_store *store, int64_t step, const char *split, double loss,
		   double accuracy, int64_t examples)
{
	struct queued *message = reserve(store, QUEUED_EVAL, step);
	if (!message)
		return -1;
	message->u.eval.split = split;
	message->u.eval.loss = loss;
	message->u.eval.accuracy = accuracy;
	message->u.eval.examples = examples;
	row_queue_publish(&store->queue, false);
	return 0;
}

int run_store_log(struct run_store *store, int64_t step, const struct step_stats *stats,
		  double grad_norm, double grad_norm_clipped, double learning_rate,
		  double elapsed_s, const struct layer_stats *layers)
{
	struct queued *message = reserve(store, QUEUED_STEP, step);
	if (!message)
		return -1;
	message->u.row.stats = *stats;
	message->u.row.grad_norm = grad_norm;
	message->u.row.grad_norm_clipped = grad_norm_clipped;
	message->u.row.learning_rate = learning_rate;
	message->u.row.elapsed_s = elapsed_s;
	memcpy(message->layers, layers, (size_t)store->layer_count * sizeof *layers);
	row_queue_publish(&store->queue, false);
	return 0;
}

int run_store_log_blocks(struct run_store *store, int64_t step, const struct block_stats *blocks,
			 int count)
{
	if (count == 0)
		return writer_failed(store);
	/* a block holds at least one layer: the slot's buffer has room for every block */
	if (count > store->layer_count)
		return error("database: %d residual blocks in a network of %d layers", count,
			     store->layer_count);
	struct queued *message = reserve(store, QUEUED_BLOCKS, step);
	if (!message)
		return -1;
	message->u.block_count = count;
	memcpy(message->blocks, blocks, (size_t)count * sizeof *blocks);
	row_queue_publish(&store->queue, false);
	return 0;
}

int run_store_tick(struct run_store *store, int64_t steps_done, double last_loss)
{
	if (writer_failed(store) || start_writer(store))
		return -1;
	row_queue_tick(&store->queue,
		       (struct queue_progress){.steps_done = steps_done, .loss = last_loss});
	return 0;
}

int run_store_finish(struct run_store *store, const char *status, const char *message,
		     int64_t steps_done, double final_loss, double elapsed_s)
{
	stop_writer(store);
	/* a failure the caller was told about ends the run as it says; one it was not
	 * told about is reported here */
	if (!store->failure_reported && writer_failed(store))
		return -1;
	/* the write lock is taken up front, like every write here: a read that upgrades
	 * to a write fails without waiting when another process has just committed */
	if (db_exec(store->db, "BEGIN IMMEDIATE"))
		return -1;
	sqlite3_stmt *statement = NULL;
	int rc = sqlite3_prepare_v2(store->db,
				    "UPDATE runs SET status = ?, message = ?, steps_done = ?,"
				    " final_loss = ?, elapsed_s = ?,"
				    " finished_at = strftime('%Y-%m-%dT%H:%M:%fZ'),"
				    " heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE id = ?",
				    -1, &statement, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(statement, 1, status, -1, SQLITE_STATIC);
		if (message)
			sqlite3_bind_text(statement, 2, message, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(statement, 2);
		sqlite3_bind_int64(statement, 3, steps_done);
		bind_real(statement, 4, final_loss);
		sqlite3_bind_double(statement, 5, elapsed_s);
		sqlite3_bind_int64(statement, 6, store->run_id);
		rc = sqlite3_step(statement) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(statement);
	if (rc != SQLITE_OK || db_exec(store->db, "COMMIT")) {
		fail(store, "cannot record the run's outcome");
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void run_store_free(struct run_store *store)
{
	if (!store)
		return;
	stop_writer(store);
	sqlite3_finalize(store->insert_step);
	sqlite3_finalize(store->insert_layer_stats);
	sqlite3_finalize(store->progress);
	sqlite3_finalize(store->insert_checkpoint);
	sqlite3_finalize(store->insert_eval);
	sqlite3_finalize(store->insert_block_stats);
	row_queue_free(&store->queue);
	release_ballast(store);
	free(store);
}
