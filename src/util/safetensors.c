/* The safetensors writer. The data is written as it lies in memory, so the host must be
 * little-endian, as every machine gtrack targets is. */
#include "util/safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/strbuf.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "safetensors data is little-endian; this writer copies memory as it is");

int safetensors_write(const char *path, const struct tensor *tensors, int count)
{
	struct strbuf header;
	strbuf_init(&header);
	strbuf_puts(&header, "{\"__metadata__\":{\"format\":\"pt\",\"writer\":\"gtrack\"}");
	size_t offset = 0;
	for (int i = 0; i < count; i++) {
		const struct tensor *t = &tensors[i];
		strbuf_printf(&header, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name, t->dtype);
		for (int d = 0; d < t->rank; d++)
			strbuf_printf(&header, "%s%lld", d ? "," : "", (long long)t->shape[d]);
		strbuf_printf(&header, "],\"data_offsets\":[%zu,%zu]}", offset, offset + t->bytes);
		offset += t->bytes;
	}
	strbuf_puts(&header, "}");
	/* pad with spaces so the data starts 8-byte aligned, as the format recommends */
	while ((8 + header.length) % 8)
		strbuf_puts(&header, " ");

	FILE *file = fopen(path, "wb");
	if (!file) {
		strbuf_free(&header);
		return error("cannot write '%s': %s", path, strerror(errno));
	}
	uint64_t length = header.length;
	bool ok = fwrite(&length, sizeof length, 1, file) == 1 &&
		  fwrite(header.text, 1, header.length, file) == header.length;
	for (int i = 0; ok && i < count; i++)
		ok = fwrite(tensors[i].data, 1, tensors[i].bytes, file) == tensors[i].bytes;
	ok &= fclose(file) == 0;
	strbuf_free(&header);
	return ok ? 0 : error("cannot write '%s': %s", path, strerror(errno));
}
