// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Build info of a Go executable, read the way debug/buildinfo reads it but
 * trusting nothing: the blob, its two strings and (before Go 1.18) the
 * string headers they point to all come from an arbitrary container image.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buildinfo.h"

#define BI_MAGIC	"\xff Go buildinf:"
#define BI_MAGIC_LEN	14
#define BI_HDR_LEN	32
#define BI_ALIGN	16

#define BI_FLAG_BIGENDIAN	0x1
#define BI_FLAG_INLINE		0x2

/* The module framing cmd/go wraps around modinfo: 16 bytes each side. */
#define BI_SENTINEL_LEN		16

/*
 * Far above anything real (a version is ~10-60 bytes, a large program's
 * modinfo a few tens of KiB); a length beyond these is corruption, and
 * refusing it keeps a hostile file from making us allocate gigabytes.
 */
#define BI_MAX_VERSION	1024
#define BI_MAX_MODINFO	(16u << 20)

int go_uvarint(const uint8_t *p, size_t len, uint64_t *val)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && i < 10; i++) {
		/* the 10th byte may only carry the top bit of a u64 */
		if (i == 9 && p[i] > 1)
			return -EOVERFLOW;
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*val = v;
			return (int)i + 1;
		}
	}
	return i == 10 ? -EOVERFLOW : -ENODATA;
}

/*
 * File bytes from vaddr to the end of the file-backed part of its PT_LOAD.
 * debug/buildinfo bounds its reads the same way; going through goelf for
 * each read would not tell us how much is left for a varint.
 */
static const uint8_t *vaddr_span(const struct goelf *elf, uint64_t vaddr, size_t *avail)
{
	size_t i;

	for (i = 0; i < goelf__segment_cnt(elf); i++) {
		const struct goelf_segment *sg = goelf__segment(elf, i);

		if (sg->type != PT_LOAD || vaddr < sg->vaddr || vaddr - sg->vaddr >= sg->filesz)
			continue;
		*avail = sg->filesz - (vaddr - sg->vaddr);
		return goelf__vaddr_ptr(elf, vaddr, *avail);
	}
	return NULL;
}

/* First 16-byte aligned magic with a whole header after it in [vaddr, vaddr+len). */
static bool find_magic(const uint8_t *p, uint64_t vaddr, uint64_t len, uint64_t *found)
{
	uint64_t i = (BI_ALIGN - vaddr % BI_ALIGN) % BI_ALIGN;

	for (; i < len && len - i >= BI_HDR_LEN; i += BI_ALIGN) {
		if (!memcmp(p + i, BI_MAGIC, BI_MAGIC_LEN)) {
			*found = vaddr + i;
			return true;
		}
	}
	return false;
}

/*
 * The section when the linker named it; otherwise the writable PT_LOADs in
 * order.  Externally linked PIE puts .data.rel.ro in the first writable
 * segment and the blob in the second, so all of them are searched.
 */
static int locate_blob(const struct goelf *elf, uint64_t *blob, struct gm_err *err)
{
	const struct goelf_section *sec = goelf__section_by_name(elf, ".go.buildinfo");
	const uint8_t *p;
	size_t i;

	if (sec && sec->addr && (p = goelf__section_data(elf, sec)) &&
	    find_magic(p, sec->addr, sec->size, blob))
		return 0;
	for (i = 0; i < goelf__segment_cnt(elf); i++) {
		const struct goelf_segment *sg = goelf__segment(elf, i);

		if (sg->type != PT_LOAD || (sg->flags & (PF_W | PF_X)) != PF_W || !sg->filesz)
			continue;
		p = goelf__vaddr_ptr(elf, sg->vaddr, sg->filesz);
		if (p && find_magic(p, sg->vaddr, sg->filesz, blob))
			return 0;
	}
	/* a section by that name says the linker was Go's: the header is damaged */
	if (sec)
		return gm_err_set(err, GM_EMALFORMED,
				  ".go.buildinfo has no whole build-info header: not a Go executable, or a corrupt one");
	return gm_err_set(err, GM_ENOTGO, "no .go.buildinfo: not a Go executable");
}

