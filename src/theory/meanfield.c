/* The mean-field recursion over a spec's layers.
 *
 * Notation: layer l computes z = W x + b from its input x (fan_in units: the data for
 * layer 0, else the output of layer l - 1), W's entries drawn independently with
 * variance v (init_weight_variance), b the constant bias; sigma_w^2 = v fan_in. A plain
 * hidden layer outputs f(z); the last layer of a residual block (branch form) outputs
 * s + alpha f(z), s the block's input (the output of the layer before the block).
 *
 * Forward. Given the input, z_j is a sum of fan_in independent terms, Gaussian for wide
 * layers, with mean b and variance v ||x||^2; so per unit
 *     q_l = E[z^2] = sigma_w^2 A_{l-1} + b^2,    z ~ N(b, q_l - b^2),
 * A_{l-1} = E[x_i^2] (for layer 0 the data's second moment, mean over the features).
 * A plain layer's output has A_l = E[f(z)^2]. A residual layer's has
 *     A_l = A_s + 2 alpha M_s E[f(z)] + alpha^2 E[f(z)^2],   M_l = M_s + alpha E[f(z)],
 * M the mean of a unit's output: z_i depends on s_i only through one of its fan_in
 * terms, so E[s_i f(z_i)] = E[s_i] E[f(z_i)], which is not 0 for activations with a
 * non-zero mean (relu, sigmoid).
 *
 * Backward. delta = dL/dz, g = dL/d(layer output). Back-propagation computes
 *     g_l = W_{l+1}^T delta_{l+1} (+ g_e when layer l's output is the skip input of the
 *           block ending at layer e),
 *     delta_l = f'(z_l) g_l (plain),  delta_l = alpha f'(z_l) g_l (residual).
 * With W_{l+1} independent of delta_{l+1} (the usual gradient-independence assumption,
 * exact in the wide limit) E||W^T d||^2 = v sum_j ||row j||^2 d_j^2 = sigma_w^2 ||d||^2,
 * the cross term with g_e has mean 0, and f'(z_l) is independent of g_l, so
 *     E||g_l||^2 = sigma_w,{l+1}^2 E||delta_{l+1}||^2 (+ E||g_e||^2),
 *     E||delta_l||^2 = E[f'(z_l)^2] E||g_l||^2 (times alpha^2 for residual layers).
 * Without residual blocks chi_l = sigma_w,{l+1}^2 E[f'(z_l)^2] (Schoenholz et al.
 * 2017); a one-layer branch block multiplies E||g||^2 by 1 + alpha^2 sigma_w^2 E[f'^2].
 * The norms are over the batch, so every sample's terms add and the batch size cancels
 * in every ratio: chi is the ratio of squared Frobenius norms the trainer measures.
 *
 * Two samples. The same recursions hold for the products of two different samples a, c
 * of a batch: C_l = E[x_a x_c] per unit and the pre-activations' covariance
 * sigma_w^2 C_{l-1} (correlation rho = C_{l-1} / A_{l-1}), E[f(z_a) f(z_c)] and
 * E[f'(z_a) f'(z_c)] by two-dimensional quadrature, and
 *     E[delta_a,l . delta_c,l] = E[f'(z_a) f'(z_c)] E[g_a . g_c], E[g_a . g_c] =
 *     sigma_w,{l+1}^2 E[delta_a,l+1 . delta_c,l+1] (+ the skip's), C_l (residual) =
 *     C_s + 2 alpha M_s E[f(z)] + alpha^2 E[f(z_a) f(z_c)].
 * For the data, C = the mean over features of E[x_i]^2.
 *
 * Groups of samples. A sample's own ||x||^2 sets its own q at every layer (given the
 * input, the recursion is deterministic in the wide limit), and where E[f'^2] depends on
 * q (gelu, silu; not relu, whose chi is scale-free) the batch's chi is the mean of the
 * samples' chis, not the chi of the mean q. So the one-sample recursions run per group
 * of samples of similar ||x||^2 (MEANFIELD_GROUPS quantile groups of the training rows),
 * each group's delta_L given the same share of the measured output layer's, and
 * S_l = sum over groups; the weight gradient's diagonal part pairs each group's
 * ||delta||^2 with its own ||x||^2. q is the mean over the groups; the two-sample
 * quantities use the pooled moments.
 *
 * Weight gradients. dW_l = sum over the batch of delta_b x_b^T (the loss's 1/B is in
 * delta), so
 *     ||dW_l||_F^2 = sum_b ||delta_b||^2 ||x_b||^2 + sum_{b != c} (delta_b . delta_c)
 *                    (x_b . x_c),
 *     E||dW_l||^2 = fan_in (A_{l-1} S_l + C_{l-1} X_l),
 * S_l = E sum_b ||delta_b||^2 = E||delta_l||_F^2 and X_l = E sum_{b != c} delta_b .
 * delta_c. The cross-sample part is not small: a random network's softmax leans to the
 * same classes for every sample, so the output deltas of a batch share a direction,
 * and activations with a non-zero mean (relu, sigmoid) give C > 0; neglecting it
 * predicts relu weight gradients 4 times too small. The batch size enters through S and
 * X, which are anchored to the output layer's measured norms: S_L = ||delta_L||^2 and,
 * since the bias gradient is sum_b delta_b, X_L = ||dL/db_L||^2 - ||delta_L||^2.
 *
 * Uncovered: a norm between map and activation, the post and pre residual forms, and
 * residual blocks whose activation has a non-zero mean (see residual_covered) change
 * what reaches the next layer; those layers' outputs (and so everything the
 * recursion derives from them) are NaN. */
