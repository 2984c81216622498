// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * holder: who holds a leaking map, and what it holds.  See holder.h.
 *
 * The search, per process, for the maps that need it:
 *  1. the executable's .data and .bss (where the Go linker puts every
 *     package-level variable that holds a pointer; .noptr* cannot hold a
 *     map) are read with process_vm_readv and every 8-aligned word is
 *     looked up among the process's tracked maps: a hit is a package-level
 *     variable (named from .symtab, or section + offset when stripped).
 *     Words that point into anonymous read-write memory (the Go heap) are
 *     kept as candidate objects.
 *  2. the first HOLDER_OBJ_WINDOW bytes of each candidate object are read
 *     and scanned for the maps still unheld: a hit is a field of a heap
 *     object a package-level variable points to.  The field is named from
 *     the type descriptors: a struct field whose type is the map's type, at
 *     that offset.
 *  3. the groups/buckets of the process's other tracked maps are scanned:
 *     a hit is a value of another map (per-tenant maps), named by that
 *     map's holder and the key of the slot.
 * Maps on goroutine stacks are known from the probes (stack_map).
 */
#include <errno.h>
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "holder.h"
#include "gotypes.h"

#define CHUNK (1u << 20)
#define MAX_ANON 4096
#define MAX_DIR_READ 65536u
#define MAX_CLASSIC_B 20
#define MAX_OVERFLOW 8

/* abi.Kind */
enum {
	K_BOOL = 1, K_INT, K_INT8, K_INT16, K_INT32, K_INT64, K_UINT, K_UINT8, K_UINT16,
	K_UINT32, K_UINT64, K_UINTPTR, K_FLOAT32, K_FLOAT64, K_COMPLEX64, K_COMPLEX128,
	K_ARRAY, K_CHAN, K_FUNC, K_INTERFACE, K_MAP, K_POINTER, K_SLICE, K_STRING, K_STRUCT,
	K_UNSAFEPOINTER,
};

struct hentry {
	pid_t pid;
	uint64_t addr, first_ns;
	bool final_done;
	struct holder_info info;
};

static struct {
	int keys;
	bool daemon;
	struct hentry **ents;
	size_t cnt, next_evict;
	struct holder_stats st;
} H;

/* ---- reads, counted ---- */

struct rd {
	const struct gomap_mem *mem;
	pid_t pid;
	uint64_t bytes;
	bool gone;		/* -ESRCH seen */
};

static int rd_read(struct rd *r, uint64_t addr, void *buf, size_t len)
{
	int ret;

	if (!addr || addr + len < addr || addr + len > GOMAP_MAX_BYTES)
		return -EFAULT;
	ret = r->mem->read(r->mem->ctx, r->pid, addr, buf, len);
	if (ret == -ESRCH)
		r->gone = true;
	if (!ret)
		r->bytes += len;
	return ret;
}

static uint64_t rd_u64(struct rd *r, uint64_t addr, bool *ok)
{
	uint64_t v = 0;

	*ok = !rd_read(r, addr, &v, 8);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* ---- public small things ---- */

const char *holder__kind_str(enum holder_kind k)
{
	switch (k) {
	case HOLDER_GLOBAL:
		return "global";
	case HOLDER_STACK:
		return "stack";
	case HOLDER_HEAP:
		return "heap";
	default:
		return "unknown";
	}
}

void holder__set_keys(int n)
{
	H.keys = n < 0 ? 0 : n > HOLDER_MAX_KEYS ? HOLDER_MAX_KEYS : n;
}

int holder__keys(void)
{
	return H.daemon ? 0 : H.keys;
}

void holder__set_daemon(bool on)
{
	H.daemon = on;
}

const struct holder_stats *holder__stats(void)
{
	return &H.st;
}

void holder__reset(void)
{
	size_t i;

	for (i = 0; i < H.cnt; i++)
		free(H.ents[i]);
	free(H.ents);
	memset(&H, 0, sizeof(H));
}

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

bool holder__symbol_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len,
		       uint64_t *off)
{
	const struct goelf_section *sym = goelf__section_by_name(elf, ".symtab");
	const struct goelf_section *str = goelf__section_by_name(elf, ".strtab");
	const uint8_t *sd, *sn;
	size_t i, n;

	if (!sym || !str)
		return false;
	sd = goelf__section_data(elf, sym);
	sn = goelf__section_data(elf, str);
	if (!sd || !sn)
		return false;
	n = sym->size / sizeof(Elf64_Sym);
	/*
	 * A sized symbol that contains vaddr; the linker's zero-size section
	 * markers (runtime.bss, runtime.data, ...) sit at the same addresses
	 * and name nothing.
	 */
	for (i = 1; i < n; i++) {
		Elf64_Sym s;

		memcpy(&s, sd + i * sizeof(s), sizeof(s));
		if (ELF64_ST_TYPE(s.st_info) != STT_OBJECT || s.st_name >= str->size || !s.st_size)
			continue;
		if (vaddr < s.st_value || vaddr - s.st_value >= s.st_size)
			continue;
		/* the name must end inside .strtab */
		if (!memchr(sn + s.st_name, '\0', str->size - s.st_name))
			continue;
		snprintf(buf, len, "%s", (const char *)sn + s.st_name);
		*off = vaddr - s.st_value;
		return true;
	}
	return false;
}

void holder__section_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < goelf__section_cnt(elf); i++) {
		const struct goelf_section *s = goelf__section(elf, i);

		if (s->addr && vaddr >= s->addr && vaddr < s->addr + s->size) {
			snprintf(buf, len, "package-level variable (%s+0x%" PRIx64 ")", s->name,
				 vaddr - s->addr);
			return;
		}
	}
	snprintf(buf, len, "package-level variable (0x%" PRIx64 ")", vaddr);
}

size_t holder__scan(const uint8_t *buf, size_t len, uint64_t base, const struct u64map *want,
		    void (*cb)(uint64_t at, uint64_t val, void *ctx), void *ctx)
{
	size_t i, hits = 0;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = get64(buf + i);

		if (v && u64map__get(want, v)) {
			hits++;
			if (cb)
				cb(base + i, v, ctx);
		}
	}
	return hits;
}

