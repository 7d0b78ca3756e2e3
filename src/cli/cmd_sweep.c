/* gtrack sweep SWEEP.yaml: expand a grid of specs, then run it here in parallel, list
 * it (--dry-run), or write it out for a cluster (--emit slurm|parallel). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "db/db.h"
#include "sweep/emit.h"
#include "sweep/scheduler.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/printable.h"

const char cmd_sweep_usage[] =
	"usage: gtrack sweep SWEEP.yaml [-j N] [--threads N] [--db PATH] [--dry-run]\n"
	"       gtrack sweep SWEEP.yaml --emit slurm|parallel [--out DIR] [--array-max K]\n"
	"                    [--sbatch OPTION]...\n"
	"\n"
	"A sweep file names a base spec and the keys that vary:\n"
	"  name: depth-activation\n"
	"  base: sigmoid-10.yaml          # or spec: {...}, an inline spec\n"
	"  grid:\n"
	"    model.activation: [sigmoid, tanh, relu]\n"
	"    model.depth: [5, 10, 20, 50]\n"
	"    seed: [1, 2, 3]\n"
	"  random:                        # optional: draws per grid point\n"
	"    samples: 4\n"
	"    train.optimizer.lr: {log_uniform: [0.001, 0.1]}\n"
	"Every run is the base spec with --set overrides, checked before anything runs.\n"
	"Running the same sweep again skips runs that finished or diverged (same spec_hash\n"
	"and seed: a re-run would repeat them to the bit) and re-runs those that failed,\n"
	"were killed or crashed.\n"
	"\n"
	"  -j, --jobs N       processes at once (default: the number of cores)\n"
	THREADS_OPTION_HELP
	"  --db PATH          database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  --dry-run          list the runs and whether each is done\n"
	"  --emit KIND        write a Slurm job array (slurm) or a GNU parallel task list\n"
	"                     (parallel) into --out instead of running; every task writes\n"
	"                     its own shard database, merged with 'gtrack merge'\n"
	"  --out DIR          where --emit writes (default: SWEEP-NAME.sweep)\n"
	"  --array-max K      at most K array tasks at once (Slurm's %K)\n"
	"  --sbatch OPTION    an #SBATCH line, e.g. --sbatch=--time=01:00:00 (repeatable)\n"
	"  -q, --quiet        no progress line\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 every run finished, 2 bad option, 3 invalid sweep, 4 database\n"
	"problem, 5 a run diverged, 1 a run failed, 130 interrupted.\n";

static int dry_run(const struct sweep *sweep, const char *path)
{
	sqlite3 *db = NULL;
	/* a dry run reads an existing database but never creates one */
	if (access(path, F_OK) == 0 && db_open(&db, path, DB_EXISTING))
		return EXIT_DATABASE;
	int to_run = 0;
	for (int r = 0; r < sweep->run_count; r++) {
		const struct sweep_run *run = &sweep->runs[r];
		bool diverged = false;
		int64_t done = db ? sweep_finished_run(db, &run->spec, &diverged) : 0;
		if (done < 0) {
			db_close(db);
			return EXIT_DATABASE;
		}
		to_run += done == 0;
		printf("%4d  %-10s %s\n", r, done ? "done" : "to run", run->name);
		if (done)
			printf("      %s as run %lld\n", diverged ? "diverged" : "finished",
			       (long long)done);
	}
	printf("%d runs, %d to run, %d done\n", sweep->run_count, to_run, sweep->run_count - to_run);
	db_close(db);
	return finish_output(EXIT_OK);
}

