/* FNV-1a (Fowler, Noll, Vo), 64-bit variant. */
#include "util/hash.h"

uint64_t hash_fnv1a64(const void *data, size_t length)
{
	const unsigned char *bytes = data;
	uint64_t hash = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < length; i++) {
		hash ^= bytes[i];
		hash *= 0x100000001b3ULL;
	}
	return hash;
}
