/* The step of a plain network (no residual connections, no norms) in row tiles, on up to
 * two threads (network.h: NETWORK_TILES, tiles, workers).
 *
 * Every row of a plain network goes forward and back on its own: the batch is cut into
 * two halves, and each half goes through every layer's forward, and back through every
 * layer's activation and input gradient, with no exchange between them. Only the weight
 * and bias gradients sum over the rows: they wait at one barrier for both halves, then
 * each layer's is taken over the whole batch by one worker (layers shared out by their
 * size), with its norms while it is in cache. Products run on one OpenBLAS thread each:
 * two threads that wait for nothing but that barrier and the ends of the passes, where
 * products split among OpenBLAS's threads woke and joined them three times per layer
 * (20 x 256: 152 -> 183 steps/s).
 *
 * A network whose products are all below blas_threads.h's threshold keeps the batch
 * whole, on one thread, as OpenBLAS would have run them: halves of a 64-row batch at
 * width 64 ran 13% slower on one thread, and a second thread then competes with the run
 * store's writer.
 *
 * The halves depend on the shapes only, and each product and sum covers the same
 * entries in the same order on one thread or two, so the thread count never changes a
 * result. */
#include "nn/network.h"
#include "nn/blas_threads.h"
#include "nn/gemm.h"
#include "nn/ops.h"

#include <omp.h>

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

void RNAME(tiled_assign_workers)(network *net)
{
	/* halves when a product is worth a second thread (blas_threads.h); from the shapes
	 * only, so that the thread count never changes a result */
	double largest = 0;
	for (int l = 0; l < net->layer_count; l++) {
		double product = (double)net->batch * net->layers[l].fan_in * net->layers[l].fan_out;
		largest = product > largest ? product : largest;
	}
	net->tiles = net->plain && largest >= BLAS_THREADED_MIN ? NETWORK_TILES : 1;
	/* other networks run their products on OpenBLAS's threads, which a thread of ours
	 * spinning between parallel regions would compete with (3 times as slow at 20 x
	 * 256 with residual blocks) */
	int threads = net->plain ? blas_threads_count() : 1;
	net->workers = threads < net->tiles ? threads : net->tiles;
	/* each layer's weight gradient goes to the worker with the least multiply-adds so
	 * far, from the output side, in the order the barrier releases them */
	double load[NETWORK_TILES] = {0};
	for (int l = net->layer_count - 1; l >= 0; l--) {
		int least = 0;
		for (int w = 1; w < net->workers; w++)
			least = load[w] < load[least] ? w : least;
		net->layers[l].worker = least;
		load[least] += (double)net->layers[l].fan_in * net->layers[l].fan_out;
	}
}

/* Layer l's forward for the tile's rows. */
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
	if (layer->is_output)
		RNAME(dense_forward)(layer->pre + offset, x, layer->weight, layer->bias, rows,
				     layer->fan_in, layer->fan_out);
	else
		RNAME(dense_activation_forward)(layer->act + offset, layer->pre + offset, x,
						layer->weight, layer->bias, rows, layer->fan_in,
						layer->fan_out, layer->activation, net->slope);
}

/* Layer l's deltas (the activation's backward writes them: pre_grad, as act_in is pre)
 * and input gradient for the tile's rows; a logged step also takes the norm of the
 * tile's deltas as it writes them. */
