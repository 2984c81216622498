/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * events: the ring buffer from the BPF side, drained into a handler.
 *
 * Contract: events__new() wraps the attacher's ring buffers (events, and
 * the governor's alarms); events__poll() waits up to timeout_ms and hands
 * every well-formed record to the handler, alarms first
 * (a short record is counted as malformed, never read past).  Lost records
 * are counted in BPF (ring buffer full) and read with events__lost().
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdint.h>
#include "attach.h"

struct events;
typedef void (*events_handler)(const struct gm_event *e, void *ctx);

struct events *events__new(struct attacher *att, events_handler fn, void *ctx,
			   struct gm_err *err);
void events__free(struct events *ev);
/* Returns records handled, or -errno (-EINTR when a signal arrived). */
int events__poll(struct events *ev, int timeout_ms);
uint64_t events__received(const struct events *ev);
uint64_t events__malformed(const struct events *ev);
uint64_t events__lost(const struct events *ev);

#endif /* EVENTS_H */
