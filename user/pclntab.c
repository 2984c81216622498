// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Go's pclntab, read the way the runtime reads it (runtime/symtab.go,
 * runtime/symtabinl.go), with every offset checked: the tables come from
 * an arbitrary container image and are parsed as root.
 *
 * The table is split into sub-tables (function names, compilation-unit
 * file indexes, file names, pc-value programs, function table + _func
 * records) by offsets in its header.  The linker writes them in that order,
 * so each one is bounded by the start of the next: a name that runs into
 * the cutab is as corrupt as one that runs off the file.
 *
 * Inline trees are funcdata, which since Go 1.18 is addressed relative to
 * moduledata.gofunc, a field the pclntab itself does not carry; Go 1.26 also
 * stopped storing textStart in the header.  Both come from the moduledata,
 * found as the writable word that points at the header and whose slices
 * point exactly at this table's sub-tables.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "buildinfo.h"
#include "moduledata.h"
#include "pclntab.h"

#define PCLN_MAGIC_12		0xfffffffbu
#define PCLN_MAGIC_116		0xfffffffau
#define PCLN_MAGIC_118		0xfffffff0u
#define PCLN_MAGIC_120		0xfffffff1u

/* Larger tables are not produced by any linker we know; refuse early. */
#define PCLN_MAX_FUNCS		(1u << 24)
/* The runtime views an inline tree as *[1 << 20]inlinedCall. */
#define PCLN_MAX_INLINE		(1u << 20)
/*
 * Deeper chains of inlined calls are a cycle in a corrupt table: the
 * compiler's inlining budget keeps real chains far shorter.
 */
#define PCLN_MAX_INLINE_DEPTH	128

#define PCDATA_INLTREEINDEX	2
#define FUNCDATA_INLTREE	3

/* _func: nameOff follows the entry (uintptr in 1.16/1.17, u32 after). */
#define FUNC_NAMEOFF(f)		((f) == 116 ? 8 : 4)
#define FUNC_PCFILE(f)		((f) == 116 ? 24 : 20)
#define FUNC_PCLN(f)		((f) == 116 ? 28 : 24)
#define FUNC_NPCDATA(f)		((f) == 116 ? 32 : 28)
#define FUNC_CUOFF(f)		((f) == 116 ? 36 : 32)
/* nfuncdata is the last byte; pcdata offsets start right after it. */
#define FUNC_SIZE(f)		((f) == 118 ? 40 : 44)

/* inlinedCall: 20 bytes {parent, funcID, _, file, line, nameOff, parentPc} until 1.19 */
#define INL_SIZE(f)		((f) == 120 ? 16 : 20)
#define INL_NAMEOFF(f)		((f) == 120 ? 4 : 12)
#define INL_PARENTPC(f)		((f) == 120 ? 8 : 16)

/* moduledata: the prefix up to text never changed (see moduledata.c) */
#define MD_FUNCNAMETAB		8
#define MD_CUTAB		32
#define MD_FILETAB		56
#define MD_PCTAB		80
#define MD_PCLNTABLE		104
#define MD_FTAB			128
#define MD_MINPC		160
#define MD_MAXPC		168
#define MD_TEXT			176

static const char unknown_file[] = "?";

struct blob {
	const uint8_t *p;
	uint64_t len;
};

struct pclntab {
	const struct goelf *elf;
	int format;
	uint64_t hdr;			/* vaddr of the header */
	struct blob all;		/* header to the end of the table */
	struct blob funcname, cutab, filetab, pctab, pcln;
	uint64_t pcln_vaddr;
	uint32_t nfunc;
	uint32_t ftab_ent;		/* bytes per function table field */
	uint64_t text_start;
	uint64_t gofunc;		/* 0: funcdata unreachable, no inline expansion */
	uint64_t moduledata;		/* 0: not found */
	const struct md_layout *md_layout;	/* NULL: not found */
};

/* One _func record, checked to lie inside pcln with its pcdata/funcdata arrays. */
struct finfo {
	uint64_t entry, end;
	uint64_t off;			/* of the record inside pcln */
	const char *name;
	uint32_t pcfile, pcln, npcdata, cuoff;
	uint8_t nfuncdata;
};

struct inltree {
	const uint8_t *p;
	uint32_t cnt;
};

