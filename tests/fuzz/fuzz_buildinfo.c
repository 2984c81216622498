// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: goelf, then go_buildinfo__parse() and the lookups the
 * inspector and the attach path make on its result.  Checked promises:
 * fixed-size strings stay terminated, a setting copied into a short buffer
 * is truncated (never overflows), every experiment listed is found by
 * has_experiment, and refusals carry a reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buildinfo.h"
#include "goelf.h"

#define FUZZ_TAG "fuzz_buildinfo"
#include "fuzzcommon.h"

static void terminated(const char *s, size_t cap)
{
	CHECK(memchr(s, '\0', cap) != NULL);
	sink += strlen(s);
}

/* Look a key up through buffers of several sizes, each exactly allocated. */
static void lookup(const struct go_buildinfo *bi, const char *key)
{
	static const size_t sizes[] = { 1, 2, 7, 64, 4096 };
	char *prev = NULL;	/* the answer through the previous, shorter buffer */

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *buf = malloc(sizes[i]);
		int ret;

		CHECK(buf);
		memset(buf, 'x', sizes[i]);
		ret = go_buildinfo__setting(bi, key, buf, sizes[i]);
		if (ret == 0) {
			terminated(buf, sizes[i]);
			/* a shorter buffer holds a prefix of the longer answer */
			if (prev)
				CHECK(strncmp(prev, buf, strlen(prev)) == 0);
			free(prev);
			prev = buf;
		} else {
			free(buf);
		}
	}
	free(prev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "CGO_ENABLED", "-buildmode", "GOARCH", "GOOS",
					    "GOEXPERIMENT", "GOAMD64", "-ldflags", "vcs.revision",
					    "", "=" };
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	struct goelf *elf;
	char list[sizeof(bi.experiments)], *item, *save;
	int ret;

	elf = goelf__open_mem(data, size, &err);
	if (!elf)
		return 0;
	ret = go_buildinfo__parse(elf, &bi, &err);
	if (ret) {
		CHECK(ret < 0);
		CHECK(err.msg[0] != '\0');
		if (verbose)
			fprintf(stderr, "fuzz_buildinfo: refused: %s\n", err.msg);
		goelf__free(elf);
		return 0;
	}
	terminated(bi.version, sizeof(bi.version));
	terminated(bi.experiments, sizeof(bi.experiments));
	terminated(bi.buildmode, sizeof(bi.buildmode));
	CHECK(bi.modinfo != NULL);
	sink += strlen(bi.modinfo);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		lookup(&bi, keys[i]);

	memcpy(list, bi.experiments, sizeof(list));
	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save))
		CHECK(go_buildinfo__has_experiment(&bi, item));
	sink += go_buildinfo__has_experiment(&bi, "noswissmap");
	sink += go_buildinfo__has_experiment(&bi, "");

	CHECK(go_buildinfo__at_least(&bi, bi.major, bi.minor));
	CHECK(!go_buildinfo__at_least(&bi, bi.major + 1, 0) || bi.major == 0x7fffffff);
	sink += go_buildinfo__at_least(&bi, 1, 17) + go_buildinfo__at_least(&bi, 1, 24);
	memset(&err, 0, sizeof(err));
	ret = go_buildinfo__check_supported(&bi, &err);
	if (ret)
		CHECK(err.msg[0] != '\0');
	if (verbose)
		fprintf(stderr, "fuzz_buildinfo: parsed: version %s (%d.%d.%d) experiments \"%s\" "
			"buildmode \"%s\" cgo %d, %zu bytes of modinfo, supported %d\n",
			bi.version, bi.major, bi.minor, bi.patch, bi.experiments, bi.buildmode,
			bi.cgo, strlen(bi.modinfo), ret == 0);
	go_buildinfo__free(&bi);
	goelf__free(elf);
	return 0;
}
