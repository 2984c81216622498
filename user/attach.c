// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "attach.h"
#include "gomaptrace.skel.h"
#include "target.h"

/*
 * The kernel attachments of one binary for one process (pid > 0: the
 * kernel installs the breakpoints only in that process's memory) or for
 * every process of the file (pid -1).
 */
struct attach_unit {
	pid_t pid;
	int multi_fd;		/* uprobe_multi link over the enabled points, or -1 */
	struct bpf_link **links;	/* one per point on kernels without uprobe_multi */
};

struct attached_binary {
	bool used;
	int refs;
	struct fileid id;	/* what the probe plan was parsed from */
	int fd;			/* pins the inode: re-attaching works after its processes exit */
	int first_spec, spec_cnt;
	uint64_t *offs;		/* file offset of each point */
	bool *enabled;		/* points the governor has not taken off */
	struct attach_unit *units;	/* one per process given, or one for pid -1 */
	int unit_cnt;
};

struct attacher {
	struct gomaptrace_bpf *skel;
	struct attacher_opts opts;
	struct attached_binary bins[GM_MAX_BINARIES];
	/* probe_specs slots: function names and kinds, for reports */
	const char *spec_fn[GM_MAX_PROBES];
	__u8 spec_kind[GM_MAX_PROBES];
	bool spec_used[GM_MAX_PROBES];
	int ncpus;
	bool multi;		/* kernel >= 6.6: one link per binary */
};

/* Not in bookworm's UAPI headers (6.1); values from the kernel's own (vmlinux BTF). */
#define GM_BPF_LINK_CREATE		28
#define GM_BPF_TRACE_UPROBE_MULTI	48

struct gm_uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
	__u32 _pad;
};

