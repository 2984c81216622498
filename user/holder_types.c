// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * holder_types: the target's type descriptors for the holder search.  See
 * holder_types.h.
 *
 * The by-type field index is what lets the search walk backwards through
 * the heap: a word equal to a map's address, found at address A, lies in
 * an object of struct type S at A - off when S has a field of the map's
 * type at offset off; a word equal to that object's address lies in an
 * object with a field of type *S; and so on.  Every struct type of the
 * binary is in the types range (named or not), each with its field array
 * (abi.StructType: Type, PkgPath, Fields; abi.StructField: Name, Typ,
 * Offset), so the index is one pass over that range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gotypes.h"
#include "holder.h"
#include "holder_types.h"

#define TYPE_HDR	48	/* sizeof(abi.Type) */
#define STRUCT_HDR	80	/* abi.StructType up to the end of Fields */
#define FIELD_SIZE	24	/* abi.StructField */

struct hfield_list {
	size_t n, cap;
	struct hfield f[];
};

int hread__read(struct hread *r, uint64_t addr, void *buf, size_t len)
{
	int ret;

	if (!addr || addr + len < addr || addr + len > GOMAP_MAX_BYTES)
		return -EFAULT;
	if (!len)
		return 0;
	ret = r->mem->read(r->mem->ctx, r->pid, addr, buf, len);
	if (ret == -ESRCH)
		r->gone = true;
	if (!ret)
		r->bytes += len;
	return ret;
}

uint64_t hread__u64(struct hread *r, uint64_t addr, bool *ok)
{
	uint64_t v = 0;

	*ok = !hread__read(r, addr, &v, 8);
	return v;
}

void htypes__init(struct htypes *ht, struct hread *rd, const struct gm_layout *lay)
{
	memset(ht, 0, sizeof(*ht));
	ht->rd = rd;
	ht->lay = lay;
	ht->impl = lay ? lay->impl : 0;
	u64map__init(&ht->info);
	u64map__init(&ht->by_type);
	u64map__init(&ht->ptr_to);
	u64map__init(&ht->closure);
	u64map__init(&ht->maps_by_elem);
}

void htypes__fini(struct htypes *ht)
{
	size_t it = 0;
	uint64_t k;
	void *v;

	while (u64map__next(&ht->info, &it, &k, &v))
		free(v);
	it = 0;
	while (u64map__next(&ht->by_type, &it, &k, &v))
		free(v);
	it = 0;
	while (u64map__next(&ht->maps_by_elem, &it, &k, &v))
		free(v);
	u64map__fini(&ht->closure);
	u64map__fini(&ht->maps_by_elem);
	u64map__fini(&ht->info);
	u64map__fini(&ht->by_type);
	u64map__fini(&ht->ptr_to);
	free(ht->buf);
	ht->buf = NULL;
}

uint64_t htypes__held(const struct htypes *ht)
{
	return (ht->buf ? ht->types_len : 0) + ht->info.cnt * (sizeof(struct htinfo) + 32) +
	       ht->indexed_fields * sizeof(struct hfield) + (ht->by_type.cap + ht->ptr_to.cap) * 16;
}

uint64_t htypes__field_off(const struct htypes *ht, uint64_t raw)
{
	return ht->offset_embed ? raw >> 1 : raw;
}

static bool in_types(const struct htypes *ht, uint64_t a, uint64_t len)
{
	return ht->types_len && a >= ht->types_lo && a - ht->types_lo <= ht->types_len &&
	       len <= ht->types_len - (a - ht->types_lo);
}

/* The types range, read once (bounded); false when it cannot be. */
static bool load_types(struct htypes *ht)
{
	if (ht->buf_tried)
		return ht->buf != NULL;
	ht->buf_tried = true;
	if (!ht->types_len || ht->types_len > HOLDER_MAX_TYPES_BYTES)
		return false;
	ht->buf = malloc(ht->types_len);
	if (ht->buf && hread__read(ht->rd, ht->types_lo, ht->buf, ht->types_len)) {
		free(ht->buf);
		ht->buf = NULL;
	}
	return ht->buf != NULL;
}

