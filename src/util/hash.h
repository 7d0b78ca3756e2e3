/* 64-bit FNV-1a, used for spec_hash: a stable, dependency-free fingerprint of a resolved
 * spec. It identifies configurations; it is not a security hash. */
#ifndef GT_HASH_H
#define GT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A64_START 0xcbf29ce484222325ULL

uint64_t hash_fnv1a64(const void *data, size_t length);
/* Continues a hash over more bytes: hashing a file chunk by chunk, starting from
 * HASH_FNV1A64_START, gives hash_fnv1a64 of the whole. */
uint64_t hash_fnv1a64_more(uint64_t hash, const void *data, size_t length);

#endif
