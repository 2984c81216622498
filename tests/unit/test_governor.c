// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The governor's pure decisions: which points to shed, how long a duty cycle. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "governor.h"

#define US 1e-6

static void plan_sheds_nothing_under_budget(void **state)
{
	double rates[3] = { 100, 50, 10 };	/* 160 hits/s x 16 us = 0.26% */
	int order[3];

	(void)state;
	assert_int_equal(governor__plan(rates, 3, 16 * US, 0.005, order), 0);
}

static void plan_sheds_hottest_first(void **state)
{
	/* 60k + 1k + 10 hits/s at 16 us: 0.98 CPU; target 0.005 -> shed 60k and 1k */
	double rates[4] = { 1000, 10, 60000, 0 };
	int order[4];

	(void)state;
	assert_int_equal(governor__plan(rates, 4, 16 * US, 0.005, order), 2);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 0);
	/* what is left: 10 hits/s = 0.016% */
}

static void plan_never_sheds_silent_points(void **state)
{
	double rates[3] = { 0, 0, 0 };
	int order[3];

	(void)state;
	assert_int_equal(governor__plan(rates, 3, 16 * US, 0, order), 0);
}

static void plan_exact_boundary(void **state)
{
	/* 625 hits/s x 16 us = exactly 0.01: not above the target, keep it */
	double rates[1] = { 625 };
	int order[1];

	(void)state;
	assert_int_equal(governor__plan(rates, 1, 16 * US, 0.01, order), 0);
	assert_int_equal(governor__plan(rates, 1, 16 * US, 0.0099, order), 1);
}

static void cycle_spaces_windows_by_their_cost(void **state)
{
	const uint64_t s = 1000000000ULL;

	(void)state;
	/* an on-window that cost 50 ms of CPU, budget 0.005: one every 10 s */
	assert_int_equal(governor__cycle_ns(0.05, 0.005, 5 * s, 60 * s), 10 * s);
	/* cheap windows: never more often than the minimum */
	assert_int_equal(governor__cycle_ns(0.001, 0.005, 5 * s, 60 * s), 5 * s);
	/* costly ones: capped */
	assert_int_equal(governor__cycle_ns(2.0, 0.005, 5 * s, 60 * s), 60 * s);
	/* no budget or no cost measured: never divide by zero */
	assert_int_equal(governor__cycle_ns(0.05, 0, 5 * s, 60 * s), 5 * s);
	assert_int_equal(governor__cycle_ns(0, 0.005, 5 * s, 60 * s), 5 * s);
}

static void alarm_threshold_is_the_budget_per_window(void **state)
{
	(void)state;
	/* 1% of a CPU over 100 ms is 1 ms: 62 hits of 16 us */
	assert_int_equal(governor__alarm_hits(0.01, 16 * US), 62);
	assert_int_equal(governor__alarm_hits(0.1, 16 * US), 625);
	/* tiny budgets still need one hit; no cost or no budget: no alarm */
	assert_int_equal(governor__alarm_hits(1e-9, 16 * US), 1);
	assert_int_equal(governor__alarm_hits(0.01, 0), 0);
	assert_int_equal(governor__alarm_hits(0, 16 * US), 0);
}

static void alarm_word_carries_the_start_allowance(void **state)
{
	uint32_t w;

	(void)state;
	/* no allowance: the word is the hits, as before */
	assert_int_equal(governor__alarm_word(0.01, 16 * US, 0), 62);
	/* 50 s of budget = 500 windows = 62.5 units of 8, rounded to 63 */
	w = governor__alarm_word(0.01, 16 * US, 50);
	assert_int_equal(GM_ALARM_HITS(w), 62);
	assert_int_equal(GM_ALARM_START(w), 63 * GM_ALARM_START_UNIT);
	/* capped at 255 units; a tiny allowance is still one unit */
	assert_int_equal(GM_ALARM_START(governor__alarm_word(0.01, 16 * US, 1e6)), 255 * GM_ALARM_START_UNIT);
	assert_int_equal(GM_ALARM_START(governor__alarm_word(0.01, 16 * US, 1e-3)), GM_ALARM_START_UNIT);
	/* no cost: no alarm, no allowance */
	assert_int_equal(governor__alarm_word(0.01, 0, 50), 0);
	/* the hits never spill into the allowance's bits */
	assert_int_equal(GM_ALARM_HITS(governor__alarm_word(1, 1e-12, 50)), GM_ALARM_HITS_MASK);
	assert_int_equal(GM_ALARM_START(governor__alarm_word(1, 1e-12, 50)), 63 * GM_ALARM_START_UNIT);
}

static void start_allowance_ends_in_time_and_when_spent(void **state)
{
	const uint64_t s = 1000000000ULL;
	uint32_t w = governor__alarm_word(0.01, 16 * US, 50);	/* 62 hits a window, 504 windows */
	uint64_t credit = 62ULL * 504;

	(void)state;
	/* at the start: the credit plus this window's budget */
	assert_int_equal(governor__start_hits_left(w, 100 * s, 0, 100 * s), credit + 62);
	assert_int_equal(governor__start_hits_left(w, 100 * s, credit, 100 * s), 62);
	assert_int_equal(governor__start_hits_left(w, 100 * s, credit + 62, 100 * s), 0);
	/* the budget itself pays for what comes later */
	assert_int_equal(governor__start_hits_left(w, 100 * s, credit + 62, 100 * s + s), 620);
	/* over after GM_ALARM_START_NS, spent or not */
	assert_int_equal(governor__start_hits_left(w, 100 * s, 0, 100 * s + GM_ALARM_START_NS), 0);
	/* no allowance: never */
	assert_int_equal(governor__start_hits_left(governor__alarm_word(0.01, 16 * US, 0), 100 * s, 0, 100 * s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_sheds_nothing_under_budget),
		cmocka_unit_test(plan_sheds_hottest_first),
		cmocka_unit_test(plan_never_sheds_silent_points),
		cmocka_unit_test(plan_exact_boundary),
		cmocka_unit_test(cycle_spaces_windows_by_their_cost),
		cmocka_unit_test(alarm_threshold_is_the_budget_per_window),
		cmocka_unit_test(alarm_word_carries_the_start_allowance),
		cmocka_unit_test(start_allowance_ends_in_time_and_when_spent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
