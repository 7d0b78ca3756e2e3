/* Deterministic random numbers: xoshiro256** seeded through splitmix64.
 *
 * Every random draw in gtrack (data, initial weights, batch order) comes from a stream
 * derived from the spec's seed and a stream number, so changing the model does not
 * change the data and the same spec gives the same numbers on every run. */
#ifndef GT_RNG_H
#define GT_RNG_H

#include <stdint.h>

struct rng {
	uint64_t state[4];
};

enum rng_stream {
	RNG_STREAM_DATA = 1,
	RNG_STREAM_INIT = 2,
	RNG_STREAM_BATCHES = 3,
};

void rng_seed(struct rng *rng, uint64_t seed, uint64_t stream);
uint64_t rng_next(struct rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform(struct rng *rng);
/* Uniform integer in [0, bound), without modulo bias. */
uint32_t rng_below(struct rng *rng, uint32_t bound);
/* Standard normal (Box-Muller; one draw per call, so streams stay easy to reason about). */
double rng_normal(struct rng *rng);
/* Fisher-Yates shuffle of an index array. */
void rng_shuffle(struct rng *rng, uint32_t *items, uint32_t count);

#endif
