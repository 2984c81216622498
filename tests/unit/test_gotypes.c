// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gotypes on the fixture matrix and on hand-built images.
 *
 * Oracles on real binaries: the linker's own symbols runtime.firstmoduledata,
 * runtime.types, runtime.etypes (non-stripped variants) and the .typelink
 * section, whose size is the typelinks slice's.  `go tool nm` does not list
 * individual type:map[...] symbols (the linker folds them into type:*), so
 * names and addresses of map types are checked against DWARF in
 * tests/e2e/test_types.sh; here, the stripped PIE variant must yield the
 * same map type names as the plain build of the same toolchain, and the
 * moduledata scan must land where the symbol says.
 *
 * The hand-built images pin each moduledata layout, PIE relocations, and
 * the ways a hostile file can corrupt moduledata, typelinks and names.
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
#include "gotypes.h"
#include "gobin.h"
#include "gm_tested.h"
#include "elfimg.h"
#include "cases.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The moduledata layout toolchain t of the matrix must match (runtime/symtab.go). */
static const char *layout_of(size_t t)
{
	int minor = gm_matrix[t].minor;

	return minor < 18 ? "go1.16-1.17" : minor < 20 ? "go1.18-1.19" : minor < 26 ? "go1.20-1.25" :
	       minor < 27 ? "go1.26" : "go1.27";
}

/* Declared in tests/fixtures/maps/main.go: every build must list them. */
static const char *const main_maps[] = {
	"map[string]*main.Session", "map[int64]int", "map[uint32]string",
	"map[main.point]float64", "map[*main.Session]bool", "map[string]map[string]int",
};

static void fixture_path(char *buf, size_t len, const char *tc, const char *v)
{
	const char *b = getenv("GM_BUILD");

	snprintf(buf, len, "%s/fixtures/%s/%s/maps", b && *b ? b : "./build", tc, v);
}

/*
 * The pclntab header, found independently of user/pclntab.c: its section
 * (".gopclntab", or ".data.rel.ro.gopclntab" in internally linked PIE)
 * and the format from its magic.
 */
static void pcln_header(const struct goelf *elf, uint64_t *addr, int *format)
{
	const struct goelf_section *s = goelf__section_by_name(elf, ".gopclntab");
	const uint8_t *p;
	uint32_t magic;

	if (!s)
		s = goelf__section_by_name(elf, ".data.rel.ro.gopclntab");
	assert_non_null(s);
	p = goelf__vaddr_ptr(elf, s->addr, 8);
	assert_non_null(p);
	memcpy(&magic, p, 4);
	*addr = s->addr;
	*format = magic == 0xfffffff1 ? 120 : magic == 0xfffffff0 ? 118 : magic == 0xfffffffa ? 116 : 0;
	assert_int_not_equal(*format, 0);
}

struct opened {
	struct goelf *elf;
	struct go_buildinfo bi;
	struct gotypes *types;
};

static void open_mem(struct opened *o, const uint8_t *buf, size_t len, const char *what)
{
	struct gm_err err = { { 0 } };
	uint64_t hdr;
	int fmt;

	o->elf = goelf__open_mem(buf, len, &err);
	if (!o->elf)
		fail_msg("%s: %s", what, err.msg);
	assert_int_equal(go_buildinfo__parse(o->elf, &o->bi, &err), 0);
	pcln_header(o->elf, &hdr, &fmt);
	o->types = gotypes__new_at(o->elf, hdr, fmt, &o->bi, &err);
	if (!o->types)
		fail_msg("%s: %s", what, err.msg);
}

static void open_file(struct opened *o, const char *path)
{
	struct gm_err err = { { 0 } };
	uint64_t hdr;
	int fmt;

	o->elf = goelf__open(path, &err);
	if (!o->elf)
		fail_msg("%s: %s (run `make fixtures`)", path, err.msg);
	assert_int_equal(go_buildinfo__parse(o->elf, &o->bi, &err), 0);
	pcln_header(o->elf, &hdr, &fmt);
	o->types = gotypes__new_at(o->elf, hdr, fmt, &o->bi, &err);
	if (!o->types)
		fail_msg("%s: %s", path, err.msg);
}

static void close_opened(struct opened *o)
{
	gotypes__free(o->types);
	go_buildinfo__free(&o->bi);
	goelf__free(o->elf);
}

/* Map types collected by gotypes__for_each_map_type. */
struct map_list {
	const struct gotypes *types;
	char names[64][160];
	uint64_t addrs[64];
	int cnt;
};

static int collect(uint64_t addr, const char *name, void *ctx)
{
	struct map_list *l = ctx;
	char again[160];

	assert_true(l->cnt < 64);
	assert_int_equal(gotypes__kind(l->types, addr), 21);
	assert_int_equal(gotypes__name(l->types, addr, again, sizeof(again)), (int)strlen(name));
	assert_string_equal(again, name);
	assert_memory_equal(name, "map[", 4);
	snprintf(l->names[l->cnt], sizeof(l->names[0]), "%s", name);
	l->addrs[l->cnt++] = addr;
	return 0;
}

