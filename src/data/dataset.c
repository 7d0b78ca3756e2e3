/* Datasets, and the spec fitted to them. The built-in generators each draw from the data
 * stream of the seed only, so the same seed gives the same data whatever the model is,
 * and runs that compare activations or depths train on identical examples. A csv or idx
 * file is read, and the spec fitted to it (sizes, classes, the contents' hash in
 * spec_hash) with the memory checked before the bulk is allocated, so that one resolved
 * spec is what is hashed, recorded and trained. */
#include "data/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/csv_reader.h"
#include "data/idx_reader.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/rng.h"
#include "util/strbuf.h"

static void generate_gaussian(struct dataset *data, const struct spec *spec, struct rng *rng)
{
	double sd = sqrt(spec->data.variance);
	for (int64_t i = 0; i < data->samples; i++) {
		for (int64_t f = 0; f < data->features; f++)
			data->inputs[i * data->features + f] = sd * rng_normal(rng);
		data->labels[i] = (int32_t)rng_below(rng, (uint32_t)spec->data.classes);
	}
}

static void generate_blobs(struct dataset *data, const struct spec *spec, struct rng *rng)
{
	int64_t classes = spec->data.classes, features = data->features;
	double *centres = xmalloc(sizeof(double) * (size_t)(classes * features));
	for (int64_t i = 0; i < classes * features; i++)
		centres[i] = spec->data.separation * rng_normal(rng);
	for (int64_t i = 0; i < data->samples; i++) {
		int64_t label = i % classes;
		data->labels[i] = (int32_t)label;
		for (int64_t f = 0; f < features; f++)
			data->inputs[i * features + f] = centres[label * features + f] +
							 spec->data.noise * rng_normal(rng);
	}
	free(centres);
}

/* Arms of radius 0..1 turning by 4 radians, one arm per class; features beyond the
 * first two are pure noise. */
static void generate_spirals(struct dataset *data, const struct spec *spec, struct rng *rng)
{
	int64_t classes = spec->data.classes, features = data->features;
	for (int64_t i = 0; i < data->samples; i++) {
		int64_t label = i % classes;
		double t = rng_uniform(rng);
		double angle = 2 * M_PI * (double)label / (double)classes + 4 * t;
		double *x = data->inputs + i * features;
		x[0] = t * sin(angle) + spec->data.noise * rng_normal(rng);
		x[1] = t * cos(angle) + spec->data.noise * rng_normal(rng);
		for (int64_t f = 2; f < features; f++)
			x[f] = spec->data.noise * rng_normal(rng);
		data->labels[i] = (int32_t)label;
	}
}

/* y = V tanh(U x) with U ~ N(0, 1/features), V ~ N(0, 1/teacher_width). Regression
 * targets are y plus noise; class labels are the argmax of y. */
static void generate_teacher(struct dataset *data, const struct spec *spec, struct rng *rng)
{
	int64_t features = data->features, hidden = spec->data.teacher_width;
	int64_t outputs = spec_uses_labels(spec) ? spec->data.classes : data->outputs;
	double *u = xmalloc(sizeof(double) * (size_t)(hidden * features));
	double *v = xmalloc(sizeof(double) * (size_t)(outputs * hidden));
	double *h = xmalloc(sizeof(double) * (size_t)hidden);
	double *y = xmalloc(sizeof(double) * (size_t)outputs);
	for (int64_t i = 0; i < hidden * features; i++)
		u[i] = rng_normal(rng) / sqrt((double)features);
	for (int64_t i = 0; i < outputs * hidden; i++)
		v[i] = rng_normal(rng) / sqrt((double)hidden);

	for (int64_t i = 0; i < data->samples; i++) {
		double *x = data->inputs + i * features;
		for (int64_t f = 0; f < features; f++)
			x[f] = rng_normal(rng);
		for (int64_t j = 0; j < hidden; j++) {
			double sum = 0;
			for (int64_t f = 0; f < features; f++)
				sum += u[j * features + f] * x[f];
			h[j] = tanh(sum);
		}
		int64_t best = 0;
		for (int64_t k = 0; k < outputs; k++) {
			double sum = 0;
			for (int64_t j = 0; j < hidden; j++)
				sum += v[k * hidden + j] * h[j];
			y[k] = sum + spec->data.noise * rng_normal(rng);
			best = y[k] > y[best] ? k : best;
		}
		if (data->labels)
			data->labels[i] = (int32_t)best;
		else
			memcpy(data->targets + i * outputs, y, sizeof(double) * (size_t)outputs);
	}
	free(u);
	free(v);
	free(h);
	free(y);
}

