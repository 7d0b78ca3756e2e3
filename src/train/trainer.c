/* The run loop. Everything it needs is allocated before step 0; the loop itself only
 * computes, logs and updates. */
#include "train/trainer.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "db/prediction_store.h"
#include "db/run_store.h"
#include "nn/blas_threads.h"
#include "nn/model.h"
#include "train/batches.h"
#include "train/progress.h"
#include "train/schedule.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/target_clones.h"
#include "util/units.h"

/* The runs.status value of each outcome, indexed by enum run_outcome. */
static const char *const outcome_names[] = {"finished", "diverged", "killed", "failed"};

/* The signal that asked the run to stop, 0 until one does. */
static volatile sig_atomic_t interrupted;

static void on_signal(int signal_number)
{
	interrupted = signal_number;
}

void trainer_handle_signals(void)
{
	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_handler = on_signal;
	sigemptyset(&action.sa_mask);
	action.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends the process at once */
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	/* an SSH session or terminal that goes away sends SIGHUP; the run still records
	 * itself as killed, with what it logged */
	sigaction(SIGHUP, &action, NULL);
}

/* How the message names the signal that stopped a run. */
static const char *signal_description(int signal_number)
{
	switch (signal_number) {
	case SIGINT:
		return "SIGINT (Ctrl-C)";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP (the terminal or SSH session closed)";
	default:
		return "a signal";
	}
}

bool trainer_interrupted(void)
{
	return interrupted;
}

int trainer_interrupt_signal(void)
{
	return interrupted;
}

/* NaN is printed as "nan" whatever its sign bit (fabs clears it), so messages read the
 * same on every run. */
static double printable(double value)
{
	return isnan(value) ? fabs(value) : value;
}

/* The layer where back-propagation first produced a non-finite gradient (back-propagation
 * runs from the output down, so the highest such layer), or -1. */
static int first_nonfinite_layer(const struct layer_stats *layers, int count)
{
	for (int l = count - 1; l >= 0; l--)
		if (!isfinite(layers[l].weight_grad_norm) || !isfinite(layers[l].bias_grad_norm))
			return l;
	return -1;
}

/* Loss and accuracy on the whole training split and, if there is one, the validation
 * split, with the parameters of this step. */
static int evaluate(struct run_store *store, struct model *model, const struct dataset *data,
		    int64_t step)
{
	double loss, accuracy;
	model_evaluate(model, data, 0, data->train_count, &loss, &accuracy);
	if (run_store_eval(store, step, "train", loss, accuracy, data->train_count))
		return -1;
	int64_t held_out = data->samples - data->train_count;
	if (held_out == 0)
		return 0;
	model_evaluate(model, data, data->train_count, held_out, &loss, &accuracy);
	return run_store_eval(store, step, "validation", loss, accuracy, held_out);
}

/* Stores the model's parameters as checkpoint `step`; parameters has one entry per
 * layer. */
static int store_checkpoint(struct run_store *store, const struct model *model,
			    struct layer_parameters *parameters, int64_t step)
{
	for (int layer = 0; layer < model_layer_count(model); layer++)
		model_layer_parameters(model, layer, &parameters[layer]);
	return run_store_checkpoint(store, step, parameters);
}

/* A write to the database failed: the run fails with the store's message (what failed
 * and how many steps are stored), and counts only the stored steps. */
static void store_failed(struct run_result *result, const struct run_store *store)
{
	result->outcome = RUN_FAILED;
	result->steps_done = run_store_steps_stored(store);
	result->final_loss = run_store_stored_loss(store);
	snprintf(result->message, sizeof result->message, "%s", error_last());
}

/* What the predictions need: written by the store's writer thread, which owns the
 * connection while the run trains, in the transaction of step 0's rows. */
struct prediction_request {
	int64_t run_id;
	const struct spec *spec;
	const struct dataset *data;
	const struct layer_stats *output;
};

