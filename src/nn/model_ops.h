/* The table each dtype build of network.c exports, so that model.c can dispatch without
 * knowing `real`. Internal to src/nn. */
#ifndef GT_MODEL_OPS_H
#define GT_MODEL_OPS_H

#include <stdint.h>

#include "data/dataset.h"
#include "nn/model.h"
#include "spec/spec.h"
#include "util/rng.h"

struct model_ops {
	void *(*create)(const struct spec *spec, struct rng *rng);
	void (*destroy)(void *network);
	int (*layer_count)(const void *network);
	void (*compute_gradients)(void *network, const struct dataset *data,
				  const uint32_t *rows, struct step_stats *step);
	double (*measure)(void *network, struct layer_stats *layers, bool all);
	void (*evaluate)(void *network, const struct dataset *data, int64_t first, int64_t count,
			 double *loss, double *accuracy);
	void (*update)(void *network, double learning_rate);
	double (*clip)(void *network, struct layer_stats *layers, double grad_norm);
	void (*snapshot)(void *network);
	void (*update_ratios)(const void *network, struct layer_stats *layers);
	void (*layer_parameters)(const void *network, int layer,
				 struct layer_parameters *parameters);
	int (*block_count)(const void *network);
	void (*measure_blocks)(const void *network, struct block_stats *blocks);
};

extern const struct model_ops model_ops_f32;
extern const struct model_ops model_ops_f64;

#endif
