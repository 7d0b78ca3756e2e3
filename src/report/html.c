/* index.html: the figures with their measured numbers and a table of the runs. One file
 * with inline style, no scripts, no network: it opens from the file system. Every value
 * from the database goes through report_html_text. */
#include "report/figure.h"
#include "util/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *value_of(const struct report *report, const struct report_run *run,
			    const char *column)
{
	return report_value(report, run, column);
}

/* <td>text</td>, with class="status-STATUS" when status is given. */
static void table_cell(struct strbuf *html, const char *status, const char *text)
{
	strbuf_puts(html, "<td");
	if (status) {
		strbuf_puts(html, " class=\"status-");
		report_html_text(html, status);
		strbuf_puts(html, "\"");
	}
	strbuf_puts(html, ">");
	report_html_text(html, text);
	strbuf_puts(html, "</td>");
}

void figure_html(struct report *report, const char *stem, const char *caption)
{
	const char *extension = report_format_extension(report->options->format);
	struct strbuf *h = &report->figures_html;
	/* the contents name a figure by its caption's first phrase: up to the first ". " or
	 * ": " outside brackets ("Heatmap of run 3 (name)", where a sweep's name holds
	 * "residual={form: pre}"), without a final full stop */
	size_t length = strlen(caption);
	int depth = 0;
	for (const char *stop = caption; *stop; stop++) {
		if (strchr("({[", *stop))
			depth++;
		else if (strchr(")}]", *stop) && depth > 0)
			depth--;
		else if (!depth && (*stop == '.' || *stop == ':') && (stop[1] == ' ' || !stop[1])) {
			length = (size_t)(stop - caption);
			break;
		}
	}
	char *sentence = xmalloc(length + 1);
	memcpy(sentence, caption, length);
	sentence[length] = '\0';
	strbuf_printf(&report->contents_html, "<li><a href=\"#%s\">", stem);
	report_html_text(&report->contents_html, sentence);
	strbuf_puts(&report->contents_html, "</a></li>\n");
	free(sentence);
	strbuf_printf(h, "<figure id=\"%s\">", stem);
	if (report->options->format == FORMAT_PDF)
		strbuf_printf(h, "<object data=\"%s.pdf\" type=\"application/pdf\" width=\"100%%\" "
				 "height=\"480\"><a href=\"%s.pdf\">%s.pdf</a></object>",
			      stem, stem, stem);
	else
		strbuf_printf(h, "<img src=\"%s.%s\" alt=\"%s\">", stem, extension, stem);
	strbuf_puts(h, "<figcaption>");
	report_html_text(h, caption);
	strbuf_printf(h, " <a href=\"%s.gp\">%s.gp</a></figcaption></figure>\n", stem, stem);
}

