/* Laying out a `gtrack watch` frame.
 *
 * The bars share one log10 scale, whole decades from the smallest to the largest
 * positive norm in the frame (measured, predicted and recent), so that a layer's bar
 * length compares with every other layer's: vanishing gradients show as bars that
 * shorten toward layer 0, exploding ones as bars that lengthen. */
#include "watch/frame.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/printable.h"
#include "util/units.h"
#include "util/terminal.h"

/* "    0  1.606e-06  5.518e-08  1.500e-06  ": layer, weight_grad, delta, predicted */
#define NUMBER_COLUMNS 40
#define SPARKLINE_COLUMNS (2 + WATCH_HISTORY)
#define MIN_BAR 10 /* narrower than this, a bar says nothing: it is left out */
#define MAX_BAR 50

/* Sparkline levels, lowest first. */
static const char *const spark_utf8[] = {"\u2581", "\u2582", "\u2583", "\u2584",
					 "\u2585", "\u2586", "\u2587", "\u2588"};
static const char spark_ascii[] = "_.:-=+*#";
/* Partial bar cells in eighths, for UTF-8 (index 0 is unused). */
static const char *const eighths[] = {"",	  "\u258f", "\u258e", "\u258d",
				      "\u258c", "\u258b", "\u258a", "\u2589"};
#define FULL_BLOCK "\u2588"

struct scale {
	double low, high; /* log10 of the bar's ends, whole decades, low < high */
	bool valid;       /* false when the frame has no positive finite norm */
};

static void scale_include(struct scale *scale, double value)
{
	if (!(value > 0) || isinf(value))
		return;
	double low = floor(log10(value)), high = ceil(log10(value));
	if (!scale->valid || low < scale->low)
		scale->low = low;
	if (!scale->valid || high > scale->high)
		scale->high = high;
	scale->valid = true;
}

static struct scale frame_scale(const struct watch_snapshot *snapshot)
{
	struct scale scale = {0, 0, false};
	for (int i = 0; i < snapshot->layer_count; i++) {
		const struct watch_layer *layer = &snapshot->layers[i];
		scale_include(&scale, layer->weight_grad_norm);
		scale_include(&scale, layer->predicted_weight_grad_norm);
		for (int h = 0; h < layer->history_count; h++)
			scale_include(&scale, layer->history[h]);
	}
	if (scale.valid && scale.high <= scale.low)
		scale.high = scale.low + 1;
	return scale;
}

/* Where value lies on the scale, 0..1; NaN for no value, 0 for zero, 1 for infinity. */
static double scale_position(const struct scale *scale, double value)
{
	if (isnan(value) || !scale->valid)
		return NAN;
	if (value <= 0)
		return 0;
	if (isinf(value))
		return 1;
	double position = (log10(value) - scale->low) / (scale->high - scale->low);
	return position < 0 ? 0 : position > 1 ? 1 : position;
}

/* Appends line, cut to columns terminal columns and without trailing spaces (a frame
 * pastes cleanly), and a newline. */
static void emit_line(struct strbuf *out, const char *line, int columns)
{
	int used = 0;
	const char *at = line, *end = line;
	while (*at) {
		size_t length = text_printable_length(at);
		if (!length)
			length = 1;
		int width = terminal_character_columns(at, length);
		if (used + width > columns)
			break;
		used += width;
		at += length;
		if (at[-1] != ' ')
			end = at;
	}
	strbuf_add(out, line, (size_t)(end - line));
	strbuf_puts(out, "\n");
}

static void append_bar(struct strbuf *line, const struct scale *scale,
		       const struct watch_layer *layer, int width, bool utf8)
{
	double measured = scale_position(scale, layer->weight_grad_norm);
	double predicted = scale_position(scale, layer->predicted_weight_grad_norm);
	/* in eighths of a cell; any positive norm gets at least one, so it shows */
	int eighths_filled = isnan(measured) ? 0 : (int)lround(measured * width * 8);
	if (eighths_filled == 0 && layer->weight_grad_norm > 0)
		eighths_filled = 1;
	int marker = isnan(predicted) ? -1 : (int)(predicted * width);
	if (marker >= width)
		marker = width - 1;
	for (int cell = 0; cell < width; cell++) {
		int filled = eighths_filled - 8 * cell;
		if (cell == marker)
			strbuf_puts(line, "|");
		else if (filled >= 8)
			strbuf_puts(line, utf8 ? FULL_BLOCK : "#");
		else if (filled > 0)
			strbuf_puts(line, utf8 ? eighths[filled] : filled >= 4 ? "#" : " ");
		else
			strbuf_puts(line, " ");
	}
}

static void append_sparkline(struct strbuf *line, const struct scale *scale,
			     const struct watch_layer *layer, bool utf8)
{
	strbuf_puts(line, "  ");
	for (int h = 0; h < layer->history_count; h++) {
		double position = scale_position(scale, layer->history[h]);
		if (isnan(position) || layer->history[h] <= 0) {
			strbuf_puts(line, " ");
			continue;
		}
		int level = (int)lround(position * 7);
		if (utf8)
			strbuf_puts(line, spark_utf8[level]);
		else
			strbuf_add(line, &spark_ascii[level], 1);
	}
}

/* The bar column's heading: the scale's ends, "1e-07" at the left, "1e+00" at the right. */
static void append_scale_heading(struct strbuf *line, const struct scale *scale, int width)
{
	char low[16] = "", high[16] = "";
	if (scale->valid) {
		snprintf(low, sizeof low, "1e%+03d", (int)scale->low);
		snprintf(high, sizeof high, "1e%+03d", (int)scale->high);
	}
	int gap = width - (int)strlen(low) - (int)strlen(high);
	if (gap < 1) {
		strbuf_printf(line, "%-*s", width, "");
		return;
	}
	strbuf_printf(line, "%s%*s%s", low, gap, "", high);
}

