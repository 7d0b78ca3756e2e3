/* CSV and IDX files: what is read, the split and standardisation, and every kind of bad
 * file refused with its file, line or offset and what was wrong. */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data/dataset.h"
#include "spec/spec.h"
#include "util/error.h"
#include "util/file.h"
#include "util/strbuf.h"

static const char *dir;

static void write_gzip(const char *name, const void *bytes, size_t length)
{
	test_write_gzip(dir, name, bytes, length);
}

/* Loads a spec in dir (so data paths resolve there) and its dataset. */
static int load(const char *spec_text, struct dataset *data)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/spec.yaml", dir);
	FILE *file = fopen(path, "w");
	fputs(spec_text, file);
	fclose(file);
	struct spec spec;
	error_clear();
	if (spec_load_file(&spec, path, NULL, 0))
		fail_msg("spec: %s", error_last());
	int result = dataset_generate(data, &spec);
	spec_free(&spec);
	return result;
}

static void assert_refused(const char *spec_text, const char *expected)
{
	struct dataset data;
	if (load(spec_text, &data) == 0) {
		dataset_free(&data);
		fail_msg("accepted, expected an error containing \"%s\"", expected);
	}
	if (!strstr(error_last(), expected))
		fail_msg("error \"%s\" does not contain \"%s\"", error_last(), expected);
}

static const char csv_spec[] = "data: {kind: csv, path: d.csv, classes: 3, label: y}\n"
			       "train: {batch_size: 2}\n";

static void csv_is_read_split_and_standardised(void **state)
{
	(void)state;
	dir = test_temp_dir();
	free(test_write_file(dir, "d.csv", "a, \"y\" ,b\n1,0,10\n2,1,20\n3,2,30\n4,0,40\n\n"
					    "5,1,50\n6,2,60\n7,0,70\n8,1,80\n9,2,90\n10,0,100\n"));
	struct dataset data;
	assert_int_equal(load("data: {kind: csv, path: d.csv, classes: 3, label: y, "
			      "validation: 0.2, shuffle: false}\ntrain: {batch_size: 4}\n", &data),
			 0);
	assert_int_equal(data.samples, 10);
	assert_int_equal(data.features, 2);
	assert_int_equal(data.train_count, 8);
	assert_int_equal(data.labels[3], 0);
	/* z-scores from the 8 training rows only: their mean is 0, the held-out rows are
	 * beyond it (a = 9, 10 against a training mean of 4.5) */
	double mean = 0;
	for (int i = 0; i < 8; i++)
		mean += data.inputs[i * 2];
	assert_true(fabs(mean) < 1e-12);
	assert_true(data.inputs[8 * 2] > 1.5);
	/* the label column may also be named by its index; gzip is read transparently */
	dataset_free(&data);
	const char gz[] = "a,y,b\n1,2,3\n4,1,6\n";
	write_gzip("d.csv.gz", gz, sizeof gz - 1);
	assert_int_equal(load("data: {kind: csv, path: d.csv.gz, classes: 3, label: 1, "
			      "standardize: false, shuffle: false}\ntrain: {batch_size: 2}\n",
			      &data),
			 0);
	assert_int_equal(data.labels[0], 2);
	assert_true(data.inputs[1] == 3 && data.inputs[3] == 6);
	dataset_free(&data);
}

