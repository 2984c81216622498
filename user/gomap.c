// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gomap.h"
#include "synctrie.h"
#include "target.h"

/* classic hmap.flags: iterator, oldIterator, hashWriting, sameSizeGrow */
#define CLASSIC_FLAG_BITS	0x0f
#define CLASSIC_SAME_SIZE_GROW	0x08
/* classic hmap fields the BPF layout does not carry (same in 1.17-1.25) */
#define CLASSIC_NOVERFLOW_OFF	10	/* uint16 */
#define CLASSIC_OLDBUCKETS_OFF	24
/* Swiss Map fields after dirLen (same in 1.24-1.26) */
#define SWISS_GLOBAL_DEPTH_OFF	32
#define SWISS_GLOBAL_SHIFT_OFF	33
#define SWISS_WRITING_OFF	34
#define SWISS_HEADER_LEN	40
/* Swiss table fields */
#define TABLE_USED_OFF		0
#define TABLE_CAP_OFF		2
#define TABLE_GROWTH_LEFT_OFF	4
#define TABLE_LOCAL_DEPTH_OFF	6
#define TABLE_INDEX_OFF		8
#define TABLE_GROUPS_OFF	16
#define TABLE_LENGTH_MASK_OFF	24
/* Buckets smaller than this cannot exist (tophash + overflow pointer). */
#define MIN_BUCKET_BYTES	16
/* Tables read per process_vm_readv batch. */
#define TABLE_BATCH		256

const char *gomap__impl_name(uint32_t impl)
{
	switch (impl) {
	case GM_MAP_CLASSIC:
		return "classic";
	case GM_MAP_SWISS:
		return "swiss";
	}
	return "unknown";
}

/*
 * Offsets from the runtime sources: runtime/map.go (hmap, mapextra) up to
 * 1.23, runtime/map_noswiss.go in 1.24/1.25, internal/runtime/maps (Map,
 * table) since 1.24, and maptype / abi.MapType / abi.OldMapType /
 * abi.SwissMapType for the type descriptor.  All amd64.  Go 1.27 moved
 * abi.MapType's Flags (KeysOff, KeyStride, ElemsOff, ElemStride replace
 * SlotSize) but nothing read here: Group stays at 64, GroupSize at 80.
 */
static bool go_at_least(int major, int minor, int want_major, int want_minor)
{
	return major > want_major || (major == want_major && minor >= want_minor);
}

void gomap__layout(struct gm_layout *l, uint32_t impl, int go_major, int go_minor)
{
	memset(l, 0xff, sizeof(*l));	/* every field GM_OFF_ABSENT unless set */
	l->impl = impl;
	l->map_count_off = 0;
	l->map_count_size = 8;
	l->g_stack_lo_off = 0;
	l->g_stack_hi_off = 8;
	/*
	 * runtime/runtime2.go: g.goid follows stack, stackguard0/1, _panic,
	 * _defer, m, sched (a gobuf of 7 words, 6 once 1.25 dropped its ret),
	 * syscallsp, syscallpc, syscallbp (added in 1.23), stktopsp, param,
	 * atomicstatus and stackLock.
	 */
	if (go_at_least(go_major, go_minor, 1, 25))
		l->g_goid_off = 152;
	else if (go_at_least(go_major, go_minor, 1, 23))
		l->g_goid_off = 160;
	else
		l->g_goid_off = 152;
	l->type_bucket_off = 64;	/* Bucket / Group *Type */

	if (impl == GM_MAP_CLASSIC) {
		l->map_seed_off = 12;	/* hash0 uint32 */
		l->map_seed_size = 4;
		l->map_B_off = 9;
		l->map_buckets_off = 16;
		/* 1.24 added clearSeq before extra in the noswissmap hmap. */
		l->map_extra_off = go_at_least(go_major, go_minor, 1, 24) ? 48 : 40;
		l->extra_nextoverflow_off = 16;
		l->type_bucketsize_off = 82;	/* BucketSize uint16 */
		l->type_bucketsize_size = 2;
		return;
	}
	l->map_seed_off = 8;		/* seed uintptr */
	l->map_seed_size = 8;
	l->map_buckets_off = 16;	/* dirPtr */
	l->map_dirlen_off = 24;
	l->type_bucketsize_off = 80;	/* GroupSize uintptr */
	l->type_bucketsize_size = 8;
	l->table_used_off = 0;
	l->table_capacity_off = 2;
	l->table_capacity_size = 2;
}

const char *gomap__status_str(enum gomap_status st)
{
	switch (st) {
	case GOMAP_OK:
		return "ok";
	case GOMAP_UNREADABLE:
		return "unreadable";
	case GOMAP_BAD_HEADER:
		return "bad header";
	case GOMAP_BAD_STRUCTURE:
		return "bad structure";
	case GOMAP_UNSTABLE:
		return "changing while read";
	case GOMAP_STATUS_MAX:
		break;
	}
	return "unknown";
}