static int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offs,
			     const uint64_t *cookies, uint32_t cnt, pid_t pid)
{
	struct gm_uprobe_multi_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = GM_BPF_TRACE_UPROBE_MULTI;
	attr.path = (uintptr_t)path;
	attr.offsets = (uintptr_t)offs;
	attr.cookies = (uintptr_t)cookies;
	attr.cnt = cnt;
	attr.pid = pid > 0 ? (__u32)pid : 0;	/* 0: every process of the file */
	fd = syscall(__NR_bpf, GM_BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

static int open_and_load(struct attacher *att, bool multi)
{
	att->skel = gomaptrace_bpf__open();
	if (!att->skel)
		return -errno;
	att->skel->rodata->filter_pids = att->opts.filter_pids;
	bpf_program__set_autoload(att->skel->progs.gm_exec, att->opts.lifecycle);
	bpf_program__set_autoload(att->skel->progs.gm_exit, att->opts.lifecycle || att->opts.filter_pids);
	bpf_program__set_autoload(att->skel->progs.gm_probe_multi, multi);
	if (multi)
		bpf_program__set_expected_attach_type(att->skel->progs.gm_probe_multi,
						      GM_BPF_TRACE_UPROBE_MULTI);
	return gomaptrace_bpf__load(att->skel);
}

static bool verbose_libbpf;
static bool quiet_libbpf;	/* while probing for kernel features */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose_libbpf && (level == LIBBPF_DEBUG || quiet_libbpf))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

struct attacher *attacher__new(const struct attacher_opts *opts, struct gm_err *err)
{
	struct attacher *att = calloc(1, sizeof(*att));
	int ret;

	if (!att) {
		gm_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(&att->opts, opts, opts->sz < sizeof(att->opts) ? opts->sz : sizeof(att->opts));
	verbose_libbpf = att->opts.verbose;
	libbpf_set_print(libbpf_print);
	att->ncpus = libbpf_num_possible_cpus();
	if (att->ncpus <= 0) {
		gm_err_set(err, EINVAL, "cannot count possible CPUs");
		goto err_out;
	}
	/*
	 * uprobe_multi detaches with one grace period per binary instead of one
	 * per point.  opts.no_uprobe_multi takes the pre-6.6 path on a new
	 * kernel, so tests cover it.
	 */
	ret = -EOPNOTSUPP;
	if (!att->opts.no_uprobe_multi) {
		quiet_libbpf = true;
		ret = open_and_load(att, true);
		quiet_libbpf = false;
	}
	att->multi = !ret;
	if (ret) {
		gomaptrace_bpf__destroy(att->skel);
		ret = open_and_load(att, false);
	}
	if (ret) {
		gm_err_set(err, -ret, "cannot load BPF programs: %s (need root or CAP_BPF+CAP_PERFMON, kernel >= 5.15 with BTF)",
			   strerror(-ret));
		goto err_out;
	}
	if (att->opts.lifecycle) {
		att->skel->links.gm_exec = bpf_program__attach(att->skel->progs.gm_exec);
		if (!att->skel->links.gm_exec) {
			gm_err_set(err, errno, "cannot attach exec tracepoint: %s", strerror(errno));
			goto err_out;
		}
	}
	if (att->opts.lifecycle || att->opts.filter_pids) {
		att->skel->links.gm_exit = bpf_program__attach(att->skel->progs.gm_exit);
		if (!att->skel->links.gm_exit) {
			gm_err_set(err, errno, "cannot attach exit tracepoint: %s", strerror(errno));
			goto err_out;
		}
	}
	return att;

err_out:
	attacher__free(att);
	return NULL;
}

struct destroy_job {
	struct bpf_link **links;	/* or fds, when links is NULL */
	int *fds;
	int n, start, step;
};

static void *destroy_some(void *arg)
{
	struct destroy_job *job = arg;
	int i;

	for (i = job->start; i < job->n; i += job->step) {
		if (job->links)
			bpf_link__destroy(job->links[i]);
		else if (job->fds[i] >= 0)
			close(job->fds[i]);
	}
	return NULL;
}

/*
 * Each uprobe detach waits for an RCU grace period (tens of ms here); done
 * one after another, a daemon with a few binaries would take seconds to
 * stop.  The waits overlap when the links are closed from several threads.
 */
static void destroy_links(struct bpf_link **links, int *fds, int n)
{
	enum { THREADS = 16 };
	struct destroy_job jobs[THREADS];
	pthread_t tids[THREADS];
	bool started[THREADS] = {};
	int t, nt = n < THREADS ? n : THREADS;

	for (t = 0; t < nt; t++) {
		jobs[t] = (struct destroy_job){ links, fds, n, t, nt };
		started[t] = !pthread_create(&tids[t], NULL, destroy_some, &jobs[t]);
		if (!started[t])
			destroy_some(&jobs[t]);
	}
	for (t = 0; t < nt; t++)
		if (started[t])
			pthread_join(tids[t], NULL);
}

/* Close one unit's kernel links: its breakpoints are gone when this returns. */
static void close_unit(struct attached_binary *b, struct attach_unit *u)
{
	if (u->links)
		destroy_links(u->links, NULL, b->spec_cnt);
	if (u->multi_fd >= 0)
		close(u->multi_fd);
	free(u->links);
	u->links = NULL;
	u->multi_fd = -1;
}

static void detach_binary(struct attacher *att, struct attached_binary *b)
{
	int i;

	for (i = 0; i < b->unit_cnt; i++)
		close_unit(b, &b->units[i]);
	for (i = 0; b->used && i < b->spec_cnt; i++)
		att->spec_used[b->first_spec + i] = false;
	if (b->fd > 0)
		close(b->fd);
	free(b->units);
	free(b->offs);
	free(b->enabled);
	memset(b, 0, sizeof(*b));
}

void attacher__free(struct attacher *att)
{
	struct bpf_link **all;
	int *fds, i, j, k, n = 0, nf = 0, units = 0, nlinks = 0;

	if (!att)
		return;
	for (i = 0; i < GM_MAX_BINARIES; i++) {
		units += att->bins[i].unit_cnt;
		nlinks += att->bins[i].unit_cnt * att->bins[i].spec_cnt;
	}
	/* every binary's links in one parallel batch: stopping must be quick */
	all = calloc(nlinks + 1, sizeof(*all));
	fds = calloc(units + 1, sizeof(*fds));
	for (i = 0; all && fds && i < GM_MAX_BINARIES; i++) {
		struct attached_binary *b = &att->bins[i];

		for (k = 0; b->used && k < b->unit_cnt; k++) {
			struct attach_unit *u = &b->units[k];

			for (j = 0; u->links && j < b->spec_cnt; j++) {
				all[n++] = u->links[j];
				u->links[j] = NULL;
			}
			if (u->multi_fd >= 0) {
				fds[nf++] = u->multi_fd;
				u->multi_fd = -1;
			}
		}
	}
	if (all && fds) {
		destroy_links(all, NULL, n);
		destroy_links(NULL, fds, nf);
	}
	free(all);
	free(fds);
	for (i = 0; i < GM_MAX_BINARIES; i++)
		if (att->bins[i].used)
			detach_binary(att, &att->bins[i]);
	gomaptrace_bpf__destroy(att->skel);
	free(att);
}

/*
 * Make one unit's kernel attachments match b->enabled.  With uprobe_multi
 * the unit's link is replaced whole (the new one first, so no point is ever
 * uncovered); otherwise single uprobes come and go one by one.  A unit with
 * a pid gives it to the kernel (uprobe_multi's pid, perf_event_open's pid):
 * the breakpoints go into that process only, and other processes running
 * the same file never trap.
 */
static int sync_unit(struct attacher *att, struct attached_binary *b, struct attach_unit *u,
		     struct gm_err *err)
{
	char fd_path[TARGET_PATH_MAX], fd_name[32];
	int i, n = 0, fd;

	snprintf(fd_name, sizeof(fd_name), "fd/%d", b->fd);
	target__proc_path(fd_path, sizeof(fd_path), 0, fd_name);
	if (att->multi) {
		uint64_t offs[b->spec_cnt + 1], cookies[b->spec_cnt + 1];

		for (i = 0; i < b->spec_cnt; i++) {
			if (!b->enabled[i])
				continue;
			offs[n] = b->offs[i];
			cookies[n++] = b->first_spec + i;
		}
		fd = n ? uprobe_multi_link(bpf_program__fd(att->skel->progs.gm_probe_multi), fd_path,
					    offs, cookies, n, u->pid) : -1;
		if (n && fd < 0)
			return gm_err_set(err, -fd, "cannot attach %d uprobes%s: %s", n,
					  u->pid > 0 ? " for this process" : "", strerror(-fd));
		/*
		 * Synchronous on purpose: the close removes the dropped points'
		 * breakpoints, and the governor times the on-window up to here.
		 * It blocks the loop for the RCU waits (30-50 ms here); alarms
		 * have their own ring, so none is lost meanwhile.
		 */
		if (u->multi_fd >= 0)
			close(u->multi_fd);
		u->multi_fd = fd;
		return 0;
	}
	for (i = 0; i < b->spec_cnt; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uopts);

		if (!b->enabled[i] && u->links[i]) {
			bpf_link__destroy(u->links[i]);
			u->links[i] = NULL;
		}
		if (!b->enabled[i] || u->links[i])
			continue;
		uopts.bpf_cookie = b->first_spec + i;
		u->links[i] = bpf_program__attach_uprobe_opts(att->skel->progs.gm_probe,
							      u->pid > 0 ? u->pid : -1, fd_path,
							      b->offs[i], &uopts);
		if (!u->links[i])
			return gm_err_set(err, errno, "cannot attach uprobe to %s at file offset %#llx: %s",
					  att->spec_fn[b->first_spec + i],
					  (unsigned long long)b->offs[i], strerror(errno));
	}
	return 0;
}

static int sync_points(struct attacher *att, struct attached_binary *b, struct gm_err *err)
{
	int i, ret;

	for (i = 0; i < b->unit_cnt; i++) {
		ret = sync_unit(att, b, &b->units[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

/* A new unit for PID (-1: every process), attached at once. */
static int add_unit(struct attacher *att, struct attached_binary *b, pid_t pid, struct gm_err *err)
{
	struct attach_unit *units, *u;
	int ret;

	units = realloc(b->units, (b->unit_cnt + 1) * sizeof(*units));
	if (!units)
		return gm_err_set(err, ENOMEM, "out of memory");
	b->units = units;
	u = &units[b->unit_cnt];
	memset(u, 0, sizeof(*u));
	u->pid = pid > 0 ? pid : -1;
	u->multi_fd = -1;
	if (!att->multi) {
		u->links = calloc(b->spec_cnt + 1, sizeof(*u->links));
		if (!u->links)
			return gm_err_set(err, ENOMEM, "out of memory");
	}
	b->unit_cnt++;
	ret = sync_unit(att, b, u, err);
	if (ret) {
		/* take the half-made unit back out */
		close_unit(b, u);
		b->unit_cnt--;
	}
	return ret;
}

/* A freed spec slot's hits must not be counted for the next binary given it. */
static void reset_hits(struct attacher *att, __u32 key)
{
	__u64 zeros[att->ncpus];

	memset(zeros, 0, sizeof(zeros));
	bpf_map_update_elem(bpf_map__fd(att->skel->maps.probe_hits), &key, zeros, BPF_ANY);
}

/* 0 when the file behind fd still is ID, else -ESTALE with a reason. */
static int check_identity(int fd, const char *path, const struct fileid *id, struct gm_err *err)
{
	struct fileid now;
	int ret = fileid__of_fd(fd, &now);

	if (ret)
		return gm_err_set(err, -ret, "cannot stat %s: %s", path, strerror(-ret));
	if (!fileid__equal(&now, id))
		return gm_err_set(err, ESTALE, "%s changed on disk since it was parsed", path);
	return 0;
}

/* A contiguous run of free probe_specs slots. */
static int alloc_specs(struct attacher *att, int cnt)
{
	int start, i;

	for (start = 0; start + cnt <= GM_MAX_PROBES; start++) {
		for (i = 0; i < cnt && !att->spec_used[start + i]; i++)
			;
		if (i == cnt)
			return start;
		start += i;
	}
	return -ENOSPC;
}

int attacher__add_binary(struct attacher *att, const char *path, const struct gobin *bin,
			 const struct fileid *id, pid_t pid, struct gm_err *err)
{
	struct probe_point points[256];
	struct attached_binary *b = NULL;
	int slot, n, first, i, ret;
	__u32 key;

	if (pid <= 0)
		pid = -1;
	for (slot = 0; slot < GM_MAX_BINARIES; slot++) {
		b = &att->bins[slot];
		if (b->used && fileid__same_inode(&b->id, id)) {
			bool covered = false;

			if (!fileid__equal(&b->id, id)) {
				/* other content: the old slot only keeps counts for the reports */
				if (!b->unit_cnt)
					continue;
				return gm_err_set(err, ESTALE, "%s changed on disk while its old content is still probed",
						  path);
			}
			/* the pinned inode must still hold what was parsed */
			ret = check_identity(b->fd, path, id, err);
			if (ret)
				return ret;
			/* pid -1 covers every process; a pid once is enough */
			for (i = 0; i < b->unit_cnt; i++)
				covered |= b->units[i].pid == -1 || b->units[i].pid == pid;
			if (!covered) {
				ret = add_unit(att, b, pid, err);
				if (ret)
					return ret;
			}
			b->refs++;
			return slot;
		}
	}
	for (slot = 0; slot < GM_MAX_BINARIES && att->bins[slot].used; slot++)
		;
	if (slot == GM_MAX_BINARIES)
		return gm_err_set(err, ENOSPC, "too many distinct binaries attached (max %d)",
				  GM_MAX_BINARIES);
	b = &att->bins[slot];

	n = probes__select(bin->plan, att->opts.mode, points, 256, err);
	if (n < 0)
		return n;
	first = alloc_specs(att, n);
	if (first < 0)
		return gm_err_set(err, ENOSPC, "no room for %d more probe points", n);
	b->offs = calloc(n, sizeof(*b->offs));
	b->enabled = calloc(n, sizeof(*b->enabled));
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!b->offs || !b->enabled || b->fd < 0) {
		ret = b->fd < 0 ? gm_err_set(err, errno, "cannot open %s: %s", path, strerror(errno))
				: gm_err_set(err, ENOMEM, "out of memory");
		goto err_out;
	}
	/*
	 * The uprobes go on the inode this fd holds: it must be the content the
	 * offsets were computed from, or every process of it gets an INT3 in
	 * the middle of some instruction.
	 */
	ret = check_identity(b->fd, path, id, err);
	if (ret)
		goto err_out;

	key = slot;
	if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.layouts), &key,
				&bin->plan->layout, BPF_ANY)) {
		ret = gm_err_set(err, errno, "cannot store layout: %s", strerror(errno));
		goto err_out;
	}
	b->used = true;
	b->refs = 1;
	b->id = *id;
	b->first_spec = first;
	for (i = 0; i < n; i++) {
		struct gm_probe_spec spec = points[i].spec;

		key = first + i;
		spec.binary_idx = slot;
		att->spec_used[key] = true;
		att->spec_fn[key] = points[i].function;
		att->spec_kind[key] = spec.kind;
		reset_hits(att, key);
		b->spec_cnt = i + 1;
		b->offs[i] = points[i].file_off;
		b->enabled[i] = true;
		if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.probe_specs), &key, &spec, BPF_ANY)) {
			ret = gm_err_set(err, errno, "cannot store probe spec: %s", strerror(errno));
			goto err_out;
		}
	}
	ret = add_unit(att, b, pid, err);
	if (ret)
		goto err_out;
	return slot;

