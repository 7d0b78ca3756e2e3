/* The experiment spec: what a YAML file (plus --set overrides) describes.
 *
 * Every key lives in one table (spec_fields.c) that drives parsing, overrides, the
 * canonical dump used for spec_hash, and the reference printed by `gtrack help spec`.
 * A loaded spec is complete: defaults are filled in and cross-field rules checked. */
#ifndef GT_SPEC_H
#define GT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

enum data_kind { DATA_GAUSSIAN, DATA_BLOBS, DATA_SPIRALS, DATA_TEACHER, DATA_CSV, DATA_IDX };
enum activation_kind {
	ACT_LINEAR,
	ACT_SIGMOID,
	ACT_TANH,
	ACT_RELU,
	ACT_LEAKY_RELU,
	ACT_ELU,
	ACT_GELU,
	ACT_SOFTPLUS,
	ACT_SILU,
};
enum init_scheme {
	INIT_XAVIER_UNIFORM,
	INIT_XAVIER_NORMAL,
	INIT_HE_UNIFORM,
	INIT_HE_NORMAL,
	INIT_LECUN_NORMAL,
	INIT_ORTHOGONAL,
};
enum norm_kind { NORM_NONE, NORM_LAYERNORM, NORM_BATCHNORM };
/* where the activation sits around a residual block (see model.residual.form) */
enum residual_form { RESIDUAL_BRANCH, RESIDUAL_POST, RESIDUAL_PRE };
enum residual_init { RESIDUAL_INIT_DEFAULT, RESIDUAL_INIT_FIXUP, RESIDUAL_INIT_ZERO_LAST };
enum optimizer_kind { OPTIMIZER_SGD, OPTIMIZER_ADAM, OPTIMIZER_ADAMW };
enum schedule_kind { SCHEDULE_CONSTANT, SCHEDULE_STEP, SCHEDULE_COSINE };
enum loss_kind { LOSS_CROSS_ENTROPY, LOSS_MSE };
enum dtype { DTYPE_FLOAT32, DTYPE_FLOAT64 };

/* Names as written in specs and stored in the database, indexed by the enums above;
 * each list ends with NULL. */
extern const char *const data_kind_names[];
extern const char *const activation_names[];
extern const char *const init_scheme_names[];
extern const char *const optimizer_names[];
extern const char *const schedule_names[];
extern const char *const norm_names[];
extern const char *const residual_form_names[];
extern const char *const residual_init_names[];
extern const char *const loss_names[];
extern const char *const dtype_names[];

/* Steps at which parameters are stored: a list of steps, and/or the final weights. */
#define SPEC_MAX_CHECKPOINTS 64
struct step_list {
	int64_t steps[SPEC_MAX_CHECKPOINTS];
	int count;
	bool final; /* the weights after the last update, stored as step train.steps */
};

/* Where a key's value came from, for errors found after parsing. */
struct spec_origin {
	char path[48];     /* "model.depth" */
	char location[96]; /* "spec.yaml:7:12" or "--set model.depth=30" */
};

/* Every key can be given (a resolved spec gives them all), plus shorthand paths. */
#define SPEC_MAX_ORIGINS 128

