// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
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
	int first_spec, spec_cnt;
	struct bpf_link **links;
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
	free(b->links);
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
	if (!b->links)
		return gm_err_set(err, ENOMEM, "out of memory");

	key = slot;
	ret = bpf_map_update_elem(bpf_map__fd(att->skel->maps.layouts), &key,
				  &bin->plan->layout, BPF_ANY);
	if (ret) {
		free(b->links);
		b->links = NULL;
		return gm_err_set(err, errno, "cannot store layout: %s", strerror(errno));
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
		b->links[i] = bpf_program__attach_uprobe_opts(att->skel->progs.gm_probe, -1, path,
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
