/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * governor: keeps the always-on probing cost of each traced process under a
 * budget (a fraction of one CPU), by taking the hottest probe points of its
 * executable off and duty-cycling them back on.
 *
 * Contract: governor__tick() is called about once a second with the traced
 * processes.  It reads hit counts from the attacher (per process and per
 * point), estimates each process's overhead as hits/s x the calibrated cost
 * of one hit, and, for an executable whose processes exceed the budget,
 * detaches its hottest points until the rest fit in half the budget.  Shed
 * points come back on for a short window each cycle; the cycle is long
 * enough that the average stays within budget, and a window that measures
 * the process under budget restores full probing.  Leaks are still found:
 * the entry counts of known maps come from memory reads, and a growing map
 * keeps producing growth events that the on-windows catch.
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
	uint64_t on_ns;		/* length of an on-window while shed (1 s) */
	uint64_t max_cycle_ns;	/* longest duty cycle (60 s) */
	bool verbose;
};

struct governor_proc {
	pid_t pid;
	int slot;		/* attacher binary slot */
	const char *comm;
};

struct governor;

struct governor *governor__new(const struct governor_opts *opts, struct attacher *att);
void governor__free(struct governor *gov);
void governor__tick(struct governor *gov, const struct governor_proc *procs, size_t cnt,
		    uint64_t now_ns);
/* A process exited: forget its counters. */
void governor__forget(struct governor *gov, pid_t pid);
/* A binary was detached: forget its state. */
void governor__forget_slot(struct governor *gov, int slot);
/* Estimated overhead (fraction of one CPU) of a process over the last tick. */
double governor__overhead(const struct governor *gov, pid_t pid);
/* Points currently taken off, over all binaries. */
uint64_t governor__shed_points(const struct governor *gov);

/*
 * The decision, pure for tests: given per-point hit rates (hits/s) of one
 * executable and the cost of a hit, how many of the hottest points to shed
 * so the remainder costs at most target (fraction of one CPU).  order[]
 * receives point indexes, hottest first.
 */
int governor__plan(const double *rates, int n, double cost_s, double target, int *order);
/* Duty cycle length so that on_ns at overhead_on averages to budget. */
uint64_t governor__cycle_ns(uint64_t on_ns, double overhead_on, double budget, uint64_t max_ns);

#endif /* GOVERNOR_H */
