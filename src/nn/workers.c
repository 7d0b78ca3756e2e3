/* The step's two threads; see workers.h. One helper thread per process: one network
 * trains at a time, and a task never starts another. */
#include "nn/workers.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

/* Waiting: about ten microseconds of spinning (a partner on another core arrives within
 * that), then about a millisecond of sched_yield (a partner taken off its core by other
 * work gets this one), then sleep until woken. */
#define WAIT_SPINS 256
#define WAIT_YIELDS 2048

static struct {
	pthread_mutex_t lock; /* with `changed`, for a waiter that sleeps */
	pthread_cond_t changed;
	atomic_int sleepers;
	atomic_uint handed, finished; /* tasks given to the helper, and done by it */
	atomic_uint arrived, phase;   /* the barrier: threads at it, times it opened */
	worker_task task;             /* written before `handed` moves */
	void *context;
	int workers;
	pid_t helper_of; /* the process whose helper runs (a fork's child has none) */
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
	for (int i = 0; i < WAIT_SPINS; i++) {
		if (atomic_load_explicit(value, memory_order_acquire) != old)
			return;
		spin_pause();
	}
	for (int i = 0; i < WAIT_YIELDS; i++) {
		if (atomic_load_explicit(value, memory_order_acquire) != old)
			return;
		sched_yield();
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
		pool.task(pool.context, 1, pool.workers);
		store_and_wake(&pool.finished, done);
	}
	return NULL;
}

/* A fork's child has no helper: it starts its own, with fresh state. */
static void forget_helper(void)
{
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.changed, NULL);
	atomic_store(&pool.sleepers, 0);
	atomic_store(&pool.handed, 0), atomic_store(&pool.finished, 0);
	atomic_store(&pool.arrived, 0), atomic_store(&pool.phase, 0);
	pool.helper_of = 0;
}

static void register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, forget_helper);
}

int workers_start(int workers)
{
	if (workers < 2)
		return 1;
	if (pool.helper_of == getpid())
		return 2;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, register_fork_handler);
	pthread_attr_t attributes;
	pthread_t helper;
	pthread_attr_init(&attributes);
	pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	bool started = pthread_create(&helper, &attributes, helper_main, NULL) == 0;
	pthread_attr_destroy(&attributes);
	if (!started)
		return 1;
	pool.helper_of = getpid();
	return 2;
}

void workers_run(int workers, worker_task task, void *context)
{
	if (workers < 2 || workers_start(2) < 2) {
		task(context, 0, 1);
		return;
	}
	pool.task = task;
	pool.context = context;
	pool.workers = 2;
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
