// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stackmaps.h"

/* runtime/runtime2.go: the same values on every release 1.17-1.27 */
#define G_DEAD 6		/* _Gdead */
#define G_COPYSTACK 8		/* _Gcopystack: stack bounds in flux */
#define G_DEADEXTRA 11		/* _Gdeadextra (1.26+): a dead g kept for cgo callbacks */
#define G_SCAN 0x1000		/* _Gscan, or'ed into the others */

uint64_t stackmaps__key(const struct gm_event *e)
{
	uint64_t h = 1469598103934665603ULL;

	h = (h ^ e->goid) * 1099511628211ULL;
	h = (h ^ e->stack_off) * 1099511628211ULL;
	h ^= h >> 29;
	return STACKMAP_KEY_BIT | (h & ~STACKMAP_KEY_BIT);
}

void stackmaps__id_init(struct tstackid *id, const struct gm_event *e)
{
	uint32_t nr = e->nr_frames > GM_MAX_STACK_DEPTH ? GM_MAX_STACK_DEPTH : e->nr_frames;

	memset(id, 0, sizeof(*id));
	id->g = e->g;
	id->goid = e->goid;
	id->off = e->stack_off;
	if (e->holder == GM_HOLDER_UNKNOWN || e->holder >= nr)
		return;
	id->holder_pc = e->frames[e->holder];
	id->holder_is_ret = e->holder > 0;
	/* the slot holds the return address into the holder's caller */
	if (e->holder_ret_off && e->holder + 1u < nr) {
		id->ret_off = e->holder_ret_off;
		id->ret_pc = e->frames[e->holder + 1];
	}
}

bool stackmaps__holder(struct target *t, const struct tstackid *id, struct tloc *loc)
{
	memset(loc, 0, sizeof(*loc));
	if (!id->holder_pc)
		return false;
	return target__user_frame(t, id->holder_pc, id->holder_is_ret, loc);
}

/* What the refresh reads of a g: stack.lo/hi, and atomicstatus..goid. */
struct gview {
	uint64_t lo, hi;
	uint32_t status;
	uint64_t goid;
};

int stackmaps__refresh(pid_t pid, const struct gm_layout *lay, const struct tstackid *const *ids,
		       size_t n, uint64_t *addr, enum stackmap_state *state)
{
	size_t glen, i;
	uint64_t *gaddr = NULL, *slots = NULL, *slotv = NULL;
	uint8_t *gbuf = NULL;
	bool *ok = NULL;
	ssize_t got;
	int ret = 0;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		state[i] = STACKMAP_GONE;
	if (lay->g_goid_off == GM_OFF_ABSENT || lay->g_goid_off < 8 || lay->g_goid_off > 4096 ||
	    lay->g_stack_hi_off > 4096)
		return 0;	/* no layout to follow them with: they end here */
	glen = lay->g_goid_off + 8;
	if (glen < (size_t)lay->g_stack_hi_off + 8)
		glen = lay->g_stack_hi_off + 8;
	gaddr = calloc(n, sizeof(*gaddr));
	slots = calloc(n, sizeof(*slots));
	slotv = calloc(n, sizeof(*slotv));
	gbuf = calloc(n, glen);
	ok = calloc(n, sizeof(*ok));
	if (!gaddr || !slots || !slotv || !gbuf || !ok) {
		ret = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		gaddr[i] = ids[i]->g;
	got = target__read_many(pid, gaddr, n, glen, gbuf, ok);
	if (got == -ESRCH) {
		ret = -ESRCH;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *b = gbuf + i * glen;
		struct gview v;

		if (!ok[i])
			continue;	/* g structs are never freed: the process is going */
		memcpy(&v.lo, b + lay->g_stack_lo_off, 8);
		memcpy(&v.hi, b + lay->g_stack_hi_off, 8);
		memcpy(&v.status, b + lay->g_goid_off - 8, 4);
		memcpy(&v.goid, b + lay->g_goid_off, 8);
		/* a g is reused for new goroutines once its own has ended */
		v.status &= ~G_SCAN;
		if (v.goid != ids[i]->goid || v.status == G_DEAD || v.status == G_DEADEXTRA)
			continue;
		if (v.status == G_COPYSTACK) {
			state[i] = STACKMAP_BUSY;
			continue;
		}
		if (v.hi <= v.lo || ids[i]->off > v.hi - v.lo)
			continue;	/* the header cannot be in this stack any more */
		addr[i] = v.hi - ids[i]->off;
		state[i] = STACKMAP_LIVE;
		slots[i] = ids[i]->ret_off && ids[i]->ret_off <= v.hi - v.lo ? v.hi - ids[i]->ret_off : 0;
	}
	/* the frame that holds the map still returns where it did */
	for (i = 0; i < n; i++)
		ok[i] = false;
	got = target__read_many(pid, slots, n, 8, slotv, ok);
	if (got == -ESRCH) {
		ret = -ESRCH;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (state[i] != STACKMAP_LIVE || !slots[i])
			continue;
		if (!ok[i] || slotv[i] != ids[i]->ret_pc)
			state[i] = STACKMAP_GONE;
	}
cleanup:
	free(gaddr);
	free(slots);
	free(slotv);
	free(gbuf);
	free(ok);
	return ret;
}
