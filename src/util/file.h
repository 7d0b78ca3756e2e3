/* Reading whole text files. */
#ifndef GT_FILE_H
#define GT_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Returns the contents of path, NUL-terminated, or NULL with a message that names the
 * file ("cannot open spec 'x.yaml': ..." with what = "spec"). Files larger than limit
 * bytes are refused. *length (when not NULL) receives the size, for binary files. The
 * caller frees the text. */
char *file_read_text(const char *path, const char *what, size_t limit, size_t *length);

/* Writes text to DIR/NAME with the given permissions. Returns -1 with a message naming
 * the file. */
int file_write_text(const char *dir, const char *name, const char *text, mode_t mode);

#endif
