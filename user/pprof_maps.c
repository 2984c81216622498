// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include "holder.h"
#include "naming.h"
#include "pprof.h"
#include "pprof_maps.h"
#include "u64map.h"

#define MAX_LINES 32		/* inlined frames kept per location */
#define PAGE_MASK_4K 0xfffULL

struct text_map {
	const struct target *t;
	uint64_t start, limit, offset;
	char *file;
	size_t file_len;
};

static int is_text(const struct target_mapping *m, void *ctx)
{
	struct text_map *tm = ctx;

	if (m->ino != (uint64_t)tm->t->bin->ino || !strchr(m->perms, 'x'))
		return 0;
	tm->start = m->start;
	tm->limit = m->end;
	tm->offset = m->offset;
	snprintf(tm->file, tm->file_len, "%s", *m->path ? m->path : tm->t->exe);
	return 1;
}

/* The executable's text of one target: /proc/PID/maps while it runs. */
static bool text_from_proc(const struct target *t, uint64_t *start, uint64_t *limit,
			   uint64_t *offset, char *file, size_t file_len)
{
	struct text_map tm = { .t = t, .file = file, .file_len = file_len };

	if (target__each_mapping(t->pid, is_text, &tm) <= 0)
		return false;
	*start = tm.start;
	*limit = tm.limit;
	*offset = tm.offset;
	return true;
}

/* The same from the ELF's executable segment, once the process is gone. */
static bool text_from_elf(const struct target *t, uint64_t *start, uint64_t *limit,
			  uint64_t *offset)
{
	const struct goelf_segment *seg;
	size_t i;

	if (!t->bias_known)
		return false;
	for (i = 0; i < goelf__segment_cnt(t->bin->elf); i++) {
		seg = goelf__segment(t->bin->elf, i);
		if (!seg || seg->type != PT_LOAD || !(seg->flags & PF_X))
			continue;
		*start = t->bias + (seg->vaddr & ~PAGE_MASK_4K);
		*limit = t->bias + ((seg->vaddr + seg->memsz + PAGE_MASK_4K) & ~PAGE_MASK_4K);
		*offset = seg->offset & ~PAGE_MASK_4K;
		return true;
	}
	return false;
}

struct tmapping {
	const struct target *tgt;
	uint64_t id, start, limit;
};

/* The Mapping of a target's executable, made on first use; NULL on failure. */
static const struct tmapping *target_mapping(struct pprof *p, struct tmapping *cache, size_t *cnt,
					     const struct target *t)
{
	struct tmapping *tm;
	uint64_t offset = 0;
	char file[4096];
	size_t i;

	for (i = 0; i < *cnt; i++)
		if (cache[i].tgt == t)
			return &cache[i];
	tm = &cache[*cnt];
	memset(tm, 0, sizeof(*tm));
	tm->tgt = t;
	snprintf(file, sizeof(file), "%s", t->exe);
	if (!text_from_proc(t, &tm->start, &tm->limit, &offset, file, sizeof(file)))
		text_from_elf(t, &tm->start, &tm->limit, &offset);
	tm->id = pprof__mapping(p, tm->start, tm->limit, offset, file, NULL);
	if (!tm->id)
		return NULL;
	(*cnt)++;
	return tm;
}

/* The locations of a stack, leaf first; n of them.  -ENOMEM on failure. */
static int stack_locations(struct pprof *p, const struct tmapping *tm, const struct target *t,
			   const struct tstack *st, uint64_t *locs, uint32_t *n)
{
	struct pcln_frame fr[MAX_LINES];
	struct pprof_line lines[MAX_LINES];
	uint32_t i, nr = st->nr < GM_MAX_STACK_DEPTH ? st->nr : GM_MAX_STACK_DEPTH;
	int k, nf;

	for (i = 0; i < nr; i++) {
		uint64_t pc = st->pcs[i], mid = tm->id;

		/* a pc outside the executable's text (a cgo library) is not its */
		if (tm->limit && (pc < tm->start || pc >= tm->limit))
			mid = 0;
		nf = target__symbolize(t, pc, i > 0, fr, MAX_LINES);
		for (k = 0; k < nf; k++)
			lines[k] = (struct pprof_line){ .function = fr[k].function, .file = fr[k].file,
							.line = fr[k].line };
		locs[i] = pprof__location(p, mid, pc, i > 0, lines, (size_t)nf);
		if (!locs[i])
			return -ENOMEM;
	}
	*n = nr;
	return 0;
}

/*
 * A map's samples, as Go's heap profile has them: one per growth stack (an
 * insert that grew the map, so the inserting function is a frame), with the
 * bytes allocated there, its share of the memory the map holds now, and
 * labels naming the map and where it was created.
 */
