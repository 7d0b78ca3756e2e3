/* gtrack check SPEC... : a gradient-health gate for CI. Trains each spec for step 0
 * (and --steps more) through the trainer, into an in-memory database unless --db names
 * one, and compares the measured ||dL/dz|| of layer 0 over the output layer's with the
 * bounds; prints where and why the gradient vanishes or explodes, measured against the
 * mean-field prediction, and the cures that apply. */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "data/dataset.h"
#include "db/db.h"
#include "nn/blas_threads.h"
#include "spec/spec.h"
#include "theory/diagnosis.h"
#include "theory/meanfield.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/printable.h"
#include "util/strbuf.h"

const char cmd_check_usage[] =
	"usage: gtrack check SPEC... [--set KEY=VALUE]... [--min-ratio R] [--max-ratio R]\n"
	"                    [--steps N] [--db PATH]\n"
	"\n"
	"A gate for CI: builds each spec's network, computes the gradient at initialisation\n"
	"on its first batch (and, with --steps, trains N steps), and checks that the\n"
	"back-propagated gradient ||dL/dz|| reaching layer 0, over the output layer's, lies\n"
	"within [min-ratio, max-ratio]. Prints per layer the measured factor against the\n"
	"mean-field prediction, and for a network outside the bounds whether the gradient\n"
	"is vanishing or exploding, from which layer, the likely cause and the cures that\n"
	"apply. Writes nothing unless --db.\n"
	"\n"
	"  --set KEY=VALUE    override a spec key, e.g. --set model.depth=30 (repeatable)\n"
	"  --min-ratio R      lowest healthy ratio (default 0.01)\n"
	"  --max-ratio R      highest healthy ratio (default 100); the defaults allow two\n"
	"                     orders of magnitude: with one learning rate for all layers,\n"
	"                     a gradient 100 times smaller means a layer learning 100 times\n"
	"                     slower\n"
	"  --steps N          also train N steps (at most 1000000000); the ratio at the\n"
	"                     last one must hold too, and a run that diverges fails\n"
	"                     (default 0: initialisation only)\n"
	"  --db PATH          record the check's runs (with predictions) in PATH\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 every spec healthy, 7 a gradient vanishes or explodes, 3 invalid\n"
	"spec or data, 2 bad options, 4 database problem, 1 a run could not be completed,\n"
	"130 interrupted (the run is recorded as 'killed').\n";

/* The most steps --steps trains: a billion steps is days of training, not a check. */
#define CHECK_MAX_STEPS 1000000000

/* The measured ||dL/dz|| of every layer of run_id at step. Returns 0, or -1 with a
 * message. */
static int read_delta_norms(sqlite3 *db, int64_t run_id, int64_t step, double *norms,
			    int count)
{
	sqlite3_stmt *statement = NULL;
	int found = 0, rc;
	if (sqlite3_prepare_v2(db,
			       "SELECT layer, delta_norm FROM layer_stats WHERE run_id = ? AND"
			       " step = ? ORDER BY layer",
			       -1, &statement, NULL) != SQLITE_OK)
		return error("database: cannot read the layer norms: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(statement, 1, run_id);
	sqlite3_bind_int64(statement, 2, step);
	while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
		int layer = sqlite3_column_int(statement, 0);
		if (layer >= 0 && layer < count) {
			/* NULL is a NaN norm: the gradient was not a number */
			norms[layer] = sqlite3_column_type(statement, 1) == SQLITE_NULL
					       ? NAN
					       : sqlite3_column_double(statement, 1);
			found++;
		}
	}
	sqlite3_finalize(statement);
	if (rc != SQLITE_DONE)
		return error("database: cannot read the layer norms: %s", sqlite3_errmsg(db));
	if (found != count)
		return error("database: step %lld has %d of %d layers", (long long)step, found,
			     count);
	return 0;
}

static void print_layers(const double *measured, const struct layer_prediction *predicted,
			 int count)
{
	char a[32], b[32], c[32];
	printf("%5s  %10s  %12s  %13s\n", "layer", "delta_norm", "measured chi", "predicted chi");
	for (int l = 0; l < count; l++) {
		double chi = l < count - 1 ? measured[l] * measured[l] /
						     (measured[l + 1] * measured[l + 1])
					   : NAN;
		printf("%5d  %10s  %12s  %13s\n", l, format_number(a, sizeof a, measured[l]),
		       format_number(b, sizeof b, chi),
		       format_number(c, sizeof c, predicted[l].chi));
	}
}