static bool rd_u32(const struct blob *b, uint64_t off, uint32_t *v)
{
	if (off > b->len || b->len - off < 4)
		return false;
	memcpy(v, b->p + off, 4);
	return true;
}

static bool rd_u64(const struct blob *b, uint64_t off, uint64_t *v)
{
	if (off > b->len || b->len - off < 8)
		return false;
	memcpy(v, b->p + off, 8);
	return true;
}

/* For offsets already checked to be in range; 0 if not, never a stray read. */
static uint32_t u32_at(const struct blob *b, uint64_t off)
{
	uint32_t v = 0;

	rd_u32(b, off, &v);
	return v;
}

/* A NUL-terminated string at off inside b, or NULL. */
static const char *blob_str(const struct blob *b, uint64_t off)
{
	if (off >= b->len || !memchr(b->p + off, '\0', b->len - off))
		return NULL;
	return (const char *)b->p + off;
}

static struct blob sub(const struct blob *b, uint64_t off, uint64_t end)
{
	struct blob r = { b->p + off, end - off };

	return r;
}

static int header_size(int format)
{
	/* magic+pads, then nfunc, nfiles, [textStart,] and five table offsets */
	return 8 + (format == 116 ? 7 : 8) * 8;
}

/*
 * Validate a header at all.p (virtual address hdr) and cut the sub-tables.
 * Fills tab->format, the blobs and nfunc; the function table is checked by
 * check_ftab() once the text start is known.
 */
static int parse_header(struct pclntab *tab, struct gm_err *err)
{
	const struct blob *a = &tab->all;
	uint64_t nfunc, offs[5];
	uint32_t magic;
	int i, base;

	if (!rd_u32(a, 0, &magic) || a->len < 8)
		return gm_err_set(err, GM_EMALFORMED, "pclntab header truncated");
	switch (magic) {
	case PCLN_MAGIC_116: tab->format = 116; break;
	case PCLN_MAGIC_118: tab->format = 118; break;
	case PCLN_MAGIC_120: tab->format = 120; break;
	case PCLN_MAGIC_12:
		return gm_err_set(err, GM_EGOVERSION, "Go before 1.16 pclntab format not supported");
	default:
		return gm_err_set(err, GM_ENOTGO, "bad pclntab magic 0x%08x: not a Go pclntab", magic);
	}
	if (a->p[4] || a->p[5])
		return gm_err_set(err, GM_EMALFORMED, "pclntab header padding is not zero");
	if (a->p[6] != 1)
		return gm_err_set(err, GM_EARCH, "pclntab instruction quantum %u is not x86's 1", a->p[6]);
	if (a->p[7] != 8)
		return gm_err_set(err, GM_EARCH, "pclntab pointer size %u is not 8", a->p[7]);
	if (a->len < (uint64_t)header_size(tab->format))
		return gm_err_set(err, GM_EMALFORMED, "pclntab header truncated");
	rd_u64(a, 8, &nfunc);
	if (!nfunc || nfunc > PCLN_MAX_FUNCS)
		return gm_err_set(err, GM_EMALFORMED, "pclntab function count %llu is implausible",
				  (unsigned long long)nfunc);
	tab->nfunc = (uint32_t)nfunc;
	base = tab->format == 116 ? 24 : 32;
	for (i = 0; i < 5; i++)
		rd_u64(a, base + i * 8, &offs[i]);
	if (offs[0] < (uint64_t)header_size(tab->format))
		return gm_err_set(err, GM_EMALFORMED, "pclntab function name table overlaps the header");
	for (i = 1; i < 5; i++)
		if (offs[i] < offs[i - 1])
			return gm_err_set(err, GM_EMALFORMED, "pclntab sub-tables out of order");
	if (offs[4] >= a->len)
		return gm_err_set(err, GM_EMALFORMED, "pclntab function table starts past the end of the table");
	tab->funcname = sub(a, offs[0], offs[1]);
	tab->cutab = sub(a, offs[1], offs[2]);
	tab->filetab = sub(a, offs[2], offs[3]);
	tab->pctab = sub(a, offs[3], offs[4]);
	tab->pcln = sub(a, offs[4], a->len);
	tab->pcln_vaddr = tab->hdr + offs[4];
	tab->ftab_ent = tab->format == 116 ? 8 : 4;
	/* nfunc (entry, funcoff) pairs, then the end PC of the last function */
	if ((uint64_t)tab->nfunc * 2 * tab->ftab_ent + tab->ftab_ent > tab->pcln.len)
		return gm_err_set(err, GM_EMALFORMED, "pclntab function table (%u functions) runs past the end of the table",
				  tab->nfunc);
	return 0;
}