/* ---- type descriptors, read from the target ---- */

struct tinfo {
	uint64_t addr;		/* runtime address */
	uint64_t size;
	uint8_t kind;
	uint64_t elem;		/* pointer/slice/array/map elem; 0 none */
	uint64_t fields, nfields;	/* struct */
	uint64_t imethods;	/* interface: methods count */
	bool ok;
};

struct search {
	struct rd rd;
	struct target *t;
	const struct gm_layout *lay;
	struct u64map types;	/* runtime type address -> struct tinfo * */
	uint8_t *typesbuf;	/* the types range, read once when a field is to be named */
	uint64_t types_lo, types_len;
	bool types_tried;
	bool offset_embed;	/* Go <= 1.18: StructField.offsetEmbed = offset << 1 | embedded */
	bool split_groups;	/* Go 1.27+: abi.MapType has KeysOff/KeyStride/ElemsOff/ElemStride */
	uint64_t peak;
	uint64_t t0;
};

/* A StructField's offset word as a byte offset. */
static uint64_t field_off(const struct search *s, uint64_t raw)
{
	return s->offset_embed ? raw >> 1 : raw;
}

static bool over_time(const struct search *s)
{
	return gm_now_ns() - s->t0 > HOLDER_MAX_SEARCH_NS;
}

static const struct tinfo *type_info(struct search *s, uint64_t addr)
{
	struct tinfo *ti = u64map__get(&s->types, addr);
	uint8_t b[72];

	if (ti || !addr)
		return ti && ti->ok ? ti : NULL;
	ti = calloc(1, sizeof(*ti));
	if (!ti)
		return NULL;
	ti->addr = addr;
	if (u64map__set(&s->types, addr, ti)) {
		free(ti);
		return NULL;
	}
	if (rd_read(&s->rd, addr, b, sizeof(b)))
		return NULL;
	ti->size = get64(b);
	ti->kind = b[23] & 0x1f;
	if (ti->size > GOMAP_MAX_BYTES)
		return NULL;
	switch (ti->kind) {
	case K_POINTER:
	case K_SLICE:
	case K_ARRAY:
	case K_CHAN:
		ti->elem = get64(b + 48);
		break;
	case K_MAP:
		ti->elem = get64(b + 56);
		break;
	case K_STRUCT:
		ti->fields = get64(b + 56);
		ti->nfields = get64(b + 64);
		if (ti->nfields > 4096)
			ti->nfields = 0;
		break;
	case K_INTERFACE:
		ti->imethods = get64(b + 64);
		break;
	}
	ti->ok = true;
	return ti;
}

static const char *type_name(struct search *s, uint64_t addr, char *buf, size_t len)
{
	struct target *t = s->t;

	if (!addr || !t->bias_known || addr < t->bias || !t->bin->types) {
		snprintf(buf, len, "?");
		return buf;
	}
	gobin__type_name(t->bin, addr - t->bias, buf, len);
	return buf;
}

/* An abi.Name (flags byte, uvarint length, bytes) at runtime address a. */
static bool read_name(struct search *s, uint64_t a, char *buf, size_t len)
{
	uint8_t b[80];
	uint64_t n = 0;
	int i, shift = 0;

	if (rd_read(&s->rd, a, b, 16))
		return false;
	for (i = 1; i < 11; i++) {
		n |= (uint64_t)(b[i] & 0x7f) << shift;
		shift += 7;
		if (!(b[i] & 0x80))
			break;
	}
	if (i >= 11 || n == 0 || n > 64 || n + 1 >= len)
		return false;
	if (rd_read(&s->rd, a + i + 1, b, n))
		return false;
	memcpy(buf, b, n);
	buf[n] = '\0';
	for (i = 0; i < (int)n; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] >= 0x7f)
			return false;
	return true;
}

/*
 * Name the field at offset off whose type is the map type mt (runtime
 * addresses): "(main.registry).byName" into buf.  The struct's field array
 * entry is found among the type descriptors (a word equal to mt followed
 * by off), then the struct owning that array.  False when none or the
 * types cannot be read.
 */
static bool field_name(struct search *s, uint64_t mt, uint64_t off, char *sname, size_t slen,
		       char *fname, size_t flen)
{
	struct target *t = s->t;
	uint64_t i;

	if (!mt || !t->bin->types || !t->bias_known)
		return false;
	if (!s->types_tried) {
		uint64_t lo = gotypes__types_start(t->bin->types), hi = gotypes__types_end(t->bin->types);

		s->types_tried = true;
		if (hi > lo && hi - lo <= HOLDER_MAX_TYPES_BYTES) {
			s->typesbuf = malloc(hi - lo);
			if (s->typesbuf && rd_read(&s->rd, lo + t->bias, s->typesbuf, hi - lo)) {
				free(s->typesbuf);
				s->typesbuf = NULL;
			}
			s->types_lo = lo + t->bias;
			s->types_len = hi - lo;
		}
	}
	if (!s->typesbuf)
		return false;
	for (i = 8; i + 16 <= s->types_len; i += 8) {
		uint64_t f, first, k, hdr;
		int back;

		if (get64(s->typesbuf + i) != mt || field_off(s, get64(s->typesbuf + i + 8)) != off)
			continue;
		f = i - 8;	/* this StructField */
		/* walk back to the field at offset 0 (the array's first) */
		first = f;
		for (back = 0; field_off(s, get64(s->typesbuf + first + 16)) != 0; back++) {
			uint64_t p = first - 24, pn, pt;

			if (first < 24 || back > 256)
				goto next;
			pn = get64(s->typesbuf + p);
			pt = get64(s->typesbuf + p + 8);
			if (pn - s->types_lo >= s->types_len || pt - s->types_lo >= s->types_len ||
			    field_off(s, get64(s->typesbuf + p + 16)) > field_off(s, get64(s->typesbuf + first + 16)))
				goto next;
			first = p;
		}
		/* the StructType whose Fields.Data points at first: Type(48) PkgPath(8) Fields */
		for (k = 8; k <= 160 && k <= first; k += 8) {
			if (get64(s->typesbuf + first - k) != s->types_lo + first)
				continue;
			hdr = first - k - 56;
			if (first < k + 56 || (s->typesbuf[hdr + 23] & 0x1f) != K_STRUCT)
				continue;
			if (get64(s->typesbuf + hdr + 64) * 24 < f - first + 24)
				continue;
			if (!read_name(s, get64(s->typesbuf + f), fname, flen))
				break;
			type_name(s, s->types_lo + hdr, sname, slen);
			return true;
		}
next:;
	}
	return false;
}

