/* The forward and backward passes of a network, layer by layer and stage by stage, in
 * row tiles on up to two threads (network.h: NETWORK_TILES, tiles, workers).
 *
 * Every row goes forward and back on its own unless the network has batchnorm: the
 * batch is cut into two halves, and each half goes through every layer's forward, and
 * back through every layer's stages and input gradient, with no exchange between them.
 * What sums over the rows waits at one barrier for both halves: each layer's weight and
 * bias gradients, taken over the whole batch by one worker (layers shared out by their
 * size) with their norms while they are in cache, and the alphas' and the norms' scale
 * and shift gradients, added from the two halves' partial sums. Products run on one
 * OpenBLAS thread each: two threads (workers.h) that wait for nothing but that barrier
 * and the ends of the passes, where products split among OpenBLAS's threads woke and
 * joined them three times per layer (20 x 256: 152 -> 183 steps/s).
 *
 * A network whose products are all below blas_threads.h's threshold, or with batchnorm
 * (its statistics are over the whole batch), and any run on more than two threads keep
 * the batch whole, on one thread of ours, each product on as many OpenBLAS threads as
 * its size is worth: halves of a 64-row batch at width 64 ran 13% slower on one
 * thread, and two tiles would leave a bigger machine's other cores idle.
 *
 * The halves depend on the shapes only (up to two threads), and each product and sum
 * covers the same entries in the same order on one thread or two, so those counts give
 * the same result to the bit. */
#include "nn/network.h"
#include "nn/blas_threads.h"
#include "nn/ops.h"
#include "nn/workers.h"

#include "util/norm.h"

typedef struct RNAME(network) network;
typedef struct RNAME(dense_layer) dense_layer;

/* The rows [*first, *first + *rows) of tile `tile` of n rows in `tiles` tiles: the first
 * takes the odd row. */
static void tile_rows(int n, int tile, int tiles, int *first, int *rows)
{
	int half = tiles > 1 ? (n + 1) / 2 : n;
	*first = tile ? half : 0;
	*rows = tile ? n - half : half;
}

void RNAME(tiled_plan)(network *net, int threads)
{
	/* halves when a product is worth a second thread (blas_threads.h) and the rows are
	 * independent; the same on one thread or two, so that a sweep's one-thread run and
	 * a run of its own on two cores agree to the bit. With more threads than tiles the
	 * batch stays whole and each product takes all of them from OpenBLAS, which two
	 * tiles would leave idle. */
	double largest = 0;
	for (int l = 0; l < net->layer_count; l++) {
		double product = (double)net->batch * net->layers[l].fan_in * net->layers[l].fan_out;
		largest = product > largest ? product : largest;
	}
	bool rows_apart = net->norm != NORM_BATCHNORM;
	net->tiles = rows_apart && largest >= BLAS_THREADED_MIN && threads <= NETWORK_TILES
			     ? NETWORK_TILES
			     : 1;
	RNAME(tiled_share)(net, threads);
}

void RNAME(tiled_share)(network *net, int threads)
{
	net->workers = workers_start(threads < net->tiles ? threads : net->tiles);
	/* each layer goes to the worker with the least multiply-adds so far, from the
	 * output side, in the order the barrier releases them */
	double load[NETWORK_TILES] = {0};
	for (int l = net->layer_count - 1; l >= 0; l--) {
		int least = 0;
		for (int w = 1; w < net->workers; w++)
			least = load[w] < load[least] ? w : least;
		net->layers[l].worker = least;
		load[least] += (double)net->layers[l].fan_in * net->layers[l].fan_out;
	}
}

/* With the batch whole, a product of this size may take OpenBLAS's threads; tiles are
 * the threads otherwise (fit_tiles). */
static void fit_product(const network *net, int rows, const dense_layer *layer)
{
	if (net->tiles == 1)
		blas_threads_fit((double)rows * layer->fan_in * layer->fan_out);
}

static void stage_forward(network *net, dense_layer *layer, enum network_stage stage,
			  int first, int rows)
{
	size_t offset = (size_t)first * layer->fan_out, units = (size_t)rows * layer->fan_out;
	switch (stage) {
	case STAGE_NORM:
		if (layer->gamma && net->norm == NORM_LAYERNORM)
			RNAME(layernorm_forward)(layer->normed + offset, layer->xhat + offset,
						 layer->rstd + first, layer->norm_in + offset,
						 layer->gamma, layer->beta, rows, layer->fan_out,
						 net->norm_eps);
		if (layer->gamma && net->norm == NORM_BATCHNORM) /* one tile: the batch */
			RNAME(batchnorm_forward)(layer->normed, layer->xhat, layer->rstd,
						 layer->norm_in, layer->gamma, layer->beta,
						 layer->running_mean, layer->running_var, rows,
						 layer->fan_out, net->norm_eps, net->norm_momentum,
						 net->training, net->column_scratch);
		break;
	case STAGE_ACTIVATION:
		RNAME(activation_forward)(layer->act + offset, layer->act_in + offset, units,
					  layer->activation, net->slope);
		break;
	case STAGE_RESIDUAL:
		if (layer->residual)
			RNAME(residual_forward)(layer->sum + offset, layer->skip + offset,
						layer->operand + offset, net->alpha[layer->block],
						units);
		break;
	}
}

