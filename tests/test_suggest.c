/* "Did you mean": the edit distance, when a candidate is close enough to suggest, and
 * the hints gtrack prints for a mistyped command, help topic and run name. */
#include "support/test_support.h"

#include <stdlib.h>
#include <string.h>

#include "util/suggest.h"

static void edit_distance_counts_edits(void **state)
{
	(void)state;
	assert_int_equal(edit_distance("run", "run"), 0);
	assert_int_equal(edit_distance("rn", "run"), 1);      /* a deletion */
	assert_int_equal(edit_distance("runn", "run"), 1);    /* an insertion */
	assert_int_equal(edit_distance("rum", "run"), 1);     /* a substitution */
	assert_int_equal(edit_distance("reprot", "report"), 2); /* a swap is two */
	assert_int_equal(edit_distance("", "show"), 4);
	char long_text[70];
	memset(long_text, 'a', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	assert_int_equal(edit_distance(long_text, "a"), 64);
}

static void suggest(const char *typed, const char *const *candidates, char *hint, size_t size)
{
	struct suggestion suggestion;
	suggestion_init(&suggestion, typed);
	for (; *candidates; candidates++)
		suggestion_consider(&suggestion, *candidates);
	suggestion_hint(&suggestion, hint, size);
	suggestion_free(&suggestion);
}

static void only_close_candidates_are_suggested(void **state)
{
	(void)state;
	static const char *const commands[] = {"run", "ls", "show", "report", "export", NULL};
	char hint[128];
	suggest("rn", commands, hint, sizeof hint);
	assert_string_equal(hint, " (did you mean 'run'?)");
	suggest("reprot", commands, hint, sizeof hint);
	assert_string_equal(hint, " (did you mean 'report'?)");
	suggest("x", commands, hint, sizeof hint); /* two edits from ls: too far for one letter */
	assert_string_equal(hint, "");
	suggest("expirt", commands, hint, sizeof hint);
	assert_string_equal(hint, " (did you mean 'export'?)");
	suggest("sohw", commands, hint, sizeof hint);
	assert_string_equal(hint, " (did you mean 'show'?)");
	suggest("frobnicate", commands, hint, sizeof hint);
	assert_string_equal(hint, "");
	/* the closest wins, whatever the order */
	static const char *const names[] = {"sigmoid-30", "sigmoid-10", "sigmoid-1x", NULL};
	suggest("sigmoid-1", names, hint, sizeof hint);
	assert_string_equal(hint, " (did you mean 'sigmoid-10'?)");
	/* a name that would act on a terminal is never printed */
	static const char *const hostile[] = {"sigmoid-1\x1b[2J", "sigmoid-1\n", NULL};
	suggest("sigmoid-1", hostile, hint, sizeof hint);
	assert_string_equal(hint, "");
}

static void gtrack_suggests_commands_and_runs(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	struct command_result r;
	run_gtrack(&r, dir, NULL, (const char *const[]){"rn", "x.yaml", NULL});
	assert_int_equal(r.exit_code, 2);
	assert_string_equal(r.err, "gtrack: 'rn' is not a command (did you mean 'run'?); see "
				   "'gtrack help'\n");
	command_result_free(&r);
	run_gtrack(&r, dir, NULL, (const char *const[]){"help", "spc", NULL});
	assert_int_equal(r.exit_code, 2);
	assert_contains(r.err, "no help for 'spc' (did you mean 'spec'?)");
	command_result_free(&r);

	free(test_write_file(dir, "tiny.yaml", "name: sigmoid-10\n"
					       "data: {samples: 64, features: 4, classes: 2}\n"
					       "model: {depth: 2, width: 4}\n"
					       "train: {steps: 2, batch_size: 8}\n"));
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"run", "tiny.yaml", "--db", "t.db", "--quiet", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	run_gtrack(&r, dir, NULL, (const char *const[]){"show", "sigmoid-1", "--db", "t.db", NULL});
	assert_int_equal(r.exit_code, 6);
	assert_string_equal(r.err, "gtrack: no run with id or name 'sigmoid-1' (did you mean "
				   "'sigmoid-10'?)\n");
	command_result_free(&r);
	run_gtrack(&r, dir, NULL, (const char *const[]){"show", "relu", "--db", "t.db", NULL});
	assert_int_equal(r.exit_code, 6);
	assert_string_equal(r.err, "gtrack: no run with id or name 'relu' (see 'gtrack ls')\n");
	command_result_free(&r);
	run_gtrack(&r, dir, NULL,
		   (const char *const[]){"report", "--db", "t.db", "--runs", "sigmoid-01",
					 "--no-render", NULL});
	assert_int_equal(r.exit_code, 6);
	assert_contains(r.err, "--runs: no run named 'sigmoid-01' (did you mean 'sigmoid-10'?)");
	command_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edit_distance_counts_edits),
		cmocka_unit_test(only_close_candidates_are_suggested),
		cmocka_unit_test(gtrack_suggests_commands_and_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
