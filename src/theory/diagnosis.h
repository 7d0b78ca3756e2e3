/* gtrack check's verdict on a network's gradient: whether ||dL/dz|| reaching layer 0
 * stays within bounds of the output layer's, where it leaves them, by what factor per
 * layer against the mean-field chi, why, and what would cure it. */
#ifndef GT_DIAGNOSIS_H
#define GT_DIAGNOSIS_H

#include "spec/spec.h"
#include "theory/meanfield.h"
#include "util/strbuf.h"

/* Default bounds on ||dL/dz|| of layer 0 over the output layer's. Two orders of
 * magnitude either way: with one learning rate for every layer, a first layer whose
 * gradient is 100 times smaller learns 100 times slower than the output layer (and 100
 * times larger, it is the first to blow up). The seed's arithmetic for a shallow
 * network (5 layers at 0.5 each: 0.031) passes; real sigmoid layers keep about 0.24 each
 * (sqrt of chi = 0.0557), so experiments/shallow-5.yaml (8e-4) and sigmoid-10 (5e-7)
 * do not. */
#define CHECK_MIN_RATIO 1e-2
#define CHECK_MAX_RATIO 1e2

enum gradient_health { GRADIENT_HEALTHY, GRADIENT_VANISHING, GRADIENT_EXPLODING };
extern const char *const gradient_health_names[]; /* "healthy", "vanishing", "exploding" */

struct diagnosis {
	enum gradient_health health;
	double ratio;           /* measured ||dL/dz|| of layer 0 / output layer */
	double predicted_ratio; /* the prediction's; NaN when not covered */
	/* the highest layer whose ||dL/dz|| over the output's is outside the bounds, -1 */
	int from_layer;
	/* geometric means over the hidden layers below the top one of the measured
	 * ||dL/dz_l||^2 / ||dL/dz_l+1||^2 and of the predicted chi */
	double measured_chi, predicted_chi;
	double min_ratio, max_ratio; /* the bounds it was judged against */
};

/* delta_norms: the measured ||dL/dz|| of every layer (count, the output last). A
 * non-finite ratio (a gradient that overflowed) counts as exploding. */
void diagnose(struct diagnosis *diagnosis, const double *delta_norms,
	      const struct layer_prediction *predicted, int count, double min_ratio,
	      double max_ratio);

/* Appends the likely causes and the cures that apply, as lines a person can act on
 * (cures as --set options that paste), for a vanishing or exploding diagnosis: only
 * cures whose predicted ratio lies inside the diagnosis's bounds. */
void diagnosis_explain(struct strbuf *out, const struct diagnosis *diagnosis,
		       const struct spec *spec, const struct layer_prediction *predicted,
		       int count);

/* The explanation for a run whose gradient overflowed at step 0 (its norms give no
 * per-layer factor): the predicted causes and cures. */
void diagnosis_explain_divergence(struct strbuf *out, const struct spec *spec,
				  const struct layer_prediction *predicted, int count,
				  double min_ratio, double max_ratio);

#endif
