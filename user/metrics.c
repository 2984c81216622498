// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "holder.h"
#include "metrics.h"
#include "naming.h"
#include "tracker.h"
#include "u64map.h"

struct site_row {
	char *labels;		/* rendered label set, the merge key */
	uint64_t entries, maps, bucket_bytes, grows;
	int leak;
	const char *holder;	/* the variable/function holding its leaking map; NULL unknown */
};

void metrics__escape(struct strbuf *out, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\')
			strbuf__append(out, "\\\\", 2);
		else if (*v == '"')
			strbuf__append(out, "\\\"", 2);
		else if (*v == '\n')
			strbuf__append(out, "\\n", 2);
		else
			strbuf__append(out, v, 1);
	}
}

static char *render_labels(const struct metrics_labels *l, const char *comm, const char *type,
			   const char *site)
{
	struct strbuf sb;

	strbuf__init(&sb);
	strbuf__printf(&sb, "namespace=\"");
	metrics__escape(&sb, l->namespace);
	strbuf__printf(&sb, "\",pod=\"");
	metrics__escape(&sb, l->pod);
	strbuf__printf(&sb, "\",container=\"");
	metrics__escape(&sb, l->container);
	strbuf__printf(&sb, "\",comm=\"");
	metrics__escape(&sb, comm);
	strbuf__printf(&sb, "\",type=\"");
	metrics__escape(&sb, type);
	strbuf__printf(&sb, "\",site=\"");
	metrics__escape(&sb, site);
	strbuf__printf(&sb, "\"");
	if (sb.failed) {
		strbuf__fini(&sb);
		return NULL;
	}
	return sb.buf;
}

static int cmp_site_age(const void *a, const void *b)
{
	const struct tsite *x = *(struct tsite *const *)a, *y = *(struct tsite *const *)b;

	if (x->tgt != y->tgt)
		return x->tgt->pid < y->tgt->pid ? -1 : 1;
	if (x->s.first_ns != y->s.first_ns)
		return x->s.first_ns < y->s.first_ns ? -1 : 1;
	return x->loc.line - y->loc.line;
}

static int cmp_rows(const void *a, const void *b)
{
	return strcmp(((const struct site_row *)a)->labels, ((const struct site_row *)b)->labels);
}

/*
 * A site counts as suspected when it, or any live map attributed to it, is
 * a leak.  holders: site -> the name of what holds its first leaking map
 * whose holder was found (a variable or function name: bounded).
 */
static void mark_leaky_sites(const struct tracker *tr, struct u64map *leaky, struct u64map *holders)
{
	struct tmap **maps;
	size_t nm = tracker__maps(tr, &maps), i;

	for (i = 0; i < nm; i++) {
		const struct holder_info *h;

		if (maps[i]->s.verdict != VERDICT_LEAK || !maps[i]->site)
			continue;
		u64map__set(leaky, (uintptr_t)maps[i]->site, (void *)1);
		h = holder__get(maps[i]);
		if (h && h->kind != HOLDER_UNKNOWN && h->name[0] &&
		    !u64map__get(holders, (uintptr_t)maps[i]->site))
			u64map__set(holders, (uintptr_t)maps[i]->site, (void *)h->name);
	}
	free(maps);
}