/* Go >= 1.18: a uvarint length, then the bytes, right after the header. */
static int read_inline(const struct goelf *elf, uint64_t *addr, uint64_t max,
		       const uint8_t **str, uint64_t *len, const char *what,
		       struct gm_err *err)
{
	const uint8_t *p;
	size_t avail;
	uint64_t n;
	int used;

	/* the blob is followed by the strings: nothing there means truncation */
	p = vaddr_span(elf, *addr, &avail);
	if (!p)
		return gm_err_set(err, GM_EMALFORMED, "build info %s length is truncated", what);
	used = go_uvarint(p, avail, &n);
	if (used < 0)
		return gm_err_set(err, GM_EMALFORMED, "build info %s length is %s", what,
				  used == -EOVERFLOW ? "an overlong varint" : "truncated");
	if (n > max || n > avail - (size_t)used)
		return gm_err_set(err, GM_EMALFORMED, "build info %s length %llu runs past the end of its segment",
				  what, (unsigned long long)n);
	*str = p + used;
	*len = n;
	*addr += (uint64_t)used + n;
	return 0;
}

/*
 * Go <= 1.17: a pointer to a Go string header {data, len}.  In PIE both
 * pointers are zero in the file and come from RELATIVE relocations.
 */
static int read_indirect(const struct goelf *elf, uint64_t slot, uint64_t max,
			 const uint8_t **str, uint64_t *len, const char *what,
			 struct gm_err *err)
{
	uint64_t hdr, data, n;

	if (goelf__read_ptr(elf, slot, &hdr) || goelf__read_ptr(elf, hdr, &data) ||
	    goelf__read_ptr(elf, hdr + 8, &n))
		return gm_err_set(err, GM_EMALFORMED, "build info %s pointer %#llx is dangling",
				  what, (unsigned long long)hdr);
	if (n > max)
		return gm_err_set(err, GM_EMALFORMED, "build info %s length %llu is implausible",
				  what, (unsigned long long)n);
	*str = n ? goelf__vaddr_ptr(elf, data, n) : (const uint8_t *)"";
	if (!*str)
		return gm_err_set(err, GM_EMALFORMED, "build info %s data at %#llx+%llu lies outside the file",
				  what, (unsigned long long)data, (unsigned long long)n);
	*len = n;
	return 0;
}

/* "go1.22.12", "go1.23rc1", "devel go1.24-abc123 ...": 0 if no "goN.M" in it. */
static void parse_version_numbers(struct go_buildinfo *bi)
{
	const char *s = bi->version;
	int v[3] = { 0, 0, 0 }, i;

	if (!strncmp(s, "devel ", 6))
		s += 6;
	if (strncmp(s, "go", 2))
		return;
	s += 2;
	for (i = 0; i < 3; i++) {
		int n = 0, digits = 0;

		for (; *s >= '0' && *s <= '9' && digits < 6; s++, digits++)
			n = n * 10 + (*s - '0');
		if (!digits)
			break;
		v[i] = n;
		if (*s != '.')
			break;
		s++;
	}
	if (i == 0 && v[0] == 0)
		return;
	bi->major = v[0];
	bi->minor = v[1];
	bi->patch = v[2];
}

