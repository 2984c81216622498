// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goelf against the fixture matrix and against hand-made bad headers.
 *
 * The facts goelf reports are checked against a second, deliberately naive
 * reading of the same file done here from <elf.h> structures, so that a
 * mistake has to be made twice, in two different ways, to go unnoticed.
 * Fixtures come from $GM_BUILD/fixtures (make fixtures); a missing one is a
 * failure, never a skip: the matrix is required.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "matrix.h"
#include "goelf.h"
#include "cases.h"

static const char *const variants[] = { "plain", "pie-stripped", "cgo" };
#define N_TC (sizeof(gm_toolchains) / sizeof(gm_toolchains[0]))
#define N_VAR (sizeof(variants) / sizeof(variants[0]))

struct blob {
	uint8_t *data;
	size_t len;
};

static void fixture_path(char *buf, size_t len, const char *tc, const char *var,
			 const char *name)
{
	const char *build = getenv("GM_BUILD");

	snprintf(buf, len, "%s/fixtures/%s/%s/%s", build && *build ? build : "build",
		 tc, var, name);
}

static struct blob slurp(const char *path)
{
	struct blob b = { 0 };
	struct stat st;
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("fixture %s missing (run make fixtures): %s", path, strerror(errno));
	assert_int_equal(fstat(fileno(f), &st), 0);
	b.len = st.st_size;
	b.data = malloc(b.len ? b.len : 1);
	assert_non_null(b.data);
	assert_int_equal(fread(b.data, 1, b.len, f), b.len);
	fclose(f);
	return b;
}

/* --- the independent reading ------------------------------------------ */

static Elf64_Ehdr raw_ehdr(const struct blob *b)
{
	Elf64_Ehdr eh;

	assert_true(b->len >= sizeof(eh));
	memcpy(&eh, b->data, sizeof(eh));
	return eh;
}

static Elf64_Shdr raw_shdr(const struct blob *b, size_t i)
{
	Elf64_Ehdr eh = raw_ehdr(b);
	Elf64_Shdr sh;

	assert_true(eh.e_shoff + (i + 1) * sizeof(sh) <= b->len);
	memcpy(&sh, b->data + eh.e_shoff + i * sizeof(sh), sizeof(sh));
	return sh;
}

static Elf64_Phdr raw_phdr(const struct blob *b, size_t i)
{
	Elf64_Ehdr eh = raw_ehdr(b);
	Elf64_Phdr ph;

	assert_true(eh.e_phoff + (i + 1) * sizeof(ph) <= b->len);
	memcpy(&ph, b->data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
	return ph;
}

static const char *raw_secname(const struct blob *b, size_t i)
{
	Elf64_Ehdr eh = raw_ehdr(b);
	Elf64_Shdr str = raw_shdr(b, eh.e_shstrndx), sh = raw_shdr(b, i);

	return (const char *)b->data + str.sh_offset + sh.sh_name;
}

static int raw_secidx(const struct blob *b, const char *name)
{
	Elf64_Ehdr eh = raw_ehdr(b);

	for (size_t i = 0; i < eh.e_shnum; i++)
		if (!strcmp(raw_secname(b, i), name))
			return (int)i;
	return -1;
}

/* vaddr -> file offset the way the kernel would load it: PT_LOAD p_filesz. */
static bool raw_v2o(const struct blob *b, uint64_t vaddr, uint64_t *off)
{
	Elf64_Ehdr eh = raw_ehdr(b);

	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = raw_phdr(b, i);

		if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = ph.p_offset + (vaddr - ph.p_vaddr);
			return true;
		}
	}
	return false;
}

/* Value of a named .symtab symbol, by a linear scan; false if absent. */
static bool raw_symbol(const struct blob *b, const char *name, uint64_t *value)
{
	int si = raw_secidx(b, ".symtab");
	Elf64_Shdr tab, str;

	if (si < 0)
		return false;
	tab = raw_shdr(b, si);
	str = raw_shdr(b, tab.sh_link);
	for (size_t i = 0; i < tab.sh_size / sizeof(Elf64_Sym); i++) {
		Elf64_Sym s;

		memcpy(&s, b->data + tab.sh_offset + i * sizeof(s), sizeof(s));
		if (!strcmp((const char *)b->data + str.sh_offset + s.st_name, name)) {
			*value = s.st_value;
			return true;
		}
	}
	return false;
}

