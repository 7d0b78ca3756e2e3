/* The ops of the network: dense, activations, residual add, losses. Each forward is
 * followed by its backward; the finite-difference tests in tests/ check every pair. */
#include "nn/ops.h"

#include <math.h>

#include "nn/gemm.h"
#include "nn/vector_math.h"
#include "util/norm.h"
#include "util/norm_lanes.h"
#include "spec/spec.h"

void RNAME(dense_forward)(real *z, const real *x, const real *weight, const real *bias,
			  int batch, int in, int out)
{
	/* z = x W^T, then z += 1 b^T */
	gemm(z, x, false, weight, true, batch, out, in, 1, 0);
	for (int row = 0; row < batch; row++)
		for (int j = 0; j < out; j++)
			z[(size_t)row * out + j] += bias[j];
}

/* Entries of z per block of the fused pass: 16 KiB of float. */
#define FUSED_BLOCK 4096

void RNAME(dense_activation_forward)(real *a, real *z, const real *x, const real *weight,
				     const real *bias, int batch, int in, int out, int kind,
				     real slope)
{
	/* z = x W^T; then z += b and a = f(z) on blocks of rows small enough to stay in the
	 * first-level cache between the two (and large enough that the call is nothing) */
	gemm(z, x, false, weight, true, batch, out, in, 1, 0);
	int block = out < FUSED_BLOCK ? FUSED_BLOCK / out : 1;
	for (int first = 0; first < batch; first += block) {
		int rows = batch - first < block ? batch - first : block;
		real *z_block = z + (size_t)first * out;
		for (int row = 0; row < rows; row++)
			for (int j = 0; j < out; j++)
				z_block[(size_t)row * out + j] += bias[j];
		RNAME(activation_forward)(a + (size_t)first * out, z_block, (size_t)rows * out,
					  kind, slope);
	}
}

void RNAME(dense_weight_backward)(real *dweight, real *dbias, const real *dz, const real *x,
				  int batch, int in, int out)
{
	/* dW (out, in) = dz^T (out, B) x (B, in) */
	gemm(dweight, dz, true, x, false, out, in, batch, 1, 0);
	/* db (out) = column sums of dz, a row at a time (vectorised across the columns) */
	for (int j = 0; j < out; j++)
		dbias[j] = 0;
	for (int row = 0; row < batch; row++)
		for (int j = 0; j < out; j++)
			dbias[j] += dz[(size_t)row * out + j];
}

void RNAME(dense_input_backward)(real *dx, const real *dz, const real *weight, int batch,
				 int in, int out, bool accumulate)
{
	gemm(dx, dz, false, weight, false, batch, in, out, 1, accumulate ? 1 : 0);
}

/* float tanh: libmvec's vector tanhf where there is one (vector_math.h). glibc's scalar
 * tanhf goes through expm1f and dominated training time on 64-wide layers; without
 * libmvec, (e^2z - 1) / (e^2z + 1) in double is accurate to far below float's precision
 * except where e^2z - 1 cancels (|z| < 1e-4: the Taylor series is exact there in float)
 * or e^2z overflows (|z| > 10: tanh is 1 to float precision). */
#if defined(GT_REAL_DOUBLE)
#define tanh_real tanh
#elif defined(GTRACK_LIBMVEC)
#define tanh_real tanhf
#else
static inline real tanh_real(real z)
{
	double x = z;
	if (fabs(x) < 1e-4)
		return (real)(x - x * x * x / 3);
	if (fabs(x) > 10)
		return x > 0 ? 1 : -1;
	double e = exp(2 * x);
	return (real)((e - 1) / (e + 1));
}
#endif

static inline real sigmoid(real z)
{
	return 1 / (1 + REAL_EXP(-z));
}

/* GELU in PyTorch's default (exact) form: z * Phi(z). */
static inline real gelu(real z)
{
	return (real)0.5 * z * (1 + REAL_ERF(z * (real)M_SQRT1_2));
}

/* softplus(z) = log(1 + e^z), linear above 20 as in PyTorch, where e^z would overflow
 * in float and the result equals z to working precision. */
static inline real softplus(real z)
{
	return z > 20 ? z : REAL_LOG1P(REAL_EXP(z));
}

