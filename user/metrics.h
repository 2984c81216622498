/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics: the daemon's Prometheus exposition (text format 0.0.4).
 *
 * Contract: metrics__render() turns the tracker's sites and the daemon's
 * counters into exposition text.  Series are per (namespace, pod,
 * container, comm, type, site); processes that share a label set are summed
 * so no series repeats.  Per process, the first max_sites sites (in the
 * order they appeared, so membership never changes and counters stay
 * monotonic) get their own series; the rest are summed into site="other".
 * No pid or address labels.  Label values are escaped; names follow the
 * contract of issue 4 (prefix gomaptrace_, base units, _total counters).
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>
#include "gomaptrace.h"
#include "strbuf.h"
#include "tracker.h"

struct metrics_labels {
	const char *namespace, *pod, *container;
};

struct metrics_count {
	const char *label;	/* value of the metric's one label */
	uint64_t value;
};

struct metrics_input {
	const struct tracker *tr;
	void (*labels)(const struct target *t, struct metrics_labels *out, void *ctx);
	void *ctx;
	size_t max_sites;		/* per process */
	const char *version;
	uint64_t targets, binaries_attached;
	uint64_t events, events_lost;
	const struct metrics_count *attach_failures;	/* by reason */
	size_t attach_failure_cnt;
	const struct metrics_count *evictions;		/* by table */
	size_t eviction_cnt;
	const struct metrics_count *probe_hits;		/* by probe */
	size_t probe_hit_cnt;
	/* the BPF side's own counters (GM_CNT_*): hits that made no event, by reason */
	const struct metrics_count *hits_dropped;
	size_t hits_dropped_cnt;
	uint64_t stack_goroutine_unread;	/* GM_CNT_STACK_NO_G */
	/* governor (issue 5) */
	double probe_cost_seconds;
	/* measured: trap + BPF run time per hit; BPF run time and runs of our programs */
	double probe_hit_cost_seconds;
	double probe_bpf_run_seconds;
	uint64_t probe_bpf_runs;
	uint64_t probes_shed;
	uint64_t governor_alarms;
	const struct metrics_count *overhead_ppm;	/* by comm: estimated ratio * 1e6 */
	size_t overhead_cnt;
};

int metrics__render(const struct metrics_input *in, struct strbuf *out);
/* Append a label value escaped per the exposition format. */
void metrics__escape(struct strbuf *out, const char *value);

#endif /* METRICS_H */
