/* gtrack watch, and the layer-0/output ratio on gtrack run's progress bar, as users see
 * them: the values of the database in a frame, predictions beside them, plain frames in a
 * pipe, redrawn frames on a terminal (width, height, cursor, signals), a run followed
 * while another process trains it until it ends or dies, names from the database shown
 * escaped, and the errors for bad options, unknown runs and missing databases. */
#include "support/test_support.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/units.h"
#include "watch/frame.h"

static const char small_spec[] =
	"name: small\n"
	"data: {kind: blobs, samples: 256, features: 6, classes: 3}\n"
	"model: {depth: 3, width: 8, activation: tanh}\n"
	"train: {steps: 10, batch_size: 16}\n"
	"log: {every: 3}\n";

static sqlite3 *open_db(const char *dir, const char *name, int flags)
{
	char path[1024];
	sqlite3 *db;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(sqlite3_open_v2(path, &db, flags, NULL), SQLITE_OK);
	return db;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *message = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("%s: %s", sql, message);
}

/* A directory with small.yaml trained into t.db as run 1. */
static const char *finished_run(void)
{
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	struct command_result r;
	GTRACK(&r, dir, "run", "small.yaml", "--db", "t.db");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	return dir;
}

/* The norm as a frame shows it, read from the database. */
static void norm_text(sqlite3 *db, const char *sql, char *text, size_t size)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	format_norm(text, size, sqlite3_column_double(s, 0),
		    sqlite3_column_type(s, 0) == SQLITE_NULL);
	sqlite3_finalize(s);
}

/* The line of the frame that starts with prefix, copied (caller frees). */
static char *line_starting(const char *text, const char *prefix)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t length = end ? (size_t)(end - line) : strlen(line);
		if (!strncmp(line, prefix, strlen(prefix))) {
			char *copy = malloc(length + 1);
			memcpy(copy, line, length);
			copy[length] = '\0';
			return copy;
		}
		line = end ? end + 1 : line + length;
	}
	fail_msg("no line starting with \"%s\" in \"%s\"", prefix, text);
	return NULL;
}

static int count_of(const char *text, const char *part)
{
	int count = 0;
	for (const char *at = strstr(text, part); at; at = strstr(at + 1, part))
		count++;
	return count;
}

