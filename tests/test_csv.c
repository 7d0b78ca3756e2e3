/* The CSV reader on CSV as people write it (RFC 4180 quoting, every line end, a byte order
 * mark) and on what it must refuse with the line (a NUL byte, stray or unclosed quotes, a
 * record without bound); and the standardisation of file data at the edges of the double
 * range. */
#include "support/test_support.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data/csv_reader.h"
#include "data/dataset.h"
#include "spec/spec.h"
#include "util/error.h"
#include "util/strbuf.h"

static const char *dir;
static char csv_path[1024];

static void write_bytes(const char *bytes, size_t length)
{
	snprintf(csv_path, sizeof csv_path, "%s/d.csv", dir);
	FILE *file = fopen(csv_path, "wb");
	assert_non_null(file);
	assert_int_equal(fwrite(bytes, 1, length, file), length);
	assert_int_equal(fclose(file), 0);
}

/* Reads bytes as a CSV file whose label column is `label` ("" for the last). */
static int read_csv(const char *bytes, size_t length, const char *label, struct dataset *data)
{
	write_bytes(bytes, length);
	struct spec spec;
	memset(&spec, 0, sizeof spec);
	spec.data.path = csv_path;
	spec.data.label = (char *)label;
	error_clear();
	return csv_read(data, &spec);
}

#define READ(text, label, data) read_csv(text, sizeof text - 1, label, data)

static void assert_refused(const char *bytes, size_t length, const char *expected)
{
	struct dataset data;
	if (read_csv(bytes, length, "", &data) == 0) {
		dataset_free(&data);
		fail_msg("accepted, expected an error containing \"%s\"", expected);
	}
	if (!strstr(error_last(), expected))
		fail_msg("error \"%s\" does not contain \"%s\"", error_last(), expected);
	assert_null(data.inputs);
	assert_int_equal(data.samples, 0);
}

#define REFUSED(text, expected) assert_refused(text, sizeof text - 1, expected)

static void setup_dir(void)
{
	dir = test_temp_dir();
}

static void quoted_cells_hold_commas_quotes_and_newlines(void **state)
{
	(void)state;
	setup_dir();
	/* a header cell with a comma, one with doubled quotes, one spanning two lines; quoted
	 * numbers, with spaces inside and outside the quotes */
	struct dataset data;
	assert_int_equal(READ("\"width, cm\",\"say \"\"hi\"\"\",\"two\nlines\",y\n"
			      "\"1.5\", \" -2 \" ,3,\"1\"\n"
			      "4,5,6,0\n",
			      "y", &data),
			 0);
	assert_int_equal(data.samples, 2);
	assert_int_equal(data.features, 3);
	assert_true(data.inputs[0] == 1.5 && data.inputs[1] == -2 && data.inputs[2] == 3);
	assert_true(data.inputs[3] == 4 && data.inputs[5] == 6);
	assert_int_equal(data.labels[0], 1);
	assert_int_equal(data.labels[1], 0);
	dataset_free(&data);
	/* a label named with a comma; the header's two lines count in later messages */
	assert_int_equal(READ("a,\"the, label\"\n1,0\n", "the, label", &data), 0);
	dataset_free(&data);
	REFUSED("\"width, cm\",\"say \"\"hi\"\"\",\"two\nlines\",y\n1,2,3,0\n1,x,3,0\n",
		"d.csv:4: column 'say \"hi\"': expected a number, found 'x'");
	/* a cell's newline is shown escaped, not printed */
	REFUSED("a,y\n\"1\n2\",0\n", "d.csv:2: column 'a': expected a number, found '1\\x0a2'");
	REFUSED("a,y\n\"\x1b[2J\",0\n", "found '\\x1b[2J'");
}