int report_write_index(struct report *report, bool rendered)
{
	struct strbuf html;
	strbuf_init(&html);
	char when[64];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	strbuf_puts(&html,
		    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<title>gtrack report</title>\n<style>\n"
		    "body{font-family:sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;"
		    "color:#222}\n"
		    "table{border-collapse:collapse;font-size:90%}\n"
		    "th,td{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:right}\n"
		    "th:nth-child(2),td:nth-child(2){text-align:left}\n"
		    "figure{margin:1.5em 0}img{max-width:100%}\n"
		    "figcaption{font-size:90%;color:#444;max-width:70em}\n"
		    "nav ul{font-size:90%;margin:.2em 0}\n"
		    ".status-diverged,.status-killed,.status-failed,.status-crashed{color:#b00}\n"
		    "</style>\n</head>\n<body>\n<h1>gtrack report</h1>\n");
	strbuf_puts(&html, "<p>Database <code>");
	report_html_text(&html, report->options->db_path);
	strbuf_printf(&html, "</code>, %d run%s, written %s by gtrack %s.", report->run_count,
		      report->run_count == 1 ? "" : "s", when, GTRACK_VERSION);
	if (!rendered)
		strbuf_puts(&html, " The figures were not rendered: run <code>gnuplot</code> on "
				   "each <code>.gp</code> file in this folder.");
	strbuf_puts(&html, " Ratios are layer 0's weight_grad_norm over the output layer's: the "
			   "fraction of the gradient that reaches the first layer.</p>\n");

	strbuf_printf(&html, "<nav>\n<h2>Contents</h2>\n<ul>\n<li><a href=\"#runs\">Runs</a></li>\n"
			    "%s</ul>\n</nav>\n", report->contents_html.text);
	strbuf_puts(&html, "<h2 id=\"runs\">Runs</h2>\n<table>\n<tr><th>id</th><th>name</th>"
			   "<th>seed</th><th>activation</th><th>depth</th><th>width</th><th>init</th>"
			   "<th>residual</th><th>lr</th><th>overrides</th><th>status</th>"
			   "<th>final loss</th><th>ratio at step 0</th><th>ratio at the end</th></tr>\n");
	for (int r = 0; r < report->run_count; r++) {
		const struct report_run *run = &report->runs[r];
		char loss[32], first[32], last[32];
		const char *gain = value_of(report, run, "init_gain");
		/* the id links to the run's heatmap when it has one */
		char heatmap[64];
		snprintf(heatmap, sizeof heatmap, "heatmap-run%lld", run->id);
		bool has_heatmap = false;
		for (int i = 0; i < report->script_count && !has_heatmap; i++)
			has_heatmap = !strncmp(report->scripts[i], heatmap, strlen(heatmap)) &&
				      !strcmp(report->scripts[i] + strlen(heatmap), ".gp");
		if (has_heatmap)
			strbuf_printf(&html, "<tr id=\"run-%lld\"><td><a href=\"#%s\">%lld</a></td>",
				      run->id, heatmap, run->id);
		else
			strbuf_printf(&html, "<tr id=\"run-%lld\"><td>%lld</td>", run->id, run->id);
		table_cell(&html, NULL, run->name);
		strbuf_printf(&html, "<td>%lld</td>", run->seed);
		table_cell(&html, NULL, value_of(report, run, "activation"));
		strbuf_printf(&html, "<td>%d</td>", run->depth);
		table_cell(&html, NULL, value_of(report, run, "width"));
		struct strbuf cell;
		strbuf_init(&cell);
		strbuf_puts(&cell, value_of(report, run, "init"));
		if (strcmp(gain, "1.0"))
			strbuf_printf(&cell, " \u00d7 %s", gain);
		table_cell(&html, NULL, cell.text);
		strbuf_reset(&cell);
		const char *residual = value_of(report, run, "residual");
		if (strcmp(residual, "0")) {
			report_setup_name(report, run, &cell);
			/* a trained alpha's start value is in the setup's name */
			bool learned = !strcmp(value_of(report, run, "residual_learn_alpha"), "1");
			if (!strcmp(cell.text, "residual"))
				strbuf_reset(&cell);
			if (!learned)
				strbuf_printf(&cell, "%s\u03b1 = %s", cell.length ? ", " : "",
					      value_of(report, run, "residual_alpha"));
		} else {
			strbuf_puts(&cell, "no");
		}
		table_cell(&html, NULL, cell.text);
		strbuf_free(&cell);
		table_cell(&html, NULL, value_of(report, run, "lr"));
		table_cell(&html, NULL, run->overrides);
		table_cell(&html, run->status, run->status);
		strbuf_printf(&html, "<td>%s</td><td>%s</td><td>%s</td></tr>\n",
			      report_number(loss, sizeof loss, run->final_loss),
			      report_number(first, sizeof first, run->ratio_first),
			      report_number(last, sizeof last, run->ratio_later));
	}
	strbuf_puts(&html, "</table>\n");
	strbuf_puts(&html, report->figures_html.text);
	strbuf_puts(&html, "</body>\n</html>\n");
	int result = report_claim(report, "index.html") ||
		     file_write_text(report->options->out_dir, "index.html", html.text, 0644);
	strbuf_free(&html);
	return result;
}
