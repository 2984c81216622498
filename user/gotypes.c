// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Go type descriptors, found through the first module's moduledata.
 *
 * moduledata is a linker-written struct whose layout changes between Go
 * releases and which nothing in the file describes.  So a candidate is
 * accepted only when a whole set of its fields agree with each other and
 * with the pclntab (see md_check): a wrong layout or a stray word that
 * happens to equal the pclntab address fails several of them at once.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gotypes.h"

/* abi.Type on 64-bit targets, Go 1.17 through 1.26 */
#define ABI_TYPE_SIZE		48
#define ABI_TYPE_TFLAG		20
#define ABI_TYPE_KIND		23
#define ABI_TYPE_STR		40
#define ABI_TFLAG_EXTRASTAR	0x02
#define ABI_KIND_MASK		0x1f
#define ABI_KIND_MAP		21

/* pcHeader.funcnameOffset: after magic, pads, nfunc, nfiles (and textStart from 1.18) */
#define PCHDR_FUNCNAME_116	24
#define PCHDR_FUNCNAME_118	32

/* Slices inside moduledata: {ptr, len, cap} */
#define MD_FUNCNAMETAB		8
#define MD_FTAB			128
#define MD_MINPC		160
#define MD_MAXPC		168

/*
 * More text sections than this (the linker splits text only on
 * architectures with short branches) or typelinks than this means the
 * words we are looking at are not a moduledata.
 */
#define MD_MAX_TEXTSECTS	1024
#define MD_MAX_TYPELINKS	(1u << 24)

/*
 * Field offsets that moved between releases, from runtime/symtab.go of each
 * (the prefix pcHeader .. enoptrbss, 0..255, never changed):
 *  1.16-1.17: end, gcdata, gcbss, types, etypes, then textsectmap
 *  1.18-1.19: + rodata, gofunc after etypes
 *  1.20-1.25: + covctrs, ecovctrs before end
 *  1.26:      + epclntab after gofunc
 */
struct md_layout {
	const char *name;
	int pcln_format;	/* pclntab__format() of the releases using it */
	uint16_t text, etext, types, etypes, textsectmap, typelinks;
};

static const struct md_layout md_layouts[] = {
	{ "go1.16-1.17", 116, 176, 184, 280, 288, 296, 320 },
	{ "go1.18-1.19", 118, 176, 184, 280, 288, 312, 336 },
	{ "go1.20-1.25", 120, 176, 184, 296, 304, 328, 352 },
	{ "go1.26",      120, 176, 184, 296, 304, 336, 360 },
};
#define MD_LAYOUT_CNT (sizeof(md_layouts) / sizeof(md_layouts[0]))

struct gotypes {
	const struct goelf *elf;
	const struct md_layout *layout;
	uint64_t md;
	uint64_t types, etypes;
	const uint8_t *tdata;		/* file bytes of [types, etypes) */
	const uint8_t *links;		/* typelinks: int32 offsets from types */
	uint64_t nlinks;
};

/* What md_check needs to know about the pclntab. */
struct md_probe {
	const struct goelf *elf;
	uint64_t pchdr;
	int pcln_format;
	uint64_t funcname_off;		/* pcHeader.funcnameOffset, 0 if unknown */
};

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

/*
 * Does md, read with layout l, look like the moduledata of this pclntab?
 * On success fill t's types range and typelinks.
 */
static bool md_check(const struct md_probe *pr, uint64_t md, const struct md_layout *l,
		     struct gotypes *t)
{
	const struct goelf *elf = pr->elf;
	uint64_t v, p, n, minpc, maxpc, text, etext, types, etypes, i;
	const uint8_t *links;

