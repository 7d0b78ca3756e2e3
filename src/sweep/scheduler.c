/* The local scheduler. Workers are forked processes: each opens its own database
 * connection (a connection must not cross fork, so the parent holds none while workers
 * run), trains one run and reports its result through a pipe. SQLite's WAL mode and the
 * busy timeout let all of them write the same file.
 *
 * Each worker has a process group of its own, so signals from the terminal reach only
 * the scheduler, which passes them on once: a terminal that closes signals only its
 * session leader (SIGHUP), never the workers, and a Ctrl-C that reached both would be a
 * second signal to a worker, which ends it before it records itself as killed. */
#include "sweep/scheduler.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "nn/blas_threads.h"
#include "train/trainer.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/units.h"

struct worker {
	pid_t pid;
	int result_fd;
	int run; /* index into sweep->runs */
	double started;
};

/* What a worker sends its parent. */
struct worker_report {
	bool skipped; /* finished meanwhile, or claimed by another live process */
	struct run_result result;
};

/* In the worker: claim one run, train it, send the result to the parent, exit. */
static void worker_main(const struct sweep *sweep, int run, int64_t sweep_id,
			const char *db_path, int threads, int result_fd)
{
	blas_threads_use(threads);
	struct worker_report report;
	memset(&report, 0, sizeof report);
	struct spec spec = sweep->runs[run].spec; /* a copy: only sweep_id changes */
	spec.sweep_id = sweep_id;
	sqlite3 *db = NULL;
	int claimed = db_open(&db, db_path, DB_CREATE) ? -1 : sweep_claim_run(db, &spec);
	if (claimed == 0) {
		report.skipped = true;
	} else if (claimed < 0 || trainer_run(db, &spec, false, &report.result)) {
		/* a run that could not start (a missing data file) failed, whatever
		 * trainer_run left in the result */
		report.result.outcome = RUN_FAILED;
		snprintf(report.result.message, sizeof report.result.message, "%s", error_last());
	}
	/* a claim left behind (the release failed, and said so) is harmless: the run is
	 * recorded, and a claim whose process is gone is taken over */
	if (claimed > 0)
		sweep_release_run(db, &spec);
	db_close(db);
	ssize_t written = write(result_fd, &report, sizeof report);
	_exit(written == (ssize_t)sizeof report ? 0 : 1);
}

static void on_child(int signal_number)
{
	(void)signal_number; /* only wakes sigsuspend */
}

/* Waits for a worker to end, or for a stop signal (then returns -1 with errno EINTR).
 * The stop signals and SIGCHLD are blocked outside sigsuspend, so one that arrives
 * between the check of trainer_interrupted and the wait is not missed. */
static pid_t wait_for_worker(int *status, const sigset_t *unblocked)
{
	for (;;) {
		if (trainer_interrupted()) {
			pid_t pid = waitpid(-1, status, WNOHANG);
			if (pid)
				return pid;
			errno = EINTR;
			return -1;
		}
		pid_t pid = waitpid(-1, status, WNOHANG);
		if (pid)
			return pid;
		sigsuspend(unblocked);
	}
}

static void progress_line(const struct sweep *sweep, const struct sweep_tally *t, int running,
			  int total, double started)
{
	int executed = t->finished + t->diverged + t->failed + t->killed;
	int done = executed + t->skipped + t->elsewhere, remaining = total - done;
	double elapsed = monotonic_seconds() - started;
	char eta[32];
	/* wall time per run executed so far already reflects the parallelism */
	format_duration(eta, sizeof eta, executed ? elapsed / executed * remaining : NAN);
	fprintf(stderr, "\rsweep %s: %d/%d done, %d running, %d failed, %d diverged, %d skipped, "
			"ETA %s\033[K",
		sweep->name, done, total, running, t->failed, t->diverged, t->skipped, eta);
	fflush(stderr);
}

