/* "Did you mean": the candidate closest to what was typed, when it is close enough to be
 * a misspelling (the commands, run names, spec keys). */
#ifndef GT_SUGGEST_H
#define GT_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance; strings longer than 63 bytes count as 64 apart. */
size_t edit_distance(const char *a, const char *b);

struct suggestion {
	const char *typed;
	char *best; /* a copy of the closest candidate so far, NULL when none is close */
	size_t distance;
};

void suggestion_init(struct suggestion *suggestion, const char *typed);
/* Keeps candidate if it is closer than the best so far and within one edit of a typed
 * word of up to three bytes, two of a longer one. Candidates that are not printable
 * UTF-8 are never suggested: the suggestion is printed to a terminal. */
void suggestion_consider(struct suggestion *suggestion, const char *candidate);
/* Writes " (did you mean 'BEST'?)", or "" when nothing was close, into hint. */
void suggestion_hint(const struct suggestion *suggestion, char *hint, size_t size);
void suggestion_free(struct suggestion *suggestion);

#endif
