// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/judge.c: verdicts on synthetic entry-count series. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "judge.h"

#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Window builders: rising/flat, with a dip, and a sampling hiccup. */
static struct judge_window up(int64_t delta)
{
	return (struct judge_window){ .delta = delta, .decreased = false, .sampled = true };
}

static struct judge_window dip(int64_t delta)
{
	return (struct judge_window){ .delta = delta, .decreased = true, .sampled = true };
}

static struct judge_window hole(void)
{
	return (struct judge_window){ .delta = 0, .decreased = false, .sampled = false };
}

static enum verdict judge(const struct judge_window *w, int n, struct judge_evidence *ev)
{
	struct judge_opts o;

	judge_opts__init(&o);
	return judge__verdict(&o, w, n, false, ev);
}

static void fill(struct judge_window *w, int n, int64_t delta)
{
	int i;

	for (i = 0; i < n; i++)
		w[i] = up(delta);
}

static void assert_ev(const struct judge_evidence *ev, int rising, int windows, int64_t growth,
		      int since)
{
	assert_int_equal(ev->rising_windows, rising);
	assert_int_equal(ev->windows, windows);
	assert_int_equal(ev->growth_in_rising, growth);
	assert_int_equal(ev->windows_since_decrease, since);
}

static void test_opts_defaults(void **state)
{
	struct judge_opts o;

	judge_opts__init(&o);
	assert_int_equal(o.min_windows, 5);
	assert_int_equal(o.min_growth, 32);
	assert_true(o.bloat_factor == 8.0);
	assert_int_equal(o.bloat_min_capacity, 1024);
}

static void test_steady_leak_fast(void **state)
{
	struct judge_window w[10];
	struct judge_evidence ev;

	fill(w, 10, 1000);
	assert_int_equal(judge(w, 10, &ev), VERDICT_LEAK);
	assert_ev(&ev, 10, 10, 10000, -1);
}

static void test_steady_leak_slow(void **state)
{
	struct judge_window w[12];
	struct judge_evidence ev;

	/* +3 per window: 10 windows gain 30 < 32, 11 gain 33. */
	fill(w, 12, 3);
	assert_int_equal(judge(w, 10, &ev), VERDICT_GROWING);
	assert_ev(&ev, 10, 10, 30, -1);
	assert_int_equal(judge(w, 11, &ev), VERDICT_LEAK);
	assert_ev(&ev, 11, 11, 33, -1);
	assert_int_equal(judge(w, 12, &ev), VERDICT_LEAK);
	assert_ev(&ev, 12, 12, 36, -1);
}

static void test_leak_exactly_min_windows(void **state)
{
	struct judge_window w[5];
	struct judge_evidence ev;

	fill(w, 5, 10);
	assert_int_equal(judge(w, 5, &ev), VERDICT_LEAK);
	assert_ev(&ev, 5, 5, 50, -1);
}

static void test_min_windows_minus_one(void **state)
{
	struct judge_window w[4];
	struct judge_evidence ev;

	fill(w, 4, 100000);
	assert_int_equal(judge(w, 4, &ev), VERDICT_GROWING);
	assert_ev(&ev, 4, 4, 400000, -1);
	assert_int_equal(judge(w, 1, &ev), VERDICT_GROWING);
	assert_ev(&ev, 1, 1, 100000, -1);
}

static void test_growth_below_min_growth(void **state)
{
	struct judge_window w[8];
	struct judge_window exact[] = { up(6), up(6), up(6), up(6), up(8) };	/* 32 */
	struct judge_window short_by_one[] = { up(6), up(6), up(6), up(6), up(7) };	/* 31 */
	struct judge_evidence ev;

	fill(w, 8, 2);
	assert_int_equal(judge(w, 8, &ev), VERDICT_GROWING);
	assert_ev(&ev, 8, 8, 16, -1);

	assert_int_equal(judge(exact, 5, &ev), VERDICT_LEAK);
	assert_ev(&ev, 5, 5, 32, -1);
	assert_int_equal(judge(short_by_one, 5, &ev), VERDICT_GROWING);
	assert_ev(&ev, 5, 5, 31, -1);
}