static int wait_exit_code(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/* Sends a signal to a child process after a delay, from a thread, and (reap) waits for
 * it there: a run killed with SIGKILL must be reaped by its parent while the test waits
 * on gtrack watch, or it stays a zombie, which still counts as a living process. */
struct stopper {
	pthread_t thread;
	pid_t target;
	int signal_number;
	useconds_t delay;
	bool reap;
	int exit_code; /* as wait_exit_code, when reaped */
};

static void *stop_later(void *argument)
{
	struct stopper *stopper = argument;
	usleep(stopper->delay);
	kill(stopper->target, stopper->signal_number);
	if (stopper->reap) {
		int status;
		if (waitpid(stopper->target, &status, 0) == stopper->target)
			stopper->exit_code =
				WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	}
	return NULL;
}

static void stopper_start(struct stopper *stopper, pid_t target, int signal_number,
			  useconds_t delay, bool reap)
{
	*stopper = (struct stopper){.target = target, .signal_number = signal_number,
				    .delay = delay, .reap = reap, .exit_code = -1000};
	assert_int_equal(pthread_create(&stopper->thread, NULL, stop_later, stopper), 0);
}

static void stopper_join(struct stopper *stopper)
{
	assert_int_equal(pthread_join(stopper->thread, NULL), 0);
}

/* The layout itself, on numbers chosen to land on exact positions: the scale spans the
 * whole decades around every norm (1e-06 .. 1e+01, 7 decades over 22 cells), a bar's
 * length is its norm's log10 position on it, the prediction a '|' at its own position,
 * the sparkline a level per recent step; trailing spaces trimmed. */
static void frame_layout_follows_the_log_scale(void **state)
{
	(void)state;
	struct watch_layer layers[3] = {
		{.layer = 0, .weight_grad_norm = 2e-6, .delta_norm = 2e-7,
		 .predicted_weight_grad_norm = NAN, .predicted_delta_norm = NAN},
		{.layer = 1, .weight_grad_norm = 3.16227766016838e-3, .delta_norm = 3e-4,
		 .predicted_weight_grad_norm = 1e-2, .predicted_delta_norm = NAN,
		 .history = {2e-6, 0, NAN, 3.16227766016838e-3, 3}, .history_count = 5},
		{.layer = 2, .weight_grad_norm = 3, .delta_norm = 0.1,
		 .predicted_weight_grad_norm = NAN, .predicted_delta_norm = NAN},
	};
	struct watch_snapshot snapshot = {
		.run_id = 7, .steps_done = 5, .steps = 10, .name = "n", .status = "running",
		.elapsed_s = NAN, .has_step = true, .step = 4, .loss = 0.5, .step_elapsed_s = 1,
		.layer_count = 3, .layers = layers};
	struct frame_layout layout = {86, 0, false, 12};
	struct strbuf frame;
	strbuf_init(&frame);
	watch_frame_render(&frame, &snapshot, &layout);
	assert_string_equal(
		frame.text,
		"run 7 n: running, 5/10 steps, 12 steps/s\n"
		"step 4: loss 0.5, layer 0/output 6.667e-07\n"
		"\n"
		"layer  weight_grad        delta    predicted  1e-06            1e+01  recent\n"
		"    0    2.000e-06    2.000e-07            -  #\n"
		"    1    3.162e-03    3.000e-04    1.000e-02  ########### |           _  =*\n"
		"    2    3.000e+00    1.000e-01            -  ####################\n");

	/* block characters: three eighths of a cell after layer 2's twenty full ones */
	strbuf_reset(&frame);
	layout.utf8 = true;
	watch_frame_render(&frame, &snapshot, &layout);
	assert_contains(frame.text, "  -  \u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588"
				    "\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588"
				    "\u2588\u2588\u2588\u258d\n");
	assert_contains(frame.text, "  \u2581  \u2585\u2587\n"); /* 0 and NULL: blank */

	/* too narrow for a bar and for all numbers: whole columns give way, the sparkline,
	 * the bar, delta, then predicted */
	strbuf_reset(&frame);
	layout = (struct frame_layout){30, 0, false, NAN};
	watch_frame_render(&frame, &snapshot, &layout);
	assert_contains(frame.text, "run 7 n: running, 5/10 steps\n");
	assert_contains(frame.text, "\nlayer  weight_grad\n");
	assert_contains(frame.text, "\n    1    3.162e-03\n");
	strbuf_reset(&frame);
	layout.columns = 31;
	watch_frame_render(&frame, &snapshot, &layout);
	assert_contains(frame.text, "\nlayer  weight_grad    predicted\n");
	assert_contains(frame.text, "\n    1    3.162e-03    1.000e-02\n");
	strbuf_free(&frame);
}

/* A frame of 29 layers with numbers of every length (1.109e+114, a negative
 * prediction, 1.370e-20), drawn at every width and at short heights: each number and
 * label is shown whole or not at all (every token with a digit is one of the values
 * formatted), no line is wider than the width, the frame is never taller than rows - 1,
 * and the headings stand over their columns. */
#define WIDE_LAYERS 29
static bool token_allowed(const char *token, const char *const *allowed, int count)
{
	if (!strpbrk(token, "0123456789"))
		return true;
	for (int i = 0; i < count; i++)
		if (!strcmp(token, allowed[i]))
			return true;
	return false;
}

static void assert_frame_shows_whole_numbers(const char *frame, int columns, int rows,
					     char numbers[][24], int number_count)
{
	const char *header_numbers[] = {"7", "5/10", "873", "4", "0.5", "0/output",
					"3.125e-03", "1.000e+00"};
	const char *table_numbers[3 * WIDE_LAYERS + 2];
	int table_count = 0;
	for (int i = 0; i < number_count; i++)
		table_numbers[table_count++] = numbers[i];
	table_numbers[table_count++] = "1e-03";
	table_numbers[table_count++] = "1e+115";
	int lines = 0;
	for (const char *line = frame; *line; lines++) {
		const char *end = strchr(line, '\n');
		assert_non_null(end);
		char copy[512];
		snprintf(copy, sizeof copy, "%.*s", (int)(end - line), line);
		if ((int)strlen(copy) > columns)
			fail_msg("line of %zu columns at %d: \"%s\"", strlen(copy), columns, copy);
		bool table = copy[0] == ' ' || !strncmp(copy, "layer ", 6);
		bool layer_line = copy[0] == ' ';
		char *save = NULL;
		int index = 0;
		for (char *token = strtok_r(copy, " ,:()", &save); token;
		     token = strtok_r(NULL, " ,:()", &save), index++) {
			/* a layer line starts with its layer; the elision line names layers */
			if (layer_line && (index == 0 || !strncmp(line, "  ...", 5)))
				continue;
			bool allowed = table ? token_allowed(token, table_numbers, table_count)
					     : token_allowed(token, header_numbers, 8);
			if (!allowed)
				fail_msg("'%s' is not a whole value, at %d x %d: \"%.*s\"", token,
					 columns, rows, (int)(end - line), line);
		}
		line = end + 1;
	}
	if (rows > 0 && lines > rows - 1)
		fail_msg("%d lines on %d rows:\n%s", lines, rows, frame);
}

static void frame_shows_numbers_whole_at_every_size(void **state)
{
	(void)state;
	struct watch_layer layers[WIDE_LAYERS];
	char numbers[3 * WIDE_LAYERS][24];
	int number_count = 0;
	for (int i = 0; i < WIDE_LAYERS; i++) {
		layers[i] = (struct watch_layer){
			.layer = i, .weight_grad_norm = i == 5 ? 1.109e+114 : 0.5,
			.delta_norm = 1.37e-20, .predicted_weight_grad_norm = i == 1 ? -0.25 : 1e-2,
			.predicted_delta_norm = NAN, .history = {0.5, 3.125e-3}, .history_count = 2};
		format_norm(numbers[number_count++], 24, layers[i].weight_grad_norm, 0);
		format_norm(numbers[number_count++], 24, layers[i].delta_norm, 0);
		format_norm(numbers[number_count++], 24, layers[i].predicted_weight_grad_norm, 0);
	}
	layers[0].weight_grad_norm = 3.125e-3;
	format_norm(numbers[0], 24, layers[0].weight_grad_norm, 0);
	layers[WIDE_LAYERS - 1].weight_grad_norm = 1;
	format_norm(numbers[3 * (WIDE_LAYERS - 1)], 24, 1, 0);
	struct watch_snapshot snapshot = {
		.run_id = 7, .steps_done = 5, .steps = 10, .name = "n", .status = "running",
		.elapsed_s = NAN, .has_step = true, .step = 4, .loss = 0.5, .step_elapsed_s = 1,
		.layer_count = WIDE_LAYERS, .layers = layers};
	struct strbuf frame;
	strbuf_init(&frame);
	const int heights[] = {0, 3, 4, 5, 6, 12};
	for (int columns = 1; columns <= 130; columns++) {
		for (size_t h = 0; h < sizeof heights / sizeof *heights; h++) {
			struct frame_layout layout = {columns, heights[h], false, 873};
			strbuf_reset(&frame);
			watch_frame_render(&frame, &snapshot, &layout);
			assert_frame_shows_whole_numbers(frame.text, columns, heights[h], numbers,
							 number_count);
		}
	}
	/* a 10+ character number keeps its column: headings, numbers, the scale labels
	 * over the bar's ends and "recent" over the sparkline line up */
	struct frame_layout layout = {130, 0, false, 873};
	strbuf_reset(&frame);
	watch_frame_render(&frame, &snapshot, &layout);
	char *heading = line_starting(frame.text, "layer ");
	assert_string_equal(heading, "layer  weight_grad        delta    predicted  1e-03"
				     "                                       1e+115  recent");
	char *row = line_starting(frame.text, "    5 ");
	assert_int_equal(strstr(row, "1.109e+114") + strlen("1.109e+114") - row,
			 strstr(heading, "weight_grad") + strlen("weight_grad") - heading);
	free(row);
	row = line_starting(frame.text, "    1 ");
	assert_int_equal(strstr(row, "-2.500e-01") + strlen("-2.500e-01") - row,
			 strstr(heading, "predicted") + strlen("predicted") - heading);
	/* the sparkline (two recent steps) starts under "recent", the bar under "1e-03" */
	size_t sparkline = (size_t)(strstr(heading, "recent") - heading);
	size_t bar = (size_t)(strstr(heading, "1e-03") - heading);
	assert_string_equal(row + sparkline - 2, "  __");
	assert_true(row[bar - 1] == ' ' && row[bar] != ' ');
	free(row);
	free(heading);
	strbuf_free(&frame);
}

/* The prediction inside the measured bar shows as '+', so the bar's cells stay visible
 * around it; outside the bar it is a '|'. */
static void prediction_marker_inside_the_bar_is_distinct(void **state)
{
	(void)state;
	struct watch_layer layers[2] = {
		{.layer = 0, .weight_grad_norm = 1, .delta_norm = 1,
		 .predicted_weight_grad_norm = 1e-2, .predicted_delta_norm = NAN},
		{.layer = 1, .weight_grad_norm = 1e-3, .delta_norm = 1,
		 .predicted_weight_grad_norm = 1e-2, .predicted_delta_norm = NAN},
	};
	struct watch_snapshot snapshot = {
		.run_id = 1, .steps_done = 1, .steps = 1, .name = "n", .status = "finished",
		.elapsed_s = NAN, .has_step = true, .step = 0, .loss = 1, .step_elapsed_s = 1,
		.layer_count = 2, .layers = layers};
	struct frame_layout layout = {5 + 3 * 13 + 2 + 12, 0, false, NAN};
	struct strbuf frame;
	strbuf_init(&frame);
	watch_frame_render(&frame, &snapshot, &layout);
	/* 1e-03 .. 1e+00 over 12 cells: 1e-02 is cell 4 */
	assert_contains(frame.text, "\n    0    1.000e+00    1.000e+00    1.000e-02  ####+#######\n");
	assert_contains(frame.text, "\n    1    1.000e-03    1.000e+00    1.000e-02      |\n");
	strbuf_free(&frame);
}

/* --once on a finished run: the run line and, per layer, the norms of the last logged
 * step exactly as the database holds them, the prediction beside them where the
 * predictions table has one, '-' where it holds NULL or nothing. */
static void once_shows_the_database_values_and_predictions(void **state)
{
	(void)state;
	const char *dir = finished_run();
	sqlite3 *db = open_db(dir, "t.db", SQLITE_OPEN_READWRITE);
	/* the run's own predictions replaced by known values: layer 2 has no row, the output
	 * layer NULLs */
	exec_sql(db, "DELETE FROM predictions WHERE run_id = 1");
	exec_sql(db, "INSERT INTO predictions (run_id, layer, q, chi, delta_norm, weight_grad_norm)"
		     " VALUES (1, 0, 0.5, 0.9, 0.01, 0.0125), (1, 1, 0.5, 0.9, 0.02, 0.0375),"
		     " (1, 3, NULL, NULL, NULL, NULL)");
	struct command_result r;
	setenv("LC_ALL", "C", 1);
	GTRACK(&r, dir, "watch", "small", "--db", "t.db", "--once");
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.err, "");
	assert_contains(r.out, "run 1 small: finished, 10/10 steps in ");
	assert_contains(r.out, "\nstep 9: loss ");
	const char *predicted[] = {"1.250e-02", "3.750e-02", "-", "-"};
	for (int layer = 0; layer <= 3; layer++) {
		char sql[256], weight_grad[24], delta[24], expected[128], prefix[16];
		snprintf(sql, sizeof sql, "SELECT weight_grad_norm FROM layer_stats WHERE run_id = 1"
			 " AND step = 9 AND layer = %d", layer);
		norm_text(db, sql, weight_grad, sizeof weight_grad);
		snprintf(sql, sizeof sql, "SELECT delta_norm FROM layer_stats WHERE run_id = 1"
			 " AND step = 9 AND layer = %d", layer);
		norm_text(db, sql, delta, sizeof delta);
		snprintf(prefix, sizeof prefix, "%5d  ", layer);
		snprintf(expected, sizeof expected, "%5d  %11s  %11s  %11s  ", layer, weight_grad, delta,
			 predicted[layer]);
		char *line = line_starting(r.out, prefix);
		assert_contains(line, expected);
		/* the prediction is marked on the bar ('+' inside it), and only where there
		 * is one; at 80 columns the bar takes 16 (the ASCII sparkline after it has
		 * '+' of its own) */
		size_t bar_cells = strcspn(line + strlen(expected), "|+");
		if (layer < 2)
			assert_true(bar_cells < 16);
		else
			assert_true(bar_cells >= 16);
		free(line);
	}
	char ratio[24], expected[96];
	norm_text(db, "SELECT weight_grad_ratio FROM grad_ratio WHERE run_id = 1 AND step = 9",
		  ratio, sizeof ratio);
	snprintf(expected, sizeof expected, ", layer 0/output %s\n", ratio);
	assert_contains(r.out, expected);
	command_result_free(&r);

	/* a complete prediction gives the predicted ratio too */
	exec_sql(db, "UPDATE predictions SET weight_grad_norm = 0.05 WHERE layer = 3");
	GTRACK(&r, dir, "watch", "1", "--db", "t.db", "--once");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, ", predicted 2.500e-01\n");
	command_result_free(&r);
	sqlite3_close(db);
}

