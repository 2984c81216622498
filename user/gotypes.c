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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gotypes.h"
#include "moduledata.h"

/* abi.Type on 64-bit targets, Go 1.17 through 1.27 */
#define ABI_TYPE_SIZE		48
#define ABI_TYPE_TFLAG		20
#define ABI_TYPE_KIND		23
#define ABI_TYPE_STR		40
#define ABI_TFLAG_UNCOMMON	0x01
#define ABI_TFLAG_EXTRASTAR	0x02
#define ABI_KIND_MASK		0x1f
#define ABI_KIND_MAP		21
#define ABI_KIND_INT32		5
#define ABI_KIND_STRUCT		25
#define ABI_KIND_UNSAFEPTR	26
/* abi.MapType / abi.OldMapType: Key, Elem, Group (Bucket) after abi.Type */
#define ABI_MAPTYPE_KEY		48
#define ABI_MAPTYPE_ELEM	56
#define ABI_MAPTYPE_GROUP	64

/* pcHeader.funcnameOffset: after magic, pads, nfunc, nfiles (and textStart from 1.18) */
#define PCHDR_FUNCNAME_116	24
#define PCHDR_FUNCNAME_118	32

/* Slices inside moduledata: {ptr, len, cap} */
#define MD_FUNCNAMETAB		8
#define MD_FTAB			128
#define MD_MINPC		160
#define MD_MAXPC		168

/* Descriptors listed by a 1.27+ module: far above any real program. */
#define MAX_TYPEDESCS		(1u << 24)

struct gotypes {
	const struct goelf *elf;
	const struct md_layout *layout;
	uint64_t md;
	uint64_t types, etypes;
	const uint8_t *tdata;		/* file bytes of [types, etypes) */
	const uint8_t *links;		/* typelinks: int32 offsets from types (to 1.26) */
	uint64_t nlinks;		/* typelinks, or descriptors listed (1.27+) */
	uint64_t typedesclen;		/* 1.27+: listed descriptors end at types + this */
	int walk_err;			/* 1.27+: the descriptor walk stopped on a bad one */
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

static bool slice_at(const struct goelf *elf, uint64_t at, uint64_t elem, uint64_t *ptr,
		     uint64_t *len)
{
	uint64_t cap;

	if (rd(elf, at, ptr) || rd(elf, at + 8, len) || rd(elf, at + 16, &cap))
		return false;
	if (*len != cap || *len > UINT32_MAX)
		return false;
	return !*len || goelf__vaddr_ptr(elf, *ptr, *len * elem);
}

static int walk_typedescs(const struct gotypes *t, gotypes_map_cb cb, void *ctx,
			  uint64_t *cnt);

/*
 * Does md, read with layout l, look like the moduledata of this pclntab?
 * On success fill t's types range and type list.
 */
static bool md_check(const struct md_probe *pr, uint64_t md, const struct md_layout *l,
		     struct gotypes *t)
{
	const struct goelf *elf = pr->elf;
	uint64_t v, p, n, minpc, maxpc;
	struct md_fields f;

	if (rd(elf, md, &v) || v != pr->pchdr)
		return false;
	/* funcnametab sits where the header says; the other tables are slices too */
	if (!slice_at(elf, md + MD_FUNCNAMETAB, 1, &p, &n) || !n)
		return false;
	if (pr->funcname_off && p != pr->pchdr + pr->funcname_off)
		return false;
	if (!pr->funcname_off && (p <= pr->pchdr || p - pr->pchdr > 4096))
		return false;
	if (!slice_at(elf, md + MD_FTAB, 8, &p, &n) || !n)
		return false;
	if (!moduledata__read(elf, md, l, &f))
		return false;
	if (rd(elf, md + MD_MINPC, &minpc) || rd(elf, md + MD_MAXPC, &maxpc) ||
	    minpc != f.text || maxpc > f.etext)
		return false;
	t->md = md;
	t->layout = l;
	t->types = f.types;
	t->etypes = f.etypes;
	t->tdata = goelf__vaddr_ptr(elf, f.types, f.etypes - f.types);
	t->links = f.ntypelinks ? goelf__vaddr_ptr(elf, f.typelinks, f.ntypelinks * 4) : NULL;
	t->nlinks = f.ntypelinks;
	t->typedesclen = f.typedesclen;
	t->walk_err = 0;
	if (l->typedesclen) {
		/* the first descriptor must be whole: the layout is not a guess */
		t->walk_err = walk_typedescs(t, NULL, NULL, &t->nlinks);
		if (!t->nlinks)
			return false;
	}
	return true;
}

/* Layouts for this pclntab format, the one the Go version names first. */
static bool md_try(const struct md_probe *pr, const struct go_buildinfo *bi, uint64_t md,
		   struct gotypes *t)
{
	const struct md_layout *l;
	size_t i;

