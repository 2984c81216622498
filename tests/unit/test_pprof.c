// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pprof: the protobuf wire encoding read back by a decoder written here from
 * the protobuf encoding spec (not by the code under test), and the
 * invariants profile.proto readers enforce (pprof's CheckValid and
 * postDecode) checked on profiles built through the public builder: string
 * 0 is "", every id is non-zero and unique, every reference resolves,
 * interning deduplicates, lines keep their innermost-first order.  The
 * gzip output is inflated with zlib and compared.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include "pprof.h"
#include "cases.h"

/* ---- a tiny protobuf decoder ---- */

struct field {
	uint32_t num;
	int wire;
	uint64_t v;		/* varint, fixed64, fixed32 */
	const uint8_t *p;	/* length-delimited */
	size_t len;
};

static int dec_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	int shift;

	for (shift = 0; shift < 70; shift += 7) {
		if (*p >= end)
			return -1;
		r |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Next field of a message; 1 at the end, -1 when malformed. */
static int next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key, len;

	if (*p == end)
		return 1;
	if (dec_varint(p, end, &key) || !(key >> 3))
		return -1;
	memset(f, 0, sizeof(*f));
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	switch (f->wire) {
	case 0:
		return dec_varint(p, end, &f->v);
	case 1:
		if (end - *p < 8)
			return -1;
		memcpy(&f->v, *p, 8);
		*p += 8;
		return 0;
	case 2:
		if (dec_varint(p, end, &len) || len > (uint64_t)(end - *p))
			return -1;
		f->p = *p;
		f->len = (size_t)len;
		*p += len;
		return 0;
	case 5:
		if (end - *p < 4)
			return -1;
		memcpy(&f->v, *p, 4);
		*p += 4;
		return 0;
	default:
		return -1;
	}
}

/* A repeated varint field, packed or not, appended to out. */
static void take_varints(const struct field *f, uint64_t *out, size_t *n, size_t max)
{
	const uint8_t *p = f->p, *end = f->p + f->len;

	if (f->wire == 0) {
		assert_true(*n < max);
		out[(*n)++] = f->v;
		return;
	}
	assert_int_equal(f->wire, 2);
	while (p < end) {
		assert_true(*n < max);
		assert_int_equal(dec_varint(&p, end, &out[(*n)++]), 0);
	}
}

/* ---- a decoded profile, as much of it as the tests look at ---- */

#define MAXN 64

struct dline { uint64_t fn; int64_t line; };
struct dlabel { int64_t key, str, num; };
struct dsample {
	uint64_t locs[MAXN], vals[MAXN];
	size_t nloc, nval;
	struct dlabel labels[8];
	size_t nlab;
};
struct dloc {
	uint64_t id, mapping, addr;
	struct dline lines[MAXN];
	size_t nlines;
};
struct dfunc { uint64_t id; int64_t name, sys, file, start; };
struct dmap { uint64_t id, start, limit, off, has_fn; int64_t file; };
struct dprof {
	char *strings[256];
	size_t nstr;
	int64_t st[8][2];
	size_t nst;
	struct dsample samples[MAXN];
	size_t nsamples;
	struct dloc locs[MAXN];
	size_t nlocs;
	struct dfunc funcs[MAXN];
	size_t nfuncs;
	struct dmap maps[8];
	size_t nmaps;
	uint64_t comments[8];
	size_t ncomments;
	int64_t default_type, time_nanos, duration_nanos;
};

#define FOR_FIELDS(buf, len, f)                                                         \
	for (const uint8_t *_p = (buf), *_e = (buf) + (len); next_field(&_p, _e, &(f)) == 0 \
	     || (assert_true(_p == _e), 0);)

static void dec_sample(const struct field *m, struct dsample *s)
{
	struct field f, g;

	FOR_FIELDS(m->p, m->len, f) {
		if (f.num == 1)
			take_varints(&f, s->locs, &s->nloc, MAXN);
		else if (f.num == 2)
			take_varints(&f, s->vals, &s->nval, MAXN);
		else if (f.num == 3) {
			struct dlabel *l = &s->labels[s->nlab++];

			FOR_FIELDS(f.p, f.len, g) {
				if (g.num == 1)
					l->key = (int64_t)g.v;
				else if (g.num == 2)
					l->str = (int64_t)g.v;
				else if (g.num == 3)
					l->num = (int64_t)g.v;
			}
		}
	}
}

