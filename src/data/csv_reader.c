/* The CSV reader: zlib's gz* functions read plain and gzip files alike, and report gzip
 * damage. Cells are separated by commas; a header cell may be quoted. */
#include "data/csv_reader.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/error.h"
#include "util/strbuf.h"

/* Reads one line into line (without the newline); returns 0 at the end, -1 on error. */
static int read_line(gzFile file, struct strbuf *line, const char *path, long number)
{
	char chunk[4096];
	strbuf_reset(line);
	for (;;) {
		if (!gzgets(file, chunk, sizeof chunk)) {
			int code;
			const char *message = gzerror(file, &code);
			if (code != Z_OK && code != Z_STREAM_END)
				return error("%s:%ld: gzip error: %s", path, number, message);
			return line->length ? 1 : 0;
		}
		size_t length = strlen(chunk);
		strbuf_add(line, chunk, length);
		if (length && chunk[length - 1] == '\n')
			break;
	}
	while (line->length && (line->text[line->length - 1] == '\n' ||
				line->text[line->length - 1] == '\r'))
		line->text[--line->length] = '\0';
	return 1;
}

/* Splits line at commas in place; returns the number of cells (at most max). */
static int split(char *line, char **cells, int max)
{
	int count = 0;
	for (char *cell = line;; ) {
		if (count == max)
			return max + 1;
		char *comma = strchr(cell, ',');
		cells[count++] = cell;
		if (!comma)
			return count;
		*comma = '\0';
		cell = comma + 1;
	}
}

static char *trim(char *text)
{
	while (isspace((unsigned char)*text))
		text++;
	char *end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*text == '"' && end > text + 1 && end[-1] == '"') {
		end[-1] = '\0';
		text++;
	}
	return text;
}

#define MAX_COLUMNS 100000

int csv_read(struct dataset *data, const struct spec *spec)
{
	const char *path = spec->data.path;
	gzFile file = gzopen(path, "rb");
	if (!file)
		return error("cannot open data file '%s': %s", path,
			     errno ? strerror(errno) : "out of memory");
	struct strbuf line;
	strbuf_init(&line);
	char **cells = xcalloc(MAX_COLUMNS + 1, sizeof *cells);
	char **names = NULL;
	size_t capacity = 1024, rows = 0;
	int columns = 0, label = -1, result = -1;
	long number = 1;
	memset(data, 0, sizeof *data);

	int got = read_line(file, &line, path, number);
	if (got <= 0) {
		if (got == 0)
			error("%s: empty file; expected a header line naming the columns", path);
		goto done;
	}
	columns = split(line.text, cells, MAX_COLUMNS);
	if (columns > MAX_COLUMNS || columns < 2) {
		error("%s:1: expected a header of 2 to %d columns, found %d", path, MAX_COLUMNS,
		      columns);
		goto done;
	}
	names = xcalloc((size_t)columns, sizeof *names);
	for (int c = 0; c < columns; c++)
		names[c] = xstrdup(trim(cells[c]));
	const char *wanted = spec->data.label && *spec->data.label ? spec->data.label : NULL;
	if (!wanted) {
		label = columns - 1;
	} else {
		for (int c = 0; c < columns && label < 0; c++)
			if (!strcmp(names[c], wanted))
				label = c;
		char *end;
		long index = strtol(wanted, &end, 10);
		if (label < 0 && !*end && index >= 0 && index < columns)
			label = (int)index;
		if (label < 0) {
			error("%s:1: data.label: no column named '%s' (and it is not an index below %d)",
			      path, wanted, columns);
			goto done;
		}
	}
	data->features = columns - 1;
	data->inputs = xmalloc(sizeof(double) * capacity * (size_t)data->features);
	data->labels = xmalloc(sizeof(int32_t) * capacity);

	while ((got = read_line(file, &line, path, ++number)) > 0) {
		if (!line.length)
			continue; /* blank lines, e.g. at the end */
		int found = split(line.text, cells, columns);
		if (found != columns) {
			error("%s:%ld: expected %d columns, as the header has, found %s%d", path, number,
			      columns, found > columns ? "more than " : "", found > columns ? columns : found);
			goto done;
		}
		if (rows == capacity) {
			capacity *= 2;
			data->inputs = realloc(data->inputs,
					       sizeof(double) * capacity * (size_t)data->features);
			data->labels = realloc(data->labels, sizeof(int32_t) * capacity);
			if (!data->inputs || !data->labels) {
				error("%s: out of memory at line %ld", path, number);
				goto done;
			}
		}
		double *x = data->inputs + rows * (size_t)data->features;
		for (int c = 0, f = 0; c < columns; c++) {
			char *text = trim(cells[c]), *end;
			errno = 0;
			double value = strtod(text, &end);
			if (!*text || *end) {
				error("%s:%ld: column '%s': expected a number, found '%s'", path, number,
				      names[c], text);
				goto done;
			}
			if (!isfinite(value)) {
				error("%s:%ld: column '%s': expected a finite number, found '%s'", path,
				      number, names[c], text);
				goto done;
			}
			if (c != label) {
				x[f++] = value;
				continue;
			}
			/* data.classes is fitted to (or checked against) the labels later */
			if (value != floor(value) || value < 0 || value > INT32_MAX) {
				error("%s:%ld: label column '%s': expected a non-negative integer, "
				      "found '%s'",
				      path, number, names[c], text);
				goto done;
			}
			data->labels[rows] = (int32_t)value;
		}
		rows++;
	}
	if (got < 0)
		goto done;
	if (rows == 0) {
		error("%s: no examples after the header", path);
		goto done;
	}
	data->samples = (int64_t)rows;
	result = 0;
done:
	if (names)
		for (int c = 0; c < columns; c++)
			free(names[c]);
	free(names);
	free(cells);
	strbuf_free(&line);
	gzclose(file);
	if (result)
		dataset_free(data);
	return result;
}
