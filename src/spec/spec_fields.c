/* Every spec key, its type, default and meaning, and the conversion of scalar text into
 * typed values. Adding a key means adding a row here and a member to struct spec. */
#include "spec/spec_fields.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const data_kind_names[] = {"gaussian", "blobs", "spirals", "teacher", "csv",
				       "idx", NULL};
const char *const activation_names[] = {"linear", "sigmoid", "tanh", "relu", "leaky_relu",
					"elu", "gelu", "softplus", "silu", NULL};
const char *const init_scheme_names[] = {"xavier_uniform", "xavier_normal", "he_uniform",
					 "he_normal", "lecun_normal", "orthogonal", NULL};
const char *const optimizer_names[] = {"sgd", "adam", "adamw", NULL};
const char *const schedule_names[] = {"constant", "step", "cosine", NULL};
const char *const norm_names[] = {"none", "layernorm", "batchnorm", NULL};
const char *const residual_form_names[] = {"branch", "post", "pre", NULL};
const char *const residual_init_names[] = {"default", "fixup", "zero_last", NULL};
const char *const loss_names[] = {"cross_entropy", "mse", NULL};
const char *const dtype_names[] = {"float32", "float64", NULL};

#define AT(member) offsetof(struct spec, member)
/* Sizes are capped at 2^31-1 so that BLAS's int dimensions hold them; memory is checked
 * separately, with the amount needed in the message. */
#define SIZE_LIMIT 2147483647.0
/* The optional last arguments of a row say what the key becomes in the runs table and
 * in reports: COLUMN(...), then SPLITS and STORED_WHEN(...) where they apply. */
#define INT(name, member, def, lo, hi, text, ...)                                          \
	{.key = name, .type = FIELD_INT, .offset = AT(member), .default_text = def,        \
	 .min = lo, .max = hi, .doc = text, __VA_ARGS__}
#define REAL(name, member, def, lo, hi, text, ...)                                         \
	{.key = name, .type = FIELD_REAL, .offset = AT(member), .default_text = def,       \
	 .min = lo, .max = hi, .doc = text, __VA_ARGS__}
#define BOOL(name, member, def, text, ...)                                                 \
	{.key = name, .type = FIELD_BOOL, .offset = AT(member), .default_text = def,       \
	 .doc = text, __VA_ARGS__}
#define STRING(name, member, text, ...)                                                    \
	{.key = name, .type = FIELD_STRING, .offset = AT(member), .doc = text, __VA_ARGS__}
#define DATA_FILE(name, member, text)                                                      \
	{.key = name, .type = FIELD_STRING, .offset = AT(member), .doc = text,             \
	 .names_data_file = true}
#define CHOICE(name, member, def, names, text, ...)                                        \
	{.key = name, .type = FIELD_CHOICE, .offset = AT(member), .default_text = def,     \
	 .choices = names, .doc = text, __VA_ARGS__}
/* runs column, legend format (NULL: "column=value") and rank in legends (0: identity) */
#define COLUMN(name, legend_format, rank)                                                  \
	.column = name, .legend = legend_format, .legend_rank = rank
#define SPLITS .splits_figures = true
#define NEWER .hashed_unless_default = true
#define STORED_WHEN(predicate) .stored_when = predicate
#define SECTION(name, member, keys, text, ...)                                             \
	{.key = name, .type = FIELD_SECTION, .offset = AT(member), .fields = keys,         \
	 .doc = text, __VA_ARGS__}
/* Columns that only mean something in some specs hold NULL in the others. */
static bool leaky_relu_only(const struct spec *spec)
{
	return spec->model.activation.kind == ACT_LEAKY_RELU;
}

static bool residual_only(const struct spec *spec)
{
	return spec->model.residual.enabled;
}

static bool clip_norm_on(const struct spec *spec)
{
	return spec->train.clip_norm > 0;
}

