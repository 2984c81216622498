// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * metrics: the daemon's exposition rendered from a synthetic tracker (one
 * classic map read from a synthetic address space, as test_tracker.c does)
 * and synthetic counters.  Exact lines for what dashboards and alerts read,
 * label escaping, one HELP/TYPE per family, and the whole text through
 * Prometheus's own parser (promtool check metrics) where it is installed.
 * The per-site series need a symbolized insert site, so a real binary: the
 * e2e test_daemon checks those; here the tracked map has none and only the
 * families' headers stand for them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "gomap.h"
#include "metrics.h"
#include "tracker.h"
#include "cases.h"
#include "gospace.h"

#define SEC 1000000000ULL
#define PID 0x7ffffff0		/* no such process */
#define BUCKET_SIZE 208

/* hmap with no overflow buckets */
static void classic_header0(struct space *sp, uint64_t h, uint64_t count, uint8_t B, uint32_t seed,
			    uint64_t buckets)
{
	classic_header(sp, h, count, B, 0, seed, buckets);
}

struct fx {
	struct space sp;
	struct gomap_mem mem;
	struct probeplan plan;
	struct gobin bin;
	struct target tgt;
	struct tracker *tr;
	struct strbuf out;
};

static void labels(const struct target *t, struct metrics_labels *out, void *ctx)
{
	(void)t;
	(void)ctx;
	/* a quote, a backslash and a newline: each escaped in the exposition */
	out->namespace = "team\"a";
	out->pod = "web\\1";
	out->container = "app\nx";
}

static const struct metrics_count fails[] = { { "not_go", 3 }, { "attach_error", 1 } };
static const struct metrics_count evict[] = { { "maps", 0 }, { "processes", 2 } };
static const struct metrics_count hits[] = { { "makemap", 10 }, { "hashgrow", 7 } };
static const struct metrics_count dropped[] = { { "untraced_process", 5 }, { "no_spec", 0 } };
/* a quote, a backslash and a newline in a comm: each escaped */
static const struct metrics_count over[] = { { "le\"a\\k\ny", 1500 } };

static void render(struct fx *f)
{
	uint64_t h = ARENA_BASE + 0x1000, b = ARENA_BASE + 0x2000;
	struct tracker_opts o = { .sz = sizeof(o), .window_ns = SEC };
	struct metrics_input in = {
		.labels = labels,
		.max_sites = 20,
		.version = "1.2.3-test",
		.targets = 1,
		.binaries_attached = 1,
		.events = 42,
		.events_lost = 2,
		.attach_failures = fails, .attach_failure_cnt = 2,
		.evictions = evict, .eviction_cnt = 2,
		.probe_hits = hits, .probe_hit_cnt = 2,
		.hits_dropped = dropped, .hits_dropped_cnt = 2,
		.stack_goroutine_unread = 4,
		.probe_cost_seconds = 1.5e-6,
		.probes_shed = 1,
		.governor_alarms = 6,
		.overhead_ppm = over, .overhead_cnt = 1,
	};
	struct gm_event e;

	f->sp.mem = calloc(1, ARENA_SIZE);
	assert_non_null(f->sp.mem);
	f->sp.pid = PID;
	f->sp.next = ARENA_BASE;
	f->mem = (struct gomap_mem){ .read = space_read, .ctx = &f->sp };
	f->plan.impl = GM_MAP_CLASSIC;
	gomap__layout(&f->plan.layout, GM_MAP_CLASSIC, 1, 22);
	f->bin.plan = &f->plan;
	strcpy(f->bin.bi.version, "go1.22.12");
	f->tgt.pid = PID;
	f->tgt.bin = &f->bin;
	strcpy(f->tgt.comm, "leaky");
	f->tgt.bias_known = true;
	f->tgt.bias = 1ULL << 62;	/* no symbolization: site and type "?" */
	u64map__init(&f->tgt.user_frames);
	judge_opts__init(&o.judge);
	o.mem = &f->mem;
	f->tr = tracker__new(&o);
	assert_non_null(f->tr);
	assert_int_equal(tracker__add_target(f->tr, &f->tgt), 0);

	/* one map grown from B 1 to B 2, read with 14 entries */
	classic_header0(&f->sp, h, 9, 1, 77, b);
	memset(&e, 0, sizeof(e));
	e.ts_ns = gm_now_ns();
	e.tgid = e.tid = PID;
	e.kind = GM_PROBE_HASHGROW;
	e.map = h;
	e.type = 0x4c0000;
	e.entries = 13;
	e.seed = 77;
	e.bucket_size = BUCKET_SIZE;
	e.arg = 1;
	e.frames[0] = 0x401000;
	e.frames[1] = 0x401100;
	e.nr_frames = 2;
	tracker__handle_event(f->tr, &e);
	classic_header0(&f->sp, h, 14, 2, 77, b);
	tracker__sample(f->tr, gm_now_ns());

	in.tr = f->tr;
	strbuf__init(&f->out);
	assert_int_equal(metrics__render(&in, &f->out), 0);
	assert_false(f->out.failed);
}

static void fx_fini(struct fx *f)
{
	strbuf__fini(&f->out);
	tracker__free(f->tr);
	target__fini(&f->tgt);
	free(f->sp.mem);
}

