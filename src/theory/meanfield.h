/* The mean-field prediction of a network at initialisation (Poole et al. 2016,
 * Schoenholz et al. 2017): per layer the pre-activation second moment q and the factor
 * chi by which back-propagation multiplies E||dL/dz||^2, from the spec's init scheme,
 * gain, bias and residual setup and the second moment of the input data; the step-0
 * norms of dL/dz and dL/dW follow once the output layer's measured norm anchors them.
 * What the theory does not cover for a setup is NaN (NULL in the database), never a
 * guess. The derivation is in meanfield.c. */
#ifndef GT_MEANFIELD_H
#define GT_MEANFIELD_H

#include <stdbool.h>

#include "data/dataset.h"
#include "spec/spec.h"

/* Samples differ in their own second moment ||x||^2 / features, and the recursion
 * follows each group of them: q then differs from sample to sample, and with it
 * E[f'(z)^2] wherever f is not scale-free (gelu, silu, ...; relu is). */
#define MEANFIELD_GROUPS 16

/* What the first layer sees, per input unit, averaged over the units: */
struct input_moments {
	double second; /* E[x_i^2] of one sample */
	double cross;  /* E[x_i y_i] of two different samples x and y */
	/* the samples sorted by ||x||^2 / features and cut into `groups` groups of (nearly)
	 * equal count: each group's mean, and its share of the samples (the weighted mean
	 * is `second`); 0 groups: every sample has `second` */
	double group_second[MEANFIELD_GROUPS], group_weight[MEANFIELD_GROUPS];
	int groups;
};

struct layer_prediction {
	double q;   /* E[z^2] per unit, z the pre-activation */
	/* E||dL/dz_l||^2 / E||dL/dz_{l+1}||^2; NaN for the output layer and where no
	 * gradient reaches layer l + 1 (a zeroed map above it, alpha 0 over a plain layer);
	 * between two residual layers alpha^2 cancels (alpha 0: the limit) */
	double chi;
	/* Relative to the output layer's: sum over the batch of ||delta_b||^2 (the product of
	 * the chis above), and sum over pairs of different samples of delta_b . delta_c */
	double delta_square, delta_cross;
	/* ||dL/dW||^2 = weight_square S + weight_cross X, S and X the output layer's
	 * measured sums above (see meanfield.c) */
	double weight_square, weight_cross;
	double fan_in;
	struct input_moments input; /* of the layer's input x */
	/* the factors of chi: fan_in Var(W) of this layer, and E[f'(z)^2] of its
	 * activation (NaN for the output layer) */
	double sigma_w2, derivative_second;
	/* after meanfield_anchor: the predicted step-0 norms; NaN before */
	double delta_norm, weight_grad_norm;
};

/* The prediction for every layer of spec (spec_layer_count entries into layers), for
 * the input moments of its data. Returns 0, or -1 with a message (the quadrature could
 * not be computed). */
int meanfield_predict(const struct spec *spec, struct input_moments input,
		      struct layer_prediction *layers);

/* Sets delta_norm and weight_grad_norm from the output layer's measured step-0 norms of
 * dL/dz and dL/db (count layers, the output layer last). ||dL/db||^2 = ||sum_b
 * delta_b||^2 is the diagonal sum ||delta||^2 plus the cross-sample sum, so the two
 * measure both anchors. */
void meanfield_anchor(struct layer_prediction *layers, int count, double output_delta_norm,
		      double output_bias_grad_norm);

/* The input moments of the training rows, after the dataset's standardisation: the
 * mean over features of E[x_i^2], and of E[x_i]^2 (two independent samples), and the
 * rows' groups. */
struct input_moments dataset_input_moments(const struct dataset *data);

/* True when the spec's setup has a full prediction (every q and chi); false when some
 * values are NaN (norm layers, the post and pre residual forms, residual blocks of an
 * activation with a non-zero mean: relu, sigmoid, elu, ..., or tanh with a bias). */
bool meanfield_covers(const struct spec *spec);

#endif
