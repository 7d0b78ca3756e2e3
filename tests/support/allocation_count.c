/* The counters of allocation_count.h: per thread, so a thread that works on the side
 * (the run store's writer) does not count against the one under test. */
#include "support/allocation_count.h"

#include <sqlite3.h>
#include <stddef.h>

static _Thread_local long allocations;

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *__wrap_malloc(size_t size)
{
	allocations++;
	return __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
	allocations++;
	return __real_calloc(count, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	allocations++;
	return __real_realloc(p, size);
}

long allocation_count(void)
{
	return allocations;
}

static sqlite3_mem_methods sqlite_allocator;

static void *count_sqlite_malloc(int size)
{
	allocations++;
	return sqlite_allocator.xMalloc(size);
}

static void *count_sqlite_realloc(void *p, int size)
{
	allocations++;
	return sqlite_allocator.xRealloc(p, size);
}

int allocation_count_sqlite(void)
{
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_allocator) != SQLITE_OK)
		return -1;
	sqlite3_mem_methods counted = sqlite_allocator;
	counted.xMalloc = count_sqlite_malloc;
	counted.xRealloc = count_sqlite_realloc;
	return sqlite3_config(SQLITE_CONFIG_MALLOC, &counted) == SQLITE_OK ? 0 : -1;
}
