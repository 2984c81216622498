/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * holder_types: the Go type descriptors of a running target, as the holder
 * search (holder.h) needs them — what a type is (kind, size, element,
 * struct fields), what it is called, which struct fields of the binary
 * have a given type, the pointer type *S of a struct S, and how a map type
 * lays out its slots.
 *
 * Contract:
 * - Every read of target memory goes through a struct hread (a struct
 *   gomap_mem: process_vm_readv, or a synthetic address space in tests and
 *   the fuzz target) and is counted in hread.bytes; nothing is written.
 * - Nothing read is trusted: sizes are bounded by GOMAP_MAX_BYTES, struct
 *   fields by HT_MAX_STRUCT_FIELDS a struct and HT_MAX_INDEXED_FIELDS in
 *   all, names by 64 printable bytes, the types range by
 *   HOLDER_MAX_TYPES_BYTES, a scalar, string, slice, interface or
 *   pointer type's size by its kind; a descriptor that breaks a bound is unknown
 *   (NULL, false, 0), never a crash.  Fuzzed by tests/fuzz/fuzz_holder.c.
 * - The types range is read once per struct htypes, when first needed (a
 *   field index or a name); results are cached there until htypes__fini().
 * - Addresses are the target's run-time addresses; names are asked of the
 *   binary at the link-time address (run-time minus bias).
 */
#ifndef HOLDER_TYPES_H
#define HOLDER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include "gobin.h"
#include "gomap.h"
#include "u64map.h"

#define HT_MAX_STRUCT_FIELDS	4096u		/* fields of one struct type */
#define HT_MAX_INDEXED_FIELDS	(1u << 20)	/* fields in the by-type index */

/* abi.Kind */
enum {
	K_BOOL = 1, K_INT, K_INT8, K_INT16, K_INT32, K_INT64, K_UINT, K_UINT8, K_UINT16,
	K_UINT32, K_UINT64, K_UINTPTR, K_FLOAT32, K_FLOAT64, K_COMPLEX64, K_COMPLEX128,
	K_ARRAY, K_CHAN, K_FUNC, K_INTERFACE, K_MAP, K_POINTER, K_SLICE, K_STRING, K_STRUCT,
	K_UNSAFEPOINTER,
};

/* Reads of one target, counted. */
struct hread {
	const struct gomap_mem *mem;
	pid_t pid;
	uint64_t bytes;		/* bytes read so far */
	bool gone;		/* -ESRCH seen: the process exited */
};

/* 0, -EFAULT (unreadable, or outside the 47-bit user space), -ESRCH. */
int hread__read(struct hread *r, uint64_t addr, void *buf, size_t len);
uint64_t hread__u64(struct hread *r, uint64_t addr, bool *ok);

