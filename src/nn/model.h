/* The trainable network, whatever its dtype. The trainer talks to this interface; it
 * dispatches to the float or double build of the numeric core (network.c). */
#ifndef GT_MODEL_H
#define GT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "spec/spec.h"

/* What is recorded per layer and step; norms are Frobenius norms accumulated in double. */
struct layer_stats {
	double weight_grad_norm; /* ||dL/dW|| */
	double bias_grad_norm;   /* ||dL/db|| */
	double delta_norm;       /* ||dL/dz||, z the pre-activation, over the batch */
	double weight_norm;      /* ||W|| */
	double norm_weight_grad_norm, norm_bias_grad_norm; /* ||dL/dgamma||, ||dL/dbeta||; NAN
							    * without normalisation */
	/* after clipping (NAN when clipping is off) */
	double weight_grad_norm_clipped, bias_grad_norm_clipped;
	/* diagnostics, NAN where they do not apply */
	double dead_fraction;      /* relu: units with z <= 0 for the whole batch */
	double saturated_fraction; /* sigmoid, tanh: activations with f' < 1% of its max */
	double zero_grad_fraction; /* dL/dW entries that are 0 or subnormal */
	double update_ratio;       /* ||delta W|| / ||W|| of the step's update */
};

struct step_stats {
	double loss;
	double accuracy;  /* on the batch; NAN for regression */
};

struct model;

/* Builds the network the spec describes, with initial weights drawn from the seed's init
 * stream. Returns NULL with a message on failure. The caller owns the model. */
struct model *model_new(const struct spec *spec);
void model_free(struct model *model);

/* Layers are 0..depth: hidden layers, then the output layer. */
int model_layer_count(const struct model *model);

/* Forward and backward on data rows `rows` (batch_size of them): fills the loss and
 * accuracy and leaves the gradients in the model. Parameters are not changed. No memory
 * is allocated. */
void model_compute_gradients(struct model *model, const struct dataset *data,
			     const uint32_t *rows, struct step_stats *step);

/* Norms of the current gradients into layers (model_layer_count entries) and the global
 * gradient norm. With all false only weight_grad_norm and bias_grad_norm are computed
 * (enough to detect a non-finite gradient: a non-finite delta reaches the bias
 * gradient, its column sum); the other fields are set to NAN. */
double model_measure(const struct model *model, struct layer_stats *layers, bool all);

/* Mean loss and accuracy (NAN for regression) over data rows [first, first + count),
 * forward only; the gradients are left alone. No memory is allocated. */
void model_evaluate(struct model *model, const struct dataset *data, int64_t first,
		    int64_t count, double *loss, double *accuracy);

/* Clips the gradients as the spec says (global norm, then value), recording each layer's
 * clipped norms; returns the global norm after clipping (grad_norm when nothing is
 * clipped). Only called when clipping is on. */
double model_clip(struct model *model, struct layer_stats *layers, double grad_norm);

/* Remembers the parameters, so that model_update_ratios can measure the next update. */
void model_snapshot(struct model *model);
/* Per layer ||W - W_snapshot|| / ||W_snapshot||, after model_update. */
void model_update_ratios(const struct model *model, struct layer_stats *layers);

/* A layer's parameters as stored: weight (fan_out, fan_in) and bias (fan_out), row-major
 * in the model's dtype, and the normalisation's scale and shift (fan_out each; NULL and 0
 * bytes without one). The pointers stay valid until the next model_update. */
struct layer_parameters {
	const void *weight, *bias, *norm_weight, *norm_bias;
	size_t weight_bytes, bias_bytes, norm_bytes;
};
void model_layer_parameters(const struct model *model, int layer,
			    struct layer_parameters *parameters);

/* Applies one optimizer step with the gradients of the last model_compute_gradients. */
void model_update(struct model *model, double learning_rate);

#endif
