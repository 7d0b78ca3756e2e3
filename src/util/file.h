/* Reading whole text files. */
#ifndef GT_FILE_H
#define GT_FILE_H

#include <stddef.h>

/* Returns the contents of path, NUL-terminated, or NULL with a message that names the
 * file ("cannot open spec 'x.yaml': ..." with what = "spec"). Files larger than limit
 * bytes are refused. *length (when not NULL) receives the size, for binary files. The
 * caller frees the text. */
char *file_read_text(const char *path, const char *what, size_t limit, size_t *length);

#endif
