/* The CSV reader. zlib's gz* functions read plain and gzip files alike (and report gzip
 * damage); libcsv parses the RFC 4180 grammar (quoted cells, doubled quotes, newlines
 * inside quotes, any of LF, CRLF and CR). This file feeds libcsv one physical line at a
 * time, so every message names its line, and refuses what libcsv would pass on silently:
 * NUL bytes, records without bound, cells that are not finite numbers. */
#include "data/csv_reader.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/error.h"
#include "util/printable.h"
#include "util/strbuf.h"

#define MAX_COLUMNS 100000
/* How much of a cell a message shows: enough to recognise it, not a screenful. */
#define SHOWN_CELL_BYTES 40

struct csv_state {
	const char *path;
	const struct spec *spec;
	struct dataset *data;
	long line;          /* the physical line being fed, from 1 */
	long record_line;   /* the line the current record started on */
	size_t record_bytes; /* bytes of the current record fed so far */
	bool in_record;     /* a record has started and not ended */
	bool row_ended;     /* libcsv ended a record while parsing the current chunk */
	bool failed;        /* a callback reported an error; the rest is ignored */
	bool header_done;
	int field;          /* cells seen in the current record */
	int columns;
	char **names;       /* header cells, made printable for messages */
	int label;          /* the label column's index */
	double *row;        /* (features) the current record's inputs */
	int32_t row_label;
	size_t rows, capacity;
};

/* A cell as a message shows it: control bytes as \xNN (a cell may hold a newline or a
 * terminal escape), cut after SHOWN_CELL_BYTES. The caller frees it. */
static char *printable(const char *text, size_t length)
{
	struct strbuf cut, shown;
	strbuf_init(&cut);
	strbuf_init(&shown);
	strbuf_add(&cut, text, length < SHOWN_CELL_BYTES ? length : SHOWN_CELL_BYTES);
	text_escape_printable(&shown, cut.text);
	if (length > SHOWN_CELL_BYTES)
		strbuf_puts(&shown, "...");
	strbuf_free(&cut);
	return strbuf_detach(&shown);
}

/* Reports a cell that is not what its column needs, at the record's line. */
static void cell_error(struct csv_state *state, const char *column_kind, const char *expected,
		       const char *text, size_t length)
{
	char *shown = printable(text, length);
	error("%s:%ld: %s '%s': expected %s, found '%s'", state->path, state->record_line,
	      column_kind, state->names[state->field], expected, shown);
	free(shown);
	state->failed = true;
}

/* Collects a header cell; names stay raw until the header ends (data.label matches them). */
static void header_cell(struct csv_state *state, const char *text, size_t length)
{
	if (state->field == MAX_COLUMNS) {
		error("%s:%ld: the header has more than %d columns", state->path, state->record_line,
		      MAX_COLUMNS);
		state->failed = true;
		return;
	}
	if (state->field % 64 == 0) {
		char **grown = realloc(state->names, sizeof *grown * (size_t)(state->field + 64));
		if (!grown) {
			error("%s:%ld: out of memory reading the header", state->path, state->record_line);
			state->failed = true;
			return;
		}
		state->names = grown;
	}
	char *name = xmalloc(length + 1);
	memcpy(name, text, length);
	name[length] = '\0';
	state->names[state->field] = name;
	state->columns = state->field + 1;
}

/* Parses a cell into value: a finite number, with white space around it allowed (a
 * quoted cell keeps its spaces). */
static void data_cell(struct csv_state *state, char *text, size_t length)
{
	if (state->field >= state->columns)
		return; /* the record's end reports the count */
	char *start = text, *stop = text + length;
	while (start < stop && isspace((unsigned char)*start))
		start++;
	while (stop > start && isspace((unsigned char)stop[-1]))
		stop--;
	*stop = '\0'; /* libcsv's buffer, NUL-terminated at text[length] (CSV_APPEND_NULL) */
	char *end;
	double value = strtod(start, &end);
	if (start == stop || end != stop) {
		cell_error(state, state->field == state->label ? "label column" : "column",
			   "a number", start, (size_t)(stop - start));
		return;
	}
	if (!isfinite(value)) {
		cell_error(state, state->field == state->label ? "label column" : "column",
			   "a finite number", start, (size_t)(stop - start));
		return;
	}
	if (state->field != state->label) {
		state->row[state->field - (state->field > state->label)] = value;
		return;
	}
	if (value != floor(value) || value < 0 || value > INT32_MAX) {
		cell_error(state, "label column", "an integer from 0 to 2147483647", start,
			   (size_t)(stop - start));
		return;
	}
	/* a given class count is checked here, where the line is known (the fit after the read
	 * could only name the example) */
	if (spec_key_given(state->spec, "data.classes") && value >= state->spec->data.classes) {
		error("%s:%ld: label column '%s': label %.0f, not below data.classes (%lld, given "
		      "at %s)", state->path, state->record_line, state->names[state->field], value,
		      (long long)state->spec->data.classes,
		      spec_origin_of(state->spec, "data.classes"));
		state->failed = true;
		return;
	}
	state->row_label = (int32_t)value;
}

