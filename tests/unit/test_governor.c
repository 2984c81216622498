// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The governor (user/governor.c): its pure decisions (which points to
 * shed, how long a duty cycle, the BPF alarm word and the start
 * allowance), and its state machine fed synthetic inputs, without BPF.
 *
 * governor.c is compiled into this test with the six attacher functions
 * it calls renamed to a fake attacher below (per-point hit counters,
 * points on or off, per-process hits, the alarm word BPF would have), and
 * its own public functions renamed so they do not clash with governor.o
 * (the sanitizer build links every object); the test reads its per-binary
 * state (enum bin_state, struct bin_gov) directly.  A new public function
 * in governor.c needs its line in the list below.
 *
 * The state machine, per binary slot (governor.c):
 *   FULL     --alarm, hot points over half the budget-->   SHED_OFF (cycle = min)
 *   FULL     --alarm, nothing to shed-->                   FULL
 *   FULL     --tick, a process over budget and past its
 *              start allowance (an alarm lost)-->          SHED_OFF
 *   SHED_OFF --alarm, other points went hot-->             SHED_OFF (more points off)
 *   SHED_OFF --timers, cycle over-->                       SHED_ON (points back on)
 *   SHED_ON  --alarm-->                                    SHED_OFF (cycle from the on-window's cost)
 *   SHED_ON  --timers, a whole on-window without alarm-->  FULL (restored)
 *   any      --forget_slot / add_slot-->                   FULL
 * Every transition has a scenario in gov_cases[].
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#define attacher__points fake_attacher__points
#define attacher__probe_hits fake_attacher__probe_hits
#define attacher__set_points fake_attacher__set_points
#define attacher__set_alarm fake_attacher__set_alarm
#define attacher__proc_hits fake_attacher__proc_hits
#define attacher__forget_proc fake_attacher__forget_proc
#define governor__add_slot tgov__add_slot
#define governor__new tgov__new
#define governor__free tgov__free
#define governor__set_cost tgov__set_cost
#define governor__tick tgov__tick
#define governor__alarm tgov__alarm
#define governor__timers tgov__timers
#define governor__forget tgov__forget
#define governor__forget_slot tgov__forget_slot
#define governor__overhead tgov__overhead
#define governor__shed_points tgov__shed_points
#define governor__slot_shed tgov__slot_shed
#define governor__alarms tgov__alarms
#define governor__plan tgov__plan
#define governor__cycle_ns tgov__cycle_ns
#define governor__alarm_hits tgov__alarm_hits
#define governor__alarm_word tgov__alarm_word
#define governor__start_hits_left tgov__start_hits_left
#include "../../user/governor.c"
#include "cases.h"

#define US 1e-6
#define S 1000000000ULL
#define MS 1000000ULL

/* ------------------------------------------------------------ pure decisions */

struct plan_case {
	const char *name;
	double rates[4];
	int n;
	double cost_s, target;
	int shed;		/* points to shed */
	int order[4];		/* the first `shed` of order[], hottest first */
};

static const struct plan_case plan_cases[] = {
	/* 160 hits/s x 16 us = 0.26% */
	{ "plan: nothing to shed under budget", { 100, 50, 10 }, 3, 16 * US, 0.005, 0, {} },
	/* 60k + 1k + 10 hits/s at 16 us: 0.98 CPU; target 0.005 -> shed 60k and 1k;
	 * what is left: 10 hits/s = 0.016% */
	{ "plan: hottest first", { 1000, 10, 60000, 0 }, 4, 16 * US, 0.005, 2, { 2, 0 } },
	{ "plan: never sheds silent points", { 0, 0, 0 }, 3, 16 * US, 0, 0, {} },
	/* 625 hits/s x 16 us = exactly 0.01: not above the target, keep it */
	{ "plan: exactly the target is kept", { 625 }, 1, 16 * US, 0.01, 0, {} },
	{ "plan: just above the target is shed", { 625 }, 1, 16 * US, 0.0099, 1, { 0 } },
};

static void test_plan(void **state)
{
	const struct plan_case *c = CASE(struct plan_case, state);
	int order[4], i;

	assert_int_equal(governor__plan(c->rates, c->n, c->cost_s, c->target, order), c->shed);
	for (i = 0; i < c->shed; i++)
		assert_int_equal(order[i], c->order[i]);
}

struct cycle_case {
	const char *name;
	double on_cost_s, budget;
	uint64_t want;
};

static const struct cycle_case cycle_cases[] = {
	/* an on-window that cost 50 ms of CPU, budget 0.005: one every 10 s */
	{ "cycle: spaced by the on-window's cost", 0.05, 0.005, 10 * S },
	{ "cycle: cheap windows never more often than the minimum", 0.001, 0.005, 5 * S },
	{ "cycle: costly windows capped", 2.0, 0.005, 60 * S },
	/* no budget or no cost measured: never divide by zero */
	{ "cycle: no budget", 0.05, 0, 5 * S },
	{ "cycle: no cost", 0, 0.005, 5 * S },
};

static void test_cycle(void **state)
{
	const struct cycle_case *c = CASE(struct cycle_case, state);

	assert_int_equal(governor__cycle_ns(c->on_cost_s, c->budget, 5 * S, 60 * S), c->want);
}

struct alarm_case {
	const char *name;
	double budget, cost_s, allowance_s;
	uint32_t hits;		/* GM_ALARM_HITS of the word */
	uint32_t start;		/* GM_ALARM_START of the word; with hits, the whole word */
	bool hits_only;		/* also governor__alarm_hits() (no allowance) */
};

static const struct alarm_case alarm_cases[] = {
	/* 1% of a CPU over 100 ms is 1 ms: 62 hits of 16 us */
	{ "alarm: the budget per window", 0.01, 16 * US, 0, 62, 0, true },
	{ "alarm: a tenth of a CPU", 0.1, 16 * US, 0, 625, 0, true },
	/* tiny budgets still need one hit; no cost or no budget: no alarm */
	{ "alarm: a tiny budget is one hit", 1e-9, 16 * US, 0, 1, 0, true },
	{ "alarm: no cost, no alarm", 0.01, 0, 0, 0, 0, true },
	{ "alarm: no budget, no alarm", 0, 16 * US, 0, 0, 0, true },
	/* 50 s of budget = 500 windows = 62.5 units of 8, rounded to 63 */
	{ "alarm word: the start allowance", 0.01, 16 * US, 50, 62, 63 * GM_ALARM_START_UNIT },
	/* capped at 255 units; a tiny allowance is still one unit */
	{ "alarm word: allowance capped", 0.01, 16 * US, 1e6, 62, 255 * GM_ALARM_START_UNIT },
	{ "alarm word: a tiny allowance is one unit", 0.01, 16 * US, 1e-3, 62, GM_ALARM_START_UNIT },
	/* no cost: no alarm, no allowance */
	{ "alarm word: no cost, no allowance", 0.01, 0, 50, 0, 0 },
	/* the hits never spill into the allowance's bits */
	{ "alarm word: hits capped below the allowance", 1, 1e-12, 50, GM_ALARM_HITS_MASK,
	  63 * GM_ALARM_START_UNIT },
};

static void test_alarm_word(void **state)
{
	const struct alarm_case *c = CASE(struct alarm_case, state);
	uint32_t w = governor__alarm_word(c->budget, c->cost_s, c->allowance_s);

	assert_int_equal(GM_ALARM_HITS(w), c->hits);
	assert_int_equal(GM_ALARM_START(w), c->start);
	if (c->hits_only)
		assert_int_equal(governor__alarm_hits(c->budget, c->cost_s), c->hits);
}

struct start_case {
	const char *name;
	double allowance_s;	/* of the word: budget 0.01, 16 us a hit (62 hits a window) */
	uint64_t hits, now_ns;	/* the process first hit at 100 s */
	uint64_t want;
};

/* 50 s of budget: 62 hits a window, 504 windows of credit */
#define CREDIT (62ULL * 504)

static const struct start_case start_cases[] = {
	/* at the start: the credit plus this window's budget */
	{ "start: the credit and this window's budget", 50, 0, 100 * S, CREDIT + 62 },
	{ "start: the credit spent, this window left", 50, CREDIT, 100 * S, 62 },
	{ "start: all spent", 50, CREDIT + 62, 100 * S, 0 },
	/* the budget itself pays for what comes later */
	{ "start: the budget pays for later windows", 50, CREDIT + 62, 101 * S, 620 },
	/* over after GM_ALARM_START_NS, spent or not */
	{ "start: over after its lifetime", 50, 0, 100 * S + GM_ALARM_START_NS, 0 },
	/* no allowance: never */
	{ "start: no allowance", 0, 0, 100 * S, 0 },
	/* a clock before the first hit (another process's tick) gives nothing */
	{ "start: a time before the first hit", 50, 0, 99 * S, 0 },
};

static void test_start_hits_left(void **state)
{
	const struct start_case *c = CASE(struct start_case, state);
	uint32_t w = governor__alarm_word(0.01, 16 * US, c->allowance_s);

	assert_int_equal(governor__start_hits_left(w, 100 * S, c->hits, c->now_ns), c->want);
}

/* ------------------------------------------------------------ a fake attacher */

#define NPROCS 4

/* Slot 0 has points (specs) 0-3, slot 1 points 4-5. */
static const int slot_first[2] = { 0, 4 }, slot_cnt[2] = { 4, 2 };

struct attacher {
	uint64_t hits[8];		/* per spec */
	bool off[8];			/* taken off by the governor */
	uint32_t alarm;			/* the word BPF has */
	int alarm_sets;
	struct {
		pid_t pid;
		uint64_t hits;
	} procs[NPROCS];
	pid_t forgotten;
};

int fake_attacher__points(const struct attacher *att, int slot, int *first_spec, int *cnt)
{
	if (slot < 0 || slot > 1)
		return -ENOENT;
	*first_spec = slot_first[slot];
	*cnt = slot_cnt[slot];
	return 0;
}

uint64_t fake_attacher__probe_hits(const struct attacher *att, int spec_idx)
{
	return spec_idx >= 0 && spec_idx < 8 ? att->hits[spec_idx] : 0;
}

int fake_attacher__set_points(struct attacher *att, const int *spec_idx, int cnt, bool on,
			      struct gm_err *err)
{
	for (int i = 0; i < cnt; i++) {
		if (spec_idx[i] < 0 || spec_idx[i] >= 8)
			return gm_err_set(err, EINVAL, "no attachment %d", spec_idx[i]);
		att->off[spec_idx[i]] = !on;
	}
	return 0;
}

void fake_attacher__set_alarm(struct attacher *att, uint32_t hits_per_window)
{
	att->alarm = hits_per_window;
	att->alarm_sets++;
}

uint64_t fake_attacher__proc_hits(const struct attacher *att, pid_t pid)
{
	for (int i = 0; i < NPROCS; i++)
		if (att->procs[i].pid == pid)
			return att->procs[i].hits;
	return 0;
}

void fake_attacher__forget_proc(struct attacher *att, pid_t pid)
{
	att->forgotten = pid;
	for (int i = 0; i < NPROCS; i++)
		if (att->procs[i].pid == pid)
			att->procs[i].pid = 0;
}

static void add_proc_hits(struct attacher *att, pid_t pid, uint64_t n)
{
	int i, free_slot = -1;

	for (i = 0; i < NPROCS; i++) {
		if (att->procs[i].pid == pid) {
			att->procs[i].hits += n;
			return;
		}
		if (!att->procs[i].pid && free_slot < 0)
			free_slot = i;
	}
	assert_true(free_slot >= 0);
	att->procs[free_slot].pid = pid;
	att->procs[free_slot].hits = n;
}

/* ------------------------------------------------------------ the state machine */

enum gop {
	G_END = 0,
	G_ADD_SLOT,	/* governor__add_slot(slot, ms) */
	G_HITS,		/* point `point` of `slot` is hit n more times */
	G_PROC_HITS,	/* process pid hits n more times */
	G_ALARM,	/* governor__alarm(slot, window_ns = n, ms) */
	G_TIMERS,	/* governor__timers(ms) */
	G_TICK,		/* governor__tick(ms) over pid (in slot) and pid2 (in slot2) */
	G_FORGET,	/* governor__forget(pid) */
	G_FORGET_SLOT,	/* governor__forget_slot(slot): the binary was detached */
	G_SET_COST,	/* governor__set_cost(cost) */
};

static const char *const gop_names[] = {
	"end", "add_slot", "hits", "proc_hits", "alarm", "timers", "tick", "forget",
	"forget_slot", "set_cost",
};

/*
 * A binary slot after a step (G_HITS and G_PROC_HITS only feed the fake
 * attacher: nothing is checked after them).  All zero: every point on, nothing listed.
 * shed: 'x' for each point in the governor's shed list; those are off in
 * the attacher in SHED_OFF and back on in SHED_ON.  next_ms and cycle_ms
 * are checked while the slot is not FULL.
 */
struct gslot {
	enum bin_state st;
	const char *shed;
	uint64_t next_ms, cycle_ms;
};

struct gstep {
	enum gop op;
	uint64_t ms;		/* now, ms after the scenario's start */
	int slot, point;
	uint64_t n;
	pid_t pid, pid2;	/* G_TICK, G_PROC_HITS, G_FORGET */
	int slot2;		/* G_TICK: pid2's slot */
	double cost;		/* G_SET_COST */
	/* after the step */
	struct gslot s0, s1;
	uint64_t alarms;	/* governor__alarms() */
	double overhead;	/* G_TICK and G_FORGET: governor__overhead(pid) */
	uint32_t word;		/* G_SET_COST: the alarm word BPF has */
};

struct gov_case {
	const char *name;
	double max_overhead, cost_s, start_allowance_s;
	uint32_t word;		/* the alarm word armed by governor__new() */
	struct gstep steps[24];
};

#define FULL BIN_FULL
#define OFF BIN_SHED_OFF
#define ON BIN_SHED_ON
#define W100 (100 * MS)		/* an alarm window filled in 100 ms */
/* 50 s of start allowance at 0.01 of a CPU: 63 units of 8 windows */
#define ALLOW_BITS (63u << GM_ALARM_START_SHIFT)

static const struct gov_case gov_cases[] = {
	{
		"alarm sheds the hottest points, a calm on-window restores them",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_HITS, .slot = 0, .point = 0, .n = 10 },
			{ G_HITS, .point = 1, .n = 100 },
			{ G_HITS, .point = 2, .n = 6000 },
			/* 100, 1,000 and 60,000 hits/s: 0.98 CPU; the two hottest leave 0.16% */
			{ G_ALARM, 100, 0, .n = W100, .s0 = { OFF, ".xx.", 15100, 15000 }, .alarms = 1 },
			{ G_TIMERS, 15099, .s0 = { OFF, ".xx.", 15100, 15000 }, .alarms = 1 },
			{ G_TIMERS, 15100, .s0 = { ON, ".xx.", 16100, 15000 }, .alarms = 1 },
			{ G_TIMERS, 16099, .s0 = { ON, ".xx.", 16100, 15000 }, .alarms = 1 },
			{ G_TIMERS, 16100, .s0 = { FULL, "...." }, .alarms = 1 },
		},
	},
	{
		"still hot in the on-window: off again, spaced by what the window cost",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_HITS, .point = 2, .n = 6000 },
			{ G_ALARM, 100, 0, .n = W100, .s0 = { OFF, "..x.", 15100, 15000 }, .alarms = 1 },
			{ G_TIMERS, 15100, .s0 = { ON, "..x.", 16100, 15000 }, .alarms = 1 },
			/* 5,000 hits on: 80 ms of CPU, at half the budget one window every 16 s */
			{ G_HITS, .point = 2, .n = 5000 },
			{ G_ALARM, 15300, 0, .n = W100, .s0 = { OFF, "..x.", 31300, 16000 }, .alarms = 2 },
			{ G_TIMERS, 31300, .s0 = { ON, "..x.", 32300, 16000 }, .alarms = 2 },
			/* 100 hits: 1.6 ms, never more often than the 15 s minimum */
			{ G_HITS, .point = 2, .n = 100 },
			{ G_ALARM, 31400, 0, .n = W100, .s0 = { OFF, "..x.", 46400, 15000 }, .alarms = 3 },
			{ G_TIMERS, 46400, .s0 = { ON, "..x.", 47400, 15000 }, .alarms = 3 },
			/* 40,000 hits: 640 ms, capped at the 60 s maximum */
			{ G_HITS, .point = 2, .n = 40000 },
			{ G_ALARM, 46500, 0, .n = W100, .s0 = { OFF, "..x.", 106500, 60000 }, .alarms = 4 },
			{ G_TIMERS, 106500, .s0 = { ON, "..x.", 107500, 60000 }, .alarms = 4 },
			{ G_TIMERS, 107500, .s0 = { FULL, "...." }, .alarms = 4 },
		},
	},
	{
		"an alarm while shed takes off the points that went hot since, once each",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_HITS, .point = 2, .n = 6000 },
			{ G_ALARM, 100, 0, .n = W100, .s0 = { OFF, "..x.", 15100, 15000 }, .alarms = 1 },
			{ G_HITS, .point = 0, .n = 3000 },
			{ G_HITS, .point = 2, .n = 500 },
			/* point 0 at 3,000 hits/s joins; the cycle keeps its length */
			{ G_ALARM, 1100, 0, .n = W100, .s0 = { OFF, "x.x.", 16100, 15000 }, .alarms = 2 },
			/* nothing new: counted, nothing changes */
			{ G_ALARM, 2100, 0, .n = W100, .s0 = { OFF, "x.x.", 16100, 15000 }, .alarms = 3 },
			/*
			 * a point already off is no candidate: point 2 (5,000 hits/s)
			 * is left out, point 1 alone (300 hits/s, 0.48%) fits in half
			 * the budget, so the cycle is not restarted
			 */
			{ G_HITS, .point = 2, .n = 5000 },
			{ G_HITS, .point = 1, .n = 300 },
			{ G_ALARM, 3100, 0, .n = W100, .s0 = { OFF, "x.x.", 16100, 15000 }, .alarms = 4 },
			{ G_TIMERS, 16100, .s0 = { ON, "x.x.", 17100, 15000 }, .alarms = 4 },
			{ G_TIMERS, 17100, .s0 = { FULL, "...." }, .alarms = 4 },
		},
	},
	{
		"an alarm under half the budget sheds nothing",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			/* 300 hits/s x 16 us = 0.48% */
			{ G_HITS, .point = 0, .n = 30 },
			{ G_ALARM, 100, 0, .n = W100, .s0 = { FULL, "...." }, .alarms = 1 },
			{ G_TIMERS, 100000, .s0 = { FULL, "...." }, .alarms = 1 },
		},
	},
	{
		"without a calibrated cost: no alarm word, alarms and ticks do nothing, a later cost is not taken",
		0.01, 0, 50, 0,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_TICK, 0, 0, .pid = 100 },
			{ G_HITS, .point = 0, .n = 100000 },
			{ G_PROC_HITS, .pid = 100, .n = 100000 },
			{ G_ALARM, 100, 0, .n = W100 },
			{ G_TICK, 1000, 0, .pid = 100, .overhead = 0 },
			{ G_SET_COST, .cost = 16 * US, .word = 0 },
			{ G_ALARM, 1100, 0, .n = W100 },
		},
	},
	{
		"an alarm lost: the tick sheds a process over budget",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_TICK, 0, 0, .pid = 100 },
			/* 2,000 hits in a second: 3.2% of a CPU */
			{ G_HITS, .point = 3, .n = 2000 },
			{ G_PROC_HITS, .pid = 100, .n = 2000 },
			{ G_TICK, 1000, 0, .pid = 100, .s0 = { OFF, "...x", 16000, 15000 }, .overhead = 0.032 },
			/* shed: later ticks measure, the timers decide */
			{ G_HITS, .point = 0, .n = 2000 },
			{ G_PROC_HITS, .pid = 100, .n = 2000 },
			{ G_TICK, 2000, 0, .pid = 100, .s0 = { OFF, "...x", 16000, 15000 }, .overhead = 0.032 },
			{ G_TIMERS, 16000, .s0 = { ON, "...x", 17000, 15000 } },
			{ G_TIMERS, 17000, .s0 = { FULL, "...." } },
		},
	},
	{
		"the tick judges a binary by its worst process",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_TICK, 0, 0, .pid = 100, .pid2 = 101, .slot2 = 0 },
			/* 600 hits/s: 0.96%, under budget */
			{ G_PROC_HITS, .pid = 100, .n = 600 },
			{ G_HITS, .point = 1, .n = 600 },
			{ G_TICK, 1000, 0, .pid = 100, .pid2 = 101, .slot2 = 0, .overhead = 0.0096 },
			/* the other process at 700 hits/s: 1.12% */
			{ G_PROC_HITS, .pid = 101, .n = 700 },
			{ G_HITS, .point = 1, .n = 700 },
			{ G_TICK, 2000, 0, .pid = 100, .pid2 = 101, .slot2 = 0,
			  .s0 = { OFF, ".x..", 17000, 15000 }, .overhead = 0 },
		},
	},
	{
		"start allowance: the tick leaves a starting process alone until its allowance is over",
		0.01, 16 * US, 50, 62 | ALLOW_BITS,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_TICK, 0, 0, .pid = 100 },
			{ G_HITS, .point = 3, .n = 2000 },
			{ G_PROC_HITS, .pid = 100, .n = 2000 },
			/* 3.2% of a CPU, within the allowance: not shed */
			{ G_TICK, 1000, 0, .pid = 100, .overhead = 0.032 },
			{ G_TIMERS, 5000 },
			/* 10 s after the first look the allowance is over: 3.6% is shed */
			{ G_HITS, .point = 3, .n = 20000 },
			{ G_PROC_HITS, .pid = 100, .n = 20000 },
			{ G_TICK, 10000, 0, .pid = 100, .s0 = { OFF, "...x", 25000, 15000 },
			  .overhead = 20000 * 16 * US / 9 },
		},
	},
	{
		"start allowance spent early: the tick sheds at once",
		0.01, 16 * US, 50, 62 | ALLOW_BITS,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_TICK, 0, 0, .pid = 100 },
			/* 40,000 hits: more than 504 windows' credit and 11 windows' budget */
			{ G_HITS, .point = 3, .n = 40000 },
			{ G_PROC_HITS, .pid = 100, .n = 40000 },
			{ G_TICK, 1000, 0, .pid = 100, .s0 = { OFF, "...x", 16000, 15000 }, .overhead = 0.64 },
		},
	},
	{
		"the alarm word follows a measured cost that moved by more than 10%",
		0.01, 16 * US, 50, 62 | ALLOW_BITS,
		{
			{ G_SET_COST, .cost = 17 * US, .word = 62 | ALLOW_BITS },
			{ G_SET_COST, .cost = 20 * US, .word = 50 | ALLOW_BITS },
			/* now within 10% of 20 us */
			{ G_SET_COST, .cost = 21 * US, .word = 50 | ALLOW_BITS },
			{ G_SET_COST, .cost = 0, .word = 50 | ALLOW_BITS },
			{ G_SET_COST, .cost = -1, .word = 50 | ALLOW_BITS },
			{ G_SET_COST, .cost = NAN, .word = 50 | ALLOW_BITS },
			{ G_SET_COST, .cost = 10 * US, .word = 100 | ALLOW_BITS },
			/* the plans use it too: 400 hits/s is 0.4% at 10 us, under half the budget (0.64% at 16 us) */
			{ G_ADD_SLOT, 0, 0 },
			{ G_HITS, .point = 0, .n = 400 },
			{ G_ALARM, 1000, 0, .n = W100, .alarms = 1 },
		},
	},
	{
		"a detached binary is forgotten; attached again, its baseline is the attach",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_HITS, .point = 2, .n = 6000 },
			{ G_ALARM, 100, 0, .n = W100, .s0 = { OFF, "..x.", 15100, 15000 }, .alarms = 1 },
			{ G_FORGET_SLOT, .slot = 0, .alarms = 1 },
			{ G_TIMERS, 15100, .alarms = 1 },
			/* hits before the new attach are not the new binary's rate */
			{ G_HITS, .point = 2, .n = 100000 },
			{ G_ADD_SLOT, 20000, 0, .alarms = 1 },
			{ G_HITS, .point = 2, .n = 10 },
			{ G_ALARM, 20100, 0, .n = W100, .alarms = 2 },
		},
	},
	{
		"a process that exited is forgotten",
		0.01, 16 * US, 0, 62,
		{
			{ G_TICK, 0, 0, .pid = 100 },
			{ G_PROC_HITS, .pid = 100, .n = 100 },
			{ G_TICK, 1000, 0, .pid = 100, .overhead = 0.0016 },
			{ G_FORGET, .pid = 100, .overhead = 0 },
			/* seen again: a first look, no estimate yet */
			{ G_PROC_HITS, .pid = 100, .n = 100 },
			{ G_TICK, 2000, 0, .pid = 100, .overhead = 0 },
		},
	},
	{
		"two binaries are governed apart",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_ADD_SLOT, 0, 1 },
			{ G_HITS, .slot = 1, .point = 1, .n = 6000 },
			{ G_ALARM, 100, 1, .n = W100, .s1 = { OFF, ".x", 15100, 15000 }, .alarms = 1 },
			/* 6,000 hits over 5.1 s: 1.9% */
			{ G_HITS, .slot = 0, .point = 0, .n = 6000 },
			{ G_ALARM, 5100, 0, .n = W100, .s0 = { OFF, "x...", 20100, 15000 },
			  .s1 = { OFF, ".x", 15100, 15000 }, .alarms = 2 },
			{ G_TIMERS, 15100, .s0 = { OFF, "x...", 20100, 15000 },
			  .s1 = { ON, ".x", 16100, 15000 }, .alarms = 2 },
			{ G_TIMERS, 16100, .s0 = { OFF, "x...", 20100, 15000 }, .alarms = 2 },
			{ G_TIMERS, 20100, .s0 = { ON, "x...", 21100, 15000 }, .alarms = 2 },
		},
	},
	{
		"alarms and processes of slots out of range are ignored",
		0.01, 16 * US, 0, 62,
		{
			{ G_HITS, .point = 0, .n = 100000 },
			{ G_ALARM, 100, -1, .n = W100 },
			{ G_ALARM, 100, GM_MAX_BINARIES, .n = W100 },
			{ G_PROC_HITS, .pid = 100, .n = 100000 },
			{ G_TICK, 1000, GM_MAX_BINARIES, .pid = 100 },
			{ G_TICK, 2000, -1, .pid = 100 },
		},
	},
	{
		"no attach baseline: an alarm spreads the hits over its window (a short one counts as 1 ms)",
		0.01, 16 * US, 0, 62,
		{
			/* 4 hits in a 0.5 ms window: 4,000 hits/s */
			{ G_HITS, .point = 0, .n = 4 },
			{ G_ALARM, 0, 0, .n = 500000, .s0 = { OFF, "x...", 15000, 15000 }, .alarms = 1 },
		},
	},
	{
		"no attach baseline: an alarm without its window's length takes 100 ms",
		0.01, 16 * US, 0, 62,
		{
			/* 4 hits over 100 ms: 40 hits/s, nothing to shed */
			{ G_HITS, .point = 0, .n = 4 },
			{ G_ALARM, 0, 0, .n = 0, .alarms = 1 },
		},
	},
	{
		"no attach baseline: a tick over budget takes the snapshot, the next one sheds",
		0.01, 16 * US, 0, 62,
		{
			{ G_ADD_SLOT, 0, 0 },
			{ G_TICK, 0, 0, .pid = 100 },
			/* detached and attached again without add_slot: no baseline */
			{ G_FORGET_SLOT, .slot = 0 },
			{ G_HITS, .point = 3, .n = 2000 },
			{ G_PROC_HITS, .pid = 100, .n = 2000 },
			{ G_TICK, 1000, 0, .pid = 100, .overhead = 0.032 },
			{ G_HITS, .point = 3, .n = 2000 },
			{ G_PROC_HITS, .pid = 100, .n = 2000 },
			{ G_TICK, 2000, 0, .pid = 100, .s0 = { OFF, "...x", 17000, 15000 }, .overhead = 0.032 },
		},
	},
};

