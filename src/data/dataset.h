/* Datasets: generated deterministically from the spec's seed, held in double, and
 * converted to the training dtype one batch at a time. */
#ifndef GT_DATASET_H
#define GT_DATASET_H

#include <stdint.h>

#include "spec/spec.h"

struct dataset {
	int64_t samples;
	int64_t features;
	int64_t outputs;  /* size of the network's output layer */
	double *inputs;   /* (samples, features) */
	int32_t *labels;  /* (samples) class labels; NULL for teacher regression */
	double *targets;  /* (samples, outputs) regression or one-hot targets; NULL for
			   * cross_entropy */
};

/* Generates the dataset the spec describes. Returns 0, or -1 with a message; on error
 * nothing needs freeing. */
int dataset_generate(struct dataset *data, const struct spec *spec);
void dataset_free(struct dataset *data);

#endif
