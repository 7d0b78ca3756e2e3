/* Rules that involve more than one key, and the memory a spec would need. Internal to
 * src/spec; called once a spec is parsed. */
#ifndef GT_SPEC_CHECK_H
#define GT_SPEC_CHECK_H

#include "spec/spec.h"

/* Resolves "auto" values and checks cross-key rules and memory. Reports every problem
 * with the location of the key involved and returns -1 if there was any. */
int spec_check(struct spec *spec);

/* Bytes that training this spec allocates: parameters, gradients, optimizer state,
 * activations and the dataset. Computed in double so absurd sizes do not overflow. */
double spec_memory_bytes(const struct spec *spec);

#endif
