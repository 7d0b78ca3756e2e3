/* @NAME@ placeholders in text templates (the gnuplot templates in plots/). */
#ifndef GT_TEMPLATE_H
#define GT_TEMPLATE_H

#include "util/embedded.h"
#include "util/strbuf.h"

struct template_value {
	const char *name; /* without the @ signs */
	const char *text;
};

/* Appends template to out with every @NAME@ in values replaced by its text. Returns -1
 * with a message naming the placeholder if the template has one that values lack. */
int template_expand(struct strbuf *out, const char *template_text,
		    const struct template_value *values, int count);

/* The embedded file called name, or NULL. */
const char *embedded_find(const struct embedded_file *files, const char *name);

#endif
