/* The step's two threads (workers.h), and the BLAS thread count: --threads wins, then
 * OPENBLAS_NUM_THREADS, then OMP_NUM_THREADS, then the usable cores shared among the
 * processes that run at once; and what --threads and the variables accept. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "support/test_support.h"

#include <sched.h>
#include <stdlib.h>

#include "nn/blas_threads.h"
#include "nn/workers.h"
#include "util/error.h"

#include <sys/wait.h>
#include <unistd.h>

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

/* Two workers that write their own slot, meet, read the other's, and meet again, for
 * `rounds` rounds; seen[me] counts the rounds worker me found the other's write. */
struct exchange {
	int rounds;
	long written[2];
	int seen[2];
};

static void exchange_task(void *context, int me, int workers)
{
	struct exchange *x = context;
	assert_int_equal(workers, 2);
	for (int round = 0; round < x->rounds; round++) {
		x->written[me] = 2L * round + me;
		workers_barrier(workers);
		x->seen[me] += x->written[1 - me] == 2L * round + (1 - me);
		workers_barrier(workers);
	}
}

static bool exchanges_hold(int runs, int rounds)
{
	for (int run = 0; run < runs; run++) {
		struct exchange x = {rounds, {0, 0}, {0, 0}};
		workers_run(2, exchange_task, &x);
		if (x.seen[0] != rounds || x.seen[1] != rounds)
			return false;
	}
	return true;
}

static void one_worker(void *context, int me, int workers)
{
	int *calls = context;
	assert_int_equal(me, 0);
	assert_int_equal(workers, 1);
	workers_barrier(workers); /* returns at once */
	(*calls)++;
}

/* The step's two threads: each sees what the other wrote before a barrier, run after run
 * (some with a pause between, so that the helper has gone to sleep); one worker runs on
 * the caller; a fork's child starts its own helper. */
static void workers_meet_and_see_each_other(void **state)
{
	(void)state;
	int calls = 0;
	workers_run(1, one_worker, &calls);
	assert_int_equal(calls, 1);
	assert_int_equal(workers_start(2), 2);
	assert_true(exchanges_hold(500, 20));
	for (int pause = 0; pause < 3; pause++) {
		usleep(20000); /* past the helper's spinning and yielding: asleep */
		assert_true(exchanges_hold(1, 5));
	}
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(workers_start(2) == 2 && exchanges_hold(100, 10) ? 0 : 1);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(exchanges_hold(10, 10)); /* and the parent's still works */
}

int main(void)
{
	error_set_quiet(true); /* the warnings for counts above the cores */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cores_are_shared_among_the_workers),
		cmocka_unit_test(environment_then_option),
		cmocka_unit_test(counts_that_parse),
		cmocka_unit_test(workers_meet_and_see_each_other),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