static int add_map(struct pprof *p, const struct tmapping *tm, const struct tmap *m)
{
	struct pprof_label labels[6];
	uint64_t locs[GM_MAX_STACK_DEPTH], alloc, grows, inuse, entries;
	char type[256], created[512], addr[32];
	const struct holder_info *h = holder__get(m);
	const struct tstack *st;
	uint32_t nr;
	int i, ret, nl = 5;

	naming__type(m->tgt, m->type, type, sizeof(type));
	if (m->created_seen && m->created_at.function)
		naming__loc(&m->created_at, created, sizeof(created));
	else
		snprintf(created, sizeof(created), "(%s)", tunseen__text(m->unseen));
	snprintf(addr, sizeof(addr), "0x%" PRIx64, m->addr);
	labels[0] = (struct pprof_label){ .key = "type", .str = type };
	labels[1] = (struct pprof_label){ .key = "verdict", .str = verdict__str(m->s.verdict) };
	labels[2] = (struct pprof_label){ .key = "pid", .num = m->tgt->pid };
	labels[3] = (struct pprof_label){ .key = "map", .str = addr };
	labels[4] = (struct pprof_label){ .key = "created_at", .str = created };
	if (h && h->kind != HOLDER_UNKNOWN)
		labels[nl++] = (struct pprof_label){ .key = "held_by",
						     .str = h->path[0] ? h->path : h->name };
	for (i = 0; i < TMAP_GROWTH_STACKS; i++) {
		int64_t values[5];

		st = tmap__growth_sample(m, i, &alloc, &grows, &inuse, &entries);
		if (!st)
			continue;
		ret = stack_locations(p, tm, m->tgt, st, locs, &nr);
		if (ret)
			return ret;
		values[0] = (int64_t)inuse;
		values[1] = (int64_t)alloc;
		values[2] = (int64_t)grows;
		values[3] = (int64_t)entries;
		/*
		 * retained_space: bucket memory plus what keys and values point
		 * to, for maps searched (leak/growing), split like inuse_space;
		 * inuse_space for the others.
		 */
		values[4] = (int64_t)inuse;
		if (h && h->retained_known && m->bucket_bytes)
			values[4] = (int64_t)((double)h->retained_bytes * inuse / m->bucket_bytes);
		else if (h && h->retained_known && m->s.last)
			values[4] = (int64_t)((double)h->retained_bytes * entries / m->s.last);
		ret = pprof__sample(p, locs, nr, values, labels, nl);
		if (ret)
			return ret;
	}
	return 0;
}

static int add_comments(struct pprof *p, const struct report_session *rs)
{
	char buf[4352];
	size_t i;
	int ret;

	snprintf(buf, sizeof(buf), "gomaptrace trace: %s mode, %.1fs, %.0fs windows, %" PRIu64
		 " events, %" PRIu64 " lost", rs->mode, rs->duration_s, rs->window_s,
		 rs->events_received, rs->events_lost);
	ret = pprof__comment(p, buf);
	for (i = 0; !ret && i < rs->target_cnt; i++) {
		const struct target *t = rs->targets[i];

		snprintf(buf, sizeof(buf), "target pid %d (%s) %s: %s, %s maps", (int)t->pid, t->comm,
			 t->exe, t->bin->bi.version,
			 gomap__impl_name(t->bin->plan->impl));
		ret = pprof__comment(p, buf);
	}
	return ret;
}

/* The whole profile, encoded (not compressed) into out. */
static int build(const struct tracker *tr, const struct report_session *rs, struct pbuf *out)
{
	static const struct pprof_value_type types[] = {
		{ "inuse_space", "bytes" },
		{ "alloc_space", "bytes" },
		{ "grows", "count" },
		{ "entries", "count" },
		{ "retained_space", "bytes" },
	};
	struct pprof *p = pprof__new(types, 5, 0);
	const struct tmapping *tm;
	struct tmapping *mcache = NULL;
	struct tmap **maps = NULL;
	struct timespec now;
	size_t nm = 0, mcnt = 0, i;
	int64_t dur = (int64_t)(rs->duration_s * 1e9);
	int ret = -ENOMEM;

	if (!p)
		goto cleanup;
	holder__resolve(tr, rs->final, NULL);
	nm = tracker__maps(tr, &maps);
	/* at most one mapping per process, and every map names its process */
	mcache = calloc(nm + rs->target_cnt + 1, sizeof(*mcache));
	if (!maps || !mcache)
		goto cleanup;
	/* targets first, in order: pprof titles the profile with the first mapping's file */
	for (i = 0; i < rs->target_cnt; i++)
		if (!target_mapping(p, mcache, &mcnt, rs->targets[i]))
			goto cleanup;
	ret = add_comments(p, rs);
	for (i = 0; !ret && i < nm; i++) {
		tm = target_mapping(p, mcache, &mcnt, maps[i]->tgt);
		ret = tm ? add_map(p, tm, maps[i]) : -ENOMEM;
	}
	if (ret)
		goto cleanup;
	clock_gettime(CLOCK_REALTIME, &now);
	pprof__set_time(p, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - dur, dur);
	ret = pprof__encode(p, out);
cleanup:
	free(mcache);
	free(maps);
	pprof__free(p);
	return ret;
}

int pprof__write_maps_to(FILE *f, const struct tracker *tr, const struct report_session *rs)
{
	struct pbuf out;
	int ret;

	pbuf__init(&out);
	ret = build(tr, rs, &out);
	if (!ret)
		ret = pprof__gzip(f, out.data, out.len);
	pbuf__fini(&out);
	return ret;
}