static bool clip_value_on(const struct spec *spec)
{
	return spec->train.clip_value > 0;
}

/* "> 0" for reals: the smallest positive bound that still reads as 0 in messages */
#define POSITIVE 1e-300
#define HUGE_VALUE 1e300

static const struct spec_field data_fields[] = {
	CHOICE("kind", data.kind, "blobs", data_kind_names,
	       "generator: gaussian (inputs N(0, variance), random labels), blobs (Gaussian "
	       "class clusters), spirals (interleaved arms), teacher (targets from a random "
	       "network); or a file: csv, idx (MNIST's format)",
	       COLUMN("dataset", "%s", 11)),
	DATA_FILE("path", data.path,
	       "csv: the file (relative to the spec file), with a header line; .gz is read as "
	       "gzip; its contents, not its name, enter spec_hash"),
	STRING("label", data.label,
	       "csv: the label column, a name or a 0-based index (default: the last column); "
	       "labels are integers from 0 to classes - 1"),
	DATA_FILE("images", data.images,
	       "idx: the images file, relative to the spec file (e.g. "
	       "train-images-idx3-ubyte[.gz])"),
	DATA_FILE("labels", data.labels, "idx: the labels file (e.g. train-labels-idx1-ubyte[.gz])"),
	BOOL("standardize", data.standardize, "true",
	     "csv, idx: z-score each feature with the mean and deviation of the training part"),
	REAL("validation", data.validation, "0.0", 0, 0.9,
	     "fraction of the examples held out for evaluation (log.eval_every)",
	     COLUMN("validation", "validation %s", 27), SPLITS),
	BOOL("shuffle", data.shuffle, "true",
	     "csv, idx: shuffle the examples (from the seed) before the validation split"),
	INT("samples", data.samples, "2048", 1, SIZE_LIMIT,
	    "number of examples (csv, idx: the file's; giving another is an error)",
	    COLUMN("samples", "%s samples", 12)),
	INT("features", data.features, "16", 1, SIZE_LIMIT,
	    "input dimension (csv, idx: the file's; giving another is an error)",
	    COLUMN("features", "%s features", 13)),
	INT("classes", data.classes, "4", 2, SIZE_LIMIT,
	    "number of classes (output size); csv, idx: the largest label + 1 unless given "
	    "(at least 2), and a given value must exceed every label"),
	INT("outputs", data.outputs, "1", 1, SIZE_LIMIT,
	    "teacher with loss mse: number of regression targets (output size)"),
	INT("teacher_width", data.teacher_width, "32", 1, SIZE_LIMIT,
	    "teacher: hidden units of the tanh teacher network"),
	REAL("variance", data.variance, "1.0", POSITIVE, HUGE_VALUE,
	     "gaussian: variance of the inputs"),
	REAL("noise", data.noise, "auto", 0, HUGE_VALUE,
	     "standard deviation of added Gaussian noise; auto: 0.5 for blobs (within a "
	     "cluster), 0.05 for spirals, 0 for gaussian and teacher"),
	REAL("separation", data.separation, "2.0", 0, HUGE_VALUE,
	     "blobs: standard deviation of the class centres"),
	{0},
};

static const struct spec_field activation_fields[] = {
	CHOICE("kind", model.activation.kind, "relu", activation_names,
	       "linear, sigmoid, tanh, relu, leaky_relu, elu (alpha 1), gelu (erf form), "
	       "softplus (beta 1), silu",
	       COLUMN("activation", "%s", 1)),
	REAL("slope", model.activation.slope, "0.01", 0, HUGE_VALUE,
	     "leaky_relu: slope for negative inputs",
	     COLUMN("activation_slope", "slope %s", 2), STORED_WHEN(leaky_relu_only)),
	{0},
};

