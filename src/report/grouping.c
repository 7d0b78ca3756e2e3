/* Grouping runs into figures and naming them in legends. Runs share a figure when they
 * agree on every field that is not compared, so no figure silently mixes unlike runs;
 * within a figure, legends name exactly the fields that differ. */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"

/* Whether field f takes part in grouping and legends for a figure. */
static bool relevant(const struct report *report, int f, bool initial_only,
		     bool (*skip)(const char *))
{
	const struct report_field *field = &report->fields[f];
	if (initial_only && field->training_only)
		return false;
	return !(skip && skip(field->column));
}

static bool same_group(const struct report *report, const struct report_run *a,
		       const struct report_run *b, bool initial_only, bool (*skip)(const char *),
		       bool ignore_compare)
{
	for (int f = 0; f < report->field_count; f++)
		if ((ignore_compare || !report->fields[f].compared) &&
		    relevant(report, f, initial_only, skip) && strcmp(a->values[f], b->values[f]))
			return false;
	return true;
}

int report_group(const struct report *report, bool initial_only, bool (*skip)(const char *),
		 bool ignore_compare, struct run_group **groups)
{
	int count = 0;
	*groups = xcalloc((size_t)report->run_count, sizeof **groups);
	for (int r = 0; r < report->run_count; r++) {
		if (report->runs[r].repeated)
			continue;
		int g = 0;
		while (g < count && !same_group(report, &report->runs[(*groups)[g].members[0]],
						&report->runs[r], initial_only, skip, ignore_compare))
			g++;
		if (g == count) {
			(*groups)[g].members = xcalloc((size_t)report->run_count, sizeof(int));
			count++;
		}
		(*groups)[g].members[(*groups)[g].count++] = r;
	}
	return count;
}

void report_groups_free(struct run_group *groups, int count)
{
	for (int g = 0; g < count; g++)
		free(groups[g].members);
	free(groups);
}

/* A field's value as legends and titles compare it: "" where the field does not apply to
 * the run. alpha applies only to a residual run with a fixed alpha: a plain run has none,
 * and a trained alpha's start value is told by the setup's name ("learned alpha from
 * 0.5", "ReZero"). */
static const char *told_value(const struct report *report, const struct report_run *run,
			      int f)
{
	if (!strcmp(report->fields[f].column, "residual_alpha") &&
	    !strcmp(report_value(report, run, "residual_learn_alpha"), "1"))
		return "";
	return run->values[f];
}

/* Whether field f differs between runs of the group it applies to: a value that only
 * some runs have (alpha, a leaky slope) says nothing when those runs agree on it, e.g.
 * "alpha 1.0" next to every residual run of a residual sweep. */
static bool varies(const struct report *report, const struct run_group *group, int f)
{
	const char *seen = NULL;
	for (int m = 0; m < group->count; m++) {
		const char *value = told_value(report, &report->runs[group->members[m]], f);
		if (!*value)
			continue;
		if (seen && strcmp(value, seen))
			return true;
		seen = value;
	}
	return false;
}

/* The value of f that a title tells for the group: the one every run has, else "" (a
 * value only some runs have, like the residual runs' alpha next to plain runs, is for
 * their legends). */
static const char *shared_value(const struct report *report, const struct run_group *group,
				int f)
{
	const char *value = told_value(report, &report->runs[group->members[0]], f);
	for (int m = 1; m < group->count && *value; m++)
		if (strcmp(told_value(report, &report->runs[group->members[m]], f), value))
			return "";
	return value;
}

const char *report_value(const struct report *report, const struct report_run *run,
			 const char *column)
{
	for (int f = 0; f < report->field_count; f++)
		if (!strcmp(report->fields[f].column, column))
			return run->values[f];
	return "";
}

bool report_is_residual_column(const char *column)
{
	return !strncmp(column, "residual", strlen("residual"));
}

/* A residual setup is told in parts, each said only when it is not the default: the
 * form with its block length ("pre k=2"), a trained alpha ("ReZero" from 0, else
 * "learned alpha from 0.5") and the init ("fixup"). A legend names the parts that differ
 * within its figure and the title the parts every run shares. */
enum setup_part { SETUP_FORM, SETUP_ALPHA, SETUP_INIT, SETUP_PARTS };

static void setup_part(const struct report *report, const struct report_run *run,
		       enum setup_part part, struct strbuf *out)
{
	if (!strcmp(report_value(report, run, "residual"), "0"))
		return;
	const char *form = report_value(report, run, "residual_form");
	const char *block = report_value(report, run, "residual_block");
	const char *alpha = report_value(report, run, "residual_alpha");
	const char *init = report_value(report, run, "residual_init");
	switch (part) {
	case SETUP_FORM:
		if ((*form && strcmp(form, "branch")) || (*block && strcmp(block, "1")))
			strbuf_printf(out, "%s k=%s", *form ? form : "branch", *block ? block : "1");
		break;
	case SETUP_ALPHA:
		if (strcmp(report_value(report, run, "residual_learn_alpha"), "1"))
			break;
		if (atof(alpha) == 0)
			strbuf_puts(out, "ReZero");
		else
			strbuf_printf(out, "learned alpha from %s", alpha);
		break;
	case SETUP_INIT:
		if (*init && strcmp(init, "default"))
			strbuf_puts(out, init);
		break;
	default:
		break;
	}
}