/* Applies one permutation to every row of the dataset. */
static void shuffle_rows(struct dataset *data, struct rng *rng)
{
	uint32_t *order = xmalloc(sizeof(uint32_t) * (size_t)data->samples);
	for (int64_t i = 0; i < data->samples; i++)
		order[i] = (uint32_t)i;
	rng_shuffle(rng, order, (uint32_t)data->samples);
	size_t f = (size_t)data->features;
	double *inputs = xmalloc(sizeof(double) * (size_t)data->samples * f);
	int32_t *labels = xmalloc(sizeof(int32_t) * (size_t)data->samples);
	for (int64_t i = 0; i < data->samples; i++) {
		memcpy(inputs + (size_t)i * f, data->inputs + (size_t)order[i] * f, sizeof(double) * f);
		labels[i] = data->labels[order[i]];
	}
	free(data->inputs), free(data->labels), free(order);
	data->inputs = inputs;
	data->labels = labels;
}

/* z-scores each feature with the training part's mean and deviation, so no statistic
 * leaks from the validation split. A feature constant in the training part is only
 * centred: its training values become exactly 0 (a deviation computed from rounding
 * noise, as 0.1 + 0.1 + 0.1 gives, would blow that noise up into z-scores). The statistics
 * are taken of the values divided by a power of two near the largest magnitude: scaled
 * values lie within (-1, 1), so neither the sum nor the squares overflow (1e200 squared
 * does) or underflow (1e-200 squared does), and since the scale is a power of two the
 * division is exact and the z-scores equal the unscaled formula's where that one works. */
static void standardize(struct dataset *data)
{
	size_t f = (size_t)data->features, n = (size_t)data->train_count;
	for (size_t j = 0; j < f; j++) {
		double lowest = data->inputs[j], highest = data->inputs[j];
		for (size_t i = 1; i < n; i++) {
			lowest = fmin(lowest, data->inputs[i * f + j]);
			highest = fmax(highest, data->inputs[i * f + j]);
		}
		if (lowest == highest) {
			for (size_t i = 0; i < (size_t)data->samples; i++)
				data->inputs[i * f + j] -= lowest;
			continue;
		}
		int exponent;
		frexp(fmax(fabs(lowest), fabs(highest)), &exponent); /* = m 2^exponent, m < 1 */
		double mean = 0, square = 0;
		for (size_t i = 0; i < n; i++)
			mean += ldexp(data->inputs[i * f + j], -exponent);
		mean /= (double)n;
		for (size_t i = 0; i < n; i++) {
			double d = ldexp(data->inputs[i * f + j], -exponent) - mean;
			square += d * d;
		}
		double deviation = sqrt(square / (double)n); /* > 0: two values differ */
		for (size_t i = 0; i < (size_t)data->samples; i++)
			data->inputs[i * f + j] =
				(ldexp(data->inputs[i * f + j], -exponent) - mean) / deviation;
	}
}

/* The examples that train, the first *train_count of samples; the rest validates. -1
 * with a message when either part is too small. */
static int split(const struct spec *spec, int64_t samples, int64_t *train_count)
{
	int64_t held_out = (int64_t)llround((double)samples * spec->data.validation);
	*train_count = samples - held_out;
	if ((spec->data.validation > 0 && held_out == 0) ||
	    *train_count < spec->train.batch_size)
		return error("%s: data.validation %g of %lld examples leaves %lld for training and "
			     "%lld for validation; training needs at least train.batch_size "
			     "(%lld) and validation at least one",
			     spec->source_path, spec->data.validation, (long long)samples,
			     (long long)*train_count, (long long)held_out,
			     (long long)spec->train.batch_size);
	return 0;
}

/* Continues *hash over the contents of path as gtrack reads them (gzip decompressed),
 * so a file and its gzipped copy are the same data. */
static int hash_contents(const char *path, uint64_t *hash)
{
	gzFile file = gzopen(path, "rb");
	if (!file)
		return error("cannot open data file '%s': %s", path,
			     errno ? strerror(errno) : "out of memory");
	unsigned char chunk[1 << 16];
	int got;
	while ((got = gzread(file, chunk, sizeof chunk)) > 0)
		*hash = hash_fnv1a64_more(*hash, chunk, (size_t)got);
	int code;
	const char *message = gzerror(file, &code);
	int result = got < 0 ? error("%s: gzip error: %s", path, message) : 0;
	gzclose(file);
	return result;
}

/* The file the examples come from, and the one their labels come from, for messages. */
static const char *examples_file(const struct spec *spec)
{
	return spec->data.kind == DATA_CSV ? spec->data.path : spec->data.images;
}

static const char *labels_file(const struct spec *spec)
{
	return spec->data.kind == DATA_CSV ? spec->data.path : spec->data.labels;
}

/* Takes a size from the file, unless the spec gave another. */
static int fit_size(struct spec *spec, const char *key, int64_t *value, int64_t found,
		    const char *what)
{
	if (spec_key_given(spec, key) && *value != found)
		return error("%s: %s: %lld given, but '%s' has %lld %s", spec_origin_of(spec, key),
			     key, (long long)*value, examples_file(spec), (long long)found, what);
	*value = found;
	return 0;
}

