// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The register assignments below are the Go ABIInternal argument order of
 * each function's signature (receiver first), valid at the post-prologue
 * point because Go's prologue touches only SP, BP and a scratch register.
 */
#include <errno.h>
#include <string.h>
#include "probes.h"
#include "gomap.h"
#include "synctrie.h"

/* Which implementations a row holds for (bits of enum gm_map_impl). */
#define CL (1u << GM_MAP_CLASSIC)
#define SW (1u << GM_MAP_SWISS)
#define BOTH (CL | SW)
/*
 * In `planned`: a real function of this name proves the implementation the
 * row is planned for (exactly one of CL, SW): probeplan picks classic or
 * swiss by which of these the function table holds.
 */
#define PROVES (1u << 8)

/*
 * The one table of runtime functions: every function the probe plan
 * decodes (probeplan reads `planned`, in this order, through
 * probes__runtime_fns) and, where `probed` says so, the point gomaptrace
 * attaches there.  A function is planned without being probed when inspect
 * reports it (makemap64, mapclear, ...) or when its presence decides
 * something else (allocLarge: the classic large-map growth point).
 */
struct runtime_fn {
	const char *function;
	unsigned planned;	/* implementations whose plan decodes it, | PROVES */
	unsigned probed;	/* ... and which attach a point on it */
	enum probes_mode mode;
	enum gm_probe_kind kind;
	bool at_ret;		/* one point per RET instead of the post-prologue point */
	__u8 map_reg, type_reg, aux_reg;
};

#define NOREG GM_REG_NONE
static const struct runtime_fn fns[] = {
	/* creation: the new map is the result, in RAX at every RET */
	{ "runtime.makemap", BOTH, CL, PROBES_DEFAULT, GM_PROBE_MAKEMAP_RET, true, GM_REG_RAX, NOREG, NOREG },
	{ "runtime.makemap_small", BOTH, BOTH, PROBES_DEFAULT, GM_PROBE_MAKEMAP_RET, true, GM_REG_RAX, NOREG, NOREG },
	{ "runtime.makemap64", BOTH, 0 },
	/* growth: hashGrow(t, h), (*hmap).newoverflow(h, t, b); growWork*(t, h, bucket) in exact mode */
	{ "runtime.hashGrow", CL | PROVES, CL, PROBES_DEFAULT, GM_PROBE_HASHGROW, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.growWork", CL, CL, PROBES_EXACT, GM_PROBE_GROWWORK, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.growWork_fast32", CL, CL, PROBES_EXACT, GM_PROBE_GROWWORK, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.growWork_fast64", CL, CL, PROBES_EXACT, GM_PROBE_GROWWORK, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.growWork_faststr", CL, CL, PROBES_EXACT, GM_PROBE_GROWWORK, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.makeBucketArray", CL, 0 },
	{ "runtime.(*hmap).newoverflow", CL, CL, PROBES_DEFAULT, GM_PROBE_NEWOVERFLOW, false, GM_REG_RAX, GM_REG_RBX, NOREG },
	/* makemap is inlined into makemap64/reflect/mapclone; NewMap sees them all */
	{ "internal/runtime/maps.NewMap", SW, SW, PROBES_DEFAULT, GM_PROBE_NEWMAP_RET, true, GM_REG_RAX, NOREG, NOREG },
	{ "internal/runtime/maps.NewEmptyMap", SW, 0 },
	{ "internal/runtime/maps.newTable", SW, 0 },
	{ "internal/runtime/maps.newGroups", SW, 0 },
	/* swiss: (m).growToSmall(typ), (m).growToTable(typ), (t).grow(typ, m, cap), (t).split(typ, m) */
	{ "internal/runtime/maps.(*Map).growToSmall", SW | PROVES, SW, PROBES_DEFAULT, GM_PROBE_GROW_TO_SMALL, false, GM_REG_RAX, GM_REG_RBX, NOREG },
	{ "internal/runtime/maps.(*Map).growToTable", SW | PROVES, SW, PROBES_DEFAULT, GM_PROBE_GROW_TO_TABLE, false, GM_REG_RAX, GM_REG_RBX, NOREG },
	{ "internal/runtime/maps.(*table).rehash", SW | PROVES, 0 },
	{ "internal/runtime/maps.(*table).grow", SW | PROVES, SW, PROBES_DEFAULT, GM_PROBE_TABLE_GROW, false, GM_REG_RAX, GM_REG_RBX, GM_REG_RCX },
	{ "internal/runtime/maps.(*table).split", SW | PROVES, SW, PROBES_DEFAULT, GM_PROBE_TABLE_SPLIT, false, GM_REG_RAX, GM_REG_RBX, GM_REG_RCX },
	{ "internal/runtime/maps.(*Map).directorySet", SW, 0 },
	{ "internal/runtime/maps.(*Map).replaceTable", SW, 0 },
	{ "runtime.mapclear", BOTH, 0 },
	{ "internal/runtime/maps.(*Map).Clear", SW, 0 },
	/* exact: mapassign*(t, m, key), mallocgc(size, typ, needzero) */
	{ "runtime.mapassign", BOTH, BOTH, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.mapassign_fast32", BOTH, BOTH, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.mapassign_fast32ptr", BOTH, BOTH, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.mapassign_fast64", BOTH, BOTH, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.mapassign_fast64ptr", BOTH, BOTH, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.mapassign_faststr", BOTH, BOTH, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, NOREG },
	{ "runtime.mallocgc", BOTH, BOTH, PROBES_EXACT, GM_PROBE_MALLOCGC, false, GM_REG_RAX, GM_REG_RBX, NOREG },
	/* classic growth of big maps only: h and t come up the frame chain */
	{ "runtime.(*mcache).allocLarge", CL, CL, PROBES_DEFAULT, GM_PROBE_LARGE_GROW, false, NOREG, NOREG, NOREG },
	/*
	 * sync.Map of Go >= 1.24: methods of internal/sync.HashTrieMap[any, any]
	 * (GC shape interface {}); the receiver is RAX, the dictionary RBX.
	 * initSlow runs once per trie; expand once per insert that lands on an
	 * occupied slot (about a third of the inserts into a growing trie).
	 */
	{ SYNCTRIE_FN_INIT, BOTH, BOTH, PROBES_DEFAULT, GM_PROBE_TRIE_INIT, false, GM_REG_RAX, NOREG, NOREG },
	{ SYNCTRIE_FN_EXPAND, BOTH, BOTH, PROBES_DEFAULT, GM_PROBE_TRIE_EXPAND, false, GM_REG_RAX, NOREG, NOREG },
};

#define FN_CNT (sizeof(fns) / sizeof(fns[0]))

size_t probes__runtime_fns(enum gm_map_impl impl, const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < FN_CNT; i++) {
		if (!(fns[i].planned & (1u << impl)))
			continue;
		if (n < max)
			names[n] = fns[i].function;
		n++;
	}
	return n;
}

size_t probes__impl_markers(enum gm_map_impl impl, const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < FN_CNT; i++) {
		if (!(fns[i].planned & PROVES) || !(fns[i].planned & (1u << impl)))
			continue;
		if (n < max)
			names[n] = fns[i].function;
		n++;
	}
	return n;
}