static void dec_location(const struct field *m, struct dloc *l)
{
	struct field f, g;

	FOR_FIELDS(m->p, m->len, f) {
		if (f.num == 1)
			l->id = f.v;
		else if (f.num == 2)
			l->mapping = f.v;
		else if (f.num == 3)
			l->addr = f.v;
		else if (f.num == 4) {
			struct dline *ln = &l->lines[l->nlines++];

			FOR_FIELDS(f.p, f.len, g) {
				if (g.num == 1)
					ln->fn = g.v;
				else if (g.num == 2)
					ln->line = (int64_t)g.v;
			}
		}
	}
}

static void decode(const uint8_t *buf, size_t len, struct dprof *d)
{
	struct field f, g;

	memset(d, 0, sizeof(*d));
	FOR_FIELDS(buf, len, f) {
		switch (f.num) {
		case 1:
			FOR_FIELDS(f.p, f.len, g)
				d->st[d->nst][g.num - 1] = (int64_t)g.v;
			d->nst++;
			break;
		case 2:
			assert_true(d->nsamples < MAXN);
			dec_sample(&f, &d->samples[d->nsamples++]);
			break;
		case 3: {
			struct dmap *m = &d->maps[d->nmaps++];

			FOR_FIELDS(f.p, f.len, g) {
				if (g.num == 1)
					m->id = g.v;
				else if (g.num == 2)
					m->start = g.v;
				else if (g.num == 3)
					m->limit = g.v;
				else if (g.num == 4)
					m->off = g.v;
				else if (g.num == 5)
					m->file = (int64_t)g.v;
				else if (g.num == 7)
					m->has_fn = g.v;
			}
			break;
		}
		case 4:
			assert_true(d->nlocs < MAXN);
			dec_location(&f, &d->locs[d->nlocs++]);
			break;
		case 5: {
			struct dfunc *fn = &d->funcs[d->nfuncs++];

			FOR_FIELDS(f.p, f.len, g) {
				int64_t v = (int64_t)g.v;

				if (g.num == 1)
					fn->id = g.v;
				else if (g.num == 2)
					fn->name = v;
				else if (g.num == 3)
					fn->sys = v;
				else if (g.num == 4)
					fn->file = v;
				else if (g.num == 5)
					fn->start = v;
			}
			break;
		}
		case 6:
			assert_int_equal(f.wire, 2);
			assert_true(d->nstr < 256);
			d->strings[d->nstr] = strndup((const char *)f.p, f.len);
			assert_non_null(d->strings[d->nstr++]);
			break;
		case 9:
			d->time_nanos = (int64_t)f.v;
			break;
		case 10:
			d->duration_nanos = (int64_t)f.v;
			break;
		case 13:
			take_varints(&f, d->comments, &d->ncomments, 8);
			break;
		case 14:
			d->default_type = (int64_t)f.v;
			break;
		default:
			fail_msg("unexpected Profile field %u", f.num);
		}
	}
}

static void dprof_free(struct dprof *d)
{
	for (size_t i = 0; i < d->nstr; i++)
		free(d->strings[i]);
}

static const char *str(const struct dprof *d, int64_t idx)
{
	assert_true(idx >= 0 && (size_t)idx < d->nstr);
	return d->strings[idx];
}