/* Field `field` (0 entry, 1 funcoff) of function table row i, as a value. */
static int ftab_field(const struct pclntab *tab, uint64_t i, int field, uint64_t *v)
{
	uint64_t off = (i * 2 + field) * tab->ftab_ent;
	uint32_t v32;

	if (tab->format == 116) {
		/* absolute addresses, relocated in PIE */
		if (field == 0)
			return goelf__read_ptr(tab->elf, tab->pcln_vaddr + off, v) ? -EINVAL : 0;
		return rd_u64(&tab->pcln, off, v) ? 0 : -EINVAL;
	}
	if (!rd_u32(&tab->pcln, off, &v32))
		return -EINVAL;
	*v = field == 0 ? tab->text_start + v32 : v32;
	return 0;
}

static int ftab_entry(const struct pclntab *tab, uint64_t i, uint64_t *pc)
{
	return ftab_field(tab, i, 0, pc);
}

static int check_ftab(const struct pclntab *tab, struct gm_err *err)
{
	uint64_t i, prev = 0, pc;

	for (i = 0; i <= tab->nfunc; i++) {
		if (ftab_entry(tab, i, &pc))
			return gm_err_set(err, GM_EMALFORMED, "pclntab function table entry %llu unreadable",
					  (unsigned long long)i);
		if (i && pc < prev)
			return gm_err_set(err, GM_EMALFORMED, "pclntab function table is not sorted (entry %llu)",
					  (unsigned long long)i);
		prev = pc;
	}
	return 0;
}

/*
 * The functions must lie in code: every entry of the table, first to end,
 * inside one executable PT_LOAD segment.  A corrupt textStart (or
 * moduledata.text) moves them all elsewhere; inspect would only notice when
 * it reads the code of a probed function, symbolize not at all (every
 * address "??").  One check here serves every reader of the table.
 */
static int check_text(const struct pclntab *tab, struct gm_err *err)
{
	const struct goelf_segment *seg;
	uint64_t first, end;
	size_t i;

	if (ftab_entry(tab, 0, &first) || ftab_entry(tab, tab->nfunc, &end))
		return gm_err_set(err, GM_EMALFORMED, "pclntab function table unreadable");
	for (i = 0; i < goelf__segment_cnt(tab->elf); i++) {
		seg = goelf__segment(tab->elf, i);
		if (seg->type == PT_LOAD && (seg->flags & PF_X) && first >= seg->vaddr &&
		    end >= first && end - seg->vaddr <= seg->memsz)
			return 0;
	}
	return gm_err_set(err, GM_EMALFORMED,
			  "pclntab functions 0x%llx-0x%llx are not in an executable segment "
			  "(corrupt text start 0x%llx?)", (unsigned long long)first,
			  (unsigned long long)end, (unsigned long long)tab->text_start);
}

