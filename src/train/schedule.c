/* Learning-rate schedules, defined as torch.optim.lr_scheduler.LambdaLR would compute
 * them for the same lambda, so the PyTorch reference can follow them exactly. */
#include "train/schedule.h"

#include <math.h>

double schedule_lr(const struct spec *spec, int64_t step)
{
	double lr = spec->train.optimizer.lr;
	int64_t warmup = spec->train.schedule.warmup_steps;
	double rate = lr, min_lr = spec->train.schedule.min_lr;
	switch (spec->train.schedule.kind) {
	case SCHEDULE_CONSTANT:
		break;
	case SCHEDULE_STEP:
		rate = lr * pow(spec->train.schedule.gamma,
				(double)(step / spec->train.schedule.step_size));
		break;
	case SCHEDULE_COSINE: {
		double progress = (double)step / (double)spec->train.steps;
		rate = min_lr + (lr - min_lr) * 0.5 * (1 + cos(M_PI * progress));
		break;
	}
	}
	if (step < warmup)
		rate *= (double)(step + 1) / (double)warmup;
	return rate;
}
