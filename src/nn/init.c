/* Initial weights, following torch.nn.init's definitions so that a spec means the same
 * thing here as in PyTorch, with `gain` multiplying the standard deviation:
 *   xavier_uniform  U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))
 *   xavier_normal   N(0, s^2), s = gain sqrt(2 / (fan_in + fan_out))
 *   he_uniform      U(-a, a), a = gain sqrt(6 / fan_in)
 *   he_normal       N(0, s^2), s = gain sqrt(2 / fan_in)
 *   lecun_normal    N(0, s^2), s = gain sqrt(1 / fan_in)
 *   orthogonal      gain Q, Q from the QR decomposition (LAPACK) of a Gaussian matrix
 * Draws are made in double from the init stream, layer by layer, then rounded.
 * model.residual.init then adjusts residual networks, after the draws (so the draws stay
 * those of model.init): zero_last zeroes each block's last map, weight and bias; fixup
 * (Zhang et al. 2019) also zeroes the output layer and scales the block's other maps by
 * L^(-1/(2k-2)), L blocks of k maps. */
#include "nn/network.h"
#include "nn/init_scale.h"

#include <math.h>
#include <stdlib.h>

#include "util/error.h"
#include "util/strbuf.h"

/* LAPACK (shipped inside OpenBLAS): QR factorisation and forming Q. */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
	     double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
	     const double *tau, double *work, const int *lwork, int *info);

/* weight (rows, cols) = gain Q, Q with orthonormal rows or columns (whichever are
 * fewer), signs fixed by R's diagonal as torch.nn.init.orthogonal_ does. */
static int init_orthogonal(real *weight, int rows, int cols, double gain, struct rng *rng)
{
	int m = rows >= cols ? rows : cols, n = rows >= cols ? cols : rows;
	int info = 0, query = -1;
	double work_size = 0;
	double *a = xmalloc(sizeof(double) * (size_t)m * n); /* column-major (m, n) */
	double *tau = xmalloc(sizeof(double) * (size_t)n);
	double *sign = xmalloc(sizeof(double) * (size_t)n);
	double *work = NULL;
	for (size_t i = 0; i < (size_t)m * n; i++)
		a[i] = rng_normal(rng);

	dgeqrf_(&m, &n, a, &m, tau, &work_size, &query, &info);
	int lwork = (int)work_size > n ? (int)work_size : n;
	work = xmalloc(sizeof(double) * (size_t)lwork);
	dgeqrf_(&m, &n, a, &m, tau, work, &lwork, &info);
	if (info)
		goto fail;
	for (int j = 0; j < n; j++)
		sign[j] = a[(size_t)j * m + j] < 0 ? -1.0 : 1.0;
	dorgqr_(&m, &n, &n, a, &m, tau, work, &lwork, &info);
	if (info)
		goto fail;
	for (int r = 0; r < rows; r++) {
		for (int c = 0; c < cols; c++) {
			/* rows >= cols: W = Q; otherwise W = Q^T */
			double q = rows >= cols ? a[(size_t)c * m + r] * sign[c]
						: a[(size_t)r * m + c] * sign[r];
			weight[(size_t)r * cols + c] = (real)(gain * q);
		}
	}
	free(a), free(tau), free(sign), free(work);
	return 0;
fail:
	free(a), free(tau), free(sign), free(work);
	return error("orthogonal initialisation: LAPACK failed (info %d)", info);
}

static void residual_init(struct RNAME(network) *net, const struct spec *spec)
{
	int kind = spec->model.residual.init;
	if (kind == RESIDUAL_INIT_DEFAULT)
		return;
	/* block 1 has no other maps to scale: its only map is the zeroed last one */
	real fixup_scale = (real)init_fixup_scale(net->block_count,
						  (double)spec->model.residual.block);
	for (int l = 0; l < net->layer_count; l++) {
		struct RNAME(dense_layer) *layer = &net->layers[l];
		size_t count = (size_t)layer->fan_in * layer->fan_out;
		bool zeroed = layer->residual || (kind == RESIDUAL_INIT_FIXUP && layer->is_output);
		if (zeroed) {
			for (size_t i = 0; i < count; i++)
				layer->weight[i] = 0;
			for (int j = 0; j < layer->fan_out; j++)
				layer->bias[j] = 0;
		} else if (kind == RESIDUAL_INIT_FIXUP && layer->block >= 0) {
			for (size_t i = 0; i < count; i++)
				layer->weight[i] *= fixup_scale;
		}
	}
}

int RNAME(network_init_parameters)(struct RNAME(network) *net, const struct spec *spec,
				   struct rng *rng)
{
	double gain = spec->model.init.gain;
	for (int l = 0; l < net->layer_count; l++) {
		struct RNAME(dense_layer) *layer = &net->layers[l];
		double fan_in = layer->fan_in, fan_out = layer->fan_out;
		size_t count = (size_t)layer->fan_in * layer->fan_out;
		bool uniform;
		double spread = init_spread(spec->model.init.scheme, gain, fan_in, fan_out,
					    &uniform);
		if (spec->model.init.scheme == INIT_ORTHOGONAL &&
		    init_orthogonal(layer->weight, layer->fan_out, layer->fan_in, gain, rng))
			return -1;
		if (spec->model.init.scheme != INIT_ORTHOGONAL) {
			for (size_t i = 0; i < count; i++)
				layer->weight[i] = (real)(uniform
					? spread * (2 * rng_uniform(rng) - 1)
					: spread * rng_normal(rng));
		}
		for (int j = 0; j < layer->fan_out; j++)
			layer->bias[j] = (real)spec->model.init.bias;
		/* normalisation starts as the identity: scale 1, shift 0, running variance 1 */
		for (int j = 0; layer->gamma && j < layer->fan_out; j++)
			layer->gamma[j] = 1, layer->beta[j] = 0;
		for (int j = 0; layer->running_var && j < layer->fan_out; j++)
			layer->running_var[j] = 1;
	}
	residual_init(net, spec);
	return 0;
}