/* Bytes of the target at a: from the types range when it is read and holds them. */
static int ht_bytes(struct htypes *ht, uint64_t a, void *out, size_t len)
{
	if (ht->buf && in_types(ht, a, len)) {
		memcpy(out, ht->buf + (a - ht->types_lo), len);
		return 0;
	}
	return hread__read(ht->rd, a, out, len);
}

/* The size every value of a kind has on amd64 (0: the type says: arrays, structs). */
static uint64_t kind_size(uint8_t kind)
{
	switch (kind) {
	case K_BOOL: case K_INT8: case K_UINT8:
		return 1;
	case K_INT16: case K_UINT16:
		return 2;
	case K_INT32: case K_UINT32: case K_FLOAT32:
		return 4;
	case K_COMPLEX128: case K_STRING: case K_INTERFACE:
		return 16;
	case K_SLICE:
		return 24;
	case K_ARRAY: case K_STRUCT:
		return 0;
	default:	/* int, uint, uintptr, int64, uint64, float64, complex64, pointers */
		return 8;
	}
}

const struct htinfo *htypes__info(struct htypes *ht, uint64_t addr)
{
	struct htinfo *ti = u64map__get(&ht->info, addr);
	uint8_t b[72];

	if (ti || !addr)
		return ti && ti->ok ? ti : NULL;
	ti = calloc(1, sizeof(*ti));
	if (!ti)
		return NULL;
	ti->addr = addr;
	if (u64map__set(&ht->info, addr, ti)) {
		free(ti);
		return NULL;
	}
	if (ht_bytes(ht, addr, b, sizeof(b)))
		return NULL;
	ti->size = ht_get64(b);
	ti->kind = b[23] & 0x1f;
	if (ti->size > GOMAP_MAX_BYTES || !ti->kind || ti->kind > K_UNSAFEPOINTER ||
	    (kind_size(ti->kind) && ti->size != kind_size(ti->kind)))
		return NULL;
	switch (ti->kind) {
	case K_POINTER:
	case K_SLICE:
	case K_ARRAY:
	case K_CHAN:
		ti->elem = ht_get64(b + 48);
		break;
	case K_MAP:
		ti->elem = ht_get64(b + 56);
		break;
	case K_STRUCT:
		ti->fields = ht_get64(b + 56);
		ti->nfields = ht_get64(b + 64);
		if (ti->nfields > HT_MAX_STRUCT_FIELDS)
			ti->nfields = 0;
		break;
	case K_INTERFACE:
		ti->imethods = ht_get64(b + 64);
		break;
	}
	ti->ok = true;
	return ti;
}

const char *htypes__name(struct htypes *ht, uint64_t addr, char *buf, size_t len)
{
	if (!addr || !ht->bin || !ht->bin->types || addr < ht->bias) {
		snprintf(buf, len, "?");
		return buf;
	}
	gobin__type_name(ht->bin, addr - ht->bias, buf, len);
	return buf;
}

bool htypes__read_name(struct htypes *ht, uint64_t a, char *buf, size_t len)
{
	uint8_t b[80];
	uint64_t n = 0;
	int i, shift = 0;

	if (!len || ht_bytes(ht, a, b, 16))
		return false;
	for (i = 1; i < 11; i++) {
		n |= (uint64_t)(b[i] & 0x7f) << shift;
		shift += 7;
		if (!(b[i] & 0x80))
			break;
	}
	if (i >= 11 || n == 0 || n > 64 || n + 1 > len)
		return false;
	if (ht_bytes(ht, a + i + 1, b, n))
		return false;
	for (i = 0; i < (int)n; i++)
		if (b[i] < 0x20 || b[i] >= 0x7f)
			return false;
	memcpy(buf, b, n);
	buf[n] = '\0';
	return true;
}

