/* A one-line progress bar on stderr (step, loss, "grad 0/out": the layer-0/output
 * weight-gradient ratio of the last logged step, ETA, steps/s), redrawn at most ten
 * times a second, erased at the end, never wider than the terminal (whole fields give
 * way). Disabled when stderr is not a terminal. */
#ifndef GT_PROGRESS_H
#define GT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;
	int64_t total;
	double started, last_drawn;
	double ratio; /* layer 0's weight_grad_norm over the output layer's, last logged */
	const char *label;
};

/* enabled: the caller's wish (not --quiet); the bar also needs a terminal. */
void progress_start(struct progress *bar, const char *label, int64_t total, bool enabled);
/* ratio: layer 0 / output weight_grad_norm of the step just done when it was logged,
 * NaN when it was not (the bar keeps showing the last logged one). */
void progress_update(struct progress *bar, int64_t done, double loss, double ratio);
void progress_finish(struct progress *bar);

#endif