static void bad_csv_files_are_refused_with_their_line(void **state)
{
	(void)state;
	dir = test_temp_dir();
	assert_refused(csv_spec, ":1:25: data.path: cannot open data file '");
	/* a directory is named as one, not read as empty data */
	assert_refused("data: {kind: csv, path: ., classes: 3, label: y}\n",
		       ":1:25: data.path: '");
	assert_refused("data: {kind: csv, path: ., classes: 3, label: y}\n",
		       "' is a directory, not a data file");
	free(test_write_file(dir, "d.csv", "a,y,b\n1,0,2\n3,1\n"));
	assert_refused(csv_spec, "d.csv:3: expected 3 columns, as the header has, found 2");
	/* a label index must name one of the columns: 0, 1 or 2 here */
	free(test_write_file(dir, "d.csv", "a,y,b\n1,0,2\n3,1,4\n"));
	assert_refused("data: {kind: csv, path: d.csv, classes: 3, label: 3}\n"
		       "train: {batch_size: 2}\n",
		       "d.csv:1: data.label: no column named '3' (and it is not an index below 3)");
	free(test_write_file(dir, "d.csv", "a,y,b\n1,0,2,4\n"));
	assert_refused(csv_spec, "d.csv:2: expected 3 columns, as the header has, found 4");
	free(test_write_file(dir, "d.csv", "a,y,b\n1,0,2\n3,1,abc\n"));
	assert_refused(csv_spec, "d.csv:3: column 'b': expected a number, found 'abc'");
	free(test_write_file(dir, "d.csv", "a,y,b\nnan,0,2\n"));
	assert_refused(csv_spec, "d.csv:2: column 'a': expected a finite number, found 'nan'");
	/* the line, not the example's number: a blank line and a quoted newline before it
	 * put example 2 on line 5 */
	free(test_write_file(dir, "d.csv", "a,y,b\n\n1,0,\"2\n\"\n1,7,2\n"));
	assert_refused(csv_spec, "d.csv:5: label column 'y': label 7, not below data.classes (3, "
				 "given at ");
	free(test_write_file(dir, "d.csv", "a,y,b\n1,1.5,2\n"));
	assert_refused(csv_spec, "d.csv:2: label column 'y': expected an integer from 0 to "
				 "2147483647, found '1.5'");
	free(test_write_file(dir, "d.csv", "a,z,b\n1,1,2\n"));
	assert_refused(csv_spec, "d.csv:1: data.label: no column named 'y'");
	free(test_write_file(dir, "d.csv", "a,y,b\n"));
	assert_refused(csv_spec, "d.csv: no examples after the header");
	/* a gzip file cut short */
	char big[4096];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = "0123456789,\n"[rand() % 12];
	memcpy(big, "a,y,b\n", 6);
	write_gzip("cut.csv.gz", big, sizeof big);
	char path[1024];
	snprintf(path, sizeof path, "%s/cut.csv.gz", dir);
	FILE *file = fopen(path, "r+");
	fseek(file, 0, SEEK_END);
	long length = ftell(file);
	fclose(file);
	assert_int_equal(truncate(path, length / 2), 0);
	assert_refused("data: {kind: csv, path: cut.csv.gz, classes: 3}\n", "cut.csv.gz:");
}

static void write_idx(const char *images, const char *labels, uint32_t magic, uint32_t count,
		      uint32_t side, uint32_t label_count, int pixels_written, int label_value)
{
	size_t length = 16 + (size_t)pixels_written;
	unsigned char *bytes = calloc(1, length);
	uint32_t header[4] = {magic, count, side, side};
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 4; b++)
			bytes[4 * i + b] = (unsigned char)(header[i] >> (24 - 8 * b));
	for (int i = 0; i < pixels_written; i++)
		bytes[16 + i] = (unsigned char)(i * 7);
	write_gzip(images, bytes, length);
	free(bytes);
	unsigned char label_bytes[8 + 64] = {0, 0, 8, 1};
	for (int b = 0; b < 4; b++)
		label_bytes[4 + b] = (unsigned char)(label_count >> (24 - 8 * b));
	for (uint32_t i = 0; i < label_count && i < 64; i++)
		label_bytes[8 + i] = (unsigned char)(i == 3 ? (uint32_t)label_value : i % 5);
	write_gzip(labels, label_bytes, 8 + label_count);
}

/* IDX headers only: count images of side x side pixels and count labels, no data. */
static void write_idx_headers(uint32_t count, uint32_t side)
{
	unsigned char images[16], labels[8];
	uint32_t image_header[4] = {0x803, count, side, side}, label_header[2] = {0x801, count};
	for (int b = 0; b < 16; b++)
		images[b] = (unsigned char)(image_header[b / 4] >> (24 - 8 * (b % 4)));
	for (int b = 0; b < 8; b++)
		labels[b] = (unsigned char)(label_header[b / 4] >> (24 - 8 * (b % 4)));
	write_gzip("i.gz", images, sizeof images);
	write_gzip("l.gz", labels, sizeof labels);
}

static const char idx_spec[] = "data: {kind: idx, images: i.gz, labels: l.gz, classes: 5}\n"
			       "train: {batch_size: 2}\n";