bool htypes__struct_field(struct htypes *ht, const struct htinfo *ti, uint64_t i, uint64_t *name,
			  uint64_t *typ, uint64_t *off)
{
	uint8_t f[FIELD_SIZE];

	if (!ti || ti->kind != K_STRUCT || i >= ti->nfields ||
	    ht_bytes(ht, ti->fields + i * FIELD_SIZE, f, sizeof(f)))
		return false;
	*name = ht_get64(f);
	*typ = ht_get64(f + 8);
	*off = htypes__field_off(ht, ht_get64(f + 16));
	return *off <= ti->size;
}

/* ---- the by-type field index ---- */

/* Append f to the list at key in m (lists grow by doubling). */
static int list_add(struct u64map *m, uint64_t key, const struct hfield *f)
{
	struct hfield_list *l = u64map__get(m, key);

	if (!l || l->n == l->cap) {
		size_t cap = l ? l->cap * 2 : 2;
		struct hfield_list *n = malloc(sizeof(*n) + cap * sizeof(n->f[0]));

		if (!n)
			return -ENOMEM;
		n->n = l ? l->n : 0;
		n->cap = cap;
		if (l)
			memcpy(n->f, l->f, l->n * sizeof(l->f[0]));
		/* the table keeps the old list until the new one is in */
		if (u64map__set(m, key, n)) {
			free(n);
			return -ENOMEM;
		}
		free(l);
		l = n;
	}
	l->f[l->n++] = *f;
	return 0;
}

static int index_add(struct htypes *ht, uint64_t typ, const struct hfield *f)
{
	if (ht->indexed_fields >= HT_MAX_INDEXED_FIELDS)
		return -E2BIG;
	if (list_add(&ht->by_type, typ, f))
		return -ENOMEM;
	ht->indexed_fields++;
	return 0;
}

/* The kind byte and size of a descriptor inside the types buffer; false when outside. */
static bool buf_kind(const struct htypes *ht, uint64_t a, uint8_t *kind, uint64_t *size)
{
	const uint8_t *p;

	if (a % 8 || !in_types(ht, a, TYPE_HDR))
		return false;
	p = ht->buf + (a - ht->types_lo);
	*kind = p[23] & 0x1f;
	*size = ht_get64(p);
	return *kind && *kind <= K_UNSAFEPOINTER && *size <= GOMAP_MAX_BYTES;
}

/* A struct descriptor at buffer offset p: index its pointer, map and struct fields. */
static void index_struct(struct htypes *ht, uint64_t p)
{
	const uint8_t *s = ht->buf + p;
	uint64_t size = ht_get64(s), fields = ht_get64(s + 56), n = ht_get64(s + 64), i, prev = 0;

	if (!size || size > GOMAP_MAX_BYTES || ht_get64(s + 8) > size || !n || n != ht_get64(s + 72) ||
	    n > HT_MAX_STRUCT_FIELDS || fields % 8 || !in_types(ht, fields, n * FIELD_SIZE))
		return;
	/* all fields must look right before any is indexed */
	for (i = 0; i < n; i++) {
		const uint8_t *f = ht->buf + (fields - ht->types_lo) + i * FIELD_SIZE;
		uint64_t name = ht_get64(f), typ = ht_get64(f + 8), off = htypes__field_off(ht, ht_get64(f + 16));
		uint64_t tsize;
		uint8_t kind;

		if (!in_types(ht, name, 2) || !buf_kind(ht, typ, &kind, &tsize) || off < prev ||
		    (i == 0 && off != 0) || off > size || tsize > size - off)
			return;
		prev = off;
	}
	ht->structs++;
	for (i = 0; i < n; i++) {
		const uint8_t *f = ht->buf + (fields - ht->types_lo) + i * FIELD_SIZE;
		struct hfield hf = { ht->types_lo + p, htypes__field_off(ht, ht_get64(f + 16)), ht_get64(f) };
		uint64_t typ = ht_get64(f + 8), tsize;
		uint8_t kind;

		buf_kind(ht, typ, &kind, &tsize);
		if ((kind == K_POINTER || kind == K_MAP || kind == K_STRUCT) && index_add(ht, typ, &hf))
			return;
	}
}