static const struct spec_field init_fields[] = {
	CHOICE("scheme", model.init.scheme, "xavier_normal", init_scheme_names,
	       "xavier_uniform, xavier_normal (std sqrt(2/(fan_in+fan_out))), he_uniform, "
	       "he_normal (std sqrt(2/fan_in)), lecun_normal (std sqrt(1/fan_in)), orthogonal",
	       COLUMN("init", "%s", 7)),
	REAL("gain", model.init.gain, "1.0", 0, HUGE_VALUE,
	     "multiplies the scheme's standard deviation (below 1: too small, above: too "
	     "large)",
	     COLUMN("init_gain", "gain %s", 8)),
	REAL("bias", model.init.bias, "0.0", -HUGE_VALUE, HUGE_VALUE,
	     "initial value of every bias",
	     COLUMN("init_bias", "bias %s", 9)),
	{0},
};

static const struct spec_field residual_fields[] = {
	BOOL("enabled", model.residual.enabled, "false",
	     "residual blocks: layer 0 (the stem, data.features -> width) and the output layer "
	     "are outside every block; hidden layers 1..depth-1 form consecutive blocks of "
	     "`block` layers (layers.block records each layer's block, NULL outside)",
	     COLUMN("residual", NULL, 4)),
	REAL("alpha", model.residual.alpha, "1.0", -HUGE_VALUE, HUGE_VALUE,
	     "scale of the residual branch (the start value when learn_alpha)",
	     COLUMN("residual_alpha", "alpha %s", 5), STORED_WHEN(residual_only)),
	INT("block", model.residual.block, "1", 1, SIZE_LIMIT,
	    "linear layers per residual branch; depth - 1 must be a multiple of it",
	    COLUMN("residual_block", "k=%s", 5), STORED_WHEN(residual_only), NEWER),
	CHOICE("form", model.residual.form, "branch", residual_form_names,
	       "where the activation f and the norm N sit, for a block of maps W1..Wk and "
	       "input h: branch, every map followed by N then f, h <- h + alpha f(N(Wk ... "
	       "f(N(W1 h)))); post (He et al. 2016a), the last map followed by N only and f "
	       "after the addition, h <- f(h + alpha N(Wk ... f(N(W1 h)))); pre (He et al. "
	       "2016b), N then f before every map, h <- h + alpha Wk f(N(... W1 f(N(h)))), "
	       "the stem neither normalised nor activated, N then f once more before the "
	       "output layer",
	       COLUMN("residual_form", "%s", 4), STORED_WHEN(residual_only), NEWER),
	BOOL("learn_alpha", model.residual.learn_alpha, "false",
	     "one alpha per block, trained by the optimizer like a weight (ReZero: alpha 0); "
	     "block_stats records it and its gradient",
	     COLUMN("residual_learn_alpha", NULL, 5), STORED_WHEN(residual_only), NEWER),
	CHOICE("init", model.residual.init, "default", residual_init_names,
	       "default: model.init for every layer; zero_last: each branch's last map (weight "
	       "and bias) starts at zero (SkipInit); fixup (Zhang et al. 2019, without norms): "
	       "the output layer and each branch's last map start at zero, the other branch "
	       "maps are scaled by L^(-1/(2k-2)) for L blocks of k maps",
	       COLUMN("residual_init", "%s", 5), STORED_WHEN(residual_only), NEWER),
	{0},
};

static const struct spec_field norm_fields[] = {
	CHOICE("kind", model.norm.kind, "none", norm_names,
	       "none; layernorm or batchnorm right before every hidden activation (after the "
	       "linear map; model.residual.form says where that is in a block), with a learned "
	       "scale and shift, as torch.nn.LayerNorm and BatchNorm1d",
	       COLUMN("norm", "%s", 6)),
	REAL("eps", model.norm.eps, "1e-5", POSITIVE, 1, "added to the variance"),
	REAL("momentum", model.norm.momentum, "0.1", 0, 1,
	     "batchnorm: weight of each batch in the running mean and variance, which "
	     "evaluation uses"),
	{0},
};

