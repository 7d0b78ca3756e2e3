/* Names are data: every string that reaches a gnuplot script or index.html from a spec,
 * the command line or a database (run names, hyper-parameter values, statuses, the
 * database path) goes through one of the two functions here, and nowhere else is such
 * a string pasted into either language. */
#include "report/report.h"

#include <stddef.h>

/* The length of the well-formed UTF-8 sequence of a printable character at text, or 0
 * for a control character (C0, DEL, C1), a byte that does not start a valid sequence,
 * an overlong form, a surrogate or a value past U+10FFFF. */
static size_t printable_utf8_length(const unsigned char *text)
{
	unsigned char lead = text[0];
	if (lead < 0x80)
		return lead >= 0x20 && lead != 0x7f;
	size_t length = lead >= 0xc2 && lead <= 0xdf   ? 2
			: lead >= 0xe0 && lead <= 0xef ? 3
			: lead >= 0xf0 && lead <= 0xf4 ? 4
						       : 0;
	for (size_t i = 1; i < length; i++)
		if ((text[i] & 0xc0) != 0x80)
			return 0;
	if ((lead == 0xe0 && text[1] < 0xa0) || (lead == 0xed && text[1] > 0x9f) ||
	    (lead == 0xf0 && text[1] < 0x90) || (lead == 0xf4 && text[1] > 0x8f))
		return 0;
	if (lead == 0xc2 && text[1] <= 0x9f) /* U+0080..U+009F: C1 controls */
		return 0;
	return length;
}

/* Copies text to out a printable character at a time; special(c) names the
 * replacement of an ASCII character, or NULL to copy it. Anything unprintable becomes
 * '?', so no escape sequence, line break or broken UTF-8 survives. */
static void put_escaped(struct strbuf *out, const char *text, const char *(*special)(char))
{
	const unsigned char *c = (const unsigned char *)text;
	while (*c) {
		size_t length = printable_utf8_length(c);
		const char *replacement = length == 1 ? special((char)*c) : NULL;
		if (!length)
			strbuf_puts(out, "?");
		else if (replacement)
			strbuf_puts(out, replacement);
		else
			strbuf_add(out, (const char *)c, length);
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