static int proc_read(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	return target__read(pid, addr, buf, len);
}

static ssize_t proc_read_many(void *ctx, pid_t pid, const uint64_t *addrs, size_t cnt,
			      size_t size, void *out, bool *ok)
{
	(void)ctx;
	return target__read_many(pid, addrs, cnt, size, out, ok);
}

const struct gomap_mem *gomap__process_mem(void)
{
	static const struct gomap_mem mem = { proc_read, proc_read_many, NULL };

	return &mem;
}

ssize_t gomap__read_many(const struct gomap_mem *mem, pid_t pid, const uint64_t *addrs,
			 size_t cnt, size_t size, void *out, bool *ok)
{
	size_t i, good = 0;
	int r;

	if (mem->read_many)
		return mem->read_many(mem->ctx, pid, addrs, cnt, size, out, ok);
	for (i = 0; i < cnt; i++) {
		r = mem->read(mem->ctx, pid, addrs[i], (char *)out + i * size, size);
		if (r == -ESRCH)
			return -ESRCH;
		ok[i] = !r;
		good += ok[i];
	}
	return good;
}

size_t gomap__header_len(const struct gm_layout *lay)
{
	size_t len = lay->map_seed_off + lay->map_seed_size;

	if (len < (size_t)lay->map_count_off + 8)
		len = lay->map_count_off + 8;
	if (len < (size_t)lay->map_buckets_off + 8)
		len = lay->map_buckets_off + 8;
	if (lay->impl == GM_MAP_CLASSIC) {
		if (len < CLASSIC_OLDBUCKETS_OFF + 8)
			len = CLASSIC_OLDBUCKETS_OFF + 8;
	} else if (len < SWISS_HEADER_LEN) {
		len = SWISS_HEADER_LEN;
	}
	return len;
}

static uint64_t get_u(const uint8_t *p, size_t size)
{
	uint64_t v = 0;

	memcpy(&v, p, size > 8 ? 8 : size);	/* little endian */
	return v;
}

uint64_t gomap__classic_buckets(uint8_t B)
{
	uint64_t nb = 1ULL << B;

	if (B >= 4)
		nb += 1ULL << (B - 4);	/* makeBucketArray preallocates overflow buckets */
	return nb;
}

