/* Helpers the subcommands share: usage errors, output flushing, number formatting. */
#include "cli/commands.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

int usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "gtrack %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'gtrack %s --help'.\n", command);
	return EXIT_USAGE;
}

int finish_output(int code)
{
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "gtrack: error writing output: %s\n", strerror(errno));
		return code ? code : EXIT_RUN_FAILED;
	}
	return code;
}


