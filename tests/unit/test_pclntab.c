// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pclntab on the fixture matrix and on hand-built tables.
 *
 * Oracles on real binaries: the linker's symbols (every function's entry,
 * runtime.text, go:func.* which is moduledata.gofunc), the section the
 * table lives in, and the fixtures' source (main.fill starts on line 28,
 * flag.Int is inlined into leaky's main.main on lines 48 and 49).  The full
 * comparison with go tool addr2line and DWARF is tests/e2e/test_symbolize.sh.
 *
 * The hand-built tables pin each format (1.16, 1.18, 1.20, and 1.26's
 * header without textStart), PIE relocations, the moduledata search and the
 * magic scan, then break one thing at a time: each corruption must make
 * pclntab__new or the one lookup that touches it fail, never read outside
 * the image (the ASan+UBSan build of this file is the proof).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "matrix.h"
#include "pclntab.h"
#include "elfimg.h"
#include "cases.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* pclntab format of toolchain t of the matrix (its magic: runtime/symtab.go) */
static int format_of(size_t t)
{
	return gm_matrix[t].minor < 18 ? 116 : gm_matrix[t].minor < 20 ? 118 : 120;
}
static const char *const variants[] = { "plain", "pie-stripped", "cgo" };

static void fixture_path(char *buf, size_t len, const char *tc, const char *v, const char *name)
{
	const char *b = getenv("GM_BUILD");

	snprintf(buf, len, "%s/fixtures/%s/%s/%s", b && *b ? b : "./build", tc, v, name);
}

struct opened {
	struct goelf *elf;
	struct pclntab *tab;
};

static void open_fixture(struct opened *o, const char *tc, const char *v, const char *name)
{
	struct gm_err err = { { 0 } };
	char path[512];

	fixture_path(path, sizeof(path), tc, v, name);
	o->elf = goelf__open(path, &err);
	if (!o->elf)
		fail_msg("%s: %s (run `make fixtures`)", path, err.msg);
	o->tab = pclntab__new(o->elf, &err);
	if (!o->tab)
		fail_msg("%s: %s", path, err.msg);
}

