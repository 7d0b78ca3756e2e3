/* Fuzzes sweep files: the input is the sweep file (sweep_load reads a path, so it is
 * written to one), next to base.yaml, a small valid spec a sweep may name as its base.
 * Every run of a sweep that loads is a checked spec. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_support.h"
#include "sweep/sweep.h"

static const char base_spec[] = "name: base\n"
				"data: {kind: blobs, samples: 64, features: 4, classes: 2}\n"
				"model: {depth: 2, width: 4}\n"
				"train: {steps: 2, batch_size: 8}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char sweep_path[512];
	if (!sweep_path[0]) {
		fuzz_write_file(fuzz_path("base.yaml"), base_spec, sizeof base_spec - 1);
		snprintf(sweep_path, sizeof sweep_path, "%s", fuzz_path("sweep.yaml"));
	}
	fuzz_write_file(sweep_path, data, size);
	struct sweep sweep;
	if (sweep_load(&sweep, sweep_path) == 0) {
		if (sweep.run_count < 1)
			abort(); /* a sweep that loads has runs */
		sweep_free(&sweep);
	}
	return 0;
}