static void backward_tile_layer(network *net, int l, int tile, bool logged)
{
	int first, rows;
	tile_rows(net->batch, tile, net->tiles, &first, &rows);
	dense_layer *layer = &net->layers[l];
	size_t offset = (size_t)first * layer->fan_out, units = (size_t)rows * layer->fan_out;
	layer->tile_saturated[tile] = 0;
	layer->tile_delta_norm[tile] = 0;
	if (!rows)
		return;
	real *delta = layer->pre_grad + offset;
	const real *act_grad = RNAME(network_grad_of)(net, layer->act) + offset;
	if (!layer->is_output && logged)
		layer->tile_saturated[tile] = RNAME(activation_backward_set_norm)(
			delta, act_grad, layer->pre + offset, layer->act + offset, units,
			layer->activation, net->slope, &layer->tile_delta_norm[tile]);
	else if (!layer->is_output)
		layer->tile_saturated[tile] = RNAME(activation_backward_set)(
			delta, act_grad, layer->pre + offset, layer->act + offset, units,
			layer->activation, net->slope);
	if (l) /* dx (rows, in) = delta (rows, out) W (out, in) */
		gemm(RNAME(network_grad_of)(net, net->layers[l - 1].out) +
			     (size_t)first * layer->fan_in,
		     delta, false, layer->weight, false, rows, layer->fan_in, layer->fan_out, 1,
		     0);
}

/* A layer's weight and bias gradients over the whole batch, their norms while they are
 * in cache (network_measure's, to the bit; with the count of tiny entries on a logged
 * step), and what the tiles counted. */
static void backward_layer(network *net, int l, bool logged)
{
	dense_layer *layer = &net->layers[l];
	const real *x = l ? net->layers[l - 1].out : net->input;
	size_t weights = (size_t)layer->fan_out * layer->fan_in;
	RNAME(dense_weight_backward)(layer->weight_grad, layer->bias_grad, layer->pre_grad, x,
				     net->batch, layer->fan_in, layer->fan_out);
	layer->grad_tiny = 0;
	layer->weight_grad_norm = logged ? RNAME(norm_tiny)(layer->weight_grad, weights,
							    &layer->grad_tiny)
					 : RNAME(norm)(layer->weight_grad, weights);
	layer->bias_grad_norm = RNAME(norm)(layer->bias_grad, (size_t)layer->fan_out);
	layer->saturated = 0;
	for (int tile = 0; tile < net->tiles; tile++)
		layer->saturated += layer->tile_saturated[tile];
	/* combined with scaling, as every norm: vanishing deltas are not squared to zero */
	layer->delta_norm = norm_combine(layer->tile_delta_norm, (size_t)net->tiles);
}

void RNAME(tiled_forward)(network *net)
{
	blas_threads_fit(0); /* one OpenBLAS thread per product: the tiles are the threads */
	if (net->workers == 1) { /* a layer at a time, while its weights are in cache */
		for (int l = 0; l < net->layer_count; l++)
			for (int tile = 0; tile < net->tiles; tile++)
				forward_tile_layer(net, l, tile);
		return;
	}
#pragma omp parallel num_threads(net->workers)
	{
		int me = omp_get_thread_num(), workers = omp_get_num_threads();
		for (int tile = me; tile < net->tiles; tile += workers)
			for (int l = 0; l < net->layer_count; l++)
				forward_tile_layer(net, l, tile);
	}
}

void RNAME(tiled_backward)(network *net, bool logged)
{
	blas_threads_fit(0);
	net->delta_norms = logged;
	net->grad_norms = true;
	net->grad_norms_logged = logged;
	if (net->workers == 1) { /* a layer at a time, while its deltas are in cache */
		for (int l = net->layer_count - 1; l >= 0; l--) {
			for (int tile = 0; tile < net->tiles; tile++)
				backward_tile_layer(net, l, tile, logged);
			backward_layer(net, l, logged);
		}
		return;
	}
#pragma omp parallel num_threads(net->workers)
	{
		int me = omp_get_thread_num(), workers = omp_get_num_threads();
		for (int tile = me; tile < net->tiles; tile += workers)
			for (int l = net->layer_count - 1; l >= 0; l--)
				backward_tile_layer(net, l, tile, logged);
#pragma omp barrier
		for (int l = net->layer_count - 1; l >= 0; l--)
			if (net->layers[l].worker % workers == me)
				backward_layer(net, l, logged);
	}
}
