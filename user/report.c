// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "holder.h"
#include "jsonw.h"
#include "naming.h"
#include "report.h"

#define TEXT_STACK_FRAMES 6
#define TEXT_OTHER_MAPS 10

/* The reason for one map or site only when it is not the binary's, said once per target. */
static void text_type_reason(FILE *out, const struct target *t, uint64_t type)
{
	const char *why = naming__type_unavailable(t, type);

	if (why && !t->bin->types_unavailable[0])
		fprintf(out, "      type unknown: %s\n", why);
}

/* Over the whole session: first to last sample. */
static double session_per_minute(const struct tseries *s)
{
	return judge__per_minute(s->first, s->last, s->first_ns, s->last_ns);
}

/* Over the windows the verdict rests on; before any closed, the session's. */
static double per_minute(const struct tseries *s)
{
	if (!s->nwin || !s->ev.judged_ns)
		return session_per_minute(s);
	return judge__rate(&s->ev);
}

static const char *map_impl_str(const struct target *t)
{
	return gomap__impl_name(t->bin->plan->impl);
}

/* "over the last 3 windows (45s)", or "so far" before a window closed */
static const char *judged_str(const struct tseries *s, char *buf, size_t len)
{
	if (!s->nwin || !s->ev.judged_ns)
		snprintf(buf, len, "so far");
	else
		snprintf(buf, len, "over %d window%s (%.0fs)", s->ev.judged_windows,
			 s->ev.judged_windows == 1 ? "" : "s", s->ev.judged_ns / 1e9);
	return buf;
}

/* Print up to max frames of a stack, runtime frames included, inlined expanded. */
static void text_stack(FILE *out, const struct target *t, const struct tstack *st, int max)
{
	struct pcln_frame fr[8];
	int printed = 0, n, k;
	uint32_t i;

	for (i = 0; i < st->nr && printed < max; i++) {
		n = target__symbolize(t, st->pcs[i], i > 0, fr, 8);
		for (k = 0; k < n && printed < max; k++, printed++)
			fprintf(out, "        %s\n            %s:%d\n", fr[k].function, fr[k].file, fr[k].line);
		if (!n && printed < max) {
			fprintf(out, "        0x%" PRIx64 "\n", st->pcs[i]);
			printed++;
		}
	}
}

/* held_by, sample keys and retained bytes, when the map was searched (leak/growing). */
static void text_holder(FILE *out, const struct tmap *m)
{
	const struct holder_info *h = holder__get(m);
	char buf[HOLDER_KEY_TEXT * 2 + 16], bytes[32];
	int i;

	if (!h)
		return;
	switch (h->kind) {
	case HOLDER_GLOBAL:
		fprintf(out, "      held by: %s (package-level variable)\n",
			naming__printable(h->path[0] ? h->path : h->name, buf, sizeof(buf)));
		break;
	case HOLDER_HEAP:
		fprintf(out, "      held by: %s (heap, reached from %s)\n", naming__printable(h->path, buf, sizeof(buf)),
			h->function[0] ? "a goroutine's frame" : "a package-level variable");
		break;
	case HOLDER_STACK:
		fprintf(out, "      held by: the frame of %s, goroutine %" PRIu64 " (stack)\n",
			naming__printable(h->function, buf, sizeof(buf)), h->goroutine);
		break;
	default:
		fprintf(out, "      held by: unknown (%s)\n", h->why[0] ? h->why : "not searched");
		break;
	}
	if (h->retained_known)
		fprintf(out, "      retained: %s%s (bucket memory and the objects its keys and values point to%s)\n",
			h->retained_estimated ? "~" : "", naming__bytes(h->retained_bytes, bytes, sizeof(bytes)),
			h->retained_estimated ? ", estimated from a sample of slots" : "");
	if (holder__keys() && h->nkeys) {
		fprintf(out, "      sample keys (%d):", h->nkeys);
		for (i = 0; i < h->nkeys; i++)
			fprintf(out, "%s %s", i ? "," : "", naming__printable(h->keys[i], buf, sizeof(buf)));
		fputc('\n', out);
	} else if (holder__keys() && h->keys_why[0]) {
		fprintf(out, "      sample keys: none (%s)\n", h->keys_why);
	}
}

