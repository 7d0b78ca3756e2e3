/* The built-in data generators. Each draws from the data stream of the seed only, so the
 * same seed gives the same data whatever the model is, and runs that compare
 * activations or depths train on identical examples. */
#include "data/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv_reader.h"
#include "data/idx_reader.h"
#include "util/error.h"
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

/* z-scores each feature with the training part's mean and deviation (a constant feature
 * is only centred, to exactly 0), so no statistic leaks from the validation split. */
static void standardize(struct dataset *data)
{
	size_t f = (size_t)data->features, n = (size_t)data->train_count;
	for (size_t j = 0; j < f; j++) {
		/* a constant is told by comparison, not by a zero deviation: a summed mean can
		 * miss the value by a rounding error, which dividing by the deviation (that same
		 * error) would turn into +-1, and a sum of 1e308s overflows */
		bool constant = true;
		for (size_t i = 1; i < n && constant; i++)
			constant = data->inputs[i * f + j] == data->inputs[j];
		if (constant) {
			double value = data->inputs[j];
			for (size_t i = 0; i < (size_t)data->samples; i++)
				data->inputs[i * f + j] -= value;
			continue;
		}
		double mean = 0, square = 0;
		for (size_t i = 0; i < n; i++)
			mean += data->inputs[i * f + j];
		mean /= (double)n;
		for (size_t i = 0; i < n; i++) {
			double d = data->inputs[i * f + j] - mean;
			square += d * d;
		}
		double deviation = sqrt(square / (double)n);
		if (deviation == 0)
			deviation = 1;
		for (size_t i = 0; i < (size_t)data->samples; i++)
			data->inputs[i * f + j] = (data->inputs[i * f + j] - mean) / deviation;
	}
}

int dataset_generate(struct dataset *data, const struct spec *spec)
{
	struct rng rng;
	rng_seed(&rng, (uint64_t)spec->seed, RNG_STREAM_DATA);
	memset(data, 0, sizeof *data);
	bool from_file = spec->data.kind == DATA_CSV || spec->data.kind == DATA_IDX;

	if (from_file) {
		if ((spec->data.kind == DATA_CSV ? csv_read(data, spec) : idx_read(data, spec)))
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

	int64_t held_out = (int64_t)llround((double)data->samples * spec->data.validation);
	data->train_count = data->samples - held_out;
	if ((spec->data.validation > 0 && held_out == 0) ||
	    data->train_count < spec->train.batch_size) {
		error("%s: data.validation %g of %lld examples leaves %lld for training and %lld "
		      "for validation; training needs at least train.batch_size (%lld) and "
		      "validation at least one",
		      spec->source_path, spec->data.validation, (long long)data->samples,
		      (long long)data->train_count, (long long)held_out,
		      (long long)spec->train.batch_size);
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