/* Piped, even without --once: frames of plain text, no escape sequence, and ASCII bars
 * without a UTF-8 locale; with one, block characters. */
static void piped_frames_are_plain_text(void **state)
{
	(void)state;
	const char *dir = finished_run();
	struct command_result r;
	setenv("LC_ALL", "C", 1);
	GTRACK(&r, dir, "watch", "small", "--db", "t.db");
	assert_int_equal(r.exit_code, 0);
	assert_null(strchr(r.out, '\033'));
	for (const unsigned char *c = (const unsigned char *)r.out; *c; c++)
		if (*c >= 0x80)
			fail_msg("byte 0x%02x in \"%s\"", *c, r.out);
	assert_contains(r.out, "#");
	assert_int_equal(count_of(r.out, "run 1 small: "), 1);
	command_result_free(&r);

	setenv("LC_ALL", "C.UTF-8", 1);
	GTRACK(&r, dir, "watch", "small", "--db", "t.db");
	assert_int_equal(r.exit_code, 0);
	assert_null(strchr(r.out, '\033'));
	assert_contains(r.out, "\u2588"); /* a full block */
	command_result_free(&r);
	setenv("LC_ALL", "C", 1);
}

/* On a terminal: the cursor hidden, the frame drawn from the home position, every line
 * cleared to its end and the rest of the screen below, then the cursor shown again. */