/* What fitting a spec needs to know of a data file: its sizes, its largest label and
 * where, and its contents' hash. */
struct file_summary {
	int64_t samples, features;
	int64_t largest_label, largest_at; /* the label and its example (0-based) */
	char data_hash[17];
};

static int summarize(struct file_summary *summary, const struct spec *spec,
		     const struct dataset *data)
{
	uint64_t hash = HASH_FNV1A64_START;
	if (hash_contents(examples_file(spec), &hash) ||
	    (spec->data.kind == DATA_IDX && hash_contents(spec->data.labels, &hash)))
		return -1;
	snprintf(summary->data_hash, sizeof summary->data_hash, "%016llx",
		 (unsigned long long)hash);
	summary->samples = data->samples;
	summary->features = data->features;
	summary->largest_at = 0;
	for (int64_t i = 0; i < data->samples; i++)
		if (data->labels[i] > data->labels[summary->largest_at])
			summary->largest_at = i;
	summary->largest_label = data->labels[summary->largest_at];
	return 0;
}

/* Fits the spec to its file: sizes, classes, contents' hash (see dataset_generate),
 * then checks the validation split and memory on those sizes. */
static int fit_spec(struct spec *spec, const struct file_summary *summary)
{
	if (spec->data_hash[0] && strcmp(spec->data_hash, summary->data_hash))
		return error("'%s' changed since it was checked: its contents' hash was %s, now %s",
			     examples_file(spec), spec->data_hash, summary->data_hash);
	if (fit_size(spec, "data.samples", &spec->data.samples, summary->samples, "examples") ||
	    fit_size(spec, "data.features", &spec->data.features, summary->features,
		     "features"))
		return -1;
	int64_t label = summary->largest_label;
	if (spec_key_given(spec, "data.classes")) {
		if (label >= spec->data.classes)
			return error("%s: example %lld has label %lld, not below data.classes (%lld, "
				     "given at %s)",
				     labels_file(spec), (long long)summary->largest_at + 1,
				     (long long)label, (long long)spec->data.classes,
				     spec_origin_of(spec, "data.classes"));
	} else {
		spec->data.classes = label + 1 < 2 ? 2 : label + 1;
	}
	snprintf(spec->data_hash, sizeof spec->data_hash, "%s", summary->data_hash);
	spec_rehash(spec);
	int64_t train_count;
	return split(spec, summary->samples, &train_count) || spec_check_memory(spec) ? -1 : 0;
}

/* A data file that cannot be opened is the spec's error: the message names the key and
 * where its value came from (spec.yaml:4:9, a --set), as for any other bad value. */
static int check_openable(const struct spec *spec, const char *key, const char *path)
{
	struct stat info;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error("%s: %s: cannot open data file '%s': %s", spec_origin_of(spec, key),
			     key, path, strerror(errno));
	bool directory = fstat(fd, &info) == 0 && S_ISDIR(info.st_mode);
	close(fd);
	if (directory)
		return error("%s: %s: '%s' is a directory, not a data file",
			     spec_origin_of(spec, key), key, path);
	return 0;
}

/* Reads the file, fits the spec and checks memory before the bulk of an IDX file (its
 * pixels) is allocated; *summary receives what the fit used. */
static int read_file(struct dataset *data, struct spec *spec, struct file_summary *summary)
{
	struct idx_source source = {0};
	memset(data, 0, sizeof *data); /* the readers may fail before they clear it */
	if (spec->data.kind == DATA_CSV ? check_openable(spec, "data.path", spec->data.path)
					: check_openable(spec, "data.images", spec->data.images) ||
						  check_openable(spec, "data.labels", spec->data.labels))
		return -1;
	if (spec->data.kind == DATA_CSV ? csv_read(data, spec) : idx_open(data, &source, spec))
		return -1;
	if (summarize(summary, spec, data) || fit_spec(spec, summary) ||
	    (spec->data.kind == DATA_IDX && idx_read_pixels(data, &source))) {
		idx_close(&source);
		dataset_free(data);
		return -1;
	}
	return 0;
}

