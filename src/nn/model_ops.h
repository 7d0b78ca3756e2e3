/* The table each dtype build of network.c exports, so that model.c can dispatch without
 * knowing `real`: create and destroy, then one entry per MODEL_OPERATIONS (model.h).
 * Internal to src/nn. */
#ifndef GT_MODEL_OPS_H
#define GT_MODEL_OPS_H

#include "nn/model.h"
#include "spec/spec.h"
#include "util/rng.h"

struct model_ops {
	void *(*create)(const struct spec *spec, struct rng *rng);
	void (*destroy)(void *network);
#define MODEL_OPS_ENTRY(type, name, qualifier, parameters, arguments)                      \
	type (*name)(qualifier void *network MODEL_LIST parameters);
	MODEL_OPERATIONS(MODEL_OPS_ENTRY)
#undef MODEL_OPS_ENTRY
};

extern const struct model_ops model_ops_f32;
extern const struct model_ops model_ops_f64;

#endif
