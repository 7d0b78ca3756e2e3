/* Reading a sweep file and expanding it. The sweep's own keys are few (name, base or
 * spec, grid, random); the spec keys inside the grid are checked by the spec loader, as
 * --set overrides, so a sweep accepts exactly what `gtrack run --set` accepts. */
#include "sweep/sweep.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "data/dataset.h"
#include "util/error.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/printable.h"
#include "util/rng.h"
#include "util/strbuf.h"

#define SWEEP_MAX_BYTES (1 << 20)
/* Grids multiply; this bounds a typo such as [1, 2, ..., 1000] x 5 keys. */
#define SWEEP_MAX_RUNS 100000
#define RNG_STREAM_SWEEP 4

/* One dimension of the expansion: a spec key and its values as override text. */
struct axis {
	char *key;
	char **values;
	int count;
};

struct parser {
	const char *path;
	yaml_document_t document;
	int errors;
	bool *visiting; /* per node: being written out by node_text, to catch recursion */
	const char *key; /* the grid key whose value node_text writes */
};

static yaml_node_t *node(struct parser *p, int index)
{
	return yaml_document_get_node(&p->document, index);
}

static void fail_at(struct parser *p, int index, const char *fmt, ...) GT_PRINTF(3, 4);

static void fail_at(struct parser *p, int index, const char *fmt, ...)
{
	yaml_node_t *n = node(p, index);
	char message[512];
	va_list arguments;
	va_start(arguments, fmt);
	vsnprintf(message, sizeof message, fmt, arguments);
	va_end(arguments);
	error("%s:%zu:%zu: %s", p->path, n->start_mark.line + 1, n->start_mark.column + 1,
	      message);
	p->errors++;
}

/* Grid values are written back as text, which expands every alias: these bound what one
 * value may become (an alias bomb of a few hundred bytes would otherwise expand to
 * gigabytes) and how deep it may nest. A grid value is a few bytes. */
#define SWEEP_VALUE_MAX_BYTES (64 * 1024)
#define SWEEP_VALUE_MAX_DEPTH 64

/* Writes a scalar for --set: plain as it was, quoted ones double-quoted with control
 * characters as YAML escapes, so a value never carries a raw newline or escape sequence
 * into a run name, a task file or a terminal. */
static void scalar_text(const yaml_node_t *n, struct strbuf *out)
{
	const char *text = (const char *)n->data.scalar.value;
	bool quoted = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		      n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (!quoted && text_is_printable(text, NULL)) {
		strbuf_puts(out, text);
		return;
	}
	struct strbuf escaped;
	strbuf_init(&escaped);
	for (const char *c = text; *c; c++) {
		if (*c == '"' || *c == '\\')
			strbuf_add(&escaped, "\\", 1);
		strbuf_add(&escaped, c, 1);
	}
	strbuf_puts(out, "\"");
	text_escape_printable(out, escaped.text);
	strbuf_puts(out, "\"");
	strbuf_free(&escaped);
}

/* Writes a node back as flow YAML, the form --set takes. Returns -1 with a message at
 * the grid value (top) when it is recursive or expands beyond the bounds above. */
static int node_text(struct parser *p, int top, int index, int depth, struct strbuf *out)
{
	yaml_node_t *n = node(p, index);
	if (depth > SWEEP_VALUE_MAX_DEPTH || p->visiting[index]) {
		fail_at(p, top, "grid.%s: the value contains itself through an alias, or nests "
				"deeper than %d levels",
			p->key, SWEEP_VALUE_MAX_DEPTH);
		return -1;
	}
	if (out->length > SWEEP_VALUE_MAX_BYTES) {
		fail_at(p, top, "grid.%s: the value expands to more than %d bytes (aliases "
				"repeat it)", p->key, SWEEP_VALUE_MAX_BYTES);
		return -1;
	}
	int result = 0;
	p->visiting[index] = true;
	if (n->type == YAML_SCALAR_NODE) {
		scalar_text(n, out);
	} else if (n->type == YAML_SEQUENCE_NODE) {
		strbuf_puts(out, "[");
		for (yaml_node_item_t *item = n->data.sequence.items.start;
		     !result && item < n->data.sequence.items.top; item++) {
			if (item != n->data.sequence.items.start)
				strbuf_puts(out, ", ");
			result = node_text(p, top, *item, depth + 1, out);
		}
		strbuf_puts(out, "]");
	} else if (n->type == YAML_MAPPING_NODE) {
		strbuf_puts(out, "{");
		for (yaml_node_pair_t *pair = n->data.mapping.pairs.start;
		     !result && pair < n->data.mapping.pairs.top; pair++) {
			if (pair != n->data.mapping.pairs.start)
				strbuf_puts(out, ", ");
			result = node_text(p, top, pair->key, depth + 1, out);
			strbuf_puts(out, ": ");
			if (!result)
				result = node_text(p, top, pair->value, depth + 1, out);
		}
		strbuf_puts(out, "}");
	}
	p->visiting[index] = false;
	return result;
}

