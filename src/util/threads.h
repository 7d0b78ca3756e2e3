/* Threads of gtrack's own beside the training thread (the run store's writer, the step's
 * helper): signals sent to the process are blocked on them, so SIGINT and friends reach
 * the training thread, whose loop ends the run, and no call of theirs is interrupted;
 * faults a thread causes itself (SIGSEGV, ...) stay deliverable, so they end the process
 * as they would anywhere. */
#ifndef GT_THREADS_H
#define GT_THREADS_H

#include <pthread.h>

/* pthread_create with the process's signals blocked on the new thread; its result. */
int thread_start(pthread_t *thread, const pthread_attr_t *attributes,
		 void *(*start)(void *), void *argument);

#endif
