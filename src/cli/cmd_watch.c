/* gtrack watch RUN: a run while it trains, refreshed in place on a terminal.
 *
 * It reads the database as every reader does (db_open: never waiting for the writer's
 * lock, dead runs shown and marked as crashed) and then one short read transaction per
 * frame (watch/snapshot.c). On a terminal each frame is drawn from the cursor's home
 * position with plain ANSI sequences, the cursor hidden until the watch ends, however it
 * ends; piped, a frame is printed as plain text at most once per interval, when a new
 * step was logged or the status changed. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "db/db.h"
#include "db/run_hint.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/printable.h"
#include "util/strbuf.h"
#include "watch/frame.h"
#include "watch/snapshot.h"
#include "util/terminal.h"

#define DEFAULT_INTERVAL_S 1.0
/* faster than a tenth of a second reads more than a person sees (commits come every
 * 0.25 s); an hour apart is no longer watching */
#define MIN_INTERVAL_S 0.1
#define MAX_INTERVAL_S 3600.0
/* piped output, and a terminal that reports no size, get frames this wide */
#define DEFAULT_COLUMNS 80
#define DEFAULT_ROWS 24

const char cmd_watch_usage[] =
	"usage: gtrack watch RUN [--db PATH] [--interval S] [--once]\n"
	"\n"
	"Shows a run while it trains. RUN is a run id or a name (the most recent run of that\n"
	"name). A frame holds the status, steps done, steps/s, the latest logged step's loss\n"
	"and layer-0/output ratio, then per layer its weight_grad_norm and delta_norm at that\n"
	"step, the predicted weight_grad_norm at step 0 (the predictions table; '-' where\n"
	"there is none), a bar of weight_grad_norm on a log scale shared by all layers ('|'\n"
	"marks the prediction, '+' where it falls inside the bar) and a sparkline of the\n"
	"latest 16 logged steps; a narrow window drops whole columns (the sparkline, then\n"
	"the bar, delta, predicted). The frame refreshes every S seconds until the run is no\n"
	"longer running, then the final frame stays and the exit code is 0.\n"
	"\n"
	"On a terminal the frame is redrawn in place (plain ANSI: works over SSH and in\n"
	"tmux); piped, a frame is printed at most once per interval, when a new step was\n"
	"logged or the status changed, frames separated by a blank line, without escape\n"
	"sequences. Bars use block characters with a UTF-8 locale, ASCII otherwise. The run\n"
	"is never slowed or blocked: the database is only read, in short transactions.\n"
	"Ctrl-C stops watching, not the run: exit 130 means only the watch was interrupted,\n"
	"the run trains on.\n"
	"\n"
	"  --db PATH         database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  -n, --interval S  seconds between refreshes, from 0.1 to 3600 (default 1)\n"
	"  --once            print one frame and exit, for scripts (a terminal's width)\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0 the run ended (or --once printed its frame), 2 bad option, 4\n"
	"database problem, 6 no run matches, 130 interrupted.\n";

static volatile sig_atomic_t stop_signal, resized;

static void on_stop(int signal_number)
{
	stop_signal = signal_number;
}

static void on_resize(int signal_number)
{
	(void)signal_number;
	resized = 1;
}

static void write_sequence(const char *sequence)
{
	/* write(2), not stdio: this runs in a signal handler */
	size_t length = strlen(sequence);
	while (length) {
		ssize_t written = write(STDOUT_FILENO, sequence, length);
		if (written <= 0)
			return;
		sequence += written;
		length -= (size_t)written;
	}
}

static void set_handler(int signal_number, void (*handler)(int))
{
	struct sigaction action;
	memset(&action, 0, sizeof action);
	sigemptyset(&action.sa_mask);
	action.sa_handler = handler;
	sigaction(signal_number, &action, NULL);
}

/* Ctrl-Z on a live terminal: the shell gets the terminal back with its cursor shown;
 * after `fg` the cursor is hidden again and the frame redrawn at once. */
static void on_suspend(int signal_number)
{
	int saved_errno = errno;
	write_sequence(TERMINAL_SHOW_CURSOR);
	set_handler(signal_number, SIG_DFL);
	sigset_t suspend;
	sigemptyset(&suspend);
	sigaddset(&suspend, signal_number);
	sigprocmask(SIG_UNBLOCK, &suspend, NULL);
	raise(signal_number); /* stops here until SIGCONT */
	set_handler(signal_number, on_suspend);
	write_sequence(TERMINAL_HIDE_CURSOR);
	resized = 1;
	errno = saved_errno;
}

