/* The whole network's backward pass against central finite differences of its loss,
 * for every activation, residual on and off, every residual setup (form x block length
 * x learned alpha x init, with and without norms), both losses, in the dtype this file
 * is compiled with; and the step allocates nothing. */
#include "support/allocation_count.h"
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "nn/network.h"
#include "spec/spec.h"
#include "util/error.h"

#ifdef GT_REAL_DOUBLE
/* rounding in the loss (1e-16) over the step is 1e-11, times the ops it passes through
 * (a gradient that is exactly 0, such as a bias before batchnorm, shows 1e-10) */
#define STEP 1e-5
#define TOLERANCE 1e-6
#define FLOOR 1e-3
#define DTYPE "float64"
#else
/* float: rounding in the loss (1e-7) over the step gives ~3e-5; a larger step would
 * cross relu kinks more often */
#define STEP 3e-3
#define TOLERANCE 2e-2
#define FLOOR 1e-2
#define DTYPE "float32"
#endif

/* the initial weights' seed (the data rows are fixed); float checks cross an activation
 * kink or meet rounding for some seeds, float64 passes for all those tried */
#ifndef SEED
#define SEED 10
#endif
/* The residual setups are 5 hidden layers deep, not 3: in float, the loss's rounding
 * over the step grows with them, so small gradients are judged against a larger floor. */
#define DEEP_FLOOR (3 * FLOOR)

struct fixture {
	struct spec spec;
	struct dataset data;
	struct RNAME(network) *net;
	uint32_t rows[8];
};

/* Set by every_setup_in_two_row_tiles: build_spec's networks take the step in two row
 * tiles on two threads (tiles.c) */
static bool two_row_tiles;

/* Builds a network of `depth` hidden layers of width 5 over blobs of `features`
 * features; model_extra is appended to the model mapping, train_extra to train's. */
static void build_spec(struct fixture *f, int depth, int features, int batch,
		       const char *model_extra, const char *train_extra)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "data: {kind: blobs, samples: 16, features: %d, classes: 3}\n"
		 "model: {depth: %d, width: 5,"
		 " init: {scheme: xavier_normal, gain: 1.5, bias: 0.1}, %s}\n"
		 "train: {batch_size: %d, dtype: " DTYPE ", %s}\n",
		 features, depth, model_extra, batch, train_extra);
	if (spec_load_text(&f->spec, text, "gradcheck.yaml", NULL, 0))
		fail_msg("spec: %s", error_last());
	assert_int_equal(dataset_generate(&f->data, &f->spec), 0);
	struct rng rng;
	rng_seed(&rng, SEED, RNG_STREAM_INIT);
	f->net = RNAME(network_new)(&f->spec, &rng);
	assert_non_null(f->net);
	if (two_row_tiles && f->net->norm != NORM_BATCHNORM) {
		f->net->tiles = 2;
		RNAME(tiled_share)(f->net, 2);
	}
	for (int i = 0; i < 8; i++)
		f->rows[i] = (uint32_t)(2 * i + 1);
	RNAME(network_load_batch)(f->net, &f->data, f->rows);
}

static void build_normalised(struct fixture *f, const char *activation, const char *residual,
			     const char *loss, int features, int batch, const char *norm)
{
	char model[256], train[64];
	snprintf(model, sizeof model,
		 "activation: {kind: %s, slope: 0.1}, residual: %s, norm: %s", activation,
		 residual, norm);
	snprintf(train, sizeof train, "loss: %s", loss);
	build_spec(f, 3, features, batch, model, train);
}

static void build(struct fixture *f, const char *activation, const char *residual,
		  const char *loss, int features, int batch)
{
	build_normalised(f, activation, residual, loss, features, batch, "none");
}

static void destroy(struct fixture *f)
{
	RNAME(network_free)(f->net);
	dataset_free(&f->data);
	spec_free(&f->spec);
}

