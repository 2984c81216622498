// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probecost.h"

#define MAX_PROGS 8

struct probecost {
	struct attacher *att;
	int stats_fd;			/* BPF_ENABLE_STATS; -1: not on */
	uint32_t events_id;		/* our events ring buffer's map id */
	uint32_t prog_id[MAX_PROGS];
	int prog_cnt;
	uint64_t base_ns, base_cnt;	/* at the first read: another holder may have counted before */
	int based;
	struct probecost_snap last;
};

static uint32_t map_id(const struct bpf_map *m)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (!m || bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
		return 0;
	return info.id;
}

/* The uprobe programs (kprobe type) that write to our events ring buffer. */
static void find_progs(struct probecost *pc)
{
	__u32 id = 0;

	pc->prog_cnt = 0;
	while (pc->prog_cnt < MAX_PROGS && !bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 maps[64], len = sizeof(info), i;
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		info.nr_map_ids = 64;
		info.map_ids = (__u64)(unsigned long)maps;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_PROG_TYPE_KPROBE)
			for (i = 0; i < info.nr_map_ids && i < 64; i++)
				if (maps[i] == pc->events_id) {
					pc->prog_id[pc->prog_cnt++] = id;
					break;
				}
		close(fd);
	}
}

struct probecost *probecost__new(struct attacher *att, double trap_s)
{
	struct probecost *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	pc->att = att;
	pc->last.trap_s = pc->last.hit_s = trap_s;
	pc->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	pc->events_id = map_id(attacher__events(att));
	if (pc->stats_fd >= 0 && pc->events_id)
		find_progs(pc);
	probecost__read(pc, NULL);	/* the baseline: runs before now are not ours to count */
	return pc;
}

void probecost__free(struct probecost *pc)
{
	if (!pc)
		return;
	if (pc->stats_fd >= 0)
		close(pc->stats_fd);
	free(pc);
}

void probecost__read(struct probecost *pc, struct probecost_snap *out)
{
	uint64_t ns = 0, cnt = 0;
	int i;

	if (pc->stats_fd >= 0 && pc->prog_cnt) {
		for (i = 0; i < pc->prog_cnt; i++) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int fd = bpf_prog_get_fd_by_id(pc->prog_id[i]);

			if (fd < 0)
				continue;
			if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
				ns += info.run_time_ns;
				cnt += info.run_cnt;
			}
			close(fd);
		}
		if (!pc->based) {
			pc->base_ns = ns;
			pc->base_cnt = cnt;
			pc->based = 1;
		}
		pc->last.run_ns = ns >= pc->base_ns ? ns - pc->base_ns : 0;
		pc->last.run_cnt = cnt >= pc->base_cnt ? cnt - pc->base_cnt : 0;
		pc->last.stats = 1;
	}
	pc->last.hit_s = pc->last.trap_s;
	if (pc->last.run_cnt)
		pc->last.hit_s += pc->last.run_ns / 1e9 / pc->last.run_cnt;
	if (out)
		*out = pc->last;
}

double probecost__hit_s(const struct probecost *pc)
{
	return pc ? pc->last.hit_s : 0;
}