/* Without SA_RESTART, so that a signal ends the pause between frames at once: Ctrl-C,
 * SIGTERM and SIGHUP end the watch (and the cursor is shown again), a resize redraws. */
static void handle_signals(bool live)
{
	set_handler(SIGINT, on_stop);
	set_handler(SIGTERM, on_stop);
	set_handler(SIGHUP, on_stop);
	set_handler(SIGWINCH, on_resize);
	if (live)
		set_handler(SIGTSTP, on_suspend);
}

/* Sleeps for seconds, or until a signal asks to stop or to redraw. */
static void pause_between_frames(double seconds)
{
	double until = monotonic_seconds() + seconds;
	while (!stop_signal && !resized) {
		double left = until - monotonic_seconds();
		if (left <= 0)
			break;
		struct timespec pause = {(time_t)left, (long)((left - floor(left)) * 1e9)};
		nanosleep(&pause, NULL);
	}
	resized = 0;
}

/* Steps per second: while the run trains, over windows of RATE_WINDOW_S or more between
 * frames (what it does now: a stalled run reads 0), its average since it started until
 * the first window closes; once it has ended, steps_done over its elapsed time. */
#define RATE_WINDOW_S 2.0
struct rate {
	long long window_steps; /* steps_done when the window opened */
	double window_opened;   /* monotonic seconds, negative before the first frame */
	double recent;          /* NaN until the first window closed */
};

static double rate_update(struct rate *rate, const struct watch_snapshot *snapshot)
{
	double now = monotonic_seconds();
	if (rate->window_opened < 0 || now - rate->window_opened >= RATE_WINDOW_S) {
		if (rate->window_opened >= 0)
			rate->recent = (double)(snapshot->steps_done - rate->window_steps) /
				       (now - rate->window_opened);
		rate->window_steps = snapshot->steps_done;
		rate->window_opened = now;
	}
	if (!watch_snapshot_running(snapshot))
		return snapshot->elapsed_s > 0 ? (double)snapshot->steps_done / snapshot->elapsed_s
					       : NAN;
	if (!isnan(rate->recent))
		return rate->recent;
	return snapshot->has_step && snapshot->step_elapsed_s > 0
		       ? (double)(snapshot->step + 1) / snapshot->step_elapsed_s
		       : NAN;
}

struct watch {
	sqlite3 *db;
	long long run_id;
	double interval;
	bool once, live, utf8; /* live: redrawn in place on a terminal */
};

/* Writes one frame to stdout: on a live terminal from the cursor's home position, each
 * line clearing what the last frame left to its right and the frame what it left below. */
static int draw(const struct watch *watch, const struct watch_snapshot *snapshot,
		double steps_per_second, bool first)
{
	struct frame_layout layout = {DEFAULT_COLUMNS, 0, watch->utf8, steps_per_second};
	int columns = DEFAULT_COLUMNS, rows = DEFAULT_ROWS;
	/* a terminal's width also holds for --once (which is not redrawn, so its height
	 * is free) */
	if (terminal_size(STDOUT_FILENO, &columns, &rows) || watch->live) {
		/* one column short of the edge: a line that fills the last column leaves
		 * some terminals waiting to wrap, where clearing the line erases that column */
		layout.columns = columns > 1 ? columns - 1 : 1;
		layout.rows = watch->live ? rows : 0;
	}
	struct strbuf frame, text;
	strbuf_init(&frame);
	strbuf_init(&text);
	watch_frame_render(&text, snapshot, &layout);
	if (watch->live) {
		strbuf_puts(&frame, TERMINAL_HOME);
		for (const char *at = text.text; *at; at++) {
			if (*at == '\n')
				strbuf_puts(&frame, TERMINAL_CLEAR_LINE);
			strbuf_add(&frame, at, 1);
		}
		strbuf_puts(&frame, TERMINAL_CLEAR_BELOW);
	} else {
		if (!first)
			strbuf_puts(&frame, "\n");
		strbuf_puts(&frame, text.text);
	}
	fwrite(frame.text, 1, frame.length, stdout);
	int failed = fflush(stdout) || ferror(stdout);
	strbuf_free(&frame);
	strbuf_free(&text);
	return failed ? -1 : 0;
}

