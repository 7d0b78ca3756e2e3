/* gtrack run SPEC... : check every spec and its data first (so a typo or a bad file in
 * the last one does not surface after hours of training), then train them one after the
 * other. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "data/dataset.h"
#include "db/db.h"
#include "nn/blas_threads.h"
#include "spec/spec.h"
#include "sweep/sweep.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/strbuf.h"

const char cmd_run_usage[] =
	"usage: gtrack run SPEC... [--db PATH] [--set KEY=VALUE]... [--name NAME] [--threads N]\n"
	"                          [--quiet]\n"
	"\n"
	"Trains each spec and records, for every logged step and every layer, the norms of\n"
	"the weight and bias gradients, of the back-propagated delta and of the weights.\n"
	"Prints each new run's id and a one-line summary; on a terminal, a progress bar.\n"
	"\n"
	"  --db PATH          database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  --set KEY=VALUE    override a spec key, e.g. --set model.depth=30; VALUE is YAML,\n"
	"                     so --set model.residual={alpha: 0.5} works (repeatable)\n"
	"  --name NAME        run name (default: the spec's name, else its file name)\n"
	"  --sweep FILE       record the runs as part of the sweep in FILE (what the tasks\n"
	"                     of 'gtrack sweep --emit' do)\n"
	THREADS_OPTION_HELP
	"  -q, --quiet        no progress bar\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 all runs finished, 2 bad option, 3 invalid spec, 4 database problem,\n"
	"5 a run diverged, 1 a run failed (a failed write keeps the stored steps), 130\n"
	"interrupted (SIGINT, SIGTERM or SIGHUP: the run is recorded as killed; see\n"
	"'gtrack help').\n";

int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"db", required_argument, NULL, 'd'},   {"set", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'}, {"quiet", no_argument, NULL, 'q'},
		{"sweep", required_argument, NULL, 'w'}, {"help", no_argument, NULL, 'h'},
		{"threads", required_argument, NULL, 't'}, {NULL, 0, NULL, 0},
	};
	const char *db_option = NULL, *name = NULL, *sweep_path = NULL;
	const char **overrides = xcalloc((size_t)argc, sizeof *overrides);
	int override_count = 0, option, threads = 0;
	bool quiet = false;
	struct spec *specs = NULL;
	struct dataset *datasets = NULL;
	int spec_count = 0, code = EXIT_OK;
	sqlite3 *db = NULL;

	optind = 0;
	while ((option = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
		switch (option) {
		case 'd':
			db_option = optarg;
			break;
		case 's':
			overrides[override_count++] = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'w':
			sweep_path = optarg;
			break;
		case 't':
			if ((code = threads_option("run", optarg, &threads))) {
				free(overrides);
				return code;
			}
			break;
		case 'h':
			fputs(cmd_run_usage, stdout);
			free(overrides);
			return finish_output(EXIT_OK);
		default:
			free(overrides);
			return option_error("run", argv, "qh");
		}
	}
	/* Options may follow the specs too (gtrack run a.yaml --db x.db). */
	int first_spec = optind;
	if (first_spec >= argc) {
		free(overrides);
		return usage_error("run", "expected at least one SPEC file");
	}
	if (name && spec_check_name(name, "--name")) {
		free(overrides);
		return EXIT_BAD_SPEC;
	}

	specs = xcalloc((size_t)(argc - first_spec), sizeof *specs);
	datasets = xcalloc((size_t)(argc - first_spec), sizeof *datasets);
	for (int i = first_spec; i < argc; i++) {
		if (spec_load_file(&specs[spec_count], argv[i], overrides, override_count)) {
			code = EXIT_BAD_SPEC;
			continue;
		}
		if (name) {
			free(specs[spec_count].name);
			specs[spec_count].name = xstrdup(name);
		}
		spec_count++;
	}
	/* Every dataset is read (or generated) and the spec fitted to it before anything
	 * trains; only the first is kept, the others are read again when their turn comes
	 * (and must not have changed), so memory holds one dataset at a time. */
	for (int i = 0; i < spec_count && !code; i++)
		if (i == 0 ? dataset_generate(&datasets[i], &specs[i]) : dataset_check(&specs[i]))
			code = EXIT_BAD_SPEC;
	if (code)
		goto done;

	struct sweep sweep = {0};
	if (sweep_path && sweep_load_identity(&sweep, sweep_path)) {
		code = EXIT_BAD_SPEC;
		goto done;
	}
	const char *path = db_path(db_option);
	int64_t sweep_id = 0;
	if (db_open(&db, path, DB_CREATE) || (sweep_path && sweep_record(db, &sweep, &sweep_id))) {
		sweep_free(&sweep);
		code = EXIT_DATABASE;
		goto done;
	}
	sweep_free(&sweep);
	for (int i = 0; i < spec_count; i++)
		specs[i].sweep_id = sweep_id;
	trainer_handle_signals();
	blas_threads_use(blas_threads_choose(threads, 1));

	for (int i = 0; i < spec_count; i++) {
		struct run_result result;
		if ((i > 0 && dataset_generate(&datasets[i], &specs[i])) ||
		    trainer_train(db, &specs[i], &datasets[i], !quiet, &result)) {
			code = EXIT_RUN_FAILED;
			break;
		}
		dataset_free(&datasets[i]);
		run_result_print(stdout, &specs[i], &result);
		if (result.outcome == RUN_KILLED) {
			code = EXIT_INTERRUPTED;
			break;
		}
		if (result.outcome == RUN_FAILED)
			code = EXIT_RUN_FAILED;
		else if (result.outcome == RUN_DIVERGED && code == EXIT_OK)
			code = EXIT_DIVERGED;
	}
	/* the statistics only speed up queries: after a failed run or write (a full disk,
	 * a lock another process keeps) refreshing them would only fail again, with a
	 * second error (and a second wait for the lock) */
	if (code != EXIT_RUN_FAILED && code != EXIT_DATABASE && db_refresh_statistics(db) &&
	    code == EXIT_OK)
		code = EXIT_DATABASE;
	if (trainer_interrupted() && code == EXIT_OK)
		code = EXIT_INTERRUPTED;
done:
	db_close(db);
	for (int i = 0; i < spec_count; i++) {
		dataset_free(&datasets[i]);
		spec_free(&specs[i]);
	}
	free(datasets);
	free(specs);
	free(overrides);
	return finish_output(code);
}