static void idx_is_read_and_bad_idx_refused_with_the_offset(void **state)
{
	(void)state;
	dir = test_temp_dir();
	write_idx("i.gz", "l.gz", 0x803, 8, 3, 8, 8 * 9, 4);
	struct dataset data;
	assert_int_equal(load("data: {kind: idx, images: i.gz, labels: l.gz, classes: 5, "
			      "standardize: false, shuffle: false}\ntrain: {batch_size: 2}\n",
			      &data),
			 0);
	assert_int_equal(data.samples, 8);
	assert_int_equal(data.features, 9);
	assert_true(data.inputs[10] == (10 * 7) % 256);
	assert_int_equal(data.labels[3], 4);
	dataset_free(&data);

	write_idx("i.gz", "l.gz", 0x801, 8, 3, 8, 8 * 9, 4);
	assert_refused(idx_spec, "i.gz: not an IDX images file: magic number 0x00000801 at offset 0, "
				 "expected 0x00000803");
	write_idx("i.gz", "l.gz", 0x803, 8, 3, 8, 5 * 9, 4);
	assert_refused(idx_spec, "i.gz: truncated at offset 61: expected 72 bytes of pixels, found 45");
	write_idx("i.gz", "l.gz", 0x803, 8, 3, 7, 8 * 9, 4);
	assert_refused(idx_spec, "i.gz has 8 images but ");
	write_idx("i.gz", "l.gz", 0x803, 8, 3, 8, 8 * 9, 9);
	assert_refused(idx_spec, "l.gz: example 4 has label 9, not below data.classes (5, given at ");
	free(test_write_file(dir, "i.gz", "\x1f\x8b\x08\x00garbage that is not deflate"));
	assert_refused(idx_spec, "i.gz: ");
	/* sizes beyond any real file are refused from the header, before allocating */
	write_idx_headers(268435457u, 1); /* 2^28 + 1 images */
	assert_refused(idx_spec, "i.gz: implausible sizes: 268435457 images of 1 x 1");
	write_idx_headers(1, 4097); /* more than 2^24 pixels */
	assert_refused(idx_spec, "i.gz: implausible sizes: 1 images of 4097 x 4097");
	write_idx_headers(0, 3);
	assert_refused(idx_spec, "i.gz: implausible sizes: 0 images of 3 x 3");
}

/* A header claiming 2^28 images of 4096 x 4096 pixels in a 16-byte file: the reader
 * allocated the 2^52 bytes claimed before reading any, and gtrack aborted. */
static void idx_header_claiming_more_than_the_file_is_refused(void **state)
{
	(void)state;
	dir = test_temp_dir();
	static const unsigned char images[] = {0, 0, 8, 3, 16, 0, 0, 0, 0, 0, 16, 0, 0, 0, 16, 0};
	static const unsigned char labels[] = {0, 0, 8, 1, 16, 0, 0, 0};
	write_gzip("i.gz", images, sizeof images);
	write_gzip("l.gz", labels, sizeof labels);
	/* the labels are read before the pixels (their count sizes the memory check) */
	assert_refused(idx_spec, "l.gz: truncated at offset 8: expected 268435456 bytes of labels, "
				 "found 0");
}

static void validation_must_leave_room(void **state)
{
	(void)state;
	dir = test_temp_dir();
	free(test_write_file(dir, "d.csv", "a,y\n1,0\n2,1\n3,2\n4,0\n"));
	assert_refused("data: {kind: csv, path: d.csv, classes: 3, validation: 0.5}\n"
		       "train: {batch_size: 3}\n",
		       "leaves 2 for training and 2 for validation; training needs at least "
		       "train.batch_size (3)");
}

