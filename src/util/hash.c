/* FNV-1a (Fowler, Noll, Vo), 64-bit variant. */
#include "util/hash.h"

uint64_t hash_fnv1a64(const void *data, size_t length)
{
	return hash_fnv1a64_more(HASH_FNV1A64_START, data, length);
}

uint64_t hash_fnv1a64_more(uint64_t hash, const void *data, size_t length)
{
	const unsigned char *bytes = data;
	for (size_t i = 0; i < length; i++) {
		hash ^= bytes[i];
		hash *= 0x100000001b3ULL;
	}
	return hash;
}
