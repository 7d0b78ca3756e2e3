/* See threads.h. */
#include "util/threads.h"

#include <signal.h>
#include <stddef.h>

int thread_start(pthread_t *thread, const pthread_attr_t *attributes,
		 void *(*start)(void *), void *argument)
{
	static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
	sigset_t all, previous;
	sigfillset(&all);
	for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
		sigdelset(&all, faults[i]);
	/* a new thread inherits the mask of the one that creates it */
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	int rc = pthread_create(thread, attributes, start, argument);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	return rc;
}
