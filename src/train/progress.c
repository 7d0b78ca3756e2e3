/* The terminal progress bar. */
#include "train/progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/strbuf.h"
#include "util/terminal.h"
#include "util/units.h"

#define REDRAW_INTERVAL_S 0.1
#define BAR_WIDTH 24
#define MIN_BAR_WIDTH 8 /* narrower, the bar says less than the numbers it displaces */
#define DEFAULT_COLUMNS 80 /* a terminal that reports no size */

void progress_start(struct progress *bar, const char *label, int64_t total, bool enabled)
{
	bar->enabled = enabled && isatty(STDERR_FILENO);
	bar->total = total > 0 ? total : 1;
	bar->started = monotonic_seconds();
	bar->last_drawn = 0;
	bar->ratio = NAN;
	bar->label = label;
}

/* The fields after the bar, in the order shown; kept by rank when the line is short:
 * the step, the gradient ratio, the loss, then the bar itself, the ETA and steps/s. */
enum progress_field { FIELD_STEP, FIELD_LOSS, FIELD_RATIO, FIELD_ETA, FIELD_RATE, FIELD_COUNT };
static const enum progress_field field_rank[FIELD_COUNT] = {FIELD_STEP, FIELD_RATIO, FIELD_LOSS,
							    FIELD_ETA, FIELD_RATE};
#define FIELD_SEPARATOR "  "
#define BAR_EDGES 3 /* " [" and "]" */
#define FIELDS_BEFORE_BAR 3 /* the step, ratio and loss rank above the bar */

/* The line's width with the label, the chosen fields, and a bar of bar_width (0: none):
 * one space after the label, two between fields. */
static int line_width(const char *label, char fields[][64], const bool *shown, int bar_width)
{
	int width = (int)strlen(label) + (bar_width ? bar_width + BAR_EDGES : 0);
	bool first = true;
	for (int i = 0; i < FIELD_COUNT; i++) {
		if (!shown[i])
			continue;
		width += (first ? 1 : (int)strlen(FIELD_SEPARATOR)) + (int)strlen(fields[i]);
		first = false;
	}
	return width;
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
	char fields[FIELD_COUNT][64], number[32];
	snprintf(fields[FIELD_STEP], sizeof fields[0], "step %lld/%lld", (long long)done,
		 (long long)bar->total);
	snprintf(fields[FIELD_LOSS], sizeof fields[0], "loss %.4g", loss);
	/* the weight-gradient ratio (the grad_ratio view), not gtrack check's dL/dz one */
	snprintf(fields[FIELD_RATIO], sizeof fields[0], "grad 0/out %s",
		 format_norm(number, sizeof number, bar->ratio, 0));
	snprintf(fields[FIELD_ETA], sizeof fields[0], "ETA %s",
		 format_duration(number, sizeof number, remaining));
	snprintf(fields[FIELD_RATE], sizeof fields[0], "%.0f steps/s", rate);

	/* A line that wraps is not redrawn by \r but repeated, line after line: it is kept
	 * one column short of the terminal's width (read at every redraw, the window may
	 * have been resized). Whole fields are kept by rank, the bar at its narrowest after
	 * the first three; the bar then takes what is left, up to its full width. */
	int columns = DEFAULT_COLUMNS, rows;
	terminal_size(STDERR_FILENO, &columns, &rows);
	columns--;
	bool shown[FIELD_COUNT] = {false};
	int bar_width = 0;
	for (int rank = 0; rank < FIELD_COUNT; rank++) {
		if (rank == FIELDS_BEFORE_BAR &&
		    line_width(bar->label, fields, shown, MIN_BAR_WIDTH) <= columns)
			bar_width = MIN_BAR_WIDTH;
		shown[field_rank[rank]] = true;
		if (line_width(bar->label, fields, shown, bar_width) > columns)
			shown[field_rank[rank]] = false;
	}
	if (bar_width) {
		bar_width += columns - line_width(bar->label, fields, shown, bar_width);
		if (bar_width > BAR_WIDTH)
			bar_width = BAR_WIDTH;
	}

	struct strbuf line;
	strbuf_init(&line);
	strbuf_puts(&line, bar->label);
	if (bar_width) {
		int filled = (int)((double)bar_width * (double)done / (double)bar->total);
		strbuf_puts(&line, " [");
		for (int i = 0; i < bar_width; i++)
			strbuf_puts(&line, i < filled ? "#" : ".");
		strbuf_puts(&line, "]");
	}
	const char *separator = " ";
	for (int i = 0; i < FIELD_COUNT; i++) {
		if (!shown[i])
			continue;
		strbuf_puts(&line, separator);
		strbuf_puts(&line, fields[i]);
		separator = FIELD_SEPARATOR;
	}
	fprintf(stderr, "\r%s\033[K", line.text);
	fflush(stderr);
	strbuf_free(&line);
}

void progress_finish(struct progress *bar)
{
	if (!bar->enabled)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
