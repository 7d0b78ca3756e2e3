/* Writing a run's predictions rows: one prepared INSERT, bound and stepped per layer. */
#include "db/prediction_store.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "db/db.h"
#include "util/error.h"
#include "util/strbuf.h"

/* NaN (not covered) becomes NULL; SQLite has no NaN. */
static int bind_prediction(sqlite3_stmt *statement, int index, double value)
{
	return isnan(value) ? sqlite3_bind_null(statement, index)
			    : sqlite3_bind_double(statement, index, value);
}

int prediction_store_write(sqlite3 *db, int64_t run_id, const struct layer_prediction *layers,
			   int count)
{
	sqlite3_stmt *statement = NULL;
	/* outside a transaction (gtrack check --db after its own rows), one of our own */
	bool own_transaction = sqlite3_get_autocommit(db);
	int result = -1;
	if (own_transaction && db_begin_write(db))
		return -1;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO predictions (run_id, layer, q, chi, delta_norm,"
			       " weight_grad_norm) VALUES (?, ?, ?, ?, ?, ?)",
			       -1, &statement, NULL) != SQLITE_OK) {
		error("database: cannot prepare the predictions rows: %s", sqlite3_errmsg(db));
		goto done;
	}
	for (int layer = 0; layer < count; layer++) {
		const struct layer_prediction *p = &layers[layer];
		if (sqlite3_bind_int64(statement, 1, run_id) != SQLITE_OK ||
		    sqlite3_bind_int(statement, 2, layer) != SQLITE_OK ||
		    bind_prediction(statement, 3, p->q) != SQLITE_OK ||
		    bind_prediction(statement, 4, p->chi) != SQLITE_OK ||
		    bind_prediction(statement, 5, p->delta_norm) != SQLITE_OK ||
		    bind_prediction(statement, 6, p->weight_grad_norm) != SQLITE_OK ||
		    sqlite3_step(statement) != SQLITE_DONE) {
			error("database: cannot insert the prediction of layer %d: %s", layer,
			      sqlite3_errmsg(db));
			goto done;
		}
		sqlite3_reset(statement);
	}
	result = 0;
done:
	sqlite3_finalize(statement);
	if (own_transaction && !sqlite3_get_autocommit(db)) {
		if (result == 0 && db_exec(db, "COMMIT"))
			result = -1;
		if (result != 0)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return result;
}

int prediction_store_record(sqlite3 *db, int64_t run_id, const struct spec *spec,
			    const struct dataset *data, const struct layer_stats *output)
{
	int count = (int)spec_layer_count(spec);
	struct layer_prediction *layers = xcalloc((size_t)count, sizeof *layers);
	int result = -1;
	if (meanfield_predict(spec, dataset_input_moments(data), layers))
		goto done;
	meanfield_anchor(layers, count, output->delta_norm, output->bias_grad_norm);
	result = prediction_store_write(db, run_id, layers, count);
done:
	free(layers);
	return result;
}
