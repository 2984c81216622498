// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for user/judge.c: verdicts on synthetic entry-count series.
 * Windows are built from the samples a tracker would have taken (see
 * series()), so delta, drop and end agree the way they do in real use.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "judge.h"

#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SEC 1000000000ULL
#define END -1		/* ends a window's samples in series() */

/*
 * Windows from samples: samples[] lists each window's samples in order,
 * each window closed by END; the first window starts at `start` entries.
 * Every window lasts ns.  Returns the number of windows.
 */
static int series(struct judge_window *w, int max, uint64_t start, uint64_t ns,
		  const long *samples, int n)
{
	uint64_t level = start, hi = start, drop = 0, low = 0, wstart = start;
	int k = 0, i, cnt = 0;

	for (i = 0; i < n && k < max; i++) {
		if (samples[i] == END) {
			w[k++] = (struct judge_window){
				.delta = (int64_t)level - (int64_t)wstart, .drop = drop, .end = level,
				.low = drop ? low : level, .ns = ns, .sampled = cnt > 0,
			};
			wstart = hi = level;
			drop = low = 0;
			cnt = 0;
			continue;
		}
		level = (uint64_t)samples[i];
		if (level > hi) {
			hi = level;
		} else if (hi - level > drop) {
			drop = hi - level;
			low = level;
		} else if (drop && level < low) {
			low = level;
		}
		cnt++;
	}
	return k;
}

/* n windows each rising by delta from start, no fall inside. */
static void rising(struct judge_window *w, int n, uint64_t start, int64_t delta, uint64_t ns)
{
	int i;

	for (i = 0; i < n; i++)
		w[i] = (struct judge_window){ .delta = delta, .end = start + (uint64_t)(delta * (i + 1)),
					      .ns = ns, .sampled = true };
}

static struct judge_window hole(uint64_t level)
{
	return (struct judge_window){ .end = level, .ns = SEC };
}

static enum verdict judge(const struct judge_window *w, int n, struct judge_evidence *ev)
{
	struct judge_opts o;

	judge_opts__init(&o);
	return judge__verdict(&o, w, n, false, ev);
}

static void test_opts_defaults(void **state)
{
	struct judge_opts o;

	judge_opts__init(&o);
	assert_int_equal(o.min_windows, 5);
	assert_int_equal(o.min_growth, 32);
	assert_int_equal(o.min_span_ns, 0);
	assert_true(o.bloat_factor == 8.0);
	assert_int_equal(o.bloat_min_capacity, 1024);
}

static void test_steady_leak(void **state)
{
	struct judge_window w[12];
	struct judge_evidence ev;

	rising(w, 10, 0, 1000, SEC);
	assert_int_equal(judge(w, 10, &ev), VERDICT_LEAK);
	assert_int_equal(ev.rising_windows, 10);
	assert_int_equal(ev.growth_in_rising, 10000);
	assert_int_equal(ev.windows_since_decrease, -1);
	/* the rate rests on the rising run: 10000 in 10 s */
	assert_int_equal(ev.judged_windows, 10);
	assert_int_equal(ev.judged_ns, 10 * SEC);
	assert_true(fabs(judge__rate(&ev) - 60000.0) < 1e-6);

	/* +3 a window: 10 windows gain 30 < 32, 11 gain 33 */
	rising(w, 12, 100, 3, SEC);
	assert_int_equal(judge(w, 10, &ev), VERDICT_GROWING);
	assert_int_equal(judge(w, 11, &ev), VERDICT_LEAK);

	/* min_windows - 1 rising windows are not enough, however steep */
	rising(w, 4, 0, 100000, SEC);
	assert_int_equal(judge(w, 4, &ev), VERDICT_GROWING);
	assert_int_equal(ev.rising_windows, 4);
}

static void test_min_span(void **state)
{
	/* short windows: five rising ones over 10 s are no leak when 30 s are asked */
	struct judge_window w[16];
	struct judge_opts o;
	struct judge_evidence ev;

	judge_opts__init(&o);
	o.min_span_ns = 30 * SEC;
	rising(w, 16, 0, 500, 2 * SEC);
	assert_int_equal(judge__verdict(&o, w, 5, false, &ev), VERDICT_GROWING);
	assert_int_equal(judge__verdict(&o, w, 14, false, &ev), VERDICT_GROWING);
	assert_int_equal(judge__verdict(&o, w, 15, false, &ev), VERDICT_LEAK);
	assert_int_equal(ev.judged_ns, 30 * SEC);
}

static void test_leak_with_a_few_deletes(void **state)
{
	/* +100 a window, while a few keys are deleted: still a leak */
	const long s[] = { 50, 40, 100, END, 150, 145, 200, END, 250, 245, 300, END,
			   350, 340, 400, END, 450, 445, 500, END };
	struct judge_window w[8];
	int n = series(w, 8, 0, SEC, s, ARRAY_LEN(s));

	assert_int_equal(n, 5);
	assert_int_equal(judge(w, n, NULL), VERDICT_LEAK);
}

