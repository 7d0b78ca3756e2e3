/* One resolved spec, made once: a spec is fitted to its data file (sizes, classes from
 * the labels), memory is checked on the real sizes, the file's contents (not its path)
 * enter spec_hash, the resolved spec re-runs from any directory with the same hash, and
 * every spec and file on a command line is checked before anything trains. */
#include "support/test_support.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/dataset.h"
#include "spec/spec.h"
#include "util/error.h"

/* Writes spec_text as dir/spec.yaml, loads it and its data; the spec stays loaded (the
 * caller frees it) so the test can look at what was fitted. */
static int load(const char *dir, const char *spec_text, struct spec *spec,
		struct dataset *data)
{
	free(test_write_file(dir, "spec.yaml", spec_text));
	char path[2048];
	snprintf(path, sizeof path, "%s/spec.yaml", dir);
	error_clear();
	if (spec_load_file(spec, path, NULL, 0))
		fail_msg("spec: %s", error_last());
	return dataset_generate(data, spec);
}

static const char three_classes[] = "a,b,y\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n9,0,0\n";

static void classes_are_inferred_from_the_labels(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	struct spec spec;
	struct dataset data;
	free(test_write_file(dir, "d.csv", three_classes));
	assert_int_equal(load(dir, "data: {kind: csv, path: d.csv}\ntrain: {batch_size: 2}\n",
			      &spec, &data),
			 0);
	/* labels 0..2: three outputs, not the default four */
	assert_int_equal(spec.data.classes, 3);
	assert_int_equal(spec_output_size(&spec), 3);
	assert_int_equal(data.outputs, 3);
	assert_int_equal(spec.data.samples, 5);
	assert_int_equal(spec.data.features, 2);
	dataset_free(&data);
	spec_free(&spec);

	/* a larger given value is kept: some classes may be absent from a file */
	assert_int_equal(load(dir, "data: {kind: csv, path: d.csv, classes: 7}\n"
				   "train: {batch_size: 2}\n",
			      &spec, &data),
			 0);
	assert_int_equal(spec.data.classes, 7);
	assert_int_equal(data.outputs, 7);
	dataset_free(&data);
	spec_free(&spec);

	/* a smaller one is an error naming the file, the example and where classes was set */
	assert_int_equal(load(dir, "data: {kind: csv, path: d.csv, classes: 2}\n"
				   "train: {batch_size: 2}\n",
			      &spec, &data),
			 -1);
	assert_contains(error_last(), "/d.csv:4: label column 'y': label 2, not below "
				      "data.classes (2, given at ");
	assert_contains(error_last(), "spec.yaml:1:41)");
	spec_free(&spec);

	/* one label only still makes a two-way output, the smallest classes allows */
	free(test_write_file(dir, "d.csv", "a,y\n1,0\n2,0\n"));
	assert_int_equal(load(dir, "data: {kind: csv, path: d.csv}\ntrain: {batch_size: 2}\n",
			      &spec, &data),
			 0);
	assert_int_equal(spec.data.classes, 2);
	dataset_free(&data);
	spec_free(&spec);
}

/* An IDX pair of `count` images of side x side pixels (only header_only: no pixels)
 * whose labels are i % classes. */
static void write_idx(const char *dir, uint32_t count, uint32_t side, int classes,
		      int header_only)
{
	size_t pixels = header_only ? 0 : (size_t)count * side * side;
	unsigned char *bytes = calloc(1, 16 + pixels);
	uint32_t header[4] = {0x803, count, side, side};
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 4; b++)
			bytes[4 * i + b] = (unsigned char)(header[i] >> (24 - 8 * b));
	for (size_t i = 0; i < pixels; i++)
		bytes[16 + i] = (unsigned char)(i * 7);
	test_write_gzip(dir, "images.gz", bytes, 16 + pixels);
	free(bytes);
	unsigned char *labels = calloc(1, 8 + (size_t)count);
	uint32_t label_header[2] = {0x801, count};
	for (int i = 0; i < 2; i++)
		for (int b = 0; b < 4; b++)
			labels[4 * i + b] = (unsigned char)(label_header[i] >> (24 - 8 * b));
	for (uint32_t i = 0; i < count; i++)
		labels[8 + i] = (unsigned char)(i % (uint32_t)classes);
	test_write_gzip(dir, "labels.gz", labels, 8 + (size_t)count);
	free(labels);
}

