/* The multilayer perceptron: buffers, the loss around the forward and backward passes,
 * norms and clipping for one dtype (the passes layer by layer are in tiles.c, the
 * optimizers in optimizer.c).
 *
 * Memory: four allocations hold everything the step touches (parameters, gradients,
 * velocity, activations and their gradients, plus the batch buffers); each layer has
 * views into them. Nothing is allocated once network_new returns. Parameters are laid
 * out layer by layer, weight then bias, so optimizer steps are single loops over the
 * flat arrays. */
#include "nn/network.h"
#include "nn/blas_threads.h"
#include "nn/model_ops.h"
#include "nn/ops.h"
#include "nn/vector_math.h"
#include "nn/workers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/norm.h"
#include "util/strbuf.h"

typedef struct RNAME(network) network;
typedef struct RNAME(dense_layer) dense_layer;

real *RNAME(network_grad_of)(const network *net, const real *view)
{
	return net->activation_grads + (view - net->activations);
}

/* Points a hidden layer's stage views at its buffers (pre, then normed and xhat with
 * norms, act, sum on a block's last layer), following the form's stage order: each stage
 * reads the previous one's output. */
static void wire_stages(network *net, dense_layer *layer, real *next, size_t units)
{
	real *current = layer->pre;
	for (int i = 0; i < 3; i++) {
		switch (network_stage_at(net->form, i)) {
		case STAGE_NORM:
			layer->norm_in = layer->normed = current;
			if (layer->gamma) {
				layer->normed = next, next += units;
				layer->xhat = next, next += units;
			}
			current = layer->normed;
			break;
		case STAGE_ACTIVATION:
			layer->act_in = current;
			layer->act = next, next += units;
			current = layer->act;
			break;
		case STAGE_RESIDUAL:
			layer->operand = layer->sum = current;
			if (layer->residual)
				layer->sum = next, next += units;
			current = layer->sum;
			break;
		}
	}
	layer->out = current;
	/* the pre form's skip path carries the sum, before the norm and the activation */
	layer->carry = net->form == RESIDUAL_PRE ? layer->sum : layer->out;
}

