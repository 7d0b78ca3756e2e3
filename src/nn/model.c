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

#define MODEL_FORWARD(type, name, qualifier, parameters, arguments)                        \
	type model_##name(qualifier struct model *model MODEL_LIST parameters)             \
	{                                                                                  \
		MODEL_RETURN_##type model->ops->name(model->network MODEL_LIST arguments); \
	}
MODEL_OPERATIONS(MODEL_FORWARD)