/* Every parameter's gradient against (L(p + h) - L(p - h)) / 2h. */
static void check_parameters_above(struct fixture *f, const char *label, double floor)
{
	struct RNAME(network) *net = f->net;
	RNAME(network_forward)(net);
	RNAME(network_backward)(net, false);
	double worst = 0;
	size_t worst_index = 0;
	for (size_t i = 0; i < net->parameter_count; i++) {
		real saved = net->parameters[i];
		net->parameters[i] = saved + (real)STEP;
		double plus = RNAME(network_forward)(net);
		net->parameters[i] = saved - (real)STEP;
		double minus = RNAME(network_forward)(net);
		net->parameters[i] = saved;
		double numeric = (plus - minus) / (2 * STEP), analytic = (double)net->gradients[i];
		double error = fabs(analytic - numeric) /
			       fmax(fmax(fabs(analytic), fabs(numeric)), floor);
		if (error > worst)
			worst = error, worst_index = i;
	}
	RNAME(network_forward)(net);
	if (!(worst <= TOLERANCE))
		fail_msg("%s: parameter %zu: analytic %.10g vs finite difference, error %.3g > %g",
			 label, worst_index, (double)net->gradients[worst_index], worst, TOLERANCE);
}

static void check_all_parameters(struct fixture *f, const char *label)
{
	check_parameters_above(f, label, FLOOR);
}

static void every_activation_residual_and_loss(void **state)
{
	(void)state;
	static const char *const residuals[] = {"false", "{alpha: 0.7}"};
	for (int kind = ACT_LINEAR; kind <= ACT_SILU; kind++) {
		for (int r = 0; r < 2; r++) {
			for (int loss = 0; loss < 2; loss++) {
				struct fixture f;
				build(&f, activation_names[kind], residuals[r], loss_names[loss], 5, 4);
				char label[128];
				snprintf(label, sizeof label, "%s, residual %s, %s", activation_names[kind],
					 residuals[r], loss_names[loss]);
				check_all_parameters(&f, label);
				destroy(&f);
			}
		}
	}
}

/* layernorm and batchnorm between the linear maps and the activations, their scale and
 * shift included in the parameters checked. Smooth activations only: normalised values
 * sit around zero, where a float finite difference would cross relu's kink (relu itself
 * is checked above, and the norms' backward does not depend on the activation). */
static void normalised_networks(void **state)
{
	(void)state;
	static const char *const norms[] = {"layernorm", "batchnorm"};
	static const char *const activations[] = {"tanh", "gelu", "sigmoid"};
	for (int n = 0; n < 2; n++) {
		for (int a = 0; a < 3; a++) {
			for (int r = 0; r < 2; r++) {
				struct fixture f;
				build_normalised(&f, activations[a], r ? "true" : "false",
						 a == 2 ? "mse" : "cross_entropy", 5, 4, norms[n]);
				assert_non_null(f.net->layers[0].gamma);
				assert_null(f.net->layers[3].gamma);
				char label[128];
				snprintf(label, sizeof label, "%s, %s, residual %d", norms[n],
					 activations[a], r);
				check_all_parameters(&f, label);
				destroy(&f);
			}
		}
	}
}

/* The stem (layer 0) is outside the blocks for every form, even when its sizes match. */
static void stem_and_output_are_outside_blocks(void **state)
{
	(void)state;
	struct fixture f;
	build_spec(&f, 5, 5, 4, "activation: tanh, residual: {block: 2, form: post}", "steps: 1");
	static const int blocks[] = {-1, 0, 0, 1, 1, -1};
	static const bool sums[] = {false, false, true, false, true, false};
	for (int l = 0; l < 6; l++) {
		assert_int_equal(f.net->layers[l].block, blocks[l]);
		assert_int_equal(f.net->layers[l].residual, sums[l]);
	}
	assert_int_equal(f.net->block_count, 2);
	/* the second block adds what the first one's last layer carried */
	assert_ptr_equal(f.net->layers[4].skip, f.net->layers[2].carry);
	destroy(&f);
}

