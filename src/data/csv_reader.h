/* Reading a labelled CSV file (plain or gzip) into a dataset. */
#ifndef GT_CSV_READER_H
#define GT_CSV_READER_H

#include "data/dataset.h"

/* The longest record (one example, possibly over several lines when a quoted cell holds a
 * newline) the reader accepts: it bounds the memory a damaged file (an unclosed quote)
 * can take before it is refused. 16 MiB holds 100,000 columns of 20-digit numbers. */
#define CSV_MAX_RECORD_BYTES (16u << 20)

/* Reads spec->data.path, RFC 4180 CSV: a header record naming the columns, then one
 * example per record, every cell a finite number. Cells may be quoted ("1,5" holds a
 * comma, "" a quote, and a quoted cell may span lines); lines end in LF, CRLF or CR; a
 * UTF-8 byte order mark before the header is skipped; blank lines are ignored. The label
 * column (data.label: a name, a 0-based index, or the last column when empty) holds
 * integers from 0 to 2^31 - 1; they are not checked against data.classes here (the
 * caller fits or checks the class count). Fills inputs, labels, samples and features. On
 * error (a NUL byte, bad quoting, a record longer than CSV_MAX_RECORD_BYTES, a cell that
 * is not a number, ...) returns -1 with "FILE:LINE: ..." and leaves data empty. */
int csv_read(struct dataset *data, const struct spec *spec);

#endif