network *RNAME(network_new)(const struct spec *spec, struct rng *rng)
{
	network *net = xcalloc(1, sizeof *net);
	int depth = (int)spec->model.depth;
	net->batch = (int)spec->train.batch_size;
	net->inputs = (int)spec->data.features;
	net->outputs = (int)spec_output_size(spec);
	net->layer_count = depth + 1;
	net->slope = (real)spec->model.activation.slope;
	net->form = spec->model.residual.form;
	net->block_count = (int)spec_block_count(spec);
	net->learn_alpha = spec->model.residual.learn_alpha;
	net->optimizer = spec->train.optimizer.kind;
	net->momentum = (real)spec->train.optimizer.momentum;
	net->nesterov = spec->train.optimizer.nesterov;
	net->beta1 = (real)spec->train.optimizer.beta1;
	net->beta2 = (real)spec->train.optimizer.beta2;
	net->eps = (real)spec->train.optimizer.eps;
	net->weight_decay = (real)spec->train.optimizer.weight_decay;
	net->clip_norm = (real)spec->train.clip_norm;
	net->clip_value = (real)spec->train.clip_value;
	net->loss = spec->train.loss;
	net->layers = xcalloc((size_t)net->layer_count, sizeof *net->layers);

	net->norm = spec->model.norm.kind;
	net->norm_eps = (real)spec->model.norm.eps;
	net->norm_momentum = (real)spec->model.norm.momentum;
	net->training = true;
	net->plain = net->block_count == 0 && net->norm == NORM_NONE;

	/* First pass: shapes and buffer sizes. */
	size_t activation_count = 0, norm_state_count = 0;
	for (int l = 0; l < net->layer_count; l++) {
		dense_layer *layer = &net->layers[l];
		struct layer_shape shape = spec_layer_shape(spec, l);
		layer->is_output = shape.output;
		layer->fan_in = (int)shape.fan_in;
		layer->fan_out = (int)shape.fan_out;
		layer->activation = shape.activation;
		layer->residual = shape.residual;
		layer->block = (int)shape.block;
		bool normalised = shape.normalised;
		net->parameter_count += (size_t)layer->fan_out * ((size_t)layer->fan_in + 1 +
								  (normalised ? 2 : 0));
		/* pre, plus act for hidden layers, plus the sum for a block's last layer, plus
		 * normed and xhat for normalised ones */
		size_t copies = layer->is_output ? 1 : layer->residual ? 3 : 2;
		copies += normalised ? 2 : 0;
		activation_count += copies * (size_t)net->batch * (size_t)layer->fan_out;
		/* rstd for the rows or the columns, running mean and variance, and the
		 * second row tile's scale and shift gradients */
		if (normalised)
			norm_state_count += (size_t)(net->batch > layer->fan_out ? net->batch
										 : layer->fan_out) +
					    4 * (size_t)layer->fan_out;
	}
	size_t alpha_count = (size_t)net->block_count;
	if (net->learn_alpha)
		net->parameter_count += alpha_count;
	net->parameters = xcalloc(net->parameter_count, sizeof(real));
	net->gradients = xcalloc(net->parameter_count, sizeof(real));
	net->velocity = xcalloc(net->parameter_count, sizeof(real));
	if (net->optimizer != OPTIMIZER_SGD)
		net->second_moment = xcalloc(net->parameter_count, sizeof(real));
	net->activation_count = activation_count;
	net->activations = xcalloc(activation_count, sizeof(real));
	net->activation_grads = xcalloc(activation_count, sizeof(real));
	size_t batch_values = (size_t)net->batch * ((size_t)net->inputs + 2 * (size_t)net->outputs);
	net->input = xcalloc(batch_values, sizeof(real));
	net->targets = net->input + (size_t)net->batch * net->inputs;
	net->probs = net->targets + (size_t)net->batch * net->outputs;
	net->labels = xcalloc((size_t)net->batch, sizeof(int32_t));
	net->norm_state = norm_state_count ? xcalloc(norm_state_count, sizeof(real)) : NULL;
	net->norm_scratch = xcalloc(4 * (size_t)net->layer_count + 1, sizeof(double));
	if (net->learn_alpha) {
		net->alpha = net->parameters + net->parameter_count - alpha_count;
		net->alpha_grad = net->gradients + net->parameter_count - alpha_count;
	} else if (alpha_count) {
		net->alpha = xcalloc(2 * alpha_count, sizeof(real));
		net->alpha_grad = net->alpha + alpha_count;
	}
	for (size_t b = 0; b < alpha_count; b++)
		net->alpha[b] = (real)spec->model.residual.alpha;

	/* each layer its own chunk norms, each worker its own scratch: the workers update
	 * and measure layers side by side */
	size_t all_chunks = 0;
	int widest = 0;
	for (int l = 0; l < net->layer_count; l++) {
		size_t weights = (size_t)net->layers[l].fan_out * net->layers[l].fan_in;
		all_chunks += (weights + NETWORK_UPDATE_CHUNK - 1) / NETWORK_UPDATE_CHUNK;
		widest = net->layers[l].fan_out > widest ? net->layers[l].fan_out : widest;
	}
	net->update_chunk = xcalloc(NETWORK_TILES * (size_t)NETWORK_UPDATE_CHUNK, sizeof(real));
	net->unit_scratch_size = (size_t)widest;
	net->unit_scratch = xcalloc(NETWORK_TILES * (size_t)widest, sizeof(real));
	net->column_scratch = xcalloc(2 * (size_t)widest, sizeof(double));
	net->chunk_norms = xcalloc(2 * all_chunks + (size_t)net->layer_count, sizeof(double));
	net->weight_norm_after = net->chunk_norms + 2 * all_chunks;
	double *chunk_norms = net->chunk_norms;
	for (int l = 0; l < net->layer_count; l++) {
		size_t weights = (size_t)net->layers[l].fan_out * net->layers[l].fan_in;
		net->layers[l].chunk_norms = chunk_norms;
		chunk_norms += 2 * ((weights + NETWORK_UPDATE_CHUNK - 1) / NETWORK_UPDATE_CHUNK);
	}

	/* Second pass: views. */
	size_t parameter_offset = 0, activation_offset = 0, norm_offset = 0;
	for (int l = 0; l < net->layer_count; l++) {
		dense_layer *layer = &net->layers[l];
		size_t weights = (size_t)layer->fan_out * layer->fan_in;
		size_t units = (size_t)net->batch * layer->fan_out;
		layer->weight = net->parameters + parameter_offset;
		layer->weight_grad = net->gradients + parameter_offset;
		layer->weight_velocity = net->velocity + parameter_offset;
		layer->bias = layer->weight + weights;
		layer->bias_grad = layer->weight_grad + weights;
		layer->bias_velocity = layer->weight_velocity + weights;
		parameter_offset += weights + (size_t)layer->fan_out;
		bool normalised = !layer->is_output && net->norm != NORM_NONE;
		if (normalised) {
			layer->gamma = net->parameters + parameter_offset;
			layer->gamma_grad = net->gradients + parameter_offset;
			layer->beta = layer->gamma + layer->fan_out;
			layer->beta_grad = layer->gamma_grad + layer->fan_out;
			parameter_offset += 2 * (size_t)layer->fan_out;
			layer->rstd = net->norm_state + norm_offset;
			norm_offset += (size_t)(net->batch > layer->fan_out ? net->batch : layer->fan_out);
			layer->running_mean = net->norm_state + norm_offset;
			layer->running_var = layer->running_mean + layer->fan_out;
			layer->tile_norm_grad = layer->running_var + layer->fan_out;
			norm_offset += 4 * (size_t)layer->fan_out;
		}

		layer->pre = net->activations + activation_offset;
		layer->pre_grad = RNAME(network_grad_of)(net, layer->pre);
		activation_offset += units;
		if (layer->is_output) {
			layer->norm_in = layer->normed = layer->act_in = layer->act = layer->pre;
			layer->operand = layer->sum = layer->out = layer->carry = layer->pre;
			continue;
		}
		wire_stages(net, layer, layer->pre + units, units);
		activation_offset += (layer->residual ? 2 : 1) * units + (layer->gamma ? 2 : 0) * units;
		/* the block's input: what the layer before its first layer carried */
		if (layer->residual)
			layer->skip = net->layers[l - spec->model.residual.block].carry;
	}

	RNAME(tiled_plan)(net, blas_threads_count());

	if (RNAME(network_init_parameters)(net, spec, rng)) {
		RNAME(network_free)(net);
		return NULL;
	}
	return net;
}