static void test_fill_then_update(void **state)
{
	/* Filled in 3 windows, then values only updated. */
	struct judge_window w[] = { up(500), up(300), up(100), up(0), up(0), up(0), up(0) };
	struct judge_evidence ev;
	int n;

	assert_int_equal(judge(w, 3, &ev), VERDICT_GROWING);
	assert_ev(&ev, 3, 3, 900, -1);
	/* One flat window after rising is not yet a plateau. */
	assert_int_equal(judge(w, 4, &ev), VERDICT_GROWING);
	assert_ev(&ev, 0, 4, 0, -1);
	for (n = 5; n <= ARRAY_LEN(w); n++) {
		assert_int_equal(judge(w, n, &ev), VERDICT_PLATEAU);
		assert_ev(&ev, 0, n, 0, -1);
	}
}

static void test_fill_slowly_then_update(void **state)
{
	/* Rises long enough to be a leak, then levels off: no longer a leak. */
	struct judge_window w[10];
	struct judge_evidence ev;

	fill(w, 6, 100);
	w[6] = up(0);
	w[7] = up(0);
	assert_int_equal(judge(w, 6, &ev), VERDICT_LEAK);
	assert_int_equal(judge(w, 7, &ev), VERDICT_GROWING);
	assert_ev(&ev, 0, 7, 0, -1);
	assert_int_equal(judge(w, 8, &ev), VERDICT_PLATEAU);
	assert_ev(&ev, 0, 8, 0, -1);
}

static void test_bounded_lru(void **state)
{
	/*
	 * Fills to its cap in 3 windows, then evicts: every later window has a
	 * sample below the one before, or at least every few windows does (the
	 * sampler may catch only the rising part of a window).
	 */
	struct judge_window w[64];
	struct judge_evidence ev;
	enum verdict v;
	int i, n;

	w[0] = up(400);
	w[1] = up(400);
	w[2] = up(200);
	for (i = 3; i < ARRAY_LEN(w); i++) {
		switch (i % 4) {
		case 0:
			w[i] = dip(5);
			break;
		case 1:
			w[i] = dip(-3);
			break;
		case 2:
			w[i] = up(2);	/* only the rising part sampled */
			break;
		default:
			w[i] = dip(0);
			break;
		}
	}
	for (n = 1; n <= 3; n++)
		assert_int_equal(judge(w, n, &ev), VERDICT_GROWING);
	for (n = 4; n <= ARRAY_LEN(w); n++) {
		v = judge(w, n, &ev);
		assert_int_not_equal(v, VERDICT_LEAK);
		assert_int_equal(v, VERDICT_SHRINKING);
		assert_true(ev.rising_windows <= 1);
		assert_true(ev.windows_since_decrease >= 0 && ev.windows_since_decrease <= 1);
	}
}

/* Expect the sawtooth verdict for prefix n of a series whose drops are at i % period == period-1. */
static void check_sawtooth_prefix(const struct judge_window *w, int n, int period)
{
	struct judge_evidence ev;
	enum verdict v = judge(w, n, &ev);
	int last_drop = ((n - period) / period) * period + period - 1;

	assert_int_not_equal(v, VERDICT_LEAK);
	if (n < period) {
		assert_int_equal(v, VERDICT_GROWING);
		assert_ev(&ev, n, n, 50 * n, -1);
		return;
	}
	assert_int_equal(v, VERDICT_SHRINKING);
	assert_int_equal(ev.windows_since_decrease, n - 1 - last_drop);
	assert_int_equal(ev.rising_windows, n - 1 - last_drop);
	assert_int_equal(ev.growth_in_rising, 50 * (n - 1 - last_drop));
	assert_int_equal(ev.windows, n);
}

static void test_sawtooth_every_3_windows(void **state)
{
	struct judge_window w[90];
	int i, n;

	/* Two windows filling, then emptied. */
	for (i = 0; i < ARRAY_LEN(w); i++)
		w[i] = i % 3 == 2 ? dip(-100) : up(50);
	for (n = 0; n <= ARRAY_LEN(w); n++) {
		if (n == 0)
			assert_int_equal(judge(w, 0, NULL), VERDICT_GROWING);
		else
			check_sawtooth_prefix(w, n, 3);
	}
}