static size_t build_rows(const struct metrics_input *in, struct site_row **out)
{
	struct tsite **sites;
	size_t ns = tracker__sites(in->tr, &sites), i, n = 0, rank = 0;
	struct site_row *rows = calloc(ns + 1, sizeof(*rows));
	const struct target *prev = NULL;
	struct u64map leaky, holders;

	u64map__init(&leaky);
	u64map__init(&holders);
	*out = rows;
	if (!rows)
		goto out;
	mark_leaky_sites(in->tr, &leaky, &holders);
	qsort(sites, ns, sizeof(*sites), cmp_site_age);
	for (i = 0; i < ns; i++) {
		const struct tsite *s = sites[i];
		struct metrics_labels l = { "", "", "" };
		char type[256], loc[512];
		const char *site_label;

		if (s->tgt->exited)
			continue;
		if (s->tgt != prev) {
			prev = s->tgt;
			rank = 0;
		}
		if (in->labels)
			in->labels(s->tgt, &l, in->ctx);
		if (rank++ < in->max_sites) {
			naming__type(s->tgt, s->type, type, sizeof(type));
			site_label = naming__loc(&s->loc, loc, sizeof(loc));
		} else {
			snprintf(type, sizeof(type), "other");
			site_label = "other";
		}
		rows[n].labels = render_labels(&l, s->tgt->comm, type, site_label);
		if (!rows[n].labels)
			continue;
		rows[n].entries = s->s.last;
		rows[n].maps = s->maps;
		rows[n].bucket_bytes = s->bucket_bytes;
		rows[n].grows = s->grows;
		rows[n].leak = s->s.verdict == VERDICT_LEAK || u64map__get(&leaky, (uintptr_t)s);
		rows[n].holder = rank <= in->max_sites ? u64map__get(&holders, (uintptr_t)s) : NULL;
		n++;
	}
	qsort(rows, n, sizeof(*rows), cmp_rows);
	/* merge equal label sets (same container and comm, or the "other" bucket) */
	if (n) {
		size_t w = 0;

		for (i = 1; i < n; i++) {
			if (!strcmp(rows[w].labels, rows[i].labels)) {
				rows[w].entries += rows[i].entries;
				rows[w].maps += rows[i].maps;
				rows[w].bucket_bytes += rows[i].bucket_bytes;
				rows[w].grows += rows[i].grows;
				rows[w].leak |= rows[i].leak;
				if (!rows[w].holder)
					rows[w].holder = rows[i].holder;
				free(rows[i].labels);
			} else {
				rows[++w] = rows[i];
			}
		}
		n = w + 1;
	}
out:
	u64map__fini(&leaky);
	u64map__fini(&holders);
	free(sites);
	return n;
}

