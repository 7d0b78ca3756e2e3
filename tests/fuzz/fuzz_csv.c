/* Fuzzes the CSV reader through dataset_generate, as `gtrack run` reads a CSV file: the
 * input is the file (plain, or gzip when it starts like one), read with the label in the
 * last column, shuffled and standardised. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "data/dataset.h"
#include "fuzz_support.h"
#include "spec/spec.h"
#include "util/error.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spec spec;
	static const char *csv_path;
	if (!csv_path) {
		csv_path = xstrdup(fuzz_path("data.csv"));
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "data: {kind: csv, path: '%s', classes: 4, validation: 0.25}\n"
				     "train: {batch_size: 1}\n",
			      csv_path);
		if (spec_load_text(&spec, text.text, "fuzz.yaml", NULL, 0)) {
			fprintf(stderr, "fuzz_csv: %s\n", error_last());
			abort();
		}
		strbuf_free(&text);
	}
	fuzz_write_file(csv_path, data, size);
	struct dataset dataset;
	if (dataset_generate(&dataset, &spec) == 0) {
		/* what the reader accepts is finite; so are its z-scores, barring validation
		 * rows far outside the training rows' range */
		if (dataset.samples < 1 || dataset.features < 1)
			abort();
		for (int64_t i = 0; i < dataset.train_count * dataset.features; i++)
			if (!isfinite(dataset.inputs[i]))
				abort();
		dataset_free(&dataset);
	}
	return 0;
}
