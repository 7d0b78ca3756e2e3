/* Error reporting: print once, keep the last message for tests. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

static char last_message[2048];
static bool quiet;

static void report(const char *prefix, char *buffer, size_t size, const char *fmt, va_list ap)
{
	vsnprintf(buffer, size, fmt, ap);
	if (!quiet)
		fprintf(stderr, "gtrack: %s%s\n", prefix, buffer);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("", last_message, sizeof last_message, fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	char message[2048];
	va_list ap;
	va_start(ap, fmt);
	report("warning: ", message, sizeof message, fmt, ap);
	va_end(ap);
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
