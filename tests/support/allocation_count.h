/* Counting allocations, for tests that prove a code path allocates nothing. Link the
 * test with allocation_count.c and -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (see
 * tests/CMakeLists.txt): gtrack's own calls are counted through the wraps, SQLite's
 * through its allocator hook once allocation_count_sqlite() has run. */
#ifndef GT_ALLOCATION_COUNT_H
#define GT_ALLOCATION_COUNT_H

/* The allocations made so far on the calling thread. */
long allocation_count(void);

/* Routes SQLite's allocations through the count; call before SQLite is first used.
 * Returns 0, or -1 when SQLite refuses (it is already initialised). */
int allocation_count_sqlite(void);

#endif
