/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * governor: keeps the always-on probing cost of each traced process under a
 * budget (a fraction of one CPU), by taking the hottest probe points of its
 * executable off and duty-cycling them back on.
 *
 * Contract: the BPF side raises an alarm (GM_EVENT_OVER_BUDGET) within one
 * GM_ALARM_WINDOW_NS of a process going over budget; governor__alarm()
 * then detaches the executable's hottest points at once, so a hot process
 * pays for milliseconds, not for a tick.  governor__timers() is called
 * every loop (cheap: no map reads) and opens and closes the on-windows:
 * shed points come back on every cycle; an alarm inside the window takes
 * them off again within milliseconds, and a window without an alarm means
 * the process calmed down and restores full probing.  The cycle is long
 * enough that the measured cost of the on-windows averages to half the
 * budget.  governor__tick(), about once a second, reads hit counts (per
 * process and per point) for the overhead estimates, and sheds on its own
 * when an alarm was lost.  Leaks are still found: points that stay cold in
 * a churning process are never shed (Swiss-table splits only happen in
 * maps past 1024 slots), and the entry counts of known maps come from
 * memory reads.
 */
#ifndef GOVERNOR_H
#define GOVERNOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "attach.h"

struct governor_opts {
	size_t sz;
	double max_overhead;	/* fraction of one CPU per process (0.01) */
	double cost_s;		/* calibrated cost of one hit */
	uint64_t on_ns;		/* an on-window without alarm this long: calm (1 s) */
	uint64_t min_cycle_ns;	/* shortest duty cycle (15 s) */
	uint64_t max_cycle_ns;	/* longest duty cycle (60 s) */
	/*
	 * Start allowance, in seconds of budget (0: none): a process may
	 * spend this much budget more in its first GM_ALARM_START_NS (10 s)
	 * before it raises an alarm, once.  At 0.01 of a CPU, 50 s of budget
	 * is 0.5 CPU-seconds: a real program's start (Prometheus: ~35,000
	 * hits) is traced whole.  Rounded to GM_ALARM_START_UNIT windows, at
	 * most 2040 windows (204 s).
	 */
	double start_allowance_s;
	bool verbose;
};

struct governor_proc {
	pid_t pid;
	int slot;		/* attacher binary slot */
	const char *comm;
};

struct governor;
/* A binary just attached at slot: its hit counts now are the baseline. */
void governor__add_slot(struct governor *gov, int slot, uint64_t now_ns);

/* Also arms the BPF alarm (attacher__set_alarm) from budget and cost. */
struct governor *governor__new(const struct governor_opts *opts, struct attacher *att);
void governor__free(struct governor *gov);
/*
 * The cost of one hit as measured while running (user/probecost.h: trap +
 * BPF run time): the unit of the overhead estimates and of the plans from
 * now on; the BPF alarm is re-armed when it moved by more than 10 %.
 * Ignored when 0.
 */
void governor__set_cost(struct governor *gov, double cost_s);
void governor__tick(struct governor *gov, const struct governor_proc *procs, size_t cnt,
		    uint64_t now_ns);
/*
 * GM_EVENT_OVER_BUDGET from a process running the binary in slot (points
 * belong to binaries, so that is what sheds); window_ns is how long its
 * alarm window took to fill (the event's arg2).
 */
void governor__alarm(struct governor *gov, int slot, uint64_t window_ns, uint64_t now_ns);
/* Opens and closes on-windows whose time has come. */
void governor__timers(struct governor *gov, uint64_t now_ns);
/* A process exited: forget its counters. */
void governor__forget(struct governor *gov, pid_t pid);
/* A binary was detached: forget its state. */
void governor__forget_slot(struct governor *gov, int slot);
/* Estimated overhead (fraction of one CPU) of a process over the last tick. */
double governor__overhead(const struct governor *gov, pid_t pid);
/* Points currently taken off, over all binaries. */
uint64_t governor__shed_points(const struct governor *gov);
/* Points of this binary slot are off or duty-cycled. */
bool governor__slot_shed(const struct governor *gov, int slot);
/* Alarms acted on since start. */
uint64_t governor__alarms(const struct governor *gov);

/*
 * The decision, pure for tests: given per-point hit rates (hits/s) of one
 * executable and the cost of a hit, how many of the hottest points to shed
 * so the remainder costs at most target (fraction of one CPU).  order[]
 * receives point indexes, hottest first.
 */
int governor__plan(const double *rates, int n, double cost_s, double target, int *order);
/* Duty cycle over which an on-window that cost on_cost_s CPU-seconds averages to budget. */
uint64_t governor__cycle_ns(double on_cost_s, double budget, uint64_t min_ns, uint64_t max_ns);
/* Hits per GM_ALARM_WINDOW_NS that cost budget; 0 (no alarm) without a cost. */
uint32_t governor__alarm_hits(double budget, double cost_s);
/*
 * The BPF alarm word: governor__alarm_hits() in the low 24 bits, the start
 * allowance (seconds of budget) in GM_ALARM_START_UNIT windows above them
 * (include/gomaptrace.h); 0 without a cost.
 */
uint32_t governor__alarm_word(double budget, double cost_s, double start_allowance_s);
/*
 * Hits the start allowance still lets a process spend: how much of it a
 * process that first hit at first_ns and has hit hits times since may still
 * use at now_ns (for the tick, which must not shed a process the alarm
 * lets through).  0 once the allowance is over.
 */
uint64_t governor__start_hits_left(uint32_t alarm_word, uint64_t first_ns, uint64_t hits,
				   uint64_t now_ns);

#endif /* GOVERNOR_H */