int cmd_sweep(int argc, char **argv)
{
	static const struct option options[] = {
		{"jobs", required_argument, NULL, 'j'},   {"db", required_argument, NULL, 'd'},
		{"dry-run", no_argument, NULL, 'n'},      {"emit", required_argument, NULL, 'e'},
		{"out", required_argument, NULL, 'o'},    {"array-max", required_argument, NULL, 'a'},
		{"sbatch", required_argument, NULL, 's'}, {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},         {"threads", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	long jobs = sysconf(_SC_NPROCESSORS_ONLN);
	const char *db_option = NULL;
	struct emit_options emit = {0};
	const char **sbatch = xcalloc((size_t)argc + 1, sizeof *sbatch);
	bool dry = false, quiet = false;
	int option, code = EXIT_OK, threads = 0;
	optind = 0;
	while ((option = getopt_long(argc, argv, "j:qh", options, NULL)) != -1) {
		char *end;
		switch (option) {
		case 'j':
			jobs = strtol(optarg, &end, 10);
			if (*end || !*optarg || jobs < 1 || jobs > 4096)
				return free(sbatch), usage_error("sweep", "-j expects 1 to 4096, got '%s'",
								 optarg);
			break;
		case 't':
			if ((code = threads_option("sweep", optarg, &threads)))
				return free(sbatch), code;
			break;
		case 'd':
			db_option = optarg;
			break;
		case 'n':
			dry = true;
			break;
		case 'e':
			if (!strcmp(optarg, "slurm"))
				emit.kind = EMIT_SLURM;
			else if (!strcmp(optarg, "parallel"))
				emit.kind = EMIT_PARALLEL;
			else
				return free(sbatch), usage_error("sweep", "--emit expects slurm or "
									  "parallel, got '%s'", optarg);
			break;
		case 'o':
			emit.out_dir = optarg;
			break;
		case 'a':
			emit.array_max = (int)strtol(optarg, &end, 10);
			if (*end || emit.array_max < 1)
				return free(sbatch), usage_error("sweep", "--array-max expects a positive "
									  "number, got '%s'", optarg);
			break;
		case 's':
			/* a line break would end the #SBATCH line and start a command */
			if (!text_is_printable(optarg, NULL)) {
				char *shown = text_printable(optarg);
				code = usage_error("sweep", "--sbatch '%s' has a control character or "
						   "bytes that are not UTF-8", shown);
				free(shown);
				return free(sbatch), code;
			}
			sbatch[emit.sbatch_count++] = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			free(sbatch);
			fputs(cmd_sweep_usage, stdout);
			return finish_output(EXIT_OK);
		default:
			free(sbatch);
			return option_error("sweep", argv, "j:qh");
		}
	}
	emit.sbatch = sbatch;
	if (optind != argc - 1) {
		free(sbatch);
		return usage_error("sweep", "expected one SWEEP file");
	}
	struct sweep sweep;
	if (sweep_load(&sweep, argv[optind])) {
		free(sbatch);
		return EXIT_BAD_SPEC;
	}
	if (dry) {
		code = dry_run(&sweep, db_path(db_option));
	} else if (emit.kind != EMIT_NONE) {
		code = sweep_emit(&sweep, &emit) ? EXIT_RUN_FAILED : EXIT_OK;
	} else {
		struct sweep_tally tally;
		if (sweep_execute(&sweep, db_path(db_option), (int)jobs, threads, !quiet, stdout,
				  &tally)) {
			code = EXIT_DATABASE;
		} else {
			printf("sweep %s: %d runs: %d finished, %d skipped (done before), %d diverged, "
			       "%d failed, %d killed",
			       sweep.name, sweep.run_count, tally.finished, tally.skipped, tally.diverged,
			       tally.failed, tally.killed);
			if (tally.elsewhere)
				printf(", %d done by another process", tally.elsewhere);
			printf("\n");
			code = trainer_interrupted() || tally.killed ? EXIT_INTERRUPTED
			       : tally.failed			      ? EXIT_RUN_FAILED
			       : tally.diverged		      ? EXIT_DIVERGED
								      : EXIT_OK;
		}
	}
	sweep_free(&sweep);
	free(sbatch);
	return finish_output(code);
}