static bool raw_has_interp(const struct blob *b)
{
	Elf64_Ehdr eh = raw_ehdr(b);

	for (size_t i = 0; i < eh.e_phnum; i++)
		if (raw_phdr(b, i).p_type == PT_INTERP)
			return true;
	return false;
}

/* --- matrix tests -------------------------------------------------------- */

struct fx {
	char path[512];
	struct blob raw;
	struct goelf *elf;
	const char *variant;
};

static void fx_open(struct fx *fx, const char *tc, const char *var)
{
	struct gm_err err = { { 0 } };

	fixture_path(fx->path, sizeof(fx->path), tc, var, "maps");
	fx->raw = slurp(fx->path);
	fx->variant = var;
	fx->elf = goelf__open(fx->path, &err);
	if (!fx->elf)
		fail_msg("goelf__open(%s): %s", fx->path, err.msg);
}

static void fx_close(struct fx *fx)
{
	goelf__free(fx->elf);
	free(fx->raw.data);
}

/* Section table, by index and by name, equals the raw headers. */
static void check_sections(struct fx *fx)
{
	Elf64_Ehdr eh = raw_ehdr(&fx->raw);
	static const char *const must[] = { ".text", ".rodata", ".go.buildinfo", ".noptrdata",
					    ".data", ".bss", ".shstrtab" };

	assert_int_equal(goelf__section_cnt(fx->elf), eh.e_shnum);
	assert_null(goelf__section(fx->elf, eh.e_shnum));
	for (size_t i = 0; i < eh.e_shnum; i++) {
		const struct goelf_section *s = goelf__section(fx->elf, i);
		Elf64_Shdr sh = raw_shdr(&fx->raw, i);

		assert_non_null(s);
		assert_string_equal(s->name, raw_secname(&fx->raw, i));
		assert_int_equal(s->type, sh.sh_type);
		assert_int_equal(s->flags, sh.sh_flags);
		assert_int_equal(s->addr, sh.sh_addr);
		assert_int_equal(s->size, sh.sh_size);
		if (sh.sh_type != SHT_NOBITS)
			assert_int_equal(s->offset, sh.sh_offset);
		/* first match by name, as a linear scan would find it */
		if (*s->name && raw_secidx(&fx->raw, s->name) == (int)i)
			assert_ptr_equal(goelf__section_by_name(fx->elf, s->name), s);
		if (sh.sh_type == SHT_NOBITS || !sh.sh_size)
			assert_null(goelf__section_data(fx->elf, s));
		else
			assert_ptr_equal(goelf__section_data(fx->elf, s),
					 goelf__data(fx->elf, &(size_t){ 0 }) + sh.sh_offset);
	}
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (!goelf__section_by_name(fx->elf, must[i]))
			fail_msg("%s: section %s not found", fx->path, must[i]);
	assert_null(goelf__section_by_name(fx->elf, ".no-such-section"));
	/* The pclntab is there under one of its two names in every matrix build. */
	assert_true(goelf__section_by_name(fx->elf, ".gopclntab") ||
		    goelf__section_by_name(fx->elf, ".data.rel.ro.gopclntab"));
	assert_int_equal(goelf__has_symtab(fx->elf), raw_secidx(&fx->raw, ".symtab") >= 0);
	assert_int_equal(goelf__has_symtab(fx->elf), strcmp(fx->variant, "pie-stripped") != 0);
}

static void check_segments(struct fx *fx)
{
	Elf64_Ehdr eh = raw_ehdr(&fx->raw);

	assert_int_equal(goelf__segment_cnt(fx->elf), eh.e_phnum);
	assert_null(goelf__segment(fx->elf, eh.e_phnum));
	for (size_t i = 0; i < eh.e_phnum; i++) {
		const struct goelf_segment *sg = goelf__segment(fx->elf, i);
		Elf64_Phdr ph = raw_phdr(&fx->raw, i);

		assert_non_null(sg);
		assert_int_equal(sg->type, ph.p_type);
		assert_int_equal(sg->flags, ph.p_flags);
		assert_int_equal(sg->offset, ph.p_offset);
		assert_int_equal(sg->vaddr, ph.p_vaddr);
		assert_int_equal(sg->filesz, ph.p_filesz);
		assert_int_equal(sg->memsz, ph.p_memsz);
	}
}

