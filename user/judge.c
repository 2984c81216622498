// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stddef.h>
#include <stdint.h>
#include "judge.h"

#define DEF_MIN_WINDOWS		5
#define DEF_MIN_GROWTH		32
#define DEF_BLOAT_FACTOR	8.0
#define DEF_BLOAT_MIN_CAP	1024

void judge_opts__init(struct judge_opts *opts)
{
	opts->min_windows = DEF_MIN_WINDOWS;
	opts->min_growth = DEF_MIN_GROWTH;
	opts->min_span_ns = 0;
	opts->bloat_factor = DEF_BLOAT_FACTOR;
	opts->bloat_min_capacity = DEF_BLOAT_MIN_CAP;
}

/* Changes this small are churn or sampling noise, not growth or loss. */
static uint64_t noise(uint64_t level)
{
	return 2 + level / 64;
}

static uint64_t start_of(const struct judge_window *w)
{
	int64_t s = (int64_t)w->end - w->delta;

	return s > 0 ? (uint64_t)s : 0;
}

static uint64_t level_of(const struct judge_window *w)
{
	uint64_t s = start_of(w);

	return s > w->end ? s : w->end;
}

/* Some sample fell beyond noise, or the window ended below where it started. */
static bool window_down(const struct judge_window *w)
{
	return w->delta < 0 || w->drop > noise(level_of(w));
}

/*
 * Net gain, and no fall inside beyond noise or beyond half the gain: a
 * leaking map whose owner also deletes a few keys still rises.
 */
static bool window_rising(const struct judge_window *w)
{
	return w->sampled && w->delta > 0 &&
	       (w->drop <= noise(level_of(w)) || w->drop * 2 <= (uint64_t)w->delta);
}

/* Unsampled and with nothing to say: a hiccup, skipped by every rule. */
static bool window_silent(const struct judge_window *w)
{
	return !w->sampled && w->delta >= 0 && !w->drop;
}

/*
 * A clear: fell by at least min_growth and by a third of the level before
 * the fall (low + drop) or more.  Sampled once a second, a clear and the
 * refill after it may fall between two samples, which then see only part
 * of the fall.
 */
static bool window_cleared(const struct judge_window *w, uint64_t min_growth)
{
	return w->drop >= min_growth && w->drop && 2 * w->drop >= w->low;
}

/*
 * ...and filled again: from the bottom of the clear in window c, the level
 * at the end of c or of a later window climbs back by min_growth, a third
 * of the fall and noise at least.  The rise must come after the fall: a
 * map filled once and then emptied for good (a fill and a mass delete in
 * one window) is no sawtooth, however large the fill.
 */
static bool refilled_after(const struct judge_window *w, int n, int c, uint64_t min_growth)
{
	uint64_t low = w[c].low, need = w[c].drop / 3, hi = 0;
	int k;

	if (need < min_growth)
		need = min_growth;
	if (need < noise(low + w[c].drop))
		need = noise(low + w[c].drop);
	for (k = c; k < n; k++)
		if (w[k].end > hi)
			hi = w[k].end;
	return hi >= low && hi - low >= need;
}

static int64_t add_sat(int64_t sum, int64_t delta)
{
	if (delta > 0 && sum > INT64_MAX - delta)
		return INT64_MAX;
	if (delta < 0 && sum < INT64_MIN - delta)
		return INT64_MIN;
	return sum + delta;
}

/*
 * A clear and a refill after it, the clear among windows from..n-1.  A
 * sawtooth sampled near its tops and bottoms alternates a rising window
 * and a falling one, so a clear is looked for over twice the judged
 * windows: the judged ones alone can hold one clear and no refill yet.
 */
static bool is_sawtooth(const struct judge_window *w, int n, int from, uint64_t min_growth)
{
	int c;

	if (!min_growth)
		min_growth = 1;
	for (c = n - 1; c >= from; c--)
		if (window_cleared(&w[c], min_growth) && refilled_after(w, n, c, min_growth))
			return true;
	return false;
}

enum verdict judge__verdict(const struct judge_opts *opts, const struct judge_window *windows,
			    int n, bool gone, struct judge_evidence *ev)
{
	struct judge_opts defaults;
	struct judge_evidence e = { .windows_since_decrease = -1 };
	const struct judge_window *newest = NULL;
	int min_windows, i, j0, said, peak_at, saw_from;
	uint64_t run_ns = 0, tol, level = 0, peak;
	int64_t net = 0;
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
		run_ns += w->ns;
	}

	for (i = n - 1; i >= 0; i--) {
		if (window_down(&windows[i])) {
			e.windows_since_decrease = n - 1 - i;
			break;
		}
	}

	/* The judged windows: the newest min_windows that say something. */
	for (i = n - 1, said = 0, j0 = n; i >= 0 && said < min_windows; i--) {
		if (window_silent(&windows[i]))
			continue;
		if (!newest)
			newest = &windows[i];
		said++;
		j0 = i;
	}
	/* ...and as many before them, where a sawtooth's clear is looked for */
	for (i = j0 - 1, saw_from = j0; i >= 0 && said < 2 * min_windows; i--) {
		if (window_silent(&windows[i]))
			continue;
		said++;
		saw_from = i;
	}
	/* the highest level among them: a real decrease is a fall from there */
	peak = j0 < n ? start_of(&windows[j0]) : 0;
	peak_at = j0;
	for (i = j0; i < n; i++) {
		net = add_sat(net, windows[i].delta);
		if (level_of(&windows[i]) > level)
			level = level_of(&windows[i]);
		if (windows[i].end > peak) {
			peak = windows[i].end;
			peak_at = i + 1;
		}
	}
	tol = noise(level);

	if (gone)
		v = VERDICT_GONE;
	else if (e.rising_windows >= min_windows &&
		 (uint64_t)e.growth_in_rising >= opts->min_growth && run_ns >= opts->min_span_ns)
		v = VERDICT_LEAK;
	else if (!newest)
		v = VERDICT_GROWING;
	else if (is_sawtooth(windows, n, saw_from, opts->min_growth))
		v = VERDICT_SAWTOOTH;
	else if (peak_at < n && peak - newest->end > tol && !window_rising(newest))
		v = VERDICT_SHRINKING;
	else if (window_rising(newest) && net > 0)
		v = VERDICT_GROWING;
	else
		v = VERDICT_PLATEAU;

	if (v == VERDICT_LEAK) {
		e.judged_windows = e.rising_windows;
		e.judged_delta = e.growth_in_rising;
		e.judged_ns = run_ns;
	} else if (v == VERDICT_SHRINKING) {
		/* from the peak down */
		for (i = peak_at; i < n; i++) {
			e.judged_windows += !window_silent(&windows[i]);
			e.judged_ns += windows[i].ns;
		}
		e.judged_delta = (int64_t)newest->end - (int64_t)peak;
	} else {
		for (i = j0; i < n; i++) {
			e.judged_windows += !window_silent(&windows[i]);
			e.judged_ns += windows[i].ns;
		}
		e.judged_delta = net;
	}
	if (ev)
		*ev = e;
	return v;
}

double judge__rate(const struct judge_evidence *ev)
{
	if (!ev->judged_ns)
		return 0.0;
	return (double)ev->judged_delta * 60e9 / (double)ev->judged_ns;
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
	case VERDICT_SAWTOOTH:
		return "sawtooth";
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
	case VERDICT_SAWTOOTH:
		return 3;
	case VERDICT_SHRINKING:
		return 4;
	case VERDICT_GONE:
		return 5;
	}
	return 6;
}
