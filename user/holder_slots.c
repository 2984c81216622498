// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * holder_slots: a map's groups, slots, keys and retained bytes, read from
 * the target.  See holder_slots.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "holder.h"
#include "holder_slots.h"

/* Swiss: table.groups.data and .lengthMask (internal/runtime/maps/table.go). */
#define TABLE_GROUPS_OFF	16
#define TABLE_MASK_OFF		24
/* Classic: the smallest tophash of a full slot (runtime/map.go minTopHash). */
#define MIN_TOPHASH		5
#define SWISS_CTRL_EMPTY	0x80	/* empty and deleted control bytes have the top bit */
#define SWISS_CTRL_DELETED	0xfe

const char *holder__quote(const uint8_t *s, size_t n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0, shown = n > HOLDER_STR_MAX ? HOLDER_STR_MAX : n;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; i < shown && o + 9 < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	if (i < n && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- groups and slots ---- */

size_t hslots__groups(struct htypes *ht, uint64_t addr, const struct hmtype *mt, uint64_t *out,
		      size_t max, size_t stride, uint64_t *total)
{
	const struct gm_layout *lay = ht->lay;
	uint8_t hdr[64];
	size_t n = 0;
	uint64_t idx = 0;

	*total = 0;
	if (!stride)
		stride = 1;
	if (!lay || !mt->groupsize || lay->map_buckets_off > sizeof(hdr) - 8 ||
	    hread__read(ht->rd, addr, hdr, sizeof(hdr)))
		return 0;
	if (lay->impl == GM_MAP_SWISS) {
		uint64_t dir = ht_get64(hdr + lay->map_buckets_off), dirlen, *tabs, prev = 0, i, g;
		bool ok;

		if (lay->map_dirlen_off > sizeof(hdr) - 8)
			return 0;
		dirlen = ht_get64(hdr + lay->map_dirlen_off);
		if (!dirlen) {
			if (dir && max)
				out[n++] = dir;
			*total = !!dir;
			return n;
		}
		if (dirlen > HSLOTS_MAX_DIR_READ)
			dirlen = HSLOTS_MAX_DIR_READ;
		tabs = malloc(dirlen * 8);
		if (!tabs || hread__read(ht->rd, dir, tabs, dirlen * 8)) {
			free(tabs);
			return 0;
		}
		for (i = 0; i < dirlen; i++) {
			uint64_t data, mask;

			if (tabs[i] == prev || !tabs[i])
				continue;
			prev = tabs[i];
			data = hread__u64(ht->rd, tabs[i] + TABLE_GROUPS_OFF, &ok);
			mask = ok ? hread__u64(ht->rd, tabs[i] + TABLE_MASK_OFF, &ok) : 0;
			if (!ok || !data || mask >= GOMAP_MAX_TABLE_CAP / GOMAP_GROUP_SLOTS)
				continue;
			for (g = 0; g <= mask; g++, idx++) {
				if (idx % stride == 0 && n < max)
					out[n++] = data + g * mt->groupsize;
			}
		}
		*total = idx;
		free(tabs);
		return n;
	} else {
		uint8_t B = lay->map_B_off < sizeof(hdr) ? hdr[lay->map_B_off] : 0xff;
		uint64_t buckets = ht_get64(hdr + lay->map_buckets_off), nb, i;

		if (!buckets || B > HSLOTS_MAX_CLASSIC_B)
			return 0;
		nb = 1ULL << B;
		for (i = 0; i < nb; i++, idx++)
			if (idx % stride == 0 && n < max)
				out[n++] = buckets + i * mt->groupsize;
		*total = nb;
		return n;
	}
}

bool hslots__full(uint32_t impl, const uint8_t *group, int j)
{
	if (j < 0 || j >= GOMAP_GROUP_SLOTS)
		return false;
	if (impl == GM_MAP_SWISS)
		return !(group[j] & SWISS_CTRL_EMPTY);
	return group[j] >= MIN_TOPHASH;
}

/* Key and elem of slot j of a group read whole. */
static void slot_at(uint32_t impl, const struct hmtype *mt, const uint8_t *g, int j, const uint8_t **k,
		    const uint8_t **e)
{
	if (impl == GM_MAP_SWISS) {
		*k = g + mt->keysoff + j * mt->keystride;
		*e = g + mt->elemsoff + j * mt->elemstride;
	} else {
		*k = g + 8 + j * mt->keysize;
		*e = g + 8 + 8 * mt->keysize + j * mt->elemsize;
	}
}

uint64_t hslots__walk(struct htypes *ht, const struct hmtype *mt, const uint64_t *groups, size_t ng,
		      hslot_cb cb, void *ctx, uint64_t *bytes)
{
	uint32_t impl = ht->impl;
	uint8_t *g;
	uint64_t visited = 0;
	size_t i;
	int j, hops;

	if (!mt->ok || mt->groupsize < 16 || mt->groupsize > 65536)
		return 0;
	g = malloc(mt->groupsize);
	if (!g)
		return 0;
	for (i = 0; i < ng; i++) {
		uint64_t at = groups[i];

		for (hops = 0; at && hops <= (impl == GM_MAP_SWISS ? 0 : HSLOTS_MAX_OVERFLOW); hops++) {
			if (hread__read(ht->rd, at, g, mt->groupsize))
				break;
			*bytes += mt->groupsize;
			for (j = 0; j < GOMAP_GROUP_SLOTS; j++) {
				const uint8_t *k, *e;

				if (!hslots__full(impl, g, j))
					continue;
				slot_at(impl, mt, g, j, &k, &e);
				visited++;
				if (!cb(ht, k, e, at + (uint64_t)(e - g), ctx))
					goto out;
			}
			at = impl == GM_MAP_SWISS ? 0 : ht_get64(g + mt->groupsize - 8);
		}
	}
out:
	free(g);
	return visited;
}

/* A range of user memory: inside the 47-bit address space, not wrapping. */
static bool user_range(uint64_t lo, uint64_t len)
{
	return lo && lo < GOMAP_MAX_BYTES && len && len <= GOMAP_MAX_BYTES - lo;
}

int hslots__ranges(struct htypes *ht, uint64_t addr, uint64_t groupsize,
		   int (*cb)(uint64_t lo, uint64_t hi, void *ctx), void *ctx)
{
	const struct gm_layout *lay = ht->lay;
	uint8_t hdr[64];
	int n = 0;

	if (!lay || !groupsize || groupsize > 65536 || lay->map_buckets_off > sizeof(hdr) - 16 ||
	    hread__read(ht->rd, addr, hdr, sizeof(hdr)))
		return -EFAULT;
	if (lay->impl == GM_MAP_SWISS) {
		uint64_t dir = ht_get64(hdr + lay->map_buckets_off), dirlen, *tabs, prev = 0, i;

		if (lay->map_dirlen_off > sizeof(hdr) - 8)
			return -EINVAL;
		dirlen = ht_get64(hdr + lay->map_dirlen_off);
		if (!dir)
			return 0;
		if (!dirlen) {
			if (!user_range(dir, groupsize))
				return 0;
			cb(dir, dir + groupsize, ctx);
			return 1;
		}
		if (dirlen > HSLOTS_MAX_DIR_READ)
			dirlen = HSLOTS_MAX_DIR_READ;
		tabs = malloc(dirlen * 8);
		if (!tabs || hread__read(ht->rd, dir, tabs, dirlen * 8)) {
			free(tabs);
			return -EFAULT;
		}
		for (i = 0; i < dirlen; i++) {
			uint8_t tb[32];
			uint64_t data, mask;

			if (tabs[i] == prev || !tabs[i])
				continue;
			prev = tabs[i];
			if (hread__read(ht->rd, tabs[i], tb, sizeof(tb)))
				continue;
			data = ht_get64(tb + TABLE_GROUPS_OFF);
			mask = ht_get64(tb + TABLE_MASK_OFF);
			if (mask >= GOMAP_MAX_TABLE_CAP / GOMAP_GROUP_SLOTS || !user_range(data, (mask + 1) * groupsize))
				continue;
			n++;
			if (cb(data, data + (mask + 1) * groupsize, ctx))
				break;
		}
		free(tabs);
		return n;
	} else {
		/* hmap: count, flags (the byte before B), B, noverflow, hash0, buckets, oldbuckets */
		uint8_t B = lay->map_B_off && lay->map_B_off < sizeof(hdr) ? hdr[lay->map_B_off] : 0xff;
		uint8_t flags = B != 0xff ? hdr[lay->map_B_off - 1] : 0;
		uint64_t buckets = ht_get64(hdr + lay->map_buckets_off);
		uint64_t old = ht_get64(hdr + lay->map_buckets_off + 8);

		if (B > HSLOTS_MAX_CLASSIC_B)
			return -EINVAL;
		if (user_range(buckets, groupsize << B)) {
			n++;
			if (cb(buckets, buckets + (groupsize << B), ctx))
				return n;
		}
		/* a grow in progress: the old array is half as large, or as large (sameSizeGrow, 8) */
		if (old != buckets && B && user_range(old, groupsize << ((flags & 8) ? B : B - 1))) {
			n++;
			cb(old, old + (groupsize << ((flags & 8) ? B : B - 1)), ctx);
		}
		return n;
	}
}

bool hslots__locate(uint32_t impl, const struct hmtype *mt, uint64_t off, struct hslot_pos *out)
{
	uint64_t base[2], stride[2], size[2];
	int part;

	if (!mt->ok)
		return false;
	if (impl == GM_MAP_SWISS) {
		base[0] = mt->keysoff;
		stride[0] = mt->keystride;
		base[1] = mt->elemsoff;
		stride[1] = mt->elemstride;
	} else {
		base[0] = 8;
		stride[0] = mt->keysize;
		base[1] = 8 + 8 * mt->keysize;
		stride[1] = mt->elemsize;
	}
	size[0] = mt->keysize;
	size[1] = mt->elemsize;
	/* the value first: with interleaved slots a key never overlaps it */
	for (part = 1; part >= 0; part--) {
		uint64_t j, r;

		if (off < base[part] || !stride[part] || !size[part])
			continue;
		j = (off - base[part]) / stride[part];
		r = (off - base[part]) % stride[part];
		if (j >= GOMAP_GROUP_SLOTS || r >= size[part])
			continue;
		out->slot = (int)j;
		out->in_elem = part == 1;
		out->off = r;
		return true;
	}
	return false;
}

/* ---- values as text ---- */

static void decode_ptr(struct htypes *ht, uint64_t typ, uint64_t p, char *buf, size_t len)
{
	char tn[160];

	snprintf(buf, len, "%s(0x%" PRIx64 ")", htypes__name(ht, typ, tn, sizeof(tn)), p);
}

static void decode_struct(struct htypes *ht, const struct htinfo *ti, const uint8_t *v, size_t vlen,
			  char *buf, size_t len, int depth)
{
	size_t o = 0;
	uint64_t i;

	o += snprintf(buf + o, len - o, "{");
	for (i = 0; i < ti->nfields && i < 8 && o + 8 < len; i++) {
		char fn[80], val[HOLDER_KEY_TEXT];
		const struct htinfo *ft;
		uint64_t name, typ, off;

		if (!htypes__struct_field(ht, ti, i, &name, &typ, &off))
			break;
		ft = htypes__info(ht, typ);
		if (!ft || off > vlen || ft->size > vlen - off)
			break;
		if (!htypes__read_name(ht, name, fn, sizeof(fn)))
			snprintf(fn, sizeof(fn), "_");
		hslots__decode(ht, ft->addr, v + off, ft->size, val, sizeof(val), depth + 1);
		o += snprintf(buf + o, len - o, "%s%s:%s", i ? ", " : "", fn, val);
	}
	if (o >= len)
		o = len - 1;
	if (i < ti->nfields && o + 8 < len)
		o += snprintf(buf + o, len - o, ", ...");
	if (o + 2 < len)
		snprintf(buf + o, len - o, "}");
	else if (len > 4)
		memcpy(buf + len - 5, "...}", 5);
}

void hslots__decode(struct htypes *ht, uint64_t typ, const uint8_t *v, size_t vlen, char *buf,
		    size_t len, int depth)
{
	const struct htinfo *ti = htypes__info(ht, typ);
	char tn[160];
	int64_t iv = 0;
	uint64_t uv = 0;

	if (!len)
		return;
	if (!ti || ti->size > vlen) {
		snprintf(buf, len, "?");
		return;
	}
	switch (ti->kind) {
	case K_BOOL:
		snprintf(buf, len, "%s", v[0] ? "true" : "false");
		return;
	case K_INT8: iv = (int8_t)v[0]; goto sint;
	case K_INT16: { int16_t x; memcpy(&x, v, 2); iv = x; goto sint; }
	case K_INT32: { int32_t x; memcpy(&x, v, 4); iv = x; goto sint; }
	case K_INT: case K_INT64: memcpy(&iv, v, 8); goto sint;
	case K_UINT8: uv = v[0]; goto uint;
	case K_UINT16: { uint16_t x; memcpy(&x, v, 2); uv = x; goto uint; }
	case K_UINT32: { uint32_t x; memcpy(&x, v, 4); uv = x; goto uint; }
	case K_UINT: case K_UINT64: case K_UINTPTR: memcpy(&uv, v, 8); goto uint;
	case K_FLOAT32: { float x; memcpy(&x, v, 4); snprintf(buf, len, "%g", x); return; }
	case K_FLOAT64: { double x; memcpy(&x, v, 8); snprintf(buf, len, "%g", x); return; }
	case K_STRING: {
		uint64_t p = ht_get64(v), n = ht_get64(v + 8);
		uint8_t sb[HOLDER_STR_MAX];
		size_t want = n > HOLDER_STR_MAX ? HOLDER_STR_MAX : n;

		if (n > GOMAP_MAX_BYTES || (want && hread__read(ht->rd, p, sb, want))) {
			snprintf(buf, len, "string(0x%" PRIx64 ", len %" PRIu64 ")", p, n);
			return;
		}
		holder__quote(sb, n, buf, len);
		return;
	}
	case K_POINTER: case K_UNSAFEPOINTER: case K_CHAN: case K_FUNC: case K_MAP:
		decode_ptr(ht, typ, ht_get64(v), buf, len);
		return;
	case K_STRUCT:
		if (depth < 2) {
			decode_struct(ht, ti, v, vlen, buf, len, depth);
			return;
		}
		break;
	case K_INTERFACE: {
		uint64_t tp = ht_get64(v), data = ht_get64(v + 8);
		const struct htinfo *dt;

		if (!tp) {
			snprintf(buf, len, "nil");
			return;
		}
		if (ti->imethods) {	/* iface: the itab's Type is its second word */
			bool ok;

			tp = hread__u64(ht->rd, tp + 8, &ok);
			if (!ok) {
				snprintf(buf, len, "%s(0x%" PRIx64 ")", htypes__name(ht, typ, tn, sizeof(tn)), data);
				return;
			}
		}
		dt = htypes__info(ht, tp);
		if (dt && depth < 2 && dt->size <= 64 && dt->kind != K_POINTER && dt->kind != K_MAP &&
		    dt->kind != K_CHAN && dt->kind != K_FUNC && dt->kind != K_UNSAFEPOINTER) {
			uint8_t box[64];
			char in[HOLDER_KEY_TEXT - 16];

			if (!hread__read(ht->rd, data, box, dt->size)) {
				hslots__decode(ht, tp, box, dt->size, in, sizeof(in), depth + 1);
				snprintf(buf, len, "%s(%s)", htypes__name(ht, tp, tn, sizeof(tn)), in);
				return;
			}
		}
		decode_ptr(ht, tp, data, buf, len);
		return;
	}
	default:
		break;
	}
	snprintf(buf, len, "%s{...}", htypes__name(ht, typ, tn, sizeof(tn)));
	return;
sint:
	snprintf(buf, len, "%" PRId64, iv);
	return;
uint:
	snprintf(buf, len, "%" PRIu64, uv);
}

void hslots__key_text(struct htypes *ht, const struct hmtype *mt, const uint8_t *k, char *buf,
		      size_t len)
{
	const struct htinfo *kt = htypes__info(ht, mt->key);
	uint8_t tmp[256];

	if (!kt) {
		snprintf(buf, len, "?");
		return;
	}
	if (mt->ikey) {
		if (kt->size > sizeof(tmp) || hread__read(ht->rd, ht_get64(k), tmp, kt->size)) {
			decode_ptr(ht, mt->key, ht_get64(k), buf, len);
			return;
		}
		k = tmp;
	} else if (kt->size > mt->keysize) {
		snprintf(buf, len, "?");
		return;
	}
	hslots__decode(ht, mt->key, k, kt->size, buf, len, 0);
}

/* ---- retained bytes ---- */

/* Heap bytes a value points to, one level (strings, pointers, slices, struct fields). */
static uint64_t retained_of(struct htypes *ht, uint64_t typ, const uint8_t *v, size_t vlen, int depth)
{
	const struct htinfo *ti = htypes__info(ht, typ), *et;
	uint64_t sum = 0, i;

	if (!ti || ti->size > vlen)
		return 0;
	switch (ti->kind) {
	case K_STRING:
		return ht_get64(v) ? (ht_get64(v + 8) > GOMAP_MAX_BYTES ? 0 : ht_get64(v + 8)) : 0;
	case K_POINTER:
		et = htypes__info(ht, ti->elem);
		return ht_get64(v) && et ? et->size : 0;
	case K_MAP:
		return ht_get64(v) ? 48 : 0;	/* the header (its own groups are its own map's) */
	case K_SLICE: {
		uint64_t cap = ht_get64(v + 16);

		et = htypes__info(ht, ti->elem);
		if (!ht_get64(v) || !et || cap > GOMAP_MAX_BYTES || (et->size && cap > GOMAP_MAX_BYTES / et->size))
			return 0;
		return cap * et->size;
	}
	case K_INTERFACE:
		if (!ht_get64(v) || ti->imethods)
			return 0;
		et = htypes__info(ht, ht_get64(v));
		return et && et->kind != K_POINTER && et->kind != K_MAP ? et->size : 0;
	case K_STRUCT:
		if (depth > 0)
			return 0;
		for (i = 0; i < ti->nfields && i < 32; i++) {
			const struct htinfo *ft;
			uint64_t name, ftyp, off;

			if (!htypes__struct_field(ht, ti, i, &name, &ftyp, &off))
				break;
			ft = htypes__info(ht, ftyp);
			if (ft && off <= vlen && ft->size <= vlen - off)
				sum += retained_of(ht, ft->addr, v + off, ft->size, depth + 1);
		}
		return sum;
	default:
		return 0;
	}
}

uint64_t hslots__retained(struct htypes *ht, uint64_t typ, bool indirect, const uint8_t *v)
{
	const struct htinfo *ti = htypes__info(ht, typ);
	uint8_t tmp[256];

	if (!ti)
		return 0;
	if (!indirect)
		return retained_of(ht, typ, v, ti->size, 0);
	if (!ht_get64(v))
		return 0;
	if (ti->size <= sizeof(tmp) && !hread__read(ht->rd, ht_get64(v), tmp, ti->size))
		return ti->size + retained_of(ht, typ, tmp, ti->size, 0);
	return ti->size;
}

bool hslots__small_group(uint32_t impl, const struct hmtype *mt, const uint8_t *b, int j,
			 bool (*plausible)(void *ctx, uint64_t v), void *ctx)
{
	int i;

	if (!mt->ok || mt->groupsize < 16 || !hslots__full(impl, b, j))
		return false;
	for (i = 0; i < GOMAP_GROUP_SLOTS; i++) {
		const uint8_t *k, *e;
		uint64_t v;

		if (impl == GM_MAP_SWISS && !hslots__full(impl, b, i) && b[i] != SWISS_CTRL_EMPTY &&
		    b[i] != SWISS_CTRL_DELETED)
			return false;	/* neither full, empty nor deleted: no control word */
		if (impl != GM_MAP_SWISS && b[i] > 1 && b[i] < MIN_TOPHASH)
			return false;	/* evacuated: a small map never grew */
		if (!hslots__full(impl, b, i))
			continue;
		slot_at(impl, mt, b, i, &k, &e);
		v = ht_get64(e);
		if (!v || !plausible(ctx, v))
			return false;
	}
	/* classic: the one bucket has no overflow bucket yet */
	return impl == GM_MAP_SWISS || !ht_get64(b + mt->groupsize - 8);
}