/*
 * Every allocated section with file bytes: the address maps to the same
 * offset through goelf and through the raw PT_LOADs, and for Go's linker that
 * offset is the section's own sh_offset.  .bss has no file bytes.
 */
static void check_addresses(struct fx *fx)
{
	Elf64_Ehdr eh = raw_ehdr(&fx->raw);
	size_t len;
	const uint8_t *base = goelf__data(fx->elf, &len);
	int checked = 0;

	assert_int_equal(len, fx->raw.len);
	assert_memory_equal(base, fx->raw.data, 64);
	for (size_t i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh = raw_shdr(&fx->raw, i);
		uint64_t off = ~0ULL, raw_off;

		if (!(sh.sh_flags & SHF_ALLOC) || !sh.sh_size || !sh.sh_addr)
			continue;
		/* TLS templates overlap other sections' addresses */
		if (sh.sh_flags & SHF_TLS)
			continue;
		if (sh.sh_type == SHT_NOBITS) {
			/* past p_filesz of its segment: no file bytes */
			assert_false(raw_v2o(&fx->raw, sh.sh_addr + sh.sh_size - 1, &raw_off));
			assert_null(goelf__vaddr_ptr(fx->elf, sh.sh_addr + sh.sh_size - 1, 1));
			continue;
		}
		assert_true(raw_v2o(&fx->raw, sh.sh_addr, &raw_off));
		assert_int_equal(raw_off, sh.sh_offset);
		assert_int_equal(goelf__vaddr_to_off(fx->elf, sh.sh_addr, &off), 0);
		assert_int_equal(off, raw_off);
		/* last byte too, through the other entry point */
		assert_ptr_equal(goelf__vaddr_ptr(fx->elf, sh.sh_addr, sh.sh_size), base + sh.sh_offset);
		assert_int_equal(goelf__vaddr_to_off(fx->elf, sh.sh_addr + sh.sh_size - 1, &off), 0);
		assert_int_equal(off, sh.sh_offset + sh.sh_size - 1);
		checked++;
	}
	assert_true(checked >= 6);

	/* an address below every segment and one in no segment at all */
	assert_int_equal(goelf__vaddr_to_off(fx->elf, 0x1000, &(uint64_t){ 0 }), -ENOENT);
	assert_null(goelf__vaddr_ptr(fx->elf, 0x1000, 1));
	assert_null(goelf__vaddr_ptr(fx->elf, UINT64_MAX - 3, 8));

	/* ranges that run off the end of a segment's file bytes */
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = raw_phdr(&fx->raw, i);

		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		assert_non_null(goelf__vaddr_ptr(fx->elf, ph.p_vaddr + ph.p_filesz - 1, 1));
		/* the next segment may start right there, so only vaddr+filesz-1 .. +1 */
		if (!raw_v2o(&fx->raw, ph.p_vaddr + ph.p_filesz, &(uint64_t){ 0 }))
			assert_null(goelf__vaddr_ptr(fx->elf, ph.p_vaddr + ph.p_filesz - 1, 2));
		assert_null(goelf__vaddr_ptr(fx->elf, ph.p_vaddr, UINT64_MAX));
	}

	/* file_ptr bounds */
	assert_ptr_equal(goelf__file_ptr(fx->elf, 0, len), base);
	assert_ptr_equal(goelf__file_ptr(fx->elf, len - 1, 1), base + len - 1);
	assert_null(goelf__file_ptr(fx->elf, len - 1, 2));
	assert_null(goelf__file_ptr(fx->elf, len + 1, 0));
	assert_null(goelf__file_ptr(fx->elf, 1, UINT64_MAX));
	assert_null(goelf__file_ptr(fx->elf, UINT64_MAX, 2));
}

