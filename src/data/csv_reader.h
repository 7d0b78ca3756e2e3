/* Reading a labelled CSV file (plain or gzip) into a dataset. */
#ifndef GT_CSV_READER_H
#define GT_CSV_READER_H

#include "data/dataset.h"

/* Reads spec->data.path: a header line naming the columns, then one example per line,
 * every cell a finite number; the label column (data.label) holds non-negative
 * integers (dataset_generate checks them against data.classes). Fills inputs, labels,
 * samples and features. On error returns -1 with "FILE:LINE: ..." and leaves data
 * empty. */
int csv_read(struct dataset *data, const struct spec *spec);

#endif