#define BASE_NS (1000 * S)	/* the scenarios' clock starts here */

static uint64_t at(uint64_t ms)
{
	return BASE_NS + ms * MS;
}

/* The shed list of a slot as 'x's; also checks it lists no point twice. */
static void shed_string(const struct bin_gov *b, int slot, char *out)
{
	int k, n = 0;

	memset(out, '.', slot_cnt[slot]);
	out[slot_cnt[slot]] = '\0';
	for (k = 0; k < b->shed_cnt; k++) {
		int p = b->shed[k] - slot_first[slot];

		check_true(p >= 0 && p < slot_cnt[slot]);
		if (out[p] == '.')
			n++;
		out[p] = 'x';
	}
	check_int(n, b->shed_cnt);
}

static uint64_t check_slot(const struct governor *gov, const struct attacher *att, int slot,
			   const struct gslot *x)
{
	const struct bin_gov *b = &gov->bins[slot];
	const char *want = x->shed ? x->shed : slot == 0 ? "...." : "..";
	char got[8], off[8];
	uint64_t listed = 0;
	int p;

	shed_string(b, slot, got);
	for (p = 0; p < slot_cnt[slot]; p++) {
		off[p] = att->off[slot_first[slot] + p] ? 'x' : '.';
		listed += got[p] == 'x';
	}
	off[p] = '\0';
	check_int(b->state, x->st);
	check_str(got, want);
	/* the attacher agrees: the listed points are off only in SHED_OFF */
	check_str(off, x->st == BIN_SHED_OFF ? want : slot == 0 ? "...." : "..");
	check_int(governor__slot_shed(gov, slot), x->st != BIN_FULL);
	if (x->st != BIN_FULL) {
		/* the cycle's arithmetic is in doubles: compared in microseconds */
		check_int((b->next_ns - BASE_NS + 500) / 1000, x->next_ms * 1000);
		check_int((b->cycle_ns + 500) / 1000, x->cycle_ms * 1000);
	}
	return x->st == BIN_SHED_OFF ? listed : 0;
}

