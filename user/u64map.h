/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * u64map: an open-addressing hash table from u64 keys to pointers, used for
 * maps by address, stacks by hash and symbols by pc.  Linear probing with
 * backward-shift deletion, so lookups stay short under churn.
 */
#ifndef U64MAP_H
#define U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	void **vals;		/* NULL marks an empty slot: values are never NULL */
	size_t cap;		/* power of two */
	size_t cnt;
};

void u64map__init(struct u64map *m);
void u64map__fini(struct u64map *m);
void *u64map__get(const struct u64map *m, uint64_t key);
/* Insert or replace; val must not be NULL.  -ENOMEM on failure. */
int u64map__set(struct u64map *m, uint64_t key, void *val);
/* Remove and return the value (NULL if absent). */
void *u64map__del(struct u64map *m, uint64_t key);

/* Iterate: for (i = 0; u64map__next(m, &i, &k, &v);) */
bool u64map__next(const struct u64map *m, size_t *iter, uint64_t *key, void **val);

#endif /* U64MAP_H */