/* Appends the parts of run's setup for which `differs` (indexed by part) is `want`, with
 * ", " between them; returns whether it appended any. */
static bool setup_parts(const struct report *report, const struct report_run *run,
			const bool differs[SETUP_PARTS], bool want, struct strbuf *out)
{
	size_t start = out->length;
	for (int part = 0; part < SETUP_PARTS; part++) {
		if (differs[part] != want)
			continue;
		size_t before = out->length;
		if (out->length > start)
			strbuf_puts(out, ", ");
		size_t mark = out->length;
		setup_part(report, run, part, out);
		if (out->length == mark) { /* a default part: nothing to say */
			out->length = before;
			out->text[before] = '\0';
		}
	}
	return out->length > start;
}

void report_setup_name(const struct report *report, const struct report_run *run,
		       struct strbuf *out)
{
	if (!strcmp(report_value(report, run, "residual"), "0")) {
		strbuf_puts(out, "plain");
		return;
	}
	static const bool every[SETUP_PARTS] = {false};
	if (!setup_parts(report, run, every, false, out))
		strbuf_puts(out, "residual");
}

/* Which parts of the setup differ between the runs of the group. */
static void setup_differences(const struct report *report, const struct run_group *group,
			      bool differs[SETUP_PARTS])
{
	struct strbuf first, other;
	strbuf_init(&first), strbuf_init(&other);
	for (int part = 0; part < SETUP_PARTS; part++) {
		differs[part] = false;
		strbuf_reset(&first);
		setup_part(report, &report->runs[group->members[0]], part, &first);
		for (int m = 1; m < group->count && !differs[part]; m++) {
			strbuf_reset(&other);
			setup_part(report, &report->runs[group->members[m]], part, &other);
			differs[part] = strcmp(first.text, other.text) != 0;
		}
	}
	strbuf_free(&first), strbuf_free(&other);
}

/* The setup of a run as its figure tells it: in a legend (want_varying), the parts that
 * differ within the group, else its whole name ("plain", "residual" where those parts
 * are defaults); in a title, the parts every run shares, or the whole name when the
 * group shares the whole setup. */
static void setup_phrase(const struct report *report, const struct run_group *group,
			 const struct report_run *run, bool setup_differs, bool want_varying,
			 struct strbuf *out)
{
	bool differs[SETUP_PARTS];
	setup_differences(report, group, differs);
	bool plain = !strcmp(report_value(report, run, "residual"), "0");
	if (want_varying) {
		if (plain || !setup_parts(report, run, differs, true, out))
			report_setup_name(report, run, out);
	} else if (!setup_differs) {
		report_setup_name(report, run, out);
	} else if (!plain) {
		setup_parts(report, run, differs, false, out);
	}
}

/* "sigmoid", "d=20", "residual", "alpha 0.5", "gain 2", "lr=0.1", "w=64", ... */
static void describe_value(const char *column, const char *value, struct strbuf *out)
{
	if (!*value)
		return;
	/* the default normalisation says nothing; a chosen one names itself */
	if (!strcmp(column, "norm") && !strcmp(value, "none"))
		return;
	/* the legend format of the spec field table: "d=%s", or "%s" for names */
	for (const struct spec_column *c = spec_columns(); c->column; c++) {
		if (!strcmp(c->column, column) && c->legend) {
			strbuf_printf(out, c->legend, value);
			return;
		}
	}
	strbuf_printf(out, "%s=%s", column, value);
}

/* The residual setup's columns other than alpha are named as one phrase at the residual
 * column; they take no part on their own. */
static bool folded_into_setup(const char *column)
{
	return report_is_residual_column(column) && strcmp(column, "residual_alpha") &&
	       strcmp(column, "residual");
}

bool report_field_shown(const struct report *report, int f)
{
	return !folded_into_setup(report->fields[f].column);
}

void report_field_text(const struct report *report, const struct report_run *run, int f,
		       struct strbuf *out)
{
	if (!strcmp(report->fields[f].column, "residual"))
		report_setup_name(report, run, out);
	else if (report_field_shown(report, f))
		strbuf_puts(out, run->values[f]);
}

void report_field_legend(const struct report *report, const struct report_run *run, int f,
			 struct strbuf *out)
{
	if (!strcmp(report->fields[f].column, "residual"))
		report_setup_name(report, run, out);
	else if (report_field_shown(report, f))
		describe_value(report->fields[f].column, run->values[f], out);
}

/* Titles name the shared architecture and the main training knob; the full list of
 * shared fields is in index.html's runs table. */
