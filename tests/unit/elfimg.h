/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Tiny in-memory ELF64 x86-64 images for parser tests, and helpers to load
 * and patch fixture binaries.  Header-only so each test binary stays one
 * source file as the Makefile expects.
 *
 * An image is a list of PT_LOAD segments (their bytes), named sections that
 * point into them, and optional R_X86_64_RELATIVE relocations, which is
 * everything goelf needs to serve buildinfo and gotypes the way a real Go
 * binary does, corrupt or not.
 */
#ifndef ELFIMG_H
#define ELFIMG_H

#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELFIMG_MAX_SEGS	4
#define ELFIMG_MAX_SECS	8
#define ELFIMG_MAX_RELS	2048

struct elfimg_seg {
	uint64_t vaddr;
	uint32_t flags;		/* PF_R | PF_W | PF_X */
	uint8_t *data;		/* owned, size bytes, zeroed */
	size_t size;
};

struct elfimg {
	uint16_t type;		/* ET_EXEC or ET_DYN */
	struct elfimg_seg segs[ELFIMG_MAX_SEGS];
	int seg_cnt;
	struct {
		const char *name;
		uint64_t addr, size;
	} secs[ELFIMG_MAX_SECS];
	int sec_cnt;
	Elf64_Rela rels[ELFIMG_MAX_RELS];
	int rel_cnt;
};

static inline void elfimg_init(struct elfimg *img, uint16_t type)
{
	memset(img, 0, sizeof(*img));
	img->type = type;
}

/* Add a zeroed segment; returns its bytes. */
static inline uint8_t *elfimg_seg(struct elfimg *img, uint64_t vaddr, size_t size, uint32_t flags)
{
	struct elfimg_seg *s;

	if (img->seg_cnt == ELFIMG_MAX_SEGS)
		abort();
	s = &img->segs[img->seg_cnt++];

	s->vaddr = vaddr;
	s->size = size;
	s->flags = flags;
	s->data = calloc(1, size);
	return s->data;
}

static inline void elfimg_sec(struct elfimg *img, const char *name, uint64_t addr, uint64_t size)
{
	if (img->sec_cnt == ELFIMG_MAX_SECS)
		abort();
	img->secs[img->sec_cnt].name = name;
	img->secs[img->sec_cnt].addr = addr;
	img->secs[img->sec_cnt].size = size;
	img->sec_cnt++;
}

static inline void elfimg_rel(struct elfimg *img, uint64_t where, uint64_t value)
{
	Elf64_Rela *r;

	if (img->rel_cnt == ELFIMG_MAX_RELS)
		abort();
	r = &img->rels[img->rel_cnt++];

	r->r_offset = where;
	r->r_info = ELF64_R_INFO(0, R_X86_64_RELATIVE);
	r->r_addend = (int64_t)value;
}

/* Bytes at vaddr inside one of the segments (test setup only: aborts if absent). */
static inline uint8_t *elfimg_at(struct elfimg *img, uint64_t vaddr)
{
	int i;

	for (i = 0; i < img->seg_cnt; i++)
		if (vaddr >= img->segs[i].vaddr && vaddr < img->segs[i].vaddr + img->segs[i].size)
			return img->segs[i].data + (vaddr - img->segs[i].vaddr);
	fprintf(stderr, "elfimg: %#llx is in no segment\n", (unsigned long long)vaddr);
	abort();
}

static inline void elfimg_put64(struct elfimg *img, uint64_t vaddr, uint64_t v)
{
	memcpy(elfimg_at(img, vaddr), &v, 8);
}

static inline void elfimg_put32(struct elfimg *img, uint64_t vaddr, uint32_t v)
{
	memcpy(elfimg_at(img, vaddr), &v, 4);
}

/*
 * A pointer slot: the value in the file for ET_EXEC; zero plus a RELATIVE
 * relocation for ET_DYN, the way the Go linker writes PIE.
 */
static inline void elfimg_ptr(struct elfimg *img, uint64_t vaddr, uint64_t v)
{
	if (img->type == ET_DYN) {
		elfimg_put64(img, vaddr, 0);
		elfimg_rel(img, vaddr, v);
	} else {
		elfimg_put64(img, vaddr, v);
	}
}

/*
 * Lay the image out: Ehdr, Phdrs, segment bytes (page-aligned, offset
 * congruent to vaddr), .rela, .shstrtab, Shdrs.  Returns a malloc'd buffer.
 */