static const struct dloc *find_loc(const struct dprof *d, uint64_t id)
{
	for (size_t i = 0; i < d->nlocs; i++)
		if (d->locs[i].id == id)
			return &d->locs[i];
	fail_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

static const struct dfunc *find_func(const struct dprof *d, uint64_t id)
{
	for (size_t i = 0; i < d->nfuncs; i++)
		if (d->funcs[i].id == id)
			return &d->funcs[i];
	fail_msg("no function %llu", (unsigned long long)id);
	return NULL;
}

/* What every profile.proto reader relies on. */
static void check_invariants(const struct dprof *d)
{
	size_t i, j, k;

	assert_true(d->nstr > 0);
	assert_string_equal(d->strings[0], "");
	for (i = 0; i < d->nstr; i++)
		for (j = i + 1; j < d->nstr; j++)
			assert_string_not_equal(d->strings[i], d->strings[j]);
	for (i = 0; i < d->nst; i++) {
		str(d, d->st[i][0]);
		str(d, d->st[i][1]);
	}
	for (i = 0; i < d->nmaps; i++) {
		assert_int_not_equal(d->maps[i].id, 0);
		for (j = i + 1; j < d->nmaps; j++)
			assert_int_not_equal(d->maps[i].id, d->maps[j].id);
		str(d, d->maps[i].file);
	}
	for (i = 0; i < d->nfuncs; i++) {
		assert_int_not_equal(d->funcs[i].id, 0);
		for (j = i + 1; j < d->nfuncs; j++) {
			assert_int_not_equal(d->funcs[i].id, d->funcs[j].id);
			/* deduplicated */
			assert_false(d->funcs[i].name == d->funcs[j].name &&
				     d->funcs[i].file == d->funcs[j].file &&
				     d->funcs[i].sys == d->funcs[j].sys &&
				     d->funcs[i].start == d->funcs[j].start);
		}
		str(d, d->funcs[i].name);
		str(d, d->funcs[i].sys);
		str(d, d->funcs[i].file);
	}
	for (i = 0; i < d->nlocs; i++) {
		const struct dloc *l = &d->locs[i];
		bool found = !l->mapping;

		assert_int_not_equal(l->id, 0);
		for (j = i + 1; j < d->nlocs; j++)
			assert_int_not_equal(l->id, d->locs[j].id);
		for (j = 0; j < d->nmaps; j++)
			found |= d->maps[j].id == l->mapping;
		assert_true(found);
		for (k = 0; k < l->nlines; k++)
			find_func(d, l->lines[k].fn);
	}
	for (i = 0; i < d->nsamples; i++) {
		const struct dsample *s = &d->samples[i];

		assert_int_equal(s->nval, d->nst);
		for (k = 0; k < s->nloc; k++)
			find_loc(d, s->locs[k]);
		for (k = 0; k < s->nlab; k++) {
			str(d, s->labels[k].key);
			str(d, s->labels[k].str);
		}
	}
	for (i = 0; i < d->ncomments; i++)
		str(d, (int64_t)d->comments[i]);
	str(d, d->default_type);
}

/* ---- tests ---- */

struct varint_case {
	const char *name;
	uint64_t v;
};

static const struct varint_case varint_cases[] = {
	{ "varint 0", 0 }, { "varint 1", 1 }, { "varint 127", 127 }, { "varint 128", 128 },
	{ "varint 255", 255 }, { "varint 300", 300 }, { "varint 16383", 16383 },
	{ "varint 16384", 16384 }, { "varint 2^32-1", 0xffffffffULL }, { "varint 2^32", 0x100000000ULL },
	{ "varint 2^56-1", (1ULL << 56) - 1 }, { "varint 2^63", 1ULL << 63 },
	{ "varint 2^64-1", UINT64_MAX },
};

/* encoded in the fewest bytes, decoded back to itself */
static void test_varint_roundtrip(void **state)
{
	const struct varint_case *c = CASE(struct varint_case, state);
	const uint8_t *p;
	uint64_t v, x = c->v;
	struct pbuf b;
	int bits;

	pbuf__init(&b);
	pbuf__varint(&b, x);
	assert_false(b.failed);
	for (bits = 1; bits < 64 && x >> bits; bits++)
		;
	assert_int_equal(b.len, (size_t)(bits + 6) / 7);
	p = b.data;
	assert_int_equal(dec_varint(&p, b.data + b.len, &v), 0);
	assert_true(p == b.data + b.len);
	assert_true(v == x);
	pbuf__fini(&b);
}

static void test_varint_spec_example(void **state)
{
	struct pbuf b;

	(void)state;
	/* the spec's own example: 150 is 96 01 */
	pbuf__init(&b);
	pbuf__uint(&b, 1, 150);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "\x08\x96\x01", 3);
	pbuf__fini(&b);
}

