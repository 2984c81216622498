// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the whole probe plan of a binary, as gobin makes it:
 * goelf__open_mem(), pclntab__new(), go_buildinfo__parse(), then
 * probeplan__new(), which picks the map implementation from the function
 * table, finds every runtime map function's code through the table and the
 * program headers, and decodes it with Capstone.  Seeds (seeds.sh
 * probeplan) are real binaries cut down to a window of the function table
 * around a growth function, with those functions' machine code kept.
 * Checked promises: a refusal carries a reason; a plan covers exactly its
 * implementation's function list; a present function's code lies inside
 * the file, in an executable segment, and every offset the probes would
 * use lies inside that code (RETs start a RET; probecheck.h); absent and
 * inlined functions carry no offsets.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buildinfo.h"
#include "goelf.h"
#include "pclntab.h"
#include "probecheck.h"

#define FUZZ_TAG "fuzz_probeplan"
#include "fuzzcommon.h"

#define TAG FUZZ_TAG

/* The executable PT_LOAD holding file bytes [off, off+len), if any. */
static int in_exec_segment(const struct goelf *elf, uint64_t off, uint64_t len)
{
	size_t i, cnt = goelf__segment_cnt(elf);

	for (i = 0; i < cnt; i++) {
		const struct goelf_segment *sg = goelf__segment(elf, i);

		if (sg && sg->type == PT_LOAD && (sg->flags & PF_X) && off >= sg->offset &&
		    off - sg->offset <= sg->filesz && len <= sg->filesz - (off - sg->offset))
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_err err = { { 0 } };
	struct go_buildinfo bi;
	struct goelf *elf;
	struct pclntab *tab;
	struct probeplan *plan;
	size_t i, present = 0, rets = 0;

	elf = goelf__open_mem(data, size, &err);
	if (!elf)
		return 0;
	tab = pclntab__new(elf, &err);
	if (!tab) {
		if (verbose)
			fprintf(stderr, TAG ": refused: pclntab: %s\n", err.msg);
		goelf__free(elf);
		return 0;
	}
	memset(&bi, 0, sizeof(bi));
	if (go_buildinfo__parse(elf, &bi, &err)) {
		if (verbose)
			fprintf(stderr, TAG ": refused: buildinfo: %s\n", err.msg);
		pclntab__free(tab);
		goelf__free(elf);
		return 0;
	}
	err.msg[0] = '\0';
	plan = probeplan__new(elf, tab, &bi, &err);
	if (!plan) {
		PCHECK(TAG, err.msg[0] != '\0');
		PCHECK(TAG, memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		if (verbose)
			fprintf(stderr, TAG ": refused: %s\n", err.msg);
		goto out;
	}
	PCHECK(TAG, plan->impl == GM_MAP_CLASSIC || plan->impl == GM_MAP_SWISS);
	PCHECK(TAG, plan->layout.impl == plan->impl);
	PCHECK(TAG, plan->fns && plan->fn_cnt > 0 && plan->fn_cnt < 64);
	sink += probeplan__layout_checked(plan->impl, &bi, 27);
	sink += strlen(probeplan__impl_name(plan->impl));
	for (i = 0; i < plan->fn_cnt; i++) {
		const struct probe_fn *fn = &plan->fns[i];

		PCHECK(TAG, fn->name != NULL);
		PCHECK(TAG, probeplan__fn(plan, fn->name) == fn);
		sink += strlen(probeplan__state_name(fn->state));
		if (fn->state != PROBE_FN_PRESENT) {
			PCHECK(TAG, fn->state == PROBE_FN_INLINED || fn->state == PROBE_FN_ABSENT);
			PCHECK(TAG, fn->ret_cnt == 0 && fn->post_prologue_off == 0 &&
				    fn->file_off == 0);
			continue;
		}
		/* the decoded code is file bytes of an executable segment */
		PCHECK(TAG, fn->span > 0 && fn->file_off <= size && fn->span <= size - fn->file_off);
		PCHECK(TAG, in_exec_segment(elf, fn->file_off, fn->span));
		PCHECK(TAG, fn->int3_off == 0);	/* else the plan is refused */
		check_decoded(TAG, fn, data + fn->file_off, fn->span);
		present++;
		rets += fn->ret_cnt;
	}
	PCHECK(TAG, probeplan__fn(plan, "main.main") == NULL);
	PCHECK(TAG, probeplan__fn(plan, NULL) == NULL);
	if (plan->impl == GM_MAP_CLASSIC && plan->layout.grow_map_slot != GM_SLOT_ABSENT)
		PCHECK(TAG, plan->layout.grow_lo < plan->layout.grow_hi);
	if (verbose)
		fprintf(stderr, TAG ": parsed: %s, %zu of %zu functions present, %zu RETs\n",
			probeplan__impl_name(plan->impl), present, plan->fn_cnt, rets);
	probeplan__free(plan);
out:
	go_buildinfo__free(&bi);
	pclntab__free(tab);
	goelf__free(elf);
	return 0;
}