static void text_map(FILE *out, const struct tmap *m, bool with_stack, int min_windows)
{
	char type[256], loc[512], bytes[32], alloc[32], over[64], comm[136];
	const struct target *t = m->tgt;

	fprintf(out, "  %-9s %s  pid %d (%s)  map 0x%" PRIx64 "%s\n", verdict__str(m->s.verdict),
		naming__type(t, m->type, type, sizeof(type)), (int)t->pid, naming__printable(t->comm, comm, sizeof(comm)), m->addr,
		m->bloated ? "  [bloated]" : "");
	text_type_reason(out, t, m->type);
	fprintf(out, "      entries %" PRIu64 " -> %" PRIu64 "%s (%+.0f/min %s), rising windows %d (%d needed)",
		m->s.first, m->s.last, m->count_estimated ? " (estimated)" : "", per_minute(&m->s),
		judged_str(&m->s, over, sizeof(over)), m->s.ev.rising_windows, min_windows);
	if (m->shape_ns && m->trie)
		fprintf(out, ", trie memory %s", naming__bytes(m->bucket_bytes, bytes, sizeof(bytes)));
	else if (m->shape_ns)
		fprintf(out, ", capacity %" PRIu64 " slots, bucket memory %s", m->capacity,
			naming__bytes(m->bucket_bytes, bytes, sizeof(bytes)));
	fprintf(out, ", allocated by growth %s\n", naming__bytes(m->grown_bytes, alloc, sizeof(alloc)));
	if (m->created_seen)
		fprintf(out, "      created at: %s\n", naming__loc(&m->created_at, loc, sizeof(loc)));
	else
		fprintf(out, "      created at: (%s)\n", tunseen__text(m->unseen));
	if (m->on_stack)
		fprintf(out, "      stack map: in the frame of %s, goroutine %" PRIu64 "\n",
			m->holder.function ? naming__loc(&m->holder, loc, sizeof(loc)) :
			"(a frame deeper than the stacks walked)", m->stk.goid);
	fprintf(out, "      inserted at: %s\n", naming__loc(&m->insert_at, loc, sizeof(loc)));
	text_holder(out, m);
	if (m->bloated)
		fprintf(out, "      bloated: %" PRIu64 " slots hold %" PRIu64 " entries; Go maps never shrink, copy it into a fresh map\n",
			m->capacity, m->s.last);
	if (!with_stack)
		return;
	fprintf(out, "      stack (%s):\n", tmap__stack(m) == m->create_stack ? "creation" : "latest growth");
	text_stack(out, t, tmap__stack(m), TEXT_STACK_FRAMES);
}

static void text_site(FILE *out, const struct tsite *s)
{
	char type[256], loc[512], bytes[32], over[64], comm[136];

	fprintf(out, "  %-9s %s site %s\n", verdict__str(s->s.verdict),
		s->kind == TSITE_CREATED ? "creation" : "insert",
		naming__loc(&s->loc, loc, sizeof(loc)));
	fprintf(out, "      type %s, pid %d (%s), %u live maps, entries %" PRIu64 " -> %" PRIu64 " (%+.0f/min %s), allocated by growth %s\n",
		naming__type(s->tgt, s->type, type, sizeof(type)), (int)s->tgt->pid,
		naming__printable(s->tgt->comm, comm, sizeof(comm)),
		s->maps, s->s.first, s->s.last, per_minute(&s->s), judged_str(&s->s, over, sizeof(over)),
		naming__bytes(s->bucket_bytes, bytes, sizeof(bytes)));
	text_type_reason(out, s->tgt, s->type);
}