static void on_cell(void *text, size_t length, void *context)
{
	struct csv_state *state = context;
	if (state->failed)
		return;
	if (state->header_done)
		data_cell(state, text, length);
	else
		header_cell(state, text, length);
	state->field++;
}

/* Ends the header: finds the label column, makes names printable, allocates storage. */
static void end_header(struct csv_state *state)
{
	if (state->columns < 2) {
		error("%s:%ld: expected a header of 2 to %d columns, found %d", state->path,
		      state->record_line, MAX_COLUMNS, state->columns);
		state->failed = true;
		return;
	}
	const char *wanted = state->spec->data.label;
	state->label = -1;
	if (!wanted || !*wanted) {
		state->label = state->columns - 1;
	} else {
		for (int c = 0; c < state->columns && state->label < 0; c++)
			if (!strcmp(state->names[c], wanted))
				state->label = c;
		char *end;
		long index = strtol(wanted, &end, 10);
		if (state->label < 0 && !*end && index >= 0 && index < state->columns)
			state->label = (int)index;
	}
	for (int c = 0; c < state->columns; c++) {
		char *shown = printable(state->names[c], strlen(state->names[c]));
		free(state->names[c]);
		state->names[c] = shown;
	}
	if (state->label < 0) {
		char *shown = printable(wanted, strlen(wanted));
		error("%s:%ld: data.label: no column named '%s' (and it is not an index below %d)",
		      state->path, state->record_line, shown, state->columns);
		free(shown);
		state->failed = true;
		return;
	}
	struct dataset *data = state->data;
	data->features = state->columns - 1;
	state->capacity = 1024;
	state->row = xmalloc(sizeof(double) * (size_t)data->features);
	data->inputs = xmalloc(sizeof(double) * state->capacity * (size_t)data->features);
	data->labels = xmalloc(sizeof(int32_t) * state->capacity);
	state->header_done = true;
}

/* Stores a complete record as the next example. */
static void end_example(struct csv_state *state)
{
	struct dataset *data = state->data;
	if (state->field != state->columns) {
		error("%s:%ld: expected %d columns, as the header has, found %d", state->path,
		      state->record_line, state->columns, state->field);
		state->failed = true;
		return;
	}
	if (state->rows == state->capacity) {
		state->capacity *= 2;
		double *inputs = realloc(data->inputs, sizeof(double) * state->capacity *
							       (size_t)data->features);
		if (inputs)
			data->inputs = inputs;
		int32_t *labels = realloc(data->labels, sizeof(int32_t) * state->capacity);
		if (labels)
			data->labels = labels;
		if (!inputs || !labels) {
			error("%s:%ld: out of memory after %zu examples", state->path,
			      state->record_line, state->rows);
			state->failed = true;
			return;
		}
	}
	memcpy(data->inputs + state->rows * (size_t)data->features, state->row,
	       sizeof(double) * (size_t)data->features);
	data->labels[state->rows++] = state->row_label;
}

static void on_record(int terminator, void *context)
{
	(void)terminator;
	struct csv_state *state = context;
	state->row_ended = true;
	if (state->failed)
		return;
	if (state->header_done)
		end_example(state);
	else
		end_header(state);
	state->field = 0;
}

static bool is_blank(const char *bytes, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (!strchr(" \t\r\n", bytes[i]))
			return false;
	return true;
}

/* Feeds one chunk: a physical line with its line end, or a piece of a longer line.
 * Returns 0, or -1 with a message. */
