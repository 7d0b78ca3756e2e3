/* Loading a spec: libyaml builds the node tree, overrides are applied to it, and a walk
 * over the tree and the field table (spec_fields.c) fills struct spec. Every problem is
 * reported with its location; the walk goes on after an error so one run of gtrack shows
 * all of them. */
#include "spec/spec.h"
#include "spec/spec_check.h"
#include "spec/spec_document.h"
#include "spec/spec_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/suggest.h"

/* Largest spec file read; a spec is a few hundred bytes, anything near this is a mistake. */
#define SPEC_MAX_BYTES (1 << 20)

void spec_document_locate(const struct spec_document *document, int node, char *buffer,
			  size_t size)
{
	if (node > document->file_node_count) {
		for (int i = 0; i < document->override_count; i++) {
			if (node <= document->override_last_node[i]) {
				snprintf(buffer, size, "--set %s", document->override_text[i]);
				return;
			}
		}
	}
	yaml_node_t *n = yaml_document_get_node((yaml_document_t *)&document->yaml, node);
	snprintf(buffer, size, "%s:%zu:%zu", document->label, n->start_mark.line + 1,
		 n->start_mark.column + 1);
}

static const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

/* The key of fields nearest to `key` within max_distance edits, or NULL. */
static const char *closest_key(const struct spec_field *fields, const char *key,
			       size_t max_distance)
{
	const char *best = NULL;
	size_t best_distance = max_distance + 1;
	for (; fields->key; fields++) {
		size_t d = edit_distance(fields->key, key);
		if (d < best_distance) {
			best_distance = d;
			best = fields->key;
		}
	}
	return best;
}

/* Adds to suggestions the full path of every key in the tree whose own name is within
 * max_distance edits of name ("lr" finds "train.optimizer.lr"). */
static void find_elsewhere(const struct spec_field *fields, const char *prefix,
			   const char *name, size_t max_distance, struct strbuf *suggestions,
			   int *count)
{
	for (; fields->key; fields++) {
		char path[160];
		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", fields->key);
		if (edit_distance(fields->key, name) <= max_distance && *count < 3) {
			strbuf_printf(suggestions, "%s'%s'", *count ? " or " : "", path);
			(*count)++;
		}
		if (fields->type == FIELD_SECTION)
			find_elsewhere(fields->fields, path, name, max_distance, suggestions, count);
	}
}

/* "did you mean" for an unknown key `name` in the section `fields` (at `prefix`): a
 * near miss in the same section first (a bare key, "width"), then a key of that name
 * deeper in the section or elsewhere, where the user's path went wrong ("train.lr":
 * 'train.optimizer.lr'), then a weaker near miss in the section, then a near miss
 * anywhere. Writes nothing when nothing is close. */
static void suggest_key(const struct spec_field *fields, const char *prefix,
			const char *name, struct strbuf *out)
{
	const char *near = closest_key(fields, name, 1);
	if (near) {
		strbuf_printf(out, " (did you mean '%s'?)", near);
		return;
	}
	struct strbuf elsewhere;
	strbuf_init(&elsewhere);
	int count = 0;
	find_elsewhere(fields, prefix, name, 0, &elsewhere, &count);
	if (count == 0)
		find_elsewhere(spec_root_fields, "", name, 0, &elsewhere, &count);
	if (count == 0 && (near = closest_key(fields, name, 2)))
		strbuf_printf(&elsewhere, "'%s'", near), count = 1;
	if (count == 0)
		find_elsewhere(spec_root_fields, "", name, 1, &elsewhere, &count);
	if (count)
		strbuf_printf(out, " (did you mean %s?)", elsewhere.text);
	strbuf_free(&elsewhere);
}

struct walk {
	struct spec *spec;
	struct spec_document *document;
	int errors;
};

static void walk_error(struct walk *walk, int node, const char *path, const char *message)
{
	char location[320];
	spec_document_locate(walk->document, node, location, sizeof location);
	error("%s: %s: %s", location, path, message);
	walk->errors++;
}

