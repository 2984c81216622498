// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "gobin.h"

struct gobin *gobin__open(const char *path, struct gm_err *err)
{
	struct gobin *bin = calloc(1, sizeof(*bin));
	struct gm_err ignored;
	struct stat st;
	size_t i;

	if (!bin || !(bin->path = strdup(path))) {
		gm_err_set(err, ENOMEM, "out of memory");
		goto err_out;
	}
	if (stat(path, &st)) {
		gm_err_set(err, errno, "cannot stat: %s", strerror(errno));
		goto err_out;
	}
	bin->dev = st.st_dev;
	bin->ino = st.st_ino;
	bin->elf = goelf__open(path, err);
	if (!bin->elf)
		goto err_out;
	if (go_buildinfo__parse(bin->elf, &bin->bi, err))
		goto err_out;
	if (go_buildinfo__check_supported(&bin->bi, err))
		goto err_out;
	bin->tab = pclntab__new(bin->elf, err);
	if (!bin->tab)
		goto err_out;
	/* Without moduledata we can still probe; only type names are lost. */
	bin->types = gotypes__new(bin->elf, bin->tab, &bin->bi, &ignored);
	bin->plan = probeplan__new(bin->elf, bin->tab, &bin->bi, err);
	if (!bin->plan)
		goto err_out;
	/* the plan has every code offset it needs; keep only what reports read */
	goelf__drop_code(bin->elf);
	for (i = 0; i < goelf__segment_cnt(bin->elf); i++) {
		const struct goelf_segment *sg = goelf__segment(bin->elf, i);

		if (sg->type == PT_LOAD) {
			bin->first_load_base = sg->vaddr - sg->offset;
			break;
		}
	}
	return bin;

err_out:
	gobin__free(bin);
	return NULL;
}

void gobin__free(struct gobin *bin)
{
	if (!bin)
		return;
	probeplan__free(bin->plan);
	gotypes__free(bin->types);
	pclntab__free(bin->tab);
	go_buildinfo__free(&bin->bi);
	goelf__free(bin->elf);
	free(bin->path);
	free(bin);
}

const char *gobin__type_name(const struct gobin *bin, uint64_t type_vaddr, char *buf, size_t len)
{
	if (!bin->types || !type_vaddr || gotypes__name(bin->types, type_vaddr, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}
