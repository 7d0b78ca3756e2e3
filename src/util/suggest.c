/* "Did you mean": edit distance and the closest of a stream of candidates. */
#include "util/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/printable.h"

size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diagonal + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb];
}

void suggestion_init(struct suggestion *suggestion, const char *typed)
{
	suggestion->typed = typed;
	suggestion->best = NULL;
	/* one more than the edits allowed: "x" must not become "ls" */
	suggestion->distance = strlen(typed) <= 3 ? 2 : 3;
}

void suggestion_consider(struct suggestion *suggestion, const char *candidate)
{
	if (!candidate || !strcmp(candidate, suggestion->typed) || !text_is_printable(candidate, NULL))
		return;
	size_t distance = edit_distance(candidate, suggestion->typed);
	if (distance >= suggestion->distance)
		return;
	free(suggestion->best);
	suggestion->best = xstrdup(candidate);
	suggestion->distance = distance;
}

void suggestion_hint(const struct suggestion *suggestion, char *hint, size_t size)
{
	if (suggestion->best)
		snprintf(hint, size, " (did you mean '%s'?)", suggestion->best);
	else if (size)
		hint[0] = '\0';
}

void suggestion_free(struct suggestion *suggestion)
{
	free(suggestion->best);
	suggestion->best = NULL;
}