static void idx_sizes_and_classes_come_from_the_files(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	struct spec spec;
	struct dataset data;
	write_idx(dir, 20, 3, 6, 0);
	assert_int_equal(load(dir, "data: {kind: idx, images: images.gz, labels: labels.gz}\n"
				   "train: {batch_size: 4}\n",
			      &spec, &data),
			 0);
	assert_int_equal(spec.data.classes, 6);
	assert_int_equal(spec.data.samples, 20);
	assert_int_equal(spec.data.features, 9);
	assert_int_equal(data.outputs, 6);
	dataset_free(&data);
	spec_free(&spec);

	/* a size given in the spec must be the file's */
	assert_int_equal(load(dir, "data: {kind: idx, images: images.gz, labels: labels.gz,"
				   " features: 10}\ntrain: {batch_size: 4}\n",
			      &spec, &data),
			 -1);
	assert_contains(error_last(), "spec.yaml:1:67: data.features: 10 given, but '");
	assert_contains(error_last(), "/images.gz' has 9 features");
	spec_free(&spec);
}

/* A large IDX file with a wide network is refused, with what it needs, after reading its
 * header and before the pixels are allocated (the images file holds only its header). */
static void big_idx_is_refused_before_it_is_read(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	struct spec spec;
	struct dataset data;
	/* 65536 images of 4096 x 4096: 8 TiB as doubles */
	write_idx(dir, 65536, 4096, 10, 1);
	static const char big[] = "data: {kind: idx, images: images.gz, labels: labels.gz}\n"
				  "model: {depth: 2, width: 4096}\n";
	assert_int_equal(load(dir, big, &spec, &data), -1);
	assert_contains(error_last(), "data.kind: depth 2 x width 4096 with 65536 samples of "
				      "16777216 features (in '");
	assert_contains(error_last(), " needs 9.0 TiB of memory");
	spec_free(&spec);

	struct command_result r;
	GTRACK(&r, dir, "run", "spec.yaml", "--db", "big.db");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, " TiB of memory (parameters, gradients, optimizer state, "
			       "activations, data); this machine has ");
	command_result_free(&r);
}

/* The same contents at two paths, plain or gzipped, are the same data; other contents at
 * the same path are not. */
static void contents_enter_the_hash_paths_do_not(void **state)
{
	(void)state;
	char one[1024], two[1024];
	snprintf(one, sizeof one, "%s", test_temp_dir());
	snprintf(two, sizeof two, "%s", test_temp_dir());
	struct spec first, second;
	struct dataset data;
	static const char spec_text[] = "data: {kind: csv, path: d.csv, classes: 3}\n"
					"train: {batch_size: 2}\n";
	free(test_write_file(one, "d.csv", three_classes));
	test_write_gzip(two, "d.csv", three_classes, strlen(three_classes));
	assert_int_equal(load(one, spec_text, &first, &data), 0);
	dataset_free(&data);
	assert_int_equal(load(two, spec_text, &second, &data), 0);
	dataset_free(&data);
	assert_string_not_equal(first.data.path, second.data.path);
	assert_int_equal(strlen(first.data_hash), 16);
	assert_string_equal(first.data_hash, second.data_hash);
	assert_string_equal(first.spec_hash, second.spec_hash);
	spec_free(&second);

	/* one changed number: another experiment */
	free(test_write_file(two, "d.csv", "a,b,y\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n9,1,0\n"));
	assert_int_equal(load(two, spec_text, &second, &data), 0);
	dataset_free(&data);
	assert_string_not_equal(first.data_hash, second.data_hash);
	assert_string_not_equal(first.spec_hash, second.spec_hash);
	spec_free(&second);
	spec_free(&first);

	/* generated data has no data_hash */
	assert_int_equal(load(one, "data: {kind: blobs}\n", &first, &data), 0);
	assert_string_equal(first.data_hash, "");
	dataset_free(&data);
	spec_free(&first);
}

