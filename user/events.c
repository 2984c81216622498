// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "events.h"

struct events {
	struct ring_buffer *rb;
	struct ring_buffer *alarms_rb;
	struct attacher *att;
	events_handler fn;
	void *ctx;
	uint64_t received, malformed;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct events *ev = ctx;

	if (size < sizeof(struct gm_event)) {
		ev->malformed++;
		return 0;
	}
	ev->received++;
	ev->fn(data, ev->ctx);
	return 0;
}

struct events *events__new(struct attacher *att, events_handler fn, void *ctx,
			   struct gm_err *err)
{
	struct events *ev = calloc(1, sizeof(*ev));

	if (!ev) {
		gm_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	ev->att = att;
	ev->fn = fn;
	ev->ctx = ctx;
	ev->rb = ring_buffer__new(bpf_map__fd(attacher__events(att)), on_record, ev, NULL);
	if (!ev->rb) {
		gm_err_set(err, errno, "cannot open the BPF ring buffer: %s", strerror(errno));
		free(ev);
		return NULL;
	}
	ev->alarms_rb = ring_buffer__new(bpf_map__fd(attacher__alarms(att)), on_record, ev, NULL);
	if (!ev->alarms_rb) {
		gm_err_set(err, errno, "cannot open the BPF alarm ring buffer: %s", strerror(errno));
		ring_buffer__free(ev->rb);
		free(ev);
		return NULL;
	}
	return ev;
}

void events__free(struct events *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	ring_buffer__free(ev->alarms_rb);
	free(ev);
}

/* Alarms first: shedding sooner is what relieves a flooded events ring. */
int events__poll(struct events *ev, int timeout_ms)
{
	struct pollfd fds[2] = {
		{ .fd = ring_buffer__epoll_fd(ev->alarms_rb), .events = POLLIN },
		{ .fd = ring_buffer__epoll_fd(ev->rb), .events = POLLIN },
	};
	int a, n;

	if (poll(fds, 2, timeout_ms) < 0)
		return -errno;
	a = ring_buffer__consume(ev->alarms_rb);
	if (a < 0)
		return a;
	n = ring_buffer__consume(ev->rb);
	return n < 0 ? n : a + n;
}

uint64_t events__received(const struct events *ev) { return ev->received; }
uint64_t events__malformed(const struct events *ev) { return ev->malformed; }
uint64_t events__lost(const struct events *ev) { return attacher__counter(ev->att, GM_CNT_LOST); }
