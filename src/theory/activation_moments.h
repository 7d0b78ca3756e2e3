/* The three Gaussian expectations of an activation the mean-field theory needs, with
 * the network's own activation functions (nn/ops.c, double build). */
#ifndef GT_ACTIVATION_MOMENTS_H
#define GT_ACTIVATION_MOMENTS_H

#include "theory/quadrature.h"

/* For Z ~ N(mean, sd^2): */
struct activation_moments {
	double mean;              /* E[f(Z)] */
	double second;            /* E[f(Z)^2] */
	double derivative_second; /* E[f'(Z)^2] */
};

/* kind is an enum activation_kind, slope leaky_relu's negative slope. NaN in, NaN out. */
struct activation_moments activation_moments(const struct quadrature *rule, int kind,
					     double slope, double mean, double sd);

/* For two pre-activations of different samples, each N(mean, sd^2), with correlation
 * rho (clamped to [-1, 1]): */
struct activation_cross_moments {
	double product;            /* E[f(Za) f(Zb)] */
	double derivative_product; /* E[f'(Za) f'(Zb)] */
};
struct activation_cross_moments activation_cross_moments(const struct quadrature *rule,
							 int kind, double slope, double mean,
							 double sd, double rho);

#endif
