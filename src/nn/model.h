/* The trainable network, whatever its dtype. The trainer talks to this interface; it
 * dispatches to the float or double build of the numeric core (network.c).
 *
 * Every operation is declared once, in MODEL_OPERATIONS below; the public functions
 * (model_NAME), the dispatch table (model_ops.h), its forwarders (model.c) and each dtype's
 * entries (network.c, which implements RNAME(network_NAME)) are generated from it. */
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

/* X(return type, NAME, const when the model is only read, (, parameters after the
 * model), (, the same as arguments)): model_NAME(model, parameters...). No operation
 * allocates memory. */
#define MODEL_OPERATIONS(X)                                                                \
	/* Layers are 0..depth: hidden layers, then the output layer. */                   \
	X(int, layer_count, const, (), ())                                                 \
	/* Forward and backward on data rows `rows` (batch_size of them): fills the loss   \
	 * and accuracy and leaves the gradients in the model; parameters do not change.   \
	 * logged: measure with all follows, whose delta norms the backward then takes. */ \
	X(void, compute_gradients, ,                                                       \
	  (, const struct dataset *data, const uint32_t *rows, bool logged,                \
	   struct step_stats *step),                                                       \
	  (, data, rows, logged, step))                                                    \
	/* Norms of the current gradients into layers (layer_count entries); returns the   \
	 * global gradient norm. With all false only weight_grad_norm and bias_grad_norm   \
	 * are computed (enough to detect a non-finite gradient: a non-finite delta        \
	 * reaches the bias gradient, its column sum); the other fields are set to NAN. */ \
	X(double, measure, , (, struct layer_stats *layers, bool all), (, layers, all))     \
	/* Mean loss and accuracy (NAN for regression) over data rows [first, first +      \
	 * count), forward only; the gradients are left alone. */                          \
	X(void, evaluate, ,                                                                \
	  (, const struct dataset *data, int64_t first, int64_t count, double *loss,       \
	   double *accuracy),                                                              \
	  (, data, first, count, loss, accuracy))                                          \
	/* Clips the gradients as the spec says (global norm, then value), recording each  \
	 * layer's clipped norms; returns the global norm after clipping (grad_norm when   \
	 * nothing is clipped). Only called when clipping is on. */                        \
	X(double, clip, , (, struct layer_stats *layers, double grad_norm),                \
	  (, layers, grad_norm))                                                           \
	/* Views of a layer's parameters (struct layer_parameters), valid until the next   \
	 * model_update. */                                                                \
	X(void, layer_parameters, const, (, int layer, struct layer_parameters *parameters), \
	  (, layer, parameters))                                                           \
	/* Residual blocks (0 without residual connections). */                            \
	X(int, block_count, const, (), ())                                                 \
	/* Each block's alpha and dL/dalpha of the last compute_gradients, before clipping \
	 * (block_count entries). */                                                       \
	X(void, measure_blocks, const, (, struct block_stats *blocks), (, blocks))         \
	/* One optimizer step with the gradients of the last compute_gradients; with       \
	 * layers (a logged step, after measure with all), also each layer's update_ratio: \
	 * ||W after - W before|| / ||W before||. */                                       \
	X(void, update, , (, double learning_rate, struct layer_stats *layers),            \
	  (, learning_rate, layers))

/* Helpers for expanding MODEL_OPERATIONS: MODEL_LIST (, a, b) is ", a, b" (nothing for
 * ()); MODEL_RETURN_type is `return` unless the type is void. */
#define MODEL_LIST(...) __VA_ARGS__
#define MODEL_RETURN_void
#define MODEL_RETURN_int return
#define MODEL_RETURN_double return

#define MODEL_DECLARE(type, name, qualifier, parameters, arguments)                        \
	type model_##name(qualifier struct model *model MODEL_LIST parameters);
MODEL_OPERATIONS(MODEL_DECLARE)
#undef MODEL_DECLARE

#endif