static int write_predictions(sqlite3 *db, void *context)
{
	const struct prediction_request *request = context;
	return prediction_store_record(db, request->run_id, request->spec, request->data,
				       request->output);
}

static int record_predictions(struct run_store *store, int64_t run_id, const struct spec *spec,
			      const struct dataset *data, const struct layer_stats *output)
{
	struct prediction_request request = {run_id, spec, data, output};
	return run_store_write(store, write_predictions, &request);
}

static double layer_ratio(const struct layer_stats *layers, int count)
{
	return layers[0].weight_grad_norm / layers[count - 1].weight_grad_norm;
}

/* A result before the run starts: a run that cannot start failed, with no numbers. */
static void clear_result(struct run_result *result)
{
	memset(result, 0, sizeof *result);
	result->outcome = RUN_FAILED;
	result->first_loss = result->final_loss = NAN;
	result->initial_ratio = result->final_ratio = NAN;
}

int trainer_run(sqlite3 *db, struct spec *spec, bool show_progress,
		struct run_result *result)
{
	struct dataset data;
	clear_result(result);
	if (dataset_generate(&data, spec)) {
		snprintf(result->message, sizeof result->message, "%s", error_last());
		return -1;
	}
	int status = trainer_train(db, spec, &data, show_progress, result);
	dataset_free(&data);
	return status;
}