static void test_filled_once(void **state)
{
	/* filled to 10000 in the first window, then only updated */
	const long s[] = { 4000, 10000, END, 10000, 10000, END, 10000, END, 10000, END, 10000, END,
			   10000, END };
	struct judge_window w[8];
	struct judge_evidence ev;
	int n = series(w, 8, 0, SEC, s, ARRAY_LEN(s)), k;

	assert_int_equal(judge(w, 1, &ev), VERDICT_GROWING);
	for (k = 2; k <= n; k++) {
		assert_int_equal(judge(w, k, &ev), VERDICT_PLATEAU);
		assert_int_not_equal(judge(w, k, &ev), VERDICT_LEAK);
	}
	/* the rate is that of the judged windows: flat once the fill is out of them */
	assert_int_equal(ev.judged_windows, 5);
	assert_true(judge__rate(&ev) == 0.0);
}

static void test_churn_constant_size(void **state)
{
	/*
	 * 2000 entries rotated: each sample catches it a little below or at
	 * its size.  Plateau, whatever the churn: never shrinking or sawtooth.
	 */
	struct judge_window w[16];
	long s[16 * 4];
	int i, n, k = 0;

	for (i = 0; i < 16; i++) {
		s[k++] = 2000 - (i % 3) * 7;
		s[k++] = 1990 + (i % 2) * 10;
		s[k++] = 2000 - (i % 5);
		s[k++] = END;
	}
	n = series(w, 16, 2000, SEC, s, k);
	for (i = 1; i <= n; i++) {
		enum verdict v = judge(w, i, NULL);

		assert_int_equal(v, VERDICT_PLATEAU);
	}
}

static void test_bounded_lru(void **state)
{
	/* fills to its cap of 5000 in 3 windows, then evicts one for each insert */
	struct judge_window w[16];
	long s[16 * 3];
	int i, n, k = 0;

	s[k++] = 1500; s[k++] = END;
	s[k++] = 3500; s[k++] = END;
	s[k++] = 5000; s[k++] = END;
	for (i = 3; i < 16; i++) {
		s[k++] = 4999;
		s[k++] = 5000;
		s[k++] = END;
	}
	n = series(w, 16, 0, SEC, s, k);
	for (i = 4; i <= n; i++)
		assert_int_equal(judge(w, i, NULL), VERDICT_PLATEAU);
}

static void test_sawtooth(void **state)
{
	/* 1000 keys over two windows, then every key deleted, again and again */
	struct judge_window w[24];
	long s[24 * 4];
	int i, n, k = 0;

	for (i = 0; i < 24; i++) {
		if (i % 2 == 0) {
			s[k++] = 250;
			s[k++] = 500;
		} else {
			s[k++] = 750;
			s[k++] = 1000;
			s[k++] = 0;
		}
		s[k++] = END;
	}
	n = series(w, 24, 0, SEC, s, k);
	assert_int_equal(judge(w, 1, NULL), VERDICT_GROWING);
	for (i = 3; i <= n; i++) {
		enum verdict v = judge(w, i, NULL);

		assert_int_equal(v, VERDICT_SAWTOOTH);
	}
}

static void test_clear_and_refill_in_one_window(void **state)
{
	/* cleared and refilled past its start within each window: never a leak */
	struct judge_window w[12];
	long s[12 * 4];
	int i, n, k = 0;

	for (i = 0; i < 12; i++) {
		s[k++] = 800 + i * 10;
		s[k++] = 0;
		s[k++] = 600 + i * 10;
		s[k++] = END;
	}
	n = series(w, 12, 500, SEC, s, k);
	for (i = 1; i <= n; i++) {
		assert_int_not_equal(judge(w, i, NULL), VERDICT_LEAK);
		assert_int_equal(judge(w, i, NULL), VERDICT_SAWTOOTH);
	}
}

static enum verdict judge_min(const struct judge_window *w, int n, int min_windows,
			      struct judge_evidence *ev)
{
	struct judge_opts o;

	judge_opts__init(&o);
	o.min_windows = min_windows;
	return judge__verdict(&o, w, n, false, ev);
}