void RNAME(network_free)(network *net)
{
	if (!net)
		return;
	free(net->layers);
	free(net->parameters);
	free(net->gradients);
	free(net->velocity);
	free(net->second_moment);
	free(net->update_chunk);
	free(net->unit_scratch);
	free(net->column_scratch);
	free(net->chunk_norms);
	free(net->activations);
	free(net->activation_grads);
	free(net->input);
	free(net->labels);
	free(net->norm_scratch);
	free(net->norm_state);
	if (!net->learn_alpha)
		free(net->alpha);
	free(net);
}

static void load_row(network *net, const struct dataset *data, int i, size_t row)
{
	const double *x = data->inputs + row * net->inputs;
	for (int f = 0; f < net->inputs; f++)
		net->input[(size_t)i * net->inputs + f] = (real)x[f];
	if (data->labels)
		net->labels[i] = data->labels[row];
	if (data->targets) {
		const double *t = data->targets + row * net->outputs;
		for (int k = 0; k < net->outputs; k++)
			net->targets[(size_t)i * net->outputs + k] = (real)t[k];
	}
}

void RNAME(network_load_rows)(network *net, const struct dataset *data, int64_t first, int count)
{
	net->active = count;
	for (int i = 0; i < count; i++)
		load_row(net, data, i, (size_t)(first + i));
}

void RNAME(network_load_batch)(network *net, const struct dataset *data, const uint32_t *rows)
{
	net->active = net->batch;
	for (int i = 0; i < net->batch; i++)
		load_row(net, data, i, rows[i]);
}

double RNAME(network_forward)(network *net)
{
	RNAME(tiled_forward)(net);
	const real *scores = net->layers[net->layer_count - 1].out;
	if (net->loss == LOSS_CROSS_ENTROPY)
		return RNAME(softmax_cross_entropy_forward)(net->probs, scores, net->labels,
							    net->active, net->outputs);
	return RNAME(mse_forward)(scores, net->targets, (size_t)net->active * net->outputs);
}

