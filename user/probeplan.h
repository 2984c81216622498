/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * probeplan: where, in one Go binary, the map probes go and what they read.
 *
 * Contract: probeplan__new() decides the map implementation from what the
 * binary contains (growth functions present, experiment suffix), never from
 * the version number alone; fills the struct layout shared with BPF
 * (include/gomaptrace.h); and for every runtime map function of interest
 * finds its address and file offset (from pclntab, so stripped binaries
 * work), decodes it with Capstone to find the post-prologue point (the
 * instruction after the first one that writes RBP) and every RET
 * instruction.  Functions the binary lacks are reported as absent, or as
 * inlined when an inline tree names them.  The plan borrows the goelf and
 * pclntab, which must outlive it.
 */
#ifndef PROBEPLAN_H
#define PROBEPLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "gomaptrace.h"
#include "goelf.h"
#include "pclntab.h"
#include "buildinfo.h"

#define PROBEPLAN_MAX_RETS 64

enum probe_fn_state {
	PROBE_FN_PRESENT,
	PROBE_FN_INLINED,	/* only in inline trees: a uprobe would never fire */
	PROBE_FN_ABSENT,
};

struct probe_fn {
	const char *name;		/* static string */
	enum probe_fn_state state;
	/*
	 * size is the code without the linker's trailing INT3 alignment
	 * padding (what `go tool nm -size` prints); span is pclntab's
	 * end - entry, padding included.
	 */
	uint64_t vaddr, file_off, size;
	uint64_t post_prologue_off;	/* file offset; 0 when none was found */
	uint64_t ret_offs[PROBEPLAN_MAX_RETS];	/* file offsets of RET instructions */
	int ret_cnt;
	bool rets_truncated;		/* more RETs than PROBEPLAN_MAX_RETS */
	/* Added after the original contract: */
	uint64_t span;
	/*
	 * Capstone met bytes it could not decode before the end: RETs past
	 * that point are unknown, so RET probes on this function would miss
	 * returns.  Offsets that were found are still instruction boundaries.
	 */
	bool decode_failed;
	/*
	 * No instruction before the post-prologue point writes an integer
	 * argument register: a probe there still sees the arguments in
	 * RAX, RBX, RCX, ...  Meaningless when post_prologue_off is 0.
	 */
	bool args_intact;
	/* Direct JMPs out of the function: returns that are not RETs. */
	int tail_jmps;
	/*
	 * File offset of the first INT3 before the end of the code, else 0.
	 * Go emits none there.  Another tracer's uprobe shows as one through
	 * a private mapping of the file; probeplan__new() then decodes the
	 * bytes read() returns, and refuses the plan if the INT3 stays.
	 */
	uint64_t int3_off;
	/*
	 * Where the function keeps its first two arguments (RAX, RBX) across
	 * its first CALL: the frame-pointer-relative offset of the first
	 * 8-byte store of each register to the stack before that CALL, made
	 * while the register still held the argument.  GM_SLOT_ABSENT when
	 * there is none.  A caller's probe reads them through the frame
	 * chain (classic hashGrow's h, makeBucketArray's t).
	 */
	int16_t arg_slot[2];
};

struct probeplan {
	enum gm_map_impl impl;
	struct gm_layout layout;
	struct probe_fn *fns;
	size_t fn_cnt;
};

/* The last release with classic maps (GOEXPERIMENT=noswissmap). */
#define PROBEPLAN_CLASSIC_LAST		25

struct probeplan *probeplan__new(const struct goelf *elf, const struct pclntab *tab,
				 const struct go_buildinfo *bi, struct gm_err *err);
void probeplan__free(struct probeplan *plan);
/* The entry for a function name, or NULL if the plan does not cover it. */
const struct probe_fn *probeplan__fn(const struct probeplan *plan, const char *name);
/*
 * Decode one function's machine code (exposed for unit tests): fn->vaddr
 * and fn->file_off must be set; fills size, span, post_prologue_off,
 * ret_offs and the flags.  Returns 0 or -errno (-E2BIG past 256 KiB).
 */
int probeplan__decode(const uint8_t *code, uint64_t len, struct probe_fn *fn);
/* gomap__impl_name(), under the name the fuzz target calls it by. */
const char *probeplan__impl_name(enum gm_map_impl impl);
/* "present" / "inlined" / "absent". */
/*
 * Was impl's layout checked against the runtime sources of bi's release?
 * Classic: 1.17 to PROBEPLAN_CLASSIC_LAST; swiss: 1.24 to newest_minor,
 * the newest release the test matrix pins (gobin passes build/gm_tested.h's
 * GM_NEWEST_TESTED_MINOR: one source of truth).  Outside that range the
 * plan holds the newest known offsets, used only while gobin's runtime
 * self-check passes.
 */
bool probeplan__layout_checked(enum gm_map_impl impl, const struct go_buildinfo *bi,
			       int newest_minor);
const char *probeplan__state_name(enum probe_fn_state state);

#endif /* PROBEPLAN_H */
