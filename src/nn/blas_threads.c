/* Choosing and setting OpenBLAS's thread count; see blas_threads.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "nn/blas_threads.h"

#include <cblas.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/error.h"
#include "util/printable.h"

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
 * empty or not a number: OpenBLAS ignores such values too, and so do we, saying so). */
static int environment_threads(const char *name)
{
	const char *text = getenv(name);
	int threads = 0;
	if (text && *text && !blas_threads_parse(text, &threads)) {
		char *shown = text_printable(text);
		warning("%s='%s' is not a thread count from 1 to %d; it is ignored", name, shown,
			BLAS_THREADS_MAX);
		free(shown);
	}
	return threads;
}

int blas_threads_cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	return online > 0 ? (int)online : 1;
}

/* A count the user gave (source: "--threads " or "VARIABLE=") that puts more threads
 * than cores to work is allowed, with a warning: a user may mean it, but rarely does. */
static int given_threads(int threads, int sharers, const char *source)
{
	int cores = blas_threads_cores(), processes = sharers > 1 ? sharers : 1;
	if (threads * processes > cores)
		warning("%s%d%s is more than the %d core%s this process may run on: the threads "
			"would take turns on them, which slows training",
			source, threads, processes > 1 ? " for each of the runs at once" : "", cores,
			cores == 1 ? "" : "s");
	return threads;
}

int blas_threads_choose(int requested, int sharers)
{
	if (requested > 0)
		return given_threads(requested, sharers, "--threads ");
	static const char *const variables[] = {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"};
	for (int v = 0; v < 2; v++) {
		int from_environment = environment_threads(variables[v]);
		if (from_environment) {
			char source[32];
			snprintf(source, sizeof source, "%s=", variables[v]);
			return given_threads(from_environment, sharers, source);
		}
	}
	int share = blas_threads_cores() / (sharers > 0 ? sharers : 1);
	return share > 0 ? share : 1;
}

const char *blas_config(void)
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
