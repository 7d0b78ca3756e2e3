/* Writing a sweep out for a cluster: a Slurm job array, or a task list for GNU parallel.
 * Every task runs `gtrack run` on the base spec with its overrides, into its own shard
 * database; `gtrack merge` gathers the shards afterwards. */
#ifndef GT_EMIT_H
#define GT_EMIT_H

#include "sweep/sweep.h"

enum emit_kind { EMIT_NONE, EMIT_SLURM, EMIT_PARALLEL };

struct emit_options {
	enum emit_kind kind;
	const char *out_dir;  /* NULL: NAME.sweep */
	int array_max;        /* Slurm: at most this many tasks at once; 0: no limit */
	const char **sbatch;  /* extra #SBATCH options */
	int sbatch_count;
};

/* Writes DIR/base.yaml (the base spec resolved: data paths absolute), DIR/NAME.yaml (the
 * sweep), DIR/tasks/NNNNN.args, DIR/runs.tsv (task, name, spec_hash, seed, overrides)
 * and the job script (DIR/gtrack.sbatch) or task
 * list (DIR/parallel.txt), and prints how to submit.
 * Returns -1 with a message. */
int sweep_emit(const struct sweep *sweep, const struct emit_options *options);

#endif
