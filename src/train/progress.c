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

/* Appends field to line, after separator, when line stays within columns. */
static bool add_field(struct strbuf *line, const char *separator, const char *field,
		      int columns)
{
	if ((int)(line->length + strlen(separator) + strlen(field)) > columns)
		return false;
	strbuf_puts(line, separator);
	strbuf_puts(line, field);
	return true;
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
	char fields[5][64], number[32];
	snprintf(fields[0], sizeof fields[0], "step %lld/%lld", (long long)done,
		 (long long)bar->total);
	snprintf(fields[1], sizeof fields[1], "loss %.4g", loss);
	snprintf(fields[2], sizeof fields[2], "layer 0/output %s",
		 format_norm(number, sizeof number, bar->ratio, 0));
	snprintf(fields[3], sizeof fields[3], "ETA %s",
		 format_duration(number, sizeof number, remaining));
	snprintf(fields[4], sizeof fields[4], "%.0f steps/s", rate);

	/* A line that wraps is not redrawn by \r but repeated, line after line: it is kept
	 * one column short of the terminal's width (read at every redraw, the window may
	 * have been resized), the bar going first, then the fields from the last. */
	int columns = DEFAULT_COLUMNS, rows;
	terminal_size(STDERR_FILENO, &columns, &rows);
	columns--;
	int fields_length = 0;
	for (int i = 0; i < 5; i++)
		fields_length += 2 + (int)strlen(fields[i]);
	int bar_width = columns - (int)strlen(bar->label) - fields_length - 3; /* " [", "]" */
	if (bar_width > BAR_WIDTH)
		bar_width = BAR_WIDTH;
	struct strbuf line;
	strbuf_init(&line);
	add_field(&line, "", bar->label, columns);
	if (bar_width >= MIN_BAR_WIDTH) {
		int filled = (int)((double)bar_width * (double)done / (double)bar->total);
		strbuf_puts(&line, " [");
		for (int i = 0; i < bar_width; i++)
			strbuf_puts(&line, i < filled ? "#" : ".");
		strbuf_puts(&line, "]");
	}
	for (int i = 0; i < 5 && add_field(&line, i ? "  " : " ", fields[i], columns); i++)
		continue;
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
