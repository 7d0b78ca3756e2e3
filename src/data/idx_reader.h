/* Reading MNIST's IDX format (plain or gzip) into a dataset. */
#ifndef GT_IDX_READER_H
#define GT_IDX_READER_H

#include "data/dataset.h"

/* Reads data.images (magic 0x00000803: unsigned bytes, count x rows x columns) and
 * data.labels (magic 0x00000801: count unsigned bytes, each below data.classes). Fills
 * inputs (pixel values 0 to 255), labels, samples and features. On error returns -1 with
 * the file, the byte offset and what was wrong, and leaves data empty. */
int idx_read(struct dataset *data, const struct spec *spec);

#endif