/* gtrack run checks a file, then reads it again when its turn comes: it must not have
 * changed in between. */
static void a_file_changed_after_its_check_is_refused(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	struct spec spec;
	struct dataset data;
	free(test_write_file(dir, "d.csv", three_classes));
	assert_int_equal(load(dir, "data: {kind: csv, path: d.csv}\ntrain: {batch_size: 2}\n",
			      &spec, &data),
			 0);
	dataset_free(&data);
	char hash[17];
	snprintf(hash, sizeof hash, "%s", spec.spec_hash);
	/* reading the same contents again fits nothing new */
	assert_int_equal(dataset_generate(&data, &spec), 0);
	dataset_free(&data);
	assert_string_equal(spec.spec_hash, hash);
	free(test_write_file(dir, "d.csv", "a,b,y\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n9,5,0\n"));
	assert_int_equal(dataset_generate(&data, &spec), -1);
	assert_contains(error_last(), "/d.csv' changed since it was checked: its contents' hash "
				      "was ");
	spec_free(&spec);
}

/* dataset_check fits a spec as dataset_generate does (a sweep checks its runs with it),
 * and reads a file it has read before only when the file changed. */
static void check_fits_like_generate_and_reads_a_file_once(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	static const char spec_text[] = "data: {kind: csv, path: d.csv}\ntrain: {batch_size: 2}\n";
	free(test_write_file(dir, "d.csv", three_classes));
	struct spec generated, checked;
	struct dataset data;
	assert_int_equal(load(dir, spec_text, &generated, &data), 0);
	dataset_free(&data);
	char path[2048];
	snprintf(path, sizeof path, "%s/spec.yaml", dir);
	assert_int_equal(spec_load_file(&checked, path, NULL, 0), 0);
	assert_int_equal(dataset_check(&checked), 0);
	assert_string_equal(checked.spec_hash, generated.spec_hash);
	assert_string_equal(checked.data_hash, generated.data_hash);
	assert_int_equal(checked.data.classes, 3);
	spec_free(&checked);

	/* other contents of the same size and modification time, in the same inode: the
	 * summary read before is used, so the file was not read again */
	char data_path[2048];
	snprintf(data_path, sizeof data_path, "%s/d.csv", dir);
	struct stat before;
	assert_int_equal(stat(data_path, &before), 0);
	FILE *file = fopen(data_path, "r+");
	assert_non_null(file);
	fputs("a,b,y\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n9,0,1\n", file);
	fclose(file);
	struct timespec times[2] = {before.st_atim, before.st_mtim};
	assert_int_equal(utimensat(AT_FDCWD, data_path, times, 0), 0);
	assert_int_equal(spec_load_file(&checked, path, NULL, 0), 0);
	assert_int_equal(dataset_check(&checked), 0);
	assert_string_equal(checked.data_hash, generated.data_hash);
	spec_free(&checked);

	/* a new modification time: read again, and the new contents are another hash */
	struct timespec later[2] = {before.st_atim, {before.st_mtim.tv_sec + 5, 0}};
	assert_int_equal(utimensat(AT_FDCWD, data_path, later, 0), 0);
	assert_int_equal(spec_load_file(&checked, path, NULL, 0), 0);
	assert_int_equal(dataset_check(&checked), 0);
	assert_string_not_equal(checked.data_hash, generated.data_hash);
	spec_free(&checked);
	spec_free(&generated);
}