/* Every form x block length (1 to 3) x learned alpha, with every init, and with both norms:
 * the alphas, when learned, are parameters and so are checked like the weights. */
static void every_residual_setup(void **state)
{
	(void)state;
	static const char *const forms[] = {"branch", "post", "pre"};
	static const char *const norms[] = {"none", "layernorm", "batchnorm"};
	for (int form = 0; form < 3; form++)
	for (int block = 1; block <= 3; block++)
	for (int learn = 0; learn < 2; learn++)
	for (int norm = 0; norm < 3; norm++)
	for (int init = 0; init < 3; init++) {
		if (init == RESIDUAL_INIT_FIXUP && norm != 0)
			continue; /* fixup is for networks without norms: a spec error */
		char model[256], label[256];
		snprintf(model, sizeof model,
			 "activation: %s, norm: %s, residual: {alpha: %s, block: %d, form: %s,"
			 " learn_alpha: %s, init: %s}",
			 norm ? "tanh" : "gelu", norms[norm], learn && init ? "0.0" : "0.7", block,
			 forms[form], learn ? "true" : "false", residual_init_names[init]);
		snprintf(label, sizeof label, "%s", model);
		struct fixture f;
		/* cross_entropy: mse over the post form's growing outputs is a loss of 100s,
		 * whose float rounding swamps a finite difference (the losses are checked
		 * above, and neither depends on the form) */
		int depth = block == 3 ? 4 : 5; /* 3 or 4 hidden layers after the stem */
		build_spec(&f, depth, 4, 4, model, "loss: cross_entropy");
		/* a norm right after a zeroed map sees rows of zeros: its variance is 0 and
		 * the loss is far from linear over a finite-difference step (1 / sqrt(eps)
		 * scales it), so these are checked one update later, off that point */
		if (norm && init == RESIDUAL_INIT_ZERO_LAST && form != RESIDUAL_PRE) {
			RNAME(network_forward)(f.net);
			RNAME(network_backward)(f.net, false);
			RNAME(network_update)(f.net, (real)0.05, NULL);
		}
		assert_int_equal(f.net->block_count, (depth - 1) / block);
		size_t weights_and_norms =
			f.net->parameter_count - (learn ? (size_t)f.net->block_count : 0);
		assert_ptr_equal(f.net->alpha, learn ? f.net->parameters + weights_and_norms
						     : f.net->alpha);
		check_parameters_above(&f, label, DEEP_FLOOR);
		/* dL/dalpha is computed when alpha is fixed too: check it by moving alpha */
		for (int b = 0; !learn && b < f.net->block_count; b++) {
			real saved = f.net->alpha[b];
			f.net->alpha[b] = saved + (real)STEP;
			double plus = RNAME(network_forward)(f.net);
			f.net->alpha[b] = saved - (real)STEP;
			double minus = RNAME(network_forward)(f.net);
			f.net->alpha[b] = saved;
			RNAME(network_forward)(f.net);
			RNAME(network_backward)(f.net, false);
			double numeric = (plus - minus) / (2 * STEP);
			double analytic = (double)f.net->alpha_grad[b];
			double error = fabs(analytic - numeric) /
				       fmax(fmax(fabs(analytic), fabs(numeric)), DEEP_FLOOR);
			if (!(error <= TOLERANCE))
				fail_msg("%s: alpha %d: analytic %.10g, finite difference %.10g", label,
					 b, analytic, numeric);
		}
		destroy(&f);
	}
}

/* With one example, dL/db equals the delta dL/dz exactly, so the recorded delta (whose
 * norm is delta_norm) is checked through the finite-difference-checked bias gradient. */