struct spec {
	char *name;
	int64_t seed;
	struct {
		int kind; /* enum data_kind */
		int64_t samples;
		int64_t features;
		int64_t classes;
		int64_t outputs;       /* regression targets (teacher + mse) */
		int64_t teacher_width; /* hidden units of the teacher network */
		double variance;       /* gaussian: input variance */
		double noise;          /* NAN until resolved by kind */
		double separation;     /* blobs: spread of the class centres */
		char *path;            /* csv: the file (.gz read transparently) */
		char *label;           /* csv: label column, a name or a 0-based index; "" last */
		char *images, *labels; /* idx: the image and label files */
		bool standardize;      /* z-score features, statistics from the training part */
		double validation;     /* fraction held out for evaluation */
		bool shuffle;          /* shuffle examples (from the seed) before the split */
	} data;
	struct {
		int64_t depth; /* hidden layers; the output layer comes on top */
		int64_t width;
		struct {
			int kind; /* enum activation_kind */
			double slope; /* leaky_relu: slope for negative inputs */
		} activation;
		struct {
			int scheme; /* enum init_scheme */
			double gain;
			double bias;
		} init;
		struct {
			bool enabled;
			double alpha;       /* the branch's scale; the start value when learned */
			int64_t block;      /* linear layers per residual branch */
			int form;           /* enum residual_form */
			bool learn_alpha;   /* one trained alpha per block (ReZero) */
			int init;           /* enum residual_init */
		} residual;
		struct {
			int kind; /* enum norm_kind */
			double eps;
			double momentum; /* batchnorm: weight of the batch in the running statistics */
		} norm;
	} model;
	struct {
		int64_t steps;
		int64_t batch_size;
		struct {
			int kind; /* enum optimizer_kind */
			double lr;
			double momentum;
			bool nesterov;
			double beta1, beta2, eps;
			double weight_decay;
		} optimizer;
		struct {
			int kind; /* enum schedule_kind */
			int64_t warmup_steps;
			int64_t step_size;
			double gamma;
			double min_lr;
		} schedule;
		double clip_norm;  /* 0: off */
		double clip_value; /* 0: off */
		int loss;  /* enum loss_kind */
		int dtype; /* enum dtype */
	} train;
	struct {
		int64_t every;
		struct step_list checkpoints;
		int64_t checkpoint_every; /* 0: off */
		int64_t eval_every;       /* 0: off */
	} log;

	/* Provenance, owned by the spec. */
	char *source_path; /* file name as given, or a label for in-memory specs */
	char *source_text; /* the YAML as given */
	char *overrides;   /* "--set a=b --set c=d" as given, "" when none */
	char spec_hash[17]; /* for a file dataset, final once dataset_generate has read it */
	char data_hash[17]; /* FNV-1a of the data file's contents; "" for generated data */
	int64_t sweep_id; /* the sweep the run belongs to in its database; 0 for none */
	struct spec_origin origins[SPEC_MAX_ORIGINS];
	int origin_count;
};

/* Loads a spec from a YAML file and applies `--set KEY=VALUE` overrides (each given as
 * "KEY=VALUE") with the same checks as the file. On error, every problem found is
 * reported as "FILE:LINE:COLUMN: KEY.PATH: ..." and -1 is returned; the spec is left
 * empty and needs no spec_free. */
int spec_load_file(struct spec *spec, const char *path, const char *const *overrides,
		   int override_count);
/* The same from text in memory; `label` stands in for the file name in messages. */
int spec_load_text(struct spec *spec, const char *text, const char *label,
		   const char *const *overrides, int override_count);
void spec_free(struct spec *spec);

/* Names are data that lands in terminals, scripts and reports: a name (where says whose,
 * e.g. "--name" or "spec.yaml:1:7") must be valid UTF-8 without control characters.
 * Returns -1 with a message showing the name escaped, 0 when it is fine. */
int spec_check_name(const char *name, const char *where);

/* Writes the resolved spec as YAML with every key; with include_identity false, `name`
 * and `seed` are left out (that is the text spec_hash is computed from, so runs that
 * differ only in seed share a hash). */
void spec_emit(const struct spec *spec, struct strbuf *out, bool include_identity);

/* Writes the reference of every key: path, type, default and meaning. */
void spec_describe(struct strbuf *out);

/* The canonical text spec_hash is computed from: every key but name and seed, data
 * paths left empty (a file's contents identify it, not where it lies, so a resolved spec
 * re-run from another directory keeps its hash), then data_hash when there is one. */
void spec_emit_canonical(const struct spec *spec, struct strbuf *out);
/* Recomputes spec_hash from spec_emit_canonical, after the spec was fitted to its data. */
void spec_rehash(struct spec *spec);

