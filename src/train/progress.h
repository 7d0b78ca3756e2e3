/* A one-line progress bar on stderr (step, loss, steps/s, ETA), redrawn at most ten
 * times a second, erased at the end. Disabled when stderr is not a terminal. */
#ifndef GT_PROGRESS_H
#define GT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;
	int64_t total;
	double started, last_drawn;
	const char *label;
};

/* enabled: the caller's wish (not --quiet); the bar also needs a terminal. */
void progress_start(struct progress *bar, const char *label, int64_t total, bool enabled);
void progress_update(struct progress *bar, int64_t done, double loss);
void progress_finish(struct progress *bar);

#endif
