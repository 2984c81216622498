/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tstack: call stacks as the probes saw them, interned.  Thousands of maps
 * share a handful of creation and growth stacks; each tracked map holds
 * pointers instead of copies, which is most of the tracker's memory per map.
 *
 * Contract: tstacks__get() returns a stack equal to the one given, shared
 * and reference-counted; tstacks__put() drops a reference.  A returned
 * pointer stays valid until its last reference is put.  An empty stack is
 * tstack__empty(), never counted, always valid.  On allocation failure
 * tstacks__get() returns tstack__empty(): a stack is lost, nothing else.
 */
#ifndef TSTACK_H
#define TSTACK_H

#include <stdint.h>
#include "gomaptrace.h"
#include "u64map.h"

struct tstack {
	uint32_t nr;
	uint64_t pcs[GM_MAX_STACK_DEPTH];	/* runtime pcs; [0] is the probe point */
};

struct tstacks {
	struct u64map by_hash;		/* hash (probed onwards on collision) -> struct tstack_ref */
};

void tstacks__init(struct tstacks *ts);
/* Frees every stack, referenced or not. */
void tstacks__fini(struct tstacks *ts);
const struct tstack *tstacks__get(struct tstacks *ts, const uint64_t *pcs, uint32_t nr);
/* Another reference to a stack tstacks__get() returned. */
const struct tstack *tstacks__ref(const struct tstack *st);
void tstacks__put(struct tstacks *ts, const struct tstack *st);
size_t tstacks__count(const struct tstacks *ts);

const struct tstack *tstack__empty(void);

#endif /* TSTACK_H */