/* Layer l's forward for the tile's rows: the linear map, then its stages in the form's
 * order. */
static void forward_tile_layer(network *net, int l, int tile)
{
	int first, rows;
	tile_rows(net->active, tile, net->tiles, &first, &rows);
	if (!rows)
		return;
	dense_layer *layer = &net->layers[l];
	const real *x = l ? net->layers[l - 1].out + (size_t)first * layer->fan_in
			  : net->input + (size_t)first * net->inputs;
	size_t offset = (size_t)first * layer->fan_out;
	/* an activation that reads z directly (every stage before it is a no-op) is applied
	 * in the pass that adds the bias */
	bool fused = !layer->is_output && layer->act_in == layer->pre;
	fit_product(net, rows, layer);
	if (fused)
		RNAME(dense_activation_forward)(layer->act + offset, layer->pre + offset, x,
						layer->weight, layer->bias, rows, layer->fan_in,
						layer->fan_out, layer->activation, net->slope);
	else
		RNAME(dense_forward)(layer->pre + offset, x, layer->weight, layer->bias, rows,
				     layer->fan_in, layer->fan_out);
	for (int i = 0; !layer->is_output && i < 3; i++) {
		enum network_stage stage = network_stage_at(net->form, i);
		if (!fused || stage != STAGE_ACTIVATION)
			stage_forward(net, layer, stage, first, rows);
	}
}

/* A stage's backward for the tile's rows. What sums over the rows goes to the tile's
 * own partial sums: the first tile's scale and shift gradients into the layer's, the
 * second's into tile_norm_grad; the alpha's into tile_alpha_grad. */
static void stage_backward(network *net, dense_layer *layer, enum network_stage stage,
			   int tile, int first, int rows, bool logged)
{
	size_t offset = (size_t)first * layer->fan_out, units = (size_t)rows * layer->fan_out;
	real *norm_in_grad = RNAME(network_grad_of)(net, layer->norm_in) + offset;
	real *normed_grad = RNAME(network_grad_of)(net, layer->normed) + offset;
	switch (stage) {
	case STAGE_NORM:
		if (layer->gamma && net->norm == NORM_LAYERNORM) {
			real *scale_grad = tile ? layer->tile_norm_grad : layer->gamma_grad;
			RNAME(layernorm_backward)(norm_in_grad, scale_grad,
						  scale_grad + layer->fan_out, normed_grad,
						  layer->xhat + offset, layer->rstd + first,
						  layer->gamma, rows, layer->fan_out);
		}
		if (layer->gamma && net->norm == NORM_BATCHNORM) /* one tile: the batch */
			RNAME(batchnorm_backward)(norm_in_grad, layer->gamma_grad, layer->beta_grad,
						  normed_grad, layer->xhat, layer->rstd, layer->gamma,
						  rows, layer->fan_out, net->column_scratch);
		break;
	case STAGE_ACTIVATION: {
		real *dz = RNAME(network_grad_of)(net, layer->act_in) + offset;
		const real *da = RNAME(network_grad_of)(net, layer->act) + offset;
		const real *z = layer->act_in + offset, *a = layer->act + offset;
		/* in a plain network the activation's dz is the delta, pre_grad, written by
		 * this pass alone: it sets it, and takes its norm on a logged step */
		if (net->plain && logged)
			layer->tile_saturated[tile] = RNAME(activation_backward_set_norm)(
				dz, da, z, a, units, layer->activation, net->slope,
				&layer->tile_delta_norm[tile]);
		else
			layer->tile_saturated[tile] =
				(net->plain ? RNAME(activation_backward_set)
					    : RNAME(activation_backward))(dz, da, z, a, units,
									  layer->activation,
									  net->slope);
		break;
	}
	case STAGE_RESIDUAL:
		if (layer->residual)
			layer->tile_alpha_grad[tile] = RNAME(residual_backward)(
				RNAME(network_grad_of)(net, layer->skip) + offset,
				RNAME(network_grad_of)(net, layer->operand) + offset,
				RNAME(network_grad_of)(net, layer->sum) + offset,
				layer->operand + offset, net->alpha[layer->block], units);
		break;
	}
}

/* Layer l's stages backward, in reverse, and its input gradient for the tile's rows.
 * Layers go in reverse, so a buffer's gradient is complete before it is read. */
