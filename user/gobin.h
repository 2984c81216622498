/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gobin: everything known about one Go executable, opened once.
 *
 * Contract: gobin__open() maps the file and runs every reader in order
 * (ELF, buildinfo, version check, pclntab, types, probe plan); the first
 * failure is returned as -errno with its reason, so callers print one line
 * naming the path.  Processes running the same file share one gobin (the
 * daemon keys them by device and inode).  Type names and symbols use
 * link-time addresses: subtract a process's load bias first.
 *
 * Releases newer than the newest one the test matrix covers (tests/matrix.sh,
 * build/gm_tested.h) are traced with the newest known layouts only while the
 * runtime self-check passes (gotypes__self_check, run at open): when it
 * fails, the binary is still probed but its map types are not named, and
 * every output says why.  gobin__newer_note() is the one line each output
 * prints about it; gobin__type_unavailable() says why a type has no name,
 * so that no report shows a bare "?".
 */
#ifndef GOBIN_H
#define GOBIN_H

#include <sys/types.h>
#include "goelf.h"
#include "buildinfo.h"
#include "pclntab.h"
#include "gotypes.h"
#include "probeplan.h"

enum gobin_check {
	GOBIN_CHECK_NOT_NEEDED,	/* a tested release: not run, its layouts are pinned */
	GOBIN_CHECK_PASSED,
	GOBIN_CHECK_FAILED,
};

struct gobin {
	char *path;
	dev_t dev;
	ino_t ino;
	struct goelf *elf;
	struct go_buildinfo bi;
	struct pclntab *tab;
	struct gotypes *types;	/* NULL if moduledata was not found: names unknown */
	struct probeplan *plan;
	/* p_vaddr - p_offset of the first PT_LOAD: for load bias arithmetic */
	uint64_t first_load_base;
	/* what is known of the release that built it (see above) */
	bool layout_verified;		/* map layout checked against this release's sources */
	bool newer_than_tested;		/* newer than GM_NEWEST_TESTED */
	enum gobin_check self_check;
	char self_check_detail[256];	/* what was seen, or why it failed; "" when not run */
	char types_unavailable[512];	/* why no type can be named; "" when they can */
	char newer_note[768];		/* "" for a tested release */
};

struct gobin *gobin__open(const char *path, struct gm_err *err);
void gobin__free(struct gobin *bin);

/*
 * Type name of a link-time type address into buf; "?" on failure, and then
 * gobin__type_unavailable() says why.
 */
const char *gobin__type_name(const struct gobin *bin, uint64_t type_vaddr, char *buf, size_t len);
/* Why type_vaddr has no name (one line), or NULL when it has one. */
const char *gobin__type_unavailable(const struct gobin *bin, uint64_t type_vaddr);
/*
 * For a release newer than the newest tested: one line saying which
 * release built the binary, that it is newer than the newest tested, and
 * whether the runtime self-check passed (and if not, that types are not
 * named).  NULL for a tested release.
 */
const char *gobin__newer_note(const struct gobin *bin);
/* "not_needed" / "passed" / "failed" (JSON values). */
const char *gobin__check_str(enum gobin_check c);
/* The newest Go release the test matrix covers: "go1.27", and 27. */
const char *gobin__newest_tested(void);
int gobin__newest_tested_minor(void);
/*
 * Fill bin's release facts from bin->bi, bin->plan and bin->types; on a
 * failed self-check bin->types is freed and set to NULL.  types_err: why
 * gotypes__new() failed when bin->types is NULL.  Run by gobin__open();
 * exposed for tests that patch a binary's version.
 */
void gobin__check_release(struct gobin *bin, const char *types_err);

#endif /* GOBIN_H */