int trainer_train(sqlite3 *db, const struct spec *spec, const struct dataset *data,
		  bool show_progress, struct run_result *result)
{
	struct model *model = NULL;
	struct run_store *store = NULL;
	struct layer_stats *layers = NULL;
	struct layer_parameters *parameters = NULL;
	struct block_stats *blocks = NULL;
	struct batch_order batches = {0};
	int status = -1;

	clear_result(result);
	if (!(model = model_new(spec)))
		goto done;
	int layer_count = model_layer_count(model);
	layers = xcalloc((size_t)layer_count, sizeof *layers);
	parameters = xcalloc((size_t)layer_count, sizeof *parameters);
	int block_count = model_block_count(model);
	blocks = xcalloc((size_t)block_count + 1, sizeof *blocks);
	batch_order_init(&batches, spec, data->train_count);
	struct run_environment environment = {blas_threads_count(), vector_clone_name(),
					      blas_config()};
	if (!(store = run_store_begin(db, spec, &environment, &result->run_id)))
		goto done;

	struct progress bar;
	char label[64];
	snprintf(label, sizeof label, "run %lld", (long long)result->run_id);
	progress_start(&bar, label, spec->train.steps, show_progress);
	double started = monotonic_seconds();
	int64_t last = spec->train.steps - 1;
	result->outcome = RUN_FINISHED;

	for (int64_t step = 0; step <= last; step++) {
		if (interrupted) {
			result->outcome = RUN_KILLED;
			snprintf(result->message, sizeof result->message,
				 "interrupted before step %lld by %s", (long long)step,
				 signal_description(interrupted));
			break;
		}
		if ((spec_is_checkpoint(spec, step) &&
		     store_checkpoint(store, model, parameters, step)) ||
		    (spec->log.eval_every > 0 &&
		     (step % spec->log.eval_every == 0 || step == last) &&
		     evaluate(store, model, data, step))) {
			store_failed(result, store);
			break;
		}
		struct step_stats stats;
		double lr = schedule_lr(spec, step);
		bool logged = step % spec->log.every == 0 || step == last;
		model_compute_gradients(model, data, batch_order_next(&batches), logged, &stats);
		double grad_norm = model_measure(model, layers, logged);
		int bad_layer = first_nonfinite_layer(layers, layer_count);
		bool diverged = !isfinite(stats.loss) || bad_layer >= 0;
		if (diverged && !logged) { /* the diverging step is always recorded in full */
			logged = true;
			grad_norm = model_measure(model, layers, true);
		}
		/* the alphas this step used and their gradient, before clipping and update */
		if (logged)
			model_measure_blocks(model, blocks);
		double clipped_norm = NAN;
		if (!diverged && (spec->train.clip_norm > 0 || spec->train.clip_value > 0))
			clipped_norm = model_clip(model, layers, grad_norm);
		if (step == 0) {
			result->first_loss = stats.loss;
			result->initial_ratio = layer_ratio(layers, layer_count);
		}
		result->final_loss = stats.loss;
		/* a diverging step's norms are partly non-finite: its ratio is no measurement */
		result->final_ratio = diverged ? NAN : layer_ratio(layers, layer_count);
		result->steps_done = step + 1;
		if (diverged) {
			result->outcome = RUN_DIVERGED;
			if (bad_layer >= 0)
				snprintf(result->message, sizeof result->message,
					 "non-finite gradient at step %lld, first at layer %d (of "
					 "0..%d) in back-propagation order; loss %g",
					 (long long)step, bad_layer, layer_count - 1,
					 printable(stats.loss));
			else
				snprintf(result->message, sizeof result->message,
					 "non-finite loss (%g) at step %lld",
					 printable(stats.loss), (long long)step);
		} else {
			/* a logged update also measures its update ratios */
			model_update(model, lr, logged ? layers : NULL);
		}
		if ((logged && run_store_log(store, step, &stats, grad_norm, clipped_norm, lr,
					     monotonic_seconds() - started, layers)) ||
		    (logged && run_store_log_blocks(store, step, blocks, block_count)) ||
		    (step == 0 && record_predictions(store, result->run_id, spec, data,
						      &layers[layer_count - 1])) ||
		    run_store_tick(store, step + 1, stats.loss)) {
			store_failed(result, store);
			break;
		}
		if (diverged)
			break;
		progress_update(&bar, step + 1, stats.loss, logged ? result->final_ratio : NAN);
	}
	progress_finish(&bar);
	result->elapsed_s = monotonic_seconds() - started;
	/* the final weights, after the last update, of a run that completed */
	if (result->outcome == RUN_FINISHED && spec_is_checkpoint(spec, spec->train.steps) &&
	    store_checkpoint(store, model, parameters, spec->train.steps))
		store_failed(result, store);
	/* what is queued is committed before the outcome, so a failure says what is kept */
	if (result->outcome != RUN_FAILED && run_store_commit(store))
		store_failed(result, store);

	if (run_store_finish(store, outcome_names[result->outcome],
			     result->outcome == RUN_FINISHED ? NULL : result->message,
			     result->steps_done, result->final_loss, result->elapsed_s))
		goto done;
	status = 0;
done:
	run_store_free(store);
	free(layers);
	free(parameters);
	free(blocks);
	batch_order_free(&batches);
	model_free(model);
	return status;
}

/* "%.4g", but "nan" whatever NaN's sign, so summaries read the same everywhere. */
static void format_loss(char *buffer, size_t size, double loss)
{
	if (isnan(loss))
		snprintf(buffer, size, "nan");
	else
		snprintf(buffer, size, "%.4g", loss);
}

void run_result_print(FILE *out, const struct spec *spec, const struct run_result *result)
{
	char initial[32], final[32], first_loss[32], final_loss[32];
	format_loss(first_loss, sizeof first_loss, result->first_loss);
	format_loss(final_loss, sizeof final_loss, result->final_loss);
	fprintf(out, "run %lld %s: %s, %lld/%lld steps in %.2f s, loss %s -> %s, "
		     "layer 0/output gradient %s at step 0, %s at the end\n",
		(long long)result->run_id, spec->name, outcome_names[result->outcome],
		(long long)result->steps_done, (long long)spec->train.steps, result->elapsed_s,
		first_loss, final_loss, format_norm(initial, sizeof initial, result->initial_ratio, 0),
		format_norm(final, sizeof final, result->final_ratio, 0));
	if (result->outcome != RUN_FINISHED)
		fprintf(out, "  %s\n", result->message);
	fflush(out);
}
