// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "gobin.h"
#include "gm_tested.h"

struct gobin *gobin__open(const char *path, struct gm_err *err)
{
	struct gobin *bin = calloc(1, sizeof(*bin));
	struct gm_err types_err = { { 0 } };
	struct stat st;
	size_t i;
	int ret;

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
	ret = go_buildinfo__parse(bin->elf, &bin->bi, err);
	if (!ret)
		ret = go_buildinfo__check_supported(&bin->bi, err);
	if (ret) {
		errno = -ret;
		goto err_out;
	}
	bin->tab = pclntab__new(bin->elf, err);
	if (!bin->tab)
		goto err_out;
	/* Without moduledata we can still probe; only type names are lost. */
	bin->types = gotypes__new(bin->elf, bin->tab, &bin->bi, &types_err);
	bin->plan = probeplan__new(bin->elf, bin->tab, &bin->bi, err);
	if (!bin->plan)
		goto err_out;
	/* before drop_code: nothing it reads is code, but keep the order obvious */
	gobin__check_release(bin, types_err.msg);
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
	gobin__free(bin);	/* keeps errno: the first failure's code */
	return NULL;
}

void gobin__free(struct gobin *bin)
{
	int saved = errno;

	if (!bin)
		return;
	probeplan__free(bin->plan);
	gotypes__free(bin->types);
	pclntab__free(bin->tab);
	go_buildinfo__free(&bin->bi);
	goelf__free(bin->elf);
	free(bin->path);
	free(bin);
	errno = saved;
}

const char *gobin__newest_tested(void)
{
	return GM_NEWEST_TESTED;
}

int gobin__newest_tested_minor(void)
{
	return GM_NEWEST_TESTED_MINOR;
}

const char *gobin__check_str(enum gobin_check c)
{
	switch (c) {
	case GOBIN_CHECK_NOT_NEEDED:
		return "not_needed";
	case GOBIN_CHECK_PASSED:
		return "passed";
	case GOBIN_CHECK_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

/*
 * Only a release the matrix does not cover gets the self-check: on tested
 * ones the layouts are pinned by the tests (which also run the check on
 * every fixture, so it is known to pass there), and a check that could
 * only be wrong must not take their types away.
 */
void gobin__check_release(struct gobin *bin, const char *types_err)
{
	const struct gm_layout *l = &bin->plan->layout;
	const char *ver = bin->bi.version;

	bin->layout_verified = probeplan__layout_checked(bin->plan->impl, &bin->bi,
							 GM_NEWEST_TESTED_MINOR);
	bin->newer_than_tested = go_buildinfo__at_least(&bin->bi, 1, GM_NEWEST_TESTED_MINOR + 1);
	bin->self_check = GOBIN_CHECK_NOT_NEEDED;
	bin->self_check_detail[0] = '\0';
	bin->types_unavailable[0] = '\0';
	bin->newer_note[0] = '\0';
	if (!bin->types)
		snprintf(bin->types_unavailable, sizeof(bin->types_unavailable), "%s",
			 types_err && *types_err ? types_err :
			 "no moduledata found: type names unavailable");
	if (!bin->newer_than_tested)
		return;

	if (!bin->types) {
		bin->self_check = GOBIN_CHECK_FAILED;
		snprintf(bin->self_check_detail, sizeof(bin->self_check_detail),
			 "no type data found with the known moduledata layouts");
	} else if (gotypes__self_check(bin->types, l->type_bucketsize_off, l->type_bucketsize_size,
				       bin->self_check_detail, sizeof(bin->self_check_detail))) {
		bin->self_check = GOBIN_CHECK_FAILED;
		/* names read through a layout that failed would be guesses */
		gotypes__free(bin->types);
		bin->types = NULL;
		snprintf(bin->types_unavailable, sizeof(bin->types_unavailable),
			 "%s is newer than %s, the newest tested, and failed the runtime self-check (%s)",
			 ver, GM_NEWEST_TESTED, bin->self_check_detail);
	} else {
		bin->self_check = GOBIN_CHECK_PASSED;
	}
	snprintf(bin->newer_note, sizeof(bin->newer_note),
		 "built by %s, newer than %s, the newest Go release gomaptrace is tested with: "
		 "traced with the newest known layouts; runtime self-check %s (%s)%s",
		 ver, GM_NEWEST_TESTED, bin->self_check == GOBIN_CHECK_PASSED ? "passed" : "FAILED",
		 bin->self_check_detail,
		 bin->self_check == GOBIN_CHECK_PASSED ? "" : ": map types are not named");
}

const char *gobin__newer_note(const struct gobin *bin)
{
	return bin && bin->newer_note[0] ? bin->newer_note : NULL;
}

const char *gobin__type_unavailable(const struct gobin *bin, uint64_t type_vaddr)
{
	char c;
	int ret;

	if (bin->types_unavailable[0] || !bin->types)
		return bin->types_unavailable[0] ? bin->types_unavailable : "no type data";
	if (!type_vaddr)
		return "no probe that saw this map has carried its type yet";
	ret = gotypes__name(bin->types, type_vaddr, &c, 1);
	if (ret >= 0)
		return NULL;
	switch (ret) {
	case -EFAULT:
		return "its type descriptor lies outside this executable's type data";
	case -ENOENT:
		return "its type descriptor has no name";
	default:
		return "its type name is corrupt";
	}
}

const char *gobin__type_name(const struct gobin *bin, uint64_t type_vaddr, char *buf, size_t len)
{
	if (!bin->types || !type_vaddr || gotypes__name(bin->types, type_vaddr, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}