static void terminal_frames_are_redrawn_in_place(void **state)
{
	(void)state;
	const char *dir = finished_run();
	int code;
	char *screen = run_gtrack_on_terminal(
		dir, (const char *const[]){"watch", "small", "--db", "t.db", NULL}, &code);
	assert_int_equal(code, 0);
	const char *hide = strstr(screen, "\033[?25l"), *home = strstr(screen, "\033[H");
	const char *below = strstr(screen, "\033[J"), *show = strstr(screen, "\033[?25h");
	assert_non_null(hide);
	assert_non_null(home);
	assert_non_null(below);
	assert_non_null(show);
	assert_true(hide < home && home < below && below < show);
	assert_contains(screen, "\033[Hrun 1 small: finished, 10/10 steps in ");
	assert_contains(screen, "\033[K\r\n");
	free(screen);

	/* --once is for scripts: one plain frame, even on a terminal */
	screen = run_gtrack_on_terminal(
		dir, (const char *const[]){"watch", "small", "--db", "t.db", "--once", NULL}, &code);
	assert_int_equal(code, 0);
	assert_null(strchr(screen, '\033'));
	assert_contains(screen, "run 1 small: finished");
	free(screen);
}

/* Every line of the frames drawn after the last occurrence of `after` takes at most
 * columns terminal columns (one per UTF-8 character: the frames hold no wide ones). */
static void assert_lines_fit(const char *screen, const char *after, int columns)
{
	const char *start = strstr(screen, after);
	assert_non_null(start);
	for (const char *next; (next = strstr(start + 1, after));)
		start = next;
	start = strstr(start, "\033[H");
	assert_non_null(start);
	/* each frame line ends in ESC [ K, CR, LF on the terminal */
	for (const char *line = start + 3; *line;) {
		const char *end = strstr(line, "\033[K");
		if (!end)
			break;
		int used = 0;
		for (const char *c = line; c < end; c++)
			used += ((unsigned char)*c & 0xc0) != 0x80;
		if (used > columns)
			fail_msg("line of %d columns on a terminal of %d: \"%.*s\"", used, columns,
				 (int)(end - line), line);
		line = end + 3;
		line += strspn(line, "\r\n");
	}
}