static void has_line(const struct fx *f, const char *line)
{
	const char *p = f->out.buf;
	size_t n = strlen(line);

	for (; (p = strstr(p, line)); p += n)
		if ((p == f->out.buf || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("missing line: %s\n--- exposition ---\n%s", line, f->out.buf);
}

/* The exposition of render(), made once for the exact-line cases. */
static struct fx rendered;

static int render_once(void **state)
{
	(void)state;
	render(&rendered);
	return 0;
}

static int render_free(void **state)
{
	(void)state;
	fx_fini(&rendered);
	return 0;
}

/* A line dashboards and alerts read, exactly, for the synthetic input of render(). */
struct line_case {
	const char *name;
	const char *line;
};

static const struct line_case line_cases[] = {
	/* the site families are there even with no series (see the top) */
	{ "family: map entries", "# TYPE gomaptrace_map_entries gauge" },
	{ "family: map bucket bytes", "# TYPE gomaptrace_map_bucket_bytes_total counter" },
	{ "family: leak suspected", "# TYPE gomaptrace_map_leak_suspected gauge" },
	{ "overhead ratio: a comm with a quote, backslash and newline",
	  "gomaptrace_overhead_ratio{comm=\"le\\\"a\\\\k\\ny\"} 0.001500" },
	/* per node */
	{ "targets", "gomaptrace_targets 1" },
	{ "binaries attached", "gomaptrace_binaries_attached 1" },
	{ "attach failures: not_go", "gomaptrace_attach_failures_total{reason=\"not_go\"} 3" },
	{ "attach failures: attach_error", "gomaptrace_attach_failures_total{reason=\"attach_error\"} 1" },
	{ "events", "gomaptrace_events_total 42" },
	{ "events lost", "gomaptrace_events_lost_total 2" },
	{ "state evictions: processes", "gomaptrace_state_evictions_total{table=\"processes\"} 2" },
	{ "state evictions: maps, zero is a sample too", "gomaptrace_state_evictions_total{table=\"maps\"} 0" },
	{ "probe hits: hashgrow", "gomaptrace_probe_hits_total{probe=\"hashgrow\"} 7" },
	{ "probe hits: makemap", "gomaptrace_probe_hits_total{probe=\"makemap\"} 10" },
	{ "family: dropped hits", "# TYPE gomaptrace_probe_hits_dropped_total counter" },
	{ "dropped hits: untraced process",
	  "gomaptrace_probe_hits_dropped_total{reason=\"untraced_process\"} 5" },
	{ "dropped hits: no spec, zero", "gomaptrace_probe_hits_dropped_total{reason=\"no_spec\"} 0" },
	{ "stack maps whose goroutine was unread", "gomaptrace_stack_map_goroutine_unread_total 4" },
	{ "probe cost", "gomaptrace_probe_cost_seconds 0.000001500" },
	{ "probes shed", "gomaptrace_probes_shed 1" },
	{ "governor alarms", "gomaptrace_governor_alarms_total 6" },
	{ "build info", "gomaptrace_build_info{version=\"1.2.3-test\"} 1" },
};

static void test_exact_line(void **state)
{
	const struct line_case *c = CASE(struct line_case, state);

	has_line(&rendered, c->line);
}

/* Every family once, each sample line after its family's TYPE line. */
static void test_families_once(void **state)
{
	struct fx f = { 0 };
	char *text, *line, *save = NULL;
	char seen[64][96];
	size_t nseen = 0, i;

	(void)state;
	render(&f);
	text = strdup(f.out.buf);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[96];

		if (sscanf(line, "# TYPE %95s", name) == 1) {
			for (i = 0; i < nseen; i++)
				if (!strcmp(seen[i], name))
					fail_msg("family %s twice", name);
			assert_true(nseen < 64);
			strcpy(seen[nseen++], name);
		} else if (line[0] != '#') {
			size_t len = strcspn(line, "{ ");

			assert_true(nseen > 0);
			/* a sample belongs to the latest family (its name, or name_bucket etc.) */
			if (strncmp(line, seen[nseen - 1], strlen(seen[nseen - 1])) ||
			    len < strlen(seen[nseen - 1]))
				fail_msg("sample '%s' outside its family (%s)", line, seen[nseen - 1]);
		}
	}
	assert_true(nseen >= 20);
	free(text);
	fx_fini(&f);
}

/* Prometheus's own parser and linter, when installed. */
static void test_promtool(void **state)
{
	static const char *const paths[] = { "/usr/bin/promtool", "/usr/local/bin/promtool" };
	const char *promtool = NULL;
	struct fx f = { 0 };
	char cmd[128];
	FILE *p;
	size_t i;
	int st;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			promtool = paths[i];
	if (!promtool)
		skip();
	render(&f);
	/* its lint output (stderr) is the failure message; exit 0 means clean */
	snprintf(cmd, sizeof(cmd), "%s check metrics", promtool);
	p = popen(cmd, "w");
	assert_non_null(p);
	assert_int_equal(fwrite(f.out.buf, 1, f.out.len, p), f.out.len);
	st = pclose(p);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("promtool check metrics failed (status %d) on:\n%s", st, f.out.buf);
	fx_fini(&f);
}

static void test_escape(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf__init(&sb);
	metrics__escape(&sb, "a\"b\\c\nd\te");
	assert_string_equal(sb.buf, "a\\\"b\\\\c\\nd\te");
	strbuf__fini(&sb);
}

int main(void)
{
	struct suite lines = {}, s = {};
	int failed;

	suite_rows(&lines, test_exact_line, line_cases);
	failed = suite_run_fixtures(&lines, "metrics lines", render_once, render_free);
	suite_test(&s, test_escape);
	suite_test(&s, test_families_once);
	suite_test(&s, test_promtool);
	return failed + suite_run(&s, "metrics");
}
