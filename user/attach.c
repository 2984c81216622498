// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "attach.h"
#include "gomaptrace.skel.h"

struct attached_binary {
	bool used;
	int refs;
	dev_t dev;
	ino_t ino;
	int fd;			/* pins the inode: re-attaching works after its processes exit */
	int first_spec, spec_cnt;
	struct bpf_link **links;
	uint64_t *offs;		/* file offset of each point, for re-attaching */
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
};

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose_libbpf)
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
	att->skel = gomaptrace_bpf__open();
	if (!att->skel) {
		gm_err_set(err, errno, "cannot open BPF object: %s", strerror(errno));
		goto err_out;
	}
	att->skel->rodata->filter_pids = att->opts.filter_pids;
	bpf_program__set_autoload(att->skel->progs.gm_exec, att->opts.lifecycle);
	bpf_program__set_autoload(att->skel->progs.gm_exit, att->opts.lifecycle || att->opts.filter_pids);
	ret = gomaptrace_bpf__load(att->skel);
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

static void detach_binary(struct attacher *att, struct attached_binary *b)
{
	int i;

	for (i = 0; i < b->spec_cnt; i++) {
		bpf_link__destroy(b->links[i]);
		att->spec_used[b->first_spec + i] = false;
	}
	if (b->fd > 0)
		close(b->fd);
	free(b->links);
	free(b->offs);
	memset(b, 0, sizeof(*b));
}

void attacher__free(struct attacher *att)
{
	int i;

	if (!att)
		return;
	for (i = 0; i < GM_MAX_BINARIES; i++)
		if (att->bins[i].used)
			detach_binary(att, &att->bins[i]);
	gomaptrace_bpf__destroy(att->skel);
	free(att);
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
			 struct gm_err *err)
{
	struct probe_point points[256];
	struct attached_binary *b = NULL;
	char fd_path[64];
	int slot, n, first, i, ret;
	__u32 key;

	for (slot = 0; slot < GM_MAX_BINARIES; slot++) {
		b = &att->bins[slot];
		if (b->used && b->dev == bin->dev && b->ino == bin->ino) {
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
	b->links = calloc(n, sizeof(*b->links));
	b->offs = calloc(n, sizeof(*b->offs));
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!b->links || !b->offs || b->fd < 0) {
		ret = b->fd < 0 ? gm_err_set(err, errno, "cannot open %s: %s", path, strerror(errno))
				: gm_err_set(err, ENOMEM, "out of memory");
		if (b->fd >= 0)
			close(b->fd);
		free(b->links);
		free(b->offs);
		memset(b, 0, sizeof(*b));
		return ret;
	}
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", b->fd);

	key = slot;
	if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.layouts), &key,
				&bin->plan->layout, BPF_ANY)) {
		ret = gm_err_set(err, errno, "cannot store layout: %s", strerror(errno));
		close(b->fd);
		free(b->links);
		free(b->offs);
		memset(b, 0, sizeof(*b));
		return ret;
	}
	b->used = true;
	b->refs = 1;
	b->dev = bin->dev;
	b->ino = bin->ino;
	b->first_spec = first;
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uopts);
		struct gm_probe_spec spec = points[i].spec;

		key = first + i;
		spec.binary_idx = slot;
		att->spec_used[key] = true;
		att->spec_fn[key] = points[i].function;
		att->spec_kind[key] = spec.kind;
		b->spec_cnt = i + 1;
		if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.probe_specs), &key, &spec, BPF_ANY)) {
			ret = gm_err_set(err, errno, "cannot store probe spec: %s", strerror(errno));
			goto err_out;
		}
		uopts.bpf_cookie = key;
		b->offs[i] = points[i].file_off;
		b->links[i] = bpf_program__attach_uprobe_opts(att->skel->progs.gm_probe, -1, fd_path,
							      points[i].file_off, &uopts);
		if (!b->links[i]) {
			ret = gm_err_set(err, errno, "cannot attach uprobe to %s at file offset %#llx: %s",
				   points[i].function, (unsigned long long)points[i].file_off,
				   strerror(errno));
			goto err_out;
		}
	}
	return slot;

err_out:
	detach_binary(att, b);
	return ret;
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
	struct { __u32 tgid, pad; __u64 type; } key = { .tgid = pid, .type = type_addr };
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.bucket_types), &key, &one, BPF_ANY))
		return -errno;
	return 0;
}

struct bpf_map *attacher__events(const struct attacher *att)
{
	return att->skel->maps.events;
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

bool attacher__point_attached(const struct attacher *att, int spec_idx)
{
	struct attached_binary *b = binary_of_spec((struct attacher *)att, spec_idx);

	return b && b->links[spec_idx - b->first_spec];
}

int attacher__set_point(struct attacher *att, int spec_idx, bool on, struct gm_err *err)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uopts);
	struct attached_binary *b = binary_of_spec(att, spec_idx);
	char fd_path[64];
	int i;

	if (!b)
		return gm_err_set(err, ENOENT, "no attachment %d", spec_idx);
	i = spec_idx - b->first_spec;
	if (!on) {
		bpf_link__destroy(b->links[i]);
		b->links[i] = NULL;
		return 0;
	}
	if (b->links[i])
		return 0;
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", b->fd);
	uopts.bpf_cookie = spec_idx;
	b->links[i] = bpf_program__attach_uprobe_opts(att->skel->progs.gm_probe, -1, fd_path,
						      b->offs[i], &uopts);
	if (!b->links[i])
		return gm_err_set(err, errno, "cannot re-attach %s: %s", att->spec_fn[spec_idx],
				  strerror(errno));
	return 0;
}

uint64_t attacher__proc_hits(const struct attacher *att, pid_t pid)
{
	__u32 key = pid;
	__u64 v = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(att->skel->maps.proc_hits), &key, &v))
		return 0;
	return v;
}

void attacher__forget_proc(struct attacher *att, pid_t pid)
{
	__u32 key = pid;

	bpf_map_delete_elem(bpf_map__fd(att->skel->maps.proc_hits), &key);
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

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		gm_calibration_point(&x);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

/* File offset of our own function, from the mapping that holds it. */
static int self_offset(uintptr_t addr, uint64_t *off)
{
	unsigned long long start, end, moff;
	char line[512], perms[8];
	FILE *f = fopen("/proc/self/maps", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx", &start, &end, perms, &moff) != 4)
			continue;
		if (addr >= start && addr < end) {
			*off = addr - start + moff;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
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
	int i;

	if (self_offset((uintptr_t)gm_calibration_point, &off))
		return gm_err_set(err, ENOENT, "cannot find gomaptrace's own text mapping");
	if (bpf_map_update_elem(bpf_map__fd(att->skel->maps.probe_specs), &key, &spec, BPF_ANY))
		return gm_err_set(err, errno, "cannot store calibration spec: %s", strerror(errno));
	att->spec_used[key] = true;	/* never handed to a binary */
	uopts.bpf_cookie = key;
	link = bpf_program__attach_uprobe_opts(att->skel->progs.gm_probe, getpid(), "/proc/self/exe",
					       off, &uopts);
	if (!link)
		return gm_err_set(err, errno, "cannot attach calibration probe: %s", strerror(errno));
	/* best of three, traced and not, so a busy neighbour counts least */
	for (i = 0; i < 3; i++) {
		t = time_calls(n);
		if (t < traced)
			traced = t;
	}
	bpf_link__destroy(link);
	for (i = 0; i < 3; i++) {
		t = time_calls(n);
		if (t < base)
			base = t;
	}
	*cost_s = traced > base ? (traced - base) / n : 0;
	return 0;
}
