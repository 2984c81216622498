// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "governor.h"
#include "u64map.h"

#define MAX_POINTS_PER_BIN 256

enum bin_state {
	BIN_FULL = 0,	/* every point attached */
	BIN_SHED_OFF,	/* hot points detached until next_ns */
	BIN_SHED_ON,	/* hot points back on, measuring, until next_ns */
};

struct bin_gov {
	enum bin_state state;
	uint64_t next_ns;
	uint64_t cycle_ns;
	int shed[MAX_POINTS_PER_BIN];	/* spec indexes taken off */
	int shed_cnt;
	uint64_t last_hits[MAX_POINTS_PER_BIN];
	uint64_t last_ns;
};

struct proc_gov {
	uint64_t last_hits, last_ns;
	double overhead;
};

struct governor {
	struct governor_opts opts;
	struct attacher *att;
	struct bin_gov bins[GM_MAX_BINARIES];
	struct u64map procs;	/* pid -> struct proc_gov */
};

struct governor *governor__new(const struct governor_opts *opts, struct attacher *att)
{
	struct governor *gov = calloc(1, sizeof(*gov));

	if (!gov)
		return NULL;
	memcpy(&gov->opts, opts, opts->sz < sizeof(gov->opts) ? opts->sz : sizeof(gov->opts));
	if (!gov->opts.on_ns)
		gov->opts.on_ns = 1000000000ULL;	/* one tick: the on-window is measured whole */
	if (!gov->opts.max_cycle_ns)
		gov->opts.max_cycle_ns = 60ULL * 1000000000ULL;
	gov->att = att;
	u64map__init(&gov->procs);
	return gov;
}

void governor__free(struct governor *gov)
{
	size_t it = 0;
	void *v;

	if (!gov)
		return;
	while (u64map__next(&gov->procs, &it, NULL, &v))
		free(v);
	u64map__fini(&gov->procs);
	free(gov);
}

static const double *sort_rates;

static int cmp_hot(const void *a, const void *b)
{
	double x = sort_rates[*(const int *)a], y = sort_rates[*(const int *)b];

	return x > y ? -1 : x < y;
}

int governor__plan(const double *rates, int n, double cost_s, double target, int *order)
{
	double total = 0;
	int i, shed = 0;

	for (i = 0; i < n; i++) {
		order[i] = i;
		total += rates[i];
	}
	sort_rates = rates;
	qsort(order, n, sizeof(*order), cmp_hot);
	sort_rates = NULL;
	while (shed < n && total * cost_s > target && rates[order[shed]] > 0) {
		total -= rates[order[shed]];
		shed++;
	}
	return shed;
}

uint64_t governor__cycle_ns(uint64_t on_ns, double overhead_on, double budget, uint64_t max_ns)
{
	double cycle;

	if (budget <= 0 || overhead_on <= budget)
		return on_ns;
	cycle = (double)on_ns * overhead_on / budget;
	return cycle > (double)max_ns ? max_ns : (uint64_t)cycle;
}

static void set_points(struct governor *gov, struct bin_gov *b, bool on)
{
	struct gm_err err;
	int i;

	for (i = 0; i < b->shed_cnt; i++)
		if (attacher__set_point(gov->att, b->shed[i], on, &err) && gov->opts.verbose)
			fprintf(stderr, "gomaptrace governor: %s\n", err.msg);
}

/* Hit rates of a binary's points since the last look. */
static int point_rates(struct governor *gov, struct bin_gov *b, int slot, uint64_t now,
		       double *rates, int *first)
{
	int cnt, i;
	uint64_t hits;
	double dt;

	if (attacher__points(gov->att, slot, first, &cnt))
		return 0;
	if (cnt > MAX_POINTS_PER_BIN)
		cnt = MAX_POINTS_PER_BIN;
	dt = b->last_ns ? (now - b->last_ns) / 1e9 : 0;
	for (i = 0; i < cnt; i++) {
		hits = attacher__probe_hits(gov->att, *first + i);
		rates[i] = dt > 0 && hits >= b->last_hits[i] ? (hits - b->last_hits[i]) / dt : 0;
		b->last_hits[i] = hits;
	}
	b->last_ns = now;
	return cnt;
}

