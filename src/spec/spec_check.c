/* Cross-key rules and the memory check, done before anything is allocated. */
#include "spec/spec_check.h"
#include "spec/spec_fields.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "util/printable.h"
#include "util/strbuf.h"
#include "util/units.h"

/* Parameters of one layer, and the activations the network keeps per example: the
 * linear map's output, the activation's (hidden layers), the residual sum, the normalised
 * values and their standardised copy, each with its gradient (see network_new). */
static void layer_memory(const struct layer_shape *shape, double *parameters, double *values)
{
	double fan_in = (double)shape->fan_in, fan_out = (double)shape->fan_out;
	*parameters = fan_out * (fan_in + 1 + (shape->normalised ? 2 : 0));
	double copies = shape->output ? 1 : shape->residual ? 3 : 2;
	*values = 2 * fan_out * (copies + (shape->normalised ? 2 : 0));
}

double spec_memory_bytes(const struct spec *spec)
{
	double depth = (double)spec->model.depth;
	double inputs = (double)spec->data.features, outputs = (double)spec_output_size(spec);
	double batch = (double)spec->train.batch_size, samples = (double)spec->data.samples;
	double real_size = spec->train.dtype == DTYPE_FLOAT64 ? 8.0 : 4.0;

	/* layer 0, the depth - 1 hidden layers after it (all alike), the output layer: a
	 * closed form, so an absurd depth is refused without walking it */
	double parameters = 0, values = 0, p, v;
	struct layer_shape first = spec_layer_shape(spec, 0);
	layer_memory(&first, &p, &v);
	parameters += p, values += v;
	if (spec->model.depth > 1) {
		struct layer_shape hidden = spec_layer_shape(spec, 1);
		/* the residual sum, kept on a block's last layer, counted on every one: a
		 * bound, which blocks of one layer reach */
		hidden.residual = spec->model.residual.enabled;
		layer_memory(&hidden, &p, &v);
		parameters += (depth - 1) * p, values += (depth - 1) * v;
	}
	struct layer_shape last = spec_layer_shape(spec, spec->model.depth);
	layer_memory(&last, &p, &v);
	parameters += p, values += v;

	double state = spec->train.optimizer.kind == OPTIMIZER_SGD ? 1 : 2;
	/* parameters, gradients, the snapshot for update ratios, optimizer state; the
	 * activations; the batch buffers */
	double network = real_size * ((3 + state) * parameters + batch * values +
				      batch * (inputs + 2 * outputs + 1));
	/* the dataset is held in double: features, targets, labels */
	double data = 8.0 * samples * (inputs + outputs + 1);
	return network + data;
}

static double physical_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
	if (pages <= 0 || page_size <= 0)
		return 64.0 * 1024 * 1024 * 1024; /* unknown: assume a large workstation */
	return (double)pages * (double)page_size;
}

static int fail_at(const struct spec *spec, const char *path, const char *message)
{
	return error("%s: %s: %s", spec_origin_of(spec, path), path, message);
}

/* A relative data path is relative to the spec file, as an #include is to its file, so
 * a spec works from any directory; it is then made absolute, so the resolved spec stored
 * with a run reads the same file from wherever it is re-run or exported. */
static int resolve_path(const struct spec *spec, char **path)
{
	if (!*path || !**path || (*path)[0] == '/')
		return 0;
	struct strbuf resolved;
	strbuf_init(&resolved);
	const char *slash = strrchr(spec->source_path, '/');
	if (!slash || spec->source_path[0] != '/') {
		char cwd[4096];
		if (!getcwd(cwd, sizeof cwd)) {
			strbuf_free(&resolved);
			return error("cannot resolve the data path '%s': %s", *path, strerror(errno));
		}
		strbuf_printf(&resolved, "%s/", cwd);
	}
	if (slash)
		strbuf_printf(&resolved, "%.*s/", (int)(slash - spec->source_path),
			      spec->source_path);
	strbuf_puts(&resolved, *path);
	free(*path);
	*path = strbuf_detach(&resolved);
	return 0;
}

int spec_check_memory(const struct spec *spec)
{
	double needed = spec_memory_bytes(spec), available = physical_memory();
	if (needed <= 0.8 * available)
		return 0;
	char message[1024], needed_text[32], available_text[32], source[600] = "";
	bool data_dominates = 8.0 * (double)spec->data.samples *
				      (double)(spec->data.features + 1) >
			      needed / 2;
	const char *path = data_dominates ? "data.samples"
			   : spec->model.depth > spec->model.width ? "model.depth"
								   : "model.width";
	if (spec->data.kind == DATA_CSV)
		snprintf(source, sizeof source, " (in '%s')", spec->data.path);
	else if (spec->data.kind == DATA_IDX)
		snprintf(source, sizeof source, " (in '%s')", spec->data.images);
	if (data_dominates && spec_reads_file(spec))
		path = "data.kind";
	snprintf(message, sizeof message,
		 "depth %lld x width %lld with %lld samples of %lld features%s needs %s of "
		 "memory (parameters, gradients, optimizer state, activations, data); "
		 "this machine has %s",
		 (long long)spec->model.depth, (long long)spec->model.width,
		 (long long)spec->data.samples, (long long)spec->data.features, source,
		 format_bytes(needed_text, sizeof needed_text, needed),
		 format_bytes(available_text, sizeof available_text, available));
	return fail_at(spec, path, message);
}