VECTOR_CLONES void RNAME(activation_forward)(real *a, const real *z, size_t n, int kind,
					    real slope)
{
	switch (kind) {
	case ACT_LINEAR:
		for (size_t i = 0; i < n; i++)
			a[i] = z[i];
		break;
	case ACT_SIGMOID:
		for (size_t i = 0; i < n; i++)
			a[i] = sigmoid(z[i]);
		break;
	case ACT_TANH:
		for (size_t i = 0; i < n; i++)
			a[i] = tanh_real(z[i]);
		break;
	case ACT_RELU:
		for (size_t i = 0; i < n; i++)
			a[i] = z[i] > 0 ? z[i] : 0;
		break;
	case ACT_LEAKY_RELU:
		for (size_t i = 0; i < n; i++)
			a[i] = z[i] > 0 ? z[i] : slope * z[i];
		break;
	case ACT_ELU:
		for (size_t i = 0; i < n; i++)
			a[i] = z[i] > 0 ? z[i] : REAL_EXPM1(z[i]);
		break;
	case ACT_GELU:
		for (size_t i = 0; i < n; i++)
			a[i] = gelu(z[i]);
		break;
	case ACT_SOFTPLUS:
		for (size_t i = 0; i < n; i++)
			a[i] = softplus(z[i]);
		break;
	case ACT_SILU:
		for (size_t i = 0; i < n; i++)
			a[i] = z[i] * sigmoid(z[i]);
		break;
	}
}

/* What activation_backward adds to: dz[i], or 0 when it sets (0 + x, not x, so that a
 * -0 comes out as +0, exactly as when adding to a zeroed buffer). */
#define EARLIER(i) (add ? dz[i] : (real)0)

/* activation_backward (add) and activation_backward_set (not add): one body, inlined
 * into each, so that each is a loop per kind with nothing to decide inside. */
/* activation_backward's count, in lanes as wide as real: with a size_t count GCC made
 * float's sigmoid backward 1.9 times as slow as without the count, with uint32_t 1.15
 * times (and double's as fast with uint64_t as without). n is below 2^32 in any layer
 * that fits in memory. */
#ifdef GT_REAL_DOUBLE
typedef uint64_t unit_count;
#else
typedef uint32_t unit_count;
#endif

static inline __attribute__((always_inline)) size_t
activation_backward_into(real *dz, const real *da, const real *z, const real *a, size_t n,
			 int kind, real slope, bool add)
{
	unit_count saturated = 0;
	switch (kind) {
	case ACT_LINEAR:
		for (size_t i = 0; i < n; i++)
			dz[i] = EARLIER(i) + da[i];
		break;
	case ACT_SIGMOID:
		/* s' = s (1 - s), at most 1/4: the seed's vanishing factor */
		for (size_t i = 0; i < n; i++) {
			/* saturated: below 1% of the largest derivative, 1/4. A named value
			 * (GCC vectorises the loop better so); dz keeps its own order of
			 * products, (da a)(1 - a), and so its bits */
			real derivative = a[i] * (1 - a[i]);
			dz[i] = EARLIER(i) + da[i] * a[i] * (1 - a[i]);
			saturated += derivative < (real)0.01 / 4;
		}
		break;
	case ACT_TANH:
		for (size_t i = 0; i < n; i++) {
			dz[i] = EARLIER(i) + da[i] * (1 - a[i] * a[i]);
			saturated += 1 - a[i] * a[i] < (real)0.01;
		}
		break;
	case ACT_RELU:
		/* the derivative at 0 is taken as 0, as PyTorch does */
		for (size_t i = 0; i < n; i++)
			dz[i] = EARLIER(i) + (z[i] > 0 ? da[i] : 0);
		break;
	case ACT_LEAKY_RELU:
		for (size_t i = 0; i < n; i++)
			dz[i] = EARLIER(i) + (z[i] > 0 ? da[i] : slope * da[i]);
		break;
	case ACT_ELU:
		/* for z <= 0, a = e^z - 1, so the derivative e^z is a + 1 */
		for (size_t i = 0; i < n; i++)
			dz[i] = EARLIER(i) + (z[i] > 0 ? da[i] : da[i] * (a[i] + 1));
		break;
	case ACT_GELU:
		/* d/dz z Phi(z) = Phi(z) + z phi(z) */
		for (size_t i = 0; i < n; i++) {
			real cdf = (real)0.5 * (1 + REAL_ERF(z[i] * (real)M_SQRT1_2));
			real pdf = REAL_EXP((real)-0.5 * z[i] * z[i]) * (real)(0.5 * M_2_SQRTPI *
									      M_SQRT1_2);
			dz[i] = EARLIER(i) + da[i] * (cdf + z[i] * pdf);
		}
		break;
	case ACT_SOFTPLUS:
		for (size_t i = 0; i < n; i++)
			dz[i] = EARLIER(i) + (z[i] > 20 ? da[i] : da[i] * sigmoid(z[i]));
		break;
	case ACT_SILU:
		/* d/dz z s(z) = s (1 + z (1 - s)) */
		for (size_t i = 0; i < n; i++) {
			real s = sigmoid(z[i]);
			dz[i] = EARLIER(i) + da[i] * s * (1 + z[i] * (1 - s));
		}
		break;
	}
	return saturated;
}
#undef EARLIER

