/* E[f], E[f^2] and E[f'^2] under a Gaussian: the activation and its derivative are
 * evaluated by activation_forward and activation_backward themselves (so the theory uses
 * exactly the functions the trainer does, relu'(0) = 0 included) at the quadrature's
 * points. */
#include "theory/activation_moments.h"

#include <math.h>

/* the double build of the numeric core (nn/real.h) */
#define GT_REAL_DOUBLE
#include "nn/ops.h"

/* The quadrature points of N(mean, sd^2) with f and f' at each; returns their count. */
static int evaluate(const struct quadrature *rule, int kind, double slope, double mean,
		    double sd, double *z, double *weight, double *value, double *derivative)
{
	double ones[QUADRATURE_MAX_POINTS];
	int count = quadrature_normal(rule, mean, sd, z, weight);
	for (int i = 0; i < count; i++)
		ones[i] = 1, derivative[i] = 0;
	activation_forward_f64(value, z, (size_t)count, kind, slope);
	/* dz += da f'(z) with da = 1: the derivative itself */
	activation_backward_f64(derivative, ones, z, value, (size_t)count, kind, slope);
	return count;
}

struct activation_moments activation_moments(const struct quadrature *rule, int kind,
					     double slope, double mean, double sd)
{
	struct activation_moments moments = {NAN, NAN, NAN};
	if (isnan(mean) || isnan(sd))
		return moments;
	double z[QUADRATURE_MAX_POINTS], weight[QUADRATURE_MAX_POINTS];
	double value[QUADRATURE_MAX_POINTS], derivative[QUADRATURE_MAX_POINTS];
	int count = evaluate(rule, kind, slope, mean, sd, z, weight, value, derivative);
	moments.mean = moments.second = moments.derivative_second = 0;
	for (int i = 0; i < count; i++) {
		moments.mean += weight[i] * value[i];
		moments.second += weight[i] * value[i] * value[i];
		moments.derivative_second += weight[i] * derivative[i] * derivative[i];
	}
	return moments;
}

struct activation_cross_moments activation_cross_moments(const struct quadrature *rule,
							 int kind, double slope, double mean,
							 double sd, double rho)
{
	struct activation_cross_moments moments = {NAN, NAN};
	if (isnan(mean) || isnan(sd) || isnan(rho))
		return moments;
	rho = rho > 1 ? 1 : rho < -1 ? -1 : rho;
	/* Zb = mean + rho (Za - mean) + sd sqrt(1 - rho^2) xi, xi independent of Za: the
	 * inner expectation over Zb given Za, the outer over Za */
	double weight[QUADRATURE_MAX_POINTS], value[QUADRATURE_MAX_POINTS];
	double derivative[QUADRATURE_MAX_POINTS];
	double inner_weight[QUADRATURE_MAX_POINTS], inner_value[QUADRATURE_MAX_POINTS];
	double inner_derivative[QUADRATURE_MAX_POINTS], z[QUADRATURE_MAX_POINTS];
	double inner_z[QUADRATURE_MAX_POINTS];
	int count = evaluate(rule, kind, slope, mean, sd, z, weight, value, derivative);
	moments.product = moments.derivative_product = 0;
	for (int i = 0; i < count; i++) {
		int inner = evaluate(rule, kind, slope, mean + rho * (z[i] - mean),
				     sd * sqrt(1 - rho * rho), inner_z, inner_weight, inner_value,
				     inner_derivative);
		double product = 0, derivative_product = 0;
		for (int j = 0; j < inner; j++) {
			product += inner_weight[j] * inner_value[j];
			derivative_product += inner_weight[j] * inner_derivative[j];
		}
		moments.product += weight[i] * value[i] * product;
		moments.derivative_product += weight[i] * derivative[i] * derivative_product;
	}
	return moments;
}