static void update_proc(struct governor *gov, pid_t pid, uint64_t now)
{
	struct proc_gov *p = u64map__get(&gov->procs, (uint64_t)pid);
	uint64_t hits = attacher__proc_hits(gov->att, pid);
	double dt;

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || u64map__set(&gov->procs, (uint64_t)pid, p)) {
			free(p);
			return;
		}
		p->last_hits = hits;
		p->last_ns = now;
		return;
	}
	dt = (now - p->last_ns) / 1e9;
	if (dt <= 0)
		return;
	p->overhead = hits >= p->last_hits ? (hits - p->last_hits) / dt * gov->opts.cost_s : 0;
	p->last_hits = hits;
	p->last_ns = now;
}

void governor__tick(struct governor *gov, const struct governor_proc *procs, size_t cnt,
		    uint64_t now)
{
	double worst[GM_MAX_BINARIES] = {};
	double rates[MAX_POINTS_PER_BIN];
	int order[MAX_POINTS_PER_BIN];
	bool seen[GM_MAX_BINARIES] = {};
	size_t i;
	int slot, n, first, k;

	for (i = 0; i < cnt; i++) {
		double o;

		if (procs[i].slot < 0 || procs[i].slot >= GM_MAX_BINARIES)
			continue;
		update_proc(gov, procs[i].pid, now);
		o = governor__overhead(gov, procs[i].pid);
		seen[procs[i].slot] = true;
		if (o > worst[procs[i].slot])
			worst[procs[i].slot] = o;
	}
	for (slot = 0; slot < GM_MAX_BINARIES; slot++) {
		struct bin_gov *b = &gov->bins[slot];

		if (!seen[slot])
			continue;
		n = point_rates(gov, b, slot, now, rates, &first);
		switch (b->state) {
		case BIN_FULL:
			if (worst[slot] <= gov->opts.max_overhead || !gov->opts.cost_s)
				break;
			k = governor__plan(rates, n, gov->opts.cost_s, gov->opts.max_overhead / 2, order);
			for (b->shed_cnt = 0; b->shed_cnt < k; b->shed_cnt++)
				b->shed[b->shed_cnt] = first + order[b->shed_cnt];
			set_points(gov, b, false);
			b->cycle_ns = governor__cycle_ns(gov->opts.on_ns, worst[slot],
							 gov->opts.max_overhead, gov->opts.max_cycle_ns);
			b->state = BIN_SHED_OFF;
			b->next_ns = now + b->cycle_ns - gov->opts.on_ns;
			if (gov->opts.verbose)
				fprintf(stderr, "gomaptrace governor: slot %d at %.4f CPU: shed %d points, cycle %.1fs\n",
					slot, worst[slot], k, b->cycle_ns / 1e9);
			break;
		case BIN_SHED_OFF:
			if (now < b->next_ns)
				break;
			set_points(gov, b, true);
			b->state = BIN_SHED_ON;
			b->next_ns = now + gov->opts.on_ns;
			break;
		case BIN_SHED_ON:
			if (now < b->next_ns)
				break;
			/* worst[] covers the on-window: is the process calm now? */
			if (worst[slot] <= gov->opts.max_overhead / 2) {
				b->state = BIN_FULL;
				b->shed_cnt = 0;
				break;
			}
			set_points(gov, b, false);
			b->cycle_ns = governor__cycle_ns(gov->opts.on_ns, worst[slot],
							 gov->opts.max_overhead, gov->opts.max_cycle_ns);
			b->state = BIN_SHED_OFF;
			b->next_ns = now + b->cycle_ns - gov->opts.on_ns;
			break;
		}
	}
}

void governor__forget(struct governor *gov, pid_t pid)
{
	free(u64map__del(&gov->procs, (uint64_t)pid));
	attacher__forget_proc(gov->att, pid);
}

void governor__forget_slot(struct governor *gov, int slot)
{
	if (slot >= 0 && slot < GM_MAX_BINARIES)
		memset(&gov->bins[slot], 0, sizeof(gov->bins[slot]));
}

double governor__overhead(const struct governor *gov, pid_t pid)
{
	const struct proc_gov *p = u64map__get(&gov->procs, (uint64_t)pid);

	return p ? p->overhead : 0;
}

uint64_t governor__shed_points(const struct governor *gov)
{
	uint64_t n = 0;
	int slot;

	for (slot = 0; slot < GM_MAX_BINARIES; slot++)
		if (gov->bins[slot].state == BIN_SHED_OFF)
			n += gov->bins[slot].shed_cnt;
	return n;
}
