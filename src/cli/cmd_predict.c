/* gtrack predict SPEC... : the mean-field prediction of each spec, per layer, without
 * training and without writing anything. The data is read (its second moment sets q at
 * layer 0) and one forward and backward pass on the run's first batch measures the
 * output layer's step-0 norms, which anchor the predicted norms as in a run's
 * predictions rows. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "data/dataset.h"
#include "nn/blas_threads.h"
#include "nn/model.h"
#include "spec/spec.h"
#include "theory/meanfield.h"
#include "train/batches.h"
#include "util/error.h"
#include "util/printable.h"
#include "util/strbuf.h"

const char cmd_predict_usage[] =
	"usage: gtrack predict SPEC... [--set KEY=VALUE]...\n"
	"\n"
	"Prints what mean-field theory predicts for the network of each spec at\n"
	"initialisation, per layer (0 nearest the input): q, the pre-activation second\n"
	"moment per unit; chi, the factor by which back-propagation multiplies\n"
	"E||dL/dz||^2 from the layer above down to this one (chi < 1 in every layer:\n"
	"vanishing, > 1: exploding); and the step-0 norms of dL/dz and dL/dW, anchored to\n"
	"the output layer's, measured on the run's first batch. The same numbers a run\n"
	"records in its predictions table. '-' marks what the theory does not cover for\n"
	"the setup (norm layers, the post and pre residual forms). Nothing is trained or\n"
	"written; the data is read.\n"
	"\n"
	"  --set KEY=VALUE    override a spec key, e.g. --set model.depth=30 (repeatable)\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 printed, 2 bad option, 3 invalid spec or data, 1 the network could\n"
	"not be built.\n";

/* The output layer's measured norms at step 0: one forward and backward pass on the
 * first batch a run of this spec trains on. Returns 0, or -1 with a message. */
static int measure_step_zero(const struct spec *spec, const struct dataset *data,
			     struct layer_stats *output)
{
	blas_threads_use(blas_threads_choose(0, 1)); /* as gtrack run: the same numbers */
	struct model *model = model_new(spec);
	if (!model)
		return -1;
	int count = model_layer_count(model);
	struct layer_stats *layers = xcalloc((size_t)count, sizeof *layers);
	struct batch_order batches;
	struct step_stats step;
	batch_order_init(&batches, spec, data->train_count);
	model_compute_gradients(model, data, batch_order_next(&batches), true, &step);
	model_measure(model, layers, true);
	*output = layers[count - 1];
	batch_order_free(&batches);
	free(layers);
	model_free(model);
	return 0;
}

/* What the theory leaves out for this setup, or NULL when it covers it all. */
static const char *uncovered_reason(const struct spec *spec)
{
	if (spec->model.norm.kind != NORM_NONE)
		return "a norm between map and activation";
	if (spec->model.residual.enabled && spec->model.residual.form != RESIDUAL_BRANCH)
		return "the post and pre residual forms";
	return NULL;
}

static void print_prediction(const struct spec *spec, const struct dataset *data,
			     const struct layer_prediction *layers, int count,
			     const struct layer_stats *output)
{
	char q[32], chi[32], delta[32], weight[32], a[32], b[32], c[32], d[32];
	char *name = text_printable(spec->name);
	printf("%s: %lld hidden layers of %lld, %s, %s gain %s, bias %s", name,
	       (long long)spec->model.depth, (long long)spec->model.width,
	       activation_names[spec->model.activation.kind],
	       init_scheme_names[spec->model.init.scheme],
	       format_number(a, sizeof a, spec->model.init.gain),
	       format_number(b, sizeof b, spec->model.init.bias));
	if (spec->model.residual.enabled)
		printf(", residual %s alpha %s block %lld",
		       residual_form_names[spec->model.residual.form],
		       format_number(c, sizeof c, spec->model.residual.alpha),
		       (long long)spec->model.residual.block);
	printf("\ninput: E[x^2] %s, E[x]^2 %s (mean over %lld features, %lld training rows)\n",
	       format_number(a, sizeof a, layers[0].input.second),
	       format_number(b, sizeof b, layers[0].input.cross), (long long)data->features,
	       (long long)data->train_count);
	free(name);
	printf("%5s  %-6s  %7s  %7s  %10s  %10s  %10s  %16s\n", "layer", "kind", "fan_in",
	       "fan_out", "q", "chi", "delta_norm", "weight_grad_norm");
	for (int l = 0; l < count; l++) {
		struct layer_shape shape = spec_layer_shape(spec, l);
		printf("%5d  %-6s  %7lld  %7lld  %10s  %10s  %10s  %16s\n", l,
		       shape.output ? "output" : "hidden", (long long)shape.fan_in,
		       (long long)shape.fan_out, format_number(q, sizeof q, layers[l].q),
		       format_number(chi, sizeof chi, layers[l].chi),
		       format_number(delta, sizeof delta, layers[l].delta_norm),
		       format_number(weight, sizeof weight, layers[l].weight_grad_norm));
	}
	printf("predicted ||dL/dz|| layer 0 / output: %s\n",
	       format_number(a, sizeof a, sqrt(layers[0].delta_square)));
	printf("anchored to the output layer at step 0 (first batch of %lld): ||dL/dz|| %s,"
	       " ||dL/db|| %s\n",
	       (long long)spec->train.batch_size, format_number(c, sizeof c, output->delta_norm),
	       format_number(d, sizeof d, output->bias_grad_norm));
	const char *reason = uncovered_reason(spec);
	if (reason)
		printf("not predicted ('-'): %s, which the mean-field recursion here does not"
		       " cover\n", reason);
}

/* Predicts one spec; returns an exit code. */
static int predict_spec(struct spec *spec)
{
	struct dataset data;
	if (dataset_generate(&data, spec))
		return EXIT_BAD_SPEC;
	int count = (int)spec_layer_count(spec), code = EXIT_RUN_FAILED;
	struct layer_prediction *layers = xcalloc((size_t)count, sizeof *layers);
	struct layer_stats output;
	if (measure_step_zero(spec, &data, &output) ||
	    meanfield_predict(spec, dataset_input_moments(&data), layers))
		goto done;
	meanfield_anchor(layers, count, output.delta_norm, output.bias_grad_norm);
	print_prediction(spec, &data, layers, count, &output);
	code = EXIT_OK;
done:
	free(layers);
	dataset_free(&data);
	return code;
}

int cmd_predict(int argc, char **argv)
{
	static const struct option options[] = {
		{"set", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char **overrides = xcalloc((size_t)argc, sizeof *overrides);
	int override_count = 0, option, code = EXIT_OK;
	optind = 0;
	while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (option) {
		case 's':
			overrides[override_count++] = optarg;
			break;
		case 'h':
			fputs(cmd_predict_usage, stdout);
			free(overrides);
			return finish_output(EXIT_OK);
		default:
			free(overrides);
			return option_error("predict", argv, "h");
		}
	}
	if (optind >= argc) {
		free(overrides);
		return usage_error("predict", "expected at least one SPEC file");
	}
	for (int i = optind; i < argc && code == EXIT_OK; i++) {
		struct spec spec;
		if (spec_load_file(&spec, argv[i], overrides, override_count)) {
			code = EXIT_BAD_SPEC;
			break;
		}
		if (i > optind)
			printf("\n");
		code = predict_spec(&spec);
		spec_free(&spec);
	}
	free(overrides);
	return finish_output(code);
}