static void walk_section(struct walk *walk, int mapping, const struct spec_field *fields,
			 const char *prefix);

static void walk_value(struct walk *walk, int value_index, const struct spec_field *field,
		       const char *path)
{
	yaml_node_t *value = yaml_document_get_node(&walk->document->yaml, value_index);
	char message[512];

	if (field->type == FIELD_SECTION) {
		if (value->type == YAML_MAPPING_NODE) {
			if (field->implied) {
				bool on = true;
				memcpy((char *)walk->spec + field->implied->offset, &on, sizeof on);
			}
			walk_section(walk, value_index, field->fields, path);
			return;
		}
		if (value->type == YAML_SCALAR_NODE && field->shorthand) {
			const struct spec_field *primary = spec_field_find(field->fields,
									   field->shorthand);
			char primary_path[160];
			snprintf(primary_path, sizeof primary_path, "%s.%s", path, field->shorthand);
			walk_value(walk, value_index, primary, path);
			spec_record_origin(walk->spec, primary_path,
					   spec_origin_of(walk->spec, path));
			return;
		}
		snprintf(message, sizeof message, "expected a mapping%s, found %s",
			 field->shorthand ? " or a name" : "", node_kind(value));
		walk_error(walk, value_index, path, message);
		return;
	}

	if (field->type == FIELD_STEPS) {
		/* a scalar or a list of scalars, each assigned in turn to an emptied list */
		memset((char *)walk->spec + field->offset, 0, sizeof(struct step_list));
		int items = value->type == YAML_SEQUENCE_NODE
				    ? (int)(value->data.sequence.items.top - value->data.sequence.items.start)
				    : 1;
		for (int i = 0; i < items; i++) {
			int item = value->type == YAML_SEQUENCE_NODE
					   ? value->data.sequence.items.start[i]
					   : value_index;
			yaml_node_t *n = yaml_document_get_node(&walk->document->yaml, item);
			if (n->type != YAML_SCALAR_NODE ||
			    spec_field_assign(walk->spec, field, (const char *)n->data.scalar.value,
					      message, sizeof message)) {
				if (n->type != YAML_SCALAR_NODE) {
					char expected[256];
					spec_field_expectation(field, expected, sizeof expected);
					snprintf(message, sizeof message, "expected %s", expected);
				}
				walk_error(walk, item, path, message);
				return;
			}
			value = yaml_document_get_node(&walk->document->yaml, value_index);
		}
		char location[320];
		spec_document_locate(walk->document, value_index, location, sizeof location);
		spec_record_origin(walk->spec, path, location);
		return;
	}

	if (value->type != YAML_SCALAR_NODE) {
		char expected[256];
		spec_field_expectation(field, expected, sizeof expected);
		snprintf(message, sizeof message, "expected %s, found %s", expected,
			 node_kind(value));
		walk_error(walk, value_index, path, message);
		return;
	}
	const char *text = (const char *)value->data.scalar.value;
	bool quoted = value->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		      value->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	bool is_null = !quoted && (!*text || !strcmp(text, "~") || !strcmp(text, "null"));
	if (is_null || (quoted && field->type != FIELD_STRING && field->type != FIELD_CHOICE)) {
		char expected[256];
		spec_field_expectation(field, expected, sizeof expected);
		if (is_null)
			snprintf(message, sizeof message, "expected %s, found nothing", expected);
		else
			snprintf(message, sizeof message, "expected %s, found the string \"%s\"",
				 expected, text);
		walk_error(walk, value_index, path, message);
		return;
	}
	if (spec_field_assign(walk->spec, field, text, message, sizeof message)) {
		if (field->type == FIELD_CHOICE) {
			const char *best = NULL;
			size_t best_distance = 3;
			for (int i = 0; field->choices[i]; i++) {
				size_t d = edit_distance(field->choices[i], text);
				if (d < best_distance)
					best_distance = d, best = field->choices[i];
			}
			if (best) {
				size_t used = strlen(message);
				snprintf(message + used, sizeof message - used,
					 " (did you mean '%s'?)", best);
			}
		}
		walk_error(walk, value_index, path, message);
		return;
	}
	char location[320];
	spec_document_locate(walk->document, value_index, location, sizeof location);
	spec_record_origin(walk->spec, path, location);
}

