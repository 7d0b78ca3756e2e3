/* Run rows: prepared once, bound and stepped per row, committed in batches. */
#include "db/run_store.h"

#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "db/db.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/strbuf.h"

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
	bool in_transaction;
	double last_commit;
	int64_t steps_done;   /* as last told by run_store_tick */
	double last_loss;
	int64_t steps_stored; /* steps_done at the last commit that succeeded */
	double stored_loss;   /* last_loss at that commit: NaN before the first */
	char *ballast;        /* the reserve file's path, while it exists */
};

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

/* A write of the open transaction failed (a full disk, an I/O error): reports it once,
 * with what is kept, and rolls the transaction back (SQLite may already have), so that
 * nothing later commits half a step or fails again on a transaction that is gone. */
static int write_failed(struct run_store *store, const char *what)
{
	if (sqlite3_errcode(store->db) == SQLITE_FULL) {
		release_ballast(store);
		error("database: %s: the disk is full (%s); the run's first %lld steps are stored",
		      what, sqlite3_errmsg(store->db), (long long)store->steps_stored);
	} else {
		error("database: %s: %s; the run's first %lld steps are stored", what,
		      sqlite3_errmsg(store->db), (long long)store->steps_stored);
	}
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	store->in_transaction = false;
	return -1;
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
static int insert_run(struct run_store *store, const struct spec *spec)
{
	static const char *const provenance[] = {"spec", "overrides", "resolved_spec",
						 "spec_hash", "data_hash", "gtrack_version",
						 "hostname", "pid", "sweep_id"};
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
		       spec->sweep_id > 0 ? integer_value(spec->sweep_id) : text_value(NULL)))
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

struct run_store *run_store_begin(sqlite3 *db, const struct spec *spec, int64_t *run_id)
{
	struct run_store *store = xcalloc(1, sizeof *store);
	store->db = db;
	store->layer_count = (int)spec_layer_count(spec);
	store->stored_loss = NAN;
	reserve_ballast(store);