/* Load and check _func of function table row i. */
static int func_info(const struct pclntab *tab, uint64_t i, struct finfo *fi)
{
	const int f = tab->format;
	uint64_t funcoff, need;
	uint32_t nameoff, entryoff;

	if (i >= tab->nfunc)
		return -ENOENT;
	if (ftab_entry(tab, i, &fi->entry) || ftab_entry(tab, i + 1, &fi->end) ||
	    ftab_field(tab, i, 1, &funcoff))
		return -EINVAL;
	if (funcoff > tab->pcln.len || tab->pcln.len - funcoff < FUNC_SIZE(f))
		return -EINVAL;
	fi->off = funcoff;
	/* the record repeats its entry: a mismatch means we are not reading a _func */
	if (f != 116) {
		entryoff = u32_at(&tab->pcln, funcoff);
		if (tab->text_start + entryoff != fi->entry)
			return -EINVAL;
	}
	nameoff = u32_at(&tab->pcln, funcoff + FUNC_NAMEOFF(f));
	fi->pcfile = u32_at(&tab->pcln, funcoff + FUNC_PCFILE(f));
	fi->pcln = u32_at(&tab->pcln, funcoff + FUNC_PCLN(f));
	fi->npcdata = u32_at(&tab->pcln, funcoff + FUNC_NPCDATA(f));
	fi->cuoff = u32_at(&tab->pcln, funcoff + FUNC_CUOFF(f));
	fi->nfuncdata = tab->pcln.p[funcoff + FUNC_SIZE(f) - 1];
	/* pcdata u32s, then funcdata (u32 offsets; 1.16/1.17: 8-aligned pointers) */
	need = (uint64_t)fi->npcdata * 4 + (f == 116 ? 4 + fi->nfuncdata * 8ULL : fi->nfuncdata * 4ULL);
	if (tab->pcln.len - funcoff - FUNC_SIZE(f) < need)
		return -EINVAL;
	fi->name = blob_str(&tab->funcname, nameoff);
	if (!fi->name)
		return -EINVAL;
	return 0;
}

/* A pc-value varint: go_uvarint of at most 5 bytes (any u32), kept to 32 bits. */
static int read_uvarint(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	size_t avail = (size_t)(end - *p);
	uint64_t r;
	int used;

	used = go_uvarint(*p, avail < 5 ? avail : 5, &r);
	if (used < 0)
		return -EINVAL;	/* cut short, or longer than any u32 encoding */
	*p += used;
	*v = (uint32_t)r;
	return 0;
}

/*
 * Run pc-value program `off` of fi (as runtime.pcvalue): *val is its value
 * at target, -1 when the program has none there; *max, if asked, the
 * largest value it takes anywhere (target UINT64_MAX walks it all).  Each
 * step eats at least two bytes of a bounded table, so the loop ends.
 */
static int pcwalk(const struct pclntab *tab, const struct finfo *fi, uint32_t off,
		  uint64_t target, int32_t *val, int32_t *max)
{
	const uint8_t *p, *end = tab->pctab.p + tab->pctab.len;
	uint64_t pc = fi->entry;
	uint32_t v = (uint32_t)-1, uv, pcd;

	*val = -1;
	if (max)
		*max = -1;
	if (!off)
		return 0;
	if (off >= tab->pctab.len)
		return -EINVAL;
	p = tab->pctab.p + off;
	for (;;) {
		if (read_uvarint(&p, end, &uv))
			return -EINVAL;
		if (!uv && pc != fi->entry)
			return 0;
		v += -(uv & 1) ^ (uv >> 1);
		if (max && (int32_t)v > *max)
			*max = (int32_t)v;
		if (read_uvarint(&p, end, &pcd))
			return -EINVAL;
		pc += pcd;	/* quantum 1, checked in the header */
		if (target < pc) {
			*val = (int32_t)v;
			return 0;
		}
	}
}

static int pcvalue(const struct pclntab *tab, const struct finfo *fi, uint32_t off,
		   uint64_t target, int32_t *val)
{
	return pcwalk(tab, fi, off, target, val, NULL);
}

static uint32_t pcdata_off(const struct pclntab *tab, const struct finfo *fi, uint32_t table)
{
	if (table >= fi->npcdata)
		return 0;
	return u32_at(&tab->pcln, fi->off + FUNC_SIZE(tab->format) + table * 4ULL);
}

/* Virtual address of funcdata i, 0 if absent or unreachable. */
static uint64_t funcdata(const struct pclntab *tab, const struct finfo *fi, uint8_t i)
{
	uint64_t at = fi->off + FUNC_SIZE(tab->format) + fi->npcdata * 4ULL, v;
	uint32_t off;

	if (i >= fi->nfuncdata)
		return 0;
	if (tab->format == 116) {
		uint64_t va = tab->pcln_vaddr + at;

		va = (va + 7) & ~7ULL;
		return goelf__read_ptr(tab->elf, va + i * 8ULL, &v) ? 0 : v;
	}
	if (!tab->gofunc)
		return 0;
	off = u32_at(&tab->pcln, at + i * 4ULL);
	return off == UINT32_MAX ? 0 : tab->gofunc + off;
}

