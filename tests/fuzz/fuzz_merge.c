/* Fuzzes merge: the input is a shard database file, merged into a fresh gtrack database
 * as `gtrack merge` does. The fresh database is made once with db_open and copied in
 * memory for each input (sqlite3_deserialize), so each input costs a merge, not a schema.
 * Whatever the shard holds, a failed merge leaves the target unchanged and a successful
 * one adds the runs it counts. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "db/merge.h"
#include "fuzz_support.h"
#include "util/error.h"
#include "util/strbuf.h"

static unsigned char *fresh_image;
static sqlite3_int64 fresh_size;

static void make_fresh_image(void)
{
	sqlite3 *db;
	if (db_open(&db, fuzz_path("fresh.db"), DB_CREATE)) {
		fprintf(stderr, "fuzz_merge: %s\n", error_last());
		abort();
	}
	unsigned char *image = sqlite3_serialize(db, "main", &fresh_size, 0);
	if (!image)
		abort();
	fresh_image = xmalloc((size_t)fresh_size);
	memcpy(fresh_image, image, (size_t)fresh_size);
	/* db_open chose WAL, which an in-memory copy cannot use: bytes 18 and 19 of the
	 * header say 2 for WAL, 1 for a rollback journal */
	fresh_image[18] = fresh_image[19] = 1;
	sqlite3_free(image);
	db_close(db);
}

static long long count_rows(sqlite3 *db, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM main.%s", table);
	sqlite3_stmt *statement;
	if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK ||
	    sqlite3_step(statement) != SQLITE_ROW) {
		fprintf(stderr, "fuzz_merge: %s: %s\n", sql, sqlite3_errmsg(db));
		abort();
	}
	long long count = sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char shard_path[512];
	if (!fresh_image) {
		make_fresh_image();
		snprintf(shard_path, sizeof shard_path, "%s", fuzz_path("shard.db"));
	}
	/* a shard that says it is in WAL mode leaves -wal and -shm files behind */
	static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
	for (int i = 0; i < 3; i++) {
		char path[600];
		snprintf(path, sizeof path, "%s%s", shard_path, suffixes[i]);
		unlink(path);
	}
	fuzz_write_file(shard_path, data, size);

	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	unsigned char *image = sqlite3_malloc64((sqlite3_uint64)fresh_size);
	memcpy(image, fresh_image, (size_t)fresh_size);
	if (sqlite3_deserialize(db, "main", image, fresh_size, fresh_size,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
	    SQLITE_OK)
		abort();
	struct merge_counts counts;
	int result = db_merge_shard(db, shard_path, &counts);
	static const char *const tables[] = {"sweeps", "runs", "layers", "steps", "layer_stats"};
	if (result) {
		for (int t = 0; t < 5; t++)
			if (count_rows(db, tables[t]) != 0)
				abort(); /* a failed merge changed the target */
	} else if (count_rows(db, "runs") != counts.runs_added) {
		abort();
	}
	sqlite3_close(db);
	return 0;
}