static inline uint64_t ht_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* One type descriptor, decoded (abi.Type and the kind's own fields). */
struct htinfo {
	uint64_t addr;		/* run-time address */
	uint64_t size;
	uint8_t kind;
	uint64_t elem;		/* pointer/slice/array/chan/map elem; 0 none */
	uint64_t fields, nfields;	/* struct: []StructField */
	uint64_t imethods;	/* interface: method count */
	bool ok;
};

/* A struct field of the binary, from the index by field type. */
struct hfield {
	uint64_t stype;		/* the struct type holding it */
	uint64_t off;		/* byte offset */
	uint64_t name;		/* its abi.Name */
};

/* A map type's slot layout (abi.MapType, OldMapType / SwissMapType). */
struct hmtype {
	uint64_t key, elem;	/* run-time type addresses */
	uint64_t keysize, elemsize, groupsize;	/* bytes in a slot (8 when indirect), group/bucket */
	/* Swiss: key(i) = keysoff + i * keystride, elem(i) = elemsoff + i * elemstride */
	uint64_t keysoff, keystride, elemsoff, elemstride;
	uint64_t slotsize, elemoff;	/* Swiss before 1.27 */
	bool ikey, ielem;	/* stored indirectly (a pointer in the slot) */
	bool ok;
};

struct htypes {
	/* set by the caller before first use */
	struct hread *rd;
	uint32_t impl;			/* GM_MAP_CLASSIC | GM_MAP_SWISS */
	const struct gm_layout *lay;	/* map header offsets (holder_slots) */
	bool offset_embed;		/* Go <= 1.18: StructField.offsetEmbed = offset << 1 | embedded */
	bool split_groups;		/* Go 1.27+: MapType KeysOff/KeyStride/ElemsOff/ElemStride */
	uint64_t types_lo, types_len;	/* [types, etypes) at run time; 0: unknown */
	const struct gobin *bin;	/* names; NULL: every name "?" */
	uint64_t bias;
	/* private: caches */
	struct u64map info;		/* addr -> struct htinfo * */
	uint8_t *buf;			/* the types range, read once */
	bool buf_tried, indexed;
	struct u64map by_type;		/* field type -> struct hfield_list * */
	struct u64map ptr_to;		/* struct type -> its pointer type */
	struct u64map closure;		/* struct type -> 1 not a closure, 2 a closure */
	struct u64map maps_by_elem;	/* value type -> map types with it */
	bool maps_listed;
	uint64_t indexed_fields, structs;
};

/* Zero and set the caller's part; the caches start empty. */
void htypes__init(struct htypes *ht, struct hread *rd, const struct gm_layout *lay);
void htypes__fini(struct htypes *ht);
/* Bytes held by the caches (for the search's peak-memory figure). */
uint64_t htypes__held(const struct htypes *ht);

/* A StructField's offset word as a byte offset. */
uint64_t htypes__field_off(const struct htypes *ht, uint64_t raw);
/* The descriptor at addr, or NULL when it cannot be read or breaks a bound. */
const struct htinfo *htypes__info(struct htypes *ht, uint64_t addr);
/* Go's name of the type at addr into buf, "?" when unknown. */
const char *htypes__name(struct htypes *ht, uint64_t addr, char *buf, size_t len);
/* An abi.Name (flags byte, uvarint length, bytes): 1..64 printable bytes, else false. */
bool htypes__read_name(struct htypes *ht, uint64_t name, char *buf, size_t len);
/* Field i of struct ti: its name, type and byte offset. */
bool htypes__struct_field(struct htypes *ht, const struct htinfo *ti, uint64_t i, uint64_t *name,
			  uint64_t *typ, uint64_t *off);

/*
 * Every struct field of the binary whose type is typ (the struct types
 * are found in the types range: a struct kind, a field array inside the
 * range, as long as its capacity, offsets in order within the size, field
 * types inside the range).  The index is built on first use.  Returns the
 * count, *out the fields (valid until htypes__fini).
 */
size_t htypes__fields_of(struct htypes *ht, uint64_t typ, const struct hfield **out);
/* The pointer type *S of struct type s, 0 when the binary has none. */
uint64_t htypes__ptr_to(struct htypes *ht, uint64_t s);
/*
 * A struct field of type typ at byte offset off: its struct type and its
 * name ("byID").  The first such field of the index when several are.
 */
bool htypes__field_at(struct htypes *ht, uint64_t typ, uint64_t off, uint64_t *stype, char *fname,
		      size_t flen);

/*
 * Can len bytes b (read at the start of a supposed object of struct type
 * ti) be one?  Its map and chan fields nil or 8-aligned and plausible, its
 * pointer and func fields nil or plausible, its strings and slices nil
 * with length 0 or with plausible data (plausible(ctx, v): v can be a
 * pointer of the process).  Fields past len are not checked.
 */
bool htypes__object_ok(struct htypes *ht, const struct htinfo *ti, const uint8_t *b, size_t len,
		       bool (*plausible)(void *ctx, uint64_t v), void *ctx);
/* Struct type s is a closure's context or a method value (first field "F uintptr"). */
bool htypes__is_closure(struct htypes *ht, uint64_t s);
/*
 * The map types of the binary (gotypes' list, needs bin) whose values are
 * of type elem, a pointer or map type; at most 64.  *out valid until
 * htypes__fini.
 */
size_t htypes__maps_of_elem(struct htypes *ht, uint64_t elem, const uint64_t **out);

/* The map type at mt: key/elem types and slot layout, checked against the group size. */
bool htypes__map_type(struct htypes *ht, uint64_t mt, struct hmtype *out);

#endif /* HOLDER_TYPES_H */