int sweep_execute(const struct sweep *sweep, const char *db_path, int jobs, int threads,
		  bool show_progress, FILE *out, struct sweep_tally *tally)
{
	memset(tally, 0, sizeof *tally);
	sqlite3 *db = NULL;
	int64_t sweep_id = 0;
	bool *pending = xcalloc((size_t)sweep->run_count, sizeof(bool));
	if (db_open(&db, db_path, DB_CREATE) || sweep_record(db, sweep, &sweep_id)) {
		db_close(db);
		free(pending);
		return -1;
	}
	for (int r = 0; r < sweep->run_count; r++) {
		int64_t done = sweep_finished_run(db, &sweep->runs[r].spec, NULL);
		if (done < 0) {
			db_close(db);
			free(pending);
			return -1;
		}
		pending[r] = done == 0;
		tally->skipped += done > 0;
	}
	db_close(db); /* no connection may cross fork */
	/* the cores are shared among the workers that run at once: no more than the runs */
	int pending_count = sweep->run_count - tally->skipped;
	threads = blas_threads_choose(threads, pending_count < jobs ? pending_count : jobs);

	trainer_handle_signals();
	struct sigaction child_action;
	memset(&child_action, 0, sizeof child_action);
	child_action.sa_handler = on_child;
	sigemptyset(&child_action.sa_mask);
	sigaction(SIGCHLD, &child_action, NULL);
	sigset_t stop_signals, unblocked;
	sigemptyset(&stop_signals);
	for (const int *s = (const int[]){SIGINT, SIGTERM, SIGHUP, SIGCHLD, 0}; *s; s++)
		sigaddset(&stop_signals, *s);
	sigprocmask(SIG_BLOCK, &stop_signals, &unblocked);
	bool forwarded = false;
	bool progress = show_progress && isatty(STDERR_FILENO);
	struct worker *workers = xcalloc((size_t)jobs, sizeof *workers);
	int running = 0, next = 0;
	double started = monotonic_seconds();
	for (;;) {
		while (!trainer_interrupted() && running < jobs && next < sweep->run_count) {
			if (!pending[next]) {
				next++;
				continue;
			}
			int pipe_fds[2];
			if (pipe(pipe_fds)) {
				error("cannot start a worker: %s", strerror(errno));
				break;
			}
			fflush(out);
			fflush(stderr);
			pid_t pid = fork();
			if (pid < 0) {
				error("cannot start a worker: %s", strerror(errno));
				close(pipe_fds[0]), close(pipe_fds[1]);
				break;
			}
			if (pid == 0) {
				close(pipe_fds[0]);
				setpgid(0, 0);
				signal(SIGCHLD, SIG_DFL);
				sigprocmask(SIG_SETMASK, &unblocked, NULL);
				worker_main(sweep, next, sweep_id, db_path, threads, pipe_fds[1]);
			}
			close(pipe_fds[1]);
			setpgid(pid, pid); /* as the child does: whichever runs first */
			int slot = 0;
			while (workers[slot].pid)
				slot++;
			workers[slot] = (struct worker){pid, pipe_fds[0], next, monotonic_seconds()};
			running++;
			next++;
		}
		if (progress)
			progress_line(sweep, tally, running, sweep->run_count, started);
		if (running == 0)
			break;
		int status;
		pid_t pid = wait_for_worker(&status, &unblocked);
		if (pid < 0 && errno == EINTR && !forwarded) {
			for (int w = 0; w < jobs; w++)
				if (workers[w].pid)
					kill(workers[w].pid, trainer_interrupt_signal());
			forwarded = true;
			/* a second signal now ends the scheduler at once (SA_RESETHAND); its
			 * workers stop after their step, as the first one told them */
			sigprocmask(SIG_SETMASK, &unblocked, NULL);
		}
		if (pid < 0 && errno == EINTR)
			pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		int slot = 0;
		while (slot < jobs && workers[slot].pid != pid)
			slot++;
		if (slot == jobs)
			continue;
		struct worker_report report;
		bool reported = read(workers[slot].result_fd, &report, sizeof report) ==
				(ssize_t)sizeof report;
		close(workers[slot].result_fd);
		const struct sweep_run *run = &sweep->runs[workers[slot].run];
		struct run_result *result = &report.result;
		if (!reported) {
			memset(&report, 0, sizeof report);
			result->outcome = RUN_FAILED;
			snprintf(result->message, sizeof result->message, "worker %d died (%s %d)",
				 (int)pid, WIFSIGNALED(status) ? "signal" : "exit status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
		if (progress)
			fputs("\r\033[K", stderr);
		if (report.skipped) {
			tally->elsewhere++;
			fprintf(out, "%s: skipped, finished or being run by another process\n",
				run->name);
		} else {
			tally->finished += result->outcome == RUN_FINISHED;
			tally->diverged += result->outcome == RUN_DIVERGED;
			tally->failed += result->outcome == RUN_FAILED;
			tally->killed += result->outcome == RUN_KILLED;
			if (result->run_id > 0)
				run_result_print(out, &run->spec, result);
			else /* no runs row: it never started, or its worker died */
				fprintf(out, "%s: failed%s\n  %s\n", run->name,
					reported ? " before training" : "", result->message);
		}
		fflush(out);
		workers[slot].pid = 0;
		running--;
	}
	if (progress)
		fputs("\r\033[K", stderr);
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	signal(SIGCHLD, SIG_DFL);
	free(workers);
	free(pending);
	return 0;
}