void RNAME(network_backward)(network *net, bool logged)
{
	dense_layer *output = &net->layers[net->layer_count - 1];
	/* The backward writes each layer's dW and db. In a plain network it also sets every
	 * activation gradient (see network.h), and only the loss's gradient is added to;
	 * otherwise what is added to must start at 0: the activations' gradients, the
	 * norms' (and the second tile's partial sums of them) and the alphas' */
	if (net->plain)
		memset(output->pre_grad, 0, (size_t)net->batch * net->outputs * sizeof(real));
	else
		memset(net->activation_grads, 0, net->activation_count * sizeof(real));
	for (int l = 0; l < net->layer_count; l++)
		if (net->layers[l].gamma) { /* beta_grad follows gamma_grad */
			size_t bytes = 2 * (size_t)net->layers[l].fan_out * sizeof(real);
			memset(net->layers[l].gamma_grad, 0, bytes);
			memset(net->layers[l].tile_norm_grad, 0, bytes);
		}
	if (net->block_count)
		memset(net->alpha_grad, 0, (size_t)net->block_count * sizeof(real));

	if (net->loss == LOSS_CROSS_ENTROPY)
		RNAME(softmax_cross_entropy_backward)(output->pre_grad, net->probs, net->labels,
						      net->batch, net->outputs);
	else
		RNAME(mse_backward)(output->pre_grad, output->out, net->targets,
				    (size_t)net->batch * net->outputs);
	RNAME(tiled_backward)(net, logged);
}

void RNAME(network_gradient_norms)(const dense_layer *layer, bool count_tiny, double *weight,
				   double *bias, size_t *tiny)
{
	size_t weights = (size_t)layer->fan_out * layer->fan_in;
	*tiny = 0;
	*weight = count_tiny ? RNAME(norm_tiny)(layer->weight_grad, weights, tiny)
			     : RNAME(norm)(layer->weight_grad, weights);
	*bias = RNAME(norm)(layer->bias_grad, (size_t)layer->fan_out);
}

/* Diagnostics of a hidden layer over the batch: relu units dead for the whole batch
 * (counted by a logged backward, or here), sigmoid and tanh activations whose derivative
 * is below 1% of its maximum (counted by the last backward, which reads every
 * activation anyway). */
static void activity(network *net, const dense_layer *layer, struct layer_stats *s,
		     bool taken, real *scratch)
{
	int units = layer->fan_out;
	if (layer->activation == ACT_RELU)
		s->dead_fraction = (double)(taken ? layer->dead_units
						  : RNAME(dead_units)(layer->act_in, net->batch,
								      units, scratch)) /
				   units;
	if (layer->activation == ACT_SIGMOID || layer->activation == ACT_TANH)
		s->saturated_fraction = (double)layer->saturated / ((double)net->batch * units);
}

/* The global gradient norm from the per-layer norms in norm_scratch and the trained
 * alphas' gradient; combined with scaling, so that 1e-200 is not squared to zero. */
static double global_norm(network *net)
{
	size_t layers = 4 * (size_t)net->layer_count;
	net->norm_scratch[layers] = net->learn_alpha ? RNAME(norm)(net->alpha_grad, (size_t)net->block_count)
						     : 0;
	return norm_combine(net->norm_scratch, layers + 1);
}

/* Layer l's norms into stats[l] and norm_scratch (see network_measure), with `scratch`
 * for its diagnostics. */
