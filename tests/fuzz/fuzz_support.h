/* What the libFuzzer harnesses share: a private scratch directory (on tmpfs when there is
 * one, since every input is written to a file: the readers under test take paths, as
 * gtrack's users give them) and the entry point's prototype. */
#ifndef GT_FUZZ_SUPPORT_H
#define GT_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns DIR/name in a directory made once per process (static storage: copy it). The
 * process aborts if no directory can be made, since no input could be tried. */
const char *fuzz_path(const char *name);

/* Writes size bytes to path, replacing it; aborts on failure (the disk, not the input). */
void fuzz_write_file(const char *path, const void *data, size_t size);

#endif