static void delta_is_the_pre_activation_gradient(void **state)
{
	(void)state;
	struct fixture f;
	build(&f, "sigmoid", "false", "cross_entropy", 5, 1);
	check_all_parameters(&f, "sigmoid, batch 1");
	struct layer_stats stats[4];
	RNAME(network_measure)(f.net, stats, true);
	for (int l = 0; l < f.net->layer_count; l++) {
		struct RNAME(dense_layer) *layer = &f.net->layers[l];
		for (int j = 0; j < layer->fan_out; j++)
			assert_true(layer->pre_grad[j] == layer->bias_grad[j]);
		assert_true(stats[l].delta_norm == stats[l].bias_grad_norm);
	}
	destroy(&f);
}

/* The step of a residual, normalised network, whole and in two row tiles on two threads
 * (whose thread team the first step sets up), and that of a plain one in two tiles. */
static void training_step_allocates_nothing_in(const char *model, bool tiled)
{
	struct fixture f;
	build_spec(&f, 5, 5, 4, model, "optimizer: adam");
	if (tiled) {
		f.net->tiles = 2;
		RNAME(tiled_share)(f.net, 2);
	}
	struct layer_stats stats[6];
	/* one step first: BLAS may set up its buffers on the first call */
	RNAME(network_forward)(f.net);
	RNAME(network_backward)(f.net, false);
	RNAME(network_update)(f.net, (real)0.1, NULL);
	long before = allocation_count();
	for (int step = 0; step < 3; step++) {
		RNAME(network_load_batch)(f.net, &f.data, f.rows);
		RNAME(network_forward)(f.net);
		RNAME(network_backward)(f.net, step != 1);
		/* logged steps and unlogged ones */
		RNAME(network_measure)(f.net, stats, step != 1);
		RNAME(network_update)(f.net, (real)0.1, step != 1 ? stats : NULL);
	}
	assert_int_equal(allocation_count() - before, 0);
	destroy(&f);
}

static void training_step_allocates_nothing(void **state)
{
	(void)state;
	static const char residual_normalised[] = "activation: relu, norm: layernorm,"
						   " residual: {block: 2, form: pre, learn_alpha: true}";
	training_step_allocates_nothing_in(residual_normalised, false);
	training_step_allocates_nothing_in(residual_normalised, true);
	training_step_allocates_nothing_in("activation: tanh", true);
}

/* The step in two row tiles (tiles.c; real runs take it from products of 2^21
 * multiply-adds, made to here on small networks): its gradients agree with the whole
 * batch's to rounding and come out the same to the bit on one thread or two (the
 * alphas' and the norms' scale and shift included); the delta norms a plain network
 * takes as it goes and the saturation it counts are measure's own. An odd batch leaves
 * the first tile the odd row. every_setup_in_two_row_tiles checks the gradients against
 * finite differences. */
