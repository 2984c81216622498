/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * judge: verdicts on entry-count series.  Pure functions, no I/O, no clock:
 * everything they decide on is in their arguments, so they are unit-tested
 * on synthetic series.
 *
 * Contract: a caller (the tracker) cuts time into windows (equal, or widening)
 * and, per map or per site, records one struct judge_window per closed
 * window: the net change of entries over the window and whether any sample
 * inside it went down.  judge__verdict() reads the most recent windows and
 * says leak / growing / plateau / sawtooth / shrinking / gone, with the
 * evidence that led there and the windows it rests on.
 */
#ifndef JUDGE_H
#define JUDGE_H

#include <stdbool.h>
#include <stdint.h>

enum verdict {
	VERDICT_GROWING = 0,	/* the newest window rose (or no window closed yet) */
	VERDICT_LEAK,		/* rose in each of >= min_windows consecutive windows, no fall */
	VERDICT_PLATEAU,	/* no real net change, whatever the churn inside */
	VERDICT_SHRINKING,	/* a real net decrease over the judged windows */
	VERDICT_GONE,		/* process exited or map address reused */
	VERDICT_SAWTOOTH,	/* emptied (mostly) and filled again: bounded by clears */
};

struct judge_opts {
	int min_windows;	/* consecutive rising windows for leak (default 5) */
	uint64_t min_growth;	/* entries gained over those windows to call it a leak (default 32) */
	/*
	 * Those rising windows must also span this long (0: no such rule).
	 * With windows that start short and widen, it keeps a warm-up from
	 * passing for a leak.
	 */
	uint64_t min_span_ns;
	double bloat_factor;	/* capacity / entries at or above this is bloated (default 8) */
	uint64_t bloat_min_capacity;	/* small maps are never bloated (default 1024 slots) */
};

/*
 * One closed window.  delta should be taken from the last sample of the
 * previous window (not the first of this one), so that a drop between two
 * windows lands in one of them.  An unsampled window (a sampling hiccup) is
 * skipped: it neither extends nor breaks a rising run and does not count
 * toward min_windows, unless it still reports a decrease (drop or
 * delta < 0), which is always honoured.
 */
struct judge_window {
	int64_t delta;		/* entries at window end minus entries at window start */
	uint64_t drop;		/* largest fall inside the window: from the highest sample
				 * so far (its start included) down to a later one */
	uint64_t low;		/* the lowest sample after that fall (end when drop is 0) */
	uint64_t end;		/* entries at window end */
	uint64_t ns;		/* how long the window was (0: unknown) */
	bool sampled;		/* at least two samples fell in the window */
};

struct judge_evidence {
	int rising_windows;		/* consecutive rising windows ending at the newest
					 * (rising: sampled, delta > 0, no fall beyond noise) */
	int windows;			/* windows considered (n, sampled or not) */
	int64_t growth_in_rising;	/* entries gained over those rising windows (saturates) */
	int windows_since_decrease;	/* windows after the newest one with a fall
					 * (0: the newest fell); -1: none in the series */
	/* the windows the verdict rests on: the rising run for a leak, else
	 * the newest min_windows windows that say something */
	int judged_windows;
	int64_t judged_delta;		/* net change over them (saturates) */
	uint64_t judged_ns;		/* their length */
};

void judge_opts__init(struct judge_opts *opts);	/* the defaults above */

/*
 * windows[0] is the oldest, windows[n-1] the newest closed window.  gone
 * short-circuits to VERDICT_GONE (ev is still filled).  ev may be NULL; opts
 * may be NULL for the defaults.  Noise: a change of at most 2 + level/64
 * entries.  First match wins:
 *   leak       rising run >= min_windows, its growth >= min_growth and its
 *              span >= min_span_ns;
 *   sawtooth   among the judged windows and as many before them, a fall
 *              of at least min_growth entries and a third of the level
 *              before it (a clear), and a refill after it: the level climbs
 *              back from the clear's bottom, in that window or a later one,
 *              by min_growth, a third of the fall and noise at least;
 *   shrinking  the newest level is more than noise below the highest of
 *              the judged windows, and the newest window is not rising
 *              (judged from that peak on);
 *   growing    the newest window is rising and the judged net is > 0;
 *   plateau    anything else judged (flat, churning at a constant size);
 *   growing    no window says anything yet.
 */
enum verdict judge__verdict(const struct judge_opts *opts, const struct judge_window *windows,
			    int n, bool gone, struct judge_evidence *ev);

/* Signed entries per minute over the judged windows; 0 when their length is unknown. */
double judge__rate(const struct judge_evidence *ev);

/*
 * Go maps never shrink their buckets/groups: capacity far above entries.
 * True iff capacity >= bloat_min_capacity and capacity >= bloat_factor *
 * max(entries, 1).  opts may be NULL for the defaults.
 */
bool judge__bloated(const struct judge_opts *opts, uint64_t capacity, uint64_t entries);

/* Signed growth per minute from two samples; 0 unless last_ns > first_ns. */
double judge__per_minute(uint64_t first, uint64_t last, uint64_t first_ns, uint64_t last_ns);

const char *verdict__str(enum verdict v);	/* "leak", "growing", ... */
/* Order for reports: leak first, then growing, plateau, sawtooth, shrinking, gone. */
int verdict__rank(enum verdict v);

#endif /* JUDGE_H */
