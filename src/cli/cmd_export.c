/* gtrack export RUN: a run's checkpointed parameters as safetensors (PyTorch's names and
 * shapes), the exact batches it trained on, or its layer_stats as CSV. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "data/dataset.h"
#include "db/db.h"
#include "train/batches.h"
#include "util/error.h"
#include "util/printable.h"
#include "util/safetensors.h"
#include "util/strbuf.h"

const char cmd_export_usage[] =
	"usage: gtrack export RUN [--step N] -o FILE.safetensors [--db PATH]\n"
	"       gtrack export RUN --batches K -o FILE.safetensors [--db PATH]\n"
	"       gtrack export RUN --format csv [-o FILE.csv] [--db PATH]\n"
	"\n"
	"RUN is a run id or name. By default writes the parameters stored at step N (default:\n"
	"the latest checkpoint; runs store them when the spec sets log.checkpoints) as\n"
	"safetensors with PyTorch's conventions: layers.L.weight of shape [fan_out, fan_in] and\n"
	"layers.L.bias, in the run's dtype, as torch.nn.Linear keeps them, norms.L.weight and\n"
	"norms.L.bias with model.norm, blocks.B.alpha (a scalar) with residual.learn_alpha\n"
	"(Debian's torch 1.13 cannot read safetensors: scripts/load_safetensors.py in the\n"
	"source tree reads them).\n"
	"\n"
	"  --step N        the checkpoint to export\n"
	"  --batches K     instead, the first K training batches, regenerated from the run's\n"
	"                  spec and seed: batch.k.inputs [B, features] and batch.k.labels [B]\n"
	"                  (or batch.k.targets [B, outputs] for mse), as the trainer saw them;\n"
	"                  refused when the data file's contents changed since the run\n"
	"  --format csv    instead, the run's layer_stats (every column) with each step's\n"
	"                  loss, as CSV\n"
	"  -o, --out FILE  output file (CSV goes to standard output without it)\n"
	"  --db PATH       database (default: $GTRACK_DB, else ./gtrack.db)\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 written, 2 bad option, 4 database problem, 6 no such run or\n"
	"checkpoint, 1 nothing could be written (the message says why).\n";

/* What export needs of a run's row (caller frees with run_fields_free). */
struct run_fields {
	char *dtype, *resolved_spec;
	char *data_hash; /* NULL for generated data and runs from before schema 8 */
};

static char *column_copy(sqlite3_stmt *s, int column)
{
	const unsigned char *text = sqlite3_column_text(s, column);
	return text ? xstrdup((const char *)text) : NULL;
}