static bool list_has(const char *list, const char *name, size_t name_len)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == name_len && !strncmp(p, name, n))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Append each item of a comma list not already present; drops what does not fit. */
static void add_experiments(struct go_buildinfo *bi, const char *items, size_t len)
{
	char item[sizeof(bi->experiments)];
	size_t off = 0, n, k, have;

	while (off < len) {
		for (n = 0; off + n < len && items[off + n] != ','; n++) {
			unsigned char c = items[off + n];

			/* names are identifiers: anything else is shown, not trusted */
			if (n < sizeof(item))
				item[n] = c <= ' ' || c >= 0x7f ? '?' : (char)c;
		}
		have = strlen(bi->experiments);
		k = have ? have + 1 : 0;
		if (n && n < sizeof(bi->experiments) - k && !list_has(bi->experiments, item, n)) {
			if (have)
				bi->experiments[have] = ',';
			memcpy(bi->experiments + k, item, n);
			bi->experiments[k + n] = '\0';
		}
		off += n + 1;
	}
}

/* Version text up to " X:", experiments after it up to the next space. */
static void split_version(struct go_buildinfo *bi, const uint8_t *s, uint64_t len)
{
	uint64_t i, vlen = len, xoff = len, xlen = 0;

	for (i = 0; i + 3 <= len; i++) {
		if (s[i] == ' ' && s[i + 1] == 'X' && s[i + 2] == ':') {
			vlen = i;
			xoff = i + 3;
			while (xoff + xlen < len && s[xoff + xlen] != ' ')
				xlen++;
			break;
		}
	}
	if (vlen >= sizeof(bi->version))
		vlen = sizeof(bi->version) - 1;
	memcpy(bi->version, s, vlen);
	bi->version[vlen] = '\0';
	/* printed and compared as text: a NUL would cut it, controls garble it */
	for (i = 0; i < vlen; i++) {
		unsigned char c = bi->version[i];

		if (c < 0x20 || c >= 0x7f)
			bi->version[i] = '?';
	}
	add_experiments(bi, (const char *)s + xoff, xlen);
}

int go_buildinfo__parse(const struct goelf *elf, struct go_buildinfo *bi,
			struct gm_err *err)
{
	const uint8_t *hdr, *vers = NULL, *mod = NULL;
	uint64_t blob = 0, addr, vlen = 0, mlen = 0;
	char buf[sizeof(bi->experiments)];
	int ret;

	memset(bi, 0, sizeof(*bi));
	ret = locate_blob(elf, &blob, err);
	if (ret)
		goto cleanup;
	hdr = goelf__vaddr_ptr(elf, blob, BI_HDR_LEN);
	if (!hdr) {
		ret = gm_err_set(err, GM_EMALFORMED, "build info header is truncated");
		goto cleanup;
	}
	bi->ptr_size = hdr[14];
	if (hdr[15] & BI_FLAG_INLINE) {
		addr = blob + BI_HDR_LEN;
		ret = read_inline(elf, &addr, BI_MAX_VERSION, &vers, &vlen, "version", err);
		if (!ret)
			ret = read_inline(elf, &addr, BI_MAX_MODINFO, &mod, &mlen, "module info", err);
	} else {
		if (hdr[15] & BI_FLAG_BIGENDIAN) {
			ret = gm_err_set(err, GM_EMALFORMED, "big-endian build info in a little-endian ELF");
			goto cleanup;
		}
		if (bi->ptr_size != 8) {
			ret = gm_err_set(err, GM_EMALFORMED, "build info pointer size %d in a 64-bit ELF",
					 bi->ptr_size);
			goto cleanup;
		}
		ret = read_indirect(elf, blob + 16, BI_MAX_VERSION, &vers, &vlen, "version", err);
		if (!ret)
			ret = read_indirect(elf, blob + 24, BI_MAX_MODINFO, &mod, &mlen,
					    "module info", err);
	}
	if (ret)
		goto cleanup;
	if (!vlen) {
		ret = gm_err_set(err, GM_ENOTGO, "empty Go version in build info: not a Go executable");
		goto cleanup;
	}
	split_version(bi, vers, vlen);
	parse_version_numbers(bi);