static void test_sawtooth_drop_inside_window(void **state)
{
	/*
	 * Emptied and refilled past its start within one window: the net delta
	 * is positive but a sample went down.  Must still never be a leak.
	 */
	struct judge_window w[90];
	int i, n;

	for (i = 0; i < ARRAY_LEN(w); i++)
		w[i] = i % 3 == 2 ? dip(20) : up(50);
	for (n = 1; n <= ARRAY_LEN(w); n++)
		check_sawtooth_prefix(w, n, 3);
}

static void test_sawtooth_all_short_periods(void **state)
{
	/* Any period up to min_windows leaves fewer than min_windows rising in a row. */
	struct judge_window w[120];
	int period, i, n;

	for (period = 1; period <= 5; period++) {
		for (i = 0; i < ARRAY_LEN(w); i++)
			w[i] = i % period == period - 1 ? dip(-1000000) : up(50);
		for (n = 1; n <= ARRAY_LEN(w); n++)
			check_sawtooth_prefix(w, n, period);
	}
}

static void test_sawtooth_with_hiccups(void **state)
{
	/* Every 4th window unsampled; the sawtooth must still never be a leak. */
	struct judge_window w[96];
	enum verdict v;
	int i, n;

	for (i = 0; i < ARRAY_LEN(w); i++) {
		if (i % 4 == 3)
			w[i] = hole();
		else
			w[i] = i % 3 == 2 ? dip(-100) : up(50);
	}
	for (n = 1; n <= ARRAY_LEN(w); n++) {
		v = judge(w, n, NULL);
		assert_int_not_equal(v, VERDICT_LEAK);
		if (n >= 3)
			assert_int_equal(v, VERDICT_SHRINKING);
	}
}

static void test_per_request_maps(void **state)
{
	/* Tiny maps come and go: the live total stays the same. */
	struct judge_window w[20];
	struct judge_evidence ev;
	int n;

	fill(w, 20, 0);
	for (n = 1; n <= 20; n++) {
		assert_int_equal(judge(w, n, &ev), VERDICT_PLATEAU);
		assert_ev(&ev, 0, n, 0, -1);
	}
}

static void test_decrease_inside_run(void **state)
{
	struct judge_window w[10];
	struct judge_evidence ev;

	fill(w, 10, 10);
	w[4] = dip(10);
	/* 4 rising after the dip, dip within the last 5 windows. */
	assert_int_equal(judge(w, 9, &ev), VERDICT_SHRINKING);
	assert_ev(&ev, 4, 9, 40, 4);
	/* 5 rising after the dip: the run is long enough again. */
	assert_int_equal(judge(w, 10, &ev), VERDICT_LEAK);
	assert_ev(&ev, 5, 10, 50, 5);

	/* A negative delta breaks the run even without the decreased flag. */
	fill(w, 10, 10);
	w[7] = up(-1);
	assert_int_equal(judge(w, 10, &ev), VERDICT_SHRINKING);
	assert_ev(&ev, 2, 10, 20, 2);
}

static void test_newest_decreased(void **state)
{
	struct judge_window w[10];
	struct judge_evidence ev;

	fill(w, 10, 100);
	w[9] = dip(100);
	assert_int_equal(judge(w, 10, &ev), VERDICT_SHRINKING);
	assert_ev(&ev, 0, 10, 0, 0);

	w[9] = up(-5);
	assert_int_equal(judge(w, 10, &ev), VERDICT_SHRINKING);
	assert_ev(&ev, 0, 10, 0, 0);

	/* A dip with no net change is still a decrease. */
	w[9] = dip(0);
	assert_int_equal(judge(w, 10, &ev), VERDICT_SHRINKING);
	assert_ev(&ev, 0, 10, 0, 0);
}

static void test_old_decrease_then_flat(void **state)
{
	/* A decrease long ago no longer decides: the newest windows do. */
	struct judge_window w[] = { dip(-50), up(10), up(0), up(0), up(0), up(0), up(0) };
	struct judge_evidence ev;

	/* Still among the 5 most recent windows. */
	assert_int_equal(judge(w, 5, &ev), VERDICT_SHRINKING);
	assert_ev(&ev, 0, 5, 0, 4);
	/* Out of them: the newest two windows are flat. */
	assert_int_equal(judge(w, 6, &ev), VERDICT_PLATEAU);
	assert_ev(&ev, 0, 6, 0, 5);
	assert_int_equal(judge(w, 7, &ev), VERDICT_PLATEAU);
	assert_ev(&ev, 0, 7, 0, 6);
}

