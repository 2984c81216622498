/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Checks shared by fuzz_probecode and fuzz_probeplan: what a decoded
 * struct probe_fn promises about the code it was decoded from.  A uprobe
 * goes at every offset named here, so each must lie inside the function
 * and a RET offset must start a RET instruction: a probe in the middle of
 * an instruction corrupts the traced program.
 */
#ifndef FUZZ_PROBECHECK_H
#define FUZZ_PROBECHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "probeplan.h"

#define PCHECK(tag, c)                                                                \
	do {                                                                          \
		if (!(c)) {                                                           \
			fprintf(stderr, "%s: broken promise: %s (%s:%d)\n", tag, #c,  \
				__FILE__, __LINE__);                                  \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* Does code[0, n) start with a near RET (C3 / C2 iw) after x86 prefixes? */
static inline int starts_ret(const uint8_t *code, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n && i < 15; i++) {
		uint8_t b = code[i];

		if (b == 0xc3 || b == 0xc2)
			return 1;
		if (b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0xf0 ||
		    b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 ||
		    b == 0x65 || (b & 0xf0) == 0x40)
			continue;
		return 0;
	}
	return 0;
}

/* fn was decoded from code[0, len) (the function at fn->file_off). */
static inline void check_decoded(const char *tag, const struct probe_fn *fn,
				 const uint8_t *code, uint64_t len)
{
	uint64_t lo = fn->file_off, prev = 0;
	int i;

	PCHECK(tag, fn->span == len);
	PCHECK(tag, fn->size <= len);
	if (fn->decode_failed)
		PCHECK(tag, fn->size == len);
	PCHECK(tag, fn->ret_cnt >= 0 && fn->ret_cnt <= PROBEPLAN_MAX_RETS);
	PCHECK(tag, !fn->rets_truncated || fn->ret_cnt == PROBEPLAN_MAX_RETS);
	for (i = 0; i < fn->ret_cnt; i++) {
		uint64_t at = fn->ret_offs[i];

		PCHECK(tag, at >= lo && at - lo < len);
		PCHECK(tag, i == 0 || at > prev);
		PCHECK(tag, starts_ret(code + (at - lo), len - (at - lo)));
		prev = at;
	}
	if (fn->post_prologue_off) {
		/* the instruction after the RBP write: a boundary, at most the end */
		PCHECK(tag, fn->post_prologue_off > lo && fn->post_prologue_off - lo <= len);
	}
	if (fn->int3_off) {
		PCHECK(tag, fn->int3_off >= lo && fn->int3_off - lo < fn->size);
	}
	PCHECK(tag, fn->tail_jmps >= 0 && (uint64_t)fn->tail_jmps <= len);
	for (i = 0; i < 2; i++)
		PCHECK(tag, fn->arg_slot[i] == GM_SLOT_ABSENT || (fn->arg_slot[i] % 8) == 0);
}

#endif /* FUZZ_PROBECHECK_H */
