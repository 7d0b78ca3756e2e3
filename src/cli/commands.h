/* The subcommands and the exit codes they return. Each subcommand lives in its own
 * cli/cmd_*.c file and is listed once in main.c's table. */
#ifndef GT_COMMANDS_H
#define GT_COMMANDS_H

#include <stdio.h>

/* Exit codes, documented in `gtrack help`. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_RUN_FAILED = 1, /* a run could not be completed or recorded */
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_BAD_SPEC = 3,   /* a spec (or --set) is malformed or invalid */
	EXIT_DATABASE = 4,   /* the database is missing, foreign, newer or unreadable */
	EXIT_DIVERGED = 5,   /* a run diverged: non-finite loss or gradient */
	EXIT_NOT_FOUND = 6,  /* no run matches */
	EXIT_UNHEALTHY = 7,  /* gtrack check: the gradient vanishes or explodes */
	EXIT_INTERRUPTED = 130, /* SIGINT, SIGTERM or SIGHUP: the run is recorded as killed */
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage; /* full help, printed by -h and `gtrack help NAME` */
};

int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_help(int argc, char **argv);

extern const char cmd_run_usage[];
extern const char cmd_ls_usage[];
extern const char cmd_show_usage[];
extern const char cmd_report_usage[];
extern const char cmd_sweep_usage[];
extern const char cmd_merge_usage[];
extern const char cmd_export_usage[];
extern const char cmd_watch_usage[];
extern const char cmd_predict_usage[];
extern const char cmd_check_usage[];
extern const char cmd_help_usage[];

/* The table in main.c, ending with {NULL}. */
extern const struct command commands[];
const struct command *command_find(const char *name);
/* " (did you mean 'run'?)" for a mistyped command name (or `also`, when not NULL),
 * else "". */
void command_hint(const char *typed, const char *also, char *hint, size_t size);

/* Shared by the subcommands (cli_common.c). */

/* Prints "gtrack NAME: ..." usage error and a hint, returns EXIT_USAGE. */
int usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* After getopt_long returned '?': says which word was wrong, "option '--set' needs a
 * value" or "unknown option '--bogus'" (short_options: the optstring, to tell a short
 * option missing its value from an unknown one), and returns EXIT_USAGE. getopt's own
 * message is off (opterr = 0 in main). */
int option_error(const char *command, char *const *argv, const char *short_options);
/* Parses the value of --threads into *threads: 0, or the usage error's EXIT_USAGE
 * with the value shown escaped. */
int threads_option(const char *command, const char *text, int *threads);
/* The --threads lines of a subcommand's --help. */
#define THREADS_OPTION_HELP                                                                \
	"  --threads N        threads per run (default: $OPENBLAS_NUM_THREADS, else\n"        \
	"                     $OMP_NUM_THREADS, else the cores, shared among parallel\n"      \
	"                     runs); 1 and 2 record the same numbers, past 2 or with\n"     \
	"                     batchnorm they agree to rounding; each run stores its\n"     \
	"                     count in runs.threads (README: Threads)\n"
/* Flushes stdout and reports a write error (e.g. a closed pipe) as a failure. */
int finish_output(int code);

#include "util/units.h" /* format_norm, for tables */

#endif