static void measure_layer(network *net, int l, struct layer_stats *stats, bool all,
			  bool taken, real *scratch)
{
	const dense_layer *layer = &net->layers[l];
	size_t weights = (size_t)layer->fan_out * layer->fan_in;
	struct layer_stats *s = &stats[l];
	/* zero or subnormal: below the smallest normal number, counted in the pass that
	 * takes the norm */
	size_t tiny = 0;
	if (taken) {
		s->weight_grad_norm = layer->weight_grad_norm;
		s->bias_grad_norm = layer->bias_grad_norm;
		tiny = layer->grad_tiny;
	} else {
		RNAME(network_gradient_norms)(layer, all, &s->weight_grad_norm,
					      &s->bias_grad_norm, &tiny);
	}
	s->norm_weight_grad_norm = layer->gamma ? RNAME(norm)(layer->gamma_grad, (size_t)layer->fan_out)
						: NAN;
	s->norm_bias_grad_norm = layer->gamma ? RNAME(norm)(layer->beta_grad, (size_t)layer->fan_out)
					      : NAN;
	s->delta_norm = s->weight_norm = NAN;
	s->weight_grad_norm_clipped = s->bias_grad_norm_clipped = NAN;
	s->dead_fraction = s->saturated_fraction = s->zero_grad_fraction = NAN;
	s->update_ratio = NAN;
	if (all) {
		s->delta_norm = net->backward_logged ? layer->delta_norm
						 : RNAME(norm)(layer->pre_grad,
							       (size_t)net->batch * layer->fan_out);
		/* taken by the last update, when it was a logged one */
		s->weight_norm = net->weight_norm_current ? net->weight_norm_after[l]
							  : RNAME(network_weight_norm)(net, l);
		s->zero_grad_fraction = (double)tiny / (double)weights;
		if (!layer->is_output)
			activity(net, layer, s, taken, scratch);
	}
	double *norms = net->norm_scratch + 4 * l;
	norms[0] = s->weight_grad_norm;
	norms[1] = s->bias_grad_norm;
	norms[2] = layer->gamma ? s->norm_weight_grad_norm : 0;
	norms[3] = layer->gamma ? s->norm_bias_grad_norm : 0;
}

struct measure_context {
	network *net;
	struct layer_stats *stats;
	bool all, taken;
};

/* Worker me's layers, as tiles.c shared them. */
static void measure_task(void *context, int me, int workers)
{
	const struct measure_context *c = context;
	for (int l = 0; l < c->net->layer_count; l++)
		if (network_worker_takes(&c->net->layers[l], me, workers))
			measure_layer(c->net, l, c->stats, c->all, c->taken,
				      c->net->unit_scratch + (size_t)me * c->net->unit_scratch_size);
}

double RNAME(network_measure)(network *net, struct layer_stats *stats, bool all)
{
	/* layers are measured on their own: shared among the workers as tiles.c gave them,
	 * when there is more to do than read what the backward and the update took */
	/* what the last backward took (tiles.c's backward_layer) */
	bool taken = net->grad_norms && (net->backward_logged || !all);
	bool passes = !taken || (all && !net->weight_norm_current);
	struct measure_context context = {net, stats, all, taken};
	workers_run(passes ? net->workers : 1, measure_task, &context);
	return global_norm(net);
}

double RNAME(network_clip)(network *net, struct layer_stats *stats, double grad_norm)
{
	net->grad_norms = false; /* what the backward took is the gradients' before clipping */
	int n = (int)net->parameter_count;
	double after = grad_norm;
	if (net->clip_norm > 0) {
		/* as torch.nn.utils.clip_grad_norm_: scale by max / (norm + 1e-6) when below 1 */
		double scale = (double)net->clip_norm / (grad_norm + 1e-6);
		if (scale < 1) {
			/* not beside the tiles' threads of ours, spinning between their regions */
			blas_threads_fit(net->tiles > 1 ? 0 : (double)n);
			BLAS(scal)(n, (real)scale, net->gradients, 1);
			after = grad_norm * scale;
		}
		for (int l = 0; l < net->layer_count; l++) {
			stats[l].weight_grad_norm_clipped = stats[l].weight_grad_norm * fmin(scale, 1);
			stats[l].bias_grad_norm_clipped = stats[l].bias_grad_norm * fmin(scale, 1);
		}
	}
	if (net->clip_value > 0) {
		real limit = net->clip_value;
		for (int i = 0; i < n; i++)
			net->gradients[i] = net->gradients[i] > limit    ? limit
					    : net->gradients[i] < -limit ? -limit
									 : net->gradients[i];
		for (int l = 0; l < net->layer_count; l++) {
			const dense_layer *layer = &net->layers[l];
			stats[l].weight_grad_norm_clipped =
				RNAME(norm)(layer->weight_grad, (size_t)layer->fan_out * layer->fan_in);
			stats[l].bias_grad_norm_clipped = RNAME(norm)(layer->bias_grad, (size_t)layer->fan_out);
			double *scratch = net->norm_scratch + 4 * l;
			scratch[0] = stats[l].weight_grad_norm_clipped;
			scratch[1] = stats[l].bias_grad_norm_clipped;
			scratch[2] = layer->gamma ? RNAME(norm)(layer->gamma_grad, (size_t)layer->fan_out) : 0;
			scratch[3] = layer->gamma ? RNAME(norm)(layer->beta_grad, (size_t)layer->fan_out) : 0;
		}
		after = global_norm(net);
	}
	return after;
}

