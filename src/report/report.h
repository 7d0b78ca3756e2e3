/* gtrack report: selected runs, their hyper-parameters as comparable fields, and the
 * pieces that turn them into gnuplot scripts, images and index.html. Internal to
 * src/report and cli/cmd_report.c. */
#ifndef GT_REPORT_H
#define GT_REPORT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "util/strbuf.h"

/* A runs column that can tell runs apart. */
struct report_field {
	char *column;
	bool training_only; /* no effect on the gradient at initialisation (lr, steps, ...) */
	bool compared;      /* varies within a figure (--compare); else groups figures */
};

struct report_run {
	long long id;
	char *name, *status, *loss_fn;
	char **values; /* per field, the value as text; "" for NULL */
	char *spec_hash, *overrides;
	long long seed;
	/* a later selected run has the same spec_hash and seed: the same experiment again,
	 * so figures that aggregate runs draw only the later one */
	bool repeated;
	int depth;
	long long first_step, last_step; /* logged steps; -1 when nothing was logged */
	long long later_step;            /* the step of the right-hand profiles */
	double final_loss;
	double ratio_first, ratio_later; /* layer 0 / output weight_grad_norm */
	double delta_ratio_first;
};

enum report_format { FORMAT_PNG, FORMAT_SVG, FORMAT_PDF };

struct report_options {
	const char *db_path;
	const char *runs;    /* --runs, NULL for all */
	const char *where;   /* --where, NULL for none */
	const char *compare; /* --compare, comma separated; NULL: every field */
	const char *facet;   /* --facet, the field that splits figures into panels; NULL: auto */
	long long step;      /* --step, -1: the last logged step */
	const char *out_dir;
	enum report_format format;
	bool render, terminal;
	bool relative; /* --relative: heatmaps of each layer's norm over the output layer's */
};

struct report {
	sqlite3 *db;
	const struct report_options *options;
	struct report_field *fields;
	int field_count;
	struct report_run *runs;
	int run_count;
	/* what the figures wrote, for index.html: the figures, and the table of contents
	 * (list items linking to each section and figure) */
	struct strbuf figures_html, contents_html;
	char **scripts; /* file names of the emitted scripts */
	int script_count;
	char **terminal_scripts; /* scripts also shown with --terminal (owned by scripts) */
	int terminal_count;
	/* the colour range (log10) every heatmap shares, once computed */
	double heat_low, heat_high;
	bool heat_scaled;
	/* the output folder's manifest as the report found it ("" for none), and whether a
	 * file of the folder was refused (not the report's own, or a link) */
	char *previous_manifest;
	bool refused;
};

/* selection.c: ids matching --runs and --where, ascending. Returns 0; -1 with a message
 * for a malformed selection (a bad --where carries SQLite's); 1 with a message when
 * nothing matches (an empty result, or a --runs id or name that does not exist). */
int report_select(sqlite3 *db, const char *runs, const char *where, long long **ids,
		  int *count);

/* runs.c: loads fields and runs. Returns 0; 1 with a message for a --compare that names
 * no runs column; -1 with a message for a database error. report_free frees them. */
int report_load(struct report *report, const long long *ids, int count);
void report_free(struct report *report);
/* A run's logged steps: at most `limit`, evenly spread, always the first and the last
 * (caller frees). */
long long *report_steps(struct report *report, long long run_id, int limit, int *count);

/* grouping.c: runs that agree on every field that is not compared (with
 * training_only fields ignored when `initial_only`), and legends naming what differs.
 * A repeated run (the same spec and seed as a later one) is in no group. */
struct run_group {
	int *members; /* indexes into report->runs */
	int count;
};
int report_group(const struct report *report, bool initial_only, bool (*skip)(const char *),
		 bool ignore_compare, struct run_group **groups);
void report_groups_free(struct run_group *groups, int count);
/* Appends to out the values of the fields that vary within group (or, for a single run,
 * its name), e.g. "sigmoid d=20 residual", its status unless finished, and, with
 * mark_duplicates, "#id" when another member has the same values (seeds). Field
 * omitted_field (-1: none) is left out: a panel's value, which its title says (see
 * report_legend_tells). */
void report_legend(const struct report *report, const struct run_group *group, int member,
		   bool initial_only, bool (*skip)(const char *), bool mark_duplicates,
		   int omitted_field, struct strbuf *out);
