// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * holder: the pure parts of issue 13's search — how a key string is shown
 * (quoted, escaped, cut at 64 bytes), the word scan of a memory block, the
 * naming of a package-level variable from .symtab (against the holders
 * fixture: main.sessions, main.reg, not the linker's zero-size section
 * markers at the same address) and from section + offset when stripped,
 * and the --keys / daemon switches; and, over a synthetic address space,
 * the parts of the deeper search that read no real process: the by-type
 * field index of a hand-made types range (fields of a map type, the
 * pointer type of a struct, field names, closures told apart, a supposed
 * object checked by its pointer fields), a goroutine's g header decoded
 * for both gobuf layouts, where an offset falls in a Swiss group and a
 * classic bucket, and a small map's group told from other memory.
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
#include "goelf.h"
#include "heapwalk.h"
#include "holder_roots.h"
#include "holder.h"
#include "holder_slots.h"
#include "holder_types.h"

static void test_quote(void **state)
{
	char buf[HOLDER_KEY_TEXT];
	uint8_t bin[] = { 'a', 0, 0x1b, '"', '\\', 0xff, 'z' };
	char long_s[100];

	(void)state;
	assert_string_equal(holder__quote((const uint8_t *)"s-12", 4, buf, sizeof(buf)), "\"s-12\"");
	assert_string_equal(holder__quote((const uint8_t *)"", 0, buf, sizeof(buf)), "\"\"");
	assert_string_equal(holder__quote(bin, sizeof(bin), buf, sizeof(buf)),
			    "\"a\\x00\\x1b\\\"\\\\\\xffz\"");
	memset(long_s, 'x', sizeof(long_s));
	holder__quote((const uint8_t *)long_s, sizeof(long_s), buf, sizeof(buf));
	/* 64 bytes shown, quoted, then "..." */
	assert_int_equal(strlen(buf), 1 + 64 + 1 + 3);
	assert_string_equal(buf + 66, "...");
	/* a small buffer is never overrun, and stays a string */
	holder__quote((const uint8_t *)long_s, sizeof(long_s), buf, 12);
	assert_true(strlen(buf) < 12);
	holder__quote(bin, sizeof(bin), buf, 3);
	assert_string_equal(buf, "");
}

struct hits {
	uint64_t at[8], val[8];
	int n;
};

static void on_hit(uint64_t at, uint64_t val, void *ctx)
{
	struct hits *h = ctx;

	h->at[h->n] = at;
	h->val[h->n++] = val;
}

static void test_scan(void **state)
{
	uint64_t words[6] = { 0, 0xc000123000, 7, 0xc000456000, 0xc000123000, 0xc000123001 };
	struct u64map want;
	struct hits h = { 0 };

	(void)state;
	u64map__init(&want);
	u64map__set(&want, 0xc000123000, (void *)1);
	u64map__set(&want, 0xc000456000, (void *)1);
	assert_int_equal(heapwalk__scan((const uint8_t *)words, sizeof(words), 0x500000, &want, on_hit, &h), 3);
	assert_int_equal(h.n, 3);
	assert_true(h.at[0] == 0x500008 && h.val[0] == 0xc000123000);
	assert_true(h.at[1] == 0x500018 && h.val[1] == 0xc000456000);
	assert_true(h.at[2] == 0x500020);
	/* a tail shorter than a word is not read */
	h.n = 0;
	assert_int_equal(heapwalk__scan((const uint8_t *)words, 15, 0, &want, on_hit, &h), 0);
	assert_int_equal(heapwalk__scan((const uint8_t *)words, 16, 0, &want, on_hit, &h), 1);
	u64map__fini(&want);
}

static struct goelf *open_fixture(const char *variant)
{
	const char *build = getenv("GM_BUILD");
	char path[4096];
	struct gm_err err = { 0 };
	struct goelf *elf;

	snprintf(path, sizeof(path), "%s/fixtures/go1.26/%s/holders", build && *build ? build : "build",
		 variant);
	elf = goelf__open(path, &err);
	if (!elf)
		fail_msg("fixture %s: %s (run make fixtures)", path, err.msg);
	return elf;
}

