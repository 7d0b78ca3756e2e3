/* Choosing and setting OpenBLAS's thread count; see blas_threads.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "nn/blas_threads.h"

#include <cblas.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

bool blas_threads_parse(const char *text, int *threads)
{
	char *end;
	long value = strtol(text, &end, 10);
	if (!*text || *end || value < 1 || value > BLAS_THREADS_MAX)
		return false;
	*threads = (int)value;
	return true;
}

/* The value of an environment variable that holds a positive thread count, or 0 (unset,
 * empty or not a number: OpenBLAS ignores such values too). */
static int environment_threads(const char *name)
{
	const char *text = getenv(name);
	int threads = 0;
	return text && blas_threads_parse(text, &threads) ? threads : 0;
}

int blas_threads_cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	return online > 0 ? (int)online : 1;
}

int blas_threads_choose(int requested, int sharers)
{
	if (requested > 0)
		return requested;
	int from_environment = environment_threads("OPENBLAS_NUM_THREADS");
	if (!from_environment)
		from_environment = environment_threads("OMP_NUM_THREADS");
	if (from_environment)
		return from_environment;
	int share = blas_threads_cores() / (sharers > 0 ? sharers : 1);
	return share > 0 ? share : 1;
}

const char *blas_build(void)
{
	return openblas_get_config();
}

/* The count blas_threads_use set (0: never called) and the one OpenBLAS has now. */
static int chosen_threads, active_threads;

void blas_threads_use(int threads)
{
	chosen_threads = active_threads = threads;
	openblas_set_num_threads(threads);
}

void blas_threads_fit(double multiply_adds)
{
	int wanted = multiply_adds < BLAS_THREADED_MIN ? 1 : chosen_threads;
	if (chosen_threads && wanted != active_threads) {
		openblas_set_num_threads(wanted);
		active_threads = wanted;
	}
}

int blas_threads_count(void)
{
	return chosen_threads ? chosen_threads : 1;
}
