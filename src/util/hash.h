/* 64-bit FNV-1a, used for spec_hash: a stable, dependency-free fingerprint of a resolved
 * spec. It identifies configurations; it is not a security hash. */
#ifndef GT_HASH_H
#define GT_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_fnv1a64(const void *data, size_t length);

#endif
