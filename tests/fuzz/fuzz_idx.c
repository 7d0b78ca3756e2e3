/* Fuzzes the IDX reader: the input is the labels file's length (two bytes, little
 * endian, modulo what remains), the labels file, then the images file. Either may be
 * gzip, when it starts like one. */
#include <stdio.h>
#include <stdlib.h>

#include "data/idx_reader.h"
#include "fuzz_support.h"
#include "spec/spec.h"
#include "util/error.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spec spec;
	static const char *images_path, *labels_path;
	if (!images_path) {
		images_path = xstrdup(fuzz_path("images-idx3-ubyte"));
		labels_path = xstrdup(fuzz_path("labels-idx1-ubyte"));
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "data: {kind: idx, images: '%s', labels: '%s', classes: 10}\n",
			      images_path, labels_path);
		if (spec_load_text(&spec, text.text, "fuzz.yaml", NULL, 0)) {
			fprintf(stderr, "fuzz_idx: %s\n", error_last());
			abort();
		}
		strbuf_free(&text);
	}
	if (size < 2)
		return 0;
	size_t labels_size = ((size_t)data[0] | (size_t)data[1] << 8) % (size - 1);
	fuzz_write_file(labels_path, data + 2, labels_size);
	fuzz_write_file(images_path, data + 2 + labels_size, size - 2 - labels_size);
	struct dataset dataset;
	struct idx_source source;
	if (idx_open(&dataset, &source, &spec) == 0) {
		if (dataset.samples < 1 || dataset.features < 1)
			abort();
		/* the pixels only when the header's size is one a run would accept */
		if (dataset.samples * dataset.features > (1 << 24)) {
			idx_close(&source);
			dataset_free(&dataset);
		} else if (idx_read_pixels(&dataset, &source) == 0) {
			dataset_free(&dataset);
		}
	}
	return 0;
}
