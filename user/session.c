// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * session: attacher -> ring buffers -> tracker, sampled and judged once a
 * second, under the governor's budget.  See session.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "session.h"
#include "u64map.h"

/* Processes one tick hands to the governor at most. */
#define SESSION_MAX_PROCS 4096

struct session {
	struct session_opts o;
	struct attacher *att;
	struct tracker *tr;
	struct ring_buffer *events_rb;	/* map events, exec and exit */
	struct ring_buffer *alarms_rb;	/* the governor's over-budget alarms */
	uint64_t received, malformed;
	struct governor *gov;
	struct probecost *pc;
	struct u64map procs;		/* pid -> struct target * (the command's) */
	double probe_cost_s;
	char calib_err[256];		/* "" when calibrated */
	uint64_t next_sample_ns;
	uint64_t last_sample_ns;
	uint64_t shed_ns, shed_points_max;
};

/*
 * While a binary's hot points are shed, its growth events are a sample
 * (on-windows) plus the large-map points.  A small map seen that way cannot
 * be followed: its later growth goes unseen and, once dead, its memory
 * still reads as a map, so a site of short-lived maps would seem to pile
 * up.  Only maps already big enough to matter start being tracked then.
 */
#define SHED_MIN_TRACK_ENTRIES 128

static bool shed_small_growth(struct session *s, const struct gm_event *e)
{
	struct target *t;

	switch (e->kind) {
	case GM_PROBE_HASHGROW: case GM_PROBE_NEWOVERFLOW: case GM_PROBE_GROW_TO_SMALL:
	case GM_PROBE_GROW_TO_TABLE: case GM_PROBE_TABLE_GROW: case GM_PROBE_TABLE_SPLIT:
		break;
	default:
		return false;
	}
	if (!s->gov || e->entries >= SHED_MIN_TRACK_ENTRIES)
		return false;
	t = u64map__get(&s->procs, e->tgid);
	return t && governor__slot_shed(s->gov, t->bin_slot) && !tracker__tracks(s->tr, e->tgid, e->map);
}

/* Creations in processes whose points are shed may go unseen: the reports say so. */
static void mark_shed(struct session *s)
{
	struct target *t;
	size_t it = 0;

	if (!s->gov)
		return;
	while (u64map__next(&s->procs, &it, NULL, (void **)&t))
		if (governor__slot_shed(s->gov, t->bin_slot))
			tracker__creations_missed(s->tr, t->pid, TUNSEEN_SHED);
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct gm_event *e = data;
	struct session *s = ctx;

	if (size < sizeof(struct gm_event)) {
		s->malformed++;
		return 0;
	}
	s->received++;
	if (e->kind == GM_EVENT_EXEC || e->kind == GM_EVENT_EXIT) {
		if (s->o.on_lifecycle)
			s->o.on_lifecycle(e, s->o.ctx);
		return 0;
	}
	if (e->kind == GM_EVENT_OVER_BUDGET) {
		struct target *t = u64map__get(&s->procs, e->tgid);

		if (t && s->gov) {
			governor__alarm(s->gov, t->bin_slot, e->arg2, gm_now_ns());
			mark_shed(s);
		}
		return 0;
	}
	if (!shed_small_growth(s, e))
		tracker__handle_event(s->tr, e);
	return 0;
}

