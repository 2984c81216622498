// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Userspace pipeline benchmark: synthetic struct gm_event records through
 * tracker__handle_event(), with tracker__sample() and tracker__tick() once a
 * simulated second, on one thread.  Prints events per second (wall and CPU
 * time of this thread) and where the time went by stage.
 *
 * The stream is shaped like what the daemon receives from a Go 1.24+ (swiss)
 * process that churns maps, the worst common case: per short-lived map, its
 * creation (makemap_small RET), growToSmall, growToTable and three
 * (*table).grow, interleaved over many maps in flight, plus growth of
 * long-lived maps.  Stacks are made of real pcs of the binary (so
 * symbolization walks the real pclntab), 12 frames deep: the probed runtime
 * function, runtime callers, then non-runtime functions (the sites), then
 * runtime.main and runtime.goexit.
 *
 * Maps live in this process's memory: the target is this process, so
 * tracker__sample() really reads counts and seeds with process_vm_readv, and
 * a reused address with a new seed is really seen as a map gone.
 *
 * usage: pipeline [-e EVENTS] [-r EVENTS_PER_SIM_SECOND] [-l LONG_LIVED_MAPS]
 *                 [-f FLIGHT] [-w WINDOW_SECONDS] BINARY
 * -m MAX_MAPS caps the tracked maps (the daemon's --max-maps, default
 * 65,536): with -l above it, eviction runs on every new map.
 * Memory: the tracker's heap (malloc'd bytes in use after the run less
 * before it was made) and the process's peak RSS, which also holds the
 * fake maps (64 bytes each) and the binary's tables.
 * Defaults: 4,000,000 events at 20,000 per simulated second (200 simulated
 * seconds: three 60 s judging windows close), 10,000 long-lived maps, 64
 * short-lived maps in flight.
 * BINARY must be a non-PIE Go 1.24+ (swiss) executable.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gobin.h"
#include "target.h"
#include "tracker.h"

#define STACK_DEPTH 12
#define MAX_SITES_POOL 64
/*
 * One fake map: a Swiss Map header (used 0, seed 8, dirPtr 16, dirLen 24,
 * globalDepth 32, globalShift 33), a table at +64 (used 0, capacity 2,
 * growthLeft 4, localDepth 6, index 8, groups 16, lengthMask 24) and a
 * one-entry directory at +96, laid out as the runtime would, so that the
 * tracker's header and structure checks accept it and a map stays tracked.
 */
#define SLOT_BYTES 128
#define SLOT_TABLE 64
#define SLOT_DIR 96
#define SLOT_GROUPS 104		/* a group address (never read) */
#define MAX_TABLE_SLOTS 1024

struct fn_pc {
	const char *name;
	uint64_t pc;		/* a pc inside the function */
};

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pc_of(const struct pclntab *tab, const char *name, uint64_t *pc)
{
	struct pcln_func fn;

	if (pclntab__func_by_name(tab, name, &fn)) {
		fprintf(stderr, "pipeline: %s not in the binary\n", name);
		return -1;
	}
	*pc = fn.entry + (fn.end - fn.entry) / 2;
	return 0;
}

static bool is_runtime(const char *n)
{
	return !strncmp(n, "runtime", 7) || !strncmp(n, "internal/", 9) || !strncmp(n, "sync", 4) ||
	       !strncmp(n, "type:", 5) || !strncmp(n, "go:", 3);
}

/* Non-runtime functions of the binary: the sites the synthetic maps belong to. */
static int user_pool(const struct pclntab *tab, struct fn_pc *pool, int max)
{
	size_t n = pclntab__func_cnt(tab), i, step;
	struct pcln_func fn;
	int k = 0;

	step = n / (4 * max) + 1;
	for (i = 0; i < n && k < max; i += step) {
		if (pclntab__func_at(tab, i, &fn) || !fn.name || is_runtime(fn.name) || fn.end <= fn.entry + 4)
			continue;
		pool[k].name = fn.name;
		pool[k].pc = fn.entry + (fn.end - fn.entry) / 2;
		k++;
	}
	return k;
}

struct stream {
	struct gm_event ev;
	uint32_t pid;
	uint64_t rt[6];		/* runtime pcs: probe points and callers */
	uint64_t rt_main, rt_goexit;
	struct fn_pc pool[MAX_SITES_POOL];
	int pool_cnt;
	uint8_t *mem;		/* fake map headers, SLOT_BYTES each */
	uint64_t *seeds;
};

enum { RT_MAKEMAP, RT_GROW_TO_SMALL, RT_GROW_TO_TABLE, RT_TABLE_GROW, RT_MAPASSIGN, RT_NEWOBJ };

