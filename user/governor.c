// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "governor.h"
#include "u64map.h"

#define MAX_POINTS_PER_BIN 256
#define NS 1000000000ULL

enum bin_state {
	BIN_FULL = 0,	/* every point attached */
	BIN_SHED_OFF,	/* hot points detached until next_ns */
	BIN_SHED_ON,	/* hot points back on until an alarm, or calm at next_ns */
};

struct bin_gov {
	enum bin_state state;
	uint64_t next_ns;
	uint64_t cycle_ns;
	int shed[MAX_POINTS_PER_BIN];	/* spec indexes taken off */
	int shed_cnt;
	uint64_t on_start_ns, on_start_hits;	/* the current on-window */
	uint64_t last_hits[MAX_POINTS_PER_BIN];	/* per point, at last_ns */
	uint64_t last_ns;
};

struct proc_gov {
	uint64_t last_hits, last_ns;
	uint64_t first_hits, first_ns;	/* at the first look: the start allowance's clock */
	double overhead;
};

struct governor {
	struct governor_opts opts;
	struct attacher *att;
	uint32_t alarm_word;	/* what BPF was given */
	uint64_t alarms;
	struct bin_gov bins[GM_MAX_BINARIES];
	struct u64map procs;	/* pid -> struct proc_gov */
};

uint32_t governor__alarm_hits(double budget, double cost_s)
{
	double n;

	if (budget <= 0 || cost_s <= 0)
		return 0;
	n = budget * (GM_ALARM_WINDOW_NS / 1e9) / cost_s;
	if (n < 1)
		return 1;
	return n > GM_ALARM_HITS_MASK ? GM_ALARM_HITS_MASK : (uint32_t)n;
}

uint32_t governor__alarm_word(double budget, double cost_s, double start_allowance_s)
{
	uint32_t hits = governor__alarm_hits(budget, cost_s);
	double units;

	if (!hits || !(start_allowance_s > 0))
		return hits;
	units = start_allowance_s / (GM_ALARM_WINDOW_NS / 1e9) / GM_ALARM_START_UNIT + 0.5;
	if (units < 1)
		units = 1;
	if (units > 255)
		units = 255;
	return hits | (uint32_t)units << GM_ALARM_START_SHIFT;
}

uint64_t governor__start_hits_left(uint32_t word, uint64_t first_ns, uint64_t hits, uint64_t now)
{
	uint64_t credit = (uint64_t)GM_ALARM_HITS(word) * GM_ALARM_START(word), windows;

	if (!credit || now < first_ns || now - first_ns >= GM_ALARM_START_NS)
		return 0;
	/* what the budget itself pays over that time comes on top of the credit */
	windows = (now - first_ns) / GM_ALARM_WINDOW_NS + 1;
	credit += windows * GM_ALARM_HITS(word);
	return hits < credit ? credit - hits : 0;
}

struct governor *governor__new(const struct governor_opts *opts, struct attacher *att)
{
	struct governor *gov = calloc(1, sizeof(*gov));

	if (!gov)
		return NULL;
	memcpy(&gov->opts, opts, opts->sz < sizeof(gov->opts) ? opts->sz : sizeof(gov->opts));
	if (!gov->opts.on_ns)
		gov->opts.on_ns = NS;
	if (!gov->opts.min_cycle_ns)
		gov->opts.min_cycle_ns = 15 * NS;
	if (!gov->opts.max_cycle_ns)
		gov->opts.max_cycle_ns = 60 * NS;
	if (gov->opts.min_cycle_ns > gov->opts.max_cycle_ns)
		gov->opts.min_cycle_ns = gov->opts.max_cycle_ns;
	gov->att = att;
	u64map__init(&gov->procs);
	gov->alarm_word = governor__alarm_word(gov->opts.max_overhead, gov->opts.cost_s,
					       gov->opts.start_allowance_s);
	attacher__set_alarm(att, gov->alarm_word);
	return gov;
}

void governor__set_cost(struct governor *gov, double cost_s)
{
	uint32_t word;

	if (!gov || !(cost_s > 0) || !gov->opts.cost_s)
		return;
	if (cost_s > gov->opts.cost_s * 0.9 && cost_s < gov->opts.cost_s * 1.1)
		return;
	gov->opts.cost_s = cost_s;
	word = governor__alarm_word(gov->opts.max_overhead, cost_s, gov->opts.start_allowance_s);
	if (word != gov->alarm_word) {
		gov->alarm_word = word;
		attacher__set_alarm(gov->att, word);
	}
}