/*
 * The inline tree of fi, sized by the largest index its InlTreeIndex
 * program produces (the tree stores no length; parents always precede
 * their children, so no entry lies beyond that).  cnt 0: none.
 */
static int inl_tree(const struct pclntab *tab, const struct finfo *fi, struct inltree *t)
{
	int32_t max, unused;
	uint64_t at;
	int ret;

	t->p = NULL;
	t->cnt = 0;
	at = funcdata(tab, fi, FUNCDATA_INLTREE);
	if (!at)
		return 0;
	ret = pcwalk(tab, fi, pcdata_off(tab, fi, PCDATA_INLTREEINDEX), UINT64_MAX, &unused, &max);
	if (ret || max < 0)
		return ret;
	if (max >= (int32_t)PCLN_MAX_INLINE)
		return -EINVAL;
	t->cnt = (uint32_t)max + 1;
	t->p = goelf__vaddr_ptr(tab->elf, at, (uint64_t)t->cnt * INL_SIZE(tab->format));
	return t->p ? 0 : -EINVAL;
}

static const char *inl_name(const struct pclntab *tab, const struct inltree *t, uint32_t ix)
{
	int32_t nameoff;

	memcpy(&nameoff, t->p + (uint64_t)ix * INL_SIZE(tab->format) + INL_NAMEOFF(tab->format), 4);
	return nameoff < 0 ? NULL : blob_str(&tab->funcname, (uint32_t)nameoff);
}

static int file_line(const struct pclntab *tab, const struct finfo *fi, uint64_t pc,
		     const char **file, int *line)
{
	int32_t fileno, ln;
	uint32_t fileoff;
	int ret;

	*file = unknown_file;
	*line = 0;
	ret = pcvalue(tab, fi, fi->pcfile, pc, &fileno);
	if (!ret)
		ret = pcvalue(tab, fi, fi->pcln, pc, &ln);
	if (ret)
		return ret;
	if (fileno < 0 || ln < 0)
		return 0;	/* no position recorded here, as runtime.funcline1 */
	if (!rd_u32(&tab->cutab, ((uint64_t)fi->cuoff + (uint32_t)fileno) * 4, &fileoff))
		return -EINVAL;
	if (fileoff == UINT32_MAX)
		return 0;
	*file = blob_str(&tab->filetab, fileoff);
	if (!*file) {
		*file = unknown_file;
		return -EINVAL;
	}
	*line = ln;
	return 0;
}

/* ---- locating the table ---- */

static int open_here(struct pclntab *tab, struct gm_err *err);

static bool looks_like_header(const uint8_t *p, uint64_t avail)
{
	uint32_t magic;

	if (avail < 8)
		return false;
	memcpy(&magic, p, 4);
	if (magic != PCLN_MAGIC_116 && magic != PCLN_MAGIC_118 && magic != PCLN_MAGIC_120 &&
	    magic != PCLN_MAGIC_12)
		return false;
	return !p[4] && !p[5] && p[6] == 1 && p[7] == 8;
}

/*
 * Externally linked PIE keeps the table but not its section name: look for
 * a header inside the loaded, non-executable data.  The table is an 8-byte
 * aligned symbol; a candidate counts only if the header, the text start
 * and the whole function table check out.
 */
static int scan_for_header(struct pclntab *tab, struct gm_err *err)
{
	const struct goelf *elf = tab->elf;
	struct gm_err first = { { 0 } }, e;
	size_t i;
	int ret;

	for (i = 0; i < goelf__segment_cnt(elf); i++) {
		const struct goelf_segment *sg = goelf__segment(elf, i);
		const uint8_t *seg;
		uint64_t o;

		if (sg->type != PT_LOAD || (sg->flags & PF_X) || sg->filesz < 8)
			continue;
		seg = goelf__file_ptr(elf, sg->offset, sg->filesz);
		if (!seg)
			continue;
		for (o = (8 - (sg->vaddr & 7)) & 7; o + 8 <= sg->filesz; o += 8) {
			if (!looks_like_header(seg + o, sg->filesz - o))
				continue;
			tab->hdr = sg->vaddr + o;
			tab->all.p = seg + o;
			tab->all.len = sg->filesz - o;
			e.msg[0] = '\0';
			ret = open_here(tab, &e);
			if (!ret)
				return 0;
			/* refusing an old format is an answer, not a miss */
			if (ret == -ENOTSUP)
				return gm_err_set(err, GM_EGOVERSION, "%s", e.msg);
			if (!first.msg[0])
				first = e;
		}
	}
	if (first.msg[0])
		return gm_err_set(err, first.code, "%s", first.msg);
	return gm_err_set(err, GM_ENOTGO, "no .gopclntab: not a Go binary");
}