double RNAME(network_accuracy)(const network *net)
{
	if (!net->labels || net->loss != LOSS_CROSS_ENTROPY)
		return NAN;
	return RNAME(accuracy)(net->layers[net->layer_count - 1].out, net->labels, net->active,
			       net->outputs);
}

/* The operations of model.h that the functions above do not already implement. */

static int RNAME(network_layer_count)(const network *net)
{
	return net->layer_count;
}

static void RNAME(network_compute_gradients)(network *net, const struct dataset *data,
					     const uint32_t *rows, bool logged,
					     struct step_stats *step)
{
	RNAME(network_load_batch)(net, data, rows);
	step->loss = RNAME(network_forward)(net);
	step->accuracy = RNAME(network_accuracy)(net);
	RNAME(network_backward)(net, logged);
}

/* Mean loss and accuracy over rows [first, first + count), in batch-sized pieces. */
static void RNAME(network_evaluate)(network *net, const struct dataset *data, int64_t first,
				    int64_t count, double *loss, double *accuracy)
{
	double loss_sum = 0, correct = 0;
	net->training = false; /* batchnorm normalises with its running statistics */
	for (int64_t done = 0; done < count; done += net->batch) {
		int rows = (int)(count - done < net->batch ? count - done : net->batch);
		RNAME(network_load_rows)(net, data, first + done, rows);
		loss_sum += RNAME(network_forward)(net) * rows;
		correct += RNAME(network_accuracy)(net) * rows;
	}
	net->training = true;
	*loss = loss_sum / (double)count;
	*accuracy = correct / (double)count;
}

static void RNAME(network_layer_parameters)(const network *net, int l,
					    struct layer_parameters *p)
{
	const dense_layer *layer = &net->layers[l];
	p->weight = layer->weight;
	p->weight_bytes = sizeof(real) * (size_t)layer->fan_out * (size_t)layer->fan_in;
	p->bias = layer->bias;
	p->bias_bytes = sizeof(real) * (size_t)layer->fan_out;
	p->norm_weight = layer->gamma;
	p->norm_bias = layer->beta;
	p->norm_bytes = layer->gamma ? p->bias_bytes : 0;
	bool trained = layer->residual && net->learn_alpha;
	p->alpha = trained ? &net->alpha[layer->block] : NULL;
	p->alpha_bytes = trained ? sizeof(real) : 0;
}

static int RNAME(network_block_count)(const network *net)
{
	return net->block_count;
}

static void RNAME(network_measure_blocks)(const network *net, struct block_stats *blocks)
{
	for (int b = 0; b < net->block_count; b++)
		blocks[b] = (struct block_stats){net->alpha[b], net->alpha_grad[b]};
}

/* The model_ops table of this dtype: each operation's entry takes the network as void *
 * and calls RNAME(network_NAME). */

static void *create(const struct spec *spec, struct rng *rng)
{
	return RNAME(network_new)(spec, rng);
}

static void destroy(void *net)
{
	RNAME(network_free)(net);
}

#define MODEL_ENTRY(type, name, qualifier, parameters, arguments)                          \
	static type entry_##name(qualifier void *net MODEL_LIST parameters)                \
	{                                                                                  \
		MODEL_RETURN_##type RNAME(network_##name)(net MODEL_LIST arguments);       \
	}
MODEL_OPERATIONS(MODEL_ENTRY)
#undef MODEL_ENTRY

const struct model_ops RNAME(model_ops) = {
	.create = create,
	.destroy = destroy,
#define MODEL_SLOT(type, name, qualifier, parameters, arguments) .name = entry_##name,
	MODEL_OPERATIONS(MODEL_SLOT)
#undef MODEL_SLOT
};