#include "theory/meanfield.h"

#include <math.h>
#include <stdlib.h>

#include "nn/init_scale.h"
#include "theory/activation_moments.h"
#include "util/norm.h"
#include "util/strbuf.h"

/* Per layer: the weight variance and bias the init draws, after model.residual.init. */
static void layer_init(const struct spec *spec, const struct layer_shape *shape,
		       double *variance, double *bias)
{
	int kind = spec->model.residual.init;
	*variance = init_weight_variance(spec->model.init.scheme, spec->model.init.gain,
					 (double)shape->fan_in, (double)shape->fan_out);
	*bias = spec->model.init.bias;
	/* as init.c's residual_init: zero_last zeroes each block's last map, fixup also the
	 * output layer and scales the blocks' other maps */
	if (kind == RESIDUAL_INIT_DEFAULT)
		return;
	if (shape->residual || (kind == RESIDUAL_INIT_FIXUP && shape->output)) {
		*variance = 0, *bias = 0;
	} else if (kind == RESIDUAL_INIT_FIXUP && shape->block >= 0) {
		double scale = init_fixup_scale((double)spec_block_count(spec),
						(double)spec->model.residual.block);
		*variance *= scale * scale;
	}
}

/* The skip path adds the block's input to its output, and with it the input's mean:
 * where the activation's output has a non-zero mean, the backward weights of the layers
 * past the block correlate with the forward signal (gradient independence fails), and
 * measured relu residual networks of 30 layers are 10 times off the recursion. Only
 * zero-mean activations (odd ones without bias) keep it exact. */
static bool residual_covered(const struct spec *spec)
{
	int kind = spec->model.activation.kind;
	return spec->model.residual.form == RESIDUAL_BRANCH &&
	       (kind == ACT_LINEAR || kind == ACT_TANH) && spec->model.init.bias == 0;
}

bool meanfield_covers(const struct spec *spec)
{
	return spec->model.norm.kind == NORM_NONE &&
	       (!spec->model.residual.enabled || residual_covered(spec));
}

/* What the recursion carries per layer: per group of samples (see MEANFIELD_GROUPS) the
 * one-sample quantities, and the two-sample ones for the pooled samples. */
struct layer_state {
	struct layer_shape shape;
	double sigma_w2;
	/* per group: E[f'(z)^2]; the output's second moment per unit and mean; E||dL/d
	 * output||^2 and E||dL/dz||^2, relative to the output layer's */
	double derivative_second[MEANFIELD_GROUPS];
	double second[MEANFIELD_GROUPS], mean[MEANFIELD_GROUPS];
	double grad_square[MEANFIELD_GROUPS], delta_square[MEANFIELD_GROUPS];
	/* E||delta||^2 before a residual layer's alpha^2, pooled over the groups */
	double branch_square;
	/* pooled: E[f'(z_a) f'(z_c)], the output's moments, the cross-sample sum of
	 * dL/d output */
	double derivative_product;
	struct input_moments output;
	double output_mean;
	double grad_cross;
};

/* The groups of an input: its own, or one group at its mean. */
static int group_count(struct input_moments input)
{
	return input.groups > 0 ? input.groups : 1;
}

static double group_second(struct input_moments input, int group)
{
	return input.groups > 0 ? input.group_second[group] : input.second;
}

static double group_weight(struct input_moments input, int group)
{
	return input.groups > 0 ? input.group_weight[group] : 1;
}