static void test_unsampled_inside_run(void **state)
{
	struct judge_window a[] = { up(10), up(10), hole(), up(10), hole(), up(10), up(10) };
	struct judge_window b[] = { up(10), up(10), hole(), hole(), up(10), up(10) };
	struct judge_window c[] = { up(10), up(10), up(10), up(10), up(10), hole(), hole() };
	struct judge_evidence ev;

	/* Holes neither break nor extend: 5 rising windows. */
	assert_int_equal(judge(a, ARRAY_LEN(a), &ev), VERDICT_LEAK);
	assert_ev(&ev, 5, 7, 50, -1);
	/* Holes do not count toward min_windows. */
	assert_int_equal(judge(b, ARRAY_LEN(b), &ev), VERDICT_GROWING);
	assert_ev(&ev, 4, 6, 40, -1);
	/* Trailing holes keep the verdict. */
	assert_int_equal(judge(c, ARRAY_LEN(c), &ev), VERDICT_LEAK);
	assert_ev(&ev, 5, 7, 50, -1);
}

static void test_unsampled_reporting_decrease(void **state)
{
	/* A drop that fell in an unsampled window still breaks the run. */
	struct judge_window w[] = {
		up(10), up(10), up(10),
		{ .delta = -30, .decreased = false, .sampled = false },
		up(10), up(10), up(10), up(10),
	};
	struct judge_evidence ev;

	assert_int_equal(judge(w, ARRAY_LEN(w), &ev), VERDICT_SHRINKING);
	assert_ev(&ev, 4, 8, 40, 4);
}

static void test_unsampled_plateau(void **state)
{
	struct judge_window flat[] = { up(0), hole(), up(0), hole() };
	struct judge_window rising_then_flat[] = { up(10), hole(), up(0), hole() };
	struct judge_window one_flat[] = { hole(), up(0), hole() };
	struct judge_window all_holes[] = { hole(), hole(), hole() };
	struct judge_evidence ev;

	assert_int_equal(judge(flat, ARRAY_LEN(flat), &ev), VERDICT_PLATEAU);
	assert_ev(&ev, 0, 4, 0, -1);
	assert_int_equal(judge(rising_then_flat, ARRAY_LEN(rising_then_flat), &ev),
			 VERDICT_GROWING);
	assert_ev(&ev, 0, 4, 0, -1);
	assert_int_equal(judge(one_flat, ARRAY_LEN(one_flat), &ev), VERDICT_PLATEAU);
	assert_ev(&ev, 0, 3, 0, -1);
	assert_int_equal(judge(all_holes, ARRAY_LEN(all_holes), &ev), VERDICT_GROWING);
	assert_ev(&ev, 0, 3, 0, -1);
}

static void test_gone(void **state)
{
	struct judge_opts o;
	struct judge_window w[10];
	struct judge_evidence ev;

	judge_opts__init(&o);
	fill(w, 10, 100);
	assert_int_equal(judge__verdict(&o, w, 10, true, &ev), VERDICT_GONE);
	/* The evidence of the last judgement is kept. */
	assert_ev(&ev, 10, 10, 1000, -1);
	assert_int_equal(judge__verdict(&o, NULL, 0, true, &ev), VERDICT_GONE);
	assert_ev(&ev, 0, 0, 0, -1);
	assert_int_equal(judge__verdict(&o, w, 10, true, NULL), VERDICT_GONE);
}

static void test_empty(void **state)
{
	struct judge_opts o;
	struct judge_window w[3];
	struct judge_evidence ev = { 7, 7, 7, 7 };

	judge_opts__init(&o);
	fill(w, 3, 100);
	assert_int_equal(judge__verdict(&o, NULL, 0, false, &ev), VERDICT_GROWING);
	assert_ev(&ev, 0, 0, 0, -1);
	/* Inconsistent arguments are treated as no windows. */
	assert_int_equal(judge__verdict(&o, NULL, 3, false, &ev), VERDICT_GROWING);
	assert_ev(&ev, 0, 0, 0, -1);
	assert_int_equal(judge__verdict(&o, w, -1, false, &ev), VERDICT_GROWING);
	assert_ev(&ev, 0, 0, 0, -1);
	assert_int_equal(judge__verdict(&o, w, 0, false, NULL), VERDICT_GROWING);
}