static void every_line_end_reads_the_same(void **state)
{
	(void)state;
	setup_dir();
	static const char *const files[] = {"a,b,y\n1,2,0\n3,4,1\n",
					    "a,b,y\r\n1,2,0\r\n3,4,1\r\n",
					    "a,b,y\r1,2,0\r3,4,1\r",
					    "a,b,y\n1,2,0\r\n3,4,1", /* mixed, no final line end */
					    "\n\na,b,y\n \t\n1,2,0\n\n3,4,1\n\n"}; /* blank lines */
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		struct dataset data;
		if (read_csv(files[i], strlen(files[i]), "", &data))
			fail_msg("file %zu: %s", i, error_last());
		assert_int_equal(data.samples, 2);
		assert_int_equal(data.features, 2);
		assert_true(data.inputs[0] == 1 && data.inputs[1] == 2 && data.inputs[2] == 3 &&
			    data.inputs[3] == 4);
		assert_int_equal(data.labels[0], 0);
		assert_int_equal(data.labels[1], 1);
		dataset_free(&data);
	}
	/* line numbers count CRLF once and a lone CR as a line */
	REFUSED("a,y\r\n1,0\r\nx,1\r\n", "d.csv:3: column 'a'");
	REFUSED("a,y\r1,0\rx,1\r", "d.csv:3: column 'a'");
	REFUSED("a,y\r\r1,0\r\nx,1\r", "d.csv:4: column 'a'");
	/* a CRLF split between two reads of the file is still one line end: the reader reads
	 * 65536 bytes at a time, and with a 7-byte header the CR of row 13106 is the last byte
	 * of the first read */
	struct strbuf file;
	strbuf_init(&file);
	strbuf_puts(&file, "a,y  \r\n");
	for (int row = 1; row <= 13200; row++)
		strbuf_puts(&file, "1,0\r\n");
	assert_int_equal(file.text[65535], '\r');
	strbuf_puts(&file, "x,0\r\n");
	assert_refused(file.text, file.length, "d.csv:13202: column 'a'");
	strbuf_free(&file);
}

static void byte_order_mark_is_skipped(void **state)
{
	(void)state;
	setup_dir();
	struct dataset data;
	assert_int_equal(READ("\xef\xbb\xbf" "a,y\n1,0\n", "a", &data), 0);
	assert_int_equal(data.labels[0], 1);
	dataset_free(&data);
	assert_int_equal(READ("\xef\xbb\xbf\"a\",y\r\n1,0\r\n", "a", &data), 0);
	assert_int_equal(data.labels[0], 1);
	dataset_free(&data);
	/* only before the header: elsewhere it is not a number */
	REFUSED("a,y\n\xef\xbb\xbf" "1,0\n", "d.csv:2: column 'a': expected a number");
	REFUSED("\xef\xbb\xbf", "d.csv: empty file");
}

static void nul_byte_is_refused_with_its_line(void **state)
{
	(void)state;
	setup_dir();
	/* before libcsv, the line was cut at the NUL and glued to the next one */
	REFUSED("a,y\n1,0\n2\0,1\n3,0\n", "d.csv:3: a NUL byte; a CSV file is text");
	REFUSED("a,y\n1,0\n\"2\0\",1\n", "d.csv:3: a NUL byte");
	/* UTF-16 text is mostly NUL bytes */
	REFUSED("\xff\xfe" "a\0,\0y\0\n\0", "d.csv:1: a NUL byte; a CSV file is text (is this "
					    "file binary, or UTF-16?)");
}

static void bad_quoting_is_refused_with_its_line(void **state)
{
	(void)state;
	setup_dir();
	REFUSED("a,y\n1,0\n1\"2,0\n", "d.csv:3: a quote inside a cell; quote the whole cell");
	REFUSED("a,y\n\"1\"2,0\n", "d.csv:2: a quote inside a cell");
	REFUSED("a,y\n1,0\n\"1,0\n2,1\n",
		"d.csv:3: a quoted cell is not closed before the end of the file");
}

/* A record longer than CSV_MAX_RECORD_BYTES: a quote left open, or one very long line. */
static void record_length_is_bounded(void **state)
{
	(void)state;
	setup_dir();
	size_t length = CSV_MAX_RECORD_BYTES + (1 << 20);
	char *file = xmalloc(length);
	memset(file, '1', length);
	memcpy(file, "a,y\n1,0\n\"", 9);
	for (size_t i = 100; i < length; i += 100)
		file[i] = '\n'; /* many lines, all inside the open quote */
	assert_refused(file, length, "d.csv:3: a record longer than 16777216 bytes (is a quote "
				     "left open?)");
	memcpy(file, "a,y\n1,0\n1,", 10);
	for (size_t i = 10; i < length; i += 2)
		file[i] = '1', file[i + 1] = ',';
	assert_refused(file, length, "d.csv:3: a record longer than 16777216 bytes");
	free(file);
}

