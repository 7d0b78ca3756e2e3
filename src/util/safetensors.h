/* Writing the safetensors format (Hugging Face): an 8-byte little-endian header length,
 * a JSON header naming each tensor's dtype, shape and byte range, then the raw data.
 * torch, numpy and safetensors read it directly. */
#ifndef GT_SAFETENSORS_H
#define GT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

struct tensor {
	const char *name;  /* e.g. "layers.0.weight" */
	const char *dtype; /* "F32", "F64" or "I64" */
	int64_t shape[2];
	int rank;          /* 0 (a scalar), 1 or 2 */
	const void *data;  /* little-endian, shape product x dtype size bytes */
	size_t bytes;
};

/* Writes the tensors to path, in order. Returns -1 with a message naming the file. */
int safetensors_write(const char *path, const struct tensor *tensors, int count);

#endif
