/* Dispatch from the dtype-free model interface to the float or double network. */
#include "nn/model.h"
#include "nn/model_ops.h"

#include <stdlib.h>

#include "util/strbuf.h"

struct model {
	const struct model_ops *ops;
	void *network;
};

struct model *model_new(const struct spec *spec)
{
	struct rng rng;
	rng_seed(&rng, (uint64_t)spec->seed, RNG_STREAM_INIT);
	struct model *model = xmalloc(sizeof *model);
	model->ops = spec->train.dtype == DTYPE_FLOAT64 ? &model_ops_f64 : &model_ops_f32;
	model->network = model->ops->create(spec, &rng);
	if (!model->network) {
		free(model);
		return NULL;
	}
	return model;
}

void model_free(struct model *model)
{
	if (!model)
		return;
	model->ops->destroy(model->network);
	free(model);
}

int model_layer_count(const struct model *model)
{
	return model->ops->layer_count(model->network);
}

void model_compute_gradients(struct model *model, const struct dataset *data,
			     const uint32_t *rows, struct step_stats *step)
{
	model->ops->compute_gradients(model->network, data, rows, step);
}

double model_measure(const struct model *model, struct layer_stats *layers, bool all)
{
	return model->ops->measure(model->network, layers, all);
}

void model_update(struct model *model, double learning_rate)
{
	model->ops->update(model->network, learning_rate);
}

void model_layer_parameters(const struct model *model, int layer,
			    struct layer_parameters *parameters)
{
	model->ops->layer_parameters(model->network, layer, parameters);
}

double model_clip(struct model *model, struct layer_stats *layers, double grad_norm)
{
	return model->ops->clip(model->network, layers, grad_norm);
}

void model_snapshot(struct model *model)
{
	model->ops->snapshot(model->network);
}

void model_update_ratios(const struct model *model, struct layer_stats *layers)
{
	model->ops->update_ratios(model->network, layers);
}

int model_block_count(const struct model *model)
{
	return model->ops->block_count(model->network);
}

void model_measure_blocks(const struct model *model, struct block_stats *blocks)
{
	model->ops->measure_blocks(model->network, blocks);
}

void model_evaluate(struct model *model, const struct dataset *data, int64_t first,
		    int64_t count, double *loss, double *accuracy)
{
	model->ops->evaluate(model->network, data, first, count, loss, accuracy);
}
