/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * stackmaps: Go maps whose header lives on a goroutine's stack.
 *
 * A map that does not escape (`m := map[K]V{}` in a function) has its
 * header, and while small its first bucket or group, in the function's
 * frame.  It lives as long as that frame, which in a long-lived goroutine
 * is as long as the goroutine: such a map can leak like any other.  Go
 * copies a goroutine's stack whole when it grows or shrinks, keeping every
 * address's distance from stack.hi, so the header moves but
 * (goroutine id, stack.hi - header) stays: that is its identity here.
 *
 * Contract:
 * - stackmaps__key() turns an event flagged GM_EV_ON_STACK into the key
 *   the tracker files the map under (bit 63 set: never a user address).
 * - stackmaps__id_init() keeps what the event says about the goroutine
 *   and the frame that holds the map.
 * - stackmaps__refresh() re-finds each stack map from its goroutine's
 *   current stack bounds before the tracker samples: the g must still run
 *   the same goroutine (same goid, not dead) and the holding frame must
 *   still be there (its return-address slot still holds the same return
 *   address).  Otherwise the map is gone.  Reads only, with
 *   process_vm_readv; two batched reads per call.
 * - stackmaps__holder() names the function whose frame holds the map.
 */
#ifndef STACKMAPS_H
#define STACKMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include "gomaptrace.h"
#include "target.h"

#define STACKMAP_KEY_BIT (1ULL << 63)

struct tstackid {
	uint64_t g, goid;
	uint32_t off;		/* stack.hi - header */
	uint32_t ret_off;	/* stack.hi - holder frame's return-address slot; 0 unknown */
	uint64_t ret_pc;	/* what that slot holds while the frame lives */
	uint64_t holder_pc;	/* a pc in the holding function; 0 unknown */
	bool holder_is_ret;	/* holder_pc is a return address (not the probe pc) */
	uint32_t moves;		/* times the header was found at a new address (stack copies) */
};

enum stackmap_state {
	STACKMAP_LIVE = 0,	/* *addr updated to the header's current address */
	STACKMAP_GONE,		/* the goroutine ended or the frame returned */
	STACKMAP_BUSY,		/* the stack is being copied: skip this sample */
};

static inline bool stackmaps__is_key(uint64_t key)
{
	return key & STACKMAP_KEY_BIT;
}

uint64_t stackmaps__key(const struct gm_event *e);
void stackmaps__id_init(struct tstackid *id, const struct gm_event *e);
/*
 * For n stack maps of process pid: state[i] and, when live, addr[i] (the
 * header's address now).  Returns 0, or -ESRCH when the process is gone.
 */
int stackmaps__refresh(pid_t pid, const struct gm_layout *lay, const struct tstackid *const *ids,
		       size_t n, uint64_t *addr, enum stackmap_state *state);
/* The function whose frame holds the map; false when not known. */
bool stackmaps__holder(struct target *t, const struct tstackid *id, struct tloc *loc);

#endif /* STACKMAPS_H */
