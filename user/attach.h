/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * attach: the BPF object's lifecycle and its uprobe attachments.
 *
 * Contract: attacher__new() opens and loads the one BPF object (skeleton)
 * with its knobs set.  attacher__add_binary() attaches every selected probe
 * point of a Go executable exactly once per (device, inode), however many
 * processes run it; the binary gets a slot in the layouts table and each
 * point a slot in probe_specs, named by the BPF cookie.  Given a pid, the
 * attachment is made with the kernel's pid filter (uprobe_multi's pid,
 * perf_event_open's pid): the breakpoints are installed in that process
 * only, and other processes of the same file never trap; pid -1 covers every
 * process of the file (the daemon).  Several pids of one file share the
 * binary's slot and cookies, each with its own kernel links.  Binaries are
 * reference counted: attacher__put_binary() detaches on the last put.
 *
 * A probe plan holds for the file content it was parsed from, and the
 * kernel keeps a uprobe on the inode for as long as it is attached: a file
 * copied in place over a probed binary would get breakpoints at the old
 * program's offsets in every new process.  So attacher__add_binary() takes
 * the identity the plan was parsed from (fileid.h), checks it against the
 * file it opens (fstat) and refuses with -ESTALE when they differ, and
 * attacher__drop_pid() takes a process's breakpoints off as soon as it is
 * gone, keeping the slot (cookies, hit counts) for the reports.
 * Nothing is ever written to a target process.
 */
#ifndef ATTACH_H
#define ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "fileid.h"
#include "gobin.h"
#include "probes.h"

struct attacher;
struct bpf_map;

struct attacher_opts {
	size_t sz;		/* sizeof(struct attacher_opts), libbpf-style */
	enum probes_mode mode;
	bool filter_pids;	/* only tgids added with attacher__add_pid() */
	bool lifecycle;		/* exec/exit tracepoints */
	bool verbose;		/* libbpf debug output */
	/*
	 * Attach with perf_event uprobes, one per point, even where the kernel
	 * has uprobe_multi (>= 6.6): the older kernels' path, on a new one.
	 */
	bool no_uprobe_multi;
};

struct attacher *attacher__new(const struct attacher_opts *opts, struct gm_err *err);
void attacher__free(struct attacher *att);

/*
 * Attach BIN (at PATH, parsed from the file identity ID) for process PID,
 * or for every process of the file when PID is -1.  Returns the binary slot
 * (>= 0), or -errno with a reason: -ESTALE when the file PATH opens is no
 * longer ID (rewritten since the parse: parse it again), or when the inode
 * is attached with other content and still has breakpoints in a process.
 */
int attacher__add_binary(struct attacher *att, const char *path, const struct gobin *bin,
			 const struct fileid *id, pid_t pid, struct gm_err *err);
/*
 * Take PID's breakpoints off the binary in SLOT now (PID -1: the unit that
 * covers every process); the slot, its cookies and hit counts stay until
 * the last put.  Synchronous: the kernel has unregistered the uprobes when
 * it returns.
 */
void attacher__drop_pid(struct attacher *att, int slot, pid_t pid);
void attacher__put_binary(struct attacher *att, int slot);
int attacher__binary_cnt(const struct attacher *att);
/* Attachment points of a binary slot (for metrics and reports). */
int attacher__points(const struct attacher *att, int slot, int *first_spec, int *cnt);

int attacher__add_pid(struct attacher *att, pid_t pid);
void attacher__remove_pid(struct attacher *att, pid_t pid);

/* --exact: count mallocgc calls of this bucket/group type in this process. */
int attacher__watch_bucket_type(struct attacher *att, pid_t pid, uint64_t type_addr);

struct bpf_map *attacher__events(const struct attacher *att);
/* GM_EVENT_OVER_BUDGET records, in a ring of their own. */
struct bpf_map *attacher__alarms(const struct attacher *att);
/* Sum of a per-CPU counter (enum gm_counter). */
uint64_t attacher__counter(const struct attacher *att, int counter);
/* Hits of one attachment (spec index), summed over CPUs. */
uint64_t attacher__probe_hits(const struct attacher *att, int spec_idx);
/* What a spec index means: its kind and function name (static). */
int attacher__spec_info(const struct attacher *att, int spec_idx, enum gm_probe_kind *kind,
			const char **function);

/*
 * Overhead governor: take points of one binary off or put them back, in
 * one re-attachment.
 */
int attacher__set_points(struct attacher *att, const int *spec_idx, int cnt, bool on,
			 struct gm_err *err);
/*
 * Raise GM_EVENT_OVER_BUDGET when a process hits probes this many times
 * within GM_ALARM_WINDOW_NS (0: never).
 */
void attacher__set_alarm(struct attacher *att, uint32_t hits_per_window);
/* Hits of all probes in one process (BPF LRU table); 0 when unknown. */
uint64_t attacher__proc_hits(const struct attacher *att, pid_t pid);
void attacher__forget_proc(struct attacher *att, pid_t pid);
/*
 * Open pid's hit accounting now with no start allowance (before its first
 * hit: afterwards the entry exists and this does nothing).  0 or -errno.
 */
int attacher__no_start_allowance(struct attacher *att, pid_t pid);
/*
 * Cost of one probe hit on this host, in seconds: times a function of our
 * own with and without a uprobe on it (the same BPF program, which returns
 * early for a process it does not trace).
 */
int attacher__calibrate(struct attacher *att, double *cost_s, struct gm_err *err);

#endif /* ATTACH_H */
