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
	int64_t train_count; /* rows [0, train_count) train; the rest is the validation split */
};

/* Generates or reads the dataset the spec describes, and for a file fits the spec to it
 * in one flow: the file's samples and features (a given value that differs is an error),
 * data.classes from the labels unless given (a given value must exceed every label),
 * the memory check on those sizes (an IDX file's before its pixels are allocated), the
 * contents' hash into data_hash and spec_hash. A spec fitted before (the pre-check of
 * gtrack run) must find the same contents. Then shuffles and standardises file data
 * (statistics from the training part only) and splits off data.validation. Returns 0,
 * or -1 with a message; on error nothing needs freeing. */
int dataset_generate(struct dataset *data, struct spec *spec);
void dataset_free(struct dataset *data);

/* The checks and the fit of dataset_generate without keeping the data: what gtrack run
 * does for every spec before anything trains, for callers that train later (a sweep
 * checking all its runs, whose spec_hash is final only once the file is read). A file
 * this process has read before, unchanged (same inode, size and modification time), is
 * not read again. Returns 0, or -1 with a message. */
int dataset_check(struct spec *spec);

#endif
