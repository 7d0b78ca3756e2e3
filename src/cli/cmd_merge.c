/* gtrack merge SHARD.db... -o ALL.db: gather shard databases (one per cluster task) into
 * one, idempotently. */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "db/db.h"
#include "db/merge.h"
#include "util/error.h"

const char cmd_merge_usage[] =
	"usage: gtrack merge SHARD.db... [-o ALL.db]\n"
	"\n"
	"Copies every shard's runs (with their layers, steps and layer_stats) and sweeps into\n"
	"ALL.db, created if needed. Run ids are renumbered; sweeps are matched by their hash,\n"
	"so the runs of one sweep stay together; a run already present (the same run, or a\n"
	"finished run with the same spec_hash and seed) is kept once. Merging the same shard\n"
	"twice changes nothing. A run still running in a shard is copied as it is so far;\n"
	"merging again after it ended replaces that copy. Each shard is merged in one\n"
	"transaction and only read.\n"
	"\n"
	"  -o, --out PATH   the merged database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  -h, --help       this help\n"
	"\n"
	"Exit status: 0 merged, 2 bad option, 4 a shard or the output is missing, not a\n"
	"gtrack database, newer or unreadable (nothing is written then).\n";

int cmd_merge(int argc, char **argv)
{
	static const struct option options[] = {
		{"out", required_argument, NULL, 'o'},
		{"db", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL;
	int option;
	optind = 0;
	while ((option = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (option) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(cmd_merge_usage, stdout);
			return finish_output(EXIT_OK);
		default:
			return option_error("merge", argv, "o:h");
		}
	}
	if (optind >= argc)
		return usage_error("merge", "expected at least one SHARD database");
	const char *path = db_path(out);
	/* every shard is checked before the output is created or written, so a bad one
	 * leaves no new empty database and no half-done merge */
	bool shards_ok = true;
	for (int i = optind; i < argc; i++)
		if (db_check_shard(argv[i]))
			shards_ok = false;
	if (!shards_ok)
		return finish_output(EXIT_DATABASE);
	sqlite3 *db = NULL;
	if (db_open(&db, path, DB_CREATE))
		return EXIT_DATABASE;
	char target[PATH_MAX], shard[PATH_MAX];
	if (!realpath(path, target))
		target[0] = '\0';
	int code = EXIT_OK, added = 0, updated = 0, skipped = 0;
	for (int i = optind; i < argc; i++) {
		if (realpath(argv[i], shard) && !strcmp(shard, target)) {
			error("'%s' is the database being merged into", argv[i]);
			code = EXIT_USAGE;
			continue;
		}
		struct merge_counts counts;
		if (db_merge_shard(db, argv[i], &counts)) {
			code = EXIT_DATABASE;
			continue;
		}
		printf("%s: %d run%s added, %d already present", argv[i], counts.runs_added,
		       counts.runs_added == 1 ? "" : "s", counts.runs_skipped);
		if (counts.runs_updated)
			printf(", %d updated (copied earlier while running)", counts.runs_updated);
		printf("\n");
		if (counts.runs_running)
			printf("  %d run%s still running there: merge again once %s ended to "
			       "complete %s\n", counts.runs_running, counts.runs_running == 1 ? " is" : "s are",
			       counts.runs_running == 1 ? "it has" : "they have",
			       counts.runs_running == 1 ? "it" : "them");
		added += counts.runs_added;
		updated += counts.runs_updated;
		skipped += counts.runs_skipped;
	}
	if (argc - optind > 1) {
		printf("merged %d shards into %s: %d runs added, %d already present", argc - optind,
		       path, added, skipped);
		if (updated)
			printf(", %d updated", updated);
		printf("\n");
	}
	if (db_refresh_statistics(db) && !code)
		code = EXIT_DATABASE;
	db_close(db);
	return finish_output(code);
}