static bool in_title(const char *column)
{
	static const char *const shown[] = {"activation", "depth", "residual", "residual_alpha",
					    "init", "init_gain", "width", "lr"};
	for (size_t i = 0; i < sizeof shown / sizeof *shown; i++)
		if (!strcmp(shown[i], column))
			return true;
	return false;
}

/* Whether the residual setup differs within group: residual on and off, or any part of
 * its name; the setup is then named at the residual column (its other columns folded
 * into it, alpha a field of its own where it is fixed). */
static bool setup_varies(const struct report *report, const struct run_group *group)
{
	bool differs[SETUP_PARTS];
	setup_differences(report, group, differs);
	for (int part = 0; part < SETUP_PARTS; part++)
		if (differs[part])
			return true;
	for (int f = 0; f < report->field_count; f++)
		if (!strcmp(report->fields[f].column, "residual") && varies(report, group, f))
			return true;
	return false;
}

static void describe_fields(const struct report *report, const struct run_group *group,
			    int member, bool initial_only, bool (*skip)(const char *),
			    bool want_varying, int omitted_field, struct strbuf *out)
{
	const struct report_run *run = &report->runs[group->members[member]];
	size_t start = out->length;
	bool setup_differs = setup_varies(report, group);
	for (int f = 0; f < report->field_count; f++) {
		const char *column = report->fields[f].column;
		bool setup = !strcmp(column, "residual");
		bool differs = setup ? setup_differs : varies(report, group, f);
		/* a legend tells the run's own value, a title the value the group shares */
		const char *value = want_varying ? told_value(report, run, f)
						 : shared_value(report, group, f);
		/* a title names the parts of a varying setup that every run shares */
		bool told = setup && !want_varying ? true : differs == want_varying;
		if (f == omitted_field || folded_into_setup(column) ||
		    !relevant(report, f, initial_only, skip) || !told ||
		    !*value || (!want_varying && !in_title(column)))
			continue;
		size_t before = out->length;
		if (out->length > start)
			strbuf_puts(out, want_varying ? " " : ", ");
		size_t mark = out->length;
		if (setup)
			setup_phrase(report, group, run, setup_differs, want_varying, out);
		else
			describe_value(column, value, out);
		if (out->length == mark) { /* nothing said: drop the separator */
			out->length = before;
			out->text[before] = '\0';
		}
	}
}

void report_legend(const struct report *report, const struct run_group *group, int member,
		   bool initial_only, bool (*skip)(const char *), bool mark_duplicates,
		   int omitted_field, struct strbuf *out)
{
	const struct report_run *run = &report->runs[group->members[member]];
	size_t start = out->length;
	describe_fields(report, group, member, initial_only, skip, true, omitted_field, out);
	if (out->length == start) /* nothing differs (seeds, or a single run) */
		strbuf_puts(out, run->name);
	/* runs that share every field (seeds of one configuration) are told apart by id */
	for (int m = 0; mark_duplicates && m < group->count; m++) {
		const struct report_run *other = &report->runs[group->members[m]];
		bool identical = m != member;
		for (int f = 0; f < report->field_count && identical; f++)
			identical = !relevant(report, f, initial_only, skip) ||
				    !strcmp(run->values[f], other->values[f]);
		if (identical) {
			strbuf_printf(out, " #%lld", run->id);
			break;
		}
	}
	if (strcmp(run->status, "finished"))
		strbuf_printf(out, " [%s]", run->status);
}

bool report_legend_tells(const struct report *report, const struct run_group *group,
			 int member, bool initial_only, bool (*skip)(const char *),
			 int omitted_field)
{
	struct strbuf told;
	strbuf_init(&told);
	describe_fields(report, group, member, initial_only, skip, true, omitted_field, &told);
	bool tells = told.length > 0;
	strbuf_free(&told);
	return tells;
}

void report_common(const struct report *report, const struct run_group *group,
		   bool initial_only, bool (*skip)(const char *), struct strbuf *out)
{
	describe_fields(report, group, 0, initial_only, skip, false, -1, out);
}

int report_group_member(const struct run_group *group, int run)
{
	int member = 0;
	while (group->members[member] != run)
		member++;
	return member;
}

int report_seed_sets(const struct report *report, const struct run_group *group,
		     bool initial_only, bool (*skip)(const char *), struct run_group **sets)
{
	int count = 0;
	*sets = xcalloc((size_t)group->count, sizeof **sets);
	for (int m = 0; m < group->count; m++) {
		const struct report_run *run = &report->runs[group->members[m]];
		int s = 0;
		for (; s < count; s++) {
			const struct report_run *other = &report->runs[(*sets)[s].members[0]];
			bool same = true;
			for (int f = 0; f < report->field_count && same; f++)
				same = !relevant(report, f, initial_only, skip) ||
				       !strcmp(run->values[f], other->values[f]);
			if (same)
				break;
		}
		if (s == count) {
			(*sets)[s].members = xcalloc((size_t)group->count, sizeof(int));
			count++;
		}
		(*sets)[s].members[(*sets)[s].count++] = group->members[m];
	}
	return count;
}
