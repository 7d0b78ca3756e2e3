/* Telling printable text from bytes that a terminal, a script or a page would act on. */
#ifndef GT_UTF8_H
#define GT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length of the well-formed UTF-8 sequence of a printable character at text, or 0
 * for a control character (C0, DEL, C1), a byte that does not start a valid sequence,
 * an overlong form, a surrogate or a value past U+10FFFF. Reads no further than a NUL. */
size_t utf8_printable_length(const char *text);
/* Whether all of text is printable UTF-8. */
bool utf8_printable(const char *text);

#endif
