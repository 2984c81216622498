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
	uint64_t vaddr, file_off, size;
	uint64_t post_prologue_off;	/* file offset; 0 when none was found */
	uint64_t ret_offs[PROBEPLAN_MAX_RETS];	/* file offsets of RET instructions */
	int ret_cnt;
	bool rets_truncated;		/* more RETs than PROBEPLAN_MAX_RETS */
};

struct probeplan {
	enum gm_map_impl impl;
	struct gm_layout layout;
	struct probe_fn *fns;
	size_t fn_cnt;
};

struct probeplan *probeplan__new(const struct goelf *elf, const struct pclntab *tab,
				 const struct go_buildinfo *bi, struct gm_err *err);
void probeplan__free(struct probeplan *plan);
/* The entry for a function name, or NULL if the plan does not cover it. */
const struct probe_fn *probeplan__fn(const struct probeplan *plan, const char *name);

#endif /* PROBEPLAN_H */