/* -1 with a message on error. */
static int run_fields(sqlite3 *db, long long id, struct run_fields *fields)
{
	sqlite3_stmt *s = NULL;
	int result = -1;
	if (sqlite3_prepare_v2(db, "SELECT dtype, resolved_spec, data_hash FROM runs WHERE id = ?",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			fields->dtype = column_copy(s, 0);
			fields->resolved_spec = column_copy(s, 1);
			fields->data_hash = column_copy(s, 2);
			result = 0;
		}
	}
	if (result)
		error("database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return result;
}

static void run_fields_free(struct run_fields *fields)
{
	free(fields->dtype);
	free(fields->resolved_spec);
	free(fields->data_hash);
}

static int export_weights(sqlite3 *db, long long run, const char *dtype, long long step,
			  const char *path)
{
	sqlite3_stmt *s = NULL;
	int code = EXIT_DATABASE;
	if (step < 0) {
		if (sqlite3_prepare_v2(db, "SELECT max(step) FROM checkpoints WHERE run_id = ?", -1, &s,
				       NULL) != SQLITE_OK)
			return error("database: %s", sqlite3_errmsg(db)), EXIT_DATABASE;
		sqlite3_bind_int64(s, 1, run);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
			step = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		if (step < 0)
			return error("run %lld has no checkpoints; set log.checkpoints in its spec, "
				     "e.g. --set 'log.checkpoints=[0, final]'", run),
			       EXIT_NOT_FOUND;
	}
	if (sqlite3_prepare_v2(db, "SELECT c.layer, l.fan_in, l.fan_out, c.weight, c.bias,"
				   " c.norm_weight, c.norm_bias, c.alpha, l.block FROM checkpoints c JOIN layers l"
				   " ON l.run_id = c.run_id AND"
				   " l.layer = c.layer WHERE c.run_id = ? AND c.step = ?"
				   " ORDER BY c.layer", -1, &s, NULL) != SQLITE_OK)
		return error("database: %s", sqlite3_errmsg(db)), EXIT_DATABASE;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, step);
	enum { MAX_TENSORS = 4 * 1024 };
	static struct tensor tensors[MAX_TENSORS];
	static char names[MAX_TENSORS][40];
	void **copies = xcalloc(MAX_TENSORS, sizeof *copies);
	int count = 0, layers = 0;
	/* layers.L.{weight,bias}: torch.nn.Linear; norms.L.{weight,bias}: LayerNorm or
	 * BatchNorm1d scale and shift; blocks.B.alpha: a trained residual scale, a scalar */
	static const char *const parts[] = {"layers.%d.weight", "layers.%d.bias",
					    "norms.%d.weight", "norms.%d.bias", "blocks.%d.alpha"};
	while (sqlite3_step(s) == SQLITE_ROW && count + 5 <= MAX_TENSORS) {
		int layer = sqlite3_column_int(s, 0);
		layers++;
		for (int part = 0; part < 5; part++) {
			if (sqlite3_column_type(s, 3 + part) == SQLITE_NULL)
				continue;
			struct tensor *t = &tensors[count];
			snprintf(names[count], sizeof names[count], parts[part],
				 part == 4 ? sqlite3_column_int(s, 8) : layer);
			t->name = names[count];
			t->dtype = !strcmp(dtype, "float64") ? "F64" : "F32";
			t->rank = part == 0 ? 2 : part == 4 ? 0 : 1;
			t->shape[0] = sqlite3_column_int64(s, 2);
			t->shape[1] = sqlite3_column_int64(s, 1);
			t->bytes = (size_t)sqlite3_column_bytes(s, 3 + part);
			copies[count] = xmalloc(t->bytes);
			memcpy(copies[count], sqlite3_column_blob(s, 3 + part), t->bytes);
			t->data = copies[count];
			count++;
		}
	}
	sqlite3_finalize(s);
	if (count == 0)
		error("run %lld has no checkpoint at step %lld", run, step), code = EXIT_NOT_FOUND;
	else if (!safetensors_write(path, tensors, count)) {
		/* dtype is the database's text, which can hold anything */
		struct shown shown = {0};
		printf("%s: run %lld, step %lld, %d layers (%s)\n", path, run, step, layers,
		       shown_text(&shown, dtype));
		shown_free(&shown);
		code = EXIT_OK;
	} else
		code = EXIT_RUN_FAILED;
	for (int i = 0; i < count; i++)
		free(copies[i]);
	free(copies);
	return code;
}