static const struct spec_field model_fields[] = {
	INT("depth", model.depth, "10", 1, SIZE_LIMIT,
	    "hidden layers; the output layer comes on top (layers 0..depth)",
	    COLUMN("depth", "d=%s", 3)),
	INT("width", model.width, "64", 1, SIZE_LIMIT, "units per hidden layer",
	COLUMN("width", "w=%s", 10)),
	SECTION("activation", model.activation, activation_fields,
		"a name (relu) or {kind: leaky_relu, slope: 0.1}", .shorthand = "kind"),
	SECTION("init", model.init, init_fields,
		"a scheme name (he_normal) or {scheme: ..., gain: ..., bias: ...}",
		.shorthand = "scheme"),
	SECTION("residual", model.residual, residual_fields,
		"false, true, or {alpha: 0.5, block: 2, form: pre} (a mapping turns it on)", .shorthand = "enabled",
		.implied = &residual_fields[0]),
	SECTION("norm", model.norm, norm_fields,
		"a name (layernorm) or {kind: batchnorm, eps: 1e-5, momentum: 0.1}",
		.shorthand = "kind"),
	{0},
};

static const struct spec_field optimizer_fields[] = {
	CHOICE("kind", train.optimizer.kind, "sgd", optimizer_names,
	       "sgd, adam, or adamw (decoupled weight decay), each as in torch.optim",
	       COLUMN("optimizer", "%s", 18), SPLITS),
	REAL("lr", train.optimizer.lr, "0.1", POSITIVE, HUGE_VALUE,
	     "learning rate (the peak, when a schedule is set)",
	     COLUMN("lr", "lr=%s", 19), SPLITS),
	REAL("momentum", train.optimizer.momentum, "0.0", 0, 0.999999,
	     "sgd: heavy-ball momentum as in PyTorch: v <- momentum v + g, w <- w - lr v",
	     COLUMN("momentum", "momentum %s", 20), SPLITS),
	BOOL("nesterov", train.optimizer.nesterov, "false",
	     "sgd: Nesterov momentum, w <- w - lr (g + momentum v); needs momentum > 0"),
	REAL("beta1", train.optimizer.beta1, "0.9", 0, 0.999999,
	     "adam, adamw: decay of the first-moment average"),
	REAL("beta2", train.optimizer.beta2, "0.999", 0, 0.999999999,
	     "adam, adamw: decay of the second-moment average"),
	REAL("eps", train.optimizer.eps, "1e-8", POSITIVE, 1, "adam, adamw: added to sqrt(v)"),
	REAL("weight_decay", train.optimizer.weight_decay, "0.0", 0, HUGE_VALUE,
	     "sgd, adam: L2 penalty added to the gradient; adamw: w <- w (1 - lr decay)",
	     COLUMN("weight_decay", "decay %s", 24), SPLITS),
	{0},
};

static const struct spec_field schedule_fields[] = {
	CHOICE("kind", train.schedule.kind, "constant", schedule_names,
	       "constant; step (lr gamma^floor(s / step_size)); cosine (from lr to min_lr over "
	       "train.steps)",
	       COLUMN("schedule", "%s", 23), SPLITS),
	INT("warmup_steps", train.schedule.warmup_steps, "0", 0, SIZE_LIMIT,
	    "linear warmup: step s < warmup_steps uses (s + 1) / warmup_steps of the rate"),
	INT("step_size", train.schedule.step_size, "100", 1, SIZE_LIMIT,
	    "step: steps between decays"),
	REAL("gamma", train.schedule.gamma, "0.1", 0, HUGE_VALUE, "step: decay factor"),
	REAL("min_lr", train.schedule.min_lr, "0.0", 0, HUGE_VALUE, "cosine: the final rate"),
	{0},
};