/* Labels are any integers from 0 to 2^31 - 1: the class count is fitted or checked by
 * the caller, not here. */
static void labels_are_non_negative_integers(void **state)
{
	(void)state;
	setup_dir();
	struct dataset data;
	assert_int_equal(READ("a,y\n1,2147483647\n2,7\n3,1e1\n", "y", &data), 0);
	assert_int_equal(data.labels[0], 2147483647);
	assert_int_equal(data.labels[1], 7);
	assert_int_equal(data.labels[2], 10);
	dataset_free(&data);
	REFUSED("a,y\n1,2147483648\n",
		"d.csv:2: label column 'y': expected an integer from 0 to 2147483647, found "
		"'2147483648'");
	REFUSED("a,y\n1,-1\n", "label column 'y': expected an integer from 0 to 2147483647, "
			       "found '-1'");
	REFUSED("a,y\n1,0.5\n", "found '0.5'");
	REFUSED("a,y\n1,\n", "d.csv:2: label column 'y': expected a number, found ''");
}

static void cells_must_be_finite_numbers(void **state)
{
	(void)state;
	setup_dir();
	struct dataset data;
	/* 1e308 and the largest double are finite */
	assert_int_equal(READ("a,b,y\n1e308,-1.7976931348623157e308,0\n", "", &data), 0);
	assert_true(data.inputs[0] == 1e308 && data.inputs[1] == -DBL_MAX);
	dataset_free(&data);
	REFUSED("a,y\n1e309,0\n", "d.csv:2: column 'a': expected a finite number, found '1e309'");
	REFUSED("a,y\ninf,0\n", "expected a finite number, found 'inf'");
	REFUSED("a,y\n1,0\n2,1,3\n", "d.csv:3: expected 2 columns, as the header has, found 3");
	REFUSED("a,y\n1,0\n2\n", "d.csv:3: expected 2 columns, as the header has, found 1");
	REFUSED("a,y\n1,0\n,1\n", "d.csv:3: column 'a': expected a number, found ''");
	REFUSED("a\n1\n", "d.csv:1: expected a header of 2 to 100000 columns, found 1");
	REFUSED("", "d.csv: empty file; expected a header line naming the columns");
	REFUSED("\n \n", "d.csv: empty file");
	REFUSED("a,y\n\n", "d.csv: no examples after the header");
}

static int read_gzip(const char *text, struct dataset *data)
{
	snprintf(csv_path, sizeof csv_path, "%s/d.csv.gz", dir);
	gzFile file = gzopen(csv_path, "wb");
	assert_non_null(file);
	assert_int_equal(gzwrite(file, text, (unsigned)strlen(text)), (int)strlen(text));
	assert_int_equal(gzclose(file), Z_OK);
	struct spec spec;
	memset(&spec, 0, sizeof spec);
	spec.data.path = csv_path;
	spec.data.label = "y";
	error_clear();
	return csv_read(data, &spec);
}

static void gzip_files_are_read_alike(void **state)
{
	(void)state;
	setup_dir();
	struct dataset data;
	assert_int_equal(read_gzip("\xef\xbb\xbf\"a, 1\",y\r\n\"1.5\",0\r\n2,1\r\n", &data), 0);
	assert_int_equal(data.samples, 2);
	assert_true(data.inputs[0] == 1.5 && data.inputs[1] == 2);
	dataset_free(&data);
	/* "1,5" is one cell, and not a number */
	assert_int_equal(read_gzip("\"a, 1\",y\r\n\"1,5\",0\r\n", &data), -1);
	assert_non_null(strstr(error_last(), "d.csv.gz:2: column 'a, 1': expected a number, "
					     "found '1,5'"));
}