/* Not traced since an exec into a program that is not followed (not Go, gone). */
static bool exec_dropped(const struct target *t)
{
	return t->exec.cnt && !t->exec.followed;
}

/* seconds from the start of the target's tracing to its latest exec */
static double exec_at_s(const struct target *t)
{
	return t->exec.at_ns > t->start_ns ? (t->exec.at_ns - t->start_ns) / 1e9 : 0;
}

/* An exec seen while traced: the program it left, and whether the new one is traced. */
static void text_exec(FILE *out, const struct target *t)
{
	char from[4 * 4096 + 8], to[4 * 4096 + 8];

	naming__printable(t->exec.from ? t->exec.from : "?", from, sizeof(from));
	naming__printable(t->exec.to ? t->exec.to : "?", to, sizeof(to));
	if (t->exec.followed)
		fprintf(out, "  exec'd %s at %.1fs (was %s): followed; its maps before the exec are not reported\n",
			to, exec_at_s(t), from);
	else
		fprintf(out, "  exec'd %s at %.1fs: not traced from then (%s); the maps below are %s's, until the exec\n",
			to, exec_at_s(t), t->exec.why, from);
}

/* Has an earlier target of the report the same executable (its note already said)? */
static bool bin_said(const struct report_session *rs, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (rs->targets[k]->bin == rs->targets[i]->bin)
			return true;
	return false;
}

/* What finding holders cost (our CPU and reads; the target is never stopped). */
static void text_holder_cost(FILE *out)
{
	const struct holder_stats *hs = holder__stats();
	char rd[32], peak[32];

	if (!hs->maps)
		return;
	fprintf(out, "holder search: %" PRIu64 " map%s in %" PRIu64 " search%s, %s read from the targets "
		"in %.1f ms (longest %.1f ms, at most %s held); targets never stopped\n",
		hs->maps, hs->maps == 1 ? "" : "s", hs->searches, hs->searches == 1 ? "" : "es",
		naming__bytes(hs->bytes_read, rd, sizeof(rd)), hs->ns / 1e6, hs->max_search_ns / 1e6,
		naming__bytes(hs->peak_bytes, peak, sizeof(peak)));
}