/* The forward pass of layer l: q, and the moments its output hands on. */
static void forward(const struct spec *spec, const struct quadrature *rule,
		    struct layer_state *states, int l, struct input_moments input,
		    struct layer_prediction *p)
{
	struct layer_state *state = &states[l];
	double variance, bias;
	int groups = group_count(input);
	layer_init(spec, &state->shape, &variance, &bias);
	state->sigma_w2 = variance * (double)state->shape.fan_in;
	p->q = state->sigma_w2 * input.second + bias * bias;
	p->fan_in = (double)state->shape.fan_in;
	p->input = input;
	p->sigma_w2 = state->sigma_w2;
	p->derivative_second = NAN;
	state->output = (struct input_moments){.groups = input.groups};
	for (int g = 0; g < input.groups; g++)
		state->output.group_weight[g] = input.group_weight[g];
	if (state->shape.output)
		return;
	bool covered = meanfield_covers(spec);
	int kind = state->shape.activation;
	double slope = spec->model.activation.slope;
	double alpha = spec->model.residual.alpha;
	/* the block's input, carried past it by the skip connection */
	const struct layer_state *skip =
		state->shape.residual ? &states[l - spec->model.residual.block] : NULL;
	double pooled_mean = 0;
	p->derivative_second = state->output.second = state->output_mean = 0;
	for (int g = 0; g < groups; g++) {
		double weight = group_weight(input, g);
		double sd = sqrt(state->sigma_w2 * group_second(input, g));
		struct activation_moments one =
			covered ? activation_moments(rule, kind, slope, bias, sd)
				: (struct activation_moments){NAN, NAN, NAN};
		state->derivative_second[g] = one.derivative_second;
		state->second[g] = one.second;
		state->mean[g] = one.mean;
		if (skip) {
			state->second[g] = skip->second[g] + 2 * alpha * skip->mean[g] * one.mean +
					   alpha * alpha * one.second;
			state->mean[g] = skip->mean[g] + alpha * one.mean;
		}
		state->output.group_second[g] = state->second[g];
		state->output.second += weight * state->second[g];
		state->output_mean += weight * state->mean[g];
		p->derivative_second += weight * one.derivative_second;
		pooled_mean += weight * one.mean;
	}
	double sd = sqrt(state->sigma_w2 * input.second);
	double rho = input.second > 0 ? input.cross / input.second : 1;
	struct activation_cross_moments two =
		covered ? activation_cross_moments(rule, kind, slope, bias, sd, rho)
			: (struct activation_cross_moments){NAN, NAN};
	state->derivative_product = two.derivative_product;
	state->output.cross = two.product;
	if (skip)
		state->output.cross = skip->output.cross +
				      2 * alpha * skip->output_mean * pooled_mean +
				      alpha * alpha * two.product;
}

/* The backward pass from layer l + 1 down to layer l. */
static void backward(const struct spec *spec, struct layer_state *states,
		     struct layer_prediction *layers, int l)
{
	struct layer_state *state = &states[l], *above = &states[l + 1];
	int groups = group_count(layers[0].input);
	/* layer l's output is also the skip input of the block that starts at l + 1 */
	const struct layer_state *end = NULL;
	if (above->shape.block >= 0 && (l == 0 || state->shape.block != above->shape.block))
		end = &states[l + spec->model.residual.block];
	double alpha = spec->model.residual.alpha;
	double scale = state->shape.residual ? alpha * alpha : 1;
	state->branch_square = 0;
	for (int g = 0; g < groups; g++) {
		state->grad_square[g] = above->sigma_w2 * above->delta_square[g] +
					(end ? end->grad_square[g] : 0);
		double branch = state->derivative_second[g] * state->grad_square[g];
		state->delta_square[g] = scale * branch;
		state->branch_square += group_weight(layers[0].input, g) * branch;
	}
	layers[l].delta_square = scale * state->branch_square;
	state->grad_cross = above->sigma_w2 * layers[l + 1].delta_cross + (end ? end->grad_cross : 0);
	layers[l].delta_cross = scale * state->derivative_product * state->grad_cross;
	/* two residual layers share alpha^2, which cancels: with alpha 0 (ReZero at
	 * initialisation) chi is that limit. Where no gradient reaches the layer above
	 * otherwise (a zeroed map above it, alpha 0 over a plain layer) chi has no finite
	 * value: NaN, never the 0/0 or x/0 of the deltas. */
	if (layers[l + 1].delta_square > 0)
		layers[l].chi = layers[l].delta_square / layers[l + 1].delta_square;
	else if (state->shape.residual && above->shape.residual && above->branch_square > 0)
		layers[l].chi = state->branch_square / above->branch_square;
	else
		layers[l].chi = NAN;
}