int dataset_generate(struct dataset *data, struct spec *spec)
{
	struct rng rng;
	rng_seed(&rng, (uint64_t)spec->seed, RNG_STREAM_DATA);
	memset(data, 0, sizeof *data);
	bool from_file = spec_reads_file(spec);

	if (from_file) {
		struct file_summary summary;
		if (read_file(data, spec, &summary))
			return -1;
		data->outputs = spec->data.classes;
		if (spec->data.shuffle)
			shuffle_rows(data, &rng);
		if (!spec_uses_labels(spec))
			data->targets = xcalloc((size_t)(data->samples * data->outputs), sizeof(double));
	} else {
		data->samples = spec->data.samples;
		data->features = spec->data.features;
		data->outputs = spec_output_size(spec);
		bool regression = spec->data.kind == DATA_TEACHER && !spec_uses_labels(spec);
		/* Sizes were checked against memory when the spec was loaded. */
		data->inputs = xmalloc(sizeof(double) * (size_t)(data->samples * data->features));
		if (!regression)
			data->labels = xmalloc(sizeof(int32_t) * (size_t)data->samples);
		if (!spec_uses_labels(spec))
			data->targets = xcalloc((size_t)(data->samples * data->outputs),
						sizeof(double));
		switch (spec->data.kind) {
		case DATA_GAUSSIAN:
			generate_gaussian(data, spec, &rng);
			break;
		case DATA_BLOBS:
			generate_blobs(data, spec, &rng);
			break;
		case DATA_SPIRALS:
			generate_spirals(data, spec, &rng);
			break;
		case DATA_TEACHER:
			generate_teacher(data, spec, &rng);
			break;
		}
	}
	/* mse on a classification dataset trains towards one-hot targets */
	if (data->targets && data->labels)
		for (int64_t i = 0; i < data->samples; i++)
			data->targets[i * data->outputs + data->labels[i]] = 1.0;

	if (split(spec, data->samples, &data->train_count)) {
		dataset_free(data);
		return -1;
	}
	if (from_file && spec->data.standardize)
		standardize(data);
	return 0;
}

void dataset_free(struct dataset *data)
{
	if (!data)
		return;
	free(data->inputs);
	free(data->labels);
	free(data->targets);
	memset(data, 0, sizeof *data);
}

/* Summaries of the files this process has read, by the files' identity (device, inode,
 * size, modification time) and the label column, so that checking the many runs of a
 * sweep over one file reads it once. */
#define SUMMARY_CACHE_SIZE 8
static struct {
	char *examples, *labels, *label_column;
	struct stat examples_stat, labels_stat;
	struct file_summary summary;
} summary_cache[SUMMARY_CACHE_SIZE];
static int summary_cache_next;

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static const char *or_empty(const char *text)
{
	return text ? text : "";
}

/* Reads the identity of spec's files into *examples_stat and *labels_stat; false when
 * one cannot be found (reading it will say why). */
static bool identify(const struct spec *spec, struct stat *examples_stat,
		     struct stat *labels_stat)
{
	memset(examples_stat, 0, sizeof *examples_stat);
	memset(labels_stat, 0, sizeof *labels_stat);
	return stat(examples_file(spec), examples_stat) == 0 &&
	       (spec->data.kind != DATA_IDX || stat(spec->data.labels, labels_stat) == 0);
}

/* The cache slot for spec's files as identified, or -1. */
static int cached_summary(const struct spec *spec, const struct stat *examples_stat,
			  const struct stat *labels_stat)
{
	for (int i = 0; i < SUMMARY_CACHE_SIZE; i++) {
		if (summary_cache[i].examples &&
		    !strcmp(summary_cache[i].examples, examples_file(spec)) &&
		    !strcmp(summary_cache[i].labels, or_empty(spec->data.labels)) &&
		    !strcmp(summary_cache[i].label_column, or_empty(spec->data.label)) &&
		    same_file(&summary_cache[i].examples_stat, examples_stat) &&
		    same_file(&summary_cache[i].labels_stat, labels_stat))
			return i;
	}
	return -1;
}

int dataset_check(struct spec *spec)
{
	if (!spec_reads_file(spec)) {
		struct dataset data;
		if (dataset_generate(&data, spec))
			return -1;
		dataset_free(&data);
		return 0;
	}
	struct stat examples_stat, labels_stat;
	bool identified = identify(spec, &examples_stat, &labels_stat);
	int slot = identified ? cached_summary(spec, &examples_stat, &labels_stat) : -1;
	if (slot >= 0)
		return fit_spec(spec, &summary_cache[slot].summary);

	struct dataset data;
	struct file_summary summary;
	int result = read_file(&data, spec, &summary);
	dataset_free(&data);
	if (result || !identified)
		return result;
	slot = summary_cache_next;
	summary_cache_next = (summary_cache_next + 1) % SUMMARY_CACHE_SIZE;
	free(summary_cache[slot].examples);
	free(summary_cache[slot].labels);
	free(summary_cache[slot].label_column);
	summary_cache[slot].examples = xstrdup(examples_file(spec));
	summary_cache[slot].labels = xstrdup(or_empty(spec->data.labels));
	summary_cache[slot].label_column = xstrdup(or_empty(spec->data.label));
	summary_cache[slot].examples_stat = examples_stat;
	summary_cache[slot].labels_stat = labels_stat;
	summary_cache[slot].summary = summary;
	return 0;
}