static void check_identity(struct fx *fx)
{
	Elf64_Ehdr eh = raw_ehdr(&fx->raw);
	const struct goelf_section *bi = goelf__section_by_name(fx->elf, ".go.buildinfo");
	const uint8_t *p;

	assert_int_equal(goelf__is_pie(fx->elf), eh.e_type == ET_DYN);
	assert_int_equal(goelf__is_pie(fx->elf), !strcmp(fx->variant, "pie-stripped"));
	assert_string_equal(goelf__arch_name(fx->elf), "x86-64");
	assert_string_equal(goelf__path(fx->elf), fx->path);
	assert_int_equal(goelf__is_dynamic(fx->elf), raw_has_interp(&fx->raw));
	/* cgo builds are linked by the system linker against libc */
	if (!strcmp(fx->variant, "cgo"))
		assert_true(goelf__is_dynamic(fx->elf));
	if (!strcmp(fx->variant, "plain"))
		assert_false(goelf__is_dynamic(fx->elf));

	assert_non_null(bi);
	p = goelf__vaddr_ptr(fx->elf, bi->addr, 16);
	assert_non_null(p);
	assert_memory_equal(p, "\xff Go buildinf:", 14);
}

static void check_symbols(struct fx *fx)
{
	static const char *const names[] = { "runtime.firstmoduledata", "main.main",
					     "runtime.makemap", "runtime.text" };
	uint64_t addr, size, raw;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		bool present = raw_symbol(&fx->raw, names[i], &raw);
		int ret = goelf__symbol(fx->elf, names[i], &addr, &size);

		if (!strcmp(fx->variant, "pie-stripped")) {
			assert_false(present);
			assert_int_equal(ret, -ENOENT);
			continue;
		}
		if (!present)
			fail_msg("%s: raw scan found no %s", fx->path, names[i]);
		assert_int_equal(ret, 0);
		assert_int_equal(addr, raw);
	}
	if (strcmp(fx->variant, "pie-stripped")) {
		assert_int_equal(goelf__symbol(fx->elf, "main.main", &addr, &size), 0);
		assert_true(size > 0);
		assert_true(goelf__has_symbol_prefix(fx->elf, "runtime."));
		assert_true(goelf__has_symbol_prefix(fx->elf, "main.mai"));
	} else {
		assert_false(goelf__has_symbol_prefix(fx->elf, "runtime."));
	}
	/* a prefix of a name is not the name */
	assert_int_equal(goelf__symbol(fx->elf, "main.mai", &addr, &size), -ENOENT);
	assert_int_equal(goelf__symbol(fx->elf, "no.such.symbol", &addr, &size), -ENOENT);
	assert_false(goelf__has_symbol_prefix(fx->elf, "no.such.prefix"));
}

/* state: index into the toolchain x variant matrix */
static void test_matrix_one(void **state)
{
	size_t i = *(size_t *)*state;
	struct fx fx;

	fx_open(&fx, gm_toolchains[i / N_VAR], variants[i % N_VAR]);
	check_sections(&fx);
	check_segments(&fx);
	check_addresses(&fx);
	check_identity(&fx);
	check_symbols(&fx);
	fx_close(&fx);
}

/* The first RELATIVE relocation of the image whose site is file-backed. */
static bool first_relative(const struct blob *b, uint64_t *where, uint64_t *addend)
{
	Elf64_Ehdr eh = raw_ehdr(b);

	for (size_t i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh = raw_shdr(b, i);

		if (sh.sh_type != SHT_RELA)
			continue;
		for (size_t j = 0; j < sh.sh_size / sizeof(Elf64_Rela); j++) {
			Elf64_Rela r;
			uint64_t off;

			memcpy(&r, b->data + sh.sh_offset + j * sizeof(r), sizeof(r));
			if (ELF64_R_TYPE(r.r_info) == R_X86_64_RELATIVE &&
			    raw_v2o(b, r.r_offset, &off) && off + 8 <= b->len) {
				*where = r.r_offset;
				*addend = (uint64_t)r.r_addend;
				return true;
			}
		}
	}
	return false;
}

static bool raw_is_reloc_site(const struct blob *b, uint64_t vaddr)
{
	Elf64_Ehdr eh = raw_ehdr(b);

	for (size_t i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh = raw_shdr(b, i);

		if (sh.sh_type != SHT_RELA)
			continue;
		for (size_t j = 0; j < sh.sh_size / sizeof(Elf64_Rela); j++) {
			Elf64_Rela r;

			memcpy(&r, b->data + sh.sh_offset + j * sizeof(r), sizeof(r));
			if (r.r_offset == vaddr)
				return true;
		}
	}
	return false;
}

/*
 * Go's internal linker also stores the addend at the site, so a PIE read
 * would look right even if the relocation were ignored.  Zero the site in a
 * copy, as an external linker using pure RELA may leave it, and goelf must
 * still produce the addend, while a plain read gives the zeros.
 */