/* A directory with small.yaml trained 12 hidden layers deep into t.db as run 1. */
static const char *deep_finished_run(void)
{
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	struct command_result r;
	GTRACK(&r, dir, "run", "small.yaml", "--db", "t.db", "--set", "model.depth=12");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	return dir;
}

/* A narrow, short terminal: no line is wider than the terminal, and the middle layers
 * give way so that the frame fits (layer 0 and the output layer stay). */
static void frame_fits_a_small_terminal(void **state)
{
	(void)state;
	const char *dir = deep_finished_run();
	const int sizes[][2] = {{40, 12}, {64, 30}, {120, 40}, {90, 14}};
	for (int i = 0; i < 4; i++) {
		/* ASCII, and block characters with a UTF-8 locale */
		setenv("LC_ALL", i % 2 ? "C.UTF-8" : "C", 1);
		int terminal, code;
		pid_t pid = start_gtrack_on_terminal(
			dir, (const char *const[]){"watch", "small", "--db", "t.db", NULL},
			sizes[i][0], sizes[i][1], &terminal);
		char *screen = finish_gtrack_on_terminal(pid, terminal, &code);
		assert_int_equal(code, 0);
		assert_lines_fit(screen, "\033[?25l", sizes[i][0]);
		assert_contains(screen, "\r\n    0  ");
		assert_contains(screen, "\r\n   12  ");
		if (sizes[i][1] < 20) {
			assert_contains(screen, "  ... layers ");
			assert_true(count_of(screen, "\r\n") < sizes[i][1]);
		} else {
			assert_lacks(screen, "  ... layers ");
		}
		free(screen);
	}
	setenv("LC_ALL", "C", 1);
}

/* --once on a terminal takes the terminal's width (not the 80 columns of a pipe), and
 * all its height: every layer, no line wider than the window, the ratio whole or left
 * out. */
static void once_on_a_terminal_fits_its_width(void **state)
{
	(void)state;
	const char *dir = deep_finished_run();
	sqlite3 *db = open_db(dir, "t.db", SQLITE_OPEN_READONLY);
	char ratio[24], expected[64];
	norm_text(db, "SELECT weight_grad_ratio FROM grad_ratio WHERE run_id = 1 AND step = 9",
		  ratio, sizeof ratio);
	sqlite3_close(db);
	snprintf(expected, sizeof expected, ", layer 0/output %s\r\n", ratio);
	const int widths[] = {41, 52, 20};
	for (int i = 0; i < 3; i++) {
		int terminal, code;
		pid_t pid = start_gtrack_on_terminal(
			dir, (const char *const[]){"watch", "small", "--db", "t.db", "--once", NULL},
			widths[i], 6, &terminal);
		char *screen = finish_gtrack_on_terminal(pid, terminal, &code);
		assert_int_equal(code, 0);
		assert_null(strchr(screen, '\033'));
		for (const char *line = screen; *line;) {
			const char *end = strstr(line, "\r\n");
			assert_non_null(end);
			if (end - line > widths[i] - 1)
				fail_msg("line of %d columns at %d: \"%.*s\"", (int)(end - line),
					 widths[i], (int)(end - line), line);
			line = end + 2;
		}
		assert_contains(screen, "\r\n    0 ");
		assert_contains(screen, "\r\n   12 ");
		assert_lacks(screen, "  ... layers ");
		if (widths[i] == 52)
			assert_contains(screen, expected);
		else
			assert_lacks(screen, "layer 0/output");
		free(screen);
	}
}

/* A window made narrower while the watch runs: the next frame fits the new width. */
static void frame_follows_a_resize(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	long long logged = 0;
	pid_t run = start_long_run(dir, "small.yaml", "t.db", 3, &logged);
	int terminal, code;
	pid_t watch = start_gtrack_on_terminal(
		dir, (const char *const[]){"watch", "small", "--db", "t.db", "-n", "0.2", NULL}, 120,
		40, &terminal);
	usleep(700000);
	struct winsize narrow = {.ws_row = 40, .ws_col = 50};
	assert_int_equal(ioctl(terminal, TIOCSWINSZ, &narrow), 0); /* sends SIGWINCH */
	struct stopper stop;
	stopper_start(&stop, watch, SIGINT, 700000, false);
	char *screen = finish_gtrack_on_terminal(watch, terminal, &code);
	stopper_join(&stop);
	assert_int_equal(code, 130);
	/* before: the sparkline's heading fits; after: it does not */
	const char *wide = strstr(screen, "  recent\033[K");
	assert_non_null(wide);
	const char *last_frame = NULL;
	for (const char *at = screen; (at = strstr(at, "\033[H")); at++)
		last_frame = at;
	assert_true(last_frame > wide);
	assert_null(strstr(last_frame, "recent"));
	assert_lines_fit(last_frame, "\033[H", 49);
	free(screen);
	kill(run, SIGTERM);
	assert_int_equal(wait_exit_code(run), 130);
}

/* A name from a database written elsewhere can hold escape sequences: it is shown as
 * text, never sent to the terminal to act on. */