static void walk_section(struct walk *walk, int mapping, const struct spec_field *fields,
			 const char *prefix)
{
	yaml_node_t *node = yaml_document_get_node(&walk->document->yaml, mapping);
	int count = (int)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
	const struct spec_field *seen[64];
	int seen_count = 0;

	for (int i = 0; i < count; i++) {
		node = yaml_document_get_node(&walk->document->yaml, mapping);
		yaml_node_pair_t pair = node->data.mapping.pairs.start[i];
		yaml_node_t *key = yaml_document_get_node(&walk->document->yaml, pair.key);
		char path[160];
		if (key->type != YAML_SCALAR_NODE) {
			walk_error(walk, pair.key, *prefix ? prefix : "spec",
				   "keys must be plain names");
			continue;
		}
		const char *name = (const char *)key->data.scalar.value;
		snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", name);

		const struct spec_field *field = spec_field_find(fields, name);
		if (!field) {
			struct strbuf message;
			strbuf_init(&message);
			strbuf_puts(&message, "unknown key; expected one of ");
			for (const struct spec_field *f = fields; f->key; f++)
				strbuf_printf(&message, "%s%s", f == fields ? "" : ", ", f->key);
			suggest_key(fields, prefix, name, &message);
			walk_error(walk, pair.key, path, message.text);
			strbuf_free(&message);
			continue;
		}
		bool duplicate = false;
		for (int j = 0; j < seen_count; j++)
			duplicate |= seen[j] == field;
		if (duplicate) {
			walk_error(walk, pair.key, path, "key given twice");
			continue;
		}
		if (seen_count < 64)
			seen[seen_count++] = field;
		walk_value(walk, pair.value, field, path);
	}
}

static char *default_name(const char *label)
{
	const char *base = strrchr(label, '/');
	base = base ? base + 1 : label;
	char *name = xstrdup(base);
	char *dot = strrchr(name, '.');
	if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
		*dot = '\0';
	return name;
}

void spec_rehash(struct spec *spec)
{
	struct strbuf canonical;
	strbuf_init(&canonical);
	spec_emit_canonical(spec, &canonical);
	snprintf(spec->spec_hash, sizeof spec->spec_hash, "%016llx",
		 (unsigned long long)hash_fnv1a64(canonical.text, canonical.length));
	strbuf_free(&canonical);
}

int spec_load_text(struct spec *spec, const char *text, const char *label,
		   const char *const *overrides, int override_count)
{
	struct spec_document document = {.label = label};
	yaml_parser_t parser;
	int result = -1;

	memset(spec, 0, sizeof *spec);
	spec->source_path = xstrdup(label);
	spec->source_text = xstrdup(text);
	spec_apply_defaults(spec);

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&parser, &document.yaml)) {
		yaml_mark_t mark = parser.problem_mark;
		error("%s:%zu:%zu: malformed YAML: %s%s%s", label, mark.line + 1, mark.column + 1,
		      parser.problem ? parser.problem : "parse error",
		      parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		spec_free(spec);
		return -1;
	}
	yaml_parser_delete(&parser);

	yaml_node_t *root = yaml_document_get_root_node(&document.yaml);
	if (!root) {
		error("%s: empty spec; expected a mapping with data, model, train and log", label);
		goto done;
	}
	if (root->type != YAML_MAPPING_NODE) {
		error("%s:%zu:%zu: expected a mapping of keys (data, model, train, log), found %s",
		      label, root->start_mark.line + 1, root->start_mark.column + 1,
		      node_kind(root));
		goto done;
	}
	document.file_node_count = (int)(document.yaml.nodes.top - document.yaml.nodes.start);

	struct strbuf given;
	strbuf_init(&given);
	for (int i = 0; i < override_count; i++) {
		if (spec_document_override(&document, overrides[i])) {
			strbuf_free(&given);
			goto done;
		}
		strbuf_printf(&given, "%s--set %s", i ? " " : "", overrides[i]);
	}
	spec->overrides = strbuf_detach(&given);

	struct walk walk = {.spec = spec, .document = &document};
	walk_section(&walk, 1, spec_root_fields, "");
	if (walk.errors)
		goto done;
	if (!spec->name)
		spec->name = default_name(label);
	if (spec_check(spec))
		goto done;
	spec_rehash(spec);
	result = 0;
done:
	yaml_document_delete(&document.yaml);
	if (result)
		spec_free(spec);
	return result;
}

