/* --set KEY.PATH=VALUE: overrides are applied to the YAML node tree before it is mapped
 * onto struct spec, so they meet exactly the same type and range checks as the file. */
#include "spec/spec_document.h"
#include "spec/spec_fields.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/strbuf.h"

static yaml_node_t *node_at(struct spec_document *document, int index)
{
	return yaml_document_get_node(&document->yaml, index);
}

/* A --set value is copied node by node, which expands every alias: these bound what one
 * value may become (an alias bomb of a few hundred bytes would otherwise expand to
 * gigabytes) and how deep it may nest. A real value is a handful of nodes. */
#define OVERRIDE_MAX_NODES 10000
#define OVERRIDE_MAX_DEPTH 64

struct copy {
	yaml_document_t *from;
	const char *assignment; /* for messages */
	bool *visiting;         /* per node of `from`: being copied, to catch recursion */
	int nodes_left;
};

/* Copies node `index` of copy->from (and everything below it) into the spec document
 * and returns the new node's index; 0 with a message when the value contains itself,
 * exceeds the bounds above, or memory runs out. */
static int copy_node(struct spec_document *document, struct copy *copy, int index, int depth)
{
	if (copy->visiting[index] || depth > OVERRIDE_MAX_DEPTH) {
		error("--set %s: the value contains itself through an alias, or nests deeper "
		      "than %d levels", copy->assignment, OVERRIDE_MAX_DEPTH);
		return 0;
	}
	if (--copy->nodes_left < 0) {
		error("--set %s: the value expands to more than %d nodes (aliases repeat it)",
		      copy->assignment, OVERRIDE_MAX_NODES);
		return 0;
	}
	yaml_node_t *node = yaml_document_get_node(copy->from, index);
	int result = 0;
	copy->visiting[index] = true;
	switch (node->type) {
	case YAML_SCALAR_NODE:
		result = yaml_document_add_scalar(&document->yaml, NULL, node->data.scalar.value,
						  (int)node->data.scalar.length,
						  node->data.scalar.style);
		break;
	case YAML_SEQUENCE_NODE: {
		result = yaml_document_add_sequence(&document->yaml, NULL,
						    YAML_FLOW_SEQUENCE_STYLE);
		int count = (int)(node->data.sequence.items.top - node->data.sequence.items.start);
		for (int i = 0; result && i < count; i++) {
			node = yaml_document_get_node(copy->from, index);
			int item = copy_node(document, copy, node->data.sequence.items.start[i],
					     depth + 1);
			if (!item || !yaml_document_append_sequence_item(&document->yaml, result, item))
				result = 0;
		}
		break;
	}
	case YAML_MAPPING_NODE: {
		result = yaml_document_add_mapping(&document->yaml, NULL, YAML_FLOW_MAPPING_STYLE);
		int count = (int)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
		for (int i = 0; result && i < count; i++) {
			node = yaml_document_get_node(copy->from, index);
			yaml_node_pair_t pair = node->data.mapping.pairs.start[i];
			int key = copy_node(document, copy, pair.key, depth + 1);
			int value = key ? copy_node(document, copy, pair.value, depth + 1) : 0;
			if (!value ||
			    !yaml_document_append_mapping_pair(&document->yaml, result, key, value))
				result = 0;
		}
		break;
	}
	case YAML_NO_NODE:
		break;
	}
	copy->visiting[index] = false;
	return result;
}

/* Reads VALUE as a YAML document and copies its root into the spec document. */
static int add_value(struct spec_document *document, const char *assignment,
		     const char *value)
{
	yaml_parser_t parser;
	yaml_document_t parsed;
	int added = 0;

	if (!*value) /* "--set name=" means an empty string, not null */
		return yaml_document_add_scalar(&document->yaml, NULL, (yaml_char_t *)"", 0,
						YAML_SINGLE_QUOTED_SCALAR_STYLE);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)value, strlen(value));
	if (!yaml_parser_load(&parser, &parsed)) {
		error("--set %s: malformed value: %s", assignment, parser.problem);
		yaml_parser_delete(&parser);
		return 0;
	}
	if (yaml_document_get_root_node(&parsed)) {
		struct copy copy = {&parsed, assignment, NULL, OVERRIDE_MAX_NODES};
		copy.visiting = xcalloc((size_t)(parsed.nodes.top - parsed.nodes.start) + 1,
					sizeof *copy.visiting);
		added = copy_node(document, &copy, 1, 0);
		free(copy.visiting);
	} else
		error("--set %s: empty value", assignment);
	yaml_document_delete(&parsed);
	yaml_parser_delete(&parser);
	return added;
}