static void close_opened(struct opened *o)
{
	pclntab__free(o->tab);
	goelf__free(o->elf);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Header, text start and gofunc against sections and symbols. */
static void fix_header(size_t t, size_t v)
{
	const struct goelf_section *sec, *text;
	struct opened o;
	uint64_t addr;

	open_fixture(&o, gm_toolchains[t], variants[v], "maps");
	assert_int_equal(pclntab__format(o.tab), format_of(t));
	assert_in_range(pclntab__func_cnt(o.tab), 1000, 100000);
	sec = goelf__section_by_name(o.elf, ".gopclntab");
	if (!sec)
		sec = goelf__section_by_name(o.elf, ".data.rel.ro.gopclntab");
	assert_non_null(sec);
	assert_int_equal(pclntab__header_addr(o.tab), sec->addr);
	/* 1.16/1.17 funcdata are absolute pointers: no gofunc base */
	if (format_of(t) == 116)
		assert_int_equal(pclntab__gofunc(o.tab), 0);
	else
		assert_int_not_equal(pclntab__gofunc(o.tab), 0);
	if (goelf__has_symtab(o.elf)) {
		assert_int_equal(goelf__symbol(o.elf, "runtime.text", &addr, NULL), 0);
		assert_int_equal(pclntab__text_start(o.tab), addr);
		if (format_of(t) == 116)
			addr = 0;
		else if (goelf__symbol(o.elf, "go:func.*", &addr, NULL))
			assert_int_equal(goelf__symbol(o.elf, "go.func.*", &addr, NULL), 0);
		assert_int_equal(pclntab__gofunc(o.tab), addr);
	} else {
		/* internally linked: Go's text is the whole .text */
		text = goelf__section_by_name(o.elf, ".text");
		assert_non_null(text);
		assert_int_equal(pclntab__text_start(o.tab), text->addr);
	}
	close_opened(&o);
}

/* Every function's entry is its symbol's value; lookups agree with the table. */
static void fix_functions(size_t t, size_t v)
{
	size_t i;
	struct opened o;
	size_t n, with_sym = 0;
	uint64_t prev_end = 0;

	open_fixture(&o, gm_toolchains[t], variants[v], "maps");
	n = pclntab__func_cnt(o.tab);
	for (i = 0; i < n; i++) {
		struct pcln_func f, g;
		struct pcln_frame fr[16];
		uint64_t addr;

		assert_int_equal(pclntab__func_at(o.tab, i, &f), 0);
		assert_int_equal(f.index, i);
		assert_true(f.end >= f.entry);
		assert_true(!i || f.entry == prev_end);
		prev_end = f.end;
		/*
		 * A name can appear twice: an assembly function and its
		 * ABIInternal wrapper.  The symbol is one of them.
		 */
		if (goelf__has_symtab(o.elf) && !goelf__symbol(o.elf, f.name, &addr, NULL)) {
			if (addr != f.entry &&
			    (pclntab__find_func(o.tab, addr, &g) || g.entry != addr ||
			     strcmp(g.name, f.name)))
				fail_msg("%s/%s: %s at %#llx, symbol says %#llx", gm_toolchains[t],
					 variants[v], f.name, (unsigned long long)f.entry,
					 (unsigned long long)addr);
			with_sym++;
		}
		if (f.end == f.entry)
			continue;
		assert_int_equal(pclntab__find_func(o.tab, f.entry, &g), 0);
		assert_int_equal(g.index, i);
		assert_int_equal(pclntab__find_func(o.tab, f.end - 1, &g), 0);
		assert_int_equal(g.index, i);
		assert_in_range(pclntab__symbolize(o.tab, f.entry, fr, 16), 1, 16);
	}
	if (goelf__has_symtab(o.elf) && with_sym < n * 9 / 10)
		fail_msg("%s/%s: only %zu of %zu functions have a symbol", gm_toolchains[t],
			 variants[v], with_sym, n);
	close_opened(&o);
}

static void fix_lookups(size_t t, size_t v)
{
	struct pcln_func f, first, last;
	struct pcln_frame fr[4];
	struct opened o;

	open_fixture(&o, gm_toolchains[t], variants[v], "maps");
	assert_int_equal(pclntab__func_by_name(o.tab, "main.fill", &f), 0);
	assert_string_equal(f.name, "main.fill");
	assert_int_equal(pclntab__symbolize(o.tab, f.entry, fr, 4), 1);
	assert_string_equal(fr[0].function, "main.fill");
	assert_true(ends_with(fr[0].file, "/tests/fixtures/maps/main.go"));
	assert_int_equal(fr[0].line, 28);
	assert_int_equal(pclntab__func_by_name(o.tab, "main.no_such_function", &f), -ENOENT);
	/* outside Go's text */
	assert_int_equal(pclntab__func_at(o.tab, 0, &first), 0);
	assert_int_equal(pclntab__func_at(o.tab, pclntab__func_cnt(o.tab) - 1, &last), 0);
	assert_int_equal(pclntab__func_at(o.tab, pclntab__func_cnt(o.tab), &f), -ENOENT);
	assert_int_equal(pclntab__find_func(o.tab, first.entry - 1, &f), -ENOENT);
	assert_int_equal(pclntab__find_func(o.tab, last.end, &f), -ENOENT);
	assert_true(pclntab__symbolize(o.tab, last.end, fr, 4) < 0);
	assert_true(pclntab__symbolize(o.tab, 0, fr, 4) < 0);
	assert_false(pclntab__is_inlined_somewhere(o.tab, "main.fill"));
	close_opened(&o);
}

/* leaky's main.main calls flag.Int on lines 48 and 49: both are inlined. */
static void fix_inline(size_t t, size_t v)
{
	struct pcln_frame fr[8], one;
	struct pcln_func f;
	struct opened o;
	bool line48 = false, line49 = false;
	uint64_t pc;
	int n;

	open_fixture(&o, gm_toolchains[t], variants[v], "leaky");
	assert_true(pclntab__is_inlined_somewhere(o.tab, "flag.Int"));
	assert_false(pclntab__is_inlined_somewhere(o.tab, "main.remember"));
	assert_int_equal(pclntab__func_by_name(o.tab, "main.main", &f), 0);
	for (pc = f.entry; pc < f.end; pc++) {
		n = pclntab__symbolize(o.tab, pc, fr, 8);
		assert_in_range(n, 1, 8);
		assert_string_equal(fr[n - 1].function, "main.main");
		if (n != 2 || strcmp(fr[0].function, "flag.Int"))
			continue;
		assert_true(ends_with(fr[0].file, "/src/flag/flag.go"));
		assert_true(ends_with(fr[1].file, "/tests/fixtures/leaky/main.go"));
		line48 |= fr[1].line == 48;
		line49 |= fr[1].line == 49;
		/* max = 1 keeps the innermost frame */
		assert_int_equal(pclntab__symbolize(o.tab, pc, &one, 1), 1);
		assert_string_equal(one.function, "flag.Int");
	}
	if (!line48 || !line49)
		fail_msg("%s/%s: flag.Int not seen inlined at main.go:48 and :49",
			 gm_toolchains[t], variants[v]);
	close_opened(&o);
}

/*
 * Same functions, same lines with or without the section name: renaming
 * .gopclntab away forces the magic scan, which must land on the same
 * header (this is how externally linked PIE is read).
 */
static void fix_magic_scan(size_t t)
{
	struct gm_err err = { { 0 } };
	struct opened o;
	struct goelf *elf;
	struct pclntab *tab;
	struct pcln_func a, b;
	char path[512];
	uint8_t *buf;
	size_t len = 0, i;

	open_fixture(&o, gm_toolchains[t], "pie-stripped", "maps");
	fixture_path(path, sizeof(path), gm_toolchains[t], "pie-stripped", "maps");
	buf = elfimg_slurp(path, &len);
	assert_non_null(buf);
	if (elfimg_rename(buf, len, ".data.rel.ro.gopclntab", ".data.rel.ro.xxxxxxxxx") +
	    elfimg_rename(buf, len, ".gopclntab", ".xxxxxxxxx") != 1)
		fail_msg("%s: no pclntab section name to hide", path);
	elf = goelf__open_mem(buf, len, &err);
	assert_non_null(elf);
	tab = pclntab__new(elf, &err);
	if (!tab)
		fail_msg("%s with the section hidden: %s", path, err.msg);
	assert_int_equal(pclntab__header_addr(tab), pclntab__header_addr(o.tab));
	assert_int_equal(pclntab__text_start(tab), pclntab__text_start(o.tab));
	assert_int_equal(pclntab__gofunc(tab), pclntab__gofunc(o.tab));
	assert_int_equal(pclntab__func_cnt(tab), pclntab__func_cnt(o.tab));
	for (i = 0; i < pclntab__func_cnt(tab); i += 97) {
		assert_int_equal(pclntab__func_at(tab, i, &a), 0);
		assert_int_equal(pclntab__func_at(o.tab, i, &b), 0);
		assert_int_equal(a.entry, b.entry);
		assert_string_equal(a.name, b.name);
	}
	pclntab__free(tab);
	goelf__free(elf);
	free(buf);
	close_opened(&o);
}

/* One fixture check on one build: toolchain t, variant v (v unused by magic scan). */
struct fixture_test {
	void (*fn2)(size_t t, size_t v);
	void (*fn1)(size_t t);
	size_t t, v;
};

static void test_fixture(void **state)
{
	const struct fixture_test *ft = *state;

	if (ft->fn2)
		ft->fn2(ft->t, ft->v);
	else
		ft->fn1(ft->t);
}

/* ---- hand-built tables ---- */

/*
 * Layout: text 0x401000 (f0 [0x401000,0x401040), f1 [0x401040,0x401080));
 * rodata at 0x402000 holds the inline tree (gofunc) and, at 0x402100, the
 * pclntab; moduledata at 0x405000.  f1 contains an inlined call of main.inl
 * in [f1+0x20, f1+0x40), from a.go:20 (the instruction at f1+0x10).
 */
#define S_TEXT		0x401000ULL
#define S_GOFUNC	0x402000ULL
#define S_PCLN		0x402100ULL
#define S_MD		0x405000ULL
/* sub-table offsets from the header */
#define S_FUNCNAME	0x50
#define S_CUTAB		0x70
#define S_FILETAB	0x78
#define S_PCTAB		0x90
#define S_FTAB		0xf0
#define S_SIZE		0x1f0
/* pc-value programs, offsets inside pctab (0 means "none") */
#define T_F0FILE	1
#define T_F0LINE	4
#define T_F1FILE	9
#define T_F1LINE	14
#define T_F1INL		19
#define T_SPARE		24	/* free bytes up to the end of pctab */

struct synth {
	struct elfimg img;
	int format;
	bool pie;
	uint64_t func[2];	/* vaddr of each _func record */
	uint64_t ftab_funcoff[2];	/* vaddr of each funcoff field */
	uint64_t inl;		/* vaddr of inline entry 0 */
	uint8_t *buf;
	size_t len;
	struct goelf *elf;
	struct pclntab *tab;
};

static const uint8_t pctab_bytes[] = {
	0,
	0x02, 0x40, 0x00,			/* f0 file: 0 over 0x40 */
	0x16, 0x10, 0x02, 0x30, 0x00,		/* f0 line: 10 over 0x10, 11 over 0x30 */
	0x02, 0x20, 0x02, 0x20, 0x00,		/* f1 file: 0, then 1 */
	0x2a, 0x20, 0x1d, 0x20, 0x00,		/* f1 line: 20, then 5 */
	0x00, 0x20, 0x02, 0x20, 0x00,		/* f1 inline index: -1, then 0 */
};

static void put_ptr_or_val(struct synth *s, uint64_t at, uint64_t v)
{
	elfimg_ptr(&s->img, at, v);
}

static void put_u8(struct synth *s, uint64_t at, uint8_t v)
{
	*elfimg_at(&s->img, at) = v;
}

static void put_str(struct synth *s, uint64_t at, const char *str, size_t n)
{
	memcpy(elfimg_at(&s->img, at), str, n);
}

/* A _func record; returns the vaddr just past its pcdata/funcdata. */
static uint64_t put_func(struct synth *s, uint64_t at, uint64_t entry, uint32_t nameoff,
			 uint32_t pcfile, uint32_t pcln, uint32_t npcdata, const uint32_t *pcdata,
			 uint8_t nfuncdata, const uint64_t *funcdata)
{
	const bool old = s->format == 116;
	uint64_t p;
	uint32_t i;

	if (old)
		put_ptr_or_val(s, at, entry);
	else
		elfimg_put32(&s->img, at, (uint32_t)(entry - S_TEXT));
	p = at + (old ? 8 : 4);
	elfimg_put32(&s->img, p, nameoff);
	elfimg_put32(&s->img, p + 16, pcfile);
	elfimg_put32(&s->img, p + 20, pcln);
	elfimg_put32(&s->img, p + 24, npcdata);
	elfimg_put32(&s->img, p + 28, 0);		/* cuOffset */
	p = at + (s->format == 118 ? 40 : 44);
	put_u8(s, p - 1, nfuncdata);
	for (i = 0; i < npcdata; i++, p += 4)
		elfimg_put32(&s->img, p, pcdata[i]);
	if (old) {
		p = (p + 7) & ~7ULL;
		for (i = 0; i < nfuncdata; i++, p += 8)
			put_ptr_or_val(s, p, funcdata[i]);
	} else {
		for (i = 0; i < nfuncdata; i++, p += 4)
			elfimg_put32(&s->img, p, funcdata[i] ? (uint32_t)(funcdata[i] - S_GOFUNC) : UINT32_MAX);
	}
	return (p + 7) & ~7ULL;
}

/* format 116, 118, 120, or 126 (1.20 format with textStart left zero) */
static void synth_init(struct synth *s, int format, bool pie)
{
	static const char names[] = "main.f0\0main.f1\0main.inl";	/* offsets 0, 8, 16 */
	static const char files[] = "/src/a.go\0/src/b.go";		/* offsets 0, 10 */
	const bool go126 = format == 126;
	const uint64_t P = S_PCLN, ftab = P + S_FTAB;
	uint32_t pcdata[3] = { 0, 0, T_F1INL };
	uint64_t funcdata[4] = { 0, 0, 0, S_GOFUNC }, p, md, off;
	int hdr_words, i, ent;

	memset(s, 0, sizeof(*s));
	s->format = go126 ? 120 : format;
	s->pie = pie;
	elfimg_init(&s->img, pie ? ET_DYN : ET_EXEC);
	elfimg_seg(&s->img, S_TEXT, 0x1000, PF_R | PF_X);
	elfimg_seg(&s->img, S_GOFUNC, 0x1000, PF_R);
	elfimg_seg(&s->img, S_MD, 0x1000, PF_R | PF_W);
	elfimg_sec(&s->img, ".gopclntab", P, S_SIZE);

	/* header */
	elfimg_put32(&s->img, P, s->format == 116 ? 0xfffffffa : s->format == 118 ? 0xfffffff0 : 0xfffffff1);
	put_u8(s, P + 6, 1);
	put_u8(s, P + 7, 8);
	elfimg_put64(&s->img, P + 8, 2);			/* nfunc */
	elfimg_put64(&s->img, P + 16, 2);			/* nfiles */
	hdr_words = 2;
	if (s->format != 116) {
		if (!go126)
			put_ptr_or_val(s, P + 24, S_TEXT);
		hdr_words = 3;
	}
	for (i = 0; i < 5; i++) {
		static const uint64_t offs[] = { S_FUNCNAME, S_CUTAB, S_FILETAB, S_PCTAB, S_FTAB };

		elfimg_put64(&s->img, P + 8 + (hdr_words + i) * 8, offs[i]);
	}
	put_str(s, P + S_FUNCNAME, names, sizeof(names));
	elfimg_put32(&s->img, P + S_CUTAB, 0);
	elfimg_put32(&s->img, P + S_CUTAB + 4, 10);
	put_str(s, P + S_FILETAB, files, sizeof(files));
	put_str(s, P + S_PCTAB, (const char *)pctab_bytes, sizeof(pctab_bytes));

	/* function table, then the two records */
	ent = s->format == 116 ? 8 : 4;
	p = (ftab + 5 * ent + 7) & ~7ULL;
	for (i = 0; i < 3; i++) {
		uint64_t pc = S_TEXT + 0x40 * i;

		if (ent == 8)
			put_ptr_or_val(s, ftab + i * 16, pc);
		else
			elfimg_put32(&s->img, ftab + i * 8, (uint32_t)(pc - S_TEXT));
	}
	for (i = 0; i < 2; i++) {
		s->func[i] = p;
		s->ftab_funcoff[i] = ftab + (2 * i + 1) * ent;
		if (ent == 8)
			elfimg_put64(&s->img, s->ftab_funcoff[i], p - ftab);
		else
			elfimg_put32(&s->img, s->ftab_funcoff[i], (uint32_t)(p - ftab));
		if (i == 0)
			p = put_func(s, p, S_TEXT, 0, T_F0FILE, T_F0LINE, 0, NULL, 0, NULL);
		else
			p = put_func(s, p, S_TEXT + 0x40, 8, T_F1FILE, T_F1LINE, 3, pcdata, 4, funcdata);
	}
	if (p > P + S_SIZE)
		fail_msg("synthetic pclntab overflows its section");

	/* inline tree: main.inl, called from f1+0x10 */
	s->inl = S_GOFUNC;
	if (s->format == 120) {
		elfimg_put32(&s->img, S_GOFUNC + 4, 16);
		elfimg_put32(&s->img, S_GOFUNC + 8, 0x10);
		elfimg_put32(&s->img, S_GOFUNC + 12, 3);
	} else {
		elfimg_put32(&s->img, S_GOFUNC, 0xffff);	/* parent -1, funcID 0 */
		elfimg_put32(&s->img, S_GOFUNC + 4, 1);
		elfimg_put32(&s->img, S_GOFUNC + 8, 20);
		elfimg_put32(&s->img, S_GOFUNC + 12, 16);
		elfimg_put32(&s->img, S_GOFUNC + 16, 0x10);
	}

	/* moduledata (1.16/1.17 reach funcdata by pointer and need none) */
	if (s->format == 116)
		return;
	md = S_MD;
	put_ptr_or_val(s, md, P);
	for (i = 0; i < 6; i++) {
		static const uint64_t offs[] = { S_FUNCNAME, S_CUTAB, S_FILETAB, S_PCTAB, S_FTAB, S_FTAB };

		put_ptr_or_val(s, md + 8 + i * 24, P + offs[i]);
		elfimg_put64(&s->img, md + 16 + i * 24, i == 5 ? 3 : 1);
		elfimg_put64(&s->img, md + 24 + i * 24, i == 5 ? 3 : 1);
	}
	put_ptr_or_val(s, md + 160, S_TEXT);			/* minpc */
	put_ptr_or_val(s, md + 168, S_TEXT + 0x80);		/* maxpc */
	put_ptr_or_val(s, md + 176, S_TEXT);			/* text */
	put_ptr_or_val(s, md + 184, S_TEXT + 0x80);		/* etext */
	off = s->format == 118 ? 296 : 312;
	put_ptr_or_val(s, md + off, S_GOFUNC);			/* rodata */
	put_ptr_or_val(s, md + off + 8, S_GOFUNC);		/* gofunc */
}

static int synth_open(struct synth *s, struct gm_err *err)
{
	s->buf = elfimg_build(&s->img, &s->len);
	s->elf = goelf__open_mem(s->buf, s->len, err);
	if (!s->elf)
		fail_msg("synthetic ELF refused: %s", err->msg);
	s->tab = pclntab__new(s->elf, err);
	return s->tab ? 0 : -1;
}

static void synth_free(struct synth *s)
{
	pclntab__free(s->tab);
	goelf__free(s->elf);
	free(s->buf);
	elfimg_free(&s->img);
}

static void check_frame(const struct pcln_frame *f, const char *fn, const char *file, int line)
{
	assert_string_equal(f->function, fn);
	assert_string_equal(f->file, file);
	assert_int_equal(f->line, line);
}

static void check_good(struct synth *s, const char *what)
{
	struct gm_err err = { { 0 } };
	struct pcln_frame fr[4];
	struct pcln_func f;

	if (synth_open(s, &err))
		fail_msg("%s: %s", what, err.msg);
	assert_int_equal(pclntab__format(s->tab), s->format);
	assert_int_equal(pclntab__header_addr(s->tab), S_PCLN);
	assert_int_equal(pclntab__text_start(s->tab), S_TEXT);
	assert_int_equal(pclntab__func_cnt(s->tab), 2);
	assert_int_equal(pclntab__func_at(s->tab, 1, &f), 0);
	assert_string_equal(f.name, "main.f1");
	assert_int_equal(f.entry, S_TEXT + 0x40);
	assert_int_equal(f.end, S_TEXT + 0x80);
	assert_int_equal(pclntab__find_func(s->tab, S_TEXT + 0x3f, &f), 0);
	assert_string_equal(f.name, "main.f0");
	assert_int_equal(pclntab__find_func(s->tab, S_TEXT + 0x80, &f), -ENOENT);
	assert_int_equal(pclntab__find_func(s->tab, S_TEXT - 1, &f), -ENOENT);
	assert_int_equal(pclntab__func_by_name(s->tab, "main.f1", &f), 0);
	assert_int_equal(f.index, 1);
	assert_int_equal(pclntab__func_by_name(s->tab, "main.inl", &f), -ENOENT);
	assert_true(pclntab__is_inlined_somewhere(s->tab, "main.inl"));
	assert_false(pclntab__is_inlined_somewhere(s->tab, "main.f0"));

	assert_int_equal(pclntab__symbolize(s->tab, S_TEXT, fr, 4), 1);
	check_frame(&fr[0], "main.f0", "/src/a.go", 10);
	assert_int_equal(pclntab__symbolize(s->tab, S_TEXT + 0x10, fr, 4), 1);
	check_frame(&fr[0], "main.f0", "/src/a.go", 11);
	assert_int_equal(pclntab__symbolize(s->tab, S_TEXT + 0x5f, fr, 4), 1);
	check_frame(&fr[0], "main.f1", "/src/a.go", 20);
	assert_int_equal(pclntab__symbolize(s->tab, S_TEXT + 0x60, fr, 4), 2);
	check_frame(&fr[0], "main.inl", "/src/b.go", 5);
	check_frame(&fr[1], "main.f1", "/src/a.go", 20);
	assert_int_equal(pclntab__symbolize(s->tab, S_TEXT + 0x7f, fr, 1), 1);
	check_frame(&fr[0], "main.inl", "/src/b.go", 5);
	assert_int_equal(pclntab__symbolize(s->tab, S_TEXT + 0x80, fr, 4), -ENOENT);
	assert_int_equal(pclntab__symbolize(s->tab, S_TEXT, fr, 0), -EINVAL);
}

struct synth_format {
	const char *name;
	int format;
	bool pie;
};

static const struct synth_format synth_formats[] = {
	{ "format 116", 116, false }, { "format 116 PIE", 116, true },
	{ "format 118", 118, false }, { "format 118 PIE", 118, true },
	{ "format 120", 120, false }, { "format 120 PIE", 120, true },
	{ "format 126", 126, false }, { "format 126 PIE", 126, true },
};

static void test_synth_formats(void **state)
{
	const struct synth_format *c = CASE(struct synth_format, state);
	struct synth s;

	synth_init(&s, c->format, c->pie);
	check_good(&s, c->name);
	if (c->format != 116)
		assert_int_equal(pclntab__gofunc(s.tab), S_GOFUNC);
	synth_free(&s);
}

/* Without a section name the header is found by its magic (external PIE). */
static void test_synth_magic_scan(void **state)
{
	struct synth s;

	synth_init(&s, 120, true);
	s.img.sec_cnt = 0;
	check_good(&s, "no .gopclntab section");
	synth_free(&s);
}

/*
 * Without moduledata, 1.18+ tables still give functions and lines, only no
 * inline expansion; a 1.26 header (no textStart) has nothing to go by.
 */
static void test_synth_no_moduledata(void **state)
{
	struct gm_err err = { { 0 } };
	struct pcln_frame fr[4];
	struct synth s;

	synth_init(&s, 120, false);
	elfimg_put64(&s.img, S_MD, 0);
	assert_int_equal(synth_open(&s, &err), 0);
	assert_int_equal(pclntab__gofunc(s.tab), 0);
	assert_int_equal(pclntab__symbolize(s.tab, S_TEXT + 0x60, fr, 4), 1);
	check_frame(&fr[0], "main.f1", "/src/b.go", 5);
	synth_free(&s);

	synth_init(&s, 126, false);
	elfimg_put64(&s.img, S_MD + 176, S_TEXT + 0x1000);	/* text disagrees with minpc */
	assert_int_equal(synth_open(&s, &err), -1);
	assert_non_null(strstr(err.msg, "text start"));
	synth_free(&s);
}

struct corruption {
	const char *what;
	void (*apply)(struct synth *s);
	bool open_fails;	/* else: symbolize(f1 + 0x60) fails, f0 still works */
	const char *reason;	/* substring of the open error */
	bool skip116;		/* no such field in 1.16 */
};

/* Field at offset off of f1's _func as laid out since 1.18 (1.16: +4 after the entry). */
static uint64_t f1(const struct synth *s, uint32_t off)
{
	return s->func[1] + off + (s->format == 116 && off >= 4 ? 4 : 0);
}

static uint64_t f1_pcdata(const struct synth *s, uint32_t i)
{
	return s->func[1] + (s->format == 118 ? 40 : 44) + i * 4;
}

/* header word: 0 nfunc, 1 nfiles, then (1.18+: textStart) the five offsets */
static uint64_t hdr_off(const struct synth *s, int table)
{
	return S_PCLN + 8 + (s->format == 116 ? 2 + table : 3 + table) * 8;
}

/* ftab field (row, 0 entry / 1 funcoff), 4 or 8 bytes wide */
static void put_ftab(struct synth *s, int row, int field, uint64_t v)
{
	if (s->format == 116)
		elfimg_put64(&s->img, S_PCLN + S_FTAB + (row * 2 + field) * 8, v);
	else
		elfimg_put32(&s->img, S_PCLN + S_FTAB + (row * 2 + field) * 4, (uint32_t)v);
}

static void c_truncated_header(struct synth *s) { s->img.secs[0].size = 20; }
static void c_nfunc_past_end(struct synth *s) { elfimg_put64(&s->img, S_PCLN + 8, 1000); }
static void c_nfunc_zero(struct synth *s) { elfimg_put64(&s->img, S_PCLN + 8, 0); }
static void c_old_magic(struct synth *s) { elfimg_put32(&s->img, S_PCLN, 0xfffffffb); }
static void c_bad_magic(struct synth *s) { elfimg_put32(&s->img, S_PCLN, 0xfffffff2); }
static void c_bad_ptrsize(struct synth *s) { put_u8(s, S_PCLN + 7, 4); }
static void c_out_of_order(struct synth *s) { elfimg_put64(&s->img, hdr_off(s, 0), S_PCTAB + 8); }
static void c_ftab_past_end(struct synth *s) { elfimg_put64(&s->img, hdr_off(s, 4), S_SIZE); }
static void c_unsorted(struct synth *s)
{
	put_ftab(s, 1, 0, (s->format == 116 ? S_TEXT : 0) + 0x90);
}
static void c_funcoff_out(struct synth *s) { put_ftab(s, 1, 1, 0xfffff0); }
static void c_funcoff_edge(struct synth *s) { put_ftab(s, 1, 1, S_SIZE - S_FTAB - 8); }
static void c_entry_mismatch(struct synth *s) { elfimg_put32(&s->img, s->func[1], 0x44); }
static void c_nameoff_out(struct synth *s) { elfimg_put32(&s->img, f1(s, 4), 0x1000); }
/* a name starting in funcnametab's padding, with no NUL before its end */
static void c_name_no_nul(struct synth *s)
{
	memset(elfimg_at(&s->img, S_PCLN + S_FUNCNAME + 25), 'x', S_CUTAB - S_FUNCNAME - 25);
	elfimg_put32(&s->img, f1(s, 4), 25);
}
static void c_npcdata_huge(struct synth *s) { elfimg_put32(&s->img, f1(s, 28), 0x40000000); }
static void c_pcln_off_out(struct synth *s) { elfimg_put32(&s->img, f1(s, 24), 0x1000); }
/* a varint whose continuation bit runs off the end of pctab */
static void c_varint_off_end(struct synth *s)
{
	put_u8(s, S_PCLN + S_FTAB - 1, 0x80);
	elfimg_put32(&s->img, f1(s, 24), S_FTAB - S_PCTAB - 1);
}
/* six continuation bytes: longer than any u32 */
static void c_varint_too_long(struct synth *s)
{
	memset(elfimg_at(&s->img, S_PCLN + S_PCTAB + T_SPARE), 0xff, 6);
	elfimg_put32(&s->img, f1(s, 24), T_SPARE);
}
static void c_cuoff_out(struct synth *s) { elfimg_put32(&s->img, f1(s, 32), 0x100000); }
static void c_fileoff_out(struct synth *s) { elfimg_put32(&s->img, S_PCLN + S_CUTAB + 4, 0x1000); }
/* the inlined call's parent position is inside the call itself: a cycle */
static void c_inline_cycle(struct synth *s)
{
	elfimg_put32(&s->img, s->inl + (s->format == 120 ? 8 : 16), 0x30);
}
static void c_parentpc_out(struct synth *s)
{
	elfimg_put32(&s->img, s->inl + (s->format == 120 ? 8 : 16), 0x1000);
}
static void c_inl_name_out(struct synth *s)
{
	elfimg_put32(&s->img, s->inl + (s->format == 120 ? 4 : 12), 0x7fffffff);
}
/* inline index 0x7fffe: a tree that would run off the image */
static void c_inl_index_huge(struct synth *s)
{
	static const uint8_t prog[] = { 0x00, 0x20, 0xfe, 0xff, 0x3f, 0x20, 0x00 };

	memcpy(elfimg_at(&s->img, S_PCLN + S_PCTAB + T_SPARE), prog, sizeof(prog));
	elfimg_put32(&s->img, f1_pcdata(s, 2), T_SPARE);
}
/* inline index 1 << 20: more than the runtime itself would index */
static void c_inl_index_limit(struct synth *s)
{
	static const uint8_t prog[] = { 0x00, 0x20, 0x82, 0x80, 0x80, 0x01, 0x20, 0x00 };

	memcpy(elfimg_at(&s->img, S_PCLN + S_PCTAB + T_SPARE), prog, sizeof(prog));
	elfimg_put32(&s->img, f1_pcdata(s, 2), T_SPARE);
}

static const struct corruption corruptions[] = {
	{ "truncated header", c_truncated_header, true, "truncated" },
	{ "nfunc past the end", c_nfunc_past_end, true, "runs past the end" },
	{ "nfunc zero", c_nfunc_zero, true, "implausible" },
	{ "Go 1.2 magic", c_old_magic, true, "Go before 1.16" },
	{ "unknown magic", c_bad_magic, true, "magic" },
	{ "4-byte pointers", c_bad_ptrsize, true, "pointer size" },
	{ "sub-tables out of order", c_out_of_order, true, "out of order" },
	{ "function table past the end", c_ftab_past_end, true, "past the end" },
	{ "unsorted function table", c_unsorted, true, "not sorted" },
	{ "funcoff out of range", c_funcoff_out },
	{ "funcoff at the edge", c_funcoff_edge },
	{ "_func entry disagrees", c_entry_mismatch, .skip116 = true },
	{ "name offset out of range", c_nameoff_out },
	{ "name without NUL", c_name_no_nul },
	{ "npcdata past the end", c_npcdata_huge },
	{ "pcln offset out of range", c_pcln_off_out },
	{ "varint off the end", c_varint_off_end },
	{ "varint too long", c_varint_too_long },
	{ "cutab index out of range", c_cuoff_out },
	{ "filetab offset out of range", c_fileoff_out },
	{ "inline parent cycle", c_inline_cycle },
	{ "inline parentPc out of range", c_parentpc_out },
	{ "inline name out of range", c_inl_name_out },
	{ "inline index past the image", c_inl_index_huge },
	{ "inline index past 1<<20", c_inl_index_limit },
};

/* state: one corruption in one format */
struct corrupt_test {
	const struct corruption *k;
	int format;
};

static void test_synth_corruptions(void **state)
{
	const struct corrupt_test *ct = *state;
	const struct corruption *k = ct->k;
	struct gm_err err = { { 0 } };
	struct pcln_frame fr[4];
	struct pcln_func f;
	struct synth s;
	int ret;

	/* 1.18 as PIE: corruptions must not depend on relocations */
	synth_init(&s, ct->format, ct->format == 118);
	k->apply(&s);
	ret = synth_open(&s, &err);
	if (k->open_fails) {
		if (!ret)
			fail_msg("%s (format %d): opened", k->what, ct->format);
		if (!strstr(err.msg, k->reason))
			fail_msg("%s (format %d): reason \"%s\"", k->what, ct->format, err.msg);
		synth_free(&s);
		return;
	}
	if (ret)
		fail_msg("%s (format %d): refused at open: %s", k->what, ct->format, err.msg);
	assert_int_equal(pclntab__symbolize(s.tab, S_TEXT + 0x10, fr, 4), 1);
	check_frame(&fr[0], "main.f0", "/src/a.go", 11);
	ret = pclntab__symbolize(s.tab, S_TEXT + 0x60, fr, 4);
	if (ret >= 0)
		fail_msg("%s (format %d): symbolize returned %d", k->what, ct->format, ret);
	if (k->apply == c_inline_cycle)
		assert_int_equal(ret, -ELOOP);
	/* nothing else may crash or read outside the image */
	pclntab__func_at(s.tab, 1, &f);
	pclntab__find_func(s.tab, S_TEXT + 0x60, &f);
	pclntab__func_by_name(s.tab, "main.inl", &f);
	pclntab__is_inlined_somewhere(s.tab, "main.inl");
	synth_free(&s);
}

/*
 * Every byte of the table, the inline tree and the moduledata prefix set
 * to 0, 0xff and its bit-7 flip, one at a time: whatever opens must answer
 * every query without leaving the image.
 */
static void test_synth_byte_flips(void **state)
{
	static const int fmts[] = { 116, 118, 120, 126 };
	static const struct { uint64_t at, len; } areas[] = {
		{ S_PCLN, S_SIZE }, { S_GOFUNC, 20 }, { S_MD, 192 },
	};
	size_t i, a, b;
	uint64_t off;
	int v, opened = 0;

	for (i = 0; i < ARRAY_LEN(fmts); i++) {
		for (a = 0; a < ARRAY_LEN(areas); a++) {
			for (off = 0; off < areas[a].len; off++) {
				for (v = 0; v < 3; v++) {
					struct gm_err err = { { 0 } };
					struct pcln_frame fr[4];
					struct pcln_func f;
					struct synth s;
					uint8_t *p;

					synth_init(&s, fmts[i], fmts[i] == 120);
					p = elfimg_at(&s.img, areas[a].at + off);
					*p = v == 0 ? 0 : v == 1 ? 0xff : *p ^ 0x80;
					if (!synth_open(&s, &err)) {
						opened++;
						for (b = 0; b <= 0x84; b += 4)
							pclntab__symbolize(s.tab, S_TEXT - 4 + b, fr, 4);
						for (b = 0; b < 3; b++)
							pclntab__func_at(s.tab, b, &f);
						pclntab__func_by_name(s.tab, "main.f1", &f);
						pclntab__is_inlined_somewhere(s.tab, "main.inl");
					}
					synth_free(&s);
				}
			}
		}
	}
	assert_true(opened > 0);
}

/* Garbage everywhere, with stray magics: refused with a reason, no crash. */
static void test_synth_garbage_scan(void **state)
{
	struct gm_err err = { { 0 } };
	struct elfimg img;
	struct goelf *elf;
	struct pclntab *tab;
	uint8_t *seg, *buf;
	size_t len, i;
	uint32_t x = 12345;

	elfimg_init(&img, ET_DYN);
	seg = elfimg_seg(&img, 0x402000, 0x4000, PF_R);
	for (i = 0; i < 0x4000; i++) {
		x = x * 1103515245 + 12345;
		seg[i] = (uint8_t)(x >> 16);
	}
	/* plausible headers with nonsense after them */
	for (i = 0; i + 72 <= 0x4000; i += 0x400) {
		uint32_t magic = i % 0x800 ? 0xfffffff1 : 0xfffffff0;

		memcpy(seg + i, &magic, 4);
		memcpy(seg + i + 4, "\0\0\1\x08", 4);
	}
	buf = elfimg_build(&img, &len);
	elf = goelf__open_mem(buf, len, &err);
	assert_non_null(elf);
	tab = pclntab__new(elf, &err);
	assert_null(tab);
	assert_true(err.msg[0] != '\0');
	goelf__free(elf);
	free(buf);
	elfimg_free(&img);
}

#define N_VAR ARRAY_LEN(variants)
#define N_FIX (GM_MATRIX_CNT * N_VAR)
#define N_CORRUPT ARRAY_LEN(corruptions)

int main(void)
{
	/* one named test per check and fixture, so a failure says which build broke */
	static const struct {
		const char *name;
		void (*fn2)(size_t t, size_t v);
	} checks[] = {
		{ "header", fix_header }, { "functions", fix_functions }, { "lookups", fix_lookups },
		{ "inline", fix_inline },
	};
	static const int corrupt_fmts[] = { 116, 118, 120 };
	static struct fixture_test ft[4 * N_FIX + GM_MATRIX_CNT];
	static char ft_names[4 * N_FIX + GM_MATRIX_CNT][80];
	static struct corrupt_test ct[N_CORRUPT * 3];
	static char ct_names[N_CORRUPT * 3][96];
	struct suite s = {};
	size_t c, i, k = 0;

	for (c = 0; c < ARRAY_LEN(checks); c++)
		for (i = 0; i < N_FIX; i++, k++) {
			ft[k] = (struct fixture_test){ .fn2 = checks[c].fn2, .t = i / N_VAR, .v = i % N_VAR };
			snprintf(ft_names[k], sizeof(ft_names[k]), "%s %s/%s", checks[c].name,
				 gm_toolchains[i / N_VAR], variants[i % N_VAR]);
			suite_add(&s, ft_names[k], test_fixture, &ft[k], NULL, NULL);
		}
	for (i = 0; i < GM_MATRIX_CNT; i++, k++) {
		ft[k] = (struct fixture_test){ .fn1 = fix_magic_scan, .t = i };
		snprintf(ft_names[k], sizeof(ft_names[k]), "magic scan %s/pie-stripped", gm_toolchains[i]);
		suite_add(&s, ft_names[k], test_fixture, &ft[k], NULL, NULL);
	}
	suite_rows(&s, test_synth_formats, synth_formats);
	suite_test(&s, test_synth_magic_scan);
	suite_test(&s, test_synth_no_moduledata);
	for (c = 0, k = 0; c < N_CORRUPT; c++)
		for (i = 0; i < ARRAY_LEN(corrupt_fmts); i++) {
			if (corruptions[c].skip116 && corrupt_fmts[i] == 116)
				continue;	/* no such field in 1.16 */
			ct[k] = (struct corrupt_test){ &corruptions[c], corrupt_fmts[i] };
			snprintf(ct_names[k], sizeof(ct_names[k]), "corrupt: %s (format %d)",
				 corruptions[c].what, corrupt_fmts[i]);
			suite_add(&s, ct_names[k], test_synth_corruptions, &ct[k], NULL, NULL);
			k++;
		}
	suite_test(&s, test_synth_byte_flips);
	suite_test(&s, test_synth_garbage_scan);
	return suite_run(&s, "pclntab");
}