static const struct spec_field train_fields[] = {
	INT("steps", train.steps, "200", 1, SIZE_LIMIT,
	    "optimizer steps; step s logs the gradient before the s-th update",
	    COLUMN("steps", "%s steps", 21), SPLITS),
	INT("batch_size", train.batch_size, "64", 1, SIZE_LIMIT,
	    "examples per step, drawn without replacement, reshuffled every epoch",
	    COLUMN("batch_size", "batch %s", 17)),
	SECTION("optimizer", train.optimizer, optimizer_fields,
		"a name (sgd) or {kind: sgd, lr: 0.1, momentum: 0.9}", .shorthand = "kind"),
	SECTION("schedule", train.schedule, schedule_fields,
		"the learning rate over steps: a name (cosine) or {kind: step, step_size: 50, "
		"gamma: 0.5, warmup_steps: 10}",
		.shorthand = "kind"),
	REAL("clip_norm", train.clip_norm, "0.0", 0, HUGE_VALUE,
	     "clip the global gradient norm to this (torch.nn.utils.clip_grad_norm_); 0: off",
	     COLUMN("clip_norm", "clip norm %s", 25), SPLITS, STORED_WHEN(clip_norm_on)),
	REAL("clip_value", train.clip_value, "0.0", 0, HUGE_VALUE,
	     "clip every gradient entry to [-v, v] (clip_grad_value_); 0: off",
	     COLUMN("clip_value", "clip value %s", 26), SPLITS, STORED_WHEN(clip_value_on)),
	CHOICE("loss", train.loss, "cross_entropy", loss_names,
	       "cross_entropy (softmax, mean over the batch) or mse (mean over all outputs; "
	       "class labels become one-hot targets)",
	       COLUMN("loss_fn", "%s", 15)),
	CHOICE("dtype", train.dtype, "float32", dtype_names,
	       "float32 or float64 for parameters and activations (norms are always "
	       "accumulated in double)",
	       COLUMN("dtype", "%s", 16)),
	{0},
};

static const struct spec_field log_fields[] = {
	INT("every", log.every, "1", 1, SIZE_LIMIT,
	    "log every k-th step; step 0 and the last step are always logged",
	    COLUMN("log_every", "every %s", 22), SPLITS),
	{.key = "checkpoints", .type = FIELD_STEPS, .offset = AT(log.checkpoints),
	 .default_text = "none", .min = 0, .max = SIZE_LIMIT,
	 .doc = "store the parameters used at these steps, e.g. [0, 100, final]; final is "
		"the weights after the last update, stored as step train.steps "
		"(gtrack export writes them as safetensors)"},
	INT("checkpoint_every", log.checkpoint_every, "0", 0, SIZE_LIMIT,
	    "also store the parameters every k steps (0: never)"),
	INT("eval_every", log.eval_every, "0", 0, SIZE_LIMIT,
	    "every k steps and at the last, loss and accuracy on the whole training and "
	    "validation splits, in the evals table (0: never)"),
	{0},
};

const struct spec_field spec_root_fields[] = {
	STRING("name", name, "run name; default: the spec file name without .yaml",
	       COLUMN("name", NULL, 0)),
	INT("seed", seed, "1", 0, 9007199254740991.0,
	    "seeds data, initial weights and batch order",
	    COLUMN("seed", NULL, 0)),
	SECTION("data", data, data_fields, "the dataset"),
	SECTION("model", model, model_fields, "the network"),
	SECTION("train", train, train_fields, "the training loop"),
	SECTION("log", log, log_fields, "what is recorded"),
	{0},
};

const struct spec_field *spec_field_find(const struct spec_field *fields, const char *key)
{
	for (; fields->key; fields++)
		if (!strcmp(fields->key, key))
			return fields;
	return NULL;
}

