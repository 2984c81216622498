// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * holder: the pure parts of issue 13's search — how a key string is shown
 * (quoted, escaped, cut at 64 bytes), the word scan of a memory block, the
 * naming of a package-level variable from .symtab (against the holders
 * fixture: main.sessions, main.reg, not the linker's zero-size section
 * markers at the same address) and from section + offset when stripped,
 * and the --keys / daemon switches.
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
#include "holder.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_symbol_at),
		cmocka_unit_test(test_section_at),
		cmocka_unit_test(test_switches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