	if (rd(elf, md, &v) || v != pr->pchdr)
		return false;
	/* funcnametab sits where the header says; the other tables are slices too */
	if (!slice_ok(elf, md + MD_FUNCNAMETAB, 1, UINT32_MAX, &p, &n) || !n)
		return false;
	if (pr->funcname_off && p != pr->pchdr + pr->funcname_off)
		return false;
	if (!pr->funcname_off && (p <= pr->pchdr || p - pr->pchdr > 4096))
		return false;
	if (!slice_ok(elf, md + MD_FTAB, 8, UINT32_MAX, &p, &n) || !n)
		return false;
	if (rd(elf, md + MD_MINPC, &minpc) || rd(elf, md + MD_MAXPC, &maxpc) ||
	    rd(elf, md + l->text, &text) || rd(elf, md + l->etext, &etext))
		return false;
	if (minpc != text || maxpc > etext || text >= etext || !in_exec_segment(elf, text, etext))
		return false;
	if (rd(elf, md + l->types, &types) || rd(elf, md + l->etypes, &etypes))
		return false;
	if (types >= etypes || etypes - types < ABI_TYPE_SIZE ||
	    !goelf__vaddr_ptr(elf, types, etypes - types))
		return false;
	if (!slice_ok(elf, md + l->textsectmap, 24, MD_MAX_TEXTSECTS, &p, &n) || !n)
		return false;
	if (!slice_ok(elf, md + l->typelinks, 4, MD_MAX_TYPELINKS, &p, &n))
		return false;
	links = n ? goelf__vaddr_ptr(elf, p, n * 4) : NULL;
	/* every entry must name a whole descriptor inside the types range */
	for (i = 0; i < n; i++) {
		int32_t off;

		memcpy(&off, links + i * 4, 4);
		if (off < 0 || (uint64_t)off > etypes - types - ABI_TYPE_SIZE)
			return false;
	}
	t->md = md;
	t->layout = l;
	t->types = types;
	t->etypes = etypes;
	t->tdata = goelf__vaddr_ptr(elf, types, etypes - types);
	t->links = links;
	t->nlinks = n;
	return true;
}

/* Layouts for this pclntab format, the one the Go version names first. */
static bool md_try(const struct md_probe *pr, const struct go_buildinfo *bi, uint64_t md,
		   struct gotypes *t)
{
	bool newest_first = bi && go_buildinfo__at_least(bi, 1, 26);
	size_t i;

	for (i = 0; i < MD_LAYOUT_CNT; i++) {
		const struct md_layout *l = &md_layouts[newest_first ? MD_LAYOUT_CNT - 1 - i : i];

		if (pr->pcln_format && l->pcln_format != pr->pcln_format)
			continue;
		if (md_check(pr, md, l, t))
			return true;
	}
	return false;
}

struct md_scan_ctx {
	const struct md_probe *pr;
	const struct go_buildinfo *bi;
	struct gotypes *t;
};

static bool md_scan_try(uint64_t md, void *ctx)
{
	struct md_scan_ctx *c = ctx;

	return md_try(c->pr, c->bi, md, c->t);
}

/* hint: where pclntab already found moduledata (0: unknown), tried first */
static struct gotypes *new_at(const struct goelf *elf, uint64_t pchdr, int pcln_format,
			      const struct go_buildinfo *bi, uint64_t hint, struct gm_err *err)
{
	struct md_probe pr = { .elf = elf, .pchdr = pchdr, .pcln_format = pcln_format };
	struct md_scan_ctx scan;
	const struct goelf_section *sec;
	struct gotypes *t = NULL;
	const uint8_t *h;
	uint64_t md;
	int ret;

	if (bi && bi->major && !go_buildinfo__at_least(bi, 1, 17)) {
		ret = gm_err_set(err, ENOTSUP, "type names before Go 1.17 use another encoding");
		goto cleanup;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		ret = gm_err_set(err, ENOMEM, "out of memory");
		goto cleanup;
	}
	t->elf = elf;
	if (pcln_format == 116 || pcln_format == 118 || pcln_format == 120) {
		h = goelf__vaddr_ptr(elf, pchdr + (pcln_format == 116 ? PCHDR_FUNCNAME_116 :
						   PCHDR_FUNCNAME_118), 8);
		if (!h) {
			ret = gm_err_set(err, ENOEXEC, "pclntab header at %#llx lies outside the file",
					 (unsigned long long)pchdr);
			goto cleanup;
		}
		memcpy(&pr.funcname_off, h, 8);
		if (!pr.funcname_off) {
			ret = gm_err_set(err, ENOEXEC, "pclntab header has no function name table");
			goto cleanup;
		}
	} else {
		pr.pcln_format = 0;
	}

	/* A symbol or a section is only a hint: it must pass the same checks. */
	ret = 0;
	if (hint && md_try(&pr, bi, hint, t))
		goto cleanup;
	if (!goelf__symbol(elf, "runtime.firstmoduledata", &md, NULL) && md_try(&pr, bi, md, t))
		goto cleanup;
	sec = goelf__section_by_name(elf, ".go.module");
	if (sec && sec->addr && md_try(&pr, bi, sec->addr, t))
		goto cleanup;
	scan = (struct md_scan_ctx){ &pr, bi, t };
	if (goelf__find_word(elf, pchdr, md_scan_try, &scan))
		goto cleanup;
	ret = gm_err_set(err, ENOENT, "no moduledata refers to the pclntab at %#llx: type names unavailable",
			 (unsigned long long)pchdr);

cleanup:
	if (ret) {
		free(t);
		t = NULL;
	}
	return t;
}