static void test_pie_relocation(void **state)
{
	(void)state;
	for (size_t t = 0; t < N_TC; t++) {
		char path[512];
		struct blob b;
		struct gm_err err = { { 0 } };
		struct goelf *elf;
		uint64_t where = 0, addend = 0, val = 0, off, site;

		fixture_path(path, sizeof(path), gm_toolchains[t], "pie-stripped", "maps");
		b = slurp(path);
		if (!first_relative(&b, &where, &addend))
			fail_msg("%s: no file-backed R_X86_64_RELATIVE relocation", path);
		assert_true(raw_v2o(&b, where, &off));

		elf = goelf__open_mem(b.data, b.len, &err);
		if (!elf)
			fail_msg("%s: %s", path, err.msg);
		assert_int_equal(goelf__read_ptr(elf, where, &val), 0);
		assert_int_equal(val, addend);
		goelf__free(elf);

		memset(b.data + off, 0, 8);
		elf = goelf__open_mem(b.data, b.len, &err);
		assert_non_null(elf);
		assert_memory_equal(goelf__vaddr_ptr(elf, where, 8), "\0\0\0\0\0\0\0\0", 8);
		assert_int_equal(goelf__read_ptr(elf, where, &val), 0);
		assert_int_equal(val, addend);
		/* an unrelocated word nearby reads as the file's own bytes */
		for (site = where + 8; site < where + 4096; site += 8) {
			uint64_t got = 0;

			if (raw_is_reloc_site(&b, site) || !raw_v2o(&b, site, &off) || off + 8 > b.len)
				continue;
			memset(b.data + off, 0xa5, 8);
			assert_int_equal(goelf__read_ptr(elf, site, &got), 0);
			assert_int_equal(got, 0xa5a5a5a5a5a5a5a5ULL);
			break;
		}
		assert_true(site < where + 4096);
		assert_int_equal(goelf__read_ptr(elf, 0x10, &val), -EFAULT);
		goelf__free(elf);
		free(b.data);
	}
}

/* In a non-PIE binary read_ptr is a plain little-endian load. */
static void test_read_ptr_exec(void **state)
{
	char path[512];
	struct gm_err err = { { 0 } };
	struct goelf *elf;
	uint64_t md, val, off, raw;
	struct blob b;

	(void)state;
	fixture_path(path, sizeof(path), "go1.26", "plain", "maps");
	b = slurp(path);
	elf = goelf__open_mem(b.data, b.len, &err);
	assert_non_null(elf);
	/* moduledata.pcHeader, the first word, points at the pclntab */
	assert_true(raw_symbol(&b, "runtime.firstmoduledata", &md));
	assert_true(raw_v2o(&b, md, &off));
	memcpy(&raw, b.data + off, 8);
	assert_int_equal(goelf__read_ptr(elf, md, &val), 0);
	assert_int_equal(val, raw);
	assert_int_equal(val, goelf__section_by_name(elf, ".gopclntab")->addr);
	goelf__free(elf);
	free(b.data);
}

/* --- bad input ------------------------------------------------------------ */

/* A minimal valid image: header, one PT_LOAD, null + .shstrtab sections. */
#define MINI_LEN 512
static void mini_elf(uint8_t *buf)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	Elf64_Shdr sh[2] = { { 0 } };
	static const char names[] = "\0.shstrtab";

	memset(buf, 0, MINI_LEN);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	eh.e_shoff = 256;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 2;
	eh.e_shstrndx = 1;
	eh.e_ehsize = sizeof(eh);
	memcpy(buf, &eh, sizeof(eh));

	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R;
	ph.p_offset = 0;
	ph.p_vaddr = 0x400000;
	ph.p_filesz = MINI_LEN;
	ph.p_memsz = MINI_LEN;
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));

	sh[1].sh_name = 1;
	sh[1].sh_type = SHT_STRTAB;
	sh[1].sh_offset = 200;
	sh[1].sh_size = sizeof(names);
	memcpy(buf + 200, names, sizeof(names));
	memcpy(buf + 256, sh, sizeof(sh));
}

static void ehdr_patch(uint8_t *buf, size_t off, const void *val, size_t n)
{
	memcpy(buf + off, val, n);
}