static void list_maps(const struct gotypes *t, struct map_list *l)
{
	memset(l, 0, sizeof(*l));
	l->types = t;
	assert_int_equal(gotypes__for_each_map_type(t, collect, l), 0);
}

static bool has_name(const struct map_list *l, const char *name)
{
	int i;

	for (i = 0; i < l->cnt; i++)
		if (!strcmp(l->names[i], name))
			return true;
	return false;
}

static void assert_same_names(const struct map_list *a, const struct map_list *b, const char *what)
{
	int i;

	if (a->cnt != b->cnt)
		fail_msg("%s: %d map types vs %d", what, a->cnt, b->cnt);
	for (i = 0; i < a->cnt; i++)
		if (!has_name(b, a->names[i]))
			fail_msg("%s: %s missing", what, a->names[i]);
}

static uint64_t sym(const struct goelf *elf, const char *name)
{
	uint64_t addr = 0;

	if (goelf__symbol(elf, name, &addr, NULL))
		fail_msg("no symbol %s", name);
	return addr;
}

/*
 * The typelinks slice's length, from its section (to Go 1.26).  Go 1.27
 * has no typelinks: the listed descriptors are walked instead, and their
 * count has no section to compare with (names and addresses are checked
 * against DWARF in tests/e2e/test_types.sh), so only that the section is
 * gone and the walk found some.
 */
static void check_type_list(const struct gotypes *t, const struct goelf *elf, size_t tc)
{
	const struct goelf_section *s = goelf__section_by_name(elf, ".typelink");

	if (!s)
		s = goelf__section_by_name(elf, ".data.rel.ro.typelink");
	if (gm_matrix[tc].minor >= 27) {
		assert_null(s);
		assert_in_range(gotypes__typelink_cnt(t), 100, 1u << 20);
		return;
	}
	assert_non_null(s);
	assert_int_equal(gotypes__typelink_cnt(t), s->size / 4);
}

/* Non-stripped builds: the linker's symbols say where everything is. */
static void fix_symbols(size_t t, const char *variant)
{
	size_t m;
	struct opened o;
	struct map_list l;
	char path[512];

	fixture_path(path, sizeof(path), gm_toolchains[t], variant);
	open_file(&o, path);
	assert_int_equal(gotypes__moduledata_addr(o.types),
			 sym(o.elf, "runtime.firstmoduledata"));
	assert_int_equal(gotypes__types_start(o.types), sym(o.elf, "runtime.types"));
	assert_int_equal(gotypes__types_end(o.types), sym(o.elf, "runtime.etypes"));
	check_type_list(o.types, o.elf, t);
	assert_string_equal(gotypes__layout(o.types), layout_of(t));
	list_maps(o.types, &l);
	for (m = 0; m < ARRAY_LEN(main_maps); m++)
		if (!has_name(&l, main_maps[m]))
			fail_msg("%s: %s not listed", path, main_maps[m]);
	close_opened(&o);
}

/* Stripped PIE: no symbols, pointers only through relocations. */
static void fix_stripped_match_plain(size_t t, const char *variant)
{
	struct opened plain, pie, cgo;
	struct map_list lp, ls, lc;
	char path[512];

	fixture_path(path, sizeof(path), gm_toolchains[t], "plain");
	open_file(&plain, path);
	fixture_path(path, sizeof(path), gm_toolchains[t], "pie-stripped");
	open_file(&pie, path);
	fixture_path(path, sizeof(path), gm_toolchains[t], "cgo");
	open_file(&cgo, path);
	assert_false(goelf__has_symtab(pie.elf));
	assert_string_equal(gotypes__layout(pie.types), layout_of(t));
	check_type_list(pie.types, pie.elf, t);
	list_maps(plain.types, &lp);
	list_maps(pie.types, &ls);
	list_maps(cgo.types, &lc);
	assert_same_names(&lp, &ls, path);
	assert_same_names(&lp, &lc, gm_toolchains[t]);
	close_opened(&cgo);
	close_opened(&pie);
	close_opened(&plain);
}

/*
 * With runtime.firstmoduledata and .go.module renamed away, the scan of
 * writable data must find the same moduledata: directly in non-PIE, and
 * through RELATIVE relocations in PIE (where the words are 0 in the file).
 */
static void fix_scan_finds_the_symbol(size_t t, const char *variant)
{
	struct opened a, b;
	struct map_list la, lb;
	char path[512];
	uint8_t *buf;
	size_t len = 0;
	int hits = 0;

	fixture_path(path, sizeof(path), gm_toolchains[t], variant);
	buf = elfimg_slurp(path, &len);
	assert_non_null(buf);
	open_mem(&a, buf, len, path);
	list_maps(a.types, &la);
	close_opened(&a);

	hits += elfimg_rename(buf, len, "runtime.firstmoduledata",
			      "runtime.xirstmoduledata");
	hits += elfimg_rename(buf, len, ".go.module", ".go.xodule");
	/* 1.19-1.24 PIE has neither: it always scans */
	if (!hits && strcmp(variant, "pie-stripped"))
		fail_msg("%s: nothing to rename", path);
	open_mem(&b, buf, len, path);
	assert_int_equal(goelf__symbol(b.elf, "runtime.firstmoduledata", NULL, NULL),
			 -ENOENT);
	assert_null(goelf__section_by_name(b.elf, ".go.module"));
	list_maps(b.types, &lb);
	assert_same_names(&la, &lb, path);
	assert_int_equal(la.cnt, lb.cnt);
	assert_memory_equal(la.addrs, lb.addrs, sizeof(la.addrs[0]) * (size_t)la.cnt);
	close_opened(&b);
	free(buf);
}