static void hostile_run_name_is_shown_escaped(void **state)
{
	(void)state;
	const char *dir = finished_run();
	sqlite3 *db = open_db(dir, "t.db", SQLITE_OPEN_READWRITE);
	exec_sql(db, "UPDATE runs SET name = 'evil' || char(27) || ']0;pwned' || char(7) ||"
		     " char(27) || '[2J' WHERE id = 1");
	sqlite3_close(db);
	struct command_result r;
	GTRACK(&r, dir, "watch", "1", "--db", "t.db", "--once");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "run 1 evil\\x1b]0;pwned\\x07\\x1b[2J: finished");
	assert_null(strchr(r.out, '\033'));
	assert_null(strchr(r.out, '\a'));
	command_result_free(&r);

	int code;
	char *screen = run_gtrack_on_terminal(
		dir, (const char *const[]){"watch", "1", "--db", "t.db", NULL}, &code);
	assert_int_equal(code, 0);
	assert_contains(screen, "run 1 evil\\x1b]0;pwned\\x07\\x1b[2J: finished");
	assert_lacks(screen, "\033]");
	assert_lacks(screen, "\033[2J");
	free(screen);
}

/* Follows a run that another process trains, frame after frame (one per new logged
 * step, piped), until the run ends (here: SIGTERM, so it ends as killed); the last frame
 * shows how it ended, with the steps the database counts, and the exit code is 0. */
static void follow_until_stopped(void)
{
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	long long logged = 0;
	pid_t run = start_long_run(dir, "small.yaml", "t.db", 3, &logged);
	struct stopper stopper;
	stopper_start(&stopper, run, SIGTERM, 1500000, true);
	struct command_result r;
	GTRACK(&r, dir, "watch", "small", "--db", "t.db", "--interval", "0.1");
	stopper_join(&stopper);
	assert_int_equal(stopper.exit_code, 130);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.err, "");
	assert_contains(r.out, "run 1 small: running, ");
	assert_contains(r.out, " steps/s\n");
	assert_true(count_of(r.out, "\n\nrun 1 small: ") >= 2);

	sqlite3 *db = open_db(dir, "t.db", SQLITE_OPEN_READONLY);
	char last_frame[128];
	snprintf(last_frame, sizeof last_frame, "\n\nrun 1 small: killed, %lld/100000000 steps",
		 query_int(db, "SELECT steps_done FROM runs WHERE id = 1"));
	const char *final = strstr(r.out, last_frame);
	assert_non_null(final);
	assert_null(strstr(final + 1, "\n\nrun 1 "));
	assert_contains(final, "\nmessage: interrupted before step ");
	sqlite3_close(db);
	command_result_free(&r);
}

static void follows_a_run_until_it_is_killed(void **state)
{
	(void)state;
	follow_until_stopped();
}

/* A run killed with SIGKILL records nothing: the watch sees its process gone, shows it
 * crashed and ends, without waiting the minute after which its heartbeat counts as
 * stale (a watchdog ends the watch after half that: exit 130 instead of 0). The database
 * has it marked crashed, as any reader opening it would. */
static void a_run_whose_process_dies_shows_as_crashed(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	long long logged = 0;
	pid_t run = start_long_run(dir, "small.yaml", "t.db", 3, &logged);
	struct stopper killer, watchdog;
	stopper_start(&killer, run, SIGKILL, 1500000, true);
	int terminal, code;
	pid_t watch = start_gtrack_on_terminal(
		dir, (const char *const[]){"watch", "small", "--db", "t.db", "-n", "0.1", NULL}, 100,
		40, &terminal);
	stopper_start(&watchdog, watch, SIGTERM, 30000000, false);
	char *screen = finish_gtrack_on_terminal(watch, terminal, &code);
	pthread_cancel(watchdog.thread); /* asleep in usleep, a cancellation point */
	stopper_join(&watchdog);
	stopper_join(&killer);
	assert_int_equal(killer.exit_code, -SIGKILL);
	assert_int_equal(code, 0);
	assert_contains(screen, "\033[Hrun 1 small: running, ");
	assert_contains(screen, "\033[Hrun 1 small: crashed, ");
	/* the final frame says why, as the database will */
	assert_contains(screen, "\r\nmessage: its process is gone (last heartbeat 20");
	free(screen);
	sqlite3 *db = open_db(dir, "t.db", SQLITE_OPEN_READONLY);
	char *stored = query_text(db, "SELECT status || ': ' || message FROM runs WHERE id = 1");
	assert_contains(stored, "crashed: its process is gone");
	free(stored);
	sqlite3_close(db);
}

/* Ctrl-C, SIGTERM and SIGHUP stop the watch, not the run: exit 130 and the cursor shown
 * again on the terminal. Ctrl-Z shows it while the watch is suspended. */