static const char *const kind_names[] = {
	[GM_PROBE_MAKEMAP_RET] = "makemap",
	[GM_PROBE_NEWMAP_RET] = "newmap",
	[GM_PROBE_HASHGROW] = "hashgrow",
	[GM_PROBE_NEWOVERFLOW] = "newoverflow",
	[GM_PROBE_GROW_TO_SMALL] = "grow_to_small",
	[GM_PROBE_GROW_TO_TABLE] = "grow_to_table",
	[GM_PROBE_TABLE_GROW] = "table_grow",
	[GM_PROBE_TABLE_SPLIT] = "table_split",
	[GM_PROBE_MAPASSIGN] = "mapassign",
	[GM_PROBE_GROWWORK] = "growwork",
	[GM_PROBE_MALLOCGC] = "mallocgc",
	[GM_PROBE_LARGE_GROW] = "large_grow",
	[GM_PROBE_TRIE_INIT] = "trie_init",
	[GM_PROBE_TRIE_EXPAND] = "trie_expand",
};

const char *probe_kind__str(enum gm_probe_kind kind)
{
	if ((unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[kind])
		return kind_names[kind];
	return "unknown";
}

static int push(struct probe_point *points, int n, int max, const struct runtime_fn *r,
		uint64_t off, __u8 placement)
{
	if (n >= max)
		return -ENOSPC;
	points[n].function = r->function;
	points[n].file_off = off;
	memset(&points[n].spec, 0, sizeof(points[n].spec));
	points[n].spec.kind = r->kind;
	points[n].spec.map_reg = r->map_reg;
	points[n].spec.type_reg = r->type_reg;
	points[n].spec.aux_reg = r->aux_reg;
	points[n].spec.placement = placement;
	return n + 1;
}

int probes__select(const struct probeplan *plan, enum probes_mode mode,
		   struct probe_point *points, int max, struct gm_err *err)
{
	int n = 0, growth = 0;
	size_t i;

	for (i = 0; i < FN_CNT; i++) {
		const struct runtime_fn *r = &fns[i];
		const struct probe_fn *fn;
		int j;

		if (!(r->probed & (1u << plan->impl)) || r->mode > mode)
			continue;
		fn = probeplan__fn(plan, r->function);
		if (!fn || fn->state != PROBE_FN_PRESENT)
			continue;
		if (r->kind == GM_PROBE_LARGE_GROW && plan->layout.grow_map_slot == GM_SLOT_ABSENT)
			continue;
		if (r->at_ret) {
			/* Without every RET a creation could slip by unseen. */
			if (fn->rets_truncated || fn->decode_failed || fn->tail_jmps)
				return gm_err_set(err, E2BIG, "%s: cannot find every way out of it (%s)",
						  r->function, fn->rets_truncated ? "too many RETs" :
						  fn->decode_failed ? "instructions failed to decode" :
						  "tail jumps");
			for (j = 0; j < fn->ret_cnt; j++) {
				n = push(points, n, max, r, fn->ret_offs[j], GM_AT_RET);
				if (n < 0)
					return n;
			}
			continue;
		}
		if (fn->post_prologue_off)
			n = push(points, n, max, r, fn->post_prologue_off, GM_AT_POST_PROLOGUE);
		else
			n = push(points, n, max, r, fn->file_off, GM_AT_ENTRY);
		if (n < 0)
			return n;
		if (r->kind != GM_PROBE_MAPASSIGN && r->kind != GM_PROBE_GROWWORK &&
		    r->kind != GM_PROBE_MALLOCGC && r->kind != GM_PROBE_LARGE_GROW &&
		    r->kind != GM_PROBE_TRIE_INIT && r->kind != GM_PROBE_TRIE_EXPAND)
			growth++;
	}
	if (!growth)
		return gm_err_set(err, ENOENT, "no map growth function found in the binary (%s maps)",
				  gomap__impl_name(plan->impl));
	return n;
}
