// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * buildinfo: every fixture of the test matrix, the section-less fallback,
 * both blob formats (inline; pointers, with and without PIE relocations)
 * built by hand, and blobs corrupted in each way a hostile file could.
 * `go version -m` is the oracle in tests/e2e/test_buildinfo.sh; here the
 * expectations follow from how each fixture was built (tests/matrix.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "matrix.h"
#include "buildinfo.h"
#include "elfimg.h"
#include "cases.h"

static const char *const variants[] = { "plain", "pie-stripped", "cgo" };
static const char *const programs[] = { "maps", "leaky" };
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void fixture_path(char *buf, size_t len, const char *tc, const char *v, const char *prog)
{
	const char *b = getenv("GM_BUILD");

	snprintf(buf, len, "%s/fixtures/%s/%s/%s", b && *b ? b : "./build", tc, v, prog);
}

static int parse_mem(const uint8_t *buf, size_t len, struct go_buildinfo *bi, struct gm_err *err)
{
	struct goelf *elf = goelf__open_mem(buf, len, err);
	int ret;

	assert_non_null(elf);
	ret = go_buildinfo__parse(elf, bi, err);
	goelf__free(elf);
	return ret;
}

/* ---- the fixture matrix ---- */

static void check_fixture(const char *tc, const char *v, const struct go_buildinfo *bi,
			  const char *prog)
{
	char want[64], buf[256];
	int minor = atoi(tc + 4);

	snprintf(want, sizeof(want), "go1.%d.", minor);
	assert_memory_equal(bi->version, want, strlen(want));
	assert_null(strchr(bi->version, ' '));
	assert_int_equal(bi->major, 1);
	assert_int_equal(bi->minor, minor);
	assert_true(bi->patch > 0);
	assert_int_equal(bi->ptr_size, 8);
	assert_int_equal(go_buildinfo__check_supported(bi, NULL), 0);
	assert_true(go_buildinfo__at_least(bi, 1, 17));
	assert_true(go_buildinfo__at_least(bi, 1, minor));
	assert_false(go_buildinfo__at_least(bi, 1, minor + 1));

	assert_int_equal(go_buildinfo__has_experiment(bi, "noswissmap"),
			 !strcmp(tc, "go1.24-noswiss"));
	assert_false(go_buildinfo__has_experiment(bi, "swissmap"));
	assert_int_equal(bi->cgo, minor >= 18 && !strcmp(v, "cgo"));
	/* the go command records -buildmode since Go 1.20 */
	if (minor < 20)
		assert_string_equal(bi->buildmode, "");
	else
		assert_string_equal(bi->buildmode, strcmp(v, "pie-stripped") ? "exe" : "pie");

	snprintf(buf, sizeof(buf), "path\tgomaptrace.test/%s\nmod\tgomaptrace.test/%s\t", prog, prog);
	assert_non_null(bi->modinfo);
	assert_memory_equal(bi->modinfo, buf, strlen(buf));
	assert_int_equal(bi->modinfo[strlen(bi->modinfo) - 1], '\n');
	/* build settings (GOARCH, CGO_ENABLED, -ldflags, ...) are recorded since Go 1.18 */
	if (minor < 18) {
		assert_int_equal(go_buildinfo__setting(bi, "GOARCH", buf, sizeof(buf)), -ENOENT);
		assert_false(bi->cgo);
		return;
	}
	assert_int_equal(go_buildinfo__setting(bi, "GOARCH", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "amd64");
	assert_int_equal(go_buildinfo__setting(bi, "CGO_ENABLED", buf, sizeof(buf)), 0);
	assert_string_equal(buf, strcmp(v, "cgo") ? "0" : "1");
	if (!strcmp(v, "pie-stripped")) {
		/* stored as -ldflags="-s -w": a quoted value comes back unquoted */
		assert_int_equal(go_buildinfo__setting(bi, "-ldflags", buf, sizeof(buf)), 0);
		assert_string_equal(buf, "-s -w");
	}
	assert_int_equal(go_buildinfo__setting(bi, "NO_SUCH_SETTING", buf, sizeof(buf)), -ENOENT);
}

#define N_VAR ARRAY_LEN(variants)
#define N_PROG ARRAY_LEN(programs)
#define N_FIX (GM_MATRIX_CNT * N_VAR * N_PROG)

/* state: index into toolchain x variant x program */
static void test_fixture_one(void **state)
{
	size_t i = *(const size_t *)*state;
	const char *tc = gm_toolchains[i / (N_VAR * N_PROG)], *v = variants[i / N_PROG % N_VAR];
	const char *prog = programs[i % N_PROG];
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	struct goelf *elf;
	char path[512];

	fixture_path(path, sizeof(path), tc, v, prog);
	elf = goelf__open(path, &err);
	if (!elf)
		fail_msg("%s: %s (run `make fixtures`)", path, err.msg);
	if (go_buildinfo__parse(elf, &bi, &err))
		fail_msg("%s: %s", path, err.msg);
	check_fixture(tc, v, &bi, prog);
	go_buildinfo__free(&bi);
	goelf__free(elf);
}

/* the matrix the fixture tests are made from is the whole of tests/matrix.sh */
static void test_fixture_matrix(void **state)
{
	assert_int_equal(ARRAY_LEN(gm_toolchains) * N_VAR * N_PROG, GM_MATRIX_CNT * N_VAR * N_PROG);
}

/*
 * With the section renamed, the blob must be found by its magic in a
 * writable PT_LOAD.  In internally linked PIE it is in the second writable
 * segment (the first holds .data.rel.ro), which a first-segment-only search
 * would miss.
 */
/* state: index into toolchain x variant */
static void test_fixture_without_section(void **state)
{
	size_t i = *(const size_t *)*state;
	struct gm_err err = { { 0 } };
	struct go_buildinfo a, b;
	struct goelf *elf;
	char path[512];
	uint8_t *buf;
	size_t len = 0;

	fixture_path(path, sizeof(path), gm_toolchains[i / N_VAR], variants[i % N_VAR], "maps");
	buf = elfimg_slurp(path, &len);
	assert_non_null(buf);
	assert_int_equal(parse_mem(buf, len, &a, &err), 0);
	assert_true(elfimg_rename(buf, len, ".go.buildinfo", ".go.xuildinfo") >= 1);
	elf = goelf__open_mem(buf, len, &err);
	assert_non_null(elf);
	assert_null(goelf__section_by_name(elf, ".go.buildinfo"));
	if (go_buildinfo__parse(elf, &b, &err))
		fail_msg("%s without section: %s", path, err.msg);
	assert_string_equal(a.version, b.version);
	assert_string_equal(a.experiments, b.experiments);
	assert_string_equal(a.modinfo, b.modinfo);
	assert_int_equal(a.cgo, b.cgo);
	go_buildinfo__free(&a);
	go_buildinfo__free(&b);
	goelf__free(elf);
	free(buf);
}

static void test_not_go(void **state)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	struct elfimg img;
	uint8_t *buf;
	size_t len;

	/* a C-like executable: text and data, no blob anywhere */
	elfimg_init(&img, ET_EXEC);
	memset(elfimg_seg(&img, 0x401000, 0x200, PF_R | PF_X), 0xc3, 0x200);
	memset(elfimg_seg(&img, 0x600000, 0x200, PF_R | PF_W), 0xff, 0x200);
	buf = elfimg_build(&img, &len);
	assert_int_equal(parse_mem(buf, len, &bi, &err), -GM_ENOTGO);
	assert_int_equal(err.code, GM_ENOTGO);
	assert_string_equal(err.msg, "no .go.buildinfo: not a Go executable");
	assert_null(bi.modinfo);
	free(buf);
	elfimg_free(&img);
}

/* ---- hand-built blobs ---- */

#define DATA_VADDR	0x500000ULL
#define BLOB_VADDR	(DATA_VADDR + 0x100)

static size_t put_uvarint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Sentinel-framed modinfo, as cmd/go embeds it. */
static size_t framed(uint8_t *p, const char *text)
{
	size_t n = strlen(text);

	memset(p, 'S', 16);
	memcpy(p + 16, text, n);
	memset(p + 16 + n, 'E', 16);
	return n + 32;
}

/*
 * An image whose writable segment ends right after the inline blob: a
 * 32-byte header then `payload`.  Magic at a 16-byte aligned vaddr.
 */
static uint8_t *inline_image(const uint8_t *payload, size_t plen, bool section, size_t *len)
{
	struct elfimg img;
	uint8_t *seg, *buf;

	elfimg_init(&img, ET_EXEC);
	elfimg_seg(&img, 0x401000, 0x100, PF_R | PF_X);
	seg = elfimg_seg(&img, DATA_VADDR, 0x100 + 32 + plen, PF_R | PF_W);
	memcpy(seg + 0x100, "\xff Go buildinf:", 14);
	seg[0x100 + 14] = 8;
	seg[0x100 + 15] = 2;
	memcpy(seg + 0x100 + 32, payload, plen);
	if (section)
		elfimg_sec(&img, ".go.buildinfo", BLOB_VADDR, 32 + plen);
	buf = elfimg_build(&img, len);
	elfimg_free(&img);
	return buf;
}

/* Inline blob of a version and a framed modinfo; parse it. */
static int parse_inline(const char *version, const char *modtext, struct go_buildinfo *bi,
			struct gm_err *err)
{
	uint8_t payload[4096], *buf;
	size_t n = 0, len, vl = strlen(version);
	int ret;

	n += put_uvarint(payload + n, vl);
	memcpy(payload + n, version, vl);
	n += vl;
	if (modtext) {
		uint8_t mod[2048];
		size_t ml = framed(mod, modtext);

		n += put_uvarint(payload + n, ml);
		memcpy(payload + n, mod, ml);
		n += ml;
	} else {
		payload[n++] = 0;
	}
	buf = inline_image(payload, n, true, &len);
	ret = parse_mem(buf, len, bi, err);
	free(buf);
	return ret;
}

static void test_inline_settings(void **state)
{
	const char *mod =
		"path\texample.com/app\n"
		"mod\texample.com/app\tv1.2.3\th1:abc=\n"
		"dep\tgolang.org/x/sys\tv0.1.0\th1:def=\n"
		"build\t-buildmode=pie\n"
		"build\t-compiler=gc\n"
		"build\t-ldflags=\"-s -w -X \\\"main.v=1 2\\\"\"\n"
		"build\t-tags=`a b`\n"
		"build\tCGO_ENABLED=1\n"
		"build\tGOEXPERIMENT=noswissmap,arenas\n"
		"build\tGOARCH=amd64\n";
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	char buf[64], tiny[4];

	assert_int_equal(parse_inline("go1.24.3 X:noswissmap,rangefunc", mod, &bi, &err), 0);
	assert_string_equal(bi.version, "go1.24.3");
	assert_int_equal(bi.minor, 24);
	assert_int_equal(bi.patch, 3);
	/* X: list first, then GOEXPERIMENT items not already there */
	assert_string_equal(bi.experiments, "noswissmap,rangefunc,arenas");
	assert_true(go_buildinfo__has_experiment(&bi, "arenas"));
	assert_true(go_buildinfo__has_experiment(&bi, "rangefunc"));
	assert_false(go_buildinfo__has_experiment(&bi, "range"));
	assert_false(go_buildinfo__has_experiment(&bi, ""));
	assert_true(bi.cgo);
	assert_string_equal(bi.buildmode, "pie");
	assert_string_equal(bi.modinfo, mod);
	assert_int_equal(go_buildinfo__setting(&bi, "-ldflags", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-s -w -X \"main.v=1 2\"");
	assert_int_equal(go_buildinfo__setting(&bi, "-tags", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a b");
	/* a prefix of a key is not the key */
	assert_int_equal(go_buildinfo__setting(&bi, "GOARC", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(go_buildinfo__setting(&bi, "-compiler", tiny, sizeof(tiny)), 0);
	assert_string_equal(tiny, "gc");
	assert_int_equal(go_buildinfo__setting(&bi, "GOARCH", tiny, sizeof(tiny)), 0);
	assert_string_equal(tiny, "amd");
	go_buildinfo__free(&bi);
	go_buildinfo__free(&bi);	/* idempotent */
}

struct version_case {
	const char *raw, *version;	/* version NULL: not checked */
	int major, minor, patch;
	bool supported;
};

static const struct version_case version_cases[] = {
	{ "go1.22", "go1.22", 1, 22, 0, true },
	{ "go1.22.12", "go1.22.12", 1, 22, 12, true },
	{ "go1.23rc1", "go1.23rc1", 1, 23, 0, true },
	{ "go1.21beta2 X:loopvar", "go1.21beta2", 1, 21, 0, true },
	{ "devel go1.24-a1b2c3d4 Tue Jan 7 00:00:00 2025 +0000", NULL, 1, 24, 0, true },
	{ "devel +a1b2c3d4 Tue Jan 7 2020", NULL, 0, 0, 0, false },
	{ "go1.17", "go1.17", 1, 17, 0, true },
	{ "go1.16.15", "go1.16.15", 1, 16, 15, false },
	{ "go2", "go2", 2, 0, 0, true },
	{ "gccgo", "gccgo", 0, 0, 0, false },
	{ "go1.9999999999", NULL, 1, 999999, 0, true },	/* digits capped, no overflow */
};

/* named by the raw version string */
static void test_version_forms(void **state)
{
	const struct version_case *c = CASE(struct version_case, state);
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	int ret;

	assert_int_equal(parse_inline(c->raw, "path\tx\n", &bi, &err), 0);
	if (c->version)
		assert_string_equal(bi.version, c->version);
	assert_int_equal(bi.major, c->major);
	assert_int_equal(bi.minor, c->minor);
	assert_int_equal(bi.patch, c->patch);
	ret = go_buildinfo__check_supported(&bi, &err);
	if (c->supported) {
		assert_int_equal(ret, 0);
	} else {
		assert_int_equal(ret, -ENOTSUP);
		assert_non_null(strstr(err.msg, "Go 1.17 or newer"));
	}
	go_buildinfo__free(&bi);
}

/* Experiment names come from the file: they are shown, never trusted. */
static void test_experiments_sanitized(void **state)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;

	assert_int_equal(parse_inline("go1.24.1 X:a\001b,,c\377,a\001b trailing", "build\tGOEXPERIMENT=c\377,d\n",
				      &bi, &err), 0);
	assert_string_equal(bi.version, "go1.24.1");
	/* controls and non-ASCII become '?', empty items and duplicates go */
	assert_string_equal(bi.experiments, "a?b,c?,d");
	go_buildinfo__free(&bi);
}

static void test_go116_reason(void **state)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;

	assert_int_equal(parse_inline("go1.16.15", NULL, &bi, &err), 0);
	assert_int_equal(go_buildinfo__check_supported(&bi, &err), -GM_EGOVERSION);
	assert_int_equal(err.code, GM_EGOVERSION);
	assert_non_null(strstr(err.msg, "go1.16.15 uses the stack-based calling convention"));
	go_buildinfo__free(&bi);
}

static void test_modinfo_framing(void **state)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	uint8_t payload[256], *buf;
	size_t n = 0, len;

	/* 40 bytes but no newline before the end sentinel: not framed, so "" */
	n += put_uvarint(payload + n, 4);
	memcpy(payload + n, "go1.", 4);
	n += 4;
	n += put_uvarint(payload + n, 40);
	memset(payload + n, 'x', 40);
	n += 40;
	buf = inline_image(payload, n, true, &len);
	assert_int_equal(parse_mem(buf, len, &bi, &err), 0);
	assert_string_equal(bi.modinfo, "");
	assert_false(bi.cgo);
	go_buildinfo__free(&bi);
	free(buf);

	/* exactly framing plus "\n": the smallest framed text */
	assert_int_equal(parse_inline("go1.20", "\n", &bi, &err), 0);
	assert_string_equal(bi.modinfo, "\n");
	go_buildinfo__free(&bi);
}

static void test_inline_found_without_section(void **state)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	uint8_t payload[32], *buf;
	size_t n = 0, len;

	n += put_uvarint(payload + n, 6);
	memcpy(payload + n, "go1.21", 6);
	n += 6;
	payload[n++] = 0;
	buf = inline_image(payload, n, false, &len);
	assert_int_equal(parse_mem(buf, len, &bi, &err), 0);
	assert_string_equal(bi.version, "go1.21");
	go_buildinfo__free(&bi);
	free(buf);
}

/* Each must fail with a reason, never read outside the image (ASan watches). */
struct inline_bad {
	const char *name;
	uint8_t payload[24];
	size_t len;
	const char *reason;
};

static const struct inline_bad inline_bad[] = {
	{ "inline corrupt: no payload at all", { 0 }, 0, "version length is truncated" },
	{ "inline corrupt: varint runs off the segment", { 0x80, 0x80 }, 2, "version length is truncated" },
	{ "inline corrupt: 11-byte varint",
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 11, "overlong varint" },
	{ "inline corrupt: 10th byte too big",
	  { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 }, 10, "overlong varint" },
	{ "inline corrupt: u64 max length",
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 10, "runs past the end" },
	{ "inline corrupt: version longer than the segment", { 5, 'g', 'o', '1' }, 4, "runs past the end" },
	{ "inline corrupt: modinfo length missing", { 3, 'g', 'o', '1' }, 4,
	  "module info length is truncated" },
	{ "inline corrupt: modinfo longer than the segment", { 3, 'g', 'o', '1', 0x90, 0x01, 'x' }, 7,
	  "module info length 144 runs past the end" },
	{ "inline corrupt: empty version", { 0, 0 }, 2, "empty Go version" },
};

static void test_inline_corrupt(void **state)
{
	const struct inline_bad *c = CASE(struct inline_bad, state);
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	uint8_t *buf;
	size_t len;
	int want;

	buf = inline_image(c->payload, c->len, true, &len);
	/* a blob with no version is no Go build's: not Go, the rest malformed */
	want = strstr(c->reason, "empty Go version") ? GM_ENOTGO : GM_EMALFORMED;
	if (parse_mem(buf, len, &bi, &err) != -want || err.code != want)
		fail_msg("%s: accepted, or code %d, want %d", c->name, err.code, want);
	if (!strstr(err.msg, c->reason))
		fail_msg("%s: reason \"%s\", want \"%s\"", c->name, err.msg, c->reason);
	assert_null(bi.modinfo);
	free(buf);
}

/* Magic in the last 31 bytes of the segment: no whole header, so not found. */
static void test_header_truncated(void **state)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	struct elfimg img;
	uint8_t *seg, *buf;
	size_t len;

	elfimg_init(&img, ET_EXEC);
	seg = elfimg_seg(&img, DATA_VADDR, 0x100 + 20, PF_R | PF_W);
	memcpy(seg + 0x100, "\xff Go buildinf:\x08\x02", 16);
	elfimg_sec(&img, ".go.buildinfo", BLOB_VADDR, 20);
	buf = elfimg_build(&img, &len);
	/* a damaged header in a section Go's linker named: malformed, not "not Go" */
	assert_int_equal(parse_mem(buf, len, &bi, &err), -GM_EMALFORMED);
	assert_string_equal(err.msg,
			    ".go.buildinfo has no whole build-info header: not a Go executable, or a corrupt one");
	free(buf);
	elfimg_free(&img);

	/* misaligned magic is not a blob either (debug/buildinfo agrees) */
	elfimg_init(&img, ET_EXEC);
	seg = elfimg_seg(&img, DATA_VADDR, 0x200, PF_R | PF_W);
	memcpy(seg + 0x108, "\xff Go buildinf:\x08\x02", 16);
	buf = elfimg_build(&img, &len);
	assert_int_equal(parse_mem(buf, len, &bi, &err), -ENOEXEC);
	free(buf);
	elfimg_free(&img);
}

/*
 * Go <= 1.17 layout: header pointers at +16 and +24 to string headers
 * {data, len}.  For ET_DYN every pointer is zero in the file and comes
 * from a RELATIVE relocation, as the Go linker writes PIE.
 */
struct ptr_blob {
	uint16_t type;
	const char *version, *mod;
	uint64_t vers_hdr, mod_hdr;	/* 0: the good place */
	uint64_t vers_len;		/* 0: strlen(version) */
	uint8_t flags, ptr_size;
	uint64_t mod_len;		/* 0: the framed text's length */
};

static int parse_ptr_blob(const struct ptr_blob *pb, struct go_buildinfo *bi, struct gm_err *err)
{
	uint8_t modbuf[1024];
	size_t mlen = pb->mod ? framed(modbuf, pb->mod) : 0, len = 0;
	struct elfimg img;
	uint8_t *seg, *buf;
	int ret;

	elfimg_init(&img, pb->type);
	elfimg_seg(&img, 0x401000, 0x100, PF_R | PF_X);
	seg = elfimg_seg(&img, DATA_VADDR, 0x1000, PF_R | PF_W);
	memcpy(seg, "\xff Go buildinf:", 14);
	seg[14] = pb->ptr_size ? pb->ptr_size : 8;
	seg[15] = pb->flags;
	elfimg_ptr(&img, DATA_VADDR + 16, pb->vers_hdr ? pb->vers_hdr : DATA_VADDR + 0x40);
	elfimg_ptr(&img, DATA_VADDR + 24, pb->mod_hdr ? pb->mod_hdr : DATA_VADDR + 0x50);
	elfimg_ptr(&img, DATA_VADDR + 0x40, DATA_VADDR + 0x100);
	elfimg_put64(&img, DATA_VADDR + 0x48, pb->vers_len ? pb->vers_len : strlen(pb->version));
	elfimg_ptr(&img, DATA_VADDR + 0x50, DATA_VADDR + 0x200);
	elfimg_put64(&img, DATA_VADDR + 0x58, pb->mod_len ? pb->mod_len : mlen);
	memcpy(seg + 0x100, pb->version, strlen(pb->version));
	memcpy(seg + 0x200, modbuf, mlen);
	elfimg_sec(&img, ".go.buildinfo", DATA_VADDR, 32);
	buf = elfimg_build(&img, &len);
	ret = parse_mem(buf, len, bi, err);
	free(buf);
	elfimg_free(&img);
	return ret;
}

struct ptr_format {
	const char *name;
	uint16_t type;
};

static const struct ptr_format ptr_formats[] = {
	{ "pointer format: EXEC", ET_EXEC },
	{ "pointer format: PIE (relocations)", ET_DYN },
};

static void test_pointer_format(void **state)
{
	const struct ptr_format *c = CASE(struct ptr_format, state);
	const char *mod = "path\tex.com/old\nmod\tex.com/old\t(devel)\t\nbuild\tCGO_ENABLED=1\n";
	struct ptr_blob pb = { .type = c->type, .version = "go1.17.13", .mod = mod };
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;

	if (parse_ptr_blob(&pb, &bi, &err))
		fail_msg("%s: %s", c->name, err.msg);
	assert_string_equal(bi.version, "go1.17.13");
	assert_int_equal(bi.minor, 17);
	assert_int_equal(bi.patch, 13);
	assert_string_equal(bi.modinfo, mod);
	assert_true(bi.cgo);
	assert_int_equal(go_buildinfo__check_supported(&bi, NULL), 0);
	go_buildinfo__free(&bi);

	pb.version = "go1.16.15";
	assert_int_equal(parse_ptr_blob(&pb, &bi, &err), 0);
	assert_int_equal(go_buildinfo__check_supported(&bi, &err), -ENOTSUP);
	go_buildinfo__free(&bi);
}

struct ptr_bad {
	const char *name;
	struct ptr_blob pb;
	const char *reason;
};

static const struct ptr_bad ptr_bad[] = {
	{ "pointer corrupt: version header pointer dangling",
	  { ET_EXEC, "go1.17", NULL, 0xdead0000, 0, 0, 0, 0 }, "version pointer" },
	{ "pointer corrupt: modinfo header pointer dangling (PIE)",
	  { ET_DYN, "go1.17", NULL, 0, 0x7fff00000000, 0, 0, 0 }, "module info pointer" },
	{ "pointer corrupt: header pointer at the last byte",
	  { ET_EXEC, "go1.17", NULL, DATA_VADDR + 0xffc, 0, 0, 0, 0 }, "dangling" },
	{ "pointer corrupt: modinfo data past the segment",
	  { ET_EXEC, "go1.17", NULL, 0, 0, 0, 0, 0, 0xe01 }, "lies outside the file" },
	{ "pointer corrupt: absurd version length",
	  { ET_DYN, "go1.17", NULL, 0, 0, 1ULL << 62, 0, 0 }, "implausible" },
	{ "pointer corrupt: big-endian flag", { ET_EXEC, "go1.17", NULL, 0, 0, 0, 1, 0 }, "big-endian" },
	{ "pointer corrupt: 4-byte pointers", { ET_EXEC, "go1.17", NULL, 0, 0, 0, 0, 4 }, "pointer size 4" },
};

static void test_pointer_corrupt(void **state)
{
	const struct ptr_bad *c = CASE(struct ptr_bad, state);
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;

	if (parse_ptr_blob(&c->pb, &bi, &err) != -GM_EMALFORMED)
		fail_msg("%s: accepted", c->name);
	if (!strstr(err.msg, c->reason))
		fail_msg("%s: reason \"%s\", want \"%s\"", c->name, err.msg, c->reason);
}

struct uvarint_case {
	const char *name;
	const char *in;
	size_t len;
	int ret;
	uint64_t v;		/* when ret > 0 */
};

static const struct uvarint_case uvarint_cases[] = {
	{ "uvarint: 0", "\x00", 1, 1, 0 },
	{ "uvarint: 127", "\x7f", 1, 1, 127 },
	{ "uvarint: 128", "\x80\x01", 2, 2, 128 },
	{ "uvarint: u64 max", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, 10, UINT64_MAX },
	{ "uvarint: cut short", "\x80", 1, -ENODATA },
	{ "uvarint: empty", "", 0, -ENODATA },
	{ "uvarint: 11 bytes", "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11, -EOVERFLOW },
};

static void test_uvarint(void **state)
{
	const struct uvarint_case *c = CASE(struct uvarint_case, state);
	uint64_t v = 0;

	assert_int_equal(go_uvarint((const uint8_t *)c->in, c->len, &v), c->ret);
	if (c->ret > 0)
		assert_true(v == c->v);
}

int main(void)
{
	/* one named test per fixture, so a failure says which build broke */
	static char fix_names[N_FIX][64], sec_names[GM_MATRIX_CNT * N_VAR][64];
	static size_t idx[N_FIX];
	struct suite s = {};
	size_t i;

	for (i = 0; i < N_FIX; i++) {
		idx[i] = i;
		snprintf(fix_names[i], sizeof(fix_names[i]), "fixture %s/%s/%s",
			 gm_toolchains[i / (N_VAR * N_PROG)], variants[i / N_PROG % N_VAR],
			 programs[i % N_PROG]);
		suite_add(&s, fix_names[i], test_fixture_one, &idx[i], NULL, NULL);
	}
	suite_test(&s, test_fixture_matrix);
	for (i = 0; i < GM_MATRIX_CNT * N_VAR; i++) {
		snprintf(sec_names[i], sizeof(sec_names[i]), "fixture without section %s/%s",
			 gm_toolchains[i / N_VAR], variants[i % N_VAR]);
		suite_add(&s, sec_names[i], test_fixture_without_section, &idx[i], NULL, NULL);
	}
	suite_test(&s, test_not_go);
	suite_test(&s, test_inline_settings);
	suite_rows(&s, test_version_forms, version_cases);
	suite_test(&s, test_experiments_sanitized);
	suite_test(&s, test_go116_reason);
	suite_test(&s, test_modinfo_framing);
	suite_test(&s, test_inline_found_without_section);
	suite_rows(&s, test_inline_corrupt, inline_bad);
	suite_test(&s, test_header_truncated);
	suite_rows(&s, test_pointer_format, ptr_formats);
	suite_rows(&s, test_pointer_corrupt, ptr_bad);
	suite_rows(&s, test_uvarint, uvarint_cases);
	return suite_run(&s, "buildinfo");
}
