/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A synthetic target address space for unit tests that feed the tracker:
 * an arena (struct space, read through a struct gomap_mem with
 * space_read) where classic hmaps and Swiss Maps, tables and directories
 * are laid out the way the runtime lays them out, plus goroutine stacks
 * that are real memory of the test process (stackmaps.c reads them with
 * process_vm_readv).  sp->pid must be the pid the tests give the target.
 *
 * Include after <cmocka.h>.
 */
#ifndef GM_TEST_GOSPACE_H
#define GM_TEST_GOSPACE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define ARENA_BASE 0x10000000ULL
#define ARENA_SIZE (8u << 20)

/* ------------------------------------------------------------ address space */

struct space {
	uint8_t *mem;
	uint64_t next;		/* bump allocator */
	bool exited;		/* the process is gone: -ESRCH */
	int reads;
	pid_t pid;		/* the process whose memory this is */
	/*
	 * Goroutine stacks for stack maps: real memory of this process at
	 * its real address, because stackmaps.c reads the goroutine and the
	 * frame with process_vm_readv (the target is then this process).
	 */
	uint8_t *stk;
	size_t stk_len;
};

static inline bool in_stacks(const struct space *sp, uint64_t addr, size_t len)
{
	uint64_t lo = (uint64_t)(uintptr_t)sp->stk;

	return sp->stk && addr >= lo && addr + len <= lo + sp->stk_len && addr + len >= addr;
}

/* Where a target address lives in this process. */
static inline uint8_t *host(struct space *sp, uint64_t addr, size_t len)
{
	if (in_stacks(sp, addr, len))
		return (uint8_t *)(uintptr_t)addr;
	if (addr < ARENA_BASE || addr + len > ARENA_BASE + ARENA_SIZE)
		fail_msg("%#llx: outside the arena", (unsigned long long)addr);
	return sp->mem + (addr - ARENA_BASE);
}

static inline int space_read(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct space *sp = ctx;

	sp->reads++;
	if (sp->exited || pid != sp->pid)
		return -ESRCH;
	if (in_stacks(sp, addr, len)) {
		memcpy(buf, (const void *)(uintptr_t)addr, len);
		return 0;
	}
	if (addr < ARENA_BASE || addr + len > ARENA_BASE + ARENA_SIZE || addr + len < addr)
		return -EFAULT;
	memcpy(buf, sp->mem + (addr - ARENA_BASE), len);
	return 0;
}

static inline uint64_t alloc(struct space *sp, size_t len)
{
	uint64_t a = sp->next;

	sp->next += (len + 15) & ~15ULL;
	assert_true(sp->next <= ARENA_BASE + ARENA_SIZE);
	memset(sp->mem + (a - ARENA_BASE), 0, len);
	return a;
}

static inline void put(struct space *sp, uint64_t addr, uint64_t off, const void *v, size_t len)
{
	memcpy(host(sp, addr + off, len), v, len);
}

static inline void put64(struct space *sp, uint64_t addr, uint64_t off, uint64_t v)
{
	put(sp, addr, off, &v, 8);
}

static inline void put16(struct space *sp, uint64_t addr, uint64_t off, uint16_t v)
{
	put(sp, addr, off, &v, 2);
}

static inline void put8(struct space *sp, uint64_t addr, uint64_t off, uint8_t v)
{
	put(sp, addr, off, &v, 1);
}

/* ------------------------------------------------------------ Go maps */

/* hmap: count 0, flags 8, B 9, noverflow 10, hash0 12, buckets 16, oldbuckets 24 */
static inline void classic_header(struct space *sp, uint64_t h, uint64_t count, uint8_t B, uint16_t novf,
			   uint32_t seed, uint64_t buckets)
{
	put64(sp, h, 0, count);
	put8(sp, h, 8, 0);
	put8(sp, h, 9, B);
	put16(sp, h, 10, novf);
	put(sp, h, 12, &seed, 4);
	put64(sp, h, 16, buckets);
	put64(sp, h, 24, 0);
}

/* maps.table: used 0, capacity 2, growthLeft 4, localDepth 6, index 8, groups 16, lengthMask 24 */
static inline uint64_t swiss_table(struct space *sp, uint16_t cap, uint16_t used, uint8_t depth, int64_t index)
{
	uint64_t t = alloc(sp, 32), groups = alloc(sp, 64);

	put16(sp, t, 0, used);
	put16(sp, t, 2, cap);
	put16(sp, t, 4, used < cap * 7 / 8 ? (uint16_t)(cap * 7 / 8 - used) : 0);
	put8(sp, t, 6, depth);
	put(sp, t, 8, &index, 8);
	put64(sp, t, 16, groups);
	put64(sp, t, 24, cap / 8 - 1);
	return t;
}

/* Map: used 0, seed 8, dirPtr 16, dirLen 24, globalDepth 32, globalShift 33, writing 34 */
static inline void swiss_header(struct space *sp, uint64_t m, uint64_t used, uint64_t seed, uint64_t dir,
			 uint64_t dirlen)
{
	uint8_t depth = 0;

	while (dirlen && (1ULL << depth) < dirlen)
		depth++;
	put64(sp, m, 0, used);
	put64(sp, m, 8, seed);
	put64(sp, m, 16, dir);
	put64(sp, m, 24, dirlen);
	put8(sp, m, 32, depth);
	put8(sp, m, 33, dirlen ? 64 - depth : 0);
	put8(sp, m, 34, 0);
}

/* A directory of n entries pointing at tables[i] (runs for shared tables). */
static inline uint64_t swiss_dir(struct space *sp, const uint64_t *entries, size_t n)
{
	uint64_t d = alloc(sp, n * 8);
	size_t i;

	for (i = 0; i < n; i++)
		put64(sp, d, i * 8, entries[i]);
	return d;
}

#endif /* GM_TEST_GOSPACE_H */