/* ||dL/dW||^2 of layer l relative to the output's sums: per group, its samples'
 * ||delta||^2 times their ||x||^2; the cross-sample part pooled. */
static void weight_factors(const struct layer_state *states, struct layer_prediction *layers,
			   int l)
{
	struct layer_prediction *p = &layers[l];
	int groups = group_count(p->input);
	p->weight_square = 0;
	for (int g = 0; g < groups; g++)
		p->weight_square += group_weight(p->input, g) * p->fan_in *
				    group_second(p->input, g) * states[l].delta_square[g];
	p->weight_cross = p->fan_in * p->input.cross * p->delta_cross;
}

int meanfield_predict(const struct spec *spec, struct input_moments input,
		      struct layer_prediction *layers)
{
	struct quadrature rule;
	if (quadrature_init(&rule))
		return -1;
	if (input.groups > MEANFIELD_GROUPS)
		input.groups = MEANFIELD_GROUPS;
	int count = (int)spec_layer_count(spec), last = count - 1;
	struct layer_state *states = xcalloc((size_t)count, sizeof *states);
	for (int l = 0; l < count; l++) {
		states[l].shape = spec_layer_shape(spec, l);
		layers[l].chi = layers[l].delta_norm = layers[l].weight_grad_norm = NAN;
		forward(spec, &rule, states, l, l == 0 ? input : states[l - 1].output, &layers[l]);
	}
	/* the output layer's deltas are the anchor, the same for every group of samples */
	layers[last].delta_square = layers[last].delta_cross = 1;
	for (int g = 0; g < MEANFIELD_GROUPS; g++)
		states[last].delta_square[g] = 1;
	for (int l = last - 1; l >= 0; l--)
		backward(spec, states, layers, l);
	for (int l = 0; l < count; l++)
		weight_factors(states, layers, l);
	free(states);
	return 0;
}

void meanfield_anchor(struct layer_prediction *layers, int count, double output_delta_norm,
		      double output_bias_grad_norm)
{
	double square = output_delta_norm * output_delta_norm;
	double cross = output_bias_grad_norm * output_bias_grad_norm - square;
	for (int l = 0; l < count; l++) {
		struct layer_prediction *p = &layers[l];
		p->delta_norm = sqrt(square * p->delta_square);
		double weight_square = square * p->weight_square + cross * p->weight_cross;
		/* the cross-sample part can be negative, its sum with the diagonal part not
		 * (rounding aside); NaN stays NaN */
		p->weight_grad_norm = sqrt(weight_square < 0 ? 0 : weight_square);
	}
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct input_moments dataset_input_moments(const struct dataset *data)
{
	struct input_moments moments = {.second = NAN, .cross = NAN};
	int64_t rows = data->train_count, features = data->features;
	if (rows <= 0 || features <= 0)
		return moments;
	double norm = norm_f64(data->inputs, (size_t)rows * (size_t)features);
	moments.second = norm * norm / (double)(rows * features);
	moments.cross = 0;
	for (int64_t i = 0; i < features; i++) {
		double sum = 0;
		for (int64_t row = 0; row < rows; row++)
			sum += data->inputs[row * features + i];
		double mean = sum / (double)rows;
		moments.cross += mean * mean / (double)features;
	}
	/* each row's ||x||^2 / features, sorted, in groups whose counts differ by one at
	 * most */
	double *row_second = xcalloc((size_t)rows, sizeof *row_second);
	for (int64_t row = 0; row < rows; row++) {
		double row_norm = norm_f64(data->inputs + row * features, (size_t)features);
		row_second[row] = row_norm * row_norm / (double)features;
	}
	qsort(row_second, (size_t)rows, sizeof *row_second, compare_doubles);
	moments.groups = rows < MEANFIELD_GROUPS ? (int)rows : MEANFIELD_GROUPS;
	for (int g = 0; g < moments.groups; g++) {
		int64_t first = g * rows / moments.groups, end = (g + 1) * rows / moments.groups;
		double sum = 0;
		for (int64_t i = first; i < end; i++)
			sum += row_second[i];
		moments.group_second[g] = sum / (double)(end - first);
		moments.group_weight[g] = (double)(end - first) / (double)rows;
	}
	free(row_second);
	return moments;
}
