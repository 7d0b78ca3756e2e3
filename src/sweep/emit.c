/* Sweep files for clusters. Arguments go through files, one per line, never through a
 * shell, so values such as "{alpha: 0.5}" need no quoting; the GNU parallel list quotes
 * them for its shell. */
#include "sweep/emit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/file.h"
#include "util/printable.h"
#include "util/strbuf.h"

static int make_dir(const char *path)
{
	if (mkdir(path, 0777) && errno != EEXIST)
		return error("cannot create '%s': %s", path, strerror(errno));
	return 0;
}

/* Single-quotes an argument for a POSIX shell. */
static void shell_quote(struct strbuf *out, const char *text)
{
	strbuf_puts(out, "'");
	for (const char *c = text; *c; c++) {
		if (*c == '\'')
			strbuf_puts(out, "'\\''");
		else
			strbuf_add(out, c, 1);
	}
	strbuf_puts(out, "'");
}

/* An override as a task passes it: a data file named relative to the base spec (as
 * "data.path=d.csv" in the grid) is given as the run's resolved, absolute path, since
 * the task's base spec lies elsewhere. The caller frees it. */
static char *task_override(const struct sweep_run *run, int index)
{
	static const char *const data_keys[] = {"data.path", "data.images", "data.labels", NULL};
	const char *override = run->overrides[index];
	const char *const resolved[] = {run->spec.data.path, run->spec.data.images,
					run->spec.data.labels};
	for (int k = 0; data_keys[k]; k++) {
		size_t length = strlen(data_keys[k]);
		if (strncmp(override, data_keys[k], length) || override[length] != '=' ||
		    !resolved[k] || resolved[k][0] != '/')
			continue;
		struct strbuf text;
		strbuf_init(&text);
		strbuf_printf(&text, "%s=\"", data_keys[k]);
		for (const char *c = resolved[k]; *c; c++) {
			if (*c == '"' || *c == '\\')
				strbuf_add(&text, "\\", 1);
			strbuf_add(&text, c, 1);
		}
		strbuf_puts(&text, "\"");
		return strbuf_detach(&text);
	}
	return xstrdup(override);
}

/* Characters an #SBATCH line takes as they are: sbatch splits its lines at spaces and
 * has its own quoting, so anything else there is refused (paths) or replaced (the job
 * name, a label). */
#define SBATCH_SAFE "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+,:@=-"

/* Everything emit writes is line-based (task files, runs.tsv, the task list) or a
 * script: a control character in a name, an override or an option would end a line and
 * start another, so it is refused. Names (also for '/' and a leading '.', which would
 * not name a file here) and --sbatch are checked when read; this also covers what
 * reaches here by other ways. */
static int check_line_safe(const char *text, const char *what)
{
	if (text_is_printable(text, NULL))
		return 0;
	char *shown = text_printable(text);
	error("%s '%s' has a control character or bytes that are not UTF-8; it cannot be "
	      "written into the sweep's task files", what, shown);
	free(shown);
	return -1;
}

/* The checks before anything is written: what emit writes must stay data. */
static int check_emittable(const struct sweep *sweep, const struct emit_options *options)
{
	if (check_line_safe(sweep->name, "sweep name"))
		return -1;
	for (int r = 0; r < sweep->run_count; r++) {
		if (check_line_safe(sweep->runs[r].name, "run name"))
			return -1;
		for (int o = 0; o < sweep->runs[r].override_count; o++) {
			char *override = task_override(&sweep->runs[r], o);
			int unsafe = check_line_safe(override, "override");
			free(override);
			if (unsafe)
				return -1;
		}
	}
	for (int i = 0; i < options->sbatch_count; i++)
		if (check_line_safe(options->sbatch[i], "--sbatch option"))
			return -1;
	return 0;
}

