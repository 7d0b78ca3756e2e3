/* The learning rate at each step, from train.optimizer.lr and train.schedule. */
#ifndef GT_SCHEDULE_H
#define GT_SCHEDULE_H

#include <stdint.h>

#include "spec/spec.h"

/* The rate step `step` (0-based) updates with: the schedule's value, scaled by
 * (step + 1) / warmup_steps during the warmup. */
double schedule_lr(const struct spec *spec, int64_t step);

#endif