#define SET16(buf, field, v) do { uint16_t v_ = (v); ehdr_patch(buf, offsetof(Elf64_Ehdr, field), &v_, 2); } while (0)
#define SET64(buf, field, v) do { uint64_t v_ = (v); ehdr_patch(buf, offsetof(Elf64_Ehdr, field), &v_, 8); } while (0)
#define PH0 sizeof(Elf64_Ehdr)
#define SH1 (256 + sizeof(Elf64_Shdr))

/* The code a reason comes with (gm_err.h): what the daemon counts it as */
static int reject_code(const char *why)
{
	static const char *const arch[] = { "32-bit", "big-endian", "aarch64", "unsupported architecture" };
	size_t i;

	if (strstr(why, "not an ELF") || strstr(why, "not an executable"))
		return GM_ENOTGO;
	for (i = 0; i < sizeof(arch) / sizeof(arch[0]); i++)
		if (strstr(why, arch[i]))
			return GM_EARCH;
	return GM_EMALFORMED;
}

static void expect_reject(const uint8_t *buf, size_t len, const char *why, const char *what)
{
	struct gm_err err = { { 0 } };
	struct goelf *elf;
	/* a heap copy of exactly len bytes, so ASan sees any over-read */
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, buf, len);
	elf = goelf__open_mem(copy, len, &err);
	if (elf)
		fail_msg("%s: accepted, expected \"%s\"", what, why);
	if (!strstr(err.msg, why))
		fail_msg("%s: reason \"%s\", expected it to contain \"%s\"", what, err.msg, why);
	/* the constructor leaves the code in errno too */
	if (err.code != reject_code(why) || errno != err.code)
		fail_msg("%s: code %d (errno %d), expected %d", what, err.code, errno, reject_code(why));
	free(copy);
}

static void test_mini_elf_accepted(void **state)
{
	uint8_t buf[MINI_LEN];
	struct gm_err err = { { 0 } };
	struct goelf *elf;

	(void)state;
	mini_elf(buf);
	elf = goelf__open_mem(buf, sizeof(buf), &err);
	if (!elf)
		fail_msg("the base image of the bad-header tests is refused: %s", err.msg);
	assert_int_equal(goelf__section_cnt(elf), 2);
	assert_string_equal(goelf__section(elf, 1)->name, ".shstrtab");
	assert_string_equal(goelf__path(elf), "<memory>");
	assert_false(goelf__has_symtab(elf));
	assert_int_equal(goelf__vaddr_to_off(elf, 0x400010, &(uint64_t){ 0 }), 0);
	goelf__free(elf);
}

/* One change to the minimal image (or a raw buffer instead of it) and the reason it must get. */
struct bad_header {
	const char *name;
	const char *why;
	void (*patch)(uint8_t *buf);
	size_t len;		/* bytes handed over; 0: MINI_LEN */
	const char *raw;	/* instead of the image: these len bytes */
};

static Elf64_Phdr *ph0(uint8_t *buf, Elf64_Phdr *ph)
{
	memcpy(ph, buf + PH0, sizeof(*ph));
	return ph;
}

static Elf64_Shdr *sh1(uint8_t *buf, Elf64_Shdr *sh)
{
	memcpy(sh, buf + SH1, sizeof(*sh));
	return sh;
}

