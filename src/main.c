/* gtrack: the entry point and the table of subcommands. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/error.h"
#include "util/suggest.h"

const struct command commands[] = {
	{"run", cmd_run, "train specs and record every layer's gradient norms", cmd_run_usage},
	{"ls", cmd_ls, "list the runs in the database", cmd_ls_usage},
	{"show", cmd_show, "show a run: spec, status and gradient-norm profile", cmd_show_usage},
	{"sweep", cmd_sweep, "run a grid of specs in parallel, or emit it for Slurm", cmd_sweep_usage},
	{"merge", cmd_merge, "merge shard databases into one", cmd_merge_usage},
	{"export", cmd_export, "write checkpoints as safetensors, batches, or CSV", cmd_export_usage},
	{"watch", cmd_watch, "show a run while it trains: status, loss and every layer's norms",
	 cmd_watch_usage},
	{"predict", cmd_predict, "print the mean-field prediction per layer, without training",
	 cmd_predict_usage},
	{"check", cmd_check, "gate for CI: does the gradient vanish or explode at initialisation?",
	 cmd_check_usage},
	{"report", cmd_report, "write gnuplot figures and index.html comparing runs",
	 cmd_report_usage},
	{"help", cmd_help, "show help for gtrack, a command, or the spec keys", cmd_help_usage},
	{NULL, NULL, NULL, NULL},
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void command_hint(const char *typed, const char *also, char *hint, size_t size)
{
	struct suggestion suggestion;
	suggestion_init(&suggestion, typed);
	for (const struct command *c = commands; c->name; c++)
		suggestion_consider(&suggestion, c->name);
	suggestion_consider(&suggestion, also);
	suggestion_hint(&suggestion, hint, size);
	suggestion_free(&suggestion);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		char *help[] = {"help", NULL};
		cmd_help(1, help);
		return EXIT_USAGE;
	}
	opterr = 0; /* the subcommands say which option was wrong (option_error) */
	const char *name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("gtrack %s\n", GTRACK_VERSION);
		return finish_output(EXIT_OK);
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		return cmd_help(1, (char *[]){"help", NULL});

	const struct command *command = command_find(name);
	if (!command) {
		char hint[96];
		command_hint(name, NULL, hint, sizeof hint);
		error("'%s' is not a command%s; see 'gtrack help'", name, hint);
		return EXIT_USAGE;
	}
	return command->run(argc - 1, argv + 1);
}