static void halves_of_the_batch_give_the_same_gradients(void **state)
{
	(void)state;
	static const char *const models[] = {
		"activation: relu", "activation: sigmoid", "activation: tanh", "activation: gelu",
		"activation: tanh, norm: layernorm, residual: {block: 2, learn_alpha: true}",
		"activation: gelu, residual: {block: 1, form: post, learn_alpha: true}",
		"activation: sigmoid, norm: layernorm, residual: {block: 2, form: pre}"};
	for (size_t k = 0; k < sizeof models / sizeof *models; k++)
		for (int batch = 7; batch <= 8; batch++) {
			struct fixture whole, one, two;
			build_spec(&whole, 3, 5, batch, models[k], "loss: cross_entropy");
			build_spec(&one, 3, 5, batch, models[k], "loss: cross_entropy");
			build_spec(&two, 3, 5, batch, models[k], "loss: cross_entropy");
			assert_int_equal(whole.net->tiles, 1);
			one.net->tiles = two.net->tiles = 2;
			RNAME(tiled_share)(one.net, 1);
			RNAME(tiled_share)(two.net, 2);
			assert_true(two.net->layers[0].worker != two.net->layers[1].worker);
			struct layer_stats one_stats[4], two_stats[4], measured[4];
			RNAME(network_forward)(whole.net);
			RNAME(network_backward)(whole.net, false);
			RNAME(network_forward)(one.net);
			RNAME(network_backward)(one.net, true);
			RNAME(network_measure)(one.net, one_stats, true);
			RNAME(network_forward)(two.net);
			RNAME(network_backward)(two.net, true);
			RNAME(network_measure)(two.net, two_stats, true);
			size_t n = whole.net->parameter_count;
			assert_memory_equal(one.net->gradients, two.net->gradients, n * sizeof(real));
			int blocks = whole.net->block_count;
			assert_memory_equal(one.net->alpha_grad, two.net->alpha_grad,
					    (size_t)blocks * sizeof(real));
			for (size_t i = 0; i < n + (size_t)blocks; i++) {
				double halves = i < n ? two.net->gradients[i] : two.net->alpha_grad[i - n];
				double all = i < n ? whole.net->gradients[i] : whole.net->alpha_grad[i - n];
				if (!(fabs(halves - all) <= 1e-5 * fmax(fabs(all), 1e-3)))
					fail_msg("%s batch %d: gradient %zu %.9g in halves, %.9g whole",
						 models[k], batch, i, halves, all);
			}
			two.net->backward_logged = false; /* measure takes them itself */
			RNAME(network_measure)(two.net, measured, true);
			for (int l = 0; l < two.net->layer_count; l++) {
				assert_true(one_stats[l].delta_norm == two_stats[l].delta_norm);
				assert_true(fabs(two_stats[l].delta_norm - measured[l].delta_norm) <=
					    1e-6 * measured[l].delta_norm);
				assert_true(two.net->layers[l].saturated == whole.net->layers[l].saturated);
			}
			destroy(&whole);
			destroy(&one);
			destroy(&two);
		}
}

/* An unlogged update shared between two workers (halves of the flat parameters) moves
 * every parameter exactly as one worker does: 513 parameters, one past a multiple of
 * 128, where halves rounded to 64 entries once left the last one out. */
static void update_on_two_workers_moves_every_parameter(void **state)
{
	(void)state;
	struct fixture one, two;
	build_spec(&one, 1, 98, 4, "activation: tanh", "loss: cross_entropy");
	build_spec(&two, 1, 98, 4, "activation: tanh", "loss: cross_entropy");
	size_t n = one.net->parameter_count;
	assert_int_equal(n % 128, 1);
	one.net->tiles = two.net->tiles = 2;
	RNAME(tiled_share)(one.net, 1);
	RNAME(tiled_share)(two.net, 2);
	for (size_t i = 0; i < n; i++)
		one.net->gradients[i] = two.net->gradients[i] = (real)1;
	RNAME(network_update)(one.net, (real)0.5, NULL);
	RNAME(network_update)(two.net, (real)0.5, NULL);
	assert_memory_equal(one.net->parameters, two.net->parameters, n * sizeof(real));
	real last_before = one.net->parameters[n - 1] + (real)0.5;
	RNAME(network_update)(two.net, (real)0.5, NULL);
	assert_true(two.net->parameters[n - 1] == last_before - 1);
	destroy(&one);
	destroy(&two);
}

/* The tiles follow the shapes: halves when a product reaches 2^21 multiply-adds (here
 * 128 x 256 x 256), the whole batch below it or with batchnorm; one thread or two only
 * say how many workers take them, more keep the batch whole. */