static int locate(struct pclntab *tab, struct gm_err *err)
{
	static const char *const names[] = { ".gopclntab", ".data.rel.ro.gopclntab" };
	const struct goelf_section *sec = NULL;
	size_t i;

	for (i = 0; i < 2 && !sec; i++)
		sec = goelf__section_by_name(tab->elf, names[i]);
	if (!sec)
		return scan_for_header(tab, err);
	tab->all.p = goelf__section_data(tab->elf, sec);
	tab->all.len = sec->size;
	tab->hdr = sec->addr;
	if (!tab->all.p)
		return gm_err_set(err, GM_EMALFORMED, "%s section has no file data", sec->name);
	return open_here(tab, err);
}

/* ---- moduledata: text start (1.26) and gofunc (1.18+) ---- */

static bool md_slice_is(const struct goelf *elf, uint64_t md, uint64_t field, uint64_t want)
{
	uint64_t v;

	return !goelf__read_ptr(elf, md + field, &v) && v == want;
}

/*
 * Is md the moduledata of this table?  Its pcHeader and five table slices
 * must point exactly at our sub-tables, the ftab slice must have nfunc+1
 * rows, and minpc/maxpc must equal the first entry and the end of the
 * function table.  A stray pointer to the header fails all of that.
 */
static bool md_check(struct pclntab *tab, uint64_t md, uint64_t *text, uint64_t *gofunc)
{
	const struct goelf *elf = tab->elf;
	const struct md_layout *l;
	const uint64_t h = tab->hdr;
	uint64_t v, minpc, maxpc, first, last;
	struct md_fields f;
	uint32_t e0, en;
	size_t i;

	if (goelf__read_ptr(elf, md, &v) || v != h)
		return false;
	if (!md_slice_is(elf, md, MD_FUNCNAMETAB, h + (uint64_t)(tab->funcname.p - tab->all.p)) ||
	    !md_slice_is(elf, md, MD_CUTAB, h + (uint64_t)(tab->cutab.p - tab->all.p)) ||
	    !md_slice_is(elf, md, MD_FILETAB, h + (uint64_t)(tab->filetab.p - tab->all.p)) ||
	    !md_slice_is(elf, md, MD_PCTAB, h + (uint64_t)(tab->pctab.p - tab->all.p)) ||
	    !md_slice_is(elf, md, MD_PCLNTABLE, tab->pcln_vaddr) ||
	    !md_slice_is(elf, md, MD_FTAB, tab->pcln_vaddr) ||
	    !md_slice_is(elf, md, MD_FTAB + 8, (uint64_t)tab->nfunc + 1))
		return false;
	if (goelf__read_ptr(elf, md + MD_MINPC, &minpc) || goelf__read_ptr(elf, md + MD_MAXPC, &maxpc) ||
	    goelf__read_ptr(elf, md + MD_TEXT, text))
		return false;
	e0 = u32_at(&tab->pcln, 0);
	en = u32_at(&tab->pcln, (uint64_t)tab->nfunc * 8);
	first = *text + e0;
	last = *text + en;
	if (minpc != first || maxpc != last)
		return false;
	if (tab->text_start && *text != tab->text_start)
		return false;
	/*
	 * Which release's layout the rest follows: the first one whose fields
	 * are all consistent; failing that (a moduledata with only what this
	 * file needs), the first whose gofunc points into rodata.  No layout
	 * at all costs the inline trees only.
	 */
	*gofunc = 0;
	tab->md_layout = NULL;
	for (i = 0; (l = moduledata__try_order(tab->format, NULL, i)); i++)
		if (moduledata__read(elf, md, l, &f) && f.text == *text) {
			tab->md_layout = l;
			*gofunc = f.gofunc;
			return true;
		}
	for (i = 0; (l = moduledata__try_order(tab->format, NULL, i)); i++)
		if ((*gofunc = moduledata__gofunc(elf, md, l)))
			return true;
	return true;
}

