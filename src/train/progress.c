/* The terminal progress bar. */
#include "train/progress.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/units.h"

#define REDRAW_INTERVAL_S 0.1
#define BAR_WIDTH 24

void progress_start(struct progress *bar, const char *label, int64_t total, bool enabled)
{
	bar->enabled = enabled && isatty(STDERR_FILENO);
	bar->total = total > 0 ? total : 1;
	bar->started = monotonic_seconds();
	bar->last_drawn = 0;
	bar->ratio = NAN;
	bar->label = label;
}

void progress_update(struct progress *bar, int64_t done, double loss, double ratio)
{
	if (!bar->enabled)
		return;
	if (!isnan(ratio))
		bar->ratio = ratio;
	double now = monotonic_seconds();
	if (now - bar->last_drawn < REDRAW_INTERVAL_S && done < bar->total)
		return;
	bar->last_drawn = now;
	double elapsed = now - bar->started, rate = elapsed > 0 ? (double)done / elapsed : 0;
	double remaining = rate > 0 ? (double)(bar->total - done) / rate : NAN;
	int filled = (int)((double)BAR_WIDTH * (double)done / (double)bar->total);
	char bar_text[BAR_WIDTH + 1], eta[32], ratio_text[24];
	for (int i = 0; i < BAR_WIDTH; i++)
		bar_text[i] = i < filled ? '#' : '.';
	bar_text[BAR_WIDTH] = '\0';
	fprintf(stderr,
		"\r%s [%s] step %lld/%lld  loss %.4g  %.0f steps/s  layer 0/output %s  ETA %s\033[K",
		bar->label, bar_text, (long long)done, (long long)bar->total, loss, rate,
		format_norm(ratio_text, sizeof ratio_text, bar->ratio, 0),
		format_duration(eta, sizeof eta, remaining));
	fflush(stderr);
}

void progress_finish(struct progress *bar)
{
	if (!bar->enabled)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
