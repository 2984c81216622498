// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <elf.h>
#include <zlib.h>
#include "holder.h"
#include "pprof.h"
#include "u64map.h"

/* profile.proto field numbers (github.com/google/pprof/proto/profile.proto) */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,

	VALUETYPE_TYPE = 1,
	VALUETYPE_UNIT = 2,

	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,

	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	LABEL_NUM_UNIT = 4,

	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,

	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,

	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,

	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

#define MAX_LINES 32		/* inlined frames kept per location */
#define PAGE_MASK_4K 0xfffULL

void pbuf__init(struct pbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void pbuf__fini(struct pbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static bool pbuf_reserve(struct pbuf *b, size_t more)
{
	size_t cap;
	uint8_t *d;

	if (b->failed)
		return false;
	if (b->len + more <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d) {
		b->failed = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

void pbuf__raw(struct pbuf *b, const void *p, size_t len)
{
	if (!len || !pbuf_reserve(b, len))
		return;
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

void pbuf__varint(struct pbuf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	pbuf__raw(b, tmp, n);
}

void pbuf__key(struct pbuf *b, uint32_t field, enum pb_wire wire)
{
	pbuf__varint(b, (uint64_t)field << 3 | wire);
}

void pbuf__uint(struct pbuf *b, uint32_t field, uint64_t v)
{
	pbuf__key(b, field, PB_VARINT);
	pbuf__varint(b, v);
}

void pbuf__int(struct pbuf *b, uint32_t field, int64_t v)
{
	pbuf__uint(b, field, (uint64_t)v);
}

void pbuf__bytes(struct pbuf *b, uint32_t field, const void *p, size_t len)
{
	pbuf__key(b, field, PB_LEN);
	pbuf__varint(b, len);
	pbuf__raw(b, p, len);
}

void pbuf__string(struct pbuf *b, uint32_t field, const char *s)
{
	pbuf__bytes(b, field, s, strlen(s));
}

void pbuf__message(struct pbuf *b, uint32_t field, const struct pbuf *sub)
{
	if (sub->failed)
		b->failed = true;
	pbuf__bytes(b, field, sub->data, sub->len);
}

void pbuf__packed(struct pbuf *b, uint32_t field, const uint64_t *v, size_t n)
{
	struct pbuf tmp;
	size_t i;

	if (!n)
		return;
	pbuf__init(&tmp);
	for (i = 0; i < n; i++)
		pbuf__varint(&tmp, v[i]);
	pbuf__message(b, field, &tmp);
	pbuf__fini(&tmp);
}

/*
 * Interned things hang off a u64map by hash; the rare collisions chain
 * through `next`, so a hash is never trusted as an identity.
 */
struct strent {
	struct strent *next;
	int64_t idx;
};

struct fnent {
	struct fnent *next;
	int64_t name, system_name, file, start_line;
	uint64_t id;
};

struct locent {
	struct locent *next;
	uint64_t mapping_id, address, id;
	uint32_t tag;
};

struct pprof {
	struct pbuf body;		/* every field but the string table and times */
	char **strings;
	size_t str_cnt, str_cap;
	struct u64map str_idx, fn_idx, loc_idx;
	uint64_t next_mapping, next_function, next_location;
	size_t value_cnt;
	int64_t default_type;
	int64_t time_nanos, duration_nanos;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const uint8_t *s = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

static uint64_t hash_u64s(const uint64_t *v, size_t n)
{
	return hash_bytes(1469598103934665603ULL, v, n * sizeof(*v));
}

struct pprof *pprof__new(const struct pprof_value_type *types, size_t n, size_t default_type)
{
	struct pprof *p = calloc(1, sizeof(*p));
	struct pbuf vt;
	size_t i;

	if (!p)
		return NULL;
	u64map__init(&p->str_idx);
	u64map__init(&p->fn_idx);
	u64map__init(&p->loc_idx);
	pbuf__init(&vt);
	p->value_cnt = n;
	if (pprof__string(p, "") != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		vt.len = 0;
		pbuf__int(&vt, VALUETYPE_TYPE, pprof__string(p, types[i].type));
		pbuf__int(&vt, VALUETYPE_UNIT, pprof__string(p, types[i].unit));
		pbuf__message(&p->body, PROFILE_SAMPLE_TYPE, &vt);
	}
	if (default_type < n)
		p->default_type = pprof__string(p, types[default_type].type);
	pbuf__fini(&vt);
	if (p->body.failed || p->default_type < 0)
		goto fail;
	return p;
fail:
	pbuf__fini(&vt);
	pprof__free(p);
	return NULL;
}

static void free_chains(struct u64map *m, size_t next_off)
{
	size_t it = 0;
	void *v, *next;

	while (u64map__next(m, &it, NULL, &v)) {
		for (; v; v = next) {
			next = *(void **)((char *)v + next_off);
			free(v);
		}
	}
	u64map__fini(m);
}

void pprof__free(struct pprof *p)
{
	size_t i;

	if (!p)
		return;
	free_chains(&p->str_idx, offsetof(struct strent, next));
	free_chains(&p->fn_idx, offsetof(struct fnent, next));
	free_chains(&p->loc_idx, offsetof(struct locent, next));
	for (i = 0; i < p->str_cnt; i++)
		free(p->strings[i]);
	free(p->strings);
	pbuf__fini(&p->body);
	free(p);
}

int64_t pprof__string(struct pprof *p, const char *s)
{
	uint64_t h;
	struct strent *head, *e;
	char **arr;

	if (!s)
		s = "";
	h = hash_bytes(1469598103934665603ULL, s, strlen(s));
	head = u64map__get(&p->str_idx, h);
	for (e = head; e; e = e->next)
		if (!strcmp(p->strings[e->idx], s))
			return e->idx;
	if (p->str_cnt == p->str_cap) {
		size_t cap = p->str_cap ? p->str_cap * 2 : 64;

		arr = realloc(p->strings, cap * sizeof(*arr));
		if (!arr)
			return -1;
		p->strings = arr;
		p->str_cap = cap;
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -1;
	p->strings[p->str_cnt] = strdup(s);
	if (!p->strings[p->str_cnt] || u64map__set(&p->str_idx, h, e)) {
		free(p->strings[p->str_cnt]);
		free(e);
		return -1;
	}
	e->idx = (int64_t)p->str_cnt++;
	e->next = head;
	return e->idx;
}

uint64_t pprof__mapping(struct pprof *p, uint64_t start, uint64_t limit, uint64_t offset,
			const char *file, const char *build_id)
{
	int64_t fidx = pprof__string(p, file), bidx = pprof__string(p, build_id);
	struct pbuf m;
	uint64_t id = ++p->next_mapping;

	if (fidx < 0 || bidx < 0)
		return 0;
	pbuf__init(&m);
	pbuf__uint(&m, MAPPING_ID, id);
	pbuf__uint(&m, MAPPING_MEMORY_START, start);
	pbuf__uint(&m, MAPPING_MEMORY_LIMIT, limit);
	pbuf__uint(&m, MAPPING_FILE_OFFSET, offset);
	pbuf__int(&m, MAPPING_FILENAME, fidx);
	if (bidx)
		pbuf__int(&m, MAPPING_BUILD_ID, bidx);
	/* symbolized here, from pclntab: pprof must not look for the binary */
	pbuf__uint(&m, MAPPING_HAS_FUNCTIONS, 1);
	pbuf__uint(&m, MAPPING_HAS_FILENAMES, 1);
	pbuf__uint(&m, MAPPING_HAS_LINE_NUMBERS, 1);
	pbuf__uint(&m, MAPPING_HAS_INLINE_FRAMES, 1);
	pbuf__message(&p->body, PROFILE_MAPPING, &m);
	pbuf__fini(&m);
	return p->body.failed ? 0 : id;
}

static uint64_t function_id(struct pprof *p, const struct pprof_line *ln)
{
	int64_t key[4] = {
		pprof__string(p, ln->function),
		pprof__string(p, ln->system_name ? ln->system_name : ln->function),
		pprof__string(p, ln->file),
		ln->start_line,
	};
	uint64_t h = hash_u64s((const uint64_t *)key, 4);
	struct fnent *head = u64map__get(&p->fn_idx, h), *e;
	struct pbuf f;

	if (key[0] < 0 || key[1] < 0 || key[2] < 0)
		return 0;
	for (e = head; e; e = e->next)
		if (e->name == key[0] && e->system_name == key[1] && e->file == key[2] &&
		    e->start_line == key[3])
			return e->id;
	e = calloc(1, sizeof(*e));
	if (!e || u64map__set(&p->fn_idx, h, e)) {
		free(e);
		return 0;
	}
	e->next = head;
	e->name = key[0];
	e->system_name = key[1];
	e->file = key[2];
	e->start_line = key[3];
	e->id = ++p->next_function;
	pbuf__init(&f);
	pbuf__uint(&f, FUNCTION_ID, e->id);
	pbuf__int(&f, FUNCTION_NAME, e->name);
	pbuf__int(&f, FUNCTION_SYSTEM_NAME, e->system_name);
	pbuf__int(&f, FUNCTION_FILENAME, e->file);
	pbuf__int(&f, FUNCTION_START_LINE, e->start_line);
	pbuf__message(&p->body, PROFILE_FUNCTION, &f);
	pbuf__fini(&f);
	return p->body.failed ? 0 : e->id;
}

uint64_t pprof__location(struct pprof *p, uint64_t mapping_id, uint64_t address, uint32_t tag,
			 const struct pprof_line *lines, size_t n)
{
	uint64_t key[3] = { mapping_id, address, tag };
	uint64_t h = hash_u64s(key, 3), fid;
	struct locent *head = u64map__get(&p->loc_idx, h), *e;
	struct pbuf loc, line;
	size_t i;

	for (e = head; e; e = e->next)
		if (e->mapping_id == mapping_id && e->address == address && e->tag == tag)
			return e->id;
	e = calloc(1, sizeof(*e));
	if (!e || u64map__set(&p->loc_idx, h, e)) {
		free(e);
		return 0;
	}
	e->next = head;
	e->mapping_id = mapping_id;
	e->address = address;
	e->tag = tag;
	e->id = ++p->next_location;
	pbuf__init(&loc);
	pbuf__init(&line);
	pbuf__uint(&loc, LOCATION_ID, e->id);
	if (mapping_id)
		pbuf__uint(&loc, LOCATION_MAPPING_ID, mapping_id);
	pbuf__uint(&loc, LOCATION_ADDRESS, address);
	for (i = 0; i < n; i++) {
		/* functions first: a Line may only name a Function already interned */
		fid = function_id(p, &lines[i]);
		if (!fid)
			loc.failed = true;
		line.len = 0;
		pbuf__uint(&line, LINE_FUNCTION_ID, fid);
		pbuf__int(&line, LINE_LINE, lines[i].line);
		pbuf__message(&loc, LOCATION_LINE, &line);
	}
	pbuf__message(&p->body, PROFILE_LOCATION, &loc);
	pbuf__fini(&line);
	pbuf__fini(&loc);
	return p->body.failed ? 0 : e->id;
}

int pprof__sample(struct pprof *p, const uint64_t *location_ids, size_t n, const int64_t *values,
		  const struct pprof_label *labels, size_t nlabels)
{
	struct pbuf s, l;
	size_t i;

	pbuf__init(&s);
	pbuf__init(&l);
	pbuf__packed(&s, SAMPLE_LOCATION_ID, location_ids, n);
	/* int64 values travel as their two's complement varint */
	pbuf__packed(&s, SAMPLE_VALUE, (const uint64_t *)values, p->value_cnt);
	for (i = 0; i < nlabels; i++) {
		int64_t key = pprof__string(p, labels[i].key);

		l.len = 0;
		if (key < 0)
			l.failed = true;
		pbuf__int(&l, LABEL_KEY, key);
		if (labels[i].str) {
			int64_t str = pprof__string(p, labels[i].str);

			if (str < 0)
				l.failed = true;
			pbuf__int(&l, LABEL_STR, str);
		} else {
			pbuf__int(&l, LABEL_NUM, labels[i].num);
			if (labels[i].num_unit)
				pbuf__int(&l, LABEL_NUM_UNIT, pprof__string(p, labels[i].num_unit));
		}
		pbuf__message(&s, SAMPLE_LABEL, &l);
	}
	pbuf__message(&p->body, PROFILE_SAMPLE, &s);
	pbuf__fini(&l);
	pbuf__fini(&s);
	return p->body.failed ? -ENOMEM : 0;
}

int pprof__comment(struct pprof *p, const char *s)
{
	int64_t idx = pprof__string(p, s);

	if (idx < 0)
		return -ENOMEM;
	pbuf__int(&p->body, PROFILE_COMMENT, idx);
	return p->body.failed ? -ENOMEM : 0;
}

void pprof__set_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos)
{
	p->time_nanos = time_nanos;
	p->duration_nanos = duration_nanos;
}

int pprof__encode(struct pprof *p, struct pbuf *out)
{
	size_t i;

	pbuf__raw(out, p->body.data, p->body.len);
	if (p->body.failed)
		out->failed = true;
	for (i = 0; i < p->str_cnt; i++)
		pbuf__string(out, PROFILE_STRING_TABLE, p->strings[i]);
	if (p->time_nanos)
		pbuf__int(out, PROFILE_TIME_NANOS, p->time_nanos);
	if (p->duration_nanos)
		pbuf__int(out, PROFILE_DURATION_NANOS, p->duration_nanos);
	if (p->default_type)
		pbuf__int(out, PROFILE_DEFAULT_SAMPLE_TYPE, p->default_type);
	return out->failed ? -ENOMEM : 0;
}

int pprof__gzip(FILE *f, const void *data, size_t len)
{
	uint8_t out[16384];
	z_stream zs = {};
	size_t left = len, have;
	int zret, ret = 0;

	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)data;
	do {
		/* avail_in is a uInt: feed huge inputs in slices */
		if (!zs.avail_in && left) {
			zs.avail_in = left > (1u << 30) ? (1u << 30) : (uInt)left;
			left -= zs.avail_in;
		}
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zret = deflate(&zs, left ? Z_NO_FLUSH : Z_FINISH);
		if (zret == Z_STREAM_ERROR) {
			ret = -EINVAL;
			goto cleanup;
		}
		have = sizeof(out) - zs.avail_out;
		if (have && fwrite(out, 1, have, f) != have) {
			ret = -EIO;
			goto cleanup;
		}
	} while (zret != Z_STREAM_END);
cleanup:
	deflateEnd(&zs);
	return ret;
}

struct text_map {
	const struct target *t;
	uint64_t start, limit, offset;
	char *file;
	size_t file_len;
};

static int is_text(const struct target_mapping *m, void *ctx)
{
	struct text_map *tm = ctx;

	if (m->ino != (uint64_t)tm->t->bin->ino || !strchr(m->perms, 'x'))
		return 0;
	tm->start = m->start;
	tm->limit = m->end;
	tm->offset = m->offset;
	snprintf(tm->file, tm->file_len, "%s", *m->path ? m->path : tm->t->exe);
	return 1;
}

/* The executable's text of one target: /proc/PID/maps while it runs. */
static bool text_from_proc(const struct target *t, uint64_t *start, uint64_t *limit,
			   uint64_t *offset, char *file, size_t file_len)
{
	struct text_map tm = { .t = t, .file = file, .file_len = file_len };

	if (target__each_mapping(t->pid, is_text, &tm) <= 0)
		return false;
	*start = tm.start;
	*limit = tm.limit;
	*offset = tm.offset;
	return true;
}

/* The same from the ELF's executable segment, once the process is gone. */
static bool text_from_elf(const struct target *t, uint64_t *start, uint64_t *limit,
			  uint64_t *offset)
{
	const struct goelf_segment *seg;
	size_t i;

	if (!t->bias_known)
		return false;
	for (i = 0; i < goelf__segment_cnt(t->bin->elf); i++) {
		seg = goelf__segment(t->bin->elf, i);
		if (!seg || seg->type != PT_LOAD || !(seg->flags & PF_X))
			continue;
		*start = t->bias + (seg->vaddr & ~PAGE_MASK_4K);
		*limit = t->bias + ((seg->vaddr + seg->memsz + PAGE_MASK_4K) & ~PAGE_MASK_4K);
		*offset = seg->offset & ~PAGE_MASK_4K;
		return true;
	}
	return false;
}

struct tmapping {
	const struct target *tgt;
	uint64_t id, start, limit;
};

/* The Mapping of a target's executable, made on first use; NULL on failure. */
static const struct tmapping *target_mapping(struct pprof *p, struct tmapping *cache, size_t *cnt,
					     const struct target *t)
{
	struct tmapping *tm;
	uint64_t offset = 0;
	char file[4096];
	size_t i;

	for (i = 0; i < *cnt; i++)
		if (cache[i].tgt == t)
			return &cache[i];
	tm = &cache[*cnt];
	memset(tm, 0, sizeof(*tm));
	tm->tgt = t;
	snprintf(file, sizeof(file), "%s", t->exe);
	if (!text_from_proc(t, &tm->start, &tm->limit, &offset, file, sizeof(file)))
		text_from_elf(t, &tm->start, &tm->limit, &offset);
	tm->id = pprof__mapping(p, tm->start, tm->limit, offset, file, NULL);
	if (!tm->id)
		return NULL;
	(*cnt)++;
	return tm;
}

/* The locations of a stack, leaf first; n of them.  -ENOMEM on failure. */
static int stack_locations(struct pprof *p, const struct tmapping *tm, const struct target *t,
			   const struct tstack *st, uint64_t *locs, uint32_t *n)
{
	struct pcln_frame fr[MAX_LINES];
	struct pprof_line lines[MAX_LINES];
	uint32_t i, nr = st->nr < GM_MAX_STACK_DEPTH ? st->nr : GM_MAX_STACK_DEPTH;
	int k, nf;

	for (i = 0; i < nr; i++) {
		uint64_t pc = st->pcs[i], mid = tm->id;

		/* a pc outside the executable's text (a cgo library) is not its */
		if (tm->limit && (pc < tm->start || pc >= tm->limit))
			mid = 0;
		nf = target__symbolize(t, pc, i > 0, fr, MAX_LINES);
		for (k = 0; k < nf; k++)
			lines[k] = (struct pprof_line){ .function = fr[k].function, .file = fr[k].file,
							.line = fr[k].line };
		locs[i] = pprof__location(p, mid, pc, i > 0, lines, (size_t)nf);
		if (!locs[i])
			return -ENOMEM;
	}
	*n = nr;
	return 0;
}

/*
 * A map's samples, as Go's heap profile has them: one per growth stack (an
 * insert that grew the map, so the inserting function is a frame), with the
 * bytes allocated there, its share of the memory the map holds now, and
 * labels naming the map and where it was created.
 */
static int add_map(struct pprof *p, const struct tmapping *tm, const struct tmap *m)
{
	struct pprof_label labels[6];
	uint64_t locs[GM_MAX_STACK_DEPTH], alloc, grows, inuse, entries;
	char type[256], created[512], addr[32];
	const struct holder_info *h = holder__get(m);
	const struct tstack *st;
	uint32_t nr;
	int i, ret, nl = 5;

	report__type_name(m->tgt, m->type, type, sizeof(type));
	if (m->created_seen && m->created_at.function)
		report__loc_str(&m->created_at, created, sizeof(created));
	else
		snprintf(created, sizeof(created), "(%s)", tunseen__text(m->unseen));
	snprintf(addr, sizeof(addr), "0x%" PRIx64, m->addr);
	labels[0] = (struct pprof_label){ .key = "type", .str = type };
	labels[1] = (struct pprof_label){ .key = "verdict", .str = verdict__str(m->s.verdict) };
	labels[2] = (struct pprof_label){ .key = "pid", .num = m->tgt->pid };
	labels[3] = (struct pprof_label){ .key = "map", .str = addr };
	labels[4] = (struct pprof_label){ .key = "created_at", .str = created };
	if (h && h->kind != HOLDER_UNKNOWN)
		labels[nl++] = (struct pprof_label){ .key = "held_by",
						     .str = h->path[0] ? h->path : h->name };
	for (i = 0; i < TMAP_GROWTH_STACKS; i++) {
		int64_t values[5];

		st = tmap__growth_sample(m, i, &alloc, &grows, &inuse, &entries);
		if (!st)
			continue;
		ret = stack_locations(p, tm, m->tgt, st, locs, &nr);
		if (ret)
			return ret;
		values[0] = (int64_t)inuse;
		values[1] = (int64_t)alloc;
		values[2] = (int64_t)grows;
		values[3] = (int64_t)entries;
		/*
		 * retained_space: bucket memory plus what keys and values point
		 * to, for maps searched (leak/growing), split like inuse_space;
		 * inuse_space for the others.
		 */
		values[4] = (int64_t)inuse;
		if (h && h->retained_known && m->bucket_bytes)
			values[4] = (int64_t)((double)h->retained_bytes * inuse / m->bucket_bytes);
		else if (h && h->retained_known && m->s.last)
			values[4] = (int64_t)((double)h->retained_bytes * entries / m->s.last);
		ret = pprof__sample(p, locs, nr, values, labels, nl);
		if (ret)
			return ret;
	}
	return 0;
}

static int add_comments(struct pprof *p, const struct report_session *rs)
{
	char buf[4352];
	size_t i;
	int ret;

	snprintf(buf, sizeof(buf), "gomaptrace trace: %s mode, %.1fs, %.0fs windows, %" PRIu64
		 " events, %" PRIu64 " lost", rs->mode, rs->duration_s, rs->window_s,
		 rs->events_received, rs->events_lost);
	ret = pprof__comment(p, buf);
	for (i = 0; !ret && i < rs->target_cnt; i++) {
		const struct target *t = rs->targets[i];

		snprintf(buf, sizeof(buf), "target pid %d (%s) %s: %s, %s maps", (int)t->pid, t->comm,
			 t->exe, t->bin->bi.version,
			 gomap__impl_name(t->bin->plan->impl));
		ret = pprof__comment(p, buf);
	}
	return ret;
}

/* The whole profile, encoded (not compressed) into out. */
static int build(const struct tracker *tr, const struct report_session *rs, struct pbuf *out)
{
	static const struct pprof_value_type types[] = {
		{ "inuse_space", "bytes" },
		{ "alloc_space", "bytes" },
		{ "grows", "count" },
		{ "entries", "count" },
		{ "retained_space", "bytes" },
	};
	struct pprof *p = pprof__new(types, 5, 0);
	const struct tmapping *tm;
	struct tmapping *mcache = NULL;
	struct tmap **maps = NULL;
	struct timespec now;
	size_t nm = 0, mcnt = 0, i;
	int64_t dur = (int64_t)(rs->duration_s * 1e9);
	int ret = -ENOMEM;

	if (!p)
		goto cleanup;
	holder__resolve(tr, rs->final, NULL);
	nm = tracker__maps(tr, &maps);
	/* at most one mapping per process, and every map names its process */
	mcache = calloc(nm + rs->target_cnt + 1, sizeof(*mcache));
	if (!maps || !mcache)
		goto cleanup;
	/* targets first, in order: pprof titles the profile with the first mapping's file */
	for (i = 0; i < rs->target_cnt; i++)
		if (!target_mapping(p, mcache, &mcnt, rs->targets[i]))
			goto cleanup;
	ret = add_comments(p, rs);
	for (i = 0; !ret && i < nm; i++) {
		tm = target_mapping(p, mcache, &mcnt, maps[i]->tgt);
		ret = tm ? add_map(p, tm, maps[i]) : -ENOMEM;
	}
	if (ret)
		goto cleanup;
	clock_gettime(CLOCK_REALTIME, &now);
	pprof__set_time(p, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - dur, dur);
	ret = pprof__encode(p, out);
cleanup:
	free(mcache);
	free(maps);
	pprof__free(p);
	return ret;
}

int pprof__write_maps_to(FILE *f, const struct tracker *tr, const struct report_session *rs)
{
	struct pbuf out;
	int ret;

	pbuf__init(&out);
	ret = build(tr, rs, &out);
	if (!ret)
		ret = pprof__gzip(f, out.data, out.len);
	pbuf__fini(&out);
	return ret;
}
