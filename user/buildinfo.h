/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * buildinfo: what the Go linker recorded about how a binary was built.
 *
 * Contract: go_buildinfo__parse() reads the `.go.buildinfo` blob (by section
 * name, or by its magic in the first writable PT_LOAD when sections were
 * renamed) in both formats: inline strings (Go >= 1.18) and pointers to Go
 * string headers (Go 1.13-1.17, relocations applied for PIE).  It fills a
 * caller-owned struct; go_buildinfo__free() releases the module info copy.
 * Go versions before 1.17 use the stack ABI, which the probes cannot read:
 * parsing succeeds, and go_buildinfo__check_supported() says why not.
 */
#ifndef BUILDINFO_H
#define BUILDINFO_H

#include <stdbool.h>
#include "goelf.h"

struct go_buildinfo {
	char version[64];	/* "go1.24.3" (experiment suffix removed) */
	char experiments[128];	/* "noswissmap" from " X:noswissmap" or GOEXPERIMENT=, comma list */
	int major, minor, patch;	/* 1, 24, 3; patch 0 for "go1.24" and betas */
	int ptr_size;		/* 8 */
	bool cgo;		/* build setting CGO_ENABLED=1 */
	char buildmode[16];	/* build setting -buildmode, "" if not recorded */
	char *modinfo;		/* module info text (path/mod/dep/build lines), owned; may be "" */
};

int go_buildinfo__parse(const struct goelf *elf, struct go_buildinfo *bi,
			struct gm_err *err);
void go_buildinfo__free(struct go_buildinfo *bi);
/* Value of a `build KEY=VALUE` setting line, copied into buf; -ENOENT if absent. */
int go_buildinfo__setting(const struct go_buildinfo *bi, const char *key,
			  char *buf, size_t len);
bool go_buildinfo__has_experiment(const struct go_buildinfo *bi, const char *name);
/* 0 if the probes can serve this Go version; else -ENOTSUP and a reason. */
int go_buildinfo__check_supported(const struct go_buildinfo *bi, struct gm_err *err);
/* version >= major.minor */
bool go_buildinfo__at_least(const struct go_buildinfo *bi, int major, int minor);

/*
 * Go's unsigned varint (encoding/binary.Uvarint), shared by the readers of
 * Go metadata.  Returns the bytes used, -ENODATA when p ends inside it, or
 * -EOVERFLOW when it does not fit 64 bits.
 */
int go_uvarint(const uint8_t *p, size_t len, uint64_t *val);

#endif /* BUILDINFO_H */