static void test_fields_roundtrip(void **state)
{
	static const uint64_t packed[] = { 1, 300, UINT64_MAX, 0 };
	struct pbuf b, sub;
	struct field f;
	uint64_t got[8];
	size_t n = 0;
	int i = 0;

	(void)state;
	pbuf__init(&b);
	pbuf__init(&sub);
	pbuf__uint(&b, 1, 42);
	pbuf__int(&b, 2, -2);
	pbuf__string(&b, 3, "testing");
	pbuf__bytes(&b, 16, "\0\1\2", 3);	/* two-byte key */
	pbuf__uint(&sub, 1, 7);
	pbuf__string(&sub, 2, "");
	pbuf__message(&b, 4, &sub);
	pbuf__packed(&b, 5, packed, 4);
	pbuf__packed(&b, 6, packed, 0);		/* nothing at all */
	pbuf__uint(&b, 536870911, 1);		/* the largest field number */
	assert_false(b.failed);
	/* the spec's "testing" example, field 2 there; here field 3: key 0x1a */
	FOR_FIELDS(b.data, b.len, f) {
		switch (i++) {
		case 0:
			assert_int_equal(f.num, 1);
			assert_int_equal(f.wire, 0);
			assert_int_equal(f.v, 42);
			break;
		case 1:
			/* negative int64: ten bytes of two's complement */
			assert_int_equal(f.num, 2);
			assert_int_equal((int64_t)f.v, -2);
			break;
		case 2:
			assert_int_equal(f.num, 3);
			assert_int_equal(f.wire, 2);
			assert_int_equal(f.len, 7);
			assert_memory_equal(f.p, "testing", 7);
			break;
		case 3:
			assert_int_equal(f.num, 16);
			assert_int_equal(f.len, 3);
			assert_memory_equal(f.p, "\0\1\2", 3);
			break;
		case 4: {
			struct field g;
			int j = 0;

			assert_int_equal(f.num, 4);
			FOR_FIELDS(f.p, f.len, g) {
				assert_int_equal(g.num, j + 1);
				if (j++ == 0)
					assert_int_equal(g.v, 7);
				else
					assert_int_equal(g.len, 0);
			}
			assert_int_equal(j, 2);
			break;
		}
		case 5:
			assert_int_equal(f.num, 5);
			take_varints(&f, got, &n, 8);
			assert_int_equal(n, 4);
			assert_memory_equal(got, packed, sizeof(packed));
			break;
		case 6:
			assert_int_equal(f.num, 536870911);
			break;
		}
	}
	assert_int_equal(i, 7);
	/* key bytes checked against the spec: field 1 varint is 0x08, field 3 length-delimited 0x1a */
	assert_int_equal(b.data[0], 0x08);
	assert_int_equal(b.data[2], 0x10);
	assert_int_equal(b.data[2 + 1 + 10], 0x1a);
	pbuf__fini(&sub);
	pbuf__fini(&b);
}

static const struct pprof_value_type types[] = {
	{ "bucket_bytes", "bytes" },
	{ "grows", "count" },
	{ "entries", "count" },
};

/* A profile like the tracer's: two processes, inlined frames, shared callers. */
static void build_profile(struct pbuf *out)
{
	struct pprof *p = pprof__new(types, 3, 0);
	struct pprof_line mk = { "runtime.makemap_small", NULL, "/go/src/runtime/map.go", 0, 44 };
	struct pprof_line in2[2] = {
		{ "main.remember", NULL, "/src/main.go", 0, 27 },	/* inlined into: */
		{ "main.handle", NULL, "/src/main.go", 25, 40 },
	};
	struct pprof_line top = { "main.main", "main.main", "/src/main.go", 30, 55 };
	struct pprof_label labels[3] = {
		{ .key = "type", .str = "map[string]*main.Session" },
		{ .key = "verdict", .str = "leak" },
		{ .key = "pid", .num = 1234 },
	};
	uint64_t m1, m2, l[4], again;
	int64_t v1[3] = { 102208, 9, 1597 }, v2[3] = { 51008, 8, -1 };

	assert_non_null(p);
	m1 = pprof__mapping(p, 0x400000, 0x4b6000, 0, "/bin/leaky", NULL);
	m2 = pprof__mapping(p, 0x55550000, 0x55600000, 0x1000, "/bin/other", "abc");
	assert_true(m1 && m2 && m1 != m2);
	l[0] = pprof__location(p, m1, 0x401000, 0, &mk, 1);
	l[1] = pprof__location(p, m1, 0x402000, 1, in2, 2);
	l[2] = pprof__location(p, m1, 0x403000, 1, &top, 1);
	/* same mapping, address and tag: the same location */
	again = pprof__location(p, m1, 0x402000, 1, in2, 2);
	assert_int_equal(again, l[1]);
	/* another tag at the same address is another location */
	l[3] = pprof__location(p, m1, 0x401000, 1, &mk, 1);
	assert_int_not_equal(l[3], l[0]);
	assert_int_equal(pprof__sample(p, l, 3, v1, labels, 3), 0);
	/* the other process: same code, its own mapping, so its own locations */
	assert_int_not_equal(pprof__location(p, m2, 0x401000, 0, &mk, 1), l[0]);
	assert_int_equal(pprof__sample(p, l + 1, 2, v2, labels, 2), 0);
	assert_int_equal(pprof__comment(p, "target pid 1234 (leaky): go1.26.8, swiss maps"), 0);
	assert_int_equal(pprof__string(p, "map[string]*main.Session"), pprof__string(p, "map[string]*main.Session"));
	pprof__set_time(p, 1700000000000000000LL, 7000000000LL);
	assert_int_equal(pprof__encode(p, out), 0);
	pprof__free(p);
}