enum gomap_status gomap__parse_header(const struct gm_layout *lay, const uint8_t *hdr,
				      uint64_t bucket_size, struct gomap_header *h)
{
	uint64_t bsz = bucket_size >= MIN_BUCKET_BYTES ? bucket_size : MIN_BUCKET_BYTES;

	memset(h, 0, sizeof(*h));
	h->count = get_u(hdr + lay->map_count_off, 8);
	h->seed = get_u(hdr + lay->map_seed_off, lay->map_seed_size);
	h->buckets = get_u(hdr + lay->map_buckets_off, 8);
	if (bucket_size && bucket_size > GOMAP_MAX_BYTES)
		return GOMAP_BAD_HEADER;
	if (lay->impl == GM_MAP_CLASSIC) {
		h->B = hdr[lay->map_B_off];
		h->flags = hdr[8];
		h->noverflow = (uint16_t)get_u(hdr + CLASSIC_NOVERFLOW_OFF, 2);
		h->oldbuckets = get_u(hdr + CLASSIC_OLDBUCKETS_OFF, 8);
		if (h->flags & ~CLASSIC_FLAG_BITS)
			return GOMAP_BAD_HEADER;
		/* 2^B buckets must fit in the address space */
		if (h->B >= 47 || (1ULL << h->B) > GOMAP_MAX_BYTES / bsz)
			return GOMAP_BAD_HEADER;
		/*
		 * A map grows before count passes 6.5 x 2^B and finishes a grow
		 * within 2^(B-1) inserts: count never reaches 8 x 2^B.
		 */
		if (h->count > (8ULL << h->B))
			return GOMAP_BAD_HEADER;
		if (h->count && !h->buckets)
			return GOMAP_BAD_HEADER;
		if ((h->buckets | h->oldbuckets) & 7)
			return GOMAP_BAD_HEADER;
		if (h->oldbuckets && (!h->B && !(h->flags & CLASSIC_SAME_SIZE_GROW)))
			return GOMAP_BAD_HEADER;
		return GOMAP_OK;
	}
	h->dirlen = get_u(hdr + lay->map_dirlen_off, 8);
	h->global_depth = hdr[SWISS_GLOBAL_DEPTH_OFF];
	h->global_shift = hdr[SWISS_GLOBAL_SHIFT_OFF];
	if (hdr[SWISS_WRITING_OFF] > 1)
		return GOMAP_BAD_HEADER;
	h->writing = hdr[SWISS_WRITING_OFF];
	if (h->buckets & 7)
		return GOMAP_BAD_HEADER;
	if (!h->dirlen) {
		/* small map: one group at dirPtr (or none yet) */
		if (h->count > GOMAP_GROUP_SLOTS || h->global_depth)
			return GOMAP_BAD_HEADER;
		if (h->count && !h->buckets)
			return GOMAP_BAD_HEADER;
		return GOMAP_OK;
	}
	if (h->global_depth >= 32 || h->dirlen != (1ULL << h->global_depth) ||
	    h->dirlen > GOMAP_MAX_DIRLEN || h->global_shift != 64 - h->global_depth)
		return GOMAP_BAD_HEADER;
	if (!h->buckets || h->count > h->dirlen * GOMAP_MAX_TABLE_CAP)
		return GOMAP_BAD_HEADER;
	return GOMAP_OK;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static enum gomap_status classic_shape(const struct gomap_header *h, uint64_t bsz,
				       struct gomap_shape *out)
{
	uint64_t nb = 0, pre = 0, ovf = h->noverflow;

	if (h->buckets) {
		nb = gomap__classic_buckets(h->B);
		pre = nb - (1ULL << h->B);
		out->capacity = 8ULL << h->B;
	}
	/* noverflow is exact below B = 16, then counts 1 in 2^(B-15) overflow buckets */
	if (h->B >= 16)
		ovf <<= h->B - 15;
	if (ovf > pre)
		nb += ovf - pre;
	/* the array being evacuated is still held */
	if (h->oldbuckets)
		nb += (h->flags & CLASSIC_SAME_SIZE_GROW) ? 1ULL << h->B : 1ULL << (h->B - 1);
	out->bytes = bsz ? nb * bsz : 0;
	if (out->bytes > GOMAP_MAX_BYTES)
		return GOMAP_BAD_STRUCTURE;
	return GOMAP_OK;
}

struct table_hdr {
	uint16_t used, capacity, growth_left;
	uint8_t local_depth;
	int64_t index;
	uint64_t groups, length_mask;
};

static void decode_table(const uint8_t *b, struct table_hdr *t)
{
	memcpy(&t->used, b + TABLE_USED_OFF, 2);
	memcpy(&t->capacity, b + TABLE_CAP_OFF, 2);
	memcpy(&t->growth_left, b + TABLE_GROWTH_LEFT_OFF, 2);
	t->local_depth = b[TABLE_LOCAL_DEPTH_OFF];
	memcpy(&t->index, b + TABLE_INDEX_OFF, 8);
	memcpy(&t->groups, b + TABLE_GROUPS_OFF, 8);
	memcpy(&t->length_mask, b + TABLE_LENGTH_MASK_OFF, 8);
}

/* A live table obeys the runtime's own checkInvariants, roughly. */
static bool table_ok(const struct table_hdr *t, uint8_t global_depth, uint64_t at)
{
	if (!pow2(t->capacity) || t->capacity < GOMAP_GROUP_SLOTS || t->capacity > GOMAP_MAX_TABLE_CAP)
		return false;
	if (t->length_mask != (uint64_t)(t->capacity / GOMAP_GROUP_SLOTS - 1) || !t->groups || (t->groups & 7))
		return false;
	if (t->used > t->capacity || t->growth_left > t->capacity)
		return false;
	return t->local_depth <= global_depth && t->index >= 0 && (uint64_t)t->index == at;
}

static enum gomap_status swiss_shape(const struct gomap_mem *mem, pid_t pid,
				     const struct gomap_header *h, uint64_t gsz,
				     struct gomap_shape *out)
{
	uint64_t *dir = NULL, *addrs = NULL, *at = NULL, i, n = 0, k;
	uint8_t *tb = NULL;
	bool *ok = NULL;
	enum gomap_status st = GOMAP_BAD_STRUCTURE;
	int r;

	if (!h->dirlen) {
		out->capacity = h->buckets ? GOMAP_GROUP_SLOTS : 0;
		out->bytes = h->buckets ? gsz : 0;
		return GOMAP_OK;
	}
	dir = malloc(h->dirlen * 8);
	addrs = malloc(h->dirlen * 8);
	at = malloc(h->dirlen * 8);
	if (!dir || !addrs || !at) {
		st = GOMAP_UNSTABLE;	/* no memory here says nothing about the map */
		goto cleanup;
	}
	r = mem->read(mem->ctx, pid, h->buckets, dir, h->dirlen * 8);
	if (r) {
		st = r == -ESRCH ? GOMAP_UNREADABLE : GOMAP_BAD_STRUCTURE;
		goto cleanup;
	}
	/* distinct tables appear as runs; each run's length is checked below */
	for (i = 0; i < h->dirlen; i++) {
		if (!dir[i] || (dir[i] & 7))
			goto cleanup;
		if (i && dir[i] == dir[i - 1])
			continue;
		addrs[n] = dir[i];
		at[n++] = i;
	}
	tb = malloc(n * GOMAP_TABLE_BYTES);
	ok = calloc(n, sizeof(*ok));
	if (!tb || !ok) {
		st = GOMAP_UNSTABLE;
		goto cleanup;
	}
	if (gomap__read_many(mem, pid, addrs, n, GOMAP_TABLE_BYTES, tb, ok) == -ESRCH) {
		st = GOMAP_UNREADABLE;
		goto cleanup;
	}
	out->tables = (uint32_t)n;
	out->dirlen = (uint32_t)h->dirlen;
	out->bytes = h->dirlen * 8 + n * GOMAP_TABLE_BYTES;
	for (k = 0; k < n; k++) {
		struct table_hdr t;
		uint64_t span, end = k + 1 < n ? at[k + 1] : h->dirlen;

		if (!ok[k])
			goto cleanup;
		decode_table(tb + k * GOMAP_TABLE_BYTES, &t);
		if (!table_ok(&t, h->global_depth, at[k]))
			goto cleanup;
		/* a table of local depth d fills 2^(globalDepth - d) entries, no more, no less */
		span = 1ULL << (h->global_depth - t.local_depth);
		if (end - at[k] != span)
			goto cleanup;
		out->capacity += t.capacity;
		out->table_used += t.used;
		out->bytes += gsz ? (uint64_t)(t.capacity / GOMAP_GROUP_SLOTS) * gsz : 0;
	}
	if (!gsz)
		out->bytes = 0;
	st = GOMAP_OK;
cleanup:
	free(dir);
	free(addrs);
	free(at);
	free(tb);
	free(ok);
	return st;
}

enum gomap_status gomap__shape(const struct gomap_mem *mem, pid_t pid, const struct gm_layout *lay,
			       const struct gomap_header *h, uint64_t bucket_size,
			       struct gomap_shape *out)
{
	memset(out, 0, sizeof(*out));
	if (bucket_size > GOMAP_MAX_BYTES)
		return GOMAP_BAD_STRUCTURE;
	if (lay->impl == GM_MAP_CLASSIC)
		return classic_shape(h, bucket_size, out);
	return swiss_shape(mem, pid, h, bucket_size, out);
}

void gomap__growth_cost(const struct gm_event *e, uint64_t bucket_size, uint64_t *bytes,
			uint64_t *capacity)
{
	uint64_t bsz = bucket_size, b;

	*bytes = 0;
	*capacity = 0;
	if (bsz > GOMAP_MAX_BYTES)
		return;
	switch (e->kind) {
	case GM_PROBE_HASHGROW:
		/* mapassign grows when count+1 > 8 and > 6.5 * 2^B; else same-size */
		b = e->arg;
		if (b >= 46)
			return;
		if (e->entries + 1 > 8 && (e->entries + 1) * 2 > 13 * (1ULL << b))
			b++;
		*bytes = gomap__classic_buckets((uint8_t)b) * bsz;
		*capacity = 8ULL << b;
		break;
	case GM_PROBE_NEWOVERFLOW:
		*bytes = e->arg2 ? 0 : bsz;	/* a preallocated one costs nothing new */
		break;
	case GM_PROBE_TRIE_EXPAND:
		/* sync.Map (Go >= 1.24): one indirect node at least (synctrie.h) */
		*bytes = SYNCTRIE_IND_ALLOC;
		break;
	case GM_PROBE_GROW_TO_SMALL:
		*bytes = bsz;
		*capacity = GOMAP_GROUP_SLOTS;
		break;
	case GM_PROBE_GROW_TO_TABLE:
		/* a 16-slot table and a one-entry directory */
		*bytes = 2 * bsz + GOMAP_TABLE_BYTES + 8;
		break;
	case GM_PROBE_TABLE_GROW:
		/* arg: the new capacity */
		if (e->arg <= GOMAP_MAX_TABLE_CAP)
			*bytes = (e->arg / GOMAP_GROUP_SLOTS) * bsz + GOMAP_TABLE_BYTES;
		break;
	case GM_PROBE_TABLE_SPLIT:
		/* two full-size tables replace one (arg: the old one's capacity) */
		*bytes = 2 * ((GOMAP_MAX_TABLE_CAP / GOMAP_GROUP_SLOTS) * bsz + GOMAP_TABLE_BYTES);
		break;
	default:
		break;
	}
}
