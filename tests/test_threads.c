/* The BLAS thread count: --threads wins, then OPENBLAS_NUM_THREADS, then
 * OMP_NUM_THREADS, then the usable cores shared among the processes that run at once;
 * and what --threads and the variables accept. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "support/test_support.h"

#include <sched.h>
#include <stdlib.h>

#include "nn/blas_threads.h"

static int usable_cores(void)
{
	cpu_set_t set;
	assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
	return CPU_COUNT(&set);
}

static void clear_environment(void)
{
	unsetenv("OPENBLAS_NUM_THREADS");
	unsetenv("OMP_NUM_THREADS");
}

static void cores_are_shared_among_the_workers(void **state)
{
	(void)state;
	clear_environment();
	int cores = usable_cores();
	assert_int_equal(blas_threads_choose(0, 1), cores);
	assert_int_equal(blas_threads_choose(0, 0), cores);
	assert_int_equal(blas_threads_choose(0, 2), cores / 2 > 0 ? cores / 2 : 1);
	/* more workers than cores: one thread each, never none */
	assert_int_equal(blas_threads_choose(0, cores + 1), 1);
}

static void environment_then_option(void **state)
{
	(void)state;
	clear_environment();
	setenv("OMP_NUM_THREADS", "5", 1);
	assert_int_equal(blas_threads_choose(0, 1), 5);
	setenv("OPENBLAS_NUM_THREADS", "3", 1);
	assert_int_equal(blas_threads_choose(0, 1), 3);
	/* a user's explicit count is kept whatever the number of workers */
	assert_int_equal(blas_threads_choose(0, 4), 3);
	assert_int_equal(blas_threads_choose(7, 1), 7);
	/* values OpenBLAS would ignore are ignored: the next source decides */
	setenv("OPENBLAS_NUM_THREADS", "many", 1);
	assert_int_equal(blas_threads_choose(0, 1), 5);
	setenv("OMP_NUM_THREADS", "0", 1);
	assert_int_equal(blas_threads_choose(0, 1), usable_cores());
	clear_environment();
}

static void counts_that_parse(void **state)
{
	(void)state;
	int threads = 42;
	static const char *const wrong[] = {"", "0", "-1", "1.5", "2 ", "1025", "4x"};
	for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
		assert_false(blas_threads_parse(wrong[i], &threads));
		assert_int_equal(threads, 42);
	}
	assert_true(blas_threads_parse("1", &threads));
	assert_int_equal(threads, 1);
	assert_true(blas_threads_parse("1024", &threads));
	assert_int_equal(threads, BLAS_THREADS_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cores_are_shared_among_the_workers),
		cmocka_unit_test(environment_then_option),
		cmocka_unit_test(counts_that_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
