/* What a run records: the measurements of a step and of each layer, and a layer's
 * parameters for a checkpoint. Plain structs: the network fills them (nn/), the store
 * writes them (db/), so neither depends on the other. */
#ifndef GT_RECORDS_H
#define GT_RECORDS_H

#include <stddef.h>

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

/* A layer's parameters as stored: weight (fan_out, fan_in) and bias (fan_out), row-major
 * in the model's dtype, and the normalisation's scale and shift (fan_out each; NULL and 0
 * bytes without one). The pointers stay valid until the next model_update. */
struct layer_parameters {
	const void *weight, *bias, *norm_weight, *norm_bias;
	size_t weight_bytes, bias_bytes, norm_bytes;
	const void *alpha; /* the block's trained alpha on its last layer; else NULL */
	size_t alpha_bytes;
};

/* A residual block at a logged step: its alpha (the one the step used) and dL/dalpha,
 * before clipping. */
struct block_stats {
	double alpha, alpha_grad;
};

#endif
