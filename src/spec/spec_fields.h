/* The table of spec keys, shared by the parser, the override code, the emitter and the
 * reference. Internal to src/spec. */
#ifndef GT_SPEC_FIELDS_H
#define GT_SPEC_FIELDS_H

#include <stddef.h>

#include "spec/spec.h"

enum field_type {
	FIELD_INT,     /* int64_t in [min, max] */
	FIELD_REAL,    /* finite double in [min, max]; "auto" allowed when default is "auto" */
	FIELD_BOOL,    /* bool */
	FIELD_STRING,  /* char *, owned by the spec */
	FIELD_CHOICE,  /* int index into choices */
	FIELD_STEPS,   /* struct step_list: a list of steps and final, or one of them */
	FIELD_SECTION, /* a nested mapping */
};

struct spec_field {
	const char *key;
	enum field_type type;
	size_t offset;
	const char *default_text; /* parsed like a value from a file; NULL: no default */
	const char *doc;
	double min, max;                      /* FIELD_INT, FIELD_REAL */
	const char *const *choices;           /* FIELD_CHOICE */
	const struct spec_field *fields;      /* FIELD_SECTION: its keys, ending with {0} */
	const char *shorthand;                /* FIELD_SECTION: key a scalar value sets */
	const struct spec_field *implied;     /* FIELD_SECTION: bool set true by a mapping */
	/* added after runs were recorded: in spec_hash's text only when not the default */
	bool hashed_unless_default;
	bool names_data_file; /* a data file's path: its contents enter spec_hash, not the
			       * path (spec_emit_canonical) */
	/* What the key becomes in the runs table and in reports (struct spec_column). */
	const char *column;         /* runs column; NULL: none */
	const char *legend;         /* see struct spec_column */
	int legend_rank;
	bool splits_figures;
	bool (*stored_when)(const struct spec *spec); /* NULL: always; else NULL otherwise */
};

/* The top-level keys, ending with {0}. */
extern const struct spec_field spec_root_fields[];

const struct spec_field *spec_field_find(const struct spec_field *fields, const char *key);

/* Converts scalar text to the field's type and stores it in spec. On failure returns -1
 * and writes "expected ..., found '...'" into message. */
int spec_field_assign(struct spec *spec, const struct spec_field *field, const char *text,
		      char *message, size_t message_size);

/* Writes what the field expects, e.g. "an integer from 1 to 2147483647". */
void spec_field_expectation(const struct spec_field *field, char *buffer, size_t size);

/* Fills every field that has a default. */
void spec_apply_defaults(struct spec *spec);

/* Remembers where path's value came from, for later checks. */
void spec_record_origin(struct spec *spec, const char *path, const char *location);

#endif
