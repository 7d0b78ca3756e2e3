/* The multilayer perceptron for one dtype (see real.h): its buffers, forward, backward
 * and update. Each of model.h's MODEL_OPERATIONS is implemented as RNAME(network_NAME),
 * here or static in network.c. model.c wraps the two builds behind one interface; tests
 * use this header directly to check gradients against finite differences. */
#ifndef GT_NETWORK_H
#define GT_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "nn/model.h"
#include "nn/real.h"
#include "spec/spec.h"
#include "util/rng.h"

/* Entries the logged update handles at a time (optimizer.c): 8 KiB of float, 16 KiB of
 * double, so that the chunk is still in the first-level cache when its norms are taken
 * after it is updated. */
#define NETWORK_UPDATE_CHUNK 2048

/* The most row tiles of a step (tiles.c), and so the most threads it uses. */
#define NETWORK_TILES 2

/* The stages after a hidden layer's linear map (see dense_layer), and their forward
 * order in each residual form. */
enum network_stage { STAGE_NORM, STAGE_ACTIVATION, STAGE_RESIDUAL };
static inline enum network_stage network_stage_at(int form, int i)
{
	static const enum network_stage order[3][3] = {
		[RESIDUAL_BRANCH] = {STAGE_NORM, STAGE_ACTIVATION, STAGE_RESIDUAL},
		[RESIDUAL_POST] = {STAGE_NORM, STAGE_RESIDUAL, STAGE_ACTIVATION},
		[RESIDUAL_PRE] = {STAGE_RESIDUAL, STAGE_NORM, STAGE_ACTIVATION},
	};
	return order[form][i];
}

/* One dense layer and its views into the network's buffers.
 *
 * After the linear map z = W x + b a hidden layer applies up to three stages: the norm N,
 * the activation A, and, on the last layer of a residual block, the addition R: sum =
 * skip + alpha operand, skip being what the layer before the block carried on. The form
 * orders them (branch: N A R, post: N R A, pre: R N A) and so decides which buffer each
 * stage reads; a stage that does not apply leaves its output aliased to its input. Every
 * view points into net->activations, so its gradient is at the same offset in
 * net->activation_grads (network_grad_of). */