/* Finds key in mapping node; returns the index of its pair, -1 when absent. */
static int find_pair(struct spec_document *document, int mapping, const char *key)
{
	yaml_node_t *node = node_at(document, mapping);
	int count = (int)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
	for (int i = 0; i < count; i++) {
		yaml_node_t *k = node_at(document, node->data.mapping.pairs.start[i].key);
		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return i;
	}
	return -1;
}

static int add_pair(struct spec_document *document, int mapping, const char *key, int value)
{
	int key_node = yaml_document_add_scalar(&document->yaml, NULL, (yaml_char_t *)key,
						(int)strlen(key), YAML_PLAIN_SCALAR_STYLE);
	if (!key_node || !yaml_document_append_mapping_pair(&document->yaml, mapping, key_node,
							     value))
		return error("out of memory applying --set");
	return 0;
}

/* Makes sure the value of `key` in `mapping` is a mapping and returns it. A scalar that
 * is a section's shorthand (activation: relu) becomes {kind: relu}, so that
 * --set model.activation.slope=0.1 works whichever form the file used. */
static int descend(struct spec_document *document, int mapping, const char *key,
		   const struct spec_field *field, const char *assignment)
{
	int pair = find_pair(document, mapping, key);
	if (pair < 0) {
		int child = yaml_document_add_mapping(&document->yaml, NULL,
						      YAML_BLOCK_MAPPING_STYLE);
		if (!child || add_pair(document, mapping, key, child))
			return 0;
		return child;
	}
	int value = node_at(document, mapping)->data.mapping.pairs.start[pair].value;
	yaml_node_t *node = node_at(document, value);
	if (node->type == YAML_MAPPING_NODE)
		return value;
	if (node->type == YAML_SCALAR_NODE && field && field->shorthand) {
		int child = yaml_document_add_mapping(&document->yaml, NULL,
						      YAML_BLOCK_MAPPING_STYLE);
		if (!child || add_pair(document, child, field->shorthand, value))
			return 0;
		node_at(document, mapping)->data.mapping.pairs.start[pair].value = child;
		return child;
	}
	error("--set %s: '%s' is not a mapping, so it has no keys below it", assignment, key);
	return 0;
}

int spec_document_override(struct spec_document *document, const char *assignment)
{
	const char *equals = strchr(assignment, '=');
	if (!equals || equals == assignment)
		return error("--set '%s': expected KEY=VALUE, e.g. --set model.depth=30",
			     assignment);
	if (document->override_count == SPEC_MAX_OVERRIDES)
		return error("--set: at most %d overrides", SPEC_MAX_OVERRIDES);

	char path[256];
	size_t path_length = (size_t)(equals - assignment);
	if (path_length >= sizeof path)
		return error("--set '%s': key too long", assignment);
	memcpy(path, assignment, path_length);
	path[path_length] = '\0';

	int mapping = 1; /* the root, a mapping (checked by the caller) */
	const struct spec_field *fields = spec_root_fields;
	char *key = path;
	for (char *dot; (dot = strchr(key, '.')); key = dot + 1) {
		*dot = '\0';
		if (!*key)
			return error("--set '%s': empty key in '%.*s'", assignment,
				     (int)path_length, assignment);
		/* Unknown keys are left to the mapping pass, which reports them. */
		const struct spec_field *field = fields ? spec_field_find(fields, key) : NULL;
		mapping = descend(document, mapping, key, field, assignment);
		if (!mapping)
			return -1;
		fields = field && field->type == FIELD_SECTION ? field->fields : NULL;
	}
	if (!*key)
		return error("--set '%s': empty key", assignment);

	int value = add_value(document, assignment, equals + 1);
	if (!value)
		return -1;
	int pair = find_pair(document, mapping, key);
	if (pair >= 0)
		node_at(document, mapping)->data.mapping.pairs.start[pair].value = value;
	else if (add_pair(document, mapping, key, value))
		return -1;

	int last_node = (int)(document->yaml.nodes.top - document->yaml.nodes.start);
	document->override_text[document->override_count] = assignment;
	document->override_last_node[document->override_count++] = last_node;
	return 0;
}