/* Prints the verdict on one step's norms; returns its health. */
static enum gradient_health report_step(const struct spec *spec, const double *measured,
					const struct layer_prediction *predicted, int count,
					const char *when, double min_ratio, double max_ratio)
{
	struct diagnosis diagnosis;
	char ratio[32], expected[32], low[32], high[32], factor[32], chi[32];
	diagnose(&diagnosis, measured, predicted, count, min_ratio, max_ratio);
	printf("%s: dL/dz layer 0 / output (||dL/dz|| ratio) %s (predicted %s), bounds %s .. %s:"
	       " %s\n", when,
	       format_number(ratio, sizeof ratio, diagnosis.ratio),
	       format_number(expected, sizeof expected, diagnosis.predicted_ratio),
	       format_number(low, sizeof low, min_ratio),
	       format_number(high, sizeof high, max_ratio),
	       gradient_health_names[diagnosis.health]);
	if (diagnosis.health == GRADIENT_HEALTHY)
		return diagnosis.health;
	printf("the gradient is %s from layer %d down: each layer multiplies ||dL/dz||^2 by"
	       " %s on average (predicted chi %s)\n",
	       gradient_health_names[diagnosis.health], diagnosis.from_layer,
	       format_number(factor, sizeof factor, diagnosis.measured_chi),
	       format_number(chi, sizeof chi, diagnosis.predicted_chi));
	struct strbuf explanation;
	strbuf_init(&explanation);
	diagnosis_explain(&explanation, &diagnosis, spec, predicted, count);
	fputs(explanation.text, stdout);
	strbuf_free(&explanation);
	return diagnosis.health;
}

/* Checks one loaded spec; returns an exit code. */
static int check_spec(sqlite3 *db, struct spec *spec, double min_ratio, double max_ratio)
{
	struct dataset data;
	struct run_result result;
	if (dataset_generate(&data, spec))
		return EXIT_BAD_SPEC;
	int count = (int)spec_layer_count(spec), code = EXIT_RUN_FAILED;
	struct layer_prediction *predicted = xcalloc((size_t)count, sizeof *predicted);
	double *measured = xcalloc((size_t)count, sizeof *measured);
	if (trainer_train(db, spec, &data, false, &result) ||
	    meanfield_predict(spec, dataset_input_moments(&data), predicted))
		goto done;
	/* a failed write has said why already; an interruption has not */
	if (result.outcome == RUN_KILLED) {
		error("%s", result.message);
		code = EXIT_INTERRUPTED;
		goto done;
	}
	if (result.outcome == RUN_FAILED)
		goto done;
	char *name = text_printable(spec->name);
	printf("%s: %lld hidden layers of %lld, %s, %s gain %.4g%s\n", name,
	       (long long)spec->model.depth, (long long)spec->model.width,
	       activation_names[spec->model.activation.kind],
	       init_scheme_names[spec->model.init.scheme], spec->model.init.gain,
	       meanfield_covers(spec) ? "" : " (no mean-field prediction for this setup)");
	free(name);
	if (read_delta_norms(db, result.run_id, 0, measured, count))
		goto done;
	print_layers(measured, predicted, count);
	enum gradient_health health;
	/* a gradient that overflowed at step 0 leaves norms (0, NaN) that say nothing about
	 * a per-layer factor: the divergence itself is the verdict */
	if (result.outcome == RUN_DIVERGED && result.steps_done <= 1) {
		printf("at initialisation: exploding: the run diverged at step 0 (%s)\n",
		       result.message);
		health = GRADIENT_EXPLODING;
		struct strbuf explanation;
		strbuf_init(&explanation);
		diagnosis_explain_divergence(&explanation, spec, predicted, count, min_ratio,
					     max_ratio);
		fputs(explanation.text, stdout);
		strbuf_free(&explanation);
	} else {
		health = report_step(spec, measured, predicted, count, "at initialisation",
				     min_ratio, max_ratio);
	}
	if (spec->train.steps > 1 && result.steps_done > 1) {
		int64_t last = result.steps_done - 1;
		char when[64];
		snprintf(when, sizeof when, "at step %lld", (long long)last);
		if (result.outcome == RUN_DIVERGED) {
			printf("%s: exploding: the run diverged (%s)\n", when, result.message);
			health = GRADIENT_EXPLODING;
		} else if (read_delta_norms(db, result.run_id, last, measured, count)) {
			goto done;
		} else if (report_step(spec, measured, predicted, count, when, min_ratio,
				       max_ratio) != GRADIENT_HEALTHY) {
			health = GRADIENT_VANISHING; /* or exploding: either fails the gate */
		}
	}
	code = health == GRADIENT_HEALTHY ? EXIT_OK : EXIT_UNHEALTHY;
done:
	free(predicted);
	free(measured);
	dataset_free(&data);
	return code;
}