err_out:
	detach_binary(att, b);
	return ret;
}

void attacher__drop_pid(struct attacher *att, int slot, pid_t pid)
{
	struct attached_binary *b;
	int i;

	if (slot < 0 || slot >= GM_MAX_BINARIES || !att->bins[slot].used)
		return;
	b = &att->bins[slot];
	if (pid <= 0)
		pid = -1;
	for (i = 0; i < b->unit_cnt; i++) {
		if (b->units[i].pid != pid)
			continue;
		close_unit(b, &b->units[i]);
		b->units[i] = b->units[--b->unit_cnt];
		return;
	}
}

void attacher__put_binary(struct attacher *att, int slot)
{
	if (slot < 0 || slot >= GM_MAX_BINARIES || !att->bins[slot].used)
		return;
	if (--att->bins[slot].refs <= 0)
		detach_binary(att, &att->bins[slot]);
}

int attacher__binary_cnt(const struct attacher *att)
{
	int i, n = 0;

	for (i = 0; i < GM_MAX_BINARIES; i++)
		n += att->bins[i].used;
	return n;
}

int attacher__points(const struct attacher *att, int slot, int *first_spec, int *cnt)
{
	if (slot < 0 || slot >= GM_MAX_BINARIES || !att->bins[slot].used)
		return -ENOENT;
	*first_spec = att->bins[slot].first_spec;
	*cnt = att->bins[slot].spec_cnt;
	return 0;
}