/* ---- values: keys as text, and what they retain ---- */

static void decode(struct search *s, uint64_t typ, const uint8_t *v, size_t vlen, char *buf,
		   size_t len, int depth);

static void decode_ptr(struct search *s, uint64_t typ, uint64_t p, char *buf, size_t len)
{
	char tn[160];

	snprintf(buf, len, "%s(0x%" PRIx64 ")", type_name(s, typ, tn, sizeof(tn)), p);
}

static void decode_struct(struct search *s, const struct tinfo *ti, const uint8_t *v, size_t vlen,
			  char *buf, size_t len, int depth)
{
	uint8_t f[24];
	size_t o = 0;
	uint64_t i;

	o += snprintf(buf + o, len - o, "{");
	for (i = 0; i < ti->nfields && i < 8 && o + 8 < len; i++) {
		char fn[80], val[HOLDER_KEY_TEXT];
		const struct tinfo *ft;
		uint64_t off;

		if (rd_read(&s->rd, ti->fields + i * 24, f, sizeof(f)))
			break;
		off = field_off(s, get64(f + 16));
		ft = type_info(s, get64(f + 8));
		if (!ft || off > vlen || ft->size > vlen - off)
			break;
		if (!read_name(s, get64(f), fn, sizeof(fn)))
			snprintf(fn, sizeof(fn), "_");
		decode(s, ft->addr, v + off, ft->size, val, sizeof(val), depth + 1);
		o += snprintf(buf + o, len - o, "%s%s:%s", i ? ", " : "", fn, val);
	}
	if (i < ti->nfields && o + 8 < len)
		o += snprintf(buf + o, len - o, ", ...");
	if (o + 2 < len)
		snprintf(buf + o, len - o, "}");
	else if (len > 4)
		memcpy(buf + len - 5, "...}", 5);
}

static void decode(struct search *s, uint64_t typ, const uint8_t *v, size_t vlen, char *buf,
		   size_t len, int depth)
{
	const struct tinfo *ti = type_info(s, typ);
	char tn[160];
	int64_t iv = 0;
	uint64_t uv = 0;

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
		uint64_t p = get64(v), n = get64(v + 8);
		uint8_t sb[HOLDER_STR_MAX];
		size_t want = n > HOLDER_STR_MAX ? HOLDER_STR_MAX : n;

		if (n > GOMAP_MAX_BYTES || (want && rd_read(&s->rd, p, sb, want))) {
			snprintf(buf, len, "string(0x%" PRIx64 ", len %" PRIu64 ")", p, n);
			return;
		}
		holder__quote(sb, n, buf, len);
		return;
	}
	case K_POINTER: case K_UNSAFEPOINTER: case K_CHAN: case K_FUNC: case K_MAP:
		decode_ptr(s, typ, get64(v), buf, len);
		return;
	case K_STRUCT:
		if (depth < 2) {
			decode_struct(s, ti, v, vlen, buf, len, depth);
			return;
		}
		break;
	case K_INTERFACE: {
		uint64_t tp = get64(v), data = get64(v + 8);
		const struct tinfo *dt;

		if (!tp) {
			snprintf(buf, len, "nil");
			return;
		}
		if (ti->imethods) {	/* iface: the itab's Type is its second word */
			bool ok;

			tp = rd_u64(&s->rd, tp + 8, &ok);
			if (!ok) {
				snprintf(buf, len, "%s(0x%" PRIx64 ")", type_name(s, typ, tn, sizeof(tn)), data);
				return;
			}
		}
		dt = type_info(s, tp);
		if (dt && depth < 2 && dt->size <= 64 && dt->kind != K_POINTER && dt->kind != K_MAP &&
		    dt->kind != K_CHAN && dt->kind != K_FUNC && dt->kind != K_UNSAFEPOINTER) {
			uint8_t box[64];
			char in[HOLDER_KEY_TEXT - 16];

			if (!rd_read(&s->rd, data, box, dt->size)) {
				decode(s, tp, box, dt->size, in, sizeof(in), depth + 1);
				snprintf(buf, len, "%s(%s)", type_name(s, tp, tn, sizeof(tn)), in);
				return;
			}
		}
		decode_ptr(s, tp, data, buf, len);
		return;
	}
	default:
		break;
	}
	snprintf(buf, len, "%s{...}", type_name(s, typ, tn, sizeof(tn)));
	return;
sint:
	snprintf(buf, len, "%" PRId64, iv);
	return;
uint:
	snprintf(buf, len, "%" PRIu64, uv);
}