struct md_scan_ctx {
	struct pclntab *tab;
	uint64_t *text, *gofunc;
};

static bool md_scan_try(uint64_t md, void *ctx)
{
	struct md_scan_ctx *c = ctx;

	if (!md_check(c->tab, md, c->text, c->gofunc))
		return false;
	c->tab->moduledata = md;
	return true;
}

static bool find_moduledata(struct pclntab *tab, uint64_t *text, uint64_t *gofunc)
{
	const struct goelf_section *sec;
	uint64_t md;

	struct md_scan_ctx scan = { tab, text, gofunc };

	if (!goelf__symbol(tab->elf, "runtime.firstmoduledata", &md, NULL) &&
	    md_scan_try(md, &scan))
		return true;
	sec = goelf__section_by_name(tab->elf, ".go.module");
	if (sec && sec->addr && md_scan_try(sec->addr, &scan))
		return true;
	return goelf__find_word(tab->elf, tab->hdr, md_scan_try, &scan);
}

static int resolve_bases(struct pclntab *tab, struct gm_err *err)
{
	uint64_t text = 0, gofunc = 0;
	bool md;

	if (tab->format == 116) {
		/* absolute entries, absolute funcdata pointers */
		return ftab_entry(tab, 0, &tab->text_start) ?
			gm_err_set(err, GM_EMALFORMED, "pclntab function table unreadable") : 0;
	}
	/* 1.18-1.25 store textStart (relocated in PIE); 1.26 leaves it zero */
	if (goelf__read_ptr(tab->elf, tab->hdr + 24, &tab->text_start))
		tab->text_start = 0;
	md = find_moduledata(tab, &text, &gofunc);
	if (!tab->text_start) {
		if (md)
			tab->text_start = text;
		else if (goelf__symbol(tab->elf, "runtime.text", &text, NULL) || !text)
			return gm_err_set(err, GM_EMALFORMED, "pclntab has no text start and no moduledata refers to it");
		else
			tab->text_start = text;
	}
	if (md) {
		tab->gofunc = gofunc;
	} else if (!goelf__symbol(tab->elf, "go:func.*", &gofunc, NULL) ||
		   !goelf__symbol(tab->elf, "go.func.*", &gofunc, NULL)) {
		tab->gofunc = gofunc;
	}
	return 0;
}

/* Take the table at tab->all / tab->hdr, or say why not. */
static int open_here(struct pclntab *tab, struct gm_err *err)
{
	int ret;

	tab->text_start = 0;
	tab->gofunc = 0;
	tab->moduledata = 0;
	tab->md_layout = NULL;
	ret = parse_header(tab, err);
	if (!ret)
		ret = resolve_bases(tab, err);
	if (!ret)
		ret = check_ftab(tab, err);
	if (!ret)
		ret = check_text(tab, err);
	return ret;
}

struct pclntab *pclntab__new(const struct goelf *elf, struct gm_err *err)
{
	struct pclntab *tab;
	int ret;

	tab = calloc(1, sizeof(*tab));
	if (!tab) {
		gm_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	tab->elf = elf;
	ret = locate(tab, err);
	if (ret) {
		free(tab);
		errno = -ret;
		return NULL;
	}
	return tab;
}

void pclntab__free(struct pclntab *tab)
{
	free(tab);
}

int pclntab__format(const struct pclntab *tab) { return tab->format; }
uint64_t pclntab__header_addr(const struct pclntab *tab) { return tab->hdr; }
uint64_t pclntab__text_start(const struct pclntab *tab) { return tab->text_start; }
uint64_t pclntab__gofunc(const struct pclntab *tab) { return tab->gofunc; }
size_t pclntab__func_cnt(const struct pclntab *tab) { return tab->nfunc; }

static void fill_func(const struct finfo *fi, size_t idx, struct pcln_func *fn)
{
	fn->name = fi->name;
	fn->entry = fi->entry;
	fn->end = fi->end;
	fn->index = (uint32_t)idx;
}

int pclntab__func_at(const struct pclntab *tab, size_t idx, struct pcln_func *fn)
{
	struct finfo fi;
	int ret;

	ret = func_info(tab, idx, &fi);
	if (ret)
		return ret;
	fill_func(&fi, idx, fn);
	return 0;
}

/* Row of the function containing pc (entries are sorted, checked at open). */
static int find_row(const struct pclntab *tab, uint64_t pc, uint64_t *row)
{
	uint64_t lo = 0, hi = tab->nfunc, e;

	if (ftab_entry(tab, 0, &e) || pc < e || ftab_entry(tab, tab->nfunc, &e) || pc >= e)
		return -ENOENT;
	/* last row whose entry <= pc */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ftab_entry(tab, mid, &e))
			return -EINVAL;
		if (e <= pc)
			lo = mid;
		else
			hi = mid;
	}
	*row = lo;
	return 0;
}