static void backward_tile_layer(network *net, int l, int tile, bool logged)
{
	int first, rows;
	tile_rows(net->batch, tile, net->tiles, &first, &rows);
	dense_layer *layer = &net->layers[l];
	layer->tile_saturated[tile] = 0;
	layer->tile_delta_norm[tile] = 0;
	layer->tile_alpha_grad[tile] = 0;
	if (!rows)
		return;
	for (int i = 2; !layer->is_output && i >= 0; i--)
		stage_backward(net, layer, network_stage_at(net->form, i), tile, first, rows,
			       logged);
	if (!l) /* no gradient for the data */
		return;
	/* dx (rows, in) = delta (rows, out) W (out, in): set in a plain network, where it is
	 * the only writer (see network.h), added to the skip path's otherwise */
	fit_product(net, rows, layer);
	RNAME(dense_input_backward)(
		RNAME(network_grad_of)(net, net->layers[l - 1].out) + (size_t)first * layer->fan_in,
		layer->pre_grad + (size_t)first * layer->fan_out, layer->weight, rows, layer->fan_in,
		layer->fan_out, !net->plain);
}

/* A layer's weight and bias gradients over the whole batch and their norms while they
 * are in cache (network_measure's, to the bit; with the count of tiny entries on a
 * logged step), then what the tiles summed apart; on a logged step also what measure
 * would otherwise take in a pass of its own: the delta norm (where the tiles did not
 * take it) and the dead relus, with scratch for them. */
static void backward_layer(network *net, int l, bool logged, real *scratch)
{
	dense_layer *layer = &net->layers[l];
	const real *x = l ? net->layers[l - 1].out : net->input;
	fit_product(net, net->batch, layer);
	RNAME(dense_weight_backward)(layer->weight_grad, layer->bias_grad, layer->pre_grad, x,
				     net->batch, layer->fan_in, layer->fan_out);
	RNAME(network_gradient_norms)(layer, logged, &layer->weight_grad_norm,
				      &layer->bias_grad_norm, &layer->grad_tiny);
	double alpha_grad = 0;
	layer->saturated = 0;
	for (int tile = 0; tile < net->tiles; tile++) {
		layer->saturated += layer->tile_saturated[tile];
		alpha_grad += layer->tile_alpha_grad[tile];
	}
	if (layer->residual)
		net->alpha_grad[layer->block] += (real)alpha_grad;
	for (int j = 0; net->tiles > 1 && layer->gamma && j < 2 * layer->fan_out; j++)
		layer->gamma_grad[j] += layer->tile_norm_grad[j]; /* beta_grad follows */
	if (!logged)
		return;
	size_t units = (size_t)net->batch * layer->fan_out;
	/* combined with scaling, as every norm: vanishing deltas are not squared to zero */
	layer->delta_norm = net->plain && !layer->is_output
				    ? norm_combine(layer->tile_delta_norm, (size_t)net->tiles)
				    : RNAME(norm)(layer->pre_grad, units);
	if (!layer->is_output && layer->activation == ACT_RELU)
		layer->dead_units = RNAME(dead_units)(layer->act_in, net->batch, layer->fan_out,
						      scratch);
}

/* With tiles, one OpenBLAS thread per product: the tiles are the threads (the whole
 * batch's products choose theirs in fit_product). */
static void fit_tiles(const network *net)
{
	if (net->tiles > 1)
		blas_threads_fit(0);
}

/* Worker me's tiles, forward through every layer. */
static void forward_task(void *context, int me, int workers)
{
	network *net = context;
	for (int tile = me; tile < net->tiles; tile += workers)
		for (int l = 0; l < net->layer_count; l++)
			forward_tile_layer(net, l, tile);
}

void RNAME(tiled_forward)(network *net)
{
	fit_tiles(net);
	if (net->workers == 1) { /* a layer at a time, while its weights are in cache */
		for (int l = 0; l < net->layer_count; l++)
			for (int tile = 0; tile < net->tiles; tile++)
				forward_tile_layer(net, l, tile);
		return;
	}
	workers_run(net->workers, forward_task, net);
}

struct backward_context {
	network *net;
	bool logged;
};

/* Worker me's tiles back through every layer; at the barrier, both halves are done, and
 * the worker takes its layers' weight gradients. */
static void backward_task(void *context, int me, int workers)
{
	const struct backward_context *c = context;
	network *net = c->net;
	for (int tile = me; tile < net->tiles; tile += workers)
		for (int l = net->layer_count - 1; l >= 0; l--)
			backward_tile_layer(net, l, tile, c->logged);
	workers_barrier(workers);
	for (int l = net->layer_count - 1; l >= 0; l--)
		if (network_worker_takes(&net->layers[l], me, workers))
			backward_layer(net, l, c->logged,
				       net->unit_scratch + (size_t)me * net->unit_scratch_size);
}

void RNAME(tiled_backward)(network *net, bool logged)
{
	net->grad_norms = true;
	net->backward_logged = logged;
	fit_tiles(net);
	if (net->workers == 1) { /* a layer at a time, while its deltas are in cache */
		for (int l = net->layer_count - 1; l >= 0; l--) {
			for (int tile = 0; tile < net->tiles; tile++)
				backward_tile_layer(net, l, tile, logged);
			backward_layer(net, l, logged, net->unit_scratch);
		}
		return;
	}
	struct backward_context context = {net, logged};
	workers_run(net->workers, backward_task, &context);
}