static void test_profile_invariants(void **state)
{
	struct pbuf out;
	struct dprof *d = calloc(1, sizeof(*d));
	const struct dloc *l;
	size_t i, k;

	(void)state;
	assert_non_null(d);
	pbuf__init(&out);
	build_profile(&out);
	decode(out.data, out.len, d);
	check_invariants(d);

	assert_int_equal(d->nst, 3);
	assert_string_equal(str(d, d->st[0][0]), "bucket_bytes");
	assert_string_equal(str(d, d->st[0][1]), "bytes");
	assert_string_equal(str(d, d->st[2][0]), "entries");
	assert_string_equal(str(d, d->default_type), "bucket_bytes");
	assert_int_equal(d->nmaps, 2);
	assert_int_equal(d->maps[0].start, 0x400000);
	assert_int_equal(d->maps[0].limit, 0x4b6000);
	assert_int_equal(d->maps[1].off, 0x1000);
	assert_string_equal(str(d, d->maps[0].file), "/bin/leaky");
	assert_true(d->maps[0].has_fn && d->maps[1].has_fn);
	/* 5 locations: 4 in the first process, 1 in the second */
	assert_int_equal(d->nlocs, 5);
	/* 4 functions: makemap_small, remember, handle, main (interned across locations) */
	assert_int_equal(d->nfuncs, 4);
	assert_int_equal(d->nsamples, 2);

	/* sample 1: leaf first, values in sample-type order, labels as given */
	assert_int_equal(d->samples[0].nloc, 3);
	assert_int_equal(d->samples[0].vals[0], 102208);
	assert_int_equal(d->samples[0].vals[1], 9);
	assert_int_equal(d->samples[0].vals[2], 1597);
	assert_int_equal((int64_t)d->samples[1].vals[2], -1);
	l = find_loc(d, d->samples[0].locs[0]);
	assert_int_equal(l->addr, 0x401000);
	assert_string_equal(str(d, find_func(d, l->lines[0].fn)->name), "runtime.makemap_small");
	/* inlined: innermost first, the caller last */
	l = find_loc(d, d->samples[0].locs[1]);
	assert_int_equal(l->nlines, 2);
	assert_string_equal(str(d, find_func(d, l->lines[0].fn)->name), "main.remember");
	assert_int_equal(l->lines[0].line, 27);
	assert_string_equal(str(d, find_func(d, l->lines[1].fn)->name), "main.handle");
	assert_int_equal(find_func(d, l->lines[1].fn)->start, 25);
	/* system_name defaults to the name */
	assert_int_equal(find_func(d, l->lines[0].fn)->sys, find_func(d, l->lines[0].fn)->name);

	for (k = 0; k < d->samples[0].nlab; k++) {
		const struct dlabel *lb = &d->samples[0].labels[k];

		if (!strcmp(str(d, lb->key), "pid")) {
			assert_int_equal(lb->num, 1234);
			assert_int_equal(lb->str, 0);
		} else if (!strcmp(str(d, lb->key), "type")) {
			assert_string_equal(str(d, lb->str), "map[string]*main.Session");
		} else {
			assert_string_equal(str(d, lb->key), "verdict");
			assert_string_equal(str(d, lb->str), "leak");
		}
	}
	assert_int_equal(d->samples[0].nlab, 3);
	assert_int_equal(d->ncomments, 1);
	assert_non_null(strstr(str(d, (int64_t)d->comments[0]), "go1.26.8, swiss maps"));
	assert_int_equal(d->time_nanos, 1700000000000000000LL);
	assert_int_equal(d->duration_nanos, 7000000000LL);
	for (i = 0; i < d->nlocs; i++)
		assert_int_not_equal(d->locs[i].mapping, 0);
	dprof_free(d);
	free(d);
	pbuf__fini(&out);
}