static void signals_restore_the_cursor(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	long long logged = 0;
	pid_t run = start_long_run(dir, "small.yaml", "t.db", 3, &logged);
	const int signals[] = {SIGINT, SIGTERM, SIGHUP};
	for (int i = 0; i < 3; i++) {
		int terminal, code;
		pid_t watch = start_gtrack_on_terminal(
			dir, (const char *const[]){"watch", "small", "--db", "t.db", NULL}, 100, 40,
			&terminal);
		struct stopper stopper;
		stopper_start(&stopper, watch, signals[i], 700000, false);
		char *screen = finish_gtrack_on_terminal(watch, terminal, &code);
		stopper_join(&stopper);
		assert_int_equal(code, 130);
		assert_contains(screen, "run 1 small: running, ");
		const char *show = strstr(screen, "\033[?25h");
		assert_non_null(show);
		assert_true(show > strstr(screen, "\033[?25l"));
		free(screen);
	}
	/* Ctrl-Z shows the cursor for the shell, and hides it again on resuming (the kernel
	 * does not stop a process of an orphaned group like this one, so it resumes at once) */
	int terminal, code;
	pid_t watch = start_gtrack_on_terminal(
		dir, (const char *const[]){"watch", "small", "--db", "t.db", NULL}, 100, 40, &terminal);
	struct stopper suspend, stop;
	stopper_start(&suspend, watch, SIGTSTP, 700000, false);
	stopper_start(&stop, watch, SIGINT, 1400000, false);
	char *screen = finish_gtrack_on_terminal(watch, terminal, &code);
	stopper_join(&suspend);
	stopper_join(&stop);
	assert_int_equal(code, 130);
	const char *hidden = strstr(screen, "\033[?25l");
	const char *shown = hidden ? strstr(hidden, "\033[?25h") : NULL;
	const char *hidden_again = shown ? strstr(shown, "\033[?25l") : NULL;
	assert_non_null(hidden_again);
	assert_non_null(strstr(hidden_again, "\033[Hrun 1 small: running, "));
	assert_non_null(strstr(hidden_again, "\033[?25h"));
	free(screen);

	/* the run went on training all along */
	assert_int_equal(kill(run, 0), 0);
	kill(run, SIGTERM);
	assert_int_equal(wait_exit_code(run), 130);
}

/* A writer stopped (Ctrl-Z) in the middle of a transaction keeps the write lock: the
 * watch reads on regardless (were it waiting, it would fail after the 60 s busy
 * timeout with "database is locked"). */
static void a_stopped_writer_does_not_block_the_watch(void **state)
{
	(void)state;
	const char *dir = finished_run();
	char path[1024];
	snprintf(path, sizeof path, "%s/t.db", dir);
	pid_t writer = fork();
	assert_true(writer >= 0);
	if (writer == 0) {
		sqlite3 *held;
		if (sqlite3_open(path, &held) != SQLITE_OK ||
		    sqlite3_exec(held, "BEGIN IMMEDIATE; UPDATE runs SET message = 'held'", NULL,
				 NULL, NULL) != SQLITE_OK)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(writer, &status, WUNTRACED), writer);
	assert_true(WIFSTOPPED(status));
	struct command_result r;
	GTRACK(&r, dir, "watch", "small", "--db", "t.db");
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.err, "");
	assert_contains(r.out, "run 1 small: finished, 10/10 steps");
	command_result_free(&r);
	kill(writer, SIGKILL);
	assert_int_equal(wait_exit_code(writer), -SIGKILL);
}

static void bad_interval_is_a_usage_error(void **state)
{
	(void)state;
	const char *dir = finished_run();
	const char *bad[] = {"0", "0.05", "abc", "1e9", "nan", "-1", "2s", ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct command_result r;
		GTRACK(&r, dir, "watch", "small", "--db", "t.db", "--interval", bad[i]);
		assert_int_equal(r.exit_code, 2);
		char expected[128];
		snprintf(expected, sizeof expected,
			 "gtrack watch: --interval expects seconds from 0.1 to 3600, got '%s'\n",
			 bad[i]);
		assert_contains(r.err, expected);
		assert_string_equal(r.out, "");
		command_result_free(&r);
	}
	struct command_result r;
	GTRACK(&r, dir, "watch", "small", "--db", "t.db", "-n", "\033[2J");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "got '\\x1b[2J'");
	command_result_free(&r);
	GTRACK(&r, dir, "watch", "small", "--db", "t.db", "--bogus");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "gtrack watch: unknown option '--bogus'");
	command_result_free(&r);
	GTRACK(&r, dir, "watch", "small", "--db", "t.db", "--once=1");
	assert_int_equal(r.exit_code, 2);
	assert_string_equal(r.err, "gtrack watch: option '--once' takes no value\n"
				   "Try 'gtrack watch --help'.\n");
	command_result_free(&r);
	GTRACK(&r, dir, "watch", "small", "--db");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "gtrack watch: option '--db' needs a value\n");
	command_result_free(&r);
	GTRACK(&r, dir, "watch", "--db", "t.db");
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "gtrack watch: expected one RUN (an id or a name)");
	command_result_free(&r);
	GTRACK(&r, dir, "watch", "--help");
	assert_int_equal(r.exit_code, 0);
	assert_contains(r.out, "usage: gtrack watch RUN [--db PATH] [--interval S] [--once]\n");
	assert_contains(r.out, "exit 130 means only the watch was interrupted,\nthe run trains on");
	assert_contains(r.out, "piped, a frame is printed at most once per interval");
	command_result_free(&r);
	GTRACK(&r, dir, "help");
	assert_contains(r.out, "\n  watch    show a run while it trains");
	command_result_free(&r);
}

