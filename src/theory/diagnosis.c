/* The gradient-health verdict and its explanation (see diagnosis.h). The causes follow
 * the factors of chi = sigma_w^2 E[f'(z)^2]: the activation's derivative, the init's
 * sigma_w^2, and the depth over which chi compounds. A cure is listed only when the
 * mean-field prediction for the spec with the cure applied puts the ratio inside the
 * bounds; what the theory does not predict (norms) is named as untested. */
#include "theory/diagnosis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/strbuf.h"

const char *const gradient_health_names[] = {"healthy", "vanishing", "exploding"};

/* Geometric mean of values[first..last], skipping non-finite or non-positive ones;
 * NaN when none is left. */
static double geometric_mean(const double *values, int first, int last)
{
	double sum = 0;
	int count = 0;
	for (int i = first; i <= last; i++) {
		if (isfinite(values[i]) && values[i] > 0) {
			sum += log(values[i]);
			count++;
		}
	}
	return count ? exp(sum / count) : NAN;
}

void diagnose(struct diagnosis *diagnosis, const double *delta_norms,
	      const struct layer_prediction *predicted, int count, double min_ratio,
	      double max_ratio)
{
	int last = count - 1;
	double output = delta_norms[last];
	diagnosis->min_ratio = min_ratio;
	diagnosis->max_ratio = max_ratio;
	diagnosis->ratio = delta_norms[0] / output;
	diagnosis->predicted_ratio = sqrt(predicted[0].delta_square);
	if (isfinite(diagnosis->ratio) && diagnosis->ratio < min_ratio)
		diagnosis->health = GRADIENT_VANISHING;
	else if (!isfinite(diagnosis->ratio) || diagnosis->ratio > max_ratio)
		diagnosis->health = GRADIENT_EXPLODING;
	else
		diagnosis->health = GRADIENT_HEALTHY;
	diagnosis->from_layer = -1;
	for (int l = last - 1; l >= 0; l--) {
		double ratio = delta_norms[l] / output;
		if (!(ratio >= min_ratio && ratio <= max_ratio)) {
			diagnosis->from_layer = l;
			break;
		}
	}
	/* the factor between the output layer and the top hidden layer involves the
	 * output's shape; the hidden layers below it show the per-layer trend */
	double *measured = xcalloc((size_t)count, sizeof *measured);
	double *chi = xcalloc((size_t)count, sizeof *chi);
	for (int l = 0; l < last; l++) {
		measured[l] = delta_norms[l] * delta_norms[l] /
			      (delta_norms[l + 1] * delta_norms[l + 1]);
		chi[l] = predicted[l].chi;
	}
	int top = last >= 2 ? last - 2 : last - 1;
	diagnosis->measured_chi = geometric_mean(measured, 0, top);
	diagnosis->predicted_chi = geometric_mean(chi, 0, top);
	free(measured);
	free(chi);
}

/* Mean over hidden layers of a prediction field (finite values only); NaN if none. */
static double hidden_mean(const struct layer_prediction *predicted, int count, bool sigma)
{
	double sum = 0;
	int n = 0;
	for (int l = sigma ? 1 : 0; l < count - 1; l++) {
		double value = sigma ? predicted[l].sigma_w2 : predicted[l].derivative_second;
		if (isfinite(value))
			sum += value, n++;
	}
	return n ? sum / n : NAN;
}

static bool rectifier(int activation)
{
	return activation == ACT_RELU || activation == ACT_LEAKY_RELU;
}

/* The predicted ||dL/dz|| of layer 0 over the output's for spec (a changed copy of the
 * checked one) on the checked spec's input; NaN where the theory does not cover it. */
static double predicted_ratio(const struct spec *spec, struct input_moments input)
{
	int count = (int)spec_layer_count(spec);
	struct layer_prediction *layers = xcalloc((size_t)count, sizeof *layers);
	double ratio = meanfield_predict(spec, input, layers) ? NAN : sqrt(layers[0].delta_square);
	free(layers);
	return ratio;
}

static bool within(double ratio, double min_ratio, double max_ratio)
{
	return ratio >= min_ratio && ratio <= max_ratio;
}