/* Heap bytes a value points to, one level (strings, pointers, slices, struct fields). */
static uint64_t retained_of(struct search *s, uint64_t typ, const uint8_t *v, size_t vlen, int depth)
{
	const struct tinfo *ti = type_info(s, typ), *et;
	uint64_t sum = 0, i;
	uint8_t f[24];

	if (!ti || ti->size > vlen)
		return 0;
	switch (ti->kind) {
	case K_STRING:
		return get64(v) ? (get64(v + 8) > GOMAP_MAX_BYTES ? 0 : get64(v + 8)) : 0;
	case K_POINTER:
		et = type_info(s, ti->elem);
		return get64(v) && et ? et->size : 0;
	case K_MAP:
		return get64(v) ? 48 : 0;	/* the header (its own groups are its own map's) */
	case K_SLICE: {
		uint64_t cap = get64(v + 16);

		et = type_info(s, ti->elem);
		if (!get64(v) || !et || cap > GOMAP_MAX_BYTES || (et->size && cap > GOMAP_MAX_BYTES / et->size))
			return 0;
		return cap * et->size;
	}
	case K_INTERFACE:
		if (!get64(v) || ti->imethods)
			return 0;
		et = type_info(s, get64(v));
		return et && et->kind != K_POINTER && et->kind != K_MAP ? et->size : 0;
	case K_STRUCT:
		if (depth > 0)
			return 0;
		for (i = 0; i < ti->nfields && i < 32; i++) {
			const struct tinfo *ft;
			uint64_t off;

			if (rd_read(&s->rd, ti->fields + i * 24, f, sizeof(f)))
				break;
			off = field_off(s, get64(f + 16));
			ft = type_info(s, get64(f + 8));
			if (ft && off <= vlen && ft->size <= vlen - off)
				sum += retained_of(s, ft->addr, v + off, ft->size, depth + 1);
		}
		return sum;
	default:
		return 0;
	}
}

/* ---- walking a map's slots ---- */

struct mtype {
	uint64_t key, elem;	/* runtime type addresses */
	uint64_t keysize, elemsize, slotsize, elemoff, groupsize;
	/* Swiss: key(i) = keysoff + i * keystride, elem(i) = elemsoff + i * elemstride */
	uint64_t keysoff, keystride, elemsoff, elemstride;
	bool ikey, ielem;
	bool ok;
};

static bool map_type(struct search *s, uint64_t mt, struct mtype *out)
{
	const struct tinfo *k, *e;
	uint8_t b[136];

	memset(out, 0, sizeof(*out));
	if (!mt || rd_read(&s->rd, mt, b, sizeof(b)))
		return false;
	out->key = get64(b + 48);
	out->elem = get64(b + 56);
	k = type_info(s, out->key);
	e = type_info(s, out->elem);
	if (!k || !e)
		return false;
	if (s->lay->impl == GM_MAP_SWISS) {
		uint32_t fl;

		out->groupsize = get64(b + 80);
		if (s->split_groups) {
			/* Go 1.27: KeysOff, KeyStride, ElemsOff, ElemStride, ElemOff, Flags */
			out->keysoff = get64(b + 88);
			out->keystride = get64(b + 96);
			out->elemsoff = get64(b + 104);
			out->elemstride = get64(b + 112);
			memcpy(&fl, b + 128, 4);
		} else {
			out->slotsize = get64(b + 88);
			out->elemoff = get64(b + 96);
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
		    out->keysoff + 7 * out->keystride + (out->ikey ? 8 : k->size) > out->groupsize ||
		    out->elemsoff + 7 * out->elemstride + (out->ielem ? 8 : e->size) > out->groupsize)
			return false;
	} else {
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
	}
	if (s->lay->impl != GM_MAP_SWISS && !out->ikey && k->size > out->keysize)
		return false;
	out->keysize = out->ikey ? 8 : k->size;
	out->elemsize = out->ielem ? 8 : e->size;
	out->ok = true;
	return true;
}

/* cb per full slot: key and elem bytes (inline: pointers when indirect); false stops. */
typedef bool (*slot_cb)(struct search *s, const uint8_t *key, const uint8_t *elem,
			uint64_t elem_at, void *ctx);

/*
 * Group (Swiss) or bucket (classic) addresses of the map at addr, up to
 * max; every stride-th when the map has more (sampling spread over it).
 * Returns how many were written, *total the count there is.
 */