static void test_symbol_at(void **state)
{
	struct goelf *elf = open_fixture("plain");
	uint64_t addr, size, off = 99;
	char name[160];

	(void)state;
	assert_int_equal(goelf__symbol(elf, "main.sessions", &addr, &size), 0);
	assert_true(heapwalk__symbol_at(elf, addr, name, sizeof(name), &off));
	/* runtime.bss (size 0) may sit at the same address: never chosen */
	assert_string_equal(name, "main.sessions");
	assert_int_equal(off, 0);
	assert_int_equal(goelf__symbol(elf, "main.reg", &addr, &size), 0);
	assert_true(heapwalk__symbol_at(elf, addr + 4, name, sizeof(name), &off));
	assert_string_equal(name, "main.reg");
	assert_int_equal(off, 4);
	/* not in any object symbol: the text start */
	assert_false(heapwalk__symbol_at(elf, goelf__section_by_name(elf, ".text")->addr, name,
				       sizeof(name), &off));
	goelf__free(elf);
}

static void test_section_at(void **state)
{
	struct goelf *elf = open_fixture("pie-stripped");
	const struct goelf_section *bss = goelf__section_by_name(elf, ".bss");
	uint64_t off = 0;
	char name[160];

	(void)state;
	assert_non_null(bss);
	assert_false(heapwalk__symbol_at(elf, bss->addr + 0x68, name, sizeof(name), &off));
	heapwalk__section_at(elf, bss->addr + 0x68, name, sizeof(name));
	assert_string_equal(name, "package-level variable (.bss+0x68)");
	heapwalk__section_at(elf, 8, name, sizeof(name));
	assert_string_equal(name, "package-level variable (0x8)");
	goelf__free(elf);
}

static void test_switches(void **state)
{
	(void)state;
	holder__reset();
	assert_int_equal(holder__keys(), 0);	/* off by default */
	holder__set_keys(5);
	assert_int_equal(holder__keys(), 5);
	holder__set_keys(1000);
	assert_int_equal(holder__keys(), HOLDER_MAX_KEYS);
	holder__set_keys(-3);
	assert_int_equal(holder__keys(), 0);
	/* the daemon never reads keys, whatever was asked */
	holder__set_keys(5);
	holder__set_daemon(true);
	assert_int_equal(holder__keys(), 0);
	holder__reset();
	assert_string_equal(holder__kind_str(HOLDER_GLOBAL), "global");
	assert_string_equal(holder__kind_str(HOLDER_STACK), "stack");
	assert_string_equal(holder__kind_str(HOLDER_HEAP), "heap");
	assert_string_equal(holder__kind_str(HOLDER_UNKNOWN), "unknown");
	assert_null(holder__stats()->maps ? "searched" : NULL);
}

/* ---- a synthetic address space: one buffer at a base ---- */

#define TB 0x10000000ULL	/* types range */
#define TLEN 0x1000

struct fakemem {
	uint64_t base;
	uint8_t *b;
	size_t len;
};

static int fake_read(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct fakemem *m = ctx;

	(void)pid;
	if (addr < m->base || addr - m->base > m->len || len > m->len - (addr - m->base))
		return -EFAULT;
	memcpy(buf, m->b + (addr - m->base), len);
	return 0;
}