static const char *scalar(struct parser *p, int index)
{
	yaml_node_t *n = node(p, index);
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void axis_free(struct axis *axes, int count)
{
	for (int a = 0; a < count; a++) {
		free(axes[a].key);
		for (int v = 0; v < axes[a].count; v++)
			free(axes[a].values[v]);
		free(axes[a].values);
	}
	free(axes);
}

static void read_grid(struct parser *p, int grid, struct axis **axes, int *count)
{
	yaml_node_t *n = node(p, grid);
	if (n->type != YAML_MAPPING_NODE) {
		fail_at(p, grid, "grid: expected a mapping of spec keys to lists of values");
		return;
	}
	int pairs = (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	*axes = xcalloc((size_t)pairs + 1, sizeof **axes);
	for (int i = 0; i < pairs; i++) {
		yaml_node_pair_t pair = node(p, grid)->data.mapping.pairs.start[i];
		const char *key = scalar(p, pair.key);
		yaml_node_t *values = node(p, pair.value);
		if (!key) {
			fail_at(p, pair.key, "grid: keys are spec keys such as model.depth");
			continue;
		}
		if (values->type != YAML_SEQUENCE_NODE ||
		    values->data.sequence.items.top == values->data.sequence.items.start) {
			fail_at(p, pair.value, "grid.%s: expected a non-empty list of values", key);
			continue;
		}
		struct axis *axis = &(*axes)[(*count)++];
		axis->key = xstrdup(key);
		int items = (int)(values->data.sequence.items.top - values->data.sequence.items.start);
		axis->values = xcalloc((size_t)items, sizeof *axis->values);
		p->key = key;
		for (int v = 0; v < items; v++) {
			int value = node(p, pair.value)->data.sequence.items.start[v];
			struct strbuf text;
			strbuf_init(&text);
			if (node_text(p, value, value, 0, &text)) {
				strbuf_free(&text);
				break;
			}
			axis->values[axis->count++] = strbuf_detach(&text);
		}
	}
}

/* A random-search dimension: KEY: {uniform: [low, high]} or {log_uniform: [...]}. */
struct range_axis {
	char *key;
	double low, high;
	bool logarithmic;
};

static bool number_pair(struct parser *p, int index, double *low, double *high)
{
	yaml_node_t *n = node(p, index);
	if (n->type != YAML_SEQUENCE_NODE || n->data.sequence.items.top - n->data.sequence.items.start != 2)
		return false;
	const char *a = scalar(p, n->data.sequence.items.start[0]);
	const char *b = scalar(p, node(p, index)->data.sequence.items.start[1]);
	char *end_a, *end_b;
	if (!a || !b)
		return false;
	*low = strtod(a, &end_a);
	*high = strtod(b, &end_b);
	return !*end_a && !*end_b && *a && *b && isfinite(*low) && isfinite(*high) && *low <= *high;
}

static void read_random(struct parser *p, int random, int64_t *samples, uint64_t *seed,
			struct range_axis **ranges, int *count)
{
	yaml_node_t *n = node(p, random);
	if (n->type != YAML_MAPPING_NODE) {
		fail_at(p, random, "random: expected a mapping with samples and key ranges");
		return;
	}
	int pairs = (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	*ranges = xcalloc((size_t)pairs + 1, sizeof **ranges);
	for (int i = 0; i < pairs; i++) {
		yaml_node_pair_t pair = node(p, random)->data.mapping.pairs.start[i];
		const char *key = scalar(p, pair.key);
		if (!key)
			continue;
		if (!strcmp(key, "samples") || !strcmp(key, "seed")) {
			const char *text = scalar(p, pair.value);
			char *end;
			long long value = text ? strtoll(text, &end, 10) : -1;
			if (!text || *end || !*text || value < (strcmp(key, "seed") ? 1 : 0)) {
				fail_at(p, pair.value, "random.%s: expected a whole number", key);
				continue;
			}
			if (!strcmp(key, "samples"))
				*samples = value;
			else
				*seed = (uint64_t)value;
			continue;
		}
		yaml_node_t *range = node(p, pair.value);
		const char *kind = range->type == YAML_MAPPING_NODE &&
						   range->data.mapping.pairs.top - range->data.mapping.pairs.start == 1
					   ? scalar(p, range->data.mapping.pairs.start[0].key)
					   : NULL;
		bool logarithmic = kind && !strcmp(kind, "log_uniform");
		double low = 0, high = 0;
		if (!kind || (strcmp(kind, "uniform") && !logarithmic) ||
		    !number_pair(p, node(p, pair.value)->data.mapping.pairs.start[0].value, &low, &high) ||
		    (logarithmic && low <= 0)) {
			fail_at(p, pair.value,
				"random.%s: expected {uniform: [low, high]} or {log_uniform: [low, high]} "
				"with low <= high (and low > 0 for log_uniform)", key);
			continue;
		}
		(*ranges)[(*count)++] = (struct range_axis){xstrdup(key), low, high, logarithmic};
	}
	if (*samples <= 0 && !p->errors)
		fail_at(p, random, "random: expected samples: N, the number of draws");
}

/* The base spec: a file named by `base` (relative to the sweep file), or the `spec`
 * mapping itself, cut out of the sweep file with its line numbers kept (the text before
 * it becomes blank lines) so that errors point into the sweep file. */
static int read_base(struct parser *p, struct sweep *sweep, int base, int inline_spec)
{
	if (base && inline_spec) {
		fail_at(p, inline_spec, "give either base (a spec file) or spec (inline), not both");
		return -1;
	}
	if (base) {
		const char *file = scalar(p, base);
		if (!file) {
			fail_at(p, base, "base: expected the path of a spec file");
			return -1;
		}
		char resolved[4096];
		const char *slash = strrchr(sweep->path, '/');
		if (file[0] == '/' || !slash)
			snprintf(resolved, sizeof resolved, "%s", file);
		else
			snprintf(resolved, sizeof resolved, "%.*s/%s", (int)(slash - sweep->path),
				 sweep->path, file);
		sweep->base_label = xstrdup(resolved);
		sweep->base_text = file_read_text(resolved, "spec", SWEEP_MAX_BYTES, NULL);
		return sweep->base_text ? 0 : -1;
	}
	if (!inline_spec) {
		error("%s: expected base (a spec file) or spec (an inline spec)", sweep->path);
		p->errors++;
		return -1;
	}
	yaml_node_t *n = node(p, inline_spec);
	if (n->type != YAML_MAPPING_NODE) {
		fail_at(p, inline_spec, "spec: expected a mapping, the spec itself");
		return -1;
	}
	size_t start = n->start_mark.index, end = n->end_mark.index;
	struct strbuf text;
	strbuf_init(&text);
	for (size_t line = 0; line < n->start_mark.line; line++)
		strbuf_puts(&text, "\n");
	for (size_t column = 0; column < n->start_mark.column; column++)
		strbuf_puts(&text, " ");
	strbuf_add(&text, sweep->text + start, end - start);
	strbuf_puts(&text, "\n");
	sweep->base_label = xstrdup(sweep->path);
	sweep->base_text = strbuf_detach(&text);
	return 0;
}

static const char *short_key(const char *key)
{
	const char *dot = strrchr(key, '.');
	return dot ? dot + 1 : key;
}

static int expand(struct sweep *sweep, struct axis *axes, int axis_count,
		  struct range_axis *ranges, int range_count, int64_t samples, uint64_t seed)
{
	/* checked before each product too: random.samples alone may exceed the limit, and
	 * a product of unchecked counts may overflow */
	int64_t total = samples > 0 ? samples : 1;
	for (int a = 0; a < axis_count && total <= SWEEP_MAX_RUNS; a++)
		total *= axes[a].count;
	if (total > SWEEP_MAX_RUNS)
		return error("%s: the sweep expands to more than %d runs", sweep->path,
			     SWEEP_MAX_RUNS);
	sweep->runs = xcalloc((size_t)total, sizeof *sweep->runs);
	int *position = xcalloc((size_t)axis_count + 1, sizeof(int));
	struct rng rng;
	rng_seed(&rng, seed, RNG_STREAM_SWEEP);
	int result = 0;
	for (int64_t r = 0; r < total; r++) {
		struct sweep_run *run = &sweep->runs[sweep->run_count];
		run->overrides = xcalloc((size_t)(axis_count + range_count + 1), sizeof(char *));
		struct strbuf name;
		strbuf_init(&name);
		strbuf_printf(&name, "%s:", sweep->name);
		/* the first grid key varies slowest */
		int64_t rest = samples > 0 ? r / samples : r;
		for (int a = axis_count - 1; a >= 0; a--) {
			position[a] = (int)(rest % axes[a].count);
			rest /= axes[a].count;
		}
		for (int a = 0; a < axis_count; a++) {
			struct strbuf assignment;
			strbuf_init(&assignment);
			strbuf_printf(&assignment, "%s=%s", axes[a].key, axes[a].values[position[a]]);
			run->overrides[run->override_count++] = strbuf_detach(&assignment);
			strbuf_printf(&name, "%s%s=%s", a ? "," : "", short_key(axes[a].key),
				      axes[a].values[position[a]]);
		}
		for (int k = 0; k < range_count; k++) {
			double u = rng_uniform(&rng), value;
			if (ranges[k].logarithmic)
				value = exp(log(ranges[k].low) +
					    u * (log(ranges[k].high) - log(ranges[k].low)));
			else
				value = ranges[k].low + u * (ranges[k].high - ranges[k].low);
			struct strbuf assignment;
			strbuf_init(&assignment);
			strbuf_printf(&assignment, "%s=%.17g", ranges[k].key, value);
			run->overrides[run->override_count++] = strbuf_detach(&assignment);
			strbuf_printf(&name, "%s%s=%.3g", axis_count || k ? "," : "",
				      short_key(ranges[k].key), value);
		}
		if (samples > 0)
			strbuf_printf(&name, ",draw=%lld", (long long)(r % samples));
		run->name = strbuf_detach(&name);
		sweep->run_count++;
		/* the data is read and the spec fitted now: a bad file stops the sweep before
		 * anything trains, and spec_hash (which holds the data's hash) is final for the
		 * resume check */
		if (spec_load_text(&run->spec, sweep->base_text, sweep->base_label,
				   (const char *const *)run->overrides, run->override_count) ||
		    dataset_check(&run->spec)) {
			/* the first invalid run is enough: a bad base spec would repeat its error
			 * for every run */
			error("%s: run %lld (%s) is invalid", sweep->path, (long long)r, run->name);
			result = -1;
			break;
		}
		free(run->spec.name);
		run->spec.name = xstrdup(run->name);
		if (spec_check_name(run->name, sweep->path)) {
			result = -1;
			break;
		}
	}
	free(position);
	return result;
}

static int read_sweep(struct sweep *sweep, const char *path, bool expand_runs)
{
	struct parser p = {.path = path};
	yaml_parser_t parser;
	struct axis *axes = NULL;
	struct range_axis *ranges = NULL;
	int axis_count = 0, range_count = 0, result = -1;
	int64_t samples = 0;
	uint64_t random_seed = 0;

	memset(sweep, 0, sizeof *sweep);
	sweep->path = xstrdup(path);
	if (!(sweep->text = file_read_text(path, "sweep", SWEEP_MAX_BYTES, NULL))) {
		sweep_free(sweep);
		return -1;
	}
	snprintf(sweep->sweep_hash, sizeof sweep->sweep_hash, "%016llx",
		 (unsigned long long)hash_fnv1a64(sweep->text, strlen(sweep->text)));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)sweep->text,
				     strlen(sweep->text));
	if (!yaml_parser_load(&parser, &p.document)) {
		error("%s:%zu:%zu: malformed YAML: %s", path, parser.problem_mark.line + 1,
		      parser.problem_mark.column + 1, parser.problem ? parser.problem : "");
		yaml_parser_delete(&parser);
		sweep_free(sweep);
		return -1;
	}
	yaml_parser_delete(&parser);
	p.visiting = xcalloc((size_t)(p.document.nodes.top - p.document.nodes.start) + 1,
			     sizeof *p.visiting);
	yaml_node_t *root = yaml_document_get_root_node(&p.document);
	if (!root || root->type != YAML_MAPPING_NODE) {
		error("%s: expected a mapping with base (or spec) and grid", path);
		goto done;
	}
	int base = 0, inline_spec = 0, grid = 0, random = 0;
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		const char *key = scalar(&p, pair->key);
		if (key && !strcmp(key, "name") && scalar(&p, pair->value)) {
			free(sweep->name); /* a name given twice: the last one counts */
			sweep->name = xstrdup(scalar(&p, pair->value));
			char where[4096 + 64];
			yaml_node_t *value = node(&p, pair->value);
			snprintf(where, sizeof where, "%s:%zu:%zu", path, value->start_mark.line + 1,
				 value->start_mark.column + 1);
			if (spec_check_name(sweep->name, where))
				p.errors++;
		} else if (key && !strcmp(key, "base"))
			base = pair->value;
		else if (key && !strcmp(key, "spec"))
			inline_spec = pair->value;
		else if (key && !strcmp(key, "grid"))
			grid = pair->value;
		else if (key && !strcmp(key, "random"))
			random = pair->value;
		else
			fail_at(&p, pair->key, "%s: unknown key; expected one of name, base, spec, "
					       "grid, random", key ? key : "?");
	}
	if (!sweep->name) {
		const char *slash = strrchr(path, '/');
		sweep->name = xstrdup(slash ? slash + 1 : path);
		char *dot = strrchr(sweep->name, '.');
		if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
			*dot = '\0';
		if (spec_check_name(sweep->name, path))
			p.errors++;
	}
	if (grid)
		read_grid(&p, grid, &axes, &axis_count);
	if (random)
		read_random(&p, random, &samples, &random_seed, &ranges, &range_count);
	if (!grid && !random)
		error("%s: expected grid (and/or random): the keys that vary", path), p.errors++;
	if (p.errors)
		goto done;
	if (!expand_runs) {
		result = 0;
		goto done;
	}
	if (read_base(&p, sweep, base, inline_spec))
		goto done;
	if (expand(sweep, axes, axis_count, ranges, range_count, samples, random_seed))
		goto done;
	result = 0;
done:
	yaml_document_delete(&p.document);
	free(p.visiting);
	axis_free(axes, axis_count);
	for (int k = 0; k < range_count; k++)
		free(ranges[k].key);
	free(ranges);
	if (result)
		sweep_free(sweep);
	return result;
}

int sweep_load(struct sweep *sweep, const char *path)
{
	return read_sweep(sweep, path, true);
}

int sweep_load_identity(struct sweep *sweep, const char *path)
{
	return read_sweep(sweep, path, false);
}

void sweep_free(struct sweep *sweep)
{
	if (!sweep)
		return;
	for (int r = 0; r < sweep->run_count; r++) {
		struct sweep_run *run = &sweep->runs[r];
		free(run->name);
		for (int o = 0; o < run->override_count; o++)
			free(run->overrides[o]);
		free(run->overrides);
		spec_free(&run->spec);
	}
	free(sweep->runs);
	free(sweep->name), free(sweep->path), free(sweep->text);
	free(sweep->base_label), free(sweep->base_text);
	memset(sweep, 0, sizeof *sweep);
}