static inline uint8_t *elfimg_build(const struct elfimg *img, size_t *len)
{
	uint64_t seg_off[ELFIMG_MAX_SEGS], off, rela_off, str_off, sh_off;
	char strtab[512];
	size_t str_len = 1, name_off[ELFIMG_MAX_SECS + 3];
	int i, nsec = 0, shnum;
	Elf64_Ehdr eh = { 0 };
	uint8_t *buf;

	strtab[0] = '\0';
	off = sizeof(Elf64_Ehdr) + ELFIMG_MAX_SEGS * sizeof(Elf64_Phdr);
	for (i = 0; i < img->seg_cnt; i++) {
		off = (off + 0xfff) & ~0xfffULL;
		off += img->segs[i].vaddr & 0xfff;
		seg_off[i] = off;
		off += img->segs[i].size;
	}
	rela_off = (off + 7) & ~7ULL;
	off = rela_off + img->rel_cnt * sizeof(Elf64_Rela);
	/* names: user sections, .rela.dyn, .shstrtab */
	for (i = 0; i < img->sec_cnt; i++) {
		name_off[i] = str_len;
		str_len += (size_t)snprintf(strtab + str_len, sizeof(strtab) - str_len, "%s",
					    img->secs[i].name) + 1;
	}
	name_off[img->sec_cnt] = str_len;
	str_len += (size_t)snprintf(strtab + str_len, sizeof(strtab) - str_len, ".rela.dyn") + 1;
	name_off[img->sec_cnt + 1] = str_len;
	str_len += (size_t)snprintf(strtab + str_len, sizeof(strtab) - str_len, ".shstrtab") + 1;
	str_off = off;
	off += str_len;
	sh_off = (off + 7) & ~7ULL;
	shnum = 1 + img->sec_cnt + (img->rel_cnt ? 1 : 0) + 1;
	*len = sh_off + (size_t)shnum * sizeof(Elf64_Shdr);
	buf = calloc(1, *len);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = img->type;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_shoff = sh_off;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)img->seg_cnt;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = (uint16_t)shnum;
	eh.e_shstrndx = (uint16_t)(shnum - 1);
	memcpy(buf, &eh, sizeof(eh));

	for (i = 0; i < img->seg_cnt; i++) {
		Elf64_Phdr ph = { 0 };

		ph.p_type = PT_LOAD;
		ph.p_flags = img->segs[i].flags;
		ph.p_offset = seg_off[i];
		ph.p_vaddr = ph.p_paddr = img->segs[i].vaddr;
		ph.p_filesz = ph.p_memsz = img->segs[i].size;
		ph.p_align = 0x1000;
		memcpy(buf + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		memcpy(buf + seg_off[i], img->segs[i].data, img->segs[i].size);
	}
	memcpy(buf + rela_off, img->rels, img->rel_cnt * sizeof(Elf64_Rela));
	memcpy(buf + str_off, strtab, str_len);

	for (i = 0; i < img->sec_cnt; i++) {
		Elf64_Shdr sh = { 0 };
		int s;

		sh.sh_name = (uint32_t)name_off[i];
		sh.sh_type = SHT_PROGBITS;
		sh.sh_flags = SHF_ALLOC;
		sh.sh_addr = img->secs[i].addr;
		sh.sh_size = img->secs[i].size;
		for (s = 0; s < img->seg_cnt; s++)
			if (sh.sh_addr >= img->segs[s].vaddr &&
			    sh.sh_addr < img->segs[s].vaddr + img->segs[s].size)
				sh.sh_offset = seg_off[s] + (sh.sh_addr - img->segs[s].vaddr);
		memcpy(buf + sh_off + (1 + nsec++) * sizeof(sh), &sh, sizeof(sh));
	}
	if (img->rel_cnt) {
		Elf64_Shdr sh = { 0 };

		sh.sh_name = (uint32_t)name_off[img->sec_cnt];
		sh.sh_type = SHT_RELA;
		sh.sh_offset = rela_off;
		sh.sh_size = img->rel_cnt * sizeof(Elf64_Rela);
		sh.sh_entsize = sizeof(Elf64_Rela);
		memcpy(buf + sh_off + (1 + nsec++) * sizeof(sh), &sh, sizeof(sh));
	}
	{
		Elf64_Shdr sh = { 0 };

		sh.sh_name = (uint32_t)name_off[img->sec_cnt + 1];
		sh.sh_type = SHT_STRTAB;
		sh.sh_offset = str_off;
		sh.sh_size = str_len;
		memcpy(buf + sh_off + (1 + nsec++) * sizeof(sh), &sh, sizeof(sh));
	}
	return buf;
}

static inline void elfimg_free(struct elfimg *img)
{
	int i;

	for (i = 0; i < img->seg_cnt; i++)
		free(img->segs[i].data);
}

/* Whole file into a malloc'd buffer; NULL if unreadable. */
static inline uint8_t *elfimg_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

/*
 * Overwrite every NUL-terminated occurrence of `from` (a section or symbol
 * name in a string table) with `to` of the same length, so that lookups by
 * that name miss and the parsers must fall back to their scans.
 */
static inline int elfimg_rename(uint8_t *buf, size_t len, const char *from, const char *to)
{
	size_t n = strlen(from), i;
	int hits = 0;

	if (strlen(to) != n)
		abort();
	for (i = 1; i + n < len; i++) {
		if (buf[i - 1] == '\0' && buf[i + n] == '\0' && !memcmp(buf + i, from, n)) {
			memcpy(buf + i, to, n);
			hits++;
		}
	}
	return hits;
}

#endif /* ELFIMG_H */