static int export_batches(long long run, const struct run_fields *fields, long long batches,
			  const char *path)
{
	char label[64];
	snprintf(label, sizeof label, "run %lld's spec", run);
	struct spec spec;
	struct dataset data;
	if (!fields->resolved_spec || spec_load_text(&spec, fields->resolved_spec, label, NULL, 0))
		return fields->resolved_spec ? EXIT_DATABASE
					     : (error("run %lld has no resolved spec", run),
						EXIT_DATABASE);
	if (dataset_generate(&data, &spec)) {
		spec_free(&spec);
		return EXIT_RUN_FAILED;
	}
	/* same sizes but other contents would export batches the run never saw */
	if (fields->data_hash && strcmp(fields->data_hash, spec.data_hash)) {
		struct shown shown = {0};
		error("run %lld trained on data with hash %s, but its data file now holds %s: "
		      "the batches would not be the ones it saw", run,
		      shown_text(&shown, fields->data_hash), spec.data_hash);
		shown_free(&shown);
		dataset_free(&data);
		spec_free(&spec);
		return EXIT_RUN_FAILED;
	}
	/* the resolved spec of a file-based run already holds the file's sizes */
	bool f64 = spec.train.dtype == DTYPE_FLOAT64;
	size_t real_size = f64 ? 8 : 4, b = (size_t)spec.train.batch_size;
	size_t features = (size_t)data.features, outputs = (size_t)data.outputs;
	int count = (int)batches * 2;
	struct tensor *tensors = xcalloc((size_t)count, sizeof *tensors);
	char (*names)[48] = xcalloc((size_t)count, sizeof *names);
	struct batch_order order;
	batch_order_init(&order, &spec, data.train_count);
	for (long long k = 0; k < batches; k++) {
		const uint32_t *rows = batch_order_next(&order);
		struct tensor *inputs = &tensors[2 * k], *targets = &tensors[2 * k + 1];
		char *x = xmalloc(real_size * b * features);
		for (size_t i = 0; i < b * features; i++) {
			double value = data.inputs[(size_t)rows[i / features] * features + i % features];
			if (f64)
				((double *)x)[i] = value;
			else
				((float *)x)[i] = (float)value; /* as network_load_batch rounds */
		}
		snprintf(names[2 * k], sizeof names[0], "batch.%lld.inputs", k);
		*inputs = (struct tensor){names[2 * k], f64 ? "F64" : "F32", {(int64_t)b, (int64_t)features},
					  2, x, real_size * b * features};
		if (spec_uses_labels(&spec)) {
			int64_t *labels = xmalloc(sizeof(int64_t) * b);
			for (size_t i = 0; i < b; i++)
				labels[i] = data.labels[rows[i]];
			snprintf(names[2 * k + 1], sizeof names[0], "batch.%lld.labels", k);
			*targets = (struct tensor){names[2 * k + 1], "I64", {(int64_t)b, 0}, 1, labels,
						   sizeof(int64_t) * b};
		} else {
			char *y = xmalloc(real_size * b * outputs);
			for (size_t i = 0; i < b * outputs; i++) {
				double value = data.targets[(size_t)rows[i / outputs] * outputs + i % outputs];
				if (f64)
					((double *)y)[i] = value;
				else
					((float *)y)[i] = (float)value;
			}
			snprintf(names[2 * k + 1], sizeof names[0], "batch.%lld.targets", k);
			*targets = (struct tensor){names[2 * k + 1], f64 ? "F64" : "F32",
						   {(int64_t)b, (int64_t)outputs}, 2, y,
						   real_size * b * outputs};
		}
	}
	int code = safetensors_write(path, tensors, count) ? EXIT_RUN_FAILED : EXIT_OK;
	if (!code)
		printf("%s: run %lld, %lld batches of %zu examples\n", path, run, batches, b);
	for (int i = 0; i < count; i++)
		free((void *)tensors[i].data);
	free(tensors);
	free(names);
	batch_order_free(&order);
	dataset_free(&data);
	spec_free(&spec);
	return code;
}

/* A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes
 * doubled. Text comes from a database that may be from elsewhere. */
static void csv_text(struct strbuf *out, const char *text)
{
	if (!strpbrk(text, ",\"\r\n")) {
		strbuf_puts(out, text);
		return;
	}
	strbuf_puts(out, "\"");
	for (const char *c = text; *c; c++)
		strbuf_printf(out, *c == '"' ? "\"\"" : "%c", *c);
	strbuf_puts(out, "\"");
}

/* The run's layer_stats rows, every column the table has (the diagnostics and the
 * clipped norms too, and columns added later), with each step's loss. */
