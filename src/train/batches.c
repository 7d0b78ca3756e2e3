/* Batch order; see batches.h. */
#include "train/batches.h"

#include <stdlib.h>

#include "util/strbuf.h"

void batch_order_init(struct batch_order *b, const struct spec *spec, int64_t rows)
{
	rng_seed(&b->rng, (uint64_t)spec->seed, RNG_STREAM_BATCHES);
	b->samples = (uint32_t)rows;
	b->batch = (uint32_t)spec->train.batch_size;
	b->order = xmalloc(sizeof(uint32_t) * b->samples);
	for (uint32_t i = 0; i < b->samples; i++)
		b->order[i] = i;
	rng_shuffle(&b->rng, b->order, b->samples);
	b->next = 0;
}

const uint32_t *batch_order_next(struct batch_order *b)
{
	if (b->next + b->batch > b->samples) {
		rng_shuffle(&b->rng, b->order, b->samples);
		b->next = 0;
	}
	const uint32_t *rows = b->order + b->next;
	b->next += b->batch;
	return rows;
}

void batch_order_free(struct batch_order *b)
{
	free(b->order);
	b->order = NULL;
}
