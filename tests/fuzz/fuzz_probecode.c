// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: probeplan__decode(), the Capstone sweep that finds a
 * runtime function's post-prologue point, its RETs, tail JMPs, INT3s and
 * argument homes, on arbitrary bytes as one function's machine code.  The
 * first input byte picks the entry address (low bits) so the address
 * arithmetic (tail-JMP targets, the end-of-address-space guard) is fuzzed
 * too; the rest is the code.  Checked promises (probecheck.h): every offset
 * lies inside the function, RET offsets start a RET, sizes add up; a span
 * past 256 KiB is refused with -E2BIG; the same bytes decode the same way
 * at another address and file offset, shifted.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probecheck.h"

#define FUZZ_TAG "fuzz_probecode"
#include "fuzzcommon.h"

static const uint64_t entries[] = {
	0x401000,			/* a non-PIE text address */
	0x7f0000001000,			/* a mapped PIE */
	0,				/* address 0: 'no post-prologue' is also 0 */
	UINT64_MAX - 0x80,		/* code running off the address space */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_fn fn, again;
	const uint8_t *code;
	uint64_t len;
	int ret;

	if (size < 1)
		return 0;
	code = data + 1;
	len = size - 1;
	memset(&fn, 0, sizeof(fn));
	fn.name = "fuzz";
	fn.vaddr = entries[data[0] % (sizeof(entries) / sizeof(entries[0]))];
	fn.file_off = 0x1000 + (data[0] >> 2);
	ret = probeplan__decode(code, len, &fn);
	if (ret) {
		PCHECK("fuzz_probecode", ret == -E2BIG);
		PCHECK("fuzz_probecode", len > (256u << 10) || fn.vaddr > UINT64_MAX - len);
		if (verbose)
			fprintf(stderr, "fuzz_probecode: refused: %d\n", ret);
		return 0;
	}
	check_decoded("fuzz_probecode", &fn, code, len);

	/* position independence: same code elsewhere, offsets shifted alike */
	if (fn.vaddr == 0x401000 && !fn.tail_jmps) {
		memset(&again, 0, sizeof(again));
		again.name = "fuzz";
		again.vaddr = 0x7f0000001000;
		again.file_off = fn.file_off + 0x10000;
		PCHECK("fuzz_probecode", probeplan__decode(code, len, &again) == 0);
		PCHECK("fuzz_probecode", again.ret_cnt == fn.ret_cnt && again.size == fn.size &&
			   again.decode_failed == fn.decode_failed);
		for (int i = 0; i < fn.ret_cnt; i++)
			PCHECK("fuzz_probecode", again.ret_offs[i] == fn.ret_offs[i] + 0x10000);
		PCHECK("fuzz_probecode", !fn.post_prologue_off ==
			   !again.post_prologue_off);
	}
	if (verbose)
		fprintf(stderr, "fuzz_probecode: parsed: %llu bytes, size %llu, %d rets, "
			"post-prologue +%lld, %d tail jmps, decode %s, args %s, slots %d/%d\n",
			(unsigned long long)len, (unsigned long long)fn.size, fn.ret_cnt,
			fn.post_prologue_off ? (long long)(fn.post_prologue_off - fn.file_off) : -1LL,
			fn.tail_jmps, fn.decode_failed ? "failed" : "ok",
			fn.args_intact ? "intact" : "clobbered", fn.arg_slot[0], fn.arg_slot[1]);
	return 0;
}
