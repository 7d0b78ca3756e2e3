/* Laying out a `gtrack watch` frame.
 *
 * The bars share one log10 scale, whole decades from the smallest to the largest
 * positive norm in the frame (measured, predicted and recent), so that a layer's bar
 * length compares with every other layer's: vanishing gradients show as bars that
 * shorten toward layer 0, exploding ones as bars that lengthen. */
#include "watch/frame.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/printable.h"
#include "util/units.h"
#include "util/terminal.h"

/* Every number column is as wide as "weight_grad", its heading, which also holds any
 * double as %.3e ("-1.109e+114"), so that headings and rows stay aligned */
#define LAYER_COLUMNS 5
#define NUMBER_WIDTH 11
#define NUMBER_COLUMNS (2 + NUMBER_WIDTH)
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

/* The terminal columns text takes. */
static int text_columns(const char *text)
{
	int used = 0;
	for (const char *at = text; *at;) {
		size_t length = text_printable_length(at);
		if (!length)
			length = 1;
		used += terminal_character_columns(at, length);
		at += length;
	}
	return used;
}

/* Appends line, cut to columns terminal columns and without trailing spaces (a frame
 * pastes cleanly), and a newline. Only a line's first field, which holds text from the
 * database, is ever cut: every other part is added whole or not at all (add_field). */
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

/* Appends field to line when the line stays within columns: a number or a label is
 * shown whole or not at all, never cut to "1e+" or "3.125". */
