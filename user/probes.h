/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * probes: which points of a binary's probe plan gomaptrace attaches to, and
 * what each point's registers mean there.
 *
 * Contract: probes__select() turns a probe plan into a list of attachment
 * points (file offset + the gm_probe_spec the BPF side reads through the
 * cookie).  Default mode takes only rare paths (creation, growth); exact
 * mode adds the per-insert and per-allocation paths.  The list is
 * deterministic for a given binary, so tests can pin it.  One table in
 * probes.c names every runtime function gomaptrace knows: probeplan decodes
 * the ones it lists, probes__select attaches to the ones it probes.
 */
#ifndef PROBES_H
#define PROBES_H

#include <stdbool.h>
#include "probeplan.h"

struct probe_point {
	const char *function;		/* static: runtime function name */
	uint64_t file_off;		/* uprobe offset in the file */
	struct gm_probe_spec spec;	/* binary_idx left 0: the attacher fills it */
};

enum probes_mode {
	PROBES_DEFAULT = 0,
	PROBES_EXACT = 1,
};

/*
 * Fill up to max points; returns how many, or -ENOSPC if more were needed,
 * or -ENOENT (with a reason) when the plan lacks every growth function.
 */
int probes__select(const struct probeplan *plan, enum probes_mode mode,
		   struct probe_point *points, int max, struct gm_err *err);

const char *probe_kind__str(enum gm_probe_kind kind);

/*
 * The runtime functions an implementation's probe plan decodes, in the
 * order reported, from the one table the points above come from.  Fills up
 * to max names (static strings); returns how many there are.
 */
size_t probes__runtime_fns(enum gm_map_impl impl, const char **names, size_t max);
/*
 * The functions whose presence as a real function proves impl (any one
 * suffices), in table order, from the same table; same calling convention.
 */
size_t probes__impl_markers(enum gm_map_impl impl, const char **names, size_t max);

#endif /* PROBES_H */