struct RNAME(dense_layer) {
	int fan_in, fan_out;
	int activation; /* enum activation_kind; unused for the output layer */
	bool is_output;
	bool residual;  /* the last layer of a block: R applies */
	int block;      /* the residual block, from 0; -1 outside blocks */
	real *weight, *bias;               /* (fan_out, fan_in), (fan_out) */
	real *weight_grad, *bias_grad;     /* same shapes */
	real *gamma, *beta;                /* (fan_out) normalisation scale and shift, or NULL */
	real *gamma_grad, *beta_grad;
	real *weight_velocity, *bias_velocity;
	real *pre;      /* z (B, fan_out), the linear map's output */
	real *pre_grad; /* dL/dz (B, fan_out): the back-propagated delta */
	real *norm_in;  /* N's input: z, or the residual sum in the pre form */
	real *normed;   /* N's output; = norm_in without norm */
	real *xhat;     /* (B, fan_out) norm_in standardised, for the norm's backward; NULL without */
	real *rstd;     /* layernorm (B), batchnorm (fan_out): 1 / sqrt(var + eps) */
	real *running_mean, *running_var; /* batchnorm (fan_out) */
	real *act_in;   /* A's input: normed, or the residual sum in the post form */
	real *act;      /* f(act_in) (B, fan_out); = pre for the output layer */
	real *operand;  /* what R scales by alpha: act (branch), normed (post), z (pre) */
	real *skip;     /* R's identity path: the carry of layer l - block */
	real *sum;      /* R's output; = operand where R does not apply */
	real *out;      /* what the next layer's linear map reads */
	real *carry;    /* what the skip connection carries past the next block */
	size_t saturated; /* units the last backward found saturated (activation_backward) */
	double delta_norm; /* ||pre_grad||, when the last backward took it (delta_norms) */
	/* the step in row tiles (tiles.c): what each tile counted and summed apart, the
	 * second tile's scale and shift gradients (2 x fan_out, normalised layers), and
	 * the worker that takes the layer's weight gradient */
	size_t tile_saturated[NETWORK_TILES];
	double tile_delta_norm[NETWORK_TILES];
	double tile_alpha_grad[NETWORK_TILES];
	real *tile_norm_grad;
	int worker;
	double *chunk_norms; /* (2 x its chunks of NETWORK_UPDATE_CHUNK weights), optimizer.c */
	/* the norms of weight_grad and bias_grad and weight_grad's tiny entries, when the
	 * last backward took them (grad_norms) */
	double weight_grad_norm, bias_grad_norm;
	size_t grad_tiny;
	int dead_units; /* relu units dead for the whole batch, when a logged backward counted */
};
struct RNAME(network) {
	int batch, inputs, outputs, layer_count;
	int active; /* rows of the loaded batch: batch when training, fewer in evaluation */
	bool training; /* batchnorm: batch statistics (training) or running ones (evaluation) */
	/* No residual connections and no norms: each activation gradient has exactly one
	 * writer in the backward pass, which sets it, so no pass zeroes them first (the
	 * result is the same to the bit) */
	bool plain;
	int tiles;   /* row tiles of the step (tiles.c), 1 or NETWORK_TILES */
	int workers; /* threads for them, 1 to tiles */
	int norm;      /* enum norm_kind */
	real norm_eps, norm_momentum;
	real *norm_state; /* rstd and running statistics of every normalised layer */
	real slope;
	int form;        /* enum residual_form */
	int block_count; /* residual blocks */
	/* one alpha per block, and dL/dalpha; views into the tails of parameters and
	 * gradients when trained (learn_alpha), so the optimizer updates them as weights */
	real *alpha, *alpha_grad;
	bool learn_alpha;
	/* the optimizer, as torch.optim's sgd, adam and adamw */
	int optimizer; /* enum optimizer_kind */
	real momentum, beta1, beta2, eps, weight_decay;
	bool nesterov;
	real clip_norm, clip_value; /* 0: off */
	int64_t updates; /* optimizer steps taken, for adam's bias correction */
	int loss; /* enum loss_kind */
	struct RNAME(dense_layer) *layers;
	/* One allocation per buffer family; the layers hold views into them. */
	real *parameters, *gradients, *velocity; /* (parameter_count) each */
	real *second_moment; /* (parameter_count), adam and adamw only */
	size_t parameter_count;
	/* The logged update's scratch (optimizer.c): what it added to the chunk of weights
	 * at hand, per worker, and the norms of each layer's chunks (dense_layer's
	 * chunk_norms: of the change, then of the weights). */
	real *update_chunk;         /* (NETWORK_TILES x NETWORK_UPDATE_CHUNK) */
	double *chunk_norms;        /* (2 x the chunks of all layers) */
	double *weight_norm_after;  /* (layer_count) ||W|| after the last logged update */
	bool weight_norm_current;   /* no other update since it: measure reads it from there */
	/* what the last backward took as it went (tiles.c), for measure to read: each
	 * layer's gradient norms (grad_norms; cleared when clipping changes the
	 * gradients), and when it was a logged one (backward_logged) the tiny count, the
	 * delta norms (a plain network's in the activation pass that writes the deltas)
	 * and the dead relus */
	bool grad_norms, backward_logged;
	/* (NETWORK_TILES x the widest layer's fan_out), for measure's diagnostics, per worker */
	real *unit_scratch;
	size_t unit_scratch_size;   /* per worker */
	double *column_scratch;     /* (2 x the widest layer's fan_out), batchnorm's sums */
	real *activations, *activation_grads;    /* pre, act, out of every layer */
	size_t activation_count;
	real *input;   /* (B, inputs) */
	real *targets; /* (B, outputs), mse only */
	real *probs;   /* (B, outputs), cross_entropy only */
	int32_t *labels; /* (B) */
	double *norm_scratch; /* (4 layer_count + 1) per-layer norms, then the alphas' */
};