void report__text(FILE *out, const struct tracker *tr, const struct report_session *rs)
{
	struct tmap **maps;
	struct tsite **sites;
	size_t nm, ns, i;
	int leaks = 0, others = 0, leak_sites = 0;
	const struct tracker_stats *st = tracker__stats(tr);

	char win[96];

	holder__resolve(tr, rs->final, NULL);
	nm = tracker__maps(tr, &maps);
	ns = tracker__sites(tr, &sites);
	if (rs->window_max_s > rs->window_s)
		snprintf(win, sizeof(win), "windows widening %gs to %gs, a leak spans %gs", rs->window_s,
			 rs->window_max_s, rs->min_span_s);
	else
		snprintf(win, sizeof(win), "%gs windows", rs->window_s);
	fprintf(out, "%s after %.1fs (%s mode%s, %s)\n",
		rs->final ? "gomaptrace report" : "gomaptrace interim report", rs->duration_s,
		rs->mode, strcmp(rs->mode, "exact") ? "" : ": probes every insert, costly", win);
	for (i = 0; i < rs->target_cnt; i++) {
		const struct target *t = rs->targets[i];
		char comm[136], exe[4 * 4096 + 8];

		fprintf(out, "target pid %d (%s) %s, %s, %s maps", (int)t->pid,
			naming__printable(t->comm, comm, sizeof(comm)), naming__printable(t->exe, exe, sizeof(exe)),
			t->bin->bi.version, map_impl_str(t));
		if (t->exited && t->exit_status >= 0)
			fprintf(out, ", exited with status %d", t->exit_status);
		else if (t->exited && !exec_dropped(t))
			fprintf(out, ", exited");
		fputc('\n', out);
		if (t->exec.cnt)
			text_exec(out, t);
		if (bin_said(rs, i))
			continue;
		/* once per executable: which release, untested, self-check; or why no types */
		if (gobin__newer_note(t->bin))
			fprintf(out, "  note: %s\n", gobin__newer_note(t->bin));
		else if (t->bin->types_unavailable[0])
			fprintf(out, "  map types unknown (\"?\"): %s\n", t->bin->types_unavailable);
	}
	if (rs->max_overhead > 0 && rs->shed_s > 0)
		fprintf(out, "probe budget %g of a CPU per process: exceeded, %llu alarm%s; probes shed or "
			"duty-cycled for %.0f s of %.0f s (up to %llu points off): maps made then have no "
			"creation site, small maps that grew then were not followed\n",
			rs->max_overhead, (unsigned long long)rs->gov_alarms, rs->gov_alarms == 1 ? "" : "s",
			rs->shed_s, rs->duration_s, (unsigned long long)rs->shed_points_max);
	else if (rs->max_overhead > 0)
		fprintf(out, "probe budget %g of a CPU per process: never exceeded, nothing shed\n",
			rs->max_overhead);
	else if (rs->max_overhead == 0)
		fprintf(out, "no probe budget (--max-overhead 0%s): every probe stayed on\n",
			strcmp(rs->mode, "exact") ? "" : " or --exact");
	fputc('\n', out);
	for (i = 0; i < nm; i++)
		leaks += maps[i]->s.verdict == VERDICT_LEAK;
	for (i = 0; i < ns; i++)
		leak_sites += sites[i]->s.verdict == VERDICT_LEAK;
	if (!leaks && !leak_sites)
		fprintf(out, "No map judged a leak.\n");
	if (leaks) {
		fprintf(out, "LEAKS: %d map%s never stopped growing\n", leaks, leaks > 1 ? "s" : "");
		for (i = 0; i < nm; i++)
			if (maps[i]->s.verdict == VERDICT_LEAK)
				text_map(out, maps[i], true, rs->min_windows);
	}
	if (leak_sites) {
		fprintf(out, "\nLEAKING SITES: %d site%s whose maps together never stopped growing\n",
			leak_sites, leak_sites > 1 ? "s" : "");
		for (i = 0; i < ns; i++)
			if (sites[i]->s.verdict == VERDICT_LEAK)
				text_site(out, sites[i]);
	}
	for (i = 0; i < nm && others < TEXT_OTHER_MAPS; i++) {
		if (maps[i]->s.verdict == VERDICT_LEAK || maps[i]->s.max < 64)
			continue;
		if (!others++)
			fprintf(out, "\nOther large maps:\n");
		text_map(out, maps[i], false, rs->min_windows);
	}
	fprintf(out, "\nevents: %" PRIu64 " received, %" PRIu64 " lost%s; %" PRIu64 " maps tracked: "
		"%zu alive, %" PRIu64 " gone, %" PRIu64 " evicted; %" PRIu64 " probe hits\n",
		rs->events_received, rs->events_lost,
		rs->events_lost ? " (ring buffer full: verdicts may miss growth)" : "",
		st->maps_tracked, tracker__alive_maps(tr), st->gone_maps, st->evicted_maps, rs->probe_hits);
	if (rs->probe_cost_s > 0 && rs->duration_s > 0) {
		double rate = rs->probe_hits / rs->duration_s;
		double hit = rs->cost.hit_s > 0 ? rs->cost.hit_s : rs->probe_cost_s;
		double bpf = rs->cost.run_cnt ? rs->cost.run_ns / 1e3 / rs->cost.run_cnt : 0;

		/* the last %-figure of the line is the share of a CPU (bench/run.sh reads it) */
		if (rs->cost.stats)
			fprintf(out, "overhead: %.0f probe hits/s x %.1f us (trap %.1f us calibrated + BPF %.1f us "
				"measured) = %.2f CPU-s, %.2f%% of one CPU, spread over the targets\n",
				rate, hit * 1e6, rs->probe_cost_s * 1e6, bpf, rs->probe_hits * hit,
				100 * rate * hit);
		else
			fprintf(out, "overhead: %.0f probe hits/s x %.1f us (trap calibrated; BPF run time not "
				"measured) = %.2f CPU-s, %.2f%% of one CPU, spread over the targets\n",
				rate, hit * 1e6, rs->probe_hits * hit, 100 * rate * hit);
	}
	text_holder_cost(out);
	free(maps);
	free(sites);
}

