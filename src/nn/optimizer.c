/* The optimizers: one step of SGD (momentum, Nesterov, weight decay) as torch.optim.SGD,
 * Adam as torch.optim.Adam and AdamW as torch.optim.AdamW, over the flat parameter,
 * gradient and state arrays of a network (llm.c keeps its update step apart the same
 * way). Compiled per dtype (see real.h).
 *
 * A logged update also measures, in the same pass, each layer's update ratio ||W after -
 * W before|| / ||W before|| and the norm of its weights after the step: it updates the
 * weights a chunk (NETWORK_UPDATE_CHUNK entries) at a time, keeping what it added to
 * the chunk in a chunk-sized buffer, and takes both norms while the chunk is still in
 * the first-level cache. No copy of the parameters is made, and the next logged step's
 * weight_norm is the norm taken here, not another pass over the weights. Both variants
 * compute the same expressions, so logging never changes a run. Each loop is free of
 * branches, so that the compiler vectorises it. */
#include "nn/network.h"

#include <math.h>

#include "nn/vector_math.h"
#include "nn/workers.h"
#include "util/norm.h"

/* Runs `step`, which sets `updated` from w[i] and the state at i, for every parameter i
 * < n, then stores it into w[i], and on a logged step (change not NULL) what it added
 * into change[i]. */
#define UPDATE_EACH(step)                                                                  \
	do {                                                                               \
		if (change) {                                                              \
			for (size_t i = 0; i < n; i++) {                                   \
				real updated;                                              \
				step;                                                      \
				change[i] = updated - w[i];                                \
				w[i] = updated;                                            \
			}                                                                  \
		} else {                                                                   \
			for (size_t i = 0; i < n; i++) {                                   \
				real updated;                                              \
				step;                                                      \
				w[i] = updated;                                            \
			}                                                                  \
		}                                                                          \
	} while (0)

/* The scalars of one update, the same for every parameter. */
struct update {
	struct RNAME(network) *net;
	real learning_rate;
	real step_size, correction; /* adam's: lr / (1 - b1^t) and sqrt(1 - b2^t) */
};

/* SGD on parameters [first, first + n). */
VECTOR_CLONES static void sgd_step(const struct update *u, size_t first, size_t n, real *change)
{
	struct RNAME(network) *net = u->net;
	real *w = net->parameters + first, *v = net->velocity + first;
	const real *grad = net->gradients + first;
	/* g = dL/dw + decay w (an L2 penalty, as torch.optim.SGD); w is finite here (a
	 * non-finite loss stops the run before its update), so decay 0 adds exactly 0 */
	real learning_rate = u->learning_rate, decay = net->weight_decay, momentum = net->momentum;
	real learning_momentum = learning_rate * momentum;
	if (momentum == 0) /* w -= lr g */
		UPDATE_EACH(updated = w[i] - learning_rate * (grad[i] + decay * w[i]));
	else if (net->nesterov) /* v = momentum v + g, w -= lr (g + momentum v) */
		UPDATE_EACH(real g = grad[i] + decay * w[i]; v[i] = momentum * v[i] + g;
			    updated = w[i] - learning_rate * g - learning_momentum * v[i]);
	else /* v = momentum v + g, w -= lr v */
		UPDATE_EACH(v[i] = momentum * v[i] + (grad[i] + decay * w[i]);
			    updated = w[i] - learning_rate * v[i]);
}

/* Adam on parameters [first, first + n): m = b1 m + (1 - b1) g, s = b2 s + (1 - b2) g^2,
 * w -= lr / (1 - b1^t) m / (sqrt(s) / sqrt(1 - b2^t) + eps). AdamW first shrinks w by
 * (1 - lr decay); Adam adds decay w to g. */
VECTOR_CLONES static void adam_step(const struct update *u, size_t first, size_t n, real *change)
{
	struct RNAME(network) *net = u->net;
	real *w = net->parameters + first, *m = net->velocity + first;
	real *s = net->second_moment + first;
	const real *grad = net->gradients + first;
	real b1 = net->beta1, b2 = net->beta2, eps = net->eps;
	/* multiplying by 1 and adding 0 times a finite w are exact: one loop for both */
	real shrink = net->optimizer == OPTIMIZER_ADAMW ? 1 - u->learning_rate * net->weight_decay
							: 1;
	real decay = net->optimizer == OPTIMIZER_ADAM ? net->weight_decay : 0;
	real step_size = u->step_size, correction = u->correction;
	UPDATE_EACH(real g = grad[i] + decay * w[i]; m[i] = b1 * m[i] + (1 - b1) * g;
		    s[i] = b2 * s[i] + (1 - b2) * g * g;
		    updated = w[i] * shrink - step_size * m[i] / (REAL_SQRT(s[i]) / correction + eps));
}

/* Updates parameters [first, first + n), recording what was added into change when it is
 * not NULL. */
