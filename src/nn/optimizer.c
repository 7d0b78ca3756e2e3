/* The optimizers: one step of SGD (momentum, Nesterov, weight decay) as torch.optim.SGD,
 * Adam as torch.optim.Adam and AdamW as torch.optim.AdamW, over the flat parameter,
 * gradient and state arrays of a network (llm.c keeps its update step apart the same
 * way). Compiled per dtype (see real.h).
 *
 * On a logged step the update also records what it added to each parameter, in the
 * same pass: the update ratio needs no copy of the parameters from before. The loops
 * are the same whether they record or not, so logging never changes a run. */
#include "nn/network.h"

#include <math.h>

#include "util/norm.h"

/* w[i] = updated, and change[i] = updated - w[i] when change is given. */
static inline void apply(real *w, real *change, size_t i, real updated)
{
	if (change)
		change[i] = updated - w[i];
	w[i] = updated;
}

static void sgd_step(struct RNAME(network) *net, real learning_rate, real *change)
{
	size_t n = net->parameter_count;
	real *w = net->parameters, *v = net->velocity;
	const real *grad = net->gradients;
	real decay = net->weight_decay, momentum = net->momentum;
	bool decays = decay != 0;
	for (size_t i = 0; i < n; i++) {
		/* g = dL/dw + decay w (an L2 penalty, as torch.optim.SGD) */
		real g = decays ? grad[i] + decay * w[i] : grad[i];
		if (momentum == 0) {
			/* w -= lr g */
			apply(w, change, i, w[i] - learning_rate * g);
			continue;
		}
		/* v = momentum v + g; w -= lr (g + momentum v) with Nesterov, else lr v */
		v[i] = momentum * v[i] + g;
		apply(w, change, i,
		      net->nesterov ? w[i] - learning_rate * g - learning_rate * momentum * v[i]
				    : w[i] - learning_rate * v[i]);
	}
}

/* Adam: m = b1 m + (1 - b1) g, s = b2 s + (1 - b2) g^2,
 * w -= lr / (1 - b1^t) m / (sqrt(s) / sqrt(1 - b2^t) + eps). AdamW first shrinks w by
 * (1 - lr decay); Adam adds decay w to g. */
static void adam_step(struct RNAME(network) *net, real learning_rate, real *change)
{
	size_t n = net->parameter_count;
	real *w = net->parameters, *m = net->velocity, *s = net->second_moment;
	const real *grad = net->gradients;
	real b1 = net->beta1, b2 = net->beta2, decay = net->weight_decay;
	bool adamw = net->optimizer == OPTIMIZER_ADAMW && decay != 0;
	bool adam_decay = net->optimizer == OPTIMIZER_ADAM && decay != 0;
	real shrink = 1 - learning_rate * decay;
	double t = (double)net->updates;
	real step_size = (real)(learning_rate / (1 - pow(b1, t)));
	real correction = (real)sqrt(1 - pow(b2, t));
	for (size_t i = 0; i < n; i++) {
		real g = adam_decay ? grad[i] + decay * w[i] : grad[i];
		m[i] = b1 * m[i] + (1 - b1) * g;
		s[i] = b2 * s[i] + (1 - b2) * g * g;
		real shrunk = adamw ? w[i] * shrink : w[i];
		apply(w, change, i,
		      shrunk - step_size * m[i] / (REAL_SQRT(s[i]) / correction + net->eps));
	}
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
