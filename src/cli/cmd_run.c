/* gtrack run SPEC... : validate every spec first (so a typo in the last file does not
 * surface after hours of training), then train them one after the other. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "db/db.h"
#include "spec/spec.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/strbuf.h"

const char cmd_run_usage[] =
	"usage: gtrack run SPEC... [--db PATH] [--set KEY=VALUE]... [--name NAME] [--quiet]\n"
	"\n"
	"Trains each spec and records, for every logged step and every layer, the norms of\n"
	"the weight and bias gradients, of the back-propagated delta and of the weights.\n"
	"Prints each new run's id and a one-line summary; on a terminal, a progress bar.\n"
	"\n"
	"  --db PATH          database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  --set KEY=VALUE    override a spec key, e.g. --set model.depth=30; VALUE is YAML,\n"
	"                     so --set model.residual={alpha: 0.5} works (repeatable)\n"
	"  --name NAME        run name (default: the spec's name, else its file name)\n"
	"  -q, --quiet        no progress bar\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 all runs finished, 3 invalid spec, 4 database problem, 5 a run\n"
	"diverged, 1 a run failed, 130 interrupted (see 'gtrack help').\n";

/* "%.4g", but "nan" whatever NaN's sign, so summaries read the same everywhere. */
static void format_loss(char *buffer, size_t size, double loss)
{
	if (isnan(loss))
		snprintf(buffer, size, "nan");
	else
		snprintf(buffer, size, "%.4g", loss);
}

static void print_summary(const struct spec *spec, const struct run_result *result)
{
	static const char *const outcome_names[] = {"finished", "diverged", "killed", "failed"};
	char initial[32], final[32], first_loss[32], final_loss[32];
	format_loss(first_loss, sizeof first_loss, result->first_loss);
	format_loss(final_loss, sizeof final_loss, result->final_loss);
	printf("run %lld %s: %s, %lld/%lld steps in %.2f s, loss %s -> %s, "
	       "layer 0/output gradient %s at step 0, %s at the end\n",
	       (long long)result->run_id, spec->name, outcome_names[result->outcome],
	       (long long)result->steps_done, (long long)spec->train.steps, result->elapsed_s,
	       first_loss, final_loss,
	       format_norm(initial, sizeof initial, result->initial_ratio, 0),
	       format_norm(final, sizeof final, result->final_ratio, 0));
	if (result->outcome != RUN_FINISHED)
		printf("  %s\n", result->message);
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"db", required_argument, NULL, 'd'},   {"set", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'}, {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const char *db_option = NULL, *name = NULL;
	const char **overrides = xcalloc((size_t)argc, sizeof *overrides);
	int override_count = 0, option;
	bool quiet = false;
	struct spec *specs = NULL;
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
		case 'h':
			fputs(cmd_run_usage, stdout);
			free(overrides);
			return finish_output(EXIT_OK);
		default:
			free(overrides);
			return usage_error("run", "unknown option");
		}
	}
	/* Options may follow the specs too (gtrack run a.yaml --db x.db). */
	int first_spec = optind;
	if (first_spec >= argc) {
		free(overrides);
		return usage_error("run", "expected at least one SPEC file");
	}

	specs = xcalloc((size_t)(argc - first_spec), sizeof *specs);
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
	if (code)
		goto done;

	const char *path = db_path(db_option);
	if (db_open(&db, path, DB_CREATE)) {
		code = EXIT_DATABASE;
		goto done;
	}
	trainer_handle_signals();

	for (int i = 0; i < spec_count; i++) {
		struct run_result result;
		if (trainer_run(db, &specs[i], !quiet, &result)) {
			code = EXIT_RUN_FAILED;
			break;
		}
		print_summary(&specs[i], &result);
		if (result.outcome == RUN_KILLED) {
			code = EXIT_INTERRUPTED;
			break;
		}
		if (result.outcome == RUN_FAILED)
			code = EXIT_RUN_FAILED;
		else if (result.outcome == RUN_DIVERGED && code == EXIT_OK)
			code = EXIT_DIVERGED;
	}
	if (db_refresh_statistics(db) && code == EXIT_OK)
		code = EXIT_DATABASE;
	if (trainer_interrupted() && code == EXIT_OK)
		code = EXIT_INTERRUPTED;
done:
	db_close(db);
	for (int i = 0; i < spec_count; i++)
		spec_free(&specs[i]);
	free(specs);
	free(overrides);
	return finish_output(code);
}