/* Frames until the run ends (or once). Returns an exit code. */
static int watch_run(const struct watch *watch)
{
	struct rate rate = {0, -1, NAN};
	struct watch_snapshot snapshot = {0};
	long long printed_step = -2;
	char *printed_status = NULL;
	int code = EXIT_OK;
	for (bool first = true;; first = false) {
		if (watch_snapshot_read(watch->db, watch->run_id, &snapshot)) {
			code = EXIT_DATABASE;
			break;
		}
		double steps_per_second = rate_update(&rate, &snapshot);
		bool running = watch_snapshot_running(&snapshot);
		long long step = snapshot.has_step ? snapshot.step : -1;
		/* piped, a frame is news or nothing: a new step, or a new status */
		bool changed = step != printed_step || !printed_status ||
			       strcmp(printed_status, snapshot.status ? snapshot.status : "");
		if ((watch->live || changed) && draw(watch, &snapshot, steps_per_second, first))
			break; /* a write error; a closed pipe ends the process before this with
				* SIGPIPE (exit 141, as `watch | head -1` expects) */
		printed_step = step;
		free(printed_status);
		printed_status = xstrdup(snapshot.status ? snapshot.status : "");
		watch_snapshot_free(&snapshot);
		if (watch->once || !running)
			break;
		pause_between_frames(watch->interval);
		if (stop_signal)
			break;
	}
	free(printed_status);
	watch_snapshot_free(&snapshot);
	if (stop_signal) /* also when it came in the middle of a frame */
		code = EXIT_INTERRUPTED;
	/* a run seen dying is marked as db_open marks it for every reader: never waiting */
	if (code == EXIT_OK && !sqlite3_db_readonly(watch->db, "main"))
		db_mark_crashed(watch->db);
	return code;
}

static int parse_interval(const char *text, double *seconds)
{
	char *end;
	*seconds = strtod(text, &end);
	if (end == text || *end || !(*seconds >= MIN_INTERVAL_S && *seconds <= MAX_INTERVAL_S)) {
		char *shown = text_printable(text);
		usage_error("watch", "--interval expects seconds from %g to %g, got '%s'",
			    MIN_INTERVAL_S, MAX_INTERVAL_S, shown);
		free(shown);
		return -1;
	}
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	static const struct option options[] = {
		{"db", required_argument, NULL, 'd'},
		{"interval", required_argument, NULL, 'n'},
		{"once", no_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db_option = NULL;
	struct watch watch = {.interval = DEFAULT_INTERVAL_S};
	int option;
	optind = 0;
	while ((option = getopt_long(argc, argv, "n:h", options, NULL)) != -1) {
		switch (option) {
		case 'd':
			db_option = optarg;
			break;
		case 'n':
			if (parse_interval(optarg, &watch.interval))
				return EXIT_USAGE;
			break;
		case 'o':
			watch.once = true;
			break;
		case 'h':
			fputs(cmd_watch_usage, stdout);
			return finish_output(EXIT_OK);
		default:
			return option_error("watch", argv, "n:h");
		}
	}
	if (optind != argc - 1)
		return usage_error("watch", "expected one RUN (an id or a name)");

	if (db_open(&watch.db, db_path(db_option), DB_EXISTING))
		return EXIT_DATABASE;
	int code = EXIT_OK;
	watch.run_id = db_find_run(watch.db, argv[optind]);
	if (watch.run_id < 0) {
		code = EXIT_DATABASE;
	} else if (watch.run_id == 0) {
		error_no_run(watch.db, argv[optind]);
		code = EXIT_NOT_FOUND;
	} else {
		watch.utf8 = terminal_locale_is_utf8();
		watch.live = !watch.once && isatty(STDOUT_FILENO);
		handle_signals(watch.live);
		if (watch.live)
			fputs(TERMINAL_HIDE_CURSOR, stdout);
		code = watch_run(&watch);
		if (watch.live)
			fputs(TERMINAL_SHOW_CURSOR, stdout);
	}
	db_close(watch.db);
	return finish_output(code);
}