/* Loads a spec whose data is d.csv in dir, with 1 of every 5 rows held out, unshuffled. */
static int load_standardised(struct dataset *data)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "data: {kind: csv, path: %s, classes: 2, validation: 0.2, shuffle: false}\n"
		 "train: {batch_size: 2}\n",
		 csv_path);
	struct spec spec;
	if (spec_load_text(&spec, text, "spec.yaml", NULL, 0))
		fail_msg("spec: %s", error_last());
	int result = dataset_generate(data, &spec);
	spec_free(&spec);
	return result;
}

/* Training rows a, b, c, d; the fifth row is held out. Column a reaches 1e308 (its sum
 * overflowed), b holds 1e200 (its squares overflowed), c holds 1e-200 (its squares
 * underflowed to a zero deviation), d is 0.1 throughout (its deviation came from rounding
 * noise). */
static void standardisation_holds_at_the_edges_of_the_range(void **state)
{
	(void)state;
	setup_dir();
	static const char text[] = "a,b,c,d,y\n"
				   "1e308,1e200,1e-200,0.1,0\n"
				   "-1e308,-1e200,-1e-200,0.1,1\n"
				   "1e308,3e200,3e-200,0.1,0\n"
				   "-1e308,-3e200,-3e-200,0.1,1\n"
				   "0,2e200,0,0.3,0\n";
	write_bytes(text, sizeof text - 1);
	struct dataset data;
	assert_int_equal(load_standardised(&data), 0);
	assert_int_equal(data.train_count, 4);
	double expected[5][4] = {{1, 1 / sqrt(5), 1 / sqrt(5), 0},
				 {-1, -1 / sqrt(5), -1 / sqrt(5), 0},
				 {1, 3 / sqrt(5), 3 / sqrt(5), 0},
				 {-1, -3 / sqrt(5), -3 / sqrt(5), 0},
				 {0, 2 / sqrt(5), 0, 0.3 - 0.1}};
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 4; j++)
			if (!(fabs(data.inputs[i * 4 + j] - expected[i][j]) < 1e-15))
				fail_msg("row %d column %d: %.17g, expected %.17g", i, j,
					 data.inputs[i * 4 + j], expected[i][j]);
	/* the constant column's training values are exactly 0, and so is a zero column */
	assert_true(data.inputs[3] == 0 && data.inputs[7] == 0);
	dataset_free(&data);
	static const char zeros[] = "a,y\n0,0\n0,1\n0,0\n0,1\n5,0\n";
	write_bytes(zeros, sizeof zeros - 1);
	assert_int_equal(load_standardised(&data), 0);
	assert_true(data.inputs[0] == 0 && data.inputs[3] == 0 && data.inputs[4] == 5);
	dataset_free(&data);
	/* eight 0.1s sum to 0.7999999999999999: the mean is not 0.1, and a deviation of
	 * 1.4e-17 made every training value's z-score 1 */
	static const char tenths[] = "a,y\n0.1,0\n0.1,1\n0.1,0\n0.1,1\n0.1,0\n0.1,1\n0.1,0\n"
				     "0.1,1\n0.1,0\n0.1,1\n";
	write_bytes(tenths, sizeof tenths - 1);
	assert_int_equal(load_standardised(&data), 0);
	assert_int_equal(data.train_count, 8);
	for (int i = 0; i < 10; i++)
		assert_true(data.inputs[i] == 0);
	dataset_free(&data);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quoted_cells_hold_commas_quotes_and_newlines),
		cmocka_unit_test(every_line_end_reads_the_same),
		cmocka_unit_test(byte_order_mark_is_skipped),
		cmocka_unit_test(nul_byte_is_refused_with_its_line),
		cmocka_unit_test(bad_quoting_is_refused_with_its_line),
		cmocka_unit_test(record_length_is_bounded),
		cmocka_unit_test(labels_are_non_negative_integers),
		cmocka_unit_test(cells_must_be_finite_numbers),
		cmocka_unit_test(gzip_files_are_read_alike),
		cmocka_unit_test(standardisation_holds_at_the_edges_of_the_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
