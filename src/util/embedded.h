/* Files compiled into the binary by cmake/embed_files.cmake (schema, plot templates). */
#ifndef GT_EMBEDDED_H
#define GT_EMBEDDED_H

struct embedded_file {
	const char *name; /* file name without directory, e.g. "001_initial.sql" */
	const char *text; /* NUL-terminated contents */
};

/* schema/ SQL files in name order, terminated by {NULL, NULL}. */
extern const struct embedded_file embedded_schema[];
/* plots/ gnuplot templates, terminated by {NULL, NULL}. */
extern const struct embedded_file embedded_plots[];

#endif
