// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: goelf__open_mem() and every accessor on whatever it
 * accepts.  Besides the sanitizers, it checks goelf's own promises: every
 * pointer handed out lies inside the input, the two address-translation
 * entry points agree, and a refusal always carries a reason.
 *
 * FUZZ_VERBOSE=1 prints what one input reached (seeds.sh uses it to check
 * that a seed gets past the header).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "goelf.h"

#define FUZZ_TAG "fuzz_elf"
#include "fuzzcommon.h"

/* p[0, n) must lie inside the input; reading its ends lets ASan confirm. */
static void inside(const uint8_t *base, size_t len, const uint8_t *p, uint64_t n)
{
	CHECK(p >= base && (size_t)(p - base) <= len && n <= len - (size_t)(p - base));
	if (n) {
		sink ^= p[0];
		sink ^= p[n - 1];
	}
}

/* Both translations must agree, and vaddr_ptr must stay in the input. */
static void probe_vaddr(const struct goelf *elf, const uint8_t *base, size_t len,
			uint64_t vaddr, uint64_t n)
{
	const uint8_t *p = goelf__vaddr_ptr(elf, vaddr, n);
	const uint8_t *one = goelf__vaddr_ptr(elf, vaddr, 1);
	uint64_t off, val;

	if (p)
		inside(base, len, p, n);
	if (one) {
		CHECK(goelf__vaddr_to_off(elf, vaddr, &off) == 0);
		CHECK(off < len && base + off == one);
	}
	if (goelf__read_ptr(elf, vaddr, &val) == 0)
		CHECK(goelf__vaddr_ptr(elf, vaddr, 8) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { ".text", ".gopclntab", ".data.rel.ro.gopclntab",
					     ".go.buildinfo", ".typelink", ".noptrdata", ".symtab",
					     ".go.module", "" };
	struct gm_err err = { { 0 } };
	struct goelf *elf = goelf__open_mem(data, size, &err);
	const uint8_t *base;
	size_t len, i, nsec, nseg;
	uint64_t a, s;

	if (!elf) {
		CHECK(err.msg[0] != '\0');
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		if (verbose)
			fprintf(stderr, "fuzz_elf: refused: %s\n", err.msg);
		return 0;
	}
	base = goelf__data(elf, &len);
	CHECK(base == data && len == size);
	CHECK(strcmp(goelf__path(elf), "<memory>") == 0);
	sink ^= goelf__is_pie(elf) + goelf__is_dynamic(elf) + goelf__has_symtab(elf);
	sink ^= (uint8_t)strlen(goelf__arch_name(elf));

	nsec = goelf__section_cnt(elf);
	CHECK(goelf__section(elf, nsec) == NULL);
	for (i = 0; i < nsec; i++) {
		const struct goelf_section *sec = goelf__section(elf, i);
		const struct goelf_section *byname;
		const uint8_t *d;

		CHECK(sec && sec->name);
		sink ^= (uint8_t)strlen(sec->name);
		byname = goelf__section_by_name(elf, sec->name);
		CHECK(byname && strcmp(byname->name, sec->name) == 0);
		d = goelf__section_data(elf, sec);
		if (d)
			inside(base, len, d, sec->size);
		if (sec->addr) {
			probe_vaddr(elf, base, len, sec->addr, sec->size);
			probe_vaddr(elf, base, len, sec->addr + sec->size - 8, 8);
		}
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct goelf_section *sec = goelf__section_by_name(elf, names[i]);

		if (sec)
			CHECK(strcmp(sec->name, names[i]) == 0);
	}

	nseg = goelf__segment_cnt(elf);
	CHECK(goelf__segment(elf, nseg) == NULL);
	for (i = 0; i < nseg; i++) {
		const struct goelf_segment *sg = goelf__segment(elf, i);

		CHECK(sg);
		probe_vaddr(elf, base, len, sg->vaddr, sg->filesz);
		probe_vaddr(elf, base, len, sg->vaddr + sg->filesz - 1, 1);
		probe_vaddr(elf, base, len, sg->vaddr + sg->filesz - 4, 8);
		probe_vaddr(elf, base, len, sg->vaddr + sg->filesz, 1);
		probe_vaddr(elf, base, len, sg->vaddr + sg->memsz - 8, 8);
		probe_vaddr(elf, base, len, sg->vaddr, UINT64_MAX);
	}
	probe_vaddr(elf, base, len, 0, 8);
	probe_vaddr(elf, base, len, UINT64_MAX - 3, 8);

	/* file_ptr at and around the edges */
	CHECK(goelf__file_ptr(elf, 0, size) == data);
	CHECK(goelf__file_ptr(elf, size, 0) == data + size);
	CHECK(goelf__file_ptr(elf, size, 1) == NULL);
	CHECK(goelf__file_ptr(elf, 1, UINT64_MAX) == NULL);
	CHECK(goelf__file_ptr(elf, UINT64_MAX, 2) == NULL);

	/* symbols: a hit must be reported by the prefix search as well */
	if (!goelf__symbol(elf, "runtime.firstmoduledata", &a, &s))
		CHECK(goelf__has_symbol_prefix(elf, "runtime.first"));
	sink ^= !goelf__symbol(elf, "main.main", &a, NULL);
	sink ^= !goelf__symbol(elf, "", NULL, NULL);
	sink ^= goelf__has_symbol_prefix(elf, "");
	sink ^= goelf__has_symbol_prefix(elf, "go:");

	if (verbose)
		fprintf(stderr, "fuzz_elf: accepted: %zu sections, %zu segments, pie %d, symtab %d\n",
			nsec, nseg, goelf__is_pie(elf), goelf__has_symtab(elf));
	goelf__free(elf);
	return 0;
}
