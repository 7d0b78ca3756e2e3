/* Error reporting: print once, keep the last message for tests. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

static char last_message[2048];
static bool quiet;

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_message, sizeof last_message, fmt, ap);
	va_end(ap);
	if (!quiet)
		fprintf(stderr, "gtrack: %s\n", last_message);
	return -1;
}

void warning(const char *fmt, ...)
{
	char message[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (!quiet)
		fprintf(stderr, "gtrack: warning: %s\n", message);
}

const char *error_last(void)
{
	return last_message;
}

void error_clear(void)
{
	last_message[0] = '\0';
}

void error_set_quiet(bool is_quiet)
{
	quiet = is_quiet;
}