/* The gain, to three significant digits, whose predicted ratio is nearest the middle
 * of the bounds (in log scale), by bisection: the ratio grows with the gain for every
 * activation (chi = sigma_w^2 E[f'^2], and E[f'^2] falls slower than 1/gain^2). NaN
 * when no gain in [1e-3, 1e3] brings the predicted ratio inside the bounds. */
static double solve_gain(const struct spec *spec, struct input_moments input,
			 double min_ratio, double max_ratio)
{
	struct spec trial = *spec;
	double target = 0.5 * (log(min_ratio) + log(max_ratio));
	double low = log(1e-3), high = log(1e3);
	trial.model.init.gain = exp(low);
	double low_value = log(predicted_ratio(&trial, input)) - target;
	trial.model.init.gain = exp(high);
	double high_value = log(predicted_ratio(&trial, input)) - target;
	if (!(low_value <= 0 && high_value >= 0))
		return NAN;
	for (int i = 0; i < 60; i++) {
		double middle = 0.5 * (low + high);
		trial.model.init.gain = exp(middle);
		if (log(predicted_ratio(&trial, input)) < target)
			low = middle;
		else
			high = middle;
	}
	/* the gain as printed is the one whose prediction must hold */
	char rounded[32];
	snprintf(rounded, sizeof rounded, "%.3g", exp(0.5 * (low + high)));
	trial.model.init.gain = strtod(rounded, NULL);
	return within(predicted_ratio(&trial, input), min_ratio, max_ratio)
		       ? trial.model.init.gain
		       : NAN;
}

/* The largest depth below spec's (whole blocks) whose predicted ratio lies inside the
 * bounds; 0 if none. */
static int64_t solve_depth(const struct spec *spec, struct input_moments input,
			   double min_ratio, double max_ratio)
{
	struct spec trial = *spec;
	int64_t step = spec->model.residual.enabled ? spec->model.residual.block : 1;
	for (int64_t depth = spec->model.depth - step; depth >= 1; depth -= step) {
		trial.model.depth = depth;
		if (within(predicted_ratio(&trial, input), min_ratio, max_ratio))
			return depth;
	}
	return 0;
}

/* Appends trial (spec with a cure applied) as a cure, with its predicted ratio, when
 * that lies inside the bounds; returns 1 when it did. */
static int offer_cure(struct strbuf *out, const struct spec *trial, struct input_moments input,
		      double min_ratio, double max_ratio, const char *what, const char *options)
{
	double ratio = predicted_ratio(trial, input);
	if (!within(ratio, min_ratio, max_ratio))
		return 0;
	strbuf_printf(out, "  %s (predicted ratio %.3g): %s\n", what, ratio, options);
	return 1;
}

/* Lists each cure whose predicted ratio lies inside the bounds, with that ratio, and
 * the norm (which the theory does not predict) as untested. */
static void list_cures(struct strbuf *out, const struct spec *spec,
		       struct input_moments input, double min_ratio, double max_ratio)
{
	int activation = spec->model.activation.kind, listed = 0;
	struct spec trial = *spec;
	char options[64];
	strbuf_puts(out, "cures the mean-field theory predicts inside the bounds:\n");
	if (!rectifier(activation)) {
		trial.model.activation.kind = ACT_RELU;
		trial.model.init.scheme = INIT_HE_NORMAL;
		trial.model.init.gain = 1;
		listed += offer_cure(out, &trial, input, min_ratio, max_ratio, "relu with He init",
				     "--set model.activation=relu --set 'model.init={scheme:"
				     " he_normal, gain: 1}'");
		trial = *spec;
	}
	if (rectifier(activation) && spec->model.init.scheme != INIT_HE_NORMAL) {
		trial.model.init.scheme = INIT_HE_NORMAL;
		trial.model.init.gain = 1;
		listed += offer_cure(out, &trial, input, min_ratio, max_ratio, "He init for relu",
				     "--set 'model.init={scheme: he_normal, gain: 1}'");
		trial = *spec;
	}
	double gain = solve_gain(spec, input, min_ratio, max_ratio);
	if (isfinite(gain) && gain != spec->model.init.gain) {
		trial.model.init.gain = gain;
		snprintf(options, sizeof options, "--set model.init.gain=%.3g", gain);
		listed += offer_cure(out, &trial, input, min_ratio, max_ratio,
				     gain > spec->model.init.gain ? "a larger gain" : "a smaller gain",
				     options);
		trial = *spec;
	}
	if (!spec->model.residual.enabled) {
		trial.model.residual.enabled = true;
		trial.model.residual.alpha = 1;
		trial.model.residual.block = 1;
		trial.model.residual.form = RESIDUAL_BRANCH;
		trial.model.residual.init = RESIDUAL_INIT_DEFAULT;
		trial.model.residual.learn_alpha = false;
		listed += offer_cure(out, &trial, input, min_ratio, max_ratio,
				     "a residual setup, whose skip path carries the gradient past"
				     " each block",
				     "--set 'model.residual={alpha: 1, block: 1}'");
		trial = *spec;
	}
	trial.model.depth = solve_depth(spec, input, min_ratio, max_ratio);
	if (trial.model.depth > 0) {
		snprintf(options, sizeof options, "--set model.depth=%lld",
			 (long long)trial.model.depth);
		listed += offer_cure(out, &trial, input, min_ratio, max_ratio, "fewer layers",
				     options);
	}
	if (!listed)
		strbuf_puts(out, "  none\n");
	if (spec->model.norm.kind == NORM_NONE)
		strbuf_puts(out, "untested (the theory does not predict norms): --set"
				 " model.norm=layernorm\n");
}