static void test_sawtooth_one_sample_a_window(void **state)
{
	/*
	 * 500 keys/s emptied every 1000 keys, sampled once a second into 1 s
	 * windows (trace --window 1s under load): the samples alternate near a
	 * top and near a bottom, and a late sample can see a top above the
	 * usual (the phase drifts).  Seen in CI as "shrinking" when the judged
	 * windows held one clear and no refill.
	 */
	const long s[] = { 480, END, 980, END, 470, END, 990, END, 485, END, 975, END,
			   990, END, 490, END, 995, END, 485, END };
	struct judge_window w[12];
	struct judge_evidence ev;
	int n = series(w, 12, 8, SEC, s, ARRAY_LEN(s)), i;

	/* the first clear, nothing refilled yet: a real fall */
	assert_int_equal(judge_min(w, 3, 4, &ev), VERDICT_SHRINKING);
	for (i = 4; i <= n; i++) {
		assert_int_equal(judge_min(w, i, 4, &ev), VERDICT_SAWTOOTH);
		assert_int_equal(judge_min(w, i, 3, &ev), VERDICT_SAWTOOTH);
	}
}

static void test_fill_and_mass_delete_in_one_window(void **state)
{
	/*
	 * 300000 keys inserted and all but 100 deleted inside one window, then
	 * quiet: a large fall, but nothing climbs back after it.  Never a
	 * sawtooth, however far back the clear is looked for.
	 */
	const long s[] = { 150000, 300000, 100, END, 100, END, 101, END, 100, END, 102, END,
			   100, END, 100, END, 101, END, 100, END };
	struct judge_window w[12];
	int n = series(w, 12, 0, SEC, s, ARRAY_LEN(s)), i;

	for (i = 1; i <= n; i++) {
		enum verdict v = judge_min(w, i, 4, NULL);

		assert_int_not_equal(v, VERDICT_SAWTOOTH);
		assert_int_not_equal(v, VERDICT_LEAK);
	}
	assert_int_equal(judge_min(w, n, 4, NULL), VERDICT_PLATEAU);
}

static void test_delete_all_but_100(void **state)
{
	/* 300000 keys, all but 100 deleted at once, then quiet updates */
	const long s[] = { 100000, END, 200000, END, 300000, END, 300000, 100, END,
			   100, END, 100, END, 100, END, 100, END, 100, END, 100, END };
	struct judge_window w[12];
	struct judge_evidence ev;
	int n = series(w, 12, 0, SEC, s, ARRAY_LEN(s)), i;

	assert_int_equal(n, 10);
	for (i = 4; i <= 8; i++) {
		assert_int_equal(judge(w, i, &ev), VERDICT_SHRINKING);
		assert_true(ev.judged_delta < 0);
		assert_true(judge__rate(&ev) < 0);
	}
	/* the fall has left the judged windows */
	assert_int_equal(judge(w, 9, &ev), VERDICT_PLATEAU);
	assert_int_equal(judge(w, 10, &ev), VERDICT_PLATEAU);
}

static void test_gradual_shrink(void **state)
{
	const long s[] = { 900, END, 800, END, 700, END, 600, END, 500, END, 400, END };
	struct judge_window w[8];
	int n = series(w, 8, 1000, SEC, s, ARRAY_LEN(s));

	assert_int_equal(judge(w, n, NULL), VERDICT_SHRINKING);
	/* a dip that comes back is not a net decrease */
	{
		const long t[] = { 1000, 990, END, 1000, END, 998, 1000, END };
		int m = series(w, 8, 1000, SEC, t, ARRAY_LEN(t));

		assert_int_equal(judge(w, m, NULL), VERDICT_PLATEAU);
	}
}

static void test_growing_needs_a_rising_window(void **state)
{
	const long a[] = { 10, END, 20, END, 20, END };
	const long b[] = { 0, END, 0, END, 10, END };
	struct judge_window w[4];
	struct judge_evidence ev;
	int n;

	n = series(w, 4, 0, SEC, a, ARRAY_LEN(a));
	assert_int_equal(judge(w, n, &ev), VERDICT_PLATEAU);
	n = series(w, 4, 0, SEC, b, ARRAY_LEN(b));
	assert_int_equal(judge(w, n, &ev), VERDICT_GROWING);
	assert_true(ev.rising_windows >= 1);
}

static void test_unsampled_windows(void **state)
{
	struct judge_window a[7], b[6];
	struct judge_evidence ev;

	/* holes neither break nor extend a run */
	rising(a, 7, 0, 10, SEC);
	a[2] = hole(a[1].end);
	a[4] = hole(a[3].end);
	assert_int_equal(judge(a, 7, &ev), VERDICT_LEAK);
	assert_int_equal(ev.rising_windows, 5);
	/* and do not count toward min_windows */
	rising(b, 6, 0, 10, SEC);
	b[2] = hole(b[1].end);
	b[3] = hole(b[1].end);
	assert_int_equal(judge(b, 6, &ev), VERDICT_GROWING);
	assert_int_equal(ev.rising_windows, 4);
	/* a drop that fell in an unsampled window still breaks the run */
	rising(a, 7, 100, 10, SEC);
	a[3] = (struct judge_window){ .delta = -30, .end = 100, .ns = SEC };
	assert_int_equal(judge(a, 7, &ev), VERDICT_GROWING);
	assert_int_equal(ev.rising_windows, 3);
}

