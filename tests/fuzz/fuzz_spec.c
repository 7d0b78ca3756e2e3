/* Fuzzes the spec parser with --set values: the input is the spec's YAML, then up to
 * SPEC_FUZZ_OVERRIDES override strings ("key=value"), each after a NUL byte. A spec that
 * loads is emitted again (the resolved_spec every run stores), which must load too. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"
#include "spec/spec.h"
#include "util/strbuf.h"

#define SPEC_FUZZ_OVERRIDES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_path(""); /* quiets error messages */
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	const char *overrides[SPEC_FUZZ_OVERRIDES];
	int override_count = 0;
	for (char *end = text + strlen(text); end < text + size &&
					      override_count < SPEC_FUZZ_OVERRIDES;
	     end += strlen(end))
		overrides[override_count++] = ++end;

	struct spec spec;
	if (spec_load_text(&spec, text, "fuzz.yaml", overrides, override_count) == 0) {
		struct strbuf emitted;
		strbuf_init(&emitted);
		spec_emit(&spec, &emitted, true);
		spec_free(&spec);
		if (spec_load_text(&spec, emitted.text, "resolved_spec", NULL, 0))
			abort(); /* a stored resolved_spec that cannot be run again */
		spec_free(&spec);
		strbuf_free(&emitted);
	}
	free(text);
	return 0;
}