void governor__free(struct governor *gov)
{
	size_t it = 0;
	void *v;

	if (!gov)
		return;
	attacher__set_alarm(gov->att, 0);
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

uint64_t governor__cycle_ns(double on_cost_s, double budget, uint64_t min_ns, uint64_t max_ns)
{
	double cycle;

	if (budget <= 0 || on_cost_s <= 0)
		return min_ns;
	cycle = on_cost_s / budget * 1e9;
	if (cycle < (double)min_ns)
		return min_ns;
	return cycle > (double)max_ns ? max_ns : (uint64_t)cycle;
}

static void set_points(struct governor *gov, struct bin_gov *b, bool on)
{
	struct gm_err err;

	if (attacher__set_points(gov->att, b->shed, b->shed_cnt, on, &err) && gov->opts.verbose)
		gm_err_print("governor", &err);
}

static uint64_t shed_hits(struct governor *gov, struct bin_gov *b)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < b->shed_cnt; i++)
		n += attacher__probe_hits(gov->att, b->shed[i]);
	return n;
}

/*
 * Hit rates of a binary's points since the last look (governor__add_slot()
 * takes the first one at attach).  Without one, at an alarm, the hits are
 * spread over the time the alarm window took to fill (first_dt_ns, at
 * least 1 ms), which overstates points that were hit steadily since attach
 * (a leak's table splits, beside a churn that fills the window in
 * milliseconds), so the commands call add_slot; a tick without a look just
 * takes the snapshot.
 */
static int point_rates(struct governor *gov, struct bin_gov *b, int slot, uint64_t now,
		       uint64_t first_dt_ns, double *rates, int *first)
{
	int cnt, i;
	uint64_t hits;
	double dt;

	if (attacher__points(gov->att, slot, first, &cnt))
		return 0;
	if (cnt > MAX_POINTS_PER_BIN)
		cnt = MAX_POINTS_PER_BIN;
	if (b->last_ns)
		dt = (now - b->last_ns) / 1e9;
	else
		dt = first_dt_ns ? (first_dt_ns < 1000000 ? 1e-3 : first_dt_ns / 1e9) : 0;
	for (i = 0; i < cnt; i++) {
		hits = attacher__probe_hits(gov->att, *first + i);
		rates[i] = dt > 0 && hits >= b->last_hits[i] ? (hits - b->last_hits[i]) / dt : 0;
		b->last_hits[i] = hits;
	}
	b->last_ns = now;
	return cnt;
}

/* Takes off the hottest attached points until the rest fit in half the budget. */
static void shed(struct governor *gov, struct bin_gov *b, int slot, uint64_t now,
		 bool alarm, uint64_t window_ns)
{
	double rates[MAX_POINTS_PER_BIN];
	int order[MAX_POINTS_PER_BIN];
	int n, first = 0, k, i, j;	/* first: unset when point_rates finds none */
	bool dup;

	n = point_rates(gov, b, slot, now, alarm ? (window_ns ? window_ns : GM_ALARM_WINDOW_NS) : 0,
			rates, &first);
	for (i = 0; i < b->shed_cnt; i++)	/* already off: silent, not a candidate */
		if (b->shed[i] - first >= 0 && b->shed[i] - first < n)
			rates[b->shed[i] - first] = 0;
	k = governor__plan(rates, n, gov->opts.cost_s, gov->opts.max_overhead / 2, order);
	if (!k)
		return;
	for (i = 0; i < k && b->shed_cnt < MAX_POINTS_PER_BIN; i++) {
		for (dup = false, j = 0; j < b->shed_cnt; j++)
			dup |= b->shed[j] == first + order[i];
		if (!dup)
			b->shed[b->shed_cnt++] = first + order[i];
	}
	set_points(gov, b, false);
	if (b->state == BIN_FULL)
		b->cycle_ns = gov->opts.min_cycle_ns;
	b->state = BIN_SHED_OFF;
	b->next_ns = now + b->cycle_ns;
	if (gov->opts.verbose)
		fprintf(stderr, "gomaptrace governor: slot %d over budget (%s): %d points off, next on-window in %.1fs\n",
			slot, alarm ? "alarm" : "tick", b->shed_cnt, b->cycle_ns / 1e9);
}