/* Allocates the network for spec and initialises its weights from rng. NULL + message on
 * failure. */
struct RNAME(network) *RNAME(network_new)(const struct spec *spec, struct rng *rng);
void RNAME(network_free)(struct RNAME(network) *net);

/* Copies rows of data into the batch buffers, converting to real. */
void RNAME(network_load_batch)(struct RNAME(network) *net, const struct dataset *data,
			       const uint32_t *rows);
/* Loads rows [first, first + count) of data, count <= batch, for evaluation. */
void RNAME(network_load_rows)(struct RNAME(network) *net, const struct dataset *data,
			      int64_t first, int count);
/* Forward pass on the loaded rows; returns the loss (mean over them). */
double RNAME(network_forward)(struct RNAME(network) *net);
/* Backward pass after network_forward: zeroes, then fills every gradient. logged: the
 * step is measured in full (network_measure with all), whose delta norms the backward
 * then takes where it writes the deltas. */
void RNAME(network_backward)(struct RNAME(network) *net, bool logged);
/* Per-layer norms of the current gradients (and, with all, the norms of deltas and
 * weights and the diagnostics); returns the global gradient norm. */
double RNAME(network_measure)(struct RNAME(network) *net, struct layer_stats *layers,
			      bool all);
double RNAME(network_accuracy)(const struct RNAME(network) *net);
/* Clips the gradients (see model_clip); returns the global norm after clipping. */
double RNAME(network_clip)(struct RNAME(network) *net, struct layer_stats *layers,
			   double grad_norm);
/* One optimizer step at this learning rate (optimizer.c): SGD (momentum, Nesterov, weight
 * decay) as torch.optim.SGD, Adam as torch.optim.Adam, AdamW as torch.optim.AdamW. With
 * layers (a logged step, after network_measure with all), also each layer's
 * update_ratio, ||W after - W before|| / weight_norm, and the norm of the weights
 * after it, which the next network_measure reports unless an unlogged update came
 * between. */
void RNAME(network_update)(struct RNAME(network) *net, real learning_rate,
			   struct layer_stats *layers);

/* The norm of layer l's weights, as the logged update takes it (combined from chunks of
 * NETWORK_UPDATE_CHUNK entries): the same value to the bit. */
double RNAME(network_weight_norm)(struct RNAME(network) *net, int l);

/* The forward and backward passes in net->tiles row tiles on net->workers threads
 * (tiles.c), for network_forward and network_backward. network_new plans them for the
 * thread count blas_threads_use set (so it must come first; 1 when it never ran):
 * tiled_plan sets the tiles from the shapes and shares the work among the threads,
 * tiled_share gives each layer to one of the workers: its weight gradient, its norms
 * in network_measure and its weights in a logged network_update. */
void RNAME(tiled_plan)(struct RNAME(network) *net, int threads);
void RNAME(tiled_share)(struct RNAME(network) *net, int threads);
void RNAME(tiled_forward)(struct RNAME(network) *net);
void RNAME(tiled_backward)(struct RNAME(network) *net, bool logged);

/* Whether worker `me` of `workers` takes layer's share of a parallel region. */
static inline bool network_worker_takes(const struct RNAME(dense_layer) *layer, int me,
					int workers)
{
	return layer->worker % workers == me;
}

/* The norms of layer's weight and bias gradients, and with count_tiny the count of the
 * weight gradient's zero or subnormal entries (else 0), in one pass each. */
void RNAME(network_gradient_norms)(const struct RNAME(dense_layer) *layer, bool count_tiny,
				   double *weight, double *bias, size_t *tiny);

/* The gradient buffer of a view into net->activations. */
real *RNAME(network_grad_of)(const struct RNAME(network) *net, const real *view);

/* Initial weights (init.c): the spec's scheme and gain for every layer's weights, the
 * constant bias. Returns -1 with a message if LAPACK fails (orthogonal). */
int RNAME(network_init_parameters)(struct RNAME(network) *net, const struct spec *spec,
				   struct rng *rng);

#endif
