// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
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