static void update_range(const struct update *u, size_t first, size_t n, real *change)
{
	if (u->net->optimizer == OPTIMIZER_SGD)
		sgd_step(u, first, n, change);
	else
		adam_step(u, first, n, change);
}

/* The norm of a layer's weights is combined from the norms of its chunks (scaled, so a
 * vanishing or huge chunk loses nothing), so that it comes out the same to the bit
 * whether the update or network_weight_norm takes it. */
static size_t chunk_count(size_t n)
{
	return (n + NETWORK_UPDATE_CHUNK - 1) / NETWORK_UPDATE_CHUNK;
}

static size_t chunk_size(size_t n, size_t chunk)
{
	size_t first = chunk * NETWORK_UPDATE_CHUNK;
	return n - first < NETWORK_UPDATE_CHUNK ? n - first : NETWORK_UPDATE_CHUNK;
}

double RNAME(network_weight_norm)(struct RNAME(network) *net, int l)
{
	const struct RNAME(dense_layer) *layer = &net->layers[l];
	size_t weights = (size_t)layer->fan_out * layer->fan_in, chunks = chunk_count(weights);
	for (size_t c = 0; c < chunks; c++)
		layer->chunk_norms[c] = RNAME(norm)(layer->weight + c * NETWORK_UPDATE_CHUNK,
						    chunk_size(weights, c));
	return norm_combine(layer->chunk_norms, chunks);
}

/* The logged update of layer l: what lies between the previous layer's weights and its
 * own (the previous layer's bias, norm parameters) in one call, then its weights a chunk
 * at a time into `change`, with the norms of what the chunk moved and of the weights. */
static void update_layer(const struct update *u, int l, struct layer_stats *layers,
			 real *change)
{
	struct RNAME(network) *net = u->net;
	const struct RNAME(dense_layer) *layer = &net->layers[l];
	size_t first = (size_t)(layer->weight - net->parameters);
	size_t before = l ? (size_t)(net->layers[l - 1].weight - net->parameters) +
				    (size_t)net->layers[l - 1].fan_out * net->layers[l - 1].fan_in
			  : 0;
	size_t weights = (size_t)layer->fan_out * layer->fan_in, chunks = chunk_count(weights);
	double *change_norms = layer->chunk_norms, *weight_norms = change_norms + chunks;
	update_range(u, before, first - before, NULL);
	for (size_t c = 0; c < chunks; c++) {
		size_t start = first + c * NETWORK_UPDATE_CHUNK, n = chunk_size(weights, c);
		update_range(u, start, n, change);
		change_norms[c] = RNAME(norm)(change, n);
		weight_norms[c] = RNAME(norm)(net->parameters + start, n);
	}
	/* the denominator is measure's weight_norm, from before the step */
	layers[l].update_ratio = norm_combine(change_norms, chunks) / layers[l].weight_norm;
	net->weight_norm_after[l] = norm_combine(weight_norms, chunks);
}

struct update_context {
	const struct update *u;
	struct layer_stats *layers; /* NULL: an unlogged update */
	size_t count;
};

/* Worker me's share: unlogged, a piece of the flat arrays (a multiple of 64 entries, the
 * last one shorter); logged, its layers as tiles.c shared them. */
static void update_task(void *context, int me, int workers)
{
	const struct update_context *c = context;
	struct RNAME(network) *net = c->u->net;
	if (!c->layers) {
		size_t piece = ((c->count + (size_t)workers - 1) / (size_t)workers + 63) & ~(size_t)63;
		size_t first = piece * (size_t)me < c->count ? piece * (size_t)me : c->count;
		size_t n = c->count - first < piece ? c->count - first : piece;
		update_range(c->u, first, n, NULL);
		return;
	}
	for (int l = 0; l < net->layer_count; l++)
		if (network_worker_takes(&net->layers[l], me, workers))
			update_layer(c->u, l, c->layers,
				     net->update_chunk + (size_t)me * NETWORK_UPDATE_CHUNK);
}

void RNAME(network_update)(struct RNAME(network) *net, real learning_rate,
			   struct layer_stats *layers)
{
	net->updates++;
	struct update u = {net, learning_rate, 0, 0};
	if (net->optimizer != OPTIMIZER_SGD) {
		double t = (double)net->updates;
		u.step_size = (real)(learning_rate / (1 - pow(net->beta1, t)));
		u.correction = (real)sqrt(1 - pow(net->beta2, t));
	}
	net->weight_norm_current = layers != NULL;
	/* every parameter's update reads and writes its own entries only: shared among the
	 * workers (tiles.c), it comes out the same to the bit */
	size_t count = net->parameter_count;
	struct update_context context = {&u, layers, count};
	workers_run(net->workers, update_task, &context);
	if (layers) { /* what follows the last layer's weights: its bias, the alphas */
		const struct RNAME(dense_layer) *last = &net->layers[net->layer_count - 1];
		size_t done = (size_t)(last->weight - net->parameters) +
			      (size_t)last->fan_out * last->fan_in;
		update_range(&u, done, count - done, NULL);
	}
}