/* Where the value of path ("data.classes") came from: "spec.yaml:7:12" or "--set ...",
 * or the source file when it is the default. */
const char *spec_origin_of(const struct spec *spec, const char *path);
/* True when the value of path ("data.classes") was given by the file or a --set, false
 * when it is the default. */
bool spec_key_given(const struct spec *spec, const char *path);

/* True for csv and idx: the data, and so samples, features and classes, come from files. */
bool spec_reads_file(const struct spec *spec);

/* Refuses, with the sizes and the amount in the message, a spec whose training would
 * need more than 80% of this machine's memory (spec_memory_bytes). Generated data is
 * checked when the spec is loaded; file data once its sizes are known. */
int spec_check_memory(const struct spec *spec);

/* Size of the network's output layer: classes, or data.outputs for teacher regression. */
int64_t spec_output_size(const struct spec *spec);
/* True when targets are class labels (cross_entropy); false for regression targets. */
bool spec_uses_labels(const struct spec *spec);
/* True when the parameters used at step (or, for step == train.steps, the final ones)
 * are to be stored. */
bool spec_is_checkpoint(const struct spec *spec, int64_t step);
/* A runs column that holds a spec value. The spec field table (spec_fields.c) says
 * which key fills which column, so the runs INSERT binds by name and the report's field
 * list is derived from the same rows. */
struct spec_column {
	const char *column; /* runs column */
	const char *key;    /* "train.optimizer.lr"; NULL for outputs (spec_output_size) */
	/* the value in legends: a printf format ("d=%s", "%s" for the value alone), or
	 * NULL for "column=value" */
	const char *legend;
	/* position among the fields that tell runs apart, in legends and the report's runs
	 * table; 0 for name and seed, which identify a run rather than describe it */
	int legend_rank;
	/* the training schedule (lr, steps, ...): no effect on the gradient at
	 * initialisation, so by default runs that differ in it are put in different
	 * figures rather than compared within one */
	bool splits_figures;
	const void *field; /* the key's row, internal to src/spec */
};

/* Every runs column a spec fills, ending with {NULL}. */
const struct spec_column *spec_columns(void);
/* The number of entries of spec_columns. */
int spec_column_count(void);

/* A column's value for one spec: SQL NULL (e.g. residual_alpha when residual is off),
 * an integer (also booleans, 0 or 1), a real, or text (choice names). */
struct spec_value {
	enum { SPEC_VALUE_NULL, SPEC_VALUE_INTEGER, SPEC_VALUE_REAL, SPEC_VALUE_TEXT } type;
	int64_t integer;
	double real;
	const char *text; /* owned by the spec or static */
};
struct spec_value spec_column_value(const struct spec *spec, const struct spec_column *column);

/* One layer of the network. Layers are 0..depth: hidden layers, then the output layer. */
struct layer_shape {
	int64_t fan_in, fan_out;
	bool output;     /* the last layer: linear (softmax belongs to the loss), no norm */
	/* Residual blocks: layer 0 (the stem) and the output layer are outside every block;
	 * hidden layers 1..depth-1 form consecutive blocks of model.residual.block layers. */
	int64_t block;   /* the layer's block, from 0; -1 outside blocks */
	bool residual;   /* the last layer of a block: the skip connection is added here */
	bool normalised; /* layernorm or batchnorm between the linear map and the activation */
	int activation;  /* enum activation_kind; ACT_LINEAR for the output layer */
};
/* The shape of `layer`: the one place layer sizes are derived from a (fitted) spec, for
 * the network's buffers, the layers rows and the memory estimate. */
struct layer_shape spec_layer_shape(const struct spec *spec, int64_t layer);
/* Residual blocks of the network: (depth - 1) / block when residual is on, else 0. */
int64_t spec_block_count(const struct spec *spec);
/* depth + 1 */
int64_t spec_layer_count(const struct spec *spec);

#endif
