/* Reading MNIST's IDX format (plain or gzip) into a dataset, in two parts so that the
 * sizes (and labels) are known, and memory checked, before the pixels are allocated. */
#ifndef GT_IDX_READER_H
#define GT_IDX_READER_H

#include <zlib.h>

#include "data/dataset.h"

/* The images file between idx_open and idx_read_pixels. */
struct idx_source {
	gzFile images;
	const char *images_path;
};

/* Opens data.images (magic 0x00000803: unsigned bytes, count x rows x columns) and
 * data.labels (magic 0x00000801: count unsigned bytes), checks both headers and reads the
 * labels: fills samples, features and labels. On error returns -1 with the file, the
 * byte offset and what was wrong, and leaves data and source empty; otherwise the caller
 * calls idx_read_pixels or idx_close. */
int idx_open(struct dataset *data, struct idx_source *source, const struct spec *spec);

/* Reads the pixels (values 0 to 255) into inputs and closes the images file. On error
 * returns -1 with the file and offset, and frees data. */
int idx_read_pixels(struct dataset *data, struct idx_source *source);

/* Closes the images file without reading it. Accepts a closed source. */
void idx_close(struct idx_source *source);

#endif
