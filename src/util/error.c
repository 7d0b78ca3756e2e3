/* Error reporting: print once, keep the last message for tests. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/printable.h"
#include "util/strbuf.h"

static char last_message[2048];
static bool quiet;

/* Messages quote keys, paths and values from specs, command lines and databases: what
 * reaches the terminal has its control characters escaped (\xNN), line by line, so a
 * shared file cannot retitle, recolour or clear the terminal of whoever reads the error.
 * The kept message (error_last) is the text as formatted. */
static void report(const char *prefix, char *buffer, size_t size, const char *fmt, va_list ap)
{
	vsnprintf(buffer, size, fmt, ap);
	if (quiet)
		return;
	struct strbuf shown, line;
	strbuf_init(&shown);
	strbuf_init(&line);
	for (const char *start = buffer;;) {
		const char *end = strchr(start, '\n');
		size_t length = end ? (size_t)(end - start) : strlen(start);
		strbuf_reset(&line);
		strbuf_add(&line, start, length);
		text_escape_printable(&shown, line.text);
		if (!end)
			break;
		strbuf_puts(&shown, "\n");
		start = end + 1;
	}
	fprintf(stderr, "gtrack: %s%s\n", prefix, shown.text);
	strbuf_free(&line);
	strbuf_free(&shown);
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
