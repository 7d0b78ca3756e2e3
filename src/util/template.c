/* Placeholder expansion for the plot templates. */
#include "util/template.h"

#include <string.h>

int template_expand(struct strbuf *out, const char *text, const struct template_value *values,
		    int count)
{
	while (*text) {
		const char *at = strchr(text, '@');
		if (!at) {
			strbuf_puts(out, text);
			break;
		}
		strbuf_add(out, text, (size_t)(at - text));
		size_t length = strspn(at + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
		if (length == 0 || at[1 + length] != '@') {
			strbuf_add(out, at, 1); /* a lone @ is text */
			text = at + 1;
			continue;
		}
		int found = -1;
		for (int i = 0; i < count && found < 0; i++)
			if (strlen(values[i].name) == length && !strncmp(values[i].name, at + 1, length))
				found = i;
		if (found < 0)
			return error("template: no value for @%.*s@", (int)length, at + 1);
		strbuf_puts(out, values[found].text);
		text = at + length + 2;
	}
	return 0;
}

const char *embedded_find(const struct embedded_file *files, const char *name)
{
	for (; files->name; files++)
		if (!strcmp(files->name, name))
			return files->text;
	return NULL;
}