static int export_csv(sqlite3 *db, long long run, const char *path)
{
	struct strbuf sql, cell;
	strbuf_init(&sql), strbuf_init(&cell);
	strbuf_puts(&sql, "SELECT ");
	sqlite3_stmt *s = NULL;
	int code = EXIT_DATABASE;
	if (db_column_list(db, "layer_stats", NULL, "l.", &sql))
		goto done;
	strbuf_puts(&sql, ", s.loss FROM layer_stats l JOIN steps s USING (run_id, step)"
			  " WHERE l.run_id = ? ORDER BY l.step, l.layer");
	if (sqlite3_prepare_v2(db, sql.text, -1, &s, NULL) != SQLITE_OK) {
		error("database: %s", sqlite3_errmsg(db));
		goto done;
	}
	sqlite3_bind_int64(s, 1, run);
	FILE *out = path ? fopen(path, "w") : stdout;
	code = EXIT_RUN_FAILED;
	if (!out) {
		error("cannot write '%s'", path);
		goto done;
	}
	int columns = sqlite3_column_count(s);
	for (int c = 0; c < columns; c++) { /* the header: the columns' names */
		strbuf_reset(&cell);
		csv_text(&cell, sqlite3_column_name(s, c));
		fprintf(out, "%s%s", c ? "," : "", cell.text);
	}
	fputc('\n', out);
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (int c = 0; c < columns; c++) {
			if (c)
				fputc(',', out);
			/* an empty cell is NaN for spreadsheets and pandas */
			switch (sqlite3_column_type(s, c)) {
			case SQLITE_INTEGER:
				fprintf(out, "%lld", (long long)sqlite3_column_int64(s, c));
				break;
			case SQLITE_FLOAT:
				fprintf(out, "%.17g", sqlite3_column_double(s, c));
				break;
			case SQLITE_NULL:
				break;
			default:
				strbuf_reset(&cell);
				csv_text(&cell, (const char *)sqlite3_column_text(s, c));
				fputs(cell.text, out);
			}
		}
		fputc('\n', out);
	}
	code = EXIT_OK;
	if (path && fclose(out)) {
		error("cannot write '%s'", path);
		code = EXIT_RUN_FAILED;
	}
done:
	sqlite3_finalize(s);
	strbuf_free(&sql), strbuf_free(&cell);
	return code;
}

int cmd_export(int argc, char **argv)
{
	static const struct option options[] = {
		{"step", required_argument, NULL, 's'},    {"batches", required_argument, NULL, 'b'},
		{"format", required_argument, NULL, 'f'},  {"out", required_argument, NULL, 'o'},
		{"db", required_argument, NULL, 'd'},      {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long long step = -1, batches = 0;
	const char *out = NULL, *db_option = NULL;
	bool csv = false;
	int option;
	optind = 0;
	while ((option = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		char *end;
		switch (option) {
		case 's':
			step = strtoll(optarg, &end, 10);
			if (*end || !*optarg || step < 0)
				return usage_error("export", "--step expects a step number, got '%s'",
						   optarg);
			break;
		case 'b':
			batches = strtoll(optarg, &end, 10);
			if (*end || !*optarg || batches < 1 || batches > 100000)
				return usage_error("export", "--batches expects 1 to 100000, got '%s'",
						   optarg);
			break;
		case 'f':
			if (strcmp(optarg, "csv") && strcmp(optarg, "safetensors"))
				return usage_error("export", "--format expects safetensors or csv, got "
							     "'%s'", optarg);
			csv = !strcmp(optarg, "csv");
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			db_option = optarg;
			break;
		case 'h':
			fputs(cmd_export_usage, stdout);
			return finish_output(EXIT_OK);
		default:
			return option_error("export", argv, "o:h");
		}
	}
	if (optind != argc - 1)
		return usage_error("export", "expected one RUN (an id or a name)");
	if (!csv && !out)
		return usage_error("export", "expected -o FILE.safetensors");

	sqlite3 *db = NULL;
	if (db_open(&db, db_path(db_option), DB_EXISTING))
		return EXIT_DATABASE;
	struct run_fields fields = {0};
	long long run = db_find_run(db, argv[optind]);
	int code;
	if (run < 0 || (run > 0 && run_fields(db, run, &fields)))
		code = EXIT_DATABASE;
	else if (run == 0)
		code = (error("no run with id or name '%s' (see 'gtrack ls')", argv[optind]),
			EXIT_NOT_FOUND);
	else if (csv)
		code = export_csv(db, run, out);
	else if (batches)
		code = export_batches(run, &fields, batches, out);
	else
		code = export_weights(db, run, fields.dtype ? fields.dtype : "", step, out);
	run_fields_free(&fields);
	db_close(db);
	return finish_output(code);
}
