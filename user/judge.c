// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stddef.h>
#include "judge.h"

#define DEF_MIN_WINDOWS		5
#define DEF_MIN_GROWTH		32
#define DEF_BLOAT_FACTOR	8.0
#define DEF_BLOAT_MIN_CAP	1024

void judge_opts__init(struct judge_opts *opts)
{
	opts->min_windows = DEF_MIN_WINDOWS;
	opts->min_growth = DEF_MIN_GROWTH;
	opts->bloat_factor = DEF_BLOAT_FACTOR;
	opts->bloat_min_capacity = DEF_BLOAT_MIN_CAP;
}

/* Some sample went down, or the window ended below where it started. */
static bool window_down(const struct judge_window *w)
{
	return w->decreased || w->delta < 0;
}

static bool window_rising(const struct judge_window *w)
{
	return w->sampled && w->delta > 0 && !w->decreased;
}

/* Unsampled and with nothing to say: a hiccup, skipped by every rule. */
static bool window_silent(const struct judge_window *w)
{
	return !w->sampled && !window_down(w);
}

static int64_t add_sat(int64_t sum, int64_t delta)
{
	/* Both are >= 0 here. */
	if (delta > INT64_MAX - sum)
		return INT64_MAX;
	return sum + delta;
}

enum verdict judge__verdict(const struct judge_opts *opts, const struct judge_window *windows,
			    int n, bool gone, struct judge_evidence *ev)
{
	struct judge_opts defaults;
	struct judge_evidence e = { .windows_since_decrease = -1 };
	const struct judge_window *newest = NULL, *prev = NULL;
	int min_windows, sampled, i;
	bool down_recently = false;
	enum verdict v;

	if (!opts) {
		judge_opts__init(&defaults);
		opts = &defaults;
	}
	if (n < 0 || !windows)
		n = 0;
	min_windows = opts->min_windows > 0 ? opts->min_windows : 1;
	e.windows = n;

	/* Rising run ending at the newest window; silent windows are skipped. */
	for (i = n - 1; i >= 0; i--) {
		const struct judge_window *w = &windows[i];

		if (window_silent(w))
			continue;
		if (!window_rising(w))
			break;
		e.rising_windows++;
		e.growth_in_rising = add_sat(e.growth_in_rising, w->delta);
	}

	for (i = n - 1; i >= 0; i--) {
		if (window_down(&windows[i])) {
			e.windows_since_decrease = n - 1 - i;
			break;
		}
	}

	/*
	 * A decrease among the most recent min_windows sampled windows (or an
	 * unsampled window between them) is a sawtooth: filled then cleared.
	 */
	for (i = n - 1, sampled = 0; i >= 0 && sampled < min_windows; i--) {
		if (window_down(&windows[i]))
			down_recently = true;
		if (windows[i].sampled)
			sampled++;
	}

	/* The two newest sampled windows decide plateau. */
	for (i = n - 1; i >= 0 && !prev; i--) {
		if (!windows[i].sampled)
			continue;
		if (!newest)
			newest = &windows[i];
		else
			prev = &windows[i];
	}

	if (gone)
		v = VERDICT_GONE;
	else if (e.rising_windows >= min_windows &&
		 (uint64_t)e.growth_in_rising >= opts->min_growth)
		v = VERDICT_LEAK;
	else if (down_recently)
		v = VERDICT_SHRINKING;
	else if (newest && newest->delta == 0 && (!prev || prev->delta == 0))
		v = VERDICT_PLATEAU;
	else
		v = VERDICT_GROWING;

	if (ev)
		*ev = e;
	return v;
}

bool judge__bloated(const struct judge_opts *opts, uint64_t capacity, uint64_t entries)
{
	struct judge_opts defaults;

	if (!opts) {
		judge_opts__init(&defaults);
		opts = &defaults;
	}
	if (capacity < opts->bloat_min_capacity)
		return false;
	if (!entries)
		entries = 1;
	/* A NaN factor compares false: never bloated. */
	return (double)capacity >= opts->bloat_factor * (double)entries;
}

double judge__per_minute(uint64_t first, uint64_t last, uint64_t first_ns, uint64_t last_ns)
{
	double diff;

	if (last_ns <= first_ns)
		return 0.0;
	/* Subtract in integers so large counts keep their low digits. */
	if (last >= first)
		diff = (double)(last - first);
	else
		diff = -(double)(first - last);
	return diff * 60e9 / (double)(last_ns - first_ns);
}

const char *verdict__str(enum verdict v)
{
	switch (v) {
	case VERDICT_GROWING:
		return "growing";
	case VERDICT_LEAK:
		return "leak";
	case VERDICT_PLATEAU:
		return "plateau";
	case VERDICT_SHRINKING:
		return "shrinking";
	case VERDICT_GONE:
		return "gone";
	}
	return "unknown";
}

int verdict__rank(enum verdict v)
{
	switch (v) {
	case VERDICT_LEAK:
		return 0;
	case VERDICT_GROWING:
		return 1;
	case VERDICT_PLATEAU:
		return 2;
	case VERDICT_SHRINKING:
		return 3;
	case VERDICT_GONE:
		return 4;
	}
	return 5;
}
