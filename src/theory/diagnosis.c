/* The gradient-health verdict and its explanation (see diagnosis.h). The causes follow
 * the factors of chi = sigma_w^2 E[f'(z)^2]: the activation's derivative, the init's
 * sigma_w^2, and the depth over which chi compounds. */
#include "theory/diagnosis.h"

#include <math.h>
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

static bool saturating(int activation)
{
	return activation == ACT_SIGMOID || activation == ACT_TANH ||
	       activation == ACT_SOFTPLUS;
}

static bool rectifier(int activation)
{
	return activation == ACT_RELU || activation == ACT_LEAKY_RELU;
}

void diagnosis_explain(struct strbuf *out, const struct diagnosis *diagnosis,
		       const struct spec *spec, const struct layer_prediction *predicted,
		       int count)
{
	if (diagnosis->health == GRADIENT_HEALTHY)
		return;
	bool vanishing = diagnosis->health == GRADIENT_VANISHING;
	int activation = spec->model.activation.kind;
	const char *activation_name = activation_names[activation];
	double derivative = hidden_mean(predicted, count, false);
	double sigma_w2 = hidden_mean(predicted, count, true);
	double chi = diagnosis->predicted_chi;
	double gain = spec->model.init.gain;

	strbuf_puts(out, "likely cause:\n");
	if (vanishing && isfinite(derivative) && derivative < 0.5)
		strbuf_printf(out, "  the activation's derivative: E[%s'(z)^2] = %.4g at the"
				   " predicted q%s\n", activation_name, derivative,
			      activation == ACT_SIGMOID ? " (sigmoid' is at most 0.25)" : "");
	if (isfinite(sigma_w2) && isfinite(derivative))
		strbuf_printf(out, "  the init: sigma_w^2 = fan_in Var(W) = %.4g (%s, gain %.4g),"
				   " so chi = sigma_w^2 E[f'^2] = %.4g %s 1 per layer\n",
			      sigma_w2, init_scheme_names[spec->model.init.scheme], gain,
			      sigma_w2 * derivative, vanishing ? "<" : ">");
	strbuf_printf(out, "  the depth: %lld layers compound the factor (measured %.4g per"
			   " layer in ||dL/dz||^2)\n",
		      (long long)spec->model.depth, diagnosis->measured_chi);

	strbuf_puts(out, "cures that apply:\n");
	if (vanishing && !rectifier(activation))
		strbuf_puts(out, "  relu with He init (chi = 1 per layer): --set model.activation=relu"
				 " --set 'model.init={scheme: he_normal, gain: 1}'\n");
	bool he_cure = rectifier(activation) && spec->model.init.scheme != INIT_HE_NORMAL;
	if (he_cure)
		strbuf_puts(out, "  He init for relu (chi = 1 per layer): --set"
				 " 'model.init={scheme: he_normal, gain: 1}'\n");
	/* chi scales with gain^2 (exactly for rectifiers; roughly where q moves) */
	if (!he_cure && isfinite(chi) && chi > 0 && (!vanishing || !saturating(activation)))
		strbuf_printf(out, "  a %s gain (chi ~ gain^2): --set model.init.gain=%.3g\n",
			      vanishing ? "larger" : "smaller", gain / sqrt(chi));
	if (!spec->model.residual.enabled)
		strbuf_puts(out, "  a residual setup, whose skip path carries the gradient past each"
				 " block: --set 'model.residual={alpha: 1, block: 1}'\n");
	if (spec->model.norm.kind == NORM_NONE)
		strbuf_puts(out, "  a norm, which rescales every layer's pre-activations:"
				 " --set model.norm=layernorm\n");
	if (spec->model.depth > 5)
		strbuf_printf(out, "  fewer layers: at the measured factor, 5 layers give a layer"
				   " 0/output ratio near %.3g\n",
			      pow(diagnosis->measured_chi, 2.5));
}
