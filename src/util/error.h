/* Error reporting.
 *
 * Functions that can fail return -1 after calling error(), which formats the message,
 * prints it to stderr as "gtrack: MESSAGE" and keeps a copy so that tests can assert on
 * it. Only main and the subcommands turn failures into exit codes. */
#ifndef GT_ERROR_H
#define GT_ERROR_H

#include <stdbool.h>

#if defined(__GNUC__)
#define GT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GT_PRINTF(fmt, args)
#endif

/* Reports a message and returns -1, so call sites read `return error("...")`. */
int error(const char *fmt, ...) GT_PRINTF(1, 2);

/* Prints a warning that does not stop anything. */
void warning(const char *fmt, ...) GT_PRINTF(1, 2);

/* The most recent error message, "" if none since error_clear(). */
const char *error_last(void);
void error_clear(void);

/* Tests silence stderr and read error_last() instead. */
void error_set_quiet(bool quiet);

#endif