static void fill_stack(struct stream *s, struct gm_event *e, uint64_t probe_pc, int site, bool creation)
{
	int n = 0, i;

	e->frames[n++] = probe_pc;
	if (!creation)
		e->frames[n++] = s->rt[RT_MAPASSIGN];
	/* the site and a few non-runtime callers above it */
	for (i = 0; n < STACK_DEPTH - 2; i++)
		e->frames[n++] = s->pool[(site + i * 7) % s->pool_cnt].pc;
	e->frames[n++] = s->rt_main;
	e->frames[n++] = s->rt_goexit;
	e->nr_frames = n;
}

static void put_u(uint8_t *p, uint64_t v, size_t len)
{
	memcpy(p, &v, len);	/* little-endian, as the target */
}

static void set_map(struct stream *s, uint32_t slot, uint64_t entries, uint64_t seed)
{
	uint8_t *h = s->mem + (size_t)slot * SLOT_BYTES;
	uint64_t base = (uint64_t)(uintptr_t)h, cap = 16;

	memset(h, 0, SLOT_BYTES);
	put_u(h, entries, 8);
	put_u(h + 8, seed, 8);
	if (entries <= 8) {
		/* a small map: one group at dirPtr */
		put_u(h + 16, entries ? base + SLOT_GROUPS : 0, 8);
		return;
	}
	while (cap < MAX_TABLE_SLOTS && cap * 7 / 8 < entries)
		cap *= 2;
	put_u(h + 16, base + SLOT_DIR, 8);
	put_u(h + 24, 1, 8);
	h[33] = 64;			/* globalShift: 64 - globalDepth 0 */
	put_u(h + SLOT_TABLE, entries, 2);
	put_u(h + SLOT_TABLE + 2, cap, 2);
	put_u(h + SLOT_TABLE + 4, cap * 7 / 8 > entries ? cap * 7 / 8 - entries : 0, 2);
	put_u(h + SLOT_TABLE + 16, base + SLOT_GROUPS, 8);
	put_u(h + SLOT_TABLE + 24, cap / 8 - 1, 8);
	put_u(h + SLOT_DIR, base + SLOT_TABLE, 8);
}

static void emit(struct tracker *tr, struct stream *s, uint64_t ts, uint8_t kind, uint32_t slot,
		 uint64_t entries, uint64_t arg, int site, uint64_t probe_pc, bool creation)
{
	struct gm_event *e = &s->ev;

	e->ts_ns = ts;
	e->tgid = s->pid;
	e->tid = s->pid;
	e->kind = kind;
	e->flags = 0;
	e->map = (uint64_t)(uintptr_t)(s->mem + (size_t)slot * SLOT_BYTES);
	e->type = 0x4c0000 + 0x40 * (uint64_t)(site % 16);
	e->entries = entries;
	e->seed = s->seeds[slot];
	e->bucket_size = 208;
	e->arg = arg;
	e->arg2 = 0;
	fill_stack(s, e, probe_pc, site, creation);
	tracker__handle_event(tr, e);
}