	for (i = 0; (l = moduledata__try_order(pr->pcln_format, bi, i)); i++)
		if (md_check(pr, md, l, t))
			return true;
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
		ret = gm_err_set(err, GM_EGOVERSION, "type names before Go 1.17 use another encoding");
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
			ret = gm_err_set(err, GM_EMALFORMED, "pclntab header at %#llx lies outside the file",
					 (unsigned long long)pchdr);
			goto cleanup;
		}
		memcpy(&pr.funcname_off, h, 8);
		if (!pr.funcname_off) {
			ret = gm_err_set(err, GM_EMALFORMED, "pclntab header has no function name table");
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

/*
 * abi.(*Type).DescriptorSize of Go 1.27: the bytes a descriptor takes
 * contiguously (kind-specific struct, UncommonType, trailing arrays,
 * methods), from internal/abi/type.go.  amd64 sizes.  -EBADMSG for a kind
 * or a count that cannot be real or that runs past avail.
 */
static int64_t descriptor_size(const uint8_t *ty, uint64_t avail)
{
	uint64_t base, add = 0, n, size;
	uint16_t in, out, mcount;
	uint8_t kind;

	if (avail < ABI_TYPE_SIZE)
		return -EBADMSG;
	kind = ty[ABI_TYPE_KIND];
	/* bool .. complex128, string, unsafe.Pointer: the bare abi.Type */
	if ((kind >= 1 && kind <= 16) || kind == 24 || kind == 26)
		kind = 0;
	switch (kind) {
	case 0:
		base = ABI_TYPE_SIZE;
		break;
	case 17:				/* array: Elem, Slice, Len */
		base = ABI_TYPE_SIZE + 24;
		break;
	case 18:				/* chan: Elem, Dir */
		base = ABI_TYPE_SIZE + 16;
		break;
	case 19:				/* func: InCount, OutCount; then in+out *Type */
		base = ABI_TYPE_SIZE + 8;
		if (avail < base)
			return -EBADMSG;
		memcpy(&in, ty + ABI_TYPE_SIZE, 2);
		memcpy(&out, ty + ABI_TYPE_SIZE + 2, 2);
		add = ((uint64_t)in + (out & 0x7fff)) * 8;
		break;
	case 20:				/* interface: PkgPath, Methods []Imethod (8 each) */
	case 25:				/* struct: PkgPath, Fields []StructField (24 each) */
		base = ABI_TYPE_SIZE + 32;
		if (avail < base)
			return -EBADMSG;
		memcpy(&n, ty + ABI_TYPE_SIZE + 16, 8);	/* the slice's len */
		if (n > avail)
			return -EBADMSG;
		add = n * (kind == 20 ? 8 : 24);
		break;
	case 21:				/* map: 4 pointers, 6 uintptrs, Flags */
		base = ABI_TYPE_SIZE + 88;
		break;
	case 22: case 23:			/* pointer, slice: Elem */
		base = ABI_TYPE_SIZE + 8;
		break;
	default:
		return -EBADMSG;
	}
	size = base;
	if (ty[ABI_TYPE_TFLAG] & ABI_TFLAG_UNCOMMON) {
		/* UncommonType {PkgPath, Mcount u16, Xcount u16, Moff, _}: 16 bytes */
		if (avail < base + 16)
			return -EBADMSG;
		memcpy(&mcount, ty + base + 4, 2);
		size += 16 + (uint64_t)mcount * 16;	/* Method: 4 x int32 */
	}
	size += add;
	if (size > avail)
		return -EBADMSG;
	return (int64_t)size;
}

/*
 * Hand cb the map type at addr with its name NUL-terminated in *buf (grown
 * as needed, freed by the caller).
 */
static int call_with_name(uint64_t addr, const char *nm, size_t n, char **buf, size_t *cap,
			  gotypes_map_cb cb, void *ctx)
{
	char *nb;

	if (n + 1 > *cap) {
		nb = realloc(*buf, n + 1);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = n + 1;
	}
	memcpy(*buf, nm, n);
	(*buf)[n] = '\0';
	return cb(addr, *buf, ctx);
}

/*
 * The descriptors a 1.27+ module lists (runtime.moduleTypelinks): from
 * types + 8, each 8-aligned, while below types + typedesclen.  cb (may be
 * NULL) sees the map types; *cnt counts every descriptor walked.
 */
static int walk_typedescs(const struct gotypes *t, gotypes_map_cb cb, void *ctx,
			  uint64_t *cnt)
{
	uint64_t off = 8, end = t->typedesclen;
	char *buf = NULL;
	size_t cap = 0, n;
	const char *nm;
	int ret = 0;

	*cnt = 0;
	while (off < end) {
		int64_t size;

		off = (off + 7) & ~7ULL;
		if (off >= end)
			break;
		if (*cnt >= MAX_TYPEDESCS) {
			ret = -E2BIG;
			goto cleanup;
		}
		size = descriptor_size(t->tdata + off, end - off);
		if (size < 0) {
			ret = (int)size;
			goto cleanup;
		}
		(*cnt)++;
		if (cb && (t->tdata[off + ABI_TYPE_KIND] & ABI_KIND_MASK) == ABI_KIND_MAP &&
		    !type_name_ref(t, t->types + off, &nm, &n)) {
			ret = call_with_name(t->types + off, nm, n, &buf, &cap, cb, ctx);
			if (ret)
				goto cleanup;
		}
		off += (uint64_t)size;
	}

cleanup:
	free(buf);
	return ret;
}

int gotypes__for_each_map_type(const struct gotypes *types, gotypes_map_cb cb, void *ctx)
{
	char *buf = NULL;
	size_t cap = 0, i, n;
	const char *nm;
	uint64_t cnt;
	int ret = 0;

	if (types->layout->typedesclen) {
		ret = walk_typedescs(types, cb, ctx, &cnt);
		return ret;
	}
	for (i = 0; i < types->nlinks; i++) {
		uint64_t addr;
		int32_t off;

		memcpy(&off, types->links + i * 4, 4);
		addr = types->types + (uint64_t)off;	/* checked >= 0 in moduledata__read */
		if (gotypes__kind(types, addr) != ABI_KIND_MAP)
			continue;
		if (type_name_ref(types, addr, &nm, &n))
			continue;	/* a nameless map type cannot be reported by name */
		ret = call_with_name(addr, nm, n, &buf, &cap, cb, ctx);
		if (ret)
			goto cleanup;
	}

cleanup:
	free(buf);
	return ret;
}

struct find_map_ctx {
	const char *want;
	uint64_t addr;
};

static int find_map_cb(uint64_t type_addr, const char *name, void *ctx)
{
	struct find_map_ctx *c = ctx;

	if (strcmp(name, c->want))
		return 0;
	c->addr = type_addr;
	return 1;
}

/* Size_ (abi.Type + 0, a uintptr the linker writes as is: no relocation). */
static uint64_t type_size(const struct gotypes *t, uint64_t vaddr)
{
	const uint8_t *ty = type_at(t, vaddr);
	uint64_t size;

	if (!ty)
		return 0;
	memcpy(&size, ty, 8);
	return size;
}

/* The descriptor the pointer at field leads to must be named want, of kind and size. */
static int check_elem(const struct gotypes *t, uint64_t field, const char *what,
		      const char *want, int kind, uint64_t size, char *detail, size_t len)
{
	uint64_t p;
	char name[64];
	int n;

	if (goelf__read_ptr(t->elf, field, &p) || !type_at(t, p)) {
		snprintf(detail, len, "%s: its %s pointer leads outside the type data",
			 GOTYPES_SELFCHECK_TYPE, what);
		return -EBADMSG;
	}
	n = gotypes__name(t, p, name, sizeof(name));
	if (n < 0 || strcmp(name, want)) {
		snprintf(detail, len, "%s: its %s type is named \"%s\", not %s",
			 GOTYPES_SELFCHECK_TYPE, what, n < 0 ? "(unreadable)" : name, want);
		return -EBADMSG;
	}
	if (gotypes__kind(t, p) != kind || type_size(t, p) != size) {
		snprintf(detail, len, "%s: its %s type %s has kind %d and size %llu, not %d and %llu",
			 GOTYPES_SELFCHECK_TYPE, what, want, gotypes__kind(t, p),
			 (unsigned long long)type_size(t, p), kind, (unsigned long long)size);
		return -EBADMSG;
	}
	return 0;
}

int gotypes__self_check(const struct gotypes *t, uint16_t bucketsize_off,
			uint8_t bucketsize_size, char *detail, size_t len)
{
	struct find_map_ctx fc = { GOTYPES_SELFCHECK_TYPE, 0 };
	const uint8_t *gsz;
	uint64_t group, want = 0;
	int ret;

	ret = gotypes__for_each_map_type(t, find_map_cb, &fc);
	if (!fc.addr) {
		if (ret < 0)
			snprintf(detail, len, "the map type list ends on a bad descriptor (%s) before %s",
				 strerror(-ret), GOTYPES_SELFCHECK_TYPE);
		else
			snprintf(detail, len, "%s, the runtime's own, is not among the %zu types listed",
				 GOTYPES_SELFCHECK_TYPE, gotypes__typelink_cnt(t));
		return -EBADMSG;
	}
	if (gotypes__kind(t, fc.addr) != ABI_KIND_MAP) {
		snprintf(detail, len, "%s has kind %d, not map", GOTYPES_SELFCHECK_TYPE,
			 gotypes__kind(t, fc.addr));
		return -EBADMSG;
	}
	if (check_elem(t, fc.addr + ABI_MAPTYPE_KEY, "key", "int32", ABI_KIND_INT32, 4, detail, len) ||
	    check_elem(t, fc.addr + ABI_MAPTYPE_ELEM, "elem", "unsafe.Pointer", ABI_KIND_UNSAFEPTR, 8,
		       detail, len))
		return -EBADMSG;
	if (goelf__read_ptr(t->elf, fc.addr + ABI_MAPTYPE_GROUP, &group) || !type_at(t, group) ||
	    gotypes__kind(t, group) != ABI_KIND_STRUCT) {
		snprintf(detail, len, "%s: its group/bucket pointer does not lead to a struct type",
			 GOTYPES_SELFCHECK_TYPE);
		return -EBADMSG;
	}
	/* the field must lie inside the map descriptor's 136 bytes past abi.Type */
	if ((bucketsize_size != 2 && bucketsize_size != 8) ||
	    bucketsize_off < ABI_TYPE_SIZE || bucketsize_off + bucketsize_size > ABI_TYPE_SIZE + 88 ||
	    !(gsz = goelf__vaddr_ptr(t->elf, fc.addr + bucketsize_off, bucketsize_size))) {
		snprintf(detail, len, "%s: no group size field at +%u", GOTYPES_SELFCHECK_TYPE,
			 bucketsize_off);
		return -EBADMSG;
	}
	memcpy(&want, gsz, bucketsize_size);	/* little-endian: the low bytes */
	if (!want || want != type_size(t, group)) {
		snprintf(detail, len, "%s: the group size at +%u says %llu bytes, its group type %llu",
			 GOTYPES_SELFCHECK_TYPE, bucketsize_off, (unsigned long long)want,
			 (unsigned long long)type_size(t, group));
		return -EBADMSG;
	}
	snprintf(detail, len, "%s: key int32, elem unsafe.Pointer, group of %llu bytes as the size at +%u says",
		 GOTYPES_SELFCHECK_TYPE, (unsigned long long)want, bucketsize_off);
	return 0;
}
