/* The trained residual scales (model.residual.learn_alpha, e.g. ReZero): alpha of every
 * block against step, one figure per group of runs. Runs that differ only in seed are
 * one curve per block, the arithmetic mean with a min-max band (alpha starts at 0 and
 * may turn negative, so not a geometric mean). A configuration's blocks are cut into
 * panels of at most ALPHA_PANEL_BLOCKS consecutive blocks, coloured on the sequential
 * palette from the input side: a 30-block network is three readable panels rather than
 * 30 curves in one. A run that diverged or was killed ends with an x on each block's
 * curve. Runs with a fixed alpha have no figure: their alpha is a constant of the spec. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* More curves than this in one panel stop being told apart by colour. */
#define ALPHA_PANEL_BLOCKS 10
/* Panels side by side: three cells and the key fit a screen's width, so a sweep's
 * panels fill a page instead of one column several screens tall. */
#define ALPHA_COLUMNS 3
/* Colours a key samples from the palette when blocks differ in number between
 * configurations (first, quarter, middle, three quarters, last). */
#define ALPHA_KEY_SWATCHES 5

/* One configuration (seed set): its blocks, its panels and its caption's number. */
struct alpha_set {
	int blocks;         /* the most blocks any of its runs logged */
	int first_panel;    /* its blocks fill panels first_panel, first_panel + 1, ... */
	double final_alpha; /* the mean over runs of the mean alpha at each run's last step */
};

static bool trains_alpha(const struct report *report, const struct report_run *run)
{
	return !strcmp(report_value(report, run, "residual_learn_alpha"), "1");
}

/* The set's block count and mean final alpha (NaN when no run has a finite one). */
static int describe_set(struct report *report, const struct run_group *set,
			struct alpha_set *out)
{
	sqlite3_stmt *s = NULL;
	int result = -1, finite = 0;
	double sum = 0;
	out->blocks = 0;
	if (sqlite3_prepare_v2(report->db,
			       "SELECT max(block) + 1, (SELECT avg(alpha) FROM block_stats WHERE"
			       " run_id = ?1 AND step = (SELECT max(step) FROM block_stats WHERE"
			       " run_id = ?1)) FROM block_stats WHERE run_id = ?1",
			       -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(report->db));
		goto done;
	}
	for (int m = 0; m < set->count; m++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, report->runs[set->members[m]].id);
		if (sqlite3_step(s) != SQLITE_ROW) {
			error("database: %s", sqlite3_errmsg(report->db));
			goto done;
		}
		int blocks = sqlite3_column_int(s, 0);
		double alpha = sqlite3_column_double(s, 1);
		out->blocks = blocks > out->blocks ? blocks : out->blocks;
		if (sqlite3_column_type(s, 1) != SQLITE_NULL && isfinite(alpha))
			sum += alpha, finite++;
	}
	out->final_alpha = finite ? sum / finite : NAN;
	result = 0;
done:
	sqlite3_finalize(s);
	return result;
}

/* The SQL of block's series ("step, alpha" of run ?1) and of where a stopped run's alpha
 * was last finite; the block is a number, so it is written into the statement. */
static void block_sql(char *series, char *stop, size_t size, int block)
{
	snprintf(series, size, "SELECT step, alpha FROM block_stats WHERE run_id = ?1 AND block"
			       " = %d ORDER BY step", block);
	snprintf(stop, size, "SELECT step, alpha FROM block_stats WHERE run_id = ?1 AND block ="
			     " %d AND alpha IS NOT NULL AND abs(alpha) < 1e308 ORDER BY step DESC"
			     " LIMIT 1", block);
}

static int panels_of(int blocks)
{
	return blocks > 0 ? (blocks + ALPHA_PANEL_BLOCKS - 1) / ALPHA_PANEL_BLOCKS : 1;
}

static int greatest_common_divisor(int a, int b)
{
	return b ? greatest_common_divisor(b, a % b) : a;
}

/* The figure's one key: a block's colour is its place from the input side to the output
 * side of its network, the same in every panel. When every configuration has the same
 * blocks, one panel each, the key names them ("block 3"); else it samples the palette
 * ("first block (input side)", "block 1/4 of the way", ...). */
