/* One frame of `gtrack watch` as text: the run's status line, its latest logged step, and
 * a line per layer with the gradient norms as numbers, as a bar on a log scale shared by
 * all layers (the prediction marked on it) and as a sparkline of recent steps. Pure
 * layout: no terminal sequences, so the same text serves a terminal and a pipe. */
#ifndef GT_WATCH_FRAME_H
#define GT_WATCH_FRAME_H

#include <stdbool.h>

#include "util/strbuf.h"
#include "watch/snapshot.h"

struct frame_layout {
	int columns;             /* no line is wider (in terminal columns) */
	int rows;                /* the frame's height limit (layers are elided), 0: none */
	bool utf8;               /* block characters for bars and sparklines, else ASCII */
	double steps_per_second; /* NaN when not known */
};

/* Appends the frame to out, a line at a time, each ending in '\n'. Text from the
 * database is escaped (util/printable.h). */
void watch_frame_render(struct strbuf *out, const struct watch_snapshot *snapshot,
			const struct frame_layout *layout);

#endif
