/* Text that reaches a terminal or a line-based file. Names and other strings come from
 * specs, the command line and databases written elsewhere: they are data, so control
 * characters (C0, DEL, C1) and bytes that are not UTF-8 are refused where a name is made
 * and escaped where stored text is printed, never passed to the terminal to act on. */
#ifndef GT_PRINTABLE_H
#define GT_PRINTABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* True when text is valid UTF-8 with no control character (C0, DEL, C1, bidi). Otherwise
 * false, with the byte offset of the first offending byte in *offset (if not NULL). */
bool text_is_printable(const char *text, size_t *offset);

/* The length in bytes of the printable character at text (1..4), or 0 when the bytes
 * there are a control character or not well-formed UTF-8 (a NUL too). */
size_t text_printable_length(const char *text);

/* Appends text to out with every control character written as \xNN, its code point
 * (a tab or newline too; \uNNNN for a bidirectional mark; the forms YAML's double
 * quotes read back), and every byte that is
 * not part of valid UTF-8 as \xNN, the byte; so what is printed shows what is there
 * and cannot move the cursor, recolour or retitle the terminal. */
void text_escape_printable(struct strbuf *out, const char *text);

/* Appends printable text cut to `columns` characters (not bytes: a cut never splits a
 * UTF-8 sequence) and padded with spaces to `columns`, for a table column. */
void text_fit_columns(struct strbuf *out, const char *text, int columns);

/* text_escape_printable into a new string the caller frees; NULL stays NULL. */
char *text_printable(const char *text);

/* Escaped copies of several strings for one printf: each shown_text returns the text
 * escaped as above ("-" for NULL), valid until shown_free. At most SHOWN_MAX at once. */
#define SHOWN_MAX 16
struct shown {
	char *texts[SHOWN_MAX];
	int count;
};
const char *shown_text(struct shown *shown, const void *text);
void shown_free(struct shown *shown);

#endif
