/* The scale of each initialisation scheme, in one place: init.c draws the weights from
 * it and the mean-field theory (src/theory) predicts from it, so the two cannot drift
 * apart. Plain double arithmetic, independent of the dtype. */
#ifndef GT_INIT_SCALE_H
#define GT_INIT_SCALE_H

#include <math.h>
#include <stdbool.h>

#include "spec/spec.h"

/* The spread of a scheme's draw, following torch.nn.init: the bound a of U(-a, a) for
 * the uniform schemes (*uniform set), else the standard deviation; gain multiplies it.
 * Orthogonal draws no entries independently: its spread is 0 (see init_weight_variance). */
static inline double init_spread(int scheme, double gain, double fan_in, double fan_out,
				 bool *uniform)
{
	*uniform = scheme == INIT_XAVIER_UNIFORM || scheme == INIT_HE_UNIFORM;
	switch (scheme) {
	case INIT_XAVIER_UNIFORM:
		return gain * sqrt(6.0 / (fan_in + fan_out));
	case INIT_XAVIER_NORMAL:
		return gain * sqrt(2.0 / (fan_in + fan_out));
	case INIT_HE_UNIFORM:
		return gain * sqrt(6.0 / fan_in);
	case INIT_HE_NORMAL:
		return gain * sqrt(2.0 / fan_in);
	case INIT_LECUN_NORMAL:
		return gain * sqrt(1.0 / fan_in);
	default:
		return 0;
	}
}

/* The variance of one weight entry: a^2 / 3 for U(-a, a), s^2 for N(0, s^2); for gain Q
 * with Q orthonormal rows or columns, each of the max(fan_in, fan_out) long unit vectors
 * spreads gain^2 over its entries, gain^2 / max(fan_in, fan_out) each on average. */
static inline double init_weight_variance(int scheme, double gain, double fan_in,
					  double fan_out)
{
	if (scheme == INIT_ORTHOGONAL)
		return gain * gain / (fan_in > fan_out ? fan_in : fan_out);
	bool uniform;
	double spread = init_spread(scheme, gain, fan_in, fan_out, &uniform);
	return uniform ? spread * spread / 3 : spread * spread;
}

/* Fixup (Zhang et al. 2019) scales a block's maps but the last by L^(-1/(2k-2)), L blocks
 * of k maps; a block of one map has no other map to scale. */
static inline double init_fixup_scale(double block_count, double block)
{
	return block > 1 ? pow(block_count, -1 / (2 * block - 2)) : 1;
}

#endif
