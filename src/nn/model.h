/* The trainable network, whatever its dtype. The trainer talks to this interface; it
 * dispatches to the float or double build of the numeric core (network.c). */
#ifndef GT_MODEL_H
#define GT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "db/records.h"
#include "spec/spec.h"

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

/* Views of a layer's parameters (struct layer_parameters), valid until the next
 * model_update. */
void model_layer_parameters(const struct model *model, int layer,
			    struct layer_parameters *parameters);

/* Residual blocks (0 without residual connections). */
int model_block_count(const struct model *model);
/* Each block's alpha and dL/dalpha of the last model_compute_gradients, before clipping
 * (model_block_count entries). */
void model_measure_blocks(const struct model *model, struct block_stats *blocks);

/* Applies one optimizer step with the gradients of the last model_compute_gradients. */
void model_update(struct model *model, double learning_rate);

#endif