int attacher__add_pid(struct attacher *att, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.target_pids), &key, &one, BPF_ANY))
		return -errno;
	return 0;
}

void attacher__remove_pid(struct attacher *att, pid_t pid)
{
	__u32 key = pid;

	bpf_map_delete_elem(bpf_map__fd(att->skel->maps.target_pids), &key);
}

int attacher__watch_bucket_type(struct attacher *att, pid_t pid, uint64_t type_addr)
{
	struct gm_alloc_key key = { .tgid = pid, .type = type_addr };
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.bucket_types), &key, &one, BPF_ANY))
		return -errno;
	return 0;
}

struct bpf_map *attacher__events(const struct attacher *att)
{
	return att->skel->maps.events;
}

struct bpf_map *attacher__alarms(const struct attacher *att)
{
	return att->skel->maps.alarms;
}

static uint64_t percpu_sum(const struct attacher *att, struct bpf_map *map, __u32 key)
{
	__u64 vals[att->ncpus];
	uint64_t sum = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(map), &key, vals))
		return 0;
	for (i = 0; i < att->ncpus; i++)
		sum += vals[i];
	return sum;
}

uint64_t attacher__counter(const struct attacher *att, int counter)
{
	return percpu_sum(att, att->skel->maps.counters, counter);
}

uint64_t attacher__probe_hits(const struct attacher *att, int spec_idx)
{
	return percpu_sum(att, att->skel->maps.probe_hits, spec_idx);
}