VECTOR_CLONES size_t RNAME(activation_backward)(real *dz, const real *da, const real *z,
					       const real *a, size_t n, int kind, real slope)
{
	return activation_backward_into(dz, da, z, a, n, kind, slope, true);
}

VECTOR_CLONES size_t RNAME(activation_backward_set)(real *dz, const real *da, const real *z,
						   const real *a, size_t n, int kind, real slope)
{
	return activation_backward_into(dz, da, z, a, n, kind, slope, false);
}

#ifdef GT_REAL_DOUBLE
#define SQUARE_LANES_STEP NORM_LANES_STEP_F64
#define SQUARE_LANES_ADD(lanes, x)                                                         \
	square_lanes_add_f64(lanes, x, &(norm_double4){0}, &(norm_double4){0},              \
			     &(norm_double4){0}, &(norm_double4){0})
#else
#define SQUARE_LANES_STEP NORM_LANES_STEP_F32
#define SQUARE_LANES_ADD(lanes, x) square_lanes_add_f32(lanes, x, &(norm_float8){0}, &(norm_float8){0})
#endif

/* Entries of dz written, then squared, at a time: a multiple of the lanes' step, so the
 * lanes see the entries as a pass over all of dz would; small enough that the squares
 * read what was just written from L1 (a separate pass over a 50 x 64 net's deltas
 * read them from L2). */
#define BACKWARD_NORM_BLOCK 256

VECTOR_CLONES size_t RNAME(activation_backward_set_norm)(real *dz, const real *da,
							 const real *z, const real *a,
							 size_t n, int kind, real slope,
							 double *norm)
{
	struct RNAME(square_lanes) lanes = {0};
	size_t saturated = 0, i = 0;
	for (size_t start = 0; start < n; start += BACKWARD_NORM_BLOCK) {
		size_t count = n - start < BACKWARD_NORM_BLOCK ? n - start : BACKWARD_NORM_BLOCK;
		saturated += activation_backward_into(dz + start, da + start, z + start,
						      a + start, count, kind, slope, false);
		for (; i + SQUARE_LANES_STEP <= start + count; i += SQUARE_LANES_STEP)
			SQUARE_LANES_ADD(&lanes, dz + i);
	}
	*norm = RNAME(norm_from_squares)(RNAME(square_lanes_total)(&lanes, dz + i, n - i), dz, n);
	return saturated;
}
#undef SQUARE_LANES_STEP
#undef SQUARE_LANES_ADD

VECTOR_CLONES int RNAME(dead_units)(const real *z, int batch, int units, real *largest)
{
	/* a unit is dead when no row has z > 0: the largest z of its column, from 0, taken
	 * a row at a time so that the loop runs across the units in vectors (a column at a
	 * time was strided and scalar, 3% of a logged 20 x 256 step) */
	for (int j = 0; j < units; j++)
		largest[j] = 0;
	for (int b = 0; b < batch; b++) {
		const real *row = z + (size_t)b * units;
		for (int j = 0; j < units; j++)
			largest[j] = row[j] > largest[j] ? row[j] : largest[j];
	}
	int dead = 0;
	for (int j = 0; j < units; j++)
		dead += !(largest[j] > 0);
	return dead;
}

/* Sums in ROW_LANES partial sums (lane k takes the entries j with j % ROW_LANES == k,
 * in order), totalled in lane order after the tail: independent adds, so the loops go
 * in vectors, where one running sum was a chain of dependent adds (layernorm networks
 * ran at two thirds of the speed of plain ones). */
#define ROW_LANES 8

static inline double lanes_total(const double lanes[ROW_LANES], double tail)
{
	double sum = tail;
	for (int k = 0; k < ROW_LANES; k++)
		sum += lanes[k];
	return sum;
}

void RNAME(residual_forward)(real *h, const real *x, const real *a, real alpha, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h[i] = x[i] + alpha * a[i];
}