int pclntab__find_func(const struct pclntab *tab, uint64_t pc, struct pcln_func *fn)
{
	uint64_t row;
	int ret;

	ret = find_row(tab, pc, &row);
	if (ret)
		return ret;
	return pclntab__func_at(tab, row, fn);
}

int pclntab__func_by_name(const struct pclntab *tab, const char *name, struct pcln_func *fn)
{
	struct finfo fi;
	size_t i;

	for (i = 0; i < tab->nfunc; i++) {
		if (func_info(tab, i, &fi) || strcmp(fi.name, name))
			continue;
		fill_func(&fi, i, fn);
		return 0;
	}
	return -ENOENT;
}

bool pclntab__is_inlined_somewhere(const struct pclntab *tab, const char *name)
{
	struct inltree t;
	struct finfo fi;
	size_t i;
	uint32_t k;

	for (i = 0; i < tab->nfunc; i++) {
		if (func_info(tab, i, &fi) || inl_tree(tab, &fi, &t))
			continue;
		for (k = 0; k < t.cnt; k++) {
			const char *s = inl_name(tab, &t, k);

			if (s && !strcmp(s, name))
				return true;
		}
	}
	return false;
}

int pclntab__symbolize(const struct pclntab *tab, uint64_t pc,
		       struct pcln_frame *frames, int max)
{
	struct inltree t;
	struct finfo fi;
	uint64_t row;
	int n = 0, depth, ret;

	if (max <= 0)
		return -EINVAL;
	ret = find_row(tab, pc, &row);
	if (!ret)
		ret = func_info(tab, row, &fi);
	if (!ret)
		ret = inl_tree(tab, &fi, &t);
	if (ret)
		return ret;
	/*
	 * As runtime.inlineUnwinder: pc's own file:line is the innermost
	 * position; its InlTreeIndex names the inlined callee; that entry's
	 * parentPc is an instruction whose position is the call site, in the
	 * caller, whose own index says whether it is itself inlined.
	 */
	for (depth = 0; depth < PCLN_MAX_INLINE_DEPTH; depth++) {
		const char *name = fi.name, *file;
		int32_t ix = -1, ppc;
		int line;

		if (t.cnt) {
			ret = pcvalue(tab, &fi, pcdata_off(tab, &fi, PCDATA_INLTREEINDEX), pc, &ix);
			if (ret)
				return ret;
			if (ix >= 0 && (uint32_t)ix >= t.cnt)
				return -EINVAL;
			if (ix >= 0 && !(name = inl_name(tab, &t, (uint32_t)ix)))
				return -EINVAL;
		}
		ret = file_line(tab, &fi, pc, &file, &line);
		if (ret)
			return ret;
		if (n < max) {
			frames[n].function = name;
			frames[n].file = file;
			frames[n].line = line;
			n++;
		}
		if (ix < 0)
			return n;
		memcpy(&ppc, t.p + (uint64_t)ix * INL_SIZE(tab->format) + INL_PARENTPC(tab->format), 4);
		if (ppc < 0 || (uint64_t)ppc >= fi.end - fi.entry)
			return -EINVAL;
		pc = fi.entry + (uint64_t)ppc;
	}
	return -ELOOP;
}

const struct md_layout *pclntab__md_layout(const struct pclntab *tab)
{
	return tab->md_layout;
}

uint64_t pclntab__moduledata(const struct pclntab *tab)
{
	return tab->moduledata;
}