static void file_runs_record_evaluations(void **state)
{
	(void)state;
	const char *work = test_temp_dir();
	struct command_result r;
	char spec[1024];
	snprintf(spec, sizeof spec, "%s/flowers-csv.yaml", EXPERIMENTS_DIR);
	run_gtrack(&r, work, NULL, (const char *const[]){"run", spec, "--db", "f.db", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/f.db", work);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* steps 0, 25, ..., 275 and the last, 299: 13 evaluations of two splits */
	assert_int_equal(query_int(db, "SELECT count(*) FROM evals"), 26);
	assert_int_equal(query_int(db, "SELECT sum(examples) FROM evals WHERE step = 0"), 450);
	assert_true(query_double(db, "SELECT accuracy FROM evals WHERE step = 299 AND split ="
				     " 'validation'") > 0.9);
	char *sizes = query_text(db, "SELECT features || '/' || samples FROM runs");
	assert_string_equal(sizes, "4/450");
	free(sizes);
	sqlite3_close(db);
	run_gtrack(&r, work, NULL,
		   (const char *const[]){"show", "flowers-csv", "--db", "f.db", NULL});
	assert_int_equal(r.exit_code, 0);
	if (!strstr(r.out, "evaluation at step 299\n  train      loss ") ||
	    !strstr(r.out, "  validation loss "))
		fail_msg("show lacks the evaluation: %s", r.out);
	command_result_free(&r);
}

/* batch.0.inputs of run 1 in work/d.db, as `gtrack export --batches` writes it: rows x
 * columns float64 values (caller frees). */
static double *first_batch_inputs(const char *work, int *rows, int *columns)
{
	struct command_result r;
	run_gtrack(&r, work, NULL,
		   (const char *const[]){"export", "1", "--batches", "1", "-o", "b.safetensors",
					 "--db", "d.db", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/b.safetensors", work);
	size_t length = 0, begin, end;
	char *file = file_read_text(path, "file", 1 << 24, &length);
	assert_non_null(file);
	uint64_t header;
	memcpy(&header, file, 8);
	assert_true(8 + header <= length);
	const char *entry = strstr(file + 8, "\"batch.0.inputs\":{\"dtype\":\"F64\",\"shape\":[");
	assert_non_null(entry);
	assert_int_equal(sscanf(strchr(entry, '[') + 1, "%d,%d],\"data_offsets\":[%zu,%zu]", rows,
				columns, &begin, &end),
			 4);
	assert_int_equal(end - begin, sizeof(double) * (size_t)*rows * (size_t)*columns);
	assert_true(8 + header + end <= length);
	double *values = malloc(end - begin);
	memcpy(values, file + 8 + header + begin, end - begin);
	free(file);
	return values;
}

/* A feature that is the same in every training example has no deviation to divide by:
 * it is only centred, so it becomes exactly 0, whatever its value. Its mean computed by
 * summing can differ from the value by a rounding error (0.1 ten times is not 1.0), and
 * would then be divided by that error, giving +-1; 1e308 overflows a sum. */
static void constant_feature_becomes_zero(void **state)
{
	(void)state;
	const char *work = test_temp_dir();
	struct strbuf csv;
	strbuf_init(&csv);
	strbuf_puts(&csv, "a,tenth,huge,negative,label\n");
	for (int i = 0; i < 10; i++)
		strbuf_printf(&csv, "%d,0.1,1e308,-0.3,%d\n", i * i, i % 2);
	free(test_write_file(work, "c.csv", csv.text));
	strbuf_free(&csv);
	free(test_write_file(work, "c.yaml",
			     "data: {kind: csv, path: c.csv, classes: 2, validation: 0.2}\n"
			     "model: {depth: 1, width: 4}\n"
			     "train: {steps: 2, batch_size: 8, dtype: float64}\n"));
	struct command_result r;
	run_gtrack(&r, work, NULL, (const char *const[]){"run", "c.yaml", "--db", "d.db", NULL});
	if (r.exit_code != 0)
		fail_msg("exit %d: %s%s", r.exit_code, r.out, r.err);
	command_result_free(&r);

	int rows, columns;
	double *inputs = first_batch_inputs(work, &rows, &columns);
	assert_int_equal(rows, 8); /* the whole training split */
	assert_int_equal(columns, 4);
	double sum = 0, squares = 0;
	for (int i = 0; i < rows; i++) {
		for (int j = 1; j < columns; j++)
			if (inputs[i * columns + j] != 0)
				fail_msg("example %d, constant feature %d: %g, expected 0", i, j,
					 inputs[i * columns + j]);
		sum += inputs[i * columns];
		squares += inputs[i * columns] * inputs[i * columns];
	}
	/* the varying feature is z-scored as before */
	assert_true(fabs(sum / rows) < 1e-12);
	assert_true(fabs(squares / rows - 1) < 1e-12);
	free(inputs);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv_is_read_split_and_standardised),
		cmocka_unit_test(bad_csv_files_are_refused_with_their_line),
		cmocka_unit_test(idx_is_read_and_bad_idx_refused_with_the_offset),
		cmocka_unit_test(idx_header_claiming_more_than_the_file_is_refused),
		cmocka_unit_test(validation_must_leave_room),
		cmocka_unit_test(file_runs_record_evaluations),
		cmocka_unit_test(constant_feature_becomes_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
