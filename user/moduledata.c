// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * runtime.moduledata layouts, from src/runtime/symtab.go of each release.
 * The prefix pcHeader .. enoptrbss (offsets 0..255) never changed from 1.16
 * to 1.27; after it:
 *  1.16-1.17: end, gcdata, gcbss, types, etypes, then textsectmap
 *  1.18-1.19: + rodata, gofunc after etypes
 *  1.20-1.25: + covctrs, ecovctrs before end
 *  1.26:      + epclntab after gofunc
 *  1.27:      typedesclen between types and etypes, itaboffset and itabsize
 *             after etypes; typelinks and itablinks gone (the descriptors
 *             the runtime lists are the first typedesclen bytes of types)
 */
#include <elf.h>
#include <string.h>
#include "moduledata.h"

/* abi.Type is 48 bytes: no types range can be smaller than one. */
#define MD_MIN_TYPES		48
/*
 * More text sections than this (the linker splits text only on
 * architectures with short branches) or typelinks than this means the
 * words we are looking at are not a moduledata.
 */
#define MD_MAX_TEXTSECTS	1024
#define MD_MAX_TYPELINKS	(1u << 24)

static const struct md_layout layouts[] = {
	/* name          fmt  1st text etext types tdlen etypes rodata gofunc tsmap tlinks */
	{ "go1.16-1.17", 116, 16, 176, 184, 280, MD_NONE, 288, MD_NONE, MD_NONE, 296, 320 },
	{ "go1.18-1.19", 118, 18, 176, 184, 280, MD_NONE, 288, 296, 304, 312, 336 },
	{ "go1.20-1.25", 120, 20, 176, 184, 296, MD_NONE, 304, 312, 320, 328, 352 },
	{ "go1.26",      120, 26, 176, 184, 296, MD_NONE, 304, 312, 320, 336, 360 },
	{ "go1.27",      120, 27, 176, 184, 296, 304,     312, 336, 344, 360, MD_NONE },
};
#define LAYOUT_CNT (sizeof(layouts) / sizeof(layouts[0]))

size_t moduledata__layout_cnt(void)
{
	return LAYOUT_CNT;
}

const struct md_layout *moduledata__layout(size_t idx)
{
	return idx < LAYOUT_CNT ? &layouts[idx] : NULL;
}

/* The newest layout whose first release is not after bi's; NULL if unknown. */
static const struct md_layout *own_layout(const struct go_buildinfo *bi)
{
	size_t i;

	if (!bi || !bi->major)
		return NULL;
	for (i = LAYOUT_CNT; i-- > 0;)
		if (go_buildinfo__at_least(bi, 1, layouts[i].first_minor))
			return &layouts[i];
	return NULL;
}

const struct md_layout *moduledata__try_order(int pcln_format, const struct go_buildinfo *bi,
					       size_t i)
{
	const struct md_layout *own = own_layout(bi);
	size_t k;

	if (own && pcln_format && own->pcln_format != pcln_format)
		own = NULL;
	if (own) {
		if (i == 0)
			return own;
		i--;
	}
	for (k = LAYOUT_CNT; k-- > 0;) {
		const struct md_layout *l = &layouts[k];

		if (l == own || (pcln_format && l->pcln_format != pcln_format))
			continue;
		if (i-- == 0)
			return l;
	}
	return NULL;
}

static int rd(const struct goelf *elf, uint64_t vaddr, uint64_t *v)
{
	return goelf__read_ptr(elf, vaddr, v);
}

/* A Go slice header written by the linker: len == cap, data in the file. */
static bool slice_ok(const struct goelf *elf, uint64_t at, uint64_t elem, uint64_t max,
		     uint64_t *ptr, uint64_t *len)
{
	uint64_t cap;

	if (rd(elf, at, ptr) || rd(elf, at + 8, len) || rd(elf, at + 16, &cap))
		return false;
	if (*len != cap || *len > max)
		return false;
	return !*len || goelf__vaddr_ptr(elf, *ptr, *len * elem);
}

static bool in_exec_segment(const struct goelf *elf, uint64_t lo, uint64_t hi)
{
	size_t i;

	for (i = 0; i < goelf__segment_cnt(elf); i++) {
		const struct goelf_segment *sg = goelf__segment(elf, i);

		if (sg->type == PT_LOAD && (sg->flags & PF_X) && lo >= sg->vaddr &&
		    hi >= lo && hi - sg->vaddr <= sg->memsz)
			return true;
	}
	return false;
}

bool moduledata__read(const struct goelf *elf, uint64_t md, const struct md_layout *l,
		      struct md_fields *f)
{
	uint64_t p, n, span, i;
	const uint8_t *links;

	memset(f, 0, sizeof(*f));
	if (md > UINT64_MAX - 512)
		return false;
	if (rd(elf, md + l->text, &f->text) || rd(elf, md + l->etext, &f->etext) ||
	    f->text >= f->etext || !in_exec_segment(elf, f->text, f->etext))
		return false;
	if (rd(elf, md + l->types, &f->types) || rd(elf, md + l->etypes, &f->etypes) ||
	    f->types >= f->etypes || f->etypes - f->types < MD_MIN_TYPES ||
	    !goelf__vaddr_ptr(elf, f->types, f->etypes - f->types))
		return false;
	span = f->etypes - f->types;
	/* the runtime walks descriptors from types + 8 up to types + typedesclen */
	if (l->typedesclen &&
	    (rd(elf, md + l->typedesclen, &f->typedesclen) || f->typedesclen < 8 ||
	     f->typedesclen > span || (f->typedesclen & 7)))
		return false;
	if (!slice_ok(elf, md + l->textsectmap, 24, MD_MAX_TEXTSECTS, &p, &n) || !n)
		return false;
	if (l->typelinks) {
		if (!slice_ok(elf, md + l->typelinks, 4, MD_MAX_TYPELINKS, &p, &n))
			return false;
		links = n ? goelf__vaddr_ptr(elf, p, n * 4) : NULL;
		/* every entry must name a whole descriptor inside the types range */
		for (i = 0; i < n; i++) {
			int32_t off;

			memcpy(&off, links + i * 4, 4);
			if (off < 0 || (uint64_t)off > span - MD_MIN_TYPES)
				return false;
		}
		f->typelinks = p;
		f->ntypelinks = n;
	}
	if (l->gofunc && rd(elf, md + l->rodata, &f->rodata))
		return false;
	f->gofunc = moduledata__gofunc(elf, md, l);
	return true;
}

uint64_t moduledata__gofunc(const struct goelf *elf, uint64_t md, const struct md_layout *l)
{
	uint64_t rodata, gofunc;

	if (!l->gofunc || rd(elf, md + l->rodata, &rodata) || rd(elf, md + l->gofunc, &gofunc))
		return 0;
	/* gofunc is a symbol inside rodata; anything else only loses funcdata */
	return gofunc >= rodata && goelf__vaddr_ptr(elf, gofunc, 1) ? gofunc : 0;
}