static bool add_field(struct strbuf *line, const char *field, int columns)
{
	if (text_columns(line->text) + text_columns(field) > columns)
		return false;
	strbuf_puts(line, field);
	return true;
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
		/* the prediction inside the measured bar: '+', so that neither hides the
		 * other (the bar reaches at least that cell, the prediction lies in it) */
		if (cell == marker)
			strbuf_puts(line, filled > 0 ? "+" : "|");
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

/* The bar column's heading: the scale's ends, "1e-07" at the left, "1e+00" at the right,
 * or blank when both do not fit whole. */
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

/* Which columns of the layer table fit the width: whole columns give way, the
 * sparkline first, then the bar, the delta and the predicted column; layer and
 * weight_grad stay while they fit. */
struct table_columns {
	bool weight_grad, delta, predicted, sparkline;
	int bar_width; /* 0: no bar */
};

static struct table_columns table_columns_for(int columns)
{
	struct table_columns shown = {false, false, false, false, 0};
	int room = columns - LAYER_COLUMNS;
	if (room >= NUMBER_COLUMNS) {
		shown.weight_grad = true;
		room -= NUMBER_COLUMNS;
	}
	if (shown.weight_grad && room >= NUMBER_COLUMNS) {
		shown.predicted = true;
		room -= NUMBER_COLUMNS;
	}
	if (shown.predicted && room >= NUMBER_COLUMNS) {
		shown.delta = true;
		room -= NUMBER_COLUMNS;
	}
	if (!shown.delta)
		return shown;
	room -= 2; /* before the bar */
	shown.sparkline = room - SPARKLINE_COLUMNS >= MIN_BAR;
	shown.bar_width = shown.sparkline ? room - SPARKLINE_COLUMNS : room;
	if (shown.bar_width < MIN_BAR)
		shown.bar_width = 0;
	if (shown.bar_width > MAX_BAR)
		shown.bar_width = MAX_BAR;
	return shown;
}

static void append_number_column(struct strbuf *line, const char *text)
{
	strbuf_printf(line, "  %*s", NUMBER_WIDTH, text);
}

static void append_heading(struct strbuf *line, const struct table_columns *shown,
			   const struct scale *scale)
{
	strbuf_printf(line, "%*s", LAYER_COLUMNS, "layer");
	if (shown->weight_grad)
		append_number_column(line, "weight_grad");
	if (shown->delta)
		append_number_column(line, "delta");
	if (shown->predicted)
		append_number_column(line, "predicted");
	if (shown->bar_width) {
		strbuf_puts(line, "  ");
		append_scale_heading(line, scale, shown->bar_width);
	}
	if (shown->sparkline)
		strbuf_puts(line, "  recent");
}

static void append_layer(struct strbuf *line, const struct table_columns *shown,
			 const struct scale *scale, const struct watch_layer *layer, bool utf8)
{
	char number[24];
	strbuf_printf(line, "%*lld", LAYER_COLUMNS, layer->layer);
	if (shown->weight_grad)
		append_number_column(line, format_norm(number, sizeof number,
						       layer->weight_grad_norm, 0));
	if (shown->delta)
		append_number_column(line, format_norm(number, sizeof number, layer->delta_norm, 0));
	if (shown->predicted)
		append_number_column(line, format_norm(number, sizeof number,
						       layer->predicted_weight_grad_norm, 0));
	if (shown->bar_width) {
		strbuf_puts(line, "  ");
		append_bar(line, scale, layer, shown->bar_width, utf8);
	}
	if (shown->sparkline)
		append_sparkline(line, scale, layer, utf8);
}

/* Emits line and empties it, when the frame has a line left; returns the lines used. */
static int emit_within(struct strbuf *out, struct strbuf *line, int columns, int lines_left)
{
	if (lines_left > 0)
		emit_line(out, line->text, columns);
	strbuf_reset(line);
	return lines_left > 0;
}

/* Writes at most max_lines lines; returns the number written. */
static int render_header(struct strbuf *out, struct strbuf *line,
			 const struct watch_snapshot *snapshot, const struct frame_layout *layout,
			 int max_lines)
{
	int columns = layout->columns, lines = 0;
	char field[128], number[32];
	struct shown shown = {0};
	strbuf_printf(line, "run %lld %s: %s", snapshot->run_id, shown_text(&shown, snapshot->name),
		      shown_text(&shown, snapshot->status));
	snprintf(field, sizeof field, ", %lld/%lld steps", snapshot->steps_done, snapshot->steps);
	if (add_field(line, field, columns) && !isnan(snapshot->elapsed_s)) {
		snprintf(field, sizeof field, " in %.2f s", snapshot->elapsed_s);
		add_field(line, field, columns);
	}
	if (!isnan(layout->steps_per_second)) {
		snprintf(field, sizeof field, ", %.0f steps/s", layout->steps_per_second);
		add_field(line, field, columns);
	}
	lines += emit_within(out, line, columns, max_lines - lines);

	if (!snapshot->has_step) {
		add_field(line, "no step logged yet", columns);
	} else {
		snprintf(field, sizeof field, "step %lld", snapshot->step);
		add_field(line, field, columns);
		snprintf(field, sizeof field, ": loss %.4g", snapshot->loss);
		if (line->length && add_field(line, field, columns) && snapshot->layer_count > 1) {
			const struct watch_layer *first = &snapshot->layers[0];
			const struct watch_layer *last = &snapshot->layers[snapshot->layer_count - 1];
			snprintf(field, sizeof field, ", layer 0/output %s",
				 format_norm(number, sizeof number,
					     first->weight_grad_norm / last->weight_grad_norm, 0));
			double predicted_ratio =
				first->predicted_weight_grad_norm / last->predicted_weight_grad_norm;
			if (add_field(line, field, columns) && !isnan(predicted_ratio)) {
				snprintf(field, sizeof field, ", predicted %s",
					 format_norm(number, sizeof number, predicted_ratio, 0));
				add_field(line, field, columns);
			}
		}
	}
	lines += emit_within(out, line, columns, max_lines - lines);
	if (snapshot->message && !watch_snapshot_running(snapshot)) {
		strbuf_printf(line, "message: %s", shown_text(&shown, snapshot->message));
		lines += emit_within(out, line, columns, max_lines - lines);
	}
	shown_free(&shown);
	return lines;
}

/* The line that stands for the layers left out, as long as the width allows. */
static void append_elision(struct strbuf *line, long long first, long long last, int columns)
{
	char text[128];
	snprintf(text, sizeof text, "  ... layers %lld to %lld not shown (too few rows)", first,
		 last);
	if (add_field(line, text, columns))
		return;
	snprintf(text, sizeof text, "  ... layers %lld to %lld", first, last);
	if (!add_field(line, text, columns))
		add_field(line, "  ...", columns);
}

void watch_frame_render(struct strbuf *out, const struct watch_snapshot *snapshot,
			const struct frame_layout *layout)
{
	struct strbuf line;
	strbuf_init(&line);
	/* the frame must fit the window, or the terminal scrolls and the next frame, drawn
	 * from the top, leaves the old one's lines behind: the last row stays free for the
	 * cursor; the blank line gives way first, then the heading, then the middle layers
	 * (layer 0 and the output layer stay) */
	int budget = layout->rows > 0 ? layout->rows - 1 : INT_MAX;
	if (budget < 1)
		budget = 1;
	int left = budget - render_header(out, &line, snapshot, layout, budget);
	int fewest_layers = snapshot->layer_count < 3 ? snapshot->layer_count : 3;
	bool blank = left >= fewest_layers + 2;
	bool heading = left - blank >= fewest_layers + 1;
	int room_rows = left - blank - heading;
	if (layout->columns < LAYER_COLUMNS)
		room_rows = 0; /* not even a layer's number fits whole */

	struct scale scale = frame_scale(snapshot);
	struct table_columns shown = table_columns_for(layout->columns);
	if (blank)
		emit_line(out, "", layout->columns);
	if (heading) {
		append_heading(&line, &shown, &scale);
		emit_line(out, line.text, layout->columns);
		strbuf_reset(&line);
	}

	int shown_layers = snapshot->layer_count;
	if (room_rows < shown_layers)
		shown_layers = room_rows > 1 ? room_rows - 1 : 0;
	int head = shown_layers - shown_layers / 2, tail = shown_layers / 2;
	for (int i = 0; i < snapshot->layer_count && room_rows > 0; i++) {
		bool elided = shown_layers < snapshot->layer_count && i >= head &&
			      i < snapshot->layer_count - tail;
		if (elided && i != head)
			continue;
		if (elided)
			append_elision(&line, snapshot->layers[i].layer,
				       snapshot->layers[snapshot->layer_count - tail - 1].layer,
				       layout->columns);
		else
			append_layer(&line, &shown, &scale, &snapshot->layers[i], layout->utf8);
		emit_line(out, line.text, layout->columns);
		strbuf_reset(&line);
	}
	strbuf_free(&line);
}