int sweep_emit(const struct sweep *sweep, const struct emit_options *options)
{
	char dir[PATH_MAX], gtrack[PATH_MAX], name[PATH_MAX];
	if (check_emittable(sweep, options))
		return -1;
	if (options->out_dir)
		snprintf(name, sizeof name, "%s", options->out_dir);
	else
		snprintf(name, sizeof name, "%s.sweep", sweep->name);
	if (make_dir(name) || !realpath(name, dir))
		return error("cannot use '%s' for the sweep's files: %s", name, strerror(errno));
	if (options->kind == EMIT_SLURM && strspn(dir, SBATCH_SAFE) != strlen(dir))
		return error("'%s' cannot go into an #SBATCH line (spaces, quotes and other "
			     "special characters are not read back as written); give --out a "
			     "plain path", dir);
	ssize_t length = readlink("/proc/self/exe", gtrack, sizeof gtrack - 1);
	if (length <= 0)
		return error("cannot find the gtrack binary: %s", strerror(errno));
	gtrack[length] = '\0';

	char sweep_file[PATH_MAX], subdir[PATH_MAX + 16];
	/* named after the sweep, so its name survives even without a name: key */
	snprintf(sweep_file, sizeof sweep_file, "%s.yaml", sweep->name);
	/* The base is written resolved (run 0's spec, whose keys every task's --set
	 * overrides replace): the spec as written may name its data relative to where it
	 * lies, which is no longer true in DIR, while a resolved spec names it absolutely
	 * (spec_hash does not see the path, so the tasks' runs match a local sweep's) */
	struct strbuf base;
	strbuf_init(&base);
	strbuf_puts(&base, "# the base spec, resolved by gtrack sweep --emit: data paths are "
			   "absolute\n");
	spec_emit(&sweep->runs[0].spec, &base, true);
	int written = file_write_text(dir, "base.yaml", base.text, 0644);
	strbuf_free(&base);
	if (written || file_write_text(dir, sweep_file, sweep->text, 0644))
		return -1;
	for (const char *sub = "tasks\0shards\0logs\0"; *sub; sub += strlen(sub) + 1) {
		snprintf(subdir, sizeof subdir, "%s/%s", dir, sub);
		if (make_dir(subdir))
			return -1;
	}

	struct strbuf parallel, list;
	strbuf_init(&parallel);
	strbuf_init(&list);
	strbuf_puts(&list, "task\tname\tspec_hash\tseed\toverrides\n");
	for (int r = 0; r < sweep->run_count; r++) {
		const struct sweep_run *run = &sweep->runs[r];
		strbuf_printf(&list, "%05d\t%s\t%s\t%lld\t%s\n", r, run->name, run->spec.spec_hash,
			      (long long)run->spec.seed, run->spec.overrides);
		struct strbuf args;
		strbuf_init(&args);
		strbuf_printf(&args, "--name\n%s\n", run->name);
		for (int o = 0; o < run->override_count; o++) {
			char *override = task_override(run, o);
			strbuf_printf(&args, "--set\n%s\n", override);
			free(override);
		}
		char task[64];
		snprintf(task, sizeof task, "tasks/%05d.args", r);
		int failed = file_write_text(dir, task, args.text, 0644);
		strbuf_free(&args);
		if (failed) {
			strbuf_free(&parallel);
			strbuf_free(&list);
			return -1;
		}
		strbuf_puts(&parallel, "cd ");
		shell_quote(&parallel, dir);
		/* tasks run side by side, as many as cores (the hint below): one thread each,
		 * unless the environment says otherwise, as gtrack sweep -j shares the cores */
		strbuf_puts(&parallel, " && OMP_NUM_THREADS=\"${OMP_NUM_THREADS:-1}\" ");
		shell_quote(&parallel, gtrack);
		strbuf_printf(&parallel, " run base.yaml --db shards/%05d.db --sweep ", r);
		shell_quote(&parallel, sweep_file);
		strbuf_puts(&parallel, " --quiet --name ");
		shell_quote(&parallel, run->name);
		for (int o = 0; o < run->override_count; o++) {
			char *override = task_override(run, o);
			strbuf_puts(&parallel, " --set ");
			shell_quote(&parallel, override);
			free(override);
		}
		strbuf_puts(&parallel, "\n");
	}

	/* the run specs, for people: task, name, spec_hash, seed and the overrides */
	int result = file_write_text(dir, "runs.tsv", list.text, 0644);
	strbuf_free(&list);
	if (result) {
		strbuf_free(&parallel);
		return -1;
	}
	if (options->kind == EMIT_PARALLEL) {
		result = file_write_text(dir, "parallel.txt", parallel.text, 0644);
		if (!result)
			printf("wrote %d tasks to %s/parallel.txt\n"
			       "run them (one thread each unless OMP_NUM_THREADS says otherwise),\n"
			       "as many at once as cores: parallel --jobs 2 < %s/parallel.txt\n"
			       "or on hosts that see %s: parallel --sshlogin host1,host2 < %s/parallel.txt\n"
			       "then merge: gtrack merge %s/shards/*.db -o all.db\n",
			       sweep->run_count, dir, dir, dir, dir, dir);
	} else {
		struct strbuf script;
		strbuf_init(&script);
		/* #SBATCH lines are read by sbatch, not by a shell: the job name keeps only
		 * characters that need no quoting there */
		strbuf_puts(&script, "#!/bin/bash\n#SBATCH --job-name=gtrack-");
		for (const char *c = sweep->name; *c; c++)
			strbuf_add(&script, strchr(SBATCH_SAFE, *c) ? c : "_", 1);
		strbuf_printf(&script, "\n#SBATCH --array=0-%d", sweep->run_count - 1);
		if (options->array_max > 0)
			strbuf_printf(&script, "%%%d", options->array_max);
		strbuf_printf(&script, "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
				       "#SBATCH --output=%s/logs/%%A_%%a.out\n", dir);
		for (int i = 0; i < options->sbatch_count; i++)
			strbuf_printf(&script, "#SBATCH %s\n", options->sbatch[i]);
		/* below, every string is single-quoted for the shell that runs the script */
		strbuf_printf(&script,
			      "# Written by gtrack sweep --emit slurm (%d runs): one array task per\n"
			      "# run, each writing its own shard database (SQLite must not be shared\n"
			      "# over a network file system). Submit with sbatch; afterwards:\n"
			      "#   gtrack merge shards/*.db -o all.db   (in the directory below)\n"
			      "set -euo pipefail\n"
			      "default_gtrack=", sweep->run_count);
		shell_quote(&script, gtrack);
		strbuf_puts(&script, "\nGTRACK=\"${GTRACK:-$default_gtrack}\"\ncd ");
		shell_quote(&script, dir);
		/* BLAS threads: the CPUs Slurm gave the task, unless the user chose; more would
		 * crowd the other tasks on the node where Slurm does not pin them */
		strbuf_puts(&script, "\nexport OPENBLAS_NUM_THREADS=\"${OPENBLAS_NUM_THREADS:-"
				     "${SLURM_CPUS_PER_TASK:-1}}\"");
		strbuf_puts(&script, "\ntask=$(printf '%05d' \"$SLURM_ARRAY_TASK_ID\")\n"
				     "mapfile -t args < \"tasks/$task.args\"\n"
				     "exec \"$GTRACK\" run base.yaml --db \"shards/$task.db\" --sweep ");
		shell_quote(&script, sweep_file);
		strbuf_puts(&script, " --quiet \"${args[@]}\"\n");
		result = file_write_text(dir, "gtrack.sbatch", script.text, 0755);
		strbuf_free(&script);
		if (!result)
			printf("wrote a Slurm job array of %d tasks to %s/gtrack.sbatch\n"
			       "submit:     sbatch %s/gtrack.sbatch   (add --wait to block until done)\n"
			       "then merge: gtrack merge %s/shards/*.db -o all.db\n",
			       sweep->run_count, dir, dir, dir);
	}
	strbuf_free(&parallel);
	return result;
}