int spec_load_file(struct spec *spec, const char *path, const char *const *overrides,
		   int override_count)
{
	memset(spec, 0, sizeof *spec);
	char *text = file_read_text(path, "spec", SPEC_MAX_BYTES, NULL);
	if (!text)
		return -1;
	int result = spec_load_text(spec, text, path, overrides, override_count);
	free(text);
	return result;
}

void spec_free(struct spec *spec)
{
	if (!spec)
		return;
	free(spec->name);
	free(spec->data.path);
	free(spec->data.label);
	free(spec->data.images);
	free(spec->data.labels);
	free(spec->source_path);
	free(spec->source_text);
	free(spec->overrides);
	memset(spec, 0, sizeof *spec);
}

int64_t spec_output_size(const struct spec *spec)
{
	if (spec->data.kind == DATA_TEACHER && spec->train.loss == LOSS_MSE)
		return spec->data.outputs;
	return spec->data.classes;
}

bool spec_key_given(const struct spec *spec, const char *path)
{
	for (int i = 0; i < spec->origin_count; i++)
		if (!strcmp(spec->origins[i].path, path))
			return true;
	return false;
}

bool spec_reads_file(const struct spec *spec)
{
	return spec->data.kind == DATA_CSV || spec->data.kind == DATA_IDX;
}

bool spec_uses_labels(const struct spec *spec)
{
	return spec->train.loss == LOSS_CROSS_ENTROPY;
}

bool spec_is_checkpoint(const struct spec *spec, int64_t step)
{
	const struct step_list *list = &spec->log.checkpoints;
	if (step == spec->train.steps)
		return list->final;
	if (spec->log.checkpoint_every > 0 && step % spec->log.checkpoint_every == 0)
		return true;
	for (int i = 0; i < list->count; i++)
		if (list->steps[i] == step)
			return true;
	return false;
}

int64_t spec_block_count(const struct spec *spec)
{
	return spec->model.residual.enabled ? (spec->model.depth - 1) / spec->model.residual.block
					    : 0;
}

int64_t spec_layer_count(const struct spec *spec)
{
	return spec->model.depth + 1;
}

struct layer_shape spec_layer_shape(const struct spec *spec, int64_t layer)
{
	struct layer_shape shape = {0};
	shape.output = layer == spec->model.depth;
	shape.fan_in = layer == 0 ? spec->data.features : spec->model.width;
	shape.fan_out = shape.output ? spec_output_size(spec) : spec->model.width;
	shape.activation = shape.output ? ACT_LINEAR : spec->model.activation.kind;
	bool in_block = spec->model.residual.enabled && layer > 0 && !shape.output;
	shape.block = in_block ? (layer - 1) / spec->model.residual.block : -1;
	shape.residual = in_block && layer % spec->model.residual.block == 0;
	shape.normalised = !shape.output && spec->model.norm.kind != NORM_NONE;
	return shape;
}