static void append_layer(struct strbuf *line, const struct scale *scale,
			 const struct watch_layer *layer, int bar_width, bool sparkline,
			 bool utf8)
{
	char weight_grad[24], delta[24], predicted[24];
	strbuf_printf(line, "%5lld  %9s  %9s  %9s", layer->layer,
		      format_norm(weight_grad, sizeof weight_grad, layer->weight_grad_norm, 0),
		      format_norm(delta, sizeof delta, layer->delta_norm, 0),
		      format_norm(predicted, sizeof predicted, layer->predicted_weight_grad_norm,
				  0));
	if (bar_width) {
		strbuf_puts(line, "  ");
		append_bar(line, scale, layer, bar_width, utf8);
	}
	if (sparkline)
		append_sparkline(line, scale, layer, utf8);
}

/* Returns the number of lines written. */
static int render_header(struct strbuf *out, struct strbuf *line,
			 const struct watch_snapshot *snapshot, const struct frame_layout *layout)
{
	int lines = 2;
	struct shown shown = {0};
	strbuf_printf(line, "run %lld %s: %s, %lld/%lld steps", snapshot->run_id,
		      shown_text(&shown, snapshot->name), shown_text(&shown, snapshot->status),
		      snapshot->steps_done, snapshot->steps);
	if (!isnan(snapshot->elapsed_s))
		strbuf_printf(line, " in %.2f s", snapshot->elapsed_s);
	if (!isnan(layout->steps_per_second))
		strbuf_printf(line, ", %.0f steps/s", layout->steps_per_second);
	emit_line(out, line->text, layout->columns);
	strbuf_reset(line);
	if (!snapshot->has_step) {
		strbuf_puts(line, "no step logged yet");
	} else {
		char loss[32], ratio[24], predicted[24];
		snprintf(loss, sizeof loss, "%.4g", snapshot->loss);
		strbuf_printf(line, "step %lld: loss %s", snapshot->step, loss);
		if (snapshot->layer_count > 1) {
			const struct watch_layer *first = &snapshot->layers[0];
			const struct watch_layer *last = &snapshot->layers[snapshot->layer_count - 1];
			strbuf_printf(line, ", layer 0/output %s",
				      format_norm(ratio, sizeof ratio,
						  first->weight_grad_norm / last->weight_grad_norm, 0));
			double predicted_ratio =
				first->predicted_weight_grad_norm / last->predicted_weight_grad_norm;
			if (!isnan(predicted_ratio))
				strbuf_printf(line, ", predicted %s",
					      format_norm(predicted, sizeof predicted, predicted_ratio,
							  0));
		}
	}
	emit_line(out, line->text, layout->columns);
	strbuf_reset(line);
	if (snapshot->message && !watch_snapshot_running(snapshot)) {
		strbuf_printf(line, "message: %s", shown_text(&shown, snapshot->message));
		emit_line(out, line->text, layout->columns);
		strbuf_reset(line);
		lines++;
	}
	shown_free(&shown);
	return lines;
}

void watch_frame_render(struct strbuf *out, const struct watch_snapshot *snapshot,
			const struct frame_layout *layout)
{
	struct strbuf line;
	strbuf_init(&line);
	int lines = render_header(out, &line, snapshot, layout) + 2; /* + blank, heading */
	struct scale scale = frame_scale(snapshot);
	int room = layout->columns - NUMBER_COLUMNS;
	bool sparkline = room - SPARKLINE_COLUMNS >= MIN_BAR;
	int bar_width = sparkline ? room - SPARKLINE_COLUMNS : room;
	if (bar_width < MIN_BAR)
		bar_width = 0;
	if (bar_width > MAX_BAR)
		bar_width = MAX_BAR;

	emit_line(out, "", layout->columns);
	strbuf_printf(&line, "%5s  %9s  %9s  %9s", "layer", "weight_grad", "delta", "predicted");
	if (bar_width) {
		strbuf_puts(&line, "  ");
		append_scale_heading(&line, &scale, bar_width);
	}
	if (sparkline)
		strbuf_puts(&line, "  recent");
	emit_line(out, line.text, layout->columns);
	strbuf_reset(&line);

	/* the frame must fit the window, or the terminal scrolls and the next frame, drawn
	 * from the top, leaves the old one's lines behind: the middle layers give way,
	 * layer 0 and the output layer stay, and the last row stays free for the cursor */
	int shown_layers = snapshot->layer_count;
	if (layout->rows > 0) {
		int room_rows = layout->rows - 1 - lines;
		if (room_rows < shown_layers)
			shown_layers = room_rows > 1 ? room_rows - 1 : 0;
	}
	int head = shown_layers - shown_layers / 2, tail = shown_layers / 2;
	for (int i = 0; i < snapshot->layer_count; i++) {
		bool elided = shown_layers < snapshot->layer_count && i >= head &&
			      i < snapshot->layer_count - tail;
		if (elided) {
			if (i == head)
				strbuf_printf(&line, "  ... layers %lld to %lld not shown (too few rows)",
					      snapshot->layers[i].layer,
					      snapshot->layers[snapshot->layer_count - tail - 1].layer);
			else
				continue;
		} else {
			append_layer(&line, &scale, &snapshot->layers[i], bar_width, sparkline,
				     layout->utf8);
		}
		emit_line(out, line.text, layout->columns);
		strbuf_reset(&line);
	}
	strbuf_free(&line);
}