/* Whether report_legend, leaving out omitted_field, tells anything of the member: when it
 * does not, the panel's value was all that set it apart, and its panel's keys keep it. */
bool report_legend_tells(const struct report *report, const struct run_group *group,
			 int member, bool initial_only, bool (*skip)(const char *),
			 int omitted_field);
/* The position in group of run (an index of report->runs), which the group holds. */
int report_group_member(const struct run_group *group, int run);
/* Splits a group into sets of runs that differ in nothing but their seed (and name);
 * a report draws each set as one curve, the mean with a band for the spread. */
int report_seed_sets(const struct report *report, const struct run_group *group,
		     bool initial_only, bool (*skip)(const char *), struct run_group **sets);
/* A run's value of a runs column ("" for NULL or a column the report did not load). */
const char *report_value(const struct report *report, const struct report_run *run,
			 const char *column);
/* Whether column is one of the residual setup's: residual and residual_*. */
bool report_is_residual_column(const char *column);
/* Appends the run's residual setup as a researcher writes it: "plain", "residual"
 * (today's branch form, blocks of one, nothing else chosen), else its parts that are not
 * defaults with ", " between them: the form and block length, a trained alpha ("ReZero"
 * from 0, else "learned alpha from 0.5") and the init, e.g. "pre k=2, learned alpha from
 * 0.5", "post k=1", "ReZero", "post k=2, fixup". A fixed alpha is its own field. Legends
 * name only the parts that differ within their figure. */
void report_setup_name(const struct report *report, const struct report_run *run,
		       struct strbuf *out);
/* Whether field f is told on its own (the residual setup's columns but alpha are told
 * as one, at the residual column). */
bool report_field_shown(const struct report *report, int f);
/* Appends a run's value of field f as compared (the setup name for residual; nothing
 * for a column folded into it), or as legends say it ("d=20", "relu", "pre k=2"). */
void report_field_text(const struct report *report, const struct report_run *run, int f,
		       struct strbuf *out);
void report_field_legend(const struct report *report, const struct report_run *run, int f,
			 struct strbuf *out);
/* Appends the fields shared by the whole group, for a title. */
void report_common(const struct report *report, const struct run_group *group,
		   bool initial_only, bool (*skip)(const char *), struct strbuf *out);

/* figure_table.c: writes every figure's script into the output directory. */
int report_write_figures(struct report *report);

/* render.c: renders the scripts with gnuplot; prints the --terminal figures. Returns
 * -1 if a script fails; a missing gnuplot is a warning with what to do. */
int report_render(struct report *report, bool *rendered);
int report_show_in_terminal(struct report *report);

/* html.c: writes index.html. */
int report_write_index(struct report *report, bool rendered);

/* manifest.c: records the files this report wrote in the output directory (its
 * scripts, their images when rendered, index.html) and removes those the previous
 * report there wrote and this one did not; nothing else is touched. */
int report_write_manifest(struct report *report, bool rendered);
/* Reads the folder's manifest before anything is written (-1 with a message when it is
 * not a regular file or cannot be read). */
int report_open_manifest(struct report *report);
/* Called before the report writes NAME in the output folder: refuses (-1, a message
 * naming the file, report->refused set) a name that exists and is not in the previous
 * manifest or is not a regular file, so a user's file or a link is never written; then
 * appends NAME to the manifest on disk first, so an interrupted report leaves a list of
 * what it wrote for the next one to clean up. Does nothing for --terminal. */
int report_claim(struct report *report, const char *name);
/* Appends the image file name of a script ("profile-1.gp" -> "profile-1.png"). */
void report_image_name(const struct report *report, const char *script, struct strbuf *out);

/* escape.c: the only ways a string from a spec, a name or a database enters a script or
 * the page. report_gnuplot_string appends it as a single-quoted gnuplot string (no
 * backquote or macro expansion there; a quote doubled); report_html_text appends it with
 * HTML's special characters as entities. Both turn control characters (a newline
 * included) and bytes that are not UTF-8 into '?'. Gnuplot titles holding such strings
 * are also marked noenhanced, so enhanced-text markup in a name prints as typed. */
void report_gnuplot_string(struct strbuf *out, const char *text);
void report_html_text(struct strbuf *out, const char *text);

/* Helpers shared by the report files. */
const char *report_format_extension(enum report_format format);
/* "1.2e-06"; "n/a" for NaN */
const char *report_number(char *buffer, size_t size, double value);

#endif