/* Generated data has no file: its specs' canonical text, and so their spec_hash, is what
 * it was before file contents entered the hash (sigmoid-10's hash as gtrack 72ca224
 * recorded it), so a sweep resumed across versions still finds its finished runs. */
static void generated_specs_keep_their_hashes(void **state)
{
	(void)state;
	char path[2048];
	snprintf(path, sizeof path, "%s/sigmoid-10.yaml", EXPERIMENTS_DIR);
	struct spec spec;
	struct dataset data;
	assert_int_equal(spec_load_file(&spec, path, NULL, 0), 0);
	assert_string_equal(spec.spec_hash, "f859295105da95c4");
	assert_int_equal(dataset_generate(&data, &spec), 0);
	assert_string_equal(spec.spec_hash, "f859295105da95c4");
	assert_string_equal(spec.data_hash, "");
	dataset_free(&data);
	spec_free(&spec);
}

static char *query(const char *dir, const char *db_name, const char *sql)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/%s", dir, db_name);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	char *text = query_text(db, sql);
	sqlite3_close(db);
	return text;
}

/* A CSV run's resolved_spec, re-run from an unrelated directory, reads the same file and
 * records the same spec_hash; export --batches works from there too. */
static void resolved_spec_reruns_from_any_directory(void **state)
{
	(void)state;
	char data_dir[1024], elsewhere[1024];
	snprintf(data_dir, sizeof data_dir, "%s", test_temp_dir());
	snprintf(elsewhere, sizeof elsewhere, "%s", test_temp_dir());
	free(test_write_file(data_dir, "d.csv", three_classes));
	free(test_write_file(data_dir, "s.yaml", "name: csv-run\ndata: {kind: csv, path: d.csv}\n"
						 "model: {depth: 2, width: 4}\n"
						 "train: {steps: 3, batch_size: 2}\n"));
	char db_path[2048];
	snprintf(db_path, sizeof db_path, "%s/r.db", elsewhere);
	struct command_result r;
	GTRACK(&r, data_dir, "run", "s.yaml", "--db", db_path, "-q");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);

	char *resolved = query(elsewhere, "r.db", "SELECT resolved_spec FROM runs WHERE id = 1");
	char absolute[2048];
	snprintf(absolute, sizeof absolute, "path: \"%s/d.csv\"", data_dir);
	assert_contains(resolved, absolute);
	assert_contains(resolved, "classes: 3\n");
	free(test_write_file(elsewhere, "again.yaml", resolved));
	free(resolved);
	GTRACK(&r, elsewhere, "run", "again.yaml", "--db", "r.db", "-q");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);

	char *hashes = query(elsewhere, "r.db",
			     "SELECT count(DISTINCT spec_hash) || ' ' || count(*) || ' ' ||"
			     " count(DISTINCT data_hash) || ' ' || count(data_hash) || ' ' ||"
			     " min(outputs) FROM runs");
	assert_string_equal(hashes, "1 2 1 2 3");
	free(hashes);
	char *spec_hash = query(elsewhere, "r.db", "SELECT spec_hash FROM runs WHERE id = 2");
	char *data_hash = query(elsewhere, "r.db", "SELECT data_hash FROM runs WHERE id = 2");
	struct spec spec;
	struct dataset data;
	char spec_path[2048];
	snprintf(spec_path, sizeof spec_path, "%s/again.yaml", elsewhere);
	assert_int_equal(spec_load_file(&spec, spec_path, NULL, 0), 0);
	assert_int_equal(dataset_generate(&data, &spec), 0);
	assert_string_equal(spec.spec_hash, spec_hash);
	assert_string_equal(spec.data_hash, data_hash);
	dataset_free(&data);
	spec_free(&spec);
	free(spec_hash);
	char *data_hash_before = data_hash;

	GTRACK(&r, elsewhere, "export", "1", "--db", "r.db", "--batches", "2", "-o",
	       "b.safetensors");
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char batches[2048];
	snprintf(batches, sizeof batches, "%s/b.safetensors", elsewhere);
	assert_true(file_exists(batches));

	/* the file changed under the run (same sizes, one value): its batches are refused
	 * rather than exported as the ones it trained on */
	char *changed = strdup(three_classes);
	char *digit = strpbrk(changed, "0123456789");
	*digit = *digit == '9' ? '8' : '9';
	free(test_write_file(data_dir, "d.csv", changed));
	free(changed);
	GTRACK(&r, elsewhere, "export", "1", "--db", "r.db", "--batches", "2", "-o",
	       "c.safetensors");
	assert_int_equal(r.exit_code, 1);
	char expected[256];
	snprintf(expected, sizeof expected, "gtrack: run 1 trained on data with hash %s, but its "
		 "data file now holds ", data_hash_before);
	assert_contains(r.err, expected);
	assert_contains(r.err, ": the batches would not be the ones it saw\n");
	command_result_free(&r);
	free(data_hash_before);
}