struct gotypes *gotypes__new(const struct goelf *elf, const struct pclntab *tab,
			     const struct go_buildinfo *bi, struct gm_err *err)
{
	if (!tab) {
		gm_err_set(err, EINVAL, "no pclntab: cannot find moduledata");
		return NULL;
	}
	return new_at(elf, pclntab__header_addr(tab), pclntab__format(tab), bi,
		      pclntab__moduledata(tab), err);
}

struct gotypes *gotypes__new_at(const struct goelf *elf, uint64_t pchdr, int pcln_format,
				const struct go_buildinfo *bi, struct gm_err *err)
{
	return new_at(elf, pchdr, pcln_format, bi, 0, err);
}

void gotypes__free(struct gotypes *types)
{
	free(types);
}

uint64_t gotypes__types_start(const struct gotypes *types) { return types->types; }
uint64_t gotypes__types_end(const struct gotypes *types) { return types->etypes; }
uint64_t gotypes__moduledata_addr(const struct gotypes *types) { return types->md; }
const char *gotypes__layout(const struct gotypes *types) { return types->layout->name; }
size_t gotypes__typelink_cnt(const struct gotypes *types) { return types->nlinks; }

/* The 48-byte descriptor at vaddr, or NULL if it is not wholly in [types, etypes). */
static const uint8_t *type_at(const struct gotypes *t, uint64_t vaddr)
{
	if (vaddr < t->types || vaddr - t->types > t->etypes - t->types - ABI_TYPE_SIZE)
		return NULL;
	return t->tdata + (vaddr - t->types);
}

/* Bytes of the type's name inside the image, ExtraStar already applied. */
static int type_name_ref(const struct gotypes *t, uint64_t vaddr, const char **name,
			 size_t *name_len)
{
	const uint8_t *ty = type_at(t, vaddr), *nm;
	uint64_t span = t->etypes - t->types, off, len;
	int32_t str;
	int used;

	if (!ty)
		return -EFAULT;
	memcpy(&str, ty + ABI_TYPE_STR, 4);
	/* names live in the same range as the types (runtime resolveNameOff) */
	if (str <= 0 || (uint64_t)str >= span - 1)
		return -ENOENT;
	off = (uint64_t)str;
	nm = t->tdata + off + 1;	/* skip the name's flag byte */
	used = go_uvarint(nm, span - off - 1, &len);
	if (used < 0)
		return -EBADMSG;
	if (len > span - off - 1 - (uint64_t)used)
		return -EBADMSG;
	nm += used;
	if ((ty[ABI_TYPE_TFLAG] & ABI_TFLAG_EXTRASTAR) && len && nm[0] == '*') {
		nm++;
		len--;
	}
	*name = (const char *)nm;
	*name_len = len;
	return 0;
}

int gotypes__name(const struct gotypes *types, uint64_t type_addr, char *buf, size_t len)
{
	const char *nm;
	size_t n, c;
	int ret;

	ret = type_name_ref(types, type_addr, &nm, &n);
	if (ret)
		return ret;
	if (len) {
		c = n < len - 1 ? n : len - 1;
		memcpy(buf, nm, c);
		buf[c] = '\0';
	}
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int gotypes__kind(const struct gotypes *types, uint64_t type_addr)
{
	const uint8_t *ty = type_at(types, type_addr);

	return ty ? ty[ABI_TYPE_KIND] & ABI_KIND_MASK : -EFAULT;
}

int gotypes__for_each_map_type(const struct gotypes *types, gotypes_map_cb cb, void *ctx)
{
	char *buf = NULL, *nb;
	size_t cap = 0, i, n;
	const char *nm;
	int ret = 0;

	for (i = 0; i < types->nlinks; i++) {
		uint64_t addr;
		int32_t off;

		memcpy(&off, types->links + i * 4, 4);
		addr = types->types + (uint64_t)off;	/* checked >= 0 in md_check */
		if (gotypes__kind(types, addr) != ABI_KIND_MAP)
			continue;
		if (type_name_ref(types, addr, &nm, &n))
			continue;	/* a nameless map type cannot be reported by name */
		if (n + 1 > cap) {
			nb = realloc(buf, n + 1);
			if (!nb) {
				ret = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
			cap = n + 1;
		}
		memcpy(buf, nm, n);
		buf[n] = '\0';
		ret = cb(addr, buf, ctx);
		if (ret)
			goto cleanup;
	}

cleanup:
	free(buf);
	return ret;
}
