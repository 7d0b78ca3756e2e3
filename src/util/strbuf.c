/* Growable strings and allocation helpers that never return NULL. */
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
	fprintf(stderr, "gtrack: out of memory allocating %zu bytes\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		out_of_memory(size);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		out_of_memory(count * size);
	return p;
}

char *xstrdup(const char *text)
{
	size_t length = strlen(text);
	char *copy = xmalloc(length + 1);
	memcpy(copy, text, length + 1);
	return copy;
}

void strbuf_init(struct strbuf *sb)
{
	sb->capacity = 64;
	sb->length = 0;
	sb->text = xmalloc(sb->capacity);
	sb->text[0] = '\0';
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->text);
	sb->text = NULL;
	sb->length = sb->capacity = 0;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->length = 0;
	sb->text[0] = '\0';
}

static void reserve(struct strbuf *sb, size_t extra)
{
	if (sb->length + extra + 1 <= sb->capacity)
		return;
	if (sb->capacity == 0)
		sb->capacity = 64;
	while (sb->length + extra + 1 > sb->capacity)
		sb->capacity *= 2;
	char *grown = realloc(sb->text, sb->capacity);
	if (!grown)
		out_of_memory(sb->capacity);
	sb->text = grown;
}

void strbuf_add(struct strbuf *sb, const char *text, size_t length)
{
	reserve(sb, length);
	memcpy(sb->text + sb->length, text, length);
	sb->length += length;
	sb->text[sb->length] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *text)
{
	strbuf_add(sb, text, strlen(text));
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int needed = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (needed < 0)
		return;
	reserve(sb, (size_t)needed);
	va_start(ap, fmt);
	vsnprintf(sb->text + sb->length, (size_t)needed + 1, fmt, ap);
	va_end(ap);
	sb->length += (size_t)needed;
}

char *strbuf_detach(struct strbuf *sb)
{
	char *text = sb->text;
	sb->text = NULL;
	sb->length = sb->capacity = 0;
	return text;
}