/* A bad data file named second is found before the first spec trains: exit 3, no run. */
static void every_file_is_checked_before_training(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "good.yaml", "data: {kind: blobs, samples: 64}\n"
					       "train: {steps: 2, batch_size: 8}\n"));
	free(test_write_file(dir, "d.csv", "a,y\n1,0\n2,5\n"));
	free(test_write_file(dir, "bad.yaml", "data: {kind: csv, path: d.csv, classes: 3}\n"
					      "train: {steps: 2, batch_size: 1}\n"));
	free(test_write_file(dir, "missing.yaml", "data: {kind: csv, path: nowhere.csv}\n"));
	struct command_result r;
	GTRACK(&r, dir, "run", "good.yaml", "bad.yaml", "--db", "c.db", "-q");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "/d.csv:3: label column 'y': label 5, not below data.classes (3, "
			       "given at bad.yaml:1:41)");
	assert_string_equal(r.out, "");
	command_result_free(&r);
	GTRACK(&r, dir, "run", "good.yaml", "missing.yaml", "--db", "c.db", "-q");
	assert_int_equal(r.exit_code, 3);
	/* the message names the spec line that gives the path (before: only the path) */
	assert_contains(r.err, "gtrack: missing.yaml:1:25: data.path: cannot open data file '");
	assert_contains(r.err, "/nowhere.csv': No such file or directory");
	command_result_free(&r);
	/* a batch larger than the file's training part, found by the check too */
	free(test_write_file(dir, "ok.csv", "a,y\n1,0\n2,1\n3,0\n"));
	free(test_write_file(dir, "batch.yaml", "data: {kind: csv, path: ok.csv}\n"
						"train: {steps: 2, batch_size: 8}\n"));
	GTRACK(&r, dir, "run", "good.yaml", "batch.yaml", "--db", "c.db", "-q");
	assert_int_equal(r.exit_code, 3);
	assert_contains(r.err, "batch.yaml: data.validation 0 of 3 examples leaves 3 for "
			       "training and 0 for validation; training needs at least "
			       "train.batch_size (8)");
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/c.db", dir);
	assert_false(file_exists(path));
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classes_are_inferred_from_the_labels),
		cmocka_unit_test(idx_sizes_and_classes_come_from_the_files),
		cmocka_unit_test(big_idx_is_refused_before_it_is_read),
		cmocka_unit_test(contents_enter_the_hash_paths_do_not),
		cmocka_unit_test(a_file_changed_after_its_check_is_refused),
		cmocka_unit_test(check_fits_like_generate_and_reads_a_file_once),
		cmocka_unit_test(generated_specs_keep_their_hashes),
		cmocka_unit_test(resolved_spec_reruns_from_any_directory),
		cmocka_unit_test(every_file_is_checked_before_training),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
