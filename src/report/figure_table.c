/* The figure table: every figure kind in the order of the report, with its section of
 * index.html and how it groups runs, like git's table of commands. A new figure kind is
 * one file and one row here. */
#include "report/figure.h"

#include <string.h>

#include "util/error.h"

/* How a kind's figures are cut from the selected runs. */
enum figure_scope {
	SCOPE_GROUP,    /* runs that agree on every field not compared */
	SCOPE_DEPTH,    /* the same, at initialisation, with depth along the x axis */
	SCOPE_RESIDUAL, /* runs that differ only in their residual setup */
	SCOPE_RUN,      /* one figure per run */
};

struct figure_kind {
	const char *heading; /* a section of index.html, or NULL to continue the one before */
	const char *anchor;  /* the section's id in index.html */
	const char *text;    /* gtrack's own HTML under the heading */
	enum figure_scope scope;
	int (*group_figure)(struct report *report, const struct run_group *group, int index);
	int (*run_figure)(struct report *report, const struct report_run *run);
	const char *none; /* said when no figure of the kind was written, or NULL */
};

static const struct figure_kind figure_kinds[] = {
	{"Gradient-flow profiles", "profiles",
	 "The norm of each layer's gradient at initialisation and later, layer 0 nearest the "
	 "input, on a log scale. A curve falling toward layer 0 is a vanishing gradient; one "
	 "rising toward it, an exploding gradient.",
	 SCOPE_GROUP, weight_grad_profile_figure, NULL, NULL},
	{NULL, NULL, NULL, SCOPE_GROUP, delta_profile_figure, NULL, NULL},
	{"Heatmaps", "heatmaps", "Every layer and logged step of a run at once.", SCOPE_RUN, NULL,
	 heatmap_figure, NULL},
	{"Training loss", "loss", "Loss on each step's batch.", SCOPE_GROUP, loss_figure, NULL, NULL},
	{"Evaluations", "evaluations",
	 "Loss and accuracy on the whole train and validation splits, for runs with "
	 "log.eval_every.",
	 SCOPE_GROUP, evals_figure, NULL, "No selected run recorded evaluations."},
	{"Diagnostics", "diagnostics",
	 "Dead and saturated units and the size of the updates relative to the weights, "
	 "averaged over the hidden layers.",
	 SCOPE_GROUP, diagnostics_figure, NULL, NULL},
	{"Depth", "depth",
	 "How much of the gradient reaches the first layer as networks get deeper, at "
	 "initialisation.",
	 SCOPE_DEPTH, depth_figure, NULL, NULL},
	{"Residual connections", "residual",
	 "Runs that differ only in their residual setup (none, form, block length, trained "
	 "alpha, init), side by side.",
	 SCOPE_RESIDUAL, residual_figure, NULL,
	 "No selected runs differ only in their residual setup."},
	{"Trained residual scales", "alpha",
	 "Alpha of every residual block against step, for runs that train it "
	 "(model.residual.learn_alpha, e.g. ReZero): seeds of a configuration are one curve "
	 "per block (the mean, with a min-max band), in panels of at most ten consecutive "
	 "blocks coloured from the input side.",
	 SCOPE_GROUP, alpha_figure, NULL, "No selected run trains its residual scales."},
};

static int group_runs(struct report *report, enum figure_scope scope, struct run_group **groups)
{
	if (scope == SCOPE_DEPTH)
		return report_group(report, true, is_depth_column, false, groups);
	if (scope == SCOPE_RESIDUAL)
		return report_group(report, false, report_is_residual_column, true, groups);
	return report_group(report, false, NULL, false, groups);
}

static int write_kind(struct report *report, const struct figure_kind *kind)
{
	int result = 0;
	if (kind->scope == SCOPE_RUN) {
		for (int r = 0; r < report->run_count && !result; r++)
			result = kind->run_figure(report, &report->runs[r]);
		return result;
	}
	struct run_group *groups = NULL;
	int count = group_runs(report, kind->scope, &groups);
	for (int g = 0; g < count && !result; g++)
		result = kind->group_figure(report, &groups[g], g + 1);
	report_groups_free(groups, count);
	return result;
}

/* A --compare that names only fields the selected runs share leaves every figure with
 * one run: legal, and almost never what was meant. */
static void warn_if_nothing_compared(struct report *report)
{
	struct run_group *groups = NULL;
	int count = report_group(report, false, NULL, false, &groups);
	bool single = report->options->compare && count > 1;
	for (int g = 0; g < count && single; g++) {
		struct run_group *sets = NULL;
		int set_count = report_seed_sets(report, &groups[g], false, NULL, &sets);
		single = set_count == 1;
		report_groups_free(sets, set_count);
	}
	report_groups_free(groups, count);
	if (!single)
		return;
	/* the fields that split them, to compare instead */
	struct strbuf differing;
	strbuf_init(&differing);
	for (int f = 0; f < report->field_count; f++) {
		const struct report_field *field = &report->fields[f];
		bool varies = false;
		for (int r = 1; r < report->run_count && !varies; r++)
			varies = strcmp(report->runs[r].values[f], report->runs[0].values[f]) != 0;
		if (varies && !field->compared && report_field_shown(report, f))
			strbuf_printf(&differing, "%s%s", differing.length ? "," : "", field->column);
	}
	warning("--compare %s leaves every figure with a single run (or the seeds of one): the "
		"selected runs differ in %s, which splits them into %d figures; compare those "
		"instead, e.g. --compare %s", report->options->compare, differing.text, count,
		differing.text);
	strbuf_free(&differing);
}

int report_write_figures(struct report *report)
{
	warn_if_nothing_compared(report);
	int result = 0;
	size_t kinds = sizeof figure_kinds / sizeof *figure_kinds;
	for (size_t k = 0; k < kinds && !result; k++) {
		const struct figure_kind *kind = &figure_kinds[k];
		if (kind->heading) {
			strbuf_printf(&report->figures_html, "<h2 id=\"%s\">%s</h2>\n<p>%s</p>\n",
				      kind->anchor, kind->heading, kind->text);
			strbuf_printf(&report->contents_html, "%s<li><a href=\"#%s\">%s</a><ul>\n",
				      k ? "</ul></li>\n" : "", kind->anchor, kind->heading);
		}
		size_t before = report->figures_html.length;
		result = write_kind(report, kind);
		if (!result && kind->none && report->figures_html.length == before)
			strbuf_printf(&report->figures_html, "<p>%s</p>\n", kind->none);
	}
	strbuf_puts(&report->contents_html, "</ul></li>\n");
	return result;
}
