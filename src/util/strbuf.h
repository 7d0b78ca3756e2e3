/* A growable, always NUL-terminated string buffer.
 *
 * Allocation failure is fatal here (the process prints and aborts): string building
 * happens outside the training step and a half-built message is of no use to anyone. */
#ifndef GT_STRBUF_H
#define GT_STRBUF_H

#include <stddef.h>

#include "util/error.h"

struct strbuf {
	char *text; /* never NULL after strbuf_init */
	size_t length;
	size_t capacity;
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const char *text, size_t length);
void strbuf_puts(struct strbuf *sb, const char *text);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) GT_PRINTF(2, 3);
/* Hands the text to the caller, who frees it. The buffer is left holding nothing: it
 * needs no strbuf_free, and strbuf_init before any further use. */
char *strbuf_detach(struct strbuf *sb);

/* malloc/calloc/strdup that abort with a message instead of returning NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *text);

#endif