void governor__alarm(struct governor *gov, int slot, uint64_t window_ns, uint64_t now)
{
	struct bin_gov *b;

	if (slot < 0 || slot >= GM_MAX_BINARIES || !gov->opts.cost_s)
		return;
	b = &gov->bins[slot];
	gov->alarms++;
	switch (b->state) {
	case BIN_FULL:
	case BIN_SHED_OFF:	/* the points left on went hot too */
		shed(gov, b, slot, now, true, window_ns);
		break;
	case BIN_SHED_ON: {
		/* still hot: off again, and space the windows by what this one cost */
		double on_cost;

		set_points(gov, b, false);
		on_cost = (double)(shed_hits(gov, b) - b->on_start_hits) * gov->opts.cost_s;
		b->cycle_ns = governor__cycle_ns(on_cost, gov->opts.max_overhead / 2,
						 gov->opts.min_cycle_ns, gov->opts.max_cycle_ns);
		b->state = BIN_SHED_OFF;
		b->next_ns = now + b->cycle_ns;
		if (gov->opts.verbose)
			fprintf(stderr, "gomaptrace governor: slot %d still hot after %.1f ms on (%.2f ms CPU): next on-window in %.1fs\n",
				slot, (now - b->on_start_ns) / 1e6, on_cost * 1e3, b->cycle_ns / 1e9);
		break;
	}
	}
}

void governor__timers(struct governor *gov, uint64_t now)
{
	int slot;

	for (slot = 0; slot < GM_MAX_BINARIES; slot++) {
		struct bin_gov *b = &gov->bins[slot];

		if (b->state == BIN_FULL || now < b->next_ns)
			continue;
		if (b->state == BIN_SHED_OFF) {
			b->on_start_hits = shed_hits(gov, b);
			b->on_start_ns = now;
			set_points(gov, b, true);
			b->state = BIN_SHED_ON;
			b->next_ns = now + gov->opts.on_ns;
		} else {
			/* a whole on-window without an alarm: calm */
			b->state = BIN_FULL;
			b->shed_cnt = 0;
			if (gov->opts.verbose)
				fprintf(stderr, "gomaptrace governor: slot %d calm: every point on\n", slot);
		}
	}
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
		p->last_hits = p->first_hits = hits;
		p->last_ns = p->first_ns = now;
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
	bool seen[GM_MAX_BINARIES] = {}, starting[GM_MAX_BINARIES] = {};
	size_t i;
	int slot, first;

	for (i = 0; i < cnt; i++) {
		double o;

		if (procs[i].slot < 0 || procs[i].slot >= GM_MAX_BINARIES)
			continue;
		update_proc(gov, procs[i].pid, now);
		o = governor__overhead(gov, procs[i].pid);
		{
			const struct proc_gov *p = u64map__get(&gov->procs, (uint64_t)procs[i].pid);

			/* inside its start allowance, BPF does not alarm: neither does the tick */
			if (p && governor__start_hits_left(gov->alarm_word, p->first_ns,
							   p->last_hits - p->first_hits, now))
				starting[procs[i].slot] = true;
		}
		seen[procs[i].slot] = true;
		if (o > worst[procs[i].slot])
			worst[procs[i].slot] = o;
	}
	for (slot = 0; slot < GM_MAX_BINARIES; slot++) {
		struct bin_gov *b = &gov->bins[slot];

		if (!seen[slot])
			continue;
		/* an alarm lost to a full ring buffer: the tick still sees it */
		if (b->state == BIN_FULL && gov->opts.cost_s && worst[slot] > gov->opts.max_overhead &&
		    !starting[slot])
			shed(gov, b, slot, now, false, 0);
		else
			point_rates(gov, b, slot, now, 0, rates, &first);
	}
}

void governor__forget(struct governor *gov, pid_t pid)
{
	free(u64map__del(&gov->procs, (uint64_t)pid));
	attacher__forget_proc(gov->att, pid);
}

void governor__add_slot(struct governor *gov, int slot, uint64_t now_ns)
{
	double rates[MAX_POINTS_PER_BIN];
	int first;

	if (slot < 0 || slot >= GM_MAX_BINARIES)
		return;
	memset(&gov->bins[slot], 0, sizeof(gov->bins[slot]));
	/* the baseline: rates at the first alarm are those since attach */
	point_rates(gov, &gov->bins[slot], slot, now_ns, 0, rates, &first);
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

bool governor__slot_shed(const struct governor *gov, int slot)
{
	return slot >= 0 && slot < GM_MAX_BINARIES && gov->bins[slot].state != BIN_FULL;
}

uint64_t governor__alarms(const struct governor *gov)
{
	return gov->alarms;
}
