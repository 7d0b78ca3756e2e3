/* The optimizers: one step of SGD (momentum, Nesterov, weight decay) as torch.optim.SGD,
 * Adam as torch.optim.Adam and AdamW as torch.optim.AdamW, over the flat parameter,
 * gradient and state arrays of a network (llm.c keeps its update step apart the same
 * way). Compiled per dtype (see real.h). */
#include "nn/network.h"

#include <math.h>

#include "nn/blas_threads.h"

static void sgd_step(struct RNAME(network) *net, real learning_rate)
{
	int n = (int)net->parameter_count;
	real *w = net->parameters, *g = net->gradients, *v = net->velocity;
	/* g += decay w (an L2 penalty, as torch.optim.SGD) */
	if (net->weight_decay != 0)
		BLAS(axpy)(n, net->weight_decay, w, 1, g, 1);
	if (net->momentum == 0) {
		/* w -= lr g */
		BLAS(axpy)(n, -learning_rate, g, 1, w, 1);
		return;
	}
	/* v = momentum v + g */
	BLAS(scal)(n, net->momentum, v, 1);
	BLAS(axpy)(n, 1, g, 1, v, 1);
	if (net->nesterov) {
		/* w -= lr (g + momentum v) */
		BLAS(axpy)(n, -learning_rate, g, 1, w, 1);
		BLAS(axpy)(n, -learning_rate * net->momentum, v, 1, w, 1);
	} else {
		/* w -= lr v */
		BLAS(axpy)(n, -learning_rate, v, 1, w, 1);
	}
}

/* Adam: m = b1 m + (1 - b1) g, s = b2 s + (1 - b2) g^2,
 * w -= lr / (1 - b1^t) m / (sqrt(s) / sqrt(1 - b2^t) + eps). AdamW first shrinks w by
 * (1 - lr decay); Adam adds decay w to g. */
static void adam_step(struct RNAME(network) *net, real learning_rate)
{
	int n = (int)net->parameter_count;
	real *w = net->parameters, *g = net->gradients, *m = net->velocity;
	real b1 = net->beta1, b2 = net->beta2, *s = net->second_moment;
	if (net->optimizer == OPTIMIZER_ADAMW && net->weight_decay != 0)
		BLAS(scal)(n, 1 - learning_rate * net->weight_decay, w, 1);
	if (net->optimizer == OPTIMIZER_ADAM && net->weight_decay != 0)
		BLAS(axpy)(n, net->weight_decay, w, 1, g, 1);
	double t = (double)net->updates;
	real step_size = (real)(learning_rate / (1 - pow(b1, t)));
	real correction = (real)sqrt(1 - pow(b2, t));
	for (int i = 0; i < n; i++) {
		m[i] = b1 * m[i] + (1 - b1) * g[i];
		s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i];
		w[i] -= step_size * m[i] / (REAL_SQRT(s[i]) / correction + net->eps);
	}
}

void RNAME(network_update)(struct RNAME(network) *net, real learning_rate)
{
	net->updates++;
	blas_threads_fit((double)net->parameter_count);
	if (net->optimizer == OPTIMIZER_SGD)
		sgd_step(net, learning_rate);
	else
		adam_step(net, learning_rate);
}
