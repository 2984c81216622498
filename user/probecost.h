/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * probecost: what the probes really cost, measured rather than modelled.
 *
 * A hit costs the trap (breakpoint, uprobe dispatch, return to the target:
 * calibrated at start by attacher__calibrate on a point of our own) plus
 * the BPF program's run time, which varies with what the point does (a
 * creation walks the stack and writes a record; a shed-able growth point
 * reads the map header).  The second is measured by the kernel:
 * BPF_ENABLE_STATS(BPF_STATS_RUN_TIME) turns on run_time_ns / run_cnt in
 * bpf_prog_info for as long as the returned fd stays open (the kernel keeps
 * a count of holders; closing ours turns them off unless someone else holds
 * one).  Cost per hit = trap + run_time_ns / run_cnt of our uprobe programs.
 *
 * Our programs are found without the skeleton: the kprobe-type programs
 * (uprobes) that use this attacher's events ring buffer.
 */
#ifndef PROBECOST_H
#define PROBECOST_H

#include <stdint.h>
#include "attach.h"

struct probecost;

struct probecost_snap {
	uint64_t run_ns;	/* BPF run time of our uprobe programs since probecost__new */
	uint64_t run_cnt;	/* their runs (every hit, traced or filtered out) */
	double trap_s;		/* calibrated trap cost of one hit */
	double hit_s;		/* trap + run_ns / run_cnt (trap alone before any run) */
	int stats;		/* 1: the kernel's run-time statistics are on */
};

/* trap_s: the calibrated cost of one hit (0: unknown).  NULL only without memory. */
struct probecost *probecost__new(struct attacher *att, double trap_s);
void probecost__free(struct probecost *pc);
/* Reads the counters now. */
void probecost__read(struct probecost *pc, struct probecost_snap *out);
/* Cost of one hit from the last read (0: unknown). */
double probecost__hit_s(const struct probecost *pc);

#endif /* PROBECOST_H */
