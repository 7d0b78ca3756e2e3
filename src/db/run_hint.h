/* "Did you mean" for a run name that matches no run. */
#ifndef GT_RUN_HINT_H
#define GT_RUN_HINT_H

#include <sqlite3.h>
#include <stddef.h>

/* Writes " (did you mean 'sigmoid-10'?)" into hint when a run's name is one or two
 * edits from typed, else "" (also when the database cannot be read: a hint is not worth
 * a second error). */
void run_name_hint(sqlite3 *db, const char *typed, char *hint, size_t size);
/* Reports "no run with id or name 'KEY'" with the hint, else "(see 'gtrack ls')", and
 * returns -1, for commands that take a RUN. */
int error_no_run(sqlite3 *db, const char *key);

#endif