struct session *session__new(const struct session_opts *opts, struct gm_err *err)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s) {
		gm_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(&s->o, opts, opts->sz < sizeof(s->o) ? opts->sz : sizeof(s->o));
	u64map__init(&s->procs);
	s->att = attacher__new(&s->o.attach, err);
	if (!s->att)
		goto err_out;
	/* what one hit costs here: the reports' price and the governor's unit */
	if (attacher__calibrate(s->att, &s->probe_cost_s, err)) {
		snprintf(s->calib_err, sizeof(s->calib_err), "%s", err->msg);
		s->probe_cost_s = 0;
	}
	/* and what a hit costs as it goes: the BPF run time, measured by the kernel */
	s->pc = probecost__new(s->att, s->probe_cost_s);
	s->tr = tracker__new(&s->o.track);
	if (!s->tr) {
		gm_err_set(err, ENOMEM, "out of memory");
		goto err_out;
	}
	if (s->o.max_overhead > 0) {
		struct governor_opts gopts = {
			.sz = sizeof(gopts),
			.max_overhead = s->o.max_overhead,
			.cost_s = s->probe_cost_s,
			.start_allowance_s = s->o.start_allowance_s,
			.verbose = s->o.verbose,
		};

		s->gov = governor__new(&gopts, s->att);
		if (!s->gov) {
			gm_err_set(err, ENOMEM, "out of memory");
			goto err_out;
		}
	}
	s->events_rb = ring_buffer__new(bpf_map__fd(attacher__events(s->att)), on_record, s, NULL);
	if (!s->events_rb) {
		gm_err_set(err, errno, "cannot open the BPF ring buffer: %s", strerror(errno));
		goto err_out;
	}
	s->alarms_rb = ring_buffer__new(bpf_map__fd(attacher__alarms(s->att)), on_record, s, NULL);
	if (!s->alarms_rb) {
		gm_err_set(err, errno, "cannot open the BPF alarm ring buffer: %s", strerror(errno));
		goto err_out;
	}
	return s;

err_out:
	session__free(s);
	return NULL;
}

void session__free(struct session *s)
{
	if (!s)
		return;
	ring_buffer__free(s->events_rb);
	ring_buffer__free(s->alarms_rb);
	governor__free(s->gov);
	probecost__free(s->pc);
	tracker__free(s->tr);
	attacher__free(s->att);
	u64map__fini(&s->procs);
	free(s);
}

double session__probe_cost(const struct session *s, const char **calibration_err)
{
	if (calibration_err)
		*calibration_err = s->calib_err[0] ? s->calib_err : NULL;
	return s->probe_cost_s;
}

int session__add_binary(struct session *s, const char *path, const struct gobin *bin,
			const struct fileid *id, pid_t pid, struct gm_err *err)
{
	int slot;

	/* in the BPF filter before the first trap: its first hits are its own */
	if (pid > 0 && attacher__add_pid(s->att, pid))
		return gm_err_set(err, ENOMEM, "cannot register pid %d", (int)pid);
	slot = attacher__add_binary(s->att, path, bin, id, pid, err);

	if (slot >= 0 && s->gov)
		governor__add_slot(s->gov, slot, gm_now_ns());
	return slot;
}

void session__drop_probes(struct session *s, int slot, pid_t pid)
{
	attacher__drop_pid(s->att, slot, pid);
}

void session__put_binary(struct session *s, int slot)
{
	if (s->gov)
		governor__forget_slot(s->gov, slot);
	attacher__put_binary(s->att, slot);
}

int session__add_target(struct session *s, struct target *t)
{
	int ret;

	if (s->procs.cnt >= SESSION_MAX_PROCS)
		return -ENOSPC;
	ret = u64map__set(&s->procs, (uint64_t)t->pid, t);
	if (ret)
		return ret < 0 ? ret : -ENOMEM;
	ret = tracker__add_target(s->tr, t);
	if (!ret)
		ret = attacher__add_pid(s->att, t->pid);
	if (ret) {
		session__remove_target(s, t->pid);
		return ret < 0 ? ret : -ENOMEM;
	}
	return 0;
}

void session__remove_target(struct session *s, pid_t pid)
{
	u64map__del(&s->procs, (uint64_t)pid);
	tracker__remove_target(s->tr, pid);
	attacher__remove_pid(s->att, pid);
	if (s->gov)
		governor__forget(s->gov, pid);
}