static void json_loc(struct jsonw *w, const char *key, const struct tloc *loc, bool known)
{
	jsonw_key(w, key);
	if (!known || !loc->function) {
		jsonw_null(w);
		return;
	}
	jsonw_start_object(w);
	jsonw_kv_string(w, "function", loc->function);
	jsonw_kv_string(w, "file", loc->file ? loc->file : "");
	jsonw_kv_i64(w, "line", loc->line);
	jsonw_end_object(w);
}

static void json_stack(struct jsonw *w, const struct target *t, const struct tstack *st)
{
	struct pcln_frame fr[8];
	uint32_t i;
	int n, k;

	jsonw_key(w, "stack");
	jsonw_start_array(w);
	for (i = 0; i < st->nr; i++) {
		n = target__symbolize(t, st->pcs[i], i > 0, fr, 8);
		for (k = 0; k < n; k++) {
			jsonw_start_object(w);
			jsonw_kv_string(w, "function", fr[k].function);
			jsonw_kv_string(w, "file", fr[k].file);
			jsonw_kv_i64(w, "line", fr[k].line);
			jsonw_end_object(w);
		}
		if (!n) {
			jsonw_start_object(w);
			jsonw_kv_hex(w, "pc", st->pcs[i]);
			jsonw_end_object(w);
		}
	}
	jsonw_end_array(w);
}

