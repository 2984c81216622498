// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: goelf, then pclntab__new() and every lookup the
 * symbolizer and the probe planner make: the whole function table, PC
 * lookups at and around function bounds, symbolization (with inline
 * expansion) at a spread of PCs, and name lookups.  Checked promises:
 * lookups agree with the table they come from, frame counts respect max,
 * strings are terminated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "goelf.h"
#include "pclntab.h"

#define FUZZ_TAG "fuzz_pclntab"
#include "fuzzcommon.h"

/* Enough to cover a real table (a Go binary has a few thousand functions)
 * while keeping one input's run short if the header claims millions. */
#define MAX_WALK	20000
#define MAX_SYMBOLIZE	64
#define MAX_FRAMES	16

static void symbolize(const struct pclntab *tab, uint64_t pc, int *frames_seen)
{
	struct pcln_frame fr[MAX_FRAMES + 1];
	int n, m;

	/* a guard slot past max: writing it is a broken promise */
	memset(&fr[MAX_FRAMES], 0x5a, sizeof(fr[MAX_FRAMES]));
	n = pclntab__symbolize(tab, pc, fr, MAX_FRAMES);
	CHECK(n <= MAX_FRAMES);
	{
		struct pcln_frame guard;

		memset(&guard, 0x5a, sizeof(guard));
		CHECK(memcmp(&fr[MAX_FRAMES], &guard, sizeof(guard)) == 0);
	}
	for (int i = 0; i < n; i++) {
		if (fr[i].function)
			sink += strlen(fr[i].function);
		if (fr[i].file)
			sink += strlen(fr[i].file);
		sink += (size_t)fr[i].line;
	}
	if (n > 0)
		*frames_seen += n;
	/* max 1 returns at most one frame, the innermost */
	m = pclntab__symbolize(tab, pc, fr, 1);
	CHECK(m <= 1);
	if (n > 0)
		CHECK(m == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = { "runtime.makemap", "runtime.makemap_small",
					     "runtime.hashGrow", "runtime.mapassign_faststr",
					     "internal/runtime/maps.(*table).rehash",
					     "internal/runtime/maps.NewMap", "main.main", "" };
	struct gm_err err = { { 0 } };
	struct goelf *elf;
	struct pclntab *tab;
	struct pcln_func fn, got;
	size_t cnt, walk, i, step;
	int fmt, frames = 0, found_by_pc = 0, found_by_name = 0;

	elf = goelf__open_mem(data, size, &err);
	if (!elf)
		return 0;
	tab = pclntab__new(elf, &err);
	if (!tab) {
		CHECK(err.msg[0] != '\0');
		if (verbose)
			fprintf(stderr, "fuzz_pclntab: refused: %s\n", err.msg);
		goelf__free(elf);
		return 0;
	}
	fmt = pclntab__format(tab);
	CHECK(fmt == 116 || fmt == 118 || fmt == 120);
	sink += pclntab__header_addr(tab) + pclntab__text_start(tab);

	cnt = pclntab__func_cnt(tab);
	CHECK(pclntab__func_at(tab, cnt, &fn) < 0);
	CHECK(pclntab__func_at(tab, SIZE_MAX, &fn) < 0);
	walk = cnt < MAX_WALK ? cnt : MAX_WALK;
	for (i = 0; i < walk; i++) {
		if (pclntab__func_at(tab, i, &fn))
			continue;
		CHECK(fn.index == i);
		CHECK(fn.name);
		sink += strlen(fn.name);
		/* the function found at its own entry is one covering that entry */
		if (fn.end > fn.entry && !pclntab__find_func(tab, fn.entry, &got)) {
			CHECK(got.entry <= fn.entry && fn.entry < got.end);
			found_by_pc++;
		}
	}

	/* a spread of PCs: entries, mid-function, last byte, just past the end */
	step = cnt / MAX_SYMBOLIZE + 1;
	for (i = 0; i < cnt && i < MAX_WALK; i += step) {
		if (pclntab__func_at(tab, i, &fn))
			continue;
		symbolize(tab, fn.entry, &frames);
		if (fn.end > fn.entry) {
			symbolize(tab, fn.entry + (fn.end - fn.entry) / 2, &frames);
			symbolize(tab, fn.end - 1, &frames);
		}
		symbolize(tab, fn.end, &frames);
		/* name lookups are linear scans: a sample keeps one run short */
		if (i % (step * 16) == 0 && !pclntab__func_by_name(tab, fn.name, &got)) {
			CHECK(strcmp(got.name, fn.name) == 0);
			found_by_name++;
		}
		if (!pclntab__find_func(tab, fn.end - 1, &got))
			CHECK(got.entry <= fn.end - 1 && fn.end - 1 < got.end);
	}
	symbolize(tab, 0, &frames);
	symbolize(tab, UINT64_MAX, &frames);
	symbolize(tab, pclntab__text_start(tab) - 1, &frames);
	sink += pclntab__find_func(tab, 0, &got) == 0;
	sink += pclntab__find_func(tab, UINT64_MAX, &got) == 0;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!pclntab__func_by_name(tab, known[i], &got)) {
			CHECK(strcmp(got.name, known[i]) == 0);
			symbolize(tab, got.entry, &frames);
		}
	}
	/* a scan of every inline tree: once per input is plenty */
	sink += pclntab__is_inlined_somewhere(tab, "internal/runtime/maps.newTable");

	if (verbose)
		fprintf(stderr, "fuzz_pclntab: parsed: format %d, %zu functions, text %#llx, "
			"%d found by pc, %d by name, %d frames\n", fmt, cnt,
			(unsigned long long)pclntab__text_start(tab), found_by_pc, found_by_name,
			frames);
	pclntab__free(tab);
	goelf__free(elf);
	return 0;
}
