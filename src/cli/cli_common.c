/* Helpers the subcommands share: usage errors, output flushing, number formatting. */
#include "cli/commands.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nn/blas_threads.h"
#include "util/printable.h"

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

int threads_option(const char *command, const char *text, int *threads)
{
	if (blas_threads_parse(text, threads))
		return 0;
	char *shown = text_printable(text);
	int code = usage_error(command, "--threads expects 1 to %d, got '%s'", BLAS_THREADS_MAX,
			       shown);
	free(shown);
	return code;
}

int option_error(const char *command, char *const *argv, const char *short_options)
{
	const char *word = argv[optind - 1];
	bool is_long = !strncmp(word, "--", 2);
	bool missing_value = optopt && (is_long || strchr(short_options, optopt));
	char short_word[3] = {'-', (char)optopt, '\0'};
	/* a word from the command line: shown escaped, like every message */
	char *shown = text_printable(is_long || !optopt ? word : short_word);
	if (is_long && strchr(shown, '='))
		*strchr(shown, '=') = '\0';
	/* getopt refuses "--flag=value" only for an option that takes no value */
	bool unwanted_value = is_long && optopt && strchr(word, '=');
	int code = unwanted_value  ? usage_error(command, "option '%s' takes no value", shown)
		   : missing_value ? usage_error(command, "option '%s' needs a value", shown)
				   : usage_error(command, "unknown option '%s'", shown);
	free(shown);
	return code;
}

int finish_output(int code)
{
	if (fflush(stdout) || ferror(stdout)) {
		/* a reader that stopped reading (| head) is no error of ours */
		if (errno == EPIPE)
			return code;
		fprintf(stderr, "gtrack: error writing output: %s\n", strerror(errno));
		return code ? code : EXIT_RUN_FAILED;
	}
	return code;
}


