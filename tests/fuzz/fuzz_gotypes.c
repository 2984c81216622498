// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: goelf, buildinfo and pclntab, then gotypes__new() and
 * the type-name lookups used to label maps.  gotypes is also given no
 * buildinfo (it must cope: some binaries have none that parses).  Checked
 * promises: names are terminated and truncated to the buffer, the callback
 * stops when asked, map types reported are inside [types, etypes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buildinfo.h"
#include "goelf.h"
#include "gotypes.h"
#include "pclntab.h"

#define FUZZ_TAG "fuzz_gotypes"
#include "fuzzcommon.h"

#define MAX_MAPS 4096

struct walk {
	const struct gotypes *types;
	int seen, stop_after;
};

/* A name looked up into exactly-sized heap buffers, so ASan sees overflows. */
static void name_at(const struct gotypes *types, uint64_t addr)
{
	static const size_t sizes[] = { 1, 5, 256 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *buf = malloc(sizes[i]);

		CHECK(buf);
		if (gotypes__name(types, addr, buf, sizes[i]) >= 0) {
			CHECK(memchr(buf, '\0', sizes[i]) != NULL);
			sink += strlen(buf);
		}
		free(buf);
	}
	sink += (size_t)gotypes__kind(types, addr);
}

static int on_map(uint64_t type_addr, const char *name, void *ctx)
{
	struct walk *w = ctx;

	CHECK(name);
	sink += strlen(name);
	CHECK(type_addr >= gotypes__types_start(w->types) &&
	      type_addr < gotypes__types_end(w->types));
	if (w->seen < 64)
		name_at(w->types, type_addr);
	w->seen++;
	CHECK(w->stop_after == 0 || w->seen <= w->stop_after);
	return w->seen == w->stop_after || w->seen >= MAX_MAPS;
}

static int exercise(const struct goelf *elf, const struct pclntab *tab,
		    const struct go_buildinfo *bi)
{
	struct gm_err err = { { 0 } };
	struct gotypes *types = gotypes__new(elf, tab, bi, &err);
	struct walk w = { 0 };
	uint64_t start, end;
	int ret, all;

	if (!types) {
		CHECK(err.msg[0] != '\0');
		if (verbose)
			fprintf(stderr, "fuzz_gotypes: refused%s: %s\n", bi ? "" : " (no buildinfo)",
				err.msg);
		return -1;
	}
	start = gotypes__types_start(types);
	end = gotypes__types_end(types);
	sink += gotypes__moduledata_addr(types);
	w.types = types;
	ret = gotypes__for_each_map_type(types, on_map, &w);
	all = w.seen;
	sink += (size_t)ret;
	if (all > 1) {
		/* asked to stop after the first: it must */
		w.seen = 0;
		w.stop_after = 1;
		gotypes__for_each_map_type(types, on_map, &w);
		CHECK(w.seen == 1);
	}
	name_at(types, start);
	name_at(types, end);
	name_at(types, end - 1);
	name_at(types, start + 48);
	name_at(types, 0);
	name_at(types, UINT64_MAX - 7);
	if (verbose)
		fprintf(stderr, "fuzz_gotypes: parsed%s: types [%#llx, %#llx), %d map types\n",
			bi ? "" : " (no buildinfo)", (unsigned long long)start,
			(unsigned long long)end, all);
	gotypes__free(types);
	return all;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	struct goelf *elf;
	struct pclntab *tab;
	bool have_bi;

	elf = goelf__open_mem(data, size, &err);
	if (!elf)
		return 0;
	tab = pclntab__new(elf, &err);
	if (!tab) {
		if (verbose)
			fprintf(stderr, "fuzz_gotypes: no pclntab: %s\n", err.msg);
		goelf__free(elf);
		return 0;
	}
	have_bi = go_buildinfo__parse(elf, &bi, &err) == 0;
	exercise(elf, tab, have_bi ? &bi : NULL);
	if (have_bi) {
		exercise(elf, tab, NULL);
		go_buildinfo__free(&bi);
	}
	pclntab__free(tab);
	goelf__free(elf);
	return 0;
}