int attacher__spec_info(const struct attacher *att, int spec_idx, enum gm_probe_kind *kind,
			const char **function)
{
	if (spec_idx < 0 || spec_idx >= GM_MAX_PROBES || !att->spec_used[spec_idx])
		return -ENOENT;
	*kind = att->spec_kind[spec_idx];
	*function = att->spec_fn[spec_idx];
	return 0;
}

static struct attached_binary *binary_of_spec(struct attacher *att, int spec_idx)
{
	int slot;

	for (slot = 0; slot < GM_MAX_BINARIES; slot++) {
		struct attached_binary *b = &att->bins[slot];

		if (b->used && spec_idx >= b->first_spec && spec_idx < b->first_spec + b->spec_cnt)
			return b;
	}
	return NULL;
}

int attacher__set_points(struct attacher *att, const int *spec_idx, int cnt, bool on,
			 struct gm_err *err)
{
	struct attached_binary *b;
	bool changed = false;
	int i;

	if (cnt <= 0)
		return 0;
	b = binary_of_spec(att, spec_idx[0]);
	if (!b)
		return gm_err_set(err, ENOENT, "no attachment %d", spec_idx[0]);
	for (i = 0; i < cnt; i++) {
		int k = spec_idx[i] - b->first_spec;

		if (k < 0 || k >= b->spec_cnt)
			return gm_err_set(err, EINVAL, "attachments %d and %d belong to different binaries",
					  spec_idx[0], spec_idx[i]);
		changed |= b->enabled[k] != on;
		b->enabled[k] = on;
	}
	/* one new uprobe_multi link for the whole change, not one per point */
	return changed ? sync_points(att, b, err) : 0;
}

uint64_t attacher__proc_hits(const struct attacher *att, pid_t pid)
{
	struct gm_proc_hits v = {};
	__u32 key = pid;

	if (bpf_map_lookup_elem(bpf_map__fd(att->skel->maps.proc_hits), &key, &v))
		return 0;
	return v.hits;
}