static void b_class32(uint8_t *buf) { buf[EI_CLASS] = ELFCLASS32; }
static void b_msb(uint8_t *buf) { buf[EI_DATA] = ELFDATA2MSB; }
static void b_arm64(uint8_t *buf) { SET16(buf, e_machine, EM_AARCH64); }
static void b_ppc64(uint8_t *buf) { SET16(buf, e_machine, EM_PPC64); }
static void b_rel(uint8_t *buf) { SET16(buf, e_type, ET_REL); }
static void b_core(uint8_t *buf) { SET16(buf, e_type, ET_CORE); }
static void b_phentsize(uint8_t *buf) { SET16(buf, e_phentsize, 32); }
static void b_phnum(uint8_t *buf) { SET16(buf, e_phnum, 0xffff); }
static void b_phoff_end(uint8_t *buf) { SET64(buf, e_phoff, MINI_LEN - 8); }
static void b_phoff_wrap(uint8_t *buf) { SET64(buf, e_phoff, UINT64_MAX - 8); }
static void b_load_long(uint8_t *buf)
{
	Elf64_Phdr ph;

	ph0(buf, &ph)->p_filesz = MINI_LEN + 1;
	memcpy(buf + PH0, &ph, sizeof(ph));
}
static void b_load_off_wrap(uint8_t *buf)
{
	Elf64_Phdr ph;

	ph0(buf, &ph)->p_offset = UINT64_MAX;
	ph.p_filesz = 2;
	memcpy(buf + PH0, &ph, sizeof(ph));
}
static void b_load_vaddr_wrap(uint8_t *buf)
{
	Elf64_Phdr ph;

	ph0(buf, &ph)->p_vaddr = UINT64_MAX - 16;
	memcpy(buf + PH0, &ph, sizeof(ph));
}
static void b_shnum0(uint8_t *buf) { SET16(buf, e_shnum, 0); }
static void b_shentsize(uint8_t *buf) { SET16(buf, e_shentsize, 40); }
static void b_shnum_max(uint8_t *buf) { SET16(buf, e_shnum, 0xffff); }
static void b_shoff_end(uint8_t *buf) { SET64(buf, e_shoff, MINI_LEN - 64); }
static void b_shstrndx(uint8_t *buf) { SET16(buf, e_shstrndx, 2); }
static void b_sec_long(uint8_t *buf)
{
	Elf64_Shdr sh;

	sh1(buf, &sh)->sh_size = MINI_LEN;
	memcpy(buf + SH1, &sh, sizeof(sh));
}
static void b_sec_off_wrap(uint8_t *buf)
{
	Elf64_Shdr sh;

	sh1(buf, &sh)->sh_offset = UINT64_MAX - 4;
	memcpy(buf + SH1, &sh, sizeof(sh));
}
static void b_shstrtab_progbits(uint8_t *buf)
{
	Elf64_Shdr sh;

	sh1(buf, &sh)->sh_type = SHT_PROGBITS;
	memcpy(buf + SH1, &sh, sizeof(sh));
}

static const struct bad_header bad_headers[] = {
	{ "shell script", "not an ELF", .raw = "#!/bin/sh\necho hi\n", .len = 18 },
	{ "empty buffer", "not an ELF", .raw = "", .len = 0 },
	{ "3 bytes of magic", "not an ELF", .raw = "\x7f" "EL", .len = 3 },
	{ "ELFCLASS32", "32-bit", b_class32 },
	{ "ELFDATA2MSB", "big-endian", b_msb },
	{ "header cut at 40 bytes", "truncated ELF header", NULL, 40 },
	{ "arm64 binary", "aarch64", b_arm64 },
	{ "ppc64 binary", "unsupported architecture", b_ppc64 },
	{ "object file", "not an executable", b_rel },
	{ "core file", "not an executable", b_core },
	{ "phentsize 32", "program header entry size", b_phentsize },
	{ "phnum 65535", "too many program headers", b_phnum },
	{ "phoff near the end", "program headers past end", b_phoff_end },
	{ "phoff wrapping", "program headers past end", b_phoff_wrap },
	{ "PT_LOAD one byte too long", "past end of file", b_load_long },
	{ "PT_LOAD offset wrapping", "past end of file", b_load_off_wrap },
	{ "PT_LOAD wrapping the address space", "wraps", b_load_vaddr_wrap },
	{ "shnum 0", "no section headers", b_shnum0 },
	{ "shentsize 40", "section header entry size", b_shentsize },
	{ "shnum 65535", "too many sections", b_shnum_max },
	{ "shoff near the end", "section headers past end", b_shoff_end },
	{ "shstrndx == shnum", "out of range", b_shstrndx },
	{ "section running off the end", "section 1 past end", b_sec_long },
	{ "section offset wrapping", "section 1 past end", b_sec_off_wrap },
	{ "shstrtab of type PROGBITS", "not a string table", b_shstrtab_progbits },
};

static void test_bad_headers(void **state)
{
	const struct bad_header *c = CASE(struct bad_header, state);
	uint8_t buf[MINI_LEN];

	if (c->raw) {
		expect_reject((const uint8_t *)c->raw, c->len, c->why, c->name);
		return;
	}
	mini_elf(buf);
	if (c->patch)
		c->patch(buf);
	expect_reject(buf, c->len ? c->len : sizeof(buf), c->why, c->name);
}