/* Parses a positive ratio option; returns 0, or a usage error's code. */
static int parse_ratio(const char *option, const char *text, double *value)
{
	char *end;
	*value = strtod(text, &end);
	if (end == text || *end || !(*value > 0) || !isfinite(*value)) {
		char *shown = text_printable(text);
		int code = usage_error("check", "%s: expected a positive number, got '%s'", option,
				       shown);
		free(shown);
		return code;
	}
	return 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option options[] = {
		{"set", required_argument, NULL, 's'},	  {"min-ratio", required_argument, NULL, 'l'},
		{"max-ratio", required_argument, NULL, 'u'}, {"steps", required_argument, NULL, 'n'},
		{"db", required_argument, NULL, 'd'},	  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	/* the overrides, then train.steps */
	const char **overrides = xcalloc((size_t)argc + 1, sizeof *overrides);
	int override_count = 0, option, code = EXIT_OK;
	double min_ratio = CHECK_MIN_RATIO, max_ratio = CHECK_MAX_RATIO;
	long long steps = 0;
	const char *db_option = NULL;
	char steps_override[64];
	sqlite3 *db = NULL;
	optind = 0;
	while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		char *end;
		switch (option) {
		case 's':
			overrides[override_count++] = optarg;
			break;
		case 'l':
			code = parse_ratio("--min-ratio", optarg, &min_ratio);
			break;
		case 'u':
			code = parse_ratio("--max-ratio", optarg, &max_ratio);
			break;
		case 'n':
			/* strtoll would skip leading blanks and take a sign */
			steps = isdigit((unsigned char)optarg[0]) ? strtoll(optarg, &end, 10) : -1;
			if (steps < 0 || *end || steps > CHECK_MAX_STEPS) {
				char *shown = text_printable(optarg);
				code = usage_error("check", "--steps: expected a whole number from 0 to"
							    " %d, got '%s'", CHECK_MAX_STEPS, shown);
				free(shown);
			}
			break;
		case 'd':
			db_option = optarg;
			break;
		case 'h':
			fputs(cmd_check_usage, stdout);
			free(overrides);
			return finish_output(EXIT_OK);
		default:
			free(overrides);
			return option_error("check", argv, "h");
		}
		if (code) {
			free(overrides);
			return code;
		}
	}
	if (optind >= argc) {
		free(overrides);
		return usage_error("check", "expected at least one SPEC file");
	}
	if (min_ratio > max_ratio) {
		free(overrides);
		return usage_error("check", "--min-ratio %g is above --max-ratio %g", min_ratio,
				   max_ratio);
	}
	/* step 0 is the gradient at initialisation; N more steps train after it */
	snprintf(steps_override, sizeof steps_override, "train.steps=%lld", steps + 1);
	overrides[override_count++] = steps_override;

	int spec_count = argc - optind, loaded = 0;
	struct spec *specs = xcalloc((size_t)spec_count, sizeof *specs);
	for (int i = 0; i < spec_count; i++) {
		if (spec_load_file(&specs[loaded], argv[optind + i], overrides, override_count))
			code = EXIT_BAD_SPEC;
		else
			loaded++;
	}
	if (code)
		goto done;
	/* the threads gtrack run would use, so that the check trains as a run does */
	blas_threads_use(blas_threads_choose(0, 1));
	trainer_handle_signals();
	if (db_option ? db_open(&db, db_path(db_option), DB_CREATE)
		      : db_open(&db, "(in memory)", DB_MEMORY)) {
		code = EXIT_DATABASE;
		goto done;
	}
	for (int i = 0; i < loaded; i++) {
		if (i > 0)
			printf("\n");
		int spec_code = check_spec(db, &specs[i], min_ratio, max_ratio);
		/* a failure to check outranks an unhealthy verdict */
		if (spec_code != EXIT_OK && (code == EXIT_OK || code == EXIT_UNHEALTHY))
			code = spec_code;
		if (spec_code == EXIT_INTERRUPTED)
			break;
	}
	if (trainer_interrupted())
		code = EXIT_INTERRUPTED;
done:
	db_close(db);
	for (int i = 0; i < loaded; i++)
		spec_free(&specs[i]);
	free(specs);
	free(overrides);
	return finish_output(code);
}
