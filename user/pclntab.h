/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pclntab: Go's own function, file/line and inline tables, read from
 * `.gopclntab` alone, so that stripped binaries (-s -w: no .symtab, no
 * DWARF) can still be probed and symbolized.
 *
 * Contract: pclntab__new() locates the table (section `.gopclntab`,
 * `.data.rel.ro.gopclntab`, or by header magic inside a read-only PT_LOAD
 * for externally linked PIE), validates its header and function table, and
 * keeps a borrowed pointer to the goelf (which must outlive it).  Formats:
 * Go 1.16-1.17 (magic 0xfffffffa), 1.18-1.19 (0xfffffff0), 1.20+
 * (0xfffffff1).  Every lookup is bounds-checked against the table; a corrupt
 * entry makes that lookup fail, never read outside the image.  Returned
 * strings point into the mapped image and stay valid as long as the goelf.
 */
#ifndef PCLNTAB_H
#define PCLNTAB_H

#include <stdint.h>
#include <stddef.h>
#include "goelf.h"

struct pclntab;

struct pcln_func {
	const char *name;	/* "runtime.makemap" */
	uint64_t entry;		/* virtual address of the first instruction */
	uint64_t end;		/* entry of the next function (exclusive) */
	uint32_t index;		/* position in the function table */
};

struct pcln_frame {
	const char *function;	/* possibly an inlined callee */
	const char *file;	/* absolute path as recorded by the compiler */
	int line;
};

struct pclntab *pclntab__new(const struct goelf *elf, struct gm_err *err);
void pclntab__free(struct pclntab *tab);

/* 116, 118 or 120: the format generation. */
int pclntab__format(const struct pclntab *tab);
/* Virtual address of the pclntab header (what moduledata.pcHeader points to). */
uint64_t pclntab__header_addr(const struct pclntab *tab);
uint64_t pclntab__text_start(const struct pclntab *tab);
/*
 * Base of funcdata offsets (moduledata.gofunc, Go 1.18+); 0 when it could
 * not be found, in which case symbolize reports no inlined frames.
 */
uint64_t pclntab__gofunc(const struct pclntab *tab);

/* Where the module's moduledata was found while reading the table; 0 if not. */
uint64_t pclntab__moduledata(const struct pclntab *tab);
/* The moduledata layout that matched there (moduledata.h); NULL if none. */
struct md_layout;
const struct md_layout *pclntab__md_layout(const struct pclntab *tab);

size_t pclntab__func_cnt(const struct pclntab *tab);
int pclntab__func_at(const struct pclntab *tab, size_t idx, struct pcln_func *fn);
/* The function whose [entry, end) contains pc; -ENOENT if none. */
int pclntab__find_func(const struct pclntab *tab, uint64_t pc, struct pcln_func *fn);
/*
 * Exact name lookup, first match in address order; -ENOENT if the function
 * is absent (or only inlined).  A few names appear twice: an assembly
 * function and the ABIInternal wrapper the compiler made for it.
 */
int pclntab__func_by_name(const struct pclntab *tab, const char *name,
			  struct pcln_func *fn);
/* True if some function's inline tree records `name` as an inlined callee. */
bool pclntab__is_inlined_somewhere(const struct pclntab *tab, const char *name);

/*
 * Source position of pc, inlined frames expanded innermost first, like
 * `addr2line -f -i`.  Fills at most max frames; returns how many, or -errno.
 */
int pclntab__symbolize(const struct pclntab *tab, uint64_t pc,
		       struct pcln_frame *frames, int max);

#endif /* PCLNTAB_H */
