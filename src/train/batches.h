/* The order in which examples are drawn: consecutive slices of a permutation of the
 * samples, reshuffled when a permutation cannot fill another batch. Drawn from the
 * seed's batch stream, so gtrack export can replay exactly what a run trained on. */
#ifndef GT_BATCHES_H
#define GT_BATCHES_H

#include <stdint.h>

#include "spec/spec.h"
#include "util/rng.h"

struct batch_order {
	struct rng rng;
	uint32_t *order;
	uint32_t samples, batch, next;
};

/* Orders rows [0, rows): the training part of the dataset. */
void batch_order_init(struct batch_order *batches, const struct spec *spec, int64_t rows);
/* The rows of the next batch (batch_size of them), valid until the next call. */
const uint32_t *batch_order_next(struct batch_order *batches);
void batch_order_free(struct batch_order *batches);

#endif