static size_t map_groups(struct search *s, uint64_t addr, const struct mtype *mt, uint64_t *out,
			 size_t max, size_t stride, uint64_t *total)
{
	const struct gm_layout *lay = s->lay;
	uint8_t hdr[64];
	size_t n = 0;
	uint64_t idx = 0;

	*total = 0;
	if (rd_read(&s->rd, addr, hdr, sizeof(hdr)))
		return 0;
	if (lay->impl == GM_MAP_SWISS) {
		uint64_t dir = get64(hdr + lay->map_buckets_off), dirlen = get64(hdr + lay->map_dirlen_off);
		uint64_t *tabs, prev = 0, i, g;
		bool ok;

		if (!dirlen) {
			if (dir && max)
				out[n++] = dir;
			*total = !!dir;
			return n;
		}
		if (dirlen > MAX_DIR_READ)
			dirlen = MAX_DIR_READ;
		tabs = malloc(dirlen * 8);
		if (!tabs || rd_read(&s->rd, dir, tabs, dirlen * 8)) {
			free(tabs);
			return 0;
		}
		for (i = 0; i < dirlen; i++) {
			uint64_t data, mask;

			if (tabs[i] == prev || !tabs[i])
				continue;
			prev = tabs[i];
			data = rd_u64(&s->rd, tabs[i] + 16, &ok);
			mask = ok ? rd_u64(&s->rd, tabs[i] + 24, &ok) : 0;
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
		uint8_t B = hdr[lay->map_B_off];
		uint64_t buckets = get64(hdr + lay->map_buckets_off), nb, i;

		if (!buckets || B > MAX_CLASSIC_B)
			return 0;
		nb = 1ULL << B;
		for (i = 0; i < nb; i++, idx++)
			if (idx % stride == 0 && n < max)
				out[n++] = buckets + i * mt->groupsize;
		*total = nb;
		return n;
	}
}

/* Full slots of the groups/buckets listed; returns slots visited, stops when cb says so. */
static uint64_t walk_groups(struct search *s, const struct mtype *mt, const uint64_t *groups,
			    size_t ng, slot_cb cb, void *ctx, uint64_t *bytes)
{
	uint8_t *g = malloc(mt->groupsize);
	uint64_t visited = 0;
	size_t i;
	int j, hops;

	if (!g)
		return 0;
	for (i = 0; i < ng; i++) {
		uint64_t at = groups[i];

		for (hops = 0; at && hops <= (s->lay->impl == GM_MAP_SWISS ? 0 : MAX_OVERFLOW); hops++) {
			if (rd_read(&s->rd, at, g, mt->groupsize))
				break;
			*bytes += mt->groupsize;
			for (j = 0; j < 8; j++) {
				const uint8_t *k, *e;
				uint64_t eat;

				if (s->lay->impl == GM_MAP_SWISS) {
					if (g[j] & 0x80)	/* empty or deleted */
						continue;
					k = g + mt->keysoff + j * mt->keystride;
					e = g + mt->elemsoff + j * mt->elemstride;
				} else {
					if (g[j] < 5)		/* empty or evacuated */
						continue;
					k = g + 8 + j * mt->keysize;
					e = g + 8 + 8 * mt->keysize + j * mt->elemsize;
				}
				eat = at + (uint64_t)(e - g);
				visited++;
				if (!cb(s, k, e, eat, ctx))
					goto out;
			}
			at = s->lay->impl == GM_MAP_SWISS ? 0 : get64(g + mt->groupsize - 8);
		}
	}
out:
	free(g);
	return visited;
}

/* A key's text, following an indirect key. */
static void key_text(struct search *s, const struct mtype *mt, const uint8_t *k, char *buf, size_t len)
{
	const struct tinfo *kt = type_info(s, mt->key);
	uint8_t tmp[256];

	if (!kt) {
		snprintf(buf, len, "?");
		return;
	}
	if (mt->ikey) {
		if (kt->size > sizeof(tmp) || rd_read(&s->rd, get64(k), tmp, kt->size)) {
			decode_ptr(s, mt->key, get64(k), buf, len);
			return;
		}
		k = tmp;
	}
	decode(s, mt->key, k, kt->size, buf, len, 0);
}

struct keys_ctx {
	const struct mtype *mt;
	struct holder_info *hi;
	int want;
};

static bool keys_cb(struct search *s, const uint8_t *k, const uint8_t *e, uint64_t eat, void *ctx)
{
	struct keys_ctx *c = ctx;

	(void)e;
	(void)eat;
	key_text(s, c->mt, k, c->hi->keys[c->hi->nkeys], HOLDER_KEY_TEXT);
	return ++c->hi->nkeys < c->want;
}

struct retain_ctx {
	const struct mtype *mt;
	uint64_t sum, n;
};

static uint64_t retained_slot_part(struct search *s, uint64_t typ, bool indirect, const uint8_t *v)
{
	const struct tinfo *ti = type_info(s, typ);
	uint8_t tmp[256];

	if (!ti)
		return 0;
	if (!indirect)
		return retained_of(s, typ, v, ti->size, 0);
	if (!get64(v))
		return 0;
	if (ti->size <= sizeof(tmp) && !rd_read(&s->rd, get64(v), tmp, ti->size))
		return ti->size + retained_of(s, typ, tmp, ti->size, 0);
	return ti->size;
}

static bool retain_cb(struct search *s, const uint8_t *k, const uint8_t *e, uint64_t eat, void *ctx)
{
	struct retain_ctx *c = ctx;

	(void)eat;
	c->sum += retained_slot_part(s, c->mt->key, c->mt->ikey, k);
	c->sum += retained_slot_part(s, c->mt->elem, c->mt->ielem, e);
	c->n++;
	return c->n < HOLDER_RETAIN_SLOTS * 4;
}

static void keys_and_retained(struct search *s, const struct tmap *m, struct holder_info *hi)
{
	uint64_t groups[HOLDER_RETAIN_SLOTS / 8 * 4], total, bytes = 0, entries = m->s.last;
	struct mtype mt;
	size_t ng, stride;
	int want = holder__keys();

	hi->nkeys = 0;
	hi->keys_why[0] = '\0';
	hi->retained_known = false;
	if (!map_type(s, m->type, &mt)) {
		if (want)
			snprintf(hi->keys_why, sizeof(hi->keys_why), "%s",
				 m->type ? "its type descriptor could not be read" : "its type is not known");
		return;
	}
	if (want) {
		uint64_t all[64];
		struct keys_ctx kc = { &mt, hi, want };

		if (!hi->keys) {
			hi->keys = calloc(HOLDER_MAX_KEYS, HOLDER_KEY_TEXT);
		}
		ng = hi->keys ? map_groups(s, m->addr, &mt, all, 64, 1, &total) : 0;
		walk_groups(s, &mt, all, ng, keys_cb, &kc, &bytes);
		if (!hi->nkeys)
			snprintf(hi->keys_why, sizeof(hi->keys_why), "%s",
				 hi->keys ? "no full slot read (the map is empty or was changing)" : "out of memory");
	}
	/* retained: groups spread over the map, every stride-th (capacity / 8 groups) */
	total = m->capacity / 8;
	stride = total > sizeof(groups) / 8 ? (total + sizeof(groups) / 8 - 1) / (sizeof(groups) / 8) : 1;
	ng = map_groups(s, m->addr, &mt, groups, sizeof(groups) / 8, stride, &total);
	if (ng) {
		struct retain_ctx rc = { &mt, 0, 0 };

		walk_groups(s, &mt, groups, ng, retain_cb, &rc, &bytes);
		hi->retained_sampled = rc.n;
		hi->retained_known = true;
		hi->retained_estimated = rc.n < entries;
		hi->retained_bytes = m->bucket_bytes;
		if (rc.n)
			hi->retained_bytes += rc.n >= entries ? rc.sum
				: (uint64_t)((double)rc.sum / rc.n * entries);
	} else if (!entries) {
		hi->retained_known = true;
		hi->retained_bytes = m->bucket_bytes;
	}
}

/* ---- the holder search ---- */

struct anon {
	uint64_t lo, hi;
};

struct anon_list {
	struct anon *out;
	size_t n, max;
};

static int add_anon(const struct target_mapping *m, void *ctx)
{
	struct anon_list *al = ctx;

	if (m->ino || strncmp(m->perms, "rw", 2) || *m->path)
		return 0;
	al->out[al->n].lo = m->start;
	al->out[al->n].hi = m->end;
	return ++al->n >= al->max;
}

/* The nameless anonymous read-write mappings of the process (Go heap arenas), in order. */
static int anon_ranges(pid_t pid, struct anon *out, size_t max)
{
	struct anon_list al = { .out = out, .max = max };
	int ret;

	if (!max)
		return 0;
	ret = target__each_mapping(pid, add_anon, &al);	/* the daemon's --proc-root */
	return ret < 0 ? ret : (int)al.n;
}

static bool in_anon(const struct anon *a, int n, uint64_t v)
{
	int lo = 0, hi = n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (v < a[mid].lo)
			hi = mid - 1;
		else if (v >= a[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* What the search knows of one map of the process. */
struct cand {
	const struct tmap *m;
	bool wanted;
	enum holder_kind kind;
	uint64_t at;		/* global: runtime address of the word */
	char name[192], path[448];
};

static struct cand *cand_of(struct u64map *byaddr, uint64_t addr)
{
	return u64map__get(byaddr, addr);
}

struct scan_ctx {
	struct search *s;
	struct u64map *byaddr;
	struct u64map *heap;		/* candidate object -> root word address */
	const struct anon *anon;
	int nanon;
	size_t heap_cnt;
};

static void name_global(struct search *s, struct cand *c, uint64_t at)
{
	struct target *t = s->t;
	uint64_t link = at - t->bias, off = 0;
	char sym[160], sn[128], fn[80];

	if (holder__symbol_at(t->bin->elf, link, sym, sizeof(sym), &off)) {
		if (!off) {
			snprintf(c->name, sizeof(c->name), "%s", sym);
			snprintf(c->path, sizeof(c->path), "%s", sym);
		} else if (field_name(s, c->m->type, off, sn, sizeof(sn), fn, sizeof(fn))) {
			snprintf(c->name, sizeof(c->name), "%s", sym);
			snprintf(c->path, sizeof(c->path), "%s.%s (%s)", sym, fn, sn);
		} else {
			snprintf(c->name, sizeof(c->name), "%s", sym);
			snprintf(c->path, sizeof(c->path), "%s+%" PRIu64, sym, off);
		}
	} else {
		holder__section_at(t->bin->elf, link, c->name, sizeof(c->name));
		snprintf(c->path, sizeof(c->path), "%s", c->name);
	}
}

static void global_hit(uint64_t at, uint64_t val, void *ctx)
{
	struct scan_ctx *x = ctx;
	struct cand *c = cand_of(x->byaddr, val);

	if (!c || c->kind != HOLDER_UNKNOWN)
		return;
	c->kind = HOLDER_GLOBAL;
	c->at = at;
}

static void scan_data(struct scan_ctx *x, uint64_t lo, uint64_t len, uint8_t *buf)
{
	struct search *s = x->s;
	uint64_t o;

	for (o = 0; o < len && !over_time(s); o += CHUNK) {
		size_t n = len - o > CHUNK ? CHUNK : len - o, i;

		if (s->rd.bytes + n > HOLDER_MAX_DATA_BYTES)
			break;
		if (rd_read(&s->rd, lo + o, buf, n))
			continue;
		holder__scan(buf, n, lo + o, x->byaddr, global_hit, x);
		for (i = 0; i + 8 <= n; i += 8) {
			uint64_t v = get64(buf + i);

			if (x->heap_cnt >= HOLDER_MAX_HEAP_PTRS || (v & 7) || !in_anon(x->anon, x->nanon, v) ||
			    u64map__get(x->heap, v))
				continue;
			if (!u64map__set(x->heap, v, (void *)(uintptr_t)(lo + o + i)))
				x->heap_cnt++;
		}
	}
}

/* A slot of container map c holds wanted map w: "c's path[key]". */
struct inner_ctx {
	struct u64map *byaddr;
	struct cand *container;
	const struct mtype *mt;
	size_t left;		/* wanted maps still unheld */
};

static bool inner_cb(struct search *s, const uint8_t *k, const uint8_t *e, uint64_t eat, void *ctx)
{
	struct inner_ctx *ic = ctx;
	const struct cand *oc = ic->container;
	uint64_t i;

	(void)eat;
	for (i = 0; i + 8 <= ic->mt->elemsize; i += 8) {
		struct cand *c = cand_of(ic->byaddr, get64(e + i));
		char key[HOLDER_KEY_TEXT];

		if (!c || !c->wanted || c->kind != HOLDER_UNKNOWN || c == oc)
			continue;
		key_text(s, ic->mt, k, key, sizeof(key));
		c->kind = HOLDER_HEAP;
		snprintf(c->name, sizeof(c->name), "%s", oc->name);
		if (oc->path[0])
			snprintf(c->path, sizeof(c->path), "%.250s[%.160s]%s", oc->path, key,
				 i ? " (a field of the value)" : "");
		else
			snprintf(c->path, sizeof(c->path), "(map 0x%" PRIx64 ")[%s]", oc->m->addr, key);
		if (ic->left)
			ic->left--;
	}
	return ic->left > 0 && !over_time(s);
}

static void search_process(struct search *s, struct cand *cands, size_t nc)
{
	struct target *t = s->t;
	struct u64map byaddr, heap;
	struct anon *anon = calloc(MAX_ANON, sizeof(*anon));
	uint8_t *buf = malloc(CHUNK);
	struct scan_ctx x = { .s = s, .byaddr = &byaddr, .heap = &heap, .anon = anon };
	size_t i, left = 0, sec;
	bool any_sec = false;

	u64map__init(&byaddr);
	u64map__init(&heap);
	if (!anon || !buf)
		goto out;
	for (i = 0; i < nc; i++)
		u64map__set(&byaddr, cands[i].m->addr, &cands[i]);
	x.nanon = anon_ranges(t->pid, anon, MAX_ANON);
	if (x.nanon < 0)
		x.nanon = 0;
	/* 1. package-level variables: .data and .bss */
	for (sec = 0; sec < goelf__section_cnt(t->bin->elf); sec++) {
		const struct goelf_section *gs = goelf__section(t->bin->elf, sec);

		if (!gs->addr || (strcmp(gs->name, ".data") && strcmp(gs->name, ".bss")))
			continue;
		any_sec = true;
		scan_data(&x, gs->addr + t->bias, gs->size, buf);
	}
	if (!any_sec) {
		for (sec = 0; sec < goelf__segment_cnt(t->bin->elf); sec++) {
			const struct goelf_segment *sg = goelf__segment(t->bin->elf, sec);

			if (sg->type == PT_LOAD && (sg->flags & PF_W))
				scan_data(&x, sg->vaddr + t->bias, sg->memsz, buf);
		}
	}
	for (i = 0; i < nc; i++) {
		if (cands[i].kind == HOLDER_GLOBAL)
			name_global(s, &cands[i], cands[i].at);
		else if (cands[i].wanted)
			left++;
	}
	/* 2. one level into the heap objects package-level variables point to */
	if (left && x.heap_cnt && !s->rd.gone) {
		size_t cnt = x.heap_cnt, k = 0, batch = 1024, b;
		uint64_t *objs = malloc(cnt * 8), key;
		uint8_t *win = malloc(batch * HOLDER_OBJ_WINDOW);
		bool *ok = malloc(batch);
		size_t it = 0;
		void *val;

		while (objs && u64map__next(&heap, &it, &key, &val))
			objs[k++] = key;
		for (b = 0; objs && win && ok && b < k && left && !over_time(s); b += batch) {
			size_t nb = k - b > batch ? batch : k - b, j;
			ssize_t got = gomap__read_many(s->rd.mem, t->pid, objs + b, nb, HOLDER_OBJ_WINDOW, win, ok);

			if (got < 0)
				break;
			s->rd.bytes += (uint64_t)got * HOLDER_OBJ_WINDOW;
			for (j = 0; j < nb; j++) {
				uint64_t off;

				if (!ok[j])
					continue;
				for (off = 0; off + 8 <= HOLDER_OBJ_WINDOW; off += 8) {
					struct cand *c = cand_of(&byaddr, get64(win + j * HOLDER_OBJ_WINDOW + off));
					uint64_t root = (uintptr_t)u64map__get(&heap, objs[b + j]), roff = 0;
					char sym[160], sn[128], fn[80];

					/* a map header is not a holder (its neighbour might be) */
					if (!c || !c->wanted || c->kind != HOLDER_UNKNOWN || cand_of(&byaddr, objs[b + j]))
						continue;
					/* the object's type from the field: a struct with the map's type at off */
					if (field_name(s, c->m->type, off, sn, sizeof(sn), fn, sizeof(fn))) {
						c->kind = HOLDER_HEAP;
					} else if (off < 64) {
						/* nothing names it: accept near the start only, said as an offset */
						c->kind = HOLDER_HEAP;
						sn[0] = fn[0] = '\0';
					} else {
						continue;
					}
					if (!holder__symbol_at(t->bin->elf, root - t->bias, sym, sizeof(sym), &roff))
						holder__section_at(t->bin->elf, root - t->bias, sym, sizeof(sym));
					else if (roff)
						snprintf(sym + strlen(sym), sizeof(sym) - strlen(sym), "+%" PRIu64, roff);
					snprintf(c->name, sizeof(c->name), "%s", sym);
					if (fn[0])
						snprintf(c->path, sizeof(c->path), "%s -> (*%s).%s", sym, sn, fn);
					else
						snprintf(c->path, sizeof(c->path), "%s -> (object 0x%" PRIx64 ")+%" PRIu64,
							 sym, objs[b + j], off);
					left--;
				}
			}
		}
		free(objs);
		free(win);
		free(ok);
	}
	/* 3. the values of the process's other maps (per-tenant maps) */
	for (i = 0; i < nc && left && !over_time(s) && !s->rd.gone; i++) {
		struct cand *oc = &cands[i];
		uint64_t *groups, total, bytes = 0;
		struct mtype mt;
		size_t ng, maxg;
		struct inner_ctx ic;

		if (oc->m->bucket_bytes > HOLDER_MAX_SLOT_BYTES || !map_type(s, oc->m->type, &mt) ||
		    mt.ielem || mt.elemsize < 8)
			continue;
		{
			const struct tinfo *et = type_info(s, mt.elem);

			/* only values that can hold a map pointer */
			if (!et || (et->kind != K_MAP && et->kind != K_STRUCT && et->kind != K_POINTER &&
				    et->kind != K_INTERFACE))
				continue;
		}
		maxg = HOLDER_MAX_SLOT_BYTES / (mt.groupsize ? mt.groupsize : 1);
		if (maxg > (1u << 20))
			maxg = 1u << 20;
		groups = malloc(maxg * 8);
		if (!groups)
			continue;
		ng = map_groups(s, oc->m->addr, &mt, groups, maxg, 1, &total);
		ic = (struct inner_ctx){ &byaddr, oc, &mt, left };
		if (!oc->path[0])
			snprintf(oc->path, sizeof(oc->path), "%s", oc->name);
		walk_groups(s, &mt, groups, ng, inner_cb, &ic, &bytes);
		left = ic.left;
		free(groups);
	}
out:
	/* what this search held at most: buffers, candidate table (2 words a slot, half full) */
	s->peak = CHUNK + MAX_ANON * sizeof(*anon) + x.heap_cnt * (32 + 8) + 1024 * (HOLDER_OBJ_WINDOW + 1) +
		  nc * (sizeof(struct cand) + 32) + (s->typesbuf ? s->types_len : 0);
	u64map__fini(&byaddr);
	u64map__fini(&heap);
	free(anon);
	free(buf);
}

/* ---- the store ---- */

static struct hentry *find(pid_t pid, uint64_t addr, uint64_t first_ns)
{
	size_t i;

	for (i = 0; i < H.cnt; i++)
		if (H.ents[i]->pid == pid && H.ents[i]->addr == addr && H.ents[i]->first_ns == first_ns)
			return H.ents[i];
	return NULL;
}

static struct hentry *add(const struct tmap *m)
{
	struct hentry *e;

	if (H.cnt >= HOLDER_MAX_ENTRIES) {
		e = H.ents[H.next_evict];
		H.next_evict = (H.next_evict + 1) % HOLDER_MAX_ENTRIES;
		free(e->info.keys);
		memset(e, 0, sizeof(*e));
	} else {
		struct hentry **n = realloc(H.ents, (H.cnt + 1) * sizeof(*n));

		if (!n)
			return NULL;
		H.ents = n;
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		H.ents[H.cnt++] = e;
	}
	e->pid = m->tgt->pid;
	e->addr = m->addr;
	e->first_ns = m->s.first_ns;
	return e;
}

const struct holder_info *holder__get(const struct tmap *m)
{
	struct hentry *e = find(m->tgt->pid, m->addr, m->s.first_ns);

	return e ? &e->info : NULL;
}

static bool wanted(const struct tmap *m)
{
	if (m->gone || m->tgt->exited)
		return false;
	return m->s.verdict == VERDICT_LEAK || (!H.daemon && m->s.verdict == VERDICT_GROWING);
}

static void resolve_target(struct target *t, struct tmap **maps, size_t nm, bool final,
			   const struct gomap_mem *mem)
{
	struct search s = { .rd = { .mem = mem, .pid = t->pid }, .t = t, .lay = &t->bin->plan->layout,
			    .offset_embed = !go_buildinfo__at_least(&t->bin->bi, 1, 19),
			    .split_groups = go_buildinfo__at_least(&t->bin->bi, 1, 27) };
	struct cand *cands = calloc(nm, sizeof(*cands));
	struct hentry **ents = calloc(nm, sizeof(*ents));
	size_t i, nc = 0, nwant = 0;
	bool search_needed = false;
	struct timespec wall;
	uint64_t ns;

	s.t0 = gm_now_ns();
	clock_gettime(CLOCK_REALTIME, &wall);
	u64map__init(&s.types);
	if (!cands || !ents)
		goto out;
	for (i = 0; i < nm; i++) {
		struct tmap *m = maps[i];
		struct hentry *e = NULL;

		if (m->tgt != t || m->gone)
			continue;
		if (wanted(m)) {
			e = find(t->pid, m->addr, m->s.first_ns);
			if (e && !(final && !e->final_done))
				e = NULL;	/* resolved already */
			else if (!e)
				e = add(m);
		}
		if (e) {
			nwant++;
			if (m->on_stack) {
				e->info.kind = HOLDER_STACK;
				snprintf(e->info.function, sizeof(e->info.function), "%s",
					 m->holder.function ? m->holder.function : "?");
				snprintf(e->info.name, sizeof(e->info.name), "%s", e->info.function);
				e->info.goroutine = m->stk.goid;
				e->info.path[0] = '\0';
			} else if (e->info.kind == HOLDER_UNKNOWN) {
				search_needed = true;
			}
		}
		if (!m->on_stack || e) {
			cands[nc].m = m;
			cands[nc].wanted = e != NULL;
			ents[nc] = e;
			nc++;
		}
	}
	if (!nwant || !t->bias_known)
		goto out;
	if (search_needed) {
		struct cand *heapc = calloc(nc, sizeof(*heapc));
		size_t nh = 0, k;

		for (i = 0; heapc && i < nc; i++)
			if (!cands[i].m->on_stack)
				heapc[nh++] = cands[i];
		if (heapc) {
			search_process(&s, heapc, nh);
			for (i = 0, k = 0; i < nc; i++) {
				if (cands[i].m->on_stack)
					continue;
				cands[i] = heapc[k++];
			}
		}
		free(heapc);
		H.st.searches++;
	}
	for (i = 0; i < nc; i++) {
		struct hentry *e = ents[i];

		if (!e)
			continue;
		if (!cands[i].m->on_stack && e->info.kind == HOLDER_UNKNOWN) {
			e->info.kind = cands[i].kind;
			snprintf(e->info.name, sizeof(e->info.name), "%s", cands[i].name);
			snprintf(e->info.path, sizeof(e->info.path), "%s", cands[i].path);
			if (cands[i].kind == HOLDER_UNKNOWN)
				snprintf(e->info.why, sizeof(e->info.why), "%s",
					 s.rd.gone ? "the process exited during the search"
					 : over_time(&s) ? "the search ran out of time"
					 : "no pointer to it in package-level variables, the heap objects they point to, or other tracked maps' values");
		}
		keys_and_retained(&s, cands[i].m, &e->info);
		if (final)
			e->final_done = true;
		H.st.maps++;
	}
out:
	{
		size_t it = 0;
		uint64_t k;
		void *v;

		while (u64map__next(&s.types, &it, &k, &v))
			free(v);
	}
	u64map__fini(&s.types);
	free(s.typesbuf);
	free(cands);
	free(ents);
	ns = gm_now_ns() - s.t0;
	if (nwant) {
		H.st.ns += ns;
		H.st.bytes_read += s.rd.bytes;
		if (ns > H.st.max_search_ns)
			H.st.max_search_ns = ns;
		if (s.peak > H.st.peak_bytes)
			H.st.peak_bytes = s.peak;
		H.st.last_start_unix = wall.tv_sec + wall.tv_nsec / 1e9;
		H.st.last_end_unix = H.st.last_start_unix + ns / 1e9;
	}
}

void holder__resolve(const struct tracker *tr, bool final, const struct gomap_mem *mem)
{
	struct tmap **maps;
	size_t nm = tracker__maps(tr, &maps), i, j;

	if (!mem)
		mem = gomap__process_mem();
	for (i = 0; maps && i < nm; i++) {
		struct target *t = maps[i]->tgt;
		bool seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = maps[j]->tgt == t;
		if (!seen)
			resolve_target(t, maps, nm, final, mem);
	}
	free(maps);
}