static void test_state_machine(void **state)
{
	const struct gov_case *c = CASE(struct gov_case, state);
	struct governor_opts o = { .sz = sizeof(o), .max_overhead = c->max_overhead,
				   .cost_s = c->cost_s, .start_allowance_s = c->start_allowance_s };
	struct attacher *att = calloc(1, sizeof(*att));
	struct governor *gov;
	const struct gstep *s;
	int i;

	assert_non_null(att);
	gov = governor__new(&o, att);
	assert_non_null(gov);
	case_ctx("%s: governor__new", c->name);
	check_int(att->alarm, c->word);
	for (i = 0, s = c->steps; s->op != G_END; i++, s++) {
		struct governor_proc procs[2] = { { s->pid, s->slot, "p" }, { s->pid2, s->slot2, "q" } };
		uint64_t shed;

		case_ctx("%s: step %d (%s at %llu ms)", c->name, i, gop_names[s->op],
			 (unsigned long long)s->ms);
		switch (s->op) {
		case G_ADD_SLOT:
			governor__add_slot(gov, s->slot, at(s->ms));
			break;
		case G_HITS:
			att->hits[slot_first[s->slot] + s->point] += s->n;
			break;
		case G_PROC_HITS:
			add_proc_hits(att, s->pid, s->n);
			break;
		case G_ALARM:
			governor__alarm(gov, s->slot, s->n, at(s->ms));
			break;
		case G_TIMERS:
			governor__timers(gov, at(s->ms));
			break;
		case G_TICK:
			governor__tick(gov, procs, s->pid2 ? 2 : 1, at(s->ms));
			break;
		case G_FORGET:
			governor__forget(gov, s->pid);
			check_int(att->forgotten, s->pid);
			break;
		case G_FORGET_SLOT:
			governor__forget_slot(gov, s->slot);
			/* the detach took its points off the kernel; a new attach has them on */
			for (int p = 0; p < slot_cnt[s->slot]; p++)
				att->off[slot_first[s->slot] + p] = false;
			break;
		case G_SET_COST:
			governor__set_cost(gov, s->cost);
			check_int(att->alarm, s->word);
			break;
		case G_END:
			break;
		}
		/* the governor saw nothing of these: no state to check */
		if (s->op == G_HITS || s->op == G_PROC_HITS)
			continue;
		shed = check_slot(gov, att, 0, &s->s0);
		shed += check_slot(gov, att, 1, &s->s1);
		check_int(governor__shed_points(gov), shed);
		check_int(governor__alarms(gov), s->alarms);
		if ((s->op == G_TICK || s->op == G_FORGET) && s->pid)
			check_true(fabs(governor__overhead(gov, s->pid) - s->overhead) < 1e-9);
	}
	governor__free(gov);
	/* freed: BPF raises no more alarms */
	case_ctx("%s: governor__free", c->name);
	check_int(att->alarm, 0);
	free(att);
}

int main(void)
{
	struct suite s = {};

	suite_rows(&s, test_plan, plan_cases);
	suite_rows(&s, test_cycle, cycle_cases);
	suite_rows(&s, test_alarm_word, alarm_cases);
	suite_rows(&s, test_start_hits_left, start_cases);
	suite_rows(&s, test_state_machine, gov_cases);
	return suite_run(&s, "governor");
}