VECTOR_CLONES double RNAME(residual_backward)(real *dx, real *da, const real *dh,
					      const real *a, real alpha, size_t n)
{
	/* one pass: the skip's gradient, the operand's, and dL/dalpha in lanes */
	double lanes[ROW_LANES] = {0}, tail = 0;
	size_t whole = n - n % ROW_LANES;
	for (size_t i = 0; i < whole; i += ROW_LANES)
		for (int k = 0; k < ROW_LANES; k++) {
			dx[i + k] += dh[i + k];
			da[i + k] += alpha * dh[i + k];
			lanes[k] += (double)dh[i + k] * a[i + k];
		}
	for (size_t i = whole; i < n; i++) {
		dx[i] += dh[i];
		da[i] += alpha * dh[i];
		tail += (double)dh[i] * a[i];
	}
	return lanes_total(lanes, tail);
}

VECTOR_CLONES void RNAME(layernorm_forward)(real *y, real *xhat, real *rstd, const real *z,
					    const real *gamma, const real *beta, int batch, int n,
					    real eps)
{
	int whole = n - n % ROW_LANES;
	for (int row = 0; row < batch; row++) {
		const real *zr = z + (size_t)row * n;
		double lanes[ROW_LANES] = {0}, tail = 0;
		for (int j = 0; j < whole; j += ROW_LANES)
			for (int k = 0; k < ROW_LANES; k++)
				lanes[k] += zr[j + k];
		for (int j = whole; j < n; j++)
			tail += zr[j];
		double mean = lanes_total(lanes, tail) / n;
		for (int k = 0; k < ROW_LANES; k++)
			lanes[k] = 0;
		tail = 0;
		for (int j = 0; j < whole; j += ROW_LANES)
			for (int k = 0; k < ROW_LANES; k++) {
				double d = (double)zr[j + k] - mean;
				lanes[k] += d * d;
			}
		for (int j = whole; j < n; j++)
			tail += ((double)zr[j] - mean) * ((double)zr[j] - mean);
		double var = lanes_total(lanes, tail) / n;
		rstd[row] = (real)(1 / sqrt(var + (double)eps));
		for (int j = 0; j < n; j++) {
			real x = (real)((double)zr[j] - mean) * rstd[row];
			xhat[(size_t)row * n + j] = x;
			y[(size_t)row * n + j] = gamma[j] * x + beta[j];
		}
	}
}

VECTOR_CLONES void RNAME(layernorm_backward)(real *dz, real *dgamma, real *dbeta,
					     const real *dy, const real *xhat, const real *rstd,
					     const real *gamma, int batch, int n)
{
	int whole = n - n % ROW_LANES;
	for (int row = 0; row < batch; row++) {
		const real *g_row = dy + (size_t)row * n, *x = xhat + (size_t)row * n;
		double lanes_g[ROW_LANES] = {0}, lanes_gx[ROW_LANES] = {0}, tail_g = 0, tail_gx = 0;
		for (int j = 0; j < whole; j += ROW_LANES)
			for (int k = 0; k < ROW_LANES; k++) {
				double g = (double)gamma[j + k] * g_row[j + k];
				lanes_g[k] += g;
				lanes_gx[k] += g * x[j + k];
			}
		for (int j = whole; j < n; j++) {
			double g = (double)gamma[j] * g_row[j];
			tail_g += g;
			tail_gx += g * x[j];
		}
		for (int j = 0; j < n; j++) {
			dgamma[j] += g_row[j] * x[j];
			dbeta[j] += g_row[j];
		}
		double mean_g = lanes_total(lanes_g, tail_g) / n;
		double mean_gx = lanes_total(lanes_gx, tail_gx) / n;
		for (int j = 0; j < n; j++) {
			double g = (double)gamma[j] * g_row[j];
			dz[(size_t)row * n + j] += (real)(rstd[row] * (g - mean_g - x[j] * mean_gx));
		}
	}
}

/* Both passes run a row at a time across the columns, so that the loops go in vectors
 * (a column at a time was strided and scalar: batchnorm networks ran at half the speed
 * of layernorm ones); each column's sums still take its rows in order, so the results
 * are the same to the bit. */