int main(int argc, char **argv)
{
	uint64_t total = 4000000, per_sec = 20000, long_lived = 10000, flight = 64, window_s = 60;
	struct gm_err err = {};
	struct gobin *bin;
	struct target tgt;
	struct tracker *tr;
	struct tracker_opts topts = { .sz = sizeof(topts) };
	struct rusage ru;
	size_t heap0;
	struct stream s = {};
	uint64_t churn_slots, i, done = 0, ts0, sim_s = 0;
	uint32_t *phase;
	double w0, c0, handle_wall = 0, sample_wall = 0, tick_wall = 0, t, wall, cpu;
	const struct tracker_stats *st;
	int c;

	while ((c = getopt(argc, argv, "e:r:l:f:w:m:")) != -1) {
		switch (c) {
		case 'e': total = strtoull(optarg, NULL, 0); break;
		case 'r': per_sec = strtoull(optarg, NULL, 0); break;
		case 'l': long_lived = strtoull(optarg, NULL, 0); break;
		case 'f': flight = strtoull(optarg, NULL, 0); break;
		case 'w': window_s = strtoull(optarg, NULL, 0); break;
		case 'm': topts.max_maps = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: pipeline [-e EVENTS] [-r PER_SIM_SECOND] [-l LONG_LIVED] [-f FLIGHT] [-w WINDOW_S] [-m MAX_MAPS] BINARY\n");
			return 2;
		}
	}
	if (optind != argc - 1 || !per_sec || !flight || !window_s) {
		fprintf(stderr, "usage: pipeline [-e EVENTS] [-r PER_SIM_SECOND] [-l LONG_LIVED] [-f FLIGHT] [-w WINDOW_S] BINARY\n");
		return 2;
	}
	bin = gobin__open(argv[optind], &err);
	if (!bin) {
		fprintf(stderr, "pipeline: %s: %s\n", argv[optind], err.msg);
		return 1;
	}
	if (bin->plan->impl != GM_MAP_SWISS || goelf__is_pie(bin->elf)) {
		fprintf(stderr, "pipeline: %s: want a non-PIE swiss-map binary\n", argv[optind]);
		return 2;
	}
	if (pc_of(bin->tab, "runtime.makemap_small", &s.rt[RT_MAKEMAP]) ||
	    pc_of(bin->tab, "internal/runtime/maps.(*Map).growToSmall", &s.rt[RT_GROW_TO_SMALL]) ||
	    pc_of(bin->tab, "internal/runtime/maps.(*Map).growToTable", &s.rt[RT_GROW_TO_TABLE]) ||
	    pc_of(bin->tab, "internal/runtime/maps.(*table).grow", &s.rt[RT_TABLE_GROW]) ||
	    pc_of(bin->tab, "runtime.mapassign_fast64", &s.rt[RT_MAPASSIGN]) ||
	    pc_of(bin->tab, "runtime.main", &s.rt_main) || pc_of(bin->tab, "runtime.goexit", &s.rt_goexit))
		return 1;
	s.pool_cnt = user_pool(bin->tab, s.pool, MAX_SITES_POOL);
	if (s.pool_cnt < 8) {
		fprintf(stderr, "pipeline: too few non-runtime functions\n");
		return 1;
	}

	/* this process is the target: reads of "its" maps are real reads */
	memset(&tgt, 0, sizeof(tgt));
	tgt.pid = getpid();
	snprintf(tgt.comm, sizeof(tgt.comm), "pipeline");
	snprintf(tgt.exe, sizeof(tgt.exe), "%s", argv[optind]);
	tgt.bin = bin;
	tgt.bin_slot = -1;
	tgt.exit_status = -1;
	tgt.bias = 0;
	tgt.bias_known = true;
	tgt.start_ns = gm_now_ns();
	s.pid = (uint32_t)tgt.pid;

	judge_opts__init(&topts.judge);
	topts.window_ns = window_s * 1000000000ULL;
	heap0 = mallinfo2().uordblks;
	tr = tracker__new(&topts);
	if (!tr || tracker__add_target(tr, &tgt))
		return 1;

	/* slots [0, long_lived) are long-lived maps, the rest churn in flight */
	churn_slots = flight;
	s.mem = aligned_alloc(64, (long_lived + churn_slots) * SLOT_BYTES);
	s.seeds = calloc(long_lived + churn_slots, sizeof(*s.seeds));
	phase = calloc(churn_slots, sizeof(*phase));
	if (!s.mem || !s.seeds || !phase)
		return 1;
	memset(s.mem, 0, (long_lived + churn_slots) * SLOT_BYTES);

	ts0 = gm_now_ns();
	/* the long-lived maps are known before timing starts: one growth each */
	for (i = 0; i < long_lived; i++) {
		s.seeds[i] = next_rand() | 1;
		set_map(&s, i, 64, s.seeds[i]);
		emit(tr, &s, ts0, GM_PROBE_GROW_TO_TABLE, i, 8, 16, (int)(i % s.pool_cnt),
		     s.rt[RT_GROW_TO_TABLE], false);
	}

	w0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	while (done < total) {
		uint64_t batch = per_sec < total - done ? per_sec : total - done;
		uint64_t sec_ns = ts0 + (sim_s + 1) * 1000000000ULL;

		t = now_s(CLOCK_MONOTONIC);
		for (i = 0; i < batch; i++) {
			uint64_t r = next_rand(), ts = sec_ns + i * (1000000000ULL / per_sec);

			if (long_lived && r % 16 == 0) {
				/* a long-lived map grows a little (1 in 16 events) */
				uint32_t slot = (uint32_t)((r >> 8) % long_lived);
				uint64_t ent;

				memcpy(&ent, s.mem + (size_t)slot * SLOT_BYTES, 8);
				/* one table holds 7/8 of 1024 slots: stay in it */
				ent = ent + 64 <= MAX_TABLE_SLOTS * 7 / 8 ? ent + 64 : ent;
				set_map(&s, slot, ent, s.seeds[slot]);
				emit(tr, &s, ts, GM_PROBE_TABLE_GROW, slot, ent, 2048, (int)(slot % s.pool_cnt),
				     s.rt[RT_TABLE_GROW], false);
				continue;
			}
			/* advance one in-flight short-lived map through its life */
			uint32_t k = (uint32_t)((r >> 8) % churn_slots), slot = (uint32_t)(long_lived + k);
			int site = (int)((r >> 20) % s.pool_cnt);

			switch (phase[k]) {
			case 0:	/* a new map at a reused address */
				s.seeds[slot] = next_rand() | 1;
				set_map(&s, slot, 0, s.seeds[slot]);
				emit(tr, &s, ts, GM_PROBE_MAKEMAP_RET, slot, 0, 0, site, s.rt[RT_MAKEMAP], true);
				break;
			case 1:
				set_map(&s, slot, 1, s.seeds[slot]);
				emit(tr, &s, ts, GM_PROBE_GROW_TO_SMALL, slot, 0, 8, site, s.rt[RT_GROW_TO_SMALL], false);
				break;
			case 2:
				set_map(&s, slot, 8, s.seeds[slot]);
				emit(tr, &s, ts, GM_PROBE_GROW_TO_TABLE, slot, 8, 16, site, s.rt[RT_GROW_TO_TABLE], false);
				break;
			default: {
				uint64_t ent = 14ULL << (phase[k] - 3);

				set_map(&s, slot, ent, s.seeds[slot]);
				emit(tr, &s, ts, GM_PROBE_TABLE_GROW, slot, ent, 32ULL << (phase[k] - 3), site,
				     s.rt[RT_TABLE_GROW], false);
				break;
			}
			}
			phase[k] = (phase[k] + 1) % 6;
		}
		handle_wall += now_s(CLOCK_MONOTONIC) - t;
		done += batch;
		sim_s++;
		t = now_s(CLOCK_MONOTONIC);
		tracker__sample(tr, sec_ns);
		sample_wall += now_s(CLOCK_MONOTONIC) - t;
		t = now_s(CLOCK_MONOTONIC);
		tracker__tick(tr, sec_ns);
		tick_wall += now_s(CLOCK_MONOTONIC) - t;
	}
	wall = now_s(CLOCK_MONOTONIC) - w0;
	cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	st = tracker__stats(tr);
	printf("RESULT bench=pipeline events=%llu sim_seconds=%llu wall_s=%.3f cpu_s=%.3f "
	       "events_per_s_wall=%.0f events_per_s_cpu=%.0f handle_s=%.3f sample_s=%.3f tick_s=%.3f "
	       "ns_per_event_handle=%.0f ms_per_sample=%.2f ms_per_tick=%.2f\n",
	       (unsigned long long)done, (unsigned long long)sim_s, wall, cpu, done / wall, done / cpu,
	       handle_wall, sample_wall, tick_wall, handle_wall * 1e9 / done,
	       sample_wall * 1e3 / sim_s, tick_wall * 1e3 / sim_s);
	printf("STATS events=%llu creations=%llu growths=%llu gone=%llu evicted_maps=%llu "
	       "evicted_pending=%llu read_failures=%llu windows=%llu maps_alive=%zu\n",
	       (unsigned long long)st->events, (unsigned long long)st->creations,
	       (unsigned long long)st->growths, (unsigned long long)st->gone_maps,
	       (unsigned long long)st->evicted_maps, (unsigned long long)st->evicted_pending,
	       (unsigned long long)st->read_failures, (unsigned long long)tracker__windows_closed(tr),
	       tracker__alive_maps(tr));
	getrusage(RUSAGE_SELF, &ru);
	printf("MEMORY tracker_heap_mib=%.1f peak_rss_mib=%.1f fake_maps_mib=%.1f\n",
	       (double)(mallinfo2().uordblks - heap0) / (1 << 20), ru.ru_maxrss / 1024.0,
	       (double)(long_lived + churn_slots) * SLOT_BYTES / (1 << 20));
	{
		/* the cost of one symbolization, the tracker's main expense per event */
		struct pcln_frame fr[16];
		uint64_t pcs[3 + MAX_SITES_POOL];
		int npc = 0, k, frames = 0;
		const int rounds = 20000;

		pcs[npc++] = s.rt[RT_TABLE_GROW];
		pcs[npc++] = s.rt[RT_MAPASSIGN] + 1;
		pcs[npc++] = s.rt[RT_MAKEMAP];
		for (k = 0; k < s.pool_cnt; k++)
			pcs[npc++] = s.pool[k].pc + 1;
		t = now_s(CLOCK_MONOTONIC);
		for (i = 0; i < (uint64_t)rounds; i++)
			for (k = 0; k < npc; k++)
				frames += target__symbolize(&tgt, pcs[k], k > 0 && k != 2, fr, 16);
		t = now_s(CLOCK_MONOTONIC) - t;
		printf("SYMBOLIZE ns_per_call=%.0f frames_per_call=%.2f\n", t * 1e9 / ((double)rounds * npc),
		       (double)frames / ((double)rounds * npc));
	}
	{
		struct tmap **maps;
		struct tsite **sites;
		size_t nm = tracker__maps(tr, &maps), ns = tracker__sites(tr, &sites);

		printf("STATE maps=%zu sites=%zu\n", nm, ns);
		free(maps);
		free(sites);
	}
	tracker__free(tr);
	gobin__free(bin);
	free(s.mem);
	free(s.seeds);
	free(phase);
	return 0;
}
