/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * target: one traced process — its pid, command name, executable, load bias
 * — and the reads of its memory that cost it nothing (process_vm_readv).
 *
 * Contract: target__init() reads /proc/PID/{comm,exe}; every /proc read is
 * bounded and parsed defensively (the process may die at any moment, and
 * its comm is attacker-chosen).  The load bias (runtime address minus
 * link-time address; 0 for non-PIE) is resolved from /proc/PID/maps on first
 * use and after exec.  Memory is only ever read, never written.
 */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "fileid.h"
#include "gobin.h"
#include "u64map.h"

/*
 * An exec seen in a traced process (trace): the program it left and the
 * one it runs now; whether the new image is traced (a Go executable,
 * attached for this pid) or why not.
 */
struct target_exec {
	unsigned int cnt;	/* execs seen while traced (0: none) */
	uint64_t at_ns;		/* the latest, CLOCK_MONOTONIC */
	char *from;		/* executable before the latest exec (owned) */
	char *to;		/* executable it exec'd (owned) */
	bool followed;		/* the new image is traced under the same pid */
	char why[256];		/* not followed: why ("" when followed) */
};

struct target {
	pid_t pid;
	char comm[32];
	char exe[4096];		/* readlink of /proc/PID/exe, for reports */
	struct gobin *bin;	/* borrowed: owned by whoever opened it */
	int bin_slot;		/* attacher slot */
	uint64_t bias;
	bool bias_known;
	bool exited;
	int exit_status;	/* wait status when we are its parent; -1 unknown */
	uint64_t start_ns;	/* when tracing started (CLOCK_MONOTONIC) */
	bool held;		/* started by us and held until every probe was in */
	/* pc -> its innermost frame outside the Go runtime (symbolizing is the hot path) */
	struct u64map user_frames;
	struct target_exec exec;
};

struct tloc {
	const char *function, *file;	/* NULL: unknown; point into the binary */
	int line;
};

/*
 * Where procfs is read: "/proc" unless target__set_proc_root() named
 * another mount of it.  Every /proc read of gomaptrace goes through it
 * (discovery, /proc/PID/{exe,comm,stat,maps,cgroup}, /proc/self/fd for
 * attaching).  The root must be a procfs of our own pid namespace: the
 * pids in it are the ones the kernel's tracepoints, uprobe pid filters
 * and process_vm_readv() speak of.  Paths from here fit TARGET_PATH_MAX.
 */
#define TARGET_PATH_MAX 256
#define TARGET_PROC_ROOT_MAX 160
const char *target__proc_root(void);
/* 0, or -errno with the reason: not a directory, not procfs, another pid namespace. */
int target__set_proc_root(const char *dir, struct gm_err *err);
/* "<root>/PID/NAME" (pid <= 0: "<root>/self/NAME"; NAME NULL: "<root>/PID"). */
void target__proc_path(char *buf, size_t len, pid_t pid, const char *name);
/* One line of /proc/PID/maps. */
struct target_mapping {
	uint64_t start, end, offset, ino;
	unsigned int dev_major, dev_minor;
	char perms[8];		/* "r-xp" */
	const char *path;	/* "" when anonymous; valid during the callback only */
};
/*
 * The one /proc/PID/maps reader (through the proc root; pid <= 0: our
 * own): fn is called for each mapping in order until it returns non-zero.
 * Returns what fn returned last, 0 after the last line, or -errno when the
 * file cannot be opened.  A line too long to read whole is passed over.
 */
int target__each_mapping(pid_t pid, int (*fn)(const struct target_mapping *m, void *ctx), void *ctx);
/* Path to attach/open: "<root>/PID/exe" (works across mount namespaces). */
void target__exe_link(pid_t pid, char *buf, size_t len);
/*
 * Parse the Go executable at PATH into *BIN and record in *ID the file
 * identity it was parsed from (fileid.h).  The file is stat'ed before and
 * after the parse: a change in between (a build copied over it) is -ESTALE,
 * so a probe plan is never made of an old file and attached to a new one.
 * A path that is gone by then (its process exited) is -errno of the stat;
 * other failures are -EINVAL with the reason, the path not in it.
 */
int target__open_bin(const char *path, struct gobin **bin, struct fileid *id, struct gm_err *err);
int target__init(struct target *t, pid_t pid, struct gobin *bin, struct gm_err *err);
/* Release what target__init and later lookups allocated (not the struct). */
void target__fini(struct target *t);
/*
 * The process exec'd: record it in t->exec (from: the exe it had, to: the
 * one it has now), and forget what belonged to the old image (cached
 * frames, load bias).  With BIN (the new image, parsed), the target is
 * that program from now on: bin, exe, comm and bias are the new image's,
 * exited and exit_status reset.  Without, the target stays the old image
 * for the report, marked exited.  0, or -errno when /proc/PID/exe cannot
 * be read (gone again).
 */
int target__exec(struct target *t, struct gobin *bin, uint64_t now_ns);
void target__refresh_comm(struct target *t);
/* Find the executable's mapping with file offset 0 in /proc/PID/maps. */
int target__resolve_bias(struct target *t);
/* true if /proc/PID exists and is not a zombie */
bool target__alive(pid_t pid);
/* Why pid cannot be traced at all (gone, a zombie, a kernel thread), or NULL. */
const char *target__untraceable(pid_t pid);

/*
 * Read `size` bytes at each of cnt addresses into out[i * size], in as few
 * process_vm_readv calls as possible; ok[i] says whether read i succeeded.
 * Returns how many succeeded, or -ESRCH when the process is gone.
 */
ssize_t target__read_many(pid_t pid, const uint64_t *addrs, size_t cnt, size_t size,
			  void *out, bool *ok);
int target__read(pid_t pid, uint64_t addr, void *buf, size_t len);

/*
 * Source frames of a runtime pc of this process, innermost first.  ret_addr:
 * pc is a return address, so the call instruction is the byte before it.
 * Returns the number of frames (0 if unknown) — never more than max.
 */
int target__symbolize(const struct target *t, uint64_t pc, bool ret_addr,
		      struct pcln_frame *frames, int max);

/*
 * The innermost frame of pc outside the Go runtime (runtime.*,
 * internal/runtime/...), inlined frames included; false if pc has none.
 * Cached per pc: stacks repeat, and decoding pclntab is the costly part.
 */
bool target__user_frame(struct target *t, uint64_t pc, bool ret_addr, struct tloc *loc);
/* Is runtime.mapdelete* among the frames of PC (cached as above)? */
bool target__in_mapdelete(struct target *t, uint64_t pc, bool ret_addr);

uint64_t gm_now_ns(void);	/* CLOCK_MONOTONIC, same clock as bpf_ktime_get_ns */

#endif /* TARGET_H */
