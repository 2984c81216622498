/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * moduledata: the layouts of runtime.moduledata, the linker-written struct
 * that ties one module's pclntab, text, type descriptors and funcdata
 * together.  Nothing in the file describes it: each release's
 * src/runtime/symtab.go does, and DWARF (struct runtime.moduledata) agrees.
 *
 * Contract: the one table of layouts for every reader (pclntab takes text
 * start and gofunc from it, gotypes the types range and the list of type
 * descriptors).  moduledata__read() reads the release-specific fields of a
 * candidate at md with layout l and says whether they are consistent with
 * each other and with the file (ranges ordered and inside the image, slices
 * written by a linker); the caller checks the release-independent prefix
 * (pcHeader, table slices) against what it knows.  A wrong layout fails
 * several checks at once, which is what lets the readers try layouts in
 * turn instead of trusting a version string.
 */
#ifndef MODULEDATA_H
#define MODULEDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "goelf.h"
#include "buildinfo.h"

/* A field the layout does not have. */
#define MD_NONE 0

struct md_layout {
	const char *name;	/* "go1.20-1.25", "go1.27" */
	int pcln_format;	/* pclntab__format() of the releases using it */
	int first_minor;	/* go1.<first_minor> is the first release using it */
	/* byte offsets in the struct; MD_NONE when absent */
	uint16_t text, etext;
	uint16_t types, typedesclen, etypes;	/* typedesclen: 1.27+ */
	uint16_t rodata, gofunc;		/* 1.18+ */
	uint16_t textsectmap;
	uint16_t typelinks;			/* []int32 until 1.26 */
};

/* The release-specific fields of one candidate, relocations applied. */
struct md_fields {
	uint64_t text, etext;
	uint64_t types, etypes;
	uint64_t typedesclen;		/* 0 when the layout has none */
	uint64_t rodata, gofunc;	/* 0 when the layout has none */
	uint64_t typelinks, ntypelinks;	/* vaddr and count; 0 when none */
};

/* Every known layout, oldest first. */
size_t moduledata__layout_cnt(void);
const struct md_layout *moduledata__layout(size_t idx);
/*
 * The i-th layout to try for a table of pclntab format pcln_format (0:
 * any) in a binary claiming version bi (may be NULL): the release's own
 * layout first, then the others of that format, newest first.  NULL past
 * the last.
 */
const struct md_layout *moduledata__try_order(int pcln_format, const struct go_buildinfo *bi,
					       size_t i);
bool moduledata__read(const struct goelf *elf, uint64_t md, const struct md_layout *l,
		      struct md_fields *f);
/*
 * Only moduledata.gofunc read with layout l, 0 when l has none or it does
 * not point into rodata: for callers that need nothing else.
 */
uint64_t moduledata__gofunc(const struct goelf *elf, uint64_t md, const struct md_layout *l);

#endif /* MODULEDATA_H */
