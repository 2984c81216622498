/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * session: the one tracing pipeline that `trace` and `daemon` both run.
 *
 * Contract: session__new() loads the BPF object (attach), calibrates the
 * cost of one probe hit on this host, makes the tracker, reads the BPF
 * ring buffers (map events, and the governor's alarms) and, when
 * max_overhead > 0, runs the overhead governor.  The
 * commands keep their options, their target discovery and their outputs;
 * everything between the uprobe and the tracker's verdicts is here.
 *
 *   session__add_binary()   attach a Go executable parsed from a file
 *                           identity (fileid.h; -ESTALE: the file changed
 *                           since, parse it again) (pid -1: every process of
 *                           the file; a pid: the kernel's pid filter, so no
 *                           other process of the file traps), and give it to
 *                           the governor; session__put_binary() undoes it.
 *   session__drop_probes()  a process is gone: take its breakpoints off
 *                           now, not at the end, so that a program copied
 *                           in place over the file never starts with the
 *                           old one's breakpoints (the slot stays for the
 *                           reports' hit counts until the put).
 *   session__add_target()   follow one process of an attached binary:
 *                           tracker, BPF pid filter, governor;
 *                           session__remove_target() forgets it.
 *   session__started_before()  a process that ran before tracing began
 *                           (trace -p): its start-up is over, so the
 *                           governor's start allowance is not given to it
 *                           (call before its binary is attached).
 *   session__poll()         wait up to timeout_ms for records and route
 *                           them: over-budget alarms to the governor, exec
 *                           and exit records to opts.on_lifecycle, map
 *                           events to the tracker (small growth of a shed
 *                           binary dropped, see session.c); then the
 *                           governor's timers.
 *   session__sample_due()   true once a second (and schedules the next);
 *   session__sample()       then: lost records, memory sampling, judging
 *                           (tracker tick), the governor's tick and the
 *                           shed marks on the maps whose creation it hid.
 *
 * The session does not own targets or gobins: the command does, and keeps
 * them alive until it removes them or frees the session.  One thread.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "attach.h"
#include "governor.h"
#include "probecost.h"
#include "tracker.h"

#define SESSION_SAMPLE_NS 1000000000ULL

/* A record as the BPF side wrote it (checked for size, never read past). */
typedef void (*session_record_fn)(const struct gm_event *e, void *ctx);

struct session_opts {
	size_t sz;			/* sizeof(struct session_opts), libbpf-style */
	struct attacher_opts attach;
	struct tracker_opts track;
	double max_overhead;		/* budget per process, fraction of one CPU; 0: no governor */
	double start_allowance_s;	/* the governor's start allowance, seconds of budget; 0: none */
	/* exec and exit records (GM_EVENT_EXEC, GM_EVENT_EXIT); NULL: ignored */
	session_record_fn on_lifecycle;
	void *ctx;
	bool verbose;
};

struct session;

struct session *session__new(const struct session_opts *opts, struct gm_err *err);
void session__free(struct session *s);

/* Cost of one hit as calibrated at start (0 when calibration failed: err says why). */
double session__probe_cost(const struct session *s, const char **calibration_err);
/* What the probes cost as measured (trap + BPF run time), as of the last sample. */
void session__cost(const struct session *s, struct probecost_snap *out);

int session__add_binary(struct session *s, const char *path, const struct gobin *bin,
			const struct fileid *id, pid_t pid, struct gm_err *err);
void session__drop_probes(struct session *s, int slot, pid_t pid);
void session__put_binary(struct session *s, int slot);
/* t->bin_slot must be set; 0 or -errno. */
int session__add_target(struct session *s, struct target *t);
void session__remove_target(struct session *s, pid_t pid);
void session__started_before(struct session *s, pid_t pid);

/* Records handled, or -errno (-EINTR: a signal). */
int session__poll(struct session *s, int timeout_ms);
bool session__sample_due(struct session *s, uint64_t now_ns);
void session__sample(struct session *s, uint64_t now_ns);

struct attacher *session__attacher(const struct session *s);
struct tracker *session__tracker(const struct session *s);

/* What came through the ring buffers. */
struct session_records {
	uint64_t received;		/* well-formed records handled */
	uint64_t malformed;		/* records shorter than a gm_event, dropped */
	uint64_t lost;			/* records the BPF side found no room for (ring full) */
};
void session__records(const struct session *s, struct session_records *out);
/* NULL when the session has no budget. */
struct governor *session__governor(const struct session *s);

/* What the governor took off, for the reports. */
struct session_shed {
	uint64_t alarms;		/* over-budget alarms acted on */
	uint64_t points_max;		/* most points off at one tick */
	double shed_s;			/* time some traced process had points shed or duty-cycled */
};
void session__shed_stats(const struct session *s, struct session_shed *out);

#endif /* SESSION_H */
