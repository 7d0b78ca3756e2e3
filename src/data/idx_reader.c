/* The IDX reader. Headers are big-endian 32-bit integers; zlib reads .gz transparently
 * and reports damage. */
#include "data/idx_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/error.h"
#include "util/strbuf.h"

/* Reads exactly `count` bytes at `offset` into *buffer; -1 with a message on a short read.
 * With capacity (NULL for a buffer of count bytes), *buffer is grown here as the bytes
 * arrive, so a header that claims more than the file holds costs what the file holds,
 * not an allocation of what it claims; the caller frees *buffer either way. */
static int read_exactly(gzFile file, const char *path, unsigned char **buffer,
			size_t *capacity, size_t count, size_t offset, const char *what)
{
	size_t done = 0;
	while (done < count) {
		if (capacity && done == *capacity) {
			size_t size = *capacity ? 2 * *capacity : (size_t)1 << 24;
			unsigned char *grown = realloc(*buffer, size < count ? size : count);
			if (!grown)
				return error("%s: out of memory reading %zu bytes of %s", path, count,
					     what);
			*buffer = grown;
			*capacity = size < count ? size : count;
		}
		size_t room = (capacity ? *capacity : count) - done;
		unsigned chunk = room > (1u << 30) ? (1u << 30) : (unsigned)room;
		int got = gzread(file, *buffer + done, chunk);
		if (got < 0) {
			int code;
			return error("%s: gzip error at offset %zu: %s", path, offset + done,
				     gzerror(file, &code));
		}
		if (got == 0)
			return error("%s: truncated at offset %zu: expected %zu bytes of %s, found %zu",
				     path, offset + done, count, what, done);
		done += (size_t)got;
	}
	return 0;
}

static uint32_t big_endian(const unsigned char *bytes)
{
	return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
	       bytes[3];
}

/* Opens an IDX file and checks its magic; *dims receives the dimensions. */
static gzFile open_idx(const char *path, uint32_t magic, uint32_t *dims, int dim_count)
{
	gzFile file = gzopen(path, "rb");
	if (!file) {
		error("cannot open data file '%s': %s", path, errno ? strerror(errno) : "out of memory");
		return NULL;
	}
	unsigned char header[16];
	size_t bytes = 4 + 4 * (size_t)dim_count;
	unsigned char *header_bytes = header;
	if (read_exactly(file, path, &header_bytes, NULL, bytes, 0, "header")) {
		gzclose(file);
		return NULL;
	}
	if (big_endian(header) != magic) {
		error("%s: not an IDX %s file: magic number 0x%08x at offset 0, expected 0x%08x",
		      path, dim_count == 3 ? "images" : "labels", big_endian(header), magic);
		gzclose(file);
		return NULL;
	}
	for (int d = 0; d < dim_count; d++)
		dims[d] = big_endian(header + 4 + 4 * d);
	return file;
}

int idx_open(struct dataset *data, struct idx_source *source, const struct spec *spec)
{
	const char *images_path = spec->data.images, *labels_path = spec->data.labels;
	uint32_t image_dims[3], label_dims[1];
	unsigned char *labels = NULL;
	gzFile images = NULL, label_file = NULL;
	int result = -1;
	memset(data, 0, sizeof *data);
	memset(source, 0, sizeof *source);

	if (!(images = open_idx(images_path, 0x00000803, image_dims, 3)) ||
	    !(label_file = open_idx(labels_path, 0x00000801, label_dims, 1)))
		goto done;
	if (image_dims[0] != label_dims[0]) {
		error("%s has %u images but %s has %u labels", images_path, image_dims[0], labels_path,
		      label_dims[0]);
		goto done;
	}
	size_t count = image_dims[0], features = (size_t)image_dims[1] * image_dims[2];
	if (count == 0 || features == 0 || features > (1u << 24) || count > (1u << 28)) {
		error("%s: implausible sizes: %u images of %u x %u", images_path, image_dims[0],
		      image_dims[1], image_dims[2]);
		goto done;
	}
	/* grown as bytes arrive: a header claiming more than the file holds costs what it holds */
	size_t label_capacity = 0;
	if (read_exactly(label_file, labels_path, &labels, &label_capacity, count, 8, "labels"))
		goto done;
	data->samples = (int64_t)count;
	data->features = (int64_t)features;
	data->labels = xmalloc(sizeof(int32_t) * count);
	for (size_t i = 0; i < count; i++)
		data->labels[i] = labels[i];
	source->images = images;
	source->images_path = images_path;
	images = NULL;
	result = 0;
done:
	free(labels);
	if (images)
		gzclose(images);
	if (label_file)
		gzclose(label_file);
	if (result)
		dataset_free(data);
	return result;
}

int idx_read_pixels(struct dataset *data, struct idx_source *source)
{
	size_t count = (size_t)data->samples, features = (size_t)data->features;
	unsigned char *pixels = NULL;
	size_t capacity = 0;
	int result = read_exactly(source->images, source->images_path, &pixels, &capacity,
				  count * features, 16, "pixels");
	if (result == 0) {
		data->inputs = xmalloc(sizeof(double) * count * features);
		for (size_t i = 0; i < count * features; i++)
			data->inputs[i] = pixels[i];
	}
	free(pixels);
	idx_close(source);
	if (result)
		dataset_free(data);
	return result;
}

void idx_close(struct idx_source *source)
{
	if (source->images)
		gzclose(source->images);
	source->images = NULL;
}
