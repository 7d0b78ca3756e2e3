/* gtrack report: select runs, write one gnuplot script per figure, render them, and
 * write index.html. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "db/db.h"
#include "report/report.h"
#include "util/error.h"
#include "util/strbuf.h"

const char cmd_report_usage[] =
	"usage: gtrack report [--db PATH] [--runs SELECTION] [--where CONDITION]\n"
	"                     [--compare FIELD[,FIELD...]] [--facet FIELD] [--step N]\n"
	"                     [--relative] [--out DIR] [--format png|svg|pdf]\n"
	"                     [--no-render] [--terminal]\n"
	"\n"
	"Writes one self-contained gnuplot script per figure (data inline) into DIR, renders\n"
	"them with gnuplot, and writes DIR/index.html with a table of contents, the runs and,\n"
	"under each figure, the measured numbers. Figures: gradient-flow profiles\n"
	"(weight_grad_norm and delta_norm against layer, with the fitted factor per layer and\n"
	"the mean-field prediction), a heatmap per run (one colour scale per report), the\n"
	"training loss, evaluations (evals), diagnostics (dead and saturated fractions,\n"
	"update ratio), the layer-0 ratio against depth, residual setups side by side, and\n"
	"trained alpha per block. Seeds are one curve with a band; a figure of more than 8\n"
	"curves is split into panels. DIR/gtrack-manifest.txt lists the files written; the\n"
	"next report into DIR removes those it no longer writes and touches nothing else.\n"
	"A report refuses to replace a file in DIR it did not write, or a link.\n"
	"\n"
	"  --db PATH          database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  --runs SELECTION   ids, ranges and names, e.g. 3,5-9,sigmoid-10 (default: all)\n"
	"  --where CONDITION  SQL condition on runs columns, e.g.\n"
	"                     \"activation IN ('relu','tanh') AND depth >= 10\"; one\n"
	"                     condition that may read other tables, never write, and is\n"
	"                     stopped after 5 s\n"
	"  --compare FIELDS   runs columns that vary within a figure; runs that differ in\n"
	"                     other hyper-parameters go to separate figures (default: every\n"
	"                     column that shapes the network at initialisation; runs that\n"
	"                     differ in training settings, i.e. optimizer, lr, momentum,\n"
	"                     schedule, weight_decay, clip_norm, clip_value, validation,\n"
	"                     steps or log_every, go to separate figures)\n"
	"  --facet FIELD      split each figure into panels (small multiples), one per\n"
	"                     value of FIELD, e.g. activation; by default a figure of more\n"
	"                     than 8 curves is split by the varying field with the fewest\n"
	"                     values that leaves at most 10 curves per panel\n"
	"  --relative         heatmaps of each layer's weight_grad_norm over the output\n"
	"                     layer's at the same step (default: the norm itself); either\n"
	"                     way every heatmap of the report shares one colour scale\n"
	"  --step N           right-hand profiles at step N (default: the last logged step)\n"
	"  --out DIR          output directory (default: report)\n"
	"  --format FORMAT    png (default), svg or pdf\n"
	"  --no-render        write the scripts and index.html only\n"
	"  --terminal         print the main figures as text plots instead, for SSH\n"
	"                     sessions; writes no files\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit status: 0 ok, 2 bad option or --where or a file in DIR the report did not\n"
	"write, 4 database problem, 6 no runs match,\n"
	"1 gnuplot failed.\n";

static int make_directory(const char *path)
{
	char partial[4096];
	snprintf(partial, sizeof partial, "%s", path);
	for (char *slash = partial + 1; *slash; slash++) {
		if (*slash != '/')
			continue;
		*slash = '\0';
		if (mkdir(partial, 0777) && errno != EEXIST)
			return error("cannot create '%s': %s", partial, strerror(errno));
		*slash = '/';
	}
	if (mkdir(partial, 0777) && errno != EEXIST)
		return error("cannot create '%s': %s", partial, strerror(errno));
	return 0;
}

/* --terminal: the scripts go to a temporary directory, are printed as text plots and
 * removed with it, so the command writes no files. */
static int show_in_terminal(struct report *report, struct report_options *options)
{
	const char *temp = getenv("TMPDIR");
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/gtrack-report-XXXXXX", temp && *temp ? temp : "/tmp");
	if (!mkdtemp(dir)) {
		error("cannot create a temporary directory in '%s': %s", temp && *temp ? temp : "/tmp",
		      strerror(errno));
		return EXIT_RUN_FAILED;
	}
	const char *out_dir = options->out_dir;
	options->out_dir = dir;
	int code = report_write_figures(report) || report_show_in_terminal(report)
			   ? EXIT_RUN_FAILED
			   : EXIT_OK;
	for (int i = 0; i < report->script_count; i++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", dir, report->scripts[i]);
		unlink(path);
	}
	rmdir(dir);
	options->out_dir = out_dir;
	return code;
}

int cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
		{"db", required_argument, NULL, 'd'},     {"runs", required_argument, NULL, 'r'},
		{"where", required_argument, NULL, 'w'},  {"compare", required_argument, NULL, 'c'},
		{"step", required_argument, NULL, 's'},   {"out", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'}, {"no-render", no_argument, NULL, 'n'},
		{"terminal", no_argument, NULL, 't'},     {"help", no_argument, NULL, 'h'},
		{"facet", required_argument, NULL, 'F'},  {"relative", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct report_options o = {.step = -1, .out_dir = "report", .format = FORMAT_PNG,
				   .render = true};
	const char *db_option = NULL;
	int option;
	optind = 0;
	while ((option = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		char *end;
		switch (option) {
		case 'd':
			db_option = optarg;
			break;
		case 'r':
			o.runs = optarg;
			break;
		case 'w':
			o.where = optarg;
			break;
		case 'c':
			o.compare = optarg;
			break;
		case 'R':
			o.relative = true;
			break;
		case 'F':
			o.facet = optarg;
			break;
		case 's':
			errno = 0;
			o.step = strtoll(optarg, &end, 10);
			if (*end || o.step < 0 || !*optarg || errno == ERANGE)
				return usage_error("report", "--step expects a step number, got '%s'",
						   optarg);
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "png"))
				o.format = FORMAT_PNG;
			else if (!strcmp(optarg, "svg"))
				o.format = FORMAT_SVG;
			else if (!strcmp(optarg, "pdf"))
				o.format = FORMAT_PDF;
			else
				return usage_error("report", "--format expects png, svg or pdf, got '%s'",
						   optarg);
			break;
		case 'n':
			o.render = false;
			break;
		case 't':
			o.terminal = true;
			break;
		case 'h':
			fputs(cmd_report_usage, stdout);
			return finish_output(EXIT_OK);
		default:
			return option_error("report", argv, "o:h");
		}
	}
	if (optind < argc)
		return usage_error("report", "unexpected argument '%s'", argv[optind]);
	/* "r/" and "r" are one directory; messages and paths join with one slash */
	char *out_dir = xstrdup(o.out_dir);
	for (size_t length = strlen(out_dir); length > 1 && out_dir[length - 1] == '/';)
		out_dir[--length] = '\0';
	o.out_dir = out_dir;
	o.db_path = db_path(db_option);

	struct report report = {.options = &o};
	strbuf_init(&report.figures_html);
	strbuf_init(&report.contents_html);
	long long *ids = NULL;
	int count = 0, code = EXIT_OK;
	bool rendered = false;
	if (db_open(&report.db, o.db_path, DB_EXISTING)) {
		code = EXIT_DATABASE;
		goto done;
	}
	int selected = report_select(report.db, o.runs, o.where, &ids, &count);
	if (selected) {
		code = selected > 0 ? EXIT_NOT_FOUND : EXIT_USAGE;
		goto done;
	}
	int loaded = report_load(&report, ids, count);
	if (loaded) {
		code = loaded > 0 ? EXIT_USAGE : EXIT_DATABASE;
		goto done;
	}
	signal(SIGPIPE, SIG_IGN); /* a gnuplot that exits early must not take gtrack along */
	if (o.terminal) {
		code = show_in_terminal(&report, &o);
		goto done;
	}
	if (make_directory(o.out_dir) || report_open_manifest(&report) ||
	    report_write_figures(&report)) {
		code = report.refused ? EXIT_USAGE : EXIT_RUN_FAILED;
		goto done;
	}
	if (o.render && report_render(&report, &rendered))
		code = EXIT_RUN_FAILED;
	if (!report.refused &&
	    (report_write_index(&report, rendered) || report_write_manifest(&report, rendered)))
		code = EXIT_RUN_FAILED;
	if (report.refused)
		code = EXIT_USAGE;
	if (!code || code == EXIT_RUN_FAILED)
		printf("report: %d run%s, %d figures%s in %s/ (open %s/index.html)\n",
		       report.run_count, report.run_count == 1 ? "" : "s", report.script_count,
		       rendered ? " rendered" : "", o.out_dir, o.out_dir);
done:
	free(out_dir);
	free(report.previous_manifest);
	free(ids);
	report_free(&report);
	db_close(report.db);
	return finish_output(code);
}
