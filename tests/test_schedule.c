/* Learning-rate schedules: the values the trainer steps with, and what is logged. */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "spec/spec.h"
#include "train/schedule.h"
#include "util/error.h"

static double rate(const char *schedule, int64_t step)
{
	char text[256];
	snprintf(text, sizeof text,
		 "train: {steps: 100, optimizer: {lr: 0.1}, schedule: %s}\n", schedule);
	struct spec spec;
	if (spec_load_text(&spec, text, "schedule.yaml", NULL, 0))
		fail_msg("%s", error_last());
	double value = schedule_lr(&spec, step);
	spec_free(&spec);
	return value;
}

static void assert_near(double actual, double expected)
{
	if (!(fabs(actual - expected) <= 1e-15 * fmax(1, fabs(expected))))
		fail_msg("got %.17g, expected %.17g", actual, expected);
}

static void schedules_follow_their_definitions(void **state)
{
	(void)state;
	assert_near(rate("constant", 0), 0.1);
	assert_near(rate("constant", 99), 0.1);
	assert_near(rate("{kind: step, step_size: 30, gamma: 0.5}", 29), 0.1);
	assert_near(rate("{kind: step, step_size: 30, gamma: 0.5}", 30), 0.05);
	assert_near(rate("{kind: step, step_size: 30, gamma: 0.5}", 95), 0.0125);
	assert_near(rate("cosine", 0), 0.1);
	assert_near(rate("cosine", 50), 0.05);
	assert_near(rate("{kind: cosine, min_lr: 0.02}", 50), 0.06);
	/* warmup scales the first steps linearly, then hands over */
	assert_near(rate("{kind: constant, warmup_steps: 4}", 0), 0.025);
	assert_near(rate("{kind: constant, warmup_steps: 4}", 3), 0.1);
	assert_near(rate("{kind: constant, warmup_steps: 4}", 4), 0.1);
}

static void logged_rate_is_the_scheduled_one(void **state)
{
	(void)state;
	const char *dir = test_temp_dir();
	free(test_write_file(dir, "s.yaml",
			     "data: {samples: 64, features: 4, classes: 2}\n"
			     "model: {depth: 2, width: 4}\n"
			     "train: {steps: 6, batch_size: 8, optimizer: {kind: adam, lr: 0.01},\n"
			     "        schedule: {kind: step, step_size: 2, gamma: 0.1}}\n"));
	struct command_result r;
	run_gtrack(&r, dir, NULL, (const char *const[]){"run", "s.yaml", "--db", "s.db", NULL});
	assert_int_equal(r.exit_code, 0);
	command_result_free(&r);
	char path[1024];
	snprintf(path, sizeof path, "%s/s.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *rates = query_text(db, "SELECT group_concat(printf('%g', lr), ' ') FROM"
				     " (SELECT lr FROM steps ORDER BY step)");
	assert_string_equal(rates, "0.01 0.01 0.001 0.001 0.0001 0.0001");
	free(rates);
	sqlite3_close(db);
}

int main(void)
{
	error_set_quiet(true);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(schedules_follow_their_definitions),
		cmocka_unit_test(logged_rate_is_the_scheduled_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