VECTOR_CLONES void RNAME(batchnorm_forward)(real *y, real *xhat, real *rstd, const real *z,
					    const real *gamma, const real *beta,
					    real *running_mean, real *running_var, int batch,
					    int n, real eps, real momentum, bool training,
					    double *columns)
{
	double *mean = columns, *var = columns + n;
	if (training) {
		for (int j = 0; j < n; j++)
			mean[j] = var[j] = 0;
		for (int row = 0; row < batch; row++)
			for (int j = 0; j < n; j++)
				mean[j] += z[(size_t)row * n + j];
		for (int j = 0; j < n; j++)
			mean[j] /= batch;
		for (int row = 0; row < batch; row++)
			for (int j = 0; j < n; j++) {
				double d = (double)z[(size_t)row * n + j] - mean[j];
				var[j] += d * d;
			}
		for (int j = 0; j < n; j++) {
			/* the running variance is unbiased, the normalising one biased */
			double unbiased = batch > 1 ? var[j] / (batch - 1) : var[j];
			var[j] /= batch;
			running_mean[j] = (real)((1 - momentum) * running_mean[j] + momentum * mean[j]);
			running_var[j] = (real)((1 - momentum) * running_var[j] + momentum * unbiased);
		}
	} else {
		for (int j = 0; j < n; j++) {
			mean[j] = running_mean[j];
			var[j] = running_var[j];
		}
	}
	for (int j = 0; j < n; j++)
		rstd[j] = (real)(1 / sqrt(var[j] + (double)eps));
	for (int row = 0; row < batch; row++)
		for (int j = 0; j < n; j++) {
			size_t i = (size_t)row * n + j;
			real x = (real)((double)z[i] - mean[j]) * rstd[j];
			xhat[i] = x;
			y[i] = gamma[j] * x + beta[j];
		}
}

VECTOR_CLONES void RNAME(batchnorm_backward)(real *dz, real *dgamma, real *dbeta,
					     const real *dy, const real *xhat, const real *rstd,
					     const real *gamma, int batch, int n, double *columns)
{
	double *sum_dy = columns, *sum_dyx = columns + n;
	for (int j = 0; j < n; j++)
		sum_dy[j] = sum_dyx[j] = 0;
	for (int row = 0; row < batch; row++)
		for (int j = 0; j < n; j++) {
			size_t i = (size_t)row * n + j;
			sum_dy[j] += dy[i];
			sum_dyx[j] += (double)dy[i] * xhat[i];
		}
	/* the sums become the means they scale: gamma sum / batch */
	for (int j = 0; j < n; j++) {
		dgamma[j] += (real)sum_dyx[j];
		dbeta[j] += (real)sum_dy[j];
		sum_dy[j] = gamma[j] * sum_dy[j] / batch;
		sum_dyx[j] = gamma[j] * sum_dyx[j] / batch;
	}
	const double *mean_g = sum_dy, *mean_gx = sum_dyx;
	for (int row = 0; row < batch; row++)
		for (int j = 0; j < n; j++) {
			size_t i = (size_t)row * n + j;
			double g = (double)gamma[j] * dy[i];
			dz[i] += (real)(rstd[j] * (g - mean_g[j] - xhat[i] * mean_gx[j]));
		}
}

double RNAME(softmax_cross_entropy_forward)(real *probs, const real *logits,
					    const int32_t *labels, int batch, int classes)
{
	double total = 0;
	for (int row = 0; row < batch; row++) {
		const real *z = logits + (size_t)row * classes;
		real *p = probs + (size_t)row * classes;
		real largest = z[0];
		for (int j = 1; j < classes; j++)
			largest = z[j] > largest ? z[j] : largest;
		double sum = 0;
		for (int j = 0; j < classes; j++) {
			p[j] = REAL_EXP(z[j] - largest);
			sum += p[j];
		}
		for (int j = 0; j < classes; j++)
			p[j] = (real)(p[j] / sum);
		/* -log softmax = log sum exp(z - max) - (z_label - max) */
		total += log(sum) - ((double)z[labels[row]] - (double)largest);
	}
	return total / batch;
}

void RNAME(softmax_cross_entropy_backward)(real *dlogits, const real *probs,
					   const int32_t *labels, int batch, int classes)
{
	real scale = (real)1 / (real)batch;
	for (int row = 0; row < batch; row++) {
		real *d = dlogits + (size_t)row * classes;
		const real *p = probs + (size_t)row * classes;
		for (int j = 0; j < classes; j++)
			d[j] += scale * (p[j] - (j == labels[row]));
	}
}

double RNAME(mse_forward)(const real *y, const real *target, size_t n)
{
	double total = 0;
	for (size_t i = 0; i < n; i++) {
		double difference = (double)y[i] - (double)target[i];
		total += difference * difference;
	}
	return total / (double)n;
}

void RNAME(mse_backward)(real *dy, const real *y, const real *target, size_t n)
{
	real scale = (real)2 / (real)n;
	for (size_t i = 0; i < n; i++)
		dy[i] += scale * (y[i] - target[i]);
}

double RNAME(accuracy)(const real *scores, const int32_t *labels, int batch, int classes)
{
	int correct = 0;
	for (int row = 0; row < batch; row++) {
		const real *s = scores + (size_t)row * classes;
		int best = 0;
		for (int j = 1; j < classes; j++)
			best = s[j] > s[best] ? j : best;
		correct += best == labels[row];
	}
	return (double)correct / batch;
}