/* The init's cause line, when its chi lies on the failing side of 1 (beyond rounding:
 * He init's relu chi is 1 up to the quadrature's last digits). */
static void explain_init(struct strbuf *out, const struct spec *spec,
			 const struct layer_prediction *predicted, int count, bool vanishing)
{
	double chi = hidden_mean(predicted, count, true) * hidden_mean(predicted, count, false);
	if (isfinite(chi) && (vanishing ? chi < 1 - 1e-9 : chi > 1 + 1e-9))
		strbuf_printf(out, "  the init: sigma_w^2 = fan_in Var(W) = %.4g (%s, gain %.4g),"
				   " so chi = sigma_w^2 E[f'^2] = %.4g %s 1 per layer\n",
			      hidden_mean(predicted, count, true),
			      init_scheme_names[spec->model.init.scheme], spec->model.init.gain,
			      chi, vanishing ? "<" : ">");
}

void diagnosis_explain(struct strbuf *out, const struct diagnosis *diagnosis,
		       const struct spec *spec, const struct layer_prediction *predicted,
		       int count)
{
	if (diagnosis->health == GRADIENT_HEALTHY)
		return;
	bool vanishing = diagnosis->health == GRADIENT_VANISHING;
	int activation = spec->model.activation.kind;
	double derivative = hidden_mean(predicted, count, false);

	strbuf_puts(out, "likely cause:\n");
	/* relu's E[f'^2] = 1/2 is what He init's factor 2 makes up for: not a cause */
	if (vanishing && !rectifier(activation) && isfinite(derivative) && derivative < 0.5)
		strbuf_printf(out, "  the activation's derivative: E[%s'(z)^2] = %.4g at the"
				   " predicted q%s\n", activation_names[activation], derivative,
			      activation == ACT_SIGMOID ? " (sigmoid' is at most 0.25)" : "");
	explain_init(out, spec, predicted, count, vanishing);
	strbuf_printf(out, "  the depth: %lld layers compound the factor (measured %.4g per"
			   " layer in ||dL/dz||^2)\n",
		      (long long)spec->model.depth, diagnosis->measured_chi);
	if (within(diagnosis->predicted_ratio, diagnosis->min_ratio, diagnosis->max_ratio))
		strbuf_printf(out, "  beyond the theory: its ratio (%.4g) lies inside the bounds;"
				   " finite width moves the measured one\n",
			      diagnosis->predicted_ratio);
	list_cures(out, spec, predicted[0].input, diagnosis->min_ratio, diagnosis->max_ratio);
}

void diagnosis_explain_divergence(struct strbuf *out, const struct spec *spec,
				  const struct layer_prediction *predicted, int count,
				  double min_ratio, double max_ratio)
{
	strbuf_puts(out, "likely cause:\n");
	explain_init(out, spec, predicted, count, false);
	strbuf_printf(out, "  the depth: %lld layers compound the factor until the gradient"
			   " overflows (predicted ratio %.4g)\n",
		      (long long)spec->model.depth, sqrt(predicted[0].delta_square));
	list_cures(out, spec, predicted[0].input, min_ratio, max_ratio);
}