int spec_check_name(const char *name, const char *where)
{
	size_t offset;
	if (!*name) {
		char *shown_where = text_printable(where);
		error("%s: name: empty; a run needs a name to be found by", shown_where);
		free(shown_where);
		return -1;
	}
	if (text_is_printable(name, &offset))
		return 0;
	/* where can hold the name too (--set name=...) */
	char *shown = text_printable(name), *shown_where = text_printable(where);
	error("%s: name '%s': byte %zu is a control character, a bidirectional override or not "
	      "UTF-8; a name must be printable text", shown_where, shown, offset + 1);
	free(shown);
	free(shown_where);
	return -1;
}

/* Residual keys that do not fit the network; returns the number of errors. A resolved
 * spec gives every key, so a setting is refused by its value, not by its presence. */
static int check_residual(const struct spec *spec)
{
	char message[256];
	int errors = 0;
	int64_t block = spec->model.residual.block;
	if (!spec->model.residual.enabled) {
		const char *key = spec->model.residual.learn_alpha ? "model.residual.learn_alpha"
				  : block != 1 ? "model.residual.block"
				  : spec->model.residual.form != RESIDUAL_BRANCH ? "model.residual.form"
				  : spec->model.residual.init != RESIDUAL_INIT_DEFAULT ? "model.residual.init"
										      : NULL;
		if (!key)
			return 0;
		snprintf(message, sizeof message, "'%s' needs residual blocks (model.residual: true)",
			 key + strlen("model.residual."));
		fail_at(spec, key, message);
		return 1;
	}
	int64_t hidden = spec->model.depth - 1; /* the layers after the stem */
	if (block > hidden) {
		snprintf(message, sizeof message,
			 "a block of %lld layers is longer than the %lld hidden layers after the "
			 "stem (model.depth - 1)",
			 (long long)block, (long long)hidden);
		fail_at(spec, spec_key_given(spec, "model.residual.block") ? "model.residual.block"
									   : "model.depth",
			message);
		errors++;
	} else if (hidden % block) {
		snprintf(message, sizeof message,
			 "the %lld hidden layers after the stem (model.depth - 1) do not divide "
			 "into blocks of %lld (model.residual.block)",
			 (long long)hidden, (long long)block);
		fail_at(spec, "model.depth", message);
		errors++;
	}
	if (spec->model.residual.init == RESIDUAL_INIT_FIXUP &&
	    spec->model.norm.kind != NORM_NONE) {
		fail_at(spec, "model.residual.init",
			"'fixup' initialises networks without norms (model.norm: none)");
		errors++;
	}
	return errors;
}

int spec_check(struct spec *spec)
{
	if (resolve_path(spec, &spec->data.path) || resolve_path(spec, &spec->data.images) ||
	    resolve_path(spec, &spec->data.labels))
		return -1;
	int errors = 0;
	char message[512];

	if (spec->name && spec_check_name(spec->name, spec_origin_of(spec, "name")))
		errors++;

	if (isnan(spec->data.noise)) {
		spec->data.noise = spec->data.kind == DATA_BLOBS     ? 0.5
				   : spec->data.kind == DATA_SPIRALS ? 0.05
								     : 0.0;
	}
	if (spec->data.kind == DATA_CSV && (!spec->data.path || !*spec->data.path)) {
		fail_at(spec, "data.kind", "csv needs data.path, the file to read");
		errors++;
	}
	if (spec->data.kind == DATA_IDX && (!spec->data.images || !spec->data.labels)) {
		fail_at(spec, "data.kind", "idx needs data.images and data.labels");
		errors++;
	}
	if (spec->data.kind == DATA_SPIRALS && spec->data.features < 2) {
		fail_at(spec, "data.features", "spirals need at least 2 features");
		errors++;
	}
	if (!spec_reads_file(spec) && spec->train.batch_size > spec->data.samples) {
		snprintf(message, sizeof message,
			 "batch of %lld examples is larger than data.samples (%lld)",
			 (long long)spec->train.batch_size, (long long)spec->data.samples);
		fail_at(spec, "train.batch_size", message);
		errors++;
	}
	if (spec->train.optimizer.nesterov &&
	    (spec->train.optimizer.kind != OPTIMIZER_SGD || spec->train.optimizer.momentum == 0)) {
		fail_at(spec, "train.optimizer.nesterov", "Nesterov momentum needs sgd with momentum > 0");
		errors++;
	}
	errors += check_residual(spec);
	if (errors)
		return -1;

	/* a file's sizes are known once it is read (dataset_generate checks them then) */
	return spec_reads_file(spec) ? 0 : spec_check_memory(spec);
}