static void json_evidence(struct jsonw *w, const struct tseries *s)
{
	jsonw_key(w, "evidence");
	jsonw_start_object(w);
	jsonw_kv_i64(w, "windows", s->ev.windows);
	jsonw_kv_i64(w, "rising_windows", s->ev.rising_windows);
	jsonw_kv_i64(w, "growth_in_rising_windows", s->ev.growth_in_rising);
	jsonw_kv_i64(w, "windows_since_decrease", s->ev.windows_since_decrease);
	jsonw_kv_i64(w, "judged_windows", s->ev.judged_windows);
	jsonw_kv_double(w, "judged_seconds", s->ev.judged_ns / 1e9);
	jsonw_kv_i64(w, "judged_delta", s->ev.judged_delta);
	/* the windows themselves, oldest first: a verdict can be checked by hand */
	jsonw_key(w, "series");
	jsonw_start_array(w);
	for (int i = s->nwin < TRACK_WINDOWS ? s->nwin : TRACK_WINDOWS; i > 0; i--) {
		const struct twin *tw = &s->windows[(s->nwin - i) % TRACK_WINDOWS];

		jsonw_start_object(w);
		jsonw_kv_double(w, "seconds", tw->ms / 1e3);
		jsonw_kv_u64(w, "end", tw->end);
		jsonw_kv_i64(w, "delta", tw->delta);
		jsonw_kv_u64(w, "drop", tw->drop);
		jsonw_kv_bool(w, "sampled", tw->sampled);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

/* held_by, sample_keys, retained_bytes (docs/report.md); null when not searched. */
static void json_holder(struct jsonw *w, const struct tmap *m)
{
	const struct holder_info *h = holder__get(m);
	int i;

	jsonw_key(w, "held_by");
	if (!h) {
		jsonw_null(w);
	} else {
		jsonw_start_object(w);
		jsonw_kv_string(w, "kind", holder__kind_str(h->kind));
		jsonw_kv_string_or_null(w, "name", h->name);
		jsonw_kv_string_or_null(w, "function", h->function[0] ? h->function : NULL);
		jsonw_kv_u64_or_null(w, "goroutine", h->goroutine > 0, h->goroutine);
		jsonw_kv_string_or_null(w, "path", h->path);
		jsonw_kv_string_or_null(w, "why", h->kind == HOLDER_UNKNOWN ? h->why : NULL);
		jsonw_end_object(w);
	}
	jsonw_key(w, "sample_keys");
	if (h && holder__keys()) {
		jsonw_start_array(w);
		for (i = 0; i < h->nkeys; i++)
			jsonw_string(w, h->keys[i]);
		jsonw_end_array(w);
	} else {
		jsonw_null(w);
	}
	jsonw_kv_u64_or_null(w, "retained_bytes", h && h->retained_known, h ? h->retained_bytes : 0);
	jsonw_kv_bool(w, "retained_estimated", h && h->retained_known && h->retained_estimated);
}

static void json_map(struct jsonw *w, const struct tmap *m)
{
	char type[256];

	jsonw_start_object(w);
	jsonw_kv_i64(w, "pid", m->tgt->pid);
	jsonw_kv_hex(w, "address", m->addr);
	jsonw_kv_string(w, "type", naming__type(m->tgt, m->type, type, sizeof(type)));
	jsonw_kv_string_or_null(w, "type_unavailable_reason", naming__type_unavailable(m->tgt, m->type));
	jsonw_kv_bool(w, "type_from_site", m->type_from_site);
	jsonw_kv_string(w, "verdict", verdict__str(m->s.verdict));
	jsonw_kv_bool(w, "bloated", m->bloated);
	jsonw_kv_u64(w, "capacity", m->capacity);
	jsonw_kv_u64(w, "entries_first", m->s.first);
	jsonw_kv_u64(w, "entries_last", m->s.last);
	jsonw_kv_bool(w, "entries_estimated", m->count_estimated);
	jsonw_kv_u64(w, "entries_max", m->s.max);
	jsonw_kv_double(w, "growth_per_minute", per_minute(&m->s));
	jsonw_kv_double(w, "session_growth_per_minute", session_per_minute(&m->s));
	jsonw_kv_u64(w, "bucket_bytes", m->bucket_bytes);
	jsonw_kv_u64(w, "allocated_bytes", m->grown_bytes);
	jsonw_kv_u64(w, "tables", m->tables);
	jsonw_kv_bool(w, "structure_read", m->shape_ns != 0);
	jsonw_kv_u64(w, "grows", m->grows);
	json_loc(w, "created_at", &m->created_at, m->created_seen);
	jsonw_kv_string_or_null(w, "created_unseen", m->created_seen ? NULL : tunseen__str(m->unseen));
	json_loc(w, "insert_at", &m->insert_at, true);
	jsonw_key(w, "stack_map");
	if (m->on_stack) {
		jsonw_start_object(w);
		jsonw_kv_u64(w, "goroutine", m->stk.goid);
		jsonw_kv_u64(w, "moves", m->stk.moves);
		json_loc(w, "frame", &m->holder, true);
		jsonw_end_object(w);
	} else {
		jsonw_null(w);
	}
	json_holder(w, m);
	json_evidence(w, &m->s);
	json_stack(w, m->tgt, tmap__stack(m));
	jsonw_end_object(w);
}

static void json_site(struct jsonw *w, const struct tsite *s)
{
	char type[256];

	jsonw_start_object(w);
	json_loc(w, "site", &s->loc, true);
	jsonw_kv_string(w, "kind", s->kind == TSITE_CREATED ? "created" : "inserted");
	jsonw_kv_i64(w, "pid", s->tgt->pid);
	jsonw_kv_string(w, "type", naming__type(s->tgt, s->type, type, sizeof(type)));
	jsonw_kv_string_or_null(w, "type_unavailable_reason", naming__type_unavailable(s->tgt, s->type));
	jsonw_kv_u64(w, "maps", s->maps);
	jsonw_kv_u64(w, "entries_first", s->s.first);
	jsonw_kv_u64(w, "entries_last", s->s.last);
	jsonw_kv_double(w, "growth_per_minute", per_minute(&s->s));
	jsonw_kv_double(w, "session_growth_per_minute", session_per_minute(&s->s));
	jsonw_kv_u64(w, "bucket_bytes", s->bucket_bytes);
	jsonw_kv_u64(w, "exact_bucket_bytes", s->exact_bucket_bytes);
	jsonw_kv_u64(w, "grows", s->grows);
	jsonw_kv_string(w, "verdict", verdict__str(s->s.verdict));
	json_evidence(w, &s->s);
	jsonw_end_object(w);
}

int report__json(FILE *out, const struct tracker *tr, const struct report_session *rs)
{
	struct jsonw *w = jsonw__new(out);
	struct tmap **maps;
	struct tsite **sites;
	size_t nm, ns, i;

	if (!w)
		return -1;
	holder__resolve(tr, rs->final, NULL);
	nm = tracker__maps(tr, &maps);
	ns = tracker__sites(tr, &sites);
	jsonw_start_object(w);
	jsonw_key(w, "targets");
	jsonw_start_array(w);
	for (i = 0; i < rs->target_cnt; i++) {
		const struct target *t = rs->targets[i];

		jsonw_start_object(w);
		jsonw_kv_i64(w, "pid", t->pid);
		jsonw_kv_string(w, "comm", t->comm);
		jsonw_kv_string(w, "exe", t->exe);
		jsonw_kv_string(w, "go_version", t->bin->bi.version);
		jsonw_kv_string(w, "map_impl", map_impl_str(t));
		jsonw_kv_string(w, "newest_tested_go", gobin__newest_tested());
		jsonw_kv_bool(w, "newer_than_tested", t->bin->newer_than_tested);
		jsonw_kv_string(w, "self_check", gobin__check_str(t->bin->self_check));
		jsonw_kv_string_or_null(w, "self_check_detail", t->bin->self_check_detail);
		jsonw_kv_string_or_null(w, "note", gobin__newer_note(t->bin));
		jsonw_kv_string_or_null(w, "types_unavailable_reason", t->bin->types_unavailable);
		jsonw_kv_bool(w, "exited", t->exited && !exec_dropped(t));
		jsonw_kv_i64_or_null(w, "exit_code", t->exited && t->exit_status >= 0, t->exit_status);
		jsonw_key(w, "exec");
		if (t->exec.cnt) {
			jsonw_start_object(w);
			jsonw_kv_u64(w, "count", t->exec.cnt);
			jsonw_kv_double(w, "at_seconds", exec_at_s(t));
			jsonw_kv_string_or_null(w, "from", t->exec.from);
			jsonw_kv_string_or_null(w, "to", t->exec.to);
			jsonw_kv_bool(w, "followed", t->exec.followed);
			jsonw_kv_string_or_null(w, "reason", t->exec.followed ? NULL : t->exec.why);
			jsonw_end_object(w);
		} else {
			jsonw_null(w);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_kv_string(w, "mode", rs->mode);
	jsonw_kv_bool(w, "final", rs->final);
	jsonw_kv_double(w, "duration_seconds", rs->duration_s);
	jsonw_kv_double(w, "window_seconds", rs->window_s);
	jsonw_kv_double(w, "window_max_seconds", rs->window_max_s > rs->window_s ? rs->window_max_s : rs->window_s);
	jsonw_kv_double(w, "min_span_seconds", rs->min_span_s);
	jsonw_key(w, "events");
	jsonw_start_object(w);
	jsonw_kv_u64(w, "received", rs->events_received);
	jsonw_kv_u64(w, "lost", rs->events_lost);
	jsonw_kv_u64(w, "malformed", rs->events_malformed);
	jsonw_kv_u64(w, "probe_hits", rs->probe_hits);
	jsonw_kv_u64(w, "probe_hits_untraced", rs->probe_hits_untraced);
	jsonw_end_object(w);
	jsonw_key(w, "map_counts");
	jsonw_start_object(w);
	jsonw_kv_u64(w, "tracked", tracker__stats(tr)->maps_tracked);
	jsonw_kv_u64(w, "alive", tracker__alive_maps(tr));
	jsonw_kv_u64(w, "gone", tracker__stats(tr)->gone_maps);
	jsonw_kv_u64(w, "evicted", tracker__stats(tr)->evicted_maps);
	jsonw_kv_u64(w, "rejected_samples", tracker__stats(tr)->rejected);
	jsonw_kv_u64(w, "reused_addresses", tracker__stats(tr)->reused);
	jsonw_end_object(w);
	jsonw_key(w, "overhead");
	jsonw_start_object(w);
	{
		double hit = rs->cost.hit_s > 0 ? rs->cost.hit_s : rs->probe_cost_s;

		jsonw_kv_double(w, "probe_cost_seconds", rs->probe_cost_s);
		jsonw_kv_double(w, "hit_cost_seconds", hit);
		jsonw_kv_bool(w, "bpf_run_time_measured", rs->cost.stats);
		jsonw_kv_double(w, "bpf_run_seconds", rs->cost.run_ns / 1e9);
		jsonw_kv_u64(w, "bpf_run_count", rs->cost.run_cnt);
		jsonw_kv_double(w, "probe_cpu_seconds", rs->probe_hits * hit);
		jsonw_kv_double(w, "cpu_ratio", rs->duration_s > 0 ? rs->probe_hits / rs->duration_s * hit : 0);
	}
	jsonw_kv_u64(w, "holder_maps", holder__stats()->maps);
	jsonw_kv_u64(w, "holder_searches", holder__stats()->searches);
	jsonw_kv_u64(w, "holder_bytes_read", holder__stats()->bytes_read);
	jsonw_kv_double(w, "holder_seconds", holder__stats()->ns / 1e9);
	jsonw_kv_double(w, "holder_max_search_seconds", holder__stats()->max_search_ns / 1e9);
	jsonw_kv_u64(w, "holder_peak_bytes", holder__stats()->peak_bytes);
	/* wall clock, ms: to line the search up with the target's own measurements */
	jsonw_kv_u64(w, "holder_last_search_start_unix_ms", (uint64_t)(holder__stats()->last_start_unix * 1e3));
	jsonw_kv_u64(w, "holder_last_search_end_unix_ms", (uint64_t)(holder__stats()->last_end_unix * 1e3 + 0.999));
	jsonw_end_object(w);
	jsonw_key(w, "governor");
	jsonw_start_object(w);
	jsonw_kv_double(w, "max_overhead", rs->max_overhead > 0 ? rs->max_overhead : 0);
	jsonw_kv_u64(w, "alarms", rs->gov_alarms);
	jsonw_kv_double(w, "shed_seconds", rs->shed_s);
	jsonw_kv_u64(w, "shed_points_max", rs->shed_points_max);
	jsonw_end_object(w);
	jsonw_key(w, "maps");
	jsonw_start_array(w);
	for (i = 0; i < nm; i++)
		json_map(w, maps[i]);
	jsonw_end_array(w);
	jsonw_key(w, "sites");
	jsonw_start_array(w);
	for (i = 0; i < ns; i++)
		json_site(w, sites[i]);
	jsonw_end_array(w);
	jsonw_key(w, "leaks");
	jsonw_start_array(w);
	for (i = 0; i < nm; i++)
		if (maps[i]->s.verdict == VERDICT_LEAK)
			json_map(w, maps[i]);
	jsonw_end_array(w);
	jsonw_key(w, "leaking_sites");
	jsonw_start_array(w);
	for (i = 0; i < ns; i++)
		if (sites[i]->s.verdict == VERDICT_LEAK)
			json_site(w, sites[i]);
	jsonw_end_array(w);
	jsonw_end_object(w);
	free(maps);
	free(sites);
	return jsonw__free(w);
}
