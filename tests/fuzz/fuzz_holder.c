// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the parts of the holder search (holder_types.h,
 * holder_slots.h) that decode another process's memory, fed a synthetic
 * address space.  Input: a 16-byte header, then the memory image, mapped
 * at IMG_BASE and taken as the target's types range and heap at once:
 *
 *   byte 0      bit 0: Swiss maps (else classic); bit 1: Go <= 1.18 field
 *               offsets (offsetEmbed); bit 2: Go 1.27 split groups
 *   bytes 4-7   offset of a map type descriptor in the image (u32)
 *   bytes 8-11  offset of a map header in the image (u32)
 *   bytes 12-15 offset of a word to search the field index for (u32)
 *
 * Exercised: the by-type field index over the whole image (struct and
 * pointer descriptors found by shape), field names, closures, the pointer
 * type of a struct, the map type's slot layout, the map's groups and full
 * slots (directory, tables, buckets, overflow chains), keys decoded as
 * text, retained bytes, the memory holding its slots, where an offset
 * falls in a group, a small map's group check, a supposed object's check.
 * Checked promises: every text is NUL-terminated inside its buffer, every
 * field found lies in the image, slot positions are inside the group, no
 * read outside the image succeeds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gomap.h"
#include "holder.h"
#include "holder_slots.h"
#include "holder_types.h"

#define FUZZ_TAG "fuzz_holder"
#include "fuzzcommon.h"

#define TAG FUZZ_TAG
#define IMG_BASE 0x10000000ULL
#define HDR 16

struct img {
	const uint8_t *b;
	size_t len;
};

static int img_read(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	const struct img *m = ctx;

	(void)pid;
	if (addr < IMG_BASE || addr - IMG_BASE > m->len || len > m->len - (addr - IMG_BASE))
		return -EFAULT;
	memcpy(buf, m->b + (addr - IMG_BASE), len);
	return 0;
}

static bool in_img(const struct img *m, uint64_t a)
{
	return a >= IMG_BASE && a - IMG_BASE < m->len;
}

static bool plausible(void *ctx, uint64_t v)
{
	return in_img(ctx, v);
}

static void text_ok(const char *buf, size_t len)
{
	CHECK(memchr(buf, '\0', len) != NULL);
	sink += strlen(buf);
}

struct walk {
	const struct hmtype *mt;
	int keys;
};

static bool on_slot(struct htypes *ht, const uint8_t *k, const uint8_t *e, uint64_t eat, void *ctx)
{
	struct walk *w = ctx;
	char key[HOLDER_KEY_TEXT];

	(void)eat;
	hslots__key_text(ht, w->mt, k, key, sizeof(key));
	text_ok(key, sizeof(key));
	sink += hslots__retained(ht, w->mt->key, w->mt->ikey, k);
	sink += hslots__retained(ht, w->mt->elem, w->mt->ielem, e);
	return ++w->keys < 64;
}

static int on_range(uint64_t lo, uint64_t hi, void *ctx)
{
	(void)ctx;
	CHECK(hi > lo);
	sink += hi - lo;
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The index: fields of the type at a and of every type a field of it has. */
static size_t fields(struct htypes *ht, const struct img *m, uint64_t a)
{
	const struct hfield *f;
	size_t n = htypes__fields_of(ht, a, &f), i;
	char name[80];
	uint64_t st;

	for (i = 0; i < n && i < 32; i++) {
		CHECK(in_img(m, f[i].stype));
		if (htypes__read_name(ht, f[i].name, name, sizeof(name)))
			text_ok(name, sizeof(name));
		sink += htypes__is_closure(ht, f[i].stype);
		st = htypes__ptr_to(ht, f[i].stype);
		CHECK(!st || in_img(m, st));
		if (htypes__field_at(ht, a, f[i].off, &st, name, sizeof(name))) {
			CHECK(in_img(m, st));
			text_ok(name, sizeof(name));
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img m;
	struct gomap_mem mem = { img_read, NULL, &m };
	struct hread rd = { .mem = &mem, .pid = 1 };
	struct gm_layout lay;
	struct htypes ht;
	struct hmtype mt;
	uint64_t mtype, map, word, groups[64], total = 0, bytes = 0, off;
	uint32_t impl;
	size_t ng = 0, nf;
	struct walk w = { &mt, 0 };
	struct hslot_pos pos;
	bool mt_ok;

	if (size < HDR + 8)
		return 0;
	m.b = data + HDR;
	m.len = size - HDR;
	impl = (data[0] & 1) ? GM_MAP_SWISS : GM_MAP_CLASSIC;
	gomap__layout(&lay, impl, 1, impl == GM_MAP_SWISS ? 26 : 22);
	htypes__init(&ht, &rd, &lay);
	ht.offset_embed = data[0] & 2;
	ht.split_groups = data[0] & 4;
	ht.types_lo = IMG_BASE;
	ht.types_len = m.len;
	mtype = IMG_BASE + get32(data + 4) % m.len;
	map = IMG_BASE + get32(data + 8) % m.len;
	word = IMG_BASE + (get32(data + 12) % m.len & ~7u);

	nf = fields(&ht, &m, word) + fields(&ht, &m, mtype);
	mt_ok = htypes__map_type(&ht, mtype, &mt);
	if (mt_ok) {
		const struct htinfo *et = htypes__info(&ht, mt.elem);
		char name[16];

		CHECK(mt.groupsize <= 65536 && mt.keysize <= GOMAP_MAX_BYTES && mt.elemsize <= GOMAP_MAX_BYTES);
		ng = hslots__groups(&ht, map, &mt, groups, 64, 1, &total);
		CHECK(ng <= 64);
		hslots__walk(&ht, &mt, groups, ng, on_slot, &w, &bytes);
		hslots__ranges(&ht, map, mt.groupsize, on_range, NULL);
		for (off = 0; off < mt.groupsize && off < 4096; off++) {
			if (!hslots__locate(impl, &mt, off, &pos))
				continue;
			CHECK(pos.slot >= 0 && pos.slot < GOMAP_GROUP_SLOTS);
			CHECK(pos.off < (pos.in_elem ? mt.elemsize : mt.keysize));
		}
		if (mt.groupsize <= m.len)
			sink += hslots__small_group(impl, &mt, m.b, (int)(data[1] & 7), plausible, &m);
		sink += htypes__maps_of_elem(&ht, mt.elem, &(const uint64_t *){ NULL });
		if (et && et->kind == K_POINTER) {
			const struct htinfo *st = htypes__info(&ht, et->elem);

			if (st && st->kind == K_STRUCT)
				sink += htypes__object_ok(&ht, st, m.b, m.len < 1024 ? m.len : 1024, plausible, &m);
		}
		htypes__name(&ht, mtype, name, sizeof(name));
		text_ok(name, sizeof(name));
	}
	if (verbose) {
		if (mt_ok)
			fprintf(stderr, TAG ": parsed: %s map type, %zu groups, %d full slots, %" PRIu64 " structs, %zu fields\n",
				impl == GM_MAP_SWISS ? "swiss" : "classic", ng, w.keys, ht.structs, nf);
		else
			fprintf(stderr, TAG ": refused: no map type at +0x%llx (%" PRIu64 " structs indexed)\n",
				(unsigned long long)(mtype - IMG_BASE), ht.structs);
	}
	htypes__fini(&ht);
	return 0;
}