static void unknown_run_or_database_is_reported(void **state)
{
	(void)state;
	const char *dir = finished_run();
	struct command_result r;
	GTRACK(&r, dir, "watch", "smal", "--db", "t.db");
	assert_int_equal(r.exit_code, 6);
	assert_string_equal(r.err, "gtrack: no run with id or name 'smal' (did you mean 'small'?)\n");
	command_result_free(&r);
	GTRACK(&r, dir, "watch", "7", "--db", "t.db");
	assert_int_equal(r.exit_code, 6);
	assert_contains(r.err, "no run with id or name '7' (see 'gtrack ls')");
	command_result_free(&r);

	GTRACK(&r, dir, "watch", "small", "--db", "missing.db");
	assert_int_equal(r.exit_code, 4);
	assert_contains(r.err, "gtrack: no database at 'missing.db'");
	assert_false(file_exists("missing.db"));
	command_result_free(&r);

	free(test_write_file(dir, "notes.db", "not a database, just notes\n"));
	GTRACK(&r, dir, "watch", "small", "--db", "notes.db");
	assert_int_equal(r.exit_code, 4);
	assert_contains(r.err, "'notes.db' is not a gtrack database");
	command_result_free(&r);
}

/* gtrack run's progress bar shows the weight-gradient ratio of layer 0 over the output
 * layer at the last logged step ("grad 0/out"): at the end, the database's grad_ratio at
 * the last step. It never wraps (a wrapped line is repeated instead of redrawn): whole
 * fields give way by rank, steps/s, the ETA, the bar, the loss; the common 80 columns
 * keep the bar, 40 columns the ratio. */
static void progress_bar_shows_the_layer_ratio(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "small.yaml", small_spec));
	const int widths[] = {150, 80, 64, 40};
	for (int i = 0; i < 4; i++) {
		char db_name[16];
		snprintf(db_name, sizeof db_name, "p%d.db", i);
		int terminal, code;
		pid_t pid = start_gtrack_on_terminal(
			dir, (const char *const[]){"run", "small.yaml", "--db", db_name, NULL},
			widths[i], 40, &terminal);
		char *screen = finish_gtrack_on_terminal(pid, terminal, &code);
		assert_int_equal(code, 0);
		sqlite3 *db = open_db(dir, db_name, SQLITE_OPEN_READONLY);
		char ratio[24], loss[32], expected[128];
		norm_text(db, "SELECT weight_grad_ratio FROM grad_ratio WHERE run_id = 1 AND step = 9",
			  ratio, sizeof ratio);
		snprintf(loss, sizeof loss, "loss %.4g",
			 query_double(db, "SELECT loss FROM steps WHERE run_id = 1 AND step = 9"));
		sqlite3_close(db);
		const char *last_bar = strstr(screen, "\rrun 1 ");
		assert_non_null(last_bar);
		for (const char *next; (next = strstr(last_bar + 1, "\rrun 1 ")) &&
				       strncmp(next, "\rrun 1 small:", 14);)
			last_bar = next;
		const char *end = strstr(last_bar, "\033[K");
		assert_non_null(end);
		if (end - last_bar - 1 > widths[i] - 1)
			fail_msg("progress line of %d columns on a terminal of %d: \"%.*s\"",
				 (int)(end - last_bar - 1), widths[i], (int)(end - last_bar), last_bar);
		snprintf(expected, sizeof expected, " step 10/10  %s  grad 0/out %s", loss, ratio);
		if (widths[i] == 150) {
			assert_contains(last_bar, "\rrun 1 [########################] step 10/10  ");
			assert_contains(last_bar, expected);
			assert_contains(last_bar, "  ETA ");
			assert_contains(last_bar, " steps/s\033[K");
		} else if (widths[i] == 80) {
			assert_contains(last_bar, "\rrun 1 [########");
			assert_contains(last_bar, expected);
			assert_contains(last_bar, "  ETA ");
		} else if (widths[i] == 64) {
			assert_contains(last_bar, "\rrun 1 [########");
			strcat(expected, "\033[K");
			assert_contains(last_bar, expected);
		} else {
			snprintf(expected, sizeof expected, "\rrun 1 step 10/10  grad 0/out %s\033[K",
				 ratio);
			assert_contains(last_bar, expected);
		}
		free(screen);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_layout_follows_the_log_scale),
		cmocka_unit_test(frame_shows_numbers_whole_at_every_size),
		cmocka_unit_test(prediction_marker_inside_the_bar_is_distinct),
		cmocka_unit_test(once_shows_the_database_values_and_predictions),
		cmocka_unit_test(piped_frames_are_plain_text),
		cmocka_unit_test(terminal_frames_are_redrawn_in_place),
		cmocka_unit_test(frame_fits_a_small_terminal),
		cmocka_unit_test(once_on_a_terminal_fits_its_width),
		cmocka_unit_test(frame_follows_a_resize),
		cmocka_unit_test(hostile_run_name_is_shown_escaped),
		cmocka_unit_test(follows_a_run_until_it_is_killed),
		cmocka_unit_test(a_run_whose_process_dies_shows_as_crashed),
		cmocka_unit_test(signals_restore_the_cursor),
		cmocka_unit_test(a_stopped_writer_does_not_block_the_watch),
		cmocka_unit_test(bad_interval_is_a_usage_error),
		cmocka_unit_test(unknown_run_or_database_is_reported),
		cmocka_unit_test(progress_bar_shows_the_layer_ratio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