static void test_custom_and_null_opts(void **state)
{
	struct judge_opts o;
	struct judge_window w[6];
	struct judge_evidence ev;

	fill(w, 6, 1);
	judge_opts__init(&o);
	o.min_windows = 3;
	o.min_growth = 3;
	assert_int_equal(judge__verdict(&o, w, 2, false, &ev), VERDICT_GROWING);
	assert_int_equal(judge__verdict(&o, w, 3, false, &ev), VERDICT_LEAK);
	assert_ev(&ev, 3, 3, 3, -1);

	/* min_windows <= 0 means 1. */
	o.min_windows = 0;
	o.min_growth = 1;
	assert_int_equal(judge__verdict(&o, w, 1, false, &ev), VERDICT_LEAK);
	o.min_windows = -4;
	assert_int_equal(judge__verdict(&o, w, 1, false, &ev), VERDICT_LEAK);
	/* ...so no rising window is never a leak, even with no growth asked. */
	o.min_windows = 0;
	o.min_growth = 0;
	w[5] = up(0);
	assert_int_equal(judge__verdict(&o, &w[5], 1, false, &ev), VERDICT_PLATEAU);
	w[5] = dip(-1);
	assert_int_equal(judge__verdict(&o, &w[5], 1, false, &ev), VERDICT_SHRINKING);
	w[5] = up(1);

	/* With min_windows 1, plateau still needs the two newest sampled flat. */
	o.min_windows = 1;
	w[4] = up(0);
	w[5] = up(0);
	assert_int_equal(judge__verdict(&o, w, 5, false, &ev), VERDICT_GROWING);
	assert_int_equal(judge__verdict(&o, w, 6, false, &ev), VERDICT_PLATEAU);

	/* NULL opts are the defaults. */
	fill(w, 6, 10);
	assert_int_equal(judge__verdict(NULL, w, 4, false, &ev), VERDICT_GROWING);
	assert_int_equal(judge__verdict(NULL, w, 5, false, &ev), VERDICT_LEAK);
	assert_true(judge__bloated(NULL, 1024, 128));
	assert_false(judge__bloated(NULL, 1023, 0));
}

static void test_growth_saturates(void **state)
{
	struct judge_window w[6];
	struct judge_evidence ev;

	fill(w, 6, INT64_MAX);
	assert_int_equal(judge(w, 6, &ev), VERDICT_LEAK);
	assert_ev(&ev, 6, 6, INT64_MAX, -1);
}

static void test_bloated(void **state)
{
	struct judge_opts o;

	judge_opts__init(&o);
	/* Below the minimum capacity: never bloated. */
	assert_false(judge__bloated(&o, 0, 0));
	assert_false(judge__bloated(&o, 1023, 0));
	assert_false(judge__bloated(&o, 1023, 1));
	/* Empty map counts as one entry. */
	assert_true(judge__bloated(&o, 1024, 0));
	assert_true(judge__bloated(&o, 1024, 1));
	/* The factor boundary: 1024 >= 8 * 128, not >= 8 * 129. */
	assert_true(judge__bloated(&o, 1024, 128));
	assert_false(judge__bloated(&o, 1024, 129));
	assert_true(judge__bloated(&o, 8192, 1024));
	assert_false(judge__bloated(&o, 8192, 1025));
	/* A full map is not bloated; more entries than slots is not either. */
	assert_false(judge__bloated(&o, 4096, 4096));
	assert_false(judge__bloated(&o, 4096, 100000));
	assert_true(judge__bloated(&o, UINT64_MAX, 1000));

	o.bloat_factor = 2.0;
	o.bloat_min_capacity = 16;
	assert_false(judge__bloated(&o, 15, 1));
	assert_true(judge__bloated(&o, 16, 8));
	assert_false(judge__bloated(&o, 16, 9));

	/* An empty map counts as one entry: 7 slots < 8 * max(0, 1). */
	o.bloat_factor = 8.0;
	o.bloat_min_capacity = 4;
	assert_false(judge__bloated(&o, 7, 0));
	assert_true(judge__bloated(&o, 8, 0));

	o.bloat_factor = NAN;
	assert_false(judge__bloated(&o, 1 << 20, 1));
}

