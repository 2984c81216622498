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

static void cycle_scales_with_overhead(void **state)
{
	const uint64_t s = 1000000000ULL;

	(void)state;
	/* 0.5 CPU while on, budget 0.01: on 1 s of every 50 s */
	assert_int_equal(governor__cycle_ns(s, 0.5, 0.01, 60 * s), 50 * s);
	/* capped */
	assert_int_equal(governor__cycle_ns(s, 2.0, 0.01, 60 * s), 60 * s);
	/* already within budget: no off time */
	assert_int_equal(governor__cycle_ns(s, 0.005, 0.01, 60 * s), s);
	/* no budget given: never divide by zero */
	assert_int_equal(governor__cycle_ns(s, 0.5, 0, 60 * s), s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_sheds_nothing_under_budget),
		cmocka_unit_test(plan_sheds_hottest_first),
		cmocka_unit_test(plan_never_sheds_silent_points),
		cmocka_unit_test(plan_exact_boundary),
		cmocka_unit_test(cycle_scales_with_overhead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
