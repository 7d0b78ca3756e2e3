/* Which of VECTOR_CLONES' versions this machine runs; see target_clones.h. */
#include "util/target_clones.h"

const char *vector_clone_name(void)
{
#if HAVE_VECTOR_CLONES
	/* the test GCC's resolver makes, in VECTOR_CLONES' order */
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return "avx512f";
	if (__builtin_cpu_supports("avx2"))
		return "avx2";
#endif
	return "default";
}