void attacher__set_alarm(struct attacher *att, uint32_t hits_per_window)
{
	att->skel->bss->alarm_hits = hits_per_window;
}

void attacher__forget_proc(struct attacher *att, pid_t pid)
{
	__u32 key = pid;

	bpf_map_delete_elem(bpf_map__fd(att->skel->maps.proc_hits), &key);
}

int attacher__no_start_allowance(struct attacher *att, pid_t pid)
{
	struct timespec ts;
	struct gm_proc_hits v = {};
	__u32 key = pid;

	/* bpf_ktime_get_ns is CLOCK_MONOTONIC */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v.first_ns = v.window_start_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.proc_hits), &key, &v, BPF_NOEXIST) &&
	    errno != EEXIST)
		return -errno;
	return 0;
}

/* What the calibration probes to learn the cost of one hit here. */
__attribute__((noinline)) void gm_calibration_point(volatile unsigned long *x);
__attribute__((noinline)) void gm_calibration_point(volatile unsigned long *x)
{
	(*x)++;
	__asm__ volatile("" : : : "memory");
}

static double time_calls(int n)
{
	volatile unsigned long x = 0;
	struct timespec a, b;
	int i;

	/*
	 * The thread's CPU time, not the wall clock: a trap is charged to the
	 * task that hits it, and time spent preempted by a neighbour (tens of
	 * percent on a loaded machine) is not the probe's cost.
	 */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (i = 0; i < n; i++)
		gm_calibration_point(&x);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	return (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

struct self_off {
	uintptr_t addr;
	uint64_t off;
};

static int holds_addr(const struct target_mapping *m, void *ctx)
{
	struct self_off *so = ctx;

	if (so->addr < m->start || so->addr >= m->end)
		return 0;
	so->off = so->addr - m->start + m->offset;
	return 1;
}

/* File offset of our own function, from the mapping that holds it. */
static int self_offset(uintptr_t addr, uint64_t *off)
{
	struct self_off so = { .addr = addr };
	int ret = target__each_mapping(0, holds_addr, &so);

	if (ret <= 0)
		return ret ? ret : -ENOENT;
	*off = so.off;
	return 0;
}

int attacher__calibrate(struct attacher *att, double *cost_s, struct gm_err *err)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uopts);
	struct gm_probe_spec spec = { .kind = 0, .map_reg = GM_REG_NONE, .type_reg = GM_REG_NONE };
	const int n = 4000;
	__u32 key = GM_MAX_PROBES - 1;
	struct bpf_link *link;
	double base = 1e9, traced = 1e9, t;
	uint64_t off = 0;
	int i, multi_fd = -1;
	char self_exe[TARGET_PATH_MAX];

	target__proc_path(self_exe, sizeof(self_exe), 0, "exe");
	if (self_offset((uintptr_t)gm_calibration_point, &off))
		return gm_err_set(err, ENOENT, "cannot find gomaptrace's own text mapping");
	if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.probe_specs), &key, &spec, BPF_ANY))
		return gm_err_set(err, errno, "cannot store calibration spec: %s", strerror(errno));
	att->spec_used[key] = true;	/* never handed to a binary */
	uopts.bpf_cookie = key;
	/* the same kind of attachment the binaries get, so the cost is theirs */
	if (att->multi) {
		uint64_t cookie = key;

		link = NULL;
		multi_fd = uprobe_multi_link(bpf_program__fd(att->skel->progs.gm_probe_multi),
					     self_exe, &off, &cookie, 1, getpid());
		if (multi_fd < 0)
			return gm_err_set(err, -multi_fd, "cannot attach calibration probe: %s",
					  strerror(-multi_fd));
	} else {
		link = bpf_program__attach_uprobe_opts(att->skel->progs.gm_probe, getpid(),
						       self_exe, off, &uopts);
		if (!link)
			return gm_err_set(err, errno, "cannot attach calibration probe: %s", strerror(errno));
	}
	/* best of three, traced and not, so a busy neighbour counts least */
	for (i = 0; i < 3; i++) {
		t = time_calls(n);
		if (t < traced)
			traced = t;
	}
	bpf_link__destroy(link);
	if (multi_fd >= 0)
		close(multi_fd);
	for (i = 0; i < 3; i++) {
		t = time_calls(n);
		if (t < base)
			base = t;
	}
	*cost_s = traced > base ? (traced - base) / n : 0;
	return 0;
}