static void put64(uint8_t *b, uint64_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

/* abi.Type at off: size, ptrdata, kind */
static void put_type(uint8_t *b, uint64_t off, uint64_t size, uint64_t ptrdata, uint8_t kind)
{
	put64(b, off, size);
	put64(b, off + 8, ptrdata);
	b[off + 23] = kind;
}

/* abi.Name at off: flags, uvarint length, bytes */
static void put_name(uint8_t *b, uint64_t off, const char *s)
{
	b[off + 1] = (uint8_t)strlen(s);
	memcpy(b + off + 2, s, strlen(s));
}

/* abi.StructType at off with n fields at foff: {name, type, offset} */
static void put_struct(uint8_t *b, uint64_t off, uint64_t size, uint64_t foff, const uint64_t (*f)[3], int n)
{
	int i;

	put_type(b, off, size, size, K_STRUCT);
	put64(b, off + 56, TB + foff);
	put64(b, off + 64, (uint64_t)n);
	put64(b, off + 72, (uint64_t)n);
	for (i = 0; i < n; i++) {
		put64(b, foff + 24 * i, TB + f[i][0]);
		put64(b, foff + 24 * i + 8, TB + f[i][1]);
		put64(b, foff + 24 * i + 16, f[i][2]);
	}
}

/*
 * int at 0x0, uintptr at 0x40, a map type at 0x100, struct registry {mu
 * int; byID map} at 0x200 (fields at 0x300), *registry at 0x500, a closure
 * struct {F uintptr; X0 *registry} at 0x600 (fields at 0x680), names at
 * 0x400.
 */
static void build_types(uint8_t *b)
{
	static const uint64_t reg[2][3] = { { 0x400, 0x0, 0 }, { 0x410, 0x100, 8 } };
	static const uint64_t clo[2][3] = { { 0x420, 0x40, 0 }, { 0x430, 0x500, 8 } };

	memset(b, 0, TLEN);
	put_type(b, 0x0, 8, 0, K_INT);
	put_type(b, 0x40, 8, 0, K_UINTPTR);
	put_type(b, 0x100, 8, 8, K_MAP);
	put_struct(b, 0x200, 16, 0x300, reg, 2);
	put_type(b, 0x500, 8, 8, K_POINTER);
	put64(b, 0x500 + 48, TB + 0x200);
	put_struct(b, 0x600, 16, 0x680, clo, 2);
	put_name(b, 0x400, "mu");
	put_name(b, 0x410, "byID");
	put_name(b, 0x420, "F");
	put_name(b, 0x430, "X0");
}

static bool plausible_c(void *ctx, uint64_t v)
{
	(void)ctx;
	return v >= 0xc000000000ULL && v < 0xc100000000ULL;
}

static void test_field_index(void **state)
{
	static uint8_t mem[TLEN];
	struct fakemem fm = { TB, mem, sizeof(mem) };
	struct gomap_mem gm = { fake_read, NULL, &fm };
	struct hread rd = { .mem = &gm, .pid = 1 };
	struct gm_layout lay;
	struct htypes ht;
	const struct hfield *f;
	uint64_t st;
	char name[80];
	uint8_t obj[16];

	(void)state;
	build_types(mem);
	gomap__layout(&lay, GM_MAP_SWISS, 1, 26);
	htypes__init(&ht, &rd, &lay);
	ht.types_lo = TB;
	ht.types_len = TLEN;
	/* the map type is the type of one field: registry.byID at 8 */
	assert_int_equal(htypes__fields_of(&ht, TB + 0x100, &f), 1);
	assert_true(f[0].stype == TB + 0x200 && f[0].off == 8);
	assert_true(htypes__field_at(&ht, TB + 0x100, 8, &st, name, sizeof(name)));
	assert_string_equal(name, "byID");
	assert_true(st == TB + 0x200);
	assert_false(htypes__field_at(&ht, TB + 0x100, 16, &st, name, sizeof(name)));
	/* *registry: a field of the closure, and the pointer type of registry */
	assert_int_equal(htypes__fields_of(&ht, TB + 0x500, &f), 1);
	assert_true(f[0].stype == TB + 0x600 && f[0].off == 8);
	assert_true(htypes__ptr_to(&ht, TB + 0x200) == TB + 0x500);
	assert_true(htypes__ptr_to(&ht, TB + 0x600) == 0);
	assert_true(htypes__is_closure(&ht, TB + 0x600));
	assert_false(htypes__is_closure(&ht, TB + 0x200));
	assert_int_equal(ht.structs, 2);
	/* a registry: mu anything, byID nil or a plausible map (8-aligned) */
	put64(obj, 0, 12345);
	put64(obj, 8, 0xc000001000ULL);
	assert_true(htypes__object_ok(&ht, htypes__info(&ht, TB + 0x200), obj, sizeof(obj), plausible_c, NULL));
	put64(obj, 8, 0);
	assert_true(htypes__object_ok(&ht, htypes__info(&ht, TB + 0x200), obj, sizeof(obj), plausible_c, NULL));
	put64(obj, 8, 0xc000001004ULL);
	assert_false(htypes__object_ok(&ht, htypes__info(&ht, TB + 0x200), obj, sizeof(obj), plausible_c, NULL));
	put64(obj, 8, 0x7000);
	assert_false(htypes__object_ok(&ht, htypes__info(&ht, TB + 0x200), obj, sizeof(obj), plausible_c, NULL));
	htypes__fini(&ht);

	/* a struct whose second field's offset goes backwards is no struct: not indexed */
	put64(mem, 0x300 + 24 + 16, 0);
	put64(mem, 0x300 + 16, 8);
	htypes__init(&ht, &rd, &lay);
	ht.types_lo = TB;
	ht.types_len = TLEN;
	assert_int_equal(htypes__fields_of(&ht, TB + 0x100, &f), 0);
	assert_int_equal(ht.structs, 1);
	htypes__fini(&ht);
}

static void test_g_decode(void **state)
{
	struct gm_layout lay;
	uint8_t b[512] = { 0 };
	struct hw_g g;
	uint64_t ga = 0xc000100000ULL;
	uint32_t st = 4;	/* waiting */
	size_t glen;

	(void)state;
	gomap__layout(&lay, GM_MAP_SWISS, 1, 26);
	glen = heapwalk__g_len(&lay);
	assert_true(glen >= (size_t)lay.g_goid_off + 8 && glen <= sizeof(b));
	put64(b, lay.g_stack_lo_off, 0xc000200000ULL);
	put64(b, lay.g_stack_hi_off, 0xc000202000ULL);	/* 8 KiB */
	put64(b, 56, 0xc000201f00ULL);		/* sched.sp */
	put64(b, 64, 0x401000);			/* sched.pc */
	put64(b, 72, ga);			/* sched.g */
	put64(b, 56 + 40, 0xc000201f80ULL);	/* sched.bp, Go >= 1.25 */
	put64(b, 56 + 48, 0xc000201fa0ULL);	/* where Go <= 1.24 keeps it */
	put64(b, lay.g_goid_off, 7);
	memcpy(b + lay.g_goid_off - 8, &st, 4);
	assert_true(heapwalk__g_decode(&lay, false, ga, b, glen, &g));
	assert_true(g.lo == 0xc000200000ULL && g.hi == 0xc000202000ULL && g.sp == 0xc000201f00ULL);
	assert_true(g.bp == 0xc000201f80ULL && g.goid == 7 && heapwalk__g_live(&g));
	assert_true(heapwalk__g_decode(&lay, true, ga, b, glen, &g));
	assert_true(g.bp == 0xc000201fa0ULL);
	/* dead, or _Gscan|waiting */
	st = 6;
	memcpy(b + lay.g_goid_off - 8, &st, 4);
	assert_true(heapwalk__g_decode(&lay, false, ga, b, glen, &g));
	assert_false(heapwalk__g_live(&g));
	st = 0x1004;
	memcpy(b + lay.g_goid_off - 8, &st, 4);
	assert_true(heapwalk__g_decode(&lay, false, ga, b, glen, &g));
	assert_true(heapwalk__g_live(&g));
	/* not a g: sched.g elsewhere; a stack of 12 KiB; too short a read */
	assert_false(heapwalk__g_decode(&lay, false, ga + 8, b, glen, &g));
	put64(b, lay.g_stack_hi_off, 0xc000203000ULL);
	assert_false(heapwalk__g_decode(&lay, false, ga, b, glen, &g));
	put64(b, lay.g_stack_hi_off, 0xc000202000ULL);
	assert_false(heapwalk__g_decode(&lay, false, ga, b, glen - 1, &g));
}

static void test_slots(void **state)
{
	/* Swiss before 1.27, map[uint64]*T: ctrl, then 8 slots {key 8, elem 8} */
	struct hmtype sw = { .keysize = 8, .elemsize = 8, .groupsize = 136, .keysoff = 8, .keystride = 16,
			     .elemsoff = 16, .elemstride = 16, .ok = true };
	/* classic map[uint64]*T: tophash[8], keys[8], elems[8], overflow */
	struct hmtype cl = { .keysize = 8, .elemsize = 8, .groupsize = 144, .ok = true };
	struct hslot_pos pos;
	uint8_t g[144] = { 0 };
	int i;

	(void)state;
	assert_true(hslots__locate(GM_MAP_SWISS, &sw, 16 + 3 * 16, &pos));
	assert_true(pos.slot == 3 && pos.in_elem && pos.off == 0);
	assert_true(hslots__locate(GM_MAP_SWISS, &sw, 8 + 16, &pos));
	assert_true(pos.slot == 1 && !pos.in_elem);
	assert_false(hslots__locate(GM_MAP_SWISS, &sw, 0, &pos));	/* the control word */
	assert_true(hslots__locate(GM_MAP_CLASSIC, &cl, 8 + 64 + 2 * 8, &pos));
	assert_true(pos.slot == 2 && pos.in_elem);
	assert_false(hslots__locate(GM_MAP_CLASSIC, &cl, 136, &pos));	/* overflow pointer */
	/* a small Swiss map with slots 0 and 2 full */
	memset(g, 0x80, 8);
	g[0] = 0x11;
	g[2] = 0x7f;
	put64(g, 16, 0xc000001000ULL);
	put64(g, 16 + 32, 0xc000002000ULL);
	assert_true(hslots__full(GM_MAP_SWISS, g, 0) && !hslots__full(GM_MAP_SWISS, g, 1));
	assert_true(hslots__small_group(GM_MAP_SWISS, &sw, g, 2, plausible_c, NULL));
	assert_false(hslots__small_group(GM_MAP_SWISS, &sw, g, 1, plausible_c, NULL));	/* empty slot */
	g[5] = 0x90;	/* no control byte is that */
	assert_false(hslots__small_group(GM_MAP_SWISS, &sw, g, 2, plausible_c, NULL));
	g[5] = 0xfe;	/* deleted */
	assert_true(hslots__small_group(GM_MAP_SWISS, &sw, g, 2, plausible_c, NULL));
	put64(g, 16 + 32, 0x1234);	/* a full slot's value no pointer */
	assert_false(hslots__small_group(GM_MAP_SWISS, &sw, g, 0, plausible_c, NULL));
	/* classic: tophash >= 5 full, 0/1 empty, 2..4 evacuated */
	memset(g, 0, sizeof(g));
	g[1] = 200;
	put64(g, 8 + 64 + 8, 0xc000003000ULL);
	assert_true(hslots__small_group(GM_MAP_CLASSIC, &cl, g, 1, plausible_c, NULL));
	g[4] = 3;
	assert_false(hslots__small_group(GM_MAP_CLASSIC, &cl, g, 1, plausible_c, NULL));
	g[4] = 1;
	put64(g, 136, 0xc000004000ULL);	/* an overflow bucket: not a small map */
	assert_false(hslots__small_group(GM_MAP_CLASSIC, &cl, g, 1, plausible_c, NULL));
	for (i = 0; i < 8; i++)
		assert_false(hslots__full(GM_MAP_CLASSIC, (const uint8_t *)"\0\1\2\3\4\0\0\0", i));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_symbol_at),
		cmocka_unit_test(test_section_at),
		cmocka_unit_test(test_switches),
		cmocka_unit_test(test_field_index),
		cmocka_unit_test(test_g_decode),
		cmocka_unit_test(test_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
