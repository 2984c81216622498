/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * goelf: a read-only, bounds-checked view of an ELF executable.
 *
 * Contract: goelf__open() reads a file into private memory (or
 * goelf__open_mem() borrows a buffer, for fuzzing) and validates the ELF
 * header, program headers and section headers once; afterwards every
 * accessor returns either memory that lies entirely inside the image or
 * NULL/-errno.  Nothing here trusts the file: it comes from an arbitrary
 * container and is read as root.  The file is never mapped, so a file that
 * is truncated or rewritten after the open cannot fault a later read (it
 * was read once, as it was then).  goelf__drop_code() gives the code bytes
 * back once nothing needs them (after the probe plan): accessors then
 * return NULL for them.
 *
 * Only ELF64 little-endian x86-64 is accepted (the only architecture the
 * probes support); other machines are refused with a reason naming them.
 *
 * Virtual addresses are the file's own (link-time) addresses.  In PIE
 * binaries some pointers in data are zero in the file and filled by
 * R_X86_64_RELATIVE relocations at load time; goelf__read_ptr() applies
 * those, so callers can follow pointers in moduledata or buildinfo without
 * caring whether the binary is PIE.
 */
#ifndef GOELF_H
#define GOELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gm_err.h"

struct goelf;

struct goelf_section {
	const char *name;	/* NUL-terminated, inside .shstrtab */
	uint32_t type;		/* SHT_* */
	uint64_t flags;		/* SHF_* */
	uint64_t addr;		/* 0 when not allocated */
	uint64_t offset;	/* file offset; for SHT_NOBITS meaningless */
	uint64_t size;
};

struct goelf_segment {
	uint32_t type;		/* PT_* */
	uint32_t flags;		/* PF_* */
	uint64_t offset, vaddr, filesz, memsz;
};

struct goelf *goelf__open(const char *path, struct gm_err *err);
/* Borrow buf (not copied; must outlive the object). */
struct goelf *goelf__open_mem(const void *buf, size_t len, struct gm_err *err);
void goelf__free(struct goelf *elf);
/* Release the memory of executable sections; reads of them fail afterwards. */
void goelf__drop_code(struct goelf *elf);

const char *goelf__path(const struct goelf *elf);	/* "<memory>" for open_mem */
const uint8_t *goelf__data(const struct goelf *elf, size_t *len);
bool goelf__is_pie(const struct goelf *elf);		/* ET_DYN */
const char *goelf__arch_name(const struct goelf *elf);	/* "x86-64" */

size_t goelf__section_cnt(const struct goelf *elf);
const struct goelf_section *goelf__section(const struct goelf *elf, size_t idx);
const struct goelf_section *goelf__section_by_name(const struct goelf *elf,
						   const char *name);
/* File bytes of a section; NULL for NOBITS or when empty. */
const uint8_t *goelf__section_data(const struct goelf *elf,
				   const struct goelf_section *sec);

size_t goelf__segment_cnt(const struct goelf *elf);
const struct goelf_segment *goelf__segment(const struct goelf *elf, size_t idx);

/* Pointer to [off, off+len) of the file, or NULL when out of bounds. */
const uint8_t *goelf__file_ptr(const struct goelf *elf, uint64_t off, uint64_t len);
/*
 * Map [vaddr, vaddr+len) to file bytes through the PT_LOAD segments.
 * NULL when any byte is outside the file-backed part of one segment.
 */
const uint8_t *goelf__vaddr_ptr(const struct goelf *elf, uint64_t vaddr, uint64_t len);
int goelf__vaddr_to_off(const struct goelf *elf, uint64_t vaddr, uint64_t *off);
/* Read an 8-byte pointer at vaddr, applying a RELATIVE relocation if any. */
int goelf__read_ptr(const struct goelf *elf, uint64_t vaddr, uint64_t *val);

/*
 * Call cb for every 8-aligned word of the writable PT_LOAD segments whose
 * value (relocations applied) equals value, until cb returns true.  How
 * moduledata is found in a stripped binary: its first word points at the
 * pclntab header.  Returns true if cb accepted one.
 */
typedef bool (*goelf_word_cb)(uint64_t vaddr, void *ctx);
bool goelf__find_word(const struct goelf *elf, uint64_t value, goelf_word_cb cb, void *ctx);

/* .symtab lookup (absent in stripped binaries: -ENOENT). */
bool goelf__has_symtab(const struct goelf *elf);
int goelf__symbol(const struct goelf *elf, const char *name,
		  uint64_t *addr, uint64_t *size);
/*
 * The .symtab data object (STT_OBJECT, sized) holding link-time address
 * vaddr, and *off the offset in it; NULL when none does.  The linker's
 * zero-size section markers (runtime.bss, ...) name nothing.
 */
const char *goelf__object_at(const struct goelf *elf, uint64_t vaddr, uint64_t *off);
/* True if some .symtab or .dynsym symbol name starts with prefix. */
bool goelf__has_symbol_prefix(const struct goelf *elf, const char *prefix);
/* True if the binary is dynamically linked (has PT_INTERP or DT_NEEDED). */
bool goelf__is_dynamic(const struct goelf *elf);

#endif /* GOELF_H */