static void tiles_follow_the_shapes(void **state)
{
	(void)state;
	static const struct {
		const char *model;
		int batch, tiles;
	} cases[] = {{"width: 256", 128, 2}, {"width: 64", 64, 1},
		     {"width: 256, norm: batchnorm", 128, 1},
		     {"width: 256, residual: {block: 2}, norm: layernorm", 128, 2}};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		char text[512];
		snprintf(text, sizeof text,
			 "data: {kind: blobs, features: 8}\nmodel: {depth: 3, %s}\n"
			 "train: {batch_size: %d, dtype: " DTYPE "}\n",
			 cases[c].model, cases[c].batch);
		struct spec spec;
		if (spec_load_text(&spec, text, "tiles.yaml", NULL, 0))
			fail_msg("spec: %s", error_last());
		struct rng rng;
		rng_seed(&rng, SEED, RNG_STREAM_INIT);
		struct RNAME(network) *net = RNAME(network_new)(&spec, &rng);
		assert_non_null(net);
		RNAME(tiled_plan)(net, 2);
		assert_int_equal(net->tiles, cases[c].tiles);
		assert_int_equal(net->workers, cases[c].tiles);
		RNAME(tiled_plan)(net, 1);
		assert_int_equal(net->tiles, cases[c].tiles);
		assert_int_equal(net->workers, 1);
		/* more threads than tiles: the whole batch, on OpenBLAS's threads */
		RNAME(tiled_plan)(net, 4);
		assert_int_equal(net->tiles, 1);
		assert_int_equal(net->workers, 1);
		RNAME(network_free)(net);
		spec_free(&spec);
	}
}

/* Every setup of the finite-difference checks above again in two row tiles on two
 * threads, as a network with larger products takes them (batchnorm keeps the batch
 * whole). */
static void every_setup_in_two_row_tiles(void **state)
{
	two_row_tiles = true;
	every_activation_residual_and_loss(state);
	normalised_networks(state);
	every_residual_setup(state);
	two_row_tiles = false;
}

/* A plain network's backward (no residual connections, no norms) sets every gradient
 * instead of zeroing the buffers and adding: the result is the same to the bit as adding
 * to zeros (the twin made to take that path), and nothing of what the buffers held
 * before is left (they start as NaN). */
static void plain_backward_is_adding_to_zeros(void **state)
{
	(void)state;
	static const char *const activations[] = {"relu", "sigmoid", "tanh", "gelu"};
	for (size_t k = 0; k < sizeof activations / sizeof *activations; k++) {
		struct fixture set, added;
		build(&set, activations[k], "false", "cross_entropy", 5, 8);
		build(&added, activations[k], "false", "cross_entropy", 5, 8);
		assert_true(set.net->plain);
		added.net->plain = false;
		size_t count = set.net->activation_count;
		for (size_t i = 0; i < count; i++)
			set.net->activation_grads[i] = (real)NAN;
		for (size_t i = 0; i < set.net->parameter_count; i++)
			set.net->gradients[i] = (real)NAN;
		RNAME(network_forward)(set.net);
		RNAME(network_backward)(set.net, false);
		RNAME(network_forward)(added.net);
		RNAME(network_backward)(added.net, false);
		if (memcmp(set.net->activation_grads, added.net->activation_grads,
			   count * sizeof(real)) ||
		    memcmp(set.net->gradients, added.net->gradients,
			   set.net->parameter_count * sizeof(real)))
			fail_msg("%s: a plain backward differs from adding to zeros", activations[k]);
		destroy(&set);
		destroy(&added);
	}
}

/* A logged update records ||W after - W before|| / ||W before|| per layer, as computed
 * here from a copy of the weights, and moves the parameters exactly as an unlogged one
 * does, for every optimizer; the weight norm the next measure takes from it is the one
 * measure computes itself, to the bit. */
