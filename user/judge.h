/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * judge: verdicts on entry-count series.  Pure functions, no I/O, no clock:
 * everything they decide on is in their arguments, so they are unit-tested
 * on synthetic series.
 *
 * Contract: a caller (the tracker) cuts time into windows of equal length
 * and, per map or per site, records one struct judge_window per closed
 * window: the net change of entries over the window and whether any sample
 * inside it went down.  judge__verdict() reads the most recent windows and
 * says leak / growing / plateau / shrinking / gone, with the evidence that
 * led there.
 */
#ifndef JUDGE_H
#define JUDGE_H

#include <stdbool.h>
#include <stdint.h>

enum verdict {
	VERDICT_GROWING = 0,	/* rising, or too little evidence yet */
	VERDICT_LEAK,		/* rose in each of >= min_windows consecutive windows, no decrease */
	VERDICT_PLATEAU,	/* stopped rising */
	VERDICT_SHRINKING,	/* fell, or sawtooth (filled then cleared) */
	VERDICT_GONE,		/* process exited or map address reused */
};

struct judge_opts {
	int min_windows;	/* consecutive rising windows for leak (default 5) */
	uint64_t min_growth;	/* entries gained over those windows to call it a leak (default 32) */
	double bloat_factor;	/* capacity / entries at or above this is bloated (default 8) */
	uint64_t bloat_min_capacity;	/* small maps are never bloated (default 1024 slots) */
};

/*
 * One closed window.  delta should be taken from the last sample of the
 * previous window (not the first of this one), so that a drop between two
 * windows lands in one of them.  An unsampled window (a sampling hiccup) is
 * skipped: it neither extends nor breaks a rising run and does not count
 * toward min_windows, unless it still reports a decrease (decreased or
 * delta < 0), which is always honoured.
 */
struct judge_window {
	int64_t delta;		/* entries at window end minus entries at window start */
	bool decreased;		/* some sample in the window was below the one before */
	bool sampled;		/* at least two samples fell in the window */
};

struct judge_evidence {
	int rising_windows;		/* consecutive rising windows ending at the newest
					 * (rising: sampled, delta > 0, no decrease) */
	int windows;			/* windows considered (n, sampled or not) */
	int64_t growth_in_rising;	/* entries gained over those rising windows (saturates) */
	int windows_since_decrease;	/* windows after the newest one with a decrease
					 * (0: the newest decreased); -1: none in the series */
};

void judge_opts__init(struct judge_opts *opts);	/* the defaults above */

/*
 * windows[0] is the oldest, windows[n-1] the newest closed window.  gone
 * short-circuits to VERDICT_GONE (ev is still filled).  ev may be NULL; opts
 * may be NULL for the defaults.  First match wins:
 *   leak       rising run >= min_windows and its growth >= min_growth;
 *   shrinking  a decrease (decreased or delta < 0) in the newest window or
 *              among the most recent min_windows sampled windows (sawtooth);
 *   plateau    the newest sampled window has delta 0, and so does the one
 *              before it when there is one;
 *   growing    anything else, including too few windows to say.
 */
enum verdict judge__verdict(const struct judge_opts *opts, const struct judge_window *windows,
			    int n, bool gone, struct judge_evidence *ev);

/*
 * Go maps never shrink their buckets/groups: capacity far above entries.
 * True iff capacity >= bloat_min_capacity and capacity >= bloat_factor *
 * max(entries, 1).  opts may be NULL for the defaults.
 */
bool judge__bloated(const struct judge_opts *opts, uint64_t capacity, uint64_t entries);

/* Signed growth per minute from two samples; 0 unless last_ns > first_ns. */
double judge__per_minute(uint64_t first, uint64_t last, uint64_t first_ns, uint64_t last_ns);

const char *verdict__str(enum verdict v);	/* "leak", "growing", ... */
/* Order for reports: leak first, then growing, plateau, shrinking, gone. */
int verdict__rank(enum verdict v);

#endif /* JUDGE_H */
