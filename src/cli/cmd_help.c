/* gtrack help [COMMAND | spec]: the overview, a command's usage, or the spec keys. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "spec/spec.h"
#include "util/strbuf.h"

const char cmd_help_usage[] =
	"usage: gtrack help [COMMAND | spec]\n"
	"\n"
	"Without an argument, lists the commands and exit codes. With a command, shows its\n"
	"usage (the same as 'gtrack COMMAND --help'). 'gtrack help spec' lists every spec key\n"
	"with its type, default and meaning.\n";

static void print_overview(void)
{
	printf("usage: gtrack COMMAND [OPTIONS]\n"
	       "\n"
	       "gtrack trains deep networks from YAML specs and records every layer's gradient\n"
	       "norms at every step in SQLite, to make vanishing and exploding gradients\n"
	       "visible, measurable and reproducible.\n"
	       "\n"
	       "commands:\n");
	for (const struct command *c = commands; c->name; c++)
		printf("  %-8s %s\n", c->name, c->summary);
	printf("\n"
	       "  gtrack help spec     every spec key, its type, default and meaning\n"
	       "  gtrack --version     the version\n"
	       "\n"
	       "database: --db PATH, else $GTRACK_DB, else ./gtrack.db; a writer waits up to\n"
	       "  $GTRACK_BUSY_TIMEOUT seconds (default 60) for another process's transaction\n"
	       "threads:  --threads N, else $OPENBLAS_NUM_THREADS, else $OMP_NUM_THREADS, else\n"
	       "          the cores (shared among the runs of 'gtrack sweep -j N')\n"
	       "\n"
	       "exit codes:\n"
	       "  0    success\n"
	       "  1    a run failed or could not be recorded\n"
	       "  2    usage error\n"
	       "  3    invalid spec or --set\n"
	       "  4    database missing, not gtrack's, from a newer gtrack, or unreadable\n"
	       "  5    a run diverged (non-finite loss or gradient; recorded as 'diverged')\n"
	       "  6    no such run, or no runs match a report's selection\n"
	       "  7    gtrack check: the gradient vanishes or explodes (outside the bounds)\n"
	       "  130  interrupted (the run is recorded as 'killed' with what it logged)\n");
}

int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return usage_error("help", "expected at most one topic");
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(cmd_help_usage, stdout);
		return finish_output(EXIT_OK);
	}
	if (argc < 2) {
		print_overview();
		return finish_output(EXIT_OK);
	}
	if (!strcmp(argv[1], "spec")) {
		struct strbuf reference;
		strbuf_init(&reference);
		spec_describe(&reference);
		printf("Spec keys (YAML; any key can be set with --set KEY.PATH=VALUE):\n\n%s",
		       reference.text);
		strbuf_free(&reference);
		return finish_output(EXIT_OK);
	}
	const struct command *command = command_find(argv[1]);
	if (!command) {
		char hint[96];
		command_hint(argv[1], "spec", hint, sizeof hint);
		return usage_error("help", "no help for '%s'%s; topics are the commands and 'spec'",
				   argv[1], hint);
	}
	fputs(command->usage, stdout);
	return finish_output(EXIT_OK);
}
