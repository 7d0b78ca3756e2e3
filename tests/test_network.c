/* The whole network's backward pass against central finite differences of its loss,
 * for every activation, residual on and off, both losses, in the dtype this file is
 * compiled with; and the step allocates nothing. */
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
/* rounding in the loss (1e-16) over the step bounds the absolute error near 1e-11 */
#define STEP 1e-5
#define TOLERANCE 1e-6
#define FLOOR 1e-4
#define DTYPE "float64"
#else
/* float: rounding in the loss (1e-7) over the step gives ~3e-5; a larger step would
 * cross relu kinks more often */
#define STEP 3e-3
#define TOLERANCE 2e-2
#define FLOOR 1e-2
#define DTYPE "float32"
#endif

/* Counts allocations made by gtrack's own code (linked with --wrap=malloc etc.). */
static long allocations;
void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size)
{
	allocations++;
	return __real_malloc(size);
}
void *__wrap_calloc(size_t count, size_t size)
{
	allocations++;
	return __real_calloc(count, size);
}
void *__wrap_realloc(void *p, size_t size)
{
	allocations++;
	return __real_realloc(p, size);
}

struct fixture {
	struct spec spec;
	struct dataset data;
	struct RNAME(network) *net;
	uint32_t rows[8];
};

static void build_normalised(struct fixture *f, const char *activation, const char *residual,
			     const char *loss, int features, int batch, const char *norm)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "data: {kind: blobs, samples: 16, features: %d, classes: 3}\n"
		 "model:\n"
		 "  depth: 3\n"
		 "  width: 5\n"
		 "  activation: {kind: %s, slope: 0.1}\n"
		 "  residual: %s\n"
		 "  norm: %s\n"
		 "  init: {scheme: xavier_normal, gain: 1.5, bias: 0.1}\n"
		 "train: {batch_size: %d, loss: %s, dtype: " DTYPE "}\n",
		 features, activation, residual, norm, batch, loss);
	if (spec_load_text(&f->spec, text, "gradcheck.yaml", NULL, 0))
		fail_msg("spec: %s", error_last());
	assert_int_equal(dataset_generate(&f->data, &f->spec), 0);
	struct rng rng;
	rng_seed(&rng, 7, RNG_STREAM_INIT);
	f->net = RNAME(network_new)(&f->spec, &rng);
	assert_non_null(f->net);
	for (int i = 0; i < 8; i++)
		f->rows[i] = (uint32_t)(2 * i + 1);
	RNAME(network_load_batch)(f->net, &f->data, f->rows);
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
static void check_all_parameters(struct fixture *f, const char *label)
{
	struct RNAME(network) *net = f->net;
	RNAME(network_forward)(net);
	RNAME(network_backward)(net);
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
			       fmax(fmax(fabs(analytic), fabs(numeric)), FLOOR);
		if (error > worst)
			worst = error, worst_index = i;
	}
	if (!(worst <= TOLERANCE))
		fail_msg("%s: parameter %zu: analytic %.10g vs finite difference, error %.3g > %g",
			 label, worst_index, (double)net->gradients[worst_index], worst, TOLERANCE);
}

static void every_activation_residual_and_loss(void **state)
{
	(void)state;
	static const char *const residuals[] = {"false", "{alpha: 0.7}"};
	for (int kind = ACT_LINEAR; kind <= ACT_SILU; kind++) {
		for (int r = 0; r < 2; r++) {
			for (int loss = 0; loss < 2; loss++) {
				/* features == width, so layer 0 is residual too when on */
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

static void residual_skips_layers_whose_sizes_differ(void **state)
{
	(void)state;
	struct fixture f;
	build(&f, "tanh", "true", "cross_entropy", 4, 4);
	assert_false(f.net->layers[0].residual);
	assert_true(f.net->layers[1].residual);
	assert_false(f.net->layers[3].residual); /* the output layer */
	check_all_parameters(&f, "tanh, residual, features != width");
	destroy(&f);
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

static void training_step_allocates_nothing(void **state)
{
	(void)state;
	struct fixture f;
	build(&f, "relu", "true", "cross_entropy", 5, 4);
	struct layer_stats stats[4];
	/* one step first: BLAS may set up its buffers on the first call */
	RNAME(network_forward)(f.net);
	RNAME(network_backward)(f.net);
	RNAME(network_update)(f.net, (real)0.1);
	long before = allocations;
	for (int step = 0; step < 3; step++) {
		RNAME(network_load_batch)(f.net, &f.data, f.rows);
		RNAME(network_forward)(f.net);
		RNAME(network_backward)(f.net);
		RNAME(network_measure)(f.net, stats, true);
		RNAME(network_update)(f.net, (real)0.1);
	}
	assert_int_equal(allocations - before, 0);
	destroy(&f);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_activation_residual_and_loss),
		cmocka_unit_test(normalised_networks),
		cmocka_unit_test(residual_skips_layers_whose_sizes_differ),
		cmocka_unit_test(delta_is_the_pre_activation_gradient),
		cmocka_unit_test(training_step_allocates_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
