/* A spec's YAML document (libyaml's node tree) with the provenance of every node, so
 * that an error can name the file, line and column, or the --set that introduced it.
 * Internal to src/spec. */
#ifndef GT_SPEC_DOCUMENT_H
#define GT_SPEC_DOCUMENT_H

#include <stddef.h>
#include <yaml.h>

#define SPEC_MAX_OVERRIDES 256

struct spec_document {
	yaml_document_t yaml;
	const char *label; /* the file name used in messages */
	int file_node_count; /* nodes 1..file_node_count came from the file */
	/* Nodes above file_node_count were added by overrides; override i added the nodes
	 * up to and including override_last_node[i]. */
	int override_count;
	int override_last_node[SPEC_MAX_OVERRIDES];
	const char *override_text[SPEC_MAX_OVERRIDES];
};

/* Writes "FILE:LINE:COLUMN" or "--set KEY=VALUE" for node (1-based). */
void spec_document_locate(const struct spec_document *document, int node, char *buffer,
			  size_t size);

/* Applies one "KEY.PATH=VALUE" override to the document: VALUE is read as YAML (so
 * "{alpha: 0.5}" or "[1, 2]" work) and replaces or adds the key. Returns -1 with a
 * message on a malformed assignment. */
int spec_document_override(struct spec_document *document, const char *assignment);

#endif
