/* Small multiples: which panel and which style each curve of a figure gets. A figure
 * with more than FACET_THRESHOLD lines is split into panels by the varying field that
 * makes the fewest panels of at most MAX_PANEL_CURVES lines (or by --facet), a value
 * with more cut into pieces. Within a figure, colour is depth on
 * one sequential palette, line style is the residual setup, and point types tell apart
 * the rest; every panel uses the same mapping, so a colour means one thing. */
#include "report/figure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Above this many curves a single panel stops being readable (gnuplot's eight line
 * colours repeat, legends crowd out the plot). */
#define FACET_THRESHOLD 8

/* Field f's value for curve s, as runs are compared ("plain", "pre k=2" for the
 * residual setup; empty for a column folded into the setup). */
static void curve_value(const struct report *report, const struct run_group *sets, int s,
			int f, struct strbuf *out)
{
	strbuf_reset(out);
	report_field_text(report, &report->runs[sets[s].members[0]], f, out);
}

/* Distinct values of field f over the sets: their number, and each set's rank among
 * them in order of first appearance (or numeric order when they are all numbers). */
static int rank_values(const struct report *report, const struct run_group *sets, int count,
		       int f, int *rank)
{
	char **values = xcalloc((size_t)count, sizeof *values);
	int distinct = 0;
	bool numeric = true;
	struct strbuf value;
	strbuf_init(&value);
	for (int s = 0; s < count; s++) {
		curve_value(report, sets, s, f, &value);
		int v = 0;
		while (v < distinct && strcmp(values[v], value.text))
			v++;
		if (v == distinct) {
			char *end;
			strtod(value.text, &end);
			numeric &= *value.text && !*end;
			values[distinct++] = xstrdup(value.text);
		}
		rank[s] = v;
	}
	if (numeric) { /* depth 5 before depth 10, whatever came first */
		int *order = xcalloc((size_t)distinct, sizeof *order);
		for (int v = 0; v < distinct; v++)
			for (int w = 0; w < distinct; w++)
				order[v] += atof(values[w]) < atof(values[v]);
		for (int s = 0; s < count; s++)
			rank[s] = order[rank[s]];
		free(order);
	}
	for (int v = 0; v < distinct; v++)
		free(values[v]);
	free(values);
	strbuf_free(&value);
	return distinct;
}

/* The panels a field makes: each value's, cut into pieces of at most max_curves. */
static int panels_made(const int *rank, int count, int distinct, int max_curves)
{
	int *sizes = xcalloc((size_t)distinct, sizeof *sizes), panels = 0;
	for (int s = 0; s < count; s++)
		sizes[rank[s]]++;
	for (int v = 0; v < distinct; v++)
		panels += (sizes[v] + max_curves - 1) / max_curves;
	free(sizes);
	return panels;
}

static int field_index(const struct report *report, const char *column)
{
	for (int f = 0; f < report->field_count; f++)
		if (!strcmp(report->fields[f].column, column))
			return f;
	return -1;
}

/* The field to split by: --facet, else the one that makes the fewest panels of at most
 * max_curves lines (a value with more is cut into pieces), the fewer values on a tie;
 * -1 for one panel, or for pieces without a field when every field would make at least
 * twice as many panels (13 residual setups: 2 pieces, not 13 panels of one curve). */
static int choose_facet(const struct report *report, const struct run_group *sets, int count,
			int lines_per_curve, int *rank)
{
	int threshold = FACET_THRESHOLD / lines_per_curve,
	    max_curves = MAX_PANEL_CURVES / lines_per_curve;
	const char *chosen = report->options->facet;
	if (chosen) {
		int f = field_index(report, chosen);
		return f >= 0 && rank_values(report, sets, count, f, rank) > 1 ? f : -1;
	}
	if (count <= threshold)
		return -1;
	int best = -1, best_values = 0, best_panels = 0;
	for (int f = 0; f < report->field_count; f++) {
		if (!report_field_shown(report, f))
			continue;
		int values = rank_values(report, sets, count, f, rank);
		if (values < 2)
			continue;
		int panels = panels_made(rank, count, values, max_curves);
		if (best < 0 || panels < best_panels ||
		    (panels == best_panels && values < best_values))
			best = f, best_values = values, best_panels = panels;
	}
	int pieces = (count + max_curves - 1) / max_curves;
	if (best >= 0 && best_panels >= 2 * pieces)
		best = -1;
	if (best >= 0)
		rank_values(report, sets, count, best, rank);
	return best;
}