	if (db_begin_write(db))
		goto fail;
	if (insert_run(store, spec) || insert_layers(store, spec) || db_exec(db, "COMMIT")) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO steps (run_id, step, loss, accuracy, grad_norm, lr,"
			       " elapsed_s, grad_norm_clipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &store->insert_step, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO layer_stats (run_id, step, layer, weight_grad_norm,"
			       " bias_grad_norm, delta_norm, weight_norm, weight_grad_norm_clipped,"
			       " bias_grad_norm_clipped, dead_fraction, saturated_fraction,"
			       " zero_grad_fraction, update_ratio, norm_weight_grad_norm,"
			       " norm_bias_grad_norm)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &store->insert_layer_stats, NULL) != SQLITE_OK ||
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
	store->last_commit = monotonic_seconds();
	*run_id = store->run_id;
	return store;
fail:
	run_store_free(store);
	return NULL;
}

/* Commits the open transaction with the run's progress, so steps_done always counts
 * the steps whose rows are stored. */
static int commit(struct run_store *store)
{
	if (!store->in_transaction)
		return 0;
	sqlite3_bind_int64(store->progress, 1, store->run_id);
	sqlite3_bind_int64(store->progress, 2, store->steps_done);
	bind_real(store->progress, 3, store->last_loss);
	int rc = sqlite3_step(store->progress);
	sqlite3_reset(store->progress);
	if (rc != SQLITE_DONE)
		return write_failed(store, "cannot record the run's progress");
	if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return write_failed(store, "cannot commit logged steps");
	store->in_transaction = false;
	store->steps_stored = store->steps_done;
	store->stored_loss = store->last_loss;
	store->last_commit = monotonic_seconds();
	return 0;
}

int run_store_commit(struct run_store *store)
{
	return commit(store);
}

int64_t run_store_steps_stored(const struct run_store *store)
{
	return store->steps_stored;
}

double run_store_stored_loss(const struct run_store *store)
{
	return store->stored_loss;
}

static int begin_if_needed(struct run_store *store)
{
	if (store->in_transaction)
		return 0;
	if (db_exec(store->db, "BEGIN IMMEDIATE"))
		return -1;
	store->in_transaction = true;
	return 0;
}

int run_store_checkpoint(struct run_store *store, int64_t step,
			 const struct layer_parameters *layers)
{
	if (begin_if_needed(store))
		return -1;
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

int run_store_eval(struct run_store *store, int64_t step, const char *split, double loss,
		   double accuracy, int64_t examples)
{
	if (begin_if_needed(store))
		return -1;
	sqlite3_stmt *s = store->insert_eval;
	sqlite3_bind_int64(s, 1, store->run_id);
	sqlite3_bind_int64(s, 2, step);
	sqlite3_bind_text(s, 3, split, -1, SQLITE_STATIC);
	bind_real(s, 4, loss);
	bind_real(s, 5, accuracy);
	sqlite3_bind_int64(s, 6, examples);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : write_failed(store, "cannot insert an evaluation row");
}

int run_store_log(struct run_store *store, int64_t step, const struct step_stats *stats,
		  double grad_norm, double grad_norm_clipped, double learning_rate,
		  double elapsed_s, const struct layer_stats *layers)
{
	if (begin_if_needed(store))
		return -1;
	sqlite3_stmt *s = store->insert_step;
	sqlite3_bind_int64(s, 1, store->run_id);
	sqlite3_bind_int64(s, 2, step);
	bind_real(s, 3, stats->loss);
	bind_real(s, 4, stats->accuracy);
	bind_real(s, 5, grad_norm);
	sqlite3_bind_double(s, 6, learning_rate);
	sqlite3_bind_double(s, 7, elapsed_s);
	bind_real(s, 8, grad_norm_clipped);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return write_failed(store, "cannot insert a step row");

	s = store->insert_layer_stats;
	for (int layer = 0; layer < store->layer_count; layer++) {
		sqlite3_bind_int64(s, 1, store->run_id);
		sqlite3_bind_int64(s, 2, step);
		sqlite3_bind_int(s, 3, layer);
		bind_real(s, 4, layers[layer].weight_grad_norm);
		bind_real(s, 5, layers[layer].bias_grad_norm);
		bind_real(s, 6, layers[layer].delta_norm);
		bind_real(s, 7, layers[layer].weight_norm);
		bind_real(s, 8, layers[layer].weight_grad_norm_clipped);
		bind_real(s, 9, layers[layer].bias_grad_norm_clipped);
		bind_real(s, 10, layers[layer].dead_fraction);
		bind_real(s, 11, layers[layer].saturated_fraction);
		bind_real(s, 12, layers[layer].zero_grad_fraction);
		bind_real(s, 13, layers[layer].update_ratio);
		bind_real(s, 14, layers[layer].norm_weight_grad_norm);
		bind_real(s, 15, layers[layer].norm_bias_grad_norm);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return write_failed(store, "cannot insert a layer_stats row");
	}
	return 0;
}

int run_store_log_blocks(struct run_store *store, int64_t step, const struct block_stats *blocks,
			 int count)
{
	if (begin_if_needed(store))
		return -1;
	sqlite3_stmt *s = store->insert_block_stats;
	for (int block = 0; block < count; block++) {
		sqlite3_bind_int64(s, 1, store->run_id);
		sqlite3_bind_int64(s, 2, step);
		sqlite3_bind_int(s, 3, block);
		bind_real(s, 4, blocks[block].alpha);
		bind_real(s, 5, blocks[block].alpha_grad);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return write_failed(store, "cannot insert a block_stats row");
	}
	return 0;
}

int run_store_tick(struct run_store *store, int64_t steps_done, double last_loss)
{
	store->steps_done = steps_done;
	store->last_loss = last_loss;
	/* A commit costs a WAL append and (with synchronous=NORMAL) no fsync: committing
	 * four times a second bounds what a crash loses at no cost to speed. */
	double idle = monotonic_seconds() - store->last_commit;
	if (store->in_transaction ? idle < RUN_STORE_COMMIT_S : idle < RUN_STORE_HEARTBEAT_S)
		return 0;
	if (begin_if_needed(store))
		return -1;
	return commit(store);
}

int run_store_finish(struct run_store *store, const char *status, const char *message,
		     int64_t steps_done, double final_loss, double elapsed_s)
{
	if (commit(store))
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
	if (store->in_transaction)
		sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(store->insert_step);
	sqlite3_finalize(store->insert_layer_stats);
	sqlite3_finalize(store->progress);
	sqlite3_finalize(store->insert_checkpoint);
	sqlite3_finalize(store->insert_eval);
	sqlite3_finalize(store->insert_block_stats);
	release_ballast(store);
	free(store);
}