/* Alarms first: shedding sooner is what relieves a flooded events ring. */
static int drain(struct session *s, int timeout_ms)
{
	struct pollfd fds[2] = {
		{ .fd = ring_buffer__epoll_fd(s->alarms_rb), .events = POLLIN },
		{ .fd = ring_buffer__epoll_fd(s->events_rb), .events = POLLIN },
	};
	int a, n;

	if (poll(fds, 2, timeout_ms) < 0)
		return -errno;
	a = ring_buffer__consume(s->alarms_rb);
	if (a < 0)
		return a;
	n = ring_buffer__consume(s->events_rb);
	return n < 0 ? n : a + n;
}

void session__started_before(struct session *s, pid_t pid)
{
	/* no allowance to withhold without a budget; a failure leaves it given */
	if (s->gov && attacher__no_start_allowance(s->att, pid) && s->o.verbose)
		fprintf(stderr, "gomaptrace: pid %d: start allowance not withheld\n", (int)pid);
}

int session__poll(struct session *s, int timeout_ms)
{
	int ret = drain(s, timeout_ms);

	if (s->gov)
		governor__timers(s->gov, gm_now_ns());
	return ret;
}

bool session__sample_due(struct session *s, uint64_t now)
{
	if (!s->next_sample_ns)		/* the first call starts the clock */
		s->next_sample_ns = now + SESSION_SAMPLE_NS;
	if (now < s->next_sample_ns)
		return false;
	s->next_sample_ns += SESSION_SAMPLE_NS;
	if (s->next_sample_ns < now)
		s->next_sample_ns = now + SESSION_SAMPLE_NS;
	return true;
}

/* The governor looks at every traced process once a tick. */
static void govern(struct session *s, uint64_t now)
{
	static struct governor_proc procs[SESSION_MAX_PROCS];
	struct target *t;
	size_t it = 0, n = 0;

	while (n < SESSION_MAX_PROCS && u64map__next(&s->procs, &it, NULL, (void **)&t))
		procs[n++] = (struct governor_proc){ t->pid, t->bin_slot, t->comm };
	governor__tick(s->gov, procs, n, now);
}

void session__sample(struct session *s, uint64_t now)
{
	tracker__note_lost(s->tr, attacher__counter(s->att, GM_CNT_LOST));
	tracker__sample(s->tr, now);
	tracker__tick(s->tr, now);
	probecost__read(s->pc, NULL);
	if (s->gov)
		governor__set_cost(s->gov, probecost__hit_s(s->pc));
	if (s->gov) {
		struct target *t;
		size_t it = 0;
		bool shed = false;
		uint64_t pts;

		govern(s, now);
		mark_shed(s);
		while (!shed && u64map__next(&s->procs, &it, NULL, (void **)&t))
			shed = !t->exited && governor__slot_shed(s->gov, t->bin_slot);
		if (shed && s->last_sample_ns)
			s->shed_ns += now - s->last_sample_ns;
		pts = governor__shed_points(s->gov);
		if (pts > s->shed_points_max)
			s->shed_points_max = pts;
	}
	s->last_sample_ns = now;
}

void session__shed_stats(const struct session *s, struct session_shed *out)
{
	memset(out, 0, sizeof(*out));
	if (!s->gov)
		return;
	out->alarms = governor__alarms(s->gov);
	out->points_max = s->shed_points_max;
	out->shed_s = s->shed_ns / 1e9;
}

void session__cost(const struct session *s, struct probecost_snap *out)
{
	memset(out, 0, sizeof(*out));
	if (s->pc)
		probecost__read(s->pc, out);
	else
		out->trap_s = out->hit_s = s->probe_cost_s;
}

struct attacher *session__attacher(const struct session *s)
{
	return s->att;
}

struct tracker *session__tracker(const struct session *s)
{
	return s->tr;
}

void session__records(const struct session *s, struct session_records *out)
{
	out->received = s->received;
	out->malformed = s->malformed;
	out->lost = attacher__counter(s->att, GM_CNT_LOST);
}

struct governor *session__governor(const struct session *s)
{
	return s->gov;
}