static void test_name_and_kind_bounds(void **state)
{
	struct opened o;
	struct map_list l;
	char path[512], buf[8];
	uint64_t lo, hi, addr;
	size_t n;

	fixture_path(path, sizeof(path), "go1.26", "plain");
	open_file(&o, path);
	lo = gotypes__types_start(o.types);
	hi = gotypes__types_end(o.types);
	assert_int_equal(gotypes__name(o.types, 0, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(gotypes__name(o.types, lo - 8, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(gotypes__name(o.types, hi, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(gotypes__name(o.types, hi - 47, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(gotypes__name(o.types, UINT64_MAX, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(gotypes__kind(o.types, hi - 1), -EFAULT);
	assert_int_equal(gotypes__kind(o.types, UINT64_MAX - 10), -EFAULT);

	/* snprintf-like: the full length back, what fits copied */
	list_maps(o.types, &l);
	addr = l.addrs[0];
	n = strlen(l.names[0]);
	assert_int_equal(gotypes__name(o.types, addr, buf, sizeof(buf)), (int)n);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, l.names[0], sizeof(buf) - 1);
	buf[0] = 'z';
	assert_int_equal(gotypes__name(o.types, addr, buf, 0), (int)n);
	assert_int_equal(buf[0], 'z');
	close_opened(&o);
}

static int stop_at_second(uint64_t addr, const char *name, void *ctx)
{
	int *calls = ctx;

	return ++*calls == 2 ? 42 : 0;
}

static void test_callback_stops(void **state)
{
	struct opened o;
	char path[512];
	int calls = 0;

	fixture_path(path, sizeof(path), "go1.22", "pie-stripped");
	open_file(&o, path);
	assert_int_equal(gotypes__for_each_map_type(o.types, stop_at_second, &calls), 42);
	assert_int_equal(calls, 2);
	close_opened(&o);
}

/* The integration path: moduledata located from user/pclntab.c's header. */
static void fix_via_pclntab(size_t t, const char *variant)
{
	struct gm_err err = { { 0 } };
	struct opened o;
	struct pclntab *tab;
	struct gotypes *gt;
	char path[512];
	uint64_t hdr;
	int fmt;

	fixture_path(path, sizeof(path), gm_toolchains[t], variant);
	open_file(&o, path);
	tab = pclntab__new(o.elf, &err);
	if (!tab)
		fail_msg("%s: pclntab: %s", path, err.msg);
	pcln_header(o.elf, &hdr, &fmt);
	assert_int_equal(pclntab__header_addr(tab), hdr);
	assert_int_equal(pclntab__format(tab), fmt);
	gt = gotypes__new(o.elf, tab, &o.bi, &err);
	if (!gt)
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(gotypes__moduledata_addr(gt), gotypes__moduledata_addr(o.types));
	gotypes__free(gt);
	pclntab__free(tab);
	close_opened(&o);
}

static void test_via_pclntab_none(void **state)
{
	struct gm_err err = { { 0 } };

	assert_null(gotypes__new(NULL, NULL, NULL, &err));
	assert_non_null(strstr(err.msg, "no pclntab"));
}

/* ---- hand-built images ---- */

#define TEXT		0x401000ULL
#define RODATA		0x480000ULL
#define PCHDR		RODATA
#define TYPES		(RODATA + 0x1000)
#define ETYPES		(TYPES + 0x400)
#define LINKS		(RODATA + 0x1800)
#define DATA		0x500000ULL
#define MD		(DATA + 0x100)

/* Offsets from each release's runtime/symtab.go, independent of gotypes.c. */
struct md_offsets {
	int format;
	const char *name;
	unsigned types, etypes, textsectmap, typelinks;
};

static const struct md_offsets md_118 = { 118, "go1.18-1.19", 280, 288, 312, 336 };
static const struct md_offsets md_120 = { 120, "go1.20-1.25", 296, 304, 328, 352 };
static const struct md_offsets md_126 = { 120, "go1.26", 296, 304, 336, 360 };

enum corruption {
	C_NONE,
	C_LINK_RANGE,		/* a typelinks entry points past etypes */
	C_LINK_CAP,		/* typelinks len != cap */
	C_FUNCNAME,		/* funcnametab not where the pcHeader says */
	C_TYPES_ORDER,		/* etypes before types */
	C_TEXT,			/* text range not in an executable segment */
	C_TEXTSECT,		/* textsectmap empty */
	C_NAME_LEN,		/* second map's name runs past etypes */
	C_NAME_VARINT,		/* second map's name length is an overlong varint */
	C_STR_NEG,		/* second map's nameOff negative */
	C_STR_END,		/* second map's nameOff at the last byte */
};

static void put_name(struct elfimg *img, uint64_t at, const char *s)
{
	uint8_t *p = elfimg_at(img, at);

	p[0] = 0;			/* name flags */
	p[1] = (uint8_t)strlen(s);	/* < 128: one varint byte */
	memcpy(p + 2, s, strlen(s));
}

/* abi.Type: kind at 23, tflag at 20, Str at 40 */
static void put_type(struct elfimg *img, uint64_t at, uint8_t kind, uint8_t tflag, int32_t str)
{
	uint8_t *p = elfimg_at(img, at);

	p[20] = tflag;
	p[23] = kind;
	memcpy(p + 40, &str, 4);
}

static void put_slice(struct elfimg *img, uint64_t at, uint64_t ptr, uint64_t len, uint64_t cap)
{
	elfimg_ptr(img, at, ptr);
	elfimg_put64(img, at + 8, len);
	elfimg_put64(img, at + 16, cap);
}

/*
 * A Go-like image: text, rodata with a pcHeader (1.18+ shape), three types
 * (two maps, one struct) and typelinks, and a moduledata in .data laid out
 * as `off` says.  No symbols, no .go.module: found only by the scan.
 */
static uint8_t *synth(uint16_t type, const struct md_offsets *off, enum corruption c, size_t *len)
{
	uint32_t links[3] = { 0x00, 0x40, 0x80 };
	struct elfimg img;
	uint8_t *buf, *p;

	elfimg_init(&img, type);
	elfimg_seg(&img, TEXT, 0x1000, PF_R | PF_X);
	elfimg_seg(&img, RODATA, 0x2000, PF_R);
	elfimg_seg(&img, DATA, 0x1000, PF_R | PF_W);

	p = elfimg_at(&img, PCHDR);
	memcpy(p, off->format == 118 ? "\xf0\xff\xff\xff\0\0\x01\x08" : "\xf1\xff\xff\xff\0\0\x01\x08", 8);
	elfimg_put64(&img, PCHDR + 32, 0x60);	/* funcnameOffset */

	/* the map's name is stored with a star, shared with its pointer type */
	put_type(&img, TYPES + 0x00, 21, 0x02, 0x200);
	put_name(&img, TYPES + 0x200, "*map[string]int");
	put_type(&img, TYPES + 0x40, 25, 0x00, 0x220);
	put_name(&img, TYPES + 0x220, "main.T");
	put_type(&img, TYPES + 0x80, 21, 0x00, 0x240);
	put_name(&img, TYPES + 0x240, "map[int]bool");
	if (c == C_LINK_RANGE)
		links[2] = 0x400 - 47;
	memcpy(elfimg_at(&img, LINKS), links, sizeof(links));

	elfimg_ptr(&img, MD, PCHDR);
	put_slice(&img, MD + 8, c == C_FUNCNAME ? PCHDR + 0x68 : PCHDR + 0x60, 0x10, 0x10);
	put_slice(&img, MD + 128, RODATA + 0x100, 2, 2);		/* ftab */
	elfimg_ptr(&img, MD + 160, TEXT);				/* minpc */
	elfimg_ptr(&img, MD + 168, TEXT + 0x800);			/* maxpc */
	elfimg_ptr(&img, MD + 176, c == C_TEXT ? RODATA : TEXT);	/* text */
	elfimg_ptr(&img, MD + 184, c == C_TEXT ? RODATA + 0x800 : TEXT + 0x800);
	elfimg_ptr(&img, MD + off->types, c == C_TYPES_ORDER ? ETYPES : TYPES);
	elfimg_ptr(&img, MD + off->etypes, c == C_TYPES_ORDER ? TYPES : ETYPES);
	put_slice(&img, MD + off->textsectmap, DATA + 0x800, c == C_TEXTSECT ? 0 : 1,
		  c == C_TEXTSECT ? 0 : 1);
	put_slice(&img, MD + off->typelinks, LINKS, 3, c == C_LINK_CAP ? 4 : 3);
	if (c == C_TEXT)	/* keep minpc == text so only the segment check can object */
		elfimg_ptr(&img, MD + 160, RODATA);

	switch (c) {
	case C_NAME_LEN:
		memcpy(elfimg_at(&img, TYPES + 0x80 + 40), &(int32_t){ 0x3f0 }, 4);
		put_name(&img, TYPES + 0x3f0, "map[a]b");
		elfimg_at(&img, TYPES + 0x3f1)[0] = 0x20;	/* 32 bytes from 0x3f2: past 0x400 */
		break;
	case C_NAME_VARINT:
		memset(elfimg_at(&img, TYPES + 0x241), 0xff, 11);
		break;
	case C_STR_NEG:
		memcpy(elfimg_at(&img, TYPES + 0x80 + 40), &(int32_t){ -16 }, 4);
		break;
	case C_STR_END:
		memcpy(elfimg_at(&img, TYPES + 0x80 + 40), &(int32_t){ 0x3ff }, 4);
		break;
	default:
		break;
	}
	buf = elfimg_build(&img, len);
	elfimg_free(&img);
	return buf;
}

static struct go_buildinfo fake_bi(int minor)
{
	struct go_buildinfo bi;

	memset(&bi, 0, sizeof(bi));
	snprintf(bi.version, sizeof(bi.version), "go1.%d", minor);
	bi.major = 1;
	bi.minor = minor;
	bi.ptr_size = 8;
	return bi;
}

static struct gotypes *synth_open(uint16_t type, const struct md_offsets *off, enum corruption c,
				  int minor, uint8_t **buf, struct goelf **elf, struct gm_err *err)
{
	struct go_buildinfo bi = fake_bi(minor);
	size_t len = 0;

	*buf = synth(type, off, c, &len);
	*elf = goelf__open_mem(*buf, len, err);
	assert_non_null(*elf);
	return gotypes__new_at(*elf, PCHDR, off->format, minor ? &bi : NULL, err);
}

static void synth_close(struct gotypes *t, uint8_t *buf, struct goelf *elf)
{
	gotypes__free(t);
	goelf__free(elf);
	free(buf);
}

struct layout_case {
	const char *name;
	const struct md_offsets *off;
	int minor;		/* 0: no build info at all */
	uint16_t type;
};

static const struct layout_case layout_cases[] = {
	{ "layout go1.18-1.19 read for go1.18", &md_118, 18, ET_EXEC },
	{ "layout go1.18-1.19 read for go1.18, PIE", &md_118, 18, ET_DYN },
	{ "layout go1.18-1.19 read for go1.19", &md_118, 19, ET_EXEC },
	{ "layout go1.18-1.19 read for go1.19, PIE", &md_118, 19, ET_DYN },
	{ "layout go1.20-1.25 read for go1.20", &md_120, 20, ET_EXEC },
	{ "layout go1.20-1.25 read for go1.20, PIE", &md_120, 20, ET_DYN },
	{ "layout go1.20-1.25 read for go1.25", &md_120, 25, ET_EXEC },
	{ "layout go1.20-1.25 read for go1.25, PIE", &md_120, 25, ET_DYN },
	{ "layout go1.26 read for go1.26", &md_126, 26, ET_EXEC },
	{ "layout go1.26 read for go1.26, PIE", &md_126, 26, ET_DYN },
	{ "layout go1.20-1.25 without build info", &md_120, 0, ET_EXEC },
	{ "layout go1.20-1.25 without build info, PIE", &md_120, 0, ET_DYN },
	{ "layout go1.26 without build info", &md_126, 0, ET_EXEC },
	{ "layout go1.26 without build info, PIE", &md_126, 0, ET_DYN },
	/* a version that names the wrong layout first: the checks still decide */
	{ "layout go1.26 in a go1.22 build", &md_126, 22, ET_EXEC },
	{ "layout go1.26 in a go1.22 build, PIE", &md_126, 22, ET_DYN },
	{ "layout go1.20-1.25 in a go1.27 build", &md_120, 27, ET_EXEC },
	{ "layout go1.20-1.25 in a go1.27 build, PIE", &md_120, 27, ET_DYN },
};

static void test_synth_layouts(void **state)
{
	const struct layout_case *c = CASE(struct layout_case, state);
	struct gm_err err = { { 0 } };
	struct goelf *elf;
	struct gotypes *t;
	struct map_list l;
	uint8_t *buf;
	char name[32];

	t = synth_open(c->type, c->off, C_NONE, c->minor, &buf, &elf, &err);
	if (!t)
		fail_msg("%s: %s", c->name, err.msg);
	assert_string_equal(gotypes__layout(t), c->off->name);
	assert_int_equal(gotypes__moduledata_addr(t), MD);
	assert_int_equal(gotypes__types_start(t), TYPES);
	assert_int_equal(gotypes__types_end(t), ETYPES);
	assert_int_equal(gotypes__typelink_cnt(t), 3);
	list_maps(t, &l);
	assert_int_equal(l.cnt, 2);
	assert_string_equal(l.names[0], "map[string]int");	/* ExtraStar dropped */
	assert_int_equal(l.addrs[0], TYPES);
	assert_string_equal(l.names[1], "map[int]bool");
	assert_int_equal(l.addrs[1], TYPES + 0x80);
	assert_int_equal(gotypes__name(t, TYPES + 0x40, name, sizeof(name)), 6);
	assert_string_equal(name, "main.T");
	assert_int_equal(gotypes__kind(t, TYPES + 0x40), 25);
	synth_close(t, buf, elf);
}

/* Moduledata that fails a consistency check is not moduledata. */
struct bad_md {
	const char *name;
	enum corruption c;
	uint16_t type;
};

static const struct bad_md bad_md[] = {
	{ "bad moduledata: a typelinks entry past etypes", C_LINK_RANGE, ET_EXEC },
	{ "bad moduledata: a typelinks entry past etypes, PIE", C_LINK_RANGE, ET_DYN },
	{ "bad moduledata: typelinks len != cap", C_LINK_CAP, ET_EXEC },
	{ "bad moduledata: typelinks len != cap, PIE", C_LINK_CAP, ET_DYN },
	{ "bad moduledata: funcnametab elsewhere", C_FUNCNAME, ET_EXEC },
	{ "bad moduledata: funcnametab elsewhere, PIE", C_FUNCNAME, ET_DYN },
	{ "bad moduledata: etypes before types", C_TYPES_ORDER, ET_EXEC },
	{ "bad moduledata: etypes before types, PIE", C_TYPES_ORDER, ET_DYN },
	{ "bad moduledata: text not executable", C_TEXT, ET_EXEC },
	{ "bad moduledata: text not executable, PIE", C_TEXT, ET_DYN },
	{ "bad moduledata: textsectmap empty", C_TEXTSECT, ET_EXEC },
	{ "bad moduledata: textsectmap empty, PIE", C_TEXTSECT, ET_DYN },
};

static void test_synth_bad_moduledata(void **state)
{
	const struct bad_md *c = CASE(struct bad_md, state);
	struct gm_err err = { { 0 } };
	struct goelf *elf;
	struct gotypes *t;
	uint8_t *buf;

	t = synth_open(c->type, &md_120, c->c, 22, &buf, &elf, &err);
	if (t)
		fail_msg("%s: accepted", c->name);
	assert_non_null(strstr(err.msg, "no moduledata refers to the pclntab"));
	synth_close(t, buf, elf);
}

/* A bad name loses that one type, not the others or the process. */
struct bad_name {
	const char *name;
	enum corruption c;
	int err;
};

static const struct bad_name bad_names[] = {
	{ "bad name: runs past etypes", C_NAME_LEN, -EBADMSG },
	{ "bad name: overlong length varint", C_NAME_VARINT, -EBADMSG },
	{ "bad name: negative nameOff", C_STR_NEG, -ENOENT },
	{ "bad name: nameOff at the last byte", C_STR_END, -ENOENT },
};

static void test_synth_bad_names(void **state)
{
	const struct bad_name *c = CASE(struct bad_name, state);
	struct gm_err err = { { 0 } };
	struct goelf *elf;
	struct gotypes *t;
	struct map_list l;
	uint8_t *buf;
	char name[32];

	t = synth_open(ET_DYN, &md_126, c->c, 26, &buf, &elf, &err);
	assert_non_null(t);
	assert_int_equal(gotypes__name(t, TYPES + 0x80, name, sizeof(name)), c->err);
	list_maps(t, &l);
	assert_int_equal(l.cnt, 1);
	assert_string_equal(l.names[0], "map[string]int");
	synth_close(t, buf, elf);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * A writable segment of noise with the pcHeader address planted every 64
 * bytes, some followed by a plausible funcnametab, some by more noise: the
 * scan must reject every candidate and say so.
 */
static void test_scan_over_garbage(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int round;

	for (round = 0; round < 8; round++) {
		struct gm_err err = { { 0 } };
		struct go_buildinfo bi = fake_bi(22);
		struct elfimg img;
		struct goelf *elf;
		uint8_t *buf, *p;
		size_t len = 0, i;

		elfimg_init(&img, round & 1 ? ET_DYN : ET_EXEC);
		elfimg_seg(&img, TEXT, 0x1000, PF_R | PF_X);
		p = elfimg_seg(&img, RODATA, 0x2000, PF_R);
		memcpy(p, "\xf1\xff\xff\xff\0\0\x01\x08", 8);
		elfimg_put64(&img, PCHDR + 32, 0x60);
		p = elfimg_seg(&img, DATA, 0x10000, PF_R | PF_W);
		for (i = 0; i < 0x10000; i += 8) {
			uint64_t v = xorshift(&seed);

			/* small values too, so that len == cap sometimes holds */
			if (round >= 4)
				v &= 0x3;
			memcpy(p + i, &v, 8);
		}
		for (i = 0; i + 512 <= 0x10000; i += 64) {
			elfimg_put64(&img, DATA + i, PCHDR);
			if (i % 128 == 0)
				put_slice(&img, DATA + i + 8, PCHDR + 0x60, 0x10, 0x10);
		}
		buf = elfimg_build(&img, &len);
		elfimg_free(&img);
		elf = goelf__open_mem(buf, len, &err);
		assert_non_null(elf);
		assert_null(gotypes__new_at(elf, PCHDR, 120, &bi, &err));
		assert_non_null(strstr(err.msg, "no moduledata"));
		/* unknown pclntab format: the looser funcnametab check, same verdict */
		assert_null(gotypes__new_at(elf, PCHDR, 0, NULL, &err));
		goelf__free(elf);
		free(buf);
	}
}

static void test_refusals(void **state)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo old = fake_bi(16);
	struct goelf *elf;
	uint8_t *buf;
	size_t len = 0;

	buf = synth(ET_EXEC, &md_120, C_NONE, &len);
	elf = goelf__open_mem(buf, len, &err);
	assert_non_null(elf);
	assert_null(gotypes__new_at(elf, PCHDR, 116, &old, &err));
	assert_non_null(strstr(err.msg, "before Go 1.17"));
	assert_null(gotypes__new_at(elf, 0xdead0000, 120, NULL, &err));
	assert_non_null(strstr(err.msg, "outside the file"));
	/* a header without a function name table is no header */
	assert_null(gotypes__new_at(elf, PCHDR + 0x100, 120, NULL, &err));
	/* the right header with the wrong format looks at the wrong field */
	assert_null(gotypes__new_at(elf, PCHDR, 116, NULL, &err));
	goelf__free(elf);
	free(buf);
}

/*
 * The runtime self-check passes on every release and variant the matrix
 * tests (so a newer release failing it has changed, not the check), with
 * the offsets the probes read: GroupSize at +80 (8 bytes) for swiss maps,
 * BucketSize at +82 (2 bytes) for classic ones.  The same check with a
 * wrong field offset or width fails, naming the field.
 */
static void fix_self_check(size_t t, const char *variant)
{
	char detail[256];
	bool swiss = gm_matrix[t].swiss;
	uint16_t off = swiss ? 80 : 82;
	uint8_t size = swiss ? 8 : 2;
	struct opened o;
	char path[512];

	snprintf(path, sizeof(path), "%s/fixtures/%s/%s/maps",
		 getenv("GM_BUILD") && *getenv("GM_BUILD") ? getenv("GM_BUILD") : "./build",
		 gm_toolchains[t], variant);
	open_file(&o, path);
	if (gotypes__self_check(o.types, off, size, detail, sizeof(detail)))
		fail_msg("%s: self-check failed: %s", path, detail);
	assert_non_null(strstr(detail, "key int32, elem unsafe.Pointer"));
	/* one word further on is the slot size (swiss) or flags (classic) */
	assert_int_equal(gotypes__self_check(o.types, off + 8, size, detail, sizeof(detail)),
			 -EBADMSG);
	assert_non_null(strstr(detail, "group size at +"));
	/* hostile parameters: no read outside the map descriptor */
	assert_int_equal(gotypes__self_check(o.types, off, 3, detail, sizeof(detail)), -EBADMSG);
	assert_int_equal(gotypes__self_check(o.types, 200, 8, detail, sizeof(detail)), -EBADMSG);
	assert_int_equal(gotypes__self_check(o.types, 0, 8, detail, sizeof(detail)), -EBADMSG);
	close_opened(&o);
}

/*
 * gobin's release facts on the newest tested fixture, told it is one minor
 * newer: the note says which release, that it is newer than the newest
 * tested and that the self-check passed; a plan whose group size offset is
 * wrong (as a release that moved the field would read) fails the check,
 * and then no type is named and every lookup says why.
 */
static void test_newer_release(void **state)
{
	const struct gm_matrix_tc *tc = NULL;
	struct gm_err err = { { 0 } };
	struct gobin *bin;
	uint64_t addr = 0;
	char path[512], buf[128], want[64];
	size_t t;

	(void)state;
	for (t = 0; t < GM_MATRIX_CNT; t++)
		if (gm_matrix[t].swiss)
			tc = &gm_matrix[t];
	assert_non_null(tc);
	assert_int_equal(tc->minor, GM_NEWEST_TESTED_MINOR);
	assert_int_equal(gobin__newest_tested_minor(), GM_NEWEST_TESTED_MINOR);
	assert_string_equal(gobin__newest_tested(), GM_NEWEST_TESTED);
	snprintf(path, sizeof(path), "%s/fixtures/%s/plain/leaky",
		 getenv("GM_BUILD") && *getenv("GM_BUILD") ? getenv("GM_BUILD") : "./build", tc->name);
	bin = gobin__open(path, &err);
	if (!bin)
		fail_msg("%s: %s", path, err.msg);
	/* as tested: no note, no check, the layout verified, types named */
	assert_false(bin->newer_than_tested);
	assert_int_equal(bin->self_check, GOBIN_CHECK_NOT_NEEDED);
	assert_true(bin->layout_verified);
	assert_null(gobin__newer_note(bin));
	assert_string_equal(bin->types_unavailable, "");
	assert_non_null(bin->types);
	{
		struct map_list l = { .types = bin->types };

		list_maps(bin->types, &l);
		for (t = 0; t < (size_t)l.cnt; t++)
			if (!strcmp(l.names[t], "map[string]*main.Session"))
				addr = l.addrs[t];
	}
	assert_true(addr != 0);
	assert_null(gobin__type_unavailable(bin, addr));
	assert_non_null(gobin__type_unavailable(bin, 0));
	assert_non_null(strstr(gobin__type_unavailable(bin, gotypes__types_end(bin->types)), "outside"));

	/* one minor newer: the check runs and passes */
	snprintf(bin->bi.version, sizeof(bin->bi.version), "go1.%d.0", tc->minor + 1);
	bin->bi.minor = tc->minor + 1;
	bin->bi.patch = 0;
	gobin__check_release(bin, NULL);
	assert_true(bin->newer_than_tested);
	assert_false(bin->layout_verified);
	assert_int_equal(bin->self_check, GOBIN_CHECK_PASSED);
	assert_non_null(gobin__newer_note(bin));
	snprintf(want, sizeof(want), "built by go1.%d.0, newer than %s,", tc->minor + 1, GM_NEWEST_TESTED);
	assert_non_null(strstr(gobin__newer_note(bin), want));
	assert_non_null(strstr(gobin__newer_note(bin), "self-check passed"));
	assert_string_equal(gobin__type_name(bin, addr, buf, sizeof(buf)), "map[string]*main.Session");
	assert_null(gobin__type_unavailable(bin, addr));
	assert_string_equal(gobin__check_str(bin->self_check), "passed");

	/* the field moved: fails, types dropped, every lookup says why */
	bin->plan->layout.type_bucketsize_off = 88;
	gobin__check_release(bin, NULL);
	assert_int_equal(bin->self_check, GOBIN_CHECK_FAILED);
	assert_null(bin->types);
	assert_non_null(strstr(gobin__newer_note(bin), "self-check FAILED"));
	assert_non_null(strstr(gobin__newer_note(bin), "map types are not named"));
	assert_non_null(strstr(bin->types_unavailable, "failed the runtime self-check"));
	assert_string_equal(gobin__type_name(bin, addr, buf, sizeof(buf)), "?");
	assert_string_equal(gobin__type_unavailable(bin, addr), bin->types_unavailable);
	assert_string_equal(gobin__type_unavailable(bin, 0), bin->types_unavailable);
	assert_string_equal(gobin__check_str(bin->self_check), "failed");

	/* without type data at all, a newer release fails the check too */
	gobin__check_release(bin, "no moduledata refers to the pclntab at 0x1: type names unavailable");
	assert_int_equal(bin->self_check, GOBIN_CHECK_FAILED);
	assert_non_null(strstr(bin->self_check_detail, "no type data"));
	gobin__free(bin);
}

/* One fixture check on one build. */
struct fixture_test {
	void (*fn)(size_t t, const char *variant);
	size_t t;
	const char *variant;
};

static void test_fixture(void **state)
{
	const struct fixture_test *ft = *state;

	ft->fn(ft->t, ft->variant);
}

#define N_CHECKS 5
#define MAX_VARIANTS 4

int main(void)
{
	/* one named test per check and build, so a failure says which build broke */
	static const struct {
		const char *name;
		void (*fn)(size_t t, const char *variant);
		const char *variants[MAX_VARIANTS];
	} checks[N_CHECKS] = {
		/* non-stripped builds: the linker's symbols say where everything is */
		{ "symbols", fix_symbols, { "plain", "cgo" } },
		/* stripped PIE: no symbols, pointers only through relocations */
		{ "stripped matches plain", fix_stripped_match_plain, { "pie-stripped" } },
		{ "scan finds the symbol", fix_scan_finds_the_symbol, { "plain", "pie-stripped" } },
		{ "via pclntab", fix_via_pclntab, { "plain", "pie-stripped", "cgo" } },
		{ "self-check", fix_self_check, { NULL } },	/* every gm_variants[] */
	};
	static struct fixture_test ft[N_CHECKS * GM_MATRIX_CNT * MAX_VARIANTS];
	static char names[N_CHECKS * GM_MATRIX_CNT * MAX_VARIANTS][96];
	struct suite s = {};
	size_t c, t, v, k = 0;

	for (c = 0; c < N_CHECKS; c++)
		for (t = 0; t < GM_MATRIX_CNT; t++)
			for (v = 0; v < MAX_VARIANTS; v++) {
				const char *var = checks[c].variants[0] ? checks[c].variants[v] :
						  v < GM_VARIANT_CNT ? gm_variants[v] : NULL;

				if (!var)
					break;
				ft[k] = (struct fixture_test){ checks[c].fn, t, var };
				snprintf(names[k], sizeof(names[k]), "%s %s/%s", checks[c].name,
					 gm_toolchains[t], var);
				suite_add(&s, names[k], test_fixture, &ft[k], NULL, NULL);
				k++;
			}
	suite_test(&s, test_name_and_kind_bounds);
	suite_test(&s, test_callback_stops);
	suite_test(&s, test_via_pclntab_none);
	suite_rows(&s, test_synth_layouts, layout_cases);
	suite_rows(&s, test_synth_bad_moduledata, bad_md);
	suite_rows(&s, test_synth_bad_names, bad_names);
	suite_test(&s, test_scan_over_garbage);
	suite_test(&s, test_refusals);
	suite_test(&s, test_newer_release);
	return suite_run(&s, "gotypes");
}