static void test_per_minute(void **state)
{
	const uint64_t s = 1000000000ULL;

	/* 600 entries in 30 s: 1200 per minute. */
	assert_true(judge__per_minute(100, 700, 5 * s, 35 * s) == 1200.0);
	/* Shrinking is negative. */
	assert_true(judge__per_minute(700, 100, 0, 60 * s) == -600.0);
	assert_true(judge__per_minute(5, 5, 0, 60 * s) == 0.0);
	/* 1 entry in 2 minutes. */
	assert_true(judge__per_minute(0, 1, 0, 120 * s) == 0.5);
	/* 1 entry in 1 ms. */
	assert_true(judge__per_minute(0, 1, 0, 1000000) == 60000.0);
	/* Empty or backwards span. */
	assert_true(judge__per_minute(0, 1000, 7 * s, 7 * s) == 0.0);
	assert_true(judge__per_minute(0, 1000, 8 * s, 7 * s) == 0.0);
	/* Large counts keep their difference exactly. */
	assert_true(judge__per_minute(UINT64_MAX - 10, UINT64_MAX, 0, 60 * s) == 10.0);
	assert_true(judge__per_minute(UINT64_MAX, UINT64_MAX - 10, 0, 60 * s) == -10.0);
	assert_true(judge__per_minute(0, UINT64_MAX, 0, 60 * s) == (double)UINT64_MAX);
	assert_true(judge__per_minute(0, 60, UINT64_MAX - 60 * s, UINT64_MAX) == 60.0);
}

static void test_verdict_str_rank(void **state)
{
	assert_string_equal(verdict__str(VERDICT_GROWING), "growing");
	assert_string_equal(verdict__str(VERDICT_LEAK), "leak");
	assert_string_equal(verdict__str(VERDICT_PLATEAU), "plateau");
	assert_string_equal(verdict__str(VERDICT_SHRINKING), "shrinking");
	assert_string_equal(verdict__str(VERDICT_GONE), "gone");
	assert_string_equal(verdict__str((enum verdict)42), "unknown");

	assert_int_equal(verdict__rank(VERDICT_LEAK), 0);
	assert_int_equal(verdict__rank(VERDICT_GROWING), 1);
	assert_int_equal(verdict__rank(VERDICT_PLATEAU), 2);
	assert_int_equal(verdict__rank(VERDICT_SHRINKING), 3);
	assert_int_equal(verdict__rank(VERDICT_GONE), 4);
	assert_true(verdict__rank((enum verdict)42) > verdict__rank(VERDICT_GONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_defaults),
		cmocka_unit_test(test_steady_leak_fast),
		cmocka_unit_test(test_steady_leak_slow),
		cmocka_unit_test(test_leak_exactly_min_windows),
		cmocka_unit_test(test_min_windows_minus_one),
		cmocka_unit_test(test_growth_below_min_growth),
		cmocka_unit_test(test_fill_then_update),
		cmocka_unit_test(test_fill_slowly_then_update),
		cmocka_unit_test(test_bounded_lru),
		cmocka_unit_test(test_sawtooth_every_3_windows),
		cmocka_unit_test(test_sawtooth_drop_inside_window),
		cmocka_unit_test(test_sawtooth_all_short_periods),
		cmocka_unit_test(test_sawtooth_with_hiccups),
		cmocka_unit_test(test_per_request_maps),
		cmocka_unit_test(test_decrease_inside_run),
		cmocka_unit_test(test_newest_decreased),
		cmocka_unit_test(test_old_decrease_then_flat),
		cmocka_unit_test(test_unsampled_inside_run),
		cmocka_unit_test(test_unsampled_reporting_decrease),
		cmocka_unit_test(test_unsampled_plateau),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_custom_and_null_opts),
		cmocka_unit_test(test_growth_saturates),
		cmocka_unit_test(test_bloated),
		cmocka_unit_test(test_per_minute),
		cmocka_unit_test(test_verdict_str_rank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
