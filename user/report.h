/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * report: the end-of-session (and interim) report of `gomaptrace trace`,
 * as text for people and as JSON for machines (schema: docs/report.md).
 *
 * Contract: report__text()/report__json() only read the tracker and the
 * session facts passed in; they never touch BPF or the targets, except to
 * symbolize stacks through each target's pclntab.
 */
#ifndef REPORT_H
#define REPORT_H

#include "probecost.h"
#include <stdbool.h>
#include <stdio.h>
#include "tracker.h"

struct report_session {
	struct target **targets;
	size_t target_cnt;
	const char *mode;		/* "default" | "exact" */
	double duration_s;
	uint64_t events_received, events_lost, events_malformed;
	uint64_t probe_hits;
	uint64_t probe_hits_untraced;	/* hits in processes not traced (BPF counter) */
	double probe_cost_s;		/* one hit, calibrated at start; 0 unknown */
	/*
	 * What a hit really cost: the calibrated trap plus the BPF programs'
	 * run time per hit, measured by the kernel (cost.stats 0: not measured,
	 * cost.hit_s is then the trap alone).
	 */
	struct probecost_snap cost;
	double window_s;		/* the (first) window */
	double window_max_s;		/* widening windows end at this; 0: fixed */
	double min_span_s;		/* a leak's rising windows span this; 0: no rule */
	int min_windows;		/* rising windows a leak needs */
	bool final;			/* false for --interval reports */
	/* the probe budget (trace --max-overhead): 0 none, said; < 0 none, not said */
	double max_overhead;
	uint64_t gov_alarms, shed_points_max;
	double shed_s;			/* time with probes shed or duty-cycled */
};

void report__text(FILE *out, const struct tracker *tr, const struct report_session *rs);
int report__json(FILE *out, const struct tracker *tr, const struct report_session *rs);


#endif /* REPORT_H */