static void colour_key(struct strbuf *plot, const struct alpha_set *sets, int count)
{
	int most = 0;
	bool same = true;
	for (int k = 0; k < count; k++) {
		most = sets[k].blocks > most ? sets[k].blocks : most;
		same &= sets[k].blocks == sets[0].blocks;
	}
	bool named = same && most <= ALPHA_PANEL_BLOCKS;
	int levels = named || most < ALPHA_KEY_SWATCHES ? most : ALPHA_KEY_SWATCHES;
	for (int level = 0; level < levels; level++) {
		struct curve_style style = {.dash = 1, .point = 7};
		sequential_colour(style.colour, level, levels);
		char name[64];
		int divisor = greatest_common_divisor(level, levels - 1);
		if (named)
			snprintf(name, sizeof name, "block %d", level);
		else if (level == 0)
			snprintf(name, sizeof name, "first block (input side)");
		else if (level == levels - 1)
			snprintf(name, sizeof name, "last block (output side)");
		else if (2 * level == levels - 1)
			snprintf(name, sizeof name, "middle block");
		else
			snprintf(name, sizeof name, "block %d/%d of the way", level / divisor,
				 (levels - 1) / divisor);
		styled_curve(plot, "NaN", "1:2", "lines", &style, name);
	}
}

int alpha_figure(struct report *report, const struct run_group *group, int index)
{
	/* the runs of the group that train alpha */
	struct run_group trained = {xcalloc((size_t)group->count + 1, sizeof(int)), 0};
	for (int m = 0; m < group->count; m++)
		if (trains_alpha(report, &report->runs[group->members[m]]))
			trained.members[trained.count++] = group->members[m];
	struct run_group *sets = NULL;
	int set_count = trained.count ? report_seed_sets(report, &trained, false, NULL, &sets) : 0;
	struct alpha_set *described = xcalloc((size_t)set_count + 1, sizeof *described);
	struct strbuf data, panels, title, caption, escaped, legend;
	strbuf_init(&data), strbuf_init(&panels), strbuf_init(&title), strbuf_init(&caption);
	strbuf_init(&escaped), strbuf_init(&legend);
	struct strbuf *plots = NULL, *markers = NULL;
	int panel_count = 0, result = -1;
	for (int k = 0; k < set_count; k++) {
		if (describe_set(report, &sets[k], &described[k]))
			goto done;
		described[k].first_panel = panel_count;
		panel_count += panels_of(described[k].blocks);
	}
	bool logged = false;
	for (int k = 0; k < set_count; k++)
		logged |= described[k].blocks > 0;
	if (!logged) { /* no run that trains alpha logged it */
		result = 0;
		goto done;
	}
	plots = xcalloc((size_t)panel_count, sizeof *plots);
	markers = xcalloc((size_t)panel_count, sizeof *markers);
	for (int p = 0; p < panel_count; p++)
		strbuf_init(&plots[p]), strbuf_init(&markers[p]);
	struct value_range range = {0}, stopped_range = {0};
	long long first_step = -1, last_step = -1;
	char series_sql[256], stop_sql[256];
	for (int k = 0; k < set_count; k++) {
		const struct run_group *set = &sets[k];
		bool stopped = set_has_stopped_run(report, set);
		for (int m = 0; m < set->count; m++) {
			const struct report_run *run = &report->runs[set->members[m]];
			if (run->first_step >= 0 && (first_step < 0 || run->first_step < first_step))
				first_step = run->first_step;
			last_step = run->last_step > last_step ? run->last_step : last_step;
		}
		for (int b = 0; b < described[k].blocks; b++) {
			char block[48];
			snprintf(block, sizeof block, "alpha%lld_%d",
				 report->runs[set->members[0]].id, b);
			block_sql(series_sql, stop_sql, sizeof series_sql, b);
			int rows = linear_step_series_block(report, &data, block, set, series_sql,
							    "alpha", stopped ? &stopped_range : &range);
			if (rows < 0)
				goto done;
			struct curve_style style = {.dash = 1, .point = 7};
			sequential_colour(style.colour, b, described[k].blocks);
			struct strbuf *plot = &plots[described[k].first_panel + b / ALPHA_PANEL_BLOCKS];
			if (set->count > 1 && rows)
				styled_band(plot, block, &style);
			/* named once, in the figure's key */
			styled_curve(plot, rows ? block : "NaN", "1:2", "lines", &style, NULL);
		}
	}
	/* the axis is set by the runs that did not diverge, when there are any; alpha is
	 * drawn on a linear axis (it starts at 0 and may turn negative) */
	struct value_range *axis = range.count ? &range : &stopped_range;
	axis->no_negative = false;
	char ymin[32], ymax[32], xmin[32], xmax[32];
	value_range_axis(axis, ymin, ymax, sizeof ymin);
	for (int k = 0; k < set_count; k++) {
		if (!set_has_stopped_run(report, &sets[k]))
			continue;
		for (int b = 0; b < described[k].blocks; b++) {
			char colour[8];
			sequential_colour(colour, b, described[k].blocks);
			block_sql(series_sql, stop_sql, sizeof series_sql, b);
			if (series_stop_markers(report, &sets[k], stop_sql, colour, atof(ymin),
						atof(ymax),
						&markers[described[k].first_panel +
							 b / ALPHA_PANEL_BLOCKS]) < 0)
				goto done;
		}
	}
	/* cells fill rows of up to ALPHA_COLUMNS; the key stands right of the first row */
	int columns = panel_count < ALPHA_COLUMNS ? panel_count : ALPHA_COLUMNS;
	struct panel_grid grid;
	panel_grid_init(&grid, (panel_count + columns - 1) / columns, columns);
	bool any_markers = false;
	for (int p = 0; p < panel_count; p++)
		any_markers |= markers[p].length > 0;
	colour_key(&plots[columns - 1], described, set_count);
	if (any_markers)
		stop_markers_key(&plots[columns - 1]);
	for (int k = 0; k < set_count; k++) {
		const struct run_group *set = &sets[k];
		strbuf_reset(&legend);
		seed_set_legend(report, &trained, set, -1, &legend);
		if (set->count > 1)
			strbuf_printf(&legend, " (%d seeds)", set->count);
		char number[32];
		strbuf_printf(&caption, " %s: %d blocks, %d seed%s, mean final alpha %s.", legend.text,
			      described[k].blocks, set->count, set->count > 1 ? "s" : "",
			      report_number(number, sizeof number, described[k].final_alpha));
		for (int piece = 0; piece < panels_of(described[k].blocks); piece++) {
			int p = described[k].first_panel + piece;
			int low = piece * ALPHA_PANEL_BLOCKS, high = low + ALPHA_PANEL_BLOCKS - 1;
			high = high < described[k].blocks - 1 ? high : described[k].blocks - 1;
			struct strbuf panel_title;
			strbuf_init(&panel_title);
			if (!described[k].blocks) /* its runs logged no alpha (crashed at once) */
				strbuf_printf(&panel_title, "%s, no alpha logged", legend.text);
			else if (high > low)
				strbuf_printf(&panel_title, "%s, blocks %d-%d of %d", legend.text, low,
					      high, described[k].blocks);
			else
				strbuf_printf(&panel_title, "%s, block %d of %d", legend.text, low,
					      described[k].blocks);
			if (markers[p].length) {
				char block[32];
				snprintf(block, sizeof block, "stopped%d", p + 1);
				strbuf_printf(&data, "# where diverged or killed runs stopped: step, alpha"
						     " (held within the axis), colour\n$%s << EOD\n"
						     "%sEOD\n\n", block, markers[p].text);
				untitled_stop_markers(&plots[p], block);
			}
			empty_plot(&plots[p]);
			panel_grid_cell(&panels, &grid, p / columns, p % columns, panel_title.text);
			strbuf_printf(&panels, "plot %s\n", plots[p].text);
			strbuf_free(&panel_title);
		}
	}
	report_common(report, &trained, false, NULL, &title);
	figure_title(&escaped, "trained alpha per block", &title);
	char stem[64];
	snprintf(stem, sizeof stem, "alpha-%d", index);
	/* a single step still gets a range gnuplot accepts without a warning */
	snprintf(xmin, sizeof xmin, "%lld", first_step);
	snprintf(xmax, sizeof xmax, "%lld", last_step > first_step ? last_step : first_step + 1);
	struct template_value values[TEMPLATE_VALUES] = {
		{"DATA", data.text}, {"TITLE", escaped.text}, {"PANELS", panels.text},
		{"YMIN", ymin},      {"YMAX", ymax},          {"XMIN", xmin},
		{"XMAX", xmax},
	};
	result = write_script(report, stem, "alpha.gp", grid.width, grid.height, values, 7,
			      false);
	if (!result) {
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "Trained alpha per block of %s, the mean over seeds with a "
				     "min-max band.%s",
			      title.length ? title.text : "the selected runs", caption.text);
		figure_html(report, stem, text.text);
		strbuf_free(&text);
	}
done:
	for (int p = 0; p < panel_count && plots; p++)
		strbuf_free(&plots[p]), strbuf_free(&markers[p]);
	free(plots), free(markers), free(described), free(trained.members);
	report_groups_free(sets, set_count);
	strbuf_free(&data), strbuf_free(&panels), strbuf_free(&title), strbuf_free(&caption);
	strbuf_free(&escaped), strbuf_free(&legend);
	return result;
}