/* A location with no lines (an unsymbolized pc) and no mapping is still valid. */
static void test_bare_location_and_empty_profile(void **state)
{
	struct pprof *p = pprof__new(types, 3, 0);
	struct pbuf out;
	struct dprof *d = calloc(1, sizeof(*d));
	uint64_t loc;
	int64_t v[3] = { 0, 0, 0 };

	(void)state;
	assert_non_null(p);
	assert_non_null(d);
	pbuf__init(&out);
	assert_int_equal(pprof__encode(p, &out), 0);
	decode(out.data, out.len, d);
	check_invariants(d);
	assert_int_equal(d->nsamples, 0);
	dprof_free(d);

	loc = pprof__location(p, 0, 0xdead, 0, NULL, 0);
	assert_int_not_equal(loc, 0);
	assert_int_equal(pprof__sample(p, &loc, 1, v, NULL, 0), 0);
	out.len = 0;
	assert_int_equal(pprof__encode(p, &out), 0);
	decode(out.data, out.len, d);
	check_invariants(d);
	assert_int_equal(d->nlocs, 1);
	assert_int_equal(d->locs[0].nlines, 0);
	assert_int_equal(d->locs[0].mapping, 0);
	dprof_free(d);
	free(d);
	pbuf__fini(&out);
	pprof__free(p);
}

static void gzip_roundtrip(const uint8_t *data, size_t len)
{
	char *buf = NULL;
	size_t blen = 0, cap = len + 64;
	FILE *f = open_memstream(&buf, &blen);
	uint8_t *back = malloc(cap);
	z_stream zs = {};

	assert_non_null(f);
	assert_non_null(back);
	assert_int_equal(pprof__gzip(f, data, len), 0);
	assert_int_equal(fclose(f), 0);
	/* gzip magic and deflate method, as pprof's reader checks */
	assert_true(blen >= 18);
	assert_int_equal((uint8_t)buf[0], 0x1f);
	assert_int_equal((uint8_t)buf[1], 0x8b);
	assert_int_equal((uint8_t)buf[2], 8);
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (Bytef *)buf;
	zs.avail_in = (uInt)blen;
	zs.next_out = back;
	zs.avail_out = (uInt)cap;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, len);
	assert_int_equal(zs.avail_in, 0);	/* nothing after the trailer */
	if (len)
		assert_memory_equal(back, data, len);
	inflateEnd(&zs);
	free(back);
	free(buf);
}

enum gzip_input { GZ_EMPTY, GZ_PROFILE, GZ_RANDOM };

struct gzip_case {
	const char *name;
	enum gzip_input in;
};

static const struct gzip_case gzip_cases[] = {
	{ "gzip: nothing", GZ_EMPTY },
	{ "gzip: a profile", GZ_PROFILE },
	/* incompressible and larger than the output buffer many times over */
	{ "gzip: 3 MiB of noise", GZ_RANDOM },
};

static void test_gzip(void **state)
{
	const struct gzip_case *c = CASE(struct gzip_case, state);
	size_t big = 3u << 20, i;
	uint64_t x = 88172645463325252ULL;
	struct pbuf out;
	uint8_t *data;

	switch (c->in) {
	case GZ_EMPTY:
		gzip_roundtrip((const uint8_t *)"", 0);
		break;
	case GZ_PROFILE:
		pbuf__init(&out);
		build_profile(&out);
		gzip_roundtrip(out.data, out.len);
		pbuf__fini(&out);
		break;
	case GZ_RANDOM:
		data = malloc(big);
		assert_non_null(data);
		for (i = 0; i < big; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			data[i] = (uint8_t)x;
		}
		gzip_roundtrip(data, big);
		free(data);
		break;
	}
}

int main(void)
{
	struct suite s = {};

	suite_rows(&s, test_varint_roundtrip, varint_cases);
	suite_test(&s, test_varint_spec_example);
	suite_test(&s, test_fields_roundtrip);
	suite_test(&s, test_profile_invariants);
	suite_test(&s, test_bare_location_and_empty_profile);
	suite_rows(&s, test_gzip, gzip_cases);
	return suite_run(&s, "pprof");
}
