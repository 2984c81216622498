// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "tstack.h"

struct tstack_ref {
	uint64_t key;		/* where it sits in by_hash */
	uint32_t refs;
	struct tstack st;	/* last: only nr pcs are allocated */
};

static const struct tstack empty;

const struct tstack *tstack__empty(void)
{
	return &empty;
}

void tstacks__init(struct tstacks *ts)
{
	u64map__init(&ts->by_hash);
}

void tstacks__fini(struct tstacks *ts)
{
	size_t it = 0;
	void *v;

	while (u64map__next(&ts->by_hash, &it, NULL, &v))
		free(v);
	u64map__fini(&ts->by_hash);
}

static uint64_t hash_pcs(const uint64_t *pcs, uint32_t nr)
{
	uint64_t h = 1469598103934665603ULL ^ nr;
	uint32_t i;

	for (i = 0; i < nr; i++)
		h = (h ^ pcs[i]) * 1099511628211ULL;
	return h;
}

static struct tstack_ref *ref_of(const struct tstack *st)
{
	return (struct tstack_ref *)((char *)st - offsetof(struct tstack_ref, st));
}

const struct tstack *tstacks__get(struct tstacks *ts, const uint64_t *pcs, uint32_t nr)
{
	struct tstack_ref *r;
	uint64_t key;

	if (nr > GM_MAX_STACK_DEPTH)
		nr = GM_MAX_STACK_DEPTH;
	if (!nr)
		return &empty;
	key = hash_pcs(pcs, nr);
	/* colliding hashes probe onwards; equality is on the pcs */
	while ((r = u64map__get(&ts->by_hash, key))) {
		if (r->st.nr == nr && !memcmp(r->st.pcs, pcs, nr * sizeof(pcs[0]))) {
			r->refs++;
			return &r->st;
		}
		key++;
	}
	r = malloc(offsetof(struct tstack_ref, st.pcs) + nr * sizeof(pcs[0]));
	if (!r)
		return &empty;
	r->key = key;
	r->refs = 1;
	r->st.nr = nr;
	memcpy(r->st.pcs, pcs, nr * sizeof(pcs[0]));
	if (u64map__set(&ts->by_hash, key, r)) {
		free(r);
		return &empty;
	}
	return &r->st;
}

const struct tstack *tstacks__ref(const struct tstack *st)
{
	if (st && st != &empty)
		ref_of(st)->refs++;
	return st ? st : &empty;
}

void tstacks__put(struct tstacks *ts, const struct tstack *st)
{
	struct tstack_ref *r;

	if (!st || st == &empty)
		return;
	r = ref_of(st);
	if (--r->refs)
		return;
	u64map__del(&ts->by_hash, r->key);
	free(r);
}

size_t tstacks__count(const struct tstacks *ts)
{
	return ts->by_hash.cnt;
}