static void logged_update_measures_its_ratio_with(int features)
{
	static const char *const optimizers[] = {
		"optimizer: {kind: sgd, lr: 0.1}",
		"optimizer: {kind: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01}",
		"optimizer: {kind: sgd, lr: 0.1, momentum: 0.5}",
		"optimizer: {kind: adam, lr: 0.01, weight_decay: 0.1}",
		"optimizer: {kind: adamw, lr: 0.01, weight_decay: 0.1}",
	};
	for (size_t o = 0; o < sizeof optimizers / sizeof *optimizers; o++) {
		struct fixture logged, unlogged;
		build_spec(&logged, 3, features, 4, "activation: tanh", optimizers[o]);
		build_spec(&unlogged, 3, features, 4, "activation: tanh", optimizers[o]);
		size_t n = logged.net->parameter_count;
		real *before = malloc(n * sizeof *before);
		struct layer_stats stats[4], unlogged_stats[4];
		for (int step = 0; step < 3; step++) {
			memcpy(before, logged.net->parameters, n * sizeof *before);
			RNAME(network_forward)(logged.net);
			RNAME(network_backward)(logged.net, true);
			RNAME(network_measure)(logged.net, stats, true);
			RNAME(network_update)(logged.net, (real)0.1, stats);
			RNAME(network_forward)(unlogged.net);
			RNAME(network_backward)(unlogged.net, false);
			RNAME(network_measure)(unlogged.net, unlogged_stats, true);
			RNAME(network_update)(unlogged.net, (real)0.1, NULL);
			assert_memory_equal(logged.net->parameters, unlogged.net->parameters,
					    n * sizeof *before);
			for (int l = 0; l < logged.net->layer_count; l++) {
				const struct RNAME(dense_layer) *layer = &logged.net->layers[l];
				size_t offset = (size_t)(layer->weight - logged.net->parameters);
				size_t weights = (size_t)layer->fan_in * layer->fan_out;
				double moved = 0, size = 0;
				for (size_t i = offset; i < offset + weights; i++) {
					double d = (double)(logged.net->parameters[i] - before[i]);
					moved += d * d;
					size += (double)before[i] * before[i];
				}
				double expected = sqrt(moved) / sqrt(size);
				if (!(fabs(stats[l].update_ratio - expected) <= 1e-12 * expected) ||
				    !(expected > 0))
					fail_msg("%s: step %d layer %d: update_ratio %.17g, expected %.17g",
						 optimizers[o], step, l, stats[l].update_ratio, expected);
				if (!(fabs(stats[l].weight_norm - sqrt(size)) <= 1e-12 * sqrt(size)) ||
				    stats[l].weight_norm != unlogged_stats[l].weight_norm)
					fail_msg("%s: step %d layer %d: weight_norm %.17g, measured %.17g,"
						 " expected %.17g", optimizers[o], step, l,
						 stats[l].weight_norm, unlogged_stats[l].weight_norm,
						 sqrt(size));
				/* the delta norm the logged backward took, to the bit */
				if (memcmp(&stats[l].delta_norm, &unlogged_stats[l].delta_norm,
					   sizeof(double)) != 0)
					fail_msg("%s: step %d layer %d: delta_norm %.17g, measured %.17g",
						 optimizers[o], step, l, stats[l].delta_norm,
						 unlogged_stats[l].delta_norm);
			}
		}
		free(before);
		destroy(&logged);
		destroy(&unlogged);
	}
}

/* With 3000 features the first layer's 15000 weights are updated in chunks, the last one
 * partial. */
static void logged_update_measures_its_ratio(void **state)
{
	(void)state;
	logged_update_measures_its_ratio_with(5);
	logged_update_measures_its_ratio_with(3000);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_activation_residual_and_loss),
		cmocka_unit_test(normalised_networks),
		cmocka_unit_test(stem_and_output_are_outside_blocks),
		cmocka_unit_test(every_residual_setup),
		cmocka_unit_test(delta_is_the_pre_activation_gradient),
		cmocka_unit_test(training_step_allocates_nothing),
		cmocka_unit_test(logged_update_measures_its_ratio),
		cmocka_unit_test(plain_backward_is_adding_to_zeros),
		cmocka_unit_test(halves_of_the_batch_give_the_same_gradients),
		cmocka_unit_test(every_setup_in_two_row_tiles),
		cmocka_unit_test(update_on_two_workers_moves_every_parameter),
		cmocka_unit_test(tiles_follow_the_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
