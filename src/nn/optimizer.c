/* The optimizers: one step of SGD (momentum, Nesterov, weight decay) as torch.optim.SGD,
 * Adam as torch.optim.Adam and AdamW as torch.optim.AdamW, over the flat parameter,
 * gradient and state arrays of a network (llm.c keeps its update step apart the same
 * way). Compiled per dtype (see real.h).
 *
 * On a logged step the update also records what it adds to each parameter, in the same
 * pass: the update ratio needs no copy of the parameters from before. Both variants
 * compute the same expressions, so logging never changes a run. Each loop is free of
 * branches, so that the compiler vectorises it. */
#include "nn/network.h"

#include <math.h>

#include "nn/vector_math.h"
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

VECTOR_CLONES static void sgd_step(struct RNAME(network) *net, real learning_rate, real *change)
{
	size_t n = net->parameter_count;
	real *w = net->parameters, *v = net->velocity;
	const real *grad = net->gradients;
	/* g = dL/dw + decay w (an L2 penalty, as torch.optim.SGD); w is finite here (a
	 * non-finite loss stops the run before its update), so decay 0 adds exactly 0 */
	real decay = net->weight_decay, momentum = net->momentum;
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

/* Adam: m = b1 m + (1 - b1) g, s = b2 s + (1 - b2) g^2,
 * w -= lr / (1 - b1^t) m / (sqrt(s) / sqrt(1 - b2^t) + eps). AdamW first shrinks w by
 * (1 - lr decay); Adam adds decay w to g. */
VECTOR_CLONES static void adam_step(struct RNAME(network) *net, real learning_rate, real *change)
{
	size_t n = net->parameter_count;
	real *w = net->parameters, *m = net->velocity, *s = net->second_moment;
	const real *grad = net->gradients;
	real b1 = net->beta1, b2 = net->beta2, eps = net->eps;
	/* multiplying by 1 and adding 0 times a finite w are exact: one loop for both */
	real shrink = net->optimizer == OPTIMIZER_ADAMW ? 1 - learning_rate * net->weight_decay : 1;
	real decay = net->optimizer == OPTIMIZER_ADAM ? net->weight_decay : 0;
	double t = (double)net->updates;
	real step_size = (real)(learning_rate / (1 - pow(b1, t)));
	real correction = (real)sqrt(1 - pow(b2, t));
	UPDATE_EACH(real g = grad[i] + decay * w[i]; m[i] = b1 * m[i] + (1 - b1) * g;
		    s[i] = b2 * s[i] + (1 - b2) * g * g;
		    updated = w[i] * shrink - step_size * m[i] / (REAL_SQRT(s[i]) / correction + eps));
}

void RNAME(network_update)(struct RNAME(network) *net, real learning_rate,
			   struct layer_stats *layers)
{
	net->updates++;
	real *change = layers ? net->change : NULL;
	if (net->optimizer == OPTIMIZER_SGD)
		sgd_step(net, learning_rate, change);
	else
		adam_step(net, learning_rate, change);
	/* ||W after - W before|| / ||W before||, the denominator measured before the step */
	for (int l = 0; layers && l < net->layer_count; l++) {
		const struct RNAME(dense_layer) *layer = &net->layers[l];
		size_t weights = (size_t)layer->fan_out * layer->fan_in;
		layers[l].update_ratio = RNAME(norm)(change + (layer->weight - net->parameters),
						     weights) /
					 layers[l].weight_norm;
	}
}
