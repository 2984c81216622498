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
 */
#ifndef GOBIN_H
#define GOBIN_H

#include <sys/types.h>
#include "goelf.h"
#include "buildinfo.h"
#include "pclntab.h"
#include "gotypes.h"
#include "probeplan.h"

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
};

struct gobin *gobin__open(const char *path, struct gm_err *err);
void gobin__free(struct gobin *bin);

/* Type name of a link-time type address into buf ("?" on failure). */
const char *gobin__type_name(const struct gobin *bin, uint64_t type_vaddr, char *buf, size_t len);

#endif /* GOBIN_H */