/* Names that point outside the string table are empty, never wild reads. */
static void test_bad_names_are_empty(void **state)
{
	uint8_t buf[MINI_LEN];
	struct gm_err err = { { 0 } };
	struct goelf *elf;
	Elf64_Shdr sh;

	(void)state;
	mini_elf(buf);
	memcpy(&sh, buf + SH1, sizeof(sh));
	sh.sh_name = 0x7fffffff;
	memcpy(buf + SH1, &sh, sizeof(sh));
	elf = goelf__open_mem(buf, sizeof(buf), &err);
	assert_non_null(elf);
	assert_string_equal(goelf__section(elf, 1)->name, "");
	goelf__free(elf);

	/* a name without its NUL: the table ends inside ".shstrtab" */
	mini_elf(buf);
	memcpy(&sh, buf + SH1, sizeof(sh));
	sh.sh_size = 5;
	memcpy(buf + SH1, &sh, sizeof(sh));
	elf = goelf__open_mem(buf, sizeof(buf), &err);
	assert_non_null(elf);
	assert_string_equal(goelf__section(elf, 1)->name, "");
	goelf__free(elf);
}

/* A real binary cut short at the places a truncated download would stop. */
static void test_truncated_fixture(void **state)
{
	char path[512];
	struct blob b;
	Elf64_Ehdr eh;

	(void)state;
	fixture_path(path, sizeof(path), "go1.22", "plain", "maps");
	b = slurp(path);
	eh = raw_ehdr(&b);
	expect_reject(b.data, 0, "not an ELF", "cut at 0");
	expect_reject(b.data, 10, "not an ELF", "cut inside e_ident");
	expect_reject(b.data, 30, "truncated ELF header", "cut inside the ELF header");
	expect_reject(b.data, eh.e_phoff + sizeof(Elf64_Phdr) + 10,
		      "program headers past end", "cut inside the program headers");
	expect_reject(b.data, b.len / 2, "past end of file", "cut at half");
	/* Go puts the section headers near the start; cutting off only the last byte
	 * leaves a segment or a section short. */
	expect_reject(b.data, b.len - 1, "past end of file", "cut by one byte");
	free(b.data);
}

static void test_open_errors(void **state)
{
	struct gm_err err = { { 0 } };
	char path[] = "/tmp/test_goelf.XXXXXX";
	int fd;

	(void)state;
	assert_null(goelf__open("/nonexistent/gomaptrace-test", &err));
	assert_non_null(strstr(err.msg, "cannot open"));
	assert_non_null(strstr(err.msg, "No such file"));
	memset(&err, 0, sizeof(err));
	assert_null(goelf__open("/tmp", &err));
	assert_non_null(strstr(err.msg, "not a regular file"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(&err, 0, sizeof(err));
	assert_null(goelf__open(path, &err));
	assert_non_null(strstr(err.msg, "empty file"));
	assert_int_equal(write(fd, "hello\n", 6), 6);
	memset(&err, 0, sizeof(err));
	assert_null(goelf__open(path, &err));
	assert_non_null(strstr(err.msg, "not an ELF"));
	close(fd);
	unlink(path);
	/* a NULL err is allowed */
	assert_null(goelf__open("/nonexistent/gomaptrace-test", NULL));
	goelf__free(NULL);
}

int main(void)
{
	/* one named test per fixture, so a failure says which build broke */
	static char names[N_TC * N_VAR][64];
	static size_t idx[N_TC * N_VAR];
	struct suite s = {};

	for (size_t i = 0; i < N_TC * N_VAR; i++) {
		idx[i] = i;
		snprintf(names[i], sizeof(names[i]), "matrix %s/%s", gm_toolchains[i / N_VAR],
			 variants[i % N_VAR]);
		suite_add(&s, names[i], test_matrix_one, &idx[i], NULL, NULL);
	}
	suite_test(&s, test_pie_relocation);
	suite_test(&s, test_read_ptr_exec);
	suite_test(&s, test_mini_elf_accepted);
	suite_rows(&s, test_bad_headers, bad_headers);
	suite_test(&s, test_bad_names_are_empty);
	suite_test(&s, test_truncated_fixture);
	suite_test(&s, test_open_errors);
	return suite_run(&s, "goelf");
}
