// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The register assignments below are the Go ABIInternal argument order of
 * each function's signature (receiver first), valid at the post-prologue
 * point because Go's prologue touches only SP, BP and a scratch register.
 */
#include <errno.h>
#include <string.h>
#include "probes.h"
#include "synctrie.h"

#define CL GM_MAP_CLASSIC
#define SW GM_MAP_SWISS

struct probe_rule {
	const char *function;
	enum gm_map_impl impl;
	enum probes_mode mode;
	enum gm_probe_kind kind;
	bool at_ret;		/* one point per RET instead of the post-prologue point */
	__u8 map_reg, type_reg, aux_reg;
};

static const struct probe_rule rules[] = {
	/* creation: the new map is the result, in RAX at every RET */
	{ "runtime.makemap", CL, PROBES_DEFAULT, GM_PROBE_MAKEMAP_RET, true, GM_REG_RAX, GM_REG_NONE, GM_REG_NONE },
	{ "runtime.makemap_small", CL, PROBES_DEFAULT, GM_PROBE_MAKEMAP_RET, true, GM_REG_RAX, GM_REG_NONE, GM_REG_NONE },
	{ "runtime.makemap_small", SW, PROBES_DEFAULT, GM_PROBE_MAKEMAP_RET, true, GM_REG_RAX, GM_REG_NONE, GM_REG_NONE },
	/* makemap is inlined into makemap64/reflect/mapclone; NewMap sees them all */
	{ "internal/runtime/maps.NewMap", SW, PROBES_DEFAULT, GM_PROBE_NEWMAP_RET, true, GM_REG_RAX, GM_REG_NONE, GM_REG_NONE },
	/* growth: hashGrow(t, h), (*hmap).newoverflow(h, t, b) */
	{ "runtime.hashGrow", CL, PROBES_DEFAULT, GM_PROBE_HASHGROW, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.(*hmap).newoverflow", CL, PROBES_DEFAULT, GM_PROBE_NEWOVERFLOW, false, GM_REG_RAX, GM_REG_RBX, GM_REG_NONE },
	/* swiss: (m).growToSmall(typ), (m).growToTable(typ), (t).grow(typ, m, cap), (t).split(typ, m) */
	{ "internal/runtime/maps.(*Map).growToSmall", SW, PROBES_DEFAULT, GM_PROBE_GROW_TO_SMALL, false, GM_REG_RAX, GM_REG_RBX, GM_REG_NONE },
	{ "internal/runtime/maps.(*Map).growToTable", SW, PROBES_DEFAULT, GM_PROBE_GROW_TO_TABLE, false, GM_REG_RAX, GM_REG_RBX, GM_REG_NONE },
	{ "internal/runtime/maps.(*table).grow", SW, PROBES_DEFAULT, GM_PROBE_TABLE_GROW, false, GM_REG_RAX, GM_REG_RBX, GM_REG_RCX },
	{ "internal/runtime/maps.(*table).split", SW, PROBES_DEFAULT, GM_PROBE_TABLE_SPLIT, false, GM_REG_RAX, GM_REG_RBX, GM_REG_RCX },
	/* classic growth of big maps only: h and t come up the frame chain */
	{ "runtime.(*mcache).allocLarge", CL, PROBES_DEFAULT, GM_PROBE_LARGE_GROW, false, GM_REG_NONE, GM_REG_NONE, GM_REG_NONE },
	/*
	 * sync.Map of Go >= 1.24: methods of internal/sync.HashTrieMap[any, any]
	 * (GC shape interface {}); the receiver is RAX, the dictionary RBX.
	 * initSlow runs once per trie; expand once per insert that lands on an
	 * occupied slot (about a third of the inserts into a growing trie).
	 */
	{ SYNCTRIE_FN_INIT, 0, PROBES_DEFAULT, GM_PROBE_TRIE_INIT, false, GM_REG_RAX, GM_REG_NONE, GM_REG_NONE },
	{ SYNCTRIE_FN_EXPAND, 0, PROBES_DEFAULT, GM_PROBE_TRIE_EXPAND, false, GM_REG_RAX, GM_REG_NONE, GM_REG_NONE },
	/* exact: mapassign*(t, m, key), growWork*(t, h, bucket), mallocgc(size, typ, needzero) */
	{ "runtime.mapassign", 0, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.mapassign_fast32", 0, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.mapassign_fast32ptr", 0, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.mapassign_fast64", 0, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.mapassign_fast64ptr", 0, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.mapassign_faststr", 0, PROBES_EXACT, GM_PROBE_MAPASSIGN, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.growWork", CL, PROBES_EXACT, GM_PROBE_GROWWORK, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.growWork_fast32", CL, PROBES_EXACT, GM_PROBE_GROWWORK, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.growWork_fast64", CL, PROBES_EXACT, GM_PROBE_GROWWORK, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.growWork_faststr", CL, PROBES_EXACT, GM_PROBE_GROWWORK, false, GM_REG_RBX, GM_REG_RAX, GM_REG_NONE },
	{ "runtime.mallocgc", 0, PROBES_EXACT, GM_PROBE_MALLOCGC, false, GM_REG_RAX, GM_REG_RBX, GM_REG_NONE },
};

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

static int push(struct probe_point *points, int n, int max, const struct probe_rule *r,
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

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct probe_rule *r = &rules[i];
		const struct probe_fn *fn;
		int j;

		if ((r->impl && r->impl != plan->impl) || r->mode > mode)
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
				  plan->impl == GM_MAP_SWISS ? "swiss" : "classic");
	return n;
}