static void build_index(struct htypes *ht)
{
	uint64_t p;

	ht->indexed = true;
	if (!load_types(ht) || ht->types_len < STRUCT_HDR)
		return;
	for (p = 0; p + STRUCT_HDR <= ht->types_len; p += 8) {
		const uint8_t *d = ht->buf + p;
		uint8_t kind = d[23] & 0x1f;

		if (kind == K_POINTER) {
			uint64_t elem = ht_get64(d + 48);

			/* size 8, 8 pointer bytes, an element inside the range */
			if (ht_get64(d) == 8 && ht_get64(d + 8) == 8 && elem % 8 == 0 &&
			    in_types(ht, elem, TYPE_HDR) && !u64map__get(&ht->ptr_to, elem))
				u64map__set(&ht->ptr_to, elem, (void *)(uintptr_t)(ht->types_lo + p));
		} else if (kind == K_STRUCT) {
			index_struct(ht, p);
		}
	}
}

size_t htypes__fields_of(struct htypes *ht, uint64_t typ, const struct hfield **out)
{
	struct hfield_list *l;

	if (!ht->indexed)
		build_index(ht);
	l = typ ? u64map__get(&ht->by_type, typ) : NULL;
	*out = l ? l->f : NULL;
	return l ? l->n : 0;
}

uint64_t htypes__ptr_to(struct htypes *ht, uint64_t s)
{
	if (!ht->indexed)
		build_index(ht);
	return s ? (uint64_t)(uintptr_t)u64map__get(&ht->ptr_to, s) : 0;
}

bool htypes__field_at(struct htypes *ht, uint64_t typ, uint64_t off, uint64_t *stype, char *fname,
		      size_t flen)
{
	const struct hfield *f;
	size_t n = htypes__fields_of(ht, typ, &f), i;

	for (i = 0; i < n; i++) {
		if (f[i].off != off || !htypes__read_name(ht, f[i].name, fname, flen))
			continue;
		*stype = f[i].stype;
		return true;
	}
	return false;
}

/* ---- map types ---- */

bool htypes__map_type(struct htypes *ht, uint64_t mt, struct hmtype *out)
{
	const struct htinfo *k, *e;
	uint8_t b[136];

	memset(out, 0, sizeof(*out));
	if (!mt || ht_bytes(ht, mt, b, sizeof(b)))
		return false;
	out->key = ht_get64(b + 48);
	out->elem = ht_get64(b + 56);
	k = htypes__info(ht, out->key);
	e = htypes__info(ht, out->elem);
	if (!k || !e)
		return false;
	if (ht->impl == GM_MAP_SWISS) {
		uint32_t fl;

		out->groupsize = ht_get64(b + 80);
		if (ht->split_groups) {
			/* Go 1.27: KeysOff, KeyStride, ElemsOff, ElemStride, ElemOff, Flags */
			out->keysoff = ht_get64(b + 88);
			out->keystride = ht_get64(b + 96);
			out->elemsoff = ht_get64(b + 104);
			out->elemstride = ht_get64(b + 112);
			memcpy(&fl, b + 128, 4);
		} else {
			out->slotsize = ht_get64(b + 88);
			out->elemoff = ht_get64(b + 96);
			memcpy(&fl, b + 104, 4);
			if (out->slotsize > 4096 || out->groupsize != 8 + 8 * out->slotsize ||
			    out->elemoff > out->slotsize)
				return false;
			out->keysoff = 8;
			out->keystride = out->slotsize;
			out->elemsoff = 8 + out->elemoff;
			out->elemstride = out->slotsize;
		}
		out->ikey = fl & 4;
		out->ielem = fl & 8;
		if (out->groupsize > 65536 || out->keystride > 4096 || out->elemstride > 4096 ||
		    out->keysoff > 65536 || out->elemsoff > 65536 ||
		    out->keysoff + 7 * out->keystride + (out->ikey ? 8 : k->size) > out->groupsize ||
		    out->elemsoff + 7 * out->elemstride + (out->ielem ? 8 : e->size) > out->groupsize)
			return false;
	} else if (ht->impl == GM_MAP_CLASSIC) {
		uint16_t bs;
		uint32_t fl;

		out->keysize = b[80];
		out->elemsize = b[81];
		memcpy(&bs, b + 82, 2);
		memcpy(&fl, b + 84, 4);
		out->groupsize = bs;
		out->ikey = fl & 1;
		out->ielem = fl & 2;
		if (bs < 8 + 8 * (out->keysize + out->elemsize) + 8)
			return false;
		if (!out->ikey && k->size > out->keysize)
			return false;
		if (!out->ielem && e->size > out->elemsize)
			return false;
	} else {
		return false;
	}
	out->keysize = out->ikey ? 8 : k->size;
	out->elemsize = out->ielem ? 8 : e->size;
	out->ok = true;
	return true;
}