/* A colour of a sequential palette (viridis, without its lightest yellows, which
 * vanish on white) for level out of levels. */
void sequential_colour(char colour[8], int level, int levels)
{
	static const double anchors[][3] = {
		{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {189, 223, 38},
	};
	double at = levels > 1 ? (double)level / (levels - 1) * 4 * 0.9 : 0;
	int low = (int)floor(at);
	low = low > 3 ? 3 : low;
	double t = at - low;
	int rgb[3];
	for (int c = 0; c < 3; c++)
		rgb[c] = (int)lround(anchors[low][c] * (1 - t) + anchors[low + 1][c] * t);
	snprintf(colour, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

/* Okabe-Ito, as plots/common.gp: for figures where colour tells apart categories. */
static const char *const categorical[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
					  "#E69F00", "#56B4E9", "#000000", "#999999"};

static void assign_styles(const struct report *report, const struct run_group *sets,
			  int count, int facet, struct facet_plan *plan)
{
	int depth = field_index(report, "depth"), setup = field_index(report, "residual");
	int *rank = xcalloc((size_t)count, sizeof *rank);
	int *rest = xcalloc((size_t)count, sizeof *rest);
	int depths = depth >= 0 && depth != facet ? rank_values(report, sets, count, depth, rank)
						  : 1;
	for (int s = 0; s < count; s++)
		sequential_colour(plan->styles[s].colour, rank[s], depths);
	int setups = setup >= 0 && setup != facet ? rank_values(report, sets, count, setup, rank)
						  : 1;
	for (int s = 0; s < count; s++)
		plan->styles[s].dash = setups > 1 ? 1 + rank[s] : 1;
	/* whatever else varies: each combination its own rank */
	struct strbuf key, value;
	strbuf_init(&key), strbuf_init(&value);
	char **keys = xcalloc((size_t)count, sizeof *keys);
	int distinct = 0;
	for (int s = 0; s < count; s++) {
		strbuf_reset(&key);
		for (int f = 0; f < report->field_count; f++) {
			if (f == facet || f == depth || f == setup || !report_field_shown(report, f))
				continue;
			curve_value(report, sets, s, f, &value);
			strbuf_printf(&key, "%s\x1f", value.text);
		}
		int k = 0;
		while (k < distinct && strcmp(keys[k], key.text))
			k++;
		if (k == distinct)
			keys[distinct++] = xstrdup(key.text);
		rest[s] = k;
	}
	static const int point_types[] = {7, 5, 9, 11, 13, 3, 1, 4, 6, 8, 10, 12};
	for (int s = 0; s < count; s++) {
		/* without depth to colour by, colour tells the rest apart, or the setups when
		 * they are more (13 setups in 13 dash patterns of one colour were one blur) */
		if (depths < 2 && setups > distinct) {
			snprintf(plan->styles[s].colour, 8, "%s", categorical[rank[s] % 8]);
			plan->styles[s].dash = 1 + rank[s] / 8;
			plan->styles[s].point = point_types[(rank[s] + rest[s]) % 12];
			continue;
		}
		if (depths < 2 && distinct > 1)
			snprintf(plan->styles[s].colour, 8, "%s", categorical[rest[s] % 8]);
		plan->styles[s].point = point_types[(depths < 2 ? 0 : rest[s]) % 12];
	}
	for (int k = 0; k < distinct; k++)
		free(keys[k]);
	free(keys), free(rank), free(rest);
	strbuf_free(&key), strbuf_free(&value);
}

int report_facet_plan(const struct report *report, const struct run_group *sets, int count,
		      int lines_per_curve, struct facet_plan *plan)
{
	int max_curves = MAX_PANEL_CURVES / (lines_per_curve > 0 ? lines_per_curve : 1);
	*plan = (struct facet_plan){0};
	plan->panel_of = xcalloc((size_t)count + 1, sizeof *plan->panel_of);
	plan->styles = xcalloc((size_t)count + 1, sizeof *plan->styles);
	int *rank = xcalloc((size_t)count + 1, sizeof *rank);
	int facet = choose_facet(report, sets, count, lines_per_curve > 0 ? lines_per_curve : 1,
				 rank);
	plan->facet = facet;
	int values = facet >= 0 ? 0 : 1;
	for (int s = 0; s < count; s++)
		values = facet >= 0 && rank[s] + 1 > values ? rank[s] + 1 : values;
	/* each value's curves, cut into pieces of at most MAX_PANEL_CURVES lines; a piece's
	 * title says which of the value's curves it holds */
	plan->panel_titles = xcalloc((size_t)count + 1, sizeof *plan->panel_titles);
	plan->keeps_value = xcalloc((size_t)count + 1, sizeof *plan->keeps_value);
	int *first_curve = xcalloc((size_t)count + 1, sizeof *first_curve);
	int *last_curve = xcalloc((size_t)count + 1, sizeof *last_curve);
	int *value_curves = xcalloc((size_t)count + 1, sizeof *value_curves);
	struct strbuf title;
	strbuf_init(&title);
	for (int v = 0; v < values; v++) {
		int in_value = 0, first = plan->panel_count, size = 0;
		for (int s = 0; s < count; s++)
			size += facet < 0 || rank[s] == v;
		/* pieces of even size: 13 curves make 7 and 6, not 10 and 3 */
		int pieces = (size + max_curves - 1) / max_curves;
		for (int s = 0; s < count; s++) {
			if (facet >= 0 && rank[s] != v)
				continue;
			int piece = in_value++ * pieces / size;
			plan->panel_of[s] = first + piece;
			last_curve[first + piece] = in_value;
			if (first + piece < plan->panel_count)
				continue;
			first_curve[plan->panel_count] = in_value;
			value_curves[plan->panel_count] = pieces > 1 ? size : 0;
			strbuf_reset(&title);
			if (facet >= 0)
				report_field_legend(report, &report->runs[sets[s].members[0]], facet,
						    &title);
			plan->panel_titles[plan->panel_count++] = xstrdup(title.text);
		}
	}
	for (int p = 0; p < plan->panel_count; p++) {
		if (!value_curves[p])
			continue;
		strbuf_reset(&title);
		strbuf_printf(&title, "%s%scurves %d-%d of %d", plan->panel_titles[p],
			      *plan->panel_titles[p] ? ", " : "", first_curve[p], last_curve[p],
			      value_curves[p]);
		free(plan->panel_titles[p]);
		plan->panel_titles[p] = xstrdup(title.text);
	}
	free(first_curve), free(last_curve), free(value_curves);
	strbuf_free(&title);
	assign_styles(report, sets, count, facet, plan);
	free(rank);
	return 0;
}

void report_facet_plan_free(struct facet_plan *plan)
{
	for (int p = 0; p < plan->panel_count; p++)
		free(plan->panel_titles[p]);
	free(plan->panel_titles);
	free(plan->keeps_value);
	free(plan->panel_of);
	free(plan->styles);
}

int facet_key_omits(const struct facet_plan *plan, int k)
{
	return plan->facet >= 0 && !plan->keeps_value[plan->panel_of[k]] ? plan->facet : -1;
}

void facet_keep_value(struct facet_plan *plan, int k)
{
	plan->keeps_value[plan->panel_of[k]] = true;
}
