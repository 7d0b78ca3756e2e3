/* Forward/backward pairs for every op of the network, side by side (llm.c style).
 * Arguments: outputs first, then inputs, then sizes. Backward functions ADD into their
 * gradient outputs; the caller zeroes the gradient buffers once per step. Shapes are in
 * comments as (rows, columns); B is the batch. Compiled per dtype (see real.h). */
#ifndef GT_OPS_H
#define GT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn/real.h"

/* z (B, out) = x (B, in) W^T + b, with W (out, in) as in torch.nn.Linear. */
void RNAME(dense_forward)(real *z, const real *x, const real *weight, const real *bias,
			  int batch, int in, int out);
/* dense_forward, then a = f(z) as activation_forward does, in the pass that adds b. */
void RNAME(dense_activation_forward)(real *a, real *z, const real *x, const real *weight,
				     const real *bias, int batch, int in, int out, int kind,
				     real slope);
/* dW = dz^T x; db = column sums of dz, over the whole batch. The exception to "backward
 * adds": a layer's dW and db are computed once per step, so they are written, and the
 * step needs no pass that zeroes them first; dx likewise where nothing else adds to it
 * (a network without residual connections or norms). */
void RNAME(dense_weight_backward)(real *dweight, real *dbias, const real *dz, const real *x,
				  int batch, int in, int out);
/* dx (B, in) += dz (B, out) W (out, in), or = without accumulate (dx's only writer). */
void RNAME(dense_input_backward)(real *dx, const real *dz, const real *weight, int batch,
				 int in, int out, bool accumulate);

/* a = f(z) elementwise; slope is leaky_relu's negative slope. */
void RNAME(activation_forward)(real *a, const real *z, size_t n, int kind, real slope);
/* dz += da * f'(z); a = f(z) from the forward pass, so that derivatives such as
 * sigmoid's a (1 - a) need no second transcendental call. Returns how many of the n
 * units are saturated: sigmoid and tanh ones whose derivative is below 1% of its
 * maximum (0 for the other kinds), counted here because this pass reads every a
 * anyway (the saturated_fraction diagnostic needs no pass of its own). */
size_t RNAME(activation_backward)(real *dz, const real *da, const real *z, const real *a,
				  size_t n, int kind, real slope);
/* As activation_backward, but dz = da * f'(z): what adding to a zeroed dz gives, to the
 * bit, for a dz nothing else adds to, without the pass that zeroes it. */
size_t RNAME(activation_backward_set)(real *dz, const real *da, const real *z, const real *a,
				      size_t n, int kind, real slope);
/* As activation_backward_set, and *norm = the norm of dz (norm.h's, to the bit), taken
 * while dz is in cache: a logged step's delta norm without a pass of its own. */
size_t RNAME(activation_backward_set_norm)(real *dz, const real *da, const real *z,
					   const real *a, size_t n, int kind, real slope,
					   double *norm);

/* The units of a (batch, units) pre-activation z that no row drives above 0 (dead
 * relus); largest is scratch of `units` entries. */
int RNAME(dead_units)(const real *z, int batch, int units, real *largest);
/* h = x + alpha * a */
void RNAME(residual_forward)(real *h, const real *x, const real *a, real alpha, size_t n);
/* dx += dh; da += alpha * dh; returns dL/dalpha = sum of dh * a, accumulated in double
 * in lanes (see ops.c) */
double RNAME(residual_backward)(real *dx, real *da, const real *dh, const real *a, real alpha,
				size_t n);

/* Layer normalisation of each row of z (B, n): xhat = (z - mean) rstd, y = gamma xhat +
 * beta, with the row's mean and rstd = 1 / sqrt(var + eps) (var biased, as PyTorch).
 * xhat (B, n) and rstd (B) are kept for the backward pass. */
void RNAME(layernorm_forward)(real *y, real *xhat, real *rstd, const real *z,
			      const real *gamma, const real *beta, int batch, int n, real eps);
/* dgamma += sum over rows of dy xhat; dbeta += sum of dy;
 * dz += rstd (g - mean(g) - xhat mean(g xhat)), g = gamma dy, means over the row. */
void RNAME(layernorm_backward)(real *dz, real *dgamma, real *dbeta, const real *dy,
			       const real *xhat, const real *rstd, const real *gamma, int batch,
			       int n);

/* Batch normalisation of each column of z (B, n) as torch.nn.BatchNorm1d. Training: the
 * batch's mean and biased variance normalise, and the running mean and unbiased variance
 * move by momentum; evaluation (training false): the running statistics normalise.
 * xhat (B, n) and rstd (n) are kept for the backward pass; columns is scratch of 2 n
 * doubles (the columns' sums, in both passes). */
void RNAME(batchnorm_forward)(real *y, real *xhat, real *rstd, const real *z,
			      const real *gamma, const real *beta, real *running_mean,
			      real *running_var, int batch, int n, real eps, real momentum,
			      bool training, double *columns);
/* As layernorm_backward with the means taken over the batch, per column. */
void RNAME(batchnorm_backward)(real *dz, real *dgamma, real *dbeta, const real *dy,
			       const real *xhat, const real *rstd, const real *gamma, int batch,
			       int n, double *columns);

/* Softmax of logits (B, C) into probs, returns the mean over the batch of
 * -log p[label], accumulated in double. */
double RNAME(softmax_cross_entropy_forward)(real *probs, const real *logits,
					    const int32_t *labels, int batch, int classes);
/* dlogits += (probs - onehot(labels)) / B */
void RNAME(softmax_cross_entropy_backward)(real *dlogits, const real *probs,
					   const int32_t *labels, int batch, int classes);

/* Mean over all n entries of (y - t)^2, as torch.nn.MSELoss. */
double RNAME(mse_forward)(const real *y, const real *target, size_t n);
/* dy += 2 (y - t) / n */
void RNAME(mse_backward)(real *dy, const real *y, const real *target, size_t n);

/* Fraction of rows of scores (B, C) whose largest entry is at the label. */
double RNAME(accuracy)(const real *scores, const int32_t *labels, int batch, int classes);

#endif