static void test_gone_and_empty(void **state)
{
	struct judge_opts o;
	struct judge_window w[10];
	struct judge_evidence ev;

	judge_opts__init(&o);
	rising(w, 10, 0, 100, SEC);
	assert_int_equal(judge__verdict(&o, w, 10, true, &ev), VERDICT_GONE);
	assert_int_equal(ev.rising_windows, 10);
	assert_int_equal(judge__verdict(&o, NULL, 0, true, &ev), VERDICT_GONE);
	assert_int_equal(judge__verdict(&o, NULL, 0, false, &ev), VERDICT_GROWING);
	assert_int_equal(ev.windows, 0);
	assert_true(judge__rate(&ev) == 0.0);
	assert_int_equal(judge__verdict(&o, NULL, 3, false, &ev), VERDICT_GROWING);
	assert_int_equal(judge__verdict(&o, w, -1, false, &ev), VERDICT_GROWING);
	assert_int_equal(judge__verdict(NULL, w, 5, false, NULL), VERDICT_LEAK);
}

static void test_custom_opts(void **state)
{
	struct judge_opts o;
	struct judge_window w[6];
	struct judge_evidence ev;

	judge_opts__init(&o);
	o.min_windows = 3;
	o.min_growth = 3;
	rising(w, 6, 0, 1, SEC);
	assert_int_equal(judge__verdict(&o, w, 2, false, &ev), VERDICT_GROWING);
	assert_int_equal(judge__verdict(&o, w, 3, false, &ev), VERDICT_LEAK);
	/* min_windows <= 0 means 1 */
	o.min_windows = -4;
	o.min_growth = 1;
	assert_int_equal(judge__verdict(&o, w, 1, false, &ev), VERDICT_LEAK);
}

static void test_growth_saturates(void **state)
{
	struct judge_window w[6];
	struct judge_evidence ev;
	int i;

	for (i = 0; i < 6; i++)
		w[i] = (struct judge_window){ .delta = INT64_MAX, .end = UINT64_MAX, .ns = SEC,
					      .sampled = true };
	assert_int_equal(judge(w, 6, &ev), VERDICT_LEAK);
	assert_int_equal(ev.growth_in_rising, INT64_MAX);
}

static void test_bloated(void **state)
{
	assert_true(judge__bloated(NULL, 1024, 128));
	assert_false(judge__bloated(NULL, 1023, 0));
	assert_false(judge__bloated(NULL, 4096, 1000));
	assert_true(judge__bloated(NULL, 458752, 100));	/* 300000 keys, 100 left */
}

static void test_strings_and_ranks(void **state)
{
	assert_string_equal(verdict__str(VERDICT_SAWTOOTH), "sawtooth");
	assert_string_equal(verdict__str(VERDICT_PLATEAU), "plateau");
	assert_true(verdict__rank(VERDICT_LEAK) < verdict__rank(VERDICT_GROWING));
	assert_true(verdict__rank(VERDICT_PLATEAU) < verdict__rank(VERDICT_SAWTOOTH));
	assert_true(verdict__rank(VERDICT_SAWTOOTH) < verdict__rank(VERDICT_SHRINKING));
	assert_true(verdict__rank(VERDICT_SHRINKING) < verdict__rank(VERDICT_GONE));
	assert_true(fabs(judge__per_minute(0, 100, 0, 60 * SEC) - 100.0) < 1e-9);
	assert_true(judge__per_minute(100, 0, 0, 30 * SEC) < 0);
	assert_true(judge__per_minute(0, 100, 5, 5) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_defaults),
		cmocka_unit_test(test_steady_leak),
		cmocka_unit_test(test_min_span),
		cmocka_unit_test(test_leak_with_a_few_deletes),
		cmocka_unit_test(test_filled_once),
		cmocka_unit_test(test_churn_constant_size),
		cmocka_unit_test(test_bounded_lru),
		cmocka_unit_test(test_sawtooth),
		cmocka_unit_test(test_clear_and_refill_in_one_window),
		cmocka_unit_test(test_sawtooth_one_sample_a_window),
		cmocka_unit_test(test_fill_and_mass_delete_in_one_window),
		cmocka_unit_test(test_delete_all_but_100),
		cmocka_unit_test(test_gradual_shrink),
		cmocka_unit_test(test_growing_needs_a_rising_window),
		cmocka_unit_test(test_unsampled_windows),
		cmocka_unit_test(test_gone_and_empty),
		cmocka_unit_test(test_custom_opts),
		cmocka_unit_test(test_growth_saturates),
		cmocka_unit_test(test_bloated),
		cmocka_unit_test(test_strings_and_ranks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
