/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gotypes: Go runtime type descriptors of one binary, by name.
 *
 * Contract: gotypes__new() finds the first module's moduledata (by the
 * .symtab symbol runtime.firstmoduledata when present, else by scanning the
 * writable data for a pointer to the pclntab header followed by fields that
 * agree with the pclntab; layouts in moduledata.h), and takes from it the
 * types range and the list of type descriptors the runtime knows: the
 * typelinks offsets up to Go 1.26, the descriptors packed in the first
 * typedesclen bytes of the types range from Go 1.27.  Type names are read from the name blob at types + Str,
 * honouring TFlag ExtraStar.  Borrowed goelf/pclntab must outlive it.
 * Addresses are link-time virtual addresses: for a running PIE process,
 * subtract the load bias before asking.
 */
#ifndef GOTYPES_H
#define GOTYPES_H

#include <stdbool.h>
#include <stdint.h>
#include "goelf.h"
#include "pclntab.h"
#include "buildinfo.h"

struct gotypes;

struct gotypes *gotypes__new(const struct goelf *elf, const struct pclntab *tab,
			     const struct go_buildinfo *bi, struct gm_err *err);
void gotypes__free(struct gotypes *types);
/*
 * As gotypes__new, given the pclntab header address and format
 * (pclntab__format(); 0 if unknown) directly: for fuzzing and for tests
 * that build their own images.
 */
struct gotypes *gotypes__new_at(const struct goelf *elf, uint64_t pcheader, int pcln_format,
				const struct go_buildinfo *bi, struct gm_err *err);

uint64_t gotypes__types_start(const struct gotypes *types);	/* moduledata.types */
uint64_t gotypes__types_end(const struct gotypes *types);	/* moduledata.etypes */
uint64_t gotypes__moduledata_addr(const struct gotypes *types);
/* Which moduledata layout matched: "go1.18-1.19", "go1.20-1.25", "go1.26", ... */
const char *gotypes__layout(const struct gotypes *types);
/* Entries of typelinks (to 1.26), or descriptors listed (1.27+). */
size_t gotypes__typelink_cnt(const struct gotypes *types);

/*
 * Name of the type descriptor at vaddr ("map[string]*main.Session"), which
 * must lie within [types, etypes).  Returns the name's full length and
 * copies what fits (NUL-terminated, like snprintf), or -errno.
 */
int gotypes__name(const struct gotypes *types, uint64_t type_addr, char *buf, size_t len);
/* Kind (abi.Kind, low 5 bits) of the type at vaddr, or -errno. */
int gotypes__kind(const struct gotypes *types, uint64_t type_addr);

/*
 * Every map type listed (typelinks, or the 1.27+ descriptor list), in table
 * order; cb returns non-zero to stop, and that value is returned.  A 1.27+
 * list that runs into a descriptor that cannot be real ends with -EBADMSG
 * after the map types before it.
 */
typedef int (*gotypes_map_cb)(uint64_t type_addr, const char *name, void *ctx);
int gotypes__for_each_map_type(const struct gotypes *types, gotypes_map_cb cb, void *ctx);

/*
 * The runtime self-check: is this binary's type data read right by the
 * newest known layouts?  Every Go binary links the runtime's own
 * map[int32]unsafe.Pointer (reflectOffs.m, runtime/runtime1.go).  It must
 * be listed; its Key and Elem pointers (abi.Type + 0, + 8) must lead to
 * descriptors named "int32" and "unsafe.Pointer" of the right kind and
 * size; and its Group/Bucket pointer (+ 16) to a struct whose Size_ equals
 * the group size field the probes read (bucketsize_off, 2 or 8 bytes).
 * That pins the moduledata layout, the descriptor list, abi.Type's size,
 * kind and name fields, the name encoding and the map type's fields at
 * once.  Returns 0 and what was seen, or -EBADMSG and why it failed, in
 * detail (one line, no trailing period).
 */
#define GOTYPES_SELFCHECK_TYPE "map[int32]unsafe.Pointer"
int gotypes__self_check(const struct gotypes *types, uint16_t bucketsize_off,
			uint8_t bucketsize_size, char *detail, size_t len);

#endif /* GOTYPES_H */
