/* Cross-key rules and the memory check, done before anything is allocated. */
#include "spec/spec_check.h"
#include "spec/spec_fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "util/printable.h"
#include "util/strbuf.h"
#include "util/units.h"

double spec_memory_bytes(const struct spec *spec)
{
	double depth = (double)spec->model.depth, width = (double)spec->model.width;
	double inputs = (double)spec->data.features, outputs = (double)spec_output_size(spec);
	double batch = (double)spec->train.batch_size, samples = (double)spec->data.samples;
	double real_size = spec->train.dtype == DTYPE_FLOAT64 ? 8.0 : 4.0;

	double parameters = (inputs + 1) * width + (depth - 1) * (width + 1) * width +
			    (width + 1) * outputs;
	double units = depth * width + outputs; /* every layer's outputs */
	/* parameters, gradients and optimizer state (two buffers for adam); per unit and example: pre-activation and
	 * activation (and the residual sum) with their gradients; the batch buffers */
	double copies = (spec->model.residual.enabled ? 6 : 4) +
			(spec->model.norm.kind != NORM_NONE ? 4 : 0);
	double state = spec->train.optimizer.kind == OPTIMIZER_SGD ? 1 : 2;
	/* parameters, gradients, the snapshot for update ratios, optimizer state */
	double network = real_size * ((3 + state) * parameters + copies * batch * units +
				      batch * (inputs + outputs + 1));
	/* the dataset is generated in double: features, targets, labels */
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
 * a spec works from any directory. */
static void resolve_path(const struct spec *spec, char **path)
{
	if (!*path || !**path || (*path)[0] == '/')
		return;
	const char *slash = strrchr(spec->source_path, '/');
	if (!slash)
		return;
	struct strbuf resolved;
	strbuf_init(&resolved);
	strbuf_printf(&resolved, "%.*s/%s", (int)(slash - spec->source_path), spec->source_path,
		      *path);
	free(*path);
	*path = strbuf_detach(&resolved);
}

int spec_check_name(const char *name, const char *where)
{
	size_t offset;
	if (text_is_printable(name, &offset))
		return 0;
	/* where can hold the name too (--set name=...) */
	char *shown = text_printable(name), *shown_where = text_printable(where);
	error("%s: name '%s': byte %zu is a control character or not UTF-8; a name must be "
	      "printable text", shown_where, shown, offset + 1);
	free(shown);
	free(shown_where);
	return -1;
}

int spec_check(struct spec *spec)
{
	resolve_path(spec, &spec->data.path);
	resolve_path(spec, &spec->data.images);
	resolve_path(spec, &spec->data.labels);
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
	bool from_file = spec->data.kind == DATA_CSV || spec->data.kind == DATA_IDX;
	if (!from_file && spec->train.batch_size > spec->data.samples) {
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
	if (errors)
		return -1;

	double needed = spec_memory_bytes(spec), available = physical_memory();
	if (needed > 0.8 * available) {
		char needed_text[32], available_text[32];
		bool data_dominates = 8.0 * (double)spec->data.samples *
					      (double)(spec->data.features + 1) >
				      needed / 2;
		const char *path = data_dominates ? "data.samples"
				   : spec->model.depth > spec->model.width ? "model.depth"
									   : "model.width";
		snprintf(message, sizeof message,
			 "depth %lld x width %lld with %lld samples of %lld features needs %s of "
			 "memory (parameters, gradients, optimizer state, activations, data); "
			 "this machine has %s",
			 (long long)spec->model.depth, (long long)spec->model.width,
			 (long long)spec->data.samples, (long long)spec->data.features,
			 format_bytes(needed_text, sizeof needed_text, needed),
			 format_bytes(available_text, sizeof available_text, available));
		return fail_at(spec, path, message);
	}
	return 0;
}
