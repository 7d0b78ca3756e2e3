/* The step's two threads; see workers.h. One helper thread per process: one network
 * trains at a time, and a task never starts another. */
#include "nn/workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "util/clock.h"
#include "util/threads.h"

/* Waiting: spin for up to WAIT_SPIN_S (a partner on another core arrives within
 * microseconds, and the next layer's share within a fraction of a millisecond), then
 * sleep until woken, which leaves the core to whatever else the machine runs. Yielding
 * between the two (sched_yield) handed the core to other processes for a whole time
 * slice: beside two busy processes, 4.1 s for 200 steps of 20 x 256 against 2.1 s with
 * this, and 2.2-2.7 s at one thread; beside one, 1.8-2.0 s with either; idle, the same
 * as OpenMP's threads. */
#define WAIT_SPIN_S 200e-6
#define WAIT_SPINS_PER_CLOCK 64

static struct {
	pthread_mutex_t lock; /* with `changed`, for a waiter that sleeps */
	pthread_cond_t changed;
	atomic_int sleepers;
	atomic_uint handed, finished; /* tasks given to the helper, and done by it */
	atomic_uint arrived, phase;   /* the barrier: threads at it, times it opened */
	worker_task task;             /* written before `handed` moves */
	void *context;
	bool started, failed; /* the helper runs (a fork's child has none) / could not start */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

static void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Returns once *value is no longer old (acquiring what was written before it changed). */
static void wait_while(atomic_uint *value, unsigned old)
{
	double until = 0;
	for (int i = 0;; i++) {
		if (atomic_load_explicit(value, memory_order_acquire) != old)
			return;
		if (i % WAIT_SPINS_PER_CLOCK == 0) {
			double now = monotonic_seconds();
			if (!until)
				until = now + WAIT_SPIN_S;
			else if (now > until)
				break;
		}
		spin_pause();
	}
	/* counted as a sleeper before the last look, which store_and_wake pairs with: it
	 * either stored before that look, or sees the sleeper and wakes it */
	pthread_mutex_lock(&pool.lock);
	atomic_fetch_add(&pool.sleepers, 1);
	while (atomic_load(value) == old)
		pthread_cond_wait(&pool.changed, &pool.lock);
	atomic_fetch_sub(&pool.sleepers, 1);
	pthread_mutex_unlock(&pool.lock);
}

static void store_and_wake(atomic_uint *value, unsigned new_value)
{
	atomic_store(value, new_value);
	if (atomic_load(&pool.sleepers) > 0) {
		pthread_mutex_lock(&pool.lock);
		pthread_cond_broadcast(&pool.changed);
		pthread_mutex_unlock(&pool.lock);
	}
}

static void *helper_main(void *unused)
{
	(void)unused;
	unsigned done = 0;
	for (;;) {
		wait_while(&pool.handed, done);
		done = atomic_load_explicit(&pool.handed, memory_order_acquire);
		pool.task(pool.context, 1, 2);
		store_and_wake(&pool.finished, done);
	}
	return NULL;
}

/* Around a fork the lock is held, so that the child gets it unlocked and consistent; the
 * child has no helper: it starts its own, with fresh state. */
static void before_fork(void)
{
	pthread_mutex_lock(&pool.lock);
}

static void after_fork_in_parent(void)
{
	pthread_mutex_unlock(&pool.lock);
}

static void after_fork_in_child(void)
{
	pthread_mutex_unlock(&pool.lock);
	pthread_cond_init(&pool.changed, NULL); /* the helper that waited on it is gone */
	atomic_store(&pool.sleepers, 0);
	atomic_store(&pool.handed, 0), atomic_store(&pool.finished, 0);
	atomic_store(&pool.arrived, 0), atomic_store(&pool.phase, 0);
	pool.started = false;
}

static void register_fork_handlers(void)
{
	pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

int workers_start(int workers)
{
	if (workers < 2 || pool.failed)
		return 1;
	if (pool.started)
		return 2;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, register_fork_handlers);
	/* signals sent to the process go to the training thread (util/threads.h) */
	pthread_attr_t attributes;
	pthread_t helper;
	pthread_attr_init(&attributes);
	pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	pool.started = thread_start(&helper, &attributes, helper_main, NULL) == 0;
	pthread_attr_destroy(&attributes);
	pool.failed = !pool.started; /* not tried again: the step allocates nothing */
	return pool.started ? 2 : 1;
}

void workers_run(int workers, worker_task task, void *context)
{
	if (workers < 2 || workers_start(2) < 2) {
		task(context, 0, 1);
		return;
	}
	pool.task = task;
	pool.context = context;
	unsigned handed = atomic_load_explicit(&pool.handed, memory_order_relaxed) + 1;
	store_and_wake(&pool.handed, handed);
	task(context, 0, 2);
	wait_while(&pool.finished, handed - 1);
}

void workers_barrier(int workers)
{
	if (workers < 2)
		return;
	unsigned phase = atomic_load(&pool.phase);
	if (atomic_fetch_add(&pool.arrived, 1) == (unsigned)workers - 1) {
		atomic_store(&pool.arrived, 0);
		store_and_wake(&pool.phase, phase + 1);
	} else {
		wait_while(&pool.phase, phase);
	}
}
