/* The predictions rows of a run: what mean-field theory (src/theory) expects at
 * initialisation, anchored to the run's measured output layer at step 0. */
#ifndef GT_PREDICTION_STORE_H
#define GT_PREDICTION_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "data/dataset.h"
#include "db/records.h"
#include "spec/spec.h"
#include "theory/meanfield.h"

/* Inserts count rows (layer 0 first). Inside the transaction the connection has open
 * (the run's own, while it trains), else in one of its own. Values the theory does not
 * cover (NaN) are stored as NULL. Returns 0, or -1 with a message. */
int prediction_store_write(sqlite3 *db, int64_t run_id, const struct layer_prediction *layers,
			   int count);

/* Predicts spec on data (meanfield_predict on the data's moments), anchors the
 * prediction to the output layer's measured step-0 norms (output: its layer_stats) and
 * writes it for run_id. What the trainer calls after logging step 0. Returns 0, or -1
 * with a message. */
int prediction_store_record(sqlite3 *db, int64_t run_id, const struct spec *spec,
			    const struct dataset *data, const struct layer_stats *output);

#endif