	/* same test as debug/buildinfo: framing present iff a newline ends the text */
	if (mlen >= 2 * BI_SENTINEL_LEN + 1 && mod[mlen - BI_SENTINEL_LEN - 1] == '\n') {
		mod += BI_SENTINEL_LEN;
		mlen -= 2 * BI_SENTINEL_LEN;
	} else {
		mlen = 0;
	}
	bi->modinfo = malloc(mlen + 1);
	if (!bi->modinfo) {
		ret = gm_err_set(err, ENOMEM, "out of memory for %llu bytes of module info",
				 (unsigned long long)mlen);
		goto cleanup;
	}
	if (mlen)
		memcpy(bi->modinfo, mod, mlen);
	bi->modinfo[mlen] = '\0';

	if (!go_buildinfo__setting(bi, "GOEXPERIMENT", buf, sizeof(buf)))
		add_experiments(bi, buf, strlen(buf));
	if (!go_buildinfo__setting(bi, "CGO_ENABLED", buf, sizeof(buf)))
		bi->cgo = !strcmp(buf, "1");
	if (go_buildinfo__setting(bi, "-buildmode", bi->buildmode, sizeof(bi->buildmode)))
		bi->buildmode[0] = '\0';
	ret = 0;

cleanup:
	if (ret)
		go_buildinfo__free(bi);
	return ret;
}

void go_buildinfo__free(struct go_buildinfo *bi)
{
	if (!bi)
		return;
	free(bi->modinfo);
	bi->modinfo = NULL;
}

/*
 * Values with spaces, tabs or quotes are written as Go quoted strings
 * (runtime/debug quoteValue): undo the escapes a build setting can carry.
 */
static void unquote_into(const char *v, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	if (n >= 2 && ((v[0] == '"' && v[n - 1] == '"') || (v[0] == '`' && v[n - 1] == '`'))) {
		bool raw = v[0] == '`';

		for (i = 1; i + 1 < n && o + 1 < len; i++) {
			char c = v[i];

			if (!raw && c == '\\' && i + 2 < n) {
				c = v[++i];
				c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
			}
			buf[o++] = c;
		}
	} else {
		for (i = 0; i < n && o + 1 < len; i++)
			buf[o++] = v[i];
	}
	buf[o] = '\0';
}

int go_buildinfo__setting(const struct go_buildinfo *bi, const char *key,
			  char *buf, size_t len)
{
	size_t klen = strlen(key);
	const char *line;

	if (!bi->modinfo || !len)
		return -ENOENT;
	for (line = bi->modinfo; *line; ) {
		size_t n = strcspn(line, "\n");

		if (n > 6 + klen && !strncmp(line, "build\t", 6) &&
		    !strncmp(line + 6, key, klen) && line[6 + klen] == '=') {
			unquote_into(line + 7 + klen, n - 7 - klen, buf, len);
			return 0;
		}
		line += n;
		if (*line)
			line++;
	}
	return -ENOENT;
}

bool go_buildinfo__has_experiment(const struct go_buildinfo *bi, const char *name)
{
	return name && *name && list_has(bi->experiments, name, strlen(name));
}

bool go_buildinfo__at_least(const struct go_buildinfo *bi, int major, int minor)
{
	return bi->major > major || (bi->major == major && bi->minor >= minor);
}

int go_buildinfo__check_supported(const struct go_buildinfo *bi, struct gm_err *err)
{
	if (!bi->major)
		return gm_err_set(err, GM_EGOVERSION, "cannot tell the Go version from \"%s\"; gomaptrace needs Go 1.17 or newer",
				  bi->version);
	if (!go_buildinfo__at_least(bi, 1, 17))
		return gm_err_set(err, GM_EGOVERSION, "%s uses the stack-based calling convention; gomaptrace needs Go 1.17 or newer (register ABI)",
				  bi->version);
	if (bi->ptr_size && bi->ptr_size != 8)
		return gm_err_set(err, GM_EARCH, "%d-byte pointers: only 64-bit Go binaries are supported",
				  bi->ptr_size);
	return 0;
}