void spec_field_expectation(const struct spec_field *field, char *buffer, size_t size)
{
	switch (field->type) {
	case FIELD_INT:
		snprintf(buffer, size, "an integer from %.0f to %.0f", field->min, field->max);
		break;
	case FIELD_REAL:
		if (field->min <= -1e300)
			snprintf(buffer, size, "a finite number");
		else if (field->max >= 1e300)
			snprintf(buffer, size, "a number %s %g", field->min > 0 ? ">" : ">=",
				 field->min > 0 && field->min < 1e-200 ? 0.0 : field->min);
		else
			snprintf(buffer, size, "a number from %g to %g", field->min, field->max);
		break;
	case FIELD_BOOL:
		snprintf(buffer, size, "true or false");
		break;
	case FIELD_STRING:
		snprintf(buffer, size, "a string");
		break;
	case FIELD_CHOICE: {
		size_t used = (size_t)snprintf(buffer, size, "one of ");
		for (int i = 0; field->choices[i] && used < size; i++)
			used += (size_t)snprintf(buffer + used, size - used, "%s%s", i ? ", " : "",
						 field->choices[i]);
		break;
	}
	case FIELD_STEPS:
		snprintf(buffer, size, "a list of step numbers and final, or none");
		break;
	case FIELD_SECTION:
		snprintf(buffer, size, "a mapping");
		break;
	}
}

static int reject(const struct spec_field *field, const char *text, char *message,
		  size_t message_size)
{
	char expected[256];
	spec_field_expectation(field, expected, sizeof expected);
	snprintf(message, message_size, "expected %s, found '%s'", expected, text);
	return -1;
}

static int parse_bool(const char *text, bool *value)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	for (int i = 0; i < 3; i++) {
		if (!strcasecmp(text, yes[i]))
			return *value = true, 0;
		if (!strcasecmp(text, no[i]))
			return *value = false, 0;
	}
	return -1;
}

int spec_field_assign(struct spec *spec, const struct spec_field *field, const char *text,
		      char *message, size_t message_size)
{
	void *target = (char *)spec + field->offset;
	char *end;
	switch (field->type) {
	case FIELD_INT: {
		errno = 0;
		long long value = strtoll(text, &end, 10);
		if (!*text || *end || errno || value < field->min || value > field->max)
			return reject(field, text, message, message_size);
		*(int64_t *)target = value;
		return 0;
	}
	case FIELD_REAL: {
		if (field->default_text && !strcmp(field->default_text, "auto") &&
		    !strcmp(text, "auto")) {
			*(double *)target = NAN;
			return 0;
		}
		errno = 0;
		double value = strtod(text, &end);
		if (!*text || *end || !isfinite(value) || value < field->min ||
		    value > field->max)
			return reject(field, text, message, message_size);
		*(double *)target = value;
		return 0;
	}
	case FIELD_BOOL:
		if (parse_bool(text, target))
			return reject(field, text, message, message_size);
		return 0;
	case FIELD_STRING:
		free(*(char **)target);
		*(char **)target = xstrdup(text);
		return 0;
	case FIELD_CHOICE:
		for (int i = 0; field->choices[i]; i++) {
			if (!strcmp(field->choices[i], text)) {
				*(int *)target = i;
				return 0;
			}
		}
		return reject(field, text, message, message_size);
	case FIELD_STEPS: {
		/* one item: "none" empties the list; lists are assigned item by item */
		struct step_list *list = target;
		if (!strcmp(text, "none")) {
			memset(list, 0, sizeof *list);
			return 0;
		}
		if (!strcmp(text, "final")) {
			list->final = true;
			return 0;
		}
		errno = 0;
		long long step = strtoll(text, &end, 10);
		if (!*text || *end || errno || step < 0 || step > field->max)
			return reject(field, text, message, message_size);
		if (list->count == SPEC_MAX_CHECKPOINTS) {
			snprintf(message, message_size, "at most %d checkpoint steps",
				 SPEC_MAX_CHECKPOINTS);
			return -1;
		}
		list->steps[list->count++] = step;
		return 0;
	}
	case FIELD_SECTION:
		break;
	}
	snprintf(message, message_size, "expected a mapping, found '%s'", text);
	return -1;
}

