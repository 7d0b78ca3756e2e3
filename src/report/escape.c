/* Names are data: every string that reaches a gnuplot script or index.html from a spec,
 * the command line or a database (run names, hyper-parameter values, statuses, the
 * database path) goes through one of the two functions here, and nowhere else is such
 * a string pasted into either language. */
#include "report/report.h"

#include <stddef.h>

#include "util/printable.h"

/* Copies text to out a printable character at a time; special(c) names the
 * replacement of an ASCII character, or NULL to copy it. Anything unprintable becomes
 * '?', so no escape sequence, line break or broken UTF-8 survives. */
static void put_escaped(struct strbuf *out, const char *text, const char *(*special)(char))
{
	for (const char *c = text; *c;) {
		size_t length = text_printable_length(c);
		const char *replacement = length == 1 ? special(*c) : NULL;
		if (!length)
			strbuf_puts(out, "?");
		else if (replacement)
			strbuf_puts(out, replacement);
		else
			strbuf_add(out, c, length);
		c += length ? length : 1;
	}
}

static const char *gnuplot_special(char c)
{
	return c == '\'' ? "''" : NULL;
}

void report_gnuplot_string(struct strbuf *out, const char *text)
{
	strbuf_puts(out, "'");
	put_escaped(out, text, gnuplot_special);
	strbuf_puts(out, "'");
}

static const char *html_special(char c)
{
	switch (c) {
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '&':
		return "&amp;";
	case '"': /* every attribute gtrack writes is double-quoted */
		return "&quot;";
	default:
		return NULL;
	}
}

void report_html_text(struct strbuf *out, const char *text)
{
	put_escaped(out, text, html_special);
}