static void family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf__printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled sample. */
static void scalar(struct strbuf *sb, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	family(sb, name, type, help);
	strbuf__printf(sb, "%s %" PRIu64 "\n", name, v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One untested-release label set of a live target, NULL when it is tested. */
static char *untested_labels(const struct target *t)
{
	struct strbuf sb;

	if (t->exited || !t->bin->newer_than_tested)
		return NULL;
	strbuf__init(&sb);
	strbuf__printf(&sb, "comm=\"");
	metrics__escape(&sb, t->comm);
	strbuf__printf(&sb, "\",go_version=\"");
	metrics__escape(&sb, t->bin->bi.version);
	strbuf__printf(&sb, "\",self_check=\"%s\"", gobin__check_str(t->bin->self_check));
	if (sb.failed) {
		strbuf__fini(&sb);
		return NULL;
	}
	return sb.buf;
}

/*
 * Processes built by a Go release newer than the newest tested, one series
 * per (comm, go_version, self_check), from the targets that have tracked
 * maps or sites (the ones whose series the type labels of this page rest
 * on).  Bounded like the site series: at most one per traced command and
 * release, and none at all while every release is a tested one.
 */
static void untested_family(struct strbuf *sb, const struct tracker *tr)
{
	struct tmap **maps;
	struct tsite **sites;
	size_t nm = tracker__maps(tr, &maps), ns = tracker__sites(tr, &sites), n = 0, i;
	char **rows = calloc(nm + ns + 1, sizeof(*rows));

	family(sb, "gomaptrace_go_release_untested", "gauge",
	       "1 per traced command built by a Go release newer than the newest gomaptrace is tested with; "
	       "self_check=failed: its map types are not named.");
	for (i = 0; rows && i < nm + ns; i++) {
		const struct target *t = i < nm ? maps[i]->tgt : sites[i - nm]->tgt;
		char *l = untested_labels(t);

		if (l)
			rows[n++] = l;
	}
	if (rows)
		qsort(rows, n, sizeof(*rows), cmp_str);
	for (i = 0; i < n; i++) {
		if (!i || strcmp(rows[i], rows[i - 1]))
			strbuf__printf(sb, "gomaptrace_go_release_untested{%s,newest_tested=\"%s\"} 1\n",
				       rows[i], gobin__newest_tested());
	}
	for (i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
	free(maps);
	free(sites);
}

static void site_family(struct strbuf *sb, const struct site_row *rows, size_t n,
			const char *name, const char *type, const char *help, int field)
{
	size_t i;

	family(sb, name, type, help);
	for (i = 0; i < n; i++) {
		uint64_t v = field == 0 ? rows[i].entries : field == 1 ? rows[i].maps :
			     field == 2 ? rows[i].bucket_bytes : field == 3 ? rows[i].grows :
			     (uint64_t)rows[i].leak;

		strbuf__printf(sb, "%s{%s} %" PRIu64 "\n", name, rows[i].labels, v);
	}
}

static void labelled_counts(struct strbuf *sb, const char *name, const char *type,
			    const char *help, const char *label, const struct metrics_count *c,
			    size_t n)
{
	size_t i;

	family(sb, name, type, help);
	for (i = 0; i < n; i++) {
		strbuf__printf(sb, "%s{%s=\"", name, label);
		metrics__escape(sb, c[i].label);
		strbuf__printf(sb, "\"} %" PRIu64 "\n", c[i].value);
	}
}

/*
 * What holds each suspected site's leaking map, as an info series of its
 * own: a label that appeared on the site's series when the holder is found
 * would start new series at the very moment a leak is suspected (and
 * restart the alert's 30-minute clock).  Join on the site labels.
 */
static void holder_family(struct strbuf *sb, const struct site_row *rows, size_t n)
{
	const struct holder_stats *hs = holder__stats();
	size_t i;

	family(sb, "gomaptrace_map_holder_info", "gauge",
	       "1 per suspected site whose leaking map's holder was found: the package-level variable "
	       "or the function whose frame holds it (never a key).");
	for (i = 0; i < n; i++) {
		if (!rows[i].holder)
			continue;
		strbuf__printf(sb, "gomaptrace_map_holder_info{%s,holder=\"", rows[i].labels);
		metrics__escape(sb, rows[i].holder);
		strbuf__printf(sb, "\"} 1\n");
	}
	family(sb, "gomaptrace_holder_search_seconds_total", "counter",
	       "Time spent finding what holds leaking maps (target memory reads; targets never stopped).");
	strbuf__printf(sb, "gomaptrace_holder_search_seconds_total %.6f\n", hs->ns / 1e9);
	family(sb, "gomaptrace_holder_search_read_bytes_total", "counter",
	       "Target memory read to find what holds leaking maps.");
	strbuf__printf(sb, "gomaptrace_holder_search_read_bytes_total %" PRIu64 "\n", hs->bytes_read);
}

int metrics__render(const struct metrics_input *in, struct strbuf *sb)
{
	struct site_row *rows;
	size_t n, i;

	/* the daemon: maps judged leak only, keys never read (they may hold secrets) */
	holder__set_daemon(true);
	holder__resolve(in->tr, false, NULL);
	n = build_rows(in, &rows);

	site_family(sb, rows, n, "gomaptrace_map_entries", "gauge",
		    "Entries in live tracked maps, per site.", 0);
	site_family(sb, rows, n, "gomaptrace_maps_tracked", "gauge",
		    "Live tracked maps, per site.", 1);
	site_family(sb, rows, n, "gomaptrace_map_bucket_bytes_total", "counter",
		    "Bucket or group bytes allocated by map growth, per site.", 2);
	site_family(sb, rows, n, "gomaptrace_map_grows_total", "counter",
		    "Map growth events, per site.", 3);
	site_family(sb, rows, n, "gomaptrace_map_leak_suspected", "gauge",
		    "1 while the site, or one of its maps, is judged a leak.", 4);
	holder_family(sb, rows, n);
	for (i = 0; i < n; i++)
		free(rows[i].labels);
	free(rows);

	scalar(sb, "gomaptrace_targets", "gauge", "Go processes being traced.",
	       in->targets);
	scalar(sb, "gomaptrace_binaries_attached", "gauge", "Distinct executables with probes attached.",
	       in->binaries_attached);
	labelled_counts(sb, "gomaptrace_attach_failures_total", "counter",
			"Executables not traced, by reason.", "reason",
			in->attach_failures, in->attach_failure_cnt);
	scalar(sb, "gomaptrace_events_total", "counter", "Events received from the BPF ring buffer.",
	       in->events);
	scalar(sb, "gomaptrace_events_lost_total", "counter", "Events dropped because the ring buffer was full.",
	       in->events_lost);
	labelled_counts(sb, "gomaptrace_state_evictions_total", "counter",
			"Entries evicted from bounded state tables, by table.", "table",
			in->evictions, in->eviction_cnt);
	labelled_counts(sb, "gomaptrace_probe_hits_total", "counter",
			"Uprobe hits, by probe.", "probe", in->probe_hits, in->probe_hit_cnt);
	labelled_counts(sb, "gomaptrace_probe_hits_dropped_total", "counter",
			"Uprobe hits the BPF program sent no event for, by reason.", "reason",
			in->hits_dropped, in->hits_dropped_cnt);
	family(sb, "gomaptrace_stack_map_goroutine_unread_total", "counter",
	       "Events of a map on a goroutine stack whose goroutine could not be read.");
	strbuf__printf(sb, "gomaptrace_stack_map_goroutine_unread_total %" PRIu64 "\n", in->stack_goroutine_unread);
	family(sb, "gomaptrace_probe_cost_seconds", "gauge", "Calibrated cost of one uprobe hit on this host.");
	strbuf__printf(sb, "gomaptrace_probe_cost_seconds %.9f\n", in->probe_cost_seconds);
	family(sb, "gomaptrace_probe_hit_cost_seconds", "gauge",
	       "Cost of one uprobe hit as measured: the calibrated trap plus the BPF programs' run time per hit.");
	strbuf__printf(sb, "gomaptrace_probe_hit_cost_seconds %.9f\n", in->probe_hit_cost_seconds);
	family(sb, "gomaptrace_probe_bpf_run_seconds_total", "counter",
	       "Run time of the uprobe BPF programs, measured by the kernel (BPF_STATS_RUN_TIME).");
	strbuf__printf(sb, "gomaptrace_probe_bpf_run_seconds_total %.9f\n", in->probe_bpf_run_seconds);
	scalar(sb, "gomaptrace_probe_bpf_runs_total", "counter", "Runs of the uprobe BPF programs.",
	       in->probe_bpf_runs);
	scalar(sb, "gomaptrace_probes_shed", "gauge", "Probes currently shed by the overhead governor.",
	       in->probes_shed);
	family(sb, "gomaptrace_governor_alarms_total", "counter",
	       "Over-budget alarms from BPF the overhead governor acted on.");
	strbuf__printf(sb, "gomaptrace_governor_alarms_total %" PRIu64 "\n", in->governor_alarms);
	family(sb, "gomaptrace_overhead_ratio", "gauge",
	       "Estimated fraction of one CPU spent in probes, per traced command.");
	for (i = 0; i < in->overhead_cnt; i++) {
		strbuf__printf(sb, "gomaptrace_overhead_ratio{comm=\"");
		metrics__escape(sb, in->overhead_ppm[i].label);
		strbuf__printf(sb, "\"} %.6f\n", in->overhead_ppm[i].value / 1e6);
	}
	untested_family(sb, in->tr);
	family(sb, "gomaptrace_build_info", "gauge", "gomaptrace version, value 1.");
	strbuf__printf(sb, "gomaptrace_build_info{version=\"");
	metrics__escape(sb, in->version);
	strbuf__printf(sb, "\"} 1\n");
	return sb->failed ? -1 : 0;
}