static int feed(struct csv_state *state, struct csv_parser *parser, const char *bytes,
		size_t length)
{
	if (memchr(bytes, '\0', length))
		return error("%s:%ld: a NUL byte; a CSV file is text (is this file binary, or "
			     "UTF-16?)", state->path, state->line);
	if (!state->in_record) {
		state->record_line = state->line;
		state->record_bytes = 0;
	}
	state->record_bytes += length;
	if (state->record_bytes > CSV_MAX_RECORD_BYTES)
		return error("%s:%ld: a record longer than %u bytes (is a quote left open?)",
			     state->path, state->record_line, CSV_MAX_RECORD_BYTES);
	state->row_ended = false;
	/* libcsv grows a cell's buffer by a fixed block: make the block the buffer's size, so
	 * a long cell costs doubling, not one copy of the whole cell per block */
	size_t buffer_size = csv_get_buffer_size(parser);
	csv_set_blk_size(parser, buffer_size > 4096 ? buffer_size : 4096);
	if (csv_parse(parser, bytes, length, on_cell, on_record, state) != length) {
		if (csv_error(parser) == CSV_EPARSE)
			return error("%s:%ld: a quote inside a cell; quote the whole cell and double "
				     "the quotes in it (\"a \"\"b\"\"\")", state->path, state->line);
		return error("%s:%ld: %s", state->path, state->line,
			     csv_strerror(csv_error(parser)));
	}
	if (state->failed)
		return -1;
	if (state->row_ended)
		state->in_record = false;
	else if (!is_blank(bytes, length))
		state->in_record = true;
	return 0;
}

/* Splits buffer into physical lines (LF, CRLF or CR) and feeds them. A CR that ends the
 * buffer may be the first half of a CRLF: *pending_cr carries it to the next buffer, whose
 * leading LF then belongs to the same line end. */
static int feed_lines(struct csv_state *state, struct csv_parser *parser, const char *buffer,
		      size_t length, bool *pending_cr)
{
	size_t start = 0;
	if (*pending_cr && length && buffer[0] == '\n') {
		if (feed(state, parser, buffer, 1))
			return -1;
		start = 1;
	}
	*pending_cr = false;
	for (size_t i = start; i < length; i++) {
		if (buffer[i] != '\n' && buffer[i] != '\r')
			continue;
		if (buffer[i] == '\r' && i + 1 < length && buffer[i + 1] == '\n')
			i++;
		else if (buffer[i] == '\r' && i + 1 == length)
			*pending_cr = true;
		if (feed(state, parser, buffer + start, i + 1 - start))
			return -1;
		state->line++;
		start = i + 1;
	}
	return start < length ? feed(state, parser, buffer + start, length - start) : 0;
}

int csv_read(struct dataset *data, const struct spec *spec)
{
	const char *path = spec->data.path;
	memset(data, 0, sizeof *data);
	gzFile file = gzopen(path, "rb");
	if (!file)
		return error("cannot open data file '%s': %s", path,
			     errno ? strerror(errno) : "out of memory");
	struct csv_state state = {.path = path, .spec = spec, .data = data, .line = 1};
	struct csv_parser parser;
	/* Strict: a stray quote is an error, not a guess; APPEND_NULL: cells end in NUL. */
	csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	size_t buffer_size = 1 << 16;
	char *buffer = xmalloc(buffer_size);
	bool first = true, pending_cr = false;
	int result = -1, got;

	while ((got = gzread(file, buffer, (unsigned)buffer_size)) > 0) {
		size_t skip = 0;
		if (first && got >= 3 && !memcmp(buffer, "\xef\xbb\xbf", 3))
			skip = 3; /* the UTF-8 byte order mark some editors put first */
		first = false;
		if (feed_lines(&state, &parser, buffer + skip, (size_t)got - skip, &pending_cr))
			goto done;
	}
	if (got < 0) {
		int code;
		const char *message = gzerror(file, &code);
		error("%s:%ld: gzip error: %s", path, state.line, message);
		goto done;
	}
	if (csv_fini(&parser, on_cell, on_record, &state)) {
		error("%s:%ld: a quoted cell is not closed before the end of the file", path,
		      state.record_line);
		goto done;
	}
	if (state.failed)
		goto done;
	if (!state.header_done) {
		error("%s: empty file; expected a header line naming the columns", path);
		goto done;
	}
	if (state.rows == 0) {
		error("%s: no examples after the header", path);
		goto done;
	}
	data->samples = (int64_t)state.rows;
	result = 0;
done:
	for (int c = 0; c < state.columns; c++)
		free(state.names[c]);
	free(state.names);
	free(state.row);
	free(buffer);
	csv_free(&parser);
	gzclose(file);
	if (result)
		dataset_free(data);
	return result;
}