/* ---- what an object or a map can be ---- */

bool htypes__object_ok(struct htypes *ht, const struct htinfo *ti, const uint8_t *b, size_t len,
		       bool (*plausible)(void *ctx, uint64_t v), void *ctx)
{
	uint64_t i, name, typ, off;
	const struct htinfo *ft;

	if (!ti || ti->kind != K_STRUCT)
		return false;
	for (i = 0; i < ti->nfields; i++) {
		uint64_t v;

		if (!htypes__struct_field(ht, ti, i, &name, &typ, &off) || off + 8 > len)
			break;
		ft = htypes__info(ht, typ);
		if (!ft)
			continue;
		v = ht_get64(b + off);
		switch (ft->kind) {
		case K_MAP: case K_CHAN:	/* runtime structures: 8-aligned */
			if (v && ((v & 7) || !plausible(ctx, v)))
				return false;
			break;
		case K_POINTER: case K_FUNC:
			if (v && !plausible(ctx, v))
				return false;
			break;
		case K_STRING: case K_SLICE:	/* data and length: nil and 0, or somewhere */
			if (off + 16 > len)
				break;
			if (v ? !plausible(ctx, v) && ht_get64(b + off + 8) : ht_get64(b + off + 8) != 0)
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

bool htypes__is_closure(struct htypes *ht, uint64_t s)
{
	uintptr_t c = (uintptr_t)u64map__get(&ht->closure, s);
	const struct htinfo *ti, *ft;
	uint64_t name, typ, off;
	char fn[8];

	if (!c) {
		ti = htypes__info(ht, s);
		c = ti && htypes__struct_field(ht, ti, 0, &name, &typ, &off) && !off &&
		    (ft = htypes__info(ht, typ)) && ft->kind == K_UINTPTR &&
		    htypes__read_name(ht, name, fn, sizeof(fn)) && !strcmp(fn, "F") ? 2 : 1;
		u64map__set(&ht->closure, s, (void *)c);
	}
	return c == 2;
}

struct tlist {
	size_t n;
	uint64_t t[64];
};

static int add_map_type(uint64_t link, const char *name, void *ctx)
{
	struct htypes *ht = ctx;
	uint64_t t = link + ht->bias;
	const struct htinfo *et;
	struct tlist *l;
	struct hmtype mt;

	(void)name;
	if (!htypes__map_type(ht, t, &mt) || mt.ielem || !(et = htypes__info(ht, mt.elem)) ||
	    (et->kind != K_POINTER && et->kind != K_MAP))
		return 0;
	l = u64map__get(&ht->maps_by_elem, mt.elem);
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l || u64map__set(&ht->maps_by_elem, mt.elem, l)) {
			free(l);
			return 1;
		}
	}
	if (l->n < sizeof(l->t) / sizeof(l->t[0]))
		l->t[l->n++] = t;
	return 0;
}

size_t htypes__maps_of_elem(struct htypes *ht, uint64_t elem, const uint64_t **out)
{
	const struct tlist *l;

	if (!ht->maps_listed) {
		ht->maps_listed = true;
		if (ht->bin && ht->bin->types)
			gotypes__for_each_map_type(ht->bin->types, add_map_type, ht);
	}
	l = elem ? u64map__get(&ht->maps_by_elem, elem) : NULL;
	*out = l ? l->t : NULL;
	return l ? l->n : 0;
}