static void apply_defaults(struct spec *spec, const struct spec_field *fields)
{
	char unused[8];
	for (; fields->key; fields++) {
		if (fields->type == FIELD_SECTION)
			apply_defaults(spec, fields->fields);
		else if (fields->default_text)
			spec_field_assign(spec, fields, fields->default_text, unused, sizeof unused);
	}
}

void spec_apply_defaults(struct spec *spec)
{
	apply_defaults(spec, spec_root_fields);
}

void spec_record_origin(struct spec *spec, const char *path, const char *location)
{
	struct spec_origin *origin = NULL;
	for (int i = 0; i < spec->origin_count; i++)
		if (!strcmp(spec->origins[i].path, path))
			origin = &spec->origins[i];
	if (!origin) {
		if (spec->origin_count == SPEC_MAX_ORIGINS)
			return;
		origin = &spec->origins[spec->origin_count++];
	}
	snprintf(origin->path, sizeof origin->path, "%s", path);
	snprintf(origin->location, sizeof origin->location, "%s", location);
}

const char *spec_origin_of(const struct spec *spec, const char *path)
{
	for (int i = 0; i < spec->origin_count; i++)
		if (!strcmp(spec->origins[i].path, path))
			return spec->origins[i].location;
	return spec->source_path;
}

/* The columns, gathered once from the table in its order, with the one column that no
 * key fills: outputs, the output layer's size. */
static struct spec_column columns[64];
static char column_keys[64][160];
static int column_count;

static void gather_columns(const struct spec_field *fields, const char *prefix)
{
	for (; fields->key; fields++) {
		char path[160];
		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", fields->key);
		if (fields->type == FIELD_SECTION) {
			gather_columns(fields->fields, path);
			continue;
		}
		if (!fields->column)
			continue;
		snprintf(column_keys[column_count], sizeof column_keys[column_count], "%s", path);
		columns[column_count] = (struct spec_column){
			.column = fields->column,
			.key = column_keys[column_count],
			.legend = fields->legend,
			.legend_rank = fields->legend_rank,
			.splits_figures = fields->splits_figures,
			.field = fields,
		};
		column_count++;
	}
}

const struct spec_column *spec_columns(void)
{
	if (column_count == 0) {
		gather_columns(spec_root_fields, "");
		columns[column_count++] = (struct spec_column){
			.column = "outputs", .legend = "%s outputs", .legend_rank = 14};
	}
	return columns;
}

int spec_column_count(void)
{
	spec_columns();
	return column_count;
}

struct spec_value spec_column_value(const struct spec *spec, const struct spec_column *column)
{
	const struct spec_field *field = column->field;
	struct spec_value value = {.type = SPEC_VALUE_NULL};
	if (!field) {
		value.type = SPEC_VALUE_INTEGER;
		value.integer = spec_output_size(spec);
		return value;
	}
	if (field->stored_when && !field->stored_when(spec))
		return value;
	const void *member = (const char *)spec + field->offset;
	switch (field->type) {
	case FIELD_INT:
		value.type = SPEC_VALUE_INTEGER;
		value.integer = *(const int64_t *)member;
		break;
	case FIELD_BOOL:
		value.type = SPEC_VALUE_INTEGER;
		value.integer = *(const bool *)member;
		break;
	case FIELD_REAL:
		value.type = SPEC_VALUE_REAL;
		value.real = *(const double *)member;
		break;
	case FIELD_CHOICE:
		value.type = SPEC_VALUE_TEXT;
		value.text = field->choices[*(const int *)member];
		break;
	case FIELD_STRING:
		value.type = SPEC_VALUE_TEXT;
		value.text = *(char *const *)member ? *(char *const *)member : "";
		break;
	case FIELD_STEPS:
	case FIELD_SECTION:
		break;
	}
	return value;
}
